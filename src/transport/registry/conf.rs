//! registries.conf (containers-registries.conf(5)): per-registry
//! settings shared with skopeo, podman and buildah.
//!
//! Read: `[[registry]]` tables (`prefix`, `location`, `insecure`,
//! `blocked`, `mirror-by-digest-only`, `[[registry.mirror]]` with
//! `location`, `insecure`, `pull-from-mirror`) and the version 1 tables
//! (`[registries.insecure]`, `[registries.block]`), and
//! `credential-helpers` (the order credentials are looked for and
//! stored in: `containers-auth.json` for the auth files, else
//! `docker-credential-NAME`). Short-name settings
//! (`unqualified-search-registries`, `[aliases]`) do not apply:
//! `docker://NAME` names are always qualified (`alpine` is
//! `docker.io/library/alpine`), as in skopeo; they are checked as skopeo
//! checks them (search registries are hosts of the reference grammar,
//! aliases map short names to repositories with their registry).
//!
//! A file is version 1 or 2 by the values it sets that are not empty, as
//! skopeo tells them (an empty list or table decides nothing). A key the
//! format does not have is warned of once per file, not refused: skopeo
//! reads such files (saying so only in its debug log).
//!
//! The file: `--registries-conf`, else `$CONTAINERS_REGISTRIES_CONF`,
//! else `~/.config/containers/registries.conf` when it exists, else
//! `/etc/containers/registries.conf` (a missing default file is an empty
//! one). Drop-ins (`*.conf`, version 2 only) from
//! `/etc/containers/registries.conf.d` and then
//! `~/.config/containers/registries.conf.d` replace tables of the same
//! prefix; with the user's own registries.conf, only the user's
//! directory is read.
//!
//! Applied as skopeo applies it: the entry with the longest matching
//! prefix decides. A blocked registry is refused for every operation;
//! `insecure` allows plain HTTP and unverified TLS unless
//! `--*-tls-verify` is given. Reading an image (copy and sync sources,
//! inspect) goes to the mirrors in order, then to `location` (the prefix
//! rewritten); writing, listing tags and deleting use the name as given.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::DockerRef;

/// Which pulls a mirror serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullFrom {
    All,
    DigestOnly,
    TagOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `HOST[:PORT][/NAMESPACE]`; empty for a `*.domain` prefix, whose
    /// names are used as they are.
    pub location: String,
    pub insecure: bool,
    pub pull_from: PullFrom,
}

/// One `[[registry]]` table, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    pub prefix: String,
    pub endpoint: Endpoint,
    pub mirrors: Vec<Endpoint>,
    pub blocked: bool,
    pub mirror_by_digest_only: bool,
}

/// Where to read an image from: a mirror or the primary location.
#[derive(Debug, Clone)]
pub struct PullSource {
    pub r: DockerRef,
    pub insecure: bool,
    pub mirror: bool,
}

/// The configuration in force, and the files it came from (for errors).
#[derive(Debug, Default)]
pub struct Conf {
    registries: Vec<Registry>,
    /// `credential-helpers`, as set (the last file that sets it wins);
    /// empty: not set.
    helpers: Vec<String>,
    sources: String,
}

/// The `credential-helpers` entry that stands for the auth files
/// (containers-auth.json(5)), and the list in force when none is set.
pub const AUTH_FILES_HELPER: &str = "containers-auth.json";

/// One file's settings.
#[derive(Debug)]
struct Parsed {
    registries: Vec<Registry>,
    /// `credential-helpers`, if the file sets it (even empty).
    helpers: Option<Vec<String>>,
    /// Keys no tool reads (`registry.mirror.locaton`), each once.
    unknown: Vec<String>,
}

static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
static CONF: OnceLock<std::result::Result<Conf, Error>> = OnceLock::new();

/// `--registries-conf`: set once, before the first registry is used.
pub fn use_path(p: Option<PathBuf>) {
    let _ = PATH.set(p);
}

