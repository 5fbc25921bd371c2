//! The honest-discount judgement: an offer's reference price under the EU 30-day rule, and whether the shop's
//! claimed "was" price stands up to it.
//!
//! It exists because shops' "was" prices cannot be trusted, and dealcast, which keeps every price it observes, can
//! check them the way the law does (Directive 98/6/EC art. 6a, L112-1-1 in France, CJEU C-330/23): an announced
//! reduction is measured from the lowest price applied during the 30 days before the reduction began.
//!
//! The rules, applied by [`judge`] to every observation of one offer (observations after `now` are ignored, so a
//! history can be judged as of any moment; ties in time keep the caller's order):
//! - **The current reduction** is the run of latest observations at the current price (equal as amounts: 49.9 and
//!   49.90 are one price). It began at the first observation of that run when the price before it was higher: a
//!   lower price is a reduction even when the shop claims no previous price. When the price did not fall (the run
//!   starts the history, or follows a lower price) the offer is a reduction only if it claims one, and the reduction
//!   began when the claim appeared: the first observation of the trailing run of claiming observations at that price.
//!   Otherwise the offer is not reduced and [`judge`] returns `None`. Consequence: a "was" price added to an
//!   unchanged price is judged from the day it was added, and a price silently cut on day 40 and announced on day 43
//!   is judged from day 40, when the reduction was applied.
//! - **A claim** is a previous price above the price; a previous price equal to or below the price claims nothing
//!   (it is bad data, for the store's checks to flag).
//! - **Successive reductions** (exempted by art. 6a(5), transposed in France): when the price drops again during an
//!   announced promotion, the later step keeps the start (and so the reference price) of the first step. Two steps
//!   are one promotion when both claim a previous price, claim the *same* one, and the later price is lower: a
//!   progressive sale ("-30 %, then -50 %, was 69.99") stays honest, while a step that changes its "was" price, or
//!   follows an unannounced cut, starts a new reduction judged on its own 30 days. The exemption needs the first step
//!   to be verifiable: when the promotion was already running at the first observation, the latest step is judged
//!   on its own window (the prices seen before it), so a fake "was" price shown from the start is still caught.
//! - **The reference price** is the lowest price in effect during the 30 days before the reduction began: the price
//!   in effect when the window opens (the last observation at or before its start carries over, since a price stays
//!   in effect until the next change) and every observation inside it. With no observation before the reduction
//!   began, the reference is unknown.
//! - **The verdict** is [`Verdict::Inflated`] when a price in effect in that window is below the claim, whatever the
//!   length of the history (the legal reference is then lower than the claim); [`Verdict::Honest`] when the history
//!   covers the whole window (its first observation is at least 30 days before the reduction began) and the claim,
//!   if any, is not above the reference; [`Verdict::Unverified`] otherwise.
//! - **Percentages** are `(from − price) / from × 100`, rounded half away from zero to one decimal: the real one from
//!   the reference (0 or negative means no real reduction), the claimed one from the claim. Neither exists when its
//!   basis is unknown or not positive.
//!
//! Known limit: an offer that has shown the same "was" price since dealcast first saw it stays unverified however
//! long it lasts, since the reduction began before the history did.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Length of the window before a reduction in which its reference price is sought, in days (art. 6a(2)).
pub const REFERENCE_WINDOW_DAYS: i64 = 30;

/// One observed state of an offer: what it cost, and what the shop claimed it used to cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// When dealcast saw this price (the start of the price's time in effect, as far as dealcast knows).
    pub observed_at: DateTime<Utc>,
    /// The price charged.
    pub price: Decimal,
    /// The shop's crossed-out "was" price, if it showed one.
    pub previous_price: Option<Decimal>,
}

/// Whether a claimed reduction stands up to the 30-day rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Thirty days of history back the reduction, and the claim is not above their lowest price.
    Honest,
    /// A price in effect during the 30 days before the reduction is below the shop's claimed previous price.
    Inflated,
    /// Not enough history to confirm the reduction, and nothing seen contradicts it.
    Unverified,
}

