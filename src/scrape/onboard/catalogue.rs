//! Where a new shop's products are: a platform's public product endpoint, its sitemaps, or its promotion and listing
//! pages, tried in that order (the cheapest faithful route first), a handful of polite requests in all.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

use crate::scrape::engines::{magento, shopify, woocommerce};
use crate::scrape::fetch::{Fetcher, Page};
use crate::scrape::offer::RawOffer;
use crate::scrape::onboard::platform::Platform;
use crate::scrape::sitemap::{self, SitemapLimits};

/// A platform endpoint that answered with products.
pub struct ApiAnswer {
    pub platform: Platform,
    /// The engine that reads it.
    pub engine: &'static str,
    pub page: Page,
    pub offers: Vec<RawOffer>,
}

/// Whether `platform` has a public product endpoint dealcast reads.
pub fn has_product_endpoint(platform: Platform) -> bool {
    matches!(platform, Platform::Shopify | Platform::WooCommerce | Platform::Magento)
}

/// Asks the product endpoint of `platform` (when it has one) for its first page of products.
pub async fn platform_api(fetcher: &Fetcher, platform: Platform, home: &Url, currency: &str) -> Option<ApiAnswer> {
    let (engine, url) = match platform {
        Platform::Shopify => ("shopify", shopify::products_page_url(home, 1)),
        Platform::WooCommerce => ("woocommerce", woocommerce::products_page_url(home, 1)),
        Platform::Magento => ("magento", magento::products_page_url(home, 1)),
        _ => return None,
    };
    let page = match fetcher.fetch(&url).await {
        Ok(page) => page,
        Err(error) => {
            tracing::info!(%error, %platform, "the platform's product endpoint did not answer");
            return None;
        }
    };
    let offers = match platform {
        Platform::Shopify => shopify::parse_products_page(&page.text, &page.url, currency).ok(),
        Platform::WooCommerce => woocommerce::parse_products_page(&page.text, &page.url, currency).ok(),
        Platform::Magento => magento::parse_products_page(&page.text, &page.url, currency).ok(),
        _ => None,
    }?;
    (!offers.is_empty()).then_some(ApiAnswer { platform, engine, page, offers })
}

/// The sitemaps found and the page URLs they list.
pub struct SitemapCatalogue {
    /// Whether robots.txt named them (else they were found at a usual place).
    pub from_robots: bool,
    pub roots: Vec<Url>,
    pub urls: Vec<Url>,
    pub problems: Vec<String>,
}

/// Sitemap files read at most while probing.
pub const PROBE_SITEMAP_FILES: usize = 12;

/// Where sitemaps usually are when robots.txt does not say (the generic place, WordPress/Yoast's and PrestaShop's).
const USUAL_SITEMAPS: &[&str] = &["/sitemap.xml", "/sitemap_index.xml", "/sitemap.xml.gz", "/1_index_sitemap.xml"];

/// The shop's sitemaps: robots.txt's `Sitemap:` lines, else the first usual place that answers with URLs.
pub async fn sitemaps(fetcher: &Fetcher, home: &Url) -> Option<SitemapCatalogue> {
    // A probe is a handful of requests: enough sitemap files to sample products and count them, not the whole of a
    // large shop's sitemaps (the crawl reads those).
    let limits = SitemapLimits { max_files: PROBE_SITEMAP_FILES, ..SitemapLimits::default() };
    let listed = sitemap::sitemaps_in_robots(fetcher, home).await.unwrap_or_default();
    let mut tries: Vec<(bool, Vec<Url>)> = Vec::new();
    if !listed.is_empty() {
        tries.push((true, listed));
    }
    tries.extend(USUAL_SITEMAPS.iter().filter_map(|path| home.join(path).ok()).map(|url| (false, vec![url])));
    for (from_robots, roots) in tries {
        match sitemap::discover(fetcher, &roots, &limits).await {
            Ok(found) if !found.urls.is_empty() => {
                // A limit reached (the probe's few files) is among the problems: the count is then a lower bound.
                let problems: Vec<String> = found.problems.iter().map(ToString::to_string).collect();
                return Some(SitemapCatalogue {
                    from_robots,
                    roots,
                    urls: found.urls.into_iter().map(|u| u.url).collect(),
                    problems,
                });
            }
            Ok(_) => {}
            Err(error) => tracing::info!(%error, "no usable sitemap here"),
        }
    }
    None
}

