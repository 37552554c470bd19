//! What layers lade compressed before became: an uncompressed digest
//! (diff_id) and an algorithm → the compressed blob's digest and size.
//!
//! A layer compressed on the way (a `docker save` archive's or the
//! Docker Engine's, going to a registry) has no digest until it is made;
//! with this, a second push of the same layer asks the destination for
//! the blob it became last time (one HEAD) and skips it, compressing and
//! sending nothing, as skopeo's blob info cache lets it do.
//!
//! It also keeps where blobs were seen in registries (pulled, pushed or
//! found there): a push into another repository of that registry asks
//! for a cross-repository mount from there (up to [`MOUNTS_TRIED`] such
//! places, the latest first) before sending the blob.
//!
//! The file is `$XDG_CACHE_HOME/lade/blob-info` (else
//! `~/.cache/lade/blob-info`), mode 0600, one line per entry:
//! `DIFF_ID ALGORITHM DIGEST SIZE`, or `@ DIGEST HOST REPOSITORY` for a
//! place, appended with O_APPEND; unreadable
//! lines are passed over; rewritten with the latest entries when it
//! grows past [`MAX_LINES`]. `LADE_BLOB_CACHE=off` turns it off. An entry
//! is only ever a compression of that content made by lade, and used
//! only for a blob the destination already holds: a stale one costs a
//! request, never a wrong image.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use crate::model::media_type::Compression;
use crate::model::Digest;

/// Entries kept when the file is rewritten; it is rewritten at twice this.
const MAX_LINES: usize = 50_000;

/// Places kept per blob, and mounts asked for from them.
const PLACES_KEPT: usize = 4;
pub const MOUNTS_TRIED: usize = 2;

type Key = (Digest, &'static str);

#[derive(Default)]
struct Cache {
    path: Option<PathBuf>,
    map: HashMap<Key, (Digest, u64)>,
    /// Blob → (registry host, repository), oldest first.
    places: HashMap<Digest, Vec<(String, String)>>,
    /// Lines in the file (for compaction).
    lines: usize,
}

impl Cache {
    fn add_place(&mut self, digest: Digest, host: &str, repo: &str) -> bool {
        let v = self.places.entry(digest).or_default();
        if v.last().is_some_and(|(h, r)| h == host && r == repo) {
            return false;
        }
        v.retain(|(h, r)| !(h == host && r == repo));
        v.push((host.to_string(), repo.to_string()));
        if v.len() > PLACES_KEPT {
            v.remove(0);
        }
        true
    }
}

fn algorithm(c: Compression) -> Option<&'static str> {
    match c {
        Compression::Gzip => Some("gzip"),
        Compression::Zstd => Some("zstd"),
        _ => None,
    }
}

fn cache_path() -> Option<PathBuf> {
    if std::env::var_os("LADE_BLOB_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(base.join("lade").join("blob-info"))
}

fn parse(text: &str) -> Cache {
    let mut c = Cache::default();
    for line in text.lines() {
        c.lines += 1;
        let f: Vec<&str> = line.split(' ').collect();
        let [a, b, d, e] = f[..] else {
            continue;
        };
        if a == "@" {
            if let Ok(digest) = Digest::parse(b) {
                if !d.is_empty() && !e.is_empty() {
                    c.add_place(digest, d, e);
                }
            }
            continue;
        }
        let alg = match b {
            "gzip" => "gzip",
            "zstd" => "zstd",
            _ => continue,
        };
        let (Ok(diff_id), Ok(digest), Ok(size)) =
            (Digest::parse(a), Digest::parse(d), e.parse::<u64>())
        else {
            continue;
        };
        c.map.insert((diff_id, alg), (digest, size));
    }
    c
}

fn cache() -> &'static Mutex<Cache> {
    static C: OnceLock<Mutex<Cache>> = OnceLock::new();
    C.get_or_init(|| {
        let path = cache_path();
        // A file grown past any size lade writes is not read.
        let text = path
            .as_ref()
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 64 << 20))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let mut c = parse(&text);
        c.path = path;
        Mutex::new(c)
    })
}

/// The blob `diff_id` became under `c` before, if lade made one.
pub fn lookup(diff_id: &Digest, c: Compression) -> Option<(Digest, u64)> {
    let alg = algorithm(c)?;
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .map
        .get(&(diff_id.clone(), alg))
        .cloned()
}

