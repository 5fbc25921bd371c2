//! Reading one object of a state as a product: its name, its price and previous price in whatever shape the shop
//! writes money (numbers, strings, money objects, minor units, variants), and the facts around them.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::scrape::engines::values::{clean_text, currency_code, machine_decimal, price_text};
use crate::scrape::offer::{Availability, RawOffer};

use super::ENGINE;

/// The keys shops' states use for each fact, most telling first. A data table, kept one fact to a few lines.
#[rustfmt::skip]
mod keys {
    /// Keys of the product's name.
    pub const NAME_KEYS: &[&str] = &[
        "name", "title", "productName", "product_name", "displayName", "display_name",
    ];
    /// Keys of the price paid, most specific first: a sale price is the price when the shop gives one.
    pub const PRICE_KEYS: &[&str] = &[
        "salePrice", "sale_price", "finalPrice", "final_price", "specialPrice", "special_price", "currentPrice",
        "current_price", "sellingPrice", "selling_price", "offerPrice", "offer_price", "discountedPrice",
        "discounted_price", "discountPrice", "price", "priceValue", "price_value", "priceAmount", "price_amount",
        "priceRange", "price_range",
    ];
    /// Keys of amounts in cents ("priceInCents": 1999 is 19.99).
    pub const CENT_PRICE_KEYS: &[&str] = &[
        "priceInCents", "price_in_cents", "priceCents", "price_cents", "salePriceCents",
    ];
    /// Keys of the crossed-out previous price.
    pub const PREVIOUS_KEYS: &[&str] = &[
        "compareAtPrice", "compare_at_price", "compareAtPriceV2", "compareAtPriceRange", "listPrice", "list_price",
        "originalPrice", "original_price", "wasPrice", "was_price", "regularPrice", "regular_price", "oldPrice",
        "old_price", "strikePrice", "strike_price", "strikethroughPrice", "strikeThroughPrice", "crossedPrice",
        "crossed_price", "priceBeforeDiscount", "price_before_discount", "fullPrice", "full_price", "initialPrice",
        "initial_price", "msrp", "rrp", "retailPrice", "retail_price",
    ];
    /// Keys inside a price object that hold the previous amount (`"price": {"current": 19, "was": 25}`).
    pub const PREVIOUS_INNER_KEYS: &[&str] = &[
        "was", "previous", "old", "regular", "original", "list", "before", "strike",
    ];
    /// Keys inside a price object that hold the amount, in order.
    pub const AMOUNT_KEYS: &[&str] = &[
        "value", "amount", "raw", "current", "sale", "final", "price", "min", "minimum", "minVariantPrice",
        "minimum_price", "minimumPrice", "final_price", "finalPrice", "regular_price", "withTax", "gross",
        "formatted", "formattedValue", "formattedPrice", "text", "display",
    ];
    pub const CURRENCY_KEYS: &[&str] = &[
        "currency", "currencyCode", "currency_code", "priceCurrency", "currencyIso", "currencyIsoCode",
    ];
    pub const URL_KEYS: &[&str] = &[
        "url", "href", "link", "permalink", "canonicalUrl", "canonical_url", "productUrl", "product_url", "pdpUrl",
        "uri", "path", "urlPath", "url_path",
    ];
    pub const SLUG_KEYS: &[&str] = &[
        "slug", "handle", "urlKey", "url_key", "seoSlug", "seo_slug",
    ];
    /// Keys of identifiers that product URLs often end with (`/p/robe-midi-12345`, `/dp/B08XYZ1234`).
    pub const ID_KEYS: &[&str] = &[
        "id", "productId", "product_id", "itemId", "item_id", "asin", "articleId", "sku",
    ];
    pub const IMAGE_KEYS: &[&str] = &[
        "image", "imageUrl", "image_url", "mainImage", "featuredImage", "featured_image", "thumbnail",
        "thumbnailUrl", "images", "media", "picture", "photo",
    ];
    pub const IMAGE_INNER_KEYS: &[&str] = &[
        "url", "src", "href", "originalSrc", "large", "default", "original",
    ];
    pub const SKU_KEYS: &[&str] = &[
        "sku", "SKU", "skuId", "productCode", "product_code", "articleNumber", "mpn",
    ];
    pub const GTIN_KEYS: &[&str] = &[
        "gtin", "gtin13", "gtin14", "gtin12", "gtin8", "ean", "ean13", "EAN", "barcode", "upc",
    ];
    pub const BRAND_KEYS: &[&str] = &[
        "brand", "vendor", "manufacturer", "brandName", "brand_name",
    ];
    pub const CATEGORY_KEYS: &[&str] = &[
        "category", "categoryName", "category_name", "productType", "product_type",
    ];
    pub const STOCK_WORD_KEYS: &[&str] = &[
        "availability", "stockStatus", "stock_status", "inventoryStatus",
    ];
    pub const STOCK_FLAG_KEYS: &[&str] = &[
        "inStock", "in_stock", "isInStock", "is_in_stock", "availableForSale", "isAvailable", "available",
    ];
    /// Keys of a product's variants, when the product object itself holds no price.
    pub const VARIANT_KEYS: &[&str] = &[
        "variants", "skus", "variations", "productVariants", "offers",
    ];
    pub const SELECTED_KEYS: &[&str] = &[
        "selected", "isSelected", "isDefault", "is_default", "default",
    ];
}

