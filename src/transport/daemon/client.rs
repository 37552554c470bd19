//! A minimal Docker Engine API client: HTTP with ureq over a unix socket
//! (a custom [`Connector`]), plain TCP or TLS (`DOCKER_TLS_VERIFY`,
//! `DOCKER_CERT_PATH`), with the API version negotiated once per client.
//!
//! Every error names the daemon address and where it came from
//! (`DOCKER_HOST`, a `--*-daemon-host` flag, or the default), so a user
//! knows which setting to change.

use std::fmt;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use ureq::http::Response;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectionDetails, Connector, NextTimeout, Transport};
use ureq::{Agent, Body, SendBody};

use crate::error::{Error, Result};
use crate::fsutil::read_capped;
use crate::model::Digest;
use crate::transport::socket::SocketTransport;

/// The default daemon address, as the docker CLI's.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// The newest API version lade asks for; older daemons are spoken to in
/// their own (negotiated) version. Everything used exists since 1.24.
const MAX_API: (u32, u32) = (1, 45);
const MIN_API: (u32, u32) = (1, 24);
/// Cap on error bodies and JSON answers (DESIGN: error bodies 64 KiB;
/// image JSON may list many tags, so 4 MiB).
const ERROR_CAP: u64 = 64 << 10;
const JSON_CAP: u64 = 4 << 20;

/// Where the daemon is and which setting said so.
#[derive(Debug, Clone)]
pub struct DaemonHost {
    /// As given: `unix:///path`, `tcp://host:port`.
    pub url: String,
    /// `DOCKER_HOST`, `--src-daemon-host`, … or `default`.
    pub origin: String,
}

impl DaemonHost {
    /// `flag_value` (named `flag`) if given, else `DOCKER_HOST`, else the default.
    pub fn resolve(flag_value: Option<&str>, flag: &str) -> DaemonHost {
        if let Some(v) = flag_value.filter(|v| !v.is_empty()) {
            return DaemonHost {
                url: v.to_string(),
                origin: flag.to_string(),
            };
        }
        match std::env::var("DOCKER_HOST") {
            Ok(v) if !v.is_empty() => DaemonHost {
                url: v,
                origin: "DOCKER_HOST".into(),
            },
            _ => DaemonHost {
                url: DEFAULT_HOST.into(),
                origin: "the default; set DOCKER_HOST to change it".into(),
            },
        }
    }
}

impl fmt::Display for DaemonHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the Docker daemon at {} ({})", self.url, self.origin)
    }
}

/// A connection setting for one daemon; requests may run on several threads.
pub struct Client {
    agent: Agent,
    /// `http://docker` (unix), `http://host:port`, `https://host:port`.
    base: String,
    /// `v1.41`: the negotiated API version, as a path prefix.
    version: String,
    pub host: DaemonHost,
}

/// What `/images/{name}/json` says (the fields lade uses).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInfo {
    /// The config digest.
    pub id: String,
    #[serde(default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "RootFS")]
    pub root_fs: RootFs,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootFs {
    #[serde(default)]
    pub layers: Vec<Digest>,
}

