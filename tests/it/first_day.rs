//! An account's first day with a shop just added, through the real binary, a loopback shop harvested for real and
//! the mock X API: the shop shows crossed-out prices dealcast has never seen before their reductions, so no deal has
//! a real discount yet. `publish --dry-run` says so, with counts and when real discounts can be expected; a curated
//! account with `filters.claimed = "review"` puts the best claims in front of a person, worded as the shop's
//! claim, and posts the one approved; an auto account posts nothing. After a harvest that sees prices fall, the
//! same dry run lists real-discount posts and its counts change.

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use dealcast::common::toml_problems::parse_all;
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::{Clock, harvest_shop};
use dealcast::publish::accounts::{AccountConfig, ClaimedDeals};
use dealcast::publish::claimed_wording::ATTRIBUTION;
use dealcast::publish::publisher::Publisher;
use dealcast::publish::review::{self, APPROVED_CLAIM};
use dealcast::publish::selection;
use dealcast::scrape::crawl::CrawlOptions;
use dealcast::scrape::fetch::{FetchSettings, Fetcher, HostPolicy};
use dealcast::scrape::registry::Shop;
use support::TestDb;
use support::listed_shop;
use support::loopback_shop::{self, Behaviour, LoopbackShop, product_page};
use support::mock_x::{MockAccount, MockX};

/// The shop's products on the first day: (path, title, price, crossed-out price).
const FIRST_DAY: [(&str, &str, &str, Option<&str>); 7] = [
    ("/p/lampe", "Lampe de chevet laiton", "25.00", Some("50.00")),
    ("/p/vase", "Vase en grès", "18.00", Some("30.00")),
    ("/p/plaid", "Plaid en laine", "42.00", Some("60.00")),
    ("/p/coussin", "Coussin lin", "16.00", Some("20.00")),
    ("/p/bougie", "Bougie parfumée", "9.00", Some("10.00")),
    ("/p/miroir", "Miroir rond", "80.00", Some("100.00")),
    ("/p/tapis", "Tapis berbère", "120.00", None),
];

const NBSP: char = '\u{a0}';

fn html(body: Vec<u8>) -> Behaviour {
    Behaviour::Page { content_type: "text/html; charset=utf-8", body }
}

/// The loopback shop as it is on the first day, and dealcast's description of it.
async fn new_shop() -> (LoopbackShop, Shop) {
    let mut routes = HashMap::new();
    routes.insert("/list".to_string(), listed_shop::listing(FIRST_DAY.iter().map(|(path, ..)| *path)));
    for (path, title, price, previous) in FIRST_DAY {
        routes.insert(path.to_string(), html(product_page(title, price, previous)));
    }
    let server = loopback_shop::start(routes).await;
    let shop = listed_shop::maison(&server);
    (server, shop)
}

/// One harvest of `shop` as if it ran at `at`.
async fn harvest(db: &TestDb, shop: &Shop, at: DateTime<Utc>) {
    let fetcher = Fetcher::new(FetchSettings {
        default_host_policy: HostPolicy { min_delay: std::time::Duration::ZERO, max_concurrency: 8 },
        ..support::outbound::loopback_fetch_settings()
    })
    .unwrap();
    let time = Arc::new(Mutex::new(at));
    let clock: Clock = Arc::new(move || *time.lock().unwrap());
    harvest_shop(&db.pool, &fetcher, shop, &CrawlOptions::default(), "test", &ScoreWeights::default(), &clock)
        .await
        .unwrap();
}

/// An auto account posting real discounts from 0 % (the lowest an operator can set), and a curated account
/// reviewing the shop's claims on the mock X.
fn accounts(x: &MockX) -> String {
    format!(
        "[[accounts]]\nname = \"twittzat\"\nplatform = \"dry_run\"\nposts_per_slot = 4\nmin_spacing_minutes = 0\n\
         filters = {{ min_real_discount = 0, verdicts = [\"honest\", \"unverified\"] }}\n\n\
         [[accounts]]\nname = \"revue\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{}\"\nmode = \"curated\"\n\
         posts_per_slot = 1\nmin_spacing_minutes = 0\nfilters = {{ min_real_discount = 0, claimed = \"review\" }}\n",
        x.base_url()
    )
}

