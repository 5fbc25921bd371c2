//! The schema as a user of the database sees it: the tables exist, money is exact, and the constraints that keep
//! the data honest (one offer per shop and canonical URL, one post per account and deal, one running job per key)
//! hold.

use crate::support;
use crate::support::builders::ShopSeed;

use rust_decimal::Decimal;
use std::str::FromStr;

async fn add_offer(pool: &sqlx::PgPool, shop: &str, url: &str, price: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price) \
         VALUES ($1, $2, $2, 'Robe', 'EUR', $3) RETURNING id",
    )
    .bind(shop)
    .bind(url)
    .bind(Decimal::from_str(price).unwrap())
    .fetch_one(pool)
    .await
}

#[tokio::test]
async fn a_fresh_database_has_every_table_and_the_whole_schema_applied_once() {
    let db = support::fresh_database().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(tables, support::SCHEMA_TABLES);
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&db.pool).await.unwrap();
    assert_eq!(applied as usize, dealcast::store::migrations::MIGRATOR.iter().count());
    let status = dealcast::store::migrations::status(&db.pool).await.unwrap();
    assert!(status.is_current(), "{status:?}");
}

#[tokio::test]
async fn prices_come_back_to_the_cent_and_times_are_utc() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    let id = add_offer(&db.pool, "kiabi", "https://www.kiabi.com/robe_1", "1299.99").await.unwrap();
    let (price, currency, seen): (Decimal, String, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT price, currency, first_seen_at FROM offers WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(price, Decimal::from_str("1299.99").unwrap());
    assert_eq!(price.to_string(), "1299.9900");
    assert_eq!(currency, "EUR");
    assert!((chrono::Utc::now() - seen).num_seconds().abs() < 60);
    let data_type: String = sqlx::query_scalar(
        "SELECT data_type::text FROM information_schema.columns WHERE table_name = 'offers' AND column_name = 'price'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(data_type, "numeric");
}

#[tokio::test]
async fn one_offer_per_shop_and_canonical_url() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    ShopSeed::new("sephora").insert(&db.pool).await;
    add_offer(&db.pool, "kiabi", "https://www.kiabi.com/robe_1", "19.99").await.unwrap();
    add_offer(&db.pool, "sephora", "https://www.kiabi.com/robe_1", "19.99").await.unwrap();
    let duplicate = add_offer(&db.pool, "kiabi", "https://www.kiabi.com/robe_1", "17.99").await.unwrap_err();
    assert_eq!(duplicate.as_database_error().and_then(|e| e.code()).as_deref(), Some("23505"));
}

#[tokio::test]
async fn bad_money_and_bad_currencies_are_refused() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    let negative = add_offer(&db.pool, "kiabi", "https://www.kiabi.com/a", "-1").await.unwrap_err();
    assert_eq!(negative.as_database_error().and_then(|e| e.code()).as_deref(), Some("23514"));
    let bad_currency = sqlx::query(
        "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price) \
         VALUES ('kiabi', 'https://x/b', 'https://x/b', 'T', 'eur', 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap_err();
    assert_eq!(bad_currency.as_database_error().and_then(|e| e.code()).as_deref(), Some("23514"));
    let price_without_currency = sqlx::query(
        "INSERT INTO offers (shop_id, canonical_url, url, title, price) VALUES ('kiabi', 'https://x/c', 'https://x/c', 'T', 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap_err();
    assert_eq!(price_without_currency.as_database_error().and_then(|e| e.code()).as_deref(), Some("23514"));
}

#[tokio::test]
async fn an_account_posts_a_deal_once() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    let offer = add_offer(&db.pool, "kiabi", "https://www.kiabi.com/robe_1", "19.99").await.unwrap();
    sqlx::query("INSERT INTO accounts (id, platform) VALUES ('twittzat', 'x')").execute(&db.pool).await.unwrap();
    let insert = || {
        sqlx::query("INSERT INTO publications (account_id, offer_id, deal_key, text) VALUES ('twittzat', $1, $2, 'Robe à 19,99 €')")
            .bind(offer)
            .bind(format!("{offer}@19.99EUR"))
            .execute(&db.pool)
    };
    insert().await.unwrap();
    let again = insert().await.unwrap_err();
    assert_eq!(again.as_database_error().and_then(|e| e.code()).as_deref(), Some("23505"));
    let published_without_id =
        sqlx::query("UPDATE publications SET status = 'published' WHERE account_id = 'twittzat'")
            .execute(&db.pool)
            .await;
    assert!(published_without_id.is_err(), "a published row must carry the remote post id");
}

