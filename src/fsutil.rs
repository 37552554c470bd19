//! File-system helpers: durable renames, bounded reads, fast hashing of files.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use crate::error::{Error, Result};
use crate::model::{Algorithm, Digest};

/// fsync a directory so a rename inside it is durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Read at most `cap` bytes; more is an error naming `what`.
pub fn read_capped<R: Read + ?Sized>(r: &mut R, cap: u64, what: &str) -> Result<Vec<u8>> {
    read_capped_into(r, cap, what, Vec::new())
}

/// An error of writing `what` into `dir`: where, when the disk took no
/// more (full, over quota, too large, read-only); as it is otherwise (a
/// read that failed on the way, whose own error says what it was).
pub fn writing_in(e: io::Error, what: &str, dir: &Path) -> Error {
    use io::ErrorKind::*;
    match e.kind() {
        StorageFull | QuotaExceeded | FileTooLarge | ReadOnlyFilesystem => {
            Error::from(e).context(format!("writing {what} in {}", dir.display()))
        }
        _ => e.into(),
    }
}

/// The user's home directory as containers/image and Docker find it:
/// `$HOME` when set and not empty, else the current user's entry in
/// `/etc/passwd` (a service run without `HOME`, as systemd runs root's).
/// Found once per process (every per-user file asks for it).
pub fn home_dir() -> Option<PathBuf> {
    static HOME: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            return Some(PathBuf::from(h));
        }
        let uid = rustix::process::getuid().as_raw().to_string();
        let passwd = read_settings_file(Path::new("/etc/passwd"), 16 << 20).ok()?;
        passwd_home(&String::from_utf8_lossy(&passwd), &uid)
    })
    .clone()
}

/// The home directory of user `uid` in an `/etc/passwd` text.
fn passwd_home(passwd: &str, uid: &str) -> Option<PathBuf> {
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[2] == uid && !f[5].is_empty()).then(|| PathBuf::from(f[5]))
    })
}

/// `$VAR` as a base directory of the XDG spec: set, and absolute (a
/// relative one is to be ignored, as if unset).
pub fn xdg_dir(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// [`read_capped`] of a file, in a buffer of its size (not grown by
/// doubling: index.json may be 64 MiB), and refused by its size before
/// any of it is read.
pub fn read_capped_file(f: &mut File, cap: u64, what: &str) -> Result<Vec<u8>> {
    let len = f.metadata()?.len();
    if len > cap {
        return Err(larger_than(what, cap));
    }
    read_capped_into(f, cap, what, Vec::with_capacity(len as usize + 1))
}

fn read_capped_into<R: Read + ?Sized>(
    r: &mut R,
    cap: u64,
    what: &str,
    mut buf: Vec<u8>,
) -> Result<Vec<u8>> {
    r.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(larger_than(what, cap));
    }
    Ok(buf)
}

fn larger_than(what: &str, cap: u64) -> Error {
    Error::new(format!("{what} is larger than the {cap} byte limit"))
}

