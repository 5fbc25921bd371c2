//! The state of each publishing account that every process must share: whether it is paused (and why), until when
//! X asked it to wait (429), the last schedule slot served, its id on the platform; and the lock that makes one
//! publisher per account across every process and machine.
//!
//! The lock is a PostgreSQL session advisory lock held on one pooled connection for the length of a publisher's
//! tick. A process that dies (even by `kill -9`) loses its connection, and with it the lock, so no lease or
//! timeout is needed.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgPool, Postgres};

use super::accounts::{AccountConfig, Mode, Platform};

/// What the database remembers of one account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountState {
    pub id: String,
    pub paused: bool,
    pub paused_reason: Option<String>,
    pub rate_limited_until: Option<DateTime<Utc>>,
    pub last_slot_at: Option<DateTime<Utc>>,
    pub remote_user_id: Option<String>,
}

fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::X => "x",
        Platform::DryRun => "dry_run",
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Auto => "auto",
        Mode::Curated => "curated",
    }
}

/// Makes the account's row match its configuration (platform, mode) and returns its shared state. Publishers call
/// it at every tick, so the row is written only when the configuration changed.
pub async fn sync(pool: &PgPool, account: &AccountConfig) -> Result<AccountState, sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, platform, mode) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET platform = EXCLUDED.platform, mode = EXCLUDED.mode, updated_at = now()
         WHERE (accounts.platform, accounts.mode) IS DISTINCT FROM (EXCLUDED.platform, EXCLUDED.mode)",
    )
    .bind(&account.name)
    .bind(platform_name(account.platform))
    .bind(mode_name(account.mode))
    .execute(pool)
    .await?;
    sqlx::query_as(
        "SELECT id, paused, paused_reason, rate_limited_until, last_slot_at, remote_user_id FROM accounts WHERE id = $1",
    )
    .bind(&account.name)
    .fetch_one(pool)
    .await
}

/// Every account the database knows, by name.
pub async fn all(pool: &PgPool) -> Result<Vec<AccountState>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, paused, paused_reason, rate_limited_until, last_slot_at, remote_user_id FROM accounts ORDER BY id",
    )
    .fetch_all(pool)
    .await
}

/// Stops the account until a person resumes it; `reason` says what they must fix.
pub async fn pause(pool: &PgPool, account: &str, reason: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE accounts SET paused = true, paused_reason = $2, updated_at = now() WHERE id = $1")
        .bind(account)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Lets a paused account post again.
pub async fn resume(pool: &PgPool, account: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE accounts SET paused = false, paused_reason = NULL, rate_limited_until = NULL, updated_at = now()
         WHERE id = $1",
    )
    .bind(account)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Remembers that the platform refuses requests of this account before `until`.
pub async fn set_rate_limited(pool: &PgPool, account: &str, until: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET rate_limited_until = $2, updated_at = now() WHERE id = $1")
        .bind(account)
        .bind(until)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records that `slot` is being served; false when it (or a later slot) already was.
pub async fn mark_slot(pool: &PgPool, account: &str, slot: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE accounts SET last_slot_at = $2 WHERE id = $1 AND (last_slot_at IS NULL OR last_slot_at < $2)",
    )
    .bind(account)
    .bind(slot)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Remembers the account's id on its platform.
pub async fn set_remote_user(pool: &PgPool, account: &str, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET remote_user_id = $2, updated_at = now() WHERE id = $1")
        .bind(account)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The advisory lock of one account's publisher, held on its own connection.
pub struct AccountLock {
    connection: Option<PoolConnection<Postgres>>,
    key: String,
}

fn lock_key(account: &str) -> String {
    format!("dealcast.publisher.{account}")
}

/// Takes the account's publisher lock, or `None` when another publisher (in any process) holds it.
pub async fn try_lock(pool: &PgPool, account: &str) -> Result<Option<AccountLock>, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let key = lock_key(account);
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
        .bind(&key)
        .fetch_one(&mut *connection)
        .await?;
    Ok(locked.then_some(AccountLock { connection: Some(connection), key }))
}

impl AccountLock {
    /// Releases the lock and gives the connection back to the pool. When the unlock fails (or finds no lock), the
    /// connection is closed instead: returned to the pool, it could still hold the lock, and every later tick of
    /// the account would find it busy until the pool retired that connection.
    pub async fn release(mut self) -> Result<(), sqlx::Error> {
        let Some(mut connection) = self.connection.take() else { return Ok(()) };
        let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
            .bind(&self.key)
            .fetch_one(&mut *connection)
            .await;
        if let Ok(true) = unlocked {
            return Ok(());
        }
        // Closing the session releases every lock it holds, on the server.
        let _ = connection.detach().close().await;
        unlocked.map(|_| ())
    }
}

impl Drop for AccountLock {
    /// A lock dropped without [`AccountLock::release`] (an error or a cancelled task) must not go back to the pool
    /// still held: the connection is closed instead, which releases it on the server.
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            drop(connection.detach());
        }
    }
}
