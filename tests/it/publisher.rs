//! The publisher against the mock X API (which checks every OAuth 1.0a signature), in controlled time: a whole day
//! of slots in a few seconds, rate limits, refused credentials, server errors, curated review, two publishers at
//! once. Deals are written as judged offers (verdict, reference price, score), as the harvest leaves them.

use crate::support;
use crate::support::builders::ShopSeed;
use crate::support::builders::dec;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Paris;
use dealcast::common::money_format;
use dealcast::publish::account_state;
use dealcast::publish::accounts::AccountConfig;
use dealcast::publish::french::format_percent;
use dealcast::publish::publisher::Publisher;
use dealcast::publish::review::{self, ReviewError};
use dealcast::publish::text_length::weighted_length;
use dealcast::publish::x::oauth::Credentials;
use rust_decimal::Decimal;
use sqlx::PgPool;
use support::mock_x::{Fault, MockAccount, MockX};

fn credentials(tag: &str) -> Credentials {
    Credentials {
        consumer_key: format!("ck-{tag}"),
        consumer_secret: format!("cs-{tag}"),
        token: format!("at-{tag}"),
        token_secret: format!("ats-{tag}"),
    }
}

fn mock_account(tag: &str, user_id: &str) -> MockAccount {
    MockAccount { credentials: credentials(tag), user_id: user_id.to_string(), username: tag.to_string() }
}

/// The secrets of account `name` as its environment would hold them (`DEALCAST_<NAME>_*`).
fn env_for(name: &str, creds: Credentials) -> impl Fn(&str) -> Option<String> {
    let prefix = format!("DEALCAST_{}_", name.to_ascii_uppercase());
    move |variable: &str| {
        let secret = variable.strip_prefix(&prefix)?;
        Some(match secret {
            "CONSUMER_KEY" => creds.consumer_key.clone(),
            "CONSUMER_SECRET" => creds.consumer_secret.clone(),
            "ACCESS_TOKEN" => creds.token.clone(),
            "ACCESS_TOKEN_SECRET" => creds.token_secret.clone(),
            _ => return None,
        })
    }
}

fn account(toml_text: &str) -> AccountConfig {
    toml::from_str(toml_text).expect("a valid account")
}

fn paris(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Paris.from_local_datetime(&date.and_hms_opt(hour, minute, 0).unwrap()).unwrap().with_timezone(&Utc)
}

