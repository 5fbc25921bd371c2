//! When a posted deal has ended, and what the account says about it: pure functions, no I/O.
//!
//! A post says "-30 %, 29,99 €"; an hour later the link may show the full price. A deal has ended for its post when
//! the offer costs more than the post said (in the post's currency), is out of stock, or is gone (no longer sold,
//! or its promotion's end has passed). The reply an account may post then ([`reply_text`]) is French, within X's
//! 280 weighted characters (`text_length`), and names the product so that two follow-ups never share a text.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use unicode_segmentation::UnicodeSegmentation;

use super::text_length::{MAX_WEIGHTED_LENGTH, weighted_length};
use crate::common::money_format;

/// Why a posted deal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryReason {
    /// The offer costs more than the post said.
    PriceUp,
    /// The offer is out of stock.
    OutOfStock,
    /// The offer is no longer sold, or its promotion's end has passed.
    Gone,
}

impl ExpiryReason {
    /// The name stored in `publications.expiry_reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryReason::PriceUp => "price_up",
            ExpiryReason::OutOfStock => "out_of_stock",
            ExpiryReason::Gone => "gone",
        }
    }

    /// The reason of a stored name.
    pub fn parse(name: &str) -> Option<ExpiryReason> {
        [ExpiryReason::PriceUp, ExpiryReason::OutOfStock, ExpiryReason::Gone].into_iter().find(|r| r.as_str() == name)
    }

    /// In words, for people reading the publication on the command line ("the price went up to 44.90 €").
    pub fn describe(self, price: Option<Decimal>, currency: Option<&str>) -> String {
        match (self, price) {
            (ExpiryReason::PriceUp, Some(price)) => {
                format!("the price went up to {}", money_format::plain(price, currency))
            }
            (ExpiryReason::PriceUp, None) => "the price went up".to_owned(),
            (ExpiryReason::OutOfStock, _) => "out of stock".to_owned(),
            (ExpiryReason::Gone, _) => "the offer is gone".to_owned(),
        }
    }
}

/// A posted deal as it was posted, and its offer as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedDeal {
    /// The price the post said.
    pub posted_price: Decimal,
    pub posted_currency: String,
    /// The offer's price now, if it has one.
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    /// Whether the offer is still sold.
    pub active: bool,
    /// Whether it is out of stock now.
    pub out_of_stock: bool,
    /// When its promotion ends, if the shop says.
    pub ends_at: Option<DateTime<Utc>>,
}

/// Why the deal of a post has ended as of `now`, or `None` while it is still on (or back on).
pub fn ended_because(deal: &PostedDeal, now: DateTime<Utc>) -> Option<ExpiryReason> {
    let same_currency = deal.currency.as_deref() == Some(deal.posted_currency.as_str());
    if !deal.active || deal.ends_at.is_some_and(|end| end <= now) || deal.price.is_none() || !same_currency {
        return Some(ExpiryReason::Gone);
    }
    if deal.price.is_some_and(|price| price > deal.posted_price) {
        return Some(ExpiryReason::PriceUp);
    }
    deal.out_of_stock.then_some(ExpiryReason::OutOfStock)
}

/// The account's reply to its post about `title` when the deal ended for `reason` (`price` the new price, for
/// [`ExpiryReason::PriceUp`]), within 280 weighted characters: the title is shortened when it must be.
pub fn reply_text(reason: ExpiryReason, title: &str, price: Option<Decimal>, currency: &str) -> String {
    let say = |title: &str| match (reason, price) {
        (ExpiryReason::PriceUp, Some(price)) => {
            format!("Terminé : le prix est remonté à {} ({title}).", money_format::french(price, Some(currency)))
        }
        (ExpiryReason::PriceUp, None) => format!("Terminé : le prix est remonté ({title})."),
        (ExpiryReason::OutOfStock, _) => format!("Terminé : le produit est en rupture de stock ({title})."),
        (ExpiryReason::Gone, _) => format!("Terminé : l'offre n'est plus disponible ({title})."),
    };
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut kept: Vec<&str> = title.graphemes(true).collect();
    let mut text = say(&title);
    while weighted_length(&text) > MAX_WEIGHTED_LENGTH && !kept.is_empty() {
        kept.pop();
        text = say(&format!("{}…", kept.concat().trim_end()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single().expect("a valid date")
    }

    fn on_sale() -> PostedDeal {
        PostedDeal {
            posted_price: Decimal::new(2999, 2),
            posted_currency: "EUR".into(),
            price: Some(Decimal::new(2999, 2)),
            currency: Some("EUR".into()),
            active: true,
            out_of_stock: false,
            ends_at: None,
        }
    }

    #[test]
    fn a_deal_still_at_its_posted_price_or_lower_is_on() {
        assert_eq!(ended_because(&on_sale(), now()), None);
        let cheaper = PostedDeal { price: Some(Decimal::new(2499, 2)), ..on_sale() };
        assert_eq!(ended_because(&cheaper, now()), None);
    }

    #[test]
    fn a_dearer_out_of_stock_or_gone_deal_has_ended() {
        let dearer = PostedDeal { price: Some(Decimal::new(4490, 2)), ..on_sale() };
        assert_eq!(ended_because(&dearer, now()), Some(ExpiryReason::PriceUp));
        let empty = PostedDeal { out_of_stock: true, ..on_sale() };
        assert_eq!(ended_because(&empty, now()), Some(ExpiryReason::OutOfStock));
        let gone = PostedDeal { active: false, ..on_sale() };
        assert_eq!(ended_because(&gone, now()), Some(ExpiryReason::Gone));
        let past = PostedDeal { ends_at: Some(now()), ..on_sale() };
        assert_eq!(ended_because(&past, now()), Some(ExpiryReason::Gone));
        let elsewhere = PostedDeal { currency: Some("USD".into()), ..on_sale() };
        assert_eq!(ended_because(&elsewhere, now()), Some(ExpiryReason::Gone));
    }

    #[test]
    fn the_reply_says_what_happened_in_french() {
        let text = reply_text(ExpiryReason::PriceUp, "Robe pull maille", Some(Decimal::new(4490, 2)), "EUR");
        assert_eq!(text, "Terminé : le prix est remonté à 44,90\u{a0}€ (Robe pull maille).");
        assert_eq!(ExpiryReason::parse("out_of_stock"), Some(ExpiryReason::OutOfStock));
    }

    #[test]
    fn a_long_title_is_shortened_to_fit_280_weighted_characters() {
        let title = "Casque audio sans fil à réduction de bruit 🎧 ".repeat(12);
        let text = reply_text(ExpiryReason::Gone, &title, None, "EUR");
        assert!(weighted_length(&text) <= MAX_WEIGHTED_LENGTH, "{}", weighted_length(&text));
        assert!(text.starts_with("Terminé : l'offre n'est plus disponible (Casque audio"), "{text}");
        assert!(text.ends_with("…)."), "{text}");
    }
}
