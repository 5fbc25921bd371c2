//! A harvest: one scrape of one shop, stored and judged. It ties the crawler to the store: offers are normalised as they
//! arrive, stored in batches while the crawl goes on, and when the crawl ends well the offers it did not see move
//! towards ending; offers whose price moved are judged again (30-day rule, score); the search index learns the new
//! and retitled offers (`store::search_index`); the run is recorded in `scrape_runs` whatever happens, and the
//! shop's kept counts follow (`store::kept_counts`).

pub mod ingest;
pub mod judgements;
pub mod rescore_jobs;
pub mod rescoring;
pub mod scrape_jobs;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use tokio::sync::mpsc;
use url::Url;

use crate::deals::score::ScoreWeights;
use crate::scrape::crawl::{CrawlOptions, CrawlReport, Progress, ShopOffer, crawl_shop};
use crate::scrape::fetch::Fetcher;
use crate::scrape::normalize::{NormalizedOffer, normalize};
use crate::scrape::registry::Shop;
use crate::store::crawl_pages;
use crate::store::health::{self, HealthVerdict};
use crate::store::kept_counts;
use crate::store::scrape_runs::{self, RunCounts, RunStatus};
use crate::store::search_index;
use ingest::StoreOutcome;

/// How many offers are stored in one batch.
pub const BATCH_SIZE: usize = 1000;

/// How many successful runs in a row must miss an offer before it ends: one run can miss an offer that is still on
/// sale (a listing page that moved, a product shown to some visitors only); two in a row say it is gone.
pub const RUNS_TO_END: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("storing the offers of {shop} failed: {source}")]
    Store {
        shop: String,
        #[source]
        source: sqlx::Error,
    },
}

/// What one harvest did.
#[derive(Debug, Clone)]
pub struct Harvest {
    pub run_id: i64,
    pub status: RunStatus,
    pub report: CrawlReport,
    pub counts: RunCounts,
    /// Offers with a new price observation, to be judged again.
    pub observed: Vec<i64>,
    /// Whether the run looks like the shop's usual ones (a broken scraper does not).
    pub health: HealthVerdict,
}

/// A clock, so that tests can scrape "30 days later" without waiting.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock (the application clock, `jobs::app_clock`, which only a test build can shift).
pub fn system_clock() -> Clock {
    Arc::new(crate::jobs::app_clock::now)
}

