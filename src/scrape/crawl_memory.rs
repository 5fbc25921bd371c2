//! What a crawl remembers of a shop's pages from one run to the next, and the decisions it makes with it: send the
//! page's validators (a 304 costs no parsing), skip a product page whose sitemap `<lastmod>` has not moved, and
//! take a listing card's price instead of fetching the product page, unless the page is needed.
//!
//! A product page is needed when the product is new, when its last visit gave no single offer (its details are not
//! known), when its card cannot be read or disagreed with the page the last time both were read, or when the page
//! is due for its periodic refresh. Refreshes are spread: each page's interval is scaled by a factor in [0.5, 1]
//! drawn from its URL, so the products first seen on one day are not all fetched again on the same later day.
//!
//! The crawl reads this memory and reports what it learnt ([`PageVisit`]s, the offers it found unchanged); the
//! harvest loads and stores it (`store::crawl_pages`). Without memory (a dry run, `dealcast extract`), a crawl reads
//! everything, as before.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::scrape::fetch::Validators;
use crate::scrape::offer::RawOffer;

/// Whether a page was read for its links and cards or for its offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageRole {
    Listing,
    Product,
}

impl PageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PageRole::Listing => "listing",
            PageRole::Product => "product",
        }
    }

    pub fn parse(text: &str) -> Option<PageRole> {
        match text {
            "listing" => Some(PageRole::Listing),
            "product" => Some(PageRole::Product),
            _ => None,
        }
    }
}

/// What the last successful visit of one page left.
#[derive(Debug, Clone, PartialEq)]
pub struct PageMemory {
    pub role: PageRole,
    pub validators: Validators,
    pub sitemap_lastmod: Option<DateTime<Utc>>,
    pub visited_at: DateTime<Utc>,
    /// Product pages: when the page itself was last read (200 or 304).
    pub read_at: Option<DateTime<Utc>>,
    /// The canonical URLs of the offers the page gave (a listing page: its readable cards).
    pub offer_urls: Vec<String>,
    /// Listing pages: pagination links found on it.
    pub next_pages: Vec<String>,
    /// Listing pages: product links found on it.
    pub product_links: Vec<String>,
    /// Product pages: whether the card agreed with the page when both were last read.
    pub card_agrees: Option<bool>,
}

/// Why a product page was fetched (`scrape_runs.requests.product_pages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FetchReason {
    /// Never read before.
    New,
    /// Read before, but it gave no single offer: its details are not known.
    Details,
    /// Due for its periodic refresh.
    Refresh,
    /// Its listing card shows no readable price.
    CardUnreadable,
    /// Its card disagreed with the page the last time both were read.
    CardDisagreed,
    /// Its sitemap `<lastmod>` moved (or the sitemap gives none).
    Sitemap,
    /// Known, and read at every harvest (`listing_first = false`); its validators may make it a 304.
    Revisit,
}

impl FetchReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FetchReason::New => "new",
            FetchReason::Details => "details",
            FetchReason::Refresh => "refresh",
            FetchReason::CardUnreadable => "card_unreadable",
            FetchReason::CardDisagreed => "card_disagreed",
            FetchReason::Sitemap => "sitemap",
            FetchReason::Revisit => "revisit",
        }
    }
}

/// A shop's page memory, as loaded when a harvest starts.
#[derive(Debug, Clone)]
pub struct CrawlMemory {
    /// By canonical page URL.
    pub pages: HashMap<String, PageMemory>,
    /// The harvest's time.
    pub now: DateTime<Utc>,
    /// How often a product page known from its card is read again (`[crawl] refresh_days`).
    pub refresh: TimeDelta,
    /// Whether listing cards stand in for product pages (`[crawl] listing_first`).
    pub listing_first: bool,
}

/// What the crawl knows of a product link's card on this visit of its listing.
#[derive(Debug, Clone, Copy)]
pub enum CardState<'a> {
    /// The card was read now.
    Read(&'a RawOffer),
    /// The listing answered 304: the card is as it was, readable or not.
    Unchanged { readable: bool },
    /// The card shows no readable price.
    Unreadable,
}

