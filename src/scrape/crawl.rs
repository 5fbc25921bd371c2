//! Walking one shop: from its start URLs, through listing pagination to product pages, and to the product pages its
//! sitemaps list (or through a platform API or a feed), handing every page to the shop's engine and every offer found
//! to a sink.
//!
//! Many pages are in flight at once (the fetcher keeps each host within its politeness limits) and pages are parsed
//! on the runtime's worker threads, so a crawl uses every core. One broken page never stops the crawl: its error is
//! counted under a bounded kind and the crawl goes on.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use scraper::Html;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use url::Url;

use crate::scrape::canonical_url::canonicalize;
use crate::scrape::crawl_memory::{
    CardState, CrawlMemory, FetchReason, PageMemory, PageRole, PageVisit, RequestCounts, card_agrees,
};
use crate::scrape::engines::dispatch::extract_document;
use crate::scrape::engines::{feed, magento, shopify, woocommerce};
use crate::scrape::fetch::{FetchError, Fetched, Fetcher, HostPolicy, Validators};
use crate::scrape::listing_cards::CardReader;
use crate::scrape::offer::RawOffer;
use crate::scrape::registry::Shop;
use crate::scrape::shop_spec::{EngineSpec, SitemapSource};
use crate::scrape::sitemap::{SitemapLimits, SitemapUrl, discover_matching, site_sitemaps};

/// An offer found in a shop.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShopOffer {
    pub shop: String,
    #[serde(flatten)]
    pub offer: RawOffer,
    /// When the offer's page last changed, as the shop's sitemap says (`<lastmod>`): a later run can skip a page
    /// that did not change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lastmod: Option<DateTime<Utc>>,
}

/// Counters shared with whoever shows progress (a terminal progress bar, metrics).
#[derive(Debug, Default)]
pub struct Progress {
    pub pages: AtomicU64,
    pub offers: AtomicU64,
    pub errors: AtomicU64,
}

/// What one crawl of one shop did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CrawlReport {
    pub shop: String,
    /// Pages fetched, sitemap files included.
    pub pages: u64,
    pub offers: u64,
    /// Page errors by kind (`http_5xx`, `timeout`, `no_offer`, `sitemap_loop`, ...).
    pub errors: BTreeMap<&'static str, u64>,
    pub duration_ms: u64,
    /// What the crawl's requests were (what it cost the shop).
    pub requests: RequestCounts,
    /// What the crawl learnt of each page it visited, to remember for the next run (crawls with a memory only).
    #[serde(skip)]
    pub visits: Vec<PageVisit>,
    /// Offers found unchanged without being read again (304 answers, sitemap dates that did not move): seen.
    #[serde(skip)]
    pub unchanged_offers: Vec<String>,
}

impl CrawlReport {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// How a crawl may deviate from the shop file.
#[derive(Debug, Clone, Default)]
pub struct CrawlOptions {
    /// Start here instead of the shop's start URLs and sitemaps.
    pub start_urls: Vec<Url>,
    /// Fetch at most this many pages (instead of the shop's `max_pages`).
    pub max_pages: Option<u32>,
    /// Pages in flight at once across the shop's hosts (default 64; each host is still held to its own limit).
    pub in_flight: Option<usize>,
    /// What earlier runs remember of the shop's pages: with it, unchanged pages cost a 304 or nothing, and listing
    /// cards stand in for product pages (see `crawl_memory`). Without it, every page is read.
    pub memory: Option<Arc<CrawlMemory>>,
}

/// Why a page was fetched: it decides what is looked for in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A start or pagination page: links are followed from it.
    Listing,
    /// A product page: offers are read from it.
    Product,
}

/// What became of one page.
#[derive(Default)]
struct PageOutcome {
    offers: Vec<RawOffer>,
    links: Vec<(Url, Role)>,
    error: Option<&'static str>,
    /// The shop answered with a body.
    answered: bool,
    /// The shop answered 304: the page is as it was at its last visit.
    not_modified: bool,
    /// The validators to send next time.
    validators: Validators,
    /// Listing pages of a listing-first crawl: the offer each readable card shows, by canonical product URL.
    cards: HashMap<String, RawOffer>,
}

impl PageOutcome {
    fn answered(offers: Vec<RawOffer>, links: Vec<(Url, Role)>, error: Option<&'static str>) -> PageOutcome {
        PageOutcome { offers, links, error, answered: true, ..PageOutcome::default() }
    }

