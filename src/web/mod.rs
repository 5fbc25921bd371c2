//! The web face of the deals database: server-rendered pages for people (the deals with filters and search, one
//! deal with its history and verdict, the shops' health, the publications), a JSON API, Atom feeds, `/healthz` and
//! `/metrics`. Pages work without JavaScript; French by default, English with `?lang=en` or a browser asking for it.
//!
//! Everything here reads the same store as the terminal commands (`store::deal_queries` and its siblings); no
//! second query layer. Public routes only read. [`router`] builds the whole application so that `dealcast serve`
//! and `dealcast run` serve the same thing, and so that other route sets (the admin pages) can be merged in.
//!
//! Map: [`admin`] (the operator's pages behind a login), [`pages`] (HTML), [`api`] (JSON), [`feed`] (Atom), [`ops`] (health and metrics), [`forwarded`] (the client behind a proxy), [`page_cache`] (deal lists kept a few seconds), [`params`] (query
//! strings), [`views`] and [`chart`] (what pages show, pure), [`text`] (every UI word, per language), [`security`]
//! (headers, link rules), [`server`] (connections: timeouts and a cap), [`error`] (failures as pages or JSON).

pub mod admin;
pub mod api;
pub mod chart;
pub mod error;
pub mod feed;
pub mod forwarded;
pub mod ops;
pub mod page_cache;
pub mod pages;
pub mod params;
pub mod security;
pub mod server;
pub mod text;
pub mod views;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use sqlx::PgPool;
use url::Url;

use self::admin::AdminSettings;
use self::admin::login_limit::LoginLimits;
use self::admin::password::AdminPasswordHash;
use self::error::{PageError, WebError};
use self::forwarded::TrustedProxy;
use self::page_cache::PageCache;
use self::text::Lang;
use crate::deal_index::DealIndex;
use crate::store::deal_queries::{self, DealFilter, DealRow};
use crate::store::shop_overview;
use crate::store::supervisor::DatabaseHealth;

/// The stylesheet, compiled into the binary so that a lone `dealcast` executable serves a complete site.
const STYLESHEET: &str = include_str!("../../static/style.css");

/// What every handler shares: the database, the public address of the site (for absolute links in feeds, and
/// `Secure` cookies when it is HTTPS), and the admin's settings (none: the admin is disabled).
#[derive(Debug, Clone)]
pub struct WebState {
    pool: PgPool,
    base_url: Url,
    admin: Option<Arc<AdminSettings>>,
    /// The publishing accounts, for the budget figures of `/metrics`.
    accounts: Arc<Vec<crate::publish::accounts::AccountConfig>>,
    /// Deal lists rendered in the last seconds (none: every request asks the database).
    page_cache: Option<PageCache>,
    /// The deal lists chosen in memory (none: PostgreSQL chooses every page).
    deal_index: Option<DealIndex>,
    /// The reverse proxies whose `X-Forwarded-For` names the client (none: the TCP peer is the client).
    trusted_proxies: Arc<[TrustedProxy]>,
    /// What the database watcher knows (`dealcast run`); none: the database is only asked.
    database_health: Option<DatabaseHealth>,
    /// What re-checks a deal before a curated approval (none: the shop files were not loaded, and accounts that
    /// re-check deals cannot be approved here).
    rechecker: Option<crate::publish::recheck::Rechecker>,
    /// The bearer token `/metrics` asks for (none: `/metrics` is public).
    metrics_token: Option<Arc<str>>,
    /// The time zone dates are shown in.
    time_zone: chrono_tz::Tz,
    /// Where the pages' images may come from (HTTPS, plus the demo's own shop in the demo).
    images: security::ImagePolicy,
}

impl WebState {
    /// The state of a site served from `base_url` (e.g. `http://127.0.0.1:8080/`; a trailing slash is added when
    /// missing, so that relative links resolve under it).
    pub fn new(pool: PgPool, mut base_url: Url) -> WebState {
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        WebState {
            pool,
            base_url,
            admin: None,
            accounts: Arc::new(Vec::new()),
            page_cache: None,
            deal_index: Some(DealIndex::new()),
            trusted_proxies: Arc::new([]),
            database_health: None,
            rechecker: None,
            metrics_token: None,
            time_zone: chrono_tz::Europe::Paris,
            images: security::ImagePolicy::https_only(),
        }
    }

    /// This state also showing the images of `origin` (an `http:` or `https:` URL; its path is ignored), which its
    /// pages' Content-Security-Policy then allows: the demo's loopback shop serves plain `http:` images. Without
    /// it (every production server) only `https:` images are shown.
    pub fn with_image_origin(mut self, origin: &Url) -> Result<WebState, security::ImageOriginError> {
        self.images = security::ImagePolicy::allowing(origin)?;
        Ok(self)
    }

    /// Where this server's pages may show images from.
    pub fn images(&self) -> &security::ImagePolicy {
        &self.images
    }

    /// This state asking `/metrics` for `Authorization: Bearer <token>` (none: `/metrics` is public).
    pub fn with_metrics_token(mut self, token: Option<&str>) -> WebState {
        self.metrics_token = token.map(Arc::from);
        self
    }

    /// The bearer token `/metrics` asks for.
    pub fn metrics_token(&self) -> Option<&str> {
        self.metrics_token.as_deref()
    }

    /// This state showing dates in `zone` (Europe/Paris by default).
    pub fn with_time_zone(mut self, zone: chrono_tz::Tz) -> WebState {
        self.time_zone = zone;
        self
    }

