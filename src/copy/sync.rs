//! `sync`: every tag of a repository (or every image of a layout or
//! multi-image archive) into a repository or layout, one image per tag,
//! or into a tree of `dir:` images, one directory per image (named as
//! skopeo names them: `NAME:TAG`, NAME the repository's last component).
//! A source name that picks one image (`REPO:TAG`, `oci:PATH:REF`, …)
//! syncs that image alone ([`ImageReference::one_image`]).
//!
//! For each tag both sides are asked for the digest they hold with
//! [`ImageReference::current_digest`] (registry HEAD requests, index.json
//! lookups — no manifest reads); equal digests mean the tag is skipped.
//! A registry destination's tags are listed first
//! ([`ImageReference::learn_tags`]): a tag it lacks is copied without a
//! HEAD on either side.
//! Other tags are copied with [`copy_image`], several at once (`jobs`).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use regex::Regex;

use super::jobs::Jobs;
use super::referrers::{attachment_tag, ReferrerMode};
use super::{copy_image, CopyOptions, MultiArch};
use crate::error::{Error, Kind, Result};
use crate::model::Digest;
use crate::transport::{ImageReference, TransportOptions};

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub copy: CopyOptions,
    /// Only images whose source name or tag this matches (unanchored:
    /// use `^…$` for whole names).
    pub tag_regex: Option<Regex>,
    /// Images copied at once.
    pub jobs: usize,
    /// Decide, print, copy nothing.
    pub dry_run: bool,
    /// Go on after a failed image; fail at the end with a summary.
    pub keep_going: bool,
}

/// What happened to one tag.
#[derive(Debug)]
pub enum Outcome {
    /// Copied; the digest written, and the source's where the image was
    /// written changed (another digest).
    Copied(Digest, Option<Digest>),
    /// The destination already holds this image: the digest there, and
    /// the source's where the image is written changed (converted,
    /// platforms picked: another digest).
    Unchanged(Digest, Option<Digest>),
    /// --dry-run: would be copied (the source digest, when known).
    WouldCopy(Option<Digest>),
    /// Not attempted: an earlier image failed (without --keep-going).
    NotAttempted,
    /// A signature or referrers-index tag of an image this sync wrote
    /// changed: (the image's source digest, the digest written).
    LeftOut(Digest, Digest),
    /// A signature or referrers-index tag that does not read (what the
    /// source holds under the name is no manifest): left out, said (true:
    /// by its image's copy already, for the same reason).
    Unreadable(Error, bool),
    Failed(Error),
}

#[derive(Debug)]
pub struct Item {
    /// The source's name for the image (tag or ref name).
    pub source_tag: String,
    /// The source image's full name (as copy's progress events name it).
    pub source: String,
    /// The tag written at the destination ("" for an image by digest).
    pub tag: String,
    /// What the output calls the image: its tag, or where it goes when
    /// one sync writes into several repositories.
    pub label: String,
    /// The destination image's full name ("" when there is none).
    pub dest: String,
    pub outcome: Outcome,
}

/// One image to sync: the source's name for it, the tag it is written
/// under, the output's name for it, the source image, and where it goes
/// (an error fails this image alone).
pub struct Work {
    pub name: String,
    pub tag: String,
    pub label: String,
    pub src: Box<dyn ImageReference>,
    pub to: Result<Box<dyn ImageReference>>,
    /// A signature or referrers-index tag that the sync's choice of images
    /// (--tag-regex, a named tag) left out: synced only if the image it
    /// belongs to is.
    pub if_subject_synced: bool,
}

impl Work {
    /// The item of this image: what `outcome` makes of its source and
    /// destination.
    fn done(
        self,
        outcome: impl FnOnce(&dyn ImageReference, Result<Box<dyn ImageReference>>) -> Outcome,
    ) -> Item {
        let dest = self.to.as_ref().map(|t| t.to_string()).unwrap_or_default();
        let source = self.src.to_string();
        let outcome = outcome(&*self.src, self.to);
        Item {
            source_tag: self.name,
            source,
            tag: self.tag,
            label: self.label,
            dest,
            outcome,
        }
    }

    /// This image, not tried (an earlier one failed).
    pub fn not_attempted(self) -> Item {
        self.done(|_, _| Outcome::NotAttempted)
    }

