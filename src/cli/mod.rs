//! The command line: one enum of subcommands, parsed by clap, dispatched in one place.
//!
//! Subcommands map to dealcast's users; each lives in its own module. Commands return `anyhow` errors, printed by
//! `main` with a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, Origin, Overrides};

mod admin;
mod config_cmd;
mod curate;
mod db;
mod deals;
mod deals_format;
mod demo;
mod extract;
mod publication_show;
mod publish;
mod scrape;
mod serve;
mod shop;
mod shutdown;
mod worker;

/// dealcast finds the real promotions in online shops and publishes the best of them.
#[derive(Debug, Parser)]
#[command(name = "dealcast", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: ./dealcast.toml when it exists).
    #[arg(long, global = true, env = "DEALCAST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where dealcast keeps its private PostgreSQL cluster (default: ./.dealcast).
    #[arg(long, global = true, env = "DEALCAST_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where the shop files are (default: ./scrapers).
    #[arg(long, global = true, env = "DEALCAST_SCRAPERS_DIR", value_name = "DIR")]
    pub scrapers: Option<PathBuf>,

    /// Directory of the PostgreSQL server programs (initdb, pg_ctl, postgres), if they are not found by themselves.
    #[arg(long, global = true, env = "DEALCAST_PG_BIN_DIR", value_name = "DIR")]
    pub pg_bin_dir: Option<PathBuf>,

    /// A PostgreSQL server to use instead of the private cluster.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the database: the private PostgreSQL cluster and the schema.
    Db {
        #[command(subcommand)]
        action: db::DbCommand,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: config_cmd::ConfigCommand,
    },
    /// Show the offers dealcast finds in a saved page, as JSON lines.
    Extract(extract::ExtractArgs),
    /// List the shops, check them against their saved pages, or acknowledge an unhealthy one.
    Shop {
        #[command(subcommand)]
        action: shop::ShopCommand,
    },
    /// Crawl shops and store the offers found (or print them with `--dry-run`).
    Scrape(scrape::ScrapeArgs),
    /// Run due jobs (scheduled scrapes) from the shared queue until stopped; start any number of them.
    Worker(worker::WorkerArgs),
    /// Run dealcast: the shops' scheduled scrapes (a worker), the accounts' publishers and the web UI (--listen).
    Run(worker::RunArgs),
    /// See everything work in a minute: a fake shop on loopback, scraped, judged, published in dry run, in the UI.
    Demo(demo::DemoArgs),
    /// Serve the web UI, the JSON API and the Atom feeds over the database.
    Serve(serve::ServeArgs),
    /// Browse the deals database: list, search, and show one offer with its history and verdict.
    Deals {
        #[command(subcommand)]
        action: deals::DealsCommand,
    },
    /// Print the posts the accounts would make now (--dry-run), or post one slot now (--now).
    Publish(publish::PublishArgs),
    /// What went out (and what waits): account, status, when, links to the posts.
    Publications(publish::PublicationsArgs),
    /// The review queue of curated accounts: list, approve (with an optional edited text), reject.
    Curate {
        #[command(subcommand)]
        action: curate::CurateCommand,
    },
    /// The publishing accounts' state; pause or resume one.
    Accounts {
        #[command(subcommand)]
        action: publish::AccountsCommand,
    },
    /// The web admin: make the hash of its password.
    Admin {
        #[command(subcommand)]
        action: admin::AdminCommand,
    },
}

impl Cli {
    /// The configuration after the file, the environment and the flags.
    pub fn load_config(&self) -> Result<(Config, Origin), crate::config::ConfigError> {
        let overrides = Overrides {
            data_dir: self.data_dir.clone(),
            scrapers_dir: self.scrapers.clone(),
            database_url: self.database_url.clone().filter(|url| !url.is_empty()),
            pg_bin_dir: self.pg_bin_dir.clone(),
            admin_password_hash: std::env::var("DEALCAST_ADMIN_PASSWORD_HASH").ok().filter(|hash| !hash.is_empty()),
        };
        Config::load(self.config.as_deref(), &overrides)
    }
}

/// Runs the parsed command line with its loaded configuration.
pub async fn run(cli: Cli, config: Config, origin: Origin) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Db { action } => db::run(action, &config).await,
        Command::Config { action } => config_cmd::run(action, &config, &origin),
        Command::Extract(args) => extract::run(args, &config),
        Command::Shop { action } => shop::run(action, &config).await,
        Command::Scrape(args) => scrape::run(args, &config).await,
        Command::Worker(args) => worker::run(args, &config, None).await,
        Command::Run(args) => worker::run_all(args, &config).await,
        Command::Deals { action } => deals::run(action, &config).await,
        Command::Publish(args) => publish::publish(args, &config).await,
        Command::Publications(args) => publish::publications(args, &config).await,
        Command::Curate { action } => curate::run(action, &config).await,
        Command::Accounts { action } => publish::accounts(action, &config).await,
        Command::Serve(args) => serve::run(args, &config).await,
        Command::Demo(args) => demo::run(args, &config).await,
        Command::Admin { action } => admin::run(action),
    }
}
