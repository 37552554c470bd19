//! docker:// against the real CNCF distribution registry (the one
//! scripts/test starts, plus instances these tests start with htpasswd,
//! token auth and TLS), with skopeo and Docker as oracles, and a small
//! fault-injecting proxy / fake registry for what the real one won't do.

mod common;
mod regsrv;

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use regsrv::*;
use serde_json::{json, Value};

fn skopeo() -> Command {
    Command::new("skopeo")
}

fn oci(dir: &Path, name: &str) -> String {
    format!("oci:{}:{name}", dir.display())
}

/// An OCI layout with the fixture image, written by skopeo.
fn fixture_layout(dir: &Path) -> Option<String> {
    if !require_tool("skopeo") {
        return None;
    }
    let src = fixture("docker-save/tiny2-docker20.tar");
    ok(skopeo().args([
        "copy",
        "-q",
        &format!("docker-archive:{}:tiny:1", src.display()),
        &oci(dir, "tiny"),
    ]));
    Some(oci(dir, "tiny"))
}

/// An OCI layout holding one image whose only layer is an uncompressed
/// tar with `size` pseudo-random bytes: a large blob for resume tests.
fn big_layout(dir: &Path, size: usize) -> String {
    let mut data = vec![0u8; size];
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let mut tarb = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(size as u64);
    h.set_mode(0o644);
    h.set_mtime(1_700_000_000);
    tarb.append_data(&mut h, "big.bin", &data[..]).unwrap();
    let layer = tarb.into_inner().unwrap();
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let hex = sha256_hex(bytes);
        fs::write(blobs.join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    };
    let ld = put(&layer);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["BIG=1"]},
        "rootfs": {"type": "layers", "diff_ids": [ld]},
    }))
    .unwrap();
    let cd = put(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": layer.len()}],
    }))
    .unwrap();
    let md = put(&manifest);
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
            "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "big"}}]}))
        .unwrap(),
    )
    .unwrap();
    oci(dir, "big")
}

/// The fixture image pushed as REPO:1 (REPO made unique from `name`):
/// the layout it came from, and REPO.
fn fixture_pushed(reg: &str, dir: &Path, name: &str) -> Option<(String, String)> {
    let src = fixture_layout(&dir.join("src"))?;
    let repo = unique(name);
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &src,
        &format!("docker://{reg}/{repo}:1"),
    ]));
    Some((src, repo))
}

/// `lade --debug copy` of the tiny docker-archive fixture to
/// `docker://dest` (plain HTTP) with `flags`: the manifest digest written
/// and what was said on stderr.
fn push_archive(mut lade: Command, dir: &Path, dest: &str, flags: &[&str]) -> (String, String) {
    let archive = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let digests = dir.join(unique("digest"));
    let err = ok_stderr(
        lade.args(["--debug", "copy", "--dest-tls-verify=false", "--digestfile"])
            .arg(&digests)
            .args(flags)
            .args([&archive, &format!("docker://{dest}")]),
    );
    let digest = fs::read_to_string(&digests).unwrap().trim().to_string();
    (digest, err)
}

fn digest_of(image: &str, extra: &[&str]) -> String {
    json(&ok(lade().arg("inspect").args(extra).arg(image)))["Digest"]
        .as_str()
        .unwrap()
        .to_string()
}

fn digest_of_env(image: &str, env: (&str, &Path)) -> String {
    json(&ok(lade().env(env.0, env.1).arg("inspect").arg(image)))["Digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Files under `dir/blobs` (to show nothing partial was left).
fn blob_count(dir: &Path) -> usize {
    let b = dir.join("blobs/sha256");
    fs::read_dir(&b).map_or(0, |d| d.count())
}

const INSECURE: &str = "--tls-verify=false";
const SRC_INSECURE: &str = "--src-tls-verify=false";
const DEST_INSECURE: &str = "--dest-tls-verify=false";

// ---------------------------------------------------------------------------
// extra registries

// ---------------------------------------------------------------------------
// a tiny HTTP server: fake registry, token service, fault proxy

struct Req {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    head: Vec<u8>,
    /// The body, when it has a Content-Length (read before the handler runs).
    body: Vec<u8>,
}

enum Action {
    Respond(Vec<u8>),
    /// Forward to the upstream; cut the response after this many body bytes.
    Forward {
        cut_body_at: Option<u64>,
    },
}

fn response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut s = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    let mut v = s.into_bytes();
    v.extend_from_slice(body);
    v
}

fn read_head(s: &mut TcpStream) -> Option<(Req, Vec<u8>)> {
    let mut r = BufReader::new(s.try_clone().ok()?);
    let mut head = Vec::new();
    let mut first = String::new();
    r.read_line(&mut first).ok()?;
    if first.is_empty() {
        return None;
    }
    head.extend_from_slice(first.as_bytes());
    let mut headers = HashMap::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).ok()?;
        head.extend_from_slice(l.as_bytes());
        if l == "\r\n" || l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    // Anything the BufReader read past the head belongs to the body.
    let buffered = r.buffer().to_vec();
    let mut parts = first.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    Some((
        Req {
            method,
            path,
            headers,
            head,
            body: Vec::new(),
        },
        buffered,
    ))
}

/// Serve on a loopback port; `upstream` is where Forward goes.
fn serve<F>(upstream: Option<String>, handler: F) -> String
where
    F: Fn(&Req) -> Action + Send + Sync + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let handler = handler.clone();
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let Some((mut req, mut buffered)) = read_head(&mut c) else {
                    return;
                };
                // A body of known length is read whole first: handlers see
                // it, and a refusal comes after the client sent it all.
                let len = req
                    .headers
                    .get("content-length")
                    .and_then(|v| v.parse::<usize>().ok());
                if let Some(n) = len.filter(|n| *n <= 64 << 20) {
                    if buffered.len() < n {
                        let mut rest = vec![0u8; n - buffered.len()];
                        if c.read_exact(&mut rest).is_err() {
                            return;
                        }
                        buffered.extend_from_slice(&rest);
                    }
                    req.body = buffered.clone();
                }
                match handler(&req) {
                    Action::Respond(bytes) => {
                        let _ = c.write_all(&bytes);
                        let _ = c.shutdown(Shutdown::Both);
                    }
                    Action::Forward { cut_body_at } => forward(
                        c,
                        &req,
                        &buffered,
                        upstream.as_deref().unwrap(),
                        cut_body_at,
                    ),
                }
            });
        }
    });
    addr
}

fn forward(mut c: TcpStream, req: &Req, buffered: &[u8], upstream: &str, cut: Option<u64>) {
    let Ok(mut u) = TcpStream::connect(upstream) else {
        return;
    };
    // Rewrite the head: one request per connection.
    let text = String::from_utf8_lossy(&req.head).to_string();
    let mut out = String::new();
    for line in text.split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") || line.is_empty() {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let _ = u.write_all(out.as_bytes());
    let _ = u.write_all(buffered);
    let mut c2 = c.try_clone().unwrap();
    let mut u2 = u.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut u2);
    });
    // Response: copy, counting body bytes after the head.
    let mut buf = [0u8; 16384];
    let mut seen_head = Vec::new();
    let mut body_sent: u64 = 0;
    let mut in_body = false;
    loop {
        let n = match u.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        if !in_body {
            seen_head.extend_from_slice(chunk);
            if let Some(i) = seen_head.windows(4).position(|w| w == b"\r\n\r\n") {
                in_body = true;
                let head_rest = seen_head.len() - n;
                let body_start = i + 4 - head_rest.min(i + 4);
                if c.write_all(&chunk[..body_start]).is_err() {
                    break;
                }
                chunk = &chunk[body_start..];
            } else {
                if c.write_all(chunk).is_err() {
                    break;
                }
                continue;
            }
        }
        if let Some(limit) = cut {
            if body_sent + chunk.len() as u64 >= limit {
                let k = (limit - body_sent) as usize;
                let _ = c.write_all(&chunk[..k]);
                let _ = c.flush();
                let _ = c.shutdown(Shutdown::Both);
                let _ = u.shutdown(Shutdown::Both);
                return;
            }
        }
        body_sent += chunk.len() as u64;
        if c.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = c.shutdown(Shutdown::Both);
    let _ = u.shutdown(Shutdown::Both);
}

// ---------------------------------------------------------------------------
// tests against the test script's registry

#[test]
fn oci_to_registry_to_oci_keeps_digests_skips_and_mounts() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let want = digest_of(&src, &[]);
    let repo = unique("rt/a");
    let dst = format!("docker://{reg}/{repo}:1");
    let dgf = t.path().join("digest");
    let err = String::from_utf8(
        run(lade()
            .args(["copy", "--dest-tls-verify=false", "--digestfile"])
            .arg(&dgf)
            .args([&src, &dst]))
        .stderr,
    )
    .unwrap();
    assert!(!err.contains("skipped"), "{err}");
    assert_eq!(fs::read_to_string(&dgf).unwrap().trim(), want);
    // Again: every blob exists, nothing is uploaded.
    let err =
        String::from_utf8(run(lade().args(["copy", "--dest-tls-verify=false", &src, &dst])).stderr)
            .unwrap();
    assert_eq!(err.matches("skipped").count(), 4, "{err}");
    // Registry → oci keeps the digest.
    let back = oci(&t.path().join("back"), "x");
    ok(lade().args(["copy", "--src-tls-verify=false", &dst, &back]));
    assert_eq!(digest_of(&back, &[]), want);
    // Registry → registry, another repo: blobs are mounted, not copied.
    let dst2 = format!("docker://{reg}/{}:2", unique("rt/b"));
    let err = String::from_utf8(
        run(lade().args([
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &dst,
            &dst2,
        ]))
        .stderr,
    )
    .unwrap();
    assert_eq!(
        err.matches(&format!("skipped: mounted from {repo}"))
            .count(),
        4,
        "{err}"
    );
    assert_eq!(digest_of(&dst2, &[INSECURE]), want);
    // The same as JSON events: four blob_reused naming the repository,
    // nothing started or written.
    let dst2j = format!("docker://{reg}/{}:2", unique("rt/b"));
    let err = ok_stderr(lade().args([
        "copy",
        "--progress=json",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &dst,
        &dst2j,
    ]));
    let reused = events(&err, "blob_reused");
    assert_eq!(reused.len(), 4, "{err}");
    assert!(reused.iter().all(|e| e["from"] == repo.as_str()), "{err}");
    assert!(events(&err, "blob_start").is_empty(), "{err}");
    assert!(events(&err, "blob_done").is_empty(), "{err}");
    // Recompressed on the way: streamed (chunked) uploads, skopeo reads it.
    let dst3 = format!("docker://{reg}/{}:z", unique("rt/z"));
    ok(lade().args([
        "copy",
        "--dest-tls-verify=false",
        "--dest-compress-format",
        "zstd",
        &src,
        &dst3,
    ]));
    let t3 = t.path().join("z");
    ok(skopeo().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &dst3,
        &oci(&t3, "z"),
    ]));
    // A digest reference reads the same image.
    let by_digest = format!("docker://{reg}/{repo}@{want}");
    assert_eq!(digest_of(&by_digest, &[INSECURE]), want);
}

#[test]
fn inspect_agrees_with_skopeo_both_ways() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let ours = format!("docker://{reg}/{}:1", unique("insp/lade"));
    let theirs = format!("docker://{reg}/{}:1", unique("insp/skopeo"));
    ok(lade().args(["copy", "--dest-tls-verify=false", &src, &ours]));
    ok(skopeo().args(["copy", "-q", "--dest-tls-verify=false", &src, &theirs]));
    let s = json(&ok(skopeo().args(["inspect", INSECURE, &ours])));
    let l = json(&ok(lade().args(["inspect", INSECURE, &theirs])));
    for f in [
        "Digest",
        "RepoTags",
        "Created",
        "DockerVersion",
        "Labels",
        "Architecture",
        "Os",
        "Layers",
        "Env",
    ] {
        assert_eq!(s[f], l[f], "field {f}");
    }
    assert_eq!(
        l["Name"],
        json!(theirs
            .trim_start_matches("docker://")
            .trim_end_matches(":1"))
    );
    // --no-tags (-n): no tag listing, RepoTags empty, as skopeo's.
    for flag in ["--no-tags", "-n"] {
        let s = json(&ok(skopeo().args(["inspect", flag, INSECURE, &ours])));
        let l = json(&ok(lade().args(["inspect", flag, INSECURE, &ours])));
        assert_eq!(l["RepoTags"], json!([]), "{flag}");
        assert_eq!(s["RepoTags"], l["RepoTags"], "{flag}");
        assert_eq!(s["Digest"], l["Digest"], "{flag}");
    }
    // --raw is the exact bytes skopeo sees.
    let raw_l = ok(lade().args(["inspect", "--raw", INSECURE, &ours]));
    let raw_s = ok(skopeo().args(["inspect", "--raw", INSECURE, &ours]));
    assert_eq!(raw_l, raw_s);
    // --config as skopeo prints it (an OCI config), --raw --config the bytes.
    for args in [&["--config"][..], &["--config", "--raw"]] {
        let cfg_l = ok(lade().arg("inspect").args(args).args([INSECURE, &ours]));
        let cfg_s = ok(skopeo().arg("inspect").args(args).args([INSECURE, &ours]));
        assert_eq!(cfg_l, cfg_s, "{args:?}");
    }
}

#[test]
fn uncompressed_layers_go_up_gzipped_unless_told() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let archive = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let types = |image: &str| -> Vec<String> {
        json(&ok(lade().args(["inspect", "--raw", INSECURE, image])))["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["mediaType"].as_str().unwrap().to_string())
            .collect()
    };
    let config = ok(lade().args(["inspect", "--config", &archive]));
    // As docker push and skopeo send them: gzipped, same diff_ids (the
    // config, so the image ID, is the archive's own).
    let gz = format!("docker://{reg}/{}:1", unique("gz/tiny"));
    ok(lade().args(["copy", "-q", "--dest-tls-verify=false", &archive, &gz]));
    let ty = types(&gz);
    assert_eq!(ty.len(), 3);
    assert!(
        ty.iter()
            .all(|t| t == "application/vnd.docker.image.rootfs.diff.tar.gzip"),
        "{ty:?}"
    );
    assert_eq!(
        ok(lade().args(["inspect", "--config", INSECURE, &gz])),
        config
    );
    // skopeo reads every blob back (verifying digests and diff_ids).
    ok(skopeo().args([
        "copy",
        "-q",
        INSECURE,
        &gz,
        &oci(&t.path().join("back"), "x"),
    ]));
    // --dest-compress-format none: as they are.
    let plain = format!("docker://{reg}/{}:1", unique("gz/plain"));
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--dest-compress-format",
        "none",
        &archive,
        &plain,
    ]));
    assert!(types(&plain)
        .iter()
        .all(|t| t == "application/vnd.docker.image.rootfs.diff.tar"));
    // A copy between registries keeps the image: sync and
    // --preserve-digests never recompress.
    let again = format!("docker://{reg}/{}:1", unique("gz/again"));
    ok(lade().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--preserve-digests",
        &plain,
        &again,
    ]));
    assert_eq!(
        digest_of(&again, &[INSECURE]),
        digest_of(&plain, &[INSECURE])
    );
}

#[test]
fn list_tags_lists_all_and_delete_removes() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let repo = unique("tags/r");
    let first = format!("docker://{reg}/{repo}:t0");
    ok(lade().args(["copy", "-q", "--dest-tls-verify=false", &src, &first]));
    // More tags than a page elsewhere (100): put the manifest under 104
    // more tags with the raw API.
    let raw = ok(lade().args(["inspect", "--raw", INSECURE, &first]));
    let mt = json(&raw)["mediaType"].as_str().unwrap().to_string();
    for i in 1..105 {
        let mut s = TcpStream::connect(&reg).unwrap();
        write!(
            s,
            "PUT /v2/{repo}/manifests/t{i} HTTP/1.1\r\nHost: {reg}\r\nContent-Type: {mt}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            raw.len()
        )
        .unwrap();
        s.write_all(&raw).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    }
    let out = json(&ok(lade().args([
        "list-tags",
        INSECURE,
        &format!("docker://{reg}/{repo}"),
    ])));
    assert_eq!(out["Repository"], json!(format!("{reg}/{repo}")));
    let mut tags: Vec<String> = out["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    tags.sort();
    let mut want: Vec<String> = (0..105).map(|i| format!("t{i}")).collect();
    want.sort();
    assert_eq!(tags, want);
    let sk = json(&ok(skopeo().args([
        "list-tags",
        INSECURE,
        &format!("docker://{reg}/{repo}"),
    ])));
    assert_eq!(sk["Tags"].as_array().unwrap().len(), 105);
    // A tag or digest in the name is bad input (exit 3), as other bad
    // names are; skopeo refuses it too.
    for named in [
        first.clone(),
        format!("docker://{reg}/{repo}@sha256:{}", "0".repeat(64)),
    ] {
        let err = fails_with(lade().args(["list-tags", INSECURE, &named]), 3);
        assert!(err.contains("without tag or digest"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    // A name with both a tag and a digest is refused (the digest would be
    // what is read or deleted, the tag ignored; as a destination no tag
    // would be written), as by skopeo.
    let d0 = json(&ok(lade().args(["inspect", INSECURE, &first])))["Digest"]
        .as_str()
        .unwrap()
        .to_string();
    let both = format!("{first}@{d0}");
    let copied = format!("docker://{reg}/{repo}-both:1@{d0}");
    let synced = t.path().join("synced-both");
    let synced = synced.to_str().unwrap();
    for args in [
        vec![
            "sync",
            "--src",
            "docker",
            "--dest",
            "dir",
            "--src-tls-verify=false",
            &both[9..],
            synced,
        ],
        vec!["delete", INSECURE, &both],
        vec!["inspect", INSECURE, &both],
        vec![
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &first,
            &copied,
        ],
    ] {
        let err = fails_with(lade().args(&args), 3);
        assert!(err.contains("names both tag"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(!Path::new(synced).exists());
    let err = fails_with(
        lade().args([
            "list-tags",
            INSECURE,
            &format!("docker://{reg}/{repo}-both"),
        ]),
        1,
    );
    assert!(err.contains("NAME_UNKNOWN"), "{err}");
    ok(lade().args(["inspect", INSECURE, &first]));

    // delete: the manifest is gone (for every tag naming it); asking
    // for it is a negative answer, exit 1, as is an unknown repository.
    ok(lade().args(["delete", INSECURE, &first]));
    let err = fails_with(lade().args(["inspect", INSECURE, &first]), 1);
    assert!(
        err.contains("404") || err.contains("MANIFEST_UNKNOWN"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let none = format!("docker://{reg}/{}", unique("no/such/repo"));
    let err = fails_with(lade().args(["list-tags", INSECURE, &none]), 1);
    assert!(err.contains("NAME_UNKNOWN"), "{err}");
    // Deleting what is not there is a negative answer too, by tag or by
    // digest (the second delete of one digest, say).
    let mfile = t.path().join("m.json");
    fs::write(&mfile, &raw).unwrap();
    let digest = ok_str(lade().arg("manifest-digest").arg(&mfile))
        .trim()
        .to_string();
    let by_digest = format!("docker://{reg}/{repo}@{digest}");
    let err = fails_with(lade().args(["delete", INSECURE, &by_digest]), 1);
    assert!(err.contains("MANIFEST_UNKNOWN"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = fails_with(lade().args(["delete", INSECURE, &first]), 1);
    // (the name said once)
    assert_eq!(err.matches(&first).count(), 1, "{err}");
    // (the request said, as by digest)
    assert!(
        err.contains("HEAD /v2/") && err.contains("404 Not Found: manifest unknown"),
        "{err}"
    );

    // A repository holding an image pushed by digest only has no tag
    // list (404): inspect shows the image with no tags, as it is there.
    let bare = format!("{reg}/{}", unique("tags/bydigest"));
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &src,
        &format!("docker://{bare}@{digest}"),
    ]));
    let out = json(&ok(lade().args([
        "inspect",
        INSECURE,
        &format!("docker://{bare}@{digest}"),
    ])));
    assert_eq!(out["Digest"], json!(digest));
    assert_eq!(out["RepoTags"], json!([]));
}

#[test]
fn docker_pulls_and_runs_what_lade_pushed() {
    let Some(reg) = registry() else { return };
    let Some(host) = docker_host() else { return };
    if !require_tool("skopeo") {
        return;
    }
    build_image(
        &host,
        "lade-reg-run:1",
        "FROM lade-test-base:1\nRUN echo pushed-by-lade > /msg\nCMD [\"cat\", \"/msg\"]\n",
        &[],
    );
    let t = tempdir();
    let layout = oci(&t.path().join("l"), "run");
    ok(skopeo().args([
        "copy",
        "-q",
        "--src-daemon-host",
        &host,
        "docker-daemon:lade-reg-run:1",
        &layout,
    ]));
    let name = format!("{reg}/{}:1", unique("run/app"));
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--format",
        "v2s2",
        &layout,
        &format!("docker://{name}"),
    ]));
    ok(docker(&host).args(["pull", "-q", &name]));
    let out = ok_str(docker(&host).args(["run", "--rm", "--network", "none", &name]));
    assert_eq!(out, "pushed-by-lade");
    let _ = run(docker(&host).args(["rmi", &name]));
    // Straight from the daemon: its layers (uncompressed, streamed from
    // docker save) go up gzipped; Docker pulls and runs the image.
    let name = format!("{reg}/{}:1", unique("run/daemon"));
    ok(lade().args([
        "copy",
        "-q",
        "--src-daemon-host",
        &host,
        "--dest-tls-verify=false",
        "docker-daemon:lade-reg-run:1",
        &format!("docker://{name}"),
    ]));
    let raw = json(&ok(lade().args([
        "inspect",
        "--raw",
        INSECURE,
        &format!("docker://{name}"),
    ])));
    for l in raw["layers"].as_array().unwrap() {
        assert!(l["mediaType"].as_str().unwrap().ends_with("gzip"), "{raw}");
    }
    ok(docker(&host).args(["pull", "-q", &name]));
    let out = ok_str(docker(&host).args(["run", "--rm", "--network", "none", &name]));
    assert_eq!(out, "pushed-by-lade");
    let _ = run(docker(&host).args(["rmi", &name]));
}

#[test]
fn plain_http_needs_tls_verify_false_and_bad_names_fail() {
    let Some(reg) = registry() else { return };
    let err = fails_with(
        lade().args(["inspect", &format!("docker://{reg}/nothing/here:1")]),
        3,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&reg), "{err}");
    // It says the registry is plain HTTP, and the way out.
    assert!(
        err.contains("answers plain HTTP, not HTTPS") && err.contains("--tls-verify=false"),
        "{err}"
    );
    // Unknown repository: a clear one-line error, exit 1 (not found, as
    // for a layout's unknown ref), nothing written.
    let t = tempdir();
    let dst = t.path().join("dst");
    let err = fails_with(
        lade().args([
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{reg}/no/such/repo:1"),
            &oci(&dst, "x"),
        ]),
        1,
    );
    assert!(
        err.contains("MANIFEST_UNKNOWN") || err.contains("NAME_UNKNOWN") || err.contains("404"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(blob_count(&dst), 0);
    fails_with(lade().args(["inspect", "docker:noslashes"]), 3);
}

/// `--policy`: a registry image falls under the scopes skopeo gives it:
/// `HOST/REPO:TAG`, `HOST/REPO`, each namespace above, `HOST`, and
/// `*.DOMAIN` wildcards (the most specific one named wins); scopes of
/// other repositories leave it alone. skopeo agrees on every verdict.
#[test]
fn policy_scopes_of_registry_images() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let repo = unique("pol/ns/app");
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    ok(lade().args([
        "copy",
        "-q",
        DEST_INSECURE,
        &src,
        &format!("docker://{reg}/{repo}:1"),
    ]));
    let image = format!("docker://{reg}/{repo}:1");
    let (ns, _) = repo.rsplit_once('/').unwrap();
    let signed = json!([{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/no.gpg"}]);
    let any = json!([{"type": "insecureAcceptAnything"}]);
    // (the scopes named, each with its requirements; the scope said, if refused)
    type Case<'a> = (Vec<(String, &'a Value)>, Option<String>);
    let cases: Vec<Case> = vec![
        (
            vec![(format!("{reg}/{repo}:1"), &signed)],
            Some(format!("docker:{reg}/{repo}:1")),
        ),
        (vec![(format!("{reg}/{repo}:2"), &signed)], None),
        (
            vec![(format!("{reg}/{repo}"), &signed)],
            Some(format!("docker:{reg}/{repo}")),
        ),
        (
            vec![(format!("{reg}/{ns}"), &signed)],
            Some(format!("docker:{reg}/{ns}")),
        ),
        (vec![(reg.clone(), &signed)], Some(format!("docker:{reg}"))),
        (vec![("*.0.1".into(), &signed)], Some("docker:*.0.1".into())),
        (vec![(format!("{reg}/{repo}-not"), &signed)], None),
        (
            vec![
                (format!("{reg}/{ns}"), &signed),
                (format!("{reg}/{repo}"), &any),
            ],
            None,
        ),
    ];
    let has_skopeo = require_tool("skopeo");
    for (n, (scopes, refused)) in cases.iter().enumerate() {
        let table: serde_json::Map<String, Value> = scopes
            .iter()
            .map(|(s, l)| (s.clone(), (*l).clone()))
            .collect();
        let p = json!({"default": any, "transports": {"docker": table}});
        let file = t.path().join(format!("p{n}.json"));
        fs::write(&file, p.to_string()).unwrap();
        let out = t.path().join(format!("o{n}"));
        let o = run(lade().arg("--policy").arg(&file).args([
            "copy",
            "-q",
            SRC_INSECURE,
            &image,
            &oci(&out, "x"),
        ]));
        let err = String::from_utf8_lossy(&o.stderr);
        match refused {
            Some(scope) => {
                assert_eq!(o.status.code(), Some(3), "{p}: {err}");
                assert!(
                    err.contains(&format!("{scope} asks for \"signedBy\"")),
                    "{p}: {err}"
                );
                assert!(!out.exists());
            }
            None => assert!(o.status.success(), "{p}: {err}"),
        }
        if has_skopeo {
            let sk = run(skopeo().arg("--policy").arg(&file).args([
                "copy",
                "-q",
                SRC_INSECURE,
                &image,
                &oci(&t.path().join(format!("sk{n}")), "x"),
            ]));
            assert_eq!(
                sk.status.success(),
                refused.is_none(),
                "skopeo: {p}: {sk:?}"
            );
        }
    }
}

/// A server that takes the connection but never answers the TLS hello
/// (plain HTTP waiting for a request line, say) is given up on after 10 s,
/// as Go's HTTP transport does, in one line that says what happened and
/// the way out; the whole connect timeout (30 s) went by before, and the
/// error said "timeout: connect".
#[test]
fn a_server_silent_to_the_tls_hello_is_given_up_on_in_10_s() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    let started = Instant::now();
    let err = fails_with(lade().args(["inspect", &format!("docker://{addr}/p:1")]), 3);
    let took = started.elapsed();
    assert!(
        err.contains("no TLS answer in 10 s") && err.contains("--tls-verify=false"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(20),
        "{took:?}"
    );
}

/// A layer lade gzips on the way up (a docker save archive's) is known
/// by what it became: the second push of the image asks for those blobs
/// (HEAD) and sends none, with the same manifest; a stale entry costs an
/// upload, not the image; with the cache off every layer goes up again.
#[test]
fn a_second_push_of_compressed_layers_sends_nothing() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let cache = t.path().join("cache");
    let repo = unique("bcache/a");
    let push = |tag: &str, cache_on: bool| -> (String, String) {
        let c = if cache_on {
            lade_with_cache(&cache)
        } else {
            lade()
        };
        push_archive(c, t.path(), &format!("{reg}/{repo}:{tag}"), &[])
    };
    let (first, err) = push("1", true);
    assert_eq!(
        err.matches("PATCH ").count(),
        3,
        "three layers go up: {err}"
    );
    let file = cache.join("lade/blob-info");
    // What the layers became (beside where each blob was seen).
    let compressions = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains(" gzip "))
            .map(str::to_string)
            .collect()
    };
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(compressions(&text).len(), 3, "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (second, err) = push("2", true);
    assert_eq!(second, first);
    assert!(!err.contains("/blobs/uploads/"), "nothing is sent: {err}");
    assert_eq!(err.matches("skipped: already exists").count(), 4, "{err}");
    // Off: every layer again.
    let (third, err) = push("3", false);
    assert_eq!(third, first);
    assert_eq!(err.matches("PATCH ").count(), 3, "{err}");
    // Entries for blobs the repository lacks (another repository, or a
    // digest never written): uploads, and the same image.
    let stale: String = compressions(&text)
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!("{} gzip sha256:{} {}\n", f[0], "0".repeat(64), f[3])
        })
        .collect();
    fs::write(&file, format!("{stale}not a line\n")).unwrap();
    let (fourth, err) = push("4", true);
    assert_eq!(fourth, first);
    assert_eq!(err.matches("PATCH ").count(), 3, "{err}");
    assert_eq!(
        compressions(&fs::read_to_string(&file).unwrap()).len(),
        3 + 3,
        "the right ones are added"
    );
    let (fifth, err) = push("5", true);
    assert_eq!(fifth, first);
    assert!(!err.contains("/blobs/uploads/"), "{err}");
}

/// --dest-precompute-digests: each layer gzipped on the way is made in
/// a temp file first (under --tmpdir, which it leaves empty), so its
/// digest is known: it goes up in one PUT, and a second push (no cache)
/// asks for it and sends nothing; the image is the one a plain push makes.
#[test]
fn precomputed_digests_send_nothing_the_registry_has() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let repo = unique("precompute/a");
    let push = |tag: &str, flags: &[&str]| -> (String, String) {
        let mut c = lade();
        c.arg("--tmpdir").arg(&tmp);
        push_archive(c, t.path(), &format!("{reg}/{repo}:{tag}"), flags)
    };
    let (plain, _) = push("plain", &[]);
    let other = unique("precompute/b");
    let (_, err) = push_archive(
        lade(),
        t.path(),
        &format!("{reg}/{other}:1"),
        &["--dest-precompute-digests"],
    );
    assert!(!err.contains("PATCH "), "known digests go up whole: {err}");
    assert_eq!(
        err.matches("&digest=sha256:").count(),
        4,
        "config and 3 layers: {err}"
    );
    let (second, err) = push("2", &["--dest-precompute-digests"]);
    assert_eq!(second, plain);
    assert!(!err.contains("/blobs/uploads/"), "nothing is sent: {err}");
    assert_eq!(err.matches("skipped: already exists").count(), 4, "{err}");
    assert_eq!(
        fs::read_dir(&tmp).unwrap().count(),
        0,
        "no temp file is left"
    );
}

/// Where blobs were seen is remembered too: a push into another
/// repository of the registry, in a later run, mounts them from there
/// (the latest place first; one that no longer has the blob costs a
/// refused mount, and the next one is asked).
#[test]
fn a_later_push_mounts_from_where_the_blobs_were_seen() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let cache = t.path().join("cache");
    let ns = unique("bplace");
    let push = |repo: &str| -> String {
        ok_stderr(
            lade_with_cache(&cache)
                .args(["--debug", "copy", "--dest-tls-verify=false", &src])
                .arg(format!("docker://{reg}/{ns}/{repo}:1")),
        )
    };
    let err = push("a");
    assert_eq!(err.matches("/blobs/uploads/?mount=").count(), 0, "{err}");
    let err = push("b");
    let mounted = format!("&from={ns}%2Fa -> 201");
    assert_eq!(
        err.matches(&mounted).count(),
        4,
        "config and 3 layers: {err}"
    );
    assert!(!err.contains("PATCH "), "nothing is sent: {err}");
    assert_eq!(err.matches("PUT ").count(), 1, "the manifest alone: {err}");
    // A place that has no such blob (any more): refused, then the next.
    let file = cache.join("lade/blob-info");
    let text = fs::read_to_string(&file).unwrap();
    let gone: String = text
        .lines()
        .filter(|l| l.starts_with("@ ") && l.ends_with(&format!(" {ns}/b")))
        .map(|l| l.replace(&format!(" {ns}/b"), &format!(" {ns}/gone")) + "\n")
        .collect();
    assert_eq!(gone.lines().count(), 4, "{text}");
    fs::write(&file, text + &gone).unwrap();
    let err = push("c");
    assert_eq!(
        err.matches(&format!("&from={ns}%2Fgone -> 202")).count(),
        4,
        "{err}"
    );
    assert_eq!(
        err.matches(&format!("DELETE http://{reg}/v2/{ns}/c/blobs/uploads/"))
            .count(),
        4,
        "each upload a refused mount started is cancelled: {err}"
    );
    assert_eq!(
        err.matches(&format!("&from={ns}%2Fb -> 201")).count(),
        4,
        "{err}"
    );
    assert!(!err.contains("PATCH "), "{err}");
    let digest = |repo: &str| digest_of(&format!("docker://{reg}/{ns}/{repo}:1"), &[INSECURE]);
    assert_eq!(digest("c"), digest("a"));
    // Only a place that lost the blobs: the upload each refused mount
    // started carries the blob (no cancel, no second POST).
    fs::write(&file, &gone).unwrap();
    let err = push("d");
    assert_eq!(
        err.matches(&format!("&from={ns}%2Fgone -> 202")).count(),
        4,
        "{err}"
    );
    assert!(!err.contains("DELETE "), "{err}");
    assert_eq!(
        err.matches(&format!("POST http://{reg}/v2/{ns}/d/blobs/uploads/"))
            .count(),
        4,
        "one session per blob, the mount's: {err}"
    );
    assert_eq!(
        err.matches(&format!("PUT http://{reg}/v2/{ns}/d/blobs/uploads/"))
            .count(),
        4,
        "{err}"
    );
    assert_eq!(digest("d"), digest("a"));
    // A mount's session the registry does not know (a proxy answers each
    // mount with one): the upload into it is refused (404), and goes again
    // at once in a session of its own.
    let proxy = serve(Some(reg.clone()), |req| {
        if req.method == "POST" && req.path.contains("?mount=") {
            let repo = req.path.split("/blobs/uploads/").next().unwrap();
            let loc = format!("{repo}/blobs/uploads/no-such-session");
            return Action::Respond(response("202 Accepted", &[("Location", loc)], b""));
        }
        Action::Forward { cut_body_at: None }
    });
    fs::write(&file, gone.replace(&reg, &proxy)).unwrap();
    let err = ok_stderr(
        lade_with_cache(&cache)
            .args(["--debug", "copy", "--dest-tls-verify=false", &src])
            .arg(format!("docker://{proxy}/{ns}/e:1")),
    );
    assert_eq!(
        err.matches(&format!(
            "PUT http://{proxy}/v2/{ns}/e/blobs/uploads/no-such-session"
        ))
        .count(),
        4,
        "{err}"
    );
    assert_eq!(
        err.matches(&format!(
            "POST http://{proxy}/v2/{ns}/e/blobs/uploads/ -> 202"
        ))
        .count(),
        4,
        "a session of its own for each: {err}"
    );
    assert_eq!(digest("e"), digest("a"));
    for repo in ["c", "d", "e"] {
        assert_eq!(open_uploads(&format!("{ns}/{repo}")), 0, "{repo}");
    }
}

