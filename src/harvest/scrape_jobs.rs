//! Scrapes as queued jobs: every shop's cron schedule becomes `scrape` jobs in the `jobs` table, and a worker runs
//! each one as a harvest. Any number of workers on any number of machines share the queue; PostgreSQL's row locks
//! and leases make each due scrape run once, and never two scrapes of one shop at a time.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::deals::score::ScoreWeights;
use crate::harvest::{Clock, harvest_shop};
use crate::jobs::{CronScheduler, Job, JobHandler, ScheduledJob};
use crate::scrape::crawl::CrawlOptions;
use crate::scrape::fetch::Fetcher;
use crate::scrape::registry::Registry;
use crate::store::scrape_runs::RunStatus;

/// The job kind of a shop scrape; its key is the shop id.
pub const SCRAPE_JOB: &str = "scrape";

/// One `scrape` job per shop, on the shop's own schedule and time zone.
pub fn scrape_scheduler(registry: &Registry) -> CronScheduler {
    CronScheduler::new(
        registry
            .shops()
            .map(|shop| ScheduledJob {
                kind: SCRAPE_JOB.to_string(),
                key: shop.id.clone(),
                schedule: shop.spec.schedule.schedule.clone(),
                tz: shop.spec.timezone.0,
                payload: serde_json::Value::Null,
            })
            .collect(),
    )
}

/// Runs `scrape` jobs: harvests the shop named by the job's key.
pub struct HarvestHandler {
    pub pool: PgPool,
    pub fetcher: Fetcher,
    pub registry: Arc<Registry>,
    pub weights: ScoreWeights,
    pub worker: String,
    pub clock: Clock,
}

impl JobHandler for HarvestHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![SCRAPE_JOB]
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), String>> {
        async move {
            // A shop whose file was removed since its job was queued: nothing to retry.
            let shop = self.registry.get(&job.key).map_err(|e| e.to_string())?;
            let harvest = harvest_shop(
                &self.pool,
                &self.fetcher,
                shop,
                &CrawlOptions::default(),
                &self.worker,
                &self.weights,
                &self.clock,
            )
            .await
            .map_err(|e| e.to_string())?;
            tracing::info!(
                shop = %shop.id,
                pages = harvest.counts.pages,
                offers = harvest.counts.seen,
                new = harvest.counts.new,
                changed = harvest.counts.changed,
                duration_ms = harvest.report.duration_ms,
                "scrape finished"
            );
            match harvest.status {
                RunStatus::Succeeded => Ok(()),
                RunStatus::Failed => Err(format!("the scrape of {} failed: {:?}", shop.id, harvest.counts.errors)),
            }
        }
        .boxed()
    }
}
