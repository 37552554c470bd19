//! Copy progress on stderr: nothing (`-q`) or one line per blob.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::model::Descriptor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Copied,
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    Quiet,
    #[default]
    Lines,
}

pub struct Progress {
    mode: Mode,
    start: Instant,
    bytes: AtomicU64,
}

impl Progress {
    pub fn new(mode: Mode) -> Self {
        Progress {
            mode,
            start: Instant::now(),
            bytes: AtomicU64::new(0),
        }
    }

    /// Bytes read from sources so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn line(&self, s: &str) {
        if self.mode == Mode::Lines {
            let _ = writeln!(io::stderr(), "{s}");
        }
    }

    pub fn message(&self, s: &str) {
        self.line(s);
    }

    pub fn blob_start(&self, _desc: &Descriptor) {}

    pub fn blob_done(&self, src: &Descriptor, out: &Descriptor, bytes: u64, outcome: Outcome) {
        let what = if src.media_type.is_config() {
            "config"
        } else {
            "blob"
        };
        match outcome {
            Outcome::Skipped => self.line(&format!(
                "Copying {what} {} skipped: already exists",
                short(&src.digest.to_string())
            )),
            Outcome::Copied => {
                let changed = if out.digest != src.digest {
                    format!(" as {}", short(&out.digest.to_string()))
                } else {
                    String::new()
                };
                self.line(&format!(
                    "Copying {what} {}{changed} done ({})",
                    short(&src.digest.to_string()),
                    human(bytes)
                ))
            }
        }
    }

    /// Count bytes read through `r`.
    pub fn counting<'a, R: Read + Send + 'a>(
        &'a self,
        r: R,
        _desc: &Descriptor,
    ) -> Counting<'a, R> {
        Counting { inner: r, p: self }
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.start.elapsed()
    }
}

pub struct Counting<'a, R> {
    inner: R,
    p: &'a Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn short(d: &str) -> &str {
    &d[..d.len().min(19)]
}

/// Bytes in human units (KiB, MiB, GiB).
pub fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
