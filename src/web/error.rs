//! How a request fails: one error type for every handler, answered as an HTML page (for people) or as JSON (for
//! the API), with the status that says whose fault it is. Server-side failures are logged here, once, with their
//! causes; the visitor only learns that something went wrong.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::params::BadParameter;
use super::text::{Lang, Texts};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A query parameter is invalid (400).
    #[error(transparent)]
    BadParameter(#[from] BadParameter),
    /// No such deal, shop or page (404).
    #[error("{0}")]
    NotFound(String),
    /// The database did not answer (500).
    #[error("could not read the database")]
    Database(#[from] sqlx::Error),
    /// A template failed to render (500).
    #[error("could not render the page")]
    Render(#[from] askama::Error),
    /// The metrics could not be written (500).
    #[error("could not write the metrics")]
    Metrics(#[from] std::fmt::Error),
    /// An admin route without a live session, other than a page (401; pages redirect to the login instead).
    #[error("login required")]
    Unauthorized,
    /// A form without this session's CSRF token, or a login form without its cookie (403).
    #[error("the form's CSRF token is missing or wrong")]
    Forbidden,
    /// An admin session could not be read or written (500).
    #[error("could not handle the admin session")]
    Session(#[from] super::admin::sessions::SessionError),
    /// The password check did not finish (500).
    #[error("could not check the password")]
    PasswordCheck(#[source] tokio::task::JoinError),
    /// An answer could not be written as JSON (500).
    #[error("could not write the answer as JSON")]
    Json(#[source] serde_json::Error),
    /// The failure of another request rendering the same cached page at the same time (its status).
    #[error(transparent)]
    Shared(std::sync::Arc<WebError>),
}

impl WebError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Shared(error) => error.status(),
            WebError::BadParameter(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden => StatusCode::FORBIDDEN,
            // The database is away (restarting, or not reachable): try again later, as the watcher brings it back.
            WebError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_),
            ) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Database(_)
            | WebError::Render(_)
            | WebError::Metrics(_)
            | WebError::Session(_)
            | WebError::PasswordCheck(_)
            | WebError::Json(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs a server-side failure with its causes (client errors are the client's business, not the log's).
    fn log(&self) {
        if self.status().is_server_error() {
            let mut causes = String::new();
            let mut source = std::error::Error::source(self);
            while let Some(cause) = source {
                causes.push_str(": ");
                causes.push_str(&cause.to_string());
                source = cause.source();
            }
            tracing::error!(error = %self, causes = %causes, "web request failed");
        }
    }

    /// What the visitor may be told: the problem for client errors, nothing internal for server errors.
    fn public_message(&self) -> String {
        match self {
            WebError::BadParameter(_) | WebError::NotFound(_) | WebError::Unauthorized | WebError::Forbidden => {
                self.to_string()
            }
            _ => "internal error".to_owned(),
        }
    }
}

/// The JSON body of an API error: `{"status": 400, "error": "min_discount: \"abc\" is not a number",
/// "parameter": "min_discount"}`.
#[derive(Debug, Serialize)]
struct ErrorBody {
    status: u16,
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'static str>,
}

/// An error answered as JSON (the API).
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl From<WebError> for ApiError {
    fn from(error: WebError) -> Self {
        ApiError(error)
    }
}

impl From<BadParameter> for ApiError {
    fn from(error: BadParameter) -> Self {
        ApiError(error.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        error.log();
        let status = error.status();
        let parameter = match &error {
            WebError::BadParameter(bad) => Some(bad.parameter),
            _ => None,
        };
        (status, Json(ErrorBody { status: status.as_u16(), error: error.public_message(), parameter })).into_response()
    }
}

/// An error answered as an HTML page, in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub error: WebError,
    pub lang: Lang,
}

impl PageError {
    /// `error`, to be shown in `lang`.
    pub fn new(error: impl Into<WebError>, lang: Lang) -> Self {
        PageError { error: error.into(), lang }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Texts,
    lang: &'static str,
    home: String,
    heading: &'a str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError { error, lang } = self;
        error.log();
        let t = lang.texts();
        let status = error.status();
        let (heading, message) = match &error {
            WebError::BadParameter(_) => (t.bad_request, error.public_message()),
            WebError::NotFound(_) => (t.not_found, t.not_found_text.to_owned()),
            WebError::Unauthorized => (t.login_required, t.login_required_text.to_owned()),
            WebError::Forbidden => (t.forbidden, t.form_expired.to_owned()),
            _ => (t.server_error, t.server_error_text.to_owned()),
        };
        let home = match lang {
            Lang::Fr => "/".to_owned(),
            other => format!("/?lang={}", other.code()),
        };
        let page = ErrorPage { t, lang: lang.code(), home, heading, message };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(render) => {
                tracing::error!(error = %render, "could not render the error page");
                (status, heading.to_owned()).into_response()
            }
        }
    }
}
