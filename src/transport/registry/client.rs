//! One registry's HTTP client: scheme and TLS, authentication (anonymous,
//! Basic, Bearer tokens cached per scope until they expire), redirects
//! (Authorization never follows to another host), retries (5xx, 429 with
//! Retry-After, connection errors) and the registry's error messages.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use ureq::http::{self, Method, Response};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, SocksConnector};
use ureq::{Agent, Body, SendBody};

use super::auth::{parse_challenges, Challenge, Creds};
use super::RegistryOptions;
use crate::error::{Error, Result};

/// Error bodies read at most this much.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// Token responses read at most this much.
const MAX_TOKEN_BODY: u64 = 1024 * 1024;
/// The longest Retry-After honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A request body: replayable bytes, or a stream sent once.
pub enum ReqBody<'a> {
    Empty,
    Bytes(&'a [u8]),
    Stream(&'a mut dyn Read, Option<u64>),
}

impl ReqBody<'_> {
    fn replayable(&self) -> bool {
        !matches!(self, ReqBody::Stream(..))
    }
}

pub struct Client {
    /// The registry as named (`127.0.0.1:5000`, `docker.io`).
    pub host: String,
    /// `https://HOST` or `http://HOST`, decided by the first request.
    base: String,
    agent: Agent,
    insecure: bool,
    creds: Option<Creds>,
    /// `--registry-token`: sent as is to answer a Bearer challenge (a
    /// Basic one gets `creds`, as containers/image does).
    token: Option<String>,
    /// The registry whose credentials were given and are not sent here:
    /// registries.conf rewrote its name to this host.
    withheld_from: Option<String>,
    retries: super::Retries,
    state: Mutex<AuthState>,
    /// Held while a token is fetched: requests refused together (the
    /// parallel blobs of a copy) fetch one token, not one each.
    fetching: Mutex<()>,
    /// Proxies from the environment.
    proxies: super::proxy::Proxies,
}

#[derive(Default)]
struct AuthState {
    challenge: Option<Challenge>,
    /// Bearer tokens by scope set, with their expiry.
    tokens: HashMap<String, (String, Instant)>,
}

static USER_AGENT: OnceLock<String> = OnceLock::new();
const OWN_USER_AGENT: &str = concat!("lade/", env!("CARGO_PKG_VERSION"));

/// `--user-agent-prefix`: registries are sent "PREFIX lade/VERSION".
pub fn use_user_agent_prefix(prefix: Option<&str>) {
    if let Some(p) = prefix {
        let _ = USER_AGENT.set(format!("{p} {OWN_USER_AGENT}"));
    }
}

fn user_agent() -> &'static str {
    USER_AGENT.get().map_or(OWN_USER_AGENT, String::as_str)
}

impl Client {
    /// A client for `host`, pinged (`GET /v2/`) to settle the scheme and
    /// learn how it authenticates.
    pub fn new(host: &str, opts: &RegistryOptions, creds: Option<Creds>) -> Result<Client> {
        let api_host = if host == crate::model::reference::DEFAULT_DOMAIN {
            crate::model::reference::DEFAULT_API_HOST
        } else {
            host
        };
        let insecure = opts.tls_verify == Some(false);
        let tls = super::tls::connector(host, opts, insecure)?;
        let idle = idle_timeout()?.0;
        let idle = (!idle.is_zero()).then_some(idle);
        let config = Agent::config_builder()
            .http_status_as_error(false)
            // Chosen per request (see proxy.rs).
            .proxy(None)
            .max_redirects(0)
            .accept_encoding(ureq::config::AutoHeaderValue::None)
            .user_agent(user_agent())
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            // A registry that goes silent midway (a stalled blob) fails
            // the read, to be resumed or retried, instead of a wait
            // without end.
            .timeout_per_read(idle)
            .timeout_per_write(idle)
            // Parallel blob transfers each keep their connection.
            .max_idle_connections_per_host(16)
            .max_idle_connections(32)
            .build();
        let connector =
            ().chain(SocksConnector::default())
                .chain(ConnectProxyConnector::default())
                .chain(crate::transport::socket::TcpConnector)
                .chain(tls);
        let agent = Agent::with_parts(config, connector, DefaultResolver::default());
        let mut c = Client {
            host: host.to_string(),
            base: format!("https://{api_host}"),
            agent,
            insecure,
            creds,
            token: opts.registry_token.clone(),
            withheld_from: opts.creds_withheld_from.clone(),
            retries: opts.retries,
            state: Mutex::new(AuthState::default()),
            fetching: Mutex::new(()),
            proxies: super::proxy::Proxies::from_env(),
        };
        c.ping(api_host)?;
        Ok(c)
    }

    /// `GET /v2/`, retried as other requests are (`--retry-times`: a
    /// registry starting up, a 503 from its proxy).
    fn ping(&mut self, api_host: &str) -> Result<()> {
        let mut attempt = 0;
        loop {
            self.base = format!("https://{api_host}");
            match self.ping_once(api_host) {
                Err((e, Retry::Yes { limited, asked })) => {
                    let Some(wait) = self.retries.again(attempt + 1, limited, asked) else {
                        return Err(e);
                    };
                    attempt += 1;
                    std::thread::sleep(wait);
                }
                r => return r.map_err(|(e, _)| e),
            }
        }
    }

