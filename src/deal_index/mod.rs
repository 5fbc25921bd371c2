//! The deal lists of a web server, answered from memory: a copy of the search rows (`offer_search`) built into sets
//! of offer positions in score order ([`Snapshot`], layered as [`Lists`]), kept current by search generation
//! (migration 0015), with the offers of each page still read from PostgreSQL.
//!
//! It exists for the web's load target (a million offers, 50 connections on two cores, which leaves about a millisecond
//! of processor per request): PostgreSQL choosing a page of a search with filters, or of a category above a price,
//! costs many times that budget. In memory the same choice takes microseconds; the request then costs PostgreSQL one
//! statement: the page's offers (tested again, as for a search: an offer ended or repriced since the last refresh never
//! shows outside its filters) with the database's search generation.
//!
//! Consistency: a page chosen in memory is shown only when that statement finds the lists' generation still the
//! database's; otherwise `store::deal_queries::list_deals` answers (the same offers, chosen by PostgreSQL) while one
//! background task catches up:
//! it reads the rows stamped after the lists' generation and the deletions, and lays the changed offers over the
//! last base snapshot (milliseconds for a harvest's thousands), or builds a new base once the changes reach a
//! twentieth of it (a first load reads and builds everything). So a list is never older than the last refresh, as
//! before, and no request waits for a build. Searches using websearch syntax beyond a list of words (phrases,
//! `-word`, `or`) are always PostgreSQL's.
//!
//! Cost: the server's memory grows with the scored offers (the rows kept for catching up, and the lists), and the
//! first load reads and builds everything, during which PostgreSQL answers. The figures at a million offers come from
//! the web load benchmark (`benches/webload.rs`).

mod layers;
mod search_terms;
mod snapshot;
mod source;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use rust_decimal::Decimal;
use sqlx::PgPool;

pub use self::layers::Lists;
use self::layers::REBUILD_SHARE;
pub use self::search_terms::{SearchTerms, WordCache};
pub use self::snapshot::Snapshot;
use self::source::IndexSource;
use crate::store::deal_queries::{self, DealFilter, DealRow};

/// The lists as of one generation.
#[derive(Debug, Clone)]
pub struct Current {
    /// The generation they answer for (a catch-up that changed no offer relabels the same lists).
    pub generation: i64,
    /// The lists themselves.
    pub lists: Arc<Lists>,
    /// Every shop's (id, name), by name, as of that generation.
    pub shop_names: Arc<[(String, String)]>,
    /// The terms of the query words searched in that generation.
    pub words: Arc<WordCache>,
}

impl Current {
    /// The shops `shop` names: the shop with that id, and any shop with that name in any case (as the shop filter
    /// of `deal_queries::list_deals`, with Unicode's lower case for PostgreSQL's `lower`).
    fn shop_ids(&self, shop: &str) -> Vec<String> {
        let lower = shop.to_lowercase();
        let mut ids: Vec<String> = self
            .shop_names
            .iter()
            .filter(|(id, name)| id == shop || name.to_lowercase() == lower)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}

/// A web server's in-memory deal lists; clones share them.
#[derive(Debug, Clone, Default)]
pub struct DealIndex {
    /// The latest lists.
    current: Arc<RwLock<Option<Current>>>,
    /// What the lists are built from, held by whoever brings them up to date (one at a time).
    held: Arc<tokio::sync::Mutex<Option<Held>>>,
}

/// The rows the lists are built from, the latest base snapshot, and what changed since it was built.
#[derive(Debug)]
struct Held {
    source: IndexSource,
    base: Arc<Snapshot>,
    /// The offers changed since the base was built, with their score in it (`None`: not in it).
    changed: HashMap<i64, Option<Decimal>>,
}

impl DealIndex {
    /// Lists not loaded yet: the first request that needs them starts loading them.
    pub fn new() -> DealIndex {
        DealIndex::default()
    }

