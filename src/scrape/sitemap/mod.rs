//! Discovery by sitemap: the product pages a shop lists in its sitemaps, for any engine that reads pages.
//!
//! Most shops publish their whole catalogue in sitemaps (<https://www.sitemaps.org/protocol.html>): named by
//! `Sitemap:` lines of robots.txt or found at `/sitemap.xml`, often a sitemap index listing gzipped children. Reading
//! them finds every product without guessing CSS selectors for listing pages, and each URL's `<lastmod>` tells a later
//! harvest which pages changed.
//!
//! Sitemaps are third-party files of any size, so everything is bounded ([`SitemapLimits`]): bytes per file
//! (compressed and inflated: no gzip bomb), files, nesting depth and URLs; an index listing itself, a parent or a
//! file already read is refused. One broken sitemap is a problem recorded in [`Discovered::problems`], and the others
//! are still read. The pure half ([`parse`], [`lastmod`], [`body`]) is tested without I/O; the I/O half
//! ([`discover`]) fetches through the polite [`Fetcher`](crate::scrape::fetch::Fetcher), so robots.txt and the
//! host's limits apply to sitemaps as to pages.

pub mod body;
pub mod discover;
pub mod errors;
pub mod lastmod;
pub mod parse;

use chrono::{DateTime, Utc};
use url::Url;

pub use discover::{discover, discover_matching, site_sitemaps, sitemaps_in_robots};
pub use errors::{SITEMAP_ERROR_KINDS, SitemapError};
pub use parse::SitemapKind;

/// How much of a site's sitemaps one discovery reads at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitemapLimits {
    /// The most bytes of one sitemap file, compressed as fetched and again once inflated (sitemaps.org: 50 MiB).
    pub max_file_bytes: u64,
    /// The most URLs kept; reading stops there ([`Discovered::url_limit_reached`]).
    pub max_urls: usize,
    /// The most sitemap files fetched (indexes included).
    pub max_files: usize,
    /// How many levels of sitemap indexes are followed below the roots (sitemaps.org allows one: index → urlset;
    /// some shops nest a second).
    pub max_depth: usize,
}

impl Default for SitemapLimits {
    fn default() -> Self {
        SitemapLimits {
            max_file_bytes: 50 * 1024 * 1024,
            // Four full sitemap files of sitemaps.org's 50,000 URLs: a large shop's catalogue.
            max_urls: 200_000,
            max_files: 500,
            max_depth: 3,
        }
    }
}

/// A page listed in a sitemap (or, in an index, a sitemap listed there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapUrl {
    pub url: Url,
    /// When the page last changed, as the sitemap says (`<lastmod>`), in UTC.
    pub lastmod: Option<DateTime<Utc>>,
}

/// One sitemap file that was read, for telling a shop adder where the pages came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapFile {
    /// Where it was read from (after redirects).
    pub url: Url,
    pub kind: SitemapKind,
    /// The pages (of a urlset) or sitemaps (of an index) it lists, kept or not.
    pub entries: usize,
}

/// What one discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// The pages, in sitemap order, each once.
    pub urls: Vec<SitemapUrl>,
    /// Sitemap files read (indexes included): `files.len()`.
    pub files_read: usize,
    /// Those files, in the order they were read.
    pub files: Vec<SitemapFile>,
    /// What went wrong on the way (a sitemap that failed, a loop refused, a limit reached), in the order met.
    pub problems: Vec<SitemapError>,
    /// Reading stopped because [`SitemapLimits::max_urls`] URLs were kept: there may be more.
    pub url_limit_reached: bool,
}
