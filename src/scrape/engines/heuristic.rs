//! The visible-price heuristic: the main product's title and price read from what a visitor sees, for pages with
//! no structured data, and the crossed-out "was" price that structured data often leaves out.
//!
//! The page is walked once into a flat list of elements; every short text that reads as an amount becomes a
//! [`PriceNode`] with a role (price to pay, previous price, saving, or noise such as shipping and monthly
//! instalments) judged from its tag (`<del>`, `<s>`), its class/id words and its label ("Was", "RRP", "UVP").
//! The price is the priced element nearest after the title (`<h1>`), outside recommendation blocks; the previous
//! price is looked for in the smallest block around that price, so other products' "was" prices never count.
//! Everything is general vocabulary (several languages), never per-shop rules.

use rust_decimal::Decimal;
use scraper::{ElementRef, Html};
use url::Url;

use crate::scrape::engines::page_dom::{
    MAX_DOM_DEPTH, attribute_words, is_invisible_tag, marks_secondary_block, meta_content, selector, visible_text,
};
use crate::scrape::engines::values::{absolute_url, clean_text, currency_code, shown_price};
use crate::scrape::offer::RawOffer;

/// The engine name written in [`RawOffer::engine`].
pub const ENGINE: &str = "heuristic";

/// Class/id words of an element showing a price that no longer applies.
const PREVIOUS_WORDS: [&str; 20] = [
    "old",
    "was",
    "before",
    "strike",
    "striked",
    "strikethrough",
    "crossed",
    "regular",
    "original",
    "rrp",
    "compare",
    "uvp",
    "msrp",
    "retail",
    "previous",
    "prev",
    "barre",
    "streich",
    "ancien",
    "initial",
];

/// Labels written before a previous price (lower case, matched at word starts in the text before the amount).
const PREVIOUS_LABELS: [&str; 22] = [
    "was",
    "rrp",
    "uvp",
    "statt",
    "avant",
    "au lieu de",
    "prix conseillé",
    "prix de référence",
    "prix barré",
    "list price",
    "previously",
    "before",
    "regular price",
    "original price",
    "old price",
    "ancien prix",
    "prezzo consigliato",
    "antes",
    "precio anterior",
    "bisher",
    "instead of",
    "compare at",
];

/// Words and labels of an amount saved ("Save £6.01", "Économisez 10 €").
const SAVING_WORDS: [&str; 11] = [
    "save",
    "saving",
    "savings",
    "you save",
    "économisez",
    "economisez",
    "sparen",
    "ersparnis",
    "risparmi",
    "ahorra",
    "économie",
];

/// Texts of amounts that are not the product's price: shipping, instalments, unit prices.
const NOISE_WORDS: [&str; 24] = [
    "mensualité",
    "livraison",
    "delivery",
    "shipping",
    "postage",
    "versand",
    "lieferung",
    "porto",
    "frete",
    "envío",
    "envio",
    "spedizione",
    "/mois",
    "par mois",
    "/month",
    "per month",
    "/mo",
    "monatlich",
    "/kg",
    "/ kg",
    "per kg",
    "/l ",
    "/100",
    "mensual",
];

/// Class/id words of an element meant to show a price.
const PRICE_WORDS: [&str; 9] = ["price", "prix", "preis", "prezzo", "precio", "preco", "cena", "pret", "amount"];

/// How many levels above the price the previous price is looked for, and how large such a block may be.
const PRICE_BLOCK_LEVELS: usize = 6;
const PRICE_BLOCK_MAX_ELEMENTS: usize = 150;

/// A text longer than this is a paragraph, not a price.
const MAX_PRICE_TEXT: usize = 60;

/// What an amount on the page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceRole {
    /// A price to pay.
    Current,
    /// A crossed-out, "was" or recommended price.
    Previous,
    /// An amount saved ("Save £6").
    Saving,
}

/// One amount shown on the page.
#[derive(Debug, Clone)]
pub struct PriceNode {
    /// The element's position in document order.
    pub index: usize,
    pub amount: Decimal,
    /// The ISO currency its text names, if any.
    pub currency: Option<String>,
    pub role: PriceRole,
    /// Inside a recommendation, carousel, footer... block.
    pub secondary: bool,
    /// Its class/id/itemprop says "price".
    pub price_hint: bool,
}

#[derive(Debug, Clone, Copy)]
struct ElementSpan {
    parent: Option<usize>,
    /// One past the index of its last descendant.
    end: usize,
}

