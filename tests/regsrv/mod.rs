//! Private docker-registry instances a test starts (with its own TLS,
//! htpasswd or token settings), and the certificates and password files
//! they use.

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
            if TcpStream::connect(&addr).is_ok() {
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

/// A self-signed certificate `crt` for `cn`, its key `key`, made with
/// openssl.
pub fn self_signed(key: &Path, crt: &Path, cn: &str) {
    ok(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN={cn}"),
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        crt.to_str().unwrap(),
    ]));
}

/// A CA and a server certificate for 127.0.0.1 made with openssl.
pub fn make_tls(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let d = |f: &str| dir.join(f).to_str().unwrap().to_string();
    self_signed(&dir.join("ca.key"), &dir.join("ca.crt"), "lade test CA");
    fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    ok(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &d("server.key"),
        "-out",
        &d("server.csr"),
    ]));
    ok(Command::new("openssl").args([
        "x509",
        "-req",
        "-in",
        &d("server.csr"),
        "-CA",
        &d("ca.crt"),
        "-CAkey",
        &d("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &d("ext.cnf"),
        "-out",
        &d("server.crt"),
    ]));
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
