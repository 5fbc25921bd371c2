//! `dealcast publish` (what the accounts would post now, or one slot posted now), `dealcast publications` (what
//! went out, where and when) and `dealcast accounts` (their state: paused, rate limited; pause and resume).
//!
//! A thin shell over `publish::publisher` and `publish::outbox`: flags in, words out.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::publish::accounts::AccountConfig;
use crate::publish::publisher::{Publisher, TickReport};
use crate::publish::recheck::Rechecker;
use crate::publish::{account_state, shortfall, shortfall_wording};
use crate::scrape::registry::Registry;
use crate::store::Store;
use crate::store::publication_queries::{PublicationFilter, STATUSES, list_publications};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["dry_run", "now"]))]
pub struct PublishArgs {
    /// Only this account (default: every account of the configuration).
    #[arg(long)]
    pub account: Option<String>,
    /// Print the posts a slot would make now, with their score explanation and weighted length, and why there are
    /// fewer than the slot wants (counts by reason, when a young shop's real discounts can be expected); change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Serve one slot now, whatever the schedule: choose, write and send (pacing, caps and budget still apply).
    #[arg(long)]
    pub now: bool,
    /// One JSON object per post instead of text (with --dry-run).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PublicationsArgs {
    /// Only this account.
    #[arg(long)]
    pub account: Option<String>,
    /// Only this status (published, queued, claimed, pending_review, rejected, failed, cancelled).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(STATUSES))]
    pub status: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub action: Option<PublicationsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum PublicationsCommand {
    /// Show one publication: the post, its state, and the evidence it was based on (observations, reference price
    /// and when it was seen, where the page copy is kept).
    Show {
        /// The publication's id (after `#` in `dealcast publications`).
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Each configured account: platform, mode, paused or rate limited, last slot served.
    List,
    /// Stop an account from posting until resumed.
    Pause {
        account: String,
        #[arg(long, default_value = "paused by an operator")]
        reason: String,
    },
    /// Let a paused account post again (after fixing what stopped it).
    Resume { account: String },
}

/// The configured accounts, or only `only`.
fn chosen_accounts<'a>(config: &'a Config, only: Option<&str>) -> anyhow::Result<Vec<&'a AccountConfig>> {
    if config.accounts.is_empty() {
        bail!("no account is configured: add an [[accounts]] table to dealcast.toml (see README, \"Publishing\")");
    }
    match only {
        None => Ok(config.accounts.iter().collect()),
        Some(name) => match config.accounts.iter().find(|account| account.name == name) {
            Some(account) => Ok(vec![account]),
            None => {
                let known: Vec<&str> = config.accounts.iter().map(|a| a.name.as_str()).collect();
                bail!("no account named `{name}` in the configuration (accounts: {})", known.join(", "))
            }
        },
    }
}

/// The name this process works under.
pub fn worker_name() -> String {
    let host = nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
    format!("{host}:{}", std::process::id())
}

/// What re-checks deals before they are posted or approved: the shop files of the configuration, read through a
/// fetcher built from its `[scrape]` settings.
pub fn rechecker_from_config(config: &Config) -> anyhow::Result<Rechecker> {
    let registry = Registry::load(&config.scrapers_dir)?;
    let fetcher = super::scrape::fetcher_from_config(config)?;
    Ok(Rechecker::new(fetcher, registry.shops().cloned(), config.scoring.clone()))
}

pub async fn publish(args: PublishArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let accounts = chosen_accounts(config, args.account.as_deref())?;
    // Only posting needs the shop files (and only for accounts that re-check): a dry run changes nothing.
    let rechecker = if !args.dry_run && accounts.iter().any(|account| account.rechecks()) {
        Some(rechecker_from_config(config).context("the accounts re-check deals before posting")?)
    } else {
        None
    };
    let fetcher = super::scrape::fetcher_from_config(config)?;
    let store = Store::open(&config.store_settings()).await?;
    let outcome = publish_with(&args, &accounts, &store, rechecker.as_ref(), &fetcher).await;
    let closed = store.close().await;
    let code = outcome?;
    closed?;
    Ok(code)
}

