//! DOM judgements the DOM-based engines share: the words an element's class/id carry, whether an element sits in a
//! secondary block of the page (recommendations, carousels, footers), and its visible text.
//!
//! Product pages repeat prices and product markup in blocks around the main product ("customers also bought",
//! "similar items"); every engine must recognise those blocks the same way, so the vocabulary lives here once.
//! The same goes for what tells a product page from other pages of a shop (a buy button, a cart page) and for
//! what names the page's own product (its canonical URL, its heading), which the engines use to pick it among
//! several.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::scrape::engines::values::{clean_text, same_page};

/// Words in class names and ids that mark a block of other products than the page's own.
const SECONDARY_WORDS: [&str; 23] = [
    "recommend",
    "recommendation",
    "recommendations",
    "recs",
    "reco",
    "related",
    "carousel",
    "similar",
    "upsell",
    "crosssell",
    "also",
    "slider",
    "swiper",
    "sponsored",
    "footer",
    "bought",
    "recently",
    "viewed",
    "tile",
    "accessories",
    "minicart",
    "facets",
    "filters",
];

/// Words in class names and ids of blocks whose amounts are never the product's price: instalment and financing
/// offers, loyalty points, deposits, add-on services, unit prices. Not shipping: shops name their price blocks
/// `product-price-and-shipping` or `shipping-taxable`; shipping amounts are told by their text.
const NOISE_BLOCK_WORDS: [&str; 36] = [
    "klarna",
    "afterpay",
    "clearpay",
    "scalapay",
    "alma",
    "oney",
    "paypal",
    "affirm",
    "sezzle",
    "installment",
    "installments",
    "instalment",
    "instalments",
    "financing",
    "finance",
    "finanzierung",
    "financiacion",
    "financement",
    "credit",
    "paylater",
    "bnpl",
    "rate",
    "raty",
    "cuotas",
    "plazos",
    "loyalty",
    "rewards",
    "points",
    "punti",
    "fidelite",
    "bonus",
    "cashback",
    "deposit",
    "pfand",
    "warranty",
    "omnibus",
];

/// Tags that hold site-wide content, never the main product.
const SECONDARY_TAGS: [&str; 3] = ["footer", "nav", "aside"];

/// The lower-case words of an element's class, id and a few naming attributes, split at punctuation and at
/// camelCase boundaries (`prd_price__oldAmount` → prd, price, old, amount), so that "old" does not match "bold".
pub fn attribute_words(element: &scraper::node::Element) -> Vec<String> {
    let mut words = Vec::new();
    for name in ["class", "id", "itemprop", "data-testid", "data-test", "data-qa", "data-component"] {
        if let Some(value) = element.attr(name) {
            split_words(value, &mut words);
        }
    }
    words
}

/// Splits an identifier into lower-case words at non-alphanumeric characters and lower→upper case changes.
pub fn split_words(value: &str, words: &mut Vec<String>) {
    let mut current = String::new();
    let mut previous_lower = false;
    for c in value.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
}

/// Whether an element's own tag and words mark it as a secondary block (see [`SECONDARY_WORDS`]).
pub fn marks_secondary_block(element: &scraper::node::Element, words: &[String]) -> bool {
    SECONDARY_TAGS.contains(&element.name())
        || words.iter().any(|word| SECONDARY_WORDS.contains(&word.as_str()))
        || words
            .windows(2)
            .any(|pair| matches!((pair[0].as_str(), pair[1].as_str()), ("cross", "sell") | ("mini", "cart")))
}

/// Whether an element's words mark a block of amounts that are not the product's price (see [`NOISE_BLOCK_WORDS`]),
/// including unit-price blocks (`base-price`, `unit-price`, `price-per-unit`).
pub fn marks_noise_block(words: &[String]) -> bool {
    words.iter().any(|word| NOISE_BLOCK_WORDS.contains(&word.as_str()))
        || words.windows(2).any(|pair| {
            matches!(
                (pair[0].as_str(), pair[1].as_str()),
                ("base", "price") | ("unit", "price") | ("per", "unit") | ("price", "per") | ("pay", "in")
            )
        })
}

/// Whether the element or one of its ancestors is a secondary block.
pub fn in_secondary_block(element: ElementRef) -> bool {
    std::iter::once(element)
        .chain(element.ancestors().filter_map(ElementRef::wrap))
        .filter(|el| !matches!(el.value().name(), "html" | "body"))
        .any(|el| marks_secondary_block(el.value(), &attribute_words(el.value())))
}

