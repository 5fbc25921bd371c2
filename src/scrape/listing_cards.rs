//! Reading the product cards of a listing page: the price, the crossed-out price and the stock each card shows.
//!
//! A listing or promotion page shows 24-48 products with their prices; reading them there instead of on each
//! product page is what makes a re-harvest cost a few percent of a full crawl (`crawl_memory` decides when a card
//! is enough). A card is the largest block around one product link (the shop file's `product_links`) that holds no
//! link to another product. Its prices are read from the shop file's `card_price` / `card_previous_price` selectors
//! when given, else from the amounts it shows: crossed out (`<del>`, `<s>`, "old"/"was"/"barré" classes) for the
//! previous price, the first other amount for the price. Amounts in unit-price, instalment or shipping blocks are
//! left out. Whatever a card says is checked against the product page whenever both are read in one run.

use std::collections::HashMap;

use ego_tree::NodeId;
use rust_decimal::Decimal;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::scrape::canonical_url::canonicalize;
use crate::scrape::engines::heuristic::PREVIOUS_WORDS;
use crate::scrape::engines::page_dom::{attribute_words, is_invisible_tag, marks_noise_block, visible_text};
use crate::scrape::engines::values::{clean_text, price_text};
use crate::scrape::offer::{Availability, OfferKind, RawOffer};

/// The engine name written in [`RawOffer::engine`] for an offer read from a card.
pub const ENGINE: &str = "listing_card";

/// How far above a product link a card may reach.
const MAX_CARD_LEVELS: usize = 8;

/// A price text longer than this is a sentence, not a price.
const MAX_PRICE_TEXT: usize = 40;

/// Words of a card's text that say whether the product can be bought (lower case), checked in this order: a card
/// that says nothing leaves the stock as the product page last said.
const STOCK_WORDS: [(Availability, &[&str]); 4] = [
    (
        Availability::OutOfStock,
        &[
            "rupture de stock",
            "épuisé",
            "indisponible",
            "non disponible",
            "sold out",
            "out of stock",
            "ausverkauft",
            "agotado",
        ],
    ),
    (Availability::PreOrder, &["précommande", "pré-commande", "pre-order", "preorder", "vorbestellen"]),
    (Availability::Limited, &["stock limité", "limited stock", "low stock", "derniers articles"]),
    (Availability::InStock, &["en stock", "in stock", "auf lager", "en existencia"]),
];

/// The stock a card's text states, if it states one.
fn stated_stock(text: &str) -> Option<Availability> {
    STOCK_WORDS.iter().find(|(_, words)| words.iter().any(|word| text.contains(word))).map(|(stock, _)| *stock)
}

/// Which cards to read and how.
pub struct CardReader<'a> {
    /// The links to product pages (`[crawl] product_links`).
    pub product_links: &'a Selector,
    /// The card's price, when the shop file names it (`[crawl] card_price`).
    pub price: Option<&'a Selector>,
    /// The card's crossed-out price, when the shop file names it (`[crawl] card_previous_price`).
    pub previous_price: Option<&'a Selector>,
    /// The shop's currency, for amounts printed without one.
    pub currency: &'a str,
}

impl CardReader<'_> {
    /// The offer each readable card of `document` shows, by the canonical URL of its product link. Cards without a
    /// readable price are left out (their product page is read instead).
    pub fn read(&self, document: &Html, page_url: &Url) -> HashMap<String, RawOffer> {
        let links: Vec<(ElementRef, Url)> = document
            .select(self.product_links)
            .filter_map(|link| {
                let href = link.value().attr("href")?;
                Some((link, page_url.join(href).ok()?))
            })
            .collect();
        let keys: Vec<String> = links.iter().map(|(_, url)| canonicalize(url).to_string()).collect();
        // Each link's product, by its element: a card's bounds are found by comparing keys, not URLs again.
        let key_of: HashMap<NodeId, &str> =
            links.iter().zip(&keys).map(|((link, _), key)| (link.id(), key.as_str())).collect();
        let mut cards = HashMap::new();
        for ((link, url), key) in links.iter().zip(&keys) {
            if cards.contains_key(key) {
                continue;
            }
            let card = card_around(*link, key, self.product_links, &key_of);
            if let Some(offer) = self.offer_of(card, *link, url) {
                cards.insert(key.clone(), offer);
            }
        }
        cards
    }

    fn offer_of(&self, card: ElementRef, link: ElementRef, url: &Url) -> Option<RawOffer> {
        let (price, previous) = match self.price {
            Some(selector) => {
                let price = first_amount(card, selector)?;
                let previous = self.previous_price.and_then(|selector| first_amount(card, selector));
                (price, previous)
            }
            None => shown_prices(card)?,
        };
        let (price, currency) = price;
        let previous = previous.map(|(amount, _)| amount).filter(|amount| *amount > price);
        let availability = stated_stock(&visible_text(card).to_lowercase());
        let name = link
            .value()
            .attr("title")
            .map(clean_text)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| visible_text(link));
        Some(RawOffer {
            kind: OfferKind::Product,
            name,
            url: Some(url.to_string()),
            price: Some(price),
            previous_price: previous,
            currency: Some(currency.unwrap_or_else(|| self.currency.to_string())),
            availability,
            gtin: None,
            sku: None,
            brand: None,
            image: None,
            category: None,
            promo_code: None,
            promo_text: None,
            discount_percent: None,
            valid_until: None,
            engine: ENGINE.to_string(),
        })
    }
}

