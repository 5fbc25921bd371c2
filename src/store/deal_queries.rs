//! Reading the deals database: the ranked list of deals with its filters, and everything known about one offer
//! (its price history, its judgement, its score parts, its quality flags, the same product in other shops).
//!
//! It exists so that every view of the deals (the terminal commands now, the web pages and the API later) asks the
//! same typed questions, with every user-supplied value bound as a parameter and never formatted into SQL.
//!
//! Amounts come back normalised (`69.9900` stored at numeric(14, 4) reads as `69.99`): the four decimals are a
//! storage width, not a precision the shop gave.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::deals::score::ScoreParts;
use crate::store::search_index;

/// How many deals a list returns when the caller does not say.
pub const DEFAULT_LIMIT: i64 = 50;

/// Which offers a list holds, by whether they still run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Offers still on the shop (the default).
    #[default]
    Active,
    /// Offers that ended (gone from the shop, or past their end date).
    Ended,
    /// Both.
    Any,
}

impl Activity {
    /// The word used in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Active => "active",
            Activity::Ended => "ended",
            Activity::Any => "all",
        }
    }

    /// The activity a URL or a command line names (`active`, `ended`, `all`).
    pub fn parse(text: &str) -> Option<Activity> {
        match text {
            "active" => Some(Activity::Active),
            "ended" => Some(Activity::Ended),
            "all" | "any" => Some(Activity::Any),
            _ => None,
        }
    }
}

/// Where a page of a deal list starts: just after the deal with this score and id, in the list's order (score
/// descending, then id ascending). Keyset pagination: a page costs the same at any depth, and a deal scored while
/// someone pages is neither skipped twice nor shown twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DealCursor {
    pub score: Decimal,
    pub id: i64,
}

impl DealCursor {
    /// The cursor after `row` (`None` for an unscored row, which no list holds).
    pub fn after(row: &DealRow) -> Option<DealCursor> {
        row.score.map(|score| DealCursor { score, id: row.id })
    }
}

/// `score_id`, e.g. `87.5_1234`: only characters that URLs leave as they are.
impl std::fmt::Display for DealCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.score.normalize(), self.id)
    }
}

impl std::str::FromStr for DealCursor {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (score, id) = text.split_once('_').ok_or(())?;
        Ok(DealCursor { score: score.parse().map_err(|_| ())?, id: id.parse().map_err(|_| ())? })
    }
}

/// Which deals to list. Every field narrows the list; the default lists the best active deals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealFilter {
    /// Only this shop (its id, or its name in any case).
    pub shop: Option<String>,
    /// Only this category, as the shop names it (exactly).
    pub category: Option<String>,
    /// Only deals whose real discount (from the 30-day reference price) is at least this many percent. Deals whose
    /// reference price is unknown have no real discount and are left out.
    pub min_real_discount: Option<Decimal>,
    /// Only deals priced at least this much (in their own currency).
    pub min_price: Option<Decimal>,
    /// Only deals priced at most this much (in their own currency).
    pub max_price: Option<Decimal>,
    /// Only these verdicts (`honest`, `inflated`, `unverified`); empty means any, including offers not reduced.
    pub verdicts: Vec<String>,
    /// Active deals (the default), ended ones, or both.
    pub activity: Activity,
    /// Only offers whose title or brand matches this text: its French words (stemmed, accents ignored), a literal
    /// substring (`%` and `_` are not wildcards), or a near spelling (trigram word similarity, for typos).
    pub search: Option<String>,
    /// Only deals after this one (the next page).
    pub after: Option<DealCursor>,
    /// At most this many deals (values below 1 are taken as 1).
    pub limit: i64,
}

