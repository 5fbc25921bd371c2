//! Turning schedules into jobs. A scheduler's tick enqueues the slots that came due; it is idempotent (slots are
//! unique in the `jobs` table and remembered only there), so any worker may run it, and the worker loop runs it
//! under an advisory lock only to spare the others the work.
//!
//! [`CronScheduler`] is the scheduler for cron tables: a list of (kind, key, cron schedule, time zone), such as
//! every shop's scrape schedule. It keeps no memory of its own: the last slot enqueued for a (kind, key) is the
//! newest `scheduled_for` in the table, so a restarted (or another) worker carries on where the last tick stopped.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::jobs::{JobError, due_slots};

/// Something that enqueues the jobs that came due by `now`. Answers how many jobs it added.
pub trait Scheduler: Send + Sync {
    /// Enqueues what came due by `now`. Must be idempotent: several workers may tick, one after the other.
    fn tick<'a>(&'a self, pool: &'a PgPool, now: DateTime<Utc>) -> BoxFuture<'a, Result<usize, JobError>>;
}

/// One recurring job of a [`CronScheduler`].
#[derive(Debug, Clone)]
pub struct ScheduledJob {
    /// The kind of the jobs created (`scrape`).
    pub kind: String,
    /// What they are for (the shop id).
    pub key: String,
    pub schedule: cron::Schedule,
    /// The wall clock the schedule is read on (the shop's time zone).
    pub tz: chrono_tz::Tz,
    /// Given to every job of this schedule.
    pub payload: serde_json::Value,
}

/// A scheduler for a fixed table of cron schedules.
///
/// On each tick, a schedule gets the latest slot that came due since the newest job of its (kind, key) (see
/// [`due_slots`]); a (kind, key) that never had a job gets its latest past slot at once, so a newly added shop is
/// scraped without waiting for its next slot. A new slot supersedes the older slots of the same (kind, key) still
/// waiting to start (they are cancelled): a scrape that is about to happen makes an older queued one pointless, and
/// a slow shop cannot pile up a backlog.
#[derive(Debug, Clone)]
pub struct CronScheduler {
    jobs: Vec<ScheduledJob>,
}

impl CronScheduler {
    /// A scheduler for these recurring jobs (one per (kind, key)).
    pub fn new(jobs: Vec<ScheduledJob>) -> Self {
        CronScheduler { jobs }
    }

    /// This scheduler with one more recurring job.
    pub fn with(mut self, job: ScheduledJob) -> Self {
        self.jobs.push(job);
        self
    }

    async fn enqueue_due(&self, pool: &PgPool, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
        let kinds: Vec<&str> = self.jobs.iter().map(|job| job.kind.as_str()).collect();
        let newest: HashMap<(String, String), DateTime<Utc>> = sqlx::query_as::<_, (String, String, DateTime<Utc>)>(
            "SELECT kind, key, max(scheduled_for) FROM jobs WHERE kind = ANY($1) GROUP BY kind, key",
        )
        .bind(&kinds)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(kind, key, newest)| ((kind, key), newest))
        .collect();
        let mut enqueued = 0;
        for job in &self.jobs {
            let after = newest.get(&(job.kind.clone(), job.key.clone())).copied().unwrap_or(DateTime::<Utc>::MIN_UTC);
            for slot in due_slots(&job.schedule, job.tz, after, now) {
                if enqueue_superseding(pool, job, slot, now).await? {
                    enqueued += 1;
                }
            }
        }
        Ok(enqueued)
    }
}

impl Scheduler for CronScheduler {
    fn tick<'a>(&'a self, pool: &'a PgPool, now: DateTime<Utc>) -> BoxFuture<'a, Result<usize, JobError>> {
        async move { self.enqueue_due(pool, now).await.map_err(|source| JobError::Schedule { source }) }.boxed()
    }
}

/// Enqueues one slot and cancels the older slots of its (kind, key) that have not started, in one transaction.
async fn enqueue_superseding(
    pool: &PgPool,
    job: &ScheduledJob,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO jobs (kind, key, payload, scheduled_for, run_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (kind, key, scheduled_for) DO NOTHING",
    )
    .bind(&job.kind)
    .bind(&job.key)
    .bind(&job.payload)
    .bind(slot)
    .execute(&mut *transaction)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        sqlx::query(
            "UPDATE jobs SET status = 'cancelled', finished_at = $4, \
                 last_error = format('superseded by the slot of %s', $3::timestamptz) \
             WHERE kind = $1 AND key = $2 AND status = 'pending' AND scheduled_for < $3",
        )
        .bind(&job.kind)
        .bind(&job.key)
        .bind(slot)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(inserted)
}
