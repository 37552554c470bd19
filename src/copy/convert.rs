//! `convert`: re-author a stored manifest or index in another format.
//! Config and layer bytes are untouched; manifests (and the children of an
//! index) are rewritten with the same pure functions copy uses.

use super::index::Selection;
use super::plan::{check_convertible, convert_index, convert_layers, convert_manifest, Format};
use crate::error::{Error, Result};
use crate::model::RawManifest;
use crate::store::Layout;

/// Convert `raw` (stored in `store`) to `to`, writing new manifests to the
/// store. Returns the result (the input itself when already in `to`).
/// Nothing is written unless all of it converts: an index's children are
/// written after the last of them has.
pub fn convert_stored(store: &Layout, raw: &RawManifest, to: Format) -> Result<RawManifest> {
    let mut made = Vec::new();
    let out = convert_tree(store, raw, to, &mut made)?;
    for m in &made {
        store.put_bytes(&m.bytes, Some(&m.digest))?;
    }
    Ok(out)
}

/// [`convert_stored`], what is to be written added to `made` (children
/// before their index).
fn convert_tree(
    store: &Layout,
    raw: &RawManifest,
    to: Format,
    made: &mut Vec<RawManifest>,
) -> Result<RawManifest> {
    if Format::of(&raw.media_type) == Some(to) && !raw.is_index() {
        return Ok(raw.clone());
    }
    let bytes = if raw.is_index() {
        let mut index = raw.index()?;
        if to == Format::V2s2 {
            // (a Docker list holds images only: attestations go, said)
            let mut sel = Selection::all(&index);
            super::index::drop_attestations(&index, &mut sel, &raw.digest);
            let keep: Vec<_> = sel
                .entries
                .iter()
                .map(|&i| index.manifests[i].clone())
                .collect();
            index.manifests = keep;
        }
        let mut children = Vec::with_capacity(index.manifests.len());
        for child in &index.manifests {
            if !child.media_type.is_manifest_or_index() {
                children.push(child.clone());
                continue;
            }
            let child_raw = store.read_manifest(child)?;
            if to == Format::V2s2 && child_raw.is_index() {
                return Err(Error::new(format!(
                    "{}: a Docker manifest list cannot hold another list or index ({})",
                    raw.digest, child.digest
                )));
            }
            let converted = convert_tree(store, &child_raw, to, made)?;
            let mut d = child.clone();
            d.media_type = converted.media_type.clone();
            d.digest = converted.digest.clone();
            d.size = converted.bytes.len() as u64;
            children.push(d);
        }
        let children = super::index::relink_attestations(&index, &Selection::all(&index), children);
        if Format::of(&raw.media_type) == Some(to) && children == index.manifests {
            return Ok(raw.clone());
        }
        if to == Format::V2s2 {
            super::plan::warn_index_left_out(&raw.digest, &index, &children);
        }
        convert_index(&index, to, children).to_bytes()
    } else if raw.media_type.is_manifest() {
        let m = raw.manifest()?;
        check_convertible(&m, to).map_err(|e| e.context(raw.digest.to_string()))?;
        if to == Format::V2s2 {
            super::plan::warn_manifest_left_out(&raw.digest, &m);
        }
        let layers = convert_layers(&m.layers, to)?;
        convert_manifest(&m, to, layers).to_bytes()
    } else {
        return Err(Error::new(format!(
            "{} is a {}, not a manifest or index",
            raw.digest, raw.media_type
        )));
    };
    let target = if raw.is_index() {
        to.index_type()
    } else {
        to.manifest_type()
    };
    let out = RawManifest::from_bytes(bytes, Some(&target))?;
    made.push(out.clone());
    Ok(out)
}
