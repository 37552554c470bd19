//! Serde types for descriptors, manifests, indexes and image configs.
//!
//! Every struct keeps the fields it does not know in `extra`, so a value
//! read and written again loses nothing. Still, lade never re-serializes
//! bytes it did not author: a manifest's digest is the hash of its exact
//! bytes (see [`super::RawManifest`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Annotations, Digest, MediaType};

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
    /// (boxed: most descriptors have none, and a layout's index.json may
    /// hold some 250,000 of them)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Box<Platform>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The annotations of a BuildKit attestation entry: its kind, and the
/// digest of the image it is about.
pub const ATTESTATION_TYPE: &str = "vnd.docker.reference.type";
pub const ATTESTATION_OF: &str = "vnd.docker.reference.digest";

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

    /// For a BuildKit attestation entry of an index (an in-toto manifest
    /// of provenance or SBOM, platform unknown/unknown; no image of its
    /// own): the digest of the image it attests, as its
    /// `vnd.docker.reference.digest` annotation names it ("" when none).
    pub fn attests(&self) -> Option<&str> {
        (self.annotation(ATTESTATION_TYPE)? == "attestation-manifest")
            .then(|| self.annotation(ATTESTATION_OF).unwrap_or(""))
    }

    pub fn set_annotation(&mut self, key: &str, value: &str) {
        self.annotations
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value.to_string());
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Platform {
    // (Required by the image spec, but an entry without them, as
    // `"platform": {}`, is read as naming none, not as an index that does
    // not read: its other entries still copy, as skopeo copies them.)
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
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
    /// The platform an image's OS, architecture and variant name, as a
    /// config or the Docker Engine gives them: None without OS or
    /// architecture; an empty variant is none.
    pub fn of(os: &str, architecture: &str, variant: Option<&str>) -> Option<Platform> {
        if os.is_empty() || architecture.is_empty() {
            return None;
        }
        Some(Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.filter(|v| !v.is_empty()).map(str::to_string),
            ..Default::default()
        })
    }

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
        let odd = |p: &&str| p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control());
        if !(2..=3).contains(&parts.len()) || parts.iter().any(odd) {
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

    /// The platforms an image may be for, to run where `self` is wanted,
    /// best first, as containers/image (skopeo, podman) orders them: a
    /// wanted variant, then the ones that architecture's machines also run
    /// (arm v8, v7, v6, v5; arm64 v8), then none; with no variant wanted,
    /// none first, then each known variant. Only OS, architecture and
    /// variant count; they are compared exactly.
    pub fn candidates(&self) -> Vec<Platform> {
        const COMPATIBLE: &[(&str, &[&str])] =
            &[("arm", &["v8", "v7", "v6", "v5"]), ("arm64", &["v8"])];
        let known: &[&str] = COMPATIBLE
            .iter()
            .find(|(a, _)| *a == self.architecture)
            .map_or(&[], |(_, v)| v);
        let variants: Vec<Option<&str>> = match self.variant.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => match known.iter().position(|k| *k == v) {
                Some(i) => known[i..].iter().map(|k| Some(*k)).collect(),
                None => vec![Some(v)],
            }
            .into_iter()
            .chain([None])
            .collect(),
            None => std::iter::once(None)
                .chain(known.iter().map(|k| Some(*k)))
                .collect(),
        };
        variants
            .into_iter()
            .map(|v| Platform {
                os: self.os.clone(),
                architecture: self.architecture.clone(),
                variant: v.map(str::to_string),
                ..Default::default()
            })
            .collect()
    }

    /// Where an image for `self` ranks among `want`'s [`candidates`]
    /// (0 is best); None when it is none of them.
    ///
    /// [`candidates`]: Platform::candidates
    pub fn rank_for(&self, want: &[Platform]) -> Option<usize> {
        let variant = self.variant.as_deref().filter(|v| !v.is_empty());
        want.iter().position(|w| {
            w.os == self.os
                && w.architecture == self.architecture
                && w.variant.as_deref() == variant
        })
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
    /// (`null` reads as none: `umoci init` writes it so)
    #[serde(deserialize_with = "null_as_empty")]
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// A layout's index.json entries that do not read as descriptors (an
    /// uppercase digest, no media type, not an object), with their places
    /// in `manifests` as read: not used, but kept and written back as
    /// they are (see `store::parse_index_json`). Empty for other indexes.
    #[serde(skip)]
    pub unreadable: Vec<(usize, Value)>,
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
            unreadable: Vec::new(),
        }
    }

    /// Keep the entries `keep` says (in order), those that do not read
    /// ([`Index::unreadable`]) staying where they were among the rest: an
    /// entry removed before one moves it up.
    pub fn retain_manifests(&mut self, mut keep: impl FnMut(&Descriptor) -> bool) {
        if self.unreadable.is_empty() {
            self.manifests.retain(keep);
            return;
        }
        let kept: Vec<bool> = self.manifests.iter().map(&mut keep).collect();
        // The entries in order as they are written (see
        // `store::index_json_bytes`): Ok(readable), Err(unreadable).
        let mut order: Vec<Result<usize, usize>> = (0..self.manifests.len()).map(Ok).collect();
        for (j, (pos, _)) in self.unreadable.iter().enumerate() {
            order.insert((*pos).min(order.len()), Err(j));
        }
        order.retain(|e| e.map_or(true, |i| kept[i]));
        for (at, e) in order.iter().enumerate() {
            if let Err(j) = e {
                self.unreadable[*j].0 = at;
            }
        }
        let mut k = kept.into_iter();
        self.manifests.retain(|_| k.next().unwrap_or(true));
    }

    /// Drop the unreadable entries named `name`; were there any?
    pub fn drop_unreadable_named(&mut self, name: &str) -> bool {
        let n = self.unreadable.len();
        self.unreadable
            .retain(|(_, e)| unreadable_ref_name(e) != Some(name));
        self.unreadable.len() < n
    }

    /// The first unreadable entry named `name` (its ref-name annotation).
    pub fn unreadable_named(&self, name: &str) -> Option<&(usize, Value)> {
        self.unreadable
            .iter()
            .find(|(_, v)| unreadable_ref_name(v) == Some(name))
    }
}

