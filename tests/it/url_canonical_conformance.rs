//! Conformance of the offer-URL canonicaliser against two public references, read in place from the peers
//! directory (never copied here):
//!
//! - w3lib's `canonicalize_url` test cases (Scrapy's URL canonicaliser): every case run with default options must
//!   give w3lib's answer, except the deliberate differences listed below with their reasons;
//! - the ClearURLs global tracking rules: how our tracking list compares with the most used public list.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;

use dealcast::scrape::canonical_url::{TRACKING_PARAMETERS, canonicalize, canonicalize_str, is_tracking_parameter};
use regex::Regex;
use serde_json::Value;
use url::Url;

/// Where we knowingly give another answer than w3lib: (input, our answer or `None` when we reject it, why).
/// Each entry is checked: it must still differ from w3lib and give exactly our answer.
const DELIBERATE_DIFFERENCES: &[(&str, Option<&str>, &str)] = &[
    (
        "http://www.example.com/do?c=3&b=5&b=2&a=50",
        Some("http://www.example.com/do?a=50&b=5&b=2&c=3"),
        "names are sorted, but the values of a repeated name keep their order (a server may read them as an \
         ordered list); w3lib also sorts the values",
    ),
    (
        "https://example.com/a%23b%2cc#bash",
        Some("https://example.com/a%23b%2Cc"),
        "in a path only unreserved escapes are decoded (RFC 3986 §6.2.2.2); `%2C` is a reserved sub-delim that \
         may split a segment, so it stays escaped where w3lib decodes it to `,`",
    ),
    (
        "http://.éxamplé.com/résumé?q=résumé",
        Some("http://.xn--xampl-9raf.com/r%C3%A9sum%C3%A9?q=r%C3%A9sum%C3%A9"),
        "the WHATWG parser (`url`, like browsers) IDNA-encodes a host with an empty label; w3lib gives up and keeps \
         a non-ASCII host, which is not a valid URI host and would make a second spelling of the same page",
    ),
    (
        "http://www.éxamplééxamplééxamplééxamplééxamplééxamplééxamplééxamplééxamplééxamplééxamplé.com/résumé?q=résumé",
        Some(
            "http://www.xn--xamplxamplxamplxamplxamplxamplxamplxamplxamplxamplxampl-91efafafafafafafafafafaf.com/\
             r%C3%A9sum%C3%A9?q=r%C3%A9sum%C3%A9",
        ),
        "the WHATWG parser IDNA-encodes a label longer than DNS allows (no DNS length check, like browsers); \
         w3lib keeps the non-ASCII host as written",
    ),
    ("a#frag", None, "a relative reference has no host, so it cannot name an offer: rejected"),
    ("a?b=1#frag", None, "a relative reference has no host, so it cannot name an offer: rejected"),
    ("?b=1", None, "a relative reference has no host, so it cannot name an offer: rejected"),
];

/// Why a w3lib case is not run: it needs an option or input form our function does not offer, or `None`.
fn unsupported_option(case: &Value) -> Option<String> {
    if let Some(options) = case.get("options").and_then(Value::as_object) {
        for (name, value) in options {
            let is_default = match name.as_str() {
                "keep_blank_values" => value == &Value::Bool(true),
                "keep_fragments" => value == &Value::Bool(false),
                "encoding" => {
                    value.as_str().is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "utf-8" | "utf8"))
                }
                "query_separator" => value.as_str() == Some("&"),
                _ => false,
            };
            if !is_default {
                return Some(format!("option {name}={value}"));
            }
        }
    }
    if let Some(form) = case.get("input_form").and_then(Value::as_str)
        && form.contains("encoding=")
    {
        return Some(format!("input form {form:?}"));
    }
    None
}

/// The case's input as text: a string, or bytes (hex) that are UTF-8. Bytes in another charset cannot reach a
/// `&str` API and are reported as an error string.
fn case_input(case: &Value) -> Result<String, String> {
    match &case["input"] {
        Value::String(text) => Ok(text.clone()),
        Value::Object(object) => {
            let hex = object.get("bytes_hex").and_then(Value::as_str).ok_or("input object without bytes_hex")?;
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|at| hex.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| format!("bad hex {hex}"))?;
            String::from_utf8(bytes).map_err(|_| "bytes input that is not UTF-8 (our API takes text)".to_string())
        }
        other => Err(format!("unexpected input {other}")),
    }
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

