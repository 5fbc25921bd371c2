//! The job queue's SQL: every state change of a job is one statement (or one short transaction) against the `jobs`
//! table, so that any number of workers in any number of processes can share the queue with PostgreSQL as the only
//! coordinator.
//!
//! A job's life: `pending` (waiting for `run_at`) → `running` (held by `locked_by` until `locked_until`) →
//! `succeeded`, or back to `pending` with a later `run_at` after a failure, or `failed` once `max_attempts` starts
//! have been used. `attempts` counts starts: a claim adds one, whether the job was pending or its previous worker
//! died. Leases are read and written on the database's clock ([`QueueClock::Database`], `now()` in SQL), the one
//! clock every worker shares: a worker whose own clock runs fast must not see running jobs' leases as expired and
//! take them over. Tests may pass an explicit time instead ([`QueueClock::At`], or a `DateTime` directly).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::jobs::JobError;

/// Whose clock a queue statement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueClock {
    /// The database server's (`now()`): what workers use.
    Database,
    /// This time: for tests that play out hours of a queue in a second.
    At(DateTime<Utc>),
}

impl From<DateTime<Utc>> for QueueClock {
    fn from(at: DateTime<Utc>) -> QueueClock {
        QueueClock::At(at)
    }
}

impl QueueClock {
    /// The time to bind: `NULL` stands for the database's `now()` (statements read it as `coalesce($n, now())`).
    fn bound(self) -> Option<DateTime<Utc>> {
        match self {
            QueueClock::Database => None,
            QueueClock::At(at) => Some(at),
        }
    }
}

/// A duration as the milliseconds bound for `coalesce($n, now()) + $m * interval '1 millisecond'`, capped at a
/// thousand years so that an absurd lease cannot overflow the timestamp.
fn millis(duration: Duration) -> i64 {
    const CAP: i64 = 1000 * 366 * 24 * 3600 * 1000;
    i64::try_from(duration.as_millis()).unwrap_or(CAP).min(CAP)
}

/// A job claimed by a worker: what to do, and until when the worker holds it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    /// What to do (`scrape`, `publish`, ...).
    pub kind: String,
    /// What to do it to (a shop id, an account id): at most one job per (kind, key) runs at a time.
    pub key: String,
    pub payload: serde_json::Value,
    /// The schedule slot the job was created for.
    pub scheduled_for: DateTime<Utc>,
    /// How many times the job has been started, this start included.
    pub attempts: i32,
    /// When the lease ends unless the worker extends it.
    pub locked_until: DateTime<Utc>,
}

/// The unique index that allows one running job per (kind, key); two claimers racing for two jobs of one key make
/// the later one hit it.
const ONE_RUNNING_PER_KEY: &str = "jobs_one_running_per_key";

/// How many times a claim is retried after losing a race for a key to another worker. One retry is normally
/// enough: the retried statement sees the winner's running job and skips that key.
const CLAIM_RACE_RETRIES: usize = 5;

/// The first retry waits this long; each further retry waits twice as long as the one before.
const RETRY_BASE: Duration = Duration::from_secs(30);

/// No retry waits longer than this: a shop that failed three times still gets scraped within the hour.
const RETRY_CAP: Duration = Duration::from_secs(3600);

/// Adds a job for a schedule slot. Several schedulers creating the same slot insert it once: the answer is `true`
/// for the one that inserted it. The job may run from `scheduled_for` on.
pub async fn enqueue(
    pool: &PgPool,
    kind: &str,
    key: &str,
    scheduled_for: DateTime<Utc>,
    payload: serde_json::Value,
) -> Result<bool, JobError> {
    let inserted = sqlx::query(
        "INSERT INTO jobs (kind, key, payload, scheduled_for, run_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (kind, key, scheduled_for) DO NOTHING",
    )
    .bind(kind)
    .bind(key)
    .bind(payload)
    .bind(scheduled_for)
    .execute(pool)
    .await
    .map_err(|source| JobError::Enqueue { kind: kind.to_string(), key: key.to_string(), source })?
    .rows_affected();
    Ok(inserted == 1)
}

