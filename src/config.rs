//! dealcast's configuration: an optional `dealcast.toml`, then environment variables and flags on top.
//!
//! Nothing is required to start: every setting has a default. A file is read once, into typed structures; every
//! problem in it (unknown keys, values of the wrong type or out of range) is reported at once, with its line and
//! column, so a user fixes them in one pass instead of one run per mistake (see `toml_problems`). Secrets are never printed: `config show`
//! redacts them.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

use crate::common::toml_problems::{Problem, describe_problems, parse_all};
use crate::deals::score::ScoreWeights;
use crate::publish::accounts::{self, AccountConfig};
use crate::scrape::registry::DEFAULT_SCRAPERS_DIR;
use crate::store::StoreSettings;
use crate::store::database::redact_url;
use crate::web::admin::password::{self, AdminPasswordHash};

/// The file read when no `--config` / `DEALCAST_CONFIG` is given (and only if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "dealcast.toml";
/// The data directory when none is configured, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = ".dealcast";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where dealcast keeps its state: the private PostgreSQL cluster (`<data_dir>/pg`) and its lock files.
    pub data_dir: PathBuf,
    /// Where the shop files (`<shop>.toml`) and their fixtures are.
    pub scrapers_dir: PathBuf,
    pub database: DatabaseConfig,
    pub scrape: ScrapeConfig,
    /// `[scoring]`: the weights of the deal score.
    pub scoring: ScoreWeights,
    /// `[[accounts]]`: the accounts that publish deals (none: nothing is published).
    pub accounts: Vec<AccountConfig>,
    pub web: WebConfig,
    pub log: LogConfig,
    pub evidence: EvidenceConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            scrapers_dir: PathBuf::from(DEFAULT_SCRAPERS_DIR),
            database: DatabaseConfig::default(),
            scrape: ScrapeConfig::default(),
            scoring: ScoreWeights::default(),
            accounts: Vec::new(),
            web: WebConfig::default(),
            log: LogConfig::default(),
            evidence: EvidenceConfig::default(),
        }
    }
}

/// `[scrape]`: how dealcast behaves towards shops. The defaults are safe for real shops; a shop file may ask for
/// slower (or, on loopback, faster) crawling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScrapeConfig {
    /// Where a shop's webmaster can learn who crawls them; part of the User-Agent.
    pub contact_url: String,
    /// Milliseconds between two requests to one host.
    pub min_delay_ms: u64,
    /// Requests in flight to one host at most.
    pub max_concurrency: NonZeroU32,
    /// The largest page read, in bytes.
    pub max_body_bytes: NonZeroU32,
    /// The longest one page may take, in seconds, retries excluded.
    pub page_timeout_secs: NonZeroU32,
    /// Retries after a timeout, a 429 or a 5xx.
    pub max_retries: u32,
    /// Hosts or networks on loopback or a private network that may be fetched (`["shop.lan", "10.0.0.0/8"]`);
    /// none by default, so that no shop can make dealcast fetch from its own machine or network. Added to
    /// `DEALCAST_ALLOW_PRIVATE_HOSTS`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_private_hosts: Vec<crate::scrape::fetch::AllowedHost>,
}

impl Default for ScrapeConfig {
    fn default() -> Self {
        ScrapeConfig {
            contact_url: "https://github.com/dealcast/dealcast".to_string(),
            min_delay_ms: 1000,
            max_concurrency: NonZeroU32::new(2).expect("non-zero"),
            max_body_bytes: NonZeroU32::new(10 * 1024 * 1024).expect("non-zero"),
            page_timeout_secs: NonZeroU32::new(30).expect("non-zero"),
            max_retries: 3,
            allow_private_hosts: Vec::new(),
        }
    }
}

