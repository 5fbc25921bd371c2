//! The evidence behind every sent post (`publication_evidence`): the price observations that gave its price and
//! claim, the reference window's lowest price and when it was seen, and a gzip copy of the product page fetched for
//! it when there is one, so that when a shop disputes a post ("we never claimed that was-price") the operator has
//! what the page said when the post went out.
//!
//! The page copy is bounded ([`PAGE_COPY_LIMIT`] bytes before compression; a longer page is cut and marked so) and
//! pruned after a configurable time ([`prune_pages`]; `[evidence] page_retention_days`, 400 by default), while the
//! rest of the record is kept.
//! The page comes from the pre-post re-check (`publish::recheck`) when it fetched one; without it the record holds
//! the observations alone.

use std::io::{Read, Write};

use chrono::{DateTime, TimeDelta, Utc};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// The most of a product page kept, before compression (pages are 50-500 KB; 2 MB covers the largest seen).
pub const PAGE_COPY_LIMIT: usize = 2 * 1024 * 1024;

/// How long page copies are kept by default (`[evidence] page_retention_days` in the configuration).
pub const DEFAULT_PAGE_RETENTION: TimeDelta = TimeDelta::days(400);

/// How many observations before the post are kept: enough to show the reduction and the claim it came with.
const OBSERVATIONS_KEPT: i64 = 10;

/// One price observation, as kept in the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ObservedPrice {
    pub observed_at: DateTime<Utc>,
    pub price: Decimal,
    pub previous_price: Option<Decimal>,
    pub currency: String,
    pub availability: Option<String>,
}

/// The evidence of one post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub publication_id: i64,
    /// The observations up to the post, oldest first.
    pub observations: Vec<ObservedPrice>,
    /// The lowest price of the 30 days before the reduction, and when it was seen.
    pub reference_price: Option<Decimal>,
    pub reference_seen_at: Option<DateTime<Utc>>,
    pub page_url: Option<String>,
    /// The page's size before compression, and its compressed size, while a copy is kept.
    pub page_bytes: Option<i32>,
    pub page_stored_bytes: Option<i32>,
    pub page_truncated: bool,
    pub page_pruned_at: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
}

impl Evidence {
    /// Where the page copy is kept, in words.
    pub fn page_location(&self) -> String {
        match (self.page_stored_bytes, self.page_pruned_at) {
            (Some(stored), _) => format!(
                "publication_evidence.page_gzip of publication {} ({stored} bytes gzip, {} bytes of page{})",
                self.publication_id,
                self.page_bytes.unwrap_or_default(),
                if self.page_truncated { ", cut at the bound" } else { "" }
            ),
            (None, Some(pruned)) => format!("pruned on {}", pruned.format("%Y-%m-%d")),
            (None, None) => "no page was fetched for this post".to_owned(),
        }
    }
}

/// Why evidence could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("compressing the page copy failed")]
    Compress(#[source] std::io::Error),
    #[error("storing the evidence of publication {publication_id} failed")]
    Store {
        publication_id: i64,
        #[source]
        source: sqlx::Error,
    },
}

/// `page` cut to [`PAGE_COPY_LIMIT`] and gzipped; whether it was cut.
pub fn compress_page(page: &[u8]) -> Result<(Vec<u8>, bool), std::io::Error> {
    let kept = &page[..page.len().min(PAGE_COPY_LIMIT)];
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(kept)?;
    Ok((encoder.finish()?, kept.len() < page.len()))
}

/// A page copy as it was fetched (up to the bound).
pub fn decompress_page(gzip: &[u8]) -> Result<Vec<u8>, std::io::Error> {
    let mut page = Vec::new();
    GzDecoder::new(gzip).take(PAGE_COPY_LIMIT as u64 + 1).read_to_end(&mut page)?;
    Ok(page)
}