impl Client {
    /// Connect to the daemon `host` and negotiate the API version
    /// (`/_ping`'s `Api-Version` header, else `/version`).
    pub fn connect(host: DaemonHost) -> Result<Client> {
        // A daemon that goes silent fails the read instead of a wait
        // without end. Generous: `docker save` prepares the whole export
        // before its first byte, and a load answers once all is stored.
        let idle = idle_timeout()?.0;
        let idle = (!idle.is_zero()).then_some(idle);
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(idle)
            .timeout_per_read(idle)
            .timeout_per_write(idle)
            .input_buffer_size(256 << 10)
            .output_buffer_size(256 << 10);
        let url = host.url.clone();
        let (agent, base) = if let Some(path) = url.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(Error::new(format!("{host}: the socket path is empty")));
            }
            // (a file that is there but no socket refuses connections too:
            // "is the daemon running?" would send the user the wrong way)
            if let Ok(m) = std::fs::metadata(path) {
                if !std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) {
                    return Err(Error::new(format!(
                        "cannot connect to {host}: {path} is not a socket"
                    )));
                }
            }
            let agent = Agent::with_parts(
                config.build(),
                UnixConnector {
                    path: PathBuf::from(path),
                },
                UnixResolver,
            );
            (agent, "http://docker".to_string())
        } else if let Some(addr) = url
            .strip_prefix("tcp://")
            .or_else(|| url.strip_prefix("http://"))
            .or_else(|| url.strip_prefix("https://"))
        {
            let addr = addr.trim_end_matches('/');
            let port = addr
                .rsplit_once(':')
                .map(|(_, p)| p)
                .filter(|_| !addr.ends_with(']'));
            if let Some(p) = port {
                if !p.parse::<u16>().is_ok_and(|p| p > 0) {
                    return Err(Error::new(format!(
                        "{host}: invalid port {p:?} (1 to 65535)"
                    )));
                }
            }
            let tls = url.starts_with("https://") || tls_verify_env();
            // No port: Docker's (2375, 2376 with TLS), as the docker CLI takes it.
            let with_port;
            let addr = match port {
                Some(_) => addr,
                None => {
                    with_port = format!("{addr}:{}", if tls { 2376 } else { 2375 });
                    &with_port
                }
            };
            if tls {
                let tls_config = tls_config().map_err(|e| e.context(&host))?;
                let agent = Agent::new_with_config(config.tls_config(tls_config).build());
                (agent, format!("https://{addr}"))
            } else {
                (
                    Agent::new_with_config(config.build()),
                    format!("http://{addr}"),
                )
            }
        } else {
            return Err(Error::new(format!(
                "{host}: unsupported address; expected unix:///PATH or tcp://HOST:PORT"
            )));
        };
        let mut c = Client {
            agent,
            base,
            version: String::new(),
            host,
        };
        c.version = c.negotiate()?;
        Ok(c)
    }

    fn negotiate(&self) -> Result<String> {
        let resp = self.call("GET", "/_ping", None, false)?;
        let mut server = resp
            .headers()
            .get("Api-Version")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_version);
        let status = resp.status().as_u16();
        if status != 200 {
            // (a 404 here is not an image missing: no Docker Engine there)
            let e = self.status_error(resp, "/_ping");
            return Err(Error::new(format!("{}: not a Docker Engine?", e.message())));
        }
        // Its connection is let go before the next request.
        drop(resp);
        if server.is_none() {
            #[derive(Deserialize)]
            #[serde(rename_all = "PascalCase")]
            struct Version {
                api_version: String,
            }
            let v: Version = self.json(self.call("GET", "/version", None, false)?, "/version")?;
            server = parse_version(&v.api_version);
        }
        let server = server.unwrap_or(MIN_API);
        if server < MIN_API {
            return Err(Error::new(format!(
                "{}: API version {}.{} is too old (lade needs {}.{} or newer)",
                self.host, server.0, server.1, MIN_API.0, MIN_API.1
            )));
        }
        let v = server.min(MAX_API);
        Ok(format!("v{}.{}", v.0, v.1))
    }

    /// The negotiated API version (`1.41`).
    pub fn api_version(&self) -> &str {
        self.version.trim_start_matches('v')
    }

    /// One request; `versioned` puts the API version in the path.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<SendBody<'_>>,
        versioned: bool,
    ) -> Result<Response<Body>> {
        let url = if versioned {
            format!("{}/{}{}", self.base, self.version, path)
        } else {
            format!("{}{}", self.base, path)
        };
        let t0 = std::time::Instant::now();
        let r = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, Some(b)) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/x-tar")
                .send(b),
            (_, None) => self.agent.post(&url).send_empty(),
        };
        crate::error::debug(|| {
            let outcome = match &r {
                Ok(resp) => resp.status().as_u16().to_string(),
                Err(e) => e.to_string(),
            };
            format!(
                "{method} {} {} -> {outcome} ({} ms)",
                self.host.url,
                &url[self.base.len()..],
                t0.elapsed().as_millis()
            )
        });
        r.map_err(|e| self.transport_error(e))
    }

    /// A clear one-line message for a failed connection or request.
    pub fn transport_error(&self, e: ureq::Error) -> Error {
        let h = &self.host;
        match e {
            ureq::Error::Io(io) => match io.kind() {
                io::ErrorKind::NotFound => Error::new(format!(
                    "cannot connect to {h}: no such socket; is the daemon running?"
                )),
                io::ErrorKind::ConnectionRefused => Error::new(format!(
                    "cannot connect to {h}: connection refused; is the daemon running?"
                )),
                io::ErrorKind::PermissionDenied => Error::new(format!(
                    "cannot connect to {h}: permission denied (is your user in the docker group?)"
                )),
                _ => {
                    let e = Error::from(io);
                    Error::new(format!("{h}: {e}"))
                }
            },
            ureq::Error::HostNotFound => {
                Error::new(format!("cannot connect to {h}: host not found"))
            }
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                Error::new(format!(
                    "cannot connect to {h}: no connection (TLS handshake included) within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            }
            ureq::Error::Timeout(_) => silent(h),
            other => Error::new(format!("{h}: {other}")),
        }
    }

    /// An error for a non-success answer, with the daemon's message.
    fn status_error(&self, resp: Response<Body>, what: &str) -> Error {
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        // The first ERROR_CAP bytes: enough for the message's first line.
        let mut text = Vec::new();
        let _ = body.as_reader().take(ERROR_CAP).read_to_end(&mut text);
        #[derive(Deserialize)]
        struct Msg {
            message: String,
        }
        let msg = serde_json::from_slice::<Msg>(&text)
            .map(|m| m.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&text).trim().to_string());
        let first = msg.lines().next().unwrap_or("");
        let mut line: String = first.chars().take(300).collect();
        if line.len() < first.len() {
            line.push('…');
        }
        let text = format!("{}: {what}: HTTP {status}: {line}", self.host);
        if status == 404 {
            Error::not_found(text)
        } else {
            Error::new(text)
        }
    }

    fn json<T: for<'a> Deserialize<'a>>(&self, resp: Response<Body>, what: &str) -> Result<T> {
        if !resp.status().is_success() {
            return Err(self.status_error(resp, what));
        }
        let mut body = resp.into_body();
        let bytes = read_capped(&mut body.as_reader(), JSON_CAP, what)
            .map_err(|e| e.context(&self.host))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::new(format!("{}: {what}: invalid answer: {e}", self.host)))
    }

    /// `GET /images/{name}/json`; a missing image is a not-found error.
    pub fn image_info(&self, name: &str) -> Result<ImageInfo> {
        let path = format!("/images/{}/json", encode_name(name));
        let resp = self.call("GET", &path, None, true)?;
        if resp.status().as_u16() == 404 {
            // (a short image ID given as a name: docker's own commands take
            // those, lade takes the whole ID)
            let bare = name.strip_suffix(":latest").unwrap_or(name);
            let hint = match bare.len() >= 12 && bare.bytes().all(|b| b.is_ascii_hexdigit()) {
                true => " (an image ID is written sha256:ID, all 64 digits of it)",
                false => "",
            };
            return Err(Error::not_found(format!(
                "{}: no such image: {name}{hint}",
                self.host
            )));
        }
        self.json(resp, &format!("inspecting image {name}"))
    }

    /// `DELETE /images/{name}`, as `docker rmi` (no force): a name is
    /// untagged, and the image goes with its last name; an ID several
    /// names share, or the last name of an image a container uses, is
    /// refused (HTTP 409).
    pub fn remove_image(&self, name: &str) -> Result<()> {
        let path = format!("/images/{}", encode_name(name));
        let resp = self.call("DELETE", &path, None, true)?;
        match resp.status().as_u16() {
            200 => Ok(()),
            404 => Err(Error::not_found(format!(
                "{}: no such image: {name}",
                self.host
            ))),
            _ => Err(self.status_error(resp, &format!("removing image {name}"))),
        }
    }

    /// `GET /images/{name}/get`: the `docker save` tar stream.
    pub fn export(&self, name: &str) -> Result<impl Read + Send + 'static> {
        let path = format!("/images/{}/get", encode_name(name));
        let resp = self.call("GET", &path, None, true)?;
        if !resp.status().is_success() {
            return Err(self.status_error(resp, &format!("exporting image {name}")));
        }
        let host = self.host.to_string();
        Ok(ErrorNaming {
            inner: resp.into_body().into_reader(),
            host,
        })
    }

    /// `POST /images/load` with `body` (a docker-archive tar). The JSON
    /// progress stream is read to its end; an `error`/`errorDetail` in it
    /// fails the load even under HTTP 200. Returns the stream's messages.
    pub fn load(&self, body: &mut dyn Read) -> Result<Vec<String>> {
        let resp = self.call(
            "POST",
            "/images/load?quiet=1",
            Some(SendBody::from_reader(body)),
            true,
        )?;
        if !resp.status().is_success() {
            return Err(self.status_error(resp, "loading the image"));
        }
        let mut body = resp.into_body();
        let text = read_capped(&mut body.as_reader(), JSON_CAP, "the load answer")
            .map_err(|e| e.context(&self.host))?;
        parse_load_stream(&text).map_err(|e| e.context(format!("{}: loading the image", self.host)))
    }
}

