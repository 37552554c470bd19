//! `dir:PATH` — skopeo's directory format (containers/image `directory`).
//!
//! One image per directory:
//! - `version`: exactly `Directory Transport Version: 1.1\n`;
//! - `manifest.json`: the top-level manifest or index, exact bytes;
//! - `<hex>.manifest.json`: the child manifests of an index, named by the
//!   hex part of their digest;
//! - `<hex>`: every other blob (configs, layers), by the hex part of its
//!   digest, without the algorithm.
//!
//! skopeo also writes `signature-N` files; lade neither reads nor writes
//! them (a copy out of such a directory says so), and removes them with
//! the rest of an image it replaces.
//!
//! Reading: `manifest.json` is read as is (up to 4 MiB); child manifests
//! are checked against the digest asked for; blobs are returned as files
//! (the caller verifies them). Files that are symlinks or not regular
//! files are refused.
//!
//! Writing accepts every manifest type as given (digests are preserved)
//! and keeps layers as they come. The directory must be missing, empty,
//! or a dir: image (a `version` file with the content above); anything
//! else is refused rather than overwritten. Unlike skopeo, which empties
//! the directory when the copy starts, lade replaces an existing image
//! only on commit:
//! - blobs go to a temp file in the directory, are checked against the
//!   expected digest and size (or hashed when unknown), fsynced and renamed
//!   to `<hex>`; a blob the source keeps as a local file (`oci:`, `dir:`)
//!   on the same file system is hard-linked instead, hashed, then renamed;
//! - manifests are kept in memory until commit, which writes the child
//!   manifests, then `manifest.json` (temp + fsync + rename: the commit
//!   point), then removes the previous image's files (blobs, child
//!   manifests, signatures, temp files) that the new one does not use;
//!   other files and directories stay (skopeo, when it starts, empties
//!   the whole directory);
//! - a blob the directory holds already is reused only when its content
//!   is its digest (it is hashed): copying the image again mends one
//!   damaged there;
//! - a destination dropped without commit removes the files it added, and
//!   the directory too when it created it; so does a signal that ends the
//!   process before the commit point. A failed or interrupted copy leaves
//!   the previous image (if any) as it was.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{
    BlobInfo, DestProperties, ImageDestination, ImageReference, ImageSource, Reused,
    TransportOptions,
};
use crate::error::{Context, Error, Result};
use crate::fsutil::{
    commit_added, forget_added, forget_added_paths, fsync_dir, link_verified,
    open_regular_nofollow, persist_link, read_capped, temp_file_in, track_added,
};
use crate::model::{Algorithm, Descriptor, Digest, HashingWriter, RawManifest, MAX_MANIFEST_SIZE};
use crate::store::copy_buffered;

/// The content of the `version` file.
pub const VERSION: &str = "Directory Transport Version: 1.1\n";
const VERSION_FILE: &str = "version";
const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone)]
pub struct DirRef {
    pub path: PathBuf,
    /// A sync tree's root, when this is an image directory of one: the
    /// directories below the root, down to this one, must be directories
    /// themselves, not symbolic links (the names come from the source; a
    /// link would send its images elsewhere, outside the tree).
    pub tree: Option<PathBuf>,
}

pub fn parse(details: &str) -> Result<Box<dyn ImageReference>> {
    Ok(Box::new(DirRef::parse(details)?))
}

impl DirRef {
    pub fn parse(details: &str) -> Result<DirRef> {
        if details.is_empty() {
            return Err(Error::new("dir: needs a directory path"));
        }
        Ok(DirRef {
            path: PathBuf::from(details),
            tree: None,
        })
    }
}

impl fmt::Display for DirRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dir:{}", self.path.display())
    }
}

impl ImageReference for DirRef {
    fn dest_properties(&self) -> Option<DestProperties> {
        Some(DestProperties::as_they_are())
    }