/// Shop `id` and one finished run of it, healthy or not; returns the run's id.
async fn add_shop_and_run(pool: &PgPool, id: &str, name: &str, healthy: bool) -> i64 {
    let shop = ShopSeed::new(id).name(name);
    if healthy { shop } else { shop.unhealthy(None) }.insert(pool).await;
    sqlx::query_scalar(
        "INSERT INTO scrape_runs (shop_id, status, finished_at, healthy) VALUES ($1, 'succeeded', now(), $2) RETURNING id",
    )
    .bind(id)
    .bind(healthy)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A judged deal: `price` now, `reference` the lowest price of the 30 days before; returns the offer's id.
#[allow(clippy::too_many_arguments)]
async fn add_deal(
    pool: &PgPool,
    shop: &str,
    run: i64,
    title: &str,
    price: &str,
    reference: &str,
    verdict: &str,
    score: &str,
    gtin: Option<&str>,
) -> i64 {
    let (price, reference) = (dec(price), dec(reference));
    let real = ((reference - price) / reference * Decimal::ONE_HUNDRED).round_dp(1);
    sqlx::query_scalar(
        "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price, previous_price, reference_price,
             real_discount_pct, claimed_discount_pct, verdict, score, gtin, last_run_id, judged_at)
         VALUES ($1, $2, $2, $3, 'EUR', $4, $5, $5, $6, $6, $7, $8, $9, $10, now()) RETURNING id",
    )
    .bind(shop)
    .bind(format!("https://www.{shop}.example/p/{}", title.to_lowercase().replace(' ', "-")))
    .bind(title)
    .bind(price)
    .bind(reference)
    .bind(real)
    .bind(verdict)
    .bind(dec(score))
    .bind(gtin)
    .bind(run)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// What every post must be: within 280 weighted characters, with French figures and the real discount.
fn assert_honest_french_post(text: &str) {
    assert!(weighted_length(text) <= 280, "too long ({}): {text}", weighted_length(text));
    assert!(text.contains("\u{a0}€"), "no French price in: {text}");
    assert!(text.contains("\u{a0}%") && text.contains("30 derniers jours"), "no real discount in: {text}");
}

/// Three healthy shops (kiabi, sephora, decathlon); returns the ids of their runs.
async fn three_shops(pool: &PgPool) -> (i64, i64, i64) {
    let kiabi = add_shop_and_run(pool, "kiabi", "Kiabi", true).await;
    let sephora = add_shop_and_run(pool, "sephora", "Sephora", true).await;
    let decathlon = add_shop_and_run(pool, "decathlon", "Decathlon", true).await;
    (kiabi, sephora, decathlon)
}

async fn published(pool: &PgPool, account: &str) -> Vec<(i64, DateTime<Utc>, String)> {
    sqlx::query_as(
        "SELECT p.offer_id, p.published_at, o.shop_id FROM publications p JOIN offers o ON o.id = p.offer_id
         WHERE p.account_id = $1 AND p.status = 'published' ORDER BY p.published_at",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_day_of_slots_posts_the_best_deals_spaced_within_caps_budget_and_quiet_hours() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let x = MockX::start(vec![mock_account("daily", "1001"), mock_account("budget", "1002")]).await;
    let (kiabi, sephora, decathlon) = three_shops(pool).await;
    let broken = add_shop_and_run(pool, "broken", "Broken Shop", false).await;
    // The best score of all, but a fake "was" price: never posted.
    let inflated = add_deal(pool, "kiabi", kiabi, "Manteau long", "39.99", "39.99", "inflated", "99", None).await;
    // An unhealthy shop's latest run: held back.
    let unhealthy = add_deal(pool, "broken", broken, "Vélo", "99.00", "199.00", "honest", "98", None).await;
    let mut honest = Vec::new();
    for (i, (shop, run)) in [("kiabi", kiabi), ("sephora", sephora), ("decathlon", decathlon)].iter().enumerate() {
        for n in 0..5 {
            let score = format!("{}", 90 - n * 3 - i);
            let title = format!("Article {shop} numéro {n}");
            let price = format!("{}.99", 10 + n);
            honest.push(add_deal(pool, shop, *run, &title, &price, "49.99", "honest", &score, None).await);
        }
    }
    let base = x.base_url();
    let daily = account(&format!(
        "name = \"daily\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{base}\"\nschedule = \"0 0 7,9,12,15,18,23 * * *\"\n\
         posts_per_slot = 2\nmin_spacing_minutes = 45\nquiet_hours = \"22:00-08:00\"\ndaily_cap = 7\n\
         per_shop_daily_cap = 3\n"
    ));
    let budget = account(&format!(
        "name = \"budget\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{base}\"\nschedule = \"0 30 9,13,17 * * *\"\n\
         min_spacing_minutes = 60\nmonthly_budget = 2.50\nbudget_currency = \"USD\"\ncost_per_post = 0.10\n\
         cost_per_post_with_link = 1.00\n"
    ));
    let daily = Publisher::new(pool.clone(), daily, "test", env_for("daily", credentials("daily"))).unwrap();
    let budget = Publisher::new(pool.clone(), budget, "test", env_for("budget", credentials("budget"))).unwrap();

    let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let mut now = paris(day, 0, 0);
    while now < paris(day.succ_opt().unwrap(), 0, 0) {
        daily.tick(now).await.unwrap();
        budget.tick(now).await.unwrap();
        now += TimeDelta::minutes(5);
    }

    let daily_posts = published(pool, "daily").await;
    let times: Vec<(u32, u32)> = daily_posts
        .iter()
        .map(|(_, at, _)| {
            let local = at.with_timezone(&Paris);
            (local.hour(), local.minute())
        })
        .collect();
    // 07:00 and 23:00 fall in the quiet hours; two posts a slot, 45 minutes apart; the daily cap of 7 stops the
    // second post of 18:00.
    assert_eq!(times, [(9, 0), (9, 45), (12, 0), (12, 45), (15, 0), (15, 45), (18, 0)]);
    let budget_posts = published(pool, "budget").await;
    let times: Vec<(u32, u32)> = budget_posts
        .iter()
        .map(|(_, at, _)| (at.with_timezone(&Paris).hour(), at.with_timezone(&Paris).minute()))
        .collect();
    // 2.50 of budget at 1.00 a post with a link: the 17:30 slot waits.
    assert_eq!(times, [(9, 30), (13, 30)]);

    for posts in [&daily_posts, &budget_posts] {
        for pair in posts.windows(2) {
            assert_ne!(pair[0].2, pair[1].2, "two posts in a row from {}", pair[0].2);
        }
        for shop in ["kiabi", "sephora", "decathlon"] {
            assert!(posts.iter().filter(|p| p.2 == shop).count() <= 3, "more than 3 posts of {shop}");
        }
        assert!(posts.iter().all(|p| p.0 != inflated && p.0 != unhealthy && honest.contains(&p.0)));
    }
    // The best honest deal went first.
    assert_eq!(daily_posts[0].0, honest[0]);
    // On the mock: the same count, each post honest and French, and no two identical texts across accounts.
    let remote: Vec<_> = x.posts_of("1001").into_iter().chain(x.posts_of("1002")).collect();
    assert_eq!(remote.len(), 9);
    for post in &remote {
        assert_honest_french_post(&post.sent_text);
    }
    let distinct: HashSet<&str> = remote.iter().map(|p| p.sent_text.as_str()).collect();
    assert_eq!(distinct.len(), remote.len(), "two posts have the same text");
    // The best deal was posted by both accounts, in different words.
    let best_texts: Vec<&str> = remote
        .iter()
        .filter(|p| p.sent_text.contains("Article kiabi numéro 0"))
        .map(|p| p.sent_text.as_str())
        .collect();
    assert_eq!(best_texts.len(), 2, "{best_texts:?}");
    assert!(best_texts[0].contains(&money_format::french(dec("10.99"), Some("EUR"))));
    assert!(best_texts[0].contains(&format_percent(dec("-78.01"))));
}

async fn one_deal_setup(pool: &PgPool) -> i64 {
    let run = add_shop_and_run(pool, "kiabi", "Kiabi", true).await;
    add_deal(pool, "kiabi", run, "Pull col roulé", "19.99", "29.99", "honest", "80", None).await
}

fn simple_account(name: &str, base: &str) -> AccountConfig {
    account(&format!(
        "name = \"{name}\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{base}\"\nmin_spacing_minutes = 0\n\
         schedule = \"0 0 9 * * *\"\n"
    ))
}

#[tokio::test]
async fn a_rate_limit_holds_every_request_until_its_reset() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    one_deal_setup(pool).await;
    let x = MockX::start(vec![mock_account("rl", "2001")]).await;
    let publisher =
        Publisher::new(pool.clone(), simple_account("rl", &x.base_url()), "test", env_for("rl", credentials("rl")))
            .unwrap();
    let now = Utc::now();
    x.fail_next(Fault::RateLimited { reset_at: now.timestamp() + 60 });
    let report = publisher.slot_now(now).await.unwrap();
    assert!(report.sent.is_empty() && report.held.as_deref().unwrap_or("").contains("rate limit"), "{report:?}");
    let requests = x.request_count();
    for seconds in [1, 30, 59] {
        let report = publisher.tick(now + TimeDelta::seconds(seconds)).await.unwrap();
        assert!(report.sent.is_empty());
    }
    assert_eq!(x.request_count(), requests, "a request reached X before the rate limit's reset");
    let report = publisher.tick(now + TimeDelta::seconds(61)).await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert_eq!(x.post_count(), 1);
}

#[tokio::test]
async fn a_refused_credential_stops_that_account_with_a_clear_error_and_the_others_go_on() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    one_deal_setup(pool).await;
    let x = MockX::start(vec![mock_account("good", "3001"), mock_account("bad", "3002")]).await;
    let mut wrong = credentials("bad");
    wrong.consumer_secret = "revoked".to_string();
    let bad =
        Publisher::new(pool.clone(), simple_account("bad", &x.base_url()), "test", env_for("bad", wrong)).unwrap();
    let good = Publisher::new(
        pool.clone(),
        simple_account("good", &x.base_url()),
        "test",
        env_for("good", credentials("good")),
    )
    .unwrap();
    let now = Utc::now();
    let report = bad.slot_now(now).await.unwrap();
    let stopped = report.stopped.expect("the account is stopped");
    assert!(stopped.contains("credentials") && stopped.contains("accounts resume bad"), "{stopped}");
    let state = account_state::all(pool).await.unwrap().into_iter().find(|a| a.id == "bad").unwrap();
    assert!(state.paused && state.paused_reason.unwrap().contains("401"));

    let report = good.slot_now(now).await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    // The stopped account sends nothing more, slot after slot.
    let requests = x.request_count();
    bad.slot_now(now + TimeDelta::minutes(5)).await.unwrap();
    assert_eq!(x.request_count(), requests);
    assert!(x.posts_of("3002").is_empty());
}

