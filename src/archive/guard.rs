//! [`TarGuard`]: a tar stream, checked on its way to the tar parser.
//!
//! The tar crate reads a PAX extended header (`x`) or a GNU long name or
//! link (`L`, `K`) whole into memory before the entry it describes, with
//! no limit: a 100 KB gzip layer can hold a 100 MB header. The guard
//! follows the stream's structure as the parser will (header blocks, each
//! entry's data and padding, a PAX `size` overriding the next entry's,
//! GNU sparse extension blocks) and fails the read that would hand over
//! such a header if it declares more than [`MAX_EXTENSION`] bytes. The
//! parser never sees it. Everything else passes through unchanged; after
//! the first all-zero header block (the parser's end of the archive) the
//! guard only passes bytes on.
//!
//! It also mends one thing the tar crate refuses and other readers take:
//! a header whose checksum field holds the sum of its bytes taken as
//! *signed* (old tars, from writers that summed `char`s, with a name byte
//! of 0x80 or more). POSIX asks for the unsigned sum; GNU tar and Go's
//! archive/tar (Docker, containerd, umoci) take either. Each header block
//! is gathered whole before the parser gets any of it, and such a one
//! has its checksum field rewritten to the unsigned sum, nothing else.
//! Only blocks the guard knows are headers (it follows the stream as the
//! parser does) are touched: an entry's data is never changed.

use std::io::{self, Read, Seek, SeekFrom};

/// The most bytes a PAX header or a GNU long name or link may hold.
/// Names are at most a few KiB (PATH_MAX is 4096), PAX records a name,
/// a link target, times, ids and extended attributes (64 KiB each at most
/// on Linux).
pub const MAX_EXTENSION: u64 = 1 << 20;

const BLOCK: usize = 512;

/// What an extension header of type `kind` (`x`, `L`, `K`) is called.
fn extension_name(kind: tar::EntryType) -> &'static str {
    if kind.is_pax_local_extensions() {
        "a PAX extended header"
    } else if kind.is_gnu_longname() {
        "a GNU long name"
    } else {
        "a GNU long link name"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Gathering a header block.
    Header,
    /// Gathering a GNU sparse extension block (after an `S` header).
    SparseExt,
    /// Passing an entry's data and padding.
    Data,
    /// Past the end of the archive: not looked at.
    Done,
}

pub struct TarGuard<R> {
    inner: R,
    phase: Phase,
    block: [u8; BLOCK],
    fill: usize,
    /// Data and padding left of the current entry.
    left: u64,
    /// Of which padding.
    pad: u64,
    /// Data (not padding) left of the current PAX header, being kept.
    pax_left: u64,
    /// The current PAX header's records, when one is being read.
    pax: Option<Vec<u8>>,
    /// A PAX header waits for the entry it describes.
    pending_pax: Option<Vec<u8>>,
    /// Entries seen, for messages.
    entries: u64,
    /// GNU sparse extension blocks of the current entry (the parser keeps
    /// a record per region they list).
    sparse_blocks: u64,
    /// Bytes followed so far.
    passed: u64,
    /// See [`Self::end`].
    end: Option<u64>,
    /// A header block read ahead whole (see [`Read::read`]), and how much
    /// of it the reader has had.
    staged: [u8; BLOCK],
    staged_len: usize,
    staged_at: usize,
}

impl<R> TarGuard<R> {
    pub fn new(inner: R) -> Self {
        TarGuard {
            inner,
            phase: Phase::Header,
            block: [0; BLOCK],
            fill: 0,
            left: 0,
            pad: 0,
            pax_left: 0,
            pax: None,
            pending_pax: None,
            entries: 0,
            sparse_blocks: 0,
            passed: 0,
            end: None,
            staged: [0; BLOCK],
            staged_len: 0,
            staged_at: 0,
        }
    }

    /// Where the archive ends (after its first all-zero header block,
    /// where the parser stops), once the stream has passed it.
    pub fn end(&self) -> Option<u64> {
        self.end
    }

