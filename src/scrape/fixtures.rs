//! A shop's saved pages and the offers they must give: `scrapers/fixtures/<shop>/<case>.<html|json|xml>` with
//! `<case>.expected.json` beside it. `dealcast shop check` replays them offline, like Scrapy contracts but
//! deterministic, so a shop file is known to work before it meets the network, and keeps working as engines change.
//!
//! An expectation file names the URL the page was saved from and the offers, in order, with only the fields worth
//! checking:
//! ```json
//! {"url": "https://shop.example/p/robe", "offers": [{"name": "Robe", "price": "29.99", "previous_price": "49.99"}]}
//! ```

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::scrape::engines::dispatch::extract_document;
use crate::scrape::fetch::decode_body;
use crate::scrape::registry::{Registry, Shop};

/// The suffix of expectation files.
pub const EXPECTED_SUFFIX: &str = ".expected.json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    url: Url,
    offers: Vec<Map<String, Value>>,
}

/// One saved page of a shop and its expectation.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub name: String,
    pub page: PathBuf,
    pub expected: PathBuf,
}

/// What checking one fixture found wrong (empty: it passed).
#[derive(Debug, Clone)]
pub struct FixtureResult {
    pub shop: String,
    pub fixture: String,
    pub offers: usize,
    pub mismatches: Vec<String>,
}

/// The fixtures of a shop, sorted by name.
pub fn fixtures_of(registry: &Registry, shop: &Shop) -> Vec<Fixture> {
    fixtures_in(&registry.fixtures_dir(&shop.id))
}

/// The fixtures saved in `dir`, sorted by name.
pub fn fixtures_in(dir: &Path) -> Vec<Fixture> {
    let mut fixtures: Vec<Fixture> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let name = file_name.strip_suffix(EXPECTED_SUFFIX)?.to_string();
            let page = ["html", "htm", "json", "xml", "rss", "atom", "html.gz"]
                .iter()
                .map(|ext| dir.join(format!("{name}.{ext}")))
                .find(|p| p.is_file())
                .unwrap_or_else(|| dir.join(format!("{name}.html")));
            Some(Fixture { name, page, expected: entry.path() })
        })
        .collect();
    fixtures.sort_by(|a, b| a.name.cmp(&b.name));
    fixtures
}

/// Replays one fixture through the shop's engine and compares.
pub fn check_fixture(shop: &Shop, fixture: &Fixture) -> FixtureResult {
    let mut result =
        FixtureResult { shop: shop.id.clone(), fixture: fixture.name.clone(), offers: 0, mismatches: Vec::new() };
    let expectation: Expectation = match std::fs::read_to_string(&fixture.expected)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(expectation) => expectation,
        Err(error) => {
            result.mismatches.push(format!("{}: unreadable expectation: {error}", fixture.expected.display()));
            return result;
        }
    };
    let bytes = match read_saved_page(&fixture.page) {
        Ok(bytes) => bytes,
        Err(error) => {
            result.mismatches.push(format!("{}: {error}", fixture.page.display()));
            return result;
        }
    };
    let (text, _) = decode_body(&bytes, None);
    let offers = match extract_document(
        &shop.spec.engine,
        &text,
        &expectation.url,
        Some(&shop.spec.currency.0),
        shop.spec.timezone.0,
    ) {
        Ok(offers) => offers,
        Err(error) => {
            result.mismatches.push(error.to_string());
            return result;
        }
    };
    result.offers = offers.len();
    if offers.len() != expectation.offers.len() {
        result.mismatches.push(format!("expected {} offers, got {}", expectation.offers.len(), offers.len()));
    }
    for (index, (expected, got)) in expectation.offers.iter().zip(&offers).enumerate() {
        let got = serde_json::to_value(got).unwrap_or(Value::Null);
        for (field, want) in expected {
            let have = got.get(field).unwrap_or(&Value::Null);
            if !same_value(want, have) {
                result.mismatches.push(format!("offer {}: {field}: expected {want}, got {have}", index + 1));
            }
        }
    }
    result
}

/// A saved page's bytes, decompressed when it is gzip (saved pages often are).
pub fn read_saved_page(path: &Path) -> std::io::Result<Vec<u8>> {
    let bytes = std::fs::read(path)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes.as_slice()), &mut decoded)?;
        return Ok(decoded);
    }
    Ok(bytes)
}

/// Equal as JSON, except that money compares as exact decimals ("29.9" equals "29.90").
fn same_value(want: &Value, have: &Value) -> bool {
    let as_decimal = |v: &Value| match v {
        Value::String(s) => Decimal::from_str(s).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    };
    match (as_decimal(want), as_decimal(have)) {
        (Some(a), Some(b)) => a == b,
        _ => want == have,
    }
}

/// Checks every fixture of the named shops (all shops when `only` is empty). A shop without fixtures is a failure:
/// an unchecked shop file is how scrapers silently break.
pub fn check_shops(
    registry: &Registry,
    only: Option<&str>,
) -> Result<Vec<FixtureResult>, crate::scrape::registry::RegistryError> {
    let shops: Vec<&Shop> = match only {
        Some(id) => vec![registry.get(id)?],
        None => registry.shops().collect(),
    };
    let mut results = Vec::new();
    for shop in shops {
        let fixtures = fixtures_of(registry, shop);
        if fixtures.is_empty() {
            results.push(FixtureResult {
                shop: shop.id.clone(),
                fixture: "(none)".to_string(),
                offers: 0,
                mismatches: vec![format!(
                    "no saved pages in {}: add <case>.html and <case>{EXPECTED_SUFFIX}",
                    registry.fixtures_dir(&shop.id).display()
                )],
            });
        }
        results.extend(fixtures.iter().map(|fixture| check_fixture(shop, fixture)));
    }
    Ok(results)
}