    /// The deals of `filter`, as [`deal_queries::list_deals`] gives them, chosen in memory when the lists are
    /// current.
    pub async fn list_deals(&self, pool: &PgPool, filter: &DealFilter) -> Result<Vec<DealRow>, sqlx::Error> {
        let Some(current) = self.current() else {
            self.start_catch_up(pool);
            return deal_queries::list_deals(pool, filter).await;
        };
        let shop_ids = filter.shop.as_deref().map(|shop| current.shop_ids(shop));
        let ids = match deal_queries::search_text(filter) {
            // No shop by that name: an empty page, if the lists are current (checked below).
            _ if shop_ids.as_ref().is_some_and(Vec::is_empty) => Vec::new(),
            None => current.lists.page(filter, shop_ids.as_deref(), None),
            Some(text) => match SearchTerms::of(pool, text, &current.words).await? {
                Some(terms) => current.lists.page(filter, shop_ids.as_deref(), Some(&terms)),
                None => return deal_queries::list_deals(pool, filter).await,
            },
        };
        // The page's offers, read with the database's generation: when it is no longer the lists', PostgreSQL
        // chooses the page instead and the lists catch up.
        match deal_queries::read_listed_of_generation(pool, ids, filter, shop_ids.as_deref(), current.generation)
            .await?
        {
            Some(rows) => Ok(rows),
            None => {
                self.start_catch_up(pool);
                deal_queries::list_deals(pool, filter).await
            }
        }
    }

    /// The latest lists, if any were built.
    pub fn current(&self) -> Option<Current> {
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Every shop's (id, name), by name, as of the latest lists (`None`: none were built yet).
    pub fn shop_names(&self) -> Option<Arc<[(String, String)]>> {
        self.current().map(|current| current.shop_names)
    }

    /// Brings the lists up to the database's generation now (after a catch-up already running, if any); returns
    /// that generation.
    pub async fn catch_up(&self, pool: &PgPool) -> Result<i64, sqlx::Error> {
        let mut held = self.held.lock().await;
        self.catch_up_holding(pool, &mut held).await
    }

    /// Starts bringing the lists up to date in the background, unless that is already running.
    pub fn start_catch_up(&self, pool: &PgPool) {
        let Ok(mut held) = Arc::clone(&self.held).try_lock_owned() else {
            return;
        };
        let (index, pool) = (self.clone(), pool.clone());
        tokio::spawn(async move {
            if let Err(error) = index.catch_up_holding(&pool, &mut held).await {
                tracing::warn!(%error, "could not bring the in-memory deal lists up to date; PostgreSQL answers");
            }
        });
    }

    /// Catches up with what `held` holds (`None`: not loaded, or lost by a failed catch-up: then every row is read
    /// again): the changed rows make an overlay over the base, or a new base once they are many.
    async fn catch_up_holding(&self, pool: &PgPool, held: &mut Option<Held>) -> Result<i64, sqlx::Error> {
        let started = Instant::now();
        let (source, base, changed, rebuild) = match held.take() {
            None => (IndexSource::load(pool).await?, None, HashMap::new(), true),
            Some(Held { mut source, base, mut changed }) => {
                let now_changed = source.catch_up(pool).await?;
                if now_changed.is_empty()
                    && let Some(current) = self.current()
                {
                    // No offer changed: the same lists (and the words asked) answer for the new generation, with
                    // the shops as they are now (a renamed shop changes no offer).
                    let generation = source.generation;
                    let shop_names = source.shop_names.clone().into();
                    *held = Some(Held { source, base, changed });
                    self.publish(Current { generation, shop_names, ..current });
                    return Ok(generation);
                }
                for (offer_id, before) in now_changed {
                    changed.entry(offer_id).or_insert(before);
                }
                let rebuild = changed.len() * REBUILD_SHARE > base.len();
                (source, Some(base), changed, rebuild)
            }
        };
        let read = started.elapsed();
        let generation = source.generation;
        let shop_names: Arc<[(String, String)]> = source.shop_names.clone().into();
        // Building sorts offers (a second for a million): off the request threads.
        let (kept, lists) = tokio::task::spawn_blocking(move || match base {
            Some(base) if !rebuild => {
                let lists = Lists::over(Arc::clone(&base), &source, &changed);
                (Held { source, base, changed }, lists)
            }
            _ => {
                let base = Arc::new(Snapshot::build(&source, source.offers.values()));
                (Held { source, base: Arc::clone(&base), changed: HashMap::new() }, Lists::whole(base))
            }
        })
        .await
        .map_err(|error| sqlx::Error::Protocol(format!("building the deal lists failed: {error}")))?;
        tracing::info!(
            generation,
            offers = lists.len(),
            overlaid = lists.overlaid(),
            read_millis = read.as_millis(),
            build_millis = (started.elapsed() - read).as_millis(),
            "in-memory deal lists built"
        );
        *held = Some(kept);
        let words = Arc::new(WordCache::default());
        self.publish(Current { generation, lists: Arc::new(lists), shop_names, words });
        Ok(generation)
    }

    /// Makes `current` the lists requests use.
    fn publish(&self, current: Current) {
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(current);
    }
}
