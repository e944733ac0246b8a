//! Which IP addresses a webhook may reach. Pure rules, shared by URL validation and the delivery
//! SSRF guard so both refuse the same addresses.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public internet address, or `None` when it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() || a >= 240 {
        Some("reserved")
    } else if (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113)
    {
        Some("documentation")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("benchmarking")
    } else if (a, b, c) == (192, 0, 0) {
        Some("protocol assignment")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // Forms that carry an IPv4 address are judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4).or(Some("IPv4-mapped"));
    }
    if s[0..6] == [0, 0, 0, 0, 0, 0] {
        return Some("IPv4-compatible");
    }
    if s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        return Some("NAT64");
    }
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return v4_reason(v4).map(|_| "6to4");
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return Some("Teredo");
    }
    if s[0] == 0x2001 && s[1] == 0xdb8 {
        return Some("documentation");
    }
    if s[0] == 0x0100 && s[1..4] == [0, 0, 0] {
        return Some("discard-only");
    }
    match s[0] & 0xffc0 {
        0xfe80 => return Some("link-local"),
        0xfec0 => return Some("site-local"),
        _ => {}
    }
    if s[0] & 0xfe00 == 0xfc00 {
        return Some("private");
    }
    if s[0] & 0xff00 == 0xff00 {
        return Some("multicast");
    }
    None
}

/// A list of networks an operator configured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CidrList(pub Vec<IpNet>);

/// CIDRs an operator opened for local development and tests (`FW_ALLOW_PRIVATE_TARGETS`).
pub type PrivateTargetAllowList = CidrList;

/// The reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed
/// (`FW_TRUSTED_PROXIES`).
pub type TrustedProxies = CidrList;

impl CidrList {
    /// Parses a comma-separated list; a bare address means that single address.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{item}` is not a CIDR such as 127.0.0.1/32"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// `localhost` is allowed where the allow-list opens a loopback address.
    pub fn allows_localhost(&self) -> bool {
        self.allows(IpAddr::V4(Ipv4Addr::LOCALHOST)) || self.allows(IpAddr::V6(Ipv6Addr::LOCALHOST))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> Option<&'static str> {
        non_public_reason(text.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "2a00:1450:4007:80e::200e",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn internal_addresses_are_refused() {
        let cases = [
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("192.168.1.1", "private"),
            ("127.0.0.1", "loopback"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("224.0.0.1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("255.255.255.255", "reserved"),
            ("192.0.2.10", "documentation"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            ("64:ff9b::a00:1", "NAT64"),
            ("fe80::1", "link-local"),
            ("fd00::1", "private"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("2002:7f00:1::", "6to4"),
        ];
        for (ip, expected) in cases {
            assert_eq!(reason(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn allow_list_parses_cidrs_and_bare_addresses() {
        let list = PrivateTargetAllowList::parse("127.0.0.1/32, 10.0.0.0/8,::1").unwrap();
        assert!(list.allows("127.0.0.1".parse().unwrap()));
        assert!(list.allows("10.9.8.7".parse().unwrap()));
        assert!(list.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!list.allows("127.0.0.2".parse().unwrap()));
        assert!(list.allows_localhost());
        assert!(PrivateTargetAllowList::parse("not-a-net").is_err());
        assert!(PrivateTargetAllowList::parse("").unwrap().is_empty());
    }
}
