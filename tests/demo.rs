//! `dealcast demo` as a newcomer runs it: a fresh data directory, no configuration, no credentials, no
//! `DATABASE_URL`, no network beyond loopback. Within a minute the UI must show the demo shop's deals, the fake
//! discount flagged, and the posts a dry-run account would make.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_deals_a_flagged_fake_discount_and_would_be_posts_within_a_minute() {
    let data_dir = std::env::temp_dir().join(format!("dealcast-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dealcast"))
        .args(["demo", "--listen", "127.0.0.1:0", "--round-secs", "2"])
        .env("DEALCAST_DATA_DIR", &data_dir)
        .env("DEALCAST_CONFIG", "/dev/null")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .current_dir(&data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start dealcast demo");
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    let mut said = Vec::new();
    let url = loop {
        let line = receiver.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the demo did not show its URL within 60 s; it said:\n{}", said.join("\n"))
        });
        said.push(line.clone());
        if let Some(rest) = line.strip_prefix("Open ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let said = said.join("\n");
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
    let round = receiver.recv_timeout(Duration::from_secs(60)).expect("a live round");
    assert!(round.starts_with("Round 1: prices moved, 8 offers scraped again"), "{round}");

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "the demo stops cleanly on SIGTERM: {status}");
    let _ = std::fs::remove_dir_all(&data_dir);
}
