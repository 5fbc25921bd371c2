//! Admin sessions, kept in PostgreSQL (`admin_sessions`) so that every process serving the UI shares them. A
//! session is a random token in an `HttpOnly` cookie; the table keeps only the token's SHA-256, so a copy of the
//! database opens no session. Each session carries its own CSRF token, which every admin form repeats in a hidden
//! field and every admin POST must match.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;

/// The cookie that holds the session token.
pub const SESSION_COOKIE: &str = "dealcast_admin";

/// How long a session lasts from login: a working day, after which the operator logs in again.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(12);

/// Bytes of randomness in a session or CSRF token: 256 bits, beyond guessing.
const TOKEN_BYTES: usize = 32;

/// Why a session could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The operating system gave no randomness.
    #[error("could not draw a random token")]
    Random(#[source] getrandom::Error),
    /// The database did not answer.
    #[error("could not read or write the admin sessions")]
    Database(#[from] sqlx::Error),
}

/// A live session, as the admin handlers see it.
#[derive(Debug, Clone)]
pub struct AdminSession {
    /// The token the forms of this session must repeat.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl AdminSession {
    /// Whether a form's CSRF field is this session's token (compared in constant time, so that timing tells an
    /// attacker nothing about how much of a guess was right).
    pub fn csrf_matches(&self, submitted: Option<&str>) -> bool {
        submitted.is_some_and(|value| bool::from(value.as_bytes().ct_eq(self.csrf_token.as_bytes())))
    }
}

/// A new random token, URL-safe base64 (43 characters).
pub fn random_token() -> Result<String, SessionError> {
    let mut bytes = [0_u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(SessionError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Opens a session for `client` at `now`; returns the token to put in the cookie. Expired sessions are deleted on
/// the way (logins are rare, so this is the cheapest place to tidy up).
pub async fn open(pool: &PgPool, client: &str, now: DateTime<Utc>) -> Result<(String, AdminSession), SessionError> {
    let token = random_token()?;
    let session = AdminSession { csrf_token: random_token()?, expires_at: now + SESSION_LIFETIME };
    sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
    sqlx::query(
        "INSERT INTO admin_sessions (token_sha256, csrf_token, created_at, expires_at, client) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest(&token))
    .bind(&session.csrf_token)
    .bind(now)
    .bind(session.expires_at)
    .bind(client)
    .execute(pool)
    .await?;
    Ok((token, session))
}

/// The live session of `token` at `now`, if any.
pub async fn find(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<Option<AdminSession>, SessionError> {
    let row: Option<(String, DateTime<Utc>)> =
        sqlx::query_as("SELECT csrf_token, expires_at FROM admin_sessions WHERE token_sha256 = $1 AND expires_at > $2")
            .bind(digest(token))
            .bind(now)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(csrf_token, expires_at)| AdminSession { csrf_token, expires_at }))
}

/// Ends the session of `token` (logout).
pub async fn close(pool: &PgPool, token: &str) -> Result<(), SessionError> {
    sqlx::query("DELETE FROM admin_sessions WHERE token_sha256 = $1").bind(digest(token)).execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{a}");
    }

    #[test]
    fn a_csrf_field_must_be_the_sessions_token_exactly() {
        let session = AdminSession { csrf_token: "abc".into(), expires_at: Utc::now() };
        assert!(session.csrf_matches(Some("abc")));
        assert!(!session.csrf_matches(Some("abd")));
        assert!(!session.csrf_matches(Some("ab")));
        assert!(!session.csrf_matches(Some("")));
        assert!(!session.csrf_matches(None));
    }

    #[test]
    fn only_the_digest_of_a_token_is_stored() {
        assert_eq!(digest("t").len(), 32);
        assert_ne!(digest("t"), b"t".to_vec());
    }
}
