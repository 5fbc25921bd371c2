//! `dealcast run` carries on by itself when its PostgreSQL goes away: the private cluster's postmaster killed with
//! SIGKILL while a harvest is storing is started again (the log names the restart, `/healthz` is 200 again within
//! 30 s, the interrupted harvest is retried by its job's second attempt and stored once, a deal is posted once), a
//! server named by `DATABASE_URL` that is stopped and started again is waited for (the worker waits for it rather
//! than asking it in turn), and SIGTERM while the database is away ends the process within 5 s. `dealcast serve`
//! alone is watched too: a private server that refuses connections, then one killed, is started again.

use crate::support;

use dealcast::scrape::fetch::address_policy::ALLOW_PRIVATE_HOSTS_ENV;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dealcast::publish::x::oauth::Credentials;
use nix::sys::signal::Signal;
use sqlx::postgres::PgConnectOptions;
use support::loopback_shop::{self, Behaviour};
use support::mock_x::{MockAccount, MockX};

const PRODUCTS: usize = 3;

fn credentials() -> Credentials {
    Credentials {
        consumer_key: "ck-sup".into(),
        consumer_secret: "cs-sup".into(),
        token: "at-sup".into(),
        token_secret: "ats-sup".into(),
    }
}

/// A running `dealcast run` whose standard error is collected, killed when dropped.
struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
    web: String,
}

impl Running {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_run(data_dir: &Path, scrapers: &Path, config: &Path, database_url: Option<&str>) -> Running {
    let run = ["run", "--lease-secs", "3", "--poll-ms", "200", "--publish-tick-secs", "1"];
    start_dealcast(data_dir, scrapers, config, database_url, &run)
}

/// Starts `dealcast <command>` with its web server on a free port.
fn start_dealcast(
    data_dir: &Path,
    scrapers: &Path,
    config: &Path,
    database_url: Option<&str>,
    command_args: &[&str],
) -> Running {
    let port = free_port();
    let creds = credentials();
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealcast"));
    command
        .args(["--data-dir", data_dir.to_str().unwrap(), "--scrapers", scrapers.to_str().unwrap()])
        .args(command_args)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--page-cache-secs", "0"])
        .env(ALLOW_PRIVATE_HOSTS_ENV, support::outbound::LOOPBACK_HOSTS)
        .env("DEALCAST_CONFIG", config)
        .env("DEALCAST_SUP_CONSUMER_KEY", creds.consumer_key)
        .env("DEALCAST_SUP_CONSUMER_SECRET", creds.consumer_secret)
        .env("DEALCAST_SUP_ACCESS_TOKEN", creds.token)
        .env("DEALCAST_SUP_ACCESS_TOKEN_SECRET", creds.token_secret)
        // The worker's and publishers' waits for the database are logged at the info level.
        .env("RUST_LOG", "warn,dealcast::jobs::worker=info,dealcast::publish::runner=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    let mut child = command.spawn().expect("start dealcast run");
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().unwrap();
    let collected = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            collected.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    Running { child, log, web: format!("http://127.0.0.1:{port}") }
}

async fn wait_for<F, Fut>(what: &str, within: Duration, running: &Running, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}; dealcast said:\n{}",
            running.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn status(http: &reqwest::Client, url: &str) -> Option<u16> {
    http.get(url).timeout(Duration::from_secs(10)).send().await.ok().map(|response| response.status().as_u16())
}

fn signal(pid: i32, signal: Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).unwrap();
}

/// Whether process `pid` has ended (a zombie not yet reaped counts as ended).
fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, fields)| fields.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

fn postmaster_pid(pgdata: &Path) -> Option<i32> {
    std::fs::read_to_string(pgdata.join("postmaster.pid")).ok()?.lines().next()?.trim().parse().ok()
}

fn private_connect_options(data_dir: &Path) -> PgConnectOptions {
    PgConnectOptions::new_without_pgpass()
        .socket(data_dir.join("pg"))
        .port(5432)
        .username("dealcast")
        .database("dealcast")
}

/// A scrapers directory with one shop on `server`, due once, whose product pages are slow.
fn one_slow_shop(dir: &Path, server: &loopback_shop::LoopbackShop) {
    std::fs::write(
        dir.join("lente.toml"),
        format!(
            "name = \"Boutique Lente\"\nhomepage = \"{}\"\nschedule = \"0 0 0 1 1 *\"\n[crawl]\nstart_urls = [\"{}\"]\n\
             product_links = \"a.product\"\n[politeness]\nmin_delay_ms = 0\nmax_concurrency = 1\n",
            server.url("/"),
            server.url("/list")
        ),
    )
    .unwrap();
}

