//! fsck and gc: walk what index.json reaches, verify or prune the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::time::{Duration, SystemTime};

use rayon::prelude::*;

use super::{is_temp_name, parse_index_json, Layout, INDEX_FILE, MAX_INDEX_SIZE};
use crate::error::{Error, Result};
use crate::fsutil::{hash_file, open_regular_nofollow, read_capped_file};
use crate::model::{Algorithm, Descriptor, Digest, Index};

/// One problem fsck found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FsckProblem {
    /// A ref in index.json points at a blob that is not there.
    DanglingRef { name: String, digest: Digest },
    /// A blob referenced by a manifest or index is not there.
    Missing { digest: Digest, parent: Digest },
    /// A blob's content does not hash to its name.
    Corrupt { digest: Digest, actual: Digest },
    /// A blob's size differs from what a descriptor says.
    Size {
        digest: Digest,
        size: u64,
        expected: u64,
    },
    /// A descriptor that gives a whole, good blob another size: the
    /// descriptor is wrong (`by`: the ref, or the manifest holding it).
    DescriptorSize {
        digest: Digest,
        by: String,
        says: u64,
        actual: u64,
    },
    /// A ref name lade would not write (control characters, say), or
    /// one naming two images.
    BadRef { why: String },
    /// index.json itself missing, not a regular file, too big, or not
    /// an index: nothing is reachable.
    BadIndex { why: String },
    /// An index.json entry that does not read as a descriptor (`entry`:
    /// where and why, see `model::unreadable_entry_text`).
    BadIndexEntry { entry: String },
    /// A manifest or index that does not parse.
    BadManifest { digest: Digest, why: String },
    /// An image manifest whose layers its config contradicts.
    BadImage { digest: Digest, why: String },
    /// Something in blobs/ that is not a blob (symlink, directory, bad name).
    BadEntry { path: String, why: String },
}

impl fmt::Display for FsckProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsckProblem::DanglingRef { name, digest } => {
                write!(f, "dangling ref {name}: {digest} is missing")
            }
            FsckProblem::Missing { digest, parent } => {
                write!(f, "missing {digest} (referenced by {parent})")
            }
            FsckProblem::Corrupt { digest, actual } => {
                write!(f, "corrupt {digest}: content hashes to {actual}")
            }
            FsckProblem::Size {
                digest,
                size,
                expected,
            } => write!(
                f,
                "corrupt {digest}: {size} bytes, expected {expected}{}",
                if size < expected { " (truncated)" } else { "" }
            ),
            FsckProblem::DescriptorSize {
                digest,
                by,
                says,
                actual,
            } => write!(
                f,
                "bad descriptor of {digest} in {by}: says {says} bytes, the blob has {actual}"
            ),
            // (A name can be any length: a line says its start.)
            FsckProblem::BadRef { why } => match why.char_indices().nth(300) {
                Some((i, _)) => write!(f, "bad ref: {}…", &why[..i]),
                None => write!(f, "bad ref: {why}"),
            },
            FsckProblem::BadManifest { digest, why } | FsckProblem::BadImage { digest, why } => {
                let kind = match self {
                    FsckProblem::BadImage { .. } => "bad image",
                    _ => "bad manifest",
                };
                // (the digest said once, though the reason names it too)
                let why = why.strip_prefix(&format!("{digest}: ")).unwrap_or(why);
                write!(f, "{kind} {digest}: {why}")
            }
            FsckProblem::BadEntry { path, why } => write!(f, "bad entry {path}: {why}"),
            FsckProblem::BadIndex { why } => write!(f, "bad index.json: {why}"),
            FsckProblem::BadIndexEntry { entry } => write!(f, "bad index.json entry: {entry}"),
        }
    }
}

#[derive(Debug, Default)]
pub struct FsckReport {
    pub problems: Vec<FsckProblem>,
    /// Blobs present but not reachable from index.json (not an error).
    pub unreachable: Vec<Digest>,
    pub blobs_checked: usize,
    pub bytes_checked: u64,
    /// With `--full`: the layers decompressed and held to their diff_ids.
    pub layers_unpacked: usize,
    /// Temp files in the store (writes under way, or left by ones a
    /// SIGKILL or a crash ended), and their bytes: no problem, but said.
    pub temps: usize,
    pub temp_bytes: u64,
}

/// What a layer's bytes decompress to, by hash algorithm, or why they do
/// not decompress.
type Unpacked = BTreeMap<Algorithm, std::result::Result<Digest, String>>;

