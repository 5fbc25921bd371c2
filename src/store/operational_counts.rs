//! The figures `/metrics` exposes, read from the database at each scrape: scrape runs by status, active offers,
//! errors by kind and publications by status, per shop or per account.
//!
//! They are read from the database rather than counted in memory, because the work happens in any number of worker
//! processes on any number of machines: the database is the only place that sees all of it. The per-shop figures
//! are the counts the writers keep (`store::kept_counts`), so a scrape of `/metrics` reads a row per shop, never
//! the offers.

use sqlx::PgPool;

use super::kept_counts::shop_counts;
use super::publication_queries::{StatusCount, counts_by_account_and_status};
use super::shop_overview::RunRequests;

/// Everything `/metrics` shows, as (labels..., value) rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationalCounts {
    /// (shop, status, runs).
    pub runs_by_status: Vec<(String, String, i64)>,
    /// (shop, active offers, active deals).
    pub offers: Vec<(String, i64, i64)>,
    /// (shop, healthy).
    pub shop_health: Vec<(String, bool)>,
    /// (shop, error kind, errors over every finished run).
    pub errors_by_kind: Vec<(String, String, i64)>,
    /// Publications by account and status.
    pub publications: Vec<StatusCount>,
    /// (shop, the requests of its latest finished run).
    pub last_run_requests: Vec<(String, RunRequests)>,
}

/// Gathers everything: the per-shop figures from the counts the writers keep (`store::kept_counts`), the shops'
/// health and latest runs by one index probe per shop, the publications by account and status.
pub async fn operational_counts(pool: &PgPool) -> Result<OperationalCounts, sqlx::Error> {
    let kept = shop_counts(pool, None).await?;
    let mut counts = OperationalCounts::default();
    for shop in kept {
        for (status, runs) in &shop.runs_by_status {
            counts.runs_by_status.push((shop.shop_id.clone(), status.clone(), *runs));
        }
        for (kind, errors) in &shop.errors_by_kind {
            counts.errors_by_kind.push((shop.shop_id.clone(), kind.clone(), *errors));
        }
        counts.offers.push((shop.shop_id, shop.active_offers, shop.active_deals));
    }
    let shop_health = sqlx::query_as("SELECT id, healthy FROM shops ORDER BY id").fetch_all(pool).await?;
    let publications = counts_by_account_and_status(pool).await?;
    // One index probe per shop (scrape_runs_by_shop).
    let latest: Vec<(String, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
        "SELECT s.id, r.requests FROM shops s
         CROSS JOIN LATERAL (SELECT requests FROM scrape_runs r WHERE r.shop_id = s.id AND r.status <> 'running'
                             ORDER BY r.started_at DESC LIMIT 1) r
         ORDER BY s.id",
    )
    .fetch_all(pool)
    .await?;
    let last_run_requests =
        latest.into_iter().map(|(shop, json)| (shop, serde_json::from_value(json.0).unwrap_or_default())).collect();
    Ok(OperationalCounts { shop_health, publications, last_run_requests, ..counts })
}
