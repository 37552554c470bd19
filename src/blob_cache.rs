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
//! And which compressed blobs lade has seen decompress to which content
//! (read and checked against their diff_id, or made by lade): a layer is
//! taken for its diff_id's content, unread (the destination holding that
//! content already, compressed otherwise), only when its blob is known to
//! be that content, not on its config's word.
//!
//! The file is `$XDG_CACHE_HOME/lade/blob-info` (else
//! `~/.cache/lade/blob-info`), mode 0600, one line per entry:
//! `DIFF_ID ALGORITHM DIGEST SIZE`, `@ DIGEST HOST REPOSITORY` for a
//! place, `= DIGEST DIFF_ID` for a blob seen to be that content, or
//! `1 DIGEST SIZE DIFF_ID` for a schema 1 image's layer read (its size
//! and uncompressed digest, which its manifest does not give: with them
//! a sync finds the image its conversion wrote unchanged without reading
//! the layers again), appended with O_APPEND; unreadable
//! lines are passed over; rewritten with the latest entries when it
//! grows past [`MAX_LINES`]. `LADE_BLOB_CACHE=off` turns it off. An entry
//! is only ever a compression of that content made by lade, and used
//! only for a blob the destination already holds: a stale one costs a
//! request, never a wrong image.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::model::media_type::Compression;
use crate::model::Digest;

/// Entries kept when the file is rewritten (half of them what layers
/// became, half places); it is rewritten at twice this many lines.
const MAX_LINES: usize = 50_000;
/// A file this big is not read (and is rewritten at the next write).
const MAX_FILE: u64 = 64 << 20;

/// Places kept per blob, and mounts asked for from them.
const PLACES_KEPT: usize = 4;
pub const MOUNTS_TRIED: usize = 2;