/// The element's visible text (script and style content left out), whitespace collapsed.
pub fn visible_text(element: ElementRef) -> String {
    let mut text = String::new();
    push_visible_text(element, &mut text, 0);
    super::values::collapse_whitespace(&text)
}

/// Trees deeper than this are not read further: real pages stay far below it, and recursion must stay bounded.
pub const MAX_DOM_DEPTH: usize = 256;

fn push_visible_text(element: ElementRef, text: &mut String, depth: usize) {
    if depth > MAX_DOM_DEPTH || is_invisible_tag(element.value().name()) {
        return;
    }
    for child in element.children() {
        if let Some(chunk) = child.value().as_text() {
            text.push_str(chunk);
        } else if let Some(child) = ElementRef::wrap(child) {
            text.push(' ');
            push_visible_text(child, text, depth + 1);
        }
    }
}

/// Tags whose content is never shown as text.
pub fn is_invisible_tag(name: &str) -> bool {
    matches!(name, "script" | "style" | "noscript" | "template" | "svg" | "head")
}

/// Texts of controls that put the page's product in the cart (lower case, matched inside the control's text).
const BUY_TEXTS: [&str; 33] = [
    "add to cart",
    "add to basket",
    "add to bag",
    "add to trolley",
    "buy now",
    "buy it now",
    "ajouter au panier",
    "ajouter au caddie",
    "acheter maintenant",
    "in den warenkorb",
    "in den einkaufswagen",
    "jetzt kaufen",
    "añadir al carrito",
    "añadir a la cesta",
    "agregar al carro",
    "agregar al carrito",
    "aggiungi al carrello",
    "acquista ora",
    "in winkelwagen",
    "in winkelmand",
    "in mijn winkelwagen",
    "dodaj do koszyka",
    "kup teraz",
    "adicionar ao carrinho",
    "comprar agora",
    "přidat do košíku",
    "do košíku",
    "lägg i varukorg",
    "læg i kurv",
    "legg i handlekurv",
    "kosárba",
    "adaugă în coș",
    "adauga in cos",
];

/// Whether an element is a control that adds a product to the cart: a button, link or submit input whose text says
/// so in one of the shop languages, or whose class/id/name says "add to cart".
pub fn is_buy_control(element: &scraper::node::Element, words: &[String], text: &str) -> bool {
    let name = element.name();
    if !matches!(name, "button" | "a" | "input") {
        return false;
    }
    if name == "input" && !element.attr("type").is_some_and(|kind| kind.eq_ignore_ascii_case("submit")) {
        return false;
    }
    let shown = if name == "input" { element.attr("value").unwrap_or_default() } else { text };
    if shown.len() <= 120 && {
        let shown = shown.to_lowercase();
        BUY_TEXTS.iter().any(|buy| shown.contains(buy))
    } {
        return true;
    }
    let named_add_to_cart = element.attr("name").is_some_and(|n| n.eq_ignore_ascii_case("add-to-cart"));
    named_add_to_cart
        || words.iter().any(|word| matches!(word.as_str(), "addtocart" | "tocart" | "addtobasket" | "addtobag"))
        || words.windows(3).any(|w| w[0] == "add" && w[1] == "to" && matches!(w[2].as_str(), "cart" | "basket" | "bag"))
}

/// Texts of controls that book an event rather than buy a product (lower case, matched inside the control's text).
const BOOKING_TEXTS: [&str; 14] = [
    "ticket",
    "billet",
    "billets",
    "entradas",
    "biglietti",
    "bilety",
    "réserver",
    "reservieren",
    "reservar",
    "prenota",
    "reserveren",
    "zarezerwuj",
    "book now",
    "book your place",
];

/// Whether an element is a link or button that books an event ("Book tickets", "Réserver ma place").
pub fn is_booking_control(element: &scraper::node::Element, text: &str) -> bool {
    matches!(element.name(), "button" | "a") && text.len() <= 120 && {
        let text = text.to_lowercase();
        BOOKING_TEXTS.iter().any(|booking| text.contains(booking))
    }
}

/// Last path segments of cart and checkout pages.
const CART_PATHS: [&str; 18] = [
    "cart",
    "basket",
    "panier",
    "warenkorb",
    "koszyk",
    "carrito",
    "carrello",
    "winkelwagen",
    "winkelmand",
    "cesta",
    "carro",
    "checkout",
    "kosik",
    "kurv",
    "varukorg",
    "handlekurv",
    "kosar",
    "bag",
];

