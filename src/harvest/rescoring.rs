//! Scores on the clock: the time-dependent parts of every active offer's score (how long ago its reduction began,
//! whether its promotion ends soon, whether it has ended) recomputed as time passes, without a harvest.
//!
//! It exists because an offer is judged and scored only when a harvest sees its price change (`harvest::judgements`):
//! an unchanged deal kept the freshness of its first day for ever, and old reductions outranked new ones in every
//! list, the API, the feeds and the publisher's choice. A periodic job (`rescore_jobs`) calls [`rescore_active`],
//! which reads the active scored offers in batches by id, recomputes each score from the judgement already stored
//! (verdict, reference price, reduction start: the 30-day rule itself only changes with a new observation) and
//! writes back only the scores that moved by at least [`RescoreOptions::min_change`] points (or reached or left
//! zero), with their parts and the time they hold "as of". Once every batch is read, the search rows of all the
//! rewritten offers are brought up to date in one refresh (`store::search_index::refresh_offers`), which is what the
//! in-memory deal lists follow, as after a harvest. One refresh, not one per batch: each refresh is a new search
//! generation, and until a web server's lists have caught up with it, its pages are chosen by PostgreSQL instead
//! (far slower); a refresh every batch kept the lists behind for the whole run (`benches/rescoring.md` has the
//! web's p95 both ways). The lists and searches follow the
//! new scores at the end of the run instead (seconds to minutes later; the offers' own scores are written batch by
//! batch). Finally the promotions whose end has passed are ended, as a harvest does, and the kept counts of their
//! shops follow (`store::kept_counts`).
//!
//! Most offers' scores barely move in an hour (the freshness decays by at most 1 % an hour with the default
//! half-life), so a run reads every active offer but writes few: a run's cost is one sequential read of the active
//! offers plus a write per offer that changed materially (benchmark: `cargo bench --bench webload -- --rescore`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::deals::honesty::Verdict;
use crate::deals::score::{ScoreInput, ScoreWeights, score};
use crate::harvest::ingest;
use crate::store::{kept_counts, search_index};

/// How a rescoring runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescoreOptions {
    /// The smallest change of a score, in points, worth writing (scores run from 0 to about 100).
    pub min_change: Decimal,
    /// Offers read, rescored and written per batch (one transaction each, so a long run holds no long lock).
    pub batch_size: i64,
}

impl Default for RescoreOptions {
    fn default() -> Self {
        RescoreOptions { min_change: Decimal::new(1, 1), batch_size: 5000 }
    }
}

/// What one rescoring did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RescoreReport {
    /// Active scored offers read and rescored.
    pub examined: u64,
    /// Offers whose score changed materially and was written.
    pub rewritten: u64,
    /// Search rows written to follow them.
    pub search_rows: u64,
    /// Offers ended because their promotion's end passed.
    pub ended: u64,
    /// Batches read.
    pub batches: u64,
}

/// The stored columns a score is recomputed from.
#[derive(sqlx::FromRow)]
struct StoredScore {
    id: i64,
    price: Decimal,
    previous_price: Option<Decimal>,
    reference_price: Option<Decimal>,
    verdict: Option<String>,
    reduction_started_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    availability: Option<String>,
    score: Option<Decimal>,
    weight: Decimal,
}

/// Rescores every active scored offer as of `now` (see the module documentation); returns what it did.
pub async fn rescore_active(
    pool: &PgPool,
    weights: &ScoreWeights,
    now: DateTime<Utc>,
    options: &RescoreOptions,
) -> Result<RescoreReport, sqlx::Error> {
    let mut report = RescoreReport::default();
    let mut after = 0_i64;
    let mut rewritten_ids: Vec<i64> = Vec::new();
    loop {
        let batch: Vec<StoredScore> = sqlx::query_as(
            "SELECT o.id, o.price, o.previous_price, o.reference_price, o.verdict, o.reduction_started_at,
                    o.ends_at, o.availability, o.score, s.weight
             FROM offers o JOIN shops s ON s.id = o.shop_id
             WHERE o.active AND o.score IS NOT NULL AND o.price IS NOT NULL AND o.id > $1
             ORDER BY o.id LIMIT $2",
        )
        .bind(after)
        .bind(options.batch_size.max(1))
        .fetch_all(pool)
        .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        report.batches += 1;
        report.examined += batch.len() as u64;
        let changed = rescore_batch(&batch, weights, now, options.min_change);
        if !changed.ids.is_empty() {
            report.rewritten += write_scores(pool, &changed).await?;
            rewritten_ids.extend_from_slice(&changed.ids);
        }
    }
    report.search_rows += search_index::refresh_offers(pool, &rewritten_ids).await?;
    let mut ended_in = ingest::expire_promotions(pool, now).await?;
    report.ended = ended_in.len() as u64;
    ended_in.sort_unstable();
    ended_in.dedup();
    for shop in &ended_in {
        report.search_rows += search_index::refresh_shop(pool, shop).await?;
    }
    // Rewritten scores stay scores (never NULL): only the ended offers change what the shops' counts show.
    kept_counts::recount_shops(pool, &ended_in).await?;
    Ok(report)
}

