//! Conformance of `dealcast::scrape::price` with the test cases of Python's price-parser (scrapinghub/price-parser),
//! read in place from the shared peers directory (`price-parser/price_cases.json`, see its PROVENANCE.md).
//!
//! Every case of every group that price-parser itself passes must pass here: same currency as printed and same
//! amount (compared as numbers, so "12.990" is 12.99). The groups price-parser is known to fail are run too and their
//! pass count printed, for information only.

use crate::support;

use std::str::FromStr;

use dealcast::scrape::price::parse_price;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct CaseFile {
    groups: Map<String, Value>,
}

#[derive(Deserialize)]
struct Group {
    expected_to_pass_upstream: bool,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    price_raw: Option<String>,
    #[serde(default)]
    currency_hint: Option<String>,
    #[serde(default)]
    decimal_separator: Option<String>,
    /// `currency` is absent for the groups that check the amount only.
    expected: Map<String, Value>,
}

/// How one case went: `None` when it passed, else a line saying what was expected and what came out.
fn run_case(group: &str, case: &Case) -> Option<String> {
    let text = case.price_raw.as_deref().unwrap_or("");
    let separator = case.decimal_separator.as_deref().and_then(|separator| separator.chars().next());
    let parsed = parse_price(text, case.currency_hint.as_deref(), separator);

    let expected_amount = match case.expected.get("amount") {
        Some(Value::String(amount)) => Some(
            Decimal::from_str(amount)
                .or_else(|_| Decimal::from_scientific(amount))
                .unwrap_or_else(|e| panic!("expected amount {amount:?} of {text:?} is not a decimal: {e}")),
        ),
        _ => None,
    };
    let amount_ok = parsed.amount == expected_amount;
    let (currency_ok, expected_currency) = match case.expected.get("currency") {
        None => (true, "(not checked)".to_string()),
        Some(currency) => {
            let currency = currency.as_str();
            (parsed.currency_text.as_deref() == currency, format!("{currency:?}"))
        }
    };
    if amount_ok && currency_ok {
        return None;
    }
    Some(format!(
        "[{group}] {text:?} (hint {:?}, separator {:?}): expected currency {expected_currency}, amount {:?}; \
         got currency {:?}, amount {:?} (amount text {:?})",
        case.currency_hint,
        case.decimal_separator,
        expected_amount.map(|amount| amount.to_string()),
        parsed.currency_text,
        parsed.amount.map(|amount| amount.to_string()),
        parsed.amount_text,
    ))
}

#[test]
fn every_case_price_parser_passes_is_read_the_same_way() {
    let Some(peers) = support::peers_dir("every_case_price_parser_passes_is_read_the_same_way") else {
        return;
    };
    let path = peers.join("price-parser/price_cases.json");
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let file: CaseFile = serde_json::from_str(&json).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));

    let (mut required, mut required_passed) = (0usize, 0usize);
    let (mut stretch, mut stretch_passed) = (0usize, 0usize);
    let mut failures = Vec::new();
    for (name, group) in &file.groups {
        let group: Group =
            serde_json::from_value(group.clone()).unwrap_or_else(|e| panic!("group {name} of {}: {e}", path.display()));
        for case in &group.cases {
            let failure = run_case(name, case);
            if group.expected_to_pass_upstream {
                required += 1;
                match failure {
                    None => required_passed += 1,
                    Some(failure) => failures.push(failure),
                }
            } else {
                stretch += 1;
                stretch_passed += usize::from(failure.is_none());
            }
        }
    }

    println!("price-parser conformance: {required_passed}/{required} cases that price-parser passes");
    println!("price-parser known failures (information only): {stretch_passed}/{stretch} read as expected");
    assert!(required > 0, "no case expected to pass was found in {}", path.display());
    assert!(
        failures.is_empty(),
        "{} of {required} cases failed ({required_passed} passed); the first ones:\n{}",
        failures.len(),
        failures.iter().take(20).map(String::as_str).collect::<Vec<_>>().join("\n"),
    );
}
