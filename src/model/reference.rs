//! Docker-style image references (`alpine`, `localhost:5000/x:1`,
//! `reg.io/a/b@sha256:…`), normalised the way Docker does it.

use std::fmt;

use super::Digest;
use crate::error::{Error, Result};

pub const DEFAULT_DOMAIN: &str = "docker.io";
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
pub const DEFAULT_API_HOST: &str = "registry-1.docker.io";
pub const DEFAULT_TAG: &str = "latest";

/// A fully qualified reference: domain, repository path, and a tag and/or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerRef {
    pub domain: String,
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

/// A registry host as the reference grammar has it: dot-separated
/// components of letters, digits and inner hyphens (or an IPv6 address
/// in brackets), and an optional `:PORT`.
fn valid_domain(d: &str) -> bool {
    let port_ok = |p: &str| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(v6) = d.strip_prefix('[') {
        let Some((addr, rest)) = v6.split_once(']') else {
            return false;
        };
        return !addr.is_empty()
            && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
            && (rest.is_empty() || rest.strip_prefix(':').is_some_and(port_ok));
    }
    let host = match d.rsplit_once(':') {
        Some((h, p)) if port_ok(p) => h,
        Some(_) => return false,
        None => d,
    };
    valid_host_name(host)
}

/// A host name as the reference grammar has it (no port): dot-separated
/// components of letters, digits and inner hyphens.
pub(crate) fn valid_host_name(host: &str) -> bool {
    host.split('.').all(|c| {
        let b = c.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
    })
}

impl DockerRef {
    /// Parse and normalise: `alpine` → `docker.io/library/alpine`. No tag
    /// is added; see [`DockerRef::with_default_tag`].
    pub fn parse(s: &str) -> Result<DockerRef> {
        let bad = |why: &str| Error::new(format!("invalid image reference {s:?}: {why}"));
        if s.is_empty() {
            return Err(bad("empty"));
        }
        // (As the reference grammar has it: such a name reads as an image
        // ID, and a tag of it would hide one.)
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad(
                "a name of 64 hexadecimal digits is an image ID, not a name (an ID is written sha256:ID)",
            ));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(Digest::parse(d).map_err(|e| bad(e.message()))?)),
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let i = last_slash + i;
                (&rest[..i], Some(rest[i + 1..].to_string()))
            }
            None => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !ok {
                return Err(bad("invalid tag"));
            }
        }
        let (domain, path) = match name.split_once('/') {
            // A first component with a '.', a ':' or an upper-case letter,
            // or "localhost", names the registry (as Docker reads names;
            // host names are not case-sensitive).
            Some((first, remainder))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                if !valid_domain(first) {
                    return Err(bad("invalid registry host"));
                }
                (first.to_string(), remainder.to_string())
            }
            _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
        };
        let domain = if domain == LEGACY_DEFAULT_DOMAIN {
            DEFAULT_DOMAIN.to_string()
        } else {
            domain
        };
        let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        for comp in path.split('/') {
            let b = comp.as_bytes();
            let ok = !b.is_empty()
                && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
                && b[b.len() - 1].is_ascii_lowercase() | b[b.len() - 1].is_ascii_digit()
                && b.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c))
                && !comp.contains("..")
                && !comp.contains("___");
            if !ok {
                return Err(bad(
                    "repository name must be lowercase letters, digits and separators",
                ));
            }
        }
        if path.len() + domain.len() > 255 {
            return Err(bad("name too long"));
        }
        Ok(DockerRef {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// Add `:latest` when neither tag nor digest is given.
    pub fn with_default_tag(mut self) -> DockerRef {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some(DEFAULT_TAG.to_string());
        }
        self
    }

    /// `domain/path` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The short form Docker shows: `alpine:latest`, `localhost:5000/x:1`.
    pub fn familiar(&self) -> String {
        let mut s = if self.domain == DEFAULT_DOMAIN {
            self.path
                .strip_prefix("library/")
                .unwrap_or(&self.path)
                .to_string()
        } else {
            self.name()
        };
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(&d.to_string());
        }
        s
    }
}

impl fmt::Display for DockerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// A tag a registry accepts: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        let r = DockerRef::parse("alpine").unwrap().with_default_tag();
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert_eq!(r.familiar(), "alpine:latest");
        let r = DockerRef::parse("localhost:5000/x/y:1").unwrap();
        assert_eq!(
            (r.domain.as_str(), r.path.as_str()),
            ("localhost:5000", "x/y")
        );
        assert_eq!(r.tag.as_deref(), Some("1"));
        let r = DockerRef::parse("index.docker.io/me/app").unwrap();
        assert_eq!(r.to_string(), "docker.io/me/app");
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let r = DockerRef::parse(&format!("reg.io/a@{d}")).unwrap();
        assert_eq!(r.digest.unwrap().to_string(), d);
        assert_eq!(DockerRef::parse("tiny:1").unwrap().familiar(), "tiny:1");
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "UPPER",
            "a/../b",
            "a:",
            "a:-x",
            "a@sha256:zz",
            "reg.io/A",
            "../a",
            "..:5000/a",
            "a..b/c",
            "-r.io/a",
            "r.io:x/a",
            "r.io:/a",
            "[::1/a",
            "[zz]:5000/a",
            &"ab12".repeat(16),
        ] {
            assert!(DockerRef::parse(bad).is_err(), "{bad:?}");
        }
        // 64 hex digits with a tag, or 63 of them, are names.
        assert!(DockerRef::parse(&format!("{}:1", "ab12".repeat(16))).is_ok());
        assert!(DockerRef::parse(&"a".repeat(63)).is_ok());
        for good in [
            "r.io/a",
            "Reg.io/a",
            "LOCALHOST:5000/a",
            "r-1.example:5000/a/b",
            "localhost/a",
            "[::1]:5000/a",
            "127.0.0.1:5093/x",
        ] {
            assert!(DockerRef::parse(good).is_ok(), "{good:?}");
        }
    }
}
