//! `docker-daemon:NAME[:TAG]` and `docker-daemon:sha256:ID` — images in a
//! Docker Engine, over its API ([`client`]): `DOCKER_HOST` (`unix://PATH`,
//! `tcp://HOST:PORT`, TLS with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`),
//! default `unix:///var/run/docker.sock`, overridden by
//! [`TransportOptions::src_daemon_host`]/[`TransportOptions::dest_daemon_host`].
//!
//! Names are normalised as Docker does (`alpine` ⇒
//! `docker.io/library/alpine:latest`). An ID must be the full `sha256:` +
//! 64 hex digits. `NAME@DIGEST` names the image whose repo digest that is
//! (the Engine records one per repository an image was pulled from or
//! pushed to: `docker image inspect`'s `RepoDigests`), as `docker run
//! NAME@DIGEST` finds it: the Engine resolves it (`/images/{name}/json`,
//! 404 when it has no such repo digest) and the image is exported by its
//! ID, so it carries no name, as by ID. The manifest lade builds from the
//! export (uncompressed layers) is not the registry's the digest names,
//! so the digest is not checked against it (skopeo 1.9 does, and fails
//! every such copy with "Manifest does not match provided manifest
//! digest"). A destination needs NAME[:TAG]: `docker load` names images
//! by tag only. Deleting NAME@DIGEST removes that repo digest, as `docker
//! rmi NAME@DIGEST` does. A name with both a tag and a digest is refused, as for
//! `docker://` (the Engine would read the digest and pass over the tag).
//!
//! # Reading
//!
//! `/images/{name}/json` gives, before anything is exported, the image ID
//! (the config digest) and `RootFS.Layers` (the diff_ids in order). Then
//! `GET /images/{name}/get` streams `docker save`'s tar — not seekable, and
//! in the legacy layout (Docker ≤ 24) with `manifest.json` at the end and
//! the config somewhere among the layers. The source is therefore a
//! [`StreamedSource`]: each layer member (legacy `<id>/layer.tar`, Docker
//! 25+ `blobs/sha256/<diff_id>`; uncompressed in both) is handed to the
//! copy as it arrives, which hashes it on the way (its digest must be one
//! of the diff_ids) and puts it into the destination (see `copy::stream`
//! for when a layer gzipped for a registry goes through a temp file).
//! A second thread drains the socket ahead of that work, at most 16 MiB
//! ahead ([`pipelined`]): the daemon's socket buffer holds ~200 KiB, so
//! without it the daemon's writer waits each time lade hashes and writes.
//! **Where a layer waits until its position is known: in the destination
//! itself.** Every destination accepts blobs in any order before the
//! manifest, so no layer is parked in lade's store, and one kept as it is
//! crosses the disk once. The manifest — Docker v2 schema 2,
//! the same bytes the docker-archive source builds for the same image —
//! is made at the end, from the config's diff_ids and the streamed sizes.
//! Symlinked `layer.tar` members (a layer repeated) and the legacy `json`,
//! `VERSION`, `repositories`, `manifest.json` and OCI index files are
//! skipped: the config (checked against the ID) is the source of truth.
//! A layer compressed in the export (a containerd image store may do it)
//! is not recognised and the copy fails naming the missing diff_id.
//!
//! `get_manifest`/`get_blob` (used by `inspect`) stream the export once,
//! hashing layers without writing them, and keep the manifest and config;
//! layer blobs cannot be read one by one (the API has no such call).
//!
//! # Writing
//!
//! The destination streams a docker-archive (the [`ArchiveDest`] writer,
//! legacy + skopeo layout) into `POST /images/load`, run on a thread,
//! through a bounded in-process channel of buffers (no OS pipe: no extra
//! kernel copies, no wake-up per 64 KiB). **Gzip layers go in as they
//! are**: `docker load` detects a compressed layer file, decompresses it
//! and checks the result against the config's diff_id, so lade verifies
//! the compressed digest while streaming and neither decompresses nor
//! stages anything (skopeo decompresses each layer into a temp file
//! first). Uncompressed layers go in as they are too. A zstd layer, which
//! older daemons cannot load, is decompressed and staged in a temp file
//! (the tar entry needs its size first), as is every layer when
//! `--dest-compress-format none` is given. The body
//! ends cleanly only at commit: a copy that fails or is dropped aborts the
//! request, so the daemon loads nothing. The JSON progress stream is read
//! to its end and an `errorDetail` in it fails the copy even under HTTP
//! 200. The image is tagged NAME:TAG (plus `--additional-tag`s), nothing
//! else.