/// `[database]`: which PostgreSQL to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// A PostgreSQL server to use instead of the private cluster (also `DATABASE_URL`). Its password is a secret.
    #[serde(serialize_with = "serialize_redacted_url", skip_serializing_if = "Option::is_none")]
    pub url: Option<DatabaseUrl>,
    /// The directory of the PostgreSQL server programs, when they are not on PATH or in /usr/lib/postgresql.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pg_bin_dir: Option<PathBuf>,
    /// The most connections one dealcast process opens.
    pub max_connections: NonZeroU32,
    /// How long to wait for a connection, in seconds.
    pub connect_timeout_secs: NonZeroU32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            pg_bin_dir: None,
            max_connections: NonZeroU32::new(10).expect("non-zero"),
            connect_timeout_secs: NonZeroU32::new(30).expect("non-zero"),
        }
    }
}

/// `[web]`: the web UI (`dealcast serve`). The `--listen` and `--public-url` flags (and their environment
/// variables) win over the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// The address and port to listen on (default 127.0.0.1:8080).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// The site's public address: absolute links in the feeds, and `Secure` admin cookies when it is `https://`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<PublicUrl>,
    /// The admin password's argon2 hash (`dealcast admin hash-password`; also `DEALCAST_ADMIN_PASSWORD_HASH`).
    /// None: the admin is disabled. A secret: never printed.
    #[serde(serialize_with = "password::serialize_redacted", skip_serializing_if = "Option::is_none")]
    pub admin_password_hash: Option<AdminPasswordHash>,
    /// How many seconds a rendered deal list (home page, `/api/deals`) is served again before being asked anew
    /// (default [`WebConfig::DEFAULT_PAGE_CACHE_SECS`]; 0: never kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_cache_secs: Option<u64>,
    /// Whether the server chooses the pages of deal lists in memory (`deal_index`; default true): about
    /// 500 bytes of memory per scored offer, for lists and searches in microseconds instead of milliseconds.
    /// false: PostgreSQL chooses every page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lists_in_memory: Option<bool>,
    /// The reverse proxies (addresses or networks: `127.0.0.1`, `10.0.0.0/8`) whose `X-Forwarded-For` names the
    /// client, for the admin's per-client login budget; empty (the default): the TCP peer is the client.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxies: Vec<crate::web::forwarded::TrustedProxy>,
    /// Seconds a client may take to send a request's line and headers before it is disconnected (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_read_timeout_secs: Option<NonZeroU32>,
    /// Seconds a request may take to be answered before it answers 503 (default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<NonZeroU32>,
    /// The most client connections open at once; more wait to be accepted (default 512).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<NonZeroU32>,
    /// Seconds one database statement of the web UI may run before PostgreSQL cancels it (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_timeout_secs: Option<NonZeroU32>,
    /// The database connections of the web UI under `dealcast run`, apart from the workers' and the publishers'
    /// (default 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_connections: Option<NonZeroU32>,
    /// A token `/metrics` asks for (`Authorization: Bearer <token>`); none: `/metrics` is public. A secret.
    #[serde(serialize_with = "serialize_redacted_token", skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<MetricsToken>,
    /// The time zone dates are shown in on the web pages (default `Europe/Paris`).
    #[serde(serialize_with = "serialize_time_zone", skip_serializing_if = "Option::is_none")]
    pub timezone: Option<crate::scrape::shop_spec::TimeZone>,
}

impl WebConfig {
    /// Deals change when a harvest writes them, minutes apart: ten seconds of staleness is not seen, and a popular
    /// list is then computed once per ten seconds instead of once per visitor.
    pub const DEFAULT_PAGE_CACHE_SECS: u64 = 10;

    /// How long rendered deal lists are kept.
    pub fn page_cache_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.page_cache_secs.unwrap_or(Self::DEFAULT_PAGE_CACHE_SECS))
    }

    /// A web query runs in milliseconds; ten seconds only stops one that would hold a connection for minutes.
    pub const DEFAULT_STATEMENT_TIMEOUT_SECS: u64 = 10;
    /// The web pool of `dealcast run`: pages need a connection for milliseconds each.
    pub const DEFAULT_DATABASE_CONNECTIONS: u32 = 4;

    /// How long clients may take and how many may be connected.
    pub fn server_limits(&self) -> crate::web::server::ServerLimits {
        let defaults = crate::web::server::ServerLimits::default();
        let secs = |value: Option<NonZeroU32>| value.map(|secs| std::time::Duration::from_secs(u64::from(secs.get())));
        crate::web::server::ServerLimits {
            header_read_timeout: secs(self.header_read_timeout_secs).unwrap_or(defaults.header_read_timeout),
            request_timeout: secs(self.request_timeout_secs).unwrap_or(defaults.request_timeout),
            max_connections: self
                .max_connections
                .and_then(|max| usize::try_from(max.get()).ok())
                .unwrap_or(defaults.max_connections),
        }
    }

    /// How long one statement of the web UI may run.
    pub fn statement_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(
            self.statement_timeout_secs.map_or(Self::DEFAULT_STATEMENT_TIMEOUT_SECS, |secs| u64::from(secs.get())),
        )
    }

    /// The time zone of the dates on the web pages.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.timezone.unwrap_or_default().0
    }
}

