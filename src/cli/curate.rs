//! `dealcast curate`: the review queue of curated accounts in a terminal. List what waits, approve (optionally with
//! an edited text, checked against the 280-character rule) or reject; approved posts go out at the next slots.

use std::process::ExitCode;

use chrono::Utc;
use clap::Subcommand;

use super::publish::rechecker_from_config;
use super::shop::system_user;
use crate::config::Config;
use crate::publish::text_length::weighted_length;
use crate::publish::{outbox, review};
use crate::store::Store;

/// Above a post whose discount is only the shop's claim, so that no one approves it thinking dealcast checked it.
const CLAIM_ONLY_MARK: &str =
    "UNVERIFIED: only the shop's claimed discount; dealcast has not seen the price before the reduction\n";

#[derive(Debug, Subcommand)]
pub enum CurateCommand {
    /// The posts waiting for review, oldest first.
    List {
        #[arg(long)]
        account: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Approve a post (its id from `curate list`); it goes out at the account's next slots.
    Approve {
        id: i64,
        /// Post this text instead of the proposed one.
        #[arg(long)]
        text: Option<String>,
        /// Who decides (default: the system user).
        #[arg(long)]
        by: Option<String>,
    },
    /// Reject a post; it is not proposed again unless its price falls further.
    Reject {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        by: Option<String>,
    },
}

pub async fn run(action: CurateCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.store_settings()).await?;
    let outcome = answer(action, &store, config).await;
    store.close().await?;
    outcome
}

async fn answer(action: CurateCommand, store: &Store, config: &Config) -> anyhow::Result<ExitCode> {
    let pool = store.pool();
    match action {
        CurateCommand::List { account, json } => {
            let rows = review::pending(pool, account.as_deref()).await?;
            if rows.is_empty() && !json {
                println!("Nothing waits for review.");
            }
            for row in rows {
                if json {
                    println!("{}", serde_json::to_string(&row)?);
                } else {
                    let mark = if row.claim_only { CLAIM_ONLY_MARK } else { "" };
                    println!(
                        "#{} {} · {} · {}\n{mark}{}\n({} / 280)\n",
                        row.id,
                        row.account_id,
                        row.shop_name,
                        row.offer_title,
                        row.text,
                        weighted_length(&row.text)
                    );
                }
            }
        }
        CurateCommand::Approve { id, text, by } => {
            let by = by.unwrap_or_else(system_user);
            let account_id = outbox::get(pool, id).await?.map(|row| row.account_id);
            match config.accounts.iter().find(|account| Some(&account.name) == account_id.as_ref()) {
                // The deal's page is read again first, for an account that re-checks deals.
                Some(account) if account.rechecks() => {
                    let rechecker = rechecker_from_config(config)?;
                    review::approve_after_recheck(
                        pool,
                        Some(&rechecker),
                        account,
                        id,
                        text.as_deref(),
                        &by,
                        Utc::now(),
                    )
                    .await?;
                }
                _ => review::approve(pool, id, text.as_deref(), &by, Utc::now()).await?,
            }
            println!("Post #{id} approved by {by}; it goes out at the account's next slots.");
        }
        CurateCommand::Reject { id, reason, by } => {
            let by = by.unwrap_or_else(system_user);
            review::reject(pool, id, reason.as_deref(), &by, Utc::now()).await?;
            println!("Post #{id} rejected by {by}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