pub mod client;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::transport::docker_archive::synthesize_manifest;

use super::docker_archive::{tag_ref, ArchiveDest, DOCKER_LAYER};
use super::{
    BlobInfo, DestProperties, ImageDestination, ImageReference, ImageSource, Reused, StreamedImage,
    StreamedLayer, StreamedSource, TransportOptions,
};
use crate::archive::clean_path;
use crate::error::{Error, Kind, Result};
use crate::fsutil::{pipelined, read_capped, ChannelReader};
use crate::model::{
    Algorithm, Descriptor, Digest, DockerRef, ImageConfig, MediaType, Platform, RawManifest,
    MAX_MANIFEST_SIZE,
};
use client::{Client, DaemonHost};

/// What an export stream gave: the config's bytes (if it had them) and
/// the size of each layer, by diff_id.
type ExportParts = (Option<Vec<u8>>, HashMap<Digest, u64>);

/// A parsed `docker-daemon:` name.
#[derive(Debug, Clone, PartialEq)]
pub enum DaemonRef {
    /// NAME:TAG, normalised, `:latest` added; or NAME@DIGEST, a repo
    /// digest (no tag).
    Named(DockerRef),
    /// `sha256:ID`.
    Id(Digest),
}

pub fn parse(details: &str) -> Result<Box<dyn ImageReference>> {
    Ok(Box::new(DaemonRef::parse(details)?))
}

impl DaemonRef {
    pub fn parse(details: &str) -> Result<DaemonRef> {
        if details.is_empty() {
            return Err(Error::new("docker-daemon: needs NAME[:TAG] or sha256:ID"));
        }
        if details.starts_with("sha256:") {
            return Ok(DaemonRef::Id(Digest::parse(details)?));
        }
        let r = DockerRef::parse(details)?;
        if let (Some(t), Some(d)) = (&r.tag, &r.digest) {
            return Err(Error::new(format!(
                "docker-daemon:{details}: names both tag {t:?} and digest {d}; \
                 name one: NAME:TAG or NAME@DIGEST"
            )));
        }
        Ok(DaemonRef::Named(r.with_default_tag()))
    }

    /// The repo digest the name carries (NAME@DIGEST).
    fn digest(&self) -> Option<&Digest> {
        match self {
            DaemonRef::Named(r) => r.digest.as_ref(),
            DaemonRef::Id(_) => None,
        }
    }

    /// The name the Engine API is given.
    fn api_name(&self) -> String {
        match self {
            DaemonRef::Named(r) => r.familiar(),
            DaemonRef::Id(d) => d.to_string(),
        }
    }
}

/// The Engine an image is read from (or deleted in): the command's
/// option (named as `opts` says, else `flag`), else the environment's.
fn src_host(opts: &TransportOptions, flag: &'static str) -> DaemonHost {
    let flag = match opts.src_daemon_flag {
        "" => flag,
        f => f,
    };
    DaemonHost::resolve(opts.src_daemon_host.as_deref(), flag)
}

impl fmt::Display for DaemonRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "docker-daemon:{}", self.api_name())
    }
}

