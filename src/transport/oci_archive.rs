//! `oci-archive:PATH[:REF]` — a tar of an OCI image layout.
//!
//! PATH is split from REF at the first ':' and REF means what it means for
//! `oci:`: the `org.opencontainers.image.ref.name` of an index.json entry.
//! Without REF, reading needs an archive holding exactly one image.
//!
//! Reading never extracts. The archive is scanned once: each member's
//! name, type, data offset and size go into an in-memory table, and blobs
//! are then read in place with positional reads, so several can be read
//! at once. A gzip-compressed archive, or one read from a pipe
//! (`/dev/stdin`, `<(…)`, a FIFO), is first spooled (decompressed) once into an
//! unnamed temp file (in `TransportOptions::tmp_dir`, else the system's),
//! which disappears when the process ends; each archive is scanned (and
//! decompressed) once per process, however many images are read from it. The scan refuses
//! archives with unsafe member names (absolute, or with `..`), with a
//! member's data cut short, or with the same file twice; blobs,
//! `index.json` and `oci-layout` must be regular files (a symlink or hard
//! link there is refused). Blob bytes are verified by the caller, as for
//! every source; manifests read from the archive are checked here.
//!
//! Writing builds the tar directly in a temp file beside PATH: blobs are
//! streamed into it as members `blobs/<alg>/<hex>` and verified on the
//! way (digest and size); a blob whose digest or size is not known yet is
//! spooled to a temp file first, since a tar header needs both. A blob
//! failing verification is cut off the end of the tar again. `oci-layout`
//! and `index.json` come last; commit fsyncs the file and renames it over
//! PATH. A destination dropped without commit leaves nothing. As with
//! skopeo, an existing file at PATH is replaced, not added to. Members are
//! owned by 0:0 with mode 0644 and mtime 0, so the archive's bytes depend
//! only on the images put into it. Several images can be written into one
//! archive (each named, like `oci:`); only OCI manifests and indexes are
//! accepted. Signatures and referrers are kept as in a layout: tagged
//! attachments under their tag, referrers as entries without a name;
//! reading finds them there.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::oci_layout::{
    check_unique_names, find_in_index, fmt_path_ref, image_ref_names, listed_names, parse_path_ref,
    referrer_entry, unreadable_names, ReferrerMap,
};
use super::{
    BlobInfo, DestProperties, ImageDestination, ImageReference, ImageSource, Referred, Referrers,
    Reused, TransportOptions,
};
use crate::error::{Context, Error, Result};
use crate::fsutil::{fsync_dir, open_once, temp_file_in};
use crate::model::{
    Algorithm, Descriptor, Digest, HashingWriter, Index, RawManifest, MAX_MANIFEST_SIZE, REF_NAME,
};
use crate::store::{copy_buffered, parse_index_json, set_ref_in, LAYOUT_VERSION};
use crate::verify::VerifyingReader;

#[derive(Debug, Clone)]
pub struct OciArchiveRef {
    pub path: PathBuf,
    pub name: Option<String>,
}

pub fn parse(details: &str) -> Result<Box<dyn ImageReference>> {
    Ok(Box::new(OciArchiveRef::parse(details)?))
}

impl OciArchiveRef {
    pub fn parse(details: &str) -> Result<OciArchiveRef> {
        let (path, name) = parse_path_ref(details, "oci-archive", "a file path")?;
        Ok(OciArchiveRef { path, name })
    }

    /// The archive, scanned (and decompressed) once per process.
    fn open(&self, opts: &TransportOptions) -> Result<Arc<TarLayout>> {
        open_once(&self.path, || {
            // With a name after it, the path is said alone: which colon
            // ends it is not plain (`x:y.tar:app`).
            // (A missing file's error names its path already.)
            TarLayout::open(&self.path, opts.tmp_dir.as_deref()).map_err(|e| match self.name {
                _ if e.kind() == crate::error::Kind::NotFound => e,
                None => e,
                Some(_) => e.context(format!("file {}", self.path.display())),
            })
        })
    }

