//! `oci:PATH[:REF]` — an OCI image layout directory.
//!
//! REF is the `org.opencontainers.image.ref.name` of an index.json entry.
//! Without REF, reading needs a layout holding exactly one image, and
//! writing adds the image without a name (or with the name of its source,
//! when several images are copied at once). Writes go through the store's
//! verified blob writes and locked index.json update, so any number of
//! images can share one layout and its blobs.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{
    split_path, BlobInfo, DestProperties, ImageDestination, ImageReference, ImageSource, Referred,
    Referrers, Reused, TransportOptions,
};
use crate::error::{Context, Error, Result};
use crate::fsutil::open_once;
use crate::model::{
    validate_ref_name, Descriptor, Digest, Index, MediaType, RawManifest, MAX_MANIFEST_SIZE,
    REF_NAME,
};
use crate::store::{set_ref_in, Edit, Layout, Made, View, INDEX_FILE, LAYOUT_FILE};
use crate::transport::registry::fallback_tag;

#[derive(Debug, Clone)]
pub struct OciRef {
    pub path: PathBuf,
    pub name: Option<String>,
}

pub fn parse(details: &str) -> Result<Box<dyn ImageReference>> {
    Ok(Box::new(OciRef::parse(details)?))
}

impl OciRef {
    pub fn parse(details: &str) -> Result<OciRef> {
        let (path, name) = parse_path_ref(details, "oci", "a directory path")?;
        Ok(OciRef { path, name })
    }

    /// The layout, with the shared blob directory of its side, if any.
    fn open(&self, opts: &TransportOptions, dest: bool) -> Result<Layout> {
        let shared = match dest {
            true => &opts.dest_shared_blob_dir,
            false => &opts.src_shared_blob_dir,
        };
        Ok(Layout::open(&self.path)?.with_shared_blobs(shared.as_deref()))
    }

    /// The index.json entry this reference names. Without a name, entries
    /// that are referrers of another (unnamed entries with a `subject`)
    /// do not count as images.
    pub fn resolve(&self, layout: &Layout) -> Result<Descriptor> {
        if let Some(n) = self.name.as_deref() {
            match named_entry(layout, n) {
                Some(Some(d)) => return Ok(d),
                Some(None) => return Err(no_image_named(n)),
                None => {}
            }
        }
        let mut index = layout.read_index()?;
        if self.name.is_none() && index.manifests.len() > 1 {
            index
                .manifests
                .retain(|m| m.ref_name().is_some() || subject_of(layout, m).is_none());
        }
        // Callers name the reference (opening X, inspecting X).
        find_in_index(&index, self.name.as_deref(), "layout", "oci:PATH:REF")
    }
}

/// The first entry of a layout's index.json named `name`: Some(None)
/// when none is. From the names of the last index.json read in this
/// process, if that is the file there still (the same inode, size and
/// time; the file read is held open, so no other file gets its inode): a
/// sync or copy --all-images asks for thousands of names (and for the
/// attachment tags of each), and each would read the whole file again.
/// None when not known so, or the name's entry does not read (the caller
/// reads index.json, and says why).
fn named_entry(layout: &Layout, name: &str) -> Option<Option<Descriptor>> {
    match known_names(layout)?.get(name) {
        Some(Some(d)) => Some(Some(Descriptor::clone(d))),
        Some(None) => None,
        None => Some(None),
    }
}

/// A layout's ref names, each with its entry (None for one that does not
/// read). The entries are boxed: the table of 250,000 names is then some
/// 17 MB, not 140 (their boxes, some 110 MB more, are moved out of the
/// index read, which is dropped).
type Names = HashMap<String, Option<Box<Descriptor>>>;

/// Layouts whose index.json this process has read whole and found
/// sound, for [`OciRef::destination`]'s check: an index.json that does
/// not parse (or is missing from a layout made) fails a copy before blobs
/// go in that it could never name. Once a process: a sync's copies into
/// one layout would read it again for each image (the commit reads it
/// anyway), and a sync that learned the layout's names has read it.
fn checked() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    static CHECKED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    CHECKED.lock().unwrap_or_else(|e| e.into_inner())
}

fn index_checked(root: &Path) -> bool {
    checked().iter().any(|p| p == root)
}

/// The names of sync destinations, by path, as [`OciRef::learn_tags`]
/// found them.
type Learned = Option<HashMap<PathBuf, Arc<Names>>>;
fn learned() -> std::sync::MutexGuard<'static, Learned> {
    static LEARNED: Mutex<Learned> = Mutex::new(None);
    LEARNED.lock().unwrap_or_else(|e| e.into_inner())
}

/// A layout's ref names as [`named_entry`] knows them (None for an entry
/// that does not read), found once per version of its index.json (see
/// [`open_once`]); None when index.json cannot be read.
fn known_names(layout: &Layout) -> Option<Arc<Names>> {
    open_once(&layout.root().join(INDEX_FILE), || {
        let index = layout.read_index()?;
        let mut names = Names::with_capacity(index.manifests.len() + index.unreadable.len());
        for e in index.manifests {
            if let Some(n) = e.ref_name() {
                if !names.contains_key(n) {
                    names.insert(n.to_string(), Some(Box::new(e)));
                }
            }
        }
        for (_, e) in &index.unreadable {
            if let Some(n) = crate::model::unreadable_ref_name(e) {
                names.entry(n.to_string()).or_insert(None);
            }
        }
        Ok(names)
    })
    .ok()
}

