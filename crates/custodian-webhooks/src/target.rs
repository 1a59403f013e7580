//! Where webhooks may go: https anywhere public; plain http only to explicitly allowed hosts; never
//! to loopback, private, link-local, shared or metadata addresses unless the operator allows them.

use std::net::{IpAddr, SocketAddr};
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
/// multicast, documentation or IPv6 unique-local.
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
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
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
