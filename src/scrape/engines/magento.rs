//! The `magento` engine: reads a Magento 2 / Adobe Commerce shop's storefront GraphQL `products` query.
//!
//! Magento's storefront GraphQL is public (it is what PWA Studio and headless fronts render from) and answers GET
//! requests, which is all dealcast's fetcher sends: the query rides in the URL. Each product gives its price range;
//! its `minimum_price` is what the shop shows first ("from"), a deal when the `final_price` is below the
//! `regular_price`. Amounts are JSON numbers with their currency, read exactly through their decimal text.

use serde::Deserialize;
use url::Url;

use crate::scrape::engines::values::{clean_text, currency_code, machine_decimal};
use crate::scrape::offer::{Availability, RawOffer};

/// The engine's name in offers and shop files.
pub const ENGINE: &str = "magento";

/// Products asked for per page: big pages spare requests, and Magento's query complexity limit stays far.
pub const PAGE_SIZE: u32 = 100;

/// The fields read from each product, as the storefront schema names them (Magento 2.4).
const ITEM_FIELDS: &str = "__typename name sku url_key url_suffix canonical_url stock_status small_image{url} \
    categories{name} price_range{minimum_price{regular_price{value currency} final_price{value currency} \
    discount{amount_off percent_off}}}";

#[derive(Debug, thiserror::Error)]
pub enum MagentoError {
    #[error("{url} is not a Magento GraphQL answer: {source}")]
    NotGraphQlJson {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    /// The server understood the request and refused the query (a field its version lacks, a disabled module).
    #[error("{url}: Magento GraphQL answered errors: {messages}")]
    GraphQl { url: String, messages: String },
    #[error("{url}: the Magento GraphQL answer has no `data.products`")]
    NoProducts { url: String },
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Debug, Deserialize)]
struct GraphQlError {
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(default)]
    products: Option<Products>,
}

#[derive(Debug, Deserialize)]
struct Products {
    #[serde(default)]
    items: Vec<Item>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Debug, Deserialize)]
