//! Scraper health over a real PostgreSQL: run histories are written straight into `scrape_runs`, then each new run
//! is assessed against them. A run far below the shop's usual offer count, or with an error spike, makes the shop
//! unhealthy with a reason an operator can read; a healthy run or an acknowledgement clears it.

use crate::support;
use crate::support::builders::ShopSeed;

use chrono::{DateTime, Duration, Utc};
use dealcast::store::health::{acknowledge, assess_run, is_shop_healthy};
use sqlx::PgPool;

fn day(n: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-01T06:00:00Z").unwrap().with_timezone(&Utc) + Duration::days(n)
}

/// A finished run of `shop` on day `n`.
async fn add_run(pool: &PgPool, shop: &str, n: i64, status: &str, pages: i32, seen: i32, errors: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO scrape_runs (shop_id, worker, started_at, finished_at, status, pages_fetched, offers_seen, errors)
         VALUES ($1, 'test', $2, $2 + interval '20 minutes', $3, $4, $5, $6::jsonb) RETURNING id",
    )
    .bind(shop)
    .bind(day(n))
    .bind(status)
    .bind(pages)
    .bind(seen)
    .bind(errors)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Adds a run and assesses it at its end, as a harvest does.
async fn run_and_assess(pool: &PgPool, shop: &str, n: i64, status: &str, pages: i32, seen: i32, errors: &str) -> i64 {
    let id = add_run(pool, shop, n, status, pages, seen, errors).await;
    assess_run(pool, shop, id, day(n) + Duration::minutes(20)).await.unwrap();
    id
}

