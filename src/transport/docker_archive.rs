//! `docker-archive:PATH[:NAME:TAG|:@N]` — `docker save` tarballs.
//!
//! The name is split at the first `:` (so PATH cannot contain one). What
//! follows is empty, `@N` (0-based index into the archive's
//! `manifest.json`) or a Docker reference (`tiny:1`, `localhost:5000/a/b:2`;
//! a name without tag means `:latest`, digests are refused). References
//! are compared normalised, so `tiny:1` matches `docker.io/library/tiny:1`
//! in the archive and the other way round.
//!
//! # Reading
//!
//! Both layouts `docker save` writes are read: the legacy one (Docker ≤ 24:
//! `<id>/layer.tar`, `<config-hex>.json`, `manifest.json`, `repositories`;
//! a `layer.tar` may be a symlink to another layer's) and Docker 25+'s (an
//! OCI layout with `blobs/sha256/…` plus a `manifest.json` whose `Layers`
//! are blob paths). As for `docker load`, `manifest.json` is the source of
//! truth; `repositories`, `index.json` and the legacy per-layer `json`
//! files are ignored. Without `:@N` or `:NAME:TAG` the archive must hold
//! exactly one image.
//!
//! The archive may be a plain tar or a gzip-compressed one (`docker save |
//! gzip`), detected by its first bytes, not its name, and a file or a pipe
//! (`/dev/stdin`, `<(…)`, a FIFO). A gzip archive or a pipe is spooled
//! (decompressed) once into an anonymous temp file (in
//! [`TransportOptions::tmp_dir`], else the system temp dir), which then
//! serves as a plain tar: it needs as much temp space as the uncompressed
//! archive and is removed when the source is dropped. The archive is
//! scanned once ([`TarIndex`]); blobs are then read in place with
//! positional reads, several at once if the copy wants (`concurrent_reads`).
//!
//! The image's manifest is a Docker v2 schema 2 manifest built from
//! `manifest.json` and the config, in compact JSON with the fields in the
//! order skopeo writes them (`mediaType`, `size`, `digest`). Layers stored
//! uncompressed (all of legacy `docker save` and usually Docker 25+) get
//! the config's diff_id as their digest — it is by definition the digest
//! of those bytes, so nothing is hashed — and the media type
//! `application/vnd.docker.image.rootfs.diff.tar`. **One deliberate
//! difference from skopeo:** skopeo labels these uncompressed layers
//! `…diff.tar.gzip` (and relies on its copy sniffing the bytes); lade
//! states what the bytes are, so a copy that trusts media types stays
//! correct. The manifest is otherwise byte-identical to `skopeo inspect
//! --raw docker-archive:…` (the test suite checks this), but its digest
//! differs from skopeo's.
//!
//! A layer stored compressed (gzip or zstd, found by its magic bytes) is
//! offered as stored, with the matching media type and the digest of the
//! stored bytes: taken from `LayerSources` in `manifest.json` or from a
//! `blobs/<alg>/<hex>` path when present (the copy verifies it anyway),
//! otherwise computed by hashing the member once when the source opens.
//! (skopeo instead decompresses such layers and reports a size of -1.)
//!
//! Nothing in `manifest.json` is trusted as a path: absolute paths, `..`
//! above the archive root and symlinks or hard links leading outside it
//! are refused, and so are members that are not regular files. The layer
//! count must match the config's `rootfs.diff_ids`. `manifest.json` and
//! configs over 4 MiB are refused. The source does not verify layer bytes
//! against their digests; the caller does (as for every source), so a
//! layer whose bytes do not match its diff_id fails the copy.
//!
//! # Writing
//!
//! The destination writes an archive that `docker load` accepts, in the
//! layout skopeo writes: the config as `<hex>.json`, each layer once as
//! `<hex>.tar`, and for old loaders a legacy `<id>/` directory per layer
//! with `VERSION`, `json` and `layer.tar` (a symlink to `../<hex>.tar`),
//! then `manifest.json` (`Config`, `RepoTags`, `Layers`) and
//! `repositories`. Layers are stored uncompressed (the destination asks
//! for [`Compression::None`]); only Docker v2 schema 2 manifests are
//! accepted and they are not stored (the archive has no place for them),
//! so digests are not preserved.
//!
//! Blobs of known size and digest stream straight into the archive while
//! being verified; a mismatch fails the whole destination (a tar stream
//! cannot take an entry back). Blobs of unknown size are first staged in
//! a temp file (skopeo does the same), which also yields their digest.
//! The copy puts the layers one after the other, in the manifest's order,
//! so that the same image makes the same archive, byte for byte. The archive is written as a temp file beside PATH and renamed onto it
//! at commit; without a commit nothing appears. PATH must not be an
//! existing non-empty file (as with skopeo: archives are not modified),
//! but may be a FIFO or a device such as `/dev/stdout`, which are written
//! directly. A PATH ending in `.gz` or `.tgz` is gzip-compressed.
//!
//! One archive can hold several images (each top-level `put_manifest`
//! adds one); layers they share are stored once. An image's `RepoTags`
//! are, for the first image, NAME:TAG from the destination name and
//! [`TransportOptions::additional_tags`], then the `names` the copy passes
//! for that image; they are written in Docker's familiar form (`tiny:1`),
//! as `docker save` does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    split_path, BlobInfo, DestProperties, ImageDestination, ImageReference, ImageSource, Reused,
    TransportOptions,
};
use crate::archive::{open_input, TarEntry, TarIndex, TarOutput};
use crate::error::{Context, Error, Result};
use crate::fsutil::read_capped;
use crate::model::{
    Algorithm, Compression, Descriptor, Digest, DockerRef, HashingWriter, ImageConfig, MediaType,
    RawManifest, MAX_MANIFEST_SIZE,
};
use crate::store::copy_buffered;
use crate::verify::VerifyingReader;