/// New scores, one array per column, for an UNNEST update.
#[derive(Default)]
struct ChangedScores {
    ids: Vec<i64>,
    scores: Vec<Decimal>,
    parts: Vec<serde_json::Value>,
}

/// The offers of `batch` whose score as of `now` differs materially from the stored one, with their new score.
fn rescore_batch(
    batch: &[StoredScore],
    weights: &ScoreWeights,
    now: DateTime<Utc>,
    min_change: Decimal,
) -> ChangedScores {
    let mut changed = ChangedScores::default();
    for offer in batch {
        // A verdict this version does not know is scored as unjudged rather than stopping the run.
        let verdict = offer.verdict.as_deref().and_then(|name| name.parse::<Verdict>().ok());
        let parts = score(
            &ScoreInput {
                price: offer.price,
                reference_price: offer.reference_price,
                claimed_previous: offer.previous_price,
                verdict,
                shop_weight: offer.weight,
                reduction_started_at: offer.reduction_started_at,
                valid_until: offer.ends_at,
                available: offer.availability.as_deref().map(|a| a != "out_of_stock"),
                now,
            },
            weights,
        );
        if parts.differs_materially(offer.score, min_change) {
            changed.ids.push(offer.id);
            changed.scores.push(parts.total);
            changed.parts.push(serde_json::to_value(&parts).unwrap_or(serde_json::Value::Null));
        }
    }
    changed
}

/// Writes the new scores; returns how many offers were updated. Leaves `judged_at` alone: the judgement was not
/// made again, only the score's time-dependent parts (whose time is in the parts' `as_of`).
async fn write_scores(pool: &PgPool, changed: &ChangedScores) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE offers o SET score = u.score, score_parts = u.score_parts
         FROM UNNEST($1::bigint[], $2::numeric[], $3::jsonb[]) AS u(id, score, score_parts)
         WHERE o.id = u.id",
    )
    .bind(&changed.ids)
    .bind(&changed.scores)
    .bind(&changed.parts)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single().expect("a valid date")
    }

    fn stored(id: i64, started_hours_ago: i64, score: Option<&str>) -> StoredScore {
        StoredScore {
            id,
            price: Decimal::new(70, 0),
            previous_price: Some(Decimal::new(100, 0)),
            reference_price: Some(Decimal::new(100, 0)),
            verdict: Some("honest".to_owned()),
            reduction_started_at: Some(now() - Duration::hours(started_hours_ago)),
            ends_at: None,
            availability: Some("in_stock".to_owned()),
            score: score.map(|text| text.parse().expect("a decimal")),
            weight: Decimal::ONE,
        }
    }

    #[test]
    fn only_scores_that_moved_materially_are_rewritten() {
        let weights = ScoreWeights::default();
        let fresh_total = score(
            &ScoreInput {
                price: Decimal::new(70, 0),
                reference_price: Some(Decimal::new(100, 0)),
                claimed_previous: Some(Decimal::new(100, 0)),
                verdict: Some(Verdict::Honest),
                shop_weight: Decimal::ONE,
                reduction_started_at: Some(now()),
                valid_until: None,
                available: Some(true),
                now: now(),
            },
            &weights,
        )
        .total
        .to_string();
        // Offer 1 was scored when its reduction began, 10 days ago; offer 2 just now; offer 3 never had parts.
        let batch = [stored(1, 240, Some(&fresh_total)), stored(2, 0, Some(&fresh_total)), stored(3, 5, None)];
        let changed = rescore_batch(&batch, &weights, now(), RescoreOptions::default().min_change);
        assert_eq!(changed.ids, [1, 3]);
        assert!(changed.scores[0] < fresh_total.parse().expect("a decimal"));
        assert_eq!(changed.parts[0]["facts"]["age_hours"], 240);
        assert_eq!(changed.parts[0]["as_of"], "2026-12-07T12:00:00Z");
    }
}