/// The process's configuration, read on first use.
pub fn get() -> Result<&'static Conf> {
    CONF.get_or_init(|| {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let given = PATH
            .get()
            .cloned()
            .flatten()
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| env("CONTAINERS_REGISTRIES_CONF"))
            .or_else(|| env("REGISTRIES_CONFIG_PATH"));
        let home = crate::fsutil::home_dir();
        Conf::load(
            given.as_deref(),
            home.as_deref(),
            Path::new("/etc/containers"),
        )
    })
    .as_ref()
    .map_err(Clone::clone)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct FileToml {
    registry: Option<Vec<RegistryToml>>,
    registries: Option<V1Toml>,
    unqualified_search_registries: Option<Vec<String>>,
    short_name_mode: Option<String>,
    credential_helpers: Option<Vec<String>>,
    // Not used here (checked as the other tools check them); set, they
    // make a file version 2.
    aliases: Option<std::collections::BTreeMap<String, String>>,
    additional_layer_store_auth_helper: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RegistryToml {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    mirror_by_digest_only: bool,
    #[serde(default)]
    pull_from_mirror: String,
    #[serde(default)]
    mirror: Vec<MirrorToml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct MirrorToml {
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    pull_from_mirror: String,
}

#[derive(Deserialize, Default)]
struct V1Toml {
    search: Option<V1List>,
    insecure: Option<V1List>,
    block: Option<V1List>,
}

#[derive(Deserialize, Default)]
struct V1List {
    /// Not empty, it makes the file version 1.
    registries: Option<Vec<String>>,
}

/// The keys a file may hold, as `PATH.KEY` (tables of arrays by their
/// name); `aliases` holds any.
const KNOWN_KEYS: &[&str] = &[
    "registry",
    "registry.prefix",
    "registry.location",
    "registry.insecure",
    "registry.blocked",
    "registry.mirror-by-digest-only",
    "registry.pull-from-mirror",
    "registry.mirror",
    "registry.mirror.location",
    "registry.mirror.insecure",
    "registry.mirror.pull-from-mirror",
    "registries",
    "registries.search",
    "registries.search.registries",
    "registries.insecure",
    "registries.insecure.registries",
    "registries.block",
    "registries.block.registries",
    "unqualified-search-registries",
    "short-name-mode",
    "credential-helpers",
    "aliases",
    "additional-layer-store-auth-helper",
];

/// The keys of `t` (under `path`) that no tool reads, each once, sorted:
/// a typo (`blocked` misspelt) would else go unseen.
fn unknown_keys(t: &toml::Table, path: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let full = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        if !KNOWN_KEYS.contains(&full.as_str()) {
            if !out.contains(&full) {
                out.push(full);
            }
            continue;
        }
        if full == "aliases" {
            continue;
        }
        match v {
            toml::Value::Table(t) => unknown_keys(t, &full, out),
            toml::Value::Array(a) => {
                for t in a.iter().filter_map(|v| v.as_table()) {
                    unknown_keys(t, &full, out);
                }
            }
            _ => {}
        }
    }
}

/// A registry host as the other tools' reference grammar has it (no
/// IPv6 address): dot-separated components of letters, digits and
/// inner hyphens, and an optional `:PORT`.
fn go_domain(d: &str) -> bool {
    let host = match d.split_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return false,
        None => d,
    };
    crate::model::reference::valid_host_name(host)
}

/// A repository path component: lower-case letters and digits, joined
/// by `.`, `_`, `__` or hyphens.
fn go_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: &u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(&b[0]) || !alnum(&b[b.len() - 1]) {
        return false;
    }
    c.split(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        .all(|sep| matches!(sep, "" | "." | "_" | "__") || sep.bytes().all(|x| x == b'-'))
}

/// A reference as the other tools read it before any normalising
/// (`app` has no registry, `a/b` has `a`): the registry ("" if none),
/// and whether a tag and a digest are given.
fn raw_reference(s: &str) -> std::result::Result<(&str, bool, bool), String> {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    let path_ok = |p: &str| p.split('/').all(go_path_component);
    let domain = match name.split_once('/') {
        Some((d, p)) if go_domain(d) && path_ok(p) => Some(d),
        _ => None,
    };
    let tag_ok = tag.is_none_or(crate::model::reference::valid_tag);
    if (domain.is_none() && !path_ok(name)) || !tag_ok {
        let lower = s.to_ascii_lowercase();
        return Err(if s.is_empty() {
            "repository name must have at least one component".into()
        } else if lower != s && raw_reference(&lower).is_ok() {
            "repository name must be lowercase".into()
        } else {
            "invalid reference format".into()
        });
    }
    if name.len() > 255 {
        return Err("repository name must not be more than 255 characters".into());
    }
    if let Some(d) = digest {
        crate::model::Digest::parse(d).map_err(|e| e.message().to_string())?;
    }
    Ok((domain.unwrap_or(""), tag.is_some(), digest.is_some()))
}

/// An `[aliases]` entry, checked as the other tools check it: the key a
/// short name (no registry, tag or digest), the value a repository with
/// its registry (no tag or digest), or "" (which resets the alias).
fn check_alias(name: &str, value: &str) -> std::result::Result<(), String> {
    let names_registry = |d: &str| d.contains(['.', ':']) || d == "localhost";
    // The domain of `s` (a key or a value, said as `what`), with neither
    // a tag nor a digest.
    fn untagged<'a>(
        s: &'a str,
        what: &str,
        parsing: String,
    ) -> std::result::Result<&'a str, String> {
        let (d, tagged, digested) = raw_reference(s).map_err(|e| format!("{parsing}: {e}"))?;
        match (digested, tagged) {
            (true, _) => Err(format!("invalid {what} {s:?}: must not contain digest")),
            (_, true) => Err(format!("invalid {what} {s:?}: must not contain tag")),
            _ => Ok(d),
        }
    }
    let d = untagged(
        name,
        "short name",
        format!("cannot parse short name: {name:?}"),
    )?;
    if names_registry(d) {
        return Err(format!(
            "invalid short name {name:?}: must not contain registry"
        ));
    }
    if value.is_empty() {
        return Ok(());
    }
    let d = untagged(value, "alias", format!("parsing alias {value:?}"))?;
    if !names_registry(d) {
        return Err(format!(
            "invalid alias {value:?}: must contain registry and repository"
        ));
    }
    Ok(())
}

/// A location or prefix without trailing slashes; URLs are refused.
fn location(s: &str) -> std::result::Result<String, String> {
    let t = s.trim_end_matches('/');
    if t.starts_with("http://") || t.starts_with("https://") {
        return Err(format!(
            "invalid location '{s}': URI schemes are not supported"
        ));
    }
    Ok(t.to_string())
}

