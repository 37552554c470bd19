//! Private docker-registry instances a test starts (with its own TLS,
//! htpasswd or token settings), and the certificates and password files
//! they use.

// Each test binary uses a part of these.
#![allow(dead_code)]

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{ok, ok_str};

pub struct Registry {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start `docker-registry serve` with extra YAML under `http:` and at
/// top level (auth); waits until it accepts connections.
pub fn start_registry(dir: tempfile::TempDir, http_extra: &str, top_extra: &str) -> Registry {
    let mut log = String::new();
    for _ in 0..3 {
        let port = free_port();
        let cfg = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: t{port}\n{http_extra}{top_extra}",
            root = dir.path().join("data").display()
        );
        let cfg_path = dir.path().join("config.yml");
        fs::write(&cfg_path, cfg).unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.path().join("log")).unwrap())
            .spawn()
            .expect("docker-registry runs");
        let addr = format!("127.0.0.1:{port}");
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(15) {
            // (Its own listener: another process may hold a port picked
            // free a moment ago, and this one then fails to bind it.)
            if TcpStream::connect(&addr).is_ok() && listens(child.id(), port) {
                return Registry {
                    child,
                    addr,
                    _dir: dir,
                };
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        log = fs::read_to_string(dir.path().join("log")).unwrap_or_default();
    }
    panic!("docker-registry did not start: {log}");
}

/// Does process `pid` hold the socket listening on 127.0.0.1:`port`?
/// (/proc/net/tcp's listening entry, by inode, among its descriptors.)
fn listens(pid: u32, port: u16) -> bool {
    let local = format!("0100007F:{port:04X}");
    let tcp = fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let inodes: Vec<String> = tcp
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() > 9 && f[1] == local && f[3] == "0A")
        .map(|f| format!("socket:[{}]", f[9]))
        .collect();
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|e| {
        fs::read_link(e.path()).is_ok_and(|l| inodes.iter().any(|i| l.to_str() == Some(i.as_str())))
    })
}

/// A self-signed certificate `crt` for `cn`, its key `key`, made with
/// openssl.
pub fn self_signed(key: &Path, crt: &Path, cn: &str) {
    req_x509(key, crt, cn, None);
}

/// `openssl req -x509` with its default extensions (which mark the
/// certificate CA:TRUE), and `san` as its subjectAltName if given.
fn req_x509(key: &Path, crt: &Path, cn: &str, san: Option<&str>) {
    let subj = format!("/CN={cn}");
    let mut args = vec![
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subj,
    ];
    let ext = san.map(|s| format!("subjectAltName={s}"));
    if let Some(e) = &ext {
        args.extend(["-addext", e]);
    }
    ok(Command::new("openssl")
        .args(args)
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(crt));
}

