//! `fsck` and `gc`.

use std::io::Write;

use super::{open_store, stdout, write_record};
use crate::cli::{DuArgs, FsckArgs, GcArgs, GlobalArgs};
use crate::error::Result;

/// The lines written, or stdout closed by its reader (`| head`): the
/// rest are not written, and the command's summary and exit status still
/// stand (a store with problems exits 1 all the same).
fn unless_closed(written: std::io::Result<()>) -> Result<()> {
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

pub fn fsck(g: &GlobalArgs, a: FsckArgs) -> Result<i32> {
    let store = open_store(g)?;
    let report = store.fsck(a.full)?;
    let mut out = stdout();
    unless_closed((|| {
        for p in &report.problems {
            writeln!(out, "{p}")?;
        }
        if a.unreachable {
            for d in &report.unreachable {
                writeln!(out, "unreachable {d}")?;
            }
        }
        out.flush()
    })())?;
    let unpacked = match (a.full, report.layers_unpacked) {
        (false, _) => String::new(),
        (true, 1) => ", 1 layer decompressed".to_string(),
        (true, n) => format!(", {n} layers decompressed"),
    };
    // (not a problem: a write under way, or one a SIGKILL ended)
    let temps = match report.temps {
        0 => String::new(),
        n => format!(
            ", {n} temp file{} ({} bytes; writes under way, or ended by a kill: gc removes \
             those no longer written)",
            if n == 1 { "" } else { "s" },
            report.temp_bytes
        ),
    };
    eprintln!(
        "fsck: {} blob{} ({} bytes) checked{unpacked}, {} unreachable, {} problem{}{temps}",
        report.blobs_checked,
        if report.blobs_checked == 1 { "" } else { "s" },
        report.bytes_checked,
        report.unreachable.len(),
        report.problems.len(),
        if report.problems.len() == 1 { "" } else { "s" }
    );
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

pub fn gc(g: &GlobalArgs, a: GcArgs) -> Result<i32> {
    let store = open_store(g)?;
    let report = store.gc(a.dry_run, a.grace.limit)?;
    let mut out = stdout();
    unless_closed((|| {
        for (d, size) in &report.removed {
            writeln!(out, "{d}\t{size}")?;
        }
        out.flush()
    })())?;
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
                "; kept {} unreachable blob(s) younger than {} (--grace)",
                report.kept_recent,
                match a.grace.shown.bytes().all(|b| b.is_ascii_digit()) {
                    true => format!("{} s", a.grace.shown),
                    false => a.grace.shown.clone(),
                }
            )
        } else {
            String::new()
        }
    );
    Ok(0)
}

/// `du`: what each entry's image takes and what untagging it would free,
/// or (`-s`) the store's totals.
pub fn du(g: &GlobalArgs, a: DuArgs) -> Result<i32> {
    // The default store not made yet holds nothing; a store named
    // (--store, LADE_STORE) that is not there is said to be missing.
    let named = crate::store::named_store_path(g.store.as_deref()).is_some();
    let usage = match open_store(g) {
        Err(e) if e.kind() == crate::error::Kind::NotFound && !named && a.refs.is_empty() => {
            crate::store::Usage::default()
        }
        s => s?.usage(&a.refs)?,
    };
    let mut left_out = Vec::new();
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    if usage.entries_unread > 0 {
        left_out.push(n(
            usage.entries_unread,
            "index.json entry that does not read",
            "index.json entries that do not read",
        ));
    }
    if usage.unreadable > 0 {
        left_out.push(format!(
            "what {} reach{}",
            n(
                usage.unreadable,
                "manifest that does not read",
                "manifests that do not read"
            ),
            if usage.unreadable == 1 { "es" } else { "" }
        ));
    }
    if usage.missing > 0 {
        left_out.push(n(
            usage.missing,
            "blob missing or not a regular file",
            "blobs missing or not regular files",
        ));
    }
    if !left_out.is_empty() {
        let unknown = match usage.entries_unread + usage.unreadable {
            0 => "",
            _ => " (the blobs only they reach count as unreachable)",
        };
        crate::error::warn(&format!(
            "du: not counted: {}{unknown}; lade fsck names them",
            left_out.join(", ")
        ));
    }
    let size = |n: u64| match a.human_readable {
        true => human_size(n),
        false => n.to_string(),
    };
    let mut out = stdout();
    if a.summarize {
        let total = crate::store::Tally {
            count: usage.reachable.count + usage.unreachable.count + usage.temp.count,
            bytes: usage.reachable.bytes + usage.unreachable.bytes + usage.temp.bytes,
        };
        for (kind, t) in [
            ("reachable", usage.reachable),
            ("unreachable", usage.unreachable),
            ("temp", usage.temp),
            ("total", total),
        ] {
            let line = format!("{kind}\t{}\t{}", t.count, size(t.bytes));
            write_record(&mut out, &line, a.null)?;
        }
    } else {
        for e in &usage.entries {
            let name = e
                .name
                .as_deref()
                .map_or_else(|| "-".to_string(), crate::error::escape_controls);
            let line = format!("{name}\t{}\t{}\t{}", e.digest, size(e.size), size(e.unique));
            write_record(&mut out, &line, a.null)?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// Bytes for people: units of 1000 (B, kB, MB, GB, TB, PB), at most four
/// significant digits, trailing zeros dropped (as image tools print
/// sizes).
fn human_size(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    let decimals = match v {
        v if v >= 100.0 => 1,
        v if v >= 10.0 => 2,
        _ => 3,
    };
    let mut s = format!("{v:.decimals$}");
    // (999,999 rounds to 1000 kB: 1 MB)
    if s.starts_with("1000") && unit + 1 < UNITS.len() {
        unit += 1;
        s = "1".into();
    }
    format!(
        "{}{}",
        s.trim_end_matches('0').trim_end_matches('.'),
        UNITS[unit]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        for (n, s) in [
            (0, "0B"),
            (4, "4B"),
            (999, "999B"),
            (1000, "1kB"),
            (1500, "1.5kB"),
            (812_431_234, "812.4MB"),
            (1_234_567, "1.235MB"),
            (12_345_678_901, "12.35GB"),
            (999_999, "1MB"),
            (999_949, "999.9kB"),
            (999_999_999, "1GB"),
        ] {
            assert_eq!(super::human_size(n), s, "{n}");
        }
    }
}
