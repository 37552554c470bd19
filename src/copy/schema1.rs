//! Copying a Docker schema 1 image (a registry's, or a `dir:` skopeo
//! wrote from one): it is written as the schema 2 image containers/image
//! makes of it. That image's config lists each layer's uncompressed
//! digest, which schema 1 does not give, and the config comes before the
//! manifest that names it. So the layers go first ([`stream`]): each is
//! copied to the destination as it is, and what it decompresses to is
//! hashed as its bytes pass; the config and the manifest follow. Where a
//! layer changes on the way (a destination that takes layers
//! uncompressed, zstd asked for, an uncompressed layer into a registry),
//! or the source cannot tell the layers' sizes and first bytes, the
//! layers are read first, once, into a temporary directory (`--tmpdir`),
//! their digests checked and their contents hashed, and the copy takes
//! them from there. A layer read before (the blob-info cache keeps what it
//! was) is not read for its content again.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use super::blob::{self, Step};
use super::plan::{self, LayerAction};
use super::progress::{Outcome, Progress};
use super::CopyOptions;
use crate::error::{Error, Result};
use crate::model::schema1::{ConvertedLayer, Schema1};
use crate::model::{
    Algorithm, Compression, Descriptor, Digest, HashingWriter, ImageConfig, MediaType, RawManifest,
};
use crate::transport::{BlobInfo, ImageDestination, ImageSource, Referrers};
use crate::verify::VerifyingReader;

/// Copy schema 1 image `top` as its schema 2 conversion, counting the
/// blobs copied and skipped into `counts`; the manifest to write, as
/// [`super::copy_single`] gives it.
pub(super) fn copy(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    top: &RawManifest,
    opts: &CopyOptions,
    progress: &Progress,
    counts: &mut (usize, usize),
) -> Result<RawManifest> {
    // Written as its schema 2 conversion, which the source's digest does
    // not name.
    if opts.preserve_digests {
        return Err(Error::invalid(format!(
            "--preserve-digests: {} is a Docker schema 1 manifest, which lade writes \
             converted to schema 2, under another digest",
            top.digest
        )));
    }
    let ctx = |e: Error| e.context(top.digest.to_string());
    let s1 = Schema1::parse(&top.bytes).map_err(ctx)?;
    let converted = match known_layers(&s1) {
        // Every layer read before: the copy takes them from the source,
        // checked against their digests as always.
        Some(read) => Converted::made(src, &s1, &read, HashMap::new(), None).map_err(ctx)?,
        None => match stream(src, dst, &s1, &top.digest, opts, progress, counts)? {
            Some(out) => return Ok(out),
            None => Converted::read_first(src, &s1, &top.digest, opts, progress)?,
        },
    };
    let manifest = converted.manifest.clone();
    super::copy_single(&converted, dst, manifest, None, opts, progress, counts)
}

