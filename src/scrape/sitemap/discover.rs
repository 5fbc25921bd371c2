//! The I/O half of discovery: finding a site's sitemaps in its robots.txt, then reading them, indexes followed to
//! their children, within [`SitemapLimits`].
//!
//! Files are read level by level (the roots, then what their indexes list, and so on), a couple at a time in
//! sitemap order, so the URLs come out in the order the shop lists them and the URL limit cuts at the same place on
//! every run. Inflating and parsing run on the blocking pool: a 50 MiB sitemap is CPU work that must not stall the
//! crawl's other tasks.

use std::collections::HashSet;

use futures::StreamExt;
use url::Url;

use super::body::sitemap_text;
use super::parse::{ParsedSitemap, SitemapKind, parse_sitemap};
use super::{Discovered, SitemapError, SitemapFile, SitemapLimits};
use crate::scrape::fetch::Fetcher;

/// Sitemap files fetched at once. Each may hold [`SitemapLimits::max_file_bytes`] several times over (bytes, text,
/// entries) while it is read, and the host's own limit (two requests by default) is the real bound anyway.
const FILES_IN_FLIGHT: usize = 2;

/// The `Sitemap:` lines of `site`'s robots.txt, as absolute http(s) URLs in file order (empty when there are none or
/// the site has no robots.txt). The file is the one the fetcher obeys, fetched once per host.
pub async fn sitemaps_in_robots(fetcher: &Fetcher, site: &Url) -> Result<Vec<Url>, SitemapError> {
    let rules = fetcher
        .robots_rules(site)
        .await
        .map_err(|source| SitemapError::Robots { site: site.clone(), source: Box::new(source) })?;
    let Some(rules) = rules else { return Ok(Vec::new()) };
    let mut robots_url = site.clone();
    robots_url.set_path("/robots.txt");
    robots_url.set_query(None);
    robots_url.set_fragment(None);
    let mut urls: Vec<Url> = Vec::new();
    for line in rules.sitemaps() {
        // RFC 9309 asks for absolute URLs; a relative one is read against the robots.txt, as crawlers do.
        match robots_url.join(&line) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && !urls.contains(&url) => urls.push(url),
            Ok(_) => {}
            Err(error) => tracing::debug!(site = %site, line = %line, %error, "robots.txt Sitemap line is not a URL"),
        }
    }
    Ok(urls)
}

/// The sitemaps a shop gives for `site`: the `Sitemap:` lines of its robots.txt, else `/sitemap.xml`, the place
/// sitemaps.org names.
pub async fn site_sitemaps(fetcher: &Fetcher, site: &Url) -> Result<Vec<Url>, SitemapError> {
    let listed = sitemaps_in_robots(fetcher, site).await?;
    if !listed.is_empty() {
        return Ok(listed);
    }
    let mut fallback = site.clone();
    fallback.set_path("/sitemap.xml");
    fallback.set_query(None);
    fallback.set_fragment(None);
    Ok(vec![fallback])
}

/// Reads the sitemaps `roots` (indexes followed, gzip inflated within the cap, loops refused) and returns every page
/// they list, once each. Fails only when no root at all could be read (with the first root's error); otherwise what
/// failed on the way is in [`Discovered::problems`].
pub async fn discover(fetcher: &Fetcher, roots: &[Url], limits: &SitemapLimits) -> Result<Discovered, SitemapError> {
    discover_matching(fetcher, roots, limits, |_| true).await
}

/// [`discover`], keeping only the pages `keep` accepts (product pages, say): the URL limit counts those only.
pub async fn discover_matching(
    fetcher: &Fetcher,
    roots: &[Url],
    limits: &SitemapLimits,
    keep: impl Fn(&Url) -> bool,
) -> Result<Discovered, SitemapError> {
    let mut walk = Walk {
        limits,
        keep,
        found: Discovered::default(),
        files: HashSet::new(),
        queued: 0,
        not_read: None,
        pages: HashSet::new(),
    };
    let mut level: Vec<Pending> = Vec::new();
    for root in roots {
        walk.enqueue(root, 0, Vec::new(), &mut level);
    }
    'levels: while !level.is_empty() {
        let mut next_level = Vec::new();
        let reads = futures::stream::iter(level.into_iter().map(|pending| async move {
            let result = read_file(fetcher, &pending.url, limits.max_file_bytes).await;
            (pending, result)
        }))
        .buffered(FILES_IN_FLIGHT);
        let mut reads = std::pin::pin!(reads);
        while let Some((pending, result)) = reads.next().await {
            let (read_from, parsed) = match result {
                Ok(read) => read,
                Err(problem) => {
                    tracing::debug!(%problem, "sitemap not read");
                    walk.found.problems.push(problem);
                    continue;
                }
            };
            walk.found.files_read += 1;
            let entries = parsed.entries.len();
            walk.found.files.push(SitemapFile { url: read_from.clone(), kind: parsed.kind, entries });
            tracing::debug!(url = %read_from, kind = ?parsed.kind, entries, "sitemap read");
            // Redirected: the file read counts as read too, and as a parent of what it lists.
            let redirected = read_from != pending.url;
            walk.files.insert(read_from.clone());
            if let Some(first) = &parsed.first_bad {
                let (count, first) = (parsed.bad_entries, first.clone());
                walk.found.problems.push(SitemapError::BadEntries { url: read_from.clone(), count, first });
            }
            match parsed.kind {
                SitemapKind::Urlset => {
                    if !walk.keep_pages(parsed) {
                        break 'levels;
                    }
                }
                SitemapKind::Index => {
                    let mut chain = pending.chain;
                    chain.push(pending.url);
                    if redirected {
                        chain.push(read_from.clone());
                    }
                    for child in parsed.entries {
                        walk.follow(child.url, &read_from, pending.depth + 1, &chain, &mut next_level);
                    }
                }
            }
        }
        level = next_level;
    }
    if let Some((not_read, first)) = walk.not_read.take() {
        walk.found.problems.push(SitemapError::TooManyFiles { limit: limits.max_files, not_read, first });
    }
    let mut found = walk.found;
    if found.files_read == 0 && !found.problems.is_empty() {
        // Nothing was read: the only problems are the roots' failures.
        return Err(found.problems.swap_remove(0));
    }
    Ok(found)
}

