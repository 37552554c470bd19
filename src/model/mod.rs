//! The data model: digests, media types, descriptors and manifests.
//! Nothing here does I/O beyond hashing what it is given.

mod annotations;
mod digest;
pub mod gojson;
pub mod gotime;
pub mod media_type;
pub mod reference;
pub mod schema1;
mod types;

pub use annotations::Annotations;
pub use digest::{Algorithm, Digest, Hasher, HashingReader, HashingWriter};
pub use media_type::{Compression, MediaType};
pub use reference::DockerRef;
pub use types::*;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The most manifest or config bytes lade reads into memory.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;

/// How many levels of indexes an index may hold below itself (its own
/// entries are the first): a chain longer is refused. The image-spec
/// sets no limit; a tree of a few levels is what builders make.
pub const MAX_NESTING: usize = 8;

/// A manifest or index as exact bytes, with the media type and digest of
/// those bytes. Construct it with [`RawManifest::from_bytes`], which checks
/// that the bytes are what they claim to be.
#[derive(Debug, Clone, PartialEq)]
pub struct RawManifest {
    pub bytes: Vec<u8>,
    pub media_type: MediaType,
    pub digest: Digest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    schema_version: Option<u64>,
    media_type: Option<String>,
    config: Option<IgnoredAny>,
    layers: Option<IgnoredAny>,
    manifests: Option<IgnoredAny>,
    fs_layers: Option<IgnoredAny>,
    signatures: Option<IgnoredAny>,
}

/// What bytes that cannot be JSON are, when they say it plainly: a blob a
/// descriptor calls a manifest but that holds a layer, or nothing.
fn not_json(bytes: &[u8]) -> Option<&'static str> {
    if bytes.is_empty() {
        return Some("the blob is empty");
    }
    match crate::compress::sniff(bytes) {
        Compression::Gzip => Some("the blob is a gzip stream (a layer?)"),
        Compression::Zstd => Some("the blob is a zstd stream (a layer?)"),
        Compression::None if crate::compress::looks_like_tar(bytes) => {
            Some("the blob is a tar archive (a layer?)")
        }
        Compression::None => None,
    }
}

impl RawManifest {
    /// Check `bytes` as a manifest or index and work out its media type.
    ///
    /// `declared` is what the container of the bytes said (a descriptor's
    /// mediaType, a Content-Type). It must agree with the `mediaType` field
    /// when both are present. Manifests holding both `layers` and
    /// `manifests` are ambiguous and rejected, as are bytes over
    /// [`MAX_MANIFEST_SIZE`].
    pub fn from_bytes(bytes: Vec<u8>, declared: Option<&MediaType>) -> Result<RawManifest> {
        Self::read(bytes, declared, false)
    }

    /// [`RawManifest::from_bytes`], but a Docker schema 1 manifest is
    /// taken too, as what it is (its media type one of schema 1's, its
    /// digest that of its payload): for sources whose images may be in
    /// that format (a registry, a `dir:`), which copy converts.
    pub fn from_bytes_or_schema1(bytes: Vec<u8>, declared: Option<&MediaType>) -> Result<Self> {
        Self::read(bytes, declared, true)
    }

