//! The deal score: one number to rank offers by, made of named parts that `dealcast deals show` can explain.
//!
//! It exists so that "best deals" is one indexed query over a stored number, while every number can still be
//! justified to a reader: the parts are stored beside the total (as JSON) and [`ScoreParts::explain`] prints them.
//!
//! How the total is made (weights from [`ScoreWeights`], the `[scoring]` table of `dealcast.toml`):
//! - four **points** parts are added:
//!   - `real_discount` = `real_discount` weight × the discount in percent (one decimal), measured from the reference
//!     price when it is known and positive, else from the shop's claimed previous price; negative when the reference
//!     is below the price;
//!   - `money_saved` = `money_saved` weight × log2(1 + amount saved), so that saving 100 beats saving 10 without
//!     drowning the percentage (0 when nothing is saved; the amount is in the offer's own currency);
//!   - `verdict` = + `honest_bonus` when honest; when unverified, − (1 − `unverified_factor`) × (`real_discount` +
//!     `money_saved`, if positive), i.e. an unverified discount is counted at `unverified_factor` of its value; when
//!     inflated, that same loss and − `inflated_penalty` besides (so an inflated deal never outranks the same deal
//!     unverified, however large its discount); 0 when the offer was not judged;
//!   - `ending_soon` = `ending_soon_bonus` when the promotion ends within `ending_soon_within_hours`;
//! - four **factors** multiply their sum, floored at 0 (a deal is never worth less than nothing):
//!   - `shop_weight` (from the shop file; negative counts as 0);
//!   - `freshness` = `freshness_floor` + (1 − `freshness_floor`) × 0.5^(hours since the reduction began ÷
//!     `freshness_half_life_hours`); 1 when the start is unknown or the half-life is not positive;
//!   - `availability` = `out_of_stock_factor` when out of stock, else 1;
//!   - `running` = 0 once the promotion's end has passed, else 1;
//! - `total` = max(0, sum of points) × product of factors, rounded to 2 decimals.
//!
//! Because every part only grows with a better deal and the factors are non-negative, the total is monotonic: a
//! bigger discount, a fresher reduction or a heavier shop never lowers it; an inflated claim costs
//! at least `honest_bonus + inflated_penalty` points against the same deal judged honest; out of stock divides it by 20 with
//! the default weights; an ended promotion scores 0. The property tests below check these.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};

use super::honesty::{Verdict, discount_pct};
use super::score_wording::{ENGLISH, ScoreWording};

/// Decimal places kept of a factor computed in floating point (a ranking weight, not money).
const FACTOR_DECIMALS: u32 = 4;
/// Decimal places of the stored total.
const TOTAL_DECIMALS: u32 = 2;

/// The weights of the score (the `[scoring]` table of `dealcast.toml`; every key is optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    /// Points per percent of discount.
    pub real_discount: Decimal,
    /// Points per doubling of (1 + the amount saved).
    pub money_saved: Decimal,
    /// Points added to a deal judged honest.
    pub honest_bonus: Decimal,
    /// Share (0 to 1) of its discount points an unverified deal keeps.
    pub unverified_factor: Decimal,
    /// Points taken from a deal whose claimed previous price is inflated.
    pub inflated_penalty: Decimal,
    /// Hours after which a reduction's freshness above the floor has halved; 0 turns freshness off.
    pub freshness_half_life_hours: Decimal,
    /// Freshness factor (0 to 1) that an old reduction keeps, so long-running genuine deals stay listed.
    pub freshness_floor: Decimal,
    /// A promotion ending within this many hours gets the ending-soon bonus.
    pub ending_soon_within_hours: Decimal,
    /// Points added to a promotion that ends soon.
    pub ending_soon_bonus: Decimal,
    /// Factor applied to an offer out of stock.
    pub out_of_stock_factor: Decimal,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            real_discount: Decimal::ONE,
            money_saved: Decimal::TWO,
            honest_bonus: Decimal::TEN,
            unverified_factor: Decimal::new(5, 1),
            inflated_penalty: Decimal::new(50, 0),
            freshness_half_life_hours: Decimal::new(72, 0),
            freshness_floor: Decimal::new(25, 2),
            ending_soon_within_hours: Decimal::new(48, 0),
            ending_soon_bonus: Decimal::new(5, 0),
            out_of_stock_factor: Decimal::new(5, 2),
        }
    }
}

