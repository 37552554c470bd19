//! `docker://[HOST[:PORT]/]REPO[:TAG|@DIGEST]` — a registry speaking the
//! OCI Distribution API (Docker Registry v2).
//!
//! Pull: manifests with the Accept list of every type lade reads, checked
//! against `Docker-Content-Digest`, the reference's digest and the 4 MiB
//! cap; blobs streamed (the copy engine verifies them), resumed with
//! `Range` after a broken connection only when the server answers a
//! matching 206. Push: HEAD to skip blobs the repository has, a
//! cross-repository mount from a repository of the registry known to
//! hold the blob (a source read here, or one the blob-info cache
//! remembers); when digest and size are known, a PUT of the whole blob, or
//! for a big one streamed `Content-Range` PATCH chunks and a PUT with the
//! rest (whole again where a registry refuses chunks); when they are not,
//! PATCH chunks read into memory and an empty PUT; a failed upload's
//! session is cancelled (the copy engine retries the blob from its
//! source); manifests last (children of an index by digest, then the top
//! one by tag or digest).
//!
//! Authentication, TLS, redirects and retries live in [`client`].

pub mod auth;
pub mod client;
pub mod conf;
mod proxy;
pub(crate) mod tls;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ureq::http::Method;

use super::TransportOptions;
use super::{
    BlobInfo, DestProperties, ImageDestination, ImageReference, ImageSource, Referred, Referrers,
    Reused,
};
use crate::error::{Error, Result};
use crate::fsutil::read_up_to;
use crate::model::media_type::OCI_INDEX;
use crate::model::reference::valid_tag;
use crate::model::{
    Compression, Descriptor, Digest, DockerRef, MediaType, RawManifest, MAX_MANIFEST_SIZE,
};
use client::{header, read_capped, Client, ReqBody};

/// Registry settings for one side of a copy (source or destination).
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// `USER[:PASS]`.
    pub creds: Option<String>,
    /// A bearer token sent as is.
    pub registry_token: Option<String>,
    /// No credentials: anonymous, whatever the auth files hold.
    pub no_creds: bool,
    /// Read credentials from this file only.
    pub authfile: Option<PathBuf>,
    /// `authfile` is a Docker config.json (`--compat-auth-file`): it alone
    /// is read and written (no registries.conf credential helper), keyed
    /// as Docker keys it, per registry.
    pub docker_compat: bool,
    /// None: verify TLS (default). Some(false): allow plain HTTP and
    /// unverified TLS for this registry.
    pub tls_verify: Option<bool>,
    /// `ca.crt`/`*.crt` roots and `*.cert`+`*.key` client certificates;
    /// default: certs.d directories for the host.
    pub cert_dir: Option<PathBuf>,
    /// Retries after 5xx, 429 and connection errors.
    pub retries: Retries,
    /// The registry the credentials given were for, when registries.conf
    /// sends the request elsewhere (they are not sent there): said when
    /// that host asks for some.
    pub creds_withheld_from: Option<String>,
}

/// `--retry-times` and `--retry-delay`: how often a failed request or
/// blob transfer is tried again, and how long to wait before each try.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Retries {
    pub times: u32,
    /// A fixed wait; None: 0.5 s, 1 s, 2 s, … capped at 30 s.
    pub delay: Option<std::time::Duration>,
}

impl Retries {
    /// The wait before try `attempt` (the first retry is 1).
    fn wait(&self, attempt: u32) -> std::time::Duration {
        self.delay.unwrap_or_else(|| {
            let ms = 500u64 << attempt.saturating_sub(1).min(6);
            std::time::Duration::from_millis(ms.min(30_000))
        })
    }

    /// The retries a failure allows: --retry-times, but for a 429 (Too
    /// Many Requests, `limited`) at least [`RATE_LIMITED_TRIES`], as skopeo
    /// waits out a registry's rate limit.
    pub fn budget(&self, limited: bool) -> u32 {
        match limited {
            true => self.times.max(RATE_LIMITED_TRIES),
            false => self.times,
        }
    }

    /// The wait before retry `attempt` (the first is 1) of a transient
    /// failure (`limited`: a 429), or None when the budget is spent: what
    /// the server asked for (`asked`, Retry-After), else --retry-delay,
    /// else the growing pauses ([`Self::wait`]; 2 s, 4 s, … at most a
    /// minute after a 429).
    pub fn again(
        &self,
        attempt: u32,
        limited: bool,
        asked: Option<std::time::Duration>,
    ) -> Option<std::time::Duration> {
        if attempt > self.budget(limited) {
            return None;
        }
        Some(asked.unwrap_or_else(|| match (limited, self.delay) {
            (true, None) => {
                std::time::Duration::from_secs((2u64 << attempt.saturating_sub(1).min(5)).min(60))
            }
            _ => self.wait(attempt),
        }))
    }
}

/// See [`Retries::budget`].
pub const RATE_LIMITED_TRIES: u32 = 5;

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "docker://{}", self.r)
    }
}

/// A parsed `docker://` name.
#[derive(Debug, Clone)]
pub struct RegistryRef {
    pub r: DockerRef,
    /// Did the name carry a tag or digest (`r` has `latest` added when
    /// not)? For `sync`, which copies every tag of a bare repository.
    pub tag_given: bool,
}

pub fn parse(details: &str) -> Result<Box<dyn ImageReference>> {
    Ok(Box::new(RegistryRef::parse(details)?))
}

/// Refuse a name with both a tag and a digest: the digest would be what
/// is read, written or deleted, the tag ignored. skopeo refuses the form,
/// and so does the docker-daemon: transport.
pub fn tag_or_digest(r: &DockerRef) -> Result<()> {
    match (&r.tag, &r.digest) {
        (Some(t), Some(d)) => Err(Error::new(format!(
            "docker://{}: names both tag {t:?} and digest {d}; name one: REPO:TAG or REPO@DIGEST",
            r.name()
        ))),
        _ => Ok(()),
    }
}

impl RegistryRef {
    pub fn parse(details: &str) -> Result<RegistryRef> {
        let Some(name) = details.strip_prefix("//") else {
            return Err(Error::new("docker: names are docker://[HOST/]REPO[:TAG]"));
        };
        let r = DockerRef::parse(name)?;
        tag_or_digest(&r)?;
        Ok(RegistryRef {
            tag_given: r.tag.is_some() || r.digest.is_some(),
            r: r.with_default_tag(),
        })
    }

