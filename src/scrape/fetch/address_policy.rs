//! Which addresses dealcast may fetch from: public ones only, unless the operator allows a private host.
//!
//! Every URL the fetcher follows comes from a third party (a shop's page, its redirects, its sitemaps, an offer's
//! `image_url`), so without a policy a shop could make dealcast request `http://169.254.169.254/` (a cloud's
//! metadata service), `127.0.0.1` (dealcast's own admin) or any machine of the private network, and parse or post
//! publicly what comes back. The policy is applied where the address is known for sure: to IP literals before a
//! request, and to names inside the client's DNS resolver ([`PolicyResolver`]), so the connection goes only to the
//! addresses that were checked (no second lookup that could answer differently). The fetcher follows redirects
//! itself, so every hop goes through both.
//!
//! Loopback, private (RFC 1918, unique-local), link-local, multicast, unspecified, shared (CGNAT), benchmarking,
//! documentation and reserved addresses are refused, in IPv4 and IPv6, IPv4 embedded in IPv6 (mapped, NAT64, 6to4)
//! judged as the IPv4 address it carries. The operator may allow hosts or networks by name
//! (`[scrape] allow_private_hosts`, or [`ALLOW_PRIVATE_HOSTS_ENV`]): a shop on the office network, a benchmark
//! shop on loopback. The classification is written here from the standard library's address predicates and the
//! IANA special-purpose registries, because no maintained crate classifies addresses this way (ipnet only does
//! arithmetic) and the list is short.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The environment variable that allows private hosts, as `[scrape] allow_private_hosts` does (comma-separated
/// hosts or networks: `127.0.0.0/8,shop.lan`). Benchmarks and outside checks set it; the two lists add up.
pub const ALLOW_PRIVATE_HOSTS_ENV: &str = "DEALCAST_ALLOW_PRIVATE_HOSTS";

/// One host or network allowed although private: a host name (`shop.lan`: whatever it resolves to), an address
/// (`10.0.0.5`) or a network (`127.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AllowedHost {
    /// A host name, lower case, without a trailing dot.
    Name(String),
    /// An address or network.
    Network(IpNet),
}

impl FromStr for AllowedHost {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(network) = text.parse::<IpNet>() {
            return Ok(AllowedHost::Network(network.trunc()));
        }
        if let Ok(address) = text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            return Ok(AllowedHost::Network(IpNet::from(address.to_canonical())));
        }
        let name = text.trim_end_matches('.').to_ascii_lowercase();
        let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
        if name.is_empty() || !name.chars().all(is_name_char) || name.starts_with('.') || name.contains("..") {
            return Err(format!(
                "`{text}` is not a host name, an IP address or a network (such as shop.lan, 10.0.0.5 or 127.0.0.0/8)"
            ));
        }
        Ok(AllowedHost::Name(name))
    }
}

impl TryFrom<String> for AllowedHost {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

/// As written: a single address without its prefix length.
impl From<AllowedHost> for String {
    fn from(host: AllowedHost) -> String {
        match host {
            AllowedHost::Name(name) => name,
            AllowedHost::Network(network) if network.prefix_len() == network.max_prefix_len() => {
                network.addr().to_string()
            }
            AllowedHost::Network(network) => network.to_string(),
        }
    }
}

/// The private hosts and networks a fetcher may reach; empty (the default) allows public addresses only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivateHostAllowance {
    entries: Vec<AllowedHost>,
}

/// A list of allowed hosts that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {problem}")]
pub struct AllowanceError {
    /// Where the list came from (`DEALCAST_ALLOW_PRIVATE_HOSTS`).
    pub origin: String,
    pub problem: String,
}

impl PrivateHostAllowance {
    /// An allowance of exactly these hosts and networks.
    pub fn new(entries: impl IntoIterator<Item = AllowedHost>) -> PrivateHostAllowance {
        PrivateHostAllowance { entries: entries.into_iter().collect() }
    }

