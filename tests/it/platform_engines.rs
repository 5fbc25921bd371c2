//! The platform engines as a shop adder runs them: `scrape --dry-run` against shops on loopback, each answering like
//! the real platform documents its answers (WooCommerce's Store API, Magento's storefront GraphQL, PrestaShop's
//! classic theme, a Next.js shop that ships its state in `__NEXT_DATA__`), and a WooCommerce shop whose Store API is
//! closed, read from its pages instead. Every product of each shop must come out with its exact price and previous
//! price.

use crate::support;
use crate::support::builders::dec;

use dealcast::scrape::fetch::address_policy::ALLOW_PRIVATE_HOSTS_ENV;
use std::collections::{BTreeMap, HashMap};
use std::process::Command;

use dealcast::scrape::engines::{magento, woocommerce};
use rust_decimal::Decimal;
use serde_json::Value;
use support::loopback_shop::{self, Behaviour, product_page};
use url::{Position, Url};

/// What one product must come out as: price, previous price, currency.
type Expected = BTreeMap<String, (Decimal, Option<Decimal>, &'static str)>;

fn page(content_type: &'static str, body: impl Into<Vec<u8>>) -> Behaviour {
    Behaviour::Page { content_type, body: body.into() }
}

/// The route a loopback shop answers for `url` (path and query, as the crawler sends them).
fn route(url: &Url) -> String {
    url[Position::BeforePath..Position::AfterQuery].to_string()
}

/// A shop file for the shop at `homepage` read by `engine`, with `crawl` lines (`start_urls = [...]`, ...) if any,
/// politeness lifted for loopback.
fn shop_file(homepage: &Url, engine: &str, crawl: &str) -> String {
    format!(
        "name = \"Loopback\"\nhomepage = \"{homepage}\"\n[engine]\nkind = \"{engine}\"\n[crawl]\n{crawl}\n\
         [politeness]\nmin_delay_ms = 0\nmax_concurrency = 8\n"
    )
}

/// Writes `shop_file` as the shop `id`, runs `dealcast scrape --dry-run --json` on it, and returns the offers printed
/// and the summary.
async fn dry_run(id: &str, shop_file: String) -> (Vec<Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(format!("{id}.toml")), shop_file).unwrap();
    let scrapers = dir.path().to_str().unwrap().to_string();
    let id = id.to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_dealcast"))
            .env_remove("DATABASE_URL")
            .env_remove("DEALCAST_SCRAPERS_DIR")
            .env(ALLOW_PRIVATE_HOSTS_ENV, support::outbound::LOOPBACK_HOSTS)
            .env("DEALCAST_CONFIG", "/dev/null")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--scrapers", &scrapers, "scrape", "--dry-run", "--json", "--shop", &id])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let summary = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{summary}");
    let offers = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    (offers, summary)
}

/// Every offer is expected, every expected product is found, each with its exact amounts and currency.
fn assert_offers(offers: &[Value], expected: &Expected, engine: &str) {
    let amount = |offer: &Value, field: &str| offer[field].as_str().map(dec);
    let mut found: Expected = BTreeMap::new();
    for offer in offers {
        let name = offer["name"].as_str().unwrap().to_string();
        assert_eq!(offer["engine"], engine, "{offer}");
        assert!(offer["url"].as_str().is_some_and(|u| u.starts_with("http://127.0.0.1:")), "{offer}");
        let currency = expected.get(&name).map_or("?", |e| e.2);
        assert_eq!(offer["currency"].as_str(), Some(currency), "{offer}");
        let duplicate =
            found.insert(name, (amount(offer, "price").unwrap(), amount(offer, "previous_price"), currency));
        assert!(duplicate.is_none(), "one offer per product: {offer}");
    }
    assert_eq!(&found, expected);
}