/// Copy the layers of `s1` (schema 1 manifest `digest`) to `dst` as they
/// are, working out what each decompresses to as its bytes pass; then its
/// config; the manifest to write. Layers the destination has, or takes
/// without their bytes passing here (linked from a local source), are
/// read for their content, unless the blob-info cache knows it. None,
/// nothing done, where a layer is to change on the way, or the source
/// does not tell the layers' sizes and first bytes (which the manifest
/// and the plan need).
fn stream(
    src: &dyn ImageSource,
    dst: &dyn ImageDestination,
    s1: &Schema1,
    digest: &Digest,
    opts: &CopyOptions,
    progress: &Progress,
    counts: &mut (usize, usize),
) -> Result<Option<RawManifest>> {
    let blobs = s1.image_layers();
    let unique = each_once(&blobs);
    // The sizes the manifest is to give (schema 1 gives none) and the
    // compressions the first bytes tell, as the source gives them.
    let starts = for_each(src, unique.len(), |i| {
        src.blob_start(&gzip_layer(unique[i], 0))
            .map_err(|e| e.about("layer", unique[i]))
    });
    let mut start_of = HashMap::new();
    for (d, start) in unique.iter().zip(starts) {
        let Some((size, compression)) = start? else {
            return Ok(None);
        };
        if compression == Compression::Zstd {
            return Err(Error::invalid(ZSTD).about("layer", d));
        }
        start_of.insert(*d, (size, compression));
    }
    // The image as planned: the sizes those to write, the content digests
    // stand-ins (an uncompressed layer's is its own, as it will be).
    let planned: Vec<ConvertedLayer> = blobs
        .iter()
        .map(|d| ConvertedLayer {
            size: start_of[d].0,
            diff_id: match start_of[d].1 {
                Compression::None => (*d).clone(),
                _ => Digest::of_bytes(d.to_string().as_bytes()),
            },
        })
        .collect();
    let ctx = |e: Error| e.context(digest);
    let (config, made) = s1.to_schema2(&planned).map_err(ctx)?;
    let manifest = made.manifest()?;
    let props = dst.properties();
    let wants = super::wants(opts);
    let plan = plan::plan(&made.media_type, &manifest, &props, wants)?;
    if plan.layers.iter().any(|a| *a != LayerAction::Keep) {
        return Ok(None);
    }
    // (said before anything is written)
    let image = ImageConfig::parse(&config)?;
    super::check_single_platform(opts, image.platform().as_ref())?;

    let teeing = Teeing {
        inner: src,
        seen: Mutex::new(HashMap::new()),
    };
    // What a layer's bytes were found to be, remembered (in this process
    // at least) before its claim goes: a copy of another image here that
    // waited for the claim finds the blob there, and this.
    let copied = |d: &Digest| {
        if let Some(l) = teeing.seen(d) {
            crate::blob_cache::record_schema1_layer(d, l.size, &l.diff_id);
        }
    };
    let one = |i: usize, wait: bool| {
        let layer = &manifest.layers[i];
        let step = Step {
            copied: Some(&copied),
            ..super::layer_step(opts, LayerAction::Keep, plan.format, None)
        };
        blob::try_copy_blob(&teeing, dst, layer, &step, progress, wait)
            .map_err(|e| e.about("layer", &layer.digest))
            .transpose()
    };
    let n = manifest.layers.len();
    let results: Vec<Result<blob::Copied>> = match super::transfers(src, dst, opts) {
        Some(transfers) => blob::in_parallel(n, transfers, |i| manifest.layers[i].size, one),
        None => (0..n)
            .map(|i| one(i, true).expect("a waiting copy gives a result"))
            .collect(),
    };
    let mut done = (0, 0);
    let mut read: HashMap<Digest, ConvertedLayer> = HashMap::new();
    // (each kept as it is: its label is the compression its first bytes
    // show, so no copy takes it for another)
    for (layer, r) in manifest.layers.iter().zip(results) {
        let c = r?;
        c.outcome.count_in(&mut done);
        // Known once the destination took the bytes whole, their digest
        // checked (bytes that do not decompress went no further).
        if let (Outcome::Copied, Some(l)) = (c.outcome, teeing.seen(&layer.digest)) {
            read.insert(layer.digest.clone(), l);
        }
    }
    for d in &unique {
        if let (false, Some((size, diff_id))) =
            (read.contains_key(*d), crate::blob_cache::schema1_layer(d))
        {
            read.insert((*d).clone(), ConvertedLayer { size, diff_id });
        }
    }
    let unread: Vec<&Digest> = unique
        .iter()
        .copied()
        .filter(|d| !read.contains_key(*d))
        .collect();
    if !unread.is_empty() {
        progress.message(&format!(
            "Reading {} layer{} the destination has, for the uncompressed digests schema 2 lists",
            unread.len(),
            if unread.len() == 1 { "" } else { "s" }
        ));
    }
    let got = for_each(src, unread.len(), |i| {
        content_of(src, unread[i]).map_err(|e| e.about("layer", unread[i]))
    });
    for (d, l) in unread.into_iter().zip(got) {
        read.insert(d.clone(), l?);
    }
    let read: Vec<ConvertedLayer> = blobs.iter().map(|d| read[*d].clone()).collect();
    let (config, made) = s1.to_schema2(&read).map_err(ctx)?;
    let manifest = made.manifest()?;
    let desc = &manifest.config;
    let info = BlobInfo {
        media_type: plan.format.config_type(),
        ..BlobInfo::from(desc)
    };
    let c = blob::with_claim(dst, &desc.digest, true, || {
        super::put_config(dst, desc, &config, &info, opts, progress)
    })
    .expect("a waiting claim is taken")?;
    c.outcome.count_in(&mut done);
    counts.0 += done.0;
    counts.1 += done.1;
    let out = match plan.rewrite {
        true => {
            let layers = plan::convert_layers(&manifest.layers, plan.format)?;
            plan::rewritten(&manifest, plan.format, layers)?
        }
        false => made,
    };
    Ok(Some(out))
}

