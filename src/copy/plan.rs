//! Pure decisions for a copy: output manifest format, what happens to each
//! layer, and the manifest conversion itself. No I/O here.

use crate::error::{Error, Result};
use crate::model::media_type::*;
use crate::model::{Compression, Descriptor, Index, Manifest, MediaType};
use crate::transport::DestProperties;

/// A manifest format family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Oci,
    V2s2,
}

impl Format {
    pub fn of(mt: &MediaType) -> Option<Format> {
        match mt {
            MediaType::OciManifest | MediaType::OciIndex => Some(Format::Oci),
            MediaType::DockerManifest | MediaType::DockerList => Some(Format::V2s2),
            _ => None,
        }
    }
    pub fn manifest_type(self) -> MediaType {
        match self {
            Format::Oci => MediaType::OciManifest,
            Format::V2s2 => MediaType::DockerManifest,
        }
    }
    pub fn index_type(self) -> MediaType {
        match self {
            Format::Oci => MediaType::OciIndex,
            Format::V2s2 => MediaType::DockerList,
        }
    }
    pub fn config_type(self) -> MediaType {
        match self {
            Format::Oci => MediaType::OciConfig,
            Format::V2s2 => MediaType::DockerConfig,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Format::Oci => "OCI",
            Format::V2s2 => "Docker v2s2",
        }
    }
}

/// What happens to one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerAction {
    /// Copy the bytes as they are.
    Keep,
    /// Decompress `from` and compress to `to` on the way.
    Transform { from: Compression, to: Compression },
    /// Neither read nor written: a layer with URLs (a Windows base layer)
    /// into a destination that takes it by its descriptor alone (a
    /// registry, an OCI layout), where readers fetch it from those URLs,
    /// as docker push and skopeo leave it. Its media type follows the
    /// format.
    External,
}

