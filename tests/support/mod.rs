//! Helpers for the multi-arch and sync tests: OCI layouts written by hand
//! (images sharing a base layer, indexes and Docker manifest lists), and a
//! counting proxy in front of the test registry.
#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Writes blobs into `dir/blobs/sha256`; returns (digest, size).
pub fn put_blob(dir: &Path, data: &[u8]) -> (String, usize) {
    let d = sha256(data);
    let p = dir.join("blobs/sha256");
    fs::create_dir_all(&p).unwrap();
    fs::write(p.join(&d[7..]), data).unwrap();
    (d, data.len())
}

/// A gzip tar holding `files`; returns (gzip bytes, diff_id).
pub fn layer(files: &[(&str, Vec<u8>)]) -> (Vec<u8>, String) {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let diff_id = sha256(&tar);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), diff_id)
}

/// Pseudo-random bytes (incompressible), deterministic per seed.
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e3779b97f4a7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// One image in layout `dir`: a shared base layer of `base_size` bytes and
/// a small layer of its own; returns the manifest's descriptor (with
/// platform) as JSON.
pub fn image(dir: &Path, arch: &str, tag: &str, docker: bool, base_size: usize) -> Value {
    let (base, base_id) = layer(&[("base.bin", noise(1, base_size))]);
    let (own, own_id) = layer(&[("own.txt", format!("arch={arch} tag={tag}\n").into_bytes())]);
    let config = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Env": [format!("TAG={tag}")]},
        "rootfs": {"type": "layers", "diff_ids": [base_id, own_id]},
    }))
    .unwrap();
    let mut d = image_of(dir, docker, &config, &[base, own]);
    d["platform"] = json!({"architecture": arch, "os": "linux"});
    d
}

/// An image in layout `dir` of `config` and gzip'd `layers`, with a
/// Docker or an OCI manifest; returns the manifest's descriptor.
pub fn image_of(dir: &Path, docker: bool, config: &[u8], layers: &[Vec<u8>]) -> Value {
    let (cd, cs) = put_blob(dir, config);
    let (mt, ct, lt) = if docker {
        (
            DOCKER_MANIFEST,
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        )
    } else {
        (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )
    };
    let layers: Vec<Value> = layers
        .iter()
        .map(|l| {
            let (d, s) = put_blob(dir, l);
            json!({"mediaType": lt, "digest": d, "size": s})
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": mt,
        "config": {"mediaType": ct, "digest": cd, "size": cs},
        "layers": layers,
    }))
    .unwrap();
    let (md, ms) = put_blob(dir, &manifest);
    json!({"mediaType": mt, "digest": md, "size": ms})
}

/// An index (or Docker list) over one image per arch; returns its descriptor.
pub fn index(dir: &Path, archs: &[&str], tag: &str, docker: bool) -> Value {
    let entries: Vec<Value> = archs
        .iter()
        .map(|a| image(dir, a, tag, docker, 64 * 1024))
        .collect();
    let mt = if docker { DOCKER_LIST } else { OCI_INDEX };
    let bytes = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": mt, "manifests": entries,
    }))
    .unwrap();
    let (d, s) = put_blob(dir, &bytes);
    json!({"mediaType": mt, "digest": d, "size": s})
}

/// Write `dir/index.json` naming each descriptor.
pub fn write_layout(dir: &Path, named: &[(&str, Value)]) {
    let manifests: Vec<Value> = named
        .iter()
        .map(|(n, d)| {
            let mut d = d.clone();
            d.as_object_mut().unwrap().remove("platform");
            d["annotations"] = json!({"org.opencontainers.image.ref.name": n});
            d
        })
        .collect();
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap(),
    )
    .unwrap();
}

/// A proxy in front of `upstream` recording "METHOD PATH" of every
/// request ("METHOD PATH range" of one asking for part of a body).
pub struct Counter {
    pub addr: String,
    pub log: Arc<Mutex<Vec<String>>>,
    hold: Arc<Hold>,
    tag_pages: Arc<Mutex<Vec<String>>>,
}

