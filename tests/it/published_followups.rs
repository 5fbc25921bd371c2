//! Published deals followed, against the mock X API in controlled time: a deal posted at 09:00
//! whose price rises at noon makes its publication `expired` (time and reason, on the API too) and, with
//! `on_expiry = "reply"`, exactly one reply to the original post, counted in the budget; with `on_expiry = "none"`
//! nothing is posted; a deal that ends after `follow_hours` changes nothing; a deal back on sale before its reply
//! went out gets none. And through a `kill -9` between the claim of the reply and its record, still one reply.
//! An expired post shows in the Atom feed ("[Terminé]", when and why); a discount fallen below the one the post
//! showed expires it too; the deal page, over HTTP, shows what each post was based on.

use crate::support;
use crate::support::builders::dec;

use std::process::Child;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use dealcast::publish::accounts::AccountConfig;
use dealcast::publish::outbox;
use dealcast::publish::publisher::Publisher;
use dealcast::publish::x::oauth::Credentials;
use dealcast::store::publication_queries::{PublicationFilter, list_publications};
use dealcast::web::{self, WebState};
use rust_decimal::Decimal;
use sqlx::PgPool;
use support::mock_x::{MockAccount, MockX};
use support::publish_process::{kill_when_paused, run_to_end};

const USER_ID: &str = "9001";

fn credentials() -> Credentials {
    MockAccount::of("suivi", USER_ID).credentials
}

/// 09:00 UTC on a Monday: the account's slot.
fn posted_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).single().expect("a valid date")
}

/// A healthy shop and one honest deal at 29.99 (49.99 before); returns the offer's id.
async fn one_deal(pool: &PgPool) -> i64 {
    sqlx::query("INSERT INTO shops (id, name, homepage) VALUES ('kiabi', 'Kiabi', 'https://www.kiabi.com/')")
        .execute(pool)
        .await
        .expect("a shop");
    sqlx::query_scalar(
        "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price, previous_price, reference_price,
             real_discount_pct, verdict, score, availability, first_seen_at, judged_at)
         VALUES ('kiabi', 'https://www.kiabi.com/p/1', 'https://www.kiabi.com/p/1', 'Robe pull maille', 'EUR', 29.99,
                 49.99, 49.99, 40.0, 'honest', 80, 'in_stock', '2026-11-01', now())
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .expect("a deal")
}

/// What a harvest stores when it sees the offer at `price` at `at`.
async fn seen_at(pool: &PgPool, offer: i64, price: &str, at: DateTime<Utc>) {
    sqlx::query("UPDATE offers SET price = $2, last_seen_at = $3 WHERE id = $1")
        .bind(offer)
        .bind(dec(price))
        .bind(at)
        .execute(pool)
        .await
        .expect("reprice");
    sqlx::query(
        "INSERT INTO price_observations (offer_id, observed_at, currency, price, previous_price, availability)
         VALUES ($1, $2, 'EUR', $3, 49.99, 'in_stock')",
    )
    .bind(offer)
    .bind(at)
    .bind(dec(price))
    .execute(pool)
    .await
    .expect("observe");
}

/// The deals of these tests sit at made-up shop URLs that no server answers: they are posted without the re-check
/// before posting (which `tests/recheck.rs` tests).
const RECHECK: &str = "recheck = false\n";

fn account(x: &MockX, extra: &str) -> AccountConfig {
    toml::from_str(&format!(
        "name = \"suivi\"\nplatform = \"x\"\napi_base_url = \"{}\"\nschedule = \"0 0 9 * * *\"\n\
         monthly_budget = 50\ncost_per_post = 0.10\ncost_per_post_with_link = 1.00\n{RECHECK}{extra}",
        x.base_url()
    ))
    .expect("a valid account")
}

fn publisher(pool: &PgPool, account: AccountConfig) -> Publisher {
    let mock = MockAccount::of("suivi", USER_ID);
    Publisher::new(pool.clone(), account, "test", move |variable| mock.env_of("suivi", variable)).expect("a publisher")
}

/// The account's (status, expiry reason) of its first publication, as the API and web pages read it.
async fn post_status(pool: &PgPool) -> (String, Option<String>, Option<DateTime<Utc>>) {
    let filter = PublicationFilter { account: Some("suivi".into()), ..PublicationFilter::default() };
    let rows = list_publications(pool, &filter).await.expect("list publications");
    let first = rows.iter().find(|row| row.reply_to.is_none()).expect("the post");
    (first.status.clone(), first.expiry_reason.clone(), first.expired_at)
}

