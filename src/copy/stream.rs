//! Copying from a [`StreamedSource`] (docker-daemon:): the layers come in
//! the stream's order and go into the destination, which is where they
//! wait until the manifest, built at the end of the stream, gives them
//! their positions.
//!
//! The plan is made before streaming from what the source declares (a
//! Docker v2s2 image with uncompressed layers, its diff_ids): every layer
//! gets the same action. A kept layer is put straight from the stream with
//! its size and, when the stream names it, its digest; the destination
//! computes and checks the digest, which must be one of the diff_ids.
//! Kept layers the destination holds already (asked by diff_id before the
//! stream starts) are not written again: one the stream names by digest
//! is read past and checked; one it names by path is known once written
//! and said present. When the destination holds every layer and the
//! config, the stream is not read at all.
//!
//! A layer compressed on the way is hashed as it is read (its digest must
//! be a diff_id) and the destination computes the compressed digest,
//! unless an earlier push made it and the destination holds it (see
//! [`Compressing`]: then the layer is read but not sent, and the image
//! not read at all when the destination holds all of it). Into a
//! destination that waits on the network (a registry), each layer of a
//! many-layer image is read into a temp file and compressed and sent from
//! there by a worker while the stream goes on (one per core, or
//! `--image-parallel-copies`; a temp file per worker, two with
//! `--dest-precompute-digests`); a failed upload is tried again from its
//! file. Otherwise a layer goes straight from the stream, read once, and a
//! failure ends the copy, except that while the destination holds some of
//! the image's layers, a layer the stream names by path is read into a
//! temp file first to learn which it is (and is then retried like a
//! worker's).
//!
//! Progress: a layer the stream names by digest is started (`blob_start`)
//! as its read begins. One it names by path is started once its digest is
//! known, so that every event about it (the upload's `blob_progress`,
//! `blob_retried`) comes after its start and before its one end: once
//! read into a temp file, before it is sent; written straight from the
//! stream, once written, just before its end. A worker's failed layer is
//! ended (`blob_failed`) by the worker, with its own error; one that fails
//! in the stream, and any a cut leaves, by the copy's catch-all.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Seek};
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use super::blob::{made_in_file, put_file, with_retries};
use super::plan::{self, layer_type, LayerAction};
use super::progress::{Outcome, Progress};
use super::{CopyOptions, CopyReport};
use crate::compress::pgzip;
use crate::error::{Error, Result};
use crate::fsutil::scratch_file;
use crate::model::{
    Algorithm, Compression, Descriptor, Digest, HashingReader, HashingWriter, Manifest, MediaType,
    RawManifest,
};
use crate::transport::docker_archive::DOCKER_LAYER;
use crate::transport::registry::Retries;
use crate::transport::{BlobInfo, ImageDestination, Reused, StreamedSource};