impl ImageReference for DaemonRef {
    fn transport(&self) -> &'static str {
        "docker-daemon"
    }

    /// NAME:TAG; none for an ID or a repo digest, which name no tag (the
    /// image goes without a name, as by ID).
    fn docker_reference(&self) -> Option<String> {
        match self {
            DaemonRef::Named(r) if r.digest.is_none() => Some(r.familiar()),
            _ => None,
        }
    }

    fn policy_scopes(&self) -> Vec<String> {
        match self {
            DaemonRef::Named(r) => crate::copy::policy::docker_scopes(r),
            DaemonRef::Id(_) => Vec::new(),
        }
    }

    fn source(&self, opts: &TransportOptions) -> Result<Box<dyn ImageSource>> {
        let host = src_host(opts, "--src-daemon-host");
        Ok(Box::new(DaemonSource::open(self, Client::connect(host)?)?))
    }

    fn delete(&self, opts: &TransportOptions) -> Result<()> {
        let host = src_host(opts, "--daemon-host");
        Client::connect(host)?.remove_image(&self.api_name())
    }

    fn destination(&self, opts: &TransportOptions) -> Result<Box<dyn ImageDestination>> {
        if self.digest().is_some() {
            return Err(Error::new(
                "docker-daemon: a destination needs NAME[:TAG], not NAME@DIGEST \
                 (docker load names images by tag)",
            ));
        }
        let DaemonRef::Named(name) = self else {
            return Err(Error::new(
                "docker-daemon: a destination needs NAME[:TAG], not an image ID",
            ));
        };
        let mut names = vec![name.clone()];
        for t in &opts.additional_tags {
            names.push(tag_ref(t)?);
        }
        let host = DaemonHost::resolve(opts.dest_daemon_host.as_deref(), "--dest-daemon-host");
        Ok(Box::new(DaemonDest::open(
            Client::connect(host)?,
            names,
            opts,
        )?))
    }
}

/// Reads one image of a daemon.
pub struct DaemonSource {
    client: Arc<Client>,
    name: String,
    config_digest: Digest,
    diff_ids: Vec<Digest>,
    /// The platform the daemon says the image is for, if it says one.
    platform: Option<Platform>,
    /// Manifest and config after a measuring pass (for get_manifest).
    measured: Mutex<Option<(RawManifest, Vec<u8>)>>,
}

impl DaemonSource {
    fn open(r: &DaemonRef, client: Client) -> Result<DaemonSource> {
        let name = r.api_name();
        let info = client.image_info(&name)?;
        let config_digest = Digest::parse(&info.id)
            .map_err(|e| e.context(format!("{}: image {name}: its ID", client.host)))?;
        Ok(DaemonSource {
            client: Arc::new(client),
            name,
            config_digest,
            diff_ids: info.root_fs.layers,
            platform: Platform::of(&info.os, &info.architecture, info.variant.as_deref()),
            measured: Mutex::new(None),
        })
    }

    fn measure(&self) -> Result<(RawManifest, Vec<u8>)> {
        let mut m = self.measured.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = &*m {
            return Ok(v.clone());
        }
        let img = self.stream(&mut |l| Ok(Digest::of_reader(Algorithm::Sha256, l.reader)?.0))?;
        *m = Some((img.manifest.clone(), img.config.clone()));
        Ok((img.manifest, img.config))
    }

    /// The export's error, named with the image.
    fn ctx(&self, e: Error) -> Error {
        e.context(format!("exporting {}", self.name))
    }
}

/// Which member of the export a path is.
enum Member {
    Config,
    Layer(Option<Digest>),
    Other,
}