async fn spent_this_month(pool: &PgPool, now: DateTime<Utc>) -> Decimal {
    let month = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("a valid date");
    outbox::sent_so_far(pool, "suivi", now - TimeDelta::days(1), month).await.expect("sent so far").spent_this_month
}

/// The web site over `pool` on a loopback port (its lists read from the database: these tests' offers have no
/// search rows); its address, and the sender whose drop stops it.
async fn serve_web(pool: &PgPool) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("the bound address"));
    let state = WebState::new(pool.clone(), url::Url::parse(&base).expect("a URL")).with_deal_index(false);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (base, stop)
}

/// The body of a 200 answer to `GET {base}{path}`.
async fn page(base: &str, path: &str) -> String {
    let response = reqwest::get(format!("{base}{path}")).await.expect("the server answers");
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// The entry of the offer's deal page in the site's Atom feed: (title, summary, updated).
async fn feed_entry(base: &str, offer: i64) -> (String, String, DateTime<Utc>) {
    let body = page(base, "/feed.atom").await;
    let feed: atom_syndication::Feed = body.parse().expect("an Atom feed");
    let entry = feed
        .entries()
        .iter()
        .find(|entry| entry.id().ends_with(&format!("/deals/{offer}")))
        .unwrap_or_else(|| panic!("no entry for offer {offer}: {body}"));
    let summary = entry.summary().map(|text| text.value.clone()).unwrap_or_default();
    (entry.title().value.clone(), summary, entry.updated().with_timezone(&Utc))
}

/// An account that replies to its expired posts.
const REPLYING: &str = "on_expiry = \"reply\"\n";

/// One deal posted at 09:00 by an account with `options` (e.g. replying to its expired posts), in a database and
/// mock X of its own.
struct Posted {
    db: support::TestDb,
    x: MockX,
    offer: i64,
    publisher: Publisher,
    /// The post's publication.
    id: i64,
}

async fn posted_account(options: &str) -> Posted {
    let db = support::fresh_database().await;
    let x = MockX::start(vec![MockAccount::of("suivi", USER_ID)]).await;
    let offer = one_deal(&db.pool).await;
    let publisher = publisher(&db.pool, account(&x, options));
    let posted = publisher.tick(posted_at()).await.expect("the slot's tick");
    assert_eq!(posted.sent.len(), 1, "{posted:?}");
    let id = posted.sent[0].publication_id;
    Posted { db, x, offer, publisher, id }
}

#[tokio::test]
async fn a_price_rise_three_hours_after_the_post_expires_it_and_replies_once_within_the_budget() {
    let Posted { db, x, offer, publisher, .. } = posted_account(REPLYING).await;
    let pool = &db.pool;
    let original = x.posts_of(USER_ID)[0].clone();
    let spent_before = spent_this_month(pool, posted_at()).await;

    // The deal was judged before its post (as the harvest that saw the reduction judged it).
    sqlx::query("UPDATE offers SET judged_at = $2 WHERE id = $1")
        .bind(offer)
        .bind(posted_at() - TimeDelta::hours(1))
        .execute(pool)
        .await
        .expect("judged");
    let (base, _stop) = serve_web(pool).await;
    let (title, summary, _) = feed_entry(&base, offer).await;
    assert!(title.starts_with("Robe pull maille — 29,99"), "on sale, the feed shows the deal: {title}");
    assert!(!summary.contains("Terminé"), "{summary}");

    let noon = posted_at() + TimeDelta::hours(3);
    seen_at(pool, offer, "44.90", noon).await;
    let report = publisher.tick(noon + TimeDelta::minutes(5)).await.expect("a tick after the rise");
    assert_eq!(report.sent.len(), 1, "one follow-up: {report:?}");

    // A feed reader sees the deal ended: marked in its title, when and why first in its summary, updated then.
    let (title, summary, updated) = feed_entry(&base, offer).await;
    assert!(title.starts_with("[Terminé] Robe pull maille — 44,90"), "{title}");
    assert!(
        summary.starts_with("Terminé le 07/12/2026 13:00 CET : le prix est remonté à 44,90\u{a0}€. Kiabi"),
        "{summary}"
    );
    assert_eq!(updated, noon, "the entry's <updated> moves to the expiry");

    let (status, reason, expired_at) = post_status(pool).await;
    assert_eq!((status.as_str(), reason.as_deref(), expired_at), ("expired", Some("price_up"), Some(noon)));
    let posts = x.posts_of(USER_ID);
    assert_eq!(posts.len(), 2, "{:?}", posts.iter().map(|p| &p.sent_text).collect::<Vec<_>>());
    let reply = &posts[1];
    assert_eq!(reply.in_reply_to.as_deref(), Some(original.id.as_str()), "a reply to the original post");
    assert_eq!(reply.sent_text, "Terminé : le prix est remonté à 44,90\u{a0}€ (Robe pull maille).");
    assert_eq!(spent_this_month(pool, noon).await - spent_before, dec("0.10"), "the reply is counted in the budget");

    // Later ticks, and a second rise, add nothing: one follow-up per post.
    seen_at(pool, offer, "49.99", noon + TimeDelta::hours(2)).await;
    for hours in [1, 3, 10] {
        let report = publisher.tick(noon + TimeDelta::hours(hours)).await.expect("a later tick");
        assert!(report.sent.is_empty(), "{report:?}");
    }
    assert_eq!(x.posts_of(USER_ID).len(), 2);
}

#[tokio::test]
async fn with_on_expiry_none_the_post_expires_and_nothing_is_posted() {
    let Posted { db, x, offer, publisher, .. } = posted_account("").await;
    let pool = &db.pool;
    sqlx::query("UPDATE offers SET availability = 'out_of_stock' WHERE id = $1")
        .bind(offer)
        .execute(pool)
        .await
        .expect("out of stock");
    publisher.tick(posted_at() + TimeDelta::hours(3)).await.expect("a tick");
    let (status, reason, _) = post_status(pool).await;
    assert_eq!((status.as_str(), reason.as_deref()), ("expired", Some("out_of_stock")));
    assert_eq!(x.posts_of(USER_ID).len(), 1, "no reply");
    let replies: i64 = sqlx::query_scalar("SELECT count(*) FROM publications WHERE reply_to IS NOT NULL")
        .fetch_one(pool)
        .await
        .expect("count");
    assert_eq!(replies, 0);
}

#[tokio::test]
async fn a_posted_deal_gone_from_its_shop_stays_in_the_feed_marked_ended() {
    let Posted { db, x: _x, offer, publisher, .. } = posted_account("").await;
    let pool = &db.pool;
    // Two hours later a harvest no longer finds the product: the offer ends, and leaves every deal list.
    sqlx::query("UPDATE offers SET active = false, ended_at = $2 WHERE id = $1")
        .bind(offer)
        .bind(posted_at() + TimeDelta::hours(2))
        .execute(pool)
        .await
        .expect("ended");
    publisher.tick(posted_at() + TimeDelta::hours(3)).await.expect("a tick");
    let (status, reason, _) = post_status(pool).await;
    assert_eq!((status.as_str(), reason.as_deref()), ("expired", Some("gone")));

    let (base, _stop) = serve_web(pool).await;
    assert!(!page(&base, "/api/deals").await.contains("Robe pull maille"), "no longer listed");
    // The feed's readers saw it posted: it stays in the feed, marked ended, with why.
    let (title, summary, _) = feed_entry(&base, offer).await;
    assert!(title.starts_with("[Terminé] Robe pull maille"), "{title}");
    assert!(summary.contains("l'offre n'est plus disponible"), "{summary}");
    let shop_feed = page(&base, "/shops/kiabi/feed.atom").await;
    assert!(shop_feed.contains("[Terminé] Robe pull maille"), "and in its shop's feed: {shop_feed}");
}

#[tokio::test]
async fn a_deal_ending_after_follow_hours_changes_nothing() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let x = MockX::start(vec![MockAccount::of("suivi", USER_ID)]).await;
    let offer = one_deal(pool).await;
    let publisher = publisher(pool, account(&x, "on_expiry = \"reply\"\nfollow_hours = 12\n"));
    publisher.tick(posted_at()).await.expect("the slot's tick");
    let later = posted_at() + TimeDelta::hours(13);
    seen_at(pool, offer, "44.90", later).await;
    publisher.tick(later + TimeDelta::minutes(5)).await.expect("a tick");
    let (status, reason, _) = post_status(pool).await;
    assert_eq!((status.as_str(), reason), ("published", None));
    assert_eq!(x.posts_of(USER_ID).len(), 1, "no reply");
}

