//! `unpack-layer` and `unpack`: layers into directories, safely.

use std::io::{self, Read};
use std::path::Path;

use super::open_store;
use crate::cli::{GlobalArgs, UnpackArgs, UnpackLayerArgs};
use crate::error::{Error, Result};
use crate::model::{Digest, Platform};
use crate::store::Layout;
use crate::transport::oci_layout::LayoutSource;
use crate::transport::{self, ImageSource, TransportOptions};
use crate::unpack::{self, ApplyOptions, ApplyStats, Root, UnpackOptions};
use crate::verify::VerifyingReader;

/// Rootless when asked, or when not running as root (owners cannot be set).
fn apply_options(rootless: bool) -> ApplyOptions {
    ApplyOptions {
        rootless: rootless || !rustix::process::geteuid().is_root(),
    }
}

fn report_warnings(what: &str, s: &ApplyStats) {
    if s.devices_skipped > 0 {
        crate::error::warn(&format!(
            "{what}: {} device node(s) skipped (creating them needs root)",
            s.devices_skipped
        ));
    }
    if s.xattrs_skipped > 0 {
        crate::error::warn(&format!(
            "{what}: {} extended attribute(s) not set (refused by the filesystem or not permitted)",
            s.xattrs_skipped
        ));
    }
    for u in &s.unknown_examples {
        crate::error::warn(&format!("{what}: skipped {u}"));
    }
    let more = s.unknown_skipped - s.unknown_examples.len() as u64;
    if more > 0 {
        crate::error::warn(&format!(
            "{what}: skipped {more} more entries of types lade does not create"
        ));
    }
}

pub fn unpack_layer(g: &GlobalArgs, a: UnpackLayerArgs) -> Result<i32> {
    let opts = apply_options(a.rootless);
    let input: Box<dyn Read + Send> = if a.layer == "-" {
        Box::new(io::stdin())
    } else if Path::new(&a.layer).exists() || !Digest::looks_like_digest(&a.layer) {
        let f = std::fs::File::open(&a.layer).map_err(|e| Error::from(e).context(&a.layer))?;
        Box::new(f)
    } else {
        let d = Digest::parse(&a.layer)?;
        let store = open_store(g)?;
        let f = store.open_blob(&d)?;
        let size = f.metadata()?.len();
        Box::new(VerifyingReader::new(f, &d, Some(size)))
    };
    // A directory made here goes again if the layer cannot be applied.
    let mut made = unpack::make_dir(&a.dir)?;
    let _into = made
        .path()
        .is_none()
        .then(|| crate::fsutil::WritingInto::new(&a.dir));
    unpack::raise_fd_limit();
    let mut root = Root::open(&a.dir)?;
    let stats = unpack::unpack_layer(&mut root, input, &opts).map_err(|e| {
        let e = e.context(format!("applying {}", a.layer));
        // (As unpack says it.)
        let left = match made.path().map(Path::to_path_buf) {
            Some(p) if made.take_back() => format!("{} is removed", p.display()),
            Some(p) => format!("{} could not all be removed", p.display()),
            None => format!("{} is incomplete", a.dir.display()),
        };
        e.context_after(left)
    })?;
    made.keep();
    report_warnings(&a.layer, &stats);
    Ok(0)
}