/// Claims one job of the given kinds for `worker`, holding it until `now + lease`: the oldest due one among the
/// pending jobs whose `run_at` has come and whose (kind, key) has no job running, and the running jobs whose lease
/// expired (their worker died; the claim counts as a new attempt). A job whose lease expired after its last allowed
/// attempt is marked failed instead of being run again, so a job that kills its worker cannot loop for ever.
///
/// Rows other workers are claiming are skipped (`FOR UPDATE SKIP LOCKED`), so claimers never wait for each other.
pub async fn claim(
    pool: &PgPool,
    worker: &str,
    kinds: &[&str],
    lease: Duration,
    now: impl Into<QueueClock>,
) -> Result<Option<Job>, JobError> {
    let claim_error = |source| JobError::Claim { worker: worker.to_string(), source };
    let now = now.into().bound();
    let kinds: Vec<String> = kinds.iter().map(|kind| kind.to_string()).collect();
    give_up_abandoned_jobs(pool, &kinds, now).await.map_err(claim_error)?;
    for _ in 0..CLAIM_RACE_RETRIES {
        let claimed = sqlx::query_as::<_, Job>(
            "WITH candidate AS ( \
                 SELECT id FROM jobs j \
                 WHERE kind = ANY($2) AND ( \
                     (status = 'pending' AND run_at <= coalesce($3, now()) AND NOT EXISTS ( \
                         SELECT 1 FROM jobs other \
                         WHERE other.kind = j.kind AND other.key = j.key AND other.status = 'running')) \
                     OR (status = 'running' AND locked_until <= coalesce($3, now()) AND attempts < max_attempts)) \
                 ORDER BY run_at, id \
                 LIMIT 1 \
                 FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET \
                 last_error = CASE WHEN jobs.status = 'running' \
                     THEN format('the lease of %s expired at %s before it finished', jobs.locked_by, jobs.locked_until) \
                     ELSE jobs.last_error END, \
                 status = 'running', locked_by = $1, \
                 locked_until = coalesce($3, now()) + $4 * interval '1 millisecond', \
                 attempts = jobs.attempts + 1, started_at = coalesce($3, now()), finished_at = NULL \
             FROM candidate WHERE jobs.id = candidate.id \
             RETURNING jobs.id, jobs.kind, jobs.key, jobs.payload, jobs.scheduled_for, jobs.attempts, \
                 jobs.locked_until",
        )
        .bind(worker)
        .bind(&kinds)
        .bind(now)
        .bind(millis(lease))
        .fetch_optional(pool)
        .await;
        match claimed {
            Ok(job) => return Ok(job),
            Err(error) if is_violation_of(&error, ONE_RUNNING_PER_KEY) => continue,
            Err(error) => return Err(claim_error(error)),
        }
    }
    Ok(None)
}

/// Marks failed the running jobs whose lease expired after their last allowed attempt.
async fn give_up_abandoned_jobs(
    pool: &PgPool,
    kinds: &[String],
    now: Option<DateTime<Utc>>,
) -> Result<u64, sqlx::Error> {
    let given_up = sqlx::query(
        "UPDATE jobs SET status = 'failed', finished_at = coalesce($2, now()), locked_until = NULL, \
             last_error = format('the lease of %s expired at %s during its last allowed attempt (%s of %s)', \
                                 locked_by, locked_until, attempts, max_attempts) \
         WHERE id IN ( \
             SELECT id FROM jobs \
             WHERE status = 'running' AND kind = ANY($1) AND locked_until <= coalesce($2, now()) \
                 AND attempts >= max_attempts \
             FOR UPDATE SKIP LOCKED)",
    )
    .bind(kinds)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    if given_up > 0 {
        tracing::warn!(jobs = given_up, "jobs abandoned by their workers on their last attempt are marked failed");
    }
    Ok(given_up)
}

/// Extends `worker`'s lease on a running job to `now + lease`. `false` means the job is no longer this worker's
/// (another worker took it over after the lease expired, or it was cancelled): the worker must stop working on it.
pub async fn extend_lease(
    pool: &PgPool,
    job_id: i64,
    worker: &str,
    lease: Duration,
    now: impl Into<QueueClock>,
) -> Result<bool, JobError> {
    let extended = sqlx::query(
        "UPDATE jobs SET locked_until = coalesce($3, now()) + $4 * interval '1 millisecond' \
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
    )
    .bind(job_id)
    .bind(worker)
    .bind(now.into().bound())
    .bind(millis(lease))
    .execute(pool)
    .await
    .map_err(|source| JobError::ExtendLease { job_id, worker: worker.to_string(), source })?
    .rows_affected();
    Ok(extended == 1)
}

/// Records that `worker` finished a job successfully. [`JobError::LeaseLost`] if the job is no longer its own.
pub async fn complete(pool: &PgPool, job_id: i64, worker: &str, now: impl Into<QueueClock>) -> Result<(), JobError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'succeeded', finished_at = coalesce($3, now()), locked_until = NULL \
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
    )
    .bind(job_id)
    .bind(worker)
    .bind(now.into().bound())
    .execute(pool)
    .await
    .map_err(|source| JobError::Finish { job_id, worker: worker.to_string(), source })?
    .rows_affected();
    if done == 1 { Ok(()) } else { Err(JobError::LeaseLost { job_id, worker: worker.to_string() }) }
}

