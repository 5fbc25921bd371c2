//! The visible-price heuristic: the main product's title and price read from what a visitor sees, for pages with
//! no structured data, and the crossed-out "was" price that structured data often leaves out.
//!
//! The page is walked once into a flat list of elements; every short text that reads as an amount becomes a
//! [`PriceNode`] with a role (price to pay, previous price, saving) judged from its tag (`<del>`, `<s>`), its
//! class/id words and its label ("Was", "RRP", "UVP", "PVPR", "Adviesprijs"). Amounts that are not a price to pay
//! are left out: instalments ("ou 4 x 24,99 €", "from £9/month", Klarna/Alma/PayPal blocks), unit prices
//! ("soit 9,30 € / L", "Grundpreis"), shipping and free-delivery thresholds, eco-fees and deposits, loyalty
//! points, warranties, the EU "lowest price in 30 days", multi-buy offers; the number read is the one next to the
//! currency, so quantities, pack sizes and codes around it ("Lot de 3", "3 x 25 cl", "Réf. 204518") are not.
//!
//! The price is the priced element nearest after the title (`<h1>`), outside recommendation blocks and outside
//! repeated product cards (a grid of three or more alike blocks, each with a price and a link, is a listing's);
//! the previous price is looked for in the smallest block around that price, so other products' "was" prices never
//! count, and a higher price beside it that a discount badge ("-33 %") or a saving confirms is one too. A page
//! only gets a price when it shows a product: a buy button of its own (not one per card), or metadata saying it is
//! a product page; cart pages never do. Everything is general vocabulary (several languages), never per-shop rules.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;
use scraper::{ElementRef, Html};
use url::Url;

use crate::scrape::engines::page_dom::{
    MAX_DOM_DEPTH, attribute_words, is_booking_control, is_buy_control, is_cart_heading, is_cart_url, is_invisible_tag,
    marks_noise_block, marks_secondary_block, meta_content, selector, visible_text,
};
use crate::scrape::engines::values::{absolute_url, clean_text, currency_code, locale_currency, shown_price};
use crate::scrape::offer::RawOffer;

/// The engine name written in [`RawOffer::engine`].
pub const ENGINE: &str = "heuristic";

/// Class/id words of an element showing a price that no longer applies.
pub(crate) const PREVIOUS_WORDS: [&str; 23] = [
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
    "tachado",
    "barrato",
    "durchgestrichen",
];

/// Labels written before a previous price (lower case, matched at word starts in the text before the amount).
const PREVIOUS_LABELS: [&str; 44] = [
    "was",
    "rrp",
    "uvp",
    "statt",
    "avant",
    "au lieu de",
    "prix conseillé",
    "prix de référence",
    "prix public conseillé",
    "prix initial",
    "prix barré",
    "list price",
    "list:",
    "previously",
    "before",
    "regular price",
    "original price",
    "old price",
    "ancien prix",
    "prezzo consigliato",
    "prezzo di listino",
    "prezzo pieno",
    "invece di",
    "anziché",
    "antes",
    "precio anterior",
    "precio normal",
    "normal",
    "pvpr",
    "p.v.p.r.",
    "bisher",
    "ehemals",
    "regulärer preis",
    "instead of",
    "compare at",
    "adviesprijs",
    "van",
    "cena regularna",
    "cena katalogowa",
    "stara cena",
    "poprzednia cena",
    "zamiast",
    "mrp",
    "reg.",
];

/// Words and labels of an amount saved ("Save £6.01", "Économisez 10 €").
const SAVING_WORDS: [&str; 18] = [
    "save",
    "saving",
    "savings",
    "you save",
    "économisez",
    "economisez",
    "économie",
    "sparen",
    "sie sparen",
    "du sparst",
    "ersparnis",
    "risparmi",
    "risparmio",
    "ahorra",
    "ahorro",
    "bespaar",
    "je bespaart",
    "oszczędzasz",
];

