//! Leases and locks that do not trust a worker's clock nor a failed unlock.

use crate::support;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use dealcast::jobs::{QueueClock, app_clock, claim, enqueue, extend_lease};
use dealcast::publish::account_state;
use sqlx::postgres::PgPoolOptions;
use support::loopback_shop;

const LEASE: Duration = Duration::from_secs(60);

/// Workers pass [`QueueClock::Database`] (see `jobs::worker`): their own wall clock is never read for leases, so
/// how far ahead it runs cannot matter. What a fast clock used to do is shown by a claim at that clock's time.
#[tokio::test]
async fn a_worker_whose_clock_is_ahead_does_not_take_over_a_running_job() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    enqueue(pool, "scrape", "kiabi", Utc::now() - TimeDelta::seconds(5), serde_json::json!({})).await.unwrap();
    let job = claim(pool, "worker-a", &["scrape"], LEASE, QueueClock::Database).await.unwrap().expect("a claims");
    let db_now: chrono::DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(pool).await.unwrap();
    let lease_left = job.locked_until - db_now;
    assert!(lease_left > TimeDelta::seconds(55) && lease_left <= TimeDelta::seconds(60), "{lease_left}");

    // Worker b, on the database's clock: the job is a's for another minute.
    assert_eq!(claim(pool, "worker-b", &["scrape"], LEASE, QueueClock::Database).await.unwrap(), None);
    let holder: String =
        sqlx::query_scalar("SELECT locked_by FROM jobs WHERE id = $1").bind(job.id).fetch_one(pool).await.unwrap();
    assert_eq!(holder, "worker-a");
    assert!(extend_lease(pool, job.id, "worker-a", LEASE, QueueClock::Database).await.unwrap());

    // The same worker reading its own clock, two minutes fast, would have taken the running job over.
    let fast_clock = Utc::now() + TimeDelta::minutes(2);
    let taken = claim(pool, "worker-b", &["scrape"], LEASE, QueueClock::At(fast_clock)).await.unwrap();
    assert_eq!(taken.map(|job| job.id), Some(job.id), "the hazard the database clock removes");
}

#[tokio::test]
async fn a_failed_unlock_does_not_leave_the_lock_held_by_a_pooled_connection() {
    let db = support::fresh_database().await;
    // A role that may take advisory locks but, once EXECUTE is revoked below, not release them: the unlock fails
    // while the session still holds the lock.
    let role = format!("unlocker_{}", db.name);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE ROLE {role} LOGIN"))).execute(&db.pool).await.unwrap();
    let one_connection = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.options.clone().username(&role))
        .await
        .expect("connect as the unprivileged role");
    let lock = account_state::try_lock(&one_connection, "paris").await.unwrap().expect("the lock is free");
    sqlx::raw_sql("REVOKE EXECUTE ON FUNCTION pg_advisory_unlock(bigint) FROM PUBLIC").execute(&db.pool).await.unwrap();
    let error = lock.release().await.expect_err("the unlock is refused");
    assert!(error.to_string().contains("permission denied"), "{error}");

    // The lock is gone from the server, with the session that held it...
    let held = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND d.datname = current_database()",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while held().await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(held().await, 0, "no connection still holds the publisher lock");
    // ...and the pool's next connection can take it.
    let again = account_state::try_lock(&one_connection, "paris").await.unwrap();
    assert!(again.is_some(), "the account is not left busy");
    drop(again);
    one_connection.close().await;
    sqlx::raw_sql("GRANT EXECUTE ON FUNCTION pg_advisory_unlock(bigint) TO PUBLIC").execute(&db.pool).await.unwrap();
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE {role}"))).execute(&db.pool).await;
}

/// A `dealcast worker` process, killed if the test ends before stopping it.
struct WorkerProcess(std::process::Child);

impl WorkerProcess {
    /// Starts worker `name` over the shop files in `scrapers`, with its application clock `skew_secs` ahead: it
    /// runs the jobs the test queues (it schedules none), one at a time (so a worker busy with the slow scrape
    /// cannot take the fast one too), with a 60-second lease (half of the skew the test gives a worker: a lease that
    /// worker judged by its own clock would look expired from its first poll).
    fn start(name: &str, scrapers: &std::path::Path, database_url: &str, skew_secs: i64) -> WorkerProcess {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dealcast"));
        command
            .args(["--scrapers", scrapers.to_str().unwrap(), "worker", "--name", name, "--no-schedule"])
            .args(["--lease-secs", "60", "--poll-ms", "100", "--concurrency", "1"])
            .env("DATABASE_URL", database_url)
            .env("DEALCAST_CONFIG", "/dev/null")
            .env(app_clock::VARIABLE, skew_secs.to_string())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        support::outbound::allow_loopback(&mut command);
        WorkerProcess(command.spawn().expect("start a worker"))
    }

