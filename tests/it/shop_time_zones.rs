//! A shop's promotion texts are read in the shop's own time zone: the same feed, saying "jusqu'au 30/11", crawled
//! over loopback for a shop in America/Montreal and for one whose file gives no `timezone` (Europe/Paris), ends at
//! 23:59:59 on 30 November where each shop is.

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;

use dealcast::common::toml_problems::parse_all;
use dealcast::scrape::crawl::{CrawlOptions, Progress, ShopOffer, crawl_shop};
use dealcast::scrape::fetch::Fetcher;
use dealcast::scrape::registry::Shop;
use dealcast::scrape::shop_spec::ShopSpec;
use support::loopback_shop::{self, Behaviour};
use tokio::sync::mpsc;

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bons plans</title>
<item><title>Code HIVER20 : -20 % sur tout le site</title><link>https://boutique.example/soldes</link>
<description>Valable jusqu'au 30/11 inclus.</description><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>
</channel></rss>"#;

/// The end date of the one promotion the feed of a shop whose file has `timezone_line` gives.
async fn promotion_end(timezone_line: &str) -> String {
    let routes = HashMap::from([(
        "/feed.xml".to_string(),
        Behaviour::Page { content_type: "application/rss+xml", body: FEED.as_bytes().to_vec() },
    )]);
    let server = loopback_shop::start(routes).await;
    let base = server.url("/");
    let spec: ShopSpec = parse_all(&format!(
        "name = \"Boutique\"\nhomepage = \"{base}\"\n{timezone_line}[engine]\nkind = \"feed\"\n\
         [crawl]\nstart_urls = [\"{base}feed.xml\"]\n[politeness]\nmin_delay_ms = 0\n"
    ))
    .unwrap();
    let shop = Shop { id: "boutique".into(), file: "boutique.toml".into(), spec };
    let fetcher = Fetcher::new(support::outbound::loopback_fetch_settings()).unwrap();
    let (sender, mut receiver) = mpsc::channel::<ShopOffer>(10);
    let report = crawl_shop(&shop, &fetcher, &CrawlOptions::default(), &Arc::new(Progress::default()), &sender).await;
    drop(sender);
    let found = receiver.recv().await.unwrap_or_else(|| panic!("no promotion read from the feed: {report:?}"));
    assert_eq!(found.offer.promo_code.as_deref(), Some("HIVER20"));
    assert!(receiver.recv().await.is_none(), "one promotion in the feed");
    found.offer.valid_until.expect("the promotion's end date").to_rfc3339()
}

#[tokio::test]
async fn a_montreal_shops_last_day_ends_in_montreal_and_a_shop_without_a_zone_in_paris() {
    // 23:59:59 EST (UTC-5) on 30 November is 04:59:59 UTC on 1 December.
    assert_eq!(promotion_end("timezone = \"America/Montreal\"\n").await, "2026-12-01T04:59:59+00:00");
    // 23:59:59 CET (UTC+1).
    assert_eq!(promotion_end("").await, "2026-11-30T22:59:59+00:00");
}
