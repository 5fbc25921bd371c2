//! Percentages as French readers expect them in a post: `-30 %`.
//!
//! It exists because French typography is not what `Display` gives: a comma for decimals, a narrow no-break space
//! (U+202F) between groups of thousands and a no-break space (U+00A0) before `%`, so that a figure never breaks
//! across lines. Amounts of money are written by [`crate::common::money_format`], in the same typography.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::common::money_format::{FRENCH_UNIT_SPACE, french_number};

/// A percentage rounded half away from zero to a whole number, with its sign if negative and U+00A0 before `%`:
/// `format_percent(-30)` is `-30 %`. Whole numbers because a reduction of `-29,87 %` reads as false precision.
pub fn format_percent(pct: Decimal) -> String {
    let rounded = pct.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let mut text = french_number(rounded, 0);
    text.push(FRENCH_UNIT_SPACE);
    text.push('%');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("a decimal literal")
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
