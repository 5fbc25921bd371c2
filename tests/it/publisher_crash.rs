//! Exactly once, through crashes: the real `dealcast publish --now` process is frozen at each step of a send
//! (`DEALCAST_TEST_PAUSE_AT`) and killed with SIGKILL there; a restarted process must leave every deal posted
//! exactly once on the mock X API, none lost. And two processes publishing one account at the same moment make
//! one post.

use crate::support;

use std::process::Child;
use std::time::{Duration, Instant};

use dealcast::publish::x::oauth::Credentials;
use sqlx::PgPool;
use support::mock_x::{MockAccount, MockX};
use support::publish_process::{kill_when_paused, run_to_end};

const USER_ID: &str = "8001";

fn credentials() -> Credentials {
    Credentials {
        consumer_key: "ck-crash".into(),
        consumer_secret: "cs-crash".into(),
        token: "at-crash".into(),
        token_secret: "ats-crash".into(),
    }
}

struct Setup {
    db: support::TestDb,
    x: MockX,
    config: tempfile_path::TempConfig,
}

mod tempfile_path {
    //! A configuration file in the temporary directory, removed when dropped.
    pub struct TempConfig(pub std::path::PathBuf);

    impl Drop for TempConfig {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

async fn setup(tag: &str, deals: usize) -> Setup {
    let db = support::fresh_database().await;
    let pool: &PgPool = &db.pool;
    sqlx::query("INSERT INTO shops (id, name, homepage) VALUES ('kiabi', 'Kiabi', 'https://www.kiabi.com/')")
        .execute(pool)
        .await
        .unwrap();
    for n in 0..deals {
        sqlx::query(
            "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price, previous_price, reference_price,
                 real_discount_pct, verdict, score, judged_at)
             VALUES ('kiabi', $1, $1, $2, 'EUR', 14.99, 29.99, 29.99, 50.0, 'honest', $3, now())",
        )
        .bind(format!("https://www.kiabi.com/p/{n}"))
        .bind(format!("Robe pull maille n°{n}"))
        .bind(90 - n as i32)
        .execute(pool)
        .await
        .unwrap();
    }
    let x = MockX::start(vec![MockAccount {
        credentials: credentials(),
        user_id: USER_ID.into(),
        username: "crash".into(),
    }])
    .await;
    let path = std::env::temp_dir().join(format!("dealcast-crash-{}-{tag}.toml", std::process::id()));
    std::fs::write(
        &path,
        format!(
            "[[accounts]]\nname = \"crash\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{}\"\nmin_spacing_minutes = 0\n\
             posts_per_slot = 1\n",
            x.base_url()
        ),
    )
    .unwrap();
    Setup { db, x, config: tempfile_path::TempConfig(path) }
}

fn publish_now(setup: &Setup, pause_at: Option<&str>) -> Child {
    let url = support::database_url(&setup.db);
    support::publish_process::publish_now(&url, &setup.config.0, "crash", &credentials(), pause_at)
}

/// Every deal's post count on the mock, and the outbox's view of it.
async fn assert_each_deal_posted_once(setup: &Setup) {
    let posts = setup.x.posts_of(USER_ID);
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT offer_id, status, remote_id FROM publications ORDER BY id")
            .fetch_all(&setup.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "one deal, one outbox row: {rows:?}");
    let (_, status, remote_id) = &rows[0];
    assert_eq!(status, "published");
    assert_eq!(
        posts.len(),
        1,
        "posted exactly once on X: {:?}",
        posts.iter().map(|p| &p.sent_text).collect::<Vec<_>>()
    );
    assert_eq!(remote_id.as_deref(), Some(posts[0].id.as_str()), "the outbox names the post X holds");
}

async fn crash_then_restart(point: &str) {
    let setup = setup(point, 1).await;
    kill_when_paused(publish_now(&setup, Some(point)), point);
    let before_restart = setup.x.post_count();
    match point {
        "before_claim" | "after_claim" => assert_eq!(before_restart, 0),
        _ => assert_eq!(before_restart, 1),
    }
    run_to_end(publish_now(&setup, None));
    assert_each_deal_posted_once(&setup).await;
    // Another run finds nothing more to post.
    run_to_end(publish_now(&setup, None));
    assert_each_deal_posted_once(&setup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_claim_the_deal_is_posted_once_after_restart() {
    crash_then_restart("before_claim").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_claim_the_deal_is_posted_once_after_restart() {
    crash_then_restart("after_claim").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_x_accepted_the_post_it_is_found_and_not_posted_again() {
    crash_then_restart("after_post").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_recording_nothing_is_posted_again() {
    crash_then_restart("after_record").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_publishing_one_account_at_once_make_one_post() {
    let setup = setup("twins", 3).await;
    // Both start in the same minute (the slot `--now` serves).
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 45 {
        std::thread::sleep(Duration::from_secs((61 - second) as u64));
    }
    let started = Instant::now();
    let (a, b) = (publish_now(&setup, None), publish_now(&setup, None));
    let (said_a, said_b) = (run_to_end(a), run_to_end(b));
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(setup.x.post_count(), 1, "{said_a}\n---\n{said_b}");
    let said = format!("{said_a}{said_b}");
    assert!(
        said.contains("another publisher is working") || said.contains("slot was already served"),
        "the second process said why it did nothing:\n{said}"
    );
}