struct PageInfo {
    #[serde(default)]
    total_pages: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Item {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    url_key: Option<String>,
    #[serde(default)]
    url_suffix: Option<String>,
    #[serde(default)]
    canonical_url: Option<String>,
    #[serde(default)]
    stock_status: Option<String>,
    #[serde(default)]
    small_image: Option<ImageRef>,
    #[serde(default)]
    categories: Option<Vec<Category>>,
    #[serde(default)]
    price_range: Option<PriceRange>,
}

#[derive(Debug, Deserialize)]
struct ImageRef {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Category {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PriceRange {
    #[serde(default)]
    minimum_price: Option<ProductPrice>,
}

#[derive(Debug, Deserialize)]
struct ProductPrice {
    #[serde(default)]
    regular_price: Option<Money>,
    #[serde(default)]
    final_price: Option<Money>,
}

#[derive(Debug, Deserialize)]
struct Money {
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    currency: Option<String>,
}

impl Money {
    fn amount(&self) -> Option<rust_decimal::Decimal> {
        match self.value.as_ref()? {
            serde_json::Value::Number(number) => machine_decimal(&number.to_string()),
            serde_json::Value::String(text) => machine_decimal(text),
            _ => None,
        }
    }
}

/// One products page as the crawler needs it: its offers and how many pages the catalogue has.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductsPage {
    pub offers: Vec<RawOffer>,
    /// `page_info.total_pages`, when the answer gives it.
    pub total_pages: Option<u32>,
}

/// The GET URL of page `page` (1-based) of the catalogue, on the GraphQL endpoint under the shop's home (`store`):
/// a store view with its code in the URL (`/fr/`) answers for that view at `/fr/graphql`.
pub fn products_page_url(store: &Url, page: u32) -> Url {
    let query = format!(
        "{{products(search:\"\",pageSize:{PAGE_SIZE},currentPage:{page}){{total_count page_info{{current_page page_size total_pages}} items{{{ITEM_FIELDS}}}}}}}"
    );
    let mut url = store.join("graphql").unwrap_or_else(|_| store.clone());
    url.query_pairs_mut().clear().append_pair("query", &query);
    url
}

/// The offers of one products page. Product URLs are resolved under the store of the GraphQL endpoint.
pub fn parse_products_page(json: &str, page_url: &Url, currency: &str) -> Result<Vec<RawOffer>, MagentoError> {
    Ok(parse_products_answer(json, page_url, currency)?.offers)
}

/// [`parse_products_page`], also giving the catalogue's page count.
pub fn parse_products_answer(json: &str, page_url: &Url, currency: &str) -> Result<ProductsPage, MagentoError> {
    let answer: Answer = serde_json::from_str(json.trim_start_matches('\u{feff}'))
        .map_err(|source| MagentoError::NotGraphQlJson { url: page_url.to_string(), source })?;
    if !answer.errors.is_empty() {
        let messages: Vec<String> = answer.errors.iter().map(|e| clean_text(&e.message)).collect();
        return Err(MagentoError::GraphQl { url: page_url.to_string(), messages: messages.join("; ") });
    }
    let products = answer
        .data
        .and_then(|data| data.products)
        .ok_or_else(|| MagentoError::NoProducts { url: page_url.to_string() })?;
    let total_pages = products.page_info.and_then(|info| info.total_pages);
    let offers = products.items.into_iter().filter_map(|item| to_offer(item, page_url, currency)).collect();
    Ok(ProductsPage { offers, total_pages })
}

fn to_offer(item: Item, page_url: &Url, currency: &str) -> Option<RawOffer> {
    let url = product_url(&item, page_url)?;
    let minimum = item.price_range?.minimum_price?;
    let final_price = minimum.final_price.as_ref().or(minimum.regular_price.as_ref())?;
    let price = final_price.amount()?;
    let previous_price = minimum.regular_price.as_ref().and_then(Money::amount).filter(|regular| *regular > price);
    let text = |value: Option<String>| value.map(|v| clean_text(&v)).filter(|v| !v.is_empty());
    Some(RawOffer {
        name: text(item.name).unwrap_or_default(),
        url: Some(url),
        price: Some(price),
        previous_price,
        currency: Some(final_price.currency.as_deref().and_then(currency_code).unwrap_or_else(|| currency.to_string())),
        availability: item.stock_status.as_deref().and_then(Availability::parse),
        sku: text(item.sku),
        image: item.small_image.and_then(|image| page_url.join(image.url?.trim()).ok()).map(String::from),
        category: item.categories.unwrap_or_default().into_iter().find_map(|c| text(c.name)),
        engine: ENGINE.to_string(),
        ..RawOffer::default()
    })
}

/// The product page: its canonical URL when the shop gives one, else the store's home, URL key and suffix.
fn product_url(item: &Item, page_url: &Url) -> Option<String> {
    let canonical = item.canonical_url.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let relative = match canonical {
        Some(canonical) => canonical.to_string(),
        None => {
            let key = item.url_key.as_deref().map(str::trim).filter(|k| !k.is_empty())?;
            format!("{key}{}", item.url_suffix.as_deref().unwrap_or("").trim())
        }
    };
    // Relative URLs are relative to the store view: the folder the GraphQL endpoint is in.
    let mut store = page_url.clone();
    store.set_query(None);
    store.join(&relative).ok().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn page_url() -> Url {
        products_page_url(&Url::parse("https://magasin.example/fr/").unwrap(), 1)
    }

    /// Shaped like Magento 2.4's documented `products` answer.
    const PAGE: &str = r#"{"data":{"products":{"total_count":4,"page_info":{"current_page":1,"page_size":100,"total_pages":2},
      "items":[
        {"__typename":"ConfigurableProduct","name":"Veste &amp; capuche","sku":"MJ01","url_key":"veste-capuche","url_suffix":".html",
         "canonical_url":null,"stock_status":"IN_STOCK","small_image":{"url":"https://magasin.example/media/catalog/product/mj01.jpg"},
         "categories":[{"name":"Vestes"}],
         "price_range":{"minimum_price":{"regular_price":{"value":77,"currency":"EUR"},"final_price":{"value":61.6,"currency":"EUR"},
           "discount":{"amount_off":15.4,"percent_off":20}}}},
        {"__typename":"SimpleProduct","name":"Sac de sport","sku":"24-MB04","url_key":"sac-sport","url_suffix":".html",
         "canonical_url":"sac-sport.html","stock_status":"OUT_OF_STOCK","small_image":null,
         "price_range":{"minimum_price":{"regular_price":{"value":32,"currency":"EUR"},"final_price":{"value":32,"currency":"EUR"},
           "discount":{"amount_off":0,"percent_off":0}}}},
        {"__typename":"SimpleProduct","name":"Gourde","sku":"G1","url_key":"gourde","url_suffix":null,"canonical_url":"https://magasin.example/fr/equipement/gourde.html",
         "stock_status":"IN_STOCK","price_range":{"minimum_price":{"regular_price":{"value":12.99,"currency":"USD"},"final_price":{"value":9.99,"currency":"USD"}}}},
        {"__typename":"GiftCard","name":"Carte cadeau","sku":"GC","url_key":"carte","price_range":{"minimum_price":{"final_price":{"value":0,"currency":"EUR"}}}},
        {"__typename":"SimpleProduct","name":"Sans URL","sku":"X","price_range":{"minimum_price":{"final_price":{"value":5,"currency":"EUR"}}}}
      ]}}}"#;

    #[test]
    fn a_discounted_product_is_priced_by_its_minimum_final_price() {
        let page = parse_products_answer(PAGE, &page_url(), "EUR").unwrap();
        assert_eq!(page.total_pages, Some(2));
        assert_eq!(page.offers.len(), 3, "no zero price, no product without a page: {:#?}", page.offers);
        let veste = &page.offers[0];
        assert_eq!(veste.name, "Veste & capuche");
        assert_eq!(veste.price, Some(dec("61.6")));
        assert_eq!(veste.previous_price, Some(dec("77")));
        assert_eq!(veste.currency.as_deref(), Some("EUR"));
        assert_eq!(veste.url.as_deref(), Some("https://magasin.example/fr/veste-capuche.html"));
        assert_eq!(veste.image.as_deref(), Some("https://magasin.example/media/catalog/product/mj01.jpg"));
        assert_eq!(veste.availability, Some(Availability::InStock));
        assert_eq!(veste.category.as_deref(), Some("Vestes"));
        assert_eq!(veste.engine, "magento");
    }

    #[test]
    fn no_discount_is_no_previous_price_and_canonical_urls_win() {
        let offers = parse_products_page(PAGE, &page_url(), "EUR").unwrap();
        let sac = &offers[1];
        assert_eq!(sac.price, Some(dec("32")));
        assert_eq!(sac.previous_price, None);
        assert_eq!(sac.availability, Some(Availability::OutOfStock));
        assert_eq!(sac.url.as_deref(), Some("https://magasin.example/fr/sac-sport.html"));
        let gourde = &offers[2];
        assert_eq!(gourde.url.as_deref(), Some("https://magasin.example/fr/equipement/gourde.html"));
        assert_eq!((gourde.price, gourde.previous_price), (Some(dec("9.99")), Some(dec("12.99"))));
        assert_eq!(gourde.currency.as_deref(), Some("USD"), "each amount says its currency");
    }

    #[test]
    fn the_query_rides_in_a_get_url_on_the_store_views_endpoint() {
        let url = page_url();
        assert_eq!(url.path(), "/fr/graphql");
        let query = url.query_pairs().find(|(k, _)| k == "query").map(|(_, v)| v.into_owned()).unwrap();
        assert!(query.starts_with("{products(search:\"\",pageSize:100,currentPage:1)"), "{query}");
        assert!(query.contains("final_price{value currency}") && query.contains("total_pages"), "{query}");
        assert_eq!(query.matches('{').count(), query.matches('}').count(), "{query}");
    }

    #[test]
    fn graphql_errors_and_non_json_answers_are_clear_errors() {
        let refused = r#"{"errors":[{"message":"Cannot query field \"url_suffix\" on type \"ProductInterface\".","extensions":{"category":"graphql"}}]}"#;
        let error = parse_products_page(refused, &page_url(), "EUR").unwrap_err().to_string();
        assert!(error.contains("Magento GraphQL answered errors") && error.contains("url_suffix"), "{error}");
        let error = parse_products_page("<html>", &page_url(), "EUR").unwrap_err().to_string();
        assert!(error.contains("not a Magento GraphQL answer"), "{error}");
        let error = parse_products_page(r#"{"data":{}}"#, &page_url(), "EUR").unwrap_err().to_string();
        assert!(error.contains("no `data.products`"), "{error}");
    }
}
