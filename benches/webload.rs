//! The web load generator: fills the database `dealcast serve` uses with a large synthetic catalogue (by default
//! 1,000,000 scored offers over 20 shops and 10,000,000 price observations), so that the home page with filters and
//! search can be measured with `wrk` at the size the project aims for (see docs/benchmarks.md, "Load-testing the web UI").
//!
//! ```sh
//! cargo bench --bench webload -- --offers 1000000 --observations 10
//! cargo run --release -- serve &
//! wrk -t2 -c50 -d30s --latency 'http://127.0.0.1:8080/?q=chausure&min_discount=20'
//! ```
//!
//! The rows are made by PostgreSQL itself (`generate_series`), in batches, which is far faster than any client-side
//! insert: titles combine French product words, colours and adjectives so that full-text and trigram search have
//! realistic matches; prices, verdicts and scores are spread deterministically. Offers go into shops named
//! `bench_1`..`bench_N`, and into the search index (`store::search_index`, as a harvest does); existing `bench_*`
//! shops are deleted first (with their offers, history and search rows), so the generator
//! can be re-run and leaves other data alone. The database is the one `dealcast` is configured with
//! (`DATABASE_URL`, or the private cluster in `./.dealcast`, or `DEALCAST_DATA_DIR`). It is not a test
//! (`harness = false`): it prints how long each step took.
//!
//! With `--rescore` it then measures the hourly rescoring (`harvest::rescoring`): a first rescoring of the
//! whole catalogue (the generator's scores have no parts, so nearly every offer is written), then, after moving
//! the reduction start of one active offer in twenty two days back (a material change of its freshness), a second
//! one at the same instant, which writes only those: time, offers read and rows written. `--skip-fill` measures on
//! the catalogue already there.
//!
//! With `--web-during-rescore` it serves the catalogue in-process and loads it with the webload scenarios, all at
//! once (`--connections N` clients, 50 by default, as `run.sh` uses), for `--baseline-secs` (20) before any
//! rescoring and then throughout the rescorings above: one line per scenario and per period, with p50, p95 and p99
//! (`webload/during_rescore.rs`). The rescorings run on the web's runtime, as `dealcast run` has them;
//! `--rescore-apart` runs them on a thread and runtime of their own, as a separate `dealcast worker` would. `benches/rescoring.md` has the figures.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use dealcast::config::{Config, Overrides};
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::rescoring::{RescoreOptions, RescoreReport, rescore_active};
use dealcast::store::{Store, search_index};
use sqlx::PgPool;

#[path = "webload/during_rescore.rs"]
mod during_rescore;

/// Offers inserted per statement: large enough to amortise the round trip, small enough to show progress.
const BATCH: i64 = 100_000;

struct Options {
    offers: i64,
    observations: i64,
    shops: i64,
    rescore: bool,
    skip_fill: bool,
    /// Load the web with the scenarios before and while the rescorings run.
    web_during_rescore: bool,
    /// With `web_during_rescore`: run the rescorings on a runtime of their own, on another thread.
    rescore_apart: bool,
    connections: i64,
    baseline_secs: i64,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        offers: 1_000_000,
        observations: 10,
        shops: 20,
        rescore: false,
        skip_fill: false,
        web_during_rescore: false,
        rescore_apart: false,
        connections: 50,
        baseline_secs: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> anyhow::Result<i64> {
            let value = args.next().with_context(|| format!("{name} needs a number"))?;
            value.replace('_', "").parse().with_context(|| format!("{name}: {value:?} is not a number"))
        };
        match arg.as_str() {
            "--offers" => options.offers = number("--offers")?,
            "--observations" => options.observations = number("--observations")?,
            "--shops" => options.shops = number("--shops")?,
            "--rescore" => options.rescore = true,
            "--skip-fill" => options.skip_fill = true,
            "--web-during-rescore" => options.web_during_rescore = true,
            "--rescore-apart" => options.rescore_apart = true,
            "--connections" => options.connections = number("--connections")?,
            "--baseline-secs" => options.baseline_secs = number("--baseline-secs")?,
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            other => bail!(
                "unknown argument {other:?} (use --offers N, --observations PER_OFFER, --shops N, --rescore, \
                 --skip-fill, --web-during-rescore, --rescore-apart, --connections N, --baseline-secs N)"
            ),
        }
    }
    if options.offers < 1 || options.shops < 1 || options.observations < 1 || options.connections < 1 {
        bail!("--offers, --observations, --shops and --connections must be at least 1");
    }
    Ok(options)
}

