//! Per-host politeness: how many requests may be in flight to a host, how long to wait between two of them, and a
//! pause a host asked for (429 Retry-After), all kept per host for the fetcher's life with its robots.txt verdict.
//!
//! Hand-written rather than `governor`: a host's spacing changes while we crawl it (its robots.txt `Crawl-delay`,
//! a shop file's override, a Retry-After that must hold back every request to the host), and a delay of zero must
//! cost nothing on the benchmark's hot path. That is one small mutex-guarded "earliest next start" per host, never
//! held across an await, plus a tokio semaphore for concurrency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::robots::RobotsVerdict;

/// How politely one host is crawled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPolicy {
    /// The least time between the starts of two requests to the host.
    pub min_delay: Duration,
    /// The most requests in flight to the host at once (at least 1; 0 is read as 1).
    pub max_concurrency: usize,
}

impl HostPolicy {
    /// Safe for a real shop: one request a second, two at a time.
    pub const POLITE: HostPolicy = HostPolicy { min_delay: Duration::from_secs(1), max_concurrency: 2 };
    /// No spacing and wide concurrency: for loopback benchmarks and test servers only.
    pub const LIFTED: HostPolicy = HostPolicy { min_delay: Duration::ZERO, max_concurrency: 64 };

    fn concurrency(self) -> usize {
        self.max_concurrency.max(1)
    }
}

impl Default for HostPolicy {
    fn default() -> Self {
        HostPolicy::POLITE
    }
}

/// Identifies a host for politeness and robots.txt: host name and port (robots.txt is per origin, and a test
/// server on another port is another site).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct HostKey {
    pub host: String,
    pub port: u16,
}

/// Everything kept about one host.
pub(crate) struct HostEntry {
    in_flight: Semaphore,
    pacing: Mutex<Pacing>,
    /// The host's robots.txt verdict, fetched by the first request that needs it while the others wait.
    pub robots: OnceCell<RobotsVerdict>,
}

struct Pacing {
    policy: HostPolicy,
    /// The robots.txt `Crawl-delay`, which can only make the spacing longer.
    crawl_delay: Duration,
    /// The earliest moment the next request may start.
    next_start: Instant,
}

impl Pacing {
    fn spacing(&self) -> Duration {
        self.policy.min_delay.max(self.crawl_delay)
    }
}

/// The right to send one request to a host now; the concurrency slot is given back on drop.
pub(crate) struct HostPermit<'a> {
    _slot: Option<SemaphorePermit<'a>>,
}

impl HostEntry {
    fn new(policy: HostPolicy) -> Self {
        HostEntry {
            in_flight: Semaphore::new(policy.concurrency()),
            pacing: Mutex::new(Pacing { policy, crawl_delay: Duration::ZERO, next_start: Instant::now() }),
            robots: OnceCell::new(),
        }
    }

    fn pacing(&self) -> std::sync::MutexGuard<'_, Pacing> {
        // The guarded data is a few plain values always left consistent, so a panic elsewhere cannot spoil it.
        self.pacing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a concurrency slot, then for the host's spacing (and any pause it asked for), and returns the
    /// permit to send one request.
    pub async fn acquire(&self) -> HostPermit<'_> {
        // The semaphore is never closed, so acquiring cannot fail; if it ever did, sending without a slot is better
        // than panicking, and the spacing below still holds.
        let slot = self.in_flight.acquire().await.ok();
        loop {
            let wait_until = {
                let mut pacing = self.pacing();
                let now = Instant::now();
                if pacing.next_start <= now {
                    pacing.next_start = now + pacing.spacing();
                    None
                } else {
                    Some(pacing.next_start)
                }
            };
            match wait_until {
                None => break,
                // Not a reservation: after waking we look again, so a pause set meanwhile (429) is honoured.
                Some(moment) => tokio::time::sleep_until(moment).await,
            }
        }
        HostPermit { _slot: slot }
    }

    /// Holds back every request to the host until `wait` from now (a Retry-After), unless already held longer.
    pub fn pause_for(&self, wait: Duration) {
        let mut pacing = self.pacing();
        let until = Instant::now() + wait;
        if until > pacing.next_start {
            pacing.next_start = until;
        }
    }

    /// Applies the robots.txt `Crawl-delay`.
    pub fn set_crawl_delay(&self, delay: Duration) {
        self.pacing().crawl_delay = delay;
    }

    /// The spacing in force: the policy's delay, raised by any `Crawl-delay`.
    pub fn spacing(&self) -> Duration {
        self.pacing().spacing()
    }

    fn set_policy(&self, policy: HostPolicy) {
        let old = std::mem::replace(&mut self.pacing().policy, policy);
        let (old, new) = (old.concurrency(), policy.concurrency());
        if new > old {
            self.in_flight.add_permits(new - old);
        } else if new < old {
            // Only idle slots can be taken away at once; requests in flight finish under the old limit.
            self.in_flight.forget_permits(old - new);
        }
    }
}