    /// Follow `bytes`, the next ones of the stream.
    fn follow(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.phase {
                Phase::Done => return Ok(()),
                Phase::Header | Phase::SparseExt => {
                    let k = (BLOCK - self.fill).min(bytes.len());
                    self.block[self.fill..self.fill + k].copy_from_slice(&bytes[..k]);
                    self.fill += k;
                    bytes = &bytes[k..];
                    self.passed += k as u64;
                    if self.fill == BLOCK {
                        self.fill = 0;
                        if self.phase == Phase::Header {
                            self.header()?;
                            if self.phase == Phase::Done {
                                self.end = Some(self.passed);
                            }
                        } else {
                            self.sparse_block()?;
                        }
                    }
                }
                Phase::Data => {
                    let k = (self.left.min(bytes.len() as u64)) as usize;
                    self.data(&bytes[..k]);
                    bytes = &bytes[k..];
                    self.passed += k as u64;
                }
            }
        }
        Ok(())
    }

    /// Pass `n` bytes of data unseen (the parser seeks over them).
    fn skip(&mut self, n: u64) -> io::Result<()> {
        match self.phase {
            _ if n == 0 => Ok(()),
            Phase::Done => Ok(()),
            // Data, or the padding after a PAX header's records (all of
            // them read by then).
            Phase::Data if n <= self.left && self.pax_left == 0 => {
                self.left -= n;
                self.passed += n;
                if self.left == 0 {
                    self.end_data();
                }
                Ok(())
            }
            // The parser only seeks over whole data; anything else would
            // leave the guard blind.
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "tar: a seek the archive's structure does not allow",
            )),
        }
    }

    /// A GNU sparse extension block: the map may take [`MAX_EXTENSION`]
    /// bytes of them, as a PAX header may.
    fn sparse_block(&mut self) -> io::Result<()> {
        self.sparse_blocks += 1;
        if self.sparse_blocks * BLOCK as u64 > MAX_EXTENSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "tar entry {}: a GNU sparse map of more than {} bytes",
                    self.entries, MAX_EXTENSION
                ),
            ));
        }
        if self.block[504] != 1 {
            self.phase = self.data_phase();
        }
        Ok(())
    }

    fn data(&mut self, bytes: &[u8]) {
        if let Some(p) = &mut self.pax {
            let keep = self.pax_left.min(bytes.len() as u64) as usize;
            p.extend_from_slice(&bytes[..keep]);
            self.pax_left -= keep as u64;
        }
        self.left -= bytes.len() as u64;
        if self.left == 0 {
            self.end_data();
        }
    }

    /// An entry's data and padding have passed: a PAX header's records
    /// now wait for the entry they describe.
    fn end_data(&mut self) {
        if let Some(p) = self.pax.take() {
            self.pending_pax = Some(p);
        }
        self.phase = Phase::Header;
    }

    fn data_phase(&self) -> Phase {
        if self.left == 0 {
            Phase::Header
        } else {
            Phase::Data
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if self.block.iter().all(|&b| b == 0) {
            self.phase = Phase::Done;
            return Ok(());
        }
        self.entries += 1;
        let h = tar::Header::from_byte_slice(&self.block);
        // A block that is no header (its checksum does not add up, as
        // for any bytes that are not a tar): the parser refuses it when
        // it reads it, so nothing after it is passed on (a stream of
        // garbage is not spooled to its end). (A signed sum was mended
        // before this block was followed, see `mend_checksum`.)
        if h.cksum().ok() != Some(checksums(&self.block).0) {
            self.phase = Phase::Done;
            return Ok(());
        }
        let kind = h.entry_type();
        let recognized = h.as_ustar().is_some() || h.as_gnu().is_some();
        let extension = kind.is_gnu_longname()
            || kind.is_gnu_longlink()
            || kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions();
        // A bad size field: the parser says so (and stops) when it reads
        // this header; nothing of it is held meanwhile.
        let Ok(mut size) = h.entry_size() else {
            self.phase = Phase::Done;
            return Ok(());
        };
        let held =
            kind.is_gnu_longname() || kind.is_gnu_longlink() || kind.is_pax_local_extensions();
        // The tar crate takes such a header for what it is only under a
        // POSIX or GNU magic, and for an entry of its own otherwise; GNU
        // tar and Go's archive/tar (Docker, umoci, scanners) apply it
        // whatever the magic says. Read either way, the entries that
        // follow would differ (their names, where their data starts), so
        // it is refused.
        if held && !recognized {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "tar entry {}: {} without a POSIX or GNU magic (tar readers \
                     disagree on what follows it)",
                    self.entries,
                    extension_name(kind)
                ),
            ));
        }
        if held && size > MAX_EXTENSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "tar entry {}: {} of {size} bytes (more than the {} read)",
                    self.entries,
                    extension_name(kind),
                    MAX_EXTENSION
                ),
            ));
        }
        if !extension {
            if let Some(p) = self.pending_pax.take() {
                if let Some(s) = pax_size(&p).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("tar entry {}: {e}", self.entries),
                    )
                })? {
                    size = s;
                }
            }
            // Go's archive/tar and GNU tar read no data after such an
            // entry, whatever its size says; the tar crate reads that
            // many bytes as its data: what follows would be an entry to
            // one and data to the other.
            if header_only(kind) && size > 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "tar entry {}: a {} with a size of {size} bytes (no data follows \
                         such an entry; tools disagree on it)",
                        self.entries,
                        entry_kind(kind)
                    ),
                ));
            }
        }
        if held {
            if kind.is_pax_local_extensions() {
                self.pax = Some(Vec::with_capacity(size as usize));
                self.pax_left = size;
            }
        } else {
            // The entry the parser hands on: a pending PAX header is used
            // (or dropped) with it.
            self.pending_pax = None;
        }
        self.left = size.checked_next_multiple_of(BLOCK as u64).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "tar: entry size overflow")
        })?;
        self.pad = self.left - size;
        let sparse_ext =
            recognized && kind.is_gnu_sparse() && h.as_gnu().is_some_and(|g| g.is_extended());
        self.sparse_blocks = 0;
        self.phase = if sparse_ext {
            Phase::SparseExt
        } else {
            self.data_phase()
        };
        if self.phase == Phase::Header && self.pax.is_some() {
            // An empty PAX header.
            self.pending_pax = self.pax.take();
        }
        Ok(())
    }
}

