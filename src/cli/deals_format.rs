//! How `dealcast deals` shows deals to a person: the aligned table of a list, the plain-English account of one
//! offer (the verdict in words with its reference price and window, the score explained, the quality flags, the
//! price history), and the JSON forms.
//!
//! It is pure (rows in, text out) so that every sentence a user reads is unit-tested without a database. Scraped
//! text is untrusted: control characters are replaced before it reaches a terminal, so a product title cannot move
//! the cursor or recolour the screen. Money is printed from `Decimal`, never through a float, by
//! [`crate::common::money_format::plain`]: rounded to cents as the web pages and the posts round it.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::common::money_format;
use crate::deals::honesty::REFERENCE_WINDOW_DAYS;
use crate::store::deal_queries::{DealDetail, DealRow, OfferRecord, PriceObservationRecord};

/// Widest a title may be in a list, in terminal columns.
const TITLE_WIDTH: usize = 48;
/// Widest a shop name may be in a list, in terminal columns.
const SHOP_WIDTH: usize = 20;
/// What an empty cell shows.
const NONE: &str = "-";

/// A percentage with at least one decimal: `30.0 %`.
pub fn percent(value: Decimal) -> String {
    let mut shown = value.normalize();
    if shown.scale() < 1 {
        shown.rescale(1);
    }
    format!("{shown} %")
}

/// A score with two decimals.
fn score_text(value: Decimal) -> String {
    let mut shown = value.round_dp(2);
    shown.rescale(2);
    shown.to_string()
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn date_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An availability as people say it.
pub fn availability_words(availability: Option<&str>) -> &'static str {
    match availability {
        Some("in_stock") => "in stock",
        Some("out_of_stock") => "out of stock",
        Some("preorder") => "pre-order",
        Some("limited") => "limited stock",
        _ => "unknown",
    }
}