/// Hash `file` with `alg` (as [`hash_file`]), and in the same read
/// decompress it (gzip, zstd, or as it is) and hash that with `algs`.
fn hash_and_unpack(
    file: &fs::File,
    alg: Algorithm,
    algs: &BTreeSet<Algorithm>,
) -> (std::io::Result<(Digest, u64)>, Unpacked) {
    use std::io::Read;
    let mut compressed = crate::model::HashingReader::new(std::io::BufReader::new(file), alg);
    let mut hashers: Vec<(Algorithm, crate::model::Hasher)> =
        algs.iter().map(|a| (*a, a.hasher())).collect();
    let plain = (|| -> std::io::Result<()> {
        let mut r = crate::unpack::decompressed(Box::new(&mut compressed))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            for (_, h) in &mut hashers {
                h.update(&buf[..n]);
            }
        }
    })();
    // The rest of the blob, whatever the decompressor made of it.
    let rest = std::io::copy(&mut compressed, &mut std::io::sink());
    let unpacked = hashers
        .into_iter()
        .map(|(a, h)| {
            let r = match &plain {
                Ok(()) => Ok(h.finish()),
                Err(e) => Err(e.to_string()),
            };
            (a, r)
        })
        .collect();
    let checked = rest.map(|_| compressed.finish());
    (checked, unpacked)
}

#[derive(Debug, Default)]
pub struct GcReport {
    /// Blobs removed (or that would be, with dry run), with sizes.
    pub removed: Vec<(Digest, u64)>,
    pub bytes_freed: u64,
    /// Unreachable blobs kept because they are younger than the grace period.
    pub kept_recent: usize,
    /// Stale temp files removed (or that would be), and their bytes.
    pub temps: usize,
    pub temp_bytes: u64,
}

/// What a blob links to (see [`Layout::links`]).
pub(super) enum Links {
    /// Nothing: a config, a layer, or a blob readers do not take as a
    /// manifest.
    Leaf,
    /// A manifest or index (one typed as something else in an entry
    /// whose blob is one: readers take it for what it is).
    Read(crate::model::RawManifest),
    /// A manifest of a kind lade does not read (an OCI 1.1-rc artifact
    /// manifest, Docker schema 1): the blobs it names, which are kept
    /// all the same.
    Foreign(Vec<Descriptor>),
    /// A manifest or index that does not read, and why: what it names
    /// is not known.
    Unreadable(String),
}

/// Blobs found under blobs/, with their sizes.
pub(super) type BlobList = Vec<(Digest, u64)>;

/// What index.json reaches: digest → the size descriptors give it.
struct Reach {
    sizes: BTreeMap<Digest, u64>,
    /// Descriptors giving a present blob another size than it has: the
    /// blob's fault if it does not hash right, else theirs (fsck hashes).
    size_claims: Vec<FsckProblem>,
    problems: Vec<FsckProblem>,
    /// Missing blobs that may be manifests or indexes: what they
    /// reference is not known.
    hides: Vec<FsckProblem>,
    /// Layers that are not their diff_id, for `fsck --full` to
    /// decompress: the image, the layer's place in it, its digest and the
    /// config's diff_id for it.
    unpacks_to: Vec<(Digest, usize, Digest, Digest)>,
}

impl Layout {
    /// index.json for fsck: one that is missing, not a regular file, too
    /// big or no index is a problem to report (and nothing is reachable),
    /// not the end of the check; one this user may not read is.
    fn fsck_index(&self) -> Result<(Index, Option<FsckProblem>)> {
        let path = self.root().join(INDEX_FILE);
        let read = open_regular_nofollow(&path).map_err(|e| {
            let denied = e.kind() == std::io::ErrorKind::PermissionDenied;
            (Error::from(e), denied)
        });
        let read = read.and_then(|mut f| {
            let bytes =
                read_capped_file(&mut f, MAX_INDEX_SIZE, "index.json").map_err(|e| (e, false))?;
            parse_index_json(&bytes).map_err(|e| (e, false))
        });
        match read {
            Ok(index) => Ok((index, None)),
            Err((e, true)) => Err(e.context(path.display().to_string())),
            Err((e, false)) => {
                let why = e.message().to_string();
                Ok((Index::empty_oci(), Some(FsckProblem::BadIndex { why })))
            }
        }
    }

