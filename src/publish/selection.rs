//! Which deals an account posts at a slot: the best eligible ones, spread across shops.
//!
//! Eligibility is one SQL query, so that it holds however many deals there are: the offer is active, has a price,
//! has not ended; its shop is healthy (or the run that last saw it was not judged unhealthy: see `store::health`);
//! its verdict, score, real discount (above zero: the shop's claim alone is never enough), shop and category pass
//! the account's filters; the account has not posted it
//! before, unless its price fell at least 5 % below the last posted price and 7 days have passed; and the account
//! has not posted the same product (GTIN) from another shop. The spread across shops is then [`pick`], pure: at
//! most `per_shop_daily_cap` posts of a shop per local day, never two in a row from the same shop, one offer per
//! GTIN in a batch. When every deal left is from the shop of the previous post (an account that follows one
//! shop), that shop posts again: the rule spreads posts across shops, it must not silence a one-shop account.
//!
//! A curated account with `filters.claimed = "review"` also gets, after those, the best deals whose only discount is
//! the shop's claim ([`claim_only`]), for a person to approve or not.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{PgPool, Postgres};

use super::accounts::{AccountConfig, ClaimedDeals, Mode};
use crate::deals::score::ScoreParts;

/// How many of the best eligible deals are read for [`pick`] to choose from.
const CANDIDATE_POOL: i64 = 200;

/// A deal the account may post, with what composing and explaining its post needs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Candidate {
    pub offer_id: i64,
    pub shop_id: String,
    pub shop_name: String,
    pub title: String,
    pub url: String,
    pub canonical_url: String,
    pub image_url: Option<String>,
    pub category: Option<String>,
    pub gtin: Option<String>,
    pub currency: String,
    pub price: Decimal,
    pub previous_price: Option<Decimal>,
    pub reference_price: Option<Decimal>,
    pub real_discount_pct: Option<Decimal>,
    pub verdict: Option<String>,
    pub score: Option<Decimal>,
    pub promo_code: Option<String>,
    pub ends_at: Option<DateTime<Utc>>,
    /// The score's parts as stored (read leniently by [`Candidate::score_parts`]).
    pub score_parts: Option<serde_json::Value>,
}

impl Candidate {
    /// The score's parts, when they were stored in a shape this version reads.
    pub fn score_parts(&self) -> Option<ScoreParts> {
        self.score_parts.clone().and_then(|raw| serde_json::from_value(raw).ok())
    }
}

/// The columns of a [`Candidate`] from `offers o` joined to its shop `s`, for `concat!`/`format!` into static SQL.
macro_rules! candidate_select {
    () => {
        "SELECT o.id AS offer_id, o.shop_id, s.name AS shop_name, o.title, o.url, o.canonical_url, o.image_url,
                o.category, o.gtin, o.currency::text AS currency, o.price, o.previous_price, o.reference_price,
                o.real_discount_pct, o.verdict, o.score, o.promo_code, o.ends_at, o.score_parts
         FROM offers o
         JOIN shops s ON s.id = o.shop_id"
    };
}

/// The deal of offer `offer_id` as it is now, eligible or not (to write again a post already queued); `None` when
/// the offer has no price or currency any more.
pub async fn candidate(pool: &PgPool, offer_id: i64) -> Result<Option<Candidate>, sqlx::Error> {
    sqlx::query_as(concat!(candidate_select!(), " WHERE o.id = $1 AND o.price IS NOT NULL AND o.currency IS NOT NULL"))
        .bind(offer_id)
        .fetch_optional(pool)
        .await
}