/// Read until `buf` is full or the input ends (a short read is not the
/// end); returns how many bytes were read.
pub fn read_up_to<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The receiving end of a channel of buffers, as a reader: their bytes in
/// order, an error sent in their place, the end once every sender is gone.
/// With `back`, each buffer read is sent back for the producer to reuse.
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    back: Option<mpsc::Sender<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    pub fn new(
        rx: mpsc::Receiver<io::Result<Vec<u8>>>,
        back: Option<mpsc::Sender<Vec<u8>>>,
    ) -> Self {
        ChannelReader {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(next)) => {
                    let old = std::mem::replace(&mut self.cur, next);
                    if let Some(b) = &self.back {
                        let _ = b.send(old);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Chunk size and depth of [`pipelined`]'s read-ahead.
const CHUNK: usize = 1 << 20;
const IN_FLIGHT: usize = 16;

/// Run `consume` on the bytes of `r`, which another thread reads (and so
/// verifies, decompresses, or drains from a socket) ahead, at most
/// `IN_FLIGHT` chunks of `CHUNK` bytes ahead.
/// `r` is read to its very end even when `consume` stops early (a tar's
/// end-of-archive marker), so verifying readers inside it check the whole
/// stream; their errors are returned.
pub fn pipelined<T>(
    r: Box<dyn Read + Send + '_>,
    consume: impl FnOnce(&mut dyn Read) -> Result<T>,
) -> Result<T> {
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(IN_FLIGHT);
        let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
        let producer = s.spawn(move || {
            let mut r = r;
            loop {
                let mut buf = back_rx.try_recv().unwrap_or_else(|_| vec![0; CHUNK]);
                buf.resize(CHUNK, 0);
                let n = match read_up_to(&mut r, &mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                buf.truncate(n);
                let done = n < CHUNK;
                if n > 0 && tx.send(Ok(buf)).is_err() {
                    return;
                }
                if done {
                    return;
                }
            }
        });
        let mut cr = ChannelReader::new(rx, Some(back_tx));
        let out = consume(&mut cr).and_then(|t| {
            io::copy(&mut cr, &mut io::sink())?;
            Ok(t)
        });
        drop(cr);
        producer.join().expect("reader thread panicked");
        out
    })
}

/// Files at least this large are hashed through memory maps.
const MMAP_THRESHOLD: u64 = 1 << 20;
/// Size of each mapped window, so resident memory stays bounded: mapped
/// pages count in the process's RSS while mapped, and copies and fsck hash
/// one file per core at once (64 MiB windows put a local oci → oci copy at
/// ~120 MiB peak RSS on 2 cores).
const MMAP_WINDOW: u64 = 16 << 20;

/// Hash an open file from its start: memory-mapped in bounded windows when
/// large, read in blocks otherwise. Returns the digest and the byte count.
/// A file cut short while it is read (another process truncating it) is
/// an error, not a SIGBUS that would end lade without a word.
pub fn hash_file(file: &File, alg: Algorithm) -> io::Result<(Digest, u64)> {
    let len = file.metadata()?.len();
    let mut hasher = alg.hasher();
    if len >= MMAP_THRESHOLD {
        let mut off = 0u64;
        while off < len {
            let n = MMAP_WINDOW.min(len - off);
            // SAFETY: the map is read-only and dropped before the next one.
            // Pages past a new end of the file, which would fault, are
            // filled in by mapped::Window, which says so.
            let map = unsafe {
                memmap2::MmapOptions::new()
                    .offset(off)
                    .len(n as usize)
                    .map(file)?
            };
            let _ = map.advise(memmap2::Advice::Sequential);
            match mapped::Window::watch(&map) {
                Some(w) => {
                    hasher.update(&map);
                    if w.cut_short() {
                        return Err(io::Error::other(
                            "the file was cut short while it was read (changed underneath)",
                        ));
                    }
                }
                // (every watch in use: this window read instead)
                None => {
                    let mut buf = vec![0u8; 1 << 20];
                    let mut at = 0u64;
                    while at < n {
                        let want = (n - at).min(buf.len() as u64) as usize;
                        let got =
                            std::os::unix::fs::FileExt::read_at(file, &mut buf[..want], off + at)?;
                        if got == 0 {
                            return Err(io::Error::other(
                                "the file was cut short while it was read (changed underneath)",
                            ));
                        }
                        hasher.update(&buf[..got]);
                        at += got as u64;
                    }
                }
            }
            off += n;
        }
        Ok((hasher.finish(), len))
    } else {
        let mut buf = vec![0u8; (len as usize).clamp(1, 1 << 20) + 1];
        let mut f = file;
        let mut total = 0u64;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            total += n as u64;
        }
        Ok((hasher.finish(), total))
    }
}

/// Hash the file at `path`.
pub fn hash_path(path: &Path, alg: Algorithm) -> io::Result<(Digest, u64)> {
    let f = File::open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    hash_file(&f, alg)
}

/// Open a file only if it is a regular file and not a symlink. The open
/// itself refuses a symlink (`O_NOFOLLOW`) and the type is checked on the
/// open descriptor, so nothing can be swapped in between; a file replaced
/// by an atomic rename is simply read in its old or its new version.
/// `O_NONBLOCK` keeps a FIFO from stalling the open before it is refused.
pub fn open_regular_nofollow(path: &Path) -> io::Result<File> {
    open_checked(path, true, false)
}

/// Open a file given by the user (symlinks followed) only if it is a
/// regular file: a FIFO or device is refused at once, without waiting
/// for a writer.
pub fn open_regular(path: &Path) -> io::Result<File> {
    open_checked(path, false, false)
}

/// The bytes of a small settings file given by path (an auth file,
/// registries.conf, a certificate): symlinks followed, a FIFO or device
/// refused at once (never waited on), more than `cap` bytes refused;
/// errors keep their kind (NotFound, PermissionDenied).
pub fn read_settings_file(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let mut f = open_regular(path)?;
    let mut buf = Vec::new();
    (&mut f).take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("is larger than the {cap} byte limit"),
        ));
    }
    Ok(buf)
}

/// The directory `path` is in: its parent, `.` for a bare name.
pub fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Settings files are at most this big.
pub const SETTINGS_MAX: u64 = 16 << 20;

/// Open a file to read as a stream: a regular file, or a pipe (`<(…)`,
/// `/dev/stdin`, a FIFO, whose writer is waited for, as sha256sum and cat
/// wait); with whether it is a pipe. A device or directory is refused at
/// once (opened without waiting, to find what the path is).
pub fn open_stream(path: &Path) -> io::Result<(File, bool)> {
    use std::os::unix::fs::FileTypeExt;
    // A FIFO is opened once, waiting, as cat opens it. (An open that did
    // not wait would let a writer waiting already write and go, and a
    // second open would then wait for another writer.)
    if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
        let f = File::open(path)?;
        if f.metadata()?.file_type().is_fifo() {
            return Ok((f, true));
        }
    }
    let f = open_checked(path, false, true)?;
    let pipe = f.metadata()?.file_type().is_fifo();
    Ok((f, pipe))
}

fn open_checked(path: &Path, nofollow: bool, pipes: bool) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    if nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::LOOP) => {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "is a symlink"))
        }
        Err(e) => return Err(e.into()),
    };
    let f = File::from(fd);
    let ft = f.metadata()?.file_type();
    let pipe = pipes && std::os::unix::fs::FileTypeExt::is_fifo(&ft);
    if !(ft.is_file() || pipe) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "is not a regular file",
        ));
    }
    // Reads of a regular file ignore O_NONBLOCK, a pipe's would not:
    // clear it so the descriptor behaves like any other.
    rustix::fs::fcntl_setfl(&f, OFlags::empty())?;
    Ok(f)
}

/// Prefix of every temp file lade writes inside a layout or directory
/// (so `gc` and readers can tell them from content).
pub const TMP_PREFIX: &str = ".lade-tmp-";

/// The mode a new ordinary file gets here: 0666 less the process's
/// umask (from /proc, which reads it without changing it, as a umask(2)
/// call would for other threads; 022 where /proc is not there).
pub fn file_mode() -> u32 {
    static MODE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MODE.get_or_init(|| {
        let mask = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
            })
            .unwrap_or(0o022);
        0o666 & !mask
    })
}

