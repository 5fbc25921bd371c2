//! Reading the single values a page gives (a price, a currency, a URL, a date, a name), shared by every engine.
//!
//! Engines meet the same values in different wrappers (a JSON string, a JSON number, a `content` attribute, visible
//! text), so each kind of value is read in one place here. Machine-readable prices ("19.99") are read exactly with
//! `rust_decimal`; human strings ("1 299,00 €") go through the project's price parser ([`crate::scrape::price`]),
//! never through a float.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use url::Url;

use crate::scrape::price;

/// A name or label as a reader sees it, from text that may carry markup (feed summaries, names in structured data):
/// tags dropped from the raw markup, then HTML entities decoded (twice when a shop encoded them twice, as in
/// `&amp;quot;`), then whitespace collapsed. In that order so that an escaped tag is text: `&lt;b&gt;` shows as
/// `<b>`, where decoding first would have turned it into markup and dropped it. Every engine and the feed reader
/// clean their text here.
pub fn clean_text(raw: &str) -> String {
    let without_tags = strip_tags(raw);
    let mut text = html_escape::decode_html_entities(&without_tags).into_owned();
    if text.contains('&') && text.contains(';') {
        text = html_escape::decode_html_entities(&text).into_owned();
    }
    collapse_whitespace(&text)
}

/// Text with runs of whitespace (including no-break spaces) turned into one space, trimmed.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `markup` without its tags, each tag replaced by a space so that the words on either side stay apart. As in
/// HTML, `<` opens a tag only before a letter, `/`, `!` or `?`: `Taille < 40` is text. Hand-written because a full
/// HTML parse of every name would cost more than it saves.
fn strip_tags(markup: &str) -> Cow<'_, str> {
    if !markup.contains('<') {
        return Cow::Borrowed(markup);
    }
    let mut out = String::with_capacity(markup.len());
    let mut in_tag = false;
    let mut chars = markup.chars().peekable();
    while let Some(c) = chars.next() {
        if in_tag {
            if c == '>' {
                in_tag = false;
                out.push(' ');
            }
        } else if c == '<' && chars.peek().is_some_and(|next| next.is_ascii_alphabetic() || "/!?".contains(*next)) {
            in_tag = true;
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A price written for machines ("19.99", "109.0", "1149"), exactly. Zero and negative values are refused: shops
/// put `0` in structured data as a placeholder for "no price yet", never as a real price.
pub fn machine_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let value =
        if text.contains(['e', 'E']) { Decimal::from_scientific(text).ok()? } else { Decimal::from_str(text).ok()? };
    (value > Decimal::ZERO).then_some(value.normalize())
}

/// A price written for people or machines: the machine form first, then the human form through the price parser
/// (which also says which currency the text names, if any).
pub fn price_text(text: &str) -> Option<(Decimal, Option<String>)> {
    if let Some(amount) = machine_decimal(text) {
        return Some((amount, None));
    }
    let text = text.trim();
    if text.is_empty() || text.len() > 120 {
        return None;
    }
    if let Some((amount, currency)) = price::parse_amount(text).filter(|(amount, _)| *amount > Decimal::ZERO) {
        return Some((amount.normalize(), currency));
    }
    // Some shops repeat the price on several lines ("109€\n109€\n109"): the first line that reads is the price.
    text.lines().filter_map(|line| price::parse_amount(line.trim())).find(|(amount, _)| *amount > Decimal::ZERO)
}

/// An amount shown to visitors, read with the page's declared currency as a hint (so that "$" on a page declaring
/// CAD is CAD), and whether the text itself prints a currency (even one the symbol alone cannot settle).
pub fn shown_price(text: &str, currency_hint: Option<&str>) -> Option<ShownPrice> {
    let parsed = price::parse_price(text, currency_hint, None);
    let amount = parsed.amount.filter(|amount| *amount > Decimal::ZERO)?;
    let prints_currency = price::parse_price(text, None, None).currency_text.is_some();
    Some(ShownPrice { amount: amount.normalize(), currency: parsed.currency, prints_currency })
}

/// What [`shown_price`] read.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownPrice {
    pub amount: Decimal,
    /// ISO 4217 code, from the text or settled by the hint.
    pub currency: Option<String>,
    /// The text prints a currency symbol or code.
    pub prints_currency: bool,
}

