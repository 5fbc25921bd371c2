//! `dealcast shop new URL` as a shop adder runs it, against loopback shops built like the real platforms answer
//! (Shopify's products.json, WooCommerce's Store API, PrestaShop's product pages, Magento's GraphQL, a Next.js
//! storefront, a JSON-LD shop with a gzip sitemap index, a shop without structured data): each must give a shop file
//! that passes `shop check` at once and whose `scrape --dry-run` finds every product of the site, with exact prices
//! and previous prices. The probe obeys robots.txt like a crawl.

use crate::support;

use dealcast::scrape::fetch::address_policy::ALLOW_PRIVATE_HOSTS_ENV;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use dealcast::scrape::engines::{magento, shopify, woocommerce};
use support::loopback_shop::{self, Behaviour, LoopbackShop};

/// One product of a test shop: slug, name, price, previous price (as the shop would write them in its API, in
/// dot-decimal form).
struct Product {
    slug: &'static str,
    name: &'static str,
    price: &'static str,
    previous: Option<&'static str>,
}

const CATALOGUE: &[Product] = &[
    Product { slug: "robe-midi-fleurie", name: "Robe midi fleurie", price: "29.99", previous: Some("49.99") },
    Product { slug: "jean-droit-brut", name: "Jean droit brut", price: "35.00", previous: None },
    Product { slug: "pull-col-roule", name: "Pull col roulé en laine", price: "24.50", previous: Some("39.90") },
    Product { slug: "baskets-cuir-blanc", name: "Baskets cuir blanc", price: "59.00", previous: Some("79.00") },
    Product { slug: "sac-cabas-toile", name: "Sac cabas en toile", price: "15.99", previous: None },
    Product { slug: "manteau-laine-long", name: "Manteau long en laine", price: "1149.00", previous: Some("1299.00") },
];

/// "1149.00" → "1 149,00 €", as French shops show prices.
fn french(price: &str) -> String {
    let (integer, fraction) = price.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, digit) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(digit);
    }
    format!("{grouped},{fraction}\u{a0}€")
}

fn minor_units(price: &str) -> String {
    price.replace('.', "").trim_start_matches('0').to_string()
}

fn html(body: String) -> Behaviour {
    Behaviour::Page { content_type: "text/html; charset=utf-8", body: body.into_bytes() }
}

fn json(body: String) -> Behaviour {
    Behaviour::Page { content_type: "application/json", body: body.into_bytes() }
}

fn xml(body: String) -> Behaviour {
    Behaviour::Page { content_type: "application/xml", body: body.into_bytes() }
}

fn gzip(body: &str) -> Behaviour {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body.as_bytes()).unwrap();
    Behaviour::Page { content_type: "application/x-gzip", body: encoder.finish().unwrap() }
}

fn robots(body: &str) -> Behaviour {
    Behaviour::Page { content_type: "text/plain", body: body.as_bytes().to_vec() }
}

/// The path and query of an URL, as the loopback server keys its routes.
fn route(url: &url::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

fn urlset(urls: &[String]) -> String {
    let entries: String = urls
        .iter()
        .map(|u| format!("  <url><loc>{u}</loc><lastmod>2026-12-01T08:00:00+01:00</lastmod></url>\n"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{entries}</urlset>\n"
    )
}

fn sitemap_index(urls: &[String]) -> String {
    let entries: String = urls.iter().map(|u| format!("  <sitemap><loc>{u}</loc></sitemap>\n")).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{entries}</sitemapindex>\n"
    )
}

/// Header, navigation and footer as shops write them, with prices that are not products' (free delivery from...).
fn chrome(title: &str, head: &str, main: &str) -> String {
    chrome_with_body(title, head, "", main)
}

/// [`chrome`] with attributes on `<body>` (PrestaShop names the page type there: `id="product"`).
fn chrome_with_body(title: &str, head: &str, body_attributes: &str, main: &str) -> String {
    format!(
        r#"<!doctype html><html lang="fr-FR"><head><meta charset="utf-8"><title>{title} | Maison Test</title>
<meta property="og:site_name" content="Maison Test">{head}</head>
<body{body_attributes}><header><div class="bandeau">Livraison offerte dès 49&nbsp;€ d'achat</div>
<nav><a href="/">Accueil</a> <a href="/c/femme">Femme</a> <a href="/aide/livraison">Aide</a></nav></header>
<main>{main}</main>
<footer><p>Retours gratuits sous 30 jours. Paiement en 3x sans frais dès 100&nbsp;€.</p>
<a href="/aide/livraison">Livraison</a> <a href="/cgv">CGV</a></footer></body></html>"#
    )
}

/// A dealcast configuration for loopback: no pause between requests, so the test stays fast.
fn config_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("dealcast.toml");
    std::fs::write(&path, "[scrape]\nmin_delay_ms = 0\nmax_concurrency = 8\n").unwrap();
    path
}

