//! Which proxy a registry request goes through, by the environment's
//! rules as Go's HTTP clients (and so other container tools) read them:
//! `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones (either
//! spelling, upper case first), never for localhost or a loopback
//! address, and not for a host `NO_PROXY` names.

use std::net::IpAddr;

use ureq::Proxy;

use crate::error::{Error, Result};

/// The proxies of the environment, read once. A proxy URL that is none
/// is an error where it would be used (as in Go), not before.
#[derive(Debug, Default)]
pub struct Proxies {
    https: Option<std::result::Result<Proxy, String>>,
    http: Option<std::result::Result<Proxy, String>>,
    no_proxy: Vec<NoProxy>,
}

fn env_any(names: [&str; 2]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

fn parse(var: &str, url: &str) -> std::result::Result<Proxy, String> {
    Proxy::new(url).map_err(|e| format!("{var}={:?}: not a proxy URL: {e}", redacted(url)))
}

/// A proxy URL fit to print: what comes before an `@` after the scheme
/// (a user and a password) left out.
fn redacted(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    match rest.rfind('@') {
        Some(i) => format!("{scheme}…{}", &rest[i..]),
        None => url.to_string(),
    }
}

impl Proxies {
    pub fn from_env() -> Proxies {
        let https = env_any(["HTTPS_PROXY", "https_proxy"]).map(|u| parse("HTTPS_PROXY", &u));
        let http = env_any(["HTTP_PROXY", "http_proxy"]).map(|u| parse("HTTP_PROXY", &u));
        let no_proxy = env_any(["NO_PROXY", "no_proxy"])
            .map(|v| v.split(',').filter_map(NoProxy::parse).collect())
            .unwrap_or_default();
        Proxies {
            https,
            http,
            no_proxy,
        }
    }

    /// The proxy for a request to `url`, if any.
    pub fn for_url(&self, url: &str) -> Result<Option<&Proxy>> {
        let Some((scheme, host, port)) = host_port(url) else {
            return Ok(None);
        };
        let proxy = match scheme {
            "https" => &self.https,
            "http" => &self.http,
            _ => &None,
        };
        let Some(proxy) = proxy else {
            return Ok(None);
        };
        if !self.uses_proxy(&host.to_ascii_lowercase(), port) {
            return Ok(None);
        }
        proxy.as_ref().map(Some).map_err(|e| Error::new(e.clone()))
    }

    fn uses_proxy(&self, host: &str, port: u16) -> bool {
        if host == "localhost" {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok();
        if ip.is_some_and(|ip| ip.is_loopback()) {
            return false;
        }
        !self.no_proxy.iter().any(|n| n.matches(host, ip, port))
    }
}

/// A URL's scheme, host (an IPv6 address without its brackets) and port
/// (the scheme's when none is written).
pub fn host_port(url: &str) -> Option<(&str, &str, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = split_host_port(authority, if scheme == "http" { 80 } else { 443 });
    Some((scheme, host, port))
}

/// `host:port`, `[v6]:port` or a bare host (with the scheme's port).
fn split_host_port(authority: &str, default: u16) -> (&str, u16) {
    if let Some(rest) = authority.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (h, port.unwrap_or(default));
        }
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p.parse().unwrap_or(default)),
        _ => (authority, default),
    }
}

/// One `NO_PROXY` entry.
#[derive(Debug, PartialEq)]
enum NoProxy {
    /// `*`: no request is proxied.
    All,
    /// An address, or a network in CIDR form; an address may name a port.
    Net(IpAddr, u8, Option<u16>),
    /// A name: `example.com` is that host and those under it;
    /// `.example.com` (or `*.example.com`) only those under it. A port
    /// limits it to that port.
    Domain {
        suffix: String,
        exact_too: bool,
        port: Option<u16>,
    },
}

