//! `dealcast demo` as a newcomer runs it, in a child process: a fresh data directory, no configuration, no
//! credentials, no `DATABASE_URL`. The tests read what it prints and browse the address it gives; dropping it stops
//! the demo with SIGTERM (so that its private cluster stops too) and removes its data directory.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// How long the demo may take to start (its cluster's initdb, four harvests) on a loaded machine.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A running `dealcast demo`.
pub struct DemoProcess {
    child: Option<Child>,
    lines: Receiver<String>,
    data_dir: PathBuf,
    /// The home page's address, as the demo printed it (ending with `/`).
    pub url: String,
    /// What the demo printed before its address.
    pub said: String,
}

impl DemoProcess {
    /// Starts the demo (a live round every `round_secs`) in a fresh data directory named after `name`, and waits
    /// for it to print its address; panics with what it said when it does not within a minute.
    pub fn start(name: &str, round_secs: u32) -> DemoProcess {
        let data_dir = std::env::temp_dir().join(format!("dealcast-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        std::fs::create_dir_all(&data_dir).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_dealcast"))
            .args(["demo", "--listen", "127.0.0.1:0", "--round-secs", &round_secs.to_string()])
            .env("DEALCAST_DATA_DIR", &data_dir)
            .env("DEALCAST_CONFIG", "/dev/null")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .current_dir(&data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dealcast demo");
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let mut demo = DemoProcess { child: Some(child), lines, data_dir, url: String::new(), said: String::new() };
        let mut said = Vec::new();
        demo.url = loop {
            let Some(line) = demo.next_line(START_DEADLINE) else {
                panic!("the demo did not show its URL within {START_DEADLINE:?}; it said:\n{}", said.join("\n"))
            };
            said.push(line.clone());
            if let Some(rest) = line.strip_prefix("Open ") {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        demo.said = said.join("\n");
        demo
    }

    /// The next line the demo prints, if it prints one within `deadline`.
    pub fn next_line(&self, deadline: Duration) -> Option<String> {
        self.lines.recv_timeout(deadline).ok()
    }

    /// Stops the demo as Ctrl-C would and returns how it exited.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the demo is running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        child.wait().unwrap()
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.stop();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
