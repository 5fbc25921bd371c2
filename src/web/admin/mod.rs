//! The web admin under `/admin`: the review queue of curated accounts (approve, edit, reject), unhealthy shops to
//! acknowledge, accounts to pause or resume. It only calls the functions the terminal commands use
//! (`publish::review`, `publish::account_state`, `store::health`): the web is one more way to decide, not a second
//! implementation.
//!
//! Everything but the login page sits behind [`require_session`]: no live session sends a page request to the
//! login and answers any other request 401; a POST must carry its session's CSRF token in a form field or is
//! refused 403, before any handler runs. Admin answers are never cached.
//!
//! Map: [`password`] (the argon2 hash), [`sessions`] (sessions in PostgreSQL), [`login_limit`] (failed logins
//! counted in PostgreSQL), [`login`] (login and logout), [`dashboard`] (the admin page and its actions),
//! [`cookies`] (reading and writing the two cookies).

pub mod cookies;
pub mod dashboard;
pub mod login;
pub mod login_limit;
pub mod password;
pub mod sessions;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;

use self::login_limit::LoginLimits;
use self::password::AdminPasswordHash;
use self::sessions::SESSION_COOKIE;
use super::WebState;
use super::error::WebError;
use super::forwarded;
use super::pages::Visitor;
use super::views::href;

/// The admin script (live length of an edited post), compiled into the binary like the stylesheet.
const ADMIN_SCRIPT: &str = include_str!("../../../static/admin.js");

/// The largest admin form read (a post's text is at most a few kilobytes; this bounds what an attacker can make
/// the guard buffer).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What the admin needs beyond the public site: the password's hash and the login budget.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub password: AdminPasswordHash,
    pub limits: LoginLimits,
}

/// The admin routes over `state` (which the session guard needs before the router has its state).
pub fn routes(state: &WebState) -> Router<WebState> {
    let guarded = Router::new()
        .route("/admin", get(dashboard::page))
        .route("/admin/posts/{id}/approve", post(dashboard::approve))
        .route("/admin/posts/{id}/reject", post(dashboard::reject))
        .route("/admin/shops/{id}/acknowledge", post(dashboard::acknowledge))
        .route("/admin/accounts/{id}/pause", post(dashboard::pause))
        .route("/admin/accounts/{id}/resume", post(dashboard::resume))
        .route("/admin/length", post(dashboard::length))
        .route("/admin/logout", post(login::logout))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_session));
    Router::new()
        .route("/admin/login", get(login::page).post(login::submit))
        .merge(guarded)
        .layer(middleware::map_response(no_store))
        // Added after the layer, so that the script (the same for everyone) may be cached.
        .route("/static/admin.js", get(script))
}

/// The client's address, for the login budget: the TCP peer, or behind a trusted reverse proxy the address it
/// forwards (`web::forwarded`); `unknown` when the server was not started with connection info, which only tests
/// do.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl FromRequestParts<WebState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientAddress("unknown".to_owned()));
        };
        let forwarded = parts.headers.get_all("x-forwarded-for").into_iter().filter_map(|value| value.to_str().ok());
        Ok(ClientAddress(forwarded::client_address(peer.ip(), forwarded, state.trusted_proxies()).to_string()))
    }
}

/// Lets a request through only with a live session (and, for anything but GET and HEAD, the session's CSRF token
/// in its urlencoded form body); the session is then an extension of the request.
pub async fn require_session(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let visitor = match Visitor::of(request.uri().query(), request.headers()) {
        Ok(visitor) => visitor,
        Err(error) => return error.into_response(),
    };
    let reading = matches!(*request.method(), Method::GET | Method::HEAD);
    let token = cookies::read(request.headers(), SESSION_COOKIE);
    let session = match (state.admin(), token) {
        (Some(_), Some(token)) => match sessions::find(state.pool(), &token, Utc::now()).await {
            Ok(session) => session,
            Err(error) => return visitor.error(error).into_response(),
        },
        _ => None,
    };
    let Some(session) = session else {
        return if reading {
            Redirect::to(&href("/admin/login", "", visitor.chosen)).into_response()
        } else {
            visitor.error(WebError::Unauthorized).into_response()
        };
    };
    let mut request = request;
    if !reading {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return visitor.error(WebError::Forbidden).into_response();
        };
        let submitted =
            url::form_urlencoded::parse(&bytes).find(|(name, _)| name == "csrf").map(|(_, value)| value.into_owned());
        if !session.csrf_matches(submitted.as_deref()) {
            return visitor.error(WebError::Forbidden).into_response();
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// Admin pages hold a CSRF token and private state: no cache may keep them.
async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        ADMIN_SCRIPT,
    )
}