/// A Store API product shaped like WooCommerce's documented answer (prices in minor units, as strings).
fn woo_product(base: &Url, slug: &str, name: &str, price: u32, regular: u32, extra: &str) -> String {
    format!(
        r#"{{"id":{price},"name":"{name}","slug":"{slug}","parent":0,"type":"simple","variation":"",
        "permalink":"{base}produit/{slug}/","sku":"SKU-{slug}","short_description":"<p>Bien.</p>","description":"",
        "on_sale":{on_sale},"prices":{{"price":"{price}","regular_price":"{regular}","sale_price":"{price}",
        "price_range":null,"currency_code":"EUR","currency_symbol":"€","currency_minor_unit":2,
        "currency_decimal_separator":",","currency_thousand_separator":" ","currency_prefix":"","currency_suffix":" €"}},
        "price_html":"","average_rating":"0","review_count":0,"images":[{{"id":1,"src":"{base}wp-content/uploads/{slug}.jpg"}}],
        "categories":[{{"id":9,"name":"Maison","slug":"maison","link":"{base}categorie/maison/"}}],"tags":[],"attributes":[],
        "variations":[],"has_options":false,"is_purchasable":true,"is_in_stock":true,"is_on_backorder":false,
        "low_stock_remaining":null,"sold_individually":false{extra}}}"#,
        on_sale = regular > price,
    )
}

fn minor(units: u32) -> Decimal {
    Decimal::new(i64::from(units), 2)
}

