//! The web admin end to end, as a browser without JavaScript would use it: reqwest with a cookie store against
//! `web::serve` on loopback over a seeded database (support::admin_site). Login, its budget and its CSRF cookie;
//! the session guard (redirect or 401) and the CSRF check (403); the review queue's forms changing the database
//! through `publish::review`; acknowledging a shop; pausing an account; hostile titles shown as text.

use crate::support;

use chrono::{TimeDelta, Utc};
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::judgements::judge_offers;
use dealcast::publish::accounts::AccountConfig;
use dealcast::publish::publisher::Publisher;
use dealcast::publish::text_length::weighted_length;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use support::admin_site::{self, AdminSite, CURATED, PASSWORD, SCRIPT_TITLE, SICK_SHOP};

/// A browser: keeps cookies, does not follow redirects (the tests look at them).
fn browser() -> reqwest::Client {
    browser_sending(reqwest::header::HeaderMap::new())
}

/// A browser sending `headers` with every request.
fn browser_sending(headers: reqwest::header::HeaderMap) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[start..].split('"').next().expect("a quoted value").to_owned()
}

async fn get(client: &reqwest::Client, site: &AdminSite, path: &str) -> (StatusCode, String) {
    let response = client.get(format!("{}{path}", site.base)).send().await.expect("the server answers");
    let status = response.status();
    (status, response.text().await.expect("a body"))
}

async fn post(client: &reqwest::Client, site: &AdminSite, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client.post(format!("{}{path}", site.base)).form(form).send().await.expect("the server answers")
}

/// Tries `password` with the login form's token; returns the answer.
async fn try_login(client: &reqwest::Client, site: &AdminSite, password: &str) -> reqwest::Response {
    let (status, form) = get(client, site, "/admin/login").await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let csrf = csrf_of(&form);
    post(client, site, "/admin/login", &[("csrf", &csrf), ("password", password)]).await
}