    /// Walk everything reachable from `index` (the layout's index.json).
    /// Manifest blobs are read (and verified) along the way.
    fn reach(&self, index: Index) -> Result<Reach> {
        let mut reach = Reach {
            sizes: BTreeMap::new(),
            size_claims: Vec::new(),
            problems: Vec::new(),
            hides: Vec::new(),
            unpacks_to: Vec::new(),
        };
        for (pos, e) in &index.unreadable {
            reach.problems.push(FsckProblem::BadIndexEntry {
                entry: crate::model::unreadable_entry_text(*pos, e),
            });
        }
        // Names: each valid, and each naming one image.
        let mut named: BTreeMap<&str, &Digest> = BTreeMap::new();
        for m in &index.manifests {
            let Some(n) = m.ref_name() else { continue };
            if let Err(e) = super::check_new_ref_name(n) {
                reach.problems.push(FsckProblem::BadRef {
                    why: e.message().to_string(),
                });
            }
            match named.insert(n, &m.digest) {
                Some(other) if *other != m.digest => reach.problems.push(FsckProblem::BadRef {
                    why: format!("{n:?} names both {other} and {}", m.digest),
                }),
                _ => {}
            }
        }
        // (descriptor, the manifest or index holding it, its ref name, and
        // whether readers take what it names as a manifest or index: an
        // index.json entry, an index's entry, a subject)
        let mut stack: Vec<(Descriptor, Option<Digest>, Option<String>, bool)> = Vec::new();
        // (A subject is not walked: what refers to an image does not keep
        // it, as a manifest's subject does not.)
        let mut seen = BTreeSet::new();
        // Each entry walked to the end before the one before it (the last
        // first), one at a time: index.json may hold 250,000 entries.
        let mut entries = index.manifests.iter().rev();
        loop {
            let Some((desc, parent, name, entry)) = stack.pop().or_else(|| {
                let d = entries.next()?;
                Some((d.clone(), None, d.ref_name().map(str::to_string), true))
            }) else {
                break;
            };
            reach.sizes.entry(desc.digest.clone()).or_insert(desc.size);
            let present = match self.blob_size(&desc.digest) {
                Ok(p) => p,
                Err(e) => {
                    reach.problems.push(FsckProblem::BadEntry {
                        path: self.blob_path(&desc.digest).display().to_string(),
                        why: e.to_string(),
                    });
                    continue;
                }
            };
            // Every descriptor is held to the blob, not only the first of
            // several naming one digest.
            if let Some(actual) = present.filter(|&a| a != desc.size) {
                let by = match (&name, &parent) {
                    (Some(n), _) => format!("ref {n}"),
                    (None, Some(p)) => p.to_string(),
                    (None, None) => "index.json".to_string(),
                };
                reach.size_claims.push(FsckProblem::DescriptorSize {
                    digest: desc.digest.clone(),
                    by,
                    says: desc.size,
                    actual,
                });
            }
            // An index.json entry of no manifest or index type names no
            // image (readers refuse it, in these words); its blob is still
            // walked, so gc keeps what it may name. (Each entry: another
            // may name its blob.)
            let top_entry = entry && parent.is_none();
            let entry_problem = top_entry
                .then(|| crate::model::entry_type_problem(&desc))
                .flatten();
            if let Some(why) = &entry_problem {
                reach
                    .problems
                    .push(FsckProblem::BadIndexEntry { entry: why.clone() });
            }
            // Walked once as a manifest and once as something else at
            // most: a blob one descriptor calls a layer and an entry names
            // as an image is walked as the image too (what it names kept).
            let read_as = entry || desc.media_type.is_manifest_or_index();
            let first = seen.insert((desc.digest.clone(), read_as));
            // (every ref to a missing image said, each blob missing under
            // them once)
            if present.is_none() && (first || parent.is_none()) {
                let problem = match (parent, name) {
                    (Some(parent), _) => FsckProblem::Missing {
                        digest: desc.digest.clone(),
                        parent,
                    },
                    (None, name) => FsckProblem::DanglingRef {
                        name: name.unwrap_or_else(|| "(unnamed)".into()),
                        digest: desc.digest.clone(),
                    },
                };
                // A missing manifest or index hides what it references.
                if entry || desc.media_type.is_manifest_or_index() {
                    reach.hides.push(problem.clone());
                }
                reach.problems.push(problem);
                continue;
            }
            if !first {
                continue;
            }
            // Read as the blob is (a wrong descriptor size is said above),
            // so what it references is still walked.
            let mut as_is = desc.clone();
            as_is.size = present.unwrap_or(desc.size);
            let raw = match self.links(&as_is, entry) {
                Links::Leaf => continue,
                Links::Foreign(found) => {
                    for c in found {
                        stack.push((c, Some(desc.digest.clone()), None, false));
                    }
                    continue;
                }
                // (what it names cannot be known: gc refuses)
                Links::Unreadable(why) => {
                    reach.problems.push(FsckProblem::BadManifest {
                        digest: desc.digest.clone(),
                        why,
                    });
                    continue;
                }
                Links::Read(raw) => raw,
            };
            // An entry typed as something else than the manifest its blob
            // is: walked (gc keeps what it needs), and its descriptor's
            // type is a problem (an index.json entry's said above).
            if !desc.media_type.is_manifest_or_index() && entry_problem.is_none() {
                reach.problems.push(FsckProblem::BadManifest {
                    digest: desc.digest.clone(),
                    why: format!(
                        "its descriptor says {}, but it is a {}",
                        desc.media_type, raw.media_type
                    ),
                });
            }
            match self.layer_claims(&raw) {
                Err(why) => reach.problems.push(FsckProblem::BadImage {
                    digest: desc.digest.clone(),
                    why,
                }),
                Ok(claims) => reach.unpacks_to.extend(
                    claims
                        .into_iter()
                        .map(|(i, l, d)| (desc.digest.clone(), i, l, d)),
                ),
            }
            let parent = Some(desc.digest.clone());
            let entries = raw.is_index();
            let children = match raw.references() {
                Ok(c) => c,
                Err(e) => {
                    reach.problems.push(FsckProblem::BadManifest {
                        digest: desc.digest.clone(),
                        why: e.to_string(),
                    });
                    continue;
                }
            };
            for c in children {
                // Layers with external URLs (foreign layers) need not be stored.
                if c.urls.as_ref().is_some_and(|u| !u.is_empty()) && !self.has(&c.digest)? {
                    continue;
                }
                stack.push((c, parent.clone(), None, entries));
            }
        }
        Ok(reach)
    }