impl DaemonSource {
    fn classify(&self, path: &str, diff_set: &HashSet<&Digest>) -> Member {
        let hex = self.config_digest.hex();
        let base = path.rsplit('/').next().unwrap_or(path);
        // Docker 25+: blobs/<alg>/<hex>, layers named by their diff_id.
        if let Some(rest) = path.strip_prefix("blobs/") {
            let named = rest
                .split_once('/')
                .and_then(|(alg, h)| Digest::parse(&format!("{alg}:{h}")).ok());
            return match named {
                Some(d) if d == self.config_digest => Member::Config,
                Some(d) if diff_set.contains(&d) => Member::Layer(Some(d)),
                _ => Member::Other,
            };
        }
        if !path.contains('/') && base.strip_suffix(".json") == Some(hex) {
            return Member::Config;
        }
        // containers/image's layout (podman's Docker API): DIFF_ID_HEX.tar
        // at the top, ID/layer.tar a symlink to it.
        if !path.contains('/') {
            let named = base
                .strip_suffix(".tar")
                .and_then(|h| Digest::parse(&format!("sha256:{h}")).ok())
                .filter(|d| diff_set.contains(d));
            if let Some(d) = named {
                return Member::Layer(Some(d));
            }
        }
        if base == "layer.tar" {
            return Member::Layer(None);
        }
        Member::Other
    }

    /// The layers (handed to `on_layer`) and the config of an export
    /// stream; returns the config's bytes and each layer's size.
    fn read_export(
        &self,
        body: &mut dyn Read,
        on_layer: &mut dyn FnMut(StreamedLayer<'_>) -> Result<Digest>,
    ) -> Result<ExportParts> {
        let mut ar = tar::Archive::new(crate::archive::TarGuard::new(body));
        let diff_set: HashSet<&Digest> = self.diff_ids.iter().collect();
        let mut sizes: HashMap<Digest, u64> = HashMap::new();
        let mut config: Option<Vec<u8>> = None;
        let entries = ar.entries().map_err(|e| self.ctx(e.into()))?;
        for entry in entries {
            let mut e = entry.map_err(|e| self.ctx(e.into()))?;
            if !e.header().entry_type().is_file() {
                continue; // directories; symlinked layer.tar of repeated layers
            }
            let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let Some(path) = clean_path(&raw) else {
                continue;
            };
            let size = e.size();
            match self.classify(&path, &diff_set) {
                Member::Other => {}
                Member::Config => {
                    let bytes = read_capped(&mut e, MAX_MANIFEST_SIZE, "the image config")
                        .map_err(|e| self.ctx(e))?;
                    let got = Digest::of_bytes(&bytes);
                    if got != self.config_digest {
                        return Err(self.ctx(Error::new(format!(
                            "the config {path} hashes to {got}, not the image ID {}",
                            self.config_digest
                        ))));
                    }
                    config = Some(bytes);
                }
                Member::Layer(named) => {
                    let mut r = ExactReader {
                        inner: &mut e,
                        left: size,
                        name: &path,
                    };
                    let d = on_layer(StreamedLayer {
                        name: &path,
                        size,
                        named,
                        reader: &mut r,
                    })?;
                    if !diff_set.contains(&d) {
                        return Err(self.ctx(Error::new(format!(
                            "{path} ({d}) is none of the image's layers"
                        ))));
                    }
                    sizes.insert(d, size);
                }
            }
        }
        Ok((config, sizes))
    }
}

impl StreamedSource for DaemonSource {
    fn config_digest(&self) -> &Digest {
        &self.config_digest
    }

    fn diff_ids(&self) -> &[Digest] {
        &self.diff_ids
    }

    fn platform(&self) -> Option<&Platform> {
        self.platform.as_ref()
    }