/// Runs one statement and says how long it took.
async fn step(pool: &PgPool, what: &str, sql: &'static str, binds: &[i64]) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut query = sqlx::query(sql);
    for value in binds {
        query = query.bind(*value);
    }
    let done = query.execute(pool).await.with_context(|| format!("{what} failed"))?;
    eprintln!("{what}: {} rows in {:.1} s", done.rows_affected(), started.elapsed().as_secs_f64());
    Ok(())
}

const SHOPS: &str = "INSERT INTO shops (id, name, homepage)
    SELECT 'bench_' || g, 'Boutique ' || g, 'https://shop' || g || '.example/' FROM generate_series(1, $1) g";

/// Offers $1..=$2 over $3 shops. Every attribute derives from the number g through its own hash (PostgreSQL's
/// `hashint8extended(g, seed)`, one seed per attribute), so that a re-run makes the same catalogue and attributes are independent of each other (with
/// `g * prime % n` instead, "Chaussures" were never reduced and every filtered search found nothing).
const OFFERS: &str = "
INSERT INTO offers (shop_id, canonical_url, url, title, brand, category, image_url, currency, price, previous_price,
    availability, first_seen_at, last_seen_at, verdict, reference_price, real_discount_pct, claimed_discount_pct,
    reduction_started_at, score, judged_at, active)
SELECT 'bench_' || (1 + g % $3), u, u, t, b, c, NULL, 'EUR', p, prev, 'in_stock', now() - interval '60 days', now(),
    v, ref, CASE WHEN ref IS NULL THEN NULL ELSE round((ref - p) * 100 / ref, 2) END,
    CASE WHEN prev IS NULL THEN NULL ELSE round((prev - p) * 100 / prev, 2) END,
    now() - ((g % 240) * interval '1 hour'), sc, now(), g % 50 <> 0
FROM (
    SELECT g,
        'https://shop' || (1 + g % $3) || '.example/p/' || g AS u,
        (ARRAY['Chaussures', 'Baskets', 'Robe', 'Jean', 'Veste', 'Manteau', 'Aspirateur', 'Casque audio', 'Cafetière',
               'Montre', 'Sac à dos', 'Lampe', 'Perceuse', 'Tondeuse', 'Canapé', 'Matelas', 'Parfum', 'Crème hydratante',
               'Téléviseur', 'Smartphone', 'Ordinateur portable', 'Trottinette', 'Vélo', 'Poussette'])[1 + (hashint8extended(g, 1) & 1073741823) % 24]
          || ' ' || (ARRAY['running', 'en cuir', 'sans fil', 'connecté', 'compact', 'pliable', 'imperméable', 'bio',
               'en coton', 'à induction', 'ergonomique', 'de voyage'])[1 + (hashint8extended(g, 2) & 1073741823) % 12]
          || ' ' || (ARRAY['noir', 'blanc', 'rouge', 'bleu marine', 'vert', 'beige', 'gris', 'rose'])[1 + (hashint8extended(g, 3) & 1073741823) % 8]
          || ' ' || (hashint8extended(g, 4) & 1073741823) % 997 AS t,
        (ARRAY['Kiabi', 'Dyson', 'Nike', 'Adidas', 'Philips', 'Bosch', 'Samsung', 'L''Oréal', 'Decathlon', 'Seb',
               'Moulinex', 'Levi''s'])[1 + (hashint8extended(g, 5) & 1073741823) % 12] AS b,
        (ARRAY['Mode', 'Maison', 'High-tech', 'Beauté', 'Sport', 'Jardin', 'Bricolage', 'Enfant'])[1 + (hashint8extended(g, 6) & 1073741823) % 8] AS c,
        p, prev, ref, v,
        round((greatest(0, coalesce((ref - p) * 100 / ref, 0)) + (hashint8extended(g, 7) & 1073741823) % 7 * 2
               + CASE v WHEN 'honest' THEN 10 WHEN 'inflated' THEN -50 ELSE 0 END)::numeric, 2) AS sc
    FROM generate_series($1, $2) g
    CROSS JOIN LATERAL (SELECT round((5 + (hashint8extended(g, 8) & 1073741823) % 50000 / 100.0)::numeric, 2) AS base) b0
    CROSS JOIN LATERAL (SELECT round(base * (100 - (hashint8extended(g, 9) & 1073741823) % 70) / 100, 2) AS p) p0
    CROSS JOIN LATERAL (SELECT
        CASE WHEN (hashint8extended(g, 10) & 1073741823) % 4 = 0 THEN NULL ELSE base END AS prev,
        CASE WHEN (hashint8extended(g, 10) & 1073741823) % 4 = 0 THEN NULL WHEN (hashint8extended(g, 11) & 1073741823) % 5 = 0 THEN NULL WHEN (hashint8extended(g, 11) & 1073741823) % 3 = 0 THEN p
             ELSE base END AS ref,
        CASE WHEN (hashint8extended(g, 10) & 1073741823) % 4 = 0 THEN NULL WHEN (hashint8extended(g, 11) & 1073741823) % 5 = 0 THEN 'unverified' WHEN (hashint8extended(g, 11) & 1073741823) % 3 = 0
             THEN 'inflated' ELSE 'honest' END AS v) r0
) rows";