    fn read(bytes: Vec<u8>, declared: Option<&MediaType>, schema1: bool) -> Result<RawManifest> {
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(Error::invalid(format!(
                "manifest is {} bytes, more than the {} byte limit",
                bytes.len(),
                MAX_MANIFEST_SIZE
            )));
        }
        let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| match not_json(&bytes) {
            Some(what) => Error::invalid(format!("not a manifest or index: {what}")),
            None => Error::invalid(format!("manifest is not a JSON object: {e}")),
        })?;
        if probe.layers.is_some() && probe.manifests.is_some() {
            return Err(Error::invalid(
                "ambiguous manifest: it has both \"layers\" and \"manifests\"",
            ));
        }
        if probe.fs_layers.is_some() || probe.schema_version == Some(1) {
            if schema1 {
                return schema1::raw(bytes, probe.signatures.is_some());
            }
            return Err(Error::invalid(
                "Docker schema 1 manifests are not supported (deprecated format)",
            ));
        }
        let field = probe.media_type.as_deref().map(MediaType::parse);
        // A generic declared type (e.g. application/json from a server) is no claim.
        let declared = declared.filter(|d| d.is_manifest_or_index());
        if let (Some(f), Some(d)) = (&field, declared) {
            if f != d {
                return Err(Error::invalid(format!(
                    "manifest says mediaType {f} but was declared as {d}"
                )));
            }
        }
        let shape_index = probe.manifests.is_some();
        let shape_manifest = probe.config.is_some() || probe.layers.is_some();
        let media_type = match field.or_else(|| declared.cloned()) {
            Some(mt) => mt,
            None if shape_index => MediaType::OciIndex,
            None if shape_manifest => MediaType::OciManifest,
            None => {
                return Err(Error::invalid(
                    "not a manifest or index: no mediaType, layers or manifests",
                ))
            }
        };
        if media_type.is_index() && !shape_index {
            return Err(Error::invalid(format!("{media_type} has no \"manifests\"")));
        }
        if media_type.is_manifest() && (!shape_manifest || probe.config.is_none()) {
            return Err(Error::invalid(format!("{media_type} has no \"config\"")));
        }
        if media_type.is_manifest_or_index() && probe.schema_version != Some(2) {
            // (JSON with no schemaVersion at all, an image config say, is
            // no manifest of any version)
            return Err(Error::invalid(
                match (probe.schema_version, &probe.media_type) {
                    (None, None) => {
                        "not a manifest or index: no schemaVersion or mediaType".to_string()
                    }
                    _ => format!("{media_type} must have schemaVersion 2"),
                },
            ));
        }
        let digest = Digest::of_bytes(&bytes);
        Ok(RawManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// The same bytes, with their digest by `alg`: a manifest that a
    /// layout or an archive names by its sha512 digest keeps that digest
    /// (an index lists it so, a copy writes it and names it so), where
    /// [`RawManifest::from_bytes`] gives the sha256 one.
    pub fn addressed_with(mut self, alg: Algorithm) -> RawManifest {
        if self.digest.algorithm() != alg {
            self.digest = Digest::of_bytes_with(alg, &self.bytes);
        }
        self
    }

    pub fn is_index(&self) -> bool {
        self.media_type.is_index()
    }

    /// Parse as an image manifest (fails for an index).
    pub fn manifest(&self) -> Result<Manifest> {
        if self.is_schema1() {
            return Err(Error::invalid(format!(
                "{} is a Docker schema 1 manifest: lade reads those only to copy \
                 (converted to schema 2) or inspect them",
                self.digest
            )));
        }
        if !self.media_type.is_manifest() {
            return Err(Error::invalid(format!(
                "{} is a {}, not an image manifest",
                self.digest, self.media_type
            )));
        }
        serde_json::from_slice(&self.bytes)
            .map_err(|e| Error::invalid(format!("invalid manifest {}: {e}", self.digest)))
    }

    /// Parse as an index or manifest list (fails for a manifest).
    pub fn index(&self) -> Result<Index> {
        if !self.media_type.is_index() {
            return Err(Error::invalid(format!(
                "{} is a {}, not an index",
                self.digest, self.media_type
            )));
        }
        serde_json::from_slice(&self.bytes)
            .map_err(|e| Error::invalid(format!("invalid index {}: {e}", self.digest)))
    }

    /// What these bytes reference: an index's entries, a manifest's
    /// config and layers (not a `subject`: a reference back).
    pub fn references(&self) -> Result<Vec<Descriptor>> {
        if self.is_index() {
            Ok(self.index()?.manifests)
        } else {
            let m = self.manifest()?;
            Ok(std::iter::once(m.config).chain(m.layers).collect())
        }
    }

    /// The `subject` of a manifest or index, if it has one that reads.
    pub fn subject(&self) -> Option<Descriptor> {
        #[derive(serde::Deserialize)]
        struct Probe {
            subject: Option<Descriptor>,
        }
        serde_json::from_slice::<Probe>(&self.bytes).ok()?.subject
    }

    /// A descriptor of these bytes.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }
}