/// A new temp file (`.lade-tmp-*`) in `dir`, removed when dropped and, if
/// the process is interrupted first, by [`remove_temps_on_signals`].
/// Locked (flock) while open: gc leaves a temp file alone that a write
/// still has, whatever its age (see `Layout::gc`). gc removes one only
/// while it holds its lock ([`unused_temp`]): this waits a moment for
/// that lock and, should gc have removed the file before it was locked
/// (or still hold it: a gc stopped there), makes another.
pub fn temp_file_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    for _ in 0..8 {
        let tmp = tracked(|| tempfile::Builder::new().prefix(TMP_PREFIX).tempfile_in(dir))?;
        let mut locked = false;
        for _ in 0..200 {
            match tmp.as_file().try_lock() {
                Ok(()) => {
                    locked = true;
                    break;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    std::thread::sleep(std::time::Duration::from_millis(1))
                }
                // (where there are no locks, the grace period alone guards it)
                Err(_) => return Ok(tmp),
            }
        }
        if locked && still_there(tmp.path(), tmp.as_file())? {
            return Ok(tmp);
        }
    }
    Err(io::Error::other(
        "no temp file could be kept from a gc removing them (is one stopped?)",
    ))
}

/// Is `path` still the open file `f` (not removed, nor replaced)?
fn still_there(path: &Path, f: &File) -> io::Result<bool> {
    let m = f.metadata()?;
    Ok(std::fs::symlink_metadata(path).is_ok_and(|t| (t.dev(), t.ino()) == (m.dev(), m.ino())))
}

/// Some if no write has the temp file at `path` open (none holds
/// [`temp_file_in`]'s lock): with the file, locked, so that a caller
/// removing it while holding that removes no file a write is about to
/// use. A file that cannot be opened (another user's, 0600) or locked
/// (no locks there) is left to the grace period alone: Some(None).
pub fn unused_temp(path: &Path) -> Option<Option<File>> {
    let Ok(f) = File::open(path) else {
        return Some(None);
    };
    match f.try_lock() {
        Err(std::fs::TryLockError::WouldBlock) => None,
        Ok(()) => Some(Some(f)),
        Err(_) => Some(None),
    }
}

/// The named temp files this process has made; those still there are
/// removed when a signal ends it. Pruned of the ones gone (persisted or
/// dropped) as it grows, so it stays about as long as the number of writes
/// under way.
fn temps() -> std::sync::MutexGuard<'static, Vec<std::path::PathBuf>> {
    static TEMPS: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Make a named temp file (`make`) and remember it, for
/// [`remove_temps_on_signals`]. Made under the list's lock: once a signal's
/// removal has started, no temp file is made that it would miss.
pub fn tracked<F>(
    make: impl FnOnce() -> io::Result<tempfile::NamedTempFile<F>>,
) -> io::Result<tempfile::NamedTempFile<F>> {
    let mut t = temps();
    let tmp = make()?;
    if t.len() >= 256 && t.len().is_power_of_two() {
        t.retain(|p| p.symlink_metadata().is_ok());
    }
    t.push(tmp.path().to_path_buf());
    Ok(tmp)
}

/// Files and directories (not temp files) that writes under way have
/// added to a place that is replaced only on commit (a `dir:` image):
/// removed too, newest first, when a signal ends the process (a directory
/// only when empty by then). Locked before [`temps`] wherever both are.
fn added() -> std::sync::MutexGuard<'static, Vec<std::path::PathBuf>> {
    static ADDED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
    ADDED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Remember a file or directory a write added, to be removed if a signal
/// ends the process before [`forget_added`].
pub fn track_added(path: &Path) {
    added().push(path.to_path_buf());
}

/// Run `commit` (the write's commit point) and, if it succeeds, forget
/// what was added under `dir`: it is the written thing now. A signal
/// meanwhile waits for both, so it never removes half of a committed
/// write.
pub fn commit_added<T>(dir: &Path, commit: impl FnOnce() -> Result<T>) -> Result<T> {
    commit_forgetting(|p| p.starts_with(dir), commit)
}

/// As [`commit_added`], forgetting `paths` alone once `commit` succeeds.
pub fn commit_added_paths<T>(
    paths: &[std::path::PathBuf],
    commit: impl FnOnce() -> Result<T>,
) -> Result<T> {
    commit_forgetting(|p| paths.iter().any(|x| x == p), commit)
}

/// Run `commit` under the list's lock and, if it succeeds, forget what
/// `forget` picks.
fn commit_forgetting<T>(
    forget: impl Fn(&Path) -> bool,
    commit: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let mut a = added();
    let r = commit()?;
    a.retain(|p| !forget(p));
    Ok(r)
}

/// Forget what was added under `dir` (removed by the write itself).
pub fn forget_added(dir: &Path) {
    added().retain(|p| !p.starts_with(dir));
}

/// Forget these paths themselves (directories made around a write).
pub fn forget_added_paths(paths: &[std::path::PathBuf]) {
    added().retain(|p| !paths.contains(p));
}

/// Directory trees a write under way has made (an unpacked root):
/// removed whole when a signal ends the process. Locked after [`temps`].
fn trees() -> std::sync::MutexGuard<'static, Vec<std::path::PathBuf>> {
    static TREES: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
    TREES.lock().unwrap_or_else(|e| e.into_inner())
}

