//! Copy progress on stderr: nothing (`-q`), one line per blob (not a
//! terminal), a bar per blob with bytes and rate (a terminal), or JSON
//! lines for machines (`--progress=json`).
//!
//! JSON events, one object per line, each with `"event"`, `"time"`
//! (seconds since the first copy of this process began, so the events
//! of the images of one `sync` share one clock) and `"image"` (the source
//! image's name, which tells apart the events of images copied at once):
//! - `blob_start` {digest, size, kind: "config"|"layer"[, name]} — `name`:
//!   see `layer_read`
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
//! - `blob_resumed` {digest, offset, resume, error} — a registry download
//!   broken midway (`error`) goes on from byte `offset` with a `Range`
//!   request, the `resume`th time (at most 5; then `blob_retried`)
//! - `blob_failed` {digest, error} — a started blob's copy failed (its
//!   retries spent); the copy or the image fails with it. Blobs left
//!   under way by an image's failure, a signal or `--command-timeout`
//!   get one too (error `interrupted (SIGINT)`, `the command ran out of
//!   time (--command-timeout 2s)`), just before the last line
//! - `layer_read` {name, bytes, size} — a layer a daemon's stream names
//!   only by its path `name` (Docker 24 and older), read before its
//!   digest is known: as its read begins, then at most every 200 ms; its
//!   `blob_start`, once the digest is known, has the same `name`
//! - `image_done` {digest, blobs_copied, blobs_skipped}
//! - `interrupted` {signal} — the last event when a signal ends lade
//!   (SIGINT, SIGTERM, SIGHUP), with `text` saying what it left
//! - `message` {text}
//!
//! Every `blob_start` ends with one of `blob_done`, `blob_failed`,
//! `blob_skipped` or `blob_reused` (a blob's last event and its leaving
//! `live` go together under stderr's lock, so a blob that a signal cuts
//! has one or the other), and every other event of a blob comes between
//! the two, from every source: a layer a daemon's stream names only by
//! path (Docker 24 and older) is started once its digest is known (read
//! into a temp file, before it is sent; written straight from the
//! stream, once written, just before its end), its `seconds` counted
//! from when its read began (see [`Progress::blob_start_at`]). A blob's
//! `blob_progress` bytes never go down but after a `blob_retried` (read
//! again from 0). The `bytes` of every `blob_done` add up to the bytes
//! written.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock, Weak};
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

impl Outcome {
    /// Count this blob into `counts` (copied, skipped).
    pub fn count_in(self, counts: &mut (usize, usize)) {
        match self {
            Outcome::Copied => counts.0 += 1,
            Outcome::Skipped => counts.1 += 1,
        }
    }
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
/// any event (opening a registry, say) are JSON events too; a signal or
/// `--command-timeout` ending lade closes the blobs under way first.
pub fn json_from_now() {
    crate::error::json_warnings(*START.get_or_init(Instant::now));
    crate::error::before_last_line(cut_blobs);
}

/// The blobs started and not ended, of each JSON progress of this
/// process (the images of a sync have one each), with its image's name.
type LiveMap = Mutex<HashMap<Digest, Live>>;
static UNDER_WAY: Mutex<Vec<(Option<String>, Weak<LiveMap>)>> = Mutex::new(Vec::new());

/// A `blob_failed` event, `why` its error, for every blob started and not
/// ended (the lines said just before the last, under stderr's lock: a
/// blob ends either before, with its own event, or not at all).
fn cut_blobs(why: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let under_way = UNDER_WAY.lock().unwrap_or_else(|e| e.into_inner());
    for (image, live) in under_way.iter() {
        if let Some(live) = live.upgrade() {
            out.extend(closing(image.as_deref(), &live, why));
        }
    }
    out
}

/// A `blob_failed` event, `why` its error, for each blob of `live` (which
/// it empties), in the order they began.
fn closing(image: Option<&str>, live: &LiveMap, why: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let t0 = *START.get_or_init(Instant::now);
    let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
    let mut cut: Vec<(Digest, Instant)> = live.drain().map(|(d, l)| (d, l.start)).collect();
    cut.sort_by_key(|(_, start)| *start);
    for (digest, _) in cut {
        let fields = serde_json::json!({"digest": digest.to_string(), "error": why});
        out.extend(event_line("blob_failed", image, fields, t0));
    }
    out
}

/// One JSON event line: `fields` with the event's name, the image (if
/// any) and the time since `t0`.
fn event_line(
    name: &str,
    image: Option<&str>,
    mut fields: serde_json::Value,
    t0: Instant,
) -> Vec<u8> {
    if let Some(o) = fields.as_object_mut() {
        o.insert("event".into(), name.into());
        if let Some(image) = image {
            o.insert("image".into(), image.into());
        }
        o.insert("time".into(), crate::error::event_time(t0).into());
    }
    let mut line = serde_json::to_vec(&fields).expect("event serializes");
    line.push(b'\n');
    line
}

pub struct Progress {
    bars: Option<MultiProgress>,
    quiet: bool,
    json: bool,
    t0: Instant,
    /// The image the events are about (the source's name).
    image: Option<String>,
    active: Mutex<HashMap<Digest, ProgressBar>>,
    live: Arc<LiveMap>,
    /// `live` is in [`UNDER_WAY`].
    listed: Once,
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
            live: Arc::default(),
            listed: Once::new(),
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
    fn event(&self, name: &str, fields: serde_json::Value) {
        self.event_if(name, fields, || true);
    }

