//! `cat-blob`, `cat-manifest`, `cat-config`: raw bytes out of the store.

use std::io::Write;

use super::{open_store, stdout};
use crate::cli::{CatArgs, CatBlobArgs, CatConfigArgs, GlobalArgs};
use crate::error::{Error, Kind, Result};
use crate::model::{Digest, Platform, MAX_MANIFEST_SIZE};
use crate::store::{copy_buffered, Layout};

/// Map "not found" to exit 1 and anything else to its error for `-e`.
fn exists_answer(r: Result<()>) -> Result<i32> {
    match r {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == Kind::NotFound => Ok(1),
        Err(e) => Err(e),
    }
}

pub fn cat_blob(g: &GlobalArgs, a: CatBlobArgs) -> Result<i32> {
    let d = Digest::parse(&a.digest)?;
    if a.exists {
        return exists_answer(open_store(g).and_then(|s| s.open_blob(&d).map(drop)));
    }
    let store = open_store(g)?;
    let f = store.open_blob(&d)?;
    // Checked before any byte goes out: a reader of the output (unpack-layer
    // in a pipeline) must not take in a corrupt blob. A store blob is never
    // rewritten in place, and the second read comes from the page cache.
    let (got, len) = crate::fsutil::hash_file(&f, d.algorithm())?;
    if got != d {
        return Err(Error::new(format!(
            "blob {d} is corrupt: its content hashes to {got}"
        )));
    }
    let mut f = &f;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0))?;
    let mut w = stdout();
    copy_buffered(&mut std::io::Read::take(f, len), &mut w)?;
    w.flush()?;
    Ok(0)
}

fn manifest_of(store: &Layout, r: &str) -> Result<crate::model::RawManifest> {
    let desc = store.resolve(r)?;
    crate::model::check_entry_type(&desc)?;
    if !desc.media_type.is_manifest_or_index() {
        return Err(not_a_manifest(r, &desc));
    }
    store.read_manifest(&desc).map_err(|e| e.context(r))
}

fn not_a_manifest(r: &str, desc: &crate::model::Descriptor) -> Error {
    Error::new(format!(
        "{r}: {} is of type {}, not a manifest",
        desc.digest, desc.media_type
    ))
}

/// The exact bytes of the manifest or index `r` names, verified: of a
/// kind lade reads, parsed too; of another (an OCI 1.1-rc artifact
/// manifest, Docker schema 1), as they are.
fn manifest_bytes(store: &Layout, r: &str) -> Result<Vec<u8>> {
    let desc = store.resolve(r)?;
    crate::model::check_entry_type(&desc)?;
    let read = match desc.media_type.is_manifest_or_index() {
        true => store.read_manifest(&desc).map(|raw| raw.bytes),
        false => store.read_manifest_bytes(&desc),
    };
    read.map_err(|e| e.context(r))
}

pub fn cat_manifest(g: &GlobalArgs, a: CatArgs) -> Result<i32> {
    if a.exists {
        return exists_answer(
            open_store(g).and_then(|s| manifest_bytes(&s, &a.reference).map(drop)),
        );
    }
    let store = open_store(g)?;
    let bytes = manifest_bytes(&store, &a.reference)?;
    let mut out = stdout();
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(0)
}

pub fn cat_config(g: &GlobalArgs, a: CatConfigArgs) -> Result<i32> {
    let want = match &a.platform {
        Some(p) => {
            Platform::parse(p).map_err(|e| Error::usage(format!("--platform: {}", e.message())))?
        }
        None => super::platform_of(g)?.unwrap_or_else(Platform::current),
    };
    let r = &a.cat.reference;
    let config = (|| -> Result<Vec<u8>> {
        let store = open_store(g)?;
        let mut raw = manifest_of(&store, r)?;
        if raw.is_index() {
            raw = crate::copy::pick_platform(&raw.index()?, &want, |d| store.read_manifest(d))
                .map_err(|e| e.context(r))?;
        }
        let m = raw.manifest()?;
        store
            .read_small_blob(&m.config.digest, MAX_MANIFEST_SIZE)
            .map_err(|e| e.context(format!("config of {r}")))
    })();
    if a.cat.exists {
        return exists_answer(config.map(drop));
    }
    let config = config?;
    let mut out = stdout();
    out.write_all(&config)?;
    out.flush()?;
    Ok(0)
}
