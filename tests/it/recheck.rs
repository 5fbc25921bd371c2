//! The re-check before posting, over loopback: a shop harvested for real (a price history of 35
//! days, so each deal has a real discount), the mock X API, and the publisher of an account that re-checks deals.
//! Just before a post goes out, its product page is read again: a deal whose price rose, that is out of stock or
//! whose page is gone is not posted and says why; one unchanged is posted once; a shop that does not answer makes
//! the post wait for a later slot, never go out unchecked. A curated approval re-checks the same way.

use crate::support;
use crate::support::builders::dec;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::{Clock, harvest_shop};
use dealcast::publish::accounts::AccountConfig;
use dealcast::publish::publisher::Publisher;
use dealcast::publish::recheck::Rechecker;
use dealcast::publish::review::{self, ReviewError};
use dealcast::scrape::crawl::CrawlOptions;
use dealcast::scrape::fetch::{FetchSettings, Fetcher, HostPolicy};
use dealcast::scrape::registry::Shop;
use dealcast::store::publication_queries::{PublicationFilter, PublicationRecord, list_publications};
use rust_decimal::Decimal;
use support::TestDb;
use support::listed_shop;
use support::loopback_shop::{self, Behaviour, LoopbackShop, product_page};
use support::mock_x::{MockAccount, MockX};

/// The shop's products: (path, title). Each was at 29.99 for 35 days, and is now at 19.99.
const PRODUCTS: [(&str, &str); 3] =
    [("/p/lampe", "Lampe de chevet laiton"), ("/p/chaise", "Chaise en chêne"), ("/p/table", "Table basse")];

fn html(body: Vec<u8>) -> Behaviour {
    Behaviour::Page { content_type: "text/html; charset=utf-8", body }
}

fn at_price(title: &str, price: &str) -> Behaviour {
    html(product_page(title, price, None))
}

/// A product page whose structured data says the product is out of stock.
fn out_of_stock(title: &str, price: &str) -> Behaviour {
    html(
        format!(
            r#"<!doctype html><html><head><title>{title}</title><script type="application/ld+json">
            {{"@context":"https://schema.org","@type":"Product","name":"{title}","offers":{{"@type":"Offer",
            "price":"{price}","priceCurrency":"EUR","availability":"https://schema.org/OutOfStock"}}}}
            </script></head><body><h1>{title}</h1><p>Rupture de stock</p></body></html>"#
        )
        .into_bytes(),
    )
}

/// 9:00, 13:00 or 18:00 in Paris on the day of the deals.
fn slot(hour: u32) -> DateTime<Utc> {
    let day = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
    Paris.from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap()).unwrap().with_timezone(&Utc)
}

fn fetcher() -> Fetcher {
    Fetcher::new(FetchSettings {
        default_host_policy: HostPolicy { min_delay: Duration::ZERO, max_concurrency: 8 },
        max_retries: 0,
        ..support::outbound::loopback_fetch_settings()
    })
    .unwrap()
}

/// A fresh database, and the loopback shop harvested at 29.99 on 1 October and at 19.99 on the morning of 5 November:
/// every product is a deal with a real discount of a third ([`deals_at`] other times).
struct Deals {
    db: TestDb,
    server: LoopbackShop,
    shop: Shop,
}

async fn deals() -> Deals {
    deals_at(Utc.with_ymd_and_hms(2026, 10, 1, 6, 0, 0).unwrap(), slot(7)).await
}

/// [`deals`], harvested at 29.99 at `before` and at 19.99 at `after`.
async fn deals_at(before: DateTime<Utc>, after: DateTime<Utc>) -> Deals {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    routes.insert("/list".to_string(), listed_shop::listing(PRODUCTS.iter().map(|(path, _)| *path)));
    let server = loopback_shop::start(routes).await;
    let shop = listed_shop::maison(&server);
    for (price, at) in [("29.99", before), ("19.99", after)] {
        for (path, title) in PRODUCTS {
            server.set(path, at_price(title, price));
        }
        let time = Arc::new(Mutex::new(at));
        let clock: Clock = Arc::new(move || *time.lock().unwrap());
        harvest_shop(&db.pool, &fetcher(), &shop, &CrawlOptions::default(), "test", &ScoreWeights::default(), &clock)
            .await
            .unwrap();
    }
    let discounts: Vec<Decimal> = sqlx::query_scalar("SELECT real_discount_pct FROM offers WHERE verdict = 'honest'")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(discounts.len(), PRODUCTS.len(), "every product is an honest deal before the re-check");
    Deals { db, server, shop }
}

