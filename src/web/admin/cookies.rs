//! The admin's two cookies: the session (`dealcast_admin`, for the whole site so that the navigation shows the
//! admin link's target logged in) and the login form's CSRF token (`dealcast_login`, before any session exists).
//! Both are `HttpOnly` (no script reads them), `SameSite=Strict` (no other site's page sends them) and `Secure`
//! when the site is served over HTTPS.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// A `Set-Cookie` value for `name=value` under `path`, kept `max_age_secs` seconds (0 deletes it).
pub fn set(name: &str, value: &str, path: &str, max_age_secs: i64, secure: bool) -> Option<HeaderValue> {
    let cookie = Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    // Tokens are base64url, so the value is always a valid header; `None` would only drop the cookie.
    HeaderValue::from_str(&cookie.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_cookie_is_http_only_strict_and_secure_over_https() {
        let value = set("dealcast_admin", "abc", "/", 60, true).unwrap();
        let text = value.to_str().unwrap();
        for part in ["dealcast_admin=abc", "HttpOnly", "SameSite=Strict", "Secure", "Path=/", "Max-Age=60"] {
            assert!(text.contains(part), "{text}");
        }
        let plain = set("dealcast_admin", "abc", "/", 60, false).unwrap();
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; dealcast_admin=tok; b=2"));
        assert_eq!(read(&headers, "dealcast_admin").as_deref(), Some("tok"));
        assert_eq!(read(&headers, "missing"), None);
    }
}
