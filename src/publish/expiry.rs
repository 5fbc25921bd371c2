//! When a posted deal has ended, and what the account says about it: pure functions, no I/O.
//!
//! A post says "-30 %, 29,99 €"; an hour later the link may show the full price. A deal has ended for its post when
//! the offer costs more than the post said (in the post's currency), is out of stock, is gone (no longer sold, or
//! its promotion's end has passed), or, at the price the post said, no longer has the discount the post showed
//! (measured as the post measured it: from the 30-day reference price, or the shop's claim for a claim-only post;
//! compared as the post printed it, in whole percent). A price below the posted one is a deal still on, whatever
//! its discount: the follower pays less than the post said. The reply an account may post then ([`reply_text`]) is
//! French, within X's 280 weighted characters (`text_length`), and names the product so that two follow-ups never
//! share a text.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use unicode_segmentation::UnicodeSegmentation;

use super::french::format_percent;
use super::text_length::{MAX_WEIGHTED_LENGTH, weighted_length};
use crate::common::money_format;

/// Why a posted deal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryReason {
    /// The offer costs more than the post said.
    PriceUp,
    /// At the price the post said, the discount is below the one the post showed.
    BelowPostedDiscount,
    /// The offer is out of stock.
    OutOfStock,
    /// The offer is no longer sold, or its promotion's end has passed.
    Gone,
}

/// The figures of an ended deal that its reason speaks of, as stored with the post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryFigures {
    /// The price the deal went up to ([`ExpiryReason::PriceUp`]).
    pub price: Option<Decimal>,
    /// The discount the deal fell to, in percent ([`ExpiryReason::BelowPostedDiscount`]; `None` when none is left).
    pub discount: Option<Decimal>,
    /// The discount the post showed, in percent.
    pub posted_discount: Option<Decimal>,
}

impl ExpiryReason {
    const ALL: [ExpiryReason; 4] =
        [ExpiryReason::PriceUp, ExpiryReason::BelowPostedDiscount, ExpiryReason::OutOfStock, ExpiryReason::Gone];

    /// The name stored in `publications.expiry_reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryReason::PriceUp => "price_up",
            ExpiryReason::BelowPostedDiscount => "below_posted_discount",
            ExpiryReason::OutOfStock => "out_of_stock",
            ExpiryReason::Gone => "gone",
        }
    }

    /// The reason of a stored name.
    pub fn parse(name: &str) -> Option<ExpiryReason> {
        ExpiryReason::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// In words, for people reading the publication ("the price went up to 44.90 €").
    pub fn describe(self, figures: &ExpiryFigures, currency: Option<&str>) -> String {
        let percent = |pct: Decimal| format!("{} %", whole_percent(pct));
        match (self, figures.price) {
            (ExpiryReason::PriceUp, Some(price)) => {
                format!("the price went up to {}", money_format::plain(price, currency))
            }
            (ExpiryReason::PriceUp, None) => "the price went up".to_owned(),
            (ExpiryReason::BelowPostedDiscount, _) => {
                let posted = figures.posted_discount.map(|pct| format!(" (the post said {})", percent(pct)));
                match figures.discount.filter(|pct| whole_percent(*pct) > Decimal::ZERO) {
                    Some(now) => format!("the discount fell to {}{}", percent(now), posted.unwrap_or_default()),
                    None => format!("the discount is gone{}", posted.unwrap_or_default()),
                }
            }
            (ExpiryReason::OutOfStock, _) => "out of stock".to_owned(),
            (ExpiryReason::Gone, _) => "the offer is gone".to_owned(),
        }
    }

    /// In French, as the reply and the feed say it ("le prix est remonté à 44,90 €"); amounts in `currency`.
    pub fn in_french(self, figures: &ExpiryFigures, currency: &str) -> String {
        match (self, figures.price) {
            (ExpiryReason::PriceUp, Some(price)) => {
                format!("le prix est remonté à {}", money_format::french(price, Some(currency)))
            }
            (ExpiryReason::PriceUp, None) => "le prix est remonté".to_owned(),
            (ExpiryReason::BelowPostedDiscount, _) => {
                let posted = figures.posted_discount.map(|pct| format!(" (au lieu de {})", format_percent(-pct)));
                match figures.discount.filter(|pct| whole_percent(*pct) > Decimal::ZERO) {
                    Some(now) => {
                        format!("la réduction n'est plus que de {}{}", format_percent(-now), posted.unwrap_or_default())
                    }
                    None => format!("la réduction annoncée n'existe plus{}", posted.unwrap_or_default()),
                }
            }
            (ExpiryReason::OutOfStock, _) => "le produit est en rupture de stock".to_owned(),
            (ExpiryReason::Gone, _) => "l'offre n'est plus disponible".to_owned(),
        }
    }
}