/// What the score of one offer is computed from (an offer's columns and its judgement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreInput {
    /// The current price.
    pub price: Decimal,
    /// The reference price of the 30-day rule, when known.
    pub reference_price: Option<Decimal>,
    /// The shop's claimed previous ("was") price.
    pub claimed_previous: Option<Decimal>,
    /// The honesty verdict, when the offer was judged.
    pub verdict: Option<Verdict>,
    /// The shop's weight from its shop file (1 is neutral).
    pub shop_weight: Decimal,
    /// When the current reduction began.
    pub reduction_started_at: Option<DateTime<Utc>>,
    /// When the promotion ends, if the shop says.
    pub valid_until: Option<DateTime<Utc>>,
    /// Whether the offer is in stock, if known.
    pub available: Option<bool>,
    /// The time the score is computed for.
    pub now: DateTime<Utc>,
}

/// The price a score's discount was measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountBasis {
    /// The lowest price of the 30 days before the reduction.
    Reference,
    /// The shop's claimed previous price (no reference known).
    Claim,
}

/// The facts a score's explanation quotes, kept beside its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreFacts {
    /// The discount in percent, from `discount_basis`.
    pub discount_pct: Option<Decimal>,
    /// What the discount was measured from.
    pub discount_basis: Option<DiscountBasis>,
    /// The amount saved (the basis minus the price).
    pub saved: Option<Decimal>,
    /// The verdict scored.
    pub verdict: Option<Verdict>,
    /// Whole hours since the reduction began.
    pub age_hours: Option<i64>,
    /// Whole hours until the promotion ends (negative once ended).
    pub hours_left: Option<i64>,
    /// Whether the offer was in stock.
    pub available: Option<bool>,
}

/// A score and its parts (see the module documentation for how they combine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreParts {
    /// Points for the discount.
    pub real_discount: Decimal,
    /// Points for the amount saved.
    pub money_saved: Decimal,
    /// Points for the honesty verdict (negative for inflated and unverified deals).
    pub verdict: Decimal,
    /// Points for a promotion ending soon.
    pub ending_soon: Decimal,
    /// Factor: the shop's weight.
    pub shop_weight: Decimal,
    /// Factor: how recently the reduction began.
    pub freshness: Decimal,
    /// Factor: in stock or not.
    pub availability: Decimal,
    /// Factor: 1 while the promotion runs, 0 once it has ended.
    pub running: Decimal,
    /// max(0, sum of the points) × product of the factors, to 2 decimals.
    pub total: Decimal,
    /// What the explanation quotes.
    pub facts: ScoreFacts,
    /// The time the score was computed for: its time-dependent parts (freshness, ending soon, running) hold as of
    /// then, until the next judgement or rescoring (`harvest::rescoring`). Absent from scores stored before it was kept.
    #[serde(default)]
    pub as_of: Option<DateTime<Utc>>,
}

impl ScoreParts {
    /// The points parts added together (before the floor at 0).
    pub fn points(&self) -> Decimal {
        self.real_discount
            .saturating_add(self.money_saved)
            .saturating_add(self.verdict)
            .saturating_add(self.ending_soon)
    }

    /// The factors multiplied together.
    pub fn factor(&self) -> Decimal {
        self.shop_weight.saturating_mul(self.freshness).saturating_mul(self.availability).saturating_mul(self.running)
    }

    /// One plain-English line per part, then the total, e.g. "real discount 30.0 % vs the 30-day low: +30.0".
    pub fn explain(&self) -> Vec<String> {
        self.explain_in(&ENGLISH)
    }