/// The page's visible amounts and title, read once and queried by this engine and by `auto`.
#[derive(Debug, Default)]
pub struct VisiblePrices {
    elements: Vec<ElementSpan>,
    /// Every amount shown, in document order.
    pub nodes: Vec<PriceNode>,
    /// The main title (`<h1>` outside secondary blocks) and its element index.
    pub title: Option<(String, usize)>,
    /// Whether the page's own title (`og:title`, `<title>`) repeats [`Self::title`].
    pub title_confirmed: bool,
    /// The currency the page declares in its metadata, used when a price text names none.
    pub page_currency: Option<String>,
}

#[derive(Clone, Copy)]
struct WalkContext {
    parent: Option<usize>,
    secondary: bool,
    struck: bool,
    depth: usize,
}

/// The text an element shows, capped: only short texts can be prices.
struct ShortText {
    text: String,
    overflow: bool,
}

impl ShortText {
    fn push(&mut self, chunk: &str) {
        if self.overflow {
            return;
        }
        if self.text.len() + chunk.len() > MAX_PRICE_TEXT * 4 {
            self.overflow = true;
            self.text.clear();
        } else {
            self.text.push_str(chunk);
        }
    }
}

impl VisiblePrices {
    /// Reads the page's visible amounts, title and declared currency.
    pub fn read(document: &Html) -> VisiblePrices {
        let mut prices = VisiblePrices {
            page_currency: meta_content(
                document,
                &["product:price:currency", "og:price:currency", "priceCurrency", "product:sale_price:currency"],
            )
            .and_then(|code| currency_code(&code)),
            ..VisiblePrices::default()
        };
        let body = selector("body").and_then(|body| document.select(&body).next());
        let root = body.unwrap_or_else(|| document.root_element());
        let context = WalkContext { parent: None, secondary: false, struck: false, depth: 0 };
        let mut titles = Vec::new();
        prices.visit(root, context, &mut titles);
        if let Some((title, confirmed)) = choose_title(document, titles) {
            prices.title = Some(title);
            prices.title_confirmed = confirmed;
        }
        prices
    }

    fn visit(&mut self, element: ElementRef, context: WalkContext, titles: &mut Vec<(String, usize)>) -> ShortText {
        let mut text = ShortText { text: String::new(), overflow: false };
        let value = element.value();
        let name = value.name();
        if context.depth > MAX_DOM_DEPTH || is_invisible_tag(name) || is_hidden(value) {
            return text;
        }
        let index = self.elements.len();
        self.elements.push(ElementSpan { parent: context.parent, end: index + 1 });
        let words = attribute_words(value);
        let secondary = context.secondary || marks_secondary_block(value, &words);
        let struck = matches!(name, "del" | "s" | "strike") || context.struck;
        let own_previous_words = words.iter().any(|word| PREVIOUS_WORDS.contains(&word.as_str()))
            || words.windows(2).any(|pair| pair[0] == "list" && pair[1] == "price");
        if name == "h1" && !secondary {
            let title = clean_text(&visible_text(element));
            if !title.is_empty() {
                titles.push((title, index));
            }
        }
        let child_context = WalkContext {
            parent: Some(index),
            secondary,
            struck: struck || own_previous_words,
            depth: context.depth + 1,
        };
        for child in element.children() {
            if let Some(chunk) = child.value().as_text() {
                text.push(chunk);
            } else if let Some(child) = ElementRef::wrap(child) {
                let inline = matches!(
                    child.value().name(),
                    "span"
                        | "b"
                        | "strong"
                        | "i"
                        | "em"
                        | "sup"
                        | "sub"
                        | "small"
                        | "a"
                        | "font"
                        | "ins"
                        | "del"
                        | "s"
                        | "u"
                        | "bdi"
                        | "abbr"
                );
                let is_sup = child.value().name() == "sup";
                let child_text = self.visit(child, child_context, titles);
                if child_text.overflow {
                    text.overflow = true;
                } else {
                    if !inline {
                        text.push(" ");
                    }
                    if is_sup && let Some(separator) = cents_separator(&text.text, &child_text.text) {
                        text.push(separator);
                    }
                    text.push(&child_text.text);
                }
            }
        }
        self.elements[index].end = self.elements.len();
        if !text.overflow {
            let label = self.sibling_label(element);
            self.consider(index, &text.text, &label, &words, secondary, struck || own_previous_words);
        }
        text
    }