/// $2 observations a day apart for each bench offer with id in [$1, $1 + BATCH): the price, 10 % higher on every
/// third day.
const OBSERVATIONS: &str = "
INSERT INTO price_observations (offer_id, observed_at, currency, price, previous_price, availability)
SELECT o.id, now() - (k * interval '1 day'), 'EUR', round(o.price * CASE WHEN k % 3 = 0 THEN 1.1 ELSE 1 END, 2),
    o.previous_price, 'in_stock'
FROM offers o CROSS JOIN generate_series(1, $2) k
WHERE o.id >= $1 AND o.id < $1 + $3 AND o.shop_id LIKE 'bench\\_%'";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let options = options()?;
    let overrides = Overrides {
        database_url: std::env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()),
        data_dir: std::env::var_os("DEALCAST_DATA_DIR").map(PathBuf::from),
        ..Overrides::default()
    };
    let (config, _) = Config::load(None, &overrides).context("could not load the configuration")?;
    let store = Store::open(&config.store_settings()).await?;
    let pool = store.pool();
    if !options.skip_fill {
        fill(pool, &options).await?;
    }
    if options.web_during_rescore {
        measure_web_during_rescoring(&store, &config, &options).await?;
    } else if options.rescore {
        measure_rescoring(pool).await?;
    }
    store.close().await?;
    Ok(())
}

/// Fills the database with the bench catalogue.
async fn fill(pool: &PgPool, options: &Options) -> anyhow::Result<()> {
    let started = Instant::now();
    step(pool, "delete earlier bench shops", "DELETE FROM shops WHERE id LIKE 'bench\\_%'", &[]).await?;
    step(pool, "shops", SHOPS, &[options.shops]).await?;
    let mut first = 1;
    while first <= options.offers {
        let last = (first + BATCH - 1).min(options.offers);
        step(pool, &format!("offers {first}..{last}"), OFFERS, &[first, last, options.shops]).await?;
        first = last + 1;
    }
    let (low, high): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT min(id), max(id) FROM offers WHERE shop_id LIKE 'bench\\_%'").fetch_one(pool).await?;
    if let (Some(low), Some(high)) = (low, high) {
        let mut from = low;
        while from <= high {
            step(pool, &format!("observations of offers {from}.."), OBSERVATIONS, &[from, options.observations, BATCH])
                .await?;
            from += BATCH;
        }
    }
    // The search index, shop by shop as a harvest fills it (one set-based statement each).
    for shop in 1..=options.shops {
        let started = Instant::now();
        let written = search_index::refresh_shop(pool, &format!("bench_{shop}"))
            .await
            .with_context(|| format!("indexing the offers of bench_{shop} for search failed"))?;
        eprintln!("search index of bench_{shop}: {written} rows in {:.1} s", started.elapsed().as_secs_f64());
    }
    step(pool, "analyze", "ANALYZE offers, price_observations, shops, offer_search, search_words", &[]).await?;
    eprintln!("filled in {:.1} s", started.elapsed().as_secs_f64());
    println!("Now serve it and load it, e.g.:");
    println!("  cargo run --release -- serve");
    println!("  wrk -t2 -c50 -d30s --latency 'http://127.0.0.1:8080/?min_discount=20&shop=bench_3'");
    println!("  wrk -t2 -c50 -d30s --latency 'http://127.0.0.1:8080/?q=chausure+noir&max_price=200'");
    Ok(())
}

/// One active bench offer in twenty has its reduction start moved two days back: its freshness, and so its score,
/// changes materially (unless its score is zero anyway).
const AGE_ONE_IN_TWENTY: &str = "UPDATE offers SET reduction_started_at = reduction_started_at - interval '48 hours'
    WHERE shop_id LIKE 'bench\\_%' AND active AND reduction_started_at IS NOT NULL
      AND (hashint8extended(id, 12) & 1073741823) % 20 = 0";

/// One rescoring of the catalogue at `now`, timed and printed as `what`.
async fn rescore_once(pool: &PgPool, now: chrono::DateTime<chrono::Utc>, what: &str) -> anyhow::Result<RescoreReport> {
    let started = Instant::now();
    let report = rescore_active(pool, &ScoreWeights::default(), now, &RescoreOptions::default())
        .await
        .with_context(|| format!("{what} failed"))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{what}: {} offers read in {} batches, {} scores written ({:.2} %), {} search rows written, \
         {} promotions ended: {seconds:.1} s ({:.1} µs per offer read)",
        report.examined,
        report.batches,
        report.rewritten,
        100.0 * report.rewritten as f64 / report.examined.max(1) as f64,
        report.search_rows,
        report.ended,
        seconds * 1e6 / report.examined.max(1) as f64
    );
    Ok(report)
}