    /// The loopback networks (`127.0.0.0/8`, `::1`): for a process talking to its own loopback servers.
    pub fn loopback() -> PrivateHostAllowance {
        PrivateHostAllowance::new([
            AllowedHost::Network("127.0.0.0/8".parse().expect("a network")),
            AllowedHost::Network(IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST))),
        ])
    }

    /// Reads a comma-separated list (empty items are ignored), naming `origin` in the error.
    pub fn parse_list(text: &str, origin: &str) -> Result<PrivateHostAllowance, AllowanceError> {
        let entries = text
            .split(',')
            .filter(|item| !item.trim().is_empty())
            .map(AllowedHost::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|problem| AllowanceError { origin: origin.to_string(), problem })?;
        Ok(PrivateHostAllowance { entries })
    }

    /// The allowance of [`ALLOW_PRIVATE_HOSTS_ENV`] as `env` reads it (none when unset or empty).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<PrivateHostAllowance, AllowanceError> {
        PrivateHostAllowance::parse_list(&env(ALLOW_PRIVATE_HOSTS_ENV).unwrap_or_default(), ALLOW_PRIVATE_HOSTS_ENV)
    }

    /// This allowance and `other`'s together.
    pub fn and(mut self, other: &PrivateHostAllowance) -> PrivateHostAllowance {
        self.entries.extend(other.entries.iter().cloned());
        self
    }

    /// The hosts and networks allowed.
    pub fn entries(&self) -> &[AllowedHost] {
        &self.entries
    }

    /// Whether `host` (a name or an address, as in a URL) may be reached at `address`.
    pub fn check(&self, host: &str, address: IpAddr) -> Result<(), RefusedAddress> {
        let address = address.to_canonical();
        let Some(class) = special_purpose(address) else { return Ok(()) };
        let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
        let allowed = self.entries.iter().any(|entry| match entry {
            AllowedHost::Name(name) => *name == host,
            AllowedHost::Network(network) => network.contains(&address),
        });
        if allowed { Ok(()) } else { Err(RefusedAddress { host, address, class }) }
    }
}

/// A host whose address is not public and not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{host} is at {address}, a {class} address, which dealcast does not fetch from unless it is allowed \
     ([scrape] allow_private_hosts or {ALLOW_PRIVATE_HOSTS_ENV})"
)]
pub struct RefusedAddress {
    /// The host as the URL names it.
    pub host: String,
    /// The address refused (the first one, when a name resolved to several).
    pub address: IpAddr,
    /// What kind of address it is: `loopback`, `private`, `link-local`...
    pub class: &'static str,
}

/// What kind of non-public address `address` is, or `None` for a public one.
pub fn special_purpose(address: IpAddr) -> Option<&'static str> {
    match address.to_canonical() {
        IpAddr::V4(v4) => special_purpose_v4(v4),
        IpAddr::V6(v6) => special_purpose_v6(v6),
    }
}

fn special_purpose_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = address.octets();
    Some(if address.is_unspecified() || a == 0 {
        "unspecified"
    } else if address.is_loopback() {
        "loopback"
    } else if address.is_private() {
        "private"
    } else if address.is_link_local() {
        "link-local"
    } else if address.is_multicast() {
        "multicast"
    } else if address.is_broadcast() || a >= 240 {
        "reserved"
    } else if a == 100 && (64..128).contains(&b) {
        // RFC 6598 shared address space (carrier-grade NAT; some clouds' metadata services live here).
        "shared"
    } else if a == 192 && b == 0 && c == 0 {
        // RFC 6890 IETF protocol assignments.
        "reserved"
    } else if a == 198 && (b == 18 || b == 19) {
        "benchmarking"
    } else if address.is_documentation() {
        "documentation"
    } else {
        return None;
    })
}

fn special_purpose_v6(address: Ipv6Addr) -> Option<&'static str> {
    let segments = address.segments();
    // IPv4 carried in IPv6 reaches the IPv4 address: NAT64 (64:ff9b::/96), 6to4 (2002::/16), and the deprecated
    // IPv4-compatible form (::a.b.c.d).
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return special_purpose_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return special_purpose_v4(embedded_v4(segments[1], segments[2]));
    }
    Some(if address.is_unspecified() {
        "unspecified"
    } else if address.is_loopback() {
        "loopback"
    } else if segments[..6] == [0; 6] {
        // ::a.b.c.d (IPv4-compatible, deprecated) and the rest of ::/96.
        "reserved"
    } else if address.is_unique_local() || segments[0] & 0xffc0 == 0xfec0 {
        // fc00::/7, and the deprecated site-local fec0::/10.
        "private"
    } else if address.is_unicast_link_local() {
        "link-local"
    } else if address.is_multicast() {
        "multicast"
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        "documentation"
    } else if segments[0] == 0x0100 && segments[1..4] == [0, 0, 0] {
        // 100::/64, the discard prefix.
        "reserved"
    } else {
        return None;
    })
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// The fetcher's DNS resolver: the system's answer, less the addresses the allowance refuses. A name left with no
/// address fails with a [`RefusedAddress`], which the fetcher reports as its own error kind rather than as a
/// connection failure (that would be retried).
pub(crate) struct PolicyResolver {
    allowance: Arc<PrivateHostAllowance>,
}

