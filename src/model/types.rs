//! Serde types for descriptors, manifests, indexes and image configs.
//!
//! Every struct keeps the fields it does not know in `extra`, so a value
//! read and written again loses nothing. Still, lade never re-serializes
//! bytes it did not author: a manifest's digest is the hash of its exact
//! bytes (see [`super::RawManifest`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Digest, MediaType};

pub type Annotations = BTreeMap<String, String>;

/// The annotation that names an image in an OCI layout's index.json.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: MediaType,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Descriptor {
    pub fn new(media_type: MediaType, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type,
            digest,
            size,
            urls: None,
            annotations: None,
            data: None,
            platform: None,
            artifact_type: None,
            extra: Map::new(),
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(|s| s.as_str())
    }

    /// The `org.opencontainers.image.ref.name` annotation, if any.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotation(REF_NAME)
    }

    pub fn set_annotation(&mut self, key: &str, value: &str) {
        self.annotations
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value.to_string());
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Platform {
    /// The platform of the running machine, in Go's GOOS/GOARCH terms.
    pub fn current() -> Platform {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Platform {
            architecture: arch.to_string(),
            os: std::env::consts::OS.to_string(),
            variant: match arch {
                "arm64" => Some("v8".to_string()),
                _ => None,
            },
            ..Default::default()
        }
    }

    /// Parse `os/arch[/variant]`.
    pub fn parse(s: &str) -> crate::error::Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Err(crate::err!(
                "invalid platform {s:?}: expected OS/ARCH[/VARIANT]"
            ));
        }
        Ok(Platform {
            os: parts[0].to_string(),
            architecture: parts[1].to_string(),
            variant: parts.get(2).map(|v| v.to_string()),
            ..Default::default()
        })
    }

    /// Does an image for `self` satisfy a request for `want`? The variant is
    /// compared only when both name one; arm64 always names one, "v8"
    /// when it is left out (so arm64 is arm64/v8, and not arm64/v9).
    pub fn matches(&self, want: &Platform) -> bool {
        if self.os != want.os || self.architecture != want.architecture {
            return false;
        }
        let norm = |v: &Option<String>| -> Option<String> {
            match (self.architecture.as_str(), v.as_deref()) {
                ("arm64", None) => Some("v8".to_string()),
                (_, v) => v.map(str::to_string),
            }
        };
        match (norm(&self.variant), norm(&want.variant)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// An image manifest: OCI image manifest or Docker v2 schema 2 (same shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An image index or Docker manifest list (same shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Index {
    /// An empty OCI index, as a new layout's index.json holds.
    pub fn empty_oci() -> Index {
        Index {
            schema_version: 2,
            media_type: Some(MediaType::OciIndex),
            artifact_type: None,
            manifests: Vec::new(),
            subject: None,
            annotations: None,
            extra: Map::new(),
        }
    }
}

/// An image configuration (OCI or Docker; Docker's has a few more fields,
/// which land in `extra`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<History>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ImageConfig {
    /// A config as Go's encoding/json reads one into its structure, as
    /// skopeo and Docker read it (see [`fold_config`]).
    pub fn parse(bytes: &[u8]) -> serde_json::Result<ImageConfig> {
        let mut v: Value = serde_json::from_slice(bytes)?;
        fold_config(&mut v);
        serde_json::from_value(v)
    }

    /// The platform the config names; None when it names no OS and
    /// architecture (an artifact's).
    pub fn platform(&self) -> Option<Platform> {
        if self.os.is_empty() || self.architecture.is_empty() {
            return None;
        }
        Some(Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone().filter(|v| !v.is_empty()),
            ..Default::default()
        })
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// (A null label reads as "", as Go reads it into its string map.)
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "labels_or_null"
    )]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An image config's keys as Go's encoding/json reads them into the