/// A list that may be given as `null`: empty.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The ref name an entry that does not read as a descriptor still gives.
pub fn unreadable_ref_name(entry: &Value) -> Option<&str> {
    entry.get("annotations")?.get(REF_NAME)?.as_str()
}

/// `manifests[N] (ref "NAME") does not read: WHY`, for an unreadable entry.
pub fn unreadable_entry_text(pos: usize, entry: &Value) -> String {
    let why = match Descriptor::deserialize(entry) {
        Err(e) => e.to_string(),
        Ok(_) => "not a descriptor".to_string(),
    };
    let name = unreadable_ref_name(entry).map_or_else(String::new, |n| format!(" (ref {n:?})"));
    format!("manifests[{pos}]{name} does not read: {why}")
}

/// Why an index.json entry names no image: its media type is no manifest
/// or index type (of any kind, read or not: an OCI 1.1-rc artifact
/// manifest, Docker schema 1 are manifests), say a layer's or an unknown
/// one, whatever its blob holds. The image-spec has readers ignore such
/// entries and skopeo finds no image by their name; copy, inspect,
/// cat-manifest and unpack refuse them (exit 3) and fsck reports them,
/// all in these words: `ref "NAME" (DIGEST) is of type T, not a manifest
/// or index` (DIGEST alone for an entry without a name). None: it may
/// name one.
pub fn entry_type_problem(d: &Descriptor) -> Option<String> {
    if d.media_type.names_a_manifest() {
        return None;
    }
    let what = match d.ref_name() {
        Some(n) => format!("ref {n:?} ({})", d.digest),
        None => d.digest.to_string(),
    };
    Some(format!(
        "{what} is of type {}, not a manifest or index",
        d.media_type
    ))
}

