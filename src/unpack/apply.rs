//! Applying one layer (an uncompressed tar stream) onto a root directory.
//!
//! Rules (OCI image-spec layer.md, with Docker's and umoci's behaviour where
//! the spec is silent):
//! - names are cleaned by [`super::path::components`]; `..` and absolute
//!   names are refused, and so is anything but a directory for the root;
//! - parent directories are resolved inside the root ([`super::root`]),
//!   missing ones are created 0755;
//! - an entry replaces whatever the name held before (a directory entry
//!   over a directory keeps it and its contents, as overlay filesystems
//!   do); the old node is unlinked first, so a link is replaced, never
//!   written through;
//! - `.wh.NAME` removes what lower layers put at NAME, and
//!   `.wh..wh..opq` what lower layers put in its directory, at any depth:
//!   both keep what this layer put there (and the directories on the way
//!   to it), wherever in the stream the marker comes, as the OCI image spec
//!   says ("files present in the same layer as a whiteout file can only be
//!   hidden by whiteout files in subsequent layers"); a marker in a
//!   directory that is not there, or under a file (or a symlink to one),
//!   has nothing to hide: it is passed over and makes nothing, as umoci
//!   does;
//! - hard links point at a name inside the root, resolved the same way;
//! - a regular file's whole blocks of zeros (a GNU sparse entry's holes
//!   among them) are left as holes, so they take no disk, as GNU tar
//!   does for sparse entries;
//! - owners are set when running as root (not `rootless`), modes after
//!   owners (chown clears setuid), times last; directory times (and, when
//!   rootless, the modes of directories we could not otherwise write into)
//!   at the end of the layer, once their contents are in place;
//! - rootless, a directory a lower layer left without owner rwx (Fedora's
//!   /root is 0550) is given it while this layer writes there, checked to
//!   be a directory and changed through its parent (never through a
//!   symlink), and gets its mode back at the end of the layer.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::FileExt;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, XattrFlags};
use rustix::io::Errno;
use rustix::process::{Gid, Uid};
use tar::EntryType;

use super::path::{aufs_meta, classify, components, join, show, Leaf, MAX_DEPTH};
use super::root::{list_dir, remove_all, type_of, DirFd, Root};
use crate::archive::entry_kind;
use crate::error::{Error, Result};

/// How to apply layers.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Leave files owned by the caller instead of the layer's uid/gid, and
    /// skip device nodes.
    pub rootless: bool,
}

/// What applying a layer did.
#[derive(Debug, Clone, Default)]
pub struct ApplyStats {
    pub entries: u64,
    pub bytes: u64,
    pub whiteouts: u64,
    /// Device nodes not created (not root).
    pub devices_skipped: u64,
    /// Extended attributes the filesystem refused.
    pub xattrs_skipped: u64,
    /// Entries of types lade does not create.
    pub unknown_skipped: u64,
    /// The first [`UNKNOWN_EXAMPLES`] of them, by name and type.
    pub unknown_examples: Vec<String>,
}

/// The most bytes of holes the GNU sparse entries of one layer may have
/// (read as zeros at about 10-20 GB/s: a few seconds).
pub const SPARSE_HOLES_MAX: u64 = 64 << 30;

/// How many skipped entries [`ApplyStats`] names; the rest are counted.
pub const UNKNOWN_EXAMPLES: usize = 10;

struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: Timespec,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// A GNU sparse file in PAX form: where its data goes.
    sparse: Option<PaxSparse>,
}

/// The directories whose time (and maybe mode) is set when the layer
/// ends: a tree of names with one node per directory, however often the
/// layer names it, so it grows with the directories on disk and not with
/// the stream.
#[derive(Default)]
struct Deferred {
    nodes: Vec<DirNode>,
    /// Keyed hash of (parent node, name) to node.
    index: HashMap<u64, u32>,
}

struct DirNode {
    /// [`NO_PARENT`] for a directory at the root.
    parent: u32,
    name: Box<[u8]>,
    /// The mode to set at the end (it was widened meanwhile).
    mode: Option<u32>,
    mtime: Option<Timespec>,
    /// Its time before this layer changed it was looked for.
    kept: bool,
}

const NO_PARENT: u32 = u32::MAX;

impl Deferred {
    /// The node of the directory `comps` (not the root), made with its
    /// parents if new. A parent is always made before its children.
    fn node(&mut self, hasher: &RandomState, comps: &[&[u8]]) -> Result<usize> {
        self.chain(hasher, comps, |_| ())
    }

    /// [`Deferred::node`], calling `each` with the node of every directory
    /// on the way (`comps[..1]`, `comps[..2]`, …) in one pass.
    fn chain(
        &mut self,
        hasher: &RandomState,
        comps: &[&[u8]],
        mut each: impl FnMut(u32),
    ) -> Result<usize> {
        let mut at = NO_PARENT;
        for c in comps {
            let k = hasher.hash_one((at, *c));
            at = match self.index.get(&k) {
                Some(&i) => {
                    let n = &self.nodes[i as usize];
                    if n.parent != at || &*n.name != *c {
                        return Err(Error::new("directory bookkeeping: hash collision"));
                    }
                    i
                }
                None => {
                    let i = u32::try_from(self.nodes.len())
                        .ok()
                        .filter(|&i| i != NO_PARENT)
                        .ok_or_else(|| Error::new("too many directories"))?;
                    self.nodes.push(DirNode {
                        parent: at,
                        name: (*c).into(),
                        mode: None,
                        mtime: None,
                        kept: false,
                    });
                    self.index.insert(k, i);
                    i
                }
            };
            each(at);
        }
        Ok(at as usize)
    }

    /// The names from the root to node `i`.
    fn comps(&self, i: usize) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut i = i as u32;
        while i != NO_PARENT {
            let n = &self.nodes[i as usize];
            out.push(&*n.name);
            i = n.parent;
        }
        out.reverse();
        out
    }
}

/// A way to resolve a directory ([`Root::dir`], [`Root::dir_or_blocked`]).
type Resolve = fn(&mut Root, &[&[u8]], bool) -> Result<Option<DirFd>>;

struct Applier<'a> {
    root: &'a mut Root,
    opts: &'a ApplyOptions,
    stats: ApplyStats,
    /// Keyed hashes of the names this layer created (for opaque markers).
    created: HashSet<u64>,
    /// Keyed hashes of the directories above those names.
    holders: HashSet<u64>,
    hasher: RandomState,
    deferred: Deferred,
    /// The root's mode, set at the end (rootless: widened meanwhile).
    root_mode: Option<u32>,
    /// The time the layer's root entry (`./`) gives, set at the end (what
    /// the layer puts into the root changes it meanwhile).
    root_mtime: Option<Timespec>,
    /// Bytes of holes of the GNU sparse entries so far.
    sparse_holes: u64,
    buf: Vec<u8>,
}

/// Apply the tar stream `r` onto `root`.
pub fn apply_layer(root: &mut Root, r: impl Read, opts: &ApplyOptions) -> Result<ApplyStats> {
    let mut a = Applier {
        root,
        opts,
        stats: ApplyStats::default(),
        created: HashSet::new(),
        holders: HashSet::new(),
        hasher: RandomState::new(),
        deferred: Deferred::default(),
        root_mode: None,
        root_mtime: None,
        sparse_holes: 0,
        buf: vec![0; 256 << 10],
    };
    let mut ar = tar::Archive::new(r);
    for entry in ar.entries().map_err(layer_error)? {
        if crate::fsutil::abandoning() {
            return Err(Error::new("interrupted"));
        }
        let mut e = entry.map_err(layer_error)?;
        let name = entry_name(&mut e)
            .map_err(|err| err.context(format!("entry {}", show(&e.path_bytes()))))?;
        a.entry(&mut e, &name)
            .map_err(|err| err.context(format!("entry {}", show(&name))))?;
    }
    // The parser ends at the first zero block. Go's archive/tar (Docker,
    // containerd, umoci) wants a second one, or the stream's end, after
    // it, and refuses the layer otherwise: entries after a lone zero
    // block would be in it for those, not here.
    let mut next = [0u8; 512];
    let n = crate::fsutil::read_up_to(&mut ar.into_inner(), &mut next).map_err(layer_error)?;
    if next[..n].iter().any(|&b| b != 0) {
        return Err(Error::new(
            "reading the layer: a lone zero block, with more of the archive after it \
             (tools disagree on whether it ends there)",
        ));
    }
    a.drop_aufs_meta()?;
    a.finish()?;
    Ok(a.stats)
}

