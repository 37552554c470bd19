//! `lade convert --to oci|docker REF`.

use std::io::Write;

use super::{open_store, stdout};
use crate::cli::{ConvertArgs, ConvertTo, GlobalArgs};
use crate::copy::{convert::convert_stored, plan::Format};
use crate::error::Result;

pub fn run(g: &GlobalArgs, a: ConvertArgs) -> Result<i32> {
    let store = open_store(g)?;
    // (Before anything is written.)
    if let Some(t) = &a.tag {
        super::refs::check_store_ref_name(t)?;
    }
    let desc = store.resolve(&a.reference)?;
    let raw = store
        .read_manifest(&desc)
        .map_err(|e| e.context(&a.reference))?;
    let to = match a.to {
        ConvertTo::Oci => Format::Oci,
        ConvertTo::Docker => Format::V2s2,
    };
    let out = convert_stored(&store, &raw, to).map_err(|e| e.context(&a.reference))?;
    if let Some(t) = &a.tag {
        let mut d = out.descriptor();
        d.platform = desc.platform.clone();
        store.set_ref(t, &d)?;
    } else {
        // (Named by no ref: the digest said is the name, durable first.)
        store.sync_blobs()?;
    }
    let mut w = stdout();
    writeln!(w, "{}", out.digest)?;
    w.flush()?;
    Ok(0)
}
