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
/// that do not say their currency get `default_currency`.
pub fn extract_document(
    engine: &EngineSpec,
    document: &str,
    url: &Url,
    default_currency: Option<&str>,
) -> Result<Vec<RawOffer>, EngineError> {
    let currency = default_currency.unwrap_or("EUR");
    let mut offers = match engine {
        EngineSpec::Auto => auto::extract(document, url).offers,
        EngineSpec::JsonLd => json_ld::extract(document, url),
        EngineSpec::Microdata => microdata::extract(document, url),
        EngineSpec::OpenGraph => opengraph::extract(document, url),
        EngineSpec::Selectors(spec) => selectors::extract(document, url, spec, currency),
        EngineSpec::Shopify => shopify::parse_products_page(document, url, currency)?,
        EngineSpec::Feed => feed::parse_feed(document.as_bytes(), url, currency)?,
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
