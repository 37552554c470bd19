//! The copy engine: `copy_images(sources, dest, options)`.
//!
//! For each source image: read the manifest (for an index, the instance for
//! the wanted platform), plan format and compression from the destination's
//! declared properties ([`plan`]), copy the config and the layers (in
//! parallel when both sides allow; each blob verified, existing blobs
//! skipped), write the manifest — the source's exact bytes when nothing
//! changed, a re-authored one otherwise — and finally commit the
//! destination once. Sources that can only stream their image in their
//! own order ([`crate::transport::StreamedSource`], docker-daemon:) are
//! copied by `stream` instead, layers first, manifest last.

pub mod blob;
pub mod convert;
pub mod index;
mod jobs;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod referrers;
mod schema1;
pub mod semver;
mod stream;
pub mod sync;
pub mod sync_many;
pub mod sync_yaml;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::fsutil::read_capped;
use crate::model::{
    Compression, Descriptor, Digest, ImageConfig, Platform, RawManifest, MAX_MANIFEST_SIZE,
};
use crate::transport::{
    BlobInfo, DestProperties, ImageDestination, ImageReference, ImageSource, TransportOptions,
};
use crate::verify::VerifyingReader;
use blob::{try_copy_blob, Step};
pub use index::MultiArch;
use plan::{Format, Wants};
use progress::{Outcome, Progress};

#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// Output manifest format; default: keep, unless the destination can't.
    pub format: Option<Format>,
    /// Layer compression at the destination; default: keep.
    pub compression: Option<Compression>,
    pub compression_level: Option<u32>,
    /// Uncompressed layers get this compression when `compression` is
    /// None (copy to a registry: gzip, as docker push and skopeo do).
    pub compress_plain: Option<Compression>,
    /// Fail rather than change any manifest digest.
    pub preserve_digests: bool,
    /// `--dest-precompute-digests`: layers compressed on the way are made
    /// in a temp file first, and not sent where the destination has them.
    pub precompute_digests: bool,
    /// `--image-parallel-copies`: blobs of one image copied at once;
    /// default: as the transports allow.
    pub parallel_blobs: Option<usize>,
    /// For index sources with `MultiArch::System`: the platform to copy;
    /// default this machine's.
    pub platform: Option<Platform>,
    /// For index sources: one instance, all, a subset, or the index alone.
    pub multi_arch: MultiArch,
    pub progress: progress::Mode,
    pub transport: TransportOptions,
    /// Write the manifest digest of each copied image here, one per line.
    pub digestfile: Option<PathBuf>,
    /// Copy signatures and referrers with each image ([`referrers`]).
    pub referrers: referrers::ReferrerMode,
    /// Warn when an image written changed leaves its source attachments
    /// behind (`copy`; `sync` says it per attachment tag itself).
    pub warn_left_out: bool,
    /// The signature policy (`--policy FILE`, or the default one): each
    /// source image must be one it accepts as it is ([`policy`]).
    pub policy: Option<std::sync::Arc<policy::Policy>>,
    /// Signatures were asked to be left (--remove-signatures,
    /// --with-referrers=false): those a source holds that no copy carries
    /// ([`ImageSource::left_behind`]) go unsaid.
    pub signatures_dropped: bool,
}

/// What one image's copy did.
#[derive(Debug, Clone)]
pub struct CopyReport {
    /// Digest of the manifest as written at the destination.
    pub manifest_digest: Digest,
    /// Digest of the source's (top-level) manifest: another than
    /// `manifest_digest` when the image was written changed (converted,
    /// a platform or a subset of an index picked). None when the source
    /// was not read (a daemon image whose every blob the destination had).
    pub source_digest: Option<Digest>,
    pub blobs_copied: usize,
    pub blobs_skipped: usize,
    /// The signature and referrers-index tags written along with the
    /// image, each with the digest it names.
    pub tags_written: Vec<(String, Digest)>,
    /// A referrers index at the destination changed, or a referrer the
    /// destination indexes itself was added (new referrers).
    pub attachments_changed: bool,
}

/// Copy one image.
pub fn copy_image(
    src: &dyn ImageReference,
    dst: &dyn ImageReference,
    opts: &CopyOptions,
) -> Result<CopyReport> {
    Ok(copy_images(&[src], dst, opts)?.remove(0))
}

