//! Which emoji the official twitter-text (JavaScript, 3.x) counts as one, 2 weighted characters whatever their
//! length: those its emoji parser (twemoji-parser 11) knows, found left to right, the longest first.
//!
//! Hand-written, because the twitter-text crate's emoji rule disagrees with the official one on the inputs of
//! shop titles (tests/twitter_text_differential.rs): it counts a bare `©` or `®` as an emoji (2; officially a
//! character of weight 1), two glued flags `🇧🇪🇨🇭` as four characters (8; officially two flags, 4), and
//! sequences newer than Emoji 11 (`🧑🏾‍💻`, `🤝🏻`) as one emoji, where the official parser knows only their parts.
//!
//! The list of emoji is the `emojis` crate's (Unicode's), restricted to Emoji 11.0, the version twemoji-parser 11
//! was made from, fully qualified or with selectors (U+FE0F) left out (`1⃣`, `❤`), but never with a selector the
//! emoji does not have (`✨` U+FE0F is `✨` and a lone selector), and for `©`, `®` and `™`, which twemoji leaves
//! as text unless U+FE0F asks for the emoji presentation.

use emojis::EmojiVersion;

/// The newest emoji the official parser knows.
const NEWEST_KNOWN: EmojiVersion = EmojiVersion::new(11, 0);

/// The symbols twemoji leaves as text unless U+FE0F follows them.
const TEXT_SYMBOLS: [char; 3] = ['\u{A9}', '\u{AE}', '\u{2122}'];

/// The longest emoji sequence, in characters (a kiss with skin tones and selectors), with room to spare.
const LONGEST_SEQUENCE: usize = 12;

/// The emoji of `chars`, left to right, as (start, end) character indices.
pub(super) fn emoji_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        match emoji_at(chars, start) {
            Some(end) => {
                spans.push((start, end));
                start = end;
            }
            None => start += 1,
        }
    }
    spans
}

/// Whether `character` can carry on an emoji sequence: a presentation selector, the keycap mark, a skin tone, a
/// tag (subdivision flags) or a joiner.
fn continues_sequence(character: char) -> bool {
    matches!(character, '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' | '\u{200D}')
        || matches!(character, '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}')
}

fn regional_indicator(character: char) -> bool {
    matches!(character, '\u{1F1E6}'..='\u{1F1FF}')
}

/// The end of the longest known emoji starting at `start`.
fn emoji_at(chars: &[char], start: usize) -> Option<usize> {
    let first = chars[start];
    // Letters, most punctuation and the scripts of titles never begin an emoji; keycaps begin with `# * 0-9`.
    let never_emoji = match first {
        '#' | '*' | '0'..='9' | '\u{A9}' | '\u{AE}' => false,
        // Latin, Greek, Cyrillic, Hebrew, Arabic, Indic... below U+2000; CJK ideographs, Hangul, fullwidth forms.
        '\u{0}'..='\u{1FFF}' | '\u{3400}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{FF00}'..='\u{FFEF}' => true,
        _ => false,
    };
    if never_emoji {
        return None;
    }
    // The longest candidate: the first character, then what may carry a sequence on (after a joiner, anything),
    // or the second half of a flag.
    let mut end = start + 1;
    while end < chars.len() && end - start < LONGEST_SEQUENCE {
        let next = chars[end];
        if next == '\u{200D}' && end + 1 < chars.len() {
            end += 2;
        } else if continues_sequence(next)
            || (end == start + 1 && regional_indicator(first) && regional_indicator(next))
        {
            end += 1;
        } else {
            break;
        }
    }
    let mut candidate: String = chars[start..end].iter().collect();
    for stop in (start + 1..=end).rev() {
        if stop < end {
            candidate.pop();
        }
        let known = emojis::get(&candidate).is_some_and(|emoji| {
            emoji.emoji_version() <= NEWEST_KNOWN
                && qualified_enough(&candidate, emoji.as_str())
                && !(stop == start + 1 && TEXT_SYMBOLS.contains(&first))
        });
        if known {
            return Some(stop);
        }
    }
    None
}

/// Whether `candidate` is the fully-qualified emoji `qualified` or that emoji with selectors (U+FE0F) left out
/// (`1⃣`, `❤`), never with one it does not have (`✨` then U+FE0F is the emoji and a lone selector), except after
/// the emoji that Unicode gives a standardized emoji variation sequence although they are shown as emoji anyway
/// ([`takes_selector`]).
fn qualified_enough(candidate: &str, qualified: &str) -> bool {
    let selectors = |text: &str| text.matches('\u{FE0F}').count();
    let bare = |text: &str| text.replace('\u{FE0F}', "");
    let mut characters = candidate.chars();
    let with_selector = matches!((characters.next(), characters.next(), characters.next()),
        (Some(first), Some('\u{FE0F}'), None) if takes_selector(first) && qualified == first.to_string());
    candidate == qualified
        || with_selector
        || (selectors(candidate) < selectors(qualified) && bare(candidate) == bare(qualified))
}

/// The emoji shown as emoji by default (no U+FE0F in their fully-qualified form) that have a standardized emoji
/// variation sequence (Unicode's emoji-variation-sequences.txt), which twemoji-parser 11 takes whole with their
/// U+FE0F: `⚡️` is one emoji, where `✨️` (no such sequence) is `✨` and a lone selector. The list was checked
/// character by character against the official parser (every U+2000 to U+2BFF, U+3000 to U+33FF and U+1F000 to
/// U+1FAFF followed by U+FE0F).
fn takes_selector(character: char) -> bool {
    matches!(
        character,
        '\u{231A}'..='\u{231B}'
            | '\u{25FD}'..='\u{25FE}'
            | '\u{2614}'..='\u{2615}'
            | '\u{2648}'..='\u{2653}'
            | '\u{267F}'
            | '\u{2693}'
            | '\u{26A1}'
            | '\u{26AA}'..='\u{26AB}'
            | '\u{26BD}'..='\u{26BE}'
            | '\u{26C4}'..='\u{26C5}'
            | '\u{26D4}'
            | '\u{26EA}'
            | '\u{26F2}'..='\u{26F3}'
            | '\u{26F5}'
            | '\u{26FA}'
            | '\u{26FD}'
            | '\u{2757}'
            | '\u{2B1B}'..='\u{2B1C}'
            | '\u{2B50}'
            | '\u{2B55}'
            | '\u{1F004}'
            | '\u{1F21A}'
            | '\u{1F22F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        emoji_spans(&chars).into_iter().map(|(start, end)| chars[start..end].iter().collect()).collect()
    }

    #[test]
    fn a_known_sequence_is_one_emoji() {
        assert_eq!(spans("a👨‍👩‍👧‍👦b🔥"), ["👨‍👩‍👧‍👦", "🔥"]);
        assert_eq!(spans("🇧🇪🇨🇭🇫"), ["🇧🇪", "🇨🇭"]);
        assert_eq!(spans("1️⃣ ©️"), ["1️⃣", "©️"]);
    }

    #[test]
    fn a_bare_symbol_or_a_sequence_newer_than_emoji_11_is_not_one_emoji() {
        assert!(spans("© ® 1 #").is_empty());
        assert_eq!(spans("✨\u{FE0F} 3\u{FE0F}"), ["✨"]);
        assert_eq!(spans("⚡\u{FE0F}⌚\u{FE0F}"), ["⚡\u{FE0F}", "⌚\u{FE0F}"]);
        assert_eq!(spans("🧑🏾‍💻"), ["🧑🏾", "💻"]);
    }
}