fn account(toml_text: &str) -> AccountConfig {
    toml::from_str(toml_text).expect("a valid account")
}

/// The publisher of `config` (an `x` account whose mock user is `MockAccount::of(<its name>, "7001")`), re-checking
/// through the shop's file.
fn publisher(deals: &Deals, config: AccountConfig) -> Publisher {
    let name = config.name.clone();
    let mock = MockAccount::of(&name, "7001");
    let rechecker = Rechecker::new(fetcher(), [deals.shop.clone()], ScoreWeights::default());
    Publisher::new(deals.db.pool.clone(), config, "test", move |v| mock.env_of(&name, v))
        .unwrap()
        .with_recheck(rechecker)
}

async fn publications(db: &TestDb, account: &str) -> Vec<PublicationRecord> {
    let filter = PublicationFilter { account: Some(account.to_string()), status: None, before: None, limit: 50 };
    list_publications(&db.pool, &filter).await.unwrap()
}

/// The offer's latest observation: price, availability, when.
async fn latest_observation(db: &TestDb, title: &str) -> (Decimal, Option<String>, DateTime<Utc>) {
    sqlx::query_as(
        "SELECT po.price, po.availability, po.observed_at FROM price_observations po JOIN offers o ON o.id = po.offer_id
         WHERE o.title = $1 ORDER BY po.observed_at DESC LIMIT 1",
    )
    .bind(title)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

fn requests_for(server: &LoopbackShop, path: &str) -> usize {
    server.requested().iter().filter(|requested| requested.as_str() == path).count()
}

#[tokio::test]
async fn the_re_check_posts_the_unchanged_deal_once_and_drops_the_risen_and_the_sold_out_saying_why() {
    let deals = deals().await;
    let x = MockX::start(vec![MockAccount::of("maison", "7001")]).await;
    // Re-checking is the default on X: the account does not ask for it.
    let config = account(&format!(
        "name = \"maison\"\nplatform = \"x\"\napi_base_url = \"{}\"\nposts_per_slot = 4\nmin_spacing_minutes = 0\n\
         per_shop_daily_cap = 10\n",
        x.base_url()
    ));
    assert!(config.rechecks());
    let publisher = publisher(&deals, config);
    // Since the morning's harvest: the lamp is unchanged, the chair sold out, the table's price went back up... and
    // then the table left the shop too. The chair and the lamp stay.
    deals.server.set("/p/chaise", out_of_stock("Chaise en chêne", "19.99"));
    deals.server.set("/p/table", at_price("Table basse", "29.99"));
    let before = (requests_for(&deals.server, "/p/lampe"), requests_for(&deals.server, "/p/table"));

    let report = publisher.tick(slot(9)).await.unwrap();
    assert_eq!(report.queued, 3, "{report:?}");
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert!(report.sent[0].text.contains("Lampe de chevet laiton"), "{}", report.sent[0].text);
    assert_eq!(x.post_count(), 1);
    assert_eq!(
        requests_for(&deals.server, "/p/lampe"),
        before.0 + 1,
        "the lamp's page was read again before it went out"
    );
    assert_eq!(requests_for(&deals.server, "/p/table"), before.1 + 1);

    // What `dealcast publications` shows: each dropped post with its reason.
    let rows = publications(&deals.db, "maison").await;
    let row_of = |title: &str| rows.iter().find(|row| row.offer_title == title).unwrap().clone();
    assert_eq!(row_of("Lampe de chevet laiton").status, "published");
    // The page the re-check read is kept as the post's evidence.
    let (page_url, page): (Option<String>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT e.page_url, e.page_gzip FROM publication_evidence e JOIN publications p ON p.id = e.publication_id
         JOIN offers o ON o.id = p.offer_id WHERE o.title = 'Lampe de chevet laiton'",
    )
    .fetch_one(&deals.db.pool)
    .await
    .unwrap();
    assert!(page_url.is_some_and(|url| url.ends_with("/p/lampe")), "the page's address is kept");
    let page = dealcast::store::evidence::decompress_page(&page.expect("a page copy")).unwrap();
    assert!(String::from_utf8_lossy(&page).contains("Lampe de chevet laiton"), "the page copy is the page");
    let table = row_of("Table basse");
    assert_eq!(table.status, "cancelled");
    assert_eq!(
        table.last_error.as_deref(),
        Some("re-checked before posting: its price went up from 19.99 to 29.99 EUR")
    );
    let chair = row_of("Chaise en chêne");
    assert_eq!(
        (chair.status.as_str(), chair.last_error.as_deref()),
        ("cancelled", Some("re-checked before posting: it is out of stock"))
    );
    assert!(report.skipped.iter().any(|line| line.contains("its price went up from 19.99 to 29.99 EUR")), "{report:?}");

    // The new observations are in the price history, and the deals are judged again.
    let (price, _, observed_at) = latest_observation(&deals.db, "Table basse").await;
    assert_eq!((price, observed_at), (dec("29.99"), slot(9)));
    let source: String = sqlx::query_scalar(
        "SELECT po.source FROM price_observations po JOIN offers o ON o.id = po.offer_id
         WHERE o.title = 'Table basse' ORDER BY po.observed_at DESC LIMIT 1",
    )
    .fetch_one(&deals.db.pool)
    .await
    .unwrap();
    assert_eq!(source, "recheck", "the history says the re-check saw this price");
    let (price, availability, observed_at) = latest_observation(&deals.db, "Chaise en chêne").await;
    assert_eq!((price, availability.as_deref(), observed_at), (dec("19.99"), Some("out_of_stock"), slot(9)));
    let table_discount: Option<Decimal> =
        sqlx::query_scalar("SELECT real_discount_pct FROM offers WHERE title = 'Table basse'")
            .fetch_one(&deals.db.pool)
            .await
            .unwrap();
    assert!(table_discount.is_none_or(|d| d <= Decimal::ZERO), "no discount at its old price: {table_discount:?}");

    // The next slot posts none of them again: the lamp went out once, the table has no discount any more, and the
    // sold-out chair is not written again until a harvest sees it anew.
    let report = publisher.tick(slot(13)).await.unwrap();
    assert_eq!((report.queued, report.sent.len()), (0, 0), "{report:?}");
    assert_eq!(x.post_count(), 1, "the unchanged deal was posted once");
}

#[tokio::test]
async fn a_deal_whose_page_is_gone_is_not_posted_and_its_offer_ends() {
    let deals = deals().await;
    let x = MockX::start(vec![MockAccount::of("seul", "7001")]).await;
    let config = account(&format!(
        "name = \"seul\"\nplatform = \"x\"\napi_base_url = \"{}\"\nposts_per_slot = 1\nmin_spacing_minutes = 0\n\
         filters = {{ shops = [\"maison\"] }}\n",
        x.base_url()
    ));
    let publisher = publisher(&deals, config);
    for (path, _) in PRODUCTS {
        deals.server.remove(path);
    }
    let report = publisher.tick(slot(9)).await.unwrap();
    assert_eq!((report.queued, report.sent.len()), (1, 0), "{report:?}");
    let rows = publications(&deals.db, "seul").await;
    assert_eq!(rows[0].status, "cancelled");
    assert_eq!(rows[0].last_error.as_deref(), Some("re-checked before posting: its product page is gone (HTTP 404)"));
    let active: bool = sqlx::query_scalar("SELECT active FROM offers WHERE id = $1")
        .bind(rows[0].offer_id)
        .fetch_one(&deals.db.pool)
        .await
        .unwrap();
    assert!(!active, "a page the shop says is gone ends its offer");
    assert_eq!(x.post_count(), 0);
}

#[tokio::test]
async fn a_shop_that_does_not_answer_delays_the_post_to_a_later_slot_and_it_is_never_sent_unchecked() {
    let deals = deals().await;
    let x = MockX::start(vec![MockAccount::of("patient", "7001")]).await;
    let config = account(&format!(
        "name = \"patient\"\nplatform = \"x\"\napi_base_url = \"{}\"\nposts_per_slot = 1\nmin_spacing_minutes = 0\n\
         recheck_timeout_secs = 1\n",
        x.base_url()
    ));
    let publisher = publisher(&deals, config);
    for (path, _) in PRODUCTS {
        deals.server.set(path, Behaviour::Hang);
    }

    // 9:00: the shop accepts the connection and never answers; the post waits, after the account's one second.
    let report = publisher.tick(slot(9)).await.unwrap();
    assert_eq!((report.queued, report.sent.len()), (1, 0), "{report:?}");
    let rows = publications(&deals.db, "patient").await;
    assert_eq!(rows.len(), 1);
    let post = rows[0].clone();
    assert_eq!(post.status, "queued", "the post stays queued");
    let waiting = post.last_error.clone().unwrap();
    assert!(waiting.starts_with(&format!("waiting for the next slot ({})", slot(13))), "{waiting}");
    assert!(waiting.contains("the shop did not answer within 1 s"), "{waiting}");
    assert_eq!(x.post_count(), 0, "never sent unchecked");

    // Ticks before the next slot neither send it nor ask the shop again.
    let asked = deals.server.requested().len();
    let report = publisher.tick(slot(9) + chrono::TimeDelta::minutes(30)).await.unwrap();
    assert!(report.sent.is_empty(), "{report:?}");
    assert_eq!(deals.server.requested().len(), asked);

    // 13:00: the shop answers with a server error: still waiting, for the reason the shop gave.
    for (path, _) in PRODUCTS {
        deals.server.set(path, Behaviour::Status { status: 503, headers: Vec::new() });
    }
    let report = publisher.tick(slot(13)).await.unwrap();
    assert_eq!((report.queued, report.sent.len()), (0, 0), "the waiting post keeps its place: {report:?}");
    let row = publications(&deals.db, "patient").await.into_iter().find(|row| row.id == post.id).unwrap();
    assert_eq!(row.status, "queued");
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("HTTP 503")), "{row:?}");
    assert_eq!(x.post_count(), 0, "never sent unchecked");

    // 18:00: the shop answers again, the deal unchanged: the post goes out, once.
    for (path, title) in PRODUCTS {
        deals.server.set(path, at_price(title, "19.99"));
    }
    let report = publisher.tick(slot(18)).await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert_eq!(report.sent[0].publication_id, post.id, "the post that waited is the one sent");
    assert_eq!(report.sent[0].text, post.text);
    assert_eq!(x.post_count(), 1);
    let row = publications(&deals.db, "patient").await.into_iter().find(|row| row.id == post.id).unwrap();
    assert_eq!((row.status.as_str(), row.last_error.as_deref()), ("published", None));
}

