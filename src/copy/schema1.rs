//! Copying a Docker schema 1 image (a registry's, or a `dir:` skopeo
//! wrote from one): it is written as the schema 2 image containers/image
//! makes of it. That image's config lists each layer's uncompressed
//! digest, which schema 1 does not give, and the config comes before the
//! manifest that names it: so the layers are read first, once, into a
//! temporary directory (`--tmpdir`), their digests checked and their
//! contents hashed, and the copy then takes them from there; unless every
//! one was read so before (the blob-info cache keeps what they were), when
//! the copy takes them from the source.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::PathBuf;

use super::progress::Progress;
use super::CopyOptions;
use crate::error::{Error, Result};
use crate::model::schema1::{ConvertedLayer, Schema1};
use crate::model::{Algorithm, Compression, Descriptor, Digest, MediaType, RawManifest};
use crate::transport::{ImageSource, Referrers};
use crate::verify::VerifyingReader;

/// A schema 1 image seen as its schema 2 conversion: the manifest and
/// config made here, the layers from the temporary directory; anything
/// else from the source.
pub(super) struct Converted<'a> {
    inner: &'a dyn ImageSource,
    manifest: RawManifest,
    config: (Digest, Vec<u8>),
    layers: HashMap<Digest, PathBuf>,
    _dir: Option<crate::fsutil::MadeDir>,
}

impl<'a> Converted<'a> {
    pub fn new(
        inner: &'a dyn ImageSource,
        raw: &RawManifest,
        opts: &CopyOptions,
        progress: &Progress,
    ) -> Result<Converted<'a>> {
        let s1 = Schema1::parse(&raw.bytes).map_err(|e| e.context(raw.digest.to_string()))?;
        // Every layer read before: nothing to read now; the copy takes
        // them from the source, checked against their digests as always.
        if let Some(read) = known_layers(&s1) {
            let (config, manifest) = s1
                .to_schema2(&read)
                .map_err(|e| e.context(raw.digest.to_string()))?;
            return Ok(Converted {
                inner,
                manifest,
                config: (Digest::of_bytes(&config), config),
                layers: HashMap::new(),
                _dir: None,
            });
        }
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
            "Reading the layers of schema 1 image {} to convert it to schema 2",
            raw.digest
        ));
        // Each blob once, several at a time where the source reads so
        // (as a copy would), the first failure ending the rest.
        let mut unique: Vec<&Digest> = s1.image_layers();
        let mut seen = std::collections::HashSet::new();
        unique.retain(|d| seen.insert(*d));
        let workers = match (inner.concurrent_reads(), inner.parallel_transfers()) {
            (false, _) => 1,
            (true, 0) => std::thread::available_parallelism().map_or(1, |n| n.get()),
            (true, n) => n,
        }
        .clamp(1, unique.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let failed = std::sync::atomic::AtomicBool::new(false);
        let results: Vec<Result<(Digest, ConvertedLayer)>> = std::thread::scope(|scope| {
            let work = || {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= unique.len() || failed.load(std::sync::atomic::Ordering::SeqCst) {
                        return out;
                    }
                    let d = unique[i];
                    let r = fetch(inner, d, &dir_path.join(d.hex()))
                        .map(|l| (d.clone(), l))
                        .map_err(|e| e.context(format!("layer {d}")));
                    if r.is_err() {
                        failed.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    out.push(r);
                }
            };
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut facts: HashMap<Digest, ConvertedLayer> = HashMap::new();
        for r in results {
            let (d, l) = r?;
            facts.insert(d, l);
        }
        let read: Vec<ConvertedLayer> = s1
            .image_layers()
            .into_iter()
            .map(|d| facts[d].clone())
            .collect();
        let layers: HashMap<Digest, PathBuf> = facts
            .into_keys()
            .map(|d| {
                let p = dir_path.join(d.hex());
                (d, p)
            })
            .collect();
        let (config, manifest) = s1
            .to_schema2(&read)
            .map_err(|e| e.context(raw.digest.to_string()))?;
        Ok(Converted {
            inner,
            manifest,
            config: (Digest::of_bytes(&config), config),
            layers,
            _dir: Some(dir),
        })
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

/// Read layer `d` into `path`, checked against its digest, and hash
/// what it decompresses to.
fn fetch(src: &dyn ImageSource, d: &Digest, path: &std::path::Path) -> Result<ConvertedLayer> {
    let desc = Descriptor::new(MediaType::DockerLayerGzip, d.clone(), 0);
    let (r, _) = super::get_listed_blob(src, &desc)?;
    let mut r = VerifyingReader::new(r, d, None);
    let mut f = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    let size = io::copy(&mut r, &mut f)?;
    f.flush()?;
    f.rewind()?;
    let (compression, _) = crate::compress::sniff_start(&mut f)?;
    f.rewind()?;
    let diff_id = match compression {
        Compression::Gzip => {
            let mut z = flate2::read::MultiGzDecoder::new(BufReader::new(f));
            Digest::of_reader(Algorithm::Sha256, &mut z)
                .map_err(|e| Error::invalid(format!("it does not decompress: {e}")))?
                .0
        }
        Compression::None => d.clone(),
        Compression::Zstd => {
            return Err(Error::invalid(
                "it is zstd-compressed, which a schema 1 image cannot hold",
            ))
        }
    };
    crate::blob_cache::record_schema1_layer(d, size, &diff_id);
    Ok(ConvertedLayer { size, diff_id })
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
