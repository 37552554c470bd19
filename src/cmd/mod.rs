//! One module per command (or tight family of commands). Each binds its
//! flags and calls the library; none holds logic another command needs.

mod cat;
mod fsck;
mod hash_object;
mod manifest_digest;
mod refs;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::error::Result;
use crate::store::{default_store_path, Layout};

/// Run a parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<i32> {
    let g = &cli.global;
    match cli.command {
        Command::HashObject(a) => hash_object::run(g, a),
        Command::CatBlob(a) => cat::cat_blob(g, a),
        Command::CatManifest(a) => cat::cat_manifest(g, a),
        Command::CatConfig(a) => cat::cat_config(g, a),
        Command::LsRefs(a) => refs::ls_refs(g, a),
        Command::Tag(a) => refs::tag(g, a),
        Command::Untag(a) => refs::untag(g, a),
        Command::Fsck(a) => fsck::fsck(g, a),
        Command::Gc(a) => fsck::gc(g, a),
        Command::ManifestDigest(a) => manifest_digest::run(a),
    }
}

fn store_path(g: &GlobalArgs) -> Result<PathBuf> {
    default_store_path(g.store.as_deref())
}

/// The store, which must exist (for commands that only read).
fn open_store(g: &GlobalArgs) -> Result<Layout> {
    let p = store_path(g)?;
    Layout::open(&p).map_err(|e| e.context("store"))
}

/// The store, created when missing (for commands that write).
fn open_or_create_store(g: &GlobalArgs) -> Result<Layout> {
    let p = store_path(g)?;
    Layout::open_or_create(&p).map_err(|e| e.context("store"))
}

/// Buffered, locked stdout for data output.
fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// Write `line` followed by `\n`, or `\0` when `nul`.
fn write_record(out: &mut impl Write, line: &str, nul: bool) -> io::Result<()> {
    out.write_all(line.as_bytes())?;
    out.write_all(if nul { b"\0" } else { b"\n" })
}
