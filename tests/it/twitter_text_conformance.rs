//! Conformance of `dealcast::publish::text_length` with twitter-text's own weighted-length cases (`parseTweet`),
//! read in place from the shared peers directory (`twitter-text/validate.yml`, see its PROVENANCE.md).
//!
//! The three sections the reference runners feed to `parseTweet` are run with the configuration each one names:
//! `WeightedTweetsCounterTest` with v2, `WeightedTweetsWithDiscountedEmojiCounterTest` and
//! `UnicodeDirectionalMarkerCounterTest` with v3 (the default). Every field of `expected` is compared: weighted
//! length, validity, permillage and both UTF-16 ranges. The other sections (usernames, hashtags, URL validation,
//! 140-character v1 tweets) test APIs dealcast does not use.

use crate::support;

use dealcast::publish::text_length::{CountingRules, PostMeasure, measure};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct ValidateFile {
    tests: BTreeMap<String, serde_yaml_ng::Value>,
}

#[derive(Deserialize)]
struct Case {
    description: String,
    text: String,
    expected: Expected,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Expected {
    weighted_length: usize,
    valid: bool,
    permillage: usize,
    display_range_start: usize,
    display_range_end: usize,
    valid_range_start: usize,
    valid_range_end: usize,
}

/// The `parseTweet` sections and the configuration each is run with upstream.
const SECTIONS: [(&str, CountingRules); 3] = [
    ("WeightedTweetsCounterTest", CountingRules::V2),
    ("WeightedTweetsWithDiscountedEmojiCounterTest", CountingRules::V3),
    ("UnicodeDirectionalMarkerCounterTest", CountingRules::V3),
];

/// Cases allowed to fail, with why. Empty: every case passes with the External backend.
const KNOWN_DIFFERENCES: [&str; 0] = [];

fn differences(expected: &Expected, got: &PostMeasure) -> Vec<String> {
    let mut found = Vec::new();
    let mut compare = |field: &str, want: String, have: String| {
        if want != have {
            found.push(format!("{field} expected {want}, got {have}"));
        }
    };
    compare("weightedLength", expected.weighted_length.to_string(), got.weighted_length.to_string());
    compare("valid", expected.valid.to_string(), got.valid.to_string());
    compare("permillage", expected.permillage.to_string(), got.permillage.to_string());
    let display = (expected.display_range_start, expected.display_range_end);
    compare("displayRange", format!("{display:?}"), format!("{:?}", got.display_range));
    let valid = (expected.valid_range_start, expected.valid_range_end);
    compare("validRange", format!("{valid:?}"), format!("{:?}", got.valid_range));
    found
}

#[test]
fn every_weighted_length_case_of_twitter_text_is_counted_like_twitter() {
    let Some(peers) = support::peers_dir("every_weighted_length_case_of_twitter_text_is_counted_like_twitter") else {
        return;
    };
    let path = peers.join("twitter-text/validate.yml");
    let file: ValidateFile = serde_yaml_ng::from_str(&std::fs::read_to_string(&path).expect("read validate.yml"))
        .expect("validate.yml has a `tests` map");

    let (mut total, mut passed) = (0, 0);
    let mut unexpected = Vec::new();
    for (section, rules) in SECTIONS {
        let value = file.tests.get(section).unwrap_or_else(|| panic!("validate.yml has no {section} section"));
        let cases: Vec<Case> = serde_yaml_ng::from_value(value.clone())
            .unwrap_or_else(|error| panic!("{section} cases do not have the expected shape: {error}"));
        assert!(!cases.is_empty(), "{section} has no cases");
        let mut section_passed = 0;
        for case in &cases {
            let found = differences(&case.expected, &measure(&case.text, rules));
            if found.is_empty() {
                section_passed += 1;
            } else if !KNOWN_DIFFERENCES.contains(&case.description.as_str()) {
                unexpected.push(format!("{section} / {}: {}", case.description, found.join("; ")));
            }
        }
        println!("{section}: {section_passed}/{} pass", cases.len());
        total += cases.len();
        passed += section_passed;
    }
    println!("twitter-text weighted length: {passed}/{total} pass");
    assert!(unexpected.is_empty(), "{} unexpected failures:\n{}", unexpected.len(), unexpected.join("\n"));
}