    fn transport(&self) -> &'static str {
        "dir"
    }

    fn place_in_tree(&self) -> Option<String> {
        let below = self.path.strip_prefix(self.tree.as_ref()?).ok()?;
        let below = below.to_str()?;
        (!below.is_empty()).then(|| below.to_string())
    }

    fn policy_scopes(&self) -> Vec<String> {
        let dir = crate::copy::policy::resolved(&self.path);
        let image = dir.to_string_lossy().into_owned();
        match dir.parent() {
            Some(up) => crate::copy::policy::path_scopes(Some(image), up),
            None => vec![image],
        }
    }

    fn source(&self, _opts: &TransportOptions) -> Result<Box<dyn ImageSource>> {
        // A path that is there but is no image is bad input, as for oci:
        // and the archives (exit 3); a path that is not there names no
        // image that is (exit 1), as a tag a layout or registry lacks.
        if !self.path.is_dir() {
            let path = self.path.display();
            return Err(match self.path.exists() {
                true => Error::new(format!("{path}: not a directory")),
                false => Error::not_found(format!("{path}: no such directory")),
            });
        }
        let src = DirSource {
            dir: self.path.clone(),
        };
        src.get_manifest(None).map_err(|e| match e.kind() {
            crate::error::Kind::NotFound => Error::new(format!(
                "{}: not a dir: image (it has no manifest.json)",
                self.path.display()
            )),
            _ => e,
        })?;
        Ok(Box::new(src))
    }

    fn destination(&self, _opts: &TransportOptions) -> Result<Box<dyn ImageDestination>> {
        if let Some(root) = &self.tree {
            check_tree(root, &self.path)?;
        }
        DirDest::open(&self.path).map(|d| Box::new(d) as Box<dyn ImageDestination>)
    }

    /// The digest of `manifest.json`; None when the directory has none.
    /// As a destination, None too when the image is not whole there
    /// (a blob missing or cut short): sync copies it again.
    fn current_digest(&self, _opts: &TransportOptions, dest: bool) -> Result<Option<Digest>> {
        let src = DirSource {
            dir: self.path.clone(),
        };
        match src.get_manifest(None) {
            Ok(m) if dest && !whole_locally(&src, &m) => Ok(None),
            Ok(m) => Ok(Some(m.digest)),
            Err(e) if e.kind() == crate::error::Kind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `sync` into `dir:TREE`: one image directory per image,
    /// `TREE/NAME:TAG` with NAME the last component of the source's
    /// repository (as skopeo's sync names them), or `TREE/TAG` when the
    /// source has no repository name (an `oci:` layout's ref names).
    fn sync_target(&self, image: Option<&str>, tag: &str) -> Result<Box<dyn ImageReference>> {
        if self.path.join(VERSION_FILE).exists() {
            return Err(Error::new(format!(
                "{self} is a dir: image; sync writes a tree of image directories: \
                 name an empty or new directory"
            )));
        }
        let name = image
            .and_then(|i| crate::model::DockerRef::parse(i).ok())
            .and_then(|r| r.path.rsplit('/').next().map(str::to_string));
        let sub = match name {
            Some(n) => format!("{n}:{tag}"),
            None => tag.to_string(),
        };
        // Both parts follow the reference grammar; checked again because
        // the result becomes a path.
        if sub.starts_with('.') || sub.contains('/') || sub.contains('\0') {
            return Err(Error::new(format!("{sub:?} cannot name a directory")));
        }
        Ok(Box::new(DirRef {
            path: self.path.join(sub),
            tree: Some(self.tree.clone().unwrap_or_else(|| self.path.clone())),
        }))
    }
}

/// The directories between a sync tree's `root` and `dir` (inside it),
/// those there already: none may be a symbolic link.
fn check_tree(root: &Path, dir: &Path) -> Result<()> {
    let Ok(below) = dir.strip_prefix(root) else {
        return Ok(());
    };
    let mut p = root.to_path_buf();
    let mut parts = below.components().peekable();
    while let Some(c) = parts.next() {
        p.push(c);
        // (the image's own directory: DirDest::open says so itself)
        if parts.peek().is_none() {
            break;
        }
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::new(format!(
                    "{}: a symbolic link inside the sync tree {}; sync writes into real directories only",
                    p.display(),
                    root.display()
                )))
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Open a file in the image directory: regular files only, missing is NotFound.
fn open_in(dir: &Path, name: &str) -> Result<File> {
    let path = dir.join(name);
    match open_regular_nofollow(&path) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(Error::not_found(format!("{} not found", path.display())))
        }
        Err(e) => Err(Error::from(e).context(path.display())),
    }
}

