//! How many admin logins may fail: at most [`LoginLimits::per_client`] failed attempts per client (IP address)
//! and [`LoginLimits::overall`] in total within [`LoginLimits::window`]; past either, logins are refused (without
//! checking the password) until the oldest failure leaves the window.
//!
//! Attempts are counted in PostgreSQL (`admin_login_attempts`), not in memory: every process serving the UI then
//! enforces the same budget (an attacker gains nothing by spreading guesses over processes, or by waiting for a
//! restart), and logins are rare enough that one row each costs nothing. The overall limit bounds guessing from
//! many addresses; its price is that such an attack also locks the operator out of the web admin for a while (the
//! terminal commands `dealcast curate`, `accounts`, `shop ack` still work). Behind a reverse proxy, the client is
//! the address the proxy forwards when the proxy is listed in `[web] trusted_proxies` (`web::forwarded`); otherwise
//! every client has the proxy's address, and the per-client limit acts as a second overall one.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

/// The login budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failed attempts allowed per client within the window.
    pub per_client: i64,
    /// Failed attempts allowed from all clients together within the window.
    pub overall: i64,
    pub window: TimeDelta,
}

impl Default for LoginLimits {
    /// 5 failures per client and 50 in all per 15 minutes: an operator mistyping is never stopped, a guesser gets
    /// 480 tries a day from one address.
    fn default() -> Self {
        LoginLimits { per_client: 5, overall: 50, window: TimeDelta::minutes(15) }
    }
}

/// Whether an attempt may check the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Yes: the attempt is recorded (as failed until [`record_success`] says otherwise) under this id.
    Admitted(i64),
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
    // For each limit: the failures in the window, and the instant the oldest that must expire does expire.
    let (client_failures, client_oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*), min(attempted_at) FROM admin_login_attempts
         WHERE NOT succeeded AND client = $1 AND attempted_at > $2",
    )
    .bind(client)
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    let (all_failures, all_oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*), min(attempted_at) FROM admin_login_attempts WHERE NOT succeeded AND attempted_at > $1",
    )
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    let blocked_until =
        [(client_failures >= limits.per_client, client_oldest), (all_failures >= limits.overall, all_oldest)]
            .into_iter()
            .filter_map(|(over, oldest)| if over { oldest.map(|at| at + limits.window) } else { None })
            .max();
    if let Some(until) = blocked_until {
        tx.commit().await?;
        return Ok(Admission::Refused { retry_after: (until - now).max(TimeDelta::seconds(1)) });
    }
    let id: i64 =
        sqlx::query_scalar("INSERT INTO admin_login_attempts (client, attempted_at) VALUES ($1, $2) RETURNING id")
            .bind(client)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Admission::Admitted(id))
}

/// Marks attempt `id` as the right password, so that it does not count against the budget.
pub async fn record_success(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE admin_login_attempts SET succeeded = true WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}
