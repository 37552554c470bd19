//! Resolving names inside a root directory, with file descriptors.
//!
//! Every directory is reached by `openat(parent_fd, component,
//! O_PATH|O_DIRECTORY|O_NOFOLLOW)` from the root's descriptor, one component
//! at a time, so nothing is ever looked up by a full path string and no
//! symlink is followed by the kernel. A symlink met on the way is read and
//! its target resolved *as if the root were `/`* (a `chroot`-style walk:
//! absolute targets restart at the root, `..` stops at the root), the way
//! `docker` and `umoci` (securejoin) treat layers. The leaf is never
//! resolved here: callers act on `(parent_fd, leaf)` with `*at` calls that
//! do not follow it.
//!
//! The common case — entries of one directory after another — costs one
//! `openat` per new directory: the descriptors of the last directory path
//! resolved without symlinks are kept, and a new name reuses its longest
//! common prefix. The cache is dropped whenever a directory is removed.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::path::{show, MAX_DEPTH};
use crate::error::{Error, Result};

/// Most symlinks followed while resolving one name (Linux's own limit).
pub(super) const MAX_LINKS: usize = 40;

const DIR_FLAGS: OFlags = OFlags::PATH
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// A resolved directory: borrow its descriptor with [`Root::fd`].
pub enum DirFd {
    Root,
    Cached(usize),
    Owned(OwnedFd),
}

pub struct Root {
    root: OwnedFd,
    /// Descriptors of the directories `cache[0].0/cache[1].0/…`, each a
    /// real directory (no symlink) reached from the root.
    cache: Vec<(Vec<u8>, OwnedFd)>,
    /// Set when a directory was removed; the cache is dropped at the next
    /// resolution (not at once, so a [`DirFd::Cached`] in use stays valid).
    stale: bool,
    /// Where the last [`Root::dir`] that went through a symlink led: the
    /// names from the root (None when the last one met no symlink).
    real: Option<Vec<Vec<u8>>>,
}