/// The bearer token of `/metrics`: never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct MetricsToken(String);

impl MetricsToken {
    /// The token itself: for comparing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MetricsToken {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let token = raw.trim();
        // What an `Authorization` header can carry as a bearer token (RFC 6750's token68, roughly).
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a metrics token is at least 16 visible ASCII characters, without spaces".to_owned());
        }
        Ok(MetricsToken(token.to_owned()))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MetricsToken({})", password::REDACTED)
    }
}

fn serialize_redacted_token<S: Serializer>(token: &Option<MetricsToken>, serializer: S) -> Result<S::Ok, S::Error> {
    match token {
        Some(_) => serializer.serialize_str(password::REDACTED),
        None => serializer.serialize_none(),
    }
}

fn serialize_time_zone<S: Serializer>(
    zone: &Option<crate::scrape::shop_spec::TimeZone>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match zone {
        Some(zone) => serializer.serialize_str(zone.0.name()),
        None => serializer.serialize_none(),
    }
}

/// An absolute `http://` or `https://` URL, checked when read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl(url::Url);

impl PublicUrl {
    /// The URL.
    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let parsed = url::Url::parse(&raw).map_err(|e| format!("not a URL ({e})"))?;
        match parsed.scheme() {
            "http" | "https" => Ok(PublicUrl(parsed)),
            other => Err(format!("the scheme is `{other}`; the public URL starts with http:// or https://")),
        }
    }
}

impl From<PublicUrl> for String {
    fn from(url: PublicUrl) -> String {
        url.0.to_string()
    }
}

/// `[log]`: what dealcast writes to standard error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter such as `info` or `dealcast=debug,sqlx=warn` (`RUST_LOG` overrides it).
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { filter: "info".to_string() }
    }
}

/// `[evidence]`: what is kept of the evidence behind each sent post (`store::evidence`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvidenceConfig {
    /// How many days the copy of the product page read before a post is kept (400 by default); the rest of the
    /// evidence (observations, reference price) is kept for good.
    pub page_retention_days: RetentionDays,
}

impl EvidenceConfig {
    /// How long page copies are kept, for the prune (`store::evidence::prune_pages`).
    pub fn page_retention(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::days(i64::from(self.page_retention_days.0))
    }
}

/// A number of days between 1 and [`RetentionDays::MAX`], checked when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct RetentionDays(u32);

impl RetentionDays {
    /// A century: beyond it, the prune's cut-off would fall before any date a database holds.
    pub const MAX: u32 = 36_500;
}

impl Default for RetentionDays {
    fn default() -> Self {
        RetentionDays(u32::try_from(crate::store::evidence::DEFAULT_PAGE_RETENTION.num_days()).unwrap_or(400))
    }
}

impl TryFrom<u32> for RetentionDays {
    type Error = String;

    fn try_from(days: u32) -> Result<Self, Self::Error> {
        if (1..=Self::MAX).contains(&days) {
            Ok(RetentionDays(days))
        } else {
            Err(format!(
                "evidence.page_retention_days must be between 1 and {} days, not {days} (0 would prune every page \
                 copy as soon as it is kept)",
                Self::MAX
            ))
        }
    }
}

impl From<RetentionDays> for u32 {
    fn from(days: RetentionDays) -> u32 {
        days.0
    }
}