/// --image-parallel-copies N: at most N blobs of the image in flight. A
/// proxy holds each blob GET 300 ms: one at a time, they start 300 ms
/// apart; by default, together.
#[test]
fn image_parallel_copies_bounds_the_blobs_in_flight() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some((_src, repo)) = fixture_pushed(&reg, t.path(), "par/a") else {
        return;
    };
    let starts: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let seen = starts.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        if req.method == "GET" && req.path.contains("/blobs/sha256:") {
            seen.lock().unwrap().push(Instant::now());
            std::thread::sleep(Duration::from_millis(300));
        }
        Action::Forward { cut_body_at: None }
    });
    let image = format!("docker://{proxy}/{repo}:1");
    let gaps_of = |cmd: &str, extra: &[&str]| -> Vec<Duration> {
        starts.lock().unwrap().clear();
        let dst = t.path().join(unique("out"));
        let (src, dst) = match cmd {
            // sync: the repository's one tag into a layout.
            "sync" => (
                format!("docker://{proxy}/{repo}"),
                format!("oci:{}", dst.display()),
            ),
            _ => (image.clone(), oci(&dst, "x")),
        };
        ok(lade()
            .args([cmd, "-q", "--src-tls-verify=false"])
            .args(extra)
            .args([&src, &dst]));
        let s = starts.lock().unwrap();
        assert_eq!(s.len(), 4, "3 layers and the config");
        s.windows(2).map(|w| w[1] - w[0]).collect()
    };
    let gaps = |extra: &[&str]| gaps_of("copy", extra);
    let one = gaps(&["--image-parallel-copies", "1"]);
    assert!(
        one.iter().all(|g| *g >= Duration::from_millis(280)),
        "{one:?}"
    );
    let all = gaps(&[]);
    assert!(
        all.iter().any(|g| *g < Duration::from_millis(150)),
        "{all:?}"
    );
    let zero = gaps(&["--image-parallel-copies", "0"]);
    assert!(
        zero.iter().any(|g| *g < Duration::from_millis(150)),
        "0 is the default: {zero:?}"
    );
    // sync too, for each image it copies.
    let one = gaps_of("sync", &["--image-parallel-copies", "1"]);
    assert!(
        one.iter().all(|g| *g >= Duration::from_millis(280)),
        "sync: {one:?}"
    );
    let all = gaps_of("sync", &[]);
    assert!(
        all.iter().any(|g| *g < Duration::from_millis(150)),
        "sync: {all:?}"
    );
}

/// --debug says each request with its answer on stderr, upload state
/// left out; stdout keeps the data; under --progress=json the lines are
/// JSON events.
#[test]
fn debug_says_each_request() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let image = format!("docker://{reg}/{}:1", unique("dbg/a"));
    let err = ok_stderr(lade().args(["--debug", "copy", "--dest-tls-verify=false", &src, &image]));
    let debug: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("lade: debug: "))
        .collect();
    assert!(
        debug
            .iter()
            .any(|l| l.contains(&format!("GET http://{reg}/v2/ -> 200"))),
        "{err}"
    );
    assert!(
        debug
            .iter()
            .any(|l| l.contains("PUT ") && l.contains("/manifests/1 -> 201")),
        "{err}"
    );
    assert!(
        debug.iter().any(|l| l.contains("?_state=…&digest=sha256:")),
        "the upload's state is left out, its digest shown: {err}"
    );
    assert!(
        err.split("_state=").skip(1).all(|r| r.starts_with('…')),
        "{err}"
    );
    // After the command too; stdout is the JSON alone.
    let out = run(lade().args(["inspect", "--debug", "--tls-verify=false", &image]));
    assert!(out.status.success());
    assert_eq!(json(&out.stdout)["RepoTags"], json!(["1"]));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.lines().all(|l| l.starts_with("lade: debug: ")), "{err}");
    assert!(err.contains("/manifests/1 -> 200"), "{err}");
    let err = ok_stderr(lade().args([
        "copy",
        "--debug",
        "--progress=json",
        "--src-tls-verify=false",
        &image,
        &oci(&t.path().join("o"), "x"),
    ]));
    let events: Vec<Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(events.iter().any(|e| e["event"] == "message"
        && e["text"]
            .as_str()
            .unwrap()
            .starts_with("debug: GET http://")));
    // Without it, not a line.
    let out = run(lade().args(["inspect", "--tls-verify=false", &image]));
    assert!(out.stderr.is_empty());
}

/// registries.conf, read by lade and by skopeo from the same file: a
/// mirror that holds the image is read first (a dead one is passed over),
/// the primary location is the prefix rewritten, `insecure` stands for
/// --tls-verify=false (unless that option is given), a blocked registry is
/// refused both ways, and the environment variable names the file too.
#[test]
fn registries_conf_mirrors_locations_insecure_and_blocked() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(tiny) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let other = big_layout(&t.path().join("big"), 4096);
    let ns = unique("rconf");
    let push = |src: &str, dst: &str| {
        ok(lade().args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            src,
            &format!("docker://{reg}/{ns}/{dst}"),
        ]));
    };
    push(&tiny, "primary/app:1");
    push(&tiny, "primary/app:2");
    push(&other, "mirror/app:2");
    // As the registry has them (the big layer went up gzipped).
    let at = |r: &str| digest_of(&format!("docker://{reg}/{ns}/{r}"), &[INSECURE]);
    let (tiny_d, other_d) = (at("primary/app:1"), at("mirror/app:2"));
    assert_ne!(tiny_d, other_d);
    let conf = t.path().join("registries.conf");
    let write_conf = |extra: &str| {
        fs::write(
            &conf,
            format!(
                r#"unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "{reg}/{ns}/logical"
location = "{reg}/{ns}/primary"
insecure = true
{extra}
[[registry.mirror]]
location = "127.0.0.1:1/dead"
insecure = true
[[registry.mirror]]
location = "{reg}/{ns}/mirror"
insecure = true

[[registry]]
location = "{reg}/{ns}/primary"
insecure = true

[[registry]]
location = "{reg}/{ns}/blocked"
blocked = true

[aliases]
"app" = "{reg}/{ns}/logical/app"
"#
            ),
        )
        .unwrap();
    };
    write_conf("");
    let rc = conf.to_str().unwrap();
    let logical = |tag: &str| format!("docker://{reg}/{ns}/logical/app:{tag}");
    let inspect_both = |image: &str| -> (String, String) {
        let ours = json(&ok(lade().args([
            "--registries-conf",
            rc,
            "inspect",
            "-n",
            image,
        ])));
        let theirs = json(&ok(skopeo().args([
            "--registries-conf",
            rc,
            "inspect",
            "-n",
            image,
        ])));
        assert_eq!(ours["Name"], theirs["Name"], "{image}");
        (
            ours["Digest"].as_str().unwrap().to_string(),
            theirs["Digest"].as_str().unwrap().to_string(),
        )
    };
    // :2 is on the mirror (another image than the primary's), :1 only on
    // the primary; no TLS option is given: the tables say insecure.
    assert_eq!(
        inspect_both(&logical("2")),
        (other_d.clone(), other_d.clone())
    );
    assert_eq!(
        inspect_both(&logical("1")),
        (tiny_d.clone(), tiny_d.clone())
    );
    let out = t.path().join("out");
    ok(lade().args([
        "--registries-conf",
        rc,
        "copy",
        "-q",
        &logical("2"),
        &oci(&out, "x"),
    ]));
    assert_eq!(digest_of(&oci(&out, "x"), &[]), other_d);
    let via_env = json(&ok(lade().env("CONTAINERS_REGISTRIES_CONF", &conf).args([
        "inspect",
        "-n",
        &logical("2"),
    ])));
    assert_eq!(via_env["Digest"], other_d.as_str());
    // Mirrors for digests only: a tag comes from the primary.
    write_conf("mirror-by-digest-only = true");
    assert_eq!(
        inspect_both(&logical("2")),
        (tiny_d.clone(), tiny_d.clone())
    );
    let by_digest = format!("docker://{reg}/{ns}/logical/app@{other_d}");
    assert_eq!(inspect_both(&by_digest), (other_d.clone(), other_d.clone()));

    // An insecure table's registry needs no option; an explicit one wins.
    let listed = json(&ok(lade().args([
        "--registries-conf",
        rc,
        "list-tags",
        &format!("docker://{reg}/{ns}/primary/app"),
    ])));
    let mut tags: Vec<&str> = listed["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["1", "2"]);
    let err = fails_with(
        lade().args([
            "--registries-conf",
            rc,
            "list-tags",
            "--tls-verify=true",
            &format!("docker://{reg}/{ns}/primary/app"),
        ]),
        3,
    );
    assert!(err.contains("plain HTTP"), "{err}");

    // login goes by the file too, by the registry's host, as skopeo's.
    let auth = t.path().join("auth.json");
    for (table, works) in [("insecure = true", true), ("blocked = true", false)] {
        let host_conf = t.path().join("host.conf");
        fs::write(
            &host_conf,
            format!("[[registry]]\nlocation = \"{reg}\"\n{table}\n"),
        )
        .unwrap();
        let login = |c: &mut Command| {
            run(c
                .arg("--registries-conf")
                .arg(&host_conf)
                .args(["login", "-u", "u", "-p", "p", "--authfile"])
                .arg(&auth)
                .arg(format!("{reg}/{ns}/primary")))
        };
        let (ours, theirs) = (login(&mut lade()), login(&mut skopeo()));
        let err = String::from_utf8_lossy(&ours.stderr);
        assert_eq!(ours.status.success(), works, "{table}: {err}");
        assert_eq!(theirs.status.success(), works, "{table}: skopeo");
        if !works {
            assert!(
                err.contains(&format!(
                    "registry {reg} is blocked (registries.conf files read:"
                )),
                "{err}"
            );
        }
    }

    // Blocked: refused to read and to write, before any request.
    let blocked = format!("docker://{reg}/{ns}/blocked/app:1");
    for (src, dst) in [
        (blocked.as_str(), oci(&out, "b")),
        (tiny.as_str(), blocked.clone()),
    ] {
        let err = fails_with(
            lade().args([
                "--registries-conf",
                rc,
                "copy",
                "-q",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                src,
                &dst,
            ]),
            3,
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!(
                "registry {reg}/{ns}/blocked is blocked (registries.conf files read: {rc}"
            )),
            "{err}"
        );
        let theirs = run(skopeo().args([
            "--registries-conf",
            rc,
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            src,
            &dst,
        ]));
        assert!(!theirs.status.success());
        assert!(String::from_utf8_lossy(&theirs.stderr).contains("is blocked in"));
    }
    assert!(
        !out.join("index.json").exists()
            || !fs::read_to_string(out.join("index.json"))
                .unwrap()
                .contains("\"b\"")
    );
    assert_eq!(
        run(skopeo().args([
            "list-tags",
            "--tls-verify=false",
            &format!("docker://{reg}/{ns}/blocked/app")
        ]))
        .status
        .code(),
        Some(1),
        "nothing was pushed to the blocked repository"
    );

    // A bad file: one line naming it and the fault, exit 3.
    fs::write(&conf, "[[registry]]\nlocation = \"https://x.example\"\n").unwrap();
    let err = fails_with(
        lade().args(["--registries-conf", rc, "inspect", &logical("2")]),
        3,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(rc) && err.contains("URI schemes are not supported"),
        "{err}"
    );
    let missing = t.path().join("nope.conf");
    let err = fails_with(
        lade().args([
            "--registries-conf",
            missing.to_str().unwrap(),
            "inspect",
            &logical("2"),
        ]),
        3,
    );
    assert!(err.contains("nope.conf"), "{err}");
}

/// lade and skopeo on one registries.conf (and, where given, one drop-in
/// in the user's registries.conf.d): whether each reads it. The file
/// blocks x.example, so a file read ends in "blocked" before any request.
/// Returns lade's stderr, and whether lade read it.
fn conf_read_by_both(home: &Path, text: &str, drop_in: Option<&str>) -> (String, bool) {
    let conf = home.join("registries.conf");
    fs::write(&conf, text).unwrap();
    let d = home.join(".config/containers/registries.conf.d");
    let _ = fs::remove_dir_all(&d);
    if let Some(t) = drop_in {
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("50-x.conf"), t).unwrap();
    }
    let image = "docker://x.example/app:1";
    let run_with = |mut c: Command| {
        run(c
            .env("HOME", home)
            .env_remove("CONTAINERS_REGISTRIES_CONF")
            .arg("--registries-conf")
            .arg(&conf)
            .args(["inspect", image]))
    };
    let (ours, theirs) = (run_with(lade()), run_with(skopeo()));
    let err = String::from_utf8_lossy(&ours.stderr).into_owned();
    let read = err.contains("is blocked");
    let theirs_read = String::from_utf8_lossy(&theirs.stderr).contains("is blocked");
    assert_eq!(read, theirs_read, "{text:?} {drop_in:?}: lade: {err}");
    if !read {
        assert_eq!(ours.status.code(), Some(3), "{err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(errors.len(), 1, "{err}");
        let file = if drop_in.is_some() {
            d.join("50-x.conf")
        } else {
            conf
        };
        assert!(errors[0].contains(&file.display().to_string()), "{err}");
    }
    (err, read)
}

/// Whether a registries.conf is version 1 or 2 is told by the values set
/// and not empty, as skopeo tells it: an empty list, table or string next
/// to the other version's tables decides nothing (lade refused such files
/// as "mixing"; a drop-in with an empty v1 list as "in v1").
#[test]
fn registries_conf_version_is_told_by_values_not_empty_keys() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let v2 = "[[registry]]\nlocation = \"x.example\"\nblocked = true\n";
    let v1 = "[registries.block]\nregistries = [\"x.example\"]\n";
    for (text, read) in [
        (format!("[registries.search]\nregistries = []\n{v2}"), true),
        (
            format!("[registries.insecure]\nregistries = []\n{v2}"),
            true,
        ),
        (format!("unqualified-search-registries = []\n{v1}"), true),
        (format!("credential-helpers = []\n{v1}"), true),
        (format!("short-name-mode = \"\"\n{v1}"), true),
        (format!("registry = []\n{v1}"), true),
        (format!("{v1}[aliases]\n"), true),
        // Set, they decide.
        (
            format!("unqualified-search-registries = [\"docker.io\"]\n{v1}"),
            false,
        ),
        (format!("credential-helpers = [\"pass\"]\n{v1}"), false),
        (format!("{v1}[aliases]\n\"a\" = \"x.example/a\"\n"), false),
    ] {
        let (err, ours) = conf_read_by_both(t.path(), &text, None);
        assert_eq!(ours, read, "{text:?}: {err}");
        if !read {
            assert!(err.contains("mixing sysregistry v1/v2"), "{err}");
        }
    }
    for (drop_in, read) in [
        (format!("[registries.block]\nregistries = []\n{v2}"), true),
        (
            "[registries.block]\nregistries = [\"y.example\"]\n".to_string(),
            false,
        ),
    ] {
        let (err, ours) = conf_read_by_both(t.path(), "", Some(&drop_in));
        assert_eq!(ours, read, "{drop_in:?}: {err}");
        if !read {
            assert!(err.contains("must be in v2 format"), "{err}");
        }
    }
}

