//! Copy progress on stderr: nothing (`-q`), one line per blob (not a
//! terminal), or a bar per blob with bytes and rate (a terminal).

use std::collections::HashMap;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::{Descriptor, Digest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Copied,
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Errors only.
    Quiet,
    /// Bars when stderr is a terminal, lines otherwise.
    #[default]
    Auto,
    /// One line per blob.
    Lines,
}

pub struct Progress {
    bars: Option<MultiProgress>,
    quiet: bool,
    active: Mutex<HashMap<Digest, ProgressBar>>,
    bytes: AtomicU64,
}

impl Progress {
    pub fn new(mode: Mode) -> Self {
        let bars = (mode == Mode::Auto && io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress {
            bars,
            quiet: mode == Mode::Quiet,
            active: Mutex::new(HashMap::new()),
            bytes: AtomicU64::new(0),
        }
    }

    /// Bytes read from sources so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// A line of text above any bars.
    pub fn message(&self, s: &str) {
        if self.quiet {
            return;
        }
        match &self.bars {
            Some(m) => {
                let _ = m.println(s);
            }
            None => {
                let _ = writeln!(io::stderr(), "{s}");
            }
        }
    }

    pub fn blob_start(&self, desc: &Descriptor) {
        if let Some(m) = &self.bars {
            let bar = m.add(ProgressBar::new(desc.size));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(format!("{} {}", kind(desc), short(&desc.digest)));
            self.active.lock().unwrap().insert(desc.digest.clone(), bar);
        }
    }

    pub fn blob_done(&self, src: &Descriptor, out: &Descriptor, bytes: u64, outcome: Outcome) {
        if let Some(bar) = self.active.lock().unwrap().remove(&src.digest) {
            bar.finish_and_clear();
        }
        let what = kind(src);
        let text = match outcome {
            Outcome::Skipped => format!(
                "Copying {what} {} skipped: already exists",
                short(&src.digest)
            ),
            Outcome::Copied => {
                let changed = if out.digest != src.digest {
                    format!(" as {}", short(&out.digest))
                } else {
                    String::new()
                };
                format!(
                    "Copying {what} {}{changed} done ({})",
                    short(&src.digest),
                    human(bytes)
                )
            }
        };
        self.message(&text);
    }

    /// Count bytes read through `r` (and move its bar, if any).
    pub fn counting<'a, R: Read + Send + 'a>(&'a self, r: R, desc: &Descriptor) -> Counting<'a, R> {
        let bar = self.active.lock().unwrap().get(&desc.digest).cloned();
        Counting {
            inner: r,
            p: self,
            bar,
        }
    }
}

fn kind(d: &Descriptor) -> &'static str {
    if d.media_type.is_config() {
        "config"
    } else {
        "blob"
    }
}

pub struct Counting<'a, R> {
    inner: R,
    p: &'a Progress,
    bar: Option<ProgressBar>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc(n as u64);
        }
        Ok(n)
    }
}

fn short(d: &Digest) -> String {
    let s = d.to_string();
    s[..s.len().min(19)].to_string()
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
