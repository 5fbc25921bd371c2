//! Scraping: shops described as files in `scrapers/`, fetched politely, read by extraction engines.
//!
//! The pipeline is: shop file (`shop_spec`) → crawl (`crawl`, over the polite HTTP client in `fetch`) → engine
//! (`engines`, a pure parse half per engine) → [`offer::RawOffer`]s, whose prices come from [`price`] and whose
//! identity comes from [`canonical_url`]. Product pages can also be found in the shop's sitemaps ([`sitemap`]).

pub mod canonical_url;
pub mod crawl;
pub mod crawl_memory;
pub mod engines;
pub mod fetch;
pub mod fixtures;
pub mod gtin;
pub mod listing_cards;
pub mod normalize;
pub mod offer;
pub mod onboard;
pub mod price;
pub mod promo_text;
pub mod registry;
pub mod shop_spec;
pub mod sitemap;
