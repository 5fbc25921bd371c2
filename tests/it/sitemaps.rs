//! Discovery by sitemap over loopback, as a shop serves its sitemaps: robots.txt `Sitemap:` lines, an index with
//! gzipped children (as `application/x-gzip` files and as `Content-Encoding: gzip`), and the sitemaps that must be
//! refused (a loop, 100 MB, a gzip bomb, one robots.txt disallows). Then `scrape --dry-run` of a shop crawled from its
//! sitemaps (and its start URL).

use crate::support;

use std::collections::HashMap;
use std::io::Write;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dealcast::scrape::fetch::{FetchSettings, Fetcher, HostPolicy};
use dealcast::scrape::sitemap::{
    SitemapError, SitemapKind, SitemapLimits, discover, discover_matching, site_sitemaps, sitemaps_in_robots,
};
use flate2::Compression;
use flate2::write::GzEncoder;
use rust_decimal::Decimal;
use support::cli::scrape_dry_run;
use support::loopback_shop::{self, Behaviour, LoopbackShop, product_page};
use url::Url;

const FIFTY_MIB: u64 = 50 * 1024 * 1024;

/// Robots.txt obeyed as in production; host limits lifted and retries quick, so the tests run fast.
fn fetcher() -> Fetcher {
    Fetcher::new(FetchSettings {
        default_host_policy: HostPolicy::LIFTED,
        retry_base_delay: Duration::from_millis(10),
        max_retries: 1,
        ..support::outbound::loopback_fetch_settings()
    })
    .expect("build the fetcher")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, Compression::fast())
}

fn gzip_at(bytes: &[u8], level: Compression) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A `<urlset>` of `(url, lastmod)`.
fn urlset(pages: &[(String, Option<&str>)]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n",
    );
    for (url, lastmod) in pages {
        xml.push_str(&format!("  <url>\n    <loc>{url}</loc>\n"));
        if let Some(lastmod) = lastmod {
            xml.push_str(&format!("    <lastmod>{lastmod}</lastmod>\n"));
        }
        xml.push_str("    <image:image><image:loc>https://cdn.example/i.jpg</image:loc></image:image>\n  </url>\n");
    }
    xml.push_str("</urlset>\n");
    xml.into_bytes()
}

/// A `<sitemapindex>` of these sitemaps.
fn index(sitemaps: &[Url]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for sitemap in sitemaps {
        xml.push_str(&format!("  <sitemap><loc>{sitemap}</loc><lastmod>2026-11-30</lastmod></sitemap>\n"));
    }
    xml.push_str("</sitemapindex>\n");
    xml.into_bytes()
}

fn xml(body: Vec<u8>) -> Behaviour {
    Behaviour::Page { content_type: "application/xml", body }
}

fn utc(text: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
}