/// Copy several images into one destination (a multi-image archive or
/// layout), committing once at the end.
pub fn copy_images(
    srcs: &[&dyn ImageReference],
    dst: &dyn ImageReference,
    opts: &CopyOptions,
) -> Result<Vec<CopyReport>> {
    // (Said before the destination is opened; and a transport that holds
    // one image per name is not told to leave the name off.)
    if srcs.len() > 1 && !dst.holds_several() {
        return Err(Error::usage(format!(
            "{dst} holds one image; cannot copy {} images into it",
            srcs.len()
        )));
    }
    if srcs.len() > 1 && dst.picks_image() {
        return Err(Error::usage(format!(
            "{dst} names one image, and {} are copied, each keeping the name its source \
             gives: leave the name off the destination",
            srcs.len()
        )));
    }
    // (before anything is read or written)
    if let Some(p) = &opts.policy {
        for src in srcs {
            p.check(*src)?;
        }
    }
    let open = |src: &dyn ImageReference| {
        src.source(&opts.transport)
            .map_err(|e| e.context(format!("opening {src}")))
    };
    // Every source is opened before the destination, so a source that
    // cannot be read (missing, refused, unreachable) leaves no new layout,
    // directory or archive behind, nor a first image copied.
    let sources = srcs.iter().map(|s| open(*s)).collect::<Result<Vec<_>>>()?;
    if !opts.signatures_dropped {
        for note in sources.iter().filter_map(|s| s.left_behind()) {
            crate::error::warn(&note);
        }
    }
    // The name the source reference gives, else the names the image
    // carries (docker-archive RepoTags), so archive-to-archive copies keep tags.
    // (An --all-images item: all its names, the one it goes by first.)
    let names: Vec<Vec<String>> = srcs
        .iter()
        .zip(&sources)
        .map(|(src, source)| match src.docker_reference() {
            Some(n) if src.every_name() => {
                let mut all = source.repo_tags();
                all.retain(|t| *t != n);
                all.insert(0, n);
                all
            }
            Some(n) => vec![n],
            None => source.repo_tags(),
        })
        .collect();
    // One name for two of the images: the second would take it from the
    // first (a layout's ref) or make it ambiguous (an archive's RepoTags).
    // Said before anything is written.
    let mut named: std::collections::HashMap<&str, usize> = Default::default();
    for (i, list) in names.iter().enumerate() {
        for n in list {
            if let Some(&j) = named.get(n.as_str()).filter(|&&j| j != i) {
                return Err(Error::new(format!(
                    "{} and {} would both be named {n} in {dst}",
                    srcs[j], srcs[i]
                )));
            }
            named.insert(n, i);
        }
    }
    let dest = dst
        .destination(&opts.transport)
        .map_err(|e| e.context(format!("opening {dst}")))?;
    let holds_referrers = dst.holds_referrers();
    if opts.referrers == referrers::ReferrerMode::Required && !holds_referrers {
        return Err(Error::usage(format!(
            "--with-referrers: {dst} cannot hold signatures or referrers \
             (copy to docker://, oci: or oci-archive:, or leave the option out)"
        )));
    }
    // Where they cannot go (sync's default), the images go alone.
    let without;
    let opts = if holds_referrers || opts.referrers == referrers::ReferrerMode::Off {
        opts
    } else {
        without = CopyOptions {
            referrers: referrers::ReferrerMode::Off,
            ..opts.clone()
        };
        &without
    };
    let mut reports = Vec::with_capacity(srcs.len());
    let mut said = Vec::with_capacity(srcs.len());
    for ((src, source), names) in srcs.iter().zip(sources).zip(names) {
        let progress = Progress::new(opts.progress).for_image(src.to_string());
        dest.check_names(&names)
            .map_err(|e| e.context(format!("copying {src} to {dst}")))?;
        // A signature or referrers-index tag itself (sync lists them).
        let tag = src
            .tag()
            .filter(|_| opts.referrers != referrers::ReferrerMode::Off);
        let attachment = tag.as_deref().and_then(referrers::attachment_tag);
        let report = match (source.streamed(), attachment) {
            (Some(s), _) => stream::copy_streamed(s, &*dest, &names, opts, &progress),
            (None, Some((subject, suffix))) => referrers::copy_tagged(
                &*source,
                &*dest,
                &subject,
                suffix,
                &names,
                &progress,
                opts.transport.dest_registry.retries,
            ),
            (None, None) => copy_one(&*source, &*dest, &names, opts, &progress),
        }
        .inspect_err(|e| progress.image_failed_under_way(e))
        .map_err(|e| e.context(format!("copying {src} to {dst}")))?;
        reports.push(report);
        said.push(progress);
    }
    // (standing aside in a sync while it waits for others' commits)
    let _aside = dest.commit_is_shared().then(jobs::waiting);
    dest.commit()
        .map_err(|e| e.context(format!("writing {dst}")))?;
    drop(_aside);
    // Done once the destination has taken them (a daemon's load, say,
    // ends after the archive does).
    for (r, progress) in reports.iter().zip(&said) {
        progress.image_done(&r.manifest_digest, r.blobs_copied, r.blobs_skipped);
    }
    if let Some(path) = &opts.digestfile {
        // One image: its digest alone, as skopeo writes it; several: a
        // line per image naming its source.
        let text: String = match reports.as_slice() {
            [one] => one.manifest_digest.to_string(),
            _ => reports
                .iter()
                .zip(srcs)
                .map(|(r, src)| format!("{} {src}\n", r.manifest_digest))
                .collect(),
        };
        std::fs::write(path, text)
            .map_err(|e| Error::from(e).context(format!("--digestfile {}", path.display())))?;
    }
    Ok(reports)
}

