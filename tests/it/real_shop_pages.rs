//! The `auto` engine on real shop pages: the shared set of saved product pages (peers `shop-pages`) read in place,
//! each compared with the main product a person read off the page.
//!
//! The pages come from many shops, languages and markups (JSON-LD, microdata, OpenGraph, none), so this measures
//! the engines' general rules; the hand-written pages of `tests/unseen_pages.rs` are judged the same way.
//!
//! A previous price the page does not state is the worst mistake the engine can make: a post would announce a
//! reduction the shop never made. So each one fails the test, named with its page and the value read.

use crate::support;

use std::io::Read;
use std::path::Path;

use dealcast::scrape::engines::auto;
use dealcast::scrape::offer::RawOffer;
use rust_decimal::Decimal;
use serde_json::Value;
use support::expected_pages::{ExpectedProduct, judge, show, table_header, table_row};
use url::Url;

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

    let mut problems = Vec::new();
    println!("{}", table_header());
    for page in pages {
        let key = page["key"].as_str().expect("key");
        let html = read_page(&dir, page["file"].as_str().expect("file"));
        let url = Url::parse(page["url"].as_str().expect("url")).expect("page url");
        let want = ExpectedProduct::from_json(page);

        let found = auto::extract(&html, &url);
        println!("{}", table_row(key, found.engine, found.main(), &want));
        problems.extend(page_problems(key, found.main(), &want));
    }
    println!("\n{} problems on {} pages", problems.len(), pages.len());
    assert!(pages.len() >= 21, "the shared set has 21 pages");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// What is wrong with the main product read on page `key`, one line per problem naming the page and the values.
fn page_problems(key: &str, main: Option<&RawOffer>, want: &ExpectedProduct) -> Vec<String> {
    let verdict = judge(main, want);
    let got = main.cloned().unwrap_or_default();
    let mut problems = Vec::new();
    if !verdict.price_and_currency {
        problems.push(format!(
            "{key}: price {} {} read, the page states {} {}",
            show(got.price),
            got.currency.as_deref().unwrap_or("-"),
            show(want.price),
            want.currency.as_deref().unwrap_or("-")
        ));
    }
    if !verdict.name {
        problems.push(format!("{key}: name {:?} read, the page names {:?}", got.name, want.name));
    }
    if let Some(problem) = previous_price_problem(key, got.previous_price, want.previous_price) {
        problems.push(problem);
    }
    problems
}

/// A previous price read that the page does not state (none, or another one), or one the page states and that was
/// not read.
fn previous_price_problem(key: &str, got: Option<Decimal>, stated: Option<Decimal>) -> Option<String> {
    match (got, stated) {
        (Some(got), None) => Some(format!("{key}: previous price {got} invented, the page states none")),
        (Some(got), Some(stated)) if got != stated => {
            Some(format!("{key}: previous price {got} invented, the page states {stated}"))
        }
        (None, Some(stated)) => Some(format!("{key}: previous price {stated} stated by the page was not read")),
        _ => None,
    }
}