/// unqualified-search-registries entries are registry hosts as skopeo
/// checks them (its reference grammar's, without IPv6): a one-label host
/// is one (lade refused `myregistry`), `[::1]:5000` is not (lade took it).
/// `[aliases]` are checked as skopeo checks them: a short name without
/// registry, tag or digest for a repository with its registry (lade took
/// any). Each refusal is one line naming the file.
#[test]
fn registries_conf_search_registries_and_aliases_checked_as_skopeo_does() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let v2 = "[[registry]]\nlocation = \"x.example\"\nblocked = true\n";
    for (entry, read) in [
        ("myregistry", true),
        ("localhost", true),
        ("a-b:5000", true),
        ("reg.example/", true),
        ("[::1]:5000", false),
        ("[::1]", false),
        ("a_b", false),
        ("-a", false),
        ("a:", false),
        ("reg.example/ns", false),
        ("", false),
    ] {
        let text = format!("unqualified-search-registries = [{entry:?}]\n{v2}");
        let (err, ours) = conf_read_by_both(t.path(), &text, None);
        assert_eq!(ours, read, "{entry:?}: {err}");
        if !read {
            assert!(
                err.contains(&format!(
                    "invalid unqualified-search-registries entry {entry:?}"
                )),
                "{err}"
            );
        }
        let text = format!("[registries.search]\nregistries = [{entry:?}]\n");
        conf_read_by_both(
            t.path(),
            &format!("{text}[registries.block]\nregistries = [\"x.example\"]\n"),
            None,
        );
    }
    for (alias, read, why) in [
        (r#""app" = "quay.io/team/app""#, true, ""),
        (r#""team/app" = "localhost/app""#, true, ""),
        (r#""app" = "reg:5000/app""#, true, ""),
        (r#""app" = """#, true, ""),
        (
            r#""app" = "notqualified""#,
            false,
            "invalid alias \"notqualified\": must contain registry and repository",
        ),
        (
            r#""app" = "myreg/app""#,
            false,
            "must contain registry and repository",
        ),
        (
            r#""app:1" = "docker.io/library/app""#,
            false,
            "invalid short name \"app:1\": must not contain tag",
        ),
        (r#""app" = "quay.io/app:1""#, false, "must not contain tag"),
        (
            r#""docker.io/app" = "quay.io/app""#,
            false,
            "must not contain registry",
        ),
        (r#""App" = "quay.io/app""#, false, "must be lowercase"),
        (
            r#""app" = "quay.io/app/""#,
            false,
            "invalid reference format",
        ),
    ] {
        let text = format!("{v2}[aliases]\n{alias}\n");
        let (err, ours) = conf_read_by_both(t.path(), &text, None);
        assert_eq!(ours, read, "{alias}: {err}");
        if !read {
            assert!(err.contains(why), "{alias}: {err}");
        }
    }
}

/// A key registries.conf does not have (`[[registrys]]`, a misspelt
/// `blocked`) is warned of, once per key, naming the file: skopeo reads
/// such files (it says so only at debug level), so lade reads them too,
/// but a typo that unblocks a registry is not passed over in silence.
#[test]
fn registries_conf_unknown_keys_are_warned_of_once() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let text = "[[registrys]]\nlocation = \"y.example\"\n\
                [[registry]]\nlocation = \"x.example\"\nblocked = true\nmirror-by-digest-onyl = true\n\
                [[registry]]\nlocation = \"z.example\"\nblockd = true\nmirror-by-digest-onyl = true\n\
                [[registry.mirror]]\nlocation = \"m.example\"\nlocaton = \"n.example\"\n\
                [aliases]\n\"app\" = \"x.example/app\"\n";
    let (err, read) = conf_read_by_both(t.path(), text, None);
    assert!(read, "{err}");
    let conf = t.path().join("registries.conf").display().to_string();
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    let want: Vec<String> = [
        "registry.blockd",
        "registry.mirror-by-digest-onyl",
        "registry.mirror.locaton",
        "registrys",
    ]
    .iter()
    .map(|k| format!("lade: warning: {conf}: unknown key \"{k}\" ignored"))
    .collect();
    assert_eq!(warnings, want, "{err}");
    // A file without any: not a word.
    let (err, _) = conf_read_by_both(
        t.path(),
        "[[registry]]\nlocation = \"x.example\"\nblocked = true\n",
        None,
    );
    assert!(!err.contains("warning"), "{err}");
}

/// --creds given for a name registries.conf rewrites to another host are
/// not sent there; when that host asks for credentials, the error says
/// so (for which registry they were given, where the request went), not
/// "use --creds" (they were used). Without --creds, the usual hint.
#[test]
fn creds_not_sent_to_a_rewritten_location_are_said_so() {
    let t = tempdir();
    let got_auth = Arc::new(AtomicUsize::new(0));
    let g = got_auth.clone();
    let reg = serve(None, move |req| {
        if req.headers.contains_key("authorization") {
            g.fetch_add(1, Ordering::SeqCst);
        }
        Action::Respond(response(
            "401 Unauthorized",
            &[("WWW-Authenticate", "Basic realm=\"r\"".into())],
            b"",
        ))
    });
    fs::create_dir_all(t.path().join("run")).unwrap();
    let conf = t.path().join("registries.conf");
    fs::write(
        &conf,
        format!(
            "[[registry]]\nprefix = \"given.example/team\"\nlocation = \"{reg}/mirror/team\"\ninsecure = true\n"
        ),
    )
    .unwrap();
    let inspect = |creds: &[&str]| {
        fails_with(
            lade_at_home(t.path(), &t.path().join("run"))
                .arg("--registries-conf")
                .arg(&conf)
                .arg("inspect")
                .args(creds)
                .arg("docker://given.example/team/app:1"),
            3,
        )
    };
    let err = inspect(&["--creds", "u:p"]);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "the credentials given were for given.example, and are not sent to {reg}, where \
             registries.conf rewrote the name"
        )),
        "{err}"
    );
    assert!(!err.contains("use --creds"), "{err}");
    assert_eq!(got_auth.load(Ordering::SeqCst), 0, "nothing was sent");
    let err = inspect(&[]);
    assert!(
        err.contains("authentication required (use --creds"),
        "{err}"
    );
    assert!(!err.contains("given.example,"), "{err}");
}

// ---------------------------------------------------------------------------
// htpasswd + TLS, login/logout

/// `login --get-login --authfile FILE REGISTRY` prints `user` for lade
/// and for skopeo alike (stdin closed: nothing is asked).
fn assert_get_login_both(authfile: &Path, registry: &str, user: &str) {
    for mut tool in [lade(), skopeo()] {
        let who = ok(tool
            .stdin(Stdio::null())
            .args(["login", "--get-login", "--authfile"])
            .arg(authfile)
            .arg(registry));
        assert_eq!(
            String::from_utf8_lossy(&who),
            format!("{user}\n"),
            "{authfile:?}"
        );
    }
}

#[test]
fn basic_auth_over_tls_with_cert_dir_login_logout() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("htpasswd") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let (reg, cert_dir) = secure_registry(t.path());
    let dst = format!("docker://{}/{}:1", reg.addr, unique("sec/a"));
    let cd = cert_dir.to_str().unwrap();
    // Without the CA: TLS verification fails.
    let err = fails_with(
        lade().args(["copy", "--dest-creds", "alice:s3cret", &src, &dst]),
        3,
    );
    assert!(!err.contains("s3cret"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not trusted") && err.contains("--cert-dir"),
        "{err}"
    );
    // Without credentials: refused, clearly.
    let err = fails_with(lade().args(["copy", "--dest-cert-dir", cd, &src, &dst]), 3);
    assert!(err.contains("authentication required"), "{err}");
    // Wrong password.
    let err = fails_with(
        lade().args([
            "copy",
            "--dest-cert-dir",
            cd,
            "--dest-creds",
            "alice:wrong",
            &src,
            &dst,
        ]),
        3,
    );
    assert!(err.contains("wrong username or password"), "{err}");
    assert!(!err.contains("wrong\""), "{err}");
    // A registry token given to a registry that asks for Basic
    // authentication is never sent (a token answers a Bearer challenge):
    // said so, not that the token was refused, nor a password wrong.
    let err = fails_with(
        lade().args([
            "inspect",
            "--cert-dir",
            cd,
            "--registry-token",
            "garbage",
            &dst,
        ]),
        3,
    );
    assert!(
        err.contains("asks for a username and password")
            && err.contains("answers a Bearer challenge only")
            && !err.contains("refused"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Right password, verified TLS with the CA from --cert-dir.
    ok(lade().args([
        "copy",
        "-q",
        "--dest-cert-dir",
        cd,
        "--dest-creds",
        "alice:s3cret",
        &src,
        &dst,
    ]));
    // skopeo reads it back with the same CA and credentials.
    let s = json(&ok(skopeo().args([
        "inspect",
        "--cert-dir",
        cd,
        "--creds",
        "alice:s3cret",
        &dst,
    ])));
    assert_eq!(s["Digest"].as_str().unwrap(), digest_of(&src, &[]));
    // A registry token with credentials: the registry asks for Basic
    // authentication, so it gets the credentials (a token answers a Bearer
    // challenge only), from --creds or from an auth file, as skopeo's does.
    let tokfile = t.path().join("tok-auth.json");
    fs::write(
        &tokfile,
        json!({"auths": {reg.addr.clone(): {"auth": b64std(b"alice:s3cret")}}}).to_string(),
    )
    .unwrap();
    for creds in [
        ["--creds", "alice:s3cret"],
        ["--authfile", tokfile.to_str().unwrap()],
    ] {
        for mut tool in [lade(), skopeo()] {
            let s = json(&ok(tool
                .args(["inspect", "--cert-dir", cd, "--registry-token", "garbage"])
                .args(creds)
                .arg(&dst)));
            assert_eq!(
                s["Digest"].as_str().unwrap(),
                digest_of(&src, &[]),
                "{creds:?}"
            );
        }
    }

    // login writes a 0600 auth file; later commands use it; logout removes it.
    let authfile = t.path().join("auth/auth.json");
    let o = login_alice(
        lade(),
        cd,
        &["-v", "--authfile", path_str(&authfile), &reg.addr],
        b"s3cret\n",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // (-v, as skopeo's: where the credentials went, on stdout as skopeo)
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("Used:  {}\nLogin Succeeded!\n", authfile.display())
    );
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&authfile).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // --get-login: the user name stored for the registry, as skopeo reads
    // the same file; no request is made (nor a password asked for).
    assert_get_login_both(&authfile, &reg.addr, "alice");
    let back = oci(&t.path().join("back"), "x");
    ok(lade()
        .args(["copy", "-q", "--src-cert-dir", cd, "--authfile"])
        .arg(&authfile)
        .args([&dst, &back]));
    // --creds USER without a password: asked for on the terminal (echo
    // off); without a terminal, a clear error.
    let err = fails_with(
        lade()
            .stdin(Stdio::null())
            .args(["inspect", "--cert-dir", cd, "--creds", "alice", &dst]),
        2,
    );
    assert!(err.contains("not a terminal"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    if require_tool("script") {
        // util-linux script(1) runs lade on a pty and types the password.
        let cmd = format!(
            "{} inspect --cert-dir {cd} --creds alice {dst}",
            env!("CARGO_BIN_EXE_lade")
        );
        let o = run_with_input(
            Command::new("script").args(["-qec", &cmd, "/dev/null"]),
            b"s3cret\n",
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{out}");
        assert!(out.contains("Password for alice: "), "{out}");
        assert!(out.contains(&digest_of(&src, &[])), "{out}");
    }
    // $REGISTRY_AUTH_FILE is read too, and then alone (as skopeo's
    // --authfile default): one without the registry gives no credentials,
    // one not there too.
    ok(lade()
        .env("REGISTRY_AUTH_FILE", &authfile)
        .args(["inspect", "--cert-dir", cd, &dst]));
    let none = t.path().join("none.json");
    fs::write(&none, r#"{"auths":{}}"#).unwrap();
    // (the credentials in the XDG file too, which is then not read)
    let xdg = t.path().join("xdg");
    fs::create_dir_all(xdg.join("containers")).unwrap();
    fs::copy(&authfile, xdg.join("containers/auth.json")).unwrap();
    ok(lade()
        .env_remove("REGISTRY_AUTH_FILE")
        .env("XDG_RUNTIME_DIR", &xdg)
        .args(["inspect", "--cert-dir", cd, &dst]));
    for f in [none.clone(), t.path().join("missing.json")] {
        let mut with_env = lade();
        with_env
            .env("REGISTRY_AUTH_FILE", &f)
            .env("XDG_RUNTIME_DIR", &xdg)
            .args(["inspect", "--cert-dir", cd, &dst]);
        let err = fails_with(&mut with_env, 3);
        assert!(
            err.contains("401") || err.contains("unauthorized") || err.contains("authentication"),
            "{f:?}: {err}"
        );
    }
    let o = login_alice(
        lade(),
        cd,
        &["--authfile", path_str(&authfile), &reg.addr],
        b"nope\n",
    );
    assert_eq!(o.status.code(), Some(3));
    ok(lade()
        .args(["logout", "--authfile"])
        .arg(&authfile)
        .arg(&reg.addr));
    let err = fails_with(
        lade()
            .args(["inspect", "--cert-dir", cd, "--authfile"])
            .arg(&authfile)
            .arg(&dst),
        3,
    );
    assert!(err.contains("authentication required"), "{err}");
    // Logged out: --get-login is a negative answer (exit 1), one line.
    let err = fails_with(
        lade()
            .args(["login", "--get-login", "--authfile"])
            .arg(&authfile)
            .arg(&reg.addr),
        1,
    );
    assert!(
        err.contains("not logged in to") && err.contains(&reg.addr),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    fails_with(
        lade()
            .args(["login", "--get-login", "-u", "bob", "--authfile"])
            .arg(&authfile)
            .arg(&reg.addr),
        2,
    );
    // Logging out again: a negative answer; --all with nothing stored is
    // what it asks for.
    fails_with(
        lade()
            .args(["logout", "--authfile"])
            .arg(&authfile)
            .arg(&reg.addr),
        1,
    );
    ok(lade().args(["logout", "-a", "--authfile"]).arg(&authfile));

    // Keys for a namespace (containers-auth.json): the most specific key
    // matching the repository wins, over the registry's own.
    let b64 = |s: &str| {
        use std::io::Write;
        let mut c = Command::new("base64")
            .args(["-w", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap()
    };
    let scoped = t.path().join("scoped.json");
    let inspect_with = |auths: serde_json::Value| {
        fs::write(&scoped, json!({ "auths": auths }).to_string()).unwrap();
        run(lade()
            .args(["inspect", "--cert-dir", cd, "--authfile"])
            .arg(&scoped)
            .arg(&dst))
    };
    let (good, bad) = (b64("alice:s3cret"), b64("alice:wrong"));
    let a = &reg.addr;
    let o = inspect_with(json!({ format!("{a}/sec"): {"auth": good} }));
    assert!(o.status.success(), "{o:?}");
    let o = inspect_with(json!({
        a.clone(): {"auth": bad}, format!("{a}/sec"): {"auth": good}
    }));
    assert!(o.status.success(), "the namespace's key first: {o:?}");
    let o = inspect_with(json!({
        a.clone(): {"auth": good}, format!("{a}/sec"): {"auth": bad}
    }));
    assert_eq!(o.status.code(), Some(3), "the namespace's key first: {o:?}");
    let o = inspect_with(json!({ format!("{a}/other"): {"auth": good} }));
    assert_eq!(o.status.code(), Some(3), "another namespace's key: {o:?}");
    // login HOST/NAMESPACE writes that key (skopeo reads it), logout
    // HOST/NAMESPACE removes it alone.
    let o = run_with_input(
        lade()
            .args(["login", "-u", "alice", "--password-stdin", "--cert-dir", cd])
            .arg("--authfile")
            .arg(&scoped)
            .arg(format!("{a}/sec")),
        b"s3cret\n",
    );
    assert!(o.status.success(), "{o:?}");
    let v = json(&fs::read(&scoped).unwrap());
    assert!(v["auths"].get(format!("{a}/sec")).is_some(), "{v}");
    ok(skopeo()
        .args(["inspect", "--cert-dir", cd, "--authfile"])
        .arg(&scoped)
        .arg(&dst));
    // (--tls-verify taken, as skopeo takes it, and unused)
    ok(lade()
        .args(["logout", "--tls-verify=false", "--authfile"])
        .arg(&scoped)
        .arg(format!("{a}/sec")));
    let v = json(&fs::read(&scoped).unwrap());
    assert!(v["auths"].get(format!("{a}/sec")).is_none(), "{v}");
    assert!(v["auths"].get(format!("{a}/other")).is_some(), "{v}");
    // Keys as URLs, as older tools wrote them (any path after the host),
    // are the registry's; so skopeo reads them too.
    for key in [
        format!("https://{a}/v1/"),
        format!("http://{a}/v2"),
        format!("https://{a}/some/path"),
    ] {
        let o = inspect_with(json!({ key.clone(): {"auth": good} }));
        assert!(o.status.success(), "{key}: {o:?}");
        assert_get_login_both(&scoped, a, "alice");
    }
    // logout HOST removes such keys too.
    fs::write(
        &scoped,
        json!({"auths": {format!("https://{a}/v1/"): {"auth": good}}}).to_string(),
    )
    .unwrap();
    ok(lade().args(["logout", "--authfile"]).arg(&scoped).arg(a));
    assert_eq!(json(&fs::read(&scoped).unwrap())["auths"], json!({}));
    fails_with(
        lade()
            .args(["login", "--get-login", "--authfile"])
            .arg(&scoped)
            .arg(a),
        1,
    );
    // Beside an identity token, an empty `auth` names no user (no error).
    fs::write(
        &scoped,
        json!({"auths": {a.clone(): {"auth": "", "identitytoken": "tok"}}}).to_string(),
    )
    .unwrap();
    fails_with(
        lade()
            .args(["login", "--get-login", "--authfile"])
            .arg(&scoped)
            .arg(a),
        1,
    );
    // An identity token's entry names its user too.
    fs::write(
        &scoped,
        json!({"auths": {a.clone(): {"auth": b64("alice:"), "identitytoken": "tok"}}}).to_string(),
    )
    .unwrap();
    assert_get_login_both(&scoped, a, "alice");
    // Docker's config.json with base64 auths is read as well.
    let home = t.path().join("home");
    fs::create_dir_all(home.join(".docker")).unwrap();
    fs::write(
        home.join(".docker/config.json"),
        json!({"auths": {reg.addr.clone(): {"auth": "YWxpY2U6czNjcmV0"}}}).to_string(),
    )
    .unwrap();
    ok(lade()
        .env("HOME", &home)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .args(["inspect", "--cert-dir", cd, &dst]));
    // An entry of the runtime file whose auth is empty (Docker's mark of a
    // helper's entry) or no USER:PASS holds no credentials: the search goes
    // on to config.json, as skopeo's does; the second is warned about,
    // without the value.
    let run = t.path().join("run");
    fs::create_dir_all(run.join("containers")).unwrap();
    for (auth, warned) in [
        ("", false),
        (b64("nocolon").as_str(), true),
        (b64(":").as_str(), false),
    ] {
        fs::write(
            run.join("containers/auth.json"),
            json!({"auths": {reg.addr.clone(): {"auth": auth}}}).to_string(),
        )
        .unwrap();
        for (mut c, lade_run) in [(lade(), true), (skopeo(), false)] {
            let out = c
                .env("HOME", &home)
                .env("XDG_RUNTIME_DIR", &run)
                .env_remove("REGISTRY_AUTH_FILE")
                .args(["inspect", "--cert-dir", cd, &dst])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{auth:?}: {err}");
            if lade_run {
                assert_eq!(err.contains("is not USER:PASS"), warned, "{auth:?}: {err}");
                assert!(!err.contains("nocolon"), "{err}");
            }
        }
    }
    // So is $XDG_CONFIG_HOME/containers/auth.json (~/.config/…), as skopeo
    // reads it.
    let home2 = t.path().join("home2");
    let cfg = t.path().join("cfg");
    fs::create_dir_all(cfg.join("containers")).unwrap();
    fs::create_dir_all(&home2).unwrap();
    fs::write(
        cfg.join("containers/auth.json"),
        json!({"auths": {reg.addr.clone(): {"auth": "YWxpY2U6czNjcmV0"}}}).to_string(),
    )
    .unwrap();
    for mut c in [lade(), skopeo()] {
        ok(c.env("HOME", &home2)
            .env("XDG_CONFIG_HOME", &cfg)
            .env("XDG_RUNTIME_DIR", &home2)
            .env_remove("REGISTRY_AUTH_FILE")
            .args(["inspect", "--cert-dir", cd, &dst]));
    }
    // So is Docker's legacy ~/.dockercfg (the auths map alone), last, as
    // skopeo reads it; not where an auth file is named.
    let home3 = t.path().join("home3");
    fs::create_dir_all(&home3).unwrap();
    fs::write(
        home3.join(".dockercfg"),
        json!({reg.addr.clone(): {"auth": "YWxpY2U6czNjcmV0", "email": ""}}).to_string(),
    )
    .unwrap();
    let at_home3 = |mut c: Command| {
        c.env("HOME", &home3)
            .env("XDG_RUNTIME_DIR", &home3)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("DOCKER_CONFIG")
            .env_remove("REGISTRY_AUTH_FILE")
            .args(["inspect", "--cert-dir", cd]);
        c
    };
    for c in [lade(), skopeo()] {
        ok(at_home3(c).arg(&dst));
    }
    let named = t.path().join("named.json");
    fs::write(&named, "{}").unwrap();
    let err = fails_with(at_home3(lade()).arg("--authfile").arg(&named).arg(&dst), 3);
    assert!(err.contains("authentication required"), "{err}");
}

// ---------------------------------------------------------------------------
// token auth

fn b64url(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..(c.len() + 1) {
            s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    s
}

fn b64std(data: &[u8]) -> String {
    let s = b64url(data).replace('-', "+").replace('_', "/");
    let pad = (4 - s.len() % 4) % 4;
    s + &"=".repeat(pad)
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `login -u alice --password-stdin --cert-dir CD ARGS…` run by `c` (lade
/// or skopeo), `pass` on its standard input.
fn login_alice(mut c: Command, cd: &str, args: &[&str], pass: &[u8]) -> std::process::Output {
    c.args(["login", "-u", "alice", "--password-stdin", "--cert-dir", cd])
        .args(args);
    run_with_input(&mut c, pass)
}

/// A path as a command-line argument (the tests' paths are UTF-8).
fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The TLS + htpasswd registry the login tests compare lade and skopeo
/// against, under `dir`; None where a peer is missing (and CI=false).
fn login_lab(dir: &Path) -> Option<(Registry, std::path::PathBuf)> {
    registry()?;
    for tool in ["docker-registry", "htpasswd", "openssl", "skopeo"] {
        if !require_tool(tool) {
            return None;
        }
    }
    Some(secure_registry(dir))
}

/// An auth file's `auths` map holding `creds` (USER:PASS) for `key`.
fn auth_entry(key: &str, creds: &str) -> Value {
    json!({ key: { "auth": b64std(creds.as_bytes()) } })
}

/// `login REGISTRY` without a user name or password, where the auth file
/// holds credentials the registry takes: nothing is asked nor written,
/// and stdout says so byte for byte as skopeo 1.9's (containers/common's
/// login). Refused ones are said to be so, and then (no terminal to ask
/// for others) an error naming them; on a terminal the stored user name
/// is offered (`Username (alice): `, an empty answer takes it). Before,
/// lade asked for a user name whatever was stored (no terminal: exit 2).
/// `-v` says `Used:  FILE` with skopeo's two spaces.
#[test]
fn login_keeps_stored_credentials_the_registry_takes() {
    let t = tempdir();
    let Some((reg, cert_dir)) = login_lab(t.path()) else {
        return;
    };
    let (a, cd) = (reg.addr.as_str(), cert_dir.to_str().unwrap());
    let file = t.path().join("auth.json");
    let stored = |f: &Path, key: &str, creds: &str| {
        fs::write(f, json!({ "auths": auth_entry(key, creds) }).to_string()).unwrap();
    };
    let login = |mut c: Command, f: &Path, target: &str| {
        c.args(["login", "--cert-dir", cd, "--authfile"])
            .arg(f)
            .arg(target);
        run(&mut c)
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    // Good ones, for the registry and for a namespace: kept, untouched.
    for (key, target) in [
        (a.to_string(), a.to_string()),
        (format!("{a}/ns"), format!("{a}/ns/app")),
    ] {
        stored(&file, &key, "alice:s3cret");
        let before = fs::read(&file).unwrap();
        let (ours, theirs) = (
            login(lade(), &file, &target),
            login(skopeo(), &file, &target),
        );
        assert!(ours.status.success(), "{ours:?}");
        assert!(theirs.status.success(), "{theirs:?}");
        assert_eq!(
            text(&ours.stdout),
            format!(
                "Authenticating with existing credentials for {target}\n\
                 Existing credentials are valid. Already logged in to {a}\n"
            )
        );
        assert_eq!(text(&ours.stdout), text(&theirs.stdout));
        assert_eq!(text(&ours.stderr), "");
        assert_eq!(fs::read(&file).unwrap(), before, "{key}");
    }
    // Refused ones: said so as skopeo says it; no terminal to ask for
    // others, a one-line error naming them (skopeo fails reading a user
    // name); nothing written.
    stored(&file, a, "alice:wrong");
    let before = fs::read(&file).unwrap();
    let (ours, theirs) = (login(lade(), &file, a), login(skopeo(), &file, a));
    assert_eq!(ours.status.code(), Some(3), "{ours:?}");
    let said = format!(
        "Authenticating with existing credentials for {a}\n\
         Existing credentials are invalid, please enter valid username and password\n"
    );
    assert_eq!(text(&ours.stdout), said);
    assert!(text(&theirs.stdout).starts_with(&said), "{theirs:?}");
    let err = text(&ours.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("were refused") && err.contains("alice"),
        "{err}"
    );
    assert!(!err.contains("wrong"), "{err}");
    assert_eq!(fs::read(&file).unwrap(), before);
    // A user name or a password given: no check of the stored ones, as
    // skopeo (here, the new ones written).
    let o = login_alice(lade(), cd, &["--authfile", path_str(&file), a], b"s3cret\n");
    assert_eq!(text(&o.stdout), "Login Succeeded!\n", "{o:?}");
    // --password-stdin needs --username (skopeo: "Must provide
    // --username with --password-stdin").
    fails_with(
        lade()
            .args(["login", "--password-stdin", "--cert-dir", cd, "--authfile"])
            .arg(&file)
            .arg(a),
        2,
    );
    // On a terminal, refused ones' user name is offered: an empty answer
    // takes it.
    if require_tool("script") {
        stored(&file, a, "alice:wrong");
        let cmd = format!(
            "{} login --cert-dir {cd} --authfile {} {a}",
            env!("CARGO_BIN_EXE_lade"),
            file.display()
        );
        let o = run_with_input(
            Command::new("script").args(["-qec", &cmd, "/dev/null"]),
            b"\ns3cret\n",
        );
        let out = text(&o.stdout);
        assert!(o.status.success(), "{out}");
        assert!(out.contains("Username (alice): "), "{out}");
        assert!(out.contains("Login Succeeded!"), "{out}");
        let v = json(&fs::read(&file).unwrap());
        assert_eq!(v["auths"][a]["auth"], b64std(b"alice:s3cret"), "{v}");
    }
    // -v: the same bytes as skopeo's.
    let mut outs = Vec::new();
    for tool in [lade(), skopeo()] {
        let _ = fs::remove_file(&file);
        let o = login_alice(
            tool,
            cd,
            &["-v", "--authfile", path_str(&file), a],
            b"s3cret\n",
        );
        assert!(o.status.success(), "{o:?}");
        outs.push(text(&o.stdout));
    }
    assert_eq!(
        outs[0],
        format!("Used:  {}\nLogin Succeeded!\n", file.display())
    );
    assert_eq!(outs[0], outs[1]);
}

/// With `$DOCKER_CONFIG` set (and `$REGISTRY_AUTH_FILE` not), login,
/// logout and `--get-login` use `$DOCKER_CONFIG/config.json` alone, as
/// skopeo 1.9's (containers/common's) do: there docker finds the login.
/// What else the file holds stays. `$REGISTRY_AUTH_FILE` wins over it.
/// Before, lade wrote `$XDG_RUNTIME_DIR/containers/auth.json`, logout
/// left the config.json entry, and --get-login named the runtime file's
/// user.
#[test]
fn login_and_logout_use_docker_config_as_skopeo_does() {
    let t = tempdir();
    let Some((reg, cert_dir)) = login_lab(t.path()) else {
        return;
    };
    let (a, cd) = (reg.addr.as_str(), cert_dir.to_str().unwrap());
    let (dc, xdg) = (t.path().join("dc"), t.path().join("xdg"));
    fs::create_dir_all(xdg.join("containers")).unwrap();
    fs::create_dir_all(&dc).unwrap();
    let (config, runtime) = (dc.join("config.json"), xdg.join("containers/auth.json"));
    let entry = |creds: &str| auth_entry(a, creds);
    let env = |mut c: Command| {
        c.env_remove("REGISTRY_AUTH_FILE")
            .env("HOME", t.path())
            .env("XDG_RUNTIME_DIR", &xdg)
            .env("DOCKER_CONFIG", &dc);
        c
    };
    for tool in ["lade", "skopeo"] {
        let cmd = || env(if tool == "lade" { lade() } else { skopeo() });
        fs::write(&runtime, json!({"auths": entry("xdguser:pw")}).to_string()).unwrap();
        fs::write(
            &config,
            json!({"auths": entry("dcuser:pw"), "psFormat": "x"}).to_string(),
        )
        .unwrap();
        let mut c = cmd();
        assert_eq!(
            ok_str(c.args(["login", "--get-login", a])),
            "dcuser",
            "{tool}"
        );
        let mut c = cmd();
        ok(c.args(["logout", a]));
        let v = json(&fs::read(&config).unwrap());
        assert_eq!(v["auths"], json!({}), "{tool}");
        let w = json(&fs::read(&runtime).unwrap());
        assert_eq!(w["auths"], entry("xdguser:pw"), "{tool}");
        let _ = fs::remove_file(&config);
        let o = login_alice(cmd(), cd, &["-v", a], b"s3cret\n");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!("Used:  {}\nLogin Succeeded!\n", config.display()),
            "{tool}: {o:?}"
        );
        let v = json(&fs::read(&config).unwrap());
        assert_eq!(v["auths"], entry("alice:s3cret"), "{tool}");
        let w = json(&fs::read(&runtime).unwrap());
        assert_eq!(w["auths"], entry("xdguser:pw"), "{tool}");
    }
    // What else config.json holds stays (skopeo 1.9 drops it).
    fs::write(
        &config,
        json!({"auths": entry("dcuser:pw"), "psFormat": "x"}).to_string(),
    )
    .unwrap();
    let o = login_alice(env(lade()), cd, &[a], b"s3cret\n");
    assert!(o.status.success(), "{o:?}");
    let v = json(&fs::read(&config).unwrap());
    assert_eq!(v["psFormat"], "x", "{v}");
    // $REGISTRY_AUTH_FILE wins.
    let named = t.path().join("named.json");
    fs::write(&named, json!({"auths": entry("named:pw")}).to_string()).unwrap();
    let mut c = env(lade());
    c.env("REGISTRY_AUTH_FILE", &named);
    assert_eq!(ok_str(c.args(["login", "--get-login", a])), "named");
}

/// `--tls-details FILE` (containers-tls-details.yaml(5), skopeo's): the
/// lowest TLS version, and the cipher suites and key exchange groups
/// registry connections may use. Within what the registry takes, copies
/// go as without it; TLS 1.2 suites alone to a registry that takes TLS
/// 1.3 alone make no handshake (so the file is applied); a file that
/// leaves nothing to offer, or is no such file, is one line naming it
/// and what is wrong (exit 3), before anything is written.
#[test]
fn tls_details_narrow_what_connections_may_use() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let (crt, key, cd_path) = self_signed_trusted(t.path(), "domain", "IP:127.0.0.1");
    let cd = cd_path.to_str().unwrap();
    let tls = |extra: &str| {
        start_registry(
            tempdir(),
            &format!(
                "  tls:\n    certificate: {}\n    key: {}\n{extra}",
                crt.display(),
                key.display()
            ),
            "",
        )
    };
    let any = tls("");
    let only13 = tls("    minimumtls: tls1.3\n");
    let details = |name: &str, text: &str| {
        let p = t.path().join(name);
        fs::write(&p, text).unwrap();
        p
    };
    let push = |reg: &Registry, d: Option<&Path>| {
        let mut c = lade();
        if let Some(d) = d {
            c.arg("--tls-details").arg(d);
        }
        c.args(["copy", "-q", "--dest-cert-dir", cd, &src])
            .arg(format!("docker://{}/{}:1", reg.addr, unique("tlsd/a")));
        run(&mut c)
    };
    let strict = details(
        "strict.yaml",
        "minVersion: 1.3\ncipherSuites:\n  - TLS_AES_256_GCM_SHA384\nnamedGroups: [secp384r1]\n",
    );
    // (a CBC suite Go knows and lade's TLS does not: taken, not offered)
    let tls12 = details(
        "tls12.yaml",
        "minVersion: \"1.2\"\ncipherSuites:\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_RSA_WITH_AES_128_CBC_SHA\n",
    );
    for (name, reg, d) in [
        ("any", &any, None),
        ("any, strict", &any, Some(&strict)),
        ("any, tls12", &any, Some(&tls12)),
        ("only13", &only13, None),
        ("only13, strict", &only13, Some(&strict)),
    ] {
        let o = push(reg, d.map(|p| p.as_path()));
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = push(&only13, Some(&tls12));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let b = t.path().join("b");
    let none = details(
        "none.yaml",
        "minVersion: \"1.3\"\ncipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n",
    );
    for (text, what) in [
        ("minVersion: \"1.4\"\n", "minVersion"),
        ("cipherSuites: [TLS_FOO]\n", "TLS_FOO"),
        ("cipherSuites: TLS_AES_128_GCM_SHA256\n", "list"),
        ("namedGroups: [secp521r1]\n", "namedGroups"),
        ("maxVersion: \"1.3\"\n", "maxVersion"),
        ("minVersion: [\n", "line"),
    ] {
        let p = details("bad.yaml", text);
        let err = fails_with(
            lade()
                .arg("--tls-details")
                .arg(&p)
                .args(["copy", "-q", &src, &oci(&b, "x")]),
            3,
        );
        assert_eq!(err.lines().count(), 1, "{text}: {err}");
        assert!(
            err.contains("--tls-details") && err.contains(what),
            "{text}: {err}"
        );
        assert!(!b.exists());
    }
    let dst = format!("docker://{}/{}:1", any.addr, unique("tlsd/b"));
    let err = fails_with(
        lade().arg("--tls-details").arg(&none).args([
            "copy",
            "-q",
            "--dest-cert-dir",
            cd,
            &src,
            &dst,
        ]),
        3,
    );
    assert!(err.contains("--tls-details"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn self_signed_registry_certificate_in_cert_dir_is_trusted_as_go_does() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    // The recipe registry guides give, which marks the certificate a CA.
    let (crt, key, cd_path) = self_signed_trusted(t.path(), "domain", "IP:127.0.0.1");
    let text = ok_str(
        Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&crt),
    );
    assert!(text.contains("CA:TRUE"), "{text}");
    let reg = tls_registry(&crt, &key, None);
    let dst = format!("docker://{}/{}:1", reg.addr, unique("selfsigned/a"));

    // Not trusted without it, said in one line with what to do.
    let err = fails_with(lade().args(["copy", "-q", &src, &dst]), 3);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--cert-dir"), "{err}");
    // (Its CA:TRUE is not what is wrong with it.)
    assert!(
        err.contains("UnknownIssuer") && !err.contains("CaUsedAsEndEntity"),
        "{err}"
    );

    // With the certificate itself in the cert dir: trusted both ways, and
    // skopeo (Go's TLS) agrees on what was written.
    let cd = cd_path.to_str().unwrap();
    ok(lade().args(["copy", "-q", "--dest-cert-dir", cd, &src, &dst]));
    let ours = digest_of(&dst, &["--cert-dir", cd]);
    let theirs =
        ok_str(skopeo().args(["inspect", "--cert-dir", cd, "--format", "{{.Digest}}", &dst]));
    assert_eq!(ours, theirs.trim());
    let back = oci(&t.path().join("back"), "b");
    ok(lade().args(["copy", "-q", "--src-cert-dir", cd, &dst, &back]));
    // Trusted as one of the system's roots (SSL_CERT_FILE or SSL_CERT_DIR
    // names them).
    assert_eq!(digest_of_env(&dst, ("SSL_CERT_FILE", &crt)), ours);
    assert_eq!(digest_of_env(&dst, ("SSL_CERT_DIR", &cd_path)), ours);
    assert_eq!(digest_of(&back, &[]), ours);

    // Another self-signed certificate with the same names is not this one.
    let (_, _, other) = self_signed_trusted(t.path(), "other", "IP:127.0.0.1");
    let err = fails_with(
        lade().args(["inspect", "--cert-dir", other.to_str().unwrap(), &dst]),
        3,
    );
    assert!(err.contains("invalid peer certificate"), "{err}");

    // A trusted certificate for another name is refused for this one.
    let (ncrt, nkey, nd) = self_signed_trusted(t.path(), "named", "DNS:registry.invalid");
    let named = tls_registry(&ncrt, &nkey, None);
    let nimg = format!("docker://{}/x:1", named.addr);
    let err = fails_with(
        lade().args(["inspect", "--cert-dir", nd.to_str().unwrap(), &nimg]),
        3,
    );
    assert!(
        err.contains("not valid for name \"127.0.0.1\"") && err.contains("registry.invalid"),
        "{err}"
    );

    // --tls-verify=false takes any certificate, over TLS still.
    assert_eq!(digest_of(&dst, &[INSECURE]), ours);
}

/// A CONNECT proxy on a loopback port that tunnels every request to
/// `upstream`, whatever host it names; the targets asked for are kept.
fn connect_proxy(upstream: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let (up, seen) = (upstream.clone(), seen2.clone());
            std::thread::spawn(move || {
                let Some((req, buffered)) = read_head(&mut c) else {
                    return;
                };
                seen.lock()
                    .unwrap()
                    .push(format!("{} {}", req.method, req.path));
                if req.method != "CONNECT" {
                    let _ = c.write_all(&response("405 Method Not Allowed", &[], b""));
                    return;
                }
                let _ = c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                tunnel(c, &up, &buffered);
            });
        }
    });
    (addr, seen)
}

/// Pipe `c` to a new connection to `upstream`, `first` sent ahead.
fn tunnel(mut c: TcpStream, upstream: &str, first: &[u8]) {
    let Ok(mut u) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = u.write_all(first);
    let (mut c2, mut u2) = (c.try_clone().unwrap(), u.try_clone().unwrap());
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut u2, &mut c2);
        let _ = c2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut c, &mut u);
    let _ = u.shutdown(Shutdown::Write);
    let _ = t.join();
}

/// A SOCKS5 proxy (no authentication) on a loopback port that tunnels
/// every connection to `upstream`; the targets asked for are kept.
fn socks_proxy(upstream: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let (up, seen) = (upstream.clone(), seen2.clone());
            std::thread::spawn(move || {
                let mut head = [0u8; 2];
                let mut methods = [0u8; 255];
                if c.read_exact(&mut head).is_err()
                    || c.read_exact(&mut methods[..head[1] as usize]).is_err()
                    || c.write_all(&[5, 0]).is_err()
                {
                    return;
                }
                let mut req = [0u8; 4];
                if c.read_exact(&mut req).is_err() {
                    return;
                }
                let host = match req[3] {
                    1 => {
                        let mut a = [0u8; 4];
                        let _ = c.read_exact(&mut a);
                        std::net::Ipv4Addr::from(a).to_string()
                    }
                    3 => {
                        let mut n = [0u8; 1];
                        let _ = c.read_exact(&mut n);
                        let mut name = vec![0u8; n[0] as usize];
                        let _ = c.read_exact(&mut name);
                        String::from_utf8_lossy(&name).into_owned()
                    }
                    _ => return,
                };
                let mut port = [0u8; 2];
                let _ = c.read_exact(&mut port);
                seen.lock()
                    .unwrap()
                    .push(format!("{host}:{}", u16::from_be_bytes(port)));
                let _ = c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
                tunnel(c, &up, &[]);
            });
        }
    });
    (addr, seen)
}

#[test]
fn proxies_from_the_environment_as_go_reads_them() {
    let Some(local) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    // A registry known by a name only the proxy can reach.
    let (crt, key, cd) = self_signed_trusted(t.path(), "domain", "DNS:registry.example");
    let reg = tls_registry(&crt, &key, None);
    let cd = cd.to_str().unwrap();
    let (proxy, seen) = connect_proxy(reg.addr.clone());
    let proxy_url = format!("http://{proxy}");
    let dst = format!("docker://registry.example/{}:1", unique("proxied/a"));
    let env = |c: &mut Command, vars: &[(&str, &str)]| {
        for v in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "NO_PROXY",
            "no_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            c.env_remove(v);
        }
        for (k, v) in vars {
            c.env(k, v);
        }
    };
    let take = || std::mem::take(&mut *seen.lock().unwrap());

    // HTTPS_PROXY carries https requests, through a tunnel to the name.
    let mut c = lade();
    env(&mut c, &[("HTTPS_PROXY", &proxy_url)]);
    ok(c.args(["copy", "-q", "--dest-cert-dir", cd, &src, &dst]));
    let tunnels = take();
    assert!(!tunnels.is_empty());
    assert!(
        tunnels.iter().all(|t| t == "CONNECT registry.example:443"),
        "{tunnels:?}"
    );
    // skopeo, through the same proxy, reads what was written.
    let mut c = lade();
    env(&mut c, &[("https_proxy", &proxy_url)]);
    let ours = json(&ok(c.args(["inspect", "--cert-dir", cd, &dst])))["Digest"].clone();
    let mut c = skopeo();
    env(&mut c, &[("HTTPS_PROXY", &proxy_url)]);
    let theirs = ok_str(c.args(["inspect", "--cert-dir", cd, "--format", "{{.Digest}}", &dst]));
    assert_eq!(ours.as_str().unwrap(), theirs.trim());
    take();

    // NO_PROXY names it (a domain covers its subdomains): no tunnel, and
    // the name does not resolve.
    for no in ["registry.example", "example", ".example", "*"] {
        let mut c = lade();
        env(&mut c, &[("HTTPS_PROXY", &proxy_url), ("NO_PROXY", no)]);
        let err = fails_with(c.args(["inspect", "--cert-dir", cd, &dst]), 3);
        assert!(err.contains("registry.example"), "{err}");
        assert!(take().is_empty(), "NO_PROXY={no}");
    }
    // A SOCKS proxy is used too (socks5h: it resolves the name).
    let (socks, socks_seen) = socks_proxy(reg.addr.clone());
    let mut c = lade();
    env(&mut c, &[("HTTPS_PROXY", &format!("socks5h://{socks}"))]);
    let got = json(&ok(c.args(["inspect", "--cert-dir", cd, &dst])))["Digest"].clone();
    assert_eq!(got, ours);
    let asked = socks_seen.lock().unwrap().clone();
    assert!(
        !asked.is_empty() && asked.iter().all(|a| a == "registry.example:443"),
        "{asked:?}"
    );
    // A proxy that cannot be reached is named in the error.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = lade();
    env(
        &mut c,
        &[("HTTPS_PROXY", &format!("http://127.0.0.1:{closed}"))],
    );
    let err = fails_with(c.args(["inspect", "--cert-dir", cd, &dst]), 3);
    assert!(
        err.contains(&format!("through proxy 127.0.0.1:{closed}")),
        "{err}"
    );

    // HTTP_PROXY is for http URLs only.
    let mut c = lade();
    env(&mut c, &[("HTTP_PROXY", &proxy_url)]);
    fails_with(c.args(["inspect", "--cert-dir", cd, &dst]), 3);
    assert!(take().is_empty());
    // Loopback registries are reached directly, whatever the environment.
    let digest = digest_of(&src, &[]);
    // (Host names are not case-sensitive.)
    for host in [
        local.clone(),
        local.replace("127.0.0.1", "localhost"),
        local.replace("127.0.0.1", "LOCALHOST"),
    ] {
        let mut c = lade();
        env(
            &mut c,
            &[("HTTPS_PROXY", &proxy_url), ("HTTP_PROXY", &proxy_url)],
        );
        let img = format!("docker://{host}/{}:1", unique("direct/a"));
        ok(c.args(["copy", "-q", "--dest-tls-verify=false", &src, &img]));
        assert_eq!(digest_of(&img, &[INSECURE]), digest);
    }
    assert!(take().is_empty());
    // A proxy URL that is none is said to be wrong where it is used
    // (and only there).
    let mut c = lade();
    env(&mut c, &[("HTTPS_PROXY", "ftp://what")]);
    let err = fails_with(c.args(["inspect", &dst]), 3);
    assert!(err.contains("HTTPS_PROXY"), "{err}");
    // Its password is not printed.
    let mut c = lade();
    env(&mut c, &[("HTTPS_PROXY", "http://puser:psecret@[bad")]);
    let err = fails_with(c.args(["inspect", &dst]), 3);
    assert!(err.contains("HTTPS_PROXY=\"http://…@[bad\""), "{err}");
    assert!(!err.contains("psecret") && !err.contains("puser"), "{err}");
    let mut c = lade();
    env(
        &mut c,
        &[("HTTPS_PROXY", "ftp://what"), ("HTTP_PROXY", "ftp://what")],
    );
    let img = format!("docker://{local}/{}:1", unique("direct/b"));
    ok(c.args(["copy", "-q", "--dest-tls-verify=false", &src, &img]));
}

#[test]
fn credentials_never_go_to_hosts_the_registry_names() {
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    // Another host: records whether credentials came, refuses uploads.
    let got_auth: Arc<Mutex<Vec<String>>> = Arc::default();
    let g = got_auth.clone();
    let other = serve(None, move |req| {
        g.lock().unwrap().push(format!(
            "{} {} {}",
            req.method,
            req.path,
            req.headers.contains_key("authorization")
        ));
        if req.path.starts_with("/v2/r/tags/list") {
            return Action::Respond(response("200 OK", &[], br#"{"name":"r","tags":["b"]}"#));
        }
        Action::Respond(response("500 Internal Server Error", &[], b""))
    });
    // A registry wanting Basic credentials whose tag list's next page is
    // named at the other host (taken at the registry itself, for its path,
    // as skopeo takes it), and whose uploads are taken at the other host.
    let o = other.clone();
    let reg = serve(None, move |req| {
        if !req.headers.contains_key("authorization") {
            return Action::Respond(response(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"r\"".into())],
                b"",
            ));
        }
        if req.path == "/v2/" {
            return Action::Respond(response("200 OK", &[], b"{}"));
        }
        if req.path.starts_with("/v2/r/tags/list?last=a") {
            return Action::Respond(response("200 OK", &[], br#"{"name":"r","tags":["c"]}"#));
        }
        if req.path.starts_with("/v2/r/tags/list") {
            return Action::Respond(response(
                "200 OK",
                &[(
                    "Link",
                    format!("<http://{o}/v2/r/tags/list?last=a>; rel=\"next\""),
                )],
                br#"{"name":"r","tags":["a"]}"#,
            ));
        }
        if req.method == "POST" {
            return Action::Respond(response(
                "202 Accepted",
                &[("Location", format!("http://{o}/upload/1"))],
                b"",
            ));
        }
        Action::Respond(response("404 Not Found", &[], b""))
    });
    let out = ok(lade().args([
        "list-tags",
        "--tls-verify=false",
        "--creds",
        "u:p",
        &format!("docker://{reg}/r"),
    ]));
    assert_eq!(json(&out)["Tags"], json!(["a", "c"]));
    fails_with(
        lade().args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            "--dest-creds",
            "u:p",
            &src,
            &format!("docker://{reg}/r:1"),
        ]),
        3,
    );
    let seen = got_auth.lock().unwrap().clone();
    assert!(
        !seen.iter().any(|l| l.starts_with("GET /v2/r/tags/list")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|l| l.contains("/upload/1")), "{seen:?}");
    assert!(seen.iter().all(|l| l.ends_with("false")), "{seen:?}");
}

#[test]
fn a_tag_list_that_never_ends_is_refused() {
    // 200,000 tags a page, and always a new next page.
    let page: Vec<String> = (0..200_000).map(|i| format!("t{i}")).collect();
    let body = serde_json::to_vec(&json!({"name": "r", "tags": page})).unwrap();
    let n = AtomicUsize::new(0);
    let reg = serve(None, move |req| {
        if req.path == "/v2/" {
            return Action::Respond(response("200 OK", &[], b"{}"));
        }
        let i = n.fetch_add(1, Ordering::SeqCst);
        Action::Respond(response(
            "200 OK",
            &[("Link", format!("</v2/r/tags/list?last=x{i}>; rel=\"next\""))],
            &body,
        ))
    });
    let t0 = Instant::now();
    let err = fails_with(
        lade().args([
            "list-tags",
            "--tls-verify=false",
            &format!("docker://{reg}/r"),
        ]),
        3,
    );
    assert!(err.contains("goes past 1000000 tags"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(60));
}

/// A registry that does not page (as distribution 2) sends every tag in
/// one answer: 300,000 tags, 7 MB, are listed; an answer past the
/// listing's byte budget (a million tags of 128 characters) is refused.
#[test]
fn one_big_tag_page_is_read_and_an_endless_one_refused() {
    let tags: Vec<String> = (0..300_000).map(|i| format!("release-{i:012}")).collect();
    let big = serde_json::to_vec(&json!({"name": "r", "tags": tags})).unwrap();
    assert!(big.len() > 6 << 20);
    let mut endless = br#"{"name": "r", "tags": ["a""#.to_vec();
    endless.resize(endless.len() + 132_000_000, b' ');
    endless.extend_from_slice(b"]}");
    // 30 million one-letter tags in 120 MB: within the byte budget, but
    // refused at the millionth, not all parsed into memory first.
    let mut short = br#"{"name": "r", "tags": ["a""#.to_vec();
    for _ in 0..30_000_000 {
        short.extend_from_slice(br#","a""#);
    }
    short.extend_from_slice(b"]}");
    let reg = serve(None, move |req| match req.path.as_str() {
        "/v2/" => Action::Respond(response("200 OK", &[], b"{}")),
        "/v2/big/tags/list" => Action::Respond(response("200 OK", &[], &big)),
        "/v2/short/tags/list" => Action::Respond(response("200 OK", &[], &short)),
        _ => Action::Respond(response("200 OK", &[], &endless)),
    });
    let out = json(&ok(lade().args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{reg}/big"),
    ])));
    let got = out["Tags"].as_array().unwrap();
    assert_eq!(got.len(), 300_000);
    assert_eq!(got[299_999], json!("release-000000299999"));
    let err = fails_with(
        lade().args([
            "list-tags",
            "--tls-verify=false",
            &format!("docker://{reg}/endless"),
        ]),
        3,
    );
    assert!(
        err.contains("tag list of endless is more than the 131004096 byte limit"),
        "{err}"
    );
    if require_tool("/usr/bin/time") {
        let out = run(Command::new("/usr/bin/time").args([
            "-f",
            "maxrss=%M",
            env!("CARGO_BIN_EXE_lade"),
            "list-tags",
            "--tls-verify=false",
            &format!("docker://{reg}/short"),
        ]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("tag list of short goes past 1000000 tags"),
            "{err}"
        );
        let kb: u64 = err.split("maxrss=").nth(1).unwrap().trim().parse().unwrap();
        assert!(kb < 200_000, "peak RSS {kb} KB: {err}");
    }
}

#[test]
fn a_tag_list_whose_next_page_repeats_is_refused_at_once() {
    let asked = Arc::new(Mutex::new(0usize));
    let count = asked.clone();
    let reg = serve(None, move |req| {
        if req.path == "/v2/" {
            return Action::Respond(response("200 OK", &[], b"{}"));
        }
        *count.lock().unwrap() += 1;
        Action::Respond(response(
            "200 OK",
            &[("Link", "</v2/r/tags/list?n=1>; rel=\"next\"".into())],
            br#"{"name": "r", "tags": ["a"]}"#,
        ))
    });
    let err = fails_with(
        lade().args([
            "list-tags",
            "--tls-verify=false",
            &format!("docker://{reg}/r"),
        ]),
        3,
    );
    assert!(err.contains("tag list of r does not end"), "{err}");
    // the first page, the linked one, and no more
    assert_eq!(*asked.lock().unwrap(), 2);
}

#[test]
fn an_https_registry_cannot_send_lade_to_plain_http() {
    if !require_tool("python3") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let plain_hits: Arc<AtomicUsize> = Arc::default();
    let h = plain_hits.clone();
    let plain = serve(None, move |_| {
        h.fetch_add(1, Ordering::SeqCst);
        Action::Respond(response("500 Internal Server Error", &[], b""))
    });
    // An HTTPS registry (python's http.server over TLS) whose uploads
    // would go on at a plain-HTTP address.
    let (crt, key, cd) = self_signed_trusted(t.path(), "domain", "IP:127.0.0.1");
    let script = format!(
        r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, code, headers={{}}):
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        self.answer(200 if self.path == "/v2/" else 404)
    def do_HEAD(self):
        self.answer(404)
    def do_POST(self):
        self.answer(202, {{"Location": "http://{plain}/upload/1"}})
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain("{crt}", "{key}")
s.socket = c.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#,
        crt = crt.display(),
        key = key.display()
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            "--dest-cert-dir",
            cd.to_str().unwrap(),
            &src,
            &format!("docker://127.0.0.1:{}/r:1", port.trim()),
        ]),
        3,
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(err.contains("refusing plain HTTP"), "{err}");
    assert_eq!(plain_hits.load(Ordering::SeqCst), 0);
}

#[test]
fn client_certificate_from_cert_dir_is_presented() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let certs = t.path().join("certs");
    fs::create_dir_all(&certs).unwrap();
    let (ca, crt, key) = make_tls(&certs);
    let reg = tls_registry(&crt, &key, Some(&ca));
    let dst = format!("docker://{}/{}:1", reg.addr, unique("mtls/a"));
    let cd = t.path().join("certs.d");
    fs::create_dir_all(&cd).unwrap();
    fs::copy(&ca, cd.join("ca.crt")).unwrap();
    let cds = cd.to_str().unwrap();
    // The CA alone: the registry wants a client certificate, and says so.
    let err = fails_with(
        lade().args(["copy", "-q", "--dest-cert-dir", cds, &src, &dst]),
        3,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("client certificate"), "{err}");
    // With NAME.cert and NAME.key beside it: accepted.
    client_cert(&certs, &cd, "client");
    ok(lade().args(["copy", "-q", "--dest-cert-dir", cds, &src, &dst]));
    let ours = digest_of(&dst, &["--cert-dir", cds]);
    let theirs = ok_str(skopeo().args([
        "inspect",
        "--cert-dir",
        cds,
        "--format",
        "{{.Digest}}",
        &dst,
    ]));
    assert_eq!(ours, theirs.trim());
    // An X.509 v1 client certificate: sent as Go sends it.
    client_cert_v1(&certs, &cd, "client");
    let text = ok_str(
        std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(cd.join("client.cert")),
    );
    assert!(text.contains("Version: 1 "), "{text}");
    assert_eq!(digest_of(&dst, &["--cert-dir", cds]), ours);
    client_cert(&certs, &cd, "client");
    // Beside client certificates of a CA the registry does not know (named
    // before and after it): the one the registry asks for is sent.
    let others = t.path().join("other-ca");
    fs::create_dir_all(&others).unwrap();
    self_signed(
        &others.join("ca.key"),
        &others.join("ca.crt"),
        "another test CA",
    );
    client_cert(&others, &cd, "a-other");
    client_cert(&others, &cd, "z-other");
    assert_eq!(digest_of(&dst, &["--cert-dir", cds]), ours);
    fs::remove_file(cd.join("client.cert")).unwrap();
    fs::remove_file(cd.join("client.key")).unwrap();
    let err = fails_with(lade().args(["inspect", "--cert-dir", cds, &dst]), 3);
    assert!(err.contains("client certificate"), "{err}");
    client_cert(&certs, &cd, "client");
    // The server's own certificate (signed by the CA) trusted instead of
    // the CA: accepted as it is, as Go does.
    fs::copy(&crt, cd.join("ca.crt")).unwrap();
    assert_eq!(digest_of(&dst, &["--cert-dir", cds]), ours);
    // A .cert without its .key, or a .key without its .cert, is a clear
    // error.
    fs::rename(cd.join("client.key"), cd.join("other.key")).unwrap();
    let err = fails_with(lade().args(["inspect", "--cert-dir", cds, &dst]), 3);
    assert!(err.contains("needs its key"), "{err}");
    fs::remove_file(cd.join("client.cert")).unwrap();
    let err = fails_with(lade().args(["inspect", "--cert-dir", cds, &dst]), 3);
    assert!(err.contains("other.key has no certificate"), "{err}");
}

/// Credential helpers: `login` stores through the one the auth file names
/// (nothing in the file), copies get from it, `logout` erases it; a
/// helper that is not installed gives no credentials and a warning, and
/// registries that need none still work.
#[test]
fn credential_helpers_store_give_and_erase() {
    let Some(plain) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("htpasswd") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let (reg, cert_dir) = secure_registry(t.path());
    let cd = cert_dir.to_str().unwrap();
    let dst = format!("docker://{}/{}:1", reg.addr, unique("helper/a"));
    // A helper keeping one credential in a file.
    let bin = t.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let kept = t.path().join("kept");
    let script = format!(
        "#!/bin/sh\ninput=$(cat)\ncase \"$1\" in\n\
         store) printf '%s' \"$input\" > {k} ;;\n\
         get) if [ -f {k} ] && grep -q \"\\\"ServerURL\\\":\\\"$input\\\"\" {k}; then cat {k}; \
         else echo 'credentials not found in native keychain'; exit 1; fi ;;\n\
         erase) if [ -f {k} ]; then rm {k}; else echo 'credentials not found in native keychain'; exit 1; fi ;;\n\
         esac\n",
        k = kept.display()
    );
    let helper = bin.join("docker-credential-ladetest");
    fs::write(&helper, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let authfile = t.path().join("auth.json");
    let config = json!({"credHelpers": {reg.addr.clone(): "ladetest"}}).to_string();
    fs::write(&authfile, &config).unwrap();
    let with = |args: &[&str]| {
        let mut c = lade();
        c.env("PATH", &path)
            .args(args)
            .arg("--authfile")
            .arg(&authfile);
        c
    };
    let o = run(with(&[
        "login",
        "-v",
        "-u",
        "alice",
        "-p",
        "s3cret",
        "--cert-dir",
        cd,
    ])
    .arg(&reg.addr));
    assert!(o.status.success(), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Used:  docker-credential-ladetest\n"),
        "{o:?}"
    );
    assert_eq!(
        fs::read_to_string(&authfile).unwrap(),
        config,
        "not written to the file"
    );
    assert!(fs::read_to_string(&kept).unwrap().contains("s3cret"));
    ok(with(&["copy", "-q", "--dest-cert-dir", cd]).args([&src, &dst]));
    assert_eq!(
        digest_of(&dst, &["--cert-dir", cd, "--creds", "alice:s3cret"]),
        digest_of(&src, &[])
    );
    ok(with(&["logout"]).arg(&reg.addr));
    assert!(!kept.exists());
    let err = fails_with(with(&["inspect", "--cert-dir", cd]).arg(&dst), 3);
    assert!(err.contains("authentication required"), "{err}");
    // A namespace is logged in to, not a tag (a usage error); and not
    // through a helper, which keeps one secret per registry.
    let err = fails_with(
        with(&["login", "-u", "alice", "-p", "s3cret", "--cert-dir", cd])
            .arg(format!("{}/ns/repo:tag", reg.addr)),
        2,
    );
    assert!(err.contains("not a tag"), "{err}");
    let err = fails_with(
        with(&["login", "-u", "alice", "-p", "s3cret", "--cert-dir", cd])
            .arg(format!("{}/ns", reg.addr)),
        2,
    );
    assert!(err.contains("one per registry"), "{err}");
    // An entry the file held from before the helper is dropped by a login
    // through it (it would be read first); logout --all erases in the
    // helpers credHelpers names.
    let mut v: Value = serde_json::from_str(&config).unwrap();
    v["auths"] = json!({reg.addr.clone(): {"auth": b64std(b"alice:stale")}});
    fs::write(&authfile, v.to_string()).unwrap();
    ok(with(&["login", "-u", "alice", "-p", "s3cret", "--cert-dir", cd]).arg(&reg.addr));
    assert!(!fs::read_to_string(&authfile)
        .unwrap()
        .contains(&b64std(b"alice:stale")));
    ok(with(&["inspect", "--cert-dir", cd]).arg(&dst));
    ok(&mut with(&["logout", "--all"]));
    assert!(!kept.exists());

    // Not installed: no credentials, said once, and on it goes.
    let anon = format!("docker://{plain}/{}:1", unique("helper/b"));
    ok(lade().args(["copy", "-q", "--dest-tls-verify=false", &src, &anon]));
    let missing = t.path().join("missing.json");
    fs::write(
        &missing,
        json!({"credsStore": "lade-not-installed"}).to_string(),
    )
    .unwrap();
    let o = run(lade()
        .args(["inspect", INSECURE, "--authfile"])
        .arg(&missing)
        .arg(&anon));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.matches("docker-credential-lade-not-installed is not installed")
            .count(),
        1,
        "{err}"
    );
    // Under JSON progress the warning is an event like the others.
    let o = run(lade()
        .args([
            "copy",
            "--progress=json",
            "--dest-tls-verify=false",
            "--authfile",
        ])
        .arg(&missing)
        .args([&src, &anon]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    let events: Vec<Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        events.iter().any(|e| e["text"]
            .as_str()
            .is_some_and(|t| t.contains("not installed"))),
        "{err}"
    );

    // A helper that writes without end is cut off at 1 MiB (memory stays
    // small), with one line naming it.
    let huge = bin.join("docker-credential-ladehuge");
    fs::write(
        &huge,
        "#!/bin/sh
exec yes credential\n
",
    )
    .unwrap();
    fs::set_permissions(&huge, fs::Permissions::from_mode(0o755)).unwrap();
    let endless = t.path().join("endless.json");
    fs::write(&endless, json!({"credsStore": "ladehuge"}).to_string()).unwrap();
    let err = fails_with(
        lade()
            .env("PATH", &path)
            .args(["inspect", INSECURE, "--authfile"])
            .arg(&endless)
            .arg(&anon),
        3,
    );
    assert!(
        err.contains("docker-credential-ladehuge: get wrote more than"),
        "{err}"
    );

    // A helper that hangs is stopped with lade when --command-timeout
    // ends it: none is left running.
    let pidfile = t.path().join("hang.pid");
    let hang = bin.join("docker-credential-ladehang");
    fs::write(
        &hang,
        format!(
            "#!/bin/sh\necho $$ > {}\nexec sleep 1000\n",
            pidfile.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&hang, fs::Permissions::from_mode(0o755)).unwrap();
    let hanging = t.path().join("hanging.json");
    fs::write(&hanging, json!({"credsStore": "ladehang"}).to_string()).unwrap();
    let err = fails_with(
        lade()
            .env("PATH", &path)
            .args(["--command-timeout", "2s", "inspect", INSECURE, "--authfile"])
            .arg(&hanging)
            .arg(&anon),
        3,
    );
    assert!(err.contains("ran out of time"), "{err}");
    // (one line: not the helper's failure too, which its stopping caused)
    assert_eq!(err.lines().count(), 1, "{err}");
    let pid = fs::read_to_string(&pidfile).unwrap().trim().to_string();
    let t0 = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists()
        && !fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z"))
    {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "helper {pid} still runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A terminal's ^C goes to the whole process group: the helper dies of
    // it as lade's signals thread wakes. lade ends as the signal ends it,
    // not with the error the helper's death would be, whichever is first.
    use std::os::unix::process::CommandExt;
    for round in 0..5 {
        let _ = fs::remove_file(&pidfile);
        let child = std::process::Command::new("env")
            .args(["--default-signal=HUP,INT,TERM", env!("CARGO_BIN_EXE_lade")])
            .env("PATH", &path)
            .args(["inspect", INSECURE, "--authfile"])
            .arg(&hanging)
            .arg(&anon)
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while !fs::read_to_string(&pidfile).is_ok_and(|p| p.ends_with('\n')) {
            assert!(t0.elapsed() < Duration::from_secs(10), "no helper");
            std::thread::sleep(Duration::from_millis(10));
        }
        rustix::process::kill_process_group(
            rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
            rustix::process::Signal::INT,
        )
        .unwrap();
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            o.status.signal(),
            Some(2),
            "round {round}: {:?} {err}",
            o.status
        );
        assert!(!err.contains("error"), "round {round}: {err}");
    }
}

/// registries.conf's `credential-helpers`, as skopeo reads it: `login`
/// stores with the first helper that takes the credentials, copies get
/// them from the first that has some (the auth files where it says
/// `containers-auth.json`), `logout` erases them from every one; skopeo
/// with the same file and helper reads what lade stored, and lade what
/// skopeo stored.
#[test]
fn registries_conf_credential_helpers() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("htpasswd") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let (reg, cert_dir) = secure_registry(t.path());
    let cd = cert_dir.to_str().unwrap();
    let dst = format!("docker://{}/{}:1", reg.addr, unique("helpers/a"));
    // A helper keeping a file per registry in `kept/`, with `list`.
    let bin = t.path().join("bin");
    let kept = t.path().join("kept");
    fs::create_dir_all(&bin).unwrap();
    fs::create_dir_all(&kept).unwrap();
    let script = format!(
        r#"#!/bin/sh
d={k}
input=$(cat)
field() {{ sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }}
file() {{ echo "$d/$(printf '%s' "$1" | tr '/:' '__')"; }}
case "$1" in
store) printf '%s' "$input" > "$(file "$(printf '%s' "$input" | field ServerURL)")" ;;
get|erase) f=$(file "$input")
    if [ ! -f "$f" ]; then echo 'credentials not found in native keychain'; exit 1; fi
    if [ "$1" = get ]; then cat "$f"; else rm "$f"; fi ;;
list) printf '{{'; sep=
    for f in "$d"/*; do [ -f "$f" ] || continue
        printf '%s"%s":"%s"' "$sep" "$(field ServerURL < "$f")" "$(field Username < "$f")"; sep=,
    done; printf '}}' ;;
esac
"#,
        k = kept.display()
    );
    let helper = bin.join("docker-credential-ladekeep");
    fs::write(&helper, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let conf = t.path().join("registries.conf");
    let authfile = t.path().join("auth.json");
    let set_helpers = |list: &str| {
        fs::write(&conf, format!("credential-helpers = [{list}]\n")).unwrap();
    };
    // The environment both tools read: the helper on PATH, this
    // registries.conf, this auth file.
    let env = |c: &mut Command| {
        c.env("PATH", &path)
            .env("CONTAINERS_REGISTRIES_CONF", &conf)
            .env("REGISTRY_AUTH_FILE", &authfile);
    };
    let with = |args: &[&str]| {
        let mut c = lade();
        env(&mut c);
        c.args(args);
        c
    };
    // (skopeo 1.9 takes the file as an option, not from the environment)
    let skopeo_with = |args: &[&str]| {
        let mut c = skopeo();
        env(&mut c);
        c.arg("--registries-conf").arg(&conf).args(args);
        c
    };
    let kept_files = || fs::read_dir(&kept).unwrap().count();
    let login = ["login", "-u", "alice", "-p", "s3cret", "--cert-dir", cd];

    // The helper first: the credentials go there, not into the file.
    set_helpers(r#""ladekeep", "containers-auth.json""#);
    ok(with(&login).arg(&reg.addr));
    assert_eq!(kept_files(), 1);
    assert!(!authfile.exists(), "nothing written to the auth file");
    ok(with(&["copy", "-q", "--dest-cert-dir", cd]).args([&src, &dst]));
    let want = digest_of(&src, &[]);
    let seen =
        ok_str(skopeo_with(&["inspect", "--cert-dir", cd, "--format", "{{.Digest}}"]).arg(&dst));
    assert_eq!(
        seen.trim(),
        want,
        "skopeo reads the helper lade stored into"
    );
    ok_str(with(&["login", "--get-login"]).arg(&reg.addr))
        .trim()
        .eq("alice")
        .then_some(())
        .expect("--get-login names the helper's user");
    // A named auth file that is not there does not hide the helper's.
    let missing = t.path().join("missing.json");
    assert_eq!(
        ok_str(
            with(&["login", "--get-login", "--authfile"])
                .arg(&missing)
                .arg(&reg.addr)
        ),
        "alice"
    );
    ok(with(&["logout"]).arg(&reg.addr));
    assert_eq!(kept_files(), 0);
    let err = fails_with(with(&["inspect", "--cert-dir", cd]).arg(&dst), 3);
    assert!(err.contains("authentication required"), "{err}");
    let err = fails_with(with(&["logout"]).arg(&reg.addr), 1);
    assert!(err.contains("docker-credential-ladekeep"), "{err}");
    // What skopeo stores there, lade reads.
    ok(skopeo_with(&login).arg(&reg.addr));
    assert_eq!(kept_files(), 1);
    assert_eq!(
        json(&ok(with(&["inspect", "--cert-dir", cd]).arg(&dst)))["Digest"],
        want.as_str(),
        "lade reads the helper skopeo stored into"
    );
    // A namespace cannot be kept in a helper: the next entry, the auth
    // file, takes it.
    let ns = format!("{}/ns", reg.addr);
    ok(with(&login).arg(&ns));
    let file: Value = serde_json::from_slice(&fs::read(&authfile).unwrap()).unwrap();
    assert!(file["auths"][&ns]["auth"].is_string(), "{file}");
    // --all empties the helper (through its list) and the file.
    ok(&mut with(&["logout", "--all"]));
    assert_eq!(kept_files(), 0);
    let file: Value = serde_json::from_slice(&fs::read(&authfile).unwrap()).unwrap();
    assert_eq!(file["auths"], json!({}), "{file}");

    // The auth files first: their credentials win over the helper's.
    set_helpers(r#""containers-auth.json", "ladekeep""#);
    ok(with(&login).arg(&reg.addr));
    assert_eq!(kept_files(), 0, "stored in the auth file");
    fs::write(
        kept.join(reg.addr.replace(':', "_")),
        json!({"ServerURL": reg.addr, "Username": "alice", "Secret": "wrong"}).to_string(),
    )
    .unwrap();
    ok(with(&["inspect", "--cert-dir", cd]).arg(&dst));
    // The helper alone, and it has only the wrong password: refused.
    set_helpers(r#""ladekeep""#);
    let err = fails_with(with(&["inspect", "--cert-dir", cd]).arg(&dst), 3);
    assert!(err.contains("authentication failed"), "{err}");
    // A helper that is not installed is passed over (with a warning),
    // the auth file still read.
    set_helpers(r#""lade-not-installed", "containers-auth.json""#);
    let o = run(with(&["inspect", "--cert-dir", cd]).arg(&dst));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not installed"));
    // Logout goes on past it too, and says what it removed.
    let o = run(with(&["logout"]).arg(&reg.addr));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("not installed"), "{said}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("Removed login credentials for "), "{out}");
    // A login only a missing helper could take fails, naming it.
    set_helpers(r#""lade-not-installed""#);
    let err = fails_with(with(&login).arg(&reg.addr), 3);
    assert!(
        err.contains("docker-credential-lade-not-installed"),
        "{err}"
    );
    // A bad entry is an error in the file, named.
    set_helpers(r#""../x""#);
    let err = fails_with(with(&["inspect", "--cert-dir", cd]).arg(&dst), 3);
    assert!(
        err.contains("credential-helpers") && err.contains("registries.conf"),
        "{err}"
    );
}

/// Logins at once (to namespaces of one registry here) all land in the
/// auth file: each rewrites it under a lock.
#[test]
fn concurrent_logins_all_land() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("htpasswd") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let (reg, cert_dir) = secure_registry(t.path());
    let authfile = t.path().join("auth/auth.json");
    let children: Vec<_> = (0..12)
        .map(|i| {
            lade()
                .args(["login", "-u", "alice", "-p", "s3cret", "--cert-dir"])
                .arg(&cert_dir)
                .arg("--authfile")
                .arg(&authfile)
                .arg(format!("{}/ns{i}", reg.addr))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let all_succeed = |children: Vec<std::process::Child>| {
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
    };
    all_succeed(children);
    let v: Value = serde_json::from_slice(&fs::read(&authfile).unwrap()).unwrap();
    let auths = v["auths"].as_object().unwrap();
    assert_eq!(auths.len(), 12, "{v}");
    // The same for logouts.
    let children: Vec<_> = (0..12)
        .filter(|i| i % 2 == 0)
        .map(|i| {
            lade()
                .args(["logout", "--authfile"])
                .arg(&authfile)
                .arg(format!("{}/ns{i}", reg.addr))
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    all_succeed(children);
    let v: Value = serde_json::from_slice(&fs::read(&authfile).unwrap()).unwrap();
    assert_eq!(v["auths"].as_object().unwrap().len(), 6, "{v}");
    // An empty password is refused before the registry is asked.
    let err = fails_with(
        lade()
            .args(["login", "-u", "alice", "--password-stdin", "--authfile"])
            .arg(&authfile)
            .arg(&reg.addr)
            .stdin(Stdio::null()),
        2,
    );
    assert!(err.contains("password is empty"), "{err}");
}

#[test]
fn token_auth_pull_push_scopes_and_reuse() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let k = t.path().join("token.key");
    let c = t.path().join("token.crt");
    self_signed(&k, &c, "lade token");
    let der =
        ok(Command::new("openssl").args(["x509", "-in", c.to_str().unwrap(), "-outform", "DER"]));
    let x5c = b64std(&der);
    let requests = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = requests.clone();
    let key = k.clone();
    // The tokens' lifetime, and how many token requests to answer 503 first.
    let lifetime = Arc::new(AtomicUsize::new(300));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let (life, busy) = (lifetime.clone(), unavailable.clone());
    let token_addr = serve(None, move |req| {
        if busy
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Action::Respond(response("503 Service Unavailable", &[], b""));
        }
        let expires_in = life.load(Ordering::SeqCst) as u64;
        // GET with Basic credentials (scopes in the query), or the OAuth2
        // refresh-token POST of an identity token (scopes space-separated
        // in the form).
        let mut scopes = Vec::new();
        let mut bob = true;
        if req.method == "POST" {
            let form = String::from_utf8_lossy(&req.body).to_string();
            log.lock().unwrap().push(format!("POST {form}"));
            let field = |k: &str| {
                form.split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .map(url_decode)
            };
            let ct = req.headers.get("content-type").cloned().unwrap_or_default();
            if ct != "application/x-www-form-urlencoded"
                || field("grant_type").as_deref() != Some("refresh_token")
                || field("client_id").as_deref() != Some("lade")
                || field("service").as_deref() != Some("lade-test-registry")
                || field("refresh_token").as_deref() != Some("refresh-xyz")
            {
                return Action::Respond(response("401 Unauthorized", &[], b"{}"));
            }
            scopes.extend(
                field("scope")
                    .unwrap_or_default()
                    .split(' ')
                    .map(String::from),
            );
        } else {
            let q = req.path.split_once('?').map_or("", |(_, q)| q).to_string();
            log.lock().unwrap().push(q.clone());
            let auth = req
                .headers
                .get("authorization")
                .cloned()
                .unwrap_or_default();
            // bob may do anything but pull from tok/alice-only*; alice
            // anything.
            bob = if auth == format!("Basic {}", b64std(b"bob:pw")) {
                true
            } else if auth == format!("Basic {}", b64std(b"alice:pw")) {
                false
            } else {
                return Action::Respond(response("401 Unauthorized", &[], b"{}"));
            };
            // The account the token is for must be named, and be the user
            // authenticated (as docker_auth checks; Docker and skopeo
            // send it).
            let account = format!("account={}", if bob { "bob" } else { "alice" });
            if !q.split('&').any(|kv| kv == account) {
                return Action::Respond(response("401 Unauthorized", &[], b"{}"));
            }
            for kv in q.split('&') {
                if let Some(s) = kv.strip_prefix("scope=") {
                    scopes.push(url_decode(s));
                }
            }
        }
        let mut access = Vec::new();
        for s in &scopes {
            let p: Vec<&str> = s.split(':').collect();
            if p.len() == 3 {
                let actions: Vec<&str> = p[2]
                    .split(',')
                    .filter(|a| !(bob && *a == "pull" && p[1].starts_with("tok/alice-only")))
                    .collect();
                access.push(json!({"type": p[0], "name": p[1], "actions": actions}));
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = json!({"alg": "RS256", "typ": "JWT", "x5c": [x5c]});
        let claims = json!({"iss": "lade-test-issuer", "sub": "bob", "aud": "lade-test-registry",
            "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}{}", access.len()),
            "access": access});
        let signing = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let sig = run_with_input(
            Command::new("openssl").args(["dgst", "-sha256", "-sign", key.to_str().unwrap()]),
            signing.as_bytes(),
        )
        .stdout;
        let jwt = format!("{signing}.{}", b64url(&sig));
        let body = if req.method == "POST" {
            json!({"access_token": jwt, "expires_in": expires_in, "scope": scopes.join(" ")})
                .to_string()
        } else {
            json!({"token": jwt, "expires_in": expires_in}).to_string()
        };
        Action::Respond(response(
            "200 OK",
            &[("Content-Type", "application/json".into())],
            body.as_bytes(),
        ))
    });
    let auth = format!(
        "auth:\n  token:\n    realm: http://{token_addr}/token\n    service: lade-test-registry\n    issuer: lade-test-issuer\n    rootcertbundle: {}\n",
        c.display()
    );
    let reg = start_registry(tempdir(), "", &auth);
    let dst = format!("docker://{}/{}:1", reg.addr, unique("tok/a"));
    let err = fails_with(
        lade().args([
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            "bob:bad",
            &src,
            &dst,
        ]),
        3,
    );
    assert!(err.contains("wrong username or password"), "{err}");
    requests.lock().unwrap().clear();
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--dest-creds",
        "bob:pw",
        &src,
        &dst,
    ]));
    {
        let r = requests.lock().unwrap();
        assert!(
            r.iter()
                .any(|q| q.contains("pull%2Cpush") || q.contains("pull,push")),
            "{r:?}"
        );
        assert!(
            r.iter().all(|q| q.contains("service=lade-test-registry")),
            "{r:?}"
        );
        // One token per scope set, reused for every blob and the manifest.
        assert!(r.len() <= 3, "token fetched {} times: {r:?}", r.len());
    }
    let back = oci(&t.path().join("back"), "x");
    ok(lade().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--src-creds",
        "bob:pw",
        &dst,
        &back,
    ]));
    assert_eq!(digest_of(&back, &[]), digest_of(&src, &[]));
    let l = json(&ok(
        lade().args(["inspect", INSECURE, "--creds", "bob:pw", &dst])
    ));
    assert_eq!(l["RepoTags"], json!(["1"]));
    // skopeo agrees through the same token service.
    ok(skopeo().args(["inspect", INSECURE, "--creds", "bob:pw", &dst]));

    // --registry-token: a token got from the token service is sent as is
    // (the service is not asked again), by lade as by skopeo; a bad one is
    // refused, credentials or not (they answer a Basic challenge only).
    let repo = dst
        .strip_prefix(&format!("docker://{}/", reg.addr))
        .unwrap();
    let repo = repo.strip_suffix(":1").unwrap();
    let jwt = {
        let mut conn = TcpStream::connect(&token_addr).unwrap();
        write!(
            conn,
            "GET /token?service=lade-test-registry&account=bob&scope=repository%3A{}%3Apull \
             HTTP/1.1\r\nHost: {token_addr}\r\nAuthorization: Basic {}\r\nConnection: \
             close\r\n\r\n",
            repo.replace('/', "%2F"),
            b64std(b"bob:pw")
        )
        .unwrap();
        let mut resp = String::new();
        conn.read_to_string(&mut resp).unwrap();
        let body = resp.split_once("\r\n\r\n").unwrap().1;
        json(body.as_bytes())["token"].as_str().unwrap().to_string()
    };
    requests.lock().unwrap().clear();
    for mut tool in [lade(), skopeo()] {
        let l = json(&ok(tool.args([
            "inspect",
            INSECURE,
            "--registry-token",
            &jwt,
            &dst,
        ])));
        assert_eq!(l["RepoTags"], json!(["1"]));
    }
    assert_eq!(*requests.lock().unwrap(), Vec::<String>::new());
    let err = fails_with(
        lade().args([
            "inspect",
            INSECURE,
            "--registry-token",
            "garbage",
            "--creds",
            "bob:pw",
            &dst,
        ]),
        3,
    );
    assert!(err.contains("the registry token was refused"), "{err}");
    assert_eq!(*requests.lock().unwrap(), Vec::<String>::new());
    let o = run(skopeo().args([
        "inspect",
        INSECURE,
        "--registry-token",
        "garbage",
        "--creds",
        "bob:pw",
        &dst,
    ]));
    assert!(!o.status.success());

    // An auth file's identity token is a refresh token: POSTed (form) to
    // the realm for access tokens, for pull and for push; no Basic GET.
    let authfile = t.path().join("identity.json");
    fs::write(
        &authfile,
        json!({"auths": {reg.addr.clone(): {"auth": b64std(b"<token>:"), "identitytoken": "refresh-xyz"}}})
            .to_string(),
    )
    .unwrap();
    requests.lock().unwrap().clear();
    let l = json(&ok(lade()
        .args(["inspect", INSECURE, "--authfile"])
        .arg(&authfile)
        .arg(&dst)));
    assert_eq!(l["RepoTags"], json!(["1"]));
    let dst2 = format!("docker://{}/{}:2", reg.addr, unique("tok/id"));
    ok(lade()
        .args(["copy", "-q", "--dest-tls-verify=false", "--authfile"])
        .arg(&authfile)
        .args([&src, &dst2]));
    {
        let r = requests.lock().unwrap();
        assert!(
            !r.is_empty() && r.iter().all(|q| q.starts_with("POST ")),
            "{r:?}"
        );
        assert!(
            r.iter()
                .any(|q| q.contains("scope=repository%3Atok%2Fid") && q.contains("pull%2Cpush")),
            "{r:?}"
        );
    }
    assert_eq!(
        digest_of(&dst2, &[INSECURE, "--creds", "bob:pw"]),
        digest_of(&src, &[])
    );
    // A refused identity token: a clear error.
    fs::write(
        &authfile,
        json!({"auths": {reg.addr.clone(): {"identitytoken": "stale-123"}}}).to_string(),
    )
    .unwrap();
    let err = fails_with(
        lade()
            .args(["inspect", INSECURE, "--authfile"])
            .arg(&authfile)
            .arg(&dst),
        3,
    );
    assert!(err.contains("identity token was refused"), "{err}");
    assert!(!err.contains("stale-123"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // Between two repositories of one registry, as a user who may push to
    // the destination but not pull from the source: the cross-repository
    // mount is refused, and the blobs go up instead.
    let private = format!("docker://{}/{}:1", reg.addr, unique("tok/alice-only"));
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:pw",
        &src,
        &private,
    ]));
    let mine = format!("docker://{}/{}:1", reg.addr, unique("tok/bob"));
    requests.lock().unwrap().clear();
    ok(lade().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--src-creds",
        "alice:pw",
        "--dest-creds",
        "bob:pw",
        &private,
        &mine,
    ]));
    assert!(
        requests
            .lock()
            .unwrap()
            .iter()
            .any(|q| q.contains("alice-only") && q.contains("tok%2Fbob")),
        "no mount was tried"
    );
    assert_eq!(
        digest_of(&mine, &[INSECURE, "--creds", "bob:pw"]),
        digest_of(&src, &[])
    );

    // A token that runs out during a chunked upload is renewed before the
    // next chunk (a streamed body cannot be sent again after a 401): the
    // registry's answer to the first PATCH takes longer than the token's
    // 10 s lifetime (lade renews 5 s early) lasts.
    lifetime.store(10, Ordering::SeqCst);
    let patched = Arc::new(AtomicUsize::new(0));
    let p = patched.clone();
    let slow = serve(Some(reg.addr.clone()), move |req| {
        if req.method == "PATCH" && p.fetch_add(1, Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_secs(6));
        }
        Action::Forward { cut_body_at: None }
    });
    let big = big_layout(&t.path().join("big"), 64 * 1024);
    let late = format!("docker://{slow}/{}:1", unique("tok/late"));
    requests.lock().unwrap().clear();
    ok(lade()
        .env("LADE_UPLOAD_CHUNK_SIZE", "8192")
        .args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            "--dest-creds",
            "bob:pw",
        ])
        .args(["--dest-compress-format", "none", &big, &late]));
    assert!(patched.load(Ordering::SeqCst) > 1, "no chunked upload");
    assert!(
        requests.lock().unwrap().len() >= 2,
        "the token was not renewed"
    );
    lifetime.store(300, Ordering::SeqCst);

    // A token service that answers 503 twice is asked again (--retry-times).
    unavailable.store(2, Ordering::SeqCst);
    let l = json(&ok(lade().args([
        "inspect",
        INSECURE,
        "--retry-times",
        "3",
        "--retry-delay",
        "100ms",
        "--creds",
        "bob:pw",
        &dst,
    ])));
    assert_eq!(l["RepoTags"], json!(["1"]));
    assert_eq!(unavailable.load(Ordering::SeqCst), 0);

    // Challenges lade does not answer are passed over, as skopeo passes
    // them: a Negotiate header before the Bearer one, or both (and a
    // Basic one) in one header.
    let bearer =
        format!("Bearer realm=\"http://{token_addr}/token\",service=\"lade-test-registry\"");
    let path = dst
        .split_once('/')
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .1;
    // (the registry behind a front that answers a request without
    // credentials with these challenges; inspected through it)
    let inspect_behind = |values: Vec<String>| {
        let front = serve(Some(reg.addr.clone()), move |req| {
            if req.headers.contains_key("authorization") {
                return Action::Forward { cut_body_at: None };
            }
            let headers: Vec<(&str, String)> = values
                .iter()
                .map(|v| ("WWW-Authenticate", v.clone()))
                .collect();
            Action::Respond(response("401 Unauthorized", &headers, b""))
        });
        let l = json(&ok(lade().args([
            "inspect",
            INSECURE,
            "--creds",
            "bob:pw",
            &format!("docker://{front}/{path}"),
        ])));
        assert_eq!(l["RepoTags"], json!(["1"]));
    };
    inspect_behind(vec!["Negotiate".to_string(), bearer.clone()]);
    inspect_behind(vec![format!("Negotiate, {bearer}, Basic realm=\"x\"")]);

    // A token service that has moved (its old realm answers 307 with the
    // new one, on the same host) is followed there, credentials and all,
    // as skopeo follows it.
    let moved = serve(Some(token_addr.clone()), |req| {
        match req.path.strip_prefix("/old-token") {
            Some(query) => Action::Respond(response(
                "307 Temporary Redirect",
                &[("Location", format!("/token{query}"))],
                b"",
            )),
            None => Action::Forward { cut_body_at: None },
        }
    });
    inspect_behind(vec![format!(
        "Bearer realm=\"http://{moved}/old-token\",service=\"lade-test-registry\""
    )]);

    // A registry on verified TLS that names a plain-HTTP token service:
    // the credentials go there, as Docker and skopeo send them, said once.
    let certs = t.path().join("tls");
    fs::create_dir_all(&certs).unwrap();
    let (ca, crt, key) = make_tls(&certs);
    let tls = start_registry(
        tempdir(),
        &format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            crt.display(),
            key.display()
        ),
        &auth,
    );
    let cd = t.path().join("tls-certs.d");
    fs::create_dir_all(&cd).unwrap();
    fs::copy(&ca, cd.join("ca.crt")).unwrap();
    let cd = cd.to_str().unwrap();
    let tdst = format!("docker://{}/{}:1", tls.addr, unique("tok/tls"));
    let err = ok_stderr(lade().args([
        "copy",
        "-q",
        "--dest-cert-dir",
        cd,
        "--dest-creds",
        "bob:pw",
        &src,
        &tdst,
    ]));
    assert_eq!(err.matches("plain-HTTP token service").count(), 1, "{err}");
    assert_eq!(
        digest_of(&tdst, &["--cert-dir", cd, "--creds", "bob:pw"]),
        digest_of(&src, &[])
    );
}

// ---------------------------------------------------------------------------
// faults: a fake registry and a proxy in front of the real one

/// Every request that carries a body says its length: an empty POST (a
/// new upload) or the PUT closing an upload sent in chunks goes with
/// `Content-Length: 0`, not chunked (which some servers and proxies do
/// not read: they take the chunk's end for another request), as skopeo
/// sends them.
#[test]
fn request_bodies_say_their_length() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        if ["POST", "PUT", "PATCH"].contains(&req.method.as_str()) {
            let h = |k: &str| req.headers.get(k).cloned().unwrap_or_default();
            seen2.lock().unwrap().push(format!(
                "{} {} te={} cl={}",
                req.method,
                req.path.split('?').next().unwrap(),
                h("transfer-encoding"),
                h("content-length")
            ));
        }
        Action::Forward { cut_body_at: None }
    });
    // The archive's layers are plain tars: gzipped on the way, sent in
    // chunks of unknown number, then an empty PUT.
    let archive = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let repo = unique("lengths/tiny");
    ok(lade()
        .args(["copy", "-q", "--dest-tls-verify=false", &archive])
        .arg(format!("docker://{proxy}/{repo}:1"))
        .env("LADE_UPLOAD_CHUNK_SIZE", "1024"));
    let big = big_layout(&t.path().join("big"), 3 << 20);
    ok(lade()
        .args(["copy", "-q", "--dest-tls-verify=false"])
        .args(["--dest-compress-format", "none", &big])
        .arg(format!("docker://{proxy}/{repo}:2"))
        .env("LADE_UPLOAD_CHUNK_SIZE", "1048576"));
    let seen = seen.lock().unwrap().clone();
    for kind in ["POST", "PATCH", "PUT"] {
        assert!(
            seen.iter().any(|l| l.starts_with(kind)),
            "{kind}: {seen:#?}"
        );
    }
    assert!(
        seen.iter()
            .any(|l| l.starts_with("PUT") && l.ends_with("cl=0")),
        "{seen:#?}"
    );
    let bad: Vec<_> = seen
        .iter()
        .filter(|l| !l.contains("te= ") || l.ends_with("cl="))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    // What went up is whole.
    assert_eq!(
        digest_of(&format!("docker://{reg}/{repo}:2"), &["--tls-verify=false"]),
        digest_of(&big, &[])
    );
}

#[test]
fn bad_registry_answers_are_clear_errors() {
    let t = tempdir();
    let good_manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec();
    let gm = good_manifest.clone();
    let fake = serve(None, move |req| {
        let p = req.path.as_str();
        if p == "/v2/" {
            return Action::Respond(response("200 OK", &[], b"{}"));
        }
        if p.starts_with("/v2/badauth/") {
            return Action::Respond(response(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Bearer realm=\"unterminated".into())],
                b"",
            ));
        }
        // An empty Docker-Content-Digest is none.
        if p.starts_with("/v2/emptydcd/manifests/") {
            return Action::Respond(response(
                "200 OK",
                &[
                    (
                        "Content-Type",
                        "application/vnd.oci.image.manifest.v1+json".into(),
                    ),
                    ("Docker-Content-Digest", "".into()),
                ],
                &gm,
            ));
        }
        if p.starts_with("/v2/mismatch/manifests/") {
            return Action::Respond(response(
                "200 OK",
                &[
                    (
                        "Content-Type",
                        "application/vnd.oci.image.manifest.v1+json".into(),
                    ),
                    (
                        "Docker-Content-Digest",
                        "sha256:0000000000000000000000000000000000000000000000000000000000000000"
                            .into(),
                    ),
                ],
                &gm,
            ));
        }
        // A web page in a registry's place (a proxy's login page), and
        // a tag list with its key twice.
        if p.starts_with("/v2/html/") {
            return Action::Respond(response(
                "200 OK",
                &[("Content-Type", "text/html; charset=utf-8".into())],
                b"<!DOCTYPE html><html><body>Log in to the proxy</body></html>",
            ));
        }
        if p.starts_with("/v2/dups/tags/list") {
            return Action::Respond(response(
                "200 OK",
                &[("Content-Type", "application/json".into())],
                br#"{"name":"dups","tags":["a"],"tags":["b"]}"#,
            ));
        }
        if p.starts_with("/v2/huge/manifests/") {
            let mut body = b"{\"schemaVersion\":2,\"layers\":[],\"x\":\"".to_vec();
            body.resize(10 << 20, b'a');
            body.extend_from_slice(b"\"}");
            return Action::Respond(response(
                "200 OK",
                &[(
                    "Content-Type",
                    "application/vnd.oci.image.manifest.v1+json".into(),
                )],
                &body,
            ));
        }
        Action::Respond(response("404 Not Found", &[], b"{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}"))
    });
    // (An unknown repository is a negative answer, exit 1.)
    for (repo, want, code) in [
        ("badauth", "unterminated quoted string", 3),
        ("mismatch", "Docker-Content-Digest", 3),
        ("huge", "byte limit", 3),
        ("unknown", "NAME_UNKNOWN", 1),
    ] {
        let dst = t.path().join(repo);
        let err = fails_with(
            lade().args([
                "copy",
                "--src-tls-verify=false",
                &format!("docker://{fake}/{repo}:1"),
                &oci(&dst, "x"),
            ]),
            code,
        );
        assert!(err.contains(want), "{repo}: {err}");
        assert_eq!(err.lines().count(), 1, "{repo}: {err}");
        assert_eq!(blob_count(&dst), 0, "{repo}");
    }
    let raw = ok(lade().args([
        "inspect",
        "--raw",
        INSECURE,
        &format!("docker://{fake}/emptydcd:1"),
    ]));
    assert_eq!(raw, good_manifest);
    // The page is said as what it is, with where it came from (it was
    // "manifest is not a JSON object: expected value at line 1 column 1").
    let html = format!("docker://{fake}/html/app:1");
    for args in [
        vec!["inspect", INSECURE, html.as_str()],
        vec!["inspect", "--raw", INSECURE, html.as_str()],
    ] {
        let err = fails_with(lade().args(&args), 3);
        assert!(
            err.contains(&format!(
                "got text/html from http://{fake}/v2/html/app/manifests/1, not a manifest"
            )),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let err = fails_with(
        lade().args(["list-tags", INSECURE, &format!("docker://{fake}/html/app")]),
        3,
    );
    assert!(err.contains("is no JSON object (got text/html)"), "{err}");
    // A tag list refused names its repository (it said "tag list:
    // duplicate field").
    let err = fails_with(
        lade().args(["list-tags", INSECURE, &format!("docker://{fake}/dups")]),
        3,
    );
    assert!(
        err.contains(&format!(
            "registry {fake}: tag list of dups: duplicate field `tags`"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A registries.conf mirror that answers the manifest's HEAD (200) but
/// not its GET (404: a proxy cache, a mirror half synced) is passed over
/// for the registry itself, as skopeo passes it over (it asks each mirror
/// with a GET); lade asked with a HEAD, chose the mirror, and failed the
/// copy on the GET. One whose GET brings a web page (a proxy's login
/// page, 200) is passed over too, where skopeo fails on the page.
#[test]
fn a_mirror_that_fails_the_manifest_get_is_passed_over() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(tiny) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let other = big_layout(&t.path().join("big"), 2048);
    let ns = unique("mirrorget");
    for (src, dst) in [(&tiny, "primary/app:1"), (&other, "mirror/app:1")] {
        ok(lade().args([
            "copy",
            "-q",
            DEST_INSECURE,
            src,
            &format!("docker://{reg}/{ns}/{dst}"),
        ]));
    }
    let primary_d = digest_of(&format!("docker://{reg}/{ns}/primary/app:1"), &[INSECURE]);
    for fault in ["404", "html"] {
        let gets = Arc::new(AtomicUsize::new(0));
        let g2 = gets.clone();
        let mirror = serve(Some(reg.clone()), move |req| {
            if req.method == "GET" && req.path.contains("/manifests/") {
                g2.fetch_add(1, Ordering::SeqCst);
                return Action::Respond(match fault {
                    "404" => response(
                        "404 Not Found",
                        &[("Content-Type", "application/json".into())],
                        br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                    ),
                    _ => response(
                        "200 OK",
                        &[("Content-Type", "text/html".into())],
                        b"<html><body>Log in</body></html>",
                    ),
                });
            }
            Action::Forward { cut_body_at: None }
        });
        let conf = t.path().join(format!("registries-{fault}.conf"));
        fs::write(
            &conf,
            format!(
                r#"[[registry]]
prefix = "{reg}/{ns}/logical"
location = "{reg}/{ns}/primary"
insecure = true
[[registry.mirror]]
location = "{mirror}/{ns}/mirror"
insecure = true
"#
            ),
        )
        .unwrap();
        let rc = conf.to_str().unwrap();
        let image = format!("docker://{reg}/{ns}/logical/app:1");
        // The mirror answers the HEAD: it holds something by that tag.
        let mut c = TcpStream::connect(&mirror).unwrap();
        write!(
            c,
            "HEAD /v2/{ns}/mirror/app/manifests/1 HTTP/1.1\r\nHost: {mirror}\r\n\
             Accept: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut head = String::new();
        let _ = c.read_to_string(&mut head);
        assert!(head.starts_with("HTTP/1.1 200"), "{fault}: {head}");
        let ours = json(&ok(lade().args([
            "--registries-conf",
            rc,
            "inspect",
            "-n",
            &image,
        ])));
        assert_eq!(ours["Digest"], primary_d.as_str(), "{fault}");
        // skopeo passes over a mirror whose GET fails (404), and takes
        // the page a 200 brings for the manifest, failing on it; lade
        // passes over a mirror that gives no manifest either way.
        let theirs = run(skopeo().args(["--registries-conf", rc, "inspect", "-n", &image]));
        if fault == "404" {
            assert!(theirs.status.success(), "{theirs:?}");
            assert_eq!(json(&theirs.stdout)["Digest"], ours["Digest"]);
        } else {
            assert!(!theirs.status.success(), "{theirs:?}");
        }
        let out = t.path().join(format!("out-{fault}"));
        let o = run(lade().args([
            "--registries-conf",
            rc,
            "copy",
            "-q",
            &image,
            &oci(&out, "x"),
        ]));
        assert!(
            o.status.success(),
            "{fault}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(digest_of(&oci(&out, "x"), &[]), primary_d, "{fault}");
        assert!(
            gets.load(Ordering::SeqCst) >= 2,
            "{fault}: the mirror was asked"
        );
    }
}

/// A registry whose `GET /v2/` answers 401 with no challenge lade can
/// answer (no WWW-Authenticate at all, or Negotiate alone) while its
/// repositories need none: read unauthenticated, as skopeo reads it (the
/// ping's 401 ended every command). A repository that then answers such
/// a 401 itself still fails, saying why.
#[test]
fn a_ping_challenge_lade_cannot_answer_is_not_the_end() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some((_, repo)) = fixture_pushed(&reg, t.path(), "ping401/a") else {
        return;
    };
    for header in [None, Some("Negotiate")] {
        let front = serve(Some(reg.clone()), move |req| {
            if req.path == "/v2/" || req.path.starts_with("/v2/closed/") {
                let h: Vec<(&str, String)> = header
                    .iter()
                    .map(|v| ("WWW-Authenticate", v.to_string()))
                    .collect();
                return Action::Respond(response("401 Unauthorized", &h, b""));
            }
            Action::Forward { cut_body_at: None }
        });
        let image = format!("docker://{front}/{repo}:1");
        let theirs = ok(skopeo().args(["inspect", "--raw", INSECURE, &image]));
        let ours = ok(lade().args(["inspect", "--raw", INSECURE, &image]));
        assert_eq!(ours, theirs, "{header:?}");
        let out = ok(lade().args(["list-tags", INSECURE, &format!("docker://{front}/{repo}")]));
        assert_eq!(json(&out)["Tags"], json!(["1"]), "{header:?}");
        let err = fails_with(
            lade().args(["inspect", INSECURE, &format!("docker://{front}/closed/x:1")]),
            3,
        );
        let want = match header {
            None => "401 Unauthorized without a WWW-Authenticate header",
            Some(_) => "no Basic or Bearer challenge (only negotiate)",
        };
        assert!(
            err.contains("/v2/closed/x/manifests/1") && err.contains(want),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// A registry that lets an image be read but not its repository's tags
/// be listed (as AWS ECR does without ecr:ListImages): inspect goes on
/// with RepoTags null and a warning, as skopeo's does; list-tags fails.
#[test]
fn inspect_goes_on_when_the_tag_list_is_denied() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some((_src, repo)) = fixture_pushed(&reg, t.path(), "denied/list") else {
        return;
    };
    let lists = Arc::new(AtomicUsize::new(0));
    let l2 = lists.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        if req.path.contains("/tags/list") {
            l2.fetch_add(1, Ordering::SeqCst);
            return Action::Respond(response(
                "403 Forbidden",
                &[("Content-Type", "application/json".into())],
                // (Its message with a line break and an escape sequence: the
                // warning stays one line.)
                br#"{"errors":[{"code":"DENIED","message":"not allowed\nto list \u001b[31mimages"}]}"#,
            ));
        }
        Action::Forward { cut_body_at: None }
    });
    let image = format!("docker://{proxy}/{repo}:1");
    let o = run(lade().args(["inspect", INSECURE, &image]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let l = json(&o.stdout);
    assert_eq!(l["RepoTags"], Value::Null);
    assert!(err.contains("tag list") && err.contains("DENIED"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    assert_eq!(lists.load(Ordering::SeqCst), 1);
    // skopeo goes on the same way, and the rest agrees.
    let s = json(&ok(skopeo().args(["inspect", INSECURE, &image])));
    assert_eq!(s["RepoTags"], l["RepoTags"]);
    assert_eq!(s["Digest"], l["Digest"]);
    // --no-tags does not ask.
    lists.store(0, Ordering::SeqCst);
    let o = run(lade().args(["inspect", "--no-tags", INSECURE, &image]));
    assert!(o.status.success());
    assert_eq!(json(&o.stdout)["RepoTags"], json!([]));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(lists.load(Ordering::SeqCst), 0);
    // A listing that fails otherwise fails the inspect, saying it was the
    // listing (the image itself was read) and how to do without.
    let broken = serve(Some(reg.clone()), move |req| {
        if req.path.contains("/tags/list") {
            return Action::Respond(response("500 Internal Server Error", &[], b"down"));
        }
        Action::Forward { cut_body_at: None }
    });
    let err = fails_with(
        lade().args(["inspect", INSECURE, &format!("docker://{broken}/{repo}:1")]),
        3,
    );
    assert!(
        err.contains("listing its repository's tags for RepoTags (--no-tags skips that)")
            && err.contains("500"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Listing is what was asked: a one-line failure, exit 3.
    let err = fails_with(
        lade().args(["list-tags", INSECURE, &format!("docker://{proxy}/{repo}")]),
        3,
    );
    assert!(err.contains("403") && err.contains("DENIED"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // A token registry whose tokens never reach the listing (401 with
    // error="insufficient_scope", after a token was fetched) is refusing
    // it too. (skopeo 1.9 fails the inspect here; lade goes on, as for
    // the 403.)
    let me = Arc::new(Mutex::new(String::new()));
    let me2 = me.clone();
    let repo2 = repo.clone();
    let scoped = serve(Some(reg.clone()), move |req| {
        if req.path.starts_with("/token") {
            return Action::Respond(response(
                "200 OK",
                &[("Content-Type", "application/json".into())],
                br#"{"token":"t"}"#,
            ));
        }
        if req.path.contains("/tags/list") {
            let challenge = format!(
                "Bearer realm=\"http://{}/token\",service=\"s\",\
                 scope=\"repository:{repo2}:pull\",error=\"insufficient_scope\"",
                me2.lock().unwrap()
            );
            return Action::Respond(response(
                "401 Unauthorized",
                &[
                    ("Content-Type", "application/json".into()),
                    ("WWW-Authenticate", challenge),
                ],
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            ));
        }
        Action::Forward { cut_body_at: None }
    });
    *me.lock().unwrap() = scoped.clone();
    let image = format!("docker://{scoped}/{repo}:1");
    let o = run(lade().args(["inspect", INSECURE, &image]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(json(&o.stdout)["RepoTags"], Value::Null);
    assert!(
        err.contains("tag list") && err.contains("insufficient_scope"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A fake registry (plain HTTP) of one image whose 4 MiB layer stops
/// halfway: the first half is sent, then nothing for a minute. Returns
/// its address, the layer's hex digest and how many times it stalled.
fn stalling_registry() -> (String, String, Arc<AtomicUsize>) {
    // A layer of four 1 MiB files (unpack gets two in before the stall).
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..4 {
        let mut h = tar::Header::new_ustar();
        h.set_size(1 << 20);
        h.set_mode(0o644);
        b.append_data(&mut h, format!("f{i}"), &vec![7u8; 1 << 20][..])
            .unwrap();
    }
    let layer = b.into_inner().unwrap();
    let layer_d = format!("sha256:{}", sha256_hex(&layer));
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_d]},
    }))
    .unwrap();
    let config_d = format!("sha256:{}", sha256_hex(&config));
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_d, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_d, "size": layer.len()}],
    }))
    .unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let layer_hex = layer_d[7..].to_string();
    let stalls = Arc::new(AtomicUsize::new(0));
    let stalls2 = stalls.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let (manifest, config, layer, layer_d) = (
                manifest.clone(),
                config.clone(),
                layer.clone(),
                layer_d.clone(),
            );
            let stalled = stalls2.clone();
            std::thread::spawn(move || {
                // Plain HTTP only: a TLS hello is hung up on.
                let mut first = [0u8; 1];
                if c.peek(&mut first).is_err() || first[0] == 0x16 {
                    return;
                }
                while let Some((req, _)) = read_head(&mut c) {
                    let p = req.path.as_str();
                    let (status, ct, body): (&str, &str, &[u8]) = if p == "/v2/" {
                        ("200 OK", "application/json", b"{}")
                    } else if p.contains("/mute/manifests/") {
                        // Half the manifest, then nothing more.
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n",
                            manifest.len()
                        );
                        let _ = c.write_all(head.as_bytes());
                        let _ = c.write_all(&manifest[..manifest.len() / 2]);
                        std::thread::sleep(Duration::from_secs(60));
                        return;
                    } else if p.contains("/manifests/") {
                        (
                            "200 OK",
                            "application/vnd.oci.image.manifest.v1+json",
                            &manifest,
                        )
                    } else if p.ends_with(&layer_d) {
                        // Half the layer, then nothing more.
                        let head =
                            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", layer.len());
                        let _ = c.write_all(head.as_bytes());
                        let _ = c.write_all(&layer[..layer.len() / 2]);
                        stalled.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_secs(60));
                        return;
                    } else if p.contains("/blobs/") {
                        ("200 OK", "application/octet-stream", &config)
                    } else {
                        ("404 Not Found", "application/json", b"{}")
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if c.write_all(head.as_bytes()).is_err() || c.write_all(body).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, layer_hex, stalls)
}

/// --command-timeout ends a copy stuck on a registry that stops sending
/// a layer midway: exit 3 at about the time given, one line, and at the
/// destination nothing partial (no temp file, no ref; only whole blobs).
#[test]
fn command_timeout_ends_a_stuck_copy_cleanly() {
    let t = tempdir();
    let (addr, layer_hex, stalls) = stalling_registry();
    for dest in ["oci", "dir"] {
        let d = t.path().join(dest);
        let target = match dest {
            "oci" => oci(&d, "x"),
            _ => format!("dir:{}", d.display()),
        };
        let t0 = Instant::now();
        let err = fails_with(
            lade().args([
                "--command-timeout",
                "2s",
                "copy",
                "-q",
                "--src-tls-verify=false",
                &format!("docker://{addr}/stuck:1"),
                &target,
            ]),
            3,
        );
        let took = t0.elapsed();
        // It was stuck where meant: half into the layer.
        assert_eq!(stalls.swap(0, Ordering::SeqCst), 1, "{dest}: {err}");
        assert!(err.contains("--command-timeout 2s"), "{dest}: {err}");
        assert_eq!(err.lines().count(), 1, "{dest}: {err}");
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(20),
            "{dest}: {took:?}"
        );
        // Whatever is left: whole blobs only, no temp files, no ref.
        let mut left = Vec::new();
        let mut stack = vec![d.clone()];
        while let Some(p) = stack.pop() {
            let Ok(rd) = fs::read_dir(&p) else { continue };
            for e in rd.flatten() {
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    left.push(e.path());
                }
            }
        }
        for f in &left {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            assert!(!name.starts_with('.'), "{dest}: temp file left: {f:?}");
            assert_ne!(name, "manifest.json", "{dest}: {f:?}");
            if f.parent().unwrap().ends_with("blobs/sha256") {
                assert_eq!(sha256_hex(&fs::read(f).unwrap()), name, "{dest}: {f:?}");
            }
            if name == "index.json" {
                let v = json(&fs::read(f).unwrap());
                assert_eq!(v["manifests"], json!([]), "{dest}: {v}");
            }
        }
        assert!(!left.iter().any(|f| f.ends_with(&layer_hex)), "{dest}");
        // and a dir: the copy made is taken back whole (an oci: layout
        // may have another writer by then: its whole blobs stay, for gc)
        if dest == "dir" {
            assert!(!d.exists(), "{dest}: left {left:?}");
        }
    }
    // An unpack stuck the same way: the directory it made goes, and a
    // bundle's rootfs in a directory that was there.
    for (bundle, d) in [(false, t.path().join("u")), (true, t.path().join("b"))] {
        if bundle {
            fs::create_dir(&d).unwrap();
        }
        let mut cmd = lade();
        cmd.args([
            "--command-timeout",
            "2s",
            "unpack",
            "-q",
            "--tls-verify=false",
        ]);
        if bundle {
            cmd.arg("--bundle");
        }
        let err = fails_with(cmd.arg(format!("docker://{addr}/stuck:1")).arg(&d), 3);
        assert_eq!(stalls.swap(0, Ordering::SeqCst), 1, "{err}");
        assert!(err.contains("--command-timeout 2s"), "{err}");
        if bundle {
            assert_eq!(fs::read_dir(&d).unwrap().count(), 0, "{d:?}");
        } else {
            assert!(!d.exists(), "{d:?}");
        }
    }
}

/// Under --progress=json, the blob --command-timeout cuts is closed with a
/// blob_failed naming the timeout, the line before the error: a script
/// knows which blobs were cut (it had a blob_start and no other end).
#[test]
fn command_timeout_closes_the_json_blobs_under_way() {
    let t = tempdir();
    let (addr, layer_hex, stalls) = stalling_registry();
    let d = t.path().join("oci");
    let o = run(lade().args([
        "--command-timeout",
        "2s",
        "copy",
        "--progress=json",
        "--src-tls-verify=false",
        &format!("docker://{addr}/stuck:1"),
        &oci(&d, "x"),
    ]));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(stalls.load(Ordering::SeqCst), 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let why = "the command ran out of time (--command-timeout 2s)";
    assert!(
        lines[lines.len() - 1].starts_with(&format!("lade: error: {why}")),
        "{err}"
    );
    audited(&err);
    let failed = events(&err, "blob_failed");
    assert_eq!(failed.len(), 1, "{err}");
    assert_eq!(failed[0]["digest"], format!("sha256:{layer_hex}"), "{err}");
    assert_eq!(failed[0]["error"], why, "{err}");
    assert!(
        failed[0]["image"]
            .as_str()
            .is_some_and(|i| i.contains("stuck:1")),
        "{err}"
    );
    assert!(lines[lines.len() - 2].contains("\"blob_failed\""), "{err}");
}

/// A sync that --command-timeout ends while a blob is under way closes it
/// with a blob_failed too (the events of each image of a sync are its).
#[test]
fn command_timeout_closes_a_syncs_json_blobs_under_way() {
    let t = tempdir();
    let (addr, layer_hex, stalls) = stalling_registry();
    let o = run(lade().args([
        "--command-timeout",
        "2s",
        "sync",
        "--progress=json",
        "--src-tls-verify=false",
        &format!("docker://{addr}/stuck:1"),
        &format!("oci:{}", t.path().join("mirror").display()),
    ]));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(stalls.load(Ordering::SeqCst), 1, "{err}");
    let why = "the command ran out of time (--command-timeout 2s)";
    let failed: Vec<Value> = audited(&err)
        .into_iter()
        .filter(|v| v["event"] == "blob_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{err}");
    assert_eq!(failed[0]["digest"], format!("sha256:{layer_hex}"), "{err}");
    assert_eq!(failed[0]["error"], why, "{err}");
}

/// The registry at `reg` behind a proxy that answers writes naming `hex`
/// (an upload, a PUT) with 403 "no configs here".
fn refusing_writes_naming(reg: &str, hex: String) -> String {
    serve(Some(reg.to_string()), move |req| {
        if req.method != "HEAD" && req.path.contains(&hex) {
            let body = br#"{"errors":[{"code":"DENIED","message":"no configs here"}]}"#;
            let h = [("Content-Type", "application/json".to_string())];
            return Action::Respond(response("403 Forbidden", &h, body));
        }
        Action::Forward { cut_body_at: None }
    })
}

/// Under --progress=json, a config whose upload the registry refuses is
/// closed with a blob_failed, as a layer is: every blob_start has an end
/// (the config's write said nothing of its failure before).
#[test]
fn a_refused_config_upload_ends_with_blob_failed() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src = big_layout(&t.path().join("big"), 64 << 10);
    let config = json(&ok(lade().args(["inspect", "--raw", &src])))["config"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let hex = config[7..].to_string();
    let proxy = refusing_writes_naming(&reg, hex);
    let o = run(lade().args([
        "copy",
        "--progress=json",
        "--retry-times",
        "0",
        "--dest-tls-verify=false",
        &src,
        &format!("docker://{proxy}/{}:1", unique("fault/config")),
    ]));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("no configs here"), "{err}");
    let events = audited(&err);
    let ends: Vec<&Value> = events
        .iter()
        .filter(|v| v["digest"] == config.as_str() && v["event"] != "blob_start")
        .collect();
    assert_eq!(ends.len(), 1, "{err}");
    assert_eq!(ends[0]["event"], "blob_failed", "{err}");
}

/// The same out of the Docker daemon (the config is started after the
/// export's stream, and put from memory): the registry refusing the
/// config's upload ends its blob_start with one blob_failed, and every
/// other blob_start has its end too.
#[test]
fn a_refused_config_upload_out_of_the_daemon_ends_with_blob_failed() {
    let Some(host) = docker_host() else { return };
    let Some(reg) = registry() else { return };
    let img = base_image(&host);
    let info = json(&ok(docker(&host).args(["image", "inspect", img])));
    let config = info[0]["Id"].as_str().unwrap().to_string();
    let hex = config[7..].to_string();
    let proxy = refusing_writes_naming(&reg, hex);
    let o = run(lade().env("DOCKER_HOST", &host).args([
        "copy",
        "--progress=json",
        "--retry-times",
        "0",
        "--dest-tls-verify=false",
        &format!("docker-daemon:{img}"),
        &format!("docker://{proxy}/{}:1", unique("fault/dconfig")),
    ]));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("no configs here"), "{err}");
    let mut open: Vec<String> = Vec::new();
    let mut config_ends = Vec::new();
    for l in err.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(l).unwrap();
        let d = v["digest"].as_str().unwrap_or("").to_string();
        match v["event"].as_str().unwrap() {
            "blob_start" => open.push(d),
            ev @ ("blob_done" | "blob_failed" | "blob_skipped" | "blob_reused") => {
                if d == config {
                    config_ends.push(ev.to_string());
                }
                open.retain(|o| *o != d);
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "started, never ended: {open:?}\n{err}");
    assert_eq!(config_ends, ["blob_failed"], "{err}");
}

/// A copy that made a layout and is then interrupted takes nothing of
/// what another process committed into it meanwhile.
#[test]
fn an_interrupted_copy_leaves_what_another_wrote_into_its_layout() {
    let t = tempdir();
    let (addr, _layer_hex, stalls) = stalling_registry();
    let d = t.path().join("shared");
    let mut a = std::process::Command::new(env!("CARGO_BIN_EXE_lade"))
        .env("LADE_BLOB_CACHE", "off")
        .args(["copy", "-q", "--src-tls-verify=false"])
        .arg(format!("docker://{addr}/stuck:1"))
        .arg(oci(&d, "a"))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while stalls.load(Ordering::SeqCst) == 0 || !d.join("oci-layout").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the copy never stalled"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let b = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    ok(lade().args(["copy", "-q", &b, &oci(&d, "b")]));
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(a.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    a.wait().unwrap();
    let refs = ok_str(lade().arg("--store").arg(&d).arg("ls-refs"));
    assert!(refs.starts_with("b\t"), "{refs}");
    ok(lade().arg("--store").arg(&d).arg("fsck"));
}

/// --command-timeout (or a signal) while a password is asked for with the
/// terminal's echo off: the terminal gets its echo back.
#[test]
fn a_timeout_at_the_password_prompt_gives_the_terminal_back() {
    if !require_tool("script") || !require_tool("stty") {
        return;
    }
    let cmd = format!(
        "{} --command-timeout 1s login -u someone 127.0.0.1:9; echo status=$?; stty -a",
        env!("CARGO_BIN_EXE_lade")
    );
    // script(1) runs it on a pty; its own stdin stays open and silent.
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held = child.stdin.take();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child.wait().unwrap();
    drop(held);
    assert!(out.contains("Password: "), "{out}");
    assert!(out.contains("ran out of time"), "{out}");
    assert!(out.contains("status=3"), "{out}");
    let settings = out.split("status=3").nth(1).unwrap();
    let flags: Vec<&str> = settings.split_whitespace().collect();
    assert!(flags.contains(&"echo"), "{settings}");
    assert!(!flags.contains(&"-echo"), "{settings}");
}

/// A registry that stops sending midway, with no --command-timeout: after
/// the idle time (5 minutes; LADE_IDLE_TIMEOUT here) without a byte the
/// read fails, is retried (--retry-times), and then fails the copy with a
/// one-line error, nothing partial left.
#[test]
fn a_registry_gone_silent_fails_after_the_idle_timeout() {
    let t = tempdir();
    let (addr, _, stalls) = stalling_registry();
    let d = t.path().join("oci");
    let t0 = Instant::now();
    let err = fails_with(
        lade().env("LADE_IDLE_TIMEOUT", "1s").args([
            "copy",
            "-q",
            "--retry-times",
            "1",
            "--retry-delay",
            "100ms",
            "--src-tls-verify=false",
            &format!("docker://{addr}/stuck:1"),
            &oci(&d, "x"),
        ]),
        3,
    );
    let took = t0.elapsed();
    assert!(err.contains("carried no data for 1s"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The first GET, and again on the retry (each also asked to resume,
    // which this registry cannot: it answers 200 and stalls again).
    assert!(stalls.load(Ordering::SeqCst) >= 2, "{err}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(blob_count(&d) <= 1, "only the config, if anything");
    // A manifest that stops midway is said the same way.
    let err = fails_with(
        lade().env("LADE_IDLE_TIMEOUT", "1s").args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{addr}/mute:1"),
        ]),
        3,
    );
    assert!(
        err.contains("reading manifest") && err.contains("carried no data for 1s"),
        "{err}"
    );
    // A bad value is refused, not taken as no limit.
    let err = fails_with(
        lade().env("LADE_IDLE_TIMEOUT", "soon").args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{addr}/stuck:1"),
        ]),
        3,
    );
    assert!(err.contains("LADE_IDLE_TIMEOUT"), "{err}");
}

#[test]
fn proxy_faults_are_retried_resumed_and_reported() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src = big_layout(&t.path().join("big"), 3 << 20);
    let repo = unique("fault/big");
    let dst = format!("docker://{reg}/{repo}:1");
    // As it is (not gzipped on the way): the digest stays the layout's.
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--dest-compress-format",
        "none",
        &src,
        &dst,
    ]));
    let want = digest_of(&src, &[]);
    let layer = json(&ok(lade().args(["inspect", "--raw", &src])))["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let layer_size = json(&ok(lade().args(["inspect", "--raw", &src])))["layers"][0]["size"]
        .as_u64()
        .unwrap();
    let config_size = json(&ok(lade().args(["inspect", "--raw", &src])))["config"]["size"]
        .as_u64()
        .unwrap();
    let config = json(&ok(lade().args(["inspect", "--raw", &src])))["config"]["digest"]
        .as_str()
        .unwrap()
        .to_string();

    // The other host a 307 points to: records the headers it gets.
    // With `asks` set, it wants a token from a realm of its own.
    let seen_auth = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let seen = seen_auth.clone();
    let asks = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let asks2 = asks.clone();
    let forbids = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let forbids2 = forbids.clone();
    let other_addr = Arc::new(Mutex::new(String::new()));
    let other_addr2 = other_addr.clone();
    let other = serve(Some(reg.clone()), move |req| {
        seen.lock()
            .unwrap()
            .push(req.headers.get("authorization").cloned());
        if forbids2.load(Ordering::SeqCst) {
            return Action::Respond(response("403 Forbidden", &[], b""));
        }
        if asks2.load(Ordering::SeqCst) {
            let realm = format!("http://{}/token", other_addr2.lock().unwrap());
            return Action::Respond(response(
                "401 Unauthorized",
                &[(
                    "WWW-Authenticate",
                    format!("Bearer realm=\"{realm}\",service=\"cdn\""),
                )],
                b"",
            ));
        }
        Action::Forward { cut_body_at: None }
    });
    *other_addr.lock().unwrap() = other.clone();

    let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let cnt = counts.clone();
    let mode = Arc::new(Mutex::new(String::new()));
    let m = mode.clone();
    let layer2 = layer.clone();
    let config2 = config.clone();
    let sent_with_auth = Arc::new(Mutex::new(false));
    let sent2 = sent_with_auth.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        let mode = m.lock().unwrap().clone();
        let key = format!("{} {}", req.method, req.path);
        let n = {
            let mut c = cnt.lock().unwrap();
            let e = c.entry(key).or_insert(0);
            *e += 1;
            *e
        };
        let is_manifest = req.path.contains("/manifests/") && req.method == "GET";
        let is_layer = req.path.ends_with(&layer2) && req.method == "GET";
        let is_config = req.path.ends_with(&config2) && req.method == "GET";
        let authed = req.headers.contains_key("authorization");
        if mode == "redirect" && !authed {
            return Action::Respond(response(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"proxy\"".into())],
                b"",
            ));
        }
        if mode == "redirect" && is_layer {
            *sent2.lock().unwrap() = true;
        }
        match mode.as_str() {
            "429" if is_manifest && n == 1 => Action::Respond(response(
                "429 Too Many Requests",
                &[("Retry-After", "1".into())],
                b"",
            )),
            "429long" if is_manifest && n == 1 => Action::Respond(response(
                "429 Too Many Requests",
                &[("Retry-After", "5".into())],
                b"",
            )),
            "503after" if is_manifest && n == 1 => Action::Respond(response(
                "503 Service Unavailable",
                &[("Retry-After", "2".into())],
                b"",
            )),
            "503" if is_manifest && n <= 2 => {
                Action::Respond(response("503 Service Unavailable", &[], b""))
            }
            "503always" if is_manifest => {
                Action::Respond(response("503 Service Unavailable", &[], b""))
            }
            "ping429" if req.path == "/v2/" && n == 1 => Action::Respond(response(
                "429 Too Many Requests",
                &[("Retry-After", "2".into())],
                b"",
            )),
            "ping429date" if req.path == "/v2/" && n <= 2 => Action::Respond(response(
                "429 Too Many Requests",
                &[(
                    "Retry-After",
                    [
                        "Wed, 31 Dec 1969 23:59:59 GMT",
                        "Fri, 31 Dec 99999999999 23:59:59 GMT",
                    ][n - 1]
                        .into(),
                )],
                b"",
            )),
            "ping429past" if req.path == "/v2/" && n <= 2 => Action::Respond(response(
                "429 Too Many Requests",
                &[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT".into())],
                b"",
            )),
            "ping503" if req.path == "/v2/" && n <= 2 => {
                Action::Respond(response("503 Service Unavailable", &[], b""))
            }
            // The layer's bytes changed on the way, once.
            "zeros" if is_layer && n == 1 => {
                Action::Respond(response("200 OK", &[], &vec![0u8; layer_size as usize]))
            }
            "reset" if is_layer && n == 1 => Action::Forward {
                cut_body_at: Some(layer_size * 6 / 10),
            },
            // The manifest cut after its first byte, once.
            "manifest_cut" if is_manifest && n == 1 => Action::Forward {
                cut_body_at: Some(1),
            },
            // The layer cut, and the resuming Range GET not honoured (a
            // 200, nothing of the rest): the blob is read again whole.
            "no_range" if is_layer && n == 1 => Action::Forward {
                cut_body_at: Some(layer_size * 6 / 10),
            },
            "no_range" if is_layer && n == 2 => Action::Respond(response("200 OK", &[], b"")),
            // The same for the config, read whole by itself.
            "config_no_range" if is_config && n == 1 => Action::Forward {
                cut_body_at: Some(config_size / 2),
            },
            "config_no_range" if is_config && n == 2 => {
                Action::Respond(response("200 OK", &[], b""))
            }
            "redirect" if is_layer => Action::Respond(response(
                "307 Temporary Redirect",
                &[("Location", format!("http://{other}{}", req.path))],
                b"",
            )),
            _ => Action::Forward { cut_body_at: None },
        }
    });
    let pull = |name: &str, extra: &[&str]| {
        let d = t.path().join(name);
        let mut c = lade();
        c.args(["copy", "-q", "--src-tls-verify=false"])
            .args(extra)
            .arg(format!("docker://{proxy}/{repo}:1"))
            .arg(oci(&d, "x"));
        (run(&mut c), d)
    };
    // (a pull that must arrive whole)
    let pulled = |name: &str, extra: &[&str]| {
        let (o, d) = pull(name, extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(digest_of(&oci(&d, "x"), &[]), want);
    };
    let set = |s: &str| {
        *mode.lock().unwrap() = s.to_string();
        counts.lock().unwrap().clear();
    };

    // 429 with Retry-After: waited out, without --retry-times too (as
    // skopeo waits out a rate limit).
    for (name, extra) in [("a", &["--retry-times", "3"][..]), ("a0", &[])] {
        set("429");
        let t0 = Instant::now();
        pulled(name, extra);
        assert!(
            t0.elapsed() >= Duration::from_millis(900),
            "Retry-After not honoured"
        );
    }
    // A 503's Retry-After is waited out too (the pause would be 0.5 s).
    set("503after");
    let t0 = Instant::now();
    pulled("a503", &["--retry-times", "1"]);
    assert!(
        t0.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        t0.elapsed()
    );

    // 503 twice, then success.
    set("503");
    let (o, _) = pull("b", &["--retry-times", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // After --retry-times is spent: the error names registry, request, status.
    set("503always");
    let (o, d) = pull("c", &["--retry-times", "2"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&proxy) && err.contains("GET /v2/") && err.contains("503"),
        "{err}"
    );
    assert_eq!(blob_count(&d), 0);
    let n = counts
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.contains("/manifests/"))
        .map(|(_, v)| *v)
        .sum::<usize>();
    assert_eq!(n, 3, "1 try + 2 retries");

    // The first request, GET /v2/, is retried too (a registry starting
    // up behind its proxy); without --retry-times, one try.
    let pings = || counts.lock().unwrap().get("GET /v2/").copied();
    set("ping503");
    let (o, d) = pull("f", &[]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("GET /v2/: 503"), "{err}");
    assert_eq!(pings(), Some(1));
    assert!(!d.exists());
    set("ping503");
    pulled("f", &["--retry-times", "2"]);
    assert!(pings() >= Some(3), "{:?}", pings());
    // Its Retry-After is waited out (the pause would be 0.5 s otherwise).
    set("ping429");
    let t0 = Instant::now();
    pulled("g", &["--retry-times", "1"]);
    assert!(
        t0.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(pings(), Some(2));
    // A Retry-After date a registry makes up (before 1970, past any year)
    // is no date: the usual pause, no crash.
    set("ping429date");
    pulled("g2", &["--retry-times", "2"]);
    assert_eq!(pings(), Some(3));
    // A date passed asks for no wait: the usual pauses (0.5 s, then 1 s),
    // not one burst of requests at a registry that is limiting them.
    set("ping429past");
    let t0 = Instant::now();
    pulled("g3", &["--retry-times", "2"]);
    assert_eq!(pings(), Some(3));
    assert!(
        t0.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        t0.elapsed()
    );
    // A registry not (yet) listening: connection refused, retried after
    // a pause (0.5 s, then 1 s).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let t0 = Instant::now();
    fails_with(
        lade().args([
            "inspect",
            "--tls-verify=false",
            "--retry-times",
            "2",
            &format!("docker://{closed}/x:1"),
        ]),
        3,
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        t0.elapsed()
    );
    // --retry-delay: that long before each retry (skopeo's flag; Go's
    // duration syntax); 0 keeps the growing pauses.
    let t0 = Instant::now();
    let err = fails_with(
        lade().args([
            "inspect",
            "--tls-verify=false",
            "--retry-times",
            "2",
            "--retry-delay",
            "1.2s",
            &format!("docker://{closed}/x:1"),
        ]),
        3,
    );
    assert!(err.contains(&closed), "{err}");
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(2400) && took < Duration::from_secs(10),
        "{took:?}"
    );
    let err = fails_with(
        lade().args([
            "inspect",
            "--retry-delay",
            "5",
            &format!("docker://{closed}/x:1"),
        ]),
        2,
    );
    assert!(
        err.contains("--retry-delay") && err.contains("not a duration"),
        "{err}"
    );

    // Reset at 60% of the big layer: resumed with Range, digest verified.
    set("reset");
    pulled("d", &[]);

    // The same under --progress=json and the other faults: the stream
    // holds (see `audited`), and the blob_done bytes are the blobs
    // written (the config's and the layers' sizes at the destination).
    let pull_json = |name: &str, extra: &[&str]| {
        let d = t.path().join(name);
        let mut c = lade();
        c.args(["copy", "--progress=json", "--src-tls-verify=false"])
            .args(extra)
            .arg(format!("docker://{proxy}/{repo}:1"))
            .arg(oci(&d, "x"));
        let o = run(&mut c);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "{name}: {err}");
        assert_eq!(digest_of(&oci(&d, "x"), &[]), want, "{name}");
        let m = json(&ok(lade().args(["inspect", "--raw", &oci(&d, "x")])));
        let written = blob_bytes(&m);
        let ev = audited(&err);
        assert_eq!(done_bytes(&ev), written, "{name}: {err}");
        (ev, err)
    };
    // The layer cut at 60%: one blob_resumed at the byte it was cut at,
    // naming what cut it; no retry.
    set("reset");
    let (ev, err) = pull_json("dj", &[]);
    let resumed: Vec<_> = ev.iter().filter(|e| e["event"] == "blob_resumed").collect();
    assert_eq!(resumed.len(), 1, "{err}");
    assert_eq!(resumed[0]["digest"], layer.as_str(), "{err}");
    assert_eq!(resumed[0]["offset"], layer_size * 6 / 10, "{err}");
    assert_eq!(resumed[0]["resume"], 1, "{err}");
    assert!(
        resumed[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{err}"
    );
    assert!(events(&err, "blob_retried").is_empty(), "{err}");
    // Its resume refused: read again from the start, attempt 1 of 2.
    set("no_range");
    let (ev, err) = pull_json("nrj", &["--retry-times", "2"]);
    let retried: Vec<_> = ev.iter().filter(|e| e["event"] == "blob_retried").collect();
    assert_eq!(retried.len(), 1, "{err}");
    assert_eq!(
        (
            retried[0]["attempt"].as_u64(),
            retried[0]["retries"].as_u64()
        ),
        (Some(1), Some(2)),
        "{err}"
    );
    for (mode, name) in [("429", "429j"), ("503", "503j"), ("manifest_cut", "mcj")] {
        set(mode);
        pull_json(name, &["--retry-times", "3"]);
    }
    // A sync under the same cut: the same events for its image.
    set("reset");
    let sd = t.path().join("synced");
    let o = run(lade()
        .args(["sync", "--progress=json", "--src-tls-verify=false"])
        .arg(format!("docker://{proxy}/{repo}"))
        .arg(format!("oci:{}", sd.display())));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    let ev = audited(&err);
    assert_eq!(
        ev.iter().filter(|e| e["event"] == "blob_resumed").count(),
        1,
        "{err}"
    );
    assert_eq!(done_bytes(&ev), layer_size + config_size, "{err}");

    // A long wait is said, not waited in silence.
    set("429long");
    let (o, _) = pull("long", &["--retry-times", "3"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("429; trying again in 5 s (retry 1 of 5)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // Registry to registry, a layer whose bytes changed on the way is
    // found not to be its digest: said as such, and read from the source
    // again with --retry-times.
    let to_reg = |extra: &[&str]| {
        let mut c = lade();
        c.args([
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .args(extra)
        .arg(format!("docker://{proxy}/{repo}:1"))
        .arg(format!("docker://{reg}/{}:1", unique("fault/again")));
        run(&mut c)
    };
    set("zeros");
    let o = to_reg(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("layer {layer}: content hashes to sha256:")),
        "{err}"
    );
    set("zeros");
    let o = to_reg(&["--retry-times", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // As JSON: one blob_retried (1 of 1) naming the digest mismatch, one
    // blob_done for the layer with its size.
    // (gzipped on the way: the layer's size at the destination)
    set("zeros");
    let again = format!("docker://{reg}/{}:1", unique("fault/againj"));
    let o = run(lade()
        .args(["copy", "--progress=json", "--retry-times", "1"])
        .args(["--src-tls-verify=false", "--dest-tls-verify=false"])
        .arg(format!("docker://{proxy}/{repo}:1"))
        .arg(&again));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    let ev = audited(&err);
    let retried = events(&err, "blob_retried");
    assert_eq!(retried.len(), 1, "{err}");
    assert_eq!(retried[0]["attempt"], 1, "{err}");
    let m = json(&ok(lade().args(["inspect", "--raw", INSECURE, &again])));
    let written = m["config"]["size"].as_u64().unwrap() + m["layers"][0]["size"].as_u64().unwrap();
    assert_eq!(done_bytes(&ev), written, "{err}");

    // A manifest body cut short is asked for again (--retry-times), as a
    // request that failed before its answer is; without retries, one line.
    set("manifest_cut");
    pulled("mc", &["--retry-times", "2"]);
    set("manifest_cut");
    let (o, d) = pull("mc0", &[]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("reading manifest"), "{err}");
    assert!(!d.exists());
    // A cut layer whose resume is refused is read again from its start.
    set("no_range");
    pulled("nr", &["--retry-times", "2"]);
    set("no_range");
    let (o, _) = pull("nr0", &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("GET /v2/{repo}/blobs/")) && err.contains("cannot resume"),
        "{err}"
    );
    // So is the config, read whole by itself, with --retry-times (by a
    // copy, and by an inspect of the config); without, one try.
    set("config_no_range");
    pulled("cnr", &["--retry-times", "1"]);
    set("config_no_range");
    let img = format!("docker://{proxy}/{repo}:1");
    let got = ok(lade()
        .args(["inspect", "--config", "--raw", "--tls-verify=false"])
        .args(["--retry-times", "1", &img]));
    assert_eq!(format!("sha256:{}", sha256_hex(&got)), config);
    set("config_no_range");
    let (o, d) = pull("cnr0", &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&config) && err.contains("cannot resume"),
        "{err}"
    );
    assert!(!d.exists());

    // 307 to another host: followed, without Authorization.
    set("redirect");
    pulled("e", &["--src-creds", "u:p"]);
    assert!(
        *sent_with_auth.lock().unwrap(),
        "the layer GET carried no Authorization"
    );
    {
        let seen = seen_auth.lock().unwrap();
        assert!(!seen.is_empty(), "redirect target never reached");
        assert!(seen.iter().all(|a| a.is_none()), "{seen:?}");
    }

    // The other host refuses: the error says it was the other host.
    forbids.store(true, Ordering::SeqCst);
    let (o, _) = pull("forbidden-elsewhere", &["--src-creds", "u:p"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("403 Forbidden")
            && err.contains(&format!(
                "sent on to {}, which answered so",
                other_addr.lock().unwrap()
            )),
        "{err}"
    );
    forbids.store(false, Ordering::SeqCst);

    // The other host asks for a token: it is not the registry's challenge,
    // and the registry's credentials do not go to its realm; one line
    // names the host that refused.
    asks.store(true, Ordering::SeqCst);
    seen_auth.lock().unwrap().clear();
    let (o, d) = pull("token-elsewhere", &["--src-creds", "u:p"]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("sent on to {}", other_addr.lock().unwrap())) && err.contains("401"),
        "{err}"
    );
    let seen = seen_auth.lock().unwrap();
    assert_eq!(
        seen.len(),
        1,
        "the layer GET only, no token request: {seen:?}"
    );
    assert!(seen.iter().all(|a| a.is_none()), "{seen:?}");
    drop(d);
}

/// Upload sessions the registry of scripts/test still holds open for
/// `repo` (its storage is $LADE_TEST_TMP/registry): `_uploads/ID` with
/// its `startedat` file. (A cancelled session leaves a stray
/// `hashstates/` behind in distribution 2.8, but no `startedat`: the
/// registry answers 404 BLOB_UPLOAD_UNKNOWN for it.)
fn open_uploads(repo: &str) -> usize {
    let tmp = std::env::var("LADE_TEST_TMP").expect("LADE_TEST_TMP");
    let d = Path::new(&tmp)
        .join("registry/docker/registry/v2/repositories")
        .join(repo)
        .join("_uploads");
    fs::read_dir(&d).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().join("startedat").exists())
        })
        .count()
    })
}

/// `--user-agent-prefix PREFIX` (skopeo's): every registry request says
/// "PREFIX lade/VERSION"; without it, "lade/VERSION". A prefix that
/// cannot be a header value is a usage error.
#[test]
fn user_agent_prefix_goes_before_lades_own() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src = big_layout(&t.path().join("src"), 4096);
    let agents = Arc::new(Mutex::new(Vec::<String>::new()));
    let a = agents.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        let ua = req.headers.get("user-agent").cloned().unwrap_or_default();
        a.lock().unwrap().push(ua);
        Action::Forward { cut_body_at: None }
    });
    let repo = unique("ua/a");
    let own = format!("lade/{}", env!("CARGO_PKG_VERSION"));
    let seen = || std::mem::take(&mut *agents.lock().unwrap());
    ok(lade().args([
        "--user-agent-prefix",
        "ci-job/7 (nightly)",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &src,
        &format!("docker://{proxy}/{repo}:1"),
    ]));
    let got = seen();
    assert!(got.len() > 3, "{got:?}");
    let want = format!("ci-job/7 (nightly) {own}");
    assert!(got.iter().all(|u| *u == want), "{got:?}");
    ok(lade().args([
        "inspect",
        "--tls-verify=false",
        &format!("docker://{proxy}/{repo}:1"),
        "--user-agent-prefix=mirror-bot",
    ]));
    let got = seen();
    assert!(
        !got.is_empty() && got.iter().all(|u| *u == format!("mirror-bot {own}")),
        "{got:?}"
    );
    ok(lade().args([
        "inspect",
        "--tls-verify=false",
        &format!("docker://{proxy}/{repo}:1"),
    ]));
    let got = seen();
    assert!(!got.is_empty() && got.iter().all(|u| *u == own), "{got:?}");
    let err = fails_with(
        lade().args([
            "--user-agent-prefix",
            "a\r\nX-Injected: 1",
            "inspect",
            "--tls-verify=false",
            &format!("docker://{proxy}/{repo}:1"),
        ]),
        2,
    );
    assert!(err.contains("--user-agent-prefix"), "{err}");
    assert!(seen().is_empty());
}

#[test]
fn failed_uploads_are_retried_from_the_source_and_chunks_arrive_intact() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let src = big_layout(&t.path().join("big"), 3 << 20);
    let want = digest_of(&src, &[]);
    let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let cnt = counts.clone();
    let mode = Arc::new(Mutex::new(String::new()));
    let m = mode.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        let mode = m.lock().unwrap().clone();
        let upload = req.path.contains("/blobs/uploads/");
        let n = {
            let mut c = cnt.lock().unwrap();
            let e = c.entry(req.method.clone()).or_insert(0);
            if upload {
                *e += 1;
            }
            *e
        };
        let put = upload && req.method == "PUT";
        let patch = upload && req.method == "PATCH";
        let unavailable = || Action::Respond(response("503 Service Unavailable", &[], b""));
        match mode.as_str() {
            // after the body was sent: refused once, or the connection dropped once
            "put503" if put && n == 1 => unavailable(),
            "putreset" if put && n == 1 => Action::Respond(Vec::new()),
            // too many requests: come back in 2 s
            "put429" if put && n == 1 => Action::Respond(response(
                "429 Too Many Requests",
                &[("Retry-After", "2".into())],
                b"",
            )),
            "put503always" if put => unavailable(),
            "patch503" if patch && n == 3 => unavailable(),
            // a registry that takes no Content-Range chunks
            "patch416" if patch => Action::Respond(response("416 Range Not Satisfiable", &[], b"")),
            _ => Action::Forward { cut_body_at: None },
        }
    });
    let set = |s: &str| {
        *mode.lock().unwrap() = s.to_string();
        counts.lock().unwrap().clear();
    };
    let count = |m: &str| counts.lock().unwrap().get(m).copied().unwrap_or(0);
    let push = |repo: &str, extra: &[&str]| {
        let mut c = lade();
        // The layer as it is: a blob of known digest and size, streamed.
        c.args(["copy", "--dest-tls-verify=false"])
            .args(["--dest-compress-format", "none"])
            .args(extra)
            .arg(&src)
            .arg(format!("docker://{proxy}/{repo}:1"));
        run(&mut c)
    };
    // What arrived: the real registry's manifest digest, and skopeo reads
    // every blob back (it verifies their digests).
    let check = |repo: &str, digest: Option<&str>| {
        let name = format!("docker://{reg}/{repo}:1");
        if let Some(d) = digest {
            assert_eq!(digest_of(&name, &[INSECURE]), d, "{repo}");
        }
        let back = t.path().join(repo.replace('/', "_"));
        ok(skopeo().args([
            "copy",
            "-q",
            "--src-tls-verify=false",
            &name,
            &oci(&back, "x"),
        ]));
        assert_eq!(
            open_uploads(repo),
            0,
            "{repo}: an upload session was left open"
        );
    };

    for fault in ["put503", "putreset"] {
        set(fault);
        let repo = unique("upfault/a");
        let o = push(&repo, &["--retry-times", "2"]);
        assert!(
            o.status.success(),
            "{fault}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("Retrying blob"), "{fault}: {err}");
        // the layer twice (first refused), the config once
        assert_eq!(count("PUT"), 3, "{fault}");
        check(&repo, Some(&want));
    }
    // A 429 after the body was sent: the blob is sent again from the
    // source once the Retry-After the registry gave has passed (the
    // --retry-delay is 50 ms).
    set("put429");
    let repo = unique("upfault/r");
    let t0 = Instant::now();
    let o = push(&repo, &["--retry-times", "2", "--retry-delay", "50ms"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(t0.elapsed() >= Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(count("PUT"), 3);
    check(&repo, Some(&want));

    // Retries spent: a clear error naming registry, request and status.
    set("put503always");
    let repo = unique("upfault/b");
    let o = push(&repo, &["--retry-times", "1"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&proxy) && err.contains("PUT /v2/") && err.contains("503"),
        "{err}"
    );
    assert_eq!(err.matches("lade: error").count(), 1, "{err}");
    // the layer and the config (sent side by side): 1 try + 1 retry each
    assert_eq!(count("PUT"), 4, "1 try + 1 retry of each blob");
    assert_eq!(open_uploads(&repo), 0, "an upload session was left open");

    // Size known, bigger than a chunk: streamed PATCH chunks, the rest
    // with the closing PUT; a chunk refused mid-way restarts the blob.
    let chunked = |repo: &str, extra: &[&str]| {
        let mut c = lade();
        c.env("LADE_UPLOAD_CHUNK_SIZE", "65536")
            .args(["copy", "--dest-tls-verify=false"])
            .args(["--dest-compress-format", "none"])
            .args(extra)
            .arg(&src)
            .arg(format!("docker://{proxy}/{repo}:1"));
        run(&mut c)
    };
    set("patch503");
    let repo = unique("upfault/known");
    let o = chunked(&repo, &["--retry-times", "2", "--progress=json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(count("PATCH") > 40, "{} PATCHes", count("PATCH"));
    // One blob_retried event: the first retry of 2, naming the 503.
    let retried = events(&err, "blob_retried");
    assert_eq!(retried.len(), 1, "{err}");
    assert_eq!(retried[0]["attempt"], 1, "{err}");
    assert_eq!(retried[0]["retries"], 2, "{err}");
    assert!(
        retried[0]["error"].as_str().unwrap().contains("503"),
        "{err}"
    );
    assert_eq!(
        events(&err, "blob_done").len(),
        2,
        "layer and config, once each"
    );
    // closing PUTs: the layer's (its first try ended at a PATCH), the config's
    assert_eq!(count("PUT"), 2);
    check(&repo, Some(&want));
    // A registry that refuses chunks: the blob is sent again at once,
    // whole, outside the retry budget; later blobs go whole directly.
    set("patch416");
    let repo = unique("upfault/whole");
    let o = chunked(&repo, &["--retry-times", "0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("Retrying blob") && err.contains("416") && err.contains("sending blobs whole"),
        "{err}"
    );
    assert!(
        !err.contains(" of 0)"),
        "not counted against --retry-times: {err}"
    );
    assert_eq!(count("PATCH"), 1, "one chunk refused, then none tried");
    assert_eq!(count("PUT"), 2);
    check(&repo, Some(&want));

    // Size unknown (recompressed): PATCH chunks with Content-Range, each
    // following Location; a chunk refused mid-way restarts the blob.
    set("patch503");
    let repo = unique("upfault/chunks");
    let mut c = lade();
    c.env("LADE_UPLOAD_CHUNK_SIZE", "65536")
        .args(["copy", "--dest-tls-verify=false", "--retry-times", "2"])
        .args(["--dest-compress-format", "zstd", &src])
        .arg(format!("docker://{proxy}/{repo}:1"));
    let o = run(&mut c);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // 3 MiB in 64 KiB chunks: dozens of PATCHes, one refused and restarted
    assert!(count("PATCH") > 40, "{} PATCHes", count("PATCH"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Retrying blob"));
    check(&repo, None);
    let layers = json(&ok(skopeo().args([
        "inspect",
        "--raw",
        INSECURE,
        &format!("docker://{reg}/{repo}:1"),
    ])))["layers"]
        .clone();
    assert_eq!(
        layers[0]["mediaType"],
        json!("application/vnd.oci.image.layer.v1.tar+zstd")
    );
}

/// Layers out of the daemon go up side by side, each from the temp file
/// it was read into: an upload the registry refuses is sent again from
/// there (the stream cannot be read twice), and the image is the one a
/// push straight to the registry makes; with the retries spent, one
/// error naming the layer and the request, and no upload left open.
#[test]
fn daemon_layers_are_retried_from_their_temp_files() {
    let Some(reg) = registry() else { return };
    let Some(host) = docker_host() else { return };
    let src = &format!("docker-daemon:{}", daemon_fault_image(&host));
    let straight = unique("dfault/straight");
    ok(lade()
        .args([
            "copy",
            "-q",
            "--src-daemon-host",
            &host,
            "--dest-tls-verify=false",
            src,
        ])
        .arg(format!("docker://{reg}/{straight}:1")));
    let want = digest_of(&format!("docker://{reg}/{straight}:1"), &[INSECURE]);
    let patches = Arc::new(AtomicUsize::new(0));
    let always = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (p, a) = (patches.clone(), always.clone());
    let proxy = serve(Some(reg.clone()), move |req| {
        // the layers' bodies (a closing PUT without one is sent again by
        // the client itself)
        if req.method == "PATCH" {
            let n = p.fetch_add(1, Ordering::SeqCst) + 1;
            if n == 1 || a.load(Ordering::SeqCst) {
                return Action::Respond(response("503 Service Unavailable", &[], b""));
            }
        }
        Action::Forward { cut_body_at: None }
    });
    let push = |repo: &str| {
        run(lade()
            .args([
                "copy",
                "--src-daemon-host",
                &host,
                "--dest-tls-verify=false",
            ])
            .args(["--retry-times", "1", "--retry-delay", "0s", src])
            .arg(format!("docker://{proxy}/{repo}:1")))
    };
    let repo = unique("dfault/a");
    let o = push(&repo);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("Retrying blob"), "{err}");
    assert_eq!(
        digest_of(&format!("docker://{reg}/{repo}:1"), &[INSECURE]),
        want
    );
    assert_eq!(open_uploads(&repo), 0, "an upload session was left open");

    always.store(true, Ordering::SeqCst);
    let repo = unique("dfault/b");
    let o = push(&repo);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("lade: error: copying ")
            && last.contains(": layer ")
            && last.contains("PATCH /v2/")
            && last.contains("503"),
        "{err}"
    );
    assert_eq!(err.matches("lade: error").count(), 1, "{err}");
    assert_eq!(open_uploads(&repo), 0, "an upload session was left open");
}

/// The image of the daemon fault tests: three layers (the base's, a
/// small one, 300 kB of zeros), which go up to a registry side by side,
/// each from the temp file it was read into.
fn daemon_fault_image(host: &str) -> &'static str {
    build_image(
        host,
        "lade-reg-fault:1",
        "FROM lade-test-base:1\nRUN echo a > /a\nRUN head -c 300000 /dev/zero > /z\n",
        &[],
    );
    "lade-reg-fault:1"
}

/// The layers of a daemon image as `docker save` gives them (digest and
/// uncompressed size), checking that the test daemon is one whose export
/// names them only by path (Docker 24 and older), which these tests are
/// about.
fn daemon_layers_by_path(host: &str, img: &str) -> Vec<(String, u64)> {
    let v = String::from_utf8(ok(docker(host).args([
        "version",
        "--format",
        "{{.Server.Version}}",
    ])))
    .unwrap();
    let major: u32 = v.trim().split('.').next().unwrap().parse().unwrap();
    assert!(
        major <= 24,
        "the test daemon is Docker {v}: its export names layers by digest"
    );
    let m = json(&ok(lade()
        .args(["inspect", "--raw", "--daemon-host", host])
        .arg(format!("docker-daemon:{img}"))));
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["digest"].as_str().unwrap().to_string(),
                l["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Each of `layers` has a blob_start of kind layer with its digest and
/// size in `events`, and ends as `end` says.
fn started_layers(events: &[Value], layers: &[(String, u64)], end: &str, err: &str) {
    for (d, size) in layers {
        let of: Vec<&Value> = events
            .iter()
            .filter(|e| e["digest"] == d.as_str())
            .collect();
        let starts: Vec<&&Value> = of.iter().filter(|e| e["event"] == "blob_start").collect();
        assert_eq!(starts.len(), 1, "{d}: {err}");
        assert_eq!(
            (&starts[0]["kind"], starts[0]["size"].as_u64()),
            (&json!("layer"), Some(*size)),
            "{d}: {err}"
        );
        assert_eq!(of.last().unwrap()["event"], end, "{d}: {err}");
    }
}

/// Each of `layers` was read under its path before it was started: a
/// first layer_read of 0 bytes and its size, and a blob_start naming the
/// same path; each path is one layer's. The times of each layer's first
/// layer_read and of its blob_start.
fn read_by_path(events: &[Value], layers: &[(String, u64)], err: &str) -> Vec<(f64, f64)> {
    let time = |e: &Value| e["time"].as_f64().unwrap();
    let mut times = Vec::new();
    let mut paths = Vec::new();
    for (d, size) in layers {
        let start = events
            .iter()
            .find(|e| e["event"] == "blob_start" && e["digest"] == d.as_str())
            .unwrap();
        let path = start["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{d}: {err}"));
        let first = events
            .iter()
            .find(|e| e["event"] == "layer_read" && e["name"] == path)
            .unwrap_or_else(|| panic!("{path}: {err}"));
        assert_eq!(first["bytes"], 0, "{err}");
        assert_eq!(first["size"].as_u64(), Some(*size), "{err}");
        paths.push(path);
        times.push((time(first), time(start)));
    }
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), layers.len(), "{err}");
    times
}

/// Under --progress=json, a layer the daemon's export names only by path
/// (Docker 24 and older) is started once read into its temp file, before
/// it goes up: the upload the registry refuses once is a blob_retried
/// after that blob_start, and its blob_done follows; the stream passes
/// `audited`, and its blob_done bytes are the blobs at the registry. (Such
/// a layer had no blob_start: its blob_retried and blob_done were of a
/// blob never started.)
#[test]
fn daemon_layers_named_by_path_start_before_their_retried_upload() {
    let Some(reg) = registry() else { return };
    let Some(host) = docker_host() else { return };
    let img = daemon_fault_image(&host);
    let layers = daemon_layers_by_path(&host, img);
    let patches = Arc::new(AtomicUsize::new(0));
    let p = patches.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        if req.method == "PATCH" && p.fetch_add(1, Ordering::SeqCst) == 0 {
            return Action::Respond(response("503 Service Unavailable", &[], b""));
        }
        Action::Forward { cut_body_at: None }
    });
    let repo = unique("dfault/json");
    let o = run(lade()
        .args(["copy", "--progress=json", "--src-daemon-host", &host])
        .args([DEST_INSECURE, "--retry-times", "1", "--retry-delay", "0s"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("docker://{proxy}/{repo}:1")));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    let ev = audited(&err);
    started_layers(&ev, &layers, "blob_done", &err);
    read_by_path(&ev, &layers, &err);
    let retried = events(&err, "blob_retried");
    assert_eq!(retried.len(), 1, "{err}");
    assert_eq!(retried[0]["attempt"], 1, "{err}");
    assert!(
        layers
            .iter()
            .any(|(d, _)| retried[0]["digest"] == d.as_str()),
        "{err}"
    );
    let m = json(&ok(lade()
        .args(["inspect", "--raw", INSECURE])
        .arg(format!("docker://{reg}/{repo}:1"))));
    let written = blob_bytes(&m);
    assert_eq!(done_bytes(&ev), written, "{err}");
    assert_eq!(open_uploads(&repo), 0, "an upload session was left open");
}

/// The same into an OCI layout, where such a layer is written straight
/// from the stream: started once written (its digest known then), just
/// before its blob_done; the stream passes `audited`, and the blob_done
/// bytes are the blobs in the layout.
#[test]
fn daemon_layers_named_by_path_start_into_a_layout() {
    let Some(host) = docker_host() else { return };
    let img = daemon_fault_image(&host);
    let layers = daemon_layers_by_path(&host, img);
    let t = tempdir();
    let dest = oci(&t.path().join("l"), "x");
    let o = run(lade()
        .args(["copy", "--progress=json", "--src-daemon-host", &host])
        .arg(format!("docker-daemon:{img}"))
        .arg(&dest));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    let ev = audited(&err);
    started_layers(&ev, &layers, "blob_done", &err);
    read_by_path(&ev, &layers, &err);
    let m = json(&ok(lade().args(["inspect", "--raw", &dest])));
    let written = blob_bytes(&m);
    assert_eq!(done_bytes(&ev), written, "{err}");
}

/// A layer named by path that waits for an upload worker's place is
/// said read (its first layer_read) when its read begins, not while it
/// waits: with two workers and every upload held 1.5 s, the third layer
/// waits about that long, and its first layer_read still comes just
/// before its blob_start (its bytes are read and staged at once).
#[test]
fn a_layer_waiting_for_a_worker_is_said_read_when_its_read_begins() {
    let Some(reg) = registry() else { return };
    let Some(host) = docker_host() else { return };
    let img = daemon_fault_image(&host);
    let layers = daemon_layers_by_path(&host, img);
    assert!(layers.len() >= 3, "{layers:?}");
    let proxy = serve(Some(reg.clone()), move |req| {
        if req.path.contains("/blobs/uploads/") && matches!(req.method.as_str(), "PATCH" | "PUT") {
            std::thread::sleep(Duration::from_millis(1500));
        }
        Action::Forward { cut_body_at: None }
    });
    let o = run(lade()
        .args(["copy", "--progress=json", "--src-daemon-host", &host])
        .args([DEST_INSECURE, "--image-parallel-copies", "2"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("docker://{proxy}/{}:1", unique("dfault/wait"))));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    let ev = audited(&err);
    let mut firsts = Vec::new();
    for (first, start) in read_by_path(&ev, &layers, &err) {
        assert!(start - first < 0.5, "{err}");
        firsts.push(first);
    }
    // (one of them did wait for a place)
    firsts.sort_by(f64::total_cmp);
    assert!(firsts[firsts.len() - 1] - firsts[0] >= 1.4, "{err}");
}

/// --command-timeout cutting the uploads of layers the daemon's export
/// names by path (each started once read into its temp file): each is
/// closed with a blob_failed naming the timeout, before the error line.
#[test]
fn command_timeout_closes_daemon_layers_named_by_path() {
    let Some(reg) = registry() else { return };
    let Some(host) = docker_host() else { return };
    let img = daemon_fault_image(&host);
    let layers = daemon_layers_by_path(&host, img);
    // Every layer's body held until long after lade is gone.
    let proxy = serve(Some(reg.clone()), move |req| {
        if req.method == "PATCH" {
            std::thread::sleep(Duration::from_secs(20));
            return Action::Respond(response("503 Service Unavailable", &[], b""));
        }
        Action::Forward { cut_body_at: None }
    });
    let o = run(lade()
        .args(["--command-timeout", "3s", "copy", "--progress=json"])
        .args(["--src-daemon-host", &host, DEST_INSECURE])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("docker://{proxy}/{}:1", unique("dfault/cut"))));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(3), "{err}");
    let why = "the command ran out of time (--command-timeout 3s)";
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[lines.len() - 1].starts_with(&format!("lade: error: {why}")),
        "{err}"
    );
    let ev = audited(&err);
    let failed: Vec<&Value> = ev.iter().filter(|e| e["event"] == "blob_failed").collect();
    assert!(!failed.is_empty(), "{err}");
    for f in &failed {
        assert!(
            layers.iter().any(|(d, _)| f["digest"] == d.as_str()),
            "{err}"
        );
        assert_eq!(f["error"], why, "{err}");
    }
    assert!(lines[lines.len() - 2].contains("\"blob_failed\""), "{err}");
}

/// The JSON progress events named `event` in `stderr`.
/// A --progress=json stream checked, its events parsed: every line an
/// event (but a last `lade:` error line), `time` never going back, each
/// blob_start closed by exactly one blob_done, blob_failed, blob_skipped
/// or blob_reused, a blob's blob_progress bytes never going down but
/// after a blob_retried (and going on from a blob_resumed's offset), and
/// its blob_retried attempts counting 1, 2, …; a layer_read (a daemon's
/// layer named by path, read before its digest is known) coming before
/// the blob_start that names its path, its bytes growing up to its size.
fn audited(stderr: &str) -> Vec<Value> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out = Vec::new();
    let mut last_time = 0.0;
    // (image, digest) → (open, bytes so far, retries counted)
    let mut blobs: HashMap<(String, String), (bool, u64, u64)> = HashMap::new();
    // (image, path) → bytes read so far, until its blob_start (None after)
    let mut reads: HashMap<(String, String), Option<u64>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("lade: ") && i + 1 == lines.len() {
            break;
        }
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{stderr}"));
        let time = v["time"].as_f64().unwrap_or_else(|| panic!("no time: {l}"));
        assert!(time >= last_time, "time went back: {l}\n{stderr}");
        last_time = time;
        let key = (
            v["image"].as_str().unwrap_or("").to_string(),
            v["digest"].as_str().unwrap_or("").to_string(),
        );
        let ev = v["event"].as_str().unwrap();
        let open = blobs.get(&key).is_some_and(|b| b.0);
        let path = || (key.0.clone(), v["name"].as_str().unwrap().to_string());
        match ev {
            "layer_read" => {
                let (n, size) = (v["bytes"].as_u64().unwrap(), v["size"].as_u64().unwrap());
                let before = reads.entry(path()).or_insert(Some(0));
                let read = before.unwrap_or_else(|| panic!("read after its start: {l}\n{stderr}"));
                assert!(read <= n && n <= size, "{l}\n{stderr}");
                *before = Some(n);
            }
            "blob_start" => {
                assert!(!open, "started twice: {l}\n{stderr}");
                if v.get("name").is_some() {
                    let read = reads.insert(path(), None);
                    assert!(
                        matches!(read, Some(Some(_))),
                        "not read first: {l}\n{stderr}"
                    );
                }
                blobs.insert(key, (true, 0, 0));
            }
            "blob_progress" | "blob_resumed" | "blob_retried" => {
                assert!(open, "{ev} of a blob not under way: {l}\n{stderr}");
                let b = blobs.get_mut(&key).unwrap();
                match ev {
                    "blob_progress" => {
                        let n = v["bytes"].as_u64().unwrap();
                        assert!(n >= b.1, "bytes went down: {l}\n{stderr}");
                        b.1 = n;
                    }
                    "blob_resumed" => {
                        let n = v["offset"].as_u64().unwrap();
                        assert!(n >= b.1, "resumed before the bytes had: {l}\n{stderr}");
                        b.1 = n;
                    }
                    _ => {
                        b.1 = 0;
                        if let Some(n) = v["attempt"].as_u64() {
                            b.2 += 1;
                            assert_eq!(n, b.2, "attempts: {l}\n{stderr}");
                            assert!(n <= v["retries"].as_u64().unwrap(), "{l}\n{stderr}");
                        }
                    }
                }
            }
            "blob_done" | "blob_failed" => {
                assert!(open, "{ev} of a blob not started: {l}\n{stderr}");
                blobs.get_mut(&key).unwrap().0 = false;
            }
            "blob_skipped" | "blob_reused" => {
                if let Some(b) = blobs.get_mut(&key) {
                    b.0 = false;
                }
            }
            _ => {}
        }
        out.push(v);
    }
    let open: Vec<_> = blobs.iter().filter(|(_, b)| b.0).map(|(k, _)| k).collect();
    assert!(open.is_empty(), "started, never ended: {open:?}\n{stderr}");
    out
}

/// The bytes of the blobs manifest `m` names: its config and layers.
fn blob_bytes(m: &Value) -> u64 {
    let layers = m["layers"].as_array().unwrap();
    m["config"]["size"].as_u64().unwrap()
        + layers
            .iter()
            .map(|l| l["size"].as_u64().unwrap())
            .sum::<u64>()
}

/// The sum of the blob_done events' bytes.
fn done_bytes(events: &[Value]) -> u64 {
    events
        .iter()
        .filter(|e| e["event"] == "blob_done")
        .map(|e| e["bytes"].as_u64().unwrap())
        .sum()
}

fn events(stderr: &str, event: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| v["event"] == event)
        .collect()
}

#[test]
fn list_tags_follows_link_pages() {
    // Debian's distribution 2.8 ignores `n` and never pages, so a fake
    // registry serves 250 tags in pages of 100 with relative and absolute
    // Link headers, each page beginning with the last tag of the one
    // before: a tag listed again is one tag.
    let all: Vec<String> = (0..250).map(|i| format!("t{i:03}")).collect();
    let want = json!(all);
    let pages = Arc::new(AtomicUsize::new(0));
    let p2 = pages.clone();
    let addr = Arc::new(Mutex::new(String::new()));
    let a2 = addr.clone();
    let fake = serve(None, move |req| {
        if req.path == "/v2/" {
            return Action::Respond(response("200 OK", &[], b"{}"));
        }
        let Some(q) = req.path.strip_prefix("/v2/p/tags/list") else {
            return Action::Respond(response("404 Not Found", &[], b""));
        };
        p2.fetch_add(1, Ordering::SeqCst);
        let start = q
            .split_once("last=")
            .map(|(_, l)| l.split('&').next().unwrap())
            .and_then(|l| all.iter().position(|t| t == l))
            .unwrap_or(0);
        let end = (start + 100).min(all.len());
        let body = json!({"name": "p", "tags": all[start..end]}).to_string();
        let mut h = vec![("Content-Type", "application/json".to_string())];
        if end < all.len() {
            let next = format!("/v2/p/tags/list?last={}&n=100", all[end - 1]);
            // The second page's link is absolute.
            let next = if start == 0 {
                next
            } else {
                format!("http://{}{next}", a2.lock().unwrap())
            };
            h.push(("Link", format!("<{next}>; rel=\"next\"")));
        }
        Action::Respond(response("200 OK", &h, body.as_bytes()))
    });
    *addr.lock().unwrap() = fake.clone();
    let out = json(&ok(lade().args([
        "list-tags",
        INSECURE,
        &format!("docker://{fake}/p"),
    ])));
    assert_eq!(out["Tags"], want);
    assert_eq!(pages.load(Ordering::SeqCst), 3);
}

/// A server that keeps the connection and writes each answer's head and
/// body in two writes with Nagle on (as some servers do) sent each body
/// only once the client acknowledged the head, and Linux delays that
/// acknowledgement on a kept connection: 40 ms a page. lade asks for quick
/// acknowledgements, so 80 pages take well under 40 ms each.
#[test]
fn tag_pages_from_a_server_writing_head_and_body_apart_come_quickly() {
    const PAGES: usize = 80;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let conns = Arc::new(AtomicUsize::new(0));
    let c2 = conns.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(c) = conn else { continue };
            c2.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut w = c.try_clone().unwrap();
                let mut r = BufReader::new(c);
                loop {
                    let mut first = String::new();
                    if r.read_line(&mut first).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h == "\r\n" {
                            break;
                        }
                    }
                    let path = first.split_whitespace().nth(1).unwrap_or("");
                    let page = path
                        .split_once("last=t")
                        .map_or(0, |(_, n)| n.parse::<usize>().unwrap() + 1);
                    let body = json!({"name": "p", "tags": [format!("t{page}")]}).to_string();
                    let link = if page + 1 < PAGES {
                        format!("Link: </v2/p/tags/list?n=1&last=t{page}>; rel=\"next\"\r\n")
                    } else {
                        String::new()
                    };
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{link}\
                         Content-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if w.write_all(head.as_bytes()).is_err()
                        || w.write_all(body.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let started = Instant::now();
    let out = json(&ok(lade().args([
        "list-tags",
        INSECURE,
        &format!("docker://{addr}/p"),
    ])));
    let took = started.elapsed();
    let want: Vec<String> = (0..PAGES).map(|i| format!("t{i}")).collect();
    assert_eq!(out["Tags"], json!(want));
    // The pages share one kept connection (the kind that delays
    // acknowledgements); the HTTPS try and the ping have their own.
    assert!(conns.load(Ordering::SeqCst) <= 3, "{conns:?}");
    assert!(
        took < Duration::from_millis(PAGES as u64 * 20),
        "{PAGES} pages took {took:?}"
    );
}

/// PUT a manifest with the registry API directly (plain HTTP, no auth).
fn put_manifest_raw(reg: &str, repo: &str, reference: &str, mt: &str, body: &[u8]) {
    let path = format!("/v2/{repo}/manifests/{reference}");
    let resp = raw_request(reg, "PUT", &path, mt, body);
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
}

#[test]
fn multi_arch_index_selects_the_platform() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let repo = unique("multi/app");
    let img = format!("docker://{reg}/{repo}:img");
    ok(lade().args(["copy", "-q", "--dest-tls-verify=false", &src, &img]));
    let raw = ok(lade().args(["inspect", "--raw", INSECURE, &img]));
    let d = format!("sha256:{}", sha256_hex(&raw));
    let mt = "application/vnd.oci.image.manifest.v1+json";
    let entry = |arch: &str| {
        json!({"mediaType": mt, "digest": d, "size": raw.len(),
               "platform": {"architecture": arch, "os": "linux"}})
    };
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry("arm64"), entry("amd64")],
    }))
    .unwrap();
    put_manifest_raw(
        &reg,
        &repo,
        "list",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    let list = format!("docker://{reg}/{repo}:list");
    // --raw is the index; inspect and copy pick the platform's image.
    assert_eq!(
        ok(lade().args(["inspect", "--raw", INSECURE, &list])),
        index
    );
    let plat = ["--override-os", "linux", "--override-arch", "amd64"];
    let l = json(&ok(lade()
        .arg("inspect")
        .args(plat)
        .args([INSECURE, &list])));
    let s = json(&ok(skopeo().args(plat).args(["inspect", INSECURE, &list])));
    for f in ["Digest", "Architecture", "Os", "Layers", "Env", "Created"] {
        assert_eq!(l[f], s[f], "field {f}");
    }
    let out = oci(&t.path().join("out"), "x");
    ok(lade()
        .args(["copy", "-q", "--src-tls-verify=false"])
        .args(plat)
        .args([&list, &out]));
    assert_eq!(digest_of(&out, &[]), d);
    // No image for the platform: a clear error.
    let err = fails_with(
        lade().args([
            "copy",
            "--src-tls-verify=false",
            "--override-arch",
            "s390x",
            &list,
            &oci(&t.path().join("none"), "x"),
        ]),
        1,
    );
    assert!(err.contains("s390x"), "{err}");
}

#[test]
fn username_password_no_creds_and_per_side_auth_files() {
    let Some(plain) = registry() else { return };
    if !require_tool("docker-registry") || !require_tool("htpasswd") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let (reg, cert_dir) = secure_registry(t.path());
    let cd = cert_dir.to_str().unwrap();
    let img = format!("docker://{}/{}:1", reg.addr, unique("up/a"));
    // --dest-username/--dest-password push, --username/--password read.
    ok(lade().args([
        "copy",
        "-q",
        "--dest-cert-dir",
        cd,
        "--dest-username",
        "alice",
        "--dest-password",
        "s3cret",
        &src,
        &img,
    ]));
    let with = |extra: &[&str]| {
        let mut c = lade();
        c.args(["inspect", "--cert-dir", cd]).args(extra).arg(&img);
        c
    };
    ok(&mut with(&["--username", "alice", "--password", "s3cret"]));
    // An auth file holding alice's login serves; --no-creds ignores it.
    use base64::Engine as _;
    let auth = t.path().join("auth.json");
    let login = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    fs::write(
        &auth,
        json!({"auths": {reg.addr.clone(): {"auth": login}}}).to_string(),
    )
    .unwrap();
    let a = auth.to_str().unwrap();
    ok(&mut with(&["--authfile", a]));
    let err = fails_with(&mut with(&["--authfile", a, "--no-creds"]), 3);
    assert!(err.contains("authentication required"), "{err}");
    // Per side: the source's auth file is not the destination's.
    let dst = format!("docker://{plain}/{}:1", unique("up/b"));
    let copy = |extra: &[&str]| {
        let mut c = lade();
        c.args([
            "copy",
            "-q",
            "--src-cert-dir",
            cd,
            "--dest-tls-verify=false",
        ])
        .args(extra)
        .args([&img, &dst]);
        c
    };
    let empty = t.path().join("empty.json");
    fs::write(&empty, r#"{"auths": {}}"#).unwrap();
    let e = empty.to_str().unwrap();
    let err = fails_with(&mut copy(&["--authfile", e]), 3);
    assert!(err.contains("authentication required"), "{err}");
    ok(&mut copy(&["--authfile", e, "--src-authfile", a]));
    let missing = t.path().join("none.json");
    let m = missing.to_str().unwrap();
    let err = fails_with(&mut copy(&["--src-authfile", a, "--src-no-creds"]), 3);
    assert!(err.contains("authentication required"), "{err}");
    // An auth file that is not there holds no credentials, as skopeo reads
    // it: the destination needs none.
    ok(&mut copy(&["--authfile", a, "--dest-authfile", m]));
    // Usage errors: exit 2.
    for bad in [
        &["--username", "alice"][..],
        &[
            "--creds",
            "alice:s3cret",
            "--username",
            "alice",
            "--password",
            "x",
        ][..],
        &["--no-creds", "--creds", "alice:s3cret"][..],
        &["--creds", "alice:s3cret", "--password", "p"][..],
        &["--no-creds", "--password", "p"][..],
        &["--username", "al:ice", "--password", "p"][..],
    ] {
        fails_with(&mut with(bad), 2);
    }
    fails_with(&mut copy(&["--src-password", "x"]), 2);
    fails_with(&mut copy(&["--dest-no-creds", "--dest-creds", "a:b"]), 2);
    fails_with(&mut copy(&["--src-no-creds", "--src-password", "p"]), 2);
    fails_with(
        &mut copy(&["--dest-creds", "a:b", "--dest-password", "p"]),
        2,
    );
}

#[test]
fn inspect_format_prints_as_skopeo_does() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let img = format!("docker://{reg}/{}:1", unique("fmt/a"));
    ok(lade().args(["copy", "-q", "--dest-tls-verify=false", &src, &img]));
    // Templates skopeo reads the same way (skopeo 1.9 knows no custom
    // functions and no Variant or LayersData).
    for f in [
        "{{.Digest}}",
        "Name: {{.Name}} Digest: {{.Digest}}",
        "{{.RepoTags}}",
        "{{.Labels}}",
        "{{.Layers}}",
        "{{range .Layers}}{{.}}\\n{{end}}",
        "{{range $i, $l := .Layers}}{{$i}}={{$l}} {{end}}",
        "{{len .Layers}} {{index .Layers 0}}",
        "{{.Env}}",
        "{{if .Labels}}labels{{else}}none{{end}}",
        "{{printf \"%s/%s\" .Os .Architecture}}",
        "{{.Created}}",
        "{{with .RepoTags}}{{index . 0}}{{end}}",
        "{{if eq .Os \"linux\"}}L{{end}}",
        // numbers as Go writes them; Go's literals
        "{{2.0}} {{0.5}} {{-0.25}} {{1e6}} {{123456.0}} {{1.5e-5}} {{0x1F}} {{0o17}} {{1_000}} {{'a'}}",
        "{{printf \"%t|%5.2f|%e|%g|%v|%x|%X|%c|%+d|%05d|%-4s|%.3s|%.2v\" true 3.14159 1500000.0 0.000012 2.5 255 255 65 7 42 \"ab\" \"abcdef\" 3.14159}}",
        // what Go's fmt cannot print as asked, said in the output; octal
        "{{printf \"%t|%f|%d|%s|%d\" 1 \"x\" 2.5 3 nil}} {{printf \"%d %d\" 1}} {{printf \"%d\" 1 \"a\" 2.5}} {{printf \"%.1f|%+c\" 1234 65}} {{010}} {{-017}}",
        // positional and * arguments, as Go's fmt reads them
        "{{printf \"%[2]s-%[1]s|%[1]s %s|%[3]d\" \"a\" \"b\"}} {{printf \"%*d|%-*d|%.*f|%[2]*[1]d\" 5 1 4 2 2 3.14159}}",
        "{{printf \"%[x]d %[1\" 1}} {{printf \"%.*d|%*d|%-*d|%[0]d\" -1 5 \"a\" 5 -3 1}} {{printf \"%d %[1]d %d %[2]d %[1]d\" 1}}",
        // an index before a number is a bad one; a second index is none;
        // an integer's precision; giant * widths; a dot at the end
        "{{printf \"%[2]2d|%[2].2f|%[1][2]d|%[]|%.3d\" 1 2.5}} {{printf \"%.3d|%.0d|%05.3d|%-6.3d|%.3x|%+.3d|%.2d|%6.2d|%.4X\" 4 0 7 7 255 3 -5 7 10}}",
        "{{printf \"%.\" 1}} {{printf \"%*d|%.*d\" 2000000 1 -2000000 3}} {{printf \"%.*d|%[1]*.[1]*d\" 3 4}} {{'\\xff'}} {{'\\377'}}",
        // the other builtins: slice, the escapers
        "{{slice .Os 1 3}} {{slice .Os 2}} {{slice .Layers 1}} {{slice .Layers 0 1 1}} {{len (slice .Layers 1)}}",
        "{{html \"<a href='x'>&\\\"b\\\"</a>\"}} {{html .Os 5 6}} {{html 1 2 \"x\" 3}} {{.Os | html}}",
        "{{js \"a\\\\b'c\\\"d<e>f&g=h\\ti\"}} {{js .Layers}} {{js \"é€😀\\u200b\\u00ad\"}}",
        "{{urlquery \"a b/c?d=e&f~g_h.i-j\"}} {{urlquery .Os \"x y\" 3}} {{urlquery \"é\"}}",
        // leaving a range early
        "{{range $i, $l := .Layers}}{{if eq $i 1}}{{break}}{{end}}[{{$l}}]{{end}}",
        "{{range $i, $l := .Layers}}{{if eq $i 0}}{{continue}}{{end}}[{{$l}}]{{end}}",
    ] {
        let s = ok(skopeo().args(["inspect", INSECURE, "--format", f, &img]));
        let l = ok(lade().args(["inspect", INSECURE, "--format", f, &img]));
        assert_eq!(
            String::from_utf8_lossy(&l),
            String::from_utf8_lossy(&s),
            "{f}"
        );
    }
    // json is the JSON; functions newer tools add work too.
    let plain = ok(lade().args(["inspect", INSECURE, &img]));
    assert_eq!(
        ok(lade().args(["inspect", INSECURE, "-f", "json", &img])),
        plain
    );
    let v = json(&plain);
    let out = ok_str(lade().args([
        "inspect",
        INSECURE,
        "-f",
        "{{join .Layers \",\"}} {{.Os | upper}} {{json .Labels}}",
        &img,
    ]));
    let layers: Vec<&str> = v["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(out, format!("{} LINUX {}", layers.join(","), v["Labels"]));
    // A template that cannot be read: exit 2, before any request; one that
    // names what is not there: exit 3, nothing printed.
    for (bad, said) in [
        ("{{.Digest", "--format"),
        ("{{$d}}", "undefined variable $d"),
    ] {
        let err = fails_with(
            lade().args(["inspect", "-f", bad, "docker://127.0.0.1:1/x:1"]),
            2,
        );
        assert!(err.contains(said), "{err}");
    }
    let o = run(lade().args(["inspect", INSECURE, "-f", "{{.Digest}} {{.Nope}}", &img]));
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("can't evaluate field Nope"));
    fails_with(
        lade().args(["inspect", "--raw", "-f", "{{.Digest}}", &img]),
        2,
    );
}

/// What a registry lists is bounded and checked: a tag that is no tag
/// (`../`, `:`, 129 characters) is refused with the listing, before it goes
/// into a URL or a file name; a referrers list past 10,000 entries is
/// refused, not held in memory. Nothing is written.
#[test]
fn hostile_listings_are_refused() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some((_src, repo)) = fixture_pushed(&reg, t.path(), "hostile/a") else {
        return;
    };
    let bad_tag = Arc::new(Mutex::new(String::new()));
    let bt = bad_tag.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        if req.path.contains("/tags/list") {
            let tags = serde_json::json!({"name": "x", "tags": ["1", *bt.lock().unwrap()]});
            return Action::Respond(response(
                "200 OK",
                &[("Content-Type", "application/json".into())],
                tags.to_string().as_bytes(),
            ));
        }
        if req.path.contains("/referrers/") {
            let d = serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": format!("sha256:{}", "1".repeat(64)), "size": 1});
            let index = serde_json::json!({"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": vec![d; 10_001]});
            return Action::Respond(response(
                "200 OK",
                &[(
                    "Content-Type",
                    "application/vnd.oci.image.index.v1+json".into(),
                )],
                index.to_string().as_bytes(),
            ));
        }
        Action::Forward { cut_body_at: None }
    });
    let src = format!("docker://{proxy}/{repo}");
    // A name that is no tag is left out (said in one short line); it
    // goes into no request and no path.
    for (i, bad) in ["../../other/manifests/x:1", "a:b", &"x".repeat(129)]
        .into_iter()
        .enumerate()
    {
        *bad_tag.lock().unwrap() = bad.to_string();
        let out = run(lade().args(["list-tags", "--tls-verify=false", &src]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert_eq!(json(&out.stdout)["Tags"], json!(["1"]));
        assert!(
            err.contains("1 name that is no valid tag left out"),
            "{}",
            &err[..err.len().min(300)]
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.len() < 400, "the bad tag is not quoted whole");
        let d = t.path().join(format!("sync{i}"));
        ok(lade()
            .args(["sync", "-q", "--src-tls-verify=false", &src])
            .arg(format!("dir:{}", d.display())));
        let names: Vec<String> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.len() == 1 && names[0].ends_with(":1"), "{names:?}");
        assert!(!t.path().join("other").exists());
    }
    let d = t.path().join("refs");
    let err = fails_with(
        lade()
            .args(["copy", "--with-referrers", "--src-tls-verify=false"])
            .arg(format!("{src}:1"))
            .arg(oci(&d, "x")),
        3,
    );
    assert!(err.contains("goes past 10000 entries"), "{err}");
}

/// Settings files that are FIFOs (a registries.conf, an auth file, a
/// certificate) are refused at once, never waited on.
#[test]
fn settings_files_that_are_fifos_are_refused_at_once() {
    let t = tempdir();
    let fifo = t.path().join("fifo");
    ok(Command::new("mkfifo").arg(&fifo));
    let certs = t.path().join("certs");
    fs::create_dir(&certs).unwrap();
    ok(Command::new("mkfifo").arg(certs.join("ca.crt")));
    let f = fifo.to_str().unwrap();
    let image = "docker://127.0.0.1:9/lade/none:1";
    for args in [
        vec!["--registries-conf", f, "inspect", image],
        vec!["inspect", "--authfile", f, image],
        vec!["inspect", "--cert-dir", certs.to_str().unwrap(), image],
    ] {
        let out = run_within(lade().args(&args), 20);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
}

/// logout of an auth file it cannot read as one (a JSON list, `auths`
/// not an object) fails naming the file, and leaves it as it was; it
/// does not say the credentials are gone.
#[test]
fn logout_of_a_file_that_is_no_auth_file_fails() {
    let t = tempdir();
    let f = t.path().join("auth.json");
    for text in ["[1,2]", r#"{"auths":[]}"#] {
        fs::write(&f, text).unwrap();
        let err = fails_with(
            lade()
                .env("REGISTRY_AUTH_FILE", &f)
                .args(["logout", "--all"]),
            3,
        );
        assert!(
            err.contains(&f.display().to_string()) && err.contains("not a JSON object"),
            "{err}"
        );
        assert!(!err.contains("Removed"), "{err}");
        assert_eq!(fs::read_to_string(&f).unwrap(), text);
    }
}

/// logout of a registry whose credentials lade reads from a file it
/// does not change (docker login's ~/.docker/config.json): not logged in
/// (exit 1), and the error names that file, left as it was; before, it
/// named only the auth file, while login --get-login found the user.
/// `login --compat-auth-file FILE` (skopeo's): the credentials go into
/// FILE in Docker's config.json form (under the registry's key;
/// docker.io's is `https://index.docker.io/v1/`) and nowhere else: not
/// the default auth file, not $REGISTRY_AUTH_FILE. What else FILE holds
/// stays. skopeo reads them from it; `logout --compat-auth-file FILE`
/// takes them out again. A namespace (Docker keys by registry) and
/// --authfile beside it are usage errors.
#[test]
fn compat_auth_file_login_logout() {
    let Some(_) = registry() else { return };
    if !require_tool("docker-registry")
        || !require_tool("htpasswd")
        || !require_tool("openssl")
        || !require_tool("skopeo")
    {
        return;
    }
    let t = tempdir();
    let (reg, cert_dir) = secure_registry(t.path());
    let cd = cert_dir.to_str().unwrap();
    // (a symlink, as dotfile managers make it: written where it points,
    // the link kept, as docker writes it)
    let cfg = t.path().join("docker/config.json");
    let real = t.path().join("dotfiles/docker-config.json");
    fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &cfg).unwrap();
    let before = json!({
        "auths": {"other.example": {"auth": b64std(b"o:p")}},
        "psFormat": "table {{.ID}}",
        "credHelpers": {"helped.example": "nope"},
    });
    fs::write(&real, before.to_string()).unwrap();
    let run_dir = t.path().join("run");
    fs::create_dir_all(&run_dir).unwrap();
    let env_file = t.path().join("env-auth.json");
    let with = |args: &[&str]| {
        let mut c = lade();
        c.env("XDG_RUNTIME_DIR", &run_dir)
            .env("REGISTRY_AUTH_FILE", &env_file)
            .args(args)
            .arg("--compat-auth-file")
            .arg(&cfg);
        c
    };
    let login = |target: &str| {
        run_with_input(
            with(&[
                "login",
                "-v",
                "-u",
                "alice",
                "--password-stdin",
                "--cert-dir",
                cd,
            ])
            .arg(target),
            b"s3cret\n",
        )
    };
    let o = login(&reg.addr);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&format!("Used:  {}", cfg.display())),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v = json(&fs::read(&cfg).unwrap());
    assert_eq!(
        v["auths"][&reg.addr]["auth"],
        b64std(b"alice:s3cret"),
        "{v}"
    );
    assert_eq!(
        v["auths"]["other.example"],
        before["auths"]["other.example"]
    );
    assert_eq!(v["psFormat"], before["psFormat"]);
    assert_eq!(v["credHelpers"], before["credHelpers"]);
    assert!(!env_file.exists() && !run_dir.join("containers").exists());
    assert!(fs::symlink_metadata(&cfg).unwrap().file_type().is_symlink());
    assert_get_login_both(&cfg, &reg.addr, "alice");
    assert_eq!(
        ok_str(&mut with(&["login", "--get-login", &reg.addr])),
        "alice"
    );

    let text = fs::read_to_string(&cfg).unwrap();
    let o = login(&format!("{}/team", reg.addr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("namespace"), "{err}");
    let err = fails_with(
        with(&["login", "--get-login", "--authfile"])
            .arg(&env_file)
            .arg(&reg.addr),
        2,
    );
    assert!(err.contains("--authfile"), "{err}");
    assert_eq!(fs::read_to_string(&cfg).unwrap(), text);

    ok(&mut with(&["logout", &reg.addr]));
    let v = json(&fs::read(&cfg).unwrap());
    assert!(v["auths"].get(&reg.addr).is_none(), "{v}");
    assert_eq!(
        v["auths"]["other.example"],
        before["auths"]["other.example"]
    );
    assert_eq!(v["psFormat"], before["psFormat"]);
    assert!(fs::symlink_metadata(&cfg).unwrap().file_type().is_symlink());
    fails_with(&mut with(&["login", "--get-login", &reg.addr]), 1);

    // Docker Hub is keyed as Docker keys it (no request is made here).
    fs::write(
        &cfg,
        json!({"auths": {"https://index.docker.io/v1/": {"auth": b64std(b"hub:x")}}}).to_string(),
    )
    .unwrap();
    assert_eq!(
        ok_str(&mut with(&["login", "--get-login", "docker.io"])),
        "hub"
    );
    ok(&mut with(&["logout", "docker.io"]));
    let v = json(&fs::read(&cfg).unwrap());
    assert_eq!(v["auths"], json!({}), "{v}");
}

/// lade with `home` as HOME and `run_dir` as XDG_RUNTIME_DIR, and no other
/// place it finds auth files in (XDG_CONFIG_HOME, REGISTRY_AUTH_FILE,
/// DOCKER_CONFIG) from the environment.
fn lade_at_home(home: &Path, run_dir: &Path) -> Command {
    let mut c = lade();
    c.env("HOME", home)
        .env("XDG_RUNTIME_DIR", run_dir)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG");
    c
}

#[test]
fn logout_names_the_docker_config_it_leaves() {
    let t = tempdir();
    let home = t.path().join("home");
    fs::create_dir_all(home.join(".docker")).unwrap();
    let config = home.join(".docker/config.json");
    let text = json!({"auths": {"reg.example": {"auth": b64std(b"u:p")}}}).to_string();
    fs::write(&config, &text).unwrap();
    let run_dir = t.path().join("run");
    fs::create_dir_all(&run_dir).unwrap();
    let with = |args: &[&str]| {
        let mut c = lade_at_home(&home, &run_dir);
        c.args(args);
        c
    };
    assert_eq!(
        ok_str(&mut with(&["login", "--get-login", "reg.example"])),
        "u"
    );
    let err = fails_with(&mut with(&["logout", "reg.example"]), 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not logged in to reg.example") && err.contains(&config.display().to_string()),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), text);
    // Nowhere: the plain answer.
    let err = fails_with(&mut with(&["logout", "other.example"]), 1);
    assert!(!err.contains("config.json"), "{err}");
}

/// A `docker-credential-NAME` helper keeping each registry's credentials
/// in a file of `dir` (store, get, erase, list, as Docker's helpers do);
/// each erase is logged in `dir/erased`. The PATH that finds it.
fn file_backed_helper(root: &Path, name: &str) -> (std::path::PathBuf, String) {
    use std::os::unix::fs::PermissionsExt;
    let bin = root.join("bin");
    let dir = root.join(format!("{name}-kept"));
    fs::create_dir_all(&bin).unwrap();
    fs::create_dir_all(&dir).unwrap();
    let script = format!(
        r#"#!/bin/sh
d={d}
input=$(cat)
key() {{ printf '%s' "$1" | tr '/:' '__'; }}
server() {{ sed 's/.*"ServerURL":"\([^"]*\)".*/\1/'; }}
case "$1" in
store) s=$(printf '%s' "$input" | server); printf '%s' "$input" > "$d/$(key "$s").cred" ;;
get) f="$d/$(key "$input").cred"
  if [ -f "$f" ]; then cat "$f"; else echo 'credentials not found in native keychain'; exit 1; fi ;;
