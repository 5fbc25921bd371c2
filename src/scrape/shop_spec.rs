//! A shop, as its file in `scrapers/<shop>.toml` describes it: where to start, which engine reads its pages, how to
//! follow links, when to scrape and how gently.
//!
//! Adding a shop is adding data, so the file is checked as thoroughly as code would be: every value that can be
//! wrong (a URL, a CSS selector, a cron schedule, a time zone, a currency code, a regular expression) is parsed when
//! the file is read, into a type that can only hold a valid value, and every problem of the file is reported at
//! once with its line and field (see `toml_problems`).

use std::num::{NonZeroU32, NonZeroUsize};
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use url::Url;

/// Everything one shop file says.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopSpec {
    /// The shop's name as readers know it ("Kiabi").
    pub name: String,
    pub homepage: HttpUrl,
    /// The currency of prices that do not say theirs.
    #[serde(default = "default_currency")]
    pub currency: CurrencyCode,
    /// The language of the shop's pages (BCP 47, "fr").
    #[serde(default = "default_language")]
    pub language: String,
    /// When to scrape (cron, six fields with seconds first; five-field input is accepted).
    #[serde(default = "default_schedule")]
    pub schedule: CronSchedule,
    /// The time zone the schedule is read in.
    #[serde(default)]
    pub timezone: TimeZone,
    /// Multiplies the score of this shop's deals.
    #[serde(default = "default_weight")]
    pub weight: Decimal,
    #[serde(default)]
    pub engine: EngineSpec,
    #[serde(default)]
    pub crawl: CrawlSpec,
    #[serde(default)]
    pub politeness: PolitenessSpec,
}

fn default_currency() -> CurrencyCode {
    CurrencyCode("EUR".to_string())
}

fn default_language() -> String {
    "fr".to_string()
}

fn default_schedule() -> CronSchedule {
    CronSchedule::from_str("0 30 6,18 * * *").expect("the default schedule is valid")
}

fn default_weight() -> Decimal {
    Decimal::ONE
}

/// Which engine reads the shop's pages, with its options. A closed set: adding an engine is adding a variant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EngineSpec {
    /// Tries JSON-LD, microdata, OpenGraph, then a visible-price heuristic, and says which one answered.
    #[default]
    Auto,
    JsonLd,
    Microdata,
    #[serde(rename = "opengraph")]
    OpenGraph,
    /// CSS selectors for shops without usable structured data.
    Selectors(Box<SelectorsSpec>),
    /// The public `/products.json` of a Shopify store.
    Shopify,
    /// An RSS, Atom or JSON Feed of promotions.
    Feed,
    /// A WooCommerce shop's public Store API (`/wp-json/wc/store/v1/products`), its pages read with `auto` when the
    /// API is closed.
    #[serde(rename = "woocommerce")]
    WooCommerce,
    /// A PrestaShop 1.7/8 shop's pages: the product JSON of product pages, the product miniatures of listings.
    #[serde(rename = "prestashop")]
    PrestaShop,
    /// A Magento 2 / Adobe Commerce shop's storefront GraphQL `products` query, its pages read with `auto` when
    /// GraphQL is closed.
    Magento,
}

impl EngineSpec {
    /// The engine's name as written in shop files and printed in extracted offers.
    pub fn name(&self) -> &'static str {
        match self {
            EngineSpec::Auto => "auto",
            EngineSpec::JsonLd => "json_ld",
            EngineSpec::Microdata => "microdata",
            EngineSpec::OpenGraph => "opengraph",
            EngineSpec::Selectors(_) => "selectors",
            EngineSpec::Shopify => "shopify",
            EngineSpec::Feed => "feed",
            EngineSpec::WooCommerce => "woocommerce",
            EngineSpec::PrestaShop => "prestashop",
            EngineSpec::Magento => "magento",
        }
    }
}