/// Each of `digests` once, in order.
fn each_once<'d>(digests: &[&'d Digest]) -> Vec<&'d Digest> {
    let mut seen = HashSet::new();
    digests
        .iter()
        .copied()
        .filter(|d| seen.insert(*d))
        .collect()
}

/// `f(i)` for every `i` in `0..n`, results in order: several at a time
/// where `src` reads so (as a copy does), else one by one.
fn for_each<T: Send>(src: &dyn ImageSource, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    match src.concurrent_reads() {
        true => blob::in_parallel(n, src.parallel_transfers(), |_| 0, |i, _| Some(f(i))),
        false => (0..n).map(f).collect(),
    }
}

/// A schema 1 layer's descriptor, as its blob is asked for.
fn gzip_layer(d: &Digest, size: u64) -> Descriptor {
    Descriptor::new(MediaType::DockerLayerGzip, d.clone(), size)
}

/// A schema 1 image seen as its schema 2 conversion: the manifest and
/// config made here, the layers read first from the temporary directory;
/// anything else from the source.
struct Converted<'a> {
    inner: &'a dyn ImageSource,
    manifest: RawManifest,
    config: (Digest, Vec<u8>),
    layers: HashMap<Digest, PathBuf>,
    _dir: Option<crate::fsutil::MadeDir>,
}

impl<'a> Converted<'a> {
    /// The conversion of `s1` whose layers are as `read` says; those in
    /// `layers` read into `dir`.
    fn made(
        inner: &'a dyn ImageSource,
        s1: &Schema1,
        read: &[ConvertedLayer],
        layers: HashMap<Digest, PathBuf>,
        dir: Option<crate::fsutil::MadeDir>,
    ) -> Result<Converted<'a>> {
        let (config, manifest) = s1.to_schema2(read)?;
        Ok(Converted {
            inner,
            manifest,
            config: (Digest::of_bytes(&config), config),
            layers,
            _dir: dir,
        })
    }

    /// The conversion of `s1` (schema 1 manifest `digest`), its layers
    /// read first into a temporary directory in `--tmpdir`.
    fn read_first(
        inner: &'a dyn ImageSource,
        s1: &Schema1,
        digest: &Digest,
        opts: &CopyOptions,
        progress: &Progress,
    ) -> Result<Converted<'a>> {
        let base = opts
            .transport
            .tmp_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir);
        // Removed when the copy is done or fails, or a signal ends it.
        let dir = crate::fsutil::MadeDir::new(Some(
            tempfile::Builder::new()
                .prefix(crate::fsutil::TMP_PREFIX)
                .tempdir_in(&base)
                .map_err(|e| {
                    Error::from(e).context(format!(
                        "making a temporary directory in {} (--tmpdir)",
                        base.display()
                    ))
                })?
                .keep(),
        ));
        let dir_path = dir.path().expect("made").to_path_buf();
        progress.message(&format!(
            "Reading the layers of schema 1 image {digest} to convert it to schema 2"
        ));
        // Each blob once, several at a time where the source reads so
        // (as a copy would), the first failure ending the rest.
        let blobs = s1.image_layers();
        let unique = each_once(&blobs);
        let failed = std::sync::atomic::AtomicBool::new(false);
        let got = for_each(inner, unique.len(), |i| {
            if failed.load(std::sync::atomic::Ordering::SeqCst) {
                return None;
            }
            let d = unique[i];
            let r = fetch(inner, d, &dir_path.join(d.hex())).map_err(|e| e.about("layer", d));
            if r.is_err() {
                failed.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            Some(r)
        });
        let mut read: HashMap<Digest, ConvertedLayer> = HashMap::new();
        // (the first failure in order, of those that ran)
        for (d, r) in unique.iter().zip(got) {
            if let Some(r) = r {
                read.insert((*d).clone(), r?);
            }
        }
        if read.len() < unique.len() {
            return Err(Error::new("a layer was not read"));
        }
        let layers = read
            .keys()
            .map(|d| (d.clone(), dir_path.join(d.hex())))
            .collect();
        let read: Vec<ConvertedLayer> = blobs.iter().map(|d| read[*d].clone()).collect();
        Converted::made(inner, s1, &read, layers, Some(dir)).map_err(|e| e.context(digest))
    }
}

