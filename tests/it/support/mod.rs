//! The test harness shared by the integration tests: one PostgreSQL server for the whole test process, and a fresh,
//! migrated database for each test.
//!
//! With `DATABASE_URL` set, the tests use that server. Without it, they use a private cluster started through the
//! same code as `dealcast` itself (in `$TMPDIR/dealcast-test-cluster`, or `DEALCAST_TEST_DATA_DIR`), with `fsync`
//! off. Several test processes share it; the last one to finish stops it, so no server is left running.
//!
//! Each test gets a database copied from a template migrated once per schema version, which is much faster than
//! migrating every database. The databases a process created are dropped when it exits.

pub mod admin_site;
pub mod builders;
pub mod child_guard;
pub mod cli;
pub mod demo_process;
pub mod expected_pages;
pub mod listed_shop;
pub mod loopback_shop;
pub mod mock_x;
pub mod outbound;
pub mod publish_process;

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use dealcast::pg::{ClusterLease, Durability, LocalCluster};
use dealcast::store::database::quote_identifier;
use dealcast::store::migrations::MIGRATOR;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// The tables the schema must have, as a user listing them (`\dt`) sees them.
pub const SCHEMA_TABLES: [&str; 17] = [
    "accounts",
    "admin_login_attempts",
    "admin_sessions",
    "crawl_pages",
    "jobs",
    "offer_search",
    "offer_search_removed",
    "offers",
    "price_observations",
    "publication_evidence",
    "publications",
    "review_decisions",
    "scrape_runs",
    "search_generation",
    "search_words",
    "shop_counts",
    "shops",
];

/// Test databases are named `dealcast_test_<pid>_<n>`, so leftovers of a crashed run can be recognised.
const TEST_DB_PREFIX: &str = "dealcast_test_";

struct TestServer {
    /// Connects to a database of the server by name.
    options_for: Box<dyn Fn(&str) -> PgConnectOptions + Send + Sync>,
    /// The database to connect to for CREATE/DROP DATABASE.
    admin_database: String,
}

static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
static LEASE: Mutex<Option<ClusterLease>> = Mutex::new(None);
static CREATED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh database with the whole schema, for one test.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    pub options: PgConnectOptions,
}

/// The data directory of the shared test cluster.
pub fn test_data_dir() -> PathBuf {
    std::env::var_os("DEALCAST_TEST_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("dealcast-test-cluster"))
}

fn server() -> &'static TestServer {
    let server = SERVER.get_or_init(|| {
        let server = start_server();
        // SAFETY: `release_at_exit` is an `extern "C" fn()` that never unwinds across the boundary.
        unsafe { nix::libc::atexit(release_at_exit) };
        server
    });
    match server {
        Ok(server) => server,
        Err(message) => panic!("the test PostgreSQL server is not available: {message}"),
    }
}

fn start_server() -> Result<TestServer, String> {
    if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()) {
        let base = PgConnectOptions::from_str(&url).map_err(|e| format!("DATABASE_URL: {e}"))?;
        let admin_database = base.get_database().unwrap_or("postgres").to_string();
        return Ok(TestServer {
            options_for: Box::new(move |database| base.clone().database(database)),
            admin_database,
        });
    }
    let cluster = LocalCluster::new(&test_data_dir(), None, Durability::Disposable).map_err(|e| e.to_string())?;
    let lease = cluster.acquire().map_err(|e| e.to_string())?;
    *LEASE.lock().unwrap() = Some(lease);
    Ok(TestServer {
        options_for: Box::new(move |database| cluster.connect_options(database)),
        admin_database: "postgres".to_string(),
    })
}

extern "C" fn release_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        let created: Vec<String> = std::mem::take(&mut *CREATED.lock().unwrap_or_else(|e| e.into_inner()));
        if !created.is_empty()
            && let Some(Ok(server)) = SERVER.get()
        {
            let admin = (server.options_for)(&server.admin_database);
            // A thread of its own: the main thread's runtime-related state may already be torn down.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                runtime.block_on(async move {
                    let mut connection = admin.connect().await.ok()?;
                    for name in created {
                        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&name));
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut connection).await;
                    }
                    connection.close().await.ok()
                })
            })
            .join();
        }
        if let Some(lease) = LEASE.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = lease.release();
        }
    });
}

