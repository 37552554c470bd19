//! Copy progress on stderr: nothing (`-q`), one line per blob (not a
//! terminal), a bar per blob with bytes and rate (a terminal), or JSON
//! lines for machines (`--progress=json`).
//!
//! JSON events, one object per line, each with `"event"`, `"time"`
//! (seconds since the first copy of this process began, so the events
//! of the images of one `sync` share one clock) and `"image"` (the source
//! image's name, which tells apart the events of images copied at once):
//! - `blob_start` {digest, size, kind: "config"|"layer"}
//! - `blob_progress` {digest, bytes, size} — at most every 200 ms per blob
//! - `blob_done` {digest, stored_digest, bytes, seconds, rate} — `bytes`
//!   stored at the destination, `rate` in whole bytes per second
//! - `blob_skipped` {digest, size} — the destination already had it
//! - `blob_reused` {digest, size, from} — the destination got it by a
//!   cross-repository mount from repository `from`; no bytes were sent
//! - `blob_retried` {digest, error, attempt, retries} — a transfer failed
//!   and the blob is read from the source again: `attempt` counts the
//!   retries against `--retry-times` (`retries`); null for the one extra
//!   try a writer takes at once in another way (a registry that refused
//!   chunks gets the blob whole)
//! - `blob_failed` {digest, error} — a started blob's copy failed (its
//!   retries spent); the copy or the image fails with it
//! - `image_done` {digest, blobs_copied, blobs_skipped}
//! - `interrupted` {signal} — the last event when a signal ends lade
//!   (SIGINT, SIGTERM, SIGHUP), with `text` saying what it left
//! - `message` {text}
//!
//! The `bytes` of every `blob_done` add up to the bytes written.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::Error;
use crate::model::{Descriptor, Digest};
use crate::transport::Reused;

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
    /// One JSON object per event.
    Json,
}

/// Per-blob state for JSON progress.
struct Live {
    start: Instant,
    bytes: u64,
    size: u64,
    last: Instant,
}

/// The clock of every event of this process.
static START: OnceLock<Instant> = OnceLock::new();

/// JSON progress from now on: the clock starts, and warnings said before
/// any event (opening a registry, say) are JSON events too.
pub fn json_from_now() {
    crate::error::json_warnings(*START.get_or_init(Instant::now));
}

pub struct Progress {
    bars: Option<MultiProgress>,
    quiet: bool,
    json: bool,
    t0: Instant,
    /// The image the events are about (the source's name).
    image: Option<String>,
    active: Mutex<HashMap<Digest, ProgressBar>>,
    live: Mutex<HashMap<Digest, Live>>,
    bytes: AtomicU64,
}

impl Progress {
    pub fn new(mode: Mode) -> Self {
        // --debug lines and bars would overwrite each other; a terminal
        // that moves no cursor (TERM=dumb, or none said: an editor's
        // shell, a CI log through a pty) gets lines, and so does one of
        // no known width (a pty `script` makes: bars padded to a guessed
        // width ran into one line).
        let moves_cursor = std::env::var_os("TERM").is_some_and(|t| !t.is_empty() && t != "dumb");
        let has_width = rustix::termios::tcgetwinsize(io::stderr()).is_ok_and(|w| w.ws_col > 0);
        let bars = (mode == Mode::Auto
            && io::stderr().is_terminal()
            && moves_cursor
            && has_width
            && !crate::error::debugging())
        .then(|| {
            MultiProgress::with_draw_target(ProgressDrawTarget::term_like_with_hz(
                Box::new(BarTerm::default()),
                20,
            ))
        });
        Progress {
            bars,
            quiet: mode == Mode::Quiet,
            json: mode == Mode::Json,
            t0: {
                if mode == Mode::Json {
                    json_from_now();
                }
                *START.get_or_init(Instant::now)
            },
            image: None,
            active: Mutex::new(HashMap::new()),
            live: Mutex::new(HashMap::new()),
            bytes: AtomicU64::new(0),
        }
    }

    /// Name the image in every JSON event.
    pub fn for_image(mut self, name: String) -> Self {
        self.image = Some(name);
        self
    }

