//! Storing what a scrape found: one row per offer (shop + canonical URL), a price observation only when the price,
//! the claimed previous price, the availability or the currency changed, and offers that stopped appearing ended.
//! The same product in several shops is the same normalised GTIN-14 in `offers.gtin` (indexed): no products table
//! is written on the way, see migration 0013.
//!
//! Writes are batched: a batch is streamed into a temporary table with `COPY` and merged with one statement (an
//! upsert and the observations it implies, in data-modifying CTEs that see the rows as they were before), because a
//! crawl yields thousands of offers a second and a row-by-row round trip would be the bottleneck. The merge is
//! idempotent: the same batch stored twice changes nothing but `last_seen_at`.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Connection, PgPool};

use crate::scrape::normalize::{NormalizedOffer, ObservationSource};
use crate::scrape::offer::OfferKind;
use crate::scrape::registry::Shop;

/// What storing one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    pub seen: u64,
    pub new: u64,
    pub changed: u64,
    /// Offers that got a new price observation (new ones with a price, and changed ones): to be judged again.
    pub observed: Vec<i64>,
}

impl StoreOutcome {
    pub fn absorb(&mut self, other: StoreOutcome) {
        self.seen += other.seen;
        self.new += other.new;
        self.changed += other.changed;
        self.observed.extend(other.observed);
    }
}

/// Creates or updates the `shops` row of a shop file.
pub async fn register_shop(pool: &PgPool, shop: &Shop) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO shops (id, name, homepage, weight) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, homepage = EXCLUDED.homepage, \
         weight = EXCLUDED.weight, updated_at = now() \
         WHERE (shops.name, shops.homepage, shops.weight) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.homepage, EXCLUDED.weight)",
    )
    .bind(&shop.id)
    .bind(&shop.spec.name)
    .bind(shop.spec.homepage.0.as_str())
    .bind(shop.spec.weight)
    .execute(pool)
    .await?;
    Ok(())
}

const CREATE_INCOMING: &str = "CREATE TEMP TABLE IF NOT EXISTS incoming_offers (
    canonical_url text NOT NULL, url text NOT NULL, kind text NOT NULL, title text NOT NULL, brand text,
    category text, image_url text, sku text, gtin text, currency text, price numeric, previous_price numeric,
    availability text, promo_code text, promo_text text, discount_percent numeric, ends_at timestamptz,
    quality_flags jsonb NOT NULL) ON COMMIT DELETE ROWS";

const COPY_INCOMING: &str = "COPY incoming_offers (canonical_url, url, kind, title, brand, category, image_url, sku, \
    gtin, currency, price, previous_price, availability, promo_code, promo_text, discount_percent, ends_at, \
    quality_flags) FROM STDIN (FORMAT csv)";

