//! The calls the publisher makes to X API v2 (post, who am I, my recent posts), each answer sorted into what the
//! publisher must do next: record the post, reconcile a duplicate, re-compose a post whose text X refused (too
//! long, invalid), stop the account (refused credentials, suspension, missing app permissions, each said its own
//! way), wait for the rate-limit reset, or reconcile and retry after a transient failure. Knowing that a duplicate or a dropped connection may
//! mean the post went out is what makes exactly-once publishing possible, so the classification lives here, once.
//!
//! Secrets never leave [`Credentials`] except inside the signed `Authorization` header; nothing here logs headers.

use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use url::Url;

use super::oauth::{Credentials, authorization_header, new_nonce};
use crate::publish::platform::TextRefusal;

/// X's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.x.com";

/// The phrase X puts in a 403's detail when the text was already posted by the account.
const DUPLICATE_PHRASE: &str = "duplicate content";

/// The phrase of X's 403 for a post over its length limit ("Your Tweet text is too long...").
const TOO_LONG_PHRASE: &str = "too long";

/// The phrase of X's 403 for a suspended account ("Your account is suspended...").
const SUSPENDED_PHRASE: &str = "suspended";

/// Phrases of X's 403s for an app without the access it needs: "You are not permitted to perform this action",
/// "...oauth1 app permissions...", the `client-not-enrolled` problem of an app outside a project.
const PERMISSION_PHRASES: [&str; 3] = ["permitted", "permission", "client-not-enrolled"];

/// Phrases of X's 403s about the request's authentication itself (tokens, credentials), which stop the account.
const CREDENTIAL_PHRASES: [&str; 3] = ["credential", "token", "authenticat"];

/// How long to wait after a 429 that carries no usable `x-rate-limit-reset` (X's rate-limit window is 15 minutes).
const FALLBACK_RATE_LIMIT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Why a call to X did not give the answer hoped for, sorted by what the caller must do.
#[derive(Debug, thiserror::Error)]
pub enum XError {
    /// The base URL cannot have API paths joined to it.
    #[error("X API base URL {base_url} is not usable")]
    BaseUrl {
        base_url: String,
        #[source]
        source: url::ParseError,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("could not build the HTTP client for X")]
    ClientBuild {
        #[source]
        source: reqwest::Error,
    },
    /// The system random source failed, so no OAuth nonce could be made.
    #[error("could not draw an OAuth nonce")]
    Nonce {
        #[source]
        source: getrandom::Error,
    },
    /// 403 "duplicate content": the account already posted this text, perhaps our own earlier attempt. Reconcile.
    #[error("X refused {url} as duplicate content: {detail}")]
    Duplicate { url: String, detail: String },
    /// 401, or a 403 about the credentials: the keys or tokens are wrong or revoked. Stop the account.
    #[error(
        "X refused the credentials at {url} ({status}): {detail}; check the account's consumer key and secret and \
         its access token and secret"
    )]
    Unauthorized { url: String, status: u16, detail: String },
    /// 403: X suspended (or locked) the account. Stop the account.
    #[error("X says the account is suspended ({url}, 403): {detail}; its owner must settle it with X")]
    Suspended { url: String, detail: String },
    /// 403: the app lacks the access the call needs (read-only app, app outside a project). Stop the account.
    #[error(
        "X refused the app's permissions at {url} (403): {detail}; give the app read and write access in the \
         developer portal, then generate the access token again"
    )]
    AppPermissions { url: String, detail: String },
    /// 403 "too long" or 400 about the text: X refused this post's words, not the account. Re-compose the post.
    #[error("X refused the post's text at {url} ({status}, {refusal}): {detail}")]
    TextRefused { url: String, status: u16, refusal: TextRefusal, detail: String },
    /// 429: no more requests until `reset_at`.
    #[error("X rate limit reached at {url}; next request allowed at {reset_at}")]
    RateLimited { url: String, reset_at: DateTime<Utc> },
    /// 5xx, timeout or dropped connection: the request may or may not have taken effect. Reconcile, then retry.
    #[error("X did not answer {url} conclusively")]
    Transient {
        url: String,
        #[source]
        source: TransientCause,
    },
    /// Any other status (400, 404, a 403 of no known kind...): the request itself is wrong; retrying will not help.
    #[error("X answered {url} with {status}: {body}")]
    Rejected { url: String, status: u16, body: String },
    /// A success status whose body is not what the API documents.
    #[error("X's answer to {url} could not be read")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Why an answer was inconclusive.