/// All hosts seen so far and the policies set for them.
#[derive(Default)]
pub(crate) struct HostTable {
    entries: RwLock<HashMap<HostKey, Arc<HostEntry>>>,
    /// Policies set by host name (no port): they apply to every port of the host.
    overrides: RwLock<HashMap<String, HostPolicy>>,
}

impl HostTable {
    /// The entry for a host, created with its policy on first use.
    pub fn entry(&self, key: &HostKey, default_policy: HostPolicy) -> Arc<HostEntry> {
        if let Some(entry) = self.entries.read().unwrap_or_else(PoisonError::into_inner).get(key) {
            return Arc::clone(entry);
        }
        let policy = self
            .overrides
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key.host)
            .copied()
            .unwrap_or(default_policy);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(entries.entry(key.clone()).or_insert_with(|| Arc::new(HostEntry::new(policy))))
    }

    /// Sets a host's policy, for hosts already seen as well as for those to come.
    pub fn set_policy(&self, host: &str, policy: HostPolicy) {
        let host = host.to_ascii_lowercase();
        self.overrides.write().unwrap_or_else(PoisonError::into_inner).insert(host.clone(), policy);
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        for (key, entry) in entries.iter() {
            if key.host == host {
                entry.set_policy(policy);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(host: &str) -> HostKey {
        HostKey { host: host.to_string(), port: 443 }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_to_a_host_are_spaced_by_its_min_delay() {
        let entry = HostEntry::new(HostPolicy { min_delay: Duration::from_millis(500), max_concurrency: 4 });
        let start = Instant::now();
        drop(entry.acquire().await);
        drop(entry.acquire().await);
        drop(entry.acquire().await);
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_raises_the_spacing_but_never_lowers_it() {
        let entry = HostEntry::new(HostPolicy { min_delay: Duration::from_secs(1), max_concurrency: 1 });
        entry.set_crawl_delay(Duration::from_secs(3));
        assert_eq!(entry.spacing(), Duration::from_secs(3));
        entry.set_crawl_delay(Duration::from_millis(10));
        assert_eq!(entry.spacing(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_the_next_request_even_with_no_spacing() {
        let entry = HostEntry::new(HostPolicy::LIFTED);
        drop(entry.acquire().await);
        entry.pause_for(Duration::from_secs(2));
        let start = Instant::now();
        drop(entry.acquire().await);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_capped_and_a_zero_limit_means_one() {
        let entry = HostEntry::new(HostPolicy { min_delay: Duration::ZERO, max_concurrency: 0 });
        let first = entry.acquire().await;
        assert!(tokio::time::timeout(Duration::from_secs(1), entry.acquire()).await.is_err());
        drop(first);
        assert!(tokio::time::timeout(Duration::from_secs(1), entry.acquire()).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_policy_set_later_reaches_hosts_already_seen() {
        let table = HostTable::default();
        let entry = table.entry(&key("shop.example"), HostPolicy::POLITE);
        table.set_policy("Shop.Example", HostPolicy::LIFTED);
        assert_eq!(entry.spacing(), Duration::ZERO);
        let permits: Vec<_> = futures::future::join_all((0..64).map(|_| entry.acquire())).await;
        assert_eq!(permits.len(), 64);
        let fresh = table.entry(&HostKey { host: "shop.example".into(), port: 80 }, HostPolicy::POLITE);
        assert_eq!(fresh.spacing(), Duration::ZERO);
        assert_eq!(table.entry(&key("other.example"), HostPolicy::POLITE).spacing(), Duration::from_secs(1));
    }
}
