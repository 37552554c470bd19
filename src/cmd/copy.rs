//! `lade copy SOURCE... DEST`.

use std::sync::Arc;

use crate::cli::{
    CompressArg, CopyArgs, FormatArg, GlobalArgs, MultiArchArg, MultiArchArgs, ProgressArg,
};
use crate::copy::policy::Policy;
use crate::copy::referrers::ReferrerMode;
use crate::copy::{copy_images, plan::Format, progress::Mode, CopyOptions, MultiArch};
use crate::error::{Error, Result};
use crate::model::{Compression, Platform};
use crate::transport::{self, ImageReference, TransportOptions};

pub fn run(g: &GlobalArgs, a: CopyArgs, policy: Option<Arc<Policy>>) -> Result<i32> {
    // What this copy learns of blobs is kept for the next.
    crate::blob_cache::learn();
    if a.images.len() < 2 {
        return Err(Error::usage(
            "copy takes a source image and a destination image",
        ));
    }
    let referrers = referrer_mode(a.with_referrers, a.remove_signatures, ReferrerMode::Off)?;
    let (dest_name, src_names) = a.images.split_last().expect("two images");
    let dest = transport::parse(dest_name)?;
    check_store_dest(g, dest_name)?;
    let progress = progress_of(a.quiet, a.progress);
    if !a.additional_tag.is_empty()
        && !matches!(dest.transport(), "docker-archive" | "docker-daemon")
    {
        crate::error::warn(&format!(
            "--additional-tag names images in docker-archive: and docker-daemon: \
             destinations only; the {}: destination is written without them",
            dest.transport()
        ));
    }
    let mut sources: Vec<Box<dyn ImageReference>> = src_names
        .iter()
        .map(|n| transport::parse(n))
        .collect::<Result<_>>()?;
    let transport = TransportOptions {
        additional_tags: a.additional_tag.clone(),
        src_registry: super::registry::copy_side(&a.registry, true),
        dest_registry: super::registry::copy_side(&a.registry, false),
        src_daemon_host: a.src_daemon_host.clone(),
        dest_daemon_host: a.dest_daemon_host.clone(),
        src_shared_blob_dir: a.src_shared_blob_dir.clone(),
        dest_shared_blob_dir: a.dest_shared_blob_dir.clone(),
        ..super::transport_options(g)
    };
    if a.all_images {
        if sources.len() != 1 {
            return Err(Error::usage("--all-images takes exactly one source"));
        }
        // (a repository's tags are sync's to copy)
        // (a source of one image per name: a usage error, as for a
        // destination that holds one image)
        let all = sources[0].all_images(&transport).map_err(|e| {
            match (e.kind(), sources[0].transport()) {
                (crate::error::Kind::Unsupported, "docker") => Error::usage(e.to_string())
                    .context_after("lade sync copies every tag of a repository"),
                (crate::error::Kind::Unsupported, _) => Error::usage(e.to_string()),
                _ => e,
            }
        })?;
        if sources[0].picks_image() {
            return Err(Error::usage(format!(
                "--all-images copies every image of the source; name it without an image \
                 (not {})",
                sources[0]
            )));
        }
        sources = all;
    }
    // skopeo's --dest-compress / --dest-decompress.
    let dest_compress_format = a
        .dest_compress_format
        .or(a.dest_compress.then_some(CompressArg::Gzip))
        .or(a.dest_decompress.then_some(CompressArg::None));
    if let Some(level) = a.dest_compress_level {
        let (max, takes) = match dest_compress_format {
            Some(CompressArg::Gzip) => (9, "gzip takes 1-9"),
            Some(CompressArg::Zstd) => (22, "zstd takes 1-22"),
            Some(CompressArg::None) => (0, ""),
            // Whatever the destination compresses with.
            None => (22, "gzip takes 1-9, zstd 1-22"),
        };
        if !(1..=max).contains(&level) {
            return Err(Error::usage(if max == 0 {
                "--dest-compress-level: --dest-compress-format none compresses nothing".into()
            } else {
                format!("--dest-compress-level {level}: {takes}")
            }));
        }
    }
    let opts = CopyOptions {
        format: a.format.map(|f| match f {
            FormatArg::Oci => Format::Oci,
            FormatArg::V2s2 => Format::V2s2,
        }),
        compression: dest_compress_format.map(|c| match c {
            CompressArg::Gzip => Compression::Gzip,
            CompressArg::Zstd => Compression::Zstd,
            CompressArg::None => Compression::None,
        }),
        compression_level: a.dest_compress_level,
        // Into a registry, uncompressed layers (a docker save archive's,
        // the daemon's) go up gzipped, as docker push and skopeo send
        // them; --dest-compress-format none keeps them as they are.
        compress_plain: (dest.transport() == "docker" && !a.preserve_digests)
            .then_some(Compression::Gzip),
        preserve_digests: a.preserve_digests,
        precompute_digests: a.dest_precompute_digests,
        parallel_blobs: a.image_parallel_copies.filter(|n| *n > 0),
        // The image the default (--multi-arch system) picks of an index.
        platform: super::platform_of(g)?,
        multi_arch: multi_arch_of(&a.multi)?,
        progress,
        transport,
        digestfile: a.digestfile.clone(),
        referrers,
        warn_left_out: true,
        signatures_dropped: signatures_dropped(a.with_referrers, a.remove_signatures),
        policy,
    };
    // A --digestfile that cannot be written fails the copy before it
    // starts, not after the image is in.
    if let Some(f) = &opts.digestfile {
        let dir = crate::fsutil::dir_of(f);
        use rustix::fs::{access, Access};
        let why = if f.is_dir() {
            "is a directory".to_string()
        } else if !dir.is_dir() {
            format!("{} is not a directory", dir.display())
        } else if access(dir, Access::WRITE_OK).is_err()
            || (f.exists() && access(f, Access::WRITE_OK).is_err())
        {
            "cannot be written (permission denied)".to_string()
        } else {
            String::new()
        };
        if !why.is_empty() {
            return Err(Error::new(format!("--digestfile {}: {why}", f.display())));
        }
    }
    let refs: Vec<&dyn ImageReference> = sources.iter().map(|s| s.as_ref()).collect();
    copy_images(&refs, dest.as_ref(), &opts)?;
    Ok(0)
}