impl Root {
    /// Open `path` (which must be a directory; the path itself may go
    /// through symlinks, it is the caller's choice).
    pub fn open(path: &Path) -> Result<Root> {
        let root = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::from(io::Error::from(e)).context(path.display()))?;
        Ok(Root {
            root,
            cache: Vec::new(),
            stale: false,
            real: None,
        })
    }

    pub fn fd<'a>(&'a self, d: &'a DirFd) -> BorrowedFd<'a> {
        match d {
            DirFd::Root => self.root.as_fd(),
            DirFd::Cached(i) => self.cache[*i].1.as_fd(),
            DirFd::Owned(fd) => fd.as_fd(),
        }
    }

    pub fn root_fd(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    /// A directory was removed: cached descriptors may name dead directories.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Resolve the directory named by `comps` inside the root. Missing
    /// directories are created (mode 0755) when `create`, else the answer
    /// is None. A component that exists but is not a directory (nor a
    /// symlink to one) is an error.
    pub fn dir(&mut self, comps: &[&[u8]], create: bool) -> Result<Option<DirFd>> {
        self.resolve(comps, create, false)
    }

    /// [`Root::dir`], but a name on the way that is not a directory (a
    /// file, a symlink to one) answers None instead of an error; so does
    /// a missing one when not `create`.
    pub fn dir_or_blocked(&mut self, comps: &[&[u8]], create: bool) -> Result<Option<DirFd>> {
        self.resolve(comps, create, true)
    }

    fn resolve(&mut self, comps: &[&[u8]], create: bool, lenient: bool) -> Result<Option<DirFd>> {
        self.real = None;
        if self.stale {
            self.cache.clear();
            self.stale = false;
        }
        let common = self
            .cache
            .iter()
            .zip(comps)
            .take_while(|((n, _), c)| n.as_slice() == **c)
            .count();
        self.cache.truncate(common);
        for i in common..comps.len() {
            let c = comps[i];
            let cur = match i {
                0 => self.root.as_fd(),
                _ => self.cache[i - 1].1.as_fd(),
            };
            let fd = match rustix::fs::openat(cur, c, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if !create => return Ok(None),
                Err(Errno::NOENT) => {
                    match rustix::fs::mkdirat(cur, c, Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(io_err(e, comps, i)),
                    }
                    match rustix::fs::openat(cur, c, DIR_FLAGS, Mode::empty()) {
                        Ok(fd) => fd,
                        Err(_) => return self.slow_noted(i, comps, create, lenient),
                    }
                }
                // A symlink, or not a directory: the careful walk decides.
                Err(Errno::NOTDIR) | Err(Errno::LOOP) => {
                    return self.slow_noted(i, comps, create, lenient)
                }
                Err(e) => return Err(io_err(e, comps, i)),
            };
            self.cache.push((c.to_vec(), fd));
        }
        Ok(Some(match comps.len() {
            0 => DirFd::Root,
            n => DirFd::Cached(n - 1),
        }))
    }

    /// Like [`Root::dir`] without creating, as a descriptor of its own
    /// (valid whatever is resolved next).
    pub fn dir_owned(&mut self, comps: &[&[u8]]) -> Result<Option<OwnedFd>> {
        Ok(match self.dir(comps, false)? {
            None => None,
            Some(DirFd::Owned(fd)) => Some(fd),
            Some(d) => Some(
                rustix::io::fcntl_dupfd_cloexec(self.fd(&d), 0)
                    .map_err(|e| Error::from(io::Error::from(e)))?,
            ),
        })
    }

    /// Open the file `comps` names for reading, following symlinks (the
    /// leaf's too) inside the root as [`Root::dir`] does: None when it
    /// is missing, is not a regular file, or the links go round.
    pub fn open_file(&mut self, comps: &[&[u8]]) -> Result<Option<std::fs::File>> {
        let mut path: Vec<Vec<u8>> = comps.iter().map(|c| c.to_vec()).collect();
        for _ in 0..=MAX_LINKS {
            let Some((leaf, parent)) = path.split_last() else {
                return Ok(None);
            };
            let parent_comps: Vec<&[u8]> = parent.iter().map(Vec::as_slice).collect();
            let Some(dir) = self.dir(&parent_comps, false)? else {
                return Ok(None);
            };
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
            match rustix::fs::openat(self.fd(&dir), leaf.as_slice(), flags, Mode::empty()) {
                Ok(fd) => {
                    let f = std::fs::File::from(fd);
                    return Ok(f.metadata()?.is_file().then_some(f));
                }
                // A symlink: on from where it points, `/` being the root
                // and `..` stopping there.
                Err(Errno::LOOP) => {
                    let Ok(target) =
                        rustix::fs::readlinkat(self.fd(&dir), leaf.as_slice(), Vec::new())
                    else {
                        return Ok(None);
                    };
                    let target = target.into_bytes();
                    let mut next = if target.first() == Some(&b'/') {
                        Vec::new()
                    } else {
                        parent.to_vec()
                    };
                    for c in target.split(|&b| b == b'/') {
                        match c {
                            b"" | b"." => {}
                            b".." => {
                                next.pop();
                            }
                            c => next.push(c.to_vec()),
                        }
                    }
                    path = next;
                }
                Err(_) => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The names from the root of the directory the last [`Root::dir`]
    /// resolved, when a symlink led there (None: the names it was given).
    pub fn real_names(&self) -> Option<&[Vec<u8>]> {
        self.real.as_deref()
    }

    /// [`Root::slow`], noting where it led ([`Root::real_names`]).
    fn slow_noted(
        &mut self,
        start: usize,
        comps: &[&[u8]],
        create: bool,
        lenient: bool,
    ) -> Result<Option<DirFd>> {
        let (dir, names) = self.slow(start, comps, create, lenient)?;
        self.real = dir.is_some().then_some(names);
        Ok(dir)
    }

    /// The walk that follows symlinks, inside the root, from component
    /// `start` on (the ones before are `cache[..start]`); with the
    /// directory, its names from the root (`lenient`: None where a name
    /// that is no directory stops it, as for a missing one).
    fn slow(
        &self,
        start: usize,
        comps: &[&[u8]],
        create: bool,
        lenient: bool,
    ) -> Result<(Option<DirFd>, Vec<Vec<u8>>)> {
        enum Fd<'a> {
            B(BorrowedFd<'a>),
            O(OwnedFd),
        }
        impl Fd<'_> {
            fn get(&self) -> BorrowedFd<'_> {
                match self {
                    Fd::B(b) => *b,
                    Fd::O(o) => o.as_fd(),
                }
            }
        }
        let mut stack: Vec<Fd> = Vec::with_capacity(start + 8);
        stack.push(Fd::B(self.root.as_fd()));
        stack.extend(self.cache[..start].iter().map(|(_, fd)| Fd::B(fd.as_fd())));
        let mut names: Vec<Vec<u8>> = comps[..start].iter().map(|c| c.to_vec()).collect();
        let mut queue: VecDeque<Vec<u8>> = comps[start..].iter().map(|c| c.to_vec()).collect();
        let mut links = 0;
        let whole = || show(&super::path::join(comps));
        while let Some(c) = queue.pop_front() {
            match c.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    if stack.len() > 1 {
                        stack.pop();
                        names.pop();
                    }
                    continue;
                }
                _ => {}
            }
            let cur = stack.last().unwrap().get();
            let st = match rustix::fs::statat(cur, c.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Some(st),
                Err(Errno::NOENT) => None,
                Err(e) => return Err(Error::from(io::Error::from(e)).context(whole())),
            };
            let fd = match st.map(|s| FileType::from_raw_mode(s.st_mode)) {
                None if !create => return Ok((None, names)),
                None => {
                    match rustix::fs::mkdirat(cur, c.as_slice(), Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(Error::from(io::Error::from(e)).context(whole())),
                    }
                    rustix::fs::openat(cur, c.as_slice(), DIR_FLAGS, Mode::empty())
                        .map_err(|e| Error::from(io::Error::from(e)).context(whole()))?
                }
                Some(FileType::Directory) => {
                    rustix::fs::openat(cur, c.as_slice(), DIR_FLAGS, Mode::empty())
                        .map_err(|e| Error::from(io::Error::from(e)).context(whole()))?
                }
                Some(FileType::Symlink) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Error::new(format!(
                            "{}: too many levels of symbolic links",
                            whole()
                        )));
                    }
                    let target = rustix::fs::readlinkat(cur, c.as_slice(), Vec::new())
                        .map_err(|e| Error::from(io::Error::from(e)).context(whole()))?;
                    let target = target.into_bytes();
                    if target.first() == Some(&b'/') {
                        stack.truncate(1);
                        names.clear();
                    }
                    for t in target.split(|&b| b == b'/').rev() {
                        queue.push_front(t.to_vec());
                    }
                    if queue.len() > MAX_DEPTH * 4 {
                        return Err(Error::new(format!("{}: symlinks too deep", whole())));
                    }
                    continue;
                }
                Some(_) if lenient => return Ok((None, names)),
                Some(_) => {
                    return Err(Error::new(format!(
                        "{}: {} is not a directory",
                        whole(),
                        show(&c)
                    )))
                }
            };
            stack.push(Fd::O(fd));
            names.push(c);
            if stack.len() > MAX_DEPTH + 1 {
                return Err(Error::new(format!("{}: too deep", whole())));
            }
        }
        let top = match stack.pop().unwrap() {
            Fd::O(o) => o,
            Fd::B(b) => rustix::io::fcntl_dupfd_cloexec(b, 0)
                .map_err(|e| Error::from(io::Error::from(e)))?,
        };
        Ok((Some(DirFd::Owned(top)), names))
    }
}