#[tokio::test]
async fn a_deal_back_on_sale_before_its_reply_went_out_gets_none() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let x = MockX::start(vec![MockAccount::of("suivi", USER_ID)]).await;
    let offer = one_deal(pool).await;
    // Quiet hours (Paris time: 11:00-19:00 UTC) hold the reply back; the price comes down again before they end.
    let publisher = publisher(pool, account(&x, "on_expiry = \"reply\"\nquiet_hours = \"12:00-20:00\"\n"));
    publisher.tick(posted_at()).await.expect("the slot's tick");
    seen_at(pool, offer, "44.90", posted_at() + TimeDelta::hours(2)).await;
    let held = publisher.tick(posted_at() + TimeDelta::hours(3)).await.expect("a tick in the quiet hours");
    assert!(held.sent.is_empty(), "{held:?}");
    assert_eq!(post_status(pool).await.0, "expired");
    seen_at(pool, offer, "29.99", posted_at() + TimeDelta::hours(5)).await;
    let report = publisher.tick(posted_at() + TimeDelta::hours(10)).await.expect("a tick after the quiet hours");
    assert!(report.sent.is_empty(), "{report:?}");
    assert_eq!(x.posts_of(USER_ID).len(), 1, "no reply");
    assert_eq!(post_status(pool).await.0, "published", "the deal came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discount_fallen_below_the_one_the_post_showed_expires_it_with_that_reason() {
    let Posted { db, x, offer, publisher, id } = posted_account(REPLYING).await;
    let pool = &db.pool;
    assert!(x.posts_of(USER_ID)[0].sent_text.contains("-40\u{a0}%"), "the post shows -40 %");

    // At noon, same price, but the deal is judged anew: its reference is now 33.32, so the discount is -10 %.
    let noon = posted_at() + TimeDelta::hours(3);
    sqlx::query("UPDATE offers SET reference_price = 33.32, real_discount_pct = 10.0, judged_at = $2 WHERE id = $1")
        .bind(offer)
        .bind(noon)
        .execute(pool)
        .await
        .expect("judged anew");
    let report = publisher.tick(noon + TimeDelta::minutes(5)).await.expect("a tick after the judgement");
    assert_eq!(report.sent.len(), 1, "one follow-up: {report:?}");

    let (status, reason, expired_at) = post_status(pool).await;
    assert_eq!(
        (status.as_str(), reason.as_deref(), expired_at),
        ("expired", Some("below_posted_discount"), Some(noon))
    );
    let posts = x.posts_of(USER_ID);
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[1].sent_text,
        "Terminé : la réduction n'est plus que de -10\u{a0}% (au lieu de -40\u{a0}%) (Robe pull maille)."
    );
    let mut command = tokio::process::Command::from(support::cli::dealcast());
    command.env("DATABASE_URL", support::database_url(&db)).args(["publications", "show", &id.to_string()]);
    let output = command.output().await.expect("run dealcast");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("expired 2026-12-07 12:00 UTC: the discount fell to 10 % (the post said 40 %)"), "{text}");
}

