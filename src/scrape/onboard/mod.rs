//! `dealcast shop new URL`: from a shop's address to a working, checked shop file, without a selector written by
//! hand.
//!
//! The probe is a crawl in miniature, through the same polite fetcher (robots.txt, per-host limits): the homepage
//! (`platform` tells which platform it runs on), the platform's product endpoint or the sitemaps or the promotion
//! pages (`catalogue`), a few product pages read by `auto` (`engine_choice` picks the engine that reads them, or
//! `derived_selectors` derives selectors), and a pattern for product URLs (`url_pattern`). What it found becomes a
//! shop file with a comment on every choice (`shop_file`) and fixtures of the sampled pages, so `shop check` passes
//! offline at once; the report says what it saw and what a person should check.

pub mod catalogue;
pub mod derived_selectors;
pub mod engine_choice;
pub mod platform;
pub mod shop_file;
pub mod url_pattern;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use scraper::Html;
use serde_json::{Value, json};
use url::Url;

use crate::common::toml_problems::describe_problems;
use crate::scrape::engines::dispatch::extract_document;
use crate::scrape::engines::{auto, prestashop};
use crate::scrape::fetch::{FetchError, Fetcher, Page, ROBOTS_AGENT};
use crate::scrape::fixtures::EXPECTED_SUFFIX;
use crate::scrape::offer::RawOffer;
use crate::scrape::registry::{Shop, is_shop_id, load_file};
use crate::scrape::shop_spec::EngineSpec;
use catalogue::ApiAnswer;
use engine_choice::{EngineChoice, ProductSample};
use platform::{Detection, Platform};
use shop_file::{EngineDraft, ShopFileDraft, SitemapsDraft};

/// Product pages read at most while probing (besides the homepage, robots.txt, sitemaps and listings).
const MAX_PAGE_SAMPLES: usize = 8;
/// Sample pages kept as fixtures.
const MAX_FIXTURES: usize = 3;

/// What the shop adder asked for.
#[derive(Debug, Clone)]
pub struct NewShopRequest {
    pub url: Url,
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OnboardError {
    #[error("could not read the shop's homepage: {source}")]
    Homepage {
        #[source]
        source: FetchError,
    },
    #[error(
        "`{id}` is not a usable shop id (lower-case letters, digits and underscores, starting with a letter): \
         give one with --id"
    )]
    BadId { id: String },
    #[error(
        "found no product on {url}: {tried}. Give the address of a promotions or category page, or write the shop \
         file by hand (README, \"Add a shop\")"
    )]
    NoProducts { url: Url, tried: String },
    #[error("{path} already exists: pass --force to replace it")]
    Exists { path: PathBuf },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the shop file written does not load (this is a bug in `shop new`, please report it):\n{problems}")]
    Unloadable { problems: String },
}

/// How the shop's products are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The platform's public product endpoint.
    PlatformApi { engine: &'static str },
    /// Sitemaps (from robots.txt, or found at a usual place).
    Sitemaps { from_robots: bool, roots: Vec<Url> },
    /// Promotion or listing pages, followed to product pages.
    Listings { pages: Vec<Url> },
}

/// One saved page and the offers it must give.
#[derive(Debug, Clone)]
pub struct FixtureDraft {
    pub case: String,
    pub extension: &'static str,
    pub url: Url,
    pub body: String,
    pub offers: Vec<RawOffer>,
}

/// Everything `shop new` found and proposes.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub id: String,
    pub detection: Detection,
    pub route: Route,
    /// Products the discovery route lists (at least: an API's first page, a sitemap's product URLs).
    pub products_found: usize,
    /// Sample products read, and how many of them had price, currency, name (and previous price where shown).
    pub samples_read: usize,
    pub samples_complete: usize,
    pub draft: ShopFileDraft,
    pub fixtures: Vec<FixtureDraft>,
    /// What a person should check by hand.
    pub to_check: Vec<String>,
    /// Requests made while probing.
    pub requests: usize,
}

