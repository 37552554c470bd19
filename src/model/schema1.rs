//! Docker image manifest v2 schema 1 (`fsLayers` and `history`, signed
//! with a JWS or not): read to be inspected, and turned into a schema 2
//! manifest and config to be copied, as containers/image converts one
//! (the config made of the top `v1Compatibility`, so that the images
//! written are the ones skopeo writes).

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::gojson::{go_compact, go_quote};
use super::gotime::go_json_time;
use super::media_type::{
    DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_LAYER_TAR, DOCKER_MANIFEST, DOCKER_SCHEMA1,
    DOCKER_SCHEMA1_SIGNED,
};
use super::{Digest, MediaType, RawManifest};
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    schema_version: Option<serde_json::Value>,
    fs_layers: Option<serde::de::IgnoredAny>,
    signatures: Option<serde_json::Value>,
}

/// A signed schema 1 manifest's `signatures`, if these bytes are one.
/// (Bytes without the word `"signatures"` are not parsed.)
fn signatures(bytes: &[u8]) -> Option<serde_json::Value> {
    if !bytes.windows(12).any(|w| w == b"\"signatures\"") {
        return None;
    }
    let p: Probe = serde_json::from_slice(bytes).ok()?;
    let schema1 = p.fs_layers.is_some() || p.schema_version.and_then(|v| v.as_u64()) == Some(1);
    p.signatures.filter(|s| schema1 && !s.is_null())
}

/// Is this media type one of schema 1's?
pub fn is_schema1_type(mt: &MediaType) -> bool {
    matches!(mt.as_str(), DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED)
}

/// The bytes a manifest's digest is of: for a signed schema 1 one (a
/// `signatures` list), the payload its signatures cover, as each
/// signature's protected header gives it (the bytes up to
/// `formatLength`, then `formatTail`); otherwise the bytes themselves.
pub fn payload(bytes: &[u8]) -> Result<Cow<'_, [u8]>> {
    let bad = |why: String| Error::invalid(format!("signed schema 1 manifest: {why}"));
    let Some(sigs) = signatures(bytes) else {
        return Ok(Cow::Borrowed(bytes));
    };
    #[derive(Deserialize)]
    struct Sig {
        protected: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Protected {
        format_length: f64,
        format_tail: String,
    }
    let sigs: Vec<Sig> =
        serde_json::from_value(sigs).map_err(|e| bad(format!("\"signatures\": {e}")))?;
    let b64 =
        |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('='));
    let mut found: Option<(usize, Vec<u8>)> = None;
    for s in &sigs {
        let header = b64(&s.protected).map_err(|e| bad(format!("protected header: {e}")))?;
        let p: Protected =
            serde_json::from_slice(&header).map_err(|e| bad(format!("protected header: {e}")))?;
        let tail = b64(&p.format_tail).map_err(|e| bad(format!("formatTail: {e}")))?;
        let len = p.format_length;
        if !(len >= 0.0 && len.fract() == 0.0 && len <= bytes.len() as f64) {
            return Err(bad(format!(
                "formatLength {len} is not within its {} bytes",
                bytes.len()
            )));
        }
        let this = (len as usize, tail);
        match &found {
            Some(f) if *f != this => {
                return Err(bad("its signatures cover different payloads".into()))
            }
            _ => found = Some(this),
        }
    }
    let (len, tail) = found.ok_or_else(|| bad("\"signatures\" is empty".into()))?;
    Ok(Cow::Owned([&bytes[..len], &tail[..]].concat()))
}

impl RawManifest {
    /// Is this a Docker schema 1 manifest?
    pub fn is_schema1(&self) -> bool {
        is_schema1_type(&self.media_type)
    }
}

/// The digest by `alg` of a manifest's bytes, as registries give it: of
/// the payload for a signed schema 1 manifest (see [`payload`]).
pub fn manifest_digest_with(alg: super::Algorithm, bytes: &[u8]) -> Digest {
    match payload(bytes) {
        Ok(p) => Digest::of_bytes_with(alg, &p),
        Err(_) => Digest::of_bytes_with(alg, bytes),
    }
}