type Key = (Digest, &'static str);

#[derive(Default)]
struct Cache {
    path: Option<PathBuf>,
    /// (diff_id, algorithm) → (blob, size, when learnt).
    map: HashMap<Key, (Digest, u64, u64)>,
    /// Blob → (registry host, repository, when learnt), oldest first.
    places: HashMap<Digest, Vec<(String, String, u64)>>,
    /// Compressed blob → (the diff_id it was seen to decompress to, when
    /// learnt); those lade made are in `map`.
    unpacked: HashMap<Digest, (Digest, u64)>,
    /// Schema 1 layers read → (size, diff_id, when learnt).
    schema1: HashMap<Digest, (u64, Digest, u64)>,
    /// The order entries were learnt in.
    seq: u64,
    /// Lines in the file (for compaction).
    lines: usize,
}

impl Cache {
    fn add_place(&mut self, digest: Digest, host: &str, repo: &str) -> bool {
        self.seq += 1;
        let seq = self.seq;
        let v = self.places.entry(digest).or_default();
        if v.last().is_some_and(|(h, r, _)| h == host && r == repo) {
            return false;
        }
        v.retain(|(h, r, _)| !(h == host && r == repo));
        v.push((host.to_string(), repo.to_string(), seq));
        if v.len() > PLACES_KEPT {
            v.remove(0);
        }
        true
    }

    /// Is `blob` known to decompress to `diff_id`: seen to (a schema 1
    /// layer read too), or made of it?
    fn unpacks_to(&self, blob: &Digest, diff_id: &Digest) -> bool {
        self.unpacked.get(blob).is_some_and(|(d, _)| d == diff_id)
            || self.schema1.get(blob).is_some_and(|(_, d, _)| d == diff_id)
            || ["gzip", "zstd"].iter().any(|a| {
                self.map
                    .get(&(diff_id.clone(), *a))
                    .is_some_and(|(made, _, _)| made == blob)
            })
    }

    fn add_unpacked(&mut self, blob: Digest, diff_id: Digest) -> bool {
        if self.unpacks_to(&blob, &diff_id) {
            return false;
        }
        self.seq += 1;
        self.unpacked.insert(blob, (diff_id, self.seq));
        true
    }

    fn add_schema1(&mut self, blob: Digest, size: u64, diff_id: Digest) -> bool {
        if self
            .schema1
            .get(&blob)
            .is_some_and(|(s, d, _)| *s == size && *d == diff_id)
        {
            return false;
        }
        self.seq += 1;
        self.schema1.insert(blob, (size, diff_id, self.seq));
        true
    }

    fn add(&mut self, key: Key, digest: Digest, size: u64) -> bool {
        if self
            .map
            .get(&key)
            .is_some_and(|(d, s, _)| *d == digest && *s == size)
        {
            return false;
        }
        self.seq += 1;
        self.map.insert(key, (digest, size, self.seq));
        true
    }

    /// The latest entries, as the file's lines.
    fn latest_lines(&self) -> Vec<String> {
        let mut made: Vec<_> = self.map.iter().collect();
        made.sort_by_key(|(_, (_, _, seq))| std::cmp::Reverse(*seq));
        let mut places: Vec<(&Digest, &(String, String, u64))> = self
            .places
            .iter()
            .flat_map(|(d, v)| v.iter().map(move |p| (d, p)))
            .collect();
        places.sort_by_key(|(_, (_, _, seq))| std::cmp::Reverse(*seq));
        let mut unpacked: Vec<_> = self.unpacked.iter().collect();
        unpacked.sort_by_key(|(_, (_, seq))| std::cmp::Reverse(*seq));
        let mut schema1: Vec<_> = self.schema1.iter().collect();
        schema1.sort_by_key(|(_, (_, _, seq))| std::cmp::Reverse(*seq));
        let mut out: Vec<(u64, String)> = made
            .into_iter()
            .take(MAX_LINES / 2)
            .map(|((d, a), (c, s, q))| (*q, format!("{d} {a} {c} {s}\n")))
            .chain(
                places
                    .into_iter()
                    .take(MAX_LINES / 2)
                    .map(|(d, (h, r, q))| (*q, format!("@ {d} {h} {r}\n"))),
            )
            .chain(
                unpacked
                    .into_iter()
                    .take(MAX_LINES / 2)
                    .map(|(b, (d, q))| (*q, format!("= {b} {d}\n"))),
            )
            .chain(
                schema1
                    .into_iter()
                    .take(MAX_LINES / 4)
                    .map(|(b, (s, d, q))| (*q, format!("1 {b} {s} {d}\n"))),
            )
            .collect();
        // Oldest first, as appended.
        out.sort_by_key(|(q, _)| *q);
        out.into_iter().map(|(_, l)| l).collect()
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
    let base = match crate::fsutil::xdg_dir("XDG_CACHE_HOME") {
        Some(x) => x,
        None => crate::fsutil::home_dir()?.join(".cache"),
    };
    Some(base.join("lade").join("blob-info"))
}

fn parse(text: &str) -> Cache {
    let mut c = Cache::default();
    for line in text.lines() {
        c.lines += 1;
        let f: Vec<&str> = line.split(' ').collect();
        if let ["=", b, d] = f[..] {
            if let (Ok(blob), Ok(diff_id)) = (Digest::parse(b), Digest::parse(d)) {
                c.add_unpacked(blob, diff_id);
            }
            continue;
        }
        let [a, b, d, e] = f[..] else {
            continue;
        };
        if a == "1" {
            if let (Ok(blob), Ok(size), Ok(diff_id)) =
                (Digest::parse(b), d.parse::<u64>(), Digest::parse(e))
            {
                c.add_schema1(blob, size, diff_id);
            }
            continue;
        }
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
        c.add((diff_id, alg), digest, size);
    }
    c
}

/// The file's entries; None when it cannot be read, or is too big to.
fn read(path: &std::path::Path) -> Option<Cache> {
    // A regular file only: a symlink or FIFO in its place is unreadable
    // (and replaced by the next compaction, never written through).
    let f = match crate::fsutil::open_regular_nofollow(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Cache::default()),
        Err(_) => return None,
        Ok(f) => f,
    };
    if f.metadata().ok()?.len() >= MAX_FILE {
        return None;
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(&f, MAX_FILE), &mut bytes).ok()?;
    // A damaged line spoils itself only.
    Some(parse(&String::from_utf8_lossy(&bytes)))
}

fn cache() -> &'static Mutex<Cache> {
    static C: OnceLock<Mutex<Cache>> = OnceLock::new();
    C.get_or_init(|| {
        let path = cache_path();
        let mut c = match &path {
            Some(p) => read(p).unwrap_or(Cache {
                // Unreadable: replaced at the first write.
                lines: 2 * MAX_LINES,
                ..Default::default()
            }),
            None => Cache::default(),
        };
        c.path = path;
        Mutex::new(c)
    })
}

