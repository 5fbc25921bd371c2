//! `dealcast demo`: a fake shop on loopback, scraped, judged and published in `dry_run`, with the web UI on top,
//! on a fresh machine with no configuration, no credentials and no internet (see `crate::demo`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::common::money_format;
use crate::config::Config;
use crate::demo::Demo;
use crate::publish::french::format_percent;
use crate::store::Store;
use crate::web::{self, WebState};

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub web: super::serve::ServeArgs,
    /// Seconds between two live rounds (the shop changes prices, dealcast scrapes it again).
    #[arg(long, default_value_t = 30)]
    pub round_secs: u64,
    /// Stop after this many live rounds (default: run until Ctrl-C).
    #[arg(long)]
    pub rounds: Option<u32>,
}

pub async fn run(args: DemoArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let mut settings = config.store_settings();
    if settings.database_url.take().is_some() {
        println!("(the demo ignores DATABASE_URL: it never touches your database, only its own private cluster)");
    }
    settings.data_dir = config.data_dir.join("demo");
    println!("Starting the demo database in {} ...", settings.data_dir.join("pg").display());
    let store = Store::open(&settings).await?;
    let outcome = demo(&args, config, &store).await;
    store.close().await?;
    outcome
}

async fn demo(args: &DemoArgs, config: &Config, store: &Store) -> anyhow::Result<ExitCode> {
    let (listener, base_url) = super::serve::bind(&args.web, config).await?;
    let address = listener.local_addr()?;
    let (demo, start) = Demo::start(store.pool().clone()).await.context("the demo could not start")?;
    println!(
        "Boutique Démo (a fake shop on {}) was scraped as it was 60, 20 and 2 days ago and now: {} offers.",
        demo.shop.base_url(),
        start.offers
    );
    for fake in crate::demo::fake_discounts(store.pool()).await? {
        println!(
            "Fake discount caught: \"{}\" claims {}, but its lowest price of the previous 30 days was {}.",
            fake.title,
            fake.claimed_discount_pct.map(|pct| format_percent(-pct)).unwrap_or_else(|| "a reduction".to_string()),
            fake.reference_price
                .map(|price| money_format::french(price, Some(&fake.currency)))
                .unwrap_or_else(|| "the same".to_string()),
        );
    }
    println!("\nThe posts a dry-run account would make now (nothing is sent):");
    for post in &start.posts {
        println!("\n{}", post.text);
    }
    // The demo shop serves its product images over plain http on loopback: this server alone shows them.
    let shop_url = url::Url::parse(&demo.shop.base_url()).context("the demo shop's address")?;
    let state = WebState::new(store.pool().clone(), base_url)
        .with_image_origin(&shop_url)
        .context("the demo shop's images cannot be allowed")?;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let mut web_stopped = stopped.clone();
    let server = tokio::spawn(web::serve(listener, state, async move {
        let _ = web_stopped.wait_for(|stop| *stop).await;
    }));
    println!("\nOpen http://{address}/ to browse the deals (Ctrl-C to stop).");
    let signal = tokio::spawn(async move {
        super::shutdown::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let mut round = 0;
    while args.rounds.is_none_or(|rounds| round < rounds) {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(args.round_secs)) => {}
            _ = stopped.changed() => break,
        }
        round += 1;
        match demo.round().await {
            Ok((offers, sent)) => {
                println!("Round {round}: prices moved, {offers} offers scraped again, {} new post(s).", sent.len())
            }
            Err(error) => println!("Round {round} failed: {error:#}"),
        }
    }
    // Stopped by Ctrl-C, or the rounds asked for are done: the demo's server has nothing left to finish.
    signal.abort();
    server.abort();
    let _ = server.await;
    Ok(ExitCode::SUCCESS)
}