/// One file's tables, in file order (the first of a prefix wins).
fn parse_file(text: &str, drop_in: bool) -> std::result::Result<Parsed, String> {
    let f: FileToml = toml::from_str(text).map_err(|e| {
        // The parser's message spans lines (a caret drawing).
        let m = e.message().trim().to_string();
        match e.span() {
            Some(sp) => format!(
                "{m} (line {})",
                text[..sp.start.min(text.len())].matches('\n').count() + 1
            ),
            None => m,
        }
    })?;
    let mut unknown = Vec::new();
    if let Ok(t) = toml::from_str::<toml::Table>(text) {
        unknown_keys(&t, "", &mut unknown);
        unknown.sort();
    }
    let v1 = f.registries.unwrap_or_default();
    let list = |l: &Option<V1List>| l.as_ref().and_then(|l| l.registries.clone());
    let (search, insecures, blocks) = (list(&v1.search), list(&v1.insecure), list(&v1.block));
    // As the other tools tell them: by what is set and not empty (an
    // empty list, table or string decides nothing).
    let set = |l: &Option<Vec<String>>| l.as_ref().is_some_and(|l| !l.is_empty());
    let v1_set = set(&search) || set(&insecures) || set(&blocks);
    let v2_set = f.registry.as_ref().is_some_and(|r| !r.is_empty())
        || set(&f.unqualified_search_registries)
        || f.short_name_mode.as_ref().is_some_and(|m| !m.is_empty())
        || set(&f.credential_helpers)
        || f.aliases.as_ref().is_some_and(|a| !a.is_empty())
        || f.additional_layer_store_auth_helper
            .as_ref()
            .is_some_and(|h| h.as_str() != Some(""));
    let mut tables = f.registry.unwrap_or_default();
    // Checked as the other tools check them, though names here are
    // always qualified: a file they refuse is refused.
    for r in search
        .iter()
        .flatten()
        .chain(f.unqualified_search_registries.iter().flatten())
    {
        if !go_domain(&location(r)?) {
            return Err(format!("invalid unqualified-search-registries entry {r:?}"));
        }
    }
    if let Some(m) = &f.short_name_mode {
        if !["", "enforcing", "permissive", "disabled"].contains(&m.as_str()) {
            return Err(format!("invalid short-name mode: {m:?}"));
        }
    }
    for (name, value) in f.aliases.iter().flatten() {
        check_alias(name, value).map_err(|e| format!("validating short-name aliases: {e}"))?;
    }
    if v1_set {
        if v2_set {
            return Err("mixing sysregistry v1/v2 is not supported".into());
        }
        if drop_in {
            return Err("registry must be in v2 format but is in v1".into());
        }
        let blocks = blocks.unwrap_or_default();
        let insecures = insecures.unwrap_or_default();
        for (name, blocked) in blocks
            .iter()
            .map(|n| (n, true))
            .chain(insecures.iter().map(|n| (n, false)))
        {
            let loc = location(name)?;
            let t = match tables.iter_mut().position(|t| t.location == loc) {
                Some(i) => &mut tables[i],
                None => {
                    tables.push(RegistryToml {
                        prefix: loc.clone(),
                        location: loc,
                        insecure: false,
                        blocked: false,
                        mirror_by_digest_only: false,
                        pull_from_mirror: String::new(),
                        mirror: vec![],
                    });
                    tables.last_mut().unwrap()
                }
            };
            if blocked {
                t.blocked = true;
            } else {
                t.insecure = true;
            }
        }
    }
    let mut all: Vec<Registry> = Vec::new();
    for t in tables {
        let loc = location(&t.location)?;
        let prefix = if t.prefix.is_empty() {
            if loc.is_empty() {
                return Err("invalid condition: both location and prefix are unset".into());
            }
            loc.clone()
        } else {
            let p = location(&t.prefix)?;
            if !p.starts_with("*.") && loc.is_empty() {
                return Err(
                    "invalid condition: location is unset and prefix is not in the format: *.example.com"
                        .into(),
                );
            }
            p
        };
        if prefix.starts_with("*.") && prefix.contains(['/', '@', ':']) {
            return Err(format!(
                "wildcarded prefix should be in the format: *.example.com. Current prefix {prefix:?} is incorrectly formatted"
            ));
        }
        if !t.pull_from_mirror.is_empty() {
            return Err(format!(
                "pull-from-mirror must not be set for a non-mirror registry {prefix:?}"
            ));
        }
        let mut mirrors = Vec::new();
        for m in t.mirror {
            let mloc = location(&m.location)?;
            if mloc.is_empty() {
                return Err("invalid condition: mirror location is unset".into());
            }
            let pull_from = match m.pull_from_mirror.as_str() {
                _ if t.mirror_by_digest_only && !m.pull_from_mirror.is_empty() => {
                    return Err(format!(
                        "cannot set mirror usage mirror-by-digest-only for the registry ({prefix:?}) and pull-from-mirror for per-mirror ({mloc:?}) at the same time"
                    ))
                }
                "" | "all" => PullFrom::All,
                "digest-only" => PullFrom::DigestOnly,
                "tag-only" => PullFrom::TagOnly,
                other => {
                    return Err(format!(
                        "unsupported pull-from-mirror value {other:?} for mirror {mloc:?}"
                    ))
                }
            };
            mirrors.push(Endpoint {
                location: mloc,
                insecure: m.insecure,
                pull_from,
            });
        }
        let reg = Registry {
            prefix,
            endpoint: Endpoint {
                location: loc,
                insecure: t.insecure,
                pull_from: PullFrom::All,
            },
            mirrors,
            blocked: t.blocked,
            mirror_by_digest_only: t.mirror_by_digest_only,
        };
        all.push(reg);
    }
    // One registry may have several prefixes; they must agree on these
    // two (every table counts, before duplicate prefixes go).
    let key = |r: &Registry| -> String {
        if r.endpoint.location.is_empty() {
            r.prefix.clone()
        } else {
            r.endpoint.location.clone()
        }
    };
    // (By key, in one pass: a file of many tables loads in linear time.)
    let mut first: std::collections::HashMap<String, (bool, bool)> =
        std::collections::HashMap::new();
    for reg in &all {
        let (insecure, blocked) = *first
            .entry(key(reg))
            .or_insert((reg.endpoint.insecure, reg.blocked));
        for (what, a, b) in [
            ("insecure", reg.endpoint.insecure, insecure),
            ("blocked", reg.blocked, blocked),
        ] {
            if a != b {
                return Err(format!(
                    "registry '{}' is defined multiple times with conflicting '{what}' setting",
                    reg.endpoint.location
                ));
            }
        }
    }
    for h in f.credential_helpers.iter().flatten() {
        // A helper is the program docker-credential-NAME.
        if h.is_empty() || h.contains('/') {
            return Err(format!("invalid credential-helpers entry {h:?}"));
        }
    }
    // The first table of a prefix wins.
    let mut seen = std::collections::HashSet::new();
    Ok(Parsed {
        registries: all
            .into_iter()
            .filter(|reg| seen.insert(reg.prefix.clone()))
            .collect(),
        helpers: f.credential_helpers,
        unknown,
    })
}

