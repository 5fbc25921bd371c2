//! Where the official twitter-text (JavaScript, 3.x: `extractUrlsWithIndices`) finds the links of a text, which
//! X counts as 23 whatever their length.
//!
//! Hand-written, after the twitter-text crate's own extractor, compared with the official library on the awkward
//! texts of tests/twitter_text_differential.rs, disagreed with it on many of them: it finds a link
//! right after a letter (`ahttps://...`), misses punycode domains (`xn--caf-dma.fr`), and does not keep only the
//! ASCII part of a scheme-less domain glued to other words (`çàwww.exemple.fr`). The rules below follow the
//! official extractor step by step, on the text already NFC-normalized by the caller:
//!
//! 1. A link starts after a character that is not a Latin letter, a digit, `@ ＠ $ # ＃` or a refused character,
//!    or at the very start; then an optional `http://` or `https://`;
//! 2. a domain: labels ending in `.` (any character but punctuation, spaces and direction marks, `-` and `_`
//!    inside), the last of them without `_`, then a top-level domain of the list (the twitter-text crate's) or a
//!    punycode one, followed by a character that is not `[0-9A-Za-z@+-]`; the longest such domain wins, as the
//!    official regular expression's greedy labels make it;
//! 3. an optional port, path and query, whose characters and endings are in [`TAIL`];
//! 4. the link is dropped when its domain is too long once punycode-encoded, when it has no scheme and follows
//!    `- _ . /`, or when it is a `t.co` link with a slug over 40 characters (a shorter one ends at its slug);
//! 5. a link without a scheme keeps only the ASCII domains inside its domain (`ＳＯＮＹwww.fnac.com` is
//!    `www.fnac.com`), each a link of its own, the last one with the path.
//!
//! Positions are in characters here and in UTF-16 code units in what [`url_entities`] returns, as the official
//! library counts.

use std::sync::LazyLock;

use regex::Regex;
use twitter_text::tlds::is_valid_tld_case_insensitive;

/// Latin letters with accents and combining marks that links may hold (twitter-text's `latinAccentChars`).
macro_rules! latin_accents {
    () => {
        r"\u{C0}-\u{D6}\u{D8}-\u{F6}\u{F8}-\u{FF}\u{100}-\u{24F}\u{253}\u{254}\u{256}\u{257}\u{259}\u{25B}\u{263}\u{268}\u{26F}\u{272}\u{289}\u{28B}\u{2BB}\u{300}-\u{36F}\u{1E00}-\u{1EFF}"
    };
}

/// The characters of a path (`validGeneralUrlPathChars`), Cyrillic included.
macro_rules! path_chars {
    () => {
        concat!(r"[a-zA-Z\u{400}-\u{4FF}0-9!*';:=+,.$/%#\[\]\-\u{2013}_~@|&", latin_accents!(), "]")
    };
}

/// Balanced parentheses in a path, one level deep (`validUrlBalancedParens`).
macro_rules! balanced_parens {
    () => {
        concat!(r"\((?:", path_chars!(), "+|(?:", path_chars!(), r"*\(", path_chars!(), r"+\)", path_chars!(), r"*))\)")
    };
}

/// What a link may have after its domain: a port, a path, a query that ends on a letter, digit or `- _ & = # /`.
/// Each step of the path (the official `validUrlPath`, whose inner alternation is not grouped once spliced in)
/// is characters ending on a letter, digit or `+ - = _ # /`, or balanced parentheses alone, or `@name/`.
/// Leftmost-first, like the official backtracking expression.
static TAIL: LazyLock<Regex> = LazyLock::new(|| {
    let ending = concat!(r"[+\-a-zA-Z\u{400}-\u{4FF}0-9=_#/", latin_accents!(), "]");
    let path = format!(
        "(?:(?:{chars}*(?:{parens}{chars}*)*{ending})|(?:{parens})|(?:@{chars}+/))",
        chars = path_chars!(),
        parens = balanced_parens!(),
    );
    let query = r"\?[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-zA-Z0-9\-_&=#/]";
    Regex::new(&format!(r"^(?::[0-9]+)?(/{path}*)?(?:{query})?")).expect("the link tail expression is valid")
});

