//! Scraper health: whether a finished scrape run looks like the shop's usual runs, and therefore whether the deals it
//! produced may be trusted. A scraper rarely breaks loudly: a shop changes its markup and the run "succeeds" with a
//! tenth of the offers, or half of its pages start failing. Comparing each run with the shop's own recent history
//! catches that, and the shop is then held back from publishing until a healthy run or an operator's
//! acknowledgement (`dealcast shop ack SHOP`) clears it.
//!
//! The judgement itself is pure ([`judge`]); [`assess_run`] is the shell that reads the run and its history and
//! writes the verdict to `scrape_runs.healthy` and `shops.healthy` / `shops.unhealthy_reason`.
//!
//! # What the publisher must exclude
//!
//! Deals from an unhealthy shop's latest run are not eligible for publishing. An offer carries the run that last
//! saw it (`offers.last_run_id`), so the publisher's selection must keep an offer only when its shop is healthy or
//! the run that last saw it was not judged unhealthy:
//!
//! ```sql
//! SELECT o.* FROM offers o
//! JOIN shops s ON s.id = o.shop_id
//! LEFT JOIN scrape_runs r ON r.id = o.last_run_id
//! WHERE o.active AND (s.healthy OR r.healthy IS NOT FALSE)
//! ```
//!
//! Offers that the unhealthy run did not see keep the earlier (healthy) run as their `last_run_id` and stay
//! eligible; offers of a shop that a later healthy run or an acknowledgement made healthy again are eligible
//! whatever run saw them. [`is_shop_healthy`] answers the per-shop question for callers that publish shop by shop.

use std::fmt;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// How many of the shop's recent runs form its baseline. Ten runs cover one to several weeks of a daily or hourly
/// schedule: long enough that one odd run does not move the median, short enough to follow a catalogue that grows
/// or shrinks over months.
pub const HISTORY_RUNS: i64 = 10;

/// Below this many baseline runs nothing is compared (a failed run is still unhealthy): the median of one or two
/// runs is whatever those runs happened to be, and a new shop's first runs would raise false alarms.
pub const MIN_HISTORY_RUNS: usize = 3;

/// A run that saw fewer offers than this fraction of the baseline median is unhealthy. Catalogues move by a few
/// per cent a day and by a fifth during big sales; losing half of them at once is a broken selector or a blocked
/// crawler, not commerce.
pub const OFFER_DROP_RATIO: f64 = 0.5;

/// ...and only when at least this many offers went missing. A tiny shop (a handful of promo codes) routinely
/// swings from 6 to 2 offers; the floor keeps such swings from holding its deals back.
pub const MIN_OFFER_DROP: f64 = 10.0;

/// A run whose errors per fetched page exceed this rate may be unhealthy: past one error for every two pages,
/// the offers the run did find are a biased sample of the shop.
pub const ERROR_RATE_LIMIT: f64 = 0.5;

/// ...when the rate is also at least this many times the baseline's median rate. A shop whose pages always fail
/// often (a flaky server, many dead links in its listings) is judged against its own normal, not an absolute bar.
pub const ERROR_SPIKE_FACTOR: f64 = 2.0;

/// The figures of one run that health compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunFigures {
    pub pages: u64,
    pub offers_seen: u64,
    /// All errors of the run, every kind summed (fetch errors, parse errors, rejected offers).
    pub errors: u64,
}

impl RunFigures {
    /// Errors per fetched page (a run without pages has no rate).
    fn error_rate(&self) -> Option<f64> {
        (self.pages > 0).then(|| self.errors as f64 / self.pages as f64)
    }
}

/// Why a run is unhealthy, in words an operator reads in `unhealthy_reason`.
#[derive(Debug, Clone, PartialEq)]
pub enum Unhealthiness {
    /// The run did not complete (`failed` or `abandoned`).
    RunFailed { status: String, note: Option<String> },
    /// Far fewer offers than the shop's median.
    FewOffers { seen: u64, median: f64, baseline_runs: usize },
    /// Far more errors per page than usual.
    ErrorSpike { errors: u64, pages: u64, median_rate: f64, baseline_runs: usize },
}

impl fmt::Display for Unhealthiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unhealthiness::RunFailed { status, note: Some(note) } => write!(f, "the run {status}: {note}"),
            Unhealthiness::RunFailed { status, note: None } => write!(f, "the run {status}"),
            Unhealthiness::FewOffers { seen, median, baseline_runs } => write!(
                f,
                "the run saw {seen} offers, under {:.0} % of the median of the last {baseline_runs} healthy runs \
                 ({median:.0})",
                OFFER_DROP_RATIO * 100.0
            ),
            Unhealthiness::ErrorSpike { errors, pages, median_rate, baseline_runs } => write!(
                f,
                "the run had {errors} errors for {pages} pages ({:.0} %), against a median of {:.0} % over the last \
                 {baseline_runs} healthy runs",
                *errors as f64 * 100.0 / *pages as f64,
                median_rate * 100.0
            ),
        }
    }
}

/// The health of one run.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthVerdict {
    Healthy,
    Unhealthy(Vec<Unhealthiness>),
}