/// The schema 2 manifest schema 1 image `raw` converts to, when each of
/// its layers has been read before (their sizes and uncompressed
/// digests remembered, [`crate::blob_cache`]); None otherwise.
pub(super) fn known_conversion(raw: &RawManifest) -> Result<Option<RawManifest>> {
    let s1 = Schema1::parse(&raw.bytes)?;
    match known_layers(&s1) {
        Some(layers) => Ok(Some(s1.to_schema2(&layers)?.1)),
        None => Ok(None),
    }
}

/// The image layers of `s1` as read before (remembered in
/// [`crate::blob_cache`]), if every one was.
fn known_layers(s1: &Schema1) -> Option<Vec<ConvertedLayer>> {
    s1.image_layers()
        .into_iter()
        .map(|d| {
            let (size, diff_id) = crate::blob_cache::schema1_layer(d)?;
            Some(ConvertedLayer { size, diff_id })
        })
        .collect()
}

/// Read layer `d` into `path`, checked against its digest, hashing what
/// it decompresses to on the way.
fn fetch(src: &dyn ImageSource, d: &Digest, path: &std::path::Path) -> Result<ConvertedLayer> {
    let mut f = File::options().write(true).create_new(true).open(path)?;
    let read = read_through(src, d, &mut f)?;
    f.flush()?;
    Ok(read)
}

/// What layer `d` is: read, checked against its digest, and decompressed.
fn content_of(src: &dyn ImageSource, d: &Digest) -> Result<ConvertedLayer> {
    read_through(src, d, &mut io::sink())
}

/// Read layer `d` into `out`, checked against its digest; what it is
/// (remembered in the blob-info cache).
fn read_through(src: &dyn ImageSource, d: &Digest, out: &mut dyn Write) -> Result<ConvertedLayer> {
    let (r, _) = super::get_listed_blob(src, &gzip_layer(d, 0))?;
    let slot = Mutex::new(None);
    let mut r = Tee::new(VerifyingReader::new(r, d, None), d, None, |l| {
        *slot.lock().unwrap() = Some(l);
    });
    io::copy(&mut r, out)?;
    drop(r);
    let read = slot.into_inner().unwrap();
    let l = read.expect("a layer read to its end is told")?;
    crate::blob_cache::record_schema1_layer(d, l.size, &l.diff_id);
    Ok(l)
}

/// The source, with what its layers decompress to worked out as their
/// bytes pass (to the destination): known once a layer's bytes ended
/// and the destination took them (its digest checked), see [`stream`].
/// A layer whose bytes do not decompress fails its read before their
/// end, so that no destination takes it: as what it is named, which a
/// second read tells (see [`held`]).
struct Teeing<'a> {
    inner: &'a dyn ImageSource,
    /// By layer: what its last read to its end found.
    seen: Mutex<HashMap<Digest, ConvertedLayer>>,
}

impl Teeing<'_> {
    /// What the last read of layer `d` to its end found it to be.
    fn seen(&self, d: &Digest) -> Option<ConvertedLayer> {
        self.seen.lock().unwrap().get(d).cloned()
    }
}