/// The name of the template database holding the current schema (one per set of migrations).
fn template_name() -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for migration in MIGRATOR.iter() {
        migration.version.hash(&mut hasher);
        migration.checksum.hash(&mut hasher);
    }
    format!("dealcast_template_{:016x}", hasher.finish())
}

async fn execute(connection: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(connection).await.map(|_| ())
}

/// Creates the migrated template if it does not exist yet, and drops databases left by test processes that died.
/// Runs under an advisory lock, so concurrent test processes do it once.
async fn prepare_template(server: &TestServer, admin: &mut PgConnection) -> String {
    let template = template_name();
    sqlx::query("SELECT pg_advisory_lock(7305112026)").execute(&mut *admin).await.expect("advisory lock");
    let stale: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
        .bind(format!("{TEST_DB_PREFIX}%"))
        .fetch_all(&mut *admin)
        .await
        .expect("list test databases");
    for name in stale {
        let pid = name.trim_start_matches(TEST_DB_PREFIX).split('_').next().and_then(|p| p.parse::<i32>().ok());
        let alive = pid.is_some_and(|pid| nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok());
        if !alive {
            let _ = execute(admin, format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&name))).await;
        }
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&template)
        .fetch_one(&mut *admin)
        .await
        .expect("look for the template");
    if !exists {
        let building = format!("{template}_building");
        execute(admin, format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&building)))
            .await
            .expect("drop a half-built template");
        execute(admin, format!("CREATE DATABASE {}", quote_identifier(&building))).await.expect("create template");
        let mut connection = (server.options_for)(&building).connect().await.expect("connect to the template");
        MIGRATOR.run(&mut connection).await.expect("migrate the template");
        connection.close().await.expect("close the template");
        execute(
            admin,
            format!("ALTER DATABASE {} RENAME TO {}", quote_identifier(&building), quote_identifier(&template)),
        )
        .await
        .expect("publish the template");
    }
    sqlx::query("SELECT pg_advisory_unlock(7305112026)").execute(&mut *admin).await.expect("advisory unlock");
    template
}

/// A new database with the current schema, dropped when the test process exits.
pub async fn fresh_database() -> TestDb {
    let server = server();
    let mut admin = (server.options_for)(&server.admin_database).connect().await.expect("connect to the test server");
    let template = prepare_template(server, &mut admin).await;
    let name = format!("{TEST_DB_PREFIX}{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    CREATED.lock().unwrap().push(name.clone());
    execute(
        &mut admin,
        format!("CREATE DATABASE {} TEMPLATE {}", quote_identifier(&name), quote_identifier(&template)),
    )
    .await
    .expect("create the test database");
    admin.close().await.expect("close the admin connection");
    let options = (server.options_for)(&name);
    let pool = PgPoolOptions::new().max_connections(4).connect_with(options.clone()).await.expect("connect");
    TestDb { pool, name, options }
}

/// Where the shared third-party conformance data is (`DEALCAST_PEERS_DIR`, default `../shared/peers`), or `None`
/// (after saying so) when this checkout has none: such tests are then skipped. With `DEALCAST_REQUIRE_PEERS=1` (as
/// `.ci/run` sets it) a missing folder is a failure naming it instead, so that no conformance test passes unrun.
pub fn peers_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("DEALCAST_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/peers"));
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var("DEALCAST_REQUIRE_PEERS").is_ok_and(|value| !value.is_empty() && value != "0");
    assert!(
        !required,
        "{test}: no peers data at {} and DEALCAST_REQUIRE_PEERS is set (set DEALCAST_PEERS_DIR to the folder)",
        dir.display()
    );
    println!("SKIPPED {test}: no peers data at {} (set DEALCAST_PEERS_DIR)", dir.display());
    None
}

/// A connection URL for a test database, for running the `dealcast` binary against it (`DATABASE_URL`).
pub fn database_url(db: &TestDb) -> String {
    if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()) {
        let mut url = url::Url::parse(&url).expect("DATABASE_URL is a URL");
        url.set_path(&format!("/{}", db.name));
        return url.to_string();
    }
    let socket = db.options.get_socket().expect("the test cluster is reached over its socket");
    let host: String = url::form_urlencoded::byte_serialize(socket.to_string_lossy().as_bytes()).collect();
    format!(
        "postgresql://{}@localhost/{}?host={host}&port={}",
        db.options.get_username(),
        db.name,
        db.options.get_port()
    )
}