/// The `subject` of the manifest or index an index.json entry points at,
/// if it has one (None too when it cannot be read: not a referrer then).
fn subject_of(layout: &Layout, entry: &Descriptor) -> Option<Descriptor> {
    if !entry.media_type.is_manifest_or_index() {
        return None;
    }
    let raw = layout.read_manifest(entry).ok()?;
    as_referrer(&raw).map(|(s, _)| s)
}

/// For a manifest with a `subject`: that subject, and the manifest's
/// descriptor as a referrers list has it (`artifactType`, else the
/// config's media type; its top-level annotations). One parse.
fn as_referrer(raw: &RawManifest) -> Option<(Descriptor, Descriptor)> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        subject: Option<Descriptor>,
        artifact_type: Option<String>,
        config: Option<ConfigProbe>,
        annotations: Option<crate::model::Annotations>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ConfigProbe {
        media_type: Option<String>,
    }
    let p: Probe = serde_json::from_slice(&raw.bytes).ok()?;
    let mut d = raw.descriptor();
    d.artifact_type = p
        .artifact_type
        .or_else(|| p.config.and_then(|c| c.media_type));
    d.annotations = p.annotations.filter(|a| !a.is_empty());
    Some((p.subject?, d))
}

/// `PATH[:REF]` as `oci:` and `oci-archive:` spell it (split at the first
/// ':'); REF must be a valid ref name.
pub(crate) fn parse_path_ref(
    details: &str,
    transport: &str,
    what: &str,
) -> Result<(PathBuf, Option<String>)> {
    let (path, name) = split_path(details);
    if path.is_empty() {
        return Err(Error::new(format!("{transport}: needs {what}")));
    }
    let name = name.filter(|n| !n.is_empty()).map(str::to_string);
    if let Some(n) = &name {
        validate_ref_name(n)?;
    }
    Ok((PathBuf::from(path), name))
}

fn no_image_named(name: &str) -> Error {
    Error::not_found(format!("no image named {name:?}"))
}

/// The entry of `index` named `name`; without a name, the only entry.
/// `holder` ("layout", "archive") and `syntax` word the errors.
pub(crate) fn find_in_index(
    index: &Index,
    name: Option<&str>,
    holder: &str,
    syntax: &str,
) -> Result<Descriptor> {
    let unreadable = |(pos, e): &(usize, serde_json::Value)| {
        Error::new(format!(
            "index.json: {}",
            crate::model::unreadable_entry_text(*pos, e)
        ))
    };
    match name {
        Some(n) => index
            .manifests
            .iter()
            .find(|m| m.ref_name() == Some(n))
            .cloned()
            .ok_or_else(|| match index.unreadable_named(n) {
                Some(u) => unreadable(u),
                None => no_image_named(n),
            }),
        None => match (index.manifests.as_slice(), index.unreadable.as_slice()) {
            ([one], []) => Ok(one.clone()),
            ([], []) => Err(Error::not_found(format!("the {holder} holds no image"))),
            ([], [u]) => Err(unreadable(u)),
            (many, bad) => {
                // The names a user may pick from (the first few).
                const SHOWN: usize = 5;
                let names: Vec<&str> = many.iter().filter_map(|m| m.ref_name()).collect();
                let listed = match names.len() {
                    0 => String::new(),
                    n if n <= SHOWN => format!(" ({})", names.join(", ")),
                    n => format!(" ({}, and {} more)", names[..SHOWN].join(", "), n - SHOWN),
                };
                Err(Error::new(format!(
                    "the {holder} holds {} images; name one as {syntax}{listed}",
                    many.len() + bad.len()
                )))
            }
        },
    }
}

/// Every image of `index` by name (`--all-images`, `sync`): two entries
/// of one name are refused, for a name would give the first of them
/// twice (Docker 25+ `docker save` names entries by tag alone; read
/// such an archive as `docker-archive:`, whose manifest.json has the
/// whole names).
/// The names of `index`'s entries that do not read: listed with the
/// others, so that copying them fails by name (and a sync counts each).
/// With `all_named`, one without a name is refused, as an unnamed image is.
pub(crate) fn unreadable_names(
    index: &Index,
    holder: &str,
    all_named: bool,
) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for (pos, e) in &index.unreadable {
        match crate::model::unreadable_ref_name(e) {
            Some(n) => names.push(n.to_string()),
            None if all_named => {
                return Err(Error::new(format!(
                    "{holder}: index.json: {}",
                    crate::model::unreadable_entry_text(*pos, e)
                )))
            }
            None => {}
        }
    }
    Ok(names)
}

/// The ref names of a layout's entries, as its images are listed: a
/// name given to two images is listed twice (a sync refuses it), one
/// given twice to one image once.
pub(crate) fn listed_names(index: &Index) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    index
        .manifests
        .iter()
        .filter_map(|m| m.ref_name().filter(|n| seen.insert((*n, &m.digest))))
        .map(str::to_string)
        .collect()
}

/// Two entries of one name and different images are refused: a name
/// cannot tell them apart.
pub(crate) fn check_unique_names(index: &Index) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for (i, m) in index.manifests.iter().enumerate() {
        if let Some(n) = m.ref_name() {
            // (Two entries of one name and image are one image.)
            if let Some(first) = seen
                .insert(n, i)
                .filter(|&f| index.manifests[f].digest != m.digest)
            {
                return Err(Error::new(format!(
                    "index.json entries {first} and {i} are both named {n:?}, so a name \
                     cannot tell them apart (a docker save archive: read it as docker-archive:)"
                )));
            }
        }
    }
    // An entry that does not read is an image of its name too: copied, it
    // fails by that name, which the other entry's image also goes by.
    for (pos, e) in &index.unreadable {
        let Some(n) = crate::model::unreadable_ref_name(e) else {
            continue;
        };
        if seen.insert(n, *pos).is_some() {
            return Err(Error::new(format!(
                "two images are named {n:?} (index.json entry {pos} does not read), so \
                 the name cannot tell them apart"
            )));
        }
    }
    Ok(())
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_path_ref(f, "oci", &self.path, self.name.as_deref())
    }
}

