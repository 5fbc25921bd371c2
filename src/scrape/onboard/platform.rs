//! Which e-commerce platform a shop runs on, judged from what its homepage says about itself.
//!
//! The platform decides the cheapest faithful way to read a shop (Shopify's `/products.json`, WooCommerce's Store
//! API, Magento's GraphQL, PrestaShop's product JSON), so `shop new` looks for the platforms' own fingerprints: the
//! generator meta tag, the JavaScript globals and asset paths each platform's themes ship, and headers. Each sign
//! found is kept as evidence, so the report can say *why* a platform was chosen. The endpoints themselves are tried
//! afterwards (by the caller); a page sign only says which endpoint is worth a request.
//!
//! The signs are data (one table), as lychee keeps per-site quirks: adding a platform sign is adding a row.

use std::fmt;

/// A platform dealcast has a dedicated way to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    Shopify,
    WooCommerce,
    PrestaShop,
    Magento,
    /// A JavaScript storefront (Next.js, Nuxt) whose pages carry their state as JSON.
    JavaScriptApp,
    /// None of the above.
    Generic,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Platform::Shopify => "Shopify",
            Platform::WooCommerce => "WooCommerce",
            Platform::PrestaShop => "PrestaShop",
            Platform::Magento => "Magento 2",
            Platform::JavaScriptApp => "JavaScript storefront (Next.js/Nuxt)",
            Platform::Generic => "generic",
        })
    }
}

/// Where a sign is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Anywhere in the homepage's HTML, compared case-insensitively.
    Html,
    /// The name of a response header (lower case).
    HeaderName,
}

/// One fingerprint of a platform.
struct Sign {
    platform: Platform,
    place: Place,
    /// Lower-case text to find.
    needle: &'static str,
    /// What the report says when found.
    says: &'static str,
}

const fn sign(platform: Platform, place: Place, needle: &'static str, says: &'static str) -> Sign {
    Sign { platform, place, needle, says }
}

/// Every sign known, platform by platform. Weak signs (a word any page could contain) are not here: each needle is
/// a path, a global or a tag that the platform's own code writes.
const SIGNS: &[Sign] = &[
    sign(Platform::Shopify, Place::Html, "cdn.shopify.com", "assets served from cdn.shopify.com"),
    sign(Platform::Shopify, Place::Html, "shopify.theme", "the Shopify.theme JavaScript global"),
    sign(Platform::Shopify, Place::Html, "window.shopify", "the window.Shopify JavaScript global"),
    sign(Platform::Shopify, Place::Html, "shopify-digital-wallet", "Shopify's shopify-digital-wallet meta tag"),
    sign(Platform::Shopify, Place::HeaderName, "x-shopid", "the X-ShopId header"),
    sign(Platform::Shopify, Place::HeaderName, "x-shopify-stage", "the X-Shopify-Stage header"),
    sign(Platform::WooCommerce, Place::Html, "content=\"woocommerce", "a generator meta tag naming WooCommerce"),
    sign(Platform::WooCommerce, Place::Html, "/wp-content/plugins/woocommerce/", "WooCommerce plugin assets"),
    sign(Platform::WooCommerce, Place::Html, "woocommerce_params", "the woocommerce_params JavaScript global"),
    sign(Platform::WooCommerce, Place::Html, "wc-block-", "WooCommerce Blocks markup"),
    sign(Platform::WooCommerce, Place::Html, "/wp-json/wc/store", "links to the WooCommerce Store API"),
    sign(Platform::PrestaShop, Place::Html, "content=\"prestashop", "a generator meta tag naming PrestaShop"),
    sign(Platform::PrestaShop, Place::Html, "var prestashop =", "the prestashop JavaScript global"),
    sign(Platform::PrestaShop, Place::Html, "prestashop.urls", "the prestashop.urls JavaScript global"),
    sign(Platform::PrestaShop, Place::Html, "/modules/ps_", "PrestaShop modules (ps_*) assets"),
    sign(Platform::PrestaShop, Place::HeaderName, "powered-by-prestashop", "a Powered-By-PrestaShop header"),
    sign(Platform::Magento, Place::Html, "data-mage-init", "Magento's data-mage-init attributes"),
    sign(Platform::Magento, Place::Html, "mage/cookies", "Magento's mage/* RequireJS modules"),
    sign(Platform::Magento, Place::Html, "/static/version", "Magento's versioned /static/ asset paths"),
    sign(Platform::Magento, Place::Html, "magento_", "Magento_* module names"),
    sign(Platform::Magento, Place::HeaderName, "x-magento-cache-debug", "the X-Magento-Cache-Debug header"),
    sign(Platform::Magento, Place::HeaderName, "x-magento-tags", "the X-Magento-Tags header"),
    sign(Platform::JavaScriptApp, Place::Html, "id=\"__next_data__\"", "Next.js page state (__NEXT_DATA__)"),
    sign(Platform::JavaScriptApp, Place::Html, "id=\"__nuxt_data__\"", "Nuxt page state (__NUXT_DATA__)"),
    sign(Platform::JavaScriptApp, Place::Html, "window.__nuxt__", "Nuxt page state (window.__NUXT__)"),
    sign(Platform::JavaScriptApp, Place::Html, "window.__initial_state__", "page state in window.__INITIAL_STATE__"),
];