/// The image manifest to copy: the top-level one, or for an index the
/// instance for the wanted platform (its digest checked against the index).
pub fn select_manifest(src: &dyn ImageSource, platform: Option<&Platform>) -> Result<RawManifest> {
    let top = src.get_manifest(None)?;
    if !top.is_index() {
        return Ok(top);
    }
    let want = platform.cloned().unwrap_or_else(Platform::current);
    pick_platform(&top.index()?, &want, |d| get_listed_manifest(src, d))
}

/// The image of `index` for platform `want`, read with `read`: the best
/// entry for it that is an image, not an artifact (an entry with no
/// platform is taken for any, and may be an SBOM); none is a negative
/// answer. The images of indexes nested in `index` are candidates as if
/// `index` listed them, where their index is listed (depth first; of
/// equals, the first).
pub fn pick_platform(
    index: &crate::model::Index,
    want: &Platform,
    read: impl Fn(&Descriptor) -> Result<RawManifest>,
) -> Result<RawManifest> {
    let index = &index::flattened(index, &mut |d| read(d))?;
    let mut artifacts = Vec::new();
    for d in index.platform_order(want) {
        let raw = read(d)?;
        if raw.is_schema1() {
            return Err(Error::invalid(format!(
                "the entry {} is a Docker schema 1 manifest, which lade does not read in an \
                 index or manifest list",
                d.digest
            )));
        }
        let image = !raw.is_index()
            && raw
                .manifest()
                .is_ok_and(|m| m.config.media_type.is_config());
        if image {
            return Ok(raw);
        }
        artifacts.push(d.digest.to_string());
    }
    let skipped = match artifacts.as_slice() {
        [] => String::new(),
        [a] => format!("; the entry {a} is an artifact, not an image"),
        [a, ..] => format!("; the entries {a}, … are artifacts, not images"),
    };
    Err(Error::not_found(format!(
        "the index has no image for {want} (it has {}{skipped})",
        index::platforms_of(index)
    )))
}

/// The manifest a descriptor (an index entry, a referrer) names, checked
/// against the descriptor's digest and size.
pub fn get_listed_manifest(src: &dyn ImageSource, d: &Descriptor) -> Result<RawManifest> {
    let raw = src
        .get_manifest(Some(&d.digest))
        .map_err(Error::missing_part)?;
    if raw.digest != d.digest || raw.bytes.len() as u64 != d.size {
        // The right bytes under a wrong size: the descriptor is what does
        // not read (invalid); other bytes than named: a failure.
        let err = if raw.digest == d.digest {
            Error::invalid
        } else {
            Error::new
        };
        return Err(err(format!(
            "manifest {} does not match its descriptor (got {}, {} bytes; want {} bytes)",
            d.digest,
            raw.digest,
            raw.bytes.len(),
            d.size
        )));
    }
    Ok(raw)
}

/// A blob a manifest lists: its reader and size. One the source lacks is
/// a failure, not a negative answer: the image was found, and is broken
/// (see [`Error::missing_part`]).
pub fn get_listed_blob<'a>(
    src: &'a dyn ImageSource,
    desc: &Descriptor,
) -> Result<(Box<dyn std::io::Read + Send + 'a>, Option<u64>)> {
    src.get_blob(desc).map_err(Error::missing_part)
}