    /// A page that could not be had (the error kind says why).
    fn lost(kind: &'static str) -> PageOutcome {
        PageOutcome { error: Some(kind), ..PageOutcome::default() }
    }

    fn not_modified() -> PageOutcome {
        PageOutcome { not_modified: true, ..PageOutcome::default() }
    }
}

/// Crawls `shop`, sending each offer (once per canonical URL) to `sink`, and reports what happened.
pub async fn crawl_shop(
    shop: &Shop,
    fetcher: &Fetcher,
    options: &CrawlOptions,
    progress: &Arc<Progress>,
    sink: &mpsc::Sender<ShopOffer>,
) -> CrawlReport {
    let started = Instant::now();
    let spec = &shop.spec;
    let start_urls = if options.start_urls.is_empty() { spec.start_urls() } else { options.start_urls.clone() };
    apply_politeness(shop, fetcher, &start_urls);
    let max_pages = u64::from(options.max_pages.unwrap_or(spec.crawl.max_pages.get()));
    let mut state = CrawlState {
        report: CrawlReport { shop: shop.id.clone(), ..CrawlReport::default() },
        seen_offers: HashSet::new(),
    };

    match &spec.engine {
        EngineSpec::Shopify => crawl_shopify(shop, fetcher, &start_urls, max_pages, progress, sink, &mut state).await,
        EngineSpec::WooCommerce => {
            let crawl = PagesCrawl { start_urls, max_pages, options };
            crawl_catalogue_api(shop, fetcher, &WOOCOMMERCE_API, crawl, progress, sink, &mut state).await;
        }
        EngineSpec::Magento => {
            let crawl = PagesCrawl { start_urls, max_pages, options };
            crawl_catalogue_api(shop, fetcher, &MAGENTO_API, crawl, progress, sink, &mut state).await;
        }
        EngineSpec::Feed => {
            for url in start_urls.iter().take(max_pages as usize) {
                let outcome = match fetcher.fetch(url).await {
                    Ok(page) => {
                        match feed::parse_feed(page.text.as_bytes(), &page.url, &spec.currency.0, spec.timezone.0) {
                            Ok(offers) => PageOutcome::answered(offers, Vec::new(), None),
                            Err(_) => PageOutcome::answered(Vec::new(), Vec::new(), Some("not_a_feed")),
                        }
                    }
                    Err(error) => failed(&error),
                };
                state.absorb(shop, outcome, progress, sink).await;
            }
        }
        _ => crawl_pages(shop, fetcher, start_urls, max_pages, options, progress, sink, &mut state).await,
    }
    state.report.duration_ms = started.elapsed().as_millis() as u64;
    state.report
}

struct CrawlState {
    report: CrawlReport,
    seen_offers: HashSet<String>,
}

impl CrawlState {
    /// Counts a page and passes its new offers on. Returns false when nobody listens any more.
    async fn absorb(
        &mut self,
        shop: &Shop,
        outcome: PageOutcome,
        progress: &Progress,
        sink: &mpsc::Sender<ShopOffer>,
    ) -> bool {
        self.absorb_dated(shop, outcome, None, progress, sink).await
    }