/// The media type of an uncompressed layer in a Docker v2 schema 2 manifest.
pub const DOCKER_LAYER: &str = crate::model::media_type::DOCKER_LAYER_TAR;
const MANIFEST_JSON: &str = "manifest.json";

/// Which image of the archive a name means.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// The only image.
    Only,
    /// `@N`: the Nth entry of manifest.json.
    Index(usize),
    /// `NAME:TAG`, normalised, with `:latest` added when no tag was given.
    Name(DockerRef),
}

#[derive(Debug, Clone)]
pub struct ArchiveRef {
    pub path: PathBuf,
    pub sel: Selector,
    /// An `--all-images` item: the image goes with all its RepoTags.
    pub every_name: bool,
}

pub fn parse(details: &str) -> Result<Box<dyn ImageReference>> {
    Ok(Box::new(ArchiveRef::parse(details)?))
}

impl ArchiveRef {
    pub fn parse(details: &str) -> Result<ArchiveRef> {
        let (path, rest) = split_path(details);
        if path.is_empty() {
            return Err(Error::new("docker-archive: needs a file path"));
        }
        let sel = match rest {
            None | Some("") => Selector::Only,
            Some(r) if r.starts_with('@') => {
                let n = &r[1..];
                match n.parse::<usize>() {
                    Ok(i) if n.bytes().all(|b| b.is_ascii_digit()) => Selector::Index(i),
                    _ => {
                        return Err(Error::new(format!(
                            "invalid image index {r:?}: expected @N with N a number from 0"
                        )))
                    }
                }
            }
            Some(r) => {
                let d = DockerRef::parse(r)?;
                if d.digest.is_some() {
                    return Err(Error::new(format!(
                        "{r:?}: docker-archive names images by NAME:TAG, not by digest"
                    )));
                }
                Selector::Name(d.with_default_tag())
            }
        };
        Ok(ArchiveRef {
            path: PathBuf::from(path),
            sel,
            every_name: false,
        })
    }

    /// The archive, scanned (and decompressed) once per process.
    fn open_archive(&self, opts: &TransportOptions) -> Result<Arc<Archive>> {
        crate::fsutil::open_once(&self.path, || Archive::open(self, opts))
    }
}

impl fmt::Display for ArchiveRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "docker-archive:{}", self.path.display())?;
        match &self.sel {
            Selector::Only => Ok(()),
            Selector::Index(i) => write!(f, ":@{i}"),
            Selector::Name(r) => write!(f, ":{}", r.familiar()),
        }
    }
}

impl ImageReference for ArchiveRef {
    fn holds_several(&self) -> bool {
        true
    }

    fn transport(&self) -> &'static str {
        "docker-archive"
    }

    fn picks_image(&self) -> bool {
        !matches!(self.sel, Selector::Only)
    }

    fn docker_reference(&self) -> Option<String> {
        match &self.sel {
            Selector::Name(r) => Some(r.familiar()),
            _ => None,
        }
    }

    fn every_name(&self) -> bool {
        self.every_name
    }

    fn source(&self, opts: &TransportOptions) -> Result<Box<dyn ImageSource>> {
        let archive = self.open_archive(opts)?;
        Ok(Box::new(ArchiveSource::new(archive, &self.sel)?))
    }

    fn destination(&self, opts: &TransportOptions) -> Result<Box<dyn ImageDestination>> {
        Ok(Box::new(ArchiveDest::new(self, opts)?))
    }

    /// The digest of the manifest lade makes for the image (for sync: an
    /// image the destination has is not copied again). What describing
    /// the layers took (hashing a compressed one of unknown digest) is
    /// kept with the opened archive, for the copy.
    fn current_digest(&self, opts: &TransportOptions, _dest: bool) -> Result<Option<Digest>> {
        let src = ArchiveSource::new(self.open_archive(opts)?, &self.sel)?;
        Ok(Some(src.manifest.digest))
    }

    /// `NAME:TAG` is that image; `@N` is the Nth of [`Self::all_images`]
    /// (by its name, where it has one).
    fn one_image(
        &self,
        opts: &TransportOptions,
    ) -> Result<Option<(String, Box<dyn ImageReference>)>> {
        let r: Box<dyn ImageReference> = match &self.sel {
            Selector::Only => return Ok(None),
            Selector::Name(_) => Box::new(self.clone()),
            Selector::Index(i) => match self.all_images(opts)?.into_iter().nth(*i) {
                Some(r) => r,
                // The source says what is wrong when opened.
                None => Box::new(self.clone()),
            },
        };
        Ok(Some((
            r.docker_reference().unwrap_or_else(|| r.to_string()),
            r,
        )))
    }

    /// One reference per image: `NAME:TAG` (its first RepoTag) when that
    /// names it alone, so a copy can carry the name along; `@N` otherwise.
    fn all_images(&self, opts: &TransportOptions) -> Result<Vec<Box<dyn ImageReference>>> {
        self.images(opts, false).with_context(|| self.to_string())
    }

    /// One reference per RepoTag that names its image alone (`@N` for an
    /// image with none).
    fn images_by_name(&self, opts: &TransportOptions) -> Result<Vec<Box<dyn ImageReference>>> {
        self.images(opts, true)
    }
}

