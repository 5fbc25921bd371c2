//! The embedded JSON reader, used by `auto`: the state a JavaScript shop ships inside its page, searched for the
//! page's main product with its price.
//!
//! Shops built on Next.js, Nuxt, or any framework that renders on the server and hydrates in the browser put the
//! data the page was rendered from into the page itself: `<script id="__NEXT_DATA__" type="application/json">`,
//! the app router's React Server Components payload (`self.__next_f.push(...)`), Nuxt's `__NUXT_DATA__` (a
//! flattened "devalue" array) or `window.__NUXT__`, `window.__INITIAL_STATE__ = {...}`, Apollo-style caches, other
//! `application/json` blocks. When such a page has no structured data, that state is the
//! most exact source there is: amounts as the shop's back end holds them, with the previous price (`compareAtPrice`,
//! `listPrice`, `wasPrice`...), the currency, the SKU.
//!
//! The state holds many products (recommendations, recently viewed, the menu's featured items), so the main product
//! is chosen by what the page itself says it shows: a product whose URL, slug or name matches the page's URL,
//! canonical link or `<h1>`. Without such a match, only a product standing alone (not one of a list of products)
//! is taken, so a recommendation list's first item is never read as the page's product. Walking the state is
//! bounded (bytes per script, nodes, depth): a page's state can be megabytes.

use std::collections::HashMap;
use std::sync::LazyLock;

use rust_decimal::Decimal;
use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

use crate::scrape::engines::page_dom::visible_text;
use crate::scrape::engines::values::{absolute_url, clean_text, collapse_whitespace, same_page};
use crate::scrape::offer::RawOffer;

mod product;
mod states;

use product::{CURRENCY_KEYS, Found, iso_code, product, text_at};

/// The source's name in offers.
pub const ENGINE: &str = "embedded_json";

/// Scripts bigger than this are not parsed (no page's product state is near it; a bundle may be).
const MAX_SCRIPT_BYTES: usize = 8 * 1024 * 1024;
/// JSON nodes visited per page at most, all states together (revived Nuxt payloads included).
const MAX_NODES: usize = 400_000;
/// How deep the walk goes into a state.
const MAX_DEPTH: usize = 64;

fn css(text: &str) -> Selector {
    Selector::parse(text).expect("a valid selector")
}

static CANONICAL: LazyLock<Selector> = LazyLock::new(|| css("link[rel=canonical][href]"));
static H1: LazyLock<Selector> = LazyLock::new(|| css("h1"));

/// The page's main product as its embedded state gives it (empty when no state names one).
pub fn extract(html: &str, page_url: &Url) -> Vec<RawOffer> {
    extract_from(&Html::parse_document(html), page_url)
}

/// [`extract`] on an already parsed page.
pub fn extract_from(document: &Html, page_url: &Url) -> Vec<RawOffer> {
    let states = states::states(document);
    if states.is_empty() {
        return Vec::new();
    }
    let page = PageIdentity::read(document, page_url);
    let mut walk = Walk::default();
    for state in &states {
        walk.containers += 1;
        let root = walk.containers;
        walk.visit(state, 0, root, false);
    }
    let Some(chosen) = walk.choose(&page) else { return Vec::new() };
    let mut offer = chosen.offer;
    if chosen.whole_amounts && shows_in_cents(document, offer.price) {
        let cents = |amount: Decimal| {
            if amount.fract().is_zero() { (amount / Decimal::ONE_HUNDRED).normalize() } else { amount }
        };
        offer.price = offer.price.map(cents);
        offer.previous_price = offer.previous_price.map(cents);
    }
    if offer.currency.is_none() {
        // The state's currency, when it names only one (a currency switcher's list names several).
        if let [only] = walk.state_currencies.as_slice() {
            offer.currency = Some(only.clone());
        }
    }
    offer.url = offer.url.or_else(|| Some(page_url.to_string()));
    offer.url = offer.url.and_then(|url| absolute_url(page_url, &url));
    offer.image = offer.image.and_then(|image| absolute_url(page_url, &image));
    vec![offer]
}

/// What the page says it shows: its URL, its canonical URL, its `<h1>`.
struct PageIdentity {
    urls: Vec<Url>,
    /// The last path segments of those URLs, lower case, without extension (`robe-midi-123`).
    segments: Vec<String>,
    /// The `<h1>` as comparable words.
    heading: Option<String>,
}

