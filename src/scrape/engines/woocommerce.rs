//! The `woocommerce` engine: reads a WooCommerce shop's public Store API, `/wp-json/wc/store/v1/products`.
//!
//! The Store API is what WooCommerce's own block themes render from, so it is public on most shops and gives every
//! product with its prices, stock and page URL without parsing a page. Prices are strings in the currency's
//! smallest unit (`"1999"` with `currency_minor_unit` 2 is 19.99; 0 for yen), read exactly. A product is a deal when
//! it is `on_sale` and its `regular_price` is above its `price`. For a variable product the API gives the cheapest
//! variation's price (and `price_range`), and the cheapest regular price: the previous price is then the lowest the
//! shop ever charged for a variation, which may understate a saving but never invents one.

use rust_decimal::Decimal;
use serde::Deserialize;
use url::Url;

use crate::scrape::engines::values::clean_text;
use crate::scrape::offer::{Availability, RawOffer};

/// The engine's name in offers and shop files.
pub const ENGINE: &str = "woocommerce";

/// The most products the Store API returns per page.
pub const PAGE_SIZE: u32 = 100;

/// The path of the products collection, relative to the shop's home (WordPress may live in a folder).
const PRODUCTS_PATH: &str = "wp-json/wc/store/v1/products";

/// Minor units beyond this are not a currency (ISO 4217 stops at 4); such an answer is not trusted.
const MAX_MINOR_UNIT: u32 = 6;

#[derive(Debug, thiserror::Error)]
pub enum WooCommerceError {
    #[error("{url} is not a WooCommerce Store API products page: {source}")]
    NotProductsJson {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    /// WordPress answered with its error object (`rest_no_route` when the Store API is off, for instance).
    #[error("{url}: the WooCommerce Store API answered an error: {code}: {message}")]
    Api { url: String, code: String, message: String },
}

/// What the collection answers: a list of products, or a WordPress error object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Answer {
    Products(Vec<Product>),
    Error(ApiError),
}

