//! The `selectors` engine: CSS selectors from the shop file, for shops whose pages carry no usable structured data.
//!
//! A listing page (with `item`) gives one offer per matching card; a product page (without `item`) gives one offer.
//! Selectors are read only inside `scope` and never inside `exclude`, so "you may also like" blocks, which carry
//! the same price classes as the main product, are not read as the main product.

use std::collections::HashSet;

use chrono::Utc;
use ego_tree::NodeId;
use scraper::{ElementRef, Html};
use url::Url;

use crate::scrape::offer::{OfferKind, RawOffer};
use crate::scrape::price::parse_price;
use crate::scrape::promo_text;
use crate::scrape::shop_spec::{CssSelector, SelectorsSpec};

/// The offers a page gives under these selectors. `currency` applies to prices that do not say theirs, `zone` (the
/// shop's) to end dates written without one.
pub fn extract(html: &str, page_url: &Url, spec: &SelectorsSpec, currency: &str, zone: chrono_tz::Tz) -> Vec<RawOffer> {
    let document = Html::parse_document(html);
    let excluded: HashSet<NodeId> =
        spec.exclude.iter().flat_map(|css| document.select(&css.selector)).map(|e| e.id()).collect();
    let roots: Vec<ElementRef<'_>> = match &spec.scope {
        Some(scope) => document.select(&scope.selector).collect(),
        None => vec![document.root_element()],
    };
    let reader = Reader { excluded, page_url, spec, currency, zone };
    match &spec.item {
        Some(item) => roots
            .iter()
            .flat_map(|root| root.select(&item.selector))
            .filter(|card| !reader.is_excluded(*card))
            .filter_map(|card| reader.offer(&[card]))
            .collect(),
        None => reader.offer(&roots).into_iter().collect(),
    }
}

struct Reader<'a> {
    excluded: HashSet<NodeId>,
    page_url: &'a Url,
    spec: &'a SelectorsSpec,
    currency: &'a str,
    zone: chrono_tz::Tz,
}