/// A GNU sparse file in PAX form (GNU tar's `--sparse --format=posix`,
/// formats 0.0, 0.1 and 1.0): the entry's data holds only the pieces of
/// the file that are not holes, placed by a map.
#[derive(Debug, Clone)]
struct PaxSparse {
    /// The whole file's size (`GNU.sparse.size` or `GNU.sparse.realsize`;
    /// without either, the entry's).
    size: Option<u64>,
    /// (offset, length) of each piece, in order; None for format 1.0,
    /// whose map heads the entry's data.
    map: Option<Vec<(u64, u64)>>,
}

/// The `GNU.sparse.*` records of an entry's PAX header, as Go's
/// archive/tar reads them (Docker, containerd, umoci).
#[derive(Default)]
struct SparseRecords {
    major: Option<Vec<u8>>,
    minor: Option<Vec<u8>>,
    size: Option<Vec<u8>>,
    realsize: Option<Vec<u8>>,
    numblocks: Option<Vec<u8>>,
    map: Option<Vec<u8>>,
    /// Format 0.0's `GNU.sparse.offset` and `GNU.sparse.numbytes`
    /// records, in turn.
    pairs: Vec<Vec<u8>>,
}

impl SparseRecords {
    fn take(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let v = Some(value.to_vec());
        match key {
            b"GNU.sparse.major" => self.major = v,
            b"GNU.sparse.minor" => self.minor = v,
            b"GNU.sparse.size" => self.size = v,
            b"GNU.sparse.realsize" => self.realsize = v,
            b"GNU.sparse.numblocks" => self.numblocks = v,
            b"GNU.sparse.map" => self.map = v,
            b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => {
                let want: &[u8] = match self.pairs.len() % 2 {
                    0 => b"GNU.sparse.offset",
                    _ => b"GNU.sparse.numbytes",
                };
                if key != want || value.contains(&b',') {
                    return Err(Error::new(
                        "a GNU sparse map whose offset and numbytes records do not alternate",
                    ));
                }
                self.pairs.push(value.to_vec());
            }
            _ => {}
        }
        Ok(())
    }

    /// Is it a sparse file, and of which format (true: 1.0)? As Go: a
    /// version 0.0, 0.1 or 1.0, or no version and a map.
    fn format(&self) -> Result<Option<bool>> {
        let has_map = !self.pairs.is_empty() || self.map.as_deref().is_some_and(|m| !m.is_empty());
        match (self.major.as_deref(), self.minor.as_deref()) {
            (Some(b"0"), Some(b"0" | b"1")) => Ok(Some(false)),
            (Some(b"1"), Some(b"0")) => Ok(Some(true)),
            (None, None) => Ok(has_map.then_some(false)),
            (major, minor) => Err(Error::new(format!(
                "a GNU sparse file of PAX format {}.{}, which lade does not know \
                 (0.0, 0.1 and 1.0 it unpacks)",
                String::from_utf8_lossy(major.unwrap_or_default()),
                String::from_utf8_lossy(minor.unwrap_or_default())
            ))),
        }
    }

    /// The sparse file these records make of the entry, if any.
    fn resolve(self) -> Result<Option<PaxSparse>> {
        let bad = |what: &str| Error::new(format!("a GNU sparse file with a bad {what}"));
        let Some(one_zero) = self.format()? else {
            return Ok(None);
        };
        let size = match self.size.as_deref().or(self.realsize.as_deref()) {
            None => None,
            Some(s) => Some(decimal(s).ok_or_else(|| bad("size"))?),
        };
        if one_zero {
            return Ok(Some(PaxSparse { size, map: None }));
        }
        let n = self
            .numblocks
            .as_deref()
            .and_then(decimal)
            .ok_or_else(|| bad("numblocks"))?;
        let joined;
        let fields: Vec<&[u8]> = if self.pairs.is_empty() {
            joined = self.map.unwrap_or_default();
            match joined.as_slice() {
                b"" => Vec::new(),
                m => m.split(|&b| b == b',').collect(),
            }
        } else {
            self.pairs.iter().map(Vec::as_slice).collect()
        };
        if fields.len() as u64 != n.saturating_mul(2) {
            return Err(bad("map (its numblocks and its length disagree)"));
        }
        let map = fields
            .chunks(2)
            .map(|p| Some((decimal(p[0])?, decimal(p[1])?)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("map"))?;
        Ok(Some(PaxSparse {
            size,
            map: Some(map),
        }))
    }
}

/// A decimal number of at most 63 bits, as in a GNU sparse map.
fn decimal(s: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(s).ok()?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|&v| v <= i64::MAX as u64)
}

/// The most bytes the map at the head of a format 1.0 sparse file's data
/// may take (each piece some 4 bytes or more of it).
const SPARSE_MAP_MAX: u64 = 4 << 20;

/// Read the map that heads a format 1.0 sparse file's data: a line with
/// the number of pieces, then a line with each one's offset and one with
/// its length, in whole 512-byte blocks. Returns it and the bytes read.
fn read_sparse_map<R: Read>(e: &mut R) -> Result<(Vec<(u64, u64)>, u64)> {
    let bad = || Error::new("a GNU sparse file (format 1.0) whose map does not read");
    let mut text = Vec::new();
    let mut block = [0u8; 512];
    let mut read = 0u64;
    let mut lines = 0u64;
    let mut want = 1u64;
    let mut count = None;
    loop {
        while lines < want {
            if read >= SPARSE_MAP_MAX {
                return Err(Error::new(format!(
                    "a GNU sparse file (format 1.0) whose map takes more than {} MiB",
                    SPARSE_MAP_MAX >> 20
                )));
            }
            if crate::fsutil::read_up_to(e, &mut block)? != block.len() {
                return Err(bad());
            }
            read += 512;
            lines += block.iter().filter(|&&b| b == b'\n').count() as u64;
            text.extend_from_slice(&block);
        }
        match count {
            None => {
                let first = text.split(|&b| b == b'\n').next().ok_or_else(bad)?;
                let n = decimal(first).ok_or_else(bad)?;
                count = Some(n);
                want = n
                    .checked_mul(2)
                    .and_then(|w| w.checked_add(1))
                    .ok_or_else(bad)?;
            }
            Some(_) => break,
        }
    }
    let mut fields = text.split(|&b| b == b'\n').skip(1);
    let mut map = Vec::new();
    for _ in 0..count.unwrap_or(0) {
        let off = fields.next().and_then(decimal).ok_or_else(bad)?;
        let len = fields.next().and_then(decimal).ok_or_else(bad)?;
        map.push((off, len));
    }
    Ok((map, read))
}

/// Are the pieces of a sparse map in order, apart, and within `size`?
fn sparse_map_fits(map: &[(u64, u64)], size: u64) -> bool {
    let mut end = 0u64;
    map.iter().all(|&(off, len)| {
        let fits = off >= end && off.checked_add(len).is_some_and(|e| e <= size);
        end = off.saturating_add(len);
        fits
    })
}

/// An entry's name as Go's archive/tar reads it (so Docker, containerd
/// and umoci), where the tar crate reads it otherwise:
/// - a GNU sparse file in PAX form (formats 0.1 and 1.0) has its name in
///   `GNU.sparse.name`, the header's being a made-up one
///   (`./GNUSparseFile.PID/NAME`): it wins;
/// - a GNU long name (type `L`) ends at its first NUL (writers pad it with
///   NULs; the tar crate drops one); an empty one is no name, and the
///   PAX path or the header's name stands;
/// - a PAX `path` or `linkpath` holding a NUL is refused, as Go refuses it;
/// - the header's own name is read by [`go_header_name`].
fn entry_name<R: Read>(e: &mut tar::Entry<R>) -> Result<Vec<u8>> {
    let name = e.path_bytes().into_owned();
    let mut pax_path = None;
    if let Some(pax) = e.pax_extensions()? {
        let mut records = SparseRecords::default();
        let mut sparse_name = None;
        for ext in pax {
            let ext = ext?;
            match ext.key_bytes() {
                b"GNU.sparse.name" => sparse_name = Some(ext.value_bytes().to_vec()),
                k if k.starts_with(b"GNU.sparse.") => records.take(k, ext.value_bytes())?,
                k @ (b"path" | b"linkpath") => {
                    if ext.value_bytes().contains(&0) {
                        return Err(Error::new(format!(
                            "a PAX {} record holding a NUL byte",
                            String::from_utf8_lossy(k)
                        )));
                    }
                    if k == b"path" {
                        pax_path = Some(ext.value_bytes().to_vec());
                    }
                }
                _ => {}
            }
        }
        if let (Ok(Some(_)), Some(n)) = (records.format(), sparse_name) {
            if !n.is_empty() {
                return Ok(n);
            }
        }
    }
    let theirs = pax_path
        .clone()
        .unwrap_or_else(|| e.header().path_bytes().into_owned());
    if name != theirs {
        // Neither the PAX path nor the header's name: a GNU long name.
        let cut = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if !cut.is_empty() {
            return Ok(cut.to_vec());
        }
    }
    match pax_path {
        Some(p) => Ok(p),
        None => go_header_name(e.header().as_bytes()),
    }
}

