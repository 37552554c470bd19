//! The OCI image layout as a content-addressed store.
//!
//! Layout: `oci-layout` (`{"imageLayoutVersion":"1.0.0"}`), `index.json` (an
//! image index naming images with `org.opencontainers.image.ref.name`) and
//! `blobs/<alg>/<hex>`.
//!
//! Rules kept here:
//! - Blobs are written to a temp file in the layout root (`.lade-tmp-*`),
//!   hashed while written (writeback started every few MiB, so the final
//!   sync is short), checked against the expected size and digest,
//!   fsynced and renamed into place; the directory is fsynced after. A
//!   failed or killed write never leaves a file at `blobs/<alg>/<hex>`.
//! - `index.json` changes happen under an exclusive lock (flock on the
//!   `oci-layout` file, which is never replaced): re-read, modify, write a
//!   temp file, rename. Concurrent writers lose no ref.
//! - A new layout (a missing path, an empty directory, or what a making
//!   killed half way left) is made under an
//!   exclusive flock on its root directory, `oci-layout` written last; a
//!   directory without it yet is looked at under a shared one. Processes
//!   writing into one new layout at once make it once and never see it
//!   half made, and a whole layout is used without locking.
//! - Blobs that are symlinks or not regular files are refused, and so are
//!   `blobs/` and `blobs/ALG` when they are symlinks, for reads and writes.
//! - Every digest is validated (by [`Digest`]'s type) before it becomes a path.

mod check;
mod usage;

pub use check::{FsckProblem, FsckReport, GcReport};
pub use usage::{EntryUsage, Tally, Usage};

use std::any::Any;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Context, Error, Result};
use crate::fsutil::{
    fsync_dir, link_verified, open_regular_nofollow, read_capped, read_capped_file, temp_file_in,
    FileId, HeldFile, TMP_PREFIX,
};
use crate::model::{
    validate_ref_name, Algorithm, Descriptor, Digest, HashingWriter, Index, MediaType, RawManifest,
    MAX_MANIFEST_SIZE, REF_NAME,
};

pub const LAYOUT_FILE: &str = "oci-layout";
pub const INDEX_FILE: &str = "index.json";
pub const LAYOUT_VERSION: &str = "1.0.0";
/// The largest index.json read or written: it lists every ref (about 250
/// bytes each), so a layout mirroring big registries holds far more than
/// a manifest; 64 MiB is some 250,000 refs.
pub const MAX_INDEX_SIZE: u64 = 64 << 20;
const COPY_BUF: usize = 1 << 20;

/// An OCI image layout on disk.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
    /// Where the blobs are: `ROOT/blobs`, or a directory several layouts
    /// share (skopeo's `--shared-blob-dir`: `DIR/ALG/HEX`).
    blobs: PathBuf,
    shared: bool,
}

/// What [`Layout::create`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// Nothing: the layout was there.
    Nothing,
    /// The layout, in an empty directory that was there.
    Layout,
    /// The layout and its directory, and so many of its parents (the
    /// innermost ones) that were not there either.
    Directory { parents: usize },
}

/// Held while a layout is made or checked (see `Layout::lock_root`).
struct RootLock {
    _dir: File,
    _one: std::sync::MutexGuard<'static, ()>,
}

/// Held while index.json is being changed.
pub struct LayoutLock {
    file: File,
}

impl Drop for LayoutLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The error for a layout path that is not a directory.
fn not_a_directory() -> Error {
    Error::new("not a directory (an OCI image layout is one)")
}

impl Layout {
    fn at(root: PathBuf) -> Layout {
        Layout {
            blobs: root.join("blobs"),
            root,
            shared: false,
        }
    }

    /// The layout with its blobs in `dir` (when given), a directory other
    /// layouts may share (skopeo's `--shared-blob-dir`): `DIR/ALG/HEX`,
    /// made when missing. Blobs written there stay when a failed copy
    /// takes back the layout it made: another layout may name them.
    pub fn with_shared_blobs(mut self, dir: Option<&Path>) -> Layout {
        if let Some(dir) = dir {
            self.blobs = dir.to_path_buf();
            self.shared = true;
        }
        self
    }

    /// Open an existing layout; checks `oci-layout` and its version.
    pub fn open(root: impl Into<PathBuf>) -> Result<Layout> {
        let layout = Layout::at(root.into());
        if layout.whole() {
            return Ok(layout);
        }
        // Not whole yet: wait out a maker, then look again.
        let _made = layout.lock_root(false)?;
        layout
            .check_layout_file()
            .with_context(|| format!("{}", layout.root.display()))?;
        Ok(layout)
    }

    /// Open a layout, creating an empty one if `root` is missing or empty.
    pub fn open_or_create(root: impl Into<PathBuf>) -> Result<Layout> {
        let layout = Layout::at(root.into());
        layout.create()?;
        Ok(layout)
    }

    /// A layout to write into that is made by the first write: an
    /// existing one is opened (and checked) now; a missing path or an
    /// empty directory is left as it is until [`Layout::create`], so a
    /// copy that fails before writing anything leaves nothing behind.
    /// Reads of a layout not made yet find nothing.
    pub fn open_for_writing(root: impl Into<PathBuf>) -> Result<Layout> {
        let layout = Layout::at(root.into());
        if layout.whole() {
            return Ok(layout);
        }
        // Not while another thread or process is making it (half made,
        // it would not look like a layout).
        if let Some(_made) = layout.lock_root(false)? {
            if !layout.is_new()? {
                layout
                    .check_layout_file()
                    .with_context(|| format!("{}", layout.root.display()))?;
            }
        }
        Ok(layout)
    }

    /// Make the layout if `root` is missing or an empty directory, else
    /// check it is one. Under the root's exclusive lock, so threads and
    /// processes writing into one new layout at once make it once, and
    /// none sees it half made. Returns what this call made, if anything.
    pub fn create(&self) -> Result<Made> {
        if self.whole() {
            return Ok(Made::Nothing);
        }
        let ctx = || self.root.display().to_string();
        // What making the layout adds (directories and files that were
        // not there) goes again if a signal ends the process before
        // oci-layout is written (see `init`): no directory is left that is
        // not a layout, and nothing that was there goes.
        let track = |paths: Vec<PathBuf>, adding: &mut Vec<PathBuf>| {
            for p in paths {
                crate::fsutil::track_added(&p);
                adding.push(p);
            }
        };
        let mut adding = Vec::new();
        let mut made = Made::Layout;
        if !self.root.exists() {
            track(crate::fsutil::missing_dirs(&self.root), &mut adding);
            match crate::fsutil::make_dirs(&self.root) {
                // (the root made here, and the parents made in a row up
                // from it: those taken back with it)
                Ok(dirs) if dirs.last() == Some(&self.root) => {
                    let parents = dirs.iter().rev().skip(1).zip(self.root.ancestors().skip(1));
                    made = Made::Directory {
                        parents: parents.take_while(|(a, b)| a == b).count(),
                    };
                }
                Ok(_) => {}
                Err(e) => {
                    crate::fsutil::forget_added_paths(&adding);
                    return Err(Error::from(e).context(ctx()));
                }
            }
        }
        let _made = self.lock_root(true)?;
        let new = self.is_new();
        if let Ok(true) = new {
            let mut more = crate::fsutil::missing_dirs(&self.blobs.join("sha256"));
            let index = self.root.join(INDEX_FILE);
            if !index.exists() {
                more.push(index);
            }
            track(more, &mut adding);
            if let Err(e) = self.init(&adding) {
                self.uninit(made);
                crate::fsutil::forget_added_paths(&adding);
                return Err(e.context(format!("making the layout {}", ctx())));
            }
            Ok(made)
        } else {
            crate::fsutil::forget_added_paths(&adding);
            new?;
            self.check_layout_file().with_context(ctx)?;
            Ok(Made::Nothing)
        }
    }

