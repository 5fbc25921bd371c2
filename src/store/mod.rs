//! The PostgreSQL store: how to connect to it (a server named by `DATABASE_URL`, or the private cluster of
//! [`crate::pg`]), its schema (the migrations in `migrations/`), and the queries over it. Queries only: judging
//! and scoring happen in [`crate::harvest`], on top of this layer.

pub mod crawl_pages;
pub mod database;
pub mod deal_queries;
pub mod evidence;
pub mod health;
pub mod kept_counts;
pub mod migrations;
pub mod operational_counts;
pub mod publication_queries;
pub mod rechecked_offers;
pub mod scrape_runs;
pub mod search_index;
pub mod shop_overview;
pub mod supervisor;

pub use database::{Store, StoreError, StoreSettings};