const FIRST_RESCORING: &str = "first rescoring (every generated score gets its parts)";
const FIVE_PERCENT: &str = "rescoring with 5 % changed";

/// Rescores the catalogue three times (see the module documentation) and prints what each run did.
async fn measure_rescoring(pool: &PgPool) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    rescore_once(pool, now, FIRST_RESCORING).await?;
    step(pool, "one active offer in twenty aged by two days", AGE_ONE_IN_TWENTY, &[]).await?;
    rescore_once(pool, now, FIVE_PERCENT).await?;
    rescore_once(pool, now, "rescoring with nothing changed").await?;
    Ok(())
}

/// [`rescore_once`] on the web's runtime, as `dealcast run` runs its worker next to its web server or, `apart`, on a
/// runtime of its own on another thread with its own connection, as a separate `dealcast worker` process would
/// (sharing the machine's cores, not the web's threads).
async fn rescore_beside_web(
    pool: &PgPool,
    now: chrono::DateTime<chrono::Utc>,
    what: &'static str,
    apart: bool,
) -> anyhow::Result<RescoreReport> {
    if !apart {
        return rescore_once(pool, now, what).await;
    }
    let options = (*pool.connect_options()).clone();
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async move {
            let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with(options).await?;
            let report = rescore_once(&pool, now, what).await;
            pool.close().await;
            report
        })
    })
    .await?
}

/// The rescorings of [`measure_rescoring`] (the first two) while the web is loaded with the webload scenarios, and
/// the web's latency before and during each (see `during_rescore`).
async fn measure_web_during_rescoring(store: &Store, config: &Config, options: &Options) -> anyhow::Result<()> {
    use during_rescore::{Load, report, scenarios};
    let pool = store.pool();
    // The web's own pool, as `dealcast serve` makes it; the page cache off: every request does its work.
    let connections =
        config.web.database_connections.map_or(dealcast::config::WebConfig::DEFAULT_DATABASE_CONNECTIONS, |n| n.get());
    let web_pool =
        store.side_pool(connections, dealcast::store::supervisor::QUICK_ACQUIRE, Some(config.web.statement_timeout()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("could not listen on loopback")?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = dealcast::web::WebState::new(web_pool.clone(), url::Url::parse(&base)?).with_deal_index(true);
    let index = state.deal_index().context("the in-memory lists are on")?.clone();
    let (stop_web, web_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dealcast::web::serve(listener, state, async move {
        let _ = web_stopped.await;
    }));
    let started = Instant::now();
    index.catch_up(&web_pool).await.context("could not build the in-memory deal lists")?;
    eprintln!("in-memory deal lists built in {:.1} s", started.elapsed().as_secs_f64());

    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
    let scenario_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/webload");
    let scenarios = std::sync::Arc::new(scenarios(&scenario_dir, &base, &client).await?);
    let connections = usize::try_from(options.connections).unwrap_or(50);
    let load = Load::start(&base, std::sync::Arc::clone(&scenarios), connections, &client);
    // A short warm-up, as `run.sh` does, then the baseline.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let baseline = Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs(options.baseline_secs.unsigned_abs())).await;
    let now = chrono::Utc::now();
    let first = Instant::now();
    rescore_beside_web(pool, now, FIRST_RESCORING, options.rescore_apart).await?;
    let first_done = Instant::now();
    step(pool, "one active offer in twenty aged by two days", AGE_ONE_IN_TWENTY, &[]).await?;
    let five = Instant::now();
    rescore_beside_web(pool, now, FIVE_PERCENT, options.rescore_apart).await?;
    let five_done = Instant::now();
    let samples = load.stop().await?;
    let rescoring_ran = if options.rescore_apart {
        "on a runtime of its own (as a separate `dealcast worker`)"
    } else {
        "on the web's runtime (as in `dealcast run`)"
    };
    println!(
        "{connections} clients, every scenario at once, page cache off, lists in memory; rescoring {rescoring_ran}"
    );
    report("no rescoring", (baseline, first), &scenarios, &samples);
    report(FIRST_RESCORING, (first, first_done), &scenarios, &samples);
    report(FIVE_PERCENT, (five, five_done), &scenarios, &samples);
    let _ = stop_web.send(());
    server.await.context("the web server failed")??;
    web_pool.close().await;
    Ok(())
}
