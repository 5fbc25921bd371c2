//! The JSON API under `/api/`: the deals with the same filters as the home page, one deal with its history, the
//! shops' health and the publications. Answers are the store's own serialisable rows (amounts as exact decimal
//! strings); errors are `{"status": 400, "error": "...", "parameter": "..."}`. Documented in docs/web-and-api.md.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::WebState;
use super::error::{ApiError, WebError};
use super::pages::{deal_id, deal_page};
use super::params;
use crate::store::deal_queries::{self, DealDetail, DealRow};
use crate::store::publication_queries::{self, PublicPublication};
use crate::store::shop_overview::{self, ShopOverview};

/// The routes of the API, to be nested under `/api` (where an unknown path is a JSON 404, not an HTML page).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/deals", get(deals))
        .route("/deals/{id}", get(deal))
        .route("/shops", get(shops))
        .route("/publications", get(publications))
        .fallback(not_found)
}

/// A page of deals: `next` is the `after` value of the next page, `null` on the last one.
#[derive(Debug, Serialize)]
pub struct DealsAnswer {
    pub deals: Vec<DealRow>,
    pub next: Option<String>,
}

async fn deals(State(state): State<WebState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let filter = params::deal_filter(query.as_deref())?;
    let key = format!("api {}", params::deal_filter_query(&filter, true));
    let body = state
        .cached_page(key, async {
            let (deals, next) = deal_page(&state, &filter).await?;
            let answer = DealsAnswer { deals, next: next.map(|cursor| cursor.to_string()) };
            serde_json::to_vec(&answer).map(Bytes::from).map_err(WebError::Json)
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// One deal: everything `dealcast deals show --json` gives, its score explained, and its publications.
#[derive(Debug, Serialize)]
pub struct DealAnswer {
    #[serde(flatten)]
    pub detail: DealDetail,
    /// The score's parts in words (English), one line each.
    pub explanation: Vec<String>,
    pub publications: Vec<PublicPublication>,
}

async fn deal(State(state): State<WebState>, Path(raw_id): Path<String>) -> Result<Json<DealAnswer>, ApiError> {
    let id = deal_id(&raw_id)?;
    let detail = deal_queries::deal_detail(state.pool(), id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("there is no deal {id}")))?;
    let publications = publication_queries::public_publications_of_offer(state.pool(), id).await?;
    let explanation = detail.score_parts.as_ref().map(|parts| parts.explain()).unwrap_or_default();
    Ok(Json(DealAnswer { detail, explanation, publications }))
}

/// Every shop with its health.
#[derive(Debug, Serialize)]
pub struct ShopsAnswer {
    pub shops: Vec<ShopOverview>,
}

async fn shops(State(state): State<WebState>) -> Result<Json<ShopsAnswer>, ApiError> {
    Ok(Json(ShopsAnswer { shops: shop_overview::shop_overviews(state.pool(), None).await? }))
}

/// A page of publications, latest first: `next` is the `before` value of the next page.
#[derive(Debug, Serialize)]
pub struct PublicationsAnswer {
    pub publications: Vec<PublicPublication>,
    pub next: Option<i64>,
}

async fn publications(
    State(state): State<WebState>,
    RawQuery(query): RawQuery,
) -> Result<Json<PublicationsAnswer>, ApiError> {
    let filter = params::publication_filter(query.as_deref())?;
    let publications = publication_queries::list_public_publications(state.pool(), &filter).await?;
    let full_page = publications.len() >= usize::try_from(filter.limit).unwrap_or(usize::MAX);
    let next = if full_page { publications.last().map(|last| last.record().id) } else { None };
    Ok(Json(PublicationsAnswer { publications, next }))
}

async fn not_found() -> ApiError {
    ApiError(WebError::NotFound("there is no such API endpoint".to_owned()))
}
