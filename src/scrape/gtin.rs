//! GTIN (EAN/UPC) normalisation: the key that links the same product across shops.
//!
//! Shops print GTIN-8, UPC-A (12), EAN-13 or GTIN-14, with spaces or hyphens, and sometimes a number that is not a
//! GTIN at all (an internal id in a `gtin13` field). A GTIN is kept only when its check digit is right, and stored
//! as its 14-digit form (left-padded with zeros), so the 12- and 13-digit spellings of one product meet.

/// The 14-digit form of a valid GTIN-8/12/13/14, or `None`.
pub fn normalize_gtin(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '\u{a0}')).collect();
    if !matches!(digits.len(), 8 | 12 | 13 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{digits:0>14}");
    if padded.bytes().all(|b| b == b'0') || !check_digit_is_right(&padded) {
        return None;
    }
    Some(padded)
}

/// GS1 check digit: weights 3 and 1 alternate from the rightmost data digit.
fn check_digit_is_right(gtin14: &str) -> bool {
    let digits: Vec<u32> = gtin14.bytes().map(|b| u32::from(b - b'0')).collect();
    let (data, check) = digits.split_at(13);
    let sum: u32 = data.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d }).sum();
    (10 - sum % 10) % 10 == check[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gtin_length_becomes_fourteen_digits_when_its_check_digit_is_right() {
        assert_eq!(normalize_gtin("3600000000009").as_deref(), Some("03600000000009"));
        assert_eq!(normalize_gtin("4006381333931").as_deref(), Some("04006381333931"), "EAN-13");
        assert_eq!(normalize_gtin("036000291452").as_deref(), Some("00036000291452"), "UPC-A");
        assert_eq!(normalize_gtin("96385074").as_deref(), Some("00000096385074"), "GTIN-8");
        assert_eq!(normalize_gtin("4 006381 333931").as_deref(), Some("04006381333931"), "printed with spaces");
        assert_eq!(normalize_gtin("036000291452"), normalize_gtin("0036000291452"), "UPC-A and its EAN-13 meet");
    }

    #[test]
    fn wrong_check_digits_and_non_gtins_are_refused() {
        assert_eq!(normalize_gtin("4006381333932"), None, "wrong check digit");
        assert_eq!(normalize_gtin("12345"), None);
        assert_eq!(normalize_gtin("SKU-12345678"), None);
        assert_eq!(normalize_gtin("0000000000000"), None);
    }
}