static LEARN: AtomicBool = AtomicBool::new(false);

/// Write what this process learns to the file (copy and sync; other
/// commands only read it).
pub fn learn() {
    LEARN.store(true, Ordering::Relaxed);
}

/// The blob `diff_id` became under `c` before, if lade made one.
pub fn lookup(diff_id: &Digest, c: Compression) -> Option<(Digest, u64)> {
    let alg = algorithm(c)?;
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .map
        .get(&(diff_id.clone(), alg))
        .map(|(d, s, _)| (d.clone(), *s))
}

/// Remember that `diff_id` compressed with `c` is `digest` of `size`
/// bytes. Best effort: a cache that cannot be written is no cache.
pub fn record(diff_id: &Digest, c: Compression, digest: &Digest, size: u64) {
    let Some(alg) = algorithm(c) else { return };
    let new = cache().lock().unwrap_or_else(|e| e.into_inner()).add(
        (diff_id.clone(), alg),
        digest.clone(),
        size,
    );
    if new {
        append(format!("{diff_id} {alg} {digest} {size}\n"));
    }
}

/// Is `blob` known to decompress to `diff_id` (seen to, or made of it)?
pub fn unpacks_to(blob: &Digest, diff_id: &Digest) -> bool {
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unpacks_to(blob, diff_id)
}

/// Remember that `blob` was read and decompresses to `diff_id`.
pub fn record_unpacked(blob: &Digest, diff_id: &Digest) {
    if blob == diff_id {
        return;
    }
    let new = cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .add_unpacked(blob.clone(), diff_id.clone());
    if new {
        append(format!("= {blob} {diff_id}\n"));
    }
}

/// What a schema 1 image's layer `blob` was seen to be when read: its
/// size and uncompressed digest.
pub fn schema1_layer(blob: &Digest) -> Option<(u64, Digest)> {
    let g = cache().lock().unwrap_or_else(|e| e.into_inner());
    g.schema1.get(blob).map(|(s, d, _)| (*s, d.clone()))
}

/// Remember that schema 1 layer `blob`, read, is `size` bytes and
/// decompresses to `diff_id` (itself, uncompressed).
pub fn record_schema1_layer(blob: &Digest, size: u64, diff_id: &Digest) {
    let new = cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .add_schema1(blob.clone(), size, diff_id.clone());
    if new {
        append(format!("1 {blob} {size} {diff_id}\n"));
    }
}

/// Remember that registry `host` holds `digest` in `repo`.
pub fn record_place(host: &str, repo: &str, digest: &Digest) {
    // Names with spaces or line breaks cannot be registry names.
    if host.is_empty()
        || repo.is_empty()
        || host.contains([' ', '\n'])
        || repo.contains([' ', '\n'])
    {
        return;
    }
    let new =
        cache()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add_place(digest.clone(), host, repo);
    if new {
        append(format!("@ {digest} {host} {repo}\n"));
    }
}

/// Other repositories of registry `host` known to hold `digest`, the
/// latest first.
pub fn places(host: &str, digest: &Digest, except_repo: &str) -> Vec<String> {
    let g = cache().lock().unwrap_or_else(|e| e.into_inner());
    g.places.get(digest).map_or_else(Vec::new, |v| {
        v.iter()
            .rev()
            .filter(|(h, r, _)| h == host && r != except_repo)
            .map(|(_, r, _)| r.clone())
            .take(MOUNTS_TRIED)
            .collect()
    })
}

/// Append `line` to the file (one write, so that lade processes running
/// at once append whole lines), and rewrite it with the latest entries
/// when it has grown past twice [`MAX_LINES`]. Not under the cache's
/// lock: lookups go on meanwhile.
fn append(line: String) {
    if !LEARN.load(Ordering::Relaxed) {
        return;
    }
    let (path, full) = {
        let mut g = cache().lock().unwrap_or_else(|e| e.into_inner());
        let Some(p) = g.path.clone() else { return };
        g.lines += 1;
        (p, g.lines >= 2 * MAX_LINES)
    };
    let _ = (|| -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let dir = path.parent().expect("the cache file has a directory");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        // Never through a symlink, never onto a FIFO or device.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(
                (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32,
            )
            .open(&path)?;
        if !f.metadata()?.is_file() {
            return Ok(());
        }
        if f.metadata()?.permissions().mode() & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(line.as_bytes())?;
        if full {
            compact(&path, dir)?;
        }
        Ok(())
    })();
}