    /// Take back a layout [`Layout::create`] made (`made`) for a write
    /// that then failed, when nothing but that write's blobs (`written`)
    /// is in it: no manifest in index.json, no other blob, no other file
    /// (another writer's temp files among them). Else, or on any error,
    /// it stays as it is. Under the root's exclusive lock and index.json's
    /// (so no writer is between reading and replacing index.json);
    /// `oci-layout` goes first, so no reader takes what is left for a
    /// layout, and a writer waiting for the index lock then fails.
    pub fn unmake(&self, made: Made, written: &std::collections::HashSet<Digest>) {
        if made == Made::Nothing {
            return;
        }
        let Ok(Some(_lock)) = self.lock_root(true) else {
            return;
        };
        let Ok(_index_lock) = self.lock() else {
            return;
        };
        let Ok(index) = self.read_index() else {
            return;
        };
        if !index.manifests.is_empty() || !index.unreadable.is_empty() {
            return;
        }
        let mut blobs = Vec::new();
        let mut dirs = Vec::new();
        let Ok(rd) = fs::read_dir(&self.root) else {
            return;
        };
        for e in rd {
            let Ok(e) = e else { return };
            match e.file_name().to_str() {
                Some(LAYOUT_FILE | INDEX_FILE) => {}
                Some("blobs") => {
                    let Ok(algs) = fs::read_dir(e.path()) else {
                        return;
                    };
                    for a in algs {
                        let Ok(a) = a else { return };
                        let Ok(files) = fs::read_dir(a.path()) else {
                            return;
                        };
                        for f in files {
                            let Ok(f) = f else { return };
                            let name = format!(
                                "{}:{}",
                                a.file_name().to_string_lossy(),
                                f.file_name().to_string_lossy()
                            );
                            let ours = Digest::parse(&name).is_ok_and(|d| written.contains(&d));
                            if !ours {
                                return;
                            }
                            blobs.push(f.path());
                        }
                        dirs.push(a.path());
                    }
                    dirs.push(e.path());
                }
                _ => return,
            }
        }
        if fs::remove_file(self.root.join(LAYOUT_FILE)).is_err() {
            return;
        }
        for b in &blobs {
            let _ = fs::remove_file(b);
        }
        for d in &dirs {
            let _ = fs::remove_dir(d);
        }
        let _ = fs::remove_file(self.root.join(INDEX_FILE));
        self.remove_made_dirs(made);
    }

    /// Remove the root and the parents made for it (see [`Made`]), if
    /// they were made and are empty.
    fn remove_made_dirs(&self, made: Made) {
        if let Made::Directory { parents } = made {
            for dir in self.root.ancestors().take(parents + 1) {
                if fs::remove_dir(dir).is_err() {
                    return;
                }
            }
        }
    }