/// The largest block around `link` that holds no link to another product than `key`.
fn card_around<'a>(
    link: ElementRef<'a>,
    key: &str,
    product_links: &Selector,
    key_of: &HashMap<NodeId, &str>,
) -> ElementRef<'a> {
    let mut card = link;
    for ancestor in link.ancestors().filter_map(ElementRef::wrap).take(MAX_CARD_LEVELS) {
        if matches!(ancestor.value().name(), "body" | "html") {
            break;
        }
        // A link without a usable href has no key and belongs to no other product.
        let other_product =
            ancestor.select(product_links).any(|other| key_of.get(&other.id()).is_some_and(|other| *other != key));
        if other_product {
            break;
        }
        card = ancestor;
    }
    card
}

/// The first amount shown by an element that `selector` matches inside the card.
fn first_amount(card: ElementRef, selector: &Selector) -> Option<(Decimal, Option<String>)> {
    card.select(selector).find_map(|element| short_price(&visible_text(element)))
}

fn short_price(text: &str) -> Option<(Decimal, Option<String>)> {
    (text.len() <= MAX_PRICE_TEXT).then(|| price_text(text)).flatten().filter(|(amount, _)| *amount > Decimal::ZERO)
}

/// An amount shown in a card, and whether it is crossed out.
struct ShownAmount {
    amount: Decimal,
    currency: Option<String>,
    struck: bool,
}

/// The card's price (the first amount not crossed out) and previous price (the first crossed-out amount).
type CardPrices = ((Decimal, Option<String>), Option<(Decimal, Option<String>)>);

fn shown_prices(card: ElementRef) -> Option<CardPrices> {
    let mut amounts = Vec::new();
    collect_amounts(card, false, &mut amounts);
    // Counts (reviews, stock left) read as bare numbers: when the card prints a currency, only such amounts count.
    if amounts.iter().any(|shown| shown.currency.is_some()) {
        amounts.retain(|shown| shown.currency.is_some());
    }
    let price = amounts.iter().find(|shown| !shown.struck)?;
    let previous = amounts.iter().find(|shown| shown.struck && shown.amount > price.amount);
    Some(((price.amount, price.currency.clone()), previous.map(|shown| (shown.amount, shown.currency.clone()))))
}

