//! Why a sitemap could not be read, as one typed error whose [`SitemapError::kind`] is a small, fixed set of labels.
//!
//! Discovery keeps going past a broken sitemap, so most of these end up in [`super::Discovered::problems`] and, during
//! a crawl, counted by kind in the run's report; each names the sitemap (and the index that listed it) so that a log
//! line is enough to look at it.

use url::Url;

use crate::scrape::fetch::FetchError;

/// Every label [`SitemapError::kind`] can return.
pub const SITEMAP_ERROR_KINDS: [&str; 9] = [
    "sitemap_robots",
    "sitemap_disallowed",
    "sitemap_unreachable",
    "sitemap_too_large",
    "sitemap_gzip",
    "sitemap_xml",
    "sitemap_loop",
    "sitemap_limit",
    "sitemap_bad_entry",
];

/// A sitemap that could not be read, or an entry of one that was refused.
#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    /// The site's robots.txt, where its sitemaps are listed, could not be read.
    #[error("could not read the robots.txt of {site}: {source}")]
    Robots {
        site: Url,
        #[source]
        source: Box<FetchError>,
    },
    /// The sitemap could not be fetched: disallowed by robots.txt, gone, or the server failed. (The fetch error
    /// names the URL.)
    #[error("sitemap not fetched: {source}")]
    Fetch {
        url: Url,
        #[source]
        source: Box<FetchError>,
    },
    /// The sitemap is larger than the cap, compressed or once inflated. Reading stopped at the cap.
    #[error(
        "sitemap {url} is larger than {limit} bytes{}; it was not read (sitemaps.org allows 50 MiB uncompressed)",
        if *.inflated { " once inflated" } else { "" }
    )]
    TooLarge { url: Url, limit: u64, inflated: bool },
    /// The body starts like gzip but does not inflate.
    #[error("sitemap {url} is not valid gzip: {source}")]
    Gzip {
        url: Url,
        #[source]
        source: std::io::Error,
    },
    /// The body is not well-formed XML.
    #[error("sitemap {url} is not well-formed XML (at byte {position}): {source}")]
    Xml {
        url: Url,
        position: u64,
        #[source]
        source: Box<quick_xml::Error>,
    },
    /// The file ends before its root element closes: cut short (a dropped connection, a full disk on the shop's
    /// side), so what it lists is not all there.
    #[error("sitemap {url} is cut short (it ends before </{root}>): not read")]
    CutShort { url: Url, root: &'static str },
    /// An empty body (only white space, or an XML declaration and comments without an element).
    #[error("sitemap {url} is empty")]
    Empty { url: Url },
    /// Well-formed XML, but neither a `<urlset>` nor a `<sitemapindex>` (an HTML page answering /sitemap.xml).
    #[error("{url} is not a sitemap: its root element is <{root}>, not <urlset> or <sitemapindex>")]
    NotASitemap { url: Url, root: String },
    /// An index lists itself, or a sitemap that leads back to it.
    #[error(
        "sitemap loop refused: {} lists {url}, which is itself or one of its parents ({})",
        .chain.last().map_or("", Url::as_str), chain_text(.chain)
    )]
    Loop {
        url: Url,
        /// The indexes from the root to the one that lists `url`.
        chain: Vec<Url>,
    },
    /// An index lists a sitemap that was already read (or is being read) in this discovery.
    #[error("sitemap {url}, listed by {listed_by}, was already read: not read twice")]
    AlreadyRead { url: Url, listed_by: String },
    /// Indexes nested deeper than the limit.
    #[error(
        "sitemap {url}, listed by {listed_by}, is below more levels of sitemap indexes than the limit ({limit}): not \
         read"
    )]
    TooDeep { url: Url, listed_by: String, limit: usize },
    /// More sitemaps listed than the limit of files per discovery.
    #[error("{not_read} sitemaps not read: the limit of {limit} sitemap files was reached (first not read: {first})")]
    TooManyFiles { limit: usize, not_read: usize, first: Url },
    /// Entries whose `<loc>` is not an http(s) URL; the others were kept.
    #[error("sitemap {url}: {count} entries without an http(s) URL in <loc> were skipped (first: {first:?})")]
    BadEntries { url: Url, count: usize, first: String },
}

