//! The `auto` engine on real shop pages: the shared set of saved product pages (peers `shop-pages`, see its
//! PROVENANCE.md) read in place, each compared with the main product a person read off the page.
//!
//! The pages come from many shops, languages and markups (JSON-LD, microdata, OpenGraph, none), so this measures
//! the engines' general rules; a different held-out set of pages is measured the same way.

mod support;

use std::io::Read;
use std::path::Path;

use dealcast::scrape::engines::auto;
use rust_decimal::Decimal;
use serde_json::Value;
use url::Url;

/// Lower-case letters and digits only, so names compare regardless of case, spacing and punctuation.
fn normalised(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn names_match(got: &str, expected: &str, alternatives: &[String]) -> bool {
    let got = normalised(got);
    !got.is_empty()
        && std::iter::once(expected).chain(alternatives.iter().map(String::as_str)).any(|wanted| {
            let wanted = normalised(wanted);
            !wanted.is_empty() && (got.contains(&wanted) || wanted.contains(&got))
        })
}

fn decimal(value: &Value) -> Option<Decimal> {
    value.as_str().and_then(|text| text.parse().ok())
}

fn show(value: Option<Decimal>) -> String {
    value.map_or_else(|| "-".to_string(), |amount| amount.normalize().to_string())
}

fn read_page(dir: &Path, file: &str) -> String {
    let compressed = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("gunzip {file}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn the_auto_engine_reads_the_main_product_of_real_shop_pages() {
    let Some(peers) = support::peers_dir("the_auto_engine_reads_the_main_product_of_real_shop_pages") else { return };
    let dir = peers.join("shop-pages");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"))
            .expect("expected.json is JSON");
    println!("{}\n", expected["about"].as_str().unwrap_or_default());
    let pages = expected["pages"].as_array().expect("pages");

    let mut price_and_currency_right = 0;
    let mut names_right = 0;
    let mut previous_missed = Vec::new();
    let mut previous_invented = Vec::new();
    let mut wrong_names = Vec::new();
    println!(
        "{:<36} {:<10} {:<5} {:>17} {:>11} {:>19}",
        "page", "engine", "name", "price got/exp", "cur got/exp", "previous got/exp"
    );
    for page in pages {
        let key = page["key"].as_str().expect("key");
        let html = read_page(&dir, page["file"].as_str().expect("file"));
        let url = Url::parse(page["url"].as_str().expect("url")).expect("page url");
        let want = &page["expected"];
        let alternatives: Vec<String> = page["name_alternatives"]
            .as_array()
            .map(|names| names.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
            .unwrap_or_default();

        let found = auto::extract(&html, &url);
        let main = found.main().cloned().unwrap_or_default();
        let (want_price, want_previous) = (decimal(&want["price"]), decimal(&want["previous_price"]));
        let want_currency = want["currency"].as_str();
        let name_ok = names_match(&main.name, want["name"].as_str().unwrap_or_default(), &alternatives);
        if main.price == want_price && main.currency.as_deref() == want_currency {
            price_and_currency_right += 1;
        }
        if name_ok {
            names_right += 1;
        } else {
            wrong_names.push(format!("{key}: got {:?}", main.name));
        }
        match (want_previous, main.previous_price) {
            (Some(want), got) if got != Some(want) => previous_missed.push(key),
            (None, Some(_)) => previous_invented.push(key),
            _ => {}
        }
        println!(
            "{:<36} {:<10} {:<5} {:>17} {:>11} {:>19}",
            key,
            found.engine.unwrap_or("-"),
            if name_ok { "ok" } else { "WRONG" },
            format!("{}/{}", show(main.price), show(want_price)),
            format!("{}/{}", main.currency.as_deref().unwrap_or("-"), want_currency.unwrap_or("-")),
            format!("{}/{}", show(main.previous_price), show(want_previous)),
        );
    }
    println!(
        "\nprice and currency right: {price_and_currency_right}/{}; names right: {names_right}/{}; previous price \
         missed on {previous_missed:?}; previous price invented on {previous_invented:?}",
        pages.len(),
        pages.len()
    );
    assert!(pages.len() >= 21, "the shared set has 21 pages");
    assert_eq!(
        price_and_currency_right,
        pages.len(),
        "right price and currency on only {price_and_currency_right} pages"
    );
    assert!(previous_missed.is_empty(), "previous price wrong on {previous_missed:?}");
    assert!(
        previous_invented.is_empty(),
        "a previous price the page does not show was invented on {previous_invented:?}"
    );
    assert!(wrong_names.is_empty(), "names do not match: {wrong_names:#?}");
}