fn messages(problems: &[SitemapError]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

async fn shop_with(routes: Vec<(&str, Behaviour)>) -> LoopbackShop {
    loopback_shop::start(routes.into_iter().map(|(path, behaviour)| (path.to_string(), behaviour)).collect()).await
}

#[tokio::test]
async fn a_sitemap_index_of_50000_urls_across_gzip_children_is_read_within_the_caps() {
    let server = loopback_shop::start(HashMap::new()).await;
    let children: Vec<Url> = (1..=5).map(|n| server.url(&format!("/sitemap-products-{n}.xml.gz"))).collect();
    for (n, child) in children.iter().enumerate() {
        let pages: Vec<(String, Option<&str>)> = (0..10_000)
            .map(|i| (format!("https://shop.example/p/{}-{i}", n + 1), Some("2026-11-02T10:00:00+01:00")))
            .collect();
        let compressed = gzip(&urlset(&pages));
        // Most shops serve the .gz as a file; some also say Content-Encoding: gzip, which the client undoes first.
        let behaviour = if n == 4 {
            Behaviour::PageWithHeaders {
                content_type: "application/x-gzip",
                headers: vec![("content-encoding".to_string(), "gzip".to_string())],
                body: gzip(&compressed),
            }
        } else {
            Behaviour::Page {
                content_type: if n % 2 == 0 { "application/gzip" } else { "application/x-gzip" },
                body: compressed,
            }
        };
        server.set(child.path(), behaviour);
    }
    server.set("/sitemap_index.xml", xml(index(&children)));

    let started = Instant::now();
    let found = discover(&fetcher(), &[server.url("/sitemap_index.xml")], &SitemapLimits::default()).await.unwrap();
    println!("50,000 URLs from an index and 5 gzip children read in {:?}", started.elapsed());

    assert!(found.problems.is_empty(), "{:#?}", messages(&found.problems));
    assert_eq!(found.files_read, 6);
    assert_eq!(found.urls.len(), 50_000);
    assert!(!found.url_limit_reached);
    assert_eq!(found.urls[0].url.as_str(), "https://shop.example/p/1-0");
    assert_eq!(found.urls[49_999].url.as_str(), "https://shop.example/p/5-9999");
    assert!(found.urls.iter().all(|page| page.lastmod == utc("2026-11-02T09:00:00Z")));
    let distinct: std::collections::HashSet<&Url> = found.urls.iter().map(|page| &page.url).collect();
    assert_eq!(distinct.len(), 50_000);
}

#[tokio::test]
async fn the_url_limit_stops_reading_and_says_so() {
    let server = loopback_shop::start(HashMap::new()).await;
    let pages: Vec<(String, Option<&str>)> = (0..100).map(|i| (format!("https://shop.example/p/{i}"), None)).collect();
    server.set("/a.xml", xml(urlset(&pages[..60])));
    server.set("/b.xml", xml(urlset(&pages[60..])));
    server.set("/c.xml", xml(urlset(&pages[..1])));
    server.set("/index.xml", xml(index(&[server.url("/a.xml"), server.url("/b.xml"), server.url("/c.xml")])));
    let limits = SitemapLimits { max_urls: 70, ..SitemapLimits::default() };
    let found = discover(&fetcher(), &[server.url("/index.xml")], &limits).await.unwrap();
    assert_eq!(found.urls.len(), 70);
    assert_eq!(found.urls[69].url.as_str(), "https://shop.example/p/69", "cut in sitemap order");
    assert!(found.url_limit_reached);
    assert!(found.problems.is_empty(), "{:#?}", messages(&found.problems));

    let few_files = SitemapLimits { max_files: 2, ..SitemapLimits::default() };
    let found = discover(&fetcher(), &[server.url("/index.xml")], &few_files).await.unwrap();
    assert_eq!(found.files_read, 2);
    assert_eq!(found.urls.len(), 60);
    assert_eq!(
        messages(&found.problems),
        [format!(
            "2 sitemaps not read: the limit of 2 sitemap files was reached (first not read: {})",
            server.url("/b.xml")
        )]
    );
}

#[tokio::test]
async fn a_sitemap_loop_is_refused_with_a_clear_error_and_no_file_is_read_twice() {
    let server = loopback_shop::start(HashMap::new()).await;
    let (root, nested, products) = (server.url("/index.xml"), server.url("/nested.xml"), server.url("/products.xml"));
    server.set("/index.xml", xml(index(&[root.clone(), nested.clone(), products.clone()])));
    server.set("/nested.xml", xml(index(&[root.clone(), products.clone()])));
    server.set(
        "/products.xml",
        xml(urlset(&[
            ("https://shop.example/p/robe".to_string(), None),
            ("https://shop.example/p/jean".to_string(), None),
        ])),
    );

    let found = discover(&fetcher(), std::slice::from_ref(&root), &SitemapLimits::default()).await.unwrap();

    let urls: Vec<&str> = found.urls.iter().map(|page| page.url.as_str()).collect();
    assert_eq!(urls, ["https://shop.example/p/robe", "https://shop.example/p/jean"]);
    assert_eq!(found.files_read, 3);
    let files: Vec<(&str, SitemapKind, usize)> =
        found.files.iter().map(|file| (file.url.path(), file.kind, file.entries)).collect();
    assert_eq!(
        files,
        [
            ("/index.xml", SitemapKind::Index, 3),
            ("/nested.xml", SitemapKind::Index, 2),
            ("/products.xml", SitemapKind::Urlset, 2)
        ]
    );
    assert_eq!(
        messages(&found.problems),
        [
            format!("sitemap loop refused: {root} lists {root}, which is itself or one of its parents ({root})"),
            format!(
                "sitemap loop refused: {nested} lists {root}, which is itself or one of its parents ({root} → \
                 {nested})"
            ),
            format!("sitemap {products}, listed by {nested}, was already read: not read twice"),
        ]
    );
    assert!(found.problems.iter().all(|problem| problem.kind() == "sitemap_loop"));
    let sitemap_requests = server.requested().into_iter().filter(|path| path.ends_with(".xml")).count();
    assert_eq!(sitemap_requests, 3, "{:?}", server.requested());
}

#[tokio::test]
async fn nesting_past_the_depth_limit_and_an_index_redirecting_to_itself_are_refused() {
    let server = loopback_shop::start(HashMap::new()).await;
    let (top, middle, bottom) = (server.url("/top.xml"), server.url("/middle.xml"), server.url("/bottom.xml"));
    server.set("/top.xml", xml(index(std::slice::from_ref(&middle))));
    server.set("/middle.xml", xml(index(std::slice::from_ref(&bottom))));
    server.set("/bottom.xml", xml(urlset(&[("https://shop.example/p/deep".to_string(), None)])));
    let shallow = SitemapLimits { max_depth: 1, ..SitemapLimits::default() };
    let found = discover(&fetcher(), std::slice::from_ref(&top), &shallow).await.unwrap();
    assert!(found.urls.is_empty());
    assert_eq!(
        messages(&found.problems),
        [format!(
            "sitemap {bottom}, listed by {middle}, is below more levels of sitemap indexes than the limit (1): not read"
        )]
    );
    let found = discover(&fetcher(), &[top], &SitemapLimits::default()).await.unwrap();
    assert_eq!(found.urls.len(), 1, "{:#?}", messages(&found.problems));

    // The old address of the index redirects to the new one, which still lists the old one.
    let (old, new) = (server.url("/sitemap-old.xml"), server.url("/sitemap.xml"));
    server.set("/sitemap-old.xml", Behaviour::Redirect(new.to_string()));
    server.set("/sitemap.xml", xml(index(&[old.clone(), new.clone(), bottom.clone()])));
    let found = discover(&fetcher(), std::slice::from_ref(&old), &SitemapLimits::default()).await.unwrap();
    assert_eq!(found.urls.len(), 1);
    assert_eq!(
        messages(&found.problems),
        [
            format!("sitemap loop refused: {new} lists {old}, which is itself or one of its parents ({old} → {new})"),
            format!("sitemap loop refused: {new} lists {new}, which is itself or one of its parents ({old} → {new})"),
        ]
    );
}

#[tokio::test]
async fn a_100_mb_sitemap_and_a_gzip_bomb_are_refused_with_a_clear_error_without_reading_them_whole() {
    const HUNDRED_MB: usize = 100 * 1024 * 1024;
    let entry = b"<url><loc>https://shop.example/p/x</loc></url>\n".to_vec();
    let head = b"<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n".to_vec();
    // A bomb that gunzip reads: members of a mebibyte of spaces each, 60 of them, a few kilobytes in all.
    let mut bomb = gzip(&head);
    let spaces = gzip_at(&vec![b' '; 1024 * 1024], Compression::best());
    for _ in 0..60 {
        bomb.extend_from_slice(&spaces);
    }
    assert!(bomb.len() < 100 * 1024, "the bomb is {} bytes", bomb.len());
    // HTTP clients inflate only the first gzip member of a Content-Encoding body, so that bomb is one member.
    let started = Instant::now();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&head).unwrap();
    let spaces = vec![b' '; 1024 * 1024];
    for _ in 0..60 {
        encoder.write_all(&spaces).unwrap();
    }
    let one_member_bomb = encoder.finish().unwrap();
    println!("a one-member bomb of {} bytes made in {:?}", one_member_bomb.len(), started.elapsed());
    let server = shop_with(vec![
        (
            "/declared.xml",
            Behaviour::Stream {
                content_type: "application/xml",
                head: head.clone(),
                filler: entry.clone(),
                size: HUNDRED_MB,
                declared: true,
            },
        ),
        (
            "/streamed.xml",
            Behaviour::Stream {
                content_type: "application/xml",
                head,
                filler: entry,
                size: HUNDRED_MB,
                declared: false,
            },
        ),
        ("/bomb.xml.gz", Behaviour::Page { content_type: "application/gzip", body: bomb.clone() }),
        (
            "/bomb-encoded.xml",
            Behaviour::PageWithHeaders {
                content_type: "application/xml",
                headers: vec![("content-encoding".to_string(), "gzip".to_string())],
                body: one_member_bomb,
            },
        ),
        ("/products.xml", xml(urlset(&[("https://shop.example/p/robe".to_string(), None)]))),
    ])
    .await;
    let fetcher = fetcher();
    let limits = SitemapLimits::default();
    assert_eq!(limits.max_file_bytes, FIFTY_MIB);

    for (path, inflated) in
        [("/declared.xml", ""), ("/streamed.xml", ""), ("/bomb.xml.gz", " once inflated"), ("/bomb-encoded.xml", "")]
    {
        let sitemap = server.url(path);
        let error = discover(&fetcher, std::slice::from_ref(&sitemap), &limits).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "sitemap {sitemap} is larger than 52428800 bytes{inflated}; it was not read (sitemaps.org allows 50 \
                 MiB uncompressed)"
            ),
            "{path}"
        );
        assert_eq!(error.kind(), "sitemap_too_large");
    }
    assert!(
        server.body_bytes_sent() < 2 * HUNDRED_MB as u64 * 3 / 4,
        "the two 100 MB sitemaps were read whole: {} bytes sent",
        server.body_bytes_sent()
    );

    // In an index, the broken children are problems and the others are still read.
    server.set(
        "/index.xml",
        xml(index(&[server.url("/bomb.xml.gz"), server.url("/products.xml"), server.url("/declared.xml")])),
    );
    let found = discover(&fetcher, &[server.url("/index.xml")], &limits).await.unwrap();
    assert_eq!(found.urls.len(), 1);
    assert_eq!(found.urls[0].url.as_str(), "https://shop.example/p/robe");
    let kinds: Vec<&str> = found.problems.iter().map(SitemapError::kind).collect();
    assert_eq!(kinds, ["sitemap_too_large", "sitemap_too_large"], "{:#?}", messages(&found.problems));
}

