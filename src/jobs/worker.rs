//! The worker loop: what a `dealcast worker` process (or the worker inside `dealcast run`) does all day. It runs
//! `concurrency` slots; each claims a job, runs it through the [`JobHandler`] while a background task extends the
//! lease every third of it, then records the outcome. Optionally it also ticks a [`Scheduler`] so that due slots
//! become jobs, under a PostgreSQL advisory lock so that one worker at a time does it.
//!
//! Correctness lives in the database, not here: if this process dies, its leases run out and other workers take its
//! jobs over. What the loop adds is promptness (a slot that finds work wakes an idle sibling, and nobody sleeps while
//! jobs are due), politeness (idle polling is jittered so that workers started together do not poll in step) and a
//! graceful shutdown (stop claiming, let running jobs finish for a grace period, give back the rest).

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::PgPool;
use tokio::sync::{Notify, oneshot, watch};
use tracing::Instrument;

use crate::jobs::{Job, JobError, JobFailure, QueueClock, Scheduler, claim, complete, extend_lease, fail, release};
use crate::store::supervisor::DatabaseHealth;

/// The advisory lock held while ticking the scheduler (an arbitrary constant, "dealcast scheduler").
const SCHEDULER_LOCK: i64 = 0x6465_616c_7363_6864;

/// What runs the jobs of some kinds. `run` answers `Err` for a failure worth retrying; the failure with its causes
/// ([`JobFailure::chain_text`]) is stored as the job's `last_error`.
pub trait JobHandler: Send + Sync {
    /// The job kinds this handler runs; the worker claims only those.
    fn kinds(&self) -> Vec<&'static str>;
    /// Runs one job. The future may be dropped before it finishes (lease lost, shutdown grace over): the job is
    /// then run again elsewhere, so a run must be safe to repeat (idempotent writes).
    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobFailure>>;
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Who holds the leases, in the `jobs` table and in logs (`host:pid` by default). Each slot adds `/n` to it, so
    /// that two slots of one process never mistake each other's leases for their own.
    pub name: String,
    /// How long a claim holds a job without being extended: how long a dead worker's job waits for another worker.
    pub lease: Duration,
    /// How long an idle slot waits before looking for work again (jittered by up to a quarter either way).
    pub poll_interval: Duration,
    /// How many jobs this worker runs at once.
    pub concurrency: usize,
    /// After shutdown is asked, how long running jobs may go on before they are given back to the queue.
    pub shutdown_grace: Duration,
    /// What the database watcher knows (`store::supervisor`): while it says the database is away, no job is
    /// claimed and the scheduler is not ticked; they go on as soon as it is back.
    pub database: Option<DatabaseHealth>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            name: default_worker_name(),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(2),
            concurrency: 4,
            shutdown_grace: Duration::from_secs(30),
            database: None,
        }
    }
}

/// `host:pid`: unique among live workers, and says where to look when a job is stuck.
fn default_worker_name() -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|host| host.into_string().ok())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{host}:{}", std::process::id())
}

/// What the slots of one worker share.
struct Context {
    pool: PgPool,
    handler: Arc<dyn JobHandler>,
    kinds: Vec<&'static str>,
    options: WorkerOptions,
    /// Poked when a slot finds work: there may be more, and an idle sibling should look now.
    work_found: Notify,
}

/// Runs a worker until `shutdown` completes, then stops claiming, lets running jobs finish within
/// `options.shutdown_grace` (giving back those that do not) and returns. Database errors while running are logged
/// and retried after a poll interval: a worker outlives a database restart.
pub async fn run_worker(
    pool: PgPool,
    handler: Arc<dyn JobHandler>,
    scheduler: Option<Arc<dyn Scheduler>>,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), JobError> {
    check_options(&options)?;
    let kinds = handler.kinds();
    let context = Arc::new(Context { pool, handler, kinds, options, work_found: Notify::new() });
    let (stop_sender, stop) = watch::channel(false);
    let mut tasks = Vec::new();
    for slot in 0..context.options.concurrency {
        tasks.push(tokio::spawn(run_slot(context.clone(), format!("{}/{slot}", context.options.name), stop.clone())));
    }
    if let Some(scheduler) = scheduler {
        tasks.push(tokio::spawn(run_scheduler(context.clone(), scheduler, stop.clone())));
    }
    tracing::info!(worker = %context.options.name, kinds = ?context.kinds, "worker started");
    shutdown.await;
    tracing::info!(worker = %context.options.name, "worker stopping: no new claims");
    // Every receiver is held by a task, so the send only fails if all of them already ended.
    let _ = stop_sender.send(true);
    let mut outcome = Ok(());
    for task in tasks {
        if let Err(source) = task.await {
            outcome = Err(JobError::WorkerTask { worker: context.options.name.clone(), source });
        }
    }
    tracing::info!(worker = %context.options.name, "worker stopped");
    outcome
}