/// A PostgreSQL connection URL, checked when read. It may hold a password, so it only prints redacted.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, with its password: for connecting only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let parsed = url::Url::parse(&raw).map_err(|e| format!("not a URL ({e})"))?;
        match parsed.scheme() {
            "postgres" | "postgresql" => Ok(DatabaseUrl(raw)),
            other => Err(format!("the scheme is `{other}`; a PostgreSQL URL starts with postgresql://")),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", redact_url(&self.0))
    }
}

fn serialize_redacted_url<S: Serializer>(url: &Option<DatabaseUrl>, serializer: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(url) => serializer.serialize_str(&redact_url(&url.0)),
        None => serializer.serialize_none(),
    }
}

/// Settings given on the command line or in the environment; they win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub scrapers_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub pg_bin_dir: Option<PathBuf>,
    /// `DEALCAST_ADMIN_PASSWORD_HASH` (an environment variable only: a flag would show it in `ps`).
    pub admin_password_hash: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Could not read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}", describe_problems("The configuration file", path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },

    #[error("The configuration file {} has account problems:\n  {}", path.display(), problems.join("\n  "))]
    Accounts { path: PathBuf, problems: Vec<String> },

    #[error("{name} is not valid: {message}")]
    Override { name: &'static str, message: String },
}

/// Where the configuration came from, for `config show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Defaults,
    File(PathBuf),
}

impl Config {
    /// Reads the configuration: the file at `path` (which must exist), or `dealcast.toml` in the working directory
    /// if there is one, or the defaults; then applies `overrides`.
    pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<(Config, Origin), ConfigError> {
        let default_path = Path::new(DEFAULT_CONFIG_FILE);
        let (mut config, origin) = match path {
            Some(path) => (Self::read_file(path)?, Origin::File(path.to_path_buf())),
            None if default_path.is_file() => (Self::read_file(default_path)?, Origin::File(default_path.into())),
            None => (Config::default(), Origin::Defaults),
        };
        if let Some(data_dir) = &overrides.data_dir {
            config.data_dir = data_dir.clone();
        }
        if let Some(scrapers_dir) = &overrides.scrapers_dir {
            config.scrapers_dir = scrapers_dir.clone();
        }
        if let Some(pg_bin_dir) = &overrides.pg_bin_dir {
            config.database.pg_bin_dir = Some(pg_bin_dir.clone());
        }
        if let Some(url) = &overrides.database_url {
            let url = DatabaseUrl::try_from(url.clone())
                .map_err(|message| ConfigError::Override { name: "DATABASE_URL", message })?;
            config.database.url = Some(url);
        }
        if let Some(hash) = &overrides.admin_password_hash {
            let hash = AdminPasswordHash::try_from(hash.clone())
                .map_err(|message| ConfigError::Override { name: "DEALCAST_ADMIN_PASSWORD_HASH", message })?;
            config.web.admin_password_hash = Some(hash);
        }
        Ok((config, origin))
    }

    /// Reads one file. Relative paths in it are taken from the file's own directory.
    pub fn read_file(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let mut config =
            Self::parse(&text).map_err(|problems| ConfigError::Invalid { path: path.to_path_buf(), problems })?;
        let problems = accounts::check(&config.accounts);
        if !problems.is_empty() {
            return Err(ConfigError::Accounts { path: path.to_path_buf(), problems });
        }
        let base = path.parent().unwrap_or(Path::new(""));
        if config.data_dir.is_relative() && config.data_dir != Path::new(DEFAULT_DATA_DIR) {
            config.data_dir = base.join(&config.data_dir);
        }
        if config.scrapers_dir.is_relative() && config.scrapers_dir != Path::new(DEFAULT_SCRAPERS_DIR) {
            config.scrapers_dir = base.join(&config.scrapers_dir);
        }
        if let Some(dir) = config.database.pg_bin_dir.as_mut().filter(|dir| dir.is_relative()) {
            *dir = base.join(&*dir);
        }
        Ok(config)
    }