#[tokio::test]
async fn a_server_error_is_reconciled_then_retried_and_a_dropped_answer_is_found_not_reposted() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let run = add_shop_and_run(pool, "kiabi", "Kiabi", true).await;
    add_deal(pool, "kiabi", run, "Pull col roulé", "19.99", "29.99", "honest", "80", None).await;
    let sephora = add_shop_and_run(pool, "sephora", "Sephora", true).await;
    add_deal(pool, "sephora", sephora, "Mascara volume", "9.99", "14.99", "honest", "70", None).await;
    let x = MockX::start(vec![mock_account("flaky", "4001")]).await;
    let publisher = Publisher::new(
        pool.clone(),
        simple_account("flaky", &x.base_url()),
        "test",
        env_for("flaky", credentials("flaky")),
    )
    .unwrap();
    let now = Utc::now();
    x.fail_next(Fault::ServerError);
    let report = publisher.slot_now(now).await.unwrap();
    assert!(report.sent.is_empty() && report.held.as_deref().unwrap_or("").contains("next attempt"), "{report:?}");
    assert_eq!(x.post_count(), 0);
    // The retry waits for its backoff, then goes out once.
    assert!(publisher.tick(now + TimeDelta::seconds(30)).await.unwrap().sent.is_empty());
    assert_eq!(publisher.tick(now + TimeDelta::minutes(3)).await.unwrap().sent.len(), 1);
    assert_eq!(x.post_count(), 1);

    // X stores the next post but the connection drops before its answer: the post is found, not sent again.
    x.fail_next(Fault::AcceptThenDrop);
    let report = publisher.slot_now(now + TimeDelta::minutes(10)).await.unwrap();
    assert_eq!((report.sent.len(), report.reconciled), (1, 1), "{report:?}");
    assert_eq!(x.post_count(), 2);
    let remote_ids: HashSet<String> = x.posts_of("4001").into_iter().map(|p| p.id).collect();
    let recorded: Vec<String> =
        sqlx::query_scalar("SELECT remote_id FROM publications WHERE status = 'published' ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(recorded.into_iter().collect::<HashSet<_>>(), remote_ids);
}