impl Reader<'_> {
    fn is_excluded(&self, element: ElementRef<'_>) -> bool {
        self.excluded.contains(&element.id())
            || element.ancestors().any(|ancestor| self.excluded.contains(&ancestor.id()))
    }

    /// The first element matching `css` inside `roots` that is not in an excluded block.
    fn first<'d>(&self, roots: &[ElementRef<'d>], css: &CssSelector) -> Option<ElementRef<'d>> {
        roots.iter().flat_map(|root| root.select(&css.selector)).find(|e| !self.is_excluded(*e))
    }

    fn text(&self, roots: &[ElementRef<'_>], css: Option<&CssSelector>) -> Option<String> {
        let element = self.first(roots, css?)?;
        let text = element.value().attr("content").map(str::to_string).unwrap_or_else(|| element.text().collect());
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        (!text.is_empty()).then_some(text)
    }

    fn url_attr(&self, roots: &[ElementRef<'_>], css: Option<&CssSelector>, attrs: &[&str]) -> Option<String> {
        let element = self.first(roots, css?)?;
        // Lazy-loading pages put a `data:` placeholder in `src` and the real image in `data-src` or `srcset`.
        let value = attrs
            .iter()
            .filter_map(|name| element.value().attr(name))
            .map(str::trim)
            .find(|value| !value.is_empty() && !value.starts_with("data:"))?;
        // srcset: the first candidate.
        let value = value.split(',').next()?.split_whitespace().next()?;
        self.page_url.join(value).ok().map(String::from)
    }

    fn offer(&self, roots: &[ElementRef<'_>]) -> Option<RawOffer> {
        let name = self.text(roots, Some(&self.spec.title))?;
        let price = self.text(roots, self.spec.price.as_ref()).map(|t| parse_price(&t, None, None));
        let previous = self.text(roots, self.spec.previous_price.as_ref()).map(|t| parse_price(&t, None, None));
        let promo_code = self.text(roots, self.spec.promo_code.as_ref());
        let ends = self.spec.ends.as_ref().and_then(|css| self.first(roots, css)).and_then(|element| {
            let text = element.value().attr("datetime").map(str::to_string).unwrap_or_else(|| element.text().collect());
            chrono::DateTime::parse_from_rfc3339(text.trim())
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| promo_text::end_date(&text, Utc::now(), false, self.zone))
        });
        let amount = price.as_ref().and_then(|p| p.amount);
        let previous_amount = previous.as_ref().and_then(|p| p.amount).filter(|prev| amount.is_some_and(|a| *prev > a));
        let currency = price.as_ref().and_then(|p| p.currency.clone()).unwrap_or_else(|| self.currency.to_string());
        let url = self.url_attr(roots, self.spec.link.as_ref(), &["href"]).unwrap_or_else(|| self.page_url.to_string());
        let kind = match (amount, &promo_code) {
            (Some(_), _) => OfferKind::Product,
            (None, Some(_)) => OfferKind::PromoCode,
            (None, None) => OfferKind::Sale,
        };
        let discount_percent = promo_text::discount_percent(&name);
        if kind == OfferKind::Sale && discount_percent.is_none() && ends.is_none() {
            // A card without a price, a code or an announced reduction is not an offer (an ad, a category tile).
            return None;
        }
        Some(RawOffer {
            kind,
            promo_text: (kind != OfferKind::Product).then(|| name.clone()),
            name,
            url: Some(url),
            price: amount,
            previous_price: previous_amount,
            currency: amount.map(|_| currency),
            image: self.url_attr(roots, self.spec.image.as_ref(), &["src", "data-src", "srcset", "content"]),
            promo_code,
            discount_percent,
            valid_until: ends,
            engine: "selectors".to_string(),
            ..RawOffer::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::toml_problems::parse_all;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn spec(toml: &str) -> SelectorsSpec {
        parse_all(toml).unwrap()
    }

    const LISTING: &str = r#"<html><body><main>
      <ul class="grid">
        <li class="card"><a class="card__link" href="/p/robe-1"><img src="/img/robe-1.jpg" alt=""><h2>Robe midi</h2></a>
          <span class="price">29,99&nbsp;€</span><s class="was">49,99 €</s></li>
        <li class="card"><a class="card__link" href="/p/jean-2"><h2>Jean droit</h2></a><span class="price">35 €</span></li>
        <li class="card"><h2>Nouveautés</h2></li>
      </ul>
      <section class="reco"><li class="card"><a class="card__link" href="/p/reco"><h2>Pull</h2></a><span class="price">9 €</span></li></section>
    </main></body></html>"#;

    #[test]
    fn a_listing_gives_one_offer_per_card_and_skips_recommendations() {
        let spec = spec(
            "item = \".card\"\ntitle = \"h2\"\nprice = \".price\"\nprevious_price = \".was\"\nlink = \"a.card__link\"\n\
             image = \"img\"\nexclude = [\".reco\"]\n",
        );
        let page = Url::parse("https://shop.example/promos?page=1").unwrap();
        let offers = extract(LISTING, &page, &spec, "EUR", chrono_tz::Europe::Paris);
        let names: Vec<&str> = offers.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["Robe midi", "Jean droit"]);
        assert_eq!(offers[0].price, Some(Decimal::from_str("29.99").unwrap()));
        assert_eq!(offers[0].previous_price, Some(Decimal::from_str("49.99").unwrap()));
        assert_eq!(offers[0].url.as_deref(), Some("https://shop.example/p/robe-1"));
        assert_eq!(offers[0].image.as_deref(), Some("https://shop.example/img/robe-1.jpg"));
        assert_eq!(offers[1].previous_price, None);
        assert_eq!(offers[1].currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn a_product_page_reads_the_main_product_inside_its_scope() {
        let html = r#"<html><body><div class="product"><h1>Manteau long</h1><p class="price">1 299,00 €</p>
            <p class="price-old">1 599,00 €</p></div>
            <aside class="related"><h1>Écharpe</h1><p class="price">19 €</p></aside>
            <div class="banner"><span class="code">NOEL10</span><time datetime="2026-12-24T23:00:00Z">24/12</time></div></body></html>"#;
        let spec = spec(
            "scope = \".product, .banner\"\ntitle = \"h1\"\nprice = \".price\"\nprevious_price = \".price-old\"\n\
             promo_code = \".code\"\nends = \"time\"\n",
        );
        let offers = extract(
            html,
            &Url::parse("https://shop.example/p/manteau").unwrap(),
            &spec,
            "EUR",
            chrono_tz::Europe::Paris,
        );
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].name, "Manteau long");
        assert_eq!(offers[0].price, Some(Decimal::from_str("1299.00").unwrap()));
        assert_eq!(offers[0].previous_price, Some(Decimal::from_str("1599").unwrap()));
        assert_eq!(offers[0].promo_code.as_deref(), Some("NOEL10"));
        assert_eq!(offers[0].valid_until.unwrap().to_rfc3339(), "2026-12-24T23:00:00+00:00");
        assert_eq!(offers[0].url.as_deref(), Some("https://shop.example/p/manteau"));
    }
}