    /// One ping; on failure, the error and whether it may be retried.
    fn ping_once(&mut self, api_host: &str) -> std::result::Result<(), (Error, Retry)> {
        let get = |c: &Self, url: &str| c.send_body(&Method::GET, url, &[], &mut ReqBody::Empty);
        let r = match get(self, &format!("{}/v2/", self.base)) {
            Err(e) if self.insecure => {
                // As skopeo with --tls-verify=false: fall back to plain HTTP.
                self.base = format!("http://{api_host}");
                get(self, &format!("{}/v2/", self.base)).map_err(|e2| {
                    // The same failure both ways (nothing listens) is said once.
                    let (a, b) = (e.err.to_string(), e2.err.to_string());
                    SendError {
                        err: if a == b {
                            e2.err
                        } else {
                            e2.err.context(format!("(over https: {a})"))
                        },
                        retriable: e2.retriable,
                    }
                })
            }
            // A server on plain HTTP (a local registry, say) answers the
            // TLS hello with an HTTP response, which TLS reports as a
            // record of a bad type, words that do not say what is wrong.
            // Only then: ask the same port over HTTP, and if it answers,
            // say so and what to do. (No credentials go with it.)
            Err(e) if e.err.to_string().contains("InvalidContentType") => {
                if get(self, &format!("http://{api_host}/v2/")).is_ok() {
                    return Err((
                        Error::new(format!(
                            "registry {}: it answers plain HTTP, not HTTPS; to use it, turn TLS \
                             verification off for it (--tls-verify=false; with copy and sync \
                             --src-tls-verify=false / --dest-tls-verify=false; in a sync file, \
                             tls-verify: false, which wins over them) (over https: {})",
                            self.host, e.err
                        )),
                        Retry::No,
                    ));
                }
                Err(e)
            }
            r => r,
        };
        let resp = r.map_err(|e| {
            let retry = if e.retriable {
                Retry::Yes {
                    limited: false,
                    asked: None,
                }
            } else {
                Retry::No
            };
            (self.ctx("GET /v2/", e.err), retry)
        })?;
        match resp.status().as_u16() {
            200 => Ok(()),
            401 => {
                // A challenge lade cannot answer (none at all, Negotiate
                // alone, one it cannot read) does not end it here: the
                // requests go unauthenticated, as skopeo sends them, and
                // one the registry refuses says why.
                match challenge_of(&resp) {
                    Ok(ch) => self.state.lock().unwrap().challenge = Some(ch),
                    Err(e) => crate::error::debug(|| {
                        format!(
                            "registry {}: GET /v2/: {e}; going on unauthenticated",
                            self.host
                        )
                    }),
                }
                Ok(())
            }
            code => {
                let retry = match code {
                    429 | 500.. => Retry::Yes {
                        limited: code == 429,
                        asked: retry_after(&resp),
                    },
                    _ => Retry::No,
                };
                Err((self.status_error("GET", "/v2/", resp), retry))
            }
        }
    }

