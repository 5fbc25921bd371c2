//! dealcast finds the real promotions running in online shops, remembers every price it sees, judges each discount
//! against the lowest price of the previous 30 days, and publishes the best deals to social accounts.
//!
//! Map of the crate:
//! - [`cli`]: the command line, one subcommand per job;
//! - [`config`]: `dealcast.toml`, environment and flags;
//! - [`deals`]: judging discounts against the 30-day rule and scoring deals (pure, no I/O);
//! - [`harvest`]: one scrape of one shop, stored;
//! - [`harvest_jobs`]: scrapes as queued jobs on the shops' schedules;
//! - [`jobs`]: the work queue over PostgreSQL (leases, retries, cron slots) and the worker loop;
//! - [`money_format`]: amounts as posts, web pages and the terminal show them, rounded alike;
//! - [`placeholders`]: `{name}` placeholders of worded sentences, filled with values;
//! - [`rescore_jobs`]: the hourly rescoring of the active offers (scores on the clock) as a queued job;
//! - [`publish`]: from a judged deal to a post: honest French text within X's 280 weighted characters, and the X
//!   client (OAuth 1.0a);
//! - [`scrape`]: shop files, polite fetching, extraction engines;
//! - [`store`]: PostgreSQL, the only store and the only coordinator (private cluster, pool, migrations);
//! - [`toml_problems`]: reading TOML files with every problem reported at once;
//! - [`web`]: the web UI, JSON API, Atom feeds and metrics over the store (`dealcast serve`).

pub mod cli;
pub mod config;
pub mod deals;
pub mod demo;
pub mod harvest;
pub mod harvest_jobs;
pub mod jobs;
pub mod money_format;
pub mod placeholders;
pub mod publish;
pub mod rescore_jobs;
pub mod scrape;
pub mod store;
pub mod toml_problems;
pub mod web;
