//! `dealcast shop list|check`: the shops in `scrapers/`, and whether each still reads its saved pages right.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;
use crate::scrape::fixtures::{check_shops, fixtures_of};
use crate::scrape::registry::Registry;

#[derive(Debug, Subcommand)]
pub enum ShopCommand {
    /// List the shops: id, name, engine, schedule, start URLs and saved pages.
    List,
    /// Replay each shop's saved pages (scrapers/fixtures/<shop>/) offline and report every mismatch.
    Check {
        /// Only this shop.
        shop: Option<String>,
    },
}

pub fn run(action: ShopCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let registry = Registry::load(&config.scrapers_dir)?;
    match action {
        ShopCommand::List => {
            println!("{:<20} {:<24} {:<10} {:<18} {:>6} {:>9}", "SHOP", "NAME", "ENGINE", "SCHEDULE", "STARTS", "FIXTURES");
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
    }
}