/// A price from a JSON value: numbers through their decimal text (never through `f64`), strings as [`price_text`].
pub fn json_price(value: &Value) -> Option<(Decimal, Option<String>)> {
    match value {
        Value::Number(number) => machine_decimal(&number.to_string()).map(|amount| (amount, None)),
        Value::String(text) => price_text(text),
        Value::Array(items) => items.iter().find_map(json_price),
        _ => None,
    }
}

/// An ISO 4217 code from what a page puts in a currency field: a code in any case ("pln"), or a symbol or name
/// that the price parser knows ("€", "zł").
pub fn currency_code(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() == 3 && text.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(text.to_ascii_uppercase());
    }
    if text.is_empty() {
        return None;
    }
    price::iso_currency(text)
}

/// The currency a page's locale implies (`<html lang="en-CA">`, `og:locale` `es_CL`): the country's, else the
/// language's where one country uses it. Only a hint that settles a symbol several currencies print ("$" in a
/// Canadian or Chilean shop); a currency the text prints always wins over it.
pub fn locale_currency(locale: &str) -> Option<&'static str> {
    let mut parts = locale.trim().split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    let region = parts.find(|part| part.len() == 2).map(str::to_ascii_uppercase);
    const EURO_COUNTRIES: [&str; 20] = [
        "AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT",
        "SI", "SK",
    ];
    const COUNTRIES: [(&str, &str); 30] = [
        ("US", "USD"),
        ("CA", "CAD"),
        ("AU", "AUD"),
        ("NZ", "NZD"),
        ("MX", "MXN"),
        ("CL", "CLP"),
        ("AR", "ARS"),
        ("CO", "COP"),
        ("UY", "UYU"),
        ("PE", "PEN"),
        ("BR", "BRL"),
        ("SG", "SGD"),
        ("HK", "HKD"),
        ("TW", "TWD"),
        ("JP", "JPY"),
        ("CN", "CNY"),
        ("GB", "GBP"),
        ("CH", "CHF"),
        ("SE", "SEK"),
        ("DK", "DKK"),
        ("NO", "NOK"),
        ("IS", "ISK"),
        ("PL", "PLN"),
        ("CZ", "CZK"),
        ("HU", "HUF"),
        ("RO", "RON"),
        ("IN", "INR"),
        ("ZA", "ZAR"),
        ("BG", "BGN"),
        ("TR", "TRY"),
    ];
    const LANGUAGES: [(&str, &str); 10] = [
        ("ja", "JPY"),
        ("sv", "SEK"),
        ("da", "DKK"),
        ("nb", "NOK"),
        ("nn", "NOK"),
        ("pl", "PLN"),
        ("cs", "CZK"),
        ("hu", "HUF"),
        ("ro", "RON"),
        ("bg", "BGN"),
    ];
    if let Some(region) = region {
        if EURO_COUNTRIES.contains(&region.as_str()) {
            return Some("EUR");
        }
        return COUNTRIES.iter().find(|(country, _)| *country == region).map(|(_, code)| *code);
    }
    LANGUAGES.iter().find(|(lang, _)| *lang == language).map(|(_, code)| *code)
}

/// `href` made absolute against the page, or `None` when it is empty or not a URL at all.
pub fn absolute_url(page_url: &Url, href: &str) -> Option<String> {
    let href = html_escape::decode_html_entities(href.trim());
    if href.is_empty() || href.starts_with("data:") || href.starts_with("javascript:") {
        return None;
    }
    page_url.join(&href).ok().map(String::from)
}

/// True when two URLs name the same page: same host and path (trailing slash, query and fragment ignored).
pub fn same_page(a: &Url, b: &str) -> bool {
    let Ok(b) = a.join(b) else { return false };
    a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
}

