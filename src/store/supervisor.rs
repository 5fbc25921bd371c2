//! Watching the database while a long-running command (`dealcast run`) runs, so that a PostgreSQL that goes away
//! (the out-of-memory killer, a stray `kill -9`, a server restarted by its operator) is noticed and dealcast carries
//! on by itself when it is back.
//!
//! Every second the watcher asks the database `SELECT 1` through a pool with a short acquire timeout. When dealcast
//! started the private cluster, it also looks at the postmaster: a server that is gone is started again with
//! [`LocalCluster::revive`], under the same lock as a first start (so of several dealcast processes on one data
//! directory, one starts it and the others find it running), with a growing pause between failed attempts and a
//! log line each time. With `DATABASE_URL` the server is not dealcast's to start: the watcher only waits for it.
//! The pools drop their dead connections themselves (each connection is tested before it is handed out).
//!
//! What the watcher learns goes in a [`DatabaseHealth`] that the web server reads: while the database is away,
//! requests answer 503 at once instead of waiting for a connection, and `/healthz` and `/metrics` say when the
//! database was last unavailable and how many times the private server was restarted.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::watch;

use crate::store::local_cluster::LocalCluster;

/// How often a healthy database is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long one check may take before the database counts as not answering.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// The pause after a first failed check or restart, doubled after each further failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// What is known about the database's availability, shared between the watcher and the web server.
#[derive(Debug, Clone, Default)]
pub struct DatabaseHealth {
    state: Arc<Mutex<HealthSnapshot>>,
}

/// The database's availability at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthSnapshot {
    /// Since when the database has not answered, while it does not.
    pub unavailable_since: Option<DateTime<Utc>>,
    /// The last moment the database was seen not answering (now or in the past).
    pub last_unavailable: Option<DateTime<Utc>>,
    /// How many times this process started the private server again after it went away.
    pub restarts: u64,
}

impl HealthSnapshot {
    pub fn is_available(&self) -> bool {
        self.unavailable_since.is_none()
    }
}

impl DatabaseHealth {
    pub fn new() -> DatabaseHealth {
        DatabaseHealth::default()
    }

    pub fn snapshot(&self) -> HealthSnapshot {
        self.lock().clone()
    }

    pub fn is_available(&self) -> bool {
        self.lock().is_available()
    }

    /// Records that the database does not answer at `now`; true when it answered until now.
    pub fn mark_unavailable(&self, now: DateTime<Utc>) -> bool {
        let mut state = self.lock();
        state.last_unavailable = Some(now);
        let newly = state.unavailable_since.is_none();
        if newly {
            state.unavailable_since = Some(now);
        }
        newly
    }

    /// Records that the database answers; returns since when it had not, if it had not.
    pub fn mark_available(&self) -> Option<DateTime<Utc>> {
        self.lock().unavailable_since.take()
    }

    pub fn count_restart(&self) {
        self.lock().restarts += 1;
    }

    fn lock(&self) -> MutexGuard<'_, HealthSnapshot> {
        // The state is a few plain fields, always consistent: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The watcher of one store's database.
#[derive(Debug, Clone)]
pub struct Supervisor {
    /// The private cluster to start again when it goes away; `None` for a server named by `DATABASE_URL`.
    cluster: Option<LocalCluster>,
    /// A pool with a short acquire timeout, asked `SELECT 1`.
    probe: PgPool,
    health: DatabaseHealth,
}

impl Supervisor {
    pub fn new(cluster: Option<LocalCluster>, probe: PgPool, health: DatabaseHealth) -> Supervisor {
        Supervisor { cluster, probe, health }
    }

    /// Watches until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = FIRST_BACKOFF;
        while !*stop.borrow() {
            let pause = if self.check().await {
                backoff = FIRST_BACKOFF;
                CHECK_EVERY
            } else {
                let pause = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                pause
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One round: brings the private server back if it is gone, then asks the database. True when it answers.
    async fn check(&self) -> bool {
        if let Some(cluster) = &self.cluster
            && !self.private_server_runs(cluster).await
        {
            self.health.mark_unavailable(Utc::now());
            tracing::warn!(pgdata = %cluster.pgdata().display(), "the private PostgreSQL server is gone; starting it again");
            let reviving = cluster.clone();
            match tokio::task::spawn_blocking(move || reviving.revive()).await {
                Ok(Ok(true)) => {
                    self.health.count_restart();
                    tracing::warn!(
                        restarts = self.health.snapshot().restarts,
                        "restarted the private PostgreSQL server after it went away (PostgreSQL recovered from its \
                         write-ahead log)"
                    );
                }
                Ok(Ok(false)) => tracing::info!("another dealcast process restarted the private PostgreSQL server"),
                Ok(Err(error)) => {
                    tracing::error!(%error, "could not restart the private PostgreSQL server; trying again soon");
                    return false;
                }
                Err(error) => {
                    tracing::error!(%error, "the restart of the private PostgreSQL server did not finish");
                    return false;
                }
            }
        }
        let answer = tokio::time::timeout(PROBE_TIMEOUT, sqlx::query("SELECT 1").execute(&self.probe)).await;
        match answer {
            Ok(Ok(_)) => {
                if let Some(since) = self.health.mark_available() {
                    let seconds = (Utc::now() - since).num_milliseconds() as f64 / 1000.0;
                    tracing::warn!(unavailable_secs = seconds, "the database answers again");
                }
                true
            }
            failed => {
                let error = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
                };
                if self.health.mark_unavailable(Utc::now()) {
                    tracing::warn!(%error, "the database does not answer; waiting for it to come back");
                }
                false
            }
        }
    }

    /// Whether the private cluster's postmaster runs (a failure to tell counts as running: the probe decides).
    async fn private_server_runs(&self, cluster: &LocalCluster) -> bool {
        let cluster = cluster.clone();
        match tokio::task::spawn_blocking(move || cluster.is_running()).await {
            Ok(Ok(running)) => running,
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not tell whether the private PostgreSQL server runs");
                true
            }
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_remembered_after_the_database_is_back() {
        let health = DatabaseHealth::new();
        assert!(health.is_available());
        let first = DateTime::parse_from_rfc3339("2026-12-07T17:00:00Z").unwrap().with_timezone(&Utc);
        let later = first + chrono::Duration::seconds(2);
        assert!(health.mark_unavailable(first), "the first failed check starts the outage");
        assert!(!health.mark_unavailable(later), "the next one continues it");
        assert!(!health.is_available());
        health.count_restart();
        assert_eq!(health.mark_available(), Some(first));
        assert_eq!(health.mark_available(), None, "already back");
        assert_eq!(
            health.snapshot(),
            HealthSnapshot { unavailable_since: None, last_unavailable: Some(later), restarts: 1 }
        );
    }
}