/// A fallback tag of the OCI referrers tag schema: `sha256-<64 hex>`.
fn is_fallback_tag(t: &str) -> bool {
    t.strip_prefix("sha256-")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// GET over HTTP/1.0 (a body never chunked): (status, body).
fn get10(reg: &str, path: &str, accept: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(reg).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {reg}\r\nAccept: {accept}\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let end = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&resp[..end]);
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, resp[end + 4..].to_vec())
}

/// In front of a registry without the referrers API, answer it as one
/// that has it would: `GET /v2/<repo>/referrers/<digest>` lists what the
/// registry's `sha256-<hex>` tag-schema index lists, `page` entries per
/// page linked by `Link: <…>; rel="next"`. The fallback tags themselves
/// are hidden (404 by name, left out of tag lists), so the API is the
/// only way to the referrers. None when `line` is not such a request.
fn referrers_api(upstream: &str, line: &str, page: usize) -> Option<Vec<u8>> {
    let (method, target) = line.split_once(' ')?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let repo_part = path.strip_prefix("/v2/")?;
    let respond = |status: &str, headers: &[String], body: &[u8]| {
        let mut r = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
        for h in headers {
            r.push_str(h);
            r.push_str("\r\n");
        }
        r.push_str("Connection: close\r\n\r\n");
        let mut r = r.into_bytes();
        if method != "HEAD" {
            r.extend_from_slice(body);
        }
        r
    };
    if let Some((repo, digest)) = repo_part.split_once("/referrers/") {
        let (status, body) = get10(
            upstream,
            &format!("/v2/{repo}/manifests/{}", digest.replace(':', "-")),
            OCI_INDEX,
        );
        let all: Vec<Value> = match status {
            200 => serde_json::from_slice::<Value>(&body).unwrap()["manifests"]
                .as_array()
                .unwrap()
                .clone(),
            _ => Vec::new(),
        };
        let n: usize = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("page="))
            .map_or(0, |v| v.parse().unwrap());
        let these: Vec<Value> = all.iter().skip(n * page).take(page).cloned().collect();
        let body = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": these}),
        )
        .unwrap();
        let mut headers = vec![format!("Content-Type: {OCI_INDEX}")];
        if (n + 1) * page < all.len() {
            headers.push(format!(
                "Link: </v2/{repo}/referrers/{digest}?page={}>; rel=\"next\"",
                n + 1
            ));
        }
        return Some(respond("200 OK", &headers, &body));
    }
    if let Some((_, reference)) = repo_part.rsplit_once("/manifests/") {
        if is_fallback_tag(reference) {
            let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
            return Some(respond(
                "404 Not Found",
                &["Content-Type: application/json".to_string()],
                body,
            ));
        }
        return None;
    }
    // (One page: the tests' repositories are small, and a Link of the
    // registry's would not be passed on.)
    if method == "GET" && repo_part.ends_with("/tags/list") {
        let (status, body) = get10(upstream, target, "application/json");
        assert_eq!(status, 200, "{line}");
        let mut v: Value = serde_json::from_slice(&body).unwrap();
        if let Some(tags) = v["tags"].as_array_mut() {
            tags.retain(|t| !is_fallback_tag(t.as_str().unwrap()));
        }
        let body = serde_json::to_vec(&v).unwrap();
        return Some(respond(
            "200 OK",
            &["Content-Type: application/json".to_string()],
            &body,
        ));
    }
    None
}

/// The answer to a tag listing `line` from `pages` (see
/// [`Counter::fake_tag_pages`]); None for other requests, or no pages.
fn fake_tag_page(line: &str, pages: &[String]) -> Option<Vec<u8>> {
    let target = line.strip_prefix("GET ")?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if pages.is_empty() || !path.ends_with("/tags/list") {
        return None;
    }
    let n: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .map_or(0, |v| v.parse().unwrap());
    let body = &pages[n];
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if n + 1 < pages.len() {
        r.push_str(&format!("Link: <{path}?page={}>; rel=\"next\"\r\n", n + 1));
    }
    r.push_str("Connection: close\r\n\r\n");
    r.push_str(body);
    Some(r.into_bytes())
}