/// `dealcast publish --now --account suivi` against the test's database and mock X.
fn publish_now(db: &support::TestDb, config: &std::path::Path, pause_at: Option<&str>) -> Child {
    support::publish_process::publish_now(&support::database_url(db), config, "suivi", &credentials(), pause_at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_the_claim_and_the_record_of_the_reply_it_is_still_posted_once() {
    for point in ["after_claim", "after_post"] {
        let db = support::fresh_database().await;
        let pool = &db.pool;
        let x = MockX::start(vec![MockAccount::of("suivi", USER_ID)]).await;
        let offer = one_deal(pool).await;
        let config = tempfile::NamedTempFile::new().expect("a config file");
        std::fs::write(
            config.path(),
            format!(
                "[[accounts]]\nname = \"suivi\"\nplatform = \"x\"\napi_base_url = \"{}\"\nmin_spacing_minutes = 0\n\
                 on_expiry = \"reply\"\n{RECHECK}",
                x.base_url()
            ),
        )
        .expect("write the config");
        let first = run_to_end(publish_now(&db, config.path(), None));
        assert_eq!(x.posts_of(USER_ID).len(), 1, "the deal is posted: {first}");
        // Three hours later (the post is moved back rather than the clock forward), the price went up.
        sqlx::query("UPDATE publications SET published_at = published_at - interval '3 hours'")
            .execute(pool)
            .await
            .expect("age the post");
        seen_at(pool, offer, "44.90", Utc::now() - TimeDelta::minutes(1)).await;

        kill_when_paused(publish_now(&db, config.path(), Some(point)), point);
        let _ = run_to_end(publish_now(&db, config.path(), None));
        let _ = run_to_end(publish_now(&db, config.path(), None));

        let posts = x.posts_of(USER_ID);
        let replies: Vec<_> = posts.iter().filter(|post| post.in_reply_to.is_some()).collect();
        assert_eq!(replies.len(), 1, "{point}: {:?}", posts.iter().map(|p| &p.sent_text).collect::<Vec<_>>());
        assert_eq!(replies[0].in_reply_to.as_deref(), Some(posts[0].id.as_str()));
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT status, remote_id FROM publications WHERE reply_to IS NOT NULL")
                .fetch_all(pool)
                .await
                .expect("the reply's row");
        assert_eq!(rows, [("published".to_owned(), Some(replies[0].id.clone()))], "{point}");
        assert_eq!(post_status(pool).await.0, "expired");
    }
}

/// The deal with its history (49.99 through November, the reduction to 29.99 on 1 December), posted by the
/// account at 09:00 on 7 December; (offer, publication).
async fn posted_with_history(pool: &PgPool, x: &MockX) -> (i64, i64) {
    let offer = one_deal(pool).await;
    let reduced = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).single().expect("a valid date");
    seen_at(pool, offer, "49.99", reduced - TimeDelta::days(20)).await;
    seen_at(pool, offer, "29.99", reduced).await;
    sqlx::query("UPDATE offers SET reduction_started_at = $2 WHERE id = $1")
        .bind(offer)
        .bind(reduced)
        .execute(pool)
        .await
        .expect("the judgement's reduction start");
    let publisher = publisher(pool, account(x, ""));
    let sent = publisher.tick(posted_at()).await.expect("the slot's tick");
    (offer, sent.sent[0].publication_id)
}

/// A product page as the pre-post re-check reads it, kept as the post's evidence (replacing what the post kept).
async fn keep_page_copy(pool: &PgPool, id: i64) -> String {
    let page = format!("<html><body><h1>Robe pull maille</h1>{}</body></html>", "<p>29,99 €</p>".repeat(500));
    sqlx::query("DELETE FROM publication_evidence").execute(pool).await.expect("forget");
    dealcast::store::evidence::record_evidence(
        pool,
        id,
        Some("https://www.kiabi.com/p/1"),
        Some(page.as_bytes()),
        posted_at(),
    )
    .await
    .expect("record with the page");
    page
}

/// The page copies pruned at `at` with the retention of configuration `config_text`.
async fn prune_as_configured(pool: &PgPool, config_text: &str, at: DateTime<Utc>) -> u64 {
    let config = dealcast::config::Config::parse(config_text).expect("a valid configuration");
    dealcast::store::evidence::prune_pages(pool, at, config.evidence.page_retention()).await.expect("prune")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_post_keeps_its_evidence_and_publications_show_prints_it() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let x = MockX::start(vec![MockAccount::of("suivi", USER_ID)]).await;
    let (offer, id) = posted_with_history(pool, &x).await;
    let reduced = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).single().expect("a valid date");

    let evidence = dealcast::store::evidence::evidence_of(pool, id).await.expect("read").expect("evidence kept");
    assert_eq!(evidence.observations.len(), 2);
    assert_eq!(evidence.reference_price, Some(dec("49.99")));
    assert_eq!(evidence.reference_seen_at, Some(reduced - TimeDelta::days(20)));
    assert_eq!(evidence.page_stored_bytes, None);

    let url = support::database_url(&db);
    let show = |id: i64| {
        let mut command = tokio::process::Command::from(support::cli::dealcast());
        command.env("DATABASE_URL", &url).args(["publications", "show", &id.to_string()]);
        async move {
            let output = command.output().await.expect("run dealcast");
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).expect("UTF-8")
        }
    };
    let text = show(id).await;
    assert!(text.contains(&format!("Publication #{id} by suivi about offer {offer}: published")), "{text}");
    assert!(text.contains("Robe pull maille"), "{text}");
    assert!(text.contains("2026-11-11 08:00 UTC  49.99 EUR  was 49.99"), "{text}");
    assert!(text.contains("reference (lowest of the 30 days before the reduction): 49.99 seen 2026-11-11 08:00 UTC"));
    assert!(text.contains("page copy: no page was fetched for this post"), "{text}");
    let mut command = tokio::process::Command::from(support::cli::dealcast());
    command.env("DATABASE_URL", &url).args(["deals", "show", &offer.to_string()]);
    let deal = String::from_utf8(command.output().await.expect("run dealcast").stdout).expect("UTF-8");
    assert!(
        deal.contains(&format!("#{id} suivi (published): 2 observations, reference 49.99 seen 2026-11-11")),
        "{deal}"
    );

    // A page copy (as the pre-post re-check passes it) is kept compressed, then pruned after the configured
    // retention (`[evidence] page_retention_days`), not before.
    let page = keep_page_copy(pool, id).await;
    let text = show(id).await;
    assert!(text.contains("page: https://www.kiabi.com/p/1"), "{text}");
    assert!(text.contains(&format!("bytes gzip, {} bytes of page)", page.len())), "{text}");
    let month = "[evidence]\npage_retention_days = 30\n";
    assert_eq!(prune_as_configured(pool, month, posted_at() + TimeDelta::days(29)).await, 0, "kept 30 days");
    assert!(show(id).await.contains("page: https://www.kiabi.com/p/1"));
    assert_eq!(prune_as_configured(pool, month, posted_at() + TimeDelta::days(31)).await, 1);
    assert!(show(id).await.contains("page copy: pruned on 2027-01-07"));
}