/// A `t.co` link: its slug, and where it ends (an optional query, nothing more).
static TCO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[hH][tT][tT][pP][sS]?://[tT]\.[cC][oO]/([a-zA-Z0-9]+)(?:\?[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-zA-Z0-9\-_&=#/])?")
        .expect("the t.co expression is valid")
});

/// The longest top-level domain, in characters, of the list (`xn--vermgensberatung-pwb`).
const LONGEST_TLD: usize = 24;

/// The longest slug of a `t.co` link.
const MAX_TCO_SLUG: usize = 40;

/// The longest link, scheme included, in UTF-16 units.
const MAX_URL_LENGTH: usize = 4096;

/// The longest DNS label once punycode-encoded.
const MAX_LABEL_LENGTH: usize = 63;

/// A text as the extractor walks it: its characters, and where each starts in bytes and in UTF-16 units.
pub(super) struct Walk<'a> {
    text: &'a str,
    chars: Vec<char>,
    bytes: Vec<usize>,
    units: Vec<usize>,
    /// For each character, where the run of label characters (domain characters, `-`, `_`) starting there ends:
    /// a domain can only start where that run ends on a dot, which rules most positions out at once.
    label_run_end: Vec<usize>,
}

impl<'a> Walk<'a> {
    pub(super) fn new(text: &'a str) -> Walk<'a> {
        let (mut chars, mut bytes, mut units) = (Vec::new(), Vec::new(), Vec::new());
        let mut unit = 0;
        for (byte, character) in text.char_indices() {
            chars.push(character);
            bytes.push(byte);
            units.push(unit);
            unit += character.len_utf16();
        }
        bytes.push(text.len());
        units.push(unit);
        let mut label_run_end = vec![chars.len(); chars.len() + 1];
        for index in (0..chars.len()).rev() {
            let character = chars[index];
            if domain_character(character) || character == '-' || character == '_' {
                label_run_end[index] = label_run_end[index + 1];
            } else {
                label_run_end[index] = index;
            }
        }
        Walk { text, chars, bytes, units, label_run_end }
    }

    pub(super) fn chars(&self) -> &[char] {
        &self.chars
    }

    /// Where character `index` starts, in UTF-16 units (the text's length for its end).
    pub(super) fn unit(&self, index: usize) -> usize {
        self.units[index]
    }

    /// The UTF-16 length of characters `start..end`.
    fn units_between(&self, start: usize, end: usize) -> usize {
        self.units[end] - self.units[start]
    }
}

/// One match of the official expression: where its parts start and end, in characters.
struct Found {
    /// The character before the link, when one was consumed (none at the start of the text).
    before: Option<char>,
    start: usize,
    /// 1 when the link starts at the second UTF-16 unit of character `start` (see [`match_at`]), else 0.
    skip: usize,
    protocol_end: usize,
    domain_end: usize,
    path: bool,
    end: usize,
}

/// The links of `walk`'s text as the official library finds them: (start, length) in UTF-16 units, in order.
pub(super) fn url_entities(walk: &Walk) -> Vec<(usize, usize)> {
    let chars = walk.chars();
    let mut links = Vec::new();
    if !chars.contains(&'.') {
        return links;
    }
    // A domain holds a dot: no link starts after the last one.
    let last_dot = chars.iter().rposition(|&c| c == '.').unwrap_or(0);
    let mut from = 0;
    while let Some(found) = (from..last_dot.min(chars.len())).find_map(|at| match_at(walk, at)) {
        from = found.end;
        let url_units = walk.units_between(found.start, found.end) - found.skip;
        let protocol_units = walk.units_between(found.start, found.protocol_end);
        let domain = &chars[found.protocol_end..found.domain_end];
        let scheme_units = if protocol_units > 0 { protocol_units } else { "https://".len() };
        if !domain_is_valid(domain, found.skip == 1) || scheme_units + url_units > MAX_URL_LENGTH {
            continue;
        }
        if protocol_units > 0 {
            let url = &walk.text[walk.bytes[found.start]..walk.bytes[found.end]];
            let length = match TCO.captures(url) {
                Some(tco) if tco[1].len() > MAX_TCO_SLUG => continue,
                Some(tco) => tco[0].encode_utf16().count(),
                None => url_units,
            };
            links.push((walk.unit(found.start), length));
            continue;
        }
        if matches!(found.before, Some('-' | '_' | '.' | '/')) {
            continue;
        }
        let ascii = ascii_domains(domain);
        for &(start, end) in &ascii {
            let start = found.protocol_end + start;
            links.push((walk.unit(start), walk.units_between(start, found.protocol_end + end)));
        }
        // The last ASCII domain stands for the whole domain, and takes the path (the official `url.replace`).
        if let (Some(&(start, end)), true) = (ascii.last(), found.path) {
            let domain_units = walk.units_between(found.protocol_end, found.domain_end) - found.skip;
            let ascii_units = walk.units_between(found.protocol_end + start, found.protocol_end + end);
            if let Some(last) = links.last_mut() {
                last.1 = url_units - domain_units + ascii_units;
            }
        }
    }
    links
}

/// The official expression tried at character `at`: the preceding character consumed first, then the start of
/// the text.
///
/// The official expression reads UTF-16 units, so before a character outside the BMP (an emoji, a mathematical
/// letter) it first tries its first unit as the preceding character and a domain starting at its second unit:
/// `🇫-fnac.fr` holds the link `-fnac.fr` that way. Such a domain starts here at the whole character, one unit
/// early, which `skip` records.
fn match_at(walk: &Walk, at: usize) -> Option<Found> {
    let chars = walk.chars();
    let &before = chars.get(at)?;
    if before.len_utf16() == 2
        && let Some(found) = link_at(walk, at, Some(before))
    {
        return Some(Found { skip: 1, ..found });
    }
    if may_precede(before)
        && let Some(found) = link_at(walk, at + 1, Some(before))
    {
        return Some(found);
    }
    if at == 0 { link_at(walk, 0, None) } else { None }
}

/// Whether a link may start right after `character` (`validUrlPrecedingChars`).
fn may_precede(character: char) -> bool {
    !(character.is_ascii_alphanumeric()
        || matches!(character, '@' | '＠' | '$' | '#' | '＃' | '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}'))
}

/// A link starting at character `start`: with a scheme if one is there and a domain follows it, else without.
fn link_at(walk: &Walk, start: usize, before: Option<char>) -> Option<Found> {
    let chars = walk.chars();
    let protocol = protocol_length(&chars[start..]);
    let (protocol_end, domain_end) =
        match protocol.and_then(|length| domain_at(walk, start + length).map(|end| (start + length, end))) {
            Some(found) => found,
            None => (start, domain_at(walk, start)?),
        };
    let rest = &walk.text[walk.bytes[domain_end]..];
    let tail = TAIL.captures(rest).expect("the tail expression matches the empty string");
    let tail_end = walk.text.len() - rest.len() + tail.get(0).map_or(0, |m| m.end());
    let end = walk.bytes.partition_point(|&byte| byte < tail_end);
    Some(Found { before, start, skip: 0, protocol_end, domain_end, path: tail.get(1).is_some(), end })
}

/// The length of `http://` or `https://` (any case) at the start of `chars`.
fn protocol_length(chars: &[char]) -> Option<usize> {
    let lower = |index: usize| chars.get(index).map(|c| c.to_ascii_lowercase());
    if (0..4).any(|index| lower(index) != "http".chars().nth(index)) {
        return None;
    }
    let secure = usize::from(lower(4) == Some('s'));
    let separator = (4 + secure..7 + secure).all(|index| lower(index) == "://".chars().nth(index - 4 - secure));
    separator.then_some(7 + secure)
}

/// Whether `character` may be in a domain label (`validDomainChars`): not punctuation, a space, a refused
/// character or a direction mark.
fn domain_character(character: char) -> bool {
    !matches!(
        character,
        '!' | '\'' | '#' | '%' | '&' | '(' | ')' | '*' | '+' | ',' | '\\' | '-' | '.' | '/' | ':' | ';' | '<' | '='
            | '>' | '?' | '@' | '[' | ']' | '^' | '_' | '{' | '|' | '}' | '~' | '$'
            | '\u{9}'..='\u{D}' | ' ' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{180E}' | '\u{2000}'..='\u{200A}'
            | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
            | '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}'
            | '\u{202A}'..='\u{202E}' | '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{2066}'..='\u{2069}'
    )
}

/// The end of the domain starting at `start` (`validDomain`): as many subdomain labels as can be taken, then a
/// domain-name label and a top-level domain, giving back labels until one fits.
fn domain_at(walk: &Walk, start: usize) -> Option<usize> {
    let chars = walk.chars();
    if chars.get(walk.label_run_end[start]) != Some(&'.') {
        return None;
    }
    // Each label ending in a dot that may be a subdomain, with whether it may also be the domain name (no `_`).
    let mut labels = Vec::new();
    let mut position = start;
    loop {
        let end = walk.label_run_end[position];
        let length = end - position;
        let label = &chars[position..end];
        let ends_well = |c: Option<&char>| c.is_some_and(|&c| domain_character(c));
        if length == 0 || chars.get(end) != Some(&'.') || !ends_well(label.first()) || !ends_well(label.last()) {
            break;
        }
        labels.push((end + 1, !label.contains(&'_')));
        position = end + 1;
    }
    labels.iter().rev().find_map(|&(after, name)| if name { tld_at(chars, after) } else { None })
}

/// The end of the top-level domain at `start`, followed by a character that is not `[0-9A-Za-z@+-]` or by the end:
/// the longest of the list, else a punycode one (`xn--` and letters, digits, hyphens).
fn tld_at(chars: &[char], start: usize) -> Option<usize> {
    let bounded =
        |end: usize| chars.get(end).is_none_or(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '@' | '+' | '-')));
    // Top-level domains of the list are made of domain characters (punycode ones, with hyphens, come below).
    let run: String = chars[start..].iter().take(LONGEST_TLD).take_while(|&&c| domain_character(c)).collect();
    let mut ends: Vec<usize> = run.char_indices().map(|(byte, c)| byte + c.len_utf8()).collect();
    while let Some(byte_end) = ends.pop() {
        let end = start + ends.len() + 1;
        let candidate = &run[..byte_end];
        if bounded(end) && is_valid_tld_case_insensitive(candidate) && !newer_than_official(candidate) {
            return Some(end);
        }
    }
    let prefix: String = chars.get(start..start + 4)?.iter().collect();
    if !prefix.eq_ignore_ascii_case("xn--") {
        return None;
    }
    let run = chars[start + 4..].iter().take_while(|&&c| c.is_ascii_alphanumeric() || c == '-').count();
    (run > 0 && bounded(start + 4 + run)).then_some(start + 4 + run)
}

