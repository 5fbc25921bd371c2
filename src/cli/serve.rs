//! `dealcast serve`: the web UI, the JSON API, the feeds and the admin over the configured database, until Ctrl-C
//! or SIGTERM. `dealcast run` embeds the same server (`web::serve`) next to its workers.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use url::Url;

use crate::config::Config;
use crate::store::Store;
use crate::store::supervisor::{DatabaseHealth, QUICK_ACQUIRE};
use crate::web::forwarded::TrustedProxy;
use crate::web::{self, WebState};

/// Where the server listens when neither `--listen` nor `[web] listen` says: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on (default: `[web] listen`, else 127.0.0.1:8080; put a reverse proxy in
    /// front to publish it).
    #[arg(long, env = "DEALCAST_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The site's public address, for absolute links in the Atom feeds and `Secure` admin cookies over https
    /// (default: `[web] public_url`, else http://<listen address>/).
    #[arg(long, env = "DEALCAST_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<Url>,
    /// Seconds a rendered deal list (home page, /api/deals) is served again before the database is asked anew;
    /// 0 asks it every time (default: `[web] page_cache_secs`, else 10).
    #[arg(long, env = "DEALCAST_PAGE_CACHE_SECS", value_name = "SECONDS")]
    pub page_cache_secs: Option<u64>,
    /// Whether deal lists are chosen in memory (true: about 500 bytes per scored offer, microseconds a list) or by
    /// PostgreSQL for every request (default: `[web] lists_in_memory`, else true).
    #[arg(long, env = "DEALCAST_LISTS_IN_MEMORY", value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub lists_in_memory: Option<bool>,
    /// The reverse proxies whose X-Forwarded-For names the client (comma-separated addresses or networks, such as
    /// 127.0.0.1,10.0.0.0/8; default: `[web] trusted_proxies`, else none: the TCP peer is the client).
    #[arg(long, env = "DEALCAST_TRUSTED_PROXIES", value_name = "ADDRESSES", value_delimiter = ',')]
    pub trusted_proxies: Vec<TrustedProxy>,
}

/// Binds the listening socket (flag, then `[web] listen`, then 127.0.0.1:8080) and works out the public URL (flag,
/// then `[web] public_url`, then the listening address).
pub async fn bind(args: &ServeArgs, config: &Config) -> anyhow::Result<(tokio::net::TcpListener, Url)> {
    let listen = match args.listen.or(config.web.listen) {
        Some(listen) => listen,
        None => DEFAULT_LISTEN.parse().context("the default listening address is not an address")?,
    };
    let listener =
        tokio::net::TcpListener::bind(listen).await.with_context(|| format!("could not listen on {listen}"))?;
    let address = listener.local_addr().context("could not read the listening address")?;
    let base_url = match args.public_url.clone().or_else(|| config.web.public_url.as_ref().map(|url| url.url().clone()))
    {
        Some(url) => url,
        None => Url::parse(&format!("http://{address}/")).context("the listening address is not a URL")?,
    };
    Ok((listener, base_url))
}

/// The web server's state over `pool`, with the admin enabled when a password hash is configured.
pub fn web_state(pool: sqlx::PgPool, base_url: Url, args: &ServeArgs, config: &Config) -> WebState {
    let admin = config.web.admin_password_hash.clone();
    if admin.is_none() {
        println!(
            "The admin (/admin) is disabled: no password hash is configured (see `dealcast admin hash-password`)."
        );
    }
    let page_cache = match args.page_cache_secs {
        Some(seconds) => std::time::Duration::from_secs(seconds),
        None => config.web.page_cache_ttl(),
    };
    WebState::new(pool, base_url)
        .with_admin_password(admin)
        .with_accounts(config.accounts.clone())
        .with_rechecker(admin_rechecker(config))
        .with_page_cache(page_cache)
        .with_deal_index(args.lists_in_memory.or(config.web.lists_in_memory).unwrap_or(true))
        .with_trusted_proxies(match args.trusted_proxies.as_slice() {
            [] => config.web.trusted_proxies.clone(),
            given => given.to_vec(),
        })
        .with_metrics_token(config.web.metrics_token.as_ref().map(|token| token.expose()))
        .with_time_zone(config.web.time_zone())
}

/// The web UI's own pool: `[web] database_connections` connections apart from the other pools, each statement
/// cancelled past `[web] statement_timeout_secs`, waiting at most `acquire_timeout` for a connection.
pub fn web_pool(store: &Store, config: &Config, acquire_timeout: std::time::Duration) -> sqlx::PgPool {
    let connections =
        config.web.database_connections.map_or(crate::config::WebConfig::DEFAULT_DATABASE_CONNECTIONS, |n| n.get());
    store.side_pool(connections, acquire_timeout, Some(config.web.statement_timeout()))
}

/// The web server's state over a pool of its own whose requests wait for a connection no longer than
/// [`QUICK_ACQUIRE`], reading the database's availability from the watcher's `health`: while the database is away,
/// requests answer 503 at once. The pool is returned too, to be closed before the store.
pub fn supervised_state(
    store: &Store,
    base_url: Url,
    args: &ServeArgs,
    config: &Config,
    health: &DatabaseHealth,
) -> (WebState, sqlx::PgPool) {
    let pool = web_pool(store, config, QUICK_ACQUIRE);
    let state = web_state(pool.clone(), base_url, args, config).with_database_health(health.clone());
    (state, pool)
}

/// What re-checks deals before the admin approves them, when an account re-checks deals; without the shop files,
/// those approvals are refused with the reason rather than made unchecked.
fn admin_rechecker(config: &Config) -> Option<crate::publish::recheck::Rechecker> {
    if !config.accounts.iter().any(|account| account.rechecks()) {
        return None;
    }
    match super::publish::rechecker_from_config(config) {
        Ok(rechecker) => Some(rechecker),
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "curated posts cannot be approved in the admin: no re-check");
            None
        }
    }
}

pub async fn run(args: ServeArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let (listener, base_url) = bind(&args, config).await?;
    let store = Store::open(&config.store_settings()).await?;
    let address = listener.local_addr().context("could not read the listening address")?;
    println!("dealcast is serving on http://{address}/ (Ctrl-C to stop)");
    tracing::info!(%address, public_url = %base_url, "web server started");
    // The database is watched while serving, as under `dealcast run`: a private server that goes away (or refuses
    // connections) is started again, an external one waited for (see `store::supervisor`).
    let health = DatabaseHealth::new();
    let (stop_watching, watching) = tokio::sync::watch::channel(false);
    let supervisor = tokio::spawn(store.supervisor(QUICK_ACQUIRE, health.clone()).run(watching));
    let (state, web_pool) = supervised_state(&store, base_url, &args, config, &health);
    let served = web::serve_within(listener, state, config.web.server_limits(), super::shutdown::shutdown_signal())
        .await
        .context("the web server stopped on an error");
    let _ = stop_watching.send(true);
    supervisor.abort();
    web_pool.close().await;
    store.close().await?;
    served?;
    tracing::info!("web server stopped");
    Ok(ExitCode::SUCCESS)
}
