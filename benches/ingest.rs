//! The ingest benchmark: how fast dealcast's own store path (`harvest::ingest::store_offers`, the one a harvest uses,
//! with dedupe by canonical URL, GTIN links and price history) stores the 20,000 products of the bench shop,
//! first as new offers and then re-seen with about 40 % changed prices, plus the judging of the offers that got an
//! observation (30-day rule and score). It exists to compare with the raw PostgreSQL COPY + upsert of
//! `../shared/bench/pg/pg_ingest.py` (the `copy_merge` method of `pg_ingest_baseline.sh`), which it runs itself, on
//! the same server and in the same repetitions, alternating which goes first: on a shared machine only rates
//! measured side by side can be compared.
//!
//! ```sh
//! python3 ../shared/bench/gen_shop.py --out /tmp/shopbench
//! python3 ../shared/bench/gen_shop.py --out /tmp/shopbench-e1 --price-epoch 1 --no-gzip
//! cargo bench --bench ingest -- /tmp/shopbench/expected.jsonl /tmp/shopbench-e1/expected.jsonl
//! ```
//!
//! The files may also be named by `DEALCAST_BENCH_EXPECTED` and `DEALCAST_BENCH_EXPECTED_CHANGED`;
//! `DEALCAST_BENCH_REPS` sets the repetitions (default 3, medians reported), `DEALCAST_BENCH_BATCH` another batch
//! size than the harvest's `BATCH_SIZE`. The baseline runs with `PYTHON` (a Python with psycopg 3, default
//! `/tmp/scrapy-venv/bin/python`, as the baseline script's) and `DEALCAST_BENCH_BASELINE` (default
//! `<crate>/../shared/bench/pg/pg_ingest.py`); without them the bench says so and prints dealcast's rates alone.
//! The database is a private cluster in a temporary directory (durable settings, as a fresh `initdb` gives them, like
//! the baseline's), or the server named by `DATABASE_URL` (its `offers`, `price_observations` and
//! `scrape_runs` are emptied and the baseline's `deals` table is created: use a throwaway database). Offers are built
//! from `expected.jsonl` as the crawler would report them and normalised by `scrape::normalize`; the crawl itself is
//! not measured. It is not a test (`harness = false`), so it prints its figures rather than asserting them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::BATCH_SIZE;
use dealcast::harvest::ingest::{PARALLEL_BATCHES, StoreOutcome, store_batches};
use dealcast::harvest::judgements::judge_offers;
use dealcast::scrape::normalize::{NormalizedOffer, normalize};
use dealcast::scrape::offer::{Availability, OfferKind, RawOffer};
use dealcast::store::scrape_runs::start_run;
use dealcast::store::{Store, StoreSettings};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgPool;

const SHOP: &str = "bazar_demo";

/// One line of gen_shop.py's `expected.jsonl` (the fields an extractor reports).
#[derive(Deserialize)]
struct Expected {
    sku: String,
    gtin13: Option<String>,
    url: String,
    name: String,
    brand: Option<String>,
    price: Decimal,
    old_price: Option<Decimal>,
    currency: String,
    availability: Option<String>,
    image: Option<String>,
}

fn load(path: &PathBuf) -> anyhow::Result<Vec<NormalizedOffer>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut offers = Vec::new();
    for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let e: Expected =
            serde_json::from_str(line).with_context(|| format!("{} line {}", path.display(), number + 1))?;
        let raw = RawOffer {
            kind: OfferKind::Product,
            name: e.name,
            url: Some(e.url),
            price: Some(e.price),
            previous_price: e.old_price,
            currency: Some(e.currency),
            availability: e.availability.as_deref().and_then(Availability::parse),
            gtin: e.gtin13,
            sku: Some(e.sku),
            brand: e.brand,
            image: e.image,
            engine: "bench".to_string(),
            ..RawOffer::default()
        };
        let offer = normalize(&raw, None, "EUR")
            .map_err(|reason| anyhow::anyhow!("{} line {}: {reason}", path.display(), number + 1))?;
        offers.push(offer);
    }
    Ok(offers)
}

