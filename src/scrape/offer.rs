//! What an engine finds on a page: a raw offer, before it is normalised and stored.
//!
//! Engines fill what the page says and nothing more: a field the page does not give stays `None`. Money is exact
//! (`rust_decimal`) with an ISO 4217 code; it is printed as a decimal string ("19.99"), never as a float.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What kind of promotion an offer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A product with a price (and maybe a crossed-out previous price).
    #[default]
    Product,
    /// A code to type at checkout.
    PromoCode,
    /// A site-wide or category-wide sale without one price ("jusqu'à -50 %").
    Sale,
}

/// Stock as schema.org and shops say it, reduced to what a deal reader cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    InStock,
    OutOfStock,
    PreOrder,
    Limited,
}

impl Availability {
    /// Reads schema.org values (`https://schema.org/InStock`, `InStock`, `instock`, `in stock`...).
    pub fn parse(text: &str) -> Option<Availability> {
        let last = text.rsplit(['/', '#', ':']).next().unwrap_or(text);
        let key: String = last.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "instock" | "instoreonly" | "onlineonly" | "available" | "true" => Some(Availability::InStock),
            "outofstock" | "soldout" | "discontinued" | "unavailable" | "false" => Some(Availability::OutOfStock),
            "preorder" | "presale" | "backorder" => Some(Availability::PreOrder),
            "limitedavailability" | "limited" => Some(Availability::Limited),
            _ => None,
        }
    }

    /// The value stored in the database (`offers.availability`).
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::InStock => "in_stock",
            Availability::OutOfStock => "out_of_stock",
            Availability::PreOrder => "preorder",
            Availability::Limited => "limited",
        }
    }
}

/// One offer as found on a page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RawOffer {
    pub kind: OfferKind,
    /// The product's name, or the promotion's headline.
    pub name: String,
    /// The absolute URL of the offer (the product page; for a promotion, the page announcing it).
    pub url: Option<String>,
    pub price: Option<Decimal>,
    /// The crossed-out "was" price the shop claims (strikethrough / list price).
    pub previous_price: Option<Decimal>,
    /// ISO 4217 code, upper case ("EUR").
    pub currency: Option<String>,
    pub availability: Option<Availability>,
    /// GTIN/EAN/UPC digits as the page gives them (normalised and checked when stored).
    pub gtin: Option<String>,
    pub sku: Option<String>,
    pub brand: Option<String>,
    /// The absolute URL of the main product image.
    pub image: Option<String>,
    pub category: Option<String>,
    /// The code to type, for a promo code.
    pub promo_code: Option<String>,
    /// The shop's wording of a promotion ("jusqu'à -50 % sur les robes").
    pub promo_text: Option<String>,
    /// A percentage announced by the shop (50 for "-50 %"), when there is no price to compute it from.
    pub discount_percent: Option<Decimal>,
    /// When the price or promotion ends (`priceValidUntil`, "jusqu'au 30/11").
    pub valid_until: Option<DateTime<Utc>>,
    /// Which engine found it ("json_ld", "microdata", ...).
    pub engine: String,
}