/// Whether `tld` is one of the top-level domains of the twitter-text crate's list that the official library 3.1.0
/// does not know (its list is otherwise the same, punycode forms aside, which both take): a domain ending in one
/// of them is no link for it, so its characters are counted.
fn newer_than_official(tld: &str) -> bool {
    const NEWER: [&str; 9] = ["amazon", "kids", "merck", "music", "spa", "web", "ישראל", "アマゾン", "亚马逊"];
    NEWER.iter().any(|newer| newer.eq_ignore_ascii_case(tld))
}

/// Whether a label character may be in an ASCII domain (`validAsciiDomain`): ASCII letters, digits, `-` and
/// accented Latin letters.
fn ascii_domain_character(character: char) -> bool {
    character.is_ascii_alphanumeric()
        || character == '-'
        || matches!(character, '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{24F}')
        || matches!(character, '\u{253}' | '\u{254}' | '\u{256}' | '\u{257}' | '\u{259}' | '\u{25B}' | '\u{263}')
        || matches!(character, '\u{268}' | '\u{26F}' | '\u{272}' | '\u{289}' | '\u{28B}' | '\u{2BB}')
        || matches!(character, '\u{300}'..='\u{36F}' | '\u{1E00}'..='\u{1EFF}')
}

/// The ASCII domains inside `domain`, left to right, as (start, end) in characters of `domain`.
fn ascii_domains(domain: &[char]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut start = 0;
    while start < domain.len() {
        match ascii_domain_at(domain, start) {
            Some(end) => {
                found.push((start, end));
                start = end;
            }
            None => start += 1,
        }
    }
    found
}

