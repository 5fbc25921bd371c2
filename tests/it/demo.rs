//! `dealcast demo` as a newcomer runs it: a fresh data directory, no configuration, no credentials, no
//! `DATABASE_URL`, no network beyond loopback. Within a minute the UI must show the demo shop's deals, the fake
//! discount flagged, and the posts a dry-run account would make.

use crate::support;

use std::time::Duration;

use support::demo_process::DemoProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_deals_a_flagged_fake_discount_and_would_be_posts_within_a_minute() {
    let mut demo = DemoProcess::start("demo-test", 2);
    let (url, said) = (demo.url.clone(), &demo.said);
    assert!(said.contains("Fake discount caught: \"Casque audio sans fil"), "{said}");
    assert!(said.contains("chez Boutique Démo"), "a would-be post is printed:\n{said}");

    let http = reqwest::Client::new();
    let home = http.get(&url).send().await.unwrap().text().await.unwrap();
    for product in ["Doudoune légère à capuche", "Lampe de bureau LED orientable", "Casque audio sans fil"] {
        assert!(home.contains(product), "{product} missing from the home page");
    }
    let inflated = http.get(format!("{url}?verdict=inflated")).send().await.unwrap().text().await.unwrap();
    assert!(inflated.contains("Casque audio sans fil") && inflated.contains("Fausse réduction"), "{inflated}");
    assert!(!inflated.contains("Doudoune"), "only the fake discount is inflated");
    let publications = http.get(format!("{url}publications")).send().await.unwrap().text().await.unwrap();
    assert!(publications.contains("demo") && publications.contains("Lampe de bureau"), "{publications}");

    // A live round: the shop changes prices and is scraped again.
    let round = demo.next_line(Duration::from_secs(60)).expect("a live round");
    assert!(round.starts_with("Round 1: prices moved, 8 offers scraped again"), "{round}");

    let status = demo.stop();
    assert!(status.success(), "the demo stops cleanly on SIGTERM: {status}");
}