#[derive(Debug, thiserror::Error)]
pub enum TransientCause {
    /// X answered with a server error.
    #[error("server error {status}: {body}")]
    ServerError { status: u16, body: String },
    /// The request timed out, the connection failed or was dropped before a full answer.
    #[error("network failure")]
    Network(#[from] reqwest::Error),
}

/// A post X accepted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PostedTweet {
    /// X's id of the post.
    pub id: String,
    /// The text as X stored it (links rewritten to `https://t.co/...`).
    pub text: String,
}

/// One of the account's posts as read back, for reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteTweet {
    /// X's id of the post.
    pub id: String,
    /// The text as X stored it (links rewritten to `https://t.co/...`).
    pub text: String,
    /// The original links of the post, as written before X shortened them.
    pub expanded_urls: Vec<String>,
}

/// A client for one account on one X API (production or a test double).
#[derive(Clone)]
pub struct XClient {
    http: reqwest::Client,
    base_url: Url,
    credentials: Credentials,
}

/// The base URL and credentials are shown (the latter redacted), never the secrets.
impl std::fmt::Debug for XClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XClient")
            .field("base_url", &self.base_url.as_str())
            .field("credentials", &self.credentials)
            .finish()
    }
}

#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: T,
}

/// A request's body.
enum Body {
    None,
    Json(serde_json::Value),
    Multipart(reqwest::multipart::Form),
}

#[derive(Deserialize)]
struct UploadedMedia {
    id: String,
}

#[derive(Deserialize)]
struct UserData {
    id: String,
}

#[derive(Deserialize)]
struct TimelinePage {
    #[serde(default)]
    data: Vec<TimelineTweet>,
}

#[derive(Deserialize)]
struct TimelineTweet {
    id: String,
    text: String,
    #[serde(default)]
    entities: Option<TweetEntities>,
}

#[derive(Deserialize)]
struct TweetEntities {
    #[serde(default)]
    urls: Vec<UrlEntity>,
}

#[derive(Deserialize)]
struct UrlEntity {
    #[serde(default)]
    expanded_url: Option<String>,
}

/// X's problem body (RFC 7807 style): `detail` says what went wrong; a 400's `errors` name the parameters at fault.
#[derive(Deserialize)]
struct Problem {
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    errors: Vec<ProblemError>,
}