/// A certificate `crt` with its key `key` for `cn`, with the extensions
/// `ext` (openssl's extfile lines), signed by the CA `ca.crt`/`ca.key` in
/// `ca_dir`.
fn signed_by_ca(ca_dir: &Path, key: &Path, crt: &Path, cn: &str, ext: &str) {
    let cnf = ca_dir.join(format!("{cn}.cnf"));
    let csr = ca_dir.join(format!("{cn}.csr"));
    fs::write(&cnf, ext).unwrap();
    ok(Command::new("openssl")
        .args(["req", "-newkey", "rsa:2048", "-nodes", "-subj"])
        .arg(format!("/CN={cn}"))
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(&csr));
    let mut x509 = Command::new("openssl");
    x509.args(["x509", "-req", "-CAcreateserial", "-days", "2", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(ca_dir.join("ca.crt"))
        .arg("-CAkey")
        .arg(ca_dir.join("ca.key"));
    // (no extensions: an X.509 v1 certificate)
    if !ext.is_empty() {
        x509.arg("-extfile").arg(&cnf);
    }
    ok(x509.arg("-out").arg(crt));
}

/// A CA and a server certificate for 127.0.0.1 made with openssl.
pub fn make_tls(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    self_signed(&dir.join("ca.key"), &dir.join("ca.crt"), "lade test CA");
    signed_by_ca(
        dir,
        &dir.join("server.key"),
        &dir.join("server.crt"),
        "127.0.0.1",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
    (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
}

pub fn htpasswd(dir: &Path, user: &str, pass: &str) -> PathBuf {
    let line = ok_str(Command::new("htpasswd").args(["-Bbn", user, pass]));
    let p = dir.join("htpasswd");
    fs::write(&p, format!("{line}\n")).unwrap();
    p
}

/// A registry serving TLS with a certificate of a CA made here, and
/// htpasswd basic auth for alice:s3cret; with the certs.d-style
/// directory (its ca.crt) that trusts it, under `dir`.
pub fn secure_registry(dir: &Path) -> (Registry, PathBuf) {
    let certs = dir.join("certs");
    fs::create_dir_all(&certs).unwrap();
    let (ca, crt, key) = make_tls(&certs);
    let cert_dir = dir.join("certs.d");
    fs::create_dir_all(&cert_dir).unwrap();
    fs::copy(&ca, cert_dir.join("ca.crt")).unwrap();
    let hp = htpasswd(dir, "alice", "s3cret");
    let reg = start_registry(
        crate::common::tempdir(),
        &format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            crt.display(),
            key.display()
        ),
        &format!(
            "auth:\n  htpasswd:\n    realm: lade-test\n    path: {}\n",
            hp.display()
        ),
    );
    (reg, cert_dir)
}

/// A self-signed server certificate `dir/certs/NAME.crt` for `san` (say
/// `IP:127.0.0.1`), made the way registry guides make one (so CA:TRUE),
/// and a certs.d-style directory `dir/NAME.d` trusting it; returns
/// (certificate, key, directory).
pub fn self_signed_trusted(dir: &Path, name: &str, san: &str) -> (PathBuf, PathBuf, PathBuf) {
    let certs = dir.join("certs");
    fs::create_dir_all(&certs).unwrap();
    let crt = certs.join(format!("{name}.crt"));
    let key = certs.join(format!("{name}.key"));
    req_x509(&key, &crt, "lade test registry", Some(san));
    let d = dir.join(format!("{name}.d"));
    fs::create_dir_all(&d).unwrap();
    fs::copy(&crt, d.join("domain.crt")).unwrap();
    (crt, key, d)
}

/// A client certificate `NAME.cert` with its `NAME.key` in `out`, signed
/// by the CA `ca.crt`/`ca.key` in `ca_dir`.
pub fn client_cert(ca_dir: &Path, out: &Path, name: &str) {
    client_cert_with(
        ca_dir,
        out,
        name,
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
}

fn client_cert_with(ca_dir: &Path, out: &Path, name: &str, ext: &str) {
    signed_by_ca(
        ca_dir,
        &out.join(format!("{name}.key")),
        &out.join(format!("{name}.cert")),
        &format!("lade test client {name}"),
        ext,
    );
}

/// The same as an X.509 v1 certificate (no extensions), which Go takes.
pub fn client_cert_v1(ca_dir: &Path, out: &Path, name: &str) {
    client_cert_with(ca_dir, out, name, "");
}

/// A registry serving TLS with `crt`/`key`, no authentication; with
/// `client_cas`, it asks for a client certificate signed by one.
pub fn tls_registry(crt: &Path, key: &Path, client_cas: Option<&Path>) -> Registry {
    let mut tls = format!(
        "  tls:\n    certificate: {}\n    key: {}\n",
        crt.display(),
        key.display()
    );
    if let Some(ca) = client_cas {
        tls.push_str(&format!("    clientcas:\n      - {}\n", ca.display()));
    }
    start_registry(crate::common::tempdir(), &tls, "")
}
