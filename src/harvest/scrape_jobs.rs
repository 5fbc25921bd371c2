//! Scrapes as queued jobs: every shop's cron schedule becomes `scrape` jobs in the `jobs` table, and a worker runs
//! each one as a harvest. Any number of workers on any number of machines share the queue; PostgreSQL's row locks
//! and leases make each due scrape run once, and never two scrapes of one shop at a time.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::deals::score::ScoreWeights;
use crate::harvest::{Clock, HarvestError, harvest_shop};
use crate::jobs::{CronScheduler, Job, JobFailure, JobHandler, ScheduledJob};
use crate::scrape::crawl::CrawlOptions;
use crate::scrape::fetch::Fetcher;
use crate::scrape::registry::{Registry, RegistryError};
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

/// Why a `scrape` job failed, one variant per step, each naming the shop.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeJobError {
    /// The shop's file was removed since its job was queued.
    #[error("harvest of shop {shop} could not start")]
    UnknownShop {
        shop: String,
        #[source]
        source: RegistryError,
    },

    #[error("harvest of shop {shop} failed")]
    Harvest {
        shop: String,
        #[source]
        source: HarvestError,
    },

    /// The harvest was stored, but the run read no page, or only errors: the shop is tried again.
    #[error("harvest of shop {shop} failed: {}", crawl_errors_text(errors))]
    CrawlFailed { shop: String, errors: BTreeMap<String, u64> },
}

/// The errors of a failed crawl by kind, most frequent first: `3 × http_503, 1 × timeout`.
fn crawl_errors_text(errors: &BTreeMap<String, u64>) -> String {
    if errors.is_empty() {
        return "no page could be read".to_owned();
    }
    let mut by_count: Vec<(&String, &u64)> = errors.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let kinds: Vec<String> = by_count.iter().map(|(kind, count)| format!("{count} × {kind}")).collect();
    format!("the crawl ended with errors ({})", kinds.join(", "))
}

impl HarvestHandler {
    /// Harvests the shop named by `key`.
    async fn scrape(&self, key: &str) -> Result<(), ScrapeJobError> {
        let shop =
            self.registry.get(key).map_err(|source| ScrapeJobError::UnknownShop { shop: key.to_owned(), source })?;
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
        .map_err(|source| ScrapeJobError::Harvest { shop: shop.id.clone(), source })?;
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
            RunStatus::Failed => {
                Err(ScrapeJobError::CrawlFailed { shop: shop.id.clone(), errors: harvest.counts.errors })
            }
        }
    }
}

impl JobHandler for HarvestHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![SCRAPE_JOB]
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobFailure>> {
        async move { self.scrape(&job.key).await.map_err(JobFailure::handler) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_harvest_that_lost_its_database_is_stored_with_the_whole_cause() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let harvest = HarvestError::Store { shop: "kiabi".to_owned(), source: sqlx::Error::Io(refused) };
        let failure = JobFailure::handler(ScrapeJobError::Harvest { shop: "kiabi".to_owned(), source: harvest });
        assert_eq!(
            failure.chain_text(),
            "harvest of shop kiabi failed: storing the offers of kiabi failed: error communicating with database: \
             connection refused"
        );
    }

    #[test]
    fn a_failed_crawl_says_which_errors_it_met_most_often_first() {
        let errors = BTreeMap::from([("timeout".to_owned(), 1), ("http_503".to_owned(), 3)]);
        let failure = JobFailure::handler(ScrapeJobError::CrawlFailed { shop: "kiabi".to_owned(), errors });
        assert_eq!(
            failure.chain_text(),
            "harvest of shop kiabi failed: the crawl ended with errors (3 × http_503, 1 × timeout)"
        );
        let nothing = ScrapeJobError::CrawlFailed { shop: "kiabi".to_owned(), errors: BTreeMap::new() };
        assert_eq!(nothing.to_string(), "harvest of shop kiabi failed: no page could be read");
    }

    #[test]
    fn a_shop_whose_file_was_removed_is_named_with_the_known_ones() {
        let source = RegistryError::UnknownShop {
            id: "gone".to_owned(),
            dir: "scrapers".into(),
            known: "fnac, kiabi".to_owned(),
        };
        let failure = JobFailure::handler(ScrapeJobError::UnknownShop { shop: "gone".to_owned(), source });
        assert_eq!(
            failure.chain_text(),
            "harvest of shop gone could not start: There is no shop `gone` in scrapers (known: fnac, kiabi)."
        );
    }
}