    /// Check the credentials: `GET /v2/` authenticated must answer 200.
    pub fn check_login(&self) -> Result<()> {
        let resp = self.send(Method::GET, &self.url("/v2/"), &[], &[], ReqBody::Empty)?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(self.status_error("GET", "/v2/", resp))
        }
    }

    /// Has the registry asked for credentials (a 401 challenge) so far?
    pub fn was_challenged(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .challenge
            .is_some()
    }

    /// `--retry-times` and `--retry-delay`, as this client keeps them.
    pub fn retries(&self) -> super::Retries {
        self.retries
    }

    pub fn is_http(&self) -> bool {
        self.base.starts_with("http://")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Resolve a Location (or Link) header against the URL of the request
    /// it answered, as RFC 9110 says (an upload service on another host
    /// may answer with a path on its own host).
    pub fn resolve(&self, from: &str, loc: &str) -> Result<String> {
        resolve_against(from, loc).map_err(|e| e.context(format!("registry {}", self.host)))
    }

    fn ctx(&self, what: &str, e: Error) -> Error {
        e.context(format!("registry {}: {what}", self.host))
    }

    /// An error naming the registry, the request and the status, with the
    /// registry's own message when it gave one.
    pub fn status_error(&self, method: &str, path: &str, resp: Response<Body>) -> Error {
        let status = resp.status();
        let by = resp.extensions().get::<AnsweredBy>().map(|a| a.0.clone());
        let body = error_body(resp);
        let e = self.status_error_of(method, path, status, &body);
        match by {
            Some(h) => e.context_after(format!("sent on to {h}, which answered so")),
            None => e,
        }
    }

    /// [`Client::status_error`] of a response whose body (see
    /// [`error_body`]) was read already.
    pub fn status_error_of(
        &self,
        method: &str,
        path: &str,
        status: ureq::http::StatusCode,
        body: &[u8],
    ) -> Error {
        let path = path.split('?').next().unwrap_or(path);
        let path = path.strip_prefix(&self.base).unwrap_or(path);
        let detail = registry_message(body);
        let msg = format!(
            "registry {}: {method} {path}: {status}{}",
            self.host,
            detail.map(|d| format!(": {d}")).unwrap_or_default()
        );
        // No such image or repository is a negative answer (exit 1), as
        // a missing ref of a layout is; anything else failed.
        let read = matches!(method, "GET" | "HEAD" | "DELETE");
        if status.as_u16() == 404
            && read
            && (path.contains("/manifests/") || path.ends_with("/tags/list"))
        {
            Error::not_found(msg)
        } else if matches!(status.as_u16(), 401 | 403) {
            Error::denied(msg)
        } else {
            Error::new(msg)
        }
    }

    /// Send a request, authenticating for `scopes`, following redirects of
    /// GET/HEAD, retrying what can be retried. Any status comes back.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        scopes: &[String],
        headers: &[(&str, String)],
        mut body: ReqBody<'_>,
    ) -> Result<Response<Body>> {
        let path = url.strip_prefix(&self.base).unwrap_or(url).to_string();
        let what = format!("{method} {}", path.split('?').next().unwrap_or(&path));
        // Credentials go to the registry itself only: a URL it names on
        // another host (an upload's Location, a tag list's next page) is
        // asked without them, and one on plain HTTP is refused where the
        // registry speaks HTTPS, as redirects are.
        let own = origin(url) == origin(&self.base);
        if url.starts_with("http://") && !self.is_http() && !self.insecure {
            return Err(self.ctx(
                &what,
                Error::new(format!("refusing plain HTTP {url} (named by the registry)")),
            ));
        }
        let mut attempt = 0;
        let mut reauth = !own;
        loop {
            // A token that has run out is renewed before the request, not
            // after its 401: a streamed body (an upload's chunk) cannot be
            // sent again.
            if own {
                if let Some(ch) = self.expired_bearer(scopes) {
                    self.authenticate(ch, scopes, None)
                        .map_err(|e| self.ctx(&what, e))?;
                }
            }
            let auth = if own {
                self.auth_header(scopes).map_err(|e| self.ctx(&what, e))?
            } else {
                None
            };
            let mut h: Vec<(&str, String)> = headers.to_vec();
            if let Some(a) = &auth {
                h.push(("authorization", a.clone()));
            }
            let r = self.send_redirects(&method, url, &h, &mut body);
            // A 401 from another host the request was sent on to (a
            // redirect, a URL the registry named): not the registry's
            // challenge, and nothing of the registry's credentials goes
            // there.
            let r = match r {
                Ok((resp, at))
                    if resp.status().as_u16() == 401 && origin(&at) != origin(&self.base) =>
                {
                    let (h, p) = origin(&at);
                    return Err(Error::denied(format!(
                        "registry {}: {what}: sent on to {h}:{p}, which answered 401 Unauthorized \
                         (the registry's credentials go to the registry only)",
                        self.host
                    )));
                }
                // (An answer from another host after a redirect carries
                // where it came from, for its error to say.)
                r => r.map(|(mut resp, at)| {
                    if origin(&at) != origin(url) {
                        let (h, p) = origin(&at);
                        resp.extensions_mut().insert(AnsweredBy(format!("{h}:{p}")));
                    }
                    resp
                }),
            };
            match r {
                Err(e) if e.retriable && body.replayable() => {
                    match self.retries.again(attempt + 1, false, None) {
                        Some(wait) => {
                            attempt += 1;
                            std::thread::sleep(wait);
                        }
                        None => return Err(self.ctx(&what, e.err)),
                    }
                }
                // A streamed body is gone: the caller may start over.
                Err(e) if e.retriable && !body.replayable() => {
                    return Err(self.ctx(&what, e.err).transient())
                }
                Err(e) => return Err(self.ctx(&what, e.err)),
                Ok(resp) => {
                    let code = resp.status().as_u16();
                    if code == 401 && !reauth && body.replayable() {
                        reauth = true;
                        let ch = challenge_of(&resp).map_err(|e| self.ctx(&what, e))?;
                        self.authenticate(ch, scopes, auth.as_deref())
                            .map_err(|e| self.ctx(&what, e))?;
                        continue;
                    }
                    // (a 429 is waited out a few times whatever
                    // --retry-times says)
                    let limited = code == 429;
                    let again = (limited || (500..600).contains(&code))
                        .then(|| self.retries.again(attempt + 1, limited, retry_after(&resp)))
                        .flatten()
                        .filter(|_| body.replayable());
                    if let Some(wait) = again {
                        attempt += 1;
                        let budget = self.retries.budget(limited);
                        drop(resp);
                        // A wait one would notice is said (a 429's
                        // Retry-After may ask for up to a minute).
                        if wait >= Duration::from_secs(5) {
                            crate::error::warn(&format!(
                                "registry {}: {what}: {code}; trying again in {} s (retry {attempt} \
                                 of {budget})",
                                self.host,
                                wait.as_secs(),
                            ));
                        }
                        std::thread::sleep(wait);
                        continue;
                    }
                    if code == 401 {
                        return Err(self.auth_failed(&what, resp));
                    }
                    return Ok(resp);
                }
            }
        }
    }

    /// What a refusal means, by what was sent.
    fn auth_hint(&self) -> String {
        let basic = matches!(
            self.state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .challenge,
            Some(Challenge::Basic { .. })
        );
        match (&self.creds, &self.withheld_from) {
            // (never sent: a token answers a Bearer challenge only)
            (None, _) if basic && self.token.is_some() => {
                "authentication required (the registry asks for a username and password, Basic \
                 authentication; a registry token (--registry-token, --src-/--dest-registry-token) \
                 answers a Bearer challenge only: use --creds or an auth file)"
                    .into()
            }
            _ if !basic && self.token.is_some() => {
                "authentication failed (the registry token was refused)".into()
            }
            (Some(_), _) => "authentication failed (wrong username or password, or no access \
                             to this repository?)"
                .into(),
            (None, Some(given)) => format!(
                "authentication required (the credentials given were for {given}, and are \
                 not sent to {}, where registries.conf rewrote the name: give this registry \
                 its own in an auth file, or `lade login {}`)",
                self.host, self.host
            ),
            (None, None) => "authentication required (use --creds, or --src-creds/--dest-creds \
                             with copy and sync, or credentials: in a sync --src yaml file; an \
                             auth file; or `lade login`)"
                .into(),
        }
    }

    /// A 401 that authenticating did not cure. One whose challenge says
    /// `error="insufficient_scope"` (the token service gave a token, just
    /// not for this) is a refusal (Kind::Denied), as a 403 is.
    fn auth_failed(&self, what: &str, resp: Response<Body>) -> Error {
        let scope_refused = header(&resp, "www-authenticate")
            .is_some_and(|h| h.to_ascii_lowercase().contains("insufficient_scope"));
        let hint = self.auth_hint();
        let body = error_body(resp);
        let detail = registry_message(&body)
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        if scope_refused {
            // Without credentials that may just mean logging in is needed
            // (an anonymous token for a private repository): said so.
            let why = if self.creds.is_some() || self.token.is_some() {
                "the token service's token does not cover this (insufficient_scope)".to_string()
            } else {
                format!("{hint}; the anonymous token does not cover this (insufficient_scope)")
            };
            return Error::denied(format!(
                "registry {}: {what}: 401 Unauthorized: {why}{detail}",
                self.host
            ));
        }
        Error::new(format!(
            "registry {}: {what}: 401 Unauthorized: {hint}{detail}",
            self.host
        ))
        .credentials_refused()
    }

    fn send_redirects(
        &self,
        method: &Method,
        url: &str,
        headers: &[(&str, String)],
        body: &mut ReqBody<'_>,
    ) -> std::result::Result<(Response<Body>, String), SendError> {
        let mut url = url.to_string();
        let mut headers = headers.to_vec();
        let first = origin(&url);
        for _ in 0..6 {
            let resp = self.send_body(method, &url, &headers, body)?;
            let code = resp.status().as_u16();
            let follow = matches!(code, 301 | 302 | 303 | 307 | 308)
                && (method == Method::GET || method == Method::HEAD);
            if !follow {
                return Ok((resp, url));
            }
            let Some(loc) = header(&resp, "location") else {
                return Ok((resp, url));
            };
            url = resolve_against(&url, &loc).map_err(|err| SendError {
                err,
                retriable: false,
            })?;
            if origin(&url) != first {
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            }
            if url.starts_with("http://") && !self.insecure && !self.is_http() {
                return Err(SendError {
                    err: Error::new(format!(
                        "refusing redirect to plain HTTP {}",
                        without_userinfo(&url)
                    )),
                    retriable: false,
                });
            }
        }
        Err(SendError {
            err: Error::new("too many redirects"),
            retriable: false,
        })
    }

    fn send_body(
        &self,
        method: &Method,
        url: &str,
        headers: &[(&str, String)],
        body: &mut ReqBody<'_>,
    ) -> std::result::Result<Response<Body>, SendError> {
        let mut b = http::Request::builder().method(method.clone()).uri(url);
        for (k, v) in headers {
            b = b.header(*k, v.as_str());
        }
        let proxy = self.proxies.for_url(url).map_err(|err| SendError {
            err,
            retriable: false,
        })?;
        let t0 = std::time::Instant::now();
        let r = match body {
            // (said to be empty: without a length, an empty POST or PUT
            // would go chunked, which some servers and proxies do not read)
            ReqBody::Empty if matches!(*method, Method::POST | Method::PUT | Method::PATCH) => b
                .header("content-length", "0")
                .body(&[][..])
                .map(|r| self.run(r, proxy)),
            ReqBody::Empty => b.body(()).map(|r| self.run(r, proxy)),
            ReqBody::Bytes(bytes) => b
                .header("content-length", bytes.len().to_string())
                .body(*bytes)
                .map(|r| self.run(r, proxy)),
            ReqBody::Stream(reader, len) => {
                if let Some(n) = len {
                    b = b.header("content-length", n.to_string());
                }
                b.body(SendBody::from_reader(&mut **reader))
                    .map(|r| self.run(r, proxy))
            }
        };
        crate::error::debug(|| {
            let outcome = match &r {
                Ok(Ok(resp)) => resp.status().as_u16().to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "bad request".to_string(),
            };
            format!(
                "{method} {} -> {outcome} ({} ms)",
                shown_url(url),
                t0.elapsed().as_millis()
            )
        });
        match r {
            Err(e) => Err(SendError {
                err: Error::new(format!("bad request: {e}")),
                retriable: false,
            }),
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(match proxy {
                // Said so: the failure may be the proxy's.
                Some(p) => {
                    let mut e = send_error(e);
                    e.err = e
                        .err
                        .context(format!("through proxy {}:{}", p.host(), p.port()));
                    e
                }
                None => send_error(e),
            }),
        }
    }

    /// Send `req`, through `proxy` if one is given.
    fn run<S: ureq::AsSendBody>(
        &self,
        req: http::Request<S>,
        proxy: Option<&ureq::Proxy>,
    ) -> std::result::Result<Response<Body>, ureq::Error> {
        match proxy {
            None => self.agent.run(req),
            Some(p) => self.agent.run(
                self.agent
                    .configure_request(req)
                    .proxy(Some(p.clone()))
                    .build(),
            ),
        }
    }

    /// The Authorization header for `scopes`, if one is known.
    fn auth_header(&self, scopes: &[String]) -> Result<Option<String>> {
        let st = self.state.lock().unwrap();
        match &st.challenge {
            None => Ok(None),
            Some(Challenge::Basic { .. }) => Ok(self
                .creds
                .as_ref()
                .and_then(|c| c.basic())
                .map(|b| format!("Basic {b}"))),
            Some(Challenge::Bearer { .. }) => {
                if let Some(t) = &self.token {
                    return Ok(Some(format!("Bearer {t}")));
                }
                let key = scopes.join(" ");
                Ok(st
                    .tokens
                    .get(&key)
                    .filter(|(_, exp)| *exp > Instant::now())
                    .map(|(t, _)| format!("Bearer {t}")))
            }
        }
    }

    /// The registry's Bearer challenge, when the token fetched for
    /// `scopes` has run out (a fixed token given by the user has none).
    fn expired_bearer(&self, scopes: &[String]) -> Option<Challenge> {
        if self.token.is_some() {
            return None;
        }
        let st = self.state.lock().unwrap();
        let ch = st.challenge.as_ref()?;
        let expired = st
            .tokens
            .get(&scopes.join(" "))
            .is_some_and(|(_, exp)| *exp <= Instant::now());
        (expired && matches!(ch, Challenge::Bearer { .. })).then(|| ch.clone())
    }

    /// A token service request, tried again as the registry's requests
    /// are (--retry-times, --retry-delay; a refused connection, a reset,
    /// a 429 or 5xx): a token service restarting is waited for. A GET
    /// follows redirects, as skopeo's does.
    fn token_request(
        &self,
        realm: &str,
        method: &Method,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Response<Body>> {
        let mut attempt = 0;
        loop {
            let mut b = if body.is_empty() {
                ReqBody::Empty
            } else {
                ReqBody::Bytes(body)
            };
            // (a GET's redirects followed, as the registry's are: the
            // credentials go to the realm's own host only)
            let r = self
                .send_redirects(method, url, headers, &mut b)
                .map(|(resp, _)| resp);
            let again = match &r {
                Err(e) if e.retriable => self.retries.again(attempt + 1, false, None),
                Ok(resp) if resp.status().as_u16() == 429 || resp.status().is_server_error() => {
                    let limited = resp.status().as_u16() == 429;
                    self.retries.again(attempt + 1, limited, retry_after(resp))
                }
                _ => None,
            };
            match (r, again) {
                (_, Some(wait)) => {
                    attempt += 1;
                    std::thread::sleep(wait);
                }
                (Err(e), None) => return Err(e.err.context(format!("token service {realm}"))),
                (Ok(resp), None) => return Ok(resp),
            }
        }
    }

    /// React to a 401 to a request that carried `sent`: remember the
    /// challenge; for Bearer, fetch a token, unless another request has
    /// fetched one for these scopes meanwhile.
    fn authenticate(&self, ch: Challenge, scopes: &[String], sent: Option<&str>) -> Result<()> {
        let had_auth = sent.is_some();
        if let Challenge::Bearer {
            realm,
            service,
            scope,
        } = &ch
        {
            let _one = self.fetching.lock().unwrap_or_else(|e| e.into_inner());
            let known = matches!(
                self.state.lock().unwrap().challenge,
                Some(Challenge::Bearer { .. })
            );
            let fresh = if known {
                self.auth_header(scopes)?
            } else {
                None
            };
            if fresh.is_some() && fresh.as_deref() != sent {
                return Ok(());
            }
            if self.token.is_none() {
                let mut want: Vec<String> = scopes.to_vec();
                if let Some(s) = scope {
                    for s in s.split(' ') {
                        if !want.iter().any(|w| w == s) {
                            want.push(s.to_string());
                        }
                    }
                }
                let (token, ttl) = self.fetch_token(realm, service.as_deref(), &want)?;
                self.state
                    .lock()
                    .unwrap()
                    .tokens
                    .insert(scopes.join(" "), (token, Instant::now() + ttl));
            }
        } else if had_auth || self.creds.is_none() {
            // Basic with the credentials we have was refused, or we have none.
            let mut st = self.state.lock().unwrap();
            let known = matches!(st.challenge, Some(Challenge::Basic { .. }));
            st.challenge = Some(ch);
            if known || self.creds.is_none() {
                // (auth_hint reads the state: its lock let go first)
                drop(st);
                return Err(Error::new(self.auth_hint()).credentials_refused());
            }
            return Ok(());
        }
        self.state.lock().unwrap().challenge = Some(ch);
        Ok(())
    }

    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<(String, Duration)> {
        let mut url = realm.to_string();
        // (said as `--debug` shows it: no user or password)
        let realm_url = realm;
        let realm = &without_userinfo(realm_url);
        let mut q: Vec<String> = Vec::new();
        if let Some(s) = service {
            q.push(format!("service={}", urlencode(s)));
        }
        // The user the token is asked for, as Docker and skopeo name it
        // (token services that check it refuse a request without it).
        if let Some(Creds::Basic { user, .. }) = &self.creds {
            q.push(format!("account={}", urlencode(user)));
        }
        for s in scopes {
            q.push(format!("scope={}", urlencode(s)));
        }
        if !q.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&q.join("&"));
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::new(format!(
                "token realm {:?} is not an http(s) URL",
                realm.chars().take(120).collect::<String>()
            )));
        }
        if let Some(Creds::Identity { token: refresh, .. }) = &self.creds {
            return self.refresh_token(realm_url, service, scopes, refresh);
        }
        let mut headers = Vec::new();
        if let Some(b) = self.creds.as_ref().and_then(|c| c.basic()) {
            self.warn_plain_http(realm, "credentials");
            headers.push(("authorization", format!("Basic {b}")));
        }
        let resp = self.token_request(realm, &Method::GET, &url, &headers, &[])?;
        let status = resp.status();
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(Error::new(format!(
                "token service {realm}: {status}: {}",
                self.auth_hint()
            ))
            .credentials_refused());
        }
        if !status.is_success() {
            return Err(Error::new(format!("token service {realm}: {status}")));
        }
        token_of(realm, resp)
    }

    /// The OAuth2 flow of an identity token (auth files' `identitytoken`):
    /// A token service on plain HTTP gets what it asks for, as Docker and
    /// skopeo send it: the registry named it. Said once per service,
    /// unless the registry is plain HTTP (or unverified) itself.
    fn warn_plain_http(&self, realm: &str, what: &str) {
        use std::collections::HashSet;
        use std::sync::{Mutex, OnceLock};
        static SAID: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
        if !realm.starts_with("http://") || self.insecure {
            return;
        }
        let said = SAID.get_or_init(Mutex::default);
        if said
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(realm.to_string())
        {
            crate::error::warn(&format!(
                "sending {what} to the plain-HTTP token service {realm} that registry {} names",
                self.host
            ));
        }
    }

    /// POST the form `grant_type=refresh_token` to the realm.
    fn refresh_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        refresh: &str,
    ) -> Result<(String, Duration)> {
        let realm_url = realm;
        let realm = &without_userinfo(realm_url);
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(Error::new(format!(
                "token realm {:?} is not an http(s) URL",
                realm.chars().take(120).collect::<String>()
            )));
        }
        self.warn_plain_http(realm, "an identity token");
        let mut form = vec![
            "grant_type=refresh_token".to_string(),
            format!("refresh_token={}", urlencode(refresh)),
            "client_id=lade".to_string(),
        ];
        if let Some(s) = service {
            form.push(format!("service={}", urlencode(s)));
        }
        if !scopes.is_empty() {
            form.push(format!("scope={}", urlencode(&scopes.join(" "))));
        }
        let form = form.join("&");
        let headers = [(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        let resp =
            self.token_request(realm, &Method::POST, realm_url, &headers, form.as_bytes())?;
        let status = resp.status();
        if status.as_u16() == 400 || status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(Error::new(format!(
                "token service {realm}: {status}: the identity token was refused (expired? `lade login` again)"
            ))
            .credentials_refused());
        }
        if !status.is_success() {
            return Err(Error::new(format!("token service {realm}: POST: {status}")));
        }
        token_of(realm, resp)
    }
}