fn dealcast(scrapers: &Path, config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealcast"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("DEALCAST_SCRAPERS_DIR")
        .env(ALLOW_PRIVATE_HOSTS_ENV, support::outbound::LOOPBACK_HOSTS)
        .env("DEALCAST_CONFIG", config)
        .arg("--scrapers")
        .arg(scrapers);
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// What a user checks in the dry run: every product, by name, with its price and previous price.
type Found = BTreeSet<(String, String, Option<String>)>;

fn expected(products: &[&Product]) -> Found {
    products.iter().map(|p| (p.name.to_string(), normalised(p.price), p.previous.map(normalised))).collect()
}

fn normalised(amount: &str) -> String {
    amount.parse::<rust_decimal::Decimal>().unwrap().normalize().to_string()
}

/// Runs `shop new`, `shop check` and `scrape --dry-run` for a site, and returns what the dry run found and the
/// shop file written.
async fn onboard(server: &LoopbackShop, id: &str, start: &str) -> (Found, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let scrapers = dir.path().join("scrapers");
    std::fs::create_dir_all(&scrapers).unwrap();
    let config = config_file(dir.path());
    let mut new = dealcast(&scrapers, &config);
    new.args(["shop", "new", server.url(start).as_str(), "--id", id]);
    let created = run(new).await;
    let report = text(&created);
    assert!(created.status.success(), "shop new failed:\n{report}");
    let shop_file = std::fs::read_to_string(scrapers.join(format!("{id}.toml"))).unwrap();
    println!("{report}\n{shop_file}");

    let mut check = dealcast(&scrapers, &config);
    check.args(["shop", "check", id]);
    let checked = run(check).await;
    assert!(checked.status.success(), "shop check failed:\n{}\n{shop_file}", text(&checked));
    assert!(text(&checked).contains(" 0 failed"), "{}", text(&checked));

    let mut scrape = dealcast(&scrapers, &config);
    scrape.args(["scrape", "--dry-run", "--json", "--shop", id]);
    let scraped = run(scrape).await;
    assert!(scraped.status.success(), "scrape failed:\n{}\n{shop_file}", text(&scraped));
    let found: Found = String::from_utf8_lossy(&scraped.stdout)
        .lines()
        .map(|line| {
            let offer: serde_json::Value = serde_json::from_str(line).unwrap();
            let amount = |key: &str| offer[key].as_str().map(normalised);
            (offer["name"].as_str().unwrap().to_string(), amount("price").unwrap(), amount("previous_price"))
        })
        .collect();
    (found, shop_file, report)
}

fn all_products() -> Vec<&'static Product> {
    CATALOGUE.iter().collect()
}