/// Probes the shop at `request.url` and proposes its shop file.
pub async fn propose(fetcher: &Fetcher, request: &NewShopRequest) -> Result<Proposal, OnboardError> {
    let mut requests = 1;
    let homepage = fetcher.fetch(&request.url).await.map_err(|source| OnboardError::Homepage { source })?;
    let home = site_root(&homepage.url);
    let id = match &request.id {
        Some(id) => id.clone(),
        None => id_from_host(&home),
    };
    if !is_shop_id(&id) {
        return Err(OnboardError::BadId { id });
    }
    let detection = platform::detect(&homepage.text, homepage.header_names.iter().map(String::as_str));
    let shown_currency = currency_in_page(&homepage.text);
    let currency_hint = shown_currency.clone().unwrap_or_else(|| "EUR".to_string());
    let mut to_check = Vec::new();

    for candidate in detection.candidates().into_iter().filter(|p| catalogue::has_product_endpoint(*p)) {
        requests += 1;
        if let Some(answer) = catalogue::platform_api(fetcher, candidate, &home, &currency_hint).await {
            return Ok(api_proposal(id, request, &homepage, detection, answer, shown_currency, requests));
        }
        to_check.push(format!(
            "The {candidate} product endpoint did not answer with products (closed, or another platform): the shop's \
             pages are read instead."
        ));
    }

    // Sitemaps first: they list the whole catalogue; promotion pages only what is on sale today.
    let sitemaps = catalogue::sitemaps(fetcher, &home).await;
    requests += 2;
    let (route, candidates, listing_pages) = match &sitemaps {
        Some(found) => {
            to_check.extend(found.problems.iter().map(|p| format!("Sitemap problem: {p}")));
            let urls: Vec<Url> = found.urls.iter().filter(|u| **u != home).cloned().collect();
            (Route::Sitemaps { from_robots: found.from_robots, roots: found.roots.clone() }, urls, Vec::new())
        }
        None => {
            let mut pages = catalogue::promotion_links(&homepage);
            if pages.is_empty() {
                to_check.push(
                    "No sitemap and no promotion link on the homepage: products are read from the \
                               homepage's links; add promotion pages to start_urls."
                        .to_string(),
                );
                pages.push(homepage.url.clone());
            }
            let mut links = Vec::new();
            let mut listings = Vec::new();
            for url in &pages {
                requests += 1;
                let Ok(page) = fetcher.fetch(url).await else { continue };
                links.extend(catalogue::page_links(&page, false).into_iter().map(|(url, _)| url));
                listings.push(page);
            }
            let mut seen = std::collections::HashSet::new();
            links.retain(|url| !pages.contains(url) && seen.insert(url.clone()));
            (Route::Listings { pages }, links, listings)
        }
    };

    // Pages robots.txt keeps us from are neither sampled nor reported: the crawl will not read them either.
    let rules = if fetcher.settings().obey_robots { fetcher.robots_rules(&home).await.ok().flatten() } else { None };
    let candidates: Vec<Url> = candidates
        .into_iter()
        .filter(|url| rules.as_ref().is_none_or(|rules| rules.allowed(ROBOTS_AGENT, url.as_str())))
        .collect();
    let mut samples: Vec<ProductSample> = Vec::new();
    let mut others: Vec<Url> = vec![home.clone()];
    others.extend(listing_pages.iter().map(|p| p.url.clone()));
    let mut to_sample = catalogue::spread(&candidates, MAX_PAGE_SAMPLES);
    let mut tried = 0;
    while let Some(url) = to_sample.pop() {
        tried += 1;
        if to_sample.is_empty() && samples.len() < 2 && tried <= MAX_PAGE_SAMPLES {
            // Few products among pages picked evenly (a sitemap of categories and articles with products at the
            // end): a second round among the URLs shaped like product pages.
            to_sample = candidates
                .iter()
                .filter(|u| PRODUCT_LIKE.is_match(u.as_str()) && !others.contains(u) && **u != url)
                .filter(|u| !samples.iter().any(|s| s.url == **u))
                .take(MAX_PAGE_SAMPLES)
                .cloned()
                .collect();
            to_sample.reverse();
        }
        requests += 1;
        let page = match fetcher.fetch(&url).await {
            Ok(page) => page,
            Err(error) => {
                to_check.push(format!("Sample {url} could not be read: {error}"));
                continue;
            }
        };
        let extraction = auto::extract(&page.text, &page.url);
        let product = match platform_page(detection.platform, &page) {
            PlatformPage::Product(product) => Some(*product),
            PlatformPage::Other => None,
            PlatformPage::Unknown => extraction.main().cloned(),
        };
        match product {
            Some(product) => samples.push(ProductSample { url: page.url, html: page.text, auto: extraction, product }),
            None => others.push(url),
        }
    }
    if samples.is_empty() {
        let tried = match &route {
            Route::Sitemaps { roots, .. } => format!(
                "{} sitemap URLs, {} sampled, none a priced product ({})",
                candidates.len(),
                candidates.len().min(MAX_PAGE_SAMPLES),
                roots.iter().map(Url::as_str).collect::<Vec<_>>().join(", ")
            ),
            Route::Listings { pages } => format!(
                "no sitemap; {} links from {}, none a priced product",
                candidates.len(),
                pages.iter().map(Url::as_str).collect::<Vec<_>>().join(", ")
            ),
            Route::PlatformApi { .. } => String::new(),
        };
        return Err(OnboardError::NoProducts { url: request.url.clone(), tried });
    }
    let product_urls: Vec<Url> = samples.iter().map(|s| s.url.clone()).collect();
    let pattern = url_pattern::product_url_pattern(&product_urls, &others);
    let pattern_regex = pattern.as_deref().and_then(|p| Regex::new(p).ok());
    let products_found = match &pattern_regex {
        Some(regex) => candidates.iter().filter(|u| regex.is_match(u.as_str())).count(),
        None => candidates.len(),
    };
    let currency = shown_currency
        .or_else(|| majority(samples.iter().filter_map(|s| s.main().currency.clone())))
        .unwrap_or_else(|| {
            to_check.push("No currency shown: EUR assumed; set `currency` if the shop sells in another.".to_string());
            "EUR".to_string()
        });
    let choice = engine_choice::choose(detection.platform, &samples, &currency);
    let samples_complete = samples.iter().filter(|s| is_complete(s.main(), &s.html)).count();
    if pattern.is_none() {
        to_check.push(
            "No URL pattern tells product pages from the others: every page found is read (pages \
                       without a product are counted as no_offer)."
                .to_string(),
        );
    }

    let mut draft = base_draft(request, &homepage, &home, &currency, &detection, choice);
    match &route {
        Route::Sitemaps { from_robots, roots } => {
            draft.sitemaps =
                if *from_robots { SitemapsDraft::FromRobots } else { SitemapsDraft::Listed(roots.clone()) };
            draft.product_urls = pattern.clone();
            draft.max_pages = Some(max_pages_for(products_found));
            draft.crawl_why = vec![format!(
                "The catalogue comes from the sitemaps ({}): {} URLs, {products_found} of them product pages by the \
                 pattern below, which matched every sampled product page and none of the other pages sampled.",
                if *from_robots {
                    "named in robots.txt".to_string()
                } else {
                    roots.iter().map(Url::as_str).collect::<Vec<_>>().join(", ")
                },
                candidates.len(),
            )];
        }
        Route::Listings { pages } => {
            draft.start_urls = pages.clone();
            draft.product_links = Some("a[href]".to_string());
            let next = listing_pages.iter().any(|p| p.text.contains("rel=\"next\"") || p.text.contains("rel='next'"));
            if next {
                draft.pagination = Some("a[rel=next], link[rel=next]".to_string());
            }
            let listing_patterns: Vec<String> =
                pages.iter().map(|u| format!(r"{}(\?.*)?$", regex::escape(u.path()))).collect();
            draft.follow_only = pattern.as_ref().map(|p| format!("{p}|{}", listing_patterns.join("|")));
            draft.max_pages = Some(max_pages_for(products_found * 4));
            draft.crawl_why = vec![format!(
                "No sitemap: the crawl starts from the promotion pages linked from the homepage, follows their \
                 links{} to product pages ({} links on the first pages). follow_only keeps to product pages and \
                 the listings' own pages.",
                if next { " and their rel=next pagination" } else { "" },
                candidates.len(),
            )];
            to_check.push(
                "Only products on the promotion pages are found: add category pages to start_urls for \
                           the whole catalogue."
                    .to_string(),
            );
        }
        Route::PlatformApi { .. } => {}
    }
    let engine = engine_spec(&draft.engine);
    let fixtures = samples
        .iter()
        .take(MAX_FIXTURES)
        .map(|sample| FixtureDraft {
            case: case_name(&sample.url),
            extension: "html",
            url: sample.url.clone(),
            body: sample.html.clone(),
            offers: extract_document(
                &engine,
                &sample.html,
                &sample.url,
                Some(&currency),
                crate::scrape::shop_spec::TimeZone::default().0,
            )
            .unwrap_or_default(),
        })
        .collect();
    to_check.push(
        "Prices are read as the shop shows them to a visitor without a cookie: check one product's \
                   price in your browser."
            .to_string(),
    );
    draft.header.extend(to_check.iter().map(|line| format!("Check: {line}")));
    Ok(Proposal {
        id,
        detection,
        route,
        products_found,
        samples_read: samples.len(),
        samples_complete,
        draft,
        fixtures,
        to_check,
        requests,
    })
}

