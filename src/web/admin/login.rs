//! Logging in and out of the admin. The login form is protected like every other form: before a session exists,
//! its CSRF token is a random value in a short-lived cookie that the form repeats (a "double submit"), so that no
//! other site can log a browser into this admin. Each admitted attempt checks the password against the argon2 hash
//! off the async threads; the login budget ([`super::login_limit`]) is spent before the hash is computed: a client past
//! its own limit is refused without it, any other gets its password checked (slowed down during an attack).

use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::login_limit::{self, Admission};
use super::sessions::{self, SESSION_COOKIE, SESSION_LIFETIME};
use super::{ClientAddress, cookies};
use crate::web::WebState;
use crate::web::error::{PageError, WebError};
use crate::web::pages::{Layout, Visitor};
use crate::web::text::fill;
use crate::web::views::href;

/// The cookie holding the login form's CSRF token.
pub const LOGIN_COOKIE: &str = "dealcast_login";

/// How long a login form stays valid.
const LOGIN_FORM_SECS: i64 = 3600;

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    layout: Layout,
    enabled: bool,
    csrf: String,
    action: String,
    problem: Option<String>,
}

/// The login form's fields; both default to empty so that a missing field is refused by the checks, not by the
/// form parser.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    password: String,
    csrf: String,
}

fn login_page(visitor: Visitor, enabled: bool, csrf: String, problem: Option<String>) -> Result<String, PageError> {
    let page = LoginPage {
        layout: Layout::new(visitor, visitor.lang.texts().login_title, "/admin/login", ""),
        enabled,
        csrf,
        action: href("/admin/login", "", visitor.chosen),
        problem,
    };
    page.render().map_err(|error| visitor.error(error))
}

fn secure(state: &WebState) -> bool {
    state.base_url().scheme() == "https"
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /admin/login`: the form (with a fresh CSRF cookie), how to enable the admin when no password is configured,
/// or the admin itself for a browser already logged in.
pub async fn page(
    State(state): State<WebState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    if state.admin().is_none() {
        return Ok(Html(login_page(visitor, false, String::new(), None)?).into_response());
    }
    if let Some(token) = cookies::read(&headers, SESSION_COOKIE)
        && sessions::find(state.pool(), &token, Utc::now()).await.map_err(|e| visitor.error(e))?.is_some()
    {
        return Ok(Redirect::to(&href("/admin", "", visitor.chosen)).into_response());
    }
    let csrf = sessions::random_token().map_err(|e| visitor.error(e))?;
    let cookie = cookies::set(LOGIN_COOKIE, &csrf, "/admin/login", LOGIN_FORM_SECS, secure(&state));
    Ok(with_cookie(Html(login_page(visitor, true, csrf, None)?).into_response(), cookie))
}

/// `POST /admin/login`: checks the form's CSRF token, the login budget, then the password; opens a session.
pub async fn submit(
    State(state): State<WebState>,
    ClientAddress(client): ClientAddress,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    let t = visitor.lang.texts();
    let Some(admin) = state.admin() else {
        return Ok((StatusCode::FORBIDDEN, Html(login_page(visitor, false, String::new(), None)?)).into_response());
    };
    let expected = cookies::read(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(form.csrf.as_bytes())) {
        return Err(visitor.error(WebError::Forbidden));
    }
    let now = Utc::now();
    let attempt = match login_limit::admit(state.pool(), &client, now, admin.limits).await {
        Err(error) => return Err(visitor.error(error)),
        Ok(Admission::Refused { retry_after }) => {
            let minutes = ((retry_after.num_seconds() + 59) / 60).max(1).to_string();
            tracing::warn!(client = %client, "admin login refused: too many failed attempts");
            let body = login_page(visitor, true, expected, Some(fill(t.login_too_many, &[("minutes", &minutes)])))?;
            let mut response = (StatusCode::TOO_MANY_REQUESTS, Html(body)).into_response();
            if let Ok(seconds) = HeaderValue::from_str(&retry_after.num_seconds().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, seconds);
            }
            return Ok(response);
        }
        Ok(Admission::Admitted { id, slow_down }) => {
            if !slow_down.is_zero() {
                tracing::warn!(client = %client, "admin login slowed down: many failed attempts from all clients");
                tokio::time::sleep(slow_down).await;
            }
            id
        }
    };
    let password = admin.password.clone();
    let right = tokio::task::spawn_blocking(move || password.verify(&form.password))
        .await
        .map_err(|error| visitor.error(WebError::PasswordCheck(error)))?;
    if !right {
        tracing::warn!(client = %client, "admin login with a wrong password");
        let body = login_page(visitor, true, expected, Some(t.login_wrong.to_owned()))?;
        return Ok((StatusCode::UNAUTHORIZED, Html(body)).into_response());
    }
    login_limit::record_success(state.pool(), attempt).await.map_err(|e| visitor.error(e))?;
    let (token, _session) = sessions::open(state.pool(), &client, now).await.map_err(|e| visitor.error(e))?;
    tracing::info!(client = %client, "admin logged in");
    let response = Redirect::to(&href("/admin", "", visitor.chosen)).into_response();
    let response = with_cookie(
        response,
        cookies::set(SESSION_COOKIE, &token, "/", SESSION_LIFETIME.num_seconds(), secure(&state)),
    );
    Ok(with_cookie(response, cookies::set(LOGIN_COOKIE, "", "/admin/login", 0, secure(&state))))
}

/// `POST /admin/logout` (behind the session guard): ends the session and forgets the cookie.
pub async fn logout(
    State(state): State<WebState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let visitor = Visitor::of(query.as_deref(), &headers)?;
    if let Some(token) = cookies::read(&headers, SESSION_COOKIE) {
        sessions::close(state.pool(), &token).await.map_err(|e| visitor.error(e))?;
    }
    let response = Redirect::to(&href("/admin/login", "", visitor.chosen)).into_response();
    Ok(with_cookie(response, cookies::set(SESSION_COOKIE, "", "/", 0, secure(&state))))
}
