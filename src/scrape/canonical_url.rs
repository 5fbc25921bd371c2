//! The canonical form of an offer's URL, which is half of an offer's identity (shop, canonical URL).
//!
//! The same product page is reached through many spellings: with campaign tags from a newsletter, with a click id
//! from an ad, with its parameters in another order, with a `#reviews` fragment, an upper-case host or `:443`.
//! Each spelling must give the same canonical URL, or one product becomes several offers and its price history is
//! split; while parameters that pick another product (`id=`, `variant=`, `color=`) must stay, or two products merge.
//!
//! Hand-written because no crate does this job: `url` parses and serialises per WHATWG (lower-case special hosts,
//! IDNA, default ports, tabs and newlines dropped) but keeps percent-encoding as given and knows nothing of tracking
//! parameters or query order; crates that strip trackers embed the ClearURLs rules, whose LGPL licence we do not
//! want in the binary. So parsing is left to `url` and `percent-encoding`, and only the canonical rules are here:
//!
//! - scheme and host in lower case (`url` does it for http/https; opaque hosts of other schemes are lowered here);
//! - no fragment, no default port, no empty query;
//! - path: percent-encoded unreserved characters (RFC 3986 §2.3) decoded, other escapes kept with upper-case hex,
//!   and every character a URI path may not hold literally percent-encoded. Reserved characters (`,` `;` `=`...)
//!   are left as written, escaped or not, because in a path they may delimit (RFC 3986 §6.2.2.2);
//! - query: read as `application/x-www-form-urlencoded` (how shop servers read it, so `%20`, `+` and a raw space
//!   are one thing), tracking parameters removed, the rest sorted by name (stable, so repeated names keep the order
//!   of their values) and written back with only unreserved characters literal, like w3lib's `canonicalize_url`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use url::Url;

/// A URL that cannot be canonicalised because it is not an absolute URL.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalUrlError {
    /// The text does not parse as an absolute URL (relative references have no shop to belong to).
    #[error("cannot read {input:?} as an absolute URL")]
    Parse {
        input: String,
        #[source]
        source: url::ParseError,
    },
}

/// How a tracking rule recognises a parameter name (compared ASCII case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamePattern {
    /// The name is exactly this.
    Exact(&'static str),
    /// The name starts with this and has at least one more character.
    Prefix(&'static str),
}

impl NamePattern {
    /// Whether `name` (already percent-decoded) is matched, ignoring ASCII case.
    pub fn matches(&self, name: &str) -> bool {
        match *self {
            NamePattern::Exact(exact) => name.eq_ignore_ascii_case(exact),
            NamePattern::Prefix(prefix) => {
                name.len() > prefix.len()
                    && name.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
            }
        }
    }

    /// A parameter name this pattern matches, for tests and reports.
    pub fn example(&self) -> String {
        match *self {
            NamePattern::Exact(exact) => exact.to_string(),
            NamePattern::Prefix(prefix) => format!("{prefix}source"),
        }
    }
}

/// A query parameter that tracks a visit (campaign, click, mail or affiliate) and never selects a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackingParameter {
    /// Which names the rule removes.
    pub pattern: NamePattern,
    /// Who sets it and why it is safe to drop for identity.
    pub why: &'static str,
}

const fn exact(name: &'static str, why: &'static str) -> TrackingParameter {
    TrackingParameter { pattern: NamePattern::Exact(name), why }
}

const fn prefix(start: &'static str, why: &'static str) -> TrackingParameter {
    TrackingParameter { pattern: NamePattern::Prefix(start), why }
}