/// Reads the image in a dir: directory.
pub struct DirSource {
    dir: PathBuf,
}

impl ImageSource for DirSource {
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        let name = match instance {
            None => MANIFEST_FILE.to_string(),
            Some(d) => format!("{}.manifest.json", d.hex()),
        };
        let mut f = open_in(&self.dir, &name)?;
        let bytes = read_capped(&mut f, MAX_MANIFEST_SIZE, &name)?;
        if let Some(d) = instance {
            let got = Digest::of_bytes_with(d.algorithm(), &bytes);
            if &got != d {
                return Err(Error::new(format!(
                    "{name} hashes to {got}, not {d} (digest mismatch)"
                )));
            }
        }
        RawManifest::from_bytes_or_schema1(bytes, None).with_context(|| name.clone())
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        let f = open_in(&self.dir, desc.digest.hex())
            .with_context(|| format!("blob {}", desc.digest))?;
        let size = f.metadata()?.len();
        Ok((Box::new(f), Some(size)))
    }

    fn local_blob_path(&self, desc: &Descriptor) -> Option<PathBuf> {
        Some(self.dir.join(desc.digest.hex()))
    }

    fn concurrent_reads(&self) -> bool {
        true
    }

    fn left_behind(&self) -> Option<String> {
        let signatures = fs::read_dir(&self.dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_str().is_some_and(is_signature_name))
            .count();
        (signatures > 0).then(|| {
            format!(
                "{}: {signatures} signature file{} (signature-N) not copied: lade does not \
                 carry simple-signing signatures (--remove-signatures says that is meant)",
                self.dir.display(),
                if signatures == 1 { "" } else { "s" }
            )
        })
    }
}

/// Is `name` a signature skopeo writes into a dir: image: `signature-N`
/// for the top manifest, `<hex>.signature-N` for an index's instances?
fn is_signature_name(name: &str) -> bool {
    let n = name.split_once('.').map_or(name, |(hex, rest)| {
        match hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            true => rest,
            false => name,
        }
    });
    n.strip_prefix("signature-")
        .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
}

/// Is the image `src`'s top manifest (`top`) names whole in a local
/// store: each manifest of it reads, and each config and layer is a file
/// of the size its descriptor gives (layers with URLs may be absent)?
/// Contents are not hashed (fsck does that). For sync, which takes an
/// image found at its destination for the one it would copy: a damaged
/// one is copied again, not said unchanged.
fn whole_locally(src: &DirSource, top: &RawManifest) -> bool {
    let blobs_whole = |m: &RawManifest| -> bool {
        let Ok(refs) = m.references() else {
            return false;
        };
        refs.iter().all(|d| {
            let Some(path) = src.local_blob_path(d) else {
                return true;
            };
            match std::fs::metadata(path) {
                Ok(meta) => meta.is_file() && meta.len() == d.size,
                Err(_) => d.urls.as_ref().is_some_and(|u| !u.is_empty()),
            }
        })
    };
    // (an index nested in it too, down to MAX_NESTING levels; each
    // index looked at once)
    fn whole(
        src: &DirSource,
        m: &RawManifest,
        depth: usize,
        seen: &mut std::collections::HashSet<Digest>,
        blobs_whole: &dyn Fn(&RawManifest) -> bool,
    ) -> bool {
        if !m.is_index() {
            return blobs_whole(m);
        }
        if !seen.insert(m.digest.clone()) {
            return true;
        }
        let Ok(index) = m.index() else {
            return false;
        };
        depth <= crate::model::MAX_NESTING
            && index.manifests.iter().all(|d| {
                src.get_manifest(Some(&d.digest))
                    .is_ok_and(|c| whole(src, &c, depth + 1, seen, blobs_whole))
            })
    }
    whole(src, top, 0, &mut Default::default(), &blobs_whole)
}

/// Writes one image into a dir: directory; see the module docs.
pub struct DirDest {
    dir: PathBuf,
    /// The directory, locked (flock) while this image is written and, on
    /// failure, taken back: another lade writing the same directory waits.
    _lock: File,
    /// The directory did not exist and was made here.
    /// Directories this destination made (absent before), outermost
    /// first, the image's own last; removed on abort when empty.
    made_dirs: Vec<PathBuf>,
    /// The `version` file was written here (the directory was empty).
    wrote_version: bool,
    state: Mutex<DirState>,
    committed: bool,
}

