//! The client's address behind trusted reverse proxies: what the admin's login budget counts per client.
//!
//! Behind a reverse proxy every connection comes from the proxy, so counting failed logins by TCP peer made one
//! budget for everybody: one guesser locked the operator out. A proxy says whom it forwards in `X-Forwarded-For`,
//! appending the address it saw to the list it received; but any client can send that header too, so it is read
//! only when the peer is a proxy the operator trusts (`[web] trusted_proxies`), and only from the right: the client
//! is the rightmost address that is not itself a trusted proxy (anything left of it was written by the client and
//! proves nothing).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A proxy (or a network of them) whose `X-Forwarded-For` is believed: `10.0.0.5`, `10.0.0.0/8`, `::1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrustedProxy(IpNet);

impl TrustedProxy {
    /// Whether `address` is this proxy, or in this network.
    pub fn holds(&self, address: IpAddr) -> bool {
        self.0.contains(&address)
    }
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        text.parse::<IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
            .map(TrustedProxy)
            .map_err(|_| format!("`{text}` is not an IP address or network (such as 10.0.0.5, 10.0.0.0/8 or ::1)"))
    }
}

impl TryFrom<String> for TrustedProxy {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

/// As written: a single address without its prefix length.
impl From<TrustedProxy> for String {
    fn from(TrustedProxy(network): TrustedProxy) -> String {
        if network.prefix_len() == network.max_prefix_len() { network.addr().to_string() } else { network.to_string() }
    }
}

/// The client of a request from `peer` carrying the `X-Forwarded-For` headers `forwarded_for` (in the order
/// received), given the `trusted` proxies: the peer itself unless it is trusted; else, walking the forwarded
/// addresses from the right, the first one that is not a trusted proxy (or the last trusted one, when the list
/// ends or holds something that is not an address).
pub fn client_address<'h>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'h str>,
    trusted: &[TrustedProxy],
) -> IpAddr {
    let is_trusted = |address: IpAddr| trusted.iter().any(|proxy| proxy.holds(address));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|header| header.split(',')).collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        let Some(address) = hop_address(hop.trim()) else {
            return client;
        };
        client = address;
        if !is_trusted(address) {
            return address;
        }
    }
    client
}

/// An address as proxies write it: `203.0.113.7`, `2001:db8::1`, with a port (`203.0.113.7:4711`,
/// `[2001:db8::1]:4711`) or in brackets.
fn hop_address(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn proxies(list: &[&str]) -> Vec<TrustedProxy> {
        list.iter().map(|text| text.parse().expect("a proxy")).collect()
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_claims() {
        let trusted = proxies(&["127.0.0.1"]);
        assert_eq!(client_address(ip("198.51.100.9"), ["203.0.113.7"].into_iter(), &trusted), ip("198.51.100.9"));
        assert_eq!(client_address(ip("127.0.0.1"), ["203.0.113.7"].into_iter(), &[]), ip("127.0.0.1"), "none trusted");
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_address() {
        let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        let client = |headers: &[&str]| client_address(ip("127.0.0.1"), headers.iter().copied(), &trusted);
        assert_eq!(client(&["203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(client(&["6.6.6.6, 203.0.113.7, 10.1.2.3"]), ip("203.0.113.7"), "a forged left part is ignored");
        assert_eq!(client(&["6.6.6.6", "203.0.113.7, 10.1.2.3"]), ip("203.0.113.7"), "several headers are one list");
        assert_eq!(client(&["10.1.2.3"]), ip("10.1.2.3"), "only proxies: the leftmost one");
        assert_eq!(client(&[]), ip("127.0.0.1"), "no header: the proxy itself");
        assert_eq!(client(&["203.0.113.7:4711"]), ip("203.0.113.7"), "with a port");
        assert_eq!(client(&["[2001:db8::1]:4711"]), ip("2001:db8::1"));
        assert_eq!(client(&["[2001:db8::1]"]), ip("2001:db8::1"));
        assert_eq!(client(&["203.0.113.7, unknown, 10.1.2.3"]), ip("10.1.2.3"), "stops at what is not an address");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert!(proxies(&["::1"])[0].holds(ip("::1")));
        assert!(proxies(&["10.0.0.0/8"])[0].holds(ip("10.200.0.1")));
        assert!(!proxies(&["10.0.0.0/8"])[0].holds(ip("11.0.0.1")));
        let error = "example.org".parse::<TrustedProxy>().expect_err("not an address");
        assert!(error.contains("`example.org` is not an IP address"), "{error}");
    }
}