#[tokio::test]
async fn two_publishers_of_one_account_at_the_same_slot_make_one_post() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let run = add_shop_and_run(pool, "kiabi", "Kiabi", true).await;
    for n in 0..4 {
        add_deal(pool, "kiabi", run, &format!("Chemise {n}"), "19.99", "29.99", "honest", "80", None).await;
    }
    let x = MockX::start(vec![mock_account("twin", "5001")]).await;
    let second_pool =
        sqlx::postgres::PgPoolOptions::new().max_connections(4).connect_with(db.options.clone()).await.unwrap();
    let make = |pool: PgPool| {
        Publisher::new(pool, simple_account("twin", &x.base_url()), "test", env_for("twin", credentials("twin")))
            .unwrap()
    };
    let (first, second) = (make(pool.clone()), make(second_pool));
    let slot = paris(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(), 9, 0);
    let (a, b) = tokio::join!(first.tick(slot), second.tick(slot));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent.len() + b.sent.len(), 1, "{a:?}\n{b:?}");
    // Either the other was busy, or it came after and found the slot served.
    for late in [first.tick(slot + TimeDelta::seconds(1)).await.unwrap(), second.tick(slot).await.unwrap()] {
        assert!(late.sent.is_empty() && late.slot.is_none());
    }
    assert_eq!(x.post_count(), 1);
}

