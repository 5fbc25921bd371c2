//! The endpoints for machines that watch dealcast: `/healthz` (is the database answering? when was it last away?)
//! and `/metrics` (Prometheus: scrape runs by status, active offers, shop health, errors by kind, publications by
//! status, each account's posts this month and budget left, the database's outages and restarts), and the layer
//! that answers 503 at once while the database is away.
//!
//! The figures are read from the database at each scrape, the per-shop ones from the counts the writers keep (see
//! `store::operational_counts` and `store::kept_counts` for why), and written with `prometheus-client`, which
//! escapes label values and writes the OpenMetrics text format Prometheus reads.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::SecondsFormat;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use std::sync::atomic::AtomicU64;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use subtle::ConstantTimeEq;

use super::WebState;
use super::error::{ApiError, WebError};
use super::pages::Visitor;
use super::text::Lang;
use crate::publish::outbox::sent_so_far;
use crate::publish::pacing::{PacingRules, SentSoFar, budget_left};
use crate::store::operational_counts::{OperationalCounts, operational_counts};
use crate::store::search_index;
use crate::store::supervisor::{DatabaseHealth, HealthSnapshot};

/// The content type of the OpenMetrics text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The routes of the machine endpoints.
pub fn routes() -> Router<WebState> {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics))
}

/// The paths that still answer while the database is away: they say so themselves.
const ANSWER_WHILE_AWAY: [&str; 3] = ["/healthz", "/metrics", "/static/style.css"];

/// While the database watcher says the database is away, every other request answers 503 at once (with a
/// `Retry-After`) instead of waiting for a connection that cannot come.
pub async fn unavailable_while_database_away(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let away = state.database_health().is_some_and(|health| !health.is_available());
    if away && !ANSWER_WHILE_AWAY.contains(&request.uri().path()) {
        // In the visitor's language (`?lang=`, then `Accept-Language`), French when that cannot be told.
        let lang = Visitor::of(request.uri().query(), request.headers()).map_or(Lang::Fr, |visitor| visitor.lang);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            format!("{}\n", lang.texts().database_away),
        )
            .into_response();
    }
    next.run(request).await
}

/// 200 `ok` when the database answers, 503 otherwise (load balancers ask this). Under `dealcast run`, the lines
/// after the first say since when the database is away, when it last was, and how many times the private
/// server was restarted.
async fn healthz(State(state): State<WebState>) -> Response {
    let snapshot = state.database_health().map(DatabaseHealth::snapshot);
    let details = snapshot.as_ref().map(outage_lines).unwrap_or_default();
    if snapshot.as_ref().is_some_and(|snapshot| !snapshot.is_available()) {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("the database does not answer\n{details}")).into_response();
    }
    match sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(state.pool()).await {
        Ok(_) => (StatusCode::OK, format!("ok\n{details}")).into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: the database does not answer");
            // Seen here before the watcher's next check: the other requests answer 503 at once from now on.
            let details = match state.database_health() {
                Some(health) => {
                    health.mark_unavailable(chrono::Utc::now());
                    outage_lines(&health.snapshot())
                }
                None => details,
            };
            (StatusCode::SERVICE_UNAVAILABLE, format!("the database does not answer\n{details}")).into_response()
        }
    }
}

/// The lines of `/healthz` about outages: `database unavailable since: …`, `database last unavailable: …`,
/// `database restarts: N`.
pub fn outage_lines(snapshot: &HealthSnapshot) -> String {
    let mut lines = String::new();
    if let Some(since) = snapshot.unavailable_since {
        lines.push_str(&format!("database unavailable since: {}\n", since.to_rfc3339_opts(SecondsFormat::Secs, true)));
    }
    if let Some(last) = snapshot.last_unavailable {
        lines.push_str(&format!("database last unavailable: {}\n", last.to_rfc3339_opts(SecondsFormat::Secs, true)));
    }
    lines.push_str(&format!("database restarts: {}\n", snapshot.restarts));
    lines
}

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in constant time).
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or_default();
    bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

