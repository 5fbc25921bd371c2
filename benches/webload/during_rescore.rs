//! The web's latency while the hourly rescoring runs (issue 14's acceptance: the webload scenarios' p95 stays under
//! 50 ms). The bench serves the catalogue in its own process as `dealcast serve` does (the web's own pool with its
//! statement timeout, the deal lists in memory), with the page cache off so that every request chooses its page and
//! reads its offers, and drives it with concurrent clients taking the webload scenarios in turn: the same `*.paths`
//! files as `run.sh`, the second pages of a few lists and the long tail of 20,000 distinct searches. Every request
//! is timed with its start, so that one run tells apart the requests made before any rescoring and those made while
//! each rescoring ran.
//!
//! Written here rather than driven by `run.sh`: `wrk` is not installed where this runs, and `run.sh` runs its
//! scenarios one after the other, while a rescoring lasts less than their sum: here they all run at once, mixed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// One kind of request, as a `*.paths` file of `benches/webload/` holds it.
pub struct Scenario {
    pub name: String,
    paths: Vec<String>,
    /// The next path to ask (each request takes the next one, as `rotate.lua` does).
    next: AtomicUsize,
}

impl Scenario {
    fn new(name: &str, paths: Vec<String>) -> Scenario {
        Scenario { name: name.to_owned(), paths, next: AtomicUsize::new(0) }
    }

    fn next_path(&self) -> &str {
        &self.paths[self.next.fetch_add(1, Ordering::Relaxed) % self.paths.len()]
    }
}

/// The scenario files of `run.sh`, in its order (the second pages and the long tail are made apart).
const SCENARIO_FILES: [&str; 6] =
    ["home", "shop_discount", "category_price", "search_word", "search_typo", "search_filter"];

/// The lists whose second page is a scenario, as in `run.sh`.
const SECOND_PAGES_OF: [&str; 5] =
    ["", "shop=bench_3&min_discount=20", "category=Mode&max_price=80", "q=aspirateur", "q=chausure+noir&max_price=200"];

/// The paths of a scenario file: one a line, `#` comments and blank lines left out.
fn paths_of(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).map(str::to_owned).collect()
}

/// Every scenario of `run.sh`, for the site at `base`: the files of `dir`, the second pages (their cursors asked
/// from the site's API, as they depend on the data) and the long tail (`long_tail.awk`, run by `awk`).
pub async fn scenarios(dir: &Path, base: &str, client: &reqwest::Client) -> anyhow::Result<Vec<Scenario>> {
    let mut scenarios = Vec::new();
    for name in SCENARIO_FILES {
        let file = dir.join(format!("{name}.paths"));
        let text = std::fs::read_to_string(&file).with_context(|| format!("could not read {}", file.display()))?;
        scenarios.push(Scenario::new(name, paths_of(&text)));
    }
    let mut second_pages = Vec::new();
    for query in SECOND_PAGES_OF {
        let answer: serde_json::Value = client
            .get(format!("{base}/api/deals?{query}"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("could not ask /api/deals?{query}"))?
            .json()
            .await?;
        let Some(next) = answer["next"].as_str() else { bail!("no second page for ?{query}") };
        let separator = if query.is_empty() { "" } else { "&" };
        second_pages.push(format!("/?{query}{separator}after={next}"));
    }
    scenarios.push(Scenario::new("page2", second_pages));
    let awk = std::process::Command::new("awk")
        .arg("-f")
        .arg(dir.join("long_tail.awk"))
        .output()
        .context("could not run awk for the long tail (benches/webload/long_tail.awk)")?;
    if !awk.status.success() {
        bail!("long_tail.awk failed: {}", String::from_utf8_lossy(&awk.stderr));
    }
    scenarios.push(Scenario::new("search_long_tail", paths_of(&String::from_utf8_lossy(&awk.stdout))));
    if let Some(empty) = scenarios.iter().find(|scenario| scenario.paths.is_empty()) {
        bail!("the scenario {} has no path", empty.name);
    }
    Ok(scenarios)
}

/// One request: its scenario, when it started, how long it took, whether it was answered 200.
#[derive(Clone, Copy)]
pub struct Sample {
    scenario: usize,
    started: Instant,
    took: Duration,
    ok: bool,
}

/// Clients asking the site without pause until stopped.
pub struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<Vec<Sample>>>,
}

impl Load {
    /// `connections` clients asking `base`, each taking the scenarios in turn (client `i` starting at scenario `i`),
    /// each scenario its paths in turn.
    pub fn start(base: &str, scenarios: Arc<Vec<Scenario>>, connections: usize, client: &reqwest::Client) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..connections)
            .map(|first| {
                let (base, scenarios, stop, client) =
                    (base.to_owned(), Arc::clone(&scenarios), Arc::clone(&stop), client.clone());
                tokio::spawn(async move {
                    let mut samples = Vec::new();
                    let mut scenario = first % scenarios.len();
                    while !stop.load(Ordering::Relaxed) {
                        let url = format!("{base}{}", scenarios[scenario].next_path());
                        let started = Instant::now();
                        let ok = match client.get(&url).send().await {
                            Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                            Err(_) => false,
                        };
                        samples.push(Sample { scenario, started, took: started.elapsed(), ok });
                        scenario = (scenario + 1) % scenarios.len();
                    }
                    samples
                })
            })
            .collect();
        Load { stop, clients }
    }

    /// Stops the clients (each after its request in flight) and returns every request made.
    pub async fn stop(self) -> anyhow::Result<Vec<Sample>> {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples = Vec::new();
        for client in self.clients {
            samples.extend(client.await.context("a load client failed")?);
        }
        Ok(samples)
    }
}

/// The `p`-th percentile (0 < p ≤ 100) of `sorted` (nearest rank), in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// Prints, for the requests started within `window`, one line per scenario and one for all: how many, how many
/// not answered 200, p50, p95, p99 and the slowest, and requests per second.
pub fn report(what: &str, window: (Instant, Instant), scenarios: &[Scenario], samples: &[Sample]) {
    let seconds = (window.1 - window.0).as_secs_f64();
    println!("web during {what} ({seconds:.1} s):");
    let within: Vec<&Sample> = samples.iter().filter(|s| s.started >= window.0 && s.started < window.1).collect();
    let line = |name: &str, chosen: Vec<&Sample>| {
        let failed = chosen.iter().filter(|s| !s.ok).count();
        let mut took: Vec<Duration> = chosen.iter().map(|s| s.took).collect();
        if took.is_empty() {
            println!("  {name:<17} no request");
            return;
        }
        took.sort_unstable();
        println!(
            "  {name:<17} requests={} non_200={failed} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1} max_ms={:.1} \
             req_per_s={:.1}",
            took.len(),
            percentile_ms(&took, 50.0),
            percentile_ms(&took, 95.0),
            percentile_ms(&took, 99.0),
            took[took.len() - 1].as_secs_f64() * 1000.0,
            took.len() as f64 / seconds.max(f64::EPSILON)
        );
    };
    for (index, scenario) in scenarios.iter().enumerate() {
        line(&scenario.name, within.iter().copied().filter(|s| s.scenario == index).collect());
    }
    line("all", within);
}
