//! The per-shop counts `/metrics` and the shops pages show (active offers, active deals, runs by status, errors by
//! kind), kept in `shop_counts` by the writers instead of counted at each request.
//!
//! It exists because counting at each request made a public, frequently scraped `/metrics` (and `/shops`) cost an
//! aggregate over every offer and every run, and wait behind any long write to them. Whatever changes these figures
//! recounts its shop once it has committed: a harvest when its run starts and when it ends
//! ([`crate::harvest::harvest_shop`]), the rescoring job and every expiry of promotions (for the shops whose
//! promotions ended), a re-check before posting that ends or re-judges an offer. A recount reads one shop's offers
//! and runs through that shop's indexes (migration `20261207000008_kept_counts.sql`, function
//! `dealcast_recount_shop`, which also filled the table for the data already there); readers read `shop_counts`
//! only.

use std::collections::BTreeMap;

use sqlx::PgPool;
use sqlx::types::Json;

/// One shop's kept counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopCounts {
    pub shop_id: String,
    /// Offers still on the shop.
    pub active_offers: i64,
    /// Active offers with a score: the shop's deals.
    pub active_deals: i64,
    /// Runs by status (`running`, `succeeded`, `failed`, `abandoned`).
    pub runs_by_status: BTreeMap<String, i64>,
    /// Errors by kind, summed over every finished run.
    pub errors_by_kind: BTreeMap<String, i64>,
}

#[derive(sqlx::FromRow)]
struct CountsRow {
    shop_id: String,
    active_offers: i64,
    active_deals: i64,
    runs_by_status: Json<BTreeMap<String, i64>>,
    errors_by_kind: Json<BTreeMap<String, i64>>,
}

/// Recounts `shop`'s row from its offers and runs (after a write that changed them has committed).
pub async fn recount_shop(pool: &PgPool, shop: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT dealcast_recount_shop($1)").bind(shop).execute(pool).await?;
    Ok(())
}

/// Recounts each of `shops` (duplicates are recounted once).
pub async fn recount_shops<'a>(pool: &PgPool, shops: impl IntoIterator<Item = &'a String>) -> Result<(), sqlx::Error> {
    let mut shops: Vec<&String> = shops.into_iter().collect();
    shops.sort_unstable();
    shops.dedup();
    for shop in shops {
        recount_shop(pool, shop).await?;
    }
    Ok(())
}

/// Recounts every shop: for data written without going through the writers above (an import, a test's fixture).
pub async fn recount_all(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT dealcast_recount_shop(id) FROM shops").execute(pool).await?;
    Ok(())
}

/// Every shop's kept counts (or only `only`'s), by shop id; a shop never counted yet counts zeros.
pub async fn shop_counts<'e>(
    db: impl sqlx::PgExecutor<'e>,
    only: Option<&str>,
) -> Result<Vec<ShopCounts>, sqlx::Error> {
    let rows: Vec<CountsRow> = sqlx::query_as(
        "SELECT s.id AS shop_id, COALESCE(c.active_offers, 0) AS active_offers,
             COALESCE(c.active_deals, 0) AS active_deals, COALESCE(c.runs_by_status, '{}') AS runs_by_status,
             COALESCE(c.errors_by_kind, '{}') AS errors_by_kind
         FROM shops s LEFT JOIN shop_counts c ON c.shop_id = s.id
         WHERE ($1::text IS NULL OR s.id = $1)
         ORDER BY s.id",
    )
    .bind(only)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ShopCounts {
            shop_id: row.shop_id,
            active_offers: row.active_offers,
            active_deals: row.active_deals,
            runs_by_status: row.runs_by_status.0,
            errors_by_kind: row.errors_by_kind.0,
        })
        .collect())
}
