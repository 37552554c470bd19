//! The YAML file `lade sync --src yaml FILE` reads: registries, and in
//! each the repositories to sync, by tag or digest, by tag regular
//! expression or by semantic-version constraint, with the registry's
//! credentials and TLS settings.
//!
//! ```yaml
//! registry.example.com:
//!   images:
//!     busybox: []                # every tag
//!     redis: ["7.2", "sha256:…"] # these tags and digests
//!   images-by-tag-regex:
//!     nginx: ^1\.2[0-9]\.
//!   images-by-semver:
//!     alpine: ">= 3.18"
//!   credentials: {username: john, password: secret}
//!   tls-verify: true
//!   cert-dir: /etc/certs/registry.example.com
//! ```
//!
//! The whole file is read and checked before anything is listed or
//! copied. Unlike a lax reader, this one refuses what it does not know
//! (a misspelt key would otherwise drop its images without a word),
//! duplicate keys, aliases (`*name`, which can multiply a small file
//! into a huge one) and more than one document; each error names the
//! line. A `cert-dir` must be a directory (one that is not there would
//! be passed over, and the TLS error after it would not say why); an
//! empty one is none, as skopeo reads it. A tag or digest named twice
//! for a repository is one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regex::Regex;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::semver::Constraint;
use crate::error::{Error, Result};
use crate::model::{Digest, DockerRef};

/// Largest file read.
const MAX_FILE: u64 = 4 << 20;
/// How deep mappings and lists may nest.
const MAX_DEPTH: usize = 64;

/// One registry of the file.
#[derive(Debug, Clone, Default)]
pub struct RegistryEntry {
    /// The key: `HOST[:PORT]` (maybe with a namespace path after it).
    pub registry: String,
    /// Repositories by name: no refs means every tag.
    pub images: Vec<(String, Vec<Ref>)>,
    pub by_tag_regex: Vec<(String, Regex)>,
    pub by_semver: Vec<(String, Constraint)>,
    /// (username, password)
    pub credentials: Option<(String, String)>,
    pub tls_verify: Option<bool>,
    pub cert_dir: Option<PathBuf>,
    /// Where `cert-dir` is, for errors.
    pub cert_dir_line: usize,
}

/// A listed image of a repository.
#[derive(Debug, Clone, PartialEq)]
pub enum Ref {
    Tag(String),
    Digest(Digest),
}

/// Read and check the file at `path`.
pub fn read(path: &Path) -> Result<Vec<RegistryEntry>> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| Error::new(format!("{name}: {}", crate::error::io_message(&e)));
    let f = crate::fsutil::open_regular(path).map_err(io)?;
    let mut text = String::new();
    use std::io::Read;
    f.take(MAX_FILE + 1).read_to_string(&mut text).map_err(io)?;
    if text.len() as u64 > MAX_FILE {
        return Err(Error::new(format!(
            "{name}: larger than {} MiB; not a sync file",
            MAX_FILE >> 20
        )));
    }
    let entries = parse(&text).map_err(|e| e.context(&name))?;
    // A cert-dir that is not there would be passed over (and the TLS
    // error after it would not say why): refused, named.
    for e in &entries {
        if let Some(d) = &e.cert_dir {
            let why = match std::fs::metadata(d) {
                Ok(m) if m.is_dir() => continue,
                Ok(_) => "is not a directory".to_string(),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    "does not exist".to_string()
                }
                Err(err) => format!("cannot be read: {}", crate::error::io_message(&err)),
            };
            return Err(Error::new(format!(
                "{name}: registry {:?}: line {}: cert-dir {:?} {why}",
                e.registry,
                e.cert_dir_line,
                d.display().to_string()
            )));
        }
    }
    Ok(entries)
}

/// A node of the document: scalars keep their text as written.
#[derive(Debug)]
enum Node {
    /// Text, plain (unquoted)?, line.
    Scalar(String, bool, usize),
    Seq(Vec<Node>, usize),
    Map(Vec<(Node, Node)>, usize),
}

