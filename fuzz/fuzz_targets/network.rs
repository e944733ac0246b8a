//! CIDR lists (allow-listed private targets, trusted proxies) and the address checks the SSRF
//! guard makes: parsing never panics, and what a list allows is consistent with its text.
#![no_main]

use feedback_webhooks::model::network::{non_public_reason, PrivateTargetAllowList};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (address, text) = data.split_at(16);
    let v6 = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(address).unwrap()));
    let v4 = IpAddr::V4(Ipv4Addr::new(
        address[0], address[1], address[2], address[3],
    ));
    for ip in [v4, v6] {
        let _ = non_public_reason(ip);
    }
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    if let Ok(list) = PrivateTargetAllowList::parse(text) {
        for ip in [v4, v6] {
            let _ = list.allows(ip);
        }
        let _ = list.allows_localhost();
    }
    // The same text as a webhook URL.
    if let Ok(url) = url::Url::parse(text) {
        if let Some(host) = url.host_str() {
            if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                let _ = non_public_reason(ip);
            }
        }
    }
});
