//! The `auto` engine on product pages of shops it has never seen: hand-written pages (tests/fixtures/unseen, see
//! its expected.json) modelled on the markup of many platforms and countries, each with the main product a person
//! reads off it, or none when the page offers no product (events, listings, blog posts, store lists, carts).
//!
//! Each page holds a trap of one failure class: a price on a page that sells nothing, a related product's or the
//! crossed-out price taken for the main one, several products or offers in the structured data, and pages without
//! structured data whose visible numbers include quantities, pack sizes, codes, unit prices and instalments. The
//! pages carry the noise real pages carry (menus, banners with free-delivery thresholds, analytics scripts with
//! prices, footers), so this measures general rules, not the pages.

use crate::support;

use std::path::PathBuf;

use dealcast::scrape::engines::auto;
use dealcast::scrape::engines::dispatch::extract_document;
use dealcast::scrape::offer::OfferKind;
use dealcast::scrape::shop_spec::EngineSpec;
use serde_json::Value;
use support::expected_pages::{ExpectedProduct, judge, table_header, table_row};
use url::Url;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unseen")
}

#[test]
fn the_auto_engine_reads_the_main_product_of_pages_from_unseen_shops() {
    let dir = fixtures();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"))
            .expect("expected.json is JSON");
    let pages = expected["pages"].as_array().expect("pages");
    println!("{}", table_header());
    let mut wrong = Vec::new();
    for page in pages {
        let file = page["file"].as_str().expect("file");
        let html = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"));
        let url = Url::parse(page["url"].as_str().expect("url")).expect("page url");
        let want = ExpectedProduct::from_json(page);

        let found = auto::extract(&html, &url);
        let verdict = judge(found.main(), &want);
        // What a crawl stores: on a page without a product, `extract` must give no priced product at all.
        let offers =
            extract_document(&EngineSpec::Auto, &html, &url, None, chrono_tz::Europe::Paris).expect("auto never fails");
        let sells_nothing = offers.iter().all(|offer| offer.kind != OfferKind::Product || offer.price.is_none());
        let no_offer_right = want.price.is_some() || sells_nothing;
        let key = file.trim_end_matches(".html");
        println!("{}", table_row(key, found.engine, found.main(), &want));
        if !(verdict.all_right() && no_offer_right) {
            wrong.push(format!("{key} ({}): {verdict:?}", page["class"].as_str().unwrap_or_default()));
        }
    }
    println!("\nall right on {}/{} pages; wrong: {wrong:#?}", pages.len() - wrong.len(), pages.len());
    assert!(pages.len() >= 30, "the unseen set has at least 30 pages");
    assert!(wrong.is_empty(), "wrong on {} pages: {wrong:#?}", wrong.len());
}

#[test]
fn every_unseen_page_is_listed_once_in_the_expectations() {
    let dir = fixtures();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"))
            .expect("expected.json is JSON");
    let mut listed: Vec<String> = expected["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|page| page["file"].as_str().expect("file").to_string())
        .collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".html"))
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk, "each page has one expectation and each expectation a page");
}