    /// Stops the worker as an operator would (SIGTERM) and says whether it exited cleanly.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        self.0.wait().unwrap()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits up to `within` for `sql` (a count) to reach one.
async fn until_one(pool: &sqlx::PgPool, sql: &str, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    loop {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(pool).await.unwrap();
        if n >= 1 {
            return;
        }
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The test above with processes: worker A runs a slow scrape; worker B, whose own clock (`app_clock`) runs two
/// minutes ahead, polls the queue all the while and runs another shop's scrape (dated two minutes in the future,
/// which shows its clock is ahead), but never takes A's running job over: the slow shop is scraped once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_whose_clock_runs_ahead_does_not_take_over_a_running_scrape() {
    let db = support::fresh_database().await;
    let mut routes = std::collections::HashMap::new();
    // Three product pages of 12 s each, one at a time: A's scrape lasts about 36 s, inside its 60-second lease even
    // without heartbeats, while B's clock is 120 s ahead of it; B has those 36 s to start (slow on a loaded
    // machine) and run its own scrape.
    loopback_shop::add_slow_listing(&mut routes, "/slow", 3, Duration::from_secs(12), |p| format!("Lent {p}"));
    loopback_shop::add_slow_listing(&mut routes, "/fast", 1, Duration::ZERO, |p| format!("Rapide {p}"));
    let server = loopback_shop::start(routes).await;
    let scrapers = tempfile::tempdir().unwrap();
    for shop in ["slow", "fast"] {
        std::fs::write(
            scrapers.path().join(format!("{shop}.toml")),
            format!(
                "name = \"{shop}\"\nhomepage = \"{}\"\n[crawl]\nstart_urls = [\"{}\"]\nproduct_links = \"a.product\"\n\
                 [politeness]\nmin_delay_ms = 0\nmax_concurrency = 1\n",
                server.url("/"),
                server.url(&format!("/{shop}/list"))
            ),
        )
        .unwrap();
    }
    let url = support::database_url(&db);
    let pool = &db.pool;
    let due = Utc::now() - TimeDelta::seconds(5);
    enqueue(pool, "scrape", "slow", due, serde_json::json!(null)).await.unwrap();
    let worker_a = WorkerProcess::start("worker-a", scrapers.path(), &url, 0);
    let running_a =
        "SELECT count(*) FROM jobs WHERE key = 'slow' AND status = 'running' AND locked_by LIKE 'worker-a%'";
    until_one(pool, running_a, Duration::from_secs(30), "worker A runs the slow scrape").await;

    let worker_b = WorkerProcess::start("worker-b", scrapers.path(), &url, 120);
    enqueue(pool, "scrape", "fast", due, serde_json::json!(null)).await.unwrap();
    let fast_done = "SELECT count(*) FROM jobs WHERE key = 'fast' AND status = 'succeeded'";
    until_one(pool, fast_done, Duration::from_secs(34), "worker B runs the fast scrape").await;
    let (status, holder): (String, String) =
        sqlx::query_as("SELECT status, locked_by FROM jobs WHERE key = 'slow'").fetch_one(pool).await.unwrap();
    assert!(holder.starts_with("worker-a"), "worker B took A's running scrape over: {holder}");
    assert_eq!(status, "running", "A's scrape ended before B polled (make the slow shop slower)");
    let slow_done = "SELECT count(*) FROM jobs WHERE key = 'slow' AND status = 'succeeded'";
    until_one(pool, slow_done, Duration::from_secs(90), "worker A finishes the slow scrape").await;

    // B's clock is ahead: the run it recorded is dated about 120 s after the database's time of its claim.
    let (fast_by, run_started, claimed): (String, DateTime<Utc>, DateTime<Utc>) = sqlx::query_as(
        "SELECT j.locked_by, r.started_at, j.started_at FROM jobs j JOIN scrape_runs r ON r.shop_id = j.key
         WHERE j.key = 'fast'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(fast_by.starts_with("worker-b"), "{fast_by}");
    let ahead = run_started - claimed;
    assert!(ahead > TimeDelta::seconds(100) && ahead < TimeDelta::seconds(140), "B's clock ahead by {ahead}");

    // A's job stayed A's: one attempt, one run, each page of the slow shop fetched once.
    let (slow_by, attempts): (String, i32) =
        sqlx::query_as("SELECT locked_by, attempts FROM jobs WHERE key = 'slow'").fetch_one(pool).await.unwrap();
    assert!(slow_by.starts_with("worker-a") && attempts == 1, "{slow_by}, attempt {attempts}");
    let runs: Vec<String> =
        sqlx::query_scalar("SELECT status FROM scrape_runs WHERE shop_id = 'slow'").fetch_all(pool).await.unwrap();
    assert_eq!(runs, vec!["succeeded".to_string()], "the slow shop was scraped once");
    let requested = server.requested();
    for page in ["/slow/list", "/slow/p0", "/slow/p1", "/slow/p2"] {
        assert_eq!(requested.iter().filter(|path| *path == page).count(), 1, "{page} in {requested:?}");
    }
    assert!(worker_b.stop().success(), "worker B stops cleanly");
    assert!(worker_a.stop().success(), "worker A stops cleanly");
}