/// What a platform's own markers say a page is.
enum PlatformPage {
    /// A product page, and its product as the platform's page data gives it.
    Product(Box<RawOffer>),
    /// Another kind of page (category, content, home, cart).
    Other,
    /// The platform says nothing (or has no page markers): `auto` judges.
    Unknown,
}

fn platform_page(platform: Platform, page: &Page) -> PlatformPage {
    if platform != Platform::PrestaShop {
        return PlatformPage::Unknown;
    }
    // PrestaShop names each page type on `<body>` and puts the product a product page presents in it as JSON: a
    // category page full of priced miniatures is never taken for a product.
    let document = Html::parse_document(&page.text);
    if prestashop::is_product_page(&document) {
        let product = prestashop::extract(&page.text, &page.url).into_iter().next();
        return match product.filter(|p| p.price.is_some()) {
            Some(product) => PlatformPage::Product(Box::new(product)),
            None => PlatformPage::Unknown,
        };
    }
    match prestashop::page_type(&document) {
        Some(_) => PlatformPage::Other,
        None => PlatformPage::Unknown,
    }
}

fn api_proposal(
    id: String,
    request: &NewShopRequest,
    homepage: &Page,
    detection: Detection,
    answer: ApiAnswer,
    shown_currency: Option<String>,
    requests: usize,
) -> Proposal {
    let home = site_root(&homepage.url);
    let currency = majority(answer.offers.iter().filter_map(|o| o.currency.clone()))
        .or(shown_currency)
        .unwrap_or_else(|| "EUR".to_string());
    let platform = answer.platform;
    let why = vec![format!(
        "{platform}: its public product endpoint ({}) answered with {} products: no page needs parsing, and prices \
         come exactly as the shop stores them.",
        answer.page.url,
        answer.offers.len()
    )];
    let choice = EngineChoice { engine: EngineDraft::Named(answer.engine), why };
    let mut draft = base_draft(request, homepage, &home, &currency, &detection, choice);
    draft.start_urls = vec![home.clone()];
    draft.crawl_why = vec!["The engine pages through the endpoint from the shop's root.".to_string()];
    let engine = engine_spec(&draft.engine);
    let offers = extract_document(
        &engine,
        &answer.page.text,
        &answer.page.url,
        Some(&currency),
        crate::scrape::shop_spec::TimeZone::default().0,
    )
    .unwrap_or_default();
    let samples_complete =
        offers.iter().filter(|o| o.price.is_some() && o.currency.is_some() && !o.name.is_empty()).count();
    let to_check = vec![format!(
        "The endpoint's first page lists {} products{}: compare one with its page in your browser.",
        offers.len(),
        if offers.len() >= 100 { " (there are more pages)" } else { "" }
    )];
    draft.header.extend(to_check.iter().map(|line| format!("Check: {line}")));
    Proposal {
        id,
        detection,
        route: Route::PlatformApi { engine: answer.engine },
        products_found: offers.len(),
        samples_read: offers.len(),
        samples_complete,
        draft,
        fixtures: vec![FixtureDraft {
            case: "products-page-1".to_string(),
            extension: "json",
            url: answer.page.url.clone(),
            body: answer.page.text.clone(),
            offers,
        }],
        to_check,
        requests,
    }
}

