//! Where webhooks may go: https anywhere public; plain http only to explicitly allowed hosts; never
//! to loopback, private, link-local, shared or metadata addresses unless the operator allows them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::Url;

/// The operator's rules for webhook targets.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    /// Hosts that may be called over plain http (e.g. an internal relay).
    pub allow_http_hosts: Vec<String>,
    /// Allow targets that resolve to loopback, private or link-local addresses (tests, on-premises).
    pub allow_private_addresses: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("webhook URLs must use https (plain http only to hosts the operator allowed)")]
    NotHttps,
    #[error("the host {0} resolves to a loopback, private, link-local or metadata address, which is not allowed")]
    ForbiddenAddress(String),
    #[error("the host {0} could not be resolved")]
    Unresolvable(String),
}

/// Whether an address is internal: loopback, private, link-local (metadata), shared, unspecified,
/// multicast, documentation, IPv6 unique-local or site-local, local-use NAT64, or an IPv6 address
/// that embeds an internal IPv4 address (mapped, compatible, NAT64, 6to4, Teredo).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..=127).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                // site-local (deprecated, still routed inside some networks)
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                // local-use NAT64 (RFC 8215): translates into the operator's own IPv4 network
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001)
                || embedded_ipv4(v6).into_iter().flatten().any(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// The IPv4 addresses an IPv6 address stands for, where it embeds any: IPv4-mapped and
/// IPv4-compatible (`::ffff:a.b.c.d`, `::a.b.c.d`), NAT64 well-known prefix (`64:ff9b::a.b.c.d`),
/// 6to4 (`2002:AABB:CCDD::`) and Teredo (`2001:0:SSSS:SSSS:…:CCCC:CCCC`: the server and the
/// client, whose address is stored inverted).
fn embedded_ipv4(v6: Ipv6Addr) -> [Option<Ipv4Addr>; 2] {
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = v6.to_ipv4() {
        // ::a.b.c.d and ::ffff:a.b.c.d (`::` and `::1` are handled as IPv6 already)
        return [Some(v4), None];
    }
    match (s[0], s[1]) {
        (0x0064, 0xff9b) if s[2..6] == [0, 0, 0, 0] => [Some(v4(s[6], s[7])), None],
        (0x2002, _) => [Some(v4(s[1], s[2])), None],
        (0x2001, 0x0000) => [Some(v4(s[2], s[3])), Some(v4(!s[6], !s[7]))],
        _ => [None, None],
    }
}

impl TargetPolicy {
    /// Checks the URL's form (scheme, host) without resolving it.
    pub fn check_url(&self, raw: &str) -> Result<Url, TargetError> {
        let url = Url::parse(raw).map_err(|e| TargetError::InvalidUrl(e.to_string()))?;
        let host = url.host_str().ok_or_else(|| TargetError::InvalidUrl("no host".into()))?.to_owned();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError::InvalidUrl("credentials in the URL are not allowed".into()));
        }
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>()
            && !self.allow_private_addresses
            && is_internal(ip)
        {
            return Err(TargetError::ForbiddenAddress(host));
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) => {}
            _ => return Err(TargetError::NotHttps),
        }
        Ok(url)
    }

    /// Resolves a host and checks every address. The HTTP client resolves through this (see
    /// [`GuardedResolver`]), so the connection goes to what was checked: no DNS rebinding between
    /// check and connect.
    pub async fn resolve_host(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, TargetError> {
        let host = host.to_owned();
        let addrs: Vec<SocketAddr> =
            tokio::net::lookup_host((host.as_str(), port)).await.map_err(|_| TargetError::Unresolvable(host.clone()))?.collect();
        if addrs.is_empty() {
            return Err(TargetError::Unresolvable(host));
        }
        if !self.allow_private_addresses && addrs.iter().any(|a| is_internal(a.ip())) {
            return Err(TargetError::ForbiddenAddress(host));
        }
        Ok(addrs)
    }
}

/// A DNS resolver for reqwest that refuses internal addresses unless the policy allows them.
#[derive(Debug, Clone)]
pub struct GuardedResolver(pub std::sync::Arc<TargetPolicy>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addrs = policy
                .resolve_host(name.as_str(), 0)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_are_internal_exactly_when_the_ipv4_address_they_embed_is() {
        for ip in [
            // IPv4-compatible and IPv4-mapped loopback
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::10.0.0.1",
            // NAT64 well-known prefix: loopback, metadata, private
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::c0a8:101",
            // local-use NAT64 prefix, whatever it embeds
            "64:ff9b:1::7f00:1",
            "64:ff9b:1:ffff::808:808",
            // 6to4 of loopback, metadata, private
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2002:c0a8:101::",
            // Teredo with client 127.0.0.1 and 10.0.0.1 (stored inverted), and with a private server
            "2001:0:4136:e378::80ff:fffe",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
            "2001:0:a00:1::f7f7:f7f7",
            // site-local
            "fec0::1",
            "feff::1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        // The same forms around a public address, and plain public IPv6, stay allowed.
        for ip in [
            "2606:4700::1111",
            "2a00:1450:4001:80b::200e",
            // 8.8.8.8 through NAT64, 6to4 and Teredo (server 65.54.227.120, client 8.8.8.8)
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:0:4136:e378::f7f7:f7f7",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_naming_ipv6_forms_of_internal_ipv4_addresses_are_refused() {
        let strict = TargetPolicy::default();
        for url in [
            "https://[::127.0.0.1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[64:ff9b::7f00:1]/",
            "https://[64:ff9b:1::a9fe:a9fe]/",
            "https://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
            "https://[2002:7f00:1::]/",
            "https://[2001:0:4136:e378::80ff:fffe]/",
            "https://[fec0::1]/",
        ] {
            assert!(matches!(strict.check_url(url), Err(TargetError::ForbiddenAddress(_))), "{url}");
        }
        assert!(strict.check_url("https://[2606:4700::1111]/").is_ok());
        assert!(strict.check_url("https://[64:ff9b::808:808]/").is_ok());
    }

    #[test]
    fn only_https_or_allowed_http_hosts_pass() {
        let p = TargetPolicy { allow_http_hosts: vec!["relay.internal".into()], allow_private_addresses: false };
        assert!(p.check_url("https://hooks.example.com/x").is_ok());
        assert!(p.check_url("http://relay.internal/x").is_ok());
        assert_eq!(p.check_url("http://hooks.example.com/x"), Err(TargetError::NotHttps));
        assert_eq!(p.check_url("ftp://hooks.example.com/x"), Err(TargetError::NotHttps));
        assert!(p.check_url("https://user:pw@hooks.example.com/").is_err());
        assert!(p.check_url("not a url").is_err());
    }

    #[tokio::test]
    async fn loopback_targets_are_refused_unless_allowed() {
        let strict = TargetPolicy::default();
        assert_eq!(strict.check_url("https://127.0.0.1:9/"), Err(TargetError::ForbiddenAddress("127.0.0.1".into())));
        assert_eq!(strict.check_url("https://[::1]:9/"), Err(TargetError::ForbiddenAddress("[::1]".into())));
        assert_eq!(strict.resolve_host("localhost", 9).await, Err(TargetError::ForbiddenAddress("localhost".into())));
        let lax = TargetPolicy { allow_private_addresses: true, ..Default::default() };
        assert!(lax.check_url("https://127.0.0.1:9/").is_ok());
        assert_eq!(lax.resolve_host("localhost", 9).await.unwrap()[0].port(), 9);
    }
}