async fn metrics(State(state): State<WebState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = state.metrics_token()
        && !bearer_matches(&headers, token)
    {
        return Ok((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "a bearer token is needed\n",
        )
            .into_response());
    }
    let database = state.database_health().map(DatabaseHealth::snapshot);
    if let Some(snapshot) = database.as_ref().filter(|snapshot| !snapshot.is_available()) {
        // Nothing else can be counted now; the database's own figures say why.
        let text = database_exposition(snapshot).map_err(WebError::from)?;
        return Ok(([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response());
    }
    let counts = operational_counts(state.pool()).await?;
    let mut budgets = Vec::new();
    let now = chrono::Utc::now();
    for account in state.accounts() {
        let rules = PacingRules::of(account);
        let sent = sent_so_far(state.pool(), &account.name, rules.day_start(now), rules.month_start(now)).await?;
        budgets.push(AccountBudget { account: account.name.clone(), budget_left: budget_left(&rules, &sent), sent });
    }
    let lists = ListsFigures {
        search_generation: search_index::current_generation(state.pool()).await?,
        in_memory: state.deal_index().and_then(|index| index.current()).map(|current| InMemoryLists {
            generation: current.generation,
            offers: current.lists.len(),
            overlaid: current.lists.overlaid(),
        }),
    };
    let text = exposition(&counts, &budgets, &lists, database.as_ref()).map_err(WebError::from)?;
    Ok(([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response())
}

type Labels1 = [(&'static str, String); 1];
type Labels2 = [(&'static str, String); 2];

/// One account's spending this month, for `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountBudget {
    pub account: String,
    pub sent: SentSoFar,
    /// What is left of the monthly budget, when the account has one.
    pub budget_left: Option<Decimal>,
}

/// Where the deal lists stand, for `/metrics`: a server whose lists stay behind the database's search generation
/// answers its lists from PostgreSQL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListsFigures {
    /// The database's search generation (each harvest's search refresh takes one).
    pub search_generation: i64,
    /// This server's in-memory deal lists, when they are on and built.
    pub in_memory: Option<InMemoryLists>,
}

/// This server's in-memory deal lists.
#[derive(Debug, Clone, PartialEq)]
pub struct InMemoryLists {
    pub generation: i64,
    pub offers: usize,
    /// The offers changed since the last full build, laid over it.
    pub overlaid: usize,
}

/// `counts`, `budgets` and `lists` in the OpenMetrics text format.
pub fn exposition(
    counts: &OperationalCounts,
    budgets: &[AccountBudget],
    lists: &ListsFigures,
    database: Option<&HealthSnapshot>,
) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("dealcast");
    if let Some(snapshot) = database {
        register_database(&mut registry, snapshot);
    }

    let runs = Family::<Labels2, Counter>::default();
    registry.register("scrape_runs", "Scrape runs by shop and status", runs.clone());
    for (shop, status, count) in &counts.runs_by_status {
        runs.get_or_create(&[("shop", shop.clone()), ("status", status.clone())]).inc_by(non_negative(*count));
    }

    let offers = Family::<Labels1, Gauge>::default();
    registry.register("offers_active", "Offers still on the shop", offers.clone());
    let deals = Family::<Labels1, Gauge>::default();
    registry.register("deals_active", "Active offers with a score", deals.clone());
    for (shop, active, scored) in &counts.offers {
        offers.get_or_create(&[("shop", shop.clone())]).set(*active);
        deals.get_or_create(&[("shop", shop.clone())]).set(*scored);
    }

    let healthy = Family::<Labels1, Gauge>::default();
    registry.register("shop_healthy", "1 when the shop's latest judged run was healthy, else 0", healthy.clone());
    for (shop, is_healthy) in &counts.shop_health {
        healthy.get_or_create(&[("shop", shop.clone())]).set(i64::from(*is_healthy));
    }

    let errors = Family::<Labels2, Counter>::default();
    registry.register("scrape_errors", "Errors of finished scrape runs, by shop and kind", errors.clone());
    for (shop, kind, count) in &counts.errors_by_kind {
        errors.get_or_create(&[("shop", shop.clone()), ("kind", kind.clone())]).inc_by(non_negative(*count));
    }

    let requests = Family::<Labels2, Gauge>::default();
    registry.register(
        "harvest_requests",
        "The latest finished harvest of each shop: pages fetched, 304 answers, pages skipped by sitemap date, prices \
         taken from listing cards",
        requests.clone(),
    );
    let product_pages = Family::<Labels2, Gauge>::default();
    registry.register(
        "harvest_product_pages",
        "Product pages the latest finished harvest of each shop fetched, by reason",
        product_pages.clone(),
    );
    for (shop, run) in &counts.last_run_requests {
        for (kind, count) in [
            ("fetched", run.fetched),
            ("not_modified", run.not_modified),
            ("skipped_by_lastmod", run.skipped_by_lastmod),
            ("listing_observations", run.listing_observations),
        ] {
            requests.get_or_create(&[("shop", shop.clone()), ("kind", kind.to_string())]).set(count);
        }
        for (reason, count) in &run.product_pages {
            product_pages.get_or_create(&[("shop", shop.clone()), ("reason", reason.clone())]).set(*count);
        }
    }

    let publications = Family::<Labels2, Gauge>::default();
    registry.register("publications", "Publications by account and status", publications.clone());
    for count in &counts.publications {
        publications
            .get_or_create(&[("account", count.account_id.clone()), ("status", count.status.clone())])
            .set(count.count);
    }

    let posts = Family::<Labels1, Gauge>::default();
    registry.register("publisher_posts_this_month", "Posts sent (or being sent) this month, by account", posts.clone());
    let left = Family::<Labels1, Gauge<f64, AtomicU64>>::default();
    registry.register(
        "publisher_budget_left",
        "What is left of the account's monthly budget, in its budget currency",
        left.clone(),
    );
    for budget in budgets {
        posts.get_or_create(&[("account", budget.account.clone())]).set(i64::from(budget.sent.this_month));
        // A float only for the exposition format: the amounts themselves stay exact decimals.
        if let Some(amount) = budget.budget_left.and_then(|amount| amount.to_f64()) {
            left.get_or_create(&[("account", budget.account.clone())]).set(amount);
        }
    }

    let generation =
        ("search_generation", "The database's search generation (one per search refresh)", lists.search_generation);
    register_gauges(&mut registry, &[generation]);
    if let Some(in_memory) = &lists.in_memory {
        let figures: [(&str, &str, i64); 3] = [
            (
                "deal_lists_generation",
                "The search generation of this server's in-memory deal lists",
                in_memory.generation,
            ),
            ("deal_lists_offers", "The deals this server's in-memory lists hold", saturating(in_memory.offers)),
            (
                "deal_lists_overlaid",
                "The deals changed since the lists' last full build",
                saturating(in_memory.overlaid),
            ),
        ];
        register_gauges(&mut registry, &figures);
    }
    encoded(&registry)
}

/// Only the database's own figures, for when nothing else can be counted.
pub fn database_exposition(snapshot: &HealthSnapshot) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("dealcast");
    register_database(&mut registry, snapshot);
    encoded(&registry)
}

fn encoded(registry: &Registry) -> Result<String, std::fmt::Error> {
    let mut text = String::new();
    encode(&mut text, registry)?;
    Ok(text)
}

/// Registers one gauge per (name, help, value).
fn register_gauges(registry: &mut Registry, figures: &[(&str, &str, i64)]) {
    for (name, help, value) in figures {
        let gauge: Gauge = Gauge::default();
        registry.register(*name, *help, gauge.clone());
        gauge.set(*value);
    }
}

/// `database_up`, `database_restarts_total` and, after an outage, `database_last_unavailable_timestamp_seconds`.
fn register_database(registry: &mut Registry, snapshot: &HealthSnapshot) {
    let restarts: Counter = Counter::default();
    registry.register(
        "database_restarts",
        "Times the private PostgreSQL server was started again after it went away",
        restarts.clone(),
    );
    restarts.inc_by(snapshot.restarts);
    let up = ("database_up", "1 when the database answers, 0 while it is away", i64::from(snapshot.is_available()));
    register_gauges(registry, &[up]);
    if let Some(last) = snapshot.last_unavailable {
        let when = (
            "database_last_unavailable_timestamp_seconds",
            "When the database was last seen not answering (Unix time)",
            last.timestamp(),
        );
        register_gauges(registry, &[when]);
    }
}

fn saturating(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn non_negative(count: i64) -> u64 {
    u64::try_from(count).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::publication_queries::StatusCount;
    use crate::store::shop_overview::RunRequests;

    #[test]
    fn every_figure_is_exposed_with_its_labels() {
        let counts = OperationalCounts {
            runs_by_status: vec![("shop_a".into(), "succeeded".into(), 3)],
            offers: vec![("shop_a".into(), 10, 4)],
            shop_health: vec![("shop_a".into(), false)],
            errors_by_kind: vec![("shop_a".into(), "http_404".into(), 2)],
            publications: vec![StatusCount { account_id: "deals_fr".into(), status: "published".into(), count: 5 }],
            last_run_requests: vec![(
                "shop_a".into(),
                RunRequests {
                    fetched: 417,
                    not_modified: 3,
                    listing_observations: 19_980,
                    product_pages: [("new".to_string(), 20)].into(),
                    ..RunRequests::default()
                },
            )],
        };
        let text = exposition(&counts, &[], &ListsFigures::default(), None).unwrap();
        assert!(text.contains("dealcast_harvest_requests{shop=\"shop_a\",kind=\"fetched\"} 417"), "{text}");
        assert!(
            text.contains("dealcast_harvest_requests{shop=\"shop_a\",kind=\"listing_observations\"} 19980"),
            "{text}"
        );
        assert!(text.contains("dealcast_harvest_product_pages{shop=\"shop_a\",reason=\"new\"} 20"), "{text}");
        assert!(text.contains("dealcast_scrape_runs_total{shop=\"shop_a\",status=\"succeeded\"} 3"), "{text}");
        assert!(text.contains("dealcast_offers_active{shop=\"shop_a\"} 10"), "{text}");
        assert!(text.contains("dealcast_deals_active{shop=\"shop_a\"} 4"), "{text}");
        assert!(text.contains("dealcast_shop_healthy{shop=\"shop_a\"} 0"), "{text}");
        assert!(text.contains("dealcast_scrape_errors_total{shop=\"shop_a\",kind=\"http_404\"} 2"), "{text}");
        assert!(text.contains("dealcast_publications{account=\"deals_fr\",status=\"published\"} 5"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn the_search_generation_and_the_in_memory_lists_are_exposed() {
        let lists = ListsFigures {
            search_generation: 42,
            in_memory: Some(InMemoryLists { generation: 41, offers: 1_000_000, overlaid: 5_000 }),
        };
        let text = exposition(&OperationalCounts::default(), &[], &lists, None).unwrap();
        for line in [
            "dealcast_search_generation 42",
            "dealcast_deal_lists_generation 41",
            "dealcast_deal_lists_offers 1000000",
            "dealcast_deal_lists_overlaid 5000",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
        let without = exposition(&OperationalCounts::default(), &[], &ListsFigures::default(), None).unwrap();
        assert!(!without.contains("deal_lists"), "no lists, no figures: {without}");
    }

    #[test]
    fn the_databases_outages_and_restarts_are_exposed() {
        let last = chrono::DateTime::parse_from_rfc3339("2026-12-07T17:00:00Z").unwrap().to_utc();
        let snapshot = HealthSnapshot { unavailable_since: None, last_unavailable: Some(last), restarts: 2 };
        let text = exposition(&OperationalCounts::default(), &[], &ListsFigures::default(), Some(&snapshot)).unwrap();
        for line in [
            "dealcast_database_up 1",
            "dealcast_database_restarts_total 2",
            "dealcast_database_last_unavailable_timestamp_seconds 1796662800",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
        let away = HealthSnapshot { unavailable_since: Some(last), ..snapshot };
        let text = database_exposition(&away).unwrap();
        assert!(text.contains("dealcast_database_up 0") && !text.contains("scrape_runs"), "{text}");
        assert_eq!(
            outage_lines(&away),
            "database unavailable since: 2026-12-07T17:00:00Z\ndatabase last unavailable: 2026-12-07T17:00:00Z\n\
             database restarts: 2\n"
        );
    }

    #[test]
    fn a_label_value_with_quotes_is_escaped() {
        let counts = OperationalCounts {
            errors_by_kind: vec![("shop_a".into(), "a\"b\\c".into(), 1)],
            ..OperationalCounts::default()
        };
        assert!(exposition(&counts, &[], &ListsFigures::default(), None).unwrap().contains(r#"kind="a\"b\\c""#));
    }

    #[test]
    fn each_accounts_posts_and_budget_left_are_exposed() {
        let budgets = [AccountBudget {
            account: "twittzat".to_string(),
            sent: SentSoFar { this_month: 12, ..SentSoFar::default() },
            budget_left: Some(Decimal::new(750, 2)),
        }];
        let text = exposition(&OperationalCounts::default(), &budgets, &ListsFigures::default(), None).unwrap();
        assert!(text.contains(r#"dealcast_publisher_posts_this_month{account="twittzat"} 12"#), "{text}");
        assert!(text.contains(r#"dealcast_publisher_budget_left{account="twittzat"} 7.5"#), "{text}");
    }
}
