//! Reading promotions written as prose: the percentage ("-20 %"), the promo code ("code HIVER20") and the end date
//! ("jusqu'au 30/11", "jusqu'au 2 décembre") that shops put in feed entries, banners and listing cards.
//!
//! French first (dealcast's shops are French), with the common English forms. Shared by the engines that meet
//! such text (`feed`, `selectors`).

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use regex::Regex;
use rust_decimal::Decimal;

/// A reduction: "-20 %", "-20%", "20 % de réduction", "jusqu'à -50 %".
static PERCENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)-\s?(\d{1,2}(?:[.,]\d+)?)\s?%|(\d{1,2})\s?%\s*(?:de\s+)?(?:réduction|remise|off)")
        .expect("a valid regex")
});

/// A promo code: "code HIVER20", "code promo : HIVER20", "avec le code « NOEL »".
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bcode(?:\s+promo)?\s*:?\s*[«"'“]?\s*([A-Z0-9][A-Z0-9_-]{2,24})\b"#).expect("a valid regex")
});

const DATE: &str = r"(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?|(\d{1,2})(?:er)?\s+(janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre)(?:\s+(\d{4}))?)";

/// An end date announced as such: "jusqu'au 30/11", "until 2026-11-30", "fin le 2 décembre", and the end of a range
/// "du 23/11 au 30/11/2026".
static UNTIL: LazyLock<Regex> = LazyLock::new(|| {
    let range_start = r"\bdu\s+\d{1,2}(?:er)?(?:[/.]\d{1,2}(?:[/.]\d{2,4})?|\s+\p{L}+(?:\s+\d{4})?)?";
    Regex::new(&format!(
        r"(?i)(?:jusqu'au|jusqu’au|until|ends?|fin\s+le|valable\s+au|{range_start}\s+au)\s+(?:le\s+)?{DATE}"
    ))
    .expect("a valid regex")
});

/// Any date, for text that is known to be an end date (a "promotion ends" element).
static ANY_DATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("(?i){DATE}")).expect("a valid regex"));

/// The announced percentage (50 for "jusqu'à -50 %").
pub fn discount_percent(text: &str) -> Option<Decimal> {
    let captures = PERCENT.captures(text)?;
    let number = captures.get(1).or_else(|| captures.get(2))?.as_str().replace(',', ".");
    number.parse::<Decimal>().ok()
}

/// The promo code to type, if the text gives one. A code is written in capitals (often with digits).
pub fn promo_code(text: &str) -> Option<String> {
    // "Code promo Kiabi : -15 % ... avec le code KIABI15": the first "code" may introduce a shop's name.
    CODE.captures_iter(text)
        .map(|c| c[1].to_string())
        .find(|code| code.chars().any(|c| c.is_ascii_digit()) || code.chars().all(|c| !c.is_ascii_lowercase()))
}

/// The end of the announced last day (23:59:59 in the shop's `zone`) as UTC. With `needs_marker`, only a date
/// introduced as an end ("jusqu'au ...") counts. A date without a year is the next valid such date on or after
/// `reference` (that day in `zone`).
pub fn end_date(
    text: &str,
    reference: DateTime<Utc>,
    needs_marker: bool,
    zone: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    let captures = if needs_marker { UNTIL.captures(text)? } else { ANY_DATE.captures(text)? };
    let number = |i: usize| captures.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let (year, month, day) = if let (Some(y), Some(m), Some(d)) = (number(1), number(2), number(3)) {
        (Some(y as i32), m, d)
    } else if let (Some(d), Some(m)) = (number(4), number(5)) {
        (number(6).map(|y| if y < 100 { 2000 + y as i32 } else { y as i32 }), m, d)
    } else {
        (number(9).map(|y| y as i32), french_month(captures.get(8)?.as_str())?, number(7)?)
    };
    let reference_day = reference.with_timezone(&zone).date_naive();
    let date = match year {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day)?,
        // The next such day on or after the reference: "29/02" in a year without one is the next leap year's
        // (at most eight years on, across a century that skips one); a day no month has is no date at all.
        None => (reference_day.year()..=reference_day.year() + 8)
            .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
            .find(|date| *date >= reference_day)?,
    };
    let end = date.and_hms_opt(23, 59, 59)?;
    zone.from_local_datetime(&end).earliest().map(|t| t.with_timezone(&Utc))
}

fn french_month(name: &str) -> Option<u32> {
    let month = match name.to_lowercase().as_str() {
        "janvier" => 1,
        "février" | "fevrier" => 2,
        "mars" => 3,
        "avril" => 4,
        "mai" => 5,
        "juin" => 6,
        "juillet" => 7,
        "août" | "aout" => 8,
        "septembre" => 9,
        "octobre" => 10,
        "novembre" => 11,
        "décembre" | "decembre" => 12,
        _ => return None,
    };
    Some(month)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn percentages_codes_and_dates_are_read_from_french_prose() {
        assert_eq!(discount_percent("Jusqu'à -50 % sur les manteaux"), Some(Decimal::from(50)));
        assert_eq!(discount_percent("30 % de réduction"), Some(Decimal::from(30)));
        assert_eq!(discount_percent("Livraison offerte"), None);
        assert_eq!(promo_code("avec le code « NOEL25 »").as_deref(), Some("NOEL25"));
        assert_eq!(promo_code("code promo : HIVER"), Some("HIVER".to_string()));
        assert_eq!(promo_code("le code barre est au dos"), None);
        let reference = at("2026-11-26T10:00:00Z");
        assert_eq!(end_date("jusqu'au 30/11", reference, true, PARIS), Some(at("2026-11-30T22:59:59Z")));
        assert_eq!(end_date("jusqu'au 2 janvier", reference, true, PARIS), Some(at("2027-01-02T22:59:59Z")));
        assert_eq!(end_date("2026-12-24", reference, false, PARIS), Some(at("2026-12-24T22:59:59Z")));
        assert_eq!(end_date("le 30/11", reference, true, PARIS), None, "a date not introduced as an end");
        assert_eq!(end_date("Du 23/11 au 30/11/2026", reference, true, PARIS), Some(at("2026-11-30T22:59:59Z")));
        assert_eq!(end_date("du 1er au 3 décembre", reference, true, PARIS), Some(at("2026-12-03T22:59:59Z")));
        assert_eq!(promo_code("Code promo Kiabi : -15 % avec le code KIABI15").as_deref(), Some("KIABI15"));
        assert_eq!(end_date("jusqu'au 31/02", reference, true, PARIS), None, "no such day");
        assert_eq!(
            end_date("jusqu'au 29/02", reference, true, PARIS),
            Some(at("2028-02-29T22:59:59Z")),
            "the next leap day"
        );
        assert_eq!(
            end_date("jusqu'au 29/02", at("2028-01-10T10:00:00Z"), true, PARIS),
            Some(at("2028-02-29T22:59:59Z"))
        );
    }
}