    /// [`CrawlState::absorb`] for a page whose last change the sitemap gave: its offers carry it.
    async fn absorb_dated(
        &mut self,
        shop: &Shop,
        outcome: PageOutcome,
        lastmod: Option<DateTime<Utc>>,
        progress: &Progress,
        sink: &mpsc::Sender<ShopOffer>,
    ) -> bool {
        self.report.pages += 1;
        progress.pages.fetch_add(1, Ordering::Relaxed);
        if outcome.not_modified {
            self.report.requests.not_modified += 1;
        } else if outcome.answered {
            self.report.requests.fetched += 1;
        }
        if let Some(kind) = outcome.error {
            *self.report.errors.entry(kind).or_default() += 1;
            progress.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.pass_offers(shop, outcome.offers, lastmod, progress, sink).await
    }

    /// Passes offers not passed yet on to the sink. Returns false when nobody listens any more.
    async fn pass_offers(
        &mut self,
        shop: &Shop,
        offers: Vec<RawOffer>,
        lastmod: Option<DateTime<Utc>>,
        progress: &Progress,
        sink: &mpsc::Sender<ShopOffer>,
    ) -> bool {
        for offer in offers {
            let key = offer.url.as_deref().and_then(|u| Url::parse(u).ok()).map(|u| canonicalize(&u).to_string());
            if let Some(key) = key
                && !self.seen_offers.insert(key)
            {
                continue;
            }
            self.report.offers += 1;
            progress.offers.fetch_add(1, Ordering::Relaxed);
            if sink.send(ShopOffer { shop: shop.id.clone(), offer, lastmod }).await.is_err() {
                return false;
            }
        }
        true
    }
}

fn failed(error: &FetchError) -> PageOutcome {
    tracing::debug!(%error, "page failed");
    PageOutcome::lost(error.kind())
}

/// The shop file's politeness overrides apply to every host the crawl starts on.
pub(crate) fn apply_politeness(shop: &Shop, fetcher: &Fetcher, start_urls: &[Url]) {
    let politeness = &shop.spec.politeness;
    if politeness.min_delay_ms.is_none() && politeness.max_concurrency.is_none() {
        return;
    }
    let default = fetcher.settings().default_host_policy;
    let policy = HostPolicy {
        min_delay: politeness.min_delay().unwrap_or(default.min_delay),
        max_concurrency: politeness.max_concurrency.map_or(default.max_concurrency, |n| n.get()),
    };
    let hosts: HashSet<String> = start_urls
        .iter()
        .chain(std::iter::once(&shop.spec.homepage.0))
        .filter_map(|u| u.host_str().map(str::to_string))
        .collect();
    for host in hosts {
        fetcher.set_host_policy(&host, policy);
    }
}

#[allow(clippy::too_many_arguments)]
async fn crawl_shopify(
    shop: &Shop,
    fetcher: &Fetcher,
    start_urls: &[Url],
    max_pages: u64,
    progress: &Arc<Progress>,
    sink: &mpsc::Sender<ShopOffer>,
    state: &mut CrawlState,
) {
    let store = start_urls.first().cloned().unwrap_or_else(|| shop.spec.homepage.0.clone());
    for page_number in 1..=max_pages.min(u64::from(u32::MAX)) as u32 {
        let url = shopify::products_page_url(&store, page_number);
        let outcome = match fetcher.fetch(&url).await {
            Ok(page) => match shopify::parse_products_page(&page.text, &page.url, &shop.spec.currency.0) {
                Ok(offers) => PageOutcome::answered(offers, Vec::new(), None),
                Err(_) => PageOutcome::answered(Vec::new(), Vec::new(), Some("not_products_json")),
            },
            Err(error) => failed(&error),
        };
        let last_page = outcome.offers.is_empty();
        if !state.absorb(shop, outcome, progress, sink).await || last_page {
            break;
        }
    }
}

/// One page of a catalogue API read: its offers and whether another page may follow, or the error kind and message
/// of an unreadable answer.
type ApiPage = Result<(Vec<RawOffer>, bool), (&'static str, String)>;

/// A platform's public catalogue API: the URL of each page and how one page reads.
struct CatalogueApi {
    /// The platform, for logs.
    platform: &'static str,
    page_url: fn(&Url, u32) -> Url,
    /// Reads page `n` (its text, URL, and the shop's currency).
    read: fn(&str, &Url, &str, u32) -> ApiPage,
}

const WOOCOMMERCE_API: CatalogueApi = CatalogueApi {
    platform: "WooCommerce Store API",
    page_url: woocommerce::products_page_url,
    read: |text, url, currency, _| {
        let page =
            woocommerce::parse_products_answer(text, url, currency).map_err(|e| ("woocommerce_api", e.to_string()))?;
        let more = page.may_have_next();
        Ok((page.offers, more))
    },
};

const MAGENTO_API: CatalogueApi = CatalogueApi {
    platform: "Magento GraphQL",
    page_url: magento::products_page_url,
    read: |text, url, currency, page_number| {
        let page =
            magento::parse_products_answer(text, url, currency).map_err(|e| ("magento_graphql", e.to_string()))?;
        let more = page.total_pages.map_or(!page.offers.is_empty(), |total| page_number < total);
        Ok((page.offers, more))
    },
};

/// What the page crawl that a closed API falls back to needs.
struct PagesCrawl<'a> {
    start_urls: Vec<Url>,
    max_pages: u64,
    options: &'a CrawlOptions,
}

/// Reads a platform's catalogue API page by page, under the shop's home (a store view's folder, WordPress in a
/// folder), else at the root of its site when the home is a folder that does not answer. When the first page cannot
/// be had or read there (the API is closed: 401/403/404, robots.txt, an HTML page instead of JSON), the shop's pages
/// are crawled instead and read by the engine's page half (`auto`); a failure after the first page ends the crawl
/// and is counted.
async fn crawl_catalogue_api(
    shop: &Shop,
    fetcher: &Fetcher,
    api: &CatalogueApi,
    pages: PagesCrawl<'_>,
    progress: &Arc<Progress>,
    sink: &mpsc::Sender<ShopOffer>,
    state: &mut CrawlState,
) {
    let home = &shop.spec.homepage.0;
    let currency = &shop.spec.currency.0;
    let mut roots = vec![home.clone()];
    roots.extend(home.join("/").ok().filter(|root| root != home));
    let mut asked = 0;
    let mut first = None;
    for root in roots.into_iter().take(pages.max_pages as usize) {
        asked += 1;
        match read_api_page(fetcher, api, &root, 1, currency).await {
            Ok(read) => {
                first = Some((root, read));
                break;
            }
            Err((_, reason)) => tracing::info!(shop = %shop.id, %reason, "no {} at {root}", api.platform),
        }
    }
    let Some((root, (offers, mut more))) = first else {
        tracing::info!(shop = %shop.id, "the {} is closed: reading the shop's pages", api.platform);
        let left = pages.max_pages.saturating_sub(asked);
        crawl_pages(shop, fetcher, pages.start_urls, left, pages.options, progress, sink, state).await;
        return;
    };
    let mut outcome = PageOutcome::answered(offers, Vec::new(), None);
    let mut page_number = 1u32;
    loop {
        if !state.absorb(shop, outcome, progress, sink).await || !more || u64::from(page_number) >= pages.max_pages {
            return;
        }
        page_number += 1;
        outcome = match read_api_page(fetcher, api, &root, page_number, currency).await {
            Ok((offers, next)) => {
                more = next;
                PageOutcome::answered(offers, Vec::new(), None)
            }
            Err((kind, reason)) => {
                tracing::warn!(shop = %shop.id, %reason, "the {} failed: the crawl stops here", api.platform);
                more = false;
                PageOutcome::answered(Vec::new(), Vec::new(), Some(kind))
            }
        };
    }
}

/// Fetches and reads page `page_number` of a catalogue API under `root`.
async fn read_api_page(fetcher: &Fetcher, api: &CatalogueApi, root: &Url, page_number: u32, currency: &str) -> ApiPage {
    let url = (api.page_url)(root, page_number);
    match fetcher.fetch(&url).await {
        Ok(page) => (api.read)(&page.text, &page.url, currency, page_number),
        Err(error) => Err((error.kind(), error.to_string())),
    }
}

/// A page waiting to be fetched.
struct Queued {
    url: Url,
    depth: u32,
    role: Role,
    /// The sitemap's `<lastmod>` for it.
    lastmod: Option<DateTime<Utc>>,
    /// Its listing card's offer, when the card was read on the way (a listing-first crawl).
    card: Option<RawOffer>,
    /// Why it is fetched, when a memory decided it.
    reason: Option<FetchReason>,
}

impl Queued {
    fn new(url: Url, depth: u32, role: Role, lastmod: Option<DateTime<Utc>>) -> Queued {
        Queued { url, depth, role, lastmod, card: None, reason: None }
    }
}

#[allow(clippy::too_many_arguments)]
async fn crawl_pages(
    shop: &Shop,
    fetcher: &Fetcher,
    start_urls: Vec<Url>,
    max_pages: u64,
    options: &CrawlOptions,
    progress: &Arc<Progress>,
    sink: &mpsc::Sender<ShopOffer>,
    state: &mut CrawlState,
) {
    let sitemap_pages = if options.start_urls.is_empty() {
        sitemap_product_pages(shop, fetcher, max_pages, progress, state).await
    } else {
        Vec::new()
    };
    let memory = options.memory.clone();
    let shop = Arc::new(shop.clone());
    let in_flight_cap = options.in_flight.unwrap_or(64).max(1);
    let allowed_hosts: HashSet<String> = start_urls.iter().filter_map(|u| u.host_str().map(str::to_string)).collect();
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut seen_pages: HashSet<String> = HashSet::new();
    for url in start_urls {
        if seen_pages.insert(canonicalize(&url).to_string()) {
            queue.push_back(Queued::new(url, 0, Role::Listing, None));
        }
    }
    // A listing-first crawl reads the listings first: their cards decide which sitemap pages are still needed.
    let listing_first = memory.as_ref().is_some_and(|memory| memory.listing_first) && !queue.is_empty();
    let mut deferred_sitemap_pages = Some(sitemap_pages);
    if !listing_first {
        let pages = deferred_sitemap_pages.take().unwrap_or_default();
        queue_sitemap_pages(pages, memory.as_deref(), &mut seen_pages, &mut queue, state);
    }
    let mut started_pages = 0u64;
    let mut tasks: JoinSet<(Queued, PageOutcome)> = JoinSet::new();
    loop {
        while tasks.len() < in_flight_cap && started_pages < max_pages {
            let Some(page) = queue.pop_front() else { break };
            started_pages += 1;
            if let Some(reason) = page.reason {
                state.report.requests.count_product_page(reason);
            }
            let fetcher = fetcher.clone();
            let shop = Arc::clone(&shop);
            let validators =
                memory.as_ref().and_then(|memory| memory.validators(canonicalize(&page.url).as_str()).cloned());
            tasks.spawn(async move {
                let outcome = fetch_and_read(&fetcher, &shop, &page, validators.as_ref(), listing_first).await;
                (page, outcome)
            });
        }
        if tasks.is_empty()
            && queue.is_empty()
            && let Some(pages) = deferred_sitemap_pages.take()
        {
            queue_sitemap_pages(pages, memory.as_deref(), &mut seen_pages, &mut queue, state);
            continue;
        }
        let Some(joined) = tasks.join_next().await else { break };
        let (page, mut outcome) = match joined {
            Ok(done) => done,
            Err(error) => {
                // A panic in a parser is a bug; count it and go on rather than lose the shop.
                tracing::error!(%error, shop = %shop.id, "a page task failed");
                state.absorb(&shop, PageOutcome::lost("internal"), progress, sink).await;
                continue;
            }
        };
        let key = canonicalize(&page.url).to_string();
        let remembered = memory.as_ref().and_then(|memory| memory.page(&key));
        if outcome.not_modified
            && let Some(remembered) = remembered
        {
            // Unchanged since the last visit: its links are the ones it had, its offers are still there.
            outcome.links = remembered_links(remembered);
            state.report.unchanged_offers.extend(remembered.offer_urls.iter().cloned());
        }
        let links = std::mem::take(&mut outcome.links);
        let mut card_offers = Vec::new();
        for (link, role) in &links {
            let (link, role) = (link.clone(), *role);
            // The next page of a listing is the same listing: only links to other pages take the crawl deeper.
            let link_depth = if role == Role::Listing { page.depth } else { page.depth + 1 };
            let same_site = link.host_str().is_some_and(|h| allowed_hosts.contains(h));
            let wanted = shop.spec.crawl.follow_only.as_ref().is_none_or(|p| p.0.is_match(link.as_str()));
            if link_depth > shop.spec.crawl.max_depth || !same_site || !wanted {
                continue;
            }
            let link_key = canonicalize(&link).to_string();
            if !seen_pages.insert(link_key.clone()) {
                continue;
            }
            match (role, memory.as_deref()) {
                (Role::Product, Some(memory)) => match decide_product(memory, link_key, &outcome, remembered) {
                    CardDecision::Fetch(reason, card) => queue.push_back(Queued {
                        card,
                        reason: Some(reason),
                        ..Queued::new(link, link_depth, role, None)
                    }),
                    CardDecision::Card(offer) => card_offers.push(offer),
                    CardDecision::Unchanged => {}
                },
                _ => queue.push_back(Queued::new(link, link_depth, role, None)),
            }
        }
        if let Some(memory) = memory.as_deref()
            && let Some(visit) = visit_of(memory, &page, &key, &outcome, &links)
        {
            state.report.visits.push(visit);
        }
        // A product page that could not be read this time: its card, if it was read, still says its price.
        if page.role == Role::Product
            && outcome.offers.is_empty()
            && !outcome.not_modified
            && let Some(card) = page.card
        {
            card_offers.push(card);
        }
        state.report.requests.listing_observations += card_offers.len() as u64;
        if !state.absorb_dated(&shop, outcome, page.lastmod, progress, sink).await
            || !state.pass_offers(&shop, card_offers, None, progress, sink).await
        {
            tasks.abort_all();
            break;
        }
    }
}

/// What to do with a product link found on a listing (in a crawl with a memory).
enum CardDecision {
    /// Fetch its page, for this reason (with the card read on the way, if any).
    Fetch(FetchReason, Option<RawOffer>),
    /// The card is enough: its offer.
    Card(RawOffer),
    /// The listing is unchanged (304) and the card was enough: its offer is among the listing's unchanged ones.
    Unchanged,
}

/// `key` is the link's canonical URL.
fn decide_product(
    memory: &CrawlMemory,
    key: String,
    listing: &PageOutcome,
    remembered_listing: Option<&PageMemory>,
) -> CardDecision {
    if !memory.listing_first {
        let reason = if memory.page(&key).is_some() { FetchReason::Revisit } else { FetchReason::New };
        return CardDecision::Fetch(reason, None);
    }
    let offer_key = memory.offer_of(&key).unwrap_or(&key).to_string();
    let card = listing.cards.get(&key);
    let state = match (listing.not_modified, card) {
        (true, _) => CardState::Unchanged {
            readable: remembered_listing.is_some_and(|listing| listing.offer_urls.contains(&offer_key)),
        },
        (false, Some(card)) => CardState::Read(card),
        (false, None) => CardState::Unreadable,
    };
    match (memory.product_needed(&key, state), card) {
        (Some(reason), card) => CardDecision::Fetch(reason, card.cloned()),
        (None, Some(card)) if !listing.not_modified => {
            let mut offer = card.clone();
            offer.url = Some(offer_key);
            CardDecision::Card(offer)
        }
        (None, _) => CardDecision::Unchanged,
    }
}

/// Sitemap product pages to the queue, unless their `<lastmod>` says they did not change since their last read.
fn queue_sitemap_pages(
    pages: Vec<SitemapUrl>,
    memory: Option<&CrawlMemory>,
    seen_pages: &mut HashSet<String>,
    queue: &mut VecDeque<Queued>,
    state: &mut CrawlState,
) {
    for SitemapUrl { url, lastmod } in pages {
        let key = canonicalize(&url).to_string();
        if !seen_pages.insert(key.clone()) {
            continue;
        }
        let reason = match memory {
            Some(memory) => match memory.sitemap_page_needed(&key, lastmod) {
                Some(reason) => Some(reason),
                None => {
                    state.report.requests.skipped_by_lastmod += 1;
                    if let Some(remembered) = memory.page(&key) {
                        state.report.unchanged_offers.extend(remembered.offer_urls.iter().cloned());
                    }
                    continue;
                }
            },
            None => None,
        };
        queue.push_back(Queued { reason, ..Queued::new(url, 1, Role::Product, lastmod) });
    }
}

/// Fetches a page (conditionally when its validators are known) and reads it.
async fn fetch_and_read(
    fetcher: &Fetcher,
    shop: &Shop,
    page: &Queued,
    validators: Option<&Validators>,
    read_cards: bool,
) -> PageOutcome {
    let fetched = match validators {
        Some(validators) => fetcher.fetch_conditional(&page.url, validators).await,
        None => fetcher.fetch(&page.url).await.map(Fetched::Page),
    };
    match fetched {
        Ok(Fetched::Page(fetched)) => {
            let mut outcome = read_page(shop, &fetched.url, &fetched.text, page.role, read_cards);
            outcome.validators = fetched.validators;
            outcome
        }
        Ok(Fetched::NotModified) => PageOutcome::not_modified(),
        Err(error) => failed(&error),
    }
}

/// The links a listing page had at its last visit.
fn remembered_links(page: &PageMemory) -> Vec<(Url, Role)> {
    let parse = |links: &[String], role: Role| -> Vec<(Url, Role)> {
        links.iter().filter_map(|link| Url::parse(link).ok()).map(|url| (url, role)).collect()
    };
    let mut links = parse(&page.next_pages, Role::Listing);
    links.extend(parse(&page.product_links, Role::Product));
    links
}

/// What a visit taught about a page, to remember (pages that could not be had teach nothing).
fn visit_of(
    memory: &CrawlMemory,
    page: &Queued,
    key: &str,
    outcome: &PageOutcome,
    links: &[(Url, Role)],
) -> Option<PageVisit> {
    let remembered = memory.page(key);
    if outcome.not_modified {
        let mut kept = remembered?.clone();
        kept.visited_at = memory.now;
        if kept.role == PageRole::Product {
            kept.read_at = Some(memory.now);
            kept.sitemap_lastmod = page.lastmod.or(kept.sitemap_lastmod);
        }
        return Some(PageVisit { url: key.to_string(), memory: kept });
    }
    if !outcome.answered {
        return None;
    }
    let offer_keys = |offers: &mut dyn Iterator<Item = &RawOffer>| -> Vec<String> {
        let mut keys: Vec<String> = offers
            .filter_map(|offer| offer.url.as_deref().and_then(|url| page.url.join(url).ok()))
            .map(|url| canonicalize(&url).to_string())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    let memory_of = |role: PageRole| PageMemory {
        role,
        validators: outcome.validators.clone(),
        sitemap_lastmod: None,
        visited_at: memory.now,
        read_at: None,
        offer_urls: Vec::new(),
        next_pages: Vec::new(),
        product_links: Vec::new(),
        card_agrees: None,
    };
    let visit = match page.role {
        Role::Listing => {
            let mut kept = memory_of(PageRole::Listing);
            kept.offer_urls = outcome
                .cards
                .keys()
                .map(|link| memory.offer_of(link).unwrap_or(link).to_string())
                .chain(offer_keys(&mut outcome.offers.iter()))
                .collect();
            kept.offer_urls.sort_unstable();
            kept.offer_urls.dedup();
            kept.next_pages =
                links.iter().filter(|(_, role)| *role == Role::Listing).map(|(url, _)| url.to_string()).collect();
            kept.product_links =
                links.iter().filter(|(_, role)| *role == Role::Product).map(|(url, _)| url.to_string()).collect();
            // A card stands for the offer its product page gave, which may have another URL than the link.
            kept
        }
        Role::Product => {
            let mut kept = memory_of(PageRole::Product);
            kept.read_at = Some(memory.now);
            kept.sitemap_lastmod = page.lastmod;
            kept.offer_urls = offer_keys(&mut outcome.offers.iter());
            kept.card_agrees = match (&page.card, outcome.offers.as_slice()) {
                (Some(card), [offer]) => Some(card_agrees(card, offer)),
                _ => remembered.and_then(|page| page.card_agrees),
            };
            kept
        }
    };
    Some(PageVisit { url: key.to_string(), memory: visit })
}

/// The product pages the shop's sitemaps list (none when the shop file names no sitemaps), at most `max_pages`, on
/// the shop's own site and matching its `product_urls`. Sitemap files count as pages, and what went wrong reading
/// them as errors, by kind.
async fn sitemap_product_pages(
    shop: &Shop,
    fetcher: &Fetcher,
    max_pages: u64,
    progress: &Progress,
    state: &mut CrawlState,
) -> Vec<SitemapUrl> {
    let crawl = &shop.spec.crawl;
    let homepage = &shop.spec.homepage.0;
    let mut count_error = |kind: &'static str| {
        *state.report.errors.entry(kind).or_default() += 1;
        progress.errors.fetch_add(1, Ordering::Relaxed);
    };
    let roots = match &crawl.sitemaps {
        SitemapSource::None => return Vec::new(),
        SitemapSource::Urls(urls) => urls.iter().map(|url| url.0.clone()).collect(),
        SitemapSource::Site => match site_sitemaps(fetcher, homepage).await {
            Ok(roots) => roots,
            Err(problem) => {
                tracing::warn!(shop = %shop.id, %problem, "the shop's sitemaps were not found");
                count_error(problem.kind());
                return Vec::new();
            }
        },
    };
    apply_politeness(shop, fetcher, &roots);
    let site_hosts: HashSet<&str> =
        crawl.start_urls.iter().map(|url| &url.0).chain([homepage]).filter_map(|url| url.host_str()).collect();
    let keep = |url: &Url| {
        url.host_str().is_some_and(|host| site_hosts.iter().any(|site| same_site(host, site)))
            && crawl.product_urls.as_ref().is_none_or(|pattern| pattern.0.is_match(url.as_str()))
    };
    let limits =
        SitemapLimits { max_urls: usize::try_from(max_pages).unwrap_or(usize::MAX), ..SitemapLimits::default() };
    let found = match discover_matching(fetcher, &roots, &limits, keep).await {
        Ok(found) => found,
        Err(problem) => {
            tracing::warn!(shop = %shop.id, %problem, "no sitemap of the shop could be read");
            count_error(problem.kind());
            return Vec::new();
        }
    };
    for problem in &found.problems {
        tracing::warn!(shop = %shop.id, %problem, "sitemap problem");
        count_error(problem.kind());
    }
    state.report.pages += found.files_read as u64;
    state.report.requests.fetched += found.files_read as u64;
    progress.pages.fetch_add(found.files_read as u64, Ordering::Relaxed);
    tracing::info!(
        shop = %shop.id,
        files = found.files_read,
        product_pages = found.urls.len(),
        more_than_max_pages = found.url_limit_reached,
        "sitemaps read"
    );
    // Sitemaps may list the shop's pages on a host the shop file does not name (`www.` or not): same limits there.
    let mut hosts = HashSet::new();
    let one_page_per_host: Vec<Url> =
        found.urls.iter().filter(|page| hosts.insert(page.url.host_str())).map(|page| page.url.clone()).collect();
    apply_politeness(shop, fetcher, &one_page_per_host);
    found.urls
}

/// Whether two host names are the same site, `www.` or not (sitemaps list one, shop files often name the other).
fn same_site(host: &str, other: &str) -> bool {
    fn bare(host: &str) -> &str {
        match host.get(..4) {
            Some(www) if www.eq_ignore_ascii_case("www.") => &host[4..],
            _ => host,
        }
    }
    bare(host).eq_ignore_ascii_case(bare(other))
}

/// Reads one fetched page: links to follow from listing pages, offers from pages that carry them.
fn read_page(shop: &Shop, url: &Url, text: &str, role: Role, read_cards: bool) -> PageOutcome {
    let crawl = &shop.spec.crawl;
    let mut links = Vec::new();
    let mut cards = HashMap::new();
    if role == Role::Listing && (crawl.product_links.is_some() || crawl.pagination.is_some()) {
        let document = Html::parse_document(text);
        let mut collect = |css: &Option<crate::scrape::shop_spec::CssSelector>, role: Role| {
            if let Some(css) = css {
                for element in document.select(&css.selector) {
                    if let Some(link) = element.value().attr("href").and_then(|href| url.join(href).ok()) {
                        links.push((link, role));
                    }
                }
            }
        };
        collect(&crawl.pagination, Role::Listing);
        collect(&crawl.product_links, Role::Product);
        if let Some(product_links) = crawl.product_links.as_ref().filter(|_| read_cards) {
            let reader = CardReader {
                product_links: &product_links.selector,
                price: crawl.card_price.as_ref().map(|css| &css.selector),
                previous_price: crawl.card_previous_price.as_ref().map(|css| &css.selector),
                currency: &shop.spec.currency.0,
            };
            cards = reader.read(&document, url);
        }
    }
    // With product links to follow, listing pages are navigation only: their cards are read on the product pages
    // (or, in a listing-first crawl, read above and checked against the product pages).
    let read_offers = role == Role::Product || crawl.product_links.is_none();
    if !read_offers {
        return PageOutcome { cards, ..PageOutcome::answered(Vec::new(), links, None) };
    }
    match extract_document(&shop.spec.engine, text, url, Some(&shop.spec.currency.0), shop.spec.timezone.0) {
        Ok(offers) => {
            let error = (offers.is_empty() && role == Role::Product).then_some("no_offer");
            PageOutcome::answered(offers, links, error)
        }
        Err(error) => PageOutcome::answered(Vec::new(), links, Some(error.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_with_or_without_www_is_the_same_site_and_no_other_is() {
        assert!(same_site("www.shop.example", "shop.example"));
        assert!(same_site("shop.example", "WWW.Shop.Example"));
        assert!(!same_site("cdn.shop.example", "shop.example"));
        assert!(!same_site("shop.example.evil", "shop.example"));
    }
}
