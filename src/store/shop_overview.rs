//! Each shop's health as an operator reads it: the verdict of its latest judged run (healthy or not, and why), its
//! active offers and deals, its last runs with their counts, and its errors by kind. `health` decides; this module
//! only gathers what the shops page, the API and the feeds show.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use sqlx::types::Json;

/// How many recent runs a shop's overview holds.
pub const RECENT_RUNS: i64 = 5;

/// One scrape run, as summarised for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub id: i64,
    /// `running`, `succeeded`, `failed` or `abandoned`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pages_fetched: i32,
    pub offers_seen: i32,
    pub offers_new: i32,
    pub offers_changed: i32,
    pub offers_rejected: i32,
    pub offers_ended: i32,
    /// Error counts by kind (`http_404`, `timeout`, `parse`...).
    pub errors: BTreeMap<String, i64>,
    /// The health verdict given to the run (`None` while running or never judged).
    pub healthy: Option<bool>,
    pub note: Option<String>,
    /// What the run's requests were.
    pub requests: RunRequests,
}

/// What one run's requests were (`scrape_runs.requests`), as the harvest recorded them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunRequests {
    pub fetched: i64,
    pub not_modified: i64,
    pub skipped_by_lastmod: i64,
    pub listing_observations: i64,
    /// Product pages fetched, by reason.
    pub product_pages: BTreeMap<String, i64>,
}

impl RunRequests {
    /// Requests sent to the shop.
    pub fn total(&self) -> i64 {
        self.fetched + self.not_modified
    }
}

/// One shop's health and activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopOverview {
    pub id: String,
    pub name: String,
    pub homepage: String,
    pub healthy: bool,
    /// Why the shop is unhealthy, in an operator's words.
    pub unhealthy_reason: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    /// Offers still on the shop.
    pub active_offers: i64,
    /// Active offers with a score: the shop's deals.
    pub active_deals: i64,
    /// The latest runs, newest first (at most [`RECENT_RUNS`]).
    pub recent_runs: Vec<RunSummary>,
    /// Errors by kind, summed over the recent runs.
    pub errors_by_kind: BTreeMap<String, i64>,
}

#[derive(sqlx::FromRow)]
struct ShopRow {
    id: String,
    name: String,
    homepage: String,
    healthy: bool,
    unhealthy_reason: Option<String>,
    acknowledged_at: Option<DateTime<Utc>>,
    acknowledged_by: Option<String>,
    active_offers: i64,
    active_deals: i64,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    shop_id: String,
    id: i64,
    status: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    pages_fetched: i32,
    offers_seen: i32,
    offers_new: i32,
    offers_changed: i32,
    offers_rejected: i32,
    offers_ended: i32,
    errors: Json<serde_json::Value>,
    healthy: Option<bool>,
    note: Option<String>,
    requests: Json<serde_json::Value>,
}

/// Every shop (or only `only`), unhealthy ones first, then by name. The offer counts are the kept ones
/// (`store::kept_counts`): no request counts offers.
pub async fn shop_overviews(pool: &PgPool, only: Option<&str>) -> Result<Vec<ShopOverview>, sqlx::Error> {
    let shops: Vec<ShopRow> = sqlx::query_as(
        "SELECT s.id, s.name, s.homepage, s.healthy, s.unhealthy_reason, s.acknowledged_at, s.acknowledged_by,
             COALESCE(c.active_offers, 0) AS active_offers, COALESCE(c.active_deals, 0) AS active_deals
         FROM shops s LEFT JOIN shop_counts c ON c.shop_id = s.id
         WHERE ($1::text IS NULL OR s.id = $1)
         ORDER BY s.healthy, lower(s.name), s.id",
    )
    .bind(only)
    .fetch_all(pool)
    .await?;
    let runs: Vec<RunRow> = sqlx::query_as(
        "SELECT s.id AS shop_id, r.id, r.status, r.started_at, r.finished_at, r.pages_fetched, r.offers_seen,
             r.offers_new, r.offers_changed, r.offers_rejected, r.offers_ended, r.errors, r.healthy, r.note,
             r.requests
         FROM shops s
         CROSS JOIN LATERAL (SELECT * FROM scrape_runs r WHERE r.shop_id = s.id
                             ORDER BY r.started_at DESC, r.id DESC LIMIT $2) r
         WHERE ($1::text IS NULL OR s.id = $1)
         ORDER BY s.id, r.started_at DESC, r.id DESC",
    )
    .bind(only)
    .bind(RECENT_RUNS)
    .fetch_all(pool)
    .await?;

    let mut runs_by_shop: BTreeMap<String, Vec<RunSummary>> = BTreeMap::new();
    for run in runs {
        runs_by_shop.entry(run.shop_id.clone()).or_default().push(run.into_summary());
    }
    Ok(shops
        .into_iter()
        .map(|shop| {
            let recent_runs = runs_by_shop.remove(&shop.id).unwrap_or_default();
            let mut errors_by_kind: BTreeMap<String, i64> = BTreeMap::new();
            for (kind, count) in recent_runs.iter().flat_map(|run| &run.errors) {
                *errors_by_kind.entry(kind.clone()).or_default() += count;
            }
            ShopOverview {
                id: shop.id,
                name: shop.name,
                homepage: shop.homepage,
                healthy: shop.healthy,
                unhealthy_reason: shop.unhealthy_reason,
                acknowledged_at: shop.acknowledged_at,
                acknowledged_by: shop.acknowledged_by,
                active_offers: shop.active_offers,
                active_deals: shop.active_deals,
                recent_runs,
                errors_by_kind,
            }
        })
        .collect())
}

/// Every shop's (id, name), by name: what a shop filter offers.
pub async fn shop_names<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM shops ORDER BY lower(name), id").fetch_all(db).await
}

/// The counts of an errors object; anything that is not a whole count (which the scraper never writes) is left
/// out rather than failing the page.
fn error_counts(errors: &serde_json::Value) -> BTreeMap<String, i64> {
    errors
        .as_object()
        .map(|object| object.iter().filter_map(|(kind, count)| Some((kind.clone(), count.as_i64()?))).collect())
        .unwrap_or_default()
}

impl RunRow {
    fn into_summary(self) -> RunSummary {
        RunSummary {
            errors: error_counts(&self.errors.0),
            id: self.id,
            status: self.status,
            started_at: self.started_at,
            finished_at: self.finished_at,
            pages_fetched: self.pages_fetched,
            offers_seen: self.offers_seen,
            offers_new: self.offers_new,
            offers_changed: self.offers_changed,
            offers_rejected: self.offers_rejected,
            offers_ended: self.offers_ended,
            healthy: self.healthy,
            note: self.note,
            // Runs recorded before requests were counted (or by another version) show zeros, not an error.
            requests: serde_json::from_value(self.requests.0).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_counts_keep_whole_counts_and_skip_anything_else() {
        let errors = serde_json::json!({"http_404": 3, "timeout": 1, "odd": "x", "negative": -1, "fraction": 0.5});
        let counts = error_counts(&errors);
        assert_eq!(counts.get("http_404"), Some(&3));
        assert_eq!(counts.get("timeout"), Some(&1));
        assert_eq!(counts.get("negative"), Some(&-1));
        assert!(!counts.contains_key("odd") && !counts.contains_key("fraction"));
    }

    #[test]
    fn errors_that_are_not_an_object_count_nothing() {
        assert!(error_counts(&serde_json::json!([1, 2])).is_empty());
    }
}