/// The `size` record of PAX records; one that
/// is not a number is refused (the tar crate would quietly use the
/// header's size, where other readers refuse the entry: the same layer
/// would hold different files for different tools). So is a `size`,
/// `path` or `linkpath` given twice: the tar crate takes the first, Go's
/// archive/tar (Docker, containerd, umoci) and GNU tar the last, so a
/// layer could hide an entry, or name one otherwise, from one of them.
///
/// The records are read as Go reads them (each its length first), and
/// refused where Go refuses them (a length that does not end at a
/// newline, no `=`, an empty key) or where the tar crate, which cuts them
/// at newlines, would read others: a value holding a newline can hide a
/// record (`path=…`) inside another that Go takes whole.
fn pax_size(mut records: &[u8]) -> std::result::Result<Option<u64>, String> {
    let mut size = None;
    let mut seen: [bool; 3] = [false; 3];
    while !records.is_empty() {
        let (key, value, rest) = pax_record(records).ok_or_else(|| {
            format!(
                "a malformed PAX record {:?}",
                String::from_utf8_lossy(&records[..records.len().min(40)])
            )
        })?;
        records = rest;
        if key.contains(&b'\n') || value.contains(&b'\n') {
            return Err(format!(
                "a PAX {} record holding a newline (tools disagree on it)",
                String::from_utf8_lossy(key)
            ));
        }
        let Some(i) = [&b"size"[..], b"path", b"linkpath"]
            .iter()
            .position(|k| *k == key)
        else {
            continue;
        };
        if std::mem::replace(&mut seen[i], true) {
            return Err(format!(
                "a PAX header giving {} twice (tools disagree on which counts)",
                String::from_utf8_lossy(key)
            ));
        }
        if i > 0 {
            continue;
        }
        size = match std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
            Some(n) => Some(n),
            None => {
                return Err(format!(
                    "bad PAX size {:?}",
                    String::from_utf8_lossy(&value[..value.len().min(40)])
                ))
            }
        };
    }
    Ok(size)
}

