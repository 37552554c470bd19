//! Turning layers into directories: `unpack-layer` and `unpack`.
//!
//! - [`path`]: cleaning entry names, telling whiteouts apart;
//! - [`root`]: resolving names inside the target with file descriptors, so
//!   nothing outside it is ever created, written, linked, chmodded or
//!   removed, whatever symlinks earlier entries or layers left;
//! - [`apply`]: applying one tar stream (whiteouts, opaque directories,
//!   every file type, owners, modes, times, xattrs);
//! - [`bundle`]: the OCI runtime `config.json` for `unpack --bundle`;
//! - `fuzzing`: hostile layers from bytes, for fuzz/ and the randomized test.
//!
//! Layers stream: a second thread reads, verifies and decompresses while
//! this one writes files ([`crate::fsutil::pipelined`]); memory stays bounded by the
//! channel (16 × 1 MiB) whatever the layer's size. Verification happens as
//! the bytes go by, so a layer that turns out not to match its digest has
//! been applied when the error is reported: the target is then unusable,
//! as with `umoci unpack`, and `unpack` says so.

pub mod apply;
pub mod bundle;
#[doc(hidden)]
pub mod fuzzing;
pub mod path;
pub mod root;

use std::io::{self, Read};
use std::path::Path;

pub use apply::{apply_layer, ApplyOptions, ApplyStats};
pub use root::Root;

use crate::archive::TarGuard;
use crate::copy::blob::Decompressor;
use crate::copy::{read_config, select_manifest};
use crate::error::{Error, Result};
use crate::fsutil::pipelined;
use crate::model::{Compression, Digest, ImageConfig, Platform};
use crate::transport::ImageSource;
use crate::verify::VerifyingReader;

/// Read the first bytes of `r` to tell its compression, and return a
/// reader of its decompressed bytes (gzip: every member; zstd; or as is).
/// The decompressor drains `r` to its end.
pub fn decompressed<'a>(mut r: Box<dyn Read + Send + 'a>) -> io::Result<Box<dyn Read + Send + 'a>> {
    let (c, prefix) = crate::compress::sniff_start(&mut r)?;
    let whole: Box<dyn Read + Send + 'a> = Box::new(io::Cursor::new(prefix).chain(r));
    Ok(match c {
        Compression::None => whole,
        c => Box::new(Decompressor::new(c, whole)?),
    })
}

/// Apply one layer (compressed or not) from `r` onto `root`.
pub fn unpack_layer(
    root: &mut Root,
    r: Box<dyn Read + Send + '_>,
    opts: &ApplyOptions,
) -> Result<ApplyStats> {
    let plain = decompressed(r)?;
    pipelined(plain, |r| apply_layer(root, TarGuard::new(r), opts))
}

/// Let this process hold as many descriptors as it may (deep trees).
pub fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    if l.current < l.maximum {
        l.current = l.maximum;
        let _ = setrlimit(Resource::Nofile, l);
    }
}

/// Options of [`unpack_image`].
#[derive(Debug, Clone, Default)]
pub struct UnpackOptions {
    pub apply: ApplyOptions,
    /// For an index: the platform to unpack (default: this machine's).
    pub platform: Option<Platform>,
    /// `--platform` given: a single image must be for that platform, as
    /// copy --platform has it.
    pub platform_required: bool,
    /// Write an OCI runtime bundle: DIR/rootfs and DIR/config.json.
    pub bundle: bool,
}

/// What [`unpack_image`] did.
#[derive(Debug, Clone)]
pub struct UnpackReport {
    pub manifest_digest: Digest,
    pub layers: Vec<(Digest, ApplyStats)>,
}

