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
    // A signed schema 1 manifest's digest is that of the payload its
    // signatures cover, as registries and skopeo give it.
    let digest = Digest::of_bytes(&crate::model::schema1::payload(&bytes).with_context(ctx)?);
    let mut out = super::stdout();
    writeln!(out, "{digest}")?;
    out.flush()?;
    Ok(0)
}