/// Where the `selectors` engine finds each field. Selectors are read inside `scope` (when given) and never inside
/// `exclude`, so that recommendation blocks are not read as the main product.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorsSpec {
    /// Only this part of the page is read (e.g. `main`, `.product__info`).
    pub scope: Option<CssSelector>,
    /// Parts of the page never read (recommendations, carousels, "you may also like").
    #[serde(default)]
    pub exclude: Vec<CssSelector>,
    /// One offer per matching element (a listing page); without it the page is one product.
    pub item: Option<CssSelector>,
    pub title: CssSelector,
    pub price: Option<CssSelector>,
    pub previous_price: Option<CssSelector>,
    /// The offer's link (its `href`); without it, the page URL.
    pub link: Option<CssSelector>,
    /// The offer's image (its `src`, `data-src` or `content`).
    pub image: Option<CssSelector>,
    pub promo_code: Option<CssSelector>,
    /// When the promotion ends (text such as "jusqu'au 30/11/2026", or a `datetime` attribute).
    pub ends: Option<CssSelector>,
}

/// How to walk the shop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlSpec {
    /// Listing, category, promotion, API or feed URLs the crawl starts from (default: the homepage).
    #[serde(default)]
    pub start_urls: Vec<HttpUrl>,
    /// Links to product pages, followed from listing pages. When set, listing pages are only read for links.
    pub product_links: Option<CssSelector>,
    /// Links to the next listing pages.
    pub pagination: Option<CssSelector>,
    /// Only links whose URL matches this regular expression are followed.
    pub follow_only: Option<UrlPattern>,
    /// The most pages one run fetches.
    #[serde(default = "default_max_pages")]
    pub max_pages: NonZeroU32,
    /// How many links away from a start URL the crawl may go (following pagination does not count: the next page
    /// of a listing is the same listing).
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    /// Sitemaps to find product pages in: `true` (the `Sitemap:` lines of robots.txt, else `/sitemap.xml`) or a
    /// list of sitemap URLs. Without start URLs, the shop is then crawled from its sitemaps alone.
    #[serde(default)]
    pub sitemaps: SitemapSource,
    /// Which URLs of the sitemaps are product pages (default: every URL they list).
    pub product_urls: Option<UrlPattern>,
    /// Listing-first harvests: a known product's price is taken from its card on the listing pages, and its product
    /// page fetched only when needed (new product, unreadable card, details missing, refresh due). Default: on
    /// whenever `product_links` is set; `false` reads every product page at every harvest.
    pub listing_first: Option<bool>,
    /// How often a product page known from its listing card is read again anyway, in days (spread over the second
    /// half of the interval).
    #[serde(default = "default_refresh_days")]
    pub refresh_days: NonZeroU32,
    /// The price inside a listing card, when the cards' amounts are not enough to tell (default: read from what the
    /// card shows).
    pub card_price: Option<CssSelector>,
    /// The crossed-out price inside a listing card (with `card_price`).
    pub card_previous_price: Option<CssSelector>,
}

impl CrawlSpec {
    /// Whether listing cards stand in for product pages (`listing_first`, by default when `product_links` is set).
    pub fn reads_cards(&self) -> bool {
        self.product_links.is_some() && self.listing_first.unwrap_or(true)
    }
}

impl Default for CrawlSpec {
    fn default() -> Self {
        CrawlSpec {
            start_urls: Vec::new(),
            product_links: None,
            pagination: None,
            follow_only: None,
            max_pages: default_max_pages(),
            max_depth: default_max_depth(),
            sitemaps: SitemapSource::None,
            product_urls: None,
            listing_first: None,
            refresh_days: default_refresh_days(),
            card_price: None,
            card_previous_price: None,
        }
    }
}

fn default_refresh_days() -> NonZeroU32 {
    NonZeroU32::new(7).expect("non-zero")
}

fn default_max_pages() -> NonZeroU32 {
    NonZeroU32::new(2000).expect("non-zero")
}

fn default_max_depth() -> u32 {
    5
}

/// Where a shop's sitemaps are (`[crawl] sitemaps`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SitemapSource {
    /// `false` or absent: no sitemap is read.
    #[default]
    None,
    /// `true`: the `Sitemap:` lines of the homepage's robots.txt, else `/sitemap.xml`.
    Site,
    /// These sitemaps (or sitemap indexes).
    Urls(Vec<HttpUrl>),
}

impl SitemapSource {
    /// Whether sitemaps are read at all.
    pub fn is_some(&self) -> bool {
        *self != SitemapSource::None
    }
}