/// An entry's link target (a hard link's or a symlink's), as Go reads it:
/// a GNU long link name (type `K`) ends at its first NUL, an empty one
/// leaves the PAX linkpath or the header's (see [`entry_name`]).
fn entry_link<R: Read>(e: &mut tar::Entry<R>) -> Result<Option<Vec<u8>>> {
    let Some(link) = e.link_name_bytes().map(|l| l.into_owned()) else {
        return Ok(None);
    };
    let mut pax_link = None;
    if let Some(pax) = e.pax_extensions()? {
        for ext in pax {
            let ext = ext?;
            if ext.key_bytes() == b"linkpath" {
                pax_link = Some(ext.value_bytes().to_vec());
            }
        }
    }
    let theirs = match pax_link {
        Some(p) => p,
        None => e
            .header()
            .link_name_bytes()
            .map(|l| l.into_owned())
            .unwrap_or_default(),
    };
    if link == theirs {
        return Ok(Some(link));
    }
    let cut = &link[..link.iter().position(|&b| b == 0).unwrap_or(link.len())];
    Ok(Some(if cut.is_empty() { theirs } else { cut.to_vec() }))
}

/// A header's own name (its name field and, by its format, a prefix) as
/// Go's archive/tar reads it, which the tar crate reads otherwise in
/// three cases:
/// - a USTAR magic (`ustar\0`) with another version than `00`: Go takes
///   the prefix field all the same (the tar crate none);
/// - a STAR header (USTAR magic and a `tar\0` trailer at byte 508, as
///   Jörg Schilling's star writes): its prefix is 131 bytes, an atime
///   and a ctime after it (the tar crate reads 155 bytes of prefix, so a
///   prefix that fills its 131 gets the atime's digits). Go refuses the
///   header when those times are no numbers: lade too;
/// - Go before 1.8 could write a header with the old GNU magic and a
///   USTAR prefix where GNU keeps the atime and ctime
///   (golang.org/issue/12594, so in layers old Docker versions made); Go
///   reads a GNU header whose atime or ctime is no number as one of
///   those, and puts that ASCII prefix before the name (the tar crate
///   reads no prefix in a GNU header: the file would land elsewhere than
///   where Docker puts it).
fn go_header_name(h: &[u8]) -> Result<Vec<u8>> {
    let cstr = |f: &[u8]| f[..f.iter().position(|&b| b == 0).unwrap_or(f.len())].to_vec();
    let name = cstr(&h[..100]);
    let prefix = match (&h[257..263], &h[263..265]) {
        (b"ustar\0", _) if &h[508..512] == b"tar\0" => {
            if !go_numeric(&h[476..488]) || !go_numeric(&h[488..500]) {
                return Err(Error::new(
                    "a STAR header (its 'tar' trailer) whose atime or ctime is no number \
                     (Go's tar reader, so Docker and umoci, refuse it)",
                ));
            }
            cstr(&h[345..476])
        }
        (b"ustar\0", _) => cstr(&h[345..500]),
        (b"ustar ", b" \0") => {
            let not_a_number = |f: &[u8]| f[0] != 0 && !go_numeric(f);
            let prefix = cstr(&h[345..500]);
            if (not_a_number(&h[345..357]) || not_a_number(&h[357..369])) && prefix.is_ascii() {
                prefix
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    };
    Ok(match prefix.is_empty() {
        true => name,
        false => [prefix.as_slice(), &b"/"[..], name.as_slice()].concat(),
    })
}

/// Does a numeric header field read as a number for Go's archive/tar:
/// base-256 within 63 bits, or octal once the spaces and NULs around it
/// are trimmed (up to a NUL within), all of it empty being 0?
fn go_numeric(f: &[u8]) -> bool {
    if f.first().is_some_and(|b| b & 0x80 != 0) {
        let inv = if f[0] & 0x40 != 0 { 0xff } else { 0 };
        let mut x: u64 = 0;
        for (i, &b) in f.iter().enumerate() {
            let c = if i == 0 { (b ^ inv) & 0x7f } else { b ^ inv };
            if x >> 56 > 0 {
                return false;
            }
            x = x << 8 | u64::from(c);
        }
        return x >> 63 == 0;
    }
    let start = f.iter().position(|&b| b != b' ' && b != 0);
    let Some(start) = start else { return true };
    let end = f.iter().rposition(|&b| b != b' ' && b != 0).unwrap() + 1;
    let t = &f[start..end];
    let t = &t[..t.iter().position(|&b| b == 0).unwrap_or(t.len())];
    let mut v: u64 = 0;
    t.iter().all(|&b| {
        matches!(b, b'0'..=b'7')
            && match v.checked_mul(8) {
                Some(m) => {
                    v = m + u64::from(b - b'0');
                    true
                }
                None => false,
            }
    })
}

fn errno(e: Errno) -> Error {
    Error::from(io::Error::from(e))
}

impl Applier<'_> {
    fn key(&self, path: &[u8]) -> u64 {
        self.hasher.hash_one(path)
    }

    /// Resolve the directory `comps` ([`Root::dir`]). Rootless, make sure
    /// we may enter and write in it, as root may: a lower layer can have
    /// left it, or a directory on the way, without owner rwx (Fedora's
    /// /root is 0550).
    fn dir(&mut self, comps: &[&[u8]], create: bool) -> Result<Option<DirFd>> {
        self.dir_with(comps, create, Root::dir)
    }

    /// [`Self::dir`] with the resolution `get` ([`Root::dir`] or
    /// [`Root::dir_or_blocked`]).
    fn dir_with(&mut self, comps: &[&[u8]], create: bool, get: Resolve) -> Result<Option<DirFd>> {
        if !self.opts.rootless {
            return get(self.root, comps, create);
        }
        let d = match get(self.root, comps, create) {
            Err(e) if is_perm(&e) => {
                self.open_up(comps)?;
                get(self.root, comps, create)?
            }
            r => r?,
        };
        let Some(d) = d else { return Ok(None) };
        let st = rustix::fs::fstat(self.root.fd(&d)).map_err(errno)?;
        if st.st_mode & 0o700 == 0o700 {
            return Ok(Some(d));
        }
        self.open_up(comps)?;
        get(self.root, comps, create)
    }

    /// The directory a whiteout or an opaque marker is in, `parent`, its
    /// time kept (see [`Self::keep_time`]); None when it is missing or a
    /// name on the way is no directory (a file, a symlink to one): no
    /// lower layer put anything there, so the marker has nothing to hide
    /// and is passed over, and nothing is made for it, as umoci does.
    /// (Docker passes over an opaque marker under a file and refuses the
    /// layer for a whiteout there; Docker and Podman make a marker's
    /// missing directories.)
    fn marker_dir(&mut self, parent: &[&[u8]]) -> Result<Option<DirFd>> {
        if self
            .dir_with(parent, false, Root::dir_or_blocked)?
            .is_none()
        {
            return Ok(None);
        }
        self.keep_time(parent)?;
        self.dir(parent, false)
    }

    /// Before this layer changes the directory `comps` (adds to it,
    /// removes from it; or, when it does not exist yet, the nearest
    /// directory above it, which gets it as a child): remember the time
    /// the layers below left on it, which [`Self::finish`] puts back, as
    /// umoci does. A directory this layer declares gets the entry's time
    /// instead. Best effort: one that cannot be opened keeps no time. The
    /// root's time is not kept (a root entry's is set, see `root_mtime`).
    fn keep_time(&mut self, comps: &[&[u8]]) -> Result<()> {
        let mut chain = Vec::with_capacity(comps.len());
        self.deferred
            .chain(&self.hasher, comps, |i| chain.push(i as usize))?;
        for n in (1..=comps.len()).rev() {
            let i = chain[n - 1];
            if std::mem::replace(&mut self.deferred.nodes[i].kept, true) {
                return Ok(());
            }
            if let Ok(Some(dir)) = self.root.dir(&comps[..n], false) {
                if let Ok(st) = rustix::fs::fstat(self.root.fd(&dir)) {
                    let node = &mut self.deferred.nodes[i];
                    node.mtime.get_or_insert(Timespec {
                        tv_sec: st.st_mtime,
                        tv_nsec: st.st_mtime_nsec as _,
                    });
                }
                return Ok(());
            }
        }
        Ok(())
    }

    /// Rootless: give the directories from the root to `comps` (those
    /// that exist, and are ours) owner rwx, each checked to be a directory
    /// and changed through its parent, never through a symlink. Their
    /// modes are put back when the layer ends. A symlink on the way is
    /// followed inside the root (its target read as a path from there,
    /// `..` going no higher than the root), and the directories it leads
    /// to are opened up in turn (Fedora's `/lib -> usr/lib`, 0555 below),
    /// as umoci does.
    fn open_up(&mut self, comps: &[&[u8]]) -> Result<()> {
        self.open_up_links(comps, 0)
    }

    /// [`Self::open_up`], `links` symlinks followed so far.
    fn open_up_links(&mut self, comps: &[&[u8]], links: usize) -> Result<()> {
        let me = rustix::process::geteuid().as_raw();
        let root = self.root.root_fd();
        let st = rustix::fs::fstat(root).map_err(errno)?;
        if st.st_mode & 0o700 != 0o700 && st.st_uid == me {
            let mode = st.st_mode & 0o7777;
            rustix::fs::chmodat(
                root,
                c".",
                Mode::from_raw_mode(mode | 0o700),
                AtFlags::empty(),
            )
            .map_err(|e| errno(e).context("the root"))?;
            self.root_mode.get_or_insert(mode);
        }
        let mut cur = rustix::io::fcntl_dupfd_cloexec(root, 0).map_err(errno)?;
        for (i, c) in comps.iter().enumerate() {
            let st = match rustix::fs::statat(&cur, *c, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => st,
                Err(Errno::NOENT) => return Ok(()),
                Err(e) => return Err(errno(e).context(show(&join(&comps[..=i])))),
            };
            match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => {
                    if st.st_mode & 0o700 != 0o700 && st.st_uid == me {
                        let mode = st.st_mode & 0o7777;
                        rustix::fs::chmodat(
                            &cur,
                            *c,
                            Mode::from_raw_mode(mode | 0o700),
                            AtFlags::empty(),
                        )
                        .map_err(|e| errno(e).context(show(&join(&comps[..=i]))))?;
                        let n = self.deferred.node(&self.hasher, &comps[..=i])?;
                        self.deferred.nodes[n].mode.get_or_insert(mode);
                    }
                    cur = rustix::fs::openat(&cur, *c, DIR_PATH, Mode::empty())
                        .map_err(|e| errno(e).context(show(&join(&comps[..=i]))))?;
                }
                FileType::Symlink => {
                    if links >= super::root::MAX_LINKS {
                        return Ok(());
                    }
                    let Ok(target) = rustix::fs::readlinkat(&cur, *c, Vec::new()) else {
                        return Ok(());
                    };
                    let target = target.into_bytes();
                    let mut path: Vec<&[u8]> = match target.first() {
                        Some(b'/') => Vec::new(),
                        _ => comps[..i].to_vec(),
                    };
                    for part in target.split(|&b| b == b'/') {
                        match part {
                            b"" | b"." => {}
                            b".." => {
                                path.pop();
                            }
                            p => path.push(p),
                        }
                    }
                    path.extend_from_slice(&comps[i + 1..]);
                    return self.open_up_links(&path, links + 1);
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// A GNU sparse entry's holes are read as zeros (the tar reader
    /// gives no map of them): a few header bytes can declare an exabyte.
    /// The holes of one layer may add up to [`SPARSE_HOLES_MAX`] (seconds
    /// of reading); past that the layer is refused.
    fn sparse_budget(&mut self, size: u64, stored: u64) -> Result<()> {
        let holes = size.saturating_sub(stored);
        self.sparse_holes = self.sparse_holes.saturating_add(holes);
        if self.sparse_holes > SPARSE_HOLES_MAX {
            return Err(Error::new(format!(
                "a sparse file of {size} bytes ({stored} stored): the holes of the layer's \
                 sparse files add up to more than {} GiB, which lade refuses",
                SPARSE_HOLES_MAX >> 30
            )));
        }
        Ok(())
    }

    /// Write a GNU sparse file in PAX form: each piece of the entry's data
    /// where the map puts it, holes between (as Go's archive/tar reads
    /// it). The map must place the pieces in order, apart, within the
    /// file, and account for all the data. Returns the file's size.
    fn pax_sparse<R: Read>(
        &mut self,
        e: &mut tar::Entry<R>,
        f: &File,
        sp: &PaxSparse,
    ) -> Result<u64> {
        let stored = e.size();
        let read_map;
        let (map, mut used) = match &sp.map {
            Some(m) => (m.as_slice(), 0),
            None => {
                read_map = read_sparse_map(e)?;
                (read_map.0.as_slice(), read_map.1)
            }
        };
        let size = sp.size.unwrap_or(stored);
        if !sparse_map_fits(map, size) {
            return Err(Error::new(format!(
                "a GNU sparse file of {size} bytes whose map places pieces out of order, \
                 overlapping or past its end"
            )));
        }
        let data = map.iter().fold(0u64, |a, p| a.saturating_add(p.1));
        if used.saturating_add(data) != stored {
            return Err(Error::new(format!(
                "a GNU sparse file whose map places {data} bytes, with {} stored",
                stored - used
            )));
        }
        self.sparse_budget(size, data)?;
        for &(off, len) in map {
            let mut done = 0u64;
            while done < len {
                let want = (len - done).min(self.buf.len() as u64) as usize;
                let k = crate::fsutil::read_up_to(e, &mut self.buf[..want])?;
                if k == 0 {
                    return Err(Error::new(format!(
                        "truncated: {used} of {stored} bytes (the layer ends early)"
                    )));
                }
                write_data(f, &self.buf[..k], off + done)?;
                done += k as u64;
                used += k as u64;
            }
        }
        f.set_len(size)?;
        Ok(size)
    }

    /// The name from the root of the directory the last [`Self::dir`]
    /// resolved for `parent`: where a symlink on the way led, else
    /// `parent` itself.
    fn real_parent(&self, parent: &[&[u8]]) -> Vec<u8> {
        match self.root.real_names() {
            Some(names) => names.join(&b'/'),
            None => join(parent),
        }
    }

    /// An entry named through a symlink (`link/file`, the link leading to
    /// `dir`) lands elsewhere: record `dir/file` too as this layer's, so
    /// that a marker for `dir` keeps it. Call after resolving its parent.
    fn created_through_link(&mut self, leaf: &[u8]) {
        let Some(names) = self.root.real_names() else {
            return;
        };
        let mut full = names.join(&b'/');
        if !full.is_empty() {
            full.push(b'/');
        }
        full.extend_from_slice(leaf);
        self.created.insert(self.key(&full));
        self.mark_holders(&full);
    }

    /// Record that the directories above `full` hold something this layer
    /// created. Each is marked once: marking stops at the first already
    /// marked, whose own parents are marked already.
    fn mark_holders(&mut self, full: &[u8]) {
        let mut end = full.len();
        while let Some(i) = full[..end].iter().rposition(|&b| b == b'/') {
            let k = self.key(&full[..i]);
            if !self.holders.insert(k) {
                break;
            }
            end = i;
        }
    }

    /// For an opaque marker: remove from the directory `fd` (named
    /// `prefix`) everything this layer did not create, and do the same
    /// inside the directories this layer created or put something in, at
    /// any depth (never following a symlink). Returns whether a directory
    /// was removed.
    fn clear_lower(&mut self, fd: BorrowedFd, prefix: &mut Vec<u8>, depth: usize) -> Result<bool> {
        if depth > MAX_DEPTH {
            return Err(Error::new(format!("{}: too deep", show(prefix))));
        }
        let mut removed = false;
        let len = prefix.len();
        for (child, ft) in list_dir(fd)? {
            prefix.truncate(len);
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(&child);
            let k = self.key(prefix);
            let created = self.created.contains(&k);
            if created || self.holders.contains(&k) {
                let ft = match ft {
                    Some(t) => Some(t),
                    None => type_of(fd, &child)?,
                };
                if ft == Some(FileType::Directory) {
                    let sub = rustix::fs::openat(fd, child.as_slice(), DIR_PATH, Mode::empty())
                        .map_err(|e| errno(e).context(show(prefix)))?;
                    removed |= self.clear_lower(sub.as_fd(), prefix, depth + 1)?;
                    if !created {
                        // A lower directory kept for this layer's names
                        // in it: what stays of it is this layer's, as
                        // one made for them (its mode, owner and xattrs
                        // are hidden too), as under a whiteout.
                        as_implicit(fd, &child).map_err(|e| errno(e).context(show(prefix)))?;
                    }
                    continue;
                }
                if created {
                    continue;
                }
            }
            removed |= remove(fd, &child, self.opts.rootless)?;
        }
        prefix.truncate(len);
        Ok(removed)
    }

    fn entry<R: Read>(&mut self, e: &mut tar::Entry<R>, name: &[u8]) -> Result<()> {
        let mut kind = e.header().entry_type();
        // The old regular type '\0' on a name ending in "/" is how
        // pre-POSIX archives mark a directory: GNU tar and Go's archive/tar
        // (so Docker, containerd, umoci) read it so. Not type '0'.
        if e.header().as_bytes()[156] == 0 && name.last() == Some(&b'/') {
            kind = EntryType::Directory;
        }
        if matches!(
            kind,
            EntryType::XGlobalHeader
                | EntryType::XHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        ) {
            return Ok(());
        }
        self.stats.entries += 1;
        let comps = components(name)?;
        let Some((leaf, parent)) = comps.split_last() else {
            // The root itself.
            if kind != EntryType::Directory {
                return Err(Error::new(format!(
                    "the root cannot become a {} (only a directory)",
                    entry_kind(kind)
                )));
            }
            let mut meta = self.meta(e)?;
            let defer_mode = self.opts.rootless && meta.mode & 0o700 != 0o700;
            self.root_mode = defer_mode.then_some(meta.mode);
            self.root_mtime = Some(meta.mtime);
            if defer_mode {
                meta.mode |= 0o700;
            }
            let root = DirFd::Root;
            return self.dir_meta(&root, c".".to_bytes(), &meta, b".");
        };
        let leaf: &[u8] = leaf;
        // (The time of the directory an entry changes is kept first; an
        // entry that changes nothing, a whiteout under a directory that
        // is not there, say, keeps none, so the bookkeeping grows with
        // the directories on disk, not with the stream.)
        match classify(leaf)? {
            Leaf::AufsMeta => return Ok(()),
            Leaf::Whiteout(victim) => {
                self.stats.whiteouts += 1;
                let Some(dir) = self.marker_dir(parent)? else {
                    return Ok(());
                };
                // It hides what lower layers put there (the OCI image
                // spec): a name this layer made stays, wherever the marker
                // comes; in a directory this layer put names into, the
                // rest goes, as under an opaque marker.
                let mut path = self.real_parent(parent);
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(victim);
                let k = self.key(&path);
                let fd = self.root.fd(&dir);
                if self.created.contains(&k) {
                    // A directory this layer put here: its entry and
                    // names stay, what lower layers had in it goes.
                    if type_of(fd, victim)? == Some(FileType::Directory) {
                        let sub = rustix::fs::openat(fd, victim, DIR_PATH, Mode::empty())
                            .map_err(|e| errno(e).context(show(&path)))?;
                        if self.clear_lower(sub.as_fd(), &mut path, 0)? {
                            self.root.invalidate();
                        }
                    }
                    return Ok(());
                }
                let sub = if self.holders.contains(&k)
                    && type_of(fd, victim)? == Some(FileType::Directory)
                {
                    Some(
                        rustix::fs::openat(fd, victim, DIR_PATH, Mode::empty())
                            .map_err(|e| errno(e).context(show(&path)))?,
                    )
                } else {
                    None
                };
                let removed = match sub {
                    Some(sub) => {
                        let removed = self.clear_lower(sub.as_fd(), &mut path, 0)?;
                        // What stays of it is this layer's: the directory
                        // is as one made for its names (the lower one's
                        // mode, owner and xattrs are hidden too).
                        as_implicit(self.root.fd(&dir), victim)
                            .map_err(|e| errno(e).context(show(&path)))?;
                        removed
                    }
                    None => remove(fd, victim, self.opts.rootless)?,
                };
                if removed {
                    self.root.invalidate();
                }
                return Ok(());
            }
            Leaf::Opaque => {
                self.stats.whiteouts += 1;
                let Some(dir) = self.marker_dir(parent)? else {
                    return Ok(());
                };
                let fd = rustix::io::fcntl_dupfd_cloexec(self.root.fd(&dir), 0).map_err(errno)?;
                let mut prefix = self.real_parent(parent);
                if self.clear_lower(fd.as_fd(), &mut prefix, 0)? {
                    self.root.invalidate();
                }
                return Ok(());
            }
            Leaf::Plain => {}
        }
        let full = join(&comps);
        let known = matches!(
            kind,
            EntryType::Regular
                | EntryType::Continuous
                | EntryType::GNUSparse
                | EntryType::Directory
                | EntryType::Symlink
                | EntryType::Link
                | EntryType::Fifo
                | EntryType::Char
                | EntryType::Block
        );
        if !known {
            // Skipped: creates nothing, and is only counted.
            self.stats.unknown_skipped += 1;
            if self.stats.unknown_examples.len() < UNKNOWN_EXAMPLES {
                let shown = match full.get(..256) {
                    Some(head) if full.len() > 256 => format!("{}…", show(head)),
                    _ => show(&full),
                };
                self.stats
                    .unknown_examples
                    .push(format!("{shown} (type {:?})", kind.as_byte() as char));
            }
            return Ok(());
        }
        self.keep_time(parent)?;
        let k = self.key(&full);
        self.created.insert(k);
        self.mark_holders(&full);
        if kind == EntryType::Link {
            return self.hardlink(e, parent, leaf);
        }
        let meta = self.meta(e)?;
        if meta.sparse.is_some() && !matches!(kind, EntryType::Regular | EntryType::Continuous) {
            return Err(Error::new(format!(
                "a GNU sparse map (PAX GNU.sparse.* records) on a {}",
                entry_kind(kind)
            )));
        }
        let dir = self.dir(parent, true)?.expect("created");
        self.created_through_link(leaf);
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                if kind == EntryType::GNUSparse {
                    let h = e.header();
                    self.sparse_budget(h.size()?, h.entry_size()?)?;
                }
                self.regular(e, &dir, leaf, &meta, kind == EntryType::GNUSparse)
            }
            EntryType::Directory => {
                let pfd = self.root.fd(&dir);
                let mut mode = meta.mode;
                let defer_mode = self.opts.rootless && mode & 0o700 != 0o700;
                if defer_mode {
                    mode |= 0o700;
                }
                let removed = make_dir(pfd, leaf, self.opts.rootless)?;
                if removed {
                    self.root.invalidate();
                }
                let m = Meta {
                    mode,
                    xattrs: meta.xattrs,
                    ..meta
                };
                match self.dir_meta(&dir, leaf, &m, &full) {
                    // A lower layer's directory we may not open (0300,
                    // 0000): open it up, then set what this entry says.
                    Err(err) if self.opts.rootless && is_perm(&err) => {
                        self.open_up(&comps)?;
                        let dir = self.dir(parent, true)?.expect("created");
                        self.dir_meta(&dir, leaf, &m, &full)?;
                    }
                    r => r?,
                }
                // Named again: this entry's metadata wins, as with tar.
                let i = self.deferred.node(&self.hasher, &comps)?;
                let n = &mut self.deferred.nodes[i];
                n.mode = defer_mode.then_some(meta.mode);
                n.mtime = Some(meta.mtime);
                Ok(())
            }
            EntryType::Symlink => {
                let target =
                    entry_link(e)?.ok_or_else(|| Error::new("symlink without a target"))?;
                if target.is_empty() || target.contains(&0) {
                    return Err(Error::new("symlink with an empty or invalid target"));
                }
                let pfd = self.root.fd(&dir);
                let removed = replace(pfd, leaf, self.opts.rootless, |fd| {
                    rustix::fs::symlinkat(target.as_slice(), fd, leaf)
                })?;
                if removed {
                    self.root.invalidate();
                }
                let pfd = self.root.fd(&dir);
                self.owner_at(pfd, leaf, &meta)?;
                self.symlink_xattrs(pfd.as_raw_fd(), leaf, &meta)?;
                let pfd = self.root.fd(&dir);
                set_times_at(pfd, leaf, meta.mtime)?;
                Ok(())
            }
            EntryType::Fifo | EntryType::Char | EntryType::Block => {
                let (ft, dev) = match kind {
                    EntryType::Fifo => (FileType::Fifo, 0),
                    t => {
                        let major = e.header().device_major()?.unwrap_or(0);
                        let minor = e.header().device_minor()?.unwrap_or(0);
                        let ft = if t == EntryType::Char {
                            FileType::CharacterDevice
                        } else {
                            FileType::BlockDevice
                        };
                        (ft, rustix::fs::makedev(major, minor))
                    }
                };
                if ft != FileType::Fifo && self.opts.rootless {
                    self.stats.devices_skipped += 1;
                    return Ok(());
                }
                let pfd = self.root.fd(&dir);
                let r = replace(pfd, leaf, self.opts.rootless, |fd| {
                    rustix::fs::mknodat(fd, leaf, ft, Mode::from_raw_mode(0o600), dev)
                });
                match r {
                    Ok(true) => self.root.invalidate(),
                    Ok(false) => {}
                    Err(e) if ft != FileType::Fifo && is_perm(&e) => {
                        self.stats.devices_skipped += 1;
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                }
                let pfd = self.root.fd(&dir);
                self.owner_at(pfd, leaf, &meta)?;
                // Just created here as a fifo or device: not a symlink.
                rustix::fs::chmodat(
                    pfd,
                    leaf,
                    Mode::from_raw_mode(meta.mode & 0o7777),
                    AtFlags::empty(),
                )
                .map_err(errno)?;
                set_times_at(pfd, leaf, meta.mtime)?;
                Ok(())
            }
            // Not `known`: skipped above.
            _ => Ok(()),
        }
    }

    fn meta<R: Read>(&mut self, e: &mut tar::Entry<R>) -> Result<Meta> {
        let h = e.header();
        let old = h.as_old();
        let mut uid = numeric(&old.uid, || h.uid())?;
        let mut gid = numeric(&old.gid, || h.gid())?;
        // (a time before 1970 in base-256, as GNU tar writes it, is
        // negative: the tar crate reads its bits as a large number)
        let mtime_s = match negative_base256(&old.mtime) {
            Some(t) => t,
            None => numeric(&old.mtime, || h.mtime())
                .unwrap_or(0)
                .min(i64::MAX as u64) as i64,
        };
        let mut mtime = Timespec {
            tv_sec: mtime_s,
            tv_nsec: 0,
        };
        let mode = numeric(&old.mode, || h.mode().map(u64::from))? as u32;
        let mut xattrs = Vec::new();
        let mut sparse = SparseRecords::default();
        if let Some(pax) = e.pax_extensions()? {
            for ext in pax {
                let ext = ext?;
                let key = ext.key_bytes();
                let value = ext.value_bytes();
                match key {
                    b"uid" => uid = pax_id(value, "uid")?,
                    b"gid" => gid = pax_id(value, "gid")?,
                    b"mtime" => {
                        mtime = parse_pax_time(value).ok_or_else(|| Error::new("bad PAX mtime"))?
                    }
                    // GNU tar's sparse files in PAX form (--format=posix):
                    // their data is pieces a map places, their name
                    // another (see entry_name).
                    k if k.starts_with(b"GNU.sparse.") => sparse.take(k, value)?,
                    _ => {
                        if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                            xattrs.push((name.to_vec(), value.to_vec()));
                        }
                    }
                }
            }
        }
        let id = |v: u64, what: &str| {
            u32::try_from(v).map_err(|_| Error::new(format!("{}", IdOutOfRange(what, &v))))
        };
        Ok(Meta {
            mode,
            uid: id(uid, "uid")?,
            gid: id(gid, "gid")?,
            mtime,
            xattrs,
            sparse: sparse.resolve()?,
        })
    }

    fn owner_at(&self, dir: BorrowedFd, leaf: &[u8], m: &Meta) -> Result<()> {
        if self.opts.rootless {
            return Ok(());
        }
        rustix::fs::chownat(
            dir,
            leaf,
            Some(Uid::from_raw(m.uid)),
            Some(Gid::from_raw(m.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(errno)
    }

    fn xattrs(&mut self, fd: BorrowedFd, m: &Meta) -> Result<()> {
        self.each_xattr(m, |k, v| {
            rustix::fs::fsetxattr(fd, k, v, XattrFlags::empty())
        })
    }

    /// Set each of `m`'s xattrs with `set`; those the filesystem or the
    /// kernel refuses are counted skipped.
    fn each_xattr(
        &mut self,
        m: &Meta,
        set: impl Fn(&[u8], &[u8]) -> std::result::Result<(), Errno>,
    ) -> Result<()> {
        for (k, v) in &m.xattrs {
            if k.is_empty() || k.contains(&0) {
                return Err(Error::new("bad xattr name"));
            }
            match set(k, v) {
                Ok(()) => {}
                Err(Errno::NOTSUP) | Err(Errno::PERM) | Err(Errno::ACCESS) | Err(Errno::INVAL) => {
                    self.stats.xattrs_skipped += 1
                }
                Err(e) => return Err(errno(e).context(format!("xattr {}", show(k)))),
            }
        }
        Ok(())
    }

    /// The xattrs of the symlink `leaf` in `dir`, set on the link itself
    /// (as GNU tar and umoci set them), through the directory's
    /// descriptor: a symlink cannot be opened for fsetxattr. Those the
    /// kernel refuses on a symlink (`user.*`) are counted skipped.
    fn symlink_xattrs(&mut self, dir: RawFd, leaf: &[u8], m: &Meta) -> Result<()> {
        use std::os::unix::ffi::OsStrExt;
        if m.xattrs.is_empty() {
            return Ok(());
        }
        let mut path = format!("/proc/self/fd/{dir}/").into_bytes();
        path.extend_from_slice(leaf);
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(&path));
        self.each_xattr(m, |k, v| {
            rustix::fs::lsetxattr(path, k, v, XattrFlags::empty())
        })
    }

    /// Owner, mode, xattrs of a directory `leaf` in `dir` (just made or
    /// found to be a directory).
    fn dir_meta(&mut self, dir: &DirFd, leaf: &[u8], m: &Meta, full: &[u8]) -> Result<()> {
        let fd = rustix::fs::openat(
            self.root.fd(dir),
            leaf,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| errno(e).context(show(full)))?;
        if !self.opts.rootless {
            rustix::fs::fchown(&fd, Some(Uid::from_raw(m.uid)), Some(Gid::from_raw(m.gid)))
                .map_err(errno)?;
        }
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(m.mode & 0o7777)).map_err(errno)?;
        // The entry says what the directory is: xattrs a lower layer set
        // (a default ACL, say) and the entry lacks go, as under overlayfs,
        // where the upper directory is what is seen. Not on the target
        // directory itself, which is the user's.
        if full != b"." {
            self.drop_xattrs_but(fd.as_fd(), m)?;
        }
        self.xattrs(fd.as_fd(), m)
    }

    /// Remove the xattrs of `fd` that `m` does not list (those that can
    /// be removed: rootless, `trusted.*` and `security.*` stay).
    fn drop_xattrs_but(&mut self, fd: BorrowedFd, m: &Meta) -> Result<()> {
        let size = match rustix::fs::flistxattr_query(fd) {
            Ok(0) | Err(Errno::NOTSUP) => return Ok(()),
            Ok(n) => n,
            Err(e) => return Err(errno(e)),
        };
        let mut buf = vec![0u8; size];
        let n = match rustix::fs::flistxattr(fd, &mut buf[..]) {
            Ok(n) => n,
            // Grown meanwhile: it is this process's directory; go on.
            Err(Errno::RANGE) => return Ok(()),
            Err(e) => return Err(errno(e)),
        };
        for name in buf[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
            // (The SELinux label is the system's, on every file.)
            if name == b"security.selinux" || m.xattrs.iter().any(|(k, _)| k == name) {
                continue;
            }
            match rustix::fs::fremovexattr(fd, name) {
                Ok(()) | Err(Errno::NODATA) => {}
                Err(Errno::PERM) | Err(Errno::ACCESS) | Err(Errno::NOTSUP) => {
                    self.stats.xattrs_skipped += 1
                }
                Err(e) => return Err(errno(e).context(format!("xattr {}", show(name)))),
            }
        }
        Ok(())
    }

    fn regular<R: Read>(
        &mut self,
        e: &mut tar::Entry<R>,
        dir: &DirFd,
        leaf: &[u8],
        m: &Meta,
        sparse: bool,
    ) -> Result<()> {
        let pfd = self.root.fd(dir);
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mode = Mode::from_raw_mode(0o600);
        let mut removed = false;
        let fd = match rustix::fs::openat(pfd, leaf, flags, mode) {
            Ok(fd) => fd,
            Err(Errno::EXIST) => {
                removed = remove(pfd, leaf, self.opts.rootless)?;
                rustix::fs::openat(pfd, leaf, flags, mode).map_err(errno)?
            }
            Err(err) => return Err(errno(err)),
        };
        if removed {
            self.root.invalidate();
        }
        let f = File::from(fd);
        if let Some(sp) = &m.sparse {
            self.stats.bytes += self.pax_sparse(e, &f, sp)?;
            return self.file_meta(&f, m);
        }
        let want = e.size();
        // Whole blocks of zeros are not written: the file is new, so they
        // are holes (a sparse entry's holes, or any run of zeros) and take
        // no disk; the length is set at the end.
        let mut n = 0u64;
        let mut written = 0u64;
        loop {
            let k = crate::fsutil::read_up_to(e, &mut self.buf)?;
            if k == 0 {
                break;
            }
            if let Some(end) = write_data(&f, &self.buf[..k], n)? {
                written = end;
            }
            n += k as u64;
        }
        if written < n {
            f.set_len(n)?;
        }
        if !sparse && n != want {
            return Err(Error::new(format!(
                "truncated: {n} of {want} bytes (the layer ends early)"
            )));
        }
        self.stats.bytes += n;
        self.file_meta(&f, m)
    }

    /// Owner, mode, xattrs and times of a regular file just written.
    fn file_meta(&mut self, f: &File, m: &Meta) -> Result<()> {
        if !self.opts.rootless {
            rustix::fs::fchown(f, Some(Uid::from_raw(m.uid)), Some(Gid::from_raw(m.gid)))
                .map_err(errno)?;
        }
        rustix::fs::fchmod(f, Mode::from_raw_mode(m.mode & 0o7777)).map_err(errno)?;
        self.xattrs(f.as_fd(), m)?;
        rustix::fs::futimens(f, &times(m.mtime)).map_err(errno)?;
        Ok(())
    }

    fn hardlink<R: Read>(
        &mut self,
        e: &mut tar::Entry<R>,
        parent: &[&[u8]],
        leaf: &[u8],
    ) -> Result<()> {
        let target = entry_link(e)?.ok_or_else(|| Error::new("hard link without a target"))?;
        let tcomps = components(&target).map_err(|err| err.context("hard link target"))?;
        let Some((tleaf, tparent)) = tcomps.split_last() else {
            return Err(Error::new("hard link to the root"));
        };
        // Owned: resolving the link's own directory below reuses the cache.
        let tdir = match self.root.dir_owned(tparent) {
            Err(err) if self.opts.rootless && is_perm(&err) => {
                self.open_up(tparent)?;
                self.root.dir_owned(tparent)
            }
            r => r,
        }?;
        let tdir = tdir.ok_or_else(|| {
            Error::new(format!("hard link target {} does not exist", show(&target)))
        })?;
        let tfd = tdir.as_fd();
        let tst = rustix::fs::statat(tfd, *tleaf, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|err| errno(err).context(format!("hard link target {}", show(&target))))?;
        if FileType::from_raw_mode(tst.st_mode) == FileType::Directory {
            return Err(Error::new(format!(
                "hard link to directory {}",
                show(&target)
            )));
        }
        let dir = self.dir(parent, true)?.expect("created");
        self.created_through_link(leaf);
        let pfd = self.root.fd(&dir);
        if let Ok(st) = rustix::fs::statat(pfd, leaf, AtFlags::SYMLINK_NOFOLLOW) {
            if st.st_dev == tst.st_dev && st.st_ino == tst.st_ino {
                return Ok(()); // already that file
            }
        }
        let removed = replace(pfd, leaf, self.opts.rootless, |fd| {
            rustix::fs::linkat(tfd, *tleaf, fd, leaf, AtFlags::empty())
        })?;
        if removed {
            self.root.invalidate();
        }
        Ok(())
    }

    /// Take AUFS bookkeeping out of the root once the layer is in
    /// (`.wh..wh.plnk/`, `.wh..wh.orph/`), as Docker leaves it out. It is
    /// unpacked first: old AUFS layers hard-link files to what
    /// `.wh..wh.plnk/` holds, and those links keep the data.
    fn drop_aufs_meta(&mut self) -> Result<()> {
        let root = DirFd::Root;
        let fd = self.root.fd(&root);
        let names: Vec<Vec<u8>> = list_dir(fd)
            .map_err(|e| Error::from(e).context("the root"))?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| aufs_meta(&[n.as_slice()]))
            .collect();
        for n in &names {
            remove_all(fd, n).map_err(|e| Error::from(e).context(show(n)))?;
        }
        if !names.is_empty() {
            self.root.invalidate();
        }
        Ok(())
    }

    /// Directory times, then deferred modes, children before their
    /// parents. (Times first: one put back through a symlink the layer
    /// wrote through opens the directory it leads to, which its mode, put
    /// back, may close.)
    fn finish(&mut self) -> Result<()> {
        let deferred = std::mem::take(&mut self.deferred);
        for times_pass in [true, false] {
            for (i, d) in deferred.nodes.iter().enumerate().rev() {
                if (times_pass && d.mtime.is_none()) || (!times_pass && d.mode.is_none()) {
                    continue;
                }
                let comps = deferred.comps(i);
                let (leaf, parent) = comps.split_last().expect("not the root");
                // A name the layer later gave to a file, or a symlink that
                // leads nowhere or round (`a/b/`, then `a` a file): no
                // directory is there any more to take a time or mode.
                let dir = match self.root.dir(parent, false) {
                    Ok(Some(dir)) => dir,
                    Ok(None) => continue,
                    Err(e) if is_perm(&e) => return Err(e),
                    Err(_) => continue,
                };
                let pfd = self.root.fd(&dir);
                match (type_of(pfd, leaf)?, d.mtime, d.mode) {
                    (Some(FileType::Directory), Some(t), _) if times_pass => {
                        set_times_at(pfd, leaf, t)?
                    }
                    (Some(FileType::Directory), _, Some(mode)) if !times_pass => {
                        rustix::fs::chmodat(
                            pfd,
                            *leaf,
                            Mode::from_raw_mode(mode & 0o7777),
                            AtFlags::empty(),
                        )
                        .map_err(errno)?
                    }
                    // A symlink the layer wrote through: the time goes back
                    // on the directory it leads to, inside the root.
                    (Some(FileType::Symlink), Some(t), _) if times_pass => {
                        if let Ok(Some(target)) = self.root.dir_owned(&comps) {
                            let real = rustix::fs::openat(
                                &target,
                                c".",
                                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                                Mode::empty(),
                            )
                            .map_err(errno)?;
                            rustix::fs::futimens(&real, &times(t)).map_err(errno)?;
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(mode) = self.root_mode.take() {
            rustix::fs::chmodat(
                self.root.root_fd(),
                c".",
                Mode::from_raw_mode(mode & 0o7777),
                AtFlags::empty(),
            )
            .map_err(errno)?;
        }
        if let Some(t) = self.root_mtime.take() {
            set_times_at(self.root.root_fd(), c".".to_bytes(), t)?;
        }
        Ok(())
    }
}

/// The size of the runs of zeros [`write_data`] leaves as holes (the
/// usual filesystem block); `Applier::buf` is a multiple of it.
const HOLE: usize = 4096;

/// Write `data` at offset `at` of `f`, skipping the whole [`HOLE`]-sized
/// (and aligned) blocks that are all zeros. Returns the end of the last
/// write, if any.
fn write_data(f: &File, data: &[u8], at: u64) -> io::Result<Option<u64>> {
    let mut end = None;
    let mut run = 0; // start of the bytes still to write
    let mut i = 0;
    while i < data.len() {
        let next = (i + HOLE - ((at + i as u64) % HOLE as u64) as usize).min(data.len());
        let block = &data[i..next];
        if block.len() == HOLE && is_zero(block) {
            if run < i {
                f.write_all_at(&data[run..i], at + run as u64)?;
                end = Some(at + i as u64);
            }
            run = next;
        }
        i = next;
    }
    if run < data.len() {
        f.write_all_at(&data[run..], at + run as u64)?;
        end = Some(at + data.len() as u64);
    }
    Ok(end)
}

fn is_zero(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(64);
    let rest = chunks.remainder();
    chunks.all(|c| c.iter().fold(0, |a, &x| a | x) == 0) && rest.iter().all(|&x| x == 0)
}

/// A numeric header field; all NULs or spaces read as 0 (as GNU tar and
/// Go's archive/tar do: `docker import` writes such headers).
/// A negative number in GNU's base-256 form (the first byte 0xff, the
/// rest two's complement), as i64; at most i64::MIN. None for any other
/// form.
fn negative_base256(field: &[u8]) -> Option<i64> {
    if field.first() != Some(&0xff) {
        return None;
    }
    let tail = &field[field.len().saturating_sub(8)..];
    let fits = field[..field.len() - tail.len()].iter().all(|&b| b == 0xff)
        && tail.first().is_some_and(|b| b & 0x80 != 0);
    let mut v = [0xffu8; 8];
    v[8 - tail.len()..].copy_from_slice(tail);
    Some(if fits {
        i64::from_be_bytes(v)
    } else {
        i64::MIN
    })
}

fn numeric(field: &[u8], parse: impl FnOnce() -> io::Result<u64>) -> io::Result<u64> {
    if field.iter().all(|&b| b == 0 || b == b' ') {
        return Ok(0);
    }
    parse()
}

fn is_perm(e: &Error) -> bool {
    let m = e.message();
    m.contains("not permitted") || m.contains("Permission denied")
}

fn times(t: Timespec) -> Timestamps {
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn set_times_at(dir: BorrowedFd, leaf: &[u8], t: Timespec) -> Result<()> {
    rustix::fs::utimensat(dir, leaf, &times(t), AtFlags::SYMLINK_NOFOLLOW).map_err(errno)
}

/// Make directory `leaf` in `dir`, keeping one that exists and replacing
/// anything else. Returns whether a directory was removed (never: an
/// existing directory is kept).
fn make_dir(dir: BorrowedFd, leaf: &[u8], rootless: bool) -> Result<bool> {
    match rustix::fs::mkdirat(dir, leaf, Mode::from_raw_mode(0o700)) {
        Ok(()) => Ok(false),
        Err(Errno::EXIST) => match type_of(dir, leaf)? {
            Some(FileType::Directory) => Ok(false),
            _ => {
                remove(dir, leaf, rootless)?;
                rustix::fs::mkdirat(dir, leaf, Mode::from_raw_mode(0o700)).map_err(errno)?;
                Ok(false)
            }
        },
        Err(e) => Err(errno(e)),
    }
}

/// Create `leaf` with `make`; if the name is taken, remove what is there
/// (recursively, never following links) and try once more. Returns
/// whether a directory was removed.
fn replace(
    dir: BorrowedFd,
    leaf: &[u8],
    rootless: bool,
    make: impl Fn(BorrowedFd) -> rustix::io::Result<()>,
) -> Result<bool> {
    match make(dir) {
        Ok(()) => Ok(false),
        Err(Errno::EXIST) => {
            let removed = remove(dir, leaf, rootless)?;
            make(dir).map_err(errno)?;
            Ok(removed)
        }
        Err(e) => Err(errno(e)),
    }
}

/// [`remove_all`], and when rootless and refused, once more after making
/// the directories under `name` (never following a symlink) ours to
/// write: a lower layer may have left them read-only.
fn remove(dir: BorrowedFd, name: &[u8], rootless: bool) -> io::Result<bool> {
    match remove_all(dir, name) {
        Err(e) if rootless && e.raw_os_error() == Some(Errno::ACCESS.raw_os_error()) => {
            open_tree(dir, name, 0)?;
            remove_all(dir, name)
        }
        r => r,
    }
}

/// Give the directory `name` in `dir` and those under it owner rwx.
fn open_tree(dir: BorrowedFd, name: &[u8], depth: usize) -> io::Result<()> {
    if depth > 4 * MAX_DEPTH {
        return Err(io::Error::other("directory tree too deep to remove"));
    }
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Ok(());
    }
    if st.st_mode & 0o700 != 0o700 {
        // A directory (just checked, not a symlink).
        rustix::fs::chmodat(
            dir,
            name,
            Mode::from_raw_mode((st.st_mode | 0o700) & 0o7777),
            AtFlags::empty(),
        )?;
    }
    let fd = rustix::fs::openat(dir, name, DIR_PATH, Mode::empty())?;
    for (child, ft) in list_dir(fd.as_fd())? {
        if ft.is_none() || ft == Some(FileType::Directory) {
            open_tree(fd.as_fd(), &child, depth + 1)?;
        }
    }
    Ok(())
}

const DIR_PATH: OFlags = OFlags::PATH
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// PAX `mtime`: seconds with an optional fraction.
/// A layer that could not be read, said without the bytes of a header
/// that is not one (the tar reader quotes them).
fn layer_error(e: std::io::Error) -> Error {
    let msg = e.to_string();
    if msg.contains("failed to read entire block") {
        return Error::new(
            "reading the layer: not a tar archive, or a truncated one (it ends inside a header)",
        );
    }
    if msg.contains("when getting cksum") {
        return Error::new(
            "reading the layer: not a tar archive (a header's checksum field is not a number)",
        );
    }
    Error::from(e).context("reading the layer")
}

/// Make the directory `name` in `parent` what a directory made for an
/// entry below it is: mode 0755, lade's owner, no xattrs.
fn as_implicit(parent: BorrowedFd, name: &[u8]) -> std::result::Result<(), Errno> {
    let d = rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut buf = vec![0u8; rustix::fs::flistxattr_query(&d)?];
    let n = rustix::fs::flistxattr(&d, &mut buf[..])?;
    for n in buf[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        match rustix::fs::fremovexattr(&d, n) {
            Ok(()) | Err(Errno::NODATA) => {}
            Err(e) => return Err(e),
        }
    }
    let (uid, gid) = (rustix::process::geteuid(), rustix::process::getegid());
    rustix::fs::fchown(&d, Some(uid), Some(gid))?;
    rustix::fs::fchmod(&d, Mode::from_raw_mode(0o755))
}

/// A PAX `uid` or `gid` record. Go's archive/tar reads any 64-bit
/// number there, and Docker and umoci hand it to chown, which keeps its
/// low 32 bits: -1 leaves the owner alone (the unpacking user), 4294967296
/// is root. A layer whose headers show a tool one owner would then get
/// another, root among them: lade refuses the ID instead.
fn pax_id(value: &[u8], what: &str) -> Result<u64> {
    let text = String::from_utf8_lossy(value);
    let n: i128 = text.trim().parse().map_err(|_| {
        let shown: String = text.chars().take(40).collect();
        Error::new(format!("a PAX {what} that is no number ({shown:?})"))
    })?;
    u64::try_from(n)
        .ok()
        .filter(|&v| v <= u64::from(u32::MAX))
        .ok_or_else(|| Error::new(format!("{}", IdOutOfRange(what, &n))))
}

/// The message for a uid or gid beyond 32 bits or below 0.
struct IdOutOfRange<'a, T>(&'a str, &'a T);

impl<T: std::fmt::Display> std::fmt::Display for IdOutOfRange<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{} {}, which is no {} (0 to 4294967295; Docker and umoci keep its low 32 bits, \
             so 4294967296 would be root): refused",
            self.0, self.1, self.0
        )
    }
}

fn parse_pax_time(v: &[u8]) -> Option<Timespec> {
    // As Go's archive/tar reads it: SECONDS[.FRACTION], every fraction
    // character a digit (the first nine kept), the sign the text's.
    let s = std::str::from_utf8(v).ok()?;
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let tv_sec: i64 = secs.parse().ok()?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().take(9).collect();
    let nsec: i64 = format!("{digits:0<9}").parse().ok()?;
    if secs.starts_with('-') && nsec > 0 {
        // -1.5 is 1.5 s before the epoch: -2 s + 0.5 s
        return Some(Timespec {
            tv_sec: tv_sec - 1,
            tv_nsec: (1_000_000_000 - nsec) as _,
        });
    }
    Some(Timespec {
        tv_sec,
        tv_nsec: nsec as _,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_go_reads_them() {
        for good in [
            &b"00000000000\0"[..],
            b"\0\0\0\0\0\0\0\0\0\0\0\0",
            b"  17 \0      ",
            b"12\0zz\0\0\0\0\0\0\0",
            b"\x80\0\0\0\0\0\0\0\0\0\0\x05",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        ] {
            assert!(go_numeric(good), "{good:?}");
        }
        for bad in [
            &b"pre\0\0\0\0\0\0\0\0\0"[..],
            b"0000000008\0\0",
            b"1 2\0\0\0\0\0\0\0\0\0",
            b"\x80\x01\0\0\0\0\0\0\0\0\0\0",
            b"\xc0\0\0\0\x80\0\0\0\0\0\0\0",
        ] {
            assert!(!go_numeric(bad), "{bad:?}");
        }
    }

    #[test]
    fn pax_times() {
        let t = parse_pax_time(b"1700000000.5").unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (1_700_000_000, 500_000_000));
        let t = parse_pax_time(b"12").unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (12, 0));
        assert!(parse_pax_time(b"x").is_none());
        let t = parse_pax_time(b"-0.5").unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (-1, 500_000_000));
        let t = parse_pax_time(b"-1.25").unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (-2, 750_000_000));
        let t = parse_pax_time(b"1.1234567891234").unwrap();
        assert_eq!((t.tv_sec, t.tv_nsec), (1, 123_456_789));
        for bad in [
            &b"1.000000000zz"[..],
            b" 12",
            b"12 ",
            b"1e400",
            b"1.5.5",
            b"",
        ] {
            assert!(
                parse_pax_time(bad).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
