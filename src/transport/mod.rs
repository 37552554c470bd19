//! Transports: where images live, and the contracts copy relies on.
//!
//! An image name is `TRANSPORT:DETAILS` with skopeo's syntax. [`parse`]
//! looks the transport up in [`TRANSPORTS`] and hands DETAILS to it.
//!
//! The traits are synchronous and `Send + Sync`: copy may call `get_blob`
//! and `put_blob` from several threads when the source says
//! `concurrent_reads()` and the destination `concurrent_writes`.

pub mod daemon;
pub mod dir;
pub mod docker_archive;
pub mod oci_archive;
pub mod oci_layout;
pub mod registry;
pub(crate) mod socket;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};
use crate::model::{Compression, Descriptor, Digest, MediaType, Platform, RawManifest};

/// Settings a transport may need to open a source or destination. Each
/// transport reads the fields that concern it and ignores the rest.
#[derive(Debug, Clone, Default)]
pub struct TransportOptions {
    /// Extra names for the image, for destinations that record names
    /// (docker-archive RepoTags). Docker reference syntax.
    pub additional_tags: Vec<String>,
    /// Temp directory for transports that must stage data (compressed
    /// archives); default: the system's.
    pub tmp_dir: Option<PathBuf>,
    /// docker:// settings for sources (and inspect, list-tags, delete).
    pub src_registry: registry::RegistryOptions,
    /// docker:// settings for destinations.
    pub dest_registry: registry::RegistryOptions,
    /// Docker Engine address for `docker-daemon:` sources
    /// (`--src-daemon-host`); None: `DOCKER_HOST`, else the default socket.
    pub src_daemon_host: Option<String>,
    /// The option `src_daemon_host` came from, for messages (inspect's
    /// `--daemon-host`); empty: `--src-daemon-host`.
    pub src_daemon_flag: &'static str,
    /// The same for `docker-daemon:` destinations (`--dest-daemon-host`).
    pub dest_daemon_host: Option<String>,
    /// `oci:` sources (and inspect, delete): blobs in this directory, which
    /// layouts share, not in the layout's `blobs/` (`--src-shared-blob-dir`).
    pub src_shared_blob_dir: Option<PathBuf>,
    /// The same for `oci:` destinations (`--dest-shared-blob-dir`).
    pub dest_shared_blob_dir: Option<PathBuf>,
}

/// A blob download broken midway and continued where it stopped (a
/// registry's `Range` GET): `offset` bytes were had, `resume` counts the
/// resumes of this download, `error` is what broke it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    pub offset: u64,
    pub resume: u32,
    pub error: String,
}