    /// The text of the element before this one or before its parent, when short and without digits: a label such
    /// as "RRP:" or "UVP" written in its own element.
    fn sibling_label(&self, element: ElementRef) -> String {
        let mut label = String::new();
        let parent = element.parent().and_then(ElementRef::wrap);
        for el in std::iter::once(element).chain(parent) {
            if let Some(previous) = el.prev_siblings().filter_map(ElementRef::wrap).next() {
                let text = visible_text(previous);
                if text.chars().count() <= 25 && !text.chars().any(|c| c.is_ascii_digit()) {
                    label.push_str(&text);
                    label.push(' ');
                }
            }
        }
        label
    }

    fn consider(
        &mut self,
        index: usize,
        raw: &str,
        sibling_label: &str,
        words: &[String],
        secondary: bool,
        struck: bool,
    ) {
        let text = clean_text(raw);
        if text.is_empty() || text.chars().count() > MAX_PRICE_TEXT || !text.chars().any(|c| c.is_ascii_digit()) {
            return;
        }
        let lower = text.to_lowercase();
        // A price text ends at a parenthesis or a plus sign ("€1239.00 (from 25/03/20)", "12,44 € + 6,99 €").
        let amount_text = text.split(['(', '+']).next().unwrap_or(&text);
        let Some(shown) = shown_price(amount_text, self.page_currency.as_deref()) else { return };
        let amount = shown.amount;
        let digits_start = lower.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let before_amount = &lower[..digits_start];
        let label = format!("{} {}", sibling_label.to_lowercase(), before_amount);
        if NOISE_WORDS.iter().any(|noise| lower.contains(noise) || label.contains(noise)) {
            return;
        }
        let currency = shown.currency;
        if amount_text.contains('%') && !shown.prints_currency {
            return;
        }
        let price_hint = words.iter().any(|word| PRICE_WORDS.iter().any(|hint| word.contains(hint)));
        let saving = has_label(&label, &SAVING_WORDS) || words.iter().any(|w| SAVING_WORDS.contains(&w.as_str()));
        let previous = struck || has_label(&label, &PREVIOUS_LABELS);
        let role = if saving {
            PriceRole::Saving
        } else if previous {
            PriceRole::Previous
        } else {
            PriceRole::Current
        };
        // A bare number is an amount only where the markup says it is a price and the page names its currency.
        let priced_by_markup = price_hint && self.page_currency.is_some();
        if !(shown.prints_currency || priced_by_markup || role == PriceRole::Saving) {
            return;
        }
        self.nodes.push(PriceNode { index, amount, currency, role, secondary, price_hint });
    }

    /// The price to pay for the main product: the priced element nearest after the title, those marked as prices
    /// first, outside secondary blocks.
    pub fn main_price(&self) -> Option<&PriceNode> {
        let title_index = self.title.as_ref().map(|(_, index)| *index);
        self.nodes
            .iter()
            .filter(|node| node.role == PriceRole::Current && !node.secondary)
            .min_by_key(|node| (!node.price_hint, self.distance_from_title(node.index, title_index)))
    }

    fn distance_from_title(&self, index: usize, title_index: Option<usize>) -> usize {
        match title_index {
            Some(title) if index >= title => index - title,
            // Prices before the title are usually in headers and banners.
            Some(title) => (title - index) * 4 + 200,
            None => index,
        }
    }

    /// The previous price shown in the block around a price element: crossed-out or labelled amounts above it, or
    /// the price plus an amount saved.
    pub fn previous_near(&self, price: &PriceNode) -> Option<Decimal> {
        let mut block = Some(price.index);
        for _ in 0..PRICE_BLOCK_LEVELS {
            let Some(start) = block.and_then(|index| self.elements[index].parent) else { break };
            let end = self.elements[start].end;
            if end - start > PRICE_BLOCK_MAX_ELEMENTS {
                break;
            }
            let around = |role: PriceRole| {
                self.nodes
                    .iter()
                    .filter(move |node| node.index >= start && node.index < end && node.role == role && !node.secondary)
                    .filter(|node| {
                        node.currency.is_none() || price.currency.is_none() || node.currency == price.currency
                    })
                    .min_by_key(|node| node.index.abs_diff(price.index))
            };
            if let Some(previous) = around(PriceRole::Previous).filter(|node| node.amount > price.amount) {
                return Some(previous.amount);
            }
            if let Some(saving) = around(PriceRole::Saving).filter(|node| node.amount < price.amount) {
                return Some(price.amount + saving.amount);
            }
            block = Some(start);
        }
        None
    }

