//! Shared test helpers: run lade, find the peers the test script started,
//! build images with the real Docker Engine.
//!
//! Peers come from `scripts/test`, which exports:
//! - `LADE_TEST_DOCKER_HOST`: a private dockerd (vfs, own socket)
//! - `LADE_TEST_REGISTRY`: `127.0.0.1:PORT` of a distribution registry
//! - `LADE_TEST_TMP`: a scratch directory
//!
//! A test needing a peer calls `docker_host()`/`registry()`/`require_tool()`.
//! Outside CI a missing peer skips the test with a note; with `CI=true` it
//! fails the test, so CI never passes by skipping.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// `prefix` made unique to this test process and call: repository and
/// directory names that concurrent tests and runs never share.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The lade binary under test.
pub fn lade() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lade"));
    c.env_remove("LADE_STORE");
    c.env("XDG_DATA_HOME", "/nonexistent-lade-test-home");
    // Nothing of the user's (a signature policy, registries.conf, auth
    // files) decides a test: the system's files and the test's own do.
    c.env("HOME", "/nonexistent-lade-test-home");
    // Requests are as each test makes them, whatever ran before it.
    c.env("LADE_BLOB_CACHE", "off");
    c
}

/// The lade binary with its blob-info cache in `dir` (off in [`lade`]).
pub fn lade_with_cache(dir: &Path) -> Command {
    let mut c = lade();
    c.env_remove("LADE_BLOB_CACHE").env("XDG_CACHE_HOME", dir);
    c
}

/// Run a command, returning its output; panics if it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Run `cmd` (stdin closed), killing it and failing the test if it has
/// not ended within `secs`: for what must never wait on its input.
pub fn run_within(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let t0 = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > std::time::Duration::from_secs(secs) {
            child.kill().unwrap();
            panic!("{cmd:?} still runs after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Run and insist on success; returns stdout.
#[track_caller]
pub fn ok(cmd: &mut Command) -> Vec<u8> {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Run and insist on success; returns stderr (what a command says of its
/// work) as a string.
#[track_caller]
pub fn ok_stderr(cmd: &mut Command) -> String {
    let out = run(cmd);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {err}",
        out.status
    );
    err
}

/// Run and insist on success; returns trimmed stdout as a string.
#[track_caller]
pub fn ok_str(cmd: &mut Command) -> String {
    String::from_utf8(ok(cmd)).unwrap().trim_end().to_string()
}

/// Run and insist on exit status `code`; returns stderr.
#[track_caller]
pub fn fails_with(cmd: &mut Command, code: i32) -> String {
    let out = run(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{cmd:?}: expected exit {code}\nstdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// Run with `input` on stdin; returns the output.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let t = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    t.join().unwrap();
    out
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A peer is missing: fail in CI, otherwise say so and let the test skip.
fn missing(what: &str) -> Option<String> {
    if in_ci() {
        panic!("peer missing in CI: {what} (run the tests through scripts/test)");
    }
    eprintln!("SKIPPED: {what} is not available; run the tests through scripts/test");
    None
}

/// `what` cannot be had here: a skip, or a failure in CI.
pub fn unavailable(what: &str) {
    missing(what);
}

/// DOCKER_HOST of the test dockerd.
pub fn docker_host() -> Option<String> {
    match std::env::var("LADE_TEST_DOCKER_HOST") {
        Ok(h) if !h.is_empty() => Some(h),
        _ => missing("the test Docker Engine (LADE_TEST_DOCKER_HOST)"),
    }
}

/// `HOST:PORT` of the test registry (plain HTTP, no auth).
pub fn registry() -> Option<String> {
    match std::env::var("LADE_TEST_REGISTRY") {
        Ok(h) if !h.is_empty() => Some(h),
        _ => missing("the test registry (LADE_TEST_REGISTRY)"),
    }
}

/// Is `tool` on PATH? Missing is a skip, or a failure in CI.
pub fn require_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found || missing(tool).is_some()
}

/// The `docker` CLI pointed at the test daemon.
pub fn docker(host: &str) -> Command {
    let mut c = Command::new("docker");
    c.env("DOCKER_HOST", host).env("DOCKER_BUILDKIT", "0");
    c
}

/// A fixture file shipped in tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// A fresh temp dir (under LADE_TEST_TMP when set).
pub fn tempdir() -> tempfile::TempDir {
    match std::env::var_os("LADE_TEST_TMP") {
        Some(t) => tempfile::Builder::new().prefix("t").tempdir_in(t).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

/// A minimal base image with a static busybox (`lade-test-base:1`), made
/// with `docker import` of a tar written here. Idempotent.
pub fn base_image(host: &str) -> &'static str {
    static DONE: OnceLock<()> = OnceLock::new();
    const NAME: &str = "lade-test-base:1";
    DONE.get_or_init(|| {
        let exists = run(docker(host).args(["image", "inspect", NAME]))
            .status
            .success();
        if exists {
            return;
        }
        let dir = tempdir();
        let tar_path = dir.path().join("base.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
        let busybox = std::fs::read("/bin/busybox").expect("busybox-static is installed");
        let mut add = |path: &str, data: &[u8], mode: u32| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(mode);
            h.set_mtime(1_700_000_000);
            b.append_data(&mut h, path, data).unwrap();
        };
        add("bin/busybox", &busybox, 0o755);
        add("etc/os-release", b"NAME=lade-test\nVERSION=1\n", 0o644);
        for app in [
            "sh", "cat", "echo", "ls", "rm", "mkdir", "ln", "chmod", "mkfifo", "touch", "true",
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            h.set_mtime(1_700_000_000);
            b.append_link(&mut h, format!("bin/{app}"), "busybox")
                .unwrap();
        }
        b.into_inner().unwrap().sync_all().unwrap();
        ok(docker(host).args(["import", tar_path.to_str().unwrap(), NAME]));
    });
    NAME
}

/// Build `tag` with `docker build` (BuildKit off) from a Dockerfile and
/// files, on top of [`base_image`] (refer to it as `FROM lade-test-base:1`).
pub fn build_image(host: &str, tag: &str, dockerfile: &str, files: &[(&str, &[u8])]) {
    base_image(host);
    let dir = tempdir();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    for (name, data) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    ok(docker(host).args(["build", "-q", "-t", tag, dir.path().to_str().unwrap()]));
}

/// Parse JSON output.
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// The hex SHA-256 of `data`, by sha256sum (an independent oracle).
/// `data`, gzipped.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, data).unwrap();
    enc.finish().unwrap()
}

pub fn sha256_hex(data: &[u8]) -> String {
    let out = run_with_input(&mut Command::new("sha256sum"), data);
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}