/// `TRANSPORT:PATH[:REF]`, the inverse of [`parse_path_ref`].
pub(crate) fn fmt_path_ref(
    f: &mut fmt::Formatter<'_>,
    transport: &str,
    path: &Path,
    name: Option<&str>,
) -> fmt::Result {
    write!(f, "{transport}:{}", path.display())?;
    if let Some(n) = name {
        write!(f, ":{n}")?;
    }
    Ok(())
}

/// An `oci:` destination's properties: OCI manifests (Docker ones are
/// converted on the way in, unless `--format v2s2` or `--preserve-digests`
/// asks to keep them); layers with URLs left where they point.
pub(crate) fn properties() -> DestProperties {
    DestProperties {
        manifest_types: vec![MediaType::OciManifest, MediaType::OciIndex],
        on_request: vec![MediaType::DockerManifest, MediaType::DockerList],
        required_compression: None,
        also_keeps: &[],
        concurrent_writes: true,
        preserves_digests: true,
        external_layers: true,
    }
}

impl ImageReference for OciRef {
    fn dest_properties(&self) -> Option<DestProperties> {
        Some(properties())
    }

    fn transport(&self) -> &'static str {
        "oci"
    }

    fn policy_scopes(&self) -> Vec<String> {
        // (the layout's directory: a ref names no scope of its own, as
        // "DIR:REF" and "DIR" may be one image)
        crate::copy::policy::path_scopes(None, &crate::copy::policy::resolved(&self.path))
    }

    fn source(&self, opts: &TransportOptions) -> Result<Box<dyn ImageSource>> {
        let layout = self.open(opts, false)?;
        let top = self.resolve(&layout)?;
        Ok(Box::new(LayoutSource { layout, top }))
    }

    fn destination(&self, opts: &TransportOptions) -> Result<Box<dyn ImageDestination>> {
        // Made by the first write: a copy that fails first leaves no layout.
        let layout = Layout::open_for_writing(&self.path)?
            .with_shared_blobs(opts.dest_shared_blob_dir.as_deref());
        // (index.json sound before blobs go in: see [`checked`])
        let root = layout.root();
        if (root.join(INDEX_FILE).exists() || root.join(LAYOUT_FILE).exists())
            && !index_checked(root)
        {
            layout.read_index()?;
            checked().push(root.to_path_buf());
        }
        Ok(Box::new(LayoutDest::new(layout, self.name.clone())))
    }

    fn holds_referrers(&self) -> bool {
        true
    }

    fn untagged_referrers(&self) -> bool {
        true
    }

    fn holds_several(&self) -> bool {
        true
    }

    fn tag(&self) -> Option<String> {
        self.name.clone()
    }

    fn delete(&self, opts: &TransportOptions) -> Result<()> {
        let layout = self.open(opts, false)?;
        match &self.name {
            Some(n) => layout.remove_ref(n),
            // (the caller says which image)
            None => Err(Error::new("name the image to delete as oci:PATH:REF")),
        }
    }

    fn list_tags(&self, _opts: &TransportOptions) -> Result<Vec<String>> {
        let index = Layout::open(&self.path)?.read_index()?;
        let mut names = listed_names(&index);
        names.extend(unreadable_names(&index, &self.to_string(), false)?);
        Ok(names)
    }

    /// The names the layout holds now: a sync's images bound for others
    /// are known to be missing without reading index.json again, which
    /// the sync's own writes change each time.
    fn learn_tags(&self, _opts: &TransportOptions) -> Result<()> {
        // (none in a layout not made yet)
        let names = match self.path.join(INDEX_FILE).exists() {
            false => Some(Arc::default()),
            true => {
                let names = Layout::open(&self.path).ok().and_then(|l| known_names(&l));
                // (read whole: the destination's check need not read it
                // again, which in a layout of 250,000 refs was 100 MB more
                // at the peak and half the time of a sync of one image)
                if names.is_some() && !index_checked(&self.path) {
                    checked().push(self.path.clone());
                }
                names
            }
        };
        if let Some(names) = names {
            learned()
                .get_or_insert_with(HashMap::new)
                .insert(self.path.clone(), names);
        }
        Ok(())
    }

    fn current_digest(&self, opts: &TransportOptions, dest: bool) -> Result<Option<Digest>> {
        // Nothing there yet, or a layout a killed first write left half
        // made (no oci-layout): the next write makes it.
        if !self.path.join("index.json").exists() || !self.path.join("oci-layout").exists() {
            return Ok(None);
        }
        // (a name missing when learned: another writer meanwhile only
        // makes the copy one more write of what is there)
        if let (true, Some(n)) = (dest, &self.name) {
            let names = learned().as_ref().and_then(|l| l.get(&self.path).cloned());
            if names.is_some_and(|names| !names.contains_key(n)) {
                return Ok(None);
            }
        }
        let layout = self.open(opts, dest)?;
        let top = match self.resolve(&layout) {
            Ok(d) => d,
            Err(e) if e.kind() == crate::error::Kind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // A destination's image must be whole to be the one a sync would
        // copy: one missing blobs (or cut short) is copied again.
        if dest && layout.check_complete(&top).is_err() {
            return Ok(None);
        }
        Ok(Some(top.digest))
    }

    fn with_tag(&self, tag: &str) -> Result<Box<dyn ImageReference>> {
        validate_ref_name(tag)?;
        Ok(Box::new(OciRef {
            path: self.path.clone(),
            name: Some(tag.to_string()),
        }))
    }

    fn all_images(&self, opts: &TransportOptions) -> Result<Vec<Box<dyn ImageReference>>> {
        let layout = self.open(opts, false)?;
        let index = layout.read_index()?;
        check_unique_names(&index).with_context(|| self.to_string())?;
        let mut out: Vec<Box<dyn ImageReference>> = Vec::new();
        // (A name given twice, to one image: that image once.)
        let mut seen = std::collections::HashSet::new();
        for m in &index.manifests {
            match m.ref_name() {
                Some(n) if !seen.insert(n) => {}
                Some(n) => out.push(Box::new(OciRef {
                    path: self.path.clone(),
                    name: Some(n.to_string()),
                })),
                // A referrer travels with its subject, not as an image.
                None if subject_of(&layout, m).is_some() => {}
                None => {
                    return Err(Error::new(format!(
                        "{self}: entry {} has no name; copy it as oci:PATH with a single image",
                        m.digest
                    )))
                }
            }
        }
        for n in unreadable_names(&index, &self.to_string(), true)? {
            out.push(Box::new(OciRef {
                path: self.path.clone(),
                name: Some(n),
            }));
        }
        Ok(out)
    }
}