/// specification's structure (and Docker's `docker_version`): a key names
/// the field it matches as Go folds case (`"Architecture"`, `"OS"`, `"env"`),
/// the last of keys naming one field wins, and a null leaves a string or
/// structure field as it was and empties a slice, map or pointer. Shared
/// by every reader of configs (`inspect --config` too), so all agree.
pub fn fold_config(v: &mut Value) {
    const TOP: &[&str] = &[
        "created",
        "author",
        "architecture",
        "os",
        "os.version",
        "os.features",
        "variant",
        "config",
        "rootfs",
        "history",
        "docker_version",
    ];
    const CONFIG: &[&str] = &[
        "User",
        "ExposedPorts",
        "Env",
        "Entrypoint",
        "Cmd",
        "Volumes",
        "WorkingDir",
        "Labels",
        "StopSignal",
        "ArgsEscaped",
    ];
    const ROOTFS: &[&str] = &["type", "diff_ids"];
    const HISTORY: &[&str] = &["created", "created_by", "author", "comment", "empty_layer"];
    fold_keys(v, TOP, &["created", "history", "os.features"]);
    if let Value::Object(m) = v {
        if let Some(c) = m.get_mut("config") {
            fold_keys(
                c,
                CONFIG,
                &[
                    "ExposedPorts",
                    "Env",
                    "Entrypoint",
                    "Cmd",
                    "Volumes",
                    "Labels",
                ],
            );
        }
        if let Some(r) = m.get_mut("rootfs") {
            fold_keys(r, ROOTFS, &["diff_ids"]);
        }
        if let Some(Value::Array(h)) = m.get_mut("history") {
            h.iter_mut()
                .for_each(|e| fold_keys(e, HISTORY, &["created"]));
        }
    }
}

/// Object `v`'s keys read as Go's encoding/json reads them into a
/// structure of fields `names`: a key names the field it matches as Go
/// folds case (ASCII, and the long s and Kelvin sign), in order, a later
/// one replacing an earlier value. A null leaves a string or structure
/// field as it was, and empties (removes) one of `resets` (Go's slices,
/// maps and pointers).
fn fold_keys(v: &mut Value, names: &[&str], resets: &[&str]) {
    let Value::Object(m) = v else { return };
    let fold = |k: &str| names.iter().copied().find(|n| go_fold_eq(k, n));
    if m.iter()
        .all(|(k, x)| fold(k).is_none_or(|n| n == k && !x.is_null()))
    {
        return;
    }
    for (k, x) in std::mem::take(m) {
        match fold(&k) {
            Some(n) if x.is_null() => {
                if resets.contains(&n) {
                    m.remove(n);
                }
            }
            Some(n) => {
                m.insert(n.to_string(), x);
            }
            None => {
                m.insert(k, x);
            }
        }
    }
}

/// Key `k` names field `name` (ASCII) as Go's encoding/json folds them.
fn go_fold_eq(k: &str, name: &str) -> bool {
    k.chars().count() == name.len()
        && k.chars().zip(name.chars()).all(|(a, b)| {
            let b = b.to_ascii_lowercase();
            a.to_ascii_lowercase() == b
                || (a == '\u{17f}' && b == 's')
                || (a == '\u{212a}' && b == 'k')
        })
}

fn labels_or_null<'de, D>(d: D) -> std::result::Result<Option<BTreeMap<String, String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let m: Option<BTreeMap<String, Option<String>>> = Deserialize::deserialize(d)?;
    Ok(m.map(|m| {
        m.into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }))
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Index {
    /// The first image manifest in this index for platform `want`.
    pub fn find_platform(&self, want: &Platform) -> Option<&Descriptor> {
        self.manifests.iter().find(|d| {
            d.media_type.is_manifest() && d.platform.as_ref().is_some_and(|p| p.matches(want))
        })
    }
}

/// A Docker descriptor, its fields in the order Docker, distribution and
/// skopeo write them: the same manifest then has the same digest.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DockerDescriptor<'a> {
    media_type: &'a MediaType,
    size: u64,
    digest: &'a Digest,
    #[serde(skip_serializing_if = "Option::is_none")]
    urls: &'a Option<Vec<String>>,
}

impl<'a> From<&'a Descriptor> for DockerDescriptor<'a> {
    fn from(d: &'a Descriptor) -> Self {
        DockerDescriptor {
            media_type: &d.media_type,
            size: d.size,
            digest: &d.digest,
            urls: &d.urls,
        }
    }
}

/// A manifest list entry: the descriptor, then its platform (always
/// there in Docker's format).
#[derive(serde::Serialize)]
struct DockerListEntry<'a> {
    #[serde(flatten)]
    desc: DockerDescriptor<'a>,
    platform: std::borrow::Cow<'a, Platform>,
}

