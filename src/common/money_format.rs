//! Money as each reader sees it, written in one place so that a post, a web page and the terminal show one amount
//! the same way: [`french`] for posts and French web pages (`1 299,00 €`), [`english`] for English web pages
//! (`1,299.00 €`), [`plain`] for the command line (`1299.00 €`).
//!
//! Every form rounds to cents, half away from zero: `19.995` shows as `20.00`, `19.985` as `19.99`, `-19.995` as
//! `-20.00`. Half-up rather than banker's rounding because it is what a reader does by hand and what the euro's own
//! rounding rule says (Council Regulation (EC) No 1103/97, art. 5: a half cent is rounded up); banker's rounding sends
//! half a cent down or up depending on whether the cent below is even (`19.985` to `19.98`, `19.995` to `20.00`), which
//! nobody checking a post against the shop could explain. Shops label prices in cents; amounts with more decimals come
//! from computation or from a shop's structured data, so two decimals lose nothing a reader needs, and the exact value
//! stays in the database and in the JSON answers.
//!
//! Every currency shows two decimals: shops price yen in whole units, and `1 299,00 ¥` is still correct, while a
//! per-currency table of minor units would be one more thing to keep up to date for no reader's benefit.
//!
//! Hand-written because the locale crates either pull in ICU data for three small formats or put U+00A0 between
//! thousands where French typography (the Imprimerie nationale's rules) wants the narrow U+202F.

use std::borrow::Cow;

use rust_decimal::{Decimal, RoundingStrategy};

/// Narrow no-break space: between groups of three digits in French.
pub const FRENCH_THOUSANDS_SEPARATOR: char = '\u{202F}';
/// No-break space: before a currency sign or `%` in French, so that a price never breaks across lines.
pub const FRENCH_UNIT_SPACE: char = '\u{A0}';

/// How many decimals every amount shows.
const CENTS: u32 = 2;

/// `amount` in `currency` (ISO 4217) as a French reader expects it, in posts and on French pages: a decimal comma,
/// U+202F between thousands, U+00A0 before the sign: `1 299,00 €`, `19,99 $US`, `19,99 CHF`. Without a currency,
/// the number alone (`19,99`).
pub fn french(amount: Decimal, currency: Option<&str>) -> String {
    let mut text = french_number(to_cents(amount), CENTS);
    if let Some(code) = currency {
        text.push(FRENCH_UNIT_SPACE);
        text.push_str(&french_sign(code));
    }
    text
}

/// `amount` in `currency` as an English page shows it: a decimal point, commas between thousands, the sign after
/// the amount as on the French pages: `1,299.00 €`, `19.99 USD`. Without a currency, the number alone.
pub fn english(amount: Decimal, currency: Option<&str>) -> String {
    with_sign(grouped(to_cents(amount), CENTS, Some(','), '.'), currency)
}

/// `amount` in `currency` for the command line: a decimal point and no grouping, so that the figure can be copied
/// into a shell or a spreadsheet as it is: `1299.00 €`, `12.50 USD`. Without a currency, the number alone.
pub fn plain(amount: Decimal, currency: Option<&str>) -> String {
    with_sign(grouped(to_cents(amount), CENTS, None, '.'), currency)
}

/// `value` (already rounded to `decimals`) the French way: grouped thousands (U+202F) and a decimal comma. Also what
/// French percentages are written with.
pub fn french_number(value: Decimal, decimals: u32) -> String {
    grouped(value, decimals, Some(FRENCH_THOUSANDS_SEPARATOR), ',')
}

/// `amount` rounded half away from zero to cents.
fn to_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(CENTS, RoundingStrategy::MidpointAwayFromZero)
}

/// `number` followed by a space and the sign of `currency`, if any.
fn with_sign(mut number: String, currency: Option<&str>) -> String {
    if let Some(code) = currency {
        number.push(' ');
        number.push_str(&international_sign(code));
    }
    number
}

/// The sign French readers know: the euro, pound and yen by their signs; dollars say whose dollar as French usage
/// does (`$US`, `$CA`), since `$` alone is ambiguous; every other currency by its ISO code (`CHF`), which is also
/// the usage for the Swiss franc.
fn french_sign(code: &str) -> Cow<'_, str> {
    match code {
        "USD" => Cow::Borrowed("$US"),
        "CAD" => Cow::Borrowed("$CA"),
        "AUD" => Cow::Borrowed("$AU"),
        other => international_sign(other),
    }
}

/// The euro, pound and yen by their signs, every other currency by its ISO code (`USD`, `CHF`): unambiguous in any
/// language. A code read from a page is shown without its control characters, so that it cannot move a terminal's
/// cursor.
fn international_sign(code: &str) -> Cow<'_, str> {
    match code {
        "EUR" => Cow::Borrowed("€"),
        "GBP" => Cow::Borrowed("£"),
        "JPY" => Cow::Borrowed("¥"),
        other if other.chars().any(char::is_control) => Cow::Owned(other.chars().filter(|c| !c.is_control()).collect()),
        other => Cow::Borrowed(other),
    }
}

