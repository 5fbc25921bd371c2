//! DOM judgements the DOM-based engines share: the words an element's class/id carry, whether an element sits in a
//! secondary block of the page (recommendations, carousels, footers), and its visible text.
//!
//! Product pages repeat prices and product markup in blocks around the main product ("customers also bought",
//! "similar items"); every engine must recognise those blocks the same way, so the vocabulary lives here once.

use scraper::{ElementRef, Html, Selector};

/// Words in class names and ids that mark a block of other products than the page's own.
const SECONDARY_WORDS: [&str; 21] = [
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