#[test]
fn w3lib_canonicalize_url_cases_match_except_the_listed_differences() {
    let Some(peers) = support::peers_dir("w3lib_canonicalize_url_cases_match_except_the_listed_differences") else {
        return;
    };
    let cases = load_json(&peers.join("w3lib/url_cases.json"));
    let cases = cases["canonicalize_url"].as_array().expect("canonicalize_url is a list");
    let (mut matched, mut different, mut skipped) = (0, 0, 0);
    let mut differences_seen = BTreeSet::new();
    let mut failures = Vec::new();
    for case in cases {
        let expected = case["expected"].as_str().expect("expected is a string");
        let reason = unsupported_option(case);
        let input = match (reason, case_input(case)) {
            (Some(reason), _) | (None, Err(reason)) => {
                skipped += 1;
                println!("skipped ({reason}): {}", case["input"]);
                continue;
            }
            (None, Ok(input)) => input,
        };
        let ours = canonicalize_str(&input).ok();
        if let Some((_, our_answer, why)) = DELIBERATE_DIFFERENCES.iter().find(|(listed, _, _)| *listed == input) {
            differences_seen.insert(input.clone());
            different += 1;
            println!("deliberately different: {input:?}: w3lib {expected:?}, ours {ours:?} ({why})");
            if ours.as_deref() == Some(expected) {
                failures
                    .push(format!("{input:?} is listed as different but now matches w3lib: drop it from the table"));
            } else if ours.as_deref() != *our_answer {
                failures.push(format!("{input:?}: expected our answer {our_answer:?}, got {ours:?}"));
            }
        } else if ours.as_deref() == Some(expected) {
            matched += 1;
        } else {
            failures.push(format!("{input:?} ({}): w3lib {expected:?}, ours {ours:?}", case["test"]));
        }
    }
    for (listed, _, _) in DELIBERATE_DIFFERENCES {
        if !differences_seen.contains(*listed) {
            failures.push(format!("{listed:?} is in the difference table but no run case has it"));
        }
    }
    println!(
        "w3lib canonicalize_url: {} cases: {matched} matched, {different} deliberately different, {skipped} skipped \
         by option or input form",
        cases.len()
    );
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(matched + different + skipped, cases.len());
    assert!(matched >= 50, "only {matched} cases matched: the case file or the runner changed");
}

#[test]
fn canonicalising_the_w3lib_inputs_twice_changes_nothing() {
    let Some(peers) = support::peers_dir("canonicalising_the_w3lib_inputs_twice_changes_nothing") else {
        return;
    };
    let data = load_json(&peers.join("w3lib/url_cases.json"));
    // The `idempotence_property` group states the property (a hypothesis test upstream) without inputs of its
    // own, so it is checked on every input of the file: canonicalize_url cases whatever their options, and the
    // url_query_cleaner inputs. Relative inputs are resolved against a shop page first, as a crawler would.
    let base = Url::parse("http://shop.example/catalogue/").expect("a valid base");
    assert!(
        data["idempotence_property"].as_str().is_some_and(|text| text.contains("canonicalize_url(canonicalize_url"))
    );
    let groups = ["canonicalize_url", "url_query_cleaner"];
    let inputs: Vec<String> = groups
        .iter()
        .flat_map(|group| data[*group].as_array().cloned().unwrap_or_default())
        .filter_map(|case| case_input(&case).ok())
        .collect();
    for input in &inputs {
        let url = Url::parse(input).or_else(|_| base.join(input)).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        let once = canonicalize(&url);
        assert_eq!(canonicalize(&once), once, "canonicalize is not idempotent on {input:?}");
        assert_eq!(canonicalize_str(once.as_str()).ok().as_deref(), Some(once.as_str()), "{input:?} via text");
    }
    println!("idempotence: {} inputs checked", inputs.len());
    assert!(inputs.len() >= 100, "only {} inputs read: the case file changed", inputs.len());
}