fn base_draft(
    request: &NewShopRequest,
    homepage: &Page,
    home: &Url,
    currency: &str,
    detection: &Detection,
    choice: EngineChoice,
) -> ShopFileDraft {
    let name = request.name.clone().unwrap_or_else(|| shop_name(&homepage.text, home));
    let signs = detection.signs_of(detection.platform);
    let platform_line = if signs.is_empty() {
        format!("Platform: {} (no platform's fingerprint on the homepage).", detection.platform)
    } else {
        format!("Platform: {} ({}).", detection.platform, signs.join("; "))
    };
    ShopFileDraft {
        name,
        homepage: home.clone(),
        currency: currency.to_string(),
        language: page_language(&homepage.text).unwrap_or_else(|| "fr".to_string()),
        header: vec![
            format!("Written by `dealcast shop new {}` on {}.", request.url, chrono::Utc::now().format("%Y-%m-%d")),
            platform_line,
        ],
        engine: choice.engine,
        engine_why: choice.why,
        start_urls: Vec::new(),
        sitemaps: SitemapsDraft::Off,
        product_urls: None,
        product_links: None,
        pagination: None,
        follow_only: None,
        max_pages: None,
        crawl_why: Vec::new(),
    }
}

/// Enough pages for every product found and then some, within reason for one run.
fn max_pages_for(products: usize) -> u32 {
    let wanted = products.saturating_mul(5) / 4 + 50;
    u32::try_from(wanted).unwrap_or(u32::MAX).clamp(100, 100_000)
}

