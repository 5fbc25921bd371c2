//! `dealcast db`: start, stop and inspect the private PostgreSQL cluster, and apply the schema.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use sqlx::{ConnectOptions, Connection};

use crate::config::Config;
use crate::pg::local_cluster::{self, LocalCluster, StartOutcome};
use crate::store::database::Location;
use crate::store::{Store, migrations};

/// The exit code of `db status` when the private cluster is stopped (as `pg_ctl status`).
const EXIT_STOPPED: u8 = 3;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Start the private cluster (creating it on first use); it runs until `dealcast db stop`.
    Start,
    /// Stop the private cluster.
    Stop,
    /// Say whether the cluster runs, where, which version, and whether the schema is current
    /// (exit code 3 when the private cluster is stopped).
    Status,
    /// Print a connection URL usable by psql and other PostgreSQL tools.
    Url,
    /// Apply pending migrations (every command that opens the database does this too).
    Migrate,
    /// Open psql on the database, starting the private cluster for as long as psql runs.
    Psql {
        /// Arguments passed to psql.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

pub async fn run(action: DbCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let settings = config.store_settings();
    let location = Location::from_settings(&settings)?;
    match (action, location) {
        (DbCommand::Start, Location::Local(cluster)) => {
            let started = cluster.clone();
            let outcome = tokio::task::spawn_blocking(move || started.start()).await??;
            let pgdata = cluster.pgdata();
            // Ready to use at once: the database exists and its schema is current.
            Store::open(&settings).await?.close().await?;
            match outcome {
                StartOutcome::Started => println!("Started the private PostgreSQL cluster in {}.", pgdata.display()),
                StartOutcome::AlreadyRunning => {
                    println!("The private PostgreSQL cluster in {} is already running.", pgdata.display())
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        (DbCommand::Stop, Location::Local(cluster)) => {
            let pgdata = cluster.pgdata().to_path_buf();
            let was_running = tokio::task::spawn_blocking(move || cluster.stop()).await??;
            if was_running {
                println!("Stopped the private PostgreSQL cluster in {}.", pgdata.display());
            } else {
                println!("The private PostgreSQL cluster in {} was not running.", pgdata.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        (DbCommand::Start | DbCommand::Stop, Location::External { redacted_url, .. }) => anyhow::bail!(
            "DATABASE_URL is set ({redacted_url}), so dealcast uses that server and neither starts nor stops it. \
             Unset DATABASE_URL to use dealcast's private cluster."
        ),
        (DbCommand::Status, Location::Local(cluster)) => local_status(cluster).await,
        (DbCommand::Status, Location::External { options, redacted_url }) => {
            println!("server:     external, {redacted_url} (from DATABASE_URL)");
            let mut connection =
                options.connect().await.with_context(|| format!("could not connect to {redacted_url}"))?;
            let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&mut connection).await?;
            println!("version:    PostgreSQL {version}");
            connection.close().await?;
            let pool = sqlx::PgPool::connect_with(*options).await?;
            println!("migrations: {}", migrations::status(&pool).await?.summary());
            pool.close().await;
            Ok(ExitCode::SUCCESS)
        }
        (DbCommand::Url, Location::Local(cluster)) => {
            println!("{}", cluster.url(local_cluster::DATABASE));
            Ok(ExitCode::SUCCESS)
        }
        (DbCommand::Url, Location::External { .. }) => {
            println!("{}", settings.database_url.unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        (DbCommand::Migrate, _) => {
            let store = Store::open(&settings).await?;
            let status = migrations::status(store.pool()).await?;
            println!("Schema {}.", status.summary());
            store.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        (DbCommand::Psql { args }, location) => {
            let store = Store::open(&settings).await?;
            let url = match &location {
                Location::Local(cluster) => cluster.url(local_cluster::DATABASE),
                Location::External { .. } => settings.database_url.clone().unwrap_or_default(),
            };
            let psql = find_psql(store.cluster());
            let (url, password) = without_password(&url);
            let mut command = tokio::process::Command::new(&psql);
            if let Some(password) = password {
                command.env("PGPASSWORD", password);
            }
            let status = command.arg(url).args(args).status().await.with_context(|| {
                format!("could not run {} (install it with `apt-get install postgresql-client`)", psql.display())
            })?;
            store.close().await?;
            Ok(ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8))
        }
    }
}

/// The connection URL for psql's command line, and its password apart (for `PGPASSWORD`): every user of the machine
/// can read a command line (`ps`), while a process's environment is readable by its owner only. A password given as
/// a `password=` parameter is taken out too.
fn without_password(url: &str) -> (String, Option<String>) {
    let Ok(mut parsed) = url::Url::parse(url) else { return (url.to_string(), None) };
    let mut password = (!parsed.password().unwrap_or("").is_empty()).then(|| {
        percent_encoding::percent_decode_str(parsed.password().unwrap_or("")).decode_utf8_lossy().into_owned()
    });
    let _ = parsed.set_password(None);
    let parameters: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    if parameters.iter().any(|(name, _)| name == "password") {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in parameters {
            if name == "password" {
                password.get_or_insert(value);
            } else {
                query.append_pair(&name, &value);
            }
        }
        let query = query.finish();
        parsed.set_query((!query.is_empty()).then_some(query.as_str()));
    }
    (parsed.to_string(), password)
}

/// `psql` from PATH, or beside the server programs (Debian keeps it in /usr/lib/postgresql/<major>/bin).
fn find_psql(cluster: Option<&LocalCluster>) -> std::path::PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("psql")).find(|p| p.is_file()))
        .unwrap_or_default();
    if let Some(psql) = on_path {
        return psql;
    }
    cluster
        .and_then(|cluster| cluster.status().ok())
        .and_then(|status| status.binaries.ok())
        .map(|binaries| binaries.program("psql"))
        .unwrap_or_else(|| "psql".into())
}

async fn local_status(cluster: LocalCluster) -> anyhow::Result<ExitCode> {
    let status = {
        let cluster = cluster.clone();
        tokio::task::spawn_blocking(move || cluster.status()).await??
    };
    println!("data dir:   {}", status.data_dir.display());
    match status.cluster_major {
        Some(major) => println!("cluster:    {} (PostgreSQL {major})", status.pgdata.display()),
        None => println!("cluster:    not created yet (it is created on first use, or by `dealcast db start`)"),
    }
    match &status.binaries {
        Ok(binaries) => println!("binaries:   {} (PostgreSQL {})", binaries.dir.display(), binaries.version),
        Err(problem) => println!("binaries:   none usable: {problem}"),
    }
    let Some(pid) = status.running_pid else {
        println!("server:     stopped");
        println!("migrations: not checked while the cluster is stopped (`dealcast db start` starts it)");
        return Ok(ExitCode::from(EXIT_STOPPED));
    };
    let lifetime = if status.autostarted {
        "started on demand; stops when the last dealcast command using it exits"
    } else {
        "started by `dealcast db start`; runs until `dealcast db stop`"
    };
    println!("server:     running (PID {pid}), {lifetime}");
    println!(
        "listening:  Unix socket {}/.s.PGSQL.{} only (no TCP)",
        status.pgdata.display(),
        local_cluster::SOCKET_PORT
    );
    println!("url:        {}", cluster.url(local_cluster::DATABASE));
    let options = cluster.connect_options(local_cluster::DATABASE);
    match sqlx::PgPool::connect_with(options).await {
        Ok(pool) => {
            println!("migrations: {}", migrations::status(&pool).await?.summary());
            pool.close().await;
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
            println!("migrations: none applied yet (the database is created by the first command that needs it)")
        }
        Err(error) => println!("migrations: not checked: could not connect to the `dealcast` database ({error})"),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let (url, password) = without_password("postgresql://app:s%40cret@db.example:5433/deals?sslmode=require");
        assert_eq!(url, "postgresql://app@db.example:5433/deals?sslmode=require");
        assert_eq!(password.as_deref(), Some("s@cret"));
        let (url, password) = without_password("postgresql://app@db.example/deals?password=hidden&sslmode=require");
        assert_eq!(
            (url.as_str(), password.as_deref()),
            ("postgresql://app@db.example/deals?sslmode=require", Some("hidden"))
        );
        let local = "postgresql://dealcast@localhost/dealcast?host=%2Ftmp%2Fdc%2Fpg&port=5432";
        assert_eq!(without_password(local), (local.to_string(), None));
    }
}
