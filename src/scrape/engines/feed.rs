//! The `feed` engine: promotions announced in an RSS, Atom or JSON Feed (a shop's "bons plans" feed, a newsletter
//! archive), read with feed-rs.
//!
//! Feed entries are prose ("Robe midi à 29,99 € au lieu de 49,99 €", "Code HIVER20 : -20 % sur tout le site
//! jusqu'au 30/11"), so this engine reads the money, the percentage, the promo code and the end date out of each
//! entry's title and summary. An entry with a price is a product offer; one with a code is a promo code; one with
//! only a percentage is a sale. Entries announcing nothing of the sort are skipped.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use rust_decimal::Decimal;
use url::Url;

use crate::scrape::engines::values::clean_text;
use crate::scrape::offer::{OfferKind, RawOffer};
use crate::scrape::price::parse_price;
use crate::scrape::promo_text;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{url} is not an RSS, Atom or JSON feed: {source}")]
    NotAFeed {
        url: String,
        #[source]
        source: feed_rs::parser::ParseFeedError,
    },
}

/// Money mentions: a number with a currency sign or code on either side ("29,99 €", "€29.99", "12€99", "EUR 5").
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:(?:€|\$|£|\bEUR\b|\bUSD\b|\bGBP\b)\s?\d[\d\u{a0}\u{202f}\ .,]*\d?)
        |(?:\d[\d\u{a0}\u{202f}\ .,]*?\s?(?:€|\$|£|\bEUR\b|\beuros?\b)(?:\d{2}\b)?)",
    )
    .expect("a valid regex")
});

/// The offers announced by the entries of one feed document; end dates are read in the shop's `zone`.
pub fn parse_feed(
    body: &[u8],
    feed_url: &Url,
    default_currency: &str,
    zone: chrono_tz::Tz,
) -> Result<Vec<RawOffer>, FeedError> {
    let feed =
        feed_rs::parser::parse(body).map_err(|source| FeedError::NotAFeed { url: feed_url.to_string(), source })?;
    let mut offers = Vec::new();
    for entry in feed.entries {
        let title = entry.title.as_ref().map(|t| clean_text(&t.content)).unwrap_or_default();
        let summary = entry
            .summary
            .as_ref()
            .map(|s| clean_text(&s.content))
            .or_else(|| entry.content.as_ref().and_then(|c| c.body.as_deref()).map(clean_text))
            .unwrap_or_default();
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"))
            .and_then(|l| feed_url.join(&l.href).ok())
            .map(String::from);
        let image = entry
            .media
            .iter()
            .flat_map(|m| {
                m.thumbnails
                    .iter()
                    .map(|t| t.image.uri.clone())
                    .chain(m.content.iter().filter_map(|c| c.url.as_ref().map(Url::to_string)))
            })
            .next();
        let published = entry.published.or(entry.updated);
        if let Some(offer) = read_announcement(&title, &summary, default_currency, published, zone) {
            offers.push(RawOffer { url: link, image, ..offer });
        }
    }
    Ok(offers)
}