erase) printf '%s\n' "$input" >> "$d/erased"; f="$d/$(key "$input").cred"
  if [ -f "$f" ]; then rm "$f"; else echo 'credentials not found in native keychain'; exit 1; fi ;;
list) printf '{{'; sep=''
  for f in "$d"/*.cred; do [ -f "$f" ] || continue
    s=$(server < "$f"); u=$(sed 's/.*"Username":"\([^"]*\)".*/\1/' "$f")
    printf '%s"%s":"%s"' "$sep" "$s" "$u"; sep=','
  done; printf '}}' ;;
*) exit 1 ;;
esac
"#,
        d = dir.display()
    );
    let helper = bin.join(format!("docker-credential-{name}"));
    fs::write(&helper, script).unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    (dir, path)
}

/// `logout --all` of an auth file naming a `credsStore`: every registry
/// the store lists (the one lade logged in to, one Docker stored there)
/// is erased from it, and lade reads no credentials for them after; the
/// file's own entries go too. Before, the store was not asked, and the
/// credentials stayed in use though logout said they were removed. A
/// store that is not installed holds nothing to erase.
#[test]
fn logout_all_erases_what_the_creds_store_holds() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let (kept, path) = file_backed_helper(t.path(), "ladestore");
    let authfile = t.path().join("cs.json");
    fs::write(&authfile, json!({"credsStore": "ladestore"}).to_string()).unwrap();
    let with = |args: &[&str]| {
        let mut c = lade();
        c.env("PATH", &path)
            .args(args)
            .arg("--authfile")
            .arg(&authfile);
        c
    };
    let o = run_with_input(
        with(&["login", "-v", "-u", "alice", "--password-stdin", INSECURE]).arg(&reg),
        b"s3cret\n",
    );
    assert!(o.status.success(), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Used:  docker-credential-ladestore"),
        "{o:?}"
    );
    // Another registry's, as docker login keeps them there.
    let o = run_with_input(
        Command::new(t.path().join("bin/docker-credential-ladestore")).arg("store"),
        br#"{"ServerURL":"other.example:5000","Username":"bob","Secret":"pw"}"#,
    );
    assert!(o.status.success(), "{o:?}");
    for (host, user) in [(reg.as_str(), "alice"), ("other.example:5000", "bob")] {
        assert_eq!(ok_str(&mut with(&["login", "--get-login", host])), user);
    }
    let out = ok_str(&mut with(&["logout", "--all"]));
    assert_eq!(out, "Removed login credentials for all registries");
    for host in [reg.as_str(), "other.example:5000"] {
        let err = fails_with(&mut with(&["login", "--get-login", host]), 1);
        assert!(err.contains("not logged in"), "{err}");
    }
    let erased = fs::read_to_string(kept.join("erased")).unwrap();
    let mut erased: Vec<&str> = erased.lines().collect();
    erased.sort();
    let mut want = vec![reg.as_str(), "other.example:5000"];
    want.sort();
    assert_eq!(erased, want);
    assert_eq!(
        json(&fs::read(&authfile).unwrap()),
        json!({"credsStore": "ladestore"})
    );
    // Not installed: nothing to erase there; the file's entries go.
    fs::write(
        &authfile,
        json!({"credsStore": "lade-not-installed", "auths": {"r.example": {"auth": b64std(b"u:p")}}})
            .to_string(),
    )
    .unwrap();
    ok(&mut with(&["logout", "--all"]));
    assert_eq!(json(&fs::read(&authfile).unwrap())["auths"], json!({}));
}