impl Verdict {
    /// The name stored in the database and printed to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Honest => "honest",
            Verdict::Inflated => "inflated",
            Verdict::Unverified => "unverified",
        }
    }
}

impl std::str::FromStr for Verdict {
    type Err = UnknownVerdict;

    /// The verdict of a stored name ([`Verdict::as_str`]).
    fn from_str(name: &str) -> Result<Verdict, UnknownVerdict> {
        [Verdict::Honest, Verdict::Inflated, Verdict::Unverified]
            .into_iter()
            .find(|verdict| verdict.as_str() == name)
            .ok_or_else(|| UnknownVerdict(name.to_owned()))
    }
}

/// A stored verdict name this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown verdict {0:?} (expected honest, inflated or unverified)")]
pub struct UnknownVerdict(pub String);

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The judgement of an offer's current reduction (see the module documentation for the rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// Whether the claimed reduction is honest.
    pub verdict: Verdict,
    /// The lowest price in effect during the 30 days before the reduction began, when anything was seen before it.
    pub reference_price: Option<Decimal>,
    /// When the reduction began (for successive reductions of one promotion, when its first step began).
    pub reduction_started_at: DateTime<Utc>,
    /// Whole days of history before the reduction began (0 when nothing was seen before it).
    pub observed_days: i64,
    /// The discount from the reference price, in percent to one decimal; 0 or negative when it is no real reduction.
    pub real_discount_pct: Option<Decimal>,
    /// The discount the shop claims, from its previous price, in percent to one decimal.
    pub claimed_discount_pct: Option<Decimal>,
    /// The lowest price in effect in the 30-day window (the reference price: kept under this name too because it is
    /// what the verdict compares the claim with).
    pub lowest_in_window: Option<Decimal>,
}

/// Judges the current reduction of one offer from its `history` (every observation of the offer, in any order; the
/// latest one at or before `now` is the current state).
///
/// Returns `None` when the offer claims no reduction (no previous price above the price) and its price did not fall,
/// or when nothing was observed at or before `now`.
pub fn judge(history: &[Observation], now: DateTime<Utc>) -> Option<Judgement> {
    let mut seen: Vec<&Observation> = history.iter().filter(|o| o.observed_at <= now).collect();
    // Stable, so that observations stamped with the same instant keep the order the caller gave them.
    seen.sort_by_key(|o| o.observed_at);
    let current = *seen.last()?;
    let start = reduction_start(&seen)?;
    let started_at = seen[start].observed_at;
    let before = &seen[..start];

    // Saturates at the earliest representable instant instead of panicking on a nonsensical timestamp.
    let window_opens =
        started_at.checked_sub_signed(Duration::days(REFERENCE_WINDOW_DAYS)).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let lowest = lowest_in_effect(before, window_opens);
    let covers_window = before.first().is_some_and(|first| first.observed_at <= window_opens);
    let claim = claimed_previous(current);

    let verdict = match (claim, lowest) {
        (Some(claim), Some(lowest)) if lowest < claim => Verdict::Inflated,
        _ if covers_window => Verdict::Honest,
        _ => Verdict::Unverified,
    };

    Some(Judgement {
        verdict,
        reference_price: lowest,
        reduction_started_at: started_at,
        observed_days: before.first().map_or(0, |first| (started_at - first.observed_at).num_days()),
        real_discount_pct: lowest.and_then(|reference| discount_pct(reference, current.price)),
        claimed_discount_pct: claim.and_then(|claim| discount_pct(claim, current.price)),
        lowest_in_window: lowest,
    })
}

/// The discount from `from` to `price`, in percent rounded half away from zero to one decimal; `None` when `from`
/// is not positive or the arithmetic would overflow.
pub fn discount_pct(from: Decimal, price: Decimal) -> Option<Decimal> {
    if from <= Decimal::ZERO {
        return None;
    }
    let pct = from.checked_sub(price)?.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(from)?;
    let mut pct = pct.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    // Always one decimal, so that 30 % is stored and printed as "30.0" like every other percentage.
    pct.rescale(1);
    Some(pct)
}

