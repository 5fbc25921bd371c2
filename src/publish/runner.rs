//! The publishers of `dealcast run`: every configured account ticked in turn, every few seconds, until shutdown.
//!
//! Ticking often is cheap (a lock and a few indexed queries) and keeps the loop free of its own schedule: each
//! tick finds by itself whether a slot has come and what is due, so any number of `dealcast run` processes, on any
//! number of machines, can tick the same accounts; the advisory lock makes one of them do the work. Shutdown is
//! only looked at between ticks, so a post being sent is recorded before the process exits.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::watch;

use super::accounts::AccountConfig;
use super::publisher::Publisher;
use super::recheck::Rechecker;
use crate::scrape::fetch::Fetcher;
use crate::store::supervisor::DatabaseHealth;

/// What the publishers of a process share besides the database: the watcher's knowledge of the database, what
/// re-checks deals before they are posted, and the fetcher that downloads product images (the process's own).
pub struct PublisherExtras {
    pub database: Option<DatabaseHealth>,
    pub rechecker: Option<Rechecker>,
    pub fetcher: Fetcher,
}

/// How often every account is ticked.
pub const DEFAULT_TICK: Duration = Duration::from_secs(15);

/// Ticks every account of `accounts` every `every` until `shutdown` turns true; deals are re-checked and product
/// images downloaded as `extras` says. While its `database` (the watcher's knowledge, `store::supervisor`) says the
/// database is away, no tick starts: they go on as soon as it is back.
pub async fn run_publishers(
    pool: PgPool,
    accounts: &[AccountConfig],
    worker: &str,
    every: Duration,
    extras: PublisherExtras,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut publishers = Vec::new();
    for account in accounts {
        match Publisher::new(pool.clone(), account.clone(), worker, |variable| std::env::var(variable).ok()) {
            Ok(publisher) => {
                let publisher = publisher.with_image_fetcher(extras.fetcher.clone());
                publishers.push(match &extras.rechecker {
                    Some(rechecker) => publisher.with_recheck(rechecker.clone()),
                    None => publisher,
                })
            }
            Err(error) => tracing::error!(%error, "this account will not publish; the others go on"),
        }
    }
    if publishers.is_empty() {
        tracing::info!("no account publishes (none configured or none usable)");
        return;
    }
    tracing::info!(accounts = publishers.len(), "publishers started");
    // The last problem reported per account, so that a paused account is not reported at every tick.
    let mut last_problem: HashMap<String, String> = HashMap::new();
    while !*shutdown.borrow() {
        if let Some(health) = extras.database.as_ref().filter(|health| !health.is_available()) {
            tracing::info!("the database is away: the publishers wait for it to come back");
            tokio::select! {
                () = health.wait_until_available() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        for publisher in &publishers {
            let name = publisher.account().to_string();
            let problem = match publisher.tick(Utc::now()).await {
                Ok(report) => {
                    for sent in &report.sent {
                        tracing::info!(account = %name, url = sent.remote_url.as_deref().unwrap_or(&sent.remote_id), "post sent");
                    }
                    report.stopped.or(report.held)
                }
                Err(error) => Some(format!("{error:#}")),
            };
            match problem {
                Some(problem) if last_problem.get(&name) != Some(&problem) => {
                    tracing::warn!(account = %name, %problem, "publisher waiting");
                    last_problem.insert(name, problem);
                }
                Some(_) => {}
                None => {
                    last_problem.remove(&name);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!("publishers stopped");
}