/// Reads one image from a layout.
pub struct LayoutSource {
    layout: Layout,
    top: Descriptor,
}

impl LayoutSource {
    pub fn new(layout: Layout, top: Descriptor) -> Self {
        LayoutSource { layout, top }
    }
}

impl ImageSource for LayoutSource {
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        match instance {
            None => {
                crate::model::check_entry_type(&self.top)?;
                self.layout.read_manifest(&self.top)
            }
            Some(d) => {
                let bytes = self.layout.read_small_blob(d, MAX_MANIFEST_SIZE)?;
                RawManifest::from_bytes(bytes, None)
                    .map(|r| r.addressed_with(d.algorithm()))
                    .map_err(|e| e.context(d))
            }
        }
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        let f = self
            .layout
            .open_blob(&desc.digest)
            .map_err(|e| foreign_layer_not_held(e, desc))?;
        let size = f.metadata()?.len();
        Ok((Box::new(f), Some(size)))
    }

    /// The image's ref name, so copies of several images keep their names.
    fn repo_tags(&self) -> Vec<String> {
        self.top
            .ref_name()
            .map(str::to_string)
            .into_iter()
            .collect()
    }

    fn local_blob_path(&self, desc: &Descriptor) -> Option<PathBuf> {
        Some(self.layout.blob_path(&desc.digest))
    }

    fn concurrent_reads(&self) -> bool {
        true
    }

    fn manifest_by_tag(&self, tag: &str) -> Result<Option<RawManifest>> {
        manifest_named(&self.layout, tag)
    }

    /// What the tag-schema index named `sha256-<hex>` lists, if the
    /// layout holds one (a registry's, kept byte for byte), and every
    /// index.json entry whose manifest names `subject` (read and checked;
    /// entries that cannot be read are no referrers).
    fn referrers(&self, subject: &Digest) -> Result<Referrers> {
        referrer_map(&self.layout)?.referrers(subject, |d| self.layout.read_manifest(d))
    }
}

/// A blob the layout lacks whose descriptor names URLs (a foreign layer,
/// as Windows base images have one) is said to be one: lade fetches no
/// layer of a layout from its URLs (skopeo does), and destinations that
/// take such a layer by its descriptor (oci:, oci-archive:) never ask
/// for it. It said "blob … not found" alone.
fn foreign_layer_not_held(e: Error, desc: &Descriptor) -> Error {
    match desc.urls.as_deref() {
        Some([url, ..]) if e.kind() == crate::error::Kind::NotFound => Error::not_found(format!(
            "{}: a foreign layer, its bytes at {}: lade does not download a layout's \
             layers from their URLs (copy the image to oci: or oci-archive:, which keep \
             it at its URLs)",
            e.message(),
            crate::error::escape_controls(url)
        )),
        _ => e,
    }
}

/// What an index.json (a layout's, or an archived one's) says of
/// referrers: its top-level entries that are referrers, by subject
/// digest; and its named indexes (the tag-schema ones among them), by
/// name.
#[derive(Default)]
pub(super) struct ReferrerMap {
    by_subject: HashMap<Digest, Vec<Descriptor>>,
    indexes: HashMap<String, Descriptor>,
    /// The entries that are referrers of another.
    referrers: std::collections::HashSet<Digest>,
}

impl ReferrerMap {
    /// Each manifest `index` lists read once with `read`; one that does
    /// not read is no referrer.
    pub(super) fn of(index: &Index, read: impl Fn(&Descriptor) -> Result<RawManifest>) -> Self {
        let mut map = ReferrerMap::default();
        let mut seen = std::collections::HashSet::new();
        for m in &index.manifests {
            if let (Some(name), true) = (m.ref_name(), m.media_type.is_index()) {
                map.indexes
                    .entry(name.to_string())
                    .or_insert_with(|| m.clone());
            }
            if !m.media_type.is_manifest_or_index() || !seen.insert(&m.digest) {
                continue;
            }
            let Ok(raw) = read(m) else {
                continue;
            };
            if let Some((s, d)) = as_referrer(&raw) {
                if s.digest != m.digest {
                    map.referrers.insert(m.digest.clone());
                    map.by_subject.entry(s.digest).or_default().push(d);
                }
            }
        }
        map
    }

    /// Is the manifest `d` a referrer of another?
    pub(super) fn is_referrer(&self, d: &Digest) -> bool {
        self.referrers.contains(d)
    }