/// An auth file that is there but is no auth file (not JSON, or a part
/// of the wrong kind) is an error naming the file (exit 3) when
/// credentials are read from it, as skopeo reads it: not passed over for
/// the credentials of the next file (~/.docker/config.json), nor taken
/// for "not logged in". The error shows no value from it. A blank file
/// holds none.
#[test]
fn an_auth_file_that_is_no_auth_file_is_refused_when_read() {
    let t = tempdir();
    let home = t.path().join("home");
    fs::create_dir_all(home.join(".docker")).unwrap();
    fs::write(
        home.join(".docker/config.json"),
        json!({"auths": {"127.0.0.1:9": {"auth": b64std(b"bob:pw")}}}).to_string(),
    )
    .unwrap();
    let run_dir = t.path().join("run");
    fs::create_dir_all(run_dir.join("containers")).unwrap();
    let runtime = run_dir.join("containers/auth.json");
    let named = t.path().join("named.json");
    let with = |args: &[&str]| {
        let mut c = lade_at_home(&home, &run_dir);
        c.stdin(Stdio::null()).args(args);
        c
    };
    let bad = [
        (r#"{"auths":["oops"]}"#, "auths is not a JSON object"),
        ("[]", "not a JSON object"),
        (
            r#"{"auths":{"127.0.0.1:9":"oops"}}"#,
            "auths.127.0.0.1:9 is not a JSON object",
        ),
        (
            r#"{"auths":{"127.0.0.1:9":{"auth":123}}}"#,
            "auths.127.0.0.1:9.auth is not a string",
        ),
        (
            r#"{"credHelpers":{"127.0.0.1:9":["oops"]}}"#,
            "credHelpers.127.0.0.1:9 is not a string",
        ),
        ("{oops", "not JSON"),
    ];
    for (text, why) in bad {
        fs::write(&runtime, text).unwrap();
        fs::write(&named, text).unwrap();
        let runtime_args: Vec<Vec<&str>> = vec![
            vec!["login", "--get-login", "127.0.0.1:9"],
            vec!["list-tags", INSECURE, "docker://127.0.0.1:9/repo"],
        ];
        for args in runtime_args {
            let err = fails_with(&mut with(&args), 3);
            assert_eq!(err.lines().count(), 1, "{text}: {err}");
            assert!(
                err.contains(&format!("auth file {}: {why}", runtime.display())),
                "{text}: {args:?}: {err}"
            );
            assert!(!err.contains("oops") && !err.contains("123"), "{err}");
        }
        for args in [
            vec!["login", "--get-login", "127.0.0.1:9"],
            vec!["inspect", INSECURE, "docker://127.0.0.1:9/repo:1"],
        ] {
            let err = fails_with(
                with(&args[..1])
                    .arg("--authfile")
                    .arg(&named)
                    .args(&args[1..]),
                3,
            );
            assert!(
                err.contains(&format!("auth file {}: {why}", named.display())),
                "{text}: {args:?}: {err}"
            );
        }
        // skopeo refuses it too.
        if text != "{oops" && require_tool("skopeo") {
            let o = run(skopeo()
                .stdin(Stdio::null())
                .args(["login", "--get-login", "--authfile"])
                .arg(&named)
                .arg("127.0.0.1:9"));
            assert!(!o.status.success(), "skopeo took {text}");
        }
    }
    // A good one is read again (bob's, from config.json past a blank
    // runtime file).
    fs::write(&runtime, "\n").unwrap();
    assert_eq!(
        ok_str(&mut with(&["login", "--get-login", "127.0.0.1:9"])),
        "bob"
    );
}

/// The temp file holding the new auth file (the secret in it) is
/// removed when `--command-timeout` ends login or logout as it is about
/// to be renamed into place (the rename held back with strace), and the
/// auth file stays as it was.
#[test]
fn an_ended_login_leaves_no_temp_auth_file() {
    let Some(reg) = registry() else { return };
    if !require_tool("strace") {
        return;
    }
    let t = tempdir();
    let dir = t.path().join("sig");
    let authfile = dir.join("a.json");
    let slow_rename = |args: &[&str]| {
        let mut c = Command::new("strace");
        c.args([
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=rename,renameat,renameat2",
        ])
        .args(["-e", "inject=rename,renameat,renameat2:delay_enter=4000000"])
        .arg(env!("CARGO_BIN_EXE_lade"))
        .args(["--command-timeout", "2s"])
        .args(args)
        .arg("--authfile")
        .arg(&authfile);
        c
    };
    let o = run_with_input(
        slow_rename(&["login", "-u", "alice", "--password-stdin", INSECURE]).arg(&reg),
        b"hunter2\n",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("ran out of time"), "{err}");
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Logout: the file it would have rewritten stays.
    let text = json!({"auths": {reg.clone(): {"auth": b64std(b"alice:hunter2")}}}).to_string();
    fs::write(&authfile, &text).unwrap();
    let o = run(slow_rename(&["logout"]).arg(&reg));
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, std::slice::from_ref(&authfile), "{left:?}");
    assert_eq!(fs::read_to_string(&authfile).unwrap(), text);
}