impl PageIdentity {
    fn read(document: &Html, page_url: &Url) -> PageIdentity {
        let mut urls = vec![page_url.clone()];
        if let Some(canonical) = document
            .select(&CANONICAL)
            .next()
            .and_then(|link| link.value().attr("href"))
            .and_then(|href| page_url.join(href.trim()).ok())
        {
            urls.push(canonical);
        }
        let segments = urls.iter().filter_map(|url| last_segment(url.path())).collect();
        let heading = document
            .select(&H1)
            .map(|h1| comparable(&h1.text().collect::<String>()))
            .find(|heading| !heading.is_empty());
        PageIdentity { urls, segments, heading }
    }

    /// How surely a product with these URLs, slugs and name is the one the page shows: 0 not at all, 1 its name is
    /// within the heading, 2 its slug is part of the page's last path segment (`robe-midi` in `123-robe-midi`), 3 its
    /// URL is the page's, its slug the page's last segment, or its name the heading.
    fn shows(&self, candidate: &Candidate) -> u8 {
        let name = comparable(&candidate.offer.name);
        let heading = self.heading.as_deref().filter(|_| !name.is_empty());
        let slugs: Vec<String> = candidate
            .slugs
            .iter()
            .map(|slug| slug.trim_matches('/').to_ascii_lowercase())
            .filter(|slug| slug.len() >= 3)
            .collect();
        let exact = candidate.urls.iter().any(|url| self.urls.iter().any(|page| same_page(page, url)))
            || slugs.iter().any(|slug| self.segments.contains(slug))
            || heading.is_some_and(|heading| heading == name);
        if exact {
            3
        } else if slugs.iter().any(|slug| self.segments.iter().any(|segment| contains_as_part(segment, slug))) {
            2
        } else if heading.is_some_and(|heading| name.len() >= 8 && heading.contains(&name)) {
            1
        } else {
            0
        }
    }
}

/// The last non-empty segment of a URL path, lower case, its extension (`.html`) and query dropped.
fn last_segment(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let segment = path.trim_end_matches('/').rsplit('/').next()?.to_ascii_lowercase();
    let segment = segment.rsplit_once('.').map_or(segment.as_str(), |(stem, _)| stem).to_string();
    (segment.len() >= 3).then_some(segment)
}

/// `needle` is `haystack`, or a part of it between separators (`robe-midi` in `123-robe-midi`).
fn contains_as_part(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(start, _)| {
        let end = start + needle.len();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        boundary(haystack[..start].chars().next_back()) && boundary(haystack[end..].chars().next())
    })
}