pub(super) use keys::CURRENCY_KEYS;
use keys::*;

/// A product with a name and a price read from one object of the state, with the URLs and slugs that may tie it
/// to the page.
pub(super) struct Found {
    pub offer: RawOffer,
    pub urls: Vec<String>,
    pub slugs: Vec<String>,
    /// Its price was a whole number: maybe in cents, as Shopify themes and many back ends write them.
    pub whole_amounts: bool,
}

pub(super) fn product(object: &Map<String, Value>) -> Option<Found> {
    let name = NAME_KEYS
        .iter()
        .filter_map(|key| object.get(*key)?.as_str())
        .map(clean_text)
        .find(|name| !name.is_empty() && name.len() <= 300 && !name.starts_with("http"))?;
    // Prices sit on the product, in a `prices` object (WooCommerce blocks), or on its selected variant.
    let holder = priced(object)
        .or_else(|| object.get("prices").and_then(Value::as_object).and_then(priced))
        .or_else(|| variant(object))?;
    let (price, price_currency) = holder.price?;
    let previous_price = holder.previous.filter(|previous| *previous > price);
    let source = holder.object;
    let text = |keys: &[&str]| text_at(source, keys).or_else(|| text_at(object, keys));
    // Only links to a page: an empty or fragment-only value would name the page itself.
    let urls: Vec<String> = URL_KEYS
        .iter()
        .filter_map(|key| object.get(*key)?.as_str())
        .map(str::trim)
        .filter(|url| url.len() > 1 && (url.starts_with("http") || url.starts_with('/')))
        .map(str::to_string)
        .collect();
    let mut slugs: Vec<String> =
        SLUG_KEYS.iter().filter_map(|key| object.get(*key)?.as_str()).map(str::to_string).collect();
    // Identifiers short enough to be met by chance in another URL are left out.
    slugs.extend(
        ID_KEYS
            .iter()
            .filter_map(|key| match object.get(*key)? {
                Value::String(text) => Some(text.trim().to_string()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            })
            .filter(|id| id.len() >= 4),
    );
    let gtin = GTIN_KEYS
        .iter()
        .filter_map(|key| source.get(*key).or_else(|| object.get(*key)))
        .filter_map(|value| match value {
            Value::String(text) => Some(text.trim().to_string()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
        .find(|code| (8..=14).contains(&code.len()) && code.chars().all(|c| c.is_ascii_digit()));
    let offer = RawOffer {
        name,
        url: urls.first().cloned(),
        price: Some(price),
        previous_price,
        currency: price_currency
            .or_else(|| text_at(source, CURRENCY_KEYS).and_then(|c| iso_code(&c)))
            .or_else(|| text_at(object, CURRENCY_KEYS).and_then(|c| iso_code(&c))),
        availability: availability(source).or_else(|| availability(object)),
        gtin,
        sku: text(SKU_KEYS),
        brand: named_text(object, BRAND_KEYS),
        image: IMAGE_KEYS.iter().find_map(|key| image_url(object.get(*key)?, 0)),
        category: named_text(object, CATEGORY_KEYS),
        engine: ENGINE.to_string(),
        ..RawOffer::default()
    };
    Some(Found { offer, urls, slugs, whole_amounts: holder.whole })
}

/// The object that holds a product's prices, with what it says.
struct PriceHolder<'a> {
    object: &'a Map<String, Value>,
    price: Option<(Decimal, Option<String>)>,
    previous: Option<Decimal>,
    /// The price was written as a whole number (`10900`, `"1950"`), in an unknown unit.
    whole: bool,
}

/// The price and previous price an object gives directly, if it gives a price.
fn priced(object: &Map<String, Value>) -> Option<PriceHolder<'_>> {
    // WooCommerce's preloaded Store API answers count in the currency's smallest unit.
    let minor_unit = object.get("currency_minor_unit").and_then(Value::as_u64).filter(|unit| *unit <= 6);
    let read = |value: &Value| match (minor_unit, value) {
        (Some(unit), Value::String(text)) if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => {
            let units: i64 = text.parse().ok()?;
            Some((Decimal::new(units, unit as u32).normalize(), None)).filter(|(amount, _)| *amount > Decimal::ZERO)
        }
        _ => money(value, 0),
    };
    let mut price_value = None;
    let mut price = None;
    for key in PRICE_KEYS {
        if let Some(value) = object.get(*key)
            && let Some(found) = read(value)
        {
            price = Some(found);
            price_value = Some(value);
            break;
        }
    }
    if price.is_none() {
        price = CENT_PRICE_KEYS.iter().find_map(|key| {
            let cents = object.get(*key)?.as_i64()?;
            Some((Decimal::new(cents, 2).normalize(), None)).filter(|(amount, _)| *amount > Decimal::ZERO)
        });
    }
    price.as_ref()?;
    let previous =
        PREVIOUS_KEYS.iter().find_map(|key| read(object.get(*key)?).map(|(amount, _)| amount)).or_else(|| {
            let inner = price_value?.as_object()?;
            PREVIOUS_INNER_KEYS.iter().find_map(|key| money(inner.get(*key)?, 0).map(|(amount, _)| amount))
        });
    let whole = minor_unit.is_none()
        && price_value.is_some_and(|value| match value {
            Value::Number(number) => number.is_u64() || number.is_i64(),
            Value::String(text) => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        });
    Some(PriceHolder { object, price, previous, whole })
}

/// The variant a product page opens on: the selected one, else the first in stock, else the first priced.
fn variant(object: &Map<String, Value>) -> Option<PriceHolder<'_>> {
    let variants: Vec<&Map<String, Value>> = VARIANT_KEYS
        .iter()
        .filter_map(|key| object.get(*key)?.as_array())
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    // Items that carry their own product (`{"price": …, "product": {"title": …}}`) are variants of several
    // products, as a collection or a search lists them: not this object's variants.
    if variants.iter().any(|variant| variant.get("product").is_some_and(Value::is_object)) {
        return None;
    }
    let flag = |variant: &Map<String, Value>, keys: &[&str]| {
        keys.iter().any(|key| variant.get(*key) == Some(&Value::Bool(true)))
    };
    let selected = variants.iter().find(|v| flag(v, SELECTED_KEYS)).and_then(|v| priced(v));
    selected
        .or_else(|| variants.iter().filter(|v| flag(v, STOCK_FLAG_KEYS)).find_map(|v| priced(v)))
        .or_else(|| variants.iter().find_map(|v| priced(v)))
}

/// An amount from a JSON value: a number (exactly), a string ("19,99 €"), or a money object (`{"amount": "19.99",
/// "currencyCode": "EUR"}`, `{"value": 19.99}`, `{"centAmount": 1999, "fractionDigits": 2}`), with its currency.
fn money(value: &Value, depth: usize) -> Option<(Decimal, Option<String>)> {
    match value {
        Value::Number(number) => machine_decimal(&number.to_string()).map(|amount| (amount, None)),
        Value::String(text) if text.len() <= 60 => {
            price_text(text).map(|(amount, currency)| (amount, currency.or_else(|| iso_from_text(text))))
        }
        Value::Object(object) if depth < 3 => {
            let currency = text_at(object, CURRENCY_KEYS).and_then(|code| iso_code(&code));
            if let (Some(cents), Some(digits)) = (
                object.get("centAmount").and_then(Value::as_i64),
                object.get("fractionDigits").and_then(Value::as_u64).filter(|d| *d <= 6),
            ) {
                let amount = Decimal::new(cents, digits as u32).normalize();
                return (amount > Decimal::ZERO).then_some((amount, currency));
            }
            let (amount, inner_currency) = AMOUNT_KEYS.iter().find_map(|key| money(object.get(*key)?, depth + 1))?;
            Some((amount, currency.or(inner_currency)))
        }
        _ => None,
    }
}

/// A code written in a price string ("19.99 EUR").
fn iso_from_text(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .find(|word| word.len() == 3 && word.chars().all(|c| c.is_ascii_uppercase()))
        .map(str::to_string)
}

/// A three-letter code as ISO 4217 writes it, or a symbol the price parser knows.
pub(super) fn iso_code(text: &str) -> Option<String> {
    currency_code(text).filter(|code| code.len() == 3)
}

/// The first non-empty string under one of `keys`.
pub(super) fn text_at(object: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().filter_map(|key| object.get(*key)?.as_str()).map(clean_text).find(|text| !text.is_empty())
}

/// A name given as a string or as an object with a name (`"brand": {"name": "Acme"}`).
fn named_text(object: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match object.get(*key)? {
        Value::String(text) => Some(clean_text(text)).filter(|t| !t.is_empty()),
        Value::Object(inner) => text_at(inner, &["name", "title"]),
        _ => None,
    })
}