/// `text` safe to print on a terminal: control characters (escape sequences, carriage returns, new lines) become
/// spaces.
pub fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// `text` cut to at most `width` terminal columns, ending with `…` when cut.
pub fn shorten(text: &str, width: usize) -> String {
    let text = clean(text);
    if text.width() <= width {
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Which side of its column a cell sticks to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Columns padded to their widest cell (in terminal columns, so accented and wide characters line up), two spaces
/// apart, trailing spaces trimmed. Hand-written: a dozen lines, where a table crate would bring borders and styles
/// this plain output does not use.
fn table(headers: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|(header, _)| header.width()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let header_row: Vec<String> = headers.iter().map(|(header, _)| (*header).to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header_row).chain(rows) {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            let (width, align) = (widths.get(index).copied().unwrap_or(0), headers.get(index).map(|h| h.1));
            let pad = " ".repeat(width.saturating_sub(cell.width()));
            if index > 0 {
                line.push_str("  ");
            }
            match align {
                Some(Align::Right) => {
                    line.push_str(&pad);
                    line.push_str(cell);
                }
                _ => {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The discount cell of a list: the real one, else the shop's claim labelled as such.
fn discount_cell(row: &DealRow) -> String {
    match (row.real_discount_pct, row.claimed_discount_pct) {
        (Some(real), _) => percent(real),
        (None, Some(claimed)) => format!("{} (claimed)", percent(claimed)),
        (None, None) => NONE.to_string(),
    }
}

/// The deals as an aligned table: id, shop, title, price, reference price, real discount, verdict, score.
pub fn deals_table(rows: &[DealRow]) -> String {
    let headers = [
        ("ID", Align::Right),
        ("SHOP", Align::Left),
        ("TITLE", Align::Left),
        ("PRICE", Align::Right),
        ("REFERENCE", Align::Right),
        ("REAL DISCOUNT", Align::Right),
        ("VERDICT", Align::Left),
        ("SCORE", Align::Right),
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let currency = row.currency.as_deref();
            let title = match row.active {
                true => row.title.clone(),
                false => format!("[ended] {}", row.title),
            };
            vec![
                row.id.to_string(),
                shorten(&row.shop_name, SHOP_WIDTH),
                shorten(&title, TITLE_WIDTH),
                row.price.map_or_else(|| NONE.to_string(), |p| money_format::plain(p, currency)),
                row.reference_price.map_or_else(|| NONE.to_string(), |p| money_format::plain(p, currency)),
                discount_cell(row),
                row.verdict.as_deref().map_or_else(|| "not reduced".to_string(), clean),
                row.score.map_or_else(|| NONE.to_string(), score_text),
            ]
        })
        .collect();
    table(&headers, &cells)
}

/// When a price equal to `reference` was in effect during the window before `started`: the latest observation at
/// that price before the reduction, or the window's first day when that price carried over into it.
fn reference_seen_on(
    history: &[PriceObservationRecord],
    currency: Option<&str>,
    started: DateTime<Utc>,
    reference: Decimal,
) -> Option<DateTime<Utc>> {
    let window_opens = started.checked_sub_signed(Duration::days(REFERENCE_WINDOW_DAYS))?;
    history
        .iter()
        .filter(|o| Some(o.currency.as_str()) == currency && o.observed_at < started && o.price == reference)
        .map(|o| o.observed_at)
        .max()
        .map(|seen| seen.max(window_opens))
}

/// Whole days of comparable history before the reduction began (0 when nothing was seen before it).
fn days_seen_before(history: &[PriceObservationRecord], currency: Option<&str>, started: DateTime<Utc>) -> i64 {
    history
        .iter()
        .filter(|o| Some(o.currency.as_str()) == currency && o.observed_at < started)
        .map(|o| o.observed_at)
        .min()
        .map_or(0, |first| (started - first).num_days())
}

/// The verdict in plain words, with the reference price and the window it comes from, e.g. "inflated: the shop
/// claims 69.99 € but sold it at 49.99 € on 2026-11-10, within the 30 days before the sale began on 2026-11-15".
pub fn verdict_sentence(offer: &OfferRecord, history: &[PriceObservationRecord]) -> String {
    let currency = offer.currency.as_deref();
    let amount = |value: Decimal| money_format::plain(value, currency);
    let days = REFERENCE_WINDOW_DAYS;
    let (Some(verdict), Some(started)) = (offer.verdict.as_deref(), offer.reduction_started_at) else {
        return match (offer.price, offer.judged_at) {
            (None, _) => "not judged: the offer has no price to judge".to_string(),
            (Some(_), None) => "not judged yet".to_string(),
            (Some(_), Some(_)) => "not reduced: the shop claims no previous price above the price, and the price \
                                   has not fallen"
                .to_string(),
        };
    };
    let began = date(started);
    let claim = offer.previous_price.filter(|claim| offer.price.is_none_or(|price| *claim > price));
    let reference = offer.reference_price;
    match verdict {
        "inflated" => {
            let claim_text = claim.map_or_else(|| "a higher previous price".to_string(), amount);
            match reference {
                Some(reference) => {
                    let when = reference_seen_on(history, currency, started, reference)
                        .map_or_else(String::new, |seen| format!(" on {}", date(seen)));
                    format!(
                        "inflated: the shop claims {claim_text} but sold it at {}{when}, within the {days} days \
                         before the sale began on {began}",
                        amount(reference)
                    )
                }
                None => format!(
                    "inflated: the shop claims {claim_text} but sold it for less within the {days} days before the \
                     sale began on {began}"
                ),
            }
        }
        "honest" => {
            let lowest = reference.map_or_else(|| "unknown".to_string(), amount);
            match claim {
                Some(claim) => format!(
                    "honest: the lowest price in the {days} days before the sale began on {began} was {lowest}, and \
                     the shop's claimed previous price {} is not above it",
                    amount(claim)
                ),
                None => format!(
                    "honest: the price fell on {began} from {lowest}, the lowest price of the {days} days before \
                     (the shop claims no previous price)"
                ),
            }
        }
        "unverified" => {
            let seen = days_seen_before(history, currency, started);
            let history_text = match (seen, reference) {
                (_, None) => format!("dealcast had seen no price before the sale began on {began}"),
                (seen, Some(lowest)) => format!(
                    "dealcast saw this offer for only {seen} day{} before the sale began on {began} (fewer than the \
                     {days} the rule needs; its lowest price then was {})",
                    if seen == 1 { "" } else { "s" },
                    amount(lowest)
                ),
            };
            match claim {
                Some(claim) => format!(
                    "unverified: {history_text}, so the previous price {} is the shop's claim, not checked",
                    amount(claim)
                ),
                None => format!("unverified: {history_text}"),
            }
        }
        other => format!("{}: judged on {began}", clean(other)),
    }
}

/// The real discount against the claimed one, in words.
pub fn discount_sentence(offer: &OfferRecord) -> String {
    let currency = offer.currency.as_deref();
    let real = match (offer.real_discount_pct, offer.reference_price) {
        (Some(pct), Some(reference)) if pct > Decimal::ZERO => {
            format!(
                "real discount {} (from the {}-day low of {})",
                percent(pct),
                REFERENCE_WINDOW_DAYS,
                money_format::plain(reference, currency)
            )
        }
        (Some(_), Some(reference)) => format!(
            "no real discount: the {}-day low was {}, not above the price",
            REFERENCE_WINDOW_DAYS,
            money_format::plain(reference, currency)
        ),
        _ => "real discount unknown (no price seen before the sale)".to_string(),
    };
    let claimed = match (offer.claimed_discount_pct, offer.previous_price) {
        (Some(pct), Some(previous)) => {
            format!("the shop claims {} (from {})", percent(pct), money_format::plain(previous, currency))
        }
        _ => "the shop claims no discount".to_string(),
    };
    format!("{real}; {claimed}")
}

/// Everything about one offer, in plain English, for a terminal.
pub fn detail_text(detail: &DealDetail) -> String {
    let offer = &detail.offer;
    let currency = offer.currency.as_deref();
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(out, "Offer {}: {}", offer.id, clean(&offer.title));
    let shop_health = match (offer.shop_healthy, offer.shop_unhealthy_reason.as_deref()) {
        (true, _) => String::new(),
        (false, Some(reason)) => format!(" — shop unhealthy: {}", clean(reason)),
        (false, None) => " — shop unhealthy".to_string(),
    };
    let mut facts: Vec<(&str, String)> = vec![
        ("shop", format!("{} ({}){shop_health}", clean(&offer.shop_name), clean(&offer.shop_id))),
        ("URL", clean(&offer.url)),
        ("kind", clean(&offer.kind).replace('_', " ")),
        ("availability", availability_words(offer.availability.as_deref()).to_string()),
    ];
    if let Some(brand) = &offer.brand {
        facts.push(("brand", clean(brand)));
    }
    if let Some(category) = &offer.category {
        facts.push(("category", clean(category)));
    }
    if let Some(sku) = &offer.sku {
        facts.push(("SKU", clean(sku)));
    }
    let product = match &offer.gtin {
        Some(gtin) => gtin.clone(),
        None => "none (not linked to other shops)".to_string(),
    };
    facts.push(("GTIN", product));
    if let Some(code) = &offer.promo_code {
        facts.push(("promo code", clean(code)));
    }
    if let Some(text) = &offer.promo_text {
        facts.push(("promo text", clean(text)));
    }
    if let Some(pct) = offer.discount_percent {
        facts.push(("announced", format!("-{}", percent(pct))));
    }
    if let Some(ends) = offer.ends_at {
        facts.push(("ends", date_time(ends)));
    }
    let status = match (offer.active, offer.ended_at) {
        (true, _) => "active".to_string(),
        (false, Some(ended)) => format!("ended on {}", date_time(ended)),
        (false, None) => "ended".to_string(),
    };
    facts.push((
        "status",
        format!("{status}; first seen {}, last seen {}", date_time(offer.first_seen_at), date_time(offer.last_seen_at)),
    ));
    let label_width = facts.iter().map(|(label, _)| label.width()).max().unwrap_or(0);
    for (label, value) in &facts {
        let _ = writeln!(out, "  {label:<label_width$}  {value}");
    }

    let _ = writeln!(out, "\nPrice");
    let price = offer.price.map_or_else(|| "none".to_string(), |p| money_format::plain(p, currency));
    let _ = writeln!(out, "  current price:        {price}");
    let previous = offer
        .previous_price
        .map_or_else(|| "none".to_string(), |p| format!("{} (the shop's claim)", money_format::plain(p, currency)));
    let _ = writeln!(out, "  shop's previous price: {previous}");

    let _ = writeln!(out, "\nVerdict");
    let _ = writeln!(out, "  {}", verdict_sentence(offer, &detail.history));
    if offer.verdict.is_some() {
        let _ = writeln!(out, "  {}", discount_sentence(offer));
    }

    match (&detail.score_parts, offer.score) {
        (Some(parts), _) => {
            let _ = writeln!(out, "\nScore {}", score_text(parts.total));
            for line in parts.explain() {
                let _ = writeln!(out, "  {line}");
            }
        }
        (None, Some(score)) => {
            let _ = writeln!(out, "\nScore {} (its parts are not available)", score_text(score));
        }
        (None, None) => {
            let _ = writeln!(out, "\nScore: not scored");
        }
    }

    let _ = writeln!(out, "\nQuality flags");
    if detail.quality_flags.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for flag in &detail.quality_flags {
        let _ = writeln!(out, "  {}: {}", clean(&flag.kind), clean(&flag.reason));
    }

    let _ = writeln!(out, "\nPrice history (oldest first)");
    if detail.history.is_empty() {
        let _ = writeln!(out, "  no price observed");
    } else {
        let rows: Vec<Vec<String>> = detail
            .history
            .iter()
            .map(|o| {
                vec![
                    date_time(o.observed_at),
                    money_format::plain(o.price, Some(&o.currency)),
                    o.previous_price.map_or_else(|| NONE.to_string(), |p| money_format::plain(p, Some(&o.currency))),
                    availability_words(o.availability.as_deref()).to_string(),
                ]
            })
            .collect();
        let headers =
            [("DATE", Align::Left), ("PRICE", Align::Right), ("PREVIOUS", Align::Right), ("AVAILABILITY", Align::Left)];
        for line in table(&headers, &rows).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }

    let _ = writeln!(out, "\nSame product elsewhere");
    if offer.gtin.is_none() {
        let _ = writeln!(out, "  unknown: the offer has no GTIN to link it to other shops");
    } else if detail.elsewhere.is_empty() {
        let _ = writeln!(out, "  none found");
    } else {
        for line in deals_table(&detail.elsewhere).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// The explanations `deals show --json` adds to the stored data, so that tools get the same words as people.
#[derive(Debug, Serialize)]
struct Explanation {
    verdict: String,
    discount: Option<String>,
    score: Vec<String>,
}

#[derive(Debug, Serialize)]
struct DetailJson<'a> {
    #[serde(flatten)]
    detail: &'a DealDetail,
    explanation: Explanation,
}

/// One offer as one JSON object: the stored data and its explanation in words.
pub fn detail_json(detail: &DealDetail) -> Result<String, serde_json::Error> {
    let explanation = Explanation {
        verdict: verdict_sentence(&detail.offer, &detail.history),
        discount: detail.offer.verdict.as_ref().map(|_| discount_sentence(&detail.offer)),
        score: detail.score_parts.as_ref().map(|parts| parts.explain()).unwrap_or_default(),
    };
    serde_json::to_string(&DetailJson { detail, explanation })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::deal_queries::QualityFlagRecord;
    use chrono::TimeZone;

    fn dec(text: &str) -> Decimal {
        text.parse().expect("test amounts are valid decimals")
    }

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).single().expect("a valid date")
    }

    fn observation(at: DateTime<Utc>, price: &str, previous: Option<&str>) -> PriceObservationRecord {
        PriceObservationRecord {
            observed_at: at,
            currency: "EUR".to_string(),
            price: dec(price),
            previous_price: previous.map(dec),
            availability: Some("in_stock".to_string()),
        }
    }

    fn offer() -> OfferRecord {
        OfferRecord {
            id: 7,
            shop_id: "shop_a".to_string(),
            shop_name: "Shop A".to_string(),
            shop_healthy: true,
            shop_unhealthy_reason: None,
            canonical_url: "https://a.example/p/1".to_string(),
            url: "https://a.example/p/1".to_string(),
            kind: "product".to_string(),
            title: "Casque sans fil".to_string(),
            brand: None,
            category: None,
            image_url: None,
            sku: None,
            gtin: None,
            currency: Some("EUR".to_string()),
            price: Some(dec("49.99")),
            previous_price: Some(dec("69.99")),
            availability: Some("in_stock".to_string()),
            promo_code: None,
            promo_text: None,
            discount_percent: None,
            ends_at: None,
            first_seen_at: day(1),
            last_seen_at: day(20),
            active: true,
            ended_at: None,
            missed_runs: 0,
            verdict: Some("inflated".to_string()),
            reference_price: Some(dec("49.99")),
            real_discount_pct: Some(dec("0")),
            claimed_discount_pct: Some(dec("28.6")),
            reduction_started_at: Some(day(15)),
            score: Some(dec("0")),
            judged_at: Some(day(20)),
        }
    }

    fn row(id: i64, title: &str) -> DealRow {
        DealRow {
            id,
            shop_id: "shop_a".to_string(),
            shop_name: "Shop A".to_string(),
            kind: "product".to_string(),
            title: title.to_string(),
            brand: None,
            category: None,
            image_url: None,
            url: "https://a.example/".to_string(),
            currency: Some("EUR".to_string()),
            price: Some(dec("49.99")),
            previous_price: Some(dec("69.99")),
            reference_price: Some(dec("69.99")),
            real_discount_pct: Some(dec("28.6")),
            claimed_discount_pct: Some(dec("28.6")),
            verdict: Some("honest".to_string()),
            score: Some(dec("41.5")),
            availability: Some("in_stock".to_string()),
            active: true,
            judged_at: None,
        }
    }

    #[test]
    fn percentages_keep_one_decimal() {
        assert_eq!(percent(dec("30.00")), "30.0 %");
        assert_eq!(percent(dec("28.57")), "28.57 %");
    }

    #[test]
    fn control_characters_in_scraped_text_never_reach_the_terminal() {
        assert_eq!(clean("evil\u{1b}[31mred\r\ntitle"), "evil [31mred  title");
    }

    #[test]
    fn a_long_title_is_cut_with_an_ellipsis_to_its_column() {
        let cut = shorten("Écouteurs sans fil à réduction de bruit active, boîtier de charge", 20);
        assert_eq!(cut.width(), 20);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("court", 20), "court");
    }

    #[test]
    fn wide_characters_count_as_two_columns_when_cutting() {
        assert_eq!(shorten("日本語のタイトル", 7), "日本語…");
    }

    #[test]
    fn the_table_lines_up_its_columns_under_the_headers() {
        let text = deals_table(&[row(3, "Écouteurs"), row(12, "Casque")]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let price_end = |line: &str| line.find(" €").map(|at| line[..at].width());
        assert_eq!(price_end(lines[1]), price_end(lines[2]));
        let title_at = |line: &str, title: &str| line.find(title).map(|at| line[..at].width());
        assert_eq!(title_at(lines[0], "TITLE"), title_at(lines[1], "Écouteurs"));
        assert_eq!(title_at(lines[0], "TITLE"), title_at(lines[2], "Casque"));
        assert!(lines[1].contains("28.6 %") && lines[1].contains("honest") && lines[1].ends_with("41.50"));
    }

    #[test]
    fn a_discount_without_a_reference_is_labelled_as_the_shops_claim() {
        let unverified = DealRow {
            reference_price: None,
            real_discount_pct: None,
            verdict: Some("unverified".to_string()),
            ..row(1, "x")
        };
        assert!(deals_table(&[unverified]).contains("28.6 % (claimed)"));
    }

    #[test]
    fn an_ended_deal_is_marked_in_the_list() {
        let ended = DealRow { active: false, ..row(1, "Casque") };
        assert!(deals_table(&[ended]).contains("[ended] Casque"));
    }

    #[test]
    fn an_inflated_verdict_names_the_claim_the_lower_price_its_date_and_the_window() {
        let history = [
            observation(day(1), "59.99", None),
            observation(day(10), "49.99", None),
            observation(day(15), "49.99", Some("69.99")),
        ];
        assert_eq!(
            verdict_sentence(&offer(), &history),
            "inflated: the shop claims 69.99 € but sold it at 49.99 € on 2026-11-10, within the 30 days before the \
             sale began on 2026-11-15"
        );
    }

    #[test]
    fn a_reference_price_carried_into_the_window_is_dated_at_the_window_start() {
        let started = day(15) + Duration::days(40);
        let history = [observation(day(1), "49.99", None), observation(started, "49.99", Some("69.99"))];
        let inflated = OfferRecord { reduction_started_at: Some(started), ..offer() };
        assert!(verdict_sentence(&inflated, &history).contains("sold it at 49.99 € on 2026-11-25, within the 30 days"));
    }

    #[test]
    fn an_honest_verdict_names_the_30_day_low_and_the_claim() {
        let honest = OfferRecord {
            verdict: Some("honest".to_string()),
            reference_price: Some(dec("69.99")),
            real_discount_pct: Some(dec("28.6")),
            ..offer()
        };
        assert_eq!(
            verdict_sentence(&honest, &[]),
            "honest: the lowest price in the 30 days before the sale began on 2026-11-15 was 69.99 €, and the shop's \
             claimed previous price 69.99 € is not above it"
        );
        assert_eq!(
            discount_sentence(&honest),
            "real discount 28.6 % (from the 30-day low of 69.99 €); the shop claims 28.6 % (from 69.99 €)"
        );
    }

    #[test]
    fn an_unverified_verdict_says_how_short_the_history_is() {
        let history = [observation(day(5), "69.99", None), observation(day(15), "49.99", Some("69.99"))];
        let unverified =
            OfferRecord { verdict: Some("unverified".to_string()), reference_price: Some(dec("69.99")), ..offer() };
        assert_eq!(
            verdict_sentence(&unverified, &history),
            "unverified: dealcast saw this offer for only 10 days before the sale began on 2026-11-15 (fewer than \
             the 30 the rule needs; its lowest price then was 69.99 €), so the previous price 69.99 € is the shop's \
             claim, not checked"
        );
    }

    #[test]
    fn an_unverified_verdict_without_any_earlier_price_says_so() {
        let unverified = OfferRecord { verdict: Some("unverified".to_string()), reference_price: None, ..offer() };
        assert!(verdict_sentence(&unverified, &[]).starts_with("unverified: dealcast had seen no price before"));
        assert_eq!(
            discount_sentence(&OfferRecord { real_discount_pct: None, reference_price: None, ..offer() }),
            "real discount unknown (no price seen before the sale); the shop claims 28.6 % (from 69.99 €)"
        );
    }

    #[test]
    fn an_offer_without_a_reduction_is_said_not_reduced() {
        let plain = OfferRecord { verdict: None, reduction_started_at: None, previous_price: None, ..offer() };
        assert!(verdict_sentence(&plain, &[]).starts_with("not reduced"));
        let unpriced = OfferRecord { price: None, ..plain.clone() };
        assert!(verdict_sentence(&unpriced, &[]).starts_with("not judged"));
    }

    fn detail() -> DealDetail {
        DealDetail {
            offer: offer(),
            history: vec![observation(day(10), "49.99", None), observation(day(15), "49.99", Some("69.99"))],
            elsewhere: Vec::new(),
            quality_flags: vec![QualityFlagRecord {
                kind: "price_rejected".to_string(),
                reason: "a price of 0 is not a price".to_string(),
            }],
            score_parts: None,
        }
    }

    #[test]
    fn the_detail_shows_prices_verdict_flags_and_history() {
        let text = detail_text(&detail());
        assert!(text.starts_with("Offer 7: Casque sans fil\n"));
        assert!(text.contains("current price:        49.99 €"));
        assert!(text.contains("shop's previous price: 69.99 € (the shop's claim)"));
        assert!(text.contains("inflated: the shop claims 69.99 € but sold it at 49.99 € on 2026-11-10"));
        assert!(text.contains("price_rejected: a price of 0 is not a price"));
        assert!(text.contains("2026-11-10 09:00 UTC  49.99 €         -  in stock"), "{text}");
        assert!(text.contains("2026-11-15 09:00 UTC  49.99 €   69.99 €  in stock"), "{text}");
        assert!(text.contains("unknown: the offer has no GTIN"));
    }

    #[test]
    fn the_detail_json_carries_the_explanation_in_words() {
        let json: serde_json::Value =
            serde_json::from_str(&detail_json(&detail()).expect("serialisable")).expect("valid JSON");
        assert_eq!(json["offer"]["id"], 7);
        assert_eq!(json["offer"]["price"], "49.99");
        assert_eq!(json["quality_flags"][0]["kind"], "price_rejected");
        assert!(json["explanation"]["verdict"].as_str().is_some_and(|v| v.starts_with("inflated: the shop claims")));
    }
}