/// The end of an ASCII domain starting at `start` of `domain`: labels ending in dots, then a top-level domain.
fn ascii_domain_at(domain: &[char], start: usize) -> Option<usize> {
    let mut after_labels = Vec::new();
    let mut position = start;
    loop {
        let length = domain[position..].iter().take_while(|&&c| ascii_domain_character(c)).count();
        if length == 0 || domain.get(position + length) != Some(&'.') {
            break;
        }
        position += length + 1;
        after_labels.push(position);
    }
    after_labels.iter().rev().find_map(|&after| tld_at(domain, after))
}

/// Whether a domain passes the official `isValidUrl`: a punycode domain has an ASCII domain in it, and every
/// label is 1 to 63 characters once punycode-encoded. `split` is whether the domain starts at the second UTF-16
/// unit of its first character (see [`match_at`]): that label then begins with a lone low surrogate, which
/// punycode.js encodes as such.
fn domain_is_valid(domain: &[char], split: bool) -> bool {
    if !split && domain.starts_with(&['x', 'n', '-', '-']) && ascii_domains(domain).is_empty() {
        return false;
    }
    let mut points: Vec<u32> = domain.iter().map(|&c| u32::from(c)).collect();
    if split && let Some(first) = domain.first() {
        let mut units = [0; 2];
        points[0] = u32::from(first.encode_utf16(&mut units)[1]);
    }
    points.split(|&point| point == u32::from('.')).all(|label| {
        // punycode.js splits a label again at the ideographic and fullwidth full stops, and encodes each part
        // holding a character beyond U+007E; the length checked is the whole, dots included.
        let parts: Vec<usize> = label
            .split(|&point| matches!(point, 0x3002 | 0xFF0E | 0xFF61))
            .map(|part| {
                if part.iter().all(|&point| point <= 0x7E) { part.len() } else { "xn--".len() + punycode_length(part) }
            })
            .collect();
        let length = parts.iter().sum::<usize>() + parts.len() - 1;
        (1..=MAX_LABEL_LENGTH).contains(&length)
    })
}