thread_local! {
    /// The resumes said on this thread since [`take_resumed`] last ran.
    /// A resume happens inside a `read` of the blob's reader, so the
    /// reader that counts the blob's bytes (the copy's progress), calling
    /// that `read` on the same thread, takes them after it.
    static RESUMED: std::cell::RefCell<Vec<Resumed>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Say that a blob download was resumed (see [`take_resumed`]).
pub fn note_resumed(r: Resumed) {
    RESUMED.with(|v| v.borrow_mut().push(r));
}

/// The resumes said on this thread since the last call.
pub fn take_resumed() -> Vec<Resumed> {
    RESUMED.with(|v| std::mem::take(&mut *v.borrow_mut()))
}

/// A parsed image name within one transport.
pub trait ImageReference: Send + Sync + fmt::Display {
    /// The transport's name, as in [`TRANSPORTS`].
    fn transport(&self) -> &'static str;

    /// The image's name in Docker reference syntax, if the name carries
    /// one (`docker-archive:x.tar:app:1` → `app:1`). Used to name images
    /// in destinations that hold several.
    fn docker_reference(&self) -> Option<String> {
        None
    }

    /// The scopes of a signature policy (containers-policy.json) this
    /// image falls under, most specific first, the transport's default
    /// (`""`) left out ([`crate::copy::policy`]). Default: none.
    fn policy_scopes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Does the name stand for the image with every name it carries (an
    /// `--all-images` item of a docker-archive, whose RepoTags all go
    /// along), rather than for [`Self::docker_reference`] alone?
    fn every_name(&self) -> bool {
        false
    }

    /// The tag (registry) or ref name (layout) this name carries, if any.
    /// Copy uses it to recognise signature and referrer tags
    /// (`sha256-<hex>[.sig|.att|.sbom]`).
    fn tag(&self) -> Option<String> {
        None
    }

    /// Where this image is in the tree of images a sync writes it into
    /// (`dir:` tree `/x`, image `/x/t1:1`: `t1:1`); None when it is in none.
    fn place_in_tree(&self) -> Option<String> {
        None
    }

    /// Does the name pick one image of a place that may hold several (a
    /// tag, a ref name, a Docker name, an archive's `@N`)?
    fn picks_image(&self) -> bool {
        self.tag().is_some() || self.docker_reference().is_some()
    }

    /// Open the image for reading.
    fn source(&self, opts: &TransportOptions) -> Result<Box<dyn ImageSource>>;

    /// Open the image for writing. Nothing is visible at the destination
    /// until [`ImageDestination::commit`]; dropping the destination
    /// without committing leaves the destination as it was (blobs put
    /// into a shared layout may stay, unreferenced).
    fn destination(&self, opts: &TransportOptions) -> Result<Box<dyn ImageDestination>>;

    /// Delete the image.
    fn delete(&self, _opts: &TransportOptions) -> Result<()> {
        // (the caller says which image)
        Err(Error::new(format!(
            "the {} transport cannot delete images",
            self.transport()
        )))
    }

    /// For a sync destination: learn in one request which tags it holds,
    /// so that [`Self::current_digest`] of a tag it lacks answers None
    /// without asking. Best effort: fails only where the destination
    /// refused the credentials ([`Error::is_credentials_refused`]), which no image
    /// written there would get past. Default: nothing (per-tag lookups
    /// are local and cheap).
    fn learn_tags(&self, _opts: &TransportOptions) -> Result<()> {
        Ok(())
    }

    /// The name of what [`list_tags`](Self::list_tags) lists, for messages:
    /// the repository (no tag) where the transport has one.
    fn listing_name(&self) -> String {
        self.to_string()
    }

    /// List the tags of the repository this reference names.
    fn list_tags(&self, _opts: &TransportOptions) -> Result<Vec<String>> {
        Err(Error::unsupported(format!(
            "{}: the {} transport has no tags to list",
            self,
            self.transport()
        )))
    }

    /// The digest of the top-level manifest this name points at, found
    /// cheaply (a registry HEAD, an index.json lookup; for a docker-archive,
    /// the manifest lade makes, from its headers, the work kept for the
    /// copy) without fetching the manifest; Ok(None) when nothing is there. `dest` picks the
    /// destination-side settings (`dest_registry`). Default: an error
    /// (unknown) — `sync` then copies instead of skipping.
    fn current_digest(&self, _opts: &TransportOptions, _dest: bool) -> Result<Option<Digest>> {
        Err(Error::new(format!(
            "{}: the {} transport cannot look up digests",
            self,
            self.transport()
        )))
    }

    /// For `sync`: when this name picks one image of its repository,
    /// layout or archive (a tag, a ref name), that image's source name and
    /// a reference to it, and `sync` copies it alone; None when the name
    /// stands for every image. Default: the image [`Self::tag`] names.
    fn one_image(
        &self,
        _opts: &TransportOptions,
    ) -> Result<Option<(String, Box<dyn ImageReference>)>> {
        match self.tag() {
            Some(t) => Ok(Some((t.clone(), self.with_tag(&t)?))),
            None => Ok(None),
        }
    }

    /// A reference to `tag` in the repository (registry), layout or
    /// archive this name is in: for `sync`, each tag [`Self::list_tags`]
    /// gives. Default: unsupported.
    fn with_tag(&self, _tag: &str) -> Result<Box<dyn ImageReference>> {
        Err(Error::unsupported(format!(
            "{}: the {} transport has no tags",
            self,
            self.transport()
        )))
    }

    /// Can destinations of this transport hold signatures and referrers:
    /// manifests put by digest ([`ImageDestination::put_referrer`]) and by
    /// tag ([`ImageDestination::put_tagged_manifest`]) beside the image?
    /// Known without opening anything, so `sync` can decide before it
    /// lists. Default: no.
    fn holds_referrers(&self) -> bool {
        false
    }

    /// Does a source of this transport keep referrers as index.json
    /// entries without a name (a layout, an archive of one), where a sync
    /// cannot list them as tags, as it lists a registry's `sha256-HEX`
    /// tags? Default: no.
    fn untagged_referrers(&self) -> bool {
        false
    }

    /// Can destinations of this transport hold several images (one per
    /// top-level manifest put)? Known without opening anything, so a copy
    /// of several refuses before it writes. Default: no.
    fn holds_several(&self) -> bool {
        false
    }

    /// The [`ImageDestination::properties`] a destination opened here
    /// would have, where they are known without opening it (`sync` asks,
    /// for images it wrote changed). Default: not known.
    fn dest_properties(&self) -> Option<DestProperties> {
        None
    }

    /// Where `sync` writes the image it read from a source named `image`
    /// (a Docker reference such as `registry:5000/team/app:1`, when the
    /// source has one), under `tag`. Default: [`Self::with_tag`] — a
    /// repository or layout takes the tag; a tree of image directories
    /// (`dir:`) makes one directory per image. A transport that names
    /// images but cannot take many writers (an archive) refuses here.
    fn sync_target(&self, _image: Option<&str>, tag: &str) -> Result<Box<dyn ImageReference>> {
        self.with_tag(tag).map_err(|e| match e.kind() {
            Kind::Unsupported => cannot_sync_into(self),
            _ => e,
        })
    }

    /// For `sync`: [`Self::all_images`], an image that goes by several
    /// names once under each (a docker-archive image saved as `app:1` and
    /// `app:latest` is synced as both).
    fn images_by_name(&self, opts: &TransportOptions) -> Result<Vec<Box<dyn ImageReference>>> {
        self.all_images(opts)
    }

    /// For sources holding several images (multi-image archives, layouts):
    /// a reference to each, in order. Default: unsupported.
    fn all_images(&self, _opts: &TransportOptions) -> Result<Vec<Box<dyn ImageReference>>> {
        Err(Error::unsupported(format!(
            "{}: the {} transport holds one image per name",
            self,
            self.transport()
        )))
    }
}

/// The refusal of a `sync` destination that cannot take its images.
pub fn cannot_sync_into(r: &(impl ImageReference + ?Sized)) -> Error {
    Error::unsupported(format!(
        "{r}: sync cannot write to {}: (it writes to docker://, oci: or dir:)",
        r.transport()
    ))
}

/// A readable image.
pub trait ImageSource: Send + Sync {
    /// The top-level manifest (`instance` None) or, for an index, the
    /// child manifest with that digest. The bytes are exact; the returned
    /// digest is theirs.
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest>;

    /// A blob's bytes and its size if known. The caller verifies digest
    /// and size; the source need not.
    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)>;

    /// The blob as a whole local file, when the source keeps it so (an OCI
    /// layout); lets a local destination link instead of copying.
    fn local_blob_path(&self, _desc: &Descriptor) -> Option<PathBuf> {
        None
    }

    /// A blob's size and the compression its first bytes show, where the
    /// source tells them without the whole blob being read (a registry's
    /// ranged GET, a file); None where it cannot. Hints: the copy checks
    /// the bytes it reads against the digest.
    fn blob_start(&self, desc: &Descriptor) -> Result<Option<(u64, Compression)>> {
        let Some(Ok(mut f)) = self.local_blob_path(desc).map(std::fs::File::open) else {
            return Ok(None);
        };
        let size = f.metadata()?.len();
        Ok(Some((size, crate::compress::sniff_start(&mut f)?.0)))
    }

    /// How often a blob read whole by itself (a config) that fails on the
    /// way is asked for again: --retry-times for a registry, none for
    /// local sources.
    fn retries(&self) -> crate::transport::registry::Retries {
        Default::default()
    }

    /// May `get_blob` be called from several threads at once, profitably?
    fn concurrent_reads(&self) -> bool {
        false
    }

    /// How many blobs are worth reading at once when waiting, not CPU,
    /// bounds them (network round trips, a server's disk); 0: as many as
    /// there are CPUs.
    fn parallel_transfers(&self) -> usize {
        0
    }

    /// Names the source records for this image (docker-archive RepoTags).
    fn repo_tags(&self) -> Vec<String> {
        Vec::new()
    }

    /// The manifest tagged `tag` in the repository or layout this image is
    /// in (cosign's `sha256-<hex>.sig` attachments, the referrers tag
    /// schema's `sha256-<hex>` index), exact bytes, at most 4 MiB;
    /// Ok(None) when there is no such tag. Default: none.
    fn manifest_by_tag(&self, _tag: &str) -> Result<Option<RawManifest>> {
        Ok(None)
    }

    /// The OCI 1.1 referrers of the manifest `subject` in the repository
    /// or layout this image is in: descriptors of manifests whose `subject`
    /// is that manifest (with `artifactType` and annotations where known).
    /// Registries answer from the referrers API, or when that answers 404
    /// from the tag-schema fallback index (returned too, exact bytes, so a
    /// copy can keep its digest); layouts from the manifests their
    /// index.json lists. Default: none.
    fn referrers(&self, _subject: &Digest) -> Result<Referrers> {
        Ok(Referrers::default())
    }

    /// Some for sources that deliver their image only as one sequential
    /// stream (the Docker Engine's export): copy then uses
    /// [`StreamedSource::stream`] instead of `get_manifest`/`get_blob`.
    fn streamed(&self) -> Option<&dyn StreamedSource> {
        None
    }

    /// What the source holds of the image that no copy carries (skopeo's
    /// simple-signing signature files in a dir: image), said as a copy
    /// starts. Default: nothing.
    fn left_behind(&self) -> Option<String> {
        None
    }
}

/// What a destination did with a referrer
/// ([`ImageDestination::put_referrer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referred {
    /// Stored; the caller records it in the tag-schema index.
    Stored,
    /// Found by its subject at the destination, which did not hold it
    /// (or cannot tell: a registry's referrers API).
    IndexedNew,
    /// Found by its subject at the destination, which held it already.
    IndexedAlready,
}

