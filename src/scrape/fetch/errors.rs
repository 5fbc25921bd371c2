//! Why a fetch failed, as one typed error whose [`FetchError::kind`] is a small, fixed set of labels.
//!
//! The crawler counts failures per kind in run summaries and metrics, so the label set must stay bounded (never built
//! from a status code or a message), and every variant names the URL it was fetching so a log line is enough to
//! reproduce the failure.

use std::time::Duration;

use url::Url;

use super::address_policy::RefusedAddress;

/// Every label [`FetchError::kind`] can return, for metrics that want to pre-register them.
pub const FETCH_ERROR_KINDS: [&str; 19] = [
    "invalid_settings",
    "invalid_url",
    "private_address",
    "robots_disallowed",
    "robots_unavailable",
    "http_404",
    "http_429",
    "http_4xx",
    "http_5xx",
    "http_other",
    "timeout",
    "too_large",
    "redirect_loop",
    "too_many_redirects",
    "bad_redirect",
    "connect",
    "body",
    "request",
    "client",
];

/// A failed fetch. Every variant but [`FetchError::InvalidSettings`] and [`FetchError::ClientBuild`] (which happen
/// before any URL is known) carries the URL being fetched: for a redirect chain, the hop that failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The settings given to [`super::Fetcher::new`] cannot work.
    #[error("invalid fetch settings: {reason}")]
    InvalidSettings { reason: String },
    /// The HTTP client could not be built (TLS back end, for instance).
    #[error("could not build the HTTP client")]
    ClientBuild {
        #[source]
        source: reqwest::Error,
    },
    /// The URL is not something we fetch: not http(s), or without a host.
    #[error("{url}: not a fetchable URL ({reason})")]
    InvalidUrl { url: Url, reason: &'static str },
    /// The URL's host is (or resolves only to) a loopback, private, link-local or other non-public address that
    /// the operator did not allow: nothing was sent to it.
    #[error("{url}: not fetched: {refused}")]
    PrivateAddress { url: Url, refused: Box<RefusedAddress> },
    /// The site's robots.txt forbids our agent this URL.
    #[error("{url}: disallowed by robots.txt")]
    RobotsDisallowed { url: Url },
    /// The site's robots.txt answered with a server error or could not be reached, so the whole host is off limits
    /// for this fetcher's life (what Google does).
    #[error("{url}: robots.txt unavailable, the host is treated as disallowed")]
    RobotsUnavailable { url: Url },
    /// 404 or 410: the page is gone, which the crawler treats differently from other client errors.
    #[error("{url}: HTTP {status} (not found)")]
    NotFound { url: Url, status: u16 },
    /// 429, after the retries ran out (or the server asked for a wait longer than we accept).
    #[error("{url}: HTTP 429 (too many requests){}", retry_after_text(*.retry_after))]
    TooManyRequests { url: Url, retry_after: Option<Duration> },
    /// Any other 4xx.
    #[error("{url}: HTTP {status} (client error)")]
    ClientError { url: Url, status: u16 },
    /// 5xx, after the retries ran out.
    #[error("{url}: HTTP {status} (server error)")]
    ServerError { url: Url, status: u16, retry_after: Option<Duration> },
    /// A status we do not handle: 1xx, a 3xx without a Location, a 304 we did not ask for.
    #[error("{url}: unexpected HTTP {status}")]
    UnexpectedStatus { url: Url, status: u16 },
    /// One attempt (connect, request, headers and the whole body) took longer than the page cap.
    #[error("{url}: no complete answer within {after:?}")]
    Timeout { url: Url, after: Duration },
    /// The body is bigger than the cap; reading stopped at the cap.
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: Url, limit: u64 },
    /// A redirect led back to a URL already visited in this chain.
    #[error("{url}: redirect loop")]
    RedirectLoop { url: Url },
    /// More redirects than allowed, without a loop.
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: Url, limit: usize },
    /// A redirect whose Location is missing its mark: unparsable, or to a scheme we do not fetch.
    #[error("{url}: redirect to an unusable location {location:?}")]
    BadRedirect { url: Url, location: String },
    /// The TCP/TLS connection could not be made (refused, DNS failure, connect timeout).
    #[error("{url}: could not connect")]
    Connect {
        url: Url,
        #[source]
        source: reqwest::Error,
    },
    /// The host of a URL to be fetched through a proxy did not resolve here, so its addresses could not be judged
    /// by the address policy: nothing was sent (counted as a connection failure, and retried like one).
    #[error("{url}: could not resolve the host to check its address before sending through the proxy")]
    Unresolved {
        url: Url,
        #[source]
        source: std::io::Error,
    },
    /// The connection broke while reading the body, or the body did not decompress.
    #[error("{url}: could not read the body")]
    Body {
        url: Url,
        #[source]
        source: reqwest::Error,
    },
    /// Any other failure of the HTTP exchange.
    #[error("{url}: request failed")]
    Request {
        url: Url,
        #[source]
        source: reqwest::Error,
    },
}