/// The length of the punycode encoding (RFC 3492, without `xn--`) of `points`. Hand-written: only the length is
/// needed, for code points a Rust string cannot hold (the lone surrogate of [`domain_is_valid`]), which no
/// crate's encoder takes.
fn punycode_length(points: &[u32]) -> usize {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    let adapt = |delta: u32, points: u32, first: bool| {
        let mut delta = if first { delta / DAMP } else { delta / 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    };
    let basic = points.iter().filter(|&&point| point < 0x80).count();
    let mut length = basic + usize::from(basic > 0);
    let (mut code, mut delta, mut bias, mut handled) = (0x80_u32, 0_u32, 72_u32, basic);
    while handled < points.len() {
        let Some(&next) = points.iter().filter(|&&point| point >= code).min() else { break };
        // Domain labels are short: these sums stay far below u32::MAX.
        delta += (next - code) * (handled as u32 + 1);
        code = next;
        for &point in points {
            if point < code {
                delta += 1;
            }
            if point == code {
                let (mut q, mut k) = (delta, BASE);
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    length += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                length += 1;
                bias = adapt(delta, handled as u32 + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        code += 1;
    }
    length
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(text: &str) -> Vec<String> {
        let walk = Walk::new(text);
        let units: Vec<u16> = text.encode_utf16().collect();
        url_entities(&walk)
            .into_iter()
            .map(|(start, length)| String::from_utf16_lossy(&units[start..(start + length).min(units.len())]))
            .collect()
    }

    #[test]
    fn links_with_and_without_a_scheme_are_found_with_their_path() {
        assert_eq!(links("voir https://www.fnac.com/a1699?x=1. Merci"), ["https://www.fnac.com/a1699?x=1"]);
        assert_eq!(links("voir fnac.com/a1699, www.exemple.fr"), ["fnac.com/a1699", "www.exemple.fr"]);
        assert_eq!(links("HTTPS://WWW.EXEMPLE.FR"), ["HTTPS://WWW.EXEMPLE.FR"]);
    }

    #[test]
    fn a_link_right_after_a_letter_or_a_slash_is_not_one() {
        assert!(links("ahttps://www.darty.com/x.html").is_empty());
        assert!(links("ahttp://t.co/abc").is_empty());
        assert!(links("/www.exemple.fr").is_empty());
        // The second UTF-16 unit of a flag may begin a domain, as the official expression reads units.
        assert_eq!(links("exemple.com/🇫-fnac.fr"), ["exemple.com/", "-fnac.fr"]);
    }

    #[test]
    fn a_path_ends_before_punctuation_unless_parentheses_stand_alone() {
        assert_eq!(links("www.fnac.com/a1699:(reconditionné)"), ["www.fnac.com/a1699"]);
        assert_eq!(links("www.fnac.com/a=(x)"), ["www.fnac.com/a=(x)"]);
    }

    #[test]
    fn a_domain_too_long_once_punycode_encoded_is_no_link() {
        assert!(links(", ｗｗｗ．ｆｎａｃ．ｃｏｍباⅫéxn--caf-dma.fr:").is_empty());
        // Started at the second unit of 𝓟 (a lone surrogate for punycode.js), the first label is 64 long encoded;
        // with one word less, 61, and the ASCII domain in it is a link.
        assert!(links("#𝓟𝓻𝓸𝓶𝓸ヘッドホン↗️ＳＯＮＹＳＯＮＹ-exemple.com").is_empty());
        assert_eq!(links("#𝓟𝓻𝓸𝓶𝓸ヘッドホン↗️ＳＯＮＹ-exemple.com"), ["-exemple.com"]);
    }

    #[test]
    fn punycode_lengths_are_those_of_the_encoding() {
        for label in ["café", "bücher", "ｗｗｗ", "索尼降噪耳机", "𝓟𝓻𝓸𝓶𝓸ヘッドホン", "mañana-ü"]
        {
            let points: Vec<u32> = label.chars().map(u32::from).collect();
            let encoded = idna::punycode::encode_str(label).expect("encodable");
            assert_eq!(punycode_length(&points), encoded.len(), "{label}: {encoded}");
        }
    }

    #[test]
    fn only_the_ascii_part_of_a_domain_glued_to_other_words_is_a_link() {
        assert_eq!(links("ＳＯＮＹwww.exemple.fr"), ["www.exemple.fr"]);
        assert_eq!(links("çàwww.exemple.fr"), ["àwww.exemple.fr"]);
        assert_eq!(links("xn--caf-dma.fr"), ["xn--caf-dma.fr"]);
    }

    #[test]
    fn a_domain_needs_a_known_top_level_domain() {
        assert!(links("https://www.kiabi.example/p/1 a.b v2.0 1.5kg").is_empty());
        assert_eq!(links("exemple.fré"), ["exemple.fr"]);
        // Known to the twitter-text crate, not to the official library 3.1.0.
        assert!(links("hotel.spa www.exemple.music").is_empty());
    }

    #[test]
    fn a_tco_link_ends_at_its_slug() {
        assert_eq!(links("http://t.co/abc/def"), ["http://t.co/abc"]);
        assert!(links(&format!("https://t.co/{}", "a".repeat(41))).is_empty());
    }
}