/// A logged-in browser and its session's CSRF token.
async fn logged_in(site: &AdminSite) -> (reqwest::Client, String) {
    let client = browser();
    let answer = try_login(&client, site, PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (status, page) = get(&client, site, "/admin").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    (client, csrf_of(&page))
}

#[tokio::test]
async fn admin_routes_without_a_session_send_pages_to_the_login_and_refuse_the_rest() {
    let site = admin_site::start(true).await;
    let client = browser();
    let page = client.get(format!("{}/admin", site.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/admin/login");
    let english = client.get(format!("{}/admin?lang=en", site.base)).send().await.unwrap();
    assert_eq!(english.headers()[LOCATION], "/admin/login?lang=en", "the language is kept");
    let (id, _, _) = site.pending().await[0].clone();
    for path in
        [format!("/admin/posts/{id}/approve"), "/admin/length".into(), format!("/admin/accounts/{CURATED}/pause")]
    {
        let answer = post(&client, &site, &path, &[("csrf", "x"), ("text", "t")]).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // A made-up session cookie is no session.
    let forged = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = forged
        .post(format!("{}/admin/posts/{id}/approve", site.base))
        .header("cookie", "dealcast_admin=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(site.status(id).await, "pending_review");
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_right_one_opens_a_session_until_logout() {
    let site = admin_site::start(true).await;
    let client = browser();
    let wrong = try_login(&client, &site, "hunter2").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("Mot de passe incorrect."));
    let (status, _) = get(&client, &site, "/admin").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "no session after a wrong password");

    let right = try_login(&client, &site, PASSWORD).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(right.headers()[LOCATION], "/admin");
    let cookie = right
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("dealcast_admin="))
        .expect("a session cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "the test site is plain http: {cookie}");
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT token_sha256 FROM admin_sessions").fetch_all(&site.db.pool).await.unwrap();
    assert_eq!(stored.len(), 1, "one session, shared through the database");
    let token = cookie.trim_start_matches("dealcast_admin=").split(';').next().unwrap();
    assert_ne!(stored[0], token.as_bytes(), "only the token's digest is stored");

    let (status, page) = get(&client, &site, "/admin").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("File de relecture") && page.contains("Se déconnecter"), "{page}");
    let (status, _) = get(&client, &site, "/admin/login").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a logged-in browser goes straight to the admin");

    let csrf = csrf_of(&page);
    let out = post(&client, &site, "/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let (status, _) = get(&client, &site, "/admin").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "logged out");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM admin_sessions").fetch_one(&site.db.pool).await.unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn failed_logins_are_limited_even_for_the_right_password() {
    let site = admin_site::start(true).await;
    let client = browser();
    for attempt in 1..=5 {
        let answer = try_login(&client, &site, "guess").await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let limited = try_login(&client, &site, PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = limited.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(limited.text().await.unwrap().contains("Trop de tentatives"));
    let (status, _) = get(&client, &site, "/admin").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "no session while limited");
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM admin_login_attempts WHERE NOT succeeded")
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(failures, 5, "refused attempts are not counted again");
}

/// A browser behind a proxy that says it forwards `client`.
fn forwarded_browser(client: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", client.parse().expect("a header value"));
    browser_sending(headers)
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_login_budget() {
    let site = admin_site::start_behind_proxies(&["127.0.0.1", "::1"]).await;
    let guesser = forwarded_browser("203.0.113.7");
    for attempt in 1..=5 {
        assert_eq!(try_login(&guesser, &site, "guess").await.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let limited = try_login(&guesser, &site, PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "the guesser is stopped");
    let operator = forwarded_browser("198.51.100.20");
    assert_eq!(try_login(&operator, &site, PASSWORD).await.status(), StatusCode::SEE_OTHER, "the operator is not");
    // A client cannot pose as another by writing the header itself: the proxy appends what it saw, rightmost.
    let forger = forwarded_browser("198.51.100.20, 203.0.113.7");
    assert_eq!(try_login(&forger, &site, PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    let clients: Vec<String> = sqlx::query_scalar("SELECT DISTINCT client FROM admin_login_attempts ORDER BY client")
        .fetch_all(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(clients, ["198.51.100.20", "203.0.113.7"]);
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forwarded_header_does_not_escape_the_login_budget() {
    let site = admin_site::start(true).await;
    for attempt in 1..=5 {
        let posing = forwarded_browser(&format!("203.0.113.{attempt}"));
        assert_eq!(try_login(&posing, &site, "guess").await.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let posing = forwarded_browser("203.0.113.99");
    assert_eq!(try_login(&posing, &site, PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_login_without_its_form_token_is_refused() {
    let site = admin_site::start(true).await;
    let client = browser();
    let answer = post(&client, &site, "/admin/login", &[("password", PASSWORD)]).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let (_, form) = get(&client, &site, "/admin/login").await;
    let token = csrf_of(&form);
    let answer = post(&client, &site, "/admin/login", &[("csrf", &format!("{token}x")), ("password", PASSWORD)]).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_form_post_without_the_sessions_csrf_token_is_refused() {
    let site = admin_site::start(true).await;
    let (client, csrf) = logged_in(&site).await;
    let (id, _, _) = site.pending().await[0].clone();
    let path = format!("/admin/posts/{id}/approve");
    let missing = post(&client, &site, &path, &[]).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let wrong = post(&client, &site, &path, &[("csrf", &csrf[1..])]).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let acknowledge = post(&client, &site, &format!("/admin/shops/{SICK_SHOP}/acknowledge"), &[]).await;
    assert_eq!(acknowledge.status(), StatusCode::FORBIDDEN);
    let logout = post(&client, &site, "/admin/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.status(id).await, "pending_review", "nothing changed");
    let healthy: bool = sqlx::query_scalar("SELECT healthy FROM shops WHERE id = $1")
        .bind(SICK_SHOP)
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert!(!healthy);
}

#[tokio::test]
async fn approving_editing_and_rejecting_through_the_forms_change_the_database() {
    let site = admin_site::start(true).await;
    let (client, csrf) = logged_in(&site).await;
    let pending = site.pending().await;
    let (approved, edited, rejected) = (&pending[0], &pending[1], &pending[2]);

    // As proposed (the textarea sent back unchanged, with a browser's line breaks).
    let as_sent = approved.2.replace('\n', "\r\n");
    let answer =
        post(&client, &site, &format!("/admin/posts/{}/approve", approved.0), &[("csrf", &csrf), ("text", &as_sent)])
            .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[LOCATION], "/admin?done=approved");
    assert_eq!(site.status(approved.0).await, "queued");

    // Edited past the limit: refused, the text kept in the form with its length, nothing changed.
    let long = format!("{} {}", edited.2, "é".repeat(300));
    let answer =
        post(&client, &site, &format!("/admin/posts/{}/approve", edited.0), &[("csrf", &csrf), ("text", &long)]).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = answer.text().await.unwrap();
    let length = weighted_length(&long);
    assert!(page.contains(&format!("Le texte fait {length} caractères pondérés ; X en accepte 280.")), "{page}");
    assert!(page.contains(&"é".repeat(300)), "the edited text is kept");
    assert!(page.contains(&format!("{length} / 280")), "its length is shown");
    assert_eq!(site.status(edited.0).await, "pending_review");

    // Edited within the limit.
    let mine = "Coup de cœur : jean à 29,99 € chez Kiabi";
    let answer =
        post(&client, &site, &format!("/admin/posts/{}/approve?lang=en", edited.0), &[("csrf", &csrf), ("text", mine)])
            .await;
    assert_eq!(answer.headers()[LOCATION], "/admin?done=edited&lang=en");
    let (status, text): (String, String) = sqlx::query_as("SELECT status, text FROM publications WHERE id = $1")
        .bind(edited.0)
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!((status.as_str(), text.as_str()), ("queued", mine));

    // Rejected with a reason.
    let answer = post(
        &client,
        &site,
        &format!("/admin/posts/{}/reject", rejected.0),
        &[("csrf", &csrf), ("reason", "trop cher")],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(site.status(rejected.0).await, "rejected");
    let decisions: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT decision, decided_by, reason FROM review_decisions ORDER BY id")
            .fetch_all(&site.db.pool)
            .await
            .unwrap();
    assert_eq!(
        decisions,
        [
            ("approved".to_owned(), "web-admin".to_owned(), None),
            ("edited".to_owned(), "web-admin".to_owned(), None),
            ("rejected".to_owned(), "web-admin".to_owned(), Some("trop cher".to_owned())),
        ]
    );
    // Deciding twice is refused in words.
    let again = post(&client, &site, &format!("/admin/posts/{}/reject", rejected.0), &[("csrf", &csrf)]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("attend plus de relecture"));
    let (_, page) = get(&client, &site, "/admin?done=rejected").await;
    assert!(page.contains("Publication rejetée."), "{page}");
}

#[tokio::test]
async fn the_length_endpoint_counts_like_the_platform() {
    let site = admin_site::start(true).await;
    let (client, csrf) = logged_in(&site).await;
    for text in ["Jean à 19,99 € https://www.kiabi.com/p/1", "🎉 promo", &"é".repeat(281)] {
        let answer = post(&client, &site, "/admin/length", &[("csrf", &csrf), ("text", text)]).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let json: serde_json::Value = answer.json().await.unwrap();
        let length = weighted_length(text);
        assert_eq!(json["length"].as_u64(), Some(length as u64), "{text}");
        assert_eq!(json["max"].as_u64(), Some(280));
        assert_eq!(json["fits"].as_bool(), Some(length <= 280));
    }
}

#[tokio::test]
async fn an_unhealthy_shop_is_acknowledged_and_an_account_paused_then_resumed() {
    let site = admin_site::start(true).await;
    let (client, csrf) = logged_in(&site).await;
    let (_, page) = get(&client, &site, "/admin").await;
    assert!(page.contains("Fnac") && page.contains("the run saw 3 offers"), "{page}");
    let answer = post(&client, &site, &format!("/admin/shops/{SICK_SHOP}/acknowledge"), &[("csrf", &csrf)]).await;
    assert_eq!(answer.headers()[LOCATION], "/admin?done=acknowledged");
    let (healthy, by): (bool, Option<String>) =
        sqlx::query_as("SELECT healthy, acknowledged_by FROM shops WHERE id = $1")
            .bind(SICK_SHOP)
            .fetch_one(&site.db.pool)
            .await
            .unwrap();
    assert_eq!((healthy, by.as_deref()), (true, Some("web-admin")));
    let unknown = post(&client, &site, "/admin/shops/nope/acknowledge", &[("csrf", &csrf)]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let answer =
        post(&client, &site, &format!("/admin/accounts/{CURATED}/pause"), &[("csrf", &csrf), ("reason", "vacances")])
            .await;
    assert_eq!(answer.headers()[LOCATION], "/admin?done=paused");
    let paused: (bool, Option<String>) = sqlx::query_as("SELECT paused, paused_reason FROM accounts WHERE id = $1")
        .bind(CURATED)
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert_eq!(paused, (true, Some("vacances".to_owned())));
    let (_, page) = get(&client, &site, "/admin").await;
    assert!(page.contains("En pause") && page.contains("vacances") && page.contains("Reprendre"), "{page}");
    let answer = post(&client, &site, &format!("/admin/accounts/{CURATED}/resume"), &[("csrf", &csrf)]).await;
    assert_eq!(answer.headers()[LOCATION], "/admin?done=resumed");
    let paused: bool = sqlx::query_scalar("SELECT paused FROM accounts WHERE id = $1")
        .bind(CURATED)
        .fetch_one(&site.db.pool)
        .await
        .unwrap();
    assert!(!paused);
}

#[tokio::test]
async fn a_hostile_title_shows_as_text_in_the_review_queue() {
    let site = admin_site::start(true).await;
    let script_offer = site.offer(SCRIPT_TITLE);
    assert!(
        site.pending().await.iter().any(|(_, offer, _)| *offer == script_offer),
        "the hostile deal waits for review"
    );
    let (client, _) = logged_in(&site).await;
    let response = client.get(format!("{}/admin", site.base)).send().await.unwrap();
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{page}");
    assert!(!page.contains(SCRIPT_TITLE), "the title never appears as markup");
    assert!(!page.contains("<img src=x"), "nor does a shop's unhealthy reason");
    assert_eq!(page.matches("<script").count(), 1, "only the admin script: {page}");
}

#[tokio::test]
async fn with_no_password_configured_the_admin_is_off_and_the_login_page_says_how_to_enable_it() {
    let site = admin_site::start(false).await;
    let client = browser();
    let (status, page) = get(&client, &site, "/admin/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("dealcast admin hash-password") && page.contains("DEALCAST_ADMIN_PASSWORD_HASH"), "{page}");
    assert!(page.contains("admin_password_hash"), "{page}");
    assert!(!page.contains("type=\"password\""), "no form to try");
    let answer = post(&client, &site, "/admin/login", &[("csrf", ""), ("password", PASSWORD)]).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let (status, _) = get(&client, &site, "/admin").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_public_address_is_https() {
    let site = admin_site::start_at(true, Some("https://deals.example/")).await;
    // A plain client: a cookie store would not send a Secure cookie back over http.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = client.get(format!("{}/admin/login", site.base)).send().await.unwrap();
    let login_cookie = form.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(login_cookie.contains("Secure") && login_cookie.contains("HttpOnly"), "{login_cookie}");
    let csrf = csrf_of(&form.text().await.unwrap());
    let cookie_pair = login_cookie.split(';').next().unwrap().to_owned();
    let answer = client
        .post(format!("{}/admin/login", site.base))
        .header("cookie", cookie_pair)
        .form(&[("csrf", csrf.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let session = answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("dealcast_admin="))
        .expect("a session cookie");
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(part), "{session}");
    }
}

#[tokio::test]
async fn the_admin_speaks_english_when_asked() {
    let site = admin_site::start(true).await;
    let (client, _) = logged_in(&site).await;
    let (status, page) = get(&client, &site, "/admin?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Review queue") && page.contains("Unhealthy shops") && page.contains("Log out"), "{page}");
    assert!(page.contains("/approve?lang=en"), "the forms keep the language: {page}");
}

#[tokio::test]
async fn the_admin_script_is_served_as_javascript() {
    let site = admin_site::start(false).await;
    let response = browser().get(format!("{}/static/admin.js", site.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(response.text().await.unwrap().contains("/admin/length"));
}

#[tokio::test]
async fn the_admin_says_why_an_account_posts_less_and_marks_a_shops_claim_as_unverified() {
    let site = admin_site::start(true).await;
    let pool = &site.db.pool;
    // A shop added an hour ago: one crossed-out price, never seen before its reduction.
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO shops (id, name, homepage) VALUES ('maison', 'Maison Lumière', 'https://maison.example/')",
    )
    .execute(pool)
    .await
    .unwrap();
    let offer: i64 = sqlx::query_scalar(
        "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price, previous_price, first_seen_at,
             last_seen_at)
         VALUES ('maison', 'https://maison.example/p/lampe', 'https://maison.example/p/lampe', 'Lampe laiton', 'EUR',
             25, 50, $1, $2) RETURNING id",
    )
    .bind(now - TimeDelta::hours(1))
    .bind(now)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO price_observations (offer_id, observed_at, currency, price, previous_price)
         VALUES ($1, $2, 'EUR', 25, 50)",
    )
    .bind(offer)
    .bind(now - TimeDelta::hours(1))
    .execute(pool)
    .await
    .unwrap();
    judge_offers(pool, &[offer], &ScoreWeights::default(), now).await.unwrap();

    // The account's view: its deals are all in review, and the new shop's has no real discount yet (in French, the
    // admin's default language).
    let (client, csrf) = logged_in(&site).await;
    let (_, page) = get(&client, &site, "/admin").await;
    let account = &page[page.find(&format!("id=\"account-{CURATED}\"")).expect("the account's row")..];
    assert!(account.contains("Moins de publications que prévu"), "{account}");
    assert!(account.contains("0 publication(s) sur les 5 voulues par créneau partiraient maintenant"), "{account}");
    assert!(account.contains("     5  déjà publiées, en attente d"), "{account}");
    assert!(account.contains("     1  pas encore de réduction réelle"), "{account}");
    assert!(account.contains("La boutique maison (Maison Lumière) est nouvelle"), "{account}");

    // With filters.claimed = "review", the claim waits for a person, marked as unverified.
    let claims: AccountConfig = toml::from_str(&format!(
        "name = \"{CURATED}\"\nplatform = \"dry_run\"\nmode = \"curated\"\nposts_per_slot = 5\n\
         filters = {{ claimed = \"review\" }}\n"
    ))
    .unwrap();
    let publisher = Publisher::new(pool.clone(), claims, "test", |_| None).unwrap();
    let report = publisher.slot_now(now + TimeDelta::minutes(1)).await.unwrap();
    assert_eq!(report.queued, 1, "{report:?}");
    let (_, page) = get(&client, &site, "/admin").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM publications WHERE offer_id = $1")
        .bind(offer)
        .fetch_one(pool)
        .await
        .unwrap();
    let queued = &page[page.find(&format!("id=\"post-{id}\"")).expect("the claim in the queue")..];
    let queued = &queued[..queued.find("</article>").unwrap()];
    assert!(queued.contains("Non vérifiée : la réduction est seulement annoncée par la boutique"), "{queued}");
    assert!(
        queued.contains("Lampe laiton à 25,00\u{a0}€ chez Maison Lumière (-50\u{a0}% annoncé par la boutique"),
        "{queued}"
    );
    // An edit that drops the attribution is refused, with the operator's text kept.
    let answer = post(
        &client,
        &site,
        &format!("/admin/posts/{id}/approve"),
        &[("csrf", csrf.as_str()), ("text", "Lampe à 25 € !")],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = answer.text().await.unwrap();
    assert!(body.contains("le texte doit garder « annoncé par la boutique »"), "{body}");
    assert_eq!(site.status(id).await, "pending_review");
}