#[derive(Default)]
struct DirState {
    /// Names that belong to the image being written.
    keep: HashSet<String>,
    /// Names this destination created (absent before); removed on abort.
    created: Vec<String>,
    top: Option<RawManifest>,
    children: Vec<RawManifest>,
}

impl DirDest {
    /// The directory to write an image into, made if missing, and locked:
    /// a second lade writing it (the same copy run twice at once, a sync
    /// overlapping another) waits for the first to commit or take its
    /// files back, then finds what it left. A directory another writer
    /// took back while this one waited is made again (a few times).
    fn open(dir: &Path) -> Result<DirDest> {
        // (`lnk/` and `lnk/.` name the link too: a trailing slash would
        // have the checks below follow it)
        let dir = &dir.components().collect::<PathBuf>();
        for _ in 0..10 {
            let mut made_dirs = Vec::new();
            // Not through a symlink: in a sync tree the name comes from the
            // source, and a link there (app:latest -> app:1.2) would have
            // one image written over another.
            match fs::symlink_metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Error::new("is a symbolic link; name the directory itself"))
                }
                Ok(_) => return Err(Error::new("exists and is not a directory")),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // (a sync tree's parents too: dir:/m with docker://r/a/b
                    // makes /m/r/a/b:TAG)
                    made_dirs = crate::fsutil::make_dirs(dir)?;
                    for d in &made_dirs {
                        track_added(d);
                    }
                }
                Err(e) => return Err(e.into()),
            }
            // (None: taken back by the writer waited for; made again)
            if let Some(lock) = lock_dir(dir)? {
                return DirDest::locked(dir, made_dirs, lock);
            }
        }
        Err(Error::new(
            "another writer took the directory away again and again",
        ))
    }

    /// [`DirDest::open`], once `lock` holds the directory (opened as a
    /// directory, not through a link).
    fn locked(dir: &Path, made_dirs: Vec<PathBuf>, lock: File) -> Result<DirDest> {
        // (holding only temp files of ours: a write killed before it
        // could mark the directory, taken for empty)
        let empty = fs::read_dir(dir)?.all(|e| {
            e.is_ok_and(|e| {
                crate::store::is_temp_name(&e.file_name().to_string_lossy())
                    && e.file_type().is_ok_and(|t| t.is_file())
            })
        });
        if !empty {
            check_version(dir)?;
        }
        let d = DirDest {
            dir: dir.to_path_buf(),
            _lock: lock,
            made_dirs,
            wrote_version: empty,
            state: Mutex::new(DirState::default()),
            committed: false,
        };
        if empty {
            // Marks the directory as a dir: image at once (as skopeo does),
            // so a retry after a crash is not refused.
            // Said before it is there, so a signal never leaves it.
            track_added(&dir.join(VERSION_FILE));
            d.write_atomic(VERSION_FILE, VERSION.as_bytes())?;
        }
        Ok(d)
    }

    /// Write a small file atomically (temp + fsync + rename).
    fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut tmp = self.temp()?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_data()?;
        tmp.persist(self.dir.join(name))
            .map_err(|e| Error::from(e.error).context(format!("writing {name}")))?;
        Ok(())
    }

    fn temp(&self) -> Result<tempfile::NamedTempFile> {
        use std::os::unix::fs::PermissionsExt;
        let ctx = || format!("creating a temp file in {}", self.dir.display());
        let tmp = temp_file_in(&self.dir).with_context(ctx)?;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .with_context(ctx)?;
        Ok(tmp)
    }

    /// Record that `name` now holds part of this image.
    fn note(&self, name: String, existed: bool) {
        let mut st = self.state.lock().unwrap();
        if !existed && !st.created.contains(&name) {
            st.created.push(name.clone());
        }
        st.keep.insert(name);
    }

    fn exists(&self, name: &str) -> bool {
        fs::symlink_metadata(self.dir.join(name)).is_ok()
    }

    /// Move a verified temp file to `name`.
    fn persist(&self, tmp: tempfile::NamedTempFile, name: String) -> Result<()> {
        self.place(name, |to| tmp.persist(to).map(drop).map_err(|e| e.error))
    }

    /// Put a file at `name` with `put` and note it; a name that was not
    /// there is tracked first, so a signal during `put` takes it out too.
    fn place(&self, name: String, put: impl FnOnce(&Path) -> io::Result<()>) -> Result<()> {
        let path = self.dir.join(&name);
        let existed = self.exists(&name);
        if !existed {
            track_added(&path);
        }
        put(&path).map_err(|e| Error::from(e).context(format!("storing {name}")))?;
        self.note(name, existed);
        Ok(())
    }

    /// Remove what the previous image left: the files not in `keep` that
    /// a dir: image is made of (blobs, child manifests, signatures, temp
    /// files of an interrupted write). Anything else (a file or directory
    /// the user keeps there) stays: skopeo empties the whole directory,
    /// but a copy is no reason to lose what it never wrote.
    fn remove_stale(&self, keep: &HashSet<String>) -> Result<()> {
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(n) = name.to_str() else {
                continue;
            };
            if keep.contains(n) || !is_image_part(n) || entry.file_type()?.is_dir() {
                continue;
            }
            match fs::remove_file(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }
}

