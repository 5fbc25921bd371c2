//! Numbers as French readers expect them in a post: `1 299,00 €`, `-30 %`.
//!
//! It exists because French typography is not what `Display` gives: a comma for decimals, a narrow no-break space
//! (U+202F) between groups of thousands and a no-break space (U+00A0) before the currency sign or `%`, so that a
//! price never breaks across lines. Hand-written because the locale crates either pull in ICU data for two
//! formats or use U+00A0 between thousands where the French Imprimerie nationale rules (and DESIGN.md) want U+202F.

use rust_decimal::{Decimal, RoundingStrategy};

/// Narrow no-break space: between groups of three digits.
pub const THOUSANDS_SEPARATOR: char = '\u{202F}';
/// No-break space: before a currency sign or `%`.
pub const UNIT_SPACE: char = '\u{A0}';

/// The sign written after an amount in `currency` (ISO 4217, upper case).
///
/// The euro, pound and yen have signs every French reader knows. Dollars say whose dollar as French usage does
/// (`$US`, `$CA`), since `$` alone is ambiguous. Every other currency is written as its ISO code (`CHF`), which is
/// also the usage for the Swiss franc.
pub fn currency_sign(currency: &str) -> &str {
    match currency {
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "USD" => "$US",
        "CAD" => "$CA",
        "AUD" => "$AU",
        other => other,
    }
}

/// `amount` in `currency`, rounded half away from zero to cents and written the French way:
/// `format_money(19.99, "EUR")` is `19,99 €`, `1299` gives `1 299,00 €` (U+202F between thousands, U+00A0 before
/// the sign), `19.99` in USD gives `19,99 $US`.
///
/// Every currency is shown with two decimals: shops price yen in whole units, and `1 299,00 ¥` is still correct,
/// while a per-currency table of minor units would be one more thing to keep up to date for no reader's benefit.
pub fn format_money(amount: Decimal, currency: &str) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let mut text = format_decimal(rounded, 2);
    text.push(UNIT_SPACE);
    text.push_str(currency_sign(currency));
    text
}

/// A percentage rounded half away from zero to a whole number, with its sign if negative and U+00A0 before `%`:
/// `format_percent(-30)` is `-30 %`. Whole numbers because a reduction of `-29,87 %` reads as false precision.
pub fn format_percent(pct: Decimal) -> String {
    let rounded = pct.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let mut text = format_decimal(rounded, 0);
    text.push(UNIT_SPACE);
    text.push('%');
    text
}

/// `value` (already rounded to `decimals`) with grouped thousands and a decimal comma.
fn format_decimal(value: Decimal, decimals: u32) -> String {
    // Zero is written without a sign whatever rounding left (`-0,004` is `0,00`).
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
        if index > 0 && (integer.len() - index).is_multiple_of(3) {
            text.push(THOUSANDS_SEPARATOR);
        }
        text.push(digit);
    }
    if !fraction.is_empty() {
        text.push(',');
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

    #[test]
    fn a_euro_price_has_a_decimal_comma_and_a_no_break_space_before_the_sign() {
        assert_eq!(format_money(decimal("19.99"), "EUR"), "19,99\u{A0}€");
        assert_eq!(format_money(decimal("5"), "EUR"), "5,00\u{A0}€");
        assert_eq!(format_money(decimal("0.5"), "EUR"), "0,50\u{A0}€");
    }

    #[test]
    fn thousands_are_grouped_with_a_narrow_no_break_space() {
        assert_eq!(format_money(decimal("1299"), "EUR"), "1\u{202F}299,00\u{A0}€");
        assert_eq!(format_money(decimal("999.99"), "EUR"), "999,99\u{A0}€");
        assert_eq!(format_money(decimal("1234567.891"), "EUR"), "1\u{202F}234\u{202F}567,89\u{A0}€");
    }

    #[test]
    fn half_a_cent_rounds_away_from_zero() {
        assert_eq!(format_money(decimal("19.995"), "EUR"), "20,00\u{A0}€");
        assert_eq!(format_money(decimal("19.994"), "EUR"), "19,99\u{A0}€");
    }

    #[test]
    fn other_currencies_say_whose_money_it_is() {
        assert_eq!(format_money(decimal("19.99"), "USD"), "19,99\u{A0}$US");
        assert_eq!(format_money(decimal("19.99"), "CHF"), "19,99\u{A0}CHF");
        assert_eq!(format_money(decimal("19.99"), "GBP"), "19,99\u{A0}£");
    }

    #[test]
    fn a_negative_amount_keeps_its_sign_and_a_rounded_zero_loses_it() {
        assert_eq!(format_money(decimal("-1500"), "EUR"), "-1\u{202F}500,00\u{A0}€");
        assert_eq!(format_money(decimal("-0.004"), "EUR"), "0,00\u{A0}€");
    }

    #[test]
    fn a_percentage_is_whole_with_a_no_break_space_before_the_sign() {
        assert_eq!(format_percent(decimal("-30")), "-30\u{A0}%");
        assert_eq!(format_percent(decimal("-29.5")), "-30\u{A0}%");
        assert_eq!(format_percent(decimal("12.4")), "12\u{A0}%");
        assert_eq!(format_percent(decimal("-0.2")), "0\u{A0}%");
        assert_eq!(format_percent(decimal("-1250")), "-1\u{202F}250\u{A0}%");
    }
}
