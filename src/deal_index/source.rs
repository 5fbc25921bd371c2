//! The rows a web server's in-memory deal lists are built from: every scored offer's search row (its score, shop,
//! category, price, real discount, verdict, state, distinct words and French lexemes), read from `offer_search`
//! once in full and then by generation (migration 0015): only the rows written, and the rows deleted, since.
//!
//! Kept apart from the built lists ([`super::snapshot`]) because building takes the rows in score order while
//! catching up changes them by offer: the rows are kept by offer id, with every repeated string (shop, category,
//! verdict, word) stored once.

use std::collections::HashMap;

use futures::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::store::shop_overview;

/// Strings stored once each, numbered in the order they were first seen.
#[derive(Debug, Default, Clone)]
pub(super) struct Names {
    numbers: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Names {
    /// The number of `name`, given it one if it is new.
    fn number(&mut self, name: &str) -> u32 {
        if let Some(&number) = self.numbers.get(name) {
            return number;
        }
        let number = u32::try_from(self.names.len()).expect("fewer than 4 billion distinct names");
        self.names.push(name.into());
        self.numbers.insert(name.into(), number);
        number
    }

    /// The name numbered `number`.
    pub(super) fn name(&self, number: u32) -> &str {
        &self.names[number as usize]
    }

    /// How many names there are (numbers run from 0 to this, excluded).
    pub(super) fn len(&self) -> usize {
        self.names.len()
    }
}

/// One scored offer as the deal lists see it.
#[derive(Debug, Clone)]
pub(super) struct IndexedOffer {
    pub offer_id: i64,
    pub score: Decimal,
    pub shop: u32,
    pub category: Option<u32>,
    pub price: Option<Decimal>,
    pub real_discount_pct: Option<Decimal>,
    pub verdict: Option<u32>,
    pub active: bool,
    /// Its distinct folded words (`offer_search.tokens`), numbered in [`IndexSource::tokens`].
    pub tokens: Box<[u32]>,
    /// Its French lexemes (`offer_search.words`), numbered in [`IndexSource::lexemes`].
    pub lexemes: Box<[u32]>,
}

/// Every scored offer's search row, and the shops, as of `generation`.
#[derive(Debug, Default)]
pub(super) struct IndexSource {
    pub generation: i64,
    pub offers: HashMap<i64, IndexedOffer>,
    pub shops: Names,
    pub categories: Names,
    pub verdicts: Names,
    pub tokens: Names,
    pub lexemes: Names,
    /// Every shop's (id, name), by name, as of `generation` (read again at each catch-up: a small table).
    pub shop_names: Vec<(String, String)>,
}

/// A search row as read.
#[derive(sqlx::FromRow)]
struct SearchRow {
    offer_id: i64,
    score: Option<Decimal>,
    shop_id: String,
    category: Option<String>,
    price: Option<Decimal>,
    real_discount_pct: Option<Decimal>,
    verdict: Option<String>,
    active: bool,
    tokens: Vec<String>,
    lexemes: Vec<String>,
}

/// A [`SearchRow`] of `offer_search` where `$condition` (a macro so that whole statements stay literals).
macro_rules! search_rows {
    ($condition:literal) => {
        concat!(
            "SELECT offer_id, score, shop_id, category, price, real_discount_pct, verdict, active, tokens,
                tsvector_to_array(words) AS lexemes
             FROM offer_search WHERE ",
            $condition
        )
    };
}

impl IndexSource {
    /// Every scored offer's search row, read in one snapshot with the generation it holds.
    pub async fn load(pool: &PgPool) -> Result<IndexSource, sqlx::Error> {
        let mut source = IndexSource { generation: -1, ..IndexSource::default() };
        source.catch_up(pool).await?;
        Ok(source)
    }

    /// Reads what changed since `self.generation` (the rows written, the rows deleted) and applies it; returns the
    /// offers it changed, each with the score it had before (`None`: it was not a deal). A first read (`generation`
    /// -1) reads every scored row.
    pub async fn catch_up(&mut self, pool: &PgPool) -> Result<Vec<(i64, Option<Decimal>)>, sqlx::Error> {
        // One snapshot for the generation and the rows: refreshes commit in generation order (migration 0015), so
        // the rows seen are exactly those of the generations up to the one read.
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let generation: i64 =
            sqlx::query_scalar("SELECT generation FROM search_generation").fetch_one(&mut *tx).await?;
        let mut changed = Vec::new();
        {
            let mut rows = if self.generation < 0 {
                sqlx::query_as::<_, SearchRow>(search_rows!("score IS NOT NULL")).fetch(&mut *tx)
            } else {
                sqlx::query_as::<_, SearchRow>(search_rows!("generation > $1")).bind(self.generation).fetch(&mut *tx)
            };
            while let Some(row) = rows.try_next().await? {
                changed.push((row.offer_id, self.apply(row)));
            }
        }
        self.shop_names = shop_overview::shop_names(&mut *tx).await?;
        if self.generation >= 0 {
            let removed: Vec<i64> =
                sqlx::query_scalar("SELECT offer_id FROM offer_search_removed WHERE generation > $1")
                    .bind(self.generation)
                    .fetch_all(&mut *tx)
                    .await?;
            for offer_id in removed {
                if let Some(offer) = self.offers.remove(&offer_id) {
                    changed.push((offer_id, Some(offer.score)));
                }
            }
        }
        tx.commit().await?;
        self.generation = generation;
        Ok(changed)
    }

    /// Keeps `row` (or forgets its offer, when it is no longer scored); returns the offer's score before.
    fn apply(&mut self, row: SearchRow) -> Option<Decimal> {
        let Some(score) = row.score else {
            return self.offers.remove(&row.offer_id).map(|before| before.score);
        };
        let offer = IndexedOffer {
            offer_id: row.offer_id,
            score,
            shop: self.shops.number(&row.shop_id),
            category: row.category.as_deref().map(|category| self.categories.number(category)),
            price: row.price,
            real_discount_pct: row.real_discount_pct,
            verdict: row.verdict.as_deref().map(|verdict| self.verdicts.number(verdict)),
            active: row.active,
            tokens: row.tokens.iter().map(|token| self.tokens.number(token)).collect(),
            lexemes: row.lexemes.iter().map(|lexeme| self.lexemes.number(lexeme)).collect(),
        };
        self.offers.insert(row.offer_id, offer).map(|before| before.score)
    }

    /// Adds `offer` by hand (unit tests of the lists, which need no database).
    #[cfg(test)]
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        offer_id: i64,
        score: &str,
        shop: &str,
        category: Option<&str>,
        price: Option<&str>,
        real_discount_pct: Option<&str>,
        verdict: Option<&str>,
        active: bool,
        tokens: &[&str],
        lexemes: &[&str],
    ) {
        let decimal = |text: &str| text.parse::<Decimal>().expect("a decimal");
        let _before = self.apply(SearchRow {
            offer_id,
            score: Some(decimal(score)),
            shop_id: shop.to_owned(),
            category: category.map(str::to_owned),
            price: price.map(decimal),
            real_discount_pct: real_discount_pct.map(decimal),
            verdict: verdict.map(str::to_owned),
            active,
            tokens: tokens.iter().map(|&token| token.to_owned()).collect(),
            lexemes: lexemes.iter().map(|&lexeme| lexeme.to_owned()).collect(),
        });
    }

    /// Forgets offer `offer_id` by hand (unit tests).
    #[cfg(test)]
    pub fn forget(&mut self, offer_id: i64) {
        self.offers.remove(&offer_id);
    }
}