#[tokio::test]
async fn robots_txt_sitemap_lines_are_found_and_a_disallowed_sitemap_is_not_fetched() {
    let server = loopback_shop::start(HashMap::new()).await;
    let robots = format!(
        "Sitemap: {}\nUser-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n\
         Sitemap: /private/sitemap.xml\n",
        server.url("/sitemap_index.xml")
    );
    server.set("/robots.txt", Behaviour::Page { content_type: "text/plain", body: robots.into_bytes() });
    server.set(
        "/sitemap_index.xml",
        xml(index(&[server.url("/private/products.xml"), server.url("/sitemap-products.xml")])),
    );
    server.set("/sitemap-products.xml", xml(urlset(&[(server.url("/p/robe").to_string(), Some("2026-10-01"))])));
    server.set("/private/sitemap.xml", xml(urlset(&[(server.url("/p/secret").to_string(), None)])));
    server.set("/private/products.xml", xml(urlset(&[(server.url("/p/secret-2").to_string(), None)])));
    let fetcher = fetcher();

    let listed = sitemaps_in_robots(&fetcher, &server.url("/")).await.unwrap();
    assert_eq!(listed, [server.url("/sitemap_index.xml"), server.url("/private/sitemap.xml")]);
    assert_eq!(site_sitemaps(&fetcher, &server.url("/")).await.unwrap(), listed);

    let found = discover(&fetcher, &listed, &SitemapLimits::default()).await.unwrap();
    let urls: Vec<String> = found.urls.iter().map(|page| page.url.to_string()).collect();
    assert_eq!(urls, [server.url("/p/robe").to_string()]);
    assert_eq!(found.urls[0].lastmod, utc("2026-10-01T00:00:00Z"));
    assert_eq!(
        messages(&found.problems),
        [
            format!("sitemap not fetched: {}: disallowed by robots.txt", server.url("/private/sitemap.xml")),
            format!("sitemap not fetched: {}: disallowed by robots.txt", server.url("/private/products.xml")),
        ]
    );
    assert!(found.problems.iter().all(|problem| problem.kind() == "sitemap_disallowed"));
    let requested = server.requested();
    assert!(requested.iter().all(|path| !path.starts_with("/private/")), "{requested:?}");
    assert_eq!(requested.iter().filter(|path| *path == "/robots.txt").count(), 1, "{requested:?}");
    // A fetcher told not to obey robots.txt (one's own sites) still finds the Sitemap lines there.
    let unbound = Fetcher::new(FetchSettings {
        obey_robots: false,
        default_host_policy: HostPolicy::LIFTED,
        ..support::outbound::loopback_fetch_settings()
    })
    .unwrap();
    assert_eq!(sitemaps_in_robots(&unbound, &server.url("/")).await.unwrap(), listed);

    // Without Sitemap lines (here: without a robots.txt), the place sitemaps.org names.
    let bare = loopback_shop::start(HashMap::new()).await;
    assert!(sitemaps_in_robots(&fetcher, &bare.url("/shop")).await.unwrap().is_empty());
    assert_eq!(site_sitemaps(&fetcher, &bare.url("/shop?x=1")).await.unwrap(), [bare.url("/sitemap.xml")]);
    let missing = discover(&fetcher, &[bare.url("/sitemap.xml")], &SitemapLimits::default()).await.unwrap_err();
    assert_eq!(missing.kind(), "sitemap_unreachable");
    assert_eq!(missing.to_string(), format!("sitemap not fetched: {}: HTTP 404 (not found)", bare.url("/sitemap.xml")));
}