fn engine_spec(draft: &EngineDraft) -> EngineSpec {
    match draft {
        EngineDraft::Named(name) => crate::scrape::engines::dispatch::engine_by_name(name).unwrap_or_default(),
        EngineDraft::Selectors(spec) => EngineSpec::Selectors(spec.clone()),
    }
}

/// Whether a sample gives what a deal needs: name, price, currency, and the crossed-out price when the page shows
/// one (a `<del>`/`<s>` or a "was" class near the price, judged on the raw page).
fn is_complete(main: &RawOffer, html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    let shows_crossed_out = ["<del", "<s>", "<s ", "<strike", "line-through"].iter().any(|m| lower.contains(m));
    !main.name.is_empty()
        && main.price.is_some()
        && main.currency.is_some()
        && (main.previous_price.is_some() || !shows_crossed_out)
}

fn majority(values: impl Iterator<Item = String>) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for value in values {
        match counts.iter_mut().find(|(v, _)| *v == value) {
            Some((_, count)) => *count += 1,
            None => counts.push((value, 1)),
        }
    }
    counts.into_iter().max_by_key(|(_, count)| *count).map(|(value, _)| value)
}

/// The shop's root: scheme, host and port of the page.
fn site_root(url: &Url) -> Url {
    let mut root = url.clone();
    root.set_path("/");
    root.set_query(None);
    root.set_fragment(None);
    root
}