fn config_file(tag: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("dealcast-first-day-{}-{tag}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn dealcast(db: &TestDb, config: &std::path::Path, args: &[&str]) -> Run {
    let mut command = tokio::process::Command::from(support::cli::dealcast());
    let output = command
        .args(args)
        .env("DATABASE_URL", support::database_url(db))
        .env("DEALCAST_CONFIG", config)
        .output()
        .await
        .expect("run dealcast");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn succeeds(db: &TestDb, config: &std::path::Path, args: &[&str]) -> String {
    let run = dealcast(db, config, args).await;
    assert!(run.ok, "dealcast {args:?} failed:\n{}\n{}", run.stdout, run.stderr);
    run.stdout
}

fn account_named(text: &str, name: &str) -> AccountConfig {
    #[derive(serde::Deserialize)]
    struct File {
        accounts: Vec<AccountConfig>,
    }
    let file: File = parse_all(text).unwrap();
    file.accounts.into_iter().find(|account| account.name == name).unwrap()
}

async fn publications_of(db: &TestDb, account: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM publications WHERE account_id = $1")
        .bind(account)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// The first day: a fresh database after the new shop's first harvest, two hours ago; the mock X, with the curated
/// account's user; the accounts' configuration, as text and as the file `tag` names.
struct FirstDay {
    db: TestDb,
    server: LoopbackShop,
    shop: Shop,
    first_harvest: DateTime<Utc>,
    x: MockX,
    text: String,
    config: std::path::PathBuf,
}

async fn first_day(tag: &str) -> FirstDay {
    let db = support::fresh_database().await;
    let (server, shop) = new_shop().await;
    let first_harvest = Utc::now() - TimeDelta::hours(2);
    harvest(&db, &shop, first_harvest).await;
    let x = MockX::start(vec![MockAccount::of("revue", "6001")]).await;
    let text = accounts(&x);
    let config = config_file(tag, &text);
    FirstDay { db, server, shop, first_harvest, x, text, config }
}

#[tokio::test]
async fn on_the_first_day_the_dry_run_says_why_and_a_person_may_approve_a_shops_claim_worded_as_such() {
    let FirstDay { db, server, shop, first_harvest, x, text, config } = first_day("claims").await;

    // The auto account: nothing, and why, with counts and when real discounts come.
    let out = succeeds(&db, &config, &["publish", "--account", "twittzat", "--dry-run"]).await;
    assert!(out.contains("twittzat: 0 post(s) would go out now"), "{out}");
    assert!(out.contains("0 of the 4 post(s) a slot wants would go out now. Of the 6 best deal(s)"), "{out}");
    assert!(
        out.contains("     6  no real discount yet: dealcast has not seen their price before the reduction"),
        "{out}"
    );
    let checked_from = (first_harvest + TimeDelta::days(30)).format("%Y-%m-%d").to_string();
    assert!(out.contains("Shop maison (Maison Lumière) is new to dealcast"), "{out}");
    assert!(
        out.contains("no price change observed yet. Its 6 deal(s) get a real discount as soon as a harvest"),
        "{out}"
    );
    assert!(out.contains(&format!("every claim can be checked from {checked_from} (30 days of history)")), "{out}");
    assert!(out.contains("An auto account posts only real discounts, never a shop's claim alone"), "{out}");

    // The curated account puts the best claims in front of a person, worded as the shop's claim.
    let revue = account_named(&text, "revue");
    let mock = MockAccount::of("revue", "6001");
    let publisher = Publisher::new(db.pool.clone(), revue, "test", |v| mock.env_of("revue", v)).unwrap();
    let report = publisher.slot_now(Utc::now()).await.unwrap();
    assert_eq!((report.queued, report.sent.len()), (3, 0), "{report:?}");
    let pending = review::pending(&db.pool, Some("revue")).await.unwrap();
    let best: Vec<String> = sqlx::query_scalar(
        "SELECT title FROM offers WHERE verdict = 'unverified' AND real_discount_pct IS NULL ORDER BY score DESC LIMIT 3",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut proposed: Vec<String> = pending.iter().map(|row| row.offer_title.clone()).collect();
    proposed.sort();
    let mut expected = best.clone();
    expected.sort();
    assert_eq!(proposed, expected, "the best claimed deals");
    assert!(best.iter().any(|title| title == "Lampe de chevet laiton"), "{best:?}");
    for row in &pending {
        assert!(row.claim_only, "{row:?}");
        assert!(row.text.contains(ATTRIBUTION), "{}", row.text);
        assert!(row.text.contains("non vérifi") && !row.text.contains("30 derniers jours"), "{}", row.text);
    }
    let listed = succeeds(&db, &config, &["curate", "list", "--account", "revue"]).await;
    assert_eq!(listed.matches("UNVERIFIED: only the shop's claimed discount").count(), 3, "{listed}");
    assert!(
        listed.contains(&format!(
            "Lampe de chevet laiton à 25,00{NBSP}€ chez Maison Lumière (-50{NBSP}% annoncé par la boutique"
        )),
        "{listed}"
    );

    // Approving: an edit must keep the attribution; the approval records who approved the claim.
    let lampe = pending.iter().find(|row| row.offer_title == "Lampe de chevet laiton").unwrap();
    let id = lampe.id.to_string();
    let refused = dealcast(&db, &config, &["curate", "approve", &id, "--text", "Lampe à 25 € !"]).await;
    assert!(!refused.ok && refused.stderr.contains("must keep \"annoncé par la boutique\""), "{}", refused.stderr);
    let approved = succeeds(&db, &config, &["curate", "approve", &id, "--by", "zoe"]).await;
    assert!(approved.contains("approved by zoe"), "{approved}");
    let decision: (String, Option<String>) =
        sqlx::query_as("SELECT decided_by, reason FROM review_decisions WHERE publication_id = $1")
            .bind(lampe.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(decision, ("zoe".to_string(), Some(APPROVED_CLAIM.to_string())));

    // The next slot posts it to X with the shop's-claim wording.
    let report = publisher.slot_now(Utc::now() + TimeDelta::minutes(2)).await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    let posts = x.posts_of("6001");
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0].sent_text.starts_with("Lampe de chevet laiton à 25,00\u{a0}€ chez Maison Lumière"),
        "{}",
        posts[0].sent_text
    );
    assert!(
        posts[0].sent_text.contains(&format!("-50{NBSP}% annoncé par la boutique, non vérifié")),
        "{}",
        posts[0].sent_text
    );

    // An approved claim that a later harvest shows inflated (the vase keeps its "was" 30.00 after being seen at
    // 18.00) is never sent.
    let vase = pending.iter().find(|row| row.offer_title == "Vase en grès").unwrap();
    succeeds(&db, &config, &["curate", "approve", &vase.id.to_string(), "--by", "zoe"]).await;
    server.set("/p/vase", html(product_page("Vase en grès", "15.00", Some("30.00"))));
    harvest(&db, &shop, Utc::now()).await;
    let report = publisher.slot_now(Utc::now() + TimeDelta::minutes(4)).await.unwrap();
    assert!(report.sent.is_empty(), "{report:?}");
    assert_eq!(x.posts_of("6001").len(), 1);
    let (status, why): (String, Option<String>) =
        sqlx::query_as("SELECT status, last_error FROM publications WHERE id = $1")
            .bind(vase.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(status, "cancelled");
    assert!(why.is_some_and(|why| why.contains("claimed discount was found inflated")));

    // The auto account still posts nothing, and could not be set to post claims.
    let out = succeeds(&db, &config, &["publish", "--account", "twittzat", "--now"]).await;
    assert!(out.contains("twittzat: 0 post(s) written, 0 sent"), "{out}");
    assert_eq!(publications_of(&db, "twittzat").await, 0);
    // Even built in code, past the configuration's check, an auto account is offered no claim.
    let mut auto = account_named(&text, "twittzat");
    auto.filters.claimed = ClaimedDeals::Review;
    assert!(selection::for_slot(&db.pool, &auto, Utc::now()).await.unwrap().is_empty());
    let auto_claims = config_file(
        "auto-claims",
        "[[accounts]]\nname = \"auto\"\nplatform = \"dry_run\"\nfilters = { claimed = \"review\" }\n",
    );
    let refused = dealcast(&db, &auto_claims, &["publish", "--dry-run"]).await;
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(refused.stderr.contains("filters.claimed = \"review\" needs mode = \"curated\""), "{}", refused.stderr);
    for file in [config, auto_claims] {
        let _ = std::fs::remove_file(file);
    }
}

#[tokio::test]
async fn after_a_harvest_sees_prices_fall_the_dry_run_lists_real_discounts_and_its_counts_change() {
    let FirstDay { db, server, shop, first_harvest, config, .. } = first_day("drops").await;
    let out = succeeds(&db, &config, &["publish", "--account", "twittzat", "--dry-run"]).await;
    assert!(
        out.contains("twittzat: 0 post(s) would go out now") && out.contains("     6  no real discount yet"),
        "{out}"
    );

    // An hour later: two prices fall (one with the old price as the "was" price, one silently); a third drops
    // while keeping a "was" price dealcast has seen it charge less than: inflated, and never offered.
    server.set("/p/lampe", html(product_page("Lampe de chevet laiton", "20.00", Some("25.00"))));
    server.set("/p/vase", html(product_page("Vase en grès", "15.00", None)));
    server.set("/p/plaid", html(product_page("Plaid en laine", "35.00", Some("60.00"))));
    harvest(&db, &shop, first_harvest + TimeDelta::hours(1)).await;

    let out = succeeds(&db, &config, &["publish", "--account", "twittzat", "--dry-run"]).await;
    assert!(out.contains("twittzat: 2 post(s) would go out now"), "{out}");
    assert!(out.contains(&format!("Lampe de chevet laiton à 20,00{NBSP}€ chez Maison Lumière (-20{NBSP}% vs le prix le plus bas des 30 derniers jours)")), "{out}");
    assert!(out.contains(&format!("Vase en grès à 15,00{NBSP}€ chez Maison Lumière (-17{NBSP}% vs le prix")), "{out}");
    assert!(!out.contains("Plaid"), "an inflated deal is never offered:\n{out}");
    assert!(out.contains("2 of the 4 post(s) a slot wants would go out now. Of the 6 best deal(s)"), "{out}");
    assert!(out.contains("     3  no real discount yet"), "{out}");
    assert!(out.contains("     1  verdict not allowed by filters.verdicts"), "{out}");
    assert!(out.contains("first seen") && out.contains("3 offer(s) have changed price since"), "{out}");
    let _ = std::fs::remove_file(config);
}