/// Every tracking parameter removed from offer URLs, written from the vendors' documentation (not copied from
/// ClearURLs, whose list is only test input here). Only names that no shop uses to pick a product belong here:
/// generic names such as `ref`, `tag`, `source` or `mc` are left alone even though some trackers use them.
pub const TRACKING_PARAMETERS: &[TrackingParameter] = &[
    // Campaign tagging read by analytics tools from the landing URL.
    prefix("utm_", "Google Analytics campaign tags (utm_source, utm_medium, utm_campaign, utm_id...)"),
    prefix("mtm_", "Matomo campaign tags (mtm_campaign, mtm_source...)"),
    // Piwik names one by one: a `pk_` prefix could catch a shop's own primary-key parameter.
    exact("pk_campaign", "Piwik / Matomo legacy campaign name"),
    exact("pk_kwd", "Piwik / Matomo legacy campaign keyword"),
    exact("pk_keyword", "Piwik / Matomo legacy campaign keyword"),
    exact("pk_source", "Piwik / Matomo legacy campaign source"),
    exact("pk_medium", "Piwik / Matomo legacy campaign medium"),
    exact("pk_content", "Piwik / Matomo legacy campaign content"),
    exact("pk_cid", "Piwik / Matomo legacy campaign id"),
    prefix("ga_", "Google Analytics campaign tags in the ga_ spelling (ga_source, ga_campaign...)"),
    prefix("itm_", "internal-promotion campaign tags (itm_source, itm_medium, itm_campaign)"),
    prefix("hsa_", "HubSpot ads tracking (hsa_acc, hsa_cam, hsa_grp, hsa_ad, hsa_kw...)"),
    exact("_ga", "Google Analytics cross-domain client id"),
    exact("_gl", "Google cross-domain linker (gtag)"),
    exact("gclid", "Google Ads click id"),
    exact("gclsrc", "Google Ads click source"),
    exact("gad_source", "Google Ads source marker added to ad clicks"),
    exact("gad_campaignid", "Google Ads campaign id added to ad clicks"),
    exact("dclid", "Google Display & Video 360 / Campaign Manager click id"),
    exact("gbraid", "Google Ads app-to-web click id (iOS)"),
    exact("wbraid", "Google Ads web-to-app click id (iOS)"),
    exact("srsltid", "Google Merchant Center auto-tagging on free product listings"),
    exact("gs_l", "Google search session data"),
    exact("fbclid", "Facebook click id"),
    exact("fb_action_ids", "Facebook share action data"),
    exact("fb_action_types", "Facebook share action data"),
    exact("fb_source", "Facebook share source"),
    exact("fb_ref", "Facebook share referrer"),
    exact("action_object_map", "Facebook share action data"),
    exact("action_type_map", "Facebook share action data"),
    exact("action_ref_map", "Facebook share action data"),
    exact("igshid", "Instagram share id"),
    exact("igsh", "Instagram share id (newer spelling)"),
    exact("msclkid", "Microsoft Advertising (Bing) click id"),
    exact("yclid", "Yandex Direct click id"),
    exact("ysclid", "Yandex search click id"),
    exact("_openstat", "Yandex Openstat campaign tag"),
    exact("ttclid", "TikTok ads click id"),
    exact("twclid", "X / Twitter ads click id"),
    exact("__twitter_impression", "X / Twitter impression marker"),
    exact("li_fat_id", "LinkedIn ads first-party click id"),
    exact("trk", "LinkedIn tracking tag"),
    exact("epik", "Pinterest ads click id"),
    exact("sccid", "Snapchat ads click id (ScCid)"),
    exact("rdt_cid", "Reddit ads click id"),
    exact("mc_cid", "Mailchimp campaign id"),
    exact("mc_eid", "Mailchimp subscriber id"),
    exact("mc_tc", "Mailchimp tracking code"),
    exact("_hsenc", "HubSpot e-mail tracking"),
    exact("_hsmi", "HubSpot e-mail message id"),
    exact("__hsfp", "HubSpot browser fingerprint"),
    exact("__hssc", "HubSpot session cookie carried in the URL"),
    exact("__hstc", "HubSpot visitor cookie carried in the URL"),
    exact("hsctatracking", "HubSpot call-to-action tracking"),
    exact("mkt_tok", "Marketo e-mail click token"),
    exact("_kx", "Klaviyo e-mail click token"),
    exact("__s", "Drip e-mail subscriber id"),
    exact("ml_subscriber", "MailerLite subscriber id"),
    exact("ml_subscriber_hash", "MailerLite subscriber hash"),
    exact("vero_id", "Vero e-mail subscriber id"),
    exact("vero_conv", "Vero e-mail conversion tag"),
    exact("oly_anon_id", "Omeda anonymous reader id"),
    exact("oly_enc_id", "Omeda encrypted reader id"),
    exact("wickedid", "Wicked Reports click id"),
    exact("s_cid", "Adobe Analytics campaign id"),
    exact("s_kwcid", "Adobe Advertising keyword id"),
    exact("ef_id", "Adobe Advertising click id"),
    exact("cmpid", "AT Internet (Piano) campaign id, common on French shops"),
    exact("xtor", "AT Internet (Piano) campaign tag, common on French shops"),
    exact("wt_mc", "Webtrends campaign tag"),
    exact("wt_zmc", "Webtrends campaign tag"),
    exact("echobox", "Echobox social-share timestamp"),
    exact("tracking_source", "generic tracking-source tag"),
    exact("spm", "Alibaba / AliExpress click-position tracking"),
    exact("ceneo_spo", "Ceneo price-comparison referral tag"),
    exact("awc", "Awin affiliate click id"),
    exact("zanpid", "Zanox (now Awin) affiliate click id"),
    exact("ranmid", "Rakuten Advertising affiliate merchant id"),
    exact("raneaid", "Rakuten Advertising affiliate id"),
    exact("ransiteid", "Rakuten Advertising affiliate site id"),
    exact("irclickid", "Impact affiliate click id"),
    exact("irgwc", "Impact affiliate marker"),
    exact("cjevent", "CJ (Commission Junction) affiliate click id"),
    exact("sscid", "ShareASale affiliate click id"),
    exact("_branch_match_id", "Branch deep-link match id"),
    exact("_branch_referrer", "Branch deep-link referrer"),
    prefix("pf_rd_", "Amazon page-frame referral data (pf_rd_p, pf_rd_r...)"),
    prefix("pd_rd_", "Amazon product-detail referral data (pd_rd_w, pd_rd_wg, pd_rd_r...)"),
    exact("_pos", "Shopify search result position"),
    exact("_sid", "Shopify search session id"),
    exact("_ss", "Shopify search source"),
];

