//! `lade inspect IMAGE [--raw | --config]`: skopeo inspect's JSON fields.

use std::io::Write;

use serde_json::{json, Map, Value};

use super::stdout;
use super::template::{self, Nil};
use crate::cli::{GlobalArgs, InspectArgs};
use crate::copy::{get_listed_manifest, read_config, select_manifest};
use crate::error::{Error, Result};
use crate::model::schema1::Schema1;
use crate::model::{Descriptor, Digest, DockerRef, ImageConfig, MediaType, Platform, RawManifest};
use crate::transport::{self, ImageSource, TransportOptions};

pub fn run(g: &GlobalArgs, a: InspectArgs) -> Result<i32> {
    // The image of an index shown (--override-*; None: this machine's).
    let platform = super::platform_of(g)?;
    // A template is read before anything is fetched.
    let template = match a.format.as_deref() {
        Some(f) if !template::is_json(f) => Some(template::Template::parse(f)?),
        _ => None,
    };
    let r = transport::parse(&a.image)?;
    let opts = TransportOptions {
        src_registry: super::registry::options(&a.registry),
        src_daemon_host: a.daemon_host.clone(),
        src_daemon_flag: "--daemon-host",
        src_shared_blob_dir: a.shared_blob_dir.clone(),
        ..super::transport_options(g)
    };
    let src = r.source(&opts).map_err(|e| e.context(&a.image))?;
    let mut out = stdout();
    let top = src.get_manifest(None).map_err(|e| e.context(&a.image))?;
    if a.raw && !a.config {
        out.write_all(&top.bytes)?;
        out.flush()?;
        return Ok(0);
    }
    // A schema 1 image has no config: its top layer's v1Compatibility
    // stands for one, as skopeo reads it.
    let schema1 = if top.is_schema1() {
        if a.config || a.all_platforms {
            return Err(Error::invalid(format!(
                "{}: {} is a Docker schema 1 manifest, which has no config to show \
                 (--config, --all-platforms); lade copy writes the image as schema 2",
                a.image, top.digest
            )));
        }
        Some(Schema1::parse(&top.bytes).map_err(|e| e.context(&a.image))?)
    } else {
        None
    };
    if a.all_platforms {
        let v = all_platforms(&*src, &top).map_err(|e| e.context(&a.image))?;
        match &template {
            Some(t) => out.write_all(t.render(&v)?.as_bytes())?,
            None => write_pretty(&mut out, &v)?,
        }
        out.flush()?;
        return Ok(0);
    }
    let raw = if top.is_index() {
        select_manifest(&*src, platform.as_ref()).map_err(|e| e.context(&a.image))?
    } else {
        top.clone()
    };
    // (the layers listed: for schema 1 each entry's blob, the empty
    // ones too, bottom first, their sizes not known)
    let (config_bytes, layers) = match &schema1 {
        Some(s1) => {
            let layers = s1
                .layers()
                .into_iter()
                .map(|(d, _)| Descriptor::new(MediaType::DockerLayerGzip, d.clone(), 0));
            (s1.top_config().as_bytes().to_vec(), layers.collect())
        }
        None => {
            let manifest = raw.manifest().map_err(|e| e.context(&a.image))?;
            let bytes = read_config(&*src, &manifest.config).map_err(|e| e.context(&a.image))?;
            (bytes, manifest.layers)
        }
    };
    if a.config && a.raw {
        out.write_all(&config_bytes)?;
        out.flush()?;
        return Ok(0);
    }
    if a.config {
        // The configuration as an OCI image config, as skopeo prints it
        // (Docker-only fields dropped, keys in the specification's order).
        // (read as an image config first, as plain inspect and skopeo
        // read it: `[]`, or an Env that is no list, is an error, not an
        // empty or half-made configuration)
        ImageConfig::parse(&config_bytes)
            .map_err(|e| Error::new(format!("{}: config: {e}", a.image)))?;
        let v: Value = crate::model::json_as_go_reads_it(&config_bytes)
            .map_err(|e| Error::new(format!("{}: config: {e}", a.image)))?;
        let (json_out, fields) = oci_config(&v);
        match &template {
            Some(t) => out.write_all(t.render(&fields)?.as_bytes())?,
            None => write_pretty(&mut out, &json_out)?,
        }
        out.flush()?;
        return Ok(0);
    }
    let config = ImageConfig::parse(&config_bytes)
        .map_err(|e| Error::new(format!("{}: config: {e}", a.image)))?;
    let cc = config.config.clone().unwrap_or_default();
    let mut o = Map::new();
    if let Some(name) = r.docker_reference() {
        if let Ok(d) = DockerRef::parse(&name) {
            o.insert("Name".into(), json!(d.name()));
        }
    }
    // (the tag a schema 1 manifest names, as skopeo shows it)
    if let Some(t) = schema1.as_ref().map(|s| &s.tag).filter(|t| !t.is_empty()) {
        o.insert("Tag".into(), json!(t));
    }
    let digest = match a.manifest_digest {
        // (a signed schema 1 manifest's: its payload's)
        Some(alg) => crate::model::schema1::manifest_digest_with(alg.into(), &top.bytes),
        None => top.digest.clone(),
    };
    o.insert("Digest".into(), json!(digest.to_string()));
    // As skopeo: for a registry, every tag of the repository (unless
    // --no-tags). A repository whose images were all pushed by digest has
    // no tag list (404): the image is there, its tags are none. A
    // registry that lets the image be read but not the tags be listed
    // (403, or a token without the scope: AWS ECR without
    // ecr:ListImages) leaves them unknown: null.
    let tags = if r.transport() == "docker" && !a.no_tags {
        match r.list_tags(&opts) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == crate::error::Kind::NotFound => Some(Vec::new()),
            Err(e) if e.kind() == crate::error::Kind::Denied => {
                crate::error::warn(&format!(
                    "RepoTags left null: the registry refused the tag list ({e})"
                ));
                None
            }
            Err(e) => {
                return Err(e.context(format!(
                    "{}: listing its repository's tags for RepoTags (--no-tags skips that)",
                    a.image
                )))
            }
        }
    } else {
        Some(Vec::new())
    };
    o.insert("RepoTags".into(), json!(tags));
    // As Go writes the time; none is Go's zero time for a Docker image
    // (skopeo reads its config into a time.Time), null for an OCI one.
    let created = config
        .created
        .as_deref()
        .map(|t| template::go_json_time(t).unwrap_or_else(|| t.to_string()))
        .or_else(|| {
            (raw.media_type == MediaType::DockerManifest || schema1.is_some())
                .then(|| "0001-01-01T00:00:00Z".into())
        });
    o.insert("Created".into(), json!(created));
    // From the config whatever the manifest format, as skopeo does.
    let docker_version = config.docker_version.clone().unwrap_or_default();
    o.insert("DockerVersion".into(), json!(docker_version));
    o.insert("Labels".into(), json!(cc.labels));
    o.insert("Architecture".into(), json!(config.architecture));
    if let Some(v) = config.variant.as_ref().filter(|v| !v.is_empty()) {
        o.insert("Variant".into(), json!(v));
    }
    o.insert("Os".into(), json!(config.os));
    insert_layers(&mut o, &layers, schema1.is_none());
    o.insert("Env".into(), json!(cc.env));
    match &template {
        Some(t) => {
            let v = template::inspect_data(Value::Object(o));
            out.write_all(t.render(&v)?.as_bytes())?
        }
        None => write_pretty(&mut out, &Value::Object(o))?,
    }
    out.flush()?;
    Ok(0)
}

