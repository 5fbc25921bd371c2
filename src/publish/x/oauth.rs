//! OAuth 1.0a (RFC 5849) HMAC-SHA1 request signing, as X requires for a bot posting in its own name (user context
//! tokens never expire).
//!
//! Hand-written over the `hmac`, `sha1` and `base64` crates rather than with `oauth1-request`: that crate hides the
//! parameter string and the signature base string behind its serializer, and the conformance vectors
//! (`shared/peers/oauth1/vectors.json`) check exactly those intermediate values; the mock X API in the tests also
//! has to recompute signatures from a received request, which needs the same building blocks. The algorithm is
//! short and fully specified (RFC 5849 3.4.1 and 3.4.2), so the steps are public functions here.
//!
//! X API v2 takes JSON bodies, which RFC 5849 leaves out of the signature: only the query parameters and the
//! `oauth_*` parameters are signed.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use url::Url;

/// RFC 5849 3.6: everything but the unreserved characters `A-Z a-z 0-9 - . _ ~` is percent-encoded.
const OAUTH_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The four secrets of one account (an app's consumer key pair and the account's access token pair).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The app's API key.
    pub consumer_key: String,
    /// The app's API key secret.
    pub consumer_secret: String,
    /// The account's access token.
    pub token: String,
    /// The account's access token secret.
    pub token_secret: String,
}

/// Shows the key and token, which identify the app and account, but never the two secrets: credentials end up in
/// error messages and logs through `{:?}`.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"<redacted>")
            .field("token", &self.token)
            .field("token_secret", &"<redacted>")
            .finish()
    }
}

/// Percent-encodes a value the way OAuth 1.0a requires (RFC 5849 3.6, UTF-8 first).
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, OAUTH_ENCODE).to_string()
}

/// The base string URI of a request (RFC 5849 3.4.1.2): scheme and host lower-case, default port dropped, no query
/// or fragment.
pub fn base_string_uri(url: &Url) -> String {
    let mut uri = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default().to_ascii_lowercase());
    // `Url::port` is `None` for the scheme's default port, which the RFC says to leave out.
    if let Some(port) = url.port() {
        uri.push_str(&format!(":{port}"));
    }
    uri.push_str(url.path());
    uri
}

/// The normalised parameter string (RFC 5849 3.4.1.3.2): names and values encoded, sorted by name then value,
/// joined with `=` and `&`. `params` are decoded values, and must not include `realm` or `oauth_signature`.
pub fn parameter_string(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(name, value)| (percent_encode(name), percent_encode(value))).collect();
    encoded.sort();
    encoded.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

/// The signature base string (RFC 5849 3.4.1.1): method, base string URI and parameter string, each encoded.
pub fn signature_base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_uri),
        percent_encode(&parameter_string(params))
    )
}

/// The HMAC-SHA1 signature of a base string (RFC 5849 3.4.2), base64-encoded (not yet percent-encoded).
pub fn hmac_sha1_signature(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", percent_encode(consumer_secret), percent_encode(token_secret));
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1>>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC key of any size"));
    mac.update(base_string.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The `oauth_*` protocol parameters X expects on every request, without the signature.
pub fn oauth_params(credentials: &Credentials, nonce: &str, timestamp: i64) -> Vec<(String, String)> {
    vec![
        ("oauth_consumer_key".to_string(), credentials.consumer_key.clone()),
        ("oauth_nonce".to_string(), nonce.to_string()),
        ("oauth_signature_method".to_string(), "HMAC-SHA1".to_string()),
        ("oauth_timestamp".to_string(), timestamp.to_string()),
        ("oauth_token".to_string(), credentials.token.clone()),
        ("oauth_version".to_string(), "1.0".to_string()),
    ]
}

/// The `Authorization` header value of a request to `url` (any query in `url` is signed too) with the further
/// decoded request parameters `query_params` (query or form-encoded body parameters not already in `url`; never a
/// JSON body). `nonce` must be unique per request and `timestamp` is in seconds since the epoch.
pub fn authorization_header(
    method: &str,
    url: &Url,
    query_params: &[(String, String)],
    credentials: &Credentials,
    nonce: &str,
    timestamp: i64,
) -> String {
    let mut oauth = oauth_params(credentials, nonce, timestamp);
    let mut signed: Vec<(String, String)> = url.query_pairs().map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
    signed.extend_from_slice(query_params);
    signed.extend_from_slice(&oauth);
    let base = signature_base_string(method, &base_string_uri(url), &signed);
    let signature = hmac_sha1_signature(&base, &credentials.consumer_secret, &credentials.token_secret);
    oauth.push(("oauth_signature".to_string(), signature));
    oauth.sort();
    let fields: Vec<String> =
        oauth.iter().map(|(name, value)| format!("{}=\"{}\"", percent_encode(name), percent_encode(value))).collect();
    format!("OAuth {}", fields.join(", "))
}

/// A fresh random nonce (32 hex digits): X rejects a nonce it has seen within the timestamp window.
pub fn new_nonce() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            consumer_key: "key".into(),
            consumer_secret: "very-secret-consumer".into(),
            token: "123-token".into(),
            token_secret: "very-secret-token".into(),
        }
    }

    #[test]
    fn debug_output_never_shows_the_secrets() {
        let shown = format!("{:?}", credentials());
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("123-token"), "{shown}");
    }

    #[test]
    fn the_base_string_uri_drops_default_ports_and_lowercases_the_host() {
        let url = Url::parse("HTTPS://API.X.com:443/2/tweets?x=1").unwrap();
        assert_eq!(base_string_uri(&url), "https://api.x.com/2/tweets");
        let url = Url::parse("http://127.0.0.1:8080/2/users/me").unwrap();
        assert_eq!(base_string_uri(&url), "http://127.0.0.1:8080/2/users/me");
    }

    #[test]
    fn the_query_in_the_url_and_the_extra_parameters_are_both_signed() {
        let in_url = Url::parse("https://api.x.com/2/users/1/tweets?max_results=5").unwrap();
        let bare = Url::parse("https://api.x.com/2/users/1/tweets").unwrap();
        let extra = [("max_results".to_string(), "5".to_string())];
        let a = authorization_header("GET", &in_url, &[], &credentials(), "n", 1);
        let b = authorization_header("GET", &bare, &extra, &credentials(), "n", 1);
        let c = authorization_header("GET", &bare, &[], &credentials(), "n", 1);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn nonces_are_distinct_hex_strings() {
        let (a, b) = (new_nonce().unwrap(), new_nonce().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