/// Requests a [`Counter`] keeps from going upstream until released.
#[derive(Default)]
struct Hold {
    /// (method, text in the path) of the requests held.
    what: Mutex<Option<(String, String)>>,
    cv: Condvar,
}

impl Hold {
    /// Wait while `line` ("METHOD PATH") is held: until released, or for
    /// at most two minutes (a test that never releases does not hang).
    fn wait(&self, line: &str) {
        let held = |w: &Option<(String, String)>| {
            // (a request for part of a body is not held)
            w.as_ref().is_some_and(|(m, p)| {
                !line.ends_with(" range")
                    && line
                        .split_once(' ')
                        .is_some_and(|(lm, lp)| lm == m && lp.contains(p.as_str()))
            })
        };
        let w = self.what.lock().unwrap();
        let _w = self
            .cv
            .wait_timeout_while(w, Duration::from_secs(120), |w| held(w))
            .unwrap();
    }
}

impl Counter {
    pub fn start(upstream: &str) -> Counter {
        Self::start_with(upstream, None)
    }

    /// A counter that also answers the referrers API (see
    /// [`referrers_api`]), `page` referrers per page.
    pub fn with_referrers_api(upstream: &str, page: usize) -> Counter {
        Self::start_with(upstream, Some(page))
    }

    fn start_with(upstream: &str, api_page: Option<usize>) -> Counter {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let hold = Arc::new(Hold::default());
        let tag_pages = Arc::new(Mutex::new(Vec::new()));
        let (log2, up, hold2, pages2) = (
            log.clone(),
            upstream.to_string(),
            hold.clone(),
            tag_pages.clone(),
        );
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                let (log, up, hold) = (log2.clone(), up.clone(), hold2.clone());
                let pages = pages2.clone();
                std::thread::spawn(move || relay(c, &up, &log, &hold, api_page, &pages));
            }
        });
        Counter {
            addr,
            log,
            hold,
            tag_pages,
        }
    }

    /// From now on, answer every tag listing with these bodies, as pages
    /// (`?page=N`) linked by `Link: <…>; rel="next"` (the registry's own
    /// listing is not asked). A listing the registry would not give: a
    /// tag twice, names that are no tags, no JSON object.
    pub fn fake_tag_pages(&self, pages: &[&str]) {
        *self.tag_pages.lock().unwrap() = pages.iter().map(|p| p.to_string()).collect();
    }

    /// From now on, keep `method` requests whose path contains `path`
    /// waiting (their answers not begun) until [`Counter::release`]; not
    /// those for part of a body (`Range`).
    pub fn hold(&self, method: &str, path: &str) {
        *self.hold.what.lock().unwrap() = Some((method.to_string(), path.to_string()));
    }

    /// Let held requests (and later ones) through.
    pub fn release(&self) {
        *self.hold.what.lock().unwrap() = None;
        self.hold.cv.notify_all();
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// One request per connection: forward the head (with Connection: close)
/// and body, then relay the answer until the upstream closes.
fn relay(
    mut c: TcpStream,
    upstream: &str,
    log: &Mutex<Vec<String>>,
    hold: &Hold,
    api_page: Option<usize>,
    tag_pages: &Mutex<Vec<String>>,
) {
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut head = String::new();
    let mut first = String::new();
    if r.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = first.split_whitespace();
    let line = format!(
        "{} {}",
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("")
    );
    head.push_str(&first);
    let mut ranged = false;
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
            break;
        }
        ranged |= l.to_ascii_lowercase().starts_with("range:");
        if !l.to_ascii_lowercase().starts_with("connection:") {
            head.push_str(&l);
        }
    }
    // (a request for part of a body is marked so: "GET /v2/… range")
    let logged = match ranged {
        true => format!("{line} range"),
        false => line.clone(),
    };
    hold.wait(&logged);
    log.lock().unwrap().push(logged);
    head.push_str("Connection: close\r\n\r\n");
    if let Some(answer) = fake_tag_page(&line, &tag_pages.lock().unwrap()) {
        let _ = c.write_all(&answer);
        let _ = c.shutdown(Shutdown::Both);
        return;
    }
    if let Some(answer) = api_page.and_then(|n| referrers_api(upstream, &line, n)) {
        let _ = c.write_all(&answer);
        let _ = c.shutdown(Shutdown::Both);
        return;
    }
    let Ok(mut u) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = u.write_all(head.as_bytes());
    let _ = u.write_all(r.buffer());
    let mut u2 = u.try_clone().unwrap();
    let mut c2 = c.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut u2);
    });
    let mut buf = [0u8; 65536];
    loop {
        match u.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if c.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = c.shutdown(Shutdown::Both);
    let _ = u.shutdown(Shutdown::Both);
}

