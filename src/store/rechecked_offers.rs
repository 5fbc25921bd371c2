//! What the re-check before posting (`publish::recheck`) reads and writes besides the observation it stores through
//! `ingest::store_offers`: the deal a post was written for, the offer as it stands once re-observed and judged again,
//! and the end of an offer whose page the shop says is gone.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// The deal a post was written for, and where its offer is.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PostedDeal {
    pub publication_id: i64,
    pub offer_id: i64,
    pub shop_id: String,
    /// The offer's URL as last found on the shop.
    pub url: String,
    pub canonical_url: String,
    /// The run that last saw the offer (kept as it is when the re-check stores its observation).
    pub last_run_id: Option<i64>,
    /// The price and currency the post states.
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    /// The post's discount is only the shop's claim (see `claimed_wording`).
    pub claim_only: bool,
}

/// The deal of post `publication_id`, `None` when the post or its offer no longer exists.
pub async fn posted_deal(pool: &PgPool, publication_id: i64) -> Result<Option<PostedDeal>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id AS publication_id, o.id AS offer_id, o.shop_id, o.url, o.canonical_url, o.last_run_id, p.price,
                p.currency::text AS currency, p.claim_only
         FROM publications p JOIN offers o ON o.id = p.offer_id WHERE p.id = $1",
    )
    .bind(publication_id)
    .fetch_optional(pool)
    .await
}

/// An offer as it stands after the re-check's observation and judgement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OfferNow {
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub availability: Option<String>,
    pub real_discount_pct: Option<Decimal>,
    pub claimed_discount_pct: Option<Decimal>,
}

/// Offer `offer_id` as it stands now.
pub async fn offer_now(pool: &PgPool, offer_id: i64) -> Result<Option<OfferNow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT price, currency::text AS currency, availability, real_discount_pct, claimed_discount_pct
         FROM offers WHERE id = $1",
    )
    .bind(offer_id)
    .fetch_optional(pool)
    .await
}

/// Ends offer `offer_id` at `at`: its shop answered that the page is gone (404, 410). A harvest that sees it again
/// brings it back, as it does any ended offer.
pub async fn end_gone_offer(pool: &PgPool, offer_id: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE offers SET active = false, ended_at = $2 WHERE id = $1 AND active")
        .bind(offer_id)
        .bind(at)
        .execute(pool)
        .await?;
    Ok(())
}
