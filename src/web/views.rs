//! What the pages show, worded and formatted: deals as cards, verdicts in plain words, amounts and dates in the
//! visitor's language, links that keep the language the visitor chose.
//!
//! It is pure (rows in, strings out) so that what a visitor reads is unit-tested without a server or a database;
//! the templates only place these strings (and escape them).

use rust_decimal::Decimal;

use super::security::{ImagePolicy, web_link};
use super::text::{Lang, Texts, fill};
use crate::store::deal_queries::{DealRow, OfferRecord};

/// `path` with `query` (already encoded, may be empty) and, when the visitor chose a language with `?lang=`, that
/// choice, so that following the link keeps it.
pub fn href(path: &str, query: &str, chosen: Option<Lang>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !query.is_empty() {
        parts.push(query.to_owned());
    }
    if let Some(lang) = chosen {
        parts.push(format!("lang={}", lang.code()));
    }
    if parts.is_empty() { path.to_owned() } else { format!("{path}?{}", parts.join("&")) }
}

/// A verdict's CSS class and its words.
pub fn verdict_words(verdict: Option<&str>, t: &'static Texts) -> (&'static str, &'static str) {
    match verdict {
        Some("honest") => ("honest", t.verdict_honest),
        Some("inflated") => ("inflated", t.verdict_inflated),
        Some("unverified") => ("unverified", t.verdict_unverified),
        _ => ("none", t.verdict_none),
    }
}

/// An availability in words.
pub fn availability_words(availability: Option<&str>, t: &'static Texts) -> &'static str {
    match availability {
        Some("in_stock") => t.in_stock,
        Some("out_of_stock") => t.out_of_stock,
        Some("preorder") => t.preorder,
        Some("limited") => t.limited,
        _ => t.unknown,
    }
}

/// One deal in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealCard {
    pub id: i64,
    pub href: String,
    pub title: String,
    pub brand: Option<String>,
    pub shop_name: String,
    pub category: Option<String>,
    pub image: Option<String>,
    pub price: String,
    pub reference: Option<String>,
    pub claimed: Option<String>,
    pub real_discount: Option<String>,
    pub verdict_class: &'static str,
    pub verdict_label: &'static str,
    pub score: String,
    pub ended: bool,
}

/// `row` as a card linking to its deal page, with its image when `images` allows it.
pub fn deal_card(row: &DealRow, lang: Lang, chosen: Option<Lang>, images: &ImagePolicy) -> DealCard {
    let t = lang.texts();
    let currency = row.currency.as_deref();
    let (verdict_class, verdict_label) = verdict_words(row.verdict.as_deref(), t);
    DealCard {
        id: row.id,
        href: href(&format!("/deals/{}", row.id), "", chosen),
        title: row.title.clone(),
        brand: row.brand.clone(),
        shop_name: row.shop_name.clone(),
        category: row.category.clone(),
        image: row.image_url.as_deref().and_then(|raw| images.source(raw)),
        price: row.price.map_or_else(|| t.unknown.to_owned(), |price| lang.money(price, currency)),
        reference: row.reference_price.map(|price| lang.money(price, currency)),
        claimed: row
            .previous_price
            .filter(|claim| row.price.is_none_or(|price| *claim > price))
            .map(|claim| lang.money(claim, currency)),
        real_discount: row.real_discount_pct.filter(|pct| *pct > Decimal::ZERO).map(|pct| lang.percent(-pct)),
        verdict_class,
        verdict_label,
        score: row.score.map_or_else(String::new, |score| score.round_dp(1).normalize().to_string()),
        ended: !row.active,
    }
}

/// The verdict of `offer` in a sentence, with its reference price, claim and the day the reduction began.
pub fn verdict_sentence(offer: &OfferRecord, lang: Lang, zone: chrono_tz::Tz) -> String {
    let t = lang.texts();
    let currency = offer.currency.as_deref();
    let amount = |value: Option<Decimal>| value.map_or_else(|| t.unknown.to_owned(), |v| lang.money(v, currency));
    let began = offer.reduction_started_at.map_or_else(|| t.unknown.to_owned(), |at| lang.date(at, zone));
    let claim = amount(offer.previous_price);
    let reference = amount(offer.reference_price);
    let real = offer.real_discount_pct.map_or_else(|| t.unknown.to_owned(), |pct| lang.percent(-pct));
    match (offer.price, offer.verdict.as_deref()) {
        (None, _) => t.explain_no_price.to_owned(),
        (_, Some("honest")) => fill(t.explain_honest, &[("began", &began), ("reference", &reference), ("real", &real)]),
        (_, Some("inflated")) => {
            fill(t.explain_inflated, &[("began", &began), ("reference", &reference), ("claim", &claim)])
        }
        (_, Some("unverified")) => fill(t.explain_unverified, &[("began", &began), ("claim", &claim)]),
        _ => t.explain_none.to_owned(),
    }
}

/// The web address of an offer on its shop, if it is one (see [`web_link`]).
pub fn shop_link(offer: &OfferRecord) -> Option<String> {
    web_link(&offer.url)
}

/// One choice of a `<select>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    /// A choice, selected when `current` is its value.
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: Option<&str>) -> Self {
        let value = value.into();
        let selected = current == Some(value.as_str());
        SelectOption { value, label: label.into(), selected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_a_chosen_language_only() {
        assert_eq!(href("/deals/3", "", None), "/deals/3");
        assert_eq!(href("/deals/3", "", Some(Lang::En)), "/deals/3?lang=en");
        assert_eq!(href("/", "q=x&after=1_2", Some(Lang::Fr)), "/?q=x&after=1_2&lang=fr");
    }

    fn row() -> DealRow {
        DealRow {
            id: 7,
            shop_id: "shop_a".into(),
            shop_name: "Boutique A".into(),
            kind: "product".into(),
            title: "Casque".into(),
            brand: None,
            category: None,
            image_url: Some("javascript:alert(1)".into()),
            url: "https://a.example/p".into(),
            currency: Some("EUR".into()),
            price: Some("49.99".parse().unwrap()),
            previous_price: Some("69.99".parse().unwrap()),
            reference_price: Some("49.99".parse().unwrap()),
            real_discount_pct: Some(Decimal::ZERO),
            claimed_discount_pct: Some("28.58".parse().unwrap()),
            verdict: Some("inflated".into()),
            score: Some("12.345".parse().unwrap()),
            availability: None,
            active: true,
            judged_at: None,
        }
    }

    #[test]
    fn a_card_shows_the_claim_the_verdict_and_no_fake_real_discount() {
        let card = deal_card(&row(), Lang::Fr, None, &ImagePolicy::https_only());
        assert_eq!(card.price, "49,99\u{A0}€");
        assert_eq!(card.claimed.as_deref(), Some("69,99\u{A0}€"));
        assert_eq!(card.real_discount, None, "a zero real discount is not shown as a discount");
        assert_eq!((card.verdict_class, card.verdict_label), ("inflated", "Fausse réduction"));
        assert_eq!(card.score, "12.3");
        assert_eq!(card.image, None, "a javascript: image is not shown");
    }
}