/// Trackers so common that losing one would split offers every day; each is also in ClearURLs' global rules
/// (checked below), so this list stays grounded in a public reference.
const COMMON_TRACKERS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "yclid",
    "twclid",
    "srsltid",
    "_ga",
    "_gl",
    "mc_cid",
    "mc_eid",
    "mkt_tok",
    "_hsenc",
    "__hstc",
    "s_cid",
    "cmpid",
    "oly_anon_id",
    "vero_id",
    "wickedid",
    "spm",
];

/// The global rules of ClearURLs as the add-on applies them: anchored, case-insensitive.
fn clearurls_global_rules(peers: &Path) -> Vec<(String, Regex)> {
    let data = load_json(&peers.join("clearurls/data.min.json"));
    let rules = data["providers"]["globalRules"]["rules"].as_array().expect("globalRules.rules is a list");
    rules
        .iter()
        .map(|rule| {
            let rule = rule.as_str().expect("a rule is a string");
            let regex = Regex::new(&format!("(?i)^(?:{rule})$")).unwrap_or_else(|e| panic!("rule {rule}: {e}"));
            (rule.to_string(), regex)
        })
        .collect()
}

/// A concrete parameter name for a rule that names one (`(?:%3F)?fbclid` → `fbclid`), `None` for a pattern.
fn literal_name(rule: &str) -> Option<String> {
    let body = rule.strip_prefix("(?:%3F)?").unwrap_or(rule);
    body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then(|| body.to_ascii_lowercase())
}

#[test]
fn our_tracking_list_covers_the_common_clearurls_global_rules() {
    let Some(peers) = support::peers_dir("our_tracking_list_covers_the_common_clearurls_global_rules") else {
        return;
    };
    let rules = clearurls_global_rules(&peers);
    let clearurls_strips = |name: &str| rules.iter().any(|(_, regex)| regex.is_match(name));

    // Ours → ClearURLs: which of our parameters ClearURLs' global rules also strip.
    let mut shared = 0;
    for parameter in TRACKING_PARAMETERS {
        let example = parameter.pattern.example();
        let also = clearurls_strips(&example);
        shared += usize::from(also);
        println!(
            "ours {:<24} also in ClearURLs global: {} ({})",
            example,
            if also { "yes" } else { "no " },
            parameter.why
        );
    }
    println!("{shared} of our {} rules are also ClearURLs global rules", TRACKING_PARAMETERS.len());

    // ClearURLs → ours: global rules naming one parameter that we keep.
    let literals: Vec<String> = rules.iter().filter_map(|(rule, _)| literal_name(rule)).collect();
    let not_stripped: Vec<&String> = literals.iter().filter(|name| !is_tracking_parameter(name)).collect();
    for name in &not_stripped {
        println!("ClearURLs global parameter we keep: {name}");
    }
    for (rule, _) in rules.iter().filter(|(rule, _)| literal_name(rule).is_none()) {
        println!("ClearURLs global pattern (not compared name by name): {rule}");
    }
    let covered = literals.len() - not_stripped.len();
    println!("ClearURLs global literal parameters stripped by us: {covered} of {}", literals.len());

    for name in COMMON_TRACKERS {
        assert!(clearurls_strips(name), "{name} is not a ClearURLs global tracker: fix COMMON_TRACKERS");
        assert!(is_tracking_parameter(name), "{name} is a common tracker and must be stripped");
    }
    // Pattern rules: names their patterns catch that ours must catch too.
    let pattern_samples = [
        "utm_source",
        "utm_id",
        "utm_source_platform",
        "utm_creative_format",
        "utm_marketing_tactic",
        "mtm_campaign",
        "ga_source",
        "itm_campaign",
        "fb_action_ids",
        "wt_mc",
    ];
    for name in pattern_samples {
        assert!(clearurls_strips(name) && is_tracking_parameter(name), "{name}");
    }
    assert!(covered * 10 >= literals.len() * 8, "we strip only {covered} of {} ClearURLs global names", literals.len());
    assert!(shared * 2 >= TRACKING_PARAMETERS.len(), "fewer than half of our rules are known to ClearURLs");
}