    /// Lock the root directory itself (flock, exclusive while a layout is
    /// made in it, shared while one not whole is checked) and, within this process,
    /// a mutex; both released when the returned lock is dropped. None when
    /// there is no root yet.
    fn lock_root(&self, exclusive: bool) -> Result<Option<RootLock>> {
        static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let one = ONE.lock().unwrap_or_else(|e| e.into_inner());
        let dir = match File::open(&self.root) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::from(e).context(self.root.display().to_string())),
        };
        // Best effort: where directories cannot be locked (NFS without a
        // lock manager says ENOLCK, and it emulates an exclusive flock by
        // a write lock, which a directory cannot take) layouts are still
        // read and made, safe between the threads of one process.
        let _ = if exclusive {
            dir.lock()
        } else {
            dir.lock_shared()
        };
        Ok(Some(RootLock {
            _dir: dir,
            _one: one,
        }))
    }

    /// Is the layout whole: `oci-layout` there and right? It is written
    /// last (see [`Layout::init`]), so then no lock is needed to use it.
    fn whole(&self) -> bool {
        self.check_layout_file().is_ok()
    }

    /// Is `root` a layout yet to be made: missing, an empty directory, or
    /// holding only what a making killed half way leaves (empty blob
    /// directories, an index.json naming nothing, temp files)? Nothing in
    /// such a directory is lost by making the layout again.
    fn is_new(&self) -> Result<bool> {
        let ctx = |e: io::Error| Error::from(e).context(self.root.display().to_string());
        let rd = match fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
            Err(_) if self.root_is_file() => {
                return Err(not_a_directory().context(self.root.display().to_string()))
            }
            Err(e) => return Err(ctx(e)),
        };
        let empty_dir = |p: &Path| -> bool {
            fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
                && fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
        };
        for e in rd {
            let e = e.map_err(ctx)?;
            let path = e.path();
            let name = e.file_name();
            let leftover = match name.to_str() {
                Some(n) if n.starts_with(TMP_PREFIX) => e.file_type().is_ok_and(|t| t.is_file()),
                Some("blobs") => {
                    fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir())
                        && fs::read_dir(&path)
                            .map_err(ctx)?
                            .all(|a| a.is_ok_and(|a| empty_dir(&a.path())))
                }
                Some(INDEX_FILE) => open_regular_nofollow(&path)
                    .ok()
                    .and_then(|mut f| read_capped(&mut f, 4096, "index.json").ok())
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .is_some_and(|v| v["manifests"].as_array().is_some_and(|m| m.is_empty())),
                _ => false,
            };
            if !leftover {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Make the layout's files; `adding` (what a signal would take back
    /// until then) is forgotten as oci-layout is written, at once.
    fn init(&self, adding: &[PathBuf]) -> Result<()> {
        fs::create_dir_all(self.blobs.join("sha256"))?;
        // index.json first: a directory with oci-layout is taken as a layout.
        self.write_atomic(
            INDEX_FILE,
            &serde_json::to_vec(&Index::empty_oci()).expect("index serializes"),
        )?;
        crate::fsutil::commit_added_paths(adding, || {
            self.write_atomic(
                LAYOUT_FILE,
                format!("{{\"imageLayoutVersion\":\"{LAYOUT_VERSION}\"}}").as_bytes(),
            )
        })?;
        Ok(())
    }

    /// Take back what a failed [`Layout::init`] made (a disk full, out of
    /// inodes), under the root's lock: while the directory holds nothing
    /// but what a making leaves ([`Layout::is_new`]), its index.json
    /// naming nothing, its empty blob directories, and the directory if
    /// `made` says it was made. Other files (temp files) stay.
    fn uninit(&self, made: Made) {
        if !self.is_new().unwrap_or(false) {
            return;
        }
        let blobs = self.root.join("blobs");
        let _ = fs::remove_file(self.root.join(INDEX_FILE));
        if let Ok(rd) = fs::read_dir(&blobs) {
            for e in rd.flatten() {
                let _ = fs::remove_dir(e.path());
            }
        }
        let _ = fs::remove_dir(&blobs);
        self.remove_made_dirs(made);
    }

    /// Is the root there and not a directory (a file, a device)?
    fn root_is_file(&self) -> bool {
        fs::metadata(&self.root).is_ok_and(|m| !m.is_dir())
    }

    fn check_layout_file(&self) -> Result<()> {
        let path = self.root.join(LAYOUT_FILE);
        let mut f = match open_regular_nofollow(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !self.root.exists() {
                    // (the image named is not there: exit 1, as a
                    // missing archive file, a ref or a repository)
                    return Err(Error::not_found("no such directory"));
                }
                // (What another tool's copy that failed half way leaves:
                // blobs it wrote, nothing naming them.)
                let names: Vec<_> = fs::read_dir(&self.root)
                    .map(|rd| rd.flatten().take(2).map(|e| e.file_name()).collect())
                    .unwrap_or_default();
                let half_made =
                    names.len() == 1 && names[0] == "blobs" && self.root.join("blobs").is_dir();
                return Err(Error::new(if half_made {
                    "not an OCI image layout: oci-layout file is missing, and only blobs/ is \
                     there (left by a copy that failed half way?)"
                } else {
                    "not an OCI image layout: oci-layout file is missing"
                }));
            }
            Err(_) if self.root_is_file() => return Err(not_a_directory()),
            Err(e) => return Err(Error::from(e).context(LAYOUT_FILE)),
        };
        let bytes = read_capped(&mut f, 64 * 1024, LAYOUT_FILE)?;
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::new(format!("oci-layout is not valid JSON: {e}")))?;
        match v.get("imageLayoutVersion").and_then(|v| v.as_str()) {
            Some(LAYOUT_VERSION) => Ok(()),
            Some(other) => Err(Error::new(format!(
                "unsupported imageLayoutVersion {other:?} in oci-layout (expected {LAYOUT_VERSION:?})"
            ))),
            None => Err(Error::new("oci-layout has no imageLayoutVersion")),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.blobs.join(d.algorithm().name()).join(d.hex())
    }

    /// Size of a stored blob, None when absent. A blob that is a symlink
    /// or not a regular file is an error.
    pub fn blob_size(&self, d: &Digest) -> Result<Option<u64>> {
        self.check_blob_dirs(d.algorithm())?;
        match fs::symlink_metadata(self.blob_path(d)) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Err(Error::new(format!(
                "blob {d} in {} is not a regular file",
                self.root.display()
            ))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::from(e).context(format!("blob {d}"))),
        }
    }

    pub fn has(&self, d: &Digest) -> Result<bool> {
        Ok(self.blob_size(d)?.is_some())
    }

    /// Open a blob for reading. Missing is a NotFound error.
    pub fn open_blob(&self, d: &Digest) -> Result<File> {
        self.check_blob_dirs(d.algorithm())?;
        match open_regular_nofollow(&self.blob_path(d)) {
            Ok(f) => Ok(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::not_found(format!(
                "blob {d} not found in {}",
                self.root.display()
            ))),
            Err(e) => Err(Error::from(e).context(format!("blob {d} in {}", self.root.display()))),
        }
    }

    /// Read a small blob (manifest, config) whole, verifying its digest.
    /// Such a blob is read because something in the layout names it, so
    /// its absence is damage (exit 3), not a negative answer.
    pub fn read_small_blob(&self, d: &Digest, cap: u64) -> Result<Vec<u8>> {
        let mut f = self.open_blob(d).map_err(|e| match e.kind() {
            crate::error::Kind::NotFound => Error::missing(format!(
                "blob {d} is missing from {} (the layout names it){}",
                self.blobs.display(),
                // (as skopeo's --shared-blob-dir leaves a layout)
                match self.shared || self.blobs.join(d.algorithm().name()).exists() {
                    true => String::new(),
                    false => format!(
                        "; the layout has no blobs/{}: are they in a shared blob directory?",
                        d.algorithm().name()
                    ),
                }
            )),
            _ => e,
        })?;
        let bytes = read_capped_file(&mut f, cap, &format!("blob {d}"))?;
        let got = Digest::of_bytes_with(d.algorithm(), &bytes);
        if &got != d {
            return Err(Error::new(format!(
                "blob {d} is corrupt: its content hashes to {got}"
            )));
        }
        Ok(bytes)
    }

    /// Read and check the manifest or index a descriptor points at.
    pub fn read_manifest(&self, desc: &Descriptor) -> Result<RawManifest> {
        let bytes = self.read_manifest_bytes(desc)?;
        let declared = Some(&desc.media_type).filter(|m| m.is_manifest_or_index());
        RawManifest::from_bytes(bytes, declared)
            .map(|r| r.addressed_with(desc.digest.algorithm()))
            .with_context(|| desc.digest.to_string())
    }

    /// The bytes of the (small) blob a descriptor points at, checked
    /// against its digest and size, unparsed: a manifest of any kind.
    pub fn read_manifest_bytes(&self, desc: &Descriptor) -> Result<Vec<u8>> {
        let bytes = self.read_small_blob(&desc.digest, MAX_MANIFEST_SIZE)?;
        if bytes.len() as u64 != desc.size {
            return Err(Error::new(format!(
                "blob {} is {} bytes but its descriptor says {}",
                desc.digest,
                bytes.len(),
                desc.size
            )));
        }
        Ok(bytes)
    }

    /// Refresh a blob's mtime so `gc`'s grace period protects it while a
    /// writer that reuses it has not yet referenced it.
    pub fn touch(&self, d: &Digest) {
        if let Ok(f) = File::options().append(true).open(self.blob_path(d)) {
            let _ = f.set_modified(SystemTime::now());
        }
    }

    /// Store everything `r` yields as a blob.
    ///
    /// With `expected`, at most `size + 1` bytes are read and both size and
    /// digest must match, or nothing is stored. Without, the blob is hashed
    /// with SHA-256. Returns the digest and size.
    pub fn put(
        &self,
        r: &mut dyn Read,
        expected: Option<(&Digest, Option<u64>)>,
    ) -> Result<(Digest, u64)> {
        let alg = expected.map_or(Algorithm::Sha256, |(d, _)| d.algorithm());
        let mut tmp = temp_file_in(&self.root)
            .with_context(|| format!("creating a temp file in {}", self.root.display()))?;
        let mut w = HashingWriter::new(Writeback::new(tmp.as_file_mut()), alg);
        let limit = expected
            .and_then(|(_, s)| s)
            .map_or(u64::MAX, |s| s.saturating_add(1));
        copy_buffered(&mut r.take(limit), &mut w)
            .map_err(|e| crate::fsutil::writing_in(e, "a blob", &self.root))?;
        let (digest, size, _) = w.finish();
        if let Some((want, want_size)) = expected {
            if let Some(ws) = want_size {
                if size != ws {
                    return Err(Error::new(format!(
                        "blob {want}: got {}{} bytes, expected {ws}",
                        if size > ws { "more than " } else { "" },
                        if size > ws { ws } else { size }
                    )));
                }
            }
            if &digest != want {
                return Err(Error::new(format!(
                    "blob {want}: content hashes to {digest} (digest mismatch)"
                )));
            }
        }
        self.commit_temp(tmp, &digest)?;
        Ok((digest, size))
    }

    /// Store an existing local file as a blob by hard-linking it (blobs are
    /// immutable, as in a local git clone), after verifying the linked
    /// file's size and digest. Returns false when linking is not possible
    /// here (another filesystem, no permission), so the caller can stream.
    pub fn put_link(&self, src: &Path, digest: &Digest, size: u64) -> Result<bool> {
        let Some((tmp, _locked)) = link_verified(src, &self.root, digest, size)? else {
            return Ok(false);
        };
        let dir = self.blob_dir(digest.algorithm())?;
        crate::fsutil::persist_link(tmp, &dir.join(digest.hex()))
            .map_err(|e| Error::from(e).context(format!("storing blob {digest}")))?;
        Ok(true)
    }

    /// Store bytes already in memory (manifests, configs).
    pub fn put_bytes(&self, bytes: &[u8], expected: Option<&Digest>) -> Result<Digest> {
        let d = match expected {
            Some(d) => d.clone(),
            None => Digest::of_bytes(bytes),
        };
        if self.has(&d)? {
            self.touch(&d);
            return Ok(d);
        }
        self.put(&mut &bytes[..], Some((&d, Some(bytes.len() as u64))))?;
        Ok(d)
    }

    fn commit_temp(&self, tmp: tempfile::NamedTempFile, digest: &Digest) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let f = tmp.as_file();
        f.set_permissions(fs::Permissions::from_mode(0o644))?;
        f.sync_data()
            .map_err(|e| crate::fsutil::writing_in(e, "a blob", &self.root))?;
        let dir = self.blob_dir(digest.algorithm())?;
        let dest = dir.join(digest.hex());
        tmp.persist(&dest)
            .map_err(|e| Error::from(e.error).context(format!("storing blob {digest}")))?;
        Ok(())
    }

    /// Make the names of the blobs stored so far durable: fsync each
    /// `blobs/ALG` directory. A blob's content is synced before its
    /// rename; the directory, whose fsync makes the renames in it durable,
    /// is synced once here, before index.json names them (and after
    /// `hash-object -w`), not after each blob: a sync of thousands of
    /// small images did two device flushes per blob, and renames into
    /// the directory waited on each other's flushes. Blobs another
    /// process stored are covered too, as index.json may name them.
    pub fn sync_blobs(&self) -> Result<()> {
        let blobs = &self.blobs;
        if !blobs.is_dir() {
            return Ok(());
        }
        // (The directories blobs go into, and blobs/, which holds them;
        // nothing else under blobs/ is the layout's.)
        for alg in [Algorithm::Sha256, Algorithm::Sha512] {
            if blobs.join(alg.name()).is_dir() {
                self.sync_blob_dir(alg)?;
            }
        }
        fsync_dir(blobs).map_err(|e| Error::from(e).context(blobs.display().to_string()))
    }

    /// [`Layout::sync_blobs`] for the one directory a blob of `alg` went
    /// into (it was there, or made and synced with the layout).
    pub fn sync_blob_dir(&self, alg: Algorithm) -> Result<()> {
        let dir = self.blobs.join(alg.name());
        fsync_dir(&dir).map_err(|e| Error::from(e).context(dir.display().to_string()))
    }

    /// Reads, as writes ([`Layout::blob_dir`]), go through `blobs/` and
    /// `blobs/ALG` only when they are directories of the layout (or not
    /// there): a symlink would lead outside it.
    /// (A shared blob directory is the user's to name, symlink or not.)
    fn check_blob_dirs(&self, alg: Algorithm) -> Result<()> {
        let blobs = &self.blobs;
        let levels = [blobs.clone(), blobs.join(alg.name())];
        for p in &levels[usize::from(self.shared)..] {
            if !layout_dir(p, "read")? {
                break;
            }
        }
        Ok(())
    }

    /// `blobs/ALG`, made when missing. Either level being a symlink (or
    /// not a directory) is refused: blobs would land where it points,
    /// outside the layout.
    fn blob_dir(&self, alg: Algorithm) -> Result<PathBuf> {
        let blobs = &self.blobs;
        let dir = blobs.join(alg.name());
        if self.shared {
            fs::create_dir_all(blobs)
                .map_err(|e| Error::from(e).context(blobs.display().to_string()))?;
        }
        for p in [blobs, &dir].into_iter().skip(usize::from(self.shared)) {
            if let Err(e) = fs::create_dir(p) {
                if e.kind() != io::ErrorKind::AlreadyExists {
                    return Err(Error::from(e).context(p.display().to_string()));
                }
            }
            layout_dir(p, "written")?;
        }
        Ok(dir)
    }

    /// Write a small file in the root atomically (temp + fsync + rename);
    /// the file written, held.
    fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<HeldFile> {
        let path = self.root.join(name);
        if name == INDEX_FILE {
            self.sync_blobs()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        // (a failure names the file: "No space left on device" alone does
        // not say where)
        let write = || -> Result<HeldFile> {
            let mut tmp = temp_file_in(&self.root)?;
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))?;
            tmp.write_all(bytes)?;
            tmp.as_file().sync_data()?;
            let file = tmp.persist(&path).map_err(|e| Error::from(e.error))?;
            fsync_dir(&self.root)?;
            Ok(HeldFile::new(file)?)
        };
        write().with_context(|| format!("writing {}", path.display()))
    }

    /// Take the exclusive lock that guards index.json.
    pub fn lock(&self) -> Result<LayoutLock> {
        self.take_lock(false)
    }

    /// Take the lock that guards index.json shared: writers of index.json
    /// and gc wait while it is held, readers holding it do not.
    pub fn lock_shared(&self) -> Result<LayoutLock> {
        self.take_lock(true)
    }

    fn take_lock(&self, shared: bool) -> Result<LayoutLock> {
        let ctx = || format!("locking {}", self.root.display());
        let file = File::open(self.root.join(LAYOUT_FILE)).with_context(ctx)?;
        match shared {
            true => file.lock_shared(),
            false => file.lock(),
        }
        .with_context(ctx)?;
        Ok(LayoutLock { file })
    }

    /// Read and check index.json. Entries that do not read are set apart
    /// (see [`parse_index_json`]): a name they hold is refused when used
    /// ([`Layout::resolve`]); fsck names them, gc refuses.
    pub fn read_index(&self) -> Result<Index> {
        let path = self.root.join(INDEX_FILE);
        let mut f = open_regular_nofollow(&path).with_context(|| path.display().to_string())?;
        let bytes = read_capped_file(&mut f, MAX_INDEX_SIZE, &path.display().to_string())?;
        parse_index_json(&bytes).with_context(|| path.display().to_string())
    }

    /// A warning for each entry of `index` (this layout's) that does not
    /// read, for listings, which leave them out.
    pub fn warn_unreadable(&self, index: &Index) {
        for (pos, e) in &index.unreadable {
            crate::error::warn(&format!(
                "{}: {}; left out (lade fsck lists such entries, untag removes them)",
                self.root.join(INDEX_FILE).display(),
                crate::model::unreadable_entry_text(*pos, e)
            ));
        }
    }

    /// Change index.json under the lock: re-read, apply `f`, write atomically.
    /// Nothing is written when `f` fails. The index this process wrote
    /// last is kept, and taken again instead of read while index.json is
    /// still that file (no other writer came between): a sync's commits
    /// into one layout would each parse the whole of it again.
    pub fn update_index<T>(&self, f: impl FnOnce(&mut Index) -> Result<T>) -> Result<T> {
        // (no view: what `f` does to the index is not known)
        self.update_index_with(|index, _| Ok((f(index)?, Edit::Other, None)))
    }

    /// [`Layout::update_index`] by a change that says what it did
    /// ([`Edit`]), and may return its own view of the index (given back
    /// with the index while no other change comes between): a first
    /// sync of 10,000 images into a layout, in batches, serialized the
    /// whole of index.json for each (half its time), and its callers
    /// mapped every name again (a seventh).
    pub fn update_index_with<T>(
        &self,
        f: impl FnOnce(&mut Index, Option<View>) -> Result<(T, Edit, Option<View>)>,
    ) -> Result<T> {
        // (by layout, a few: a process writing several in turn)
        static WRITTEN: std::sync::Mutex<Vec<Kept>> = std::sync::Mutex::new(Vec::new());
        let written = || WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
        let _lock = self.lock()?;
        let now = FileId::of_path(&self.root.join(INDEX_FILE));
        let kept = {
            let mut w = written();
            w.iter()
                .position(|k| k.root == self.root)
                .map(|i| w.remove(i))
                .filter(|k| Some(k.held.id) == now)
        };
        let (mut index, before, view) = match kept {
            Some(k) => (k.index, Some((k.bytes, k.close)), k.view),
            None => (self.read_index()?, None, None),
        };
        let had = index.manifests.len();
        let (out, edit, view) = f(&mut index, view)?;
        let (bytes, close) = match before {
            // The bytes written last, the new entries put in before the
            // list's end: the same bytes, made without the old entries.
            Some((mut bytes, close))
                if edit == Edit::Appended
                    && index.unreadable.is_empty()
                    && index.manifests.len() >= had =>
            {
                let mut added = Vec::new();
                for (i, e) in index.manifests.iter().enumerate().skip(had) {
                    if i > 0 {
                        added.push(b',');
                    }
                    serde_json::to_writer(&mut added, e).expect("a descriptor serializes");
                }
                let n = added.len();
                bytes.splice(close..close, added);
                (bytes, Some(close + n))
            }
            _ => {
                let bytes = index_json_bytes(&index);
                let close = match index.unreadable.is_empty() {
                    true => manifests_end(&mut index, &bytes),
                    false => None,
                };
                (bytes, close)
            }
        };
        // Not written past what can be read back.
        if bytes.len() as u64 > MAX_INDEX_SIZE {
            return Err(Error::new(format!(
                "{} would be {} bytes, past its limit of {MAX_INDEX_SIZE}: untag refs first",
                self.root.join(INDEX_FILE).display(),
                bytes.len()
            )));
        }
        let held = self.write_atomic(INDEX_FILE, &bytes)?;
        // (a big one too: it is in memory now, and a sync's next batch would
        // read it again, every batch, each in its thread's own malloc arena,
        // which keeps what it freed: 300 images synced into a layout of
        // 250,000 refs took 27 s and 1.2 GB so. Not one with entries that
        // do not read, which read back elsewhere: no `close` was found for
        // it.)
        if let Some(close) = close {
            let mut w = written();
            if w.len() >= 4 {
                w.remove(0);
            }
            w.push(Kept {
                root: self.root.clone(),
                held,
                index,
                bytes,
                close,
                view,
            });
        }
        Ok(out)
    }

    /// Resolve a user's REF: a digest (looked up in index.json, else read
    /// from the blob) or a ref name. A name without `:` that is not found
    /// is retried as `NAME:latest`.
    pub fn resolve(&self, r: &str) -> Result<Descriptor> {
        let index = self.read_index()?;
        if Digest::looks_like_digest(r) {
            let d = Digest::parse(r)?;
            if let Some(desc) = index.manifests.iter().find(|m| m.digest == d) {
                let mut desc = desc.clone();
                desc.annotations = None;
                return Ok(desc);
            }
            let no_manifest = |why: &str| {
                // (a negative answer: no manifest by that digest)
                Error::not_found(format!(
                    "{d} is a blob of the store, but no manifest or index ({why}; lade cat-blob prints it)"
                ))
            };
            match self.blob_size(&d)? {
                None => {
                    return Err(Error::not_found(format!(
                        "{d} not found in {}",
                        self.root.display()
                    )))
                }
                Some(n) if n > MAX_MANIFEST_SIZE => {
                    return Err(no_manifest(&format!(
                        "{n} bytes, more than a manifest's {MAX_MANIFEST_SIZE} byte limit"
                    )))
                }
                Some(_) => {}
            }
            let bytes = self.read_small_blob(&d, MAX_MANIFEST_SIZE)?;
            let raw = RawManifest::from_bytes(bytes, None).map_err(|e| {
                let why = e.message();
                no_manifest(why.strip_prefix("not a manifest or index: ").unwrap_or(why))
            })?;
            return Ok(raw.addressed_with(d.algorithm()).descriptor());
        }
        validate_ref_name(r)?;
        ref_position(&index, r)
            .map(|i| index.manifests[i].clone())
            .ok_or_else(|| self.ref_not_found(&index, r))
    }

    /// No ref `name`: not found, or its entry does not read.
    fn ref_not_found(&self, index: &Index, name: &str) -> Error {
        let latest = format!("{name}:latest");
        match index.unreadable_named(name).or_else(|| {
            (!name.contains(':'))
                .then(|| index.unreadable_named(&latest))
                .flatten()
        }) {
            Some((pos, e)) => Error::new(format!(
                "ref {name:?} in {}: {}",
                self.root.join(INDEX_FILE).display(),
                crate::model::unreadable_entry_text(*pos, e)
            )),
            None => {
                let also = match name.contains(':') {
                    true => String::new(),
                    false => format!(" (nor {latest:?})"),
                };
                Error::not_found(format!(
                    "ref {name:?} not found in {}{also}",
                    self.root.display()
                ))
            }
        }
    }

    /// Point ref `name` at `desc` (replacing any entry of that name), in
    /// place if it existed, appended otherwise.
    pub fn set_ref(&self, name: &str, desc: &Descriptor) -> Result<()> {
        check_new_ref_name(name)?;
        let mut entry = desc.clone();
        entry.set_annotation(REF_NAME, name);
        self.update_index(|index| {
            self.check_complete(desc)?;
            set_ref_in(index, name, entry);
            Ok(())
        })
    }

    /// Remove ref `name`. NotFound when no entry had it.
    pub fn remove_ref(&self, name: &str) -> Result<()> {
        self.update_index(|index| {
            // A name index.json holds is taken as it is, whatever it holds
            // (a name no ref may be given, made by another tool, can still
            // be removed); others must be names.
            if !index.manifests.iter().any(|m| m.ref_name() == Some(name))
                && index.unreadable_named(name).is_none()
            {
                validate_ref_name(name)?;
            }
            // An entry of that name that does not read goes (with any
            // readable one of the name): what it names is not known.
            // (NAME alone then: not NAME:latest)
            let had_unreadable = index.drop_unreadable_named(name);
            let pos = match had_unreadable {
                true => index
                    .manifests
                    .iter()
                    .position(|m| m.ref_name() == Some(name)),
                false => ref_position(index, name),
            };
            let pos = match pos {
                Some(p) => p,
                None if had_unreadable => return Ok(()),
                None => return Err(self.ref_not_found(index, name)),
            };
            // (what was there, for its referrers: none, usually)
            let before = match index.manifests.iter().any(|m| m.ref_name().is_none()) {
                true => index.manifests.clone(),
                false => Vec::new(),
            };
            // (the entry, with any other of its name)
            let removed = index.manifests[pos].ref_name().map(str::to_string);
            index.retain_manifests(|m| m.ref_name() != removed.as_deref());
            self.drop_orphan_referrers(index, &before);
            Ok(())
        })
    }

    /// Drop the unnamed entries of `index` that refer (their `subject`)
    /// to an image no entry reaches any more but one of `before` did (its
    /// signatures, SBOMs), and those that refer to them in turn, so that gc
    /// can take them with it. A referrer whose subject was not reached
    /// before either stays; an entry that does not read is kept.
    fn drop_orphan_referrers(&self, index: &mut Index, before: &[Descriptor]) {
        let subject_of = |m: &Descriptor| Some(self.read_manifest(m).ok()?.subject()?.digest);
        // (usually none: nothing else to read)
        let referrers: Vec<(Digest, Digest)> = index
            .manifests
            .iter()
            .filter(|m| m.ref_name().is_none())
            .filter_map(|m| Some((m.digest.clone(), subject_of(m)?)))
            .collect();
        if referrers.is_empty() {
            return;
        }
        // The manifests and indexes the entries reach (an index's entries;
        // a subject is no link).
        let reach = |entries: &[Descriptor]| -> std::collections::HashSet<Digest> {
            let mut seen = std::collections::HashSet::new();
            let mut stack: Vec<Descriptor> = entries.to_vec();
            while let Some(d) = stack.pop() {
                // (only an index's entries: a manifest is not read)
                if seen.insert(d.digest.clone()) && d.media_type.is_index() {
                    if let Some(i) = self.read_manifest(&d).ok().and_then(|r| r.index().ok()) {
                        stack.extend(i.manifests);
                    }
                }
            }
            seen
        };
        let was = reach(before);
        loop {
            let now = reach(&index.manifests);
            // (a set: a chain of referrers takes a pass per link)
            let orphans: std::collections::HashSet<&Digest> = referrers
                .iter()
                .filter(|(_, s)| was.contains(s) && !now.contains(s))
                .map(|(r, _)| r)
                .collect();
            let n = index.manifests.len();
            index.retain_manifests(|m| m.ref_name().is_some() || !orphans.contains(&m.digest));
            if index.manifests.len() == n {
                return;
            }
        }
    }
}