/// The token of a token service's answer (`token` or `access_token`) and
/// how long to use it.
fn token_of(realm: &str, resp: Response<Body>) -> Result<(String, Duration)> {
    parse_token(realm, &read_capped(resp, MAX_TOKEN_BODY, "token response")?)
}

/// A token service's answer: the token, and how long to use it.
fn parse_token(realm: &str, body: &[u8]) -> Result<(String, Duration)> {
    #[derive(serde::Deserialize)]
    struct Tok {
        token: Option<String>,
        access_token: Option<String>,
        expires_in: Option<i64>,
    }
    let t: Tok = serde_json::from_slice(body)
        .map_err(|e| Error::new(format!("token service {realm}: bad response: {e}")))?;
    // (an empty `token` is none: `access_token` then, as Docker reads it)
    let token = t
        .token
        .filter(|t| !t.is_empty())
        .or(t.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| Error::new(format!("token service {realm}: no token in response")))?;
    // (It goes into an Authorization header: no control characters.)
    if token.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(Error::new(format!(
            "token service {realm}: the token holds characters a header cannot carry"
        )));
    }
    // Renewed a little early: 5 s before it ends, or at half a lifetime
    // shorter than 10 s. 60 s is the spec's default lifetime, and what a
    // lifetime of 0 or less is taken for.
    // (at most a day: a lifetime past the clock's range is no reason to
    // stop, nor to keep a token for ever)
    let life = t.expires_in.filter(|&s| s > 0).unwrap_or(60).min(86_400) as u64;
    let ttl = match life {
        10.. => Duration::from_secs(life - 5),
        _ => Duration::from_millis(life * 500),
    };
    Ok((token, ttl))
}