    /// The tag or digest a manifest request names.
    fn reference(&self) -> String {
        match (&self.r.digest, &self.r.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }

    /// The process's client for this registry and these settings, made
    /// (and pinged) on first use. `sync` opens a reference per tag and
    /// asks both sides for digests: sharing the client keeps one ping,
    /// one set of tokens and one connection pool per registry.
    ///
    /// registries.conf applies first: a blocked registry is refused, an
    /// insecure one is reached as with `--tls-verify=false` unless
    /// `--tls-verify` is given.
    pub fn client(&self, opts: &RegistryOptions) -> Result<Arc<Client>> {
        let insecure = conf::get()?.check(&self.r)?;
        match conf::Conf::tls_verify(opts.tls_verify, insecure) {
            v if v == opts.tls_verify => self.client_as_is(opts),
            tls_verify => self.client_as_is(&RegistryOptions {
                tls_verify,
                ..opts.clone()
            }),
        }
    }

    /// Where to read this image from: the first of registries.conf's
    /// mirrors that has the manifest (a HEAD asks each), else the primary
    /// location (the name as given when no mirror is set), with what the
    /// mirrors answered, for an error of the primary's.
    fn pull_source(&self, opts: &RegistryOptions) -> Result<Pulled> {
        let conf = conf::get()?;
        let mut failed = Vec::new();
        for s in conf.pull_sources(&self.r)? {
            let phys = RegistryRef {
                r: s.r,
                tag_given: self.tag_given,
            };
            let mut o = opts.clone();
            // Credentials given for this registry are not sent to another.
            if phys.r.domain != self.r.domain {
                if o.creds.is_some() || o.registry_token.is_some() {
                    o.creds_withheld_from = Some(self.r.domain.clone());
                }
                o.creds = None;
                o.registry_token = None;
            }
            o.tls_verify = conf::Conf::tls_verify(o.tls_verify, s.insecure);
            let attempt = || -> Result<Pulled> {
                conf.check(&phys.r)?;
                let client = phys.client_as_is(&o)?;
                let (mut digest, mut manifest) = (None, None);
                if s.mirror {
                    // A mirror is asked for the manifest itself, as skopeo
                    // asks each: one that answers a HEAD but not the GET
                    // (a proxy cache, a mirror half synced), or with what
                    // is no manifest, is passed over for the next.
                    let probe = RegistrySource::plain(phys.clone(), client.clone());
                    let want = phys.r.digest.as_ref();
                    match probe.fetch_manifest_opt(&phys.reference(), want, true)? {
                        None => return Err(Error::not_found("manifest unknown")),
                        Some(m) => {
                            digest = Some(want.cloned().unwrap_or_else(|| m.digest.clone()));
                            manifest = Some(m);
                        }
                    }
                }
                Ok(Pulled {
                    r: phys.clone(),
                    client,
                    digest,
                    manifest,
                    mirrors_failed: None,
                })
            };
            match attempt() {
                Ok(mut p) => {
                    if !failed.is_empty() {
                        p.mirrors_failed =
                            Some(format!("mirrors also failed: {}", failed.join(" ")));
                    }
                    return Ok(p);
                }
                Err(e) if s.mirror => failed.push(format!("[{phys}: {}]", e.message())),
                Err(e) if failed.is_empty() => return Err(e),
                Err(e) => {
                    return Err(e
                        .context(&phys)
                        .context(format!("mirrors also failed: {}", failed.join(" "))))
                }
            }
        }
        unreachable!("the primary location is always the last pull source")
    }

    fn client_as_is(&self, opts: &RegistryOptions) -> Result<Arc<Client>> {
        type Map = OnceLock<Mutex<HashMap<String, Arc<Client>>>>;
        // The keys hold the settings as given (credentials included);
        // they never leave these maps.
        static BY_REPO: Map = OnceLock::new();
        static BY_CREDS: Map = OnceLock::new();
        let by_repo = BY_REPO.get_or_init(Default::default);
        let repo_key = format!("{}\n{opts:?}\n{}", self.r.domain, self.r.path);
        if let Some(c) = by_repo.lock().unwrap().get(&repo_key) {
            return Ok(c.clone());
        }
        // Credentials may be the registry's or this repository's (an
        // auth file's HOST/NAMESPACE key): looked up once per repository
        // (a credential helper runs once), and repositories with the same
        // ones share a client.
        let (creds, from) = auth::find_creds(&self.r.domain, Some(&self.r.path), opts)?;
        let by_creds = BY_CREDS.get_or_init(Default::default);
        let key = format!("{}\n{opts:?}\n{from:?}", self.r.domain);
        // A registry that could not be reached (after --retry-times) is not
        // tried again for each image of a sync: its error stands.
        static FAILED: OnceLock<Mutex<HashMap<String, Error>>> = OnceLock::new();
        let failed = FAILED.get_or_init(Default::default);
        if let Some(e) = failed.lock().unwrap().get(&key) {
            return Err(e.clone());
        }
        let found = by_creds.lock().unwrap().get(&key).cloned();
        let c = match found {
            Some(c) => c,
            None => {
                // Made outside the lock: two threads may both ping, one
                // client wins.
                let c = match Client::new(&self.r.domain, opts, creds) {
                    Ok(c) => Arc::new(c),
                    Err(e) => {
                        failed.lock().unwrap().insert(key, e.clone());
                        return Err(e);
                    }
                };
                by_creds.lock().unwrap().entry(key).or_insert(c).clone()
            }
        };
        by_repo.lock().unwrap().insert(repo_key, c.clone());
        Ok(c)
    }

    fn scope(&self, push: bool) -> Vec<String> {
        vec![format!(
            "repository:{}:{}",
            self.r.path,
            if push { "pull,push" } else { "pull" }
        )]
    }

    /// The manifest's digest as the registry reports it (HEAD), for
    /// delete.
    fn head_digest(&self, c: &Client) -> Result<Digest> {
        if let Some(d) = &self.r.digest {
            return Ok(d.clone());
        }
        let reference = self.reference();
        self.head_manifest(c, &reference, false)?.ok_or_else(|| {
            Error::not_found(format!(
                "registry {}: HEAD /v2/{}/manifests/{reference}: 404 Not Found: manifest unknown",
                c.host, self.r.path
            ))
        })
    }

    /// HEAD a manifest by tag or digest: its Docker-Content-Digest, None on 404.
    fn head_manifest(&self, c: &Client, reference: &str, push: bool) -> Result<Option<Digest>> {
        let path = format!("/v2/{}/manifests/{reference}", self.r.path);
        let Some(d) = self.head_manifest_opt(c, reference, push)? else {
            return Ok(None);
        };
        d.map(Some).ok_or_else(|| {
            Error::new(format!(
                "registry {}: HEAD {path}: no Docker-Content-Digest",
                c.host
            ))
        })
    }

    /// HEAD a manifest: None on 404, else its Docker-Content-Digest if
    /// the answer gives one.
    fn head_manifest_opt(
        &self,
        c: &Client,
        reference: &str,
        push: bool,
    ) -> Result<Option<Option<Digest>>> {
        let path = format!("/v2/{}/manifests/{reference}", self.r.path);
        let resp = head_past_races(
            c,
            &c.url(&path),
            &self.scope(push),
            &[("accept", ACCEPT.to_string())],
            push,
        )?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(c.status_error("HEAD", &path, resp));
        }
        match content_digest(&resp) {
            Some(d) => Digest::parse(&d).map(|d| Some(Some(d))),
            None => Ok(Some(None)),
        }
    }
}

/// An answer's Docker-Content-Digest; an empty one is none (skopeo reads
/// it so).
fn content_digest(resp: &ureq::http::Response<ureq::Body>) -> Option<String> {
    header(resp, "docker-content-digest").filter(|d| !d.trim().is_empty())
}

/// Every manifest type lade reads, preferred first.
const ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v1+prettyjws, \
application/vnd.docker.distribution.manifest.v1+json";

/// What a registry takes: everything as it is; a layer with URLs by its
/// descriptor (registries serve Windows base layers from there).
fn dest_properties() -> DestProperties {
    DestProperties {
        external_layers: true,
        ..DestProperties::as_they_are()
    }
}

impl ImageReference for RegistryRef {
    fn dest_properties(&self) -> Option<DestProperties> {
        Some(dest_properties())
    }

    fn transport(&self) -> &'static str {
        "docker"
    }

    fn docker_reference(&self) -> Option<String> {
        Some(self.r.to_string())
    }

    fn policy_scopes(&self) -> Vec<String> {
        crate::copy::policy::docker_scopes(&self.r)
    }

    fn holds_referrers(&self) -> bool {
        true
    }

    fn tag(&self) -> Option<String> {
        match &self.r.digest {
            Some(_) => None,
            None => self.r.tag.clone(),
        }
    }

    fn source(&self, opts: &TransportOptions) -> Result<Box<dyn ImageSource>> {
        let p = self.pull_source(&opts.src_registry)?;
        Ok(Box::new(RegistrySource {
            r: p.r,
            client: p.client,
            mirrors_failed: p.mirrors_failed,
            first: p.manifest,
        }))
    }

    fn destination(&self, opts: &TransportOptions) -> Result<Box<dyn ImageDestination>> {
        let client = self.client(&opts.dest_registry)?;
        Ok(Box::new(RegistryDest {
            r: self.clone(),
            client,
            pushed: Mutex::new(0),
            spare_sessions: Mutex::default(),
        }))
    }

    fn delete(&self, opts: &TransportOptions) -> Result<()> {
        let c = self.client(&opts.src_registry)?;
        // A tag: the digest of the manifest it names, from the manifest's
        // own bytes, as skopeo takes it (a HEAD's header is the word of
        // the registry, or of a cache in front of it, and the wrong one
        // deletes another image). A manifest lade does not read (a
        // signed schema 1 one has no digest of its bytes): the
        // registry's word then.
        let digest = match &self.r.digest {
            Some(d) => d.clone(),
            None => {
                let src = RegistrySource::plain(self.clone(), c.clone());
                match src.fetch_manifest_opt(&self.reference(), None, true) {
                    Ok(Some(m)) => m.digest,
                    // (gone: the registry's own 404 says so)
                    Ok(None) => self.head_digest(&c)?,
                    Err(e) if e.is_invalid() => self.head_digest(&c)?,
                    Err(e) => return Err(e),
                }
            }
        };
        let path = format!("/v2/{}/manifests/{digest}", self.r.path);
        let resp = c.send(
            Method::DELETE,
            &c.url(&path),
            &[format!("repository:{}:delete", self.r.path)],
            &[],
            ReqBody::Empty,
        )?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(c.status_error("DELETE", &path, resp))
        }
    }

    fn listing_name(&self) -> String {
        format!("docker://{}", self.r.name())
    }

    fn list_tags(&self, opts: &TransportOptions) -> Result<Vec<String>> {
        let c = self.client(&opts.src_registry)?;
        list_tags(&c, &self.r.path, false)
    }

    fn learn_tags(&self, opts: &TransportOptions) -> Result<()> {
        // Best effort: without a listing, each tag is asked about.
        match self
            .client(&opts.dest_registry)
            .and_then(|c| list_tags(&c, &self.r.path, true))
        {
            Err(e) if e.is_credentials_refused() => Err(e.context(self.listing_name())),
            _ => Ok(()),
        }
    }

    fn current_digest(&self, opts: &TransportOptions, dest: bool) -> Result<Option<Digest>> {
        let (r, c) = if dest {
            (self.clone(), self.client(&opts.dest_registry)?)
        } else {
            match self.pull_source(&opts.src_registry) {
                Err(e) if e.kind() == crate::error::Kind::NotFound => return Ok(None),
                Err(e) => return Err(e),
                // A mirror's answer to the probe.
                Ok(Pulled {
                    digest: Some(d), ..
                }) => return Ok(Some(d)),
                Ok(p) => (p.r, p.client),
            }
        };
        if let (Some(tag), None) = (&r.r.tag, &r.r.digest) {
            if listed_without(&c, &r.r.path, tag) {
                return Ok(None);
            }
        }
        r.head_manifest(&c, &r.reference(), dest)
    }

    fn with_tag(&self, tag: &str) -> Result<Box<dyn ImageReference>> {
        if !valid_tag(tag) {
            return Err(Error::new(format!(
                "{:?} is not a valid tag",
                crate::error::escape_controls(tag)
            )));
        }
        let mut r = self.clone();
        r.r.tag = Some(tag.to_string());
        r.r.digest = None;
        r.tag_given = true;
        Ok(Box::new(r))
    }

    /// A tag given (`REPO:TAG`, even `:latest`) is that image, as in
    /// skopeo sync; a bare repository is every tag. A digest names no tag
    /// to write the image under.
    fn one_image(
        &self,
        _opts: &TransportOptions,
    ) -> Result<Option<(String, Box<dyn ImageReference>)>> {
        if let Some(d) = &self.r.digest {
            return Err(Error::usage(format!(
                "{self}: sync copies tags, and this names an image by digest ({d}); use lade copy for it"
            )));
        }
        match (&self.r.tag, self.tag_given) {
            (Some(t), true) => Ok(Some((t.clone(), Box::new(self.clone())))),
            _ => Ok(None),
        }
    }
}