/// --with-referrers and skopeo's --remove-signatures as one choice;
/// `default` when neither is given.
pub fn referrer_mode(
    with: Option<bool>,
    remove_signatures: bool,
    default: ReferrerMode,
) -> Result<ReferrerMode> {
    Ok(match (with, remove_signatures) {
        (Some(true), true) => {
            return Err(Error::usage(
                "--remove-signatures and --with-referrers ask for opposite things",
            ))
        }
        (Some(true), false) => ReferrerMode::Required,
        (Some(false), _) | (None, true) => ReferrerMode::Off,
        (None, false) => default,
    })
}

/// Were signatures asked to be left (`--with-referrers=false`, skopeo's
/// `--remove-signatures`), whatever the command's default?
pub fn signatures_dropped(with: Option<bool>, remove_signatures: bool) -> bool {
    remove_signatures || with == Some(false)
}

/// --all / --multi-arch / --platform as one choice.
pub fn multi_arch_of(a: &MultiArchArgs) -> Result<MultiArch> {
    if a.all {
        return Ok(MultiArch::All);
    }
    if !a.platforms.is_empty() {
        let ps = a
            .platforms
            .iter()
            .map(|p| Platform::parse(p).map_err(|e| Error::usage(e.message())))
            .collect::<Result<_>>()?;
        return Ok(MultiArch::Platforms(ps));
    }
    Ok(match a.multi_arch {
        None | Some(MultiArchArg::System) => MultiArch::System,
        Some(MultiArchArg::All) => MultiArch::All,
        Some(MultiArchArg::IndexOnly) => MultiArch::IndexOnly,
    })
}

/// -q and --progress as one mode.
/// The progress mode asked for; under JSON, warnings are JSON events
/// from now on (before any transport is opened).
pub fn progress_of(quiet: bool, p: ProgressArg) -> Mode {
    match (quiet, p) {
        (_, ProgressArg::Json) => {
            crate::copy::progress::json_from_now();
            Mode::Json
        }
        (true, _) | (_, ProgressArg::None) => Mode::Quiet,
        (false, ProgressArg::Lines | ProgressArg::Plain) => Mode::Lines,
        (false, ProgressArg::Auto) => Mode::Auto,
    }
}

/// A copy into the store by its path (`oci:STORE:NAME`) names the ref as
/// `tag` would: a name like `oci:x` could not be given to `unpack`, which
/// reads it as an image name.
fn check_store_dest(g: &GlobalArgs, dest_name: &str) -> Result<()> {
    let Some(details) = dest_name.strip_prefix("oci:") else {
        return Ok(());
    };
    let (path, Some(name)) =
        transport::oci_layout::parse_path_ref(details, "oci", "a directory path")?
    else {
        return Ok(());
    };
    // (No store known, no HOME: no copy goes into it.)
    let Ok(store) = super::store_path(g) else {
        return Ok(());
    };
    let same = match (std::fs::canonicalize(&path), std::fs::canonicalize(&store)) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::path::absolute(&path).ok() == std::path::absolute(&store).ok(),
    };
    if same {
        super::refs::check_store_ref_name(&name)?;
    }
    Ok(())
}
