//! Whether a deal still holds once its product page was read again (`recheck`): pure, so that every reason a post
//! is dropped is tested without a shop. The reasons are worded for the outbox row (`last_error`), where
//! `dealcast publications` and the web admin show them.

use rust_decimal::Decimal;

use crate::store::rechecked_offers::{OfferNow, PostedDeal};

/// Why a re-checked deal is not posted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropReason {
    #[error("its price went up from {was} to {now} {currency}")]
    PriceRose { was: Decimal, now: Decimal, currency: String },
    #[error("its price is now in {now}, no longer in {was}")]
    CurrencyChanged { was: String, now: String },
    #[error("its discount fell to {}, below the account's minimum of {} %", percent(*discount), minimum.normalize())]
    DiscountBelowMinimum { discount: Option<Decimal>, minimum: Decimal },
    #[error("it is out of stock")]
    OutOfStock,
    #[error("its product page is gone (HTTP {status})")]
    Gone { status: u16 },
    #[error("its product page no longer shows the offer with a price")]
    NoOffer,
}

fn percent(discount: Option<Decimal>) -> String {
    discount.map_or_else(|| "nothing".to_string(), |d| format!("{} %", d.round_dp(1).normalize()))
}

/// Why the deal of `posted`, now standing as `now`, is not to be posted, or `None` when it holds: same price or
/// lower, same currency, not out of stock, and a discount of at least `min_discount` (the account's
/// `filters.min_real_discount`; above zero at least, as selection requires), measured the way the post was
/// chosen: the real discount, or the shop's claimed one for a post written on the claim alone.
pub fn drop_reason(posted: &PostedDeal, now: &OfferNow, min_discount: Option<Decimal>) -> Option<DropReason> {
    let (Some(was), Some(currency)) = (posted.price, posted.currency.as_deref()) else {
        return Some(DropReason::NoOffer);
    };
    let (Some(price), Some(now_currency)) = (now.price, now.currency.as_deref()) else {
        return Some(DropReason::NoOffer);
    };
    if now_currency != currency {
        return Some(DropReason::CurrencyChanged { was: currency.to_string(), now: now_currency.to_string() });
    }
    if now.availability.as_deref() == Some("out_of_stock") {
        return Some(DropReason::OutOfStock);
    }
    if price > was {
        return Some(DropReason::PriceRose {
            was: was.normalize(),
            now: price.normalize(),
            currency: currency.to_string(),
        });
    }
    let discount = if posted.claim_only { now.claimed_discount_pct } else { now.real_discount_pct };
    let minimum = min_discount.unwrap_or(Decimal::ZERO);
    let enough = discount.is_some_and(|d| d > Decimal::ZERO && d >= minimum);
    (!enough).then_some(DropReason::DiscountBelowMinimum { discount, minimum })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn posted(price: &str, claim_only: bool) -> PostedDeal {
        PostedDeal {
            publication_id: 1,
            offer_id: 2,
            shop_id: "maison".into(),
            url: "https://maison.example/p/lampe".into(),
            canonical_url: "https://maison.example/p/lampe".into(),
            last_run_id: Some(3),
            price: Some(dec(price)),
            currency: Some("EUR".into()),
            claim_only,
        }
    }

    fn now(price: &str, availability: &str, real: Option<&str>) -> OfferNow {
        OfferNow {
            price: Some(dec(price)),
            currency: Some("EUR".into()),
            availability: Some(availability.into()),
            real_discount_pct: real.map(dec),
            claimed_discount_pct: Some(dec("40")),
        }
    }

    #[test]
    fn an_unchanged_or_cheaper_deal_holds() {
        let minimum = Some(dec("10"));
        assert_eq!(drop_reason(&posted("19.99", false), &now("19.9900", "in_stock", Some("33.3")), minimum), None);
        assert_eq!(drop_reason(&posted("19.99", false), &now("17.99", "in_stock", Some("40")), minimum), None);
    }

    #[test]
    fn a_price_rise_is_said_with_both_prices() {
        let reason = drop_reason(&posted("19.99", false), &now("24.9900", "in_stock", Some("16.7")), None).unwrap();
        assert_eq!(reason.to_string(), "its price went up from 19.99 to 24.99 EUR");
    }

    #[test]
    fn out_of_stock_and_another_currency_drop_the_deal() {
        let reason = drop_reason(&posted("19.99", false), &now("19.99", "out_of_stock", Some("33")), None);
        assert_eq!(reason, Some(DropReason::OutOfStock));
        let other = OfferNow { currency: Some("CHF".into()), ..now("19.99", "in_stock", Some("33")) };
        let reason = drop_reason(&posted("19.99", false), &other, None).unwrap();
        assert_eq!(reason.to_string(), "its price is now in CHF, no longer in EUR");
    }

    #[test]
    fn a_discount_below_the_minimum_drops_the_deal_as_the_post_measured_it() {
        let minimum = Some(dec("10"));
        let reason = drop_reason(&posted("19.99", false), &now("19.99", "in_stock", Some("4.96")), minimum).unwrap();
        assert_eq!(reason.to_string(), "its discount fell to 5 %, below the account's minimum of 10 %");
        let reason = drop_reason(&posted("19.99", false), &now("19.99", "in_stock", None), None).unwrap();
        assert_eq!(reason.to_string(), "its discount fell to nothing, below the account's minimum of 0 %");
        // A post written on the shop's claim is measured by the claim (40 % here), not by a real discount.
        assert_eq!(drop_reason(&posted("19.99", true), &now("19.99", "in_stock", None), minimum), None);
    }
}
