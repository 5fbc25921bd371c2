//! The `auto` engine: tries every parse half in order of trust and answers with the first that finds a priced
//! main product, completed by what the others saw of the same product.
//!
//! Shops rarely say which markup they use, and each markup has gaps: JSON-LD often omits the crossed-out price a
//! visitor sees, microdata sometimes omits the currency. The order is JSON-LD → microdata → OpenGraph → the page
//! state a JavaScript shop ships (`embedded_json`) → visible heuristic (structured data first, since it names the
//! product unambiguously; exact amounts before guessing from the text); the answer is then completed from
//! the other sources, but only with facts about the same price, so a recommended product's "was" price never
//! leaks in. JSON-LD is read from the raw HTML; the DOM is parsed once, and only when JSON-LD leaves something to
//! complete or find: parsing the DOM costs ten times more than the rest, so when JSON-LD gives a priced product
//! without a previous price, the raw text around the visible price is first scanned for any sign of a crossed-out
//! price (`may_show_previous_near`), and the DOM is parsed only if there is one.
//!
//! Not every page of a shop sells a product. Structured data only counts when it names a product of the page's
//! own (not the items of a listing, a bundle's or a menu's product when the page's own is there too); a page that
//! describes itself as an event or an article, a cart page, and a listing whose only buy buttons are its cards'
//! get no product at all, so a crawl counts them as pages without an offer rather than storing a wrong price.
//! When a product's variants have several prices, the one the page shows is taken.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;
use scraper::Html;
use url::Url;

use crate::scrape::engines::heuristic::{self, VisiblePrices};
use crate::scrape::engines::json_ld::OfferFacts;
use crate::scrape::engines::page_dom::{PageIdentity, is_cart_url};
use crate::scrape::engines::values::real_previous;
use crate::scrape::engines::{embedded_json, json_ld, microdata, opengraph};
use crate::scrape::offer::RawOffer;

/// What the `auto` engine found on a page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutoExtraction {
    /// The engine whose main product answered (`"json_ld"`, `"microdata"`, `"opengraph"`, `"embedded_json"`,
    /// `"heuristic"`), or
    /// `None` when no engine found a priced product.
    pub engine: Option<&'static str>,
    /// The answering engine's offers, the main product first (completed from the other engines).
    pub offers: Vec<RawOffer>,
}

impl AutoExtraction {
    /// The page's main product, if a priced one was found.
    pub fn main(&self) -> Option<&RawOffer> {
        self.offers.first().filter(|_| self.engine.is_some())
    }
}

/// Reads the page's main product with the first engine that finds it priced, completed by the others.
pub fn extract(html: &str, page_url: &Url) -> AutoExtraction {
    let identity = PageIdentity::scan(html, page_url);
    let json = json_ld::read(html, page_url, &identity);
    let json_main = json.offers.first().filter(|_| json.main_found && json.price_options.is_empty());
    let json_complete = json_main.is_some_and(|main| {
        main.price.is_some() && main.currency.is_some() && !main.name.is_empty() && main.previous_price.is_some()
    });
    let json_enough = json_main.is_some_and(|main| {
        main.price.is_some_and(|price| !may_show_previous_near(html, price))
            && main.currency.is_some()
            && !main.name.is_empty()
    });
    if json_complete || json_enough {
        return answer(json_ld::ENGINE, json.offers, &[], None, page_url);
    }
    let document = Html::parse_document(html);
    let mut visible = VisiblePrices::read(&document);
    let micro = microdata::read_from(&document, page_url, &identity);
    let own_product = json.main_found || micro.main_found;
    visible.product_declared |= own_product || micro.has_offer_item;
    let only_listed = (!json.offers.is_empty() && !json.main_found) || (!micro.offers.is_empty() && !micro.main_found);
    let other_page = json.other_page_kind
        || micro.other_page_kind
        || is_cart_url(page_url)
        || visible.cart_title
        || (only_listed && !visible.shows_a_product());
    if !own_product && other_page {
        return AutoExtraction::default();
    }
    let mut json_offers = if json.main_found { json.offers } else { Vec::new() };
    if let Some(main) = json_offers.first_mut() {
        take_the_shown_option(main, &json.price_options, &visible);
    }
    let micro_offers = if micro.main_found { micro.offers } else { Vec::new() };
    let og_offers = opengraph::extract_from(&document, page_url);
    let heuristic_offers: Vec<RawOffer> = heuristic::offer_from(&document, &visible, page_url).into_iter().collect();
    let sources = [
        (json_ld::ENGINE, json_offers),
        (microdata::ENGINE, micro_offers),
        (opengraph::ENGINE, og_offers),
        // The state a JavaScript shop ships in its page: exact amounts, before guessing from the visible text.
        (embedded_json::ENGINE, embedded_json::extract_from(&document, page_url)),
        (heuristic::ENGINE, heuristic_offers),
    ];
    let Some(chosen) = sources.iter().position(|(_, offers)| offers.first().is_some_and(|main| main.price.is_some()))
    else {
        return AutoExtraction {
            engine: None,
            offers: sources.into_iter().find_map(|(_, o)| (!o.is_empty()).then_some(o)).unwrap_or_default(),
        };
    };
    let others: Vec<RawOffer> = sources
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != chosen)
        .filter_map(|(_, (_, offers))| offers.first().cloned())
        .collect();
    let (engine, offers) = &sources[chosen];
    answer(engine, offers.clone(), &others, Some(&visible), page_url)
}

