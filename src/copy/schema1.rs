//! Copying a Docker schema 1 image (a registry's, or a `dir:` skopeo
//! wrote from one): it is written as the schema 2 image containers/image
//! makes of it. That image's config lists each layer's uncompressed
//! digest, which schema 1 does not give, and the config comes before the
//! manifest that names it: so the layers are read first, once, into a
//! temporary directory (`--tmpdir`), their digests checked and their
//! contents hashed, and the copy then takes them from there.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::PathBuf;

use super::progress::Progress;
use super::CopyOptions;
use crate::error::{Error, Result};
use crate::model::media_type::DOCKER_LAYER_TAR;
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
    _dir: crate::fsutil::MadeDir,
}

impl<'a> Converted<'a> {
    pub fn new(
        inner: &'a dyn ImageSource,
        raw: &RawManifest,
        opts: &CopyOptions,
        progress: &Progress,
    ) -> Result<Converted<'a>> {
        let s1 = Schema1::parse(&raw.bytes).map_err(|e| e.context(raw.digest.to_string()))?;
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
        let mut layers = HashMap::new();
        let mut read: Vec<ConvertedLayer> = Vec::new();
        let mut known: HashMap<Digest, usize> = HashMap::new();
        for d in s1.image_layers() {
            if let Some(&i) = known.get(d) {
                let l = &read[i];
                read.push(ConvertedLayer {
                    size: l.size,
                    diff_id: l.diff_id.clone(),
                    media_type: l.media_type.clone(),
                });
                continue;
            }
            let path = dir_path.join(d.hex());
            let layer = fetch(inner, d, &path).map_err(|e| e.context(format!("layer {d}")))?;
            known.insert(d.clone(), read.len());
            layers.insert(d.clone(), path);
            read.push(layer);
        }
        let (config, manifest) = s1
            .to_schema2(&read)
            .map_err(|e| e.context(raw.digest.to_string()))?;
        Ok(Converted {
            inner,
            manifest,
            config: (Digest::of_bytes(&config), config),
            layers,
            _dir: dir,
        })
    }
}

/// The schema 2 manifest schema 1 image `raw` converts to, when each of
/// its layers has been read before (their sizes and uncompressed
/// digests remembered, [`crate::blob_cache`]); None otherwise.
pub(super) fn known_conversion(raw: &RawManifest) -> Result<Option<RawManifest>> {
    let s1 = Schema1::parse(&raw.bytes)?;
    let mut layers = Vec::new();
    for d in s1.image_layers() {
        let Some((size, diff_id)) = crate::blob_cache::schema1_layer(d) else {
            return Ok(None);
        };
        let media_type = if diff_id == *d {
            MediaType::parse(DOCKER_LAYER_TAR)
        } else {
            MediaType::DockerLayerGzip
        };
        layers.push(ConvertedLayer {
            size,
            diff_id,
            media_type,
        });
    }
    Ok(Some(s1.to_schema2(&layers)?.1))
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
    let (diff_id, media_type) = match compression {
        Compression::Gzip => {
            let mut z = flate2::read::MultiGzDecoder::new(BufReader::new(f));
            let (diff_id, _) = Digest::of_reader(Algorithm::Sha256, &mut z)
                .map_err(|e| Error::invalid(format!("it does not decompress: {e}")))?;
            (diff_id, MediaType::DockerLayerGzip)
        }
        Compression::None => (d.clone(), MediaType::parse(DOCKER_LAYER_TAR)),
        Compression::Zstd => {
            return Err(Error::invalid(
                "it is zstd-compressed, which a schema 1 image cannot hold",
            ))
        }
    };
    crate::blob_cache::record_unpacked(d, &diff_id);
    crate::blob_cache::record_schema1_layer(d, size, &diff_id);
    Ok(ConvertedLayer {
        size,
        diff_id,
        media_type,
    })
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