impl Manifest {
    /// The manifest as written: a Docker v2s2 one in Docker's field order
    /// (schemaVersion, mediaType, config, layers; descriptors mediaType,
    /// size, digest, urls), others as the model holds them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let m = self;
        if m.media_type != Some(MediaType::DockerManifest) {
            return serde_json::to_vec(m).expect("manifest serializes");
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            schema_version: u32,
            media_type: &'a MediaType,
            config: DockerDescriptor<'a>,
            layers: Vec<DockerDescriptor<'a>>,
        }
        serde_json::to_vec(&Out {
            schema_version: m.schema_version,
            media_type: &MediaType::DockerManifest,
            config: (&m.config).into(),
            layers: m.layers.iter().map(Into::into).collect(),
        })
        .expect("manifest serializes")
    }
}

impl Index {
    /// The index as written: a Docker manifest list in Docker's field order,
    /// others as the model holds them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let i = self;
        if i.media_type != Some(MediaType::DockerList) {
            return serde_json::to_vec(i).expect("index serializes");
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            schema_version: u32,
            media_type: &'a MediaType,
            manifests: Vec<DockerListEntry<'a>>,
        }
        serde_json::to_vec(&Out {
            schema_version: i.schema_version,
            media_type: &MediaType::DockerList,
            manifests: i
                .manifests
                .iter()
                .map(|d| DockerListEntry {
                    desc: d.into(),
                    platform: match &d.platform {
                        Some(p) => std::borrow::Cow::Borrowed(p),
                        None => std::borrow::Cow::Owned(Platform::default()),
                    },
                })
                .collect(),
        })
        .expect("index serializes")
    }
}

#[cfg(test)]
mod tests {

    /// Configs read as Go reads them: keys folded (ASCII, long s), the
    /// last one winning, a null no change to a string or structure and
    /// an empty slice or map.
    #[test]
    fn config_keys_as_go_reads_them() {
        let c = |j: &str| ImageConfig::parse(j.as_bytes()).unwrap();
        let x = c(r#"{"Architecture":"arm64","OS":"linux","oſ":"windows"}"#);
        assert_eq!(
            (x.architecture.as_str(), x.os.as_str()),
            ("arm64", "windows")
        );
        let x = c(r#"{"os":"linux","OS":null,"rootfs":{"type":"layers"},"RootFS":null}"#);
        assert_eq!((x.os.as_str(), x.rootfs.kind.as_str()), ("linux", "layers"));
        let x = c(r#"{"config":{"Env":["A=1"],"cmd":["x"]},"Config":null}"#);
        let cc = x.config.unwrap();
        assert_eq!(cc.env, Some(vec!["A=1".to_string()]));
        assert_eq!(cc.cmd, Some(vec!["x".to_string()]));
        let x = c(r#"{"config":{"Env":["A=1"],"env":null}}"#);
        assert_eq!(x.config.unwrap().env, None);
        let x = c(r#"{"os":null,"architecture":null}"#);
        assert_eq!((x.os.as_str(), x.architecture.as_str()), ("", ""));
    }

    use super::*;

    #[test]
    fn keeps_unknown_fields() {
        let text = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0,"x-extra":1},"layers":[],"weird":{"a":[1,2]}}"#;
        let m: Manifest = serde_json::from_str(text).unwrap();
        assert_eq!(m.extra["weird"]["a"][1], 2);
        assert_eq!(m.config.extra["x-extra"], 1);
        let again = serde_json::to_string(&m).unwrap();
        assert_eq!(again, text);
    }

    #[test]
    fn platform_parse_and_match() {
        let p = Platform::parse("linux/arm64/v8").unwrap();
        assert!(p.matches(&Platform::parse("linux/arm64").unwrap()));
        assert!(!p.matches(&Platform::parse("linux/amd64").unwrap()));
        let bare = Platform::parse("linux/arm64").unwrap();
        assert!(bare.matches(&p) && bare.matches(&bare));
        // arm64 is arm64/v8: another variant is another platform
        let v9 = Platform::parse("linux/arm64/v9").unwrap();
        assert!(!p.matches(&v9) && !bare.matches(&v9) && !v9.matches(&bare));
        // elsewhere a variant is compared only when both name one
        let arm = Platform::parse("linux/arm").unwrap();
        assert!(Platform::parse("linux/arm/v7").unwrap().matches(&arm));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//x").is_err());
    }
}
