//! The web server against the clients and readers an attacker or a careless default would bring: connections that
//! send half a request and stop, slow queries, `/metrics` behind its token, one-letter searches, guessing the admin
//! password from many addresses, private review notes, dates read in the reader's time zone, and `/metrics` and the
//! shops pages answering from kept counts while the offers are locked. Everything over real HTTP on loopback against
//! `web::serve_within` on a fresh database.

use crate::support;

use std::time::{Duration, Instant};

use futures::StreamExt;

use dealcast::store::{Store, StoreSettings};
use dealcast::web::server::ServerLimits;
use dealcast::web::{self, WebState};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running site over `db`, within `limits`; stopped when the returned sender is dropped.
async fn serve(state: WebState, limits: ServerLimits) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("the bound address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve_within(listener, state, limits, async move {
        let _ = stopped.await;
    }));
    (base, stop)
}

fn state_of(db: &support::TestDb, base: &str) -> WebState {
    WebState::new(db.pool.clone(), url::Url::parse(base).expect("a URL"))
}

/// Reads from `stream` until the server closes it (end of stream or reset); returns when, or `None` past `deadline`.
async fn closed_by(stream: &mut TcpStream, deadline: Instant) -> Option<Instant> {
    let mut buffer = [0u8; 1024];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(Instant::now()),
            // Whatever the server says before closing (hyper says nothing; a 408 would do too), keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

/// `count` connections to `address` that each sent half a request header, and then nothing.
async fn stalled_connections(address: &str, count: usize) -> Vec<TcpStream> {
    let mut stalled = Vec::new();
    for _ in 0..count {
        let mut stream = TcpStream::connect(address).await.expect("a connection");
        stream.write_all(b"GET / HTTP/1.1\r\nHost: deals.example\r\nUser-Agent: slow").await.expect("half a header");
        stalled.push(stream);
    }
    stalled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_half_sent_requests_are_closed_within_the_header_timeout_while_healthz_answers() {
    let db = support::fresh_database().await;
    let limits = ServerLimits { header_read_timeout: Duration::from_secs(2), ..ServerLimits::default() };
    // The port is only known once bound: the state's public URL is not used by these requests.
    let (base, _stop) = serve(state_of(&db, "http://127.0.0.1/"), limits).await;
    let address = base.trim_start_matches("http://").to_owned();

    let mut slow = stalled_connections(&address, 200).await;
    let sent = Instant::now();

    // Meanwhile, a normal client is answered at once.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let health = http.get(format!("{base}/healthz")).send().await.expect("/healthz answers while 200 clients stall");
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.text().await.unwrap().starts_with("ok"));
    assert!(sent.elapsed() < limits.header_read_timeout, "/healthz answered before the slow clients were cut");

    // Every stalled connection is closed by the server, within the timeout (plus scheduling slack on a busy machine).
    let deadline = sent + limits.header_read_timeout + Duration::from_secs(3);
    let mut latest = sent;
    for (n, stream) in slow.iter_mut().enumerate() {
        let closed = closed_by(stream, deadline).await;
        let closed =
            closed.unwrap_or_else(|| panic!("connection {n} still open {:?} after its half header", sent.elapsed()));
        latest = latest.max(closed);
    }
    assert!(latest - sent >= limits.header_read_timeout - Duration::from_millis(200), "not cut before the timeout");
    println!("200 stalled connections closed {:?} after their half header", latest - sent);

    // And the server still serves.
    let health = http.get(format!("{base}/healthz")).send().await.expect("/healthz answers afterwards");
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_until_one_closes() {
    let db = support::fresh_database().await;
    let limits =
        ServerLimits { header_read_timeout: Duration::from_secs(2), max_connections: 3, ..ServerLimits::default() };
    let (base, _stop) = serve(state_of(&db, "http://127.0.0.1/"), limits).await;
    let address = base.trim_start_matches("http://").to_owned();
    let _held = stalled_connections(&address, 3).await;
    let started = Instant::now();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let health = http.get(format!("{base}/healthz")).send().await.expect("answered once a slot frees");
    assert_eq!(health.status(), StatusCode::OK);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "the fourth connection was served only after the held ones were cut ({waited:?})"
    );
}

#[tokio::test]
async fn a_web_statement_running_past_its_timeout_is_cancelled_by_postgresql() {
    let db = support::fresh_database().await;
    let settings = StoreSettings {
        database_url: Some(support::database_url(&db)),
        data_dir: std::env::temp_dir(),
        pg_bin_dir: None,
        max_connections: 2,
        connect_timeout: Duration::from_secs(10),
    };
    let store = Store::open(&settings).await.expect("the store opens");
    let web = store.side_pool(2, Duration::from_secs(5), Some(Duration::from_millis(300)));
    let started = Instant::now();
    let error = sqlx::query("SELECT pg_sleep(5)").execute(&web).await.expect_err("cancelled");
    let code = error.as_database_error().and_then(|e| e.code()).map(|code| code.into_owned());
    assert_eq!(code.as_deref(), Some("57014"), "query_canceled: {error}");
    assert!(started.elapsed() < Duration::from_secs(3), "cancelled after {:?}", started.elapsed());
    // The main pool has no such limit (a harvest may run long statements).
    sqlx::query("SELECT pg_sleep(0.5)").execute(store.pool()).await.expect("no timeout on the main pool");
    web.close().await;
    store.close().await.expect("the store closes");
}

#[tokio::test]
async fn metrics_behind_a_token_answer_only_with_it() {
    let db = support::fresh_database().await;
    let token = "metrics-token-0123456789";
    let state = state_of(&db, "http://127.0.0.1/").with_metrics_token(Some(token));
    let (base, _stop) = serve(state, ServerLimits::default()).await;
    let http = reqwest::Client::new();
    let url = format!("{base}/metrics");
    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
    let wrong = http.get(&url).bearer_auth("metrics-token-0123456780").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = http.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().ends_with("# EOF\n"));
    // Without a token configured, /metrics stays public.
    let (open, _stop_open) = serve(state_of(&db, "http://127.0.0.1/"), ServerLimits::default()).await;
    assert_eq!(http.get(format!("{open}/metrics")).send().await.unwrap().status(), StatusCode::OK);
}

