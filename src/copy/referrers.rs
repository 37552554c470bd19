//! Signatures and referrers: what `--with-referrers` copies along with an
//! image.
//!
//! Two conventions attach things to a manifest with digest `D`
//! (`sha256:<hex>`), and both are copied:
//! - cosign's tags in the same repository: `sha256-<hex>.sig`, `.att`,
//!   `.sbom`, each a manifest, copied to the same tag at the destination;
//! - OCI 1.1 referrers: manifests whose `subject` is `D`, listed by the
//!   registry's referrers API or, where it has none (it answers 404), by the
//!   referrers tag schema's index tagged `sha256-<hex>`; in a layout, the
//!   index.json entries whose manifest has that subject.
//!
//! Each attached manifest is copied as exact bytes with its blobs (config
//! and layers of any media type; they are artifacts, not images, so no
//! image config is required) through the verified blob copy, then made
//! findable at the destination: a registry with the referrers API indexes
//! `subject` itself (it answers `OCI-Subject`); otherwise the destination's
//! `sha256-<hex>` index is created or extended (when the destination has
//! none and the source's index lists exactly what was copied, the source's
//! bytes are written, so digests agree); a layout lists referrers in
//! index.json. Attachments of attachments (a signature of an SBOM) follow,
//! down to [`MAX_DEPTH`], and no more than [`MAX_ATTACHMENTS`] in all.
//!
//! Attachments are only looked up for digests the destination keeps: the
//! image manifest as written (and, for an index, each of its entries), so
//! a converted image (new digest) carries none.

use std::collections::HashSet;
use std::sync::Mutex;

use super::blob::{copy_blob, Step};
use super::plan::{Format, LayerAction};
use super::progress::Progress;
use super::{get_listed_manifest, CopyOptions, CopyReport};
use crate::error::{Error, Result};
use crate::model::{Descriptor, Digest, Index, MediaType, RawManifest};
use crate::transport::registry::{fallback_tag, Retries};
use crate::transport::{ImageDestination, ImageSource, Referred};

/// How deep attachments of attachments are followed (image → SBOM →
/// signature of the SBOM → …).
pub const MAX_DEPTH: usize = 4;

/// The most attachments (tags and referrers, every level) one image's
/// copy takes. Each level may list up to 10,000: a source listing ever
/// more at each (a hostile registry, 20 new ones for every digest asked)
/// would keep the copy going for days; it fails instead, saying so.
pub const MAX_ATTACHMENTS: usize = 2000;

/// cosign's attachment tag suffixes.
pub const SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// Whether to copy signatures and referrers with each image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReferrerMode {
    /// Copy the image alone.
    #[default]
    Off,
    /// Copy them where the destination can hold them; skip silently where
    /// it cannot (`sync`'s default).
    IfSupported,
    /// Copy them; a destination that cannot hold them is an error
    /// (`--with-referrers` given).
    Required,
}

/// A tag of the attachment conventions: `sha256-<hex>` (the referrers
/// tag schema; suffix None) or `sha256-<hex>.sig|.att|.sbom` (cosign).
/// Returns the digest it attaches to and the suffix.
pub fn attachment_tag(tag: &str) -> Option<(Digest, Option<&str>)> {
    let (base, suffix) = match tag.rsplit_once('.') {
        Some((b, s)) if SUFFIXES.contains(&s) => (b, Some(s)),
        Some(_) => return None,
        None => (tag, None),
    };
    let (alg, hex) = base.split_once('-')?;
    let ok_hex =
        |n: usize| hex.len() == n && hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    let ok = match alg {
        "sha256" => ok_hex(64),
        "sha512" => ok_hex(128),
        _ => false,
    };
    if !ok {
        return None;
    }
    let d = Digest::parse(&format!("{alg}:{hex}")).ok()?;
    Some((d, suffix))
}

/// One attachment walk at a time in this process: the image pass and a
/// `sync` of the attachment's own tag then never upload the same blob or
/// rewrite the same tag-schema index at once.
fn walk_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

struct Walk<'a> {
    src: &'a dyn ImageSource,
    dst: &'a dyn ImageDestination,
    progress: &'a Progress,
    counts: &'a mut (usize, usize),
    seen: HashSet<Digest>,
    /// Blob copies retried after transient write failures (`--retry-times`).
    retries: Retries,
    /// Tags written: signature and referrers-index tags, and what each names.
    tagged: Vec<(String, Digest)>,
    /// A referrers index the destination had was changed (or made), or
    /// a referrer it indexes itself was added.
    changed: bool,
    /// Attachments this walk may still take (see [`MAX_ATTACHMENTS`]).
    budget: usize,
}