impl HealthVerdict {
    pub fn is_healthy(&self) -> bool {
        matches!(self, HealthVerdict::Healthy)
    }

    /// Every reason, in one line (`None` when healthy).
    pub fn reason(&self) -> Option<String> {
        match self {
            HealthVerdict::Healthy => None,
            HealthVerdict::Unhealthy(reasons) => {
                Some(reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
            }
        }
    }
}

/// How a run ended, as far as health is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    Succeeded,
    /// `failed` or `abandoned`, with the run's note.
    DidNotComplete {
        status: String,
        note: Option<String>,
    },
}

/// Judges a run against its shop's baseline (its recent healthy runs, newest first or in any order).
pub fn judge(run: &RunFigures, end: &RunEnd, baseline: &[RunFigures]) -> HealthVerdict {
    let mut reasons = Vec::new();
    if let RunEnd::DidNotComplete { status, note } = end {
        reasons.push(Unhealthiness::RunFailed { status: status.clone(), note: note.clone() });
    } else if baseline.len() >= MIN_HISTORY_RUNS {
        let median_seen = median(baseline.iter().map(|r| r.offers_seen as f64).collect());
        let seen = run.offers_seen as f64;
        if seen < median_seen * OFFER_DROP_RATIO && median_seen - seen >= MIN_OFFER_DROP {
            reasons.push(Unhealthiness::FewOffers {
                seen: run.offers_seen,
                median: median_seen,
                baseline_runs: baseline.len(),
            });
        }
        let rates: Vec<f64> = baseline.iter().filter_map(RunFigures::error_rate).collect();
        if let Some(rate) = run.error_rate()
            && !rates.is_empty()
        {
            let median_rate = median(rates);
            if rate > ERROR_RATE_LIMIT && rate >= median_rate * ERROR_SPIKE_FACTOR {
                reasons.push(Unhealthiness::ErrorSpike {
                    errors: run.errors,
                    pages: run.pages,
                    median_rate,
                    baseline_runs: baseline.len(),
                });
            }
        }
    }
    if reasons.is_empty() { HealthVerdict::Healthy } else { HealthVerdict::Unhealthy(reasons) }
}

/// The median of non-empty `values` (the mean of the two middle ones for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] }
}

/// A run as read for judging: (status, note, started_at, finished_at, pages, offers, errors).
type RunRow = (String, Option<String>, DateTime<Utc>, DateTime<Utc>, i32, i32, i64);

/// Judges the finished run `run_id` of `shop_id` against the shop's last [`HISTORY_RUNS`] healthy successful runs
/// before it, records the verdict on the run, and makes the shop healthy or unhealthy accordingly.
///
/// The baseline holds successful runs that were judged healthy (or never judged), plus unhealthy ones the operator
/// acknowledged; an acknowledgement of an unhealthy run also restarts the baseline at that run, because the
/// operator said "this is the shop's new normal" (a catalogue that really halved would otherwise be flagged again
/// at every run until the old runs left the window).
///
/// The shop's own state changes only when this run is the latest judged run of the shop, and an unhealthy verdict
/// leaves the shop healthy when the operator acknowledged it after the run ended. A run that does not exist,
/// belongs to another shop or is still running is `sqlx::Error::RowNotFound`.
pub async fn assess_run(
    pool: &PgPool,
    shop_id: &str,
    run_id: i64,
    now: DateTime<Utc>,
) -> Result<HealthVerdict, sqlx::Error> {
    let (status, note, started_at, finished_at, pages, seen, errors): RunRow = sqlx::query_as(
        // The errors jsonb holds counts by kind: health looks at their sum.
        "SELECT r.status, r.note, r.started_at, r.finished_at, r.pages_fetched, r.offers_seen,
             (SELECT COALESCE(sum(e.value::numeric), 0)::bigint FROM jsonb_each_text(r.errors) AS e)
         FROM scrape_runs r WHERE r.id = $1 AND r.shop_id = $2 AND r.status <> 'running'
           AND r.finished_at IS NOT NULL",
    )
    .bind(run_id)
    .bind(shop_id)
    .fetch_one(pool)
    .await?;
    let baseline: Vec<(i32, i32, i64)> = sqlx::query_as(
        "WITH shop AS (SELECT acknowledged_at FROM shops WHERE id = $1),
         restart AS (
             SELECT max(r.started_at) AS since FROM scrape_runs r, shop
             WHERE r.shop_id = $1 AND r.status = 'succeeded' AND r.healthy = false
               AND r.finished_at <= shop.acknowledged_at)
         SELECT r.pages_fetched, r.offers_seen,
             (SELECT COALESCE(sum(e.value::numeric), 0)::bigint FROM jsonb_each_text(r.errors) AS e)
         FROM scrape_runs r, shop, restart
         WHERE r.shop_id = $1 AND r.id <> $2 AND r.status = 'succeeded' AND r.started_at < $3
           AND (r.healthy IS NOT FALSE OR r.finished_at <= shop.acknowledged_at)
           AND (restart.since IS NULL OR r.started_at >= restart.since)
         ORDER BY r.started_at DESC, r.id DESC
         LIMIT $4",
    )
    .bind(shop_id)
    .bind(run_id)
    .bind(started_at)
    .bind(HISTORY_RUNS)
    .fetch_all(pool)
    .await?;

    let figures = |pages: i32, seen: i32, errors: i64| RunFigures {
        pages: u64::try_from(pages).unwrap_or(0),
        offers_seen: u64::try_from(seen).unwrap_or(0),
        errors: u64::try_from(errors).unwrap_or(0),
    };
    let end = if status == "succeeded" { RunEnd::Succeeded } else { RunEnd::DidNotComplete { status, note } };
    let baseline: Vec<RunFigures> = baseline.into_iter().map(|(p, s, e)| figures(p, s, e)).collect();
    let verdict = judge(&figures(pages, seen, errors), &end, &baseline);

    let mut transaction = pool.begin().await?;
    sqlx::query("UPDATE scrape_runs SET healthy = $2 WHERE id = $1")
        .bind(run_id)
        .bind(verdict.is_healthy())
        .execute(&mut *transaction)
        .await?;
    sqlx::query(
        "UPDATE shops SET healthy = $2, unhealthy_reason = $3, updated_at = $4
         WHERE id = $1
           AND ($2 OR acknowledged_at IS NULL OR acknowledged_at < $5)
           AND NOT EXISTS (SELECT 1 FROM scrape_runs later
                           WHERE later.shop_id = $1 AND later.id <> $6 AND later.healthy IS NOT NULL
                             AND later.started_at > $7)",
    )
    .bind(shop_id)
    .bind(verdict.is_healthy())
    .bind(verdict.reason())
    .bind(now)
    .bind(finished_at)
    .bind(run_id)
    .bind(started_at)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(verdict)
}