#[tokio::test]
async fn a_woocommerce_shop_is_read_from_its_store_api_page_by_page() {
    let server = loopback_shop::start(HashMap::new()).await;
    let base = server.url("/");
    let mut expected = Expected::new();
    // A full first page (the API's maximum, 100 products) says another page may follow.
    let mut first = Vec::new();
    for i in 0..100 {
        let (price, regular) = (1000 + i * 7, if i % 3 == 0 { 1500 + i * 7 } else { 1000 + i * 7 });
        let name = format!("Bougie {i}");
        first.push(woo_product(&base, &format!("bougie-{i}"), &name, price, regular, ""));
        expected.insert(name, (minor(price), (regular > price).then(|| minor(regular)), "EUR"));
    }
    let second = [
        // A variable product: the cheapest variation's price and regular price, with its range.
        woo_product(&base, "plaid", "Plaid laine", 4990, 6990, "")
            .replace(r#""price_range":null"#, r#""price_range":{"min_amount":"4990","max_amount":"7990"}"#)
            .replace(r#""type":"simple""#, r#""type":"variable""#),
        woo_product(&base, "vase", "Vase &laquo;Lune&raquo; &amp; co", 2500, 2500, "")
            .replace(r#""is_in_stock":true"#, r#""is_in_stock":false"#),
        woo_product(&base, "brouillon", "Sans prix", 0, 0, "").replace(r#""price":"0""#, r#""price":"""#),
    ];
    expected.insert("Plaid laine".into(), (dec("49.90"), Some(dec("69.90")), "EUR"));
    expected.insert("Vase «Lune» & co".into(), (dec("25"), None, "EUR"));
    let json = |products: &[String]| format!("[{}]", products.join(","));
    server.set(&route(&woocommerce::products_page_url(&base, 1)), page("application/json", json(&first)));
    server.set(&route(&woocommerce::products_page_url(&base, 2)), page("application/json", json(&second)));

    let (offers, summary) = dry_run("bougies", shop_file(&base, "woocommerce", "")).await;
    assert_offers(&offers, &expected, "woocommerce");
    let vase = offers.iter().find(|o| o["name"] == "Vase «Lune» & co").unwrap();
    assert_eq!(vase["availability"], "out_of_stock");
    assert_eq!(vase["url"].as_str(), Some(format!("{base}produit/vase/").as_str()));
    assert!(summary.contains("Total: 2 pages, 102 offers, 0 errors"), "a short page is the last: {summary}");
}

/// How a Store API is closed: said how, the route that closes it, and how many times the crawler asks the API.
type ClosedBy = (&'static str, Option<(&'static str, Behaviour)>, usize);

#[tokio::test]
async fn a_woocommerce_shop_whose_store_api_is_closed_is_read_from_its_pages() {
    let api = "/wp-json/wc/store/v1/products?per_page=100&page=1";
    // Closed three ways: no route (404), robots.txt, a page instead of JSON. Each time the pages are read.
    let closed: [ClosedBy; 3] = [
        ("404", None, 1),
        ("robots.txt", Some(("/robots.txt", page("text/plain", "User-agent: *\nDisallow: /wp-json/\n"))), 0),
        ("an HTML page", Some((api, page("text/html", "<html><body><h1>Page introuvable</h1></body></html>"))), 1),
    ];
    for (how, route, api_requests) in closed {
        let mut routes = HashMap::new();
        routes.insert(
            "/boutique/".to_string(),
            page(
                "text/html",
                r#"<html><body class="woocommerce-shop"><ul class="products">
                <li class="product"><a href="/produit/theiere/" class="woocommerce-LoopProduct-link">Théière</a></li>
                <li class="product"><a href="/produit/tasse/" class="woocommerce-LoopProduct-link">Tasse</a></li></ul></body></html>"#,
            ),
        );
        routes.insert(
            "/produit/theiere/".to_string(),
            page("text/html", product_page("Théière fonte", "39.90", Some("49.90"))),
        );
        routes.insert("/produit/tasse/".to_string(), page("text/html", product_page("Tasse grès", "12.00", None)));
        if let Some((path, behaviour)) = route {
            routes.insert(path.to_string(), behaviour);
        }
        let server = loopback_shop::start(routes).await;
        let crawl = format!(
            "start_urls = [\"{}\"]\nproduct_links = \"a.woocommerce-LoopProduct-link\"",
            server.url("/boutique/")
        );
        let (offers, summary) = dry_run("the", shop_file(&server.url("/"), "woocommerce", &crawl)).await;
        let expected = Expected::from([
            ("Théière fonte".to_string(), (dec("39.90"), Some(dec("49.90")), "EUR")),
            ("Tasse grès".to_string(), (dec("12"), None, "EUR")),
        ]);
        assert_offers(&offers, &expected, "json_ld");
        let asked = server.requested().iter().filter(|p| p.starts_with("/wp-json/")).count();
        assert_eq!(asked, api_requests, "API closed by {how}");
        assert!(summary.contains("3 pages, 2 offers, 0 errors"), "API closed by {how}: {summary}");
    }
}

/// A Magento product shaped like the storefront schema's `products` items.
fn magento_item(name: &str, key: &str, regular: &str, final_price: &str, stock: &str) -> String {
    format!(
        r#"{{"__typename":"SimpleProduct","name":"{name}","sku":"{key}-sku","url_key":"{key}","url_suffix":".html",
        "canonical_url":null,"stock_status":"{stock}","small_image":{{"url":"https://cdn.example/{key}.jpg"}},
        "categories":[{{"name":"Sport"}}],"price_range":{{"minimum_price":{{"regular_price":{{"value":{regular},"currency":"EUR"}},
        "final_price":{{"value":{final_price},"currency":"EUR"}},"discount":{{"amount_off":0,"percent_off":0}}}}}}}}"#
    )
}

fn magento_page(items: &[String], page: u32) -> String {
    format!(
        r#"{{"data":{{"products":{{"total_count":4,"page_info":{{"current_page":{page},"page_size":100,"total_pages":2}},"items":[{}]}}}}}}"#,
        items.join(",")
    )
}

#[tokio::test]
async fn a_magento_shop_is_read_from_its_storefront_graphql_page_by_page() {
    let server = loopback_shop::start(HashMap::new()).await;
    let store = server.url("/");
    let first = [
        magento_item("Veste Oslo", "veste-oslo", "120", "84", "IN_STOCK"),
        magento_item("Gourde 1 L", "gourde", "19.9", "19.9", "IN_STOCK"),
    ];
    let second = [
        magento_item("Sac étanche", "sac-etanche", "45.5", "36.4", "OUT_OF_STOCK"),
        magento_item("Bonnet", "bonnet", "15", "15", "IN_STOCK"),
    ];
    server.set(&route(&magento::products_page_url(&store, 1)), page("application/json", magento_page(&first, 1)));
    server.set(&route(&magento::products_page_url(&store, 2)), page("application/json", magento_page(&second, 2)));
    let (offers, summary) = dry_run("plein_air", shop_file(&store, "magento", "")).await;
    let expected = Expected::from([
        ("Veste Oslo".to_string(), (dec("84"), Some(dec("120")), "EUR")),
        ("Gourde 1 L".to_string(), (dec("19.9"), None, "EUR")),
        ("Sac étanche".to_string(), (dec("36.4"), Some(dec("45.5")), "EUR")),
        ("Bonnet".to_string(), (dec("15"), None, "EUR")),
    ]);
    assert_offers(&offers, &expected, "magento");
    let veste = offers.iter().find(|o| o["name"] == "Veste Oslo").unwrap();
    assert_eq!(veste["url"].as_str(), Some(format!("{store}veste-oslo.html").as_str()));
    assert!(summary.contains("Total: 2 pages, 4 offers, 0 errors"), "total_pages ends the crawl: {summary}");
}

#[tokio::test]
async fn a_magento_shop_whose_graphql_refuses_the_query_is_read_from_its_pages() {
    let server = loopback_shop::start(HashMap::new()).await;
    let refused = r#"{"errors":[{"message":"The current user cannot perform operations on products","extensions":{"category":"graphql-authorization"}}]}"#;
    server.set(&route(&magento::products_page_url(&server.url("/"), 1)), page("application/json", refused));
    server.set("/velo.html", page("text/html", product_page("Vélo ville", "499.00", Some("649.00"))));
    let crawl = format!("start_urls = [\"{}\"]", server.url("/velo.html"));
    let (offers, _) = dry_run("cycles", shop_file(&server.url("/"), "magento", &crawl)).await;
    let expected = Expected::from([("Vélo ville".to_string(), (dec("499"), Some(dec("649")), "EUR"))]);
    assert_offers(&offers, &expected, "json_ld");
}

/// A PrestaShop product page shaped like the classic theme's: the presented product in `data-product`, the shop's
/// currency in the `prestashop` global, no structured data.
fn prestashop_product(name: &str, url: &Url, price: &str, regular: &str, quantity: u32) -> String {
    let has_discount = dec(regular) > dec(price);
    let json = format!(
        r#"{{"id_product":"3","id_product_attribute":"13","name":"{name}","reference":"demo_{quantity}","ean13":"3601234567893",
        "quantity":{quantity},"allow_oosp":0,"has_discount":{has_discount},"discount_type":"percentage","price_amount":{price},
        "price":"{price} €","regular_price_amount":{regular},"regular_price":"{regular} €","url":"{url}#/1-taille-s",
        "cover":{{"large":{{"url":"{url}-large.jpg"}}}},"category_name":"Accueil"}}"#
    );
    let attribute = json.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        r#"<!doctype html><html lang="fr"><head><script type="text/javascript">var prestashop = {{"currency":{{"iso_code":"EUR","sign":"€"}},"page":{{"page_name":"product"}}}};</script></head>
        <body id="product" class="lang-fr page-product"><h1 class="h1">{name}</h1>
        <div class="product-prices"><span class="current-price-value" content="{price}">{price} €</span></div>
        <div class="js-product-details tab-pane fade" id="product-details" data-product="{attribute}" role="tabpanel"></div>
        <section class="product-accessories"><article class="product-miniature js-product-miniature" data-id-product="99">
          <h3 class="h3 product-title"><a href="/99-accessoire.html">Accessoire</a></h3><span class="price">5,00 €</span></article></section>
        </body></html>"#
    )
}

