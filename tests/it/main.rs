//! The integration tests, as one test binary: one module per area of dealcast, sharing one set of builders and
//! one private PostgreSQL server (see `support`). One binary links once, where one binary per file linked the
//! crate and the support code again for each file.

mod support;

mod browser;
mod cheap_harvests;
mod cli_scrape;
mod cluster_cli;
mod cluster_hardening;
mod deal_index;
mod deals_cli;
mod demo;
mod docs_commands;
mod fetch_faults;
mod first_day;
mod harvest;
mod health;
mod jobs_queue;
mod layering;
mod locks_and_clocks;
mod oauth1_conformance;
mod outbound_policy;
mod platform_engines;
mod price_parser_conformance;
mod publish_cli;
mod published_followups;
mod publisher;
mod publisher_crash;
mod real_shop_pages;
mod recheck;
mod robots_conformance;
mod schema;
mod scores_on_the_clock;
mod scrape_faults;
mod shop_new;
mod shop_time_zones;
mod sitemaps;
mod supervision;
mod twitter_text_conformance;
mod twitter_text_differential;
mod unseen_pages;
mod url_canonical_conformance;
mod web;
mod web_admin;
mod web_hardening;
mod workers;
mod x_client;