/// What [`ImageSource::referrers`] found.
#[derive(Debug, Clone, Default)]
pub struct Referrers {
    pub descriptors: Vec<Descriptor>,
    /// The tag-schema index (`sha256-<hex>`) they came from, if they did.
    pub fallback_index: Option<RawManifest>,
}

/// A source whose blobs arrive as one stream, in an order it does not
/// choose, with the manifest known only at the end (`docker save` puts
/// `manifest.json` last). The image is Docker v2 schema 2 with
/// uncompressed layers whose digests are the config's diff_ids.
///
/// The copy hands each layer to the destination as it arrives: the
/// destination is where a layer waits until its position is known
/// (destinations take blobs in any order before the manifest), so nothing
/// is staged by lade and each byte is read once.
pub trait StreamedSource: Send + Sync {
    /// Known before streaming: the config digest (the image ID).
    fn config_digest(&self) -> &Digest;

    /// Known before streaming: the diff_ids, bottom layer first.
    fn diff_ids(&self) -> &[Digest];

    /// Known before streaming: the platform the image is for, where the
    /// source says (for `--platform`, checked before anything is written).
    fn platform(&self) -> Option<&Platform> {
        None
    }

    /// Stream the image once. `on_layer` is called once per distinct
    /// layer, in stream order; it must read the reader to its end and
    /// return the digest of the bytes read, or fail (the stream is then
    /// abandoned). The reader fails rather than end short of `size`. The
    /// source checks each returned digest is one of [`Self::diff_ids`],
    /// that all were delivered and that the config hashes to
    /// [`Self::config_digest`]; it returns the manifest (layer digests =
    /// diff_ids, sizes as streamed) and the config bytes.
    fn stream(
        &self,
        on_layer: &mut dyn FnMut(StreamedLayer<'_>) -> Result<Digest>,
    ) -> Result<StreamedImage>;
}

/// One layer of a [`StreamedSource`], uncompressed.
pub struct StreamedLayer<'a> {
    /// Where it is in the stream (for messages).
    pub name: &'a str,
    pub size: u64,
    /// The digest the stream names it by, if any (unverified).
    pub named: Option<Digest>,
    pub reader: &'a mut dyn Read,
}

