//! Polite, robust HTTP fetching: the one HTTP client every scraper goes through.
//!
//! It exists so that no engine can be rude to a shop or be hurt by one. Before each request it obeys the host's
//! robots.txt (fetched once per host, [`robots`]) and the host's spacing and concurrency limits
//! ([`host_limits`]); it retries what may succeed later (timeouts, connection failures, 429, 5xx) with backoff and
//! the server's `Retry-After` ([`retry`]); it caps redirects, body size (while streaming) and the time per attempt;
//! and it turns the body into text whatever its charset ([`charset`]). Failures come back as one [`FetchError`]
//! with a bounded [`FetchError::kind`]. No request goes to a loopback, private or otherwise non-public address
//! unless the settings allow it ([`address_policy`]): IP literals are checked before each hop, names inside the
//! client's resolver, or, for a request that leaves through an HTTP(S) proxy ([`proxy_route`]), resolved and
//! judged here before it is sent.
//!
//! One `reqwest::Client` (one connection pool) is shared by every clone of a [`Fetcher`]; per-host state is behind
//! an `Arc` looked up under a short read lock, so the hot path neither builds clients nor holds a lock across an
//! await. Redirects are followed here rather than by reqwest, so each hop goes through robots.txt and the limits of
//! its own host, and a loop is told apart from a long chain.

pub mod address_policy;
pub mod charset;
pub mod errors;
pub mod host_limits;
pub mod proxy_route;
pub mod retry;
pub mod robots;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use backon::Retryable;
use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

pub use address_policy::{AllowedHost, PrivateHostAllowance, RefusedAddress};
pub use charset::decode_body;
pub use errors::{FETCH_ERROR_KINDS, FetchError};
pub use host_limits::HostPolicy;
pub use proxy_route::{ProxySettingError, ProxySettings};
pub use robots::RobotsRules;

use host_limits::{HostEntry, HostKey, HostTable};
use proxy_route::ProxyRoutes;
use robots::{MAX_ROBOTS_BYTES, RobotsVerdict};

/// The product token sites address us by in robots.txt (`User-agent: dealcast`).
pub const ROBOTS_AGENT: &str = "dealcast";

/// The contact URL sent when the configuration gives none. Deployments should set their own
/// ([`FetchSettings::user_agent_contact`]) so a shop can reach whoever runs the crawler.
pub const DEFAULT_CONTACT_URL: &str = "https://github.com/search?q=dealcast&type=repositories";

/// A `Crawl-delay` longer than this is held to this: a site asking for an hour between pages would stall a run,
/// and a minute is already far politer than the default.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// Redirects followed to reach a robots.txt, as Google does (more means "no robots.txt").
const MAX_ROBOTS_REDIRECTS: usize = 5;

/// What the fetcher may do and how long it waits. [`Default`] is safe for real shops.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// A URL where a shop can learn who runs this crawler, sent in the User-Agent.
    pub user_agent_contact: String,
    /// The most body bytes (after decompression) read for one page; reading stops there and the fetch fails.
    pub max_body_bytes: u64,
    /// The most time one attempt may take: connecting, sending, the headers and the whole body.
    pub page_timeout: Duration,
    /// The most time to open a connection.
    pub connect_timeout: Duration,
    /// The most redirects followed for one page.
    pub max_redirects: usize,
    /// Attempts after the first, for transient failures only.
    pub max_retries: u32,
    /// The first backoff wait; each retry doubles it (plus jitter).
    pub retry_base_delay: Duration,
    /// Whether robots.txt is fetched and obeyed (off only for tests and one's own sites).
    pub obey_robots: bool,
    /// The limits of any host without its own [`Fetcher::set_host_policy`].
    pub default_host_policy: HostPolicy,
    /// A `Retry-After` longer than this is not waited for: the fetch fails (the host is still paused this long).
    pub max_retry_after: Duration,
    /// The private hosts and networks that may be fetched from (none by default: public addresses only).
    pub allow_private_hosts: PrivateHostAllowance,
    /// The HTTP(S) proxies requests go through (by default those of the environment, `HTTP_PROXY` and the like,
    /// an unusable one ignored as reqwest ignores it; [`ProxySettings::from_process_env`] reports it instead).
    pub proxy: ProxySettings,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            user_agent_contact: DEFAULT_CONTACT_URL.to_string(),
            max_body_bytes: 10 * 1024 * 1024,
            page_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 5,
            max_retries: 3,
            retry_base_delay: Duration::from_millis(500),
            obey_robots: true,
            default_host_policy: HostPolicy::POLITE,
            max_retry_after: Duration::from_secs(120),
            allow_private_hosts: PrivateHostAllowance::default(),
            proxy: ProxySettings::from_process_env().unwrap_or_default(),
        }
    }
}

