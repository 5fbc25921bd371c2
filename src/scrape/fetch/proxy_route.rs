//! Which HTTP(S) proxy, if any, a request leaves through, decided by the fetcher itself so that the address policy
//! ([`super::address_policy`]) still holds behind a proxy.
//!
//! Without a proxy, the client's resolver judges every address it connects to. Through a proxy, the client only
//! connects to the proxy, which resolves the shop's host itself: a page redirecting to `http://localhost:8080/admin`
//! or to a name that resolves to `10.0.0.5` would be fetched by the proxy, inside the private network. So the
//! fetcher asks [`ProxyRoutes::proxied`] before each request (each hop of a redirect chain, robots.txt included)
//! and, when the request goes through a proxy, resolves the target host itself and refuses it unless every
//! address is public or allowed. The proxy's own host, configured by the operator, is allowed as written.
//!
//! The proxies are the ones curl and reqwest read from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`, upper or lower case; none in a CGI process), or given in [`ProxySettings`]. The fetcher's client is
//! built with reqwest's own proxy detection off and a proxy that asks these routes, so the client proxies exactly
//! the requests the check was made for. Which host bypasses the proxy (`NO_PROXY`) is hyper-util's matcher, the
//! one reqwest uses.

use std::net::IpAddr;

use hyper_util::client::proxy::matcher::Matcher;
use ipnet::IpNet;
use url::Url;

use super::address_policy::{AllowedHost, PrivateHostAllowance};

/// The proxies requests go through: one for `http://` URLs, one for `https://` URLs, and the hosts that bypass
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// The proxy of `http://` requests.
    pub http: Option<Url>,
    /// The proxy of `https://` requests.
    pub https: Option<Url>,
    /// Hosts reached directly, in `NO_PROXY`'s syntax (comma-separated domains, addresses, networks, or `*`).
    pub no_proxy: String,
}

/// A proxy setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {value:?} is not an http:// or https:// proxy URL with a host")]
pub struct ProxySettingError {
    /// The variable (or setting) it came from.
    pub origin: String,
    pub value: String,
}

impl ProxySettings {
    /// No proxy: every request goes straight to its host.
    pub fn none() -> ProxySettings {
        ProxySettings::default()
    }

    /// Every request through `proxy`.
    pub fn all(proxy: Url) -> ProxySettings {
        ProxySettings { http: Some(proxy.clone()), https: Some(proxy), no_proxy: String::new() }
    }

    /// The proxies of the environment as `env` reads it, as curl and reqwest read them: `HTTP_PROXY` (or
    /// `http_proxy`) for http, `HTTPS_PROXY` (or `https_proxy`) for https, `ALL_PROXY` (or `all_proxy`) for either
    /// when its own is unset, `NO_PROXY` (or `no_proxy`) for the exceptions. None at all in a CGI process
    /// (`REQUEST_METHOD` set), where `HTTP_PROXY` could come from a request's `Proxy:` header.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<ProxySettings, ProxySettingError> {
        if env("REQUEST_METHOD").is_some() {
            return Ok(ProxySettings::none());
        }
        let first = |names: [&'static str; 2]| -> Option<(&'static str, String)> {
            names.into_iter().find_map(|name| env(name).filter(|value| !value.trim().is_empty()).map(|v| (name, v)))
        };
        let all = first(["ALL_PROXY", "all_proxy"]);
        let pick = |own: Option<(&'static str, String)>| -> Option<Result<Url, ProxySettingError>> {
            own.or_else(|| all.clone()).map(|(name, value)| proxy_url(name, &value))
        };
        Ok(ProxySettings {
            http: pick(first(["HTTP_PROXY", "http_proxy"])).transpose()?,
            https: pick(first(["HTTPS_PROXY", "https_proxy"])).transpose()?,
            no_proxy: first(["NO_PROXY", "no_proxy"]).map(|(_, value)| value).unwrap_or_default(),
        })
    }

    /// The proxies of this process's environment.
    pub fn from_process_env() -> Result<ProxySettings, ProxySettingError> {
        ProxySettings::from_env(|name| std::env::var(name).ok())
    }
}

/// `value` as a proxy URL (`http://` assumed when no scheme is written, as curl does).
fn proxy_url(origin: &str, value: &str) -> Result<Url, ProxySettingError> {
    let value = value.trim();
    let written = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    Url::parse(&written)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|host| !host.is_empty()))
        .ok_or_else(|| ProxySettingError { origin: origin.to_string(), value: value.to_string() })
}

/// The routes of a fetcher's requests, from its [`ProxySettings`].
pub(crate) struct ProxyRoutes {
    settings: ProxySettings,
    matcher: Matcher,
}

