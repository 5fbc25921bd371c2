//! Crawling shops that misbehave, over real loopback sockets: every broken page is counted under a bounded kind,
//! the good pages of the same shop and the other shops still give their offers, and nothing panics.

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dealcast::common::toml_problems::parse_all;
use dealcast::scrape::crawl::{CrawlOptions, Progress, ShopOffer, crawl_shop};
use dealcast::scrape::fetch::{FetchSettings, Fetcher, HostPolicy};
use dealcast::scrape::registry::Shop;
use dealcast::scrape::shop_spec::ShopSpec;
use support::loopback_shop::{self, Behaviour, product_page};
use tokio::sync::mpsc;

fn page(body: Vec<u8>) -> Behaviour {
    Behaviour::Page { content_type: "text/html; charset=utf-8", body }
}

fn shop(id: &str, base: &url::Url) -> Shop {
    let spec: ShopSpec = parse_all(&format!(
        "name = \"{id}\"\nhomepage = \"{base}\"\n[crawl]\nstart_urls = [\"{base}list\"]\n\
         product_links = \"a.product\"\n[politeness]\nmin_delay_ms = 0\nmax_concurrency = 16\n"
    ))
    .unwrap();
    Shop { id: id.to_string(), file: format!("{id}.toml").into(), spec }
}

fn listing(paths: &[&str]) -> Vec<u8> {
    let links: String = paths.iter().map(|p| format!(r#"<li><a class="product" href="{p}">{p}</a></li>"#)).collect();
    format!("<html><body><ul>{links}</ul></body></html>").into_bytes()
}

fn fast_fetcher() -> Fetcher {
    Fetcher::new(FetchSettings {
        max_body_bytes: 1024 * 1024,
        page_timeout: Duration::from_millis(700),
        connect_timeout: Duration::from_millis(500),
        max_retries: 1,
        retry_base_delay: Duration::from_millis(10),
        default_host_policy: HostPolicy { min_delay: Duration::ZERO, max_concurrency: 16 },
        ..support::outbound::loopback_fetch_settings()
    })
    .unwrap()
}

#[tokio::test]
async fn broken_pages_are_counted_by_kind_and_the_rest_still_gives_offers() {
    let broken_paths = ["/p500", "/hang", "/endless", "/huge", "/loop", "/broken-jsonld", "/latin1"];
    let mut routes: HashMap<String, Behaviour> = HashMap::new();
    let mut all = vec!["/good-1", "/good-2"];
    all.extend(broken_paths);
    routes.insert(
        "/robots.txt".into(),
        Behaviour::Page { content_type: "text/plain", body: b"User-agent: *\nAllow: /\n".to_vec() },
    );
    routes.insert("/list".into(), page(listing(&all)));
    routes.insert("/good-1".into(), page(product_page("Robe midi", "29.99", Some("49.99"))));
    routes.insert("/good-2".into(), page(product_page("Jean droit", "35.00", None)));
    routes.insert("/p500".into(), Behaviour::Status { status: 500, headers: Vec::new() });
    routes.insert("/hang".into(), Behaviour::Hang);
    routes.insert("/endless".into(), Behaviour::EndlessBody);
    routes.insert("/huge".into(), Behaviour::Huge(50 * 1024 * 1024));
    routes.insert("/loop".into(), Behaviour::Redirect("/loop".into()));
    routes.insert(
        "/broken-jsonld".into(),
        page(br#"<html><head><script type="application/ld+json">{"@type":"Product","name":"Cass"#.to_vec()),
    );
    // A Windows-1252 page (é = 0xE9, € = 0x80), declared only in a meta tag: it must decode, not crash.
    let mut latin1 = b"<html><head><meta charset=\"windows-1252\"><script type=\"application/ld+json\">{\"@type\":\"Product\",\"name\":\"Pull \xE9t\xE9\",\"offers\":{\"price\":\"19.90\",\"priceCurrency\":\"EUR\"}}</script></head><body>19,90 \x80</body></html>".to_vec();
    latin1.shrink_to_fit();
    routes.insert("/latin1".into(), Behaviour::Page { content_type: "text/html", body: latin1 });
    let bad_shop = loopback_shop::start(routes).await;

    let mut good_routes = HashMap::new();
    good_routes.insert("/list".to_string(), page(listing(&["/only"])));
    good_routes.insert("/only".to_string(), page(product_page("Manteau", "89.00", Some("129.00"))));
    let good_shop = loopback_shop::start(good_routes).await;

    let fetcher = fast_fetcher();
    let progress = Arc::new(Progress::default());
    let (sender, mut receiver) = mpsc::channel::<ShopOffer>(100);
    let (bad, good) = (shop("bad_shop", &bad_shop.url("/")), shop("good_shop", &good_shop.url("/")));
    let options = CrawlOptions::default();
    let (bad_report, good_report) = tokio::join!(
        crawl_shop(&bad, &fetcher, &options, &progress, &sender),
        crawl_shop(&good, &fetcher, &options, &progress, &sender)
    );
    drop(sender);
    let mut names = Vec::new();
    while let Some(found) = receiver.recv().await {
        names.push(format!("{}: {}", found.shop, found.offer.name));
    }
    names.sort();
    assert_eq!(names, ["bad_shop: Jean droit", "bad_shop: Pull été", "bad_shop: Robe midi", "good_shop: Manteau"]);

    assert_eq!(good_report.error_count(), 0, "{good_report:?}");
    assert_eq!(bad_report.pages, 10, "the listing and its nine product pages: {bad_report:?}");
    let kinds: Vec<(&str, u64)> = bad_report.errors.iter().map(|(k, n)| (*k, *n)).collect();
    assert_eq!(
        kinds,
        [("http_5xx", 1), ("no_offer", 1), ("redirect_loop", 1), ("timeout", 2), ("too_large", 1)],
        "{bad_report:?}"
    );
}

#[tokio::test]
async fn a_page_disallowed_by_robots_txt_is_never_requested() {
    let mut routes: HashMap<String, Behaviour> = HashMap::new();
    routes.insert(
        "/robots.txt".into(),
        Behaviour::Page { content_type: "text/plain", body: b"User-agent: *\nDisallow: /private\n".to_vec() },
    );
    routes.insert("/list".into(), page(listing(&["/public", "/private-sale"])));
    routes.insert("/public".into(), page(product_page("Public", "10.00", None)));
    routes.insert("/private-sale".into(), page(product_page("Private", "1.00", None)));
    let server = loopback_shop::start(routes).await;
    let (sender, mut receiver) = mpsc::channel::<ShopOffer>(10);
    let report = crawl_shop(
        &shop("polite", &server.url("/")),
        &fast_fetcher(),
        &CrawlOptions::default(),
        &Arc::new(Progress::default()),
        &sender,
    )
    .await;
    drop(sender);
    let found = receiver.recv().await.unwrap();
    assert_eq!(found.offer.name, "Public");
    assert!(receiver.recv().await.is_none());
    assert!(!server.requested().contains(&"/private-sale".to_string()), "{:?}", server.requested());
    assert_eq!(report.errors.get("robots_disallowed"), Some(&1), "{report:?}");
}