#[tokio::test]
async fn only_the_pages_kept_count_and_the_bytes_fetch_keeps_its_own_cap() {
    let server = loopback_shop::start(HashMap::new()).await;
    let mut pages: Vec<(String, Option<&str>)> = Vec::new();
    for i in 0..20_000 {
        pages.push((format!("https://shop.example/blog/{i}"), None));
        pages.push((format!("https://shop.example/p/{i}"), Some("2026-01")));
    }
    let body = urlset(&pages);
    assert!(body.len() > 2 * 1024 * 1024);
    server.set("/sitemap.xml", xml(body));
    // Pages are capped at 1 MB here; the sitemap, well over it, is read with the sitemap cap.
    let fetcher = Fetcher::new(FetchSettings {
        max_body_bytes: 1024 * 1024,
        default_host_policy: HostPolicy::LIFTED,
        ..support::outbound::loopback_fetch_settings()
    })
    .unwrap();
    assert_eq!(fetcher.fetch(&server.url("/sitemap.xml")).await.unwrap_err().kind(), "too_large");
    let limits = SitemapLimits { max_urls: 15_000, ..SitemapLimits::default() };
    let products =
        discover_matching(&fetcher, &[server.url("/sitemap.xml")], &limits, |url| url.path().starts_with("/p/"))
            .await
            .unwrap();
    assert_eq!(products.urls.len(), 15_000);
    assert!(products.urls.iter().all(|page| page.url.path().starts_with("/p/")));
    assert_eq!(products.urls[0].lastmod, utc("2026-01-01T00:00:00Z"));
}

