//! `fsck` and `gc`.

use std::io::Write;
use std::time::Duration;

use super::{open_store, stdout};
use crate::cli::{FsckArgs, GcArgs, GlobalArgs};
use crate::error::Result;

pub fn fsck(g: &GlobalArgs, a: FsckArgs) -> Result<i32> {
    let store = open_store(g)?;
    let report = store.fsck()?;
    let mut out = stdout();
    for p in &report.problems {
        writeln!(out, "{p}")?;
    }
    if a.unreachable {
        for d in &report.unreachable {
            writeln!(out, "unreachable {d}")?;
        }
    }
    out.flush()?;
    eprintln!(
        "fsck: {} blobs ({} bytes) checked, {} unreachable, {} problem{}",
        report.blobs_checked,
        report.bytes_checked,
        report.unreachable.len(),
        report.problems.len(),
        if report.problems.len() == 1 { "" } else { "s" }
    );
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

pub fn gc(g: &GlobalArgs, a: GcArgs) -> Result<i32> {
    let store = open_store(g)?;
    let report = store.gc(a.dry_run, Duration::from_secs(a.grace))?;
    let mut out = stdout();
    for (d, size) in &report.removed {
        writeln!(out, "{d}\t{size}")?;
    }
    out.flush()?;
    let temps = match report.temps {
        0 => String::new(),
        n => format!(
            " and {n} stale temp file{} ({} bytes)",
            if n == 1 { "" } else { "s" },
            report.temp_bytes
        ),
    };
    eprintln!(
        "gc: {} {} blob{}{temps}, {} bytes freed{}",
        if a.dry_run { "would remove" } else { "removed" },
        report.removed.len(),
        if report.removed.len() == 1 { "" } else { "s" },
        report.bytes_freed + report.temp_bytes,
        if report.kept_recent > 0 {
            format!(
                "; kept {} unreachable blob(s) younger than {} s (--grace)",
                report.kept_recent, a.grace
            )
        } else {
            String::new()
        }
    );
    Ok(0)
}
