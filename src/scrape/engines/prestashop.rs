//! The `prestashop` engine: reads the pages of a PrestaShop 1.7 / 8 shop.
//!
//! PrestaShop has no public catalogue API, but its themes write what they know into the page: a product page carries
//! the presented product as JSON in the `data-product` attribute of `#product-details` (exact amounts, the regular
//! price, EAN-13, reference, stock), and the `prestashop` JS global says the shop's currency. Listing pages show
//! product miniatures (`article.product-miniature`) with their displayed and regular prices. A product page whose
//! theme drops the JSON is read like any other page (structured data first, through `auto`); its miniatures are
//! never read, since on a product page they are accessories and recommendations.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use crate::scrape::engines::auto;
use crate::scrape::engines::page_dom::{meta_content, visible_text};
use crate::scrape::engines::values::{absolute_url, clean_text, currency_code, json_price, shown_price};
use crate::scrape::offer::{Availability, RawOffer};

/// The engine's name in offers and shop files.
pub const ENGINE: &str = "prestashop";

fn css(text: &str) -> Selector {
    Selector::parse(text).expect("a valid selector")
}

static PRODUCT_DETAILS: LazyLock<Selector> = LazyLock::new(|| css("#product-details[data-product]"));
static ANY_PRODUCT_JSON: LazyLock<Selector> = LazyLock::new(|| css("[data-product]"));
static MINIATURE: LazyLock<Selector> = LazyLock::new(|| css("article.product-miniature, .js-product-miniature"));
static TITLE_LINK: LazyLock<Selector> = LazyLock::new(|| css(".product-title a, a.product-thumbnail"));
static PRICE: LazyLock<Selector> = LazyLock::new(|| css(".product-price-and-shipping .price, .price"));
static REGULAR_PRICE: LazyLock<Selector> = LazyLock::new(|| css(".regular-price"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| css(".product-title"));
static IMAGE: LazyLock<Selector> = LazyLock::new(|| css("img"));
static BODY: LazyLock<Selector> = LazyLock::new(|| css("body"));
static SCRIPT: LazyLock<Selector> = LazyLock::new(|| css("script"));

/// The offers of a PrestaShop page: the product of a product page, or the miniatures of a listing page.
pub fn extract(html: &str, page_url: &Url) -> Vec<RawOffer> {
    let document = Html::parse_document(html);
    let currency = shop_currency(&document);
    let product_page = is_product_page(&document);
    if let Some(product) = product_json(&document, page_url, currency.as_deref(), product_page) {
        return vec![product];
    }
    if !product_page {
        let miniatures = miniatures(&document, page_url, currency.as_deref());
        if !miniatures.is_empty() {
            return miniatures;
        }
    }
    auto::extract(html, page_url).offers
}

/// PrestaShop names each page type on the body: `<body id="product" class="page-product ...">`.
pub fn is_product_page(document: &Html) -> bool {
    document.select(&BODY).next().is_some_and(|body| {
        body.value().id() == Some("product") || body.value().classes().any(|class| class == "page-product")
    })
}

/// The page type PrestaShop writes on `<body>` (`product`, `category`, `cms`, `index`, `cart`...), from its id or
/// its `page-*` class; `None` on a page that says none.
pub fn page_type(document: &Html) -> Option<String> {
    let body = document.select(&BODY).next()?;
    let from_class = || body.value().classes().find_map(|class| class.strip_prefix("page-")).map(str::to_string);
    body.value().id().map(str::to_string).or_else(from_class)
}

/// The shop's currency from the `prestashop` JS global (`var prestashop = {"currency":{"iso_code":"EUR",...}}`),
/// else from the page's `product:price:currency` meta.
fn shop_currency(document: &Html) -> Option<String> {
    let from_global = document.select(&SCRIPT).find_map(|script| {
        let text: String = script.text().collect();
        let start = text.find("prestashop")?;
        let after = &text[start + "prestashop".len()..];
        let object = after.trim_start().strip_prefix('=')?.trim_start();
        let global: Value = serde_json::Deserializer::from_str(object).into_iter::<Value>().next()?.ok()?;
        global.pointer("/currency/iso_code").and_then(Value::as_str).and_then(currency_code)
    });
    from_global.or_else(|| {
        meta_content(document, &["product:price:currency", "og:price:currency"]).and_then(|c| currency_code(&c))
    })
}

/// The product a product page presents, from the `data-product` JSON of `#product-details` (or, on a product page
/// whose theme moved it, of another element: on other pages such an element belongs to a widget).
fn product_json(document: &Html, page_url: &Url, currency: Option<&str>, product_page: bool) -> Option<RawOffer> {
    let element = document
        .select(&PRODUCT_DETAILS)
        .next()
        .or_else(|| product_page.then(|| document.select(&ANY_PRODUCT_JSON).next()).flatten())?;
    let product: Value = serde_json::from_str(element.value().attr("data-product")?).ok()?;
    let field = |key: &str| product.get(key).filter(|v| !v.is_null());
    let amount = |key: &str| field(key).and_then(json_price).map(|(amount, _)| amount);
    let price = amount("price_amount").or_else(|| amount("rounded_display_price")).or_else(|| amount("price"))?;
    let discounted = field("has_discount").and_then(Value::as_bool).unwrap_or(true);
    let previous_price = amount("regular_price_amount")
        .or_else(|| amount("regular_price"))
        .filter(|regular| discounted && *regular > price);
    let text = |key: &str| field(key).and_then(Value::as_str).map(clean_text).filter(|t| !t.is_empty());
    let url = ["url", "canonical_url", "link"]
        .iter()
        .find_map(|key| text(key).and_then(|href| absolute_url(page_url, &href)))
        .and_then(|href| Url::parse(&href).ok())
        .map(|mut url| {
            // The fragment names the combination shown (`#/1-size-s`): the page is the same.
            url.set_fragment(None);
            url.to_string()
        })
        .unwrap_or_else(|| page_url.to_string());
    let image =
        ["/cover/large/url", "/cover/bySize/large_default/url", "/cover/medium/url", "/default_image/large/url"]
            .iter()
            .find_map(|pointer| product.pointer(pointer).and_then(Value::as_str))
            .and_then(|src| absolute_url(page_url, src));
    let gtin = ["ean13", "upc", "isbn"]
        .iter()
        .filter_map(|key| text(key))
        .find(|code| code.len() >= 8 && code.chars().all(|c| c.is_ascii_digit()));
    Some(RawOffer {
        name: text("name").unwrap_or_default(),
        url: Some(url),
        price: Some(price),
        previous_price,
        currency: currency.map(str::to_string),
        availability: availability(&product),
        gtin,
        sku: text("reference"),
        brand: text("manufacturer_name"),
        image,
        category: text("category_name"),
        engine: ENGINE.to_string(),
        ..RawOffer::default()
    })
}

/// Stock as the presented product says it: its `availability` word, else its quantity and whether it may be
/// ordered out of stock.
fn availability(product: &Value) -> Option<Availability> {
    if let Some(word) = product.get("availability").and_then(Value::as_str) {
        match word {
            "available" | "last_remaining_items" => return Some(Availability::InStock),
            "unavailable" => return Some(Availability::OutOfStock),
            _ => {}
        }
    }
    let quantity = product.get("quantity").and_then(|q| q.as_i64().or_else(|| q.as_str()?.trim().parse().ok()))?;
    let orderable_anyway =
        product.get("allow_oosp").is_some_and(|v| v.as_bool() == Some(true) || v.as_i64() == Some(1));
    Some(match (quantity > 0, orderable_anyway) {
        (true, _) => Availability::InStock,
        (false, true) => Availability::PreOrder,
        (false, false) => Availability::OutOfStock,
    })
}

/// The product miniatures of a listing page, in page order. Their names are the theme's (the classic theme cuts
/// them at 30 characters); the product pages give the full names.
fn miniatures(document: &Html, page_url: &Url, currency: Option<&str>) -> Vec<RawOffer> {
    document.select(&MINIATURE).filter_map(|card| miniature(card, page_url, currency)).collect()
}

fn miniature(card: ElementRef, page_url: &Url, currency: Option<&str>) -> Option<RawOffer> {
    let link = card.select(&TITLE_LINK).next()?;
    let url = absolute_url(page_url, link.value().attr("href")?)?;
    let shown = |selector: &Selector| {
        let element = card.select(selector).next()?;
        // Themes put the exact amount in `content` (1.7's microdata); else the visible text is read.
        let text = element.value().attr("content").map(str::to_string).unwrap_or_else(|| visible_text(element));
        shown_price(&text, currency)
    };
    let price = shown(&PRICE)?;
    let previous_price = shown(&REGULAR_PRICE).map(|p| p.amount).filter(|regular| *regular > price.amount);
    let title = card.select(&TITLE).next().map(visible_text).unwrap_or_else(|| visible_text(link));
    let image = card.select(&IMAGE).next().and_then(|img| {
        let src = ["data-full-size-image-url", "src", "data-src"].iter().find_map(|key| img.value().attr(key))?;
        absolute_url(page_url, src)
    });
    Some(RawOffer {
        name: clean_text(&title),
        url: Some(url),
        price: Some(price.amount),
        previous_price,
        currency: price.currency.or_else(|| currency.map(str::to_string)),
        image,
        engine: ENGINE.to_string(),
        ..RawOffer::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    const GLOBAL: &str = r#"<script type="text/javascript">var prestashop = {"cart":{"products":[]},"currency":{"id":1,"name":"Euro","iso_code":"EUR","iso_code_num":"978","sign":"\u20ac"},"page":{"page_name":"product"}};</script>"#;

    /// Shaped like the classic theme's product page (templates/catalog/product.tpl, _partials/product-details.tpl).
    fn product_page(data_product: &str) -> String {
        format!(
            r#"<!doctype html><html lang="fr"><head>{GLOBAL}</head><body id="product" class="lang-fr page-product">
            <h1 class="h1">T-shirt imprim&eacute; colibri</h1>
            <div class="product-prices js-product-prices"><div class="product-discount"><span class="regular-price">23,90&nbsp;€</span></div>
              <div class="product-price h5 has-discount"><div class="current-price"><span class="current-price-value" content="19.12">19,12&nbsp;€</span></div></div></div>
            <div class="js-product-details tab-pane fade" id="product-details" data-product="{data_product}" role="tabpanel"></div>
            <section class="product-accessories"><article class="product-miniature js-product-miniature" data-id-product="9">
              <h3 class="h3 product-title"><a href="/9-coussin.html">Coussin</a></h3>
              <div class="product-price-and-shipping"><span class="price">12,00&nbsp;€</span></div></article></section>
            </body></html>"#
        )
    }

    fn attribute(json: &str) -> String {
        json.replace('&', "&amp;").replace('"', "&quot;")
    }

    #[test]
    fn a_product_page_is_read_from_its_product_json() {
        let json = attribute(
            r#"{"id_product":"1","id_product_attribute":"1","name":"T-shirt imprim\u00e9 colibri","reference":"demo_1",
               "ean13":"3601234567893","quantity":300,"allow_oosp":0,"availability":"available","has_discount":true,
               "discount_type":"percentage","price_amount":19.12,"price":"19,12\u00a0\u20ac","regular_price_amount":23.9,
               "regular_price":"23,90\u00a0\u20ac","manufacturer_name":"Studio Design","category_name":"Hommes",
               "url":"https://boutique.example/hommes/1-1-t-shirt-colibri.html#/1-taille-s/8-couleur-blanc",
               "cover":{"bySize":{"large_default":{"url":"https://boutique.example/1-large_default/t-shirt.jpg"}},
                        "large":{"url":"https://boutique.example/1-large_default/t-shirt.jpg"}}}"#,
        );
        let page = Url::parse("https://boutique.example/hommes/1-1-t-shirt-colibri.html").unwrap();
        let offers = extract(&product_page(&json), &page);
        assert_eq!(offers.len(), 1, "accessories on a product page are not offers: {offers:#?}");
        let tshirt = &offers[0];
        assert_eq!(tshirt.name, "T-shirt imprimé colibri");
        assert_eq!(tshirt.price, Some(dec("19.12")));
        assert_eq!(tshirt.previous_price, Some(dec("23.9")));
        assert_eq!(tshirt.currency.as_deref(), Some("EUR"));
        assert_eq!(tshirt.url.as_deref(), Some("https://boutique.example/hommes/1-1-t-shirt-colibri.html"));
        assert_eq!(tshirt.gtin.as_deref(), Some("3601234567893"));
        assert_eq!(tshirt.sku.as_deref(), Some("demo_1"));
        assert_eq!(tshirt.brand.as_deref(), Some("Studio Design"));
        assert_eq!(tshirt.image.as_deref(), Some("https://boutique.example/1-large_default/t-shirt.jpg"));
        assert_eq!(tshirt.availability, Some(Availability::InStock));
        assert_eq!(tshirt.engine, "prestashop");
    }

    #[test]
    fn without_a_discount_there_is_no_previous_price_and_empty_stock_is_out_of_stock() {
        let json = attribute(
            r#"{"name":"Mug","price_amount":"11.9","regular_price_amount":"11.9","has_discount":false,"quantity":0,
               "allow_oosp":"0","ean13":"","reference":""}"#,
        );
        let page = Url::parse("https://boutique.example/accueil/6-mug.html").unwrap();
        let mug = &extract(&product_page(&json), &page)[0];
        assert_eq!(mug.price, Some(dec("11.9")));
        assert_eq!(mug.previous_price, None);
        assert_eq!(mug.availability, Some(Availability::OutOfStock));
        assert_eq!((mug.gtin.as_deref(), mug.sku.as_deref()), (None, None), "empty codes are no codes");
        assert_eq!(mug.url.as_deref(), Some(page.as_str()), "no URL in the JSON: the page's");
    }

    #[test]
    fn a_listing_page_gives_its_miniatures_with_regular_prices() {
        let html = format!(
            r#"<html><head>{GLOBAL}</head><body id="category" class="page-category">
            <div class="featured-widget" data-product="{{&quot;name&quot;:&quot;Widget&quot;,&quot;price_amount&quot;:5}}"></div><div id="js-product-list"><div class="products row">
            <div class="js-product product"><article class="product-miniature js-product-miniature" data-id-product="1" data-id-product-attribute="1">
              <div class="thumbnail-container"><a href="https://boutique.example/1-t-shirt.html" class="thumbnail product-thumbnail">
                <img src="https://boutique.example/1-home_default/t-shirt.jpg" alt="T-shirt" data-full-size-image-url="https://boutique.example/1-large_default/t-shirt.jpg"></a>
              <div class="product-description"><h2 class="h3 product-title"><a href="https://boutique.example/1-t-shirt.html" content="https://boutique.example/1-t-shirt.html">T-shirt imprim&eacute; colibri</a></h2>
                <div class="product-price-and-shipping"><span class="regular-price" aria-label="Prix de base">23,90&nbsp;€</span>
                  <span class="discount-percentage discount-product">-20%</span><span class="price" aria-label="Prix">19,12&nbsp;€</span></div></div></div></article></div>
            <div class="js-product product"><article class="product-miniature js-product-miniature" data-id-product="2">
              <div class="product-description"><h2 class="h3 product-title"><a href="/2-pull.html">Pull ours brun</a></h2>
                <div class="product-price-and-shipping"><span class="price">1 035,50&nbsp;€</span></div></div></article></div>
            <div class="js-product product"><article class="product-miniature js-product-miniature" data-id-product="3">
              <div class="product-description"><h2 class="h3 product-title"><a href="/3-affiche.html">Affiche</a></h2></div></article></div>
            </div></div></body></html>"#
        );
        let page = Url::parse("https://boutique.example/3-vetements").unwrap();
        let offers = extract(&html, &page);
        assert_eq!(offers.len(), 2, "a widget's JSON, or a miniature without a price, is no offer: {offers:#?}");
        assert_eq!(offers[0].name, "T-shirt imprimé colibri");
        assert_eq!((offers[0].price, offers[0].previous_price), (Some(dec("19.12")), Some(dec("23.90"))));
        assert_eq!(offers[0].image.as_deref(), Some("https://boutique.example/1-large_default/t-shirt.jpg"));
        assert_eq!(offers[1].url.as_deref(), Some("https://boutique.example/2-pull.html"));
        assert_eq!((offers[1].price, offers[1].previous_price), (Some(dec("1035.50")), None));
        assert_eq!(offers[1].currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_product_page_without_the_json_is_read_from_its_structured_data_not_its_accessories() {
        let html = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"Product",
            "name":"Carnet","offers":{"@type":"Offer","price":"12.90","priceCurrency":"EUR"}}</script></head>
            <body id="product"><h1>Carnet</h1><section class="product-accessories"><article class="product-miniature">
            <h3 class="product-title"><a href="/9-coussin.html">Coussin</a></h3><span class="price">19,00 €</span></article></section></body></html>"#;
        let offers = extract(html, &Url::parse("https://boutique.example/7-carnet.html").unwrap());
        assert_eq!(offers[0].name, "Carnet");
        assert_eq!(offers[0].price, Some(dec("12.90")));
        assert_eq!(offers[0].engine, "json_ld");
    }

    #[test]
    fn broken_product_json_falls_back_and_a_page_without_products_gives_nothing() {
        let html =
            r#"<html><body id="product"><div id="product-details" data-product="{not json"></div></body></html>"#;
        assert!(extract(html, &Url::parse("https://boutique.example/x.html").unwrap()).is_empty());
    }
}