/// What the homepage says about the platform: the best guess and every sign seen, by platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub platform: Platform,
    /// Each sign seen, as `(platform, what was seen)`, in table order.
    pub evidence: Vec<(Platform, &'static str)>,
}

impl Detection {
    /// The signs seen of `platform`.
    pub fn signs_of(&self, platform: Platform) -> Vec<&'static str> {
        self.evidence.iter().filter(|(p, _)| *p == platform).map(|(_, says)| *says).collect()
    }

    /// Platforms with at least one sign, most signs first (ties in table order).
    pub fn candidates(&self) -> Vec<Platform> {
        let mut counts: Vec<(Platform, usize)> = Vec::new();
        for (platform, _) in &self.evidence {
            match counts.iter_mut().find(|(p, _)| p == platform) {
                Some((_, count)) => *count += 1,
                None => counts.push((*platform, 1)),
            }
        }
        // Stable: equal counts keep the order the table lists them in.
        counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        counts.into_iter().map(|(platform, _)| platform).collect()
    }
}

/// Reads the platform's signs in a homepage and its response header names.
pub fn detect<'a>(html: &str, header_names: impl IntoIterator<Item = &'a str>) -> Detection {
    let lower = html.to_ascii_lowercase();
    let headers: Vec<String> = header_names.into_iter().map(str::to_ascii_lowercase).collect();
    let evidence: Vec<(Platform, &'static str)> = SIGNS
        .iter()
        .filter(|sign| match sign.place {
            Place::Html => lower.contains(sign.needle),
            Place::HeaderName => headers.iter().any(|name| name == sign.needle),
        })
        .map(|sign| (sign.platform, sign.says))
        .collect();
    let mut detection = Detection { platform: Platform::Generic, evidence };
    // A shop platform wins over a JavaScript front end: a headless Shopify or Magento still has its API.
    detection.platform = detection
        .candidates()
        .into_iter()
        .find(|p| *p != Platform::JavaScriptApp)
        .or_else(|| detection.candidates().into_iter().next())
        .unwrap_or(Platform::Generic);
    detection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_is_recognised_by_its_own_fingerprints() {
        let cases = [
            (
                r#"<link href="//cdn.shopify.com/s/files/1/theme.css"><script>Shopify.theme = {"id":1};</script>"#,
                Platform::Shopify,
            ),
            (
                r#"<meta name="generator" content="WooCommerce 9.4.2"><body class="woocommerce-page">"#,
                Platform::WooCommerce,
            ),
            (r#"<script>var prestashop = {"currency":{"iso_code":"EUR"}};</script>"#, Platform::PrestaShop),
            (r#"<script type="text/x-magento-init">{}</script><div data-mage-init='{"x":{}}'>"#, Platform::Magento),
            (r#"<script id="__NEXT_DATA__" type="application/json">{"props":{}}</script>"#, Platform::JavaScriptApp),
            ("<html><body><h1>Boutique</h1></body></html>", Platform::Generic),
        ];
        for (html, want) in cases {
            assert_eq!(detect(html, []).platform, want, "{html}");
        }
    }

    #[test]
    fn a_platform_behind_a_javascript_front_end_is_still_the_platform() {
        let html = r#"<script id="__NEXT_DATA__" type="application/json">{}</script>
            <img src="https://cdn.shopify.com/s/files/1/x.jpg">"#;
        let found = detect(html, []);
        assert_eq!(found.platform, Platform::Shopify);
        assert_eq!(found.signs_of(Platform::JavaScriptApp), ["Next.js page state (__NEXT_DATA__)"]);
    }

    #[test]
    fn headers_count_as_evidence_and_the_strongest_platform_wins() {
        let found = detect("<p>/modules/ps_shoppingcart/</p>", ["X-Magento-Tags", "X-Magento-Cache-Debug"]);
        assert_eq!(found.platform, Platform::Magento);
        assert_eq!(found.candidates(), [Platform::Magento, Platform::PrestaShop]);
        assert_eq!(found.signs_of(Platform::PrestaShop), ["PrestaShop modules (ps_*) assets"]);
    }
}