    /// An image that failed before it could be tried (its repository
    /// could not be listed, say), as an item of its own.
    pub fn failed(label: String, e: Error) -> Item {
        Item {
            source_tag: label.clone(),
            source: label.clone(),
            tag: String::new(),
            label,
            dest: String::new(),
            outcome: Outcome::Failed(e),
        }
    }
}

pub use crate::model::reference::valid_tag;

/// The tag listings of one sync run, by the repository listed (its
/// [`ImageReference::listing_name`]) and the settings it is read with: a
/// repository is listed once in a run, however many of its tags a sync
/// file names (each named tag's [`plan`] lists it for the signatures and
/// referrers of its image), not once per tag.
#[derive(Default)]
pub struct Listings(Mutex<HashMap<String, Result<Vec<String>>>>);

impl Listings {
    /// The tags of the repository `src` is in, listed on first use.
    fn tags(&self, src: &dyn ImageReference, t: &TransportOptions) -> Result<Vec<String>> {
        let s = &t.src_registry;
        let key = format!(
            "{}\n{:?}\n{:?}\n{:?}",
            src.listing_name(),
            s.creds,
            s.tls_verify,
            s.cert_dir
        );
        let made = || self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tags) = made().get(&key) {
            return tags.clone();
        }
        let tags = src.list_tags(t);
        made().insert(key, tags.clone());
        tags
    }
}

/// How one [`plan`] lists its source: through the run's [`Listings`]
/// and, for a sync that does not copy signature and referrers-index tags
/// (`--with-referrers=false`, or a destination that cannot hold them),
/// without those tags (they travel with their images or not at all,
/// never as images of their own), counted for [`Self::note`].
pub struct TagListing<'a> {
    listings: &'a Listings,
    without_attachments: bool,
    /// The destination, where it alone is why they are left out.
    cannot_hold: Option<String>,
    /// How many the listings left out.
    left_out: Cell<usize>,
}

impl<'a> TagListing<'a> {
    /// For a plan writing into `dst`, copying attachments as `mode` says.
    pub fn new(listings: &'a Listings, dst: &dyn ImageReference, mode: ReferrerMode) -> Self {
        let holds = dst.holds_referrers();
        TagListing {
            listings,
            without_attachments: mode == ReferrerMode::Off || !holds,
            cannot_hold: (mode != ReferrerMode::Off && !holds).then(|| dst.to_string()),
            left_out: Cell::new(0),
        }
    }

    /// The tags of the repository `src` is in.
    fn tags(&self, src: &dyn ImageReference, t: &TransportOptions) -> Result<Vec<String>> {
        let mut tags = self.listings.tags(src, t)?;
        if self.without_attachments {
            let n = tags.len();
            tags.retain(|t| attachment_tag(t).is_none());
            self.left_out.set(self.left_out.get() + n - tags.len());
        }
        Ok(tags)
    }

    /// [`ImageReference::images_by_name`] of `src`, those named by an
    /// attachment tag left out as [`Self::tags`] leaves the tags out.
    fn images_by_name(
        &self,
        src: &dyn ImageReference,
        t: &TransportOptions,
    ) -> Result<Vec<Box<dyn ImageReference>>> {
        let mut all = src.images_by_name(t)?;
        if self.without_attachments {
            all.retain(|r| r.tag().is_none_or(|t| attachment_tag(&t).is_none()));
        }
        Ok(all)
    }

    /// What sync says of the tags left out, if there were any and the
    /// destination is why.
    pub fn note(&self) -> Option<String> {
        let dst = self
            .cannot_hold
            .as_ref()
            .filter(|_| self.left_out.get() > 0)?;
        Some(format!(
            "signature and referrers tags are left out: {dst} cannot hold them (sync into \
             docker:// or oci: to keep them)"
        ))
    }
}

/// The destination tag for a source name: the name itself when it is a
/// tag, else what follows its last ':' (`registry/app:1` → `1`).
pub fn dest_tag(name: &str) -> Option<String> {
    if valid_tag(name) {
        return Some(name.to_string());
    }
    let (_, t) = name.rsplit_once(':')?;
    valid_tag(t).then(|| t.to_string())
}