/// The innermost elements of `element` whose text reads as one amount, in document order.
fn collect_amounts(element: ElementRef, struck: bool, amounts: &mut Vec<ShownAmount>) {
    let value = element.value();
    if is_invisible_tag(value.name()) {
        return;
    }
    let words = attribute_words(value);
    if marks_noise_block(&words) {
        return;
    }
    let struck = struck
        || matches!(value.name(), "del" | "s" | "strike")
        || words.iter().any(|word| PREVIOUS_WORDS.contains(&word.as_str()));
    let before = amounts.len();
    for child in element.children().filter_map(ElementRef::wrap) {
        collect_amounts(child, struck, amounts);
    }
    if amounts.len() > before {
        return;
    }
    if let Some((amount, currency)) = short_price(&visible_text(element)) {
        amounts.push(ShownAmount { amount, currency, struck });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn reader(links: &Selector) -> CardReader<'_> {
        CardReader { product_links: links, price: None, previous_price: None, currency: "EUR" }
    }

    const LISTING: &str = r#"<html><body><h1>Soldes</h1><ul class="product-grid">
      <li class="product-card"><a class="product-card__link" href="/produit/robe-12.html?utm_source=x" title="Robe fleurie">
        <img src="/img/robe.jpg"><h3>Robe fleurie</h3></a><div class="rating"><span class="rating__count">(128)</span></div>
        <div class="price"><span class="price-current">19,99 €</span>
          <span class="price-old"><span class="sr-only">Prix barré :</span> 29,99 €</span></div></li>
      <li class="product-card"><a class="product-card__link" href="/produit/jean-13.html"><h3>Jean droit</h3></a>
        <div class="price"><span class="price-current">35,00 €</span></div>
        <div class="unit-price">7,00 € / m</div><p>Rupture de stock</p></li>
      <li class="product-card"><a class="product-card__link" href="/produit/pull-14.html"><h3>Pull</h3></a>
        <p>Bientôt disponible</p></li>
    </ul></body></html>"#;

    #[test]
    fn each_card_gives_its_price_previous_price_and_stock_by_product_url() {
        let links = Selector::parse("a.product-card__link").unwrap();
        let page = Url::parse("https://shop.example/soldes").unwrap();
        let cards = reader(&links).read(&Html::parse_document(LISTING), &page);
        let robe = &cards["https://shop.example/produit/robe-12.html"];
        assert_eq!(robe.name, "Robe fleurie");
        assert_eq!(robe.price, Some(Decimal::from_str("19.99").unwrap()));
        assert_eq!(robe.previous_price, Some(Decimal::from_str("29.99").unwrap()));
        assert_eq!(robe.currency.as_deref(), Some("EUR"));
        assert_eq!(robe.engine, ENGINE);
        let jean = &cards["https://shop.example/produit/jean-13.html"];
        assert_eq!(jean.price, Some(Decimal::from(35)));
        assert_eq!(jean.previous_price, None, "a unit price is not a previous price");
        assert_eq!(jean.availability, Some(Availability::OutOfStock));
        assert!(!cards.contains_key("https://shop.example/produit/pull-14.html"), "a card without a price is not read");
        assert_eq!(robe.availability, None, "a card that says nothing of its stock");
    }

    #[test]
    fn a_card_states_its_stock_in_the_shop_s_words() {
        assert_eq!(stated_stock("robe 19,99 € rupture de stock"), Some(Availability::OutOfStock));
        assert_eq!(stated_stock("robe 19,99 € indisponible en ligne"), Some(Availability::OutOfStock));
        assert_eq!(stated_stock("robe 19,99 € en stock"), Some(Availability::InStock));
        assert_eq!(stated_stock("robe 19,99 € stock limité"), Some(Availability::Limited));
        assert_eq!(stated_stock("robe 19,99 € précommande"), Some(Availability::PreOrder));
        assert_eq!(stated_stock("robe 19,99 €"), None);
    }

    #[test]
    fn named_selectors_read_only_what_they_name() {
        let links = Selector::parse("a.product-card__link").unwrap();
        let price = Selector::parse(".price-current").unwrap();
        let previous = Selector::parse(".price-old").unwrap();
        let reader = CardReader { price: Some(&price), previous_price: Some(&previous), ..reader(&links) };
        let page = Url::parse("https://shop.example/soldes").unwrap();
        let cards = reader.read(&Html::parse_document(LISTING), &page);
        let robe = &cards["https://shop.example/produit/robe-12.html"];
        assert_eq!(robe.price, Some(Decimal::from_str("19.99").unwrap()));
        assert_eq!(robe.previous_price, Some(Decimal::from_str("29.99").unwrap()));
    }

    #[test]
    fn a_card_never_takes_the_prices_of_its_neighbour() {
        let html = r#"<div class="grid"><div><a class="p" href="/a">A</a><span>10 €</span></div>
            <div><a class="p" href="/b">B</a><del>30 €</del><span>20 €</span></div></div>"#;
        let links = Selector::parse("a.p").unwrap();
        let page = Url::parse("https://shop.example/").unwrap();
        let cards = reader(&links).read(&Html::parse_document(html), &page);
        assert_eq!(cards["https://shop.example/a"].price, Some(Decimal::from(10)));
        assert_eq!(cards["https://shop.example/a"].previous_price, None);
        assert_eq!(cards["https://shop.example/b"].price, Some(Decimal::from(20)));
        assert_eq!(cards["https://shop.example/b"].previous_price, Some(Decimal::from(30)));
    }
}