impl Default for DealFilter {
    fn default() -> Self {
        DealFilter {
            shop: None,
            category: None,
            min_real_discount: None,
            min_price: None,
            max_price: None,
            verdicts: Vec::new(),
            activity: Activity::Active,
            search: None,
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// One deal in a list: what a table row or a JSON line shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DealRow {
    pub id: i64,
    pub shop_id: String,
    pub shop_name: String,
    pub kind: String,
    pub title: String,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub image_url: Option<String>,
    pub url: String,
    pub currency: Option<String>,
    pub price: Option<Decimal>,
    /// The shop's claimed previous ("was") price.
    pub previous_price: Option<Decimal>,
    /// The lowest price of the 30 days before the reduction began, when known.
    pub reference_price: Option<Decimal>,
    /// The discount from the reference price, in percent.
    pub real_discount_pct: Option<Decimal>,
    /// The discount the shop claims, in percent.
    pub claimed_discount_pct: Option<Decimal>,
    /// `honest`, `inflated` or `unverified`; `None` when the offer is not reduced.
    pub verdict: Option<String>,
    pub score: Option<Decimal>,
    pub availability: Option<String>,
    pub active: bool,
    /// When the verdict and score were last computed.
    pub judged_at: Option<DateTime<Utc>>,
}

/// A quality problem found in an offer's data at its latest visit, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityFlagRecord {
    /// A bounded kind such as `price_rejected` or `currency_changed`.
    pub kind: String,
    /// A sentence for people, such as "a price of 0 is not a price".
    pub reason: String,
}

/// One row of an offer's price history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PriceObservationRecord {
    pub observed_at: DateTime<Utc>,
    pub currency: String,
    pub price: Decimal,
    pub previous_price: Option<Decimal>,
    pub availability: Option<String>,
}

/// Every stored column of an offer a reader may want, with its shop's name and health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OfferRecord {
    pub id: i64,
    pub shop_id: String,
    pub shop_name: String,
    pub shop_healthy: bool,
    pub shop_unhealthy_reason: Option<String>,
    pub canonical_url: String,
    pub url: String,
    pub kind: String,
    pub title: String,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub image_url: Option<String>,
    pub sku: Option<String>,
    /// The normalised GTIN-14: offers of other shops with the same one are the same product.
    pub gtin: Option<String>,
    pub currency: Option<String>,
    pub price: Option<Decimal>,
    pub previous_price: Option<Decimal>,
    pub availability: Option<String>,
    pub promo_code: Option<String>,
    pub promo_text: Option<String>,
    pub discount_percent: Option<Decimal>,
    pub ends_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub active: bool,
    pub ended_at: Option<DateTime<Utc>>,
    pub missed_runs: i32,
    pub verdict: Option<String>,
    pub reference_price: Option<Decimal>,
    pub real_discount_pct: Option<Decimal>,
    pub claimed_discount_pct: Option<Decimal>,
    pub reduction_started_at: Option<DateTime<Utc>>,
    pub score: Option<Decimal>,
    pub judged_at: Option<DateTime<Utc>>,
}

/// Everything known about one offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DealDetail {
    pub offer: OfferRecord,
    /// Every price observation, oldest first.
    pub history: Vec<PriceObservationRecord>,
    /// The other offers of the same product (same GTIN), in this shop or others, cheapest first.
    pub elsewhere: Vec<DealRow>,
    /// The quality problems of the latest visit.
    pub quality_flags: Vec<QualityFlagRecord>,
    /// The score's parts, when the offer was scored (and its stored parts are readable by this version).
    pub score_parts: Option<ScoreParts>,
}

/// The columns of a [`DealRow`], over `offers o JOIN shops s` (a macro so that whole statements stay literals).
macro_rules! deal_columns {
    () => {
        "o.id, o.shop_id, s.name AS shop_name, o.kind, o.title, o.brand, o.category, o.image_url, o.url, \
         o.currency::text AS currency, \
         o.price, o.previous_price, o.reference_price, o.real_discount_pct, o.claimed_discount_pct, o.verdict, \
         o.score, o.availability, o.active, o.judged_at"
    };
}

/// An offer with the columns kept as JSON, as read.
#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    offer: OfferRecord,
    quality_flags: Json<Vec<QualityFlagRecord>>,
    score_parts: Option<serde_json::Value>,
}

/// The most words of a search matched one by one (a longer query still matches as a whole).
pub(crate) const MAX_SEARCH_WORDS: usize = 8;