/// The hook after an image's top-level manifest `out` is written: copy
/// the attachments of `out` and, for an index, of each entry. Returns the
/// tags written, and whether a referrers index at the destination changed.
pub fn copy_for_image(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    out: &RawManifest,
    opts: &CopyOptions,
    progress: &Progress,
    counts: &mut (usize, usize),
) -> Result<(Vec<(String, Digest)>, bool)> {
    if opts.referrers == ReferrerMode::Off {
        return Ok((Vec::new(), false));
    }
    let subjects = tree_subjects(src, out)?;
    let _g = walk_lock();
    let mut w = Walk {
        src,
        dst,
        progress,
        counts,
        seen: HashSet::new(),
        retries: opts.transport.dest_registry.retries,
        tagged: Vec::new(),
        changed: false,
        budget: MAX_ATTACHMENTS,
    };
    for s in &subjects {
        w.attachments_of(s, 0)
            .map_err(|e| e.missing_part().context(format!("attachments of {s}")))?;
    }
    Ok((w.tagged, w.changed))
}

/// The digests whose attachments go with image `out` (as written): its
/// own and, for an index, those of its entries and of the entries of the
/// indexes nested in it that the source holds as written (one written
/// changed has no attachments there).
pub fn tree_subjects(src: &dyn ImageSource, out: &RawManifest) -> Result<Vec<Digest>> {
    let mut subjects = vec![out.digest.clone()];
    if !out.is_index() {
        return Ok(subjects);
    }
    let top = out.index()?;
    let mut nest = super::index::Nesting::new(top.manifests.len())?;
    let mut stack = vec![(top, 0)];
    while let Some((index, depth)) = stack.pop() {
        for d in index.manifests {
            if d.media_type.is_index() && nest.enter(&d, depth + 1)? {
                if let Ok(raw) = super::get_listed_manifest(src, &d) {
                    stack.push((nest.entered(&raw)?, depth + 1));
                }
            }
            subjects.push(d.digest);
        }
    }
    Ok(subjects)
}

/// Does the source hold attachments of `subject` (tag-schema tags or
/// referrers)?
pub fn has_attachments(src: &dyn ImageSource, subject: &Digest) -> Result<bool> {
    for suffix in SUFFIXES {
        let tag = format!("{}.{suffix}", fallback_tag(subject));
        if src.manifest_by_tag(&tag)?.is_some() {
            return Ok(true);
        }
    }
    Ok(!src.referrers(subject)?.descriptors.is_empty())
}

/// Copy a source named by an attachment tag (`sync` lists them as tags):
/// a cosign tag as the artifact it is; a tag-schema index by copying what
/// it lists and merging it into the destination's index for the subject.
pub fn copy_tagged(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    subject: &Digest,
    suffix: Option<&str>,
    names: &[String],
    progress: &Progress,
    retries: Retries,
) -> Result<CopyReport> {
    let top = src.get_manifest(None)?;
    let mut counts = (0, 0);
    let _g = walk_lock();
    let mut w = Walk {
        src,
        dst,
        progress,
        counts: &mut counts,
        seen: HashSet::new(),
        retries,
        tagged: Vec::new(),
        changed: false,
        budget: MAX_ATTACHMENTS,
    };
    w.seen.insert(subject.clone());
    if suffix.is_some() || !top.is_index() {
        w.artifact(&top).map_err(Error::missing_part)?;
        dst.put_manifest(&top, None, names)?;
        w.attachments_of(&top.digest, 1)
            .map_err(Error::missing_part)?;
    } else {
        // The tag itself is being copied: write it even where the
        // destination indexes referrers itself, so a later sync finds it.
        let listed = top.index()?.manifests;
        w.referrers(subject, &listed, Some(&top), true, 0)
            .map_err(Error::missing_part)?;
    }
    let tags_written = std::mem::take(&mut w.tagged);
    let attachments_changed = w.changed;
    drop(w);
    // What the destination's tag names now: a tag-schema index merged
    // with one there already may not be the source's.
    let at_dest = match suffix {
        None => tags_written
            .iter()
            .rev()
            .find(|(t, _)| *t == fallback_tag(subject))
            .map(|(_, d)| d.clone()),
        Some(_) => None,
    };
    Ok(CopyReport {
        source_digest: Some(top.digest.clone()),
        manifest_digest: at_dest.unwrap_or(top.digest),
        blobs_copied: counts.0,
        blobs_skipped: counts.1,
        tags_written,
        attachments_changed,
    })
}

