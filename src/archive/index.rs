//! An index of the members of an uncompressed tar file, and readers over them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::compress::sniff;
use crate::error::{Error, Result};
use crate::fsutil::read_capped;
use crate::model::Compression;

/// Symlinks followed while resolving one path, at most (as Linux's ELOOP).
const MAX_LINK_HOPS: usize = 40;

/// The type of a tar member, as far as readers of image archives care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    /// A hard link: the data is that of the member named by the link target
    /// (a path from the archive root).
    HardLink,
    /// Devices, FIFOs, sparse files and anything else: never read.
    Other,
}

/// One member of the archive.
#[derive(Debug, Clone)]
pub struct TarEntry {
    /// The normalised path (see [`clean_path`]).
    pub name: String,
    /// Offset of the member's data in the tar file.
    pub offset: u64,
    pub size: u64,
    pub kind: EntryKind,
    /// Link target for symlinks and hard links, as written in the archive.
    pub link: Option<String>,
}

/// Clean a member path lexically: drop empty and `.` components, apply
/// `..` to the component before it, join with `/`. A leading `/` is
/// ignored (members are always relative to the archive root). Returns
/// None when `..` would climb above the root.
pub fn clean_path(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

/// The members of one uncompressed tar file, scanned once.
///
/// Lookups go by normalised path. A name two members have (directories
/// aside) cannot be resolved: extracting the archive would keep the later
/// one, other readers take the first. Members whose names are
/// not UTF-8 or climb above the root cannot be named by a lookup and are
/// left out.
pub struct TarIndex {
    file: Arc<File>,
    len: u64,
    entries: HashMap<String, TarEntry>,
    /// Names in archive order (first occurrence).
    order: Vec<String>,
    /// Names more than one member has (directories aside): what they are
    /// depends on the reader (extraction keeps the last, others the
    /// first), so a path through one is refused.
    twice: std::collections::HashSet<String>,
}

/// The error for a header the tar reader refuses: its complaint without
/// the field bytes it quotes (from a file that may be anything), and where.
pub fn not_tar(e: &io::Error, after: Option<&String>) -> Error {
    let msg = e.to_string();
    if msg.contains("failed to read entire block") {
        return Error::new(match after {
            None => "not a tar archive, or a truncated one (it ends inside the first header)"
                .to_string(),
            Some(m) => format!("truncated archive: it ends inside the header after member {m:?}"),
        });
    }
    // The guard's refusals (a PAX header or a sparse map too big) are
    // said whole: the archive is a tar, one lade will not read.
    if msg.starts_with("tar entry ") {
        return Error::new(format!(
            "archive refused: {}",
            crate::error::escape_controls(&msg)
        ));
    }
    // The tar reader's complaints about a field quote its bytes after a
    // colon ("numeric field was not a number: … when getting …"): cut.
    let what = msg.strip_prefix("tar: ").unwrap_or(&msg);
    let what = if what.contains(" when getting ") {
        what.split(':').next().unwrap_or_default()
    } else {
        what
    };
    let what: String = crate::error::escape_controls(what)
        .chars()
        .take(160)
        .collect();
    match after {
        None => Error::new(format!("not a tar archive ({what})")),
        Some(m) => Error::new(format!(
            "not a valid tar archive: a damaged header after member {m:?} ({what})"
        )),
    }
}

impl TarIndex {
    /// Scan `file` from its start. Fails on a corrupt or truncated archive
    /// (a member whose data would run past the end of the file).
    pub fn scan(mut file: File) -> Result<TarIndex> {
        file.seek(SeekFrom::Start(0))?;
        let len = file.metadata()?.len();
        let mut entries: HashMap<String, TarEntry> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut twice = std::collections::HashSet::new();
        let mut members = 0;
        {
            let mut ar = tar::Archive::new(super::TarGuard::new(&file));
            for e in ar
                .entries_with_seek()
                .map_err(|e| not_tar(&e, order.last()))?
            {
                let e = e.map_err(|e| not_tar(&e, order.last()))?;
                let offset = e.raw_file_position();
                let size = e.size();
                let raw = e.path_bytes();
                members += 1;
                super::check_name_len(&raw, "name", members)?;
                if let Some(l) = e.link_name_bytes() {
                    super::check_name_len(&l, "link target", members)?;
                }
                let Ok(name) = std::str::from_utf8(&raw) else {
                    continue;
                };
                let shown = name.to_string();
                let kind = match e.header().entry_type() {
                    tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
                    tar::EntryType::Directory => EntryKind::Dir,
                    tar::EntryType::Symlink => EntryKind::Symlink,
                    tar::EntryType::Link => EntryKind::HardLink,
                    _ => EntryKind::Other,
                };
                // Only data-bearing members must fit in the file: link and
                // directory headers may carry a nonzero size field that no
                // data follows.
                if kind == EntryKind::File && offset.saturating_add(size) > len {
                    return Err(Error::new(format!(
                        "truncated archive: member {shown:?} needs {} bytes past the end of the file",
                        offset + size - len
                    )));
                }
                let link = e
                    .link_name_bytes()
                    .and_then(|l| std::str::from_utf8(&l).ok().map(str::to_string));
                let Some(name) = clean_path(name) else {
                    continue;
                };
                if name.is_empty() {
                    continue;
                }
                match entries.get(&name) {
                    None => order.push(name.clone()),
                    Some(old) if old.kind == EntryKind::Dir && kind == EntryKind::Dir => {}
                    Some(_) => {
                        twice.insert(name.clone());
                    }
                }
                entries.insert(
                    name.clone(),
                    TarEntry {
                        name,
                        offset,
                        size,
                        kind,
                        link,
                    },
                );
            }
        }
        Ok(TarIndex {
            file: Arc::new(file),
            len,
            entries,
            order,
            twice,
        })
    }

    /// The size of the tar file.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every member, in archive order (the last one of each name).
    pub fn entries(&self) -> impl Iterator<Item = &TarEntry> {
        self.order.iter().map(|n| &self.entries[n])
    }

    /// The member with exactly this (cleaned) name, links not followed.
    pub fn get(&self, name: &str) -> Option<&TarEntry> {
        self.entries.get(&clean_path(name)?)
    }

    /// Resolve `path` (relative to the archive root) to a regular file,
    /// following symlinks and hard links in every component the way
    /// extracting the archive and opening the path would, but never
    /// outside the archive: absolute paths, `..` above the root and links
    /// leading outside are errors. Errors name `path`.
    pub fn resolve(&self, path: &str) -> Result<&TarEntry> {
        let fail = |why: String| Err(Error::new(format!("{path:?}: {why}")));
        if path.starts_with('/') {
            return fail("absolute paths are not allowed in an archive".into());
        }
        if path.is_empty() {
            return fail("empty path".into());
        }
        // Components still to walk, in reverse (pop from the end).
        let mut pending: Vec<String> = path.split('/').rev().map(str::to_string).collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = pending.pop() {
            match c.as_str() {
                "" | "." => continue,
                ".." => {
                    if cur.pop().is_none() {
                        return fail("leads outside the archive".into());
                    }
                    continue;
                }
                _ => cur.push(c),
            }
            let key = cur.join("/");
            let Some(e) = self.entries.get(&key) else {
                continue; // directories need not have members of their own
            };
            if self.twice.contains(&key) {
                return fail(format!("member {key:?} appears twice in the archive"));
            }
            match e.kind {
                EntryKind::Symlink | EntryKind::HardLink => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return fail("too many levels of links".into());
                    }
                    let target = e.link.as_deref().unwrap_or("");
                    if target.starts_with('/') {
                        return fail(format!(
                            "link {key:?} -> {target:?} leads outside the archive"
                        ));
                    }
                    cur.pop();
                    if e.kind == EntryKind::HardLink {
                        // Hard link targets are paths from the archive root.
                        cur.clear();
                    }
                    // Check the link on its own too, for a clear message.
                    let base = cur.join("/");
                    if clean_path(&format!("{base}/{target}")).is_none() {
                        return fail(format!(
                            "link {key:?} -> {target:?} leads outside the archive"
                        ));
                    }
                    pending.extend(target.split('/').rev().map(str::to_string));
                }
                _ => {}
            }
        }
        let key = cur.join("/");
        match self.entries.get(&key) {
            None if self
                .entries
                .keys()
                .any(|k| k.starts_with(&format!("{key}/"))) =>
            {
                fail("is a directory".into())
            }
            // A failure, not a negative answer: the archive names a
            // member it does not have.
            None => fail("no such file in the archive".into()),
            Some(e) if e.kind == EntryKind::File => Ok(e),
            Some(e) if e.kind == EntryKind::Dir => fail("is a directory".into()),
            Some(_) => fail("is not a regular file".into()),
        }
    }

    /// A reader over a member's data (positional reads; any number may be
    /// open at once, from any threads).
    pub fn open(&self, e: &TarEntry) -> EntryReader {
        EntryReader {
            file: self.file.clone(),
            pos: e.offset,
            end: e.offset + e.size,
        }
    }

    /// Resolve `path` and read it whole, refusing members over `cap` bytes.
    pub fn read_small(&self, path: &str, cap: u64) -> Result<Vec<u8>> {
        let e = self.resolve(path)?;
        if e.size > cap {
            return Err(Error::new(format!(
                "{path:?} is {} bytes, more than the {cap} byte limit",
                e.size
            )));
        }
        read_capped(&mut self.open(e), cap, &format!("{path:?}"))
    }

    /// The compression of a member, from its first bytes.
    pub fn sniff(&self, e: &TarEntry) -> Result<Compression> {
        let mut magic = [0u8; 6];
        let n = (e.size as usize).min(magic.len());
        self.file.read_exact_at(&mut magic[..n], e.offset)?;
        Ok(sniff(&magic[..n]))
    }
}

