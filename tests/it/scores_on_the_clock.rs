//! Scores on the clock: two identical deals, one whose reduction began ten days ago (scored
//! then, when it was fresh) and one whose reduction began now. Before any rescoring the old one still ranks first on
//! the freshness of its first day; after one rescoring (the hourly `rescore` job, run here with a controlled clock
//! and no harvest in between) the new one ranks first in `/api/deals`, the in-memory deal lists, `dealcast deals
//! list`, the Atom feed and the publisher's choice, and the old one's explanation shows its real age "as of" then.

use crate::support;
use crate::support::builders::OfferSeed;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::judgements::judge_offers;
use dealcast::harvest::rescore_jobs::{RESCORE_JOB, RESCORE_KEY, RescoreHandler};
use dealcast::harvest::rescoring::RescoreOptions;
use dealcast::jobs::{JobHandler, claim, enqueue};
use dealcast::publish::accounts::AccountConfig;
use dealcast::publish::selection::eligible;
use dealcast::store::search_index;
use dealcast::web::{self, WebState};
use sqlx::PgPool;

/// The moment of the rescoring, and of the new reduction.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single().expect("a valid date")
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - chrono::Duration::days(days)
}

const OLD: &str = "Bouilloire inox 1,7 L baisse ancienne";
const NEW: &str = "Bouilloire inox 1,7 L baisse nouvelle";

/// An offer at `price` "was 100" since `reduced_at`, sold at 100 for 60 days before; returns its id.
async fn add_offer(pool: &PgPool, title: &str, price: &str, reduced_at: DateTime<Utc>) -> i64 {
    OfferSeed::new("shop_a", title)
        .url(format!("https://shop.example/p/{}", title.replace([' ', ','], "-")))
        .seen(reduced_at - chrono::Duration::days(60), "100", None)
        .seen(reduced_at, price, Some("100"))
        .insert(pool)
        .await
}

/// Where `first` and `second` appear in `text` (both must).
fn ranks_before(text: &str, first: &str, second: &str) -> bool {
    let at = |title: &str| text.find(title).unwrap_or_else(|| panic!("{title:?} is missing from {text}"));
    at(first) < at(second)
}

