//! The web UI, API and feeds end to end: a fresh database seeded with offers and price histories judged by the real
//! judge, `web::serve` on a loopback port, and reqwest asking what a browser, a script or a feed reader would.

use crate::support;
use crate::support::builders::OfferSeed;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::judgements::judge_offers;
use dealcast::store::{kept_counts, search_index};
use dealcast::web::{self, WebState};
use reqwest::StatusCode;
use sqlx::PgPool;
use support::TestDb;

/// The title and shop name an attacker would scrape into the database.
const SCRIPT_TITLE: &str = "<script>alert(1)</script>";
const HOSTILE_SHOP: &str = "\"><img src=x onerror=alert(1)>";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().expect("a valid date")
}

fn on(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 9, 0, 0).single().expect("a valid date")
}

/// Writes an offer whose current state is its last observation; returns its id.
async fn add_offer(
    pool: &PgPool,
    shop: &str,
    title: &str,
    category: &str,
    history: &[(DateTime<Utc>, &str, Option<&str>)],
) -> i64 {
    OfferSeed::new(shop, title)
        .url(format!("https://{shop}.example/p/{}", title.len() * 7 + history.len()))
        .category(category)
        .image_url("javascript:alert(2)")
        .history(history)
        .insert(pool)
        .await
}

/// A running site over a seeded database.
struct Site {
    db: TestDb,
    base: String,
    http: reqwest::Client,
    /// 100 → 60 "was 100" since Nov 18, after months at 100: a real 40 % off.
    shoes: i64,
    /// "69.99, now 49.99" while it sold at 49.99 on Nov 10: inflated.
    headphones: i64,
    /// A hostile title in the hostile shop: 50 → 40, a real 20 % off.
    script: i64,
    /// First seen on Nov 19 already "reduced": unverified.
    vacuum: i64,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn site() -> Site {
    site_with_page_cache(Duration::ZERO).await
}

/// The site, keeping rendered deal lists for `page_cache` (zero: none, so each test sees the database as it is).
async fn site_with_page_cache(page_cache: Duration) -> Site {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    support::builders::ShopSeed::new("shop_a").name("Boutique A").insert(pool).await;
    support::builders::ShopSeed::new("shop_b").name(HOSTILE_SHOP).insert(pool).await;
    let shoes = add_offer(
        pool,
        "shop_a",
        "Chaussures de running Kiprun",
        "Sport",
        &[(on(9, 1), "100", None), (on(11, 18), "60", Some("100"))],
    )
    .await;
    let headphones = add_offer(
        pool,
        "shop_a",
        "Casque Bluetooth à réduction de bruit",
        "High-tech",
        &[
            (on(10, 1), "59.99", None),
            (on(11, 10), "49.99", None),
            (on(11, 12), "69.99", None),
            (on(11, 15), "49.99", Some("69.99")),
        ],
    )
    .await;
    let script =
        add_offer(pool, "shop_b", SCRIPT_TITLE, "Maison", &[(on(9, 1), "50", None), (on(11, 17), "40", Some("50"))])
            .await;
    let vacuum =
        add_offer(pool, "shop_b", "Aspirateur sans fil V15", "Maison", &[(on(11, 19), "199.99", Some("299.99"))]).await;
    let all = [shoes, headphones, script, vacuum];
    let judged = judge_offers(pool, &all, &ScoreWeights::default(), now()).await.expect("judge the offers");
    assert_eq!(judged, 4);
    // What a harvest does once its offers are stored and judged: searches look in the search index.
    search_index::refresh_all(pool).await.expect("index the offers for search");
    // And the counts /metrics and the shops pages show.
    kept_counts::recount_all(pool).await.expect("count the shops' offers");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let address = listener.local_addr().expect("the bound address");
    let base = format!("http://{address}");
    let state = WebState::new(db.pool.clone(), url::Url::parse(&base).expect("a URL")).with_page_cache(page_cache);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Site { db, base, http: reqwest::Client::new(), shoes, headphones, script, vacuum, _stop: stop }
}

impl Site {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.expect("the server answers")
    }

    /// The body of a 200 answer.
    async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.expect("a body");
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    async fn json(&self, path: &str) -> (StatusCode, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }
}

