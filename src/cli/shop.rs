//! `dealcast shop list|check|ack`: the shops in `scrapers/`, whether each still reads its saved pages right, and the
//! operator's acknowledgement that an unhealthy shop is fine after all.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;
use crate::scrape::fixtures::{check_shops, fixtures_of};
use crate::scrape::registry::Registry;
use crate::store::{Store, health};

#[derive(Debug, Subcommand)]
pub enum ShopCommand {
    /// List the shops: id, name, engine, schedule, start URLs and saved pages.
    List,
    /// Replay each shop's saved pages (scrapers/fixtures/<shop>/) offline and report every mismatch.
    Check {
        /// Only this shop.
        shop: Option<String>,
    },
    /// Say that an unhealthy shop is fine (its latest run's deals may be published): marks it healthy and records
    /// who said so and when.
    Ack {
        shop: String,
        /// Who acknowledges (default: the name of the system user).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

pub async fn run(action: ShopCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match action {
        ShopCommand::List => {
            let registry = Registry::load(&config.scrapers_dir)?;
            println!(
                "{:<20} {:<24} {:<10} {:<18} {:>6} {:>9}",
                "SHOP", "NAME", "ENGINE", "SCHEDULE", "STARTS", "FIXTURES"
            );
            for shop in registry.shops() {
                println!(
                    "{:<20} {:<24} {:<10} {:<18} {:>6} {:>9}",
                    shop.id,
                    shop.spec.name,
                    shop.spec.engine.name(),
                    shop.spec.schedule.text,
                    shop.spec.start_urls().len(),
                    fixtures_of(&registry, shop).len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ShopCommand::Check { shop } => {
            let registry = Registry::load(&config.scrapers_dir)?;
            let results = check_shops(&registry, shop.as_deref())?;
            let failed = results.iter().filter(|r| !r.mismatches.is_empty()).count();
            for result in &results {
                if result.mismatches.is_empty() {
                    println!("ok    {}/{} ({} offers)", result.shop, result.fixture, result.offers);
                } else {
                    println!("FAIL  {}/{}", result.shop, result.fixture);
                    for mismatch in &result.mismatches {
                        println!("        {mismatch}");
                    }
                }
            }
            println!("{} fixtures checked, {failed} failed.", results.len());
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        ShopCommand::Ack { shop, by } => acknowledge(config, &shop, by).await,
    }
}

async fn acknowledge(config: &Config, shop: &str, by: Option<String>) -> anyhow::Result<ExitCode> {
    let by = by.unwrap_or_else(system_user);
    let store = Store::open(&config.store_settings()).await?;
    // The store is closed whatever the outcome, so the private cluster is not left running for nothing.
    let existed = health::acknowledge(store.pool(), shop, &by, chrono::Utc::now()).await;
    store.close().await?;
    if existed? {
        println!("Shop {shop} acknowledged by {by}: it is healthy, and its latest deals may be published.");
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("no shop `{shop}` in the database: it has never been scraped (see `dealcast shop list`)")
    }
}

/// The name of the user running dealcast, for the record of who acknowledged.
pub(crate) fn system_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|user| user.name)
        .unwrap_or_else(|| "operator".to_string())
}