/// Unpack every layer of the image `src` names, in order, into `dir` (or
/// `dir/rootfs` with a bundle). Each layer is checked against its digest
/// and size, and its uncompressed bytes against the config's diff_id.
/// `on_layer` hears about each layer before it is applied.
pub fn unpack_image(
    src: &dyn ImageSource,
    dir: &Path,
    opts: &UnpackOptions,
    on_layer: &mut dyn FnMut(usize, usize, &Digest),
) -> Result<UnpackReport> {
    let top = src.get_manifest(None)?;
    let single = !top.is_index();
    let raw = match single {
        true => top,
        false => select_manifest(src, opts.platform.as_ref())?,
    };
    let manifest = raw.manifest()?;
    let config_bytes = read_config(src, &manifest.config)?;
    let config: Option<ImageConfig> = if manifest.config.media_type.is_config() {
        Some(
            ImageConfig::parse(&config_bytes)
                .map_err(|e| Error::new(format!("config {}: {e}", manifest.config.digest)))?,
        )
    } else {
        None
    };
    // (nothing is written yet)
    if let (true, Some(want), Some(have)) = (
        single && opts.platform_required,
        &opts.platform,
        config.as_ref().and_then(|c| c.platform()),
    ) {
        if have.rank_for(&want.candidates()).is_none() {
            return Err(Error::not_found(format!(
                "no image for {want}: the source is a single image, for {have}"
            )));
        }
    }
    // An artifact's blobs (a chart, an SBOM, text) are no filesystem:
    // refused before anything is written, as umoci refuses them.
    if let Some((i, desc)) =
        (manifest.layers.iter().enumerate()).find(|(_, l)| !l.media_type.is_layer())
    {
        return Err(Error::new(format!(
            "layer {} of {} ({}) is {}, not a filesystem layer: nothing unpacked",
            i + 1,
            manifest.layers.len(),
            desc.digest,
            desc.media_type
        )));
    }
    let diff_ids: &[Digest] = config.as_ref().map_or(&[], |c| &c.rootfs.diff_ids);
    if config.is_some() && diff_ids.len() != manifest.layers.len() {
        return Err(Error::new(format!(
            "config {} lists {} diff_ids but the manifest has {} layers",
            manifest.config.digest,
            diff_ids.len(),
            manifest.layers.len()
        )));
    }
    // What this unpack makes (the directory, or a bundle's rootfs) goes
    // again if it fails or is interrupted.
    let (rootfs, mut made) = if opts.bundle {
        bundle::prepare(dir)?
    } else {
        (dir.to_path_buf(), make_dir(dir)?)
    };
    let _into = made
        .path()
        .is_none()
        .then(|| crate::fsutil::WritingInto::new(&rootfs));
    raise_fd_limit();
    let mut root = Root::open(&rootfs)?;
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (i, desc) in manifest.layers.iter().enumerate() {
        on_layer(i, manifest.layers.len(), &desc.digest);
        let stats = (|| {
            let (r, _) = crate::copy::get_listed_blob(src, desc)?;
            let verified: Box<dyn Read + Send + '_> =
                Box::new(VerifyingReader::new(r, &desc.digest, Some(desc.size)));
            let mut plain = decompressed(verified)?;
            if let Some(d) = diff_ids.get(i) {
                if d != &desc.digest {
                    plain = Box::new(
                        VerifyingReader::new(plain, d, None).naming("uncompressed layer (diff_id)"),
                    );
                }
            }
            pipelined(plain, |r| {
                apply_layer(&mut root, TarGuard::new(r), &opts.apply)
            })
        })()
        .map_err(|e| {
            let left = match made.path().map(Path::to_path_buf) {
                Some(p) if made.take_back() => format!("{} is removed", p.display()),
                Some(p) => format!("{} could not all be removed", p.display()),
                None => format!("{} is incomplete", rootfs.display()),
            };
            e.unnamed_blob(&desc.digest).context(format!(
                "layer {} of {} ({}); {left}",
                i + 1,
                manifest.layers.len(),
                desc.digest,
            ))
        })?;
        layers.push((desc.digest.clone(), stats));
    }
    if opts.bundle {
        let spec =
            bundle::runtime_spec(config.as_ref(), &mut root, opts.apply.rootless, &raw.digest)?;
        bundle::write_spec(dir, &spec)?;
    }
    made.keep();
    Ok(UnpackReport {
        manifest_digest: raw.digest,
        layers,
    })
}

/// Create directory `dir` (and its parents) if missing; an existing file
/// there is said to be one. What to take back should the unpack fail:
/// `dir` if this call made it, and the parents it made (outermost first),
/// to be removed only when empty then.
pub fn make_dir(dir: &Path) -> Result<crate::fsutil::MadeDir> {
    let fail = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AlreadyExists || dir.is_file() {
            Error::new(format!("{}: exists and is not a directory", dir.display()))
        } else {
            Error::from(e).context(dir.display())
        }
    };
    // Made here only if this call made it (two runs at once: one did);
    // the missing parents too.
    let mut made = crate::fsutil::make_dirs(dir).map_err(fail)?;
    let made_dir = made.last().filter(|p| p.as_path() == dir).cloned();
    if made_dir.is_some() {
        made.pop();
    }
    Ok(crate::fsutil::MadeDir::with_parents(made_dir, made))
}