impl CrawlMemory {
    pub fn page(&self, key: &str) -> Option<&PageMemory> {
        self.pages.get(key)
    }

    /// The validators to send for a page, when it has any.
    pub fn validators(&self, key: &str) -> Option<&Validators> {
        self.page(key).map(|page| &page.validators).filter(|v| v.etag.is_some() || v.last_modified.is_some())
    }

    /// Whether the product page `key`, read at `read_at`, is due for its refresh.
    pub fn refresh_due(&self, key: &str, read_at: DateTime<Utc>) -> bool {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let spread = 50 + hasher.finish() % 51; // 50..=100 per cent of the interval
        let interval = self.refresh * i32::try_from(spread).unwrap_or(100) / 100;
        self.now - read_at >= interval
    }

    /// The one offer a product page gave at its last read, if it gave exactly one.
    pub fn offer_of(&self, key: &str) -> Option<&str> {
        match self.page(key)?.offer_urls.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Why the product page `key` must be fetched although its listing card was seen, or `None` when the card is
    /// enough.
    pub fn product_needed(&self, key: &str, card: CardState) -> Option<FetchReason> {
        let Some(page) = self.page(key).filter(|page| page.role == PageRole::Product) else {
            return Some(FetchReason::New);
        };
        let Some(read_at) = page.read_at else { return Some(FetchReason::New) };
        if self.offer_of(key).is_none() {
            return Some(FetchReason::Details);
        }
        match card {
            CardState::Unreadable | CardState::Unchanged { readable: false } => {
                return Some(FetchReason::CardUnreadable);
            }
            CardState::Read(_) | CardState::Unchanged { readable: true } => {}
        }
        if page.card_agrees == Some(false) {
            return Some(FetchReason::CardDisagreed);
        }
        if self.refresh_due(key, read_at) {
            return Some(FetchReason::Refresh);
        }
        None
    }

    /// Why a product page found in a sitemap (and on no listing) must be fetched, or `None` when its `<lastmod>`
    /// has not moved since it was last read (and its refresh is not due).
    pub fn sitemap_page_needed(&self, key: &str, lastmod: Option<DateTime<Utc>>) -> Option<FetchReason> {
        let Some(page) = self.page(key) else { return Some(FetchReason::New) };
        let Some(read_at) = page.read_at else { return Some(FetchReason::New) };
        if lastmod.is_none() || page.sitemap_lastmod.is_none() || lastmod > page.sitemap_lastmod {
            return Some(FetchReason::Sitemap);
        }
        if self.refresh_due(key, read_at) {
            return Some(FetchReason::Refresh);
        }
        None
    }
}

/// Whether a card shows what its product page shows: the same price and the same crossed-out price.
pub fn card_agrees(card: &RawOffer, page: &RawOffer) -> bool {
    let same = |a: Option<Decimal>, b: Option<Decimal>| a.map(|a| a.normalize()) == b.map(|b| b.normalize());
    same(card.price, page.price) && same(card.previous_price, page.previous_price)
}

/// What a crawl learnt of one page, to be remembered for the next run.
#[derive(Debug, Clone, PartialEq)]
pub struct PageVisit {
    /// The canonical page URL.
    pub url: String,
    pub memory: PageMemory,
}

/// What a harvest's requests were: the figures that say what it cost the shop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    /// Pages answered with a body (listings, product pages, sitemaps, API pages).
    pub fetched: u64,
    /// Pages answered 304 Not Modified.
    pub not_modified: u64,
    /// Product pages not requested because their sitemap `<lastmod>` had not moved.
    pub skipped_by_lastmod: u64,
    /// Offers observed from their listing card, without their product page.
    pub listing_observations: u64,
    /// Product pages requested, by reason (`new`, `details`, `refresh`, `card_unreadable`, `card_disagreed`,
    /// `sitemap`); only counted when the crawl had a memory to decide with.
    pub product_pages: BTreeMap<&'static str, u64>,
}

impl RequestCounts {
    pub fn count_product_page(&mut self, reason: FetchReason) {
        *self.product_pages.entry(reason.as_str()).or_default() += 1;
    }

