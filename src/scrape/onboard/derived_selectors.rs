//! CSS selectors for a shop whose pages carry no structured data, derived from sample pages and verified on them.
//!
//! The visible-price heuristic can read such pages, but it judges each page afresh; a shop file with selectors reads
//! them the same way every time, and breaks loudly (in `shop check`) when the shop changes its markup. So `shop new`
//! takes what the heuristic read off a few sample product pages (title, price, crossed-out price), finds the
//! elements that show those values on every sample, and proposes the simplest selectors that pick exactly them. A
//! proposal is kept only if the `selectors` engine, run with it on every sample, gives back what was read.

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::scrape::engines::selectors;
use crate::scrape::offer::RawOffer;
use crate::scrape::price::parse_price;
use crate::scrape::shop_spec::{CssSelector, SelectorsSpec};

/// One sample: a product page and the main product read off it.
pub struct Sample<'a> {
    pub html: &'a str,
    pub url: &'a Url,
    pub product: &'a RawOffer,
}

/// Which value an element must show.
#[derive(Clone, Copy)]
enum Field {
    Title,
    Price,
    Previous,
}

/// Selectors that read every sample as it was read, or `None` when no simple selector does.
pub fn derive(samples: &[Sample<'_>], currency: &str) -> Option<SelectorsSpec> {
    let first = samples.first()?;
    // Each page is parsed once: every proposal is tried on every sample.
    let documents: Vec<Html> = samples.iter().map(|sample| Html::parse_document(sample.html)).collect();
    let title = choose(samples, &documents, Field::Title)?;
    let price = choose(samples, &documents, Field::Price)?;
    let previous = if samples.iter().any(|s| s.product.previous_price.is_some()) {
        Some(choose(samples, &documents, Field::Previous)?)
    } else {
        None
    };
    let image = first.product.image.as_ref().and_then(|_| image_selector(samples, &documents));
    let spec = SelectorsSpec {
        scope: None,
        exclude: Vec::new(),
        item: None,
        title,
        price: Some(price),
        previous_price: previous,
        link: None,
        image,
        promo_code: None,
        ends: None,
    };
    samples.iter().all(|sample| reads_back(&spec, sample, currency)).then_some(spec)
}

/// Whether the engine, with `spec`, reads `sample` as the heuristic did.
fn reads_back(spec: &SelectorsSpec, sample: &Sample<'_>, currency: &str) -> bool {
    let offers =
        selectors::extract(sample.html, sample.url, spec, currency, crate::scrape::shop_spec::TimeZone::default().0);
    let Some(got) = offers.first() else { return false };
    let want = sample.product;
    got.name == want.name && got.price == want.price && got.previous_price == want.previous_price
}

/// The simplest selector whose first match shows the field's value on every sample.
fn choose(samples: &[Sample<'_>], documents: &[Html], field: Field) -> Option<CssSelector> {
    let mut proposals: Vec<String> = Vec::new();
    for element in showing(&documents[0], samples[0].product, field) {
        for proposal in proposals_for(element) {
            if !proposals.contains(&proposal) {
                proposals.push(proposal);
            }
        }
    }
    rank(&mut proposals);
    // A price read by a bare tag (`span`) is whatever span comes first: it would survive no change of the page.
    proposals.retain(|p| matches!(field, Field::Title) || is_named(p));
    proposals.into_iter().find_map(|text| {
        let css = CssSelector::try_from(text).ok()?;
        samples
            .iter()
            .zip(documents)
            .all(|(sample, document)| first_shows(sample, document, &css.selector, field))
            .then_some(css)
    })
}

/// Whether the first element `selector` picks in the sample shows the sample's value (or, for a crossed-out price
/// the sample does not have, shows nothing above the price).
fn first_shows(sample: &Sample<'_>, document: &Html, selector: &Selector, field: Field) -> bool {
    match (document.select(selector).next(), field) {
        (Some(element), _) => shows(element, sample.product, field),
        (None, Field::Previous) => sample.product.previous_price.is_none(),
        (None, _) => false,
    }
}

/// The innermost elements of `document` showing the field's value.
fn showing<'d>(document: &'d Html, product: &RawOffer, field: Field) -> Vec<ElementRef<'d>> {
    let all = Selector::parse("body *").expect("a valid selector");
    let matching: Vec<ElementRef<'d>> = document.select(&all).filter(|e| shows(*e, product, field)).collect();
    matching
        .iter()
        .copied()
        .filter(|e| !matching.iter().any(|other| other.ancestors().any(|a| a.id() == e.id())))
        .collect()
}

fn shows(element: ElementRef<'_>, product: &RawOffer, field: Field) -> bool {
    let text: String = element.text().collect::<Vec<_>>().join(" ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match field {
        Field::Title => !product.name.is_empty() && text == product.name,
        Field::Price => product.price.is_some() && amount(&text) == product.price,
        Field::Previous => match product.previous_price {
            Some(previous) => amount(&text) == Some(previous),
            None => amount(&text).is_none_or(|shown| product.price.is_none_or(|price| shown <= price)),
        },
    }
}

/// The amount an element's text shows, if its text is a price and nothing more than a short label.
fn amount(text: &str) -> Option<rust_decimal::Decimal> {
    if text.is_empty() || text.chars().count() > 40 {
        return None;
    }
    parse_price(text, None, None).amount
}

/// Orders proposals from the most telling: a selector naming a class, id or itemprop says what it reads and
/// survives a new block above it, where a bare tag (`span`) picks whatever comes first; `h1` is the exception, a
/// page's one title. Then fewer steps, then shorter.
fn rank(proposals: &mut [String]) {
    proposals.sort_by_key(|p| (!(p == "h1" || is_named(p)), p.matches(' ').count(), p.len()));
}