pub(super) fn copy_streamed(
    src: &dyn StreamedSource,
    dst: &dyn ImageDestination,
    names: &[String],
    opts: &CopyOptions,
    progress: &Progress,
) -> Result<CopyReport> {
    let props = dst.properties();
    let layer_mt = MediaType::parse(DOCKER_LAYER);
    super::check_single_platform(opts, src.platform())?;
    // What the source will deliver, sizes unknown yet: enough to plan.
    let provisional = declared(src, 0);
    let plan = plan::plan(
        &MediaType::DockerManifest,
        &provisional,
        &props,
        super::wants(opts),
    )?;
    let action = plan.layers.first().copied().unwrap_or(LayerAction::Keep);

    let compressing = match action {
        LayerAction::Transform { to, .. } => Some(Compressing::new(
            src.diff_ids(),
            dst,
            to,
            layer_type(&layer_mt, plan.format, to)?,
            opts,
        )?),
        // (a docker-archive: or daemon image names no URLs)
        LayerAction::Keep | LayerAction::External => None,
    };
    // Layers kept as they are go under their diff_ids: those the
    // destination holds already (a layout the image was copied into
    // before) are read past, not written again.
    let kept_type = layer_type(&layer_mt, plan.format, Compression::None)?;
    let held = match &compressing {
        Some(c) => &c.earlier,
        None => &held_as_they_are(src.diff_ids(), dst, &kept_type)?,
    };
    if let Some(report) = all_held(dst, held, src, plan.format, names, progress)? {
        return Ok(report);
    }
    // Into a destination that waits on the network (a registry), layers
    // are compressed and sent by up to `workers` threads at once, each
    // from a temp file it was read into, while the stream goes on. Each
    // worker compresses on every core (see pgzip) with its own blocks in
    // memory: by default no more of them than cores.
    let cores = crate::cores();
    let workers = match (&compressing, dst.parallel_transfers()) {
        (Some(_), n) if n > 0 && props.concurrent_writes && src.diff_ids().len() > 1 => {
            opts.parallel_blobs.unwrap_or(n.min(cores))
        }
        _ => 1,
    };
    let uploads = Uploads::new(workers);
    let img = std::thread::scope(|scope| {
        src.stream(&mut |l| {
            let t0 = Instant::now();
            // A layer the stream names by digest (Docker 25+) is started, and
            // its progress said, under that name. One it names by path
            // (Docker 24 and older) is started once its digest is known
            // (`begin`): staged, before it is sent; written straight from
            // the stream, once written, just before its end. Its time is
            // counted from when its read began (a named one's from here).
            let named = l
                .named
                .clone()
                .map(|d| Descriptor::new(layer_mt.clone(), d, l.size));
            // An unnamed one's read is said as its path's (`layer_read`),
            // from when it begins (a worker's place may be waited for first).
            let read_began = std::cell::Cell::new(None);
            let (mut counted, mut unnamed);
            let reader: &mut dyn Read = match &named {
                Some(d) => {
                    progress.blob_start_at(d, t0, None);
                    counted = progress.counting(&mut *l.reader, d);
                    &mut counted
                }
                None => {
                    unnamed = progress.reading_unnamed(&mut *l.reader, l.name, l.size, &read_began);
                    &mut unnamed
                }
            };
            let ctx = |e: Error| e.about("layer", l.name);
            let (size, layer_mt, by_path) = (l.size, &layer_mt, l.named.is_none());
            let (path, read_began) = (l.name, &read_began);
            let begin = move |u: &Digest| {
                if by_path {
                    let d = Descriptor::new(layer_mt.clone(), u.clone(), size);
                    let t = read_began.get().unwrap_or(t0);
                    progress.blob_start_at(&d, t, Some(path));
                }
            };
            let said = move |u: &Digest, landed: &Landed| {
                let desc = Descriptor::new(layer_mt.clone(), u.clone(), size);
                match landed {
                    Landed::Sent(out) => progress.blob_done(&desc, out, out.size, Outcome::Copied),
                    Landed::Had(have) => progress.blob_present(&desc, have),
                }
            };
            let (uncompressed, landed) = match &compressing {
                None => match l.named.as_ref().and_then(|d| Some((d, held.get(d)?))) {
                    Some((d, have)) => {
                        read_past(reader, d).map_err(ctx)?;
                        (d.clone(), Landed::Had(have.clone()))
                    }
                    None => {
                        let info = BlobInfo {
                            media_type: kept_type.clone(),
                            digest: l.named.clone(),
                            size: Some(l.size),
                        };
                        let out = dst.put_blob(reader, &info).map_err(ctx)?;
                        // (one the stream names by path, known once read)
                        begin(&out.digest);
                        match held.get(&out.digest) {
                            Some(have) => (out.digest, Landed::Had(have.clone())),
                            None => (out.digest.clone(), Landed::Sent(out)),
                        }
                    }
                },
                Some(c) if workers > 1 => match c.known(reader, l.named.as_ref()).map_err(ctx)? {
                    Some(done) => done,
                    None => {
                        // A worker's place first: at most `workers` staged files.
                        let place = uploads.place()?;
                        let (file, u) = c.stage(reader).map_err(ctx)?;
                        begin(&u);
                        if let Some(have) = c.earlier.get(&u) {
                            place.give_back();
                            (u, Landed::Had(have.clone()))
                        } else {
                            // Sent by a worker, which says so.
                            let (name, d) = (l.name.to_string(), u.clone());
                            std::thread::Builder::new()
                                .name("lade-transfer".into())
                                .spawn_scoped(scope, move || {
                                    let r = c
                                        .send_staged(file, &d, size, progress, by_path)
                                        .map_err(|e| e.about("layer", &name));
                                    match &r {
                                        Ok(landed) => said(&d, landed),
                                        // (ended now, with its own error)
                                        Err(e) => progress.blob_failed(
                                            &Descriptor::new(layer_mt.clone(), d.clone(), size),
                                            e,
                                        ),
                                    }
                                    place.done(d, r);
                                })
                                .map_err(|e| {
                                    Error::from(e).context("starting a transfer thread")
                                })?;
                            return Ok(u);
                        }
                    }
                },
                Some(c) => c
                    .layer(reader, l.named.as_ref(), l.size, progress, &begin)
                    .map_err(ctx)?,
            };
            said(&uncompressed, &landed);
            uploads.add(uncompressed.clone(), Ok(landed));
            Ok(uncompressed)
        })
    });
    let (mut copied, mut skipped) = (0, 0);
    let mut stored: HashMap<Digest, Descriptor> = HashMap::new();
    // The stream's own failure, unless it stopped because a worker's
    // layer failed: then that failure.
    let (stopped, landed) = uploads.finish();
    let img = match img {
        Err(e) if !stopped => return Err(e),
        img => img,
    };
    for (u, r) in landed {
        match r? {
            Landed::Sent(out) => {
                copied += 1;
                stored.insert(u, out);
            }
            Landed::Had(have) => {
                skipped += 1;
                stored.insert(u, have.desc);
            }
        }
    }
    let img = img?;

    let raw = img.manifest;
    let source_digest = raw.digest.clone();
    let manifest = raw.manifest()?;
    let mut config_info = BlobInfo::from(&manifest.config);
    config_info.media_type = plan.format.config_type();
    if let Some(have) = dst.try_reuse_blob(&config_info)? {
        skipped += 1;
        progress.blob_present(&manifest.config, &have);
    } else {
        progress.blob_start(&manifest.config);
        dst.put_blob(&mut img.config.as_slice(), &config_info)?;
        copied += 1;
        progress.blob_done(
            &manifest.config,
            &manifest.config,
            img.config.len() as u64,
            Outcome::Copied,
        );
    }
    let out = if plan.rewrite {
        let layers = manifest
            .layers
            .iter()
            .map(|l| {
                let s = stored
                    .get(&l.digest)
                    .ok_or_else(|| Error::new(format!("layer {} was not copied", l.digest)))?;
                let mut d = l.clone();
                d.media_type = s.media_type.clone();
                d.digest = s.digest.clone();
                d.size = s.size;
                Ok(d)
            })
            .collect::<Result<Vec<_>>>()?;
        plan::rewritten(&manifest, plan.format, layers)?
    } else {
        raw
    };
    written(
        dst,
        out,
        names,
        progress,
        (copied, skipped),
        Some(source_digest),
    )
}