/// The shop's claimed previous price, when it is above the price (anything else claims no reduction).
fn claimed_previous(observation: &Observation) -> Option<Decimal> {
    observation.previous_price.filter(|previous| *previous > observation.price)
}

fn claims_reduction(observation: &Observation) -> bool {
    claimed_previous(observation).is_some()
}

/// Index in `seen` (sorted, not empty) of the observation at which the current reduction began, or `None` when the
/// latest observation is not a reduction. Iterative rather than recursive so that a long promotion cannot exhaust
/// the stack.
fn reduction_start(seen: &[&Observation]) -> Option<usize> {
    let mut end = seen.len().checked_sub(1)?;
    // The start of the latest step, when it is a successive reduction of an earlier step.
    let mut latest_step: Option<usize> = None;
    // The exemption for successive reductions needs the promotion's first step to be verifiable: when nothing was
    // seen before it (dealcast met the promotion already running), the latest step is judged on its own window, or a
    // fake "was" price shown from the start would never be caught.
    loop {
        let last = seen[end];
        let run_start = start_of_run(seen, end, |o| o.price == last.price);
        let price_fell = run_start > 0 && seen[run_start - 1].price > last.price;
        if !price_fell {
            if !claims_reduction(last) {
                return None;
            }
            // The price did not fall: the reduction is the claim, and it began when the claim appeared.
            return Some(verifiable(
                start_of_run(seen, end, |o| o.price == last.price && claims_reduction(o)),
                latest_step,
            ));
        }
        let step_before = seen[run_start - 1];
        let same_promotion = claims_reduction(last)
            && claims_reduction(step_before)
            && claimed_previous(step_before) == claimed_previous(last);
        if !same_promotion {
            return Some(verifiable(run_start, latest_step));
        }
        // A successive reduction: the promotion began where the step before it began.
        latest_step.get_or_insert(run_start);
        end = run_start - 1;
    }
}

/// The start to judge from: a promotion's first step when something was seen before it, else its latest step.
fn verifiable(start: usize, latest_step: Option<usize>) -> usize {
    if start == 0 { latest_step.unwrap_or(start) } else { start }
}

/// First index of the run of observations ending at `end` (inclusive) that all satisfy `belongs`.
fn start_of_run(seen: &[&Observation], end: usize, belongs: impl Fn(&Observation) -> bool) -> usize {
    let mut start = end;
    while start > 0 && belongs(seen[start - 1]) {
        start -= 1;
    }
    start
}