/// The `*.conf` files of a drop-in directory, sorted (none if it is missing).
fn drop_ins(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(Error::new(format!(
                "reading registries.conf.d {}: {e}",
                dir.display()
            )))
        }
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.to_str().is_some_and(|n| n.ends_with(".conf")))
        .collect();
    v.sort();
    Ok(v)
}

impl Conf {
    /// `given`: the path named by the user (it must exist); `home`: the
    /// user's home; `etc`: the system directory (`/etc/containers`).
    pub fn load(given: Option<&Path>, home: Option<&Path>, etc: &Path) -> Result<Conf> {
        let user_dir = home.map(|h| h.join(".config/containers/registries.conf.d"));
        let user_file = home
            .map(|h| h.join(".config/containers/registries.conf"))
            .filter(|f| f.exists());
        let (file, must_exist, dirs) = match (given, user_file) {
            (Some(g), _) => (
                g.to_path_buf(),
                true,
                vec![Some(etc.join("registries.conf.d")), user_dir],
            ),
            (None, Some(u)) => (u, false, vec![user_dir]),
            (None, None) => (
                etc.join("registries.conf"),
                false,
                vec![Some(etc.join("registries.conf.d")), user_dir],
            ),
        };
        let read = |p: &Path, drop_in: bool| -> Result<Option<Parsed>> {
            let text = match crate::fsutil::read_settings_file(p, crate::fsutil::SETTINGS_MAX)
                .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
            {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && (drop_in || !must_exist) => {
                    return Ok(None)
                }
                Err(e) => {
                    return Err(Error::new(format!(
                        "registries configuration {}: {e}",
                        p.display()
                    )))
                }
            };
            let parsed = parse_file(&text, drop_in).map_err(|m| {
                Error::new(format!("registries configuration {}: {m}", p.display()))
            })?;
            // Warned, not refused: the other tools read such files (they
            // say it only in their debug log).
            for k in &parsed.unknown {
                crate::error::warn(&format!("{}: unknown key {k:?} ignored", p.display()));
            }
            Ok(Some(parsed))
        };
        let main = read(&file, false)?;
        let mut helpers = main.as_ref().and_then(|m| m.helpers.clone());
        let mut registries = main.map(|m| m.registries).unwrap_or_default();
        let mut sources = vec![file.display().to_string()];
        for dir in dirs.into_iter().flatten() {
            for p in drop_ins(&dir)? {
                if let Some(parsed) = read(&p, true)? {
                    // A drop-in that sets it replaces the list.
                    if parsed.helpers.is_some() {
                        helpers = parsed.helpers;
                    }
                    for r in parsed.registries {
                        match registries.iter_mut().find(|o| o.prefix == r.prefix) {
                            Some(o) => *o = r,
                            None => registries.push(r),
                        }
                    }
                    sources.push(p.display().to_string());
                }
            }
        }
        Ok(Conf {
            registries,
            helpers: helpers.unwrap_or_default(),
            sources: sources.join(", "),
        })
    }

    /// The credential helpers, in the order they are asked
    /// (`credential-helpers`; [`AUTH_FILES_HELPER`] when unset or empty).
    pub fn credential_helpers(&self) -> Vec<String> {
        if self.helpers.is_empty() {
            vec![AUTH_FILES_HELPER.to_string()]
        } else {
            self.helpers.clone()
        }
    }

