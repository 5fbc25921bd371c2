//! How long a post is for X: the weighted length of twitter-text v3 (most scripts count 2 per character, Latin
//! and common punctuation 1, an emoji sequence 2, every URL 23), and whether a text may be posted at all.
//!
//! It exists because X rejects a post over 280 weighted characters and the weights are not what `str::len` or a
//! character count says (`€` and U+202F, both in every French price, count 2).
//!
//! The count is the official twitter-text's (`parseTweet` of the JavaScript library X publishes, 3.x), step by
//! step: the text is NFC-normalized; links are found as its extractor finds them ([`urls`]); emoji as its emoji
//! parser finds them ([`emoji`]); every other character weighs what the configuration's ranges say, read per
//! UTF-16 unit as the official library reads them. The weights, ranges and limits are the
//! `twitter_text_config` crate's; the counting is not the `twitter-text` crate's, which disagreed with the
//! official library on thousands of awkward texts (links glued to words, punycode domains, `©`, glued flags,
//! emoji newer than its parser's): tests/twitter_text_differential.rs compares the two on 12,000 of them.

mod emoji;
mod urls;

use std::borrow::Cow;
use twitter_text_config::Configuration;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The most weighted characters X accepts in one post.
pub const MAX_WEIGHTED_LENGTH: usize = 280;

/// Which twitter-text configuration weighs the characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountingRules {
    /// Configuration v2: weighted ranges, but each code point of an emoji counts on its own.
    V2,
    /// Configuration v3, what X applies today: an emoji sequence counts 2 whatever its length.
    V3,
}

impl CountingRules {
    fn configuration(self) -> &'static Configuration {
        match self {
            CountingRules::V2 => twitter_text_config::config_v2(),
            CountingRules::V3 => twitter_text_config::config_v3(),
        }
    }
}

/// What twitter-text says of a text. Ranges are inclusive and counted in UTF-16 code units, as X reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostMeasure {
    /// The length X compares with its limit.
    pub weighted_length: usize,
    /// Whether X would accept the text: not empty, within the limit, no character X refuses (U+FFFE, U+FEFF,
    /// U+FFFF).
    pub valid: bool,
    /// The weighted length in thousandths of the limit.
    pub permillage: usize,
    /// The first and last UTF-16 unit of the text as displayed.
    pub display_range: (usize, usize),
    /// The first and last UTF-16 unit that fits within the limit.
    pub valid_range: (usize, usize),
}

/// Measures `text` under `rules`, counting every URL as the configuration's transformed URL length (23).
pub fn measure(text: &str, rules: CountingRules) -> PostMeasure {
    let config = rules.configuration();
    let normalized: Cow<str> = match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfc().collect()),
    };
    let walk = urls::Walk::new(&normalized);
    // Links and emoji as (first UTF-16 unit, length in units), in order, as `parseTweet` looks them up.
    let links = urls::url_entities(&walk);
    let emoji: Vec<(usize, usize)> = if config.emoji_parsing_enabled {
        emoji::emoji_spans(walk.chars())
            .into_iter()
            .map(|(start, end)| (walk.unit(start), walk.unit(end) - walk.unit(start)))
            .collect()
    } else {
        Vec::new()
    };
    let (mut links, mut emoji) = (links.iter().peekable(), emoji.iter().peekable());
    let units: Vec<u16> = normalized.encode_utf16().collect();
    let scaled_limit = weight(config.max_weighted_tweet_length) * weight(config.scale);
    let (mut scaled_length, mut valid, mut valid_end) = (0, true, 0);
    let mut index = 0;
    while index < units.len() {
        // Entities the walk has gone past (inside a link, or overlapping one) are never looked up again.
        let starting_here = |entities: &mut std::iter::Peekable<std::slice::Iter<(usize, usize)>>| {
            while entities.next_if(|&&(start, _)| start < index).is_some() {}
            entities.next_if(|&&(start, _)| start == index).map(|&(_, length)| length)
        };
        if let Some(length) = starting_here(&mut links) {
            scaled_length += weight(config.transformed_url_length) * weight(config.scale);
            index += length - 1;
        } else if let Some(length) = starting_here(&mut emoji) {
            scaled_length += weight(config.default_weight);
            index += length - 1;
        } else {
            // The official library weighs the second unit of a surrogate pair, which no range holds.
            let low_follows = units.get(index + 1).is_some_and(|next| (0xDC00..0xE000).contains(next));
            if (0xD800..0xDC00).contains(&units[index]) && low_follows {
                index += 1;
            }
            scaled_length += unit_weight(units[index], config);
        }
        // As officially, only the last unit of a link or an emoji is checked for refused characters.
        valid = valid && !matches!(units[index], 0xFFFE | 0xFEFF | 0xFFFF);
        if valid && scaled_length <= scaled_limit {
            valid_end = index;
        }
        index += 1;
    }
    let weighted_length = scaled_length / weight(config.scale);
    let limit = weight(config.max_weighted_tweet_length);
    let text_units = text.encode_utf16().count();
    PostMeasure {
        weighted_length,
        valid: valid && weighted_length > 0 && weighted_length <= limit,
        permillage: weighted_length * 1000 / limit,
        display_range: (0, text_units.saturating_sub(1)),
        valid_range: (0, (valid_end + text_units).saturating_sub(units.len())),
    }
}

