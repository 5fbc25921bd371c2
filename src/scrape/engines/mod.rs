//! Extraction engines: each reads one kind of source (structured data in HTML, CSS selectors, a platform API, a
//! feed) into [`RawOffer`](crate::scrape::offer::RawOffer)s. Each engine module is a pure parse half, tested on
//! saved pages; fetching is the crawler's job.

pub mod feed;
pub mod selectors;
pub mod shopify;