impl Node {
    fn line(&self) -> usize {
        match self {
            Node::Scalar(_, _, l) | Node::Seq(_, l) | Node::Map(_, l) => *l,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Node::Scalar(s, true, _) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    fn what(&self) -> &'static str {
        match self {
            Node::Scalar(..) => "a value",
            Node::Seq(..) => "a list",
            Node::Map(..) => "a mapping",
        }
    }
}

fn at(line: usize, msg: impl std::fmt::Display) -> Error {
    Error::new(format!("line {line}: {msg}"))
}

/// Build the tree of the one document in `text`.
fn document(text: &str) -> Result<Option<Node>> {
    enum Frame {
        Seq(Vec<Node>, usize),
        /// Entries, the key waiting for its value, the keys seen, line.
        Map(Vec<(Node, Node)>, Option<Node>, HashSet<String>, usize),
    }
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let mut docs = 0;
    loop {
        let (ev, mark): (Event, Marker) = parser
            .next_token()
            .map_err(|e| at(e.marker().line(), e.info()))?;
        let line = mark.line();
        let node = match ev {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                docs += 1;
                if docs > 1 {
                    return Err(at(line, "a second document; put every registry in one"));
                }
                continue;
            }
            Event::Alias(_) => return Err(at(line, "aliases (*name) are not supported")),
            // A sync file is a few levels deep; far deeper is no sync
            // file (and a tree that deep would not even drop safely).
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(at(
                    line,
                    format!("nested more than {MAX_DEPTH} levels deep; a sync file is a few"),
                ));
            }
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(Vec::new(), line));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Frame::Map(Vec::new(), None, HashSet::new(), line));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(v, l)) => Node::Seq(v, l),
                _ => unreachable!("the parser pairs sequence events"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(v, _, _, l)) => Node::Map(v, l),
                _ => unreachable!("the parser pairs mapping events"),
            },
            // A core-schema tag says what the text is, as if plain
            // (`!!bool "false"` is false) or quoted (`!!str true`).
            Event::Scalar(s, style, _, tag) => {
                let plain = match tag
                    .as_ref()
                    .filter(|t| matches!(t.handle.as_str(), "tag:yaml.org,2002:" | "!!"))
                {
                    Some(t) => t.suffix != "str",
                    None => style == TScalarStyle::Plain,
                };
                Node::Scalar(s, plain, line)
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(v, _)) => v.push(node),
            Some(Frame::Map(v, key, seen, _)) => match key.take() {
                None => {
                    let Node::Scalar(k, ..) = &node else {
                        return Err(at(node.line(), format!("{} as a key", node.what())));
                    };
                    if !seen.insert(k.clone()) {
                        return Err(at(node.line(), format!("{k:?} is given twice")));
                    }
                    *key = Some(node);
                }
                Some(k) => v.push((k, node)),
            },
        }
    }
    Ok(root)
}

fn key(k: &Node) -> &str {
    match k {
        Node::Scalar(s, ..) => s,
        _ => "",
    }
}

/// A mapping's entries; null is an empty mapping.
fn map<'a>(n: &'a Node, what: &str) -> Result<&'a [(Node, Node)]> {
    match n {
        Node::Map(v, _) => Ok(v),
        n if n.is_null() => Ok(&[]),
        n => Err(at(
            n.line(),
            format!("{what} must be a mapping, not {}", n.what()),
        )),
    }
}

/// A value's text; `line` is its key's (a missing value has none).
fn string(n: &Node, what: &str, line: usize) -> Result<String> {
    match n {
        n if n.is_null() => Err(at(line, format!("{what} is empty"))),
        Node::Scalar(s, ..) => Ok(s.clone()),
        n => Err(at(
            line,
            format!("{what} must be a single value, not {}", n.what()),
        )),
    }
}

/// Parse the text of a sync file.
pub fn parse(text: &str) -> Result<Vec<RegistryEntry>> {
    // A byte-order mark (editors on some systems write one) is not text.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(root) = document(text)? else {
        return Err(Error::new("no registries listed"));
    };
    let regs = map(&root, "the file")?;
    if regs.is_empty() {
        return Err(Error::new("no registries listed"));
    }
    regs.iter()
        .map(|(k, v)| registry(key(k), k.line(), v))
        .collect()
}