/// A product sold at several prices (sizes, colours) shows one of them by the title: that one is the price, when
/// it is one of the product's offers.
fn take_the_shown_option(main: &mut RawOffer, options: &[OfferFacts], visible: &VisiblePrices) {
    let Some(shown) = visible.main_price().map(|node| node.amount) else { return };
    if main.price == Some(shown) {
        return;
    }
    if let Some(option) = options.iter().find(|option| option.price == Some(shown)) {
        main.price = option.price;
        main.previous_price = real_previous(option.price, option.previous);
        main.availability = option.availability.or(main.availability);
        main.sku = option.sku.clone().or(main.sku.take());
        main.gtin = option.gtin.clone().or(main.gtin.take());
        main.currency = option.currency.clone().or(main.currency.take());
    }
}

/// A name's words, lower case, for telling whether one name says all another does.
fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

fn answer(
    engine: &'static str,
    mut offers: Vec<RawOffer>,
    others: &[RawOffer],
    visible: Option<&VisiblePrices>,
    page_url: &Url,
) -> AutoExtraction {
    if let Some(main) = offers.first_mut() {
        complete(main, others, visible);
        // The page is the main product's page even when its markup gives no URL.
        if main.url.is_none() {
            main.url = Some(page_url.to_string());
        }
    }
    AutoExtraction { engine: Some(engine), offers }
}