    /// Fail unless every blob `desc` reaches is stored, at the size its
    /// descriptor gives (layers with URLs may be absent). Before a ref is
    /// written (under the lock, which gc holds): gc removes a copy's blobs
    /// older than its grace period, so a copy that took longer may have
    /// lost some. And for sync, before an image found there is taken for
    /// the one it would copy: a damaged one is copied again.
    pub fn check_complete(&self, desc: &Descriptor) -> Result<()> {
        let mut stack = vec![desc.clone()];
        let mut seen = BTreeSet::new();
        while let Some(d) = stack.pop() {
            if !seen.insert(d.digest.clone()) {
                continue;
            }
            // ("blob X of M", or "manifest M" for the top itself)
            let what = match d.digest == desc.digest {
                true if desc.media_type.is_index() => format!("index {}", d.digest),
                true => format!("manifest {}", d.digest),
                false => format!("blob {} of {}", d.digest, desc.digest),
            };
            let size = self.blob_size(&d.digest)?;
            if let Some(size) = size.filter(|s| *s != d.size) {
                return Err(Error::new(format!(
                    "{what} in {} has {size} bytes where its descriptor says {}, \
                     so no ref was written (lade fsck says more)",
                    self.root.display(),
                    d.size
                )));
            }
            if size.is_none() {
                if d.urls.as_ref().is_some_and(|u| !u.is_empty()) {
                    continue;
                }
                return Err(Error::new(format!(
                    "{what} is missing from {}, so no ref was written \
                     (removed by a gc while this ran, and then running it again \
                     helps; or missing before: lade fsck says so)",
                    self.root.display()
                )));
            }
            if !d.media_type.is_manifest_or_index() {
                continue;
            }
            stack.extend(self.read_manifest(&d)?.references()?);
        }
        Ok(())
    }

