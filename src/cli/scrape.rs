//! `dealcast scrape`: crawl shops for real over the network now (not on their schedule) and store the offers found,
//! or with `--dry-run` print them instead, with a progress bar on a terminal and a summary at the end.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tokio::sync::mpsc;
use url::Url;

use crate::common::money_format;
use crate::config::Config;
use crate::scrape::crawl::{CrawlOptions, CrawlReport, Progress, ShopOffer, crawl_shop};
use crate::scrape::fetch::{FetchSettings, Fetcher, HostPolicy, PrivateHostAllowance, ProxySettings};
use crate::scrape::registry::Registry;

#[derive(Debug, Args)]
pub struct ScrapeArgs {
    /// Only this shop (default: every shop in the scrapers directory).
    #[arg(long)]
    pub shop: Option<String>,
    /// Print the offers instead of storing them (no database needed).
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object per offer instead of a readable line.
    #[arg(long)]
    pub json: bool,
    /// Write the offers to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Start from this URL instead of the shop's start URLs (with --shop).
    #[arg(long, value_name = "URL", requires = "shop")]
    pub start: Vec<Url>,
    /// Fetch at most this many pages per shop.
    #[arg(long)]
    pub max_pages: Option<u32>,
}

/// Builds the one HTTP client of a process from the configuration (and `DEALCAST_ALLOW_PRIVATE_HOSTS`).
pub fn fetcher_from_config(config: &Config) -> anyhow::Result<Fetcher> {
    let scrape = &config.scrape;
    let from_env = PrivateHostAllowance::from_env(|name| std::env::var(name).ok())?;
    let settings = FetchSettings {
        allow_private_hosts: PrivateHostAllowance::new(scrape.allow_private_hosts.iter().cloned()).and(&from_env),
        proxy: ProxySettings::from_process_env()?,
        user_agent_contact: scrape.contact_url.clone(),
        max_body_bytes: u64::from(scrape.max_body_bytes.get()),
        page_timeout: Duration::from_secs(u64::from(scrape.page_timeout_secs.get())),
        max_retries: scrape.max_retries,
        default_host_policy: HostPolicy {
            min_delay: Duration::from_millis(scrape.min_delay_ms),
            max_concurrency: scrape.max_concurrency.get() as usize,
        },
        ..FetchSettings::default()
    };
    Ok(Fetcher::new(settings)?)
}

pub async fn run(args: ScrapeArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let registry = Registry::load(&config.scrapers_dir)?;
    let shops: Vec<_> = match &args.shop {
        Some(id) => vec![registry.get(id)?.clone()],
        None => registry.shops().cloned().collect(),
    };
    let fetcher = fetcher_from_config(config)?;
    if !args.dry_run {
        return store_scrapes(shops, fetcher, &args, config).await;
    }
    let progress = Arc::new(Progress::default());
    let (sender, mut receiver) = mpsc::channel::<ShopOffer>(1024);

    let mut out: Box<dyn Write + Send> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("could not create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let json = args.json;
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        while let Some(found) = receiver.blocking_recv() {
            if json {
                serde_json::to_writer(&mut out, &found)?;
                out.write_all(b"\n")?;
            } else {
                writeln!(out, "{}", describe(&found))?;
            }
        }
        out.flush()
    });

    let bar = progress_bar(&progress);
    let started = Instant::now();
    let options = CrawlOptions { start_urls: args.start.clone(), max_pages: args.max_pages, ..CrawlOptions::default() };
    // Shops are crawled side by side: each is held to its own hosts' politeness limits by the shared fetcher.
    let mut crawls = tokio::task::JoinSet::new();
    for shop in shops {
        let (fetcher, options, progress, sender) =
            (fetcher.clone(), options.clone(), Arc::clone(&progress), sender.clone());
        crawls.spawn(async move { crawl_shop(&shop, &fetcher, &options, &progress, &sender).await });
    }
    drop(sender);
    let mut reports: Vec<CrawlReport> = Vec::new();
    while let Some(report) = crawls.join_next().await {
        reports.push(report?);
    }
    writer.await?.context("could not write the offers")?;
    if let Some((bar, ticker)) = bar {
        ticker.abort();
        bar.finish_and_clear();
    }
    reports.sort_by(|a, b| a.shop.cmp(&b.shop));
    print_summary(&reports, started.elapsed());
    Ok(ExitCode::SUCCESS)
}

