//! The demo shop's products and the story their prices tell: an honest reduction, an honest one deepening step by
//! step, a fake "was" price (raised, then "reduced" back to where it was), a promotion that was running before
//! dealcast first looked (unverifiable), a product never reduced, and reductions that appear while the demo runs.
//!
//! Prices are given per *epoch*: epochs 0, 1 and 2 are the shop's past (60, 20 and 2 days ago, replayed at start),
//! later epochs are the live demo, which alternates between two states so that prices keep moving.

use rust_decimal::Decimal;
use serde_json::json;

use crate::common::money_format;

/// One product of the demo shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoProduct {
    pub slug: &'static str,
    pub name: &'static str,
    pub brand: &'static str,
    pub category: &'static str,
    pub gtin13: &'static str,
    /// (price, claimed previous price) in cents, for epochs 0, 1, 2, then live epochs odd and even.
    prices: [(i64, Option<i64>); 5],
    /// The colour of its picture.
    colour: &'static str,
}

/// The demo shop's catalogue.
pub const PRODUCTS: [DemoProduct; 8] = [
    DemoProduct {
        slug: "doudoune-legere-a-capuche",
        name: "Doudoune légère à capuche",
        brand: "Nordline",
        category: "Mode",
        gtin13: "3612345678904",
        prices: [(5999, None), (5999, None), (3999, Some(5999)), (3499, Some(5999)), (3999, Some(5999))],
        colour: "#2b6cb0",
    },
    DemoProduct {
        slug: "jean-slim-stretch",
        name: "Jean slim stretch",
        brand: "Denim & Co",
        category: "Mode",
        gtin13: "3612345678911",
        prices: [(2999, None); 5],
        colour: "#2c5282",
    },
    DemoProduct {
        slug: "baskets-en-toile",
        name: "Baskets en toile",
        brand: "Pas de Côté",
        category: "Chaussures",
        gtin13: "3612345678928",
        prices: [(3499, None), (3499, None), (2499, Some(3499)), (2499, Some(3499)), (2499, Some(3499))],
        colour: "#c53030",
    },
    DemoProduct {
        slug: "casque-audio-sans-fil",
        name: "Casque audio sans fil à réduction de bruit",
        brand: "Sonora",
        category: "High-tech",
        gtin13: "3612345678935",
        // Raised to 99 three weeks ago, then "reduced" back to 79 "instead of 99": the EU rule sees through it.
        prices: [(7900, None), (9900, None), (7900, Some(9900)), (7900, Some(9900)), (7900, Some(9900))],
        colour: "#1a202c",
    },
    DemoProduct {
        slug: "palette-fards-a-paupieres",
        name: "Palette fards à paupières 12 teintes",
        brand: "Éclat",
        category: "Beauté",
        gtin13: "3612345678942",
        // Shown "reduced" since before dealcast first looked: nothing to check the claim against.
        prices: [(3990, Some(4990)); 5],
        colour: "#b83280",
    },
    DemoProduct {
        slug: "sac-a-dos-20-litres",
        name: "Sac à dos 20 L",
        brand: "Randogear",
        category: "Sport",
        gtin13: "3612345678959",
        prices: [(2499, None), (2499, None), (1999, Some(2499)), (1799, Some(2499)), (1999, Some(2499))],
        colour: "#2f855a",
    },
    DemoProduct {
        slug: "coffret-the-bio",
        name: "Coffret thé bio 6 saveurs",
        brand: "Maison Théière",
        category: "Épicerie",
        gtin13: "3612345678966",
        // Reduced only while the demo runs.
        prices: [(1950, None), (1950, None), (1950, None), (1463, Some(1950)), (1950, None)],
        colour: "#975a16",
    },
    DemoProduct {
        slug: "lampe-de-bureau-led",
        name: "Lampe de bureau LED orientable",
        brand: "Lumen",
        category: "Maison",
        gtin13: "3612345678973",
        prices: [(4500, None), (3150, Some(4500)), (3150, Some(4500)), (3150, Some(4500)), (3150, Some(4500))],
        colour: "#d69e2e",
    },
];

/// How many days before the demo each past epoch lies.
pub const PAST_EPOCH_DAYS_AGO: [i64; 3] = [60, 20, 2];

fn cents(value: i64) -> Decimal {
    Decimal::new(value, 2)
}

impl DemoProduct {
    /// The price and claimed previous price at `epoch`.
    pub fn price_at(&self, epoch: u32) -> (Decimal, Option<Decimal>) {
        let index = match epoch {
            0..=2 => epoch as usize,
            live if live % 2 == 1 => 3,
            _ => 4,
        };
        let (price, previous) = self.prices[index];
        (cents(price), previous.map(cents))
    }