    /// One JSON event line if `first`, run under stderr's lock, says so:
    /// what it changes in `live` and the line go out together, so the
    /// blobs [`cut_blobs`] finds under way are those with no last event.
    fn event_if(&self, name: &str, fields: serde_json::Value, first: impl FnOnce() -> bool) {
        crate::error::to_stderr(|| match first() {
            true => event_line(name, self.image.as_deref(), fields, self.t0),
            false => Vec::new(),
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
        if self.json {
            self.event_if(
                "blob_failed",
                serde_json::json!({"digest": desc.digest.to_string(), "error": e.message()}),
                || self.live.lock().unwrap().remove(&desc.digest).is_some(),
            );
        }
    }

    /// The image's copy failed with `e`: a `blob_failed` event for each
    /// blob started and not ended (one the failure cut short, on a path
    /// that says nothing of it: the config, a daemon's stream).
    pub fn image_failed_under_way(&self, e: &Error) {
        for (_, bar) in self.active.lock().unwrap().drain() {
            bar.abandon();
        }
        if self.json {
            crate::error::to_stderr(|| closing(self.image.as_deref(), &self.live, e.message()));
        }
    }

    /// Put this progress's blobs under way where [`cut_blobs`] finds them.
    fn list(&self) {
        self.listed.call_once(|| {
            let mut all = UNDER_WAY.lock().unwrap_or_else(|e| e.into_inner());
            all.retain(|(_, w)| w.strong_count() > 0);
            all.push((self.image.clone(), Arc::downgrade(&self.live)));
        });
    }

    /// An image failed (sync): an event in JSON mode. Other modes say
    /// nothing here, as the closing error lists every failure.
    pub fn image_failed(&self, e: &Error) {
        if self.json {
            self.event("image_failed", serde_json::json!({ "error": e.message() }));
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
        self.blob_start_at(desc, Instant::now(), None);
    }

    /// A blob started whose transfer began at `start`: before its digest
    /// was known for a layer a daemon's stream names by path (`name`),
    /// hashed on the way, whose `blob_done` says how long it took from
    /// then and whose `blob_start` names it as its `layer_read` did.
    pub fn blob_start_at(&self, desc: &Descriptor, start: Instant, name: Option<&str>) {
        if self.json {
            self.list();
            let kind = if desc.media_type.is_config() {
                "config"
            } else {
                "layer"
            };
            let mut fields = serde_json::json!({"digest": desc.digest.to_string(), "size": desc.size, "kind": kind});
            if let Some(name) = name {
                fields["name"] = name.into();
            }
            self.event_if("blob_start", fields, || {
                self.live.lock().unwrap().insert(
                    desc.digest.clone(),
                    Live {
                        start,
                        bytes: 0,
                        size: desc.size,
                        last: Instant::now(),
                    },
                );
                true
            });
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
            // (the blob leaves `live` as its last event goes out)
            let ended = || {
                self.live.lock().unwrap().remove(&src.digest);
                true
            };
            match outcome {
                Outcome::Skipped => self.event_if(
                    "blob_skipped",
                    serde_json::json!({"digest": src.digest.to_string(), "size": src.size}),
                    ended,
                ),
                Outcome::Copied => {
                    let start = self.live.lock().unwrap().get(&src.digest).map(|l| l.start);
                    let secs = start.map_or(0.0, |s| s.elapsed().as_secs_f64());
                    // (whole bytes per second, as the other byte counts)
                    let rate = if secs > 0.0 {
                        (bytes as f64 / secs).round() as u64
                    } else {
                        0
                    };
                    self.event_if(
                        "blob_done",
                        serde_json::json!({"digest": src.digest.to_string(),
                            "stored_digest": out.digest.to_string(), "bytes": bytes,
                            "seconds": (secs * 1000.0).round() / 1000.0, "rate": rate}),
                        ended,
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
            self.event_if(
                "blob_reused",
                serde_json::json!({"digest": src.digest.to_string(), "size": src.size, "from": from}),
                || {
                    self.live.lock().unwrap().remove(&src.digest);
                    true
                },
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

    /// A download of `digest` broken midway was resumed where it stopped
    /// (see [`crate::transport::Resumed`]): its bytes go on from there.
    fn blob_resumed(&self, digest: &Digest, r: crate::transport::Resumed) {
        if self.json {
            self.event(
                "blob_resumed",
                serde_json::json!({"digest": digest.to_string(), "offset": r.offset,
                    "resume": r.resume, "error": r.error}),
            );
            return;
        }
        self.message(&format!(
            "Resuming blob {digest} at {} (resume {}) after: {}",
            human(r.offset),
            r.resume,
            r.error
        ));
    }

    /// Count bytes read through `r` (and move its bar, if any).
    pub fn counting<'a, R: Read + 'a>(&'a self, r: R, desc: &Descriptor) -> Counting<'a, R> {
        let bar = self.active.lock().unwrap().get(&desc.digest).cloned();
        Counting {
            inner: r,
            p: self,
            bar,
            digest: desc.digest.clone(),
            from_source: true,
        }
    }

    /// Count bytes read through `r`, a layer a daemon's stream names only
    /// by path (`name`, `size` bytes), read before its digest is known: in
    /// JSON mode, a `layer_read` event as its first read begins (when,
    /// kept in `began`) and then at most every 200 ms (its `blob_start`
    /// comes once its digest is known).
    pub fn reading_unnamed<'a, R: Read + 'a>(
        &'a self,
        r: R,
        name: &str,
        size: u64,
        began: &'a Cell<Option<Instant>>,
    ) -> Unnamed<'a, R> {
        Unnamed {
            inner: r,
            p: self,
            name: name.to_string(),
            size,
            bytes: 0,
            began,
            last: Instant::now(),
        }
    }

    /// [`Self::counting`] for bytes read again from a temp file the
    /// source's were staged in (their upload's progress): not counted
    /// again in [`Self::bytes`].
    pub fn counting_staged<'a, R: Read + 'a>(&'a self, r: R, desc: &Descriptor) -> Counting<'a, R> {
        Counting {
            from_source: false,
            ..self.counting(r, desc)
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
    /// Counted in [`Progress::bytes`].
    from_source: bool,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // (resumes said in a read that was not this blob's are not its)
        let _ = crate::transport::take_resumed();
        let n = self.inner.read(buf);
        for r in crate::transport::take_resumed() {
            self.p.blob_resumed(&self.digest, r);
        }
        let n = n?;
        if self.from_source {
            self.p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        self.p.advance(&self.digest, n as u64);
        if let Some(b) = &self.bar {
            b.inc(n as u64);
        }
        Ok(n)
    }
}

/// See [`Progress::reading_unnamed`].
pub struct Unnamed<'a, R> {
    inner: R,
    p: &'a Progress,
    name: String,
    size: u64,
    bytes: u64,
    /// When the first read began.
    began: &'a Cell<Option<Instant>>,
    last: Instant,
}

impl<R> Unnamed<'_, R> {
    fn said(&self) {
        if self.p.json {
            self.p.event(
                "layer_read",
                serde_json::json!({"name": self.name, "bytes": self.bytes, "size": self.size}),
            );
        }
    }
}

impl<R: Read> Read for Unnamed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.began.get().is_none() {
            self.last = Instant::now();
            self.began.set(Some(self.last));
            self.said();
        }
        let n = self.inner.read(buf)?;
        self.p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        self.bytes += n as u64;
        if self.p.json && n > 0 && self.last.elapsed().as_millis() >= 200 {
            self.last = Instant::now();
            self.said();
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
