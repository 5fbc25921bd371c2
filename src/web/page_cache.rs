//! Rendered deal lists kept for a few seconds: the home page and `/api/deals`, keyed by everything their answer
//! depends on (the filter as its canonical query string, the language, whether the visitor chose it).
//!
//! It exists because the deals only change when a harvest or a judge writes them (every few minutes at most), while
//! the same popular lists ("the best deals", "this shop", a trending search) are asked for many times a second; a
//! list rendered anew costs about a millisecond of CPU (chosen in memory by `deal_index`, its offers read from
//! PostgreSQL, the page rendered; many more when PostgreSQL chooses), a cached page microseconds. A page is at most
//! `ttl` old (10 s by default, `[web] page_cache_secs`; 0 turns the cache off), and when many visitors ask for the
//! same missing page at once, one of them renders it and the others wait for that answer (moka's `try_get_with`),
//! so a burst never turns into a burst of identical queries. Nothing personal is cached: these pages are the same
//! for every visitor of a language, and admin pages never go through here.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;

/// The most bytes of rendered pages kept; the least used go first beyond it.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Rendered pages by key, each kept for the cache's time to live.
#[derive(Clone)]
pub struct PageCache {
    pages: moka::future::Cache<String, Bytes>,
    ttl: Duration,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache").field("ttl", &self.ttl).field("pages", &self.pages.entry_count()).finish()
    }
}

impl PageCache {
    /// A cache keeping each page for `ttl`.
    pub fn new(ttl: Duration) -> PageCache {
        let pages = moka::future::Cache::builder()
            .max_capacity(MAX_BYTES)
            .weigher(|key: &String, page: &Bytes| u32::try_from(key.len() + page.len()).unwrap_or(u32::MAX))
            .time_to_live(ttl)
            .build();
        PageCache { pages, ttl }
    }

    /// How long a page is kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The page under `key`: kept, or made by `render` (once, however many ask at the same time). A failed render
    /// is not kept: the next request tries again.
    pub async fn page<E, F>(&self, key: String, render: F) -> Result<Bytes, Arc<E>>
    where
        F: Future<Output = Result<Bytes, E>>,
        E: Send + Sync + 'static,
    {
        self.pages.try_get_with(key, render).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_page_is_rendered_once_within_its_time_to_live_and_again_after() {
        let cache = PageCache::new(Duration::from_millis(200));
        let renders = AtomicUsize::new(0);
        let render = || async {
            let n = renders.fetch_add(1, Ordering::SeqCst) + 1;
            Ok::<_, std::convert::Infallible>(Bytes::from(format!("page {n}")))
        };
        assert_eq!(cache.page("home".into(), render()).await.unwrap(), "page 1");
        assert_eq!(cache.page("home".into(), render()).await.unwrap(), "page 1");
        assert_eq!(cache.page("other".into(), render()).await.unwrap(), "page 2");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(cache.page("home".into(), render()).await.unwrap(), "page 3");
    }

    #[tokio::test]
    async fn a_failed_render_is_not_kept() {
        let cache = PageCache::new(Duration::from_secs(60));
        let failed = cache.page("home".into(), async { Err::<Bytes, _>("database down") }).await;
        assert_eq!(failed.unwrap_err().as_ref(), &"database down");
        let page = cache.page("home".into(), async { Ok::<_, &str>(Bytes::from_static(b"deals")) }).await.unwrap();
        assert_eq!(page, "deals");
    }
}
