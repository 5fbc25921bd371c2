//! The admin page and its actions: the posts of curated accounts waiting for review (approve as proposed or with
//! an edited text, reject with an optional reason), the unhealthy shops (acknowledge), the publishing accounts
//! (pause, resume, and why their next slot would post fewer deals than it wants), and the weighted length of a text being edited (asked by `static/admin.js` as the operator
//! types; without the script the page still shows the proposed text's length and the server checks on submit).
//!
//! Every action redirects back to the page with a notice (so that reloading does not repeat it), except a refused
//! edit, which shows the page again with the operator's text and why it was refused.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::sessions::AdminSession;
use crate::publish::review::{self, ReviewError};
use crate::publish::text_length::{MAX_WEIGHTED_LENGTH, weighted_length};
use crate::publish::{account_state, shortfall};
use crate::store::publication_queries::PublicationRecord;
use crate::store::{health, shop_overview};
use crate::web::WebState;
use crate::web::error::{PageError, WebError};
use crate::web::pages::{Layout, Visitor};
use crate::web::text::{Texts, fill};
use crate::web::views::href;

/// Who the decisions taken here are recorded as (`review_decisions.decided_by`, `shops.acknowledged_by`): the admin
/// has one password, not users.
pub const ACTOR: &str = "web-admin";

/// What an action did, shown once on the page it redirects to (`?done=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Approved,
    Edited,
    Rejected,
    Acknowledged,
    Paused,
    Resumed,
}

impl Done {
    const ALL: [Done; 6] =
        [Done::Approved, Done::Edited, Done::Rejected, Done::Acknowledged, Done::Paused, Done::Resumed];

    fn code(self) -> &'static str {
        match self {
            Done::Approved => "approved",
            Done::Edited => "edited",
            Done::Rejected => "rejected",
            Done::Acknowledged => "acknowledged",
            Done::Paused => "paused",
            Done::Resumed => "resumed",
        }
    }

    fn words(self, t: &'static Texts) -> &'static str {
        match self {
            Done::Approved => t.done_approved,
            Done::Edited => t.done_edited,
            Done::Rejected => t.done_rejected,
            Done::Acknowledged => t.done_acknowledged,
            Done::Paused => t.done_paused,
            Done::Resumed => t.done_resumed,
        }
    }

    /// The notice a query string asks for (unknown values show nothing).
    fn of_query(query: Option<&str>) -> Option<Done> {
        let value = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(name, _)| name == "done")
            .map(|(_, value)| value.into_owned())?;
        Done::ALL.into_iter().find(|done| done.code() == value)
    }
}

/// One post waiting for review, worded.
struct PendingLine {
    id: i64,
    account: String,
    deal_title: String,
    deal_href: String,
    shop: String,
    proposed_at: String,
    text: String,
    length: usize,
    over: bool,
    problem: Option<String>,
    /// Its discount is only the shop's claim: shown as unverified.
    claim_only: bool,
    approve_action: String,
    reject_action: String,
}

/// One unhealthy shop.
struct ShopLine {
    id: String,
    name: String,
    reason: String,
    acknowledge_action: String,
}

/// One publishing account.
struct AccountLine {
    id: String,
    paused: bool,
    paused_reason: Option<String>,
    rate_limited_until: Option<String>,
    /// Why its next slot would post fewer deals than it wants (empty when it posts all it wants).
    why_fewer: Vec<String>,
    action: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    csrf: String,
    notice: Option<&'static str>,
    problem: Option<String>,
    max_length: usize,
    posts: Vec<PendingLine>,
    shops: Vec<ShopLine>,
    accounts: Vec<AccountLine>,
    logout_action: String,
}

/// A refused edit to show again: the post, the operator's text, and why.
struct Refusal {
    id: i64,
    text: String,
    message: String,
}

