//! The `auto` engine on real shop pages: the shared set of saved product pages (peers `shop-pages`, see its
//! PROVENANCE.md) read in place, each compared with the main product a person read off the page.
//!
//! The pages come from many shops, languages and markups (JSON-LD, microdata, OpenGraph, none), so this measures
//! the engines' general rules; a different held-out set of pages is measured the same way.

use crate::support;

use std::io::Read;
use std::path::Path;

use dealcast::scrape::engines::auto;
use serde_json::Value;
use support::expected_pages::{ExpectedProduct, judge, table_header, table_row};
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

    let mut price_and_currency_right = 0;
    let mut previous_missed = Vec::new();
    let mut previous_invented = Vec::new();
    let mut wrong_names = Vec::new();
    println!("{}", table_header());
    for page in pages {
        let key = page["key"].as_str().expect("key");
        let html = read_page(&dir, page["file"].as_str().expect("file"));
        let url = Url::parse(page["url"].as_str().expect("url")).expect("page url");
        let want = ExpectedProduct::from_json(page);

        let found = auto::extract(&html, &url);
        let verdict = judge(found.main(), &want);
        price_and_currency_right += usize::from(verdict.price_and_currency);
        if !verdict.name {
            wrong_names.push(format!("{key}: got {:?}", found.main().map(|main| main.name.as_str())));
        }
        if verdict.previous_missed {
            previous_missed.push(key);
        }
        if verdict.previous_invented {
            previous_invented.push(key);
        }
        println!("{}", table_row(key, found.engine, found.main(), &want));
    }
    println!(
        "\nprice and currency right: {price_and_currency_right}/{}; names right: {}/{}; previous price missed on \
         {previous_missed:?}; previous price invented on {previous_invented:?}",
        pages.len(),
        pages.len() - wrong_names.len(),
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