/// The messages of a `/images/load` JSON stream, or its first error.
pub fn parse_load_stream(text: &[u8]) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Detail {
        #[serde(default)]
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Line {
        #[serde(default)]
        stream: Option<String>,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        error_detail: Option<Detail>,
    }
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_slice(text).into_iter::<Line>() {
        let l = v.map_err(|e| Error::new(format!("invalid progress stream: {e}")))?;
        let detail = l.error_detail.and_then(|d| d.message);
        if let Some(msg) = detail.or(l.error) {
            return Err(Error::new(msg.trim().to_string()));
        }
        if let Some(s) = l.stream {
            let s = s.trim();
            if !s.is_empty() {
                out.push(s.to_string());
            }
        }
    }
    Ok(out)
}

/// Names go in the URL path as they are (the Engine routes `{name:.*}`);
/// only characters outside the reference grammar are escaped.
fn encode_name(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/@".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn tls_verify_env() -> bool {
    // Set to anything (0 too), as the docker CLI and Go clients read it.
    std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty())
}

/// TLS as the docker CLI sets it up: `DOCKER_CERT_PATH` (default
/// `~/.docker`) holds `ca.pem`, `cert.pem`, `key.pem`. With
/// `DOCKER_TLS_VERIFY` the server is verified against `ca.pem`; the client
/// certificate is sent when present.
fn tls_config() -> Result<ureq::tls::TlsConfig> {
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
    let dir = match std::env::var_os("DOCKER_CERT_PATH") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => crate::fsutil::home_dir()
            .unwrap_or_default()
            .join(".docker"),
    };
    let read = |name: &str| -> Result<Option<Vec<u8>>> {
        let p = dir.join(name);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::from(e).context(format!("DOCKER_CERT_PATH {}", p.display()))),
        }
    };
    let bad = |what: &str, e: ureq::Error| {
        Error::new(format!("DOCKER_CERT_PATH {}: {what}: {e}", dir.display()))
    };
    let mut b = TlsConfig::builder();
    if let Some(p) = crate::transport::registry::tls::narrowed_provider() {
        b = b.unversioned_rustls_crypto_provider(p);
    }
    if tls_verify_env() {
        let ca = read("ca.pem")?.ok_or_else(|| {
            Error::new(format!(
                "DOCKER_TLS_VERIFY is set but {} has no ca.pem",
                dir.display()
            ))
        })?;
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&ca)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad("ca.pem", e))?;
        if certs.is_empty() {
            return Err(Error::new(format!(
                "DOCKER_CERT_PATH {}: ca.pem holds no certificate",
                dir.display()
            )));
        }
        b = b.root_certs(RootCerts::new_with_certs(&certs));
    }
    if let (Some(cert), Some(key)) = (read("cert.pem")?, read("key.pem")?) {
        let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&cert)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad("cert.pem", e))?;
        let key = PrivateKey::from_pem(&key).map_err(|e| bad("key.pem", e))?;
        b = b.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(b.build())
}