    /// One line per part in the words of `words`, then the total.
    pub fn explain_in(&self, words: &ScoreWording) -> Vec<String> {
        let facts = &self.facts;
        let discount = match (facts.discount_basis, facts.discount_pct) {
            (Some(DiscountBasis::Reference), Some(pct)) => words.fill(words.real_discount, "pct", pct),
            (Some(DiscountBasis::Claim), Some(pct)) => words.fill(words.claimed_discount, "pct", pct),
            _ => words.no_discount.to_owned(),
        };
        let saved = match facts.saved {
            Some(saved) if saved > Decimal::ZERO => words.fill(words.saves, "saved", saved),
            _ => words.saves_nothing.to_owned(),
        };
        let verdict = match facts.verdict {
            Some(Verdict::Honest) => words.honest,
            Some(Verdict::Inflated) => words.inflated,
            Some(Verdict::Unverified) => words.unverified,
            None => words.not_judged,
        };
        let ending = match facts.hours_left {
            Some(_) if self.running.is_zero() => words.already_ended.to_owned(),
            Some(hours) => words.fill(words.ends_in, "hours", hours),
            None => words.no_end_date.to_owned(),
        };
        let freshness = match facts.age_hours {
            Some(hours) => words.fill(words.began_ago, "hours", hours),
            None => words.start_unknown.to_owned(),
        };
        let availability = match facts.available {
            Some(true) => words.in_stock,
            Some(false) => words.out_of_stock,
            None => words.stock_unknown,
        };
        let running = if self.running.is_zero() { words.ended } else { words.running };
        let mut lines = vec![
            format!("{discount}: {}", words.points(self.real_discount)),
            format!("{saved}: {}", words.points(self.money_saved)),
            format!("{verdict}: {}", words.points(self.verdict)),
            format!("{ending}: {}", words.points(self.ending_soon)),
            format!("{}: {}", words.shop_weight, words.factor(self.shop_weight)),
            format!("{freshness}: {}", words.factor(self.freshness)),
            format!("{availability}: {}", words.factor(self.availability)),
            format!("{running}: {}", words.factor(self.running)),
            format!("{}: {}", words.total, words.number(format!("{:.2}", self.total))),
        ];
        if let Some(as_of) = self.as_of {
            let time = as_of.format("%Y-%m-%d %H:%M UTC").to_string();
            lines.push(crate::common::placeholders::fill(words.as_of, &[("time", &time)]));
        }
        lines
    }

    /// Whether `self`, recomputed later, differs enough from `stored` to be written: its total moved by at least
    /// `min_change` points, or it crossed zero (an ended promotion), or `stored` is absent.
    pub fn differs_materially(&self, stored: Option<Decimal>, min_change: Decimal) -> bool {
        match stored {
            None => true,
            Some(stored) => (self.total - stored).abs() >= min_change || (self.total.is_zero() != stored.is_zero()),
        }
    }
}

/// Scores one offer (see the module documentation for the formula).
pub fn score(input: &ScoreInput, weights: &ScoreWeights) -> ScoreParts {
    let basis = match (input.reference_price, input.claimed_previous) {
        (Some(reference), _) if reference > Decimal::ZERO => Some((DiscountBasis::Reference, reference)),
        (_, Some(claim)) if claim > input.price && claim > Decimal::ZERO => Some((DiscountBasis::Claim, claim)),
        _ => None,
    };
    let discount = basis.and_then(|(_, from)| discount_pct(from, input.price));
    let saved = basis.and_then(|(_, from)| from.checked_sub(input.price));

    let real_discount = discount.map_or(Decimal::ZERO, |pct| weights.real_discount.saturating_mul(pct));
    let money_saved = match saved {
        Some(saved) if saved > Decimal::ZERO => weights.money_saved.saturating_mul(log2_one_plus(saved)),
        _ => Decimal::ZERO,
    };
    let verdict = match input.verdict {
        Some(Verdict::Honest) => weights.honest_bonus,
        Some(Verdict::Inflated) => {
            -weights.inflated_penalty.saturating_add(unverified_loss(real_discount, money_saved, weights))
        }
        Some(Verdict::Unverified) => -unverified_loss(real_discount, money_saved, weights),
        None => Decimal::ZERO,
    };

    let hours_left = input.valid_until.map(|until| (until - input.now).num_hours());
    let ended = input.valid_until.is_some_and(|until| until <= input.now);
    let ends_soon = input.valid_until.is_some_and(|until| {
        let within = weights.ending_soon_within_hours.saturating_mul(HOUR_SECONDS);
        !ended && Decimal::from((until - input.now).num_seconds()) <= within
    });
    let ending_soon = if ends_soon { weights.ending_soon_bonus } else { Decimal::ZERO };

    let age_seconds = input.reduction_started_at.map(|started| (input.now - started).num_seconds().max(0));
    let freshness = age_seconds.map_or(Decimal::ONE, |age| freshness(age, weights));
    let availability = match input.available {
        Some(false) => weights.out_of_stock_factor.max(Decimal::ZERO),
        _ => Decimal::ONE,
    };

    let mut parts = ScoreParts {
        real_discount,
        money_saved,
        verdict,
        ending_soon,
        shop_weight: input.shop_weight.max(Decimal::ZERO),
        freshness,
        availability,
        running: if ended { Decimal::ZERO } else { Decimal::ONE },
        total: Decimal::ZERO,
        facts: ScoreFacts {
            discount_pct: discount,
            discount_basis: basis.map(|(basis, _)| basis),
            saved,
            verdict: input.verdict,
            age_hours: age_seconds.map(|seconds| seconds / 3600),
            hours_left,
            available: input.available,
        },
        as_of: Some(input.now),
    };
    parts.total = total_of(&parts);
    parts
}