/// A user and password written into a token realm's URL are left out of
/// the error a failed token request gives, as --debug leaves them out.
#[test]
fn a_token_realms_password_is_never_shown() {
    let reg = serve(None, |_| {
        Action::Respond(response(
            "401 Unauthorized",
            &[(
                "WWW-Authenticate",
                r#"Bearer realm="http://bob:hunter2@127.0.0.1:1/token",service="r""#.into(),
            )],
            b"",
        ))
    });
    for debug in [false, true] {
        let mut c = lade();
        if debug {
            c.arg("--debug");
        }
        let err = fails_with(
            c.args([
                "list-tags",
                INSECURE,
                "--retry-times",
                "0",
                "--creds",
                "u:p",
            ])
            .arg(format!("docker://{reg}/r")),
            3,
        );
        assert!(!err.contains("hunter2") && !err.contains("bob"), "{err}");
        assert!(
            err.contains("token service http://…@127.0.0.1:1/token"),
            "{err}"
        );
    }
}

/// A rewrite of an auth file stays within the size lade reads auth files
/// up to (16 MiB): pretty-printed, a 14.7 MB file would grow past it, so
/// it is written compactly and read again after; one that would be too
/// big even so is refused, the file left as it was.
#[test]
fn a_rewritten_auth_file_stays_readable() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let authfile = t.path().join("big.json");
    let limit = 16usize << 20;
    // Compact JSON of `n` entries (35 bytes each) and `last`.
    let big = |n: usize, last: &str| {
        let mut s = String::from("{\"auths\":{");
        for i in 0..n {
            s.push_str(&format!("\"h{i:07}.example\":{{\"auth\":\"dTpw\"}},"));
        }
        s.push_str(last);
        s.push_str("}}");
        s
    };
    let text = big(14_700_000 / 35, r#""gone.example":{"auth":"dTpw"}"#);
    assert!(text.len() > 14_000_000 && text.len() < limit);
    let pretty = serde_json::to_vec_pretty(&json(text.as_bytes())).unwrap();
    assert!(pretty.len() > limit, "{}", pretty.len());
    fs::write(&authfile, &text).unwrap();
    let with = |args: &[&str]| {
        let mut c = lade();
        c.args(args).arg("--authfile").arg(&authfile);
        c
    };
    ok(&mut with(&["logout", "gone.example"]));
    let len = fs::metadata(&authfile).unwrap().len();
    assert!(len <= limit as u64, "{len}");
    assert_eq!(
        ok_str(&mut with(&["login", "--get-login", "h0000001.example"])),
        "u"
    );
    fails_with(&mut with(&["login", "--get-login", "gone.example"]), 1);
    // Too big even compact: refused, the file kept.
    // (padded with fewer blanks than the new entry takes)
    let last = r#""last.example":{"auth":"dTpw"}"#;
    let entry = big(1, last).len() - big(0, last).len();
    let mut text = big((limit - big(0, last).len()) / entry, last);
    assert!(text.len() < limit);
    text.insert_str(text.len() - 1, &" ".repeat(limit - text.len()));
    assert_eq!(text.len(), limit);
    fs::write(&authfile, &text).unwrap();
    let o = run_with_input(
        with(&["login", "-u", "alice", "--password-stdin", INSECURE]).arg(&reg),
        b"s3cret\n",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&authfile.display().to_string())
            && err.contains("byte limit")
            && err.contains("left as it was"),
        "{err}"
    );
    assert!(fs::read(&authfile).unwrap() == text.as_bytes());
    assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
}

