//! Leases and locks that do not trust a worker's clock nor a failed unlock.

use crate::support;

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use dealcast::jobs::{QueueClock, claim, enqueue, extend_lease};
use dealcast::publish::account_state;
use sqlx::postgres::PgPoolOptions;

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