/// How long a connection may carry no byte either way before the read
/// or write fails: 5 minutes, or `LADE_IDLE_TIMEOUT` (a Go duration, 0
/// for no limit; for tests); with how to say it.
pub fn idle_timeout() -> Result<(Duration, String)> {
    idle_timeout_or(Duration::from_secs(300), "5 minutes")
}

/// `LADE_IDLE_TIMEOUT` if set, else `default` (said as `shown`).
pub fn idle_timeout_or(default: Duration, shown: &str) -> Result<(Duration, String)> {
    static IDLE: std::sync::OnceLock<std::result::Result<Option<(Duration, String)>, String>> =
        std::sync::OnceLock::new();
    let set = IDLE
        .get_or_init(|| match std::env::var("LADE_IDLE_TIMEOUT") {
            Ok(v) => crate::cli::go_duration(&v)
                .map(|d| Some((d, v.clone())))
                .map_err(|e| format!("LADE_IDLE_TIMEOUT: {e}")),
            Err(_) => Ok(None),
        })
        .clone()
        .map_err(Error::new)?;
    Ok(set.unwrap_or_else(|| (default, shown.to_string())))
}

/// What an idle timeout (`timeout: per read/write`) means, said so.
pub fn timeout_message(e: &ureq::Error) -> Option<String> {
    match e {
        ureq::Error::Timeout(ureq::Timeout::PerRead | ureq::Timeout::PerWrite) => {
            let shown = idle_timeout().map_or_else(|_| "too long".into(), |(_, s)| s);
            Some(format!("the connection carried no data for {shown} ({e})"))
        }
        _ => None,
    }
}

