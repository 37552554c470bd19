//! Credentials and challenges: `--creds`/`--registry-token`, auth files
//! (containers' auth.json and Docker's config.json: `auths`,
//! `credHelpers`, `credsStore` through `docker-credential-*`),
//! WWW-Authenticate parsing, and the file side of login/logout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Map, Value};

use super::client::b64;
use super::conf::AUTH_FILES_HELPER;
use super::RegistryOptions;
use crate::error::{Error, Result};

/// What to authenticate with. Secrets stay in here; nothing prints them.
#[derive(Clone)]
pub enum Creds {
    Basic {
        user: String,
        pass: String,
    },
    /// An OAuth2 refresh token (an auth file's `identitytoken`, a
    /// credential helper's `<token>` user), traded for bearer tokens; with
    /// the user name the entry gives, if any.
    Identity {
        user: String,
        token: String,
    },
}

impl Creds {
    /// `USER:PASS` base64-encoded for Basic auth and token requests.
    pub fn basic(&self) -> Option<String> {
        match self {
            Creds::Basic { user, pass } => Some(b64(&format!("{user}:{pass}"))),
            Creds::Identity { .. } => None,
        }
    }

    /// `USER[:PASS]` from the command line; without `:PASS` the password
    /// is asked for on the terminal (once per user in this process).
    pub fn parse(s: &str) -> Result<Creds> {
        let (user, pass) = match s.split_once(':') {
            Some((u, p)) => (u, p.to_string()),
            None if s.is_empty() => ("", String::new()),
            None => (s, prompt_password(s)?),
        };
        if user.is_empty() {
            return Err(Error::usage(
                "credentials (--creds, --src-creds, --dest-creds) need USERNAME[:PASSWORD], with a username",
            ));
        }
        Ok(Creds::Basic {
            user: user.to_string(),
            pass,
        })
    }
}

/// Print `prompt` on stderr and read one line from the terminal (standard
/// input) with echo off. Should the process end meanwhile (a signal,
/// --command-timeout), the terminal's settings are put back (see
/// [`crate::fsutil::hold_terminal`]).
pub fn read_secret(prompt: &str) -> Result<String> {
    use std::io::Read;
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let stdin = std::io::stdin();
    let mut fd = stdin.lock();
    let before = rustix::termios::tcgetattr(&fd)
        .map_err(|e| Error::new(format!("reading the terminal's settings: {e}")))?;
    let mut quiet = before.clone();
    quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
    quiet
        .local_modes
        .insert(rustix::termios::LocalModes::ECHONL);
    crate::fsutil::hold_terminal(Some(before.clone()));
    if let Err(e) = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Drain, &quiet)
    {
        crate::fsutil::hold_terminal(None);
        return Err(Error::new(format!("turning the terminal's echo off: {e}")));
    }
    // One line, read byte by byte: nothing past it is consumed.
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let r = loop {
        match fd.read(&mut byte) {
            Ok(0) => break Ok(()),
            Ok(_) if byte[0] == b'\n' => break Ok(()),
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    let _ = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &before);
    crate::fsutil::hold_terminal(None);
    r.map_err(|e| Error::new(format!("reading the password: {e}")))?;
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| Error::new("the password is not UTF-8"))
}

/// Ask for `user`'s password on the terminal (standard input), echo off;
/// remembered for the rest of the process, so source and destination
/// (and every client opened for them) ask once.
fn prompt_password(user: &str) -> Result<String> {
    use std::collections::HashMap;
    use std::io::IsTerminal;
    use std::sync::{Mutex, OnceLock};
    static ASKED: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let asked = ASKED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut asked = asked.lock().unwrap();
    if let Some(p) = asked.get(user) {
        return Ok(p.clone());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(format!(
            "credentials {user:?} (--creds/--src-creds/--dest-creds): no password given, and \
             standard input is not a terminal to ask for one (use USER:PASSWORD or an auth file)"
        )));
    }
    let pass = read_secret(&format!("Password for {user}: "))?;
    asked.insert(user.to_string(), pass.clone());
    Ok(pass)
}

/// A parsed WWW-Authenticate challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum Challenge {
    Basic {
        realm: Option<String>,
    },
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// The challenge to answer among the `WWW-Authenticate` header values
/// `values` (a response may send several headers, and a header several
/// challenges, RFC 7235): the first Basic or Bearer one, as
/// containers/image picks; others (Negotiate, say) are passed over.
pub fn parse_challenges<S: AsRef<str>>(values: &[S]) -> Result<Challenge> {
    let shown = || {
        let all: Vec<&str> = values.iter().map(|v| v.as_ref()).collect();
        all.join(", ").chars().take(120).collect::<String>()
    };
    let bad = |why: &str| {
        Error::new(format!(
            "malformed WWW-Authenticate header {:?}: {why}",
            shown()
        ))
    };
    let mut schemes = Vec::new();
    // (a header that does not parse to its end still gives the challenges
    // before the fault; its fault is said if no other header answers)
    let mut fault = None;
    for v in values {
        let (found, err) = challenges_in(v.as_ref());
        if let Some(e) = err {
            fault.get_or_insert(e);
        }
        for (scheme, params) in found {
            let get = |k: &str| params.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone());
            match scheme.as_str() {
                "basic" => {
                    return Ok(Challenge::Basic {
                        realm: get("realm"),
                    })
                }
                "bearer" => {
                    // (a header that does not read says why first)
                    let realm =
                        get("realm").ok_or_else(|| bad(err.unwrap_or("Bearer without realm")))?;
                    return Ok(Challenge::Bearer {
                        realm,
                        service: get("service"),
                        scope: get("scope"),
                    });
                }
                _ => schemes.push(scheme),
            }
        }
    }
    if let Some(e) = fault {
        return Err(bad(e));
    }
    match schemes.is_empty() {
        true => Err(bad("empty")),
        false => Err(bad(&format!(
            "no Basic or Bearer challenge (only {})",
            schemes.join(", ")
        ))),
    }
}