/// A configuration number as a count (they are never negative).
fn weight(value: i32) -> usize {
    usize::try_from(value).unwrap_or(0)
}

/// The scaled weight of one UTF-16 unit: its range's, or the default.
fn unit_weight(unit: u16, config: &Configuration) -> usize {
    let code = i32::from(unit);
    weight(config.ranges.iter().find(|range| range.contains(code)).map_or(config.default_weight, |range| range.weight))
}

/// The weighted length of `text` by X's current (v3) rules.
pub fn weighted_length(text: &str) -> usize {
    measure(text, CountingRules::V3).weighted_length
}

/// Whether X would accept `text` as a post: not empty, at most [`MAX_WEIGHTED_LENGTH`] weighted characters, and
/// no character X refuses.
pub fn is_valid_post(text: &str) -> bool {
    let measure = measure(text, CountingRules::V3);
    measure.valid && measure.weighted_length <= MAX_WEIGHTED_LENGTH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_french_price_counts_its_euro_sign_and_narrow_space_twice() {
        // "1 299,00 €" with U+202F and U+00A0: eight ASCII characters, U+00A0 counts 1, U+202F and € count 2.
        assert_eq!(weighted_length("1\u{202F}299,00\u{A0}€"), 12);
    }

    #[test]
    fn every_url_counts_twenty_three_even_without_a_scheme() {
        assert_eq!(weighted_length("https://www.example.com/a/very/long/path/to/a/product?id=1234567890"), 23);
        assert_eq!(weighted_length("www.fnac.com/a1699"), 23);
        assert_eq!(weighted_length("amzn.eu/d/abc"), 23);
        assert_eq!(weighted_length("fnac.fr"), 23);
        assert_eq!(weighted_length("voir example.com/produit-123"), 5 + 23);
    }

    #[test]
    fn an_emoji_sequence_counts_two() {
        assert_eq!(weighted_length("👨‍👩‍👧‍👦"), 2);
        assert_eq!(weighted_length("🔥"), 2);
        assert_eq!(weighted_length("🇧🇪🇨🇭"), 4);
    }

    #[test]
    fn the_inputs_of_issue_16_count_as_the_official_library_counts_them() {
        // Measured with twitter-text 3.1.0 (npm): a bare © weighs 1, an e and its combining accent are one é once
        // normalized, a link glued after a letter is no link, and only the ASCII part of a glued domain is one.
        assert_eq!(weighted_length("©"), 1);
        assert_eq!(weighted_length("e\u{301}"), 1);
        assert_eq!(weighted_length("ahttp://t.co/abc"), 16);
        assert_eq!(weighted_length("çàwww.exemple.fr"), 24);
        assert_eq!(weighted_length("🧑🏾\u{200d}💻"), 5);
        assert_eq!(weighted_length(&format!("باⅫé{}www.exemple.fr", "a".repeat(40))), 27);
    }

    #[test]
    fn a_post_over_the_limit_or_empty_is_not_valid() {
        assert!(is_valid_post(&"a".repeat(280)));
        assert!(!is_valid_post(&"a".repeat(281)));
        assert!(!is_valid_post(""));
        assert!(!is_valid_post(&"の".repeat(141)));
    }

    #[test]
    fn a_character_x_refuses_makes_a_post_invalid() {
        assert!(!is_valid_post("bonjour\u{FFFF}"));
    }
}