#[tokio::test]
async fn a_curated_approval_re_checks_the_deal_and_refuses_one_whose_price_rose() {
    let deals = deals().await;
    let x = MockX::start(vec![MockAccount::of("revue", "7001")]).await;
    let config = account(&format!(
        "name = \"revue\"\nplatform = \"x\"\napi_base_url = \"{}\"\nmode = \"curated\"\nposts_per_slot = 1\n\
         min_spacing_minutes = 0\n",
        x.base_url()
    ));
    let publisher = publisher(&deals, config.clone());
    let report = publisher.tick(slot(9)).await.unwrap();
    assert_eq!(report.queued, 3, "{report:?}");
    let pending = review::pending(&deals.db.pool, Some("revue")).await.unwrap();
    let lamp = pending.iter().find(|row| row.offer_title == "Lampe de chevet laiton").unwrap();
    let table = pending.iter().find(|row| row.offer_title == "Table basse").unwrap();
    deals.server.set("/p/table", at_price("Table basse", "29.99"));
    let rechecker = Rechecker::new(fetcher(), [deals.shop.clone()], ScoreWeights::default());

    let refused =
        review::approve_after_recheck(&deals.db.pool, Some(&rechecker), &config, table.id, None, "alice", slot(10))
            .await
            .unwrap_err();
    assert!(
        matches!(&refused, ReviewError::DealOver { reason, .. } if reason == "its price went up from 19.99 to 29.99 EUR")
    );
    assert_eq!(
        refused.to_string(),
        format!(
            "post {} was not approved: re-checked before approval, its price went up from 19.99 to 29.99 EUR; it left \
             the review queue",
            table.id
        )
    );
    let (price, _, _) = latest_observation(&deals.db, "Table basse").await;
    assert_eq!(price, dec("29.99"), "the new price is in the history");
    let rows = publications(&deals.db, "revue").await;
    let table_row = rows.iter().find(|row| row.id == table.id).unwrap();
    assert_eq!(table_row.status, "cancelled");
    assert_eq!(
        table_row.last_error.as_deref(),
        Some("re-checked before approval: its price went up from 19.99 to 29.99 EUR")
    );

    // Without the shop's answer, no approval either: the post still waits for review.
    deals.server.set("/p/lampe", Behaviour::Status { status: 503, headers: Vec::new() });
    let error =
        review::approve_after_recheck(&deals.db.pool, Some(&rechecker), &config, lamp.id, None, "alice", slot(10))
            .await
            .unwrap_err();
    assert!(matches!(&error, ReviewError::NotRechecked { reason, .. } if reason.contains("HTTP 503")), "{error}");
    assert_eq!(review::pending(&deals.db.pool, Some("revue")).await.unwrap().len(), 2);

    // The lamp, unchanged, is approved and goes out at the next slot.
    deals.server.set("/p/lampe", at_price("Lampe de chevet laiton", "19.99"));
    review::approve_after_recheck(&deals.db.pool, Some(&rechecker), &config, lamp.id, None, "alice", slot(10))
        .await
        .unwrap();
    let report = publisher.tick(slot(13)).await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert_eq!(report.sent[0].publication_id, lamp.id);
    assert_eq!(x.post_count(), 1);
}