impl LayerAction {
    /// Does the layer's blob change (new bytes, a new digest)?
    pub fn changes_bytes(self) -> bool {
        matches!(self, LayerAction::Transform { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub format: Format,
    pub layers: Vec<LayerAction>,
    /// Will the manifest be re-authored (new bytes, new digest)?
    pub rewrite: bool,
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wants {
    pub format: Option<Format>,
    pub compression: Option<Compression>,
    /// Compression for uncompressed layers when `compression` is None and
    /// the destination requires none.
    pub compress_plain: Option<Compression>,
    pub preserve_digests: bool,
}

impl Wants {
    /// Does the copy ask for manifests of type `t` (a destination holds
    /// its `on_request` types only then)? With digests kept, any type the
    /// image has; else those of the format named.
    pub fn asks_for(&self, t: &MediaType) -> bool {
        self.preserve_digests || self.format.is_some_and(|f| Format::of(t) == Some(f))
    }
}

/// Decide format and per-layer actions for copying manifest `m` of type
/// `src_type` to a destination with `props`.
pub fn plan(
    src_type: &MediaType,
    m: &Manifest,
    props: &DestProperties,
    wants: Wants,
) -> Result<Plan> {
    let src_format = Format::of(src_type)
        .filter(|_| src_type.is_manifest())
        .ok_or_else(|| Error::new(format!("cannot copy a {src_type} as an image")))?;
    let formats = |types: &[MediaType]| -> Vec<Format> {
        types
            .iter()
            .filter(|t| t.is_manifest())
            .filter_map(Format::of)
            .collect()
    };
    let accepted = formats(&props.manifest_types);
    // Held when asked for: a format named, or the image's own kept.
    let asked: Vec<MediaType> = props
        .on_request
        .iter()
        .filter(|t| wants.asks_for(t))
        .cloned()
        .collect();
    let on_request = formats(&asked);
    let format = match wants.format {
        Some(f) if accepted.contains(&f) || on_request.contains(&f) => f,
        Some(f) => {
            // Flags the destination cannot honour: a usage mistake (exit 2).
            return Err(Error::usage(format!(
                "the destination does not accept {} manifests",
                f.name()
            )));
        }
        None if accepted.contains(&src_format) => src_format,
        None if on_request.contains(&src_format) => src_format,
        None => *accepted
            .first()
            .ok_or_else(|| Error::new("the destination accepts no image manifests"))?,
    };
    let target = match (props.required_compression, wants.compression) {
        (Some(req), Some(w)) if req != w => {
            return Err(Error::usage(format!(
                "the destination stores layers {}; --dest-compress-format {} is not possible",
                compression_name(req),
                compression_name(w)
            )))
        }
        (Some(req), _) => Some(req),
        (None, w) => w,
    };
    // A Docker v2s2 manifest has no type for zstd layers: with no format
    // asked for, an OCI manifest where the destination takes one (as
    // skopeo does).
    let for_zstd = wants.format.is_none()
        && format == Format::V2s2
        && target == Some(Compression::Zstd)
        && accepted.contains(&Format::Oci);
    let format = if for_zstd { Format::Oci } else { format };
    if format != src_format {
        check_convertible(m, format)?;
    }
    let mut layers = Vec::with_capacity(m.layers.len());
    for l in &m.layers {
        let external = l.urls.as_ref().is_some_and(|u| !u.is_empty());
        let action = layer_action(l.media_type.layer_compression(), external, props, &wants);
        let out = match action {
            LayerAction::Transform { to, .. } => Some(to),
            LayerAction::Keep | LayerAction::External => l.media_type.layer_compression(),
        };
        if format == Format::V2s2 && out == Some(Compression::Zstd) {
            return Err(Error::new(
                "zstd-compressed layers cannot be stored in a Docker v2s2 manifest \
                 (use --dest-compress-format gzip, or --format oci where the destination \
                 takes OCI manifests)",
            ));
        }
        layers.push(action);
    }
    let rewrite = format != src_format || layers.iter().any(|a| a.changes_bytes());
    if wants.preserve_digests {
        if !props.preserves_digests {
            return Err(Error::new(
                "--preserve-digests: the destination re-authors manifests, digests cannot be kept",
            ));
        }
        if format != src_format {
            let why = if wants.format.is_some() {
                "--format asks for"
            } else if for_zstd {
                "zstd layers need"
            } else {
                "the destination needs"
            };
            return Err(Error::new(format!(
                "--preserve-digests: {why} {} manifests but the image is {}",
                format.name(),
                src_format.name()
            )));
        }
        if rewrite {
            return Err(Error::new(
                "--preserve-digests: layers would have to be recompressed",
            ));
        }
    }
    Ok(Plan {
        format,
        layers,
        rewrite,
    })
}

/// What to do with a layer compressed `cur` (None: not a layer), with
/// URLs (`external`), into a destination with `props`, as `wants` asks.
/// (The layer compression a destination requires and the one asked for
/// agree: [`plan`] refuses them otherwise.)
pub fn layer_action(
    cur: Option<Compression>,
    external: bool,
    props: &DestProperties,
    wants: &Wants,
) -> LayerAction {
    let target = props.required_compression.or(wants.compression);
    match (cur, target) {
        _ if external && props.external_layers => LayerAction::External,
        (Some(cur), _) if wants.compression.is_none() && props.also_keeps.contains(&cur) => {
            LayerAction::Keep
        }
        (Some(cur), Some(t)) if cur != t => LayerAction::Transform { from: cur, to: t },
        // Nothing asked or required (`target` None): the default for
        // uncompressed layers.
        (Some(Compression::None), None) => match wants.compress_plain {
            Some(to) if to != Compression::None => LayerAction::Transform {
                from: Compression::None,
                to,
            },
            _ => LayerAction::Keep,
        },
        _ => LayerAction::Keep,
    }
}

pub fn compression_name(c: Compression) -> &'static str {
    match c {
        Compression::None => "uncompressed",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    }
}

/// The layer media type for `format` and `compression`, keeping the
/// distributable/non-distributable nature of `mt`. Non-layer types are
/// returned unchanged.
pub fn layer_type(mt: &MediaType, format: Format, compression: Compression) -> Result<MediaType> {
    let s = mt.as_str();
    if !mt.is_layer() {
        return Ok(mt.clone());
    }
    let foreign = matches!(
        s,
        OCI_LAYER_NONDIST
            | OCI_LAYER_NONDIST_GZIP
            | OCI_LAYER_NONDIST_ZSTD
            | DOCKER_LAYER_FOREIGN
            | DOCKER_LAYER_FOREIGN_GZIP
    );
    let t = match (format, compression, foreign) {
        (Format::Oci, Compression::None, false) => OCI_LAYER,
        (Format::Oci, Compression::Gzip, false) => OCI_LAYER_GZIP,
        (Format::Oci, Compression::Zstd, false) => OCI_LAYER_ZSTD,
        (Format::Oci, Compression::None, true) => OCI_LAYER_NONDIST,
        (Format::Oci, Compression::Gzip, true) => OCI_LAYER_NONDIST_GZIP,
        (Format::Oci, Compression::Zstd, true) => OCI_LAYER_NONDIST_ZSTD,
        (Format::V2s2, Compression::None, false) => crate::model::media_type::DOCKER_LAYER_TAR,
        (Format::V2s2, Compression::Gzip, false) => DOCKER_LAYER_GZIP,
        (Format::V2s2, Compression::Gzip, true) => DOCKER_LAYER_FOREIGN_GZIP,
        (Format::V2s2, Compression::None, true) => DOCKER_LAYER_FOREIGN,
        (Format::V2s2, Compression::Zstd, _) => {
            return Err(Error::new(format!(
                "a {} layer cannot be expressed in a Docker v2s2 manifest",
                compression_name(compression)
            )))
        }
    };
    Ok(MediaType::parse(t))
}

/// Refuse to re-author as Docker v2s2 what it cannot hold: an artifact
/// (an artifactType, a config or layer of a type other than an image's).
pub fn check_convertible(m: &Manifest, format: Format) -> Result<()> {
    if format != Format::V2s2 {
        return Ok(());
    }
    let what = if let Some(t) = &m.artifact_type {
        format!("an artifact (artifactType {t})")
    } else if !m.config.media_type.is_config() {
        format!("an artifact (config {})", m.config.media_type)
    } else if let Some(l) = m.layers.iter().find(|l| !l.media_type.is_layer()) {
        format!("an artifact (layer {})", l.media_type)
    } else {
        return Ok(());
    };
    Err(Error::new(format!(
        "the manifest is {what}, which a Docker v2s2 manifest cannot hold"
    )))
}

/// Re-author manifest `m` in `format` with the given layer descriptors.
/// The config bytes are unchanged; only its media type follows the format.
pub fn convert_manifest(m: &Manifest, format: Format, layers: Vec<Descriptor>) -> Manifest {
    let mut out = m.clone();
    out.media_type = Some(format.manifest_type());
    if out.config.media_type.is_config() {
        out.config.media_type = format.config_type();
    }
    out.layers = layers;
    if format == Format::V2s2 {
        // Docker's format has no place for these.
        out.annotations = None;
        out.subject = None;
        out.artifact_type = None;
        for d in std::iter::once(&mut out.config).chain(out.layers.iter_mut()) {
            d.annotations = None;
            d.artifact_type = None;
        }
    }
    out
}

fn has(a: &Option<crate::model::Annotations>) -> bool {
    a.as_ref().is_some_and(|a| !a.is_empty())
}

/// Say what a Docker manifest has no place for, as the manifest `digest`
/// (`m`) goes into one: annotations (its own, its config's, its layers'),
/// a subject or an artifact type.
pub fn warn_manifest_left_out(digest: &crate::model::Digest, m: &Manifest) {
    let described = std::iter::once(&m.config)
        .chain(&m.layers)
        .any(|d| has(&d.annotations));
    let subject = m.subject.is_some() || m.artifact_type.is_some();
    warn_left_out(digest, has(&m.annotations) || described, subject);
}

/// As [`warn_manifest_left_out`], for an index going into a Docker list
/// with `entries` (its own annotations and those of its entries).
pub fn warn_index_left_out(digest: &crate::model::Digest, i: &Index, entries: &[Descriptor]) {
    let subject = i.subject.is_some() || i.artifact_type.is_some();
    let described = entries.iter().any(|d| has(&d.annotations));
    warn_left_out(digest, has(&i.annotations) || described, subject);
}

fn warn_left_out(digest: &crate::model::Digest, annotations: bool, subject: bool) {
    let what = match (annotations, subject) {
        (true, true) => "annotations and subject (or artifact type) are",
        (true, false) => "annotations are",
        (false, true) => "subject (or artifact type) is",
        (false, false) => return,
    };
    crate::error::warn(&format!(
        "{digest}: its {what} left out: the Docker format has no place for them"
    ));
}

/// [`convert_manifest`], as the bytes written.
pub fn rewritten(
    m: &Manifest,
    format: Format,
    layers: Vec<Descriptor>,
) -> Result<crate::model::RawManifest> {
    let bytes = convert_manifest(m, format, layers).to_bytes();
    crate::model::RawManifest::from_bytes(bytes, Some(&format.manifest_type()))
}

/// Map each layer's media type into `format` (compression unchanged).
pub fn convert_layers(layers: &[Descriptor], format: Format) -> Result<Vec<Descriptor>> {
    layers
        .iter()
        .map(|l| {
            let mut d = l.clone();
            if let Some(c) = l.media_type.layer_compression() {
                d.media_type = layer_type(&l.media_type, format, c)?;
            }
            Ok(d)
        })
        .collect()
}

/// Re-author an index in `format`, with children replaced by `children`.
pub fn convert_index(i: &Index, format: Format, children: Vec<Descriptor>) -> Index {
    let mut out = i.clone();
    out.media_type = Some(format.index_type());
    out.manifests = children;
    if format == Format::V2s2 {
        out.annotations = None;
        out.subject = None;
        out.artifact_type = None;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Digest;

    fn props(types: Vec<MediaType>, req: Option<Compression>, preserves: bool) -> DestProperties {
        DestProperties {
            manifest_types: types,
            on_request: Vec::new(),
            required_compression: req,
            also_keeps: &[],
            concurrent_writes: true,
            preserves_digests: preserves,
            external_layers: false,
        }
    }

    fn manifest(layer_types: &[&str]) -> Manifest {
        let d =
            |mt: &str| Descriptor::new(MediaType::parse(mt), Digest::of_bytes(mt.as_bytes()), 1);
        Manifest {
            schema_version: 2,
            media_type: Some(MediaType::DockerManifest),
            artifact_type: None,
            config: d(DOCKER_CONFIG),
            layers: layer_types.iter().map(|t| d(t)).collect(),
            subject: None,
            annotations: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn docker_to_oci_layout_converts_without_recompressing() {
        let m = manifest(&[DOCKER_LAYER_GZIP]);
        let p = plan(
            &MediaType::DockerManifest,
            &m,
            &props(
                vec![MediaType::OciManifest, MediaType::OciIndex],
                None,
                true,
            ),
            Wants::default(),
        )
        .unwrap();
        assert_eq!(p.format, Format::Oci);
        assert_eq!(p.layers, vec![LayerAction::Keep]);
        assert!(p.rewrite);
    }

    #[test]
    fn docker_manifests_go_into_a_layout_only_when_asked_for() {
        let m = manifest(&[DOCKER_LAYER_GZIP]);
        let layout = DestProperties {
            on_request: vec![MediaType::DockerManifest, MediaType::DockerList],
            ..props(
                vec![MediaType::OciManifest, MediaType::OciIndex],
                None,
                true,
            )
        };
        let run =
            |src: MediaType, w: Wants| plan(&src, &m, &layout, w).map(|p| (p.format, p.rewrite));
        let docker = MediaType::DockerManifest;
        // Not asked: converted, as skopeo does.
        assert_eq!(
            run(docker.clone(), Wants::default()).unwrap(),
            (Format::Oci, true)
        );
        // Digests kept: the image as it is.
        let keep = Wants {
            preserve_digests: true,
            ..Default::default()
        };
        assert_eq!(run(docker.clone(), keep).unwrap(), (Format::V2s2, false));
        // A format named: that format, from either.
        let v2s2 = Wants {
            format: Some(Format::V2s2),
            ..Default::default()
        };
        assert_eq!(run(docker.clone(), v2s2).unwrap(), (Format::V2s2, false));
        assert_eq!(
            run(MediaType::OciManifest, v2s2).unwrap(),
            (Format::V2s2, true)
        );
        // Kept digests of an OCI image never turn it into Docker.
        assert_eq!(
            run(MediaType::OciManifest, keep).unwrap(),
            (Format::Oci, false)
        );
        // zstd asked of a Docker image with no format: OCI, not the on-request type.
        let zstd = Wants {
            compression: Some(Compression::Zstd),
            ..Default::default()
        };
        assert_eq!(run(docker, zstd).unwrap().0, Format::Oci);
    }

    #[test]
    fn compress_plain_gzips_only_uncompressed_layers_and_yields_to_asked_compression() {
        let m = manifest(&[OCI_LAYER, DOCKER_LAYER_GZIP, OCI_LAYER_ZSTD]);
        let pr = props(
            vec![MediaType::DockerManifest, MediaType::OciManifest],
            None,
            true,
        );
        let gz = Compression::Gzip;
        let w = Wants {
            compress_plain: Some(gz),
            ..Default::default()
        };
        let p = plan(&MediaType::OciManifest, &m, &pr, w).unwrap();
        let plain_to_gz = LayerAction::Transform {
            from: Compression::None,
            to: gz,
        };
        assert_eq!(
            p.layers,
            vec![plain_to_gz, LayerAction::Keep, LayerAction::Keep]
        );
        assert!(p.rewrite);
        // An asked compression (none, here) wins.
        let w = Wants {
            compression: Some(Compression::None),
            compress_plain: Some(gz),
            ..Default::default()
        };
        let p = plan(&MediaType::OciManifest, &m, &pr, w).unwrap();
        assert_eq!(p.layers[0], LayerAction::Keep);
    }

    #[test]
    fn also_keeps_passes_gzip_through_unless_a_compression_is_asked() {
        let m = manifest(&[DOCKER_LAYER_GZIP, OCI_LAYER_ZSTD, OCI_LAYER]);
        let pr = DestProperties {
            also_keeps: &[Compression::Gzip],
            ..props(
                vec![MediaType::DockerManifest, MediaType::OciManifest],
                Some(Compression::None),
                false,
            )
        };
        let unzstd = LayerAction::Transform {
            from: Compression::Zstd,
            to: Compression::None,
        };
        let p = plan(&MediaType::OciManifest, &m, &pr, Wants::default()).unwrap();
        assert_eq!(p.layers, vec![LayerAction::Keep, unzstd, LayerAction::Keep]);
        let w = Wants {
            compression: Some(Compression::None),
            ..Default::default()
        };
        let p = plan(&MediaType::OciManifest, &m, &pr, w).unwrap();
        let ungzip = LayerAction::Transform {
            from: Compression::Gzip,
            to: Compression::None,
        };
        assert_eq!(p.layers, vec![ungzip, unzstd, LayerAction::Keep]);
    }

    #[test]
    fn layers_with_urls_stay_external_where_the_destination_takes_them() {
        let mut m = manifest(&[DOCKER_LAYER_FOREIGN_GZIP, DOCKER_LAYER_GZIP]);
        m.layers[0].urls = Some(vec!["https://example.com/base".into()]);
        let registry = DestProperties {
            external_layers: true,
            ..props(vec![MediaType::DockerManifest], None, true)
        };
        let zstd = Wants {
            compression: Some(Compression::Zstd),
            format: Some(Format::Oci),
            ..Wants::default()
        };
        let p = plan(&MediaType::DockerManifest, &m, &registry, Wants::default()).unwrap();
        assert_eq!(p.layers, vec![LayerAction::External, LayerAction::Keep]);
        assert!(!p.rewrite);
        // Recompression asked for leaves it as it is too (its bytes are
        // not here to recompress), as skopeo does.
        let oci = DestProperties {
            manifest_types: vec![MediaType::OciManifest],
            ..registry.clone()
        };
        let p = plan(&MediaType::DockerManifest, &m, &oci, zstd).unwrap();
        assert_eq!(p.layers[0], LayerAction::External);
        assert!(p.layers[1].changes_bytes());
        // A destination holding every layer's bytes reads it.
        let archive = props(
            vec![MediaType::DockerManifest],
            Some(Compression::None),
            false,
        );
        let p = plan(&MediaType::DockerManifest, &m, &archive, Wants::default()).unwrap();
        assert!(p.layers.iter().all(|a| a.changes_bytes()));
    }

    #[test]
    fn required_compression_transforms_and_blocks_preserve() {
        let m = manifest(&[
            DOCKER_LAYER_GZIP,
            "application/vnd.docker.image.rootfs.diff.tar",
        ]);
        let pr = props(
            vec![MediaType::DockerManifest],
            Some(Compression::None),
            false,
        );
        let p = plan(&MediaType::DockerManifest, &m, &pr, Wants::default()).unwrap();
        assert_eq!(
            p.layers,
            vec![
                LayerAction::Transform {
                    from: Compression::Gzip,
                    to: Compression::None
                },
                LayerAction::Keep
            ]
        );
        let w = Wants {
            preserve_digests: true,
            ..Default::default()
        };
        assert!(plan(&MediaType::DockerManifest, &m, &pr, w).is_err());
        let w = Wants {
            compression: Some(Compression::Gzip),
            ..Default::default()
        };
        assert!(plan(&MediaType::DockerManifest, &m, &pr, w).is_err());
    }

    #[test]
    fn zstd_in_docker_is_refused() {
        let m = manifest(&[DOCKER_LAYER_GZIP]);
        let pr = props(
            vec![MediaType::DockerManifest, MediaType::OciManifest],
            None,
            true,
        );
        let w = Wants {
            format: Some(Format::V2s2),
            compression: Some(Compression::Zstd),
            ..Default::default()
        };
        assert!(plan(&MediaType::DockerManifest, &m, &pr, w).is_err());
        let w = Wants {
            format: Some(Format::Oci),
            compression: Some(Compression::Zstd),
            ..Default::default()
        };
        let p = plan(&MediaType::DockerManifest, &m, &pr, w).unwrap();
        assert_eq!(p.format, Format::Oci);
        // No format asked for: OCI, where the destination takes it.
        let w = Wants {
            compression: Some(Compression::Zstd),
            ..Default::default()
        };
        let p = plan(&MediaType::DockerManifest, &m, &pr, w).unwrap();
        assert_eq!(p.format, Format::Oci);
        assert!(p.rewrite);
        let docker_only = props(vec![MediaType::DockerManifest], None, true);
        let e = plan(&MediaType::DockerManifest, &m, &docker_only, w).unwrap_err();
        assert!(e.to_string().contains("zstd-compressed layers"), "{e}");
    }

    #[test]
    fn same_format_keeps_bytes() {
        let mut m = manifest(&[OCI_LAYER_GZIP]);
        m.media_type = Some(MediaType::OciManifest);
        let pr = props(vec![MediaType::OciManifest], None, true);
        let w = Wants {
            preserve_digests: true,
            ..Default::default()
        };
        let p = plan(&MediaType::OciManifest, &m, &pr, w).unwrap();
        assert!(!p.rewrite);
    }

    #[test]
    fn layer_types_map() {
        let g = MediaType::parse(DOCKER_LAYER_GZIP);
        assert_eq!(
            layer_type(&g, Format::Oci, Compression::Gzip)
                .unwrap()
                .as_str(),
            OCI_LAYER_GZIP
        );
        assert_eq!(
            layer_type(&g, Format::Oci, Compression::None)
                .unwrap()
                .as_str(),
            OCI_LAYER
        );
        let f = MediaType::parse(DOCKER_LAYER_FOREIGN_GZIP);
        assert_eq!(
            layer_type(&f, Format::Oci, Compression::Gzip)
                .unwrap()
                .as_str(),
            OCI_LAYER_NONDIST_GZIP
        );
        assert_eq!(
            layer_type(&f, Format::V2s2, Compression::None)
                .unwrap()
                .as_str(),
            DOCKER_LAYER_FOREIGN
        );
        let n = MediaType::parse(OCI_LAYER_NONDIST);
        assert_eq!(
            layer_type(&n, Format::V2s2, Compression::None)
                .unwrap()
                .as_str(),
            DOCKER_LAYER_FOREIGN
        );
        assert_eq!(
            layer_type(
                &MediaType::parse(DOCKER_LAYER_FOREIGN),
                Format::Oci,
                Compression::None
            )
            .unwrap()
            .as_str(),
            OCI_LAYER_NONDIST
        );
        let o = MediaType::parse(OCI_LAYER_ZSTD);
        assert!(layer_type(&o, Format::V2s2, Compression::Zstd).is_err());
    }
}