/// `dir` and its parents that are not there (no directory there),
/// outermost first.
pub fn missing_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut missing: Vec<std::path::PathBuf> = dir
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| !p.is_dir())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// Make directory `dir` and its missing parents, one by one; the ones
/// this call made, outermost first (`dir` last, if made here: a directory
/// made meanwhile by another process is not counted). What it made goes
/// again if it fails.
pub fn make_dirs(dir: &Path) -> io::Result<Vec<std::path::PathBuf>> {
    let mut made = Vec::new();
    for p in missing_dirs(dir) {
        match std::fs::create_dir(&p) {
            Ok(()) => made.push(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && p.is_dir() => {}
            Err(e) => {
                for m in made.iter().rev() {
                    let _ = std::fs::remove_dir(m);
                }
                return Err(e);
            }
        }
    }
    Ok(made)
}

/// A directory a write made (if it did: `None` when it was there), taken
/// back whole, contents and all, when the write fails (dropped before
/// [`MadeDir::keep`]) or a signal ends the process; with the parents made
/// for it, each only when empty then.
pub struct MadeDir(Option<std::path::PathBuf>, Vec<std::path::PathBuf>);

impl MadeDir {
    pub fn new(made: Option<std::path::PathBuf>) -> MadeDir {
        MadeDir::with_parents(made, Vec::new())
    }

    /// `made`, and the parents made for it (outermost first; removed on
    /// a signal as what writes added, after the trees).
    pub fn with_parents(
        made: Option<std::path::PathBuf>,
        made_parents: Vec<std::path::PathBuf>,
    ) -> MadeDir {
        if let Some(p) = &made {
            trees().push(p.clone());
        }
        for p in &made_parents {
            track_added(p);
        }
        MadeDir(made, made_parents)
    }

    /// The directory, if the write made it.
    pub fn path(&self) -> Option<&Path> {
        self.0.as_deref()
    }

    /// The write is done: the directory stays.
    pub fn keep(mut self) {
        if let Some(p) = self.0.take() {
            trees().retain(|t| *t != p);
        }
        forget_added_paths(&std::mem::take(&mut self.1));
    }

    /// The write failed: remove the directory now (if the write made it),
    /// then the parents made for it that are empty. Whether it is gone.
    pub fn take_back(&mut self) -> bool {
        let gone = match self.0.take() {
            Some(p) => {
                let mut t = trees();
                let gone = remove_tree(&p);
                t.retain(|x| *x != p);
                gone
            }
            None => false,
        };
        let made = std::mem::take(&mut self.1);
        for p in made.iter().rev() {
            let _ = std::fs::remove_dir(p);
        }
        forget_added_paths(&made);
        gone
    }
}

impl Drop for MadeDir {
    fn drop(&mut self) {
        self.take_back();
    }
}

/// Directories being written into that were there before (an unpack into
/// an existing directory): what a signal or `--command-timeout` leaves of
/// them is incomplete, and the process says so as it ends.
fn writing_into() -> std::sync::MutexGuard<'static, Vec<std::path::PathBuf>> {
    static INTO: Mutex<Vec<std::path::PathBuf>> = Mutex::new(Vec::new());
    INTO.lock().unwrap_or_else(|e| e.into_inner())
}

/// Held while writing into the directory `p` that was there before.
pub struct WritingInto(std::path::PathBuf);

impl WritingInto {
    pub fn new(p: &Path) -> WritingInto {
        writing_into().push(p.to_path_buf());
        WritingInto(p.to_path_buf())
    }
}

impl Drop for WritingInto {
    fn drop(&mut self) {
        let mut v = writing_into();
        if let Some(i) = v.iter().position(|p| *p == self.0) {
            v.remove(i);
        }
    }
}

/// "; DIR is incomplete" for each directory being written into as the
/// process ends (empty when none).
fn left_incomplete() -> String {
    writing_into()
        .iter()
        .map(|p| format!("; {} is incomplete", p.display()))
        .collect()
}

/// Remove the tree at `p` (not following symlinks); directories a
/// layer left without write or search permission (a rootless unpack's)
/// are opened up first. Whether it is gone.
pub fn remove_tree(p: &Path) -> bool {
    if std::fs::remove_dir_all(p).is_ok() {
        return true;
    }
    fn open_up(d: &Path) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(m) = std::fs::symlink_metadata(d) else {
            return;
        };
        if !m.is_dir() {
            return;
        }
        let mode = m.permissions().mode();
        if mode & 0o700 != 0o700 {
            let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o700));
        }
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    open_up(&e.path());
                }
            }
        }
    }
    open_up(p);
    let _ = std::fs::remove_dir_all(p);
    std::fs::symlink_metadata(p).is_err()
}

/// Is signal `sig` in the `SigIgn:` mask of a `/proc/PID/status` text?
fn ignored_in(status: &str, sig: i32) -> bool {
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|mask| (1..=64).contains(&sig) && mask & (1 << (sig - 1)) != 0)
}

/// An anonymous temp file (gone once closed) in `dir` (`--tmpdir`, as
/// `TransportOptions::tmp_dir`), else in the system's temp directory
/// (`$TMPDIR`, else /tmp), `what` for; a failure names the directory.
pub fn scratch_file(dir: Option<&Path>, what: &str) -> Result<std::fs::File> {
    let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    tempfile::tempfile_in(&dir).map_err(|e| {
        Error::from(e).context(format!("creating a temp file in {} {what}", dir.display()))
    })
}

/// The terminal's settings from before a password prompt turned its
/// echo off, while it is off.
static TERMINAL: Mutex<Option<rustix::termios::Termios>> = Mutex::new(None);

/// Say that the terminal's echo is off until `hold_terminal(None)`, and
/// how to put it back (`saved`) should the process end meanwhile.
pub fn hold_terminal(saved: Option<rustix::termios::Termios>) {
    *TERMINAL.lock().unwrap_or_else(|e| e.into_inner()) = saved;
}

/// Put the terminal back if a prompt left its echo off, ending the
/// prompt's line.
fn restore_terminal() {
    if let Some(t) = TERMINAL.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ =
            rustix::termios::tcsetattr(std::io::stdin(), rustix::termios::OptionalActions::Now, &t);
        eprintln!();
    }
}

