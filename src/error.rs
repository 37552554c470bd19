//! The one error type of lade: a message with its context, and the exit code
//! it maps to (see DESIGN: 0 success, 1 negative answer, 2 usage, 3 failure).

use std::fmt;
use std::io;

/// What kind of failure this is; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A negative answer: the thing asked for does not exist (exit 1).
    NotFound,
    /// Bad input or a failed operation (exit 3).
    Failure,
    /// The command line was wrong in a way clap could not tell (exit 2).
    Usage,
    /// This transport cannot do what was asked (exit 3, as a failure):
    /// callers with another way pick it, or say what would work.
    Unsupported,
    /// The output pipe was closed by the reader (exit 0, silently).
    BrokenPipe,
    /// A registry refused the request to the credentials given (403, or
    /// a 401 insufficient_scope after authenticating): a failure (exit 3)
    /// that a caller asking for something optional may pass over.
    Denied,
}

/// An error with its context chain, printed as one line:
/// `lade: error: <outer context>: <inner context>: <cause>`.
#[derive(Debug, Clone)]
pub struct Error {
    kind: Kind,
    msg: String,
    retry: Retry,
    /// How long the server asked to be left alone (a 429's Retry-After).
    retry_after: Option<std::time::Duration>,
    /// The data read is not what it says it is (a manifest that does not
    /// parse): see [`Error::invalid`].
    invalid: bool,
    /// A part the whole names is not there: see [`Error::missing_part`].
    missing: bool,
    /// A registry refused the credentials: see
    /// [`Error::credentials_refused`].
    refused: bool,
}

/// Whether a failed operation is worth trying again from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    No,
    /// A blob upload whose streamed body the registry refused with a
    /// 5xx, or whose connection broke: see [`Error::transient`].
    Transient,
    /// As transient, and once at once outside the retry budget: see
    /// [`Error::retry_at_once`].
    AtOnce,
    /// As transient, with a budget of its own: see [`Error::rate_limited`].
    RateLimited,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn of(kind: Kind, msg: impl Into<String>) -> Self {
        Error {
            kind,
            msg: msg.into(),
            retry: Retry::No,
            retry_after: None,
            invalid: false,
            missing: false,
            refused: false,
        }
    }

    /// Data that does not read as what it should be (a failure, exit 3):
    /// a caller reading something optional (an image's attachments) may
    /// leave it out, where it would not pass over a registry that cannot
    /// be reached. The mark survives [`Error::context`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        let mut e = Error::of(Kind::Failure, msg);
        e.invalid = true;
        e
    }

    pub fn is_invalid(&self) -> bool {
        self.invalid
    }

    /// The same failure, no longer marked [`Error::invalid`]: what the
    /// destination holds does not read, which is no reason to leave the
    /// source's data out.
    pub fn settled(mut self) -> Self {
        self.invalid = false;
        self
    }

    pub fn new(msg: impl Into<String>) -> Self {
        Error::of(Kind::Failure, msg)
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::of(Kind::NotFound, msg)
    }

    pub fn unsupported(msg: impl Into<String>) -> Self {
        Error::of(Kind::Unsupported, msg)
    }

    pub fn denied(msg: impl Into<String>) -> Self {
        Error::of(Kind::Denied, msg)
    }

    pub fn usage(msg: impl Into<String>) -> Self {
        Error::of(Kind::Usage, msg)
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Mark the error as transient: the operation may succeed when tried
    /// again from the start (the mark survives [`Error::context`]).
    pub fn transient(mut self) -> Self {
        if self.retry == Retry::No {
            self.retry = Retry::Transient;
        }
        self
    }

    pub fn is_transient(&self) -> bool {
        self.retry != Retry::No
    }

    /// A registry's 429 (Too Many Requests): transient, and tried again
    /// a few times even where --retry-times allows none (see
    /// `Retries::budget`).
    pub fn rate_limited(mut self) -> Self {
        self.retry = Retry::RateLimited;
        self
    }

    pub fn is_rate_limited(&self) -> bool {
        self.retry == Retry::RateLimited
    }

    /// The wait the server asked for before a retry (a 429's
    /// Retry-After), kept with the error.
    pub fn with_retry_after(mut self, wait: Option<std::time::Duration>) -> Self {
        self.retry_after = wait;
        self
    }

    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    /// Mark the error as worth one more try at once, not counted against
    /// the retries: the failed write taught the writer to do it another
    /// way (a registry that refused a chunked upload gets blobs whole).
    pub fn retry_at_once(mut self) -> Self {
        self.retry = Retry::AtOnce;
        self
    }

    pub fn is_retry_at_once(&self) -> bool {
        self.retry == Retry::AtOnce
    }

    /// Not finding a part of something (a blob, a manifest an index
    /// lists) is a failure, not a negative answer: the whole is broken.
    /// The mark survives [`Error::context`]; [`Error::is_missing`] tells.
    pub fn missing_part(mut self) -> Self {
        if self.kind == Kind::NotFound {
            self.kind = Kind::Failure;
            self.missing = true;
        }
        self
    }

    /// A part the whole names, not there (see [`Error::missing_part`]).
    pub fn missing(msg: impl Into<String>) -> Self {
        Error::not_found(msg).missing_part()
    }

    /// Whether this is a part found missing ([`Error::missing_part`]).
    pub fn is_missing(&self) -> bool {
        self.missing
    }

    /// The registry refused the credentials (or wants some where none
    /// were given): every request of this command to it would fail
    /// alike. The mark survives [`Error::context`].
    pub fn credentials_refused(mut self) -> Self {
        self.refused = true;
        self
    }

    pub fn is_credentials_refused(&self) -> bool {
        self.refused
    }

    pub fn message(&self) -> &str {
        &self.msg
    }

    /// Prefix the message with a context (the outer operation).
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.msg = format!("{ctx}: {}", self.msg);
        self
    }

    /// Prefix the message with `WHAT NAME` (`layer sha256:…`), or, where
    /// it begins by naming NAME already (`blob sha256:…: content hashes
    /// to …`), put WHAT in place of that word: NAME is said once.
    pub fn about(mut self, what: &str, name: impl fmt::Display) -> Self {
        let named = format!(" {name}: ");
        match self.msg.find(&named) {
            Some(i) if i > 0 && !self.msg[..i].contains([' ', ':']) => {
                self.msg = format!("{what}{}", &self.msg[i..]);
                self
            }
            _ => self.context(format!("{what} {name}")),
        }
    }

    /// The message without the first `blob NAME: ` in it, for a context
    /// that names the blob already (a layer of an unpack).
    pub fn unnamed_blob(mut self, name: impl fmt::Display) -> Self {
        self.msg = self.msg.replacen(&format!("blob {name}: "), "", 1);
        self
    }

    /// Add what the failure left behind after the message ("…; DIR is
    /// incomplete").
    pub fn context_after(mut self, note: impl fmt::Display) -> Self {
        self.msg = format!("{}; {note}", self.msg);
        self
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::NotFound => 1,
            Kind::Failure | Kind::Unsupported | Kind::Denied => 3,
            Kind::Usage => 2,
            Kind::BrokenPipe => 0,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        let kind = match e.kind() {
            io::ErrorKind::BrokenPipe => Kind::BrokenPipe,
            _ => Kind::Failure,
        };
        // Unwrap our own errors carried through io::Error (e.g. from a verifying reader).
        if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let inner = e.into_inner().unwrap().downcast::<Error>().unwrap();
            return *inner;
        }
        Error::of(kind, io_message(&e))
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        io::Error::other(e)
    }
}