fn slow_routes() -> HashMap<String, Behaviour> {
    let mut routes = HashMap::new();
    loopback_shop::add_slow_listing(&mut routes, "", PRODUCTS, Duration::from_millis(1500), |product| {
        format!("Lampe lente {product}")
    });
    routes
}

/// A temporary directory holding a data directory (`data`, not created) and an empty scrapers directory.
fn directories() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let scrapers = dir.path().join("scrapers");
    std::fs::create_dir_all(&scrapers).unwrap();
    let data_dir = dir.path().join("data");
    (dir, data_dir, scrapers)
}

fn x_config(dir: &Path, x: &MockX) -> PathBuf {
    // The deal these tests post is added by hand, for a shop without a shop file: nothing to re-check it against.
    let path = dir.join("dealcast.toml");
    std::fs::write(
        &path,
        format!(
            "[[accounts]]\nname = \"sup\"\nplatform = \"x\"\nrecheck = false\napi_base_url = \"{}\"\nschedule = \"*/2 * * * * *\"\n\
             min_spacing_minutes = 0\nposts_per_slot = 1\n",
            x.base_url()
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_cluster_killed_during_a_harvest_comes_back_by_itself() {
    let (dir, data_dir, scrapers) = directories();
    let server = loopback_shop::start(slow_routes()).await;
    one_slow_shop(&scrapers, &server);
    let x =
        MockX::start(vec![MockAccount { credentials: credentials(), user_id: "9001".into(), username: "sup".into() }])
            .await;
    let config = x_config(dir.path(), &x);
    let running = start_run(&data_dir, &scrapers, &config, None);
    let http = reqwest::Client::new();
    let healthz = format!("{}/healthz", running.web);
    wait_for("the first /healthz 200", Duration::from_secs(60), &running, || async {
        status(&http, &healthz).await == Some(200)
    })
    .await;

    // The harvest is storing: the test holds a lock on the offers so that its store waits, then kills the server
    // while it waits. The lock's holder is stopped first (SIGSTOP), so that it cannot let the store through as it
    // exits: the store fails for certain, and none of its offers is written.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(private_connect_options(&data_dir))
        .await
        .unwrap();
    let mut holding = pool.begin().await.unwrap();
    let holder: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *holding).await.unwrap();
    sqlx::query("LOCK TABLE offers IN SHARE MODE").execute(&mut *holding).await.unwrap();
    let waiting_since = Instant::now();
    let storer = loop {
        let storer: Option<i32> = sqlx::query_scalar(
            "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.relation = 'offers'::regclass AND NOT l.granted AND a.query LIKE '%INSERT INTO offers%'",
        )
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(storer) = storer {
            break storer;
        }
        assert!(waiting_since.elapsed() < Duration::from_secs(30), "the harvest never stored:\n{}", running.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let pgdata = data_dir.join("pg");
    let pid = postmaster_pid(&pgdata).expect("the private server runs");
    signal(holder, Signal::SIGSTOP);
    signal(pid, Signal::SIGKILL);
    let killed = Instant::now();
    while !process_gone(storer) {
        assert!(killed.elapsed() < Duration::from_secs(10), "the storing backend outlived its postmaster");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal(holder, Signal::SIGKILL);
    drop(holding);
    pool.close().await;

    // Nobody runs any command: dealcast brings the server back.
    wait_for("/healthz to be 200 again", Duration::from_secs(30), &running, || async {
        postmaster_pid(&pgdata).is_some_and(|new| new != pid) && status(&http, &healthz).await == Some(200)
    })
    .await;
    assert!(killed.elapsed() < Duration::from_secs(30));
    let health = http.get(&healthz).send().await.unwrap().text().await.unwrap();
    assert!(health.contains("database restarts: 1\n") && health.contains("database last unavailable: "), "{health}");
    let metrics = http.get(format!("{}/metrics", running.web)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("dealcast_database_restarts_total 1"), "{metrics}");
    assert!(running.log().contains("restarted the private PostgreSQL server"), "{}", running.log());
    assert_eq!(status(&http, &running.web).await, Some(200), "the home page answers again");

    // The interrupted harvest is retried by its job's second attempt, and stored once.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(private_connect_options(&data_dir))
        .await
        .unwrap();
    let runs = || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM scrape_runs ORDER BY id").fetch_all(&pool).await.unwrap()
    };
    wait_for("the harvest to be retried and stored", Duration::from_secs(90), &running, || async {
        runs().await.contains(&"succeeded".to_string())
    })
    .await;
    let runs = runs().await;
    assert!(
        runs.len() == 2 && ["failed", "abandoned"].contains(&runs[0].as_str()) && runs[1] == "succeeded",
        "one interrupted run, then one that succeeded: {runs:?}\n{}",
        running.log()
    );
    let jobs: Vec<(i32, String)> =
        sqlx::query_as("SELECT attempts, status FROM jobs WHERE kind = 'scrape'").fetch_all(&pool).await.unwrap();
    assert_eq!(jobs, [(2, "succeeded".to_string())], "the shop's one job, succeeded at its second attempt");
    let offers: Vec<String> =
        sqlx::query_scalar("SELECT title FROM offers ORDER BY title").fetch_all(&pool).await.unwrap();
    assert_eq!(offers, ["Lampe lente 0", "Lampe lente 1", "Lampe lente 2"]);
    let observations: (i64, i64) = sqlx::query_as("SELECT count(*), count(DISTINCT offer_id) FROM price_observations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(observations, (3, 3), "one price observation per offer, none twice");

    // A deal added now is posted by the next slot, once.
    sqlx::query("INSERT INTO shops (id, name, homepage) VALUES ('kiabi', 'Kiabi', 'https://www.kiabi.com/')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO offers (shop_id, canonical_url, url, title, currency, price, previous_price, reference_price,
             real_discount_pct, verdict, score, judged_at)
         VALUES ('kiabi', 'https://www.kiabi.com/p/1', 'https://www.kiabi.com/p/1', 'Robe pull maille après la panne',
             'EUR', 14.99, 29.99, 29.99, 50.0, 'honest', 99, now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    let posted = || x.posts_of("9001").iter().filter(|post| post.sent_text.contains("après la panne")).count();
    wait_for("the deal to be posted", Duration::from_secs(30), &running, || async { posted() >= 1 }).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(posted(), 1, "posted once");
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_database_url_dealcast_waits_for_the_server_and_stops_quickly_while_it_is_away() {
    // The "external" server: a private cluster in its own directory, started and stopped by `dealcast db`.
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    let db = |action: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_dealcast"))
            .args(["--data-dir", server_dir.to_str().unwrap(), "db", action])
            .env("DEALCAST_CONFIG", "/dev/null")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(output.status.success(), "db {action}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    db("start");
    let url = db("url").trim().to_string();
    let scrapers = dir.path().join("scrapers");
    std::fs::create_dir_all(&scrapers).unwrap();
    let x = MockX::start(vec![]).await;
    let config = x_config(dir.path(), &x);
    let mut running = start_run(&dir.path().join("unused"), &scrapers, &config, Some(&url));
    let http = reqwest::Client::new();
    let healthz = format!("{}/healthz", running.web);
    wait_for("the first /healthz 200", Duration::from_secs(60), &running, || async {
        status(&http, &healthz).await == Some(200)
    })
    .await;

    db("stop");
    wait_for("/healthz to say the database is away", Duration::from_secs(15), &running, || async {
        status(&http, &healthz).await == Some(503)
    })
    .await;
    let asked = Instant::now();
    assert_eq!(status(&http, &running.web).await, Some(503), "the home page says the database is away");
    assert!(asked.elapsed() < Duration::from_secs(3), "and says it at once: {:?}", asked.elapsed());
    assert!(!dir.path().join("unused").join("pg").exists(), "no private cluster with DATABASE_URL");

    db("start");
    wait_for("dealcast to resume by itself", Duration::from_secs(30), &running, || async {
        status(&http, &healthz).await == Some(200) && status(&http, &running.web).await == Some(200)
    })
    .await;
    let health = http.get(&healthz).send().await.unwrap().text().await.unwrap();
    assert!(health.contains("database last unavailable: ") && health.contains("database restarts: 0"), "{health}");
    let log = running.log();
    assert!(
        log.contains("the database is away: waiting for it to come back before claiming work")
            && log.contains("the database is back: claiming work again"),
        "the worker waited for the database instead of asking it in turn:\n{log}"
    );

    // SIGTERM while the database is away: out within 5 s.
    db("stop");
    wait_for("/healthz to say the database is away", Duration::from_secs(15), &running, || async {
        status(&http, &healthz).await == Some(503)
    })
    .await;
    let asked = Instant::now();
    signal(running.child.id() as i32, Signal::SIGTERM);
    loop {
        if let Some(exit) = running.child.try_wait().unwrap() {
            assert!(exit.success(), "a clean exit: {exit}; dealcast said:\n{}", running.log());
            break;
        }
        assert!(asked.elapsed() < Duration::from_secs(5), "still running 5 s after SIGTERM:\n{}", running.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new(env!("CARGO_BIN_EXE_dealcast"))
        .args(["--data-dir", server_dir.to_str().unwrap(), "db", "stop"])
        .env("DEALCAST_CONFIG", "/dev/null")
        .env_remove("DATABASE_URL")
        .output();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_data_directory_restart_the_killed_server_once() {
    let (dir, data_dir, scrapers) = directories();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let first = start_run(&data_dir, &scrapers, &config, None);
    let http = reqwest::Client::new();
    let up = |running: &Running| {
        let (http, healthz) = (http.clone(), format!("{}/healthz", running.web));
        async move { status(&http, &healthz).await == Some(200) }
    };
    wait_for("the first process", Duration::from_secs(60), &first, || up(&first)).await;
    let second = start_run(&data_dir, &scrapers, &config, None);
    wait_for("the second process", Duration::from_secs(60), &second, || up(&second)).await;

    let pgdata = data_dir.join("pg");
    let pid = postmaster_pid(&pgdata).expect("the private server runs");
    signal(pid, Signal::SIGKILL);
    for running in [&first, &second] {
        wait_for("/healthz to be 200 again", Duration::from_secs(30), running, || async {
            postmaster_pid(&pgdata).is_some_and(|new| new != pid) && up(running).await
        })
        .await;
    }
    let mut restarts = 0;
    for running in [&first, &second] {
        let health = http.get(format!("{}/healthz", running.web)).send().await.unwrap().text().await.unwrap();
        let count = health.lines().find_map(|line| line.strip_prefix("database restarts: ")).unwrap();
        restarts += count.parse::<u32>().unwrap();
    }
    assert_eq!(restarts, 1, "one of the two restarted it:\n{}\n{}", first.log(), second.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_alone_restarts_a_private_server_that_refuses_connections_or_is_killed() {
    let (dir, data_dir, scrapers) = directories();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let mut running = start_dealcast(&data_dir, &scrapers, &config, None, &["serve"]);
    let http = reqwest::Client::new();
    let healthz = format!("{}/healthz", running.web);
    wait_for("the first /healthz 200", Duration::from_secs(60), &running, || async {
        status(&http, &healthz).await == Some(200)
    })
    .await;
    let restarts = |expected: u32| {
        let (http, healthz) = (http.clone(), healthz.clone());
        async move {
            let Ok(response) = http.get(&healthz).timeout(Duration::from_secs(10)).send().await else { return false };
            let ok = response.status() == 200;
            let text = response.text().await.unwrap_or_default();
            ok && text.contains(&format!("database restarts: {expected}\n"))
        }
    };

    // The postmaster runs but its socket is gone: nothing can connect. It is restarted after a few seconds.
    let pgdata = data_dir.join("pg");
    let first = postmaster_pid(&pgdata).expect("the private server runs");
    std::fs::remove_file(pgdata.join(".s.PGSQL.5432")).unwrap();
    wait_for("/healthz to say the database is away", Duration::from_secs(15), &running, || async {
        status(&http, &healthz).await == Some(503)
    })
    .await;
    let asked = Instant::now();
    let away = http.get(&running.web).header("Accept-Language", "en").send().await.unwrap();
    assert_eq!(away.status(), 503);
    assert!(asked.elapsed() < Duration::from_secs(3), "answered at once: {:?}", asked.elapsed());
    assert_eq!(
        away.text().await.unwrap(),
        "The database is unavailable for a moment; try again in a few seconds.\n",
        "in the visitor's language"
    );
    wait_for("the refusing server to be restarted", Duration::from_secs(30), &running, || restarts(1)).await;
    assert_ne!(postmaster_pid(&pgdata), Some(first), "a new postmaster");
    assert!(pgdata.join(".s.PGSQL.5432").exists(), "listening on its socket again");
    assert!(running.log().contains("runs but refuses connections on its socket; restarting it"), "{}", running.log());
    assert_eq!(status(&http, &running.web).await, Some(200), "the home page answers again");

    // Killed: started again.
    let second = postmaster_pid(&pgdata).expect("the private server runs");
    signal(second, Signal::SIGKILL);
    wait_for("the killed server to be restarted", Duration::from_secs(30), &running, || restarts(2)).await;
    assert_eq!(status(&http, &running.web).await, Some(200), "the home page answers again");

    signal(running.child.id() as i32, Signal::SIGTERM);
    let exit = running.child.wait().unwrap();
    assert!(exit.success(), "a clean exit: {exit}; dealcast said:\n{}", running.log());
}
