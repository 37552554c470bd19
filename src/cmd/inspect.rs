//! `lade inspect IMAGE [--raw | --config]`: skopeo inspect's JSON fields.

use std::io::Write;

use serde_json::{json, Map, Value};

use super::{platform_of, stdout};
use crate::cli::InspectArgs;
use crate::copy::{get_listed_manifest, read_config, select_manifest};
use crate::error::{Error, Result};
use crate::model::{DockerRef, ImageConfig, Platform, RawManifest};
use crate::transport::{self, ImageSource, TransportOptions};

pub fn run(a: InspectArgs) -> Result<i32> {
    // A template is read before anything is fetched.
    let template = match a.format.as_deref() {
        Some(f) if !super::template::is_json(f) => Some(super::template::Template::parse(f)?),
        _ => None,
    };
    let r = transport::parse(&a.image)?;
    let opts = TransportOptions {
        src_registry: super::registry::options(&a.registry),
        src_daemon_host: a.daemon_host.clone(),
        ..Default::default()
    };
    let src = r.source(&opts).map_err(|e| e.context(&a.image))?;
    let mut out = stdout();
    let top = src.get_manifest(None).map_err(|e| e.context(&a.image))?;
    if a.raw && !a.config {
        out.write_all(&top.bytes)?;
        out.flush()?;
        return Ok(0);
    }
    if a.all_platforms {
        let v = all_platforms(&*src, &top).map_err(|e| e.context(&a.image))?;
        match &template {
            Some(t) => out.write_all(t.render(&v)?.as_bytes())?,
            None => write_pretty(&mut out, &v)?,
        }
        out.flush()?;
        return Ok(0);
    }
    let platform = platform_of(&a.platform)?;
    let raw = if top.is_index() {
        select_manifest(&*src, platform.as_ref()).map_err(|e| e.context(&a.image))?
    } else {
        top.clone()
    };
    let manifest = raw.manifest().map_err(|e| e.context(&a.image))?;
    let config_bytes = read_config(&*src, &manifest.config).map_err(|e| e.context(&a.image))?;
    if a.config {
        out.write_all(&config_bytes)?;
        out.flush()?;
        return Ok(0);
    }
    let config: ImageConfig = serde_json::from_slice(&config_bytes)
        .map_err(|e| Error::new(format!("{}: config: {e}", a.image)))?;
    let cc = config.config.clone().unwrap_or_default();
    let mut o = Map::new();
    if let Some(name) = r.docker_reference() {
        if let Ok(d) = DockerRef::parse(&name) {
            o.insert("Name".into(), json!(d.name()));
        }
    }
    o.insert("Digest".into(), json!(top.digest.to_string()));
    // As skopeo: for a registry, every tag of the repository. A
    // repository whose images were all pushed by digest has no tag list
    // (404): the image is there, its tags are none.
    let tags = if r.transport() == "docker" {
        match r.list_tags(&opts) {
            Ok(t) => t,
            Err(e) if e.kind() == crate::error::Kind::NotFound => Vec::new(),
            Err(e) => return Err(e.context(&a.image)),
        }
    } else {
        Vec::new()
    };
    o.insert("RepoTags".into(), json!(tags));
    o.insert("Created".into(), json!(config.created));
    // From the config whatever the manifest format, as skopeo does.
    let docker_version = config.docker_version.clone().unwrap_or_default();
    o.insert("DockerVersion".into(), json!(docker_version));
    o.insert("Labels".into(), json!(cc.labels));
    o.insert("Architecture".into(), json!(config.architecture));
    if let Some(v) = config.variant.as_ref().filter(|v| !v.is_empty()) {
        o.insert("Variant".into(), json!(v));
    }
    o.insert("Os".into(), json!(config.os));
    o.insert(
        "Layers".into(),
        json!(manifest
            .layers
            .iter()
            .map(|l| l.digest.to_string())
            .collect::<Vec<_>>()),
    );
    o.insert(
        "LayersData".into(),
        Value::Array(
            manifest
                .layers
                .iter()
                .map(|l| {
                    json!({
                        "MIMEType": l.media_type.as_str(),
                        "Digest": l.digest.to_string(),
                        "Size": l.size,
                        "Annotations": l.annotations,
                    })
                })
                .collect(),
        ),
    );
    o.insert("Env".into(), json!(cc.env));
    match &template {
        Some(t) => {
            let v = super::template::inspect_data(Value::Object(o));
            out.write_all(t.render(&v)?.as_bytes())?
        }
        None => write_pretty(&mut out, &Value::Object(o))?,
    }
    out.flush()?;
    Ok(0)
}

/// JSON indented by four spaces, as skopeo prints it.
pub fn write_pretty(out: &mut impl Write, v: &Value) -> Result<()> {
    use serde::Serialize;
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, fmt);
    v.serialize(&mut ser)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// One entry per image of an index (or the single image), in one call:
/// the child manifests are read, configs only for a single image.
fn all_platforms(src: &dyn ImageSource, top: &RawManifest) -> Result<Value> {
    let entry = |raw: &RawManifest, p: Option<&Platform>| -> Result<Value> {
        let m = raw.manifest()?;
        let size: u64 = m.config.size + m.layers.iter().map(|l| l.size).sum::<u64>();
        Ok(json!({
            "Platform": p.map(|p| p.to_string()),
            "Os": p.map(|p| p.os.clone()),
            "Architecture": p.map(|p| p.architecture.clone()),
            "Variant": p.and_then(|p| p.variant.clone()),
            "Digest": raw.digest.to_string(),
            "MediaType": raw.media_type.as_str(),
            "ManifestSize": raw.bytes.len(),
            "ConfigDigest": m.config.digest.to_string(),
            "Size": size,
            "Layers": m.layers.iter().map(|l| l.digest.to_string()).collect::<Vec<_>>(),
            "LayersData": m.layers.iter().map(|l| json!({
                "MIMEType": l.media_type.as_str(),
                "Digest": l.digest.to_string(),
                "Size": l.size,
                "Annotations": l.annotations,
            })).collect::<Vec<_>>(),
        }))
    };
    let platforms = if top.is_index() {
        let index = top.index()?;
        let mut v = Vec::new();
        for d in &index.manifests {
            if !d.media_type.is_manifest() {
                continue;
            }
            let raw = get_listed_manifest(src, d)?;
            v.push(entry(&raw, d.platform.as_ref())?);
        }
        v
    } else {
        let m = top.manifest()?;
        let p = if m.config.media_type.is_config() {
            let c: ImageConfig = serde_json::from_slice(&read_config(src, &m.config)?)
                .map_err(|e| Error::new(format!("config: {e}")))?;
            c.platform()
        } else {
            None
        };
        vec![entry(top, p.as_ref())?]
    };
    Ok(json!({
        "Digest": top.digest.to_string(),
        "MediaType": top.media_type.as_str(),
        "Platforms": platforms,
    }))
}