fn check_options(options: &WorkerOptions) -> Result<(), JobError> {
    let reason = if options.concurrency == 0 {
        "concurrency must be at least 1"
    } else if options.lease < Duration::from_secs(1) {
        "the lease must be at least a second (it is extended every third of it)"
    } else if options.poll_interval.is_zero() {
        "the poll interval must not be zero"
    } else if options.name.is_empty() {
        "the worker name must not be empty"
    } else {
        return Ok(());
    };
    Err(JobError::Options { reason: reason.to_string() })
}

/// One slot: claims and runs jobs one after the other until told to stop.
async fn run_slot(context: Arc<Context>, worker: String, mut stop: watch::Receiver<bool>) {
    let options = &context.options;
    while !*stop.borrow() {
        if wait_for_database(options.database.as_ref(), &worker, &mut stop).await {
            continue;
        }
        let asked = Instant::now();
        match claim(&context.pool, &worker, &context.kinds, options.lease, QueueClock::Database).await {
            Ok(Some(job)) => {
                context.work_found.notify_one();
                run_job(&context, &worker, job, asked, stop.clone()).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(jittered(options.poll_interval)) => {}
                    _ = context.work_found.notified() => {}
                    _ = stop.changed() => {}
                }
            }
            Err(error) => {
                tracing::warn!(worker = %worker, error = %error, "claiming failed; trying again later");
                tokio::select! {
                    _ = tokio::time::sleep(jittered(options.poll_interval)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

/// While the database watcher says the database is away, waits until it is back (or `stop` changes) instead of
/// asking the dead server again and again. True when it waited.
async fn wait_for_database(database: Option<&DatabaseHealth>, who: &str, stop: &mut watch::Receiver<bool>) -> bool {
    let Some(health) = database.filter(|health| !health.is_available()) else {
        return false;
    };
    tracing::info!(worker = %who, "the database is away: waiting for it to come back before claiming work");
    tokio::select! {
        () = health.wait_until_available() => {
            tracing::info!(worker = %who, "the database is back: claiming work again");
        }
        _ = stop.changed() => {}
    }
    true
}

/// How a job's run ended, as far as this worker knows.
enum Outcome {
    Finished(Result<(), JobFailure>),
    /// Another worker holds the job now: this worker's result must not be recorded.
    LeaseLost,
    /// Shutdown's grace period ran out before the job finished.
    Interrupted,
}

/// Runs one claimed job and records its outcome, in a span naming the job.
async fn run_job(context: &Context, worker: &str, job: Job, claimed_at: Instant, stop: watch::Receiver<bool>) {
    let span = tracing::info_span!("job", id = job.id, kind = %job.kind, key = %job.key, attempt = job.attempts);
    run_job_in_span(context, worker, job, claimed_at, stop).instrument(span).await
}

async fn run_job_in_span(context: &Context, worker: &str, job: Job, claimed_at: Instant, stop: watch::Receiver<bool>) {
    let started = Instant::now();
    let (lost_sender, lost) = oneshot::channel();
    // The lease was set on the database's clock at the claim; this worker counts it down on its own monotonic clock
    // from a moment before the claim returned, which can only end it early, whatever the wall clocks say.
    let keeper = tokio::spawn(keep_lease(
        context.pool.clone(),
        job.id,
        worker.to_string(),
        context.options.lease,
        claimed_at + context.options.lease,
        lost_sender,
    ));
    // A panicking handler is a failed job, not a dead slot.
    let run = AssertUnwindSafe(context.handler.run(&job)).catch_unwind().map(|result| {
        result.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            Err(JobFailure::Panicked { message })
        })
    });
    let outcome = tokio::select! {
        result = run => Outcome::Finished(result),
        Ok(()) = lost => Outcome::LeaseLost,
        () = grace_expired(stop, context.options.shutdown_grace) => Outcome::Interrupted,
    };
    keeper.abort();
    let duration_ms = started.elapsed().as_millis() as u64;
    let pool = &context.pool;
    let recorded = match outcome {
        Outcome::Finished(Ok(())) => {
            tracing::info!(duration_ms, "job succeeded");
            complete(pool, job.id, worker, QueueClock::Database).await
        }
        Outcome::Finished(Err(failure)) => {
            let message = failure.chain_text();
            tracing::warn!(duration_ms, error = %message, "job failed");
            fail(pool, job.id, worker, &message, QueueClock::Database).await
        }
        Outcome::LeaseLost => {
            tracing::warn!(duration_ms, "job abandoned: its lease was lost to another worker");
            Ok(())
        }
        Outcome::Interrupted => {
            tracing::warn!(duration_ms, "job interrupted by shutdown; giving it back");
            release(pool, job.id, worker, QueueClock::Database).await.map(|_| ())
        }
    };
    if let Err(error) = recorded {
        // The lease runs out by itself, and another worker then retries the job.
        tracing::warn!(error = %error, "could not record the job's outcome");
    }
}

/// Extends the lease every third of it until aborted. Tells `lost` when the job is no longer this worker's, or when
/// the lease ran out because the database could not be reached to extend it: either way another worker may be
/// running the job, so this one must stop.
async fn keep_lease(
    pool: PgPool,
    job_id: i64,
    worker: String,
    lease: Duration,
    mut locked_until: Instant,
    lost: oneshot::Sender<()>,
) {
    loop {
        tokio::time::sleep(lease / 3).await;
        let asked = Instant::now();
        // Not waiting past the lease's end for a connection (the pool may wait much longer while the database is
        // away): by then the job may be another worker's.
        let left = locked_until.saturating_duration_since(asked);
        match tokio::time::timeout(left, extend_lease(&pool, job_id, &worker, lease, QueueClock::Database)).await {
            Ok(Ok(true)) => locked_until = asked + lease,
            Ok(Ok(false)) => break,
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "could not extend the lease");
                if Instant::now() >= locked_until {
                    break;
                }
            }
            Err(_) => {
                tracing::warn!("could not extend the lease before it ran out");
                break;
            }
        }
    }
    let _ = lost.send(());
}

/// Completes `grace` after shutdown is asked; never if it is not.
async fn grace_expired(mut stop: watch::Receiver<bool>, grace: Duration) {
    if stop.wait_for(|stopping| *stopping).await.is_err() {
        // The sender is gone without asking to stop: the worker is being dropped, nothing to wait for.
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(grace).await;
}

/// Ticks the scheduler every poll interval (jittered) until told to stop.
async fn run_scheduler(context: Arc<Context>, scheduler: Arc<dyn Scheduler>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if wait_for_database(context.options.database.as_ref(), "scheduler", &mut stop).await {
            continue;
        }
        match tick_alone(&context.pool, scheduler.as_ref()).await {
            Ok(Some(enqueued)) if enqueued > 0 => {
                tracing::info!(enqueued, "scheduler enqueued due jobs");
                context.work_found.notify_one();
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "the scheduler tick failed; trying again later"),
        }
        tokio::select! {
            _ = tokio::time::sleep(jittered(context.options.poll_interval)) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Ticks the scheduler if no other worker is ticking it right now (`None` if one is). The advisory lock is held by
/// one pooled connection's session, so it dies with that session if this process dies mid-tick.
async fn tick_alone(pool: &PgPool, scheduler: &dyn Scheduler) -> Result<Option<usize>, JobError> {
    let lock_error = |source| JobError::Schedule { source };
    let mut connection = pool.acquire().await.map_err(lock_error)?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SCHEDULER_LOCK)
        .fetch_one(&mut *connection)
        .await
        .map_err(lock_error)?;
    if !locked {
        return Ok(None);
    }
    let ticked = scheduler.tick(pool, super::app_clock::now()).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(SCHEDULER_LOCK).execute(&mut *connection).await;
    if unlocked.is_err() {
        // A connection that may still hold the lock must not go back to the pool: closing it releases the lock.
        let _ = connection.detach();
    }
    ticked.map(Some)
}

/// `base` shifted by a random amount up to a quarter of it either way. std's `RandomState` is seeded randomly per
/// instance, which is all the randomness spreading pollers needs, without a dependency for it.
fn jittered(base: Duration) -> Duration {
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let per_mille = 750 + (random % 501) as u32; // 750..=1250
    base.saturating_mul(per_mille) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_quarter_of_the_interval() {
        let base = Duration::from_millis(1000);
        for _ in 0..1000 {
            let waited = jittered(base);
            assert!(waited >= Duration::from_millis(750) && waited <= Duration::from_millis(1250), "{waited:?}");
        }
    }

    #[test]
    fn jitter_actually_varies() {
        let waits: std::collections::HashSet<Duration> = (0..50).map(|_| jittered(Duration::from_secs(1))).collect();
        assert!(waits.len() > 10, "{waits:?}");
    }

    #[test]
    fn the_default_name_says_which_host_and_process_hold_a_lease() {
        let name = WorkerOptions::default().name;
        let (host, pid) = name.rsplit_once(':').unwrap();
        assert!(!host.is_empty());
        assert_eq!(pid, std::process::id().to_string());
    }

    #[test]
    fn unusable_options_are_refused() {
        let options = WorkerOptions { concurrency: 0, ..WorkerOptions::default() };
        assert!(matches!(check_options(&options), Err(JobError::Options { .. })));
        let options = WorkerOptions { lease: Duration::from_millis(10), ..WorkerOptions::default() };
        assert!(matches!(check_options(&options), Err(JobError::Options { .. })));
        assert!(check_options(&WorkerOptions::default()).is_ok());
    }
}