    /// What an image manifest's config says against its layers: another
    /// number of diff_ids, or an uncompressed layer that is not its
    /// diff_id (Docker refuses such an image; unpack fails on it), is the
    /// error. Else the layers whose uncompressed bytes are to hash to
    /// their diff_id, for `fsck --full` (their place, digest and diff_id):
    /// none when the config cannot be read (said elsewhere).
    fn layer_claims(
        &self,
        raw: &crate::model::RawManifest,
    ) -> Result<Vec<(usize, Digest, Digest)>, String> {
        let read = || -> Option<(crate::model::Manifest, Vec<Digest>)> {
            if raw.is_index() {
                return None;
            }
            let m = raw.manifest().ok()?;
            if !m.config.media_type.is_config() {
                return None;
            }
            let bytes = self
                .read_small_blob(&m.config.digest, crate::model::MAX_MANIFEST_SIZE)
                .ok()?;
            let config = crate::model::ImageConfig::parse(&bytes).ok()?;
            Some((m, config.rootfs.diff_ids))
        };
        let Some((m, diff_ids)) = read() else {
            return Ok(Vec::new());
        };
        if diff_ids.len() != m.layers.len() {
            return Err(format!(
                "config {} lists {} diff_ids but the manifest has {} layers",
                m.config.digest,
                diff_ids.len(),
                m.layers.len()
            ));
        }
        // (one whose bytes are compressed is mislabelled, not contradicted)
        let sniffed = |digest: &Digest| -> Option<crate::model::Compression> {
            let mut blob = self.open_blob(digest).ok()?;
            Some(crate::compress::sniff_start(&mut blob).ok()?.0)
        };
        let mut claims = Vec::new();
        for (i, (l, d)) in m.layers.iter().zip(diff_ids).enumerate() {
            if l.digest == d {
                continue;
            }
            let plain = l.media_type.layer_compression() == Some(crate::model::Compression::None);
            // (a digest of another algorithm says nothing of it)
            if plain
                && l.digest.algorithm() == d.algorithm()
                && sniffed(&l.digest) == Some(crate::model::Compression::None)
            {
                return Err(format!(
                    "layer {} ({}) is not compressed, but the config's diff_id for it is {d}",
                    i + 1,
                    l.digest
                ));
            }
            claims.push((i, l.digest.clone(), d));
        }
        Ok(claims)
    }

    /// What the blob `desc` describes links to, read as readers take it:
    /// a manifest or index by its descriptor's type, or (`entry`: an
    /// index.json or index entry) by what the blob is.
    pub(super) fn links(&self, desc: &Descriptor, entry: bool) -> Links {
        if desc.media_type.is_manifest_or_index() {
            return match self.read_manifest(desc) {
                Ok(raw) => Links::Read(raw),
                Err(e) => Links::Unreadable(e.to_string()),
            };
        }
        if !entry {
            return Links::Leaf;
        }
        match self.sniff_manifest(desc) {
            Some(raw) => Links::Read(raw),
            None => match self.foreign_references(desc) {
                Ok(found) => Links::Foreign(found),
                Err(why) => Links::Unreadable(why),
            },
        }
    }