impl PolicyResolver {
    pub(crate) fn new(allowance: PrivateHostAllowance) -> PolicyResolver {
        PolicyResolver { allowance: Arc::new(allowance) }
    }
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowance = Arc::clone(&self.allowance);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (kept, refused) = filter_addresses(&allowance, &host, resolved);
            match refused {
                Some(refused) if kept.is_empty() => Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// The addresses of `host` that may be reached, and the first one refused.
fn filter_addresses(
    allowance: &PrivateHostAllowance,
    host: &str,
    addresses: Vec<SocketAddr>,
) -> (Vec<SocketAddr>, Option<RefusedAddress>) {
    let mut refused = None;
    let kept = addresses
        .into_iter()
        .filter(|address| match allowance.check(host, address.ip()) {
            Ok(()) => true,
            Err(refusal) => {
                refused.get_or_insert(refusal);
                false
            }
        })
        .collect();
    (kept, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(address: &str) -> Option<&'static str> {
        special_purpose(address.parse().unwrap())
    }

    #[test]
    fn addresses_that_are_not_public_are_named_for_what_they_are() {
        let cases = [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("224.0.0.1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("255.255.255.255", "reserved"),
            ("240.0.0.1", "reserved"),
            ("100.100.100.200", "shared"),
            ("198.18.0.1", "benchmarking"),
            ("192.0.2.10", "documentation"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fe80::1", "link-local"),
            ("fd00::1", "private"),
            ("fec0::1", "private"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            ("::ffff:169.254.169.254", "link-local"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("2002:7f00:1::", "loopback"),
            ("::127.0.0.1", "reserved"),
            ("2001:db8::1", "documentation"),
        ];
        for (address, expected) in cases {
            assert_eq!(class(address), Some(expected), "{address}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for address in ["93.184.216.34", "8.8.8.8", "100.128.0.1", "2606:4700::6810:84e5", "::ffff:8.8.8.8"] {
            assert_eq!(class(address), None, "{address}");
        }
    }

    #[test]
    fn an_allowance_names_hosts_addresses_and_networks() {
        let allowance = PrivateHostAllowance::parse_list("127.0.0.0/8, Shop.LAN., 10.0.0.5,,fd00::/8", "test").unwrap();
        let check = |host: &str, address: &str| allowance.check(host, address.parse().unwrap()).is_ok();
        assert!(check("127.0.0.1", "127.0.0.1") && check("localhost", "127.0.0.2"));
        assert!(check("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"), "a mapped address is its IPv4 address");
        assert!(check("shop.lan", "192.168.1.9") && check("SHOP.lan.", "10.9.9.9"));
        assert!(check("files.example", "10.0.0.5") && !check("files.example", "10.0.0.6"));
        assert!(check("v6.lan", "fd12::1") && !check("v6.lan", "fe80::1"));
        assert!(check("public.example", "93.184.216.34"), "public addresses need no allowance");
        let refused = allowance.check("other.lan", "192.168.1.9".parse().unwrap()).unwrap_err();
        assert_eq!((refused.host.as_str(), refused.class), ("other.lan", "private"));
        let said = refused.to_string();
        assert!(said.contains("allow_private_hosts") && said.contains(ALLOW_PRIVATE_HOSTS_ENV), "{said}");
    }

    #[test]
    fn an_empty_allowance_refuses_every_private_address() {
        let none = PrivateHostAllowance::default();
        assert!(none.check("127.0.0.1", "127.0.0.1".parse().unwrap()).is_err());
        assert_eq!(PrivateHostAllowance::from_env(|_| None).unwrap(), none);
        assert_eq!(PrivateHostAllowance::from_env(|_| Some(" ".to_string())).unwrap(), none);
    }

    #[test]
    fn a_bad_entry_is_named_with_where_it_came_from() {
        let error = PrivateHostAllowance::from_env(|_| Some("127.0.0.0/8,http://shop.lan/".to_string())).unwrap_err();
        assert_eq!(error.origin, ALLOW_PRIVATE_HOSTS_ENV);
        assert!(error.to_string().contains("`http://shop.lan/` is not a host name"), "{error}");
        for bad in ["shop.lan:8080", "*.lan", "10.0.0.0/33", ".lan"] {
            assert!(bad.parse::<AllowedHost>().is_err(), "{bad}");
        }
    }

    #[test]
    fn entries_read_back_as_written() {
        for text in ["127.0.0.0/8", "10.0.0.5", "::1", "shop.lan"] {
            assert_eq!(String::from(text.parse::<AllowedHost>().unwrap()), text);
        }
    }

    #[test]
    fn resolved_addresses_are_filtered_and_the_first_refusal_kept() {
        let allowance = PrivateHostAllowance::parse_list("10.0.0.0/8", "test").unwrap();
        let addresses: Vec<SocketAddr> =
            ["192.168.0.1:0", "10.1.1.1:0", "93.184.216.34:0"].iter().map(|a| a.parse().unwrap()).collect();
        let (kept, refused) = filter_addresses(&allowance, "mixed.example", addresses);
        assert_eq!(kept, vec!["10.1.1.1:0".parse().unwrap(), "93.184.216.34:0".parse().unwrap()]);
        assert_eq!(refused.map(|r| r.address), Some("192.168.0.1".parse().unwrap()));
    }
}