/// The index.json entry named `name`; a NAME without a tag that is not
/// there is looked up as NAME:latest (unless an entry named NAME does not
/// read: NAME is there, unusable).
fn ref_position(index: &Index, name: &str) -> Option<usize> {
    let at = |n: &str| index.manifests.iter().position(|m| m.ref_name() == Some(n));
    at(name).or_else(|| {
        (!name.contains(':') && index.unreadable_named(name).is_none())
            .then(|| at(&format!("{name}:latest")))
            .flatten()
    })
}

/// Writes to a file and starts the kernel's writeback of every
/// [`WRITEBACK_CHUNK`] bytes written, so the `fdatasync` before the rename
/// finds most of the blob already on its way to disk and waits for the
/// tail only: the disk works while the copy goes on reading and hashing.
/// Linux has no `sync_file_range` in rustix; `POSIX_FADV_DONTNEED` starts
/// asynchronous writeback of the dirty range the same way (PostgreSQL's
/// `pg_flush_data` fallback) and drops the pages already clean. Durability
/// is unchanged: the fdatasync still happens before the rename.
struct Writeback<'a> {
    file: &'a mut File,
    written: u64,
    started: u64,
}

const WRITEBACK_CHUNK: u64 = 8 << 20;

impl<'a> Writeback<'a> {
    fn new(file: &'a mut File) -> Self {
        Writeback {
            file,
            written: 0,
            started: 0,
        }
    }
}

