//! The scraping commands as a shop adder runs them: `extract` on a saved page, `shop list` and `shop check` on the
//! shops of this repository, and `scrape --dry-run` against a shop on loopback.

use crate::support;

use std::collections::HashMap;
use std::process::Command;

use support::loopback_shop::{self, Behaviour, product_page};

fn dealcast() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealcast"));
    command.env_remove("DATABASE_URL").env_remove("DEALCAST_CONFIG").env_remove("DEALCAST_SCRAPERS_DIR");
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    support::outbound::allow_loopback(&mut command);
    command
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn extract_prints_the_offers_of_a_saved_gzip_page_as_json_lines() {
    let Some(peers) = support::peers_dir("extract_prints_the_offers_of_a_saved_gzip_page_as_json_lines") else {
        return;
    };
    let page = peers.join("shop-pages/pages/otto-kaercher-k3.html.gz");
    let output = dealcast()
        .args(["extract", page.to_str().unwrap(), "--url", "https://www.otto.de/p/kaercher-k3/"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let first: serde_json::Value = serde_json::from_str(stdout(&output).lines().next().unwrap()).unwrap();
    assert_eq!(first["price"], "119.01", "{first}");
    assert_eq!(first["previous_price"], "149.99", "{first}");
    assert_eq!(first["currency"], "EUR", "{first}");
    assert!(first["engine"].is_string(), "{first}");
}

#[test]
fn extract_says_so_when_a_page_has_no_offer() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("blog.html");
    std::fs::write(&page, "<html><body><h1>Nos conseils</h1><p>Bonne lecture.</p></body></html>").unwrap();
    let output =
        dealcast().args(["extract", page.to_str().unwrap(), "--url", "https://shop.example/blog"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("No offer found"));
}

#[test]
fn every_shop_of_the_repository_passes_its_saved_pages() {
    let list = dealcast().args(["shop", "list"]).output().unwrap();
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    let listed = stdout(&list);
    for engine in ["auto", "json_ld", "microdata", "shopify", "feed"] {
        assert!(listed.contains(engine), "no example shop uses the {engine} engine:\n{listed}");
    }
    let check = dealcast().args(["shop", "check"]).output().unwrap();
    assert!(check.status.success(), "{}{}", stdout(&check), String::from_utf8_lossy(&check.stderr));
    assert!(stdout(&check).contains(" 0 failed"), "{}", stdout(&check));
}

#[test]
fn shop_check_reports_a_wrong_expectation_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("demo.toml"),
        "name = \"Demo\"\nhomepage = \"https://demo.example/\"\n[engine]\nkind = \"json_ld\"\n",
    )
    .unwrap();
    let fixtures = dir.path().join("fixtures/demo");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::write(fixtures.join("robe.html"), product_page("Robe midi", "29.99", Some("49.99"))).unwrap();
    std::fs::write(
        fixtures.join("robe.expected.json"),
        r#"{"url": "https://demo.example/p/robe", "offers": [{"name": "Robe midi", "price": "24.99", "previous_price": "49.990"}]}"#,
    )
    .unwrap();
    let output = dealcast().args(["--scrapers", dir.path().to_str().unwrap(), "shop", "check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    assert!(report.contains("FAIL  demo/robe"), "{report}");
    assert!(report.contains("offer 1: price: expected \"24.99\", got \"29.99\""), "{report}");
    assert!(!report.contains("previous_price"), "49.990 equals 49.99: {report}");
}

#[tokio::test]
async fn scrape_dry_run_crawls_a_shop_and_prints_json_lines_and_a_summary() {
    let mut routes = HashMap::new();
    routes.insert(
        "/promos".to_string(),
        Behaviour::Page {
            content_type: "text/html",
            body: br#"<html><body><a class="p" href="/p/1">1</a><a class="p" href="/p/2?utm_source=x">2</a>
                <a class="p" href="/p/2">2 again</a><a rel="next" href="/promos?page=2">next</a></body></html>"#
                .to_vec(),
        },
    );
    routes.insert(
        "/promos?page=2".to_string(),
        Behaviour::Page { content_type: "text/html", body: br#"<html><a class="p" href="/p/3">3</a></html>"#.to_vec() },
    );
    routes.insert(
        "/p/1".to_string(),
        Behaviour::Page { content_type: "text/html", body: product_page("Robe", "29.99", Some("49.99")) },
    );
    routes.insert(
        "/p/2".to_string(),
        Behaviour::Page { content_type: "text/html", body: product_page("Jean", "35.00", None) },
    );
    routes.insert("/p/3".to_string(), Behaviour::Status { status: 500, headers: Vec::new() });
    let server = loopback_shop::start(routes).await;
    let output = support::cli::scrape_dry_run(format!(
        "name = \"Loopback\"\nhomepage = \"{}\"\n[crawl]\nstart_urls = [\"{}\"]\nproduct_links = \"a.p\"\n\
         pagination = \"a[rel=next]\"\n[politeness]\nmin_delay_ms = 0\nmax_concurrency = 8\n",
        server.url("/"),
        server.url("/promos")
    ))
    .await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut names: Vec<String> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["Jean", "Robe"], "one offer per canonical URL");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(summary.contains("Total: 5 pages, 2 offers, 1 errors"), "{summary}");
    assert!(summary.contains("http_5xx 1"), "{summary}");
}