/// One error of a 400: `{"parameters": {"text": [...]}, "message": "..."}`.
#[derive(Deserialize)]
struct ProblemError {
    #[serde(default)]
    parameters: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

impl Problem {
    /// Whether a 400 is about the post's text: an error naming the `text` parameter, or a message or detail
    /// speaking of the text ("Tweet text is invalid", "text: ... too long").
    fn is_about_text(&self) -> bool {
        let speaks_of_text = |message: &str| {
            let lower = message.to_lowercase();
            lower.contains("text") && !lower.contains("media")
        };
        self.errors
            .iter()
            .any(|error| error.parameters.contains_key("text") || error.message.as_deref().is_some_and(speaks_of_text))
            || self.detail.as_deref().is_some_and(speaks_of_text)
    }
}

impl XClient {
    /// A client for `base_url` (e.g. [`DEFAULT_BASE_URL`]) signing with `credentials`; every request is abandoned
    /// (as [`XError::Transient`]) after `timeout`.
    pub fn new(base_url: &str, credentials: Credentials, timeout: Duration) -> Result<Self, XError> {
        let mut parsed =
            Url::parse(base_url).map_err(|source| XError::BaseUrl { base_url: base_url.to_string(), source })?;
        if parsed.cannot_be_a_base() {
            return Err(XError::BaseUrl {
                base_url: base_url.to_string(),
                source: url::ParseError::RelativeUrlWithCannotBeABaseBase,
            });
        }
        // Joining "2/tweets" must append to the base path, not replace its last segment.
        if !parsed.path().ends_with('/') {
            parsed.set_path(&format!("{}/", parsed.path()));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("dealcast/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|source| XError::ClientBuild { source })?;
        Ok(XClient { http, base_url: parsed, credentials })
    }

    /// Posts `text` (`POST /2/tweets`).
    pub async fn post_tweet(&self, text: &str) -> Result<PostedTweet, XError> {
        self.post_tweet_with_media(text, &[]).await
    }

    /// Posts `text` with the media already uploaded as `media_ids` (none: a text-only post).
    pub async fn post_tweet_with_media(&self, text: &str, media_ids: &[String]) -> Result<PostedTweet, XError> {
        let mut body = serde_json::json!({ "text": text });
        if !media_ids.is_empty() {
            body["media"] = serde_json::json!({ "media_ids": media_ids });
        }
        self.create_tweet(body).await
    }

    /// Posts `text` in reply to the post `in_reply_to` (`reply.in_reply_to_tweet_id`).
    pub async fn post_reply(&self, text: &str, in_reply_to: &str) -> Result<PostedTweet, XError> {
        self.create_tweet(serde_json::json!({ "text": text, "reply": { "in_reply_to_tweet_id": in_reply_to } })).await
    }

    /// `POST /2/tweets` with `body`.
    async fn create_tweet(&self, body: serde_json::Value) -> Result<PostedTweet, XError> {
        let url = self.endpoint("2/tweets")?;
        let (status, bytes) = self.send(Method::POST, &url, Body::Json(body)).await?;
        if status != StatusCode::CREATED && status != StatusCode::OK {
            return Err(Self::unexpected(&url, status, &bytes));
        }
        let envelope: DataEnvelope<PostedTweet> =
            serde_json::from_slice(&bytes).map_err(|source| XError::Decode { url: url.to_string(), source })?;
        Ok(envelope.data)
    }

    /// Uploads an image for a post (`POST /2/media/upload`, multipart, `media_category=tweet_image`) and returns
    /// its media id.
    pub async fn upload_image(&self, image: Vec<u8>, media_type: &str) -> Result<String, XError> {
        let url = self.endpoint("2/media/upload")?;
        let part = reqwest::multipart::Part::bytes(image)
            .file_name("image")
            .mime_str(media_type)
            .map_err(|source| XError::Transient { url: url.to_string(), source: source.into() })?;
        let form = reqwest::multipart::Form::new()
            .text("media_category", "tweet_image")
            .text("media_type", media_type.to_string())
            .part("media", part);
        let (status, bytes) = self.send(Method::POST, &url, Body::Multipart(form)).await?;
        if status != StatusCode::OK && status != StatusCode::CREATED {
            return Err(Self::unexpected(&url, status, &bytes));
        }
        let envelope: DataEnvelope<UploadedMedia> =
            serde_json::from_slice(&bytes).map_err(|source| XError::Decode { url: url.to_string(), source })?;
        Ok(envelope.data.id)
    }

    /// The id of the account the credentials belong to (`GET /2/users/me`).
    pub async fn me(&self) -> Result<String, XError> {
        let url = self.endpoint("2/users/me")?;
        let (status, bytes) = self.send(Method::GET, &url, Body::None).await?;
        if status != StatusCode::OK {
            return Err(Self::unexpected(&url, status, &bytes));
        }
        let envelope: DataEnvelope<UserData> =
            serde_json::from_slice(&bytes).map_err(|source| XError::Decode { url: url.to_string(), source })?;
        Ok(envelope.data.id)
    }

    /// The account's most recent posts, newest first, with their original links (`GET /2/users/:id/tweets` with
    /// `tweet.fields=entities`). X serves 5 to 100 per page, so `max` is brought into that range.
    pub async fn recent_tweets(&self, user_id: &str, max: u32) -> Result<Vec<RemoteTweet>, XError> {
        let mut url = self.endpoint("2/users/")?;
        url.path_segments_mut()
            .map_err(|()| XError::BaseUrl {
                base_url: self.base_url.to_string(),
                source: url::ParseError::RelativeUrlWithCannotBeABaseBase,
            })?
            .pop_if_empty()
            .push(user_id)
            .push("tweets");
        url.query_pairs_mut()
            .append_pair("tweet.fields", "entities")
            .append_pair("max_results", &max.clamp(5, 100).to_string());
        let (status, bytes) = self.send(Method::GET, &url, Body::None).await?;
        if status != StatusCode::OK {
            return Err(Self::unexpected(&url, status, &bytes));
        }
        let page: TimelinePage =
            serde_json::from_slice(&bytes).map_err(|source| XError::Decode { url: url.to_string(), source })?;
        Ok(page
            .data
            .into_iter()
            .map(|tweet| RemoteTweet {
                id: tweet.id,
                text: tweet.text,
                expanded_urls: tweet
                    .entities
                    .map(|entities| entities.urls.into_iter().filter_map(|u| u.expanded_url).collect())
                    .unwrap_or_default(),
            })
            .collect())
    }

    fn endpoint(&self, path: &str) -> Result<Url, XError> {
        self.base_url.join(path).map_err(|source| XError::BaseUrl { base_url: self.base_url.to_string(), source })
    }

    /// Signs and sends one request; answers with the status and the whole body, or a transient error.
    async fn send(&self, method: Method, url: &Url, body: Body) -> Result<(StatusCode, Vec<u8>), XError> {
        let nonce = new_nonce().map_err(|source| XError::Nonce { source })?;
        let header = authorization_header(method.as_str(), url, &[], &self.credentials, &nonce, Utc::now().timestamp());
        let mut request = self.http.request(method.clone(), url.clone()).header(reqwest::header::AUTHORIZATION, header);
        // The OAuth signature covers no body parameter: JSON and multipart bodies are not form-encoded.
        match body {
            Body::None => {}
            Body::Json(json) => request = request.json(&json),
            Body::Multipart(form) => request = request.multipart(form),
        }
        let transient = |source: reqwest::Error| XError::Transient { url: url.to_string(), source: source.into() };
        let response = request.send().await.map_err(transient)?;
        let status = response.status();
        let reset = response
            .headers()
            .get("x-rate-limit-reset")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<i64>().ok());
        let bytes = response.bytes().await.map_err(transient)?.to_vec();
        tracing::debug!(%method, url = %url, status = status.as_u16(), "X answered");
        if status == StatusCode::TOO_MANY_REQUESTS {
            let reset_at = reset
                .and_then(|seconds| Utc.timestamp_opt(seconds, 0).single())
                .unwrap_or_else(|| Utc::now() + FALLBACK_RATE_LIMIT_WINDOW);
            return Err(XError::RateLimited { url: url.to_string(), reset_at });
        }
        Ok((status, bytes))
    }

    /// Sorts a status other than the call's success into the error that says what to do.
    fn unexpected(url: &Url, status: StatusCode, body: &[u8]) -> XError {
        let url = url.to_string();
        let text = String::from_utf8_lossy(body).into_owned();
        let problem: Option<Problem> = serde_json::from_slice(body).ok();
        let about_text = problem.as_ref().is_some_and(Problem::is_about_text);
        let detail =
            problem.and_then(|p| p.detail.or(p.title)).unwrap_or_else(|| text.chars().take(300).collect::<String>());
        let lower = detail.to_lowercase();
        let says = |phrases: &[&str]| phrases.iter().any(|phrase| lower.contains(phrase));
        match status {
            StatusCode::FORBIDDEN if says(&[DUPLICATE_PHRASE]) => XError::Duplicate { url, detail },
            StatusCode::FORBIDDEN if says(&[TOO_LONG_PHRASE]) => {
                XError::TextRefused { url, status: 403, refusal: TextRefusal::TooLong, detail }
            }
            StatusCode::FORBIDDEN if says(&[SUSPENDED_PHRASE]) => XError::Suspended { url, detail },
            StatusCode::FORBIDDEN if says(&PERMISSION_PHRASES) => XError::AppPermissions { url, detail },
            StatusCode::UNAUTHORIZED => XError::Unauthorized { url, status: 401, detail },
            StatusCode::FORBIDDEN if says(&CREDENTIAL_PHRASES) => XError::Unauthorized { url, status: 403, detail },
            StatusCode::BAD_REQUEST if about_text => {
                XError::TextRefused { url, status: 400, refusal: TextRefusal::Invalid, detail }
            }
            status if status.is_server_error() => XError::Transient {
                url,
                source: TransientCause::ServerError { status: status.as_u16(), body: text.chars().take(300).collect() },
            },
            status => XError::Rejected { url, status: status.as_u16(), body: text.chars().take(300).collect() },
        }
    }
}

impl XError {
    /// Why X refused the post's text, when that is what it refused (the post, not the account).
    pub fn text_refusal(&self) -> Option<TextRefusal> {
        match self {
            XError::TextRefused { refusal, .. } => Some(*refusal),
            _ => None,
        }
    }