    /// The image this progress is for, if named.
    pub fn image_name(&self) -> Option<&str> {
        self.image.as_deref()
    }

    /// Bytes read from sources so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// One JSON event line (JSON mode only). The clock is read under
    /// stderr's lock, so the lines' times never go backwards.
    fn event(&self, name: &str, mut fields: serde_json::Value) {
        crate::error::to_stderr(|| {
            if let Some(o) = fields.as_object_mut() {
                o.insert("event".into(), name.into());
                if let Some(image) = &self.image {
                    o.insert("image".into(), image.as_str().into());
                }
                o.insert(
                    "time".into(),
                    ((self.t0.elapsed().as_secs_f64() * 1000.0).round() / 1000.0).into(),
                );
            }
            let mut line = serde_json::to_vec(&fields).expect("event serializes");
            line.push(b'\n');
            line
        });
    }

    /// An image was written completely.
    pub fn image_done(&self, digest: &Digest, copied: usize, skipped: usize) {
        if self.json {
            self.event(
                "image_done",
                serde_json::json!({"digest": digest.to_string(),
                    "blobs_copied": copied, "blobs_skipped": skipped}),
            );
        }
    }

    /// A blob's copy failed: in JSON mode, a `blob_failed` event for a
    /// blob that was started (its `blob_start` is closed); the error
    /// itself comes at the end, with the image's.
    pub fn blob_failed(&self, desc: &Descriptor, e: &Error) {
        if let Some(bar) = self.active.lock().unwrap().remove(&desc.digest) {
            bar.abandon();
        }
        if self.json && self.live.lock().unwrap().remove(&desc.digest).is_some() {
            self.event(
                "blob_failed",
                serde_json::json!({"digest": desc.digest.to_string(), "error": e.message()}),
            );
        }
    }

    /// An image failed (sync): an event in JSON mode. Other modes say
    /// nothing here, as the closing error lists every failure.
    pub fn image_failed(&self, e: &Error) {
        if self.json {
            self.event("image_failed", serde_json::json!({ "error": e.message() }));
        }
    }

    /// A blob whose transfer began at `start`, under a digest known only
    /// now (a streamed layer, hashed on the way): its `blob_done` then
    /// says how long it took. Nothing if it was started by its digest.
    pub fn started_at(&self, desc: &Descriptor, start: Instant) {
        if self.json {
            self.live
                .lock()
                .unwrap()
                .entry(desc.digest.clone())
                .or_insert(Live {
                    start,
                    bytes: 0,
                    size: desc.size,
                    last: start,
                });
        }
    }

    /// Count bytes moved without a reader (a config written from memory).
    pub fn add_bytes(&self, desc: &Descriptor, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
        self.advance(&desc.digest, n);
    }

    fn advance(&self, digest: &Digest, n: u64) {
        if !self.json {
            return;
        }
        let mut live = self.live.lock().unwrap();
        let Some(l) = live.get_mut(digest) else {
            return;
        };
        l.bytes += n;
        if l.last.elapsed().as_millis() >= 200 {
            l.last = Instant::now();
            let (bytes, size) = (l.bytes, l.size);
            drop(live);
            self.event(
                "blob_progress",
                serde_json::json!({"digest": digest.to_string(), "bytes": bytes, "size": size}),
            );
        }
    }

    /// A line of text above any bars.
    /// Something the user should know even with -q: a `message` event
    /// in JSON, else `lade: warning: …` on stderr.
    pub fn warning(&self, s: &str) {
        if self.json {
            self.event(
                "message",
                serde_json::json!({ "text": format!("warning: {s}") }),
            );
            return;
        }
        match &self.bars {
            Some(m) => {
                let _ = m.println(crate::error::warning_line(s));
            }
            None => crate::error::warn(s),
        }
    }