/// Read by hand rather than as an untagged enum, so that a wrong value is told what is expected, and a bad URL in
/// the list is named.
impl<'de> Deserialize<'de> for SitemapSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expected;

        impl<'de> serde::de::Visitor<'de> for Expected {
            type Value = SitemapSource;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("`true`, `false` or a list of sitemap URLs")
            }

            fn visit_bool<E: serde::de::Error>(self, read: bool) -> Result<SitemapSource, E> {
                Ok(if read { SitemapSource::Site } else { SitemapSource::None })
            }

            fn visit_str<E: serde::de::Error>(self, url: &str) -> Result<SitemapSource, E> {
                Ok(SitemapSource::Urls(vec![HttpUrl::try_from(url.to_string()).map_err(E::custom)?]))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut list: A) -> Result<SitemapSource, A::Error> {
                let mut urls = Vec::new();
                while let Some(url) = list.next_element::<String>()? {
                    urls.push(HttpUrl::try_from(url).map_err(serde::de::Error::custom)?);
                }
                Ok(if urls.is_empty() { SitemapSource::None } else { SitemapSource::Urls(urls) })
            }
        }

        deserializer.deserialize_any(Expected)
    }
}

/// Overrides of the polite defaults for this shop's hosts (a shop that asks for slower crawling, or a loopback
/// benchmark where the limits are lifted).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolitenessSpec {
    /// Milliseconds between two requests to one host.
    pub min_delay_ms: Option<u64>,
    /// Requests in flight to one host at most.
    pub max_concurrency: Option<NonZeroUsize>,
}

impl PolitenessSpec {
    pub fn min_delay(&self) -> Option<Duration> {
        self.min_delay_ms.map(Duration::from_millis)
    }
}

/// An absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HttpUrl(pub Url);

impl TryFrom<String> for HttpUrl {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let url = Url::parse(&raw).map_err(|e| format!("`{raw}` is not a URL ({e})"))?;
        match url.scheme() {
            "http" | "https" => Ok(HttpUrl(url)),
            other => Err(format!("`{raw}` is not an http(s) URL (scheme `{other}`)")),
        }
    }
}

/// A CSS selector, checked when the file is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct CssSelector {
    pub text: String,
    pub selector: scraper::Selector,
}

impl TryFrom<String> for CssSelector {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let selector = scraper::Selector::parse(&text).map_err(|e| format!("`{text}` is not a CSS selector ({e})"))?;
        Ok(CssSelector { text, selector })
    }
}

/// A cron schedule. Six fields, seconds first (`0 30 6 * * *`); the usual five-field form is accepted and runs at
/// second 0.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct CronSchedule {
    pub text: String,
    pub schedule: cron::Schedule,
}

impl FromStr for CronSchedule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let fields = text.split_whitespace().count();
        let six = if fields == 5 { format!("0 {text}") } else { text.to_string() };
        let schedule = cron::Schedule::from_str(&six).map_err(|e| format!("`{text}` is not a cron schedule ({e})"))?;
        Ok(CronSchedule { text: text.to_string(), schedule })
    }
}

impl PartialEq for CronSchedule {
    /// Two schedules are the same when they are written the same.
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl TryFrom<String> for CronSchedule {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

/// An IANA time zone ("Europe/Paris").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TimeZone(pub chrono_tz::Tz);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::Europe::Paris)
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| format!("`{text}` is not an IANA time zone"))
    }
}

/// An ISO 4217 currency code, upper case ("EUR").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct CurrencyCode(pub String);

impl TryFrom<String> for CurrencyCode {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(CurrencyCode(text))
        } else {
            Err(format!("`{text}` is not an ISO 4217 currency code (three capital letters, such as EUR)"))
        }
    }
}

/// A regular expression matched against URLs.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct UrlPattern(pub regex::Regex);

impl TryFrom<String> for UrlPattern {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        regex::Regex::new(&text).map(UrlPattern).map_err(|e| format!("`{text}` is not a regular expression ({e})"))
    }
}