/// Keeps the evidence of publication `publication_id`, sent at `sent_at`: its offer's observations up to then,
/// the reference window's lowest price and when it was seen, and `page` (fetched from `page_url`) compressed.
/// Recording twice keeps the first record.
pub async fn record_evidence(
    pool: &PgPool,
    publication_id: i64,
    page_url: Option<&str>,
    page: Option<&[u8]>,
    sent_at: DateTime<Utc>,
) -> Result<(), EvidenceError> {
    let store = |source| EvidenceError::Store { publication_id, source };
    let page = page.map(|page| compress_page(page).map(|(gzip, cut)| (gzip, cut, page.len()))).transpose();
    let (gzip, truncated, page_bytes) = match page.map_err(EvidenceError::Compress)? {
        Some((gzip, cut, size)) => (Some(gzip), cut, Some(i32::try_from(size).unwrap_or(i32::MAX))),
        None => (None, false, None),
    };
    let observations: Vec<ObservedPrice> = sqlx::query_as(
        "SELECT * FROM (
             SELECT po.observed_at, po.price, po.previous_price, po.currency::text AS currency, po.availability
             FROM price_observations po JOIN publications p ON p.offer_id = po.offer_id
             WHERE p.id = $1 AND po.observed_at <= $2 ORDER BY po.observed_at DESC LIMIT $3) latest
         ORDER BY observed_at",
    )
    .bind(publication_id)
    .bind(sent_at)
    .bind(OBSERVATIONS_KEPT)
    .fetch_all(pool)
    .await
    .map_err(store)?;
    // The reference window: the 30 days before the reduction began (the judgement's `reduction_started_at`).
    let reference: Option<(Decimal, DateTime<Utc>)> = sqlx::query_as(
        "SELECT po.price, po.observed_at
         FROM publications p JOIN offers o ON o.id = p.offer_id
         JOIN price_observations po ON po.offer_id = o.id AND po.currency = o.currency
         WHERE p.id = $1 AND o.reduction_started_at IS NOT NULL
           AND po.observed_at < o.reduction_started_at
           AND po.observed_at >= o.reduction_started_at - interval '30 days'
         ORDER BY po.price, po.observed_at DESC LIMIT 1",
    )
    .bind(publication_id)
    .fetch_optional(pool)
    .await
    .map_err(store)?;
    let observations = serde_json::to_value(&observations).unwrap_or(serde_json::Value::Null);
    sqlx::query(
        "INSERT INTO publication_evidence (publication_id, observations, reference_price, reference_seen_at,
             page_url, page_gzip, page_bytes, page_truncated, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (publication_id) DO NOTHING",
    )
    .bind(publication_id)
    .bind(observations)
    .bind(reference.map(|(price, _)| price))
    .bind(reference.map(|(_, at)| at))
    .bind(page_url)
    .bind(gzip)
    .bind(page_bytes)
    .bind(truncated)
    .bind(sent_at)
    .execute(pool)
    .await
    .map_err(store)?;
    Ok(())
}

/// The evidence of publication `publication_id`, if any was kept.
pub async fn evidence_of(pool: &PgPool, publication_id: i64) -> Result<Option<Evidence>, sqlx::Error> {
    type Row = (
        serde_json::Value,
        Option<Decimal>,
        Option<DateTime<Utc>>,
        Option<String>,
        Option<i32>,
        Option<i32>,
        bool,
        Option<DateTime<Utc>>,
        DateTime<Utc>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT observations, reference_price, reference_seen_at, page_url, page_bytes,
                octet_length(page_gzip), page_truncated, page_pruned_at, recorded_at
         FROM publication_evidence WHERE publication_id = $1",
    )
    .bind(publication_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(observations, reference_price, reference_seen_at, page_url, page_bytes, stored, truncated, pruned, at)| {
            Evidence {
                publication_id,
                observations: serde_json::from_value(observations).unwrap_or_default(),
                reference_price: reference_price.map(|price| price.normalize()),
                reference_seen_at,
                page_url,
                page_bytes,
                page_stored_bytes: stored,
                page_truncated: truncated,
                page_pruned_at: pruned,
                recorded_at: at,
            }
        },
    ))
}

/// Drops the page copies recorded before `now - retention` (the rest of each record stays); returns how many.
pub async fn prune_pages(pool: &PgPool, now: DateTime<Utc>, retention: TimeDelta) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE publication_evidence SET page_gzip = NULL, page_pruned_at = $1
         WHERE page_gzip IS NOT NULL AND recorded_at < $2",
    )
    .bind(now)
    .bind(now - retention)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_copy_comes_back_as_it_was_fetched() {
        let page = "<html><body><p class=\"price\">29,99 €</p><s>49,99 €</s></body></html>".repeat(200);
        let (gzip, cut) = compress_page(page.as_bytes()).expect("compress");
        assert!(!cut);
        assert!(gzip.len() * 10 < page.len(), "{} of {}", gzip.len(), page.len());
        assert_eq!(decompress_page(&gzip).expect("decompress"), page.as_bytes());
    }

    #[test]
    fn a_page_beyond_the_bound_is_cut_there() {
        let page = vec![b'a'; PAGE_COPY_LIMIT + 10];
        let (gzip, cut) = compress_page(&page).expect("compress");
        assert!(cut);
        assert_eq!(decompress_page(&gzip).expect("decompress").len(), PAGE_COPY_LIMIT);
    }
}