fn chain_text(chain: &[Url]) -> String {
    chain.iter().map(Url::as_str).collect::<Vec<_>>().join(" → ")
}

impl SitemapError {
    /// A short label from a bounded set (listed in [`SITEMAP_ERROR_KINDS`]), for run summaries and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SitemapError::Robots { .. } => "sitemap_robots",
            SitemapError::Fetch { source, .. } if matches!(**source, FetchError::RobotsDisallowed { .. }) => {
                "sitemap_disallowed"
            }
            SitemapError::Fetch { .. } => "sitemap_unreachable",
            SitemapError::TooLarge { .. } => "sitemap_too_large",
            SitemapError::Gzip { .. } => "sitemap_gzip",
            SitemapError::Xml { .. }
            | SitemapError::CutShort { .. }
            | SitemapError::Empty { .. }
            | SitemapError::NotASitemap { .. } => "sitemap_xml",
            SitemapError::Loop { .. } | SitemapError::AlreadyRead { .. } => "sitemap_loop",
            SitemapError::TooDeep { .. } | SitemapError::TooManyFiles { .. } => "sitemap_limit",
            SitemapError::BadEntries { .. } => "sitemap_bad_entry",
        }
    }

    /// The error for a failed fetch of sitemap `url`: a body over the cap is told as such.
    pub(crate) fn from_fetch(url: &Url, source: FetchError) -> SitemapError {
        match source {
            FetchError::TooLarge { limit, .. } => SitemapError::TooLarge { url: url.clone(), limit, inflated: false },
            source => SitemapError::Fetch { url: url.clone(), source: Box::new(source) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_error_stays_small_enough_to_return_by_value() {
        assert!(std::mem::size_of::<SitemapError>() <= 128, "{} bytes", std::mem::size_of::<SitemapError>());
    }

    #[test]
    fn every_kind_label_is_listed_once() {
        let mut kinds = SITEMAP_ERROR_KINDS.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), SITEMAP_ERROR_KINDS.len());
    }

    #[test]
    fn a_loop_says_which_index_listed_what_and_the_chain() {
        let (index, child) = (url("https://shop.example/sitemap.xml"), url("https://shop.example/products.xml"));
        let error = SitemapError::Loop { url: index.clone(), chain: vec![index, child] };
        assert_eq!(
            error.to_string(),
            "sitemap loop refused: https://shop.example/products.xml lists https://shop.example/sitemap.xml, which is \
             itself or one of its parents (https://shop.example/sitemap.xml → https://shop.example/products.xml)"
        );
        assert_eq!(error.kind(), "sitemap_loop");
        assert!(SITEMAP_ERROR_KINDS.contains(&error.kind()));
    }

    #[test]
    fn a_body_over_the_fetch_cap_is_told_as_a_sitemap_too_large() {
        let sitemap = url("https://shop.example/sitemap.xml");
        let error =
            SitemapError::from_fetch(&sitemap, FetchError::TooLarge { url: sitemap.clone(), limit: 52_428_800 });
        assert_eq!(error.kind(), "sitemap_too_large");
        assert_eq!(
            error.to_string(),
            "sitemap https://shop.example/sitemap.xml is larger than 52428800 bytes; it was not read (sitemaps.org \
             allows 50 MiB uncompressed)"
        );
        let disallowed = SitemapError::from_fetch(&sitemap, FetchError::RobotsDisallowed { url: sitemap.clone() });
        assert_eq!(disallowed.kind(), "sitemap_disallowed");
        assert!(disallowed.to_string().contains("disallowed by robots.txt"), "{disallowed}");
    }
}