/// [`entry_type_problem`] as the error of a reader of the entry.
pub fn check_entry_type(d: &Descriptor) -> crate::error::Result<()> {
    match entry_type_problem(d) {
        None => Ok(()),
        Some(why) => Err(crate::error::Error::invalid(format!(
            "index.json entry {why}"
        ))),
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
        let mut v = json_as_go_reads_it(bytes)?;
        fold_config(&mut v);
        serde_json::from_value(v)
    }

    /// The platform the config names; None when it names no OS and
    /// architecture (an artifact's).
    pub fn platform(&self) -> Option<Platform> {
        Platform::of(&self.os, &self.architecture, self.variant.as_deref())
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
/// JSON text as Go's encoding/json reads it (so skopeo, Docker and umoci):
/// bytes that are not UTF-8 and `\u` escapes of lone UTF-16 surrogates
/// (`"\ud800"`) read as U+FFFD, where serde_json refuses them.
pub fn json_as_go_reads_it(bytes: &[u8]) -> serde_json::Result<Value> {
    let err = match serde_json::from_slice(bytes) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let text = String::from_utf8_lossy(bytes);
    let b = text.as_bytes();
    let hex = |at: usize| -> Option<u32> {
        let h = b.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    let (mut out, mut i, mut last) = (String::with_capacity(text.len()), 0, 0);
    // (a backslash in valid JSON is in a string, and starts an escape)
    while i + 1 < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b[i + 1] != b'u' {
            i += 2;
            continue;
        }
        let Some(u) = hex(i + 2) else {
            break;
        };
        let low = |at: usize| {
            b.get(at..at + 2) == Some(b"\\u")
                && hex(at + 2).is_some_and(|l| (0xdc00..0xe000).contains(&l))
        };
        match u {
            0xd800..0xdc00 if low(i + 6) => i += 12,
            0xd800..0xe000 => {
                out.push_str(&text[last..i]);
                out.push_str("\\ufffd");
                i += 6;
                last = i;
            }
            _ => i += 6,
        }
    }
    out.push_str(&text[last..]);
    serde_json::from_str(&out).map_err(|_| err)
}

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
pub(crate) fn fold_keys(v: &mut Value, names: &[&str], resets: &[&str]) {
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
    /// How well each entry fits where platform `want` is wanted, as
    /// containers/image ranks them (lower is better): an image manifest by
    /// where its platform is among `want`'s [`Platform::candidates`]; in an
    /// OCI index one naming no platform last (`usize::MAX`). None: unfit.
    pub fn platform_ranks(&self, want: &Platform) -> Vec<Option<usize>> {
        let want = want.candidates();
        let docker = matches!(self.media_type, Some(MediaType::DockerList));
        self.manifests
            .iter()
            .map(|d| match &d.platform {
                _ if !d.media_type.is_manifest() || d.attests().is_some() => None,
                Some(p) => p.rank_for(&want),
                None if !docker => Some(usize::MAX),
                None => None,
            })
            .collect()
    }

    /// The image manifest in this index to use where platform `want` is
    /// wanted: the best-ranked entry ([`Index::platform_ranks`]), the
    /// first of equals.
    pub fn find_platform(&self, want: &Platform) -> Option<&Descriptor> {
        self.platform_order(want).into_iter().next()
    }

    /// The entries that may serve where platform `want` is wanted, best
    /// first (the first of equals first): [`Index::find_platform`]'s
    /// choice, then those to fall back on should it be no image (an
    /// entry without a platform may be an artifact: an SBOM, say).
    pub fn platform_order(&self, want: &Platform) -> Vec<&Descriptor> {
        let ranks = self.platform_ranks(want);
        let mut order: Vec<(usize, &Descriptor)> = ranks
            .into_iter()
            .zip(&self.manifests)
            .filter_map(|(r, d)| Some((r?, d)))
            .collect();
        order.sort_by_key(|(r, _)| *r);
        order.into_iter().map(|(_, d)| d).collect()
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

    /// Lone surrogate escapes and bytes that are not UTF-8 read as U+FFFD,
    /// as Go reads them; a pair, and an escaped backslash before a `u`,
    /// stay as they are; JSON broken otherwise stays refused.
    #[test]
    fn json_as_go_reads_lone_surrogates_and_bad_utf8() {
        let v = |j: &[u8]| json_as_go_reads_it(j).map(|v| v["a"].as_str().unwrap().to_string());
        assert_eq!(v(br#"{"a":"x\ud800y"}"#).unwrap(), "x\u{fffd}y");
        assert_eq!(v(br#"{"a":"\udc00\ud83d\ude00"}"#).unwrap(), "\u{fffd}😀");
        assert_eq!(v(br#"{"a":"\ud800\ud800"}"#).unwrap(), "\u{fffd}\u{fffd}");
        assert_eq!(v(br#"{"a":"\\ud800"}"#).unwrap(), "\\ud800");
        assert_eq!(v(b"{\"a\":\"x\xffy\"}").unwrap(), "x\u{fffd}y");
        assert!(json_as_go_reads_it(br#"{"a":"\ud800"#).is_err());
        assert!(json_as_go_reads_it(br#"{"a":"\ud8"}"#).is_err());
        let c = ImageConfig::parse(br#"{"os":"linux","config":{"Env":["S=\ud800"]}}"#).unwrap();
        assert_eq!(c.config.unwrap().env.unwrap(), ["S=\u{fffd}"]);
    }

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
    fn platform_parse_and_candidates() {
        let p = |s: &str| Platform::parse(s).unwrap();
        let shown = |want: &str| -> Vec<String> {
            p(want).candidates().iter().map(|c| c.to_string()).collect()
        };
        // as containers/image orders them
        assert_eq!(
            shown("linux/arm/v7"),
            ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm"]
        );
        assert_eq!(
            shown("linux/arm"),
            [
                "linux/arm",
                "linux/arm/v8",
                "linux/arm/v7",
                "linux/arm/v6",
                "linux/arm/v5"
            ]
        );
        assert_eq!(shown("linux/arm64/v8"), ["linux/arm64/v8", "linux/arm64"]);
        assert_eq!(shown("linux/arm64/v9"), ["linux/arm64/v9", "linux/arm64"]);
        assert_eq!(shown("linux/amd64"), ["linux/amd64"]);
        assert_eq!(shown("linux/amd64/v3"), ["linux/amd64/v3", "linux/amd64"]);
        let want = p("linux/arm/v7").candidates();
        assert_eq!(p("linux/arm/v6").rank_for(&want), Some(1));
        assert_eq!(p("linux/arm/v8").rank_for(&want), None);
        assert_eq!(p("linux/arm64/v7").rank_for(&want), None);
        assert_eq!(p("windows/arm/v7").rank_for(&want), None);
        // an empty variant is none
        let mut empty = p("linux/arm");
        empty.variant = Some(String::new());
        assert_eq!(empty.rank_for(&want), Some(3));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//x").is_err());
    }

    #[test]
    fn the_best_ranked_entry_is_chosen_and_one_with_no_platform_last() {
        let entry = |n: u8, platform: Option<&str>| -> Descriptor {
            let mut d = Descriptor::new(
                MediaType::OciManifest,
                Digest::parse(&format!("sha256:{}", format!("{n:02x}").repeat(32))).unwrap(),
                1,
            );
            d.platform = platform.map(|p| Box::new(Platform::parse(p).unwrap()));
            d
        };
        let index = |docker: bool, entries: Vec<Descriptor>| Index {
            schema_version: 2,
            media_type: Some(if docker {
                MediaType::DockerList
            } else {
                MediaType::OciIndex
            }),
            artifact_type: None,
            manifests: entries,
            subject: None,
            annotations: None,
            extra: Map::new(),
            unreadable: Vec::new(),
        };
        let chosen = |i: &Index, want: &str| -> Option<u8> {
            let d = i.find_platform(&Platform::parse(want).unwrap())?;
            Some(i.manifests.iter().position(|e| e == d).unwrap() as u8)
        };
        let i = index(
            false,
            vec![
                entry(0, Some("linux/amd64/v3")),
                entry(1, Some("linux/amd64")),
            ],
        );
        assert_eq!(chosen(&i, "linux/amd64"), Some(1));
        let i = index(
            false,
            vec![
                entry(0, Some("linux/arm/v6")),
                entry(1, Some("linux/arm/v7")),
            ],
        );
        assert_eq!(chosen(&i, "linux/arm"), Some(1));
        assert_eq!(chosen(&i, "linux/arm/v7"), Some(1));
        assert_eq!(chosen(&i, "linux/arm/v8"), Some(1));
        assert_eq!(chosen(&i, "linux/arm/v6"), Some(0));
        assert_eq!(chosen(&i, "linux/arm/v5"), None);
        let i = index(
            false,
            vec![entry(0, None), entry(1, Some("linux/arm64/v8"))],
        );
        assert_eq!(chosen(&i, "linux/arm64"), Some(1));
        assert_eq!(chosen(&i, "linux/s390x"), Some(0));
        // a Docker list's entries all name a platform: none is no fallback
        let i = index(true, vec![entry(0, None), entry(1, Some("linux/arm64/v8"))]);
        assert_eq!(chosen(&i, "linux/s390x"), None);
        // equals: the first
        let i = index(
            false,
            vec![entry(0, Some("linux/amd64")), entry(1, Some("linux/amd64"))],
        );
        assert_eq!(chosen(&i, "linux/amd64"), Some(0));
    }
}