/// A shop id from the host: `www.la-boutique.fr` → `la_boutique`.
pub fn id_from_host(home: &Url) -> String {
    let host = home.host_str().unwrap_or("shop").trim_start_matches("www.");
    let labels: Vec<&str> = host.split('.').collect();
    let main = if labels.len() > 1 && !host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        labels[..labels.len() - 1].join("_")
    } else {
        host.to_string()
    };
    let mut id: String =
        main.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id = format!("shop_{id}");
    }
    id
}

/// URLs that look like product pages: a product directory, a long number, `.html`.
static PRODUCT_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)/(?:p|products?|produits?|artikel|items?|dp|prodotto|producto|produkt)/|\d{3,}|\.html?$")
        .expect("a valid regex")
});

static META_CONTENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<meta\s+[^>]*property=["']og:site_name["'][^>]*content=["']([^"']+)["']"#)
        .expect("a valid regex")
});
static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<title[^>]*>([^<]+)</title>").expect("a valid regex"));
static LANG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<html[^>]*\slang=["']?([a-zA-Z]{2,3})"#).expect("a valid regex"));
static CURRENCY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:priceCurrency"?\s*(?:content=|:)\s*"|og:price:currency"\s+content="|"currency(?:_?code|Code)?"\s*:\s*"|"iso_code"\s*:\s*"|"active"\s*:\s*")([A-Z]{3})""#,
    )
    .expect("a valid regex")
});

/// The shop's name as it calls itself: og:site_name, else the homepage title's last part, else the host.
fn shop_name(html: &str, home: &Url) -> String {
    let decode = |text: &str| html_escape::decode_html_entities(text.trim()).into_owned();
    if let Some(name) = META_CONTENT.captures(html).map(|c| decode(&c[1])).filter(|n| !n.is_empty()) {
        return name;
    }
    if let Some(title) = TITLE.captures(html).map(|c| decode(&c[1])) {
        // "Robes et jeans | Maison Anna": the shop names itself last.
        let name = [" | ", " - ", " – "]
            .iter()
            .find_map(|separator| title.rsplit(separator).next().filter(|_| title.contains(separator)));
        if let Some(name) = name.map(str::trim).filter(|name| !name.is_empty()) {
            return name.to_string();
        }
    }
    home.host_str().unwrap_or("shop").trim_start_matches("www.").to_string()
}

fn page_language(html: &str) -> Option<String> {
    LANG.captures(html).map(|c| c[1].to_ascii_lowercase())
}

/// A currency the homepage states in its structured data or platform globals.
fn currency_in_page(html: &str) -> Option<String> {
    majority(CURRENCY.captures_iter(html).map(|c| c[1].to_string()))
}

/// A fixture's case name from a product URL: its last path segment, tidied.
fn case_name(url: &Url) -> String {
    let last = url.path_segments().and_then(|mut s| s.rfind(|s| !s.is_empty())).unwrap_or("page");
    let stem = last.rsplit_once('.').map_or(last, |(stem, _)| stem);
    let mut name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    name.truncate(48);
    if name.is_empty() { "page".to_string() } else { name }
}

/// The expectation file of a fixture: the page's URL and the offers it gives, with the fields worth checking.
fn expectation(fixture: &FixtureDraft) -> Value {
    let offers: Vec<Value> = fixture
        .offers
        .iter()
        .map(|offer| {
            let mut fields = json!({"name": offer.name, "price": offer.price.map(|p| p.to_string())});
            if let Some(previous) = offer.previous_price {
                fields["previous_price"] = json!(previous.to_string());
            }
            if let Some(currency) = &offer.currency {
                fields["currency"] = json!(currency);
            }
            fields
        })
        .collect();
    json!({"url": fixture.url.as_str(), "offers": offers})
}

/// What `write` created.
#[derive(Debug, Clone)]
pub struct Written {
    pub shop_file: PathBuf,
    pub fixtures_dir: PathBuf,
    /// Failures of the fixtures replayed through the written file (empty: `shop check` passes).
    pub check_failures: Vec<String>,
}