/// A challenge's `key=value` parameters.
type Params = Vec<(String, String)>;

/// The challenges of one header value: each scheme (lower case) with its
/// `key=value` parameters (keys lower case, quoted values unquoted). A
/// token after a comma that is not followed by `=` begins the next
/// challenge; a token68 credential (`Negotiate abc==`) is passed over.
fn challenges_in(h: &str) -> (Vec<(String, Params)>, Option<&'static str>) {
    let b = h.as_bytes();
    let is_tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    let skip_ws = |mut i: usize| {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        i
    };
    let mut out: Vec<(String, Params)> = Vec::new();
    // (just after a scheme: a token there is its token68 credential)
    let mut after_scheme = false;
    let mut i = 0;
    loop {
        i = skip_ws(i);
        if b.get(i) == Some(&b',') {
            after_scheme = false;
            i += 1;
            continue;
        }
        if i >= b.len() {
            break;
        }
        let ts = i;
        // (a token68 credential may hold `/` too)
        while i < b.len() && (is_tchar(b[i]) || (after_scheme && b[i] == b'/')) {
            i += 1;
        }
        if i == ts {
            return (out, Some("expected a scheme or key=value"));
        }
        let token = &h[ts..i];
        let j = skip_ws(i);
        let is_param = b.get(j) == Some(&b'=') && b.get(skip_ws(j + 1)) != Some(&b'=');
        if after_scheme && !is_param {
            // token68 (`abc==`)
            while i < b.len() && b[i] == b'=' {
                i += 1;
            }
            after_scheme = false;
            continue;
        }
        after_scheme = false;
        if !is_param {
            out.push((token.to_ascii_lowercase(), Vec::new()));
            after_scheme = true;
            continue;
        }
        let Some((_, params)) = out.last_mut() else {
            return (out, Some("key=value before any scheme"));
        };
        i = skip_ws(j + 1);
        let val = if b.get(i) == Some(&b'"') {
            i += 1;
            let mut v = Vec::new();
            loop {
                match b.get(i) {
                    None => return (out, Some("unterminated quoted string")),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < b.len() => {
                        v.push(b[i + 1]);
                        i += 2;
                    }
                    Some(&c) => {
                        v.push(c);
                        i += 1;
                    }
                }
            }
            match String::from_utf8(v) {
                Ok(v) => v,
                Err(_) => return (out, Some("not UTF-8")),
            }
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' && b[i] != b' ' && b[i] != b'\t' {
                i += 1;
            }
            h[vs..i].to_string()
        };
        params.push((token.to_ascii_lowercase(), val));
    }
    (out, None)
}

/// The auth file the user named, if any: --authfile, else
/// $REGISTRY_AUTH_FILE (skopeo's default for --authfile). It is the only
/// one read.
fn named_auth_file(opts: &RegistryOptions) -> Option<PathBuf> {
    opts.authfile.clone().or_else(|| {
        std::env::var_os("REGISTRY_AUTH_FILE")
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
    })
}

/// The auth files read, in order of precedence.
pub fn auth_files(opts: &RegistryOptions) -> Vec<PathBuf> {
    if let Some(f) = named_auth_file(opts) {
        return vec![f];
    }
    // As containers/image reads them: the per-user runtime file (the one
    // login writes), the user's config one, then Docker's.
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let mut v = vec![match env("XDG_RUNTIME_DIR") {
        Some(d) => Path::new(&d).join("containers/auth.json"),
        None => PathBuf::from(format!(
            "/run/containers/{}/auth.json",
            rustix::process::getuid().as_raw()
        )),
    }];
    let home = crate::fsutil::home_dir();
    if let Some(c) = env("XDG_CONFIG_HOME")
        .or_else(|| home.as_ref().map(|h| Path::new(h).join(".config").into()))
    {
        v.push(Path::new(&c).join("containers/auth.json"));
    }
    match (env("DOCKER_CONFIG"), &home) {
        (Some(d), _) => v.push(Path::new(&d).join("config.json")),
        (None, Some(h)) => v.push(Path::new(h).join(".docker/config.json")),
        (None, None) => {}
    }
    v
}

/// The file `login` writes and `logout` edits.
pub fn login_file(opts: &RegistryOptions) -> Result<PathBuf> {
    auth_files(opts)
        .into_iter()
        .next()
        .ok_or_else(|| Error::new("no auth file: set --authfile or $REGISTRY_AUTH_FILE"))
}

/// The keys an auth file's `auths` may use for repository `path` of
/// `host`, most specific first (containers-auth.json): `HOST/A/B/C`,
/// `HOST/A/B`, `HOST/A`, then the registry's own keys.
fn scoped_keys(host: &str, path: Option<&str>) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(p) = path {
        let parts: Vec<&str> = p.split('/').collect();
        for n in (1..=parts.len()).rev() {
            v.push(format!("{host}/{}", parts[..n].join("/")));
        }
    }
    v.extend(keys_for(host));
    v
}