    /// Whether the account must stop until a person acts: refused credentials, suspension, app permissions.
    pub fn stops_account(&self) -> bool {
        matches!(self, XError::Unauthorized { .. } | XError::Suspended { .. } | XError::AppPermissions { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://api.x.com/2/tweets").unwrap()
    }

    #[test]
    fn a_403_about_duplicate_content_is_a_duplicate() {
        let body = br#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#;
        assert!(matches!(XClient::unexpected(&url(), StatusCode::FORBIDDEN, body), XError::Duplicate { .. }));
    }

    #[test]
    fn a_403_about_app_permissions_stops_the_account_and_says_what_to_fix() {
        let body = br#"{"detail":"You are not permitted to perform this action.","title":"Forbidden","status":403}"#;
        let error = XClient::unexpected(&url(), StatusCode::FORBIDDEN, body);
        assert!(matches!(error, XError::AppPermissions { .. }) && error.stops_account(), "{error:?}");
        assert!(error.to_string().contains("read and write access"), "{error}");
    }

    #[test]
    fn a_403_for_a_suspended_account_stops_it_with_its_own_message() {
        let body = br#"{"detail":"Your account is suspended and is not permitted to access this feature.","title":"Forbidden","status":403}"#;
        let error = XClient::unexpected(&url(), StatusCode::FORBIDDEN, body);
        assert!(matches!(error, XError::Suspended { .. }) && error.stops_account(), "{error:?}");
        assert!(error.to_string().contains("suspended"), "{error}");
    }

    #[test]
    fn a_401_is_a_credentials_problem() {
        let error = XClient::unexpected(&url(), StatusCode::UNAUTHORIZED, br#"{"title":"Unauthorized","status":401}"#);
        assert!(matches!(error, XError::Unauthorized { status: 401, .. }) && error.stops_account(), "{error:?}");
    }

    #[test]
    fn a_403_too_long_refuses_the_text_not_the_account() {
        let body = br#"{"detail":"Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text.","type":"about:blank","title":"Forbidden","status":403}"#;
        let error = XClient::unexpected(&url(), StatusCode::FORBIDDEN, body);
        assert_eq!(error.text_refusal(), Some(TextRefusal::TooLong), "{error:?}");
        assert!(!error.stops_account());
        assert!(error.to_string().contains("too long"), "{error}");
    }

    #[test]
    fn a_400_naming_the_text_parameter_is_an_invalid_text() {
        let body = br#"{"errors":[{"parameters":{"text":["\u0000"]},"message":"Invalid text"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
        let error = XClient::unexpected(&url(), StatusCode::BAD_REQUEST, body);
        assert_eq!(error.text_refusal(), Some(TextRefusal::Invalid), "{error:?}");
        let media = br#"{"title":"Invalid Request","detail":"Your media IDs are invalid."}"#;
        assert!(XClient::unexpected(&url(), StatusCode::BAD_REQUEST, media).text_refusal().is_none());
    }

    #[test]
    fn a_403_of_no_known_kind_fails_the_request_without_stopping_the_account() {
        let body = br#"{"detail":"Something new.","title":"Forbidden","status":403}"#;
        let error = XClient::unexpected(&url(), StatusCode::FORBIDDEN, body);
        assert!(matches!(error, XError::Rejected { status: 403, .. }) && !error.stops_account(), "{error:?}");
    }

    #[test]
    fn a_502_with_an_html_body_is_transient() {
        let error = XClient::unexpected(&url(), StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert!(matches!(error, XError::Transient { source: TransientCause::ServerError { status: 502, .. }, .. }));
    }

    #[test]
    fn a_400_is_rejected_not_retried() {
        let error = XClient::unexpected(&url(), StatusCode::BAD_REQUEST, b"{}");
        assert!(matches!(error, XError::Rejected { status: 400, .. }));
    }

    #[test]
    fn a_base_url_with_a_path_keeps_it() {
        let credentials = Credentials {
            consumer_key: "k".into(),
            consumer_secret: "s".into(),
            token: "t".into(),
            token_secret: "ts".into(),
        };
        let client = XClient::new("http://127.0.0.1:9/x-api", credentials, Duration::from_secs(1)).unwrap();
        assert_eq!(client.endpoint("2/tweets").unwrap().as_str(), "http://127.0.0.1:9/x-api/2/tweets");
    }
}