/// Words (matched at word boundaries in an amount's text and label) of amounts that are not the product's price:
/// shipping and thresholds, instalments, unit prices, fees and deposits, loyalty, services, 30-day lowest prices,
/// multi-buy offers.
const NOISE_WORDS: [&str; 100] = [
    "livraison",
    "frais de port",
    "delivery",
    "shipping",
    "postage",
    "versand",
    "versandkosten",
    "lieferung",
    "porto",
    "frete",
    "envío",
    "envio",
    "despacho",
    "spedizione",
    "consegna",
    "bezorging",
    "verzending",
    "verzendkosten",
    "dostawa",
    "wysyłka",
    "kurier",
    "installation",
    "montage",
    "mensualité",
    "mensualités",
    "mois",
    "month",
    "monthly",
    "mo",
    "monatlich",
    "monat",
    "mensual",
    "mes",
    "mese",
    "mensili",
    "mies",
    "miesięcznie",
    "maand",
    "rate",
    "rata",
    "raty",
    "cuotas",
    "plazos",
    "termijnen",
    "installments",
    "instalments",
    "payments",
    "interest-free",
    "sans frais",
    "senza interessi",
    "sin intereses",
    "zinsfrei",
    "taeg",
    "apr",
    "klarna",
    "afterpay",
    "clearpay",
    "scalapay",
    "paypal",
    "alma",
    "oney",
    "affirm",
    "soit",
    "grundpreis",
    "prix au kg",
    "prix au litre",
    "dont",
    "pfand",
    "statiegeld",
    "consigne",
    "deposit",
    "raee",
    "ecotasa",
    "points",
    "punkte",
    "punti",
    "puntos",
    "punkty",
    "cagnotte",
    "fidélité",
    "cashback",
    "earn",
    "garantie",
    "warranty",
    "garanzia",
    "garantía",
    "lowest price",
    "niedrigster preis",
    "prix le plus bas",
    "najniższa cena",
    "laagste prijs",
    "precio más bajo",
    "prezzo più basso",
    "achetez",
    "buy 2",
    "buy 3",
    "each",
    "chacun",
    "members",
    "membres",
];

/// Parts of words (matched anywhere) of amounts that are not the product's price.
const NOISE_STEMS: [&str; 8] = ["éco-part", "eco-part", "écopart", "ecopart", "financ", "gwarancj", "/mois", "/month"];

/// A count of payments right before an amount ("ou 4 x 24,99 €", "10x 329,90 zł"): an instalment. Only right
/// before it: "3 x 500 ml - 13,95 €" is a pack and its price.
static INSTALMENT_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\w,.])\d{1,2}\s?[x×]\s*$").expect("a valid regex"));

/// Patterns of amounts that are not the product's price: "€/kg", "/ 1 l", "le litre", "(1 l = 11,93 €)" (unit
/// prices), "2e", "2nd" (the second item of a multi-buy).
static NOISE_PATTERNS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        /\s?(?:\d+\s?)?(?:kg|g|l|ml|cl|m|m2|m²|lb|oz|st|stk|pc|pcs|unit|litre|liter|kilo|wash|lavage)\b
        | \b(?:le|la|par|per|pro|al|por|za)\s(?:kg|kilo|litre|liter|l|unité|stück|100\s?g|100\s?ml)\b
        | \d\s?(?:l|kg|g|ml)\s?=
        | (?:^|\s)(?:2e|2ème|2nd|2°)\s",
    )
    .expect("a valid regex")
});

/// Class/id words of an element meant to show a price.
const PRICE_WORDS: [&str; 9] = ["price", "prix", "preis", "prezzo", "precio", "preco", "cena", "pret", "amount"];

/// How many levels above the price the previous price is looked for, and how large such a block may be.
const PRICE_BLOCK_LEVELS: usize = 6;
const PRICE_BLOCK_MAX_ELEMENTS: usize = 150;

/// How many levels above a price a product card is looked for, how large a card may be, and how many alike
/// blocks with a price and a link make a grid of cards.
const CARD_LEVELS: usize = 12;
const CARD_MAX_ELEMENTS: usize = 80;
const MIN_CARDS: usize = 3;

/// How far (levels, elements) a discount badge or a saving confirms a pair of prices as previous and current.
const PAIR_BLOCK_LEVELS: usize = 3;
const PAIR_BLOCK_MAX_ELEMENTS: usize = 40;

/// A block marked as instalments, shipping, loyalty... larger than this is a container that merely lists such a
/// word among its classes.
const NOISE_BLOCK_MAX_ELEMENTS: usize = 40;

