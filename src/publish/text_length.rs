//! How long a post is for X: the weighted length of twitter-text v3 (most scripts count 2 per character, Latin
//! and common punctuation 1, an emoji sequence 2, every URL 23), and whether a text may be posted at all.
//!
//! It exists because X rejects a post over 280 weighted characters and the weights are not what `str::len` or a
//! character count says (`€` and U+202F, both in every French price, count 2). The counting is the `twitter-text`
//! crate's, with its External parser backend: its default (Nom) backend does not count scheme-less URLs such as
//! `example.com/x` as 23, which the reference implementations do.

use twitter_text::{ParserBackend, TwitterTextParseResults, parse_with_parser_backend};
use twitter_text_config::Configuration;

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
    let results: TwitterTextParseResults =
        parse_with_parser_backend(text, rules.configuration(), true, ParserBackend::External);
    // twitter-text reports lengths as i32 and never negative ones; clamping keeps that an invariant of ours too.
    let count = |value: i32| usize::try_from(value).unwrap_or(0);
    PostMeasure {
        weighted_length: count(results.weighted_length),
        valid: results.is_valid,
        permillage: count(results.permillage),
        display_range: (count(results.display_text_range.start()), count(results.display_text_range.end())),
        valid_range: (count(results.valid_text_range.start()), count(results.valid_text_range.end())),
    }
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
        // The crate's default (Nom) backend counts these three by their characters (18, 13 and 7).
        assert_eq!(weighted_length("www.fnac.com/a1699"), 23);
        assert_eq!(weighted_length("amzn.eu/d/abc"), 23);
        assert_eq!(weighted_length("fnac.fr"), 23);
        assert_eq!(weighted_length("voir example.com/produit-123"), 5 + 23);
    }

    #[test]
    fn an_emoji_sequence_counts_two() {
        assert_eq!(weighted_length("👨‍👩‍👧‍👦"), 2);
        assert_eq!(weighted_length("🔥"), 2);
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