/// Cache validators of a page, sent back on the next fetch so an unchanged page costs a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header, as received (quotes and `W/` included).
    pub etag: Option<String>,
    /// The `Last-Modified` header, as received.
    pub last_modified: Option<String>,
}

impl Validators {
    fn from_headers(headers: &HeaderMap) -> Validators {
        let text = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok()).map(str::to_string);
        Validators { etag: text(header::ETAG), last_modified: text(header::LAST_MODIFIED) }
    }
}

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL the page came from, after redirects.
    pub url: Url,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The `Content-Type` header, as received.
    pub content_type: Option<String>,
    /// The body decoded to text.
    pub text: String,
    /// The encoding the body was decoded from (encoding_rs's name, e.g. `"UTF-8"`, `"windows-1252"`).
    pub encoding: &'static str,
    /// The body's size in bytes, after decompression.
    pub body_bytes: usize,
    /// The validators to send next time.
    pub validators: Validators,
    /// The names of the response headers, lower case.
    pub header_names: Vec<String>,
}

/// A fetched body as bytes, not decoded to text ([`Fetcher::fetch_bytes`]).
#[derive(Debug, Clone)]
pub struct RawBody {
    /// The URL the body came from, after redirects.
    pub url: Url,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The `Content-Type` header, as received.
    pub content_type: Option<String>,
    /// The body, after any `Content-Encoding` was undone.
    pub bytes: Vec<u8>,
    /// The validators to send next time.
    pub validators: Validators,
    /// The names of the response headers, lower case (platforms announce themselves there: `x-shopid`).
    pub header_names: Vec<String>,
}

impl RawBody {
    fn from_answer(url: Url, status: u16, headers: &HeaderMap, bytes: Vec<u8>) -> RawBody {
        let header_names = headers.keys().map(|name| name.as_str().to_string()).collect();
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).map(str::to_string);
        RawBody { url, status, content_type, bytes, validators: Validators::from_headers(headers), header_names }
    }
}

/// The outcome of a conditional fetch.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once and matched at once; boxing would only add an allocation per page"
)]
pub enum Fetched {
    /// The page changed (or we had no validators): here it is.
    Page(Page),
    /// 304: the page is as it was when the validators were taken.
    NotModified,
}

/// The polite HTTP client. Cheap to clone: clones share the connection pool, robots.txt cache and host limits.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    settings: FetchSettings,
    /// Which requests go through a proxy (the client asks the same routes).
    proxies: Arc<ProxyRoutes>,
    user_agent: String,
    hosts: HostTable,
}

/// What one HTTP exchange gave, before it becomes a page or the next hop.
enum Answer {
    Body { status: u16, headers: HeaderMap, bytes: Vec<u8> },
    Redirect { location: String },
    NotModified,
}

/// What to do with a body over the size cap.
#[derive(Clone, Copy)]
enum Oversize {
    /// A page: stop reading and fail.
    Fail,
    /// A robots.txt: keep the first bytes, as Google does.
    Truncate,
}