/// Fills the main product's gaps from other engines' main products with the same price, then from the visible
/// page around that price.
fn complete(main: &mut RawOffer, others: &[RawOffer], visible: Option<&VisiblePrices>) {
    let Some(price) = main.price else { return };
    let same_price: Vec<&RawOffer> = others.iter().filter(|other| other.price == Some(price)).collect();
    if main.name.is_empty() {
        // Any engine's title names the page's product, priced or not; structured titles come first.
        main.name = others.iter().map(|other| other.name.clone()).find(|name| !name.is_empty()).unwrap_or_default();
    }
    if main.engine == embedded_json::ENGINE {
        // A page state often names the product shortly for analytics ("Zaino Dolomiti 30 L"); the title a visitor
        // reads says all of it and more ("Zaino da escursionismo Dolomiti 30 L blu"): that one is the name.
        let words = name_words(&main.name);
        // A document title ("Robe midi | Maison Test") says more only by naming the shop: never that one.
        let titled = |name: &str| [" | ", " - ", " – ", " — "].iter().any(|separator| name.contains(separator));
        if let Some(fuller) = others.iter().map(|other| &other.name).find(|name| {
            let theirs = name_words(name);
            !titled(name) && theirs.len() > words.len() && words.iter().all(|word| theirs.contains(word))
        }) {
            main.name = fuller.clone();
        }
    }
    if main.currency.is_none() {
        main.currency = same_price.iter().find_map(|other| other.currency.clone());
    }
    if main.currency.is_none() {
        main.currency = visible.and_then(|visible| visible.currency_for_price(price));
    }
    if main.previous_price.is_none() {
        main.previous_price = same_price
            .iter()
            .find_map(|other| other.previous_price)
            .or_else(|| visible.and_then(|visible| visible.previous_for_price(price)))
            .filter(|previous: &Decimal| *previous > price);
    }
    for other in same_price {
        main.availability = main.availability.or(other.availability);
        main.gtin = main.gtin.take().or_else(|| other.gtin.clone());
        main.sku = main.sku.take().or_else(|| other.sku.clone());
        main.brand = main.brand.take().or_else(|| other.brand.clone());
        main.image = main.image.take().or_else(|| other.image.clone());
        main.valid_until = main.valid_until.or(other.valid_until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn page() -> Url {
        Url::parse("https://shop.example/p/tablet").unwrap()
    }

    #[test]
    fn json_ld_without_a_previous_price_is_completed_by_the_visible_crossed_out_price() {
        let html = r#"<html><head><script type="application/ld+json">{"@type":"Product","name":"Tablet",
            "offers":{"@type":"Offer","price":"1149.00","priceCurrency":"EUR"}}</script></head>
          <body><h1>Tablet</h1><div class="price-block"><span class="price">€1149.00</span><del>€1239.00</del></div>
          <div class="recommendations"><span class="price">€1149.00</span><del>€1500.00</del></div></body></html>"#;
        let found = extract(html, &page());
        assert_eq!(found.engine, Some("json_ld"));
        let main = found.main().unwrap();
        assert_eq!(main.price, Some(dec("1149")));
        assert_eq!(main.previous_price, Some(dec("1239")));
        assert_eq!(main.url.as_deref(), Some("https://shop.example/p/tablet"));
    }

    #[test]
    fn microdata_without_currency_takes_the_currency_shown_with_its_price() {
        let html = r#"<body><div itemscope itemtype="http://schema.org/Product"><h1 itemprop="name">Puzzle</h1>
          <div itemprop="offers" itemscope itemtype="http://schema.org/Offer"><meta itemprop="price" content="16.90">
          <span class="price">€ 16,90</span></div></div></body>"#;
        let found = extract(html, &page());
        assert_eq!(found.engine, Some("microdata"));
        assert_eq!(found.main().unwrap().currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_page_without_structured_data_falls_back_to_the_heuristic() {
        let html = r#"<body><h1>Speaker</h1><p class="price">£49.00</p></body>"#;
        let found = extract(html, &page());
        assert_eq!(found.engine, Some("heuristic"));
        assert_eq!(found.main().unwrap().price, Some(dec("49")));
    }

    #[test]
    fn an_event_a_listing_and_a_cart_give_no_product_at_all() {
        let event = r#"<html><head><script type="application/ld+json">{"@type":"Event","name":"Atelier","offers":{"price":"59","priceCurrency":"EUR"}}</script></head>
          <body><h1>Atelier</h1><span class="price">59,00 €</span><button>Ajouter au panier</button></body></html>"#;
        assert_eq!(extract(event, &page()), AutoExtraction::default());
        let listing = r#"<html><head><script type="application/ld+json">{"@type":"ItemList","itemListElement":[{"@type":"ListItem","item":{"@type":"Product","name":"Skillet","offers":{"price":"24.99","priceCurrency":"USD"}}}]}</script></head>
          <body><h1>Skillets</h1></body></html>"#;
        assert_eq!(extract(listing, &page()), AutoExtraction::default());
        let cart = Url::parse("https://shop.example/cart").unwrap();
        let page_of_cart =
            r#"<body><h1>Basket</h1><span class="price">£36.00</span><button>Add to cart</button></body>"#;
        assert_eq!(extract(page_of_cart, &cart), AutoExtraction::default());
    }

    #[test]
    fn the_variant_price_the_page_shows_is_taken_among_the_offers() {
        let html = r#"<html><head><script type="application/ld+json">{"@type":"Product","name":"Jacket","offers":[
            {"@type":"Offer","price":"119.00","priceCurrency":"USD","availability":"https://schema.org/InStock"},
            {"@type":"Offer","price":"129.00","priceCurrency":"USD","availability":"https://schema.org/InStock"}]}</script></head>
          <body><h1>Jacket</h1><span class="price">$129.00</span><button>Add to cart</button></body></html>"#;
        let found = extract(html, &page());
        assert_eq!(found.engine, Some("json_ld"));
        assert_eq!(found.main().unwrap().price, Some(dec("129")));
    }

    #[test]
    fn a_page_without_any_price_has_no_answering_engine() {
        let found = extract("<html><body><h1>About us</h1></body></html>", &page());
        assert_eq!(found.engine, None);
        assert!(found.main().is_none());
    }
}

/// Words and tags that mark a crossed-out price in the markup around a price.
static STRIKE_MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)<(?:del|s|strike)[\s>]|line-through|[^a-z](?:old|was|strike\w*|crossed|barr[ée]\w*|rrp|uvp|msrp|compare\w*|regular|original|statt|ancien|list-?price|saving|save|économie|economie)[^a-z]",
    )
    .expect("a valid regex")
});