/// The evidence line of the deal page `html` (its one post), as a reader sees it: the entities askama writes decoded.
fn evidence_line(html: &str) -> String {
    let start = html.find("<p class=\"evidence\"><small>").unwrap_or_else(|| panic!("no evidence line: {html}"));
    let line = &html[start + "<p class=\"evidence\"><small>".len()..];
    let line = &line[..line.find("</small>").expect("the line's end")];
    line.replace("&#x27;", "'").replace("&#39;", "'").replace("&#x2f;", "/").replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deal_page_shows_what_each_post_was_based_on() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    let x = MockX::start(vec![MockAccount::of("suivi", USER_ID)]).await;
    let (offer, id) = posted_with_history(pool, &x).await;
    let (base, _stop) = serve_web(pool).await;

    // The post, sent without a page read before it: its reference price and when it was seen, its observations.
    let html = page(&base, &format!("/deals/{offer}")).await;
    assert!(html.contains("<strong>suivi</strong> (x)"), "the deal page lists the post: {html}");
    assert_eq!(
        evidence_line(&html),
        "Preuve\u{a0}: prix de référence 49,99\u{a0}€ vu le 11/11/2026 09:00 CET\u{a0}; 2 relevés jusqu'à l'envoi"
    );

    // With the page the re-check read: where its copy is kept.
    keep_page_copy(pool, id).await;
    let html = page(&base, &format!("/deals/{offer}")).await;
    assert_eq!(
        evidence_line(&html),
        "Preuve\u{a0}: prix de référence 49,99\u{a0}€ vu le 11/11/2026 09:00 CET\u{a0}; 2 relevés jusqu'à l'envoi\u{a0}; \
         copie de la page lue avant l'envoi (https://www.kiabi.com/p/1) conservée par dealcast"
    );

    // Once pruned, the page says when.
    assert_eq!(prune_as_configured(pool, "", posted_at() + TimeDelta::days(401)).await, 1, "400 days by default");
    let html = page(&base, &format!("/deals/{offer}")).await;
    assert!(
        evidence_line(&html).ends_with(
            "copie de la page lue avant l'envoi (https://www.kiabi.com/p/1) supprimée le 12/01/2028 10:00 CET, après sa \
             durée de conservation"
        ),
        "{}",
        evidence_line(&html)
    );
    let english = page(&base, &format!("/deals/{offer}?lang=en")).await;
    assert_eq!(
        evidence_line(&english),
        "Evidence: reference price 49.99 € seen on 2026-11-11 09:00 CET; 2 observations up to the post; the copy of \
         the page read before posting (https://www.kiabi.com/p/1) was pruned on 2028-01-12 10:00 CET, after its \
         retention"
    );
}