/// The first PAX record of `b` (`LEN KEY=VALUE\n`, LEN counting all of
/// it), as Go's archive/tar reads one: its key, value and what follows;
/// None where Go refuses it.
fn pax_record(b: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let sp = b.iter().position(|&c| c == b' ')?;
    let len: usize = std::str::from_utf8(&b[..sp]).ok()?.parse().ok()?;
    if len < 5 || len > b.len() || sp + 1 >= len || b[len - 1] != b'\n' {
        return None;
    }
    let rec = &b[sp + 1..len - 1];
    let eq = rec.iter().position(|&c| c == b'=')?;
    if eq == 0 {
        return None;
    }
    Some((&rec[..eq], &rec[eq + 1..], &b[len..]))
}

/// The sums of a header block's bytes, its checksum field counted as
/// eight spaces: unsigned (POSIX) and signed (old writers').
fn checksums(block: &[u8; BLOCK]) -> (u32, i64) {
    let (mut unsigned, mut signed) = (8 * u32::from(b' '), 8 * i64::from(b' '));
    for &b in block[..148].iter().chain(&block[156..]) {
        unsigned += u32::from(b);
        signed += i64::from(b as i8);
    }
    (unsigned, signed)
}

/// A header whose checksum field holds its signed sum and not its
/// unsigned one: the field rewritten to the unsigned sum (as the tar crate
/// wants it), so that the parser reads the header GNU tar and Go read.
fn mend_checksum(block: &mut [u8; BLOCK]) {
    let (unsigned, signed) = checksums(block);
    let Ok(stored) = tar::Header::from_byte_slice(block).cksum() else {
        return;
    };
    if stored != unsigned && signed >= 0 && i64::from(stored) == signed {
        block[148..156].copy_from_slice(format!("{unsigned:06o}\0 ").as_bytes());
    }
}

/// An entry type in words, for messages.
pub fn entry_kind(kind: tar::EntryType) -> &'static str {
    use tar::EntryType as E;
    match kind {
        E::Regular | E::Continuous => "regular file",
        E::Link => "hard link",
        E::Symlink => "symbolic link",
        E::Char => "character device",
        E::Block => "block device",
        E::Directory => "directory",
        E::Fifo => "FIFO",
        _ => "special entry",
    }
}

/// Is `kind` a type no data follows (a hard or symbolic link, a device,
/// a directory, a FIFO: POSIX stores no data for them)?
fn header_only(kind: tar::EntryType) -> bool {
    use tar::EntryType as E;
    matches!(
        kind,
        E::Link | E::Symlink | E::Char | E::Block | E::Directory | E::Fifo
    )
}