/// What one pass measured.
struct Pass {
    store: Duration,
    judge: Duration,
    outcome: StoreOutcome,
}

/// Stores `offers` as one run, in batches as a harvest does, then judges the offers that got an observation.
async fn pass(pool: &PgPool, offers: &[NormalizedOffer], batch_size: usize, at: DateTime<Utc>) -> anyhow::Result<Pass> {
    let run = start_run(pool, SHOP, "bench", at).await?;
    // As the baseline does before each pass: dirty pages of the previous pass are not this pass's cost.
    let _ = sqlx::query("CHECKPOINT").execute(pool).await;
    let started = Instant::now();
    let outcome = store_batches(pool, SHOP, run, offers, batch_size, at).await?;
    let store = started.elapsed();
    let started = Instant::now();
    judge_offers(pool, &outcome.observed, &ScoreWeights::default(), at).await?;
    Ok(Pass { store, judge: started.elapsed(), outcome })
}

fn rate(rows: usize, took: Duration) -> f64 {
    rows as f64 / took.as_secs_f64()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

async fn bench(first: PathBuf, changed: PathBuf, reps: usize, batch_size: usize) -> anyhow::Result<()> {
    let new_offers = load(&first)?;
    let changed_offers = load(&changed)?;
    let data_dir = tempfile::Builder::new().prefix("dealcast-bench-").tempdir()?;
    let settings = StoreSettings {
        database_url: std::env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()),
        data_dir: data_dir.path().to_path_buf(),
        pg_bin_dir: std::env::var_os("DEALCAST_PG_BIN_DIR").map(PathBuf::from),
        // As many connections as the store path keeps batches in flight (the service's pool is larger still).
        max_connections: PARALLEL_BATCHES as u32,
        connect_timeout: Duration::from_secs(60),
    };
    let store = Store::open(&settings).await?;
    // The baseline connects with libpq, which reads sqlx's URLs (the private cluster's names its socket directory).
    let dsn = match (&settings.database_url, store.cluster()) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(cluster)) => Some(cluster.url(dealcast::pg::local_cluster::DATABASE)),
        (None, None) => None,
    };
    let baseline = dsn.and_then(|dsn| Baseline::find(dsn, first.clone()));
    let outcome = run_reps(store.pool(), baseline.as_ref(), &new_offers, &changed_offers, reps, batch_size).await;
    store.close().await?;
    outcome
}

