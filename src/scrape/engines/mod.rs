//! Extraction engines: each reads one kind of source (structured data in HTML, CSS selectors, a platform API, a
//! feed) into [`RawOffer`](crate::scrape::offer::RawOffer)s. Each engine module is a pure parse half, tested on
//! saved pages; fetching is the crawler's job.
//!
//! The page engines (`json_ld`, `microdata`, `opengraph`, `heuristic`) return the page's main product first;
//! `auto` chains them for shops that do not say which one fits. `values` reads the single values (prices,
//! currencies, URLs, dates) every engine meets, and `page_dom` holds the DOM judgements (visible text, secondary
//! blocks) the DOM-based engines share.

pub mod auto;
pub mod feed;
pub mod heuristic;
pub mod json_ld;
pub mod microdata;
pub mod opengraph;
pub mod page_dom;
pub mod selectors;
pub mod shopify;
pub mod values;
