//! Harvests that cost a shop a few requests, over loopback and a real PostgreSQL: prices taken from listing cards
//! without the product pages, a new product's page fetched once, 304 answers that keep a page's offers alive, and
//! product pages skipped when their sitemap `<lastmod>` has not moved. What each harvest requested is read from the
//! shop's own request log and from `scrape_runs.requests`.

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use dealcast::common::toml_problems::parse_all;
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::{Clock, Harvest, harvest_shop};
use dealcast::scrape::crawl::CrawlOptions;
use dealcast::scrape::fetch::{FetchSettings, Fetcher, HostPolicy};
use dealcast::scrape::registry::Shop;
use dealcast::scrape::shop_spec::ShopSpec;
use dealcast::store::operational_counts::operational_counts;
use dealcast::store::scrape_runs::RunStatus;
use dealcast::store::shop_overview::shop_overviews;
use rust_decimal::Decimal;
use sqlx::PgPool;
use support::loopback_shop::{self, Behaviour, LoopbackShop, product_page};

/// A listing card as shops write them: the link, the name, the price and the crossed-out price.
fn card(path: &str, name: &str, price: &str, previous: Option<&str>) -> String {
    let previous = previous.map(|p| format!(r#"<span class="price-old">{p} €</span>"#)).unwrap_or_default();
    format!(
        r#"<li class="product-card"><a class="product-card__link" href="{path}" title="{name}"><h3>{name}</h3></a>
           <div class="price"><span class="price-current">{price} €</span>{previous}</div></li>"#
    )
}

fn listing(cards: &[String]) -> Behaviour {
    let body =
        format!(r#"<html><body><h1>Promotions</h1><ul class="product-grid">{}</ul></body></html>"#, cards.concat());
    Behaviour::Page { content_type: "text/html; charset=utf-8", body: body.into_bytes() }
}

fn page(name: &str, price: &str, previous: Option<&str>) -> Behaviour {
    Behaviour::Page { content_type: "text/html; charset=utf-8", body: product_page(name, price, previous) }
}

/// A page served with an ETag: sending it back gets a 304.
fn cached(body: Vec<u8>, etag: &str) -> Behaviour {
    Behaviour::PageWithHeaders {
        content_type: "text/html; charset=utf-8",
        headers: vec![("etag".to_string(), format!("\"{etag}\""))],
        body,
    }
}

fn shop(server: &LoopbackShop, crawl: &str) -> Shop {
    let spec: ShopSpec =
        parse_all(&format!("name = \"Boutique\"\nhomepage = \"{}\"\n[crawl]\n{crawl}\n", server.url("/"))).unwrap();
    Shop { id: "boutique".to_string(), file: "boutique.toml".into(), spec }
}

fn listing_shop(server: &LoopbackShop) -> Shop {
    shop(server, &format!("start_urls = [\"{}\"]\nproduct_links = \"a.product-card__link\"", server.url("/promos")))
}

fn fetcher() -> Fetcher {
    let settings = support::outbound::loopback_fetch_settings();
    Fetcher::new(FetchSettings { default_host_policy: HostPolicy::LIFTED, ..settings }).unwrap()
}

/// A clock the test moves, and the harvests made with it.
struct Harvests {
    pool: PgPool,
    now: Arc<Mutex<DateTime<Utc>>>,
    clock: Clock,
}

impl Harvests {
    fn new(pool: &PgPool) -> Harvests {
        let now = Arc::new(Mutex::new(DateTime::parse_from_rfc3339("2026-11-02T08:00:00Z").unwrap().to_utc()));
        let read = Arc::clone(&now);
        Harvests { pool: pool.clone(), now, clock: Arc::new(move || *read.lock().unwrap()) }
    }

    /// Harvests `shop` an hour after the last harvest; returns it and the paths the shop was asked for.
    async fn run(&self, shop: &Shop, server: &LoopbackShop) -> (Harvest, Vec<String>) {
        *self.now.lock().unwrap() += Duration::hours(1);
        let before = server.requested().len();
        let options = CrawlOptions::default();
        let harvest =
            harvest_shop(&self.pool, &fetcher(), shop, &options, "test", &ScoreWeights::default(), &self.clock)
                .await
                .unwrap();
        assert_eq!(harvest.status, RunStatus::Succeeded, "{:?}", harvest.report);
        let requested = server.requested()[before..].iter().filter(|p| *p != "/robots.txt").cloned().collect();
        (harvest, requested)
    }
}

async fn price_of(pool: &PgPool, path: &str) -> (Decimal, Option<Decimal>, bool) {
    sqlx::query_as("SELECT price, previous_price, active FROM offers WHERE canonical_url LIKE '%' || $1")
        .bind(path)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn requests_of(pool: &PgPool, run_id: i64) -> serde_json::Value {
    sqlx::query_scalar("SELECT requests FROM scrape_runs WHERE id = $1").bind(run_id).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_card_price_change_is_stored_without_fetching_the_product_page() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    routes.insert(
        "/promos".to_string(),
        listing(&[card("/p/robe", "Robe midi", "29,99", Some("49,99")), card("/p/jean", "Jean droit", "35,00", None)]),
    );
    routes.insert("/p/robe".to_string(), page("Robe midi", "29.99", Some("49.99")));
    routes.insert("/p/jean".to_string(), page("Jean droit", "35.00", None));
    let server = loopback_shop::start(routes).await;
    let shop = listing_shop(&server);
    let harvests = Harvests::new(&db.pool);

    let (first, requested) = harvests.run(&shop, &server).await;
    let mut sorted = requested.clone();
    sorted.sort();
    assert_eq!(sorted, ["/p/jean", "/p/robe", "/promos"], "the first harvest reads every product page");
    let counts = requests_of(&db.pool, first.run_id).await;
    assert_eq!(counts["product_pages"]["new"], 2, "{counts}");

    // The shop lowers the robe: the card and the page say so.
    server.set(
        "/promos",
        listing(&[card("/p/robe", "Robe midi", "24,99", Some("49,99")), card("/p/jean", "Jean droit", "35,00", None)]),
    );
    server.set("/p/robe", page("Robe midi", "24.99", Some("49.99")));
    let (second, requested) = harvests.run(&shop, &server).await;
    assert_eq!(requested, ["/promos"], "only the listing is read");
    let (price, previous, active) = price_of(&db.pool, "/p/robe").await;
    assert_eq!((price, previous, active), (Decimal::new(2499, 2), Some(Decimal::new(4999, 2)), true));
    let (_, _, jean_active) = price_of(&db.pool, "/p/jean").await;
    assert!(jean_active, "an unchanged card keeps its offer alive");
    let source: String = sqlx::query_scalar(
        "SELECT source FROM price_observations o JOIN offers f ON f.id = o.offer_id
         WHERE f.canonical_url LIKE '%/p/robe' ORDER BY observed_at DESC LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(source, "listing", "the observation says it came from the listing card");
    assert_eq!(second.counts.changed, 1);
    let counts = requests_of(&db.pool, second.run_id).await;
    assert_eq!(counts["listing_observations"], 2, "{counts}");
    assert_eq!(counts["fetched"], 1, "{counts}");
    assert_eq!(counts["product_pages"], serde_json::json!({}), "{counts}");
}

#[tokio::test]
async fn a_new_product_on_a_listing_is_fetched_once() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    routes.insert("/promos".to_string(), listing(&[card("/p/robe", "Robe midi", "29,99", Some("49,99"))]));
    routes.insert("/p/robe".to_string(), page("Robe midi", "29.99", Some("49.99")));
    routes.insert("/p/pull".to_string(), page("Pull marin", "19.90", Some("39.90")));
    let server = loopback_shop::start(routes).await;
    let shop = listing_shop(&server);
    let harvests = Harvests::new(&db.pool);
    harvests.run(&shop, &server).await;

    let both =
        [card("/p/robe", "Robe midi", "29,99", Some("49,99")), card("/p/pull", "Pull marin", "19,90", Some("39,90"))];
    server.set("/promos", listing(&both));
    let (second, requested) = harvests.run(&shop, &server).await;
    assert_eq!(requested, ["/promos", "/p/pull"], "the new product's page, and only it");
    assert_eq!(second.counts.new, 1);
    let (third, requested) = harvests.run(&shop, &server).await;
    assert_eq!(requested, ["/promos"], "a product known since the last harvest is read from its card");
    assert_eq!(third.counts.seen, 2);
    let (price, previous, _) = price_of(&db.pool, "/p/pull").await;
    assert_eq!((price, previous), (Decimal::new(1990, 2), Some(Decimal::new(3990, 2))));
}

#[tokio::test]
async fn a_card_that_disagrees_with_its_page_is_never_trusted_alone() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    // The card shows a "from" price of the cheapest size; the page the price of the product itself.
    routes.insert("/promos".to_string(), listing(&[card("/p/manteau", "Manteau", "59,99", Some("99,99"))]));
    routes.insert("/p/manteau".to_string(), page("Manteau", "79.99", Some("99.99")));
    let server = loopback_shop::start(routes).await;
    let shop = listing_shop(&server);
    let harvests = Harvests::new(&db.pool);
    harvests.run(&shop, &server).await;
    let (second, requested) = harvests.run(&shop, &server).await;
    assert_eq!(requested, ["/promos", "/p/manteau"], "the page is read again");
    assert_eq!(requests_of(&db.pool, second.run_id).await["product_pages"]["card_disagreed"], 1);
    let (price, _, _) = price_of(&db.pool, "/p/manteau").await;
    assert_eq!(price, Decimal::new(7999, 2), "the page's price, never the card's");
}

#[tokio::test]
async fn a_304_keeps_the_pages_offers_alive_and_ends_none() {
    let db = support::fresh_database().await;
    let links = r#"<a class="product" href="/p/robe">Robe</a><a class="product" href="/p/jean">Jean</a>"#;
    let mut routes = HashMap::new();
    routes.insert("/list".to_string(), cached(format!("<html><body>{links}</body></html>").into_bytes(), "l1"));
    routes.insert("/p/robe".to_string(), cached(product_page("Robe midi", "29.99", Some("49.99")), "r1"));
    routes.insert("/p/jean".to_string(), cached(product_page("Jean droit", "35.00", None), "j1"));
    let server = loopback_shop::start(routes).await;
    // Every page read at every harvest: the validators alone make it cheap.
    let shop = shop(
        &server,
        &format!("start_urls = [\"{}\"]\nproduct_links = \"a.product\"\nlisting_first = false", server.url("/list")),
    );
    let harvests = Harvests::new(&db.pool);
    let (first, _) = harvests.run(&shop, &server).await;
    assert_eq!(first.counts.new, 2);
    // More harvests than it takes to end an offer that is not seen.
    for _ in 0..3 {
        let (harvest, requested) = harvests.run(&shop, &server).await;
        assert_eq!(requested.len(), 3, "{requested:?}");
        let counts = requests_of(&db.pool, harvest.run_id).await;
        assert_eq!((counts["not_modified"].as_u64(), counts["fetched"].as_u64()), (Some(3), Some(0)), "{counts}");
        assert_eq!(harvest.counts.seen, 2, "the offers of unchanged pages are seen");
        assert_eq!(harvest.counts.ended, 0);
        assert!(harvest.health.is_healthy(), "a run of 304s is a healthy run");
    }
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM offers WHERE active").fetch_one(&db.pool).await.unwrap();
    assert_eq!(active, 2);
    // What the shops page and /metrics show of the latest run.
    let overview = shop_overviews(&db.pool, Some("boutique")).await.unwrap();
    let latest = &overview[0].recent_runs[0].requests;
    assert_eq!((latest.total(), latest.not_modified, latest.fetched), (3, 3, 0));
    let metrics = operational_counts(&db.pool).await.unwrap();
    assert_eq!(metrics.last_run_requests, vec![("boutique".to_string(), latest.clone())]);

    // A page that changes is read again, and its new price stored.
    server.set("/p/jean", cached(product_page("Jean droit", "29.00", Some("35.00")), "j2"));
    let (harvest, _) = harvests.run(&shop, &server).await;
    assert_eq!(requests_of(&db.pool, harvest.run_id).await["fetched"], 1);
    assert_eq!(price_of(&db.pool, "/p/jean").await.0, Decimal::new(2900, 2));
}

#[tokio::test]
async fn a_product_whose_sitemap_lastmod_is_unchanged_is_not_fetched() {
    let db = support::fresh_database().await;
    let server = loopback_shop::start(HashMap::new()).await;
    let sitemap = |robe: &str, jean: &str| {
        let body = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>{}</loc><lastmod>{robe}</lastmod></url><url><loc>{}</loc><lastmod>{jean}</lastmod></url></urlset>"#,
            server.url("/p/robe"),
            server.url("/p/jean")
        );
        Behaviour::Page { content_type: "application/xml", body: body.into_bytes() }
    };
    server.set("/sitemap.xml", sitemap("2026-10-01", "2026-10-01"));
    server.set("/p/robe", page("Robe midi", "29.99", Some("49.99")));
    server.set("/p/jean", page("Jean droit", "35.00", None));
    let shop = shop(&server, &format!("sitemaps = [\"{}\"]", server.url("/sitemap.xml")));
    let harvests = Harvests::new(&db.pool);
    let (_, requested) = harvests.run(&shop, &server).await;
    assert_eq!(requested.len(), 3, "{requested:?}");

    // The jean changed (the sitemap says so); the robe did not.
    server.set("/sitemap.xml", sitemap("2026-10-01", "2026-11-02"));
    server.set("/p/jean", page("Jean droit", "29.00", Some("35.00")));
    let (second, requested) = harvests.run(&shop, &server).await;
    assert_eq!(requested, ["/sitemap.xml", "/p/jean"]);
    let counts = requests_of(&db.pool, second.run_id).await;
    assert_eq!(counts["skipped_by_lastmod"], 1, "{counts}");
    assert_eq!(counts["product_pages"]["sitemap"], 1, "{counts}");
    assert_eq!(price_of(&db.pool, "/p/jean").await.0, Decimal::new(2900, 2));

    // Nothing moves: nothing but the sitemap is read, and the skipped pages' offers never end.
    for _ in 0..3 {
        let (harvest, requested) = harvests.run(&shop, &server).await;
        assert_eq!(requested, ["/sitemap.xml"]);
        assert_eq!((harvest.counts.seen, harvest.counts.ended), (2, 0));
    }
    assert!(price_of(&db.pool, "/p/robe").await.2, "the robe is still on sale");
}