/// The offers an account may look at at all: active, priced, judged as a reduction, not ended, in its shops and
/// categories (`$2` is now, `$6` the shops, `$7` the lowercased categories). Shared with `shortfall`, which counts
/// why the offers of this scope are not candidates.
pub(crate) const IN_SCOPE: &str = "o.active AND o.score IS NOT NULL AND o.price IS NOT NULL AND o.currency IS NOT NULL
           AND o.verdict IS NOT NULL AND (o.ends_at IS NULL OR o.ends_at > $2)
           AND (cardinality($6::text[]) = 0 OR o.shop_id = ANY($6))
           AND (cardinality($7::text[]) = 0 OR lower(o.category) = ANY($7))";

/// The offer's shop is healthy, or the run that last saw it was not judged unhealthy (`s` the shop, `r` that run).
pub(crate) const SHOP_HEALTHY: &str = "(s.healthy OR r.healthy IS NOT FALSE)";

/// The account (`$1`) posted the offer already (or it waits to go out), and its price did not fall 5 % further
/// with a week passed since; or it posted the same product (GTIN) from another shop.
pub(crate) const ALREADY_POSTED: &str = "(EXISTS (
               SELECT 1 FROM publications p
               WHERE p.account_id = $1 AND p.offer_id = o.id
                 AND (p.status IN ('pending_review', 'queued', 'claimed')
                      OR (p.status IN ('published', 'rejected', 'failed')
                          AND NOT (o.price <= p.price * 0.95
                                   AND COALESCE(p.published_at, p.updated_at) <= $2 - interval '7 days'))))
           OR (o.gtin IS NOT NULL AND EXISTS (
               SELECT 1 FROM publications p JOIN offers other ON other.id = p.offer_id
               WHERE p.account_id = $1 AND other.gtin = o.gtin AND other.id <> o.id
                 AND p.status IN ('pending_review', 'queued', 'claimed', 'published'))))";

/// Which discount makes a deal a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    /// A real discount, measured from the 30-day reference price, above the account's minimum.
    Real,
    /// Only the shop's claimed discount: no reference price is known yet (`filters.claimed = "review"`).
    ClaimOnly,
}

/// The best eligible deals for `account` at `now`, best first: a real discount (above zero and the account's
/// minimum), never the shop's claim alone.
pub async fn eligible(
    pool: &PgPool,
    account: &AccountConfig,
    now: DateTime<Utc>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    candidates(pool, account, now, Basis::Real).await
}

/// The best deals of `account`'s shops and categories that only have the shop's claimed discount, best first:
/// verdict `unverified` (never `inflated`, which history contradicts), no reference price yet, a claimed previous
/// price above the price, the claimed discount at least the account's minimum. Only a curated account's review
/// queue proposes them, worded as the shop's claim (`claimed_wording`).
pub async fn claim_only(
    pool: &PgPool,
    account: &AccountConfig,
    now: DateTime<Utc>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    candidates(pool, account, now, Basis::ClaimOnly).await
}

/// The deals a slot of `account` chooses from, best first: the [`eligible`] ones, followed, for a curated account
/// with `filters.claimed = "review"`, by the [`claim_only`] ones (real discounts first; claims fill what is left of
/// the review batch). An auto account never gets a claim alone.
pub async fn for_slot(
    pool: &PgPool,
    account: &AccountConfig,
    now: DateTime<Utc>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let mut chosen = eligible(pool, account, now).await?;
    if account.mode == Mode::Curated && account.filters.claimed == ClaimedDeals::Review {
        chosen.extend(claim_only(pool, account, now).await?);
    }
    Ok(chosen)
}