/// Remove the temp files of the writes under way and what they added
/// (newest first; a directory only when empty by then). The locks come
/// back held: kept until the process ends, nothing is added meanwhile.
fn abandon_writes() -> [PathsGuard; 3] {
    restore_terminal();
    let a = added();
    let t = temps();
    let d = trees();
    for p in t.iter() {
        let _ = std::fs::remove_file(p);
    }
    // Writers into a tree stop at their next entry (see `abandoning`):
    // what one was making meanwhile goes at the next try.
    ABANDONING.store(true, std::sync::atomic::Ordering::SeqCst);
    for p in d.iter() {
        for _ in 0..40 {
            if remove_tree(p) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
    // (after the trees: the parents made for them are among these)
    for p in a.iter().rev() {
        if std::fs::remove_file(p).is_err() {
            let _ = std::fs::remove_dir(p);
        }
    }
    [a, t, d]
}

/// One of the lists of paths a signal's removal goes through, held.
type PathsGuard = std::sync::MutexGuard<'static, Vec<std::path::PathBuf>>;

static ABANDONING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Are the writes under way being abandoned (a signal, `--command-timeout`)?
/// Long writes into a [`MadeDir`] check it between entries and stop.
pub fn abandoning() -> bool {
    ABANDONING.load(std::sync::atomic::Ordering::SeqCst)
}

/// Child processes lade waits on (credential helpers): stopped when a
/// signal or `--command-timeout` ends lade, so none is left running.
fn children() -> std::sync::MutexGuard<'static, Vec<u32>> {
    static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A child process to stop if lade is ended before it is waited for.
pub fn track_child(pid: u32) {
    children().push(pid);
}

/// The child was waited for.
pub fn untrack_child(pid: u32) {
    children().retain(|p| *p != pid);
}

/// Stop (SIGKILL) the children lade still waits on.
fn kill_children() {
    for pid in children().drain(..) {
        if let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}

/// Set when a signal arrives (in its handler, before the signals thread
/// wakes) or the command's time runs out: another thread is ending the
/// process, with its own line and exit code.
fn ending() -> &'static Arc<std::sync::atomic::AtomicBool> {
    static ENDING: std::sync::OnceLock<Arc<std::sync::atomic::AtomicBool>> =
        std::sync::OnceLock::new();
    ENDING.get_or_init(Default::default)
}

/// Called by the main thread before it says its error and exits: if a
/// signal or `--command-timeout` is ending the process, wait for that
/// (its thread exits), so the error it caused (a credential helper
/// killed, a temp file gone) is not said, and the exit code is the
/// signal's. (A child in lade's process group gets a terminal's SIGINT
/// too, and may die before the signals thread wakes.)
pub fn wait_if_ending() {
    if ending().load(std::sync::atomic::Ordering::SeqCst) {
        // (bounded: should the ending thread never end the process)
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
}

/// What the command under way says when `--command-timeout` ends it,
/// before the error (a sync's summary of the images that ended).
type TimeoutNote = Box<dyn FnOnce() + Send>;
static BEFORE_TIMEOUT: Mutex<Option<TimeoutNote>> = Mutex::new(None);

/// Have `say` called (once) should `--command-timeout` end the command.
pub fn before_timeout(say: impl FnOnce() + Send + 'static) {
    *BEFORE_TIMEOUT.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(say));
}

/// `--command-timeout`: after `limit`, the writes under way are abandoned
/// as on a signal, and the process ends with a one-line error (exit 3).
pub fn end_after(limit: std::time::Duration, shown: String) {
    let _ = std::thread::Builder::new()
        .name("timeout".into())
        .spawn(move || {
            std::thread::sleep(limit);
            ending().store(true, std::sync::atomic::Ordering::SeqCst);
            kill_children();
            let _held = abandon_writes();
            let note = BEFORE_TIMEOUT
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            if let Some(say) = note {
                say();
            }
            let why = format!("the command ran out of time (--command-timeout {shown})");
            crate::error::say_last(&why, || {
                format!("lade: error: {why}{}\n", left_incomplete())
            });
            std::process::exit(3);
        });
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temp files of the writes under
/// way, and what they added (see [`track_added`]), then end as the signal
/// would have (its default action). Without
/// it an interrupted copy would leave its partial blobs behind, hidden,
/// until `gc`. A signal ignored when lade starts (`nohup`, a background
/// job of a script) stays ignored.
pub fn remove_temps_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let sigs: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&s| !ignored_in(&status, s))
        .collect();
    if sigs.is_empty() {
        return;
    }
    for &sig in &sigs {
        let _ = signal_hook::flag::register(sig, Arc::clone(ending()));
    }
    let Ok(mut signals) = signal_hook::iterator::Signals::new(sigs) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                kill_children();
                // Held to the end: nothing is added once removal starts.
                let _held = abandon_writes();
                let left = left_incomplete();
                let name = match sig {
                    SIGINT => "SIGINT",
                    SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                };
                crate::error::say_interrupted(name, left.strip_prefix("; ").unwrap_or(""));
                let _ = signal_hook::low_level::emulate_default_handler(sig);
                std::process::exit(128 + sig);
            }
        });
}

/// Hard-link `src` to a temp name in `dir` and verify the linked file's
/// size and digest (hashing the link, not the path, so a swapped source is
/// caught). Returns the temp path, ready to persist under its final name,
/// or None when linking is not possible (another filesystem, no
/// permission) or not safe, so the caller can stream instead. Safe means
/// no one else can change the file later, under the link: it is owned by
/// the user lade runs as, readable by all and writable by no group or
/// other user (root copying from someone's layout gets copies, not that
/// user's inodes).
/// The temp link is removed on error or when dropped. It is locked as
/// [`temp_file_in`]'s are, while the file returned with it is open: gc
/// leaves it alone even with no grace (linking gave it a new status-change
/// time, but hashing a big blob takes a while). The lock is the inode's,
/// so it is shared by every link to the blob: a copy linking the same
/// blob elsewhere holds it, and this one waits for it (not waiting, its
/// link went unlocked once the other's lock went). One gc took before it
/// was locked is not used (the caller streams the blob instead).
pub fn link_verified(
    src: &Path,
    dir: &Path,
    digest: &Digest,
    size: u64,
) -> Result<Option<(tempfile::TempPath, File)>> {
    let Ok(tmp) = tracked(|| {
        tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .make_in(dir, |p| std::fs::hard_link(src, p))
    }) else {
        return Ok(None);
    };
    let f = match open_regular_nofollow(tmp.path()) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::from(e).context(format!("blob {digest}"))),
    };
    let _ = f.lock();
    if !still_there(tmp.path(), &f)? {
        return Ok(None);
    }
    {
        let m = f.metadata()?;
        // Readable by all, as the files lade writes are (0644): a private
        // blob (0600, as umoci writes them) is copied, not shared with
        // its mode into a tree meant for others.
        if m.uid() != rustix::process::geteuid().as_raw()
            || m.mode() & 0o022 != 0
            || m.mode() & 0o444 != 0o444
        {
            return Ok(None);
        }
    }
    let (got, n) = hash_file(&f, digest.algorithm())?;
    if n != size {
        return Err(Error::new(format!(
            "blob {digest}: got {n} bytes, expected {size}"
        )));
    }
    if &got != digest {
        return Err(Error::new(format!(
            "blob {digest}: content hashes to {got} (digest mismatch)"
        )));
    }
    Ok(Some((tmp.into_temp_path(), f)))
}