/// A schema 1 manifest read by [`RawManifest::from_bytes_or_schema1`]:
/// signed or not (a `signatures` list), its digest that of [`payload`].
pub(super) fn raw(bytes: Vec<u8>, signed: bool) -> Result<RawManifest> {
    let digest = Digest::of_bytes(&payload(&bytes)?);
    let media_type = MediaType::parse(if signed {
        DOCKER_SCHEMA1_SIGNED
    } else {
        DOCKER_SCHEMA1
    });
    Ok(RawManifest {
        bytes,
        media_type,
        digest,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default)]
    tag: String,
    #[serde(default)]
    fs_layers: Vec<FsLayer>,
    #[serde(default)]
    history: Vec<V1History>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FsLayer {
    blob_sum: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1History {
    v1_compatibility: String,
}

/// What a `v1Compatibility` says of its layer.
#[derive(Default)]
struct Compat {
    id: String,
    parent: Option<String>,
    comment: Option<String>,
    created: Option<String>,
    cmd: Option<Vec<String>>,
    author: Option<String>,
    throwaway: Option<bool>,
}

impl Compat {
    /// Read as Go reads it into containers/image's structure: keys
    /// folded as Go folds them ([`super::types::fold_keys`]: case aside,
    /// the last of a key given twice, `null` leaving a field as it was),
    /// other keys passed over.
    fn read(text: &str) -> std::result::Result<Compat, String> {
        use serde_json::Value;
        let mut v = super::json_as_go_reads_it(text.as_bytes()).map_err(|e| e.to_string())?;
        const FIELDS: &[&str] = &[
            "id",
            "parent",
            "comment",
            "created",
            "container_config",
            "author",
            "throwaway",
        ];
        super::types::fold_keys(&mut v, FIELDS, &[]);
        let obj = match v {
            Value::Object(o) => o,
            Value::Null => return Ok(Compat::default()),
            other => return Err(format!("not a JSON object: {other}")),
        };
        let text_of = |k: &str, v: Option<&Value>| -> std::result::Result<Option<String>, String> {
            match v {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(format!("{k} is {other}, not a string")),
            }
        };
        let text = |k: &str| text_of(k, obj.get(k));
        let throwaway = match obj.get("throwaway") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => return Err(format!("throwaway is {other}, not true or false")),
        };
        let cmd = match obj.get("container_config").cloned() {
            None | Some(Value::Null) => None,
            Some(mut cc @ Value::Object(_)) => {
                super::types::fold_keys(&mut cc, &["Cmd"], &["Cmd"]);
                match cc.get("Cmd") {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(items)) => Some(
                        items
                            .iter()
                            .map(|i| text_of("Cmd", Some(i)).map(Option::unwrap_or_default))
                            .collect::<std::result::Result<_, _>>()?,
                    ),
                    Some(other) => return Err(format!("Cmd is {other}, not a list")),
                }
            }
            Some(other) => return Err(format!("container_config is {other}, not an object")),
        };
        Ok(Compat {
            id: text("id")?.unwrap_or_default(),
            parent: text("parent")?,
            comment: text("comment")?,
            created: text("created")?,
            cmd,
            author: text("author")?,
            throwaway,
        })
    }
}

/// One layer of a schema 1 image: its blob, its `v1Compatibility` text
/// and what that says.
struct Entry {
    blob: Digest,
    v1: String,
    compat: Compat,
}

/// A schema 1 manifest, read and checked as containers/image reads one.
pub struct Schema1 {
    /// The tag the manifest names (skopeo inspect's `Tag`).
    pub tag: String,
    /// Top layer first, as the manifest lists them, with consecutive
    /// entries of one layer ID taken once.
    entries: Vec<Entry>,
}

/// A layer of the schema 2 image, as read: its size and uncompressed
/// digest (its blob's own digest when it is not compressed).
#[derive(Debug, Clone)]
pub struct ConvertedLayer {
    pub size: u64,
    pub diff_id: Digest,
}