/// Text reduced to lower-case words, for comparing a name with a heading.
fn comparable(text: &str) -> String {
    let text: String = clean_text(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' })
        .collect();
    collapse_whitespace(&text)
}

/// A priced product found in the state.
struct Candidate {
    offer: RawOffer,
    urls: Vec<String>,
    slugs: Vec<String>,
    /// Its price was a whole number: maybe in cents, as Shopify themes and many back ends write them.
    whole_amounts: bool,
    /// The container (array or object) it was found in.
    container: usize,
    /// A key on its path names a product (`pageProps.product`), not a list or a cart.
    product_path: bool,
    depth: usize,
}

#[derive(Default)]
struct Walk {
    candidates: Vec<Candidate>,
    /// The currency codes met anywhere in the state (the first two): when there is one, it is the shop's, for
    /// products that do not say theirs.
    state_currencies: Vec<String>,
    containers: usize,
    /// The arrays holding several objects, by container number: their items are a list's, priced or not.
    lists: HashMap<usize, usize>,
    nodes: usize,
}

impl Walk {
    /// Visits `value`, found directly inside the container numbered `container`.
    fn visit(&mut self, value: &Value, depth: usize, container: usize, product_path: bool) {
        if depth > MAX_DEPTH || self.nodes >= MAX_NODES {
            return;
        }
        self.nodes += 1;
        match value {
            Value::Object(object) => {
                if let Some(found) = product(object) {
                    let Found { offer, urls, slugs, whole_amounts } = found;
                    self.candidates.push(Candidate {
                        offer,
                        urls,
                        slugs,
                        whole_amounts,
                        container,
                        product_path,
                        depth,
                    });
                }
                if let Some(code) = text_at(object, CURRENCY_KEYS).and_then(|code| iso_code(&code))
                    && !self.state_currencies.contains(&code)
                    && self.state_currencies.len() < 2
                {
                    self.state_currencies.push(code);
                }
                self.containers += 1;
                let id = self.containers;
                for (key, child) in object {
                    let names_product = key.to_ascii_lowercase().contains("product");
                    self.visit(child, depth + 1, id, names_product || (product_path && !child.is_array()));
                }
            }
            Value::Array(items) => {
                self.containers += 1;
                let id = self.containers;
                let objects = items.iter().filter(|item| item.is_object()).count();
                if objects > 1 {
                    self.lists.insert(id, objects);
                }
                for item in items {
                    self.visit(item, depth + 1, id, false);
                }
            }
            _ => {}
        }
    }

    /// The page's main product: one the page shows, else the only product standing alone (not one of a list).
    fn choose(&mut self, page: &PageIdentity) -> Option<Candidate> {
        let mut per_container: HashMap<usize, usize> = HashMap::new();
        for candidate in &self.candidates {
            *per_container.entry(candidate.container).or_default() += 1;
        }
        let listed = |candidate: &Candidate| {
            per_container[&candidate.container] > 1 || self.lists.contains_key(&candidate.container)
        };
        let strength: Vec<u8> = self.candidates.iter().map(|candidate| page.shows(candidate)).collect();
        let best = strength.iter().copied().max().unwrap_or(0);
        let chosen = if best == 0 {
            let alone: Vec<usize> = (0..self.candidates.len()).filter(|&i| !listed(&self.candidates[i])).collect();
            let named: Vec<usize> = alone.iter().copied().filter(|&i| self.candidates[i].product_path).collect();
            match (named.as_slice(), alone.as_slice()) {
                ([only], _) | ([], [only]) => Some(*only),
                // Several products stand alone and nothing says which the page shows: better none than a guess.
                _ => None,
            }
        } else {
            // Of the products the page shows most surely, the least nested one standing alone: a product before
            // its variants.
            (0..self.candidates.len())
                .filter(|&i| strength[i] == best)
                .min_by_key(|&i| (listed(&self.candidates[i]), self.candidates[i].depth))
        }?;
        Some(self.candidates.swap_remove(chosen))
    }
}

/// Whether a whole price (`10900`) is shown on the page in cents (`109,00 €`, `109 €`) and not as written: states
/// rarely say their unit, the page the visitor reads does.
fn shows_in_cents(document: &Html, price: Option<Decimal>) -> bool {
    let Some(price) = price.filter(|p| p.fract().is_zero() && *p >= Decimal::ONE_HUNDRED) else { return false };
    let text = visible_text(document.root_element());
    let written = price.trunc().to_string();
    let mut as_written = number_forms(&written, None);
    as_written.extend(number_forms(&written, Some("00")));
    let cents = format!("{:.2}", price / Decimal::ONE_HUNDRED);
    let (units, fraction) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut in_cents = number_forms(units, Some(fraction));
    if fraction == "00" {
        in_cents.extend(number_forms(units, None));
    }
    let shown = |forms: &[String]| forms.iter().any(|form| shows_number(&text, form));
    shown(&in_cents) && !shown(&as_written)
}

/// The ways a shop may print an amount: thousands grouped by nothing, a space, a dot, a comma or an apostrophe, and
/// the fraction (if any) after a dot or a comma.
fn number_forms(units: &str, fraction: Option<&str>) -> Vec<String> {
    let mut forms = Vec::new();
    for group in ["", " ", ".", ",", "'"] {
        if !group.is_empty() && units.len() <= 3 {
            continue;
        }
        let mut grouped = String::new();
        for (i, digit) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push_str(group);
            }
            grouped.push(digit);
        }
        match fraction {
            Some(fraction) => forms
                .extend([".", ","].iter().filter(|sep| **sep != group).map(|sep| format!("{grouped}{sep}{fraction}"))),
            None => forms.push(grouped),
        }
    }
    forms
}