    /// The previous price shown next to a price already known (from structured data), if the page shows that price
    /// outside secondary blocks.
    pub fn previous_for_price(&self, amount: Decimal) -> Option<Decimal> {
        let title_index = self.title.as_ref().map(|(_, index)| *index);
        let mut shown: Vec<&PriceNode> = self
            .nodes
            .iter()
            .filter(|node| node.amount == amount && node.role == PriceRole::Current && !node.secondary)
            .collect();
        shown.sort_by_key(|node| self.distance_from_title(node.index, title_index));
        shown.into_iter().find_map(|node| self.previous_near(node))
    }

    /// The currency shown with a price already known, or the page's declared currency.
    pub fn currency_for_price(&self, amount: Decimal) -> Option<String> {
        self.nodes
            .iter()
            .filter(|node| node.amount == amount && !node.secondary)
            .find_map(|node| node.currency.clone())
            .or_else(|| self.page_currency.clone())
    }
}

/// The product title among the page's `<h1>`s: the first one that the page's own title (`og:title`, `<title>`)
/// repeats, since sites also use `<h1>` for logos and account links; else the first one.
fn choose_title(document: &Html, titles: Vec<(String, usize)>) -> Option<((String, usize), bool)> {
    let squeeze =
        |text: &str| text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let page_title = selector("title").and_then(|title| document.select(&title).next()).map(visible_text);
    let page_titles: Vec<String> = [meta_content(document, &["og:title"]), page_title]
        .into_iter()
        .flatten()
        .map(|title| squeeze(&clean_text(&title)))
        .filter(|title| !title.is_empty())
        .collect();
    let repeated = titles.iter().position(|(title, _)| {
        let title = squeeze(title);
        title.chars().count() >= 3
            && page_titles.iter().any(|page| page.contains(&title) || title.contains(page.as_str()))
    });
    let mut titles = titles;
    match repeated {
        Some(index) => Some((titles.swap_remove(index), true)),
        None => titles.into_iter().next().map(|title| (title, false)),
    }
}

/// Cents written as a superscript (`173<sup>34</sup> Lei`) are the decimals of the amount before them: the
/// separator to put back, chosen so it differs from any grouping separator already in the amount.
fn cents_separator(before: &str, superscript: &str) -> Option<&'static str> {
    let cents = superscript.trim();
    let whole = before.trim_end();
    if cents.len() != 2 || !cents.chars().all(|c| c.is_ascii_digit()) || !whole.ends_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let amount_start = whole.rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).map_or(0, |at| at + 1);
    let grouping = whole[amount_start..].chars().rev().find(|c| matches!(c, '.' | ','));
    Some(if grouping == Some('.') { "," } else { "." })
}

fn is_hidden(element: &scraper::node::Element) -> bool {
    element.attr("hidden").is_some()
        || element.attr("aria-hidden").is_some_and(|value| value.trim() == "true")
        || element.attr("style").is_some_and(|style| {
            let style: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
            style.contains("display:none") || style.contains("visibility:hidden")
        })
}

