//! The in-memory deal lists (`deal_index`) against PostgreSQL's (`store::deal_queries::list_deals`): on a
//! seeded database, every filter, search (whole words, stems, typos, partial words, stop words, websearch syntax)
//! and page must list the same deals, before and after the offers change (retitled, repriced, ended, new, a shop
//! deleted), and a web server's lists follow a refresh only through its generation.

use crate::support;

use dealcast::deal_index::DealIndex;
use dealcast::store::deal_queries::{self, Activity, DealCursor, DealFilter, DealRow};
use dealcast::store::search_index;
use rust_decimal::Decimal;
use sqlx::PgPool;

/// 240 offers in three shops: titles of three words among 20 (accents, French plurals), four categories, prices
/// from 10.99 to 409.99, scores with ties, every verdict, some without a real discount, one in nine ended.
async fn seed(pool: &PgPool) {
    for (id, name) in [("shop_a", "Boutique A"), ("shop_b", "Boutique B"), ("shop_c", "Boutique C")] {
        support::builders::ShopSeed::new(id).name(name).insert(pool).await;
    }
    sqlx::query(
        "WITH words AS (
             SELECT ARRAY['Chaussures', 'running', 'Casque', 'sans', 'fil', 'Aspirateur', 'balai', 'Robe', 'rouge',
                          'noire', 'Montre', 'connectée', 'Vélo', 'électrique', 'Lampe', 'LED', 'Cafetière', 'le',
                          'Trottinette', 'pliable'] AS w)
         INSERT INTO offers (shop_id, canonical_url, url, title, category, currency, price, score, verdict,
                             real_discount_pct, active, ended_at)
         SELECT (ARRAY['shop_a', 'shop_b', 'shop_c'])[1 + i % 3],
                'https://shop.example/p/' || i, 'https://shop.example/p/' || i,
                w[1 + (i * 7) % 20] || ' ' || w[1 + (i * 13 + 3) % 20] || ' ' || w[1 + (i * 3 + 11) % 20],
                (ARRAY['Sport', 'Maison', 'High-tech', 'Mode'])[1 + i % 4],
                'EUR', 10.99 + (i * 37) % 400, (i * 53) % 97 - 20,
                (ARRAY['honest', 'inflated', 'unverified', NULL])[1 + i % 4],
                CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 11) % 70 END,
                i % 9 <> 0, CASE WHEN i % 9 = 0 THEN now() END
         FROM generate_series(1, 240) AS i, words",
    )
    .execute(pool)
    .await
    .expect("insert the offers");
    search_index::refresh_all(pool).await.expect("index the offers for search");
}

fn filter() -> DealFilter {
    DealFilter { limit: 20, ..DealFilter::default() }
}

fn searching(text: &str) -> DealFilter {
    DealFilter { search: Some(text.to_owned()), ..filter() }
}

/// The filters compared: each filter alone, searches of every kind, and both together.
fn filters() -> Vec<(&'static str, DealFilter)> {
    let dec = |text: &str| text.parse::<Decimal>().expect("a decimal");
    let mut filters = vec![
        ("the best deals", filter()),
        ("one shop", DealFilter { shop: Some("shop_b".into()), ..filter() }),
        ("a shop by its name in another case", DealFilter { shop: Some("boutique a".into()), ..filter() }),
        ("an unknown shop", DealFilter { shop: Some("nowhere".into()), ..filter() }),
        ("a category", DealFilter { category: Some("Sport".into()), ..filter() }),
        ("an unknown category", DealFilter { category: Some("Jardin".into()), ..filter() }),
        ("a real discount", DealFilter { min_real_discount: Some(dec("30")), ..filter() }),
        ("a price range", DealFilter { min_price: Some(dec("50")), max_price: Some(dec("150.99")), ..filter() }),
        ("a minimum price", DealFilter { min_price: Some(dec("300")), ..filter() }),
        ("a verdict", DealFilter { verdicts: vec!["honest".into()], ..filter() }),
        ("two verdicts", DealFilter { verdicts: vec!["inflated".into(), "unverified".into()], ..filter() }),
        ("the ended deals", DealFilter { activity: Activity::Ended, ..filter() }),
        ("deals of any state", DealFilter { activity: Activity::Any, limit: 300, ..filter() }),
        (
            "a category above a price",
            DealFilter { category: Some("Maison".into()), min_price: Some(dec("200")), ..filter() },
        ),
    ];
    for text in [
        "chaussures",
        "chaussure",
        "chausure",
        "aspi",
        "casque sans fil",
        "velo",
        "électrique",
        "trottinette rouge",
        "CAFETIERE",
        "xyzzy",
        "le",
        "\"robe rouge\"",
        "-robe",
        "robe or lampe",
        "Robe OR lampe",
        "rouge -robe",
        "robe,rouge",
        "t-shirt",
        "robe !",
        "(robe) & lampe",
        "robe | lampe <-> casque",
        "robe:* lampe:A",
        "casque  sans   fil",
        "aspirateur le balai",
        "un deux trois quatre cinq six sept huit neuf robe",
        "'; DROP TABLE offers; --",
    ] {
        filters.push(("a search", searching(text)));
    }
    filters.push((
        "a search with filters",
        DealFilter {
            shop: Some("shop_a".into()),
            min_real_discount: Some(dec("10")),
            max_price: Some(dec("300")),
            ..searching("robe")
        },
    ));
    filters.push(("an ended search", DealFilter { activity: Activity::Ended, ..searching("lampe") }));
    filters
}