async fn render(
    state: &WebState,
    visitor: Visitor,
    session: &AdminSession,
    notice: Option<Done>,
    problem: Option<String>,
    refusal: Option<Refusal>,
) -> Result<String, PageError> {
    let t = visitor.lang.texts();
    let lang = visitor.lang;
    let pool = state.pool();
    let pending = review::pending(pool, None).await.map_err(|e| visitor.error(e))?;
    let shops = shop_overview::shop_overviews(pool, None).await.map_err(|e| visitor.error(e))?;
    let accounts = account_state::all(pool).await.map_err(|e| visitor.error(e))?;
    let mut why_fewer = Vec::with_capacity(accounts.len());
    for account in &accounts {
        why_fewer.push(match state.accounts().iter().find(|configured| configured.name == account.id) {
            Some(configured) => {
                let why = shortfall::explain(pool, configured, Utc::now()).await.map_err(|e| visitor.error(e))?;
                if why.is_full() && why.held.is_none() { Vec::new() } else { why.lines(lang.shortfall_wording()) }
            }
            None => Vec::new(),
        });
    }
    let action = |path: String| href(&path, "", visitor.chosen);
    let post_line = |row: &PublicationRecord| {
        let refused = refusal.as_ref().filter(|refusal| refusal.id == row.id);
        let text = refused.map_or_else(|| row.text.clone(), |refusal| refusal.text.clone());
        let length = weighted_length(&text);
        PendingLine {
            id: row.id,
            account: row.account_id.clone(),
            deal_title: row.offer_title.clone(),
            deal_href: href(&format!("/deals/{}", row.offer_id), "", visitor.chosen),
            shop: row.shop_name.clone(),
            proposed_at: lang.date_time(row.created_at, state.time_zone()),
            over: length > MAX_WEIGHTED_LENGTH,
            length,
            text,
            problem: refused.map(|refusal| refusal.message.clone()),
            claim_only: row.claim_only,
            approve_action: action(format!("/admin/posts/{}/approve", row.id)),
            reject_action: action(format!("/admin/posts/{}/reject", row.id)),
        }
    };
    let page = AdminPage {
        layout: Layout::new(visitor, t.admin_title, "/admin", ""),
        csrf: session.csrf_token.clone(),
        notice: notice.map(|done| done.words(t)),
        problem,
        max_length: MAX_WEIGHTED_LENGTH,
        posts: pending.iter().map(post_line).collect(),
        shops: shops
            .into_iter()
            .filter(|shop| !shop.healthy)
            .map(|shop| ShopLine {
                acknowledge_action: action(format!("/admin/shops/{}/acknowledge", path_segment(&shop.id))),
                reason: shop.unhealthy_reason.unwrap_or_else(|| t.unknown.to_owned()),
                id: shop.id,
                name: shop.name,
            })
            .collect(),
        accounts: accounts
            .into_iter()
            .zip(why_fewer)
            .map(|(account, why_fewer)| AccountLine {
                action: action(format!(
                    "/admin/accounts/{}/{}",
                    path_segment(&account.id),
                    if account.paused { "resume" } else { "pause" }
                )),
                paused: account.paused,
                paused_reason: account.paused_reason,
                rate_limited_until: account
                    .rate_limited_until
                    .filter(|until| *until > Utc::now())
                    .map(|at| lang.date_time(at, state.time_zone())),
                why_fewer,
                id: account.id,
            })
            .collect(),
        logout_action: action("/admin/logout".to_owned()),
    };
    page.render().map_err(|error| visitor.error(error))
}

/// A shop or account id as one path segment (ids are plain words, but a configured name could hold anything).
fn path_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn done(visitor: Visitor, what: Done) -> Response {
    let query = format!("done={}", what.code());
    Redirect::to(&href("/admin", &query, visitor.chosen)).into_response()
}

/// `GET /admin`.
pub async fn page(
    State(state): State<WebState>,
    Extension(session): Extension<AdminSession>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let notice = Done::of_query(query.as_deref());
    Ok(Html(render(&state, visitor, &session, notice, None, None).await?))
}

