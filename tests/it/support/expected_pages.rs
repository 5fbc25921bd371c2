//! Comparing what the `auto` engine read on a saved page with what a person read off it: shared by the real-pages
//! test (peers `shop-pages`) and the hand-written unseen-pages test, so both are measured the same way.

use rust_decimal::Decimal;
use serde_json::Value;

use dealcast::scrape::offer::RawOffer;

/// What a person read off a page: `price` `None` means the page offers no product.
#[derive(Debug, Clone, Default)]
pub struct ExpectedProduct {
    pub name: String,
    pub name_alternatives: Vec<String>,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub previous_price: Option<Decimal>,
}

impl ExpectedProduct {
    /// Reads the `expected` object of an expected-pages file (decimal strings, `null` for none) and the page's
    /// `name_alternatives`, if any.
    pub fn from_json(page: &Value) -> ExpectedProduct {
        let want = &page["expected"];
        ExpectedProduct {
            name: want["name"].as_str().unwrap_or_default().to_string(),
            name_alternatives: page["name_alternatives"]
                .as_array()
                .map(|names| names.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            price: decimal(&want["price"]),
            currency: want["currency"].as_str().map(str::to_string),
            previous_price: decimal(&want["previous_price"]),
        }
    }
}

/// How a page's main product compares with what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub price_and_currency: bool,
    pub name: bool,
    /// A previous price is expected and was not read (or another one was).
    pub previous_missed: bool,
    /// A previous price was read where the page shows none.
    pub previous_invented: bool,
}

impl Verdict {
    /// Everything right.
    pub fn all_right(&self) -> bool {
        self.price_and_currency && self.name && !self.previous_missed && !self.previous_invented
    }
}

/// Compares the main product read (`None`: no priced product) with the expected one. A page without a product is
/// right only when nothing priced was read.
pub fn judge(main: Option<&RawOffer>, want: &ExpectedProduct) -> Verdict {
    let Some(want_price) = want.price else {
        let nothing = main.is_none_or(|main| main.price.is_none());
        return Verdict {
            price_and_currency: nothing,
            name: nothing,
            previous_missed: false,
            previous_invented: false,
        };
    };
    let got = main.cloned().unwrap_or_default();
    Verdict {
        price_and_currency: got.price == Some(want_price) && got.currency == want.currency,
        name: names_match(&got.name, &want.name, &want.name_alternatives),
        previous_missed: want.previous_price.is_some() && got.previous_price != want.previous_price,
        previous_invented: want.previous_price.is_none() && got.previous_price.is_some(),
    }
}

/// Lower-case letters and digits only, so names compare regardless of case, spacing and punctuation.
fn normalised(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Names compare leniently: normalised, and one containing the other (shops add brands or shop names).
pub fn names_match(got: &str, expected: &str, alternatives: &[String]) -> bool {
    let got = normalised(got);
    !got.is_empty()
        && std::iter::once(expected).chain(alternatives.iter().map(String::as_str)).any(|wanted| {
            let wanted = normalised(wanted);
            !wanted.is_empty() && (got.contains(&wanted) || wanted.contains(&got))
        })
}

/// A decimal string of an expected-pages file.
pub fn decimal(value: &Value) -> Option<Decimal> {
    value.as_str().and_then(|text| text.parse().ok())
}

/// An amount for the printed table.
pub fn show(value: Option<Decimal>) -> String {
    value.map_or_else(|| "-".to_string(), |amount| amount.normalize().to_string())
}

/// One row of the printed table: page, engine, name verdict, price, currency and previous price got/expected.
pub fn table_row(key: &str, engine: Option<&str>, main: Option<&RawOffer>, want: &ExpectedProduct) -> String {
    let got = main.cloned().unwrap_or_default();
    let verdict = judge(main, want);
    format!(
        "{:<44} {:<10} {:<5} {:>17} {:>11} {:>19}",
        key,
        engine.unwrap_or("-"),
        if verdict.name { "ok" } else { "WRONG" },
        format!("{}/{}", show(got.price), show(want.price)),
        format!("{}/{}", got.currency.as_deref().unwrap_or("-"), want.currency.as_deref().unwrap_or("-")),
        format!("{}/{}", show(got.previous_price), show(want.previous_price)),
    )
}

/// The header of the printed table.
pub fn table_header() -> String {
    format!(
        "{:<44} {:<10} {:<5} {:>17} {:>11} {:>19}",
        "page", "engine", "name", "price got/exp", "cur got/exp", "previous got/exp"
    )
}