#[tokio::test]
async fn a_shopify_store_is_read_through_its_products_json() {
    let server = loopback_shop::start(Default::default()).await;
    let home = server.url("/");
    server.set(
        "/",
        html(chrome(
            "Accueil",
            r#"<link rel="stylesheet" href="//cdn.shopify.com/s/files/1/0001/t/2/assets/base.css">
<script>window.Shopify = window.Shopify || {}; Shopify.shop = "maison-test.myshopify.com"; Shopify.currency = {"active":"EUR","rate":"1.0"}; Shopify.theme = {"name":"Dawn","id":1};</script>"#,
            "<h1>Nouveautés</h1>",
        )),
    );
    server.set("/robots.txt", robots("User-agent: *\nDisallow: /cart\nDisallow: /checkout\n"));
    let products: Vec<String> = CATALOGUE
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                r#"{{"id":{id},"title":"{name}","handle":"{slug}","vendor":"Maison Test","product_type":"Mode","images":[{{"src":"https://cdn.shopify.com/s/files/1/{slug}.jpg"}}],
                "variants":[{{"id":{v},"title":"S","price":"{price}","compare_at_price":{cmp},"sku":"MT-{i}","available":true}},
                            {{"id":{v2},"title":"M","price":"{price}","compare_at_price":{cmp},"sku":"MT-{i}-M","available":false}}]}}"#,
                id = 1000 + i,
                name = p.name,
                slug = p.slug,
                v = 5000 + i * 2,
                v2 = 5001 + i * 2,
                price = p.price,
                cmp = p.previous.map_or("null".to_string(), |c| format!("\"{c}\"")),
            )
        })
        .collect();
    server.set(
        &route(&shopify::products_page_url(&home, 1)),
        json(format!(r#"{{"products":[{}]}}"#, products.join(","))),
    );
    server.set(&route(&shopify::products_page_url(&home, 2)), json(r#"{"products":[]}"#.to_string()));

    let (found, shop_file, report) = onboard(&server, "maison_shopify", "/").await;
    assert!(shop_file.contains("kind = 'shopify'"), "{shop_file}");
    assert!(report.contains("Platform:   Shopify"), "{report}");
    assert_eq!(found, expected(&all_products()), "{shop_file}");
}

#[tokio::test]
async fn a_woocommerce_shop_is_read_through_its_store_api() {
    let server = loopback_shop::start(Default::default()).await;
    let home = server.url("/");
    server.set(
        "/",
        html(chrome(
            "Boutique",
            r#"<meta name="generator" content="WooCommerce 9.4.2"><link rel="stylesheet" href="/wp-content/plugins/woocommerce/assets/css/woocommerce.css">
<link rel="https://api.w.org/" href="/wp-json/">"#,
            "<h1>Boutique</h1>",
        )),
    );
    server.set("/robots.txt", robots("User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n"));
    let products: Vec<String> = CATALOGUE
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let regular = p.previous.unwrap_or(p.price);
            let sale = p.price;
            format!(
                r#"{{"id":{id},"name":"{name}","slug":"{slug}","parent":0,"type":"simple","variation":"","permalink":"{home}produit/{slug}/","sku":"WC-{i}","short_description":"","description":"","on_sale":{on_sale},
                "prices":{{"price":"{price}","regular_price":"{regular}","sale_price":"{sale}","price_range":null,"currency_code":"EUR","currency_symbol":"€","currency_minor_unit":2,"currency_decimal_separator":",","currency_thousand_separator":" ","currency_prefix":"","currency_suffix":" €"}},
                "price_html":"","average_rating":"0","review_count":0,"images":[{{"id":{img},"src":"{home}wp-content/uploads/{slug}.jpg","thumbnail":"","srcset":"","sizes":"","name":"{slug}","alt":""}}],
                "categories":[{{"id":15,"name":"Mode","slug":"mode","link":"{home}categorie/mode/"}}],"tags":[],"attributes":[],"variations":[],"has_options":false,"is_purchasable":true,"is_in_stock":true,"is_on_backorder":false,"low_stock_remaining":null,"sold_individually":false,"add_to_cart":{{"text":"Ajouter au panier","description":"","url":"?add-to-cart={id}","minimum":1,"maximum":9999,"multiple_of":1}}}}"#,
                id = 200 + i,
                img = 900 + i,
                name = p.name,
                slug = p.slug,
                on_sale = p.previous.is_some(),
                price = minor_units(sale),
                regular = minor_units(regular),
                sale = minor_units(sale),
            )
        })
        .collect();
    server.set(&route(&woocommerce::products_page_url(&home, 1)), json(format!("[{}]", products.join(","))));
    server.set(&route(&woocommerce::products_page_url(&home, 2)), json("[]".to_string()));

    let (found, shop_file, report) = onboard(&server, "maison_woo", "/").await;
    assert!(shop_file.contains("kind = 'woocommerce'"), "{shop_file}");
    assert!(report.contains("WooCommerce"), "{report}");
    assert_eq!(found, expected(&all_products()), "{shop_file}");
}