impl NoProxy {
    fn parse(entry: &str) -> Option<NoProxy> {
        let e = entry.trim().to_ascii_lowercase();
        if e.is_empty() {
            return None;
        }
        if e == "*" {
            return Some(NoProxy::All);
        }
        if let Some((net, bits)) = e.split_once('/') {
            let ip: IpAddr = net.parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            return (bits <= max).then_some(NoProxy::Net(ip, bits, None));
        }
        let (host, port) = match split_host_port(&e, 0) {
            (h, 0) => (h, None),
            (h, p) => (h, Some(p)),
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            let bits = if ip.is_ipv4() { 32 } else { 128 };
            return Some(NoProxy::Net(ip, bits, port));
        }
        let host = host.strip_prefix('*').unwrap_or(host);
        let (suffix, exact_too) = match host.strip_prefix('.') {
            Some(_) => (host.to_string(), false),
            None => (format!(".{host}"), true),
        };
        Some(NoProxy::Domain {
            suffix,
            exact_too,
            port,
        })
    }

    fn matches(&self, host: &str, ip: Option<IpAddr>, port: u16) -> bool {
        match self {
            NoProxy::All => true,
            NoProxy::Net(net, bits, want) => {
                want.is_none_or(|w| w == port) && ip.is_some_and(|ip| in_net(ip, *net, *bits))
            }
            NoProxy::Domain {
                suffix,
                exact_too,
                port: want,
            } => {
                want.is_none_or(|w| w == port)
                    && (host.ends_with(suffix.as_str()) || (*exact_too && host == &suffix[1..]))
            }
        }
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, b, len) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = len - u32::from(bits);
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(no_proxy: &str) -> Proxies {
        Proxies {
            https: Some(Ok(Proxy::new("http://proxy.example:3128").unwrap())),
            http: None,
            no_proxy: no_proxy.split(',').filter_map(NoProxy::parse).collect(),
        }
    }

    #[test]
    fn by_scheme_and_never_for_loopback() {
        let p = proxies("");
        assert!(p.for_url("https://registry.example/v2/").unwrap().is_some());
        assert!(p.for_url("http://registry.example/v2/").unwrap().is_none());
        for url in [
            "https://localhost:5000/v2/",
            "https://127.0.0.1:5000/v2/",
            "https://127.1.2.3/v2/",
            "https://[::1]:5000/v2/",
        ] {
            assert!(p.for_url(url).unwrap().is_none(), "{url}");
        }
    }

    #[test]
    fn no_proxy_entries() {
        let p =
            proxies("corp.example, .internal,10.0.0.0/8,192.168.1.7,other.example:5000,[fd00::1]");
        let via = |u: &str| p.for_url(u).unwrap().is_some();
        assert!(!via("https://corp.example/v2/"));
        assert!(!via("https://reg.corp.example/v2/"));
        assert!(via("https://notcorp.example/v2/"));
        assert!(!via("https://a.internal/v2/"));
        assert!(via("https://internal/v2/"));
        assert!(!via("https://10.1.2.3:5000/v2/"));
        assert!(via("https://11.1.2.3/v2/"));
        assert!(!via("https://192.168.1.7/v2/"));
        assert!(via("https://192.168.1.8/v2/"));
        assert!(!via("https://other.example:5000/v2/"));
        assert!(via("https://other.example/v2/"));
        assert!(!via("https://[fd00::1]:443/v2/"));
        let p = proxies("192.0.2.2:9999,[fd00::2]:9999");
        let via = |u: &str| p.for_url(u).unwrap().is_some();
        assert!(via("https://192.0.2.2:5006/v2/"));
        assert!(!via("https://192.0.2.2:9999/v2/"));
        assert!(via("https://[fd00::2]:5006/v2/"));
        assert!(!via("https://[fd00::2]:9999/v2/"));
        assert!(proxies("*")
            .for_url("https://anything.example/")
            .unwrap()
            .is_none());
        assert!(proxies("*.corp.example")
            .for_url("https://r.corp.example/")
            .unwrap()
            .is_none());
        assert!(proxies("*.corp.example")
            .for_url("https://corp.example/")
            .unwrap()
            .is_some());
    }
}