#[tokio::test]
async fn after_one_rescoring_a_new_reduction_outranks_an_old_one_everywhere() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    support::builders::ShopSeed::new("shop_a").name("Boutique A").insert(pool).await;
    let weights = ScoreWeights::default();
    // The old reduction is a little deeper (31 % against 30 %), and was scored when it began, ten days ago: what a
    // harvest left it with, since its price has not changed since.
    let old = add_offer(pool, OLD, "69", days_ago(10)).await;
    judge_offers(pool, &[old], &weights, days_ago(10)).await.expect("judge the old deal");
    let new = add_offer(pool, NEW, "70", now()).await;
    judge_offers(pool, &[new], &weights, now()).await.expect("judge the new deal");
    search_index::refresh_all(pool).await.expect("index the offers as a harvest does");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("the bound address"));
    let state = WebState::new(pool.clone(), url::Url::parse(&base).expect("a URL"));
    let index = state.deal_index().cloned().expect("the deal lists are kept in memory by default");
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let request = http.get(format!("{base}{path}"));
        async move {
            let response = request.send().await.expect("the server answers");
            assert!(response.status().is_success(), "{}", response.status());
            response.text().await.expect("a body")
        }
    };
    let first_listed = |body: &str| -> i64 {
        let answer: serde_json::Value = serde_json::from_str(body).expect("a JSON answer");
        answer["deals"][0]["id"].as_i64().expect("a first deal")
    };

    // Before: the frozen score puts the old reduction first.
    index.catch_up(pool).await.expect("load the in-memory lists");
    assert_eq!(first_listed(&get("/api/deals").await), old, "the old deal ranks first on its first day's freshness");

    // One rescoring, run as the worker runs it: the hourly job, claimed from the queue, with the clock at now.
    enqueue(pool, RESCORE_JOB, RESCORE_KEY, now(), serde_json::Value::Null).await.expect("enqueue a rescoring");
    let job = claim(pool, "test", &[RESCORE_JOB], Duration::from_secs(60), now())
        .await
        .expect("claim")
        .expect("the rescoring is due");
    let handler = RescoreHandler {
        pool: pool.clone(),
        weights: weights.clone(),
        options: RescoreOptions::default(),
        clock: std::sync::Arc::new(now),
        page_retention: dealcast::store::evidence::DEFAULT_PAGE_RETENTION,
    };
    handler.run(&job).await.expect("the rescoring succeeds");

    // The in-memory lists follow the rescoring through the search rows, as they follow a harvest.
    let generation = index.catch_up(pool).await.expect("catch up");
    assert_eq!(generation, search_index::current_generation(pool).await.expect("the database's generation"));
    let current = index.current().expect("lists built");
    assert_eq!(current.generation, generation);
    assert_eq!(first_listed(&get("/api/deals").await), new, "the API ranks the new reduction first");
    assert_eq!(first_listed(&get("/api/deals?q=bouilloire").await), new, "and so does a search");
    let feed = get("/feed.atom").await;
    assert!(ranks_before(&feed, NEW, OLD), "the feed lists the new reduction first: {feed}");
    let home = get("/").await;
    assert!(ranks_before(&home, NEW, OLD), "the home page lists the new reduction first");

    let account: AccountConfig =
        toml::from_str("name = \"bons_plans\"\nplatform = \"dry_run\"\n").expect("a valid account");
    let chosen = eligible(pool, &account, now()).await.expect("the publisher's candidates");
    assert_eq!(chosen.first().map(|candidate| candidate.offer_id), Some(new), "the publisher chooses the new one");

    // The old one's explanation shows its real age, and when the score holds.
    let detail: serde_json::Value =
        serde_json::from_str(&get(&format!("/api/deals/{old}")).await).expect("a JSON answer");
    let explanation: Vec<&str> =
        detail["explanation"].as_array().expect("an explanation").iter().filter_map(|line| line.as_str()).collect();
    assert!(explanation.contains(&"reduction began 240 h ago: ×0.3244"), "{explanation:?}");
    assert!(explanation.contains(&"as of 2026-12-07 12:00 UTC"), "{explanation:?}");

    // The command line agrees.
    let url = support::database_url(&db);
    let run = |args: Vec<String>| {
        let mut command = tokio::process::Command::from(support::cli::dealcast());
        command.env("DATABASE_URL", &url).args(&args);
        async move {
            let output = command.output().await.expect("run dealcast");
            assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).expect("UTF-8 output")
        }
    };
    let words = |line: &str| line.split(' ').map(str::to_owned).collect::<Vec<_>>();
    let list = run(words("deals list --json")).await;
    let show = run(words(&format!("deals show {old}"))).await;
    let first: serde_json::Value =
        serde_json::from_str(list.lines().next().expect("a deal listed")).expect("a JSON line");
    assert_eq!(first["id"].as_i64(), Some(new), "`deals list` ranks the new reduction first: {list}");
    assert!(show.contains("reduction began 240 h ago"), "{show}");
    assert!(show.contains("as of 2026-12-07 12:00 UTC"), "{show}");

    // A second rescoring at the same moment finds nothing to write.
    let again = dealcast::harvest::rescoring::rescore_active(pool, &weights, now(), &RescoreOptions::default())
        .await
        .expect("rescore again");
    assert_eq!((again.examined, again.rewritten), (2, 0));
}

/// Each refresh of the search rows is a new search generation, and a web server answers from its in-memory lists
/// only while they hold the database's generation (PostgreSQL, far slower, chooses the pages meanwhile): a
/// rescoring read in many batches refreshes the rows it rewrote once, at its end, so the lists fall behind once per
/// run, not once per batch (`benches/rescoring.md`: p95 from 18 ms to about 470 ms with a refresh per batch).
#[tokio::test]
async fn a_rescoring_read_in_many_batches_moves_the_search_generation_once() {
    let db = support::fresh_database().await;
    let pool = &db.pool;
    support::builders::ShopSeed::new("shop_a").name("Boutique A").insert(pool).await;
    let weights = ScoreWeights::default();
    let old = add_offer(pool, OLD, "69", days_ago(10)).await;
    let older = add_offer(pool, &format!("{OLD} bis"), "68", days_ago(12)).await;
    judge_offers(pool, &[old, older], &weights, days_ago(10)).await.expect("judge the deals when they began");
    search_index::refresh_all(pool).await.expect("index the offers as a harvest does");
    let before = search_index::current_generation(pool).await.expect("the generation");

    let options = RescoreOptions { batch_size: 1, ..RescoreOptions::default() };
    let report = dealcast::harvest::rescoring::rescore_active(pool, &weights, now(), &options).await.expect("rescore");
    assert_eq!((report.batches, report.rewritten, report.search_rows), (2, 2, 2), "{report:?}");
    let after = search_index::current_generation(pool).await.expect("the generation");
    assert_eq!(after - before, 1, "one refresh for the whole run");
    // The search rows, which searches and the in-memory lists read, hold the offers' new scores.
    let stale: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM offers o JOIN offer_search x ON x.offer_id = o.id WHERE x.score IS DISTINCT FROM o.score",
    )
    .fetch_one(pool)
    .await
    .expect("compare the scores");
    assert_eq!(stale, 0);
}
