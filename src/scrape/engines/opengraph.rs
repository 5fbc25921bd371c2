//! The OpenGraph engine's parse half: the page's product from its `<meta property="og:…">` and `product:…` tags.
//!
//! Shops fill OpenGraph for social previews, and many add the product namespace (`product:price:amount`,
//! `product:sale_price:*`, `product:original_price:*`) or the older `og:price:*`. It describes exactly one thing,
//! the page itself, so it never confuses the main product with a recommendation; it is the fallback when the page
//! has no schema.org product, and a source of the original price when the schema.org data has none.

use scraper::Html;
use url::Url;

use crate::scrape::engines::page_dom::meta_content;
use crate::scrape::engines::values::{absolute_url, clean_text, currency_code, price_text, real_previous};
use crate::scrape::offer::{Availability, RawOffer};

/// The engine name written in [`RawOffer::engine`].
pub const ENGINE: &str = "opengraph";

/// The page's product as OpenGraph describes it (one offer at most).
pub fn extract(html: &str, page_url: &Url) -> Vec<RawOffer> {
    extract_from(&Html::parse_document(html), page_url)
}

/// As [`extract`], on a page already parsed.
pub fn extract_from(document: &Html, page_url: &Url) -> Vec<RawOffer> {
    let meta = |keys: &[&str]| meta_content(document, keys);
    let sale = meta(&["product:sale_price:amount", "og:sale_price:amount"]).and_then(|text| price_text(&text));
    let regular =
        meta(&["product:price:amount", "og:price:amount", "product:price"]).and_then(|text| price_text(&text));
    let original =
        meta(&["product:original_price:amount", "og:original_price:amount"]).and_then(|text| price_text(&text));
    let (price, price_text_currency, currency_key) = match (&sale, &regular) {
        (Some((amount, currency)), _) => {
            (Some(*amount), currency.clone(), ["product:sale_price:currency", "og:sale_price:currency"])
        }
        (None, Some((amount, currency))) => {
            (Some(*amount), currency.clone(), ["product:price:currency", "og:price:currency"])
        }
        (None, None) => (None, None, ["product:price:currency", "og:price:currency"]),
    };
    // A sale price next to a regular price: the regular price is the one crossed out.
    let previous_candidate = original
        .as_ref()
        .map(|(amount, _)| *amount)
        .or_else(|| sale.as_ref().and(regular.as_ref()).map(|(amount, _)| *amount));
    let title = meta(&["og:title", "twitter:title"]).map(|title| clean_text(&title)).unwrap_or_default();
    if title.is_empty() && price.is_none() {
        return Vec::new();
    }
    let currency = meta(&currency_key)
        .or_else(|| meta(&["product:price:currency", "og:price:currency", "product:original_price:currency"]))
        .and_then(|code| currency_code(&code))
        .or(price_text_currency);
    let offer = RawOffer {
        name: title,
        url: meta(&["og:url"]).and_then(|url| absolute_url(page_url, &url)),
        price,
        previous_price: real_previous(price, previous_candidate),
        currency,
        availability: meta(&["product:availability", "og:availability"]).and_then(|a| Availability::parse(&a)),
        image: meta(&["og:image:secure_url", "og:image", "og:image:url"]).and_then(|url| absolute_url(page_url, &url)),
        brand: meta(&["product:brand", "og:brand"]).map(|brand| clean_text(&brand)),
        gtin: meta(&["product:ean", "product:gtin", "product:upc", "product:isbn"]),
        sku: meta(&["product:retailer_item_id", "product:sku"]),
        category: meta(&["product:category"]).map(|category| clean_text(&category)),
        engine: ENGINE.to_string(),
        ..RawOffer::default()
    };
    vec![offer]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn page() -> Url {
        Url::parse("https://shop.example/p/dvd").unwrap()
    }

    #[test]
    fn product_namespace_tags_give_price_currency_and_availability() {
        let html = r#"<head><meta property="og:title" content="Better &amp; Dead"><meta property="og:url" content="/p/dvd">
          <meta property="og:image" content="//cdn.example/d.jpg">
          <meta property="product:price:amount" content="17.99"><meta property="product:price:currency" content="USD">
          <meta property="product:availability" content="in stock"></head>"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.name, "Better & Dead");
        assert_eq!(offer.price, Some(dec("17.99")));
        assert_eq!(offer.currency.as_deref(), Some("USD"));
        assert_eq!(offer.previous_price, None);
        assert_eq!(offer.availability, Some(Availability::InStock));
        assert_eq!(offer.url.as_deref(), Some("https://shop.example/p/dvd"));
        assert_eq!(offer.image.as_deref(), Some("https://cdn.example/d.jpg"));
        assert_eq!(offer.engine, "opengraph");
    }

    #[test]
    fn a_sale_price_with_an_original_price_gives_the_previous_price() {
        let html = r#"<meta property="og:title" content="WC set">
          <meta property="product:original_price:amount" content="1148.00"><meta property="product:original_price:currency" content="PLN">
          <meta property="product:sale_price:amount" content="997.00"><meta property="product:sale_price:currency" content="PLN">
          <meta property="product:price:amount" content="997.00">"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.price, Some(dec("997")));
        assert_eq!(offer.previous_price, Some(dec("1148")));
        assert_eq!(offer.currency.as_deref(), Some("PLN"));
    }

    #[test]
    fn old_og_price_tags_are_read() {
        let html = r#"<meta property="og:title" content="Tablet"><meta property="og:price:amount" content="1149">
          <meta property="og:price:currency" content="EUR">"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.price, Some(dec("1149")));
        assert_eq!(offer.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_page_without_opengraph_gives_nothing() {
        assert!(extract("<p>hello</p>", &page()).is_empty());
    }
}