/// Put a temp link [`link_verified`] made at `to`. Where `to` is a link
/// to the same file already (another copy linked the same blob there
/// first), rename(2) does nothing and succeeds: the temp name would stay,
/// so it is removed.
pub fn persist_link(tmp: tempfile::TempPath, to: &Path) -> io::Result<()> {
    let at = tmp.to_path_buf();
    tmp.persist(to).map_err(|e| e.error)?;
    match std::fs::remove_file(&at) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Which file a path is, as far as a file replaced whole (index.json, an
/// archive) can tell: device, inode, size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId(u64, u64, u64, i64, i64);

impl FileId {
    pub fn of(m: &std::fs::Metadata) -> FileId {
        FileId(m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec())
    }

    pub fn of_path(path: &Path) -> Option<FileId> {
        std::fs::metadata(path).ok().map(|m| FileId::of(&m))
    }
}

/// A file kept open, and its identity: while it is open, its inode is
/// given to no other file, so that a file of the same [`FileId`] is this
/// one (changed in place, the size or time differs), even where times
/// are kept to the second (on ext4 the next new file gets a freed inode).
#[derive(Debug)]
pub struct HeldFile {
    pub id: FileId,
    _file: File,
}

impl HeldFile {
    pub fn new(file: File) -> io::Result<HeldFile> {
        Ok(HeldFile {
            id: FileId::of(&file.metadata()?),
            _file: file,
        })
    }
}

/// The value `open` makes of the file at `path`, made once per process
/// and version of the file (device, inode, size, modification time: lade
/// replaces files by renaming new ones over them) and shared: a sync reads
/// one archive for each image in it, and a gzip archive is then
/// decompressed and scanned once; a layout's referrers are found once per
/// version of its index.json. A new version of the file drops what was
/// made of the old one. Threads opening one file at once open it once;
/// other files are opened meanwhile.
pub fn open_once<T: Send + Sync + 'static>(
    path: &Path,
    open: impl FnOnce() -> Result<T>,
) -> Result<Arc<T>> {
    type Key = (TypeId, PathBuf, FileId);
    type Slot = Arc<Mutex<Option<(Arc<dyn Any + Send + Sync>, Option<HeldFile>)>>>;
    static OPENED: Mutex<Option<HashMap<Key, Slot>>> = Mutex::new(None);
    let Ok(md) = std::fs::metadata(path) else {
        // `open` says what is wrong.
        return open().map(Arc::new);
    };
    let made = |slot: &Option<(Arc<dyn Any + Send + Sync>, Option<HeldFile>)>| {
        slot.as_ref()
            .and_then(|(t, _)| t.clone().downcast::<T>().ok())
    };
    // The file held for what was made of it is the file there now when
    // the path stats the same: it need not be opened again.
    if md.is_file() {
        let key = (TypeId::of::<T>(), path.to_path_buf(), FileId::of(&md));
        let slot = OPENED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|o| o.get(&key).cloned());
        if let Some(t) = slot.and_then(|s| made(&s.lock().unwrap_or_else(|e| e.into_inner()))) {
            return Ok(t);
        }
    }
    // A file is held open while what was made of it is kept, so that a
    // file of the same key is this one. A pipe is not opened (that would
    // wait for a writer); its size and times change as it is written and
    // read, and it is the same pipe throughout, under whatever name
    // (/dev/stdin, /dev/fd/0), and can be read once only.
    let held = md
        .is_file()
        .then(|| File::open(path).and_then(HeldFile::new).ok())
        .flatten();
    let key = match &held {
        Some(h) => (TypeId::of::<T>(), path.to_path_buf(), h.id),
        None if md.is_file() => (TypeId::of::<T>(), path.to_path_buf(), FileId::of(&md)),
        None => (
            TypeId::of::<T>(),
            PathBuf::new(),
            FileId(md.dev(), md.ino(), 0, 0, 0),
        ),
    };
    let slot = {
        let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
        let opened = opened.get_or_insert_with(HashMap::new);
        if !opened.contains_key(&key) {
            opened.retain(|k, _| (k.0, &k.1) != (key.0, &key.1));
        }
        opened.entry(key).or_default().clone()
    };
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = made(&slot) {
        return Ok(t);
    }
    let t = Arc::new(open()?);
    *slot = Some((t.clone(), held));
    Ok(t)
}

/// Memory maps of files another process may truncate while lade reads
/// them: a read past the file's new end raises SIGBUS, which would end
/// lade at once, its temp files left and nothing said. While a [`Window`]
/// watches a map, a SIGBUS inside it maps zeros over the rest of it
/// instead (the read goes on, its result to be thrown away) and marks the
/// window cut short. A SIGBUS anywhere else does what it always does.
mod mapped {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Once;