/// Read a config blob whole (capped), verified. One cut short or changed
/// on the way is asked for again, as a layer is (the source's
/// [`ImageSource::retries`]: --retry-times for a registry).
pub fn read_config(src: &dyn ImageSource, desc: &Descriptor) -> Result<Vec<u8>> {
    if desc.size > MAX_MANIFEST_SIZE {
        return Err(Error::new(format!(
            "config {} is {} bytes, more than the {} byte limit",
            desc.digest, desc.size, MAX_MANIFEST_SIZE
        )));
    }
    blob::retrying(
        src.retries(),
        || {
            let (r, _) = get_listed_blob(src, desc)?;
            let mut r = VerifyingReader::new(r, &desc.digest, Some(desc.size)).naming("config");
            read_capped(&mut r, MAX_MANIFEST_SIZE, "config")
        },
        |_, _, _| {},
    )
}

fn copy_one(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    names: &[String],
    opts: &CopyOptions,
    progress: &Progress,
) -> Result<CopyReport> {
    let top = src.get_manifest(None)?;
    let top_digest = top.digest.clone();
    let top_is_index = top.is_index();
    let mut counts = (0, 0);
    // An index's images written changed (converted, recompressed): their
    // source digests.
    let mut changed = Vec::new();
    let out = if top.is_schema1() {
        schema1::copy(src, dst, &top, opts, progress, &mut counts)?
    } else if !top.is_index() {
        copy_single(src, dst, top, None, opts, progress, &mut counts)?
    } else if let Some(p) = index::one_image(
        &opts.multi_arch,
        opts.platform.as_ref(),
        dst.properties().holds_index(),
    ) {
        let raw = select_manifest(src, p)?;
        copy_single(src, dst, raw, None, opts, progress, &mut counts)?
    } else {
        copy_index(src, dst, &top, opts, progress, &mut counts, &mut changed)?
    };
    // Attachments first, the image's name last: a copy whose attachments
    // fail leaves no name at the destination for a tagged image without
    // them (a registry has each write at once). A referrer may come
    // before its subject (the distribution spec has registries take it).
    let (tags_written, attachments_changed) =
        referrers::copy_for_image(src, dst, &out, opts, progress, &mut counts)?;
    dst.put_manifest(&out, None, names)?;
    progress.message(&format!("Writing manifest {}", out.digest));
    // The source's attachments name the digest it had: not the one written.
    // Best effort: the image is written, and a lookup that fails only
    // leaves the warning out.
    if opts.warn_left_out && opts.referrers != referrers::ReferrerMode::Off {
        let left_out =
            |d: &Digest| *d != out.digest && referrers::has_attachments(src, d).unwrap_or(false);
        if left_out(&top_digest) {
            let why = if top_is_index && !out.is_index() {
                "one image was copied out of the index (copy the index whole, --all, to take \
                 them along)"
                    .to_string()
            } else {
                format!(
                    "it was written changed, as {} (keep it as it is, e.g. --format, \
                     --dest-compress-format or --platform left out, to take them along)",
                    out.digest
                )
            };
            progress.warning(&format!(
                "the attachments (signatures, referrers) of {top_digest} are left out: {why}"
            ));
        }
        for d in changed.iter().filter(|d| left_out(d)) {
            progress.warning(&format!(
                "the attachments (signatures, referrers) of {d}, an image of the index, are \
                 left out: it was written changed (keep it as it is, e.g. --format or \
                 --dest-compress-format left out, to take them along)"
            ));
        }
    }
    Ok(CopyReport {
        manifest_digest: out.digest,
        source_digest: Some(top_digest),
        blobs_copied: counts.0,
        blobs_skipped: counts.1,
        tags_written,
        attachments_changed,
    })
}