#[tokio::test]
async fn a_magento_shop_is_read_through_its_graphql() {
    let server = loopback_shop::start(Default::default()).await;
    let home = server.url("/");
    server.set(
        "/",
        html(chrome(
            "Home page",
            r#"<script type="text/x-magento-init">{"*":{"Magento_Ui/js/core/app":{}}}</script>
<link rel="stylesheet" href="/static/version1733000000/frontend/Magento/luma/fr_FR/mage/calendar.css">"#,
            r#"<div data-mage-init='{"menu":{}}'><h1>Home page</h1></div>"#,
        )),
    );
    server.set("/robots.txt", robots("User-agent: *\nDisallow: /checkout/\nDisallow: /customer/\n"));
    let item = |p: &Product| {
        let regular = p.previous.unwrap_or(p.price);
        format!(
            r#"{{"__typename":"SimpleProduct","name":"{name}","sku":"MG-{slug}","url_key":"{slug}","url_suffix":".html","canonical_url":null,"stock_status":"IN_STOCK",
            "small_image":{{"url":"{home}media/catalog/product/{slug}.jpg"}},
            "price_range":{{"minimum_price":{{"regular_price":{{"value":{regular},"currency":"EUR"}},"final_price":{{"value":{price},"currency":"EUR"}},"discount":{{"amount_off":0,"percent_off":0}}}}}}}}"#,
            name = p.name,
            slug = p.slug,
            price = p.price,
        )
    };
    // Two pages: magento's page size is larger than six, so the test store answers one full page and an empty one.
    let items: Vec<String> = CATALOGUE.iter().map(item).collect();
    let page = |number: u32, items: &[String]| {
        json(format!(
            r#"{{"data":{{"products":{{"total_count":{total},"page_info":{{"current_page":{number},"page_size":{size},"total_pages":1}},"items":[{}]}}}}}}"#,
            items.join(","),
            total = CATALOGUE.len(),
            size = magento::PAGE_SIZE,
        ))
    };
    server.set(&route(&magento::products_page_url(&home, 1)), page(1, &items));
    server.set(&route(&magento::products_page_url(&home, 2)), page(2, &[]));

    let (found, shop_file, report) = onboard(&server, "maison_magento", "/").await;
    assert!(shop_file.contains("kind = 'magento'"), "{shop_file}");
    assert!(report.contains("Magento 2"), "{report}");
    assert_eq!(found, expected(&all_products()), "{shop_file}");
}