/// What a [`StreamedSource`] knows at the end of its stream.
pub struct StreamedImage {
    pub manifest: RawManifest,
    pub config: Vec<u8>,
}

/// What a destination can hold; copy plans with these and never asks
/// which transport it is writing to.
#[derive(Debug, Clone)]
pub struct DestProperties {
    /// Manifest media types accepted, preferred first. Index types among
    /// them mean the destination can hold a multi-image index.
    pub manifest_types: Vec<MediaType>,
    /// Manifest media types held too, but only when the user asks for
    /// them (`--format`, or `--preserve-digests` of an image of that
    /// type): an OCI layout can hold Docker manifests, and converts them
    /// to OCI otherwise, as skopeo does.
    pub on_request: Vec<MediaType>,
    /// Layer compression the destination wants: None keeps what the source has.
    pub required_compression: Option<Compression>,
    /// Layer compressions kept as the source has them although
    /// `required_compression` is set, unless the user names a compression
    /// (`docker load` decompresses gzip layers itself).
    pub also_keeps: &'static [Compression],
    /// May `put_blob` be called from several threads at once?
    pub concurrent_writes: bool,
    /// Does the destination keep manifest bytes as given (so digests can
    /// be preserved)? False when it re-authors them (docker-archive).
    pub preserves_digests: bool,
    /// Does the destination take a layer with URLs by its descriptor
    /// alone, its readers fetching it from there (a registry, an OCI
    /// layout or archive)? Else it holds every layer's bytes.
    pub external_layers: bool,
}