/// The image as the daemon declares it before its stream (its ID and
/// diff_ids): a Docker v2s2 manifest whose layers have no sizes yet.
fn declared(src: &dyn StreamedSource, config_size: u64) -> Manifest {
    let layer_mt = MediaType::parse(DOCKER_LAYER);
    Manifest {
        schema_version: 2,
        media_type: Some(MediaType::DockerManifest),
        config: Descriptor::new(
            MediaType::DockerConfig,
            src.config_digest().clone(),
            config_size,
        ),
        layers: src
            .diff_ids()
            .iter()
            .map(|d| Descriptor::new(layer_mt.clone(), d.clone(), 0))
            .collect(),
        artifact_type: None,
        subject: None,
        annotations: None,
        extra: Default::default(),
    }
}

/// Write the image's manifest `out` and say so: the copy's report.
fn written(
    dst: &dyn ImageDestination,
    out: RawManifest,
    names: &[String],
    progress: &Progress,
    (copied, skipped): (usize, usize),
    source_digest: Option<Digest>,
) -> Result<CopyReport> {
    dst.put_manifest(&out, None, names)?;
    progress.message(&format!("Writing manifest {}", out.digest));
    Ok(CopyReport {
        manifest_digest: out.digest,
        source_digest,
        blobs_copied: copied,
        blobs_skipped: skipped,
        tags_written: Vec::new(),
        attachments_changed: false,
    })
}

/// What the destination holds of `diff_ids`, kept as they are (type
/// `media_type`): diff_id → the blob there.
fn held_as_they_are(
    diff_ids: &[Digest],
    dst: &dyn ImageDestination,
    media_type: &MediaType,
) -> Result<HashMap<Digest, Reused>> {
    let mut held = HashMap::new();
    for d in diff_ids {
        let info = BlobInfo {
            media_type: media_type.clone(),
            digest: Some(d.clone()),
            size: None,
        };
        if let Some(have) = dst.try_reuse_blob(&info)? {
            held.insert(d.clone(), have);
        }
    }
    Ok(held)
}