/// The approve form: the text as the operator left it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApproveForm {
    text: Option<String>,
}

/// The reject, pause and resume forms: an optional reason.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: Option<String>,
}

/// Browsers send a textarea's line breaks as CRLF; posts use LF.
fn normalise_text(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn post_id(raw: &str, visitor: Visitor) -> Result<i64, PageError> {
    raw.parse().map_err(|_| visitor.error(WebError::NotFound(format!("there is no post {raw:?}"))))
}

/// Why a review decision was refused, in the operator's words.
fn refusal_words(error: &ReviewError, t: &'static Texts) -> String {
    match error {
        ReviewError::EmptyText => t.text_empty.to_owned(),
        ReviewError::TooLong { length } => {
            fill(t.text_too_long, &[("length", &length.to_string()), ("max", &MAX_WEIGHTED_LENGTH.to_string())])
        }
        ReviewError::TextTaken => t.text_taken.to_owned(),
        ReviewError::ClaimNotAttributed => t.claim_not_attributed.to_owned(),
        ReviewError::NotFound { .. } | ReviewError::NotPending { .. } => t.post_gone.to_owned(),
        // Only an approval that re-checks the deal refuses so; its reason names the prices (not yet translated).
        ReviewError::DealOver { .. } | ReviewError::NotRechecked { .. } => error.to_string(),
        ReviewError::Database(_) => t.server_error_text.to_owned(),
    }
}

/// `POST /admin/posts/{id}/approve`: approves as proposed, or with the edited text when it differs.
pub async fn approve(
    State(state): State<WebState>,
    Extension(session): Extension<AdminSession>,
    Path(raw_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    Form(form): Form<ApproveForm>,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let id = post_id(&raw_id, visitor)?;
    let pending = review::pending(state.pool(), None).await.map_err(|e| visitor.error(e))?;
    let proposed = pending.iter().find(|row| row.id == id).map(|row| row.text.clone());
    let submitted = form.text.as_deref().map(normalise_text);
    let edited = submitted.clone().filter(|text| proposed.as_deref() != Some(text.as_str()));
    let account = pending
        .iter()
        .find(|row| row.id == id)
        .and_then(|row| state.accounts().iter().find(|account| account.name == row.account_id));
    let approved = match account {
        // The deal's page is read again first, for an account that re-checks deals.
        Some(account) if account.rechecks() => {
            let (rechecker, text) = (state.rechecker(), edited.as_deref());
            review::approve_after_recheck(state.pool(), rechecker, account, id, text, ACTOR, Utc::now()).await
        }
        _ => review::approve(state.pool(), id, edited.as_deref(), ACTOR, Utc::now()).await,
    };
    match approved {
        Ok(()) => {
            tracing::info!(post = id, edited = edited.is_some(), "post approved in the web admin");
            Ok(done(visitor, if edited.is_some() { Done::Edited } else { Done::Approved }))
        }
        Err(error) => refused(&state, visitor, &session, id, submitted, error).await,
    }
}

/// Shows the page again after a refused decision, the operator's text kept.
async fn refused(
    state: &WebState,
    visitor: Visitor,
    session: &AdminSession,
    id: i64,
    text: Option<String>,
    error: ReviewError,
) -> Result<Response, PageError> {
    let t = visitor.lang.texts();
    let (status, message) = match error {
        ReviewError::Database(error) => return Err(visitor.error(error)),
        gone @ (ReviewError::NotFound { .. } | ReviewError::NotPending { .. }) => {
            (StatusCode::CONFLICT, refusal_words(&gone, t))
        }
        refused => (StatusCode::UNPROCESSABLE_ENTITY, refusal_words(&refused, t)),
    };
    let body = match text {
        Some(text) if status == StatusCode::UNPROCESSABLE_ENTITY => {
            render(state, visitor, session, None, None, Some(Refusal { id, text, message })).await?
        }
        _ => render(state, visitor, session, None, Some(message), None).await?,
    };
    Ok((status, Html(body)).into_response())
}

/// `POST /admin/posts/{id}/reject`.
pub async fn reject(
    State(state): State<WebState>,
    Extension(session): Extension<AdminSession>,
    Path(raw_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let id = post_id(&raw_id, visitor)?;
    let reason = form.reason.map(|reason| reason.trim().to_owned()).filter(|reason| !reason.is_empty());
    match review::reject(state.pool(), id, reason.as_deref(), ACTOR, Utc::now()).await {
        Ok(()) => {
            tracing::info!(post = id, "post rejected in the web admin");
            Ok(done(visitor, Done::Rejected))
        }
        Err(error) => refused(&state, visitor, &session, id, None, error).await,
    }
}

/// `POST /admin/shops/{id}/acknowledge`: the shop's latest unhealthy verdict is accepted as its new normal.
pub async fn acknowledge(
    State(state): State<WebState>,
    Path(shop): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let known = health::acknowledge(state.pool(), &shop, ACTOR, Utc::now()).await.map_err(|e| visitor.error(e))?;
    if !known {
        return Err(visitor.error(WebError::NotFound(format!("there is no shop {shop:?}"))));
    }
    tracing::info!(shop = %shop, "shop acknowledged in the web admin");
    Ok(done(visitor, Done::Acknowledged))
}

/// `POST /admin/accounts/{id}/pause`.
pub async fn pause(
    State(state): State<WebState>,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let reason = form
        .reason
        .map(|reason| reason.trim().to_owned())
        .filter(|reason| !reason.is_empty())
        .unwrap_or_else(|| visitor.lang.texts().default_pause_reason.to_owned());
    let known = account_state::pause(state.pool(), &account, &reason).await.map_err(|e| visitor.error(e))?;
    if !known {
        return Err(visitor.error(WebError::NotFound(format!("there is no account {account:?}"))));
    }
    tracing::info!(account = %account, "account paused in the web admin");
    Ok(done(visitor, Done::Paused))
}

/// `POST /admin/accounts/{id}/resume`.
pub async fn resume(
    State(state): State<WebState>,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let known = account_state::resume(state.pool(), &account).await.map_err(|e| visitor.error(e))?;
    if !known {
        return Err(visitor.error(WebError::NotFound(format!("there is no account {account:?}"))));
    }
    tracing::info!(account = %account, "account resumed in the web admin");
    Ok(done(visitor, Done::Resumed))
}

/// The length form (sent by the script): the text being edited.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LengthForm {
    text: String,
}

/// The weighted length of a text, as the platform counts it.
#[derive(Debug, Serialize)]
pub struct LengthAnswer {
    length: usize,
    max: usize,
    fits: bool,
}

/// `POST /admin/length`: `{"length": 57, "max": 280, "fits": true}`.
pub async fn length(Form(form): Form<LengthForm>) -> Json<LengthAnswer> {
    let length = weighted_length(&normalise_text(&form.text));
    Json(LengthAnswer { length, max: MAX_WEIGHTED_LENGTH, fits: length <= MAX_WEIGHTED_LENGTH })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_read_from_the_query_and_unknown_ones_are_ignored() {
        assert_eq!(Done::of_query(Some("done=rejected&lang=en")), Some(Done::Rejected));
        assert_eq!(Done::of_query(Some("done=%3Cscript%3E")), None);
        assert_eq!(Done::of_query(None), None);
    }

    #[test]
    fn browser_line_breaks_become_post_line_breaks() {
        assert_eq!(normalise_text("a\r\nb\nc"), "a\nb\nc");
    }

    #[test]
    fn a_refused_edit_says_how_long_it_was() {
        let words = refusal_words(&ReviewError::TooLong { length: 301 }, &crate::web::text::FRENCH);
        assert!(words.contains("301") && words.contains("280"), "{words}");
    }
}
