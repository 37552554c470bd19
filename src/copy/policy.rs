//! skopeo's signature policy (containers-policy.json(5)), as far as lade
//! takes it: lade checks no signatures, so an image is copied where the
//! policy accepts it as it is (`insecureAcceptAnything`), and refused
//! where the policy asks for more (`reject`, `signedBy`, `sigstoreSigned`)
//! rather than copied as if that had been met.
//!
//! As in skopeo, the requirements that apply to a source image are those
//! of the most specific scope its transport's table names (the image,
//! then ever wider namespaces), else the transport's default (`""`), else
//! the policy's default. Scopes are:
//! - `docker` and `docker-daemon`: `HOST/REPO:TAG` (or `@DIGEST`), then
//!   `HOST/REPO`, each parent namespace, `HOST`, and `*.DOMAIN` for each
//!   domain above the host's name (its port left off);
//! - `oci`: `DIR` and each directory above it (a ref is no scope of its
//!   own: `DIR:REF` and `DIR` may name one image); `oci-archive`: `FILE`,
//!   then each directory above it; `dir`: `DIR`, then each directory
//!   above it (paths absolute, symbolic links resolved, `/` left out);
//! - `docker-archive` and a daemon image named by ID: none (the
//!   transport's default applies).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::DockerRef;
use crate::transport::ImageReference;

/// The requirement types of the policy format.
const TYPES: &[&str] = &[
    "insecureAcceptAnything",
    "reject",
    "signedBy",
    "sigstoreSigned",
];

/// A loaded policy file.
#[derive(Debug)]
pub struct Policy {
    /// `--policy FILE` (or the default file's path), for messages.
    shown: String,
    /// Each list's requirement types.
    default: Vec<String>,
    transports: HashMap<String, HashMap<String, Vec<String>>>,
}

impl Policy {
    /// Read and check the policy at `path`, named in messages as `shown`:
    /// the format's shape and requirement types, whatever scopes they are
    /// for (skopeo refuses a file with a bad one anywhere).
    pub fn load(path: &Path, shown: String) -> Result<Policy> {
        let bytes = crate::fsutil::read_settings_file(path, 1 << 20)
            .map_err(|e| Error::from(e).context(&shown))?;
        let bad = |what: &str| Error::new(format!("{shown}: not a signature policy: {what}"));
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?;
        let list = |scope: &str, l: &serde_json::Value| -> Result<Vec<String>> {
            let l = l
                .as_array()
                .ok_or_else(|| bad(&format!("the requirements of {scope} are no list")))?;
            if l.is_empty() {
                return Err(bad(&format!("{scope} has no requirement")));
            }
            l.iter()
                .map(|r| match r.get("type").and_then(|t| t.as_str()) {
                    Some(t) if TYPES.contains(&t) => Ok(t.to_string()),
                    Some(t) => Err(bad(&format!(
                        "a requirement of {scope} is of unknown type {t:?}"
                    ))),
                    None => Err(bad(&format!("a requirement of {scope} has no type"))),
                })
                .collect()
        };
        let default = list(
            "the default",
            v.get("default").ok_or_else(|| bad("no \"default\""))?,
        )?;
        let mut transports = HashMap::new();
        if let Some(t) = v.get("transports") {
            let t = t
                .as_object()
                .ok_or_else(|| bad("\"transports\" is no object"))?;
            for (transport, scopes) in t {
                let scopes = scopes
                    .as_object()
                    .ok_or_else(|| bad(&format!("transport {transport:?} is no object")))?;
                let mut table = HashMap::new();
                for (scope, l) in scopes {
                    table.insert(scope.clone(), list(&scope_name(transport, scope), l)?);
                }
                transports.insert(transport.clone(), table);
            }
        }
        Ok(Policy {
            shown,
            default,
            transports,
        })
    }

