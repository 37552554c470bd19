//! Tar archives holding images (`docker save` tarballs, OCI archives).
//!
//! - [`TarIndex`] scans an uncompressed tar file once and records, for
//!   every member, where its data lies, its size, its type and its link
//!   target. Members are then read in place with positional reads
//!   ([`EntryReader`]), so several can be read at once from one open file.
//!   Paths are normalised lexically and every lookup is resolved inside
//!   the archive root (symlinks and hard links included); a path or link
//!   leading outside is an error, never a read of something else.
//! - [`open_input`] accepts a plain or gzip-compressed tar (detected by
//!   magic bytes, not by file name). A gzip archive is decompressed once
//!   into an anonymous temp file, then treated like a plain tar: members
//!   of a gzip stream cannot be read in place, and reading each member by
//!   decompressing from the start would cost far more than one pass.
//! - [`TarOutput`] writes an archive into a temp file beside the target
//!   and renames it into place on [`TarOutput::finish`]; dropped earlier,
//!   it leaves nothing behind. Targets ending in `.gz`/`.tgz` are gzipped.

mod guard;
mod index;
mod output;

pub use guard::{entry_kind, TarGuard, MAX_EXTENSION};

pub use index::{clean_path, not_tar, EntryKind, EntryReader, TarEntry, TarIndex};
pub use output::{is_socket, socket_refused, unfinished, TarOutput, EXISTS};

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::compress::sniff;
use crate::error::{Error, Result};
use crate::model::Compression;

/// The longest member name or link target an image archive may hold
/// (PATH_MAX). An archive is indexed by name, so longer ones are refused:
/// a few hundred KB of gzip could otherwise claim gigabytes of names.
pub const MAX_NAME: usize = 4096;

/// Refuse a member name or link target (`what`) past [`MAX_NAME`];
/// `n` counts the members, from 1.
pub fn check_name_len(raw: &[u8], what: &str, n: usize) -> Result<()> {
    if raw.len() > MAX_NAME {
        return Err(Error::new(format!(
            "member {n} has a {what} of {} bytes; names in an image archive are at most {MAX_NAME}",
            raw.len()
        )));
    }
    Ok(())
}

/// How much of a gzip archive past the tar's end is read, to reach the
/// gzip trailer and check it (and of a pipe, so its writer can finish).
const MAX_PAST_END: usize = 1 << 20;

/// Open the archive at `path` for indexing: a plain tar file as is; a
/// gzip tar, or any archive read from a pipe (`/dev/stdin`, `<(…)`, a
/// FIFO, whose writer is waited for), spooled into an anonymous temp file
/// in `tmp_dir` (the system's temp dir when None), decompressed. Returns
/// the plain tar file, positioned at its start, and the compression the
/// input had.
pub fn open_input(path: &Path, tmp_dir: Option<&Path>) -> Result<(File, Compression)> {
    let (file, pipe) = crate::fsutil::open_stream(path).map_err(|e| {
        if path.is_dir() {
            Error::new("is a directory, not an archive")
        } else if e.kind() == std::io::ErrorKind::NotFound {
            // The image named is not there (exit 1), as a missing oci:
            // or dir: path, said alike, the path named.
            Error::not_found(format!("{}: no such file", path.display()))
        } else {
            Error::from(e)
        }
    })?;
    if pipe {
        let mut pipe = file;
        let mut magic = [0u8; 6];
        let n = crate::fsutil::read_up_to(&mut pipe, &mut magic)?;
        unsupported_compression(&magic[..n])?;
        let stream = (&magic[..n]).chain(pipe);
        return match sniff(&magic[..n]) {
            Compression::None => Ok((
                spool(stream, tmp_dir, "reading the pipe")?,
                Compression::None,
            )),
            c => Ok((decompress(stream, c, tmp_dir)?, c)),
        };
    }
    let mut magic = [0u8; 6];
    let n = read_prefix(&file, &mut magic)?;
    unsupported_compression(&magic[..n])?;
    match sniff(&magic[..n]) {
        Compression::None => Ok((file, Compression::None)),
        c => Ok((decompress(file, c, tmp_dir)?, c)),
    }
}

/// Refuse an archive compressed as lade does not read (xz, bzip2), by
/// its first bytes, naming the tool that reads it.
fn unsupported_compression(magic: &[u8]) -> Result<()> {
    let (what, tool) = if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        ("xz", "xz -d")
    } else if magic.starts_with(b"BZh") {
        ("bzip2", "bzip2 -d")
    } else {
        return Ok(());
    };
    Err(Error::new(format!(
        "{what}-compressed archives are not supported; decompress it first ({tool})"
    )))
}