/// Whether the page's URL is a cart or checkout page (`/cart`, `/panier`, `/checkout/cart/`).
pub fn is_cart_url(url: &Url) -> bool {
    url.path_segments().and_then(|mut segments| segments.rfind(|s| !s.is_empty())).is_some_and(|last| {
        let last = last.to_ascii_lowercase();
        let stem = last.split('.').next().unwrap_or(&last);
        CART_PATHS.contains(&stem)
    })
}

/// Headings of cart pages, whole (lower case, counts in parentheses removed).
const CART_HEADINGS: [&str; 30] = [
    "cart",
    "your cart",
    "my cart",
    "shopping cart",
    "your shopping cart",
    "basket",
    "your basket",
    "shopping basket",
    "your bag",
    "shopping bag",
    "panier",
    "mon panier",
    "votre panier",
    "warenkorb",
    "ihr warenkorb",
    "dein warenkorb",
    "mein warenkorb",
    "koszyk",
    "twój koszyk",
    "carrito",
    "tu carrito",
    "mi carrito",
    "carrello",
    "il tuo carrello",
    "winkelwagen",
    "je winkelwagen",
    "jouw winkelwagen",
    "winkelmand",
    "tu cesta",
    "carro de compras",
];

/// Whether a page heading is a cart page's ("Your cart", "Mon panier (3)", "Twój koszyk").
pub fn is_cart_heading(heading: &str) -> bool {
    let text: String = heading.chars().filter(|c| !c.is_ascii_digit() && !matches!(c, '(' | ')' | ':')).collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    CART_HEADINGS.contains(&text.as_str())
}

/// What the page says about itself: the URLs it gives as its own (canonical link, `og:url`) and its headings
/// (`<h1>`), read from the raw HTML without building a DOM. Engines use it to tell the page's product from the
/// other products its structured data describes (bundles, accessories, a menu's featured product).
#[derive(Debug, Clone, Default)]
pub struct PageIdentity {
    urls: Vec<Url>,
    headings: Vec<String>,
}

