//! Reading a sitemap's `<lastmod>`: a W3C datetime (<https://www.w3.org/TR/NOTE-datetime>), as UTC.
//!
//! sitemaps.org allows every W3C form, from a bare year down to fractions of a second, and shops use all of them
//! (date-only is the most common). chrono reads each form given its pattern; what is written here is only which
//! patterns to try, plus the near-misses real sitemaps print (a space instead of `T`, an offset without its colon,
//! no offset at all, read as UTC). No crate reads the W3C profile's partial forms (`2024`, `2024-05`), and the whole
//! rule fits in a few lines, so it is written here rather than added as a dependency.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// The patterns of the date-and-time forms with an offset, after a `Z` was turned into `+00:00`.
const WITH_OFFSET: [&str; 4] =
    ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"];

/// The same forms without an offset: read as UTC.
const WITHOUT_OFFSET: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"];

/// The instant a `<lastmod>` names, or `None` when it is not a W3C datetime (the URL is kept all the same). A date
/// alone, a month or a year is its first instant, in UTC.
pub fn parse_lastmod(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || !text.is_ascii() {
        return None;
    }
    // RFC 3339 allows a lower-case `t` and `z`.
    let mut normal = text.to_ascii_uppercase().replacen(' ', "T", 1);
    if normal.ends_with('Z') {
        normal.truncate(normal.len() - 1);
        normal.push_str("+00:00");
    }
    if normal.contains('T') {
        if let Some(instant) = WITH_OFFSET.iter().find_map(|pattern| DateTime::parse_from_str(&normal, pattern).ok()) {
            return Some(instant.with_timezone(&Utc));
        }
        return WITHOUT_OFFSET
            .iter()
            .find_map(|pattern| NaiveDateTime::parse_from_str(&normal, pattern).ok())
            .map(|naive| Utc.from_utc_datetime(&naive));
    }
    let date = match text.len() {
        4 => NaiveDate::from_ymd_opt(text.parse().ok()?, 1, 1),
        7 => NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok(),
        10 => NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
        _ => None,
    }?;
    Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn every_w3c_datetime_form_is_read_as_utc() {
        let cases = [
            ("2024", "2024-01-01T00:00:00Z"),
            ("2024-05", "2024-05-01T00:00:00Z"),
            ("2024-05-17", "2024-05-17T00:00:00Z"),
            ("2024-05-17T14:30+02:00", "2024-05-17T12:30:00Z"),
            ("2024-05-17T14:30Z", "2024-05-17T14:30:00Z"),
            ("2024-05-17T14:30:15-05:00", "2024-05-17T19:30:15Z"),
            ("2024-05-17T14:30:15.25Z", "2024-05-17T14:30:15.25Z"),
            ("2024-05-17T14:30:15.123456+01:00", "2024-05-17T13:30:15.123456Z"),
        ];
        for (written, meant) in cases {
            assert_eq!(parse_lastmod(written), utc(meant), "{written}");
        }
    }

    #[test]
    fn the_near_misses_real_sitemaps_print_are_read_too() {
        assert_eq!(parse_lastmod("  2024-05-17 14:30:15  "), utc("2024-05-17T14:30:15Z"));
        assert_eq!(parse_lastmod("2024-05-17T14:30:15+0200"), utc("2024-05-17T12:30:15Z"));
        assert_eq!(parse_lastmod("2024-05-17T14:30:15"), utc("2024-05-17T14:30:15Z"));
        assert_eq!(parse_lastmod("2024-05-17t14:30:15z"), utc("2024-05-17T14:30:15Z"));
    }

    #[test]
    fn what_is_not_a_date_gives_none() {
        for text in
            ["", "yesterday", "2024-13-01", "2024-02-30", "17/05/2024", "2024-5-1", "2024-05-17T25:00Z", "２０２４"]
        {
            assert_eq!(parse_lastmod(text), None, "{text:?}");
        }
    }
}