/// The registry an auth file's key names when written as a URL
/// (`https://HOST/v1/`: the host alone, any path dropped), with docker.io's
/// other names as docker.io; other keys as they are.
fn url_key_host(key: &str) -> &str {
    let host = match key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
    {
        Some(rest) => rest.split('/').next().unwrap_or(rest),
        None => key,
    };
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        h => h,
    }
}

/// The keys an auth file may use for `host`.
/// The key Docker keeps docker.io's credentials under.
const DOCKER_IO_KEY: &str = "https://index.docker.io/v1/";

fn keys_for(host: &str) -> Vec<String> {
    let mut v = vec![
        host.to_string(),
        format!("https://{host}"),
        format!("http://{host}"),
        format!("https://{host}/v1/"),
        format!("https://{host}/v2/"),
    ];
    if host == "docker.io" {
        v.extend(["index.docker.io", DOCKER_IO_KEY, "registry-1.docker.io"].map(String::from));
    }
    v
}

/// Where credentials came from: tells clients apart without holding
/// secrets (repositories whose credentials come from one place share one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CredsFrom {
    /// None found (or `--no-creds`).
    #[default]
    Nowhere,
    /// `--creds` (or `--username`/`--password`).
    Option,
    /// A credential helper: registries.conf's, or an auth file's
    /// `credHelpers` entry for the registry.
    Helper(String),
    /// An auth file's `credsStore`.
    Store(String),
    /// An auth file, under this key of `auths`.
    File { file: PathBuf, key: String },
}

impl std::fmt::Display for CredsFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredsFrom::Nowhere => f.write_str("nowhere"),
            CredsFrom::Option => f.write_str("--creds"),
            CredsFrom::Helper(h) => write!(f, "credential helper docker-credential-{h}"),
            CredsFrom::Store(s) => write!(f, "credential store docker-credential-{s}"),
            CredsFrom::File { file, key } => write!(f, "{} ({key})", file.display()),
        }
    }
}

/// Credentials for repository `path` of `host` (or the registry as a
/// whole): the command line's, else those of the first credential
/// helper registries.conf names that has some (by default, and for its
/// `containers-auth.json` entry, the first auth file that has some,
/// under the most specific key). With them, where they came from (the
/// option, or the file and key, or the helper: tells clients apart
/// without holding secrets). A helper or file that fails is passed over,
/// as containers/image does; its error is the answer only if no other
/// has credentials. (`--registry-token` is not among them: the client
/// sends it in answer to a Bearer challenge, these to a Basic one.)
pub fn find_creds(
    host: &str,
    path: Option<&str>,
    opts: &RegistryOptions,
) -> Result<(Option<Creds>, CredsFrom)> {
    if let Some(c) = &opts.creds {
        return Ok((Some(Creds::parse(c)?), CredsFrom::Option));
    }
    if opts.no_creds {
        return Ok((None, CredsFrom::Nowhere));
    }
    let mut failed = None;
    for helper in credential_helpers(opts)? {
        let found = if helper == AUTH_FILES_HELPER {
            creds_in_files(host, path, opts)
        } else {
            // Helpers keep credentials per registry, never per namespace.
            helper_get(&helper, host).map(|c| c.map(|c| (c, CredsFrom::Helper(helper.clone()))))
        };
        match found {
            Ok(Some(c)) => return Ok((Some(c.0), c.1)),
            Ok(None) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok((None, CredsFrom::Nowhere)),
    }
}

/// Credentials from the auth files, and the file and key they are under.
fn creds_in_files(
    host: &str,
    path: Option<&str>,
    opts: &RegistryOptions,
) -> Result<Option<(Creds, CredsFrom)>> {
    let named = named_auth_file(opts).is_some();
    for f in auth_files(opts) {
        let text = match crate::fsutil::read_settings_file(&f, crate::fsutil::SETTINGS_MAX) {
            Ok(t) => t,
            // Not there: no credentials in it (as skopeo reads it).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            // A default place another user owns (/run/containers/UID
            // under a root-only /run/containers): none either.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && !named => continue,
            Err(e) => return Err(Error::from(e).context(format!("auth file {}", f.display()))),
        };
        // One that is not an auth file is an error naming it, not a file
        // passed over for the next one's credentials (as skopeo reads it).
        let v = parse_auth_file(&f, &text)?;
        if let Some(found) = creds_in(&v, host, path, &f).map_err(|e| e.context(f.display()))? {
            return Ok(Some(found));
        }
    }
    // Last, Docker's legacy ~/.dockercfg (the `auths` map alone), as
    // containers/image and Docker read it; not where a file is named.
    let home = crate::fsutil::home_dir();
    let Some(f) = home
        .filter(|_| !named)
        .map(|h| Path::new(&h).join(".dockercfg"))
    else {
        return Ok(None);
    };
    let text = match crate::fsutil::read_settings_file(&f, crate::fsutil::SETTINGS_MAX) {
        Ok(t) if t.iter().all(u8::is_ascii_whitespace) => return Ok(None),
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::from(e).context(format!("auth file {}", f.display()))),
    };
    let mut wrapped = b"{\"auths\":".to_vec();
    wrapped.extend_from_slice(&text);
    wrapped.push(b'}');
    let v = parse_auth_file(&f, &wrapped)?;
    creds_in(&v, host, path, &f).map_err(|e| e.context(f.display()))
}