impl Write for Writeback<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_CHUNK {
            // Advice only: a failure changes nothing but speed.
            let _ = rustix::fs::fadvise(
                &*self.file,
                self.started,
                std::num::NonZeroU64::new(self.written - self.started),
                rustix::fs::Advice::DontNeed,
            );
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Replace or append the entry for `name` in an index (an entry of that
/// name that does not read is replaced too).
pub fn set_ref_in(index: &mut Index, name: &str, entry: Descriptor) {
    index.drop_unreadable_named(name);
    match index
        .manifests
        .iter()
        .position(|m| m.ref_name() == Some(name))
    {
        Some(i) => {
            index.manifests[i] = entry;
            let mut seen = false;
            index.retain_manifests(|m| {
                if m.ref_name() == Some(name) {
                    let keep = !seen;
                    seen = true;
                    keep
                } else {
                    true
                }
            });
        }
        None => index.manifests.push(entry),
    }
}

/// A caller's view of an index it changed ([`Layout::update_index_with`]).
pub type View = Box<dyn Any + Send>;

/// What a change given to [`Layout::update_index_with`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Entries added at the end of `manifests`, nothing else changed.
    Appended,
    /// Anything else.
    Other,
}

/// An index.json this process wrote ([`Layout::update_index_with`]): the
/// file, held, the index and its bytes, where the list of entries ends in
/// them (its `]`), and the view of it the last change kept.
struct Kept {
    root: PathBuf,
    held: HeldFile,
    index: Index,
    bytes: Vec<u8>,
    close: usize,
    view: Option<View>,
}

/// Where `index`'s list of entries ends (its `]`) in `bytes`, its
/// serialization: as far from the end as it is in the index serialized
/// with no entries. The first `"manifests":[` in that is the key (only
/// the schema version and strings, escaped, come before it).
fn manifests_end(index: &mut Index, bytes: &[u8]) -> Option<usize> {
    const KEY: &[u8] = b"\"manifests\":[";
    let entries = std::mem::take(&mut index.manifests);
    let shell = serde_json::to_vec(&*index);
    index.manifests = entries;
    let shell = shell.ok()?;
    let at = shell.windows(KEY.len()).position(|w| w == KEY)?;
    let close = bytes.len().checked_sub(shell.len() - at - KEY.len())?;
    (bytes.get(close) == Some(&b']')).then_some(close)
}

/// Parse index.json bytes, insisting on an image index. Entries that do
/// not read as descriptors go to [`Index::unreadable`] (the others are
/// used, as other tools use them); the rest must read.
pub fn parse_index_json(bytes: &[u8]) -> Result<Index> {
    let index: Index = match serde_json::from_slice(bytes) {
        Ok(i) => i,
        Err(e) => {
            lenient_index(bytes).ok_or_else(|| Error::new(format!("not an image index: {e}")))?
        }
    };
    if index.schema_version != 2 {
        return Err(Error::new(format!(
            "not an image index: schemaVersion is {}, expected 2",
            index.schema_version
        )));
    }
    if let Some(mt) = &index.media_type {
        if *mt != MediaType::OciIndex {
            return Err(Error::new(format!("not an image index: mediaType is {mt}")));
        }
    }
    Ok(index)
}

/// index.json read entry by entry, those that do not read set apart; None
/// when that does not help (no entry is at fault).
fn lenient_index(bytes: &[u8]) -> Option<Index> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let entries = std::mem::take(v.get_mut("manifests")?.as_array_mut()?);
    let mut index: Index = serde_json::from_value(v).ok()?;
    for (pos, e) in entries.into_iter().enumerate() {
        match <Descriptor as serde::Deserialize>::deserialize(&e) {
            Ok(d) => index.manifests.push(d),
            Err(_) => index.unreadable.push((pos, e)),
        }
    }
    (!index.unreadable.is_empty()).then_some(index)
}

