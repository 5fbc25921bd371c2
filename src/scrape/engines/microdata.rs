//! The microdata engine's parse half: schema.org `Product` items written with `itemscope`/`itemtype`/`itemprop`.
//!
//! Many shops (often older platforms) describe their product only in microdata, so it is the second structured
//! source after JSON-LD. Items are read as the HTML microdata model says: an `itemprop` belongs to the nearest
//! enclosing `itemscope`, a nested `itemscope` with an `itemprop` is that property's value (an `Offer`, a `Brand`),
//! and a property's value comes from `content` first, then the element's URL attribute, then its text.
//! Products nested in another product (accessories, similar items), products listed in an `ItemList` (a category
//! page's product miniatures) and products in recommendation blocks are not taken as the page's main product;
//! among the others, the one whose URL is the page's or whose name is the page's heading comes first (a header's
//! "deal of the day" is marked up as a product too). [`read_from`] also says whether the page describes itself as
//! an event or an article.

use rust_decimal::Decimal;
use scraper::{ElementRef, Html};
use url::Url;

use crate::scrape::engines::json_ld::{OfferFacts, choose_offer, is_previous_price_term, schema_term};
use crate::scrape::engines::page_dom::{MAX_DOM_DEPTH, PageIdentity, in_secondary_block, selector, visible_text};
use crate::scrape::engines::values::{absolute_url, clean_text, currency_code, price_text, valid_until};
use crate::scrape::offer::{Availability, RawOffer};

/// The engine name written in [`RawOffer::engine`].
pub const ENGINE: &str = "microdata";

/// Product types read as products.
const PRODUCT_TYPES: [&str; 5] = ["product", "productgroup", "productmodel", "individualproduct", "someproducts"];

/// Properties under which a nested product is another product than the page's own.
const RELATED_PROPERTIES: [&str; 5] =
    ["isrelatedto", "issimilarto", "isaccessoryorsparepartfor", "isconsumablefor", "itemlistelement"];

/// The products the page's microdata describes, the main product first.
pub fn extract(html: &str, page_url: &Url) -> Vec<RawOffer> {
    extract_from(&Html::parse_document(html), page_url)
}

/// As [`extract`], on a page already parsed (the `auto` engine parses once for all DOM engines).
pub fn extract_from(document: &Html, page_url: &Url) -> Vec<RawOffer> {
    read_from(document, page_url, &PageIdentity::default()).offers
}

/// What the page's microdata says about the page's products.
#[derive(Debug, Clone, Default)]
pub struct PageItems {
    /// Every product, the page's own first when [`Self::main_found`].
    pub offers: Vec<RawOffer>,
    /// The first offer is a product of the page's own (not listed, related or in a recommendation block).
    pub main_found: bool,
    /// The page describes itself as an event or an article.
    pub other_page_kind: bool,
    /// The page has an `Offer` item of its own outside any product (a price marked up for machines without the
    /// product around it, as some themes do).
    pub has_offer_item: bool,
}

/// Item types of pages that are not product pages (when no product stands on its own).
const OTHER_PAGE_TYPES: [&str; 4] = ["article", "blogposting", "newsarticle", "collectionpage"];

/// Reads the page's microdata products, with `identity` to recognise the page's own.
pub fn read_from(document: &Html, page_url: &Url, identity: &PageIdentity) -> PageItems {
    let Some(scopes) = selector("[itemscope][itemtype]") else { return PageItems::default() };
    let mut items = PageItems::default();
    let mut candidates = Vec::new();
    for (order, scope) in document.select(&scopes).enumerate() {
        let types = item_types(scope);
        if types.iter().any(|t| t.ends_with("event") || OTHER_PAGE_TYPES.contains(&t.as_str())) {
            items.other_page_kind = true;
        }
        let is_offer = types.iter().any(|t| t == "offer" || t == "aggregateoffer");
        if is_offer && !items.has_offer_item {
            let in_product = scope.ancestors().filter_map(ElementRef::wrap).any(is_product_scope);
            items.has_offer_item = !in_product && !listed(scope);
        }
        if !is_product_scope(scope) || scope.ancestors().filter_map(ElementRef::wrap).any(is_product_scope) {
            continue;
        }
        let related = scope.value().attr("itemprop").is_some_and(|names| {
            names.split_whitespace().any(|n| RELATED_PROPERTIES.contains(&n.to_ascii_lowercase().as_str()))
        });
        let secondary = related || listed(scope) || in_secondary_block(scope);
        let item = read_item(scope, page_url, 0);
        let offer = item_to_offer(&item, page_url);
        let url_is_page = offer.url.as_deref().is_some_and(|url| identity.is_page_url(url));
        let url_elsewhere = !url_is_page && offer.url.is_some();
        let named_as_page = identity.names_heading(&offer.name);
        let key =
            (secondary, !url_is_page, !named_as_page, url_elsewhere, offer.price.is_none(), offer.name.is_empty());
        candidates.push((key, order, offer));
    }
    candidates.sort_by_key(|(key, order, _)| (*key, *order));
    items.main_found = candidates.first().is_some_and(|((secondary, ..), _, _)| !secondary);
    for (_, _, offer) in candidates {
        if !items.offers.contains(&offer) {
            items.offers.push(offer);
        }
    }
    items
}