/// Words of links to promotions and listings, in the languages of the shops dealcast reads.
static PROMO_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)promo|soldes|\bsales?\b|outlet|d[ée]stockage|bons?[-_ ]plans?|offres?|deals?|r[ée]duc|prices-drop|angebot|rebajas|saldi|aanbieding|black[-_ ]?friday",
    )
    .expect("a valid regex")
});

/// Links of a page (same host, without fragments), in document order, outside the header, navigation and footer
/// unless `with_navigation`.
pub fn page_links(page: &Page, with_navigation: bool) -> Vec<(Url, String)> {
    let document = Html::parse_document(&page.text);
    let anchors = Selector::parse("a[href]").expect("a valid selector");
    let mut links: Vec<(Url, String)> = Vec::new();
    for anchor in document.select(&anchors) {
        let in_navigation = anchor
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .any(|a| matches!(a.value().name(), "header" | "nav" | "footer"));
        if in_navigation && !with_navigation {
            continue;
        }
        let Some(mut url) = anchor.value().attr("href").and_then(|href| page.url.join(href.trim()).ok()) else {
            continue;
        };
        url.set_fragment(None);
        if url.host_str() != page.url.host_str() || url.port() != page.url.port() || url == page.url {
            continue;
        }
        if !links.iter().any(|(seen, _)| *seen == url) {
            let text = anchor.text().collect::<Vec<_>>().join(" ");
            links.push((url, text.split_whitespace().collect::<Vec<_>>().join(" ")));
        }
    }
    links
}

/// Links of the homepage that say they lead to promotions or sales (by their text or their URL).
pub fn promotion_links(homepage: &Page) -> Vec<Url> {
    page_links(homepage, true)
        .into_iter()
        .filter(|(url, text)| PROMO_LINK.is_match(text) || PROMO_LINK.is_match(url.path()))
        .map(|(url, _)| url)
        .take(3)
        .collect()
}

/// Up to `count` URLs spread evenly over `urls` (a sitemap lists categories, pages and products in blocks).
pub fn spread(urls: &[Url], count: usize) -> Vec<Url> {
    if urls.len() <= count {
        return urls.to_vec();
    }
    (0..count).map(|i| urls[i * urls.len() / count].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, html: &str) -> Page {
        Page {
            url: Url::parse(url).unwrap(),
            status: 200,
            content_type: Some("text/html".to_string()),
            text: html.to_string(),
            encoding: "UTF-8",
            body_bytes: html.len(),
            validators: Default::default(),
            header_names: Vec::new(),
        }
    }

    #[test]
    fn promotion_links_are_found_by_their_words_in_any_language() {
        let home = page(
            "https://s.example/",
            r#"<nav><a href="/femme">Femme</a><a href="/soldes-hiver">Les soldes</a><a href="/c/outlet">Outlet</a>
               <a href="https://other.example/promo">Partenaire</a><a href="/x">Bons plans</a></nav>"#,
        );
        let links: Vec<String> = promotion_links(&home).iter().map(|u| u.path().to_string()).collect();
        assert_eq!(links, ["/soldes-hiver", "/c/outlet", "/x"]);
    }

    #[test]
    fn spread_samples_each_part_of_a_long_list() {
        let urls: Vec<Url> = (0..100).map(|i| Url::parse(&format!("https://s.example/{i}")).unwrap()).collect();
        let picked: Vec<String> = spread(&urls, 4).iter().map(|u| u.path().to_string()).collect();
        assert_eq!(picked, ["/0", "/25", "/50", "/75"]);
    }
}