/// The image written without reading the stream, when the destination
/// holds every layer (`held`: by diff_id, as they are or as an earlier
/// push compressed them), and the config (by the image ID): the manifest
/// is made from what the daemon said of the image (its ID, its
/// diff_ids) and from what the destination holds, the same manifest a
/// copy through the stream makes.
fn all_held(
    dst: &dyn ImageDestination,
    held: &HashMap<Digest, Reused>,
    src: &dyn StreamedSource,
    format: plan::Format,
    names: &[String],
    progress: &Progress,
) -> Result<Option<CopyReport>> {
    let layers: Option<Vec<&Reused>> = src.diff_ids().iter().map(|d| held.get(d)).collect();
    let Some(layers) = layers else {
        return Ok(None);
    };
    let config_info = BlobInfo {
        media_type: format.config_type(),
        digest: Some(src.config_digest().clone()),
        size: None,
    };
    let Some(config) = dst.try_reuse_blob(&config_info)? else {
        return Ok(None);
    };
    let layer_mt = MediaType::parse(DOCKER_LAYER);
    // Each layer once, as the stream gives it (an image may repeat one).
    let mut seen = std::collections::HashSet::new();
    for (d, have) in src.diff_ids().iter().zip(&layers) {
        if seen.insert(d) {
            let src_desc = Descriptor::new(layer_mt.clone(), d.clone(), have.desc.size);
            progress.blob_present(&src_desc, have);
        }
    }
    let manifest = declared(src, config.desc.size);
    progress.blob_present(&manifest.config, &config);
    let layers = layers.iter().map(|r| r.desc.clone()).collect();
    let out = plan::rewritten(&manifest, format, layers)?;
    written(dst, out, names, progress, (0, seen.len() + 1), None).map(Some)
}

/// Read a layer the stream names by `named` past, checking that it is
/// what the name says.
fn read_past(r: &mut dyn Read, named: &Digest) -> Result<()> {
    let mut h = HashingReader::new(r, Algorithm::Sha256);
    io::copy(&mut h, &mut io::sink())?;
    let (got, _) = h.finish();
    if got != *named {
        return Err(Error::new(format!(
            "content hashes to {got}, not the digest the stream names it by"
        )));
    }
    Ok(())
}

/// Where a layer of the stream went.
enum Landed {
    /// Sent: what the destination stored.
    Sent(Descriptor),
    /// Not sent: the destination holds it (as it is, or what an earlier
    /// push compressed it into).
    Had(Reused),
}

/// Compressing the stream's layers on their way into `dst`.
///
/// A layer an earlier push compressed (the blob-info cache) and the
/// destination still holds is not sent again. The lookup is made before
/// the stream starts, for each of the image's diff_ids: one request each
/// that the cache knows a result for. A layer the stream names by digest
/// (Docker 25+) is then known at once; one it names by path (Docker ≤ 24)
/// only once read, so while any layer is held, the unnamed layers are
/// read into a temp file first and compressed from there if they must go.
struct Compressing<'a> {
    dst: &'a dyn ImageDestination,
    to: Compression,
    media_type: MediaType,
    level: Option<u32>,
    /// `--dest-precompute-digests`: each layer is compressed into a temp
    /// file, so its digest is known before it is sent.
    precompute: bool,
    tmp_dir: Option<&'a Path>,
    retries: Retries,
    /// diff_id → what the destination holds of it.
    earlier: HashMap<Digest, Reused>,
}

impl<'a> Compressing<'a> {
    fn new(
        diff_ids: &[Digest],
        dst: &'a dyn ImageDestination,
        to: Compression,
        media_type: MediaType,
        opts: &'a CopyOptions,
    ) -> Result<Self> {
        let mut earlier = HashMap::new();
        for d in diff_ids {
            let Some((digest, size)) = crate::blob_cache::lookup(d, to) else {
                continue;
            };
            let info = BlobInfo {
                media_type: media_type.clone(),
                digest: Some(digest),
                size: Some(size),
            };
            if let Some(have) = dst.try_reuse_blob(&info)? {
                earlier.insert(d.clone(), have);
            }
        }
        Ok(Compressing {
            dst,
            to,
            media_type,
            level: opts.compression_level,
            precompute: opts.precompute_digests,
            tmp_dir: opts.transport.tmp_dir.as_deref(),
            retries: opts.transport.dest_registry.retries,
            earlier,
        })
    }

