//! `dealcast deals list|search|show` end to end: offers and price histories written into a fresh database over
//! simulated weeks, judged by the real judge, then read through the real binary as a user would.

use crate::support;
use crate::support::builders::OfferSeed;

use chrono::{DateTime, TimeZone, Utc};
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::judgements::judge_offers;
use rust_decimal::Decimal;
use sqlx::PgPool;
use support::TestDb;

/// The moment every offer is judged at.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().expect("a valid date")
}

fn on(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 9, 0, 0).single().expect("a valid date")
}

/// One offer as the tests write it: identity, and its price history oldest first (price, claimed previous price).
struct Seed<'a> {
    shop: &'a str,
    title: &'a str,
    brand: Option<&'a str>,
    /// The product's id and GTIN.
    /// The GTIN that links it to the same product in other shops.
    gtin: Option<&'a str>,
    history: &'a [(DateTime<Utc>, &'a str, Option<&'a str>)],
    flags: serde_json::Value,
    active: bool,
}

impl<'a> Seed<'a> {
    fn new(shop: &'a str, title: &'a str, history: &'a [(DateTime<Utc>, &'a str, Option<&'a str>)]) -> Self {
        Seed { shop, title, brand: None, gtin: None, history, flags: serde_json::json!([]), active: true }
    }
}

/// Writes the offer and its history, its current state being the last observation; returns its id.
async fn add_offer(pool: &PgPool, seed: &Seed<'_>) -> i64 {
    let offer = OfferSeed::new(seed.shop, seed.title)
        .url(format!("https://{}.example/p/{}", seed.shop, seed.title.replace(' ', "-")))
        .brand(seed.brand)
        .gtin(seed.gtin)
        .flags(seed.flags.clone())
        .history(seed.history);
    if seed.active { offer } else { offer.ended() }.insert(pool).await
}

/// The offers of the tests, by what each shows.
struct Catalogue {
    db: TestDb,
    /// Sold at 49.99 on Nov 10, then "69.99, now 49.99" from Nov 15.
    inflated: i64,
    /// 599 since September, 449 "was 599" from Nov 18: a real 25 % off.
    honest: i64,
    /// First seen on Nov 19 already "reduced": nothing to check the claim against.
    unverified: i64,
    /// The same product as `honest`, in the other shop, not reduced.
    honest_elsewhere: i64,
    /// A title with quotes and a percent sign, flagged at its latest visit.
    quoted: i64,
    /// Ended last week.
    ended: i64,
}