/// Whether a query parameter named `name` (percent-decoded) only tracks the visit, so it is dropped from the
/// canonical URL. Case is ignored, and so are `?` glued in front of the name (`?utm_source` from a link built as
/// `url + "?utm_source=..."` on a URL that already ended with `?`).
pub fn is_tracking_parameter(name: &str) -> bool {
    let name = name.trim_start_matches('?');
    TRACKING_PARAMETERS.iter().any(|parameter| parameter.pattern.matches(name))
}

/// The canonical form of `url`: equal for every spelling of the same page, different when a parameter that may
/// select a product differs. Idempotent: canonicalising a canonical URL gives it back unchanged.
pub fn canonicalize(url: &Url) -> Url {
    let mut canonical = url.clone();
    canonical.set_fragment(None);
    lower_opaque_host(&mut canonical);
    if !canonical.cannot_be_a_base() {
        let path = normalise_path(canonical.path());
        canonical.set_path(&path);
    }
    let query = canonical.query().map(canonical_query).filter(|query| !query.is_empty());
    canonical.set_query(query.as_deref());
    canonical
}

/// Parses `raw` as an absolute URL and returns its canonical form (see [`canonicalize`]). Surrounding spaces,
/// tabs and newlines are ignored, as browsers do.
pub fn canonicalize_str(raw: &str) -> Result<String, CanonicalUrlError> {
    let url = Url::parse(raw).map_err(|source| CanonicalUrlError::Parse { input: raw.to_string(), source })?;
    Ok(canonicalize(&url).into())
}

/// `url` lowers and IDNA-encodes the hosts of special schemes (http, https, ftp, ws) itself, but keeps the host of
/// any other scheme as written; host names are case-insensitive (RFC 3986 §3.2.2) whatever the scheme.
fn lower_opaque_host(url: &mut Url) {
    let Some(host) = url.host_str() else { return };
    let lowered = lower_outside_escapes(host);
    if lowered != host {
        // A host the parser accepted stays acceptable once lowered; if not, the URL is kept as it was.
        let _ = url.set_host(Some(&lowered));
    }
}

/// Lower-cases ASCII letters except the hex digits of `%XX` escapes, which stay upper-case like everywhere else.
fn lower_outside_escapes(text: &str) -> String {
    let mut lowered = String::with_capacity(text.len());
    let mut escape_digits_left = 0;
    for c in text.chars() {
        if escape_digits_left > 0 {
            escape_digits_left -= 1;
            lowered.push(c.to_ascii_uppercase());
        } else {
            if c == '%' {
                escape_digits_left = 2;
            }
            lowered.push(c.to_ascii_lowercase());
        }
    }
    lowered
}

/// Unreserved characters (RFC 3986 §2.3): the only ones whose escaped and literal forms are always equivalent.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Characters a path may hold literally (RFC 3986 `pchar` plus `/`): unreserved, sub-delims, `:` and `@`.
fn is_literal_in_path(byte: u8) -> bool {
    is_unreserved(byte)
        || matches!(byte, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';')
        || matches!(byte, b'=' | b':' | b'@' | b'/')
}

fn push_escaped(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0x0F)]));
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|digit| u8::try_from(digit).ok())
}