#[tokio::test]
async fn a_curated_account_posts_only_what_a_person_approved_with_the_edited_text() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let run = add_shop_and_run(pool, "kiabi", "Kiabi", true).await;
    let sephora = add_shop_and_run(pool, "sephora", "Sephora", true).await;
    add_deal(pool, "kiabi", run, "Doudoune légère", "29.99", "59.99", "honest", "90", None).await;
    add_deal(pool, "sephora", sephora, "Palette yeux", "19.99", "39.99", "honest", "85", None).await;
    let x = MockX::start(vec![mock_account("curated", "6001")]).await;
    let config = account(&format!(
        "name = \"curated\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{}\"\nmode = \"curated\"\nposts_per_slot = 1\n\
         min_spacing_minutes = 0\nschedule = \"0 0 9,12 * * *\"\n",
        x.base_url()
    ));
    let publisher = Publisher::new(pool.clone(), config, "test", env_for("curated", credentials("curated"))).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let report = publisher.tick(paris(day, 9, 0)).await.unwrap();
    assert_eq!((report.queued, report.sent.len()), (2, 0), "{report:?}");
    assert_eq!(x.request_count(), 0, "nothing goes out before a person approves");

    let pending = review::pending(pool, Some("curated")).await.unwrap();
    assert_eq!(pending.len(), 2);
    let (doudoune, palette) = (&pending[0], &pending[1]);
    let too_long = "a".repeat(281);
    assert!(matches!(
        review::approve(pool, doudoune.id, Some(&too_long), "alice", Utc::now()).await,
        Err(ReviewError::TooLong { length: 281 })
    ));
    let edited = format!("Coup de cœur : {}", doudoune.text);
    review::approve(pool, doudoune.id, Some(&edited), "alice", Utc::now()).await.unwrap();
    review::reject(pool, palette.id, Some("pas notre style"), "alice", Utc::now()).await.unwrap();
    assert!(matches!(
        review::approve(pool, palette.id, None, "alice", Utc::now()).await,
        Err(ReviewError::NotPending { .. })
    ));

    // The approved post waits for the next slot, then goes out with the edited words.
    assert!(publisher.tick(paris(day, 10, 0)).await.unwrap().sent.is_empty());
    let report = publisher.tick(paris(day, 12, 0)).await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    let posts = x.posts_of("6001");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].sent_text, edited);
    let decisions: i64 = sqlx::query_scalar("SELECT count(*) FROM review_decisions WHERE decided_by = 'alice'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(decisions, 2);
}

#[tokio::test]
async fn a_deal_is_posted_again_only_after_a_real_further_drop_and_a_week() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let run = add_shop_and_run(pool, "kiabi", "Kiabi", true).await;
    let offer = add_deal(pool, "kiabi", run, "Baskets cuir", "50.00", "80.00", "honest", "80", None).await;
    let sephora = add_shop_and_run(pool, "sephora", "Sephora", true).await;
    // The same product (GTIN) elsewhere: once posted from one shop, never from another.
    let gtin = "04006381333931";
    add_deal(pool, "sephora", sephora, "Parfum A", "40.00", "60.00", "honest", "75", Some(gtin)).await;
    add_deal(pool, "kiabi", run, "Parfum A (Kiabi)", "41.00", "60.00", "honest", "74", Some(gtin)).await;
    let x = MockX::start(vec![mock_account("again", "7001")]).await;
    let publisher = Publisher::new(
        pool.clone(),
        simple_account("again", &x.base_url()),
        "test",
        env_for("again", credentials("again")),
    )
    .unwrap();
    let start = Utc::now();
    let posted =
        |report: dealcast::publish::publisher::TickReport| report.sent.iter().map(|s| s.offer_id).collect::<Vec<_>>();
    assert_eq!(posted(publisher.slot_now(start).await.unwrap()), [offer]);
    let second = posted(publisher.slot_now(start + TimeDelta::minutes(1)).await.unwrap());
    assert_eq!(second.len(), 1, "the perfume from one shop");
    assert!(
        publisher.slot_now(start + TimeDelta::minutes(2)).await.unwrap().sent.is_empty(),
        "not the same GTIN again"
    );

    let set_price = |price: &'static str| async move {
        sqlx::query("UPDATE offers SET price = $2 WHERE id = $1")
            .bind(offer)
            .bind(dec(price))
            .execute(pool)
            .await
            .unwrap();
    };
    set_price("47.00").await; // 6 % lower, but only 3 days later
    let report = publisher.slot_now(start + TimeDelta::days(3)).await.unwrap();
    assert!(report.slot.is_some() && report.sent.is_empty(), "{report:?}");
    set_price("48.50").await; // 8 days later, but only 3 % lower
    let report = publisher.slot_now(start + TimeDelta::days(8)).await.unwrap();
    assert!(report.slot.is_some() && report.sent.is_empty(), "{report:?}");
    set_price("47.00").await;
    // 6 % lower and 8 days later: a new deal.
    assert_eq!(posted(publisher.slot_now(start + TimeDelta::days(8) + TimeDelta::minutes(1)).await.unwrap()), [offer]);
    assert_eq!(x.post_count(), 3);
}