fn io_err(e: Errno, comps: &[&[u8]], upto: usize) -> Error {
    Error::from(io::Error::from(e)).context(show(&super::path::join(&comps[..=upto])))
}

/// The type of `name` in `dir`, not following a symlink; None if absent.
pub fn type_of(dir: BorrowedFd, name: &[u8]) -> io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Remove `name` from `dir` and, for a directory, everything under it —
/// never following a symlink. Returns whether a directory was removed.
pub fn remove_all(dir: BorrowedFd, name: &[u8]) -> io::Result<bool> {
    match type_of(dir, name)? {
        None => Ok(false),
        Some(FileType::Directory) => {
            remove_tree(dir, name, 0)?;
            Ok(true)
        }
        Some(_) => {
            rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
            Ok(false)
        }
    }
}

fn remove_tree(parent: BorrowedFd, name: &[u8], depth: usize) -> io::Result<()> {
    if depth > 4 * MAX_DEPTH {
        return Err(io::Error::other("directory tree too deep to remove"));
    }
    let fd = rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty())?;
    for (child, ft) in list_dir(fd.as_fd())? {
        if ft == Some(FileType::Directory) {
            remove_tree(fd.as_fd(), &child, depth + 1)?;
        } else {
            match rustix::fs::unlinkat(fd.as_fd(), child.as_slice(), AtFlags::empty()) {
                Ok(()) => {}
                // d_type unknown and it was a directory after all
                Err(Errno::ISDIR) => remove_tree(fd.as_fd(), &child, depth + 1)?,
                Err(e) => return Err(e.into()),
            }
        }
    }
    drop(fd);
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)?;
    Ok(())
}

/// The names in a directory (without `.` and `..`) and their types when
/// the filesystem reports them.
pub fn list_dir(dir: BorrowedFd) -> io::Result<Vec<(Vec<u8>, Option<FileType>)>> {
    let rd = rustix::fs::openat(
        dir,
        c".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut d = Dir::new(rd)?;
    let mut out = Vec::new();
    while let Some(ent) = d.read() {
        let ent = ent?;
        let n = ent.file_name().to_bytes();
        if n == b"." || n == b".." {
            continue;
        }
        let ft = match ent.file_type() {
            FileType::Unknown => None,
            t => Some(t),
        };
        out.push((n.to_vec(), ft));
    }
    Ok(out)
}