    /// Maps watched at once (one per hashing thread); past that, a
    /// window is read instead.
    const SLOTS: usize = 64;
    static START: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static END: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static CUT: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
    static PAGE: AtomicUsize = AtomicUsize::new(4096);
    static INSTALL: Once = Once::new();
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    /// One map watched.
    pub struct Window {
        slot: usize,
    }

    impl Window {
        /// Watch `map` (None: no handler, or every slot taken).
        pub fn watch(map: &[u8]) -> Option<Window> {
            INSTALL.call_once(install);
            if !INSTALLED.load(Ordering::Acquire) || map.is_empty() {
                return None;
            }
            let start = map.as_ptr() as usize;
            for slot in 0..SLOTS {
                if START[slot]
                    .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
                {
                    CUT[slot].store(false, Ordering::Relaxed);
                    END[slot].store(start + map.len(), Ordering::Relaxed);
                    START[slot].store(start, Ordering::Release);
                    return Some(Window { slot });
                }
            }
            None
        }

        /// Did the file end inside the map while it was read?
        pub fn cut_short(&self) -> bool {
            CUT[self.slot].load(Ordering::Acquire)
        }
    }

    impl Drop for Window {
        fn drop(&mut self) {
            START[self.slot].store(usize::MAX, Ordering::Release);
            END[self.slot].store(0, Ordering::Relaxed);
            START[self.slot].store(0, Ordering::Release);
        }
    }