/// Check an OCI reference name (the `org.opencontainers.image.ref.name`
/// grammar): components of alphanumerics joined by `-._:@+` or `--`,
/// separated by `/`.
pub fn validate_ref_name(name: &str) -> Result<()> {
    match ref_name_problem(name) {
        Some(why) => Err(Error::new(format!("invalid ref name {name:?}: {why}"))),
        None => Ok(()),
    }
}

/// What keeps `name` from being a reference name ([`validate_ref_name`]).
pub fn ref_name_problem(name: &str) -> Option<String> {
    let bad = |why: &str| Some(why.to_string());
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > 255 {
        return bad("longer than 255 bytes");
    }
    for comp in name.split('/') {
        let b = comp.as_bytes();
        if b.is_empty() {
            return bad("empty path component");
        }
        let alnum = |c: u8| c.is_ascii_alphanumeric();
        let sep = |c: u8| b"-._:@+".contains(&c);
        if let Some(c) = comp.chars().find(|c| !c.is_ascii()) {
            return bad(&format!("character {c:?} not allowed"));
        }
        if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
            return bad("components must start and end with a letter or digit");
        }
        let mut i = 0;
        while i < b.len() {
            if alnum(b[i]) {
                i += 1;
            } else if sep(b[i]) {
                // one separator, or "--", then alphanumerics
                let run = b[i..].iter().take_while(|&&c| sep(c)).count();
                if run > 1 && !(run == 2 && &b[i..i + 2] == b"--") {
                    return bad("separators may not repeat");
                }
                i += run;
            } else {
                // (the character, not its first byte)
                let c = comp[i..].chars().next().unwrap_or('?');
                return bad(&format!("character {c:?} not allowed"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_ambiguous_and_mismatched() {
        let both = br#"{"schemaVersion":2,"layers":[],"manifests":[],"config":{}}"#.to_vec();
        let e = RawManifest::from_bytes(both, None).unwrap_err();
        assert!(e.to_string().contains("ambiguous"), "{e}");
        let idx = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.to_vec();
        let e = RawManifest::from_bytes(idx.clone(), Some(&MediaType::OciManifest)).unwrap_err();
        assert!(e.to_string().contains("declared"), "{e}");
        let ok = RawManifest::from_bytes(idx, None).unwrap();
        assert!(ok.is_index());
        let big = vec![b' '; MAX_MANIFEST_SIZE as usize + 1];
        assert!(RawManifest::from_bytes(big, None).is_err());
    }

    #[test]
    fn ref_names() {
        for ok in [
            "latest",
            "v1.0",
            "my-app:1",
            "a/b/c:2",
            "x--y",
            "example.com/x@y",
        ] {
            validate_ref_name(ok).unwrap();
        }
        for bad in [
            "", "-a", "a-", "a/../b", "../x", "a b", "a//b", "a/", "x:-y", "é",
        ] {
            assert!(validate_ref_name(bad).is_err(), "{bad:?} accepted");
        }
        // The character said is the one there, not its first byte.
        for (bad, c) in [("café", 'é'), ("x\u{202e}y", '\u{202e}'), ("a b", ' ')] {
            let e = validate_ref_name(bad).unwrap_err();
            let said = format!("character {c:?} not allowed");
            assert!(e.message().contains(&said), "{e}");
        }
        assert_eq!(
            crate::error::escape_controls("x\u{202e}y\n"),
            "x\\u{202e}y\\n"
        );
    }
}