    /// One layer of the stream, read from `r`: its diff_id, and where it
    /// went. `begin` is told the diff_id once it is known, before the
    /// layer is sent where it can be (see [`Self::straight`]).
    fn layer(
        &self,
        r: &mut dyn Read,
        named: Option<&Digest>,
        size: u64,
        progress: &Progress,
        begin: &dyn Fn(&Digest),
    ) -> Result<(Digest, Landed)> {
        if let Some(done) = self.known(r, named)? {
            return Ok(done);
        }
        if named.is_some() || self.earlier.is_empty() {
            return self.straight(r, size, progress, begin);
        }
        // Read first, to know what it is.
        let (file, uncompressed) = self.stage(r)?;
        begin(&uncompressed);
        if let Some(have) = self.earlier.get(&uncompressed) {
            return Ok((uncompressed, Landed::Had(have.clone())));
        }
        let landed = self.send_staged(file, &uncompressed, size, progress, true)?;
        Ok((uncompressed, landed))
    }

    /// A layer the stream names by a digest whose result the destination
    /// holds: read past (the stream goes on), checked, not sent.
    fn known(&self, r: &mut dyn Read, named: Option<&Digest>) -> Result<Option<(Digest, Landed)>> {
        let Some((named, have)) = named.and_then(|d| Some((d, self.earlier.get(d)?))) else {
            return Ok(None);
        };
        read_past(r, named)?;
        Ok(Some((named.clone(), Landed::Had(have.clone()))))
    }

    /// Read a layer into a temp file: the file and the layer's diff_id.
    fn stage(&self, r: &mut dyn Read) -> Result<(fs::File, Digest)> {
        let mut w = HashingWriter::new(
            io::BufWriter::new(scratch_file(self.tmp_dir, "to read a layer into")?),
            Algorithm::Sha256,
        );
        io::copy(r, &mut w)?;
        let (uncompressed, _, file) = w.finish();
        Ok((file.into_inner().map_err(|e| e.into_error())?, uncompressed))
    }

    /// A layer read into `file`, compressed into the destination (each
    /// try reads the file again). With `said_here`, its `blob_progress` is
    /// the file's bytes as they go (a layer the stream names by path, whose
    /// read was not said under its digest); else the stream's read said it.
    fn send_staged(
        &self,
        file: fs::File,
        uncompressed: &Digest,
        size: u64,
        progress: &Progress,
        said_here: bool,
    ) -> Result<Landed> {
        let desc = Descriptor::new(MediaType::parse(DOCKER_LAYER), uncompressed.clone(), size);
        let rewound = || -> Result<&fs::File> {
            let mut f = &file;
            f.seek(io::SeekFrom::Start(0))?;
            Ok(f)
        };
        let counted = || -> Result<Box<dyn Read + '_>> {
            let f = rewound()?;
            Ok(match said_here {
                true => Box::new(progress.counting_staged(f, &desc)),
                false => Box::new(f),
            })
        };
        if self.precompute {
            let (made, digest, size) = with_retries(&desc, self.retries, progress, || {
                self.compress_to_file(&mut counted()?)
            })?;
            return self.send_made(uncompressed, made, digest, size, &desc, progress);
        }
        let out = with_retries(&desc, self.retries, progress, || self.send(&mut counted()?))?;
        Ok(self.sent(uncompressed, out))
    }

    /// A layer compressed straight from the stream, read once; `begin`
    /// told its diff_id once read: before it is sent with
    /// `--dest-precompute-digests`, else once sent.
    fn straight(
        &self,
        r: &mut dyn Read,
        size: u64,
        progress: &Progress,
        begin: &dyn Fn(&Digest),
    ) -> Result<(Digest, Landed)> {
        let mut hashing = HashingReader::new(r, Algorithm::Sha256);
        if self.precompute {
            let (made, digest, made_size) = self.compress_to_file(&mut hashing)?;
            let (uncompressed, _) = hashing.finish();
            begin(&uncompressed);
            let desc = Descriptor::new(MediaType::parse(DOCKER_LAYER), uncompressed.clone(), size);
            let landed = self.send_made(&uncompressed, made, digest, made_size, &desc, progress)?;
            return Ok((uncompressed, landed));
        }
        let out = self.send(&mut hashing)?;
        let (uncompressed, _) = hashing.finish();
        begin(&uncompressed);
        Ok((uncompressed.clone(), self.sent(&uncompressed, out)))
    }

    /// [`super::blob::compressor`] for the stream's reader, which is not
    /// `Send` (it borrows the export's tar reader).
    fn compressor<'r>(&self, r: &'r mut dyn Read) -> io::Result<Box<dyn Read + 'r>> {
        Ok(match self.to {
            Compression::None => Box::new(r),
            // Parallel, as for every other copy (see pgzip).
            Compression::Gzip => Box::new(pgzip::ParGzEncoder::new(r, self.level)),
            Compression::Zstd => Box::new(zstd::stream::read::Encoder::new(
                r,
                self.level.map_or(3, |l| l as i32),
            )?),
        })
    }

    /// Compress `r` into the destination, which computes the digest.
    fn send(&self, r: &mut dyn Read) -> Result<Descriptor> {
        let info = BlobInfo {
            media_type: self.media_type.clone(),
            digest: None,
            size: None,
        };
        self.dst.put_blob(&mut self.compressor(r)?, &info)
    }

    /// A layer sent as `out`, remembered for the next push.
    fn sent(&self, uncompressed: &Digest, out: Descriptor) -> Landed {
        crate::blob_cache::record(uncompressed, self.to, &out.digest, out.size);
        Landed::Sent(out)
    }

    /// Compress `r` into a temp file: the file, the result's digest and size.
    fn compress_to_file(&self, r: &mut dyn Read) -> Result<(fs::File, Digest, u64)> {
        made_in_file(&mut self.compressor(r)?, self.tmp_dir)
    }

    /// A layer compressed into `made`: asked for at the destination by
    /// its digest, sent only if it is not there.
    fn send_made(
        &self,
        uncompressed: &Digest,
        made: fs::File,
        digest: Digest,
        size: u64,
        desc: &Descriptor,
        progress: &Progress,
    ) -> Result<Landed> {
        crate::blob_cache::record(uncompressed, self.to, &digest, size);
        let info = BlobInfo {
            media_type: self.media_type.clone(),
            digest: Some(digest),
            size: Some(size),
        };
        if let Some(have) = self.dst.try_reuse_blob(&info)? {
            return Ok(Landed::Had(have));
        }
        let out = put_file(self.dst, &made, &info, desc, self.retries, progress)?;
        Ok(Landed::Sent(out))
    }
}

