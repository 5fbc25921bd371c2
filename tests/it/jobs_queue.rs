//! The job queue against a real PostgreSQL: slots enqueued once, racing claimers, leases that expire and are taken
//! over, retries with backoff, cron schedules turned into jobs, and whole workers sharing one queue.
//!
//! Queue tests pass `now` explicitly, so leases expire and backoffs elapse without sleeping; the worker tests run
//! in real time with short intervals and poll the database with a deadline.

use crate::support;

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dealcast::jobs::{
    CronScheduler, Job, JobError, JobFailure, JobHandler, ScheduledJob, Scheduler, WorkerOptions, claim, complete,
    enqueue, extend_lease, fail, run_worker,
};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::json;
use sqlx::PgPool;

const LEASE: Duration = Duration::from_secs(60);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn plus(time: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    time + TimeDelta::seconds(seconds)
}

async fn status_of(pool: &PgPool, id: i64) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT status, attempts, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_enqueued_by_two_schedulers_is_inserted_once() {
    let db = support::fresh_database().await;
    let slot = at("2026-11-26T06:30:00Z");
    let (first, second) = tokio::join!(
        enqueue(&db.pool, "scrape", "kiabi", slot, json!({"shop": "kiabi"})),
        enqueue(&db.pool, "scrape", "kiabi", slot, json!({"shop": "kiabi"})),
    );
    let inserted = [first.unwrap(), second.unwrap()];
    assert_eq!(inserted.iter().filter(|inserted| **inserted).count(), 1, "{inserted:?}");
    // The next slot of the same shop, and the same slot of another shop, are jobs of their own.
    assert!(enqueue(&db.pool, "scrape", "kiabi", plus(slot, 86_400), json!({})).await.unwrap());
    assert!(enqueue(&db.pool, "scrape", "sephora_fr", slot, json!({})).await.unwrap());
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs").fetch_one(&db.pool).await.unwrap();
    assert_eq!(count, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_claimers_racing_on_ten_due_jobs_claim_each_exactly_once() {
    let db = support::fresh_database().await;
    let now = at("2026-11-26T07:00:00Z");
    for shop in 0..10 {
        enqueue(&db.pool, "scrape", &format!("shop{shop}"), plus(now, -60), json!({})).await.unwrap();
    }
    let claimer = |worker: &'static str| {
        let pool = db.pool.clone();
        tokio::spawn(async move {
            let mut claimed = Vec::new();
            while let Some(job) = claim(&pool, worker, &["scrape"], LEASE, now).await.unwrap() {
                claimed.push(job.id);
            }
            claimed
        })
    };
    let (first, second) = tokio::join!(claimer("worker-a"), claimer("worker-b"));
    let all: Vec<i64> = first.unwrap().into_iter().chain(second.unwrap()).collect();
    assert_eq!(all.len(), 10, "{all:?}");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 10, "a job was claimed twice: {all:?}");
    let running: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'running' AND attempts = 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(running, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_claimers_racing_for_two_slots_of_one_shop_get_one_job_between_them() {
    let db = support::fresh_database().await;
    let now = at("2026-11-26T07:00:00Z");
    // Each round makes the claimers race for the one-running-job-per-key rule again.
    for round in 0..20 {
        let key = format!("kiabi{round}");
        enqueue(&db.pool, "scrape", &key, plus(now, -120), json!({})).await.unwrap();
        enqueue(&db.pool, "scrape", &key, plus(now, -60), json!({})).await.unwrap();
        let (first, second) = tokio::join!(
            claim(&db.pool, "worker-a", &["scrape"], LEASE, now),
            claim(&db.pool, "worker-b", &["scrape"], LEASE, now),
        );
        let claimed: Vec<Job> = [first.unwrap(), second.unwrap()].into_iter().flatten().collect();
        assert_eq!(claimed.len(), 1, "round {round}: {claimed:?}");
        // Clear the shop so the next round starts from two pending slots again.
        sqlx::query("UPDATE jobs SET status = 'cancelled' WHERE key = $1").bind(&key).execute(&db.pool).await.unwrap();
    }
}

#[tokio::test]
async fn a_job_waits_while_its_key_runs_with_a_live_lease_and_a_dead_workers_job_is_taken_over() {
    let db = support::fresh_database().await;
    let t0 = at("2026-11-26T07:00:00Z");
    enqueue(&db.pool, "scrape", "kiabi", plus(t0, -120), json!({"slot": 1})).await.unwrap();
    enqueue(&db.pool, "scrape", "kiabi", plus(t0, -60), json!({"slot": 2})).await.unwrap();

    let first = claim(&db.pool, "worker-a", &["scrape"], LEASE, t0).await.unwrap().unwrap();
    assert_eq!(first.payload, json!({"slot": 1}));
    assert_eq!(first.attempts, 1);
    assert_eq!(first.locked_until, plus(t0, 60));
    // The second slot of the same shop is due, but kiabi is being scraped: nobody may claim it.
    assert_eq!(claim(&db.pool, "worker-b", &["scrape"], LEASE, plus(t0, 30)).await.unwrap(), None);
    assert_eq!(claim(&db.pool, "worker-b", &["scrape"], LEASE, plus(t0, 59)).await.unwrap(), None);

    // worker-a died without extending its lease; once it expires, worker-b takes the job over.
    let taken_over = claim(&db.pool, "worker-b", &["scrape"], LEASE, plus(t0, 61)).await.unwrap().unwrap();
    assert_eq!(taken_over.id, first.id);
    assert_eq!(taken_over.attempts, 2);
    let (_, _, last_error) = status_of(&db.pool, first.id).await;
    assert!(last_error.unwrap().contains("worker-a"));
    // Still one shop, one scrape at a time.
    assert_eq!(claim(&db.pool, "worker-c", &["scrape"], LEASE, plus(t0, 62)).await.unwrap(), None);

    // worker-a comes back from the dead: the job is not its own any more.
    assert!(!extend_lease(&db.pool, first.id, "worker-a", LEASE, plus(t0, 63)).await.unwrap());
    assert!(matches!(
        complete(&db.pool, first.id, "worker-a", plus(t0, 63)).await,
        Err(JobError::LeaseLost { job_id, .. }) if job_id == first.id
    ));
    assert!(matches!(
        fail(&db.pool, first.id, "worker-a", "late", plus(t0, 63)).await,
        Err(JobError::LeaseLost { .. })
    ));

    // worker-b keeps its lease alive past the original expiry, finishes, and frees the shop for the next slot.
    assert!(extend_lease(&db.pool, first.id, "worker-b", LEASE, plus(t0, 100)).await.unwrap());
    assert_eq!(claim(&db.pool, "worker-c", &["scrape"], LEASE, plus(t0, 150)).await.unwrap(), None);
    complete(&db.pool, first.id, "worker-b", plus(t0, 151)).await.unwrap();
    assert_eq!(status_of(&db.pool, first.id).await.0, "succeeded");
    let second = claim(&db.pool, "worker-c", &["scrape"], LEASE, plus(t0, 152)).await.unwrap().unwrap();
    assert_eq!(second.payload, json!({"slot": 2}));
}

#[tokio::test]
async fn a_job_whose_worker_died_on_its_last_attempt_fails_and_frees_its_key() {
    let db = support::fresh_database().await;
    let t0 = at("2026-11-26T07:00:00Z");
    enqueue(&db.pool, "scrape", "kiabi", plus(t0, -120), json!({"slot": 1})).await.unwrap();
    enqueue(&db.pool, "scrape", "kiabi", plus(t0, -60), json!({"slot": 2})).await.unwrap();
    sqlx::query("UPDATE jobs SET max_attempts = 1").execute(&db.pool).await.unwrap();

    let doomed = claim(&db.pool, "worker-a", &["scrape"], LEASE, t0).await.unwrap().unwrap();
    assert_eq!(doomed.payload, json!({"slot": 1}));
    // After the lease, the job that (perhaps) killed its worker is not run again; the shop's next slot is.
    let next = claim(&db.pool, "worker-b", &["scrape"], LEASE, plus(t0, 61)).await.unwrap().unwrap();
    assert_eq!(next.payload, json!({"slot": 2}));
    let (status, attempts, last_error) = status_of(&db.pool, doomed.id).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(last_error.unwrap().contains("last allowed attempt"));
}

#[tokio::test]
async fn a_failed_job_is_retried_later_and_later_then_given_up_after_its_last_attempt() {
    let db = support::fresh_database().await;
    let t0 = at("2026-11-26T07:00:00Z");
    enqueue(&db.pool, "scrape", "kiabi", t0, json!({})).await.unwrap();
    assert_eq!(claim(&db.pool, "w", &["scrape"], LEASE, plus(t0, -1)).await.unwrap(), None, "not due yet");

    let job = claim(&db.pool, "w", &["scrape"], LEASE, t0).await.unwrap().unwrap();
    fail(&db.pool, job.id, "w", "HTTP 503 from kiabi.fr", t0).await.unwrap();
    assert_eq!(status_of(&db.pool, job.id).await, ("pending".into(), 1, Some("HTTP 503 from kiabi.fr".into())));
    // First retry after 30 s.
    assert_eq!(claim(&db.pool, "w", &["scrape"], LEASE, plus(t0, 29)).await.unwrap(), None);
    let retry = claim(&db.pool, "w", &["scrape"], LEASE, plus(t0, 30)).await.unwrap().unwrap();
    assert_eq!((retry.id, retry.attempts), (job.id, 2));

    // Second retry after a further minute.
    let t1 = plus(t0, 40);
    fail(&db.pool, job.id, "w", "timeout", t1).await.unwrap();
    assert_eq!(claim(&db.pool, "w", &["scrape"], LEASE, plus(t1, 59)).await.unwrap(), None);
    let last = claim(&db.pool, "w", &["scrape"], LEASE, plus(t1, 60)).await.unwrap().unwrap();
    assert_eq!(last.attempts, 3);

    // The third failure is the last one (max_attempts defaults to 3).
    fail(&db.pool, job.id, "w", "timeout again", plus(t1, 70)).await.unwrap();
    assert_eq!(status_of(&db.pool, job.id).await, ("failed".into(), 3, Some("timeout again".into())));
    assert_eq!(claim(&db.pool, "w", &["scrape"], LEASE, plus(t1, 100_000)).await.unwrap(), None);
}

#[tokio::test]
async fn a_claimer_takes_only_the_kinds_it_runs() {
    let db = support::fresh_database().await;
    let t0 = at("2026-11-26T07:00:00Z");
    enqueue(&db.pool, "publish", "twittzat", t0, json!({})).await.unwrap();
    assert_eq!(claim(&db.pool, "w", &["scrape"], LEASE, t0).await.unwrap(), None);
    assert_eq!(claim(&db.pool, "w", &["scrape", "publish"], LEASE, t0).await.unwrap().unwrap().kind, "publish");
}

fn paris_schedule(kind: &str, key: &str, cron: &str) -> ScheduledJob {
    ScheduledJob {
        kind: kind.to_string(),
        key: key.to_string(),
        schedule: cron::Schedule::from_str(cron).unwrap(),
        tz: chrono_tz::Europe::Paris,
        payload: json!({"shop": key}),
    }
}

async fn jobs_of(pool: &PgPool, key: &str) -> Vec<(DateTime<Utc>, String)> {
    sqlx::query_as("SELECT scheduled_for, status FROM jobs WHERE key = $1 ORDER BY scheduled_for")
        .bind(key)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cron_schedules_become_jobs_once_per_slot_on_the_shops_clock() {
    let db = support::fresh_database().await;
    let scheduler = CronScheduler::new(vec![
        paris_schedule("scrape", "kiabi", "0 30 6 * * *"),
        paris_schedule("scrape", "sephora_fr", "0 0 */6 * * *"),
    ]);
    // First sight: each shop gets its latest past slot at once (06:30 Paris is 05:30 UTC in November).
    let now = at("2026-11-26T09:10:00Z");
    let (first, second) = tokio::join!(scheduler.tick(&db.pool, now), scheduler.tick(&db.pool, now));
    assert_eq!(first.unwrap() + second.unwrap(), 2);
    assert_eq!(jobs_of(&db.pool, "kiabi").await, [(at("2026-11-26T05:30:00Z"), "pending".to_string())]);
    assert_eq!(jobs_of(&db.pool, "sephora_fr").await, [(at("2026-11-26T05:00:00Z"), "pending".to_string())]);
    // Nothing new came due.
    assert_eq!(scheduler.tick(&db.pool, plus(now, 3600)).await.unwrap(), 0);

    // Days later (the workers were down): one new job per shop, for its latest slot; the stale waiting slot of each
    // shop is superseded.
    let later = at("2026-11-29T11:00:00Z");
    assert_eq!(scheduler.tick(&db.pool, later).await.unwrap(), 2);
    assert_eq!(
        jobs_of(&db.pool, "kiabi").await,
        [(at("2026-11-26T05:30:00Z"), "cancelled".to_string()), (at("2026-11-29T05:30:00Z"), "pending".to_string())]
    );
    assert_eq!(jobs_of(&db.pool, "sephora_fr").await.last().unwrap().0, at("2026-11-29T11:00:00Z"));
}

#[tokio::test]
async fn a_slot_that_is_running_is_not_superseded() {
    let db = support::fresh_database().await;
    let scheduler = CronScheduler::new(vec![paris_schedule("scrape", "kiabi", "0 0 * * * *")]);
    let now = at("2026-11-26T09:10:00Z");
    scheduler.tick(&db.pool, now).await.unwrap();
    let running = claim(&db.pool, "w", &["scrape"], LEASE, now).await.unwrap().unwrap();
    scheduler.tick(&db.pool, plus(now, 3600)).await.unwrap();
    assert_eq!(status_of(&db.pool, running.id).await.0, "running");
    complete(&db.pool, running.id, "w", plus(now, 3601)).await.unwrap();
}

/// Records every job it runs; waits a little in each, so that jobs overlap across workers.
struct Recorder {
    seen: Mutex<Vec<i64>>,
}

impl JobHandler for Recorder {
    fn kinds(&self) -> Vec<&'static str> {
        vec!["scrape"]
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobFailure>> {
        async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            self.seen.lock().unwrap().push(job.id);
            Ok(())
        }
        .boxed()
    }
}

fn test_options(name: &str) -> WorkerOptions {
    WorkerOptions {
        name: name.to_string(),
        lease: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
        concurrency: 2,
        shutdown_grace: Duration::from_secs(5),
        ..WorkerOptions::default()
    }
}

/// Polls `query` (a count) until it reaches `expected`, for at most ten seconds.
async fn wait_for_count(pool: &PgPool, query: &'static str, expected: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let count: i64 = sqlx::query_scalar(query).fetch_one(pool).await.unwrap();
        if count == expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "`{query}` stayed at {count}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_process_ten_jobs_exactly_once_and_shut_down_gracefully() {
    let db = support::fresh_database().await;
    let now = Utc::now();
    for shop in 0..10 {
        enqueue(&db.pool, "scrape", &format!("shop{shop}"), plus(now, -60), json!({})).await.unwrap();
    }
    let recorder = Arc::new(Recorder { seen: Mutex::new(Vec::new()) });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = |name: &str| {
        let mut stopped = stopped.clone();
        tokio::spawn(run_worker(db.pool.clone(), recorder.clone(), None, test_options(name), async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }))
    };
    let (first, second) = (worker("worker-a"), worker("worker-b"));

    wait_for_count(&db.pool, "SELECT count(*) FROM jobs WHERE status = 'succeeded'", 10).await;
    stop.send(true).unwrap();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();

    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 10, "{seen:?}");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 10, "a job ran twice: {seen:?}");
    let attempts: Vec<i32> = sqlx::query_scalar("SELECT attempts FROM jobs").fetch_all(&db.pool).await.unwrap();
    assert_eq!(attempts, [1; 10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_with_schedulers_enqueue_and_run_each_due_slot_once() {
    let db = support::fresh_database().await;
    let scheduler: Arc<dyn Scheduler> = Arc::new(CronScheduler::new(
        (0..3).map(|shop| paris_schedule("scrape", &format!("shop{shop}"), "0 0 6 * * *")).collect(),
    ));
    let recorder = Arc::new(Recorder { seen: Mutex::new(Vec::new()) });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = |name: &str| {
        let mut stopped = stopped.clone();
        tokio::spawn(run_worker(
            db.pool.clone(),
            recorder.clone(),
            Some(scheduler.clone()),
            test_options(name),
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            },
        ))
    };
    let (first, second) = (worker("worker-a"), worker("worker-b"));
    wait_for_count(&db.pool, "SELECT count(*) FROM jobs WHERE status = 'succeeded'", 3).await;
    // A few more ticks of both schedulers add nothing: the slot is already there.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).unwrap();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs").fetch_one(&db.pool).await.unwrap();
    assert_eq!(count, 3);
    assert_eq!(recorder.seen.lock().unwrap().len(), 3);
}

/// A step of a job that failed, with its cause as its source.
#[derive(Debug, thiserror::Error)]
#[error("fetching the catalogue failed")]
struct CatalogueUnreachable(#[source] std::io::Error);

/// Fails in the ways a scrape can: an error with its cause, a panic, or never finishing (and noting when it is
/// dropped).
struct Troublemaker {
    dropped: Arc<tokio::sync::Notify>,
}

struct NoteDrop(Arc<tokio::sync::Notify>);

impl Drop for NoteDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl JobHandler for Troublemaker {
    fn kinds(&self) -> Vec<&'static str> {
        vec!["trouble"]
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobFailure>> {
        async move {
            match job.key.as_str() {
                "error" => {
                    Err(JobFailure::handler(CatalogueUnreachable(std::io::Error::other("the shop answered 503"))))
                }
                "panic" => panic!("engine bug"),
                _ => {
                    let _note = NoteDrop(self.dropped.clone());
                    std::future::pending::<Result<(), JobFailure>>().await
                }
            }
        }
        .boxed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_panicking_job_is_retried_and_a_job_unfinished_at_shutdown_is_given_back() {
    let db = support::fresh_database().await;
    let now = Utc::now();
    for key in ["error", "panic", "hang"] {
        enqueue(&db.pool, "trouble", key, plus(now, -1), json!({})).await.unwrap();
    }
    let dropped = Arc::new(tokio::sync::Notify::new());
    let handler = Arc::new(Troublemaker { dropped: dropped.clone() });
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let options = WorkerOptions { concurrency: 3, shutdown_grace: Duration::from_millis(200), ..test_options("w") };
    let worker = tokio::spawn(run_worker(db.pool.clone(), handler, None, options, async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    }));
    wait_for_count(&db.pool, "SELECT count(*) FROM jobs WHERE status = 'pending' AND attempts = 1", 2).await;
    wait_for_count(&db.pool, "SELECT count(*) FROM jobs WHERE status = 'running'", 1).await;
    stop.send(true).unwrap();
    worker.await.unwrap().unwrap();
    dropped.notified().await;

    let rows: Vec<(String, String, i32, Option<String>)> =
        sqlx::query_as("SELECT key, status, attempts, last_error FROM jobs ORDER BY key")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let (error, hang, panic) = (&rows[0], &rows[1], &rows[2]);
    assert_eq!(
        (error.1.as_str(), error.3.as_deref()),
        ("pending", Some("fetching the catalogue failed: the shop answered 503"))
    );
    assert_eq!(panic.1, "pending");
    assert!(panic.3.as_deref().unwrap().contains("panicked: engine bug"), "{panic:?}");
    // Given back: due again at once, and the interrupted start does not count against the job.
    assert_eq!((hang.1.as_str(), hang.2), ("pending", 0));
    assert!(hang.3.as_deref().unwrap().contains("given back by w/"), "{hang:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_loses_its_lease_stops_working_on_the_job() {
    let db = support::fresh_database().await;
    enqueue(&db.pool, "trouble", "hang", plus(Utc::now(), -1), json!({})).await.unwrap();
    let dropped = Arc::new(tokio::sync::Notify::new());
    let handler = Arc::new(Troublemaker { dropped: dropped.clone() });
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let options = WorkerOptions { lease: Duration::from_secs(1), concurrency: 1, ..test_options("w") };
    let worker = tokio::spawn(run_worker(db.pool.clone(), handler, None, options, async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    }));
    wait_for_count(&db.pool, "SELECT count(*) FROM jobs WHERE status = 'running'", 1).await;
    // Another worker took the job over (as if this one had stalled past its lease).
    sqlx::query("UPDATE jobs SET locked_by = 'thief', locked_until = now() + interval '1 hour'")
        .execute(&db.pool)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), dropped.notified()).await.expect("the handler was not stopped");
    stop.send(true).unwrap();
    worker.await.unwrap().unwrap();
    // The thief's claim stands: this worker recorded nothing.
    let (locked_by, status): (String, String) =
        sqlx::query_as("SELECT locked_by, status FROM jobs").fetch_one(&db.pool).await.unwrap();
    assert_eq!((locked_by.as_str(), status.as_str()), ("thief", "running"));
}