/// The images of `src`: (source name, reference); tags in lexical order
/// (a registry lists them in any order), other images in the source's.
fn images(
    src: &dyn ImageReference,
    opts: &CopyOptions,
    listing: &TagListing,
) -> Result<Vec<(String, Box<dyn ImageReference>)>> {
    if let Some(one) = src.one_image(&opts.transport)? {
        return Ok(vec![one]);
    }
    match listing.tags(src, &opts.transport) {
        Ok(mut tags) => {
            tags.sort_unstable();
            // A name that is no valid ref (`..`, a space in it: a layout
            // written by hand or by another tool) names no image to sync:
            // left out, said once, as a registry's invalid tags are.
            let mut refused = Vec::new();
            let mut out = Vec::with_capacity(tags.len());
            for t in tags {
                match src.with_tag(&t) {
                    Ok(r) => out.push((t, r)),
                    Err(e) if e.kind() == Kind::Unsupported => return Err(e),
                    Err(_) => refused.push(t),
                }
            }
            if let Some(first) = refused.first() {
                let at = src.listing_name();
                crate::error::warn_names_left_out(&at, refused.len(), first, "ref name");
            }
            Ok(out)
        }
        Err(list_err) => match listing.images_by_name(src, &opts.transport) {
            Ok(all) => Ok(all
                .into_iter()
                .map(|r| (r.docker_reference().unwrap_or_else(|| r.to_string()), r))
                .collect()),
            // The way this transport has failed, or neither is its way.
            Err(e) => Err(match (list_err.kind(), e.kind()) {
                (Kind::Unsupported, Kind::Unsupported) => {
                    let t = src.transport();
                    let hint = match t {
                        "dir" => " (--src dir PATH reads a directory of dir: images)",
                        _ => "",
                    };
                    Error::unsupported(format!(
                        "sync cannot read from {t}: (it reads docker://, oci:, oci-archive: or \
                         docker-archive:){hint}"
                    ))
                }
                (Kind::Unsupported, _) => e,
                _ => list_err,
            }),
        },
    }
}

/// How to part two images of one repository bound for one tag.
pub const TAG_REGEX_HINT: &str = "pick one with --tag-regex";

/// The destination tag of an image the source calls `tag`: with
/// `suffix` added, except for signature and referrer tags, which keep
/// their names (tools find them by name).
pub fn suffixed(tag: &str, suffix: &str) -> String {
    if suffix.is_empty() || attachment_tag(tag).is_some() {
        tag.to_string()
    } else {
        format!("{tag}{suffix}")
    }
}

