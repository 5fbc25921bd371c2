//! `dealcast admin hash-password`: reads the web admin's password from standard input and prints its argon2 hash,
//! to put in `[web] admin_password_hash` or `DEALCAST_ADMIN_PASSWORD_HASH`. The password itself is stored nowhere.
//!
//! From a terminal the password is typed without echo; from a pipe (`printf %s "$PW" | dealcast admin
//! hash-password`) the first line is read.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::web::admin::password::hash_password;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Read a password from standard input and print its argon2 hash (a PHC string).
    HashPassword,
}

pub fn run(action: AdminCommand) -> anyhow::Result<ExitCode> {
    match action {
        AdminCommand::HashPassword => {
            let password = read_password().context("could not read the password from standard input")?;
            let hash = hash_password(&password)?;
            println!("{hash}");
            eprintln!("Put it in dealcast.toml:\n\n[web]\nadmin_password_hash = \"{hash}\"\n");
            eprintln!("or in the environment: DEALCAST_ADMIN_PASSWORD_HASH='{hash}'");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The first line of standard input without its line ending; typed without echo when it is a terminal.
fn read_password() -> std::io::Result<String> {
    let stdin = std::io::stdin();
    let echo_off = stdin.is_terminal().then(|| {
        eprint!("Admin password (not shown): ");
        let _ = std::io::stderr().flush();
        EchoOff::new(&stdin)
    });
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if echo_off.is_some() {
        eprintln!();
    }
    drop(echo_off);
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Turns the terminal's echo off until dropped.
struct EchoOff {
    saved: Option<nix::sys::termios::Termios>,
}

impl EchoOff {
    fn new(stdin: &std::io::Stdin) -> EchoOff {
        use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
        let saved = tcgetattr(stdin).ok();
        if let Some(saved) = &saved {
            let mut quiet = saved.clone();
            quiet.local_flags.remove(LocalFlags::ECHO);
            // Without echo control the password is shown; better than refusing to read it.
            let _ = tcsetattr(stdin, SetArg::TCSANOW, &quiet);
        }
        EchoOff { saved }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, saved);
        }
    }
}
