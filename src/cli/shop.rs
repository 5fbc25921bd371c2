//! `dealcast shop new|list|check|ack`: a new shop's file written from its address, the shops in `scrapers/`, whether each still reads its saved pages right, and the
//! operator's acknowledgement that an unhealthy shop is fine after all.

use std::process::ExitCode;

use clap::Subcommand;

use std::fmt::Write as _;

use crate::cli::scrape::fetcher_from_config;
use crate::config::Config;
use crate::scrape::fixtures::{check_shops, fixtures_of};
use crate::scrape::onboard::shop_file::EngineDraft;
use crate::scrape::onboard::{self, NewShopRequest, Proposal, Route, Written};
use crate::scrape::registry::Registry;
use crate::store::{Store, health};

#[derive(Debug, Subcommand)]
pub enum ShopCommand {
    /// Probe a shop politely (robots.txt first, a handful of requests) and write a checked shop file for it:
    /// platform, catalogue (API, sitemaps or promotion pages), engine, sample pages saved as fixtures.
    New {
        /// The shop's address (its homepage, or a promotions page).
        url: url::Url,
        /// The shop id, which names the file (default: from the host, `www.la-boutique.fr` → `la_boutique`).
        #[arg(long)]
        id: Option<String>,
        /// The shop's name as readers know it (default: the name the site gives itself).
        #[arg(long)]
        name: Option<String>,
        /// Replace an existing shop file and its fixtures.
        #[arg(long)]
        force: bool,
    },
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
                "{:<20} {:<24} {:<12} {:<18} {:<16} {:>9}",
                "SHOP", "NAME", "ENGINE", "SCHEDULE", "STARTS FROM", "FIXTURES"
            );
            for shop in registry.shops() {
                let starts = shop.spec.start_urls().len();
                let from = match (starts, shop.spec.crawl.sitemaps.is_some()) {
                    (0, true) => "sitemaps".to_string(),
                    (n, true) => format!("{n} URL{} + sitemaps", if n == 1 { "" } else { "s" }),
                    (n, false) => format!("{n} URL{}", if n == 1 { "" } else { "s" }),
                };
                println!(
                    "{:<20} {:<24} {:<12} {:<18} {:<16} {:>9}",
                    shop.id,
                    shop.spec.name,
                    shop.spec.engine.name(),
                    shop.spec.schedule.text,
                    from,
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
        ShopCommand::New { url, id, name, force } => new_shop(config, url, id, name, force).await,
    }
}

async fn new_shop(
    config: &Config,
    url: url::Url,
    id: Option<String>,
    name: Option<String>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let fetcher = fetcher_from_config(config)?;
    let request = NewShopRequest { url, id, name };
    if let Some(id) = &request.id {
        let existing = config.scrapers_dir.join(format!("{id}.toml"));
        if existing.exists() && !force {
            anyhow::bail!("{} already exists: pass --force to replace it", existing.display());
        }
    }
    eprintln!("Probing {} (robots.txt obeyed, polite pace)...", request.url);
    let proposal = onboard::propose(&fetcher, &request).await?;
    let written = onboard::write(&config.scrapers_dir, &proposal, force)?;
    print!("{}", report(&proposal, &written));
    if written.check_failures.is_empty() {
        println!(
            "\nNext: dealcast shop check {id}, then dealcast scrape --dry-run --shop {id} --max-pages 20",
            id = proposal.id
        );
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// The report of `shop new`: what it found, what it chose, what to check.
fn report(proposal: &Proposal, written: &Written) -> String {
    let mut out = String::new();
    let signs = proposal.detection.signs_of(proposal.detection.platform);
    let _ = writeln!(out, "Shop file:  {}", written.shop_file.display());
    let _ = writeln!(
        out,
        "Platform:   {}{}",
        proposal.detection.platform,
        if signs.is_empty() { String::new() } else { format!(" ({})", signs.join("; ")) }
    );
    let route = match &proposal.route {
        Route::PlatformApi { engine } => format!("the platform's product endpoint (engine {engine})"),
        Route::Sitemaps { from_robots: true, roots } => format!("sitemaps named in robots.txt ({} root)", roots.len()),
        Route::Sitemaps { from_robots: false, roots } => {
            format!("sitemaps at {}", roots.iter().map(url::Url::as_str).collect::<Vec<_>>().join(", "))
        }
        Route::Listings { pages } => {
            format!("promotion pages {}", pages.iter().map(url::Url::as_str).collect::<Vec<_>>().join(", "))
        }
    };
    let _ = writeln!(out, "Discovery:  {route}");
    let engine = match &proposal.draft.engine {
        EngineDraft::Named(name) => name.to_string(),
        EngineDraft::Selectors(_) => "selectors (derived and verified on the samples)".to_string(),
    };
    let _ = writeln!(out, "Engine:     {engine}");
    let _ = writeln!(out, "Products:   {} found", proposal.products_found);
    let _ = writeln!(
        out,
        "Samples:    {} of {} read fully (name, price, currency, crossed-out price where shown)",
        proposal.samples_complete, proposal.samples_read
    );
    let _ = writeln!(out, "Requests:   {} while probing", proposal.requests);
    let _ = writeln!(out, "Fixtures:   {} saved in {}", proposal.fixtures.len(), written.fixtures_dir.display());
    if written.check_failures.is_empty() {
        let _ = writeln!(out, "Check:      the saved pages pass `shop check`");
    } else {
        let _ = writeln!(out, "Check:      FAILED on the saved pages:");
        for failure in &written.check_failures {
            let _ = writeln!(out, "              {failure}");
        }
    }
    let _ = writeln!(out, "To check by hand:");
    for line in &proposal.to_check {
        let _ = writeln!(out, "  - {line}");
    }
    out
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