    /// The table for a name (`HOST/PATH`): the longest matching prefix;
    /// of two as long, the first in sorted order (the other tools keep
    /// their tables sorted so).
    pub fn find(&self, name: &str) -> Option<&Registry> {
        self.registries
            .iter()
            .filter(|r| matching_prefix(name, &r.prefix).is_some())
            .min_by(|a, b| {
                b.prefix
                    .len()
                    .cmp(&a.prefix.len())
                    .then(a.prefix.cmp(&b.prefix))
            })
    }

    /// The TLS setting for a registry the table marks `insecure` or not:
    /// as given, else unverified (and plain HTTP allowed) if insecure.
    pub fn tls_verify(given: Option<bool>, insecure: bool) -> Option<bool> {
        given.or(insecure.then_some(false))
    }

    /// Refuse a blocked registry; else whether the table marks it insecure.
    pub fn check(&self, r: &DockerRef) -> Result<bool> {
        self.check_name(&r.name())
    }

    /// [`Conf::check`] for a `HOST[/NAMESPACE…]` name.
    pub fn check_name(&self, name: &str) -> Result<bool> {
        match self.find(name) {
            Some(reg) if reg.blocked => Err(Error::new(format!(
                "registry {} is blocked (registries.conf files read: {})",
                reg.prefix, self.sources
            ))),
            Some(reg) => Ok(reg.endpoint.insecure),
            None => Ok(false),
        }
    }

    /// Where to read `r` from, in order: the mirrors that serve this kind
    /// of reference, then the primary location.
    pub fn pull_sources(&self, r: &DockerRef) -> Result<Vec<PullSource>> {
        let Some(reg) = self.find(&r.name()) else {
            return Ok(vec![PullSource {
                r: r.clone(),
                insecure: false,
                mirror: false,
            }]);
        };
        let by_digest = r.digest.is_some();
        let mirrors = reg.mirrors.iter().filter(|m| {
            if reg.mirror_by_digest_only {
                return by_digest;
            }
            match m.pull_from {
                PullFrom::All => true,
                PullFrom::DigestOnly => by_digest,
                PullFrom::TagOnly => !by_digest,
            }
        });
        let mut out = Vec::new();
        for (ep, mirror) in mirrors
            .map(|m| (m, true))
            .chain(std::iter::once((&reg.endpoint, false)))
        {
            out.push(PullSource {
                r: rewrite(r, &reg.prefix, &ep.location).map_err(|m| {
                    Error::new(format!("registries configuration {}: {m}", self.sources))
                })?,
                insecure: ep.insecure,
                mirror,
            });
        }
        Ok(out)
    }
}

/// `r` with `prefix` replaced by `location` (as is for an empty location).
fn rewrite(r: &DockerRef, prefix: &str, location: &str) -> std::result::Result<DockerRef, String> {
    if location.is_empty() {
        return Ok(r.clone());
    }
    let s = r.to_string();
    let n = matching_prefix(&s, prefix)
        .ok_or_else(|| format!("invalid prefix '{prefix}' for reference '{s}'"))?;
    let new = format!("{location}{}", &s[n..]);
    let r = DockerRef::parse(&new)
        .map_err(|e| format!("rewriting reference {s} to {new}: {}", e.message()))?;
    // A location names its registry: never docker.io by default.
    if r.to_string() != new {
        return Err(format!(
            "rewriting reference {s} to {new}: repository name must be canonical"
        ));
    }
    Ok(r)
}

