//! Where webhooks may send: only globally routable unicast addresses. Never link-local, cloud
//! metadata, reserved, documentation, benchmarking or transition (NAT64 to a non-global IPv4,
//! 6to4, Teredo) addresses; private and loopback ones only when the operator allows it
//! (`--webhook-allow-private`). The ranges follow the IANA IPv4 and IPv6 Special-Purpose
//! Address Registries (no crate keeps that list with the embedded-address rules; see the tables).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{Error, Result};

use ipnet::{Ipv4Net, Ipv6Net};

const METADATA: &str = "link-local and metadata addresses are never webhook targets";
const NOT_UNICAST: &str = "not a unicast address";
const SPECIAL: &str =
    "special-purpose addresses (reserved, documentation, benchmarking, transition) are never webhook targets";
const NAT64_PRIVATE: &str = "NAT64 addresses must embed a public IPv4 address";
const PRIVATE: &str = "private and loopback addresses need --webhook-allow-private";

/// What a matching range means: refused always, or only without `--webhook-allow-private`.
#[derive(Debug, Clone, Copy)]
enum Rule {
    Never(&'static str),
    Private,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}
const fn v6(s: [u16; 8], len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]), len)
}

/// IPv4 ranges that aren't globally routable (IANA IPv4 Special-Purpose Address Registry, plus
/// multicast and reserved space); the first match wins, so exact entries come before their blocks.
const V4_RULES: &[(Ipv4Net, Rule)] = &[
    (v4(169, 254, 0, 0, 16), Rule::Never(METADATA)), // link-local: cloud metadata (RFC 3927)
    (v4(100, 100, 100, 200, 32), Rule::Never(METADATA)), // Alibaba Cloud metadata, inside 100.64/10
    (v4(0, 0, 0, 0, 8), Rule::Never(NOT_UNICAST)),   // "this network" (RFC 791)
    (v4(224, 0, 0, 0, 4), Rule::Never(NOT_UNICAST)), // multicast (RFC 5771)
    (v4(255, 255, 255, 255, 32), Rule::Never(NOT_UNICAST)), // limited broadcast
    (v4(240, 0, 0, 0, 4), Rule::Never(SPECIAL)),     // reserved (RFC 1112)
    (v4(192, 0, 0, 0, 24), Rule::Never(SPECIAL)),    // IETF protocol assignments (RFC 6890)
    (v4(192, 0, 2, 0, 24), Rule::Never(SPECIAL)),    // TEST-NET-1 (RFC 5737)
    (v4(198, 51, 100, 0, 24), Rule::Never(SPECIAL)), // TEST-NET-2
    (v4(203, 0, 113, 0, 24), Rule::Never(SPECIAL)),  // TEST-NET-3
    (v4(192, 88, 99, 0, 24), Rule::Never(SPECIAL)),  // 6to4 relay anycast (RFC 7526)
    (v4(198, 18, 0, 0, 15), Rule::Never(SPECIAL)),   // benchmarking (RFC 2544)
    (v4(127, 0, 0, 0, 8), Rule::Private),            // loopback
    (v4(10, 0, 0, 0, 8), Rule::Private),             // RFC 1918
    (v4(172, 16, 0, 0, 12), Rule::Private),          // RFC 1918
    (v4(192, 168, 0, 0, 16), Rule::Private),         // RFC 1918
    (v4(100, 64, 0, 0, 10), Rule::Private),          // shared address space / CGNAT (RFC 6598)
];

/// 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052): a translator forwards to the last 32 bits.
const NAT64_WKP: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);

/// IPv6 ranges that aren't globally routable (IANA IPv6 Special-Purpose Address Registry, plus
/// multicast and deprecated site-local); the first match wins.
const V6_RULES: &[(Ipv6Net, Rule)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), Rule::Never(NOT_UNICAST)), // unspecified
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), Rule::Private),            // loopback
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), Rule::Never(METADATA)), // link-local
    (v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128), Rule::Never(METADATA)), // AWS IMDS over IPv6, inside fc00::/7
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), Rule::Private),         // unique local (RFC 4193)
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), Rule::Never(NOT_UNICAST)), // multicast
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), Rule::Never(SPECIAL)), // site-local (deprecated, RFC 3879)
    (v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), Rule::Never(SPECIAL)), // local-use NAT64 (RFC 8215); embedding varies
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), Rule::Never(SPECIAL)),  // discard-only (RFC 6666)
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), Rule::Never(SPECIAL)), // IETF protocol assignments: Teredo 2001::/32, ORCHIDv2, …
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), Rule::Never(SPECIAL)), // documentation (RFC 3849)
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), Rule::Never(SPECIAL)), // 6to4 (RFC 3056; relays deprecated, RFC 7526)
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), Rule::Never(SPECIAL)), // documentation (RFC 9637)
];

/// 2000::/3, the global unicast space; anything else that no rule names (IPv4-compatible ::/96,
/// 5f00::/16 SRv6, 100:0:0:1::/64, unassigned space) is refused.
const V6_GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

