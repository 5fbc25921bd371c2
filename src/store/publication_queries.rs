//! Reading the publications outbox for people: what went out (or waits, or failed), per account, latest first, and
//! the posts about one offer. The publisher writes this table; these queries only read it, for the web pages, the
//! API and the deal page's "where it was published".

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};

/// The statuses a publication can have, in the order of its life (as the schema's check constraint lists them).
/// `expired` is a published post whose deal ended within the account's `follow_hours` (`publish::followups`).
pub const STATUSES: [&str; 8] =
    ["pending_review", "rejected", "queued", "claimed", "published", "expired", "failed", "cancelled"];

/// The statuses a visitor of the public pages may see: posts that went out (`expired`: went out, and the deal has
/// ended since). Drafts waiting for review, rejected ones (with the reviewer's reason), queued and failed posts
/// stay in the admin and the terminal.
pub const PUBLIC_STATUSES: [&str; 2] = ["published", "expired"];

/// One post of one account about one offer, with the offer's title and shop for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PublicationRecord {
    pub id: i64,
    pub account_id: String,
    pub platform: String,
    pub offer_id: i64,
    pub offer_title: String,
    pub shop_name: String,
    /// One of [`STATUSES`].
    pub status: String,
    pub text: String,
    pub link: Option<String>,
    pub currency: Option<String>,
    pub price: Option<Decimal>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub remote_id: Option<String>,
    /// Where the post can be seen, when the platform gave an address.
    pub remote_url: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The post's discount is only the shop's claim, unverified (curated review of `filters.claimed`).
    pub claim_only: bool,
    /// When the post's deal ended (status `expired`), and why: `price_up`, `below_posted_discount`, `out_of_stock`
    /// or `gone`.
    pub expired_at: Option<DateTime<Utc>>,
    pub expiry_reason: Option<String>,
    /// The price the deal went up to (`price_up`).
    pub expiry_price: Option<Decimal>,
    /// The post this one replies to (an account's follow-up on an expired deal).
    pub reply_to: Option<i64>,
}

/// A post as the public pages and API show it: what went out and where, nothing of the outbox's inner life
/// (attempts, errors, review decisions, schedule): its serialisation holds only the public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPublication(PublicationRecord);

impl PublicPublication {
    /// The whole record, for the server's own use (what is serialised is only the public part).
    pub fn record(&self) -> &PublicationRecord {
        &self.0
    }
}

impl Serialize for PublicPublication {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let r = &self.0;
        let mut out = serializer.serialize_struct("PublicPublication", 17)?;
        out.serialize_field("id", &r.id)?;
        out.serialize_field("account_id", &r.account_id)?;
        out.serialize_field("platform", &r.platform)?;
        out.serialize_field("offer_id", &r.offer_id)?;
        out.serialize_field("offer_title", &r.offer_title)?;
        out.serialize_field("shop_name", &r.shop_name)?;
        out.serialize_field("status", &r.status)?;
        out.serialize_field("text", &r.text)?;
        out.serialize_field("link", &r.link)?;
        out.serialize_field("currency", &r.currency)?;
        out.serialize_field("price", &r.price)?;
        out.serialize_field("published_at", &r.published_at)?;
        out.serialize_field("remote_url", &r.remote_url)?;
        // A post whose deal ended is public knowledge: when, why and at what price.
        out.serialize_field("expired_at", &r.expired_at)?;
        out.serialize_field("expiry_reason", &r.expiry_reason)?;
        out.serialize_field("expiry_price", &r.expiry_price)?;
        out.serialize_field("reply_to", &r.reply_to)?;
        out.end()
    }
}

/// Which publications to list; the default lists the latest of every account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationFilter {
    /// Only this account.
    pub account: Option<String>,
    /// Only this status (one of [`STATUSES`]).
    pub status: Option<String>,
    /// Only publications older than this one (the next page: ids grow with creation).
    pub before: Option<i64>,
    /// At most this many (values below 1 are taken as 1).
    pub limit: i64,
}

impl Default for PublicationFilter {
    fn default() -> Self {
        PublicationFilter { account: None, status: None, before: None, limit: 50 }
    }
}

/// How the latest post about an offer ended: the deal as posted is over (`publish::followups`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EndedPost {
    pub offer_id: i64,
    pub expired_at: DateTime<Utc>,
    /// `price_up`, `below_posted_discount`, `out_of_stock` or `gone` (`publish::expiry::ExpiryReason`).
    pub reason: String,
    /// The post's currency, and the figures of its end (the price the deal went up to, the discount it fell to,
    /// the discount the post showed).
    pub currency: Option<String>,
    pub price: Option<Decimal>,
    pub discount: Option<Decimal>,
    pub posted_discount: Option<Decimal>,
}

/// Of `offer_ids`, those whose latest sent post (not a follow-up) has expired, with how it ended. An offer posted
/// again since (a new, lower price) is not ended: its latest post is on.
pub async fn ended_posts(pool: &PgPool, offer_ids: &[i64]) -> Result<Vec<EndedPost>, sqlx::Error> {
    sqlx::query_as(
        "SELECT offer_id, expired_at, expiry_reason AS reason, currency, expiry_price AS price,
                expiry_discount_pct AS discount, shown_discount_pct AS posted_discount
         FROM (SELECT DISTINCT ON (offer_id) offer_id, expired_at, expiry_reason, currency::text AS currency,
                      expiry_price, expiry_discount_pct, shown_discount_pct
               FROM publications
               WHERE offer_id = ANY($1) AND status = 'published' AND reply_to IS NULL
               ORDER BY offer_id, published_at DESC, id DESC) latest
         WHERE expired_at IS NOT NULL AND expiry_reason IS NOT NULL",
    )
    .bind(offer_ids)
    .fetch_all(pool)
    .await
}