/// The lowest price in effect from `window_opens` to the end of `before` (sorted observations preceding the
/// reduction): the last one at or before the window's opening carries over, and every later one counts.
fn lowest_in_effect(before: &[&Observation], window_opens: DateTime<Utc>) -> Option<Decimal> {
    let inside_from = before.partition_point(|o| o.observed_at <= window_opens);
    let carried = inside_from.checked_sub(1).map(|i| before[i]);
    carried.into_iter().chain(before[inside_from..].iter().copied()).map(|o| o.price).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn dec(text: &str) -> Decimal {
        text.parse().expect("test amounts are valid decimals")
    }

    fn day(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).single().expect("a valid start date") + Duration::days(n)
    }

    fn seen(on_day: i64, price: &str) -> Observation {
        Observation { observed_at: day(on_day), price: dec(price), previous_price: None }
    }

    fn claimed(on_day: i64, price: &str, was: &str) -> Observation {
        Observation { observed_at: day(on_day), price: dec(price), previous_price: Some(dec(was)) }
    }

    fn judged(history: &[Observation], now_day: i64) -> Judgement {
        judge(history, day(now_day)).expect("the history ends in a reduction")
    }

    #[test]
    fn a_sale_after_more_than_thirty_days_at_the_claimed_price_is_honest() {
        let history = [seen(0, "69.99"), seen(20, "69.99"), claimed(45, "49.99", "69.99")];
        let judgement = judged(&history, 46);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judgement.reference_price, Some(dec("69.99")));
        assert_eq!(judgement.lowest_in_window, Some(dec("69.99")));
        assert_eq!(judgement.reduction_started_at, day(45));
        assert_eq!(judgement.observed_days, 45);
        assert_eq!(judgement.real_discount_pct, Some(dec("28.6")));
        assert_eq!(judgement.claimed_discount_pct, Some(dec("28.6")));
    }

    #[test]
    fn a_promotion_met_already_running_cannot_hide_a_fake_was_price_behind_a_second_step() {
        // First visit: 12.99 "was 17.99", never seen at 17.99. Then a second step, same claim.
        let history = [claimed(0, "12.99", "17.99"), claimed(10, "9.25", "17.99")];
        let judgement = judged(&history, 11);
        assert_eq!(judgement.verdict, Verdict::Inflated);
        assert_eq!(judgement.reference_price, Some(dec("12.99")));
        assert_eq!(judgement.reduction_started_at, day(10));
    }

    #[test]
    fn a_claim_above_a_price_charged_ten_days_before_is_inflated() {
        let history = [seen(0, "64.99"), seen(30, "59.99"), seen(36, "64.99"), claimed(40, "54.99", "79.99")];
        let judgement = judged(&history, 41);
        assert_eq!(judgement.verdict, Verdict::Inflated);
        assert_eq!(judgement.reference_price, Some(dec("59.99")));
        assert_eq!(judgement.real_discount_pct, Some(dec("8.3")));
        assert_eq!(judgement.claimed_discount_pct, Some(dec("31.3")));
    }

    #[test]
    fn an_inflated_claim_is_caught_however_short_the_history() {
        let history = [seen(0, "59.99"), claimed(10, "54.99", "79.99")];
        let judgement = judged(&history, 10);
        assert_eq!(judgement.verdict, Verdict::Inflated);
        assert_eq!(judgement.observed_days, 10);
        assert_eq!(judgement.reference_price, Some(dec("59.99")));
    }

    #[test]
    fn a_price_raised_just_before_a_sale_makes_the_sale_inflated_with_a_negative_real_discount() {
        let history = [seen(0, "49.99"), seen(40, "69.99"), claimed(45, "54.99", "69.99")];
        let judgement = judged(&history, 46);
        assert_eq!(judgement.verdict, Verdict::Inflated);
        assert_eq!(judgement.reference_price, Some(dec("49.99")));
        assert_eq!(judgement.reduction_started_at, day(45));
        assert_eq!(judgement.real_discount_pct, Some(dec("-10.0")));
        assert_eq!(judgement.claimed_discount_pct, Some(dec("21.4")));
    }

    #[test]
    fn a_sale_after_a_short_history_is_unverified_with_the_reference_seen_so_far() {
        let history = [seen(0, "69.99"), claimed(10, "49.99", "69.99")];
        let judgement = judged(&history, 12);
        assert_eq!(judgement.verdict, Verdict::Unverified);
        assert_eq!(judgement.reference_price, Some(dec("69.99")));
        assert_eq!(judgement.observed_days, 10);
        assert_eq!(judgement.real_discount_pct, Some(dec("28.6")));
    }

    #[test]
    fn a_sale_seen_on_the_first_visit_has_no_reference_and_is_unverified() {
        let history = [claimed(0, "49.99", "69.99"), claimed(5, "49.99", "69.99")];
        let judgement = judged(&history, 5);
        assert_eq!(judgement.verdict, Verdict::Unverified);
        assert_eq!(judgement.reference_price, None);
        assert_eq!(judgement.real_discount_pct, None);
        assert_eq!(judgement.claimed_discount_pct, Some(dec("28.6")));
        assert_eq!(judgement.reduction_started_at, day(0));
        assert_eq!(judgement.observed_days, 0);
    }

    #[test]
    fn a_price_fall_without_a_claim_is_a_reduction_judged_on_its_history() {
        let history = [seen(0, "69.99"), seen(40, "49.99"), seen(42, "49.99")];
        let judgement = judged(&history, 42);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judgement.reduction_started_at, day(40));
        assert_eq!(judgement.claimed_discount_pct, None);
        assert_eq!(judgement.real_discount_pct, Some(dec("28.6")));
    }

    #[test]
    fn an_unchanged_price_without_a_claim_is_no_reduction() {
        assert_eq!(judge(&[seen(0, "19.99"), seen(40, "19.990")], day(41)), None);
    }

    #[test]
    fn a_price_rise_without_a_claim_is_no_reduction() {
        assert_eq!(judge(&[seen(0, "19.99"), seen(40, "24.99")], day(41)), None);
    }

    #[test]
    fn a_previous_price_not_above_the_price_claims_nothing() {
        let history = [seen(0, "19.99"), claimed(40, "19.99", "19.99"), claimed(41, "19.99", "9.99")];
        assert_eq!(judge(&history, day(41)), None);
    }

    #[test]
    fn an_empty_history_has_no_judgement() {
        assert_eq!(judge(&[], day(0)), None);
    }

    #[test]
    fn a_was_price_added_to_an_unchanged_price_is_judged_from_the_day_it_appeared() {
        let history = [seen(0, "49.99"), seen(20, "49.99"), claimed(40, "49.99", "69.99")];
        let judgement = judged(&history, 41);
        assert_eq!(judgement.verdict, Verdict::Inflated);
        assert_eq!(judgement.reduction_started_at, day(40));
        assert_eq!(judgement.real_discount_pct, Some(dec("0.0")));
    }

    #[test]
    fn a_silent_cut_announced_later_is_judged_from_the_cut() {
        let history = [seen(0, "69.99"), seen(40, "54.99"), claimed(43, "54.99", "69.99")];
        let judgement = judged(&history, 44);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judgement.reduction_started_at, day(40));
        assert_eq!(judgement.reference_price, Some(dec("69.99")));
    }

    #[test]
    fn a_second_drop_of_one_promotion_keeps_the_reference_of_the_first_drop() {
        let history = [seen(0, "69.99"), claimed(40, "59.99", "69.99"), claimed(47, "49.99", "69.99")];
        let judgement = judged(&history, 48);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judgement.reduction_started_at, day(40));
        assert_eq!(judgement.reference_price, Some(dec("69.99")));
        assert_eq!(judgement.real_discount_pct, Some(dec("28.6")));
    }

    #[test]
    fn a_drop_with_a_new_was_price_is_a_new_reduction_with_its_own_reference() {
        let history = [seen(0, "69.99"), claimed(40, "59.99", "69.99"), claimed(47, "49.99", "59.99")];
        let judgement = judged(&history, 48);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judgement.reduction_started_at, day(47));
        assert_eq!(judgement.reference_price, Some(dec("59.99")));
        assert_eq!(judgement.real_discount_pct, Some(dec("16.7")));
    }

    #[test]
    fn an_announced_drop_after_an_unannounced_one_is_not_a_successive_reduction() {
        let history = [seen(0, "69.99"), seen(40, "59.99"), claimed(47, "49.99", "69.99")];
        let judgement = judged(&history, 48);
        assert_eq!(judgement.verdict, Verdict::Inflated);
        assert_eq!(judgement.reduction_started_at, day(47));
        assert_eq!(judgement.reference_price, Some(dec("59.99")));
    }

    #[test]
    fn a_low_price_in_effect_when_the_window_opens_counts_though_it_was_seen_before() {
        // 39.99 was seen on day 0 and stayed in effect until day 25, well into the window that opens on day 15.
        let history = [seen(0, "39.99"), seen(25, "69.99"), claimed(45, "49.99", "69.99")];
        let judgement = judged(&history, 45);
        assert_eq!(judgement.verdict, Verdict::Inflated);
        assert_eq!(judgement.reference_price, Some(dec("39.99")));
    }

    #[test]
    fn a_price_seen_exactly_when_the_window_opens_is_in_effect_in_it() {
        let history = [seen(0, "39.99"), seen(15, "69.99"), claimed(45, "49.99", "69.99")];
        let judgement = judged(&history, 45);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judgement.reference_price, Some(dec("69.99")));
    }

    #[test]
    fn a_low_price_replaced_before_the_window_opens_does_not_count() {
        let history = [seen(0, "39.99"), seen(10, "69.99"), claimed(45, "49.99", "69.99")];
        let judgement = judged(&history, 45);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judgement.reference_price, Some(dec("69.99")));
        assert_eq!(judgement.observed_days, 45);
    }

    #[test]
    fn a_history_given_out_of_order_is_judged_as_if_sorted() {
        let sorted = [seen(0, "49.99"), seen(40, "69.99"), claimed(45, "54.99", "69.99")];
        let shuffled = [sorted[2].clone(), sorted[0].clone(), sorted[1].clone()];
        assert_eq!(judge(&shuffled, day(46)), judge(&sorted, day(46)));
    }

    #[test]
    fn observations_after_now_are_ignored() {
        let history = [seen(0, "69.99"), claimed(45, "49.99", "69.99"), seen(50, "69.99")];
        let judgement = judged(&history, 46);
        assert_eq!(judgement.verdict, Verdict::Honest);
        assert_eq!(judge(&history, day(50)), None);
    }

    #[test]
    fn a_free_reference_gives_no_percentage() {
        let history = [seen(0, "0"), seen(1, "0"), claimed(40, "0", "10")];
        let judgement = judged(&history, 40);
        assert_eq!(judgement.real_discount_pct, None);
        assert_eq!(judgement.claimed_discount_pct, Some(dec("100.0")));
    }

    proptest::proptest! {
        #[test]
        fn any_history_is_judged_without_panicking_and_consistently(
            steps in proptest::collection::vec((0i64..100, 1i64..20_000, proptest::option::of(0i64..30_000)), 0..30),
        ) {
            let history: Vec<Observation> = steps
                .iter()
                .map(|&(on_day, cents, was)| Observation {
                    observed_at: day(on_day),
                    price: Decimal::new(cents, 2),
                    previous_price: was.map(|was| Decimal::new(was, 2)),
                })
                .collect();
            if let Some(judgement) = judge(&history, day(100)) {
                // The current observation: the latest, and among equal times the last given (the sort is stable).
                let latest = history.iter().map(|o| o.observed_at).max();
                let current = history.iter().rfind(|o| Some(o.observed_at) == latest);
                let claim = current.and_then(claimed_previous);
                let reference = judgement.reference_price;
                match judgement.verdict {
                    Verdict::Inflated => proptest::prop_assert!(reference.is_some() && claim > reference),
                    Verdict::Honest => {
                        proptest::prop_assert!(judgement.observed_days >= REFERENCE_WINDOW_DAYS);
                        proptest::prop_assert!(claim.is_none() || claim <= reference);
                    }
                    Verdict::Unverified => {
                        proptest::prop_assert!(judgement.observed_days < REFERENCE_WINDOW_DAYS);
                    }
                }
                proptest::prop_assert_eq!(judgement.lowest_in_window, judgement.reference_price);
            }
        }
    }

    #[test]
    fn a_judgement_serialises_with_the_verdict_name_stored_in_the_database() {
        let judgement = judged(&[seen(0, "49.99"), seen(40, "69.99"), claimed(45, "54.99", "69.99")], 46);
        let json = serde_json::to_value(&judgement).expect("a judgement serialises");
        assert_eq!(json["verdict"], Verdict::Inflated.as_str());
        assert_eq!(Verdict::Honest.to_string(), "honest");
        assert_eq!(Verdict::Unverified.as_str(), "unverified");
        let back: Judgement = serde_json::from_value(json).expect("and reads back");
        assert_eq!(back, judgement);
    }
}