impl DestProperties {
    /// A destination that takes every manifest type and layer as it is
    /// (a registry, a `dir:` image), holding every layer's bytes.
    pub fn as_they_are() -> DestProperties {
        DestProperties {
            manifest_types: vec![
                MediaType::OciManifest,
                MediaType::DockerManifest,
                MediaType::OciIndex,
                MediaType::DockerList,
            ],
            on_request: Vec::new(),
            required_compression: None,
            also_keeps: &[],
            concurrent_writes: true,
            preserves_digests: true,
            external_layers: false,
        }
    }

    /// The manifest types the destination takes for a copy that asks for
    /// the types `asked` says yes to: [`Self::manifest_types`], then
    /// those of [`Self::on_request`].
    pub fn types_for(&self, asked: impl Fn(&MediaType) -> bool) -> Vec<MediaType> {
        let mut v = self.manifest_types.clone();
        v.extend(self.on_request.iter().filter(|t| asked(t)).cloned());
        v
    }

    /// Can the destination hold a multi-image index?
    pub fn holds_index(&self) -> bool {
        self.manifest_types.iter().any(|t| t.is_index())
    }
}

/// A blob a destination has without this copy sending it: what
/// [`ImageDestination::try_reuse_blob`] found.
#[derive(Debug, Clone)]
pub struct Reused {
    pub desc: Descriptor,
    /// The repository the lookup mounted the blob from (a registry's
    /// cross-repository mount, no bytes sent); None when it was there.
    pub mounted_from: Option<String>,
}

impl From<Descriptor> for Reused {
    fn from(desc: Descriptor) -> Self {
        Reused {
            desc,
            mounted_from: None,
        }
    }
}

/// A writable image location.
pub trait ImageDestination: Send + Sync {
    fn properties(&self) -> DestProperties;

    /// If the destination already has this blob (`info.digest`, always
    /// Some here; `info.size` may be None when only the digest is known,
    /// e.g. an uncompressed layer known by its diff_id), or can get it
    /// without the bytes (a registry's cross-repository mount), return the
    /// descriptor of what it has and how; copy then skips the blob.
    fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<Reused>>;

    /// How many blobs are worth writing at once when waiting, not CPU,
    /// bounds them (see [`ImageSource::parallel_transfers`]); 0: as many
    /// as there are CPUs.
    fn parallel_transfers(&self) -> usize {
        0
    }

    /// Where this destination keeps blobs, as a name unique in the
    /// process (e.g. registry host and repository), when writing one blob
    /// there twice at once is to be avoided: copy then lets one writer of
    /// a digest go at a time, and the others find the blob present.
    fn blob_scope(&self) -> Option<String> {
        None
    }