/// The most tags a repository listing is read for, and the most bytes of
/// its pages (a million tags of 128 characters, quoted, with commas): a
/// registry that does not page (distribution 2) sends them all in one.
const MAX_TAGS: usize = 1_000_000;
const MAX_TAGS_BYTES: u64 = MAX_TAGS as u64 * 131 + 4096;
/// Referrers of one image kept at most, and bytes of their pages.
const MAX_REFERRERS: usize = 10_000;
const MAX_REFERRERS_BYTES: usize = 16 << 20;

/// All tags, following `Link: <…>; rel="next"` pages; remembered for the
/// process (see `listed_tags`). With `missing_is_empty`, a repository
/// the registry does not know (404) has no tags.
pub fn list_tags(c: &Client, repo: &str, missing_is_empty: bool) -> Result<Vec<String>> {
    let scope = vec![format!("repository:{repo}:pull")];
    let mut url = c.url(&format!("/v2/{repo}/tags/list"));
    let mut tags = Vec::new();
    let mut seen = TagSet::default();
    let (mut invalid, mut first_invalid) = (0usize, String::new());
    let mut listed = 0usize;
    let mut pages = std::collections::HashSet::from([url.clone()]);
    let mut budget = MAX_TAGS_BYTES;
    for _ in 0..10_000 {
        let resp = c.send(Method::GET, &url, &scope, &[], ReqBody::Empty)?;
        if missing_is_empty && tags.is_empty() && resp.status().as_u16() == 404 {
            return Ok(remember_listing(c, repo, tags, seen));
        }
        if !resp.status().is_success() {
            return Err(c.status_error("GET", &url, resp));
        }
        let link = header(&resp, "link");
        let not_json = client::not_json_type(&resp);
        // Parsed as it arrives (no copy of the page in memory), within
        // what is left of the listing's byte budget.
        let mut body = std::io::BufReader::with_capacity(
            1 << 16,
            resp.into_body().into_reader().take(budget + 1),
        );
        // An object (serde would take a list for the struct too: `[]`
        // read as no tags hid a broken registry).
        if !starts_an_object(&mut body) {
            return Err(Error::new(format!(
                "registry {}: tag list of {repo} is no JSON object{}",
                c.host,
                not_json.map_or(String::new(), |t| format!(" (got {t})"))
            )));
        }
        let parsed = serde_json::from_reader::<_, Tags>(&mut body);
        let left = body.into_inner().limit();
        if left == 0 {
            return Err(Error::new(format!(
                "registry {}: tag list of {repo} is more than the {MAX_TAGS_BYTES} byte limit",
                c.host
            )));
        }
        budget = left - 1;
        // A listing that never ends is refused before memory runs out.
        let too_many = || {
            Error::new(format!(
                "registry {}: tag list of {repo} goes past {MAX_TAGS} tags; refusing the rest",
                c.host
            ))
        };
        let page = parsed
            .map_err(|e| match e.is_io() {
                true => Error::new(format!(
                    "registry {}: reading the tag list of {repo}: {e}",
                    c.host
                )),
                false if e.to_string().starts_with(TOO_MANY_TAGS) => too_many(),
                false => Error::new(format!("registry {}: tag list of {repo}: {e}", c.host)),
            })?
            .tags;
        // Only tags (at most 128 characters, [A-Za-z0-9_][A-Za-z0-9_.-]*):
        // another string would go into request URLs and file names. Such
        // names are left out, said once; a tag listed again (on another
        // page) is one tag.
        // (Every name counts against the limit: pages of the same tags
        // again and again would go on.)
        listed += page.len();
        if listed > MAX_TAGS {
            return Err(too_many());
        }
        for t in page {
            if !valid_tag(&t) {
                if invalid == 0 {
                    first_invalid = t;
                }
                invalid += 1;
            } else if seen.insert(&tags, &t) {
                tags.push(t);
            }
        }
        match link.as_deref().and_then(next_link) {
            Some(n) => url = next_page(c, &mut pages, &url, &n, &format!("tag list of {repo}"))?,
            None => {
                let at = format!("registry {}: tag list of {repo}", c.host);
                crate::error::warn_names_left_out(&at, invalid, &first_invalid, "tag");
                return Ok(remember_listing(c, repo, tags, seen));
            }
        }
    }
    Err(Error::new(format!(
        "registry {}: tag list of {repo} does not end",
        c.host
    )))
}

const TOO_MANY_TAGS: &str = "more tags than allowed";

/// Does what `r` holds begin (after white space) with `{`? Reads no more
/// than the white space.
fn starts_an_object(r: &mut impl std::io::BufRead) -> bool {
    loop {
        let Ok(buf) = r.fill_buf() else { return true }; // (the parse says)
        let Some(&b) = buf.first() else { return true };
        if b.is_ascii_whitespace() {
            r.consume(1);
            continue;
        }
        return b == b'{';
    }
}

/// One page of a tag listing.
#[derive(serde::Deserialize)]
struct Tags {
    #[serde(default, deserialize_with = "at_most_max_tags")]
    tags: Vec<String>,
}

/// A page's `tags` (null: none), parsed with no more than [`MAX_TAGS`]
/// kept: past that the parse fails at once, so a page of millions of
/// short tags never becomes millions of strings.
fn at_most_max_tags<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    struct Capped;
    impl<'de> serde::de::Visitor<'de> for Capped {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of tags")
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut tags = Vec::new();
            while let Some(t) = seq.next_element::<String>()? {
                if tags.len() == MAX_TAGS {
                    return Err(serde::de::Error::custom(TOO_MANY_TAGS));
                }
                tags.push(t);
            }
            Ok(tags)
        }
    }
    d.deserialize_option(Capped)
}

/// The URL of a listing's next page, unless a page before had it (the
/// listing would go round forever).
fn next_page(
    c: &Client,
    pages: &mut std::collections::HashSet<String>,
    from: &str,
    link: &str,
    what: &str,
) -> Result<String> {
    let url = c.resolve(from, link)?;
    // The next page is the registry's own: a link naming another host
    // is taken for its path and query alone, as skopeo takes it (that
    // host's answer would be merged into this registry's listing).
    let url = match url.split_once("://") {
        Some((_, rest)) if !url.starts_with(&c.url("/")) => {
            c.url(rest.find('/').map_or("/", |i| &rest[i..]))
        }
        _ => url,
    };
    if !pages.insert(url.clone()) {
        return Err(Error::new(format!(
            "registry {}: {what} does not end: its next page is one it has given before ({})",
            c.host,
            crate::error::escape_controls(link)
        )));
    }
    Ok(url)
}