/// The operator's "this is fine" (`dealcast shop ack SHOP`): the shop becomes healthy, and who said so and when is
/// kept. Returns whether the shop exists.
pub async fn acknowledge(pool: &PgPool, shop_id: &str, by: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE shops SET healthy = true, unhealthy_reason = NULL, acknowledged_at = $2, acknowledged_by = $3,
             updated_at = $2
         WHERE id = $1",
    )
    .bind(shop_id)
    .bind(now)
    .bind(by)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the deals of the shop's latest run may be published. A shop the database does not know has no deals,
/// and counts as not healthy, so that a mistyped id never opens the gate.
pub async fn is_shop_healthy(pool: &PgPool, shop_id: &str) -> Result<bool, sqlx::Error> {
    let healthy: Option<bool> =
        sqlx::query_scalar("SELECT healthy FROM shops WHERE id = $1").bind(shop_id).fetch_optional(pool).await?;
    Ok(healthy.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(offers_seen: u64, pages: u64, errors: u64) -> RunFigures {
        RunFigures { pages, offers_seen, errors }
    }

    fn usual() -> Vec<RunFigures> {
        vec![run(1000, 50, 1), run(980, 50, 0), run(1020, 51, 2), run(1005, 50, 1), run(990, 50, 0)]
    }

    #[test]
    fn a_run_like_the_usual_ones_is_healthy() {
        assert_eq!(judge(&run(995, 50, 1), &RunEnd::Succeeded, &usual()), HealthVerdict::Healthy);
    }

    #[test]
    fn a_run_with_a_tenth_of_the_offers_is_unhealthy() {
        let verdict = judge(&run(100, 50, 0), &RunEnd::Succeeded, &usual());
        assert!(!verdict.is_healthy());
        let reason = verdict.reason().unwrap();
        assert!(reason.contains("saw 100 offers") && reason.contains("(1000)"), "{reason}");
    }

    #[test]
    fn a_tiny_shop_losing_a_few_offers_stays_healthy() {
        let baseline = vec![run(6, 1, 0), run(5, 1, 0), run(6, 1, 0)];
        assert!(judge(&run(1, 1, 0), &RunEnd::Succeeded, &baseline).is_healthy());
    }

    #[test]
    fn an_error_spike_is_unhealthy_but_a_shop_always_that_noisy_is_not() {
        let verdict = judge(&run(990, 50, 40), &RunEnd::Succeeded, &usual());
        assert!(verdict.reason().unwrap().contains("40 errors for 50 pages (80 %)"));
        let noisy = vec![run(1000, 50, 35), run(1000, 50, 30), run(1000, 50, 32)];
        assert!(judge(&run(990, 50, 40), &RunEnd::Succeeded, &noisy).is_healthy());
    }

    #[test]
    fn too_little_history_never_compares() {
        let short = vec![run(1000, 50, 0), run(1000, 50, 0)];
        assert!(judge(&run(0, 50, 49), &RunEnd::Succeeded, &short).is_healthy());
    }

    #[test]
    fn a_failed_run_is_unhealthy_even_without_history() {
        let end = RunEnd::DidNotComplete { status: "failed".to_string(), note: Some("timeout".to_string()) };
        assert_eq!(judge(&run(0, 0, 3), &end, &[]).reason().as_deref(), Some("the run failed: timeout"));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
    }
}