/// The error to end a read of layer `d` with, its bytes found not to
/// decompress (`e`): that, where a second read finds them what they are
/// named and still not decompressing; else what the second read found
/// (their digest not theirs: a fault, tried again), or, the second read
/// sound, a fault in the first (tried again too).
fn held(src: &dyn ImageSource, d: &Digest, e: Error) -> Error {
    match content_of(src, d) {
        Ok(_) => Error::new(format!(
            "read again, as its bytes did not decompress once ({e})"
        ))
        .transient(),
        Err(again) => again,
    }
}

impl ImageSource for Teeing<'_> {
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        self.inner.get_manifest(instance)
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        let (r, size) = self.inner.get_blob(desc)?;
        let d = desc.digest.clone();
        let seen = &self.seen;
        let inner = self.inner;
        // (ended at the size planned, which a destination takes exactly)
        let r = Tee::new(r, &desc.digest, Some(desc.size), move |l| {
            if let Ok(l) = l {
                seen.lock().unwrap().insert(d.clone(), l);
            }
        })
        .holding(move |d, e| held(inner, d, e));
        Ok((Box::new(r), size))
    }

    // (no local_blob_path: a layer linked into the destination would
    // not pass the tee)

    fn blob_start(&self, desc: &Descriptor) -> Result<Option<(u64, Compression)>> {
        self.inner.blob_start(desc)
    }

    fn concurrent_reads(&self) -> bool {
        self.inner.concurrent_reads()
    }

    fn parallel_transfers(&self) -> usize {
        self.inner.parallel_transfers()
    }
}

/// What ends a [`Tee`]'s read of blob `d` whose bytes do not decompress
/// (`e`): the error to end it with.
type Hold<'a> = Box<dyn FnMut(&Digest, Error) -> Error + Send + 'a>;

/// Reads `inner`, working out what the bytes read decompress to
/// ([`Content`]) as they pass; tells `done` what they are once they end,
/// or reach the `size` expected (a reader that takes so many bytes need
/// not ask for the end). Bytes that do not decompress are passed on all
/// the same, and said at the end (what reads them may find they are not
/// what they are named, a fault on the way, which is the error then);
/// unless holding ([`Tee::holding`]): then the read that finds it fails,
/// before the bytes' end is passed on.
struct Tee<'a, R, F: FnMut(Result<ConvertedLayer>)> {
    inner: R,
    blob: Digest,
    size: Option<u64>,
    /// Bytes passed on so far.
    passed: u64,
    content: Option<Result<Content>>,
    done: F,
    hold: Option<Hold<'a>>,
}

impl<'a, R: Read, F: FnMut(Result<ConvertedLayer>)> Tee<'a, R, F> {
    fn new(inner: R, blob: &Digest, size: Option<u64>, done: F) -> Self {
        Tee {
            inner,
            blob: blob.clone(),
            size,
            passed: 0,
            content: Some(Ok(Content::default())),
            done,
            hold: None,
        }
    }

    /// Fail the read that finds the bytes do not decompress, with what
    /// `hold` makes of that; `done` is told of bytes that do only.
    fn holding(mut self, hold: impl FnMut(&Digest, Error) -> Error + Send + 'a) -> Self {
        self.hold = Some(Box::new(hold));
        self
    }
}

impl<R: Read, F: FnMut(Result<ConvertedLayer>)> Read for Tee<'_, R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.passed += n as u64;
        let Some(state) = self.content.as_mut() else {
            return Ok(n);
        };
        if let Ok(content) = state {
            if let Err(e) = content.feed(&buf[..n]) {
                *state = Err(e);
            }
        }
        let end = (n == 0 && !buf.is_empty()) || Some(self.passed) == self.size;
        let failed = matches!(self.content, Some(Err(_)));
        if end || (failed && self.hold.is_some()) {
            let told = match self.content.take().expect("some") {
                Ok(content) => content.finish(&self.blob),
                Err(e) => Err(e),
            };
            match (told, self.hold.as_mut()) {
                (Err(e), Some(hold)) => return Err(hold(&self.blob, e).into()),
                (told, _) => (self.done)(told),
            }
        }
        Ok(n)
    }
}