/// Copy the selected instances of index `top` (each written as a child
/// before the index, and each nested index so after its own) and return
/// the index to write; the source digests of those written changed go
/// into `changed`.
fn copy_index(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    top: &RawManifest,
    opts: &CopyOptions,
    progress: &Progress,
    counts: &mut (usize, usize),
    changed: &mut Vec<Digest>,
) -> Result<RawManifest> {
    // (the nested indexes written changed too)
    let changed = std::cell::RefCell::new(changed);
    let mut instance = |entry: &Descriptor, raw: Option<RawManifest>| {
        let Some(raw) = raw else {
            if !dst.has_manifest(&entry.digest)? {
                return Err(Error::new(
                    "--multi-arch index-only: the destination does not have this instance; \
                     copy it first (or use --all; a dir: or oci-archive: destination is \
                     written whole, so it never has)",
                ));
            }
            return Ok(Some(entry.clone()));
        };
        let out = copy_single(src, dst, raw, Some(&entry.digest), opts, progress, counts)?;
        if out.digest != entry.digest {
            changed.borrow_mut().push(entry.digest.clone());
        }
        Ok(Some(written_entry(entry, &out)))
    };
    let mut nested = |entry: &Descriptor, out: &RawManifest| {
        if out.digest != entry.digest {
            changed.borrow_mut().push(entry.digest.clone());
        }
        dst.put_manifest(out, Some(&out.digest), &[])
    };
    let out = index_out(
        src,
        top,
        &dst.properties(),
        opts,
        &mut instance,
        &mut nested,
    )?;
    Ok(out.expect("every instance copied"))
}

/// Makes an index entry's instance at the destination (None: cannot tell).
type Instance<'a> = dyn FnMut(&Descriptor, Option<RawManifest>) -> Result<Option<Descriptor>> + 'a;
/// Takes a nested index (its entry, and the index as written).
type NestedOut<'a> = dyn FnMut(&Descriptor, &RawManifest) -> Result<()> + 'a;

/// The index to write for index `top` into a destination with `props`:
/// the entries `opts` selects, each as `instance` makes it from the entry
/// and its manifest (None with --multi-arch index-only), each nested
/// index (--all, index-only) made so in turn and handed to `nested`
/// before the index listing it. None when `instance` cannot tell (None)
/// for one of them.
fn index_out(
    src: &dyn ImageSource,
    top: &RawManifest,
    props: &DestProperties,
    opts: &CopyOptions,
    instance: &mut Instance,
    nested: &mut NestedOut,
) -> Result<Option<RawManifest>> {
    if !props.holds_index() {
        return Err(Error::new(
            "the destination cannot hold a multi-platform index; copy one platform \
             (one --platform, or --override-arch/--override-os) instead",
        ));
    }
    let index = top.index()?;
    let mut nest = index::Nesting::new(index.manifests.len())?;
    let mut read = std::collections::HashMap::new();
    if index::is_nested(&index) {
        match &opts.multi_arch {
            // One flat index of the images picked, wherever they are.
            MultiArch::Platforms(_) => {
                let flat = index::flattened(&index, &mut |d| get_listed_manifest(src, d))?;
                return index_level(src, top, flat, true, props, opts, instance, nested, None);
            }
            // Said before anything is written.
            _ if opts.format == Some(Format::V2s2) => {
                let d = index.manifests.iter().find(|d| d.media_type.is_index());
                return Err(Error::new(format!(
                    "--format v2s2: a Docker manifest list cannot hold an index, and this \
                     one lists {} (--platform copies images of nested indexes under one \
                     list)",
                    d.map_or(String::new(), |d| d.digest.to_string())
                )));
            }
            // Every nested index read first: one missing, damaged or too
            // deep is said before anything is written (and kept, for the
            // copy not to read it again).
            _ => drop(index::leaves(&index, &mut |d| {
                let raw = get_listed_manifest(src, d)?;
                read.insert(d.digest.clone(), raw.clone());
                Ok(raw)
            })?),
        }
    }
    let mut done = std::collections::HashMap::new();
    let mut tree = Tree {
        nest: &mut nest,
        done: &mut done,
        read: &read,
        depth: 0,
    };
    index_level(
        src,
        top,
        index,
        false,
        props,
        opts,
        instance,
        nested,
        Some(&mut tree),
    )
}

/// A copy through nested indexes: its limits, and the nested indexes
/// made already (by source digest: the entry written, None where it
/// cannot be told), each made once however often listed.
struct Tree<'t> {
    nest: &'t mut index::Nesting,
    done: &'t mut std::collections::HashMap<Digest, Option<Descriptor>>,
    /// The nested indexes read before anything was written, by digest.
    read: &'t std::collections::HashMap<Digest, RawManifest>,
    /// Of the index being made (0: the top).
    depth: usize,
}