fn retry_after_text(retry_after: Option<Duration>) -> String {
    retry_after.map(|wait| format!(", asked to wait {}s", wait.as_secs())).unwrap_or_default()
}

impl FetchError {
    /// A short label from a bounded set (listed in [`FETCH_ERROR_KINDS`]), for metrics and run summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::InvalidSettings { .. } => "invalid_settings",
            FetchError::ClientBuild { .. } => "client",
            FetchError::InvalidUrl { .. } => "invalid_url",
            FetchError::PrivateAddress { .. } => "private_address",
            FetchError::RobotsDisallowed { .. } => "robots_disallowed",
            FetchError::RobotsUnavailable { .. } => "robots_unavailable",
            FetchError::NotFound { .. } => "http_404",
            FetchError::TooManyRequests { .. } => "http_429",
            FetchError::ClientError { .. } => "http_4xx",
            FetchError::ServerError { .. } => "http_5xx",
            FetchError::UnexpectedStatus { .. } => "http_other",
            FetchError::Timeout { .. } => "timeout",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::RedirectLoop { .. } => "redirect_loop",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::BadRedirect { .. } => "bad_redirect",
            FetchError::Connect { .. } | FetchError::Unresolved { .. } => "connect",
            FetchError::Body { .. } => "body",
            FetchError::Request { .. } => "request",
        }
    }

    /// Whether trying again later may succeed: timeouts, connection failures, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            FetchError::Timeout { .. }
                | FetchError::Connect { .. }
                | FetchError::Unresolved { .. }
                | FetchError::TooManyRequests { .. }
                | FetchError::ServerError { .. }
        )
    }

    /// The wait the server asked for (Retry-After on a 429 or 5xx), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::TooManyRequests { retry_after, .. } | FetchError::ServerError { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Sorts a reqwest failure into our kinds. A refusal of the address policy's resolver comes wrapped in a
    /// connection error; it is told apart, since it is no failure to retry.
    pub(crate) fn from_reqwest(url: &Url, source: reqwest::Error) -> FetchError {
        let url = url.clone();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&source);
        while let Some(error) = cause {
            if let Some(refused) = error.downcast_ref::<RefusedAddress>() {
                return FetchError::PrivateAddress { url, refused: Box::new(refused.clone()) };
            }
            cause = error.source();
        }
        if source.is_connect() {
            FetchError::Connect { url, source }
        } else if source.is_body() || source.is_decode() {
            FetchError::Body { url, source }
        } else {
            FetchError::Request { url, source }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_label_is_listed_once() {
        let mut kinds = FETCH_ERROR_KINDS.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), FETCH_ERROR_KINDS.len());
    }

    #[test]
    fn kinds_of_http_errors_are_the_documented_labels() {
        let url = Url::parse("https://shop.example/p").unwrap();
        let cases = [
            (FetchError::NotFound { url: url.clone(), status: 404 }, "http_404"),
            (FetchError::TooManyRequests { url: url.clone(), retry_after: None }, "http_429"),
            (FetchError::ClientError { url: url.clone(), status: 403 }, "http_4xx"),
            (FetchError::ServerError { url: url.clone(), status: 503, retry_after: None }, "http_5xx"),
            (FetchError::UnexpectedStatus { url: url.clone(), status: 304 }, "http_other"),
            (FetchError::Timeout { url: url.clone(), after: Duration::from_secs(1) }, "timeout"),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind);
            assert!(FETCH_ERROR_KINDS.contains(&error.kind()));
        }
    }
}