impl ProxyRoutes {
    pub(crate) fn new(settings: ProxySettings) -> ProxyRoutes {
        let matcher = Matcher::builder()
            .http(settings.http.as_ref().map(Url::to_string).unwrap_or_default())
            .https(settings.https.as_ref().map(Url::to_string).unwrap_or_default())
            .no(settings.no_proxy.clone())
            .build();
        ProxyRoutes { settings, matcher }
    }

    /// The proxy `url` goes through, if any.
    pub(crate) fn proxied(&self, url: &Url) -> Option<&Url> {
        let uri: hyper::Uri = url.as_str().parse().ok()?;
        self.matcher.intercept(&uri)?;
        match url.scheme() {
            "http" => self.settings.http.as_ref(),
            "https" => self.settings.https.as_ref(),
            _ => None,
        }
    }

    /// Whether any proxy is configured.
    pub(crate) fn any(&self) -> bool {
        self.settings.http.is_some() || self.settings.https.is_some()
    }

    /// The proxies' own hosts, as the operator wrote them: the client's resolver lets them through.
    pub(crate) fn proxy_hosts(&self) -> PrivateHostAllowance {
        let hosts = [&self.settings.http, &self.settings.https].into_iter().flatten().filter_map(|proxy| {
            match proxy.host()? {
                url::Host::Domain(name) => Some(AllowedHost::Name(name.trim_end_matches('.').to_ascii_lowercase())),
                url::Host::Ipv4(address) => Some(AllowedHost::Network(IpNet::from(IpAddr::V4(address)))),
                url::Host::Ipv6(address) => Some(AllowedHost::Network(IpNet::from(IpAddr::V6(address).to_canonical()))),
            }
        });
        PrivateHostAllowance::new(hosts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_environment_gives_each_scheme_its_proxy_and_all_proxy_fills_in() {
        let settings = ProxySettings::from_env(env_of(&[
            ("https_proxy", "http://secure.proxy:3128"),
            ("ALL_PROXY", "proxy.lan:8080"),
            ("no_proxy", "internal.example"),
        ]))
        .unwrap();
        assert_eq!(settings.http, Some(url("http://proxy.lan:8080")), "no scheme written: http");
        assert_eq!(settings.https, Some(url("http://secure.proxy:3128")));
        assert_eq!(settings.no_proxy, "internal.example");
        assert_eq!(ProxySettings::from_env(env_of(&[])).unwrap(), ProxySettings::none());
    }

    #[test]
    fn a_cgi_process_takes_no_proxy_from_its_environment() {
        let env = env_of(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil.example:1")]);
        assert_eq!(ProxySettings::from_env(env).unwrap(), ProxySettings::none());
    }

    #[test]
    fn a_proxy_that_is_not_an_http_url_is_named_with_its_variable() {
        let error = ProxySettings::from_env(env_of(&[("HTTP_PROXY", "socks5://127.0.0.1:1080")])).unwrap_err();
        assert_eq!(error.origin, "HTTP_PROXY");
        assert!(error.to_string().contains("socks5://127.0.0.1:1080"), "{error}");
    }

    #[test]
    fn no_proxy_hosts_and_other_schemes_go_direct() {
        let routes = ProxyRoutes::new(ProxySettings {
            no_proxy: "shop.lan, 10.0.0.0/8".to_string(),
            ..ProxySettings::all(url("http://127.0.0.1:3128"))
        });
        let proxy = Some(url("http://127.0.0.1:3128"));
        assert_eq!(routes.proxied(&url("http://localhost:8080/")).cloned(), proxy);
        assert_eq!(routes.proxied(&url("https://www.shop.example/p")).cloned(), proxy);
        assert_eq!(routes.proxied(&url("http://www.shop.lan/")), None, "a subdomain of a NO_PROXY domain");
        assert_eq!(routes.proxied(&url("http://10.1.2.3/")), None);
        assert_eq!(routes.proxied(&url("ftp://files.example/")), None);
        assert!(routes.any() && !ProxyRoutes::new(ProxySettings::none()).any());
    }

    #[test]
    fn the_proxies_own_hosts_are_allowed_as_written() {
        let routes = ProxyRoutes::new(ProxySettings {
            http: Some(url("http://Proxy.LAN:3128")),
            https: Some(url("http://10.0.0.9:3128")),
            no_proxy: String::new(),
        });
        let allowed = routes.proxy_hosts();
        assert!(allowed.check("proxy.lan", "192.168.1.2".parse().unwrap()).is_ok());
        assert!(allowed.check("10.0.0.9", "10.0.0.9".parse().unwrap()).is_ok());
        assert!(allowed.check("other.lan", "192.168.1.2".parse().unwrap()).is_err(), "only the proxies");
    }
}