/// The registry `name` (its key on line `line`) and its settings `n`.
fn registry(name: &str, line: usize, n: &Node) -> Result<RegistryEntry> {
    let ctx = |e: Error| e.context(format!("registry {name:?}"));
    let host = name.split('/').next().unwrap_or("");
    let host_ok = !host.is_empty()
        && !name.contains("://")
        && !name.ends_with('/')
        && DockerRef::parse(&format!("{host}/x"))
            .is_ok_and(|r| r.domain == host || host == "index.docker.io")
        // (and the namespace, if any: path components)
        && DockerRef::parse(&format!("{name}/x")).is_ok_and(|r| r.tag.is_none());
    if !host_ok {
        return Err(ctx(at(line, "the key must be HOST[:PORT][/NAMESPACE]")));
    }
    let mut r = RegistryEntry {
        registry: name.to_string(),
        ..Default::default()
    };
    for (k, v) in map(n, "a registry's settings").map_err(ctx)? {
        let line = k.line();
        match key(k) {
            "images" => {
                for (repo, refs) in map(v, "images").map_err(ctx)? {
                    let repo = repository(&r.registry, key(repo), repo.line()).map_err(ctx)?;
                    let refs = match refs {
                        Node::Seq(items, _) => items
                            .iter()
                            .map(|i| image_ref(&string(i, "a tag or digest", i.line())?, i.line()))
                            .collect::<Result<Vec<_>>>()
                            .map_err(|e| ctx(e.context(format!("images of {repo:?}"))))?,
                        n if n.is_null() => Vec::new(),
                        n => {
                            return Err(ctx(at(
                                n.line(),
                                format!(
                                    "images of {repo:?} must be a list of tags and digests ([] for every tag), not {}",
                                    n.what()
                                ),
                            )))
                        }
                    };
                    // A tag or digest named twice is one image (gone here,
                    // before anything is listed).
                    let mut seen = HashSet::new();
                    let refs = refs
                        .into_iter()
                        .filter(|rf| {
                            seen.insert(match rf {
                                Ref::Tag(t) => format!(":{t}"),
                                Ref::Digest(d) => d.to_string(),
                            })
                        })
                        .collect();
                    r.images.push((repo, refs));
                }
            }
            "images-by-tag-regex" => {
                for (repo, re) in map(v, "images-by-tag-regex").map_err(ctx)? {
                    let name = repository(&r.registry, key(repo), repo.line()).map_err(ctx)?;
                    let what = format!("images-by-tag-regex of {name:?}");
                    let p = string(re, &what, repo.line()).map_err(ctx)?;
                    let re = tag_regex(&p).map_err(|e| {
                        ctx(at(
                            repo.line(),
                            format!("images-by-tag-regex of {name:?}: {}", one_line(&e)),
                        ))
                    })?;
                    r.by_tag_regex.push((name, re));
                }
            }
            "images-by-semver" => {
                for (repo, c) in map(v, "images-by-semver").map_err(ctx)? {
                    let name = repository(&r.registry, key(repo), repo.line()).map_err(ctx)?;
                    let what = format!("images-by-semver of {name:?}");
                    let c = string(c, &what, repo.line()).map_err(ctx)?;
                    let c = Constraint::parse(&c).map_err(|e| ctx(at(repo.line(), e.message())))?;
                    r.by_semver.push((name, c));
                }
            }
            "credentials" => {
                let (mut user, mut pass) = (None, None);
                for (ck, cv) in map(v, "credentials").map_err(ctx)? {
                    match key(ck) {
                        "username" => user = Some(string(cv, "username", ck.line()).map_err(ctx)?),
                        "password" => pass = Some(string(cv, "password", ck.line()).map_err(ctx)?),
                        other => {
                            return Err(ctx(at(
                                ck.line(),
                                format!(
                                    "unknown key {other:?} in credentials (username, password)"
                                ),
                            )))
                        }
                    }
                }
                match (user, pass) {
                    (Some(u), _) if u.contains(':') => {
                        return Err(ctx(at(line, "a username cannot hold ':'")))
                    }
                    (Some(u), Some(p)) if !u.is_empty() => r.credentials = Some((u, p)),
                    (None, None) => {}
                    _ => return Err(ctx(at(line, "credentials need a username and a password"))),
                }
            }
            "tls-verify" => {
                r.tls_verify = Some(match v {
                    Node::Scalar(s, true, _) => match s.to_ascii_lowercase().as_str() {
                        // (YAML 1.1's booleans, as skopeo's parser reads them)
                        "true" | "yes" | "on" | "y" => true,
                        "false" | "no" | "off" | "n" => false,
                        _ => {
                            return Err(ctx(at(
                                line,
                                format!("tls-verify must be true or false, not {s:?}"),
                            )))
                        }
                    },
                    Node::Scalar(s, false, _) => {
                        return Err(ctx(at(
                            line,
                            format!("tls-verify must be true or false, not the quoted text {s:?} (leave the quotes off)"),
                        )))
                    }
                    n => {
                        return Err(ctx(at(
                            line,
                            format!("tls-verify must be true or false, not {}", n.what()),
                        )))
                    }
                })
            }
            "cert-dir" => {
                // (Empty: not set, as skopeo reads it.)
                let d = string(v, "cert-dir", line).map_err(ctx)?;
                r.cert_dir = (!d.is_empty()).then(|| PathBuf::from(d));
                r.cert_dir_line = line;
            }
            other => {
                return Err(ctx(at(
                    line,
                    format!(
                        "unknown key {other:?} (images, images-by-tag-regex, images-by-semver, \
                         credentials, tls-verify, cert-dir)"
                    ),
                )))
            }
        }
    }
    Ok(r)
}