/// `s` with its control characters escaped (`\n`, `\t`, `\u{1b}`): text
/// from outside (a ref name, a tar header, a server's message) kept to its
/// line and its fields.
pub fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // (bidirectional formatting characters too: they reorder what the
    // terminal shows after them)
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    for c in s.chars() {
        if c.is_control() || bidi(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// io::Error's Display adds " (os error N)"; keep the readable part only.
pub fn io_message(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Attach context to any result whose error converts into [`Error`].
pub trait Context<T> {
    fn context<C: fmt::Display>(self, ctx: C) -> Result<T>;
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context<C: fmt::Display>(self, ctx: C) -> Result<T> {
        self.map_err(|e| e.into().context(ctx))
    }
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        // Writing JSON out failed (a closed pipe, a full disk): the
        // output's error, with its kind, not the JSON's.
        if e.is_io() {
            return Error::from(std::io::Error::from(e));
        }
        Error::new(format!("invalid JSON: {e}"))
    }
}

/// Build an [`Error`] with `format!` syntax.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::error::Error::new(format!($($arg)*)) };
}

/// Return early with an [`Error`] built with `format!` syntax.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::err!($($arg)*)) };
}

/// Set by JSON progress (`--progress=json`): warnings then go to stderr
/// as `message` events, timed from this instant, so stderr stays JSON.
static JSON_WARNINGS: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Say warnings as JSON `message` events from now on, timed from `t0`.
pub fn json_warnings(t0: std::time::Instant) {
    let _ = JSON_WARNINGS.set(t0);
}