/// The best deals first (score, then id: the `offers_best` index and its per-shop and per-category siblings). Only
/// scored offers are deals: an offer is scored when it has a price and was judged, so promotions without a price are
/// not listed (`deal_detail` shows them).
///
/// The statement holds only the conditions the filter uses, each value bound as a parameter: a condition written
/// `($n IS NULL OR ...)` would make PostgreSQL's reused generic plans ignore the indexes that make each filter fast.
pub async fn list_deals(pool: &PgPool, filter: &DealFilter) -> Result<Vec<DealRow>, sqlx::Error> {
    let shop_ids = match filter_shop_ids(pool, filter).await? {
        Some(ids) if ids.is_empty() => return Ok(Vec::new()),
        shop_ids => shop_ids,
    };
    let limit = filter.limit.max(1);
    let Some(text) = search_text(filter) else {
        let mut query = QueryBuilder::new(concat!(
            "SELECT ",
            deal_columns!(),
            " FROM offers o JOIN shops s ON s.id = o.shop_id WHERE o.score IS NOT NULL"
        ));
        push_filters(&mut query, "o", filter, shop_ids.as_deref());
        push_after(&mut query, filter.after, ("o.score", "o.id"));
        query.push(" ORDER BY o.score DESC, o.id LIMIT ").push_bind(limit);
        let rows: Vec<DealRow> = query.build_query_as().fetch_all(pool).await?;
        return Ok(rows.into_iter().map(DealRow::normalized).collect());
    };

    // A search first chooses its page among the search rows alone, from their copies of the offers' columns (see
    // `push_search`). It is planned with its own words each time (an unnamed statement): whether walking the deals
    // in score order or sorting the few matches is faster depends on how common the words are, which a reused
    // generic plan cannot know (it walked the whole index for a word no offer holds).
    let near = near_words(pool, text).await?;
    let mut page = QueryBuilder::new("SELECT x.offer_id FROM offer_search x WHERE x.score IS NOT NULL");
    push_filters(&mut page, "x", filter, shop_ids.as_deref());
    push_search(&mut page, text, near);
    push_after(&mut page, filter.after, ("x.score", "x.offer_id"));
    page.push(" ORDER BY x.score DESC, x.offer_id LIMIT ").push_bind(limit);
    let ids: Vec<i64> = page.build_query_scalar().persistent(false).fetch_all(pool).await?;
    read_listed(pool, ids, filter, shop_ids.as_deref()).await
}

/// The deals of a page whose offers were chosen from copies of their columns (the search rows, or a web server's
/// copy of them in memory: `deal_index`), in the order of `ids`: only the offers of that page are read (a
/// reused plan: planning a join over the offers and their many indexes cost more than running it), and tested
/// again against `filter`, so that a copy not refreshed yet never shows an ended offer or one outside the filters
/// (the page is a row shorter instead). `shop_ids` are the shops `filter.shop` names.
pub async fn read_listed(
    pool: &PgPool,
    ids: Vec<i64>,
    filter: &DealFilter,
    shop_ids: Option<&[String]>,
) -> Result<Vec<DealRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = listed_offers(ids, filter, shop_ids, "");
    let rows: Vec<DealRow> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(DealRow::normalized).collect())
}

/// [`read_listed`] for a page chosen from a copy of search generation `generation`, which the same statement
/// checks is still the database's (one round trip for both); `None` when it is not: the page may then be wrong.
pub async fn read_listed_of_generation(
    pool: &PgPool,
    ids: Vec<i64>,
    filter: &DealFilter,
    shop_ids: Option<&[String]>,
    generation: i64,
) -> Result<Option<Vec<DealRow>>, sqlx::Error> {
    /// A deal and the database's search generation.
    #[derive(sqlx::FromRow)]
    struct Stamped {
        #[sqlx(flatten)]
        deal: DealRow,
        generation: i64,
    }
    let rows: Vec<Stamped> = if ids.is_empty() {
        Vec::new()
    } else {
        let mut query =
            listed_offers(ids, filter, shop_ids, ", (SELECT generation FROM search_generation) AS generation");
        query.build_query_as().fetch_all(pool).await?
    };
    // No row says the generation: ask it (an empty page, or every offer of it gone from the filters).
    let current = match rows.first() {
        Some(row) => row.generation,
        None => search_index::current_generation(pool).await?,
    };
    Ok((current == generation).then(|| rows.into_iter().map(|row| row.deal.normalized()).collect()))
}