/// [`index_out`] for one index `top` (`index` its entries, or the
/// flattened view of a tree with `flattened`); `tree` for the nested
/// indexes it lists (None: there are none to follow).
#[allow(clippy::too_many_arguments)]
fn index_level(
    src: &dyn ImageSource,
    top: &RawManifest,
    index: crate::model::Index,
    flattened: bool,
    props: &DestProperties,
    opts: &CopyOptions,
    instance: &mut Instance,
    nested: &mut NestedOut,
    mut tree: Option<&mut Tree>,
) -> Result<Option<RawManifest>> {
    let mut sel = index::select(&index, &opts.multi_arch)?;
    sel.flattened = flattened;
    if opts.format == Some(Format::V2s2) {
        index::drop_attestations(&index, &mut sel, &top.digest);
    }
    let mut written = Vec::with_capacity(sel.entries.len());
    for &i in &sel.entries {
        let entry = &index.manifests[i];
        let ctx = |e: Error| e.context(format!("instance {}", entry.digest));
        if let (true, Some(t)) = (entry.media_type.is_index(), tree.as_deref_mut()) {
            let ctx = |e: Error| e.context(format!("nested index {}", entry.digest));
            let made = match t.done.get(&entry.digest) {
                Some(made) => made.clone(),
                None => {
                    let made =
                        nested_out(src, entry, props, opts, instance, nested, t).map_err(ctx)?;
                    t.done.insert(entry.digest.clone(), made.clone());
                    made
                }
            };
            match made {
                Some(d) => written.push(written_as(entry, &d)),
                None => return Ok(None),
            }
            continue;
        }
        let raw = if sel.copy_instances {
            if !entry.media_type.is_manifest() {
                return Err(ctx(Error::new(format!(
                    "cannot copy an entry of type {} inside an index",
                    entry.media_type
                ))));
            }
            Some(get_listed_manifest(src, entry).map_err(ctx)?)
        } else {
            None
        };
        match instance(entry, raw).map_err(ctx)? {
            Some(d) => written.push(d),
            None => return Ok(None),
        }
    }
    let wants = wants(opts);
    let types = props.types_for(|t| wants.asks_for(t));
    let out = index::assemble(top, &index, &sel, written, &types)?;
    if opts.preserve_digests && out.digest != top.digest {
        return Err(Error::new(format!(
            "--preserve-digests: the index would be rewritten ({} instead of {})",
            out.digest, top.digest
        )));
    }
    Ok(Some(out))
}

/// The nested index `entry` lists, made as [`index_level`] makes one
/// and handed to `nested`: its entry as written (None: cannot tell).
fn nested_out(
    src: &dyn ImageSource,
    entry: &Descriptor,
    props: &DestProperties,
    opts: &CopyOptions,
    instance: &mut Instance,
    nested: &mut NestedOut,
    t: &mut Tree,
) -> Result<Option<Descriptor>> {
    let depth = t.depth + 1;
    if !t.nest.enter(entry, depth)? {
        // (seen, not made: only an index holding itself, which its digest
        // rules out)
        return Err(Error::new("the index lists itself"));
    }
    let raw = match t.read.get(&entry.digest) {
        Some(raw) => raw.clone(),
        None => get_listed_manifest(src, entry)?,
    };
    let index = t.nest.entered(&raw)?;
    let mut inner = Tree {
        nest: &mut *t.nest,
        done: &mut *t.done,
        read: t.read,
        depth,
    };
    let Some(out) = index_level(
        src,
        &raw,
        index,
        false,
        props,
        opts,
        instance,
        nested,
        Some(&mut inner),
    )?
    else {
        return Ok(None);
    };
    nested(entry, &out)?;
    Ok(Some(written_entry(entry, &out)))
}

/// `entry` (a nested index as its index lists it) naming `made`, the
/// index written for it.
fn written_as(entry: &Descriptor, made: &Descriptor) -> Descriptor {
    let mut d = entry.clone();
    d.media_type = made.media_type.clone();
    d.digest = made.digest.clone();
    d.size = made.size;
    d
}

/// An index's `entry` as written: the manifest `out` in its place.
fn written_entry(entry: &Descriptor, out: &RawManifest) -> Descriptor {
    let mut d = entry.clone();
    d.media_type = out.media_type.clone();
    d.digest = out.digest.clone();
    d.size = out.bytes.len() as u64;
    d
}

