//! One module per command (or tight family of commands). Each binds its
//! flags and calls the library; none holds logic another command needs.

mod cat;
mod convert;
mod copy;
mod fsck;
mod hash_object;
mod inspect;
mod manifest_digest;
mod refs;
mod registry;
mod sync;
mod template;
mod unpack;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::copy::policy::Policy;
use crate::error::{Error, Result};
use crate::model::Platform;
use crate::store::{default_store_path, Layout};

/// Run a parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<i32> {
    let g = &cli.global;
    // 0: no limit, as in skopeo.
    if let Some(t) = g.command_timeout.as_ref().filter(|t| !t.limit.is_zero()) {
        crate::fsutil::end_after(t.limit, t.shown.clone());
    }
    crate::transport::registry::conf::use_path(g.registries_conf.clone());
    crate::transport::registry::client::use_user_agent_prefix(g.user_agent_prefix.as_deref());
    if let Some(f) = &g.tls_details {
        crate::transport::registry::tls::use_tls_details(f)?;
    }
    if g.debug {
        crate::error::set_debug();
    }
    // Under JSON progress, the warnings said before the copy begins are
    // events too: stderr is JSON from the first line.
    if let Command::Copy(crate::cli::CopyArgs { progress, .. })
    | Command::Sync(crate::cli::SyncArgs { progress, .. }) = &cli.command
    {
        if *progress == crate::cli::ProgressArg::Json {
            crate::copy::progress::json_from_now();
        }
    }
    match cli.command {
        Command::Copy(a) => signature_options(g).and_then(|p| copy::run(g, a, p)),
        Command::Sync(a) => signature_options(g).and_then(|p| sync::run(g, a, p)),
        Command::Inspect(a) => inspect::run(g, a),
        Command::Convert(a) => convert::run(g, a),
        Command::HashObject(a) => hash_object::run(g, a),
        Command::CatBlob(a) => cat::cat_blob(g, a),
        Command::CatManifest(a) => cat::cat_manifest(g, a),
        Command::CatConfig(a) => cat::cat_config(g, a),
        Command::LsRefs(a) => refs::ls_refs(g, a),
        Command::Tag(a) => refs::tag(g, a),
        Command::Untag(a) => refs::untag(g, a),
        Command::Fsck(a) => fsck::fsck(g, a),
        Command::Gc(a) => fsck::gc(g, a),
        Command::Du(a) => fsck::du(g, a),
        Command::ManifestDigest(a) => manifest_digest::run(a),
        Command::ListTags(a) => registry::list_tags(g, a),
        Command::Delete(a) => {
            warn_lookaside(g);
            registry::delete(g, a)
        }
        Command::Login(a) => registry::login(a),
        Command::Logout(a) => registry::logout(a),
        Command::UnpackLayer(a) => unpack::unpack_layer(g, a),
        Command::Unpack(a) => unpack::unpack(g, a),
    }
}

/// skopeo's signature options, for the commands that copy images: the
/// policy each source image is checked against, `--policy FILE` or else
/// the default file skopeo reads (none with `--insecure-policy`, which
/// wins as in skopeo).
fn signature_options(g: &GlobalArgs) -> Result<Option<Arc<Policy>>> {
    if g.require_signed {
        return Err(Error::new(
            "--require-signed: lade verifies no signatures, so it copies no image as \
             verified (check them with cosign or skopeo; signatures kept as tags and \
             referrers go along with --with-referrers)",
        ));
    }
    // (an empty --policy is none, as in skopeo)
    let file = match g.policy.as_ref().filter(|p| !p.is_empty()) {
        _ if g.insecure_policy => None,
        Some(p) => Some(("--policy", PathBuf::from(p))),
        None => crate::copy::policy::default_path().map(|p| ("default policy", p)),
    };
    let policy = file
        .map(|(how, p)| Policy::load(&p, format!("{how} {}", p.display())).map(Arc::new))
        .transpose()?;
    warn_lookaside(g);
    Ok(policy)
}

