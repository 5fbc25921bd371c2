//! A loopback shop as a harvest finds it: a listing page `/list` linking (`a.product`) to product pages, and the shop
//! file describing it (start at the listing, follow the product links).

use dealcast::common::toml_problems::parse_all;
use dealcast::scrape::registry::Shop;
use dealcast::scrape::shop_spec::ShopSpec;

use super::loopback_shop::{Behaviour, LoopbackShop};

/// The listing page linking to `paths`.
pub fn listing<'a>(paths: impl IntoIterator<Item = &'a str>) -> Behaviour {
    let links: String =
        paths.into_iter().map(|path| format!(r#"<a class="product" href="{path}">{path}</a>"#)).collect();
    Behaviour::Page {
        content_type: "text/html; charset=utf-8",
        body: format!("<html><body>{links}</body></html>").into_bytes(),
    }
}

/// The text of the shop file `maison.toml` of `server` ("Maison Lumière"), crawled from its listing.
pub fn maison_file(server: &LoopbackShop) -> String {
    format!(
        "name = \"Maison Lumière\"\nhomepage = \"{}\"\n[crawl]\nstart_urls = [\"{}\"]\nproduct_links = \"a.product\"\n",
        server.url("/"),
        server.url("/list")
    )
}

/// The shop `maison` of [`maison_file`].
pub fn maison(server: &LoopbackShop) -> Shop {
    let spec: ShopSpec = parse_all(&maison_file(server)).unwrap();
    Shop { id: "maison".to_string(), file: "maison.toml".into(), spec }
}