/// `number` appears in `text` as a whole number: no digit, and no decimal part, glued to it.
fn shows_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let mut after = text[start + number.len()..].chars();
        let (next, then) = (after.next(), after.next());
        let glued_fraction = matches!(next, Some('.' | ',')) && then.is_some_and(|c| c.is_ascii_digit());
        !before.is_some_and(|c| c.is_ascii_digit()) && !next.is_some_and(|c| c.is_ascii_digit()) && !glued_fraction
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::offer::Availability;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    /// A Next.js product page: the product under `props.pageProps`, recommendations beside it, no structured data.
    const NEXT_PAGE: &str = r#"<!DOCTYPE html><html><head><title>Casque Nova | Sonique</title>
      <link rel="canonical" href="https://sonique.example/p/casque-nova"></head>
      <body><div id="__next"><h1>Casque Nova</h1><p>149,99 €</p></div>
      <script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{
        "recommendations":[
          {"id":"r1","name":"Enceinte Mini","slug":"enceinte-mini","price":{"amount":"39.99","currencyCode":"EUR"},"compareAtPrice":{"amount":"59.99","currencyCode":"EUR"}},
          {"id":"r2","name":"Câble","slug":"cable","price":{"amount":"9.99","currencyCode":"EUR"}}],
        "product":{"id":"p1","name":"Casque Nova","slug":"casque-nova","sku":"NOVA-BLK","gtin13":"3700000000018",
          "brand":{"name":"Sonique"},"images":[{"url":"https://cdn.sonique.example/nova.jpg"}],
          "price":{"amount":"149.99","currencyCode":"EUR"},"compareAtPrice":{"amount":"199.99","currencyCode":"EUR"},
          "availableForSale":true}},"__N_SSP":true},"page":"/p/[slug]","query":{"slug":"casque-nova"},"buildId":"x"}</script>
      </body></html>"#;

    #[test]
    fn a_next_js_page_gives_its_product_not_the_recommendations() {
        let offers = extract(NEXT_PAGE, &url("https://sonique.example/p/casque-nova?utm_source=x"));
        assert_eq!(offers.len(), 1);
        let nova = &offers[0];
        assert_eq!(nova.name, "Casque Nova");
        assert_eq!(nova.price, Some(dec("149.99")));
        assert_eq!(nova.previous_price, Some(dec("199.99")));
        assert_eq!(nova.currency.as_deref(), Some("EUR"));
        assert_eq!(nova.sku.as_deref(), Some("NOVA-BLK"));
        assert_eq!(nova.gtin.as_deref(), Some("3700000000018"));
        assert_eq!(nova.brand.as_deref(), Some("Sonique"));
        assert_eq!(nova.image.as_deref(), Some("https://cdn.sonique.example/nova.jpg"));
        assert_eq!(nova.availability, Some(Availability::InStock));
        assert_eq!(nova.engine, "embedded_json");
    }

    #[test]
    fn auto_reads_the_state_when_the_page_has_no_structured_data_before_guessing_from_the_text() {
        let found = crate::scrape::engines::auto::extract(NEXT_PAGE, &url("https://sonique.example/p/casque-nova"));
        assert_eq!(found.engine, Some("embedded_json"));
        let main = found.main().unwrap();
        assert_eq!((main.price, main.previous_price), (Some(dec("149.99")), Some(dec("199.99"))));
    }

    #[test]
    fn a_product_is_named_by_the_identifier_its_url_ends_with() {
        let html = r#"<html><body><h1>Les bons plans</h1><script>window.__PRELOADED_STATE__ = {"pdp":{"items":[
          {"productId":48213,"name":"Perceuse 18 V","price":{"value":"89,90 €"},"wasPrice":"119,90 €"},
          {"productId":48214,"name":"Visseuse 12 V","price":{"value":"49,90 €"}}]}};</script></body></html>"#;
        let offers = extract(html, &url("https://brico.example/outillage/perceuse-18-v-48213.html"));
        assert_eq!(offers[0].name, "Perceuse 18 V");
        assert_eq!((offers[0].price, offers[0].previous_price), (Some(dec("89.90")), Some(dec("119.90"))));
        assert_eq!(offers[0].currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_next_js_app_router_payload_is_read_across_its_chunks() {
        // React Server Components rows pushed in chunks; the product row is cut between two pushes.
        let html = r#"<html><body><h1>Montre Atlas</h1>
          <script>self.__next_f.push([1,"0:[\"$\",\"$L1\",null,{}]\n1:I[\"./chunks/app.js\",[],\"Header\"]\n2:T1c,<p>Livraison offerte</p>\n"])</script>
          <script>self.__next_f.push([1,"3:[\"$\",\"$L4\",null,{\"product\":{\"title\":\"Montre Atlas\",\"handle\":\"montre-at"])</script>
          <script>self.__next_f.push([1,"las\",\"price\":{\"amount\":\"219.00\",\"currencyCode\":\"EUR\"},\"compareAtPrice\":{\"amount\":\"259.00\",\"currencyCode\":\"EUR\"}},\"related\":[{\"title\":\"Bracelet\",\"price\":{\"amount\":\"39.00\"}},{\"title\":\"Écrin\",\"price\":{\"amount\":\"19.00\"}}]}]\n"])</script>
          </body></html>"#;
        let offers = extract(html, &url("https://atlas.example/products/montre-atlas"));
        assert_eq!(offers[0].name, "Montre Atlas");
        assert_eq!((offers[0].price, offers[0].previous_price), (Some(dec("219")), Some(dec("259"))));
        assert_eq!(offers[0].currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_list_of_products_that_the_page_does_not_name_gives_nothing() {
        let html = r#"<html><body><h1>Nos meilleures ventes</h1><script id="__NEXT_DATA__" type="application/json">
          {"props":{"pageProps":{"items":[{"name":"A","slug":"a-1","price":10},{"name":"B","slug":"b-2","price":12}]}}}</script></body></html>"#;
        assert!(extract(html, &url("https://shop.example/meilleures-ventes")).is_empty());
    }

    #[test]
    fn a_window_state_is_matched_by_its_url_and_reads_a_was_price_in_the_price_object() {
        let html = r#"<html><body><h1>Lampe Arc</h1><script>
          window.__INITIAL_STATE__ = {"catalog":{"entities":{
            "101":{"title":"Lampe Arc","url":"/fr/lampe-arc-101.html","price":{"current":{"value":89.5},"was":{"value":120}},"currency":"EUR"},
            "102":{"title":"Lampe Sol","url":"/fr/lampe-sol-102.html","price":{"current":{"value":59}},"currency":"EUR"}}}};
          window.dataLayer = window.dataLayer || [];</script></body></html>"#;
        let offers = extract(html, &url("https://maison.example/fr/lampe-arc-101.html"));
        assert_eq!(offers[0].name, "Lampe Arc");
        assert_eq!((offers[0].price, offers[0].previous_price), (Some(dec("89.5")), Some(dec("120"))));
        assert_eq!(offers[0].currency.as_deref(), Some("EUR"));
        assert_eq!(offers[0].url.as_deref(), Some("https://maison.example/fr/lampe-arc-101.html"));
    }

    #[test]
    fn a_json_parse_state_and_an_apollo_cache_are_read_and_variants_give_the_price() {
        let html = r#"<html><body><h1>Sneaker Volt</h1><script>window.__APOLLO_STATE__ = JSON.parse("{\"Product:7\":{\"__typename\":\"Product\",\"title\":\"Sneaker Volt\",\"handle\":\"sneaker-volt\",\"variants\":[{\"title\":\"40\",\"price\":{\"amount\":\"89.00\",\"currencyCode\":\"CHF\"},\"compareAtPrice\":{\"amount\":\"119.00\",\"currencyCode\":\"CHF\"},\"availableForSale\":false,\"sku\":\"V-40\"},{\"title\":\"41\",\"price\":{\"amount\":\"95.00\",\"currencyCode\":\"CHF\"},\"compareAtPrice\":null,\"availableForSale\":true,\"sku\":\"V-41\"}]},\"Product:8\":{\"title\":\"Chaussettes\",\"handle\":\"chaussettes\",\"price\":{\"amount\":\"9.00\",\"currencyCode\":\"CHF\"}}}");</script></body></html>"#;
        let offers = extract(html, &url("https://volt.example/products/sneaker-volt"));
        assert_eq!(offers[0].name, "Sneaker Volt");
        assert_eq!(offers[0].price, Some(dec("95")), "the first variant in stock");
        assert_eq!(offers[0].previous_price, None);
        assert_eq!(offers[0].sku.as_deref(), Some("V-41"));
        assert_eq!(offers[0].currency.as_deref(), Some("CHF"));
    }

    #[test]
    fn a_nuxt_payload_is_revived_and_a_lone_product_is_taken_without_a_match() {
        // Nuxt 3's flattened payload: indexes into the array, `ShallowReactive` and `Reactive` wrappers.
        let html = r#"<html><body><h1>Promo du jour</h1><script type="application/json" id="__NUXT_DATA__" data-ssr="true">
          [["ShallowReactive",1],{"data":2,"state":9},["ShallowReactive",3],{"product-42":4},
           {"product":5},{"name":6,"price":7,"originalPrice":8},"Robe lin",39.9,49.9,{"currency":10},"EUR"]
          </script></body></html>"#;
        let offers = extract(html, &url("https://mode.example/promo-du-jour"));
        assert_eq!(offers.len(), 1, "{offers:#?}");
        assert_eq!(offers[0].name, "Robe lin");
        assert_eq!((offers[0].price, offers[0].previous_price), (Some(dec("39.9")), Some(dec("49.9"))));
        assert_eq!(offers[0].currency.as_deref(), Some("EUR"), "the state's currency");
    }

    #[test]
    fn whole_prices_are_read_in_cents_when_the_page_shows_them_so() {
        // A Shopify theme's product JSON: amounts in cents, as `{{ product | json }}` writes them.
        let shopify = r#"<html><body><h1>Robe Iris</h1><span class="price">39,90&nbsp;€</span><s>59,90 €</s>
          <script type="application/json" data-product-json>{"id":1,"title":"Robe Iris","handle":"robe-iris","price":3990,
          "price_min":3990,"compare_at_price":5990,"available":true,"variants":[]}</script></body></html>"#;
        let offers = extract(shopify, &url("https://iris.example/products/robe-iris"));
        assert_eq!((offers[0].price, offers[0].previous_price), (Some(dec("39.90")), Some(dec("59.90"))));
        let thousands = shopify.replace("39,90&nbsp;€", "1\u{202f}299,00 €").replace("3990", "129900");
        assert_eq!(extract(&thousands, &url("https://iris.example/products/robe-iris"))[0].price, Some(dec("1299")));
        // Whole euros shown as written stay as written.
        let euros = r#"<html><body><h1>Lampe</h1><p>Prix : 450 €</p><script id="__NEXT_DATA__" type="application/json">
          {"props":{"pageProps":{"product":{"name":"Lampe","slug":"lampe","price":450}}}}</script></body></html>"#;
        assert_eq!(extract(euros, &url("https://l.example/p/lampe"))[0].price, Some(dec("450")));
        // Nothing shown at all: the state is taken as written.
        let hidden = euros.replace("<p>Prix : 450 €</p>", "");
        assert_eq!(extract(&hidden, &url("https://l.example/p/lampe"))[0].price, Some(dec("450")));
    }

    #[test]
    fn an_empty_link_does_not_name_the_page_and_a_currency_list_is_no_currency() {
        let html = r##"<html><body><h1>Nos produits</h1><script id="__NEXT_DATA__" type="application/json">
          {"props":{"pageProps":{"currencies":[{"currency":"EUR"},{"currency":"USD"}],
           "menu":[{"name":"Offre","url":"#","price":5},{"name":"Autre","url":"","price":7}]}}}</script></body></html>"##;
        assert!(extract(html, &url("https://shop.example/produits")).is_empty(), "a list's items stay unnamed");
        let one_priced = html.replace(r#","url":"","price":7}"#, "}");
        assert!(extract(&one_priced, &url("https://shop.example/produits")).is_empty(), "still a list's first item");
        let lone = html.replace(
            r##""menu":[{"name":"Offre","url":"#","price":5},{"name":"Autre","url":"","price":7}]"##,
            r##""promo":{"name":"Offre","url":"#","price":5}"##,
        );
        let offers = extract(&lone, &url("https://shop.example/produits"));
        assert_eq!(offers[0].name, "Offre", "a lone priced object is taken");
        assert_eq!(offers[0].currency, None, "two currencies in the state: neither is the product's");
    }

    #[test]
    fn pages_without_state_broken_json_or_code_assignments_give_nothing() {
        let page = url("https://shop.example/p/x");
        assert!(extract("<html><body><h1>X</h1><p>12 €</p></body></html>", &page).is_empty());
        let broken =
            r#"<html><body><script id="__NEXT_DATA__" type="application/json">{"props":</script></body></html>"#;
        assert!(extract(broken, &page).is_empty());
        let code = r#"<html><body><script>window.__NUXT__=(function(a,b){return {data:[{name:a,price:b}]}}("X",12));</script></body></html>"#;
        assert!(extract(code, &page).is_empty());
    }
}