/// A sitemap to read, with the indexes that led to it (the root first; an index that redirected appears under both
/// its URLs).
struct Pending {
    url: Url,
    /// Levels of indexes above it: 0 for a root.
    depth: usize,
    chain: Vec<Url>,
}

/// The state of one discovery.
struct Walk<'a, F> {
    limits: &'a SitemapLimits,
    keep: F,
    found: Discovered,
    /// Sitemap files read or queued (and where they redirected), so none is read twice.
    files: HashSet<Url>,
    /// Sitemap files queued, against [`SitemapLimits::max_files`].
    queued: usize,
    /// Sitemaps left out for the file limit: how many, and the first.
    not_read: Option<(usize, Url)>,
    /// Pages kept, so each is listed once.
    pages: HashSet<Url>,
}

impl<F: Fn(&Url) -> bool> Walk<'_, F> {
    /// Queues a sitemap (once), or counts it as not read when the file limit is reached.
    fn enqueue(&mut self, url: &Url, depth: usize, chain: Vec<Url>, level: &mut Vec<Pending>) {
        let mut url = url.clone();
        url.set_fragment(None);
        if self.files.contains(&url) {
            return;
        }
        if self.queued >= self.limits.max_files {
            match &mut self.not_read {
                Some((count, _)) => *count += 1,
                None => self.not_read = Some((1, url)),
            }
            return;
        }
        self.files.insert(url.clone());
        self.queued += 1;
        level.push(Pending { url, depth, chain });
    }

    /// Decides about a sitemap listed by index `listed_by` (reached through `chain`), `depth` levels below the roots:
    /// queued, or refused with a problem.
    fn follow(&mut self, mut url: Url, listed_by: &Url, depth: usize, chain: &[Url], level: &mut Vec<Pending>) {
        url.set_fragment(None);
        let listed_by = listed_by.to_string();
        if chain.contains(&url) {
            self.found.problems.push(SitemapError::Loop { url, chain: chain.to_vec() });
        } else if self.files.contains(&url) {
            self.found.problems.push(SitemapError::AlreadyRead { url, listed_by });
        } else if depth > self.limits.max_depth {
            self.found.problems.push(SitemapError::TooDeep { url, listed_by, limit: self.limits.max_depth });
        } else {
            self.enqueue(&url, depth, chain.to_vec(), level);
        }
    }

    /// Keeps the pages of a urlset that `keep` accepts and were not seen. Returns false once the URL limit is reached.
    fn keep_pages(&mut self, parsed: ParsedSitemap) -> bool {
        for entry in parsed.entries {
            if !(self.keep)(&entry.url) || self.pages.contains(&entry.url) {
                continue;
            }
            if self.found.urls.len() >= self.limits.max_urls {
                self.found.url_limit_reached = true;
                return false;
            }
            self.pages.insert(entry.url.clone());
            self.found.urls.push(entry);
        }
        true
    }
}

/// Fetches and reads one sitemap file; returns the URL it was read from (after redirects) with what it lists.
async fn read_file(fetcher: &Fetcher, url: &Url, max_bytes: u64) -> Result<(Url, ParsedSitemap), SitemapError> {
    let raw = fetcher.fetch_bytes(url, max_bytes).await.map_err(|source| SitemapError::from_fetch(url, source))?;
    let parsing = tokio::task::spawn_blocking(move || {
        let text = sitemap_text(&raw.url, raw.bytes, raw.content_type.as_deref(), max_bytes)?;
        let parsed = parse_sitemap(&raw.url, &text)?;
        Ok((raw.url, parsed))
    });
    // A panic in the parser is a bug: it surfaces as one, in the task that asked. (The other way the blocking task
    // can end, the runtime shutting down, cancels this task too.)
    parsing.await.unwrap_or_else(|join| {
        std::panic::resume_unwind(join.try_into_panic().unwrap_or_else(|join| Box::new(join.to_string())))
    })
}