/// Rewrite the file with its latest entries (what other processes
/// appended included).
fn compact(path: &std::path::Path, dir: &std::path::Path) -> std::io::Result<()> {
    static ONE: Mutex<()> = Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let lines = read(path).unwrap_or_default().latest_lines();
    let mut t = crate::fsutil::tracked(|| {
        tempfile::Builder::new()
            .prefix(".blob-info")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .tempfile_in(dir)
    })?;
    let mut w = std::io::BufWriter::new(t.as_file_mut());
    for l in &lines {
        w.write_all(l.as_bytes())?;
    }
    w.flush()?;
    drop(w);
    t.persist(path).map_err(|e| e.error)?;
    cache().lock().unwrap_or_else(|e| e.into_inner()).lines = lines.len();
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
        assert_eq!(m[&(a.clone(), "gzip")].0, b);
        assert_eq!(m[&(a.clone(), "gzip")].1, 12);
        assert_eq!(m[&(b, "zstd")].0, a);
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
        let v: Vec<&str> = c.places[&d].iter().map(|(_, r, _)| r.as_str()).collect();
        assert_eq!(v, ["team/d", "team/e", "team/b", "x"]);
    }

    #[test]
    fn a_rewrite_keeps_the_latest() {
        let mut c = Cache::default();
        let d = |i: usize| Digest::parse(&format!("sha256:{i:064x}")).unwrap();
        for i in 0..MAX_LINES {
            c.add((d(i), "gzip"), d(i + 1), 1);
            c.add_place(d(i), "reg", "a");
        }
        // An old entry learnt again is new.
        c.add((d(0), "gzip"), d(7), 2);
        let lines = c.latest_lines();
        assert_eq!(lines.len(), MAX_LINES);
        let text: String = lines.concat();
        let back = parse(&text);
        assert_eq!(back.map[&(d(0), "gzip")].0, d(7));
        assert!(back.map.contains_key(&(d(MAX_LINES - 1), "gzip")));
        assert!(!back.map.contains_key(&(d(1), "gzip")));
        assert!(back.places.contains_key(&d(MAX_LINES - 1)));
        assert!(!back.places.contains_key(&d(1)));
    }

    /// A blob seen to decompress to a diff_id, and one lade made of it,
    /// are known to be that content; the lines come back from the file.
    #[test]
    fn blobs_known_to_be_their_content() {
        let d = |c: char| Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap();
        let text = format!(
            "= {} {}\n{} zstd {} 10\n= nonsense {}\n",
            d('a'),
            d('1'),
            d('2'),
            d('b'),
            d('3')
        );
        let c = parse(&text);
        assert_eq!(c.unpacked[&d('a')].0, d('1'));
        assert_eq!(c.unpacked.len(), 1);
        let back = parse(&c.latest_lines().concat());
        assert_eq!(back.unpacked[&d('a')].0, d('1'));
        assert_eq!(back.map[&(d('2'), "zstd")].0, d('b'));
    }

    /// A schema 1 layer's size and diff_id come back from the file; a
    /// line that does not read is passed over.
    #[test]
    fn schema1_layers_read_are_kept() {
        let d = |c: char| Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap();
        let text = format!(
            "1 {} 42 {}\n1 {} x {}\n1 nonsense 3 {}\n",
            d('a'),
            d('1'),
            d('b'),
            d('2'),
            d('3')
        );
        let c = parse(&text);
        assert_eq!(c.schema1.len(), 1);
        let back = parse(&c.latest_lines().concat());
        let (size, diff_id, _) = &back.schema1[&d('a')];
        assert_eq!((*size, diff_id), (42, &d('1')));
    }

    #[test]
    fn an_unreadable_file_is_no_cache() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("blob-info");
        let a = format!("sha256:{}", "a".repeat(64));
        std::fs::write(
            &p,
            [format!("{a} gzip {a} 3\n").as_bytes(), b"\xff\xfe\n"].concat(),
        )
        .unwrap();
        let c = read(&p).unwrap();
        assert_eq!(c.map.len(), 1, "a damaged line spoils itself only");
        assert!(read(&t.path().join("none")).unwrap().map.is_empty());
        std::fs::File::create(&p)
            .unwrap()
            .set_len(MAX_FILE)
            .unwrap();
        assert!(read(&p).is_none());
    }
}