    /// The referrers of `subject`: what the tag-schema index named
    /// `sha256-<hex>` lists, if there is one (read with `read`, kept byte
    /// for byte), and every entry whose manifest names `subject`.
    pub(super) fn referrers(
        &self,
        subject: &Digest,
        read: impl Fn(&Descriptor) -> Result<RawManifest>,
    ) -> Result<Referrers> {
        let mut found = Referrers::default();
        if let Some(d) = self.indexes.get(&fallback_tag(subject)) {
            let raw = read(d)?;
            found.descriptors = raw.index()?.manifests;
            found.fallback_index = Some(raw);
        }
        for d in self.by_subject.get(subject).into_iter().flatten() {
            if !found.descriptors.iter().any(|x| x.digest == d.digest) {
                found.descriptors.push(d.clone());
            }
        }
        Ok(found)
    }
}

/// The index.json entry (no name) of the referrer `m` that a referrers
/// list describes as `desc` (its artifactType and annotations).
pub(super) fn referrer_entry(m: &RawManifest, desc: &Descriptor) -> Descriptor {
    let mut entry = m.descriptor();
    entry.artifact_type = desc.artifact_type.clone();
    entry.annotations = desc.annotations.clone();
    if let Some(a) = &mut entry.annotations {
        // Never let a referrer's annotations name it as an image.
        a.remove(REF_NAME);
    }
    entry
}

/// The layout's referrers, found once per version of its index.json (see
/// [`open_once`]), so that asking for the referrers of each of N images
/// (sync) reads the N manifests once, not N times each.
fn referrer_map(layout: &Layout) -> Result<Arc<ReferrerMap>> {
    open_once(&layout.root().join("index.json"), || {
        let index = layout.read_index()?;
        Ok(ReferrerMap::of(&index, |m| layout.read_manifest(m)))
    })
}

/// The ref names an image written into a layout or oci-archive gets: the
/// destination's own name for its first image; else each name the image
/// carries (a docker-archive image saved under two tags gets both); none
/// (an entry without a name) when it carries none.
pub fn image_ref_names(
    own: &Option<String>,
    first: bool,
    names: &[String],
) -> Result<Vec<Option<String>>> {
    let chosen: Vec<Option<String>> = match (own, first) {
        (Some(n), true) => vec![Some(n.clone())],
        _ if names.is_empty() => vec![None],
        _ => names.iter().cloned().map(Some).collect(),
    };
    // (not one that looks like a digest either: lade's plumbing, taking
    // the layout as its store, would read it as one)
    for n in chosen.iter().flatten() {
        crate::store::check_new_ref_name(n)?;
    }
    Ok(chosen)
}

/// The manifest index.json names `name` (ref-name annotation); None when
/// there is no such entry, or no index.json yet (a new layout).
fn manifest_named(layout: &Layout, name: &str) -> Result<Option<RawManifest>> {
    if !layout.root().join("index.json").exists() {
        return Ok(None);
    }
    let entry = match named_entry(layout, name) {
        Some(e) => e,
        None => layout
            .read_index()?
            .manifests
            .into_iter()
            .find(|m| m.ref_name() == Some(name)),
    };
    match entry {
        Some(d) => layout.read_manifest(&d).map(Some),
        None => Ok(None),
    }
}

/// Writes images into a layout.
pub struct LayoutDest {
    /// Made (if new) on the first write: see [`LayoutDest::writable`].
    layout: Layout,
    /// Set by the first write: what it made of the layout.
    made: Mutex<Option<Made>>,
    /// The blobs put, while this destination made the layout: taken back
    /// with it when the write fails (see [`Layout::unmake`]).
    written: Mutex<std::collections::HashSet<Digest>>,
    committed: bool,
    /// The layout's absolute path, as the claim scope of its blobs: the
    /// same for every destination of one layout, made or not yet made.
    scope: String,
    name: Option<String>,
    /// Top-level manifests put so far, with the ref name each gets.
    images: Mutex<Vec<(Descriptor, Option<String>)>>,
    /// Referrers put so far: unnamed index.json entries at commit.
    referrers: Mutex<Vec<Descriptor>>,
    /// Attachments put by tag (`sha256-<hex>.sig`): named entries at commit.
    tagged: Mutex<Vec<(Descriptor, String)>>,
}

impl LayoutDest {
    pub fn new(layout: Layout, name: Option<String>) -> Self {
        let root = layout.root();
        let scope = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let scope = format!("oci:{}", scope.display());
        *open_dests().entry(scope.clone()).or_insert(0) += 1;
        LayoutDest {
            scope,
            layout,
            made: Mutex::new(None),
            written: Mutex::new(Default::default()),
            committed: false,
            name,
            images: Mutex::new(Vec::new()),
            referrers: Mutex::new(Vec::new()),
            tagged: Mutex::new(Vec::new()),
        }
    }

    /// The layout, made first if it is new.
    fn writable(&self) -> Result<&Layout> {
        let mut slot = self.made.lock().unwrap();
        if slot.is_none() {
            // (Not taken back on a signal: that would take no lock, and
            // another process may be writing into the layout by then. Its
            // temp files go; what it left is whole blobs, for gc.)
            *slot = Some(self.layout.create()?);
        }
        Ok(&self.layout)
    }

    /// Note a blob put, if this destination made the layout.
    fn wrote(&self, d: &Digest) {
        if self
            .made
            .lock()
            .unwrap()
            .is_some_and(|m| m != Made::Nothing)
        {
            self.written.lock().unwrap().insert(d.clone());
        }
    }
}