/// A failed read of an answer's body, said: an idle timeout as
/// [`timeout_message`] says it, anything else as it is.
pub fn read_error_message(e: &std::io::Error) -> String {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<ureq::Error>())
        .and_then(timeout_message)
        .unwrap_or_else(|| e.to_string())
}

pub struct SendError {
    pub err: Error,
    pub retriable: bool,
}

fn send_error(e: ureq::Error) -> SendError {
    // A request body that failed to read (a source blob that did not
    // verify, a broken source download) is the source's error, not the
    // registry's: passed on as it is, and not retried here.
    let e = match e {
        ureq::Error::Io(io) if io.get_ref().is_some_and(|i| i.is::<Error>()) => {
            return SendError {
                err: Error::from(io),
                retriable: false,
            }
        }
        e => e,
    };
    let retriable = matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
    );
    SendError {
        err: Error::new(timeout_message(&e).unwrap_or_else(|| with_tls_hint(e.to_string()))),
        retriable,
    }
}

/// A TLS failure in the library's words, with what to do about it.
fn with_tls_hint(msg: String) -> String {
    let hint = if msg.contains("certificate not valid for name") {
        "name the registry as its certificate does, or use --tls-verify=false"
    } else if msg.contains("certificate expired") || msg.contains("not valid yet") {
        "the registry's certificate is out of its validity period (or this machine's clock is \
         wrong)"
    } else if msg.contains("invalid peer certificate") {
        "the registry's certificate is not trusted here: put its CA, or the certificate \
         itself if self-signed, in --cert-dir DIR as DIR/*.crt (by default \
         ~/.config/containers/certs.d/HOST or /etc/containers/certs.d/HOST), or use \
         --tls-verify=false"
    } else if msg.contains("CertificateRequired") {
        "the registry wants a client certificate: put NAME.cert and NAME.key in --cert-dir DIR"
    } else if msg.contains("BadCertificate") {
        "the registry wants a client certificate, and took none sent: put NAME.cert and \
         NAME.key in --cert-dir DIR, issued by a CA it trusts"
    } else {
        return msg;
    };
    format!("{msg} ({hint})")
}

/// Whether a failed request may be tried again, and after how long the
/// registry asked for (Retry-After), if it did.
enum Retry {
    No,
    /// `limited`: a 429, see [`Retries::budget`].
    Yes {
        limited: bool,
        asked: Option<Duration>,
    },
}

/// Retry-After as seconds or an HTTP date, capped.
pub(super) fn retry_after(resp: &Response<Body>) -> Option<Duration> {
    let v = header(resp, "retry-after")?;
    let d = if let Ok(s) = v.trim().parse::<u64>() {
        Duration::from_secs(s)
    } else {
        // (a date passed, or a clock ahead of the registry's: no wait
        // asked, so lade's own backoff)
        let t = httpdate(v.trim())?;
        t.duration_since(SystemTime::now()).ok()?
    };
    Some(d.min(MAX_RETRY_AFTER))
}

/// Parse an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(s: &str) -> Option<SystemTime> {
    let p: Vec<&str> = s.split_whitespace().collect();
    if p.len() != 6 || p[5] != "GMT" {
        return None;
    }
    let day: u64 = p[1].parse().ok()?;
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| *m == p[2])? as u64 + 1;
    let year: u64 = p[3].parse().ok()?;
    let hms: Vec<u64> = p[4]
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    // Fields in range (a date a registry sends may be anything): the sums
    // below then cannot overflow, nor the time go past what SystemTime holds.
    if hms.len() != 3
        || !(1..=31).contains(&day)
        || !(1970..=9999).contains(&year)
        || hms[0] > 23
        || hms[1] > 59
        || hms[2] > 60
    {
        return None;
    }
    // days from civil (Howard Hinnant's algorithm)
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