/// The target of `<URL>; rel="next"`.
fn next_link(h: &str) -> Option<String> {
    h.split(',').find_map(|part| {
        let (u, params) = part.trim().split_once(';')?;
        let rel_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next");
        let u = u.trim().strip_prefix('<')?.strip_suffix('>')?;
        rel_next.then(|| u.to_string())
    })
}

/// The tags of every repository listed in this process, (host, repo) →
/// tags, with the tags this process pushed there since. A source in a
/// listed repository answers a tag outside the list as missing without
/// asking: sync looks up cosign's and the referrers schema's tags for every
/// image it copies, and most repositories have none of them. So does a
/// sync destination ([`ImageReference::learn_tags`]): a tag it lacks is
/// copied without a HEAD. (A tag made by someone else after the listing
/// is not seen, as an image tagged after the listing is not synced; at a
/// destination such a tag is overwritten, as it would be if it differed.)
type RepoKey = (String, String);

/// The key of a repository in this process's caches: (host, path).
fn repo_key(c: &Client, repo: &str) -> RepoKey {
    (c.host.clone(), repo.to_string())
}

/// The manifests being PUT into each repository (see
/// [`RegistryDest::put_manifest_at`]).
fn manifest_puts() -> &'static crate::keyed::KeyedLocks<(RepoKey, Digest)> {
    static S: OnceLock<crate::keyed::KeyedLocks<(RepoKey, Digest)>> = OnceLock::new();
    S.get_or_init(Default::default)
}

fn listed_tags() -> &'static Mutex<HashMap<RepoKey, HashSet<u64>>> {
    static S: OnceLock<Mutex<HashMap<RepoKey, HashSet<u64>>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// A tag's hash in this process's listings (keyed at random, so a
/// registry cannot choose names that share one).
fn tag_hash(tag: &str) -> u64 {
    use std::hash::BuildHasher;
    static S: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    S.get_or_init(Default::default).hash_one(tag)
}

/// The tags of a listing as it is read, by hash: a set of their names
/// would hold every tag a second time (tens of megabytes for a million).
/// Tags sharing a hash are told apart by name.
#[derive(Default)]
struct TagSet {
    /// Hash → the index of the first tag with it.
    first: HashMap<u64, u32>,
    /// Tags whose hash an earlier, different tag had (next to never).
    shared: HashSet<String>,
}

impl TagSet {
    /// Is `t` not among `tags` (the tags inserted so far, in order)? It
    /// is counted in then.
    fn insert(&mut self, tags: &[String], t: &str) -> bool {
        match self.first.entry(tag_hash(t)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(tags.len() as u32);
                true
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                tags[*o.get() as usize] != t && self.shared.insert(t.to_string())
            }
        }
    }
}

/// Record the whole listing of `repo` (the hashes of its tags); returns
/// it.
fn remember_listing(c: &Client, repo: &str, tags: Vec<String>, seen: TagSet) -> Vec<String> {
    let hashes = seen.first.into_keys().collect();
    listed_tags()
        .lock()
        .unwrap()
        .insert(repo_key(c, repo), hashes);
    tags
}

/// Did this process list `repo` and find no `tag` there? (No when
/// another tag there has its hash: the caller asks the registry.)
fn listed_without(c: &Client, repo: &str, tag: &str) -> bool {
    listed_tags()
        .lock()
        .unwrap()
        .get(&repo_key(c, repo))
        .is_some_and(|tags| !tags.contains(&tag_hash(tag)))
}

/// Registries (hosts) that answered this process's referrers API request
/// 400, 404 or 405: they have no such API, so it is not asked again.
fn no_referrers_api() -> &'static Mutex<HashSet<String>> {
    static S: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// The waits before a request is sent again whose answer says another
/// client was writing the same thing at that moment. distribution
/// rewrites a blob's or manifest's link in the repository in place each
/// time one is PUT; read just then, the link is empty, and the registry
/// answers a HEAD with 500 (`invalid checksum digest format`) and a
/// manifest PUT naming it with 400 MANIFEST_BLOB_UNKNOWN. The race
/// lasts milliseconds; what is really missing or broken costs no more
/// than these waits.
const RACE_WAITS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(300),
    Duration::from_millis(900),
];

/// HEAD `url`, asked again (see [`RACE_WAITS`]) while the answer is 500,
/// where this process writes (`push`): elsewhere no write of its own is
/// racing another's. With `--retry-times`, the client retries a 500
/// itself, with its own waits.
fn head_past_races(
    c: &Client,
    url: &str,
    scope: &[String],
    headers: &[(&str, String)],
    push: bool,
) -> Result<ureq::http::Response<ureq::Body>> {
    let waits: &[Duration] = if push && c.retries().times == 0 {
        &RACE_WAITS
    } else {
        &[]
    };
    for &wait in waits {
        let resp = c.send(Method::HEAD, url, scope, headers, ReqBody::Empty)?;
        if resp.status().as_u16() != 500 {
            return Ok(resp);
        }
        std::thread::sleep(wait);
    }
    c.send(Method::HEAD, url, scope, headers, ReqBody::Empty)
}

/// Blobs this process has seen in, or put into, a repository: ((host,
/// repo), digest) → size. A sync of many tags on one base asks the
/// destination about each base blob once, not once per tag. Only this
/// process's own observations go in, so a blob deleted meanwhile by
/// someone else makes the manifest PUT fail (BLOB_UNKNOWN) rather than
/// go unnoticed.
type BlobKey = (RepoKey, Digest);

fn known_blobs() -> &'static Mutex<HashMap<BlobKey, u64>> {
    static S: OnceLock<Mutex<HashMap<BlobKey, u64>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(HashMap::new()))
}

pub struct RegistrySource {
    r: RegistryRef,
    client: Arc<Client>,
    /// registries.conf's mirrors that did not have the image (said with
    /// an error of this, the primary location).
    mirrors_failed: Option<String>,
    /// The image's manifest, read from a mirror when it was chosen (the
    /// manifest asked for first is that one, not a second read).
    first: Option<RawManifest>,
}

/// [`RegistryRef::pull_source`]'s choice.
struct Pulled {
    r: RegistryRef,
    client: Arc<Client>,
    /// The digest of the manifest a mirror gave.
    digest: Option<Digest>,
    /// That manifest.
    manifest: Option<RawManifest>,
    mirrors_failed: Option<String>,
}

impl RegistrySource {
    /// A reader of `r` through `client`, no mirror behind it and nothing
    /// read yet.
    fn plain(r: RegistryRef, client: Arc<Client>) -> RegistrySource {
        RegistrySource {
            r,
            client,
            mirrors_failed: None,
            first: None,
        }
    }

    fn fetch_manifest(&self, reference: &str, want: Option<&Digest>) -> Result<RawManifest> {
        Ok(self
            .fetch_manifest_opt(reference, want, false)?
            .expect("missing_ok false never yields None"))
    }