impl<R: Read> Read for TarGuard<R> {
    /// The stream's bytes. A stream that ends in the padding after an
    /// entry's data (umoci 0.4 writes layers that stop right after the
    /// last file's data, with no padding and no end blocks) has the rest
    /// of that padding added: the parser then finds the end of the
    /// stream at a header boundary, its end of the archive, as Go's
    /// archive/tar (Docker, containerd, umoci) reads such a stream. One
    /// that ends inside a header or an entry's data stays short.
    ///
    /// A header block is read ahead whole and handed over from the guard
    /// (mended, see [`mend_checksum`]); other reads stop where the next
    /// header begins, so that no byte of a header reaches the parser
    /// before the guard has the block whole.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.staged_at < self.staged_len {
            let k = (self.staged_len - self.staged_at).min(buf.len());
            buf[..k].copy_from_slice(&self.staged[self.staged_at..self.staged_at + k]);
            self.staged_at += k;
            return Ok(k);
        }
        if self.phase == Phase::Header && self.fill == 0 {
            let n = crate::fsutil::read_up_to(&mut self.inner, &mut self.staged)?;
            if n == 0 {
                return Ok(0);
            }
            if n == BLOCK {
                mend_checksum(&mut self.staged);
            }
            let block = self.staged;
            self.follow(&block[..n])?;
            self.staged_len = n;
            self.staged_at = 0;
            return self.read(buf);
        }
        let want = match self.phase {
            Phase::Data => (self.left.min(buf.len() as u64)) as usize,
            Phase::Header | Phase::SparseExt => (BLOCK - self.fill).min(buf.len()),
            Phase::Done => buf.len(),
        };
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 && self.phase == Phase::Data && self.left <= self.pad {
            let k = (self.left as usize).min(buf.len());
            buf[..k].fill(0);
            self.follow(&buf[..k])?;
            return Ok(k);
        }
        self.follow(&buf[..n])?;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for TarGuard<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match pos {
            // (never with a header read ahead and not yet handed over)
            SeekFrom::Current(n) if n >= 0 && self.staged_at == self.staged_len => {
                self.skip(n as u64)?;
                self.inner.seek(pos)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "tar: only forward seeks",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, kind: u8, size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    fn entry(out: &mut Vec<u8>, name: &str, kind: u8, data: &[u8]) {
        out.extend(header(name, kind, data.len() as u64));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }

    fn names(bytes: &[u8]) -> io::Result<Vec<(String, Vec<u8>)>> {
        let mut ar = tar::Archive::new(TarGuard::new(bytes));
        let mut v = Vec::new();
        for e in ar.entries()? {
            let mut e = e?;
            let mut d = Vec::new();
            e.read_to_end(&mut d)?;
            v.push((String::from_utf8_lossy(&e.path_bytes()).into_owned(), d));
        }
        Ok(v)
    }

    /// A stream that stops in the padding after the last entry's data
    /// (umoci 0.4's layers) ends there, as Go's reader ends it; one that
    /// stops inside data or a header is short.
    #[test]
    fn a_stream_ending_in_padding_ends_the_archive() {
        let mut t = Vec::new();
        entry(&mut t, "a", b'0', b"hello");
        entry(&mut t, "d/", b'5', b"");
        t.extend(header("z", b'0', 6));
        t.extend_from_slice(b"world\n");
        let want = vec![
            ("a".to_string(), b"hello".to_vec()),
            ("d/".to_string(), Vec::new()),
            ("z".to_string(), b"world\n".to_vec()),
        ];
        // no padding, some of it, all of it with no end blocks
        for pad in [0, 100, 506] {
            let mut s = t.clone();
            s.resize(t.len() + pad, 0);
            assert_eq!(names(&s).unwrap(), want, "{pad}");
        }
        // Cut inside the last data, inside a header: short.
        assert!(names(&t[..t.len() - 1]).is_err());
        let mut h = t.clone();
        h.resize(t.len().div_ceil(BLOCK) * BLOCK, 0);
        h.extend(&header("y", b'0', 1)[..100]);
        assert!(names(&h).is_err());
    }

    #[test]
    fn passes_ordinary_and_extended_archives() {
        let mut t = Vec::new();
        entry(&mut t, "a", b'0', b"hello");
        let long = "d/".repeat(200) + "f";
        entry(&mut t, "././@LongLink", b'L', long.as_bytes());
        entry(&mut t, "short", b'0', b"long-named");
        // A PAX size overriding the header's (0 here): the data is 700
        // bytes, two blocks.
        let rec = "12 size=700\n";
        entry(&mut t, "pax", b'x', rec.as_bytes());
        t.extend(header("big", b'0', 0));
        t.extend(vec![7u8; 700]);
        t.resize(t.len().div_ceil(BLOCK) * BLOCK, 0);
        entry(&mut t, "z", b'0', b"last");
        t.extend([0u8; 1024]);
        let got = names(&t).unwrap();
        let want: Vec<(String, Vec<u8>)> = vec![
            ("a".into(), b"hello".to_vec()),
            (long, b"long-named".to_vec()),
            ("big".into(), vec![7; 700]),
            ("z".into(), b"last".to_vec()),
        ];
        assert_eq!(got, want);
        // Read a byte at a time: the same.
        let mut slow = Vec::new();
        let mut g = TarGuard::new(&t[..]);
        let mut b = [0u8; 1];
        while g.read(&mut b).unwrap() == 1 {
            slow.push(b[0]);
        }
        assert_eq!(slow, t);
    }

    /// A PAX header or GNU long name under another magic (none, a
    /// POSIX magic with another version): the tar crate would read it as
    /// an entry of its own, and the next entry by its own header, where
    /// GNU tar and Go apply it. Refused, whatever the magic.
    #[test]
    fn extension_headers_without_their_magic_are_refused() {
        for kind in [b'x', b'L', b'K'] {
            for magic in [&b"\0\0\0\0\0\0\0\0"[..], b"ustar\0\0\0", b"ustar\0  "] {
                let data: &[u8] = if kind == b'x' {
                    b"26 path=etc/ld.so.preload\n"
                } else {
                    b"etc/ld.so.preload\0"
                };
                // (the first header's magic, its checksum made again)
                let set_magic = |t: &mut Vec<u8>, magic: &[u8]| {
                    t[257..265].copy_from_slice(magic);
                    let sum = checksums(t[..BLOCK].try_into().unwrap()).0;
                    t[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
                };
                let mut t = Vec::new();
                entry(&mut t, "ext", kind, data);
                set_magic(&mut t, magic);
                entry(&mut t, "tmp/harmless", b'0', b"x");
                t.extend([0u8; 1024]);
                let e = names(&t).unwrap_err().to_string();
                assert!(
                    e.contains("without a POSIX or GNU magic"),
                    "{kind} {magic:?}: {e}"
                );
                // (the same with the magic the tar crate knows: applied)
                set_magic(&mut t, b"ustar\x0000");
                let got = names(&t).unwrap();
                assert_eq!(got.len(), 1, "{kind}");
                let want = if kind == b'K' {
                    "tmp/harmless"
                } else {
                    "etc/ld.so.preload"
                };
                assert_eq!(got[0].0, want, "{kind}");
            }
        }
    }

    /// What a seeking reader (the archive transports') finds: the
    /// parser reads a PAX header's records, then seeks over its padding.
    #[test]
    fn seeking_readers_pass_pax_headers() {
        let mut t = Vec::new();
        let long = "n/".repeat(80) + "f";
        let mut b = tar::Builder::new(&mut t);
        for (name, data) in [(long.as_str(), &b"one"[..]), ("short", b"two")] {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // append_data writes a PAX or GNU extension for the long
            // name; make it PAX, as GNU tar --format=posix and Python do.
            b.append_pax_extensions([("path", name.as_bytes())])
                .unwrap();
            b.append_data(&mut h, "x", data).unwrap();
        }
        b.finish().unwrap();
        drop(b);
        let mut ar = tar::Archive::new(TarGuard::new(io::Cursor::new(&t)));
        let got: Vec<String> = ar
            .entries_with_seek()
            .unwrap()
            .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
            .collect();
        assert_eq!(got, vec![long, "short".to_string()]);
    }

    #[test]
    fn refuses_huge_extension_headers_before_the_parser_reads_them() {
        for kind in [b'x', b'L', b'K'] {
            let mut t = header("ext", kind, MAX_EXTENSION + 1);
            t.extend(vec![b'a'; 4096]); // the rest would follow
            let e = names(&t).unwrap_err();
            assert!(e.to_string().contains("bytes (more than"), "{e}");
            // At the limit: passed on (and read by the parser).
            let mut ok = Vec::new();
            let body = if kind == b'x' {
                // One record exactly MAX_EXTENSION long, its length
                // (7 digits) included.
                let n = MAX_EXTENSION as usize;
                let line = format!("{n} comment={}\n", "c".repeat(n - 17));
                assert_eq!(line.len(), n, "record length");
                line.into_bytes()
            } else {
                vec![b'n'; MAX_EXTENSION as usize]
            };
            entry(&mut ok, "ext", kind, &body);
            entry(&mut ok, "f", b'0', b"x");
            ok.extend([0u8; 1024]);
            let mut ar = tar::Archive::new(TarGuard::new(&ok[..]));
            for e in ar.entries().unwrap() {
                let _ = e;
            }
        }
        // A global PAX header is not held by the parser: not limited.
        let mut t = Vec::new();
        entry(
            &mut t,
            "g",
            b'g',
            &vec![b'\n'; (MAX_EXTENSION + 1) as usize],
        );
        t.extend([0u8; 1024]);
        assert!(names(&t).is_ok());
    }

    /// A GNU sparse entry (type S, GNU header) with `ext` extension
    /// blocks, each listing one region: 512 bytes of ones every 1024.
    fn sparse(ext: usize) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.set_path("s").unwrap();
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_size(ext as u64 * 512);
        h.set_mode(0o644);
        {
            let g = h.as_gnu_mut().unwrap();
            g.isextended[0] = u8::from(ext > 0);
            let real = format!("{:011o}\0", (ext * 1024).saturating_sub(512));
            g.realsize.copy_from_slice(real.as_bytes());
        }
        h.set_cksum();
        let mut t = h.as_bytes().to_vec();
        for i in 0..ext {
            let mut b = [0u8; BLOCK];
            b[..12].copy_from_slice(format!("{:011o}\0", i * 1024).as_bytes());
            b[12..24].copy_from_slice(b"00000001000\0");
            b[504] = u8::from(i + 1 < ext);
            t.extend(b);
        }
        t.extend(vec![1u8; ext * 512]);
        t.resize(t.len().div_ceil(BLOCK) * BLOCK, 0);
        t.extend([0u8; 1024]);
        t
    }

    #[test]
    fn sparse_maps_are_followed_and_capped() {
        let got = names(&sparse(3)).unwrap();
        let mut want = vec![1u8; 512];
        for _ in 1..3 {
            want.extend([0u8; 512]);
            want.extend([1u8; 512]);
        }
        assert_eq!(got, vec![("s".to_string(), want)]);
        let max = (MAX_EXTENSION as usize) / BLOCK;
        let e = names(&sparse(max + 1)).unwrap_err();
        assert!(e.to_string().contains("GNU sparse map"), "{e}");
    }

    /// A header whose checksum is its signed sum is mended for the
    /// parser; the same block as a file's data passes unchanged, however
    /// the reads cut it.
    #[test]
    fn signed_checksums_are_mended_in_headers_only() {
        let mut signed = header("caf\u{e9}", b'0', 3);
        signed[148..156].fill(b' ');
        let sum: i64 = signed.iter().map(|&b| i64::from(b as i8)).sum();
        signed[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let mut t = signed.clone();
        t.extend_from_slice(b"abc");
        t.resize(BLOCK * 2, 0);
        entry(&mut t, "data", b'0', &signed);
        t.extend([0u8; 1024]);
        let got = names(&t).unwrap();
        assert_eq!(got[0], ("caf\u{e9}".to_string(), b"abc".to_vec()));
        assert_eq!(got[1], ("data".to_string(), signed.clone()));
        for step in [1, 100, 511, 513, 4096] {
            let mut out = Vec::new();
            let mut g = TarGuard::new(&t[..]);
            let mut b = vec![0u8; step];
            loop {
                let n = g.read(&mut b).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&b[..n]);
            }
            assert_eq!(out.len(), t.len());
            assert_eq!(out[..148], t[..148]);
            assert_ne!(out[148..156], t[148..156]);
            assert_eq!(out[156..], t[156..], "{step}");
        }
    }

    #[test]
    fn stops_looking_after_the_end_and_leaves_bad_headers_to_the_parser() {
        let mut t = Vec::new();
        entry(&mut t, "a", b'0', b"x");
        t.extend([0u8; 1024]);
        t.extend(header("ext", b'x', 1 << 40)); // after the end
        assert_eq!(names(&t).unwrap().len(), 1);
        let mut bad = header("a", b'0', 3);
        bad[124..136].copy_from_slice(b"zzzzzzzzzzz\0");
        let e = names(&bad).unwrap_err();
        assert!(!e.to_string().contains("more than"), "{e}");
    }
}