/// `--platform` of a single image (not an index's instance): the image
/// must be for one of the platforms, as with docker pull --platform.
/// An image naming no platform (an artifact) passes.
pub(super) fn check_single_platform(opts: &CopyOptions, have: Option<&Platform>) -> Result<()> {
    let (MultiArch::Platforms(want), Some(have)) = (&opts.multi_arch, have) else {
        return Ok(());
    };
    if want
        .iter()
        .any(|w| have.rank_for(&w.candidates()).is_some())
    {
        return Ok(());
    }
    let want: Vec<String> = want.iter().map(|w| w.to_string()).collect();
    Err(Error::not_found(format!(
        "no image for {}: the source is a single image, for {have}",
        want.join(", ")
    )))
}

/// What the user asked of the manifests and layers.
pub(super) fn wants(opts: &CopyOptions) -> Wants {
    Wants {
        format: opts.format,
        compression: opts.compression,
        compress_plain: opts.compress_plain,
        preserve_digests: opts.preserve_digests,
    }
}

/// The digest a copy of `src` into a destination with `props` would
/// write, where that is known from manifests alone: the instance picked,
/// the index of the platforms picked, manifests converted to a format
/// the destination takes, but no layer changed (recompressed layers get
/// digests known only once made): None then. For `sync`, which then
/// finds an image written changed unchanged since, without copying it.
pub fn planned_digest(
    src: &dyn ImageSource,
    props: &DestProperties,
    opts: &CopyOptions,
) -> Result<Option<Digest>> {
    let planned = |raw: RawManifest| -> Result<Option<RawManifest>> {
        let manifest = raw.manifest()?;
        let plan = plan::plan(&raw.media_type, &manifest, props, wants(opts))?;
        if plan.layers.iter().any(|a| a.changes_bytes()) {
            return Ok(None);
        }
        if !plan.rewrite {
            return Ok(Some(raw));
        }
        let layers = plan::convert_layers(&manifest.layers, plan.format)?;
        plan::rewritten(&manifest, plan.format, layers).map(Some)
    };
    let top = src.get_manifest(None)?;
    let out = if top.is_schema1() {
        match schema1::known_conversion(&top)? {
            Some(converted) => planned(converted)?,
            None => None,
        }
    } else if !top.is_index() {
        planned(top)?
    } else if let Some(p) = index::one_image(
        &opts.multi_arch,
        opts.platform.as_ref(),
        props.holds_index(),
    ) {
        planned(select_manifest(src, p)?)?
    } else {
        index_out(
            src,
            &top,
            props,
            opts,
            &mut |entry, raw| match raw {
                None => Ok(Some(entry.clone())),
                Some(raw) => Ok(planned(raw)?.map(|out| written_entry(entry, &out))),
            },
            &mut |_, _| Ok(()),
        )?
    };
    Ok(out.map(|m| m.digest))
}

/// How a layer of a copy with `opts` is copied: `action`, into `format`,
/// its decompressed content checked against `diff_id` where known.
fn layer_step<'a>(
    opts: &'a CopyOptions,
    action: plan::LayerAction,
    format: Format,
    diff_id: Option<&'a Digest>,
) -> Step<'a> {
    Step {
        action,
        format,
        diff_id,
        level: opts.compression_level,
        precompute: opts.precompute_digests,
        tmp_dir: opts.transport.tmp_dir.as_deref(),
        retries: opts.transport.dest_registry.retries,
        wants: Some(wants(opts)),
        copied: None,
    }
}

/// How many blobs of one image to copy at once, where both sides take
/// several (`--image-parallel-copies`, else as the transports say); None:
/// one at a time.
fn transfers(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    opts: &CopyOptions,
) -> Option<usize> {
    (src.concurrent_reads() && dst.properties().concurrent_writes).then(|| {
        opts.parallel_blobs
            .unwrap_or_else(|| src.parallel_transfers().max(dst.parallel_transfers()))
    })
}

/// Write config `desc` (`bytes`, taken by the destination as `info`
/// says), or find the destination has it.
fn put_config(
    dst: &dyn ImageDestination,
    desc: &Descriptor,
    bytes: &[u8],
    info: &BlobInfo,
    opts: &CopyOptions,
    progress: &Progress,
) -> Result<blob::Copied> {
    let outcome = if let Some(have) = dst.try_reuse_blob(info)? {
        progress.blob_present(desc, &have);
        Outcome::Skipped
    } else {
        progress.blob_start(desc);
        let retries = opts.transport.dest_registry.retries;
        blob::with_retries(desc, retries, progress, || {
            dst.put_blob(&mut &bytes[..], info)
        })?;
        progress.add_bytes(desc, bytes.len() as u64);
        progress.blob_done(desc, desc, bytes.len() as u64, Outcome::Copied);
        Outcome::Copied
    };
    Ok(blob::Copied {
        desc: desc.clone(),
        outcome,
    })
}