pub fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A URL as `--debug` shows it: query values other than the registry
/// API's own (`digest`, `mount`, `from`, `n`, `last`) left out, as upload
/// state and presigned storage URLs carry secrets there.
fn shown_url(url: &str) -> String {
    // Credentials written into the URL go too.
    let url = without_userinfo(url);
    let Some((base, query)) = url.split_once('?') else {
        return url;
    };
    let params: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if ["digest", "mount", "from", "n", "last"].contains(&k) => kv.to_string(),
            Some((k, _)) => format!("{k}=…"),
            None => "…".to_string(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// A URL fit to print: a user and password written into it
/// (`https://USER:PASS@HOST/…`) left out, as `--debug` leaves them out.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://…@{host}{}", &rest[end..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// Where a URL goes: its host, lower-cased, and port (the scheme's when
/// none is written): `https://R.io` and `https://r.io:443/v2/` are one.
fn origin(url: &str) -> (String, u16) {
    match super::proxy::host_port(url) {
        Some((_, h, port)) if h.contains(':') => (format!("[{}]", h.to_ascii_lowercase()), port),
        Some((_, h, port)) => (h.to_ascii_lowercase(), port),
        None => (url.to_ascii_lowercase(), 443),
    }
}

/// The host and port that answered a request after a redirect, where
/// that is not the registry.
#[derive(Clone)]
struct AnsweredBy(String);

/// Where a response came from, in errors: `url`, and the host a
/// redirect sent the request on to, when that is not the registry.
pub fn answered_at(resp: &Response<Body>, url: &str) -> String {
    let url = shown_url(url);
    match resp.extensions().get::<AnsweredBy>() {
        Some(h) => format!("{url} (sent on to {})", h.0),
        None => url,
    }
}

/// A Content-Type that says the body is no JSON (a web page a proxy
/// or a login portal put in a registry's place): its media type, for
/// an error to name.
pub fn not_json_type(resp: &Response<Body>) -> Option<String> {
    let t = header(resp, "content-type")?;
    let t = t
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    (!t.is_empty() && !t.contains("json") && !t.contains("octet-stream")).then_some(t)
}

/// `loc` (a Location header) resolved against the URL it came from. A
/// scheme is matched whatever its case (RFC 3986: `HTTPS://` is
/// `https://`); one other than http and https is refused.
fn resolve_against(base: &str, loc: &str) -> Result<String> {
    if let Some((scheme, rest)) = scheme_of(loc) {
        let scheme = scheme.to_ascii_lowercase();
        if scheme == "http" || scheme == "https" {
            return Ok(format!("{scheme}:{rest}"));
        }
        return Err(Error::new(format!(
            "sent on to {} (lade follows http and https only)",
            crate::error::escape_controls(loc)
        )));
    }
    let scheme = base.split_once("://").map_or("https", |(s, _)| s);
    if let Some(rest) = loc.strip_prefix("//") {
        return Ok(format!("{scheme}://{rest}"));
    }
    let root = format!("{scheme}://{}", host_of(base));
    if loc.starts_with('/') {
        return Ok(format!("{root}{loc}"));
    }
    // (RFC 3986, 5.2.2: the base's path with another query, or with
    // none but the base's query; a fragment is never sent)
    let base_path = base.split('#').next().unwrap_or(base);
    let no_query = base_path.split('?').next().unwrap_or(base_path);
    if loc.starts_with('?') {
        return Ok(format!("{no_query}{}", loc.split('#').next().unwrap_or("")));
    }
    if loc.is_empty() || loc.starts_with('#') {
        return Ok(base_path.to_string());
    }
    // A relative path: beside the last segment of the base's path.
    let path = base[root.len()..].split(['?', '#']).next().unwrap_or("");
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    Ok(format!("{root}{dir}/{loc}"))
}

/// The scheme of an absolute URL (`ALPHA *( ALPHA / DIGIT / "+" / "-" /
/// "." ) ":"`), and what follows its colon.
fn scheme_of(loc: &str) -> Option<(&str, &str)> {
    let (s, rest) = loc.split_once(':')?;
    let mut chars = s.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((s, rest))
}

fn challenge_of(resp: &Response<Body>) -> Result<Challenge> {
    let values: Vec<std::borrow::Cow<str>> = resp
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect();
    if values.is_empty() {
        return Err(Error::new(
            "401 Unauthorized without a WWW-Authenticate header",
        ));
    }
    parse_challenges(&values)
}

/// Read a response body, failing past `cap` bytes.
pub fn read_capped(resp: Response<Body>, cap: u64, what: &str) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    resp.into_body()
        .into_reader()
        .take(cap + 1)
        .read_to_end(&mut v)
        // (Cut short on the way: another GET may give it whole.)
        .map_err(|e| {
            Error::new(format!("reading {what}: {}", read_error_message(&e))).transient()
        })?;
    if v.len() as u64 > cap {
        return Err(Error::new(format!(
            "{what} is more than the {cap} byte limit"
        )));
    }
    Ok(v)
}

/// The start of an error response's body (what an error message may
/// quote).
pub fn error_body(resp: Response<Body>) -> Vec<u8> {
    let mut body = Vec::new();
    let _ = resp
        .into_body()
        .into_reader()
        .take(MAX_ERROR_BODY)
        .read_to_end(&mut body);
    body
}

/// A distribution API error body: `{"errors": [{"code": …, "message": …}]}`.
#[derive(serde::Deserialize)]
struct Errors {
    errors: Vec<ErrorEntry>,
}

#[derive(serde::Deserialize)]
struct ErrorEntry {
    code: Option<String>,
    message: Option<String>,
}

/// Does an error body of the distribution API carry `code`?
pub fn has_error_code(body: &[u8], code: &str) -> bool {
    serde_json::from_slice::<Errors>(body)
        .is_ok_and(|es| es.errors.iter().any(|e| e.code.as_deref() == Some(code)))
}

/// The first message of a registry's `{"errors":[…]}` body, else a short text.
fn registry_message(body: &[u8]) -> Option<String> {
    if let Ok(es) = serde_json::from_slice::<Errors>(body) {
        let parts: Vec<String> = es
            .errors
            .iter()
            .map(|e| match (&e.code, &e.message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.clone(),
                (None, Some(m)) => m.clone(),
                _ => String::new(),
            })
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            return Some(parts.join("; "));
        }
    }
    let s = String::from_utf8_lossy(body);
    let s = s.trim();
    // (An empty JSON object or list says nothing either.)
    let empty_json = serde_json::from_str::<serde_json::Value>(s).is_ok_and(|v| match v {
        serde_json::Value::Object(m) => m.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Null => true,
        _ => false,
    });
    if s.is_empty() || s.len() > 200 || s.contains('\n') || empty_json {
        None
    } else {
        Some(s.to_string())
    }
}