/// The instant an offer ends (`priceValidUntil`, a `<time datetime>`): a full timestamp, or a date meaning the end
/// of that day in UTC (the page does not say in which time zone the day ends).
pub fn valid_until(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(stamp) = DateTime::parse_from_rfc3339(text) {
        return Some(stamp.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(stamp) = DateTime::parse_from_str(text, format) {
            return Some(stamp.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(stamp) = NaiveDateTime::parse_from_str(text, format) {
            return Some(stamp.and_utc());
        }
    }
    let date = text.get(..10).and_then(|head| NaiveDate::parse_from_str(head, "%Y-%m-%d").ok())?;
    date.and_hms_opt(23, 59, 59).map(|end| end.and_utc())
}

/// A previous price only counts when it is above the price: shops often print the same amount in an "old price"
/// element when there is no reduction.
pub fn real_previous(price: Option<Decimal>, previous: Option<Decimal>) -> Option<Decimal> {
    match (price, previous) {
        (Some(price), Some(previous)) if previous > price => Some(previous),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn a_json_number_is_read_through_its_decimal_text() {
        let value: Value = serde_json::from_str("19.99").unwrap();
        assert_eq!(json_price(&value), Some((dec("19.99"), None)));
        let value: Value = serde_json::from_str("19.5").unwrap();
        assert_eq!(json_price(&value).map(|(amount, _)| amount.to_string()), Some("19.5".to_string()));
    }

    #[test]
    fn a_zero_price_is_a_placeholder_not_a_price() {
        assert_eq!(machine_decimal("0.00"), None);
        assert_eq!(machine_decimal("-3"), None);
    }

    #[test]
    fn a_double_encoded_entity_is_decoded() {
        assert_eq!(clean_text("11&amp;quot; iPad  Pro"), "11\" iPad Pro");
        assert_eq!(clean_text("Caf&eacute; &#039;noir&#039;"), "Café 'noir'");
    }

    #[test]
    fn tags_are_dropped_and_the_words_on_either_side_kept_apart() {
        assert_eq!(clean_text("<p>Valable jusqu&#39;au <b>30/11</b> inclus.</p>"), "Valable jusqu'au 30/11 inclus.");
        assert_eq!(clean_text("<li>Robe</li><li>Jupe</li>"), "Robe Jupe");
    }

    #[test]
    fn an_escaped_tag_is_text_not_markup() {
        assert_eq!(clean_text("Robe &lt;b&gt;rouge&lt;/b&gt;"), "Robe <b>rouge</b>");
        assert_eq!(clean_text("<p>Balise &amp;lt;br&amp;gt; incluse</p>"), "Balise <br> incluse");
    }

    #[test]
    fn a_less_than_sign_that_opens_no_tag_is_text() {
        assert_eq!(clean_text("Taille < 40 cm et > 20 cm"), "Taille < 40 cm et > 20 cm");
        assert_eq!(clean_text("Lot de 3 <3 <em>offert</em>"), "Lot de 3 <3 offert");
    }

    #[test]
    fn whitespace_of_every_kind_is_collapsed_to_one_space() {
        assert_eq!(clean_text("  Robe\n\t midi&nbsp;\u{A0}noire  "), "Robe midi noire");
    }

    #[test]
    fn a_lower_case_currency_code_is_upper_cased() {
        assert_eq!(currency_code("pln").as_deref(), Some("PLN"));
    }

    #[test]
    fn a_bare_date_ends_at_the_end_of_that_day() {
        assert_eq!(valid_until("2020-12-31").map(|d| d.to_rfc3339()).as_deref(), Some("2020-12-31T23:59:59+00:00"));
        assert_eq!(
            valid_until("2020-12-03T23:59:59-06:00").map(|d| d.to_rfc3339()).as_deref(),
            Some("2020-12-04T05:59:59+00:00")
        );
    }

    #[test]
    fn a_locale_names_its_country_s_currency_or_its_language_s() {
        assert_eq!(locale_currency("en-CA"), Some("CAD"));
        assert_eq!(locale_currency("es_CL"), Some("CLP"));
        assert_eq!(locale_currency("fr-FR"), Some("EUR"));
        assert_eq!(locale_currency("pl"), Some("PLN"));
        assert_eq!(locale_currency("en"), None);
        assert_eq!(locale_currency("en-XX"), None);
    }

    #[test]
    fn relative_urls_are_resolved_against_the_page() {
        let page = Url::parse("https://shop.example/p/1?x=2").unwrap();
        assert_eq!(absolute_url(&page, "/img/a.jpg").as_deref(), Some("https://shop.example/img/a.jpg"));
        assert!(same_page(&page, "https://SHOP.example/p/1/#top"));
    }
}