    /// Store a blob from `reader`. When `expected.digest`/`size` are known
    /// they MUST be verified (no more than size + 1 bytes are read) and on
    /// any failure nothing partial may remain. When the digest is unknown
    /// (recompressed data) it is computed. Returns what was stored.
    fn put_blob(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<Descriptor>;

    /// Store a blob from a local file by linking it, verifying digest and
    /// size. Ok(None) when this destination or this file cannot be linked;
    /// copy then falls back to `put_blob`.
    fn put_blob_from_path(&self, _path: &Path, _expected: &BlobInfo) -> Result<Option<Descriptor>> {
        Ok(None)
    }

    /// Store a manifest. `instance` None: the top-level manifest of the
    /// image being copied; it completes that image, named by the
    /// destination reference plus `names` (Docker references). Some(d): a
    /// child of an index, put before the index.
    fn put_manifest(
        &self,
        m: &RawManifest,
        instance: Option<&Digest>,
        names: &[String],
    ) -> Result<()>;

    /// Refuse now, before anything is written, `names` the next image
    /// could not be stored under (see [`ImageDestination::put_manifest`]).
    fn check_names(&self, _names: &[String]) -> Result<()> {
        Ok(())
    }

    /// Does the destination already hold the manifest with this digest
    /// (for `--multi-arch index-only`)? Default: no, as a destination
    /// written whole (dir:, oci-archive:) holds nothing of what it had.
    fn has_manifest(&self, _digest: &Digest) -> Result<bool> {
        Ok(false)
    }

    /// Store a referrer manifest (one with a `subject`; its blobs are
    /// already put) by digest, exact bytes. `desc` describes it as a
    /// referrers list would (artifactType, annotations). Says whether the
    /// destination itself now finds it by its subject (a registry with
    /// the referrers API answers `OCI-Subject`; a layout lists it in
    /// index.json at commit), and whether that is new there; see
    /// [`Referred`]. Default: unsupported.
    fn put_referrer(&self, _m: &RawManifest, _desc: &Descriptor) -> Result<Referred> {
        Err(Error::new("this destination cannot hold referrers"))
    }

    /// The manifest the destination holds under `tag` in the repository or
    /// layout being written (for merging into a tag-schema index); Ok(None)
    /// when the tag is absent. Default: none.
    fn tagged_manifest(&self, _tag: &str) -> Result<Option<RawManifest>> {
        Ok(None)
    }

    /// Store a manifest (its blobs already put) under `tag` in the
    /// repository or layout being written, beside the image (a layout
    /// names it at commit). Default: unsupported.
    fn put_tagged_manifest(&self, _m: &RawManifest, _tag: &str) -> Result<()> {
        Err(Error::new(
            "this destination cannot hold tagged attachments",
        ))
    }

    /// Make everything put so far visible, atomically where the medium allows.
    fn commit(self: Box<Self>) -> Result<()>;

    /// Does [`commit`](Self::commit) wait for other images' commits to be
    /// written with them (a layout's index.json)? A sync then lets the
    /// next image start meanwhile, so that more are written at once.
    fn commit_is_shared(&self) -> bool {
        false
    }
}

/// What is known about a blob before it is written.
#[derive(Debug, Clone)]
pub struct BlobInfo {
    pub media_type: MediaType,
    pub digest: Option<Digest>,
    pub size: Option<u64>,
}

impl From<&Descriptor> for BlobInfo {
    fn from(d: &Descriptor) -> Self {
        BlobInfo {
            media_type: d.media_type.clone(),
            digest: Some(d.digest.clone()),
            size: Some(d.size),
        }
    }
}

type ParseFn = fn(&str) -> Result<Box<dyn ImageReference>>;

/// Every transport by name.
pub const TRANSPORTS: &[(&str, ParseFn)] = &[
    ("dir", dir::parse),
    ("docker", registry::parse),
    ("docker-daemon", daemon::parse),
    ("docker-archive", docker_archive::parse),
    ("oci", oci_layout::parse),
    ("oci-archive", oci_archive::parse),
];

pub fn transport_names() -> String {
    TRANSPORTS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The transport `name` starts with (`TRANSPORT:`), if it names one:
/// such a name is read as an image name, not a store ref.
pub fn transport_of(name: &str) -> Option<&'static str> {
    let (t, _) = name.split_once(':')?;
    TRANSPORTS.iter().map(|(n, _)| *n).find(|n| *n == t)
}

/// Parse `TRANSPORT:DETAILS`.
pub fn parse(name: &str) -> Result<Box<dyn ImageReference>> {
    // A registry's image named without `docker://` (`HOST[:PORT]/REPO`),
    // not a path (`./x`, `../x`, a directory there).
    let hint = || match name.split_once('/') {
        Some((host, _))
            if (host.contains(['.', ':']) || host == "localhost")
                && !host.starts_with('.')
                && !Path::new(host).exists() =>
        {
            format!(" (did you mean docker://{name}?)")
        }
        _ => String::new(),
    };
    let Some((t, details)) = name.split_once(':') else {
        let hint = match hint() {
            h if !h.is_empty() => h,
            _ => bare_name_hint(name),
        };
        return Err(Error::new(format!(
            "invalid image name {name:?}: expected TRANSPORT:DETAILS; transports: {}{hint}",
            transport_names(),
        )));
    };
    match TRANSPORTS.iter().find(|(n, _)| *n == t) {
        Some((_, f)) => f(details).map_err(|e| e.context(format!("invalid image name {name:?}"))),
        None => {
            let hint = match (near_transport(t), hint()) {
                (Some(n), _) => format!(" (did you mean {n}:{details}?)"),
                (None, h) if !h.is_empty() => h,
                (None, _) => bare_name_hint(name),
            };
            Err(Error::new(format!(
                "invalid image name {name:?}: unknown transport {t:?}; transports: {}{hint}",
                transport_names(),
            )))
        }
    }
}

/// For a name read as something else (a store ref) that begins with a
/// mistyped transport (`ocii:layout:app`): the image name meant,
/// `did you mean oci:layout:app?`, where that one is a name lade reads.
pub fn mistyped_transport_hint(name: &str) -> Option<String> {
    let (t, details) = name.split_once(':')?;
    let n = near_transport(t).filter(|n| *n != t)?;
    let meant = format!("{n}:{details}");
    parse(&meant).ok()?;
    Some(format!("\"{t}\" is no transport; did you mean {meant}?"))
}

/// The transport a mistyped one was meant to be: the same but for case
/// (`OCI`), or one or two letters off (`ocii`, `docker-deamon`,
/// `oci-archiv`, `dokcer`).
fn near_transport(t: &str) -> Option<&'static str> {
    let t = t.to_ascii_lowercase();
    let names = TRANSPORTS.iter().map(|(n, _)| *n);
    if let Some(n) = names.clone().find(|n| *n == t) {
        return Some(n);
    }
    // (not for a long one: the distance table grows as its length)
    if t.chars().count() < 3 || t.len() > 64 {
        return None;
    }
    // (the nearest; of equals, the first)
    names
        .map(|n| (edit_distance(&t, n), n))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance, with a swap of two neighbours counted as one
/// edit (`dokcer`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// A name given without a transport: a file or directory there (the
/// whole name, or what comes before its first `:`, as in `layout:app`)
/// is named with the transports that read one; a registry's image, as
/// `docker pull` takes it (`alpine`, `alpine:3.18`, `team/app`), with
/// `docker://`. A name with a dot before any `:` (`app.tar`) that is no
/// path is neither: a file's name mistyped, most likely.
fn bare_name_hint(name: &str) -> String {
    let path = name.split(':').next().unwrap_or(name);
    let found = std::fs::metadata(name).or_else(|_| std::fs::metadata(path));
    match found {
        Ok(m) if m.is_dir() && path != name => format!(" (did you mean oci:{name}?)"),
        Ok(m) if m.is_dir() => format!(" (a directory: oci:{name} or dir:{name})"),
        Ok(_) => format!(" (a file: docker-archive:{name} or oci-archive:{name})"),
        Err(_) if !path.contains('.') && crate::model::DockerRef::parse(name).is_ok() => {
            format!(" (did you mean docker://{name}?)")
        }
        Err(_) => String::new(),
    }
}

/// Split `PATH[:REST]` at the first ':' (skopeo's rule for oci:, oci-archive:, docker-archive:).
pub fn split_path(details: &str) -> (&str, Option<&str>) {
    match details.split_once(':') {
        Some((p, r)) => (p, Some(r)),
        None => (details, None),
    }
}
