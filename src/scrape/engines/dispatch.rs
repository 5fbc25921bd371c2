//! The one place engines are matched: a document (page, API answer, feed) goes to the engine the shop file names.

use url::Url;

use crate::scrape::engines::{
    auto, feed, json_ld, magento, microdata, opengraph, prestashop, selectors, shopify, woocommerce,
};
use crate::scrape::offer::{OfferKind, RawOffer};
use crate::scrape::shop_spec::EngineSpec;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Shopify(#[from] shopify::ShopifyError),
    #[error(transparent)]
    Feed(#[from] feed::FeedError),
    #[error(transparent)]
    WooCommerce(#[from] woocommerce::WooCommerceError),
    #[error(transparent)]
    Magento(#[from] magento::MagentoError),
}

impl EngineError {
    /// A bounded name for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineError::Shopify(_) => "not_products_json",
            EngineError::Feed(_) => "not_a_feed",
            EngineError::WooCommerce(_) => "woocommerce_api",
            EngineError::Magento(_) => "magento_graphql",
        }
    }
}

/// The offers in `document` (fetched from `url`) as `engine` reads them: priced products and promotions. Prices
/// that do not say their currency get `default_currency`; end dates written as a day ("jusqu'au 30/11") end in
/// `zone`, the shop file's `timezone` (Europe/Paris when it gives none).
pub fn extract_document(
    engine: &EngineSpec,
    document: &str,
    url: &Url,
    default_currency: Option<&str>,
    zone: chrono_tz::Tz,
) -> Result<Vec<RawOffer>, EngineError> {
    let currency = default_currency.unwrap_or("EUR");
    let mut offers = match engine {
        EngineSpec::Auto => auto::extract(document, url).offers,
        EngineSpec::JsonLd => json_ld::extract(document, url),
        EngineSpec::Microdata => microdata::extract(document, url),
        EngineSpec::OpenGraph => opengraph::extract(document, url),
        EngineSpec::Selectors(spec) => selectors::extract(document, url, spec, currency, zone),
        EngineSpec::Shopify => shopify::parse_products_page(document, url, currency)?,
        EngineSpec::Feed => feed::parse_feed(document.as_bytes(), url, currency, zone)?,
        // The platform engines read their API's answers, and the shop's pages when the API is closed.
        EngineSpec::WooCommerce if is_json(document) => woocommerce::parse_products_page(document, url, currency)?,
        EngineSpec::Magento if is_json(document) => magento::parse_products_page(document, url, currency)?,
        EngineSpec::WooCommerce | EngineSpec::Magento => auto::extract(document, url).offers,
        EngineSpec::PrestaShop => prestashop::extract(document, url),
    };
    // A product without a price is not an offer (a blog post's title, a sold-out page without price): only promotions
    // (codes, sales) stand without one.
    offers.retain(|offer| offer.price.is_some() || offer.kind != OfferKind::Product);
    if let Some(default_currency) = default_currency {
        for offer in offers.iter_mut().filter(|o| o.price.is_some() && o.currency.is_none()) {
            offer.currency = Some(default_currency.to_string());
        }
    }
    Ok(offers)
}

/// An engine without options, by the name shop files use (`auto`, `json_ld`, ...); `selectors` needs a shop file.
pub fn engine_by_name(name: &str) -> Option<EngineSpec> {
    Some(match name.replace('-', "_").as_str() {
        "auto" => EngineSpec::Auto,
        "json_ld" | "jsonld" => EngineSpec::JsonLd,
        "microdata" => EngineSpec::Microdata,
        "opengraph" | "open_graph" => EngineSpec::OpenGraph,
        "shopify" => EngineSpec::Shopify,
        "feed" => EngineSpec::Feed,
        "woocommerce" | "woo_commerce" => EngineSpec::WooCommerce,
        "prestashop" => EngineSpec::PrestaShop,
        "magento" | "adobe_commerce" => EngineSpec::Magento,
        _ => return None,
    })
}

/// An API answer rather than a page: JSON starts with an object or an array.
fn is_json(document: &str) -> bool {
    document.trim_start_matches('\u{feff}').trim_start().starts_with(['{', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scrape::shop_spec::ShopSpec;

    const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

    #[test]
    fn platform_engines_read_their_api_answers_and_the_pages_of_closed_apis() {
        let url = Url::parse("https://boutique.example/wp-json/wc/store/v1/products?per_page=100&page=1").unwrap();
        let api = r#"[{"name":"Mug","permalink":"https://boutique.example/produit/mug/","on_sale":true,
            "prices":{"price":"990","regular_price":"1290","currency_code":"EUR","currency_minor_unit":2}}]"#;
        let offers = extract_document(&EngineSpec::WooCommerce, api, &url, Some("EUR"), PARIS).unwrap();
        assert_eq!(
            (offers[0].engine.as_str(), offers[0].price.map(|p| p.to_string())),
            ("woocommerce", Some("9.9".into()))
        );
        let page = r#"<html><head><script type="application/ld+json">{"@type":"Product","name":"Mug",
            "offers":{"@type":"Offer","price":"9.90","priceCurrency":"EUR"}}</script></head><body><h1>Mug</h1></body></html>"#;
        for engine in [EngineSpec::WooCommerce, EngineSpec::Magento, EngineSpec::PrestaShop] {
            let offers = extract_document(&engine, page, &url, Some("EUR"), PARIS).unwrap();
            assert_eq!(offers[0].engine, "json_ld", "{engine:?} reads a page through its structured data");
        }
        let refused = r#"{"errors":[{"message":"Internal server error"}]}"#;
        let error = extract_document(&EngineSpec::Magento, refused, &url, None, PARIS).unwrap_err();
        assert_eq!(error.kind(), "magento_graphql");
        assert!(error.to_string().contains("Internal server error"), "{error}");
    }

    #[test]
    fn a_feeds_end_dates_are_read_in_its_shops_time_zone() {
        let feed = br#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bons plans</title>
            <item><title>Code HIVER20 : -20 % sur tout le site</title><link>https://boutique.example/soldes</link>
            <description>Valable jusqu'au 30/11 inclus.</description>
            <pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"#;
        let url = Url::parse("https://boutique.example/feed.xml").unwrap();
        // The last day ends at 23:59:59 where the shop is: Montreal (UTC-5 in November), or Paris by default.
        for (timezone, ends) in
            [("timezone = \"America/Montreal\"\n", "2026-12-01T04:59:59Z"), ("", "2026-11-30T22:59:59Z")]
        {
            let file = format!(
                "name = \"Boutique\"\nhomepage = \"https://boutique.example/\"\n{timezone}[engine]\nkind = \"feed\"\n"
            );
            let spec: ShopSpec = crate::common::toml_problems::parse_all(&file).unwrap();
            let offers = extract_document(
                &spec.engine,
                std::str::from_utf8(feed).unwrap(),
                &url,
                Some(&spec.currency.0),
                spec.timezone.0,
            )
            .unwrap();
            assert_eq!(offers.len(), 1, "{file}");
            assert_eq!(offers[0].promo_code.as_deref(), Some("HIVER20"));
            assert_eq!(offers[0].valid_until.map(|at| at.to_rfc3339()), Some(ends.replace('Z', "+00:00")), "{file}");
        }
    }

    #[test]
    fn every_engine_is_found_by_its_shop_file_name() {
        for name in
            ["auto", "json_ld", "microdata", "opengraph", "shopify", "feed", "woocommerce", "prestashop", "magento"]
        {
            assert_eq!(engine_by_name(name).map(|engine| engine.name()), Some(name));
        }
    }
}