/// `--registries.d DIR` (skopeo's): lade keeps signatures as tags and
/// referrers only, so lookaside storage that a `*.yaml` there sets
/// (`lookaside`, `sigstore` and their `-staging`) is said to be left
/// alone, once per file. A DIR that is not there holds nothing, as for
/// skopeo.
fn warn_lookaside(g: &GlobalArgs) {
    let Some(dir) = &g.registries_d else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let Ok(text) = crate::fsutil::read_settings_file(&f, 1 << 20) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text);
        let key = text.lines().find_map(|l| {
            let l = l.trim_start().trim_start_matches("- ");
            let (k, _) = l.split_once(':')?;
            let k = k.trim().trim_matches(|c| c == '"' || c == '\'');
            [
                "lookaside",
                "lookaside-staging",
                "sigstore",
                "sigstore-staging",
            ]
            .contains(&k)
            .then(|| k.to_string())
        });
        if let Some(k) = key {
            crate::error::warn(&format!(
                "--registries.d: {} sets lookaside signature storage ({k}), which lade \
                 neither reads nor writes (signatures kept as tags and referrers go with \
                 --with-referrers)",
                f.display()
            ));
        }
    }
}

/// What every command's transports take from the global options
/// (`--tmpdir`).
fn transport_options(g: &GlobalArgs) -> crate::transport::TransportOptions {
    crate::transport::TransportOptions {
        tmp_dir: g.tmpdir.clone(),
        ..Default::default()
    }
}

fn store_path(g: &GlobalArgs) -> Result<PathBuf> {
    default_store_path(g.store.as_deref())
}

/// The store, which must exist (for commands that only read).
fn open_store(g: &GlobalArgs) -> Result<Layout> {
    let p = store_path(g)?;
    // Made by the first write: until then, nothing is in it (exit 1).
    if !p.exists() {
        return Err(Error::not_found(format!(
            "store {}: no such directory (the first write makes it)",
            p.display()
        )));
    }
    Layout::open(&p).map_err(|e| e.context("store"))
}

/// Buffered, locked stdout for data output.
fn stdout() -> io::BufWriter<DataOut> {
    io::BufWriter::with_capacity(1 << 16, DataOut(io::stdout().lock()))
}

/// Standard output whose write errors say where they happened (a full
/// disk under `> file` said only "No space left on device"); a closed
/// pipe keeps its kind, so it stays silent.
struct DataOut(io::StdoutLock<'static>);

impl DataOut {
    fn named(e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return e;
        }
        let msg = crate::error::io_message(&e);
        io::Error::new(e.kind(), format!("writing to standard output: {msg}"))
    }
}

impl Write for DataOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(Self::named)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(Self::named)
    }
}

/// Write `line` followed by `\n`, or `\0` when `nul`.
fn write_record(out: &mut impl Write, line: &str, nul: bool) -> io::Result<()> {
    out.write_all(line.as_bytes())?;
    out.write_all(if nul { b"\0" } else { b"\n" })
}

/// The platform asked for with --override-os/--override-arch/--override-variant,
/// filled in from this machine's; None when none was given. An empty
/// value is no choice, as in skopeo (a script passing `"$VARIANT"` unset);
/// blanks alone are a usage error.
fn platform_of(a: &GlobalArgs) -> Result<Option<Platform>> {
    let given = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let (os, arch, variant) = (
        given(&a.override_os),
        given(&a.override_arch),
        given(&a.override_variant),
    );
    if os.is_none() && arch.is_none() && variant.is_none() {
        return Ok(None);
    }
    for (flag, v) in [
        ("--override-os", &os),
        ("--override-arch", &arch),
        ("--override-variant", &variant),
    ] {
        if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(crate::error::Error::usage(format!("{flag} is blank")));
        }
    }
    let mut p = Platform::current();
    if let Some(os) = os {
        p.os = os;
    }
    if let Some(arch) = arch {
        p.architecture = arch;
        p.variant = None;
    }
    if let Some(v) = variant {
        p.variant = Some(v);
    }
    Ok(Some(p))
}
