//! The endpoints for machines that watch dealcast: `/healthz` (is the database answering?) and `/metrics`
//! (Prometheus: scrape runs by status, active offers, shop health, errors by kind, publications by status, and each
//! account's posts this month and budget left).
//!
//! The figures are counted from the database at each scrape (see `store::operational_counts` for why) and written
//! with `prometheus-client`, which escapes label values and writes the OpenMetrics text format Prometheus reads.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use std::sync::atomic::AtomicU64;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::WebState;
use super::error::{ApiError, WebError};
use crate::publish::outbox::sent_so_far;
use crate::publish::pacing::{PacingRules, SentSoFar, budget_left};
use crate::store::operational_counts::{OperationalCounts, operational_counts};
use crate::store::search_index;

/// The content type of the OpenMetrics text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The routes of the machine endpoints.
pub fn routes() -> Router<WebState> {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics))
}

/// 200 `ok` when the database answers, 503 otherwise (load balancers and `dealcast run`'s supervisor ask this).
async fn healthz(State(state): State<WebState>) -> Response {
    match sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(state.pool()).await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer\n").into_response()
        }
    }
}

async fn metrics(State(state): State<WebState>) -> Result<Response, ApiError> {
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
    let text = exposition(&counts, &budgets, &lists).map_err(WebError::from)?;
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
) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("dealcast");

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

    let generation: Gauge = Gauge::default();
    registry.register(
        "search_generation",
        "The database's search generation (one per search refresh)",
        generation.clone(),
    );
    generation.set(lists.search_generation);
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
        for (name, help, value) in figures {
            let gauge: Gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge.set(value);
        }
    }

    let mut text = String::new();
    encode(&mut text, &registry)?;
    Ok(text)
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

    #[test]
    fn every_figure_is_exposed_with_its_labels() {
        let counts = OperationalCounts {
            runs_by_status: vec![("shop_a".into(), "succeeded".into(), 3)],
            offers: vec![("shop_a".into(), 10, 4)],
            shop_health: vec![("shop_a".into(), false)],
            errors_by_kind: vec![("shop_a".into(), "http_404".into(), 2)],
            publications: vec![StatusCount { account_id: "deals_fr".into(), status: "published".into(), count: 5 }],
        };
        let text = exposition(&counts, &[], &ListsFigures::default()).unwrap();
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
        let text = exposition(&OperationalCounts::default(), &[], &lists).unwrap();
        for line in [
            "dealcast_search_generation 42",
            "dealcast_deal_lists_generation 41",
            "dealcast_deal_lists_offers 1000000",
            "dealcast_deal_lists_overlaid 5000",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
        let without = exposition(&OperationalCounts::default(), &[], &ListsFigures::default()).unwrap();
        assert!(!without.contains("deal_lists"), "no lists, no figures: {without}");
    }

    #[test]
    fn a_label_value_with_quotes_is_escaped() {
        let counts = OperationalCounts {
            errors_by_kind: vec![("shop_a".into(), "a\"b\\c".into(), 1)],
            ..OperationalCounts::default()
        };
        assert!(exposition(&counts, &[], &ListsFigures::default()).unwrap().contains(r#"kind="a\"b\\c""#));
    }

    #[test]
    fn each_accounts_posts_and_budget_left_are_exposed() {
        let budgets = [AccountBudget {
            account: "twittzat".to_string(),
            sent: SentSoFar { this_month: 12, ..SentSoFar::default() },
            budget_left: Some(Decimal::new(750, 2)),
        }];
        let text = exposition(&OperationalCounts::default(), &budgets, &ListsFigures::default()).unwrap();
        assert!(text.contains(r#"dealcast_publisher_posts_this_month{account="twittzat"} 12"#), "{text}");
        assert!(text.contains(r#"dealcast_publisher_budget_left{account="twittzat"} 7.5"#), "{text}");
    }
}
