//! `lade sync SOURCE DESTINATION`.

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::copy::{multi_arch_of, progress_of, referrer_mode};
use super::stdout;
use crate::cli::{DestKindArg, FormatArg, GlobalArgs, SrcKindArg, SyncArgs};
use crate::copy::plan::Format;
use crate::copy::policy::Policy;
use crate::copy::progress::{Mode, Progress};
use crate::copy::referrers::ReferrerMode;
use crate::copy::sync::{
    one_per_target, plan, run as run_work, Item, Listings, Outcome, SyncOptions, TagListing, Work,
    TAG_REGEX_HINT,
};
use crate::copy::sync_many::{self, DestKind, Naming, Planned, SrcKind};
use crate::copy::sync_yaml::one_line;
use crate::copy::{CopyOptions, MultiArch};
use crate::error::{Error, Result};
use crate::transport::{self, TransportOptions};

pub fn run(g: &GlobalArgs, a: SyncArgs, policy: Option<Arc<Policy>>) -> Result<i32> {
    // What this copy learns of blobs is kept for the next.
    crate::blob_cache::learn();
    let referrers = referrer_mode(
        a.with_referrers,
        a.remove_signatures,
        ReferrerMode::IfSupported,
    )?;
    // The image `--multi-arch system` picks of an index (--override-*;
    // None: this machine's).
    let platform = super::platform_of(g)?;
    let tag_regex = a
        .tag_regex
        .as_deref()
        .map(|p| {
            crate::copy::sync_yaml::tag_regex(p)
                .map_err(|e| Error::usage(format!("--tag-regex {p:?}: {}", one_line(&e))))
        })
        .transpose()?;
    let none_given = !a.multi.all && a.multi.multi_arch.is_none() && a.multi.platforms.is_empty();
    let multi_arch = if none_given {
        // --override-* name the platform wanted: that one alone, as skopeo
        // sync copies; else whole indexes.
        if platform.is_some() {
            MultiArch::System
        } else {
            MultiArch::All
        }
    } else {
        multi_arch_of(&a.multi)?
    };
    // Several images at once: lines, not bars.
    let progress = match progress_of(a.quiet, a.progress) {
        Mode::Auto => Mode::Lines,
        m => m,
    };
    let opts = SyncOptions {
        copy: CopyOptions {
            format: a.format.map(|f| match f {
                FormatArg::Oci => Format::Oci,
                FormatArg::V2s2 => Format::V2s2,
            }),
            multi_arch,
            progress: if progress == Mode::Json {
                Mode::Json
            } else {
                Mode::Quiet
            },
            transport: TransportOptions {
                src_registry: super::registry::copy_side(&a.registry, true),
                dest_registry: super::registry::copy_side(&a.registry, false),
                ..super::transport_options(g)
            },
            referrers,
            preserve_digests: a.preserve_digests,
            precompute_digests: false,
            parallel_blobs: a.image_parallel_copies.filter(|n| *n > 0),
            platform,
            signatures_dropped: super::copy::signatures_dropped(
                a.with_referrers,
                a.remove_signatures,
            ),
            policy,
            ..Default::default()
        },
        tag_regex,
        jobs: a.jobs,
        dry_run: a.dry_run,
        keep_going: a.keep_going,
    };
    let suffix = a.append_suffix.clone().unwrap_or_default();
    // Characters no tag may hold, or a suffix no tag has room for, fail
    // here, once, not at each image.
    if !suffix.is_empty() && !crate::model::reference::valid_tag(&format!("a{suffix}")) {
        return Err(Error::usage(format!(
            "--append-suffix {:?}: a tag takes letters, digits, _ . and -, 128 at most",
            crate::error::escape_controls(&suffix)
        )));
    }
    let mut passes = match (a.src_kind, a.dest_kind) {
        (Some(s), Some(d)) => {
            let kind = match s {
                SrcKindArg::Docker => SrcKind::Docker,
                SrcKindArg::Dir => SrcKind::Dir,
                SrcKindArg::Yaml => SrcKind::Yaml,
            };
            let dest = match d {
                DestKindArg::Docker => DestKind::Docker,
                DestKindArg::Dir => DestKind::Dir,
            };
            let naming = Naming {
                scoped: a.scoped,
                suffix,
            };
            let sources = sync_many::sources(kind, &a.source)?;
            sync_many::plan_all(sources, dest, &a.destination, &naming, &opts)?
        }
        _ => {
            let src = transport::parse(&a.source)?;
            let dst = transport::parse(&a.destination)?;
            if referrers == ReferrerMode::Required && !dst.holds_referrers() {
                return Err(Error::usage(format!(
                    "--with-referrers: {dst} cannot hold signatures or referrers (sync into \
                     docker:// or oci:, or leave the option out)"
                )));
            }
            // Signature and referrers-index tags travel with their images,
            // or not at all: never as images of their own.
            let listings = Listings::default();
            let listing = TagListing::new(&listings, &*dst, referrers);
            // (with --keep-going, a source that cannot be listed is
            // counted failed in the summary, as with --src)
            let (mut work, failed) = match plan(&*src, &*dst, &|_| true, &suffix, &opts, &listing) {
                Ok(work) => (work, Vec::new()),
                Err(e) if a.keep_going && e.kind() != crate::error::Kind::Usage => {
                    (Vec::new(), vec![Work::failed(src.listing_name(), e)])
                }
                Err(e) => return Err(e),
            };
            one_per_target([&mut work], TAG_REGEX_HINT)?;
            vec![Planned {
                opts: opts.clone(),
                work,
                failed,
                notes: listing.note().into_iter().collect(),
                dests: vec![dst],
            }]
        }
    };
    // One repository, which could not be listed: its error alone (a
    // repository not there is a negative answer, exit 1); with
    // --keep-going, counted failed in the summary (exit 3) as any failure.
    if let ([p], false) = (passes.as_mut_slice(), a.keep_going) {
        if p.work.is_empty() && p.failed.len() == 1 {
            if let Some(Item {
                outcome: Outcome::Failed(e),
                ..
            }) = p.failed.pop()
            {
                return Err(e);
            }
        }
    }
    // Replaced now, each image's line added as it ends: what was copied
    // is there even if the sync is stopped or a later image fails.
    let digestfile = match (&a.digestfile, a.dry_run) {
        (Some(f), false) => Some((
            f.clone(),
            std::fs::File::create(f).map_err(|e| digestfile_error(f, e))?,
        )),
        _ => None,
    };
    let report = std::sync::Arc::new(Mutex::new(Report::new(progress, digestfile)));
    let mut out = stdout();
    let lock = || report.lock().unwrap_or_else(|p| p.into_inner());
    // Ended by --command-timeout: the summary of the images that ended,
    // and how many did not, before the error.
    let images: usize = passes.iter().map(|p| p.work.len()).sum();
    let held = std::sync::Arc::clone(&report);
    crate::fsutil::before_timeout(move || {
        // (not waiting on an image's line being written)
        for _ in 0..100 {
            if let Ok(r) = held.try_lock() {
                r.say
                    .message(&r.summary(a.dry_run, images.saturating_sub(r.images)));
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    });
    // Without --keep-going, a repository that could not be listed stops
    // the sync before anything is copied.
    let mut stop = !a.keep_going && !a.dry_run && passes.iter().any(|p| !p.failed.is_empty());
    for p in passes {
        for n in &p.notes {
            lock().say.message(n);
        }
        // (Repositories that could not be listed: no images.)
        lock().unlisted(p.failed);
        let mut items = Vec::new();
        // What the destinations hold, in one request each where they can
        // tell. A destination that refuses the credentials would fail
        // every image: none is tried, and it is said once.
        let refused = match stop {
            true => None,
            false => p
                .dests
                .iter()
                .find_map(|d| d.learn_tags(&p.opts.copy.transport).err()),
        };
        if stop || refused.is_some() {
            items.extend(p.work.into_iter().map(Work::not_attempted));
            if let Some(e) = refused {
                lock().refused(e);
            }
        } else {
            // Each image's line as it ends.
            let shown = run_work(p.work, &p.opts, &|it| lock().show(it))?;
            lock().plan_lines(shown, &mut out)?;
        }
        // (The images not tried.)
        for it in &items {
            lock().show(it);
        }
        lock().plan_lines(items, &mut out)?;
        stop |= !a.keep_going && !a.dry_run && !lock().failed.is_empty();
    }
    let mut done = lock();
    done.finish(a.dry_run, a.keep_going)
}

fn digestfile_error(f: &std::path::Path, e: std::io::Error) -> Error {
    // (Its kind kept: a closed pipe, --digestfile /dev/stdout | head,
    // ends lade quietly, as stdout's does.)
    Error::from(e).context(format!("--digestfile {}", f.display()))
}

/// What a sync did, as it is printed.
struct Report {
    progress: Mode,
    say: Progress,
    /// Images considered.
    images: usize,
    copied: usize,
    would: usize,
    same: usize,
    untried: usize,
    left: usize,
    failed: Vec<Error>,
    /// Of `failed`: sources that could not be listed (no images).
    unlisted: usize,
    /// Of `failed`: destinations that refused the credentials (their
    /// images not tried).
    refused: usize,
    /// --digestfile, a line per image written or found there.
    digestfile: Option<(std::path::PathBuf, std::fs::File)>,
    /// The first failure to write it.
    digestfile_failed: Option<Error>,
}

impl Report {
    fn new(progress: Mode, digestfile: Option<(std::path::PathBuf, std::fs::File)>) -> Report {
        Report {
            progress,
            say: Progress::new(progress),
            images: 0,
            copied: 0,
            would: 0,
            same: 0,
            untried: 0,
            left: 0,
            failed: Vec::new(),
            unlisted: 0,
            refused: 0,
            digestfile,
            digestfile_failed: None,
        }
    }

    /// An image's line (stderr), when it ends, and its count; the plan's
    /// lines (stdout) come in order, from [`Self::plan_lines`].
    fn show(&mut self, it: &Item) {
        self.say_item(it);
        self.images += 1;
        match &it.outcome {
            Outcome::Copied(..) => self.copied += 1,
            Outcome::Unchanged(..) => self.same += 1,
            Outcome::WouldCopy(_) => self.would += 1,
            Outcome::NotAttempted => self.untried += 1,
            Outcome::LeftOut(..) | Outcome::Unreadable(..) => self.left += 1,
            Outcome::Failed(e) => self.failed.push(e.clone()),
        }
    }

    /// An image's line (stderr), and its digest's (--digestfile).
    fn say_item(&mut self, it: &Item) {
        // The digest line first: once an image's line is out, so is it.
        if let (Outcome::Copied(d, _) | Outcome::Unchanged(d, _), Some((f, file))) =
            (&it.outcome, &mut self.digestfile)
        {
            if let Err(e) = writeln!(file, "{d} {}", it.dest) {
                self.digestfile_failed
                    .get_or_insert_with(|| digestfile_error(f, e));
            }
        }
        // Each image's line names it in JSON mode, as its copy's events do.
        let say = Progress::new(self.progress).for_image(it.source.clone());
        match &it.outcome {
            Outcome::Copied(d, _) => say.message(&format!("{}: copied {d}", it.label)),
            Outcome::Unchanged(d, _) => say.message(&format!("{}: unchanged {d}", it.label)),
            Outcome::LeftOut(d, written) => say.message(&format!(
                "{}: left out: its image {d} was written changed, as {written}",
                it.label
            )),
            // (said already where its image's copy left it out)
            Outcome::Unreadable(e, said) => {
                if !said {
                    crate::error::warn(&format!("{}: left out: {}", it.label, e.message()))
                }
            }
            Outcome::Failed(e) => say.image_failed(e),
            Outcome::WouldCopy(_) | Outcome::NotAttempted => {}
        }
    }

    /// The items (shown and counted already): a plan's lines to `out`.
    fn plan_lines(&mut self, items: Vec<Item>, out: &mut impl Write) -> Result<()> {
        for it in items {
            if let Outcome::WouldCopy(d) = it.outcome {
                let d = d.as_ref().map_or("-".to_string(), |d| d.to_string());
                writeln!(out, "{}\t{d}", it.label)?;
            }
        }
        out.flush()?;
        match self.digestfile_failed.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Sources that could not be listed: failures, but no images.
    fn unlisted(&mut self, items: Vec<Item>) {
        for it in items {
            self.say_item(&it);
            self.unlisted += 1;
            if let Outcome::Failed(e) = it.outcome {
                self.failed.push(e);
            }
        }
    }

    /// A destination that refused the credentials: a failure, but no
    /// image's.
    fn refused(&mut self, e: Error) {
        self.say.image_failed(&e);
        self.refused += 1;
        self.failed.push(e);
    }

    /// The summary line; `unfinished`: images neither ended nor counted
    /// not tried (a sync --command-timeout ended).
    fn summary(&self, dry_run: bool, unfinished: usize) -> String {
        let done = if dry_run {
            format!("{} to copy", self.would)
        } else {
            format!("{} copied", self.copied)
        };
        let mut more = String::new();
        if self.untried > 0 {
            more.push_str(&format!(", {} not tried", self.untried));
        }
        if unfinished > 0 {
            more.push_str(&format!(", {unfinished} not finished"));
        }
        if self.left > 0 {
            more.push_str(&format!(", {} left out", self.left));
        }
        for o in self.not_of_images() {
            more.push_str(&format!("; {o}"));
        }
        let n = self.images + unfinished;
        format!(
            "{n} image{}: {done}, {} unchanged, {} failed{more}",
            plural(n, "", "s"),
            self.same,
            self.images_failed(),
        )
    }

    /// Failures that are no image's: sources that could not be listed,
    /// destinations that refused the credentials.
    fn not_of_images(&self) -> Vec<String> {
        let (u, r) = (self.unlisted, self.refused);
        let mut others = Vec::new();
        if u > 0 {
            let s = plural(u, "source", "sources");
            others.push(format!("{u} {s} could not be listed"));
        }
        if r > 0 {
            let d = plural(r, "destination", "destinations");
            others.push(format!("{r} {d} failed authentication"));
        }
        others
    }

    fn images_failed(&self) -> usize {
        self.failed.len() - self.unlisted - self.refused
    }

    /// The summary, and the exit status or error.
    fn finish(&mut self, dry_run: bool, keep_going: bool) -> Result<i32> {
        self.say.message(&self.summary(dry_run, 0));
        match self.failed.len() {
            0 => Ok(0),
            // (as it is: an image not there exits 1, as copy does)
            1 if !keep_going => Err(self.failed.remove(0)),
            _ => {
                for e in &self.failed {
                    eprintln!("lade: failed: {e}");
                }
                let (n, failed) = (self.images, self.images_failed());
                let mut others = self.not_of_images();
                if failed > 0 || others.is_empty() {
                    others.insert(0, format!("{failed} of {n} images failed"));
                }
                Err(Error::new(format!("sync: {}", others.join(", "))))
            }
        }
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}