/// Read errors of a response body, named with the daemon.
struct ErrorNaming<R> {
    inner: R,
    host: String,
}

impl<R: Read> Read for ErrorNaming<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let msg = Error::from(e);
            if msg.message().contains("timeout") {
                return io::Error::other(silent(&self.host));
            }
            io::Error::other(Error::new(format!(
                "{}: the connection broke: {msg}",
                self.host
            )))
        })
    }
}

/// Connects to a unix socket, whatever the URL's host.
#[derive(Debug)]
struct UnixConnector {
    path: PathBuf,
}

impl<In: Transport> Connector<In> for UnixConnector {
    type Out = SocketTransport<UnixStream>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let stream = UnixStream::connect(&self.path)?;
        Ok(Some(SocketTransport::new(stream, details.config)))
    }
}

/// The host of a unix-socket URL names nothing; resolve it to a placeholder.
#[derive(Debug)]
struct UnixResolver;

impl Resolver for UnixResolver {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let mut v = self.empty();
        v.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
        Ok(v)
    }
}

/// How long connecting to the daemon may take, TLS handshake included.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the daemon may send or take no byte: 30 minutes, or
/// `LADE_IDLE_TIMEOUT` (0: no limit).
fn idle_timeout() -> Result<(Duration, String)> {
    crate::transport::registry::client::idle_timeout_or(Duration::from_secs(1800), "30 minutes")
}