/// Markup just before a price that says it belongs to another product's card (recommendations, carousels).
static SECONDARY_MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)card|reco|carousel|slider|similar|related|upsell|cross-?sell|also").expect("a valid regex")
});

/// How much markup before a price is read for signs of another product's card, in bytes.
const SECONDARY_WINDOW: usize = 250;

/// How far around a visible price a crossed-out one is looked for, in bytes.
const STRIKE_WINDOW: usize = 400;

/// True unless the raw page shows `price` with nothing that looks like a crossed-out price near it. Occurrences
/// inside scripts or just after the markup of another product's card do not count. Conservative: a page where the
/// price is not found as visible text (scripts render it, odd formatting) may show one.
fn may_show_previous_near(html: &str, price: Decimal) -> bool {
    let fixed = format!("{:.2}", price.round_dp(2));
    let Some((integer, fraction)) = fixed.split_once('.') else { return true };
    // The last three digits of the integer part: thousands separators vary ("1 299,00", "1.299,00", "1,299.00").
    let tail = &integer[integer.len().saturating_sub(3)..];
    let mut needles: Vec<String> = [",", ".", "€"].iter().map(|sep| format!("{tail}{sep}{fraction}")).collect();
    if integer.len() > tail.len() {
        // Written without a thousands separator ("€1149.00").
        needles.extend([",", "."].iter().map(|sep| format!("{integer}{sep}{fraction}")));
    }
    if fraction == "00" {
        needles.push(tail.to_string());
    }
    let bytes = html.as_bytes();
    let scripts = script_ranges(bytes);
    let mut found = false;
    for needle in &needles {
        for position in memchr::memmem::find_iter(bytes, needle.as_bytes()).take(64) {
            let end = position + needle.len();
            let digit_before = position > 0 && bytes[position - 1].is_ascii_digit();
            let digit_after = bytes.get(end).is_some_and(u8::is_ascii_digit);
            if digit_before || digit_after || inside(&scripts, position) {
                continue;
            }
            let card_start = floor_boundary(html, position.saturating_sub(SECONDARY_WINDOW));
            if SECONDARY_MARKERS.is_match(&html[card_start..position]) {
                // Another product's card showing the same price: its crossed-out price is not ours.
                continue;
            }
            found = true;
            let start = floor_boundary(html, position.saturating_sub(STRIKE_WINDOW));
            let stop = floor_boundary(html, (end + STRIKE_WINDOW).min(html.len()));
            if STRIKE_MARKERS.is_match(&html[start..stop]) {
                return true;
            }
        }
    }
    !found
}

/// The byte ranges of the page's `<script>` elements, in order: analytics and app state mention prices and words
/// such as "discount" that are not what a visitor sees. Found once per page, then searched by bisection.
fn script_ranges(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(open) = memchr::memmem::find(&bytes[from..], b"<script").map(|i| from + i) {
        let close = memchr::memmem::find(&bytes[open..], b"</script").map_or(bytes.len(), |i| open + i);
        ranges.push((open, close));
        from = close.max(open + 1);
    }
    ranges
}

fn inside(ranges: &[(usize, usize)], position: usize) -> bool {
    let after = ranges.partition_point(|(start, _)| *start <= position);
    after > 0 && position < ranges[after - 1].1
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod strike_scan_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn a_lone_price_needs_no_dom_but_a_crossed_out_one_nearby_does() {
        let price = Decimal::from_str("6.99").unwrap();
        assert!(!may_show_previous_near(r#"<span class="price-current">6,99 €</span><p>Livraison</p>"#, price));
        assert!(may_show_previous_near(r#"<span class="price-current">6,99 €</span><s>9,99 €</s>"#, price));
        assert!(may_show_previous_near(r#"<span class="now">6.99</span><span class="price-old">9.99</span>"#, price));
        assert!(may_show_previous_near("<div>16,99 €</div>", price), "another number is not this price");
        let padding = "<p>Livraison offerte</p>".repeat(30);
        let analytics =
            format!(r#"<script>dataLayer.push({{"price":6.99,"discount":0}})</script>{padding}<b>6,99 €</b>"#);
        let analytics = analytics.as_str();
        assert!(!may_show_previous_near(analytics, price), "scripts are not what a visitor sees");
        let thousands = Decimal::from_str("1299").unwrap();
        assert!(!may_show_previous_near("<b>1\u{202f}299,00\u{a0}€</b>", thousands));
        let unseparated = Decimal::from_str("1149").unwrap();
        assert!(may_show_previous_near("<span>€1149.00</span><div>Was €1239.00</div>", unseparated));
    }
}