/// Runs `dealcast` with `args` on `db`, configured by `config`, with the shop files of `scrapers` and the secrets of
/// the mock account `maison`; off the async runtime, so the loopback shop of the test can answer. Its standard output.
async fn dealcast(db: &TestDb, config: &Path, scrapers: &Path, args: &[&str]) -> String {
    let mock = MockAccount::of("maison", "7001");
    let mut command = support::cli::dealcast();
    command.arg("--scrapers").arg(scrapers).args(args);
    command.env("DATABASE_URL", support::database_url(db)).env("DEALCAST_CONFIG", config);
    for secret in ["CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"] {
        let variable = format!("DEALCAST_MAISON_{secret}");
        command.env(&variable, mock.env_of("maison", &variable).unwrap());
    }
    let output = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "dealcast {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dealcast_publish_re_checks_with_the_configured_shop_files_and_publications_says_why() {
    let now = Utc::now();
    let deals = deals_at(now - TimeDelta::days(35), now - TimeDelta::hours(1)).await;
    let x = MockX::start(vec![MockAccount::of("maison", "7001")]).await;
    let dir = tempfile::tempdir().unwrap();
    let scrapers = dir.path().join("scrapers");
    std::fs::create_dir_all(&scrapers).unwrap();
    std::fs::write(scrapers.join("maison.toml"), listed_shop::maison_file(&deals.server)).unwrap();
    let config = dir.path().join("dealcast.toml");
    std::fs::write(
        &config,
        format!(
            "[scrape]\nmin_delay_ms = 0\n\n[[accounts]]\nname = \"maison\"\nplatform = \"x\"\napi_base_url = \"{}\"\n\
             posts_per_slot = 3\nmin_spacing_minutes = 0\n",
            x.base_url()
        ),
    )
    .unwrap();
    deals.server.set("/p/table", at_price("Table basse", "29.99"));
    let table_asked = requests_for(&deals.server, "/p/table");

    let out = dealcast(&deals.db, &config, &scrapers, &["publish", "--now", "--account", "maison"]).await;
    assert!(out.contains("3 post(s) written, 2 sent"), "{out}");
    assert!(out.contains("re-checked before posting: its price went up from 19.99 to 29.99 EUR"), "{out}");
    assert_eq!(requests_for(&deals.server, "/p/table"), table_asked + 1, "read through the shop file's engine");
    assert_eq!(x.post_count(), 2);
    assert!(x.posts_of("7001").iter().all(|post| !post.sent_text.contains("Table basse")));

    let listed = dealcast(&deals.db, &config, &scrapers, &["publications", "--account", "maison"]).await;
    assert_eq!(listed.matches(" published ").count(), 2, "{listed}");
    assert!(listed.contains(" cancelled "), "{listed}");
    assert!(listed.contains("(re-checked before posting: its price went up from 19.99 to 29.99 EUR)"), "{listed}");
}
