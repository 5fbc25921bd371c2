//! Extraction engines: the pure parse half of each way dealcast reads offers out of a page.
//!
//! Each engine takes a page's HTML and URL and returns [`crate::scrape::offer::RawOffer`]s, the page's main
//! product first. `auto` chains them for shops that do not say which one fits; `values` reads the single values
//! (prices, currencies, URLs, dates) every engine meets, and `page_dom` holds the DOM judgements (visible text,
//! secondary blocks) the DOM-based engines share.

pub mod auto;
pub mod heuristic;
pub mod json_ld;
pub mod microdata;
pub mod opengraph;
pub mod page_dom;
pub mod values;