/// The credentials `v` (the auth file `file`) holds for `path` of
/// `host`, and where: the file and key, or the helper that had them.
fn creds_in(
    v: &Value,
    host: &str,
    path: Option<&str>,
    file: &Path,
) -> Result<Option<(Creds, CredsFrom)>> {
    if let Some(helper) = registry_helper(v, host) {
        let from = CredsFrom::Helper(helper.to_string());
        return Ok(helper_get(helper, host)?.map(|c| (c, from)));
    }
    let scoped = scoped_keys(host, path);
    let auths = v.get("auths").and_then(Value::as_object);
    // Exact keys first, the most specific first; then a key written as a
    // URL (`https://HOST/v1/`, any path) or under another of docker.io's
    // names, which is the registry's.
    let entry = auths.and_then(|a| {
        scoped
            .iter()
            .find_map(|k| a.get(k).map(|e| (k.clone(), e)))
            .or_else(|| {
                let host = url_key_host(host);
                a.iter()
                    .find(|(k, _)| url_key_host(k) == host && k.contains("://"))
                    .map(|(k, e)| (k.clone(), e))
            })
    });
    if let Some((key, entry)) = entry {
        let found = |c: Creds| {
            let from = CredsFrom::File {
                file: file.to_path_buf(),
                key: key.clone(),
            };
            Ok(Some((c, from)))
        };
        let token = entry
            .get("identitytoken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        let user_pass = entry
            .get("auth")
            .and_then(Value::as_str)
            .map(|a| decode_auth(&key, a));
        if let Some(t) = token {
            // Beside an identity token, `auth` only names the user: one
            // that does not parse names none.
            return found(Creds::Identity {
                user: user_pass
                    .and_then(|r| r.ok().flatten())
                    .map(|(u, _)| u)
                    .unwrap_or_default(),
                token: t.to_string(),
            });
        }
        // An entry whose `auth` is empty or no USER:PASS holds none: the
        // search goes on (as Docker and skopeo read it).
        if let Some((user, pass)) = user_pass.transpose()?.flatten() {
            return found(Creds::Basic { user, pass });
        }
    }
    if let Some(store) = v.get("credsStore").and_then(Value::as_str) {
        let from = CredsFrom::Store(store.to_string());
        return Ok(helper_get(store, host)?.map(|c| (c, from)));
    }
    Ok(None)
}

/// An auth file's `auths.KEY.auth`: base64 of `USER:PASS` (NULs around
/// the password dropped). Empty (Docker's mark of a credential helper's
/// entry) or without a colon, none, the second with a warning that does
/// not show the value.
fn decode_auth(key: &str, a: &str) -> Result<Option<(String, String)>> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(a.trim())
        .map_err(|_| Error::new(format!("auths.{key}.auth is not base64")))?;
    let s =
        String::from_utf8(raw).map_err(|_| Error::new(format!("auths.{key}.auth is not UTF-8")))?;
    let Some((user, pass)) = s.split_once(':') else {
        if !s.is_empty() {
            crate::error::warn(&format!(
                "auths.{key}.auth is not USER:PASS: taken for no credentials"
            ));
        }
        return Ok(None);
    };
    let pass = pass.trim_matches('\0');
    // (":" is no credentials either: the search goes on)
    if user.is_empty() && pass.is_empty() {
        return Ok(None);
    }
    Ok(Some((user.to_string(), pass.to_string())))
}

/// `docker-credential-NAME get`, with the registry on stdin.
fn helper_get(name: &str, host: &str) -> Result<Option<Creds>> {
    let prog = format!("docker-credential-{name}");
    let text = match helper_call(name, "get", host.as_bytes())? {
        Answer::Done(text) => text,
        Answer::NoCredentials => return Ok(None),
        // A helper named but not installed (an auth file copied from
        // another machine, Docker Desktop's): no credentials from it, as
        // other tools go on; said once.
        Answer::NotInstalled => {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                crate::error::warn(&format!(
                    "credential helper {prog} is not installed; going on without its credentials"
                ));
            });
            return Ok(None);
        }
    };
    let v: Value = serde_json::from_str(&text)
        .map_err(|_| Error::new(format!("credential helper {prog}: output is not JSON")))?;
    let user = v.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = v.get("Secret").and_then(Value::as_str).unwrap_or("");
    if secret.is_empty() {
        return Ok(None);
    }
    if user == "<token>" {
        return Ok(Some(Creds::Identity {
            user: String::new(),
            token: secret.to_string(),
        }));
    }
    Ok(Some(Creds::Basic {
        user: user.to_string(),
        pass: secret.to_string(),
    }))
}

