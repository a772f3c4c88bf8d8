//! The client's address behind reverse proxies. `X-Forwarded-For` is a list each proxy appends
//! the address it saw to; everything left of the last trusted proxy's entry is whatever the
//! client chose to send. So the address is read from the right: the entry the nearest trusted
//! proxy added, skipping entries that are themselves trusted proxies.

use std::net::IpAddr;

use ipnet::IpNet;

/// Which proxies may tell Quiver the client's address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyTrust {
    /// Nobody: the socket's peer is the client (X-Forwarded-For is ignored).
    #[default]
    None,
    /// Exactly one proxy sits in front, whatever its address: the rightmost entry is the client.
    OneHop,
    /// Proxies with these addresses: when the peer is one of them, the rightmost entry that is
    /// not is the client.
    Networks(Vec<IpNet>),
}

impl ProxyTrust {
    /// Parses `--trusted-proxies` (comma-separated addresses or CIDR blocks).
    pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{s}' is not an address or CIDR block"))
            })
            .collect()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        match self {
            ProxyTrust::None => false,
            ProxyTrust::OneHop => true,
            ProxyTrust::Networks(nets) => {
                let ip = canonical(ip);
                nets.iter().any(|n| n.contains(&ip))
            }
        }
    }

    /// The client's address, given the socket's peer and the `X-Forwarded-For` header(s).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        // Several header lines are one list, in order.
        let entries: Vec<&str> = forwarded_for.iter().flat_map(|h| h.split(',')).map(str::trim).collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(ip) = parse_entry(entry) else { break };
            client = ip;
            if matches!(self, ProxyTrust::OneHop) || !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An entry as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sock) = entry.parse::<std::net::SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    None
}

/// IPv4-mapped IPv6 addresses (a dual-stack socket's view of IPv4 clients) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trust_the_peer_is_the_client() {
        assert_eq!(ProxyTrust::None.client(ip("10.0.0.5"), &["1.2.3.4"]), ip("10.0.0.5"));
    }

    #[test]
    fn one_hop_takes_what_the_proxy_saw_not_what_the_client_wrote() {
        // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
        assert_eq!(ProxyTrust::OneHop.client(ip("10.0.0.5"), &["6.6.6.6, 203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(ProxyTrust::OneHop.client(ip("10.0.0.5"), &["6.6.6.6", "203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(ProxyTrust::OneHop.client(ip("10.0.0.5"), &[]), ip("10.0.0.5"));
        assert_eq!(ProxyTrust::OneHop.client(ip("10.0.0.5"), &["garbage"]), ip("10.0.0.5"));
    }

    #[test]
    fn trusted_networks_are_skipped_from_the_right() {
        let trust = ProxyTrust::Networks(ProxyTrust::parse_networks("10.0.0.0/8, 192.168.1.1").unwrap());
        let chain = ["6.6.6.6, 203.0.113.7, 10.1.1.1"];
        assert_eq!(trust.client(ip("192.168.1.1"), &chain), ip("203.0.113.7"));
        // A peer that is not a trusted proxy is the client, whatever it claims.
        assert_eq!(trust.client(ip("198.51.100.1"), &chain), ip("198.51.100.1"));
        assert_eq!(trust.client(ip("::ffff:10.0.0.2"), &["[2001:db8::7]:443"]), ip("2001:db8::7"));
        // Only trusted proxies in the chain: the leftmost is as far as anyone vouches.
        assert_eq!(trust.client(ip("10.0.0.2"), &["10.9.9.9, 10.1.1.1"]), ip("10.9.9.9"));
        assert!(ProxyTrust::parse_networks("10.0.0.0/8,nope").is_err());
    }
}
