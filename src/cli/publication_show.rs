//! `dealcast publications show ID`: one publication in full, for an operator answering a shop's dispute or a
//! follower's question: the post as sent, its state (expired, when and why), and the evidence it was based on.

use std::fmt::Write;

use anyhow::Context;
use sqlx::PgPool;

use crate::publish::expiry::{ExpiryFigures, ExpiryReason};
use crate::publish::outbox;
use crate::store::evidence::evidence_of;

/// When a post expired, why, and the figures of its end.
type Expiry = (chrono::DateTime<chrono::Utc>, String, ExpiryFigures);

/// The text `publications show` prints for publication `id`.
pub async fn show(pool: &PgPool, id: i64) -> anyhow::Result<String> {
    let row = outbox::get(pool, id).await.with_context(|| format!("could not read publication {id}"))?;
    let Some(row) = row else {
        anyhow::bail!("there is no publication with id {id} (`dealcast publications` lists them)");
    };
    let expiry: Option<Expiry> = sqlx::query_as(
        "SELECT expired_at, expiry_reason, expiry_price, expiry_discount_pct, shown_discount_pct
         FROM publications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .and_then(|(at, reason, price, discount, posted_discount): (Option<_>, Option<String>, _, _, _)| {
        Some((at?, reason?, ExpiryFigures { price, discount, posted_discount }))
    });
    let evidence = evidence_of(pool, id).await.with_context(|| format!("could not read the evidence of {id}"))?;
    let mut out = String::new();
    let status = if expiry.is_some() { "expired" } else { row.status.as_str() };
    writeln!(out, "Publication #{} by {} about offer {}: {status}", row.id, row.account_id, row.offer_id)?;
    if let Some(at) = row.published_at {
        writeln!(
            out,
            "  sent {} as {}",
            at.format("%Y-%m-%d %H:%M UTC"),
            row.remote_url.as_deref().or(row.remote_id.as_deref()).unwrap_or("-")
        )?;
    }
    if let (Some(price), Some(currency)) = (row.price, row.currency.as_deref()) {
        writeln!(out, "  price posted: {} {currency}", price.normalize())?;
    }
    if let Some((at, reason, figures)) = &expiry {
        let reason = ExpiryReason::parse(reason)
            .map_or_else(|| reason.clone(), |r| r.describe(figures, row.currency.as_deref()));
        writeln!(out, "  expired {}: {reason}", at.format("%Y-%m-%d %H:%M UTC"))?;
    }
    writeln!(out, "\nPost\n  {}", row.text.replace('\n', "\n  "))?;
    writeln!(out, "\nEvidence")?;
    match evidence {
        None => writeln!(out, "  none kept (the post was not sent, or was sent before evidence was kept)")?,
        Some(evidence) => {
            writeln!(out, "  recorded {}", evidence.recorded_at.format("%Y-%m-%d %H:%M UTC"))?;
            writeln!(out, "  observations (price, shop's previous price):")?;
            for seen in &evidence.observations {
                let previous = seen.previous_price.map_or("-".to_owned(), |p| p.normalize().to_string());
                writeln!(
                    out,
                    "    {}  {} {}  was {previous}  {}",
                    seen.observed_at.format("%Y-%m-%d %H:%M UTC"),
                    seen.price.normalize(),
                    seen.currency,
                    seen.availability.as_deref().unwrap_or("")
                )?;
            }
            match (evidence.reference_price, evidence.reference_seen_at) {
                (Some(price), Some(at)) => writeln!(
                    out,
                    "  reference (lowest of the 30 days before the reduction): {price} seen {}",
                    at.format("%Y-%m-%d %H:%M UTC")
                )?,
                _ => writeln!(out, "  reference: none known (no price seen in the 30 days before the reduction)")?,
            }
            if let Some(url) = &evidence.page_url {
                writeln!(out, "  page: {url}")?;
            }
            writeln!(out, "  page copy: {}", evidence.page_location())?;
        }
    }
    Ok(out)
}

/// The posts about offer `offer_id` and the evidence each was based on, for `dealcast deals show` (empty when the
/// offer was never posted).
pub async fn evidence_of_offer(pool: &PgPool, offer_id: i64) -> anyhow::Result<String> {
    let posts = crate::store::publication_queries::publications_of_offer(pool, offer_id)
        .await
        .with_context(|| format!("could not read the publications of offer {offer_id}"))?;
    let mut out = String::new();
    for post in posts.iter().filter(|post| post.reply_to.is_none()) {
        let Some(evidence) = evidence_of(pool, post.id).await? else { continue };
        if out.is_empty() {
            writeln!(out, "\nEvidence of its posts (`dealcast publications show ID` for the whole record)")?;
        }
        let reference = match (evidence.reference_price, evidence.reference_seen_at) {
            (Some(price), Some(at)) => format!("reference {price} seen {}", at.format("%Y-%m-%d")),
            _ => "no reference known".to_owned(),
        };
        writeln!(
            out,
            "  #{} {} ({}): {} observations, {reference}; page copy: {}",
            post.id,
            post.account_id,
            post.status,
            evidence.observations.len(),
            evidence.page_location()
        )?;
    }
    Ok(out)
}