    /// The index.json entry this reference names. Without a name, entries
    /// that are referrers of another do not count as images.
    fn resolve(&self, tar: &TarLayout) -> Result<Descriptor> {
        let mut index = std::borrow::Cow::Borrowed(&tar.index);
        if self.name.is_none() && index.manifests.len() > 1 {
            let map = tar.referrer_map();
            index
                .to_mut()
                .manifests
                .retain(|m| m.ref_name().is_some() || !map.is_referrer(&m.digest));
        }
        find_in_index(
            &index,
            self.name.as_deref(),
            "archive",
            "oci-archive:PATH:REF",
        )
    }
}

impl fmt::Display for OciArchiveRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_path_ref(f, "oci-archive", &self.path, self.name.as_deref())
    }
}

impl ImageReference for OciArchiveRef {
    fn holds_several(&self) -> bool {
        true
    }

    fn policy_scopes(&self) -> Vec<String> {
        crate::copy::policy::path_scopes(None, &crate::copy::policy::resolved(&self.path))
    }

    fn untagged_referrers(&self) -> bool {
        true
    }

    fn holds_referrers(&self) -> bool {
        true
    }

    fn transport(&self) -> &'static str {
        "oci-archive"
    }

    fn source(&self, opts: &TransportOptions) -> Result<Box<dyn ImageSource>> {
        let tar = self.open(opts)?;
        let top = self.resolve(&tar)?;
        Ok(Box::new(ArchiveSource { tar, top }))
    }

    fn destination(&self, opts: &TransportOptions) -> Result<Box<dyn ImageDestination>> {
        ArchiveDest::create(&self.path, self.name.clone(), opts.tmp_dir.clone())
            .map(|d| Box::new(d) as Box<dyn ImageDestination>)
    }

    fn list_tags(&self, opts: &TransportOptions) -> Result<Vec<String>> {
        let tar = self.open(opts).with_context(|| self.to_string())?;
        let mut names = listed_names(&tar.index);
        names.extend(unreadable_names(&tar.index, &self.to_string(), false)?);
        Ok(names)
    }

    fn with_tag(&self, tag: &str) -> Result<Box<dyn ImageReference>> {
        crate::model::validate_ref_name(tag)?;
        Ok(Box::new(OciArchiveRef {
            path: self.path.clone(),
            name: Some(tag.to_string()),
        }))
    }

    fn tag(&self) -> Option<String> {
        self.name.clone()
    }

    /// The digest index.json names (for sync: an image the destination
    /// has is not copied again).
    fn current_digest(&self, opts: &TransportOptions, _dest: bool) -> Result<Option<Digest>> {
        let tar = self.open(opts)?;
        Ok(Some(self.resolve(&tar)?.digest))
    }

    /// An archive is rewritten whole by each write: one image per sync
    /// target would leave only the last.
    fn sync_target(&self, _image: Option<&str>, _tag: &str) -> Result<Box<dyn ImageReference>> {
        Err(super::cannot_sync_into(self))
    }

    fn all_images(&self, opts: &TransportOptions) -> Result<Vec<Box<dyn ImageReference>>> {
        let tar = self.open(opts).with_context(|| self.to_string())?;
        let mut out: Vec<Box<dyn ImageReference>> = Vec::new();
        check_unique_names(&tar.index).with_context(|| self.to_string())?;
        // (A name given twice, to one image: that image once.)
        let mut seen = std::collections::HashSet::new();
        for m in &tar.index.manifests {
            match m.ref_name() {
                Some(n) if !seen.insert(n) => {}
                Some(n) => out.push(Box::new(OciArchiveRef {
                    path: self.path.clone(),
                    name: Some(n.to_string()),
                })),
                // A referrer travels with its subject, not as an image.
                None if tar.referrer_map().is_referrer(&m.digest) => {}
                None => {
                    return Err(Error::new(format!(
                    "{self}: entry {} has no name; copy it as oci-archive:PATH with a single image",
                    m.digest
                )))
                }
            }
        }
        for n in unreadable_names(&tar.index, &self.to_string(), true)? {
            out.push(Box::new(OciArchiveRef {
                path: self.path.clone(),
                name: Some(n),
            }));
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------- reading

/// What a tar member is, as far as reading a layout cares.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    File,
    Symlink,
    Hardlink,
    Other(u8),
}

#[derive(Debug, Clone, Copy)]
struct Member {
    kind: Kind,
    offset: u64,
    size: u64,
}

/// A scanned tar holding an OCI layout.
struct TarLayout {
    file: File,
    members: HashMap<String, Member>,
    index: Index,
    /// Its referrers, found when first asked for.
    referrers: OnceLock<ReferrerMap>,
}

/// A member name made relative and clean: `./a//b` → `a/b`. Absolute
/// names and names with a `..` component are refused.
fn clean_name(raw: &[u8]) -> Result<Option<String>> {
    let shown = String::from_utf8_lossy(raw);
    if raw.starts_with(b"/") || raw.split(|&b| b == b'/').any(|c| c == b"..") {
        return Err(Error::new(format!(
            "unsafe member name {shown:?} (absolute or with '..')"
        )));
    }
    let Ok(s) = std::str::from_utf8(raw) else {
        // Not a name lade would ever look up.
        return Ok(None);
    };
    let parts: Vec<&str> = s
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(parts.join("/")))
}