async fn candidates(
    pool: &PgPool,
    account: &AccountConfig,
    now: DateTime<Utc>,
    basis: Basis,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let filters = &account.filters;
    let (discount, verdicts) = match basis {
        Basis::Real => {
            ("o.real_discount_pct > 0 AND ($5::numeric IS NULL OR o.real_discount_pct >= $5)", filters.verdicts.clone())
        }
        Basis::ClaimOnly => (
            "o.real_discount_pct IS NULL AND o.previous_price > o.price
             AND ($5::numeric IS NULL OR o.claimed_discount_pct >= $5)",
            vec!["unverified".to_string()],
        ),
    };
    let sql = format!(
        "{select}
         LEFT JOIN scrape_runs r ON r.id = o.last_run_id
         WHERE {IN_SCOPE} AND {SHOP_HEALTHY}
           AND o.verdict = ANY($3)
           AND ($4::numeric IS NULL OR o.score >= $4)
           AND {discount}
           AND NOT {ALREADY_POSTED}
         ORDER BY o.score DESC, o.id
         LIMIT $8",
        select = candidate_select!()
    );
    // Built only from this crate's constant SQL fragments: no input is in the text, every value is bound.
    bind_account(sqlx::query_as(sqlx::AssertSqlSafe(sql)), account, now, verdicts, CANDIDATE_POOL).fetch_all(pool).await
}

/// `query` with the values its parameters stand for in [`IN_SCOPE`], [`ALREADY_POSTED`] and the account's filters:
/// `$1` the account, `$2` now, `$3` the verdicts, `$4` the least score, `$5` the least discount, `$6` the shops,
/// `$7` the lowercased categories, `$8` how many rows at most.
pub(crate) fn bind_account<'q, O>(
    query: QueryAs<'q, Postgres, O, PgArguments>,
    account: &AccountConfig,
    now: DateTime<Utc>,
    verdicts: Vec<String>,
    limit: i64,
) -> QueryAs<'q, Postgres, O, PgArguments> {
    let filters = &account.filters;
    query
        .bind(account.name.clone())
        .bind(now)
        .bind(verdicts)
        .bind(filters.min_score)
        .bind(filters.min_real_discount)
        .bind(filters.shops.clone())
        .bind(filters.categories.iter().map(|c| c.to_lowercase()).collect::<Vec<_>>())
        .bind(limit)
}

/// What the account posted today and last, for spreading the next posts across shops.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopHistory {
    /// Posts per shop since the start of the local day (sent, sending or waiting).
    pub today: HashMap<String, u32>,
    /// The shop of the latest post (sent, sending or waiting), which the next must not repeat.
    pub last_shop: Option<String>,
}

/// Reads the account's [`ShopHistory`].
pub async fn shop_history(pool: &PgPool, account: &str, day_start: DateTime<Utc>) -> Result<ShopHistory, sqlx::Error> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT o.shop_id, count(*) FROM publications p JOIN offers o ON o.id = p.offer_id
         WHERE p.account_id = $1 AND p.status IN ('queued', 'claimed', 'published')
           AND COALESCE(p.claimed_at, p.scheduled_for, p.created_at) >= $2
         GROUP BY o.shop_id",
    )
    .bind(account)
    .bind(day_start)
    .fetch_all(pool)
    .await?;
    let last_shop: Option<String> = sqlx::query_scalar(
        "SELECT o.shop_id FROM publications p JOIN offers o ON o.id = p.offer_id
         WHERE p.account_id = $1 AND p.status IN ('queued', 'claimed', 'published')
         ORDER BY COALESCE(p.scheduled_for, p.claimed_at, p.created_at) DESC, p.id DESC LIMIT 1",
    )
    .bind(account)
    .fetch_optional(pool)
    .await?;
    Ok(ShopHistory {
        today: counts.into_iter().map(|(shop, n)| (shop, u32::try_from(n).unwrap_or(u32::MAX))).collect(),
        last_shop,
    })
}