    fn install() {
        PAGE.store(rustix::param::page_size(), Ordering::Relaxed);
        // Alone, not chained: std's own SIGBUS handler (for stack guard
        // pages) would set the default action back at the first fault.
        // SAFETY: a zeroed sigaction with the handler and SA_SIGINFO set.
        let ok = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigbus as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut()) == 0
        };
        INSTALLED.store(ok, Ordering::Release);
    }

    /// The handler: async-signal-safe (atomics, mmap and sigaction).
    extern "C" fn on_sigbus(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel gives a siginfo with SA_SIGINFO; si_addr is
        // set for SIGBUS.
        let addr = unsafe { info.as_ref().map_or(0, |i| i.si_addr() as usize) };
        if !fill(addr) {
            // Not a watched map: the default action, when the fault comes
            // again on return.
            // SAFETY: a zeroed sigaction is SIG_DFL.
            unsafe {
                let dfl: libc::sigaction = std::mem::zeroed();
                libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
            }
        }
    }

    /// Map zeros from `addr` to the end of the watched map it is in, and
    /// mark that map cut short; false when it is in none.
    fn fill(addr: usize) -> bool {
        let page = PAGE.load(Ordering::Relaxed);
        for slot in 0..SLOTS {
            let start = START[slot].load(Ordering::Acquire);
            let end = END[slot].load(Ordering::Relaxed);
            if start == 0 || start == usize::MAX || addr < start || addr >= end {
                continue;
            }
            let from = addr & !(page - 1);
            let len = (end - from).div_ceil(page) * page;
            // SAFETY: [from, from + len) lies within the watched map (its
            // last page included), which its owner unmaps whole later.
            let zeros = unsafe {
                rustix::mm::mmap_anonymous(
                    from as *mut _,
                    len,
                    rustix::mm::ProtFlags::READ,
                    rustix::mm::MapFlags::PRIVATE | rustix::mm::MapFlags::FIXED,
                )
            };
            if zeros.is_ok() {
                CUT[slot].store(true, Ordering::Release);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_home_is_the_users_line() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      # a comment\n\
                      short:x:7\n\
                      nohome:x:5:5:n::/bin/sh\n\
                      alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n";
        assert_eq!(passwd_home(passwd, "0"), Some(PathBuf::from("/root")));
        assert_eq!(
            passwd_home(passwd, "1000"),
            Some(PathBuf::from("/home/alice"))
        );
        assert_eq!(passwd_home(passwd, "5"), None);
        assert_eq!(passwd_home(passwd, "7"), None);
        assert_eq!(passwd_home(passwd, "100"), None);
    }

    /// Is the temp file at `path` one a write has open?
    fn temp_in_use(path: &Path) -> bool {
        path.exists() && unused_temp(path).is_none()
    }

    /// gc removing every temp file it can lock, as fast as it can, never
    /// takes one a write has made: the write waits for gc's lock, and
    /// makes another if the one it made went before it was locked.
    #[test]
    fn a_gc_racing_new_temp_files_takes_none_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let removed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let gc = {
            let (dir, stop, removed) = (dir.path().to_path_buf(), stop.clone(), removed.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for e in std::fs::read_dir(&dir).unwrap().flatten() {
                        if !e.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                            continue;
                        }
                        if let Some(Some(_locked)) = unused_temp(&e.path()) {
                            if std::fs::remove_file(e.path()).is_ok() {
                                removed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                }
            })
        };
        for i in 0..3000 {
            let mut tmp = temp_file_in(dir.path()).unwrap();
            std::io::Write::write_all(&mut tmp, b"x").unwrap();
            tmp.persist(dir.path().join(format!("f{i}"))).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        gc.join().unwrap();
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(
            left,
            3000,
            "{} removed",
            removed.load(std::sync::atomic::Ordering::Relaxed)
        );
    }

    #[test]
    fn a_linked_temp_is_in_use_while_its_file_is_held() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("blob");
        std::fs::write(&src, b"some blob").unwrap();
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut h = Algorithm::Sha256.hasher();
        h.update(b"some blob");
        let d = h.finish();
        let (tmp, held) = link_verified(&src, dir.path(), &d, 9).unwrap().unwrap();
        assert!(temp_in_use(&tmp));
        drop(held);
        assert!(!temp_in_use(&tmp));
        let path = tmp.to_path_buf();
        drop(tmp);
        assert!(!path.exists() && src.exists());
        // A second link of the blob waits for the first's lock (the
        // inode's), and is locked itself once it has it.
        let (first, held) = link_verified(&src, dir.path(), &d, 9).unwrap().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (s, p, d2) = (src.clone(), dir.path().to_path_buf(), d.clone());
        let t = std::thread::spawn(move || {
            let (second, held) = link_verified(&s, &p, &d2, 9).unwrap().unwrap();
            tx.send(second.to_path_buf()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop((second, held));
        });
        assert!(rx
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err());
        drop((first, held));
        let second = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert!(temp_in_use(&second));
        t.join().unwrap();
    }

    #[test]
    fn a_link_put_where_the_same_file_is_leaves_no_temp_name() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("blob");
        std::fs::write(&src, b"some blob").unwrap();
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o644)).unwrap();
        let d = Digest::of_bytes(b"some blob");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let to = out.join("final");
        // Twice, as two copies linking the same blob into a layout do
        // (the second rename is onto a link to the same file).
        for _ in 0..2 {
            let (tmp, held) = link_verified(&src, &out, &d, 9).unwrap().unwrap();
            persist_link(tmp, &to).unwrap();
            drop(held);
        }
        let names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["final"]);
        assert_eq!(std::fs::read(&to).unwrap(), b"some blob");
    }

    #[test]
    fn ignored_signals_read_from_the_status_mask() {
        // SIGHUP (1) and SIGINT (2) ignored; SIGTERM (15) not.
        let status = "Name:\tlade\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000003\n";
        assert!(ignored_in(status, 1) && ignored_in(status, 2));
        assert!(!ignored_in(status, 15));
        assert!(!ignored_in("", 2));
    }

    #[test]
    fn temps_tracked_stay_few_once_gone() {
        let dir = tempfile::tempdir().unwrap();
        let live = temp_file_in(dir.path()).unwrap();
        for _ in 0..5000 {
            drop(temp_file_in(dir.path()).unwrap());
        }
        let t = temps();
        assert!(t.len() < 600, "{}", t.len());
        assert!(t.iter().any(|p| p == live.path()));
    }
    use std::os::unix::fs::symlink;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// What open_once made of a file keeps the file open: its inode is
    /// given to none of the files renamed over it after (on ext4 the next
    /// new file would get it, and then might look the same).
    #[test]
    fn a_file_made_of_is_held_so_its_inode_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"one").unwrap();
        open_once(&path, || Ok(1u8)).unwrap();
        let ino = std::fs::metadata(&path).unwrap().ino();
        for i in 0..20 {
            let t = dir.path().join(format!("t{i}"));
            std::fs::write(&t, b"two").unwrap();
            std::fs::rename(&t, &path).unwrap();
            assert_ne!(std::fs::metadata(&path).unwrap().ino(), ino, "{i}");
        }
    }

    #[test]
    fn a_file_replaced_by_rename_opens_every_time() {
        use std::sync::atomic::AtomicU64;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        std::fs::write(&path, b"{}").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let renames = Arc::new(AtomicU64::new(0));
        let writer = {
            let (dir, path) = (dir.path().to_owned(), path.clone());
            let (stop, renames) = (stop.clone(), renames.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let tmp = dir.join(format!("tmp{}", n % 2));
                    std::fs::write(&tmp, n.to_string()).unwrap();
                    std::fs::rename(&tmp, &path).unwrap();
                    n += 1;
                    renames.store(n, Ordering::Relaxed);
                }
            })
        };
        // Open until the writer has replaced the file many times (however
        // the scheduler shares the cores between the two threads), at least
        // 20000 times, and for at most 60 s.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut opened = 0u64;
        while opened < 20_000 || renames.load(Ordering::Relaxed) < 2_000 {
            let f = open_regular_nofollow(&path);
            assert!(f.is_ok(), "open {opened}: {:?}", f.err());
            opened += 1;
            if std::time::Instant::now() > deadline {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        let renames = renames.load(Ordering::Relaxed);
        assert!(
            renames >= 2_000,
            "the writer renamed only {renames} times in 60 s"
        );
    }

    #[test]
    fn symlinks_fifos_and_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l");
        symlink(&target, &link).unwrap();
        let e = open_regular_nofollow(&link).unwrap_err();
        assert_eq!(e.to_string(), "is a symlink");
        let fifo = dir.path().join("f");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // Would block forever without O_NONBLOCK.
        let e = open_regular_nofollow(&fifo).unwrap_err();
        assert_eq!(e.to_string(), "is not a regular file");
        let e = open_regular_nofollow(dir.path()).unwrap_err();
        assert_eq!(e.to_string(), "is not a regular file");
        let mut f = open_regular_nofollow(&target).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, "x");
    }

    #[test]
    fn open_once_opens_a_file_once_until_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, "one").unwrap();
        let opens = std::sync::atomic::AtomicUsize::new(0);
        let open = || {
            opens.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(std::fs::read_to_string(&p)?)
        };
        let a = open_once(&p, open).unwrap();
        let b = open_once(&p, open).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(opens.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another file at the path (replaced, as a write does): opened anew.
        let q = dir.path().join("b");
        std::fs::write(&q, "two!").unwrap();
        std::fs::rename(&q, &p).unwrap();
        assert_eq!(*open_once(&p, open).unwrap(), "two!");
        assert_eq!(opens.load(std::sync::atomic::Ordering::SeqCst), 2);
        // ... and what was made of the old one is no longer kept.
        assert_eq!(Arc::strong_count(&a), 2);
        // Threads opening one file at once: opened once.
        let c = dir.path().join("c");
        std::fs::write(&c, "three").unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    open_once(&c, || {
                        n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        Ok(std::fs::read_to_string(&c)?)
                    })
                    .unwrap()
                });
            }
        });
        assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A missing file: the open's own error, nothing kept.
        let gone = dir.path().join("gone");
        assert!(open_once(&gone, || Ok(std::fs::read_to_string(&gone)?)).is_err());
    }
}