/// On a page without a buy button or product metadata, a price marked up as one counts only this close (in
/// elements) after the title.
const TITLE_REACH: usize = 40;

/// A text longer than this is a paragraph, not a price.
const MAX_PRICE_TEXT: usize = 60;

/// Currency symbols printed next to amounts.
const CURRENCY_SYMBOLS: [char; 12] = ['€', '£', '$', '¥', '₹', '₽', '₺', '₴', '₪', '₩', '₫', '₱'];

/// Currency words printed next to amounts (lower case), besides the symbols.
const CURRENCY_WORDS: [&str; 24] = [
    "zł", "kr", "kč", "lei", "ft", "fr.", "chf", "eur", "usd", "gbp", "pln", "ron", "czk", "huf", "sek", "nok", "dkk",
    "cad", "aud", "clp", "mxn", "brl", "лв", "руб",
];

/// Numbers in a text, as the price parser reads them (digits with `.`, `,`, apostrophes and spaces inside).
static NUMBER_RUNS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d(?:[\d.,'’\u{a0}\u{202f} ]*\d)?").expect("a valid regex"));

/// An amount with cents ("12,99", "1.299,00", "4.99"): two of them in one text are two prices.
static CENTS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d[.,]\d{2}(?:\D|$)").expect("a valid regex"));

/// The euro sign as decimal separator ("999€99").
static EURO_CENTS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d\s?€\s?\d{2}\b").expect("a valid regex"));

/// A discount badge: "-33%", "-23 %".
static DISCOUNT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"-\s?(\d{1,2})\s?%").expect("a valid regex"));

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
    /// Crossed out by its tag (`<del>`, `<s>`), not only named "old" or "regular" by its class or label.
    marked_by_tag: bool,
    /// The innermost block around it whose class says instalments, shipping, loyalty...: such an amount is not
    /// the price, unless the block is large (a product container whose classes list `shipping-taxable`).
    noise_block: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
struct ElementSpan {
    parent: Option<usize>,
    /// One past the index of its last descendant.
    end: usize,
    /// Its tag and first class: alike blocks (cards of a grid) share it.
    signature: u64,
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
    /// The currency the page's locale implies (`<html lang>`, `og:locale`): settles "$" or "kr".
    pub locale_currency: Option<String>,
    /// The page's metadata says it shows a product (`og:type` product, product price tags); `auto` adds what the
    /// structured data says.
    pub product_declared: bool,
    /// The title is a cart page's ("Your cart").
    pub cart_title: bool,
    /// A link or button books an event ("Tickets kaufen").
    books_an_event: bool,
    /// Buy buttons outside secondary blocks (element indices).
    buy_controls: Vec<usize>,
    /// Links to other pages (element indices, in order).
    links: Vec<usize>,
    /// Discount badges ("-33 %"): element index and percentage.
    discounts: Vec<(usize, Decimal)>,
}