/// Whether a selector names a class, an id or an itemprop.
fn is_named(selector: &str) -> bool {
    selector.contains(['.', '#', '['])
}

/// Selectors for one element, from its tag, classes, id and its parent's, simplest first.
fn proposals_for(element: ElementRef<'_>) -> Vec<String> {
    let own = simple_selectors(element);
    let mut proposals = own.clone();
    if let Some(parent) = element.parent().and_then(ElementRef::wrap) {
        for parent_selector in simple_selectors(parent) {
            for child in &own {
                proposals.push(format!("{parent_selector} {child}"));
            }
        }
    }
    proposals
}

fn simple_selectors(element: ElementRef<'_>) -> Vec<String> {
    let value = element.value();
    let tag = value.name();
    let mut found = Vec::new();
    if let Some(id) = value.id().filter(|id| is_plain_name(id)) {
        found.push(format!("#{id}"));
    }
    for class in value.classes().filter(|c| is_plain_name(c)) {
        found.push(format!("{tag}.{class}"));
        found.push(format!(".{class}"));
    }
    if let Some(itemprop) = value.attr("itemprop").filter(|p| is_plain_name(p)) {
        found.push(format!("[itemprop={itemprop}]"));
    }
    found.push(tag.to_string());
    found
}

/// Class and id names worth writing into a shop file: CSS identifiers without generated-looking hashes.
fn is_plain_name(name: &str) -> bool {
    let digits = name.chars().filter(char::is_ascii_digit).count();
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit() || c == '-')
        && digits * 3 < name.len()
}

/// A selector for the main image: an `img` whose source is the image read, on every sample.
fn image_selector(samples: &[Sample<'_>], documents: &[Html]) -> Option<CssSelector> {
    let document = &documents[0];
    let wanted = samples[0].product.image.as_deref()?;
    let images = Selector::parse("img").expect("a valid selector");
    let element = document.select(&images).find(|img| {
        ["src", "data-src"]
            .iter()
            .filter_map(|a| img.value().attr(a))
            .any(|src| samples[0].url.join(src).is_ok_and(|u| u.as_str() == wanted))
    })?;
    let mut proposals = proposals_for(element);
    rank(&mut proposals);
    proposals.into_iter().find_map(|text| {
        let css = CssSelector::try_from(text).ok()?;
        samples
            .iter()
            .zip(documents)
            .all(|(sample, document)| {
                let src = document
                    .select(&css.selector)
                    .next()
                    .and_then(|e| e.value().attr("src").or(e.value().attr("data-src")).map(str::to_string));
                match (src, &sample.product.image) {
                    (Some(src), Some(image)) => sample.url.join(&src).is_ok_and(|u| u.as_str() == image),
                    _ => false,
                }
            })
            .then_some(css)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn page(name: &str, price: &str, previous: Option<&str>) -> String {
        let previous = previous.map(|p| format!(r#"<span class="pdp-price__old">{p} €</span>"#)).unwrap_or_default();
        format!(
            r#"<html><body><header><a class="logo" href="/">Boutique</a><span class="promo">Livraison offerte dès 49 €</span></header>
            <main><div class="pdp"><h1 class="pdp-title">{name}</h1><div class="pdp-price"><span class="pdp-price__now">{price} €</span>{previous}</div>
            <button class="add">Ajouter au panier</button></div>
            <section class="others"><h2>Vous aimerez aussi</h2><div class="tile"><p class="tile-name">Bonnet</p><span class="tile-price">9,99 €</span></div></section></main></body></html>"#
        )
    }

    fn offer(name: &str, price: &str, previous: Option<&str>) -> RawOffer {
        RawOffer {
            name: name.to_string(),
            price: Some(price.replace(',', ".").parse::<Decimal>().unwrap()),
            previous_price: previous.map(|p| p.replace(',', ".").parse::<Decimal>().unwrap()),
            currency: Some("EUR".to_string()),
            ..RawOffer::default()
        }
    }

    #[test]
    fn selectors_are_derived_from_samples_and_read_them_back() {
        let pages = [page("Robe midi", "29,99", Some("49,99")), page("Jean droit", "35,00", None)];
        let products = [offer("Robe midi", "29,99", Some("49,99")), offer("Jean droit", "35,00", None)];
        let urls = [Url::parse("https://s.example/p/robe").unwrap(), Url::parse("https://s.example/p/jean").unwrap()];
        let samples: Vec<Sample<'_>> =
            (0..2).map(|i| Sample { html: &pages[i], url: &urls[i], product: &products[i] }).collect();
        let spec = derive(&samples, "EUR").expect("selectors derived");
        assert_eq!(spec.title.text, "h1");
        assert_eq!(spec.price.as_ref().unwrap().text, ".pdp-price__now");
        assert_eq!(spec.previous_price.as_ref().unwrap().text, ".pdp-price__old");
    }

    #[test]
    fn no_selectors_when_the_samples_disagree_with_any_simple_selector() {
        let first = page("Robe midi", "29,99", None);
        // The second page shows its price in a bare <b> of another block: no one selector reads both.
        let second = r#"<html><body><h1 class="pdp-title">Jean</h1><p><b>35,00 €</b></p><span class="pdp-price__now">12,00 €</span></body></html>"#;
        let products = [offer("Robe midi", "29,99", None), offer("Jean", "35,00", None)];
        let url = Url::parse("https://s.example/p/x").unwrap();
        let samples = [
            Sample { html: &first, url: &url, product: &products[0] },
            Sample { html: second, url: &url, product: &products[1] },
        ];
        assert!(derive(&samples, "EUR").is_none());
    }
}