    /// The time zone dates are shown in.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.time_zone
    }

    /// This state with the admin enabled by `password` (its argon2 hash), or disabled when `None`.
    pub fn with_admin_password(mut self, password: Option<AdminPasswordHash>) -> WebState {
        self.admin = password.map(|password| Arc::new(AdminSettings { password, limits: LoginLimits::default() }));
        self
    }

    /// This state with the publishing accounts (their budgets are shown in `/metrics`).
    pub fn with_accounts(mut self, accounts: Vec<crate::publish::accounts::AccountConfig>) -> WebState {
        self.accounts = Arc::new(accounts);
        self
    }

    /// This state keeping rendered deal lists for `ttl` (see [`page_cache`]); zero keeps none.
    pub fn with_page_cache(mut self, ttl: Duration) -> WebState {
        self.page_cache = (!ttl.is_zero()).then(|| PageCache::new(ttl));
        self
    }

    /// This state believing the `X-Forwarded-For` of requests from `proxies` (see [`forwarded`]).
    pub fn with_trusted_proxies(mut self, proxies: Vec<TrustedProxy>) -> WebState {
        self.trusted_proxies = proxies.into();
        self
    }

    /// This state reading the database's availability from a watcher (`store::supervisor`): while the database is
    /// away, requests answer 503 at once, and `/healthz` and `/metrics` tell about outages and restarts.
    pub fn with_database_health(mut self, health: DatabaseHealth) -> WebState {
        self.database_health = Some(health);
        self
    }

    /// What the database watcher knows, when there is one.
    pub fn database_health(&self) -> Option<&DatabaseHealth> {
        self.database_health.as_ref()
    }

    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub fn trusted_proxies(&self) -> &[TrustedProxy] {
        &self.trusted_proxies
    }

    /// This state choosing the pages of deal lists in memory (`deal_index`, the default) or not.
    pub fn with_deal_index(mut self, in_memory: bool) -> WebState {
        self.deal_index = in_memory.then(DealIndex::new);
        self
    }

    /// The in-memory deal lists, when they are on.
    pub fn deal_index(&self) -> Option<&DealIndex> {
        self.deal_index.as_ref()
    }

    /// The deals of `filter` (the same as `deal_queries::list_deals`; chosen in memory when the lists are on and
    /// current).
    pub async fn list_deals(&self, filter: &DealFilter) -> Result<Vec<DealRow>, sqlx::Error> {
        match &self.deal_index {
            Some(index) => index.list_deals(&self.pool, filter).await,
            None => deal_queries::list_deals(&self.pool, filter).await,
        }
    }

    /// Every shop's (id, name), by name (as of the in-memory lists when they are on and built).
    pub async fn shop_names(&self) -> Result<Arc<[(String, String)]>, sqlx::Error> {
        match self.deal_index.as_ref().and_then(DealIndex::shop_names) {
            Some(names) => Ok(names),
            None => Ok(shop_overview::shop_names(&self.pool).await?.into()),
        }
    }

    /// The page `render` makes, or the one it made under `key` less than the cache's time to live ago.
    pub async fn cached_page<F>(&self, key: String, render: F) -> Result<Bytes, WebError>
    where
        F: Future<Output = Result<Bytes, WebError>>,
    {
        match &self.page_cache {
            None => render.await,
            Some(cache) => {
                cache.page(key, render).await.map_err(|shared| Arc::try_unwrap(shared).unwrap_or_else(WebError::Shared))
            }
        }
    }

    /// This state re-checking deals through `rechecker` before a curated approval.
    pub fn with_rechecker(mut self, rechecker: Option<crate::publish::recheck::Rechecker>) -> WebState {
        self.rechecker = rechecker;
        self
    }

    /// What re-checks deals before a curated approval, when the shop files were loaded.
    pub fn rechecker(&self) -> Option<&crate::publish::recheck::Rechecker> {
        self.rechecker.as_ref()
    }

    /// The publishing accounts.
    pub fn accounts(&self) -> &[crate::publish::accounts::AccountConfig] {
        &self.accounts
    }

    /// The admin's settings, when the admin is enabled.
    pub fn admin(&self) -> Option<&AdminSettings> {
        self.admin.as_deref()
    }

    /// The database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The site's public address, ending with `/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }
}

/// The whole web application over `state`: pages, API, feeds, health and metrics, the stylesheet, and the security
/// headers on every response (including errors and 404s).
pub fn router(state: WebState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(admin::routes(&state))
        .nest("/api", api::routes())
        .merge(feed::routes())
        .merge(ops::routes())
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), ops::unavailable_while_database_away))
        .layer(middleware::map_response_with_state(state.images().clone(), security::add_headers))
        .with_state(state)
}

/// Serves `router(state)` on `listener` within the default [`server::ServerLimits`] until `shutdown` resolves, then
/// lets requests in flight finish. Handlers learn each client's address (the admin's login budget counts per
/// address).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_within(listener, state, server::ServerLimits::default(), shutdown).await
}

/// [`serve`] within `limits` (timeouts, most connections).
pub async fn serve_within(
    listener: tokio::net::TcpListener,
    state: WebState,
    limits: server::ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The in-memory deal lists load while the first requests are answered by PostgreSQL.
    if let Some(index) = state.deal_index() {
        index.start_catch_up(state.pool());
    }
    server::serve_within(listener, router(state), limits, shutdown).await
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}

async fn not_found() -> PageError {
    PageError::new(WebError::NotFound("no such page".to_owned()), Lang::Fr)
}