/// JSON indented by four spaces, as skopeo prints it (see
/// [`crate::model::gojson::GoJson`]).
pub fn write_pretty(out: &mut impl Write, v: &impl serde::Serialize) -> Result<()> {
    let fmt = crate::model::gojson::GoJson(serde_json::ser::PrettyFormatter::with_indent(b"    "));
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, fmt);
    v.serialize(&mut ser)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// An image config read as an OCI image config, as Go reads it into the
/// specification's structure: (its JSON, keys in the structure's order,
/// empty optional fields left out; its fields by their Go names, absent
/// ones as Go's zero values, for templates).
fn oci_config(v: &Value) -> (Value, Value) {
    use Zero::*;
    // Keys as Go reads them (case folded, the last one winning).
    let mut v = v.clone();
    crate::model::fold_config(&mut v);
    let v = &v;
    fn field<'v>(o: &'v Value, k: &str) -> Option<&'v Value> {
        o.as_object()?.get(k)
    }
    let get = |o: &Value, k: &str| field(o, k).filter(|x| !x.is_null()).cloned();
    let time = |o: &Value, k: &str| field(o, k).and_then(Value::as_str).map(str::to_string);
    // Go writes maps with their keys sorted.
    let sorted = |x: Option<Value>| {
        x.map(|x| match x {
            Value::Object(m) => {
                let mut e: Vec<_> = m.into_iter().collect();
                e.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(e.into_iter().collect())
            }
            other => other,
        })
    };
    let c = field(v, "config").cloned().unwrap_or(Value::Null);
    // Labels are strings (map[string]string): null is "".
    let labels = sorted(get(&c, "Labels")).map(|mut l| {
        if let Value::Object(m) = &mut l {
            m.values_mut()
                .filter(|x| x.is_null())
                .for_each(|x| *x = json!(""));
        }
        l
    });
    let (config_j, config_g) = go_struct(vec![
        ("User", "User", get(&c, "User"), Text),
        (
            "ExposedPorts",
            "ExposedPorts",
            sorted(get(&c, "ExposedPorts")),
            Set,
        ),
        ("Env", "Env", get(&c, "Env"), List),
        ("Entrypoint", "Entrypoint", get(&c, "Entrypoint"), List),
        ("Cmd", "Cmd", get(&c, "Cmd"), List),
        ("Volumes", "Volumes", sorted(get(&c, "Volumes")), Set),
        ("WorkingDir", "WorkingDir", get(&c, "WorkingDir"), Text),
        ("Labels", "Labels", labels, Map),
        ("StopSignal", "StopSignal", get(&c, "StopSignal"), Text),
        ("ArgsEscaped", "ArgsEscaped", get(&c, "ArgsEscaped"), Bool),
    ]);
    let r = field(v, "rootfs").cloned().unwrap_or(Value::Null);
    let (rootfs_j, rootfs_g) = go_struct(vec![
        ("type", "Type", get(&r, "type"), Always(json!(""))),
        (
            "diff_ids",
            "DiffIDs",
            get(&r, "diff_ids"),
            Always(Value::Null),
        ),
    ]);
    let history: Vec<(Value, Value)> = field(v, "history")
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .map(|e| {
                    go_struct(vec![
                        (
                            "created",
                            "Created",
                            time(e, "created").map(Value::String),
                            Time,
                        ),
                        ("created_by", "CreatedBy", get(e, "created_by"), Text),
                        ("author", "Author", get(e, "author"), Text),
                        ("comment", "Comment", get(e, "comment"), Text),
                        ("empty_layer", "EmptyLayer", get(e, "empty_layer"), Bool),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    let (hist_j, hist_g): (Vec<_>, Vec<_>) = history.into_iter().unzip();
    let (j, mut g) = go_struct(vec![
        (
            "created",
            "Created",
            time(v, "created").map(Value::String),
            Time,
        ),
        ("author", "Author", get(v, "author"), Text),
        // (skopeo 1.9's order: image-spec 1.1.0-rc2's)
        (
            "architecture",
            "Architecture",
            get(v, "architecture"),
            Always(json!("")),
        ),
        ("variant", "Variant", get(v, "variant"), Text),
        ("os", "OS", get(v, "os"), Always(json!(""))),
        ("os.version", "OSVersion", get(v, "os.version"), Text),
        ("os.features", "OSFeatures", get(v, "os.features"), List),
        ("config", "Config", Some(config_j), Always(json!({}))),
        ("rootfs", "RootFS", Some(rootfs_j), Always(json!({}))),
        ("history", "History", Some(Value::Array(hist_j)), List),
    ]);
    g["Config"] = config_g;
    g["RootFS"] = rootfs_g;
    g["History"] = match field(v, "history") {
        Some(Value::Array(_)) => Value::Array(hist_g),
        _ => template::nil_value(Nil::Slice),
    };
    (j, g)
}

/// A field's Go type, as far as its zero value and `omitempty` go.
enum Zero {
    Text,
    Bool,
    List,
    Map,
    /// A map[string]struct{}.
    Set,
    /// A *time.Time.
    Time,
    /// Written even when empty (no omitempty), as this when absent.
    Always(Value),
}

/// A Go struct of `fields` (JSON key, Go name, value, type): its JSON
/// (omitempty fields left out when empty; times as Go writes them) and
/// its fields by Go name (absent ones as zero values; times as Go prints
/// them).
fn go_struct(fields: Vec<(&str, &str, Option<Value>, Zero)>) -> (Value, Value) {
    let (mut j, mut g) = (Map::new(), Map::new());
    for (key, name, value, zero) in fields {
        let empty = match &value {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Bool(b)) => !b,
            Some(Value::Number(_)) => false,
        };
        let (jv, gv) = match (&zero, value) {
            (Zero::Time, Some(Value::String(t))) => (
                Value::String(template::go_json_time(&t).unwrap_or_else(|| t.clone())),
                match template::go_time(&t) {
                    Some(_) => template::time_value(&t),
                    None => Value::String(t),
                },
            ),
            (Zero::Always(Value::Null), None) => (Value::Null, template::nil_value(Nil::Slice)),
            (Zero::Always(z), None) => (z.clone(), z.clone()),
            // (a set's members are empty structs)
            (Zero::Set, Some(Value::Object(m))) => {
                let empty = || template::struct_value(json!({}), Map::new());
                let g = m.keys().map(|k| (k.clone(), empty())).collect();
                (Value::Object(m), Value::Object(g))
            }
            (_, Some(v)) => (v.clone(), v),
            (Zero::Text, None) => (Value::Null, json!("")),
            (Zero::Bool, None) => (Value::Null, json!(false)),
            (Zero::List, None) => (Value::Null, template::nil_value(Nil::Slice)),
            (Zero::Map | Zero::Set, None) => (Value::Null, template::nil_value(Nil::Map)),
            (Zero::Time, None) => (Value::Null, template::nil_value(Nil::Ptr)),
        };
        if matches!(zero, Zero::Always(_)) || !empty {
            j.insert(key.into(), jv);
        }
        g.insert(name.into(), gv);
    }
    let j = Value::Object(j);
    (j.clone(), template::struct_value(j, g))
}

/// An image's `Layers` (digests) and `LayersData` (media type, digest,
/// size, annotations), as skopeo prints them.
/// (`sizes_known` false: schema 1's layers, each `Size` -1, as skopeo
/// gives them)
fn insert_layers(o: &mut Map<String, Value>, layers: &[Descriptor], sizes_known: bool) {
    o.insert(
        "Layers".into(),
        json!(layers
            .iter()
            .map(|l| l.digest.to_string())
            .collect::<Vec<_>>()),
    );
    let data = layers.iter().map(|l| {
        json!({
            "MIMEType": l.media_type.as_str(),
            "Digest": l.digest.to_string(),
            "Size": if sizes_known { json!(l.size) } else { json!(-1) },
            "Annotations": l.annotations,
        })
    });
    o.insert("LayersData".into(), Value::Array(data.collect()));
}

/// One entry per image of an index (or the single image), in one call:
/// the child manifests are read, configs only for a single image.
fn all_platforms(src: &dyn ImageSource, top: &RawManifest) -> Result<Value> {
    // What the index entry (or the image) says: the platform and manifest.
    let head = |p: Option<&Platform>, digest: &Digest, mt: &MediaType, size: u64| {
        json!({
            "Platform": p.map(|p| p.to_string()),
            "Os": p.map(|p| p.os.clone()),
            "Architecture": p.map(|p| p.architecture.clone()),
            "Variant": p.and_then(|p| p.variant.clone()),
            // (two windows/amd64 images differ by it)
            "OsVersion": p.and_then(|p| p.os_version.clone()),
            "Digest": digest.to_string(),
            "MediaType": mt.as_str(),
            "ManifestSize": size,
        })
    };
    let entry = |raw: &RawManifest, p: Option<&Platform>| -> Result<Value> {
        let m = raw.manifest()?;
        let size = m
            .layers
            .iter()
            .try_fold(m.config.size, |a, l| a.checked_add(l.size))
            .ok_or_else(|| {
                Error::new(format!(
                    "manifest {}: its config's and layers' sizes add up to more than 2^64 bytes",
                    raw.digest
                ))
            })?;
        let mut v = head(p, &raw.digest, &raw.media_type, raw.bytes.len() as u64);
        let o = v.as_object_mut().expect("an object");
        o.insert("ConfigDigest".into(), json!(m.config.digest.to_string()));
        o.insert("Size".into(), json!(size));
        insert_layers(o, &m.layers, true);
        o.insert("Missing".into(), json!(false));
        Ok(v)
    };
    let platforms = if top.is_index() {
        let index = top.index()?;
        // The images of nested indexes too, where their index is listed,
        // each naming it ("Index"; null: the top one's).
        // (A nested index the source lacks is listed as a missing image
        // is, its images unknown; one that is damaged is an error.)
        let leaves =
            crate::copy::index::leaves_or_missing(&index, &mut |d| get_listed_manifest(src, d))?;
        let of_the_index = match crate::copy::index::is_nested(&index) {
            true => format!(
                "{} entries of the index and those nested in it",
                leaves.len()
            ),
            false => format!("index's {} entries", leaves.len()),
        };
        let mut v = Vec::new();
        // (An image listed twice is read once.)
        let mut read: std::collections::HashMap<&Digest, RawManifest> = Default::default();
        let mut others = Vec::new();
        let mut missing = Vec::new();
        let mut missing_indexes = 0;
        for leaf in &leaves {
            let d = &leaf.desc;
            let parent = json!(leaf.parent.as_ref().map(|p| p.to_string()));
            // Not there (the one platform a docker save of a
            // multi-platform image holds, say; a nested index, the only
            // index among the leaves): what the index says of it, without
            // its config and layers.
            let mut listed_missing = || {
                missing.push(d.digest.to_string());
                // (every entry has every field, for templates)
                let mut e = head(d.platform.as_deref(), &d.digest, &d.media_type, d.size);
                for k in ["ConfigDigest", "Size", "Layers", "LayersData"] {
                    e[k] = Value::Null;
                }
                e["Missing"] = json!(true);
                e["Index"] = parent.clone();
                v.push(e);
            };
            if d.media_type.is_index() {
                missing_indexes += 1;
                listed_missing();
                continue;
            }
            if !d.media_type.is_manifest() {
                others.push(format!("{} ({})", d.digest, d.media_type));
                continue;
            }
            if !read.contains_key(&d.digest) {
                match get_listed_manifest(src, d) {
                    Ok(raw) => read.insert(&d.digest, raw),
                    Err(e) if e.is_missing() => {
                        listed_missing();
                        continue;
                    }
                    Err(e) => return Err(e),
                };
            }
            let mut e = entry(&read[&d.digest], d.platform.as_deref())?;
            e["Index"] = parent;
            v.push(e);
        }
        if let Some(first) = missing.first() {
            crate::error::warn(&format!(
                "{} of the {of_the_index} are not in the source and are listed without \
                 config or layers (\"Missing\": true): {first}{}{}",
                missing.len(),
                if missing.len() > 1 { ", …" } else { "" },
                match missing_indexes {
                    0 => String::new(),
                    1 => "; 1 of them is a nested index, whose images are unknown".into(),
                    n => format!("; {n} of them are nested indexes, whose images are unknown"),
                }
            ));
        }
        if let Some(first) = others.first() {
            crate::error::warn(&format!(
                "{} of the {of_the_index} are no images and are not listed: {first}{}",
                others.len(),
                if others.len() > 1 { ", …" } else { "" }
            ));
        }
        v
    } else {
        let m = top.manifest()?;
        let p = if m.config.media_type.is_config() {
            let c = ImageConfig::parse(&read_config(src, &m.config)?)
                .map_err(|e| Error::new(format!("config: {e}")))?;
            c.platform()
        } else {
            None
        };
        let mut e = entry(top, p.as_ref())?;
        e["Index"] = Value::Null;
        vec![e]
    };
    Ok(json!({
        "Digest": top.digest.to_string(),
        "MediaType": top.media_type.as_str(),
        "Platforms": platforms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_go_writes_them_in_json() {
        for (given, want) in [
            ("2024-05-06T07:08:09Z", "2024-05-06T07:08:09Z"),
            (
                "2024-05-06T07:08:09.120000000+00:00",
                "2024-05-06T07:08:09.12Z",
            ),
            ("2024-05-06T07:08:09.000Z", "2024-05-06T07:08:09Z"),
            ("2024-05-06T07:08:09.5-02:00", "2024-05-06T07:08:09.5-02:00"),
        ] {
            assert_eq!(
                super::template::go_json_time(given).as_deref(),
                Some(want),
                "{given}"
            );
        }
        assert_eq!(super::template::go_json_time("yesterday"), None);
    }

    #[test]
    fn pretty_json_escapes_as_go_does() {
        let mut out = Vec::new();
        write_pretty(&mut out, &json!({"a": "<x> & \u{2028}\u{8}\u{c}\n\\"})).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n    \"a\": \"\\u003cx\\u003e \\u0026 \\u2028\\u0008\\u000c\\n\\\\\"\n}\n"
        );
    }
}
