//! What keeps the public pages safe to open: the security headers on every response, and the rule that only
//! `http:`/`https:` addresses found in scraped data ever become links, and only `https:` ones (or the one origin a
//! server allows besides, such as the demo's loopback shop) become images.
//!
//! Escaping itself is askama's job (every `{{ }}` is HTML-escaped; no template marks scraped data `|safe`), JSON's
//! (serde_json) and the Atom writer's; SQL values are always bound. This module holds what those cannot know: a
//! shop's "product URL" may be `javascript:...`, and an escaped `javascript:` link still runs when clicked.

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// No inline scripts or styles, no framing; images may come from the shops (over HTTPS) or be data URLs.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

/// [`CONTENT_SECURITY_POLICY`] up to the end of its image sources, where an allowed origin is added.
const POLICY_TO_IMAGES: &str = "default-src 'self'; img-src 'self' https: data:";
/// [`CONTENT_SECURITY_POLICY`] after its image sources.
const POLICY_AFTER_IMAGES: &str = "; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

/// The headers every response carries besides the Content-Security-Policy (which depends on [`ImagePolicy`]).
const HEADERS: [(HeaderName, &str); 3] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    // Shops see that a visitor came from dealcast, not which page or search (which may be private).
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
];

/// Why an origin cannot be allowed for images.
#[derive(Debug, thiserror::Error)]
pub enum ImageOriginError {
    #[error("images can only be allowed from an http: or https: origin, not {0}")]
    NotWeb(String),
}

/// Where a server's pages may show images from: any `https:` address, and at most one more origin (scheme, host
/// and port) that this server allows by itself, e.g. the demo's shop on `http://127.0.0.1:PORT`. The page's
/// Content-Security-Policy and the `<img>` sources chosen by [`ImagePolicy::source`] always agree.
#[derive(Clone, Debug)]
pub struct ImagePolicy {
    /// The origin allowed besides HTTPS (none: HTTPS only, every production server).
    extra_origin: Option<url::Origin>,
    /// The Content-Security-Policy header that goes with it.
    content_security_policy: HeaderValue,
}

impl Default for ImagePolicy {
    fn default() -> ImagePolicy {
        ImagePolicy::https_only()
    }
}

impl ImagePolicy {
    /// Images from `https:` addresses only (and the site's own and data URLs, in the CSP).
    pub fn https_only() -> ImagePolicy {
        ImagePolicy { extra_origin: None, content_security_policy: HeaderValue::from_static(CONTENT_SECURITY_POLICY) }
    }

    /// `https:` images and those of `allowed`'s origin (its path is ignored): an `http:` or `https:` URL.
    pub fn allowing(allowed: &url::Url) -> Result<ImagePolicy, ImageOriginError> {
        let origin = allowed.origin();
        if !origin.is_tuple() || !matches!(allowed.scheme(), "http" | "https") {
            return Err(ImageOriginError::NotWeb(allowed.to_string()));
        }
        // The ASCII serialisation ("http://127.0.0.1:8080", punycode hosts, no default port) is a CSP host-source.
        let policy = format!("{POLICY_TO_IMAGES} {}{POLICY_AFTER_IMAGES}", origin.ascii_serialization());
        let content_security_policy =
            HeaderValue::from_str(&policy).map_err(|_| ImageOriginError::NotWeb(allowed.to_string()))?;
        Ok(ImagePolicy { extra_origin: Some(origin), content_security_policy })
    }

    /// `raw` as an image source: an `https:` URL, or one of the allowed origin (normalised by the URL parser);
    /// anything else (`http:` elsewhere, `javascript:`, `data:` from scraped data, relative) is not shown.
    pub fn source(&self, raw: &str) -> Option<String> {
        let url = url::Url::parse(raw.trim()).ok()?;
        let allowed =
            url.scheme() == "https" || self.extra_origin.as_ref().is_some_and(|origin| url.origin() == *origin);
        allowed.then(|| url.to_string())
    }

    /// The Content-Security-Policy header of this server's responses.
    pub fn content_security_policy(&self) -> &HeaderValue {
        &self.content_security_policy
    }
}

/// Adds the security headers to a response (an axum `map_response_with_state` middleware over the server's image
/// policy).
pub async fn add_headers(State(images): State<ImagePolicy>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, images.content_security_policy().clone());
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `raw` as a link target when it is an absolute `http:` or `https:` URL (normalised by the URL parser), else
/// `None`: a scraped `javascript:`, `data:` or relative address is shown as text, never followed.
pub fn web_link(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_become_links() {
        assert_eq!(web_link("https://shop.example/p?a=1").as_deref(), Some("https://shop.example/p?a=1"));
        assert_eq!(web_link("http://shop.example").as_deref(), Some("http://shop.example/"));
        assert_eq!(web_link("javascript:alert(1)"), None);
        assert_eq!(web_link(" JaVaScRiPt:alert(1)"), None);
        assert_eq!(web_link("data:text/html,<script>alert(1)</script>"), None);
        assert_eq!(web_link("/relative"), None);
    }

    #[test]
    fn only_https_images_are_shown() {
        let images = ImagePolicy::https_only();
        assert!(images.source("https://cdn.example/i.jpg").is_some());
        assert_eq!(images.source("http://cdn.example/i.jpg"), None);
        assert_eq!(images.source("javascript:alert(1)"), None);
        assert_eq!(images.content_security_policy(), CONTENT_SECURITY_POLICY);
    }

    #[test]
    fn an_allowed_http_origin_is_shown_and_no_other_http_image() {
        let shop = url::Url::parse("http://127.0.0.1:41234/catalogue/").unwrap();
        let images = ImagePolicy::allowing(&shop).unwrap();
        assert_eq!(
            images.source("http://127.0.0.1:41234/img/lampe.svg").as_deref(),
            Some("http://127.0.0.1:41234/img/lampe.svg")
        );
        assert!(images.source("https://cdn.example/i.jpg").is_some(), "https images are still shown");
        for other in [
            "http://127.0.0.1:41235/img/lampe.svg",
            "http://127.0.0.2:41234/img/lampe.svg",
            "http://localhost:41234/img/lampe.svg",
            "http://cdn.example/i.jpg",
            "javascript:alert(1)",
        ] {
            assert_eq!(images.source(other), None, "{other} is not the allowed origin");
        }
        assert_eq!(
            images.content_security_policy(),
            "default-src 'self'; img-src 'self' https: data: http://127.0.0.1:41234; style-src 'self'; \
             script-src 'self'; frame-ancestors 'none'"
        );
        assert!(ImagePolicy::allowing(&url::Url::parse("data:image/png;base64,AAAA").unwrap()).is_err());
        assert!(ImagePolicy::allowing(&url::Url::parse("ftp://127.0.0.1/").unwrap()).is_err());
    }
}
