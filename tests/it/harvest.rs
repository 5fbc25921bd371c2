//! Scraping into the database, over loopback and a real PostgreSQL: one offer per shop and canonical URL, a price
//! observation only when something changed, products linked across shops by GTIN, ended offers, and bad data
//! flagged with a reason instead of becoming a deal. Time is simulated: a clock the test moves.

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use dealcast::common::toml_problems::parse_all;
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::{Clock, harvest_shop};
use dealcast::scrape::crawl::CrawlOptions;
use dealcast::scrape::fetch::{FetchSettings, Fetcher, HostPolicy};
use dealcast::scrape::registry::Shop;
use dealcast::scrape::shop_spec::ShopSpec;
use dealcast::store::deal_queries::deal_detail;
use dealcast::store::scrape_runs::RunStatus;
use rust_decimal::Decimal;
use sqlx::PgPool;
use support::loopback_shop::{self, Behaviour, LoopbackShop, product_page, product_page_with_gtin};

fn html(body: Vec<u8>) -> Behaviour {
    Behaviour::Page { content_type: "text/html; charset=utf-8", body }
}

fn listing(paths: &[&str]) -> Behaviour {
    let links: String = paths.iter().map(|p| format!(r#"<a class="product" href="{p}">{p}</a>"#)).collect();
    html(format!("<html><body>{links}</body></html>").into_bytes())
}

fn shop(id: &str, server: &LoopbackShop) -> Shop {
    let spec: ShopSpec = parse_all(&format!(
        "name = \"{id}\"\nhomepage = \"{}\"\n[crawl]\nstart_urls = [\"{}\"]\nproduct_links = \"a.product\"\n",
        server.url("/"),
        server.url("/list")
    ))
    .unwrap();
    Shop { id: id.to_string(), file: format!("{id}.toml").into(), spec }
}

fn fetcher() -> Fetcher {
    Fetcher::new(FetchSettings {
        default_host_policy: HostPolicy { min_delay: std::time::Duration::ZERO, max_concurrency: 8 },
        ..support::outbound::loopback_fetch_settings()
    })
    .unwrap()
}

/// A clock the test sets.
fn clock(start: DateTime<Utc>) -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
    let now = Arc::new(Mutex::new(start));
    let read = Arc::clone(&now);
    (Arc::new(move || *read.lock().unwrap()), now)
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-01T06:30:00Z").unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn the_same_scrape_twice_stores_each_offer_once_and_no_new_observation() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    routes.insert("/list".to_string(), listing(&["/p/robe", "/p/jean?utm_source=newsletter", "/p/pull"]));
    routes.insert("/p/robe".to_string(), html(product_page("Robe midi", "29.99", Some("49.99"))));
    routes.insert("/p/jean".to_string(), html(product_page("Jean droit", "35.00", None)));
    routes.insert("/p/pull".to_string(), html(product_page("Pull", "19.90", None)));
    let server = loopback_shop::start(routes).await;
    let shop = shop("kiabi", &server);
    let (clock, now) = clock(start());

    let first =
        harvest_shop(&db.pool, &fetcher(), &shop, &CrawlOptions::default(), "test", &ScoreWeights::default(), &clock)
            .await
            .unwrap();
    assert_eq!(first.status, RunStatus::Succeeded);
    assert_eq!((first.counts.seen, first.counts.new, first.counts.changed), (3, 3, 0));
    *now.lock().unwrap() = start() + Duration::hours(12);
    let second =
        harvest_shop(&db.pool, &fetcher(), &shop, &CrawlOptions::default(), "test", &ScoreWeights::default(), &clock)
            .await
            .unwrap();
    assert_eq!((second.counts.seen, second.counts.new, second.counts.changed), (3, 0, 0));

    assert_eq!(count(&db.pool, "SELECT count(*) FROM offers").await, 3);
    assert_eq!(count(&db.pool, "SELECT count(*) FROM price_observations").await, 3, "no observation without a change");
    let canonical: String = sqlx::query_scalar("SELECT canonical_url FROM offers WHERE title = 'Jean droit'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(canonical.ends_with("/p/jean"), "tracking parameters are not part of identity: {canonical}");
    let last_seen: DateTime<Utc> =
        sqlx::query_scalar("SELECT min(last_seen_at) FROM offers").fetch_one(&db.pool).await.unwrap();
    assert_eq!(last_seen, start() + Duration::hours(12), "last_seen_at moves");
    let runs: Vec<(String, i32, i32)> =
        sqlx::query_as("SELECT status, pages_fetched, offers_new FROM scrape_runs ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(runs, [("succeeded".to_string(), 4, 3), ("succeeded".to_string(), 4, 0)]);

    // The shop changes one price: one new observation, for that offer only.
    server.set("/p/pull", html(product_page("Pull", "14.90", Some("19.90"))));
    *now.lock().unwrap() = start() + Duration::hours(24);
    let third =
        harvest_shop(&db.pool, &fetcher(), &shop, &CrawlOptions::default(), "test", &ScoreWeights::default(), &clock)
            .await
            .unwrap();
    assert_eq!((third.counts.new, third.counts.changed), (0, 1));
    let history: Vec<(Decimal, Option<Decimal>)> = sqlx::query_as(
        "SELECT po.price, po.previous_price FROM price_observations po JOIN offers o ON o.id = po.offer_id \
         WHERE o.title = 'Pull' ORDER BY po.observed_at",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(history, [(Decimal::new(1990, 2), None), (Decimal::new(1490, 2), Some(Decimal::new(1990, 2)))]);
}

#[tokio::test]
async fn an_offer_missing_from_two_successful_runs_ends_but_not_after_a_failed_one() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    routes.insert("/list".to_string(), listing(&["/p/a", "/p/b"]));
    routes.insert("/p/a".to_string(), html(product_page("A", "10.00", None)));
    routes.insert("/p/b".to_string(), html(product_page("B", "20.00", None)));
    let server = loopback_shop::start(routes).await;
    let shop = shop("shop", &server);
    let (clock, now) = clock(start());
    let (fetcher, options, weights) = (fetcher(), CrawlOptions::default(), ScoreWeights::default());
    let harvest = || harvest_shop(&db.pool, &fetcher, &shop, &options, "test", &weights, &clock);
    harvest().await.unwrap();

    server.set("/list", listing(&["/p/a"]));
    *now.lock().unwrap() = start() + Duration::hours(12);
    harvest().await.unwrap();
    let active_b: bool =
        sqlx::query_scalar("SELECT active FROM offers WHERE title = 'B'").fetch_one(&db.pool).await.unwrap();
    assert!(active_b, "one missed run is not enough");

    // A run where the shop is down says nothing about B.
    server.set("/list", Behaviour::Status { status: 404, headers: Vec::new() });
    let failed = harvest().await.unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    let active_b: bool =
        sqlx::query_scalar("SELECT active FROM offers WHERE title = 'B'").fetch_one(&db.pool).await.unwrap();
    assert!(active_b);

    server.set("/list", listing(&["/p/a"]));
    *now.lock().unwrap() = start() + Duration::hours(24);
    let ended = harvest().await.unwrap();
    assert_eq!(ended.counts.ended, 1);
    let (active_b, ended_at): (bool, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT active, ended_at FROM offers WHERE title = 'B'").fetch_one(&db.pool).await.unwrap();
    assert!(!active_b);
    assert_eq!(ended_at, Some(start() + Duration::hours(24)));
}

#[tokio::test]
async fn the_same_gtin_in_two_shops_is_one_product() {
    let db = support::fresh_database().await;
    let make = |name: &str, price: &str, gtin: &str| {
        let mut routes = HashMap::new();
        routes.insert("/list".to_string(), listing(&["/p/casque"]));
        routes.insert("/p/casque".to_string(), html(product_page_with_gtin(name, price, None, Some(gtin))));
        routes
    };
    let fnac = loopback_shop::start(make("Casque Sony WH-1000XM5", "299.00", "4548736132580")).await;
    // The same EAN printed with spaces in the other shop.
    let darty = loopback_shop::start(make("Sony WH1000XM5 noir", "289.00", "4 548736 132580")).await;
    let (clock, _) = clock(start());
    for (id, server) in [("fnac", &fnac), ("darty", &darty)] {
        harvest_shop(
            &db.pool,
            &fetcher(),
            &shop(id, server),
            &CrawlOptions::default(),
            "test",
            &ScoreWeights::default(),
            &clock,
        )
        .await
        .unwrap();
    }
    let ids: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, shop_id FROM offers ORDER BY shop_id").fetch_all(&db.pool).await.unwrap();
    assert_eq!(ids.len(), 2);
    // What `deals show` and the deal page list as "the same product elsewhere".
    let darty_offer = deal_detail(&db.pool, ids[0].0).await.unwrap().expect("darty's offer");
    assert_eq!(darty_offer.offer.gtin.as_deref(), Some("04548736132580"));
    let elsewhere: Vec<&str> = darty_offer.elsewhere.iter().map(|row| row.shop_id.as_str()).collect();
    assert_eq!(elsewhere, ["fnac"], "one product across shops");
    let fnac_offer = deal_detail(&db.pool, ids[1].0).await.unwrap().expect("fnac's offer");
    assert_eq!(fnac_offer.elsewhere.iter().map(|row| row.id).collect::<Vec<_>>(), [ids[0].0]);
}

#[tokio::test]
async fn bad_data_is_flagged_with_a_reason_and_never_priced() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    routes.insert("/list".to_string(), listing(&["/p/zero", "/p/below", "/p/luxe"]));
    routes.insert("/p/zero".to_string(), html(product_page("Zéro", "0.00", None)));
    routes.insert("/p/below".to_string(), html(product_page("Sous le prix", "20.00", Some("10.00"))));
    routes.insert("/p/luxe".to_string(), html(product_page("Sac de luxe", "25.00", Some("2500.00"))));
    let server = loopback_shop::start(routes).await;
    let (clock, now) = clock(start());
    let shop = shop("shop", &server);
    let run =
        harvest_shop(&db.pool, &fetcher(), &shop, &CrawlOptions::default(), "test", &ScoreWeights::default(), &clock)
            .await
            .unwrap();
    // A price of 0 is no price: the page gives no offer, and the run says so.
    assert_eq!(run.counts.errors.get("no_offer"), Some(&1), "{:?}", run.counts);
    type Stored = (String, Option<Decimal>, Option<Decimal>, Option<String>);
    let stored: Vec<Stored> =
        sqlx::query_as("SELECT title, price, previous_price, quality_flags->0->>'kind' FROM offers ORDER BY title")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        [
            ("Sac de luxe".to_string(), Some(Decimal::new(2500, 2)), None, Some("implausible_discount".to_string())),
            ("Sous le prix".to_string(), Some(Decimal::new(2000, 2)), None, None),
        ],
        "a claimed previous price below the price or a 99 % reduction never stays a claim"
    );

    // The currency changes between two visits: flagged.
    let usd = String::from_utf8(product_page("Sous le prix", "22.00", None)).unwrap().replace("EUR", "USD");
    server.set("/p/below", html(usd.into_bytes()));
    *now.lock().unwrap() = start() + Duration::hours(12);
    harvest_shop(&db.pool, &fetcher(), &shop, &CrawlOptions::default(), "test", &ScoreWeights::default(), &clock)
        .await
        .unwrap();
    let reason: String =
        sqlx::query_scalar("SELECT quality_flags->0->>'reason' FROM offers WHERE title = 'Sous le prix'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(reason.contains("currency changed from EUR to USD"), "{reason}");
}

#[tokio::test]
async fn a_price_raised_just_before_a_sale_is_judged_inflated_and_an_honest_sale_honest() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    routes.insert("/list".to_string(), listing(&["/p/tricked", "/p/honest"]));
    routes.insert("/p/tricked".to_string(), html(product_page("Trottinette", "49.99", None)));
    routes.insert("/p/honest".to_string(), html(product_page("Casque", "49.99", None)));
    let server = loopback_shop::start(routes).await;
    let shop = shop("shop", &server);
    let (clock, now) = clock(start());
    let (fetcher, options, weights) = (fetcher(), CrawlOptions::default(), ScoreWeights::default());
    let harvest = || harvest_shop(&db.pool, &fetcher, &shop, &options, "test", &weights, &clock);
    harvest().await.unwrap();

    *now.lock().unwrap() = start() + Duration::days(40);
    server.set("/p/tricked", html(product_page("Trottinette", "69.99", None)));
    harvest().await.unwrap();

    *now.lock().unwrap() = start() + Duration::days(45);
    server.set("/p/tricked", html(product_page("Trottinette", "54.99", Some("69.99"))));
    server.set("/p/honest", html(product_page("Casque", "39.99", Some("49.99"))));
    harvest().await.unwrap();

    type Judged = (String, Option<String>, Option<Decimal>, Option<Decimal>, Option<Decimal>);
    let judged: Vec<Judged> =
        sqlx::query_as("SELECT title, verdict, reference_price, real_discount_pct, score FROM offers ORDER BY title")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let (casque, trottinette) = (&judged[0], &judged[1]);
    assert_eq!(casque.1.as_deref(), Some("honest"), "{casque:?}");
    assert_eq!(casque.2, Some(Decimal::new(4999, 2)));
    assert_eq!(casque.3, Some(Decimal::new(200, 1)), "39.99 is 20.0 % below the 30-day low of 49.99");
    assert_eq!(trottinette.1.as_deref(), Some("inflated"), "{trottinette:?}");
    assert_eq!(trottinette.2, Some(Decimal::new(4999, 2)), "the legal reference is the 49.99 of the window");
    assert!(trottinette.3.unwrap() < Decimal::ZERO, "54.99 is no reduction from 49.99: {trottinette:?}");
    assert!(casque.4.unwrap() > trottinette.4.unwrap(), "an honest deal outranks an inflated one: {judged:?}");
}

#[tokio::test]
async fn a_promotion_without_a_price_is_kept_until_its_end_date_and_then_ends() {
    use dealcast::harvest::ingest;
    use dealcast::scrape::normalize::NormalizedOffer;
    use dealcast::scrape::offer::OfferKind;
    let db = support::fresh_database().await;
    sqlx::query("INSERT INTO shops (id, name, homepage) VALUES ('kiabi', 'Kiabi', 'https://www.kiabi.com/')")
        .execute(&db.pool)
        .await
        .unwrap();
    let ends = start() + Duration::days(3);
    let sale = NormalizedOffer {
        canonical_url: "https://www.kiabi.com/soldes".into(),
        url: "https://www.kiabi.com/soldes".into(),
        kind: OfferKind::Sale,
        title: "Jusqu'à -50 % sur les manteaux".into(),
        brand: None,
        category: None,
        image_url: None,
        sku: None,
        gtin: None,
        currency: None,
        price: None,
        previous_price: None,
        availability: None,
        promo_code: None,
        promo_text: Some("Jusqu'à -50 % sur les manteaux".into()),
        discount_percent: Some(Decimal::from(50)),
        ends_at: Some(ends),
        flags: Vec::new(),
        source: dealcast::scrape::normalize::ObservationSource::Page,
    };
    let run = |id: i64| {
        sqlx::query("INSERT INTO scrape_runs (id, shop_id) OVERRIDING SYSTEM VALUE VALUES ($1, 'kiabi')")
            .bind(id)
            .execute(&db.pool)
    };
    run(1).await.unwrap();
    ingest::store_offers(&db.pool, "kiabi", 1, std::slice::from_ref(&sale), start()).await.unwrap();
    // Two runs that no longer list it: a promotion with an end date is kept until then.
    for id in [2, 3] {
        run(id).await.unwrap();
        ingest::end_unseen(&db.pool, "kiabi", id, 2, start() + Duration::days(id)).await.unwrap();
    }
    let active: bool = sqlx::query_scalar("SELECT active FROM offers").fetch_one(&db.pool).await.unwrap();
    assert!(active, "the sale runs until its end date");
    let expired_in = ingest::expire_promotions(&db.pool, start() + Duration::days(4)).await.unwrap();
    assert_eq!(expired_in, ["kiabi"], "the shop whose search rows are to be refreshed");
    let (active, ended_at): (bool, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT active, ended_at FROM offers").fetch_one(&db.pool).await.unwrap();
    assert!(!active);
    assert_eq!(ended_at, Some(ends), "it ended when announced");
    let observations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM price_observations").fetch_one(&db.pool).await.unwrap();
    assert_eq!(observations, 0, "a promotion without a price has no price history");
}