#[tokio::test]
async fn the_product_image_goes_with_the_post_and_a_too_big_one_is_left_out() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let run = add_shop_and_run(pool, "kiabi", "Kiabi", true).await;
    let with_image = add_deal(pool, "kiabi", run, "Sac cabas", "19.99", "39.99", "honest", "90", None).await;
    let sephora = add_shop_and_run(pool, "sephora", "Sephora", true).await;
    let with_huge = add_deal(pool, "sephora", sephora, "Coffret parfum", "29.99", "59.99", "honest", "80", None).await;
    // A 1x1 PNG, and an image over X's 5 MB.
    let png: Vec<u8> = vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1,
        8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ];
    let shop = support::loopback_shop::start(std::collections::HashMap::from([
        ("/img/sac.png".to_string(), support::loopback_shop::Behaviour::Page { content_type: "image/png", body: png }),
        (
            "/img/coffret.png".to_string(),
            support::loopback_shop::Behaviour::Page { content_type: "image/png", body: vec![0; 6 * 1024 * 1024] },
        ),
    ]))
    .await;
    for (offer, path) in [(with_image, "/img/sac.png"), (with_huge, "/img/coffret.png")] {
        sqlx::query("UPDATE offers SET image_url = $2 WHERE id = $1")
            .bind(offer)
            .bind(shop.url(path).to_string())
            .execute(pool)
            .await
            .unwrap();
    }
    let x = MockX::start(vec![mock_account("pics", "9001")]).await;
    let mut config = simple_account("pics", &x.base_url());
    config.attach_image = true;
    let images = dealcast::scrape::fetch::Fetcher::new(support::outbound::loopback_fetch_settings()).unwrap();
    let publisher = Publisher::new(pool.clone(), config, "test", env_for("pics", credentials("pics")))
        .unwrap()
        .with_image_fetcher(images);
    let now = Utc::now();
    assert_eq!(publisher.slot_now(now).await.unwrap().sent.len(), 1);
    assert_eq!(publisher.slot_now(now + TimeDelta::minutes(1)).await.unwrap().sent.len(), 1);
    let posts = x.posts_of("9001");
    assert_eq!(posts.len(), 2);
    assert!(posts[0].sent_text.contains("Sac cabas") && posts[0].media_ids.len() == 1, "{:?}", posts[0]);
    assert!(posts[1].sent_text.contains("Coffret parfum") && posts[1].media_ids.is_empty(), "{:?}", posts[1]);
}

/// A deal whose title alone nearly fills a post, so that the post is cut to the limit and written again shorter.
async fn long_title_deal(pool: &PgPool, shop: &str, run: i64, product: &str, score: &str) -> i64 {
    let title = format!("{product} {}", "édition collector coloris bleu nuit taille unique ".repeat(6));
    let offer = add_deal(pool, shop, run, &title, "19.99", "39.99", "honest", score, None).await;
    // A link X counts as 23 (`.example` is no top-level domain, so twitter-text would count its characters).
    sqlx::query("UPDATE offers SET canonical_url = $2, url = $2 WHERE id = $1")
        .bind(offer)
        .bind(format!("https://www.{shop}.fr/p/{}-{offer}", product.to_lowercase()))
        .execute(pool)
        .await
        .unwrap();
    offer
}