/// The lower-case schema.org types of an item.
fn item_types(scope: ElementRef) -> Vec<String> {
    scope
        .value()
        .attr("itemtype")
        .map(|types| types.split_whitespace().map(|t| schema_term(t).to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

/// Whether an item sits in a list of items (`itemListElement`, an `ItemList` or `OfferCatalog`): a listing's
/// product, not a page's.
fn listed(scope: ElementRef) -> bool {
    std::iter::once(scope).chain(scope.ancestors().filter_map(ElementRef::wrap)).any(|element| {
        let value = element.value();
        let list_property = value.attr("itemprop").is_some_and(|names| {
            names.split_whitespace().any(|name| schema_term(name).eq_ignore_ascii_case("itemListElement"))
        });
        let list_type = value.attr("itemscope").is_some()
            && item_types(element).iter().any(|t| matches!(t.as_str(), "itemlist" | "offercatalog"));
        list_property || list_type
    })
}

fn is_product_scope(element: ElementRef) -> bool {
    let value = element.value();
    value.attr("itemscope").is_some()
        && value.attr("itemtype").is_some_and(|types| {
            types.split_whitespace().any(|t| PRODUCT_TYPES.contains(&schema_term(t).to_ascii_lowercase().as_str()))
        })
}

/// One microdata item: its properties in document order.
#[derive(Debug, Clone, Default)]
struct Item {
    properties: Vec<(String, Property)>,
}

#[derive(Debug, Clone)]
enum Property {
    Text(String),
    Item(Item),
}

impl Item {
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties.iter().filter(move |(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
    }

    /// The first text value of a property (for an item value, its `name`, `url` or `contentUrl`).
    fn text(&self, name: &str) -> Option<String> {
        self.values(name).find_map(|value| match value {
            Property::Text(text) => Some(text.clone()).filter(|t| !t.is_empty()),
            Property::Item(item) => ["name", "url", "contentUrl"].iter().find_map(|key| item.text(key)),
        })
    }

    fn items<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.values(name).filter_map(|value| match value {
            Property::Item(item) => Some(item),
            Property::Text(_) => None,
        })
    }
}

fn read_item(scope: ElementRef, page_url: &Url, depth: usize) -> Item {
    let mut item = Item::default();
    collect_properties(scope, page_url, &mut item, depth);
    item
}

fn collect_properties(element: ElementRef, page_url: &Url, item: &mut Item, depth: usize) {
    if depth > MAX_DOM_DEPTH {
        return;
    }
    for child in element.children().filter_map(ElementRef::wrap) {
        let is_scope = child.value().attr("itemscope").is_some();
        if let Some(names) = child.value().attr("itemprop") {
            let value = if is_scope {
                Property::Item(read_item(child, page_url, depth + 1))
            } else {
                Property::Text(property_text(child, page_url))
            };
            for name in names.split_whitespace() {
                // Properties may be written as full URLs (`http://schema.org/price`).
                item.properties.push((schema_term(name).to_string(), value.clone()));
            }
        }
        if !is_scope {
            collect_properties(child, page_url, item, depth + 1);
        }
    }
}

/// A property's value as the microdata model defines it, with `content` preferred on every element (shops put the
/// machine value there and a formatted one in the text).
fn property_text(element: ElementRef, page_url: &Url) -> String {
    let value = element.value();
    if let Some(content) = value.attr("content") {
        return content.trim().to_string();
    }
    let url_attribute = match value.name() {
        "a" | "link" | "area" => Some("href"),
        "img" | "audio" | "video" | "source" | "iframe" | "embed" | "track" => Some("src"),
        "object" => Some("data"),
        _ => None,
    };
    if let Some(attribute) = url_attribute {
        return value.attr(attribute).and_then(|href| absolute_url(page_url, href)).unwrap_or_default();
    }
    let machine_attribute = match value.name() {
        "data" | "meter" => value.attr("value"),
        "time" => value.attr("datetime"),
        _ => None,
    };
    machine_attribute.map(|text| text.trim().to_string()).unwrap_or_else(|| visible_text(element))
}

fn item_to_offer(product: &Item, page_url: &Url) -> RawOffer {
    let mut offer = RawOffer { engine: ENGINE.to_string(), ..RawOffer::default() };
    offer.name = product.text("name").map(|name| clean_text(&name)).unwrap_or_default();
    offer.brand = product.text("brand").map(|brand| clean_text(&brand)).filter(|brand| !brand.is_empty());
    offer.image = product.text("image").and_then(|image| absolute_url(page_url, &image));
    offer.url = product.text("url").and_then(|url| absolute_url(page_url, &url));
    offer.gtin = ["gtin13", "gtin", "gtin14", "gtin12", "gtin8"].iter().find_map(|key| product.text(key));
    offer.sku = ["sku", "mpn", "productID"].iter().find_map(|key| product.text(key));
    offer.category = product.text("category").map(|category| clean_text(&category));
    let mut offer_items: Vec<&Item> = Vec::new();
    for item in product.items("offers") {
        offer_items.push(item);
        offer_items.extend(item.items("offers"));
    }
    let facts = choose_offer(offer_items.iter().map(|item| read_offer(item)).collect())
        .or_else(|| Some(read_offer(product)).filter(|facts| facts.price.is_some()));
    if let Some(facts) = facts {
        facts.apply_to(&mut offer);
    }
    offer
}

fn read_offer(item: &Item) -> OfferFacts {
    let mut facts = OfferFacts::default();
    let mut text_currency = None;
    for key in ["price", "lowPrice"] {
        if let Some((amount, currency)) = item.text(key).and_then(|text| price_text(&text)) {
            facts.price = Some(amount);
            facts.summary = key == "lowPrice";
            text_currency = currency;
            break;
        }
    }
    for spec in item.items("priceSpecification") {
        let Some((amount, currency)) = spec.text("price").and_then(|text| price_text(&text)) else { continue };
        let spec_currency = spec.text("priceCurrency").and_then(|c| currency_code(&c)).or(currency);
        let previous_type = spec.text("priceType").is_some_and(|t| is_previous_price_term(&t));
        if previous_type {
            facts.previous = Some(facts.previous.map_or(amount, |previous: Decimal| previous.max(amount)));
        } else if facts.price.is_none() && spec.values("referenceQuantity").next().is_none() {
            facts.price = Some(amount);
        }
        text_currency = text_currency.or(spec_currency);
    }
    facts.currency = item.text("priceCurrency").and_then(|c| currency_code(&c)).or(text_currency);
    facts.availability = item.text("availability").and_then(|a| Availability::parse(&a));
    facts.valid_until = item.text("priceValidUntil").and_then(|t| valid_until(&t));
    facts.url = item.text("url");
    facts.gtin = ["gtin13", "gtin", "gtin14", "gtin12", "gtin8"].iter().find_map(|key| item.text(key));
    facts.sku = item.text("sku");
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://shop.example/p/watch").unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn a_product_with_nested_offers_is_read_with_content_preferred_over_text() {
        let html = r#"<body itemscope itemtype="https://schema.org/WebPage">
          <div itemscope itemtype="http://schema.org/Product">
            <h1 itemprop="name">Montre &amp; bracelet</h1>
            <img itemprop="image" src="/img/w.jpg">
            <span itemprop="brand" itemscope itemtype="http://schema.org/Brand"><span itemprop="name">Casio</span></span>
            <meta itemprop="gtin13" content="4971850000000"><meta itemprop="sku" content="W-1">
            <div itemprop="offers" itemscope itemtype="http://schema.org/Offer">
              <span itemprop="price" content="259.00">259,00 €</span>
              <meta itemprop="priceCurrency" content="eur">
              <link itemprop="availability" href="http://schema.org/InStock">
              <div itemprop="priceSpecification" itemscope itemtype="http://schema.org/UnitPriceSpecification">
                <meta itemprop="priceType" content="https://schema.org/StrikethroughPrice"><meta itemprop="price" content="299">
              </div>
            </div>
            <div itemprop="isRelatedTo" itemscope itemtype="http://schema.org/Product">
              <span itemprop="name">Strap</span><meta itemprop="price" content="9">
            </div>
          </div></body>"#;
        let offers = extract(html, &page());
        assert_eq!(offers.len(), 1, "a product nested in the main product is not a separate main product");
        let main = &offers[0];
        assert_eq!(main.name, "Montre & bracelet");
        assert_eq!(main.price, Some(dec("259")));
        assert_eq!(main.previous_price, Some(dec("299")));
        assert_eq!(main.currency.as_deref(), Some("EUR"));
        assert_eq!(main.brand.as_deref(), Some("Casio"));
        assert_eq!(main.image.as_deref(), Some("https://shop.example/img/w.jpg"));
        assert_eq!(main.gtin.as_deref(), Some("4971850000000"));
        assert_eq!(main.availability, Some(Availability::InStock));
        assert_eq!(main.engine, "microdata");
    }

    #[test]
    fn a_price_given_only_as_text_is_read_with_its_currency() {
        let html = r#"<div itemscope itemtype="http://schema.org/Product"><span itemprop="name">OFLEKI</span>
          <div itemprop="offers" itemscope itemtype="http://schema.org/Offer"><span itemprop="price">26,00 €</span></div></div>"#;
        let main = &extract(html, &page())[0];
        assert_eq!(main.price, Some(dec("26")));
        assert_eq!(main.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn products_of_an_item_list_are_a_listing_s_not_the_page_s() {
        let html = Html::parse_document(
            r#"<div itemscope itemtype="http://schema.org/ItemList">
              <div itemprop="itemListElement" itemscope itemtype="http://schema.org/ListItem">
                <article itemprop="item" itemscope itemtype="http://schema.org/Product"><h2 itemprop="name">Ridge GTX</h2>
                  <div itemprop="offers" itemscope itemtype="http://schema.org/Offer"><meta itemprop="price" content="119.96"><meta itemprop="priceCurrency" content="EUR"></div></article></div></div>"#,
        );
        let items = read_from(&html, &page(), &PageIdentity::default());
        assert_eq!(items.offers.len(), 1);
        assert!(!items.main_found);
    }

    #[test]
    fn the_product_named_like_the_heading_beats_a_header_deal_and_an_event_is_told() {
        let raw = r#"<header><div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Set coltelli</span>
              <span itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="price" content="49.90"><meta itemprop="priceCurrency" content="EUR"></span></div></header>
            <div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Macchina per pasta</h1>
              <div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="price" content="64.90"><meta itemprop="priceCurrency" content="EUR"></div></div>"#;
        let items = read_from(&Html::parse_document(raw), &page(), &PageIdentity::scan(raw, &page()));
        assert_eq!(items.offers[0].name, "Macchina per pasta");
        assert!(items.main_found);
        let event = r#"<div itemscope itemtype="https://schema.org/Event"><h1 itemprop="name">Masterclass</h1>
            <div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="price" content="35"></div></div>"#;
        let items = read_from(&Html::parse_document(event), &page(), &PageIdentity::default());
        assert!(items.other_page_kind);
        assert!(items.offers.is_empty());
    }

    #[test]
    fn a_product_in_a_recommendation_block_comes_after_the_main_product() {
        let html = r#"<div class="related-products"><div itemscope itemtype="http://schema.org/Product">
            <span itemprop="name">Other</span><meta itemprop="price" content="5"><meta itemprop="priceCurrency" content="EUR"></div></div>
          <div itemscope itemtype="http://schema.org/Product"><span itemprop="name">Main</span>
            <div itemprop="offers" itemscope itemtype="http://schema.org/Offer"><meta itemprop="price" content="50"><meta itemprop="priceCurrency" content="EUR"></div></div>"#;
        let offers = extract(html, &page());
        assert_eq!(offers[0].name, "Main");
        assert_eq!(offers[1].name, "Other");
    }
}
