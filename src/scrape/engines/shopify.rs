//! The `shopify` engine: reads a Shopify store's public catalogue, `/products.json?limit=250&page=N`.
//!
//! Shopify stores expose every product with its variants as JSON, so no page needs parsing: a product is an offer
//! at its product page (`/products/<handle>`), priced by its best-discounted variant, and a deal when that
//! variant's `compare_at_price` is above its `price`. The JSON carries no currency, so the shop file's applies.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use url::Url;

use crate::scrape::offer::{Availability, RawOffer};

/// The most products Shopify returns per page.
pub const PAGE_SIZE: u32 = 250;

#[derive(Debug, thiserror::Error)]
pub enum ShopifyError {
    #[error("{url} is not a Shopify products.json page: {source}")]
    NotProductsJson {
        url: String,
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Debug, Deserialize)]
struct ProductsPage {
    products: Vec<Product>,
}

#[derive(Debug, Deserialize)]
struct Product {
    title: String,
    handle: String,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    product_type: Option<String>,
    #[serde(default)]
    variants: Vec<Variant>,
    #[serde(default)]
    images: Vec<Image>,
}

#[derive(Debug, Deserialize)]
struct Variant {
    #[serde(default)]
    price: Option<PriceValue>,
    #[serde(default)]
    compare_at_price: Option<PriceValue>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    barcode: Option<String>,
    #[serde(default)]
    available: Option<bool>,
    #[serde(default)]
    featured_image: Option<Image>,
}

#[derive(Debug, Deserialize)]
struct Image {
    src: String,
}

/// Shopify writes prices as strings ("19.99"); some themes' proxies turn them into numbers. Numbers are read
/// through their JSON text, never through a float.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PriceValue {
    Text(String),
    Number(serde_json::Number),
}

impl PriceValue {
    fn amount(&self) -> Option<Decimal> {
        let text = match self {
            PriceValue::Text(text) => text.trim().to_string(),
            PriceValue::Number(number) => number.to_string(),
        };
        Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok().filter(|d| !d.is_sign_negative())
    }
}

/// The URL of page `page` (1-based) of a store's catalogue.
pub fn products_page_url(store: &Url, page: u32) -> Url {
    let mut url = store.join("/products.json").unwrap_or_else(|_| store.clone());
    url.query_pairs_mut().clear().append_pair("limit", &PAGE_SIZE.to_string()).append_pair("page", &page.to_string());
    url
}

/// The offers of one products.json page (empty when the catalogue has no more pages).
pub fn parse_products_page(json: &str, page_url: &Url, currency: &str) -> Result<Vec<RawOffer>, ShopifyError> {
    let page: ProductsPage = serde_json::from_str(json)
        .map_err(|source| ShopifyError::NotProductsJson { url: page_url.to_string(), source })?;
    Ok(page.products.into_iter().filter_map(|product| to_offer(product, page_url, currency)).collect())
}

fn to_offer(product: Product, page_url: &Url, currency: &str) -> Option<RawOffer> {
    // The variant shoppers would be sent to: the biggest saving among those in stock, else the cheapest.
    // Reversed, because `max_by_key` keeps the last of equals and Shopify's default variant is the first.
    let priced = product.variants.iter().rev().filter_map(|v| v.price.as_ref()?.amount().map(|price| (v, price)));
    let best = priced.max_by_key(|(variant, price)| {
        let previous = variant.compare_at_price.as_ref().and_then(PriceValue::amount).unwrap_or(*price);
        let saving = (previous - *price).max(Decimal::ZERO);
        (variant.available.unwrap_or(true), saving, std::cmp::Reverse(*price))
    });
    let (variant, price) = best?;
    let previous_price =
        variant.compare_at_price.as_ref().and_then(PriceValue::amount).filter(|previous| *previous > price);
    let url = page_url.join(&format!("/products/{}", product.handle)).ok()?;
    let image = variant
        .featured_image
        .as_ref()
        .or(product.images.first())
        .and_then(|image| page_url.join(&image.src).ok())
        .map(String::from);
    Some(RawOffer {
        name: product.title.trim().to_string(),
        url: Some(url.to_string()),
        price: Some(price),
        previous_price,
        currency: Some(currency.to_string()),
        availability: variant.available.map(|a| if a { Availability::InStock } else { Availability::OutOfStock }),
        gtin: variant.barcode.clone().filter(|b| !b.trim().is_empty() && b.chars().all(|c| c.is_ascii_digit())),
        sku: variant.sku.clone().filter(|s| !s.trim().is_empty()),
        brand: product.vendor.filter(|v| !v.trim().is_empty()),
        image,
        category: product.product_type.filter(|t| !t.trim().is_empty()),
        engine: "shopify".to_string(),
        ..RawOffer::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"{"products":[
      {"id":1,"title":"Robe midi fleurie","handle":"robe-midi-fleurie","vendor":"Maison Lune","product_type":"Robes",
       "variants":[
         {"id":11,"title":"S","price":"39.90","compare_at_price":"59.90","sku":"RML-S","available":false,"barcode":"3601234567893"},
         {"id":12,"title":"M","price":"44.90","compare_at_price":"59.90","sku":"RML-M","available":true,"barcode":""}],
       "images":[{"src":"https://cdn.shopify.com/s/files/robe.jpg"}]},
      {"id":2,"title":"Tote bag","handle":"tote-bag","vendor":"","variants":[{"id":21,"price":"12.00","compare_at_price":null,"available":true}],"images":[]},
      {"id":3,"title":"Carte cadeau","handle":"carte","variants":[]}
    ]}"#;

    #[test]
    fn a_discounted_variant_makes_a_deal_at_the_product_page() {
        let url = products_page_url(&Url::parse("https://maison-lune.example/").unwrap(), 1);
        assert_eq!(url.as_str(), "https://maison-lune.example/products.json?limit=250&page=1");
        let offers = parse_products_page(PAGE, &url, "EUR").unwrap();
        assert_eq!(offers.len(), 2, "a product without a priced variant is no offer");
        let robe = &offers[0];
        assert_eq!(robe.url.as_deref(), Some("https://maison-lune.example/products/robe-midi-fleurie"));
        assert_eq!(robe.price, Some(Decimal::from_str("44.90").unwrap()), "the variant in stock wins");
        assert_eq!(robe.previous_price, Some(Decimal::from_str("59.90").unwrap()));
        assert_eq!(robe.availability, Some(Availability::InStock));
        assert_eq!(robe.brand.as_deref(), Some("Maison Lune"));
        assert_eq!(robe.image.as_deref(), Some("https://cdn.shopify.com/s/files/robe.jpg"));
        let tote = &offers[1];
        assert_eq!(tote.previous_price, None);
        assert_eq!(tote.brand, None);
        assert_eq!(tote.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn numeric_prices_are_read_exactly_and_junk_is_an_error() {
        let json = r#"{"products":[{"title":"T","handle":"t","variants":[{"price":19.99,"compare_at_price":25.1}]}]}"#;
        let url = Url::parse("https://s.example/products.json?page=1").unwrap();
        let offers = parse_products_page(json, &url, "EUR").unwrap();
        assert_eq!(offers[0].price.unwrap().to_string(), "19.99");
        assert_eq!(offers[0].previous_price.unwrap().to_string(), "25.1");
        let error = parse_products_page("<html>", &url, "EUR").unwrap_err().to_string();
        assert!(error.contains("s.example/products.json"), "{error}");
    }
}