/// How much of `name` the prefix matches: all of a component boundary
/// (`/`, `:`, `@` or the end), or for `*.example.com` a host under it.
fn matching_prefix(name: &str, prefix: &str) -> Option<usize> {
    let at_boundary =
        |i: usize| i == name.len() || matches!(name.as_bytes()[i], b'/' | b':' | b'@');
    if let Some(domain) = prefix.strip_prefix("*.").map(|_| &prefix[1..]) {
        let i = name.find(domain)?;
        if name[..i].contains('/') {
            return None;
        }
        let end = i + domain.len();
        return at_boundary(end).then_some(end);
    }
    (name.starts_with(prefix) && at_boundary(prefix.len())).then_some(prefix.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(text: &str) -> Conf {
        let p = parse_file(text, false).unwrap();
        Conf {
            registries: p.registries,
            helpers: p.helpers.unwrap_or_default(),
            sources: "test.conf".into(),
        }
    }

    fn r(s: &str) -> DockerRef {
        DockerRef::parse(s).unwrap().with_default_tag()
    }

    #[test]
    fn prefixes_match_at_component_boundaries() {
        assert_eq!(
            matching_prefix("example.com/foo/bar", "example.com/foo"),
            Some(15)
        );
        assert_eq!(
            matching_prefix("example.com/foo", "example.com/foo"),
            Some(15)
        );
        assert_eq!(
            matching_prefix("example.com/foobar", "example.com/foo"),
            None
        );
        assert_eq!(
            matching_prefix("example.com/foo:1", "example.com/foo"),
            Some(15)
        );
        assert_eq!(
            matching_prefix("example.com/foo@sha256:aa", "example.com/foo"),
            Some(15)
        );
        assert_eq!(
            matching_prefix("a.example.com/x", "*.example.com"),
            Some(13)
        );
        assert_eq!(
            matching_prefix("x.a.example.com:5000/x", "*.example.com"),
            Some(15)
        );
        assert_eq!(matching_prefix("example.com/x", "*.example.com"), None);
        assert_eq!(
            matching_prefix("q.io/a.example.com/x", "*.example.com"),
            None
        );
        assert_eq!(
            matching_prefix("a.example.community/x", "*.example.com"),
            None
        );
    }

    #[test]
    fn the_longest_prefix_decides_and_the_first_of_a_prefix_wins() {
        let c = conf(
            r#"
            unqualified-search-registries = ["docker.io"]
            [[registry]]
            location = "example.com"
            insecure = true
            [[registry]]
            prefix = "example.com/team"
            location = "internal.example:5000/mirror/team"
            insecure = true
            [[registry]]
            prefix = "example.com/team"
            location = "ignored.example"
            insecure = true
            [aliases]
            "x" = "docker.io/library/x"
            "#,
        );
        assert_eq!(c.registries.len(), 2);
        assert_eq!(
            c.find("example.com/team/app").unwrap().prefix,
            "example.com/team"
        );
        assert_eq!(
            c.find("example.com/teams/app").unwrap().prefix,
            "example.com"
        );
        assert!(c.find("other.example/app").is_none());
        let s = c.pull_sources(&r("example.com/team/app:1")).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].r.domain, "internal.example:5000");
        assert_eq!(s[0].r.path, "mirror/team/app");
        assert_eq!(s[0].r.tag.as_deref(), Some("1"));
        assert!(s[0].insecure && !s[0].mirror);
    }

    #[test]
    fn mirrors_come_first_for_the_references_they_serve() {
        let c = conf(
            r#"
            [[registry]]
            prefix = "docker.io"
            location = "docker.io"
            [[registry.mirror]]
            location = "m1.example/hub"
            [[registry.mirror]]
            location = "m2.example"
            insecure = true
            pull-from-mirror = "digest-only"
            [[registry.mirror]]
            location = "m3.example"
            pull-from-mirror = "tag-only"
            "#,
        );
        let names = |s: &str| -> Vec<String> {
            c.pull_sources(&r(s))
                .unwrap()
                .iter()
                .map(|p| format!("{}{}", p.r, if p.insecure { " (insecure)" } else { "" }))
                .collect()
        };
        assert_eq!(
            names("alpine"),
            [
                "m1.example/hub/library/alpine:latest",
                "m3.example/library/alpine:latest",
                "docker.io/library/alpine:latest"
            ]
        );
        let d = format!("alpine@sha256:{}", "a".repeat(64));
        let at = format!("/library/alpine@sha256:{}", "a".repeat(64));
        assert_eq!(
            names(&d),
            [
                format!("m1.example/hub{at}"),
                format!("m2.example{at} (insecure)"),
                format!("docker.io{at}")
            ]
        );
    }

    #[test]
    fn version_1_tables_become_registries() {
        let c = conf(
            r#"
            [registries.search]
            registries = ["docker.io"]
            [registries.insecure]
            registries = ["127.0.0.1:5000", "both.example"]
            [registries.block]
            registries = ["both.example", "bad.example/"]
            "#,
        );
        assert!(c.check(&r("127.0.0.1:5000/x")).unwrap());
        let e = c.check(&r("bad.example/x")).unwrap_err();
        assert_eq!(
            e.message(),
            "registry bad.example is blocked (registries.conf files read: test.conf)"
        );
        let both = c.find("both.example/x").unwrap();
        assert!(both.blocked && both.endpoint.insecure);
        assert!(!c.check(&r("docker.io/library/x")).unwrap());
    }

    #[test]
    fn ties_go_to_the_first_prefix_in_sorted_order() {
        // "*.b.cc" sorts before "a.b.cc"; both match a.b.cc/x with 6 bytes.
        let c = conf(
            "[[registry]]\nprefix = \"a.b.cc\"\nlocation = \"a.b.cc\"\n\
             [[registry]]\nprefix = \"*.b.cc\"\nblocked = true\n",
        );
        assert!(c.check(&r("a.b.cc/x")).is_err());
        // Only "*." makes a wildcard.
        let c = conf(
            "[[registry]]\nprefix = \"*xample.com\"\nlocation = \"q.example\"\nblocked = true\n",
        );
        assert!(c.find("example.com/x").is_none());
    }

    #[test]
    fn a_location_must_name_its_registry() {
        let c = conf("[[registry]]\nprefix = \"reg.example/a\"\nlocation = \"team/b\"\n");
        let e = c.pull_sources(&r("reg.example/a/app:1")).unwrap_err();
        assert!(e.message().contains("must be canonical"), "{}", e.message());
        let c =
            conf("[[registry]]\nprefix = \"docker.io/library\"\nlocation = \"docker.io/mirror\"\n");
        let s = c.pull_sources(&r("alpine:3")).unwrap();
        assert_eq!(s[0].r.to_string(), "docker.io/mirror/alpine:3");
    }

    #[test]
    fn version_1_is_told_by_its_lists() {
        // An empty [registries.search] table, or an empty list in it, is
        // no version 1 file.
        for v1 in [
            "[registries.search]\n",
            "[registries.search]\nregistries = []\n",
        ] {
            let c = conf(&format!(
                "{v1}[[registry]]\nlocation = \"x.example\"\nblocked = true\n"
            ));
            assert!(c.check(&r("x.example/a")).is_err(), "{v1}");
        }
        // Only what is set and not empty decides.
        for v2 in [
            "[aliases]\n\"a\" = \"x.example/a\"\n",
            "credential-helpers = [\"pass\"]\n",
            "short-name-mode = \"enforcing\"\n",
            "unqualified-search-registries = [\"docker.io\"]\n",
        ] {
            let e = parse_file(
                &format!("{v2}[registries.block]\nregistries = [\"b\"]\n"),
                false,
            )
            .unwrap_err();
            assert!(e.contains("mixing"), "{v2}: {e}");
            let c = conf(&format!("{v2}[registries.block]\nregistries = []\n"));
            assert!(c.registries.is_empty(), "{v2}");
        }
        for empty in [
            "[aliases]\n",
            "credential-helpers = []\n",
            "short-name-mode = \"\"\n",
            "unqualified-search-registries = []\n",
            "registry = []\n",
        ] {
            let c = conf(&format!(
                "{empty}[registries.block]\nregistries = [\"x.example\"]\n"
            ));
            assert!(c.check(&r("x.example/a")).is_err(), "{empty}");
        }
        assert!(parse_file("[registries.block]\nregistries = []\n", true).is_ok());
    }

    #[test]
    fn search_registries_are_hosts_as_the_reference_grammar_has_them() {
        for good in [
            "myregistry",
            "a-b",
            "1a",
            "localhost",
            "a:5000",
            "A.B",
            "x.example/",
            "1.2.3.4:5",
        ] {
            let text = format!("unqualified-search-registries = [{good:?}]\n");
            assert!(parse_file(&text, false).is_ok(), "{good}");
        }
        for bad in [
            "[::1]:5000",
            "[::1]",
            "-a",
            "a-",
            "a_b",
            "a:",
            "a:b",
            "a..b",
            "a/b",
            "",
            "\u{e9}.com",
        ] {
            let text = format!("unqualified-search-registries = [{bad:?}]\n");
            let e = parse_file(&text, false).unwrap_err();
            assert!(
                e.contains("invalid unqualified-search-registries entry"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn aliases_are_short_names_for_qualified_repositories() {
        let d = "sha256:".to_string() + &"a".repeat(64);
        for (k, v) in [
            ("app", "quay.io/x/app"),
            ("a/b", "quay.io/x/b"),
            ("app", "localhost/app"),
            ("app", "reg:5000/app"),
            ("app", ""),
        ] {
            assert_eq!(check_alias(k, v), Ok(()), "{k} = {v}");
        }
        for (k, v, want) in [
            (
                "app",
                "notqualified",
                "invalid alias \"notqualified\": must contain registry and repository",
            ),
            ("app", "myreg/app", "must contain registry and repository"),
            (
                "app:1",
                "docker.io/library/app",
                "invalid short name \"app:1\": must not contain tag",
            ),
            (&format!("app@{d}"), "quay.io/a", "must not contain digest"),
            ("docker.io/app", "quay.io/a", "must not contain registry"),
            ("localhost/app", "quay.io/a", "must not contain registry"),
            (
                "App",
                "quay.io/a",
                "cannot parse short name: \"App\": repository name must be lowercase",
            ),
            ("", "quay.io/a", "must have at least one component"),
            (
                "app",
                "docker.io/library/app:1",
                "invalid alias \"docker.io/library/app:1\": must not contain tag",
            ),
            ("app", &format!("quay.io/a@{d}"), "must not contain digest"),
            (
                "app",
                "Quay.io/X/b",
                "parsing alias \"Quay.io/X/b\": repository name must be lowercase",
            ),
            ("app", "quay.io/a/", "invalid reference format"),
        ] {
            let e = check_alias(k, v).unwrap_err();
            assert!(e.contains(want), "{k} = {v}: {e}");
        }
        let e = parse_file("[aliases]\n\"app\" = \"notqualified\"\n", false).unwrap_err();
        assert!(e.starts_with("validating short-name aliases: "), "{e}");
    }

    #[test]
    fn unknown_keys_are_named_once() {
        let p = parse_file(
            "[[registrys]]\n[[registry]]\nlocation = \"a\"\nmirror-by-digest-onyl = true\n\
             [[registry.mirror]]\nlocation = \"m\"\nlocaton = \"n\"\n\
             [[registry]]\nlocation = \"b\"\nmirror-by-digest-onyl = true\n\
             [registries.blok]\n[aliases]\n\"any\" = \"x.example/any\"\n",
            false,
        )
        .unwrap();
        assert_eq!(
            p.unknown,
            [
                "registries.blok",
                "registry.mirror-by-digest-onyl",
                "registry.mirror.locaton",
                "registrys"
            ]
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        for (text, want) in [
            ("[[registry]]\nlocation = \"https://x.example\"\n", "URI schemes are not supported"),
            ("[[registry]]\ninsecure = true\n", "both location and prefix are unset"),
            ("[[registry]]\nprefix = \"x.example\"\n", "location is unset"),
            ("[[registry]]\nprefix = \"*.x.example/a\"\n", "incorrectly formatted"),
            (
                "[[registry]]\nlocation = \"x.example\"\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"some\"\n",
                "unsupported pull-from-mirror value \"some\"",
            ),
            (
                "[[registry]]\nlocation = \"x.example\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"all\"\n",
                "at the same time",
            ),
            (
                "[[registry]]\nprefix = \"a.example\"\nlocation = \"x.example\"\n[[registry]]\nprefix = \"b.example\"\nlocation = \"x.example\"\ninsecure = true\n",
                "conflicting 'insecure' setting",
            ),
            ("[registries.insecure]\nregistries = [\"a\"]\n[[registry]]\nlocation = \"b\"\n", "mixing"),
            (
                "[[registry]]\nprefix = \"a.example\"\nlocation = \"x.example\"\n[[registry]]\nprefix = \"a.example\"\nlocation = \"y.example\"\ninsecure = true\n[[registry]]\nprefix = \"b.example\"\nlocation = \"y.example\"\n",
                "conflicting 'insecure' setting",
            ),
            ("unqualified-search-registries = [\"https://docker.io\"]\n", "URI schemes"),
            ("unqualified-search-registries = [\"docker.io/library\"]\n", "invalid unqualified-search-registries entry"),
            ("short-name-mode = \"bogus\"\n", "invalid short-name mode"),
            ("[[registry]\nlocation = 1\n", "(line 1)"),
            ("[[registry]]\nlocation = 1\n", "(line 2)"),
        ] {
            let e = parse_file(text, false).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(
            parse_file("[registries.block]\nregistries = [\"a\"]\n", true)
                .unwrap_err()
                .contains("v2 format")
        );
    }

    #[test]
    fn files_and_drop_ins_are_found_as_skopeo_finds_them() {
        let t = tempfile::tempdir().unwrap();
        let etc = t.path().join("etc");
        let home = t.path().join("home");
        std::fs::create_dir_all(etc.join("registries.conf.d")).unwrap();
        let w = |p: PathBuf, s: &str| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        // Nothing at all: an empty configuration.
        let c = Conf::load(None, Some(&home), &etc).unwrap();
        assert!(c.registries.is_empty());
        w(
            etc.join("registries.conf"),
            "[[registry]]\nlocation = \"a.example\"\n",
        );
        w(
            etc.join("registries.conf.d/50-b.conf"),
            "[[registry]]\nlocation = \"a.example\"\nblocked = true\n",
        );
        w(etc.join("registries.conf.d/ignored.txt"), "not toml [");
        let c = Conf::load(None, Some(&home), &etc).unwrap();
        assert!(
            c.check(&r("a.example/x")).is_err(),
            "the drop-in replaces the table"
        );
        // A user file: only the user's drop-ins.
        w(home.join(".config/containers/registries.conf"), "");
        let c = Conf::load(None, Some(&home), &etc).unwrap();
        assert!(c.registries.is_empty());
        w(
            home.join(".config/containers/registries.conf.d/x.conf"),
            "[[registry]]\nlocation = \"u.example\"\ninsecure = true\n",
        );
        let c = Conf::load(None, Some(&home), &etc).unwrap();
        assert!(c.check(&r("u.example/x")).unwrap());
        // A file named by the user must exist; both directories apply.
        let e = Conf::load(Some(&t.path().join("nope.conf")), Some(&home), &etc).unwrap_err();
        assert!(e.message().contains("nope.conf"), "{}", e.message());
        let given = t.path().join("given.conf");
        w(given.clone(), "");
        let c = Conf::load(Some(&given), Some(&home), &etc).unwrap();
        assert!(c.check(&r("a.example/x")).is_err());
        assert!(c.check(&r("u.example/x")).unwrap());
    }

    #[test]
    fn credential_helpers_as_the_last_file_sets_them() {
        let t = tempfile::tempdir().unwrap();
        let etc = t.path().join("etc");
        let d = etc.join("registries.conf.d");
        std::fs::create_dir_all(&d).unwrap();
        let load = || Conf::load(None, None, &etc).unwrap().credential_helpers();
        assert_eq!(load(), [AUTH_FILES_HELPER], "unset: the auth files");
        std::fs::write(
            etc.join("registries.conf"),
            "credential-helpers = [\"pass\", \"containers-auth.json\"]\n",
        )
        .unwrap();
        assert_eq!(load(), ["pass", AUTH_FILES_HELPER]);
        // A drop-in that does not set it leaves it; one that does replaces it.
        std::fs::write(
            d.join("10-a.conf"),
            "[[registry]]\nlocation = \"a.example\"\n",
        )
        .unwrap();
        assert_eq!(load(), ["pass", AUTH_FILES_HELPER]);
        std::fs::write(
            d.join("20-b.conf"),
            "credential-helpers = [\"secretservice\"]\n",
        )
        .unwrap();
        assert_eq!(load(), ["secretservice"]);
        // Set empty: the default again.
        std::fs::write(d.join("30-c.conf"), "credential-helpers = []\n").unwrap();
        assert_eq!(load(), [AUTH_FILES_HELPER]);
        // Not a list of names: the file is refused, named.
        for bad in [
            "credential-helpers = \"pass\"\n",
            "credential-helpers = [\"a/b\"]\n",
        ] {
            std::fs::write(d.join("30-c.conf"), bad).unwrap();
            let e = Conf::load(None, None, &etc).unwrap_err();
            assert!(e.message().contains("30-c.conf"), "{}", e.message());
        }
    }
}