fn availability(object: &Map<String, Value>) -> Option<Availability> {
    STOCK_WORD_KEYS.iter().find_map(|key| Availability::parse(object.get(*key)?.as_str()?)).or_else(|| {
        STOCK_FLAG_KEYS.iter().find_map(|key| {
            let in_stock = object.get(*key)?.as_bool()?;
            Some(if in_stock { Availability::InStock } else { Availability::OutOfStock })
        })
    })
}

/// An image URL from a string, an image object (`{"url": ...}`, `{"src": ...}`) or a list of them (the first).
fn image_url(value: &Value, depth: usize) -> Option<String> {
    if depth > 3 {
        return None;
    }
    match value {
        Value::String(text) => {
            let text = text.trim();
            (text.starts_with("http") || text.starts_with('/')).then(|| text.to_string())
        }
        Value::Array(items) => items.iter().find_map(|item| image_url(item, depth + 1)),
        Value::Object(object) => IMAGE_INNER_KEYS.iter().find_map(|key| image_url(object.get(*key)?, depth + 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn zero_decimal_minor_units_cents_and_money_objects_are_exact() {
        let woo = serde_json::json!({"name":"Tasse","prices":{"price":"1980","regular_price":"2480","currency_code":"JPY","currency_minor_unit":0}});
        let offer = product(woo.as_object().unwrap()).unwrap().offer;
        assert_eq!((offer.price, offer.previous_price), (Some(dec("1980")), Some(dec("2480"))));
        assert_eq!(offer.currency.as_deref(), Some("JPY"));
        let ct = serde_json::json!({"name":"Bol","price":{"value":{"centAmount":1299,"fractionDigits":2,"currencyCode":"EUR"}}});
        let offer = product(ct.as_object().unwrap()).unwrap().offer;
        assert_eq!(offer.price, Some(dec("12.99")));
        let cents = serde_json::json!({"title":"Plaid","priceInCents":4500,"listPrice":"59,00 €"});
        let offer = product(cents.as_object().unwrap()).unwrap().offer;
        assert_eq!((offer.price, offer.previous_price), (Some(dec("45")), Some(dec("59"))));
        assert_eq!(offer.currency, None, "the listPrice's symbol names the previous price's currency, not the price's");
        let unpriced = serde_json::json!({"name":"Catégorie","price":0});
        assert!(product(unpriced.as_object().unwrap()).is_none());
    }
}