/// The auth file at `path` to change (login, logout): missing, an empty
/// one; else as [`parse_auth_file`] takes it.
fn read_file_json(path: &Path) -> Result<Value> {
    match crate::fsutil::read_settings_file(path, crate::fsutil::SETTINGS_MAX) {
        Ok(t) => parse_auth_file(path, &t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(Error::from(e).context(format!("auth file {}", path.display()))),
    }
}

/// The text of the auth file `path`, read (for credentials) or to change
/// (login, logout) alike: blank, an empty one; else a JSON object whose
/// `auths` is an object of objects (`auth`, `identitytoken` strings),
/// `credHelpers` an object of strings, and `credsStore` a string, where
/// they are there. Anything else is an error naming the file and the part
/// that is wrong (never a value: it may be a secret).
fn parse_auth_file(path: &Path, text: &[u8]) -> Result<Value> {
    let bad = |what: &str| Error::new(format!("auth file {}: {what}", path.display()));
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let v: Value = serde_json::from_slice(text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let Some(o) = v.as_object() else {
        return Err(bad("not a JSON object"));
    };
    if let Some(auths) = o.get("auths") {
        let auths = auths
            .as_object()
            .ok_or_else(|| bad("auths is not a JSON object"))?;
        for (key, entry) in auths {
            let entry = entry
                .as_object()
                .ok_or_else(|| bad(&format!("auths.{key} is not a JSON object")))?;
            for field in ["auth", "identitytoken"] {
                if entry.get(field).is_some_and(|f| !f.is_string()) {
                    return Err(bad(&format!("auths.{key}.{field} is not a string")));
                }
            }
        }
    }
    if let Some(helpers) = o.get("credHelpers") {
        let helpers = helpers
            .as_object()
            .ok_or_else(|| bad("credHelpers is not a JSON object"))?;
        if let Some((key, _)) = helpers.iter().find(|(_, h)| !h.is_string()) {
            return Err(bad(&format!("credHelpers.{key} is not a string")));
        }
    }
    if o.get("credsStore").is_some_and(|s| !s.is_string()) {
        return Err(bad("credsStore is not a string"));
    }
    Ok(v)
}

/// The directory of the auth file `path`, made if missing: the user's
/// alone (0700), as containers/image makes it.
fn make_auth_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(crate::fsutil::dir_of(path))
}

/// Run `f` (a read, change and rewrite of the auth file written at
/// `path`, its [`write_target`]) holding an exclusive lock on the
/// directory the rewrite happens in, so that two logins at once (to two
/// registries, through the link or not) both land. With `create` false, a
/// directory that is not there is not made: there is nothing to change.
fn with_auth_lock<T>(path: &Path, create: bool, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let ctx = |e: std::io::Error| Error::from(e).context(format!("auth file {}", path.display()));
    let dir = crate::fsutil::dir_of(path);
    if create {
        make_auth_dir(path).map_err(ctx)?;
    } else if !dir.is_dir() {
        return f();
    }
    let fd = rustix::fs::open(
        dir,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| ctx(e.into()))?;
    rustix::fs::flock(&fd, rustix::fs::FlockOperation::LockExclusive).map_err(|e| ctx(e.into()))?;
    // Unlocked as the descriptor closes.
    f()
}

/// Where a rewrite of the auth file `path` lands: `path`, or, when it is
/// a symlink (a dotfile manager's), the file its chain of links ends at
/// (that file may not be there yet: it is made), so that the links are
/// kept, as docker writes its config.json.
fn write_target(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    // (as many links as the kernel follows in one path)
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p)
                    .map_err(|e| Error::from(e).context(format!("auth file {}", path.display())))?;
                p = crate::fsutil::dir_of(&p).join(link);
            }
            _ => return Ok(p),
        }
    }
    Err(Error::new(format!(
        "auth file {}: too many levels of symbolic links",
        path.display()
    )))
}

