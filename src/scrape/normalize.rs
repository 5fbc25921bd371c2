//! From what an engine read to what the database may keep: canonical identity, exact money in a known currency,
//! a checked GTIN, and a quality flag with a reason for everything that looked wrong.
//!
//! Shops and scrapers produce nonsense now and then (a price of 0 while a page loads, a "was" price below the
//! price, "-99 %" on a handbag). Nonsense must never become a deal, but a bad field must not lose the offer either:
//! the field is dropped, the offer is kept, and the reason is stored with it (`quality_flags`, shown by
//! `dealcast deals show`). Only an offer without identity (no usable URL, no name) is rejected outright.

use rust_decimal::Decimal;
use serde::Serialize;
use url::Url;

use crate::scrape::canonical_url::canonicalize;
use crate::scrape::gtin::normalize_gtin;
use crate::scrape::offer::{Availability, OfferKind, RawOffer};

/// A claimed reduction at or above this percentage is treated as a scraping error or a fake, not a deal.
pub const IMPLAUSIBLE_DISCOUNT_PCT: u32 = 90;

/// Something wrong with an offer's data, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QualityFlag {
    /// A bounded kind (`price_rejected`, `previous_not_above_price`, `implausible_discount`, `gtin_invalid`,
    /// `currency_changed`).
    pub kind: &'static str,
    pub reason: String,
}

/// An offer ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedOffer {
    pub canonical_url: String,
    pub url: String,
    pub kind: OfferKind,
    pub title: String,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub image_url: Option<String>,
    pub sku: Option<String>,
    /// 14 digits, check digit verified.
    pub gtin: Option<String>,
    pub currency: Option<String>,
    pub price: Option<Decimal>,
    pub previous_price: Option<Decimal>,
    pub availability: Option<Availability>,
    pub promo_code: Option<String>,
    pub promo_text: Option<String>,
    pub discount_percent: Option<Decimal>,
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    pub flags: Vec<QualityFlag>,
    /// Where the offer was read: its price observation is marked so in the history.
    pub source: ObservationSource,
}

/// Where an offer's price was read (`price_observations.source`). The 30-day judge uses them all alike; the mark
/// says what a price was based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationSource {
    /// The offer's own page.
    #[default]
    Page,
    /// A product card on a listing page (a listing-first harvest).
    Listing,
    /// A platform's catalogue API (Shopify, WooCommerce, Magento).
    Api,
    /// A product feed.
    Feed,
    /// The page fetched again just before a post.
    Recheck,
}

impl ObservationSource {
    /// The name stored in `price_observations.source`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObservationSource::Page => "page",
            ObservationSource::Listing => "listing",
            ObservationSource::Api => "api",
            ObservationSource::Feed => "feed",
            ObservationSource::Recheck => "recheck",
        }
    }

    /// The source of an offer read by `engine` ([`RawOffer::engine`]).
    pub fn of_engine(engine: &str) -> ObservationSource {
        match engine {
            crate::scrape::listing_cards::ENGINE => ObservationSource::Listing,
            "shopify" | crate::scrape::engines::woocommerce::ENGINE | crate::scrape::engines::magento::ENGINE => {
                ObservationSource::Api
            }
            "feed" => ObservationSource::Feed,
            _ => ObservationSource::Page,
        }
    }
}

/// Why an offer cannot be kept at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the offer has no usable URL ({0:?})")]
    NoUrl(Option<String>),
    #[error("the offer at {0} has no name")]
    NoName(String),
}