async fn catalogue() -> Catalogue {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    support::builders::ShopSeed::new("shop_a").name("Boutique A").insert(pool).await;
    support::builders::ShopSeed::new("shop_b").name("Boutique B").insert(pool).await;
    let dyson = "05012345678900";

    let inflated = add_offer(
        pool,
        &Seed::new(
            "shop_a",
            "Casque Bluetooth à réduction de bruit",
            &[
                (on(10, 1), "59.99", None),
                (on(11, 10), "49.99", None),
                (on(11, 12), "69.99", None),
                (on(11, 15), "49.99", Some("69.99")),
            ],
        ),
    )
    .await;
    let honest = add_offer(
        pool,
        &Seed {
            brand: Some("Dyson"),
            gtin: Some(dyson),
            ..Seed::new("shop_a", "Aspirateur V15 Detect", &[(on(9, 1), "599", None), (on(11, 18), "449", Some("599"))])
        },
    )
    .await;
    let unverified =
        add_offer(pool, &Seed::new("shop_b", "Robot cuiseur multifonction", &[(on(11, 19), "199.99", Some("299.99"))]))
            .await;
    let honest_elsewhere = add_offer(
        pool,
        &Seed { gtin: Some(dyson), ..Seed::new("shop_b", "Dyson V15 Detect Absolute", &[(on(11, 1), "479", None)]) },
    )
    .await;
    let quoted = add_offer(
        pool,
        &Seed {
            brand: Some("L'Oréal"),
            flags: serde_json::json!([
                {"kind": "price_rejected", "reason": "a price of 0 is not a price"},
                {"kind": "implausible_discount", "reason": "a claimed discount of 99 % is not plausible"}
            ]),
            ..Seed::new(
                "shop_b",
                "Crème \"Hydra\" 50% offerte",
                &[(on(9, 1), "30", None), (on(11, 17), "19.90", Some("30"))],
            )
        },
    )
    .await;
    let ended = add_offer(
        pool,
        &Seed {
            active: false,
            ..Seed::new("shop_a", "Friteuse sans huile", &[(on(8, 1), "129", None), (on(11, 1), "59", Some("129"))])
        },
    )
    .await;
    let all = [inflated, honest, unverified, honest_elsewhere, quoted, ended];
    let judged = judge_offers(pool, &all, &ScoreWeights::default(), now()).await.expect("judge the offers");
    assert_eq!(judged, all.len() as u64, "every offer with a price is judged and scored");
    // What a harvest does once its offers are stored and judged: searches look in the search index.
    dealcast::store::search_index::refresh_all(pool).await.expect("index the offers for search");
    Catalogue { db, inflated, honest, unverified, honest_elsewhere, quoted, ended }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn dealcast(db: &TestDb, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dealcast"))
        .args(args)
        .env("DATABASE_URL", support::database_url(db))
        .env_remove("DEALCAST_CONFIG")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .await
        .expect("run dealcast");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn succeeds(db: &TestDb, args: &[&str]) -> String {
    let run = dealcast(db, args).await;
    assert_eq!(run.code, Some(0), "dealcast {args:?} failed:\n{}\n{}", run.stdout, run.stderr);
    run.stdout
}

/// The ids `deals list --json` (or search) prints, in order.
async fn listed_ids(db: &TestDb, args: &[&str]) -> Vec<i64> {
    let mut args = args.to_vec();
    args.push("--json");
    succeeds(db, &args)
        .await
        .lines()
        .map(|line| {
            let deal: serde_json::Value = serde_json::from_str(line).expect("each line is one JSON object");
            deal["id"].as_i64().expect("a deal has an id")
        })
        .collect()
}

/// The id of each table row (first column) and its score (last column).
fn table_rows(text: &str) -> Vec<(i64, Decimal)> {
    text.lines()
        .skip(1)
        .map(|line| {
            let id = line.split_whitespace().next().and_then(|id| id.parse().ok()).expect("a row starts with its id");
            let score = line.split_whitespace().last().and_then(|s| s.parse().ok()).expect("a row ends with its score");
            (id, score)
        })
        .collect()
}

#[tokio::test]
async fn the_list_shows_active_deals_best_score_first_in_a_table() {
    let c = catalogue().await;
    let text = succeeds(&c.db, &["deals", "list"]).await;
    let header = text.lines().next().expect("a header");
    for column in ["ID", "SHOP", "TITLE", "PRICE", "REFERENCE", "REAL DISCOUNT", "VERDICT", "SCORE"] {
        assert!(header.contains(column), "{header}");
    }
    let rows = table_rows(&text);
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 5, "the ended deal is not listed:\n{text}");
    assert!(!ids.contains(&c.ended));
    assert_eq!(ids[0], c.honest, "the honest 25 % off ranks first:\n{text}");
    assert!(rows.windows(2).all(|pair| pair[0].1 >= pair[1].1), "scores never rise down the list:\n{text}");
    let honest_line = text.lines().find(|line| line.contains("Aspirateur")).expect("the honest deal's row");
    assert!(honest_line.contains("449.00 €") && honest_line.contains("599.00 €"), "{honest_line}");
    assert!(honest_line.contains("25.0 %") && honest_line.contains("honest"), "{honest_line}");
    let unverified_line = text.lines().find(|line| line.contains("Robot cuiseur")).expect("the unverified row");
    assert!(unverified_line.contains("33.3 % (claimed)") && unverified_line.contains("unverified"));

    assert_eq!(listed_ids(&c.db, &["deals", "list"]).await, ids, "the JSON lines come in the table's order");
    let with_ended = listed_ids(&c.db, &["deals", "list", "--all"]).await;
    assert!(with_ended.contains(&c.ended) && with_ended.len() == 6);
    assert_eq!(listed_ids(&c.db, &["deals", "list", "--limit", "2"]).await, ids[..2]);
}

#[tokio::test]
async fn the_filters_narrow_the_list_by_shop_discount_and_verdict() {
    let c = catalogue().await;
    let mut shop_b = listed_ids(&c.db, &["deals", "list", "--shop", "shop_b"]).await;
    shop_b.sort();
    let mut expected = vec![c.unverified, c.honest_elsewhere, c.quoted];
    expected.sort();
    assert_eq!(shop_b, expected);
    let mut by_name = listed_ids(&c.db, &["deals", "list", "--shop", "boutique b"]).await;
    by_name.sort();
    assert_eq!(by_name, expected, "a shop can be named as it is shown");

    let mut big = listed_ids(&c.db, &["deals", "list", "--min-discount", "20"]).await;
    big.sort();
    let mut expected = vec![c.honest, c.quoted];
    expected.sort();
    assert_eq!(big, expected, "only real discounts from the 30-day low count");

    assert_eq!(listed_ids(&c.db, &["deals", "list", "--verdict", "inflated"]).await, vec![c.inflated]);
    let mut two = listed_ids(&c.db, &["deals", "list", "--verdict", "unverified", "--verdict", "inflated"]).await;
    two.sort();
    let mut expected = vec![c.inflated, c.unverified];
    expected.sort();
    assert_eq!(two, expected);
    assert_eq!(
        listed_ids(&c.db, &["deals", "list", "--shop", "shop_a", "--verdict", "honest", "--min-discount", "25"]).await,
        vec![c.honest]
    );

    let nothing = succeeds(&c.db, &["deals", "list", "--shop", "nowhere"]).await;
    assert_eq!(nothing.trim(), "No deals match.");
    let refused = dealcast(&c.db, &["deals", "list", "--verdict", "bogus"]).await;
    assert_eq!(refused.code, Some(2), "clap refuses an unknown verdict: {}", refused.stderr);
}

#[tokio::test]
async fn search_finds_titles_and_brands_and_takes_sql_and_wildcards_literally() {
    let c = catalogue().await;
    assert_eq!(listed_ids(&c.db, &["deals", "search", "ASPIRATEUR"]).await, vec![c.honest]);
    assert_eq!(listed_ids(&c.db, &["deals", "search", "l'oréal"]).await, vec![c.quoted], "brands are searched");
    assert_eq!(listed_ids(&c.db, &["deals", "search", "\"Hydra\""]).await, vec![c.quoted]);
    assert_eq!(listed_ids(&c.db, &["deals", "search", "50%"]).await, vec![c.quoted], "% is a percent sign");
    assert_eq!(listed_ids(&c.db, &["deals", "search", "0%"]).await, Vec::<i64>::new(), "a short word is matched whole");
    assert_eq!(listed_ids(&c.db, &["deals", "search", "%"]).await, Vec::<i64>::new(), "% is not a wildcard");
    assert_eq!(listed_ids(&c.db, &["deals", "search", "_"]).await, Vec::<i64>::new(), "_ is an underscore");
    assert_eq!(listed_ids(&c.db, &["deals", "search", "__%"]).await, Vec::<i64>::new(), "_ is not a wildcard");
    let mut dyson = listed_ids(&c.db, &["deals", "search", "v15", "--shop", "shop_b"]).await;
    dyson.sort();
    assert_eq!(dyson, vec![c.honest_elsewhere], "filters apply to a search");

    for hostile in ["'; DROP TABLE offers; --", "' OR '1'='1", "x\\' OR 1=1 --", "$1"] {
        let text = succeeds(&c.db, &["deals", "search", hostile]).await;
        assert_eq!(text.trim(), "No deals match.", "{hostile}");
        let run = dealcast(&c.db, &["deals", "list", "--shop", hostile]).await;
        assert_eq!(run.stdout.trim(), "No deals match.", "{hostile}: {}", run.stderr);
    }
    let offers: i64 = sqlx::query_scalar("SELECT count(*) FROM offers").fetch_one(&c.db.pool).await.expect("count");
    assert_eq!(offers, 6, "the offers table is intact");
}

#[tokio::test]
async fn show_explains_an_inflated_claim_with_its_reference_price_and_window() {
    let c = catalogue().await;
    let text = succeeds(&c.db, &["deals", "show", &c.inflated.to_string()]).await;
    assert!(text.starts_with(&format!("Offer {}: Casque Bluetooth à réduction de bruit\n", c.inflated)), "{text}");
    assert!(text.contains("Boutique A (shop_a)"), "{text}");
    assert!(text.contains("current price:        49.99 €"), "{text}");
    assert!(text.contains("shop's previous price: 69.99 € (the shop's claim)"), "{text}");
    assert!(
        text.contains(
            "inflated: the shop claims 69.99 € but sold it at 49.99 € on 2026-11-10, within the 30 days before the \
             sale began on 2026-11-15"
        ),
        "{text}"
    );
    assert!(text.contains("no real discount: the 30-day low was 49.99 €"), "{text}");
    assert!(text.contains("the shop claims 28.6 % (from 69.99 €)"), "{text}");
    assert!(text.contains("verdict inflated (the shop's previous price is above the 30-day low)"), "{text}");
    assert!(text.contains("total: "), "{text}");
    let history: Vec<&str> =
        text.lines().skip_while(|line| !line.starts_with("Price history")).skip(2).take(4).collect();
    assert_eq!(
        history,
        [
            "  2026-10-01 09:00 UTC  59.99 €         -  in stock",
            "  2026-11-10 09:00 UTC  49.99 €         -  in stock",
            "  2026-11-12 09:00 UTC  69.99 €         -  in stock",
            "  2026-11-15 09:00 UTC  49.99 €   69.99 €  in stock",
        ],
        "{text}"
    );
}

#[tokio::test]
async fn show_explains_honest_deals_and_lists_the_product_in_other_shops() {
    let c = catalogue().await;
    let text = succeeds(&c.db, &["deals", "show", &c.honest.to_string()]).await;
    assert!(
        text.contains(
            "honest: the lowest price in the 30 days before the sale began on 2026-11-18 was 599.00 €, and the \
             shop's claimed previous price 599.00 € is not above it"
        ),
        "{text}"
    );
    assert!(text.contains("real discount 25.0 % (from the 30-day low of 599.00 €)"), "{text}");
    assert!(text.contains("real discount 25.0 % vs the 30-day low: +25.0"), "{text}");
    assert!(text.contains("saves 150: +"), "{text}");
    assert!(text.contains("GTIN          05012345678900\n"), "{text}");
    let elsewhere = text.split("Same product elsewhere").nth(1).expect("the same-product section");
    assert!(elsewhere.contains(&c.honest_elsewhere.to_string()) && elsewhere.contains("Boutique B"), "{elsewhere}");
    assert!(elsewhere.contains("479.00 €"), "{elsewhere}");

    let unverified = succeeds(&c.db, &["deals", "show", &c.unverified.to_string()]).await;
    assert!(
        unverified.contains(
            "unverified: dealcast had seen no price before the sale began on 2026-11-19, so the previous price \
             299.99 € is the shop's claim, not checked"
        ),
        "{unverified}"
    );
}

#[tokio::test]
async fn show_prints_the_quality_flags_with_their_reasons() {
    let c = catalogue().await;
    let text = succeeds(&c.db, &["deals", "show", &c.quoted.to_string()]).await;
    assert!(text.contains("Crème \"Hydra\" 50% offerte"), "{text}");
    assert!(text.contains("price_rejected: a price of 0 is not a price"), "{text}");
    assert!(text.contains("implausible_discount: a claimed discount of 99 % is not plausible"), "{text}");

    let clean = succeeds(&c.db, &["deals", "show", &c.honest.to_string()]).await;
    let flags = clean.split("Quality flags\n").nth(1).expect("the flags section");
    assert!(flags.starts_with("  none\n"), "{clean}");
}

#[tokio::test]
async fn show_json_is_one_object_with_the_history_and_the_explanation() {
    let c = catalogue().await;
    let text = succeeds(&c.db, &["deals", "show", &c.inflated.to_string(), "--json"]).await;
    assert_eq!(text.lines().count(), 1, "{text}");
    let deal: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
    assert_eq!(deal["offer"]["id"], c.inflated);
    assert_eq!(deal["offer"]["verdict"], "inflated");
    assert_eq!(deal["offer"]["price"], "49.99", "money is an exact decimal string");
    assert_eq!(deal["offer"]["reference_price"], "49.99");
    assert_eq!(deal["history"].as_array().map(Vec::len), Some(4));
    assert_eq!(deal["history"][0]["price"], "59.99");
    assert!(deal["score_parts"]["total"].is_string(), "{deal}");
    let verdict = deal["explanation"]["verdict"].as_str().expect("the verdict in words");
    assert!(verdict.starts_with("inflated: the shop claims 69.99 € but sold it at 49.99 € on 2026-11-10"), "{verdict}");
    assert!(deal["explanation"]["score"].as_array().is_some_and(|lines| lines.len() == 10), "{deal}");
    assert!(deal["explanation"]["score"][9].as_str().is_some_and(|line| line.starts_with("as of ")), "{deal}");
}

#[tokio::test]
async fn show_of_an_unknown_id_fails_with_a_clear_message() {
    let c = catalogue().await;
    let run = dealcast(&c.db, &["deals", "show", "999999"]).await;
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("there is no offer with id 999999"), "{}", run.stderr);
}