/// The merge: $1 shop, $2 run, $3 the time of the visit, $4 the observations' source. `{SET}` is what a known
/// offer takes from the incoming row ([`PAGE_UPDATE`] or [`CARD_UPDATE`]).
const MERGE_TEMPLATE: &str = "
WITH old AS (
    -- One index probe per incoming offer (OFFSET 0 keeps the subquery a parameterised lookup): joining instead
    -- lets the planner hash the shop's whole catalogue for every batch, which grows with the shop.
    SELECT o.id, o.price, o.previous_price, o.availability, o.currency
    FROM incoming_offers i
    CROSS JOIN LATERAL (
        SELECT o.id, o.price, o.previous_price, o.availability, o.currency FROM offers o
        WHERE o.shop_id = $1 AND o.canonical_url = i.canonical_url OFFSET 0) o
), upserted AS (
    INSERT INTO offers AS o (shop_id, canonical_url, url, kind, title, brand, category, image_url, sku, gtin,
        currency, price, previous_price, availability, promo_code, promo_text, discount_percent, ends_at,
        quality_flags, first_seen_at, last_seen_at, last_run_id, missed_runs, active, ended_at)
    SELECT $1, i.canonical_url, i.url, i.kind, i.title, i.brand, i.category, i.image_url, i.sku, i.gtin,
        i.currency, i.price, i.previous_price, i.availability, i.promo_code, i.promo_text,
        i.discount_percent, i.ends_at, i.quality_flags, $3, $3, $2, 0, true, NULL
    FROM incoming_offers i
    ON CONFLICT (shop_id, canonical_url) DO UPDATE SET
{SET}
        quality_flags = EXCLUDED.quality_flags || CASE
            WHEN EXCLUDED.currency IS NOT NULL AND o.currency IS NOT NULL AND EXCLUDED.currency <> o.currency
            THEN jsonb_build_array(jsonb_build_object('kind', 'currency_changed', 'reason',
                format('the currency changed from %s to %s: earlier prices are not compared', o.currency, EXCLUDED.currency)))
            ELSE '[]'::jsonb END,
        last_seen_at = GREATEST(o.last_seen_at, EXCLUDED.last_seen_at),
        last_run_id = EXCLUDED.last_run_id,
        missed_runs = 0,
        active = true,
        ended_at = NULL
    -- xmax is 0 on a row this statement inserted (an updated row carries the updating transaction's id).
    RETURNING o.id, o.price, o.previous_price, o.availability, o.currency, o.xmax = 0 AS inserted
), first_observed AS (
    -- A new offer's first price: its id was just drawn, so no observation can hold it and a plain insert will do
    -- (ON CONFLICT costs a speculative insertion per row).
    INSERT INTO price_observations (offer_id, observed_at, currency, price, previous_price, availability, run_id,
        source)
    SELECT u.id, $3, u.currency, u.price, u.previous_price, u.availability, $2, $4
    FROM upserted u
    WHERE u.inserted AND u.price IS NOT NULL AND u.currency IS NOT NULL
    RETURNING offer_id
), changed_observed AS (
    -- A known offer whose price, claim, availability or currency changed. ON CONFLICT: the same offer may come
    -- twice in a run (two URLs with one canonical form, in two batches) at the run's one visit time.
    INSERT INTO price_observations (offer_id, observed_at, currency, price, previous_price, availability, run_id,
        source)
    SELECT u.id, $3, u.currency, u.price, u.previous_price, u.availability, $2, $4
    FROM upserted u JOIN old ON old.id = u.id
    WHERE NOT u.inserted AND u.price IS NOT NULL AND u.currency IS NOT NULL
        AND (old.price IS DISTINCT FROM u.price OR old.previous_price IS DISTINCT FROM u.previous_price
            OR old.availability IS DISTINCT FROM u.availability OR old.currency IS DISTINCT FROM u.currency)
    ON CONFLICT (offer_id, observed_at) DO NOTHING
    RETURNING offer_id
), observed AS (
    SELECT offer_id FROM first_observed UNION ALL SELECT offer_id FROM changed_observed
)
SELECT u.id, u.inserted AS is_new, ob.offer_id IS NOT NULL AS is_observed
FROM upserted u LEFT JOIN observed ob ON ob.offer_id = u.id";

/// What a known offer takes from a page, an API or a feed: everything read, details kept when the page lost them.
const PAGE_UPDATE: &str = "
        url = EXCLUDED.url,
        kind = EXCLUDED.kind,
        title = EXCLUDED.title,
        brand = COALESCE(EXCLUDED.brand, o.brand),
        category = COALESCE(EXCLUDED.category, o.category),
        image_url = COALESCE(EXCLUDED.image_url, o.image_url),
        sku = COALESCE(EXCLUDED.sku, o.sku),
        gtin = COALESCE(EXCLUDED.gtin, o.gtin),
        -- A rejected price (flagged) keeps the last good one rather than erasing the history's end.
        currency = COALESCE(EXCLUDED.currency, o.currency),
        price = COALESCE(EXCLUDED.price, o.price),
        previous_price = CASE WHEN EXCLUDED.price IS NULL THEN o.previous_price ELSE EXCLUDED.previous_price END,
        availability = COALESCE(EXCLUDED.availability, o.availability),
        promo_code = EXCLUDED.promo_code,
        promo_text = EXCLUDED.promo_text,
        discount_percent = EXCLUDED.discount_percent,
        ends_at = EXCLUDED.ends_at,
";

/// What a known offer takes from a listing card: its prices and stock only.
const CARD_UPDATE: &str = "
        -- A listing card shows the price, the crossed-out price and sometimes the stock: what the product page said
        -- of everything else stays.
        url = o.url,
        kind = o.kind,
        title = o.title,
        brand = COALESCE(o.brand, EXCLUDED.brand),
        category = COALESCE(o.category, EXCLUDED.category),
        image_url = COALESCE(o.image_url, EXCLUDED.image_url),
        sku = COALESCE(o.sku, EXCLUDED.sku),
        gtin = COALESCE(o.gtin, EXCLUDED.gtin),
        currency = COALESCE(EXCLUDED.currency, o.currency),
        price = COALESCE(EXCLUDED.price, o.price),
        previous_price = CASE WHEN EXCLUDED.price IS NULL THEN o.previous_price ELSE EXCLUDED.previous_price END,
        availability = COALESCE(EXCLUDED.availability, o.availability),
        promo_code = o.promo_code,
        promo_text = o.promo_text,
        discount_percent = o.discount_percent,
        ends_at = o.ends_at,
";

/// The merge of page, API and feed offers. Built once from constants and kept for the process's life (sqlx takes
/// only `'static` SQL text, which is how it keeps run-time strings out of queries).
static MERGE_PAGE: LazyLock<&'static str> = LazyLock::new(|| merge_with(PAGE_UPDATE));

/// The merge of listing-card offers.
static MERGE_CARD: LazyLock<&'static str> = LazyLock::new(|| merge_with(CARD_UPDATE));

fn merge_with(update: &'static str) -> &'static str {
    MERGE_TEMPLATE.replace("{SET}", update.trim_matches('\n')).leak()
}

/// Stores one batch of a shop's offers seen by run `run_id` at `seen_at`. Offers with the same canonical URL in
/// the batch collapse to the last one.
pub async fn store_offers(
    pool: &PgPool,
    shop_id: &str,
    run_id: i64,
    offers: &[NormalizedOffer],
    seen_at: DateTime<Utc>,
) -> Result<StoreOutcome, sqlx::Error> {
    let mut unique: Vec<&NormalizedOffer> = Vec::with_capacity(offers.len());
    let mut positions: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for offer in offers {
        match positions.get(offer.canonical_url.as_str()) {
            Some(&index) => unique[index] = offer,
            None => {
                positions.insert(&offer.canonical_url, unique.len());
                unique.push(offer);
            }
        }
    }
    let mut outcome = StoreOutcome::default();
    let mut sources: Vec<ObservationSource> = unique.iter().map(|offer| offer.source).collect();
    sources.sort_unstable_by_key(|source| source.as_str());
    sources.dedup();
    for source in sources {
        let group: Vec<&NormalizedOffer> = unique.iter().copied().filter(|offer| offer.source == source).collect();
        outcome.absorb(store_group(pool, shop_id, run_id, &group, source, seen_at).await?);
    }
    Ok(outcome)
}

/// Stores offers read from one kind of source, in one transaction.
async fn store_group(
    pool: &PgPool,
    shop_id: &str,
    run_id: i64,
    unique: &[&NormalizedOffer],
    source: ObservationSource,
    seen_at: DateTime<Utc>,
) -> Result<StoreOutcome, sqlx::Error> {
    let mut csv = String::with_capacity(unique.len() * 512);
    for offer in unique {
        write_csv_row(&mut csv, offer);
    }
    let mut connection = pool.acquire().await?;
    let mut transaction = connection.begin().await?;
    // Scraped offers can be scraped again: a crash may lose the last batches of a run (which then never counts as
    // succeeded), and in exchange a batch does not wait for its WAL to reach the disk.
    sqlx::raw_sql("SET LOCAL synchronous_commit = off").execute(&mut *transaction).await?;
    sqlx::raw_sql(CREATE_INCOMING).execute(&mut *transaction).await?;
    let mut copy = transaction.copy_in_raw(COPY_INCOMING).await?;
    copy.send(csv.as_bytes()).await?;
    copy.finish().await?;
    let merge: &'static str = if source == ObservationSource::Listing { *MERGE_CARD } else { *MERGE_PAGE };
    let rows: Vec<(i64, bool, bool)> = sqlx::query_as(merge)
        .bind(shop_id)
        .bind(run_id)
        .bind(seen_at)
        .bind(source.as_str())
        .fetch_all(&mut *transaction)
        .await?;
    transaction.commit().await?;
    let mut outcome = StoreOutcome { seen: rows.len() as u64, ..StoreOutcome::default() };
    for (id, is_new, is_observed) in rows {
        if is_new {
            outcome.new += 1;
        } else if is_observed {
            outcome.changed += 1;
        }
        if is_observed {
            outcome.observed.push(id);
        }
    }
    Ok(outcome)
}

/// Batches stored at once, each on its own connection: PostgreSQL then uses every core for one shop and overlaps one
/// batch's waits with another's work, so there are more batches than cores (`benches/ingest.rs` compares settings).
pub const PARALLEL_BATCHES: usize = 4;

/// Stores a whole run's offers in batches of `batch_size`, [`PARALLEL_BATCHES`] at a time.
pub async fn store_batches(
    pool: &PgPool,
    shop_id: &str,
    run_id: i64,
    offers: &[NormalizedOffer],
    batch_size: usize,
    seen_at: DateTime<Utc>,
) -> Result<StoreOutcome, sqlx::Error> {
    use futures::StreamExt;
    let mut outcome = StoreOutcome::default();
    let mut stored = futures::stream::iter(offers.chunks(batch_size.max(1)))
        .map(|batch| store_offers(pool, shop_id, run_id, batch, seen_at))
        .buffer_unordered(PARALLEL_BATCHES);
    while let Some(batch) = stored.next().await {
        outcome.absorb(batch?);
    }
    Ok(outcome)
}

/// Offers that run `run_id` found unchanged without reading them again (their page answered 304, or its sitemap
/// date had not moved): seen, like offers read again, so they neither miss the run nor end. Returns how many.
pub async fn mark_seen(
    pool: &PgPool,
    shop_id: &str,
    run_id: i64,
    canonical_urls: &[String],
    seen_at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if canonical_urls.is_empty() {
        return Ok(0);
    }
    let marked = sqlx::query(
        "UPDATE offers SET last_seen_at = GREATEST(last_seen_at, $4), last_run_id = $2, missed_runs = 0,
             active = true, ended_at = NULL
         WHERE shop_id = $1 AND canonical_url = ANY($3)
           AND (ends_at IS NULL OR ends_at > $4)",
    )
    .bind(shop_id)
    .bind(run_id)
    .bind(canonical_urls)
    .bind(seen_at)
    .execute(pool)
    .await?;
    Ok(marked.rows_affected())
}

/// After a successful run: offers of the shop that this run did not see miss one more run, and end after
/// `runs_to_end` runs in a row. Promotions with an end date are kept until it. Returns how many ended.
pub async fn end_unseen(
    pool: &PgPool,
    shop_id: &str,
    run_id: i64,
    runs_to_end: i32,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let ended: Vec<(bool,)> = sqlx::query_as(
        "UPDATE offers SET missed_runs = missed_runs + 1,
             active = missed_runs + 1 < $3,
             ended_at = CASE WHEN missed_runs + 1 >= $3 THEN $4 ELSE NULL END
         WHERE shop_id = $1 AND active AND last_run_id IS DISTINCT FROM $2
           AND (ends_at IS NULL OR ends_at <= $4)
         RETURNING NOT active",
    )
    .bind(shop_id)
    .bind(run_id)
    .bind(runs_to_end)
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(ended.iter().filter(|(ended,)| *ended).count() as u64)
}

/// Promotions whose end date has passed end (at that date), in every shop. Returns the shop of each promotion that
/// ended (one entry per promotion), whose search rows are then to be refreshed.
pub async fn expire_promotions(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE offers SET active = false, ended_at = ends_at WHERE active AND ends_at <= $1 RETURNING shop_id",
    )
    .bind(now)
    .fetch_all(pool)
    .await
}

fn kind_name(kind: OfferKind) -> &'static str {
    match kind {
        OfferKind::Product => "product",
        OfferKind::PromoCode => "promo_code",
        OfferKind::Sale => "sale",
    }
}