/// The offers whose latest post is among the `recent` latest sent posts (of shop `shop_id` when given) and has
/// expired, the latest expiry first: what a feed keeps showing, marked ended, after the deal left the lists (an
/// offer gone from its shop is no longer listed, but its readers saw it posted).
pub async fn recently_posted_and_ended(
    pool: &PgPool,
    shop_id: Option<&str>,
    recent: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT offer_id
         FROM (SELECT DISTINCT ON (offer_id) offer_id, expired_at
               FROM (SELECT p.offer_id, p.expired_at, p.published_at, p.id
                     FROM publications p JOIN offers o ON o.id = p.offer_id
                     WHERE p.status = 'published' AND p.reply_to IS NULL AND ($1::text IS NULL OR o.shop_id = $1)
                     ORDER BY p.published_at DESC, p.id DESC
                     LIMIT $2) recent
               ORDER BY offer_id, published_at DESC, id DESC) latest
         WHERE expired_at IS NOT NULL
         ORDER BY expired_at DESC, offer_id",
    )
    .bind(shop_id)
    .bind(recent)
    .fetch_all(pool)
    .await
}

/// How many publications one account has in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StatusCount {
    pub account_id: String,
    pub status: String,
    pub count: i64,
}

const COLUMNS: &str = "SELECT p.id, p.account_id, a.platform, p.offer_id, o.title AS offer_title, s.name AS shop_name,
        CASE WHEN p.status = 'published' AND p.expired_at IS NOT NULL THEN 'expired' ELSE p.status END AS status,
        p.text, p.link, p.currency::text AS currency, p.price, p.scheduled_for, p.published_at,
        p.remote_id, p.remote_url, p.attempts, p.last_error, p.created_at, p.claim_only,
        p.expired_at, p.expiry_reason, p.expiry_price, p.reply_to
    FROM publications p
    JOIN accounts a ON a.id = p.account_id
    JOIN offers o ON o.id = p.offer_id
    JOIN shops s ON s.id = o.shop_id
    WHERE true";

/// The latest publications first.
pub async fn list_publications(
    pool: &PgPool,
    filter: &PublicationFilter,
) -> Result<Vec<PublicationRecord>, sqlx::Error> {
    list(pool, filter, false).await
}

/// The latest posts that went out first (only [`PUBLIC_STATUSES`], whatever the filter's status): for the public
/// pages and API.
pub async fn list_public_publications(
    pool: &PgPool,
    filter: &PublicationFilter,
) -> Result<Vec<PublicPublication>, sqlx::Error> {
    Ok(list(pool, filter, true).await?.into_iter().map(PublicPublication).collect())
}

async fn list(pool: &PgPool, filter: &PublicationFilter, public: bool) -> Result<Vec<PublicationRecord>, sqlx::Error> {
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(COLUMNS);
    if public {
        query.push(" AND p.status = ANY(").push_bind(&PUBLIC_STATUSES[..]).push(")");
    }
    if let Some(account) = &filter.account {
        query.push(" AND p.account_id = ").push_bind(account.clone());
    }
    match filter.status.as_deref() {
        Some("expired") => {
            query.push(" AND p.status = 'published' AND p.expired_at IS NOT NULL");
        }
        Some("published") => {
            query.push(" AND p.status = 'published' AND p.expired_at IS NULL");
        }
        Some(status) => {
            query.push(" AND p.status = ").push_bind(status.to_owned());
        }
        None => {}
    }
    if let Some(before) = filter.before {
        query.push(" AND p.id < ").push_bind(before);
    }
    query.push(" ORDER BY p.id DESC LIMIT ").push_bind(filter.limit.max(1));
    let rows: Vec<PublicationRecord> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(PublicationRecord::normalized).collect())
}

/// Every publication about offer `offer_id`, latest first.
pub async fn publications_of_offer(pool: &PgPool, offer_id: i64) -> Result<Vec<PublicationRecord>, sqlx::Error> {
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(COLUMNS);
    query.push(" AND p.offer_id = ").push_bind(offer_id).push(" ORDER BY p.id DESC");
    let rows: Vec<PublicationRecord> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(PublicationRecord::normalized).collect())
}

/// The posts about offer `offer_id` that went out, latest first: for the public deal page and API.
pub async fn public_publications_of_offer(pool: &PgPool, offer_id: i64) -> Result<Vec<PublicPublication>, sqlx::Error> {
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(COLUMNS);
    query.push(" AND p.status = ANY(").push_bind(&PUBLIC_STATUSES[..]).push(")");
    query.push(" AND p.offer_id = ").push_bind(offer_id).push(" ORDER BY p.id DESC");
    let rows: Vec<PublicationRecord> = query.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(|row| PublicPublication(row.normalized())).collect())
}

/// How many posts each account has in each of [`PUBLIC_STATUSES`] (accounts without any are absent).
pub async fn public_counts_by_account_and_status(pool: &PgPool) -> Result<Vec<StatusCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account_id, status, count(*) AS count FROM publications WHERE status = ANY($1)
         GROUP BY account_id, status ORDER BY account_id, status",
    )
    .bind(&PUBLIC_STATUSES[..])
    .fetch_all(pool)
    .await
}

/// How many publications each account has in each status (accounts without any are absent).
pub async fn counts_by_account_and_status(pool: &PgPool) -> Result<Vec<StatusCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account_id, status, count(*) AS count FROM publications GROUP BY account_id, status
         ORDER BY account_id, status",
    )
    .fetch_all(pool)
    .await
}

impl PublicationRecord {
    fn normalized(self) -> Self {
        PublicationRecord {
            price: self.price.map(|price| price.normalize()),
            expiry_price: self.expiry_price.map(|price| price.normalize()),
            ..self
        }
    }
}