/// A percentage as a post prints it: whole, rounded half away from zero (`french::format_percent`).
fn whole_percent(pct: Decimal) -> Decimal {
    pct.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
}

/// A posted deal as it was posted, and its offer as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedDeal {
    /// The price the post said.
    pub posted_price: Decimal,
    pub posted_currency: String,
    /// The discount the post showed, in percent (`None` for posts written before it was kept).
    pub posted_discount: Option<Decimal>,
    /// The offer's price now, if it has one.
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    /// The offer's discount now, in percent, measured as the post measured it (the real discount, or the shop's
    /// claim for a claim-only post); `None` when it has none.
    pub discount: Option<Decimal>,
    /// Whether the offer is still sold.
    pub active: bool,
    /// Whether it is out of stock now.
    pub out_of_stock: bool,
    /// When its promotion ends, if the shop says.
    pub ends_at: Option<DateTime<Utc>>,
}

impl PostedDeal {
    /// Whether the discount now, as a post would print it, is below the one the post showed.
    fn below_posted_discount(&self) -> bool {
        let Some(posted) = self.posted_discount else { return false };
        let now = self.discount.map_or(Decimal::ZERO, whole_percent);
        now < whole_percent(posted)
    }
}

/// Why the deal of a post has ended as of `now`, or `None` while it is still on (or back on).
pub fn ended_because(deal: &PostedDeal, now: DateTime<Utc>) -> Option<ExpiryReason> {
    let same_currency = deal.currency.as_deref() == Some(deal.posted_currency.as_str());
    if !deal.active || deal.ends_at.is_some_and(|end| end <= now) || !same_currency {
        return Some(ExpiryReason::Gone);
    }
    let Some(price) = deal.price else { return Some(ExpiryReason::Gone) };
    if price > deal.posted_price {
        return Some(ExpiryReason::PriceUp);
    }
    if deal.out_of_stock {
        return Some(ExpiryReason::OutOfStock);
    }
    // A lower price than the post said is still the deal, or better, whatever its discount now.
    (price == deal.posted_price && deal.below_posted_discount()).then_some(ExpiryReason::BelowPostedDiscount)
}

