//! The `dealcast` binary: parses the command line, sets up logging, runs the command, and turns errors into a
//! readable message and a non-zero exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use dealcast::cli::{self, Cli};
use dealcast::jobs::app_clock;
use dealcast::publish::pause_points;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let pause_at = std::env::var(pause_points::VARIABLE).ok();
    if let Some(refusal) = pause_points::unavailable(pause_at.as_deref(), pause_points::ENABLED) {
        eprintln!("error: {refusal}");
        return ExitCode::FAILURE;
    }
    let clock_skew = std::env::var(app_clock::VARIABLE).ok();
    if let Err(refusal) = app_clock::skew_from(clock_skew.as_deref(), app_clock::ENABLED) {
        eprintln!("error: {refusal}");
        return ExitCode::FAILURE;
    }
    let (config, origin) = match cli.load_config() {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {}", describe(&error.into()));
            return ExitCode::FAILURE;
        }
    };
    // sqlx logs every slow statement at info; keep it quiet unless the filter asks for it.
    let configured = match config.log.filter.contains("sqlx") {
        true => config.log.filter.clone(),
        false => format!("{},sqlx=warn", config.log.filter),
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&configured))
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(cli::run(cli, config, origin));
    // A command that ends while the database is away may leave tasks waiting on it (a restart of the private
    // server in progress): they are not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and those of its causes that its own message does not already include.
fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(&format!("\n  caused by: {cause}"));
        }
    }
    text
}
