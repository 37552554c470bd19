//! `lade manifest-digest FILE`: the digest a registry would give these bytes.

use std::io::Write;

use crate::cli::ManifestDigestArgs;
use crate::error::{Context, Result};
use crate::fsutil::read_capped;
use crate::model::{Digest, MAX_MANIFEST_SIZE};

pub fn run(a: ManifestDigestArgs) -> Result<i32> {
    let ctx = || a.file.display().to_string();
    // `-`: standard input
    let bytes = if a.file.as_os_str() == "-" {
        read_capped(&mut std::io::stdin().lock(), MAX_MANIFEST_SIZE, "manifest")
            .with_context(|| "standard input")?
    } else {
        let (mut f, _) = crate::fsutil::open_stream(&a.file).with_context(ctx)?;
        read_capped(&mut f, MAX_MANIFEST_SIZE, "manifest").with_context(ctx)?
    };
    // Signed schema 1 manifests hash without their signatures; lade does not
    // handle that deprecated format, so say so instead of printing a wrong digest.
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        if v.get("schemaVersion").and_then(|s| s.as_u64()) == Some(1)
            && v.get("signatures").is_some()
        {
            return Err(crate::err!(
                "{}: signed Docker schema 1 manifests are not supported",
                ctx()
            ));
        }
    }
    let mut out = super::stdout();
    writeln!(out, "{}", Digest::of_bytes(&bytes))?;
    out.flush()?;
    Ok(0)
}