/// A compressed archive, decompressed into a temp file.
fn decompress(input: impl Read, c: Compression, tmp_dir: Option<&Path>) -> Result<File> {
    match c {
        Compression::Gzip => {
            let gz = GzMembers::new(BufReader::with_capacity(1 << 20, input));
            spool(gz, tmp_dir, "decompressing the gzip archive")
        }
        _ => Err(Error::new(
            "zstd-compressed archives are not supported; decompress it first (zstd -d)",
        )),
    }
}

/// Gzip members one after another, each checked (CRC and length) as it
/// ends, as gzip reads them: bytes after a whole member that do not start
/// another (no gzip magic: zeros padding a tape block, garbage) end the
/// stream, however few or many, as gzip -t passes over them with a
/// warning. A member cut short is an error.
struct GzMembers<R: io::BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: io::BufRead> GzMembers<R> {
    fn new(r: R) -> Self {
        GzMembers {
            member: Some(flate2::bufread::GzDecoder::new(r)),
        }
    }
}

impl<R: io::BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(m) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = m.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member ended whole: another one, or the end.
            let mut r = self.member.take().expect("a member").into_inner();
            let next = r.fill_buf()?;
            if next.first() == Some(&0x1f) && next.get(1).is_none_or(|&b| b == 0x8b) {
                self.member = Some(flate2::bufread::GzDecoder::new(r));
            }
        }
    }
}

/// Copy the tar `input` into an anonymous temp file in `tmp_dir`, up to
/// the archive's end, where the parser stops: what follows is not
/// written out, however much it is. Returns the file at its start.
fn spool(input: impl Read, tmp_dir: Option<&Path>, what: &str) -> Result<File> {
    let mut tmp = crate::fsutil::scratch_file(tmp_dir, "to hold the archive")?;
    let mut guard = TarGuard::new(input);
    let mut buf = vec![0u8; 1 << 16];
    let read_failed = |e: io::Error| Error::from(e).context(what);
    let mut written = 0u64;
    loop {
        let n = match guard.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_failed(e)),
        };
        let keep = guard
            .end()
            .map_or(n, |end| (end - written).min(n as u64) as usize);
        tmp.write_all(&buf[..keep]).map_err(|e| {
            let dir = tmp_dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
            Error::from(e).context(format!("writing a temp file in {}", dir.display()))
        })?;
        written += keep as u64;
        if guard.end().is_some() {
            // The rest read (not kept) to the input's end, so a gzip's
            // CRC and length are checked (a tar pads its end with a few
            // KiB of zeros) and a pipe's writer is not cut off. Past
            // MAX_PAST_END, what follows is left unread. (Bytes after a
            // whole gzip member that start no other are left as gzip -t
            // leaves them, see `GzMembers`.)
            let mut past = n - keep;
            while past < MAX_PAST_END {
                match guard.read(&mut buf) {
                    Ok(0) => break,
                    Ok(m) => past += m,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(read_failed(e)),
                }
            }
            break;
        }
    }
    tmp.seek(SeekFrom::Start(0))?;
    Ok(tmp)
}

/// Read up to `buf.len()` bytes from the start of `file`.
fn read_prefix(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzip archive is decompressed up to the tar's end (and a record
    /// of padding); bytes after that are not written out.
    #[test]
    fn gzip_input_stops_at_the_archives_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut tar = Vec::new();
        {
            let mut b = tar::Builder::new(&mut tar);
            let mut h = tar::Header::new_ustar();
            h.set_size(5);
            h.set_mode(0o644);
            b.append_data(&mut h, "a", &b"hello"[..]).unwrap();
            b.finish().unwrap();
        }
        let tar_len = tar.len() as u64;
        // 64 MiB of zeros after the end, and a second gzip member
        let path = dir.path().join("x.tar.gz");
        let mut gz = flate2::write::GzEncoder::new(
            File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&tar).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap();
        let (f, c) = open_input(&path, Some(dir.path())).unwrap();
        assert_eq!(c, Compression::Gzip);
        let len = f.metadata().unwrap().len();
        // the end: after the first of the two zero blocks
        assert_eq!(len, tar_len - 512, "bytes written");
        let ix = TarIndex::scan(f).unwrap();
        assert_eq!(ix.read_small("a", 100).unwrap(), b"hello");
    }
}