fn prestashop_listing(cards: &[(&str, &str)], next: Option<&str>) -> String {
    let cards: String = cards
        .iter()
        .map(|(href, name)| {
            format!(
                r#"<div class="js-product product"><article class="product-miniature js-product-miniature" data-id-product="1">
                <div class="product-description"><h2 class="h3 product-title"><a href="{href}" content="{href}">{name}</a></h2>
                <div class="product-price-and-shipping"><span class="price">1,00 €</span></div></div></article></div>"#
            )
        })
        .collect();
    let next = next.map(|href| {
        format!(r#"<nav class="pagination"><a rel="next" href="{href}" class="next js-search-link">Suivant</a></nav>"#)
    });
    format!(
        r#"<html><body id="category" class="page-category"><div id="js-product-list"><div class="products row">{cards}</div>{}</div></body></html>"#,
        next.unwrap_or_default()
    )
}

#[tokio::test]
async fn a_prestashop_shop_is_read_from_its_listings_and_product_pages() {
    let server = loopback_shop::start(HashMap::new()).await;
    let products = [
        ("/hommes/1-1-t-shirt-colibri.html", "T-shirt imprimé colibri", "19.12", "23.90", 300),
        ("/hommes/2-9-pull-imprime-ours-brun.html", "Pull imprimé ours brun", "35.90", "35.90", 0),
        ("/accessoires/6-mug-the-best-is-yet-to-come.html", "Mug The best is yet to come", "11.90", "14.90", 12),
    ];
    for (path, name, price, regular, quantity) in products {
        server.set(path, page("text/html", prestashop_product(name, &server.url(path), price, regular, quantity)));
    }
    // A product page whose theme leaves the product JSON out: its structured data is read.
    server
        .set("/accessoires/8-carnet.html", page("text/html", product_page("Carnet de notes", "12.90", Some("15.90"))));
    server.set(
        "/2-accueil",
        page(
            "text/html",
            prestashop_listing(
                &[(products[0].0, "T-shirt imprimé..."), (products[1].0, "Pull imprimé...")],
                Some("/2-accueil?page=2"),
            ),
        ),
    );
    server.set(
        "/2-accueil?page=2",
        page(
            "text/html",
            prestashop_listing(
                &[(products[2].0, "Mug The best is..."), ("/accessoires/8-carnet.html", "Carnet de notes")],
                None,
            ),
        ),
    );
    let crawl = format!(
        "start_urls = [\"{}\"]\nproduct_links = \"article.product-miniature .product-title a\"\npagination = \".pagination a[rel=next]\"",
        server.url("/2-accueil")
    );
    let (offers, summary) = dry_run("demo_prestashop", shop_file(&server.url("/"), "prestashop", &crawl)).await;
    let from_json: Vec<&Value> = offers.iter().filter(|o| o["engine"] == "prestashop").collect();
    assert_eq!(from_json.len(), 3, "{offers:#?}");
    let carnet: Vec<Value> = offers.iter().filter(|o| o["engine"] != "prestashop").cloned().collect();
    assert_offers(
        &carnet,
        &Expected::from([("Carnet de notes".to_string(), (dec("12.90"), Some(dec("15.90")), "EUR"))]),
        "json_ld",
    );
    let from_json: Vec<Value> = from_json.into_iter().cloned().collect();
    let expected = Expected::from([
        ("T-shirt imprimé colibri".to_string(), (dec("19.12"), Some(dec("23.90")), "EUR")),
        ("Pull imprimé ours brun".to_string(), (dec("35.90"), None, "EUR")),
        ("Mug The best is yet to come".to_string(), (dec("11.90"), Some(dec("14.90")), "EUR")),
    ]);
    assert_offers(&from_json, &expected, "prestashop");
    let pull = from_json.iter().find(|o| o["name"] == "Pull imprimé ours brun").unwrap();
    assert_eq!(pull["availability"], "out_of_stock");
    assert_eq!(pull["url"].as_str(), Some(server.url(products[1].0).as_str()), "the combination's fragment dropped");
    assert!(!server.requested().contains(&"/99-accessoire.html".to_string()), "accessories are not followed");
    assert!(summary.contains("6 pages, 4 offers, 0 errors"), "{summary}");
}

/// A Next.js product page: no structured data, the product and recommendations in `__NEXT_DATA__`.
fn next_product(slug: &str, name: &str, price: &str, compare_at: Option<&str>) -> String {
    let compare_at = compare_at.map_or("null".to_string(), |c| format!(r#"{{"amount":"{c}","currencyCode":"EUR"}}"#));
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name} – Sonique</title></head><body>
        <div id="__next"><main><h1>{name}</h1><p class="text-lg">{price} €</p><button>Ajouter au panier</button>
        <section><h2>Vous aimerez aussi</h2><a href="/p/cable"><span>Câble</span><span>4 €</span></a></section></main></div>
        <script id="__NEXT_DATA__" type="application/json">{{"props":{{"pageProps":{{
          "product":{{"id":"gid://shop/Product/{slug}","title":"{name}","handle":"{slug}","vendor":"Sonique",
            "featuredImage":{{"url":"https://cdn.sonique.example/{slug}.jpg"}},
            "variants":[{{"id":"v1","title":"Noir","sku":"{slug}-noir","availableForSale":true,
              "price":{{"amount":"{price}","currencyCode":"EUR"}},"compareAtPrice":{compare_at}}}]}},
          "recommendations":[{{"title":"Câble","handle":"cable","variants":[{{"price":{{"amount":"4.00","currencyCode":"EUR"}},
              "compareAtPrice":{{"amount":"9.00","currencyCode":"EUR"}}}}]}},
            {{"title":"Housse","handle":"housse","variants":[{{"price":{{"amount":"19.00","currencyCode":"EUR"}}}}]}}]}},
          "__N_SSP":true}},"page":"/p/[handle]","query":{{"handle":"{slug}"}},"buildId":"b1","isFallback":false,"gssp":true}}</script>
        </body></html>"#
    )
}

#[tokio::test]
async fn a_next_js_shop_is_read_from_the_state_it_ships_in_its_pages() {
    let server = loopback_shop::start(HashMap::new()).await;
    let products = [
        ("casque-nova", "Casque Nova", "149.99", Some("199.99")),
        ("enceinte-orbit", "Enceinte Orbit", "79.00", None),
        ("platine-vinyle", "Platine vinyle Solstice", "329.50", Some("389.00")),
    ];
    let mut cards = String::new();
    for (slug, name, price, compare_at) in products {
        server.set(&format!("/p/{slug}"), page("text/html", next_product(slug, name, price, compare_at)));
        cards.push_str(&format!(r#"<a class="product-card" href="/p/{slug}"><h3>{name}</h3></a>"#));
    }
    server.set(
        "/collections/soldes",
        page("text/html", format!("<html><body><div id=\"__next\">{cards}</div></body></html>")),
    );
    let crawl = format!("start_urls = [\"{}\"]\nproduct_links = \"a.product-card\"", server.url("/collections/soldes"));
    let (offers, summary) = dry_run("sonique", shop_file(&server.url("/"), "auto", &crawl)).await;
    let expected = Expected::from(
        products.map(|(_, name, price, compare_at)| (name.to_string(), (dec(price), compare_at.map(dec), "EUR"))),
    );
    assert_offers(&offers, &expected, "embedded_json");
    let nova = offers.iter().find(|o| o["name"] == "Casque Nova").unwrap();
    assert_eq!(nova["sku"], "casque-nova-noir");
    assert_eq!(nova["brand"], "Sonique");
    assert_eq!(nova["image"], "https://cdn.sonique.example/casque-nova.jpg");
    assert!(summary.contains("4 pages, 3 offers, 0 errors"), "{summary}");
}

#[test]
fn shop_check_replays_saved_platform_answers_and_extract_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let base = Url::parse("https://boutique.example/").unwrap();
    let saved: [(&str, &str, &str, String, String); 3] = [
        (
            "bougies",
            "woocommerce",
            "products-page-1.json",
            format!("[{}]", woo_product(&base, "bougie", "Bougie &amp; m&egrave;che", 1290, 1590, "")),
            woocommerce::products_page_url(&base, 1).to_string(),
        ),
        (
            "plein_air",
            "magento",
            "products-page-1.json",
            magento_page(&[magento_item("Veste Oslo", "veste-oslo", "120", "84", "IN_STOCK")], 1),
            magento::products_page_url(&base, 1).to_string(),
        ),
        (
            "demo_prestashop",
            "prestashop",
            "t-shirt.html",
            prestashop_product("T-shirt colibri", &base.join("1-t-shirt.html").unwrap(), "19.12", "23.90", 3),
            base.join("1-t-shirt.html").unwrap().to_string(),
        ),
    ];
    let expected_names = ["Bougie & mèche", "Veste Oslo", "T-shirt colibri"];
    let expected_prices = [("12.90", "15.90"), ("84", "120"), ("19.12", "23.90")];
    for (((id, engine, file, body, url), name), (price, previous)) in
        saved.iter().zip(expected_names).zip(expected_prices)
    {
        std::fs::write(dir.path().join(format!("{id}.toml")), shop_file(&base, engine, "")).unwrap();
        let fixtures = dir.path().join("fixtures").join(id);
        std::fs::create_dir_all(&fixtures).unwrap();
        std::fs::write(fixtures.join(file), body).unwrap();
        let case = file.rsplit_once('.').unwrap().0;
        let expectation =
            serde_json::json!({"url": url, "offers": [{"name": name, "price": price, "previous_price": previous}]});
        std::fs::write(fixtures.join(format!("{case}.expected.json")), expectation.to_string()).unwrap();
    }
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dealcast"))
            .env_remove("DATABASE_URL")
            .env_remove("DEALCAST_SCRAPERS_DIR")
            .env(ALLOW_PRIVATE_HOSTS_ENV, support::outbound::LOOPBACK_HOSTS)
            .env("DEALCAST_CONFIG", "/dev/null")
            .args(["--scrapers", dir.path().to_str().unwrap()])
            .args(args)
            .output()
            .unwrap()
    };
    let check = run(&["shop", "check"]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}{}", String::from_utf8_lossy(&check.stderr));
    assert!(report.contains("3 fixtures checked, 0 failed"), "{report}");

    let saved_answer = dir.path().join("fixtures/plein_air/products-page-1.json");
    let extract = run(&["extract", saved_answer.to_str().unwrap(), "--engine", "magento", "--url", &saved[1].4]);
    assert!(extract.status.success(), "{}", String::from_utf8_lossy(&extract.stderr));
    let offer: Value = serde_json::from_str(String::from_utf8_lossy(&extract.stdout).lines().next().unwrap()).unwrap();
    assert_eq!((offer["price"].as_str(), offer["previous_price"].as_str()), (Some("84"), Some("120")));
    assert_eq!(offer["url"], "https://boutique.example/veste-oslo.html");
}

#[tokio::test]
async fn an_api_page_that_fails_after_the_first_is_counted_and_the_offers_before_it_kept() {
    let server = loopback_shop::start(HashMap::new()).await;
    let store = server.url("/");
    let first = [magento_item("Veste Oslo", "veste-oslo", "120", "84", "IN_STOCK")];
    server.set(&route(&magento::products_page_url(&store, 1)), page("application/json", magento_page(&first, 1)));
    let refused = r#"{"errors":[{"message":"Internal server error","extensions":{"category":"internal"}}]}"#;
    server.set(&route(&magento::products_page_url(&store, 2)), page("application/json", refused));
    let (offers, summary) = dry_run("plein_air", shop_file(&store, "magento", "")).await;
    let expected = Expected::from([("Veste Oslo".to_string(), (dec("84"), Some(dec("120")), "EUR"))]);
    assert_offers(&offers, &expected, "magento");
    assert!(summary.contains("Total: 2 pages, 1 offers, 1 errors"), "{summary}");
    assert!(summary.contains("magento_graphql 1"), "{summary}");
    assert!(!server.requested().iter().any(|path| path == "/"), "no fallback to the pages after the first: {summary}");
}

#[tokio::test]
async fn a_shop_whose_home_is_a_folder_finds_its_api_at_the_site_root() {
    let server = loopback_shop::start(HashMap::new()).await;
    let root = server.url("/");
    let product = woo_product(&root, "tapis", "Tapis jute", 8900, 12900, "");
    server.set(&route(&woocommerce::products_page_url(&root, 1)), page("application/json", format!("[{product}]")));
    let (offers, summary) = dry_run("tapis", shop_file(&server.url("/boutique/"), "woocommerce", "")).await;
    let expected = Expected::from([("Tapis jute".to_string(), (dec("89"), Some(dec("129")), "EUR"))]);
    assert_offers(&offers, &expected, "woocommerce");
    let asked: Vec<String> = server.requested().into_iter().filter(|p| p.contains("wp-json")).collect();
    assert_eq!(asked.len(), 2, "the home's folder, then the root: {asked:?}");
    assert!(asked[0].starts_with("/boutique/wp-json/") && asked[1].starts_with("/wp-json/"), "{asked:?}");
    assert!(summary.contains("Total: 1 pages, 1 offers, 0 errors"), "{summary}");
}