    /// GET a manifest; with `missing_ok`, a 404 is Ok(None).
    fn fetch_manifest_opt(
        &self,
        reference: &str,
        want: Option<&Digest>,
        missing_ok: bool,
    ) -> Result<Option<RawManifest>> {
        let c = &self.client;
        let path = format!("/v2/{}/manifests/{reference}", self.r.r.path);
        let ctx = |e: Error| e.context(format!("registry {}: GET {path}", c.host));
        // A body cut short is asked for again, as a request that failed
        // before its answer is (--retry-times).
        let mut attempt = 0;
        let (bytes, content_type, dcd, not_json) = loop {
            let resp = c.send(
                Method::GET,
                &c.url(&path),
                &self.r.scope(false),
                &[("accept", ACCEPT.to_string())],
                ReqBody::Empty,
            )?;
            if missing_ok && resp.status().as_u16() == 404 {
                return Ok(None);
            }
            if !resp.status().is_success() {
                return Err(c.status_error("GET", &path, resp));
            }
            if let Some(len) = resp.body().content_length() {
                if len > MAX_MANIFEST_SIZE {
                    return Err(ctx(Error::new(format!(
                        "manifest is {len} bytes, more than the {MAX_MANIFEST_SIZE} byte limit"
                    ))));
                }
            }
            let content_type = header(&resp, "content-type")
                .map(|t| MediaType::parse(t.split(';').next().unwrap_or("").trim()));
            let dcd = content_digest(&resp);
            // (what it is, and where from, if it does not read)
            let not_json = client::not_json_type(&resp)
                .map(|t| (t, client::answered_at(&resp, &c.url(&path))));
            match read_capped(resp, MAX_MANIFEST_SIZE, "manifest") {
                Ok(bytes) => break (bytes, content_type, dcd, not_json),
                Err(e) if e.is_transient() && attempt < c.retries().times => {
                    attempt += 1;
                    std::thread::sleep(c.retries().wait(attempt));
                }
                Err(e) => return Err(ctx(e)),
            }
        };
        // A web page (a proxy's, a login portal's) in a manifest's place:
        // said as what it is, before its digest or JSON is found wrong.
        if let Some((t, at)) = not_json {
            if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
                return Err(Error::invalid(format!(
                    "registry {}: got {t} from {at}, not a manifest",
                    c.host
                )));
            }
        }
        // (a signed schema 1 manifest's digest is that of its payload)
        let digest_by = |alg| crate::model::schema1::manifest_digest_with(alg, &bytes);
        if let Some(d) = &dcd {
            let d = Digest::parse(d).map_err(ctx)?;
            let got = digest_by(d.algorithm());
            if got != d {
                return Err(ctx(Error::new(format!(
                    "the body hashes to {got} but Docker-Content-Digest says {d}"
                ))));
            }
        }
        if let Some(w) = want {
            let got = digest_by(w.algorithm());
            if &got != w {
                return Err(ctx(Error::new(format!(
                    "manifest hashes to {got}, not the requested {w}"
                ))));
            }
        }
        let m = RawManifest::from_bytes_or_schema1(bytes, content_type.as_ref()).map_err(ctx)?;
        // This repository holds the image's blobs: a push of them into
        // another repository of the registry may mount them from here.
        let blobs: Vec<Digest> = match m.manifest() {
            Ok(image) => std::iter::once(image.config)
                .chain(image.layers)
                .map(|d| d.digest)
                .collect(),
            Err(_) if m.is_schema1() => crate::model::schema1::Schema1::parse(&m.bytes)
                .map(|s| s.layers().into_iter().map(|(d, _)| d.clone()).collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        for d in &blobs {
            crate::blob_cache::record_place(&self.client.host, &self.r.r.path, d);
        }
        Ok(Some(m))
    }

    /// `GET /v2/<name>/referrers/<digest>`, every page; None when the
    /// registry has no referrers API (404, as distribution-spec 1.1 says;
    /// 405 and 400 from registries that do not know the route).
    fn referrers_api(&self, subject: &Digest) -> Result<Option<Vec<Descriptor>>> {
        // Callers hold the attachment walk lock (copy/referrers.rs), so a
        // registry without the API is asked once, however many images a
        // sync copies at once.
        let c = &self.client;
        if no_referrers_api().lock().unwrap().contains(&c.host) {
            return Ok(None);
        }
        let path = format!("/v2/{}/referrers/{subject}", self.r.r.path);
        let mut url = c.url(&path);
        let mut pages = std::collections::HashSet::from([url.clone()]);
        let mut out = Vec::new();
        let mut read = 0;
        for _ in 0..1000 {
            let resp = c.send(
                Method::GET,
                &url,
                &self.r.scope(false),
                &[("accept", OCI_INDEX.to_string())],
                ReqBody::Empty,
            )?;
            match resp.status().as_u16() {
                200 => {}
                400 | 404 | 405 if out.is_empty() => {
                    no_referrers_api().lock().unwrap().insert(c.host.clone());
                    return Ok(None);
                }
                _ => return Err(c.status_error("GET", &path, resp)),
            }
            let link = header(&resp, "link");
            let body = read_capped(resp, MAX_MANIFEST_SIZE, "referrers list")?;
            // Each entry read on its own: one that does not read is left
            // out (said), not the whole list.
            let not_index = |e: &dyn fmt::Display| {
                Error::invalid(format!(
                    "registry {}: GET {path}: not an index: {e}",
                    c.host
                ))
            };
            let page: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| not_index(&e))?;
            let listed = match page.get("manifests") {
                Some(serde_json::Value::Array(a)) => a.as_slice(),
                None | Some(serde_json::Value::Null) => &[],
                Some(_) => return Err(not_index(&"\"manifests\" is not a list")),
            };
            for m in listed {
                match serde_json::from_value::<Descriptor>(m.clone()) {
                    Ok(d) => out.push(d),
                    Err(e) => crate::error::warn(&format!(
                        "registry {}: a referrer of {subject} is left out: {e}",
                        c.host
                    )),
                }
            }
            // However the pages go, what is kept stays bounded.
            read += body.len();
            if out.len() > MAX_REFERRERS || read > MAX_REFERRERS_BYTES {
                return Err(Error::new(format!(
                    "registry {}: referrers list of {subject} goes past {MAX_REFERRERS} \
                     entries or {} MiB; refusing the rest",
                    c.host,
                    MAX_REFERRERS_BYTES >> 20
                )));
            }
            match link.as_deref().and_then(next_link) {
                Some(n) => {
                    url = next_page(
                        c,
                        &mut pages,
                        &url,
                        &n,
                        &format!("referrers list of {subject}"),
                    )?
                }
                None => return Ok(Some(out)),
            }
        }
        Err(Error::new(format!(
            "registry {}: referrers list of {subject} does not end",
            c.host
        )))
    }
}

/// The referrers tag schema's tag for `d`: `<alg>-<hex>` (distribution-spec
/// 1.1; the algorithm cut to 32 characters, the hex to 64).
pub fn fallback_tag(d: &Digest) -> String {
    let alg = d.algorithm().name();
    let hex = d.hex();
    format!(
        "{}-{}",
        &alg[..alg.len().min(32)],
        &hex[..hex.len().min(64)]
    )
}

impl RegistrySource {
    /// A layer the registry does not give, from the URLs its descriptor
    /// names (a Windows base layer), in order, as docker pull fetches it:
    /// by GET without the registry's credentials, https only where the
    /// registry speaks https; what comes is checked against the digest as
    /// any blob is. Else why not (None: it names none), to add to the
    /// registry's answer.
    fn blob_at_urls(&self, desc: &Descriptor) -> std::result::Result<BlobReader, Option<String>> {
        let urls = desc.urls.as_deref().unwrap_or_default();
        let mut why = Vec::new();
        for u in urls {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                why.push(format!("{u}: not an http or https URL"));
                continue;
            }
            match BlobReader::open(self.client.clone(), u.clone(), Vec::new()) {
                Ok(r) => return Ok(r),
                // (said as GET URL: …, the registry not being who answered)
                Err(e) => {
                    let e = e.to_string();
                    let own = format!("registry {}: ", self.client.host);
                    why.push(e.strip_prefix(&own).unwrap_or(&e).to_string())
                }
            }
        }
        Err((!why.is_empty()).then(|| why.join("; ")))
    }
}

impl ImageSource for RegistrySource {
    fn retries(&self) -> Retries {
        self.client.retries()
    }

    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        match instance {
            Some(d) => self.fetch_manifest(&d.to_string(), Some(d)),
            None if self.first.is_some() => Ok(self.first.clone().expect("some")),
            None => self
                .fetch_manifest(&self.r.reference(), self.r.r.digest.as_ref())
                .map_err(|e| match &self.mirrors_failed {
                    Some(m) => e.context(&self.r).context(m),
                    None => e,
                }),
        }
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        let url = self
            .client
            .url(&format!("/v2/{}/blobs/{}", self.r.r.path, desc.digest));
        let r = match BlobReader::open(self.client.clone(), url, self.r.scope(false)) {
            Ok(r) => r,
            Err(e) => match self.blob_at_urls(desc) {
                Ok(r) => r,
                Err(None) => return Err(e),
                Err(Some(why)) => return Err(e.context_after(format!("from its URLs: {why}"))),
            },
        };
        let len = r.total;
        Ok((Box::new(r), len))
    }

    /// A GET of the first bytes (`Range`): the size from `Content-Range`
    /// (or `Content-Length`, where the registry sends the whole blob).
    fn blob_start(&self, desc: &Descriptor) -> Result<Option<(u64, Compression)>> {
        let c = &self.client;
        let url = c.url(&format!("/v2/{}/blobs/{}", self.r.r.path, desc.digest));
        let range = format!("bytes=0-{}", crate::compress::SNIFF_LEN - 1);
        let resp = c.send(
            Method::GET,
            &url,
            &self.r.scope(false),
            &[("range", range)],
            ReqBody::Empty,
        )?;
        let size = match resp.status().as_u16() {
            206 => header(&resp, "content-range")
                .and_then(|r| r.rsplit_once('/').and_then(|(_, t)| t.parse().ok())),
            200 => resp.body().content_length(),
            _ => None,
        };
        let Some(size) = size else {
            return Ok(None);
        };
        let (compression, _) = crate::compress::sniff_start(&mut resp.into_body().into_reader())?;
        Ok(Some((size, compression)))
    }

    fn concurrent_reads(&self) -> bool {
        true
    }

    fn parallel_transfers(&self) -> usize {
        PARALLEL_TRANSFERS
    }

    fn manifest_by_tag(&self, tag: &str) -> Result<Option<RawManifest>> {
        if !valid_tag(tag) {
            return Err(Error::new(format!("invalid tag {tag:?}")));
        }
        if listed_without(&self.client, &self.r.r.path, tag) {
            return Ok(None);
        }
        self.fetch_manifest_opt(tag, None, true)
    }

    fn referrers(&self, subject: &Digest) -> Result<Referrers> {
        if let Some(descriptors) = self.referrers_api(subject)? {
            return Ok(Referrers {
                descriptors,
                fallback_index: None,
            });
        }
        match self.manifest_by_tag(&fallback_tag(subject))? {
            Some(raw) if raw.is_index() => Ok(Referrers {
                descriptors: raw.index()?.manifests,
                fallback_index: Some(raw),
            }),
            _ => Ok(Referrers::default()),
        }
    }
}

