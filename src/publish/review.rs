//! The review queue of curated accounts: the deals their publisher chose wait as `pending_review` until a person
//! approves them (possibly with an edited text, checked again against the 280-character rule) or rejects them.
//! Approved posts go out at the account's next slots; every decision is kept in `review_decisions`, who and when.
//!
//! A post whose discount is only the shop's claim (`filters.claimed = "review"`, see `claimed_wording`) is marked
//! `claim_only`: the queue shows it as unverified, an edited text must keep the words attributing the discount to
//! the shop, and its approval is recorded with [`APPROVED_CLAIM`] beside who approved it.
//!
//! An account that re-checks deals (`recheck`) has the deal's product page read again before an approval
//! ([`approve_after_recheck`]): a deal found over is not approved (it leaves the queue with the reason), and a shop
//! that cannot be reached leaves the post waiting for review.
//!
//! The terminal (`dealcast curate`) and the web admin use these same functions.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::accounts::AccountConfig;
use super::claimed_wording::ATTRIBUTION;
use super::outbox;
use super::recheck::{RecheckOutcome, Rechecker};
use super::text_length::{MAX_WEIGHTED_LENGTH, weighted_length};
use crate::store::publication_queries::{PublicationFilter, PublicationRecord, list_publications};

/// Recorded as the reason of an approval of a post whose discount is only the shop's claim: who approved it knew.
pub const APPROVED_CLAIM: &str = "approved as the shop's claimed discount, unverified by dealcast";

/// Why a decision could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("there is no post {id}")]
    NotFound { id: i64 },
    #[error("post {id} is {status}, not waiting for review")]
    NotPending { id: i64, status: String },
    #[error("the edited text is empty")]
    EmptyText,
    #[error("the edited text is {length} weighted characters long; X allows {MAX_WEIGHTED_LENGTH}")]
    TooLong { length: usize },
    #[error("another post already has exactly this text; change a few words")]
    TextTaken,
    #[error(
        "this post's discount is only the shop's claim, unverified: the edited text must keep \"{ATTRIBUTION}\" so \
         that it is never read as a discount dealcast checked"
    )]
    ClaimNotAttributed,
    #[error("post {id} was not approved: re-checked before approval, {reason}; it left the review queue")]
    DealOver { id: i64, reason: String },
    #[error("post {id} was not approved: its deal could not be re-checked ({reason}); it still waits for review")]
    NotRechecked { id: i64, reason: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The posts waiting for review, oldest first (all curated accounts, or one).
pub async fn pending(pool: &PgPool, account: Option<&str>) -> Result<Vec<PublicationRecord>, sqlx::Error> {
    let filter = PublicationFilter {
        account: account.map(str::to_string),
        status: Some("pending_review".to_string()),
        before: None,
        limit: 500,
    };
    let mut rows = list_publications(pool, &filter).await?;
    rows.reverse();
    Ok(rows)
}

/// Checks an edited text the way the platform will.
pub fn check_text(text: &str) -> Result<(), ReviewError> {
    if text.trim().is_empty() {
        return Err(ReviewError::EmptyText);
    }
    let length = weighted_length(text);
    if length > MAX_WEIGHTED_LENGTH {
        return Err(ReviewError::TooLong { length });
    }
    Ok(())
}

/// Approves post `id`, with `edited_text` instead of the proposed one if given; it goes out at the account's
/// next slots.
pub async fn approve(
    pool: &PgPool,
    id: i64,
    edited_text: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    if let Some(text) = edited_text {
        check_text(text)?;
    }
    let mut tx = pool.begin().await?;
    let claim_only = lock_pending(&mut tx, id).await?;
    if claim_only && edited_text.is_some_and(|text| !text.contains(ATTRIBUTION)) {
        return Err(ReviewError::ClaimNotAttributed);
    }
    let updated = sqlx::query(
        "UPDATE publications SET status = 'queued', text = COALESCE($2, text), approved_at = $3, scheduled_for = NULL,
             updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(edited_text)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match updated {
        Err(sqlx::Error::Database(error)) if error.constraint() == Some("publications_distinct_text") => {
            return Err(ReviewError::TextTaken);
        }
        other => other?,
    };
    let decision = Decision {
        kind: if edited_text.is_some() { "edited" } else { "approved" },
        edited_text,
        reason: claim_only.then_some(APPROVED_CLAIM),
    };
    record_decision(&mut tx, id, &decision, by, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Approves post `id` of `account` as [`approve`] does, after re-checking its deal through `rechecker` when the
/// account re-checks deals (without a rechecker, such an approval waits: [`ReviewError::NotRechecked`]).
pub async fn approve_after_recheck(
    pool: &PgPool,
    rechecker: Option<&Rechecker>,
    account: &AccountConfig,
    id: i64,
    edited_text: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    if account.rechecks() {
        match outbox::get(pool, id).await? {
            None => return Err(ReviewError::NotFound { id }),
            Some(row) if row.status != "pending_review" => {
                return Err(ReviewError::NotPending { id, status: row.status });
            }
            Some(_) => {}
        }
        let outcome = match rechecker {
            Some(rechecker) => rechecker.recheck(pool, account, id, now).await?.outcome,
            None => RecheckOutcome::Unchecked("the shop files to re-check deals with were not loaded".to_string()),
        };
        match outcome {
            RecheckOutcome::Holds => {}
            RecheckOutcome::Dropped(why) => {
                let reason = format!("re-checked before approval: {why}");
                outbox::drop_after_recheck(pool, id, &reason, now).await?;
                return Err(ReviewError::DealOver { id, reason: why.to_string() });
            }
            RecheckOutcome::Unchecked(reason) => return Err(ReviewError::NotRechecked { id, reason }),
        }
    }
    approve(pool, id, edited_text, by, now).await
}

/// Rejects post `id`; it will not be proposed again unless its price falls further.
pub async fn reject(
    pool: &PgPool,
    id: i64,
    reason: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), ReviewError> {
    let mut tx = pool.begin().await?;
    lock_pending(&mut tx, id).await?;
    sqlx::query("UPDATE publications SET status = 'rejected', last_error = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    record_decision(&mut tx, id, &Decision { kind: "rejected", edited_text: None, reason }, by, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a curator decided, as `review_decisions` keeps it.
struct Decision<'a> {
    kind: &'static str,
    edited_text: Option<&'a str>,
    reason: Option<&'a str>,
}

/// Adds `decision` on post `id` to the audit trail, in the decision's transaction.
async fn record_decision(
    tx: &mut sqlx::PgConnection,
    id: i64,
    decision: &Decision<'_>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO review_decisions (publication_id, decision, edited_text, reason, decided_by, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(decision.kind)
    .bind(decision.edited_text)
    .bind(decision.reason)
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Locks post `id` for a decision; whether its discount is only the shop's claim when it waits for review.
async fn lock_pending(tx: &mut sqlx::PgConnection, id: i64) -> Result<bool, ReviewError> {
    let row: Option<(String, bool)> =
        sqlx::query_as("SELECT status, claim_only FROM publications WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match row {
        None => Err(ReviewError::NotFound { id }),
        Some((status, _)) if status != "pending_review" => Err(ReviewError::NotPending { id, status }),
        Some((_, claim_only)) => Ok(claim_only),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_text_is_checked_like_a_post() {
        assert!(check_text("Jean à 19,99 € https://www.kiabi.com/p").is_ok());
        assert!(matches!(check_text("  "), Err(ReviewError::EmptyText)));
        assert!(matches!(check_text(&"é".repeat(281)), Err(ReviewError::TooLong { length: 281 })));
    }
}