async fn run_reps(
    pool: &PgPool,
    baseline: Option<&Baseline>,
    new_offers: &[NormalizedOffer],
    changed_offers: &[NormalizedOffer],
    reps: usize,
    batch_size: usize,
) -> anyhow::Result<()> {
    let version: String = sqlx::query_scalar("SELECT version()").fetch_one(pool).await?;
    eprintln!("# {version}\n# offers per pass: {}, batch size {batch_size}, {reps} repetitions", new_offers.len());
    sqlx::query(
        "INSERT INTO shops (id, name, homepage) VALUES ($1, 'Bazar demo', 'http://127.0.0.1:8080/') \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(SHOP)
    .execute(pool)
    .await?;
    let day0: DateTime<Utc> = "2026-10-01T06:00:00Z".parse()?;
    let day1 = day0 + chrono::Duration::days(1);
    let (mut inserts, mut updates, mut judge_new, mut judge_changed) = (vec![], vec![], vec![], vec![]);
    let (mut raw_inserts, mut raw_updates) = (vec![], vec![]);
    for rep in 1..=reps {
        // Alternating which goes first cancels the drift of a shared machine's load between the two.
        if let Some(baseline) = baseline.filter(|_| rep % 2 == 1) {
            let (insert, update) = baseline.run().await?;
            raw_inserts.push(insert);
            raw_updates.push(update);
        }
        sqlx::query("TRUNCATE offers, price_observations, scrape_runs RESTART IDENTITY CASCADE").execute(pool).await?;
        let first = pass(pool, new_offers, batch_size, day0).await?;
        if first.outcome.new != new_offers.len() as u64 {
            bail!("the first pass stored {} new offers, not {}", first.outcome.new, new_offers.len());
        }
        let second = pass(pool, changed_offers, batch_size, day1).await?;
        if second.outcome.new != 0 || second.outcome.seen != changed_offers.len() as u64 {
            bail!("the second pass saw {} offers, {} of them new", second.outcome.seen, second.outcome.new);
        }
        if let Some(baseline) = baseline.filter(|_| rep % 2 == 0) {
            let (insert, update) = baseline.run().await?;
            raw_inserts.push(insert);
            raw_updates.push(update);
        }
        let raw = match (baseline, raw_inserts.last(), raw_updates.last()) {
            (Some(baseline), Some(insert), Some(update)) => format!(
                "   raw: insert {:8.0} update {:8.0} rows/s",
                rate(baseline.rows, *insert),
                rate(baseline.rows, *update)
            ),
            _ => String::new(),
        };
        eprintln!(
            "rep {rep}  new: {:7.3} s {:8.0} rows/s  (judge {:6.3} s)   re-seen: {:7.3} s {:8.0} rows/s, {} changed \
             (judge {:6.3} s, {:6.0} offers/s){raw}",
            first.store.as_secs_f64(),
            rate(new_offers.len(), first.store),
            first.judge.as_secs_f64(),
            second.store.as_secs_f64(),
            rate(changed_offers.len(), second.store),
            second.outcome.changed,
            second.judge.as_secs_f64(),
            rate(second.outcome.observed.len(), second.judge),
        );
        inserts.push(first.store);
        updates.push(second.store);
        judge_new.push(first.judge);
        judge_changed.push(second.judge);
    }
    let new_rate = rate(new_offers.len(), median(inserts.clone()));
    let seen_rate = rate(changed_offers.len(), median(updates.clone()));
    // Judging is a separate step of a harvest (it reads the history the store path wrote); shown beside, so that a
    // faster store path cannot hide a slower judgement.
    let with_judging = |stores: &[Duration], judges: &[Duration]| {
        median(stores.iter().zip(judges).map(|(store, judge)| *store + *judge).collect())
    };
    println!("| medians of {reps} | rows/s | s |");
    println!("|---|---:|---:|");
    let row = |what: &str, rows: usize, took: Duration| {
        println!("| {what} | {:.0} | {:.3} |", rate(rows, took), took.as_secs_f64());
    };
    row(&format!("dealcast: {} new offers (store path)", new_offers.len()), new_offers.len(), median(inserts.clone()));
    row(
        &format!("dealcast: {} re-seen, ~40 % changed prices (store path)", changed_offers.len()),
        changed_offers.len(),
        median(updates.clone()),
    );
    row("dealcast: new offers, store then judge", new_offers.len(), with_judging(&inserts, &judge_new));
    row("dealcast: re-seen offers, store then judge", changed_offers.len(), with_judging(&updates, &judge_changed));
    let Some(baseline) = baseline else {
        println!("\nraw PostgreSQL baseline not run: no ratio, target not checked");
        return Ok(());
    };
    let raw_insert = rate(baseline.rows, median(raw_inserts));
    let raw_update = rate(baseline.rows, median(raw_updates));
    println!("| raw PostgreSQL COPY + upsert (pg_ingest.py copy_merge): insert | {raw_insert:.0} | |");
    println!("| raw PostgreSQL COPY + upsert (pg_ingest.py copy_merge): update | {raw_update:.0} | |");
    println!();
    for (what, dealcast, raw) in
        [("new offers / raw insert", new_rate, raw_insert), ("re-seen / raw update", seen_rate, raw_update)]
    {
        let ratio = dealcast / raw;
        let verdict = if ratio >= TARGET_RATIO { "met" } else { "NOT met" };
        println!(
            "{what}: {dealcast:.0} / {raw:.0} rows/s = {:.0} % (target >= {:.0} %: {verdict})",
            ratio * 100.0,
            TARGET_RATIO * 100.0
        );
    }
    Ok(())
}

/// The target: dealcast's store path at least half as fast as raw PostgreSQL, measured in the same run.
const TARGET_RATIO: f64 = 0.5;

/// The raw PostgreSQL baseline: `pg_ingest.py`'s `copy_merge` (one COPY of every row into a temporary table and one
/// `INSERT ... ON CONFLICT DO UPDATE`, in one transaction) on the bench's own server.
struct Baseline {
    python: PathBuf,
    script: PathBuf,
    dsn: String,
    expected: PathBuf,
    /// Rows per pass (the lines of `expected`).
    rows: usize,
}

impl Baseline {
    /// The baseline if its script and a Python to run it are there; otherwise says why it will not run.
    fn find(dsn: String, expected: PathBuf) -> Option<Baseline> {
        let python =
            PathBuf::from(std::env::var("PYTHON").unwrap_or_else(|_| "/tmp/scrapy-venv/bin/python".to_string()));
        let script = std::env::var_os("DEALCAST_BENCH_BASELINE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/pg/pg_ingest.py"));
        for (what, path) in [("Python (PYTHON)", &python), ("baseline script (DEALCAST_BENCH_BASELINE)", &script)] {
            if !path.exists() {
                eprintln!("# raw baseline skipped: no {what} at {}", path.display());
                return None;
            }
        }
        let rows = std::fs::read_to_string(&expected).ok()?.lines().filter(|line| !line.trim().is_empty()).count();
        Some(Baseline { python, script, dsn, expected, rows })
    }

    /// One repetition: the insert pass and the update pass, as the script timed them (client time included).
    async fn run(&self) -> anyhow::Result<(Duration, Duration)> {
        let json = tempfile::Builder::new().prefix("pg-ingest-").suffix(".json").tempfile()?;
        let output = tokio::process::Command::new(&self.python)
            .arg(&self.script)
            .args(["--dsn", &self.dsn, "--reps", "1", "--methods", "copy_merge", "--expected"])
            .arg(&self.expected)
            .arg("--json-out")
            .arg(json.path())
            .output()
            .await
            .with_context(|| format!("running {}", self.script.display()))?;
        if !output.status.success() {
            bail!("the raw baseline failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(json.path())?)?;
        let seconds = |phase: &str| {
            summary["methods"]["copy_merge"][phase][0]
                .as_f64()
                .map(Duration::from_secs_f64)
                .with_context(|| format!("no copy_merge {phase} time in the baseline's summary"))
        };
        Ok((seconds("insert_s")?, seconds("update_s")?))
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench` to harness-less benches: only the other arguments are ours.
    let mut paths = std::env::args().skip(1).filter(|arg| !arg.starts_with("--"));
    let first = paths
        .next()
        .or_else(|| std::env::var("DEALCAST_BENCH_EXPECTED").ok())
        .unwrap_or_else(|| "/tmp/shopbench/expected.jsonl".to_string());
    let changed = paths
        .next()
        .or_else(|| std::env::var("DEALCAST_BENCH_EXPECTED_CHANGED").ok())
        .unwrap_or_else(|| "/tmp/shopbench-e1/expected.jsonl".to_string());
    let reps = std::env::var("DEALCAST_BENCH_REPS").ok().and_then(|r| r.parse().ok()).filter(|r| *r > 0).unwrap_or(3);
    // Other batch sizes than the harvest's, to see what a batch's fixed costs weigh.
    let batch_size = std::env::var("DEALCAST_BENCH_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .filter(|b| *b > 0)
        .unwrap_or(BATCH_SIZE);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ingest bench: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(first.into(), changed.into(), reps, batch_size)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ingest bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
