//! How many admin logins may fail: at most [`LoginLimits::per_client`] failed attempts per client (IP address)
//! within [`LoginLimits::window`]; past it, that client's logins are refused (without checking the password) until
//! its oldest failure leaves the window. Past [`LoginLimits::overall`] failures from all clients together, logins are
//! not refused but slowed down: each attempt waits [`LoginLimits::slow_down`] before its password is checked.
//!
//! Why no overall refusal: it let anyone lock the operator out by failing from many addresses. The per-client limit
//! is what bounds guessing; the overall slow-down makes a guess from each new address cost time, while the operator,
//! from an address of their own, always gets the right password checked (at the fixed cost of one argon2 hash,
//! plus the slow-down during an attack).
//!
//! Attempts are counted in PostgreSQL (`admin_login_attempts`), not in memory: every process serving the UI then
//! enforces the same budget (an attacker gains nothing by spreading guesses over processes, or by waiting for a
//! restart), and logins are rare enough that one row each costs nothing. Behind a reverse proxy, the client is the
//! address the proxy forwards when the proxy is listed in `[web] trusted_proxies` (`web::forwarded`); otherwise
//! every client has the proxy's address, and the per-client limit is one for everybody.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

/// The login budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failed attempts allowed per client within the window.
    pub per_client: i64,
    /// Failed attempts from all clients together within the window past which every attempt is slowed down.
    pub overall: i64,
    pub window: TimeDelta,
    /// How long each attempt waits before its password is checked while the overall failures are past `overall`.
    pub slow_down: std::time::Duration,
}

impl Default for LoginLimits {
    /// 5 failures per client per 15 minutes: an operator mistyping is never stopped, a guesser gets 480 tries a day
    /// from one address. Past 50 failures in all, a second per attempt.
    fn default() -> Self {
        LoginLimits {
            per_client: 5,
            overall: 50,
            window: TimeDelta::minutes(15),
            slow_down: std::time::Duration::from_secs(1),
        }
    }
}

/// Whether an attempt may check the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Yes: the attempt is recorded (as failed until [`record_success`] says otherwise) under `id`; it waits
    /// `slow_down` before checking the password (zero unless the overall failures are past the limit).
    Admitted { id: i64, slow_down: std::time::Duration },
    /// No, not before this long.
    Refused { retry_after: TimeDelta },
}

/// The serialising lock of admissions, so that two concurrent attempts cannot both take the last allowed one.
const ADMISSION_LOCK: &str = "dealcast.admin.login";

/// Decides whether `client` may try a password at `now`, and records the attempt when it may.
pub async fn admit(
    pool: &PgPool,
    client: &str,
    now: DateTime<Utc>,
    limits: LoginLimits,
) -> Result<Admission, sqlx::Error> {
    let since = now - limits.window;
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(ADMISSION_LOCK).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM admin_login_attempts WHERE attempted_at < $1")
        .bind(now - TimeDelta::days(1))
        .execute(&mut *tx)
        .await?;
    // The client's failures in the window and the oldest of them (which expires first), then everybody's.
    let (client_failures, client_oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*), min(attempted_at) FROM admin_login_attempts
         WHERE NOT succeeded AND client = $1 AND attempted_at > $2",
    )
    .bind(client)
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    let all_failures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM admin_login_attempts WHERE NOT succeeded AND attempted_at > $1")
            .bind(since)
            .fetch_one(&mut *tx)
            .await?;
    if client_failures >= limits.per_client
        && let Some(oldest) = client_oldest
    {
        tx.commit().await?;
        let until = oldest + limits.window;
        return Ok(Admission::Refused { retry_after: (until - now).max(TimeDelta::seconds(1)) });
    }
    let slow_down = if all_failures >= limits.overall { limits.slow_down } else { std::time::Duration::ZERO };
    let id: i64 =
        sqlx::query_scalar("INSERT INTO admin_login_attempts (client, attempted_at) VALUES ($1, $2) RETURNING id")
            .bind(client)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Admission::Admitted { id, slow_down })
}

/// Marks attempt `id` as the right password, so that it does not count against the budget.
pub async fn record_success(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE admin_login_attempts SET succeeded = true WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}