/// Normalises the percent-encoding of a path: `%7E` → `~`, `%c3%a9` → `%C3%A9`, `^` → `%5E`, a stray `%` → `%25`.
/// Escapes of reserved characters (`%2F`, `%3F`, `%23`, `%2C`...) stay escaped: decoding them could change which
/// segment or parameter a server sees.
fn normalise_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut normalised = String::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let escaped = if byte == b'%' {
            bytes.get(index + 1).copied().and_then(hex_value).zip(bytes.get(index + 2).copied().and_then(hex_value))
        } else {
            None
        };
        match escaped {
            Some((high, low)) => {
                let decoded = (high << 4) | low;
                if is_unreserved(decoded) {
                    normalised.push(char::from(decoded));
                } else {
                    push_escaped(&mut normalised, decoded);
                }
                index += 3;
            }
            None => {
                if is_literal_in_path(byte) {
                    normalised.push(char::from(byte));
                } else {
                    push_escaped(&mut normalised, byte);
                }
                index += 1;
            }
        }
    }
    normalised
}

/// Bytes written with an escape in a canonical query component: all but the unreserved ones (a space is `+`).
const QUERY_COMPONENT_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Decodes a form-encoded component to raw bytes. Bytes are kept rather than text so that a Latin-1 `%E9` survives
/// as `%E9` instead of becoming U+FFFD, which would merge distinct URLs.
fn decode_form_component(component: &str) -> Vec<u8> {
    let with_spaces = component.replace('+', " ");
    percent_decode_str(&with_spaces).collect()
}