/// Up to `wanted` of `candidates` (best first), spread across shops: a shop at its daily cap is skipped, the same
/// shop never twice in a row (counting the account's last post) while another shop has a deal, one offer per GTIN.
pub fn pick(candidates: &[Candidate], wanted: usize, per_shop_daily_cap: u32, history: &ShopHistory) -> Vec<Candidate> {
    let mut today = history.today.clone();
    let mut last_shop = history.last_shop.clone();
    let mut gtins: HashSet<&str> = HashSet::new();
    let mut chosen: Vec<Candidate> = Vec::new();
    let mut remaining: Vec<&Candidate> = candidates.iter().collect();
    while chosen.len() < wanted {
        let allowed = |candidate: &&Candidate| {
            today.get(&candidate.shop_id).copied().unwrap_or(0) < per_shop_daily_cap
                && candidate.gtin.as_deref().is_none_or(|gtin| !gtins.contains(gtin))
        };
        let other_shop = |candidate: &&Candidate| last_shop.as_deref() != Some(candidate.shop_id.as_str());
        // Another shop's deal when there is one; an account that follows a single shop still posts.
        let next = remaining.iter().position(|candidate| allowed(candidate) && other_shop(candidate)).or_else(|| {
            let only_one_shop = remaining.iter().filter(|c| allowed(c)).all(|c| !other_shop(c));
            only_one_shop.then(|| remaining.iter().position(allowed)).flatten()
        });
        let Some(index) = next else { break };
        let candidate = remaining.remove(index);
        *today.entry(candidate.shop_id.clone()).or_default() += 1;
        last_shop = Some(candidate.shop_id.clone());
        if let Some(gtin) = candidate.gtin.as_deref() {
            gtins.insert(gtin);
        }
        chosen.push(candidate.clone());
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(offer_id: i64, shop: &str, gtin: Option<&str>) -> Candidate {
        Candidate {
            offer_id,
            shop_id: shop.to_string(),
            shop_name: shop.to_string(),
            title: format!("Offer {offer_id}"),
            url: format!("https://{shop}.example/{offer_id}"),
            canonical_url: format!("https://{shop}.example/{offer_id}"),
            image_url: None,
            category: None,
            gtin: gtin.map(str::to_string),
            currency: "EUR".to_string(),
            price: Decimal::TEN,
            previous_price: None,
            reference_price: None,
            real_discount_pct: None,
            verdict: Some("honest".to_string()),
            score: None,
            promo_code: None,
            ends_at: None,
            score_parts: None,
        }
    }

    fn ids(chosen: &[Candidate]) -> Vec<i64> {
        chosen.iter().map(|c| c.offer_id).collect()
    }

    #[test]
    fn the_same_shop_never_posts_twice_in_a_row() {
        let candidates = [candidate(1, "kiabi", None), candidate(2, "kiabi", None), candidate(3, "sephora", None)];
        assert_eq!(ids(&pick(&candidates, 3, 5, &ShopHistory::default())), [1, 3, 2]);
        // The account's last post counts too.
        let history = ShopHistory { last_shop: Some("kiabi".to_string()), ..ShopHistory::default() };
        assert_eq!(ids(&pick(&candidates, 1, 5, &history)), [3]);
    }

    #[test]
    fn an_account_following_one_shop_keeps_posting() {
        let candidates = [candidate(1, "kiabi", None), candidate(2, "kiabi", None)];
        let history = ShopHistory { last_shop: Some("kiabi".to_string()), ..ShopHistory::default() };
        assert_eq!(ids(&pick(&candidates, 2, 5, &history)), [1, 2]);
    }

    #[test]
    fn a_shop_at_its_daily_cap_is_skipped_and_fewer_posts_are_better_than_a_repeat() {
        let candidates = [candidate(1, "kiabi", None), candidate(2, "kiabi", None), candidate(3, "kiabi", None)];
        let history = ShopHistory { today: HashMap::from([("kiabi".to_string(), 2)]), last_shop: None };
        assert_eq!(ids(&pick(&candidates, 3, 3, &history)), [1]);
    }

    #[test]
    fn one_product_is_posted_once_across_shops() {
        let gtin = Some("03614271234567");
        let candidates = [candidate(1, "kiabi", gtin), candidate(2, "sephora", gtin), candidate(3, "sephora", None)];
        assert_eq!(ids(&pick(&candidates, 3, 5, &ShopHistory::default())), [1, 3]);
    }
}