/// Blobs moved at once to or from a registry: a transfer mostly waits (for
/// the network, for the registry's writes and fsyncs), so more than the
/// CPUs; skopeo's default is 6 too.
const PARALLEL_TRANSFERS: usize = 6;

/// A blob download that resumes with `Range` after a broken connection.
struct BlobReader {
    client: Arc<Client>,
    url: String,
    scope: Vec<String>,
    inner: Box<dyn Read + Send>,
    offset: u64,
    total: Option<u64>,
    resumes: u32,
}

impl BlobReader {
    fn open(client: Arc<Client>, url: String, scope: Vec<String>) -> Result<BlobReader> {
        let resp = client.send(Method::GET, &url, &scope, &[], ReqBody::Empty)?;
        if !resp.status().is_success() {
            return Err(client.status_error("GET", &url, resp));
        }
        let total = resp.body().content_length();
        Ok(BlobReader {
            inner: Box::new(resp.into_body().into_reader()),
            client,
            url,
            scope,
            offset: 0,
            total,
            resumes: 0,
        })
    }

    fn resume(&mut self, cause: &io::Error) -> io::Result<()> {
        let cause = client::read_error_message(cause);
        // (Transient: the blob's copy may be tried again from its start,
        // --retry-times.)
        let fail = |why: String| {
            io::Error::other(
                Error::new(format!(
                    "registry {}: GET {}: {cause}; {why}",
                    self.client.host,
                    self.url
                        .find("/v2/")
                        .map_or(self.url.as_str(), |i| &self.url[i..])
                ))
                .transient(),
            )
        };
        if self.resumes >= 5 {
            return Err(fail("gave up after 5 resumes".into()));
        }
        self.resumes += 1;
        let range = format!("bytes={}-", self.offset);
        let resp = self
            .client
            .send(
                Method::GET,
                &self.url,
                &self.scope,
                &[("range", range)],
                ReqBody::Empty,
            )
            .map_err(|e| fail(format!("resuming: {e}")))?;
        let status = resp.status().as_u16();
        let cr = header(&resp, "content-range").unwrap_or_default();
        // Only a 206 for exactly the bytes asked for continues the stream.
        let want = format!("bytes {}-", self.offset);
        if status != 206 || !cr.starts_with(&want) {
            return Err(fail(format!(
                "cannot resume (server answered {status} {cr:?})"
            )));
        }
        self.inner = Box::new(resp.into_body().into_reader());
        super::note_resumed(super::Resumed {
            offset: self.offset,
            resume: self.resumes,
            error: cause,
        });
        Ok(())
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(0) if self.total.is_some_and(|t| self.offset < t) && !buf.is_empty() => {
                    let e = io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed early");
                    self.resume(&e)?;
                }
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.resume(&e)?,
            }
        }
    }
}

pub struct RegistryDest {
    r: RegistryRef,
    client: Arc<Client>,
    pushed: Mutex<usize>,
    /// Upload sessions a refused mount started, by the blob it was for,
    /// and when: that blob's upload goes into it (the spec allows it),
    /// not into a new one, if it comes soon (a registry purges idle
    /// sessions). One left unused is cancelled: at once when another
    /// place mounts the blob or when it is too old to use, else when the
    /// destination goes.
    spare_sessions: Mutex<HashMap<Digest, (String, Instant)>>,
}

impl Drop for RegistryDest {
    fn drop(&mut self) {
        let spare = std::mem::take(
            self.spare_sessions
                .get_mut()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for (loc, _) in spare.into_values() {
            self.cancel_upload(&loc);
        }
    }
}

impl RegistryDest {
    fn blob_exists(&self, d: &Digest) -> Result<Option<u64>> {
        let c = &self.client;
        let path = format!("/v2/{}/blobs/{d}", self.r.r.path);
        let resp = head_past_races(c, &c.url(&path), &self.r.scope(true), &[], true)?;
        match resp.status().as_u16() {
            200 => {
                let size = header(&resp, "content-length").and_then(|l| l.parse().ok());
                if let Some(n) = size {
                    self.remember(d, n);
                }
                Ok(size)
            }
            404 => Ok(None),
            _ => Err(c.status_error("HEAD", &path, resp)),
        }
    }

    fn key(&self, d: &Digest) -> BlobKey {
        (repo_key(&self.client, &self.r.r.path), d.clone())
    }

    fn remember(&self, d: &Digest, size: u64) {
        known_blobs().lock().unwrap().insert(self.key(d), size);
        crate::blob_cache::record_place(&self.client.host, &self.r.r.path, d);
    }