/// The layers of a stream as they land, and the places for the workers
/// sending them.
struct Uploads {
    state: Mutex<UploadState>,
    cv: Condvar,
    workers: usize,
}

#[derive(Default)]
struct UploadState {
    busy: usize,
    failed: bool,
    /// The stream was stopped because a worker's layer failed.
    stopped: bool,
    landed: Vec<(Digest, Result<Landed>)>,
}

/// A worker's place, taken by [`Uploads::place`]. Given back with the
/// layer's result, or with none; dropped otherwise (an error on the way, a
/// panic), it counts as a failure, so the stream stops and nothing waits
/// for it.
struct Place<'u> {
    uploads: &'u Uploads,
    given: bool,
}

impl Place<'_> {
    fn done(mut self, uncompressed: Digest, r: Result<Landed>) {
        self.given = true;
        self.uploads.release(Some((uncompressed, r)), false);
    }

    /// Not needed after all (the destination holds the layer).
    fn give_back(mut self) {
        self.given = true;
        self.uploads.release(None, false);
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if !self.given {
            self.uploads.release(None, true);
        }
    }
}

impl Uploads {
    fn new(workers: usize) -> Self {
        Uploads {
            state: Mutex::default(),
            cv: Condvar::new(),
            workers: workers.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, UploadState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for a free worker place and take it; an error once a layer
    /// failed (the stream stops; the failure itself is reported).
    fn place(&self) -> Result<Place<'_>> {
        let mut st = self
            .cv
            .wait_while(self.lock(), |st| st.busy >= self.workers && !st.failed)
            .unwrap_or_else(|e| e.into_inner());
        if st.failed {
            st.stopped = true;
            return Err(Error::new("a layer failed"));
        }
        st.busy += 1;
        Ok(Place {
            uploads: self,
            given: false,
        })
    }

    fn release(&self, landed: Option<(Digest, Result<Landed>)>, failed: bool) {
        let mut st = self.lock();
        if let Some((u, r)) = landed {
            st.failed |= r.is_err();
            st.landed.push((u, r));
        }
        st.failed |= failed;
        st.busy -= 1;
        drop(st);
        self.cv.notify_all();
    }

    /// A layer landed without a worker.
    fn add(&self, uncompressed: Digest, r: Result<Landed>) {
        self.lock().landed.push((uncompressed, r));
    }

    /// Whether the stream was stopped by a worker's failure, and every
    /// layer's result, the failures first.
    fn finish(self) -> (bool, Vec<(Digest, Result<Landed>)>) {
        let st = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut v = st.landed;
        v.sort_by_key(|(_, r)| r.is_ok());
        (st.stopped, v)
    }
}
