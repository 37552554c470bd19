//! `ls-refs`, `tag`, `untag`: the names in the store's index.json.

use std::io::Write;

use super::{open_store, stdout, write_record};
use crate::cli::{GlobalArgs, LsRefsArgs, TagArgs, UntagArgs};
use crate::error::{Error, Result};
use crate::model::{RawManifest, REF_NAME};

pub fn ls_refs(g: &GlobalArgs, a: LsRefsArgs) -> Result<i32> {
    // The default store not made yet has no refs; a store named (--store,
    // LADE_STORE) that is not there is said to be missing, as fsck says.
    let named = crate::store::named_store_path(g.store.as_deref()).is_some();
    let store = match open_store(g) {
        Err(e) if e.kind() == crate::error::Kind::NotFound && !named => return Ok(0),
        s => s?,
    };
    let index = store.read_index()?;
    store.warn_unreadable(&index);
    let mut out = stdout();
    for m in &index.manifests {
        // A name lade would never write, with a tab or newline in it,
        // must not forge fields or lines: shown escaped.
        let name = m
            .ref_name()
            .map_or_else(|| "-".to_string(), crate::error::escape_controls);
        let line = format!("{}\t{}\t{}\t{}", name, m.digest, m.media_type, m.size);
        write_record(&mut out, &line, a.null)?;
    }
    out.flush()?;
    Ok(0)
}

/// A name a store ref may be given ([`crate::store::check_new_ref_name`])
/// that commands taking an image name or a store ref (unpack) do not read
/// as an image name: `TRANSPORT:…` is one.
pub fn check_store_ref_name(name: &str) -> Result<()> {
    crate::store::check_new_ref_name(name)?;
    if let Some(t) = crate::transport::transport_of(name) {
        return Err(Error::new(format!(
            "ref name {name:?} starts with {t}:, and would be read as an image name"
        )));
    }
    Ok(())
}

pub fn tag(g: &GlobalArgs, a: TagArgs) -> Result<i32> {
    check_store_ref_name(&a.target).map_err(|e| e.context("tag"))?;
    let store = open_store(g)?;
    // (A digest that is no manifest is named by what resolve says.)
    let mut desc = store.resolve(&a.source).map_err(|e| {
        if crate::model::Digest::looks_like_digest(&a.source) {
            e.context("tag")
        } else {
            e.context(format!("tag {}", a.source))
        }
    })?;
    if !desc.media_type.is_manifest_or_index() {
        // (The digest once: the source may be it.)
        let what = if a.source == desc.digest.to_string() {
            String::new()
        } else {
            format!("{} is ", desc.digest)
        };
        return Err(Error::new(format!(
            "tag {}: {what}a {}, not a manifest or index",
            a.source, desc.media_type
        )));
    }
    if !store.has(&desc.digest)? {
        return Err(Error::new(format!(
            "tag {}: manifest {} is missing from the store",
            a.source, desc.digest
        )));
    }
    // The new ref describes the manifest as it is (its size and type),
    // whatever a damaged entry it was found through says.
    let bytes = store
        .read_small_blob(&desc.digest, crate::model::MAX_MANIFEST_SIZE)
        .map_err(|e| e.context(format!("tag {}", a.source)))?;
    let raw = RawManifest::from_bytes(bytes, Some(&desc.media_type))
        .map_err(|e| e.context(format!("tag {}: {}", a.source, desc.digest)))?;
    // Its descriptors read too (a ref to a manifest naming no blob a
    // digest can name would stop gc).
    let parsed = if raw.is_index() {
        raw.index().map(drop)
    } else {
        raw.manifest().map(drop)
    };
    parsed.map_err(|e| {
        // (The message names the manifest: the digest once.)
        if a.source == desc.digest.to_string() {
            e.context("tag")
        } else {
            e.context(format!("tag {}", a.source))
        }
    })?;
    desc.size = raw.bytes.len() as u64;
    desc.media_type = raw.media_type;
    if let Some(ann) = desc.annotations.as_mut() {
        ann.remove(REF_NAME);
        if ann.is_empty() {
            desc.annotations = None;
        }
    }
    store
        .set_ref(&a.target, &desc)
        .map_err(|e| e.context(format!("tag {}", a.target)))?;
    Ok(0)
}

pub fn untag(g: &GlobalArgs, a: UntagArgs) -> Result<i32> {
    let store = open_store(g)?;
    store
        .remove_ref(&a.reference)
        .map_err(|e| e.context("untag"))?;
    Ok(0)
}
