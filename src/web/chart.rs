//! The price history of an offer as an SVG step chart, drawn on the server so the deal page needs no JavaScript.
//!
//! This module only computes geometry (a path, tick positions, labels); the `deal.html` template writes the SVG
//! elements, so every label goes through askama's escaping like any other text. Coordinates are computed with
//! `Decimal`, like every amount in dealcast, and written with one decimal.
//!
//! A price holds until the next observation (observations are written only when something changes), so the line
//! is a staircase: flat while the price stays, vertical when it changes.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::text::Lang;
use crate::store::deal_queries::PriceObservationRecord;

/// The SVG's user-space size.
const WIDTH: i64 = 640;
const HEIGHT: i64 = 240;
/// Room for the price labels on the left, the dates below, and a little air.
const LEFT: i64 = 86;
const RIGHT: i64 = 16;
const TOP: i64 = 14;
const BOTTOM: i64 = 34;

/// A label at a position along one axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// The coordinate (y for prices, x for dates), with one decimal.
    pub at: String,
    pub label: String,
}

/// A marked observation, with its label for a tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub x: String,
    pub y: String,
    pub label: String,
}

/// Everything the template needs to draw the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChart {
    pub width: i64,
    pub height: i64,
    /// The plot area's edges.
    pub left: i64,
    pub right: i64,
    pub top: i64,
    pub bottom: i64,
    /// The staircase, as an SVG path (`M x y H x V y ...`).
    pub path: String,
    pub points: Vec<Point>,
    /// Price labels (lowest, middle, highest).
    pub price_ticks: Vec<Tick>,
    /// Date labels (first and last).
    pub date_ticks: Vec<Tick>,
    /// The y of the 30-day reference price, when known.
    pub reference_y: Option<String>,
}

fn coordinate(value: Decimal) -> String {
    let mut rounded = value.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(1);
    rounded.to_string()
}

/// The chart of `history` (oldest first) in `currency` until `until` (the offer's last visit), with the reference
/// price drawn as a line, its dates in `zone` (the reader's); `None` when there is nothing in that currency to draw.
pub fn price_chart(
    history: &[PriceObservationRecord],
    currency: Option<&str>,
    reference: Option<Decimal>,
    until: DateTime<Utc>,
    lang: Lang,
    zone: chrono_tz::Tz,
) -> Option<PriceChart> {
    let shown: Vec<&PriceObservationRecord> =
        history.iter().filter(|o| currency.is_none_or(|c| o.currency == c)).collect();
    let first = shown.first()?;
    let last = shown.last()?;
    let start = first.observed_at;
    let end = until.max(last.observed_at);
    // A single day at least, so that one observation still gets a readable line.
    let span = Decimal::from((end - start).num_seconds().max(86_400));

    let mut low = shown.iter().map(|o| o.price).chain(reference).min()?;
    let mut high = shown.iter().map(|o| o.price).chain(reference).max()?;
    if low == high {
        low = (low - Decimal::ONE).max(Decimal::ZERO);
        high += Decimal::ONE;
    }
    // A tenth of the range of air above and below.
    let air = (high - low) / Decimal::TEN;
    low = (low - air).max(Decimal::ZERO);
    high += air;

    let plot_width = Decimal::from(WIDTH - LEFT - RIGHT);
    let plot_height = Decimal::from(HEIGHT - TOP - BOTTOM);
    let x_of = |at: DateTime<Utc>| Decimal::from(LEFT) + Decimal::from((at - start).num_seconds()) * plot_width / span;
    let y_of = |price: Decimal| Decimal::from(TOP) + (high - price) * plot_height / (high - low);

    let mut path = format!("M{} {}", coordinate(x_of(start)), coordinate(y_of(first.price)));
    for observation in &shown[1..] {
        path.push_str(&format!(
            " H{} V{}",
            coordinate(x_of(observation.observed_at)),
            coordinate(y_of(observation.price))
        ));
    }
    path.push_str(&format!(" H{}", coordinate(x_of(end))));

    let points = shown
        .iter()
        .map(|o| Point {
            x: coordinate(x_of(o.observed_at)),
            y: coordinate(y_of(o.price)),
            label: format!("{} : {}", lang.date(o.observed_at, zone), lang.money(o.price, Some(&o.currency))),
        })
        .collect();
    let middle = (low + high) / Decimal::TWO;
    let price_ticks = [high, middle, low]
        .into_iter()
        .map(|price| Tick { at: coordinate(y_of(price)), label: lang.money(price, currency) })
        .collect();
    let date_ticks = vec![
        Tick { at: coordinate(x_of(start)), label: lang.date(start, zone) },
        Tick { at: coordinate(x_of(end)), label: lang.date(end, zone) },
    ];
    Some(PriceChart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        path,
        points,
        price_ticks,
        date_ticks,
        reference_y: reference.map(|price| coordinate(y_of(price))),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn observation(day: u32, price: &str) -> PriceObservationRecord {
        PriceObservationRecord {
            observed_at: Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap(),
            currency: "EUR".to_owned(),
            price: price.parse().unwrap(),
            previous_price: None,
            availability: None,
        }
    }

    #[test]
    fn a_price_drop_is_a_step_down_held_until_the_last_visit() {
        let history = [observation(1, "100"), observation(11, "50")];
        let until = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap();
        let chart = price_chart(&history, Some("EUR"), None, until, Lang::En, chrono_tz::UTC).unwrap();
        // 20 days over 538 units: the drop is half-way; with a tenth of air, 100 and 50 sit inside the 192 units.
        assert_eq!(chart.path, "M86.0 30.0 H355.0 V190.0 H624.0");
        assert_eq!(chart.points.len(), 2);
        assert_eq!(chart.points[1].label, "2026-11-11 : 50.00 €");
        assert_eq!(chart.date_ticks[1].label, "2026-11-21");
    }

    #[test]
    fn the_reference_price_widens_the_scale_and_gets_its_line() {
        let history = [observation(1, "80")];
        let until = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        let chart =
            price_chart(&history, Some("EUR"), Some("120".parse().unwrap()), until, Lang::Fr, chrono_tz::UTC).unwrap();
        let reference_y: Decimal = chart.reference_y.unwrap().parse().unwrap();
        let price_y: Decimal = chart.points[0].y.parse().unwrap();
        assert!(reference_y < price_y, "a higher price is drawn higher");
        assert_eq!(chart.price_ticks[0].label, "124,00\u{A0}€");
    }

    #[test]
    fn an_empty_history_or_another_currency_draws_nothing() {
        let until = Utc::now();
        assert_eq!(price_chart(&[], Some("EUR"), None, until, Lang::Fr, chrono_tz::UTC), None);
        assert_eq!(price_chart(&[observation(1, "5")], Some("USD"), None, until, Lang::Fr, chrono_tz::UTC), None);
    }
}
