//! Storing what dealcast concludes about offers: the 30-day-rule verdict and reference price, and the explainable
//! score, computed in Rust (`deals`) from each offer's stored price history and written back in one batched
//! statement, so that "best deals" is one indexed query (`offers_best`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::deals::honesty::{Observation, judge};
use crate::deals::score::{ScoreInput, ScoreWeights, score};

type OfferRow = (i64, Option<Decimal>, Option<Decimal>, Option<String>, Option<String>, Option<DateTime<Utc>>, Decimal);

/// Judges and scores the given offers as of `now`. Returns how many were updated.
pub async fn judge_offers(
    pool: &PgPool,
    offer_ids: &[i64],
    weights: &ScoreWeights,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if offer_ids.is_empty() {
        return Ok(0);
    }
    let offers: Vec<OfferRow> = sqlx::query_as(
        "SELECT o.id, o.price, o.previous_price, o.currency, o.availability, o.ends_at, s.weight
         FROM offers o JOIN shops s ON s.id = o.shop_id WHERE o.id = ANY($1)",
    )
    .bind(offer_ids)
    .fetch_all(pool)
    .await?;
    // Only observations in the offer's current currency are comparable.
    let rows: Vec<(i64, DateTime<Utc>, Decimal, Option<Decimal>)> = sqlx::query_as(
        "SELECT po.offer_id, po.observed_at, po.price, po.previous_price
         FROM price_observations po JOIN offers o ON o.id = po.offer_id AND o.currency = po.currency
         WHERE po.offer_id = ANY($1) ORDER BY po.offer_id, po.observed_at",
    )
    .bind(offer_ids)
    .fetch_all(pool)
    .await?;
    let mut histories: HashMap<i64, Vec<Observation>> = HashMap::new();
    for (offer_id, observed_at, price, previous_price) in rows {
        histories.entry(offer_id).or_default().push(Observation { observed_at, price, previous_price });
    }

    let mut update = JudgementColumns::default();
    for (id, price, previous, _currency, availability, ends_at, shop_weight) in offers {
        let Some(price) = price else { continue };
        let judgement = histories.get(&id).and_then(|history| judge(history, now));
        let parts = score(
            &ScoreInput {
                price,
                reference_price: judgement.as_ref().and_then(|j| j.reference_price),
                claimed_previous: previous,
                verdict: judgement.as_ref().map(|j| j.verdict),
                shop_weight,
                reduction_started_at: judgement.as_ref().map(|j| j.reduction_started_at),
                valid_until: ends_at,
                available: availability.as_deref().map(|a| a != "out_of_stock"),
                now,
            },
            weights,
        );
        update.ids.push(id);
        update.verdicts.push(judgement.as_ref().map(|j| j.verdict.as_str().to_string()));
        update.references.push(judgement.as_ref().and_then(|j| j.reference_price));
        update.real.push(judgement.as_ref().and_then(|j| j.real_discount_pct));
        update.claimed.push(judgement.as_ref().and_then(|j| j.claimed_discount_pct));
        update.started.push(judgement.as_ref().map(|j| j.reduction_started_at));
        update.scores.push(parts.total);
        update.parts.push(serde_json::to_value(&parts).unwrap_or(serde_json::Value::Null));
    }
    let done = sqlx::query(
        "UPDATE offers o SET verdict = u.verdict, reference_price = u.reference_price,
             real_discount_pct = u.real_discount_pct, claimed_discount_pct = u.claimed_discount_pct,
             reduction_started_at = u.reduction_started_at, score = u.score, score_parts = u.score_parts,
             judged_at = $9
         FROM UNNEST($1::bigint[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::timestamptz[],
                     $7::numeric[], $8::jsonb[])
              AS u(id, verdict, reference_price, real_discount_pct, claimed_discount_pct, reduction_started_at,
                   score, score_parts)
         WHERE o.id = u.id",
    )
    .bind(&update.ids)
    .bind(&update.verdicts)
    .bind(&update.references)
    .bind(&update.real)
    .bind(&update.claimed)
    .bind(&update.started)
    .bind(&update.scores)
    .bind(&update.parts)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// One array per column, for an UNNEST update.
#[derive(Default)]
struct JudgementColumns {
    ids: Vec<i64>,
    verdicts: Vec<Option<String>>,
    references: Vec<Option<Decimal>>,
    real: Vec<Option<Decimal>>,
    claimed: Vec<Option<Decimal>>,
    started: Vec<Option<DateTime<Utc>>>,
    scores: Vec<Decimal>,
    parts: Vec<serde_json::Value>,
}