/// The destinations of each layout (by scope) open in this process: a
/// layout is taken back only by the last (sync writes images at once).
fn open_dests() -> std::sync::MutexGuard<'static, HashMap<String, usize>> {
    static OPEN: std::sync::LazyLock<Mutex<HashMap<String, usize>>> =
        std::sync::LazyLock::new(Default::default);
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for LayoutDest {
    /// A layout this destination made is taken back when the write
    /// fails, unless something else has been put into it or another
    /// destination of this process is writing into it.
    fn drop(&mut self) {
        let others = {
            let mut open = open_dests();
            let n = open.get_mut(&self.scope).map_or(0, |n| {
                *n -= 1;
                *n
            });
            if n == 0 {
                open.remove(&self.scope);
            }
            n
        };
        let Some(made) = *self.made.lock().unwrap_or_else(|e| e.into_inner()) else {
            return;
        };
        if made == Made::Nothing {
            return;
        }
        if others == 0 && !self.committed {
            let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
            self.layout.unmake(made, &written);
        }
    }
}

impl ImageDestination for LayoutDest {
    fn properties(&self) -> DestProperties {
        properties()
    }

    fn blob_scope(&self) -> Option<String> {
        // Images copied at once into one layout (sync, --all-images) share
        // blobs: one writer each, the others find them present.
        Some(self.scope.clone())
    }

    fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<Reused>> {
        let Some(digest) = &info.digest else {
            return Ok(None);
        };
        match self.layout.blob_size(digest)? {
            Some(size) if info.size.is_none_or(|s| s == size) => {
                self.layout.touch(digest);
                Ok(Some(
                    Descriptor::new(info.media_type.clone(), digest.clone(), size).into(),
                ))
            }
            _ => Ok(None),
        }
    }

    fn put_blob(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<Descriptor> {
        let want = expected.digest.as_ref().map(|d| (d, expected.size));
        let (digest, size) = self.writable()?.put(reader, want)?;
        self.wrote(&digest);
        Ok(Descriptor::new(expected.media_type.clone(), digest, size))
    }

    fn put_blob_from_path(&self, path: &Path, expected: &BlobInfo) -> Result<Option<Descriptor>> {
        let (Some(d), Some(size)) = (&expected.digest, expected.size) else {
            return Ok(None);
        };
        if !self.writable()?.put_link(path, d, size)? {
            return Ok(None);
        }
        self.wrote(d);
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
        names: &[String],
    ) -> Result<()> {
        self.writable()?.put_bytes(&m.bytes, Some(&m.digest))?;
        self.wrote(&m.digest);
        if instance.is_none() {
            let mut images = self.images.lock().unwrap();
            for name in image_ref_names(&self.name, images.is_empty(), names)? {
                images.push((m.descriptor(), name));
            }
        }
        Ok(())
    }

    fn check_names(&self, names: &[String]) -> Result<()> {
        let first = self.images.lock().unwrap().is_empty();
        image_ref_names(&self.name, first, names).map(drop)
    }

    fn has_manifest(&self, digest: &Digest) -> Result<bool> {
        Ok(self.layout.blob_size(digest)?.is_some())
    }

    fn put_referrer(&self, m: &RawManifest, desc: &Descriptor) -> Result<Referred> {
        let had = self.has_manifest(&m.digest)?;
        self.writable()?.put_bytes(&m.bytes, Some(&m.digest))?;
        self.wrote(&m.digest);
        self.referrers.lock().unwrap().push(referrer_entry(m, desc));
        Ok(if had {
            Referred::IndexedAlready
        } else {
            Referred::IndexedNew
        })
    }

    fn tagged_manifest(&self, tag: &str) -> Result<Option<RawManifest>> {
        manifest_named(&self.layout, tag)
    }

    fn put_tagged_manifest(&self, m: &RawManifest, tag: &str) -> Result<()> {
        validate_ref_name(tag)?;
        self.writable()?.put_bytes(&m.bytes, Some(&m.digest))?;
        self.wrote(&m.digest);
        self.tagged
            .lock()
            .unwrap()
            .push((m.descriptor(), tag.to_string()));
        Ok(())
    }

    fn commit_is_shared(&self) -> bool {
        true
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let images = std::mem::take(&mut *self.images.lock().unwrap());
        let referrers = std::mem::take(&mut *self.referrers.lock().unwrap());
        let tagged = std::mem::take(&mut *self.tagged.lock().unwrap());
        if images.is_empty() && referrers.is_empty() && tagged.is_empty() {
            self.committed = true;
            return Ok(());
        }
        // Made already: every entry was put (written) first.
        let named = tagged.into_iter().map(|(d, n)| (d, Some(n)));
        let images: Vec<(Descriptor, Option<String>)> = images.into_iter().chain(named).collect();
        commit_queued(&self.layout, &self.scope, Changes { referrers, images })?;
        self.committed = true;
        Ok(())
    }
}

/// What a commit changes in index.json.
struct Changes {
    /// Unnamed entries (referrers), added unless there.
    referrers: Vec<Descriptor>,
    /// Images: named entries set, unnamed ones added unless there.
    images: Vec<(Descriptor, Option<String>)>,
}

impl Changes {
    /// Every image and referrer whole in the layout (under its lock).
    fn check(&self, layout: &Layout) -> Result<()> {
        // (an image under several names checked once)
        let mut checked = std::collections::HashSet::new();
        for d in self
            .referrers
            .iter()
            .chain(self.images.iter().map(|(d, _)| d))
        {
            if checked.insert(&d.digest) {
                layout.check_complete(d)?;
            }
        }
        Ok(())
    }