impl Fetcher {
    /// Builds the fetcher and its HTTP client. Fails on settings that cannot work (a contact that is not an http(s)
    /// URL, a zero page timeout) or when the client cannot be built.
    pub fn new(settings: FetchSettings) -> Result<Fetcher, FetchError> {
        let invalid = |reason: String| FetchError::InvalidSettings { reason };
        match Url::parse(&settings.user_agent_contact) {
            Ok(contact) if matches!(contact.scheme(), "http" | "https") => {}
            _ => {
                return Err(invalid(format!(
                    "user_agent_contact {:?} is not an http(s) URL",
                    settings.user_agent_contact
                )));
            }
        }
        if settings.page_timeout.is_zero() || settings.connect_timeout.is_zero() {
            return Err(invalid("page_timeout and connect_timeout must be longer than zero".to_string()));
        }
        let user_agent = format!("{ROBOTS_AGENT}/{} (+{})", env!("CARGO_PKG_VERSION"), settings.user_agent_contact);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        );
        let proxies = Arc::new(ProxyRoutes::new(settings.proxy.clone()));
        // The resolver judges the hosts the client connects to: the shops', or the proxies' (allowed as written).
        let resolver_allowance = settings.allow_private_hosts.clone().and(&proxies.proxy_hosts());
        // reqwest's own proxy detection off: the client proxies exactly what `proxies` says, which is what the
        // fetcher checked before sending (`check_behind_proxy`).
        let mut client = reqwest::Client::builder()
            .user_agent(user_agent.as_str())
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(address_policy::PolicyResolver::new(resolver_allowance))
            .connect_timeout(settings.connect_timeout)
            .no_proxy();
        if proxies.any() {
            let routes = Arc::clone(&proxies);
            client = client.proxy(reqwest::Proxy::custom(move |url| routes.proxied(url).cloned()));
        }
        let client = client.build().map_err(|source| FetchError::ClientBuild { source })?;
        Ok(Fetcher { inner: Arc::new(Inner { client, settings, proxies, user_agent, hosts: HostTable::default() }) })
    }

    /// The User-Agent header sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    /// The settings the fetcher was built with.
    pub fn settings(&self) -> &FetchSettings {
        &self.inner.settings
    }

    /// Sets the limits of one host (a host name, without port: it applies to every port), e.g. from a shop file.
    /// Hosts already being crawled take it at once, except that lowering concurrency only takes idle slots away.
    pub fn set_host_policy(&self, host: &str, policy: HostPolicy) {
        self.inner.hosts.set_policy(host, policy);
    }

    /// Fetches a page (following redirects). A 304 cannot happen, since no validators are sent.
    pub async fn fetch(&self, url: &Url) -> Result<Page, FetchError> {
        match self.fetch_conditional(url, &Validators::default()).await? {
            Fetched::Page(page) => Ok(page),
            Fetched::NotModified => Err(FetchError::UnexpectedStatus { url: url.clone(), status: 304 }),
        }
    }

    /// Fetches a page unless it is unchanged since `validators` were taken (`If-None-Match`,
    /// `If-Modified-Since`).
    pub async fn fetch_conditional(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let cap = self.inner.settings.max_body_bytes;
        Ok(match self.fetch_raw(url, validators, cap).await? {
            Some(raw) => Fetched::Page(page_from(raw)),
            None => Fetched::NotModified,
        })
    }

    /// Fetches a body as bytes, undecoded, reading at most `max_bytes` (after any `Content-Encoding` is undone):
    /// for files that are not pages (a sitemap, possibly gzipped, whose own cap is not the page cap). Robots.txt,
    /// host limits, retries and redirects are those of [`Fetcher::fetch`].
    pub async fn fetch_bytes(&self, url: &Url, max_bytes: u64) -> Result<RawBody, FetchError> {
        match self.fetch_raw(url, &Validators::default(), max_bytes).await? {
            Some(raw) => Ok(raw),
            None => Err(FetchError::UnexpectedStatus { url: url.clone(), status: 304 }),
        }
    }

    /// The robots.txt rules of `site`'s host (fetched once per host and shared with the crawl), `None` when the
    /// site has none. Fails when the host's robots.txt is unavailable, which puts the whole host off limits.
    pub async fn robots_rules(&self, site: &Url) -> Result<Option<RobotsRules>, FetchError> {
        let host = self.host_entry(site)?;
        let verdict = if self.inner.settings.obey_robots {
            host.robots.get_or_init(|| self.fetch_robots(&host, site)).await.clone()
        } else {
            // Not obeyed: read for its other lines only, without caching it or applying its Crawl-delay.
            self.read_robots(site).await.0
        };
        match verdict {
            RobotsVerdict::Rules(rules) => Ok(Some(rules)),
            RobotsVerdict::AllowAll => Ok(None),
            RobotsVerdict::Unavailable => Err(FetchError::RobotsUnavailable { url: site.clone() }),
            RobotsVerdict::Refused(refused) => {
                Err(FetchError::PrivateAddress { url: site.clone(), refused: Box::new(refused) })
            }
        }
    }

    /// Follows redirects to a body within `max_bytes`, or `None` for a 304.
    async fn fetch_raw(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
    ) -> Result<Option<RawBody>, FetchError> {
        let mut current = url.clone();
        current.set_fragment(None);
        let mut visited: Vec<Url> = Vec::new();
        loop {
            let host = self.host_entry(&current)?;
            if self.inner.settings.obey_robots {
                self.check_robots(&host, &current).await?;
            }
            let answer = self.exchange_with_retries(&host, &current, validators, max_bytes, Oversize::Fail).await?;
            match answer {
                Answer::NotModified => return Ok(None),
                Answer::Body { status, headers, bytes } => {
                    return Ok(Some(RawBody::from_answer(current, status, &headers, bytes)));
                }
                Answer::Redirect { location } => {
                    let next = redirect_target(&current, &location)?;
                    visited.push(current);
                    if visited.contains(&next) {
                        return Err(FetchError::RedirectLoop { url: next });
                    }
                    if visited.len() > self.inner.settings.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            url: next,
                            limit: self.inner.settings.max_redirects,
                        });
                    }
                    current = next;
                }
            }
        }
    }

    /// The per-host state of a URL's host, or why the URL cannot be fetched (an address literal the address policy
    /// refuses among the reasons: names are judged when they are resolved).
    fn host_entry(&self, url: &Url) -> Result<Arc<HostEntry>, FetchError> {
        let invalid = |reason| FetchError::InvalidUrl { url: url.clone(), reason };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("only http and https are fetched"));
        }
        let host = url.host_str().filter(|host| !host.is_empty()).ok_or_else(|| invalid("no host"))?;
        let literal = match url.host() {
            Some(url::Host::Ipv4(address)) => Some(IpAddr::V4(address)),
            Some(url::Host::Ipv6(address)) => Some(IpAddr::V6(address)),
            _ => None,
        };
        if let Some(address) = literal {
            self.inner
                .settings
                .allow_private_hosts
                .check(host, address)
                .map_err(|refused| FetchError::PrivateAddress { url: url.clone(), refused: Box::new(refused) })?;
        }
        let port = url.port_or_known_default().ok_or_else(|| invalid("no port"))?;
        let key = HostKey { host: host.to_string(), port };
        Ok(self.inner.hosts.entry(&key, self.inner.settings.default_host_policy))
    }

    /// Resolves the host of `url`, which a proxy is about to fetch (and resolve) for us, and fails unless every
    /// address it has is public or allowed: the client's resolver never sees that name. An address written in the
    /// URL was judged already ([`Fetcher::host_entry`]). The proxy resolves the name again; a name that answers
    /// differently a moment later is beyond what a client can check.
    async fn check_behind_proxy(&self, url: &Url) -> Result<(), FetchError> {
        let Some(url::Host::Domain(host)) = url.host() else { return Ok(()) };
        let port = url.port_or_known_default().unwrap_or(80);
        let unresolved = |source| FetchError::Unresolved { url: url.clone(), source };
        let addresses: Vec<std::net::SocketAddr> =
            tokio::net::lookup_host((host, port)).await.map_err(unresolved)?.collect();
        if addresses.is_empty() {
            return Err(unresolved(std::io::Error::other("the name has no address")));
        }
        for address in addresses {
            self.inner
                .settings
                .allow_private_hosts
                .check(host, address.ip())
                .map_err(|refused| FetchError::PrivateAddress { url: url.clone(), refused: Box::new(refused) })?;
        }
        Ok(())
    }

    /// Fails unless the host's robots.txt lets us fetch `url`; the first request to a host fetches the file while
    /// the others wait for it.
    async fn check_robots(&self, host: &HostEntry, url: &Url) -> Result<(), FetchError> {
        let verdict = host.robots.get_or_init(|| self.fetch_robots(host, url)).await;
        match verdict {
            RobotsVerdict::AllowAll => Ok(()),
            RobotsVerdict::Unavailable => Err(FetchError::RobotsUnavailable { url: url.clone() }),
            RobotsVerdict::Refused(refused) => {
                Err(FetchError::PrivateAddress { url: url.clone(), refused: Box::new(refused.clone()) })
            }
            RobotsVerdict::Rules(rules) if rules.allowed(ROBOTS_AGENT, url.as_str()) => Ok(()),
            RobotsVerdict::Rules(_) => Err(FetchError::RobotsDisallowed { url: url.clone() }),
        }
    }

    /// Fetches and judges the robots.txt of `page_url`'s origin, and applies its `Crawl-delay` to the host.
    async fn fetch_robots(&self, host: &HostEntry, page_url: &Url) -> RobotsVerdict {
        let (verdict, robots_url) = self.read_robots(page_url).await;
        if let Some(delay) = verdict.crawl_delay(ROBOTS_AGENT) {
            host.set_crawl_delay(delay.min(MAX_CRAWL_DELAY));
            let spacing_ms = host.spacing().as_millis() as u64;
            tracing::debug!(url = %robots_url, spacing_ms, "robots.txt crawl-delay");
        }
        verdict
    }

    /// Fetches and judges the robots.txt of `page_url`'s origin; also returns where the file was found (after
    /// redirects).
    async fn read_robots(&self, page_url: &Url) -> (RobotsVerdict, Url) {
        let mut current = page_url.clone();
        current.set_path("/robots.txt");
        current.set_query(None);
        current.set_fragment(None);
        let mut verdict = RobotsVerdict::AllowAll;
        for _hop in 0..=MAX_ROBOTS_REDIRECTS {
            // A redirect may lead to another host (http to https, bare domain to www): that host's limits apply.
            let hop_host = match self.host_entry(&current) {
                Ok(hop_host) => hop_host,
                Err(_) => break,
            };
            let no_validators = Validators::default();
            let answer = self
                .exchange_with_retries(&hop_host, &current, &no_validators, MAX_ROBOTS_BYTES as u64, Oversize::Truncate)
                .await;
            verdict = match answer {
                Ok(Answer::Body { bytes, .. }) => {
                    // RFC 9309: robots.txt is UTF-8; anything else is read as well as it can be.
                    RobotsVerdict::Rules(RobotsRules::parse(&String::from_utf8_lossy(&bytes)))
                }
                Ok(Answer::Redirect { location }) => match redirect_target(&current, &location) {
                    Ok(next) => {
                        current = next;
                        continue;
                    }
                    Err(_) => RobotsVerdict::AllowAll,
                },
                Ok(Answer::NotModified) => RobotsVerdict::for_status(304),
                Err(FetchError::NotFound { status, .. } | FetchError::ClientError { status, .. }) => {
                    RobotsVerdict::for_status(status)
                }
                Err(FetchError::PrivateAddress { refused, .. }) => RobotsVerdict::Refused(*refused),
                Err(error) => {
                    tracing::warn!(url = %current, kind = error.kind(), "robots.txt unavailable: host disallowed");
                    RobotsVerdict::Unavailable
                }
            };
            break;
        }
        // More redirects than Google follows leaves `verdict` at AllowAll: as if there were no robots.txt.
        (verdict, current)
    }

    /// One request with retries on transient failures, each attempt taking its turn under the host's limits.
    async fn exchange_with_retries(
        &self,
        host: &HostEntry,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
        oversize: Oversize,
    ) -> Result<Answer, FetchError> {
        let settings = &self.inner.settings;
        let attempt = || self.exchange(host, url, validators, max_bytes, oversize);
        attempt
            .retry(retry::backoff(settings.retry_base_delay, settings.max_retries))
            .sleep(tokio::time::sleep)
            .when(FetchError::is_transient)
            .adjust(|error, backoff| match error.retry_after() {
                // The server's word is a floor on the wait; a wait longer than we accept ends the retries.
                Some(asked) if asked > settings.max_retry_after => None,
                Some(asked) => backoff.map(|wait| wait.max(asked)),
                None => backoff,
            })
            .notify(|error, wait| {
                tracing::debug!(url = %url, kind = error.kind(), wait_ms = wait.as_millis() as u64, "retrying");
            })
            .await
    }

    /// One attempt: waits for the host's turn, then sends and reads the answer within the page cap.
    async fn exchange(
        &self,
        host: &HostEntry,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
        oversize: Oversize,
    ) -> Result<Answer, FetchError> {
        let _permit = host.acquire().await;
        let cap = self.inner.settings.page_timeout;
        tokio::time::timeout(cap, self.exchange_now(host, url, validators, max_bytes, oversize))
            .await
            .unwrap_or_else(|_elapsed| Err(FetchError::Timeout { url: url.clone(), after: cap }))
    }

    async fn exchange_now(
        &self,
        host: &HostEntry,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
        oversize: Oversize,
    ) -> Result<Answer, FetchError> {
        if self.inner.proxies.proxied(url).is_some() {
            self.check_behind_proxy(url).await?;
        }
        let mut request = self.inner.client.get(url.clone());
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(last_modified) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, last_modified);
        }
        let response = request.send().await.map_err(|source| FetchError::from_reqwest(url, source))?;
        let status = response.status().as_u16();
        let url = url.clone();
        match status {
            200..=299 => {
                let headers = response.headers().clone();
                let bytes = read_body(response, &url, max_bytes, oversize).await?;
                Ok(Answer::Body { status, headers, bytes })
            }
            304 => Ok(Answer::NotModified),
            300..=399 => match response.headers().get(header::LOCATION) {
                Some(location) => {
                    Ok(Answer::Redirect { location: String::from_utf8_lossy(location.as_bytes()).into_owned() })
                }
                None => Err(FetchError::UnexpectedStatus { url, status }),
            },
            404 | 410 => Err(FetchError::NotFound { url, status }),
            429 => {
                let retry_after = self.honour_retry_after(host, response.headers());
                Err(FetchError::TooManyRequests { url, retry_after })
            }
            400..=499 => Err(FetchError::ClientError { url, status }),
            500..=599 => {
                let retry_after = self.honour_retry_after(host, response.headers());
                Err(FetchError::ServerError { url, status, retry_after })
            }
            _ => Err(FetchError::UnexpectedStatus { url, status }),
        }
    }

    /// Reads `Retry-After` and pauses the whole host for it (bounded by `max_retry_after`), so that not only the
    /// retry but every next request to the host waits.
    fn honour_retry_after(&self, host: &HostEntry, headers: &HeaderMap) -> Option<Duration> {
        let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
        let wait = retry::parse_retry_after(value, SystemTime::now())?;
        host.pause_for(wait.min(self.inner.settings.max_retry_after));
        Some(wait)
    }
}