#[derive(Clone, Copy)]
struct WalkContext {
    parent: Option<usize>,
    secondary: bool,
    struck: bool,
    /// Inside `<del>`, `<s>` or `<strike>`.
    struck_by_tag: bool,
    /// The innermost instalment, shipping, loyalty... block around.
    noise: Option<usize>,
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
        let meta = |keys: &[&str]| meta_content(document, keys);
        let locale = selector("html")
            .and_then(|html| document.select(&html).next())
            .and_then(|html| html.value().attr("lang").map(str::to_string))
            .or_else(|| meta(&["og:locale"]));
        let mut prices = VisiblePrices {
            page_currency: meta(&[
                "product:price:currency",
                "og:price:currency",
                "priceCurrency",
                "product:sale_price:currency",
            ])
            .and_then(|code| currency_code(&code)),
            locale_currency: locale.as_deref().and_then(locale_currency).map(str::to_string),
            product_declared: meta(&["og:type"]).is_some_and(|kind| kind.to_ascii_lowercase().contains("product"))
                || meta(&["product:price:amount", "og:price:amount", "product:sale_price:amount"]).is_some(),
            ..VisiblePrices::default()
        };
        let body = selector("body").and_then(|body| document.select(&body).next());
        let root = body.unwrap_or_else(|| document.root_element());
        let context =
            WalkContext { parent: None, secondary: false, struck: false, struck_by_tag: false, noise: None, depth: 0 };
        let mut titles = Vec::new();
        prices.visit(root, context, &mut titles);
        if let Some((title, confirmed)) = choose_title(document, titles) {
            prices.cart_title = is_cart_heading(&title.0);
            prices.title = Some(title);
            prices.title_confirmed = confirmed;
        }
        // Elements report their amounts after their children's: put them back in document order.
        prices.nodes.sort_by_key(|node| node.index);
        let noise: Vec<bool> = prices
            .nodes
            .iter()
            .map(|node| node.noise_block.is_some_and(|block| prices.is_noise_block(block)))
            .collect();
        let mut noise = noise.into_iter();
        prices.nodes.retain(|_| !noise.next().unwrap_or(false));
        prices
    }

    /// Whether a block whose class says instalments, loyalty... really is one: small, and holding neither the
    /// title nor a buy button (a product container may list such words among its classes).
    fn is_noise_block(&self, block: usize) -> bool {
        let end = self.elements[block].end;
        let inside = |index: usize| index >= block && index < end;
        end - block <= NOISE_BLOCK_MAX_ELEMENTS
            && !self.title.as_ref().is_some_and(|(_, title)| inside(*title))
            && !self.buy_controls.iter().any(|&control| inside(control))
    }

    fn visit(&mut self, element: ElementRef, context: WalkContext, titles: &mut Vec<(String, usize)>) -> ShortText {
        let mut text = ShortText { text: String::new(), overflow: false };
        // The text directly in this element, without its children's: "24,90 €" in `24,90 € <small>dont…</small>`.
        let mut own_text = String::new();
        let value = element.value();
        let name = value.name();
        if context.depth > MAX_DOM_DEPTH || is_invisible_tag(name) || is_hidden(value) {
            return text;
        }
        let words = attribute_words(value);
        let index = self.elements.len();
        let signature = signature(value);
        self.elements.push(ElementSpan { parent: context.parent, end: index + 1, signature });
        if name == "a"
            && value.attr("href").is_some_and(|href| !href.starts_with('#') && !href.starts_with("javascript"))
        {
            self.links.push(index);
        }
        let secondary = context.secondary || marks_secondary_block(value, &words);
        let noise = if marks_noise_block(&words) { Some(index) } else { context.noise };
        let struck_by_tag = matches!(name, "del" | "s" | "strike") || context.struck_by_tag;
        let struck = struck_by_tag || context.struck;
        let own_previous_words = names_previous_price(&words);
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
            struck_by_tag,
            noise,
            depth: context.depth + 1,
        };
        for child in element.children() {
            if let Some(chunk) = child.value().as_text() {
                text.push(chunk);
                if own_text.len() + chunk.len() <= MAX_PRICE_TEXT * 4 {
                    own_text.push_str(chunk);
                }
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
                    if inline && let Some(separator) = cents_separator(&text.text, &child_text.text, is_sup) {
                        // Cents in their own element (`$229<span class="cents">99</span>`, `173<sup>34</sup>`).
                        text.push(separator);
                    }
                    text.push(&child_text.text);
                }
            }
        }
        self.elements[index].end = self.elements.len();
        if !secondary && is_buy_control(value, &words, &text.text) {
            self.buy_controls.push(index);
        } else if !secondary && is_booking_control(value, &text.text) {
            self.books_an_event = true;
        }
        if !text.overflow {
            let context =
                WalkContext { secondary, struck: struck || own_previous_words, struck_by_tag, noise, ..context };
            self.consider(index, element, (&text.text, &own_text), &words, context);
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

    /// Reads an element's text (and the part of it directly in the element, `own`) as an amount, if it is one.
    fn consider(
        &mut self,
        index: usize,
        element: ElementRef,
        (raw, own): (&str, &str),
        words: &[String],
        context: WalkContext,
    ) {
        if !raw.bytes().any(|b| b.is_ascii_digit()) {
            return;
        }
        let mut text = clean_text(raw);
        if text.is_empty() || text.chars().count() > MAX_PRICE_TEXT {
            return;
        }
        // A price text ends at a parenthesis or a plus sign ("€1239.00 (from 25/03/20)", "12,44 € + 6,99 €").
        if shows_several_amounts(text.split(['(', '+']).next().unwrap_or(&text)) {
            // A block showing several prices: each is read in its own element, and the one written directly in
            // this element here ("24,90 €" before a child "dont 0,10 € d'éco-part").
            let own = clean_text(own);
            if !own.bytes().any(|b| b.is_ascii_digit()) || shows_several_amounts(&own) {
                return;
            }
            text = own;
        }
        let amount_text = text.split(['(', '+']).next().unwrap_or(&text);
        let amount_text = amount_by_currency(amount_text);
        let lower = text.to_lowercase();
        // The words before the number are its label ("UVP 11,95 €", "Normal: $34.990").
        let amount_start = text.find(amount_text).unwrap_or(0);
        let digits_start = amount_text.find(|c: char| c.is_ascii_digit()).map_or(0, |at| amount_start + at);
        let before_amount = text[..digits_start].to_lowercase();
        let label = format!("{} {}", self.sibling_label(element).to_lowercase(), before_amount);
        if is_noise(&lower) || is_noise(&label) || INSTALMENT_COUNT.is_match(&label) {
            return;
        }
        let hint = self.page_currency.clone().or_else(|| self.locale_currency.clone());
        let shown = shown_price(amount_text, hint.as_deref());
        if amount_text.contains('%') && !shown.as_ref().is_some_and(|shown| shown.prints_currency) {
            // A discount badge ("-33 %"), kept to confirm a pair of prices.
            if let Some(percent) = DISCOUNT.captures(amount_text).and_then(|c| c[1].parse::<Decimal>().ok()) {
                self.discounts.push((index, percent));
            }
            return;
        }
        let Some(shown) = shown else { return };
        let price_hint = words.iter().any(|word| PRICE_WORDS.iter().any(|hint| word.contains(hint)));
        let saving = has_label(&label, &SAVING_WORDS) || words.iter().any(|w| SAVING_WORDS.contains(&w.as_str()));
        let previous = context.struck || has_label(&label, &PREVIOUS_LABELS);
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
        let node = PriceNode {
            index,
            amount: shown.amount,
            currency: shown.currency,
            role,
            secondary: context.secondary,
            price_hint,
            noise_block: context.noise,
            marked_by_tag: context.struck_by_tag,
        };
        self.nodes.push(node);
    }

    /// Whether the page shows a product of its own: a buy button outside product cards, or metadata saying so.
    pub fn shows_a_product(&self) -> bool {
        self.product_declared || self.buy_controls.iter().any(|&control| self.card_of(control).is_none())
    }

    /// The price to pay for the main product: the priced element nearest after the title, those marked as prices
    /// first, outside secondary blocks and product cards; none on a page that shows no product.
    pub fn main_price(&self) -> Option<&PriceNode> {
        self.main_price_and_previous().map(|(price, _)| price)
    }

    /// The main product's price and the previous price shown with it.
    pub fn main_price_and_previous(&self) -> Option<(&PriceNode, Option<Decimal>)> {
        if self.cart_title {
            return None;
        }
        let title_index = self.title.as_ref().map(|(_, index)| *index);
        let nearest = |role: PriceRole, marked_by_tag: bool| {
            let mut candidates: Vec<&PriceNode> = self
                .nodes
                .iter()
                .filter(|node| node.role == role && node.marked_by_tag == marked_by_tag && !node.secondary)
                .collect();
            candidates.sort_by_key(|node| (!node.price_hint, self.distance_from_title(node.index, title_index)));
            candidates.into_iter().find(|node| self.card_of(node.index).is_none())
        };
        // A price labelled "Regular price" by its class or a screen-reader text is the price when no other is shown.
        let price = nearest(PriceRole::Current, false).or_else(|| nearest(PriceRole::Previous, false))?;
        let marked_near_title = price.price_hint
            && title_index.is_some_and(|title| price.index > title && price.index - title <= TITLE_REACH);
        if !(self.shows_a_product() || (marked_near_title && !self.books_an_event)) {
            return None;
        }
        if let Some((current, previous)) = self.confirmed_pair(price) {
            return Some((current, Some(previous)));
        }
        Some((price, self.previous_near(price)))
    }

    fn distance_from_title(&self, index: usize, title_index: Option<usize>) -> usize {
        match title_index {
            Some(title) if index >= title => index - title,
            // Prices before the title are usually in headers and banners.
            Some(title) => (title - index) * 4 + 200,
            None => index,
        }
    }

    /// The product card an element sits in: one of at least [`MIN_CARDS`] alike sibling blocks that each hold a
    /// price and a link, small, and without the page's title.
    fn card_of(&self, index: usize) -> Option<usize> {
        let title = self.title.as_ref().map(|(_, title)| *title);
        let mut current = index;
        for _ in 0..CARD_LEVELS {
            let parent = self.elements[current].parent?;
            let span = &self.elements[current];
            if span.end - current > CARD_MAX_ELEMENTS || title.is_some_and(|t| t >= current && t < span.end) {
                return None;
            }
            let alike = self
                .children(parent)
                .filter(|&child| self.elements[child].signature == span.signature && self.holds_price_and_link(child))
                .count();
            if alike >= MIN_CARDS {
                return Some(current);
            }
            current = parent;
        }
        None
    }

    fn children(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.elements[parent].end;
        let mut next = parent + 1;
        std::iter::from_fn(move || {
            let child = (next < end).then_some(next)?;
            next = self.elements[child].end;
            Some(child)
        })
    }

    fn holds_price_and_link(&self, element: usize) -> bool {
        let end = self.elements[element].end;
        let first_node = self.nodes.partition_point(|node| node.index < element);
        let first_link = self.links.partition_point(|&link| link < element);
        self.nodes.get(first_node).is_some_and(|node| node.index < end)
            && self.links.get(first_link).is_some_and(|&link| link < end)
    }

    /// A lower and a higher price side by side, that a discount badge or a saving in the same small block confirms:
    /// the lower one is the price, the higher one the previous price (shops do not always mark the old price up).
    fn confirmed_pair<'a>(&'a self, price: &'a PriceNode) -> Option<(&'a PriceNode, Decimal)> {
        let mut block = price.index;
        for _ in 0..PAIR_BLOCK_LEVELS {
            block = self.elements[block].parent?;
            let end = self.elements[block].end;
            if end - block > PAIR_BLOCK_MAX_ELEMENTS {
                return None;
            }
            let inside = |index: usize| index >= block && index < end;
            let others = self.nodes.iter().filter(|node| {
                inside(node.index)
                    && node.index != price.index
                    && node.role == PriceRole::Current
                    && !node.secondary
                    && node.amount != price.amount
                    && (node.currency.is_none() || price.currency.is_none() || node.currency == price.currency)
            });
            for other in others {
                let (low, high) = if other.amount < price.amount { (other, price) } else { (price, other) };
                let cut = high.amount - low.amount;
                let percent = (cut * Decimal::ONE_HUNDRED / high.amount).round();
                let badge =
                    self.discounts.iter().any(|(at, shown)| inside(*at) && (percent - shown).abs() <= Decimal::ONE);
                let saving = self
                    .nodes
                    .iter()
                    .any(|node| inside(node.index) && node.role == PriceRole::Saving && node.amount == cut);
                if badge || saving {
                    return Some((low, high.amount));
                }
            }
        }
        None
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

/// Cents written in their own inline element, often a superscript (`173<sup>34</sup> Lei`, `$229<span>99</span>`),
/// are the decimals of the amount right before them: the separator to put back, chosen so it differs from any
/// grouping separator already in the amount.
fn cents_separator(before: &str, inline: &str, superscript: bool) -> Option<&'static str> {
    let cents = inline.trim();
    // Outside a superscript, only cents glued to the amount count ("229" then "99", not "Art. 12" then " 34").
    let whole = if superscript { before.trim_end() } else { before };
    if cents.len() != 2 || !cents.chars().all(|c| c.is_ascii_digit()) || !whole.ends_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let amount_start = whole.rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).map_or(0, |at| at + 1);
    let grouping = whole[amount_start..].chars().rev().find(|c| matches!(c, '.' | ','));
    Some(if grouping == Some('.') { "," } else { "." })
}