    /// Parses configuration text, collecting every problem.
    pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        parse_all(text)
    }

    /// The settings the store needs.
    pub fn store_settings(&self) -> StoreSettings {
        StoreSettings {
            database_url: self.database.url.as_ref().map(|url| url.expose().to_string()),
            data_dir: self.data_dir.clone(),
            pg_bin_dir: self.database.pg_bin_dir.clone(),
            max_connections: self.database.max_connections.get(),
            connect_timeout: std::time::Duration::from_secs(u64::from(self.database.connect_timeout_secs.get())),
        }
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# could not print the configuration: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn settings_are_read() {
        let config = Config::parse(
            "data_dir = \"/var/lib/dealcast\"\n[database]\nmax_connections = 4\n[log]\nfilter = \"debug\"\n",
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/dealcast"));
        assert_eq!(config.database.max_connections.get(), 4);
        assert_eq!(config.log.filter, "debug");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_line() {
        let text = "data_dir = 3\nunknown_top = true\n[database]\nmax_connections = 0\nurl = \"mysql://x\"\n\
                    colour = \"blue\"\n[nonsense]\na = 1\n";
        let problems = Config::parse(text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 4, 5, 6, 7], "{problems:#?}");
        assert!(problems[1].message.contains("unknown field `unknown_top`"), "{problems:#?}");
        assert!(problems[2].message.contains("nonzero"), "{problems:#?}");
        assert!(problems[3].message.contains("postgresql://"), "{problems:#?}");
        assert!(problems[5].message.contains("nonsense"), "{problems:#?}");
    }

    #[test]
    fn a_syntax_error_is_reported_with_its_position() {
        let problems = Config::parse("[database\nmax_connections = 3\n").unwrap_err();
        assert_eq!(problems[0].line, 1, "{problems:#?}");
    }

    #[test]
    fn accounts_are_read_and_show_their_secret_variables_never_secrets() {
        let dir = std::env::temp_dir().join(format!("dealcast-accounts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("dealcast.toml");
        std::fs::write(&file, "[[accounts]]\nname = \"twittzat\"\nplatform = \"x\"\nquiet_hours = \"23:00-07:00\"\n")
            .unwrap();
        let (config, _) = Config::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(config.accounts[0].name, "twittzat");
        let shown = config.to_redacted_toml();
        assert!(shown.contains("[[accounts]]") && shown.contains("quiet_hours = \"23:00-07:00\""), "{shown}");
        std::fs::write(&file, "[[accounts]]\nname = \"a\"\n[[accounts]]\nname = \"a\"\n").unwrap();
        let error = Config::load(Some(&file), &Overrides::default()).unwrap_err().to_string();
        assert!(error.contains("another account already has this name"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_database_password_never_shows() {
        let config = Config::parse("[database]\nurl = \"postgresql://deals:hunter2@db/deals\"\n").unwrap();
        let shown = config.to_redacted_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgresql://deals:REDACTED@db/deals"), "{shown}");
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn the_web_section_is_read_and_the_admin_hash_never_shows() {
        let phc = password::hash_password("hunter2").unwrap();
        let text = format!(
            "[web]\nlisten = \"0.0.0.0:8081\"\npublic_url = \"https://deals.example/\"\nadmin_password_hash = \"{phc}\"\n"
        );
        let config = Config::parse(&text).unwrap();
        assert_eq!(config.web.listen, Some("0.0.0.0:8081".parse().unwrap()));
        assert_eq!(config.web.public_url.as_ref().map(|url| url.url().scheme()), Some("https"));
        assert!(config.web.admin_password_hash.as_ref().is_some_and(|hash| hash.verify("hunter2")));
        let shown = config.to_redacted_toml();
        assert!(shown.contains("admin_password_hash = \"REDACTED\""), "{shown}");
        assert!(!shown.contains(&phc) && !format!("{config:?}").contains(&phc), "{shown}");
        let problems =
            Config::parse("[web]\nadmin_password_hash = \"hunter2\"\npublic_url = \"ftp://x\"\n").unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].message.contains("dealcast admin hash-password"), "{problems:#?}");
    }

    #[test]
    fn trusted_proxies_are_read_as_addresses_or_networks() {
        let config = Config::parse("[web]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]\n").unwrap();
        let holds =
            |address: &str| config.web.trusted_proxies.iter().any(|proxy| proxy.holds(address.parse().unwrap()));
        assert!(holds("127.0.0.1") && holds("10.20.30.40") && holds("::1") && !holds("192.168.1.1"));
        let shown = config.to_redacted_toml();
        assert!(["\"127.0.0.1\"", "\"10.0.0.0/8\"", "\"::1\""].iter().all(|proxy| shown.contains(proxy)), "{shown}");
        let problems = Config::parse("[web]\ntrusted_proxies = [\"proxy.example\"]\n").unwrap_err();
        assert!(problems[0].message.contains("`proxy.example` is not an IP address"), "{problems:#?}");
    }

    #[test]
    fn the_web_limits_token_and_zone_are_read_and_the_token_never_shows() {
        let text = "[web]\nheader_read_timeout_secs = 3\nrequest_timeout_secs = 20\nmax_connections = 64\n\
                    statement_timeout_secs = 5\nmetrics_token = \"s3cret-metrics-token-1234\"\n\
                    timezone = \"America/Montreal\"\n";
        let config = Config::parse(text).unwrap();
        let limits = config.web.server_limits();
        assert_eq!(limits.header_read_timeout, std::time::Duration::from_secs(3));
        assert_eq!(limits.request_timeout, std::time::Duration::from_secs(20));
        assert_eq!(limits.max_connections, 64);
        assert_eq!(config.web.statement_timeout(), std::time::Duration::from_secs(5));
        assert_eq!(config.web.time_zone(), chrono_tz::America::Montreal);
        let shown = config.to_redacted_toml();
        assert!(shown.contains("metrics_token = \"REDACTED\"") && shown.contains("America/Montreal"), "{shown}");
        assert!(!shown.contains("s3cret") && !format!("{config:?}").contains("s3cret"), "{shown}");
        assert_eq!(Config::default().web.time_zone(), chrono_tz::Europe::Paris);
        let problems = Config::parse("[web]\nmetrics_token = \"short\"\ntimezone = \"Mars/Olympus\"\n").unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
    }

    #[test]
    fn the_evidence_page_retention_is_read_in_days_and_checked() {
        assert_eq!(Config::default().evidence.page_retention(), chrono::TimeDelta::days(400));
        let config = Config::parse("[evidence]\npage_retention_days = 30\n").unwrap();
        assert_eq!(config.evidence.page_retention(), chrono::TimeDelta::days(30));
        assert!(config.to_redacted_toml().contains("[evidence]\npage_retention_days = 30"), "{config:?}");
        for wrong in ["0", "36501"] {
            let problems = Config::parse(&format!("[evidence]\npage_retention_days = {wrong}\n")).unwrap_err();
            assert_eq!(problems.len(), 1, "{problems:#?}");
            assert_eq!(problems[0].line, 2, "{problems:#?}");
            assert!(
                problems[0]
                    .message
                    .contains(&format!("evidence.page_retention_days must be between 1 and 36500 days, not {wrong}")),
                "{problems:#?}"
            );
        }
    }

    #[test]
    fn the_admin_hash_from_the_environment_is_checked() {
        let overrides = Overrides { admin_password_hash: Some("plain".into()), ..Overrides::default() };
        let error = Config::load(None, &overrides).unwrap_err().to_string();
        assert!(error.contains("DEALCAST_ADMIN_PASSWORD_HASH") && !error.contains("plain"), "{error}");
    }

    #[test]
    fn overrides_win_over_the_file_and_are_checked() {
        let overrides = Overrides { database_url: Some("http://nope".into()), ..Overrides::default() };
        let error = Config::load(Some(Path::new("/nonexistent/dealcast.toml")), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/dealcast.toml"), "{error}");
        let dir = std::env::temp_dir().join(format!("dealcast-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("dealcast.toml");
        std::fs::write(&file, "data_dir = \"state\"\n").unwrap();
        let (config, origin) = Config::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(config.data_dir, dir.join("state"));
        assert_eq!(origin, Origin::File(file.clone()));
        let error = Config::load(Some(&file), &overrides).unwrap_err().to_string();
        assert!(error.contains("DATABASE_URL"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