/// Copy one image manifest's blobs and, for an instance of an index
/// (`instance` Some: the source's digest of it), the manifest itself,
/// under the digest of what is written; returns the manifest as it is
/// (or is to be) written. A top-level manifest is left to the caller.
fn copy_single(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    raw: RawManifest,
    instance: Option<&Digest>,
    opts: &CopyOptions,
    progress: &Progress,
    counts: &mut (usize, usize),
) -> Result<RawManifest> {
    let manifest = raw.manifest()?;
    let props = dst.properties();
    let plan = plan::plan(&raw.media_type, &manifest, &props, wants(opts))?;

    // The config: read whole, verified; its diff_ids check decompressed layers.
    let config_bytes = read_config(src, &manifest.config)?;
    let diff_ids: Vec<Digest> = if manifest.config.media_type.is_config() {
        let config = ImageConfig::parse(&config_bytes)
            .map_err(|e| Error::new(format!("config {}: {e}", manifest.config.digest)))?;
        // --platform for a single image (not an index's instance): it
        // must be for one of them, as with docker pull --platform; nothing
        // is written yet. A config naming no platform (an artifact) passes.
        if instance.is_none() {
            check_single_platform(opts, config.platform().as_ref())?;
        }
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(Error::new(format!(
                "config {} lists {} diff_ids but the manifest has {} layers",
                manifest.config.digest,
                config.rootfs.diff_ids.len(),
                manifest.layers.len()
            )));
        }
        config.rootfs.diff_ids
    } else {
        Vec::new()
    };
    let mut config_info = BlobInfo::from(&manifest.config);
    if manifest.config.media_type.is_config() {
        config_info.media_type = plan.format.config_type();
    }
    // The config: written beside the layers (the lightest item, it takes
    // a place a big layer does not need), or first where writes go one
    // at a time.
    let put_config = || {
        put_config(
            dst,
            &manifest.config,
            &config_bytes,
            &config_info,
            opts,
            progress,
        )
    };

    // With `wait` false, None: another copy of this process is writing
    // the blob; come back to it later.
    let one = |i: usize, wait: bool| {
        let step = layer_step(opts, plan.layers[i], plan.format, diff_ids.get(i));
        try_copy_blob(src, dst, &manifest.layers[i], &step, progress, wait)
            .map_err(|e| e.about("layer", &manifest.layers[i].digest))
            .transpose()
    };
    let n = manifest.layers.len();
    // The layers' results, then the config's.
    let results: Vec<Result<blob::Copied>> = match transfers(src, dst, opts) {
        Some(transfers) if n > 0 => blob::in_parallel(
            n + 1,
            transfers,
            |i| {
                manifest
                    .layers
                    .get(i)
                    .map_or(manifest.config.size, |l| l.size)
            },
            |i, wait| {
                if i < n {
                    one(i, wait)
                } else {
                    blob::with_claim(dst, &manifest.config.digest, wait, put_config)
                }
            },
        ),
        _ => {
            let config = blob::with_claim(dst, &manifest.config.digest, true, put_config)
                .expect("a waiting claim is taken")?;
            (0..n)
                .map(|i| one(i, true).expect("a waiting copy gives a result"))
                .chain([Ok(config)])
                .collect()
        }
    };
    let mut done = (0, 0);
    let mut layers = Vec::with_capacity(n);
    for (i, r) in results.into_iter().enumerate() {
        let c = r?;
        c.outcome.count_in(&mut done);
        if i < n {
            layers.push(c.desc);
        }
    }
    counts.0 += done.0;
    counts.1 += done.1;

    // A layer whose bytes were not compressed as labelled was taken for
    // what they are (see blob::copy_claimed): compressed (another blob),
    // or labelled anew.
    let changed = (layers.iter().zip(&manifest.layers)).any(|(out, l)| {
        out.digest != l.digest
            || out.media_type.layer_compression() != l.media_type.layer_compression()
    });
    let out = if plan.rewrite || changed {
        if plan.format == Format::V2s2 {
            plan::warn_manifest_left_out(&raw.digest, &manifest);
        }
        plan::rewritten(&manifest, plan.format, layers)?
    } else {
        raw
    };
    if instance.is_some() {
        dst.put_manifest(&out, Some(&out.digest), &[])?;
    }
    Ok(out)
}
