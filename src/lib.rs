//! dealcast finds the real promotions running in online shops, remembers every price it sees, judges each discount
//! against the lowest price of the previous 30 days, and publishes the best deals to social accounts.
//!
//! The crate is built in layers. Each folder is one layer and uses only the layers listed before it; a test
//! (`tests/it/layering.rs`) reads this list and every `crate::` path in `src/`, and fails when a layer reaches up.
//!
//! Layers, lowest first:
//! 1. [`common`]: tools tied to no feature: TOML problems, sentence placeholders, amounts formatted for posts, pages
//!    and the terminal;
//! 2. [`scrape`]: shop files, polite fetching, extraction engines, the crawler;
//! 3. [`deals`]: judging a discount against the 30-day rule and scoring a deal (pure, no I/O);
//! 4. [`pg`]: the private PostgreSQL cluster dealcast runs when no `DATABASE_URL` is given;
//! 5. [`store`]: PostgreSQL, the only store and the only coordinator: connection, migrations, queries;
//! 6. [`deal_index`]: the web's deal lists answered from memory, kept current from the store;
//! 7. [`jobs`]: the work queue over PostgreSQL (leases, retries, cron slots) and the worker loop;
//! 8. [`harvest`]: scrape → store → judge: one shop's harvest, the rescoring of scores on the clock, and both as
//!    queued jobs;
//! 9. [`publish`]: from a judged deal to a post: selection, honest French text within X's 280 weighted characters,
//!    the outbox and the X client (OAuth 1.0a);
//! 10. [`web`]: the web UI, JSON API, Atom feeds and metrics over the store (`dealcast serve`);
//! 11. [`demo`]: a local shop and a database filled with it, to see dealcast work in a minute;
//! 12. [`config`]: `dealcast.toml`, environment and flags, assembled into the settings each layer defines;
//! 13. [`cli`]: the command line, one subcommand per job.

pub mod cli;
pub mod common;
pub mod config;
pub mod deal_index;
pub mod deals;
pub mod demo;
pub mod harvest;
pub mod jobs;
pub mod pg;
pub mod publish;
pub mod scrape;
pub mod store;
pub mod web;