/// Reads one member's data with positional reads on a shared file.
pub struct EntryReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl EntryReader {
    /// Bytes left to read.
    pub fn remaining(&self) -> u64 {
        self.end - self.pos
    }
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len() as u64).min(self.end - self.pos) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive member ends early (file truncated?)",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(build: impl FnOnce(&mut tar::Builder<&mut File>)) -> TarIndex {
        let mut f = tempfile::tempfile().unwrap();
        {
            let mut b = tar::Builder::new(&mut f);
            build(&mut b);
            b.finish().unwrap();
        }
        TarIndex::scan(f).unwrap()
    }

    fn file(b: &mut tar::Builder<&mut File>, name: &str, data: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    }

    fn link(b: &mut tar::Builder<&mut File>, kind: tar::EntryType, name: &str, target: &str) {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(kind);
        // append_link would refuse some of the hostile targets below;
        // write the raw header fields instead.
        h.set_path(name).unwrap();
        h.set_link_name_literal(target).unwrap();
        h.set_cksum();
        b.append(&h, io::empty()).unwrap();
    }

    fn read(ix: &TarIndex, p: &str) -> Result<String> {
        let e = ix.resolve(p)?;
        let mut s = String::new();
        ix.open(e).read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn cleans_paths() {
        assert_eq!(clean_path("./a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(clean_path("/a/../b").as_deref(), Some("b"));
        assert_eq!(clean_path("a/../../b"), None);
        assert_eq!(clean_path("..").as_deref(), None);
    }

    #[test]
    fn resolves_links_inside_and_rejects_escapes() {
        let ix = tar_of(|b| {
            file(b, "./blobs/x.tar", b"data-x");
            file(b, "a/dup", b"old");
            file(b, "a/dup", b"new");
            link(b, tar::EntryType::Symlink, "l1/layer.tar", "../blobs/x.tar");
            link(b, tar::EntryType::Symlink, "dirlink", "blobs");
            link(b, tar::EntryType::Link, "hard", "blobs/x.tar");
            link(b, tar::EntryType::Symlink, "esc", "../../etc/passwd");
            link(b, tar::EntryType::Symlink, "abs", "/etc/passwd");
            link(b, tar::EntryType::Symlink, "loop1", "loop2");
            link(b, tar::EntryType::Symlink, "loop2", "loop1");
        });
        assert_eq!(read(&ix, "blobs/x.tar").unwrap(), "data-x");
        assert_eq!(read(&ix, "l1/layer.tar").unwrap(), "data-x");
        assert_eq!(read(&ix, "dirlink/x.tar").unwrap(), "data-x");
        assert_eq!(read(&ix, "hard").unwrap(), "data-x");
        // two members of one name: neither is taken
        for p in ["a/./dup", "l1/../a/dup"] {
            let e = read(&ix, p).unwrap_err().to_string();
            assert!(e.contains("\"a/dup\" appears twice"), "{p}: {e}");
        }
        for (p, want) in [
            ("../x", "outside"),
            ("/blobs/x.tar", "absolute"),
            ("esc", "outside"),
            ("abs", "outside"),
            ("loop1", "too many levels"),
            ("missing", "no such file"),
            ("blobs", "is a directory"),
            ("a", "is a directory"),
        ] {
            let e = read(&ix, p).unwrap_err().to_string();
            assert!(e.contains(want), "{p}: {e}");
        }
        assert_eq!(ix.entries().count(), 9);
    }

    #[test]
    fn truncated_and_garbage() {
        let mut f = tempfile::tempfile().unwrap();
        {
            let mut b = tar::Builder::new(&mut f);
            file(&mut b, "big", &[7u8; 4096]);
            b.finish().unwrap();
        }
        f.set_len(1024).unwrap();
        let e = TarIndex::scan(f).err().unwrap().to_string();
        assert!(e.contains("truncated"), "{e}");

        let mut g = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut g, &[b'x'; 2048]).unwrap();
        let e = TarIndex::scan(g).err().unwrap().to_string();
        assert!(e.contains("not a tar archive"), "{e}");
    }

    #[test]
    fn concurrent_readers() {
        let ix = tar_of(|b| {
            file(b, "a", &[1u8; 100_000]);
            file(b, "b", &[2u8; 50_000]);
        });
        let (a, b) = (ix.resolve("a").unwrap(), ix.resolve("b").unwrap());
        std::thread::scope(|s| {
            let ta = s.spawn(|| {
                let mut v = Vec::new();
                ix.open(a).read_to_end(&mut v).unwrap();
                v
            });
            let tb = s.spawn(|| {
                let mut v = Vec::new();
                ix.open(b).read_to_end(&mut v).unwrap();
                v
            });
            assert_eq!(ta.join().unwrap(), vec![1u8; 100_000]);
            assert_eq!(tb.join().unwrap(), vec![2u8; 50_000]);
        });
    }
}