pub fn urlencode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_lifetimes() {
        let ttl = |body: &str| super::parse_token("r", body.as_bytes()).map(|(_, d)| d.as_millis());
        assert_eq!(ttl(r#"{"token":"t"}"#).unwrap(), 55_000);
        let e = parse_token("r", br#"{"token":"a\r\nX-Evil: 1"}"#).unwrap_err();
        assert!(e.to_string().contains("cannot carry"), "{e}");
        assert_eq!(ttl(r#"{"token":"t","expires_in":300}"#).unwrap(), 295_000);
        assert_eq!(
            ttl(r#"{"access_token":"t","expires_in":10}"#).unwrap(),
            5_000
        );
        // short ones are renewed at half their lifetime, never used past it
        assert_eq!(ttl(r#"{"token":"t","expires_in":3}"#).unwrap(), 1_500);
        for none in [0, -1] {
            let body = format!(r#"{{"token":"t","expires_in":{none}}}"#);
            assert_eq!(ttl(&body).unwrap(), 55_000);
        }
        assert_eq!(
            ttl(r#"{"token":"t","expires_in":9223372036854775807}"#).unwrap(),
            86_395_000
        );
        assert!(ttl(r#"{"token":""}"#).is_err());
        // An empty token is none: the access_token then.
        let both = br#"{"token":"","access_token":"good"}"#;
        assert_eq!(parse_token("r", both).unwrap().0, "good");
        assert!(ttl(r#"{"token":"","access_token":""}"#).is_err());
        assert!(ttl(r#"{"token":"t","expires_in":"x"}"#).is_err());
    }

    use super::*;

    #[test]
    fn http_dates_out_of_range_are_no_dates() {
        let t = httpdate("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            784111777
        );
        let end = httpdate("Fri, 31 Dec 9999 23:59:60 GMT").unwrap();
        assert_eq!(
            end.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            253402300800
        );
        for bad in [
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Mon, 01 Jan 1900 00:00:00 GMT",
            "Sat, 01 Jan 0000 00:00:00 GMT",
            "Fri, 31 Dec 99999999999999999 23:59:59 GMT",
            "Fri, 31 Dec 2026 3000000000000000:00:00 GMT",
            "Fri, 00 Dec 2026 00:00:00 GMT",
            "Fri, 99999999999 Dec 2026 00:00:00 GMT",
            "Fri, 31 Dec 2026 24:00:00 GMT",
            "Fri, 31 Dec 2026 00:60:00 GMT",
            "Fri, 31 Dec 2026 12:xx:30:40 GMT",
        ] {
            assert_eq!(httpdate(bad), None, "{bad}");
        }
    }

    #[test]
    fn debug_urls_leave_secrets_out() {
        assert_eq!(
            shown_url("https://r.io/v2/a/blobs/uploads/u?_state=abc&digest=sha256:12"),
            "https://r.io/v2/a/blobs/uploads/u?_state=…&digest=sha256:12"
        );
        assert_eq!(
            shown_url("https://s3.io/b?X-Amz-Signature=s&X-Amz-Expires=3"),
            "https://s3.io/b?X-Amz-Signature=…&X-Amz-Expires=…"
        );
        assert_eq!(
            shown_url("http://r/v2/a/tags/list?n=10&last=x"),
            "http://r/v2/a/tags/list?n=10&last=x"
        );
        assert_eq!(shown_url("http://r/v2/"), "http://r/v2/");
        assert_eq!(
            shown_url("https://u:p@auth.io/token?tok&scope=x"),
            "https://…@auth.io/token?…&scope=…"
        );
        assert_eq!(shown_url("https://auth.io/a@b"), "https://auth.io/a@b");
    }

    #[test]
    fn origins() {
        assert_eq!(origin("https://R.io/v2/"), origin("https://r.io:443/x"));
        assert_eq!(origin("http://r.io"), ("r.io".to_string(), 80));
        assert_ne!(origin("https://r.io:5000/"), origin("https://r.io/"));
        assert_eq!(
            origin("https://u:p@[::1]:5000/v2/"),
            ("[::1]".to_string(), 5000)
        );
        assert_eq!(origin("https://[::1]/v2/"), ("[::1]".to_string(), 443));
    }

    #[test]
    fn empty_json_bodies_say_nothing() {
        for b in [&b"{}"[..], b"[]", b"null", b" { } ", b""] {
            assert_eq!(
                registry_message(b),
                None,
                "{:?}",
                String::from_utf8_lossy(b)
            );
        }
        assert_eq!(registry_message(b"slow down").as_deref(), Some("slow down"));
    }

    #[test]
    fn locations() {
        let b = "https://cdn.example/a/b/blob?sig=1";
        let r = |loc: &str| resolve_against(b, loc).unwrap();
        assert_eq!(r("https://x.example/y"), "https://x.example/y");
        assert_eq!(r("HTTP://x.example/y"), "http://x.example/y");
        assert_eq!(r("Https://x.example/y"), "https://x.example/y");
        assert_eq!(r("//y.example/z"), "https://y.example/z");
        assert_eq!(r("/other"), "https://cdn.example/other");
        assert_eq!(r("/v2/x:y"), "https://cdn.example/v2/x:y");
        assert_eq!(r("c?d=1"), "https://cdn.example/a/b/c?d=1");
        // a query alone: the same path; a fragment alone: the same URL
        assert_eq!(r("?tr=1"), "https://cdn.example/a/b/blob?tr=1");
        assert_eq!(r("?tr=1#f"), "https://cdn.example/a/b/blob?tr=1");
        assert_eq!(r("#frag"), "https://cdn.example/a/b/blob?sig=1");
        for bad in ["file:///etc/passwd", "gopher://x/", "ftp://x.example/y"] {
            let e = resolve_against(b, bad).unwrap_err().to_string();
            assert!(e.contains("http and https only"), "{bad}: {e}");
        }
    }
}