/// A repository name under the registry: the reference grammar's path
/// (checked by [`DockerRef::parse`]), no tag, no digest.
fn repository(registry: &str, name: &str, line: usize) -> Result<String> {
    match DockerRef::parse(&format!("{registry}/{name}")) {
        Ok(r) if r.tag.is_none() && r.digest.is_none() => Ok(name.to_string()),
        _ => Err(at(
            line,
            format!(
                "{name:?} is not a repository name (lower-case path components, no tag or digest)"
            ),
        )),
    }
}

fn image_ref(s: &str, line: usize) -> Result<Ref> {
    if s.contains(':') && !super::sync::valid_tag(s) {
        return Digest::parse(s)
            .map(Ref::Digest)
            .map_err(|e| at(line, format!("{s:?}: {}", e.message())));
    }
    if super::sync::valid_tag(s) {
        Ok(Ref::Tag(s.to_string()))
    } else {
        Err(at(line, format!("{s:?} is not a tag or a digest")))
    }
}

/// A regex error's last line, which says what is wrong.
pub fn one_line(e: &regex::Error) -> String {
    let s = e.to_string();
    let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    last.trim().trim_start_matches("error: ").to_string()
}

/// A tag regular expression as skopeo compiles it (Go's RE2 syntax),
/// with the regex crate, after two pieces of RE2 it reads otherwise are
/// made plain: `\Q…\E` (the text between taken literally, to the end
/// when no `\E` follows) becomes escaped text, and a `{` that begins no
/// repetition (`a{`, `x{,2}`: literal text in Go, an error here) is
/// escaped. (Both match unanchored.)
pub fn tag_regex(p: &str) -> std::result::Result<Regex, regex::Error> {
    let mut out = String::with_capacity(p.len() + 8);
    let mut rest = p;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' if rest.starts_with('Q') => {
                let (text, tail) = rest[1..].split_once("\\E").unwrap_or((&rest[1..], ""));
                out.push_str(&regex::escape(text));
                rest = tail;
            }
            // Any other escape is the regex crate's to read, with what it
            // escapes (so `\\Q` stays a backslash and a Q), and the braces
            // of `\p{Greek}`, `\x{263a}` with them.
            '\\' => {
                let n = rest.chars().next().map_or(0, char::len_utf8);
                let (e, tail) = rest.split_at(n);
                out.push('\\');
                out.push_str(e);
                rest = tail;
                if matches!(e, "p" | "P" | "x") && rest.starts_with('{') {
                    let n = rest.find('}').map_or(rest.len(), |j| j + 1);
                    out.push_str(&rest[..n]);
                    rest = &rest[n..];
                }
            }
            '{' if !begins_repetition(rest) => out.push_str("\\{"),
            c => out.push(c),
        }
    }
    Regex::new(&out)
}