    /// The blobs a JSON document of a kind lade does not read names: every
    /// object's `digest` (with its `size`, else the blob's) and every
    /// `blobSum` (schema 1), however deep; a `subject` is not followed
    /// (see [`Self::reach`]). Nothing for a blob that is no JSON object;
    /// an error for one whose descriptor says it is a manifest or index
    /// but that cannot be read as JSON (too big, too deep).
    fn foreign_references(
        &self,
        desc: &Descriptor,
    ) -> std::result::Result<Vec<Descriptor>, String> {
        fn walk(v: &serde_json::Value, out: &mut Vec<(Digest, Option<u64>, Option<String>)>) {
            match v {
                serde_json::Value::Object(o) => {
                    for key in ["digest", "blobSum"] {
                        if let Some(d) = o.get(key).and_then(|d| d.as_str()?.parse().ok()) {
                            let size = o.get("size").and_then(|s| s.as_u64());
                            let mt = o
                                .get("mediaType")
                                .and_then(|m| m.as_str())
                                .map(String::from);
                            out.push((d, size, mt));
                        }
                    }
                    for (k, v) in o {
                        if k != "subject" {
                            walk(v, out);
                        }
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let unread = |why: String| match desc.media_type.names_a_manifest() {
            true => Err(format!("a {} that cannot be read: {why}", desc.media_type)),
            false => Ok(Vec::new()),
        };
        if desc.size > crate::model::MAX_MANIFEST_SIZE {
            return unread(format!(
                "more than {} bytes",
                crate::model::MAX_MANIFEST_SIZE
            ));
        }
        let bytes = match self.read_small_blob(&desc.digest, crate::model::MAX_MANIFEST_SIZE) {
            Ok(b) => b,
            Err(e) => return unread(e.to_string()),
        };
        let v = match serde_json::from_slice(&bytes) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            Ok(_) => return unread("not a JSON object".into()),
            Err(e) => return unread(e.to_string()),
        };
        let mut found = Vec::new();
        walk(&v, &mut found);
        Ok(found
            .into_iter()
            .filter(|(d, ..)| *d != desc.digest)
            .map(|(digest, size, mt)| {
                let size = size
                    .or_else(|| self.blob_size(&digest).ok().flatten())
                    .unwrap_or(0);
                let media_type = mt.as_deref().unwrap_or("application/octet-stream");
                Descriptor::new(media_type.into(), digest, size)
            })
            .collect())
    }

    /// The blob `desc` names, if it is a manifest or index whatever the
    /// descriptor says (as readers take it).
    fn sniff_manifest(&self, desc: &Descriptor) -> Option<crate::model::RawManifest> {
        if desc.size > crate::model::MAX_MANIFEST_SIZE {
            return None;
        }
        let bytes = self
            .read_small_blob(&desc.digest, crate::model::MAX_MANIFEST_SIZE)
            .ok()?;
        crate::model::RawManifest::from_bytes(bytes, None)
            .ok()
            .map(|r| r.addressed_with(desc.digest.algorithm()))
            .filter(|r| r.media_type.is_manifest_or_index())
    }

    /// Every file under blobs/: valid blobs with their sizes, and entries
    /// that are not blobs.
    pub(super) fn list_blobs(&self) -> Result<(BlobList, Vec<FsckProblem>)> {
        let mut blobs = Vec::new();
        let mut bad = Vec::new();
        let blobs_dir = self.root().join("blobs");
        // Not through a symlink: gc would remove files where it points.
        if fs::symlink_metadata(&blobs_dir).is_ok_and(|m| !m.is_dir()) {
            bad.push(FsckProblem::BadEntry {
                path: blobs_dir.display().to_string(),
                why: "not a directory (a symlink?)".into(),
            });
            return Ok((blobs, bad));
        }
        let rd = match fs::read_dir(&blobs_dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((blobs, bad)),
            Err(e) => return Err(Error::from(e).context(blobs_dir.display().to_string())),
        };
        for alg_entry in rd {
            let alg_entry = alg_entry?;
            let alg_name = alg_entry.file_name().to_string_lossy().into_owned();
            let path = alg_entry.path();
            let alg = match alg_name.as_str() {
                "sha256" => Algorithm::Sha256,
                "sha512" => Algorithm::Sha512,
                _ => {
                    bad.push(FsckProblem::BadEntry {
                        path: path.display().to_string(),
                        why: "unknown digest algorithm".into(),
                    });
                    continue;
                }
            };
            if !alg_entry.file_type()?.is_dir() {
                bad.push(FsckProblem::BadEntry {
                    path: path.display().to_string(),
                    why: "not a directory".into(),
                });
                continue;
            }
            for e in fs::read_dir(&path)? {
                let e = e?;
                let name = e.file_name().to_string_lossy().into_owned();
                let p = e.path();
                let d = match Digest::parse(&format!("{}:{name}", alg.name())) {
                    Ok(d) => d,
                    Err(_) => {
                        bad.push(FsckProblem::BadEntry {
                            path: p.display().to_string(),
                            why: "name is not a digest".into(),
                        });
                        continue;
                    }
                };
                // (one a gc removes while this lists is not there)
                let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
                let ft = match e.file_type() {
                    Err(e) if gone(&e) => continue,
                    ft => ft?,
                };
                if !ft.is_file() {
                    bad.push(FsckProblem::BadEntry {
                        path: p.display().to_string(),
                        why: if ft.is_symlink() {
                            "is a symlink".into()
                        } else {
                            "is not a regular file".into()
                        },
                    });
                    continue;
                }
                match e.metadata() {
                    Err(e) if gone(&e) => continue,
                    m => blobs.push((d, m?.len())),
                }
            }
        }
        blobs.sort();
        Ok((blobs, bad))
    }

    /// Verify every blob's digest and size (in parallel) and every reference
    /// reachable from index.json; with `full`, also that each layer's
    /// uncompressed bytes hash to its config's diff_id (each layer
    /// decompressed once, as its blob is hashed).
    pub fn fsck(&self, full: bool) -> Result<FsckReport> {
        let (index, bad_index) = self.fsck_index()?;
        let reach = self.reach(index)?;
        let (blobs, bad) = self.list_blobs()?;
        let temps = self.temp_files()?;
        // The algorithms each layer's uncompressed bytes are hashed with.
        let mut to_unpack: BTreeMap<Digest, BTreeSet<Algorithm>> = BTreeMap::new();
        if full {
            for (_, _, layer, diff_id) in &reach.unpacks_to {
                to_unpack
                    .entry(layer.clone())
                    .or_default()
                    .insert(diff_id.algorithm());
            }
        }
        // Largest first keeps both cores busy to the end.
        let mut order: Vec<&(Digest, u64)> = blobs.iter().collect();
        order.sort_by_key(|(_, s)| std::cmp::Reverse(*s));
        // (a blob gone since it was listed: `None`, said below)
        let results: Vec<Option<(Option<FsckProblem>, Unpacked)>> = order
            .par_iter()
            .map(|(d, size)| {
                let path = self.blob_path(d);
                let file = match open_regular_nofollow(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
                    f => f,
                };
                let (checked, unpacked) = match (file, to_unpack.get(d)) {
                    (Ok(f), Some(algs)) => hash_and_unpack(&f, d.algorithm(), algs),
                    (Ok(f), None) => (hash_file(&f, d.algorithm()), Unpacked::new()),
                    (Err(e), _) => (Err(e), Unpacked::new()),
                };
                let problem = match checked {
                    Ok((actual, _)) if &actual == d => None,
                    Ok((actual, _)) => match reach.sizes.get(d) {
                        Some(&expected) if expected != *size => Some(FsckProblem::Size {
                            digest: d.clone(),
                            size: *size,
                            expected,
                        }),
                        _ => Some(FsckProblem::Corrupt {
                            digest: d.clone(),
                            actual,
                        }),
                    },
                    Err(e) => Some(FsckProblem::BadEntry {
                        path: path.display().to_string(),
                        why: e.to_string(),
                    }),
                };
                Some((problem, unpacked))
            })
            .collect();
        // A blob gone, or one index.json reached missing or unreadable, may
        // be what an untag and a gc running meanwhile did: what index.json
        // reaches now is walked again, under the lock untag and gc take
        // (held for this walk alone, not the hashing), and a blob no longer
        // reached is no problem. (Best effort: where the lock cannot be
        // taken, the walk is made all the same.)
        let vanished: BTreeSet<&Digest> = order
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_none())
            .map(|((d, _), _)| d)
            .collect();
        let (reach, bad_index, again) = if vanished.is_empty() && reach.problems.is_empty() {
            (reach, bad_index, false)
        } else {
            let _lock = self.lock_shared().ok();
            let (index, bad_index) = self.fsck_index()?;
            (self.reach(index)?, bad_index, true)
        };
        let mut report = FsckReport {
            problems: reach.problems,
            temps: temps.len(),
            temp_bytes: temps.iter().map(|(_, n)| n).sum(),
            ..Default::default()
        };
        report.problems.extend(bad_index);
        // A blob that is not a regular file is met by both walks: said
        // once, as the listing says it (symlink or other).
        let entry = |p: &FsckProblem| match p {
            FsckProblem::BadEntry { path, .. } => Some(path.clone()),
            _ => None,
        };
        let listed: BTreeSet<String> = bad.iter().filter_map(entry).collect();
        report
            .problems
            .retain(|p| entry(p).is_none_or(|path| !listed.contains(&path)));
        report.problems.extend(bad);
        let checked: Vec<_> = order
            .into_iter()
            .zip(results)
            .filter_map(|(b, r)| Some((b, r?)))
            .collect();
        report.blobs_checked = checked.len();
        report.bytes_checked = checked.iter().map(|((_, s), _)| s).sum();
        // (after a second walk, a blob removed since it was hashed is not
        // said to be there)
        report.unreachable = checked
            .iter()
            .map(|((d, _), _)| d)
            .filter(|d| !reach.sizes.contains_key(d))
            .filter(|d| !again || self.has(d).unwrap_or(true))
            .cloned()
            .collect();
        // What each sound layer decompressed to (a blob that does not hash
        // right has its own problem: what it unpacks to says nothing).
        let mut unpacked: BTreeMap<&Digest, Unpacked> = BTreeMap::new();
        let mut results = Vec::with_capacity(checked.len());
        for ((d, _), (problem, u)) in checked {
            if problem.is_none() && to_unpack.contains_key(d) {
                unpacked.insert(d, u);
            }
            results.push((d, problem));
        }
        for (image, i, layer, diff_id) in &reach.unpacks_to {
            let Some(u) = unpacked.get(layer) else {
                continue;
            };
            let why = match u.get(&diff_id.algorithm()) {
                Some(Ok(plain)) if plain == diff_id => continue,
                Some(Ok(plain)) => format!(
                    "layer {} ({layer}) unpacks to {plain}, but the config's diff_id for it is {diff_id}",
                    i + 1
                ),
                Some(Err(e)) => format!("layer {} ({layer}) does not decompress: {e}", i + 1),
                None => continue,
            };
            report.problems.push(FsckProblem::BadImage {
                digest: image.clone(),
                why,
            });
        }
        report.layers_unpacked = unpacked.len();
        // A descriptor's size is wrong where its blob hashes right (no
        // problem here); where it does not, the blob's problem says it.
        let blob_bad: BTreeSet<&Digest> = results
            .iter()
            .filter(|(_, r)| r.is_some())
            .map(|(d, _)| *d)
            .collect();
        report
            .problems
            .extend(reach.size_claims.into_iter().filter(|c| {
                matches!(c, FsckProblem::DescriptorSize { digest, .. } if !blob_bad.contains(digest))
            }));
        report
            .problems
            .extend(results.into_iter().filter_map(|(_, r)| r));
        report.problems.sort();
        report.problems.dedup();
        Ok(report)
    }

    /// Remove blobs not reachable from index.json, and stale temp files.
    /// Blobs and temp files modified (or linked) less than `grace` ago are
    /// kept, so a copy that has written blobs but not yet its ref is not
    /// undercut.
    /// Refuses to run when a reachable blob is missing or a manifest or
    /// index.json entry unreadable (or typed as something else), since
    /// what it references could not be known.
    pub fn gc(&self, dry_run: bool, grace: Duration) -> Result<GcReport> {
        let _lock = self.lock()?;
        let reach = self.reach(self.read_index()?)?;
        // What a missing or unreadable manifest references is not known:
        // collecting would take it too. (A missing layer or config hides
        // nothing.)
        let blocking: Vec<&FsckProblem> = reach
            .problems
            .iter()
            .filter(|p| {
                matches!(
                    p,
                    FsckProblem::BadManifest { .. }
                        | FsckProblem::BadEntry { .. }
                        | FsckProblem::BadIndexEntry { .. }
                )
            })
            .chain(&reach.hides)
            .collect();
        if let Some(p) = blocking.first() {
            let more = match blocking.len() - 1 {
                0 => String::new(),
                1 => ", and 1 more".into(),
                n => format!(", and {n} more"),
            };
            return Err(Error::new(format!(
                "refusing to collect garbage: {p}{more} (run lade fsck)"
            )));
        }
        let now = SystemTime::now();
        // The later of the modification and the status change: a blob a
        // copy hard-links in from another layout keeps that file's old
        // modification time, but linking it changed its status.
        let recent = |path: &std::path::Path| -> bool {
            use std::os::unix::fs::MetadataExt;
            fs::symlink_metadata(path)
                .and_then(|m| {
                    let changed = std::time::UNIX_EPOCH
                        + Duration::new(m.ctime().max(0) as u64, m.ctime_nsec() as u32);
                    Ok(m.modified()?.max(changed))
                })
                .map(|t| now.duration_since(t).unwrap_or_default() < grace)
                .unwrap_or(true)
        };
        let (blobs, bad) = self.list_blobs()?;
        // (blobs/ or blobs/ALG not a directory: none of its blobs is seen)
        let blobs_dir = self.root().join("blobs");
        let dirs: Vec<String> = [Algorithm::Sha256, Algorithm::Sha512]
            .iter()
            .map(|a| blobs_dir.join(a.name()))
            .chain([blobs_dir.clone()])
            .map(|p| p.display().to_string())
            .collect();
        if let Some(p) = bad
            .iter()
            .find(|p| matches!(p, FsckProblem::BadEntry { path, .. } if dirs.contains(path)))
        {
            return Err(Error::new(format!(
                "refusing to collect garbage: {p} (run lade fsck)"
            )));
        }
        let mut report = GcReport::default();
        for (d, size) in blobs {
            if reach.sizes.contains_key(&d) {
                continue;
            }
            let path = self.blob_path(&d);
            if recent(&path) {
                report.kept_recent += 1;
                continue;
            }
            if !dry_run {
                fs::remove_file(&path)
                    .map_err(|e| Error::from(e).context(format!("removing {d}")))?;
            }
            report.bytes_freed += size;
            report.removed.push((d, size));
        }
        for (path, size) in self.temp_files()? {
            // (one a write has open is kept, even with --grace 0; one is
            // removed while gc holds its lock, which its write waits for)
            if recent(&path) {
                continue;
            }
            let Some(_locked) = crate::fsutil::unused_temp(&path) else {
                continue;
            };
            if dry_run || fs::remove_file(&path).is_ok() {
                report.temps += 1;
                report.temp_bytes += size;
            }
        }
        Ok(report)
    }

    /// The temp files in the store's top directory (writes under way, or
    /// left by killed ones), with their sizes.
    pub(super) fn temp_files(&self) -> Result<Vec<(std::path::PathBuf, u64)>> {
        let mut found = Vec::new();
        for e in fs::read_dir(self.root())? {
            let e = e?;
            if is_temp_name(&e.file_name().to_string_lossy()) && e.file_type()?.is_file() {
                found.push((e.path(), e.metadata().map_or(0, |m| m.len())));
            }
        }
        Ok(found)
    }
}
