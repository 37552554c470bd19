//! Writing a tar archive that appears at its target only when complete.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;

use crate::error::{Context, Error, Result};
use crate::fsutil::fsync_dir;

/// Where the bytes go: a plain or gzip stream over a file, or any writer
/// (a pipe into `docker load`).
pub enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<GzEncoder<BufWriter<File>>>),
    Stream(BufWriter<Box<dyn Write + Send>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf).map_err(unfinished),
            Sink::Gzip(w) => w.write(buf).map_err(unfinished),
            Sink::Stream(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush().map_err(unfinished),
            Sink::Gzip(w) => w.flush().map_err(unfinished),
            Sink::Stream(w) => w.flush(),
        }
    }
}

/// A write of an archive into a pipe or FIFO (`/dev/stdout | …`) whose
/// reader went away: a failure, the reader's archive cut short, never the
/// silent end a closed pipe is for printed output. (A stream into
/// `docker load` says its own.)
pub fn unfinished(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::BrokenPipe => io::Error::other(Error::new(
            "the reader closed the pipe before the archive's end (broken pipe)",
        )),
        _ => e,
    }
}

impl Sink {
    /// Flush everything; the file, if the sink writes one.
    fn finish(self) -> io::Result<Option<File>> {
        let w = match self {
            Sink::Plain(w) => w,
            Sink::Gzip(g) => g.finish().map_err(unfinished)?,
            Sink::Stream(w) => {
                w.into_inner().map_err(|e| e.into_error())?;
                return Ok(None);
            }
        };
        w.into_inner()
            .map(Some)
            .map_err(|e| unfinished(e.into_error()))
    }
}

/// Is it a socket (`/dev/stdout` of a process started with a socket for
/// its output), which no open(2) of its path reaches?
pub fn is_socket(m: &fs::Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_socket(&m.file_type())
}

/// Why an archive is not written into a socket: said before anything is
/// read, not once the archive is made.
pub fn socket_refused(shown: &str) -> Error {
    Error::new(format!(
        "{shown} is a socket, which cannot be opened to write an archive into; \
         give a file or a pipe (… | cat > FILE)"
    ))
}

/// Why an archive is not written over a file.
pub const EXISTS: &str =
    "the file exists; lade does not modify existing archives (remove it first)";

/// A tar archive being written.
///
/// A regular-file target (existing or not) is written as a temp file in
/// the same directory and renamed over the target by [`TarOutput::finish`];
/// dropping the output earlier removes the temp file. A target that exists
/// and is not a regular file (a FIFO, `/dev/stdout`) is written directly:
/// there is nothing to rename, and a failure leaves the reader with a
/// partial stream. Targets named `*.gz`/`*.tgz` are gzip-compressed.
///
/// Entries get uid/gid 0, mtime 0 and mode 0644 (0777 for symlinks), so
/// the same content gives the same archive.
pub struct TarOutput {
    builder: Option<tar::Builder<Sink>>,
    target: PathBuf,
    /// The temp file, removed on drop unless persisted.
    temp: Option<tempfile::TempPath>,
    /// A file written in place ([`TarOutput::through`]), emptied again on
    /// drop unless finished.
    in_place: Option<File>,
}

impl Drop for TarOutput {
    fn drop(&mut self) {
        if let (Some(b), Some(f)) = (self.builder.take(), &self.in_place) {
            // (the builder writes what it holds as it goes: first)
            drop(b);
            let _ = f.set_len(0);
        }
    }
}

impl TarOutput {
    /// Does the target's name ask for gzip?
    pub fn wants_gzip(target: &Path) -> bool {
        let name = target.to_string_lossy().to_ascii_lowercase();
        name.ends_with(".gz") || name.ends_with(".tgz")
    }

