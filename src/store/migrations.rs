//! The schema's migrations, compiled into the binary, and how far a database has applied them.
//!
//! Migrations run automatically whenever dealcast opens the store; sqlx takes a PostgreSQL advisory lock while
//! applying them, so two processes starting at once apply each migration once.

use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// Every migration in `migrations/`, in order.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How the migrations applied to a database compare with the ones this binary knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions applied successfully.
    pub applied: Vec<i64>,
    /// Known migrations not applied yet: (version, description).
    pub pending: Vec<(i64, String)>,
    /// Applied migrations whose file changed since (their checksum differs).
    pub modified: Vec<i64>,
    /// Applied migrations this binary does not know (a newer dealcast applied them).
    pub unknown: Vec<i64>,
}

impl MigrationStatus {
    /// True when the database has exactly the schema this binary expects.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.modified.is_empty() && self.unknown.is_empty()
    }

    /// One line for `dealcast db status`.
    pub fn summary(&self) -> String {
        if self.is_current() {
            return format!("current ({} applied)", self.applied.len());
        }
        let mut parts = Vec::new();
        if !self.pending.is_empty() {
            let names: Vec<String> = self.pending.iter().map(|(v, d)| format!("{v} {d}")).collect();
            parts.push(format!("{} pending ({}); run `dealcast db migrate`", self.pending.len(), names.join(", ")));
        }
        if !self.modified.is_empty() {
            parts.push(format!("changed since applied: {:?}", self.modified));
        }
        if !self.unknown.is_empty() {
            parts.push(format!("applied by a newer dealcast: {:?}", self.unknown));
        }
        parts.join("; ")
    }
}

/// Reads what has been applied to the database behind `pool`.
pub async fn status(pool: &PgPool) -> Result<MigrationStatus, sqlx::Error> {
    let table_exists: bool =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(pool).await?;
    let applied: Vec<(i64, Vec<u8>)> = if table_exists {
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    let known: Vec<_> = MIGRATOR.iter().filter(|m| m.migration_type.is_up_migration()).collect();
    let pending = known
        .iter()
        .filter(|m| !applied.iter().any(|(v, _)| *v == m.version))
        .map(|m| (m.version, m.description.to_string()))
        .collect();
    let modified = applied
        .iter()
        .filter(|(v, checksum)| known.iter().any(|m| m.version == *v && m.checksum.as_ref() != checksum.as_slice()))
        .map(|(v, _)| *v)
        .collect();
    let unknown = applied.iter().filter(|(v, _)| !known.iter().any(|m| m.version == *v)).map(|(v, _)| *v).collect();
    Ok(MigrationStatus { applied: applied.into_iter().map(|(v, _)| v).collect(), pending, modified, unknown })
}
