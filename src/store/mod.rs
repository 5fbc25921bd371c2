//! The PostgreSQL store: where it runs (a server named by `DATABASE_URL`, or a private cluster dealcast starts
//! itself), how to connect to it, and its schema (the migrations in `migrations/`).

pub mod crawl_pages;
pub mod database;
pub mod deal_index;
pub mod deal_queries;
pub mod evidence;
pub mod health;
pub mod ingest;
pub mod judgements;
pub mod kept_counts;
pub mod local_cluster;
pub mod migrations;
pub mod operational_counts;
pub mod pg_binaries;
pub mod publication_queries;
pub mod rechecked_offers;
pub mod rescoring;
pub mod run_as;
pub mod safe_files;
pub mod scrape_runs;
pub mod search_index;
pub mod shop_overview;
pub mod supervisor;

pub use database::{Store, StoreError, StoreSettings};
pub use local_cluster::{ClusterError, ClusterLease, Durability, LocalCluster};
