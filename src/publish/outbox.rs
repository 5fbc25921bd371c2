//! The outbox: one `publications` row per (account, deal), moved through its states by single committed
//! statements, so that what was decided survives any crash.
//!
//! A row is `queued` (or `pending_review` for a curated account) with the exact text to post, then `claimed` in its
//! own committed statement *before* the request goes out, then `published` with the platform's id once the answer
//! is in. A row found `claimed` later is a send whose outcome is unknown: the publisher reconciles it against the
//! account's recent posts before anything else (see `publisher`), which is what makes a post go out exactly once.
//!
//! No two rows queued, sending or sent may carry the same text, whatever their account (a unique index on the
//! text's hash): followers of two accounts never read the same words, and X never sees an account repeat itself.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::pacing::SentSoFar;

/// The index that keeps texts distinct (migration 0008).
const DISTINCT_TEXT_INDEX: &str = "publications_distinct_text";

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Publication {
    pub id: i64,
    pub account_id: String,
    pub offer_id: i64,
    pub deal_key: String,
    pub status: String,
    pub text: String,
    pub link: Option<String>,
    pub currency: Option<String>,
    pub price: Option<Decimal>,
    pub score: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The columns of a [`Publication`], for `concat!` into static SQL (sqlx takes only static strings).
macro_rules! columns {
    () => {
        "id, account_id, offer_id, deal_key, status, text, link, currency::text AS currency, price, score, cost, \
         scheduled_for, claimed_at, published_at, remote_id, remote_url, attempts, last_error, created_at"
    };
}

/// A row to add to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPublication {
    pub account_id: String,
    pub offer_id: i64,
    pub status: &'static str,
    pub text: String,
    pub link: Option<String>,
    pub currency: String,
    pub price: Decimal,
    pub score: Option<Decimal>,
    pub cost: Decimal,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub slot_at: Option<DateTime<Utc>>,
}

/// The key of a deal: an offer at a price. The same offer at a clearly lower price is a new deal.
pub fn deal_key(offer_id: i64, price: Decimal) -> String {
    format!("offer:{offer_id}@{}", price.normalize())
}

/// Why a row could not be added.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// Another row (of any account) already carries this exact text.
    #[error("another post already has this exact text")]
    TextTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Adds `row`, or revives a cancelled row of the same deal; `None` when the deal is already in the outbox (or a
/// re-check found it over and nothing was observed of its offer since).
pub async fn insert(pool: &PgPool, row: &NewPublication) -> Result<Option<i64>, InsertError> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO publications (account_id, offer_id, deal_key, status, text, link, currency, price, score, cost,
                                   scheduled_for, slot_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (account_id, deal_key) DO UPDATE SET status = EXCLUDED.status, text = EXCLUDED.text,
             link = EXCLUDED.link, score = EXCLUDED.score, cost = EXCLUDED.cost,
             scheduled_for = EXCLUDED.scheduled_for, slot_at = EXCLUDED.slot_at, attempts = 0, last_error = NULL,
             recheck_after = NULL, recheck_dropped_at = NULL, updated_at = now()
         WHERE publications.status = 'cancelled'
           -- A deal a re-check found over comes back only once the offer was observed anew since (see `recheck`).
           AND (publications.recheck_dropped_at IS NULL OR EXISTS (
               SELECT 1 FROM price_observations po
               WHERE po.offer_id = publications.offer_id AND po.observed_at > publications.recheck_dropped_at))
         RETURNING id",
    )
    .bind(&row.account_id)
    .bind(row.offer_id)
    .bind(deal_key(row.offer_id, row.price))
    .bind(row.status)
    .bind(&row.text)
    .bind(&row.link)
    .bind(&row.currency)
    .bind(row.price)
    .bind(row.score)
    .bind(row.cost)
    .bind(row.scheduled_for)
    .bind(row.slot_at)
    .fetch_optional(pool)
    .await;
    inserted.map_err(insert_error)
}

/// A failed write of a row's text: [`InsertError::TextTaken`] when it broke the distinct-text index.
fn insert_error(error: sqlx::Error) -> InsertError {
    match error {
        sqlx::Error::Database(error) if error.constraint() == Some(DISTINCT_TEXT_INDEX) => InsertError::TextTaken,
        error => error.into(),
    }
}

/// Whether any row, of any account, queued, sending or sent, carries `text`.
pub async fn text_taken(pool: &PgPool, text: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM publications WHERE md5(text) = md5($1) AND text = $1
                        AND status IN ('queued', 'claimed', 'published'))",
    )
    .bind(text)
    .fetch_one(pool)
    .await
}

/// The next post of `account` due at `now`, earliest first (a row waiting for its shop to be re-checked is due at
/// its `recheck_after`; follow-up replies are sent by `followups`).
pub async fn next_due(pool: &PgPool, account: &str, now: DateTime<Utc>) -> Result<Option<Publication>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM publications WHERE account_id = $1 AND status = 'queued' AND scheduled_for <= $2 AND reply_to IS NULL
           AND (recheck_after IS NULL OR recheck_after <= $2)
         ORDER BY scheduled_for, id LIMIT 1"
    ))
    .bind(account)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// The rows of `account` whose send has an unknown outcome.
pub async fn claimed(pool: &PgPool, account: &str) -> Result<Vec<Publication>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM publications WHERE account_id = $1 AND status = 'claimed' ORDER BY claimed_at, id"
    ))
    .bind(account)
    .fetch_all(pool)
    .await
}