/// Write `v` as the auth file `path` (named in errors), at `target`, its
/// [`write_target`]: a 0600 temp file beside `target`, then renamed over
/// it, under [`with_auth_lock`], which made its directory. Should a
/// signal or `--command-timeout` end lade meanwhile, the temp file (the
/// credentials in it) is removed. Pretty-printed, unless that would make
/// it larger than the auth files lade reads; too big even so, it is not
/// written (the file stays as it was).
fn write_file_json(path: &Path, target: &Path, v: &Value) -> Result<()> {
    let ctx = |e: std::io::Error| Error::from(e).context(format!("auth file {}", path.display()));
    let max = crate::fsutil::SETTINGS_MAX;
    let mut bytes = serde_json::to_vec_pretty(v).expect("JSON");
    bytes.push(b'\n');
    if bytes.len() as u64 > max {
        bytes = serde_json::to_vec(v).expect("JSON");
        bytes.push(b'\n');
    }
    if bytes.len() as u64 > max {
        return Err(Error::new(format!(
            "auth file {}: it would be {} bytes, larger than the {max} byte limit \
             lade reads auth files up to; left as it was",
            path.display(),
            bytes.len()
        )));
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = crate::fsutil::tracked(|| {
        tempfile::Builder::new()
            .prefix(&format!(".{name}.tmp"))
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .tempfile_in(crate::fsutil::dir_of(target))
    })
    .map_err(ctx)?;
    // (dropped on an error: the temp file goes)
    tmp.write_all(&bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(ctx)?;
    tmp.persist(target).map_err(|e| ctx(e.error))?;
    Ok(())
}

/// The credential helper the file `v` names for `key` (`HOST` or
/// `HOST/NAMESPACE`): its `credHelpers` entry for the registry, else its
/// `credsStore`.
fn helper_for(v: &Value, key: &str) -> Option<String> {
    let host = key.split('/').next().unwrap_or(key);
    registry_helper(v, host)
        .or_else(|| v.get("credsStore").and_then(Value::as_str))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// The `credHelpers` entry of the file `v` for registry `host`.
fn registry_helper<'a>(v: &'a Value, host: &str) -> Option<&'a str> {
    let keys = keys_for(host);
    v.get("credHelpers")
        .and_then(|h| keys.iter().find_map(|k| h.get(k)))
        .and_then(Value::as_str)
}

/// What a credential helper answered.
enum Answer {
    /// Its output (which may hold secrets: never shown).
    Done(String),
    /// "credentials not found".
    NoCredentials,
    /// There is no such helper program.
    NotInstalled,
}

/// What a credential helper may write, and how long it may take.
const HELPER_MAX: u64 = 1 << 20;
const HELPER_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// `docker-credential-NAME VERB` with `input` on stdin; any other failure
/// is an error naming the helper and the verb.
fn helper_call(name: &str, verb: &str, input: &[u8]) -> Result<Answer> {
    if name.is_empty() || name.contains('/') {
        return Err(Error::new(format!("bad credential helper name {name:?}")));
    }
    let prog = format!("docker-credential-{name}");
    let io_err = |e: std::io::Error| Error::new(format!("credential helper {prog}: {e}"));
    let mut child = match Command::new(&prog)
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Answer::NotInstalled),
        Err(e) => return Err(io_err(e)),
    };
    // Stopped with lade if a signal or --command-timeout ends it first.
    crate::fsutil::track_child(child.id());
    let _ = child.stdin.take().unwrap().write_all(input);
    // Its answer is small, and comes soon: past HELPER_MAX bytes its
    // output is closed (it dies writing), and with no exit within
    // HELPER_WAIT it is stopped.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut stdout, HELPER_MAX + 1),
            &mut out,
        );
        r.map(|_| out)
    });
    let t0 = std::time::Instant::now();
    let status = loop {
        let polled = child.try_wait();
        if !matches!(polled, Ok(None)) {
            crate::fsutil::untrack_child(child.id());
        }
        if let Some(st) = polled.map_err(io_err)? {
            break st;
        }
        if t0.elapsed() > HELPER_WAIT {
            let _ = child.kill();
            let _ = child.wait();
            crate::fsutil::untrack_child(child.id());
            return Err(Error::new(format!(
                "credential helper {prog}: {verb} gave no answer in {} s; stopped",
                HELPER_WAIT.as_secs()
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let out = reader
        .join()
        .unwrap_or_else(|_| Ok(Vec::new()))
        .map_err(io_err)?;
    if out.len() as u64 > HELPER_MAX {
        return Err(Error::new(format!(
            "credential helper {prog}: {verb} wrote more than {HELPER_MAX} bytes"
        )));
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    if status.success() {
        Ok(Answer::Done(text))
    } else if text.contains("credentials not found") {
        Ok(Answer::NoCredentials)
    } else {
        Err(Error::new(format!(
            "credential helper {prog}: {verb} failed ({status})"
        )))
    }
}

/// `docker-credential-NAME store` of `user:pass` for registry `host`.
fn helper_store(helper: &str, host: &str, user: &str, pass: &str) -> Result<()> {
    let input = json!({"ServerURL": host, "Username": user, "Secret": pass}).to_string();
    match helper_call(helper, "store", input.as_bytes())? {
        Answer::Done(_) => Ok(()),
        _ => Err(Error::new(format!(
            "credential helper docker-credential-{helper} is not installed, or \
             did not store the credentials"
        ))),
    }
}

/// The first error of several, or one line naming them all.
fn errors(mut errs: Vec<Error>) -> Error {
    if errs.len() == 1 {
        return errs.remove(0);
    }
    let all: Vec<String> = errs.iter().map(ToString::to_string).collect();
    Error::new(all.join("; "))
}

/// The credential helpers asked, in order ([`AUTH_FILES_HELPER`] for the
/// auth files): registries.conf's, or the Docker config.json alone.
fn credential_helpers(opts: &RegistryOptions) -> Result<Vec<String>> {
    match opts.docker_compat {
        true => Ok(vec![AUTH_FILES_HELPER.to_string()]),
        false => Ok(super::conf::get()?.credential_helpers()),
    }
}

/// A Docker config.json keys credentials by registry: a namespace `key`
/// is a usage error there.
pub fn check_login_key(opts: &RegistryOptions, key: &str) -> Result<()> {
    match opts.docker_compat && key.contains('/') {
        true => Err(Error::usage(format!(
            "{key}: --compat-auth-file keeps credentials as Docker does, per registry, \
             not for a namespace; name the registry"
        ))),
        false => Ok(()),
    }
}

/// `login`: record `user:pass` for `key` (a registry, or
/// `HOST/NAMESPACE`) with the first credential helper registries.conf
/// names that takes them ([`AUTH_FILES_HELPER`]: the login file, by
/// default), as containers/image does. Says where they went.
pub fn save_login(opts: &RegistryOptions, key: &str, user: &str, pass: &str) -> Result<String> {
    check_login_key(opts, key)?;
    let mut errs = Vec::new();
    for helper in credential_helpers(opts)? {
        let r = if helper == AUTH_FILES_HELPER {
            login_file(opts).and_then(|f| store_login(&f, key, user, pass, opts.docker_compat))
        } else if key.contains('/') {
            Err(Error::usage(format!(
                "{key}: docker-credential-{helper} keeps credentials per registry; log in to the registry"
            )))
        } else {
            helper_store(&helper, key, user, pass).map(|()| format!("docker-credential-{helper}"))
        };
        match r {
            Ok(place) => return Ok(place),
            Err(e) => errs.push(e),
        }
    }
    Err(errors(errs))
}

/// `logout`: remove `key` (or, `None`, every login) from every
/// credential helper registries.conf names ([`AUTH_FILES_HELPER`]: the
/// login file, by default), as containers/image does. Whether anything
/// was removed, and the places looked in.
pub fn forget_login(opts: &RegistryOptions, key: Option<&str>) -> Result<(bool, Vec<String>)> {
    if let Some(k) = key {
        check_login_key(opts, k)?;
    }
    let (mut removed, mut places, mut errs) = (false, Vec::new(), Vec::new());
    for helper in credential_helpers(opts)? {
        let r = if helper == AUTH_FILES_HELPER {
            login_file(opts).and_then(|f| {
                places.push(f.display().to_string());
                remove_login(&f, key)
            })
        } else {
            places.push(format!("docker-credential-{helper}"));
            helper_forget(&helper, key)
        };
        match r {
            Ok(r) => removed |= r,
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok((removed, places))
    } else {
        Err(errors(errs))
    }
}

/// `docker-credential-NAME erase` of `key` (a namespace is never in
/// one), or of every registry it lists. Not installed: it holds nothing
/// to erase (a warning, as lookups go on past it).
fn helper_forget(helper: &str, key: Option<&str>) -> Result<bool> {
    let prog = format!("docker-credential-{helper}");
    let regs: Vec<String> = match key {
        Some(k) if k.contains('/') => return Ok(false),
        Some(k) => vec![k.to_string()],
        None => match helper_call(helper, "list", b"")? {
            Answer::Done(text) => serde_json::from_str::<Map<String, Value>>(&text)
                .map_err(|_| {
                    Error::new(format!(
                        "credential helper {prog}: list: output is not a JSON object"
                    ))
                })?
                .keys()
                .cloned()
                .collect(),
            Answer::NoCredentials | Answer::NotInstalled => return Ok(false),
        },
    };
    let mut erased = false;
    for r in &regs {
        match helper_call(helper, "erase", r.as_bytes())? {
            Answer::Done(_) => erased = true,
            Answer::NoCredentials => {}
            // As lookups take it: it holds nothing; said.
            Answer::NotInstalled => {
                crate::error::warn(&format!(
                    "credential helper {prog} is not installed; nothing removed from it"
                ));
                return Ok(erased);
            }
        }
    }
    Ok(erased)
}

/// Record `user:pass` for `host` (a registry, or `HOST/NAMESPACE` for
/// the repositories under it): through the credential helper the login
/// file names for it, else in the file. Where it went: the helper's
/// program or the file's path. With `compat` (a Docker config.json,
/// `--compat-auth-file`), as Docker keeps them: under the registry's one
/// key (docker.io's `https://index.docker.io/v1/`), the file's other
/// keys for it removed.
pub fn store_login(
    path: &Path,
    host: &str,
    user: &str,
    pass: &str,
    compat: bool,
) -> Result<String> {
    let target = write_target(path)?;
    with_auth_lock(&target, true, || {
        store_login_locked(path, &target, host, user, pass, compat)
    })
}

fn store_login_locked(
    path: &Path,
    target: &Path,
    host: &str,
    user: &str,
    pass: &str,
    compat: bool,
) -> Result<String> {
    let mut v = read_file_json(path)?;
    // The keys of `auths` this login replaces.
    let replaced = if compat {
        keys_for(host)
    } else {
        vec![host.to_string()]
    };
    let entry = if compat && host == "docker.io" {
        DOCKER_IO_KEY
    } else {
        host
    };
    if let Some(helper) = helper_for(&v, host) {
        // Helpers keep one secret per registry, and are asked by registry.
        if host.contains('/') {
            return Err(Error::usage(format!(
                "{host}: the auth file keeps credentials for this registry in \
                 docker-credential-{helper}, one per registry; log in to the registry"
            )));
        }
        helper_store(&helper, host, user, pass)?;
        // An entry the file held before would be read first: gone.
        let stale = v
            .get_mut("auths")
            .and_then(Value::as_object_mut)
            .is_some_and(|a| {
                let n = a.len();
                a.retain(|k, _| !replaced.contains(k));
                a.len() != n
            });
        if stale {
            write_file_json(path, target, &v)?;
        }
        return Ok(format!("docker-credential-{helper}"));
    }
    let obj = v
        .as_object_mut()
        .ok_or_else(|| Error::new(format!("auth file {}: not a JSON object", path.display())))?;
    let auths = obj
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    let auths = auths.as_object_mut().ok_or_else(|| {
        Error::new(format!(
            "auth file {}: auths is not an object",
            path.display()
        ))
    })?;
    auths.retain(|k, _| !replaced.contains(k));
    auths.insert(
        entry.to_string(),
        json!({ "auth": b64(&format!("{user}:{pass}")) }),
    );
    write_file_json(path, target, &v)?;
    Ok(path.display().to_string())
}

/// Remove `host` (a registry, or `HOST/NAMESPACE` for the key of that
/// name alone), or every key, from the login file. False when there was
/// nothing to remove.
pub fn remove_login(path: &Path, host: Option<&str>) -> Result<bool> {
    let target = write_target(path)?;
    with_auth_lock(&target, false, || remove_login_locked(path, &target, host))
}

fn remove_login_locked(path: &Path, target: &Path, host: Option<&str>) -> Result<bool> {
    let mut v = read_file_json(path)?;
    // From the helper the file names for it, then from the file.
    let mut erased = false;
    // One registry: its helper. All: each registry credHelpers names,
    // then what the credsStore helper holds.
    let regs: Vec<String> = match host {
        Some(h) => vec![h.to_string()],
        None => v
            .get("credHelpers")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
    };
    for h in &regs {
        let Some(helper) = helper_for(&v, h) else {
            continue;
        };
        // Not installed, or holding nothing for it: nothing to erase.
        erased |= matches!(
            helper_call(&helper, "erase", h.as_bytes())?,
            Answer::Done(_)
        );
    }
    if host.is_none() {
        // Every registry it lists (the registries login, or docker
        // login, stored in it): each is erased.
        if let Some(store) = v
            .get("credsStore")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            erased |= helper_forget(store, None)?;
        }
    }
    let Some(auths) = v.get_mut("auths").and_then(Value::as_object_mut) else {
        return Ok(erased);
    };
    let removed = match host {
        Some(h) => {
            let keys = if h.contains('/') {
                vec![h.to_string()]
            } else {
                keys_for(h)
            };
            let before = auths.len();
            // Keys written as URLs for it go too: they are read for it.
            let url_host = url_key_host(h).to_string();
            let for_it =
                |k: &String| keys.contains(k) || (k.contains("://") && url_key_host(k) == url_host);
            auths.retain(|k, _| !for_it(k));
            before != auths.len()
        }
        None => {
            let any = !auths.is_empty();
            auths.clear();
            any
        }
    };
    if removed {
        write_file_json(path, target, &v)?;
    }
    Ok(removed || erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenges(&[
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        ])
        .unwrap();
        let bearer = Challenge::Bearer {
            realm: "https://auth.example/token".into(),
            service: Some("registry.example".into()),
            scope: Some("repository:a/b:pull,push".into()),
        };
        assert_eq!(c, bearer);
        let basic = Challenge::Basic {
            realm: Some("Registry Realm".into()),
        };
        assert_eq!(
            parse_challenges(&[r#"Basic realm="Registry Realm""#]).unwrap(),
            basic
        );
        let b = r#"Bearer realm="https://auth.example/token", service=registry.example ,scope="repository:a/b:pull,push""#;
        // The first supported challenge, across headers and within one;
        // others passed over, token68 credentials included.
        for values in [
            vec!["Negotiate", b],
            vec!["Negotiate abc==, Bearer x=1", b],
            vec![&format!("Negotiate, {b}, Basic realm=\"Registry Realm\"")],
            vec![&format!(
                "NTLM abc, Digest realm=\"r\", nonce=\"a,b\", qop=auth,{b}"
            )],
        ] {
            let got = parse_challenges(&values);
            if values[0].starts_with("Negotiate abc==") {
                assert!(got.unwrap_err().message().contains("Bearer without realm"));
                continue;
            }
            assert_eq!(got.unwrap(), bearer, "{values:?}");
        }
        assert_eq!(
            parse_challenges(&[r#"basic realm="Registry Realm", Bearer realm="x""#]).unwrap(),
            basic
        );
        // token68 credentials hold `/` and `+`; a header that does not
        // parse leaves the others to answer.
        let cafe = Challenge::Basic {
            realm: Some("café".into()),
        };
        for values in [
            vec!["Negotiate YWJj/Z+A==", r#"Basic realm="café""#],
            vec![r#"Basic realm="café", Negotiate YWJj/ZA=="#],
            vec![r#"Newauth realm="x"#, r#"Basic realm="café""#],
            vec![r#"Basic realm="café", Newauth x="#],
        ] {
            assert_eq!(parse_challenges(&values).unwrap(), cafe, "{values:?}");
        }
        for bad in [
            "",
            "Bearer",
            r#"Bearer realm="x"#,
            "Bearer realm",
            "Negotiate abc",
            r#"Bearer ="x""#,
            "Negotiate, NTLM",
        ] {
            assert!(parse_challenges(&[bad]).is_err(), "{bad:?}");
        }
        let e = parse_challenges(&["Negotiate", "NTLM"]).unwrap_err();
        assert!(
            e.message().contains("only negotiate, ntlm"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn auth_entries() {
        let v = json!({"auths": {"https://reg.example:5000": {"auth": b64("u:p:w")}}});
        match creds_in(&v, "reg.example:5000", Some("a/b"), Path::new("a.json")).unwrap() {
            Some((Creds::Basic { user, pass }, CredsFrom::File { key, .. })) => {
                assert_eq!((user.as_str(), pass.as_str()), ("u", "p:w"));
                assert_eq!(key, "https://reg.example:5000");
            }
            _ => panic!("no creds"),
        }
        assert!(creds_in(&v, "other", None, Path::new("a.json"))
            .unwrap()
            .is_none());
    }

    #[test]
    fn namespace_keys_most_specific_first() {
        assert_eq!(
            scoped_keys("r:5000", Some("a/b/c"))[..4],
            ["r:5000/a/b/c", "r:5000/a/b", "r:5000/a", "r:5000"]
        );
        let v = json!({"auths": {
            "r:5000": {"auth": b64("host:x")},
            "r:5000/a": {"auth": b64("ns:x")},
            "r:5000/a/b/c": {"auth": b64("repo:x")},
        }});
        let user = |path| match creds_in(&v, "r:5000", path, Path::new("a.json")).unwrap() {
            Some((Creds::Basic { user, .. }, _)) => user,
            _ => panic!("no creds"),
        };
        assert_eq!(user(Some("a/b/c")), "repo");
        assert_eq!(user(Some("a/b")), "ns");
        assert_eq!(user(Some("a/bc")), "ns");
        assert_eq!(user(Some("ab")), "host");
        assert_eq!(user(None), "host");
    }
}
