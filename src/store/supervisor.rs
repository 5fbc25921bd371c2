//! Watching the database while a long-running command (`dealcast run`, `worker`, `serve`) runs, so that a
//! PostgreSQL that goes away (the out-of-memory killer, a stray `kill -9`, a server restarted by its operator) is
//! noticed and dealcast carries on by itself when it is back.
//!
//! Every second the watcher asks the database `SELECT 1`. When dealcast started the private cluster, it asks over
//! a new connection each time and also looks at the postmaster: a server that is gone is started again with
//! [`LocalCluster::revive`], and one that runs but has refused connections on its socket for [`REFUSING_FOR`] is
//! stopped and started again with [`LocalCluster::restart_refusing`], both under the same lock as a first start
//! (so of several dealcast processes on one data directory, one restarts it and the others find it running), with
//! a growing pause between failed attempts and a log line each time. With `DATABASE_URL` the server is not
//! dealcast's to start: the watcher only waits for it. The pools drop their dead connections themselves (each
//! connection is tested before it is handed out).
//!
//! What the watcher learns goes in a [`DatabaseHealth`]: while the database is away, web requests answer 503 at
//! once instead of waiting for a connection, the workers and publishers wait for it to come back instead of each
//! asking the dead server in turn, and `/healthz` and `/metrics` say when the database was last unavailable and
//! how many times the private server was restarted.

use std::io::ErrorKind;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::{ConnectOptions, Connection, PgPool};
use tokio::sync::watch;

use crate::pg::local_cluster::{self, ClusterError, LocalCluster};

/// How long a web request (and a check of a server named by `DATABASE_URL`) waits for a pooled connection: while
/// the database is away, a request answers 503 soon rather than hanging.
pub const QUICK_ACQUIRE: Duration = Duration::from_secs(2);
/// How often a healthy database is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long one check may take before the database counts as not answering.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// The pause after a first failed check or restart, doubled after each further failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a private server that runs and says it is ready may refuse connections before it is restarted. A
/// server recovering or stopping says so in its `postmaster.pid` and is never restarted for refusing.
pub const REFUSING_FOR: Duration = Duration::from_secs(5);

/// What is known about the database's availability, shared between the watcher and those who use the database.
#[derive(Debug, Clone)]
pub struct DatabaseHealth {
    state: Arc<Mutex<HealthSnapshot>>,
    /// Whether the database answers, for those waiting for it to come back.
    available: Arc<watch::Sender<bool>>,
}

impl Default for DatabaseHealth {
    fn default() -> DatabaseHealth {
        DatabaseHealth { state: Arc::default(), available: Arc::new(watch::Sender::new(true)) }
    }
}

/// The database's availability at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthSnapshot {
    /// Since when the database has not answered, while it does not.
    pub unavailable_since: Option<DateTime<Utc>>,
    /// The last moment the database was seen not answering (now or in the past).
    pub last_unavailable: Option<DateTime<Utc>>,
    /// How many times this process started the private server again after it went away or refused connections.
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
            self.available.send_replace(false);
        }
        newly
    }

    /// Records that the database answers; returns since when it had not, if it had not.
    pub fn mark_available(&self) -> Option<DateTime<Utc>> {
        let mut state = self.lock();
        let since = state.unavailable_since.take();
        if since.is_some() {
            self.available.send_replace(true);
        }
        since
    }

    pub fn count_restart(&self) {
        self.lock().restarts += 1;
    }

    /// Resolves once the database answers (at once when it does now).
    pub async fn wait_until_available(&self) {
        let mut available = self.available.subscribe();
        // The sender lives in `self`, so the wait cannot end with it dropped.
        let _ = available.wait_for(|up| *up).await;
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
    /// A pool with a short acquire timeout, asked `SELECT 1` (a server named by `DATABASE_URL`; the private
    /// server is asked over a new connection each time, see [`Supervisor::ask_private_server`]).
    probe: PgPool,
    health: DatabaseHealth,
}

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Answers,
    /// Not answering: gone, starting, or not reachable.
    Away,
    /// The private server's postmaster `pid` runs but its socket refuses connections.
    Refusing {
        pid: i32,
    },
}