/// Remember that `diff_id` compressed with `c` is `digest` of `size`
/// bytes. Best effort: a cache that cannot be written is no cache.
pub fn record(diff_id: &Digest, c: Compression, digest: &Digest, size: u64) {
    let Some(alg) = algorithm(c) else { return };
    let mut g = cache().lock().unwrap_or_else(|e| e.into_inner());
    let key = (diff_id.clone(), alg);
    if g.map.get(&key) == Some(&(digest.clone(), size)) {
        return;
    }
    g.map.insert(key, (digest.clone(), size));
    let Some(path) = g.path.clone() else { return };
    let _ = write(&mut g, &path, &format!("{diff_id} {alg} {digest} {size}\n"));
}

/// Remember that registry `host` holds `digest` in `repo`.
pub fn record_place(host: &str, repo: &str, digest: &Digest) {
    // Names with spaces or line breaks cannot be registry names.
    if host.contains([' ', '\n']) || repo.contains([' ', '\n']) {
        return;
    }
    let mut g = cache().lock().unwrap_or_else(|e| e.into_inner());
    if !g.add_place(digest.clone(), host, repo) {
        return;
    }
    let Some(path) = g.path.clone() else { return };
    let _ = write(&mut g, &path, &format!("@ {digest} {host} {repo}\n"));
}

/// Other repositories of registry `host` known to hold `digest`, the
/// latest first.
pub fn places(host: &str, digest: &Digest, except_repo: &str) -> Vec<String> {
    let g = cache().lock().unwrap_or_else(|e| e.into_inner());
    g.places.get(digest).map_or_else(Vec::new, |v| {
        v.iter()
            .rev()
            .filter(|(h, r)| h == host && r != except_repo)
            .map(|(_, r)| r.clone())
            .take(MOUNTS_TRIED)
            .collect()
    })
}

fn write(g: &mut Cache, path: &std::path::Path, line: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().expect("the cache file has a directory");
    std::fs::create_dir_all(dir)?;
    if g.lines + 1 >= 2 * MAX_LINES {
        // Keep any MAX_LINES entries (the map has no age): a dropped one
        // costs one compression.
        let mut t = tempfile::Builder::new()
            .prefix(".blob-info")
            .tempfile_in(dir)?;
        let mut n = 0;
        for ((d, a), (c, s)) in g.map.iter().take(MAX_LINES / 2) {
            writeln!(t, "{d} {a} {c} {s}")?;
            n += 1;
        }
        for (d, v) in g.places.iter().take(MAX_LINES / 2 / PLACES_KEPT) {
            for (h, r) in v {
                writeln!(t, "@ {d} {h} {r}")?;
                n += 1;
            }
        }
        t.persist(path).map_err(|e| e.error)?;
        g.lines = n;
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    // One write: concurrent lade processes append whole lines.
    f.write_all(line.as_bytes())?;
    g.lines += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_passed_over() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let text = format!(
            "{a} gzip {b} 12\n{a} zstd {b} x\n{a} lz4 {b} 3\ngarbage\n{a} gzip {b}\n\n{b} zstd {a} 7\n"
        );
        let c = parse(&text);
        let m = c.map;
        assert_eq!(c.lines, 7);
        assert_eq!(m.len(), 2);
        let (a, b) = (Digest::parse(&a).unwrap(), Digest::parse(&b).unwrap());
        assert_eq!(m[&(a.clone(), "gzip")], (b.clone(), 12));
        assert_eq!(m[&(b, "zstd")], (a, 7));
    }

    #[test]
    fn places_keep_the_latest_few() {
        let d = format!("sha256:{}", "c".repeat(64));
        let mut text = String::new();
        for r in ["a", "b", "c", "d", "e", "b"] {
            text.push_str(&format!("@ {d} reg:5000 team/{r}\n"));
        }
        text.push_str(&format!(
            "@ {d} other.io x\n@ {d} reg:5000\n@ nonsense reg:5000 y\n"
        ));
        let c = parse(&text);
        let d = Digest::parse(&d).unwrap();
        let v: Vec<&str> = c.places[&d].iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(v, ["team/d", "team/e", "team/b", "x"]);
    }
}