fn http(reg: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
    let mut s = TcpStream::connect(reg).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {reg}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp
}

/// Push the image or index `desc` from layout `dir` to `reg`/`repo`:`tag`
/// with plain registry API calls (blobs, then children, then the top).
pub fn push_layout(reg: &str, dir: &Path, repo: &str, tag: &str, desc: &Value) {
    let read = |d: &str| fs::read(dir.join("blobs/sha256").join(&d[7..])).unwrap();
    let put_blob = |d: &str| {
        assert_eq!(registry_put_blob(reg, repo, &read(d)), d);
    };
    let put_manifest = |reference: &str, mt: &str, bytes: &[u8]| {
        registry_put_manifest(reg, repo, reference, mt, bytes);
    };
    let push_image = |d: &str, reference: &str| {
        let bytes = read(d);
        let m: Value = serde_json::from_slice(&bytes).unwrap();
        put_blob(m["config"]["digest"].as_str().unwrap());
        for l in m["layers"].as_array().unwrap() {
            put_blob(l["digest"].as_str().unwrap());
        }
        put_manifest(reference, m["mediaType"].as_str().unwrap(), &bytes);
    };
    let d = desc["digest"].as_str().unwrap();
    let mt = desc["mediaType"].as_str().unwrap();
    if mt == OCI_INDEX || mt == DOCKER_LIST {
        let bytes = read(d);
        let i: Value = serde_json::from_slice(&bytes).unwrap();
        for m in i["manifests"].as_array().unwrap() {
            let cd = m["digest"].as_str().unwrap();
            push_image(cd, cd);
        }
        put_manifest(tag, mt, &bytes);
    } else {
        push_image(d, tag);
    }
}

/// Upload `data` as a blob of `reg`/`repo` (POST, then PUT); returns its digest.
pub fn registry_put_blob(reg: &str, repo: &str, data: &[u8]) -> String {
    let d = sha256(data);
    let resp = http(reg, "POST", &format!("/v2/{repo}/blobs/uploads/"), &[], b"");
    let loc = resp
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .unwrap_or_else(|| panic!("no Location: {resp}"))
        .trim()
        .to_string();
    let path = loc
        .split_once("://")
        .map_or(loc.as_str(), |(_, r)| &r[r.find('/').unwrap()..]);
    let sep = if path.contains('?') { '&' } else { '?' };
    let resp = http(reg, "PUT", &format!("{path}{sep}digest={d}"), &[], data);
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    d
}

/// PUT manifest `bytes` at `reference` (tag or digest) of `reg`/`repo`;
/// returns the digest of the bytes.
pub fn registry_put_manifest(
    reg: &str,
    repo: &str,
    reference: &str,
    mt: &str,
    bytes: &[u8],
) -> String {
    let resp = http(
        reg,
        "PUT",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Content-Type", mt)],
        bytes,
    );
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    sha256(bytes)
}

/// The status code of a request without a body (GET/HEAD/DELETE).
pub fn registry_status(reg: &str, method: &str, path: &str) -> u16 {
    let resp = http(
        reg,
        method,
        path,
        &[("Accept", OCI_MANIFEST), ("Accept", OCI_INDEX)],
        b"",
    );
    resp.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status: {resp}"))
}