/// The deal ids a page links to, in order, once each.
fn linked_deals(html: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for piece in html.split("href=\"/deals/").skip(1) {
        let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(id) = digits.parse::<i64>()
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

fn api_ids(answer: &serde_json::Value) -> Vec<i64> {
    answer["deals"].as_array().expect("a deals array").iter().map(|deal| deal["id"].as_i64().expect("an id")).collect()
}

#[tokio::test]
async fn home_lists_the_deals_best_score_first() {
    let site = site().await;
    let by_score: Vec<i64> = sqlx::query_scalar("SELECT id FROM offers ORDER BY score DESC, id")
        .fetch_all(&site.db.pool)
        .await
        .expect("the scores");
    let html = site.page("/").await;
    assert_eq!(linked_deals(&html), by_score);
    assert_eq!(by_score[0], site.shoes, "the real 40 % off is the best deal");
    assert!(html.contains("<html lang=\"fr\""), "French by default");
    assert!(html.contains("Vraie promo") && html.contains("Fausse réduction"), "verdicts in words");
    assert!(html.contains("60,00\u{A0}€"), "French money formatting");
}

#[tokio::test]
async fn filters_by_shop_and_minimum_real_discount_in_page_and_api() {
    let site = site().await;
    let html = site.page("/?shop=shop_a&min_discount=30").await;
    assert_eq!(linked_deals(&html), vec![site.shoes]);
    assert!(html.contains("<option value=\"shop_a\" selected>"), "the filter state is shown in the form");
    let (_, answer) = site.json("/api/deals?shop=shop_a&min_discount=30").await;
    assert_eq!(api_ids(&answer), vec![site.shoes]);
    let (_, answer) = site.json("/api/deals?shop=shop_b&min_discount=10").await;
    assert_eq!(api_ids(&answer), vec![site.script]);
    let (_, answer) = site.json("/api/deals?verdict=inflated").await;
    assert_eq!(api_ids(&answer), vec![site.headphones]);
    let (_, answer) = site.json("/api/deals?min_price=45&max_price=55&category=High-tech").await;
    assert_eq!(api_ids(&answer), vec![site.headphones]);
}

#[tokio::test]
async fn a_search_with_a_typo_finds_the_shoes() {
    let site = site().await;
    let html = site.page("/?q=chausure").await;
    assert_eq!(linked_deals(&html), vec![site.shoes]);
    assert!(html.contains("value=\"chausure\""), "the search stays in the box");
    let (_, answer) = site.json("/api/deals?q=chausure+runing").await;
    assert_eq!(api_ids(&answer), vec![site.shoes], "a typo in every word");
    let (_, answer) = site.json("/api/deals?q=chaussure").await;
    assert_eq!(api_ids(&answer), vec![site.shoes], "French stemming: the singular finds the plural");
    let (_, answer) = site.json("/api/deals?q=REDUCTION").await;
    assert_eq!(api_ids(&answer), vec![site.headphones], "accents and case are ignored");
    let (_, answer) = site.json("/api/deals?q=aspi").await;
    assert_eq!(api_ids(&answer), vec![site.vacuum], "a partial word is found");
}

#[tokio::test]
async fn a_deal_page_shows_the_chart_the_verdict_and_the_explanation() {
    let site = site().await;
    let html = site.page(&format!("/deals/{}", site.headphones)).await;
    assert!(html.contains("<svg class=\"chart\""), "the price history chart");
    assert!(html.contains("<path class=\"price-line\" d=\"M"), "a drawn line");
    assert!(html.contains("Fausse réduction"), "the verdict in words");
    assert!(html.contains("prix barré de 69,99\u{A0}€") && html.contains("49,99\u{A0}€"), "the claim and reference");
    assert!(html.contains("verdict gonflé"), "the score explanation, in French");
    assert!(!html.contains("30-day low"), "no English explanation on a French page");
    assert!(!html.contains("javascript:"), "a javascript: image or link is never emitted");

    let english = site.page(&format!("/deals/{}?lang=en", site.shoes)).await;
    assert!(english.contains("<html lang=\"en\"") && english.contains("Real deal"), "English on request");
    assert!(english.contains("verdict honest"), "the score explanation in English");
    let by_header = site
        .http
        .get(format!("{}/deals/{}", site.base, site.shoes))
        .header("Accept-Language", "en-GB,en;q=0.9")
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a body");
    assert!(by_header.contains("Real deal"), "English from Accept-Language");

    let missing = site.get("/deals/999999").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(site.get("/deals/abc").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn where_a_deal_was_published_links_to_the_post() {
    let site = site().await;
    let pool = &site.db.pool;
    sqlx::query("INSERT INTO accounts (id, platform) VALUES ('bons_plans', 'x')").execute(pool).await.expect("account");
    sqlx::query(
        "INSERT INTO publications (account_id, offer_id, deal_key, status, text, published_at, remote_id, remote_url)
         VALUES ('bons_plans', $1, 'k1', 'published', 'Chaussures à 60 € !', $2, '42',
                 'https://x.com/bons_plans/status/42')",
    )
    .bind(site.shoes)
    .bind(now())
    .execute(pool)
    .await
    .expect("publication");
    let html = site.page(&format!("/deals/{}", site.shoes)).await;
    assert!(html.contains("href=\"https://x.com/bons_plans/status/42\""), "{html}");
    let list = site.page("/publications").await;
    assert!(list.contains("bons_plans") && list.contains("Chaussures à 60 € !"));
    let (status, answer) = site.json("/api/publications?account=bons_plans").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["publications"][0]["remote_url"], "https://x.com/bons_plans/status/42");
    let (_, detail) = site.json(&format!("/api/deals/{}", site.shoes)).await;
    assert_eq!(detail["publications"][0]["status"], "published");
}

#[tokio::test]
async fn the_api_answers_in_documented_shapes_and_pages_with_a_cursor() {
    let site = site().await;
    let (status, first) = site.json("/api/deals?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["deals"].as_array().map(Vec::len), Some(2));
    let deal = &first["deals"][0];
    for field in ["id", "shop_id", "shop_name", "title", "url", "price", "reference_price", "verdict", "score"] {
        assert!(deal.get(field).is_some(), "a deal has {field}: {deal}");
    }
    let next = first["next"].as_str().expect("a next cursor");
    let (_, second) = site.json(&format!("/api/deals?limit=2&after={next}")).await;
    let (_, all) = site.json("/api/deals").await;
    let paged: Vec<i64> = api_ids(&first).into_iter().chain(api_ids(&second)).collect();
    assert_eq!(paged, api_ids(&all), "two pages are the whole list, in order");
    assert!(second["next"].is_null(), "the last page has no next");

    let (_, detail) = site.json(&format!("/api/deals/{}", site.headphones)).await;
    assert_eq!(detail["offer"]["verdict"], "inflated");
    assert_eq!(detail["history"].as_array().map(Vec::len), Some(4));
    assert!(detail["explanation"].as_array().is_some_and(|lines| !lines.is_empty()));

    let (_, shops) = site.json("/api/shops").await;
    let shop_ids: Vec<&str> =
        shops["shops"].as_array().expect("shops").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(shop_ids.len(), 2);
    assert!(shops["shops"][0].get("recent_runs").is_some() && shops["shops"][0].get("healthy").is_some());

    let (status, error) = site.json("/api/deals?min_discount=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["status"], 400);
    assert_eq!(error["parameter"], "min_discount");
    assert_eq!(error["error"], "min_discount: \"abc\" is not a number");
    let (status, error) = site.json("/api/deals?verdict=great").await;
    assert_eq!((status, error["parameter"].as_str()), (StatusCode::BAD_REQUEST, Some("verdict")));
    let (status, error) = site.json("/api/deals/999999").await;
    assert_eq!((status, error["status"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));
    let (status, _) = site.json("/api/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let page = site.get("/?max_price=lots").await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.expect("a body").contains("max_price"), "the page names the bad parameter");
}

#[tokio::test]
async fn the_atom_feeds_parse_and_hold_the_deals() {
    let site = site().await;
    let response = site.get("/feed.atom").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap_or("").starts_with("application/atom+xml"));
    let xml = response.text().await.expect("a body");
    let feed = atom_syndication::Feed::from_str(&xml).expect("valid Atom");
    assert_eq!(feed.entries().len(), 4);
    assert!(feed.entries()[0].title().as_str().starts_with("Chaussures de running Kiprun"));
    assert!(feed.entries()[0].id().ends_with(&format!("/deals/{}", site.shoes)));

    let xml = site.page("/shops/shop_b/feed.atom").await;
    let feed = atom_syndication::Feed::from_str(&xml).expect("valid Atom");
    assert_eq!(feed.entries().len(), 2);
    assert!(feed.title().as_str().contains(HOSTILE_SHOP), "the shop's name, as text");
    assert!(feed.entries().iter().any(|entry| entry.title().as_str().starts_with(SCRIPT_TITLE)));
    assert!(!xml.contains(SCRIPT_TITLE) && !xml.contains("<img"), "no markup from scraped text: {xml}");
    assert_eq!(site.get("/shops/nowhere/feed.atom").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scraped_html_is_escaped_in_pages_feeds_and_api() {
    let site = site().await;
    for path in ["/".to_owned(), format!("/deals/{}", site.script), format!("/deals/{}", site.vacuum), "/shops".into()]
    {
        let html = site.page(&path).await;
        assert!(!html.contains("<script"), "{path}: no script element");
        assert!(!html.contains("<img src=x"), "{path}: no injected image");
        assert!(!html.contains("\"><img"), "{path}: no attribute break-out");
    }
    let home = site.page("/").await;
    // askama escapes with numeric references: `<` is `&#60;`, `>` `&#62;`, `"` `&#34;`.
    assert!(home.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "the title shows as text");
    assert!(home.contains("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;"), "the shop name shows as text");

    let (_, answer) = site.json(&format!("/api/deals/{}", site.script)).await;
    assert_eq!(answer["offer"]["title"], SCRIPT_TITLE, "JSON carries the string itself, not HTML");
    assert_eq!(answer["offer"]["shop_name"], HOSTILE_SHOP);
}

#[tokio::test]
async fn sql_in_filters_is_only_text() {
    let site = site().await;
    for hostile in ["' OR 1=1 --", "'; DROP TABLE offers; --", "\\' OR '1'='1", "$1"] {
        let encoded: String = url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
        for parameter in ["shop", "category"] {
            let html = site.page(&format!("/?{parameter}={encoded}")).await;
            assert_eq!(linked_deals(&html), Vec::<i64>::new(), "{parameter}={hostile}");
            let (status, answer) = site.json(&format!("/api/deals?{parameter}={encoded}")).await;
            assert_eq!(status, StatusCode::OK, "{parameter}={hostile}: {answer}");
            assert_eq!(api_ids(&answer), Vec::<i64>::new());
        }
        // A search is words: "1" in `OR 1=1` may find the `1` of a title, but never opens the whole table.
        let html = site.page(&format!("/?q={encoded}")).await;
        let (status, answer) = site.json(&format!("/api/deals?q={encoded}")).await;
        assert_eq!(status, StatusCode::OK, "q={hostile}: {answer}");
        assert_eq!(linked_deals(&html), api_ids(&answer), "q={hostile}");
        assert!(api_ids(&answer).iter().all(|id| *id == site.script), "q={hostile}: only the title with a 1");
        let (status, _) = site.json(&format!("/api/publications?account={encoded}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let offers: i64 = sqlx::query_scalar("SELECT count(*) FROM offers").fetch_one(&site.db.pool).await.expect("count");
    assert_eq!(offers, 4, "the offers table is intact");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let site = site().await;
    for path in
        ["/", "/api/deals", "/feed.atom", "/shops", "/publications", "/nowhere", "/api/deals?limit=x", "/healthz"]
    {
        let response = site.get(path).await;
        let headers = response.headers();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert_eq!(
            header("content-security-policy"),
            "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert!(!header("referrer-policy").is_empty(), "{path}");
    }
    let css = site.get("/static/style.css").await;
    assert!(css.headers()["content-type"].to_str().unwrap_or("").starts_with("text/css"));
    let html = site.page("/").await;
    assert!(!html.contains("style=") && !html.contains("<script"), "no inline style or script for the CSP to block");
}

#[tokio::test]
async fn health_and_metrics_report_the_database() {
    let site = site().await;
    assert_eq!(site.page("/healthz").await, "ok\n");
    sqlx::query(
        "INSERT INTO scrape_runs (shop_id, status, finished_at, errors) VALUES ('shop_a', 'succeeded', now(),
             '{\"http_404\": 3, \"timeout\": 1}')",
    )
    .execute(&site.db.pool)
    .await
    .expect("a run");
    // What a harvest does when its run ends.
    kept_counts::recount_shop(&site.db.pool, "shop_a").await.expect("count the run");
    let metrics = site.page("/metrics").await;
    for line in [
        "dealcast_offers_active{shop=\"shop_a\"} 2",
        "dealcast_scrape_runs_total{shop=\"shop_a\",status=\"succeeded\"} 1",
        "dealcast_scrape_errors_total{shop=\"shop_a\",kind=\"http_404\"} 3",
        "dealcast_shop_healthy{shop=\"shop_b\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    let generation: i64 = sqlx::query_scalar("SELECT generation FROM search_generation")
        .fetch_one(&site.db.pool)
        .await
        .expect("the search generation");
    assert!(metrics.contains(&format!("dealcast_search_generation {generation}")), "{metrics}");
    // The server loads its deal lists in the background when it starts: they reach the database's generation.
    let lists = [format!("dealcast_deal_lists_generation {generation}"), "dealcast_deal_lists_offers 4".to_owned()];
    let mut metrics = metrics;
    for _ in 0..50 {
        if lists.iter().all(|line| metrics.contains(line)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        metrics = site.page("/metrics").await;
    }
    assert!(lists.iter().all(|line| metrics.contains(line)), "{lists:?} in {metrics}");
    let shops = site.page("/shops").await;
    assert!(shops.contains("http_404") && shops.contains("Boutique A"), "errors by kind on the shops page");
}

/// The ids of the deals a search of the JSON API lists.
async fn searched(site: &Site, query: &str) -> Vec<i64> {
    listed(site, &url::form_urlencoded::Serializer::new(String::new()).append_pair("q", query).finish()).await
}

/// Changes the vacuum offer as a harvest or the judge would (`set`: an SQL SET list over `offers`, written by the
/// test itself).
async fn change_vacuum(site: &Site, set: &'static str) {
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE offers SET {set} WHERE id = $1")))
        .bind(site.vacuum)
        .execute(&site.db.pool)
        .await
        .unwrap_or_else(|error| panic!("SET {set}: {error}"));
}

#[tokio::test]
async fn a_search_finds_typos_partial_words_and_unaccented_words_and_follows_a_retitled_offer() {
    let site = site().await;
    assert_eq!(searched(&site, "aspirateur").await, vec![site.vacuum], "a whole word");
    assert_eq!(searched(&site, "aspirater").await, vec![site.vacuum], "a typo");
    assert_eq!(searched(&site, "aspi").await, vec![site.vacuum], "a partial word");
    assert_eq!(searched(&site, "chausures runing").await, vec![site.shoes], "a typo in every word");
    assert_eq!(searched(&site, "reduction").await, vec![site.headphones], "a word without its accent");
    assert_eq!(searched(&site, "réduction").await, vec![site.headphones], "a word with its accent");
    assert_eq!(searched(&site, "trottinette").await, Vec::<i64>::new(), "a word no offer holds");

    let pool = &site.db.pool;
    change_vacuum(&site, "title = 'Trottinette électrique pliable'").await;
    assert_eq!(searched(&site, "trottinette").await, Vec::<i64>::new(), "found only once the index is refreshed");
    let written = search_index::refresh_shop(pool, "shop_b").await.expect("refresh the shop's search rows");
    assert_eq!(written, 1, "only the retitled offer is indexed again");
    assert_eq!(searched(&site, "trottinette").await, vec![site.vacuum], "found by its new title");
    assert_eq!(searched(&site, "electrique").await, vec![site.vacuum], "without its accent");
    assert_eq!(searched(&site, "aspirateur").await, Vec::<i64>::new(), "no longer by its old title");
    assert_eq!(search_index::refresh_shop(pool, "shop_b").await.expect("refresh again"), 0, "nothing changed since");
}

#[tokio::test]
async fn a_deal_list_is_served_again_until_its_page_cache_time_ends() {
    let site = site_with_page_cache(Duration::from_secs(2)).await;
    let before = site.page("/").await;
    assert!(before.contains("Aspirateur sans fil V15"), "{before}");
    change_vacuum(&site, "title = 'Aspirateur balai V16'").await;
    let cached = site.page("/").await;
    assert!(cached.contains("Aspirateur sans fil V15") && !cached.contains("V16"), "the list as rendered before");
    let (_, api) = site.json("/api/deals").await;
    assert!(api.to_string().contains("Aspirateur balai V16"), "another list is its own page: {api}");
    let english = site.page("/?lang=en").await;
    assert!(english.contains("Aspirateur balai V16"), "another language is its own page");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let after = site.page("/").await;
    assert!(after.contains("Aspirateur balai V16"), "the list is asked anew once its time is over");
}

/// The ids of the deals the JSON API lists for a query string.
async fn listed(site: &Site, query: &str) -> Vec<i64> {
    let body: serde_json::Value = site.get(&format!("/api/deals?{query}")).await.json().await.expect("a JSON answer");
    api_ids(&body)
}

#[tokio::test]
async fn a_search_with_filters_lists_the_right_deals_and_follows_repriced_and_ended_offers() {
    let site = site().await;
    // The vacuum: shop_b, Maison, 199.99, unverified. The headphones: shop_a, High-tech, 49.99, inflated.
    assert_eq!(listed(&site, "q=aspirateur&max_price=250").await, vec![site.vacuum], "under the price");
    assert_eq!(listed(&site, "q=aspirateur&max_price=150").await, Vec::<i64>::new(), "above the price");
    assert_eq!(listed(&site, "q=aspirateur&min_price=150&category=Maison").await, vec![site.vacuum]);
    assert_eq!(listed(&site, "q=aspirateur&category=Sport").await, Vec::<i64>::new(), "another category");
    assert_eq!(listed(&site, "q=aspirater&shop=shop_b").await, vec![site.vacuum], "a typo in its shop");
    assert_eq!(listed(&site, "q=aspirater&shop=shop_a").await, Vec::<i64>::new(), "a typo in another shop");
    assert_eq!(listed(&site, "q=casque&verdict=inflated").await, vec![site.headphones], "its verdict");
    assert_eq!(listed(&site, "q=casque&verdict=honest").await, Vec::<i64>::new(), "another verdict");
    assert_eq!(listed(&site, "q=chaussures&min_discount=30").await, vec![site.shoes], "its real discount (40 %)");
    assert_eq!(listed(&site, "q=chaussures&min_discount=50").await, Vec::<i64>::new(), "a larger discount");

    // Repriced by a harvest: the search follows once the harvest refreshes the shop's search rows.
    let pool = &site.db.pool;
    change_vacuum(&site, "price = 279.99").await;
    assert_eq!(listed(&site, "q=aspirateur&max_price=250").await, Vec::<i64>::new(), "never outside the range");
    assert_eq!(listed(&site, "q=aspirateur&min_price=250").await, Vec::<i64>::new(), "found once refreshed");
    assert_eq!(search_index::refresh_shop(pool, "shop_b").await.expect("refresh"), 1, "the copied price");
    assert_eq!(listed(&site, "q=aspirateur&min_price=250").await, vec![site.vacuum], "now above 250");
    assert_eq!(listed(&site, "q=aspirateur&max_price=250").await, Vec::<i64>::new(), "and not below");

    // Ended (gone from the shop): out of the active deals at once, among the ended ones after the refresh.
    change_vacuum(&site, "active = false, ended_at = last_seen_at").await;
    assert_eq!(listed(&site, "q=aspirateur").await, Vec::<i64>::new(), "an ended offer is not an active deal");
    assert_eq!(listed(&site, "q=aspirateur&state=ended").await, Vec::<i64>::new(), "ended once refreshed");
    assert_eq!(search_index::refresh_shop(pool, "shop_b").await.expect("refresh"), 1, "the copied state");
    assert_eq!(listed(&site, "q=aspirateur").await, Vec::<i64>::new(), "still not an active deal");
    assert_eq!(listed(&site, "q=aspirateur&state=ended").await, vec![site.vacuum], "an ended deal");
    assert_eq!(listed(&site, "q=aspirateur&state=all").await, vec![site.vacuum], "a deal of any state");
    assert_eq!(search_index::refresh_shop(pool, "shop_b").await.expect("refresh"), 0, "nothing changed since");
}