    pub fn message(&self, s: &str) {
        if self.json {
            self.event("message", serde_json::json!({ "text": s }));
            return;
        }
        if self.quiet {
            return;
        }
        let line = || {
            let _ = writeln!(io::stderr(), "{s}");
        };
        match &self.bars {
            // With the bars taken off the screen and put back after it:
            // the line ends with a newline of its own (the bar library
            // leaves its last line unended, the cursor at the margin, so
            // the shell's prompt came after it by the terminal's wrap).
            Some(m) => m.suspend(line),
            None => line(),
        }
    }

    pub fn blob_start(&self, desc: &Descriptor) {
        if self.json {
            let now = Instant::now();
            self.live.lock().unwrap().insert(
                desc.digest.clone(),
                Live {
                    start: now,
                    bytes: 0,
                    size: desc.size,
                    last: now,
                },
            );
            let kind = if desc.media_type.is_config() {
                "config"
            } else {
                "layer"
            };
            self.event(
                "blob_start",
                serde_json::json!({"digest": desc.digest.to_string(), "size": desc.size, "kind": kind}),
            );
        }
        if let Some(m) = &self.bars {
            let bar = m.add(ProgressBar::new(desc.size));
            let (template, prefix) = bar_style(bar_cols(), kind(desc), &desc.digest);
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(prefix);
            self.active.lock().unwrap().insert(desc.digest.clone(), bar);
        }
    }