    /// Try a cross-repository mount from a source repo on this registry;
    /// the repository it was mounted from.
    fn try_mount(&self, d: &Digest) -> Result<Option<String>> {
        let c = &self.client;
        // Where this process or an earlier one saw it (a source read
        // here says its manifest's blobs), the latest first.
        for repo in crate::blob_cache::places(&c.host, d, &self.r.r.path) {
            let path = format!(
                "/v2/{}/blobs/uploads/?mount={d}&from={}",
                self.r.r.path,
                client::urlencode(&repo)
            );
            let mut scope = self.r.scope(true);
            scope.push(format!("repository:{repo}:pull"));
            // A mount saves an upload; one that is refused (no pull right
            // on the other repository: 401/403, from the registry or its
            // token service) or fails is not made, and the blob goes up.
            let post = c.url(&path);
            let Ok(resp) = c.send(Method::POST, &post, &scope, &[], ReqBody::Empty) else {
                continue;
            };
            match resp.status().as_u16() {
                201 => {
                    // The upload a refused mount before it started is not needed.
                    if let Some((loc, _)) = self.take_spare_session(d) {
                        self.cancel_upload(&loc);
                    }
                    return Ok(Some(repo));
                }
                202 => {
                    // Not mounted; an upload was started instead: kept for
                    // this blob (one: any later one is cancelled).
                    if let Some(loc) =
                        header(&resp, "location").and_then(|l| c.resolve(&post, &l).ok())
                    {
                        let mut spare = self
                            .spare_sessions
                            .lock()
                            .unwrap_or_else(|e| e.into_inner());
                        if spare.contains_key(d) {
                            drop(spare);
                            self.cancel_upload(&loc);
                        } else {
                            spare.insert(d.clone(), (loc, Instant::now()));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }

    fn take_spare_session(&self, d: &Digest) -> Option<(String, Instant)> {
        self.spare_sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(d)
    }

    /// Cancel an upload session (its answer is not needed: a session
    /// that stays is the registry's to purge).
    fn cancel_upload(&self, session: &str) {
        let _ = self.client.send(
            Method::DELETE,
            session,
            &self.r.scope(true),
            &[],
            ReqBody::Empty,
        );
    }

    fn start_upload(&self) -> Result<String> {
        let c = &self.client;
        let path = format!("/v2/{}/blobs/uploads/", self.r.r.path);
        let post = c.url(&path);
        let resp = c.send(
            Method::POST,
            &post,
            &self.r.scope(true),
            &[],
            ReqBody::Empty,
        )?;
        if resp.status().as_u16() != 202 {
            return Err(c.status_error("POST", &path, resp));
        }
        let loc = header(&resp, "location").ok_or_else(|| {
            Error::new(format!(
                "registry {}: POST {path}: no Location in the answer",
                c.host
            ))
        })?;
        c.resolve(&post, &loc)
    }
}

/// How long a refused mount's upload session is kept for its blob: a
/// blob that goes up later (a stream that reaches it after minutes) gets
/// a session of its own.
const SPARE_SESSION_AGE: Duration = Duration::from_secs(60);

/// Chunk size of uploads whose size is not known in advance (each upload
/// holds one chunk in memory: with PARALLEL_TRANSFERS of them, 48 MiB at
/// most).
const UPLOAD_CHUNK: u64 = 8 << 20;

/// Blobs of known size larger than this go up in PATCH chunks of this
/// size, streamed (nothing held in memory), the rest with the closing
/// PUT. A registry writes and syncs each chunk when its request ends
/// (distribution does): several big blobs sent whole all reach that
/// point together at the end, when nothing else is left to overlap with
/// it; in chunks the writes are spread over the transfer. 64 MiB costs a
/// round trip per 64 MiB, little beside the time to send them.
const STREAM_CHUNK: u64 = 64 << 20;

/// The chunk sizes: the hidden `LADE_UPLOAD_CHUNK_SIZE` (bytes, 1024 to
/// 1 GiB) sets both, for tests.
fn chunk_size(default: u64) -> u64 {
    std::env::var("LADE_UPLOAD_CHUNK_SIZE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(default, |n| n.clamp(1024, 1 << 30))
}

/// Registries (hosts) that refused a chunked upload of a blob of known
/// size: they get such blobs whole from then on.
fn whole_blobs_only() -> &'static Mutex<HashSet<String>> {
    static S: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// The failure of an upload, with the session URL to cancel.
type UploadError = (String, Error);

impl RegistryDest {
    /// A blob of known digest and size: PATCH chunks while more than one
    /// chunk is left (see [`STREAM_CHUNK`]), then a PUT with the rest
    /// and the digest in the query. The registry hashes what it receives
    /// and refuses (400 DIGEST_INVALID) a blob that does not match, so
    /// the bytes are not hashed here a second time; their count is
    /// checked, and no more than `size` are sent.
    fn upload_known(
        &self,
        loc: &str,
        reader: &mut dyn Read,
        d: &Digest,
        size: u64,
    ) -> std::result::Result<(Digest, u64), UploadError> {
        let c = &self.client;
        let mut body = crate::verify::VerifyingReader::size_only(reader, d, size);
        let mut loc = loc.to_string();
        let mut offset = 0;
        let chunk = chunk_size(STREAM_CHUNK);
        // Of the uploads sent in chunks, each one's first chunk is an
        // eighth shorter than the last one's (64, 56, … 8 MiB, round): the
        // registry syncs each chunk to disk as it ends, and uploads under
        // way at once, sent at the same pace, would reach their ends
        // together and all wait on the disk while the processors idle.
        static CHUNKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let mut this = chunk;
        if size > chunk {
            let n = CHUNKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 8;
            this -= n * (chunk / 8);
        }
        if !whole_blobs_only().lock().unwrap().contains(&c.host) {
            while size - offset > this {
                let chunk = std::mem::replace(&mut this, chunk);
                loc = match self.patch(&loc, offset, chunk, &mut (&mut body).take(chunk)) {
                    Ok(l) => l,
                    // Refused as such (not failed): send it whole, at once.
                    Err((l, e, true)) => {
                        whole_blobs_only().lock().unwrap().insert(c.host.clone());
                        return Err((l, e.context("sending blobs whole").retry_at_once()));
                    }
                    Err((l, e, false)) => return Err((l, e)),
                };
                offset += chunk;
            }
        }
        let url = with_query(&loc, &format!("digest={d}"));
        let resp = c
            .send(
                Method::PUT,
                &url,
                &self.r.scope(true),
                &[("content-type", "application/octet-stream".into())],
                ReqBody::Stream(&mut body, Some(size - offset)),
            )
            .map_err(|e| (loc.clone(), e))?;
        match resp.status().as_u16() {
            201 => Ok((d.clone(), size)),
            code => Err((loc, upload_status(c, "PUT", &url, code, resp))),
        }
    }

    /// PATCH `n` bytes at `offset` of the upload at `loc`; the next
    /// Location. On failure the session to cancel, the error, and whether
    /// the registry refused a chunk as such (4xx: it takes no
    /// `Content-Range` chunks) rather than failing it.
    fn patch(
        &self,
        loc: &str,
        offset: u64,
        n: u64,
        chunk: &mut dyn Read,
    ) -> std::result::Result<String, (String, Error, bool)> {
        let c = &self.client;
        let range = format!("{offset}-{}", offset + n - 1);
        // Sent once: after a failed PATCH the session's length is unknown,
        // so the blob starts over (the copy retries it).
        let resp = c
            .send(
                Method::PATCH,
                loc,
                &self.r.scope(true),
                &[
                    ("content-type", "application/octet-stream".into()),
                    ("content-range", range),
                ],
                ReqBody::Stream(chunk, Some(n)),
            )
            .map_err(|e| (loc.to_string(), e, false))?;
        let code = resp.status().as_u16();
        if code != 202 {
            let refused = matches!(code, 400 | 404 | 405 | 411 | 413 | 416 | 501);
            return Err((
                loc.to_string(),
                upload_status(c, "PATCH", loc, code, resp),
                refused,
            ));
        }
        match header(&resp, "location") {
            None => Ok(loc.to_string()),
            Some(l) => c.resolve(loc, &l).map_err(|e| (loc.to_string(), e, false)),
        }
    }

    /// PATCH the blob in chunks of known length (`Content-Range`,
    /// following each answer's Location), hashing as it goes; then PUT
    /// the digest. For blobs whose digest or size is not known up front
    /// (recompressed layers).
    fn upload_chunked(
        &self,
        loc: &str,
        reader: &mut dyn Read,
        want: Option<&Digest>,
    ) -> std::result::Result<(Digest, u64), UploadError> {
        let c = &self.client;
        let alg = want.map_or(crate::model::Algorithm::Sha256, |d| d.algorithm());
        let mut hasher = alg.hasher();
        let mut buf = vec![0u8; chunk_size(UPLOAD_CHUNK) as usize];
        let mut loc = loc.to_string();
        let mut offset: u64 = 0;
        loop {
            // A full chunk (a short read is not the end).
            let n = match read_up_to(reader, &mut buf) {
                Ok(n) => n,
                Err(e) => return Err((loc, Error::from(e))),
            };
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            loc = self
                .patch(&loc, offset, n as u64, &mut &buf[..n])
                .map_err(|(l, e, _)| (l, e))?;
            offset += n as u64;
            if n < buf.len() {
                break;
            }
        }
        let digest = hasher.finish();
        if let Some(w) = want {
            if *w != digest {
                // (changed on the way from a registry, say: read again
                // with --retry-times)
                return Err((
                    loc,
                    Error::new(format!(
                        "blob {w}: content hashes to {digest} (digest mismatch)"
                    ))
                    .transient(),
                ));
            }
        }
        let url = with_query(&loc, &format!("digest={digest}"));
        let resp = c
            .send(Method::PUT, &url, &self.r.scope(true), &[], ReqBody::Empty)
            .map_err(|e| (loc.clone(), e))?;
        match resp.status().as_u16() {
            201 => Ok((digest, offset)),
            code => Err((loc, upload_status(c, "PUT", &url, code, resp))),
        }
    }
}

/// The error of an upload request that did not succeed; 5xx and 429 are
/// transient (the streamed body cannot be sent again, the blob can).
fn upload_status(
    c: &Client,
    method: &str,
    url: &str,
    code: u16,
    resp: ureq::http::Response<ureq::Body>,
) -> Error {
    let wait = client::retry_after(&resp);
    let e = c.status_error(method, url, resp);
    match code {
        429 => e.rate_limited().with_retry_after(wait),
        500..600 => e.transient().with_retry_after(wait),
        // What was sent is not the blob: read from the source again.
        400 if e.message().contains("DIGEST_INVALID") => e
            .context_after(
                "the bytes sent do not hash to the blob's digest (changed on the way, \
                 or corrupt at the source)",
            )
            .transient(),
        _ => e,
    }
}

fn with_query(url: &str, q: &str) -> String {
    format!("{url}{}{q}", if url.contains('?') { '&' } else { '?' })
}

impl ImageDestination for RegistryDest {
    fn properties(&self) -> DestProperties {
        dest_properties()
    }

    fn parallel_transfers(&self) -> usize {
        PARALLEL_TRANSFERS
    }

    fn blob_scope(&self) -> Option<String> {
        // Concurrent uploads of one blob into one repository race in
        // distribution (HTTP 500 on one of them).
        Some(format!("{}/{}", self.client.host, self.r.r.path))
    }

    fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<Reused>> {
        let Some(d) = &info.digest else {
            return Ok(None);
        };
        let seen = known_blobs().lock().unwrap().get(&self.key(d)).copied();
        let mut mounted_from = None;
        let have = match seen {
            Some(size) => Some(size),
            None => self.blob_exists(d)?,
        };
        let have = match have {
            Some(size) => Some(size),
            None => {
                mounted_from = self.try_mount(d)?;
                match mounted_from {
                    Some(_) => self.blob_exists(d)?,
                    None => None,
                }
            }
        };
        match (have, info.size) {
            (Some(s), Some(want)) if s != want => Ok(None),
            (Some(s), _) => Ok(Some(Reused {
                desc: Descriptor::new(info.media_type.clone(), d.clone(), s),
                mounted_from,
            })),
            (None, _) => Ok(None),
        }
    }

    fn put_blob(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<Descriptor> {
        let spare = match expected
            .digest
            .as_ref()
            .and_then(|d| self.take_spare_session(d))
        {
            Some((loc, at)) if at.elapsed() < SPARE_SESSION_AGE => Some(loc),
            Some((old, _)) => {
                self.cancel_upload(&old);
                None
            }
            None => None,
        };
        let in_spare = spare.is_some();
        let loc = match spare {
            Some(loc) => loc,
            None => self.start_upload()?,
        };
        let r = match (&expected.digest, expected.size) {
            (Some(d), Some(size)) => self.upload_known(&loc, reader, d, size),
            _ => self.upload_chunked(&loc, reader, expected.digest.as_ref()),
        };
        match r {
            Ok((digest, size)) => {
                *self.pushed.lock().unwrap() += 1;
                self.remember(&digest, size);
                Ok(Descriptor::new(expected.media_type.clone(), digest, size))
            }
            Err((session, e)) => {
                // Cancel the upload session: a retry starts anew. (Once a
                // failed request wrote part of its bytes, distribution
                // refuses this: the session's offset no longer matches its
                // Location's state, and only its purge takes it away.)
                self.cancel_upload(&session);
                // A mount's session that failed (one the registry no longer
                // knows, or never took uploads into: 404): once more at
                // once, in a session of its own.
                match in_spare {
                    true => Err(e.retry_at_once()),
                    false => Err(e),
                }
            }
        }
    }

    fn put_manifest(
        &self,
        m: &RawManifest,
        instance: Option<&Digest>,
        _names: &[String],
    ) -> Result<()> {
        let reference = match instance {
            Some(_) => m.digest.to_string(),
            None => {
                if let Some(d) = &self.r.r.digest {
                    if *d != m.digest {
                        return Err(Error::new(format!(
                            "{}: the manifest written would be {}, not the digest named",
                            self.r, m.digest
                        )));
                    }
                }
                self.r.reference()
            }
        };
        self.put_manifest_at(&reference, m).map(drop)
    }

    fn has_manifest(&self, digest: &Digest) -> Result<bool> {
        let found = self
            .r
            .head_manifest(&self.client, &digest.to_string(), true)?;
        Ok(found.is_some())
    }

    fn put_referrer(&self, m: &RawManifest, _desc: &Descriptor) -> Result<Referred> {
        Ok(match self.put_manifest_at(&m.digest.to_string(), m)? {
            true => Referred::IndexedNew,
            false => Referred::Stored,
        })
    }

    fn tagged_manifest(&self, tag: &str) -> Result<Option<RawManifest>> {
        let src = RegistrySource::plain(self.r.clone(), self.client.clone());
        src.manifest_by_tag(tag)
    }

    fn put_tagged_manifest(&self, m: &RawManifest, tag: &str) -> Result<()> {
        if !valid_tag(tag) {
            return Err(Error::new(format!("invalid tag {tag:?}")));
        }
        self.put_manifest_at(tag, m).map(drop)
    }

    fn commit(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

impl RegistryDest {
    /// PUT a manifest's exact bytes under `reference` (tag or digest);
    /// true when the registry answers `OCI-Subject` (it indexed the
    /// manifest's subject for the referrers API).
    fn put_manifest_at(&self, reference: &str, m: &RawManifest) -> Result<bool> {
        let c = &self.client;
        let path = format!("/v2/{}/manifests/{reference}", self.r.r.path);
        // No PUT of a manifest while an index naming it is PUT, here (the
        // images of a sync share an index's manifests): distribution
        // writes a manifest's files (its link in the repository, at every
        // PUT) in place, and an index PUT that checks one just then finds
        // it empty (400 DIGEST_INVALID). Each PUT holds its manifest's
        // key, an index's those of its manifests too, taken in one order:
        // a manifest PUT again (each image of the sync PUTs it) waits for
        // the index PUT checking it.
        let repo = repo_key(c, &self.r.r.path);
        let mut keys = vec![m.digest.clone()];
        if m.is_index() {
            keys.extend(m.index()?.manifests.into_iter().map(|d| d.digest));
        }
        keys.sort();
        keys.dedup();
        let _held: Vec<_> = keys
            .into_iter()
            .map(|d| manifest_puts().take((repo.clone(), d)))
            .collect();
        let mut attempt = 0;
        let resp = loop {
            let resp = c.send(
                Method::PUT,
                &c.url(&path),
                &self.r.scope(true),
                &[("content-type", m.media_type.as_str().to_string())],
                ReqBody::Bytes(&m.bytes),
            )?;
            let status = resp.status();
            if status.as_u16() == 201 {
                break resp;
            }
            // What the manifest names was found in the repository before
            // this PUT (or put there by this copy). Said unknown now, it
            // was most likely being written again by another client just
            // then (see RACE_WAITS); a blob really gone fails again.
            let body = client::error_body(resp);
            if status.as_u16() == 400
                && attempt < RACE_WAITS.len()
                && client::has_error_code(&body, "MANIFEST_BLOB_UNKNOWN")
            {
                std::thread::sleep(RACE_WAITS[attempt]);
                attempt += 1;
                continue;
            }
            return Err(c.status_error_of("PUT", &path, status, &body));
        };
        if let Some(d) = content_digest(&resp) {
            // (by the algorithm the registry hashes with: a manifest that
            // a layout names by its sha512 digest is stored by its sha256)
            let stored_as_sent = match Digest::parse(&d) {
                Ok(got) if got.algorithm() != m.digest.algorithm() => {
                    got == Digest::of_bytes_with(got.algorithm(), &m.bytes)
                }
                _ => d == m.digest.to_string(),
            };
            if !stored_as_sent {
                return Err(Error::new(format!(
                    "registry {}: PUT {path}: stored as {d}, expected {}",
                    c.host, m.digest
                )));
            }
        }
        if valid_tag(reference) {
            if let Some(tags) = listed_tags().lock().unwrap().get_mut(&repo) {
                tags.insert(tag_hash(reference));
            }
        }
        Ok(header(&resp, "oci-subject").is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_set_tells_apart_tags_sharing_a_hash() {
        let mut tags: Vec<String> = Vec::new();
        let mut seen = TagSet::default();
        for t in ["a", "b", "a", "c", "b"] {
            if seen.insert(&tags, t) {
                tags.push(t.into());
            }
        }
        assert_eq!(tags, ["a", "b", "c"]);
        // "d" as if its hash were "a"'s: a tag of its own, once.
        let mut seen = TagSet::default();
        seen.first.insert(tag_hash("d"), 0);
        let tags = vec!["a".to_string()];
        assert!(seen.insert(&tags, "d"));
        assert!(!seen.insert(&tags, "d"));
    }

    #[test]
    fn links() {
        assert_eq!(
            next_link(r#"</v2/x/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/x/tags/list?last=b&n=2")
        );
        assert_eq!(next_link(r#"</a>; rel="prev""#), None);
    }

    #[test]
    fn fallback_tags() {
        let d = Digest::of_bytes(b"x");
        assert_eq!(fallback_tag(&d), format!("sha256-{}", d.hex()));
        assert!(valid_tag(&fallback_tag(&d)));
    }

    #[test]
    fn names() {
        let r = RegistryRef::parse("//alpine").unwrap();
        assert_eq!(r.to_string(), "docker://docker.io/library/alpine:latest");
        let r = RegistryRef::parse("//127.0.0.1:5000/a/b:1").unwrap();
        assert_eq!(
            (r.r.domain.as_str(), r.reference()),
            ("127.0.0.1:5000", "1".into())
        );
        assert!(RegistryRef::parse("alpine").is_err());
    }
}