    /// Start writing an archive for `target`.
    pub fn create(target: &Path) -> Result<TarOutput> {
        let shown = target.display().to_string();
        let direct = match fs::metadata(target) {
            Ok(m) if m.is_dir() => {
                return Err(Error::new(format!("{shown}: is a directory")));
            }
            Ok(m) if is_socket(&m) => return Err(socket_refused(&shown)),
            Ok(m) => !m.is_file(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(Error::from(e).context(shown)),
        };
        let (file, temp) = if direct {
            let f = fs::OpenOptions::new()
                .write(true)
                .open(target)
                .with_context(|| shown.clone())?;
            (f, None)
        } else {
            let dir = crate::fsutil::dir_of(target);
            let tmp = crate::fsutil::temp_file_in(dir)
                .with_context(|| format!("{}: creating a temp file", dir.display()))?;
            let (f, path) = tmp.into_parts();
            (f, Some(path))
        };
        let w = BufWriter::with_capacity(1 << 20, file);
        let sink = if Self::wants_gzip(target) {
            Sink::Gzip(Box::new(GzEncoder::new(w, flate2::Compression::default())))
        } else {
            Sink::Plain(w)
        };
        let mut builder = tar::Builder::new(sink);
        builder.mode(tar::HeaderMode::Deterministic);
        Ok(TarOutput {
            builder: Some(builder),
            target: target.to_path_buf(),
            temp,
            in_place: None,
        })
    }

    /// Write a plain archive into the empty regular file `link` leads to
    /// (`/dev/stdout` of `> app.tar`), in place, as the shell opened it:
    /// its inode, mode and links stay. Dropped unfinished, the file is
    /// emptied again.
    pub fn through(link: &Path) -> Result<TarOutput> {
        let shown = link.display().to_string();
        let f = fs::OpenOptions::new()
            .write(true)
            .open(link)
            .with_context(|| shown.clone())?;
        if f.metadata().with_context(|| shown.clone())?.len() > 0 {
            return Err(Error::new(EXISTS).context(&shown));
        }
        let undo = f.try_clone().with_context(|| shown.clone())?;
        let mut builder = tar::Builder::new(Sink::Plain(BufWriter::with_capacity(1 << 20, f)));
        builder.mode(tar::HeaderMode::Deterministic);
        Ok(TarOutput {
            builder: Some(builder),
            target: link.to_path_buf(),
            temp: None,
            in_place: Some(undo),
        })
    }

    /// Write a plain archive into `w` (a pipe); `name` is for messages.
    /// [`TarOutput::finish`] ends the archive and drops `w`; dropped
    /// earlier, the reader gets a truncated archive.
    pub fn to_writer(w: Box<dyn Write + Send>, name: &str) -> TarOutput {
        let mut builder = tar::Builder::new(Sink::Stream(BufWriter::with_capacity(1 << 20, w)));
        builder.mode(tar::HeaderMode::Deterministic);
        TarOutput {
            builder: Some(builder),
            target: PathBuf::from(name),
            temp: None,
            in_place: None,
        }
    }

    fn builder(&mut self) -> &mut tar::Builder<Sink> {
        self.builder.as_mut().expect("TarOutput used after finish")
    }

    fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    /// Append a regular file of `size` bytes read from `data`. `data` must
    /// yield exactly `size` bytes; a reader that errors (for example a
    /// verifying reader on a digest mismatch) leaves the archive unusable,
    /// and the caller must then drop this output.
    pub fn append_file(&mut self, name: &str, size: u64, data: &mut dyn Read) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, size, 0o644);
        let mut counted = CountingReader { inner: data, n: 0 };
        self.builder()
            .append_data(&mut h, name, &mut counted)
            .map_err(Error::from)?;
        if counted.n != size {
            return Err(Error::new(format!(
                "{name}: got {} bytes, expected {size}",
                counted.n
            )));
        }
        Ok(())
    }

    pub fn append_bytes(&mut self, name: &str, data: &[u8]) -> Result<()> {
        self.append_file(name, data.len() as u64, &mut &data[..])
    }

    pub fn append_symlink(&mut self, name: &str, target: &str) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Symlink, 0, 0o777);
        self.builder().append_link(&mut h, name, target)?;
        Ok(())
    }

    /// Finish the archive and put it in place: end-of-archive blocks,
    /// gzip trailer, fsync, rename over the target, fsync the directory.
    pub fn finish(mut self) -> Result<()> {
        let shown = self.target.display().to_string();
        let builder = self.builder.take().expect("finish called twice");
        let file = builder
            .into_inner()
            .and_then(Sink::finish)
            .with_context(|| shown.clone())?;
        if let (Some(temp), Some(file)) = (self.temp.take(), file) {
            file.sync_all().with_context(|| shown.clone())?;
            // Temp files are created 0600; an archive is an ordinary
            // file, made as the umask says.
            fs::set_permissions(
                &temp,
                fs::Permissions::from_mode(crate::fsutil::file_mode()),
            )
            .with_context(|| shown.clone())?;
            // Never over a file made since the destination was checked
            // (an empty one, as mktemp makes, is the target itself).
            let empty =
                fs::symlink_metadata(&self.target).is_ok_and(|m| m.is_file() && m.len() == 0);
            let put = if empty {
                temp.persist(&self.target)
            } else {
                temp.persist_noclobber(&self.target)
            };
            put.map_err(|e| match e.error.kind() {
                io::ErrorKind::AlreadyExists => Error::new(EXISTS).context(&shown),
                _ => Error::from(e.error).context(&shown),
            })?;
            fsync_dir(crate::fsutil::dir_of(&self.target)).with_context(|| shown.clone())?;
        }
        Ok(())
    }
}

struct CountingReader<'a> {
    inner: &'a mut dyn Read,
    n: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::TarIndex;

    #[test]
    fn appears_only_on_finish() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.tar");
        let mut out = TarOutput::create(&target).unwrap();
        out.append_bytes("a.txt", b"hello").unwrap();
        out.append_symlink("d/link", "../a.txt").unwrap();
        assert!(!target.exists());
        out.finish().unwrap();
        let ix = TarIndex::scan(File::open(&target).unwrap()).unwrap();
        let e = ix.resolve("d/link").unwrap();
        let mut s = String::new();
        ix.open(e).read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");

        let t2 = dir.path().join("dropped.tar");
        let mut out = TarOutput::create(&t2).unwrap();
        out.append_bytes("a.txt", b"x").unwrap();
        drop(out);
        assert!(!t2.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "temp left");
    }

    #[test]
    fn gzip_by_name_and_short_data() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.tar.gz");
        let mut out = TarOutput::create(&target).unwrap();
        let e = out.append_file("x", 10, &mut &b"short"[..]).unwrap_err();
        assert!(e.to_string().contains("expected 10"), "{e}");
        drop(out);
        let mut out = TarOutput::create(&target).unwrap();
        out.append_bytes("x", b"0123456789").unwrap();
        out.finish().unwrap();
        let (f, c) = crate::archive::open_input(&target, None).unwrap();
        assert_eq!(c, crate::model::Compression::Gzip);
        let ix = TarIndex::scan(f).unwrap();
        assert_eq!(ix.resolve("x").unwrap().size, 10);
        // (in any case)
        for (name, gz) in [("A.TAR.GZ", true), ("a.TGZ", true), ("a.tar", false)] {
            assert_eq!(TarOutput::wants_gzip(Path::new(name)), gz, "{name}");
        }
    }
}