/// What `scrape --dry-run --json` printed of one offer.
#[derive(Debug, PartialEq)]
struct PrintedOffer {
    name: String,
    price: Decimal,
    previous_price: Option<Decimal>,
    lastmod: Option<String>,
    url: String,
}

#[tokio::test]
async fn scrape_dry_run_of_a_shop_with_sitemaps_finds_every_product_with_exact_prices() {
    let server = loopback_shop::start(HashMap::new()).await;
    let products = [
        ("/p/robe-midi", "Robe midi", "29.99", Some("49.99"), Some("2026-11-02")),
        ("/p/jean-slim", "Jean slim", "35.00", None, Some("2026-11-03T08:15:00+01:00")),
        ("/p/canape-3-places", "Canapé 3 places", "1299.00", Some("1599.00"), None),
        ("/p/chaussettes", "Chaussettes", "0.99", None, Some("2026-10")),
    ];
    let mut product_entries: Vec<(String, Option<&str>)> = Vec::new();
    for (path, name, price, previous, lastmod) in products {
        server.set(path, Behaviour::Page { content_type: "text/html", body: product_page(name, price, previous) });
        product_entries.push((server.url(path).to_string(), lastmod));
    }
    // A URL of another site in the shop's sitemap is not the shop's page: never fetched (it would fail, as an error).
    product_entries.push(("http://other-shop.invalid/p/intrus".to_string(), None));
    // The start URLs are still crawled: a promotions page links to a product the sitemap lacks, and to one it has.
    server.set(
        "/promos",
        Behaviour::Page {
            content_type: "text/html",
            body: br#"<html><body><a class="p" href="/p/bonnet">Bonnet</a><a class="p" href="/p/robe-midi">Robe</a>
                </body></html>"#
                .to_vec(),
        },
    );
    server.set("/p/bonnet", Behaviour::Page { content_type: "text/html", body: product_page("Bonnet", "9.90", None) });
    // The pages sitemap lists pages that are not products: product_urls leaves them out, so they are never fetched.
    server.set("/about", Behaviour::Page { content_type: "text/html", body: product_page("About", "1.00", None) });
    server.set(
        "/robots.txt",
        Behaviour::Page {
            content_type: "text/plain",
            body: format!("User-agent: *\nDisallow: /cart\nSitemap: {}\n", server.url("/sitemap_index.xml"))
                .into_bytes(),
        },
    );
    server.set(
        "/sitemap_index.xml",
        xml(index(&[server.url("/sitemap-products-1.xml.gz"), server.url("/sitemap-pages.xml")])),
    );
    server.set(
        "/sitemap-products-1.xml.gz",
        Behaviour::Page { content_type: "application/x-gzip", body: gzip(&urlset(&product_entries)) },
    );
    server.set(
        "/sitemap-pages.xml",
        xml(urlset(&[(server.url("/about").to_string(), None), (server.url("/cart").to_string(), None)])),
    );
    let output = scrape_dry_run(format!(
        "name = \"Loopback\"\nhomepage = \"{}\"\n[crawl]\nsitemaps = true\nproduct_urls = \"/p/\"\n\
         start_urls = [\"{}\"]\nproduct_links = \"a.p\"\n[politeness]\nmin_delay_ms = 0\nmax_concurrency = 8\n",
        server.url("/"),
        server.url("/promos")
    ))
    .await;

    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{summary}");
    // Amounts compared as exact decimals (the output may print 35.00 as 35).
    let amount = |text: &str| Decimal::from_str(text).unwrap();
    let mut offers: Vec<PrintedOffer> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let offer: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = |field: &str| offer[field].as_str().map(str::to_string);
            PrintedOffer {
                name: text("name").unwrap(),
                price: amount(&text("price").unwrap()),
                previous_price: text("previous_price").map(|previous| amount(&previous)),
                lastmod: text("lastmod"),
                url: text("url").unwrap(),
            }
        })
        .collect();
    offers.sort_by(|a, b| a.name.cmp(&b.name));
    let expected: Vec<PrintedOffer> = [
        ("Bonnet", "9.90", None, None, "/p/bonnet"),
        ("Canapé 3 places", "1299.00", Some("1599.00"), None, "/p/canape-3-places"),
        ("Chaussettes", "0.99", None, Some("2026-10-01T00:00:00Z"), "/p/chaussettes"),
        ("Jean slim", "35.00", None, Some("2026-11-03T07:15:00Z"), "/p/jean-slim"),
        ("Robe midi", "29.99", Some("49.99"), Some("2026-11-02T00:00:00Z"), "/p/robe-midi"),
    ]
    .into_iter()
    .map(|(name, price, previous, lastmod, path)| PrintedOffer {
        name: name.to_string(),
        price: amount(price),
        previous_price: previous.map(amount),
        lastmod: lastmod.map(str::to_string),
        url: server.url(path).to_string(),
    })
    .collect();
    assert_eq!(offers, expected);
    assert!(
        summary.contains("Total: 9 pages, 5 offers, 0 errors"),
        "3 sitemap files, 1 listing and 5 products: {summary}"
    );
    let requested = server.requested();
    assert!(!requested.iter().any(|path| path == "/about" || path == "/cart" || path == "/"), "{requested:?}");
}