/// Crawls `shop` and stores what it finds, as run of `worker`.
pub async fn harvest_shop(
    pool: &PgPool,
    fetcher: &Fetcher,
    shop: &Shop,
    options: &CrawlOptions,
    worker: &str,
    weights: &ScoreWeights,
    clock: &Clock,
) -> Result<Harvest, HarvestError> {
    let store_error = |source| HarvestError::Store { shop: shop.id.clone(), source };
    ingest::register_shop(pool, shop).await.map_err(store_error)?;
    let started = clock();
    let run_id = scrape_runs::start_run(pool, &shop.id, worker, started).await.map_err(store_error)?;
    kept_counts::recount_shop(pool, &shop.id).await.map_err(store_error)?;
    let crawl = &shop.spec.crawl;
    let refresh = TimeDelta::days(i64::from(crawl.refresh_days.get()));
    let memory = crawl_pages::load(pool, &shop.id, started, refresh, crawl.reads_cards()).await.map_err(store_error)?;
    let options = CrawlOptions { memory: Some(Arc::new(memory)), ..options.clone() };
    let (sender, receiver) = mpsc::channel::<ShopOffer>(BATCH_SIZE * 2);
    let storer = tokio::spawn(store_as_they_come(pool.clone(), shop.clone(), run_id, receiver, Arc::clone(clock)));
    let report = crawl_shop(shop, fetcher, &options, &Arc::new(Progress::default()), &sender).await;
    drop(sender);
    let stored = storer.await;

    let mut counts = RunCounts {
        pages: report.pages,
        errors: report.errors.iter().map(|(kind, n)| (kind.to_string(), *n)).collect(),
        requests: report.requests.clone(),
        ..RunCounts::default()
    };
    let stored_well = matches!(stored, Ok(Ok(_)));
    let (status, note, observed) = match stored {
        Ok(Ok((outcome, rejected))) => {
            counts.seen = outcome.seen;
            counts.new = outcome.new;
            counts.changed = outcome.changed;
            counts.rejected = rejected.len() as u64;
            if !rejected.is_empty() {
                counts.errors.insert("rejected_offer".to_string(), rejected.len() as u64);
            }
            // A run that fetched nothing, or only errors, says nothing about which offers ended.
            let succeeded = report.pages > 0 && report.error_count() < report.pages;
            let status = if succeeded { RunStatus::Succeeded } else { RunStatus::Failed };
            (status, rejected.first().cloned(), outcome.observed)
        }
        Ok(Err(error)) => (RunStatus::Failed, Some(error.to_string()), Vec::new()),
        Err(join) => (RunStatus::Failed, Some(format!("the storing task failed: {join}")), Vec::new()),
    };
    let now = clock();
    if stored_well {
        // Only what was stored may be remembered: a page skipped next time must have its offers in the database.
        let mut unchanged = report.unchanged_offers.clone();
        unchanged.sort_unstable();
        unchanged.dedup();
        counts.seen += ingest::mark_seen(pool, &shop.id, run_id, &unchanged, now).await.map_err(store_error)?;
        crawl_pages::save(pool, &shop.id, &report.visits).await.map_err(store_error)?;
    }
    if status == RunStatus::Succeeded {
        counts.ended = ingest::end_unseen(pool, &shop.id, run_id, RUNS_TO_END, now).await.map_err(store_error)?;
    }
    let mut expired_in = ingest::expire_promotions(pool, now).await.map_err(store_error)?;
    judgements::judge_offers(pool, &observed, weights, now).await.map_err(store_error)?;
    // After storing, not while storing: the search fields stay out of the offers' write path (a search finds this
    // run's new and retitled offers from here on). Promotions that expired in other shops are refreshed too.
    expired_in.retain(|other| *other != shop.id);
    expired_in.sort_unstable();
    expired_in.dedup();
    for other in std::iter::once(&shop.id).chain(&expired_in) {
        search_index::refresh_shop(pool, other).await.map_err(store_error)?;
    }
    scrape_runs::finish_run(pool, run_id, status, &counts, note.as_deref(), now).await.map_err(store_error)?;
    let requests = &report.requests;
    tracing::info!(
        shop = %shop.id,
        requests = requests.requests(),
        fetched = requests.fetched,
        not_modified = requests.not_modified,
        skipped_by_lastmod = requests.skipped_by_lastmod,
        listing_observations = requests.listing_observations,
        product_pages = ?requests.product_pages,
        "harvest requests"
    );
    let health = health::assess_run(pool, &shop.id, run_id, now).await.map_err(store_error)?;
    // What /metrics and the shops pages show of this shop (and of the shops whose promotions expired meanwhile).
    kept_counts::recount_shops(pool, std::iter::once(&shop.id).chain(&expired_in)).await.map_err(store_error)?;
    if !health.is_healthy() {
        tracing::warn!(shop = %shop.id, reason = %health.reason().unwrap_or_default(), "the shop looks unhealthy: its latest deals are held back");
    }
    Ok(Harvest { run_id, status, report, counts, observed, health })
}

/// Normalises offers as the crawl sends them and stores them in batches. Returns what was stored and the reasons
/// offers were rejected.
async fn store_as_they_come(
    pool: PgPool,
    shop: Shop,
    run_id: i64,
    mut receiver: mpsc::Receiver<ShopOffer>,
    clock: Clock,
) -> Result<(StoreOutcome, Vec<String>), sqlx::Error> {
    let mut outcome = StoreOutcome::default();
    let mut rejected = Vec::new();
    let mut batch: Vec<NormalizedOffer> = Vec::with_capacity(BATCH_SIZE);
    let homepage: Url = shop.spec.homepage.0.clone();
    // Batches are stored while the crawl goes on, a few at a time, each on its own connection.
    let mut storing: tokio::task::JoinSet<Result<StoreOutcome, sqlx::Error>> = tokio::task::JoinSet::new();
    let send = |batch: Vec<NormalizedOffer>, storing: &mut tokio::task::JoinSet<_>| {
        let (pool, shop_id, seen_at) = (pool.clone(), shop.id.clone(), clock());
        storing.spawn(async move { ingest::store_offers(&pool, &shop_id, run_id, &batch, seen_at).await });
    };
    while let Some(found) = receiver.recv().await {
        match normalize(&found.offer, Some(&homepage), &shop.spec.currency.0) {
            Ok(offer) => batch.push(offer),
            Err(reason) => rejected.push(reason.to_string()),
        }
        if batch.len() >= BATCH_SIZE {
            while storing.len() >= ingest::PARALLEL_BATCHES {
                if let Some(done) = storing.join_next().await {
                    outcome.absorb(done.map_err(|e| sqlx::Error::Protocol(e.to_string()))??);
                }
            }
            send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH_SIZE)), &mut storing);
        }
    }
    if !batch.is_empty() {
        send(batch, &mut storing);
    }
    while let Some(done) = storing.join_next().await {
        outcome.absorb(done.map_err(|e| sqlx::Error::Protocol(e.to_string()))??);
    }
    Ok((outcome, rejected))
}