/// Normalises one offer found on `page_url`; prices without a currency get `default_currency`.
pub fn normalize(
    offer: &RawOffer,
    page_url: Option<&Url>,
    default_currency: &str,
) -> Result<NormalizedOffer, Rejection> {
    let url = offer
        .url
        .as_deref()
        .and_then(|u| match page_url {
            Some(base) => base.join(u).ok(),
            None => Url::parse(u).ok(),
        })
        .or_else(|| page_url.cloned())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| Rejection::NoUrl(offer.url.clone()))?;
    let title = offer.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = if title.is_empty() { offer.promo_text.clone().unwrap_or_default() } else { title };
    if title.is_empty() {
        return Err(Rejection::NoName(url.to_string()));
    }
    let mut flags = Vec::new();
    let mut price = offer.price;
    if let Some(amount) = price.filter(|p| *p <= Decimal::ZERO) {
        flags.push(QualityFlag { kind: "price_rejected", reason: format!("a price of {amount} is not a price") });
        price = None;
    }
    let mut previous_price = offer.previous_price;
    if let (Some(now), Some(was)) = (price, previous_price) {
        if was <= now {
            flags.push(QualityFlag {
                kind: "previous_not_above_price",
                reason: format!("the claimed previous price {was} is not above the price {now}: ignored"),
            });
            previous_price = None;
        } else if (was - now) * Decimal::from(100) >= was * Decimal::from(IMPLAUSIBLE_DISCOUNT_PCT) {
            let pct = ((was - now) * Decimal::from(100) / was).round_dp(0);
            flags.push(QualityFlag {
                kind: "implausible_discount",
                reason: format!("a claimed reduction of {pct} % ({was} to {now}) is implausible: ignored"),
            });
            previous_price = None;
        }
    } else if price.is_none() && previous_price.is_some() {
        previous_price = None;
    }
    let gtin = match offer.gtin.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(raw) => {
            let normalized = normalize_gtin(raw);
            if normalized.is_none() {
                flags.push(QualityFlag {
                    kind: "gtin_invalid",
                    reason: format!("`{raw}` is not a valid GTIN: ignored"),
                });
            }
            normalized
        }
        None => None,
    };
    let currency = price.map(|_| {
        offer
            .currency
            .clone()
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
            .unwrap_or_else(|| default_currency.to_string())
    });
    let kind = if price.is_none() && offer.kind == OfferKind::Product && offer.promo_code.is_some() {
        OfferKind::PromoCode
    } else {
        offer.kind
    };
    Ok(NormalizedOffer {
        canonical_url: canonicalize(&url).to_string(),
        url: url.to_string(),
        kind,
        title,
        brand: offer.brand.clone(),
        category: offer.category.clone(),
        image_url: offer.image.clone(),
        sku: offer.sku.clone(),
        gtin,
        currency,
        price,
        previous_price,
        availability: offer.availability,
        promo_code: offer.promo_code.clone(),
        promo_text: offer.promo_text.clone(),
        discount_percent: offer.discount_percent,
        ends_at: offer.valid_until,
        flags,
        source: ObservationSource::of_engine(&offer.engine),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn offer(price: &str, previous: Option<&str>) -> RawOffer {
        RawOffer {
            name: "  Sac   à main  ".into(),
            url: Some("https://Shop.example/p/sac?utm_source=x#top".into()),
            price: Some(Decimal::from_str(price).unwrap()),
            previous_price: previous.map(|p| Decimal::from_str(p).unwrap()),
            ..RawOffer::default()
        }
    }

    #[test]
    fn identity_is_canonical_and_currency_defaults_to_the_shop() {
        let normalized = normalize(&offer("120", Some("150")), None, "EUR").unwrap();
        assert_eq!(normalized.canonical_url, "https://shop.example/p/sac");
        assert_eq!(normalized.title, "Sac à main");
        assert_eq!(normalized.currency.as_deref(), Some("EUR"));
        assert_eq!(normalized.previous_price, Some(Decimal::from(150)));
        assert!(normalized.flags.is_empty());
    }

    #[test]
    fn nonsense_is_dropped_with_a_reason_and_the_offer_kept() {
        let zero = normalize(&offer("0", None), None, "EUR").unwrap();
        assert_eq!((zero.price, zero.flags[0].kind), (None, "price_rejected"));
        let negative = normalize(&offer("-5", Some("10")), None, "EUR").unwrap();
        assert_eq!((negative.price, negative.previous_price), (None, None));
        let below = normalize(&offer("20", Some("10")), None, "EUR").unwrap();
        assert_eq!((below.previous_price, below.flags[0].kind), (None, "previous_not_above_price"));
        let luxury = normalize(&offer("25", Some("2500")), None, "EUR").unwrap();
        assert_eq!(luxury.previous_price, None);
        assert_eq!(luxury.flags[0].kind, "implausible_discount");
        assert!(luxury.flags[0].reason.contains("99 %"), "{:?}", luxury.flags);
        let mut bad_gtin = offer("10", None);
        bad_gtin.gtin = Some("1234567890123".into());
        let flagged = normalize(&bad_gtin, None, "EUR").unwrap();
        assert_eq!((flagged.gtin, flagged.flags[0].kind), (None, "gtin_invalid"));
    }

    #[test]
    fn an_offer_without_identity_is_rejected() {
        let mut nameless = offer("10", None);
        nameless.name = " ".into();
        assert!(matches!(normalize(&nameless, None, "EUR"), Err(Rejection::NoName(_))));
        let mut urlless = offer("10", None);
        urlless.url = Some("javascript:void(0)".into());
        assert!(matches!(normalize(&urlless, None, "EUR"), Err(Rejection::NoUrl(_))));
        let relative = RawOffer { url: Some("/p/1".into()), ..offer("10", None) };
        let page = Url::parse("https://shop.example/list").unwrap();
        assert_eq!(normalize(&relative, Some(&page), "EUR").unwrap().url, "https://shop.example/p/1");
    }
}