impl TarLayout {
    fn open(path: &Path, tmp_dir: Option<&Path>) -> Result<TarLayout> {
        let (file, _) = crate::archive::open_input(path, tmp_dir)?;
        let mut t = TarLayout {
            members: HashMap::new(),
            file,
            index: Index::empty_oci(),
            referrers: OnceLock::new(),
        };
        t.scan()?;
        t.check_layout_file()?;
        let bytes = t.layout_member("index.json", crate::store::MAX_INDEX_SIZE)?;
        t.index = parse_index_json(&bytes).context("index.json")?;
        Ok(t)
    }

    /// Index every member: one pass over the headers, seeking over data.
    fn scan(&mut self) -> Result<()> {
        let len = self.file.metadata()?.len();
        let mut archive = tar::Archive::new(crate::archive::TarGuard::new(&self.file));
        let mut last: Option<String> = None;
        let mut count = 0;
        for entry in archive
            .entries_with_seek()
            .map_err(|e| crate::archive::not_tar(&e, None))?
        {
            let entry = entry.map_err(|e| crate::archive::not_tar(&e, last.as_ref()))?;
            count += 1;
            let raw = entry.path_bytes();
            crate::archive::check_name_len(&raw, "name", count)?;
            let Some(name) = clean_name(&raw)? else {
                continue;
            };
            let h = entry.header();
            let kind = match h.entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Kind::File,
                tar::EntryType::Directory | tar::EntryType::XGlobalHeader => continue,
                tar::EntryType::Symlink => Kind::Symlink,
                tar::EntryType::Link => Kind::Hardlink,
                other => Kind::Other(other.as_byte()),
            };
            let offset = entry.raw_file_position();
            let size = entry.size();
            // Data and its padding must be there; seeking past the end
            // of a file does not fail by itself.
            if offset + size.div_ceil(512) * 512 > len {
                return Err(Error::new(format!(
                    "member {name:?} is cut short: the archive is truncated"
                )));
            }
            let m = Member { kind, offset, size };
            last = Some(name.clone());
            if self.members.insert(name.clone(), m).is_some() {
                return Err(Error::new(format!(
                    "member {name:?} appears twice in the archive"
                )));
            }
        }
        Ok(())
    }

    /// A member that must be a regular file.
    fn file_member(&self, name: &str) -> Result<Member> {
        let Some(m) = self.members.get(name) else {
            // (A directory on its way that is a link: nothing is read
            // through one.)
            let linked = name
                .match_indices('/')
                .map(|(i, _)| &name[..i])
                .find(|dir| self.members.get(*dir).is_some_and(|m| m.kind != Kind::File));
            return Err(match linked {
                Some(dir) => Error::new(format!(
                    "{name}: {dir} is a link in the archive, not a directory; refused"
                )),
                None => Error::not_found(format!("{name} not found in the archive")),
            });
        };
        match m.kind {
            Kind::File => Ok(*m),
            Kind::Symlink => Err(Error::new(format!(
                "{name} is a symlink in the archive; refused"
            ))),
            Kind::Hardlink => Err(Error::new(format!(
                "{name} is a hard link in the archive; refused"
            ))),
            Kind::Other(t) => Err(Error::new(format!(
                "{name} is not a regular file in the archive (type {:?}); refused",
                t as char
            ))),
        }
    }

    fn reader(&self, m: Member) -> RangeReader<'_> {
        RangeReader {
            file: &self.file,
            pos: m.offset,
            end: m.offset + m.size,
        }
    }

    fn read_member(&self, name: &str, cap: u64) -> Result<Vec<u8>> {
        let m = self.file_member(name)?;
        if m.size > cap {
            return Err(Error::new(format!(
                "{name} is larger than the {cap} byte limit"
            )));
        }
        let mut buf = Vec::with_capacity(m.size as usize);
        self.reader(m).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// `oci-layout` or `index.json`: without them the tar is no OCI
    /// archive, which is bad input (exit 3), not a negative answer.
    fn layout_member(&self, name: &str, cap: u64) -> Result<Vec<u8>> {
        self.read_member(name, cap).map_err(|e| {
            if e.kind() == crate::error::Kind::NotFound {
                Error::new(format!("not an OCI archive: {e}"))
            } else {
                e
            }
        })
    }

    fn blob_name(d: &Digest) -> String {
        format!("blobs/{}/{}", d.algorithm().name(), d.hex())
    }

    /// A manifest or index blob, checked against its digest (and size).
    /// It is read because the archive names it, so its absence is damage
    /// (exit 3), not a negative answer, as in a layout.
    fn read_manifest(&self, d: &Digest, size: Option<u64>) -> Result<Vec<u8>> {
        let bytes = self
            .read_member(&Self::blob_name(d), MAX_MANIFEST_SIZE)
            .map_err(|e| match e.kind() {
                crate::error::Kind::NotFound => Error::missing(format!(
                    "blob {d} is missing from the archive (the archive names it)"
                )),
                _ => e,
            })?;
        let got = Digest::of_bytes_with(d.algorithm(), &bytes);
        if &got != d {
            return Err(Error::new(format!(
                "blob {d} is corrupt: its content hashes to {got}"
            )));
        }
        if let Some(s) = size.filter(|&s| s != bytes.len() as u64) {
            return Err(Error::new(format!(
                "blob {d} is {} bytes but its descriptor says {s}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// The manifest or index an index.json entry (or a descriptor in
    /// one) names, checked.
    fn manifest_of(&self, d: &Descriptor) -> Result<RawManifest> {
        let bytes = self.read_manifest(&d.digest, Some(d.size))?;
        let declared = Some(&d.media_type).filter(|m| m.is_manifest_or_index());
        RawManifest::from_bytes(bytes, declared)
            .map(|r| r.addressed_with(d.digest.algorithm()))
            .with_context(|| d.digest.to_string())
    }

    /// What index.json says of referrers (each manifest read once).
    fn referrer_map(&self) -> &ReferrerMap {
        self.referrers
            .get_or_init(|| ReferrerMap::of(&self.index, |m| self.manifest_of(m)))
    }

    fn check_layout_file(&self) -> Result<()> {
        let bytes = self.layout_member("oci-layout", 64 * 1024)?;
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
}

/// Reads `[pos, end)` of a file with positional reads (no shared cursor,
/// so readers of one file can run in parallel).
struct RangeReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive is truncated",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Reads one image of an archive.
struct ArchiveSource {
    tar: Arc<TarLayout>,
    top: Descriptor,
}

impl ImageSource for ArchiveSource {
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        match instance {
            None => {
                crate::model::check_entry_type(&self.top)?;
                self.tar.manifest_of(&self.top)
            }
            Some(d) => {
                let bytes = self.tar.read_manifest(d, None)?;
                RawManifest::from_bytes(bytes, None)
                    .map(|r| r.addressed_with(d.algorithm()))
                    .with_context(|| d.to_string())
            }
        }
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        let m = self
            .tar
            .file_member(&TarLayout::blob_name(&desc.digest))
            .with_context(|| format!("blob {}", desc.digest))?;
        Ok((Box::new(self.tar.reader(m)), Some(m.size)))
    }

    fn concurrent_reads(&self) -> bool {
        true
    }

    /// The image's ref name, so copies of several images keep their names.
    fn repo_tags(&self) -> Vec<String> {
        self.top
            .ref_name()
            .map(str::to_string)
            .into_iter()
            .collect()
    }

    /// The manifest of the index.json entry named `tag` (a signature's
    /// `sha256-<hex>.sig`, say), checked.
    fn manifest_by_tag(&self, tag: &str) -> Result<Option<RawManifest>> {
        let entry = self
            .tar
            .index
            .manifests
            .iter()
            .find(|m| m.ref_name() == Some(tag));
        entry.map(|d| self.tar.manifest_of(d)).transpose()
    }

    /// As in a layout: what a tag-schema index named `sha256-<hex>`
    /// lists, and every index.json entry whose manifest names `subject`.
    fn referrers(&self, subject: &Digest) -> Result<Referrers> {
        self.tar
            .referrer_map()
            .referrers(subject, |d| self.tar.manifest_of(d))
    }
}

// ---------------------------------------------------------------- writing

/// Writes an archive; see the module docs.
pub struct ArchiveDest {
    target: PathBuf,
    /// The target is a pipe or a device: written into, not replaced.
    direct: bool,
    name: Option<String>,
    tmp_dir: PathBuf,
    state: Mutex<DestState>,
}

struct DestState {
    /// The archive being built; deleted when dropped uncommitted.
    tmp: tempfile::NamedTempFile,
    tar: tar::Builder<BufWriter<File>>,
    /// Blobs in the archive, with their sizes.
    written: HashMap<Digest, u64>,
    /// Images put so far, with the ref name each gets.
    images: Vec<(Descriptor, Option<String>)>,
    /// Attachments put so far (referrers, tagged ones), after the images
    /// in index.json, which copy puts before their image.
    attached: Vec<(Descriptor, Option<String>)>,
    /// The attachments put under a tag, by tag.
    tagged: HashMap<String, RawManifest>,
    /// A write failed in a way that left the tar unusable.
    broken: bool,
}

impl ArchiveDest {
    fn create(target: &Path, name: Option<String>, tmp_dir: Option<PathBuf>) -> Result<Self> {
        let shown = target.display().to_string();
        let link = fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink());
        // A pipe or a device (/dev/stdout, >(…)) is written into at the
        // end, never replaced; a link to a file replaces that file, as
        // skopeo writes through it; a link to nothing is refused.
        let (target, direct) = match fs::metadata(target) {
            Ok(m) if m.is_dir() => return Err(Error::new(format!("{shown} is a directory"))),
            Ok(m) if crate::archive::is_socket(&m) => {
                return Err(crate::archive::socket_refused(&shown))
            }
            Ok(m) if !m.is_file() => (target.to_path_buf(), true),
            Ok(_) if link => (fs::canonicalize(target).with_context(|| shown.clone())?, false),
            Err(_) if link => {
                return Err(Error::new(format!(
                    "{shown}: a symbolic link to nothing; lade writes an archive as a file, not through a dangling link"
                )))
            }
            _ => (target.to_path_buf(), false),
        };
        let parent = crate::fsutil::dir_of(&target).to_path_buf();
        // The archive is made in a temp file: beside the target, which
        // it replaces; for a pipe or device, in --tmpdir (else the
        // system's temp directory), to be streamed into it once whole.
        let build_dir = match (&tmp_dir, direct) {
            (_, false) => parent.clone(),
            (Some(d), true) => d.clone(),
            (None, true) => std::env::temp_dir(),
        };
        let tmp = temp_file_in(&build_dir)
            .with_context(|| format!("creating a temp file in {}", build_dir.display()))?;
        let file = tmp.as_file().try_clone()?;
        let tar = tar::Builder::new(BufWriter::with_capacity(1 << 20, file));
        Ok(ArchiveDest {
            target,
            direct,
            name,
            // Blobs of unknown size are spooled beside the archive,
            // unless --tmpdir says where.
            tmp_dir: tmp_dir.unwrap_or(build_dir),
            state: Mutex::new(DestState {
                tmp,
                tar,
                written: HashMap::new(),
                images: Vec::new(),
                attached: Vec::new(),
                tagged: HashMap::new(),
                broken: false,
            }),
        })
    }
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h
}

impl DestState {
    /// Append a member whose bytes `data` must yield exactly; on failure
    /// the tar is cut back to where it was.
    fn append(&mut self, name: &str, size: u64, data: &mut dyn Read) -> Result<()> {
        if self.broken {
            return Err(Error::new(
                "an earlier write to the archive failed; it cannot be completed",
            ));
        }
        // (A disk full says where: the archive is built in --tmpdir for
        // a pipe, beside the file it replaces otherwise.)
        let dir = self.tmp.path().parent().unwrap_or(Path::new("."));
        let said = |e: io::Error| crate::fsutil::writing_in(e, "the archive", dir);
        // (Seeking flushes what the last entry left buffered.)
        let w = self.tar.get_mut();
        let start = w.stream_position().map_err(said)?;
        let mut h = header(size);
        match self.tar.append_data(&mut h, name, data) {
            Ok(()) => Ok(()),
            Err(e) => {
                let w = self.tar.get_mut();
                let rewind = w
                    .flush()
                    .and_then(|()| w.get_ref().set_len(start))
                    .and_then(|()| w.seek(SeekFrom::Start(start)).map(drop));
                if rewind.is_err() {
                    self.broken = true;
                }
                Err(said(e))
            }
        }
    }

    /// Put a manifest's bytes (once). (Attachments go as they are, of
    /// any type: cosign may write a signature as a Docker manifest.)
    fn put_manifest_bytes(&mut self, m: &RawManifest) -> Result<()> {
        if !self.written.contains_key(&m.digest) {
            self.put_known(&mut &m.bytes[..], &m.digest, m.bytes.len() as u64)?;
        }
        Ok(())
    }

    /// Put a blob whose digest and size are both known.
    fn put_known(&mut self, r: &mut dyn Read, d: &Digest, size: u64) -> Result<()> {
        let mut v = VerifyingReader::new(r, d, Some(size));
        self.append(&TarLayout::blob_name(d), size, &mut v)?;
        self.written.insert(d.clone(), size);
        Ok(())
    }
}

impl ImageDestination for ArchiveDest {
    fn properties(&self) -> DestProperties {
        // An OCI layout's, written one blob at a time.
        DestProperties {
            concurrent_writes: false,
            ..super::oci_layout::properties()
        }
    }

    fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<Reused>> {
        let Some(digest) = &info.digest else {
            return Ok(None);
        };
        let st = self.state.lock().unwrap();
        Ok(match st.written.get(digest) {
            Some(&s) if info.size.is_none_or(|want| want == s) => {
                Some(Descriptor::new(info.media_type.clone(), digest.clone(), s).into())
            }
            _ => None,
        })
    }

    fn put_blob(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<Descriptor> {
        let mut st = self.state.lock().unwrap();
        if let (Some(d), Some(size)) = (&expected.digest, expected.size) {
            if st.written.get(d) != Some(&size) {
                st.put_known(reader, d, size)?;
            }
            return Ok(Descriptor::new(
                expected.media_type.clone(),
                d.clone(),
                size,
            ));
        }
        // A tar header needs the digest (the name) and the size before the
        // data: spool to a temp file, hashing, then append that.
        let alg = expected
            .digest
            .as_ref()
            .map_or(Algorithm::Sha256, |d| d.algorithm());
        let mut spool = tempfile::tempfile_in(&self.tmp_dir)
            .with_context(|| format!("creating a temp file in {}", self.tmp_dir.display()))?;
        let mut w = HashingWriter::new(&mut spool, alg);
        let limit = expected.size.map_or(u64::MAX, |s| s.saturating_add(1));
        copy_buffered(&mut reader.take(limit), &mut w)?;
        let (digest, size, _) = w.finish();
        if let Some(want) = expected.size.filter(|&s| s != size) {
            return Err(Error::new(format!(
                "blob {digest}: got {}{} bytes, expected {want}",
                if size > want { "more than " } else { "" },
                size.min(want)
            )));
        }
        if let Some(want) = expected.digest.as_ref().filter(|&w| w != &digest) {
            return Err(Error::new(format!(
                "blob {want}: content hashes to {digest} (digest mismatch)"
            )));
        }
        if st.written.get(&digest) != Some(&size) {
            spool.seek(SeekFrom::Start(0))?;
            st.put_known(&mut io::BufReader::new(spool), &digest, size)?;
        }
        Ok(Descriptor::new(expected.media_type.clone(), digest, size))
    }

    fn put_manifest(
        &self,
        m: &RawManifest,
        instance: Option<&Digest>,
        names: &[String],
    ) -> Result<()> {
        // Docker ones come only when asked for (`on_request`).
        if !m.media_type.is_manifest_or_index() {
            return Err(Error::new(format!(
                "an oci-archive holds image manifests and indexes only, not {}",
                m.media_type
            )));
        }
        let mut st = self.state.lock().unwrap();
        st.put_manifest_bytes(m)?;
        if instance.is_none() {
            for name in image_ref_names(&self.name, st.images.is_empty(), names)? {
                st.images.push((m.descriptor(), name));
            }
        }
        Ok(())
    }

    fn check_names(&self, names: &[String]) -> Result<()> {
        let first = self.state.lock().unwrap().images.is_empty();
        image_ref_names(&self.name, first, names).map(drop)
    }

    /// As in a layout: an index.json entry without a name, with the
    /// referrer's artifactType and annotations.
    fn put_referrer(&self, m: &RawManifest, desc: &Descriptor) -> Result<Referred> {
        let mut st = self.state.lock().unwrap();
        st.put_manifest_bytes(m)?;
        st.attached.push((referrer_entry(m, desc), None));
        // (written anew: nothing was there)
        Ok(Referred::IndexedNew)
    }

    /// Only what this copy put: an archive is written anew.
    fn tagged_manifest(&self, tag: &str) -> Result<Option<RawManifest>> {
        Ok(self.state.lock().unwrap().tagged.get(tag).cloned())
    }

    fn put_tagged_manifest(&self, m: &RawManifest, tag: &str) -> Result<()> {
        crate::model::validate_ref_name(tag)?;
        let mut st = self.state.lock().unwrap();
        st.put_manifest_bytes(m)?;
        st.attached.push((m.descriptor(), Some(tag.to_string())));
        st.tagged.insert(tag.to_string(), m.clone());
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let ctx = format!("oci-archive:{}", self.target.display());
        let mut st = self.state.into_inner().unwrap();
        let mut index = Index::empty_oci();
        let mut unnamed = HashSet::new();
        let attached = std::mem::take(&mut st.attached);
        for (desc, name) in std::mem::take(&mut st.images).into_iter().chain(attached) {
            match name {
                Some(n) => {
                    let mut entry = desc;
                    entry.set_annotation(REF_NAME, &n);
                    set_ref_in(&mut index, &n, entry);
                }
                None => {
                    if unnamed.insert(desc.digest.clone()) {
                        index.manifests.push(desc);
                    }
                }
            }
        }
        let layout = format!("{{\"imageLayoutVersion\":\"{LAYOUT_VERSION}\"}}");
        let index = serde_json::to_vec(&index).expect("index serializes");
        for (name, bytes) in [("oci-layout", layout.as_bytes()), ("index.json", &index)] {
            st.append(name, bytes.len() as u64, &mut &bytes[..])
                .with_context(|| ctx.clone())?;
        }
        let DestState { tmp, tar, .. } = st;
        let w = tar.into_inner().with_context(|| ctx.clone())?;
        let file = w
            .into_inner()
            .map_err(|e| Error::from(e.into_error()).context(&ctx))?;
        use std::os::unix::fs::PermissionsExt;
        // (an ordinary file, made as the umask says; the temp was 0600)
        file.set_permissions(fs::Permissions::from_mode(crate::fsutil::file_mode()))?;
        if self.direct {
            let mut file = file;
            file.seek(SeekFrom::Start(0))?;
            let mut out = fs::OpenOptions::new()
                .write(true)
                .open(&self.target)
                .with_context(|| ctx.clone())?;
            let unfinished = crate::archive::unfinished;
            copy_buffered(&mut file, &mut out)
                .map_err(unfinished)
                .with_context(|| ctx.clone())?;
            out.flush()
                .map_err(unfinished)
                .with_context(|| ctx.clone())?;
            return Ok(());
        }
        file.sync_all().with_context(|| ctx.clone())?;
        tmp.persist(&self.target)
            .map_err(|e| Error::from(e.error).context(&ctx))?;
        fsync_dir(crate::fsutil::dir_of(&self.target)).with_context(|| ctx.clone())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MediaType;

    #[test]
    fn member_names() {
        assert_eq!(
            clean_name(b"./blobs//sha256/ab").unwrap().unwrap(),
            "blobs/sha256/ab"
        );
        assert_eq!(clean_name(b"index.json").unwrap().unwrap(), "index.json");
        assert_eq!(clean_name(b"./").unwrap(), None);
        for bad in [&b"../x"[..], b"/index.json", b"blobs/../../x", b"a/.."] {
            assert!(
                clean_name(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_failed_blob_is_cut_off_and_unknown_digests_are_computed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.tar");
        let d = ArchiveDest::create(&target, Some("x".into()), None).unwrap();
        let good = Digest::of_bytes(b"good");
        let info = |d: &Digest, s| BlobInfo {
            media_type: MediaType::OciLayer,
            digest: Some(d.clone()),
            size: Some(s),
        };
        d.put_blob(&mut &b"good"[..], &info(&good, 4)).unwrap();
        let before = d
            .state
            .lock()
            .unwrap()
            .tar
            .get_mut()
            .stream_position()
            .unwrap();
        let e = d.put_blob(&mut &b"evil"[..], &info(&good, 4));
        assert!(e.is_ok(), "already written: not read again");
        let other = Digest::of_bytes(b"other");
        assert!(d.put_blob(&mut &b"othex"[..], &info(&other, 5)).is_err());
        assert!(d.put_blob(&mut &b"oth"[..], &info(&other, 5)).is_err());
        let after = d
            .state
            .lock()
            .unwrap()
            .tar
            .get_mut()
            .stream_position()
            .unwrap();
        assert_eq!(before, after);
        assert!(d.try_reuse_blob(&info(&other, 5)).unwrap().is_none());
        let unknown = BlobInfo {
            media_type: MediaType::OciLayer,
            digest: None,
            size: None,
        };
        let got = d.put_blob(&mut &b"other"[..], &unknown).unwrap();
        assert_eq!((got.digest, got.size), (other, 5));
        drop(d);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn long_member_names_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.tar");
        let d = Box::new(ArchiveDest::create(&target, None, None).unwrap());
        let digest = Digest::of_bytes_with(Algorithm::Sha512, b"data");
        let info = BlobInfo {
            media_type: MediaType::OciLayer,
            digest: Some(digest.clone()),
            size: Some(4),
        };
        d.put_blob(&mut &b"data"[..], &info).unwrap();
        d.commit().unwrap();
        let t = TarLayout::open(&target, None).unwrap();
        let name = TarLayout::blob_name(&digest);
        assert!(name.len() > 100);
        let mut got = Vec::new();
        t.reader(t.file_member(&name).unwrap())
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, b"data");
        assert!(t.index.manifests.is_empty());
    }
}