fn describe(found: &ShopOffer) -> String {
    let offer = &found.offer;
    let money = |amount: Option<rust_decimal::Decimal>| {
        amount.map(|a| money_format::plain(a, offer.currency.as_deref())).unwrap_or_default()
    };
    let mut line = format!("[{}] {}", found.shop, offer.name);
    if offer.price.is_some() {
        line.push_str(&format!(" — {}", money(offer.price)));
    }
    if offer.previous_price.is_some() {
        line.push_str(&format!(" (was {})", money(offer.previous_price)));
    }
    if let Some(code) = &offer.promo_code {
        line.push_str(&format!(" — code {code}"));
    }
    if let Some(url) = &offer.url {
        line.push_str(&format!("  {url}"));
    }
    line
}

/// A progress bar on standard error when it is a terminal: pages, offers, errors and pages per second.
fn progress_bar(progress: &Arc<Progress>) -> Option<(indicatif::ProgressBar, tokio::task::JoinHandle<()>)> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let (ticking, progress) = (bar.clone(), Arc::clone(progress));
    let started = Instant::now();
    let ticker = tokio::spawn(async move {
        loop {
            let pages = progress.pages.load(Ordering::Relaxed);
            let rate = pages as f64 / started.elapsed().as_secs_f64().max(0.001);
            ticking.set_message(format!(
                "{pages} pages, {} offers, {} errors, {rate:.0} pages/s",
                progress.offers.load(Ordering::Relaxed),
                progress.errors.load(Ordering::Relaxed)
            ));
            ticking.tick();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    Some((bar, ticker))
}

fn print_summary(reports: &[CrawlReport], elapsed: Duration) {
    let pages: u64 = reports.iter().map(|r| r.pages).sum();
    let offers: u64 = reports.iter().map(|r| r.offers).sum();
    let errors: u64 = reports.iter().map(CrawlReport::error_count).sum();
    for report in reports {
        let kinds: Vec<String> = report.errors.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
        eprintln!(
            "{:<20} {:>7} pages {:>7} offers {:>5} errors{} in {:.1} s",
            report.shop,
            report.pages,
            report.offers,
            report.error_count(),
            if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) },
            report.duration_ms as f64 / 1000.0
        );
    }
    eprintln!(
        "Total: {pages} pages, {offers} offers, {errors} errors in {:.1} s ({:.0} pages/s).",
        elapsed.as_secs_f64(),
        pages as f64 / elapsed.as_secs_f64().max(0.001)
    );
}

/// Harvests the shops now, side by side, into the database, and prints what each run stored.
async fn store_scrapes(
    shops: Vec<crate::scrape::registry::Shop>,
    fetcher: Fetcher,
    args: &ScrapeArgs,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let store = crate::store::Store::open(&config.store_settings()).await?;
    let options = CrawlOptions { start_urls: args.start.clone(), max_pages: args.max_pages, ..CrawlOptions::default() };
    let worker = format!("cli:{}", std::process::id());
    let clock = crate::harvest::system_clock();
    let harvests = futures::future::join_all(shops.iter().map(|shop| {
        crate::harvest::harvest_shop(store.pool(), &fetcher, shop, &options, &worker, &config.scoring, &clock)
    }))
    .await;
    let mut failed = 0;
    for (shop, harvest) in shops.iter().zip(harvests) {
        match harvest {
            Ok(harvest) => {
                let counts = &harvest.counts;
                let kinds: Vec<String> = counts.errors.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
                eprintln!(
                    "{:<20} {:<9} {:>6} pages {:>6} offers {:>5} new {:>5} changed {:>5} ended{} (run {})",
                    shop.id,
                    harvest.status.as_str(),
                    counts.pages,
                    counts.seen,
                    counts.new,
                    counts.changed,
                    counts.ended,
                    if kinds.is_empty() { String::new() } else { format!(", errors: {}", kinds.join(", ")) },
                    harvest.run_id
                );
                eprintln!("{:<20} {}", shop.id, counts.requests.summary());
                if !harvest.health.is_healthy() {
                    eprintln!(
                        "{:<20} unhealthy: {} (`dealcast shop ack {}` if this is expected)",
                        shop.id,
                        harvest.health.reason().unwrap_or_default(),
                        shop.id
                    );
                }
                if harvest.status != crate::store::scrape_runs::RunStatus::Succeeded {
                    failed += 1;
                }
            }
            Err(error) => {
                failed += 1;
                eprintln!("{:<20} error: {error}", shop.id);
            }
        }
    }
    store.close().await?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
