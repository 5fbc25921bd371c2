//! Several `dealcast worker` processes sharing one database: every due shop is scraped exactly once, and when a
//! worker is killed in the middle of a scrape, another takes its job over once the lease expires, without
//! duplicating any offer.

use crate::support;

use dealcast::scrape::fetch::address_policy::ALLOW_PRIVATE_HOSTS_ENV;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::child_guard::KillOnDrop;
use support::loopback_shop;

const SHOPS: usize = 10;
const PRODUCTS: usize = 3;

/// A worker process, killed when the test ends however it ends.
fn worker(name: &str, scrapers: &std::path::Path, url: &str) -> KillOnDrop {
    let child = Command::new(env!("CARGO_BIN_EXE_dealcast"))
        .args(["--scrapers", scrapers.to_str().unwrap(), "worker", "--name", name])
        .args(["--lease-secs", "2", "--poll-ms", "100", "--concurrency", "2"])
        .env(ALLOW_PRIVATE_HOSTS_ENV, support::outbound::LOOPBACK_HOSTS)
        .env("DATABASE_URL", url)
        .env("DEALCAST_CONFIG", "/dev/null")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

async fn scalar(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_scrape_each_due_shop_once_even_when_one_is_killed() {
    let db = support::fresh_database().await;
    let mut routes = HashMap::new();
    for shop in 0..SHOPS {
        // Slow pages: a scrape lasts long enough to be killed in the middle.
        let delay = Duration::from_millis(400);
        loopback_shop::add_slow_listing(&mut routes, &format!("/s{shop}"), PRODUCTS, delay, |product| {
            format!("Produit {shop}-{product}")
        });
    }
    let server = loopback_shop::start(routes).await;
    let scrapers = tempfile::tempdir().unwrap();
    for shop in 0..SHOPS {
        // Due once (every 1 January): the scheduler queues the latest past slot, exactly one per shop.
        std::fs::write(
            scrapers.path().join(format!("shop_{shop}.toml")),
            format!(
                "name = \"Shop {shop}\"\nhomepage = \"{}\"\nschedule = \"0 0 0 1 1 *\"\n[crawl]\nstart_urls = [\"{}\"]\n\
                 product_links = \"a.product\"\n[politeness]\nmin_delay_ms = 0\nmax_concurrency = 1\n",
                server.url("/"),
                server.url(&format!("/s{shop}/list"))
            ),
        )
        .unwrap();
    }
    let url = support::database_url(&db);
    let mut doomed = worker("worker-a", scrapers.path(), &url);
    let mut survivor = worker("worker-b", scrapers.path(), &url);

    // Kill worker A while it holds a running scrape (not the hourly rescoring, which it may also run).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let running_a: i64 = scalar(
            &db.pool,
            "SELECT count(*) FROM jobs WHERE kind = 'scrape' AND status = 'running' AND locked_by LIKE 'worker-a%'",
        )
        .await;
        if running_a > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "worker A never ran a job");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed_jobs: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = 'scrape' AND status = 'running' AND locked_by LIKE 'worker-a%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    doomed.kill().unwrap();
    doomed.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let done = scalar(&db.pool, "SELECT count(*) FROM jobs WHERE kind = 'scrape' AND status = 'succeeded'").await;
        if done == SHOPS as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} of {SHOPS} scrapes finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let scrapes = "SELECT count(*) FROM jobs WHERE kind = 'scrape'";
    assert_eq!(scalar(&db.pool, scrapes).await, SHOPS as i64, "one job per shop and due time");
    assert_eq!(scalar(&db.pool, "SELECT count(DISTINCT key) FROM jobs WHERE kind = 'scrape'").await, SHOPS as i64);
    // Beside the scrapes, the hourly rescoring is queued once however many workers tick.
    assert_eq!(scalar(&db.pool, "SELECT count(*) FROM jobs WHERE kind = 'rescore'").await, 1);
    for job in killed_jobs {
        let (status, locked_by, attempts): (String, String, i32) =
            sqlx::query_as("SELECT status, locked_by, attempts FROM jobs WHERE id = $1")
                .bind(job)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(status, "succeeded");
        assert!(locked_by.starts_with("worker-b"), "the survivor took the killed worker's job over: {locked_by}");
        assert_eq!(attempts, 2);
    }
    let offers = scalar(&db.pool, "SELECT count(*) FROM offers").await;
    assert_eq!(offers, (SHOPS * PRODUCTS) as i64, "no offer is duplicated");
    assert_eq!(scalar(&db.pool, "SELECT count(*) FROM price_observations").await, offers, "one observation each");
    assert!(scalar(&db.pool, "SELECT count(*) FROM scrape_runs WHERE status = 'abandoned'").await >= 1);
    assert_eq!(scalar(&db.pool, "SELECT count(*) FROM scrape_runs WHERE status = 'succeeded'").await, SHOPS as i64);

    // The survivor stops gracefully on SIGTERM.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(survivor.id() as i32), nix::sys::signal::Signal::SIGTERM)
        .unwrap();
    let status = survivor.wait().unwrap();
    assert!(status.success(), "worker B did not stop cleanly: {status:?}");
}