/// Does a `{` followed by `rest` begin a repetition for Go's regexp:
/// `{N}`, `{N,}` or `{N,M}`?
fn begins_repetition(rest: &str) -> bool {
    let Some((inner, _)) = rest.split_once('}') else {
        return false;
    };
    let (min, max) = inner.split_once(',').unwrap_or((inner, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !min.is_empty() && digits(min) && digits(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_regex_reads_quoted_text_as_go_does() {
        let m = |p: &str, s: &str| tag_regex(p).unwrap().is_match(s);
        assert!(m(r"^\Q1.0\E$", "1.0") && !m(r"^\Q1.0\E$", "1x0"));
        // No \E: literal to the end.
        assert!(m(r"^\Q1.(", "1.(") && !m(r"^\Q1.(", "1x("));
        // Quoted text then more pattern; an escaped backslash before Q.
        assert!(m(r"^\Qa+\Eb*$", "a+bbb") && !m(r"^\Qa+\Eb*$", "aab"));
        assert!(m(r"^\\Q$", r"\Q"));
        assert!(m(r"^\d\.\Q*\E$", "1.*") && !m(r"^\d\.\Q*\E$", "1.1"));
        assert!(tag_regex(r"\Q(\E(").is_err());
        // A brace that begins no repetition is literal text, as in Go.
        assert!(m("a{", "a{") && m(r"^1{,2}$", "1{,2}") && !m(r"^1{,2}$", "1"));
        assert!(m("^x{2}$", "xx") && m("^x{2,}$", "xxx") && m("^x{1,2}$", "x"));
        assert!(!m("^x{2}$", "x{2}"));
        assert!(m(r"^\p{L}{2}$", "ab") && m(r"^\x{61}$", "a") && m(r"^\{$", "{"));
        assert!(m("^[{]}$", "{}") && tag_regex(r"\pL{1001,1000}").is_err());
    }

    const EXAMPLE: &str = r#"
registry.example.com:
    images:
        busybox: []
        redis:
            - "1.0"
            - 2.10
            - "sha256:0000000000000000000000000000000011111111111111111111111111111111"
        bare:
    images-by-tag-regex:
        nginx: ^1\.13\.[12]-alpine-perl$
    images-by-semver:
        alpine: ">= 3.12.0"
    credentials:
        username: john
        password: this is a secret
    tls-verify: true
    cert-dir: /home/john/certs
quay.io:
    tls-verify: false
    images:
        coreos/etcd:
            - latest
empty.example:
"#;

    #[test]
    fn the_documented_example() {
        let r = parse(EXAMPLE).unwrap();
        assert_eq!(r.len(), 3);
        let e = &r[0];
        assert_eq!(e.registry, "registry.example.com");
        assert_eq!(e.images[0], ("busybox".into(), vec![]));
        assert_eq!(
            e.images[1].1[1],
            Ref::Tag("2.10".into()),
            "plain numbers keep their text"
        );
        assert!(matches!(e.images[1].1[2], Ref::Digest(_)));
        assert_eq!(e.images[2], ("bare".into(), vec![]), "no value: every tag");
        assert!(e.by_tag_regex[0].1.is_match("1.13.2-alpine-perl"));
        assert!(e.by_semver[0].1.matches("3.19.1"));
        assert_eq!(
            e.credentials,
            Some(("john".into(), "this is a secret".into()))
        );
        assert_eq!(e.tls_verify, Some(true));
        assert_eq!(e.cert_dir.as_deref(), Some(Path::new("/home/john/certs")));
        assert_eq!(r[1].tls_verify, Some(false));
        assert_eq!(r[1].images[0].0, "coreos/etcd");
        assert!(r[2].images.is_empty());
    }

    /// tls-verify as skopeo's YAML 1.1 parser reads it: y/n too.
    #[test]
    fn tls_verify_takes_yaml_1_1_booleans() {
        for (v, want) in [
            ("n", false),
            ("N", false),
            ("y", true),
            ("Off", false),
            ("YES", true),
        ] {
            let r = parse(&format!("r.io:\n  tls-verify: {v}\n")).unwrap();
            assert_eq!(r[0].tls_verify, Some(want), "{v}");
        }
    }

    #[test]
    fn core_schema_tags_say_what_a_value_is() {
        let r = parse("r.io:\n  tls-verify: !!bool \"false\"\n  images:\n    a: [!!str 1.0]\n")
            .unwrap();
        assert_eq!(r[0].tls_verify, Some(false));
        assert_eq!(r[0].images[0].1[0], Ref::Tag("1.0".into()));
        let e = parse("r.io:\n  tls-verify: !!str true\n").unwrap_err();
        assert!(
            e.message().contains("leave the quotes off"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        // Block lists 300,000 deep: a stack overflow once, when freed.
        let text = format!("{}x\n", "- ".repeat(300_000));
        let e = parse(&text).unwrap_err();
        assert!(e.message().contains("nested more than"), "{}", e.message());
        let ok = format!(
            "r.io:\n  images:\n    a: {}x{}\n",
            "[".repeat(3),
            "]".repeat(3)
        );
        assert!(parse(&ok).unwrap_err().message().contains("line 3"));
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        let r = parse("\u{feff}r.io:\n  images:\n    a: []\n").unwrap();
        assert_eq!(r[0].registry, "r.io");
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let cases = [
            (
                "r.io:\n  image:\n    a: []\n",
                "line 2: unknown key \"image\"",
            ),
            (
                "r.io:\n  images:\n    a: []\n    a: [x]\n",
                "line 4: \"a\" is given twice",
            ),
            (
                "r.io:\n  images:\n    A: []\n",
                "line 3: \"A\" is not a repository name",
            ),
            ("r.io:\n  images:\n    a: [\"x:y\"]\n", "line 3: \"x:y\""),
            (
                "r.io:\n  images:\n    a: latest\n",
                "must be a list of tags and digests",
            ),
            (
                "r.io:\n  tls-verify: maybe\n",
                "tls-verify must be true or false",
            ),
            (
                "r.io:\n  tls-verify: \"false\"\n",
                "tls-verify must be true or false",
            ),
            (
                "r.io:\n  credentials: {username: u}\n",
                "need a username and a password",
            ),
            (
                "r.io:\n  images-by-tag-regex:\n    a: \"(\"\n",
                "images-by-tag-regex of \"a\"",
            ),
            (
                "r.io:\n  images-by-semver:\n    a: latest\n",
                "semver constraint \"latest\"",
            ),
            ("a: &x [1]\nb: *x\n", "aliases (*name) are not supported"),
            ("a:\n  images: {}\n---\nb: {}\n", "a second document"),
            ("# nothing\n", "no registries listed"),
            ("- r.io\n", "the file must be a mapping"),
            ("r.io: [\n", "line "),
            ("docker://r.io:\n  images: {}\n", "HOST[:PORT][/NAMESPACE]"),
            ("..:\n  images: {}\n", "HOST[:PORT][/NAMESPACE]"),
            (
                "r.io/x y:\n  images:\n    a: []\n",
                "HOST[:PORT][/NAMESPACE]",
            ),
            ("r.io/NS:\n  images: {}\n", "line 1: the key must be HOST"),
            ("Bad Host:\n", "line 1: the key must be HOST"),
            (
                "r.io:\n  images: {a: []}\n\nr.io/:\n  images: {}\n",
                "line 4: the key must be HOST",
            ),
            ("r.io:\n  tls-verify: maybe\n", "line 2: tls-verify must be"),
            ("r.io:\n  cert-dir: ~\n", "line 2: cert-dir is empty"),
            (
                "r.io:\n  images-by-semver:\n    a:\n",
                "line 3: images-by-semver of \"a\" is empty",
            ),
            (
                "r.io:\n  credentials: {username: \"a:b\", password: p}\n",
                "cannot hold ':'",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