/// An image source: TRANSPORT:DETAILS (docker:// with `registry`), or a
/// ref in the store. A docker-daemon: image, which comes as one stream
/// rather than layer by layer, is copied into a temp layout first
/// (`--tmpdir`), read from there and removed with the returned guard.
fn open_source(
    g: &GlobalArgs,
    name: &str,
    registry: &crate::cli::RegistryArgs,
    quiet: bool,
) -> Result<(Box<dyn ImageSource>, Option<crate::fsutil::MadeDir>)> {
    if transport::transport_of(name).is_some() {
        let r = transport::parse(name)?;
        let opts = TransportOptions {
            src_registry: super::registry::options(registry),
            ..super::transport_options(g)
        };
        let src = r
            .source(&opts)
            .map_err(|e| e.context(format!("opening {r}")))?;
        if src.streamed().is_none() {
            return Ok((src, None));
        }
        drop(src);
        let base = g.tmpdir.clone().unwrap_or_else(std::env::temp_dir);
        // Taken back when done, failed or interrupted.
        let tmp = crate::fsutil::MadeDir::new(Some(
            tempfile::Builder::new()
                .prefix(crate::fsutil::TMP_PREFIX)
                .tempdir_in(&base)
                .map_err(|e| {
                    Error::from(e).context(format!("a temp directory in {}", base.display()))
                })?
                .keep(),
        ));
        let dir = tmp.path().expect("made").to_path_buf();
        let layout = dir.join("layout");
        let dst = transport::parse(&format!("oci:{}:image", layout.display()))?;
        let copy = crate::copy::CopyOptions {
            transport: opts,
            progress: if quiet {
                crate::copy::progress::Mode::Quiet
            } else {
                Default::default()
            },
            ..Default::default()
        };
        crate::copy::copy_image(&*r, &*dst, &copy)
            .map_err(|e| e.context(format!("reading {r} into {}", dir.display())))?;
        let store = Layout::open(&layout)?;
        let top = store.resolve("image")?;
        return Ok((Box::new(LayoutSource::new(store, top)), Some(tmp)));
    }
    // Not a store ref either: said as an image name (a mistyped
    // transport, a bare path), not as a bad ref.
    if let Some(why) = crate::model::ref_name_problem(name) {
        // (TRANSPORT:PATH: a path after a word; NAME:TAG stays a ref)
        return Err(match name.split_once(':') {
            Some((t, rest))
                if !t.is_empty()
                    && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                    && (rest.starts_with('/') || rest.starts_with('.')) =>
            {
                transport::parse(name)
                    .err()
                    .unwrap_or_else(|| Error::new(why))
            }
            _ => Error::new(format!(
                "invalid image name {name:?}: neither TRANSPORT:DETAILS (transports: {}) \
                 nor a store ref ({why})",
                transport::transport_names()
            )),
        });
    }
    // A ref not there that begins with a mistyped transport: the image
    // name meant is said, as the commands taking image names alone say it.
    let hint = |e: Error| match transport::mistyped_transport_hint(name) {
        Some(h) if e.kind() == crate::error::Kind::NotFound => e.context_after(h),
        _ => e,
    };
    let store = open_store(g).map_err(hint)?;
    let top = store.resolve(name).map_err(hint)?;
    Ok((Box::new(LayoutSource::new(store, top)), None))
}

pub fn unpack(g: &GlobalArgs, a: UnpackArgs) -> Result<i32> {
    let opts = UnpackOptions {
        apply: apply_options(a.rootless),
        platform: match a.platform.as_deref() {
            // (a bad value is a usage error, as copy's --platform)
            Some(p) => Some(Platform::parse(p).map_err(|e| Error::usage(e.message()))?),
            None => super::platform_of(g)?,
        },
        platform_required: a.platform.is_some(),
        bundle: a.bundle,
    };
    let (src, _staged) = open_source(g, &a.image, &a.registry, a.quiet)?;
    let quiet = a.quiet;
    let report = unpack::unpack_image(&*src, &a.dir, &opts, &mut |i, n, d| {
        if !quiet {
            eprintln!("Applying layer {}/{n} {d}", i + 1);
        }
    })
    .map_err(|e| e.context(format!("unpacking {}", a.image)))?;
    for (d, s) in &report.layers {
        report_warnings(&d.to_string(), s);
    }
    if !quiet {
        eprintln!(
            "Unpacked {} ({} layer{}) into {}",
            report.manifest_digest,
            report.layers.len(),
            if report.layers.len() == 1 { "" } else { "s" },
            a.dir.display()
        );
    }
    Ok(0)
}