    pub fn blob_done(&self, src: &Descriptor, out: &Descriptor, bytes: u64, outcome: Outcome) {
        if let Some(bar) = self.active.lock().unwrap().remove(&src.digest) {
            bar.finish_and_clear();
        }
        if self.json {
            let live = self.live.lock().unwrap().remove(&src.digest);
            match outcome {
                Outcome::Skipped => self.event(
                    "blob_skipped",
                    serde_json::json!({"digest": src.digest.to_string(), "size": src.size}),
                ),
                Outcome::Copied => {
                    let secs = live.map_or(0.0, |l| l.start.elapsed().as_secs_f64());
                    // (whole bytes per second, as the other byte counts)
                    let rate = if secs > 0.0 {
                        (bytes as f64 / secs).round() as u64
                    } else {
                        0
                    };
                    self.event(
                        "blob_done",
                        serde_json::json!({"digest": src.digest.to_string(),
                            "stored_digest": out.digest.to_string(), "bytes": bytes,
                            "seconds": (secs * 1000.0).round() / 1000.0, "rate": rate}),
                    );
                }
            }
            return;
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

    /// A blob the destination has without a transfer: found there
    /// (`blob_skipped`), or mounted from another repository by the lookup
    /// (`blob_reused`).
    pub fn blob_present(&self, src: &Descriptor, have: &Reused) {
        match &have.mounted_from {
            Some(repo) => self.blob_reused(src, repo),
            None => self.blob_done(src, &have.desc, 0, Outcome::Skipped),
        }
    }

    /// A layer left where its URLs point (see `LayerAction::External`).
    pub fn blob_external(&self, src: &Descriptor) {
        if self.json {
            self.event(
                "blob_skipped",
                serde_json::json!({"digest": src.digest.to_string(), "size": src.size,
                    "external": true}),
            );
            return;
        }
        self.message(&format!(
            "Copying {} {} skipped: external, the manifest names its URLs",
            kind(src),
            short(&src.digest)
        ));
    }

    /// A blob the destination got by a cross-repository mount from `from`.
    fn blob_reused(&self, src: &Descriptor, from: &str) {
        if let Some(bar) = self.active.lock().unwrap().remove(&src.digest) {
            bar.finish_and_clear();
        }
        if self.json {
            self.event(
                "blob_reused",
                serde_json::json!({"digest": src.digest.to_string(), "size": src.size, "from": from}),
            );
            return;
        }
        self.message(&format!(
            "Copying {} {} skipped: mounted from {from}",
            kind(src),
            short(&src.digest)
        ));
    }

    /// A failed transfer of `src` is tried again: `attempt` of `retries`,
    /// or None for a try outside that budget.
    pub fn blob_retried(&self, src: &Descriptor, attempt: Option<u32>, retries: u32, e: &Error) {
        // The next try reads the blob from its start.
        if let Some(l) = self.live.lock().unwrap().get_mut(&src.digest) {
            l.bytes = 0;
        }
        if let Some(bar) = self.active.lock().unwrap().get(&src.digest) {
            bar.set_position(0);
        }
        if self.json {
            self.event(
                "blob_retried",
                serde_json::json!({"digest": src.digest.to_string(), "error": e.to_string(),
                    "attempt": attempt, "retries": retries}),
            );
            return;
        }
        match attempt {
            Some(n) => self.message(&format!(
                "Retrying blob {} ({n} of {retries}) after: {e}",
                src.digest
            )),
            None => self.message(&format!("Retrying blob {} after: {e}", src.digest)),
        }
    }

    /// Count bytes read through `r` (and move its bar, if any).
    pub fn counting<'a, R: Read + 'a>(&'a self, r: R, desc: &Descriptor) -> Counting<'a, R> {
        let bar = self.active.lock().unwrap().get(&desc.digest).cloned();
        Counting {
            inner: r,
            p: self,
            bar,
            digest: desc.digest.clone(),
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
    digest: Digest,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        self.p.advance(&self.digest, n as u64);
        if let Some(b) = &self.bar {
            b.inc(n as u64);
        }
        Ok(n)
    }
}

/// A blob's bar, to fit `cols` columns on one line (a line
/// wider wraps, every bar then taking two rows or more): the bar takes
/// the room the rest leaves (the fields padded, so that it does not
/// jump as their figures grow); below 78 columns, where the bytes and
/// rate leave too little of it, the kind, the digest's first 12 hex
/// digits, the bar and a percentage. The template, and the prefix.
fn bar_style(cols: u16, kind: &str, digest: &Digest) -> (&'static str, String) {
    // (the widest prefix, "config sha256:" and 12 hex digits, 26; the
    // fields 11 + 1 + 11 + 1 + 13 = 37; the brackets and spaces 4; a bar
    // of 11 at least)
    if cols >= 78 {
        (
            "{prefix} [{wide_bar}] {bytes:>11}/{total_bytes:<11} {bytes_per_sec:>13}",
            format!("{kind} {}", short(digest)),
        )
    } else {
        let hex = digest.to_string();
        let hex = hex.split_once(':').map_or(hex.as_str(), |(_, h)| h);
        (
            "{prefix} [{wide_bar}] {percent:>3}%",
            format!("{kind} {}", &hex[..hex.len().min(12)]),
        )
    }
}

/// The bars' terminal: stderr, each frame written at once, two columns
/// narrower than it is. The bar library pads its last line to the width
/// it is given and leaves the cursor there: at the right margin, the
/// `^C` a terminal echoes on Ctrl-C wrapped to a new row, and the frames
/// drawn before lade ended started a row low, leaving a copy of a bar
/// behind. Two columns short, the echo fits on the bars' last row.
#[derive(Debug, Default)]
struct BarTerm {
    frame: Mutex<Vec<u8>>,
}

/// The columns the bars take: the terminal's less two (see [`BarTerm`]).
fn bar_cols() -> u16 {
    let cols = rustix::termios::tcgetwinsize(io::stderr()).map_or(0, |w| w.ws_col);
    cols.saturating_sub(2).max(1)
}

impl BarTerm {
    fn write(&self, s: &str) -> io::Result<()> {
        self.frame.lock().unwrap().extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn cursor(&self, n: usize, dir: char) -> io::Result<()> {
        match n {
            0 => Ok(()),
            n => self.write(&format!("\x1b[{n}{dir}")),
        }
    }
}

impl indicatif::TermLike for BarTerm {
    fn width(&self) -> u16 {
        bar_cols()
    }

    fn height(&self) -> u16 {
        match rustix::termios::tcgetwinsize(io::stderr()).map_or(0, |w| w.ws_row) {
            0 => 24,
            rows => rows,
        }
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'D')
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.write(s)?;
        self.write("\n")
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.write(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.write("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        let frame = std::mem::take(&mut *self.frame.lock().unwrap());
        let mut err = io::stderr().lock();
        err.write_all(&frame)?;
        err.flush()
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
