//! The SSRF guard: which addresses the fetcher may connect to.
//!
//! A user hands us a URL and the server fetches it from inside the network, so a
//! URL must never reach loopback, private, link-local or otherwise non-public
//! addresses (cloud metadata at 169.254.169.254, an admin port on localhost, the
//! database). Two checks enforce this, and both run on every redirect hop:
//!
//! - [`check_url`] before a request: scheme, IP-literal hosts (which reqwest
//!   connects to without asking any resolver) and `localhost` names;
//! - [`GuardedResolver`] at connect time: reqwest resolves every host name through
//!   it, and it refuses the name unless every address is allowed. Because reqwest
//!   connects to exactly the addresses this resolver returns, a DNS answer that
//!   changes between a check and the connection (rebinding) cannot slip through.
//!
//! What counts as a private address is decided by [`is_public_ip`], a plain
//! function tested on its own.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::FetchError;

/// Which destination addresses a fetch may connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddressPolicy {
    /// Only globally routable unicast addresses: the production setting.
    PublicOnly,
    /// Anything, for instances that deliberately read pages on their own network.
    Any,
    /// Public addresses plus one exact address, so a test can serve pages on
    /// loopback and still watch the guard refuse every other private target.
    #[cfg(test)]
    PublicAnd(IpAddr),
}

impl AddressPolicy {
    pub(crate) fn from_allow_private(allow_private: bool) -> Self {
        if allow_private {
            Self::Any
        } else {
            Self::PublicOnly
        }
    }

    /// Whether a connection to `ip` is allowed.
    pub(crate) fn permits(self, ip: IpAddr) -> bool {
        match self {
            Self::Any => true,
            Self::PublicOnly => is_public_ip(ip),
            #[cfg(test)]
            Self::PublicAnd(extra) => ip == extra || is_public_ip(ip),
        }
    }

    fn refuses_local_names(self) -> bool {
        !matches!(self, Self::Any)
    }
}

/// The error a refused destination produces, both from [`check_url`] and from
/// inside reqwest's connector (where [`blocked_in_chain`] finds it again).
#[derive(Debug, thiserror::Error)]
#[error("destination {host} is not a public address")]
pub(crate) struct BlockedAddress {
    pub(crate) host: String,
}

/// Checks a URL before any request is sent to it: the first URL and every
/// redirect target go through here.
pub(crate) fn check_url(url: &Url, policy: AddressPolicy) -> Result<(), FetchError> {
    // Only the web: file:, ftp:, gopher: and friends reach things a page must not.
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(FetchError::UnsupportedScheme(other.to_owned())),
    }

    let host = url
        .host()
        .ok_or_else(|| FetchError::InvalidUrl("the URL has no host".to_owned()))?;
    let blocked = |host: String| Err(FetchError::Blocked(host));
    match host {
        // Security: reqwest connects to IP literals directly, without the
        // resolver, so they are checked here. `url` has already normalised
        // decimal, octal and hex spellings (`http://2130706433/`) to dotted form.
        Host::Ipv4(ip) if !policy.permits(IpAddr::V4(ip)) => blocked(ip.to_string()),
        Host::Ipv6(ip) if !policy.permits(IpAddr::V6(ip)) => blocked(format!("[{ip}]")),
        Host::Ipv4(_) | Host::Ipv6(_) => Ok(()),
        // Security: `localhost` and its subdomains are loopback by definition
        // (RFC 6761 §6.3); refusing them by name spares a lookup and does not
        // depend on the resolver's configuration.
        Host::Domain(name) if policy.refuses_local_names() && is_localhost_name(name) => {
            blocked(name.to_owned())
        }
        Host::Domain(_) => Ok(()),
    }
}

fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// A reqwest resolver that refuses names resolving to a forbidden address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GuardedResolver {
    pub(crate) policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();

            // Security: the whole name is refused if any address is forbidden,
            // rather than filtering: a public name has no business pointing at
            // private space, and connecting only to the "good" half of a mixed
            // answer would still let an attacker probe which half answers.
            // reqwest connects only to what this returns, which is what pins
            // the connection to the checked addresses.
            if let Some(bad) = addrs.iter().find(|addr| !policy.permits(addr.ip())) {
                tracing::debug!(%host, ip = %bad.ip(), "fetch refused: name resolves to a non-public address");
                return Err(Box::new(BlockedAddress { host }) as Box<dyn StdError + Send + Sync>);
            }
            if addrs.is_empty() {
                return Err(format!("no addresses found for {host}").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Finds a [`BlockedAddress`] raised by the resolver inside a reqwest error.
pub(crate) fn blocked_in_chain(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(blocked) = err.downcast_ref::<BlockedAddress>() {
            return Some(blocked.host.clone());
        }
        current = err.source();
    }
    None
}

/// Whether `ip` is a globally routable unicast address a fetch may reach.
///
/// Refused: unspecified, loopback, RFC 1918 private, CGNAT 100.64/10, link-local,
/// unique-local fc00::/7, multicast, broadcast, documentation, benchmarking and
/// reserved ranges, and IPv6 forms that embed one of those IPv4 addresses
/// (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16).
pub(crate) fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", includes 0.0.0.0
        || a == 10 // RFC 1918
        || (a == 100 && (64..=127).contains(&b)) // CGNAT, RFC 6598
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..=31).contains(&b)) // RFC 1918
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // RFC 1918
        || (a == 198 && (18..=19).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast, reserved 240/4, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();

    // Forms that carry an IPv4 address are judged by that address: the kernel
    // (IPv4-mapped) or a translator (NAT64, 6to4) would deliver them there.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if segments[..6] == [0, 0, 0, 0, 0, 0] {
        // ::/96 holds ::, ::1 and the deprecated IPv4-compatible addresses;
        // none of them is a public destination.
        return false;
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }

    let first = segments[0];
    let refused = (first & 0xfe00) == 0xfc00 // unique-local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
        || (first & 0xff00) == 0xff00 // multicast
        || (first == 0x0064 && segments[1] == 0xff9b) // local-use NAT64 64:ff9b:1::/48
        || (first == 0x0100 && segments[1..4] == [0, 0, 0]) // discard-only 100::/64
        || (first == 0x2001 && segments[1] == 0) // Teredo: a tunnel to anywhere
        || (first == 0x2001 && segments[1] == 0x0db8); // documentation
    !refused
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public_ip(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_ipv4_ranges_are_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn public_ipv4_addresses_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "169.255.0.1",
            "192.169.0.1",
            "223.255.255.254",
        ] {
            assert!(public(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn private_and_special_ipv6_ranges_are_refused() {
        for ip in [
            "::",
            "::1",
            "::127.0.0.1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "64:ff9b:1::1",
        ] {
            assert!(!public(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn ipv6_forms_embedding_private_ipv4_are_refused() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::ffff:192.168.0.1",
            "::ffff:100.64.0.1",
            "::ffff:255.255.255.255",
            "64:ff9b::a00:1",    // NAT64 of 10.0.0.1
            "64:ff9b::7f00:1",   // NAT64 of 127.0.0.1
            "2002:7f00:1::1",    // 6to4 of 127.0.0.1
            "2002:a9fe:a9fe::1", // 6to4 of 169.254.169.254
        ] {
            assert!(!public(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn public_ipv6_addresses_are_allowed() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:82a::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(ip), "{ip} should be allowed");
        }
    }

    fn check(url: &str, policy: AddressPolicy) -> Result<(), FetchError> {
        check_url(&Url::parse(url).unwrap(), policy)
    }

    #[test]
    fn url_check_refuses_private_literals_and_localhost_names() {
        for url in [
            "http://127.0.0.1/",
            "http://127.0.0.1:8080/admin",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost:3000/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/entry4",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://017700000001/",
            "http://127.1/",
            "http://127.0.0.1./",
            "http://0/",
            "http://[0:0:0:0:0:ffff:7f00:1]/",
            "https://192.168.0.1/",
        ] {
            assert!(
                matches!(
                    check(url, AddressPolicy::PublicOnly),
                    Err(FetchError::Blocked(_))
                ),
                "{url} should be blocked"
            );
        }
    }

    #[test]
    fn url_check_allows_public_hosts_and_everything_when_private_is_allowed() {
        assert!(check("https://example.org/post?id=1", AddressPolicy::PublicOnly).is_ok());
        assert!(check("http://93.184.216.34/", AddressPolicy::PublicOnly).is_ok());
        assert!(check("http://[2606:4700::1]/", AddressPolicy::PublicOnly).is_ok());
        assert!(check("http://127.0.0.1/", AddressPolicy::Any).is_ok());
        assert!(check("http://localhost/", AddressPolicy::Any).is_ok());
        assert!(check("http://10.0.0.1/", AddressPolicy::Any).is_ok());
    }

    #[test]
    fn url_check_refuses_other_schemes_even_when_private_is_allowed() {
        for url in [
            "file:///etc/passwd",
            "ftp://example.org/",
            "gopher://example.org/",
        ] {
            assert!(
                matches!(
                    check(url, AddressPolicy::Any),
                    Err(FetchError::UnsupportedScheme(_))
                ),
                "{url} should be refused"
            );
        }
        assert!(matches!(
            check("data:text/html,hi", AddressPolicy::Any),
            Err(FetchError::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn test_policy_admits_only_its_one_extra_address() {
        let policy = AddressPolicy::PublicAnd(IpAddr::from([127, 0, 0, 1]));
        assert!(check("http://127.0.0.1:1234/", policy).is_ok());
        assert!(check("http://127.0.0.2/", policy).is_err());
        assert!(check("http://localhost/", policy).is_err());
        assert!(check("http://10.0.0.1/", policy).is_err());
    }

    #[tokio::test]
    async fn resolver_refuses_a_name_that_resolves_to_loopback() {
        let resolver = GuardedResolver {
            policy: AddressPolicy::PublicOnly,
        };
        let err = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost must not resolve under the public-only policy"),
            Err(err) => err,
        };
        assert_eq!(blocked_in_chain(&*err).as_deref(), Some("localhost"));
    }

    #[tokio::test]
    async fn resolver_returns_loopback_when_private_is_allowed() {
        let resolver = GuardedResolver {
            policy: AddressPolicy::Any,
        };
        let addrs: Vec<SocketAddr> = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => addrs.collect(),
            Err(err) => panic!("localhost should resolve: {err}"),
        };
        assert!(addrs.iter().all(|addr| addr.ip().is_loopback()));
        assert!(!addrs.is_empty());
    }
}