    fn stream(
        &self,
        on_layer: &mut dyn FnMut(StreamedLayer<'_>) -> Result<Digest>,
    ) -> Result<StreamedImage> {
        // By the ID found when opened, not the name: a name moved to
        // another image meanwhile (docker tag, a pull) would export that.
        let id = self.config_digest.to_string();
        let body = self.client.export(&id).map_err(|e| self.ctx(e))?;
        // A second thread drains the socket into a bounded read-ahead while
        // this one hashes and writes: the daemon's socket buffer holds only
        // ~200 KiB, and without it the daemon waits whenever lade works.
        let (config, sizes) = pipelined(Box::new(body), |body| self.read_export(body, on_layer))?;
        let config = config.ok_or_else(|| {
            self.ctx(Error::new(format!(
                "the export has no config {} (did the daemon stop mid-stream?)",
                self.config_digest
            )))
        })?;
        let parsed = ImageConfig::parse(&config)
            .map_err(|e| self.ctx(Error::new(format!("the image config: {e}"))))?;
        if parsed.rootfs.diff_ids != self.diff_ids {
            return Err(self.ctx(Error::new(
                "the config's diff_ids differ from the daemon's RootFS.Layers",
            )));
        }
        let mut layers = Vec::with_capacity(self.diff_ids.len());
        for d in &self.diff_ids {
            let size = *sizes.get(d).ok_or_else(|| {
                self.ctx(Error::new(format!(
                    "the export has no uncompressed layer {d} (did the daemon stop mid-stream?)"
                )))
            })?;
            layers.push((MediaType::parse(DOCKER_LAYER), size, d.clone()));
        }
        let manifest = synthesize_manifest(&config, &self.config_digest, &layers)?;
        Ok(StreamedImage { manifest, config })
    }
}

impl ImageSource for DaemonSource {
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        let (m, _) = self.measure()?;
        match instance {
            None => Ok(m),
            Some(d) if *d == m.digest => Ok(m),
            Some(d) => Err(Error::not_found(format!(
                "{d}: a daemon image has a single manifest, no index"
            ))),
        }
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        if desc.digest == self.config_digest {
            let (_, config) = self.measure()?;
            let n = config.len() as u64;
            return Ok((Box::new(io::Cursor::new(config)), Some(n)));
        }
        Err(Error::new(format!(
            "blob {}: a docker-daemon image is read as one stream (lade copy); \
             single layers cannot be fetched",
            desc.digest
        )))
    }

    fn streamed(&self) -> Option<&dyn StreamedSource> {
        Some(self)
    }
}

/// Yields exactly `left` bytes of a member, failing if the stream ends first.
struct ExactReader<'a, R> {
    inner: R,
    left: u64,
    name: &'a str,
}

impl<R: Read> Read for ExactReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::other(Error::new(format!(
                "{}: the export ended {} bytes short (did the daemon stop mid-stream?)",
                self.name, self.left
            ))));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Writes an image into a daemon through `POST /images/load`.
pub struct DaemonDest {
    archive: ArchiveDest,
    /// Our handle on the body channel: the request body ends when it and
    /// the archive's are closed.
    writer: Mutex<Option<SyncSender<io::Result<Vec<u8>>>>>,
    /// Set only after a successful commit; an end of the body without it
    /// is an error that aborts the request.
    done: Arc<AtomicBool>,
    upload: Mutex<Option<JoinHandle<Result<Vec<String>>>>>,
    host: String,
}

impl DaemonDest {
    fn open(client: Client, names: Vec<DockerRef>, opts: &TransportOptions) -> Result<DaemonDest> {
        let host = client.host.to_string();
        let (w, r) = mpsc::sync_channel(BODY_DEPTH);
        let archive_w = ChanWriter { tx: w.clone() };
        let done = Arc::new(AtomicBool::new(false));
        let mut body = Guarded {
            inner: ChannelReader::new(r, None),
            done: done.clone(),
        };
        let upload = std::thread::Builder::new()
            .name("docker-load".into())
            .spawn(move || client.load(&mut body))?;
        Ok(DaemonDest {
            archive: ArchiveDest::to_writer(Box::new(archive_w), names, opts),
            writer: Mutex::new(Some(w)),
            done,
            upload: Mutex::new(Some(upload)),
            host,
        })
    }

    /// The upload's own error when it has ended (the daemon refused or
    /// the connection broke), else `e`; a broken pipe is never silent here.
    fn explain(&self, e: Error) -> Error {
        let finished = self
            .upload
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|h| h.is_finished());
        if finished || e.kind() == Kind::BrokenPipe {
            if let Some(h) = self.upload.lock().unwrap().take() {
                match h.join() {
                    Ok(Err(up)) => return up,
                    Ok(Ok(_)) => {}
                    Err(_) => return Error::new(format!("{}: the upload panicked", self.host)),
                }
            }
        }
        if e.kind() == Kind::BrokenPipe {
            return Error::new(format!("{}: the daemon closed the upload", self.host));
        }
        e
    }
}

