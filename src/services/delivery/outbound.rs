//! Where webhooks may send: never to link-local or cloud metadata addresses; to private and
//! loopback ones only when the operator allows it (`--webhook-allow-private`).

use std::net::{IpAddr, SocketAddr};

use crate::error::{Error, Result};

/// Host names of cloud metadata services.
const METADATA_HOSTS: [&str; 3] = ["metadata.google.internal", "metadata", "instance-data"];

/// Why an address is refused, or `None` when it may be used.
pub fn refusal(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_link_local() || o == [169, 254, 169, 254] || o == [100, 100, 100, 200] {
                Some("link-local and metadata addresses are never webhook targets")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() {
                Some("not a unicast address")
            } else if !allow_private
                && (v4.is_loopback() || v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])))
            {
                Some("private and loopback addresses need --webhook-allow-private")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if (s[0] & 0xffc0) == 0xfe80 || s == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] {
                Some("link-local and metadata addresses are never webhook targets")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("not a unicast address")
            } else if !allow_private && (v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00) {
                Some("private and loopback addresses need --webhook-allow-private")
            } else {
                None
            }
        }
    }
}

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
}
