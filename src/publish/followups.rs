//! Published deals followed until they end: at each tick, an account's publisher looks at its posts of the last
//! `follow_hours` (default 48) whose deal the harvests have since seen end (price above the posted one, out of
//! stock, gone, or a discount below the one the post showed: `expiry`), marks them expired with when and why, and,
//! with `on_expiry = "reply"`, replies to each once through the outbox.
//!
//! The reply is an outbox row of its own (`reply_to` the post), so it has the posts' exactly-once guarantees: it
//! is queued in the same transaction that marks the post expired (a unique index allows one follow-up per post,
//! whatever its state), claimed in a committed statement before the request goes out, and a claim whose outcome
//! is unknown is reconciled against the account's recent posts by the publisher like any other. It counts against
//! the account's pacing and budget like any post. A deal that came back (price down again, back in stock) before
//! its reply went out gets no reply, and its post is no longer expired.

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::accounts::{AccountConfig, OnExpiry};
use super::expiry::{ExpiryFigures, ExpiryReason, PostedDeal, ended_because, reply_text};
use super::outbox;
use super::pacing::{PacingRules, may_send};
use super::pause_points::{self, AFTER_CLAIM, AFTER_POST, AFTER_RECORD, BEFORE_CLAIM};
use super::platform::Sender;
use super::publisher::{SentPost, TickReport};

/// How long after `follow_hours` a post is still looked at: a deal that ended within the window is marked even if
/// no publisher ran when it ended (its end time is read from the price observations).
const LATE_LOOK: TimeDelta = TimeDelta::hours(24);

/// A post's price, currency and discount, and its offer's state now, as read with it (`deal_now!`).
#[derive(sqlx::FromRow)]
struct DealNow {
    posted_price: Decimal,
    posted_currency: String,
    posted_discount: Option<Decimal>,
    price: Option<Decimal>,
    currency: Option<String>,
    discount: Option<Decimal>,
    active: bool,
    availability: Option<String>,
    ends_at: Option<DateTime<Utc>>,
}

impl DealNow {
    fn deal(&self) -> PostedDeal {
        PostedDeal {
            posted_price: self.posted_price,
            posted_currency: self.posted_currency.clone(),
            posted_discount: self.posted_discount,
            price: self.price,
            currency: self.currency.clone(),
            discount: self.discount,
            active: self.active,
            out_of_stock: self.availability.as_deref() == Some("out_of_stock"),
            ends_at: self.ends_at,
        }
    }
}

/// The columns of a [`DealNow`], from a post `p` and its offer `o`, for `concat!` into static SQL: the offer's
/// discount is measured as the post measured it (the shop's claim for a claim-only post).
macro_rules! deal_now {
    () => {
        "p.price AS posted_price, p.currency::text AS posted_currency, p.shown_discount_pct AS posted_discount,
         o.price, o.currency::text AS currency,
         CASE WHEN p.claim_only THEN o.claimed_discount_pct ELSE o.real_discount_pct END AS discount,
         o.active, o.availability, o.ends_at"
    };
}

/// A post watched, with its offer as it is now and the times the harvests saw it end.
#[derive(sqlx::FromRow)]
struct Watched {
    id: i64,
    offer_id: i64,
    deal_key: String,
    published_at: DateTime<Utc>,
    title: String,
    #[sqlx(flatten)]
    now: DealNow,
    ended_at: Option<DateTime<Utc>>,
    price_up_at: Option<DateTime<Utc>>,
    out_of_stock_at: Option<DateTime<Utc>>,
    /// When the offer was last judged: its discount changes only then.
    judged_at: Option<DateTime<Utc>>,
}

impl Watched {
    /// When the deal ended for `reason`, as the harvests saw it (`now` when they left no trace of the moment).
    fn ended_at(&self, reason: ExpiryReason, now: DateTime<Utc>) -> DateTime<Utc> {
        let seen = match reason {
            ExpiryReason::PriceUp => self.price_up_at,
            ExpiryReason::OutOfStock => self.out_of_stock_at,
            ExpiryReason::BelowPostedDiscount => self.judged_at,
            ExpiryReason::Gone => self.ended_at.or(self.now.ends_at),
        };
        seen.unwrap_or(now).clamp(self.published_at, now)
    }
}