fn encode_form_component(bytes: &[u8]) -> String {
    bytes
        .split(|byte| *byte == b' ')
        .map(|part| percent_encode(part, QUERY_COMPONENT_ESCAPED).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

/// The canonical query: pairs without tracking parameters, sorted by decoded name (stable), each written as
/// `name=value` (a bare `name` becomes `name=`, as form decoding reads it the same). Empty when nothing is left.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form_component(name), decode_form_component(value))
        })
        .filter(|(name, _)| !is_tracking_parameter(&String::from_utf8_lossy(name)))
        .collect();
    // Stable: the order of the values of a repeated name is kept, since a server may read them as an ordered list.
    pairs.sort_by(|(left, _), (right, _)| left.cmp(right));
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", encode_form_component(name), encode_form_component(value)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(raw: &str) -> String {
        canonicalize_str(raw).unwrap()
    }

    #[test]
    fn tracking_parameters_parameter_order_fragment_host_case_and_default_port_give_one_url() {
        let spellings = [
            "https://shop.example/p/kettle?id=42&color=red",
            "https://SHOP.Example:443/p/kettle?color=red&id=42",
            "https://shop.example/p/kettle?utm_source=newsletter&id=42&utm_medium=email&color=red#reviews",
            "HTTPS://shop.example/p/kettle?fbclid=IwAR0abc&color=red&gclid=Cj0K&id=42",
            "https://shop.example/p/%6Bettle?id=42&color=red&_ga=2.1.2.3&srsltid=AfmBOo",
        ];
        for spelling in spellings {
            assert_eq!(canonical(spelling), "https://shop.example/p/kettle?color=red&id=42", "{spelling}");
        }
    }

    #[test]
    fn parameters_that_select_a_product_are_kept() {
        let url = "https://shop.example/p?variant=7&id=42&color=blue&size=M&sku=AB-1&utm_campaign=x";
        assert_eq!(canonical(url), "https://shop.example/p?color=blue&id=42&size=M&sku=AB-1&variant=7");
        for name in
            ["id", "variant", "color", "size", "sku", "pid", "product", "q", "page", "ref", "tag", "mc", "source"]
        {
            assert!(!is_tracking_parameter(name), "{name} must not be taken for a tracker");
        }
    }

    #[test]
    fn a_different_product_parameter_gives_a_different_url() {
        assert_ne!(canonical("https://shop.example/p?id=1"), canonical("https://shop.example/p?id=2"));
        assert_ne!(canonical("https://shop.example/p?variant=1"), canonical("https://shop.example/p"));
    }

    #[test]
    fn any_utm_parameter_is_removed_whatever_its_case() {
        for name in ["utm_source", "utm_medium", "UTM_Campaign", "utm_id", "utm_source_platform", "utm_whatever"] {
            assert!(is_tracking_parameter(name), "{name}");
        }
        assert!(!is_tracking_parameter("utm_"), "a bare prefix is not a campaign tag");
        assert!(is_tracking_parameter("?utm_source"), "a name glued to a stray ? is still a tag");
    }

    #[test]
    fn a_query_of_only_trackers_or_nothing_is_removed() {
        assert_eq!(canonical("https://shop.example/p?utm_source=a&fbclid=b"), "https://shop.example/p");
        assert_eq!(canonical("https://shop.example/p?"), "https://shop.example/p");
        assert_eq!(canonical("https://shop.example/p?&&"), "https://shop.example/p");
    }

    #[test]
    fn repeated_names_keep_the_order_of_their_values() {
        assert_eq!(canonical("https://s.example/?b=2&a=1&b=1"), "https://s.example/?a=1&b=2&b=1");
    }

    #[test]
    fn the_three_spellings_of_a_space_in_a_query_are_one() {
        for raw in ["https://s.example/?q=a b", "https://s.example/?q=a+b", "https://s.example/?q=a%20b"] {
            assert_eq!(canonical(raw), "https://s.example/?q=a+b");
        }
    }

    #[test]
    fn path_escapes_of_unreserved_characters_are_decoded_and_others_get_upper_case_hex() {
        assert_eq!(canonical("http://s.example/a%7Eb/%41%2d"), "http://s.example/a~b/A-");
        assert_eq!(canonical("http://s.example/r%c3%a9sum%c3%a9"), "http://s.example/r%C3%A9sum%C3%A9");
        assert_eq!(canonical("http://s.example/AC%2fDC%3f%23"), "http://s.example/AC%2FDC%3F%23");
        assert_eq!(canonical("http://s.example/a%2cb,c"), "http://s.example/a%2Cb,c");
    }

    #[test]
    fn path_characters_a_uri_may_not_hold_are_encoded() {
        assert_eq!(canonical("http://s.example/a^b|c[d]"), "http://s.example/a%5Eb%7Cc%5Bd%5D");
        assert_eq!(canonical("http://s.example/résumé"), "http://s.example/r%C3%A9sum%C3%A9");
        assert_eq!(canonical("http://s.example/100%"), "http://s.example/100%25");
        assert_eq!(canonical("http://s.example/100%zz"), "http://s.example/100%25zz");
    }

    #[test]
    fn query_bytes_that_are_not_utf8_survive() {
        assert_eq!(canonical("http://s.example/?q=r%e9sum%e9"), "http://s.example/?q=r%E9sum%E9");
        assert_ne!(canonical("http://s.example/?q=%e9"), canonical("http://s.example/?q=%ea"));
    }

    #[test]
    fn the_host_of_a_non_web_scheme_is_lowered_too() {
        assert_eq!(canonical("sftp://UsEr@Files.EXAMPLE.com/Dir"), "sftp://UsEr@files.example.com/Dir");
    }

    #[test]
    fn a_relative_reference_is_an_error_naming_the_input() {
        let error = canonicalize_str("/p/kettle?id=1").unwrap_err();
        assert!(error.to_string().contains("/p/kettle?id=1"), "{error}");
        assert!(matches!(error, CanonicalUrlError::Parse { ref input, .. } if input == "/p/kettle?id=1"));
    }

    #[test]
    fn canonicalising_twice_changes_nothing_even_on_awkward_input() {
        // A small deterministic fuzzer: strings built from the characters that trouble URL normalisers.
        let pieces = [
            "%",
            "%2",
            "%25",
            "%2F",
            "%2f",
            "%7e",
            "%C3%A9",
            "%e9",
            "+",
            " ",
            "&",
            "=",
            "?",
            "#",
            ";",
            ",",
            "/",
            "..",
            ".",
            "é",
            "^",
            "|",
            "[",
            "]",
            "\\",
            "`",
            "{",
            "\"",
            "utm_source",
            "id",
            "a",
            "B",
            "\t",
            "%00",
            "%3D",
            "%26",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let mut raw = String::from("http://Shop.EXAMPLE/");
            for _ in 0..(next() % 12) {
                raw.push_str(pieces[usize::try_from(next() % pieces.len() as u64).unwrap()]);
            }
            let Ok(url) = Url::parse(&raw) else { continue };
            let once = canonicalize(&url);
            let twice = canonicalize(&once);
            assert_eq!(once, twice, "not idempotent for {raw:?}");
            assert!(once.fragment().is_none());
        }
    }

    #[test]
    fn the_tracking_list_has_no_duplicates_and_every_rule_says_why() {
        for (index, parameter) in TRACKING_PARAMETERS.iter().enumerate() {
            assert!(!parameter.why.trim().is_empty(), "{:?} has no reason", parameter.pattern);
            let (NamePattern::Exact(name) | NamePattern::Prefix(name)) = parameter.pattern;
            assert_eq!(name, name.to_ascii_lowercase(), "rules are written in lower case");
            assert!(parameter.pattern.matches(&parameter.pattern.example()));
            for other in &TRACKING_PARAMETERS[index + 1..] {
                assert!(
                    !other.pattern.matches(&parameter.pattern.example()),
                    "{:?} is listed twice",
                    parameter.pattern
                );
            }
        }
    }
}