/// An auth file given as a chain of symlinks, dangling at its end, is
/// written where the chain ends (that file made), the links kept, as a
/// single link is; logins through the link and to the file itself at
/// once all land (one lock, where the file is written).
#[test]
fn an_auth_file_behind_a_chain_of_links_is_written_at_its_end() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let links = t.path().join("links");
    let real = t.path().join("real");
    fs::create_dir_all(&links).unwrap();
    fs::create_dir_all(&real).unwrap();
    let hop1 = links.join("hop1");
    std::os::unix::fs::symlink("hop2", &hop1).unwrap();
    std::os::unix::fs::symlink("../real/nothere.json", links.join("hop2")).unwrap();
    let target = real.join("nothere.json");
    let login = |file: &Path, key: &str| {
        let mut c = lade();
        c.args([
            "login",
            "-u",
            "alice",
            "-p",
            "s3cret",
            INSECURE,
            "--authfile",
        ])
        .arg(file)
        .arg(key)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        c
    };
    ok(&mut login(&hop1, &reg));
    for l in [&hop1, &links.join("hop2")] {
        assert!(
            fs::symlink_metadata(l).unwrap().file_type().is_symlink(),
            "{l:?}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let m = fs::symlink_metadata(&target).unwrap();
    assert!(m.is_file());
    assert_eq!(m.permissions().mode() & 0o777, 0o600);
    assert_get_login_both(&hop1, &reg, "alice");
    let children: Vec<_> = (0..12)
        .map(|i| {
            let file = if i % 2 == 0 { &hop1 } else { &target };
            login(file, &format!("{reg}/ns{i}")).spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let v = json(&fs::read(&target).unwrap());
    assert_eq!(v["auths"].as_object().unwrap().len(), 13, "{v}");
    ok(lade().args(["logout", "--all", "--authfile"]).arg(&hop1));
    assert_eq!(json(&fs::read(&target).unwrap())["auths"], json!({}));
    assert!(fs::symlink_metadata(&hop1)
        .unwrap()
        .file_type()
        .is_symlink());
    // A loop of links is an error naming the file.
    let lp = links.join("loop");
    std::os::unix::fs::symlink("loop", &lp).unwrap();
    let err = fails_with(lade().args(["logout", "--all", "--authfile"]).arg(&lp), 3);
    assert!(err.contains(&lp.display().to_string()), "{err}");
}

/// A registry that asks for no credentials: login saves them all the
/// same (as skopeo and docker do) but says they were not checked.
#[test]
fn login_where_no_credentials_are_asked_says_so() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let authfile = t.path().join("auth.json");
    let err = ok_stderr(
        lade()
            .args([
                "login",
                "-u",
                "me",
                "-p",
                "pw",
                "--tls-verify=false",
                "--authfile",
            ])
            .arg(&authfile)
            .arg(&reg),
    );
    assert_eq!(
        err,
        format!(
            "lade: warning: {reg} asked for no credentials (GET /v2/): they were not checked\n"
        )
    );
    assert_get_login_both(&authfile, &reg, "me");
}

/// A registry caught rewriting a link (another client PUT the same blob
/// or manifest at that moment) answers a HEAD with 500 and a manifest
/// PUT naming it with 400 MANIFEST_BLOB_UNKNOWN. Both are asked again a
/// moment later; a manifest whose blobs stay unknown, or a PUT refused
/// for another reason, fails as before.
#[test]
fn a_registry_caught_rewriting_a_link_is_asked_again() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some(src) = fixture_layout(&t.path().join("src")) else {
        return;
    };
    let want = digest_of(&src, &[]);
    let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let cnt = counts.clone();
    let mode = Arc::new(Mutex::new(String::new()));
    let m = mode.clone();
    let proxy = serve(Some(reg.clone()), move |req| {
        let mode = m.lock().unwrap().clone();
        let head_blob = req.method == "HEAD" && req.path.contains("/blobs/sha256:");
        let put_manifest = req.method == "PUT" && req.path.contains("/manifests/");
        let head_manifest = req.method == "HEAD" && req.path.contains("/manifests/");
        let get_manifest = req.method == "GET" && req.path.contains("/manifests/");
        let key = if head_blob {
            "HEAD blob"
        } else if head_manifest {
            "HEAD manifest"
        } else if get_manifest {
            "GET manifest"
        } else if put_manifest {
            "PUT manifest"
        } else {
            "other"
        };
        let n = {
            let mut c = cnt.lock().unwrap();
            let e = c.entry(key.to_string()).or_insert(0);
            *e += 1;
            *e
        };
        let refused = |code: &str| {
            let body = json!({"errors": [{"code": code, "message": "blob unknown to registry"}]});
            Action::Respond(response(
                "400 Bad Request",
                &[("Content-Type", "application/json".into())],
                body.to_string().as_bytes(),
            ))
        };
        match mode.as_str() {
            "head500" if head_blob && n == 1 => {
                Action::Respond(response("500 Internal Server Error", &[], b""))
            }
            "manifest500" if head_manifest || get_manifest => {
                Action::Respond(response("500 Internal Server Error", &[], b""))
            }
            "put400" if put_manifest && n <= 2 => refused("MANIFEST_BLOB_UNKNOWN"),
            "put400always" if put_manifest => refused("MANIFEST_BLOB_UNKNOWN"),
            "put400invalid" if put_manifest => refused("MANIFEST_INVALID"),
            _ => Action::Forward { cut_body_at: None },
        }
    });
    let set = |s: &str| {
        *mode.lock().unwrap() = s.to_string();
        counts.lock().unwrap().clear();
    };
    let count = |k: &str| counts.lock().unwrap().get(k).copied().unwrap_or(0);
    let push = |repo: &str| {
        let mut c = lade();
        c.args(["copy", "-q", "--dest-tls-verify=false", &src])
            .arg(format!("docker://{proxy}/{repo}:1"));
        run(&mut c)
    };
    let landed = |repo: &str| digest_of(&format!("docker://{reg}/{repo}:1"), &[INSECURE]);

    set("");
    let repo = unique("race/plain");
    let o = push(&repo);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let heads = count("HEAD blob");
    assert!(heads >= 2, "{heads}");

    set("head500");
    let repo = unique("race/head");
    let o = push(&repo);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(landed(&repo), want);
    // one of them twice
    assert_eq!(count("HEAD blob"), heads + 1);
    // With --retry-times the client's own retry takes it (not both).
    set("head500");
    let repo = unique("race/head-retry");
    let mut c = lade();
    c.args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--retry-times",
        "1",
    ])
    .args(["--retry-delay", "10ms", &src])
    .arg(format!("docker://{proxy}/{repo}:1"));
    let o = run(&mut c);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(count("HEAD blob"), heads + 1);
    // Where lade writes nothing (delete's lookup of the manifest), a 500
    // is an answer.
    set("manifest500");
    fails_with(
        lade()
            .args(["delete", "--tls-verify=false"])
            .arg(format!("docker://{proxy}/{repo}:1")),
        3,
    );
    assert_eq!(count("HEAD manifest") + count("GET manifest"), 1);

    set("put400");
    let repo = unique("race/put");
    let t0 = Instant::now();
    let o = push(&repo);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(landed(&repo), want);
    assert_eq!(count("PUT manifest"), 3);
    // (0.1 s, then 0.3 s)
    assert!(
        t0.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );

    set("put400always");
    let repo = unique("race/gone");
    let o = push(&repo);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("PUT /v2/") && err.contains("400") && err.contains("MANIFEST_BLOB_UNKNOWN"),
        "{err}"
    );
    assert_eq!(count("PUT manifest"), 4, "1 try + 3 more");

    set("put400invalid");
    let repo = unique("race/invalid");
    let o = push(&repo);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("MANIFEST_INVALID"));
    assert_eq!(count("PUT manifest"), 1);
}

