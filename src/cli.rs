//! The one command-line definition. It drives parsing, `--help`, the man
//! pages in man/ and the shell completions in completions/.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const IMAGE_NAMES: &str = "\
IMAGE NAMES
  Plumbing commands take store refs: a NAME[:TAG] as recorded in the store's
  index.json (org.opencontainers.image.ref.name), or a digest sha256:HEX.
  A NAME without a tag that is not found is looked up as NAME:latest.

STORE
  The store is an OCI image layout: --store DIR, else $LADE_STORE, else
  $XDG_DATA_HOME/lade/store (~/.local/share/lade/store). It is created on
  first write. Any OCI layout (e.g. one written by skopeo) can be used.";

pub const EXIT_CODES: &str = "\
EXIT STATUS
  0  success
  1  a negative answer: not found, -e found nothing, fsck found problems
  2  usage error
  3  failure: bad input, I/O or verification error
  A closed output pipe ends lade quietly with status 0.";

#[derive(Debug, Parser)]
#[command(
    name = "lade",
    version,
    about = "Move, inspect and store container images",
    long_about = "lade moves and inspects container images and keeps its own \
                  content-addressed store in the OCI image-layout format. \
                  Plumbing commands work on single objects and print data only; \
                  porcelain commands build on them.",
    after_long_help = ROOT_AFTER_HELP,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

const ROOT_AFTER_HELP: &str = "\
See lade(1) for image names, the store location and exit statuses.

EXIT STATUS
  0 success, 1 negative answer (not found, -e, fsck problems), 2 usage, 3 failure.";

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]
    #[arg(long, global = true, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the digest of files or stdin, and optionally store them
    #[command(after_help = "EXAMPLES\n  lade hash-object layer.tar\n  \
        find . -type f -print0 | lade hash-object --stdin-paths -z\n  \
        lade cat-manifest app:1 | lade hash-object --stdin\n  \
        lade hash-object -w -t application/vnd.oci.image.manifest.v1+json manifest.json")]
    HashObject(HashObjectArgs),
    /// Print a blob's bytes from the store
    #[command(after_help = "EXAMPLES\n  lade cat-blob sha256:3f8a…  > blob\n  \
        lade cat-blob -e sha256:3f8a… && echo present")]
    CatBlob(CatBlobArgs),
    /// Print the exact manifest (or index) bytes of a store ref
    #[command(after_help = "EXAMPLES\n  lade cat-manifest app:1\n  \
        lade cat-manifest sha256:3f8a… | lade hash-object --stdin")]
    CatManifest(CatArgs),
    /// Print the exact image config bytes of a store ref
    #[command(after_help = "EXAMPLES\n  lade cat-config app:1 | jq .config.Env")]
    CatConfig(CatConfigArgs),
    /// List the refs in the store: name, digest, media type, size
    #[command(
        after_help = "OUTPUT\n  One line per index.json entry, fields separated by a tab:\n  \
        NAME DIGEST MEDIATYPE SIZE\n  An entry without a name shows NAME as \"-\". With -z lines end in NUL."
    )]
    LsRefs(LsRefsArgs),
    /// Point a new ref at the image SRC names
    #[command(after_help = "EXAMPLES\n  lade tag app:1 app:stable\n  lade tag sha256:3f8a… app:2")]
    Tag(TagArgs),
    /// Remove a ref (the image's blobs stay until gc)
    Untag(UntagArgs),
    /// Verify every blob and every reference in the store
    #[command(after_help = "OUTPUT\n  One line per problem on stdout:\n  \
        dangling ref NAME: DIGEST is missing\n  missing DIGEST (referenced by DIGEST)\n  \
        corrupt DIGEST: content hashes to DIGEST\n  corrupt DIGEST: N bytes, expected M (truncated)\n  \
        bad manifest DIGEST: WHY\n  bad entry PATH: WHY\n  \
        With --unreachable, also: unreachable DIGEST\n  A summary goes to stderr. Exit status 1 when any problem was found.")]
    Fsck(FsckArgs),
    /// Remove blobs that no ref reaches
    #[command(
        after_help = "OUTPUT\n  One line per removed blob on stdout: DIGEST<TAB>SIZE.\n  \
        A summary with the bytes freed goes to stderr.\n\n\
        Blobs changed within the grace period (default 3600 s) are kept, so a copy\n  \
        that has written blobs but not yet its ref is never undercut."
    )]
    Gc(GcArgs),
    /// Print the digest of a manifest file
    ManifestDigest(ManifestDigestArgs),
}

#[derive(Debug, Args)]
pub struct HashObjectArgs {
    /// Also write the objects into the store
    #[arg(short = 'w')]
    pub write: bool,
    /// Check that each input is a valid object of this media type
    #[arg(short = 't', value_name = "MEDIATYPE")]
    pub media_type: Option<String>,
    /// Read the object from standard input
    #[arg(long, conflicts_with_all = ["stdin_paths", "files"])]
    pub stdin: bool,
    /// Read file paths from standard input, one per line (NUL with -z)
    #[arg(long, conflicts_with = "files")]
    pub stdin_paths: bool,
    /// NUL-terminated input paths and output lines
    #[arg(short = 'z')]
    pub null: bool,
    /// Files to hash
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CatBlobArgs {
    /// Print nothing; exit 0 if the blob exists, 1 if not
    #[arg(short = 'e')]
    pub exists: bool,
    /// The blob's digest
    #[arg(value_name = "DIGEST")]
    pub digest: String,
}

#[derive(Debug, Args)]
pub struct CatArgs {
    /// Print nothing; exit 0 if the object exists, 1 if not
    #[arg(short = 'e')]
    pub exists: bool,
    /// A store ref: NAME[:TAG] or sha256:HEX
    #[arg(value_name = "REF")]
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct CatConfigArgs {
    #[command(flatten)]
    pub cat: CatArgs,
    /// For an index, the platform to pick (OS/ARCH[/VARIANT]) [default: this machine's]
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
}

#[derive(Debug, Args)]
pub struct LsRefsArgs {
    /// End lines with NUL instead of newline
    #[arg(short = 'z')]
    pub null: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The existing ref or digest
    #[arg(value_name = "SRC-REF")]
    pub source: String,
    /// The ref name to create or move
    #[arg(value_name = "NEW-REF")]
    pub target: String,
}

#[derive(Debug, Args)]
pub struct UntagArgs {
    /// The ref name to remove
    #[arg(value_name = "REF")]
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct FsckArgs {
    /// Also list blobs that no ref reaches
    #[arg(long)]
    pub unreachable: bool,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Show what would be removed without removing it
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Keep unreachable blobs modified within this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub grace: u64,
}

#[derive(Debug, Args)]
pub struct ManifestDigestArgs {
    /// The manifest file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}