impl ShopSpec {
    /// Checks what no single field can check alone; each problem names its field.
    pub fn cross_check(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.weight.is_sign_negative() {
            problems.push(("weight", format!("must not be negative (got {})", self.weight)));
        }
        if self.crawl.start_urls.is_empty() && matches!(self.engine, EngineSpec::Feed) {
            problems.push(("crawl.start_urls", "a feed shop needs the feed's URL in start_urls".to_string()));
        }
        if self.language.is_empty() || !self.language.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            problems.push(("language", format!("`{}` is not a language tag such as `fr`", self.language)));
        }
        if self.crawl.product_urls.is_some() && !self.crawl.sitemaps.is_some() {
            problems.push((
                "crawl.product_urls",
                "chooses among the URLs of the shop's sitemaps: set `sitemaps = true` or list the sitemaps".to_string(),
            ));
        }
        if self.crawl.sitemaps.is_some() && matches!(self.engine, EngineSpec::Shopify | EngineSpec::Feed) {
            problems.push((
                "crawl.sitemaps",
                format!("the {} engine does not read product pages, so sitemaps would not be used", self.engine.name()),
            ));
        }
        if self.politeness.max_concurrency.is_some_and(|n| n.get() > 256) {
            problems.push(("politeness.max_concurrency", "at most 256 requests in flight per host".to_string()));
        }
        problems
    }

    /// Where the crawl starts: the start URLs, or the homepage (none when the shop is crawled from its sitemaps).
    pub fn start_urls(&self) -> Vec<Url> {
        if self.crawl.start_urls.is_empty() && self.crawl.sitemaps.is_some() {
            Vec::new()
        } else if self.crawl.start_urls.is_empty() {
            vec![self.homepage.0.clone()]
        } else {
            self.crawl.start_urls.iter().map(|u| u.0.clone()).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::toml_problems::parse_all;

    #[test]
    fn a_minimal_shop_file_gets_safe_defaults() {
        let spec: ShopSpec = parse_all("name = \"Kiabi\"\nhomepage = \"https://www.kiabi.com/\"\n").unwrap();
        assert_eq!(spec.currency.0, "EUR");
        assert_eq!(spec.timezone.0, chrono_tz::Europe::Paris);
        assert_eq!(spec.engine.name(), "auto");
        assert_eq!(spec.start_urls(), [Url::parse("https://www.kiabi.com/").unwrap()]);
        assert_eq!(spec.crawl.max_pages.get(), 2000);
    }

    #[test]
    fn a_selectors_shop_is_read_with_its_options() {
        let spec: ShopSpec = parse_all(
            "name = \"Demo\"\nhomepage = \"https://demo.example/\"\nschedule = \"15 7 * * *\"\n\
             [engine]\nkind = \"selectors\"\nitem = \".card\"\ntitle = \".card h2\"\nprice = \".price\"\n\
             exclude = [\".reco\"]\n[crawl]\nstart_urls = [\"https://demo.example/promos\"]\n\
             pagination = \"a[rel=next]\"\n[politeness]\nmin_delay_ms = 2000\n",
        )
        .unwrap();
        let EngineSpec::Selectors(selectors) = &spec.engine else { panic!("not selectors: {:?}", spec.engine) };
        assert_eq!(selectors.title.text, ".card h2");
        assert_eq!(selectors.exclude.len(), 1);
        assert_eq!(spec.schedule.text, "15 7 * * *");
        assert_eq!(spec.politeness.min_delay(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn sitemaps_are_true_a_list_or_one_url_and_product_urls_a_pattern() {
        let site: ShopSpec = parse_all(
            "name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[crawl]\nsitemaps = true\n\
             product_urls = \"/p/[a-z0-9-]+$\"\n",
        )
        .unwrap();
        assert_eq!(site.crawl.sitemaps, SitemapSource::Site);
        assert!(site.crawl.product_urls.as_ref().unwrap().0.is_match("https://demo.example/p/robe-midi"));
        assert!(site.start_urls().is_empty(), "a shop crawled from its sitemaps does not start at the homepage");
        let list: ShopSpec = parse_all(
            "name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[crawl]\n\
             sitemaps = [\"https://demo.example/sitemap_index.xml\", \"https://cdn.demo.example/p.xml.gz\"]\n\
             start_urls = [\"https://demo.example/promos\"]\n",
        )
        .unwrap();
        let SitemapSource::Urls(urls) = &list.crawl.sitemaps else { panic!("{:?}", list.crawl.sitemaps) };
        assert_eq!(urls[1].0.as_str(), "https://cdn.demo.example/p.xml.gz");
        assert_eq!(list.start_urls().len(), 1, "start URLs are still crawled");
        let one: ShopSpec = parse_all(
            "name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[crawl]\n\
             sitemaps = \"https://demo.example/s.xml\"\n",
        )
        .unwrap();
        assert!(matches!(&one.crawl.sitemaps, SitemapSource::Urls(urls) if urls.len() == 1));
        let off: ShopSpec =
            parse_all("name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[crawl]\nsitemaps = false\n").unwrap();
        assert_eq!(off.crawl.sitemaps, SitemapSource::None);
        assert_eq!(off.start_urls().len(), 1);
    }

    #[test]
    fn bad_sitemaps_and_product_urls_are_reported_with_their_field() {
        let problems = parse_all::<ShopSpec>(
            "name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[crawl]\n\
             sitemaps = [\"https://demo.example/s.xml\", \"ftp://demo.example/s.xml\"]\nproduct_urls = \"/p/(\"\n",
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(fields, ["crawl.sitemaps", "crawl.product_urls"], "{problems:#?}");
        assert!(problems[0].message.contains("`ftp://demo.example/s.xml` is not an http(s) URL"), "{problems:#?}");
        assert!(problems[1].message.contains("not a regular expression"), "{problems:#?}");
        let wrong_type =
            parse_all::<ShopSpec>("name = \"D\"\nhomepage = \"https://demo.example/\"\n[crawl]\nsitemaps = 3\n")
                .unwrap_err();
        assert!(
            wrong_type[0].message.contains("expected `true`, `false` or a list of sitemap URLs"),
            "{wrong_type:#?}"
        );
    }

    #[test]
    fn product_urls_without_sitemaps_or_sitemaps_for_an_api_engine_are_cross_check_problems() {
        let spec: ShopSpec =
            parse_all("name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[crawl]\nproduct_urls = \"/p/\"\n")
                .unwrap();
        assert_eq!(spec.cross_check().iter().map(|(field, _)| *field).collect::<Vec<_>>(), ["crawl.product_urls"]);
        let shopify: ShopSpec = parse_all(
            "name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[engine]\nkind = \"shopify\"\n\
             [crawl]\nsitemaps = true\n",
        )
        .unwrap();
        let problems = shopify.cross_check();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "crawl.sitemaps");
        assert!(problems[0].1.contains("the shopify engine does not read product pages"), "{problems:?}");
    }

    #[test]
    fn every_bad_value_is_reported_with_its_field() {
        let problems = parse_all::<ShopSpec>(
            "name = \"Demo\"\nhomepage = \"ftp://demo.example/\"\ncurrency = \"euro\"\nschedule = \"every day\"\n\
             timezone = \"Paris\"\ncolour = 1\n[crawl]\npagination = \"a[[\"\nfollow_only = \"(\"\n",
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(
            fields,
            ["homepage", "currency", "schedule", "timezone", "colour", "crawl.pagination", "crawl.follow_only"],
            "{problems:#?}"
        );
        assert!(problems[0].message.contains("not an http(s) URL"), "{problems:#?}");
        assert!(problems[5].message.contains("not a CSS selector"), "{problems:#?}");
    }
}

/// Shop-file values print back as they were written (for `dealcast config show`).
macro_rules! serialize_as_text {
    ($type:ty, $text:expr) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let text: String = $text(self);
                serializer.serialize_str(&text)
            }
        }
    };
}

serialize_as_text!(CronSchedule, |s: &CronSchedule| s.text.clone());
serialize_as_text!(TimeZone, |z: &TimeZone| z.0.name().to_string());
serialize_as_text!(CurrencyCode, |c: &CurrencyCode| c.0.clone());
serialize_as_text!(HttpUrl, |u: &HttpUrl| u.0.to_string());