/// The titles of the deals `/api/deals` lists for `query`.
async fn titles(base: &str, query: &str) -> Vec<String> {
    let answer: serde_json::Value =
        reqwest::get(format!("{base}/api/deals?{query}")).await.unwrap().json().await.unwrap();
    answer["deals"].as_array().expect("a list").iter().map(|deal| deal["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_search_word_of_one_or_two_letters_matches_whole_words_only() {
    let site = support::admin_site::start(false).await;
    assert!(titles(&site.base, "q=palette").await.contains(&"Palette Nude 12 teintes".to_owned()));
    // "a" is in "palette", "mascara", "chaussures": as a pattern it would list them all.
    assert_eq!(titles(&site.base, "q=a").await, Vec::<String>::new());
    assert_eq!(titles(&site.base, "q=12").await, ["Palette Nude 12 teintes"], "a short whole word still matches");
}

/// A browser of its own (cookies kept, no redirect followed) behind the trusted loopback proxy, which says it
/// forwards `address`.
struct Forwarded {
    client: reqwest::Client,
    address: String,
}

fn browser_of(address: &str) -> Forwarded {
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build();
    Forwarded { client: client.expect("an HTTP client"), address: address.to_owned() }
}

impl Forwarded {
    fn get(&self, url: String) -> reqwest::RequestBuilder {
        self.client.get(url).header("x-forwarded-for", &self.address)
    }
}

/// Tries `password` on the login form of `base` as `browser`; the answer's status.
async fn login_as(base: &str, browser: &Forwarded, password: &str) -> StatusCode {
    let form = browser.get(format!("{base}/admin/login")).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = form.find(marker).expect("a CSRF field") + marker.len();
    let csrf = form[start..].split('"').next().unwrap();
    let post = browser.client.post(format!("{base}/admin/login")).header("x-forwarded-for", &browser.address);
    post.form(&[("csrf", csrf), ("password", password)]).send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_failed_logins_from_sixty_addresses_do_not_lock_the_operator_out() {
    use support::admin_site::{self, PASSWORD};
    let site = admin_site::start_behind_proxies(&["127.0.0.1"]).await;
    // Ten guessers at a time, each from its own address: 60 failures, past the overall slow-down threshold (50).
    let guesses = (0..60).map(|n| {
        let base = site.base.clone();
        async move { login_as(&base, &browser_of(&format!("203.0.113.{n}")), "guess").await }
    });
    let mut failed = 0;
    let mut guesses = futures::stream::iter(guesses).buffer_unordered(10);
    while let Some(status) = guesses.next().await {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong password is refused, not the client");
        failed += 1;
    }
    assert_eq!(failed, 60);
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM admin_login_attempts WHERE NOT succeeded")
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(failures, 60);

    // The operator, from another address: slowed down, but logged in.
    let operator = browser_of("198.51.100.20");
    let started = Instant::now();
    assert_eq!(login_as(&site.base, &operator, PASSWORD).await, StatusCode::SEE_OTHER, "logged in");
    assert!(started.elapsed() >= Duration::from_secs(1), "slowed down during the attack: {:?}", started.elapsed());
    let admin = operator.get(format!("{}/admin", site.base)).send().await.unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
    assert!(admin.text().await.unwrap().contains("File de relecture"));

    // A guesser past its own limit is still refused, even with the right password.
    let guesser = browser_of("203.0.113.200");
    for _ in 0..5 {
        assert_eq!(login_as(&site.base, &guesser, "guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login_as(&site.base, &guesser, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn review_reasons_and_drafts_stay_off_the_public_pages() {
    use dealcast::publish::review;
    let site = support::admin_site::start(true).await;
    let pending = site.pending().await;
    assert!(pending.len() >= 3, "{pending:?}");
    let (rejected, rejected_offer, rejected_text) = pending[0].clone();
    let (published, _, published_text) = pending[1].clone();
    let (_, _, waiting_text) = pending[2].clone();
    let reason = "Prix d'appel douteux, fournisseur en litige";
    review::reject(&site.db.pool, rejected, Some(reason), "admin", chrono::Utc::now()).await.expect("rejected");
    sqlx::query(
        "UPDATE publications SET status = 'published', published_at = now(), remote_id = '7',
             remote_url = 'https://x.com/revue/status/7'
         WHERE id = $1",
    )
    .bind(published)
    .execute(&site.db.pool)
    .await
    .unwrap();

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move { http.get(path).send().await.unwrap().text().await.unwrap() }
    };
    let page = get(format!("{}/publications", site.base)).await;
    let api = get(format!("{}/api/publications", site.base)).await;
    let deal_page = get(format!("{}/deals/{rejected_offer}", site.base)).await;
    let deal_api = get(format!("{}/api/deals/{rejected_offer}", site.base)).await;
    for (what, body) in [("/publications", &page), ("/api/publications", &api), ("the deal page", &deal_page)] {
        assert!(!body.contains("fournisseur en litige"), "{what} shows the rejection reason: {body}");
        assert!(!body.contains("pending_review") && !body.contains("rejected"), "{what} shows drafts: {body}");
    }
    assert!(!deal_api.contains("fournisseur en litige") && !deal_api.contains(&rejected_text), "{deal_api}");
    // The texts of drafts are not shown (those of other posts may share a deal's title: compare whole texts).
    let api_json: serde_json::Value = serde_json::from_str(&api).unwrap();
    let texts: Vec<&str> =
        api_json["publications"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(texts, [published_text.as_str()], "only the post that went out");
    assert!(!texts.contains(&waiting_text.as_str()) && !texts.contains(&rejected_text.as_str()));
    assert!(api_json["publications"][0].get("last_error").is_none(), "no outbox internals: {api}");
    assert_eq!(api_json["publications"][0]["remote_url"], "https://x.com/revue/status/7");
    assert!(page.contains("https://x.com/revue/status/7"), "the published post and its link are shown: {page}");
    // Asking for drafts by status is refused, not answered.
    let asked = http.get(format!("{}/api/publications?status=rejected", site.base)).send().await.unwrap();
    assert_eq!(asked.status(), StatusCode::BAD_REQUEST);
    // The admin still has them.
    let kept: Option<String> = sqlx::query_scalar("SELECT last_error FROM publications WHERE id = $1")
        .bind(rejected)
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(reason));
}

#[tokio::test]
async fn a_price_seen_at_half_past_eleven_utc_shows_on_the_next_days_date_in_paris() {
    let db = support::fresh_database().await;
    support::builders::ShopSeed::new("kiabi").name("Kiabi").insert(&db.pool).await;
    let seen: chrono::DateTime<chrono::Utc> = "2026-11-20T23:30:00Z".parse().unwrap();
    let offer: i64 = sqlx::query_scalar(
        "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price, availability, first_seen_at,
             last_seen_at)
         VALUES ('kiabi', 'https://www.kiabi.example/p/1', 'https://www.kiabi.example/p/1', 'Jean droit brut', 'EUR',
             29.99, 'in_stock', $1, $1) RETURNING id",
    )
    .bind(seen)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO price_observations (offer_id, observed_at, currency, price, availability)
         VALUES ($1, $2, 'EUR', 29.99, 'in_stock')",
    )
    .bind(offer)
    .bind(seen)
    .execute(&db.pool)
    .await
    .unwrap();
    let page_in = |zone: Option<chrono_tz::Tz>| {
        let state = state_of(&db, "http://127.0.0.1/");
        let state = match zone {
            Some(zone) => state.with_time_zone(zone),
            None => state,
        };
        async move {
            let (base, stop) = serve(state, ServerLimits::default()).await;
            let page = reqwest::get(format!("{base}/deals/{offer}")).await.unwrap().text().await.unwrap();
            drop(stop);
            page
        }
    };
    // Paris by default: 23:30 UTC on the 20th is 00:30 on the 21st (CET, UTC+1), in the history and the chart.
    let paris = page_in(None).await;
    assert!(paris.contains("21/11/2026 00:30 CET"), "{paris}");
    assert!(paris.contains("21/11/2026 : 29,99"), "the chart's point is dated in Paris too: {paris}");
    assert!(!paris.contains("20/11/2026"), "{paris}");
    // A site configured for Montreal shows the 20th, at 18:30.
    let montreal = page_in(Some(chrono_tz::America::Montreal)).await;
    assert!(montreal.contains("20/11/2026 18:30 EST"), "{montreal}");
}

/// A listing page linking to products `/p{n}` for each of `products`.
fn listing_of(products: &[usize]) -> support::loopback_shop::Behaviour {
    let links: String = products.iter().map(|p| format!(r#"<a class="product" href="/p{p}">{p}</a>"#)).collect();
    support::loopback_shop::Behaviour::Page {
        content_type: "text/html",
        body: format!("<html>{links}</html>").into_bytes(),
    }
}

/// A loopback shop of three products (`/p0`..`/p2`) listed on `/list`, with its shop file.
async fn three_product_shop() -> (support::loopback_shop::LoopbackShop, dealcast::scrape::registry::Shop) {
    use support::loopback_shop::{self, Behaviour, product_page};
    let mut routes = std::collections::HashMap::new();
    routes.insert("/list".to_string(), listing_of(&[0, 1, 2]));
    for p in 0..3 {
        let body = product_page(&format!("Produit {p}"), "19.99", Some("29.99"));
        routes.insert(format!("/p{p}"), Behaviour::Page { content_type: "text/html", body });
    }
    let server = loopback_shop::start(routes).await;
    let spec = dealcast::common::toml_problems::parse_all(&format!(
        "name = \"Boutique\"\nhomepage = \"{}\"\n[crawl]\nstart_urls = [\"{}\"]\nproduct_links = \"a.product\"\n\
         [politeness]\nmin_delay_ms = 0\n",
        server.url("/"),
        server.url("/list")
    ))
    .expect("a valid shop file");
    let shop = dealcast::scrape::registry::Shop { id: "boutique".into(), file: "boutique.toml".into(), spec };
    (server, shop)
}

/// What `/metrics`, `/shops` and `/api/shops` say of shop `boutique`: (active offers, active deals) from each.
/// Each request must answer within 10 s.
async fn shown_counts(base: &str) -> [(i64, i64); 3] {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let get = |path: &'static str| {
        let request = http.get(format!("{base}{path}"));
        async move {
            let response = request.send().await.unwrap_or_else(|e| panic!("{path} answers: {e}"));
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            response.text().await.unwrap()
        }
    };
    let metrics = get("/metrics").await;
    let metric = |name: &str| -> i64 {
        let prefix = format!("{name}{{shop=\"boutique\"}} ");
        let line = metrics.lines().find_map(|line| line.strip_prefix(&prefix)).unwrap_or_else(|| panic!("{prefix}"));
        line.parse().unwrap()
    };
    let from_metrics = (metric("dealcast_offers_active"), metric("dealcast_deals_active"));
    let page = get("/shops").await;
    let number_after = |label: &str| -> i64 {
        let at = page.find(label).unwrap_or_else(|| panic!("{label} on /shops: {page}")) + label.len();
        page[at..]
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    let from_page = (number_after("Offres actives"), number_after("Promos actives"));
    let api: serde_json::Value = serde_json::from_str(&get("/api/shops").await).unwrap();
    let shop = &api["shops"][0];
    let from_api = (shop["active_offers"].as_i64().unwrap(), shop["active_deals"].as_i64().unwrap());
    [from_metrics, from_page, from_api]
}

/// The active offers and deals of `boutique`, counted from the offers themselves.
async fn true_counts(pool: &sqlx::PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE active), count(*) FILTER (WHERE active AND score IS NOT NULL)
         FROM offers WHERE shop_id = 'boutique'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_shops_show_kept_counts_that_follow_harvests_and_endings_even_while_offers_are_locked() {
    use dealcast::deals::score::ScoreWeights;
    use dealcast::harvest::rescoring::{RescoreOptions, rescore_active};
    use dealcast::harvest::{Clock, harvest_shop};
    use dealcast::scrape::crawl::CrawlOptions;
    use dealcast::scrape::fetch::Fetcher;

    let db = support::fresh_database().await;
    let (server, shop) = three_product_shop().await;
    let fetcher = Fetcher::new(support::outbound::loopback_fetch_settings()).unwrap();
    let weights = ScoreWeights::default();
    let clock: Clock = dealcast::harvest::system_clock();
    let options = CrawlOptions::default();
    let harvest = || harvest_shop(&db.pool, &fetcher, &shop, &options, "test", &weights, &clock);
    let (base, _stop) = serve(state_of(&db, "http://127.0.0.1/"), ServerLimits::default()).await;

    // After a harvest: its three offers, as many deals as were judged, the same on every page.
    harvest().await.expect("the first harvest");
    let truth = true_counts(&db.pool).await;
    assert_eq!(truth.0, 3);
    assert_eq!(shown_counts(&base).await, [truth; 3]);
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("dealcast_scrape_runs_total{shop=\"boutique\",status=\"succeeded\"} 1"), "{metrics}");

    // The shop stops listing /p2: two runs without it end it, and the pages follow.
    server.set("/list", listing_of(&[0, 1]));
    harvest().await.expect("the second harvest");
    harvest().await.expect("the third harvest");
    let truth = true_counts(&db.pool).await;
    assert_eq!(truth.0, 2, "p2 ended after two runs without it");
    assert_eq!(shown_counts(&base).await, [truth; 3]);
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("dealcast_scrape_runs_total{shop=\"boutique\",status=\"succeeded\"} 3"), "{metrics}");

    // p0's promotion ends (the shop had announced the date): the hourly rescoring job ends it, and the pages follow
    // without another harvest.
    sqlx::query("UPDATE offers SET ends_at = now() - interval '1 minute' WHERE url LIKE '%/p0'")
        .execute(&db.pool)
        .await
        .unwrap();
    let report = rescore_active(&db.pool, &weights, chrono::Utc::now(), &RescoreOptions::default()).await.unwrap();
    assert_eq!(report.ended, 1);
    let truth = true_counts(&db.pool).await;
    assert_eq!(truth.0, 1);
    assert_eq!(shown_counts(&base).await, [truth; 3]);

    // While another transaction holds the offers table exclusively (a long migration, a VACUUM FULL), a statement
    // that reads the offers waits; /metrics, /shops and /api/shops still answer, with the same counts: their
    // requests do not read the offers.
    let mut locker = db.pool.acquire().await.unwrap();
    sqlx::query("BEGIN").execute(&mut *locker).await.unwrap();
    sqlx::query("LOCK TABLE offers IN ACCESS EXCLUSIVE MODE").execute(&mut *locker).await.unwrap();
    let mut reader = db.pool.acquire().await.unwrap();
    sqlx::query("SET statement_timeout = '1s'").execute(&mut *reader).await.unwrap();
    let blocked = sqlx::query("SELECT count(*) FROM offers WHERE shop_id = 'boutique'")
        .execute(&mut *reader)
        .await
        .expect_err("a count of the offers waits for the lock");
    let code = blocked.as_database_error().and_then(|e| e.code()).map(|code| code.into_owned());
    assert_eq!(code.as_deref(), Some("57014"), "cancelled after waiting: {blocked}");
    sqlx::query("RESET statement_timeout").execute(&mut *reader).await.unwrap();
    drop(reader);
    let started = Instant::now();
    assert_eq!(shown_counts(&base).await, [truth; 3]);
    assert!(started.elapsed() < Duration::from_secs(5), "answered in {:?} behind the lock", started.elapsed());
    sqlx::query("ROLLBACK").execute(&mut *locker).await.unwrap();
}