/// What a layer's bytes are, worked out as they pass: how many, and the
/// digest of what they decompress to.
#[derive(Default)]
struct Content {
    size: u64,
    state: State,
}

enum State {
    /// The first bytes, until they tell the compression.
    Start(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<HashingWriter<io::Sink>>>),
}

impl Default for State {
    fn default() -> Self {
        State::Start(Vec::new())
    }
}

/// A zstd layer's refusal.
const ZSTD: &str = "it is zstd-compressed, which a schema 1 image cannot hold";

/// Bytes that do not decompress.
fn undecompressed(e: io::Error) -> Error {
    Error::invalid(format!("it does not decompress: {e}"))
}

impl Content {
    fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        self.size += bytes.len() as u64;
        match &mut self.state {
            State::Start(first) => {
                first.extend_from_slice(bytes);
                if first.len() >= crate::compress::SNIFF_LEN {
                    self.told()?;
                }
            }
            State::Plain => {}
            State::Gzip(z) => z.write_all(bytes).map_err(undecompressed)?,
        }
        Ok(())
    }

    /// The compression the first bytes tell, taken.
    fn told(&mut self) -> Result<()> {
        let State::Start(first) = &mut self.state else {
            return Ok(());
        };
        let first = std::mem::take(first);
        self.state = State::Plain;
        match crate::compress::sniff(&first) {
            Compression::None => {}
            Compression::Gzip => {
                let mut z = flate2::write::MultiGzDecoder::new(HashingWriter::new(
                    io::sink(),
                    Algorithm::Sha256,
                ));
                z.write_all(&first).map_err(undecompressed)?;
                self.state = State::Gzip(Box::new(z));
            }
            Compression::Zstd => return Err(Error::invalid(ZSTD)),
        }
        Ok(())
    }

    /// The layer, its bytes having ended: its size and uncompressed digest
    /// (`blob`'s own where it is not compressed).
    fn finish(mut self, blob: &Digest) -> Result<ConvertedLayer> {
        self.told()?;
        let diff_id = match self.state {
            State::Gzip(z) => z.finish().map_err(undecompressed)?.finish().0,
            _ => blob.clone(),
        };
        Ok(ConvertedLayer {
            size: self.size,
            diff_id,
        })
    }
}