#[tokio::test]
async fn a_shop_is_never_scraped_by_two_workers_at_once_and_a_slot_is_queued_once() {
    let db = support::fresh_database().await;
    let slot = "2026-11-26T06:00:00Z";
    let add_job = || {
        sqlx::query(
            "INSERT INTO jobs (kind, key, scheduled_for) VALUES ('scrape', 'kiabi', $1::timestamptz) \
             ON CONFLICT (kind, key, scheduled_for) DO NOTHING",
        )
        .bind(slot)
        .execute(&db.pool)
    };
    assert_eq!(add_job().await.unwrap().rows_affected(), 1);
    assert_eq!(add_job().await.unwrap().rows_affected(), 0, "a second scheduler must not queue the slot again");
    sqlx::query("INSERT INTO jobs (kind, key, scheduled_for) VALUES ('scrape', 'kiabi', now())")
        .execute(&db.pool)
        .await
        .unwrap();
    let claim = "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = now() + interval '5 minutes' \
                 WHERE id = (SELECT id FROM jobs WHERE status = 'pending' AND key = 'kiabi' ORDER BY id LIMIT 1 \
                 FOR UPDATE SKIP LOCKED)";
    sqlx::query(claim).bind("worker-a").execute(&db.pool).await.unwrap();
    let second = sqlx::query(claim).bind("worker-b").execute(&db.pool).await.unwrap_err();
    assert_eq!(second.as_database_error().and_then(|e| e.code()).as_deref(), Some("23505"));
}

#[tokio::test]
async fn every_table_says_what_it_is_for_in_its_migration() {
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut text = String::new();
    for entry in std::fs::read_dir(migrations).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for table in support::SCHEMA_TABLES {
        assert!(text.contains(&format!("-- {table}: ")), "the migration creating {table} must say what it holds");
    }
}

#[tokio::test]
async fn offers_need_a_known_shop_and_observations_a_known_offer() {
    let db = support::fresh_database().await;
    let unknown_shop = add_offer(&db.pool, "nowhere", "https://nowhere.example/a", "5").await.unwrap_err();
    let error = unknown_shop.as_database_error().expect("a database error");
    assert_eq!(error.code().as_deref(), Some("23503"));
    assert!(error.message().contains("offers.shop_id 'nowhere': there is no such row in shops"), "{}", error.message());
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM offers").fetch_one(&db.pool).await.unwrap();
    assert_eq!(count, 0, "the statement is undone");

    let orphan = sqlx::query(
        "INSERT INTO price_observations (offer_id, observed_at, currency, price) VALUES (424242, now(), 'EUR', 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap_err();
    let error = orphan.as_database_error().expect("a database error");
    assert_eq!(error.code().as_deref(), Some("23503"));
    assert!(
        error.message().contains("price_observations.offer_id '424242': there is no such row in offers"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn deleting_a_shop_deletes_its_offers_and_their_history() {
    let db = support::fresh_database().await;
    ShopSeed::new("kiabi").insert(&db.pool).await;
    ShopSeed::new("sephora").insert(&db.pool).await;
    let robe = add_offer(&db.pool, "kiabi", "https://www.kiabi.com/robe", "19.99").await.unwrap();
    let parfum = add_offer(&db.pool, "sephora", "https://www.sephora.fr/parfum", "59.00").await.unwrap();
    for offer in [robe, parfum] {
        sqlx::query(
            "INSERT INTO price_observations (offer_id, observed_at, currency, price) VALUES ($1, now(), 'EUR', 1)",
        )
        .bind(offer)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    sqlx::query("DELETE FROM shops WHERE id = 'kiabi'").execute(&db.pool).await.unwrap();
    let offers: Vec<i64> = sqlx::query_scalar("SELECT id FROM offers").fetch_all(&db.pool).await.unwrap();
    assert_eq!(offers, [parfum]);
    let history: Vec<i64> =
        sqlx::query_scalar("SELECT offer_id FROM price_observations").fetch_all(&db.pool).await.unwrap();
    assert_eq!(history, [parfum], "the deleted shop's price history went with it");
}