/// A PrestaShop 8 product page (classic theme): the product JSON in `data-product`, prices in the product block,
/// accessories below.
fn prestashop_product(home: &url::Url, id: usize, p: &Product) -> String {
    let regular = p.previous.unwrap_or(p.price);
    let product_json = format!(
        r#"{{"id_product":"{id}","id_product_attribute":"0","name":"{name}","reference":"PS-{id}","ean13":"","price_amount":{price},"regular_price_amount":{regular},"has_discount":{discount},"discount_type":"amount","quantity":12,"availability":"available","url":"{home}femme/{id}-{slug}.html","canonical_url":"{home}femme/{id}-{slug}.html","category_name":"Femme","manufacturer_name":"Maison Test","cover":{{"large":{{"url":"{home}{id}-large_default/{slug}.jpg"}}}}}}"#,
        name = p.name,
        slug = p.slug,
        price = p.price,
        discount = p.previous.is_some(),
    )
    .replace('"', "&quot;");
    let discount = p
        .previous
        .map(|prev| {
            format!(r#"<div class="product-discount"><span class="regular-price">{}</span></div>"#, french(prev))
        })
        .unwrap_or_default();
    chrome_with_body(
        p.name,
        r#"<script>var prestashop = {"currency":{"name":"Euro","iso_code":"EUR","sign":"€"},"urls":{"base_url":"/"}};</script>
<link rel="stylesheet" href="/themes/classic/assets/css/theme.css"><script src="/modules/ps_shoppingcart/ps_shoppingcart.js"></script>"#,
        r#" id="product" class="lang-fr country-fr currency-eur layout-full-width page-product tax-display-enabled""#,
        &format!(
            r#"<section id="main"><div class="row product-container js-product-container"><div class="col-md-6">
<h1 class="h1">{name}</h1>
<div class="product-prices js-product-prices">{discount}<div class="product-price h5 {has}"><div class="current-price"><span class="current-price-value" content="{price}">{shown}</span></div></div>
<div class="tax-shipping-delivery-label">TTC</div></div>
<div id="product-details" data-product="{product_json}"></div>
<form action="/panier" method="post" id="add-to-cart-or-refresh"><button class="btn btn-primary add-to-cart" data-button-action="add-to-cart" type="submit">Ajouter au panier</button></form>
</div></div>
<section class="product-accessories clearfix"><p class="h5 text-uppercase">Vous aimerez aussi</p>
<article class="product-miniature js-product-miniature" data-id-product="99"><div class="thumbnail-container"><h3 class="h3 product-title"><a href="{home}femme/99-ceinture.html">Ceinture tressée</a></h3>
<div class="product-price-and-shipping"><span class="price">12,00&nbsp;€</span></div></div></article></section></section>"#,
            name = p.name,
            price = p.price,
            shown = french(p.price),
            has = if p.previous.is_some() { "has-discount" } else { "" },
        ),
    )
}

#[tokio::test]
async fn a_prestashop_shop_is_read_through_its_sitemap_and_product_json() {
    let server = loopback_shop::start(Default::default()).await;
    let home = server.url("/");
    let head = r#"<script>var prestashop = {"currency":{"name":"Euro","iso_code":"EUR","sign":"€"},"urls":{"base_url":"/"}};</script>
<link rel="stylesheet" href="/themes/classic/assets/css/theme.css">"#;
    let miniatures: String = CATALOGUE
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                r#"<article class="product-miniature js-product-miniature" data-id-product="{id}"><h2 class="h3 product-title"><a href="{home}femme/{id}-{slug}.html">{name}</a></h2>
<div class="product-price-and-shipping">{regular}<span class="price">{price}</span></div></article>"#,
                id = 10 + i,
                slug = p.slug,
                name = p.name,
                price = french(p.price),
                regular = p.previous.map(|r| format!(r#"<span class="regular-price">{}</span>"#, french(r))).unwrap_or_default()
            )
        })
        .collect();
    server.set("/", html(chrome_with_body("Accueil", head, r#" id="index" class="page-index""#, "<h1>Bienvenue</h1>")));
    server.set(
        "/3-femme",
        html(chrome_with_body(
            "Femme",
            head,
            r#" id="category" class="page-category""#,
            &format!(r#"<h1>Femme</h1><div id="js-product-list"><div class="products row">{miniatures}</div></div>"#),
        )),
    );
    server.set(
        "/content/1-livraison",
        html(chrome_with_body(
            "Livraison",
            head,
            r#" id="cms" class="page-cms""#,
            "<h1>Livraison</h1><p>Sous 48 h.</p>",
        )),
    );
    let mut product_urls = Vec::new();
    for (i, p) in CATALOGUE.iter().enumerate() {
        let path = format!("/femme/{}-{}.html", 10 + i, p.slug);
        server.set(&path, html(prestashop_product(&home, 10 + i, p)));
        product_urls.push(server.url(&path).to_string());
    }
    // PrestaShop's gsitemap module: an index per shop, one sitemap per language and type, named in robots.txt.
    server.set(
        "/robots.txt",
        robots(&format!(
            "# robots.txt automatically generated by PrestaShop\nUser-agent: *\nDisallow: /*?order=\nDisallow: /panier\nDisallow: /commande\nSitemap: {}\n",
            server.url("/1_index_sitemap.xml")
        )),
    );
    server.set("/1_index_sitemap.xml", xml(sitemap_index(&[server.url("/1_fr_0_sitemap.xml").to_string()])));
    let mut listed =
        vec![home.to_string(), server.url("/3-femme").to_string(), server.url("/content/1-livraison").to_string()];
    listed.extend(product_urls);
    server.set("/1_fr_0_sitemap.xml", xml(urlset(&listed)));

    let (found, shop_file, report) = onboard(&server, "maison_presta", "/").await;
    assert!(shop_file.contains("kind = 'prestashop'"), "{shop_file}");
    assert!(shop_file.contains("sitemaps = true"), "{shop_file}");
    assert!(report.contains("PrestaShop"), "{report}");
    assert_eq!(found, expected(&all_products()), "{shop_file}");
    assert!(!server.requested().iter().any(|p| p.starts_with("/panier")), "robots.txt obeyed");
}

#[tokio::test]
async fn a_json_ld_shop_is_read_through_a_gzip_sitemap_index_and_robots_is_obeyed() {
    let server = loopback_shop::start(Default::default()).await;
    let home = server.url("/");
    let mut product_urls = Vec::new();
    for p in CATALOGUE {
        let path = format!("/p/{}", p.slug);
        let strike = p
            .previous
            .map(|prev| format!(r#","priceSpecification":[{{"@type":"UnitPriceSpecification","priceType":"https://schema.org/StrikethroughPrice","price":"{prev}","priceCurrency":"EUR"}}]"#))
            .unwrap_or_default();
        let shown_previous = p.previous.map(|prev| format!("<del>{}</del>", french(prev))).unwrap_or_default();
        let head = format!(
            r#"<link rel="canonical" href="{url}"><script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{{"@type":"WebPage","name":"{name}"}},
{{"@type":"Product","name":"{name}","sku":"JL-{slug}","image":"{home}img/{slug}.jpg","brand":{{"@type":"Brand","name":"Maison Test"}},"offers":{{"@type":"Offer","url":"{url}","price":"{price}","priceCurrency":"EUR","availability":"https://schema.org/InStock"{strike}}}}}]}}</script>"#,
            url = server.url(&path),
            name = p.name,
            slug = p.slug,
            price = p.price,
        );
        let main = format!(
            r#"<h1>{name}</h1><div class="prix"><span class="prix-actuel">{shown}</span>{shown_previous}</div><button>Ajouter au panier</button>
<section class="reco"><h2>Vous aimerez aussi</h2><div class="carte"><a href="/p/ceinture">Ceinture</a><span>12,00&nbsp;€</span></div></section>"#,
            name = p.name,
            shown = french(p.price),
        );
        server.set(&path, html(chrome(p.name, &head, &main)));
        product_urls.push(server.url(&path).to_string());
    }
    server.set("/", html(chrome("Accueil", "", r#"<h1>Maison Test</h1><a href="/checkout/panier">Panier</a>"#)));
    server.set("/aide/livraison", html(chrome("Livraison", "", "<h1>Livraison</h1><p>Offerte dès 49 €.</p>")));
    server.set("/c/femme", html(chrome("Femme", "", "<h1>Femme</h1><p>Nos robes et jeans.</p>")));
    server.set(
        "/robots.txt",
        robots(&format!("User-agent: *\nDisallow: /checkout/\n\nSitemap: {}\n", server.url("/sitemap_index.xml"))),
    );
    server.set(
        "/sitemap_index.xml",
        xml(sitemap_index(&[
            server.url("/sitemaps/pages.xml.gz").to_string(),
            server.url("/sitemaps/products-1.xml.gz").to_string(),
        ])),
    );
    server.set(
        "/sitemaps/pages.xml.gz",
        gzip(&urlset(&[
            home.to_string(),
            server.url("/aide/livraison").to_string(),
            server.url("/c/femme").to_string(),
            server.url("/checkout/panier").to_string(),
        ])),
    );
    server.set("/sitemaps/products-1.xml.gz", gzip(&urlset(&product_urls)));

    let (found, shop_file, report) = onboard(&server, "maison_jsonld", "/").await;
    assert!(shop_file.contains("sitemaps = true"), "{shop_file}");
    assert!(shop_file.contains("product_urls = "), "{shop_file}");
    assert!(report.contains("Discovery:  sitemaps named in robots.txt"), "{report}");
    assert_eq!(found, expected(&all_products()), "{shop_file}");
    let requested = server.requested();
    assert!(!requested.iter().any(|p| p.starts_with("/checkout/")), "robots.txt disallows /checkout/: {requested:?}");
}

#[tokio::test]
async fn a_shop_without_structured_data_gets_derived_selectors() {
    let server = loopback_shop::start(Default::default()).await;
    let home = server.url("/");
    let mut product_urls = Vec::new();
    for p in CATALOGUE {
        let path = format!("/produits/{}.html", p.slug);
        let previous = p
            .previous
            .map(|prev| format!(r#"<span class="fiche-prix__barre"><del>{}</del></span>"#, french(prev)))
            .unwrap_or_default();
        let main = format!(
            r#"<div class="fiche"><div class="fiche-visuel"><img class="fiche-visuel__img" src="/img/{slug}.jpg" alt="{name}"></div>
<div class="fiche-infos"><h1 class="fiche-titre">{name}</h1><p class="fiche-ref">Réf. 4{len}0215</p>
<div class="fiche-prix"><span class="fiche-prix__actuel">{shown}</span>{previous}</div>
<p class="fiche-paiement">ou 3 x {third} sans frais</p>
<form class="fiche-achat" action="/panier/ajout" method="post"><label>Quantité <input name="qte" value="1"></label><button type="submit">Ajouter au panier</button></form></div></div>
<section class="suggestions"><h2>Nos clients ont aussi aimé</h2><div class="suggestion"><a href="/produits/ceinture.html">Ceinture tressée</a><span class="suggestion-prix">12,00&nbsp;€</span></div></section>"#,
            slug = p.slug,
            name = p.name,
            len = p.name.len(),
            shown = french(p.price),
            third = french("10.00"),
        );
        server.set(&path, html(chrome(p.name, "", &main)));
        product_urls.push(server.url(&path).to_string());
    }
    server.set("/", html(chrome("Accueil", "", "<h1>Maison Test</h1>")));
    server.set("/aide/livraison", html(chrome("Livraison", "", "<h1>Livraison</h1><p>Offerte dès 49 €.</p>")));
    server.set("/robots.txt", robots("User-agent: *\nDisallow: /panier/\n"));
    // No Sitemap line in robots.txt: the sitemap is found at its usual place.
    let mut listed = vec![home.to_string(), server.url("/aide/livraison").to_string()];
    listed.extend(product_urls);
    server.set("/sitemap.xml", xml(urlset(&listed)));

    let (found, shop_file, report) = onboard(&server, "maison_sans_balisage", "/").await;
    assert!(shop_file.contains("kind = \"selectors\""), "{shop_file}");
    assert!(shop_file.contains("price = '.fiche-prix__actuel'"), "{shop_file}");
    assert!(report.contains("selectors (derived and verified on the samples)"), "{report}");
    assert_eq!(found, expected(&all_products()), "{shop_file}");
}

#[tokio::test]
async fn a_nextjs_shop_is_read_from_its_page_state_through_its_promotion_pages() {
    let server = loopback_shop::start(Default::default()).await;
    let next_data = |page: &str, props: String| {
        format!(
            r#"<script id="__NEXT_DATA__" type="application/json">{{"props":{{"pageProps":{props},"__N_SSG":true}},"page":"{page}","query":{{}},"buildId":"b1","isFallback":false,"gsp":true,"locale":"fr","locales":["fr"]}}</script>"#
        )
    };
    let card = |p: &Product| {
        format!(
            r#"<li class="ProductCard_card__x1"><a class="ProductCard_link__x2" href="/produit/{slug}"><span>{name}</span><span>{shown}</span></a></li>"#,
            slug = p.slug,
            name = p.name,
            shown = french(p.price)
        )
    };
    let (first, second) = CATALOGUE.split_at(4);
    let listing = |products: &[Product], next: Option<&str>| {
        let cards: String = products.iter().map(card).collect();
        let next = next.map(|n| format!(r#"<a rel="next" href="{n}">Suivant</a>"#)).unwrap_or_default();
        let state = next_data("/promotions", r#"{"title":"Promotions"}"#.to_string());
        html(chrome(
            "Promotions",
            "",
            &format!(r#"<div id="__next"><h1>Promotions</h1><ul class="Grid_grid__a">{cards}</ul>{next}</div>{state}"#),
        ))
    };
    server.set("/promotions", listing(first, Some("/promotions?page=2")));
    server.set("/promotions?page=2", listing(second, None));
    let home_state = next_data("/", r#"{"hero":{"title":"Soldes d'hiver"}}"#.to_string());
    server.set(
        "/",
        html(chrome(
            "Accueil",
            "",
            &format!(r#"<div id="__next"><h1>Maison Test</h1><a href="/promotions">Toutes les promotions</a></div>{home_state}"#),
        )),
    );
    for p in CATALOGUE {
        let previous =
            p.previous.map_or("null".to_string(), |prev| format!(r#"{{"amount":"{prev}","currencyCode":"EUR"}}"#));
        let product = format!(
            r#"{{"product":{{"id":"gid://shop/Product/{slug}","title":"{name}","handle":"{slug}","url":"/produit/{slug}","images":[{{"url":"https://img.example/{slug}.jpg"}}],
            "price":{{"amount":"{price}","currencyCode":"EUR"}},"compareAtPrice":{previous},"availableForSale":true}},
            "recommendations":[{{"title":"Ceinture tressée","handle":"ceinture","price":{{"amount":"12.00","currencyCode":"EUR"}},"compareAtPrice":{{"amount":"20.00","currencyCode":"EUR"}}}}]}}"#,
            slug = p.slug,
            name = p.name,
            price = p.price,
        );
        let state = next_data("/produit/[handle]", product);
        // The page is rendered by JavaScript: the server sends the shell and the state only.
        server.set(
            &format!("/produit/{}", p.slug),
            html(chrome(
                p.name,
                "",
                &format!(r#"<div id="__next"><div class="Skeleton_pulse__q"></div></div>{state}"#),
            )),
        );
    }
    server.set("/robots.txt", robots("User-agent: *\nDisallow: /api/\n"));

    let (found, shop_file, report) = onboard(&server, "maison_next", "/").await;
    assert!(report.contains("JavaScript storefront"), "{report}");
    assert!(shop_file.contains("/promotions"), "{shop_file}");
    assert_eq!(found, expected(&all_products()), "{shop_file}");
}

#[tokio::test]
async fn a_shop_that_disallows_crawling_is_refused_with_a_clear_error() {
    let server = loopback_shop::start(Default::default()).await;
    server.set("/robots.txt", robots("User-agent: *\nDisallow: /\n"));
    server.set("/", html(chrome("Accueil", "", "<h1>Maison Test</h1>")));
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path());
    let mut new = dealcast(dir.path(), &config);
    new.args(["shop", "new", server.url("/").as_str(), "--id", "interdit"]);
    let output = run(new).await;
    assert!(!output.status.success());
    assert!(text(&output).contains("disallowed by robots.txt"), "{}", text(&output));
    assert_eq!(server.requested(), ["/robots.txt"], "nothing but robots.txt was fetched");
    assert!(!dir.path().join("interdit.toml").exists());
}

#[tokio::test]
async fn an_existing_shop_file_is_never_overwritten_without_force() {
    let server = loopback_shop::start(Default::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path());
    std::fs::write(dir.path().join("deja_la.toml"), "name = \"Déjà là\"\nhomepage = \"https://x.example/\"\n").unwrap();
    let mut new = dealcast(dir.path(), &config);
    new.args(["shop", "new", server.url("/").as_str(), "--id", "deja_la"]);
    let output = run(new).await;
    assert!(!output.status.success());
    assert!(text(&output).contains("already exists: pass --force"), "{}", text(&output));
    assert!(server.requested().is_empty(), "refused before probing");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("deja_la.toml")).unwrap(),
        "name = \"Déjà là\"\nhomepage = \"https://x.example/\"\n"
    );
}