    /// Requests sent to the shop (fetched and 304).
    pub fn requests(&self) -> u64 {
        self.fetched + self.not_modified
    }

    /// One line for people: "420 requests (418 fetched, 2 unchanged (304)), 0 skipped by sitemap date, 19980
    /// prices from listing cards; product pages: new 20".
    pub fn summary(&self) -> String {
        let reasons: Vec<String> = self.product_pages.iter().map(|(reason, n)| format!("{reason} {n}")).collect();
        format!(
            "{} requests ({} fetched, {} unchanged (304)), {} skipped by sitemap date, {} prices from listing cards; \
             product pages: {}",
            self.requests(),
            self.fetched,
            self.not_modified,
            self.skipped_by_lastmod,
            self.listing_observations,
            if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(pages: Vec<(&str, PageMemory)>) -> CrawlMemory {
        CrawlMemory {
            pages: pages.into_iter().map(|(key, page)| (key.to_string(), page)).collect(),
            now: DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z").unwrap().to_utc(),
            refresh: TimeDelta::days(7),
            listing_first: true,
        }
    }

    fn product(read_days_ago: i64, offers: &[&str], card_agrees: Option<bool>) -> PageMemory {
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z").unwrap().to_utc();
        PageMemory {
            role: PageRole::Product,
            validators: Validators::default(),
            sitemap_lastmod: Some(now - TimeDelta::days(10)),
            visited_at: now - TimeDelta::days(read_days_ago),
            read_at: Some(now - TimeDelta::days(read_days_ago)),
            offer_urls: offers.iter().map(|s| s.to_string()).collect(),
            next_pages: Vec::new(),
            product_links: Vec::new(),
            card_agrees,
        }
    }

    #[test]
    fn a_known_product_with_a_readable_card_is_not_fetched_until_its_refresh() {
        let memory = memory(vec![
            ("a", product(1, &["a"], Some(true))),
            ("old", product(8, &["old"], Some(true))),
            ("b", product(1, &["b"], Some(false))),
            ("c", product(1, &[], None)),
        ]);
        let seen = CardState::Unchanged { readable: true };
        assert_eq!(memory.product_needed("a", seen), None);
        assert_eq!(memory.product_needed("a", CardState::Unreadable), Some(FetchReason::CardUnreadable));
        assert_eq!(memory.product_needed("old", seen), Some(FetchReason::Refresh));
        assert_eq!(memory.product_needed("b", seen), Some(FetchReason::CardDisagreed));
        assert_eq!(memory.product_needed("c", seen), Some(FetchReason::Details));
        assert_eq!(memory.product_needed("unknown", seen), Some(FetchReason::New));
    }

    #[test]
    fn refreshes_are_spread_between_half_and_all_of_the_interval() {
        let memory = memory(Vec::new());
        let due_after = |key: &str| (1..=8).find(|days| memory.refresh_due(key, memory.now - TimeDelta::days(*days)));
        let days: Vec<i64> = (0..200).filter_map(|n| due_after(&format!("https://shop.example/p/{n}"))).collect();
        assert_eq!(days.len(), 200);
        assert!(days.iter().all(|d| (4..=7).contains(d)), "{days:?}");
        assert!(days.iter().any(|d| *d < 7) && days.contains(&7), "{days:?}");
    }

    #[test]
    fn a_sitemap_page_is_fetched_again_only_when_its_lastmod_moved() {
        let page = product(1, &["a"], None);
        let lastmod = page.sitemap_lastmod;
        let memory = memory(vec![("a", page)]);
        assert_eq!(memory.sitemap_page_needed("a", lastmod), None);
        assert_eq!(
            memory.sitemap_page_needed("a", lastmod.map(|t| t + TimeDelta::days(1))),
            Some(FetchReason::Sitemap)
        );
        assert_eq!(memory.sitemap_page_needed("a", None), Some(FetchReason::Sitemap));
        assert_eq!(memory.sitemap_page_needed("z", lastmod), Some(FetchReason::New));
    }
}
