//! Rescoring as a queued job: every hour, one `rescore` job recomputes the time-dependent parts of the active
//! offers' scores (`harvest::rescoring`), so that lists, API, feeds and the publisher rank by the score as of now
//! between harvests, and prunes the page copies of old posts' evidence (`store::evidence`). Its slots are unique
//! in the `jobs` table like the scrapes', so however many workers tick the scheduler, each hour is rescored once.

use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::deals::score::ScoreWeights;
use crate::harvest::Clock;
use crate::harvest::rescoring::{RescoreOptions, rescore_active};
use crate::jobs::{Job, JobFailure, JobHandler, ScheduledJob};
use crate::store::evidence::prune_pages;

/// The job kind of a rescoring; its key is always [`RESCORE_KEY`].
pub const RESCORE_JOB: &str = "rescore";
/// The one key of the rescoring jobs (there is one rescoring for the whole catalogue).
pub const RESCORE_KEY: &str = "active_offers";

/// Every hour, at minute 5 (UTC: the rescoring has no shop and no wall clock of its own).
pub fn rescore_schedule() -> ScheduledJob {
    ScheduledJob {
        kind: RESCORE_JOB.to_owned(),
        key: RESCORE_KEY.to_owned(),
        schedule: "0 5 * * * *".parse().expect("a valid built-in cron schedule"),
        tz: chrono_tz::UTC,
        payload: serde_json::Value::Null,
    }
}

/// Runs `rescore` jobs.
pub struct RescoreHandler {
    pub pool: PgPool,
    pub weights: ScoreWeights,
    pub options: RescoreOptions,
    pub clock: Clock,
    /// How long the page copies of the posts' evidence are kept (`store::evidence`); pruned at each run.
    pub page_retention: chrono::TimeDelta,
}

/// Why a `rescore` job failed, one variant per step.
#[derive(Debug, thiserror::Error)]
pub enum RescoreJobError {
    #[error("rescoring the active offers failed")]
    Rescore {
        #[source]
        source: sqlx::Error,
    },

    #[error("pruning the page copies of old posts' evidence failed")]
    PruneEvidence {
        #[source]
        source: sqlx::Error,
    },
}

impl RescoreHandler {
    /// Rescores the active offers as of now, then prunes old page copies.
    async fn rescore(&self) -> Result<(), RescoreJobError> {
        let now = (self.clock)();
        let report = rescore_active(&self.pool, &self.weights, now, &self.options)
            .await
            .map_err(|source| RescoreJobError::Rescore { source })?;
        tracing::info!(
            examined = report.examined,
            rewritten = report.rewritten,
            search_rows = report.search_rows,
            ended = report.ended,
            "rescoring finished"
        );
        let pruned = prune_pages(&self.pool, now, self.page_retention)
            .await
            .map_err(|source| RescoreJobError::PruneEvidence { source })?;
        if pruned > 0 {
            tracing::info!(pruned, "page copies of old posts' evidence pruned");
        }
        Ok(())
    }
}

impl JobHandler for RescoreHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![RESCORE_JOB]
    }

    fn run<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<(), JobFailure>> {
        async move { self.rescore().await.map_err(JobFailure::handler) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_rescoring_is_due_once_an_hour() {
        let job = rescore_schedule();
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).single().expect("a valid date");
        assert_eq!(crate::jobs::due_slots(&job.schedule, job.tz, at(10, 0), at(11, 0)), [at(10, 5)]);
        assert!(crate::jobs::due_slots(&job.schedule, job.tz, at(10, 5), at(11, 4)).is_empty());
    }

    #[test]
    fn a_rescoring_that_lost_its_database_is_stored_with_the_whole_cause() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let failure = JobFailure::handler(RescoreJobError::Rescore { source: sqlx::Error::Io(refused) });
        assert_eq!(
            failure.chain_text(),
            "rescoring the active offers failed: error communicating with database: connection refused"
        );
    }
}