/// `dir` opened (as a directory, not through a symlink) and locked
/// exclusively, waiting for another writer; None when `dir` is no longer
/// the directory locked (its writer took it back meanwhile: look again).
/// Where directories cannot be locked (NFS without a lock manager; see
/// `Layout::lock_root`) it is held unlocked, and written as before.
fn lock_dir(dir: &Path) -> Result<Option<File>> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::DIRECTORY;
    let f = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(dir)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if f.lock().is_err() {
        return Ok(Some(f));
    }
    let held = f.metadata()?;
    let same = fs::symlink_metadata(dir)
        .is_ok_and(|m| m.is_dir() && (m.dev(), m.ino()) == (held.dev(), held.ino()));
    Ok(same.then_some(f))
}

/// A non-empty directory is ours only with skopeo's exact version file.
fn check_version(dir: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::new(format!(
            "not a dir: image directory ({why}); refusing to overwrite it"
        )))
    };
    let mut f = match open_regular_nofollow(&dir.join(VERSION_FILE)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return refuse("it is not empty and has no version file")
        }
        Err(e) => return refuse(&format!("version: {}", Error::from(e))),
    };
    let content = read_capped(&mut f, 1024, VERSION_FILE)?;
    if content != VERSION.as_bytes() {
        return refuse(&format!(
            "its version file says {:?}, expected {VERSION:?}",
            String::from_utf8_lossy(&content)
        ));
    }
    Ok(())
}

/// Is `name` one of the files a dir: image is made of, other than
/// `version` and `manifest.json`: a blob (`<hex>`), a child manifest
/// (`<hex>.manifest.json`), a signature, or a temp file of lade's?
fn is_image_part(name: &str) -> bool {
    let hex = |s: &str| s.len() >= 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex(name)
        || name.strip_suffix(".manifest.json").is_some_and(hex)
        || is_signature_name(name)
        || name.starts_with(crate::fsutil::TMP_PREFIX)
}

impl ImageDestination for DirDest {
    fn properties(&self) -> DestProperties {
        DestProperties::as_they_are()
    }

    /// A blob the directory holds already is kept only when its content
    /// is the digest: a dir: image has no store check (fsck) that would
    /// find a damaged one, and copying the image again is how it is
    /// mended (skopeo writes every blob again).
    fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<Reused>> {
        let Some(digest) = &info.digest else {
            return Ok(None);
        };
        let name = digest.hex();
        let f = match open_regular_nofollow(&self.dir.join(name)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            // (a symlink or another kind of file: replaced by the copy)
            Err(e) if e.kind() == io::ErrorKind::InvalidData => return Ok(None),
            Err(e) => return Err(Error::from(e).context(format!("blob {digest}"))),
        };
        let len = f.metadata()?.len();
        if info.size.is_some_and(|s| s != len) {
            return Ok(None);
        }
        let (got, _) = crate::fsutil::hash_file(&f, digest.algorithm())
            .map_err(|e| Error::from(e).context(format!("blob {digest}")))?;
        if got != *digest {
            return Ok(None);
        }
        self.note(name.to_string(), true);
        Ok(Some(
            Descriptor::new(info.media_type.clone(), digest.clone(), len).into(),
        ))
    }