impl Schema1 {
    pub fn parse(bytes: &[u8]) -> Result<Schema1> {
        let bad = |why: String| Error::invalid(format!("schema 1 manifest: {why}"));
        let w: Wire = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if w.history.is_empty() {
            return Err(bad("it has no history entries".into()));
        }
        if w.history.len() != w.fs_layers.len() {
            return Err(bad(format!(
                "{} history entries for {} fsLayers",
                w.history.len(),
                w.fs_layers.len()
            )));
        }
        let mut entries = Vec::with_capacity(w.history.len());
        for (l, h) in w.fs_layers.into_iter().zip(w.history) {
            let blob = Digest::parse(&l.blob_sum).map_err(|e| bad(format!("blobSum: {e}")))?;
            let compat = Compat::read(&h.v1_compatibility)
                .map_err(|e| bad(format!("v1Compatibility: {e}")))?;
            let hex64 = compat.id.len() == 64
                && compat
                    .id
                    .bytes()
                    .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
            if !hex64 {
                return Err(bad(format!(
                    "layer ID {:?} is not 64 hex digits",
                    compat.id
                )));
            }
            // (as Go's time.Parse takes it: its fields in their ranges)
            let time_ok = |t: &str| super::gotime::Rfc3339::parse(t).is_some_and(|t| t.in_range());
            if let Some(t) = compat.created.as_deref().filter(|t| !time_ok(t)) {
                return Err(bad(format!(
                    "v1Compatibility: created {t:?} is not an RFC 3339 time, or not a real one"
                )));
            }
            entries.push(Entry {
                blob,
                v1: h.v1_compatibility,
                compat,
            });
        }
        let parent = |e: &Entry| e.compat.parent.clone().unwrap_or_default();
        if !parent(entries.last().unwrap()).is_empty() {
            return Err(bad("its base layer has a parent".into()));
        }
        // An ID seen before, other than just before: a loop.
        let mut seen = std::collections::HashSet::new();
        for (i, e) in entries.iter().enumerate() {
            let repeat = i > 0 && entries[i - 1].compat.id == e.compat.id;
            if !seen.insert(e.compat.id.as_str()) && !repeat {
                return Err(bad(format!("layer ID {} appears twice", e.compat.id)));
            }
        }
        // Each layer's parent is the next one down; a layer listed twice
        // in a row is one layer.
        let mut i = entries.len() - 1;
        while i > 0 {
            i -= 1;
            if entries[i].compat.id == entries[i + 1].compat.id {
                entries.remove(i);
            } else if parent(&entries[i]) != entries[i + 1].compat.id {
                return Err(bad(format!(
                    "layer {} names the parent {:?}, not the layer below it ({})",
                    entries[i].compat.id,
                    parent(&entries[i]),
                    entries[i + 1].compat.id
                )));
            }
        }
        Ok(Schema1 {
            tag: w.tag,
            entries,
        })
    }

    /// Every layer's blob, bottom first, with whether it is an empty
    /// (`throwaway`) one.
    pub fn layers(&self) -> Vec<(&Digest, bool)> {
        self.entries
            .iter()
            .rev()
            .map(|e| (&e.blob, e.compat.throwaway.unwrap_or(false)))
            .collect()
    }

    /// The blobs of the schema 2 image, bottom first: the layers that are
    /// not empty.
    pub fn image_layers(&self) -> Vec<&Digest> {
        self.layers()
            .into_iter()
            .filter(|l| !l.1)
            .map(|l| l.0)
            .collect()
    }

    /// The top layer's `v1Compatibility`: the image's configuration, in
    /// the image config's terms.
    pub fn top_config(&self) -> &str {
        &self.entries[0].v1
    }