impl Walk<'_> {
    /// [`left_out`], for the image this walk is for.
    fn left_out(&self, what: &str, e: Error) -> Result<()> {
        left_out(what, e, self.progress.image_name())
    }

    /// Count one more attachment against [`MAX_ATTACHMENTS`].
    fn spend(&mut self) -> Result<()> {
        if self.budget == 0 {
            return Err(Error::new(format!(
                "the source lists more than {MAX_ATTACHMENTS} signatures and referrers for one \
                 image (every level counted); --with-referrers=false copies it without them"
            )));
        }
        self.budget -= 1;
        Ok(())
    }

    /// Copy everything attached to `subject` (cosign tags, then referrers).
    fn attachments_of(&mut self, subject: &Digest, depth: usize) -> Result<()> {
        if depth >= MAX_DEPTH || !self.seen.insert(subject.clone()) {
            return Ok(());
        }
        for suffix in SUFFIXES {
            let tag = format!("{}.{suffix}", fallback_tag(subject));
            let raw = match self.src.manifest_by_tag(&tag) {
                Ok(Some(raw)) => raw,
                Ok(None) => continue,
                Err(e) => {
                    self.left_out(&format!("tag {tag}"), e)?;
                    continue;
                }
            };
            self.spend()?;
            self.progress
                .message(&format!("Copying {tag} ({})", raw.digest));
            if let Err(e) = self.artifact(&raw) {
                self.left_out(&format!("tag {tag}"), e)?;
                continue;
            }
            self.dst
                .put_tagged_manifest(&raw, &tag)
                .map_err(|e| e.context(format!("tag {tag}")))?;
            self.tagged.push((tag, raw.digest.clone()));
            self.attachments_of(&raw.digest, depth + 1)?;
        }
        let found = match self.src.referrers(subject) {
            Ok(f) => f,
            Err(e) => return self.left_out(&format!("the referrers of {subject}"), e),
        };
        if !found.descriptors.is_empty() {
            self.referrers(
                subject,
                &found.descriptors,
                found.fallback_index.as_ref(),
                false,
                depth,
            )?;
        }
        Ok(())
    }

    /// Copy the referrers `listed` of `subject` and make them findable;
    /// `like` is the source's tag-schema index they came from, if any.
    /// With `tag_all`, the destination's tag-schema index lists them all,
    /// not only those the destination did not index itself.
    fn referrers(
        &mut self,
        subject: &Digest,
        listed: &[Descriptor],
        like: Option<&RawManifest>,
        tag_all: bool,
        depth: usize,
    ) -> Result<()> {
        let mut unindexed = Vec::new();
        for d in listed {
            if !d.media_type.is_manifest_or_index() {
                self.progress.message(&format!(
                    "Skipping referrer {} of {subject}: {} is no manifest type",
                    d.digest, d.media_type
                ));
                continue;
            }
            let ctx = |e: Error| e.context(format!("referrer {}", d.digest));
            let what = format!("referrer {} of {subject}", d.digest);
            self.spend()?;
            let (raw, d) = match get_listed_manifest(self.src, d)
                .and_then(|raw| referrer_descriptor(&raw, subject).map(|d| (raw, d)))
            {
                Ok(r) => r,
                Err(e) => {
                    self.left_out(&what, e)?;
                    continue;
                }
            };
            let d = &d;
            self.progress.message(&format!(
                "Copying referrer {} ({})",
                raw.digest,
                d.artifact_type.as_deref().unwrap_or(d.media_type.as_str())
            ));
            if let Err(e) = self.artifact(&raw) {
                self.left_out(&what, e)?;
                continue;
            }
            // (One the destination indexes itself that it did not hold
            // is a change, as one added to a referrers index is.)
            match self.dst.put_referrer(&raw, d).map_err(ctx)? {
                Referred::Stored => unindexed.push(d.clone()),
                _ if tag_all => unindexed.push(d.clone()),
                Referred::IndexedNew => self.changed = true,
                Referred::IndexedAlready => {}
            }
            self.attachments_of(&raw.digest, depth + 1)?;
        }
        if unindexed.is_empty() {
            return Ok(());
        }
        let tag = fallback_tag(subject);
        let ctx = |e: Error| e.context(format!("referrers index {tag}"));
        // (What the destination holds not reading fails the image.)
        let existing = self
            .dst
            .tagged_manifest(&tag)
            .map_err(|e| ctx(e.settled()))?;
        match merge_fallback(existing.as_ref(), &unindexed, like).map_err(|e| ctx(e.settled()))? {
            Some(m) => {
                self.dst.put_tagged_manifest(&m, &tag).map_err(ctx)?;
                self.tagged.push((tag, m.digest));
                self.changed = true;
            }
            // It lists them all already: what the tag names stays.
            None => self.tagged.extend(existing.map(|e| (tag, e.digest))),
        }
        Ok(())
    }

    /// Copy the blobs of an artifact manifest (or, for an index, its
    /// children and theirs, each child put by digest); the manifest itself
    /// is left to the caller.
    fn artifact(&mut self, raw: &RawManifest) -> Result<()> {
        if raw.is_index() {
            for c in raw.index()?.manifests {
                if !c.media_type.is_manifest_or_index() {
                    continue;
                }
                let child = get_listed_manifest(self.src, &c)?;
                self.artifact(&child)?;
                self.dst.put_manifest(&child, Some(&child.digest), &[])?;
            }
            return Ok(());
        }
        let m = raw.manifest()?;
        let step = Step {
            action: LayerAction::Keep,
            format: Format::of(&raw.media_type).unwrap_or(Format::Oci),
            diff_id: None,
            level: None,
            precompute: false,
            tmp_dir: None,
            retries: self.retries,
            wants: None,
            copied: None,
        };
        for b in std::iter::once(&m.config).chain(&m.layers) {
            let c = copy_blob(self.src, self.dst, b, &step, self.progress)?;
            c.outcome.count_in(self.counts);
        }
        Ok(())
    }
}