/// One row by id.
pub async fn get(pool: &PgPool, id: i64) -> Result<Option<Publication>, sqlx::Error> {
    sqlx::query_as(concat!("SELECT ", columns!(), " FROM publications WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Claims a queued row for sending, in its own committed statement; false when it was not queued any more.
pub async fn claim(pool: &PgPool, id: i64, worker: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE publications SET status = 'claimed', claimed_at = $3, claimed_by = $2, attempts = attempts + 1,
             updated_at = now()
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(worker)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the text of a claimed row (a post written again after the platform refused its words); the row keeps
/// its claim. [`InsertError::TextTaken`] when another row already carries the new text.
pub async fn replace_text(pool: &PgPool, id: i64, text: &str) -> Result<(), InsertError> {
    sqlx::query("UPDATE publications SET text = $2, updated_at = now() WHERE id = $1 AND status = 'claimed'")
        .bind(id)
        .bind(text)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(insert_error)
}

/// Records that the platform accepted the row's post.
pub async fn record_published(
    pool: &PgPool,
    id: i64,
    remote_id: &str,
    remote_url: Option<&str>,
    published_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE publications SET status = 'published', remote_id = $2, remote_url = $3, published_at = $4,
             last_error = NULL, updated_at = now()
         WHERE id = $1 AND status = 'claimed'",
    )
    .bind(id)
    .bind(remote_id)
    .bind(remote_url)
    .bind(published_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts a claimed row back in the queue, to be sent at `retry_at`, saying why.
pub async fn release(pool: &PgPool, id: i64, retry_at: DateTime<Utc>, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE publications SET status = 'queued', scheduled_for = $2, last_error = $3, updated_at = now()
         WHERE id = $1 AND status = 'claimed'",
    )
    .bind(id)
    .bind(retry_at)
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives up on a row (`failed`) or drops it because the deal no longer holds (`cancelled`), saying why.
pub async fn close(pool: &PgPool, id: i64, status: &'static str, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE publications SET status = $2, last_error = $3, updated_at = now()
         WHERE id = $1 AND status IN ('queued', 'claimed')",
    )
    .bind(id)
    .bind(status)
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}

/// A queued row whose deal could not be re-checked waits until `until` (the account's next slot), saying why.
pub async fn wait_for_recheck(pool: &PgPool, id: i64, until: DateTime<Utc>, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE publications SET recheck_after = $2, last_error = $3, updated_at = now()
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(until)
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}

/// Cancels a row (queued, or waiting for review) whose deal a re-check at `at` found over, saying why.
pub async fn drop_after_recheck(pool: &PgPool, id: i64, reason: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE publications SET status = 'cancelled', last_error = $2, recheck_dropped_at = $3, recheck_after = NULL,
             updated_at = now()
         WHERE id = $1 AND status IN ('queued', 'pending_review')",
    )
    .bind(id)
    .bind(reason)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

/// What `account` sent (or is sending) since `day_start` and `month_start`.
pub async fn sent_so_far(
    pool: &PgPool,
    account: &str,
    day_start: DateTime<Utc>,
    month_start: DateTime<Utc>,
) -> Result<SentSoFar, sqlx::Error> {
    let (last_sent_at, today, this_month, spent): (Option<DateTime<Utc>>, i64, i64, Option<Decimal>) = sqlx::query_as(
        "SELECT max(claimed_at), count(*) FILTER (WHERE claimed_at >= $2), count(*) FILTER (WHERE claimed_at >= $3),
                    sum(cost) FILTER (WHERE claimed_at >= $3)
             FROM publications WHERE account_id = $1 AND status IN ('claimed', 'published')",
    )
    .bind(account)
    .bind(day_start)
    .bind(month_start)
    .fetch_one(pool)
    .await?;
    Ok(SentSoFar {
        last_sent_at,
        today: u32::try_from(today).unwrap_or(u32::MAX),
        this_month: u32::try_from(this_month).unwrap_or(u32::MAX),
        spent_this_month: spent.unwrap_or_default(),
    })
}

/// How many rows of `account` wait to be sent.
pub async fn waiting(pool: &PgPool, account: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM publications WHERE account_id = $1 AND status = 'queued'")
        .bind(account)
        .fetch_one(pool)
        .await
}

/// Gives the approved rows of a curated account (queued, not yet given a time) the times `times`, oldest
/// approval first; returns how many got one.
pub async fn schedule_approved(pool: &PgPool, account: &str, times: &[DateTime<Utc>]) -> Result<usize, sqlx::Error> {
    let done = sqlx::query(
        "WITH next AS (
             SELECT id, row_number() OVER (ORDER BY approved_at, id) AS n FROM publications
             WHERE account_id = $1 AND status = 'queued' AND scheduled_for IS NULL
             ORDER BY approved_at, id LIMIT cardinality($2::timestamptz[]))
         UPDATE publications p SET scheduled_for = ($2::timestamptz[])[next.n], updated_at = now()
         FROM next WHERE p.id = next.id",
    )
    .bind(account)
    .bind(times)
    .execute(pool)
    .await?;
    Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
}

/// Whether the offer behind a row is still on sale at the row's price or lower.
pub async fn deal_still_on(pool: &PgPool, row: &Publication, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM offers WHERE id = $1 AND active AND price IS NOT NULL AND price <= $2
                        AND currency = $3 AND (ends_at IS NULL OR ends_at > $4))",
    )
    .bind(row.offer_id)
    .bind(row.price)
    .bind(&row.currency)
    .bind(now)
    .fetch_one(pool)
    .await
}
