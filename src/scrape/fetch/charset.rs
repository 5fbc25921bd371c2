//! Turning a fetched body into text: finding its character encoding and decoding it without ever failing.
//!
//! French shops still serve windows-1252 and ISO-8859-1 pages, often with a missing or wrong charset, and a price
//! read as "19,99 â‚¬" is a lost offer. The order of evidence is the one browsers use (the HTML spec's encoding
//! sniffing): a byte order mark first (it beats even the header, as in browsers), then the Content-Type header's
//! `charset`, then a `<meta charset>` / `<meta http-equiv="Content-Type">` (or an XML declaration) early in the
//! page, then statistical detection by chardetng. encoding_rs does the decoding (WHATWG labels, so
//! `iso-8859-1` means windows-1252 and 0x80 is "€"); malformed bytes become U+FFFD, never a panic.

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use regex::bytes::Regex;

/// How far into the body a `<meta>` charset declaration is looked for. The HTML spec says 1024 bytes, but real
/// shop pages put scripts and styles before it, so we look a little further.
const META_SCAN_BYTES: usize = 4096;

/// How much of the body chardetng reads: enough to decide, bounded so a 10 MB page costs no more than a small one.
const DETECT_BYTES: usize = 64 * 1024;

/// `charset=` inside a `<meta>` tag: covers both `<meta charset="...">` and the `content="text/html;
/// charset=..."` of `<meta http-equiv>`.
static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.+\-]+)"#)
        .expect("the meta charset pattern is valid") // start-up invariant: a constant pattern
});

/// The `encoding` of an XML declaration, for feeds and sitemaps.
static XML_DECLARATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)\A\s*<\?xml\s[^>]*?encoding\s*=\s*["']([a-z0-9_:.+\-]+)["']"#)
        .expect("the XML declaration pattern is valid") // start-up invariant: a constant pattern
});

/// Decodes a body to text, returning the text and the name of the encoding used (encoding_rs's canonical name,
/// e.g. `"UTF-8"`, `"windows-1252"`).
pub fn decode_body(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    decode_with_hint(bytes.to_vec(), content_type, None)
}

/// [`decode_body`] on an owned body, reusing its buffer when it is already valid UTF-8, with the site's top-level
/// domain (e.g. `b"fr"`) as a hint for detection.
pub(crate) fn decode_with_hint(
    bytes: Vec<u8>,
    content_type: Option<&str>,
    tld: Option<&[u8]>,
) -> (String, &'static str) {
    if let Some((encoding, bom_length)) = Encoding::for_bom(&bytes) {
        return decode_as(encoding, &bytes[bom_length..]);
    }
    let declared_by_header = content_type.and_then(charset_parameter).and_then(Encoding::for_label);
    // The fast path: most pages say UTF-8 and are. A header claiming UTF-8 over bytes that are not is a common
    // misconfiguration, so then the page's own declaration and detection get their say.
    let bytes = match declared_by_header {
        Some(encoding) if encoding == UTF_8 => match String::from_utf8(bytes) {
            Ok(text) => return (text, UTF_8.name()),
            Err(invalid) => invalid.into_bytes(),
        },
        Some(encoding) => return decode_as(encoding, &bytes),
        None => bytes,
    };
    let encoding = declared_in_document(&bytes).unwrap_or_else(|| detect(&bytes, tld));
    if encoding == UTF_8 {
        return match String::from_utf8(bytes) {
            Ok(text) => (text, UTF_8.name()),
            Err(invalid) => decode_as(UTF_8, invalid.as_bytes()),
        };
    }
    decode_as(encoding, &bytes)
}

fn decode_as(encoding: &'static Encoding, bytes: &[u8]) -> (String, &'static str) {
    let (text, _had_errors) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding.name())
}

/// The value of the `charset` parameter of a Content-Type header, unquoted.
fn charset_parameter(content_type: &str) -> Option<&[u8]> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then_some(value.as_bytes())
    })
}

/// The encoding a page declares for itself near its start, as the HTML spec's prescan would find it.
fn declared_in_document(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_SCAN_BYTES)];
    let label =
        XML_DECLARATION.captures(head).or_else(|| META_CHARSET.captures(head)).and_then(|captures| captures.get(1))?;
    let encoding = Encoding::for_label(label.as_bytes())?;
    // A page read as ASCII-compatible bytes cannot really be UTF-16: the spec says such a declaration means UTF-8,
    // and x-user-defined means windows-1252.
    Some(match encoding {
        e if e == UTF_16LE || e == UTF_16BE => UTF_8,
        e if e.name() == "x-user-defined" => WINDOWS_1252,
        e => e,
    })
}