/// The descriptor of a listed referrer, from its own bytes (the media
/// type, artifact type and annotations a listing gives are the
/// registry's word): refused unless its `subject` is `subject`, so a
/// listing cannot attach an unrelated manifest (or the image itself) to
/// the image. The artifact type is the manifest's, else an image
/// manifest's config media type, as the referrers API gives it.
fn referrer_descriptor(raw: &RawManifest, subject: &Digest) -> Result<Descriptor> {
    let (its_subject, artifact_type, annotations) = if raw.is_index() {
        let i = raw.index()?;
        (i.subject, i.artifact_type, i.annotations)
    } else {
        let m = raw.manifest()?;
        let at = m
            .artifact_type
            .or_else(|| Some(m.config.media_type.as_str().to_string()));
        (m.subject, at, m.annotations)
    };
    match its_subject {
        Some(s) if s.digest == *subject => {}
        Some(s) => {
            return Err(Error::invalid(format!(
                "its subject is {}, not {subject}",
                s.digest
            )))
        }
        None => {
            return Err(Error::invalid(format!(
                "it has no subject (listed for {subject})"
            )))
        }
    }
    let mut d = Descriptor::new(
        raw.media_type.clone(),
        raw.digest.clone(),
        raw.bytes.len() as u64,
    );
    d.artifact_type = artifact_type;
    d.annotations = annotations;
    Ok(d)
}

/// An attachment that does not read (what the source holds under its
/// name is no manifest, or names a blob by no digest) is left out, with a
/// warning: one bad entry, which anyone who may push can add, does not
/// stop its image. Any other failure (a registry that cannot be reached)
/// is the image's.
fn left_out(what: &str, e: Error, from: Option<&str>) -> Result<()> {
    if e.is_invalid() {
        crate::error::warn(&format!("{what} is left out: {}", e.message()));
        said()
            .lock()
            .unwrap()
            .insert(format!("{} {what}", from.map_or("", repository_of)));
        Ok(())
    } else {
        Err(e.context(what))
    }
}

/// What this process said it left out.
fn said() -> &'static std::sync::Mutex<std::collections::HashSet<String>> {
    static S: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    S.get_or_init(Default::default)
}

/// Whether an image's copy has said it left out the attachment tag of
/// `name` (an image name whose tag is one), so that the tag's own copy,
/// which fails on the same data, need not say it again.
pub fn said_left_out(name: &str, tag: &str) -> bool {
    said()
        .lock()
        .unwrap()
        .contains(&format!("{} tag {tag}", repository_of(name)))
}

/// An image name without its tag or digest: the repository (or layout)
/// it is in.
fn repository_of(name: &str) -> &str {
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    match name.rsplit_once(':') {
        // (a port or a transport's colon is followed by more of the name)
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => name,
    }
}