/// Reads what one announcement (title and summary) promises, its end date in the shop's `zone`; `None` when it
/// promises nothing dealcast can use.
pub fn read_announcement(
    title: &str,
    summary: &str,
    default_currency: &str,
    published: Option<DateTime<Utc>>,
    zone: chrono_tz::Tz,
) -> Option<RawOffer> {
    let (title, summary) = (&clean_text(title), &clean_text(summary));
    let text = format!("{title}\n{summary}");
    let mut prices: Vec<(Decimal, Option<String>)> = MONEY
        .find_iter(&text)
        .filter_map(|m| {
            let parsed = parse_price(m.as_str(), None, None);
            parsed.amount.filter(|a| *a > Decimal::ZERO).map(|a| (a, parsed.currency))
        })
        .collect();
    prices.truncate(2);
    let discount_percent = promo_text::discount_percent(&text);
    let promo_code = promo_text::promo_code(&text);
    let valid_until = promo_text::end_date(&text, published.unwrap_or_else(Utc::now), true, zone);

    let (kind, price, previous_price, currency) = match prices.as_slice() {
        [] if promo_code.is_some() => (OfferKind::PromoCode, None, None, None),
        [] if discount_percent.is_some() => (OfferKind::Sale, None, None, None),
        [] => return None,
        [(price, currency)] => (OfferKind::Product, Some(*price), None, currency.clone()),
        [(a, currency_a), (b, currency_b), ..] => {
            let (low, high) = if a <= b { (*a, *b) } else { (*b, *a) };
            let previous = (high > low).then_some(high);
            (OfferKind::Product, Some(low), previous, currency_a.clone().or_else(|| currency_b.clone()))
        }
    };
    let kind = if kind == OfferKind::Product || promo_code.is_none() { kind } else { OfferKind::PromoCode };
    Some(RawOffer {
        kind,
        name: if title.is_empty() { summary.lines().next().unwrap_or_default().to_string() } else { title.to_string() },
        price,
        previous_price,
        currency: price.map(|_| currency.unwrap_or_else(|| default_currency.to_string())),
        promo_code,
        promo_text: (!summary.is_empty()).then(|| summary.to_string()).or_else(|| Some(title.to_string())),
        discount_percent,
        valid_until,
        engine: "feed".to_string(),
        ..RawOffer::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_product_with_its_was_price_is_read_from_prose() {
        let offer = read_announcement("Robe midi à 29,99 € au lieu de 49,99 €", "", "EUR", None, PARIS).unwrap();
        assert_eq!(offer.kind, OfferKind::Product);
        assert_eq!(offer.price, Some(Decimal::from_str("29.99").unwrap()));
        assert_eq!(offer.previous_price, Some(Decimal::from_str("49.99").unwrap()));
        assert_eq!(offer.currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_code_with_its_percentage_and_end_date_is_a_promo_code() {
        let offer = read_announcement(
            "Code HIVER20 : -20 % sur tout le site",
            "<p>Valable jusqu&#39;au 30/11 inclus.</p>",
            "EUR",
            Some(at("2026-11-20T08:00:00Z")),
            PARIS,
        )
        .unwrap();
        assert_eq!(offer.kind, OfferKind::PromoCode);
        assert_eq!(offer.promo_code.as_deref(), Some("HIVER20"));
        assert_eq!(offer.discount_percent, Some(Decimal::from(20)));
        assert_eq!(offer.valid_until, Some(at("2026-11-30T22:59:59Z")));
        assert_eq!(offer.price, None);
    }

    #[test]
    fn a_sale_without_a_price_keeps_its_percentage_and_french_date() {
        let offer = read_announcement(
            "Soldes : jusqu'à -50 % sur les manteaux",
            "Jusqu'au 2 décembre",
            "EUR",
            Some(at("2026-11-26T10:00:00Z")),
            PARIS,
        )
        .unwrap();
        assert_eq!(offer.kind, OfferKind::Sale);
        assert_eq!(offer.discount_percent, Some(Decimal::from(50)));
        assert_eq!(offer.valid_until, Some(at("2026-12-02T22:59:59Z")));
    }

    #[test]
    fn an_entry_promising_nothing_is_skipped() {
        assert!(read_announcement("Nos conseils pour l'hiver", "Découvrez nos looks", "EUR", None, PARIS).is_none());
    }

    #[test]
    fn atom_and_json_feed_documents_are_read() {
        let atom = br#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Promos</title>
            <id>urn:promos</id><updated>2026-11-26T08:00:00Z</updated>
            <entry><title>Code NOEL15 : -15 % sur les jouets</title><id>urn:1</id><updated>2026-11-26T08:00:00Z</updated>
            <link href="/promos/noel"/><summary type="html">&lt;p&gt;Jusqu'au 24/12/2026&lt;/p&gt;</summary></entry></feed>"#;
        let url = Url::parse("https://shop.example/atom.xml").unwrap();
        let offers = parse_feed(atom, &url, "EUR", PARIS).unwrap();
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].kind, OfferKind::PromoCode);
        assert_eq!(offers[0].promo_code.as_deref(), Some("NOEL15"));
        assert_eq!(offers[0].url.as_deref(), Some("https://shop.example/promos/noel"));
        assert_eq!(offers[0].valid_until, Some(at("2026-12-24T22:59:59Z")));

        let json_feed = br#"{"version":"https://jsonfeed.org/version/1.1","title":"Bons plans","items":[
            {"id":"1","url":"https://shop.example/p/casque","title":"Casque audio 59,90 \u20ac au lieu de 89,90 \u20ac","date_published":"2026-11-26T08:00:00Z"}]}"#;
        let offers =
            parse_feed(json_feed, &Url::parse("https://shop.example/feed.json").unwrap(), "EUR", PARIS).unwrap();
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].price, Some(Decimal::from_str("59.90").unwrap()));
        assert_eq!(offers[0].previous_price, Some(Decimal::from_str("89.90").unwrap()));
        assert_eq!(offers[0].url.as_deref(), Some("https://shop.example/p/casque"));
    }

    #[test]
    fn rss_and_atom_documents_are_read_and_junk_is_an_error() {
        let rss = br#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bons plans</title>
            <item><title>Sneakers 39,99 &#8364; au lieu de 59,99 &#8364;</title><link>https://shop.example/p/sneakers</link>
            <pubDate>Thu, 26 Nov 2026 08:00:00 GMT</pubDate></item>
            <item><title>Le mot de la semaine</title><link>https://shop.example/blog</link></item></channel></rss>"#;
        let url = Url::parse("https://shop.example/feed.xml").unwrap();
        let offers = parse_feed(rss, &url, "EUR", PARIS).unwrap();
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].url.as_deref(), Some("https://shop.example/p/sneakers"));
        assert_eq!(offers[0].previous_price, Some(Decimal::from_str("59.99").unwrap()));
        let error = parse_feed(b"{not a feed", &url, "EUR", PARIS).unwrap_err().to_string();
        assert!(error.contains("shop.example/feed.xml"), "{error}");
    }
}