    /// Is `src` to be copied? An error naming the scope that asks for
    /// more than lade can check (or rejects the image) if not.
    pub fn check(&self, src: &dyn ImageReference) -> Result<()> {
        let t = src.transport();
        let table = self.transports.get(t);
        let found = table.and_then(|table| {
            src.policy_scopes()
                .into_iter()
                .chain(std::iter::once(String::new()))
                .find_map(|s| table.get(&s).map(|l| (scope_name(t, &s), l)))
        });
        let (scope, list) = found.unwrap_or(("the default".to_string(), &self.default));
        match list.iter().find(|k| *k != "insecureAcceptAnything") {
            None => Ok(()),
            Some(k) if k == "reject" => Err(Error::unsupported(format!(
                "{}: {scope} rejects the image (\"reject\")",
                self.shown
            ))),
            Some(k) => Err(Error::unsupported(format!(
                "{}: {scope} asks for {k:?}; lade checks no signatures, so it copies only \
                 images the policy accepts as they are (insecureAcceptAnything), or any with \
                 --insecure-policy",
                self.shown
            ))),
        }
    }
}

/// The policy copy and sync read when none is named, as skopeo finds
/// it: `~/.config/containers/policy.json` (see [`crate::fsutil::home_dir`]) when that
/// is there, else
/// `/etc/containers/policy.json`; none when neither is (skopeo fails
/// there; lade copies as if given `--insecure-policy`).
pub fn default_path() -> Option<PathBuf> {
    let user = crate::fsutil::home_dir().map(|h| h.join(".config/containers/policy.json"));
    user.into_iter()
        .chain(std::iter::once(PathBuf::from(
            "/etc/containers/policy.json",
        )))
        .find(|p| std::fs::metadata(p).is_ok())
}

/// A scope as messages name it.
fn scope_name(transport: &str, scope: &str) -> String {
    match scope {
        "" => format!("transport {transport:?}"),
        s => format!("{transport}:{s}"),
    }
}

/// The scopes of a registry (or daemon) image, most specific first.
pub fn docker_scopes(r: &DockerRef) -> Vec<String> {
    let mut scopes = vec![r.to_string()];
    let mut name = r.name();
    loop {
        scopes.push(name.clone());
        match name.rfind('/') {
            Some(i) => name.truncate(i),
            None => break,
        }
    }
    // (the host without its port)
    let mut host = name.split(':').next().unwrap_or_default().to_string();
    while let Some(i) = host.find('.') {
        host = host[i + 1..].to_string();
        scopes.push(format!("*.{host}"));
    }
    scopes
}

/// The scopes of an image under a path: `identity` (when it has one), then
/// `from` (when given) and each directory above it, up to but not
/// including `/`.
pub fn path_scopes(identity: Option<String>, from: &Path) -> Vec<String> {
    let mut scopes: Vec<String> = identity.into_iter().collect();
    let mut p = Some(from);
    while let Some(dir) = p.filter(|d| d.parent().is_some()) {
        scopes.push(dir.to_string_lossy().into_owned());
        p = dir.parent();
    }
    scopes
}

/// `path` absolute, with symbolic links resolved (as far as it exists).
pub fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(base)) if !dir.as_os_str().is_empty() => resolved(dir).join(base),
        _ => std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_scopes_go_from_the_image_to_wildcard_domains() {
        let r = DockerRef::parse("reg.example.com:5000/ns/app:1").unwrap();
        assert_eq!(
            docker_scopes(&r),
            [
                "reg.example.com:5000/ns/app:1",
                "reg.example.com:5000/ns/app",
                "reg.example.com:5000/ns",
                "reg.example.com:5000",
                "*.example.com",
                "*.com",
            ]
        );
        let r = DockerRef::parse("busybox").unwrap().with_default_tag();
        assert_eq!(
            docker_scopes(&r),
            [
                "docker.io/library/busybox:latest",
                "docker.io/library/busybox",
                "docker.io/library",
                "docker.io",
                "*.io",
            ]
        );
    }

    #[test]
    fn path_scopes_stop_above_the_root() {
        assert_eq!(
            path_scopes(Some("/a/b:x".into()), Path::new("/a/b")),
            ["/a/b:x", "/a/b", "/a"]
        );
        assert_eq!(path_scopes(None, Path::new("/a/b")), ["/a/b", "/a"]);
    }
}