/// What a signal that ends lade says: under JSON progress an
/// `interrupted` event (with `text`, what was left, if anything), else
/// `lade: interrupted: LEFT` when something was left.
pub fn say_interrupted(signal: &str, left: &str) {
    let t0 = JSON_WARNINGS.get();
    if t0.is_none() && left.is_empty() {
        return;
    }
    // (made under stderr's lock, after the lines before it: its time is
    // not before theirs)
    let last = || match t0 {
        Some(t0) => {
            let time = event_time(*t0);
            let mut v = serde_json::json!({"event": "interrupted", "signal": signal, "time": time});
            if !left.is_empty() {
                v["text"] = left.into();
            }
            format!("{v}\n")
        }
        None => format!("{}\n", line("interrupted", left)),
    };
    say_last(&format!("interrupted ({signal})"), last);
}

/// What goes just before the last line: the lines `f(why)` makes, `why`
/// saying what ends lade (JSON progress: the blobs under way closed).
pub type LastWords = fn(&str) -> Vec<u8>;
static BEFORE_LAST: std::sync::OnceLock<LastWords> = std::sync::OnceLock::new();

/// Have `f` make the lines said before the last one (see [`say_last`]).
pub fn before_last_line(f: LastWords) {
    let _ = BEFORE_LAST.set(f);
}

/// Write `line` to stderr as the process's last: nothing written with
/// [`to_stderr`] goes after it (a signal's interrupted line, the
/// `--command-timeout` error). `why` (the signal, the timeout) is for
/// the lines said before it ([`before_last_line`]).
pub fn say_last(why: &str, line: impl FnOnce() -> String) {
    to_stderr(|| {
        // (Set under stderr's lock: a line another thread writes takes
        // it before, or sees this after.)
        INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut out = BEFORE_LAST.get().map_or_else(Vec::new, |f| f(why));
        out.extend_from_slice(line().as_bytes());
        out
    });
}

/// Set once the last line is going out ([`say_last`]): the process is
/// ending, and no event or warning goes after it (a blob thread said
/// blob_start after a signal's interrupted line, so a script's last line
/// was no longer the interruption).
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Write what `line` makes to stderr, under stderr's lock (made under
/// it too, so event times never go backwards); nothing once the last
/// line is out ([`say_last`]).
pub fn to_stderr(line: impl FnOnce() -> Vec<u8>) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    if !INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
        let _ = err.write_all(&line());
    }
}

/// `lade: warning: MSG`, one line whatever MSG quotes.
pub fn warning_line(msg: &str) -> String {
    line("warning", msg)
}

/// `lade: LEVEL: MSG` on one line.
fn line(level: &str, msg: &str) -> String {
    format!("lade: {level}: {}", escape_controls(msg))
}

/// A warning on stderr: `lade: warning: MSG` (one line, whatever it
/// quotes), or a JSON `message` event (`"text": "warning: MSG"`) under
/// JSON progress.
pub fn warn(msg: &str) {
    say("warning", msg);
}

/// The warning for `n` names of a listing left out (`WHERE: N names that
/// are no valid WHAT left out ("FIRST", …)`), said once per listing.
pub fn warn_names_left_out(at: &str, n: usize, first: &str, what: &str) {
    if n == 0 {
        return;
    }
    let first: String = escape_controls(first).chars().take(80).collect();
    let (s, are, more) = match n {
        1 => ("", "is", ""),
        _ => ("s", "are", ", …"),
    };
    warn(&format!(
        "{at}: {n} name{s} that {are} no valid {what} left out ({first:?}{more})"
    ));
}

/// A JSON event's `time`: seconds since `t0`, to the millisecond.
pub fn event_time(t0: std::time::Instant) -> f64 {
    (t0.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

/// `lade: LEVEL: MSG` on stderr, or its JSON `message` event.
fn say(level: &str, msg: &str) {
    // (the time read under stderr's lock, as the events' is: a thread
    // that waited for the lock wrote a time before the line above it)
    to_stderr(|| match JSON_WARNINGS.get() {
        Some(t0) => {
            let time = event_time(*t0);
            let v = serde_json::json!({"text": format!("{level}: {msg}"), "event": "message", "time": time});
            format!("{v}\n").into_bytes()
        }
        None => format!("{}\n", line(level, msg)).into_bytes(),
    });
}

static DEBUG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--debug`: say each request as it is answered.
pub fn set_debug() {
    DEBUG.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub fn debugging() -> bool {
    DEBUG.load(std::sync::atomic::Ordering::Relaxed)
}

/// Under `--debug`, `lade: debug: MSG` on stderr (a JSON `message`
/// event under JSON progress).
pub fn debug(msg: impl FnOnce() -> String) {
    if debugging() {
        say("debug", &msg());
    }
}
