//! The real `dealcast publish --now` process, for the tests that freeze it at a pause point of the send path
//! (`DEALCAST_TEST_PAUSE_AT`) and kill it there with SIGKILL, then check that a restart posts exactly once.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dealcast::publish::x::oauth::Credentials;

/// `dealcast publish --now --account ACCOUNT` on the database at `database_url` with the configuration file
/// `config`, the account's secrets in its environment, paused at `pause_at` when given.
pub fn publish_now(
    database_url: &str,
    config: &Path,
    account: &str,
    credentials: &Credentials,
    pause_at: Option<&str>,
) -> Child {
    let prefix = format!("DEALCAST_{}_", account.to_ascii_uppercase());
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealcast"));
    command
        .args(["publish", "--now", "--account", account])
        .env("DATABASE_URL", database_url)
        .env("DEALCAST_CONFIG", config)
        .env(format!("{prefix}CONSUMER_KEY"), &credentials.consumer_key)
        .env(format!("{prefix}CONSUMER_SECRET"), &credentials.consumer_secret)
        .env(format!("{prefix}ACCESS_TOKEN"), &credentials.token)
        .env(format!("{prefix}ACCESS_TOKEN_SECRET"), &credentials.token_secret)
        .env("RUST_LOG", "warn")
        .env_remove("DEALCAST_TEST_PAUSE_AT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(point) = pause_at {
        command.env("DEALCAST_TEST_PAUSE_AT", point);
    }
    command.spawn().expect("start dealcast")
}

/// Waits until the process says it paused at `point`, then kills it with SIGKILL.
pub fn kill_when_paused(mut child: Child, point: &str) {
    let stderr = child.stderr.take().expect("its standard error");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("paused at") {
                let _ = sender.send(line);
            }
        }
    });
    let line = receiver.recv_timeout(Duration::from_secs(60)).expect("the publisher reached the pause point");
    assert!(line.contains(point), "{line}");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

/// Waits for the process to end, asserts it succeeded, and returns what it said.
pub fn run_to_end(child: Child) -> String {
    let output = child.wait_with_output().expect("dealcast runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "publish --now failed:\n{text}");
    text
}