    /// The product page at `epoch`, its links under `base` (the shop's root URL, ending with `/`).
    pub fn page(&self, base: &str, epoch: u32) -> String {
        let (price, previous) = self.price_at(epoch);
        let url = format!("{base}p/{}", self.slug);
        let image = format!("{base}img/{}.svg", self.slug);
        let mut specification = vec![json!({ "@type": "UnitPriceSpecification", "price": price.to_string(),
                                              "priceCurrency": "EUR" })];
        if let Some(previous) = previous {
            specification.insert(
                0,
                json!({ "@type": "UnitPriceSpecification", "priceType": "https://schema.org/StrikethroughPrice",
                        "price": previous.to_string(), "priceCurrency": "EUR" }),
            );
        }
        let json_ld = json!({
            "@context": "https://schema.org",
            "@type": "Product",
            "name": self.name,
            "brand": { "@type": "Brand", "name": self.brand },
            "category": self.category,
            "gtin13": self.gtin13,
            "sku": self.slug,
            "image": image,
            "url": url,
            "offers": {
                "@type": "Offer",
                "url": url,
                "price": price.to_string(),
                "priceCurrency": "EUR",
                "availability": "https://schema.org/InStock",
                "priceSpecification": specification,
            },
        });
        // `</` would end the script element early; JSON allows `<\/`.
        let json_ld = json_ld.to_string().replace("</", "<\\/");
        let escape = |text: &str| html_escape::encode_text(text).into_owned();
        let was_html = previous
            .map(|previous| format!(" <s class=\"bd-price--old\">{}</s>", money_format::french(previous, Some("EUR"))))
            .unwrap_or_default();
        include_str!("pages/product.html")
            .replace("{json_ld}", &json_ld)
            .replace("{name}", &escape(self.name))
            .replace("{brand}", &escape(self.brand))
            .replace("{category}", &escape(self.category))
            .replace("{url}", &escape(&url))
            .replace("{image}", &escape(&image))
            .replace("{price_text}", &money_format::french(price, Some("EUR")))
            .replace("{was_html}", &was_html)
    }

    /// The product's picture: a flat SVG with its name, so the demo needs no image files.
    pub fn picture(&self) -> String {
        let name = html_escape::encode_text(self.name);
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"320\" viewBox=\"0 0 320 320\">\
             <rect width=\"320\" height=\"320\" fill=\"{}\"/><text x=\"160\" y=\"170\" font-family=\"sans-serif\" \
             font-size=\"16\" fill=\"#fff\" text-anchor=\"middle\">{name}</text></svg>",
            self.colour
        )
    }
}

/// The promotions listing: a tile per product, linking to its page.
pub fn listing(base: &str, epoch: u32) -> String {
    let tiles: Vec<String> = PRODUCTS
        .iter()
        .map(|product| {
            let (price, _) = product.price_at(epoch);
            format!(
                "    <li class=\"bd-tile\"><a class=\"product-link\" href=\"{base}p/{}\">{}</a> <span>{}</span></li>",
                product.slug,
                html_escape::encode_text(product.name),
                money_format::french(price, Some("EUR"))
            )
        })
        .collect();
    include_str!("pages/listing.html").replace("{tiles}", &tiles.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::engines::json_ld;

    #[test]
    fn the_fake_was_price_appears_only_after_the_price_was_raised() {
        let casque = PRODUCTS.iter().find(|p| p.slug.starts_with("casque")).unwrap();
        assert_eq!(casque.price_at(0), (cents(7900), None));
        assert_eq!(casque.price_at(1), (cents(9900), None));
        assert_eq!(casque.price_at(2), (cents(7900), Some(cents(9900))));
    }

    #[test]
    fn live_epochs_keep_prices_moving() {
        let sac = PRODUCTS.iter().find(|p| p.slug.starts_with("sac")).unwrap();
        assert_ne!(sac.price_at(3), sac.price_at(4));
        assert_eq!(sac.price_at(5), sac.price_at(3));
    }

    #[test]
    fn a_product_page_is_read_back_with_its_prices_by_the_json_ld_engine() {
        let page = PRODUCTS[0].page("http://127.0.0.1:9/", 2);
        let offers = json_ld::extract(&page, &url::Url::parse("http://127.0.0.1:9/p/x").unwrap());
        assert!(!offers.is_empty(), "{page}");
        assert_eq!(offers[0].price, Some(cents(3999)));
        assert_eq!(offers[0].previous_price, Some(cents(5999)));
    }
}