/// Whether a label text has one of the labels at a word start.
fn has_label(label: &str, labels: &[&str]) -> bool {
    labels.iter().any(|wanted| {
        label.match_indices(wanted).any(|(at, _)| {
            let before_ok = label[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
            let after_ok = label[at + wanted.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
            before_ok && after_ok
        })
    })
}

/// The main product as a visitor sees it (one offer at most).
pub fn extract(html: &str, page_url: &Url) -> Vec<RawOffer> {
    extract_from(&Html::parse_document(html), page_url)
}

/// As [`extract`], on a page already parsed.
pub fn extract_from(document: &Html, page_url: &Url) -> Vec<RawOffer> {
    offer_from(document, &VisiblePrices::read(document), page_url).into_iter().collect()
}

/// The heuristic offer from prices already read.
pub fn offer_from(document: &Html, prices: &VisiblePrices, page_url: &Url) -> Option<RawOffer> {
    // An `<h1>` the page title does not repeat may be a logo or an account link: `og:title` is then safer.
    let heading = prices.title.as_ref().map(|(title, _)| title.clone());
    let og_title = meta_content(document, &["og:title"]).map(|title| clean_text(&title));
    let name = if prices.title_confirmed { heading } else { og_title.or(heading) }
        .or_else(|| {
            let title = selector("title")?;
            document.select(&title).next().map(|title| clean_text(&visible_text(title)))
        })
        .filter(|name| !name.is_empty())?;
    let price = prices.main_price();
    Some(RawOffer {
        name,
        price: price.map(|price| price.amount),
        previous_price: price.and_then(|price| prices.previous_near(price)),
        currency: price.and_then(|price| price.currency.clone()).or_else(|| prices.page_currency.clone()),
        image: meta_content(document, &["og:image"]).and_then(|image| absolute_url(page_url, &image)),
        engine: ENGINE.to_string(),
        ..RawOffer::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn page() -> Url {
        Url::parse("https://shop.example/p/pans").unwrap()
    }

    #[test]
    fn the_price_after_the_title_is_taken_and_a_recommendation_block_is_ignored() {
        let html = r#"<html><body><header><div class="mini-cart">Panier 0 article</div></header>
          <h1>Pots and Pans Set</h1>
          <div class="buybox"><table><tr><td>RRP:</td><td><span class="a-text-strike">£55.00</span></td></tr>
            <tr><td>Price:</td><td><span id="our_price" class="price">£48.99</span> + £4.99 delivery</td></tr>
            <tr><td>You Save:</td><td class="savings">£6.01 (11%)</td></tr></table></div>
          <div class="related-products"><h2>Customers also bought</h2>
            <div class="product-price">£12.00</div><del>£99.00</del></div></body></html>"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.name, "Pots and Pans Set");
        assert_eq!(offer.price, Some(dec("48.99")));
        assert_eq!(offer.previous_price, Some(dec("55.00")));
        assert_eq!(offer.currency.as_deref(), Some("GBP"));
        assert_eq!(offer.engine, "heuristic");
    }

    #[test]
    fn a_recommended_products_was_price_is_never_the_main_products() {
        let html = r#"<body><h1>Camera</h1><div class="pdp"><span class="price">£34.99</span></div>
          <section class="carousel"><div><span class="price">£29.99</span><span class="was">Was £39.99</span></div></section></body>"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.price, Some(dec("34.99")));
        assert_eq!(offer.previous_price, None);
    }

    #[test]
    fn a_labelled_previous_price_and_a_saving_badge_are_read() {
        let labelled = r#"<body><h1>Cleaner</h1><div class="box"><div><span>UVP</span><span class="amount">€ 149,99</span></div>
          <div><span class="price-main">€ 119,01</span></div></div></body>"#;
        assert_eq!(extract(labelled, &page())[0].previous_price, Some(dec("149.99")));
        let badge = r#"<body><h1>Doorbell</h1><div class="pricing"><span class="saving">SAVE $70</span>
          <span class="price">$229.99</span></div></body>"#;
        assert_eq!(extract(badge, &page())[0].previous_price, Some(dec("299.99")));
    }

    #[test]
    fn a_known_price_finds_its_crossed_out_price() {
        let html = r#"<body><h1>Tablet</h1><div class="block"><span class="p">€1149.00</span>
          <div class="WasPrice">Was €1239.00<span> (from 25/03/20 to 27/11/20)</span></div></div></body>"#;
        let prices = VisiblePrices::read(&Html::parse_document(html));
        assert_eq!(prices.previous_for_price(dec("1149")), Some(dec("1239")));
        assert_eq!(prices.currency_for_price(dec("1149")).as_deref(), Some("EUR"));
    }

    #[test]
    fn superscript_cents_and_a_logo_heading_are_understood() {
        let html = r#"<html><head><title>Whiskey Single Barrel | Shop</title></head><body>
          <header><h1>My account</h1></header><h1>Whiskey Single Barrel</h1>
          <p class="product-new-price">173<sup>34</sup> <span>Lei</span></p></body></html>"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.name, "Whiskey Single Barrel");
        assert_eq!(offer.price, Some(dec("173.34")));
        assert_eq!(offer.currency.as_deref(), Some("RON"));
    }

    #[test]
    fn a_page_without_a_price_gives_a_title_without_price() {
        let offer = &extract("<html><head><title>About us</title></head><body><p>Hello</p></body></html>", &page())[0];
        assert_eq!(offer.name, "About us");
        assert_eq!(offer.price, None);
    }
}
