//! Copying from a [`StreamedSource`] (docker-daemon:): the layers come in
//! the stream's order and go straight into the destination, which is where
//! they wait until the manifest, built at the end of the stream, gives
//! them their positions. Nothing is staged here; each layer is read once.
//!
//! The plan is made before streaming from what the source declares (a
//! Docker v2s2 image with uncompressed layers, its diff_ids): every layer
//! gets the same action. A kept layer is put with its size and, when the
//! stream names it, its digest; the destination computes and checks the
//! digest, which must be one of the diff_ids. A recompressed layer is
//! hashed on the way in (its uncompressed digest must be a diff_id) and
//! the destination computes the compressed digest.

use std::collections::HashMap;
use std::io::Read;
use std::time::Instant;

use super::plan::{self, convert_manifest, layer_type, LayerAction, Wants};
use super::progress::{Outcome, Progress};
use super::{CopyOptions, CopyReport};
use crate::compress::pgzip;
use crate::error::{Error, Result};
use crate::model::{
    Algorithm, Compression, Descriptor, Digest, HashingReader, Manifest, MediaType, RawManifest,
};
use crate::transport::docker_archive::DOCKER_LAYER;
use crate::transport::{BlobInfo, ImageDestination, StreamedSource};

pub(super) fn copy_streamed(
    src: &dyn StreamedSource,
    dst: &dyn ImageDestination,
    names: &[String],
    opts: &CopyOptions,
    progress: &Progress,
) -> Result<CopyReport> {
    let props = dst.properties();
    let layer_mt = MediaType::parse(DOCKER_LAYER);
    // What the source will deliver, sizes unknown yet: enough to plan.
    let provisional: Manifest = serde_json::from_value(serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MediaType::DockerManifest.as_str(),
        "config": {"mediaType": MediaType::DockerConfig.as_str(), "size": 0,
                   "digest": src.config_digest().to_string()},
        "layers": src.diff_ids().iter().map(|d| serde_json::json!({
            "mediaType": DOCKER_LAYER, "size": 0, "digest": d.to_string()})).collect::<Vec<_>>(),
    }))?;
    let wants = Wants {
        format: opts.format,
        compression: opts.compression,
        compress_plain: opts.compress_plain,
        preserve_digests: opts.preserve_digests,
    };
    let plan = plan::plan(&MediaType::DockerManifest, &provisional, &props, wants)?;
    let action = plan.layers.first().copied().unwrap_or(LayerAction::Keep);

    let mut stored: HashMap<Digest, Descriptor> = HashMap::new();
    let mut copied = 0;
    let img = src.stream(&mut |l| {
        let t0 = Instant::now();
        // A layer the stream names by digest (Docker 25+) is started, and
        // its progress said, under that name; others are timed and said
        // done once hashed.
        let named = l
            .named
            .clone()
            .map(|d| Descriptor::new(layer_mt.clone(), d, l.size));
        if let Some(d) = &named {
            progress.blob_start(d);
        }
        // (An unnamed layer is counted under the config's digest, which
        // no event is live under while the stream runs: bytes only.)
        let key = named
            .clone()
            .unwrap_or_else(|| Descriptor::new(layer_mt.clone(), src.config_digest().clone(), 0));
        let reader = &mut progress.counting(&mut *l.reader, &key);
        let (uncompressed, out) = match action {
            LayerAction::Keep => {
                let info = BlobInfo {
                    media_type: layer_type(&layer_mt, plan.format, Compression::None)?,
                    digest: l.named.clone(),
                    size: Some(l.size),
                };
                let out = dst
                    .put_blob(reader, &info)
                    .map_err(|e| e.context(format!("layer {}", l.name)))?;
                (out.digest.clone(), out)
            }
            LayerAction::Transform { to, .. } => {
                let info = BlobInfo {
                    media_type: layer_type(&layer_mt, plan.format, to)?,
                    digest: None,
                    size: None,
                };
                let mut hashing = HashingReader::new(reader, Algorithm::Sha256);
                let out = {
                    let level = opts.compression_level;
                    let mut c: Box<dyn Read + '_> = match to {
                        Compression::None => Box::new(&mut hashing),
                        // Parallel, as for every other copy (see pgzip).
                        Compression::Gzip => {
                            Box::new(pgzip::ParGzEncoder::new(&mut hashing, level))
                        }
                        Compression::Zstd => Box::new(zstd::stream::read::Encoder::new(
                            &mut hashing,
                            level.map_or(3, |l| l as i32),
                        )?),
                    };
                    dst.put_blob(&mut c, &info)
                        .map_err(|e| e.context(format!("layer {}", l.name)))?
                };
                (hashing.finish().0, out)
            }
        };
        let src_desc = Descriptor::new(layer_mt.clone(), uncompressed.clone(), l.size);
        progress.started_at(&src_desc, t0);
        progress.blob_done(&src_desc, &out, out.size, Outcome::Copied);
        copied += 1;
        stored.insert(uncompressed.clone(), out);
        Ok(uncompressed)
    })?;

    let raw = img.manifest;
    let source_digest = raw.digest.clone();
    let manifest = raw.manifest()?;
    let mut config_info = BlobInfo::from(&manifest.config);
    config_info.media_type = plan.format.config_type();
    let mut skipped = 0;
    if let Some(have) = dst.try_reuse_blob(&config_info)? {
        skipped += 1;
        progress.blob_present(&manifest.config, &have);
    } else {
        progress.started_at(&manifest.config, Instant::now());
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
        let m = convert_manifest(&manifest, plan.format, layers);
        let bytes = serde_json::to_vec(&m).expect("manifest serializes");
        RawManifest::from_bytes(bytes, Some(&plan.format.manifest_type()))?
    } else {
        raw
    };
    dst.put_manifest(&out, None, names)?;
    progress.message(&format!("Writing manifest {}", out.digest));
    progress.image_done(&out.digest, copied, skipped);
    Ok(CopyReport {
        manifest_digest: out.digest,
        source_digest,
        blobs_copied: copied,
        blobs_skipped: skipped,
        tags_written: Vec::new(),
    })
}