/// Writes the shop file and its fixtures into `scrapers_dir`, after checking that the file loads; never replaces
/// an existing shop file unless `force`. The fixtures are then replayed through the file as `shop check` would.
pub fn write(scrapers_dir: &Path, proposal: &Proposal, force: bool) -> Result<Written, OnboardError> {
    let shop_file = scrapers_dir.join(format!("{}.toml", proposal.id));
    if shop_file.exists() && !force {
        return Err(OnboardError::Exists { path: shop_file });
    }
    let text = proposal.draft.render();
    crate::common::toml_problems::parse_all::<crate::scrape::shop_spec::ShopSpec>(&text).map_err(|problems| {
        OnboardError::Unloadable { problems: describe_problems("The new shop file", &shop_file, &problems) }
    })?;
    let write = |path: &Path, contents: &[u8]| {
        std::fs::write(path, contents).map_err(|source| OnboardError::Write { path: path.to_path_buf(), source })
    };
    let fixtures_dir = scrapers_dir.join("fixtures").join(&proposal.id);
    if force && fixtures_dir.is_dir() {
        std::fs::remove_dir_all(&fixtures_dir)
            .map_err(|source| OnboardError::Write { path: fixtures_dir.clone(), source })?;
    }
    std::fs::create_dir_all(&fixtures_dir)
        .map_err(|source| OnboardError::Write { path: fixtures_dir.clone(), source })?;
    write(&shop_file, text.as_bytes())?;
    for fixture in &proposal.fixtures {
        write(&fixtures_dir.join(format!("{}.{}", fixture.case, fixture.extension)), fixture.body.as_bytes())?;
        let expected = serde_json::to_string_pretty(&expectation(fixture)).unwrap_or_default();
        write(&fixtures_dir.join(format!("{}{EXPECTED_SUFFIX}", fixture.case)), expected.as_bytes())?;
    }
    let loaded = load_file(&shop_file).map_err(|problems| OnboardError::Unloadable {
        problems: describe_problems("The new shop file", &shop_file, &problems),
    })?;
    let shop = Shop { id: proposal.id.clone(), file: shop_file.clone(), spec: loaded };
    let registry_fixtures = crate::scrape::fixtures::fixtures_in(&fixtures_dir);
    let check_failures = registry_fixtures
        .iter()
        .map(|fixture| crate::scrape::fixtures::check_fixture(&shop, fixture))
        .flat_map(|result| result.mismatches.into_iter().map(move |m| format!("{}: {m}", result.fixture)))
        .collect();
    Ok(Written { shop_file, fixtures_dir, check_failures })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_ids_come_from_the_host() {
        let id = |u: &str| id_from_host(&Url::parse(u).unwrap());
        assert_eq!(id("https://www.la-boutique.fr/"), "la_boutique");
        assert_eq!(id("https://shop.example.co/"), "shop_example");
        assert_eq!(id("http://127.0.0.1:8080/"), "shop_127_0_0_1");
        assert!(is_shop_id(&id("http://127.0.0.1:8080/")));
    }

    #[test]
    fn names_languages_and_currencies_are_read_from_the_homepage() {
        let html = r#"<html lang="fr-FR"><head><title>Robes et jeans | Maison Anna</title>
            <script type="application/ld+json">{"priceCurrency":"EUR"}</script></head></html>"#;
        let home = Url::parse("https://anna.example/").unwrap();
        assert_eq!(shop_name(html, &home), "Maison Anna");
        assert_eq!(page_language(html).as_deref(), Some("fr"));
        assert_eq!(currency_in_page(html).as_deref(), Some("EUR"));
        let og = r#"<meta property="og:site_name" content="L&#39;Atelier">"#;
        assert_eq!(shop_name(og, &home), "L'Atelier");
    }

    #[test]
    fn fixture_cases_are_named_after_the_product_url() {
        let case = |u: &str| case_name(&Url::parse(u).unwrap());
        assert_eq!(case("https://s.example/p/Robe_Midi-123.html?x=1"), "robe-midi-123");
        assert_eq!(case("https://s.example/"), "page");
    }
}