    fn apply(&self, index: &mut Index, places: &mut Places) {
        for r in &self.referrers {
            places.add_unless_there(index, r);
        }
        for (desc, name) in &self.images {
            match name {
                Some(n) => {
                    let mut entry = desc.clone();
                    entry.set_annotation(REF_NAME, n);
                    places.set_ref(index, n, entry);
                }
                None => places.add_unless_there(index, desc),
            }
        }
    }
}

/// Where each name and digest is in an index, so that the commits of a
/// batch each find their place at once ([`set_ref_in`] searches the
/// whole index, and a batch of a sync's 10,000 images spent most of its
/// time there).
struct Places {
    names: HashMap<String, usize>,
    /// Names of several entries (not written by lade): [`set_ref_in`]
    /// keeps the first.
    several: std::collections::HashSet<String>,
    /// Entries per digest.
    digests: HashMap<Digest, usize>,
    /// An entry was replaced or moved since this was last cleared (else
    /// entries were only added at the end).
    edited: bool,
}

impl Places {
    fn of(index: &Index) -> Places {
        let mut p = Places {
            names: HashMap::new(),
            several: Default::default(),
            digests: HashMap::new(),
            edited: false,
        };
        for (i, m) in index.manifests.iter().enumerate() {
            *p.digests.entry(m.digest.clone()).or_default() += 1;
            if let Some(n) = m.ref_name() {
                if p.names.contains_key(n) {
                    p.several.insert(n.to_string());
                } else {
                    p.names.insert(n.to_string(), i);
                }
            }
        }
        p
    }

    /// [`set_ref_in`], in place.
    fn set_ref(&mut self, index: &mut Index, name: &str, entry: Descriptor) {
        if self.several.contains(name) {
            set_ref_in(index, name, entry);
            *self = Places::of(index);
            self.edited = true;
            return;
        }
        index.drop_unreadable_named(name);
        *self.digests.entry(entry.digest.clone()).or_default() += 1;
        match self.names.get(name) {
            Some(&i) => {
                self.edited = true;
                let old = std::mem::replace(&mut index.manifests[i], entry);
                if let Some(n) = self.digests.get_mut(&old.digest) {
                    *n -= 1;
                    if *n == 0 {
                        self.digests.remove(&old.digest);
                    }
                }
            }
            None => {
                self.names.insert(name.to_string(), index.manifests.len());
                index.manifests.push(entry);
            }
        }
    }