    /// The schema 2 config and manifest of this image, its layers
    /// ([`Schema1::image_layers`]) read as `layers` says, in the bytes
    /// containers/image makes: the top `v1Compatibility` without its
    /// layer's own fields, with `rootfs` and `history` made of the
    /// entries, keys sorted, as Go's encoding/json writes a map.
    pub fn to_schema2(&self, layers: &[ConvertedLayer]) -> Result<(Vec<u8>, RawManifest)> {
        let bad = |why: String| Error::invalid(format!("schema 1 manifest: {why}"));
        let blobs = self.image_layers();
        if blobs.len() != layers.len() {
            return Err(Error::new(format!(
                "schema 1 conversion: {} layers read for {}",
                layers.len(),
                blobs.len()
            )));
        }
        if blobs.is_empty() {
            return Err(bad(
                "every layer is empty; there is no image to write".into()
            ));
        }
        // Read as an image config (types checked), then as raw fields.
        super::ImageConfig::parse(self.top_config().as_bytes())
            .map_err(|e| bad(format!("v1Compatibility of the top layer: {e}")))?;
        let mut fields: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(self.top_config())
                .map_err(|e| bad(format!("v1Compatibility of the top layer: {e}")))?;
        for k in ["id", "parent", "parent_id", "layer_id", "throwaway", "Size"] {
            fields.remove(k);
        }
        let diff_ids: Vec<String> = layers
            .iter()
            .map(|l| go_quote(&l.diff_id.to_string()))
            .collect();
        let rootfs = if diff_ids.is_empty() {
            r#"{"type":"layers"}"#.to_string()
        } else {
            format!(r#"{{"type":"layers","diff_ids":[{}]}}"#, diff_ids.join(","))
        };
        let history: Vec<String> = self
            .entries
            .iter()
            .rev()
            .map(|e| {
                let c = &e.compat;
                let created = c
                    .created
                    .as_deref()
                    .and_then(go_json_time)
                    .unwrap_or_else(|| "0001-01-01T00:00:00Z".into());
                let mut h = format!("{{\"created\":{}", go_quote(&created));
                let by = c.cmd.as_ref().map(|cmd| cmd.join(" ")).unwrap_or_default();
                // (in the order of containers/image's history structure)
                for (k, v) in [
                    ("author", c.author.as_deref().unwrap_or("")),
                    ("created_by", by.as_str()),
                    ("comment", c.comment.as_deref().unwrap_or("")),
                ] {
                    if !v.is_empty() {
                        h.push_str(&format!(",\"{k}\":{}", go_quote(v)));
                    }
                }
                if c.throwaway.unwrap_or(false) {
                    h.push_str(",\"empty_layer\":true");
                }
                h.push('}');
                h
            })
            .collect();
        let history = format!("[{}]", history.join(","));
        let mut out: BTreeMap<String, String> = fields
            .into_iter()
            .map(|(k, v)| (k, go_compact(v.get())))
            .collect();
        out.insert("rootfs".into(), rootfs);
        out.insert("history".into(), history);
        let body: Vec<String> = out
            .iter()
            .map(|(k, v)| format!("{}:{v}", go_quote(k)))
            .collect();
        let config = format!("{{{}}}", body.join(",")).into_bytes();
        let descriptor = |mt: &str, size: u64, d: &Digest| {
            format!(r#"{{"mediaType":"{mt}","size":{size},"digest":"{d}"}}"#)
        };
        let layer_list: Vec<String> = layers
            .iter()
            .zip(&blobs)
            .map(|(l, d)| {
                // (a blob that is its own content is an uncompressed tar)
                let mt = if l.diff_id == **d {
                    DOCKER_LAYER_TAR
                } else {
                    DOCKER_LAYER_GZIP
                };
                descriptor(mt, l.size, d)
            })
            .collect();
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{},"layers":[{}]}}"#,
            descriptor(
                DOCKER_CONFIG,
                config.len() as u64,
                &Digest::of_bytes(&config)
            ),
            layer_list.join(",")
        );
        let manifest =
            RawManifest::from_bytes(manifest.into_bytes(), Some(&MediaType::DockerManifest))?;
        Ok((config, manifest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: char, parent: Option<char>, extra: &str) -> String {
        let p = parent
            .map(|p| format!(r#","parent":"{}""#, p.to_string().repeat(64)))
            .unwrap_or_default();
        format!(r#"{{"id":"{}"{p}{extra}}}"#, id.to_string().repeat(64))
    }

    fn manifest(entries: &[(String, &str)]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 1, "name": "a/b", "tag": "1", "architecture": "amd64",
            "fsLayers": entries.iter().map(|(_, b)| serde_json::json!({"blobSum": b})).collect::<Vec<_>>(),
            "history": entries.iter().map(|(v, _)| serde_json::json!({"v1Compatibility": v})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    const B1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const B2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn reads_and_converts() {
        let top = entry(
            'b',
            Some('a'),
            r##","created":"2024-01-02T03:04:05.500Z","os":"linux","architecture":"amd64","Size":3,"config":{"Env":["A=<1>"]},"container_config":{"Cmd":["/bin/sh","-c","#(nop) ENV A=<1>"]},"throwaway":true"##,
        );
        // (keys as Go matches them: ignoring case, the last of two winning)
        let base = entry(
            'a',
            None,
            r#","created":"2024-01-01T00:00:00Z","comment":"x","Comment":"base","AUTHOR":"me","Container_Config":{"cmd":["ADD","base"]}"#,
        );
        // the top one listed twice in a row: one layer
        let m = manifest(&[(top.clone(), B2), (top, B2), (base, B1)]);
        let s = Schema1::parse(&m).unwrap();
        assert_eq!(s.tag, "1");
        assert_eq!(s.layers().len(), 2);
        assert_eq!(
            s.image_layers()
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>(),
            [B1]
        );
        let diff = Digest::parse(B2).unwrap();
        let (config, man) = s
            .to_schema2(&[ConvertedLayer {
                size: 7,
                diff_id: diff,
            }])
            .unwrap();
        assert_eq!(
            String::from_utf8(config.clone()).unwrap(),
            format!(
                r##"{{"architecture":"amd64","config":{{"Env":["A=\u003c1\u003e"]}},"container_config":{{"Cmd":["/bin/sh","-c","#(nop) ENV A=\u003c1\u003e"]}},"created":"2024-01-02T03:04:05.500Z","history":[{{"created":"2024-01-01T00:00:00Z","author":"me","created_by":"ADD base","comment":"base"}},{{"created":"2024-01-02T03:04:05.5Z","created_by":"/bin/sh -c #(nop) ENV A=\u003c1\u003e","empty_layer":true}}],"os":"linux","rootfs":{{"type":"layers","diff_ids":["{B2}"]}}}}"##
            )
        );
        let mv: serde_json::Value = serde_json::from_slice(&man.bytes).unwrap();
        assert_eq!(
            mv["config"]["digest"],
            Digest::of_bytes(&config).to_string()
        );
        assert_eq!(mv["layers"][0]["digest"], B1);
        assert_eq!(mv["layers"][0]["size"], 7);
    }

    #[test]
    fn refuses_what_containers_image_refuses() {
        let a = entry('a', None, "");
        let b = entry('b', Some('c'), "");
        for (m, said) in [
            (manifest(&[(b, B2), (a.clone(), B1)]), "names the parent"),
            (
                manifest(&[(entry('a', Some('b'), ""), B1)]),
                "base layer has a parent",
            ),
            (manifest(&[(r#"{"id":"x"}"#.into(), B1)]), "64 hex"),
            (manifest(&[]), "no history"),
            (
                manifest(&[(entry('a', None, r#","created":"yesterday""#), B1)]),
                "RFC 3339",
            ),
            (
                manifest(&[(entry('a', None, r#","created":"2023-02-30T00:00:00Z""#), B1)]),
                "not a real one",
            ),
            (
                manifest(&[(entry('a', None, r#","throwaway":"yes""#), B1)]),
                "not true or false",
            ),
        ] {
            let e = Schema1::parse(&m).err().expect(said).to_string();
            assert!(e.contains(said), "{e}");
        }
        // Every layer empty: nothing to write.
        let m = manifest(&[(entry('a', None, r#","throwaway":true"#), B1)]);
        let e = Schema1::parse(&m).unwrap().to_schema2(&[]).unwrap_err();
        assert!(e.to_string().contains("every layer is empty"), "{e}");
    }

    #[test]
    fn signed_payload() {
        let body = br#"{"schemaVersion":1,"fsLayers":[]}"#;
        let len = body.len() - 1; // up to the closing brace
        let tail = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"}");
        let protected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"formatLength":{len},"formatTail":"{tail}"}}"#));
        let signed = format!(
            r#"{},"signatures":[{{"protected":"{protected}","signature":"x"}}]}}"#,
            std::str::from_utf8(&body[..len]).unwrap()
        );
        assert_eq!(&*payload(signed.as_bytes()).unwrap(), body);
        let raw = RawManifest::from_bytes_or_schema1(signed.into_bytes(), None).unwrap();
        assert_eq!(raw.digest, Digest::of_bytes(body));
        assert_eq!(raw.media_type.as_str(), DOCKER_SCHEMA1_SIGNED);
        let plain = RawManifest::from_bytes_or_schema1(body.to_vec(), None).unwrap();
        assert_eq!(plain.media_type.as_str(), DOCKER_SCHEMA1);
        assert!(RawManifest::from_bytes(body.to_vec(), None).is_err());
    }
}