/// The error for a daemon that sent or took no byte within the idle limit.
fn silent(host: &impl std::fmt::Display) -> Error {
    let shown = idle_timeout().map_or_else(|_| "too long".into(), |(_, s)| s);
    Error::new(format!(
        "{host}: the daemon sent nothing for {shown} (LADE_IDLE_TIMEOUT sets the limit)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connect_timeout_is_not_called_a_silent_daemon() {
        let c = Client {
            agent: Agent::new_with_defaults(),
            base: "https://127.0.0.1:1".into(),
            version: String::new(),
            host: DaemonHost {
                url: "tcp://127.0.0.1:1".into(),
                origin: "DOCKER_HOST".into(),
            },
        };
        let said = |t| c.transport_error(ureq::Error::Timeout(t)).to_string();
        assert_eq!(
            said(ureq::Timeout::Connect),
            "cannot connect to the Docker daemon at tcp://127.0.0.1:1 (DOCKER_HOST): \
             no connection (TLS handshake included) within 30 s"
        );
        assert!(
            said(ureq::Timeout::PerRead).ends_with("(LADE_IDLE_TIMEOUT sets the limit)"),
            "{}",
            said(ureq::Timeout::PerRead)
        );
    }

    #[test]
    fn load_stream_errors_win() {
        let ok = br#"{"stream":"Loaded image: a:1\n"}"#;
        assert_eq!(parse_load_stream(ok).unwrap(), vec!["Loaded image: a:1"]);
        let bad = br#"{"stream":"x\n"}
{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}"#;
        assert_eq!(
            parse_load_stream(bad).unwrap_err().to_string(),
            "unexpected EOF"
        );
        assert!(parse_load_stream(b"{not json").is_err());
    }

    #[test]
    fn versions_and_names() {
        assert_eq!(parse_version("1.41"), Some((1, 41)));
        assert_eq!(parse_version("x"), None);
        assert_eq!(encode_name("a/b:1"), "a/b:1");
        assert_eq!(encode_name("a b"), "a%20b");
    }
}
