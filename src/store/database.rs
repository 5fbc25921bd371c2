//! Opening the store: connecting to the server named by `DATABASE_URL`, or else to the private cluster (started on
//! demand), creating the `dealcast` database there if needed, and bringing the schema up to date.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::pg::local_cluster::{self, ClusterError, ClusterLease, Durability, LocalCluster};
use crate::store::migrations::MIGRATOR;
use crate::store::supervisor::{DatabaseHealth, Supervisor};

/// Where the store is and how to reach it (from the configuration).
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// A server to use instead of the private cluster.
    pub database_url: Option<String>,
    /// Where the private cluster lives.
    pub data_dir: PathBuf,
    /// Where the PostgreSQL server programs are, when not found by themselves.
    pub pg_bin_dir: Option<PathBuf>,
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),

    #[error(
        "DATABASE_URL is not a PostgreSQL connection URL ({0}); expected postgresql://user:password@host:port/database"
    )]
    BadUrl(#[source] sqlx::Error),

    #[error(
        "Could not connect to PostgreSQL at {target}: {source}. Check that the server runs and accepts this user, \
         and that DATABASE_URL is right (or unset it to let dealcast run its own private cluster)."
    )]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("Could not create the `{database}` database in the private cluster: {source}")]
    CreateDatabase {
        database: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("Could not apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("The database query failed: {0}")]
    Query(#[from] sqlx::Error),

    #[error("The private cluster's helper task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Which server the store lives on.
#[derive(Debug, Clone)]
pub enum Location {
    /// A server named by `DATABASE_URL`.
    External { options: Box<PgConnectOptions>, redacted_url: String },
    /// The private cluster in the data directory.
    Local(LocalCluster),
}

impl Location {
    /// Decides where the store is, without connecting.
    pub fn from_settings(settings: &StoreSettings) -> Result<Self, StoreError> {
        match &settings.database_url {
            Some(url) => Ok(Location::External {
                options: Box::new(PgConnectOptions::from_str(url).map_err(StoreError::BadUrl)?),
                redacted_url: redact_url(url),
            }),
            None => Ok(Location::Local(LocalCluster::new(
                &settings.data_dir,
                settings.pg_bin_dir.as_deref(),
                Durability::Durable,
            )?)),
        }
    }
}

/// An open store: a connection pool to a migrated database, and, for the private cluster, this process's lease on
/// it (kept as long as the store is open).
#[derive(Debug)]
pub struct Store {
    pool: PgPool,
    lease: Option<ClusterLease>,
    /// How `pool` connects, for the other pools of [`Store::quick_pool`].
    connect_options: PgConnectOptions,
    max_connections: u32,
}

impl Store {
    /// Connects (starting the private cluster if needed) and applies pending migrations.
    pub async fn open(settings: &StoreSettings) -> Result<Store, StoreError> {
        let store = match Location::from_settings(settings)? {
            Location::External { options, redacted_url } => {
                let pool = pool_options(settings)
                    .connect_with((*options).clone())
                    .await
                    .map_err(|source| StoreError::Connect { target: redacted_url, source })?;
                Store { pool, lease: None, connect_options: *options, max_connections: settings.max_connections }
            }
            Location::Local(cluster) => {
                let lease = tokio::task::spawn_blocking(move || cluster.acquire()).await??;
                let cluster = lease.cluster();
                ensure_database(cluster, local_cluster::DATABASE).await?;
                let connect_options = cluster.connect_options(local_cluster::DATABASE);
                let pool = pool_options(settings)
                    .connect_with(connect_options.clone())
                    .await
                    .map_err(|source| StoreError::Connect { target: cluster.url(local_cluster::DATABASE), source })?;
                Store { pool, lease: Some(lease), connect_options, max_connections: settings.max_connections }
            }
        };
        MIGRATOR.run(&store.pool).await?;
        Ok(store)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Another pool on the same database (connecting when first used), whose `acquire` gives up after
    /// `acquire_timeout`: for work that must fail fast rather than wait while the database is away (a web request,
    /// the watcher's check). Close it before [`Store::close`].
    pub fn quick_pool(&self, acquire_timeout: Duration) -> PgPool {
        self.side_pool(self.max_connections, acquire_timeout, None)
    }

    /// Another pool on the same database, of its own `max_connections` (so that what uses it cannot starve the
    /// main pool's users, nor be starved by them), connecting when first used, whose `acquire` gives up after
    /// `acquire_timeout`, and where PostgreSQL cancels any statement running longer than `statement_timeout`
    /// (the web UI's pool: a slow query cannot hold a connection for minutes). Close it before [`Store::close`].
    pub fn side_pool(
        &self,
        max_connections: u32,
        acquire_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> PgPool {
        let mut options = self.connect_options.clone();
        if let Some(limit) = statement_timeout {
            // Sent as a startup parameter: set on every connection the pool opens, before any query.
            options = options.options([("statement_timeout", format!("{}ms", limit.as_millis().max(1)))]);
        }
        PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(acquire_timeout)
            .connect_lazy_with(options)
    }

    /// The watcher of this store's database (see `store::supervisor`), restarting the private cluster when it is
    /// this store's, reporting in `health`.
    pub fn supervisor(&self, acquire_timeout: Duration, health: DatabaseHealth) -> Supervisor {
        Supervisor::new(self.cluster().cloned(), self.quick_pool(acquire_timeout), health)
    }

    /// The private cluster this store runs on, if it is not an external server.
    pub fn cluster(&self) -> Option<&LocalCluster> {
        self.lease.as_ref().map(ClusterLease::cluster)
    }

    /// Closes every connection, then lets go of the private cluster (stopping it if this process started it and
    /// nobody else uses it).
    pub async fn close(mut self) -> Result<(), StoreError> {
        self.pool.close().await;
        if let Some(lease) = self.lease.take() {
            tokio::task::spawn_blocking(move || lease.release()).await??;
        }
        Ok(())
    }
}

fn pool_options(settings: &StoreSettings) -> PgPoolOptions {
    // Connections are tested before they are handed out (sqlx's default, said here because the supervision relies
    // on it): after the server went away and came back, the dead ones are dropped and new ones opened.
    PgPoolOptions::new()
        .test_before_acquire(true)
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.connect_timeout)
}

/// Creates `database` in the private cluster unless it exists. Two processes may race here: the loser's
/// "already exists" error is the outcome both wanted.
pub async fn ensure_database(cluster: &LocalCluster, database: &str) -> Result<(), StoreError> {
    let target = cluster.url("postgres");
    let mut admin =
        cluster.connect_options("postgres").connect().await.map_err(|source| StoreError::Connect { target, source })?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(database)
        .fetch_one(&mut admin)
        .await?;
    if !exists {
        let statement = format!("CREATE DATABASE {}", quote_identifier(database));
        match sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await {
            Ok(_) => {}
            // 42P04 duplicate_database; 23505 when both CREATE DATABASE statements ran at the same instant.
            Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
            Err(source) => return Err(StoreError::CreateDatabase { database: database.to_string(), source }),
        }
    }
    admin.close().await?;
    Ok(())
}

/// Quotes an SQL identifier (for statements such as CREATE DATABASE that cannot take bound parameters).
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The URL with its password replaced, safe to print or log.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("REDACTED"));
            }
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let secret = k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword");
                    (k.into_owned(), if secret { "REDACTED".to_string() } else { v.into_owned() })
                })
                .collect();
            if !pairs.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => "(an unreadable URL)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://deals:s3cret@db.example:5432/deals?sslmode=require"),
            "postgres://deals:REDACTED@db.example:5432/deals?sslmode=require"
        );
        assert_eq!(redact_url("postgres://db/deals?password=hunter2"), "postgres://db/deals?password=REDACTED");
        assert_eq!(redact_url("postgres://db/deals"), "postgres://db/deals");
        assert!(!redact_url("not a url s3cret").contains("s3cret"));
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_identifier("deal\"cast"), "\"deal\"\"cast\"");
    }
}