    /// An unnamed entry, unless an entry has its digest.
    fn add_unless_there(&mut self, index: &mut Index, desc: &Descriptor) {
        if !self.digests.contains_key(&desc.digest) {
            self.digests.insert(desc.digest.clone(), 1);
            index.manifests.push(desc.clone());
        }
    }
}

/// The commits into one layout (by scope) waiting to be written, and the
/// lock of the one writing them.
#[derive(Default)]
struct CommitQueue {
    pending: Mutex<Vec<(Changes, std::sync::mpsc::Sender<Result<()>>)>>,
    writer: Mutex<()>,
}

/// Write `changes` into the layout's index.json, with those of every other
/// commit into it from this process waiting at the time: a sync's copies
/// of small images commit many at once, and each alone would read and
/// replace the whole index.json (a first sync of 3,000 images wrote it
/// 3,000 times). A commit queues its changes and takes the writer's lock;
/// whoever holds it writes all that are queued (its own, unless an earlier
/// writer took them) in one update, and gives each its result: one whose
/// images are not whole in the layout fails alone.
fn commit_queued(layout: &Layout, scope: &str, changes: Changes) -> Result<()> {
    static QUEUES: Mutex<Option<HashMap<String, Arc<CommitQueue>>>> = Mutex::new(None);
    let queue = QUEUES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .entry(scope.to_string())
        .or_default()
        .clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let pending = || queue.pending.lock().unwrap_or_else(|e| e.into_inner());
    pending().push((changes, tx));
    let _writer = queue.writer.lock().unwrap_or_else(|e| e.into_inner());
    let lost = || Error::new("index.json: the commit was lost (its writer failed)");
    match rx.try_recv() {
        Ok(done) => return done,
        Err(std::sync::mpsc::TryRecvError::Disconnected) => return Err(lost()),
        Err(std::sync::mpsc::TryRecvError::Empty) => {}
    }
    let batch = std::mem::take(&mut *pending());
    let mut results: Vec<Option<Error>> = vec![None; batch.len()];
    let written = layout.update_index_with(|index, view| {
        // The places of the index as the last batch left it, if it is that
        // index (else made again).
        let mut places = match view.map(|v| v.downcast::<Places>()) {
            Some(Ok(p)) => *p,
            _ => Places::of(index),
        };
        for ((changes, _), failed) in batch.iter().zip(results.iter_mut()) {
            match changes.check(layout) {
                Ok(()) => changes.apply(index, &mut places),
                Err(e) => *failed = Some(e),
            }
        }
        let edit = match std::mem::take(&mut places.edited) {
            true => Edit::Other,
            false => Edit::Appended,
        };
        // (nothing to write when every one failed)
        match results.iter().all(Option::is_some) {
            true => Err(results[0].clone().expect("failed")),
            false => Ok(((), edit, Some(Box::new(places) as View))),
        }
    });
    // (each told before the writer's lock goes)
    for ((_, tx), failed) in batch.into_iter().zip(results) {
        let _ = tx.send(match (failed, &written) {
            (Some(e), _) => Err(e),
            (None, Ok(())) => Ok(()),
            (None, Err(e)) => Err(e.clone()),
        });
    }
    rx.try_recv().unwrap_or_else(|_| Err(lost()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The empty config (`{}`) put into `layout`; its descriptor as JSON.
    fn empty_config(layout: &Layout) -> &'static str {
        layout.put_bytes(b"{}", None).unwrap();
        r#"{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}"#
    }

    fn put_manifest(layout: &Layout, json: &str) -> Descriptor {
        let d = layout.put_bytes(json.as_bytes(), None).unwrap();
        Descriptor::new(MediaType::OciManifest, d, json.len() as u64)
    }

    #[test]
    fn referrers_are_read_once_per_version_of_index_json() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::open_or_create(dir.path()).unwrap();
        let cfg = empty_config(&layout);
        let image = put_manifest(
            &layout,
            &format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{cfg},"layers":[]}}"#
            ),
        );
        layout.set_ref("app", &image).unwrap();
        let referrer = |n: u32| {
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x-test-{n}","config":{cfg},"layers":[],"subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{}}}}}"#,
                image.digest, image.size
            )
        };
        let add = |n: u32| {
            let r = put_manifest(&layout, &referrer(n));
            layout
                .update_index(|i| {
                    i.manifests.push(r.clone());
                    Ok(())
                })
                .unwrap();
            r
        };
        let first = add(1);
        let got = referrer_map(&layout).unwrap();
        assert_eq!(got.by_subject.get(&image.digest).map(|v| v.len()), Some(1));
        assert_eq!(got.by_subject[&image.digest][0].digest, first.digest);
        // Asked again with index.json unchanged: the same map, not re-read.
        assert!(Arc::ptr_eq(&got, &referrer_map(&layout).unwrap()));
        // A new index.json (renamed over the old one): read again.
        let second = add(2);
        let again = referrer_map(&layout).unwrap();
        let mut ds: Vec<_> = again.by_subject[&image.digest]
            .iter()
            .map(|d| d.digest.clone())
            .collect();
        ds.sort();
        let mut want = vec![first.digest, second.digest];
        want.sort();
        assert_eq!(ds, want);
        assert!(
            !again.by_subject.contains_key(&ds[0]),
            "a referrer is nobody's subject here"
        );
    }

    /// Commits from many threads at once each get their own result: one
    /// naming a missing manifest fails alone, the others are written, and
    /// index.json is right whether or not they were written together.
    #[test]
    fn commits_written_together_each_get_their_own_result() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::open_or_create(dir.path()).unwrap();
        let cfg = empty_config(&layout);
        let image = |n: u32| {
            put_manifest(
                &layout,
                &format!(
                    r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{cfg},"layers":[],"annotations":{{"n":"{n}"}}}}"#
                ),
            )
        };
        // (one that was there before: replaced in place)
        let old = image(1000);
        layout.set_ref("r7", &old).unwrap();
        let images: Vec<Descriptor> = (0..40).map(image).collect();
        let missing = Descriptor::new(
            MediaType::OciManifest,
            Digest::parse(&format!("sha256:{}", "e".repeat(64))).unwrap(),
            3,
        );
        let scope = "test-commits-together";
        let results: Vec<Result<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40)
                .map(|n| {
                    let d = if n == 13 {
                        missing.clone()
                    } else {
                        images[n].clone()
                    };
                    let layout = &layout;
                    s.spawn(move || {
                        let changes = Changes {
                            referrers: Vec::new(),
                            images: vec![(d, Some(format!("r{n}")))],
                        };
                        commit_queued(layout, scope, changes)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (n, r) in results.iter().enumerate() {
            assert_eq!(r.is_err(), n == 13, "{n}: {r:?}");
        }
        let index = layout.read_index().unwrap();
        assert_eq!(index.manifests.len(), 39);
        assert_eq!(
            index.manifests[0].ref_name(),
            Some("r7"),
            "replaced in place"
        );
        for (n, d) in images.iter().enumerate() {
            let at = index
                .manifests
                .iter()
                .find(|m| m.ref_name() == Some(&format!("r{n}")));
            match n {
                13 => assert!(at.is_none()),
                _ => assert_eq!(at.map(|m| &m.digest), Some(&d.digest), "r{n}"),
            }
        }
    }

    /// [`Places::set_ref`] writes what [`set_ref_in`] writes: in place, a
    /// name of several entries (kept once), one of an entry that does
    /// not read (replaced), a new one (appended).
    #[test]
    fn places_set_refs_as_set_ref_in_does() {
        let d = |n: u8| {
            Descriptor::new(
                MediaType::OciManifest,
                Digest::parse(&format!("sha256:{}", format!("{n:02x}").repeat(32))).unwrap(),
                n as u64,
            )
        };
        let named = |n: u8, name: &str| {
            let mut e = d(n);
            e.set_annotation(REF_NAME, name);
            e
        };
        let mut start = Index::empty_oci();
        start.manifests = vec![named(1, "a"), named(2, "b"), named(3, "a"), d(4)];
        start.unreadable = vec![(2, serde_json::json!({"annotations": {REF_NAME: "c"}}))];
        let sets = [(5, "a"), (6, "b"), (7, "c"), (8, "new"), (9, "b")];
        let mut want = start.clone();
        for (n, name) in sets {
            set_ref_in(&mut want, name, named(n, name));
        }
        let mut got = start.clone();
        let mut places = Places::of(&got);
        for (n, name) in sets {
            places.set_ref(&mut got, name, named(n, name));
        }
        assert_eq!(got, want);
        // An unnamed entry goes in once, unless its digest is there.
        places.add_unless_there(&mut got, &d(4));
        places.add_unless_there(&mut got, &d(9));
        assert_eq!(got.manifests.len(), want.manifests.len());
        places.add_unless_there(&mut got, &d(2));
        assert_eq!(
            got.manifests.len(),
            want.manifests.len() + 1,
            "b's old digest is gone"
        );
    }
}
