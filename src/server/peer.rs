//! Who is on the other end of a request: the client's address and whether it came over https,
//! from the TCP peer, or, when that peer is a trusted reverse proxy, from what the proxy says.

use crate::model::network::TrustedProxies;
use axum::http::HeaderMap;
use std::net::{IpAddr, Ipv6Addr};

/// The client of one request, as far as the server can trust it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub address: IpAddr,
    pub https: bool,
}

impl Peer {
    /// The peer of a request that reached the server from `tcp_peer` with `headers`.
    ///
    /// Forwarding headers are read only when `tcp_peer` is a trusted proxy: anyone else could
    /// write them to pass for another address. `X-Forwarded-For` is read from the right (each
    /// proxy appends the address it saw), and the first address that is not itself a trusted
    /// proxy is the client's.
    pub fn of(tcp_peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Peer {
        let tcp_peer = canonical(tcp_peer);
        if !trusted.allows(tcp_peer) {
            return Peer {
                address: tcp_peer,
                https: false,
            };
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|item| item.trim().parse::<IpAddr>().map(canonical))
            .collect::<Result<_, _>>()
            // A list that does not parse is not believed at all.
            .unwrap_or_default();
        let address = forwarded
            .iter()
            .rev()
            .find(|ip| !trusted.allows(**ip))
            .or(forwarded.first())
            .copied()
            .unwrap_or(tcp_peer);
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        Peer { address, https }
    }

    /// The peer of a request whose extensions carry the TCP peer (axum's `ConnectInfo`, which
    /// the server's listener adds to every request); `None` without it.
    pub fn of_request(
        extensions: &axum::http::Extensions,
        headers: &HeaderMap,
        trusted: &TrustedProxies,
    ) -> Option<Peer> {
        let axum::extract::ConnectInfo(tcp_peer) =
            extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?;
        Some(Peer::of(tcp_peer.ip(), headers, trusted))
    }

    /// The address sign-in attempts are counted under: an IPv4 address, or an IPv6 address's
    /// /64, since one subscriber usually holds a whole /64 and could otherwise take a fresh
    /// address for every guess.
    pub fn throttle_key(&self) -> String {
        match self.address {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        }
    }
}

/// An IPv4 address that arrived as `::ffff:a.b.c.d` is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let spoofed = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let peer = Peer::of(ip("203.0.113.9"), &spoofed, &TrustedProxies::default());
        assert_eq!(
            peer,
            Peer {
                address: ip("203.0.113.9"),
                https: false
            }
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_the_scheme() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client wrote its own X-Forwarded-For; the proxy appended what it saw.
        let forwarded = headers(&[
            ("x-forwarded-for", "1.2.3.4, 198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let peer = Peer::of(ip("10.1.1.1"), &forwarded, &trusted);
        assert_eq!(peer.address, ip("198.51.100.7"));
        assert!(peer.https);
        // Two proxies in a row: the inner one is skipped.
        let chained = headers(&[("x-forwarded-for", "198.51.100.7, 10.2.2.2")]);
        assert_eq!(
            Peer::of(ip("10.1.1.1"), &chained, &trusted).address,
            ip("198.51.100.7")
        );
        // Several header lines count as one list.
        let lines = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.8"),
        ]);
        assert_eq!(
            Peer::of(ip("10.1.1.1"), &lines, &trusted).address,
            ip("198.51.100.8")
        );
    }

    #[test]
    fn a_list_that_does_not_parse_leaves_the_proxy_as_the_peer() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let garbled = headers(&[("x-forwarded-for", "198.51.100.7, not-an-ip")]);
        let peer = Peer::of(ip("10.1.1.1"), &garbled, &trusted);
        assert_eq!(peer.address, ip("10.1.1.1"));
        assert!(!peer.https);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_slash_64() {
        let one = Peer {
            address: ip("2001:db8:1:2:aaaa::1"),
            https: false,
        };
        let other = Peer {
            address: ip("2001:db8:1:2:bbbb::9"),
            https: false,
        };
        assert_eq!(one.throttle_key(), "2001:db8:1:2::/64");
        assert_eq!(one.throttle_key(), other.throttle_key());
        let mapped = Peer::of(
            ip("::ffff:192.0.2.1"),
            &HeaderMap::new(),
            &TrustedProxies::default(),
        );
        assert_eq!(mapped.throttle_key(), "192.0.2.1");
    }
}