impl ImageSource for Converted<'_> {
    fn get_manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        match instance {
            None => Ok(self.manifest.clone()),
            Some(d) if *d == self.manifest.digest => Ok(self.manifest.clone()),
            Some(d) => self.inner.get_manifest(Some(d)),
        }
    }

    fn get_blob(&self, desc: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
        if desc.digest == self.config.0 {
            let bytes = &self.config.1;
            return Ok((Box::new(&bytes[..]), Some(bytes.len() as u64)));
        }
        match self.layers.get(&desc.digest) {
            Some(path) => {
                let f = File::open(path)?;
                let size = f.metadata()?.len();
                Ok((Box::new(f), Some(size)))
            }
            None => self.inner.get_blob(desc),
        }
    }

    /// A layer read is a whole file here: a local destination on its
    /// filesystem links it rather than writing it again.
    fn local_blob_path(&self, desc: &Descriptor) -> Option<PathBuf> {
        self.layers.get(&desc.digest).cloned()
    }

    fn concurrent_reads(&self) -> bool {
        true
    }

    fn repo_tags(&self) -> Vec<String> {
        self.inner.repo_tags()
    }

    fn manifest_by_tag(&self, tag: &str) -> Result<Option<RawManifest>> {
        self.inner.manifest_by_tag(tag)
    }

    fn referrers(&self, subject: &Digest) -> Result<Referrers> {
        self.inner.referrers(subject)
    }

    fn left_behind(&self) -> Option<String> {
        self.inner.left_behind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// What `Content` makes of `bytes` fed in pieces of `piece`.
    fn content(bytes: &[u8], piece: usize) -> Result<ConvertedLayer> {
        let blob = Digest::of_bytes(bytes);
        let mut c = Content::default();
        for p in bytes.chunks(piece) {
            c.feed(p)?;
        }
        c.finish(&blob)
    }

    #[test]
    fn content_is_what_the_bytes_decompress_to() {
        let tar = vec![7u8; 100_000];
        let gz = gzip(&tar);
        for piece in [1, 3, 4, 5, 4096, gz.len()] {
            let l = content(&gz, piece).unwrap();
            assert_eq!(l.size, gz.len() as u64);
            assert_eq!(l.diff_id, Digest::of_bytes(&tar), "pieces of {piece}");
        }
        // Two gzip members: their contents, one after the other.
        let two = [gzip(b"ab"), gzip(b"cd")].concat();
        assert_eq!(content(&two, 3).unwrap().diff_id, Digest::of_bytes(b"abcd"));
        // Not compressed: the blob is its own content (also when shorter
        // than the bytes that tell a compression, or empty).
        for plain in [&tar[..], b"ab", b""] {
            let l = content(plain, 2).unwrap();
            assert_eq!(l.diff_id, Digest::of_bytes(plain));
            assert_eq!(l.size, plain.len() as u64);
        }
    }

    #[test]
    fn content_that_does_not_decompress_is_refused() {
        let gz = gzip(&[1u8; 5000]);
        for (bytes, says) in [
            (gz[..gz.len() - 5].to_vec(), "does not decompress"),
            (gz[..2].to_vec(), "does not decompress"),
            ([&gz[..], b"junk"].concat(), "does not decompress"),
            (vec![0x28, 0xb5, 0x2f, 0xfd, 0, 0], "zstd"),
        ] {
            let e = content(&bytes, 7).unwrap_err();
            assert!(e.is_invalid() && e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn a_tee_tells_at_the_end_or_at_the_size_expected_and_passes_every_byte() {
        let tar = vec![9u8; 70_000];
        let gz = gzip(&tar);
        let blob = Digest::of_bytes(&gz);
        for size in [None, Some(gz.len() as u64)] {
            let told = Mutex::new(Vec::new());
            let mut tee = Tee::new(&gz[..], &blob, size, |l| told.lock().unwrap().push(l));
            let mut out = Vec::new();
            match size {
                // (taken to its size, its end not asked for)
                Some(n) => (&mut tee).take(n).read_to_end(&mut out).map(drop).unwrap(),
                None => tee.read_to_end(&mut out).map(drop).unwrap(),
            }
            drop(tee);
            assert_eq!(out, gz);
            let told = told.into_inner().unwrap();
            assert_eq!(told.len(), 1, "{size:?}");
            assert_eq!(told[0].as_ref().unwrap().diff_id, Digest::of_bytes(&tar));
        }
        // Read in part (its compression sniffed): nothing told.
        let told = Mutex::new(0);
        let mut tee = Tee::new(&gz[..], &blob, None, |_| *told.lock().unwrap() += 1);
        tee.read_exact(&mut [0u8; 4]).unwrap();
        drop(tee);
        assert_eq!(*told.lock().unwrap(), 0);
        // Bytes that do not decompress pass all the same (what reads them
        // checks what they are named), and are told at their end.
        let bad = [&gz[..100], &[0u8; 100][..]].concat();
        let told = Mutex::new(Vec::new());
        let mut tee = Tee::new(&bad[..], &blob, None, |l| told.lock().unwrap().push(l));
        let mut out = Vec::new();
        tee.read_to_end(&mut out).unwrap();
        drop(tee);
        assert_eq!(out, bad);
        let told = told.into_inner().unwrap();
        assert_eq!(told.len(), 1);
        let e = told[0].as_ref().unwrap_err();
        assert!(
            e.is_invalid() && e.to_string().contains("does not decompress"),
            "{e}"
        );
    }

    #[test]
    fn a_holding_tee_fails_the_read_that_finds_bytes_that_do_not_decompress() {
        let gz = gzip(&vec![5u8; 70_000]);
        let cut = gz[..gz.len() - 4].to_vec();
        let junk = [&gz[..10], &[0xffu8; 5000][..]].concat();
        for (bad, size) in [(&cut, Some(cut.len() as u64)), (&junk, None)] {
            let blob = Digest::of_bytes(bad);
            let told = Mutex::new(0);
            let held = Mutex::new(Vec::new());
            let mut tee =
                Tee::new(&bad[..], &blob, size, |_| *told.lock().unwrap() += 1).holding(|d, e| {
                    held.lock().unwrap().push(d.clone());
                    e.context("held")
                });
            let mut out = Vec::new();
            let mut piece = [0u8; 1000];
            let e = loop {
                match tee.read(&mut piece) {
                    Ok(0) => panic!("read to its end"),
                    Ok(n) => out.extend_from_slice(&piece[..n]),
                    Err(e) => break Error::from(e),
                }
            };
            drop(tee);
            // (the end withheld: whatever takes the bytes never has them all)
            assert!(out.len() < bad.len(), "{} of {}", out.len(), bad.len());
            assert!(
                e.to_string().starts_with("held: it does not decompress"),
                "{e}"
            );
            assert_eq!(*held.lock().unwrap(), vec![blob]);
            assert_eq!(*told.lock().unwrap(), 0);
        }
        // Bytes that decompress pass whole, told once, nothing held.
        let blob = Digest::of_bytes(&gz);
        let told = Mutex::new(0);
        let mut tee = Tee::new(&gz[..], &blob, Some(gz.len() as u64), |l| {
            assert!(l.is_ok());
            *told.lock().unwrap() += 1
        })
        .holding(|_, _| panic!("held"));
        let mut out = Vec::new();
        tee.read_to_end(&mut out).unwrap();
        drop(tee);
        assert_eq!((out, *told.lock().unwrap()), (gz, 1));
    }

    /// A source of one blob whose reads give `reads` in turn (the last
    /// one again after).
    struct Reads(Mutex<Vec<Vec<u8>>>);

    impl ImageSource for Reads {
        fn get_manifest(&self, _: Option<&Digest>) -> Result<RawManifest> {
            unreachable!()
        }
        fn get_blob(&self, _: &Descriptor) -> Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
            let mut reads = self.0.lock().unwrap();
            let r = match reads.len() {
                1 => reads[0].clone(),
                _ => reads.remove(0),
            };
            Ok((Box::new(io::Cursor::new(r)), None))
        }
    }

    #[test]
    fn bytes_that_do_not_decompress_are_blamed_on_the_layer_only_when_they_are_what_it_is() {
        let gz = gzip(&vec![3u8; 70_000]);
        let blob = Digest::of_bytes(&gz);
        let mut damaged = gz.clone();
        damaged[gz.len() / 2] ^= 0x55;
        let cut = gz[..gz.len() - 4].to_vec();
        let cut_blob = Digest::of_bytes(&cut);
        // (read of the layer through the tee; the error it ends with)
        let first_read = |src: &Reads, d: &Digest, size: usize| {
            let teeing = Teeing {
                inner: src,
                seen: Mutex::new(HashMap::new()),
            };
            let desc = gzip_layer(d, size as u64);
            let (mut r, _) = teeing.get_blob(&desc).unwrap();
            let e = Error::from(io::copy(&mut r, &mut io::sink()).unwrap_err());
            drop(r);
            assert!(teeing.seen(d).is_none());
            e
        };
        // Damaged on the way once: read again (sound), a fault, retried.
        let src = Reads(Mutex::new(vec![damaged.clone(), gz.clone()]));
        let e = first_read(&src, &blob, gz.len());
        assert!(e.is_transient() && !e.is_invalid(), "{e}");
        // Damaged at the source: not what it is named, retried.
        let src = Reads(Mutex::new(vec![damaged]));
        let e = first_read(&src, &blob, gz.len());
        assert!(
            e.is_transient() && e.to_string().contains("digest mismatch"),
            "{e}"
        );
        // What it is named, and not decompressing: the layer's fault.
        let src = Reads(Mutex::new(vec![cut.clone()]));
        let e = first_read(&src, &cut_blob, cut.len());
        assert!(
            e.is_invalid() && !e.is_transient() && e.to_string().contains("does not decompress"),
            "{e}"
        );
    }
}