/// An element's tag and first class as one number (FNV-1a): alike blocks share it. Hashed rather than interned:
/// this runs for every element of every page.
fn signature(element: &scraper::node::Element) -> u64 {
    let class = element.attr("class").and_then(|class| class.split_whitespace().next()).unwrap_or_default();
    let bytes = element.name().bytes().chain(std::iter::once(b'|')).chain(class.bytes());
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash: u64, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Hidden from sight. `aria-hidden` is not: it hides from screen readers what sighted visitors see (shops put it
/// on the visible price when a screen-reader text repeats it).
fn is_hidden(element: &scraper::node::Element) -> bool {
    element.attr("hidden").is_some()
        || element.attr("style").is_some_and(|style| {
            let style: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
            style.contains("display:none") || style.contains("visibility:hidden")
        })
}

/// Whether class/id words name a previous price ("price-old", "list-price"), but not a state of a block that has
/// one ("with-list-price", "has-old-price").
fn names_previous_price(words: &[String]) -> bool {
    let modified = |at: usize| at > 0 && matches!(words[at - 1].as_str(), "with" | "has");
    words.iter().enumerate().any(|(at, word)| PREVIOUS_WORDS.contains(&word.as_str()) && !modified(at))
        || words.windows(2).enumerate().any(|(at, pair)| pair[0] == "list" && pair[1] == "price" && !modified(at))
}

/// Whether an amount's text or label says it is not the product's price (see [`NOISE_WORDS`]).
fn is_noise(text: &str) -> bool {
    has_label(text, &NOISE_WORDS) || NOISE_STEMS.iter().any(|stem| text.contains(stem)) || NOISE_PATTERNS.is_match(text)
}

/// Whether a text shows two prices or more ("$89.00 to $59.99"), rather than one.
fn shows_several_amounts(text: &str) -> bool {
    CENTS.find_iter(text).count() >= 2 || text.chars().filter(|c| CURRENCY_SYMBOLS.contains(c)).count() >= 2
}

/// The part of a text that is its amount: the number printed next to the currency, with the currency, when the text
/// holds other numbers too ("Lot de 3 - 12,99 €", "3 x 25 cl 8,95 €"); else the whole text.
fn amount_by_currency(text: &str) -> &str {
    let runs: Vec<regex::Match> = NUMBER_RUNS.find_iter(text).collect();
    if runs.len() < 2 || EURO_CENTS.is_match(text) {
        return text;
    }
    let currency_at = |fragment: &str, at_end: bool| {
        let fragment = fragment.trim().to_lowercase();
        let symbol = if at_end { fragment.chars().next_back() } else { fragment.chars().next() };
        symbol.is_some_and(|c| CURRENCY_SYMBOLS.contains(&c))
            || CURRENCY_WORDS.iter().any(
                |word| {
                    if at_end { fragment.ends_with(word) } else { fragment.starts_with(word) }
                },
            )
    };
    for run in &runs {
        let before = &text[..run.start()];
        let after = &text[run.end()..];
        let before_near = &before[floor_char(before, before.len().saturating_sub(4))..];
        let after_near = &after[..ceil_char(after, 4.min(after.len()))];
        if currency_at(before_near, true) {
            return &text[floor_char(text, run.start().saturating_sub(4))..run.end()];
        }
        if currency_at(after_near, false) {
            return &text[run.start()..run.end() + after_near.len()];
        }
    }
    text
}

fn floor_char(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char(text: &str, mut index: usize) -> usize {
    while index < text.len() && !text.is_char_boundary(index) {
        index += 1;
    }
    index
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
    let found = if is_cart_url(page_url) { None } else { prices.main_price_and_previous() };
    let price = found.map(|(price, _)| price);
    Some(RawOffer {
        name,
        price: price.map(|price| price.amount),
        previous_price: found.and_then(|(_, previous)| previous),
        currency: price
            .and_then(|price| price.currency.clone())
            .or_else(|| prices.page_currency.clone())
            .or_else(|| prices.locale_currency.clone()),
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
    fn instalments_unit_prices_fees_and_lowest_prices_are_not_the_price() {
        let html = r#"<body><h1>Sofa Harlow</h1><div class="buy">
          <p class="finance">or from £24.97/month</p><p>Klarna. 3 interest-free payments of £299.67</p>
          <p>ou 4 x 224,75 €</p><p class="unit">soit 9,30 € / L</p><p>(1 l = 11,93 €)</p>
          <p>dont 10,00 € d'éco-participation</p><p>Niedrigster Preis der letzten 30 Tage: 849,00 £</p>
          <p>Delivery: £49, free over £500</p><span class="product-price">£899</span>
          <button>Add to basket</button></div></body>"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.price, Some(dec("899")));
        assert_eq!(offer.previous_price, None);
    }

    #[test]
    fn a_price_written_before_its_fee_in_the_same_element_is_read() {
        let html = r#"<body><h1>Lave-linge</h1><span class="price">449,99 € <small>dont 10,00 € d'éco-part.</small></span>
          <button>Ajouter au panier</button></body>"#;
        assert_eq!(extract(html, &page())[0].price, Some(dec("449.99")));
    }

    #[test]
    fn the_number_next_to_the_currency_is_the_amount_not_a_quantity_or_a_pack_size() {
        let html = r#"<body><h1>Huile d'olive</h1><p class="prix">Lot de 3 x 500 ml - 13,95 €</p>
          <button>Ajouter au panier</button></body>"#;
        assert_eq!(extract(html, &page())[0].price, Some(dec("13.95")));
    }

    #[test]
    fn a_grid_of_product_cards_gives_no_price_and_a_cart_page_neither() {
        let card = |n: u32| {
            format!(
                r#"<li class="product"><a href="/p/{n}">Tea {n}</a><span class="price">{n},50 €</span><button>Ajouter au panier</button></li>"#
            )
        };
        let listing = format!("<body><h1>Thés verts</h1><ul>{}{}{}</ul></body>", card(1), card(2), card(3));
        assert_eq!(extract(&listing, &page())[0].price, None, "every price and buy button is a card's");
        let cart = r#"<body><h1>Your cart</h1><span class="price">$36.00</span><button>Add to cart</button></body>"#;
        assert_eq!(extract(cart, &page())[0].price, None);
    }

    #[test]
    fn a_higher_price_confirmed_by_a_discount_badge_is_the_previous_price() {
        let html = r#"<body><h1>Zaino</h1><div class="prezzi"><span class="prezzo-pieno">89,90 €</span>
          <span class="prezzo-attuale">59,90 €</span><span class="sconto">-33%</span></div><button>Aggiungi al carrello</button></body>"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.price, Some(dec("59.90")));
        assert_eq!(offer.previous_price, Some(dec("89.90")));
    }

    #[test]
    fn an_aria_hidden_price_is_seen_and_cents_in_their_own_element_are_decimals() {
        let html = r#"<body><h1>Doorbell</h1><div class="price" aria-hidden="true">$229<span class="cents">99</span></div>
          <button>Add to Cart</button></body>"#;
        let prices = VisiblePrices::read(&Html::parse_document(html));
        assert_eq!(prices.main_price().map(|price| price.amount), Some(dec("229.99")));
    }

    #[test]
    fn without_a_buy_button_only_a_price_marked_up_near_the_title_counts_and_not_on_a_booking_page() {
        let teaser = r#"<body><h1>Onze winkels</h1><p>Onderhoudsbeurt voor <strong>€ 49,95</strong></p></body>"#;
        assert_eq!(extract(teaser, &page())[0].price, None);
        let event = r#"<body><h1>Jazz im Hof</h1><span class="ticket-price">24,00 €</span><a href="/t">Tickets kaufen</a></body>"#;
        assert_eq!(extract(event, &page())[0].price, None);
    }

    #[test]
    fn the_page_locale_settles_a_dollar_sign_and_keeps_thousands_dots() {
        let html = r#"<html lang="es-CL"><body><h1>Hervidor</h1><p class="precio">Normal: <span>$34.990</span></p>
          <p class="precio-oferta">Oferta: <strong>$24.990</strong></p><button>Agregar al carro</button></body></html>"#;
        let offer = &extract(html, &page())[0];
        assert_eq!(offer.price, Some(dec("24990")));
        assert_eq!(offer.previous_price, Some(dec("34990")));
        assert_eq!(offer.currency.as_deref(), Some("CLP"));
    }

    #[test]
    fn a_page_without_a_price_gives_a_title_without_price() {
        let offer = &extract("<html><head><title>About us</title></head><body><p>Hello</p></body></html>", &page())[0];
        assert_eq!(offer.name, "About us");
        assert_eq!(offer.price, None);
    }
}