/// The images of `src` to write into `dst`, those `--tag-regex` and
/// `keep` (given the source's name and tag) take, each under its tag and
/// `suffix`; tags listed through `listing`.
pub fn plan(
    src: &dyn ImageReference,
    dst: &dyn ImageReference,
    keep: &dyn Fn(&str) -> bool,
    suffix: &str,
    opts: &SyncOptions,
    listing: &TagListing,
) -> Result<Vec<Work>> {
    // A destination sync cannot write to is refused first, for what it
    // is, before anything is listed or written.
    if let Err(e) = dst.sync_target(None, "latest") {
        if e.kind() == Kind::Unsupported {
            return Err(e);
        }
    }
    // Each image keeps its tag: a destination naming one would be ignored.
    if let Some((tag, _)) = dst.one_image(&opts.copy.transport)? {
        return Err(Error::usage(format!(
            "{dst}: sync writes each image under its own tag, so the destination names \
             none (not {tag:?}); to write one image under another name, use lade copy"
        )));
    }
    let mut all = images(src, &opts.copy, listing)
        .map_err(|e| e.context(format!("listing {}", src.listing_name())))?;
    let listed = all.len();
    // A source naming one image: the attachments of that image, where its
    // repository or layout lists them (best effort; an archive has none).
    let attachments_on = opts.copy.referrers != ReferrerMode::Off;
    let one = src.one_image(&opts.copy.transport)?.is_some();
    if attachments_on && one {
        for t in listing.tags(src, &opts.copy.transport).unwrap_or_default() {
            if attachment_tag(&t).is_some() {
                if let Ok(r) = src.with_tag(&t) {
                    all.push((t, r));
                }
            }
        }
    }
    let mut work = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, (name, r)) in all.into_iter().enumerate() {
        let short = dest_tag(&name).unwrap_or_default();
        // (A source naming one image: that image, listed first.)
        let chosen = (!one || i == 0)
            && opts
                .tag_regex
                .as_ref()
                .is_none_or(|re| re.is_match(&name) || re.is_match(&short))
            && keep(&short);
        // Attachments of the chosen images come with them.
        let attachment = attachments_on && attachment_tag(&short).is_some();
        if !chosen && !attachment {
            continue;
        }
        // A name the source lists twice names two images (entries of a
        // layout or archive sharing a ref name): one would be copied, the
        // other dropped. (Attachments found for a named image may be
        // listed again: the same images.)
        if i < listed && !names.insert(name.clone()) {
            return Err(Error::new(format!(
                "{}: two images are named {name:?}, so the name cannot tell them apart \
                 (a docker save archive: read it as docker-archive:)",
                src.listing_name()
            )));
        }
        let tag = suffixed(&short, suffix);
        // Where it goes (a destination that cannot take images was
        // refused above); a name it cannot take fails that image only.
        let to = match tag.as_str() {
            // (a layout's ref name that no tag could be: `1.0+build`,
            // `ns/ref`; an untagged archive image's `…:@N` has none)
            "" if !name.is_empty() && !name.contains(':') => Err(Error::new(format!(
                "{:?} is not a valid tag (a tag takes letters, digits, _ . and -, 128 at \
                 most)",
                crate::error::escape_controls(&name)
            ))),
            "" => Err(Error::new(
                "no tag to write it under (name the images with tags)",
            )),
            t if !valid_tag(t) => Err(Error::new(format!(
                "{t:?} is not a valid tag (--append-suffix {suffix:?})"
            ))),
            // (a layout's NAME:TAG ref names its image as an archive's
            // does: dir: trees keep alpine:1 and busybox:1 apart)
            t => {
                let named = (short != name).then(|| name.clone());
                dst.sync_target(r.docker_reference().or(named).as_deref(), t)
            }
        };
        // (into a tree, the image's place in it: a layout's t1:1 goes to
        // DEST/t1:1, not DEST/1)
        let label = to
            .as_ref()
            .ok()
            .and_then(|to| to.place_in_tree())
            .unwrap_or_else(|| tag.clone());
        work.push(Work {
            label,
            name,
            tag,
            src: r,
            to,
            if_subject_synced: !chosen,
        });
    }
    Ok(work)
}

