//! Extraction engines: the pure parse half of each way dealcast reads offers out of a page, an API answer or a
//! feed. Fetching is the crawler's job; each engine here is tested on saved documents.
//!
//! Each HTML engine takes a page's HTML and URL and returns [`crate::scrape::offer::RawOffer`]s, the page's main
//! product first. `auto` chains them for shops that do not say which one fits; `values` reads the single values
//! (prices, currencies, URLs, dates) every engine meets, and `page_dom` holds the DOM judgements (visible text,
//! secondary blocks) the DOM-based engines share. `dispatch` is the one place an engine is chosen by the shop file.
//! Adding an engine: one module here, one variant of `shop_spec::EngineSpec`, one arm in `dispatch`.

pub mod auto;
pub mod dispatch;
pub mod embedded_json;
pub mod feed;
pub mod heuristic;
pub mod json_ld;
pub mod magento;
pub mod microdata;
pub mod opengraph;
pub mod page_dom;
pub mod prestashop;
pub mod selectors;
pub mod shopify;
pub mod values;
pub mod woocommerce;