async fn status_and_error(pool: &PgPool, offer: i64) -> (String, Option<String>, String) {
    sqlx::query_as("SELECT status, last_error, text FROM publications WHERE offer_id = $1")
        .bind(offer)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_post_x_refuses_as_too_long_is_written_shorter_a_second_refusal_fails_it_alone_and_the_account_goes_on() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let (kiabi, sephora, decathlon) = three_shops(pool).await;
    let first = long_title_deal(pool, "kiabi", kiabi, "Doudoune", "90").await;
    let second = long_title_deal(pool, "sephora", sephora, "Palette", "80").await;
    let third = add_deal(pool, "decathlon", decathlon, "Tente 2 places", "49.99", "79.99", "honest", "70", None).await;
    let x = MockX::start(vec![mock_account("long", "8001")]).await;
    let config = simple_account("long", &x.base_url());
    let publisher = Publisher::new(pool.clone(), config, "test", env_for("long", credentials("long"))).unwrap();
    let now = Utc::now();

    // X refuses the first post as too long: it is written again 40 weighted characters shorter and goes out.
    x.fail_next(Fault::TooLong);
    let report = publisher.slot_now(now).await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert!(report.stopped.is_none() && report.skipped.is_empty(), "{report:?}");
    let posts = x.posts_of("8001");
    assert_eq!(posts.len(), 1);
    let posted = &posts[0].sent_text;
    assert!(posted.starts_with("🔥 Doudoune édition collector") && posted.contains("…"), "{posted}");
    assert!(weighted_length(posted) <= 280 - 40, "{} weighted characters: {posted}", weighted_length(posted));
    assert_honest_french_post(posted);
    let link: String =
        sqlx::query_scalar("SELECT canonical_url FROM offers WHERE id = $1").bind(first).fetch_one(pool).await.unwrap();
    assert!(posted.ends_with(&format!("\n{link}")), "the link is whole: {posted}");
    let (status, _, text) = status_and_error(pool, first).await;
    assert_eq!((status.as_str(), text.as_str()), ("published", posted.as_str()));

    // The second is refused as invalid, then, written again, as too long: that post alone fails, with X's reason.
    x.fail_next(Fault::InvalidText);
    x.fail_next(Fault::TooLong);
    let report = publisher.slot_now(now + TimeDelta::minutes(1)).await.unwrap();
    assert!(report.sent.is_empty() && report.stopped.is_none(), "{report:?}");
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert!(report.skipped[0].contains("refused twice") && report.skipped[0].contains("too long"), "{report:?}");
    let (status, last_error, _) = status_and_error(pool, second).await;
    assert_eq!(status, "failed");
    let last_error = last_error.unwrap_or_default();
    assert!(last_error.contains("invalid text") && last_error.contains("Your Tweet text is too long"), "{last_error}");
    assert_eq!(x.posts_of("8001").len(), 1);

    // The account is not paused: its next post goes out.
    let state = account_state::all(pool).await.unwrap().into_iter().find(|a| a.id == "long").unwrap();
    assert!(!state.paused, "{:?}", state.paused_reason);
    let report = publisher.slot_now(now + TimeDelta::minutes(2)).await.unwrap();
    assert_eq!(report.sent.iter().map(|s| s.offer_id).collect::<Vec<_>>(), [third], "{report:?}");
    assert_eq!(x.posts_of("8001").len(), 2);

    // And `dealcast accounts list` says so.
    let config = std::env::temp_dir().join(format!("dealcast-publisher-long-{}.toml", std::process::id()));
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nname = \"long\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{}\"\n",
            x.base_url()
        ),
    )
    .unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dealcast"))
        .args(["accounts", "list"])
        .env("DATABASE_URL", support::database_url(&db))
        .env("DEALCAST_CONFIG", &config)
        .output()
        .await
        .expect("run dealcast accounts list");
    let _ = std::fs::remove_file(&config);
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{listed}\n{}", String::from_utf8_lossy(&output.stderr));
    let line = listed.lines().find(|line| line.starts_with("long ")).unwrap_or_default();
    assert!(line.ends_with("active"), "{listed}");
}

#[tokio::test]
async fn a_suspension_or_an_app_without_write_access_stops_the_account_each_with_its_own_message() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    one_deal_setup(pool).await;
    let x = MockX::start(vec![mock_account("susp", "8101"), mock_account("ro", "8102")]).await;
    let suspended = Publisher::new(
        pool.clone(),
        simple_account("susp", &x.base_url()),
        "test",
        env_for("susp", credentials("susp")),
    )
    .unwrap();
    let read_only =
        Publisher::new(pool.clone(), simple_account("ro", &x.base_url()), "test", env_for("ro", credentials("ro")))
            .unwrap();
    let now = Utc::now();
    x.fail_next(Fault::Suspended);
    let stopped = suspended.slot_now(now).await.unwrap().stopped.expect("the account is stopped");
    assert!(stopped.contains("suspended") && stopped.contains("accounts resume susp"), "{stopped}");
    x.fail_next(Fault::NotPermitted);
    let stopped = read_only.slot_now(now).await.unwrap().stopped.expect("the account is stopped");
    assert!(stopped.contains("read and write access") && stopped.contains("accounts resume ro"), "{stopped}");
    let states = account_state::all(pool).await.unwrap();
    for name in ["susp", "ro"] {
        assert!(states.iter().any(|a| a.id == name && a.paused), "{name} is not paused: {states:?}");
    }
    assert_eq!(x.post_count(), 0);
}
