//! What keeps the public pages safe to open: the security headers on every response, and the rule that only
//! `http:`/`https:` addresses found in scraped data ever become links or images.
//!
//! Escaping itself is askama's job (every `{{ }}` is HTML-escaped; no template marks scraped data `|safe`), JSON's
//! (serde_json) and the Atom writer's; SQL values are always bound. This module holds what those cannot know: a
//! shop's "product URL" may be `javascript:...`, and an escaped `javascript:` link still runs when clicked.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// No inline scripts or styles, no framing; images may come from the shops (over HTTPS) or be data URLs.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

/// The headers every response carries.
const HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    // Shops see that a visitor came from dealcast, not which page or search (which may be private).
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
];

/// Adds the security headers to a response (an axum `map_response` middleware).
pub async fn add_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
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

/// `raw` as an image source: only `https:` (what the CSP's `img-src` allows from elsewhere).
pub fn image_source(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    (url.scheme() == "https").then(|| url.to_string())
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
        assert!(image_source("https://cdn.example/i.jpg").is_some());
        assert_eq!(image_source("http://cdn.example/i.jpg"), None);
        assert_eq!(image_source("javascript:alert(1)"), None);
    }
}
