//! Media types of the OCI image spec and Docker's v2 formats.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
pub const OCI_LAYER_NONDIST: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar";
pub const OCI_LAYER_NONDIST_GZIP: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
pub const OCI_LAYER_NONDIST_ZSTD: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker's uncompressed layer (Docker archives, converted schema 1 images).
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
pub const DOCKER_LAYER_FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar";
pub const DOCKER_LAYER_FOREIGN_GZIP: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// Compression of a layer, as its media type declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// A media type. Known types get their own variant; anything else is kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    OciManifest,
    OciIndex,
    OciConfig,
    OciLayer,
    OciLayerGzip,
    OciLayerZstd,
    DockerManifest,
    DockerList,
    DockerConfig,
    DockerLayerGzip,
    Other(String),
}

impl MediaType {
    pub fn parse(s: &str) -> MediaType {
        match s {
            OCI_MANIFEST => MediaType::OciManifest,
            OCI_INDEX => MediaType::OciIndex,
            OCI_CONFIG => MediaType::OciConfig,
            OCI_LAYER => MediaType::OciLayer,
            OCI_LAYER_GZIP => MediaType::OciLayerGzip,
            OCI_LAYER_ZSTD => MediaType::OciLayerZstd,
            DOCKER_MANIFEST => MediaType::DockerManifest,
            DOCKER_LIST => MediaType::DockerList,
            DOCKER_CONFIG => MediaType::DockerConfig,
            DOCKER_LAYER_GZIP => MediaType::DockerLayerGzip,
            other => MediaType::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            MediaType::OciManifest => OCI_MANIFEST,
            MediaType::OciIndex => OCI_INDEX,
            MediaType::OciConfig => OCI_CONFIG,
            MediaType::OciLayer => OCI_LAYER,
            MediaType::OciLayerGzip => OCI_LAYER_GZIP,
            MediaType::OciLayerZstd => OCI_LAYER_ZSTD,
            MediaType::DockerManifest => DOCKER_MANIFEST,
            MediaType::DockerList => DOCKER_LIST,
            MediaType::DockerConfig => DOCKER_CONFIG,
            MediaType::DockerLayerGzip => DOCKER_LAYER_GZIP,
            MediaType::Other(s) => s,
        }
    }

    /// A single-image manifest (OCI or Docker v2 schema 2).
    pub fn is_manifest(&self) -> bool {
        matches!(self, MediaType::OciManifest | MediaType::DockerManifest)
    }

    /// An index or manifest list.
    pub fn is_index(&self) -> bool {
        matches!(self, MediaType::OciIndex | MediaType::DockerList)
    }

    pub fn is_manifest_or_index(&self) -> bool {
        self.is_manifest() || self.is_index()
    }

    /// Says it is a manifest or index, of a kind lade reads or not (an
    /// OCI 1.1-rc artifact manifest, Docker schema 1).
    pub fn names_a_manifest(&self) -> bool {
        let t = self.as_str();
        self.is_manifest_or_index() || t.contains("manifest") || t.contains("index")
    }

    pub fn is_config(&self) -> bool {
        matches!(self, MediaType::OciConfig | MediaType::DockerConfig)
    }

    pub fn is_docker(&self) -> bool {
        self.as_str().starts_with("application/vnd.docker.")
    }

    /// Layer compression for layer media types; None for non-layers.
    pub fn layer_compression(&self) -> Option<Compression> {
        match self.as_str() {
            OCI_LAYER | OCI_LAYER_NONDIST | DOCKER_LAYER_FOREIGN => Some(Compression::None),
            OCI_LAYER_GZIP
            | OCI_LAYER_NONDIST_GZIP
            | DOCKER_LAYER_GZIP
            | DOCKER_LAYER_FOREIGN_GZIP => Some(Compression::Gzip),
            OCI_LAYER_ZSTD | OCI_LAYER_NONDIST_ZSTD => Some(Compression::Zstd),
            DOCKER_LAYER_TAR => Some(Compression::None),
            _ => None,
        }
    }

    pub fn is_layer(&self) -> bool {
        self.layer_compression().is_some()
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for MediaType {
    fn from(s: &str) -> Self {
        MediaType::parse(s)
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(MediaType::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in [
            OCI_MANIFEST,
            OCI_INDEX,
            DOCKER_LIST,
            DOCKER_LAYER_GZIP,
            "x/y",
        ] {
            assert_eq!(MediaType::parse(s).as_str(), s);
        }
        assert!(MediaType::parse(DOCKER_LIST).is_index());
        assert_eq!(
            MediaType::parse(OCI_LAYER_ZSTD).layer_compression(),
            Some(Compression::Zstd)
        );
        assert_eq!(MediaType::parse(OCI_CONFIG).layer_compression(), None);
    }
}