/// The tag-schema index to write after adding `add` to what the
/// destination has (`existing`); None when it already lists them all.
/// Without an existing index, `like` (the source's) is kept byte for byte
/// when it lists exactly `add`; otherwise a new OCI index is written.
pub fn merge_fallback(
    existing: Option<&RawManifest>,
    add: &[Descriptor],
    like: Option<&RawManifest>,
) -> Result<Option<RawManifest>> {
    let has = |list: &[Descriptor], d: &Descriptor| list.iter().any(|m| m.digest == d.digest);
    let mut index = match existing {
        Some(e) if e.is_index() => e.index()?,
        Some(e) => {
            return Err(Error::new(format!(
                "the destination's tag holds a {}, not a referrers index",
                e.media_type
            )))
        }
        None => {
            if let Some(l) = like.filter(|l| l.media_type == MediaType::OciIndex) {
                let li = l.index()?.manifests;
                if add.iter().all(|d| has(&li, d)) && li.iter().all(|m| has(add, m)) {
                    return Ok(Some(l.clone()));
                }
            }
            Index::empty_oci()
        }
    };
    let new: Vec<Descriptor> = add
        .iter()
        .filter(|d| !has(&index.manifests, d))
        .cloned()
        .collect();
    if new.is_empty() {
        return Ok(None);
    }
    index.manifests.extend(new);
    let bytes = serde_json::to_vec(&index).expect("index serializes");
    RawManifest::from_bytes(bytes, Some(&MediaType::OciIndex)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(s: &str) -> Descriptor {
        let mut d = Descriptor::new(MediaType::OciManifest, Digest::of_bytes(s.as_bytes()), 9);
        d.artifact_type = Some("application/spdx+json".into());
        d
    }

    #[test]
    fn repositories_of_names() {
        for (name, repo) in [
            ("docker://r:5000/a/b:v1", "docker://r:5000/a/b"),
            ("docker://r:5000/a/b", "docker://r:5000/a/b"),
            ("docker://r/a@sha256:ab", "docker://r/a"),
            ("oci:/x/y:sha256-abc.sig", "oci:/x/y"),
            ("oci:/x/y", "oci:/x/y"),
        ] {
            assert_eq!(repository_of(name), repo, "{name}");
        }
    }

    #[test]
    fn attachment_tags() {
        let d = Digest::of_bytes(b"x");
        let hex = d.hex().to_string();
        assert_eq!(
            attachment_tag(&format!("sha256-{hex}")),
            Some((d.clone(), None))
        );
        assert_eq!(
            attachment_tag(&format!("sha256-{hex}.sig")),
            Some((d.clone(), Some("sig")))
        );
        assert!(attachment_tag(&format!("sha256-{hex}.att")).is_some());
        assert!(attachment_tag(&format!("sha256-{hex}.sbom")).is_some());
        assert!(attachment_tag(&format!("sha256-{hex}.foo")).is_none());
        assert!(attachment_tag(&format!("sha256-{}", &hex[1..])).is_none());
        assert!(attachment_tag(&format!("sha256-{}", hex.to_uppercase())).is_none());
        assert!(attachment_tag("latest").is_none());
        assert!(attachment_tag("v1.0").is_none());
    }

    #[test]
    fn merge_keeps_the_source_bytes_then_extends() {
        let (a, b) = (desc("a"), desc("b"));
        let src = merge_fallback(None, std::slice::from_ref(&a), None)
            .unwrap()
            .unwrap();
        // Nothing at the destination, the source lists exactly a: its bytes.
        let again = merge_fallback(None, std::slice::from_ref(&a), Some(&src))
            .unwrap()
            .unwrap();
        assert_eq!(again, src);
        // Already listed: nothing to write.
        assert!(merge_fallback(Some(&src), std::slice::from_ref(&a), None)
            .unwrap()
            .is_none());
        // A new one is appended, the old kept.
        let both = merge_fallback(Some(&src), std::slice::from_ref(&b), None)
            .unwrap()
            .unwrap();
        let m = both.index().unwrap().manifests;
        assert_eq!(m, vec![a.clone(), b.clone()]);
        assert_eq!(m[1].artifact_type.as_deref(), Some("application/spdx+json"));
        // The source lists more than was copied: a fresh index.
        let fresh = merge_fallback(None, std::slice::from_ref(&b), Some(&both))
            .unwrap()
            .unwrap();
        assert_eq!(fresh.index().unwrap().manifests, vec![b]);
        // A manifest under the tag is not overwritten.
        let img = RawManifest::from_bytes(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#.to_vec(),
            None,
        )
        .unwrap();
        assert!(merge_fallback(Some(&img), &[a], None).is_err());
    }
}