fn apply(rule: Rule, allow_private: bool) -> Option<&'static str> {
    match rule {
        Rule::Never(why) => Some(why),
        Rule::Private if allow_private => None,
        Rule::Private => Some(PRIVATE),
    }
}

fn refusal_v4(ip: Ipv4Addr, allow_private: bool) -> Option<&'static str> {
    V4_RULES.iter().find(|(net, _)| net.contains(&ip)).and_then(|&(_, rule)| apply(rule, allow_private))
}

fn refusal_v6(ip: Ipv6Addr, allow_private: bool) -> Option<&'static str> {
    // ::ffff:0:0/96: the socket connects to the embedded IPv4 address itself.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4, allow_private);
    }
    // NAT64: RFC 6052 says the well-known prefix never carries a non-global IPv4 address, so any
    // refusal of the embedded address is final (even with the switch).
    if NAT64_WKP.contains(&ip) {
        let o = ip.octets();
        return refusal_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]), false)
            .map(|why| if why == PRIVATE { NAT64_PRIVATE } else { why });
    }
    if let Some(&(_, rule)) = V6_RULES.iter().find(|(net, _)| net.contains(&ip)) {
        return apply(rule, allow_private);
    }
    if !V6_GLOBAL_UNICAST.contains(&ip) {
        return Some(SPECIAL);
    }
    None
}

/// Why an address is refused, or `None` when it may be used.
pub fn refusal(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4, allow_private),
        IpAddr::V6(v6) => refusal_v6(v6, allow_private),
    }
}

/// Host names of cloud metadata services.
const METADATA_HOSTS: [&str; 3] = ["metadata.google.internal", "metadata", "instance-data"];

/// Checks a webhook URL as typed: http(s), a host, and no refused literal address or name.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url> {
    let bad = |m: &str| Error::invalid("url", m.to_string());
    let url = url::Url::parse(raw.trim()).map_err(|e| bad(&format!("Not a URL: {e}.")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("Webhook URLs start with https:// (or http://)."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("Put no credentials in the URL; receivers check the signature instead."));
    }
    let refused = |why: &str| bad(&format!("This address is refused: {why}."));
    match url.host() {
        None => return Err(bad("The URL has no host.")),
        Some(url::Host::Ipv4(ip)) => {
            if let Some(why) = refusal(IpAddr::V4(ip), allow_private) {
                return Err(refused(why));
            }
        }
        Some(url::Host::Ipv6(ip)) => {
            if let Some(why) = refusal(IpAddr::V6(ip), allow_private) {
                return Err(refused(why));
            }
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if METADATA_HOSTS.contains(&d.as_str()) {
                return Err(refused("link-local and metadata addresses are never webhook targets"));
            }
            if !allow_private && (d == "localhost" || d.ends_with(".localhost")) {
                return Err(refused("private and loopback addresses need --webhook-allow-private"));
            }
        }
    }
    Ok(url)
}

/// Resolves webhook hosts and refuses addresses the outbound policy forbids, so a name that
/// resolves to a metadata or (without the switch) private address is never connected to.
#[derive(Debug, Clone)]
pub(crate) struct PolicyResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                addrs.iter().copied().filter(|a| refusal(a.ip(), allow_private).is_none()).collect();
            if allowed.is_empty() {
                let why =
                    addrs.first().and_then(|a| refusal(a.ip(), allow_private)).unwrap_or("the name does not resolve");
                return Err(format!("refused by the outbound policy: {host}: {why}").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/",
            "http://metadata.google.internal/",
            "http://[::ffff:169.254.169.254]/",
            "http://[fd00:ec2::254]/",
        ] {
            assert!(check_url(url, true).is_err(), "{url}");
        }
    }

    #[test]
    fn private_targets_need_the_switch() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/",
            "http://localhost/",
            "http://[::1]/",
            "http://192.168.1.5/",
        ] {
            assert!(check_url(url, false).is_err(), "{url}");
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        assert!(check_url("https://ci.example.com/hooks/quiver", false).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("https://user:pw@example.com/", true).is_err());
    }

    #[test]
    fn every_special_purpose_range_is_refused() {
        for s in [
            "0.1.2.3",
            "169.254.169.254",
            "100.100.100.200",
            "192.0.0.192",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.1.1.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "ff02::1",
            "ff0e::1",
            "fec0::1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a9fe:a9fe",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:a9fe:a9fe::1",
            "3fff::1",
            "5f00::1",
            "::7f00:1",
            "::a9fe:a9fe",
            "4000::1",
        ] {
            assert!(refusal(s.parse().unwrap(), true).is_some(), "{s} must be refused even with the switch");
        }
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.5",
            "100.64.0.1",
            "100.127.255.255",
            "::1",
            "fd12:3456::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(refusal(s.parse().unwrap(), false).is_some(), "{s} is private");
            assert!(refusal(s.parse().unwrap(), true).is_none(), "{s} is allowed with the switch");
        }
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.0.3.1",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "::ffff:8.8.8.8",
        ] {
            assert!(refusal(s.parse().unwrap(), false).is_none(), "{s} is global");
        }
    }
}
