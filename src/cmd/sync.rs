//! `lade sync SOURCE DESTINATION`.

use std::io::Write;

use super::copy::{multi_arch_of, progress_of};
use super::stdout;
use crate::cli::{FormatArg, SyncArgs};
use crate::copy::plan::Format;
use crate::copy::progress::{Mode, Progress};
use crate::copy::referrers::{ReferrerMode, WithoutAttachmentTags};
use crate::copy::sync::{sync, Outcome, SyncOptions};
use crate::copy::{CopyOptions, MultiArch};
use crate::error::{Error, Result};
use crate::transport::{self, TransportOptions};

pub fn run(a: SyncArgs) -> Result<i32> {
    let mut src = transport::parse(&a.source)?;
    let dst = transport::parse(&a.destination)?;
    let referrers = match a.with_referrers {
        None => ReferrerMode::IfSupported,
        Some(true) => ReferrerMode::Required,
        Some(false) => ReferrerMode::Off,
    };
    // Signature and referrers-index tags travel with their images, or not
    // at all: never as images of their own.
    if referrers == ReferrerMode::Off || !dst.holds_referrers() {
        src = Box::new(WithoutAttachmentTags(src));
    }
    let tag_regex = a
        .tag_regex
        .as_deref()
        .map(|p| {
            regex::Regex::new(p)
                .map_err(|e| Error::usage(format!("--tag-regex {p:?}: {}", regex_error(&e))))
        })
        .transpose()?;
    let none_given = !a.multi.all && a.multi.multi_arch.is_none() && a.multi.platforms.is_empty();
    let multi_arch = if none_given {
        MultiArch::All
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
                ..Default::default()
            },
            referrers,
            ..Default::default()
        },
        tag_regex,
        jobs: a.jobs,
        dry_run: a.dry_run,
        keep_going: a.keep_going,
    };
    let say = Progress::new(progress);
    let items = sync(src.as_ref(), dst.as_ref(), &opts)?;
    let (mut copied, mut would, mut same, mut untried, mut left) = (0, 0, 0, 0, 0);
    let mut failed = Vec::new();
    let mut out = stdout();
    for it in &items {
        // Each image's line names it in JSON mode, as its copy's events do.
        let say = Progress::new(progress).for_image(it.source.clone());
        match &it.outcome {
            Outcome::Copied(d, _) => {
                copied += 1;
                say.message(&format!("{}: copied {d}", it.tag));
            }
            Outcome::Unchanged(d) => {
                same += 1;
                say.message(&format!("{}: unchanged {d}", it.tag));
            }
            Outcome::WouldCopy(d) => {
                would += 1;
                let d = d.as_ref().map_or("-".to_string(), |d| d.to_string());
                writeln!(out, "{}\t{d}", it.tag)?;
            }
            Outcome::NotAttempted => untried += 1,
            Outcome::LeftOut(d, written) => {
                left += 1;
                say.message(&format!(
                    "{}: left out: its image {d} was written changed, as {written}",
                    it.tag
                ));
            }
            Outcome::Failed(e) => {
                say.image_failed(e);
                failed.push(e);
            }
        }
    }
    out.flush()?;
    let done = if a.dry_run {
        format!("{would} to copy")
    } else {
        format!("{copied} copied")
    };
    let mut more = String::new();
    if untried > 0 {
        more.push_str(&format!(", {untried} not tried"));
    }
    if left > 0 {
        more.push_str(&format!(", {left} left out"));
    }
    say.message(&format!(
        "{} image{}: {done}, {same} unchanged, {} failed{more}",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        failed.len()
    ));
    match failed.len() {
        0 => Ok(0),
        1 if !a.keep_going => Err(failed
            .into_iter()
            .next()
            .map(|e| Error::new(e.message()))
            .unwrap()),
        n => {
            for e in &failed {
                eprintln!("lade: failed: {e}");
            }
            Err(Error::new(format!(
                "sync: {n} of {} images failed",
                items.len()
            )))
        }
    }
}

/// A regex error in one line: its own message is a multi-line picture of
/// the pattern with the error's place marked; its last line says what.
fn regex_error(e: &regex::Error) -> String {
    let s = e.to_string();
    let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    last.trim().trim_start_matches("error: ").to_string()
}