impl ArchiveRef {
    /// The archive's images by their first name (`each_name`: by each),
    /// `@N` for those no name picks alone.
    fn images(
        &self,
        opts: &TransportOptions,
        each_name: bool,
    ) -> Result<Vec<Box<dyn ImageReference>>> {
        let archive = self.open_archive(opts)?;
        let mut refs: Vec<Box<dyn ImageReference>> = Vec::new();
        for (i, item) in archive.items.iter().enumerate() {
            let names: Vec<Selector> = Archive::tags_of(item)
                .iter()
                .filter_map(|t| DockerRef::parse(t).ok())
                .map(|r| Selector::Name(r.with_default_tag()))
                .filter(|s| archive.select(s).is_ok_and(|j| j == i))
                .take(if each_name { usize::MAX } else { 1 })
                .collect();
            let names = if names.is_empty() {
                vec![Selector::Index(i)]
            } else {
                names
            };
            for sel in names {
                refs.push(Box::new(ArchiveRef {
                    path: self.path.clone(),
                    sel,
                    every_name: !each_name,
                }));
            }
        }
        Ok(refs)
    }
}

/// One entry of manifest.json.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestItem {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
    /// Docker 25+: descriptors of the layer blobs, by diff_id.
    #[serde(default)]
    layer_sources: Option<HashMap<String, Value>>,
}

/// An opened archive: its member index and its parsed manifest.json.
struct Archive {
    index: TarIndex,
    items: Vec<ManifestItem>,
    /// Each item's layers as described once (media type and digest: a
    /// compressed layer of unknown digest is hashed for it), by item.
    described: Mutex<HashMap<usize, Vec<(MediaType, Digest)>>>,
}

