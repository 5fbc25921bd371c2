//! The private cluster and `db psql` keep dealcast's secrets to dealcast: the PostgreSQL server does not
//! inherit its environment, and psql gets the password through its environment, never on its command line (which
//! every user of the machine sees in `ps`).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Secrets a deployment keeps in dealcast's environment: an account's X OAuth keys, and any other `DEALCAST_*`.
const SECRETS: [(&str, &str); 5] = [
    ("DEALCAST_HARD_CONSUMER_KEY", "consumer-key-value"),
    ("DEALCAST_HARD_CONSUMER_SECRET", "consumer-secret-value"),
    ("DEALCAST_HARD_ACCESS_TOKEN", "access-token-value"),
    ("DEALCAST_HARD_ACCESS_TOKEN_SECRET", "access-token-secret-value"),
    ("DEALCAST_SOMETHING_PRIVATE", "private-value"),
];

/// A data directory of its own (under /tmp, for a short socket path), its cluster stopped when the test ends.
struct PrivateCluster {
    _root: tempfile::TempDir,
    data_dir: PathBuf,
}

impl PrivateCluster {
    fn new() -> PrivateCluster {
        let root = tempfile::Builder::new().prefix("dch").tempdir_in("/tmp").unwrap();
        let data_dir = root.path().join("data");
        PrivateCluster { _root: root, data_dir }
    }

    /// `dealcast db <action>` on this data directory, with the secrets in its environment and an empty
    /// `DATABASE_URL` (set, but empty: the private cluster is used).
    fn db(&self, action: &str) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dealcast"));
        command
            .args(["db", action])
            .env("DEALCAST_DATA_DIR", &self.data_dir)
            .env("DEALCAST_CONFIG", "/dev/null")
            .env("DATABASE_URL", "")
            .envs(SECRETS);
        command.output().unwrap()
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.db("stop");
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The names and values of a process's environment, from `/proc/<pid>/environ`.
fn environment_of(pid: &str) -> Vec<(String, String)> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).expect("read the environment of the postmaster");
    raw.split(|byte| *byte == 0)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (name, value) = entry.split_once('=').unwrap_or((&entry, ""));
            (name.to_string(), value.to_string())
        })
        .collect()
}

fn postmaster_pid(pgdata: &Path) -> String {
    let pid_file = std::fs::read_to_string(pgdata.join("postmaster.pid")).expect("the server runs");
    pid_file.lines().next().unwrap().trim().to_string()
}

#[test]
fn the_postmaster_environment_holds_none_of_dealcasts_secrets() {
    let cluster = PrivateCluster::new();
    let started = cluster.db("start");
    assert!(started.status.success(), "{}", text(&started));
    let environment = environment_of(&postmaster_pid(&cluster.data_dir.join("pg")));
    let names: Vec<&str> = environment.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names.contains(&"PATH"), "the environment was read: {names:?}");
    for (name, value) in &environment {
        assert!(!name.starts_with("DEALCAST_") && name != "DATABASE_URL", "{name} reached the server: {names:?}");
        assert!(SECRETS.iter().all(|(_, secret)| !value.contains(secret)), "{name} holds a secret");
    }
}

#[tokio::test]
async fn db_psql_gives_the_password_through_the_environment_not_the_command_line() {
    let db = support::fresh_database().await;
    // The test server trusts its socket, so the password is carried but not needed: what matters is where it goes.
    let url = support::database_url(&db).replacen("@localhost", ":pw-in-url-4711@localhost", 1);
    assert!(url.contains(":pw-in-url-4711@"), "{url}");
    // psql runs a shell command that prints psql's own command line (the shell's parent) and the password it got.
    let show = r#"\! tr '\0' ' ' < /proc/$PPID/cmdline; echo; echo "PGPASSWORD=$PGPASSWORD""#;
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_dealcast"))
            .args(["db", "psql", "--", "-X", "-c", show])
            .env("DATABASE_URL", url)
            .env("DEALCAST_CONFIG", "/dev/null")
            .env_remove("PGPASSWORD")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    let mut lines = said.lines();
    let command_line = lines.next().unwrap_or_default();
    assert!(command_line.contains("psql") && command_line.contains(&db.name), "{said}");
    assert!(!command_line.contains("pw-in-url-4711"), "the password is on psql's command line: {command_line}");
    assert_eq!(lines.next(), Some("PGPASSWORD=pw-in-url-4711"), "{said}");
}

#[test]
fn a_symlink_planted_in_the_data_directory_is_not_followed_and_the_error_says_why() {
    let cluster = PrivateCluster::new();
    let created = cluster.db("start");
    assert!(created.status.success(), "{}", text(&created));
    assert!(cluster.db("stop").status.success());
    let target = cluster.data_dir.parent().unwrap().join("precious.txt");
    std::fs::write(&target, "root's file\n").unwrap();

    // In the cluster directory (the server user's): the settings file dealcast writes at each start.
    let conf = cluster.data_dir.join("pg").join("dealcast.conf");
    std::fs::remove_file(&conf).unwrap();
    std::os::unix::fs::symlink(&target, &conf).unwrap();
    let refused = cluster.db("start");
    assert!(!refused.status.success(), "{}", text(&refused));
    let said = text(&refused);
    assert!(said.contains("dealcast.conf is a symbolic link") && said.contains("does not follow links"), "{said}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "root's file\n", "the link's target is untouched");
    std::fs::remove_file(&conf).unwrap();

    // In the data directory: the marker left by a command that starts the cluster on demand.
    let marker = cluster.data_dir.join("cluster.autostarted");
    std::os::unix::fs::symlink(&target, &marker).unwrap();
    let refused = cluster.db("migrate");
    assert!(!refused.status.success(), "{}", text(&refused));
    let said = text(&refused);
    assert!(said.contains("cluster.autostarted is a symbolic link"), "{said}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "root's file\n", "the link's target is untouched");
    std::fs::remove_file(&marker).unwrap();

    // Once the links are gone, the cluster starts as before.
    let started = cluster.db("start");
    assert!(started.status.success(), "{}", text(&started));
}

#[test]
fn as_root_a_data_directory_owned_by_another_user_is_refused() {
    if !nix::unistd::Uid::effective().is_root() {
        println!("SKIPPED: only root is refused a data directory owned by another user");
        return;
    }
    let cluster = PrivateCluster::new();
    std::fs::create_dir(&cluster.data_dir).unwrap();
    let postgres = nix::unistd::User::from_name("postgres").unwrap().expect("the postgres user");
    nix::unistd::chown(&cluster.data_dir, Some(postgres.uid), Some(postgres.gid)).unwrap();
    let refused = cluster.db("start");
    assert!(!refused.status.success(), "{}", text(&refused));
    let said = text(&refused);
    assert!(said.contains(&format!("belongs to user id {}", postgres.uid)) && said.contains("runs as root"), "{said}");
    assert_eq!(std::fs::read_dir(&cluster.data_dir).unwrap().count(), 0, "nothing was written there");
}