/// One CSV record (PostgreSQL's CSV: an unquoted empty field is NULL, a quoted one is an empty string).
fn write_csv_row(out: &mut String, offer: &NormalizedOffer) {
    let text = |out: &mut String, value: Option<&str>| {
        if let Some(value) = value {
            out.push('"');
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        }
        out.push(',');
    };
    let money = |out: &mut String, value: Option<Decimal>| {
        if let Some(value) = value {
            out.push_str(&value.to_string());
        }
        out.push(',');
    };
    text(out, Some(&offer.canonical_url));
    text(out, Some(&offer.url));
    text(out, Some(kind_name(offer.kind)));
    text(out, Some(&offer.title));
    text(out, offer.brand.as_deref());
    text(out, offer.category.as_deref());
    text(out, offer.image_url.as_deref());
    text(out, offer.sku.as_deref());
    text(out, offer.gtin.as_deref());
    text(out, offer.currency.as_deref());
    money(out, offer.price);
    money(out, offer.previous_price);
    text(out, offer.availability.map(|a| a.as_str()));
    text(out, offer.promo_code.as_deref());
    text(out, offer.promo_text.as_deref());
    money(out, offer.discount_percent);
    text(out, offer.ends_at.map(|t| t.to_rfc3339()).as_deref());
    let flags = serde_json::to_string(&offer.flags).unwrap_or_else(|_| "[]".to_string());
    out.push('"');
    out.push_str(&flags.replace('"', "\"\""));
    out.push_str("\"\n");
}