impl Archive {
    fn open(r: &ArchiveRef, opts: &TransportOptions) -> Result<Archive> {
        // With an image named after it, the path is said alone: which
        // colon ends it is not plain (`x:y.tar:app:1`).
        // (A missing file's error names its path already.)
        let (file, _) = open_input(&r.path, opts.tmp_dir.as_deref()).map_err(|e| match r.sel {
            _ if e.kind() == crate::error::Kind::NotFound => e,
            Selector::Only => e,
            _ => e.context(format!("file {}", r.path.display())),
        })?;
        let index = TarIndex::scan(file)?;
        if index.get(MANIFEST_JSON).is_none() {
            return Err(Error::new(
                "not a docker-archive: it has no manifest.json (docker save writes one)",
            ));
        }
        let bytes = index.read_small(MANIFEST_JSON, MAX_MANIFEST_SIZE)?;
        let invalid =
            |e: &dyn std::fmt::Display| Error::new(format!("manifest.json is invalid: {e}"));
        // (each entry an object: serde would take a struct's fields from an
        // array too, where Docker and skopeo refuse it)
        let items = serde_json::from_slice::<Vec<Value>>(&bytes)
            .map_err(|e| invalid(&e))?
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v.is_object() {
                true => serde_json::from_value::<ManifestItem>(v).map_err(|e| invalid(&e)),
                false => Err(invalid(&format!("entry {} is not a JSON object", i + 1))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Archive {
            index,
            items,
            described: Mutex::default(),
        })
    }

    fn tags_of(item: &ManifestItem) -> &[String] {
        item.repo_tags.as_deref().unwrap_or(&[])
    }

    /// The manifest.json entry `sel` names.
    fn select(&self, sel: &Selector) -> Result<usize> {
        let n = self.items.len();
        match sel {
            Selector::Only => match n {
                1 => Ok(0),
                0 => Err(Error::new("the archive holds no image")),
                _ => {
                    let list: Vec<String> = self
                        .items
                        .iter()
                        .enumerate()
                        .map(|(i, it)| match Self::tags_of(it) {
                            [] => format!("@{i} (untagged)"),
                            tags => format!("@{i} {}", tags.join(" ")),
                        })
                        .collect();
                    Err(Error::new(format!(
                        "the archive holds {n} images ({}); choose one with :@N or :NAME:TAG",
                        list.join(", ")
                    )))
                }
            },
            Selector::Index(i) if *i < n => Ok(*i),
            Selector::Index(i) => Err(Error::not_found(format!(
                "no image @{i}: the archive holds {n} image{} (@0 to @{})",
                if n == 1 { "" } else { "s" },
                n.saturating_sub(1)
            ))),
            Selector::Name(want) => {
                let found: Vec<usize> = (0..n)
                    .filter(|&i| {
                        Self::tags_of(&self.items[i]).iter().any(|t| {
                            DockerRef::parse(t).is_ok_and(|r| r.with_default_tag() == *want)
                        })
                    })
                    .collect();
                match found.as_slice() {
                    [i] => Ok(*i),
                    [] => {
                        let all: Vec<&str> = self
                            .items
                            .iter()
                            .flat_map(|it| Self::tags_of(it).iter().map(String::as_str))
                            .collect();
                        Err(Error::not_found(format!(
                            "no image named {} in the archive (it has: {})",
                            want.familiar(),
                            if all.is_empty() {
                                "no tags".to_string()
                            } else {
                                all.join(", ")
                            }
                        )))
                    }
                    many => Err(Error::new(format!(
                        "{} images are named {}; choose one with :@N ({})",
                        many.len(),
                        want.familiar(),
                        many.iter()
                            .map(|i| format!("@{i}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            }
        }
    }
}

/// Reads one image of an archive.
pub struct ArchiveSource {
    archive: Arc<Archive>,
    manifest: RawManifest,
    config: Vec<u8>,
    config_digest: Digest,
    layers: HashMap<Digest, TarEntry>,
    repo_tags: Vec<String>,
}

/// The Docker v2s2 manifest lade synthesizes for a saved image: compact,
/// fields in skopeo's order (mediaType, size, digest), so the bytes match
/// skopeo's but for the honest layer media type. Shared by the daemon source.
pub(crate) fn synthesize_manifest(
    config: &[u8],
    config_digest: &Digest,
    layers: &[(MediaType, u64, Digest)],
) -> Result<RawManifest> {
    let m = crate::model::Manifest {
        schema_version: 2,
        media_type: Some(MediaType::DockerManifest),
        artifact_type: None,
        config: Descriptor::new(
            MediaType::DockerConfig,
            config_digest.clone(),
            config.len() as u64,
        ),
        layers: layers
            .iter()
            .map(|(mt, size, digest)| Descriptor::new(mt.clone(), digest.clone(), *size))
            .collect(),
        subject: None,
        annotations: None,
        extra: Default::default(),
    };
    RawManifest::from_bytes(m.to_bytes(), Some(&MediaType::DockerManifest))
}

impl ArchiveSource {
    fn new(archive: Arc<Archive>, sel: &Selector) -> Result<ArchiveSource> {
        let i = archive.select(sel)?;
        let (index, item) = (&archive.index, &archive.items[i]);
        let config = index
            .read_small(&item.config, MAX_MANIFEST_SIZE)
            .context("manifest.json Config")?;
        let config_digest = Digest::of_bytes(&config);
        let parsed = ImageConfig::parse(&config)
            .map_err(|e| Error::new(format!("the image config {:?}: {e}", item.config)))?;
        let diff_ids = &parsed.rootfs.diff_ids;
        if diff_ids.len() != item.layers.len() {
            return Err(Error::new(format!(
                "manifest.json lists {} layers but the config has {} diff_ids",
                item.layers.len(),
                diff_ids.len()
            )));
        }
        let known = archive.described.lock().unwrap().get(&i).cloned();
        let mut descs: Vec<(MediaType, u64, Digest)> = Vec::new();
        let mut layers = HashMap::new();
        for (n, (path, diff_id)) in item.layers.iter().zip(diff_ids).enumerate() {
            let e = index
                .resolve(path)
                .with_context(|| format!("manifest.json layer {n}"))?
                .clone();
            let (mt, digest) = match known.as_ref().and_then(|k| k.get(n)) {
                Some(k) => k.clone(),
                None => Self::describe_layer(index, item, &e, diff_id)
                    .with_context(|| format!("layer {n} {path:?}"))?,
            };
            descs.push((mt, e.size, digest.clone()));
            layers.insert(digest, e);
        }
        if known.is_none() {
            let d = descs
                .iter()
                .map(|(m, _, d)| (m.clone(), d.clone()))
                .collect();
            archive.described.lock().unwrap().insert(i, d);
        }
        let manifest = synthesize_manifest(&config, &config_digest, &descs)?;
        let repo_tags = item.repo_tags.clone().unwrap_or_default();
        Ok(ArchiveSource {
            archive,
            manifest,
            config,
            config_digest,
            layers,
            repo_tags,
        })
    }

    /// Media type and digest of one layer member (see the module docs).
    fn describe_layer(
        index: &TarIndex,
        item: &ManifestItem,
        e: &TarEntry,
        diff_id: &Digest,
    ) -> Result<(MediaType, Digest)> {
        // `blobs/<alg>/<hex>` names the digest of its bytes (Docker 25+).
        let named = e
            .name
            .strip_prefix("blobs/")
            .and_then(|r| r.split_once('/'))
            .and_then(|(alg, hex)| Digest::parse(&format!("{alg}:{hex}")).ok());
        let mt = match index.sniff(e)? {
            Compression::None => {
                if let Some(d) = named.filter(|d| d != diff_id) {
                    return Err(Error::new(format!(
                        "the member is stored as blob {d} but is not compressed, so it \
                         should be its diff_id {diff_id}"
                    )));
                }
                return Ok((MediaType::parse(DOCKER_LAYER), diff_id.clone()));
            }
            Compression::Gzip => MediaType::DockerLayerGzip,
            Compression::Zstd => MediaType::OciLayerZstd,
        };
        let listed = item
            .layer_sources
            .as_ref()
            .and_then(|s| s.get(&diff_id.to_string()))
            .and_then(|v| serde_json::from_value::<Descriptor>(v.clone()).ok())
            .filter(|d| d.size == e.size)
            .map(|d| d.digest);
        let digest = match listed.or(named) {
            Some(d) => d,
            None => Digest::of_reader(Algorithm::Sha256, &mut index.open(e))?.0,
        };
        Ok((mt, digest))
    }
}

impl ImageSource for ArchiveSource {
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        match instance {
            None => Ok(self.manifest.clone()),
            Some(d) if *d == self.manifest.digest => Ok(self.manifest.clone()),
            Some(d) => Err(Error::not_found(format!(
                "{d}: a docker-archive image has a single manifest, no index"
            ))),
        }
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        if desc.digest == self.config_digest {
            return Ok((Box::new(&self.config[..]), Some(self.config.len() as u64)));
        }
        match self.layers.get(&desc.digest) {
            Some(e) => Ok((Box::new(self.archive.index.open(e)), Some(e.size))),
            None => Err(Error::not_found(format!(
                "blob {}: not part of this image",
                desc.digest
            ))),
        }
    }

    fn concurrent_reads(&self) -> bool {
        true
    }

    fn repo_tags(&self) -> Vec<String> {
        self.repo_tags.clone()
    }
}

/// One entry of the manifest.json being written.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ItemOut {
    config: String,
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

struct DestState {
    /// None once the destination failed or was committed.
    out: Option<TarOutput>,
    failed: Option<String>,
    /// Layers written: digest → (size, member path).
    blobs: HashMap<Digest, (u64, String)>,
    /// Configs written, kept for the legacy metadata.
    configs: HashMap<Digest, Vec<u8>>,
    legacy_written: HashSet<String>,
    items: Vec<ItemOut>,
    by_config: HashMap<Digest, usize>,
    repositories: BTreeMap<String, BTreeMap<String, String>>,
}

/// Writes images into a new archive.
pub struct ArchiveDest {
    /// NAME:TAG of the destination plus additional tags: the first image's names.
    first_names: Vec<DockerRef>,
    tmp_dir: Option<PathBuf>,
    /// Gzip layers may be stored as they are (the archive is for `docker
    /// load`, which decompresses them; Docker checks their diff_ids).
    compressed_layers: bool,
    state: Mutex<DestState>,
}

impl ArchiveDest {
    fn new(r: &ArchiveRef, opts: &TransportOptions) -> Result<ArchiveDest> {
        let mut first_names = Vec::new();
        match &r.sel {
            Selector::Only => {}
            Selector::Name(n) => first_names.push(n.clone()),
            Selector::Index(_) => {
                return Err(Error::new(
                    "@N selects an image to read; name the image to write as :NAME:TAG",
                ))
            }
        }
        for t in &opts.additional_tags {
            first_names.push(tag_ref(t)?);
        }
        // A link to a pipe or a device (/dev/stdout, >(…)) is written
        // through, and so is one to an empty file (/dev/stdout of
        // `> app.tar`), as skopeo writes it; one to nothing is refused.
        let link = fs::symlink_metadata(&r.path).is_ok_and(|m| m.file_type().is_symlink());
        let out = match fs::metadata(&r.path) {
            Ok(m) if m.is_file() && m.len() > 0 => return Err(Error::new(crate::archive::EXISTS)),
            Ok(m) if m.is_file() && link => TarOutput::through(&r.path)?,
            Err(_) if link => return Err(Error::new(
                "a symbolic link to nothing; lade writes an archive as a new file, not through a dangling link",
            )),
            _ => TarOutput::create(&r.path)?,
        };
        Ok(Self::with_output(out, first_names, opts, false))
    }

    /// An archive streamed into `w` (a pipe to `docker load`), its first
    /// image named `first_names`. Gzip layers are kept as they are (the
    /// loader decompresses them). Dropped without commit, the archive
    /// ends truncated.
    pub fn to_writer(
        w: Box<dyn io::Write + Send>,
        first_names: Vec<DockerRef>,
        opts: &TransportOptions,
    ) -> ArchiveDest {
        Self::with_output(
            TarOutput::to_writer(w, "the image stream"),
            first_names,
            opts,
            true,
        )
    }

    fn with_output(
        out: TarOutput,
        first_names: Vec<DockerRef>,
        opts: &TransportOptions,
        compressed_layers: bool,
    ) -> Self {
        ArchiveDest {
            first_names,
            tmp_dir: opts.tmp_dir.clone(),
            compressed_layers,
            state: Mutex::new(DestState {
                out: Some(out),
                failed: None,
                blobs: HashMap::new(),
                configs: HashMap::new(),
                legacy_written: HashSet::new(),
                items: Vec::new(),
                by_config: HashMap::new(),
                repositories: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, DestState>> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = &st.failed {
            return Err(Error::new(format!(
                "the archive is unusable after an earlier failure: {f}"
            )));
        }
        Ok(st)
    }

    fn staging_file(&self) -> Result<File> {
        crate::fsutil::scratch_file(self.tmp_dir.as_deref(), "to stage a blob")
    }

    /// Store a layer; returns its digest and size.
    /// Stage a layer whose size or digest is not known yet in a temp file,
    /// hashing on the way. Runs without the archive lock, so several layers
    /// can be decompressed and staged at once while another is appended.
    fn stage_layer(
        &self,
        reader: &mut dyn Read,
        expected: &BlobInfo,
    ) -> Result<(Digest, u64, File)> {
        let alg = expected
            .digest
            .as_ref()
            .map_or(Algorithm::Sha256, Digest::algorithm);
        let mut w = HashingWriter::new(self.staging_file()?, alg);
        copy_buffered(reader, &mut w).context("staging a layer")?;
        let (digest, size, mut file) = w.finish();
        if let Some(d) = &expected.digest {
            if *d != digest {
                return Err(Error::new(format!(
                    "blob {d}: content hashes to {digest} (digest mismatch)"
                )));
            }
        }
        if let Some(s) = expected.size {
            if s != size {
                return Err(Error::new(format!(
                    "blob {digest}: got {size} bytes, expected {s}"
                )));
            }
        }
        file.seek(SeekFrom::Start(0))?;
        Ok((digest, size, file))
    }

    fn put_layer(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<(Digest, u64)> {
        if let (Some(d), Some(size)) = (&expected.digest, expected.size) {
            let mut st = self.lock()?;
            if st.blobs.contains_key(d) {
                return Ok((d.clone(), size));
            }
            let name = format!("{}.tar", d.hex());
            let mut v = VerifyingReader::new(reader, d, Some(size));
            write_entry(&mut st, |out| out.append_file(&name, size, &mut v))?;
            st.blobs.insert(d.clone(), (size, name));
            return Ok((d.clone(), size));
        }
        let (digest, size, mut file) = self.stage_layer(reader, expected)?;
        let mut st = self.lock()?;
        if !st.blobs.contains_key(&digest) {
            let name = format!("{}.tar", digest.hex());
            write_entry(&mut st, |out| out.append_file(&name, size, &mut file))?;
            st.blobs.insert(digest.clone(), (size, name));
        }
        Ok((digest, size))
    }

    /// The legacy `<id>/` directories of one image; returns the top layer's id.
    fn write_legacy(
        st: &mut DestState,
        layers: &[(Digest, String)],
        config_digest: &Digest,
        config: &[u8],
    ) -> Result<Option<String>> {
        let config_json: Map<String, Value> = serde_json::from_slice(config).unwrap_or_default();
        let mut chain: Option<Digest> = None;
        let mut parent: Option<String> = None;
        for (n, (digest, path)) in layers.iter().enumerate() {
            let chain_id = match &chain {
                None => digest.clone(),
                Some(c) => Digest::of_bytes(format!("{c} {digest}").as_bytes()),
            };
            let top = n + 1 == layers.len();
            // An id per (layer chain), and per config for the top layer.
            let seed = if top {
                format!("lade docker-archive v1 {chain_id} {config_digest}")
            } else {
                format!("lade docker-archive v1 {chain_id}")
            };
            let id = Digest::of_bytes(seed.as_bytes()).hex().to_string();
            if !st.legacy_written.contains(&id) {
                let mut json = Map::new();
                json.insert("id".into(), Value::String(id.clone()));
                if let Some(p) = &parent {
                    json.insert("parent".into(), Value::String(p.clone()));
                }
                if top {
                    for k in [
                        "architecture",
                        "config",
                        "container",
                        "container_config",
                        "created",
                        "docker_version",
                        "os",
                    ] {
                        if let Some(v) = config_json.get(k) {
                            json.insert(k.into(), v.clone());
                        }
                    }
                }
                let json = serde_json::to_vec(&json)?;
                write_entry(st, |out| {
                    out.append_symlink(&format!("{id}/layer.tar"), &format!("../{path}"))?;
                    out.append_bytes(&format!("{id}/VERSION"), b"1.0")?;
                    out.append_bytes(&format!("{id}/json"), &json)
                })?;
                st.legacy_written.insert(id.clone());
            }
            chain = Some(chain_id);
            parent = Some(id);
        }
        Ok(parent)
    }
}

/// Parse a name for RepoTags: a Docker reference with a tag (`:latest`
/// added when missing), no digest.
pub(crate) fn tag_ref(s: &str) -> Result<DockerRef> {
    let r = DockerRef::parse(s)?.with_default_tag();
    if r.digest.is_some() {
        return Err(Error::new(format!(
            "{s:?}: an archive records names as NAME:TAG, not digests"
        )));
    }
    Ok(r)
}

/// Run a write on the archive; on failure the destination becomes unusable.
fn write_entry(st: &mut DestState, f: impl FnOnce(&mut TarOutput) -> Result<()>) -> Result<()> {
    let out = st
        .out
        .as_mut()
        .ok_or_else(|| Error::new("archive closed"))?;
    if let Err(e) = f(out) {
        st.failed = Some(e.to_string());
        st.out = None; // removes the temp file
        return Err(e);
    }
    Ok(())
}

impl ImageDestination for ArchiveDest {
    fn properties(&self) -> DestProperties {
        DestProperties {
            manifest_types: vec![MediaType::DockerManifest],
            on_request: Vec::new(),
            required_compression: Some(Compression::None),
            also_keeps: if self.compressed_layers {
                &[Compression::Gzip]
            } else {
                &[]
            },
            // One layer after the other, in the manifest's order: the same
            // image makes the same archive, byte for byte.
            concurrent_writes: false,
            preserves_digests: false,
            external_layers: false,
        }
    }

    fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<Reused>> {
        let Some(digest) = &info.digest else {
            return Ok(None);
        };
        let st = self.lock()?;
        let size = match (st.blobs.get(digest), st.configs.get(digest)) {
            (Some((size, _)), _) => *size,
            (None, Some(c)) => c.len() as u64,
            (None, None) => return Ok(None),
        };
        if info.size.is_some_and(|s| s != size) {
            return Ok(None);
        }
        Ok(Some(
            Descriptor::new(info.media_type.clone(), digest.clone(), size).into(),
        ))
    }

    fn put_blob(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<Descriptor> {
        let mt = &expected.media_type;
        let is_config = mt.is_config() || (!mt.is_layer() && mt.as_str().ends_with("json"));
        if !is_config {
            let (digest, size) = self.put_layer(reader, expected)?;
            // Under the type it is read back as: an archive names no
            // media types, and knows a layer by its bytes alone (a
            // foreign layer is an ordinary one there, as in docker save).
            let read_as = match mt.layer_compression() {
                Some(Compression::None) => MediaType::parse(DOCKER_LAYER),
                Some(Compression::Gzip) => MediaType::DockerLayerGzip,
                _ => mt.clone(),
            };
            return Ok(Descriptor::new(read_as, digest, size));
        }
        let mut st = self.lock()?;
        let (digest, size) = {
            let bytes = match expected.size {
                Some(s) if s > MAX_MANIFEST_SIZE => {
                    return Err(Error::new(format!(
                        "config is {s} bytes, more than the {MAX_MANIFEST_SIZE} byte limit"
                    )))
                }
                _ => read_capped(reader, MAX_MANIFEST_SIZE, "the image config")?,
            };
            let digest = Digest::of_bytes_with(
                expected
                    .digest
                    .as_ref()
                    .map_or(Algorithm::Sha256, Digest::algorithm),
                &bytes,
            );
            if let Some(d) = &expected.digest {
                if *d != digest {
                    return Err(Error::new(format!(
                        "config {d}: content hashes to {digest} (digest mismatch)"
                    )));
                }
            }
            if let Some(s) = expected.size.filter(|&s| s != bytes.len() as u64) {
                return Err(Error::new(format!(
                    "config {digest}: got {} bytes, expected {s}",
                    bytes.len()
                )));
            }
            if !st.configs.contains_key(&digest) {
                write_entry(&mut st, |out| {
                    out.append_bytes(&format!("{}.json", digest.hex()), &bytes)
                })?;
                let size = bytes.len() as u64;
                st.configs.insert(digest.clone(), bytes);
                (digest, size)
            } else {
                (digest, bytes.len() as u64)
            }
        };
        Ok(Descriptor::new(expected.media_type.clone(), digest, size))
    }

    fn put_manifest(
        &self,
        m: &RawManifest,
        instance: Option<&Digest>,
        names: &[String],
    ) -> Result<()> {
        if instance.is_some() || m.media_type != MediaType::DockerManifest {
            return Err(Error::new(format!(
                "a docker-archive holds Docker v2 schema 2 images only, not {}",
                m.media_type
            )));
        }
        let parsed = m.manifest()?;
        let mut st = self.lock()?;
        let config_digest = parsed.config.digest.clone();
        let Some(config) = st.configs.get(&config_digest).cloned() else {
            return Err(Error::new(format!(
                "config {config_digest} was not written before the manifest"
            )));
        };
        let cfg = ImageConfig::parse(&config)
            .map_err(|e| Error::new(format!("the image config: {e}")))?;
        if cfg.rootfs.diff_ids.len() != parsed.layers.len() {
            return Err(Error::new(format!(
                "the manifest has {} layers but the config has {} diff_ids",
                parsed.layers.len(),
                cfg.rootfs.diff_ids.len()
            )));
        }
        let mut layers = Vec::new();
        for (l, diff_id) in parsed.layers.iter().zip(&cfg.rootfs.diff_ids) {
            let Some((_, path)) = st.blobs.get(&l.digest) else {
                return Err(Error::new(format!(
                    "layer {} was not written before the manifest",
                    l.digest
                )));
            };
            let kept_compressed = self.compressed_layers
                && l.media_type.layer_compression() == Some(Compression::Gzip);
            if l.digest != *diff_id && !kept_compressed {
                return Err(Error::new(format!(
                    "layer {} is not the uncompressed layer {diff_id} the config names \
                     (docker-archive layers must be stored uncompressed)",
                    l.digest
                )));
            }
            layers.push((l.digest.clone(), path.clone()));
        }

        // Names: the destination's own (and --additional-tag) for the first
        // image; otherwise the names the copy passes from the source, those
        // that are Docker references with a tag. (A layout's ref name
        // alone, `oci:DIR:1.0`, is a tag, which names no repository: an
        // image under it goes unnamed, as skopeo writes it.)
        let refs: Vec<DockerRef> = if st.items.is_empty() && !self.first_names.is_empty() {
            self.first_names.clone()
        } else {
            names
                .iter()
                .filter_map(|n| {
                    tag_ref(n)
                        .ok()
                        .filter(|_| DockerRef::parse(n).is_ok_and(|r| r.tag.is_some()))
                })
                .collect()
        };

        let top = Self::write_legacy(&mut st, &layers, &config_digest, &config)?;
        let idx = match st.by_config.get(&config_digest) {
            Some(&i) => i,
            None => {
                st.items.push(ItemOut {
                    config: format!("{}.json", config_digest.hex()),
                    repo_tags: Vec::new(),
                    layers: layers.iter().map(|(_, p)| p.clone()).collect(),
                });
                let i = st.items.len() - 1;
                st.by_config.insert(config_digest, i);
                i
            }
        };
        for r in refs {
            let tag = r.familiar();
            if !st.items[idx].repo_tags.contains(&tag) {
                st.items[idx].repo_tags.push(tag);
            }
            if let (Some(top), Some(t)) = (&top, &r.tag) {
                let name = DockerRef {
                    tag: None,
                    digest: None,
                    ..r.clone()
                }
                .familiar();
                st.repositories
                    .entry(name)
                    .or_default()
                    .insert(t.clone(), top.clone());
            }
        }
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let mut st = self.lock()?;
        if st.items.is_empty() {
            return Err(Error::new("no image was written; nothing to commit"));
        }
        let manifest = serde_json::to_vec(&st.items)?;
        let repositories = serde_json::to_vec(&st.repositories)?;
        write_entry(&mut st, |out| {
            out.append_bytes(MANIFEST_JSON, &manifest)?;
            out.append_bytes("repositories", &repositories)
        })?;
        let out = st.out.take().ok_or_else(|| Error::new("archive closed"))?;
        out.finish()
    }
}

/// `list-tags docker-archive:DETAILS`, as skopeo's: every image's
/// RepoTags, in manifest.json's order, `@N` for an untagged one (whatever
/// image the name picks). (Not the transport's `list_tags`: sync takes an
/// archive image by image, not by tag.)
pub fn archive_tags(details: &str, opts: &TransportOptions) -> Result<Vec<String>> {
    let archive = ArchiveRef::parse(details)?.open_archive(opts)?;
    // A name that is no NAME:TAG is left out, said once, and one listed
    // twice is listed once, as a registry's tag listing is read.
    let mut seen = std::collections::HashSet::new();
    let mut refused = Vec::new();
    let mut tags = Vec::new();
    for (i, item) in archive.items.iter().enumerate() {
        let named = match Archive::tags_of(item) {
            [] => vec![format!("@{i}")],
            t => t.to_vec(),
        };
        for t in named {
            let valid = t.starts_with('@')
                || crate::model::DockerRef::parse(&t)
                    .is_ok_and(|r| r.tag.is_some() && r.digest.is_none());
            if !valid {
                refused.push(t);
            } else if seen.insert(t.clone()) {
                tags.push(t);
            }
        }
    }
    if let Some(first) = refused.first() {
        crate::error::warn_names_left_out(details, refused.len(), first, "NAME:TAG");
    }
    Ok(tags)
}