/// The discount points an unverified deal does not get: (1 − `unverified_factor`) of them, when they are positive.
fn unverified_loss(real_discount: Decimal, money_saved: Decimal, weights: &ScoreWeights) -> Decimal {
    let kept = weights.unverified_factor.clamp(Decimal::ZERO, Decimal::ONE);
    let discount_points = real_discount.saturating_add(money_saved).max(Decimal::ZERO);
    (Decimal::ONE - kept).saturating_mul(discount_points)
}

const HOUR_SECONDS: Decimal = Decimal::from_parts(3600, 0, 0, false, 0);

/// The documented combination of the parts; kept apart so the tests can check a score against it.
fn total_of(parts: &ScoreParts) -> Decimal {
    parts.points().max(Decimal::ZERO).saturating_mul(parts.factor()).round_dp(TOTAL_DECIMALS)
}

/// log2(1 + amount), to 4 decimals. Computed in f64 because rust_decimal has no logarithm to a useful precision and
/// this is a ranking weight, not money: the rounding only has to be monotonic, which f64's log2 is.
fn log2_one_plus(amount: Decimal) -> Decimal {
    let value = amount.to_f64().map_or(0.0, |amount| (1.0 + amount.max(0.0)).log2());
    factor_from_f64(value)
}

/// The freshness factor of a reduction `age_seconds` old. The decay 0.5^(age / half-life) is computed in f64 (a
/// ranking weight, not money) and rounded to 4 decimals; the floor is applied in Decimal.
fn freshness(age_seconds: i64, weights: &ScoreWeights) -> Decimal {
    let half_life_seconds = weights.freshness_half_life_hours.saturating_mul(HOUR_SECONDS).to_f64().unwrap_or(0.0);
    if half_life_seconds <= 0.0 {
        return Decimal::ONE;
    }
    // i64 seconds to f64 loses precision only beyond 2^53 s, far past any decay that still matters.
    let decay = factor_from_f64(0.5_f64.powf(age_seconds as f64 / half_life_seconds));
    let floor = weights.freshness_floor.clamp(Decimal::ZERO, Decimal::ONE);
    (floor + (Decimal::ONE - floor) * decay).round_dp(FACTOR_DECIMALS)
}