/// Copy every image of `work` its destination does not hold already;
/// one item per image, in the order given.
/// Each destination written once, across `batches`: the same source image
/// listed twice is kept once; two images bound for one place (one would
/// silently replace the other) are refused, `hint` saying how to part
/// them.
pub fn one_per_target<'a>(
    batches: impl IntoIterator<Item = &'a mut Vec<Work>>,
    hint: &str,
) -> Result<()> {
    let mut batches: Vec<&mut Vec<Work>> = batches.into_iter().collect();
    // An image listed twice, once chosen and once as an attachment of
    // another, is chosen.
    let chosen: std::collections::HashSet<(String, String)> = batches
        .iter()
        .flat_map(|b| b.iter())
        .filter(|w| !w.if_subject_synced)
        .filter_map(|w| Some((w.to.as_ref().ok()?.to_string(), w.src.to_string())))
        .collect();
    let mut seen: HashMap<String, String> = HashMap::new();
    for work in batches.iter_mut() {
        let mut err = None;
        work.retain_mut(|w| {
            let Ok(to) = &w.to else { return true };
            let (to, src) = (to.to_string(), w.src.to_string());
            if chosen.contains(&(to.clone(), src.clone())) {
                w.if_subject_synced = false;
            }
            match seen.get(&to) {
                Some(other) if *other == src => false,
                Some(other) => {
                    err.get_or_insert_with(|| {
                        Error::new(format!(
                            "{other} and {src} would both be written to {to}; {hint}"
                        ))
                    });
                    true
                }
                None => {
                    seen.insert(to, src);
                    true
                }
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok(())
}

/// Copy every image of `work` its destination does not hold already;
/// one item per image, in the order given. (See [`one_per_target`].)
/// `done` is told of each item as it is known (images run in parallel:
/// in the order they end), so a long sync can say what it did as it goes.
pub fn run(
    work: Vec<Work>,
    opts: &SyncOptions,
    done: &(dyn Fn(&Item) + Sync),
) -> Result<Vec<Item>> {
    if !opts.dry_run && !opts.keep_going {
        // An image with no place to go (no tag to write it under, say)
        // stops the sync before any other is copied.
        if let Some((w, e)) = work.iter().find_map(|w| Some((w, w.to.as_ref().err()?))) {
            return Err(e
                .clone()
                .context(&w.name)
                .context_after("nothing was copied (--keep-going copies the others)"));
        }
    }
    let first = work.first().and_then(|w| w.to.as_ref().ok());
    // (a dry run does not make a dir: image)
    let makes = opts.dry_run && first.is_some_and(|to| to.transport() == "dir");
    let check = !(opts.keep_going || makes);
    if let Some(to) = first.filter(|_| check) {
        // A destination that cannot be written (a directory that is not a
        // layout, say) fails the sync here, before any image is copied,
        // and a dry run the same way. (A new layout is made by the first
        // blob written into it; a dir: image when opened, so a dry run
        // does not open one.) With --keep-going each image is tried, and
        // fails, on its own: in a dir: tree, this one image's directory
        // may be all that is wrong.
        drop(
            to.destination(&opts.copy.transport)
                .map_err(|e| e.context(format!("opening {to}")))?,
        );
    }
    let stop = AtomicBool::new(false);
    // Signature and referrers-index tags the images' copies wrote, by
    // destination name, with the digest each names.
    let tagged: Mutex<HashMap<String, Digest>> = Mutex::default();
    let told = |it: Item| -> Item {
        done(&it);
        it
    };
    let copied = |w: Work| -> Item {
        let name = w.name.clone();
        w.done(|src, to| {
            if stop.load(Ordering::Relaxed) {
                return Outcome::NotAttempted;
            }
            let res = to.and_then(|to| sync_one(src, &*to, opts, &tagged));
            // (An attachment tag an image's copy left out as unreadable:
            // the same on its own.)
            let res = match res {
                Err(e) if e.is_invalid() => {
                    match dest_tag(&name).filter(|t| attachment_tag(t).is_some()) {
                        Some(tag) => {
                            let said = super::referrers::said_left_out(&src.to_string(), &tag);
                            Ok(Outcome::Unreadable(e, said))
                        }
                        None => Err(e),
                    }
                }
                r => r,
            };
            // A plan (--dry-run) lists every image, failed or not.
            if res.is_err() && !opts.keep_going && !opts.dry_run {
                stop.store(true, Ordering::Relaxed);
            }
            res.unwrap_or_else(|e| Outcome::Failed(e.context(&name)))
        })
    };
    let one = |w: Work| told(copied(w));
    // (By the source's name: a suffix added to the tag does not hide one.)
    let attachment =
        |w: &Work| attachment_tag(&dest_tag(&w.name).unwrap_or_default()).map(|(d, _)| d);
    let (later, first): (Vec<_>, Vec<_>) = work
        .into_iter()
        .enumerate()
        .partition(|(_, w)| attachment(w).is_some());
    // `jobs` images at once, each on a thread of its own. Tags usually
    // share base layers: a blob that two images need is written by one of
    // them while the other waits (see ImageDestination::blob_scope), then
    // finds it present; an image left with nothing but such waits stands
    // aside and the next one starts (see jobs.rs).
    let places = Jobs::new(opts.jobs);
    let run = |group: Vec<(usize, Work)>, f: &(dyn Fn(Work) -> Item + Sync)| {
        std::thread::scope(|s| {
            // Each image's thread is joined once it has finished, as the
            // next ones start: one not joined keeps its stack mapped (a
            // sync of 10,000 images held 10,000 of them, and one of
            // some 30,000 would have run out of mappings).
            let join = |(i, h): (usize, std::thread::ScopedJoinHandle<'_, Item>)| {
                (i, h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            };
            let mut items = Vec::new();
            let mut running = Vec::new();
            for (i, w) in group {
                running.push((i, places.run_on(s, move || f(w))));
                let (finished, going): (Vec<_>, Vec<_>) =
                    running.into_iter().partition(|(_, h)| h.is_finished());
                running = going;
                items.extend(finished.into_iter().map(join));
            }
            items.extend(running.into_iter().map(join));
            items.sort_unstable_by_key(|(i, _)| *i);
            items
        })
    };
    let mut items = run(first, &one);
    // Signature and referrers-index tags go after the images, so each
    // finds its image there. Those of an image this sync wrote changed
    // (converted, platforms picked: written under another digest) are
    // left out rather than written to point at a digest the destination
    // does not have.
    let changed: HashMap<Digest, Digest> = items
        .iter()
        .filter_map(|(_, it)| match &it.outcome {
            Outcome::Copied(written, Some(source)) | Outcome::Unchanged(written, Some(source)) => {
                Some((source.clone(), written.clone()))
            }
            _ => None,
        })
        .collect();
    // Those written with their image were copied by this sync: said so,
    // not found "unchanged" when their turn comes.
    let with_image = tagged.lock().unwrap_or_else(|p| p.into_inner()).clone();
    // The images this sync took (by source digest): attachment tags the
    // choice of images left out go only with theirs.
    let mut synced: std::collections::HashSet<Digest> = items
        .iter()
        .filter_map(|(_, it)| match &it.outcome {
            Outcome::Copied(d, None) | Outcome::Unchanged(d, None) => Some(d.clone()),
            Outcome::Copied(_, Some(source)) | Outcome::Unchanged(_, Some(source)) => {
                Some(source.clone())
            }
            Outcome::WouldCopy(d) => d.clone(),
            _ => None,
        })
        .collect();
    // Attachments of an index's images go with the index: where some are
    // still unmatched, the synced images are read (best effort) for the
    // images an index lists.
    let unmatched = |synced: &std::collections::HashSet<Digest>| {
        later.iter().any(|(_, w)| {
            w.if_subject_synced && attachment(w).is_some_and(|d| !synced.contains(&d))
        })
    };
    if unmatched(&synced) {
        for (_, it) in &items {
            if !matches!(it.outcome, Outcome::Copied(..) | Outcome::Unchanged(..)) {
                continue;
            }
            let top = crate::transport::parse(&it.source)
                .and_then(|r| r.source(&opts.copy.transport))
                .and_then(|src| src.get_manifest(None));
            if let Ok(Ok(index)) = top.map(|m| m.index()) {
                synced.extend(index.manifests.into_iter().map(|d| d.digest));
            }
        }
    }
    let later: Vec<(usize, Work)> = later
        .into_iter()
        .filter(|(_, w)| !w.if_subject_synced || attachment(w).is_some_and(|d| synced.contains(&d)))
        .collect();
    let attached_item = |w: Work| -> Item {
        let subject = attachment(&w);
        if let Some(d) =
            w.to.as_ref()
                .ok()
                .and_then(|to| with_image.get(&to.to_string()))
        {
            let d = d.clone();
            return w.done(|_, _| Outcome::Copied(d, None));
        }
        match subject.and_then(|d| changed.get(&d).map(|written| (d, written.clone()))) {
            Some((d, written)) => w.done(|_, _| Outcome::LeftOut(d, written)),
            None => copied(w),
        }
    };
    let attached = |w: Work| told(attached_item(w));
    items.extend(run(later, &attached));
    items.sort_by_key(|(i, _)| *i);
    Ok(items.into_iter().map(|(_, it)| it).collect())
}

/// Sync the image `src` to `to`, unless `to` holds it already.
/// Tags written along with the image go into `tagged`.
fn sync_one(
    src: &dyn ImageReference,
    to: &dyn ImageReference,
    opts: &SyncOptions,
    tagged: &Mutex<HashMap<String, Digest>>,
) -> Result<Outcome> {
    let t = &opts.copy.transport;
    // An unknown digest on either side means "copy". The destination is
    // asked first: where it has no such tag (often known without a
    // request, see learn_tags) the source's digest is not needed. A
    // lookup that fails is tried again by the copy itself; but a dry run
    // copies nothing, so there it is the answer (a registry that cannot
    // be reached, refuses, or lacks the source image).
    let look = |r: &dyn ImageReference, dest: bool| -> Result<Option<Digest>> {
        match r.current_digest(t, dest) {
            Ok(None) if !dest && opts.dry_run => {
                Err(Error::not_found(format!("{r}: no such image")))
            }
            Err(_) if !opts.dry_run => Ok(None),
            other => other,
        }
    };
    let there = look(to, true)?;
    // The image is there, but the layout it comes from has referrers of
    // it, which may be new (see layout_referrers): copied again, to find
    // out (its blobs skipped, its manifest written again).
    let mut recheck = false;
    if there.is_some() || opts.dry_run {
        let have = look(src, false)?;
        if let (Some(h), Some(d)) = (&have, &there) {
            // Copied as it is (whole indexes, the source's format): the
            // same digest is the same image.
            let c = &opts.copy;
            let as_is = matches!(c.multi_arch, MultiArch::All | MultiArch::IndexOnly)
                && c.format.is_none()
                && c.compression.is_none();
            if h == d && as_is {
                if opts.dry_run || !layout_referrers(src, opts) {
                    return Ok(Outcome::Unchanged(h.clone(), None));
                }
                recheck = true;
            }
            // An image this sync writes changed (converted, platforms
            // picked, another format) is unchanged when what it would
            // write now is what is there: known from the source's
            // manifests (a few small reads), where no layer would change.
            // Otherwise (or when that cannot be read) it is copied, as any
            // other; so is one whose digest is the source's where the
            // options would now write another (a --platform subset of an
            // index mirrored whole before).
            let planned = || -> Result<Option<Digest>> {
                let Some(props) = to.dest_properties() else {
                    return Ok(None);
                };
                crate::copy::planned_digest(&*src.source(t)?, &props, c)
            };
            if !recheck && planned().ok().flatten().as_ref() == Some(d) {
                let changed = (h != d).then(|| h.clone());
                return Ok(Outcome::Unchanged(d.clone(), changed));
            }
        }
        if opts.dry_run {
            return Ok(Outcome::WouldCopy(have));
        }
    }
    let report = copy_image(src, to, &opts.copy)?;
    if recheck && report.blobs_copied == 0 && !report.attachments_changed {
        return Ok(Outcome::Unchanged(report.manifest_digest, None));
    }
    // (Those of an image copied again to find its new referrers were
    // there already, mostly: the tags' own items say which changed.)
    let written = if recheck {
        Vec::new()
    } else {
        report.tags_written
    };
    for (tag, d) in written {
        if let Ok(r) = to.with_tag(&tag) {
            let mut t = tagged.lock().unwrap_or_else(|p| p.into_inner());
            t.insert(r.to_string(), d);
        }
    }
    // A referrers index tag merged into the destination's, which held
    // every referrer already: nothing changed there.
    let fallback = src
        .tag()
        .and_then(|t| attachment_tag(&t).map(|(_, suffix)| suffix.is_none()))
        .unwrap_or(false);
    if fallback && there.as_ref() == Some(&report.manifest_digest) {
        return Ok(Outcome::Unchanged(report.manifest_digest, None));
    }
    let changed = report
        .source_digest
        .filter(|s| *s != report.manifest_digest);
    Ok(Outcome::Copied(report.manifest_digest, changed))
}

/// Does the layout (or archive of one) `src` comes from hold referrers of
/// its image, or of its index's entries? There, referrers are entries
/// without a name, no tags that sync copies as it copies a registry's
/// `sha256-HEX` tags: new ones of an image already at the destination are
/// found only by copying it again.
fn layout_referrers(src: &dyn ImageReference, opts: &SyncOptions) -> bool {
    if opts.copy.referrers == ReferrerMode::Off || !src.untagged_referrers() {
        return false;
    }
    let Ok(s) = src.source(&opts.copy.transport) else {
        return false;
    };
    let Ok(top) = s.get_manifest(None) else {
        return false;
    };
    let Ok(subjects) = super::referrers::tree_subjects(&*s, &top) else {
        return false;
    };
    subjects
        .iter()
        .any(|d| s.referrers(d).is_ok_and(|r| !r.descriptors.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_from_names() {
        assert_eq!(dest_tag("1.0").as_deref(), Some("1.0"));
        assert_eq!(dest_tag("registry:5000/app:v2").as_deref(), Some("v2"));
        assert_eq!(dest_tag("app/x"), None);
        assert!(!valid_tag(".x"));
        assert!(!valid_tag(&"a".repeat(129)));
    }
}