    fn put_blob(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<Descriptor> {
        let alg = expected
            .digest
            .as_ref()
            .map_or(Algorithm::Sha256, |d| d.algorithm());
        let mut tmp = self.temp()?;
        let mut w = HashingWriter::new(tmp.as_file_mut(), alg);
        let limit = expected.size.map_or(u64::MAX, |s| s.saturating_add(1));
        copy_buffered(&mut reader.take(limit), &mut w)?;
        let (digest, size, _) = w.finish();
        let shown = expected.digest.as_ref().unwrap_or(&digest);
        if let Some(want) = expected.size {
            if size != want {
                return Err(Error::new(format!(
                    "blob {shown}: got {}{} bytes, expected {want}",
                    if size > want { "more than " } else { "" },
                    size.min(want)
                )));
            }
        }
        if let Some(want) = &expected.digest {
            if &digest != want {
                return Err(Error::new(format!(
                    "blob {want}: content hashes to {digest} (digest mismatch)"
                )));
            }
        }
        tmp.as_file().sync_data()?;
        self.persist(tmp, digest.hex().to_string())?;
        Ok(Descriptor::new(expected.media_type.clone(), digest, size))
    }

    /// Hard-link the file in (no data copied), after hashing the link.
    /// A symlink at `path` is linked as a symlink and then refused.
    fn put_blob_from_path(&self, path: &Path, expected: &BlobInfo) -> Result<Option<Descriptor>> {
        let (Some(d), Some(size)) = (&expected.digest, expected.size) else {
            return Ok(None);
        };
        let Some((tmp, _locked)) = link_verified(path, &self.dir, d, size)? else {
            return Ok(None); // another file system, or links not allowed
        };
        self.place(d.hex().to_string(), |to| persist_link(tmp, to))?;
        Ok(Some(Descriptor::new(
            expected.media_type.clone(),
            d.clone(),
            size,
        )))
    }

    fn put_manifest(
        &self,
        m: &RawManifest,
        instance: Option<&Digest>,
        _names: &[String],
    ) -> Result<()> {
        let mut st = self.state.lock().unwrap();
        match instance {
            Some(d) => {
                if &m.digest != d {
                    return Err(Error::new(format!(
                        "manifest {} was put as instance {d}",
                        m.digest
                    )));
                }
                st.children.push(m.clone());
            }
            None => {
                if st.top.is_some() {
                    return Err(Error::new("a dir: directory holds one image"));
                }
                st.top = Some(m.clone());
            }
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let (top, children) = {
            let mut st = self.state.lock().unwrap();
            (st.top.take(), std::mem::take(&mut st.children))
        };
        let Some(top) = top else {
            return Err(Error::new("nothing to commit: no manifest was written"));
        };
        for c in &children {
            let name = format!("{}.manifest.json", c.digest.hex());
            let mut tmp = self.temp()?;
            tmp.write_all(&c.bytes)?;
            tmp.as_file().sync_data()?;
            self.persist(tmp, name)?;
        }
        if !self.wrote_version {
            // Checked when opened; rewritten so a concurrent change cannot
            // leave a manifest next to a foreign version file.
            self.write_atomic(VERSION_FILE, VERSION.as_bytes())?;
        }
        fsync_dir(&self.dir)?;
        // The commit point.
        commit_added(&self.dir, || {
            self.write_atomic(MANIFEST_FILE, &top.bytes)?;
            fsync_dir(&self.dir).map_err(Error::from)
        })?;
        forget_added_paths(&self.made_dirs);
        self.committed = true;
        let keep = std::mem::take(&mut self.state.lock().unwrap().keep);
        self.remove_stale(&keep)
            .and_then(|()| fsync_dir(&self.dir).map_err(Error::from))
            .context("image written, but removing the previous image's files failed")
    }
}

impl Drop for DirDest {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        for name in &st.created {
            let _ = fs::remove_file(self.dir.join(name));
        }
        if self.wrote_version {
            let _ = fs::remove_file(self.dir.join(VERSION_FILE));
        }
        for d in self.made_dirs.iter().rev() {
            // Only succeeds when empty: never removes anything else.
            let _ = fs::remove_dir(d);
        }
        forget_added(&self.dir);
        forget_added_paths(&self.made_dirs);
    }
}