/// The statement of [`read_listed`], with `extra` columns after the deal's.
fn listed_offers(
    ids: Vec<i64>,
    filter: &DealFilter,
    shop_ids: Option<&[String]>,
    extra: &'static str,
) -> QueryBuilder<Postgres> {
    let mut offers = QueryBuilder::new(concat!("SELECT ", deal_columns!()));
    offers.push(extra).push(" FROM unnest(").push_bind(ids).push(
        "::bigint[]) WITH ORDINALITY AS page (id, n) JOIN offers o ON o.id = page.id JOIN shops s ON s.id = o.shop_id
         WHERE o.score IS NOT NULL",
    );
    push_filters(&mut offers, "o", filter, shop_ids);
    offers.push(" ORDER BY page.n");
    offers
}

/// The search text of `filter`, trimmed, when it has one.
pub fn search_text(filter: &DealFilter) -> Option<&str> {
    filter.search.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// The shops `filter.shop` names (`None` when it names none: any shop; an empty list when no shop has that id or
/// name: no deal).
async fn filter_shop_ids(pool: &PgPool, filter: &DealFilter) -> Result<Option<Vec<String>>, sqlx::Error> {
    match &filter.shop {
        None => Ok(None),
        Some(shop) => shop_ids(pool, shop).await.map(Some),
    }
}

/// The conditions of `filter` but the search and the cursor, on the columns of `table` (`o`: the offers, `x`: their
/// search rows, which hold copies of the same columns under the same names). `shop_ids` is the shops `filter.shop`
/// names, when it names one.
fn push_filters(query: &mut QueryBuilder<Postgres>, table: &str, filter: &DealFilter, shop_ids: Option<&[String]>) {
    match filter.activity {
        Activity::Active => query.push(format_args!(" AND {table}.active")),
        Activity::Ended => query.push(format_args!(" AND NOT {table}.active")),
        Activity::Any => &mut *query,
    };
    match shop_ids {
        None => {}
        // An equality on a known value lets the shop's own index (`offers_best_by_shop`) give the rows in score
        // order; with `= ANY(...)` PostgreSQL cannot know it is one shop, and walks every shop's best deals.
        Some([only]) => {
            query.push(format_args!(" AND {table}.shop_id = ")).push_bind(only.clone());
        }
        Some(several) => {
            query.push(format_args!(" AND {table}.shop_id = ANY(")).push_bind(several.to_vec()).push(")");
        }
    }
    if let Some(category) = &filter.category {
        query.push(format_args!(" AND {table}.category = ")).push_bind(category.clone());
    }
    if let Some(min) = filter.min_real_discount {
        query.push(format_args!(" AND {table}.real_discount_pct >= ")).push_bind(min);
    }
    if let Some(min) = filter.min_price {
        query.push(format_args!(" AND {table}.price >= ")).push_bind(min);
    }
    if let Some(max) = filter.max_price {
        query.push(format_args!(" AND {table}.price <= ")).push_bind(max);
    }
    if !filter.verdicts.is_empty() {
        query.push(format_args!(" AND {table}.verdict = ANY(")).push_bind(filter.verdicts.clone()).push(")");
    }
}

/// The keyset condition of the page after `after`, on the list's order columns (score, id).
fn push_after(query: &mut QueryBuilder<Postgres>, after: Option<DealCursor>, (score_column, id_column): (&str, &str)) {
    if let Some(DealCursor { score, id }) = after {
        // The first condition alone is what an index scan can start from.
        query.push(format_args!(" AND {score_column} <= ")).push_bind(score);
        query.push(format_args!(" AND ({score_column} < ")).push_bind(score);
        query.push(format_args!(" OR {id_column} > ")).push_bind(id).push(")");
    }
}

/// The words of the search index near each word of `text` (up to [`MAX_SEARCH_WORDS`]), in order: those containing
/// it (partial words, literal text such as `50%`) or similar to it (pg_trgm's word similarity above its threshold:
/// typos). `None` when some word has none: then only the French words of the whole query can match.
async fn near_words(pool: &PgPool, text: &str) -> Result<Option<Vec<Vec<String>>>, sqlx::Error> {
    let words: Vec<&str> = text.split_whitespace().take(MAX_SEARCH_WORDS).collect();
    let near: Vec<Vec<String>> = word_terms(pool, &words).await?.into_iter().map(|(_, near)| near).collect();
    Ok((!near.iter().any(Vec::is_empty)).then_some(near))
}

/// For each of `words`, in order: its French lexemes as a tsquery's text (`websearch_to_tsquery('french', word)`,
/// e.g. `'chaussur'`), and the indexed words near it (see [`near_words`]). One statement for all the words: what
/// both the search here and the in-memory lists (`deal_index`) ask of PostgreSQL.
///
/// A word shorter than [`MIN_PATTERN_CHARS`] is near only itself: as a pattern (`%a%`) or by similarity, one or
/// two letters would match most of the distinct words, each then looked up among the offers.
pub(crate) async fn word_terms(pool: &PgPool, words: &[&str]) -> Result<Vec<(String, Vec<String>)>, sqlx::Error> {
    let patterns: Vec<String> = words.iter().map(|word| contains_pattern(word)).collect();
    let short: Vec<bool> = words.iter().map(|word| word.chars().count() < MIN_PATTERN_CHARS).collect();
    sqlx::query_as(
        "SELECT websearch_to_tsquery('french'::regconfig, dealcast_fold(q.word))::text,
            CASE WHEN q.short
                THEN ARRAY(SELECT w.word FROM search_words w WHERE w.word = dealcast_fold(q.word))
                ELSE dealcast_near_words(dealcast_fold(q.pattern), dealcast_fold(q.word)) END
         FROM unnest($1::text[], $2::text[], $3::bool[]) WITH ORDINALITY AS q(word, pattern, short, n) ORDER BY q.n",
    )
    .bind(words)
    .bind(patterns)
    .bind(short)
    .fetch_all(pool)
    .await
}

/// The fewest characters of a search word matched as part of other words or by similarity (a trigram's length).
pub const MIN_PATTERN_CHARS: usize = 3;

/// The search condition of a deal list, on its search row `x` (`store::search_index`): the offer's French words
/// match the whole query (websearch syntax: phrases, `-word`, `or`; stemmed, accents ignored), or every word of
/// the query holds one of its `near` words (see [`near_words`]), found among the distinct words before any offer
/// is read. A literal substring of the whole text needs no condition of its own: each of its words is then a
/// substring of one of the text's words.
///
/// Results are ordered by the score copied into the search row (`x.score`) and filtered by the row's copies of the
/// filtered columns: for a common word PostgreSQL then walks `offer_search_ranked` (score order, with the words and
/// the copies) and stops after one page, reading index entries only; for a rare word, or one with a selective
/// shop, category or verdict, it takes the few matching rows from the GIN indexes (which hold those three beside
/// the words) and sorts them. The words are bound as values the planner sees, so that it can tell the two apart.
fn push_search(query: &mut QueryBuilder<Postgres>, text: &str, near: Option<Vec<Vec<String>>>) {
    query.push(" AND (x.words @@ websearch_to_tsquery('french'::regconfig, dealcast_fold(");
    query.push_bind(text.to_owned()).push("))");
    if let Some(near) = near {
        query.push(" OR (true");
        for words in near {
            query.push(" AND x.tokens && ").push_bind(words);
        }
        query.push(")");
    }
    query.push(")");
}

/// The shops a filter's `shop` names: the shop with that id, and any shop with that name in any case.
async fn shop_ids(pool: &PgPool, shop: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM shops WHERE id = $1 OR lower(name) = lower($1) ORDER BY id")
        .bind(shop)
        .fetch_all(pool)
        .await
}

/// Everything known about offer `id`, or `None` when there is no such offer.
pub async fn deal_detail(pool: &PgPool, id: i64) -> Result<Option<DealDetail>, sqlx::Error> {
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT o.id, o.shop_id, s.name AS shop_name, s.healthy AS shop_healthy,
                s.unhealthy_reason AS shop_unhealthy_reason, o.canonical_url, o.url, o.kind, o.title, o.brand,
                o.category, o.image_url, o.sku, o.gtin, o.currency::text AS currency, o.price,
                o.previous_price, o.availability, o.promo_code, o.promo_text, o.discount_percent, o.ends_at,
                o.first_seen_at, o.last_seen_at, o.active, o.ended_at, o.missed_runs, o.verdict, o.reference_price,
                o.real_discount_pct, o.claimed_discount_pct, o.reduction_started_at, o.score, o.judged_at,
                o.quality_flags, o.score_parts
         FROM offers o JOIN shops s ON s.id = o.shop_id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(DetailRow { offer, quality_flags: Json(quality_flags), score_parts: raw_parts }) = row else {
        return Ok(None);
    };
    // Parts stored by an older version may not fit today's type: the offer is still worth showing without them.
    let score_parts = raw_parts.and_then(|raw| match serde_json::from_value::<ScoreParts>(raw) {
        Ok(mut parts) => {
            // The judge computes from numeric(14, 4) columns: "saves 150" reads better than "saves 150.0000".
            parts.facts.saved = normalize(parts.facts.saved);
            Some(parts)
        }
        Err(error) => {
            tracing::warn!(offer = id, %error, "the stored score parts are unreadable; shown without them");
            None
        }
    });

    let history: Vec<PriceObservationRecord> = sqlx::query_as(
        "SELECT observed_at, currency::text AS currency, price, previous_price, availability
         FROM price_observations WHERE offer_id = $1 ORDER BY observed_at",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;

    let elsewhere: Vec<DealRow> = match offer.gtin.as_deref() {
        None => Vec::new(),
        Some(gtin) => {
            const SQL: &str = concat!(
                "SELECT ",
                deal_columns!(),
                " FROM offers o JOIN shops s ON s.id = o.shop_id
                 WHERE o.gtin = $1 AND o.id <> $2
                 ORDER BY o.active DESC, o.price ASC NULLS LAST, o.id"
            );
            sqlx::query_as(SQL).bind(gtin).bind(id).fetch_all(pool).await?
        }
    };

    Ok(Some(DealDetail {
        offer: offer.normalized(),
        history: history.into_iter().map(PriceObservationRecord::normalized).collect(),
        elsewhere: elsewhere.into_iter().map(DealRow::normalized).collect(),
        quality_flags,
        score_parts,
    }))
}

/// An ILIKE pattern matching `text` anywhere, with ILIKE's own wildcards and escape character taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn normalize(amount: Option<Decimal>) -> Option<Decimal> {
    amount.map(|amount| amount.normalize())
}

impl DealRow {
    fn normalized(self) -> Self {
        DealRow {
            price: normalize(self.price),
            previous_price: normalize(self.previous_price),
            reference_price: normalize(self.reference_price),
            real_discount_pct: normalize(self.real_discount_pct),
            claimed_discount_pct: normalize(self.claimed_discount_pct),
            score: normalize(self.score),
            ..self
        }
    }
}

impl OfferRecord {
    fn normalized(self) -> Self {
        OfferRecord {
            price: normalize(self.price),
            previous_price: normalize(self.previous_price),
            discount_percent: normalize(self.discount_percent),
            reference_price: normalize(self.reference_price),
            real_discount_pct: normalize(self.real_discount_pct),
            claimed_discount_pct: normalize(self.claimed_discount_pct),
            score: normalize(self.score),
            ..self
        }
    }
}

impl PriceObservationRecord {
    fn normalized(self) -> Self {
        PriceObservationRecord { price: self.price.normalize(), previous_price: normalize(self.previous_price), ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_pattern_matches_anywhere() {
        assert_eq!(contains_pattern("casque"), "%casque%");
    }

    #[test]
    fn wildcards_in_a_search_are_taken_literally() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn quotes_in_a_search_stay_plain_text() {
        assert_eq!(contains_pattern("'; DROP TABLE offers; --"), "%'; DROP TABLE offers; --%");
    }
}