fn factor_from_f64(value: f64) -> Decimal {
    if !value.is_finite() {
        return Decimal::ZERO;
    }
    Decimal::from_f64(value).map_or(Decimal::ZERO, |factor| factor.round_dp(FACTOR_DECIMALS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn dec(text: &str) -> Decimal {
        text.parse().expect("test amounts are valid decimals")
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).single().expect("a valid date")
    }

    /// An honest 30 % reduction from 100 to 70, begun 6 hours ago, in stock, ending in a week.
    fn honest_deal() -> ScoreInput {
        ScoreInput {
            price: dec("70"),
            reference_price: Some(dec("100")),
            claimed_previous: Some(dec("100")),
            verdict: Some(Verdict::Honest),
            shop_weight: Decimal::ONE,
            reduction_started_at: Some(now() - Duration::hours(6)),
            valid_until: Some(now() + Duration::days(7)),
            available: Some(true),
            now: now(),
        }
    }

    #[test]
    fn an_honest_deal_scores_its_discount_savings_and_bonus() {
        let parts = score(&honest_deal(), &ScoreWeights::default());
        assert_eq!(parts.real_discount, dec("30.0"));
        // log2(1 + 30) = 4.9542 (4 decimals), × 2.
        assert_eq!(parts.money_saved, dec("9.9084"));
        assert_eq!(parts.verdict, dec("10"));
        assert_eq!(parts.ending_soon, Decimal::ZERO);
        // 0.25 + 0.75 × 0.5^(6/72) = 0.25 + 0.75 × 0.9439
        assert_eq!(parts.freshness, dec("0.9579"));
        assert_eq!(parts.total, dec("47.81"));
        assert_eq!(parts.explain()[0], "real discount 30.0 % vs the 30-day low: +30.0");
    }

    #[test]
    fn the_explanation_has_one_line_per_part_and_the_total() {
        let mut input = honest_deal();
        input.verdict = Some(Verdict::Inflated);
        input.valid_until = Some(now() + Duration::hours(5));
        let lines = score(&input, &ScoreWeights::default()).explain();
        assert_eq!(lines.len(), 10);
        assert_eq!(lines[1], "saves 30: +9.9");
        assert_eq!(lines[2], "verdict inflated (the shop's previous price is above the 30-day low): -70.0");
        assert_eq!(lines[3], "ends in 5 h: +5.0");
        assert_eq!(lines[4], "shop weight: ×1");
        assert_eq!(lines[6], "in stock: ×1");
        assert_eq!(lines[8], "total: 0.00");
        assert_eq!(lines[9], "as of 2025-03-01 12:00 UTC");
    }

    #[test]
    fn a_score_recomputed_later_shows_the_real_age_and_when_it_was_computed() {
        let weights = ScoreWeights::default();
        let first = score(&honest_deal(), &weights);
        let later = score(&ScoreInput { now: now() + Duration::days(10), ..honest_deal() }, &weights);
        assert_eq!(later.explain()[5], "reduction began 246 h ago: ×0.3202");
        assert_eq!(later.explain()[9], "as of 2025-03-11 12:00 UTC");
        assert!(later.total < first.total);
        assert!(later.differs_materially(Some(first.total), dec("0.1")));
        assert!(!first.differs_materially(Some(first.total + dec("0.05")), dec("0.1")));
        assert!(first.differs_materially(None, dec("0.1")));
    }

    #[test]
    fn a_promotion_that_ended_since_is_a_material_change_however_small_its_score() {
        let weights = ScoreWeights::default();
        let ended = score(&ScoreInput { valid_until: Some(now() - Duration::hours(1)), ..honest_deal() }, &weights);
        assert!(ended.differs_materially(Some(dec("0.05")), dec("0.1")));
        assert!(!ended.differs_materially(Some(Decimal::ZERO), dec("0.1")));
    }

    #[test]
    fn an_inflated_deal_scores_far_below_the_same_deal_honest() {
        let weights = ScoreWeights::default();
        let honest = score(&honest_deal(), &weights);
        let inflated = score(&ScoreInput { verdict: Some(Verdict::Inflated), ..honest_deal() }, &weights);
        // The penalty, the bonus, and half the discount points (30 + 9.9084) as for an unverified deal.
        assert_eq!(honest.points() - inflated.points(), dec("79.9542"));
        assert!(inflated.total * Decimal::TEN < honest.total, "{} vs {}", inflated.total, honest.total);
    }

    #[test]
    fn a_deal_without_a_reference_is_scored_on_its_claim_at_the_unverified_factor() {
        let input = ScoreInput { reference_price: None, verdict: Some(Verdict::Unverified), ..honest_deal() };
        let parts = score(&input, &ScoreWeights::default());
        assert_eq!(parts.facts.discount_basis, Some(DiscountBasis::Claim));
        assert_eq!(parts.verdict, -(parts.real_discount + parts.money_saved) / Decimal::TWO);
        assert!(parts.explain()[0].starts_with("discount 30.0 % claimed by the shop"));
    }

    #[test]
    fn a_negative_real_discount_scores_nothing() {
        let input = ScoreInput {
            price: dec("54.99"),
            reference_price: Some(dec("49.99")),
            claimed_previous: Some(dec("69.99")),
            verdict: Some(Verdict::Inflated),
            ..honest_deal()
        };
        let parts = score(&input, &ScoreWeights::default());
        assert_eq!(parts.real_discount, dec("-10.0"));
        assert_eq!(parts.money_saved, Decimal::ZERO);
        assert_eq!(parts.total, Decimal::ZERO);
    }

    #[test]
    fn an_ended_promotion_scores_zero_and_says_so() {
        let input = ScoreInput { valid_until: Some(now() - Duration::minutes(1)), ..honest_deal() };
        let parts = score(&input, &ScoreWeights::default());
        assert_eq!(parts.total, Decimal::ZERO);
        assert_eq!(parts.explain()[7], "promotion ended: ×0");
    }

    #[test]
    fn a_promotion_ending_within_the_window_gets_the_bonus() {
        let weights = ScoreWeights::default();
        let input = ScoreInput { valid_until: Some(now() + Duration::hours(48)), ..honest_deal() };
        assert_eq!(score(&input, &weights).ending_soon, weights.ending_soon_bonus);
        let input = ScoreInput { valid_until: Some(now() + Duration::hours(49)), ..honest_deal() };
        assert_eq!(score(&input, &weights).ending_soon, Decimal::ZERO);
    }

    #[test]
    fn an_old_reduction_keeps_the_freshness_floor() {
        let input = ScoreInput { reduction_started_at: Some(now() - Duration::days(365)), ..honest_deal() };
        assert_eq!(score(&input, &ScoreWeights::default()).freshness, dec("0.25"));
    }

    #[test]
    fn weights_read_from_toml_keep_defaults_for_missing_keys() {
        let weights: ScoreWeights =
            toml::from_str("real_discount = 1.5\ninflated_penalty = 80\nunverified_factor = \"0.25\"\n")
                .expect("a valid [scoring] table");
        assert_eq!(weights.real_discount, dec("1.5"));
        assert_eq!(weights.inflated_penalty, dec("80"));
        assert_eq!(weights.unverified_factor, dec("0.25"));
        assert_eq!(weights.honest_bonus, ScoreWeights::default().honest_bonus);
        assert!(toml::from_str::<ScoreWeights>("real_discont = 1").is_err(), "a misspelt key is an error");
    }

    #[test]
    fn score_parts_serialise_for_the_database() {
        let parts = score(&honest_deal(), &ScoreWeights::default());
        let json = serde_json::to_value(&parts).expect("parts serialise");
        assert_eq!(json["facts"]["verdict"], "honest");
        assert_eq!(json["facts"]["discount_basis"], "reference");
        let back: ScoreParts = serde_json::from_value(json).expect("and read back");
        assert_eq!(back, parts);
    }

    fn cents(range: std::ops::Range<i64>) -> impl Strategy<Value = Decimal> {
        range.prop_map(|cents| Decimal::new(cents, 2))
    }

    fn verdicts() -> impl Strategy<Value = Option<Verdict>> {
        prop_oneof![
            Just(None),
            Just(Some(Verdict::Honest)),
            Just(Some(Verdict::Inflated)),
            Just(Some(Verdict::Unverified))
        ]
    }

    prop_compose! {
        fn inputs()(
            price in cents(1..200_000),
            reference in proptest::option::of(cents(1..300_000)),
            claimed in proptest::option::of(cents(1..300_000)),
            verdict in verdicts(),
            shop_weight in cents(0..500),
            age_minutes in proptest::option::of(0i64..200_000),
            minutes_left in proptest::option::of(-10_000i64..20_000),
            available in proptest::option::of(any::<bool>()),
        ) -> ScoreInput {
            ScoreInput {
                price,
                reference_price: reference,
                claimed_previous: claimed,
                verdict,
                shop_weight,
                reduction_started_at: age_minutes.map(|m| now() - Duration::minutes(m)),
                valid_until: minutes_left.map(|m| now() + Duration::minutes(m)),
                available,
                now: now(),
            }
        }
    }

    proptest! {
        #[test]
        fn the_total_is_the_floored_sum_of_points_times_the_factors(input in inputs()) {
            let parts = score(&input, &ScoreWeights::default());
            let expected = (parts.real_discount + parts.money_saved + parts.verdict + parts.ending_soon)
                .max(Decimal::ZERO)
                * parts.shop_weight * parts.freshness * parts.availability * parts.running;
            prop_assert_eq!(parts.total, expected.round_dp(2));
            prop_assert!(parts.total >= Decimal::ZERO);
        }

        #[test]
        fn a_lower_price_against_the_same_reference_never_scores_less(
            input in inputs(),
            reference in cents(1..300_000),
            cut in cents(1..100_000),
        ) {
            let weights = ScoreWeights::default();
            let dearer = ScoreInput { reference_price: Some(reference), ..input.clone() };
            let cheaper = ScoreInput { price: (input.price - cut).max(Decimal::new(1, 2)), ..dearer.clone() };
            prop_assert!(score(&cheaper, &weights).total >= score(&dearer, &weights).total);
        }

        #[test]
        fn a_higher_reference_for_the_same_price_never_scores_less(
            input in inputs(),
            reference in cents(1..300_000),
            rise in cents(0..100_000),
        ) {
            let weights = ScoreWeights::default();
            let low = ScoreInput { reference_price: Some(reference), ..input.clone() };
            let high = ScoreInput { reference_price: Some(reference + rise), ..input };
            prop_assert!(score(&high, &weights).total >= score(&low, &weights).total);
        }

        #[test]
        fn an_inflated_deal_never_beats_the_same_deal_honest(input in inputs()) {
            let weights = ScoreWeights::default();
            let honest = score(&ScoreInput { verdict: Some(Verdict::Honest), ..input.clone() }, &weights);
            let inflated = score(&ScoreInput { verdict: Some(Verdict::Inflated), ..input }, &weights);
            prop_assert!(inflated.total <= honest.total);
            // Strictly lower before rounding: two tiny totals may round to the same cent.
            let unrounded = |parts: &ScoreParts| parts.points().max(Decimal::ZERO) * parts.factor();
            if unrounded(&honest) > Decimal::ZERO {
                prop_assert!(unrounded(&inflated) < unrounded(&honest));
            }
            prop_assert!(honest.points() - inflated.points() >= weights.honest_bonus + weights.inflated_penalty);
        }

        #[test]
        fn an_unverified_deal_scores_between_inflated_and_honest(input in inputs()) {
            let weights = ScoreWeights::default();
            let with = |verdict| score(&ScoreInput { verdict: Some(verdict), ..input.clone() }, &weights).total;
            prop_assert!(with(Verdict::Inflated) <= with(Verdict::Unverified));
            prop_assert!(with(Verdict::Unverified) <= with(Verdict::Honest));
        }

        #[test]
        fn out_of_stock_keeps_at_most_the_out_of_stock_share(input in inputs()) {
            let weights = ScoreWeights::default();
            let in_stock = score(&ScoreInput { available: Some(true), ..input.clone() }, &weights);
            let out = score(&ScoreInput { available: Some(false), ..input }, &weights);
            // One cent of slack for the rounding of both totals.
            prop_assert!(out.total <= in_stock.total * weights.out_of_stock_factor + dec("0.01"));
        }

        #[test]
        fn an_ended_promotion_always_scores_zero(input in inputs(), minutes_ago in 0i64..100_000) {
            let ended = ScoreInput { valid_until: Some(now() - Duration::minutes(minutes_ago)), ..input };
            prop_assert_eq!(score(&ended, &ScoreWeights::default()).total, Decimal::ZERO);
        }

        #[test]
        fn an_older_reduction_never_scores_more(input in inputs(), older_by in 0i64..100_000) {
            let weights = ScoreWeights::default();
            let started = input.reduction_started_at.unwrap_or(now());
            let fresh = ScoreInput { reduction_started_at: Some(started), ..input.clone() };
            let old = ScoreInput { reduction_started_at: Some(started - Duration::minutes(older_by)), ..input };
            prop_assert!(score(&old, &weights).total <= score(&fresh, &weights).total);
        }

        #[test]
        fn a_heavier_shop_never_scores_less(input in inputs(), extra in cents(0..500)) {
            let weights = ScoreWeights::default();
            let heavier = ScoreInput { shop_weight: input.shop_weight + extra, ..input.clone() };
            prop_assert!(score(&heavier, &weights).total >= score(&input, &weights).total);
        }
    }
}
