//! The record of each scrape of each shop (`scrape_runs`): written when the run starts, completed when it ends, so
//! an operator sees every shop's health (pages, offers, new, changed, errors by kind, duration) and a run that died
//! half-way shows as such.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::scrape::crawl_memory::RequestCounts;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Succeeded,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }
}

/// The counts a finished run records.
#[derive(Debug, Clone, Default)]
pub struct RunCounts {
    pub pages: u64,
    pub seen: u64,
    pub new: u64,
    pub changed: u64,
    pub rejected: u64,
    pub ended: u64,
    pub errors: std::collections::BTreeMap<String, u64>,
    /// What the run's requests were (fetched, 304, skipped by lastmod, listing observations, product pages by
    /// reason).
    pub requests: RequestCounts,
}

/// Opens a run of `shop_id` by `worker`; returns its id. Runs of the shop still marked running are abandoned: a
/// shop is scraped by one worker at a time, so they belong to a worker that died.
pub async fn start_run(pool: &PgPool, shop_id: &str, worker: &str, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE scrape_runs SET status = 'abandoned', finished_at = GREATEST($2, started_at),
             note = 'the worker running it stopped before the end'
         WHERE shop_id = $1 AND status = 'running'",
    )
    .bind(shop_id)
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query_scalar("INSERT INTO scrape_runs (shop_id, worker, started_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(shop_id)
        .bind(worker)
        .bind(now)
        .fetch_one(pool)
        .await
}

/// Completes a run with its counts.
pub async fn finish_run(
    pool: &PgPool,
    run_id: i64,
    status: RunStatus,
    counts: &RunCounts,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let as_i32 = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    sqlx::query(
        "UPDATE scrape_runs SET status = $2, finished_at = GREATEST($3, started_at), pages_fetched = $4, offers_seen = $5,
             offers_new = $6, offers_changed = $7, offers_rejected = $8, offers_ended = $9, errors = $10, note = $11,
             requests = $12
         WHERE id = $1",
    )
    .bind(run_id)
    .bind(status.as_str())
    .bind(now)
    .bind(as_i32(counts.pages))
    .bind(as_i32(counts.seen))
    .bind(as_i32(counts.new))
    .bind(as_i32(counts.changed))
    .bind(as_i32(counts.rejected))
    .bind(as_i32(counts.ended))
    .bind(sqlx::types::Json(&counts.errors))
    .bind(note)
    .bind(sqlx::types::Json(&counts.requests))
    .execute(pool)
    .await?;
    Ok(())
}