/// zstd from a Docker v2s2 image: Docker's manifest has no zstd layer
/// type, so with no --format the copy writes an OCI manifest (as skopeo
/// does); asked for v2s2, or into a destination holding Docker manifests
/// only, it is refused before anything is written.
#[test]
fn zstd_from_a_docker_image_writes_an_oci_manifest() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let src = format!(
        "docker-archive:{}:tiny:1",
        fixture("docker-save/tiny2-docker20.tar").display()
    );
    let repo = unique("zstd/docker");
    let dst = format!("docker://{reg}/{repo}:1");
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--dest-compress-format",
        "zstd",
        &src,
        &dst,
    ]));
    let m = json(&ok(skopeo().args(["inspect", "--raw", INSECURE, &dst])));
    assert_eq!(
        m["mediaType"], "application/vnd.oci.image.manifest.v1+json",
        "{m}"
    );
    let layers = m["layers"].as_array().unwrap();
    assert!(!layers.is_empty());
    for l in layers {
        assert_eq!(
            l["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+zstd"
        );
    }
    // skopeo reads every blob back (and checks their digests).
    ok(skopeo().args([
        "copy",
        "-q",
        INSECURE,
        &dst,
        &oci(&t.path().join("back"), "x"),
    ]));

    let repo2 = unique("zstd/v2s2");
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            "--dest-compress-format",
            "zstd",
            "--format",
            "v2s2",
            &src,
            &format!("docker://{reg}/{repo2}:1"),
        ]),
        3,
    );
    assert!(err.contains("zstd-compressed layers"), "{err}");
    // (nothing went up: no such repository)
    fails_with(
        lade()
            .args(["list-tags", "--tls-verify=false"])
            .arg(format!("docker://{reg}/{repo2}")),
        1,
    );
    let out = t.path().join("z.tar");
    let err = fails_with(
        lade()
            .args(["copy", "-q", "--dest-compress-format", "zstd", &src])
            .arg(format!("docker-archive:{}", out.display())),
        2,
    );
    assert!(err.contains("zstd"), "{err}");
    assert!(!out.exists());
}

/// delete of a tag deletes the manifest the tag names, by the digest of
/// its bytes, as skopeo does: a HEAD answering another digest (a stale
/// cache in front of the registry) is not taken.
#[test]
fn delete_takes_the_digest_of_the_manifest_not_of_a_head() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let Some((_src, repo)) = fixture_pushed(&reg, t.path(), "del/head") else {
        return;
    };
    let other = format!("sha256:{}", "e".repeat(64));
    let (r2, o2) = (repo.clone(), other.clone());
    let proxy = serve(Some(reg.clone()), move |req| {
        if req.method == "HEAD" && req.path == format!("/v2/{r2}/manifests/1") {
            return Action::Respond(response(
                "200 OK",
                &[
                    ("Docker-Content-Digest", o2.clone()),
                    (
                        "Content-Type",
                        "application/vnd.oci.image.manifest.v1+json".into(),
                    ),
                ],
                b"",
            ));
        }
        Action::Forward { cut_body_at: None }
    });
    let real = json(&ok(lade().args([
        "inspect",
        INSECURE,
        &format!("docker://{reg}/{repo}:1"),
    ])))["Digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(real, other);
    ok(lade().args(["delete", INSECURE, &format!("docker://{proxy}/{repo}:1")]));
    fails_with(
        lade().args([
            "inspect",
            "--raw",
            INSECURE,
            &format!("docker://{reg}/{repo}@{real}"),
        ]),
        1,
    );
}

const OCTETS: &str = "application/octet-stream";

/// A request to `reg` (one per connection), its body of type `mt`; the
/// whole response.
fn raw_request(reg: &str, method: &str, path: &str, mt: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(reg).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {reg}\r\nContent-Type: {mt}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

/// Upload `data` as a blob of `reg`/`repo` (POST, then PUT); returns its
/// digest.
fn put_blob_raw(reg: &str, repo: &str, data: &[u8]) -> String {
    let digest = format!("sha256:{}", sha256_hex(data));
    let resp = raw_request(
        reg,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        OCTETS,
        b"",
    );
    let loc = resp
        .lines()
        .find_map(|l| l.strip_prefix("Location: "))
        .unwrap_or_else(|| panic!("{resp}"))
        .trim();
    let path = &loc[loc.find("/v2/").unwrap()..];
    let resp = raw_request(reg, "PUT", &format!("{path}&digest={digest}"), OCTETS, data);
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    digest
}

/// The status of a HEAD of `path` at `reg`.
fn head_status(reg: &str, path: &str) -> u16 {
    let resp = raw_request(reg, "HEAD", path, OCTETS, b"");
    resp.split_whitespace().nth(1).unwrap().parse().unwrap()
}
fn tar_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, name, data).unwrap();
    b.into_inner().unwrap()
}

/// A Windows-style image, whose base layer the registry does not hold but
/// names by URL (a foreign layer), copies as skopeo copies it: into a
/// registry or an OCI layout the layer stays where its URLs point (not
/// read, not written, the manifest digest kept); into a destination that
/// holds every layer's bytes (dir:, docker-archive:) it is fetched from
/// its URL, checked against its digest.
#[test]
fn foreign_layers_stay_where_their_urls_point() {
    if !require_tool("docker-registry") || !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    // distribution refuses manifests with URLs unless allowed.
    let reg = start_registry(
        tempdir(),
        "",
        "validation:\n  manifests:\n    urls:\n      allow:\n        - ^http://127\\.0\\.0\\.1\n",
    );
    let r = reg.addr.as_str();
    let base_tar = tar_of("Windows/base.txt", b"the base layer\n");
    let base = gzip(&base_tar);
    let gets = Arc::new(AtomicUsize::new(0));
    let web = {
        let (base, gets) = (base.clone(), gets.clone());
        serve(None, move |req| {
            if req.path == "/base.tgz" {
                gets.fetch_add(1, Ordering::SeqCst);
                return Action::Respond(response("200 OK", &[], &base));
            }
            if req.path == "/other.tgz" {
                return Action::Respond(response("200 OK", &[], &gzip(b"other bytes")));
            }
            Action::Respond(response("404 Not Found", &[], b""))
        })
    };
    let app_tar = tar_of("app.txt", b"app\n");
    let app = gzip(&app_tar);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "windows",
        "rootfs": {"type": "layers", "diff_ids": [
            format!("sha256:{}", sha256_hex(&base_tar)),
            format!("sha256:{}", sha256_hex(&app_tar))]},
        "config": {}
    }))
    .unwrap();
    let base_digest = format!("sha256:{}", sha256_hex(&base));
    let manifest = |urls: &[String]| {
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                "size": config.len(), "digest": put_blob_raw(r, "win", &config)},
            "layers": [
                {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                 "size": base.len(), "digest": base_digest, "urls": urls},
                {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                 "size": app.len(), "digest": put_blob_raw(r, "win", &app)}
            ]
        }))
        .unwrap()
    };
    let url = format!("http://{web}/base.tgz");
    let bytes = manifest(std::slice::from_ref(&url));
    let docker_v2 = "application/vnd.docker.distribution.manifest.v2+json";
    put_manifest_raw(r, "win", "1", docker_v2, &bytes);
    assert_eq!(head_status(r, &format!("/v2/win/blobs/{base_digest}")), 404);
    let copy = |src: &str, dst: &str, extra: &[&str]| {
        ok_stderr(
            lade()
                .args(["copy", "--retry-times", "0", SRC_INSECURE, DEST_INSECURE])
                .args(extra)
                .args([src, dst]),
        )
    };

    // registry to registry: the same manifest, the layer neither fetched
    // nor uploaded; said so.
    let src = format!("docker://{r}/win:1");
    let err = copy(&src, &format!("docker://{r}/mirror:1"), &[]);
    assert!(err.contains("skipped: external"), "{err}");
    let raw = ok(skopeo().args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{r}/mirror:1"),
    ]));
    assert_eq!(raw, bytes);
    assert_eq!(
        head_status(r, &format!("/v2/mirror/blobs/{base_digest}")),
        404
    );
    assert_eq!(gets.load(Ordering::SeqCst), 0);
    // --progress=json names it skipped and external.
    let err = copy(
        &src,
        &format!("docker://{r}/mirror:2"),
        &["--progress=json"],
    );
    let skipped = events(&err, "blob_skipped");
    assert!(
        skipped
            .iter()
            .any(|e| e["digest"] == json!(base_digest) && e["external"] == json!(true)),
        "{err}"
    );

    // into an OCI layout (converted to OCI, as skopeo converts it): the
    // layer is non-distributable with its URLs, its blob absent, and the
    // layout whole to fsck; and back to a registry from there.
    let layout = t.path().join("layout");
    copy(&src, &oci(&layout, "win"), &[]);
    assert!(!layout.join("blobs/sha256").join(&base_digest[7..]).exists());
    let manifest_in = |store: &Path| {
        json(&ok(lade().args([
            "cat-manifest",
            "--store",
            store.to_str().unwrap(),
            "win",
        ])))
    };
    let m = manifest_in(&layout);
    assert_eq!(
        m["layers"][0]["mediaType"],
        json!("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
    );
    assert_eq!(m["layers"][0]["urls"], json!([url]));
    ok(lade().args(["fsck", "--store", layout.to_str().unwrap()]));
    let sk = t.path().join("skopeo-layout");
    ok(skopeo().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &src,
        &oci(&sk, "win"),
    ]));
    let theirs = manifest_in(&sk);
    // (skopeo rewrites the config too; lade keeps its bytes)
    assert_eq!(
        theirs["layers"], m["layers"],
        "the layers as skopeo writes them"
    );
    let ours = json(&fs::read(layout.join("index.json")).unwrap());
    copy(&oci(&layout, "win"), &format!("docker://{r}/back:1"), &[]);
    let digest = json(&ok(lade().args([
        "inspect",
        INSECURE,
        &format!("docker://{r}/back:1"),
    ])))["Digest"]
        .clone();
    assert_eq!(digest, ours["manifests"][0]["digest"]);
    assert_eq!(gets.load(Ordering::SeqCst), 0);

    // into dir: and docker-archive:, which hold every layer: fetched from
    // its URL once each, the registry's credentials not sent.
    let dir = t.path().join("dir");
    copy(&src, &format!("dir:{}", dir.display()), &[]);
    assert_eq!(fs::read(dir.join(&base_digest[7..])).unwrap(), base);
    assert_eq!(fs::read(dir.join("manifest.json")).unwrap(), bytes);
    let archive = t.path().join("win.tar");
    copy(
        &src,
        &format!("docker-archive:{}:win:1", archive.display()),
        &[],
    );
    assert_eq!(gets.load(Ordering::SeqCst), 2);
    let layers =
        json(&ok(skopeo().args([
            "inspect",
            &format!("docker-archive:{}", archive.display()),
        ])))["Layers"]
            .clone();
    assert_eq!(
        layers[0],
        json!(format!("sha256:{}", sha256_hex(&base_tar)))
    );
    // The digest the copy gives is the one the archive reads as.
    let said = t.path().join("said");
    ok(lade().args([
        "copy",
        "-q",
        SRC_INSECURE,
        "--digestfile",
        said.to_str().unwrap(),
        &src,
        &format!(
            "docker-archive:{}:win:1",
            t.path().join("again.tar").display()
        ),
    ]));
    let said = fs::read_to_string(&said).unwrap();
    let read = json(&ok(lade().args([
        "inspect",
        &format!("docker-archive:{}", t.path().join("again.tar").display()),
    ])))["Digest"]
        .clone();
    assert_eq!(json!(said.trim()), read);

    // URLs that do not give the layer: each tried, each failure said,
    // nothing left; bytes that are not the layer are refused.
    let fails = |tag: &str, urls: &[String]| {
        put_manifest_raw(r, "win", tag, docker_v2, &manifest(urls));
        let out = t.path().join(tag);
        let err = fails_with(
            lade().args([
                "copy",
                "-q",
                "--retry-times",
                "0",
                SRC_INSECURE,
                &format!("docker://{r}/win:{tag}"),
                &format!("dir:{}", out.display()),
            ]),
            3,
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!out.exists());
        err
    };
    let err = fails(
        "gone",
        &[
            format!("http://{web}/nothing.tgz"),
            "http://127.0.0.1:1/refused.tgz".into(),
        ],
    );
    assert!(err.contains("BLOB_UNKNOWN"), "{err}");
    assert!(err.contains("nothing.tgz: 404"), "{err}");
    assert!(err.contains("refused.tgz: io: Connection refused"), "{err}");
    let err = fails("wrong", &[format!("http://{web}/other.tgz")]);
    assert!(err.contains(&base_digest), "{err}");
}