/// Every page of `filter`'s list, following the cursors.
async fn pages(pool: &PgPool, index: Option<&DealIndex>, filter: &DealFilter) -> Vec<Vec<DealRow>> {
    let mut pages = Vec::new();
    let mut filter = filter.clone();
    loop {
        let page = match index {
            Some(index) => index.list_deals(pool, &filter).await,
            None => deal_queries::list_deals(pool, &filter).await,
        }
        .unwrap_or_else(|error| panic!("{filter:?}: {error}"));
        let next = (page.len() == usize::try_from(filter.limit).expect("a small limit"))
            .then(|| page.last().and_then(DealCursor::after))
            .flatten();
        pages.push(page);
        match next {
            Some(after) if pages.len() < 20 => filter.after = Some(after),
            _ => return pages,
        }
    }
}

/// Asserts that the lists in memory and PostgreSQL's list the same deals for every filter, page after page.
async fn assert_same_lists(pool: &PgPool, index: &DealIndex, when: &str) {
    let mut listed = 0;
    for (what, filter) in filters() {
        let expected = pages(pool, None, &filter).await;
        let got = pages(pool, Some(index), &filter).await;
        assert_eq!(got, expected, "{when}: {what} ({filter:?})");
        listed += expected.iter().map(Vec::len).sum::<usize>();
    }
    assert!(listed > 500, "{when}: the filters list deals ({listed}), not only empty pages");
}