/// The account's reply to its post about `title` when the deal ended for `reason` (with its `figures`, amounts in
/// `currency`), within 280 weighted characters: the title is shortened when it must be.
pub fn reply_text(reason: ExpiryReason, title: &str, figures: &ExpiryFigures, currency: &str) -> String {
    let what = reason.in_french(figures, currency);
    let say = |title: &str| format!("Terminé : {what} ({title}).");
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
            posted_discount: Some(Decimal::new(400, 1)),
            price: Some(Decimal::new(2999, 2)),
            currency: Some("EUR".into()),
            discount: Some(Decimal::new(400, 1)),
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
    fn at_the_posted_price_a_discount_below_the_posted_one_has_ended_the_deal() {
        // The post said -40 %; the reference was found lower, or the shop cut its "was" price: now -10 %.
        let shrunk = PostedDeal { discount: Some(Decimal::new(100, 1)), ..on_sale() };
        assert_eq!(ended_because(&shrunk, now()), Some(ExpiryReason::BelowPostedDiscount));
        let none_left = PostedDeal { discount: None, ..on_sale() };
        assert_eq!(ended_because(&none_left, now()), Some(ExpiryReason::BelowPostedDiscount));
        // Compared as the post printed it: 39.6 % prints as -40 %, like the post.
        let same_words = PostedDeal { discount: Some(Decimal::new(396, 1)), ..on_sale() };
        assert_eq!(ended_because(&same_words, now()), None);
        // Cheaper than the post said: still the deal, whatever its discount is measured at now.
        let cheaper =
            PostedDeal { price: Some(Decimal::new(2899, 2)), discount: Some(Decimal::new(33, 1)), ..on_sale() };
        assert_eq!(ended_because(&cheaper, now()), None);
        // A post written before its discount was kept is judged on its price alone.
        let unknown = PostedDeal { posted_discount: None, discount: None, ..on_sale() };
        assert_eq!(ended_because(&unknown, now()), None);
        // A partial rise is a price rise: the post's price no longer holds.
        let dearer =
            PostedDeal { price: Some(Decimal::new(3499, 2)), discount: Some(Decimal::new(300, 1)), ..on_sale() };
        assert_eq!(ended_because(&dearer, now()), Some(ExpiryReason::PriceUp));
    }

    #[test]
    fn the_reply_says_what_happened_in_french() {
        let risen = ExpiryFigures { price: Some(Decimal::new(4490, 2)), ..ExpiryFigures::default() };
        let text = reply_text(ExpiryReason::PriceUp, "Robe pull maille", &risen, "EUR");
        assert_eq!(text, "Terminé : le prix est remonté à 44,90\u{a0}€ (Robe pull maille).");
        assert_eq!(ExpiryReason::parse("out_of_stock"), Some(ExpiryReason::OutOfStock));
        let shrunk = ExpiryFigures {
            discount: Some(Decimal::new(100, 1)),
            posted_discount: Some(Decimal::new(400, 1)),
            ..ExpiryFigures::default()
        };
        let text = reply_text(ExpiryReason::BelowPostedDiscount, "Robe pull maille", &shrunk, "EUR");
        assert_eq!(
            text,
            "Terminé : la réduction n'est plus que de -10\u{a0}% (au lieu de -40\u{a0}%) (Robe pull maille)."
        );
        let gone = ExpiryFigures { discount: None, ..shrunk };
        assert_eq!(
            ExpiryReason::BelowPostedDiscount.in_french(&gone, "EUR"),
            "la réduction annoncée n'existe plus (au lieu de -40\u{a0}%)"
        );
    }

    #[test]
    fn the_reasons_read_back_from_their_names_and_describe_their_figures_in_english() {
        for reason in ExpiryReason::ALL {
            assert_eq!(ExpiryReason::parse(reason.as_str()), Some(reason));
        }
        let shrunk = ExpiryFigures {
            discount: Some(Decimal::new(104, 1)),
            posted_discount: Some(Decimal::new(400, 1)),
            ..ExpiryFigures::default()
        };
        assert_eq!(
            ExpiryReason::BelowPostedDiscount.describe(&shrunk, Some("EUR")),
            "the discount fell to 10 % (the post said 40 %)"
        );
        let risen = ExpiryFigures { price: Some(Decimal::new(44900, 3)), ..ExpiryFigures::default() };
        assert_eq!(ExpiryReason::PriceUp.describe(&risen, Some("EUR")), "the price went up to 44.90 €");
        let half_cent = ExpiryFigures { price: Some(Decimal::new(1_299_995, 3)), ..ExpiryFigures::default() };
        assert_eq!(ExpiryReason::PriceUp.describe(&half_cent, Some("USD")), "the price went up to 1300.00 USD");
    }

    #[test]
    fn a_long_title_is_shortened_to_fit_280_weighted_characters() {
        let title = "Casque audio sans fil à réduction de bruit 🎧 ".repeat(12);
        let text = reply_text(ExpiryReason::Gone, &title, &ExpiryFigures::default(), "EUR");
        assert!(weighted_length(&text) <= MAX_WEIGHTED_LENGTH, "{}", weighted_length(&text));
        assert!(text.starts_with("Terminé : l'offre n'est plus disponible (Casque audio"), "{text}");
        assert!(text.ends_with("…)."), "{text}");
    }
}