impl Supervisor {
    pub fn new(cluster: Option<LocalCluster>, probe: PgPool, health: DatabaseHealth) -> Supervisor {
        Supervisor { cluster, probe, health }
    }

    /// Watches until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = FIRST_BACKOFF;
        // Since when the running private server has refused connections, and which one.
        let mut refusing: Option<(i32, Instant)> = None;
        while !*stop.borrow() {
            let verdict = self.check().await;
            refusing = match (verdict, refusing) {
                (Verdict::Refusing { pid }, Some((since_pid, since))) if since_pid == pid => Some((pid, since)),
                (Verdict::Refusing { pid }, _) => Some((pid, Instant::now())),
                _ => None,
            };
            if let Some((pid, since)) = refusing
                && since.elapsed() >= REFUSING_FOR
                && self.restart_refusing(pid).await
            {
                // Asked again at once: the server started anew should answer.
                refusing = None;
                backoff = FIRST_BACKOFF;
                continue;
            }
            let pause = if verdict == Verdict::Answers {
                backoff = FIRST_BACKOFF;
                CHECK_EVERY
            } else {
                let pause = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                pause
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                changed = stop.changed() => if changed.is_err() {
                    // Nobody can ask to stop any more: the command is ending.
                    return;
                },
            }
        }
    }

    /// One round: brings the private server back if it is gone, then asks the database.
    async fn check(&self) -> Verdict {
        let asked = match &self.cluster {
            Some(cluster) => {
                let pid = match self.private_server_pid(cluster).await {
                    Some(pid) => pid,
                    None => {
                        if !self.revive(cluster).await {
                            return Verdict::Away;
                        }
                        None
                    }
                };
                Self::ask_private_server(cluster).await.map_err(|error| {
                    let verdict = match pid {
                        Some(pid) if refuses(&error) => Verdict::Refusing { pid },
                        _ => Verdict::Away,
                    };
                    (error.to_string(), verdict)
                })
            }
            None => match tokio::time::timeout(PROBE_TIMEOUT, sqlx::query("SELECT 1").execute(&self.probe)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(error)) => Err((error.to_string(), Verdict::Away)),
                Err(_) => Err((format!("no answer within {} s", PROBE_TIMEOUT.as_secs()), Verdict::Away)),
            },
        };
        match asked {
            Ok(()) => {
                if let Some(since) = self.health.mark_available() {
                    let seconds = (Utc::now() - since).num_milliseconds() as f64 / 1000.0;
                    tracing::warn!(unavailable_secs = seconds, "the database answers again");
                }
                Verdict::Answers
            }
            Err((error, verdict)) => {
                if self.health.mark_unavailable(Utc::now()) {
                    tracing::warn!(%error, "the database does not answer; waiting for it to come back");
                }
                verdict
            }
        }
    }

    /// Starts the private server again after it went away; false when that failed (tried again at the next round).
    async fn revive(&self, cluster: &LocalCluster) -> bool {
        self.health.mark_unavailable(Utc::now());
        tracing::warn!(pgdata = %cluster.pgdata().display(), "the private PostgreSQL server is gone; starting it again");
        let done = "restarted the private PostgreSQL server after it went away (PostgreSQL recovered from its \
                    write-ahead log)";
        self.restart_with(cluster.clone(), done, |cluster| cluster.revive()).await
    }

    /// Stops and starts again the private server `pid`, which has refused connections for [`REFUSING_FOR`].
    async fn restart_refusing(&self, pid: i32) -> bool {
        let Some(cluster) = self.cluster.clone() else { return false };
        tracing::warn!(
            pid,
            refusing_secs = REFUSING_FOR.as_secs(),
            "the private PostgreSQL server runs but refuses connections on its socket; restarting it"
        );
        let done = "restarted the private PostgreSQL server that refused connections";
        self.restart_with(cluster, done, move |cluster| cluster.restart_refusing(pid)).await
    }

    /// Runs `restart` (blocking: it waits for the server) and reports it: true when the server runs anew, restarted
    /// by this process (counted, and logged as `done`) or by another; false when it failed (tried again later).
    async fn restart_with(
        &self,
        cluster: LocalCluster,
        done: &str,
        restart: impl FnOnce(LocalCluster) -> Result<bool, ClusterError> + Send + 'static,
    ) -> bool {
        match tokio::task::spawn_blocking(move || restart(cluster)).await {
            Ok(Ok(true)) => {
                self.health.count_restart();
                tracing::warn!(restarts = self.health.snapshot().restarts, "{done}");
                true
            }
            Ok(Ok(false)) => {
                tracing::info!("another dealcast process restarted the private PostgreSQL server, or it is starting");
                true
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "could not restart the private PostgreSQL server; trying again soon");
                false
            }
            Err(error) => {
                tracing::error!(%error, "the restart of the private PostgreSQL server did not finish");
                false
            }
        }
    }

    /// Asks the private server `SELECT 1` over a new connection: the pools' open connections may still work while
    /// the server accepts no new one (its socket removed), and accepting connections is what dealcast needs.
    async fn ask_private_server(cluster: &LocalCluster) -> Result<(), sqlx::Error> {
        let options = cluster.connect_options(local_cluster::DATABASE);
        let asked = async {
            let mut connection = options.connect().await?;
            sqlx::query("SELECT 1").execute(&mut connection).await?;
            connection.close().await
        };
        tokio::time::timeout(PROBE_TIMEOUT, asked).await.unwrap_or_else(|_| {
            let message = format!("no answer within {} s", PROBE_TIMEOUT.as_secs());
            Err(sqlx::Error::Io(std::io::Error::new(ErrorKind::TimedOut, message)))
        })
    }

    /// The private cluster's postmaster: `None` when it does not run, `Some(Some(pid))` when it does, `Some(None)`
    /// when that could not be told (counted as running: the question to the server decides).
    async fn private_server_pid(&self, cluster: &LocalCluster) -> Option<Option<i32>> {
        let cluster = cluster.clone();
        match tokio::task::spawn_blocking(move || cluster.postmaster_pid()).await {
            Ok(Ok(Some(pid))) => Some(Some(pid)),
            Ok(Ok(None)) => None,
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not tell whether the private PostgreSQL server runs");
                Some(None)
            }
            Err(_) => Some(None),
        }
    }
}