/// Runs `changes` (written by the test itself), then refreshes the search rows as a harvest does.
async fn change(pool: &PgPool, changes: &[&'static str]) {
    for &change in changes {
        sqlx::query(sqlx::AssertSqlSafe(change))
            .execute(pool)
            .await
            .unwrap_or_else(|error| panic!("{change}: {error}"));
    }
    search_index::refresh_all(pool).await.expect("refresh the search rows");
}

/// How many offers are deals (scored).
async fn scored_offers(pool: &PgPool) -> usize {
    let scored: i64 = sqlx::query_scalar("SELECT count(*) FROM offers WHERE score IS NOT NULL")
        .fetch_one(pool)
        .await
        .expect("count the deals");
    usize::try_from(scored).expect("a count")
}

#[tokio::test]
async fn the_lists_in_memory_match_postgresql_for_every_filter_and_follow_each_refresh() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    seed(pool).await;
    let index = DealIndex::new();
    // Not loaded: PostgreSQL answers the first request, which starts loading the lists in the background.
    assert_same_lists(pool, &index, "while loading").await;
    let generation = index.catch_up(pool).await.expect("load the lists");
    assert_eq!(generation, search_index::current_generation(pool).await.expect("the generation"));
    let lists = index.current().expect("lists built").lists;
    assert_eq!((lists.len(), lists.overlaid()), (scored_offers(pool).await, 0), "every scored offer, one build");
    assert_same_lists(pool, &index, "loaded").await;

    // What a harvest does: a retitled offer, a repriced and rescored one, an ended one, a new one.
    change(
        pool,
        &[
            "UPDATE offers SET title = 'Trottinette électrique pliable' WHERE id = (SELECT min(id) FROM offers)",
            "UPDATE offers SET price = 12.5, score = 99, real_discount_pct = 65 WHERE id = (SELECT min(id) + 4 FROM offers)",
            "UPDATE offers SET active = false, ended_at = now() WHERE id = (SELECT min(id) + 7 FROM offers)",
            "INSERT INTO offers (shop_id, canonical_url, url, title, category, currency, price, score, verdict,
                 real_discount_pct)
             VALUES ('shop_a', 'https://shop.example/new', 'https://shop.example/new', 'Casque audio sans fil',
                 'High-tech', 'EUR', 59.99, 98.5, 'honest', 45)",
        ],
    )
    .await;
    // Behind the database's generation: PostgreSQL answers until the lists catch up.
    assert_same_lists(pool, &index, "changed, not caught up").await;
    let caught_up = index.catch_up(pool).await.expect("catch up");
    assert!(caught_up > generation, "the refresh took a new generation");
    let lists = index.current().expect("lists built").lists;
    assert_eq!((lists.len(), lists.overlaid()), (scored_offers(pool).await, 4), "the changed offers laid over");
    assert_same_lists(pool, &index, "caught up by an overlay").await;

    // An operator deleting a shop: a third of the offers change, the lists are built again.
    change(pool, &["DELETE FROM shops WHERE id = 'shop_c'"]).await;
    index.catch_up(pool).await.expect("catch up");
    let lists = index.current().expect("lists built").lists;
    assert_eq!((lists.len(), lists.overlaid()), (scored_offers(pool).await, 0), "the shop's offers gone, one build");
    assert_same_lists(pool, &index, "caught up by a build").await;
    let found = index.list_deals(pool, &searching("trotinette")).await.expect("a search");
    assert!(found.iter().any(|deal| deal.title == "Trottinette électrique pliable"), "the retitled offer: {found:?}");
    let best = index.list_deals(pool, &filter()).await.expect("the best deals");
    assert_eq!(best[0].title, "Casque audio sans fil", "the new offer, scored 98.5, comes first");
}

#[tokio::test]
async fn a_current_snapshot_answers_from_memory_until_a_refresh_takes_a_new_generation() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    seed(pool).await;
    let index = DealIndex::new();
    index.catch_up(pool).await.expect("load the lists");
    let search = searching("robe");
    let before = index.list_deals(pool, &search).await.expect("a search");
    assert!(before.len() > 3, "{before:?}");

    // Search rows changed behind a refresh's back (no new generation): PostgreSQL orders by them at once, the lists
    // in memory do not, which shows who answered.
    sqlx::query("UPDATE offer_search SET score = -score").execute(pool).await.expect("reverse the copied scores");
    let by_postgresql = deal_queries::list_deals(pool, &search).await.expect("a search");
    assert_ne!(by_postgresql, before, "PostgreSQL follows the copied scores");
    assert_eq!(index.list_deals(pool, &search).await.expect("a search"), before, "memory answers, unchanged");

    // A refresh puts the offers' own scores back in the search rows and takes a generation: the lists follow.
    search_index::refresh_all(pool).await.expect("refresh the search rows");
    index.catch_up(pool).await.expect("catch up");
    assert_eq!(index.list_deals(pool, &search).await.expect("a search"), before);
    assert_eq!(deal_queries::list_deals(pool, &search).await.expect("a search"), before);

    // A shop renamed by a harvest changes no offer: its next refresh still brings the new name to the lists.
    change(pool, &["UPDATE shops SET name = 'Magasin Bé' WHERE id = 'shop_b'"]).await;
    index.catch_up(pool).await.expect("catch up");
    let names = index.shop_names().expect("lists built");
    assert!(names.iter().any(|(id, name)| id == "shop_b" && name == "Magasin Bé"), "{names:?}");
    let renamed = DealFilter { shop: Some("MAGASIN BÉ".into()), ..filter() };
    let listed = index.list_deals(pool, &renamed).await.expect("a list");
    assert!(!listed.is_empty() && listed.iter().all(|deal| deal.shop_id == "shop_b"), "{listed:?}");
    assert_eq!(listed, deal_queries::list_deals(pool, &renamed).await.expect("a list"));
}