/// Reads a body chunk by chunk, never holding more than `max_bytes`: a declared length over the cap fails before
/// reading anything.
async fn read_body(
    mut response: reqwest::Response,
    url: &Url,
    max_bytes: u64,
    oversize: Oversize,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge { url: url.clone(), limit: max_bytes };
    let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let declared = response.content_length();
    if let (Some(length), Oversize::Fail) = (declared, oversize)
        && length > max_bytes
    {
        return Err(too_large());
    }
    // Pre-size from the declared length (bounded by the cap: the header is the server's word, not a fact).
    let mut body = Vec::with_capacity(declared.map_or(0, |length| usize::try_from(length).unwrap_or(0)).min(limit));
    while let Some(chunk) = response.chunk().await.map_err(|source| FetchError::Body { url: url.clone(), source })? {
        let room = limit - body.len();
        if chunk.len() > room {
            return match oversize {
                Oversize::Fail => Err(too_large()),
                Oversize::Truncate => {
                    body.extend_from_slice(&chunk[..room]);
                    Ok(body)
                }
            };
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Where a redirect leads: `location` resolved against the current URL, without fragment, http(s) only.
fn redirect_target(current: &Url, location: &str) -> Result<Url, FetchError> {
    let bad = || FetchError::BadRedirect { url: current.clone(), location: location.to_string() };
    let mut next = current.join(location.trim()).map_err(|_| bad())?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(bad());
    }
    next.set_fragment(None);
    Ok(next)
}

fn page_from(raw: RawBody) -> Page {
    let RawBody { url, status, content_type, bytes, validators, header_names } = raw;
    let body_bytes = bytes.len();
    // The top-level domain helps charset detection tell, say, a French page from a Polish one.
    let tld = url.domain().and_then(|domain| domain.rsplit('.').next()).map(str::as_bytes);
    let (text, encoding) = charset::decode_with_hint(bytes, content_type.as_deref(), tld);
    Page { validators, url, status, content_type, text, encoding, body_bytes, header_names }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_names_dealcast_its_version_and_the_contact() {
        let settings =
            FetchSettings { user_agent_contact: "https://deals.example/bot".to_string(), ..FetchSettings::default() };
        let fetcher = Fetcher::new(settings).unwrap();
        assert_eq!(
            fetcher.user_agent(),
            format!("dealcast/{} (+https://deals.example/bot)", env!("CARGO_PKG_VERSION"))
        );
        assert!(RobotsRules::is_valid_user_agent(ROBOTS_AGENT));
    }

    #[test]
    fn the_default_settings_are_the_safe_ones() {
        let settings = FetchSettings::default();
        assert_eq!(settings.max_body_bytes, 10 * 1024 * 1024);
        assert_eq!(settings.page_timeout, Duration::from_secs(30));
        assert_eq!(settings.max_redirects, 5);
        assert!(settings.obey_robots);
        assert_eq!(settings.default_host_policy, HostPolicy { min_delay: Duration::from_secs(1), max_concurrency: 2 });
        assert!(Fetcher::new(settings).is_ok());
    }

    #[test]
    fn a_contact_that_is_not_a_web_url_is_refused() {
        for contact in ["", "mailto:bot@deals.example", "not a url"] {
            let settings = FetchSettings { user_agent_contact: contact.to_string(), ..FetchSettings::default() };
            assert_eq!(Fetcher::new(settings).err().map(|e| e.kind()), Some("invalid_settings"), "{contact:?}");
        }
    }

    #[tokio::test]
    async fn urls_that_are_not_http_are_refused_without_a_request() {
        let fetcher = Fetcher::new(FetchSettings::default()).unwrap();
        for url in ["ftp://shop.example/a", "file:///etc/passwd", "data:text/plain,hi"] {
            let error = fetcher.fetch(&Url::parse(url).unwrap()).await.unwrap_err();
            assert_eq!(error.kind(), "invalid_url", "{url}");
        }
    }

    #[test]
    fn redirects_resolve_relative_locations_and_refuse_other_schemes() {
        let current = Url::parse("https://shop.example/a/b?x=1").unwrap();
        assert_eq!(redirect_target(&current, "../c#top").unwrap().as_str(), "https://shop.example/c");
        assert_eq!(redirect_target(&current, "//cdn.example/p").unwrap().as_str(), "https://cdn.example/p");
        assert_eq!(redirect_target(&current, "javascript:alert(1)").unwrap_err().kind(), "bad_redirect");
    }

    #[test]
    fn validators_are_read_from_the_response_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, HeaderValue::from_static("W/\"abc\""));
        headers.insert(header::LAST_MODIFIED, HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(
            Validators::from_headers(&headers),
            Validators {
                etag: Some("W/\"abc\"".to_string()),
                last_modified: Some("Sun, 06 Nov 1994 08:49:37 GMT".to_string())
            }
        );
    }
}