/// Records that a job failed with `error`. It runs again after [`retry_delay`] while it has attempts left, and is
/// marked failed after its last one. [`JobError::LeaseLost`] if the job is no longer `worker`'s.
pub async fn fail(
    pool: &PgPool,
    job_id: i64,
    worker: &str,
    error: &str,
    now: impl Into<QueueClock>,
) -> Result<(), JobError> {
    let now = now.into().bound();
    let finish_error = |source| JobError::Finish { job_id, worker: worker.to_string(), source };
    // Read, decide in Rust, write: the backoff rule lives in one place (`retry_delay`), and the row lock keeps the
    // transaction's view of the job current.
    let mut transaction = pool.begin().await.map_err(finish_error)?;
    let held: Option<(i32, i32)> = sqlx::query_as(
        "SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND locked_by = $2 AND status = 'running' FOR UPDATE",
    )
    .bind(job_id)
    .bind(worker)
    .fetch_optional(&mut *transaction)
    .await
    .map_err(finish_error)?;
    let Some((attempts, max_attempts)) = held else {
        return Err(JobError::LeaseLost { job_id, worker: worker.to_string() });
    };
    if attempts < max_attempts {
        sqlx::query(
            "UPDATE jobs SET status = 'pending', run_at = coalesce($2, now()) + $4 * interval '1 millisecond', \
                 locked_by = NULL, locked_until = NULL, last_error = $3 \
             WHERE id = $1",
        )
        .bind(job_id)
        .bind(now)
        .bind(error)
        .bind(millis(retry_delay(attempts)))
        .execute(&mut *transaction)
        .await
        .map_err(finish_error)?;
    } else {
        sqlx::query(
            "UPDATE jobs SET status = 'failed', finished_at = coalesce($2, now()), locked_until = NULL, last_error = $3 \
             WHERE id = $1",
        )
        .bind(job_id)
        .bind(now)
        .bind(error)
        .execute(&mut *transaction)
        .await
        .map_err(finish_error)?;
    }
    transaction.commit().await.map_err(finish_error)
}

/// Gives a running job back to the queue, due at once, without counting the interrupted start as an attempt: for a
/// worker that shuts down before the job finished. `false` if the job was no longer `worker`'s.
pub async fn release(pool: &PgPool, job_id: i64, worker: &str, now: impl Into<QueueClock>) -> Result<bool, JobError> {
    let released = sqlx::query(
        "UPDATE jobs SET status = 'pending', run_at = coalesce($3, now()), locked_by = NULL, locked_until = NULL, \
             attempts = greatest(attempts - 1, 0), last_error = format('given back by %s when it shut down', $2::text) \
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
    )
    .bind(job_id)
    .bind(worker)
    .bind(now.into().bound())
    .execute(pool)
    .await
    .map_err(|source| JobError::Finish { job_id, worker: worker.to_string(), source })?
    .rows_affected();
    Ok(released == 1)
}

/// How long a job waits before its next attempt after its `attempts`-th start failed: 30 s, 1 min, 2 min, ...
/// doubling up to an hour, so a shop that is down is not hammered and a passing glitch is retried soon.
pub fn retry_delay(attempts: i32) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 16) as u32;
    RETRY_BASE.saturating_mul(1 << doublings).min(RETRY_CAP)
}

fn is_violation_of(error: &sqlx::Error, constraint: &str) -> bool {
    error.as_database_error().and_then(|database_error| database_error.constraint()) == Some(constraint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(30));
        assert_eq!(retry_delay(2), Duration::from_secs(60));
        assert_eq!(retry_delay(3), Duration::from_secs(120));
        assert_eq!(retry_delay(8), Duration::from_secs(3600));
        assert_eq!(retry_delay(i32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn a_nonsensical_attempt_count_still_gives_the_first_delay() {
        assert_eq!(retry_delay(0), Duration::from_secs(30));
        assert_eq!(retry_delay(-4), Duration::from_secs(30));
    }

    #[test]
    fn a_huge_lease_is_capped_instead_of_panicking() {
        assert_eq!(millis(Duration::MAX), 1000 * 366 * 24 * 3600 * 1000);
        assert_eq!(millis(Duration::from_secs(2)), 2000);
    }
}