impl ImageDestination for DaemonDest {
    fn properties(&self) -> DestProperties {
        DestProperties {
            ..self.archive.properties()
        }
    }

    fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<Reused>> {
        self.archive.try_reuse_blob(info)
    }

    fn put_blob(&self, reader: &mut dyn Read, expected: &BlobInfo) -> Result<Descriptor> {
        self.archive
            .put_blob(reader, expected)
            .map_err(|e| self.explain(e))
    }

    /// The image is named by the destination (and --additional-tag) only.
    fn put_manifest(
        &self,
        m: &RawManifest,
        instance: Option<&Digest>,
        _names: &[String],
    ) -> Result<()> {
        self.archive
            .put_manifest(m, instance, &[])
            .map_err(|e| self.explain(e))
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let DaemonDest {
            archive,
            writer,
            done,
            upload,
            host,
        } = *self;
        let upload = upload.into_inner().unwrap();
        let fail = |e: Error, upload: Option<JoinHandle<Result<Vec<String>>>>| match upload
            .map(|h| h.join())
        {
            Some(Ok(Err(up))) => up,
            _ if e.kind() == Kind::BrokenPipe => {
                Error::new(format!("{host}: the daemon closed the upload"))
            }
            _ => e,
        };
        if let Err(e) = Box::new(archive).commit() {
            drop(writer);
            return Err(fail(e, upload));
        }
        done.store(true, Ordering::SeqCst);
        drop(writer.into_inner().unwrap());
        match upload.map(|h| h.join()) {
            Some(Ok(r)) => r.map(|_| ()),
            Some(Err(_)) => Err(Error::new(format!("{host}: the upload panicked"))),
            None => Err(Error::new(format!("{host}: the upload ended early"))),
        }
    }
}

/// Buffers in flight between the archive writer and the upload (each as
/// large as one write of the archive's 1 MiB buffer).
const BODY_DEPTH: usize = 4;

/// The archive's end of the body channel: each write is sent as one
/// buffer; a closed upload is a broken pipe, as with an OS pipe.
struct ChanWriter {
    tx: SyncSender<io::Result<Vec<u8>>>,
}

impl Write for ChanWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.tx
            .send(Ok(buf.to_vec()))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The request body: the channel's bytes, and an error instead of a clean
/// end unless the archive was committed (so an abandoned copy aborts the
/// request instead of loading a truncated archive).
struct Guarded {
    inner: ChannelReader,
    done: Arc<AtomicBool>,
}

impl Read for Guarded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && !self.done.load(Ordering::SeqCst) {
            return Err(io::Error::other("the copy was abandoned"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let r = DaemonRef::parse("alpine").unwrap();
        assert_eq!(r.to_string(), "docker-daemon:alpine:latest");
        assert_eq!(r.docker_reference().as_deref(), Some("alpine:latest"));
        let r = DaemonRef::parse("localhost:5000/a/b:2").unwrap();
        assert_eq!(r.api_name(), "localhost:5000/a/b:2");
        let id = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            DaemonRef::parse(&id).unwrap(),
            DaemonRef::Id(Digest::parse(&id).unwrap())
        );
        assert!(DaemonRef::parse("sha256:abc").is_err());
        // a repo digest: given to the Engine as it is, naming no tag
        let r = DaemonRef::parse(&format!("localhost:5000/a@{id}")).unwrap();
        assert_eq!(r.api_name(), format!("localhost:5000/a@{id}"));
        assert_eq!(r.docker_reference(), None);
        let e = DaemonRef::parse(&format!("a:1@{id}")).unwrap_err();
        assert!(e.message().contains("both tag"), "{e:?}");
        assert!(DaemonRef::parse("").is_err());
    }
}