/// `value` (already rounded to `decimals`) with its integer digits grouped by three with `thousands` (if any) and
/// `decimal_mark` before the fraction. Zero is written without a sign whatever rounding left (`-0.004` is `0.00`).
fn grouped(value: Decimal, decimals: u32, thousands: Option<char>, decimal_mark: char) -> String {
    let negative = value.is_sign_negative() && !value.is_zero();
    let mut absolute = value.abs();
    absolute.rescale(decimals);
    let digits = absolute.to_string();
    let (integer, fraction) = digits.split_once('.').unwrap_or((digits.as_str(), ""));
    let mut text = String::with_capacity(digits.len() + 8);
    if negative {
        text.push('-');
    }
    for (index, digit) in integer.chars().enumerate() {
        if let Some(separator) = thousands.filter(|_| index > 0 && (integer.len() - index).is_multiple_of(3)) {
            text.push(separator);
        }
        text.push(digit);
    }
    if !fraction.is_empty() {
        text.push(decimal_mark);
        text.push_str(fraction);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("a decimal literal")
    }

    /// Each form of `amount` in euros: (French, English, plain).
    fn all_forms(amount: &str) -> (String, String, String) {
        let amount = decimal(amount);
        (french(amount, Some("EUR")), english(amount, Some("EUR")), plain(amount, Some("EUR")))
    }

    #[test]
    fn a_french_price_has_a_decimal_comma_and_a_no_break_space_before_the_sign() {
        assert_eq!(french(decimal("19.99"), Some("EUR")), "19,99\u{A0}€");
        assert_eq!(french(decimal("5"), Some("EUR")), "5,00\u{A0}€");
        assert_eq!(french(decimal("0.5"), Some("EUR")), "0,50\u{A0}€");
        assert_eq!(french(decimal("19.99"), None), "19,99");
    }

    #[test]
    fn french_thousands_are_grouped_with_a_narrow_no_break_space() {
        assert_eq!(french(decimal("1299"), Some("EUR")), "1\u{202F}299,00\u{A0}€");
        assert_eq!(french(decimal("999.99"), Some("EUR")), "999,99\u{A0}€");
        assert_eq!(french(decimal("1234567.891"), Some("EUR")), "1\u{202F}234\u{202F}567,89\u{A0}€");
    }

    #[test]
    fn english_pages_group_thousands_with_commas() {
        assert_eq!(english(decimal("1299.5"), Some("EUR")), "1,299.50 €");
        assert_eq!(english(decimal("999.99"), Some("EUR")), "999.99 €");
        assert_eq!(english(decimal("1234567.891"), Some("EUR")), "1,234,567.89 €");
        assert_eq!(english(decimal("19.99"), None), "19.99");
    }

    #[test]
    fn the_command_line_shows_an_ungrouped_figure_that_can_be_copied() {
        assert_eq!(plain(decimal("1234567.891"), Some("EUR")), "1234567.89 €");
        assert_eq!(plain(decimal("70"), Some("EUR")), "70.00 €");
        assert_eq!(plain(decimal("69.9900"), None), "69.99");
    }

    #[test]
    fn every_form_rounds_half_a_cent_away_from_zero() {
        let euros = |a: &str, b: &str| (format!("{a}\u{A0}€"), format!("{b} €"), format!("{b} €"));
        assert_eq!(all_forms("19.995"), euros("20,00", "20.00"));
        assert_eq!(all_forms("19.985"), euros("19,99", "19.99"));
        assert_eq!(all_forms("19.994"), euros("19,99", "19.99"));
        assert_eq!(all_forms("0.005"), euros("0,01", "0.01"));
        assert_eq!(all_forms("0.125"), euros("0,13", "0.13"));
        assert_eq!(all_forms("-19.995"), euros("-20,00", "-20.00"));
        assert_eq!(all_forms("999.995"), ("1\u{202F}000,00\u{A0}€".into(), "1,000.00 €".into(), "1000.00 €".into()));
    }

    #[test]
    fn a_negative_amount_keeps_its_sign_and_a_rounded_zero_loses_it() {
        assert_eq!(all_forms("-1500"), ("-1\u{202F}500,00\u{A0}€".into(), "-1,500.00 €".into(), "-1500.00 €".into()));
        assert_eq!(all_forms("-0.004"), ("0,00\u{A0}€".into(), "0.00 €".into(), "0.00 €".into()));
    }

    #[test]
    fn other_currencies_say_whose_money_it_is() {
        assert_eq!(french(decimal("19.99"), Some("USD")), "19,99\u{A0}$US");
        assert_eq!(french(decimal("19.99"), Some("CAD")), "19,99\u{A0}$CA");
        assert_eq!(french(decimal("19.99"), Some("CHF")), "19,99\u{A0}CHF");
        assert_eq!(french(decimal("19.99"), Some("GBP")), "19,99\u{A0}£");
        assert_eq!(english(decimal("1299"), Some("USD")), "1,299.00 USD");
        assert_eq!(english(decimal("19.99"), Some("GBP")), "19.99 £");
        assert_eq!(plain(decimal("0.125"), Some("USD")), "0.13 USD");
        assert_eq!(plain(decimal("1299"), Some("PLN")), "1299.00 PLN");
    }

    #[test]
    fn yen_are_shown_with_two_decimals_like_every_currency() {
        assert_eq!(french(decimal("1299"), Some("JPY")), "1\u{202F}299,00\u{A0}¥");
        assert_eq!(plain(decimal("1299"), Some("JPY")), "1299.00 ¥");
    }

    #[test]
    fn a_currency_read_from_a_page_cannot_carry_control_characters() {
        assert_eq!(plain(decimal("5"), Some("US\u{1b}[2JD")), "5.00 US[2JD");
    }
}
