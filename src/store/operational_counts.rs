//! The figures `/metrics` exposes, counted from the database at each scrape: scrape runs by status, active offers,
//! errors by kind and publications by status, per shop or per account.
//!
//! They are read from the tables rather than counted in memory, because the work happens in any number of worker
//! processes on any number of machines: the database is the only place that sees all of it.

use sqlx::PgPool;

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

/// Counts everything (a handful of aggregate queries; each scans what it counts).
pub async fn operational_counts(pool: &PgPool) -> Result<OperationalCounts, sqlx::Error> {
    let runs_by_status = sqlx::query_as(
        "SELECT shop_id, status, count(*) FROM scrape_runs GROUP BY shop_id, status ORDER BY shop_id, status",
    )
    .fetch_all(pool)
    .await?;
    let offers = sqlx::query_as(
        "SELECT s.id,
             (SELECT count(*) FROM offers o WHERE o.shop_id = s.id AND o.active),
             (SELECT count(*) FROM offers o WHERE o.shop_id = s.id AND o.active AND o.score IS NOT NULL)
         FROM shops s ORDER BY s.id",
    )
    .fetch_all(pool)
    .await?;
    let shop_health = sqlx::query_as("SELECT id, healthy FROM shops ORDER BY id").fetch_all(pool).await?;
    // Only whole counts are summed: the errors object is the scraper's, and one odd value must not break /metrics.
    let errors_by_kind = sqlx::query_as(
        "SELECT r.shop_id, e.key, sum(e.value::text::bigint)::bigint
         FROM scrape_runs r CROSS JOIN LATERAL jsonb_each(r.errors) AS e
         WHERE r.status <> 'running' AND jsonb_typeof(e.value) = 'number' AND e.value::text ~ '^[0-9]{1,18}$'
         GROUP BY r.shop_id, e.key ORDER BY r.shop_id, e.key",
    )
    .fetch_all(pool)
    .await?;
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
    Ok(OperationalCounts { runs_by_status, offers, shop_health, errors_by_kind, publications, last_run_requests })
}