/// Whether a connection failed because nothing accepts connections on the socket (not because the server is
/// starting, busy or slow: those answer, with an error of their own, or time out).
fn refuses(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(io) if matches!(io.kind(), ErrorKind::ConnectionRefused | ErrorKind::NotFound))
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

    #[tokio::test]
    async fn those_waiting_for_the_database_go_on_when_it_is_back() {
        let health = DatabaseHealth::new();
        tokio::time::timeout(Duration::from_secs(1), health.wait_until_available())
            .await
            .expect("no wait while the database answers");
        health.mark_unavailable(Utc::now());
        let waiting = tokio::spawn({
            let health = health.clone();
            async move { health.wait_until_available().await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "waits while the database is away");
        health.mark_available();
        tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("goes on once it is back").unwrap();
    }

    #[test]
    fn only_a_socket_that_accepts_nothing_counts_as_refusing() {
        let io = |kind| sqlx::Error::Io(std::io::Error::from(kind));
        assert!(refuses(&io(ErrorKind::NotFound)), "the socket file is gone");
        assert!(refuses(&io(ErrorKind::ConnectionRefused)), "nobody listens on it");
        assert!(!refuses(&io(ErrorKind::TimedOut)), "slow is not refusing");
        assert!(!refuses(&sqlx::Error::PoolTimedOut), "starting up (retried by sqlx until the timeout)");
    }
}