/// The best guess for a body that declares nothing. Valid UTF-8 is taken as UTF-8 at once.
fn detect(bytes: &[u8], tld: Option<&[u8]>) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let sample = &bytes[..bytes.len().min(DETECT_BYTES)];
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(sample, sample.len() == bytes.len());
    detector.guess(tld, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Crème brûlée à 9,99 €" in windows-1252.
    const CP1252_PRICE: &[u8] = b"Cr\xe8me br\xfbl\xe9e \xe0 9,99 \x80";

    #[test]
    fn a_utf8_header_over_valid_utf8_is_decoded_as_utf8() {
        let (text, encoding) = decode_body("Café à 5 €".as_bytes(), Some("text/html; charset=UTF-8"));
        assert_eq!(text, "Café à 5 €");
        assert_eq!(encoding, "UTF-8");
    }

    #[test]
    fn a_windows_1252_header_decodes_accents_and_the_euro_sign() {
        let (text, encoding) = decode_body(CP1252_PRICE, Some("text/html; charset=windows-1252"));
        assert_eq!(text, "Crème brûlée à 9,99 €");
        assert_eq!(encoding, "windows-1252");
    }

    #[test]
    fn an_iso_8859_1_header_is_read_as_windows_1252_so_0x80_is_the_euro_sign() {
        let (text, encoding) = decode_body(CP1252_PRICE, Some("text/html;charset=\"ISO-8859-1\""));
        assert_eq!(text, "Crème brûlée à 9,99 €");
        assert_eq!(encoding, "windows-1252");
    }

    #[test]
    fn a_byte_order_mark_wins_over_the_header() {
        let mut body = vec![0xEF, 0xBB, 0xBF];
        body.extend_from_slice("Prix : 12 €".as_bytes());
        let (text, encoding) = decode_body(&body, Some("text/html; charset=iso-8859-1"));
        assert_eq!(text, "Prix : 12 €");
        assert_eq!(encoding, "UTF-8");
    }

    #[test]
    fn a_utf16_byte_order_mark_is_followed() {
        let mut body = vec![0xFF, 0xFE];
        for unit in "Été".encode_utf16() {
            body.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode_body(&body, None), ("Été".to_string(), "UTF-16LE"));
    }

    #[test]
    fn a_meta_charset_is_used_when_the_header_has_none() {
        let mut body = b"<!doctype html><html><head><meta charset=\"iso-8859-15\"><title>".to_vec();
        body.extend_from_slice(b"Promo \xa4</title>"); // 0xA4 is the euro sign in ISO-8859-15
        let (text, encoding) = decode_body(&body, Some("text/html"));
        assert!(text.ends_with("Promo €</title>"), "{text}");
        assert_eq!(encoding, "ISO-8859-15");
    }

    #[test]
    fn a_meta_http_equiv_content_type_is_used() {
        let mut body =
            b"<html><head><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1252\">".to_vec();
        body.extend_from_slice(b"<p>\xe9t\xe9 \x80</p>");
        let (text, encoding) = decode_body(&body, None);
        assert!(text.ends_with("<p>été €</p>"), "{text}");
        assert_eq!(encoding, "windows-1252");
    }

    #[test]
    fn a_meta_declaring_utf16_on_ascii_bytes_means_utf8() {
        let body = "<meta charset=utf-16><p>déjà</p>".as_bytes();
        assert_eq!(decode_body(body, None).1, "UTF-8");
    }

    #[test]
    fn an_xml_declaration_gives_a_feed_its_encoding() {
        let mut body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><title>".to_vec();
        body.extend_from_slice(b"No\xebl</title></rss>");
        let (text, encoding) = decode_body(&body, Some("application/rss+xml"));
        assert!(text.contains("Noël"), "{text}");
        assert_eq!(encoding, "windows-1252");
    }

    #[test]
    fn a_meta_declaration_past_the_scan_window_is_ignored() {
        let mut body = vec![b' '; META_SCAN_BYTES];
        body.extend_from_slice(b"<meta charset=\"koi8-r\">caf\xc3\xa9");
        assert_eq!(decode_body(&body, None).1, "UTF-8");
    }

    #[test]
    fn an_undeclared_french_windows_1252_page_is_detected() {
        let body = b"<html><body><h1>Soldes d'\xe9t\xe9</h1><p>Le prix de la cr\xe8me est pass\xe9 \xe0 9,99 \x80 \
                     au lieu de 12,99 \x80. Livraison gratuite d\xe8s 50 \x80 d'achat, \xe0 d\xe9couvrir.</p></body>";
        let (text, encoding) = decode_body(body, None);
        assert_eq!(encoding, "windows-1252");
        assert!(text.contains("Soldes d'été"), "{text}");
        assert!(text.contains("9,99 €"), "{text}");
    }

    #[test]
    fn a_page_that_lies_about_being_utf8_falls_back_to_its_real_encoding() {
        let mut body = b"<meta charset=windows-1252><p>".to_vec();
        body.extend_from_slice(CP1252_PRICE);
        let (text, encoding) = decode_body(&body, Some("text/html; charset=utf-8"));
        assert!(text.ends_with("Crème brûlée à 9,99 €"), "{text}");
        assert_eq!(encoding, "windows-1252");
    }

    #[test]
    fn undecodable_bytes_become_replacement_characters_without_panicking() {
        let body = [0xC3, 0x28, 0xA0, 0xA1, 0xF0, 0x28, 0x8C, 0xBC, 0xFF];
        let (text, encoding) = decode_body(&body, Some("text/html; charset=utf-8"));
        assert!(!text.is_empty());
        assert!(!encoding.is_empty());
        let (text, _) = decode_body(&[0xFF, 0xFE, 0x00], None); // a UTF-16 BOM with an odd byte
        assert!(text.contains('\u{FFFD}'));
    }

    #[test]
    fn an_unknown_or_empty_charset_label_is_ignored() {
        assert_eq!(decode_body(b"plain", Some("text/html; charset=no-such-thing")).1, "UTF-8");
        assert_eq!(decode_body(b"plain", Some("text/html; charset=")).1, "UTF-8");
        assert_eq!(decode_body(b"", None), (String::new(), "UTF-8"));
    }
}