static CANONICAL_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<link\b[^>]*\brel\s*=\s*["']?canonical\b[^>]*>"#).expect("a valid regex"));
static OG_URL_META: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<meta\b[^>]*\bproperty\s*=\s*["']og:url["'][^>]*>"#).expect("a valid regex"));
static HREF_OR_CONTENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)\b(?:href|content)\s*=\s*["']([^"']+)["']"#).expect("a valid regex"));
static HEADING_ONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<h1\b[^>]*>(.*?)</h1\s*>").expect("a valid regex"));

/// How many headings are read: pages have one product heading, sometimes after a logo's or an account link's.
const MAX_HEADINGS: usize = 5;

impl PageIdentity {
    /// Reads the page's own URLs and headings from its raw HTML.
    pub fn scan(html: &str, page_url: &Url) -> PageIdentity {
        let mut urls = vec![page_url.clone()];
        for tag in CANONICAL_LINK.find_iter(html).chain(OG_URL_META.find_iter(html)).take(4) {
            let found = HREF_OR_CONTENT.captures(tag.as_str()).and_then(|c| c.get(1));
            if let Some(url) = found.and_then(|href| page_url.join(&clean_text(href.as_str())).ok()) {
                urls.push(url);
            }
        }
        let headings = HEADING_ONE
            .captures_iter(html)
            .take(MAX_HEADINGS)
            .filter_map(|c| c.get(1))
            .map(|inner| squeeze(&clean_text(inner.as_str())))
            .filter(|heading| heading.chars().count() >= 3)
            .collect();
        PageIdentity { urls, headings }
    }

    /// Whether `url` (absolute or relative) names this page.
    pub fn is_page_url(&self, url: &str) -> bool {
        self.urls.iter().any(|own| same_page(own, url))
    }

    /// Whether a product name is the page's heading (or one contains the other, as shops add a brand or a size).
    pub fn names_heading(&self, name: &str) -> bool {
        let name = squeeze(name);
        name.chars().count() >= 3
            && self.headings.iter().any(|heading| heading.contains(&name) || name.contains(heading.as_str()))
    }
}

/// Lower-case letters and digits only: names and headings compare regardless of case, spacing and punctuation.
pub fn squeeze(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A CSS selector written in this crate; `None` only if the crate's own selector text were invalid.
pub fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

/// The `content` of the first `<meta>` whose `property` or `name` is one of `keys` (case-insensitive).
pub fn meta_content(document: &Html, keys: &[&str]) -> Option<String> {
    let metas = selector("meta[content]")?;
    for key in keys {
        for meta in document.select(&metas) {
            let element = meta.value();
            let named = ["property", "name", "itemprop"]
                .iter()
                .filter_map(|attr| element.attr(attr))
                .any(|name| name.trim().eq_ignore_ascii_case(key));
            if named && let Some(content) = element.attr("content").map(str::trim).filter(|c| !c.is_empty()) {
                return Some(content.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_and_punctuation_split_class_names_into_words() {
        let mut words = Vec::new();
        split_words("prd_price__oldAmount a-text-strike", &mut words);
        assert_eq!(words, ["prd", "price", "old", "amount", "a", "text", "strike"]);
    }

    fn first(html: &Html, css: &str) -> ElementRef<'static> {
        let html: &'static Html = Box::leak(Box::new(html.clone()));
        html.select(&selector(css).unwrap()).next().unwrap()
    }

    #[test]
    fn buy_buttons_are_told_by_their_text_value_or_class_in_several_languages() {
        let html = Html::parse_document(
            r#"<button class="btn">Ajouter au panier</button><input type="submit" value="Add to Basket">
            <a class="action tocart primary" href="/cart/add/1">+</a><button>Réserver ma place</button>
            <input type="text" value="add to cart">"#,
        );
        let buy = |css: &str| {
            let element = first(&html, css);
            is_buy_control(element.value(), &attribute_words(element.value()), &visible_text(element))
        };
        assert!(buy("button.btn"));
        assert!(buy("input[type=submit]"));
        assert!(buy("a.tocart"));
        assert!(!buy("button:not(.btn)"), "booking is not buying");
        assert!(!buy("input[type=text]"), "a text field is not a button");
        let booking = first(&html, "button:not(.btn)");
        assert!(is_booking_control(booking.value(), &visible_text(booking)));
    }

    #[test]
    fn cart_pages_are_told_by_their_last_path_segment_or_their_whole_heading() {
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(is_cart_url(&url("https://shop.example/cart")));
        assert!(is_cart_url(&url("https://shop.example/checkout/cart/")));
        assert!(is_cart_url(&url("https://shop.example/fr/panier.html")));
        assert!(!is_cart_url(&url("https://shop.example/p/panier-a-linge")));
        assert!(is_cart_heading("Mon panier (3)"));
        assert!(is_cart_heading("Twój koszyk"));
        assert!(!is_cart_heading("Panier à linge en osier"), "a laundry basket is a product");
    }

    #[test]
    fn the_page_names_itself_by_its_canonical_link_og_url_and_heading() {
        let page = Url::parse("https://shop.example/p/kettle?utm_source=x").unwrap();
        let html = r#"<head><link href="/products/kettle-1l" rel="canonical"><meta property="og:url" content="https://shop.example/k/1"></head>
            <body><h1 class="t">Kettle <b>1 L</b>, steel</h1></body>"#;
        let identity = PageIdentity::scan(html, &page);
        assert!(identity.is_page_url("https://shop.example/p/kettle"));
        assert!(identity.is_page_url("/products/kettle-1l"));
        assert!(identity.is_page_url("https://shop.example/k/1"));
        assert!(!identity.is_page_url("https://shop.example/p/kettle-bundle"));
        assert!(identity.names_heading("KETTLE 1 l - Steel"));
        assert!(!identity.names_heading("Descaler"));
    }

    #[test]
    fn instalment_loyalty_and_unit_price_blocks_are_noise_but_price_blocks_are_not() {
        let words = |class: &str| {
            let mut words = Vec::new();
            split_words(class, &mut words);
            words
        };
        assert!(marks_noise_block(&words("pdp__klarna")));
        assert!(marks_noise_block(&words("product-detail-base-price")));
        assert!(marks_noise_block(&words("loyalty-points")));
        assert!(!marks_noise_block(&words("product-price-and-shipping")));
        assert!(!marks_noise_block(&words("price-box price-final_price")));
    }

    #[test]
    fn an_element_inside_a_recommendation_block_is_secondary() {
        let html = Html::parse_document(
            "<div class='product-recommendations'><span class='price'>1</span></div><b class='bold'>2</b>",
        );
        let spans = selector("span").unwrap();
        let bold = selector("b").unwrap();
        assert!(in_secondary_block(html.select(&spans).next().unwrap()));
        assert!(!in_secondary_block(html.select(&bold).next().unwrap()));
    }
}