/// Five ordinary days of a shop with about 2,000 offers on 45 pages.
async fn usual_history(pool: &PgPool, shop: &str) {
    for (n, seen) in [(0, 2000), (1, 1990), (2, 2010), (3, 2005), (4, 1985)] {
        run_and_assess(pool, shop, n, "succeeded", 45, seen, r#"{"http_404": 1}"#).await;
    }
}

async fn shop_state(pool: &PgPool, shop: &str) -> (bool, Option<String>) {
    sqlx::query_as("SELECT healthy, unhealthy_reason FROM shops WHERE id = $1")
        .bind(shop)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn run_healthy(pool: &PgPool, run: i64) -> Option<bool> {
    sqlx::query_scalar("SELECT healthy FROM scrape_runs WHERE id = $1").bind(run).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_normal_run_keeps_the_shop_healthy() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    usual_history(&db.pool, "kiabi").await;
    let run = add_run(&db.pool, "kiabi", 5, "succeeded", 46, 1970, r#"{"http_404": 2, "timeout": 1}"#).await;

    let verdict = assess_run(&db.pool, "kiabi", run, day(5)).await.unwrap();

    assert!(verdict.is_healthy(), "{verdict:?}");
    assert_eq!(run_healthy(&db.pool, run).await, Some(true));
    assert_eq!(shop_state(&db.pool, "kiabi").await, (true, None));
    assert!(is_shop_healthy(&db.pool, "kiabi").await.unwrap());
}

#[tokio::test]
async fn a_run_with_a_tenth_of_the_usual_offers_makes_the_shop_unhealthy_with_a_readable_reason() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    usual_history(&db.pool, "kiabi").await;
    let run = add_run(&db.pool, "kiabi", 5, "succeeded", 45, 200, "{}").await;

    let verdict = assess_run(&db.pool, "kiabi", run, day(5)).await.unwrap();

    assert!(!verdict.is_healthy());
    assert_eq!(run_healthy(&db.pool, run).await, Some(false));
    let (healthy, reason) = shop_state(&db.pool, "kiabi").await;
    assert!(!healthy);
    assert_eq!(
        reason.as_deref(),
        Some("the run saw 200 offers, under 50 % of the median of the last 5 healthy runs (2000)")
    );
    assert!(!is_shop_healthy(&db.pool, "kiabi").await.unwrap());
}

#[tokio::test]
async fn an_error_spike_makes_the_shop_unhealthy() {
    let db = support::fresh_database().await;
    ShopSeed::new("decathlon").insert(&db.pool).await;
    usual_history(&db.pool, "decathlon").await;
    let run = add_run(&db.pool, "decathlon", 5, "succeeded", 45, 1900, r#"{"timeout": 30, "http_503": 8}"#).await;

    let verdict = assess_run(&db.pool, "decathlon", run, day(5)).await.unwrap();

    let reason = verdict.reason().unwrap();
    assert!(reason.starts_with("the run had 38 errors for 45 pages (84 %)"), "{reason}");
    assert_eq!(shop_state(&db.pool, "decathlon").await, (false, Some(reason)));
}

#[tokio::test]
async fn a_failed_run_makes_the_shop_unhealthy() {
    let db = support::fresh_database().await;
    ShopSeed::new("sephora").insert(&db.pool).await;
    let run = add_run(&db.pool, "sephora", 0, "failed", 0, 0, r#"{"connect": 3}"#).await;
    sqlx::query("UPDATE scrape_runs SET note = 'the start page could not be fetched' WHERE id = $1")
        .bind(run)
        .execute(&db.pool)
        .await
        .unwrap();

    assess_run(&db.pool, "sephora", run, day(0)).await.unwrap();

    assert_eq!(
        shop_state(&db.pool, "sephora").await,
        (false, Some("the run failed: the start page could not be fetched".to_string()))
    );
}

#[tokio::test]
async fn a_later_healthy_run_makes_the_shop_healthy_again() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    usual_history(&db.pool, "kiabi").await;
    let broken = run_and_assess(&db.pool, "kiabi", 5, "succeeded", 45, 150, "{}").await;
    assert!(!shop_state(&db.pool, "kiabi").await.0);

    // The broken run is not part of the baseline the next run is compared with.
    let fixed = run_and_assess(&db.pool, "kiabi", 6, "succeeded", 45, 1995, "{}").await;

    assert_eq!(run_healthy(&db.pool, broken).await, Some(false));
    assert_eq!(run_healthy(&db.pool, fixed).await, Some(true));
    assert_eq!(shop_state(&db.pool, "kiabi").await, (true, None));
}

#[tokio::test]
async fn an_acknowledgement_makes_the_shop_healthy_and_records_who_and_when() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    usual_history(&db.pool, "kiabi").await;
    run_and_assess(&db.pool, "kiabi", 5, "succeeded", 45, 150, "{}").await;
    assert!(!is_shop_healthy(&db.pool, "kiabi").await.unwrap());

    let at = day(5) + Duration::hours(2);
    assert!(acknowledge(&db.pool, "kiabi", "marie", at).await.unwrap());

    assert_eq!(shop_state(&db.pool, "kiabi").await, (true, None));
    let (acknowledged_at, acknowledged_by): (Option<DateTime<Utc>>, Option<String>) =
        sqlx::query_as("SELECT acknowledged_at, acknowledged_by FROM shops WHERE id = 'kiabi'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((acknowledged_at, acknowledged_by.as_deref()), (Some(at), Some("marie")));
    assert!(!acknowledge(&db.pool, "no_such_shop", "marie", at).await.unwrap());
}

#[tokio::test]
async fn an_acknowledged_drop_becomes_the_new_normal() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    usual_history(&db.pool, "kiabi").await;
    // The shop really halved its catalogue: the operator says so once.
    run_and_assess(&db.pool, "kiabi", 5, "succeeded", 25, 900, "{}").await;
    acknowledge(&db.pool, "kiabi", "marie", day(5) + Duration::hours(1)).await.unwrap();
    for n in 6..10 {
        run_and_assess(&db.pool, "kiabi", n, "succeeded", 25, 890 + n as i32, "{}").await;
        assert!(is_shop_healthy(&db.pool, "kiabi").await.unwrap(), "day {n}");
    }

    // ...and a later breakage is still caught against the new normal.
    run_and_assess(&db.pool, "kiabi", 10, "succeeded", 25, 80, "{}").await;
    let (healthy, reason) = shop_state(&db.pool, "kiabi").await;
    assert!(!healthy);
    assert!(reason.unwrap().contains("median of the last 5 healthy runs (898)"));
}

#[tokio::test]
async fn too_little_history_never_marks_a_shop_unhealthy() {
    let db = support::fresh_database().await;
    ShopSeed::new("shopify_demo").insert(&db.pool).await;
    run_and_assess(&db.pool, "shopify_demo", 0, "succeeded", 45, 2000, "{}").await;
    run_and_assess(&db.pool, "shopify_demo", 1, "succeeded", 45, 2000, "{}").await;

    let run = add_run(&db.pool, "shopify_demo", 2, "succeeded", 45, 10, r#"{"parse": 44}"#).await;
    let verdict = assess_run(&db.pool, "shopify_demo", run, day(2)).await.unwrap();

    assert!(verdict.is_healthy(), "{verdict:?}");
    assert_eq!(shop_state(&db.pool, "shopify_demo").await, (true, None));
}

#[tokio::test]
async fn a_run_still_running_is_not_assessed() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    let run: i64 =
        sqlx::query_scalar("INSERT INTO scrape_runs (shop_id, started_at) VALUES ('kiabi', $1) RETURNING id")
            .bind(day(0))
            .fetch_one(&db.pool)
            .await
            .unwrap();

    let outcome = assess_run(&db.pool, "kiabi", run, day(0)).await;

    assert!(matches!(outcome, Err(sqlx::Error::RowNotFound)), "{outcome:?}");
}