async fn publish_with(
    args: &PublishArgs,
    accounts: &[&AccountConfig],
    store: &Store,
    rechecker: Option<&Rechecker>,
    fetcher: &crate::scrape::fetch::Fetcher,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let worker = worker_name();
    let mut failed = false;
    for account in accounts {
        let account = (*account).clone();
        let name = account.name.clone();
        if args.dry_run {
            let publisher = Publisher::for_preview(store.pool().clone(), account.clone(), &worker)?;
            let now = Utc::now();
            let planned = publisher.preview(now).await?;
            if args.json {
                for post in &planned {
                    writeln!(out, "{}", serde_json::to_string(post)?)?;
                }
                continue;
            }
            let planned_count = planned.len();
            writeln!(out, "== {name}: {planned_count} post(s) would go out now")?;
            for post in planned {
                let score = post.score.map(|s| s.round_dp(1).to_string()).unwrap_or_else(|| "-".into());
                writeln!(out, "\n-- offer {} ({}), score {score}", post.offer_id, post.shop_id)?;
                writeln!(out, "{}", post.text)?;
                writeln!(out, "({} / 280 weighted characters)", post.weighted_length)?;
                for line in post.score_explanation {
                    writeln!(out, "  · {line}")?;
                }
            }
            let why = shortfall::explain(store.pool(), &account, now).await?;
            if planned_count < why.wanted || why.held.is_some() {
                writeln!(out, "\n-- why not more")?;
                for line in why.lines(&shortfall_wording::ENGLISH) {
                    writeln!(out, "{line}")?;
                }
            }
            writeln!(out)?;
        } else {
            let publisher = match Publisher::new(store.pool().clone(), account, &worker, |v| std::env::var(v).ok()) {
                Ok(publisher) => {
                    let publisher = publisher.with_image_fetcher(fetcher.clone());
                    match rechecker {
                        Some(rechecker) => publisher.with_recheck(rechecker.clone()),
                        None => publisher,
                    }
                }
                Err(error) => {
                    writeln!(out, "== {name}: cannot publish: {error}")?;
                    failed = true;
                    continue;
                }
            };
            let report = publisher.slot_now(Utc::now()).await.with_context(|| format!("account {name}"))?;
            failed |= report.stopped.is_some();
            write_report(&mut out, &name, &report)?;
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn write_report(out: &mut impl Write, name: &str, report: &TickReport) -> std::io::Result<()> {
    if report.busy {
        return writeln!(out, "== {name}: another publisher is working on this account right now; nothing done");
    }
    writeln!(out, "== {name}: {} post(s) written, {} sent", report.queued, report.sent.len())?;
    for sent in &report.sent {
        let link = sent.remote_url.as_deref().unwrap_or(&sent.remote_id);
        writeln!(out, "sent  {link}\n{}\n", sent.text)?;
    }
    if report.reconciled > 0 {
        writeln!(out, "settled {} interrupted send(s)", report.reconciled)?;
    }
    for skipped in &report.skipped {
        writeln!(out, "skipped: {skipped}")?;
    }
    if let Some(held) = &report.held {
        writeln!(out, "waiting: {held}")?;
    }
    if let Some(stopped) = &report.stopped {
        writeln!(out, "STOPPED: {stopped}")?;
    }
    Ok(())
}

pub async fn publications(args: PublicationsArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.store_settings()).await?;
    if let Some(PublicationsCommand::Show { id }) = args.action {
        let shown = super::publication_show::show(store.pool(), id).await;
        store.close().await?;
        let text = shown?;
        write!(std::io::stdout().lock(), "{text}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let filter = PublicationFilter {
        account: args.account.clone(),
        status: args.status.clone(),
        before: None,
        limit: args.limit,
    };
    let rows = list_publications(store.pool(), &filter).await;
    store.close().await?;
    let rows = rows.context("could not read the publications")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for row in &rows {
            writeln!(out, "{}", serde_json::to_string(row)?)?;
        }
    } else if rows.is_empty() {
        writeln!(out, "Nothing published or queued yet.")?;
    } else {
        for row in &rows {
            let when = row.published_at.or(row.scheduled_for).unwrap_or(row.created_at);
            let place = row.remote_url.as_deref().or(row.remote_id.as_deref()).unwrap_or("-");
            writeln!(
                out,
                "{}  {:<14} {:<10} #{:<6} {:<14} {}\n    {}{}",
                when.format("%Y-%m-%d %H:%M UTC"),
                row.account_id,
                row.status,
                row.id,
                row.shop_name,
                place,
                row.offer_title,
                row.last_error.as_deref().map(|e| format!("\n    ({e})")).unwrap_or_default()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn accounts(action: AccountsCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.store_settings()).await?;
    let outcome = accounts_with(action, config, &store).await;
    store.close().await?;
    outcome
}

async fn accounts_with(action: AccountsCommand, config: &Config, store: &Store) -> anyhow::Result<ExitCode> {
    let pool = store.pool();
    match action {
        AccountsCommand::List => {
            for account in &config.accounts {
                account_state::sync(pool, account).await?;
            }
            let states = account_state::all(pool).await?;
            for account in &config.accounts {
                let Some(state) = states.iter().find(|s| s.id == account.name) else { continue };
                let status = if state.paused {
                    format!("PAUSED: {}", state.paused_reason.as_deref().unwrap_or("-"))
                } else if let Some(until) = state.rate_limited_until.filter(|u| *u > Utc::now()) {
                    format!("rate limited until {until}")
                } else {
                    "active".to_string()
                };
                let last = state.last_slot_at.map(|s| s.to_rfc3339()).unwrap_or_else(|| "never".into());
                println!(
                    "{:<16} {:?}/{:?}  schedule \"{}\"  last slot {last}  {status}",
                    account.name, account.platform, account.mode, account.schedule.text
                );
            }
        }
        AccountsCommand::Pause { account, reason } => {
            chosen_accounts(config, Some(&account))?;
            account_state::pause(pool, &account, &reason).await?;
            println!("Account {account} paused: it posts nothing until `dealcast accounts resume {account}`.");
        }
        AccountsCommand::Resume { account } => {
            let configured = chosen_accounts(config, Some(&account))?;
            account_state::sync(pool, configured[0]).await?;
            account_state::resume(pool, &account).await?;
            println!("Account {account} resumed.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
