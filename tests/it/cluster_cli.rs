//! `dealcast db ...` and `dealcast config ...` as a user runs them: the private cluster starts, answers on its
//! socket only, stops, survives concurrent and killed commands, and every failure says what is wrong and what to do.
//! Each test has its own data directory (and so its own cluster), stopped when the test ends.

use crate::support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// A data directory of its own; its cluster is stopped when the test ends, whatever happened.
struct DataDir {
    root: tempfile::TempDir,
    path: PathBuf,
}

impl DataDir {
    fn new() -> DataDir {
        let root = tempfile::Builder::new().prefix("dc").tempdir_in("/tmp").unwrap();
        let path = root.path().join("data");
        DataDir { root, path }
    }

    /// `dealcast` with this data directory and nothing inherited that would point it elsewhere.
    fn dealcast(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dealcast"));
        command
            .env_remove("DATABASE_URL")
            .env_remove("DEALCAST_CONFIG")
            .env_remove("DEALCAST_PG_BIN_DIR")
            .env("DEALCAST_DATA_DIR", &self.path)
            .current_dir(self.root.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.dealcast().args(args).output().unwrap()
    }

    fn url(&self) -> String {
        let output = self.run(&["db", "url"]);
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    fn status_code(&self) -> i32 {
        self.run(&["db", "status"]).status.code().unwrap()
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = self.dealcast().args(["db", "stop"]).output();
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn assert_success(output: &Output) {
    assert!(output.status.success(), "dealcast failed: {}", text(output));
}

async fn tables(url: &str) -> Vec<String> {
    let mut connection = PgConnectOptions::from_str(url).unwrap().connect().await.unwrap();
    let tables = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();
    tables
}

/// Polls until `condition` holds; the deadline is generous because CI machines are slow, not because we wait.
fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn start_status_url_and_stop_work_from_a_fresh_directory() {
    let dir = DataDir::new();
    assert_eq!(dir.status_code(), 3, "a cluster not created yet is reported stopped");
    assert_success(&dir.run(&["db", "start"]));

    let status = dir.run(&["db", "status"]);
    assert_success(&status);
    let status = text(&status);
    assert!(status.contains("running (PID"), "{status}");
    assert!(status.contains("PostgreSQL 1"), "{status}");
    assert!(status.contains("no TCP"), "{status}");
    assert!(status.contains("migrations: current"), "{status}");

    let url = dir.url();
    let listed = tables(&url).await;
    for table in support::SCHEMA_TABLES {
        assert!(listed.iter().any(|t| t == table), "{table} missing from {listed:?}");
    }
    let mut connection = PgConnectOptions::from_str(&url).unwrap().connect().await.unwrap();
    let listen: String = sqlx::query_scalar("SHOW listen_addresses").fetch_one(&mut connection).await.unwrap();
    assert_eq!(listen, "", "the private cluster must not listen on TCP");
    connection.close().await.unwrap();
    // Other PostgreSQL servers may run on this machine: only our postmaster's sockets matter.
    let postmaster: String =
        std::fs::read_to_string(dir.path.join("pg/postmaster.pid")).unwrap().lines().next().unwrap().to_string();
    if let Ok(ss) = Command::new("ss").args(["-ltnp"]).output() {
        let listeners = String::from_utf8_lossy(&ss.stdout);
        assert!(!listeners.contains(&format!("pid={postmaster},")), "our cluster listens on TCP:\n{listeners}");
    }
    let mode = std::os::unix::fs::MetadataExt::mode(&std::fs::metadata(dir.path.join("pg")).unwrap());
    assert_eq!(mode & 0o777, 0o700, "only the cluster's owner may open its socket");

    assert_success(&dir.run(&["db", "stop"]));
    assert_eq!(dir.status_code(), 3);
    assert!(text(&dir.run(&["db", "status"])).contains("stopped"));
}

#[tokio::test]
async fn two_migrations_started_together_on_a_new_directory_both_succeed() {
    let dir = DataDir::new();
    let first = dir.dealcast().args(["db", "migrate"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let second = dir.dealcast().args(["db", "migrate"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    assert_success(&first.wait_with_output().unwrap());
    assert_success(&second.wait_with_output().unwrap());

    assert_success(&dir.run(&["db", "start"]));
    let mut connection = PgConnectOptions::from_str(&dir.url()).unwrap().connect().await.unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    let known: Vec<i64> = dealcast::store::migrations::MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(versions, known, "each migration is applied exactly once");
}

#[test]
fn a_command_stops_the_cluster_it_started_but_not_one_started_on_purpose() {
    let dir = DataDir::new();
    assert_success(&dir.run(&["db", "migrate"]));
    assert_eq!(dir.status_code(), 3, "db migrate started the cluster, so it stops it on exit");

    assert_success(&dir.run(&["db", "start"]));
    assert_success(&dir.run(&["db", "migrate"]));
    assert_eq!(dir.status_code(), 0, "a cluster started with `db start` keeps running");
}

#[test]
fn a_killed_dealcast_leaves_nothing_that_blocks_the_next_command() {
    let dir = DataDir::new();
    // A dealcast holding the cluster (for its psql session) is killed: the cluster outlives it.
    let mut holder = dir
        .dealcast()
        .args(["db", "psql", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the cluster to run", || dir.status_code() == 0);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(holder.id() as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
    holder.wait().unwrap();
    drop(holder.stdin.take());

    // The next command uses it, and being its last user, stops it.
    assert_success(&dir.run(&["db", "migrate"]));
    assert_eq!(dir.status_code(), 3);

    // The server itself is killed: its postmaster.pid must not block the next start.
    assert_success(&dir.run(&["db", "start"]));
    let pid: i32 =
        std::fs::read_to_string(dir.path.join("pg/postmaster.pid")).unwrap().lines().next().unwrap().parse().unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    wait_for("the server to die", || nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err());
    assert_success(&dir.run(&["db", "migrate"]));

    // `db start` killed at several moments of creating and starting a cluster: the next command always works.
    for delay_ms in [50, 150, 300, 600] {
        let fresh = DataDir::new();
        let mut start =
            fresh.dealcast().args(["db", "start"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = start.kill();
        start.wait().unwrap();
        let output = fresh.run(&["db", "migrate"]);
        assert!(output.status.success(), "after a kill at {delay_ms} ms: {}", text(&output));
    }
}

#[test]
fn missing_server_programs_are_named_with_the_install_command() {
    let dir = DataDir::new();
    let output = dir.run(&["--pg-bin-dir", "/nonexistent/pg/bin", "db", "start"]);
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("`initdb` was not found"), "{message}");
    assert!(message.contains("apt-get install postgresql"), "{message}");
}

#[test]
fn an_unusable_data_directory_is_reported_with_the_fix() {
    let dir = DataDir::new();
    std::fs::write(dir.root.path().join("a-file"), "").unwrap();
    let output = dir
        .dealcast()
        .env("DEALCAST_DATA_DIR", dir.root.path().join("a-file/data"))
        .args(["db", "migrate"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("a-file/data cannot be used"), "{message}");
    assert!(message.contains("--data-dir"), "{message}");
}

#[test]
fn a_cluster_of_another_major_version_is_reported_with_the_fix() {
    let dir = DataDir::new();
    std::fs::create_dir_all(dir.path.join("pg")).unwrap();
    std::fs::write(dir.path.join("pg/PG_VERSION"), "9\n").unwrap();
    let output = dir.run(&["db", "start"]);
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("created by PostgreSQL 9"), "{message}");
    assert!(message.contains("pg_upgrade"), "{message}");
}

#[test]
fn a_socket_taken_by_another_server_is_reported() {
    let ours = DataDir::new();
    assert_success(&ours.run(&["db", "start"]));
    assert_success(&ours.run(&["db", "stop"]));
    let other = DataDir::new();
    assert_success(&other.run(&["db", "start"]));
    let other_pid =
        std::fs::read_to_string(other.path.join("pg/postmaster.pid")).unwrap().lines().next().unwrap().to_string();
    // Another live server claims our socket (as a server configured with our socket directory would).
    std::fs::write(ours.path.join("pg/.s.PGSQL.5432.lock"), format!("{other_pid}\n")).unwrap();
    let output = ours.run(&["db", "start"]);
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains(&format!("Another PostgreSQL server (PID {other_pid})")), "{message}");
}

#[test]
fn as_root_a_data_directory_the_server_user_cannot_enter_still_works() {
    if !nix::unistd::Uid::effective().is_root() {
        println!("SKIPPED: only meaningful as root");
        return;
    }
    let dir = DataDir::new();
    let locked = dir.root.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let inside = DataDir { root: tempfile::tempdir_in(&locked).unwrap(), path: locked.join("data") };
    assert_success(&inside.run(&["db", "start"]));
    let target = std::fs::read_link(inside.path.join("pg")).expect("the cluster is linked from the data directory");
    assert!(target.starts_with(dealcast::pg::local_cluster::RELOCATION_ROOT), "{}", target.display());
    let status = text(&inside.run(&["db", "status"]));
    assert!(status.contains("migrations: current"), "{status}");
    assert_success(&inside.run(&["db", "stop"]));
    std::fs::remove_dir_all(&target).unwrap();
}

#[test]
fn as_root_an_existing_cluster_the_server_user_cannot_enter_is_explained() {
    if !nix::unistd::Uid::effective().is_root() {
        println!("SKIPPED: only meaningful as root");
        return;
    }
    let dir = DataDir::new();
    let locked = dir.root.path().join("locked");
    std::fs::create_dir_all(locked.join("data/pg")).unwrap();
    std::fs::write(locked.join("data/pg/PG_VERSION"), "15\n").unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let output = dir.dealcast().env("DEALCAST_DATA_DIR", locked.join("data")).args(["db", "migrate"]).output().unwrap();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains(&format!("cannot enter {}", locked.display())), "{message}");
    assert!(message.contains("setfacl"), "{message}");
}

#[test]
fn with_database_url_dealcast_does_not_manage_a_server() {
    let dir = DataDir::new();
    let output = dir
        .dealcast()
        .env("DATABASE_URL", "postgresql://deals:hunter2@127.0.0.1:9/deals")
        .args(["db", "start"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("DATABASE_URL is set"), "{message}");
    assert!(!message.contains("hunter2"), "the password must never be printed: {message}");
}

#[test]
fn config_show_prints_the_defaults_and_redacts_secrets() {
    let dir = DataDir::new();
    let output = dir
        .dealcast()
        .env("DATABASE_URL", "postgresql://deals:hunter2@db.example/deals")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert_success(&output);
    let shown = text(&output);
    assert!(shown.contains("No configuration file"), "{shown}");
    assert!(shown.contains("max_connections = 10"), "{shown}");
    assert!(shown.contains("postgresql://deals:REDACTED@db.example/deals"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn a_bad_config_file_gets_every_problem_with_its_location() {
    let dir = DataDir::new();
    let file = dir.root.path().join("dealcast.toml");
    std::fs::write(&file, "data_dir = 42\n[database]\nmax_connection = 5\nconnect_timeout_secs = -1\n").unwrap();
    let output = dir.dealcast().args(["--config", file.to_str().unwrap(), "config", "show"]).output().unwrap();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("has 3 problems"), "{message}");
    for location in [":1:", ":3:", ":4:"] {
        assert!(message.contains(&format!("{}{location}", file.display())), "{location} missing: {message}");
    }
    assert!(message.contains("max_connection"), "{message}");
}

#[test]
fn the_config_file_in_the_working_directory_is_read() {
    let dir = DataDir::new();
    std::fs::write(dir.root.path().join("dealcast.toml"), "[database]\nmax_connections = 3\n").unwrap();
    let output = dir.run(&["config", "show"]);
    assert_success(&output);
    let shown = text(&output);
    assert!(shown.contains("max_connections = 3"), "{shown}");
    assert!(shown.contains(&format!("data_dir = \"{}\"", dir.path.display())), "the environment wins: {shown}");
}