#[derive(Debug, Deserialize)]
struct ApiError {
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Product {
    #[serde(default)]
    name: String,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    on_sale: Option<bool>,
    #[serde(default)]
    prices: Option<Prices>,
    #[serde(default)]
    images: Vec<Image>,
    #[serde(default)]
    categories: Vec<Term>,
    #[serde(default)]
    brands: Vec<Term>,
    #[serde(default)]
    is_in_stock: Option<bool>,
    #[serde(default)]
    is_on_backorder: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Prices {
    #[serde(default)]
    currency_code: Option<String>,
    #[serde(default)]
    currency_minor_unit: Option<u32>,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    regular_price: Option<String>,
    #[serde(default)]
    price_range: Option<PriceRange>,
}

#[derive(Debug, Deserialize)]
struct PriceRange {
    #[serde(default)]
    min_amount: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Image {
    #[serde(default)]
    src: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Term {
    #[serde(default)]
    name: String,
}

/// The URL of page `page` (1-based) of the shop's products, under the shop's home (`store`).
pub fn products_page_url(store: &Url, page: u32) -> Url {
    let mut url = store.join(PRODUCTS_PATH).unwrap_or_else(|_| store.clone());
    url.query_pairs_mut()
        .clear()
        .append_pair("per_page", &PAGE_SIZE.to_string())
        .append_pair("page", &page.to_string());
    url
}

/// The offers of one products page (empty past the last page). Products without a price or a page are skipped.
pub fn parse_products_page(json: &str, page_url: &Url, currency: &str) -> Result<Vec<RawOffer>, WooCommerceError> {
    Ok(parse_products_answer(json, page_url, currency)?.offers)
}

/// One products page as the crawler needs it: its offers, and whether it was full (a next page may follow).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductsPage {
    pub offers: Vec<RawOffer>,
    /// How many products the page listed, priced or not.
    pub listed: usize,
}

impl ProductsPage {
    /// A page shorter than the page size is the last one.
    pub fn may_have_next(&self) -> bool {
        self.listed >= PAGE_SIZE as usize
    }
}

/// [`parse_products_page`], also saying how many products the page listed.
pub fn parse_products_answer(json: &str, page_url: &Url, currency: &str) -> Result<ProductsPage, WooCommerceError> {
    let answer: Answer = serde_json::from_str(json.trim_start_matches('\u{feff}'))
        .map_err(|source| WooCommerceError::NotProductsJson { url: page_url.to_string(), source })?;
    match answer {
        Answer::Products(products) => {
            let listed = products.len();
            let offers = products.into_iter().filter_map(|product| to_offer(product, page_url, currency)).collect();
            Ok(ProductsPage { offers, listed })
        }
        Answer::Error(error) => Err(WooCommerceError::Api {
            url: page_url.to_string(),
            code: error.code,
            message: clean_text(&error.message),
        }),
    }
}

fn to_offer(product: Product, page_url: &Url, currency: &str) -> Option<RawOffer> {
    let prices = product.prices?;
    let minor_unit = prices.currency_minor_unit.unwrap_or(2);
    let amount = |text: &Option<String>| text.as_deref().and_then(|text| minor_units(text, minor_unit));
    let price = amount(&prices.price).or_else(|| prices.price_range.as_ref().and_then(|r| amount(&r.min_amount)))?;
    let previous_price =
        amount(&prices.regular_price).filter(|regular| *regular > price && product.on_sale != Some(false));
    let url = page_url.join(product.permalink.as_deref()?.trim()).ok()?;
    let availability = match (product.is_in_stock, product.is_on_backorder) {
        (_, Some(true)) => Some(Availability::PreOrder),
        (Some(true), _) => Some(Availability::InStock),
        (Some(false), _) => Some(Availability::OutOfStock),
        (None, _) => None,
    };
    let first_name = |terms: &[Term]| terms.iter().map(|t| clean_text(&t.name)).find(|name| !name.is_empty());
    Some(RawOffer {
        name: clean_text(&product.name),
        url: Some(url.to_string()),
        price: Some(price),
        previous_price,
        currency: Some(
            prices
                .currency_code
                .map(|code| code.trim().to_ascii_uppercase())
                .filter(|code| code.len() == 3)
                .unwrap_or_else(|| currency.to_string()),
        ),
        availability,
        sku: product.sku.map(|sku| sku.trim().to_string()).filter(|sku| !sku.is_empty()),
        brand: first_name(&product.brands),
        image: product
            .images
            .iter()
            .find_map(|image| page_url.join(image.src.as_deref()?.trim()).ok())
            .map(String::from),
        category: first_name(&product.categories),
        engine: ENGINE.to_string(),
        ..RawOffer::default()
    })
}

/// An amount in the currency's smallest unit ("1999" with 2 decimals) as money (19.99). An empty or zero amount
/// is no price (products whose price is not set yet, or "free" placeholders).
fn minor_units(text: &str, minor_unit: u32) -> Option<Decimal> {
    let text = text.trim();
    if text.is_empty() || minor_unit > MAX_MINOR_UNIT || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let units: i64 = text.parse().ok()?;
    let amount = Decimal::new(units, minor_unit);
    (amount > Decimal::ZERO).then_some(amount.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn page_url() -> Url {
        products_page_url(&Url::parse("https://boutique.example/").unwrap(), 1)
    }

    /// Shaped like the Store API's documented answer (plugins/woocommerce/src/StoreApi/docs/products.md).
    const PAGE: &str = r#"[
      {"id":34,"name":"Fanion &ldquo;WordPress&rdquo; &amp; co","slug":"fanion","parent":0,"type":"simple","variation":"",
       "permalink":"https://boutique.example/produit/fanion/","sku":"wp-pennant","on_sale":true,
       "prices":{"price":"1105","regular_price":"1500","sale_price":"1105","price_range":null,"currency_code":"EUR",
         "currency_symbol":"€","currency_minor_unit":2,"currency_decimal_separator":",","currency_thousand_separator":" ",
         "currency_prefix":"","currency_suffix":" €"},
       "images":[{"id":57,"src":"https://boutique.example/wp-content/uploads/fanion.jpg","thumbnail":"x","name":"fanion.jpg","alt":""}],
       "categories":[{"id":9,"name":"D&eacute;co","slug":"deco","link":"https://boutique.example/categorie/deco/"}],
       "is_purchasable":true,"is_in_stock":true,"is_on_backorder":false,"low_stock_remaining":null},
      {"id":35,"name":"Sweat à capuche","permalink":"https://boutique.example/produit/sweat/","sku":"","on_sale":false,
       "prices":{"price":"4500","regular_price":"4500","sale_price":"4500","price_range":{"min_amount":"4500","max_amount":"5500"},
         "currency_code":"EUR","currency_minor_unit":2},
       "images":[],"categories":[],"is_in_stock":false},
      {"id":36,"name":"T-shirt variable","type":"variable","permalink":"https://boutique.example/produit/t-shirt/","on_sale":true,
       "prices":{"price":"1800","regular_price":"2000","sale_price":"1800","price_range":{"min_amount":"1800","max_amount":"2400"},
         "currency_code":"EUR","currency_minor_unit":2},"is_in_stock":true},
      {"id":37,"name":"Coffret sans prix","permalink":"https://boutique.example/produit/coffret/",
       "prices":{"price":"","regular_price":"","sale_price":"","price_range":null,"currency_code":"EUR","currency_minor_unit":2}},
      {"id":38,"name":"Variable sans prix direct","permalink":"https://boutique.example/produit/v/",
       "prices":{"price_range":{"min_amount":"990","max_amount":"1990"},"currency_minor_unit":2}}
    ]"#;

    #[test]
    fn a_sale_is_read_in_minor_units_with_its_regular_price_and_decoded_name() {
        let offers = parse_products_page(PAGE, &page_url(), "EUR").unwrap();
        assert_eq!(offers.len(), 4, "the product without any price is no offer: {offers:#?}");
        let fanion = &offers[0];
        assert_eq!(fanion.name, "Fanion “WordPress” & co");
        assert_eq!(fanion.price, Some(dec("11.05")));
        assert_eq!(fanion.previous_price, Some(dec("15")));
        assert_eq!(fanion.currency.as_deref(), Some("EUR"));
        assert_eq!(fanion.url.as_deref(), Some("https://boutique.example/produit/fanion/"));
        assert_eq!(fanion.sku.as_deref(), Some("wp-pennant"));
        assert_eq!(fanion.category.as_deref(), Some("Déco"));
        assert_eq!(fanion.image.as_deref(), Some("https://boutique.example/wp-content/uploads/fanion.jpg"));
        assert_eq!(fanion.availability, Some(Availability::InStock));
        assert_eq!(fanion.engine, "woocommerce");
    }

    #[test]
    fn no_sale_no_previous_price_and_out_of_stock_is_said() {
        let offers = parse_products_page(PAGE, &page_url(), "EUR").unwrap();
        let sweat = &offers[1];
        assert_eq!(sweat.price, Some(dec("45")));
        assert_eq!(sweat.previous_price, None);
        assert_eq!(sweat.sku, None, "an empty SKU is no SKU");
        assert_eq!(sweat.availability, Some(Availability::OutOfStock));
    }

    #[test]
    fn a_variable_product_is_priced_from_its_cheapest_variation() {
        let offers = parse_products_page(PAGE, &page_url(), "EUR").unwrap();
        assert_eq!(offers[2].price, Some(dec("18")));
        assert_eq!(offers[2].previous_price, Some(dec("20")));
        assert_eq!(offers[3].price, Some(dec("9.90")), "the range's minimum when no price is given");
        assert_eq!(offers[3].currency.as_deref(), Some("EUR"), "the shop's currency when the API gives none");
    }

    #[test]
    fn a_zero_decimal_currency_is_not_divided() {
        let json = r#"[{"name":"Tenugui","permalink":"/p/tenugui","on_sale":true,
            "prices":{"price":"1980","regular_price":"2480","currency_code":"JPY","currency_minor_unit":0}}]"#;
        let offers = parse_products_page(json, &page_url(), "EUR").unwrap();
        assert_eq!(offers[0].price, Some(dec("1980")));
        assert_eq!(offers[0].previous_price, Some(dec("2480")));
        assert_eq!(offers[0].currency.as_deref(), Some("JPY"));
        assert_eq!(offers[0].url.as_deref(), Some("https://boutique.example/p/tenugui"));
    }

    #[test]
    fn the_page_url_lives_under_the_shop_home_and_says_its_size() {
        let store = Url::parse("https://example.org/boutique/").unwrap();
        assert_eq!(
            products_page_url(&store, 3).as_str(),
            "https://example.org/boutique/wp-json/wc/store/v1/products?per_page=100&page=3"
        );
        let full = format!("[{}]", vec![r#"{"name":"x"}"#; 100].join(","));
        assert!(parse_products_answer(&full, &page_url(), "EUR").unwrap().may_have_next());
        assert!(!parse_products_answer("[]", &page_url(), "EUR").unwrap().may_have_next());
    }

    #[test]
    fn an_error_object_or_a_page_is_a_clear_error() {
        let closed = r#"{"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}}"#;
        let error = parse_products_page(closed, &page_url(), "EUR").unwrap_err().to_string();
        assert!(error.contains("rest_no_route") && error.contains("boutique.example"), "{error}");
        let error = parse_products_page("<!doctype html><html>", &page_url(), "EUR").unwrap_err().to_string();
        assert!(error.contains("not a WooCommerce Store API products page"), "{error}");
    }
}