/// The bytes of index.json for `index`, its unreadable entries back where
/// they were read (as near as the entries around them allow).
pub fn index_json_bytes(index: &Index) -> Vec<u8> {
    if index.unreadable.is_empty() {
        return serde_json::to_vec(index).expect("index serializes");
    }
    let mut v = serde_json::to_value(index).expect("index serializes");
    if let Some(entries) = v.get_mut("manifests").and_then(|m| m.as_array_mut()) {
        for (pos, e) in &index.unreadable {
            entries.insert((*pos).min(entries.len()), e.clone());
        }
    }
    serde_json::to_vec(&v).expect("index serializes")
}

/// Copy with a large buffer (io::copy's 8 KiB is slow for hashing writers).
pub fn copy_buffered<R: Read + ?Sized, W: Write + ?Sized>(r: &mut R, w: &mut W) -> io::Result<u64> {
    let mut buf = vec![0u8; COPY_BUF];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// The store the user named: `--store` (`flag`), else `$LADE_STORE`.
pub fn named_store_path(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf).or_else(|| {
        std::env::var_os("LADE_STORE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Where the store lives: `--store`, else `$LADE_STORE`, else
/// `$XDG_DATA_HOME/lade/store` (an absolute one), else
/// `~/.local/share/lade/store`.
pub fn default_store_path(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = named_store_path(flag) {
        return Ok(p);
    }
    if let Some(p) = crate::fsutil::xdg_dir("XDG_DATA_HOME") {
        return Ok(p.join("lade").join("store"));
    }
    match crate::fsutil::home_dir() {
        Some(h) => Ok(h.join(".local/share/lade/store")),
        None => Err(Error::new(
            "cannot locate the store: set --store, LADE_STORE or HOME",
        )),
    }
}

/// Whether `p`, a directory blobs go through, is there: a symlink or a
/// file in its place is refused (no blob is `how` through it).
fn layout_dir(p: &Path, how: &str) -> Result<bool> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(m) => Err(Error::new(format!(
            "{} is {}, not a directory of the layout: no blob is {how} through it",
            p.display(),
            if m.is_symlink() {
                "a symlink"
            } else {
                "a file"
            }
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::from(e).context(p.display().to_string())),
    }
}

/// Is this file name one of lade's temp files?
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.starts_with(TMP_PREFIX)
}

/// A name a ref may be given: a valid ref name that does not look like a
/// digest (it would be read as one).
pub fn check_new_ref_name(name: &str) -> Result<()> {
    validate_ref_name(name)?;
    if Digest::looks_like_digest(name) {
        return Err(Error::new(format!(
            "ref name {name:?} looks like a digest, and would be read as one"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ref to an image whose manifest (or index) itself is missing says
    /// so; it said "blob sha256:X of sha256:X is missing", naming the
    /// digest "of" itself. A missing blob under it is still "blob B of M".
    #[test]
    fn a_missing_manifest_is_named_as_one_when_no_ref_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::open_or_create(dir.path()).unwrap();
        let m = Digest::parse(&format!("sha256:{:064x}", 1)).unwrap();
        for (mt, kind) in [
            (MediaType::OciManifest, "manifest"),
            (MediaType::OciIndex, "index"),
        ] {
            let e = l
                .set_ref("x", &Descriptor::new(mt, m.clone(), 10))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!("{kind} {m} is missing from ")),
                "{e}"
            );
            assert!(!e.contains(" of "), "{e}");
        }
        let config = Digest::parse(&format!("sha256:{:064x}", 2)).unwrap();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config.to_string(), "size": 2},
            "layers": [],
        }))
        .unwrap();
        let top = l.put_bytes(&manifest, None).unwrap();
        let desc = Descriptor::new(MediaType::OciManifest, top.clone(), manifest.len() as u64);
        let e = l.set_ref("x", &desc).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("blob {config} of {top} is missing from ")),
            "{e}"
        );
    }

    /// The index.json update_index wrote is held while it is kept: another
    /// writer's index.json (renamed over it) never gets its inode, so the
    /// kept index is never taken for theirs (on ext4 the next new file
    /// would get it; with times to the second, and the same size, it
    /// looked the same).
    #[test]
    fn the_index_json_written_is_held_so_its_inode_is_not_reused() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::open_or_create(dir.path()).unwrap();
        l.update_index(|_| Ok(())).unwrap();
        let path = dir.path().join(INDEX_FILE);
        let ino = fs::metadata(&path).unwrap().ino();
        for i in 0..20 {
            let t = dir.path().join(format!("t{i}"));
            fs::write(&t, serde_json::to_vec(&Index::empty_oci()).unwrap()).unwrap();
            fs::rename(&t, &path).unwrap();
            assert_ne!(fs::metadata(&path).unwrap().ino(), ino, "{i}");
        }
    }

    /// Entries appended to a kept index are written into its bytes as
    /// they were (not serialized again): the bytes are those the whole
    /// index serializes to, through appends, other changes, an index with
    /// fields of its own, and a view kept only while no other change
    /// comes between.
    #[test]
    fn appended_entries_make_the_bytes_the_whole_index_would() {
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::open_or_create(dir.path()).unwrap();
        let path = dir.path().join(INDEX_FILE);
        // fields after the list, a string with the key's text in it
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        v["annotations"] = serde_json::json!({"k": "\"manifests\":["});
        v["zz"] = serde_json::json!({"manifests": []});
        fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let entry = |i: usize| {
            let mut d = Descriptor::new(
                MediaType::OciManifest,
                Digest::parse(&format!("sha256:{:064x}", i)).unwrap(),
                i as u64,
            );
            d.set_annotation(REF_NAME, &format!("n{i}"));
            d
        };
        let views = std::cell::Cell::new(0);
        let append = |from: usize, to: usize| {
            l.update_index_with(|index, view| {
                if let Some(n) = view.and_then(|b| b.downcast::<usize>().ok()) {
                    assert_eq!(*n, index.manifests.len(), "a view of this index");
                    views.set(views.get() + 1);
                }
                index.manifests.extend((from..to).map(entry));
                let n: View = Box::new(index.manifests.len());
                Ok(((), Edit::Appended, Some(n)))
            })
            .unwrap();
        };
        let whole = || {
            let bytes = fs::read(&path).unwrap();
            let index = parse_index_json(&bytes).unwrap();
            assert_eq!(bytes, index_json_bytes(&index));
            index
        };
        append(0, 1);
        whole();
        for k in 1..6 {
            append(k * 10, k * 10 + k);
            whole();
        }
        assert_eq!(views.get(), 5);
        l.update_index(|index| {
            index.manifests[0].size = 99;
            Ok(())
        })
        .unwrap();
        append(100, 103);
        let index = whole();
        assert_eq!(views.get(), 5, "no view after another change");
        assert_eq!(index.manifests.len(), 1 + 2 + 3 + 4 + 5 + 1 + 3);
        assert_eq!(index.manifests[0].size, 99);
        assert_eq!(index.manifests.last().unwrap().ref_name(), Some("n102"));
        assert!(index.annotations.is_some() && index.extra.contains_key("zz"));
        // an edit said to be another kind is serialized whole
        l.update_index_with(|index, _| {
            index.manifests.remove(1);
            Ok(((), Edit::Other, None))
        })
        .unwrap();
        append(200, 201);
        assert_eq!(whole().manifests.len(), 19);
    }

    /// Entries that do not read stay where they were among the others
    /// when entries before them go (they kept their place as read, and
    /// so moved down past the next entry).
    #[test]
    fn unreadable_entries_keep_their_neighbours_when_others_go() {
        let entry = |n: &str, hex: &str| {
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{}","size":1,"annotations":{{"org.opencontainers.image.ref.name":"{n}"}}}}"#,
                hex.repeat(64)
            )
        };
        let layout = |names: &[&str]| {
            let list: Vec<String> = names
                .iter()
                .map(|n| match n.strip_prefix('X') {
                    Some(_) => entry(n, "A"),
                    None => entry(n, "a"),
                })
                .collect();
            parse_index_json(
                format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, list.join(",")).as_bytes(),
            )
            .unwrap()
        };
        let names = |index: &Index| -> Vec<String> {
            let v: serde_json::Value = serde_json::from_slice(&index_json_bytes(index)).unwrap();
            v["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["annotations"][REF_NAME].as_str().unwrap().to_string())
                .collect()
        };
        let mut i = layout(&["a", "b", "X1", "c"]);
        assert_eq!(i.unreadable.len(), 1);
        assert_eq!(i.manifests[0].ref_name(), Some("a"));
        i.retain_manifests(|m| m.ref_name() != Some("a"));
        assert_eq!(names(&i), ["b", "X1", "c"]);
        i.retain_manifests(|m| m.ref_name() != Some("c"));
        assert_eq!(names(&i), ["b", "X1"]);
        let mut i = layout(&["X1", "a", "X2", "X3", "b", "c", "X4"]);
        i.retain_manifests(|m| m.ref_name() != Some("b"));
        assert_eq!(names(&i), ["X1", "a", "X2", "X3", "c", "X4"]);
        i.retain_manifests(|m| m.ref_name() == Some("c"));
        assert_eq!(names(&i), ["X1", "X2", "X3", "c", "X4"]);
        let mut d = i.manifests[0].clone();
        d.set_annotation(REF_NAME, "d");
        set_ref_in(&mut i, "d", d);
        assert_eq!(names(&i), ["X1", "X2", "X3", "c", "X4", "d"]);
    }

    #[test]
    fn put_verifies_and_leaves_nothing_on_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::open_or_create(dir.path().join("s")).unwrap();
        let good = Digest::of_bytes(b"abc");
        let (d, n) = l.put(&mut &b"abc"[..], Some((&good, Some(3)))).unwrap();
        assert_eq!((d, n), (good.clone(), 3));
        assert!(l.has(&good).unwrap());
        let other = Digest::of_bytes(b"xyz");
        assert!(l.put(&mut &b"abd"[..], Some((&other, Some(3)))).is_err());
        assert!(l.put(&mut &b"xyzz"[..], Some((&other, Some(3)))).is_err());
        assert!(!l.has(&other).unwrap());
        let leftovers: Vec<_> = fs::read_dir(l.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| is_temp_name(n))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn put_larger_than_a_writeback_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::open_or_create(dir.path()).unwrap();
        let data: Vec<u8> = (0..(WRITEBACK_CHUNK as usize * 2 + 12345))
            .map(|i| (i % 251) as u8)
            .collect();
        let want = Digest::of_bytes(&data);
        let (d, n) = l.put(&mut &data[..], None).unwrap();
        assert_eq!((&d, n), (&want, data.len() as u64));
        assert!(fs::read(l.blob_path(&d)).unwrap() == data);
    }

    #[test]
    fn refs_replace_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let l = Layout::open_or_create(dir.path()).unwrap();
        // Two stored images (a ref is written only to a whole one).
        let cfg = l.put_bytes(b"{}", None).unwrap();
        let image = |n: u32| {
            let m = format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{cfg}","size":2}},"layers":[],"annotations":{{"n":"{n}"}}}}"#
            );
            let d = l.put_bytes(m.as_bytes(), None).unwrap();
            Descriptor::new(MediaType::OciManifest, d, m.len() as u64)
        };
        let (a, b) = (image(1), image(2));
        let missing = Descriptor::new(MediaType::OciManifest, Digest::of_bytes(b"a"), 1);
        let err = l.set_ref("m", &missing).unwrap_err();
        assert!(err.message().contains("no ref was written"), "{err}");
        fs::remove_file(l.blob_path(&cfg)).unwrap();
        assert!(l.set_ref("m", &a).is_err());
        l.put_bytes(b"{}", None).unwrap();
        l.set_ref("x:1", &a).unwrap();
        l.set_ref("y", &a).unwrap();
        l.set_ref("x:1", &b).unwrap();
        let idx = l.read_index().unwrap();
        assert_eq!(idx.manifests.len(), 2);
        assert_eq!(idx.manifests[0].digest, b.digest);
        assert_eq!(l.resolve("y").unwrap().digest, a.digest);
        assert_eq!(l.resolve("x:1").unwrap().digest, b.digest);
        assert!(l.remove_ref("nope").is_err());
        l.remove_ref("y").unwrap();
        assert_eq!(l.read_index().unwrap().manifests.len(), 1);
        assert!(l.resolve("m").is_err());
    }
}