/// What following one account's posts needs: its publisher's parts.
pub struct Follower<'a> {
    pub pool: &'a PgPool,
    pub account: &'a AccountConfig,
    pub sender: &'a Sender,
    pub rules: &'a PacingRules,
    /// The name claims are made under.
    pub worker: &'a str,
}

impl Follower<'_> {
    /// Follows the account's published deals at `now`: marks the ended ones expired (queuing a reply when the
    /// account says so), then sends the replies that are due. Sent replies go into `report.sent`; a hold (pacing,
    /// budget, a failed send left for reconciliation) into `report.held`.
    pub async fn follow(&self, now: DateTime<Utc>, report: &mut TickReport) -> Result<(), sqlx::Error> {
        mark_expired(self.pool, self.account, self.rules, now).await?;
        self.send_replies(now, report).await
    }
}

/// Marks `account`'s posts whose deal ended within `follow_hours` of the post as expired; returns their ids.
pub async fn mark_expired(
    pool: &PgPool,
    account: &AccountConfig,
    rules: &PacingRules,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    let window = TimeDelta::hours(i64::from(account.follow_hours));
    let watched: Vec<Watched> = sqlx::query_as(concat!(
        "SELECT p.id, p.offer_id, p.deal_key, p.published_at, o.title, o.ended_at, o.judged_at, ",
        deal_now!(),
        ",
                (SELECT min(po.observed_at) FROM price_observations po
                 WHERE po.offer_id = p.offer_id AND po.observed_at > p.published_at AND po.price > p.price)
                    AS price_up_at,
                (SELECT min(po.observed_at) FROM price_observations po
                 WHERE po.offer_id = p.offer_id AND po.observed_at > p.published_at
                   AND po.availability = 'out_of_stock') AS out_of_stock_at
         FROM publications p JOIN offers o ON o.id = p.offer_id
         WHERE p.account_id = $1 AND p.status = 'published' AND p.reply_to IS NULL AND p.expired_at IS NULL
           AND p.price IS NOT NULL AND p.currency IS NOT NULL AND p.published_at > $2"
    ))
    .bind(&account.name)
    .bind(now - window - LATE_LOOK)
    .fetch_all(pool)
    .await?;
    let mut expired = Vec::new();
    for post in watched {
        let Some(reason) = ended_because(&post.now.deal(), now) else { continue };
        let ended_at = post.ended_at(reason, now);
        if ended_at > post.published_at + window {
            continue;
        }
        let figures = ExpiryFigures {
            price: (reason == ExpiryReason::PriceUp).then_some(post.now.price).flatten(),
            discount: (reason == ExpiryReason::BelowPostedDiscount).then_some(post.now.discount).flatten(),
            posted_discount: post.now.posted_discount,
        };
        let mut tx = pool.begin().await?;
        let marked = sqlx::query(
            "UPDATE publications SET expired_at = $2, expiry_reason = $3, expiry_price = $4,
                 expiry_discount_pct = $5, updated_at = now()
             WHERE id = $1 AND expired_at IS NULL",
        )
        .bind(post.id)
        .bind(ended_at)
        .bind(reason.as_str())
        .bind(figures.price)
        .bind(figures.discount)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if marked && account.on_expiry == OnExpiry::Reply {
            let text = reply_text(reason, &post.title, &figures, &post.now.posted_currency);
            // One follow-up per post (and texts distinct across posts): a conflict means there is one already.
            sqlx::query(
                "INSERT INTO publications (account_id, offer_id, deal_key, status, text, currency, price, cost,
                                           scheduled_for, reply_to)
                 VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&account.name)
            .bind(post.offer_id)
            .bind(format!("{}#follow-up", post.deal_key))
            .bind(&text)
            .bind(&post.now.posted_currency)
            .bind(post.now.posted_price)
            .bind(rules.cost_of(false))
            .bind(now)
            .bind(post.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if marked {
            tracing::info!(account = %account.name, publication = post.id, reason = reason.as_str(), "post expired");
            expired.push(post.id);
        }
    }
    Ok(expired)
}

/// A queued reply, with the post it answers and that post's deal as it is now.
#[derive(sqlx::FromRow)]
struct DueReply {
    id: i64,
    offer_id: i64,
    text: String,
    cost: Option<Decimal>,
    original_id: i64,
    in_reply_to: Option<String>,
    #[sqlx(flatten)]
    now: DealNow,
}

impl Follower<'_> {
    /// Sends the account's due replies, one at a time within its pacing: claimed, sent, recorded.
    async fn send_replies(&self, now: DateTime<Utc>, report: &mut TickReport) -> Result<(), sqlx::Error> {
        let Follower { pool, account, sender, rules, worker } = *self;
        let due: Vec<DueReply> = sqlx::query_as(concat!(
            "SELECT r.id, r.offer_id, r.text, r.cost, p.id AS original_id, p.remote_id AS in_reply_to, ",
            deal_now!(),
            "
         FROM publications r
         JOIN publications p ON p.id = r.reply_to
         JOIN offers o ON o.id = r.offer_id
         WHERE r.account_id = $1 AND r.status = 'queued' AND r.scheduled_for <= $2
         ORDER BY r.scheduled_for, r.id"
        ))
        .bind(&account.name)
        .bind(now)
        .fetch_all(pool)
        .await?;
        for reply in due {
            if ended_because(&reply.now.deal(), now).is_none() {
                came_back(pool, &reply).await?;
                continue;
            }
            let Some(in_reply_to) = reply.in_reply_to.as_deref() else { continue };
            let sent = outbox::sent_so_far(pool, &account.name, rules.day_start(now), rules.month_start(now)).await?;
            if let Err(hold) = may_send(rules, &sent, now, reply.cost.unwrap_or_default()) {
                report.held = Some(format!("a follow-up waits: {hold}"));
                return Ok(());
            }
            pause_points::reach(BEFORE_CLAIM).await;
            if !outbox::claim(pool, reply.id, worker, now).await? {
                continue;
            }
            pause_points::reach(AFTER_CLAIM).await;
            match sender.reply(&reply.text, in_reply_to, reply.id).await {
                Ok(accepted) => {
                    pause_points::reach(AFTER_POST).await;
                    outbox::record_published(pool, reply.id, &accepted.remote_id, accepted.remote_url.as_deref(), now)
                        .await?;
                    pause_points::reach(AFTER_RECORD).await;
                    tracing::info!(account = %account.name, publication = reply.id, remote_id = %accepted.remote_id, "follow-up posted");
                    report.sent.push(SentPost {
                        publication_id: reply.id,
                        offer_id: reply.offer_id,
                        remote_id: accepted.remote_id,
                        remote_url: accepted.remote_url,
                        text: reply.text,
                        at: now,
                    });
                }
                Err(error) => {
                    // Its outcome may be unknown: the claim stays, and the next tick reconciles it like any post.
                    tracing::warn!(account = %account.name, publication = reply.id, %error, "follow-up not sent");
                    report.held = Some(format!("a follow-up could not be sent ({error}); it is reconciled next tick"));
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// The deal of a queued reply is on again: the reply is dropped and its post is no longer expired.
async fn came_back(pool: &PgPool, reply: &DueReply) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE publications SET status = 'cancelled', last_error = 'the deal came back before the follow-up went out',
             updated_at = now()
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(reply.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE publications SET expired_at = NULL, expiry_reason = NULL, expiry_price = NULL,
             expiry_discount_pct = NULL, updated_at = now()
         WHERE id = $1",
    )
    .bind(reply.original_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
