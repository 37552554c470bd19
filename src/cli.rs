//! The one command-line definition. It drives parsing, `--help`, the man
//! pages in man/ and the shell completions in completions/.

// The doc comments here are --help text, written for a terminal:
// NAME[:TAG] is a synopsis, not a rustdoc link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub const IMAGE_NAMES: &str = "\
STORE REFS
  Plumbing commands take store refs: a NAME[:TAG] as recorded in the store's
  index.json (org.opencontainers.image.ref.name), or a digest sha256:HEX.
  A NAME without a tag that is not found is looked up as NAME:latest.

STORE
  The store is an OCI image layout: --store DIR, else $LADE_STORE, else
  $XDG_DATA_HOME/lade/store (~/.local/share/lade/store). It is created on
  first write. Any OCI layout (e.g. one written by skopeo) can be used.

ENVIRONMENT
  LADE_STORE              the store (see STORE)
  REGISTRY_AUTH_FILE      registry credentials (see lade login)
  DOCKER_CONFIG           where config.json is (default ~/.docker); set, and
                          REGISTRY_AUTH_FILE not, its config.json is the file
                          login and logout use, as skopeo and podman do
  CONTAINERS_REGISTRIES_CONF
                          registries.conf: mirrors, insecure and blocked
                          registries, credential helpers
                          (--registries-conf wins; default
                          ~/.config/containers/registries.conf, else
                          /etc/containers/registries.conf)
  DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH
                          the Docker daemon docker-daemon: talks to
  HTTPS_PROXY, HTTP_PROXY proxy for https and http registry requests (either
                          spelling; http(s):// in a CONNECT tunnel, socks5://,
                          socks5h://), as Go reads them: never for localhost
                          or loopback addresses
  NO_PROXY                hosts reached directly: NAME (and its subdomains),
                          .NAME (subdomains only), NAME:PORT, IP[:PORT], CIDR,
                          or *
  SSL_CERT_FILE, SSL_CERT_DIR
                          the CA bundle and directories registries are checked
                          against, beside --cert-dir (default: the system's)
  TMPDIR                  temp files outside the destination (--tmpdir wins)
  XDG_CACHE_HOME          where lade/blob-info is: the blobs layers compressed
                          on the way became, the content compressed blobs
                          were seen to be, and the repositories blobs were
                          seen in, so a later push sends none it need not, or
                          mounts it (default ~/.cache)
  LADE_BLOB_CACHE         off: no blob-info cache
  LADE_IDLE_TIMEOUT       how long a registry (default 5 minutes) or the Docker
                          daemon (30 minutes) may send or take no byte before
                          the request fails (a Go duration; 0: no limit)
  XDG_DATA_HOME           where the default store is (see STORE; as
                          XDG_CACHE_HOME, used when an absolute path)
  XDG_RUNTIME_DIR         where the first auth file is (see lade login)";

pub const EXIT_CODES: &str = "\
EXIT STATUS
  0  success
  1  a negative answer: not found (a ref a layout or archive lacks, an image
     or repository a registry or the daemon lacks, an oci:, oci-archive:,
     docker-archive: or dir: path that is not there, a store not made yet),
     -e found nothing, fsck found problems
  2  usage error
  3  failure: bad input (a path that is there but is no layout, archive or
     dir: image), I/O or verification error
  A closed output pipe ends lade quietly with status 0.";

#[derive(Debug, Parser)]
#[command(
    name = "lade",
    version,
    disable_version_flag = true,
    about = "Move, inspect and store container images",
    long_about = "lade moves and inspects container images and keeps its own \
                  content-addressed store in the OCI image-layout format. \
                  Plumbing commands work on single objects and print data only; \
                  porcelain commands build on them.",
    after_long_help = ROOT_AFTER_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// Print version
    #[arg(short = 'v', short_alias = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

const ROOT_AFTER_HELP: &str = "\
See lade(1) for image names, the store location, environment variables and exit
statuses.

WHERE GLOBAL OPTIONS GO
  Taken before or after the command's name: --store, --debug, --registries-conf,
  --require-signed, --tls-details, --user-agent-prefix, and skopeo's
  --command-timeout, --tmpdir, --insecure-policy, --policy, --registries.d and
  --override-os/--override-arch/--override-variant (the platform copy, inspect,
  sync and unpack pick). A command's own options (--tls-verify, --creds, …) come
  after its name.

EXIT STATUS
  0 success, 1 negative answer (not found, -e, fsck problems), 2 usage, 3 failure.

SIGNALS
  Ended by SIGINT, SIGTERM or SIGHUP, lade first removes the temp files of its
  writes under way, then dies of the signal (status 128+N in a shell); a signal
  ignored when lade starts (nohup) stays ignored.";

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use the OCI layout at DIR as the store [default: $LADE_STORE, else $XDG_DATA_HOME/lade/store]
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub store: Option<PathBuf>,
    /// End the command after DURATION (90s, 10m, 1h30m; 0: never), with
    /// what its writes under way left removed, as on a signal (exit 3)
    #[arg(long, global = true, value_name = "DURATION", value_parser = timeout,
          help_heading = GLOBAL)]
    pub command_timeout: Option<Timeout>,
    /// Put temp files outside the destination (decompressed archives,
    /// staged layers) in DIR [default: $TMPDIR, else /tmp]
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub tmpdir: Option<PathBuf>,
    /// Say each registry and Docker Engine request on stderr as it is
    /// answered (method, URL, status, time; no credentials)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub debug: bool,
    /// Read registry settings (mirrors, insecure and blocked registries,
    /// credential helpers) from FILE [default: $CONTAINERS_REGISTRIES_CONF, else
    /// ~/.config/containers/registries.conf, else
    /// /etc/containers/registries.conf]
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub registries_conf: Option<PathBuf>,
    /// skopeo's: copy and sync read no signature policy, the default
    /// one or the one --policy names
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub insecure_policy: bool,
    /// skopeo's signature policy (containers-policy.json) for copy and
    /// sync: lade checks no signatures, so it copies a source image the
    /// requirements of its scope (skopeo's: the most specific FILE names,
    /// else the transport's, else the default) accept as it is
    /// (insecureAcceptAnything) and refuses one they ask more of (exit 3);
    /// --insecure-policy wins [default (also for an empty FILE, as in
    /// skopeo): ~/.config/containers/policy.json, else
    /// /etc/containers/policy.json, else none]
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL,
          value_parser = clap::builder::ValueParser::os_string())]
    pub policy: Option<std::ffi::OsString>,
    /// skopeo's registries.d (containers-registries.d): taken, for its
    /// command lines; lade keeps signatures as tags and referrers
    /// (--with-referrers), so copy, sync and delete warn of the lookaside
    /// storage a *.yaml in DIR sets, which they neither read nor write
    #[arg(long = "registries.d", global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub registries_d: Option<PathBuf>,
    /// skopeo's: require every image copied to be signed. lade verifies
    /// no signatures, so copy and sync refuse it before copying anything
    /// (exit 3); with --insecure-policy, a usage error
    #[arg(long, global = true, conflicts_with = "insecure_policy", help_heading = GLOBAL)]
    pub require_signed: bool,
    /// A containers-tls-details.yaml(5) file, as skopeo's: the lowest TLS
    /// version (minVersion), and lists of the cipher suites (cipherSuites)
    /// and key exchange groups (namedGroups, IANA names) registry and
    /// Docker Engine (DOCKER_TLS_VERIFY) connections may use [default: lade's: TLS 1.2 and 1.3, modern
    /// AEAD suites, x25519, secp256r1, secp384r1]
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub tls_details: Option<PathBuf>,
    /// Send registries the User-Agent "PREFIX lade/VERSION" (printable
    /// ASCII) [default: lade/VERSION]
    #[arg(long, global = true, value_name = "PREFIX", value_parser = user_agent_prefix,
          help_heading = GLOBAL)]
    pub user_agent_prefix: Option<String>,
    /// For multi-platform images (copy, inspect, sync --multi-arch system,
    /// unpack): the OS to pick; an empty value is none given, as in skopeo
    /// [default: this machine's]
    #[arg(long, global = true, value_name = "OS", help_heading = GLOBAL)]
    pub override_os: Option<String>,
    /// For multi-platform images: the architecture to pick [default: this machine's]
    #[arg(long, global = true, value_name = "ARCH", help_heading = GLOBAL)]
    pub override_arch: Option<String>,
    /// For multi-platform images: the architecture variant to pick
    #[arg(long, global = true, value_name = "VARIANT", help_heading = GLOBAL)]
    pub override_variant: Option<String>,
}

/// `--user-agent-prefix`: it goes into a header, so printable ASCII only.
fn user_agent_prefix(s: &str) -> Result<String, String> {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) && !s.trim().is_empty() {
        Ok(s.to_string())
    } else {
        Err("a User-Agent prefix is printable ASCII (it goes in a header)".into())
    }
}

/// The help heading of the options every command takes, before or after
/// its name, as skopeo's global options.
const GLOBAL: &str = "Global options";

/// `--command-timeout`: how long, and as given.
#[derive(Debug, Clone)]
pub struct Timeout {
    pub limit: std::time::Duration,
    pub shown: String,
}

fn timeout(s: &str) -> std::result::Result<Timeout, String> {
    Ok(Timeout {
        limit: go_duration(s)?,
        shown: s.to_string(),
    })
}

/// `gc --grace`: whole seconds (3600), or a duration as --command-timeout
/// takes (90s, 10m, 1h30m).
fn grace(s: &str) -> std::result::Result<Timeout, String> {
    let limit = match s.parse::<u64>() {
        Ok(secs) if s.bytes().all(|b| b.is_ascii_digit()) => std::time::Duration::from_secs(secs),
        _ => go_duration(s).map_err(|e| {
            e.replace(
                "(e.g. 2s, 500ms, 1m30s)",
                "(seconds, or e.g. 90s, 10m, 1h30m)",
            )
        })?,
    };
    Ok(Timeout {
        limit,
        shown: s.to_string(),
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy images between transports (registries, archives, layouts, directories)
    #[command(
        after_help = COPY_HELP,
        override_usage = "lade copy [OPTIONS] SOURCE-IMAGE... DESTINATION-IMAGE"
    )]
    Copy(CopyArgs),
    /// Copy every tag of a repository (or every image of a layout) into another
    #[command(after_help = SYNC_HELP)]
    Sync(SyncArgs),
    /// Show an image's metadata as JSON, or its raw manifest or config
    #[command(after_help = INSPECT_HELP)]
    Inspect(InspectArgs),
    /// Rewrite a store image between Docker v2s2 and OCI manifests
    #[command(
        after_help = "The config and layer bytes are not touched; only manifests (and, for\n\
        an index, its children) are re-authored and written to the store. The new\n\
        digest is printed; --tag also points a ref at it. An index holding an index\n\
        does not become a Docker list. A ref to a Docker manifest is read by lade\n\
        and by skopeo 1.18 or later, not by umoci or older skopeo.\n\n\
        EXAMPLES\n  lade convert --to oci app:1\n  lade convert --to docker --tag app:docker app:1"
    )]
    Convert(ConvertArgs),
    /// Compute the digest of files or stdin, and optionally store them
    #[command(
        after_help = "OUTPUT\n  One line per input, in the order given: its digest, sha256:HEX (with\n  \
        --stdin-paths, \"PATH missing\" for a path that is not there; the exit\n  \
        status stays 0). With -z lines end in NUL. Nothing else, with or without -w.\n\n\
        EXAMPLES\n  lade hash-object layer.tar\n  \
        find . -type f -print0 | lade hash-object --stdin-paths -z\n  \
        lade cat-manifest app:1 | lade hash-object --stdin\n  \
        lade hash-object -w -t application/vnd.oci.image.manifest.v1+json manifest.json"
    )]
    HashObject(HashObjectArgs),
    /// Print a blob's bytes from the store
    #[command(
        after_help = "OUTPUT\n  The blob's bytes exactly, nothing added; with -e nothing. A blob not in\n  \
        the store exits 1. The blob is checked against its digest before any byte\n  \
        is written: a corrupt one writes nothing and exits 3.\n\n\
        EXAMPLES\n  lade cat-blob sha256:3f8a…  > blob\n  \
        lade cat-blob -e sha256:3f8a… && echo present"
    )]
    CatBlob(CatBlobArgs),
    /// Print the exact manifest (or index) bytes of a store ref
    #[command(
        after_help = "OUTPUT\n  The manifest's bytes exactly as stored (their digest is the ref's), nothing\n  \
        added; with -e nothing. A ref not in the store exits 1.\n\n\
        EXAMPLES\n  lade cat-manifest app:1\n  \
        lade cat-manifest sha256:3f8a… | lade hash-object --stdin"
    )]
    CatManifest(CatArgs),
    /// Print the exact image config bytes of a store ref
    #[command(
        after_help = "OUTPUT\n  The config blob's bytes exactly, nothing added; with -e nothing. A ref not\n  \
        in the store exits 1.\n\n\
        EXAMPLES\n  lade cat-config app:1 | jq .config.Env"
    )]
    CatConfig(CatConfigArgs),
    /// List the refs in the store: name, digest, media type, size
    #[command(
        after_help = "OUTPUT\n  One line per index.json entry, fields separated by a tab:\n  \
        NAME DIGEST MEDIATYPE SIZE\n  An entry without a name shows NAME as \"-\"; a name with control characters\n  \
        (which lade never writes; fsck reports it) is shown escaped (\\t, \\n, \\u{..}).\n  \
        With -z lines end in NUL. An entry that does not read (an uppercase\n  \
        digest, no media type) is left out with a warning on stderr; the others\n  \
        list, and writes keep it as it is (fsck names it, untag NAME removes it;\n  \
        one without a name is removed by editing index.json).\n  \
        The default store, not made yet, lists nothing; a store named (--store,\n  \
        LADE_STORE) that is not there is an error (exit 1)."
    )]
    LsRefs(LsRefsArgs),
    /// Point a new ref at the image SRC names
    #[command(
        after_help = "OUTPUT\n  Nothing; the exit status says (1: SRC not in the store).\n\n\
        EXAMPLES\n  lade tag app:1 app:stable\n  lade tag sha256:3f8a… app:2"
    )]
    Tag(TagArgs),
    /// Remove a ref (the image's blobs stay until gc)
    #[command(
        after_help = "When no ref names the image any more, the unnamed index.json entries\n  \
        that refer to it (their subject: signatures, SBOMs), and theirs, go too,\n  \
        so gc takes them with the image.\n\n\
        OUTPUT\n  Nothing; the exit status says (1: no such ref)."
    )]
    Untag(UntagArgs),
    /// Verify every blob and every reference in the store
    #[command(after_help = "OUTPUT\n  One line per problem on stdout:\n  \
        dangling ref NAME: DIGEST is missing\n  missing DIGEST (referenced by DIGEST)\n  \
        corrupt DIGEST: content hashes to DIGEST\n  \
        corrupt DIGEST: N bytes, expected M (and \"(truncated)\" when shorter)\n  \
        bad descriptor of DIGEST in ref NAME|DIGEST: says N bytes, the blob has M\n  \
        bad ref: WHY (a name lade would not write, or one naming two images)\n  \
        bad manifest DIGEST: WHY\n  \
        bad image DIGEST: WHY (its config contradicts its layers: the number of diff_ids,\n    \
        or an uncompressed layer that is not its diff_id; with --full, a compressed\n    \
        layer that does not decompress to its diff_id, or does not decompress)\n  \
        bad entry PATH: WHY\n  \
        bad index.json: WHY (missing, not a regular file, or no index: nothing is reachable)\n  \
        bad index.json entry: manifests[N] (ref \"NAME\") does not read: WHY\n  \
        bad index.json entry: ref \"NAME\" (DIGEST) is of type T, not a manifest or index\n    \
        (a layer's type, an unknown one: it names no image, and readers refuse it alike)\n  \
        With --unreachable, also: unreachable DIGEST\n  A summary goes to stderr, counting the temp files in the store (writes\n  \
        under way, or ended by a kill; not problems: lade gc removes them once no\n  \
        longer written). Exit status 1 when any problem was found,\n  \
        even when stdout is closed early (lade fsck | head: the rest is not written).\n\n  \
        Without --full, a compressed layer's diff_id is checked when it is unpacked\n  \
        (lade unpack), not by fsck. --full decompresses each layer once, in the same\n  \
        read as its blob is hashed, whatever number of images hold it.\n\n  \
        fsck takes no lock while it hashes: untag, gc and copies run meanwhile. A\n  \
        blob removed while it ran (by an untag and a gc) is no problem unless\n  \
        index.json still reaches it: what index.json reaches is walked again (under\n  \
        the lock untag and gc take, for that walk alone) before one is said missing.")]
    Fsck(FsckArgs),
    /// Remove blobs that no ref reaches
    #[command(
        after_help = "OUTPUT\n  One line per removed blob on stdout: DIGEST<TAB>SIZE.\n  \
        A summary with the bytes freed goes to stderr, counting the stale temp files\n  \
        removed too (those a killed write left in the store's top directory), even\n  \
        when stdout is closed early (lade gc | head).\n\n  \
        Blobs and temp files written, linked or reused within the grace period\n  \
        (--grace: seconds, or 90s, 10m, 1h30m; default 3600 s; the later of\n  \
        modification and status-change time) are kept, so a copy that has\n  \
        written blobs but not yet its ref is not undercut;\n  \
        a temp file a write still has open (locked) is kept whatever its age.\n  \
        A copy that runs longer than the grace period, and so loses blobs it\n  \
        wrote, fails before it writes its ref. What\n  \
        refers to an image (a subject) does not keep it. gc refuses to run while an\n  \
        index.json entry does not read, or a manifest or index that index.json\n  \
        reaches is missing, unreadable or typed as something else: what it\n  \
        references could not be known (lade fsck names it). A manifest of a kind lade does not read\n  \
        (an OCI 1.1-rc artifact manifest, Docker schema 1) keeps every blob it names.\n\n  \
        The grace period protects the blobs lade's own writers use: they refresh\n  \
        the modification time of a blob they reuse, and write refs under the lock\n  \
        gc holds. Other tools writing into the same layout (skopeo, umoci) are\n  \
        not protected beyond --grace: a skopeo copy that reuses a blob left\n  \
        unreferenced for longer than the grace period can lose it to a gc running\n  \
        meanwhile, and write a ref to an image missing it. Do not run gc while\n  \
        other tools write the layout."
    )]
    Gc(GcArgs),
    /// Show the bytes each ref's image takes, and what untag and gc would free
    #[command(
        after_help = "OUTPUT\n  One line per index.json entry (as ls-refs lists them), fields separated\n  \
        by a tab:\n  NAME DIGEST SIZE UNIQUE\n  \
        SIZE: the bytes of the stored blobs the entry reaches (its manifest or\n  \
        index, configs, layers, an index's manifests), each counted once.\n  \
        UNIQUE: what lade untag NAME and then lade gc would free, besides what\n  \
        is unreachable already: the blobs that no other entry reaches (the\n  \
        unnamed referrers untag drops with the image, its SBOMs and signatures,\n  \
        counted in). Two names of one image: 0 each.\n  \
        An entry without a name shows NAME as \"-\", and UNIQUE is what it alone\n  \
        reaches. With REFs, their lines alone (a digest: its entries); UNIQUE is\n  \
        still against the whole store.\n  \
        With -s (which takes no REF), the store's totals instead, KIND COUNT SIZE:\n  \
        reachable, unreachable (what gc removes once past its --grace), temp (the\n  \
        temp files of writes under way, or left by killed ones) and total.\n  \
        -H writes sizes for people: units of 1000, at most four significant\n  \
        digits (4B, 1.5kB, 18.81kB, 812.4MB, 1.2GB).\n  \
        Sizes are the files' lengths: blobs hard-linked with other layouts count\n  \
        in each. A blob missing, or what an index.json entry or a manifest that\n  \
        does not read names, is left out with a warning (lade fsck names them;\n  \
        what only they reach counts as unreachable, though gc keeps it: it\n  \
        refuses to run until they are mended). A store whose blobs/ or blobs/ALG\n  \
        is a symlink (or no directory) is refused (exit 3), as gc refuses it: its\n  \
        blobs are not counted through it. The default store, not made yet,\n  \
        lists nothing; a store named that is not there is an error (exit 1).\n\n\
        EXAMPLES\n  lade du -H\n  lade du -s --store /srv/images\n  \
        lade du | sort -t$'\\t' -k4,4n | tail -3      # the refs freeing the most"
    )]
    Du(DuArgs),
    /// Print the digest of a manifest file
    #[command(
        after_help = "The digest is of the exact bytes (schema 2, OCI, indexes, unsigned schema 1);\n\
        of a signed Docker schema 1 manifest, that of the payload its JWS signatures cover,\n\
        as registries give it (the signatures are not verified)."
    )]
    ManifestDigest(ManifestDigestArgs),
    /// List the tags of a registry repository (docker://REPO) or of the
    /// images of a docker-archive
    #[command(
        after_help = "OUTPUT\n  JSON as skopeo list-tags: {\"Repository\": NAME, \"Tags\": [...]}; for a\n  \
        docker-archive {\"Tags\": [...]}: each image's RepoTags (NAME:TAG), @N for one\n  \
        without; one listed twice is listed once, one that is no NAME:TAG left out\n  \
        with a warning.\n\n\
        LIMITS\n  A registry's listing is read page by page (Link headers; a link naming\n  \
        another host is taken for its path, at the registry), up to 1,000,000\n  \
        tags and 131 MB of pages (a million 128-character tags); past that it is\n  \
        refused (exit 3). A tag listed twice is listed once; a name that is no\n  \
        valid tag (a/b, ../x) is left out, with a warning; a listing that is no\n  \
        JSON object is refused (exit 3).\n\n\
        EXAMPLES\n  lade list-tags docker://registry.example/app\n  \
        lade list-tags --tls-verify=false docker://localhost:5000/app\n  \
        lade list-tags docker-archive:images.tar"
    )]
    ListTags(ListTagsArgs),
    /// Delete an image (docker://REF: the manifest the tag or digest names;
    /// oci:PATH:REF: the ref, its blobs left to lade gc; docker-daemon:NAME:
    /// that name, as docker rmi)
    #[command(
        after_help = "A registry deletes the manifest, and with it every tag that points at it\n\
        (two tags of one image both go), as skopeo delete does.\n\
        A Docker Engine removes the name, and the image with its last name, as\n\
        `docker rmi` (not forced): an ID several names share, or the last name of an\n\
        image a container uses, is refused (exit 3, the daemon's message).\n\n\
        EXAMPLES\n  lade delete docker://registry.example/app:old\n  \
        lade delete docker://registry.example/app@sha256:3f8a…\n  \
        lade delete oci:layout:old\n  \
        lade delete docker-daemon:app:old"
    )]
    Delete(DeleteArgs),
    /// Store credentials for a registry in the auth file
    #[command(
        after_help = "The file is --authfile, else $REGISTRY_AUTH_FILE, else\n\
        $XDG_RUNTIME_DIR/containers/auth.json (/run/containers/UID/auth.json without\n\
        XDG_RUNTIME_DIR), as skopeo and podman write it; mode 0600.\n\
        Where the file names a credential helper for the registry (credHelpers, else\n\
        credsStore), the credentials go to docker-credential-NAME store instead, and\n\
        logout erases them there. HOST/NAMESPACE (no tag or digest) logs in to the\n\
        repositories under NAMESPACE.\n\
        registries.conf's credential-helpers, when set, says where instead: the\n\
        first in its list that takes them (containers-auth.json: the file above,\n\
        else docker-credential-NAME, which keeps no namespace), as skopeo does;\n\
        logout removes them from each.\n\
        The registry checks them (GET /v2/); one whose GET /v2/ asks for none gets\n\
        them saved all the same, with a warning that they were not checked.\n\n\
        EXAMPLES\n  lade login -u me registry.example\n  \
        echo \"$TOKEN\" | lade login -u me --password-stdin registry.example"
    )]
    Login(LoginArgs),
    /// Remove stored credentials for a registry
    Logout(LogoutArgs),
    /// Apply one layer (a tar, gzip or zstd) onto a directory
    #[command(after_help = UNPACK_LAYER_HELP)]
    UnpackLayer(UnpackLayerArgs),
    /// Unpack an image's layers into a directory (or an OCI runtime bundle)
    #[command(after_help = UNPACK_HELP)]
    Unpack(UnpackArgs),
}

const UNPACK_LAYER_HELP: &str = "\
LAYER is a file, - for standard input, or the digest of a blob in the store.
Compression (gzip, every member; zstd; none) is told by the first bytes.
DIR is created if missing, and removed again if the layer cannot be applied.
Whiteouts (.wh.NAME) and opaque directories (.wh..wh..opq) apply to what DIR
already holds, so layers applied one after another give the image's root
filesystem; a whiteout hides what lower layers had at its name, and an opaque
marker everything they had under its directory, never what the layer itself
puts there, wherever the marker comes in the layer (as the OCI image spec says).
A directory entry says what the directory is: a lower one's xattrs it does
not list go (the target directory itself is left as it is); a lower directory
kept under a whiteout or opaque marker only for the layer's names in it is as
one made for them (mode 0755, no xattrs). Owners are set when running as
root (else, or with --rootless, files belong to the caller and device nodes
are skipped with a warning; a read-only directory a lower layer left is
opened up while the layer writes in it, also through a symlink to it (/lib
-> usr/lib), and gets its mode back after).
Runs of zeros in files are written as holes, and so are the holes of GNU
sparse files: old GNU entries, and the PAX forms 0.0, 0.1 and 1.0 of tar
--sparse --format=posix (named by GNU.sparse.name, as Go's archive/tar names
them; a map that places pieces out of order or past the file's end, or leaves
data unplaced, is an error). A layer whose sparse files declare more than
64 GiB of holes in all (an exabyte takes a few bytes to declare) is refused. A file
written through a symlink the layer made counts as the layer's where it lands.
Times are the entries' (before 1970 too); a directory the layer adds to or
removes from without naming it keeps the time lower layers left on it.
Entry types lade does not know are skipped and counted (the first few named).
Headers are read as Go's archive/tar (Docker, umoci) reads them: a checksum
summing signed bytes (old tars) is taken as GNU tar takes it, a GNU long name
ends at its first NUL, a STAR header's name prefix is its 131 bytes, and a
USTAR magic's prefix counts whatever the version field says.
A marker in a directory that is not there, or under a file, has nothing to
hide: it is passed over and makes nothing, as umoci does.
A hard link entry's own mode, owner and time are not applied (it shares its
target's inode), as umoci and GNU tar do.

SAFETY
  Every name is resolved inside DIR, one component at a time, without letting
  the kernel follow symlinks; a symlink met on the way is resolved as if DIR
  were / (absolute targets and .. stay inside DIR). Nothing outside DIR is
  created, written, linked, chmodded or removed. A name (or hard link target)
  with a leading / is taken from DIR, as Docker, containerd and umoci take it.
  Names with .., hard links that leave DIR, the root turned into a
  non-directory and bad whiteouts (.wh., .wh..) are errors. An entry replaces
  the link that held its name rather than writing through it. Memory stays
  bounded whatever the layer holds: a PAX header or GNU long name over 1 MiB,
  and a name of more than 256 components, are errors. So is a layer tools read
  differently, which could show one tree to a scanner and another here: a PAX
  size, path or linkpath given twice; a PAX record holding a newline, or not
  well formed; a PAX header or GNU long name without a POSIX or GNU magic (GNU
  tar and Go apply it, whatever the magic); a link, directory, device or FIFO
  with a size (no data follows them); a lone zero block with entries after it;
  a PAX path or linkpath holding a NUL; a STAR header whose times are no
  numbers (Go refuses both). The archive transports refuse the same headers
  among their members. A PAX uid or gid below 0 or beyond 32 bits is an error:
  Docker and umoci keep its low 32 bits, so 4294967296 would be root.

EXAMPLES
  lade unpack-layer layer.tar.gz rootfs
  lade cat-blob sha256:3f8a… | lade unpack-layer - rootfs
  lade --store ./store unpack-layer sha256:3f8a… rootfs";

const UNPACK_HELP: &str = "\
IMAGE is TRANSPORT:DETAILS (oci:PATH[:REF], oci-archive:, docker-archive:,
dir:, docker://, docker-daemon:) or a store ref (NAME[:TAG] or sha256:HEX).
Each layer is verified against its digest and size, and its uncompressed
bytes against the config's diff_id, while it is applied. An image listing a
blob not typed as a layer (an artifact's text or chart) is refused before
anything is written. DIR is created if
missing; layers apply on top of what it holds. With --bundle, DIR gets
rootfs/ and a config.json (neither may exist yet) for runc/crun, as umoci
unpack writes: the image's Env over the default PATH, HOME from /etc/passwd
unless Env sets it; USER resolved as runc resolves it (/etc/passwd and
/etc/group read inside rootfs/, symbolic links resolved there); runc's
default capabilities, ambient too; a tmpfs per volume; no terminal (umoci
sets one, and TERM=xterm). A docker-daemon: image comes
as one stream, not layer by layer: it is copied into a temp layout first
(--tmpdir), removed again at the end.

A failed or interrupted unpack (a mismatch, a signal, --command-timeout)
removes what it made: DIR if it made it, else a bundle's rootfs/, so the
same command can run again. Into a DIR that was there, it stops where it got
to and says that DIR is incomplete: throw it away.

SAFETY
  Names are resolved inside the root filesystem as with unpack-layer: nothing
  outside it is ever created, written, linked, chmodded or removed.

EXAMPLES
  lade unpack oci:layout:app rootfs
  lade unpack --bundle --platform linux/arm64 oci:layout:app bundle
  lade --store ./store unpack app:1 rootfs";

macro_rules! transports_help {
    () => {
        "\
IMAGE NAMES (TRANSPORT:DETAILS, as skopeo)
  docker://[HOST[:PORT]/]REPO[:TAG|@DIGEST]
                            a registry; `alpine` is docker.io/library/alpine:latest
  docker-daemon:NAME[:TAG|@DIGEST] | docker-daemon:sha256:ID
                            a Docker Engine (DOCKER_HOST, --*-daemon-host); read by
                            streaming `docker save`, written through `docker load`
                            (gzip layers as they are, zstd ones decompressed);
                            NAME@DIGEST, a repo digest the Engine has (after a pull
                            or push), is read only, the image by its ID, unnamed
  oci:PATH[:REF]            an OCI image layout directory; REF is the ref name
                            (needed when the layout holds several images); a new
                            one is made by the first blob written into it, and
                            taken back if the write fails
  oci-archive:PATH[:REF]    a tar of an OCI image layout (plain or gzip), read in
                            place (a pipe such as /dev/stdin is spooled into
                            --tmpdir first); writing replaces PATH
  docker-archive:PATH[:NAME:TAG|:@N]
                            a `docker save` tarball, Docker <= 24 and 25+ layouts,
                            plain or gzip, a file or a pipe (docker save app |
                            lade copy docker-archive:/dev/stdin …); :@N or
                            :NAME:TAG picks one of several.
                            Writing: `docker load`-able, layers uncompressed, PATH.gz
                            gzipped, an existing file is not overwritten
  dir:PATH                  skopeo's directory: manifest.json, blobs by hex, version;
                            one image, replaced only when the copy succeeds"
    };
}

pub const TRANSPORTS_HELP: &str = transports_help!();

const COPY_HELP: &str = concat!(
    transports_help!(),
    "

Several SOURCE images (or --all-images) can go into one destination that holds
several: docker-archive:, oci-archive:, oci:. Each image keeps the name its
source gives (docker-archive:x.tar:NAME:TAG), so the destination names none
(oci:layout, not oci:layout:REF), nor does an --all-images source; an image
a docker-archive holds under several names (RepoTags) keeps each of them (a
ref per name in oci: and oci-archive:). Into a docker-archive:, a layout's
ref name counts as a name only as NAME:TAG (a bare ref, oci:DIR:1.0, is a
tag: the image goes unnamed, as skopeo writes it). Every source is opened before
anything is written, and two images that would get one name are refused
then. One SOURCE into oci:PATH or oci-archive:PATH without a REF keeps its
name the same way (docker://HOST/REPO:TAG as HOST/REPO:TAG, @DIGEST too), so
the layout can name it; a source that gives none leaves it unnamed, as
skopeo leaves every such image.

MULTI-PLATFORM IMAGES
  From an index (OCI image index or Docker manifest list) copy copies the image
  for this machine (or --override-os/--override-arch/--override-variant); --all
  copies the index and every image, keeping the index digest; --platform (repeatable)
  copies those images under a new index holding only them; --multi-arch index-only
  copies the index alone (its images must already be at the destination).
  Destinations that cannot hold an index (docker-archive:, docker-daemon:) refuse
  the last three, except that one --platform there copies that image alone.
  A single image (no index) is copied as it is, but with --platform only when
  its config names one of those platforms (else exit 1, as docker pull).
  The image for a platform is chosen as skopeo and podman choose it: the
  wanted variant, then the older ones that architecture also runs (arm: v8,
  v7, v6, v5; arm64: v8), then an entry with no variant; with no variant
  wanted (amd64, or --override-arch without --override-variant), an entry
  with no variant first. Others (linux/amd64/v3 for linux/amd64) never match.
  Of equals, the first; in an OCI index, an entry naming no platform is the
  last resort. --platform keeps, for each platform, every entry of the one
  chosen that way.
  Nested indexes (an index listing another index, as the image-spec allows):
  --all copies the whole tree, each nested index written after its images and
  before the index listing it, every digest kept unless something is converted
  (a Docker list into oci:, say); --multi-arch index-only copies the indexes of
  the tree and no image (each must be at the destination). A platform pick
  (this machine's, --override-*, --platform) looks at the images of the nested
  indexes as if the top index listed them where their index is listed (depth
  first), so the first of equals wins wherever it is; --platform writes one
  flat index of the images picked, without the nested indexes. Refused before anything is written
  (exit 3): indexes nested more than 8 levels deep, a tree listing more than
  100,000 entries or 64 MiB of indexes in all, and --format v2s2 (a Docker
  manifest list cannot hold an index) with --all or index-only.

FOREIGN LAYERS
  A layer whose descriptor names URLs (a Windows base layer: foreign or
  non-distributable) is left where they point, as docker push and skopeo leave
  it, in a registry, oci: or oci-archive: destination: neither read nor
  written, its descriptor kept (the manifest digest too, unless converted).
  Into dir:, docker-archive: and docker-daemon:, which hold every layer, it is
  read from the source, or where a registry does not give it, from its URLs in
  order (http or https, without the registry's credentials), checked against
  its digest as any blob is.

MISLABELLED LAYERS
  A layer labelled gzip or zstd whose bytes are a plain tar (skopeo 1.9 writes
  Docker images into dir: so) is compressed where a compression is wanted
  (--dest-compress, --dest-compress-format, a copy to docker://), as skopeo
  compresses it, and the manifest names the new blob; where none is, or with
  --preserve-digests, it goes as it is. lade looks at the first bytes of
  layers in oci: and dir: sources; a layer read from elsewhere is taken as
  labelled.

DOCKER SCHEMA 1
  A schema 1 image (fsLayers and history, signed or not; deprecated since
  2017, still in old registries) is read from docker:// and dir: sources and
  written as the schema 2 image skopeo converts it to (skopeo --format v2s2,
  byte for byte; into oci: and oci-archive: then as OCI): layers bottom first
  without the empty ones, the config made of the top layer's v1Compatibility
  with rootfs and history from the entries. That config lists each layer's
  uncompressed digest, which schema 1 does not give: each layer goes to the
  destination as it is read, decompressed and hashed on the way, and the
  config and manifest follow (a layer the destination has is read, once, for
  that digest alone). Bytes that do not decompress stop before their end
  reaches the destination, which so never holds them; the layer is read again,
  and when its bytes are what its digest says and still do not decompress, the
  copy fails (exit 3), else it goes on as a retry. Where the layers change on the way (docker-archive:,
  docker-daemon:, --dest-compress-format zstd, an uncompressed layer into a
  registry) or the source does not tell their sizes and first bytes (a ranged
  GET), they are first read once into --tmpdir (checked against their
  digests; removed after) and copied from there. The image is written under a
  new digest: --preserve-digests refuses it (exit 3), and its signatures stay
  behind. What the layers were seen to be is kept in the blob-info cache (see
  README): a later copy takes them straight from the source, and a later sync
  finds the image it wrote unchanged, without reading them. Where lade's
  conversion differs from skopeo's: an uncompressed layer is labelled so
  (skopeo labels every layer gzip); images Docker before 1.8.3 made
  (docker_version) keep their config's fields as written, where skopeo writes
  them again with its own (another config digest); into oci: and oci-archive:
  the config keeps the schema 2 conversion's bytes, where skopeo writes it
  again in the OCI config's field order (the same JSON, another digest); a
  created time with a one-digit hour is refused. skopeo keeps schema 1 where the destination
  takes it; lade never writes it. An index or manifest list listing a schema 1
  image has no image lade reads for it: exit 1 (no image for the platform),
  exit 3 with --all.

SIGNATURES AND REFERRERS
  --with-referrers also copies what is attached to the image's manifest digest
  (and, for an index copied whole, to each image's): cosign's tags
  sha256-HEX.sig, .att and .sbom (to the same tags), and OCI 1.1 referrers
  (manifests whose subject is the image: from the registry's referrers API, or
  where it has none from the sha256-HEX tag index; in an oci: layout or
  oci-archive, the index.json entries naming it), with their blobs, exact
  bytes and digests, and theirs in turn (a signature of an SBOM; 4 levels; a
  source listing more than 2000 in all for one image fails the copy). At
  a registry without the referrers API the destination's sha256-HEX index is
  created or extended; in an oci: layout or oci-archive referrers are
  index.json entries without a ref name. Only docker://, oci: and oci-archive:
  destinations can hold them (others: an error). An image
  whose manifest digest changes (format conversion) has none to copy. An
  attachment that does not read (a tag or referrer that is no manifest, or
  names a blob by no digest), and a listed referrer whose own subject is not the
  image, are left out with a warning; one the source cannot give (a registry
  that cannot be reached) fails the copy. A referrer is described (media type,
  artifact type, annotations) by its own manifest, not by the listing.

OUTPUT
  On a terminal (TERM set, not dumb, its width known), a progress bar per blob
  with bytes and rate; otherwise one line per blob on stderr (copied or
  skipped); then the manifest digest.
  -q prints nothing but warnings and errors. --progress=json writes one JSON
  object per line to stderr, each with \"event\", \"time\" (seconds since the
  first copy began) and \"image\" (the source image's name; not on --debug
  messages and interrupted, which belong to no one image); stdout stays empty:
    blob_start    {digest, size, kind: config|layer[, name: see layer_read]}
    blob_progress {digest, bytes, size}, at most every 200 ms per blob
    blob_done     {digest, stored_digest, bytes, seconds, rate}: written
                  (rate: whole bytes per second, as bytes and sizes are)
    blob_skipped  {digest, size[, external: true]}: the destination had it
                  (external: a layer left where its URLs point)
    blob_reused   {digest, size, from}: mounted from repository FROM, not sent
    blob_retried  {digest, error, attempt, retries}: read from the source again
                  (attempt N of --retry-times; null for the one extra try when
                  a registry refuses chunks and gets the blob whole)
    blob_resumed  {digest, offset, resume, error}: a registry download cut
                  off midway goes on from byte OFFSET (a Range request;
                  resume N, at most 5; error: what cut it)
    blob_failed   {digest, error}: a started blob failed, its retries spent
    layer_read    {name, bytes, size}: docker-daemon: only, a layer the stream
                  names only by its path NAME, read before its digest is known
                  (as its read begins, then at most every 200 ms)
    image_done    {digest, blobs_copied, blobs_skipped}
    message       {text}
    interrupted   {signal[, text]}: the last event when SIGINT, SIGTERM or
                  SIGHUP ends lade (text: what it left incomplete)
  Each blob_start ends with one of blob_done, blob_failed, blob_skipped or
  blob_reused (the destination found to have it after all). Each blob written
  has one blob_done; their bytes add up to the bytes written.
  Out of docker-daemon:, a layer the stream names only by path (Docker 24 and
  older) is read under that path (layer_read) and started once its digest is
  known, its blob_start naming the path (name): read into a temp file, before
  it is sent (into a registry: its blob_progress is then the upload's), or
  written straight from the stream, once written, just before its end; its
  seconds count from when its read began. One that fails before then has no
  blob event; the error says which it was.
  A blob's blob_progress bytes grow, and go on from OFFSET after a
  blob_resumed; after a blob_retried they start again from 0. After five
  resumes the blob is read again from its start (blob_retried), as
  --retry-times allows.
  A failure ends the events with the usual one-line \"lade: error:\" text;
  blobs it left under way, and those a signal or --command-timeout cuts, get
  a blob_failed first (error: \"interrupted (SIGINT)\", \"the command ran
  out of time (--command-timeout 2s)\"), then interrupted or the error.

EXAMPLES
  lade copy docker-archive:app.tar oci:layout:app
  lade copy oci:layout:app docker-archive:app.tar.gz:app:1
  lade copy --dest-compress-format zstd oci:layout:app oci:small:app
  lade copy docker-archive:a.tar:a:1 docker-archive:b.tar:b:1 docker-archive:both.tar
  lade copy --all-images oci-archive:many.tar oci:layout
  lade copy --dest-creds me:pw --digestfile d oci:layout:app docker://registry.example/app:1
  lade copy --src-tls-verify=false docker://localhost:5000/app:1 oci:layout:app
  lade copy docker-daemon:app:1 oci:layout:app
  lade copy oci:layout:app docker-daemon:app:2
  lade copy --all docker://registry.example/app:1 oci:layout:app
  lade copy --platform linux/arm64 --platform linux/amd64 docker://r.example/app:1 oci:l:app
  lade copy --with-referrers docker://registry.example/app:1 oci:layout:app"
);

const SYNC_HELP: &str = "\
SOURCES AND DESTINATIONS
  SOURCE: docker://HOST/REPO (every tag), oci:PATH (every named image),
  docker-archive:PATH or oci-archive:PATH (every image); a name that picks
  one image (REPO:TAG, oci:PATH:REF, …) syncs that image alone.
  DESTINATION: docker://HOST/REPO (each image as REPO:TAG), oci:PATH (each
  image named TAG), or dir:TREE (each image in the directory TREE/NAME:TAG,
  NAME the source repository's last component, as skopeo sync names them;
  a layout's ref NAME:TAG gives its NAME too; a ref that is a tag alone goes
  to TREE/TAG). A docker:// DESTINATION is the repository
  itself, not a prefix (that is --dest docker, below), and names no tag (each
  image keeps its own, plus any --append-suffix; lade copy writes one image
  under another name). Other transports
  are refused (exit 3) before anything is written, as are two images bound
  for one name (a docker-archive's app:1 and other:1 both become tag 1 in a
  layout or repository; a dir: tree keeps them apart; pick with --tag-regex,
  which also matches an archive image's NAME:TAG).

  A tag whose digest the destination already has (compared with HEAD requests
  and index.json lookups; no manifest is read) is skipped; in an oci: layout
  or dir: tree, only when the image is whole there (its manifests read, each
  blob a file of its size), so a missing or cut blob is copied again. Blobs
  are not hashed there: lade fsck checks a layout's, and a lade copy into a
  dir: image hashes those it finds (and mends a damaged one). Whole indexes are
  copied (--all) unless --multi-arch/--platform say otherwise, or --override-*
  (as skopeo sync takes them) pick one platform. An image that
  is written changed (platforms of an index, another --format, a Docker
  manifest converted for oci:) never has the source's digest: where the
  digests differ, or the options pick platforms or a format, the source's
  manifests are read (no blob) and the image is unchanged when what would be
  written is what is there. Layers are never recompressed: uncompressed ones
  (a docker-archive's) go into a registry as they are (lade copy gzips them),
  so their images too are unchanged the next time.

  Signatures and referrers come along (see lade copy --with-referrers) when
  the destination can hold them (docker://, oci:): signature and referrer tags
  (sha256-HEX, sha256-HEX.sig/.att/.sbom) are synced like other tags, so new
  signatures of an unchanged image arrive on the next run. They go after
  the images; one written along with its image is reported copied. Where
  --tag-regex or a named tag picks images, the tags of the picked images
  come with them (those of their referrers arrive with an image copied,
  unlisted). Those of an image this sync wrote changed (--platform,
  --format: under another digest) are left out, said per tag (\"left out\")
  and counted; others, an old untagged image's say, go as any tag (--dry-run
  cannot tell what would be changed and lists them all). Referrers only the
  referrers API lists are found when their image is copied. Those of an oci:
  layout or oci-archive are entries without a name, no tags: for an image the
  destination has whose layout or archive holds referrers of it, the image is
  copied again (its blobs skipped) to bring new ones, and said copied when it
  did. A dir:
  destination cannot hold them: they are left out, said once, and
  --with-referrers with a dir: destination is refused (exit 2).
  --with-referrers=false leaves those tags and referrers out.

MANY REPOSITORIES: --src KIND --dest KIND (the form of skopeo sync)
  SOURCE and DESTINATION are named without a transport; DESTINATION is a
  prefix under which each source repository lands by its last path
  component: --src docker registry.example/team/app --dest docker
  mirror.example/ns writes mirror.example/ns/app:TAG for every tag
  (registry.example/team/app:TAG or @DIGEST: that image alone); --dest dir
  /media/usb writes /media/usb/app:TAG. --scoped keeps the whole source name
  (mirror.example/ns/registry.example/team/app, /media/usb/registry.example/
  team/app:TAG). --src dir TREE takes every dir: image under TREE (a
  directory holding manifest.json; NAME:TAG directories name the image, a
  name without a tag is :latest); --dest dir is refused for it.
  --src yaml FILE reads a file of registries:
    registry.example:
      images:                     # by repository
        app: []                   #   every tag
        redis: [\"7.2\", \"sha256:…\"] #   these tags and digests
      images-by-tag-regex:
        nginx: ^1\\.2[0-9]\\.        # tags matching (unanchored, RE2)
      images-by-semver:
        alpine: \">= 3.18, < 4\"     # tags that are versions meeting it
      credentials: {username: u, password: p}
      tls-verify: false           # default: --src-tls-verify's
      cert-dir: /etc/certs/registry.example
  The file is 4 MiB at most. cert-dir must be a directory (a missing one
  exits 3 naming the line); an empty one is none, as in skopeo. A
  repository is listed once however many of its tags the file names; a tag
  named twice is one image.
  Constraints: = != > < >= <=, ~1.2 (1.2.x), ^1.2 (1.x), 1.2.x, *, A - B, a
  space or comma for and, || for or; a pre-release (3.18.0-rc1, 3.18-alpine)
  matches only a constraint naming one. The file is read whole first: an
  unknown key, a repeated key, an alias, a second document or a bad
  regex/constraint exits 3 naming the line, before anything is listed. A
  repository that cannot be listed fails: the sync stops before copying
  (exit 3; 1 when that is the one failure and the repository is not there;
  with --keep-going it is counted failed in the summary, exit 3, and the rest
  go on, whatever their number). Each
  registry is read with its file settings over the --src-* options; its
  images are copied --jobs at once, the registries one after another. Two
  images bound for one place (repositories with one last name, a tag both
  have) are refused, before anything is copied (--scoped keeps them
  apart); one image listed twice is copied once. Differences from skopeo
  sync: whole indexes are copied (as --all; choose with
  --multi-arch/--platform), unchanged images are skipped, --dest dir
  updates an existing tree, and signature tags come along with their
  images into docker:// (a dir: tree leaves them out). What skopeo
  sync logs and passes over (a bad regex, constraint or repository name, a
  repository that cannot be listed) fails here: exit 3, or 1 for a
  repository that is not there. A repository with no tags is said and is
  no error. --append-suffix goes on the tag (a dir: image without one
  becomes NAME:latestSUFFIX).

OUTPUT
  One line per image on stderr as it ends (images go at once: in the order
  they end): copied, unchanged or left out; then a summary
  (copied, unchanged, failed, and where there are any: not tried, the images
  after a failure without --keep-going, as --dry-run goes through them all;
  left out); then the error: the failed image's own when it is the only one
  (without --keep-going), else one \"lade: failed:\" line per failed image and
  a count.
  --progress=json: the JSON events of lade copy for every image, their
  \"image\" naming the source image (images go at once, so their events
  interleave), each image's line as a message event with its \"image\" when
  it ends (image_failed {error} for a failed one), and the summary as a
  message event without one; the error lines follow as text.
  A blob several images share is written by one of them (one blob_done);
  the others wait for it or go on with other blobs, then skip it.
  Tags start in lexical order (a registry lists them in any order).
  --dry-run prints TAG<TAB>SOURCE-DIGEST for each image it would copy on stdout.
  Into a dir: tree, lines and --dry-run name each image by its directory in
  the tree instead of its tag (tiny:1, for a layout's ref tiny:1).
  With --dest, lines and --dry-run name the destination image instead of the
  tag (docker://mirror.example/ns/app:1), and each source repository with
  nothing to sync, or each YAML registry without images, is said.
  --digestfile FILE: \"DIGEST DESTINATION-IMAGE\" per image copied or unchanged,
  written as each ends (a sync stopped by a signal leaves those that ended).
  Ended by --command-timeout, a sync says its summary (\"N not finished\":
  the images under way or not started) before the error.
  A destination that cannot be opened at all (a registry that cannot be
  reached, a directory that is not a layout) ends the sync with its error
  alone, before any image; with --keep-going each image fails with it and
  is counted. A registry destination that refuses the credentials (or
  wants some and none are given) is said once, even with --keep-going: its
  images are not tried (\"N not tried; 1 destination failed
  authentication\").
  Exit status 3 when any image failed (all are tried with --keep-going);
  1 when the one failure, without --keep-going, is an image or repository
  that is not there (as lade copy says it); 2 for a source naming an image
  by digest or a destination naming a tag (each image keeps its own tag:
  use lade copy).

EXAMPLES
  lade sync docker://registry.example/app docker://mirror.example/app
  lade sync --tag-regex '^1\\.' --jobs 8 docker://registry.example/app oci:mirror
  lade sync oci:mirror docker://registry.example/app
  lade sync --with-referrers=false docker://registry.example/app oci:mirror
  lade sync docker://registry.example/app dir:/media/usb
  lade sync --src docker --dest docker registry.example/team/app mirror.example/ns
  lade sync --src yaml --dest docker --digestfile synced.txt sync.yml mirror.example
  lade sync --src docker --dest dir --scoped registry.example/app /media/usb
  lade sync --src dir --dest docker --append-suffix -usb /media/usb mirror.example";

const INSPECT_HELP: &str = "\
OUTPUT
  JSON with skopeo inspect's fields: Name (when the image name carries one),
  Digest, RepoTags, Created, DockerVersion, Labels, Architecture, Os, Layers,
  LayersData (as skopeo 1.10 and later print it; 1.9 has none), Env; and
  Variant (arm64's v8, say) where the image's platform has one, which skopeo
  leaves out. --raw prints the exact manifest bytes;
  --config the configuration as an OCI image config, as skopeo prints it
  (--raw --config: the exact config bytes). A Docker schema 1 image
  (deprecated since 2017) is shown as skopeo shows it: Tag, its top layer's
  v1Compatibility for the configuration, every fsLayers blob in Layers (the
  empty ones too, bottom first; LayersData sizes -1), Digest that of the
  payload its signatures cover; --raw gives its bytes; --config and
  --all-platforms refuse it (exit 3): it has no config.
  --all-platforms prints {Digest, MediaType, Platforms: [{Platform, Os,
  Architecture, Variant, OsVersion, Digest, MediaType, ManifestSize,
  ConfigDigest, Size, Layers, LayersData, Missing, Index}]}: one entry per image
  of an index (Size is config plus layers), or the single image's own. Every key
  is always there: Platform, Os, Architecture, Variant and OsVersion (os.version,
  which tells Windows images apart) are null where the index entry says
  nothing. The images of indexes nested in the index are listed too, where
  their index is listed (depth first), Index naming the nested index that lists
  each (null: the top index, or a single image); deeper than 8 levels is
  refused (exit 3). Entries of other media types than image manifests and
  indexes (artifact manifests) are not listed; a warning says how many. An artifact made as an
  image manifest (artifactType, an empty config) is listed. An image the
  source lacks (a docker save of one platform of many) is listed as the index
  gives it, with \"Missing\": true (false for the others) and ConfigDigest,
  Size, Layers and LayersData null; a warning says how many. A nested index
  the source lacks is listed so too (its own digest, media type and Index;
  its images unknown), the images of the rest in full. An image or nested
  index that is there but damaged is an error (exit 3).

IMAGE NAMES (TRANSPORT:DETAILS, as skopeo)
  docker://[HOST/]REPO[:TAG|@DIGEST]  oci:PATH[:REF]  oci-archive:PATH[:REF]
  docker-archive:PATH[:NAME:TAG|:@N]  dir:PATH  docker-daemon:NAME[:TAG|@DIGEST]
  For docker://, RepoTags lists every tag of the repository.

FORMAT
  -f TEMPLATE prints the template filled from the output's fields, in the
  template language of skopeo inspect --format: {{.Digest}}, {{.Labels}}
  (map[k:v]), {{index .Labels \"k\"}}, {{range .Layers}}{{.}}\\n{{end}},
  {{if …}}{{else}}{{end}}, {{with …}}, {{break}} and {{continue}} in a range,
  variables ($i, $v := …), pipes, Go's number literals (2.5, 0x1F, 'a'), and
  the functions len index slice printf (%v %s %d %q %x %X %o %O %b %t %f %e
  %E %g %G %c %U %T, with the flags - + 0 # and space, width and precision, *
  and %[n]; a list or map takes the verb, width and precision element by
  element, as in Go) print println html js
  urlquery eq ne lt le gt ge and or not json join split lower upper title
  truncate pad (split makes at most 100,000 parts; output past 64 MiB is an
  error). \\n and \\t are a newline and a tab (no table prefix and
  no column alignment); a newline ends the output. Created is a time: it prints as Go
  prints one (2024-01-02 03:04:05 +0000 UTC), json writes it as RFC 3339, and
  it has Go's time methods ({{.Created.Format \"2006-01-02\"}}, .Year, .Month,
  .Day, .Hour, .Minute, .Second, .Weekday, .YearDay, .Unix, .UTC; .Month
  and .Weekday print as names and are numbers to printf %d and eq). Values
  are Go's: a list or map the image lacks (Env, Labels) prints [] or map[] and
  is null under json; LayersData entries, and --config's Config, RootFS and
  History entries, are structs ({{.RootFS}} prints {layers [sha256:…]}).
  Config keys are read as Go reads them, ignoring case. Name and Variant are
  empty when the JSON leaves them out, and so is Tag (a field of skopeo's
  output that skopeo leaves empty too); a key a map (Labels) lacks is
  <no value> ({{index}}: empty). -f json
  (or '') is the JSON. A template that cannot be read (a variable used where
  none is declared, too) exits 2 before anything is fetched; a field that is
  not there exits 3 when the template runs, printing nothing. With
  --all-platforms, the template fills from that JSON.

EXAMPLES
  lade inspect oci:layout:app
  lade inspect -f '{{.Digest}}' docker://registry.example/app:1
  lade inspect -f '{{range .LayersData}}{{.Size}} {{.Digest}}\\n{{end}}' oci:layout:app
  lade inspect --raw docker-archive:app.tar | lade hash-object --stdin
  lade inspect --config oci:layout:app | jq .config.Env
  lade inspect --all-platforms docker://registry.example/app:1 | jq '.Platforms[].Platform'";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SrcKindArg {
    /// HOST/REPO (every tag), HOST/REPO:TAG or HOST/REPO@DIGEST
    Docker,
    /// A directory holding dir: images (NAME:TAG directories), at any depth
    Dir,
    /// A YAML file listing registries and their repositories
    Yaml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DestKindArg {
    /// HOST[/NAMESPACE] of a registry
    Docker,
    /// A directory
    Dir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// OCI image manifest
    Oci,
    /// Docker v2 schema 2
    V2s2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompressArg {
    Gzip,
    Zstd,
    None,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Source image(s), then the destination image (options may come
    /// anywhere among them)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
    /// Copy every image the source holds (multi-image archives and layouts),
    /// each under its own name
    #[arg(long)]
    pub all_images: bool,
    #[command(flatten)]
    pub multi: MultiArchArgs,
    /// Manifest format to write (oci: and oci-archive: hold Docker v2s2
    /// images when asked to) [default: the source's, if the destination
    /// takes it; into oci: and oci-archive:, OCI]
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Layer compression to write; zstd turns a Docker v2s2 image into an
    /// OCI one, unless --format v2s2 (refused) [default: keep the source's;
    /// into docker://, uncompressed layers are gzipped, as docker push and
    /// skopeo send them (not with --preserve-digests)]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub dest_compress_format: Option<CompressArg>,
    /// skopeo's: every layer in --dest-compress-format's algorithm, no blob
    /// compressed otherwise reused (what lade does with
    /// --dest-compress-format alone)
    #[arg(long, requires = "dest_compress_format")]
    pub dest_force_compress_format: bool,
    /// skopeo's: compress every layer (gzip, or --dest-compress-format's)
    #[arg(long, conflicts_with = "dest_decompress")]
    pub dest_compress: bool,
    /// skopeo's: write every layer uncompressed (--dest-compress-format none)
    #[arg(long, conflicts_with = "dest_compress_format")]
    pub dest_decompress: bool,
    /// skopeo's: layers go into oci: as they are, compressed or not (what
    /// lade does without it too)
    #[arg(long)]
    pub dest_oci_accept_uncompressed_layers: bool,
    /// Compression level (gzip 1-9, zstd 1-22; 20-22 take far more memory). Without it gzip stores
    /// incompressible blocks, gives long repeats level 3 and the rest
    /// zlib's lazy matcher with a short search (smaller output than level 6
    /// for about 1.2x level 3's CPU on the bench image); zstd uses level 3
    #[arg(long, value_name = "LEVEL")]
    pub dest_compress_level: Option<u32>,
    /// Make each layer compressed on the way (a docker-archive's or the
    /// Docker Engine's, into a registry) in a temp file first (--tmpdir),
    /// and send none the destination has by its digest
    #[arg(long)]
    pub dest_precompute_digests: bool,
    /// Fail if any manifest digest would change; a Docker v2s2 image goes
    /// into oci: or oci-archive: as it is, not converted to OCI
    #[arg(long)]
    pub preserve_digests: bool,
    /// Copy up to N blobs of an image at once, where both sides allow
    /// more than one [default (or 0): 6 to or from a registry, else one
    /// per CPU; layers gzipped out of docker-daemon: into a registry, one
    /// per CPU, at most 6]; at most 256
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=256))]
    pub image_parallel_copies: Option<usize>,
    /// Write the digest of the copied manifest to FILE (several images: a
    /// line per image, "DIGEST SOURCE")
    #[arg(long, value_name = "FILE")]
    pub digestfile: Option<PathBuf>,
    /// Also copy the image's signatures and referrers (cosign's
    /// sha256-HEX.sig/.att/.sbom tags, OCI 1.1 referrers) to a docker://, oci: or oci-archive: destination
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub with_referrers: Option<bool>,
    /// skopeo's: copy no signatures (nor referrers): --with-referrers=false
    #[arg(long)]
    pub remove_signatures: bool,
    /// Another name for the image in a docker-archive or docker-daemon: destination (repeatable)
    #[arg(long, value_name = "NAME:TAG", value_parser = tagged_name)]
    pub additional_tag: Vec<String>,
    /// Docker Engine of a docker-daemon: source [default: $DOCKER_HOST, else unix:///var/run/docker.sock]
    #[arg(long, value_name = "HOST")]
    pub src_daemon_host: Option<String>,
    /// Docker Engine of a docker-daemon: destination [default: $DOCKER_HOST, else unix:///var/run/docker.sock]
    #[arg(long, value_name = "HOST")]
    pub dest_daemon_host: Option<String>,
    /// An oci: source's blobs are in DIR (DIR/ALG/HEX), which layouts
    /// share, not in its blobs/
    #[arg(long, value_name = "DIR")]
    pub src_shared_blob_dir: Option<PathBuf>,
    /// An oci: destination's blobs go into DIR (DIR/ALG/HEX, made when
    /// missing), which layouts share, not into its blobs/
    #[arg(long, value_name = "DIR")]
    pub dest_shared_blob_dir: Option<PathBuf>,
    /// Print nothing but warnings and errors (--progress=json, if given, still writes its events)
    #[arg(short, long)]
    pub quiet: bool,
    /// Progress on stderr: bars or lines (auto), lines (lines, or plain as BuildKit calls them), JSON lines (json), or none (none: as -q)
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub progress: ProgressArg,
    #[command(flatten)]
    pub registry: CopyRegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressArg {
    Auto,
    Lines,
    Json,
    /// BuildKit's name for lines.
    Plain,
    /// BuildKit's name for no progress: -q.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MultiArchArg {
    /// The image for this machine (or the one --override-* name)
    System,
    /// The whole index and every image in it
    All,
    /// The index alone; its images must be at the destination already (a registry or oci: layout)
    IndexOnly,
}

/// What to copy from a multi-platform index.
#[derive(Debug, Args)]
pub struct MultiArchArgs {
    /// For a multi-platform index: copy the index and every image, keeping its digest unless something is converted (a Docker list into oci: or oci-archive:, kept as it is with --preserve-digests; copy gzips uncompressed layers for a registry unless --preserve-digests, sync never does)
    #[arg(short = 'a', long, conflicts_with_all = ["multi_arch", "platforms"])]
    pub all: bool,
    /// For a multi-platform index: what to copy [default: system for copy,
    /// all for sync (system with --override-*)]
    #[arg(long, value_enum, value_name = "WHAT", conflicts_with = "platforms")]
    pub multi_arch: Option<MultiArchArg>,
    /// For a multi-platform index: copy these platforms under a new index (repeatable); a single image must be for one of them
    #[arg(long = "platform", value_name = "OS/ARCH[/VARIANT]")]
    pub platforms: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Where the images are: docker://HOST/REPO, oci:PATH, an archive.
    /// A name that picks one image (REPO:TAG, oci:PATH:REF,
    /// oci-archive:PATH:REF, docker-archive:PATH:NAME:TAG or :@N) syncs
    /// that image alone; by digest is refused (copy takes it).
    /// With --src: HOST/REPO[:TAG|@DIGEST], a directory of dir: images,
    /// or a YAML file
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Where they go: docker://HOST/REPO, oci:PATH, or dir:TREE (one
    /// image directory per tag). With --dest: HOST[/NAMESPACE] or a
    /// directory, each source repository landing under it
    #[arg(value_name = "DESTINATION")]
    pub destination: String,
    /// SOURCE is named without a transport, and may list many repositories:
    /// docker (HOST/REPO: every tag; or one image), dir (a directory of dir:
    /// images, at any depth) or yaml (a file of registries and repositories)
    #[arg(
        short = 's',
        long = "src",
        value_enum,
        value_name = "KIND",
        requires = "dest_kind"
    )]
    pub src_kind: Option<SrcKindArg>,
    /// DESTINATION is a prefix: docker (HOST[/NAMESPACE]: each repository
    /// lands as HOST/NAMESPACE/NAME, NAME the source's last path
    /// component) or dir (a directory: each image as DIR/NAME:TAG)
    #[arg(
        short = 'd',
        long = "dest",
        value_enum,
        value_name = "KIND",
        requires = "src_kind"
    )]
    pub dest_kind: Option<DestKindArg>,
    /// With --dest: name each repository at the destination by its whole
    /// source name, registry included (HOST/NAMESPACE/SRCHOST/PATH/NAME),
    /// so that repositories of one name from different places stay apart
    #[arg(long, requires = "dest_kind")]
    pub scoped: bool,
    /// Add SUFFIX to every destination tag (1.36 → 1.36SUFFIX); signature
    /// and referrer tags keep their names
    #[arg(long, value_name = "SUFFIX", allow_hyphen_values = true)]
    pub append_suffix: Option<String>,
    /// Write a line "DIGEST DESTINATION-IMAGE" for every image copied or
    /// found unchanged to FILE (replaced; not with --dry-run)
    #[arg(long, value_name = "FILE")]
    pub digestfile: Option<PathBuf>,
    /// Only images whose tag (or, in an archive or a dir: tree, NAME:TAG) matches this regular expression (unanchored; Go's RE2 syntax, as skopeo's: \Q…\E, and a { that begins no repetition is literal); images a sync file names by digest are taken
    #[arg(long, value_name = "REGEX")]
    pub tag_regex: Option<String>,
    /// Images copied at once (each copies up to 6 blobs at once to or from
    /// a registry; a blob several of them share is copied once, the others
    /// going on with their other blobs meanwhile; an image left with
    /// nothing but waiting for such a blob stands aside and the next image
    /// starts, up to 4×N under way); at most 256
    #[arg(short, long, value_name = "N", default_value_t = 8,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub jobs: usize,
    /// Show what would be copied; copy nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Go on after a failed image; report every failure at the end
    #[arg(short, long)]
    pub keep_going: bool,
    /// Copy each image's signatures and referrers (cosign's sha256-HEX.sig/.att/.sbom
    /// tags, OCI 1.1 referrers) where the destination can hold them [default: true]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub with_referrers: Option<bool>,
    /// skopeo's: copy no signatures (nor referrers): --with-referrers=false
    #[arg(long)]
    pub remove_signatures: bool,
    #[command(flatten)]
    pub multi: MultiArchArgs,
    /// Manifest format to write (oci: and oci-archive: hold Docker v2s2
    /// images when asked to) [default: the source's, if the destination
    /// takes it; into oci: and oci-archive:, OCI]
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Fail an image whose manifest digest would change (a --format or
    /// --platform that rewrites it; sync never recompresses); Docker v2s2
    /// images go into oci: as they are, not converted to OCI
    #[arg(long)]
    pub preserve_digests: bool,
    /// Copy up to N blobs of an image at once, where both sides allow
    /// more than one [default (or 0): 6 to or from a registry, else one
    /// per CPU]; at most 256
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=256))]
    pub image_parallel_copies: Option<usize>,
    /// Print nothing but warnings and errors (--progress=json, if given, still writes its events)
    #[arg(short, long)]
    pub quiet: bool,
    /// Progress on stderr: lines (auto, lines, or plain as BuildKit calls them), JSON lines (json), or none (none: as -q)
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub progress: ProgressArg,
    #[command(flatten)]
    pub registry: CopyRegistryArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The image, TRANSPORT:DETAILS
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Print the exact manifest (or index) bytes (with --config: the
    /// config's)
    #[arg(long)]
    pub raw: bool,
    /// Print the image's configuration, as an OCI image config (Docker-only
    /// fields left out, as skopeo prints it); with --raw, the exact config
    /// bytes; with --format, TEMPLATE over its fields ({{.Architecture}},
    /// {{.OS}}, {{.Config.Env}}, {{.RootFS.DiffIDs}}, {{.History}}, …)
    #[arg(long)]
    pub config: bool,
    /// Docker Engine of a docker-daemon: image [default: $DOCKER_HOST, else unix:///var/run/docker.sock]
    #[arg(long, value_name = "HOST")]
    pub daemon_host: Option<String>,
    /// An oci: image's blobs are in DIR (DIR/ALG/HEX), which layouts
    /// share, not in its blobs/
    #[arg(long, value_name = "DIR")]
    pub shared_blob_dir: Option<PathBuf>,
    /// For a multi-platform index: every platform's manifest digest, config
    /// digest, size and layers, as one JSON object
    #[arg(long, conflicts_with_all = ["raw", "config"])]
    pub all_platforms: bool,
    /// Print TEMPLATE filled from the output instead of the JSON
    /// ('{{.Digest}}', '{{range .Layers}}{{.}}\n{{end}}'; json: the JSON)
    #[arg(short = 'f', long, value_name = "TEMPLATE", conflicts_with = "raw")]
    pub format: Option<String>,
    /// docker://: leave RepoTags empty instead of listing the repository's
    /// tags (one request per page of a long list)
    #[arg(short = 'n', long)]
    pub no_tags: bool,
    /// The algorithm of the Digest shown, hashing the manifest (or index)
    /// bytes, as skopeo's (experimental) option [default: the manifest's
    /// own digest's: sha256]
    #[arg(long, value_enum, value_name = "ALGORITHM", conflicts_with_all = ["raw", "config", "all_platforms"])]
    pub manifest_digest: Option<DigestAlgorithm>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Target format
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: ConvertTo,
    /// Also point this ref at the converted image
    #[arg(long, value_name = "NEW-REF")]
    pub tag: Option<String>,
    /// A store ref: NAME[:TAG] or sha256:HEX
    #[arg(value_name = "REF")]
    pub reference: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DigestAlgorithm {
    Sha256,
    Sha512,
}

impl From<DigestAlgorithm> for crate::model::Algorithm {
    fn from(a: DigestAlgorithm) -> Self {
        match a {
            DigestAlgorithm::Sha256 => crate::model::Algorithm::Sha256,
            DigestAlgorithm::Sha512 => crate::model::Algorithm::Sha512,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConvertTo {
    Oci,
    Docker,
}

#[derive(Debug, Args)]
pub struct HashObjectArgs {
    /// Also write the objects into the store
    #[arg(short = 'w')]
    pub write: bool,
    /// Check that each input is a valid object of this media type (a
    /// manifest, index or config parsed; a layer read to its end: its
    /// compression as the type says, every tar header and entry whole;
    /// the OCI empty type's content {}); an invalid one is not stored.
    /// Other types are refused (exit 2)
    #[arg(short = 't', value_name = "MEDIATYPE")]
    pub media_type: Option<String>,
    /// Read the object from standard input
    #[arg(long, conflicts_with_all = ["stdin_paths", "files"])]
    pub stdin: bool,
    /// Read file paths from standard input, one per line (NUL with -z); one output line each, "PATH missing" for a path that is not there (an empty line too)
    #[arg(long, conflicts_with = "files")]
    pub stdin_paths: bool,
    /// NUL-terminated input paths and output lines
    #[arg(short = 'z')]
    pub null: bool,
    /// Files to hash (- for standard input; a pipe as <(…) is read too)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CatBlobArgs {
    /// Print nothing; exit 0 if the blob exists, 1 if not (its content is not checked: fsck does)
    #[arg(short = 'e')]
    pub exists: bool,
    /// The blob's digest
    #[arg(value_name = "DIGEST")]
    pub digest: String,
}

#[derive(Debug, Args)]
pub struct CatArgs {
    /// Print nothing; exit 0 if the object exists, 1 if not (a digest naming a blob that is no manifest too; 3, with the error, when the store is damaged: a blob the ref names missing or corrupt)
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
    /// The ref name to create or move (not a digest, nor TRANSPORT:…, which unpack would read as an image name)
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
    /// Also decompress every layer and check it against its config's diff_id
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Show what would be removed without removing it
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Keep unreachable blobs written, linked or reused within DURATION
    /// (seconds, or 90s, 10m, 1h30m as --command-timeout takes)
    #[arg(long, value_name = "DURATION", default_value = "3600", value_parser = grace)]
    pub grace: Timeout,
}

#[derive(Debug, Args)]
pub struct DuArgs {
    /// Refs (or digests) to show; all entries when none is given
    #[arg(value_name = "REF")]
    pub refs: Vec<String>,
    /// Print the store's totals instead of a line per entry
    #[arg(short = 's', long, conflicts_with = "refs")]
    pub summarize: bool,
    /// Sizes for people (4B, 1.5kB, 812.4MB) instead of bytes
    #[arg(short = 'H', long)]
    pub human_readable: bool,
    /// End lines with NUL instead of newline
    #[arg(short = 'z')]
    pub null: bool,
}

#[derive(Debug, Args)]
pub struct ManifestDigestArgs {
    /// The manifest file (- for standard input; a pipe as <(…) or a FIFO is read too)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// A name with a tag (no digest), as `--additional-tag` takes (skopeo
/// refuses one without a tag too).
fn tagged_name(s: &str) -> std::result::Result<String, String> {
    let r = crate::model::DockerRef::parse(s).map_err(|e| e.to_string())?;
    match (&r.tag, &r.digest) {
        (Some(_), None) => Ok(s.to_string()),
        _ => Err(format!("{s:?} is not NAME:TAG (a tag, and no digest)")),
    }
}

/// A user name for basic auth: not empty, no ':' (it separates the
/// password).
fn username(s: &str) -> std::result::Result<String, String> {
    if s.is_empty() || s.contains(':') {
        Err("a user name is not empty and holds no ':'".into())
    } else {
        Ok(s.to_string())
    }
}

/// docker:// access for one registry (inspect, list-tags, delete).
#[derive(Debug, Args, Clone, Default)]
pub struct RegistryArgs {
    /// docker://: credentials USERNAME[:PASSWORD]
    #[arg(long, value_name = "USER[:PASS]")]
    pub creds: Option<String>,
    /// docker://: user name, with --password (as --creds USER:PASS)
    #[arg(
        long,
        value_name = "USER",
        requires = "password",
        conflicts_with = "creds",
        value_parser = username
    )]
    pub username: Option<String>,
    /// docker://: password, with --username
    #[arg(
        long,
        value_name = "PASS",
        requires = "username",
        conflicts_with = "creds"
    )]
    pub password: Option<String>,
    /// docker://: no credentials at all (anonymous), whatever the auth files hold
    #[arg(long, conflicts_with_all = ["creds", "username", "password", "registry_token"])]
    pub no_creds: bool,
    /// docker://: a bearer token sent as is where the registry asks for one (its token service is not asked); a registry asking for Basic authentication gets the credentials all the same
    #[arg(long, value_name = "TOKEN")]
    pub registry_token: Option<String>,
    /// docker://: read credentials from FILE only (missing: none) [default: $REGISTRY_AUTH_FILE
    /// alone when set, else $XDG_RUNTIME_DIR/containers/auth.json (without it
    /// /run/containers/UID/auth.json), ~/.config/containers/auth.json, ~/.docker/config.json, ~/.dockercfg]
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// docker://: verify TLS [default: true]; false also allows plain HTTP
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// docker://: trusted CAs or self-signed certificates (*.crt) and client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// docker://: retries after 5xx, 429 and connection errors (a manifest cut short is
    /// asked for again; a blob whose resume the registry refuses is read again whole); a 429
    /// is waited out up to 5 times whatever N is. Each registries.conf mirror tried gets N
    /// retries of its own, and so does the location after it
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retry_times: u32,
    /// docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]
    #[arg(long, value_name = "DURATION", value_parser = go_duration)]
    pub retry_delay: Option<std::time::Duration>,
}

/// docker:// access for copy's source and destination.
#[derive(Debug, Args, Clone, Default)]
pub struct CopyRegistryArgs {
    /// docker:// source: credentials USERNAME[:PASSWORD]
    #[arg(long, value_name = "USER[:PASS]")]
    pub src_creds: Option<String>,
    /// docker:// destination: credentials USERNAME[:PASSWORD]
    #[arg(long, value_name = "USER[:PASS]")]
    pub dest_creds: Option<String>,
    /// docker:// source: a bearer token sent as is where the registry asks for one (its token service is not asked); a registry asking for Basic authentication gets the credentials all the same
    #[arg(long, value_name = "TOKEN")]
    pub src_registry_token: Option<String>,
    /// docker:// destination: a bearer token sent as is where the registry asks for one (its token service is not asked); a registry asking for Basic authentication gets the credentials all the same
    #[arg(long, value_name = "TOKEN")]
    pub dest_registry_token: Option<String>,
    /// docker:// source: user name, with --src-password (as --src-creds USER:PASS)
    #[arg(
        long,
        value_name = "USER",
        requires = "src_password",
        conflicts_with = "src_creds",
        value_parser = username
    )]
    pub src_username: Option<String>,
    /// docker:// source: password, with --src-username
    #[arg(
        long,
        value_name = "PASS",
        requires = "src_username",
        conflicts_with = "src_creds"
    )]
    pub src_password: Option<String>,
    /// docker:// destination: user name, with --dest-password (as --dest-creds USER:PASS)
    #[arg(
        long,
        value_name = "USER",
        requires = "dest_password",
        conflicts_with = "dest_creds",
        value_parser = username
    )]
    pub dest_username: Option<String>,
    /// docker:// destination: password, with --dest-username
    #[arg(
        long,
        value_name = "PASS",
        requires = "dest_username",
        conflicts_with = "dest_creds"
    )]
    pub dest_password: Option<String>,
    /// docker:// source: no credentials (anonymous), whatever the auth files hold
    #[arg(long, conflicts_with_all = ["src_creds", "src_username", "src_password", "src_registry_token"])]
    pub src_no_creds: bool,
    /// docker:// destination: no credentials (anonymous), whatever the auth files hold
    #[arg(long, conflicts_with_all = ["dest_creds", "dest_username", "dest_password", "dest_registry_token"])]
    pub dest_no_creds: bool,
    /// docker://: read credentials from FILE only (both sides)
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// docker:// source: read credentials from FILE only [default: --authfile]
    #[arg(long, value_name = "FILE")]
    pub src_authfile: Option<PathBuf>,
    /// docker:// destination: read credentials from FILE only [default: --authfile]
    #[arg(long, value_name = "FILE")]
    pub dest_authfile: Option<PathBuf>,
    /// docker:// source: verify TLS [default: true]; false also allows plain HTTP
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub src_tls_verify: Option<bool>,
    /// docker:// destination: verify TLS [default: true]; false also allows plain HTTP
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub dest_tls_verify: Option<bool>,
    /// docker:// source: certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]
    #[arg(long, value_name = "DIR")]
    pub src_cert_dir: Option<PathBuf>,
    /// docker:// destination: certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]
    #[arg(long, value_name = "DIR")]
    pub dest_cert_dir: Option<PathBuf>,
    /// docker://: retries after 5xx, 429 and connection errors (a manifest cut short is
    /// asked for again; a blob whose resume the registry refuses is read again whole); a 429
    /// is waited out up to 5 times whatever N is. Each registries.conf mirror tried gets N
    /// retries of its own, and so does the location after it
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retry_times: u32,
    /// docker://: wait this long before each retry (Go durations: 2s, 500ms, 1m30s) [default, and with 0: 0.5 s, then twice as long each time, at most 30 s]
    #[arg(long, value_name = "DURATION", value_parser = go_duration)]
    pub retry_delay: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct ListTagsArgs {
    /// The repository, docker://[HOST/]REPO; or docker-archive:PATH, whose
    /// images' tags are listed (@N for an untagged one)
    #[arg(value_name = "REPOSITORY")]
    pub image: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The image, docker://[HOST/]REPO[:TAG|@DIGEST], oci:PATH:REF or
    /// docker-daemon:NAME[:TAG|@DIGEST]|sha256:ID (other transports cannot
    /// delete: exit 3; an image the registry, layout or daemon does not
    /// have: exit 1; a PATH that is no layout: exit 3)
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Docker Engine of a docker-daemon: image [default: $DOCKER_HOST, else unix:///var/run/docker.sock]
    #[arg(long, value_name = "HOST")]
    pub daemon_host: Option<String>,
    /// An oci: image's blobs are in DIR (DIR/ALG/HEX), which layouts
    /// share (delete removes the ref; the blobs stay, there as in blobs/)
    #[arg(long, value_name = "DIR")]
    pub shared_blob_dir: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The registry, HOST[:PORT]; HOST[:PORT]/NAMESPACE stores the
    /// credentials for the repositories under NAMESPACE alone
    #[arg(value_name = "REGISTRY")]
    pub registry: String,
    /// User name [default: prompt, offering the stored one]. Without
    /// --username and a password, credentials stored for REGISTRY that
    /// it takes are kept (`Already logged in`, exit 0), as skopeo keeps them
    #[arg(short, long, value_name = "USER")]
    pub username: Option<String>,
    /// Password (visible to other users of this machine; prefer --password-stdin)
    #[arg(
        short,
        long,
        value_name = "PASSWORD",
        conflicts_with = "password_stdin"
    )]
    pub password: Option<String>,
    /// Read the password from standard input (with --username)
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// The auth file to write [default: $REGISTRY_AUTH_FILE, else
    /// $DOCKER_CONFIG/config.json, else $XDG_RUNTIME_DIR/containers/auth.json]
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Write the credentials into FILE alone, in Docker's config.json form
    /// (keyed by registry, docker.io as Docker keys it; no namespace),
    /// keeping what else it holds; --get-login reads FILE alone
    #[arg(long, value_name = "FILE", conflicts_with = "authfile")]
    pub compat_auth_file: Option<PathBuf>,
    /// Verify TLS [default: true]; false also allows plain HTTP
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Certificate directory: trusted CAs or self-signed certificates (*.crt), client certificate (NAME.cert, NAME.key) [default: ~/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST]
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Print the user name stored for REGISTRY (auth files, credential
    /// helpers) and log in to nothing; none stored: exit 1
    #[arg(long, conflicts_with_all = ["username", "password", "password_stdin"])]
    pub get_login: bool,
    /// Also say where the credentials were stored (`Used:  FILE`, or the
    /// credential helper), on stdout before `Login Succeeded!`, as skopeo
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The registry, HOST[:PORT], or HOST[:PORT]/NAMESPACE for that key
    /// alone (not logged in to it: exit 1)
    #[arg(value_name = "REGISTRY", required_unless_present = "all")]
    pub registry: Option<String>,
    /// Remove the credentials of every registry (none stored is fine):
    /// the auth file's own, those its credHelpers keep for the registries
    /// they are named for, and every registry its credsStore helper lists
    /// (`docker-credential-NAME list`, then erase of each)
    #[arg(short, long, conflicts_with = "registry")]
    pub all: bool,
    /// The auth file to edit [default: as lade login's]
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Remove the credentials from FILE alone, a Docker config.json (see
    /// lade login --compat-auth-file)
    #[arg(long, value_name = "FILE", conflicts_with = "authfile")]
    pub compat_auth_file: Option<PathBuf>,
    /// Taken for skopeo's command lines, and unused: logout asks no
    /// registry
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub tls_verify: Option<bool>,
}

#[derive(Debug, Args)]
pub struct UnpackLayerArgs {
    /// Don't set owners (files belong to the caller); skip device nodes
    #[arg(long)]
    pub rootless: bool,
    /// The layer: a file, - for standard input, or a blob digest in the store
    #[arg(value_name = "LAYER")]
    pub layer: String,
    /// The directory to apply it to (created if missing, and then removed again if the layer fails)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct UnpackArgs {
    /// Write an OCI runtime bundle: DIR/rootfs and DIR/config.json
    #[arg(long)]
    pub bundle: bool,
    /// Don't set owners (files belong to the caller); skip device nodes
    #[arg(long)]
    pub rootless: bool,
    /// For an index, the platform to unpack (OS/ARCH[/VARIANT]); a single image for another platform is refused (exit 1), as copy --platform refuses it; with --override-* instead, a single image is unpacked whatever its platform, as skopeo does [default: this machine's]
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Print nothing but errors and warnings
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The image: TRANSPORT:DETAILS or a store ref
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// The directory to unpack into
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// A duration as Go's time.ParseDuration reads it (`--retry-delay`,
/// `--command-timeout`): numbers, with fractions, and units `ns`, `us`
/// (`µs`), `ms`, `s`, `m`, `h`, as in `1m30s` or `1.5s`; `0`. The
/// arithmetic is Go's, to the nanosecond (a fraction is scaled in floating
/// point as Go does). Negative durations are refused (`-0` is 0).
/// A command's own option given before the command's name (skopeo
/// takes `--tls-verify` there, deprecated): what to say instead of
/// clap's "unexpected argument". `args` without the program's name.
pub fn misplaced_option(args: &[std::ffi::OsString]) -> Option<String> {
    use clap::CommandFactory;
    let top = Cli::command();
    // The command's name: the first command's name that is no global
    // option's value (`--tmpdir inspect copy …` is a copy).
    let mut at = None;
    let mut words = args.iter().enumerate();
    while let Some((i, a)) = words.next() {
        let a = a.to_str()?;
        match a.strip_prefix("--") {
            Some(long) if !long.contains('=') => {
                let takes = top
                    .get_arguments()
                    .any(|x| x.get_long() == Some(long) && x.get_action().takes_values());
                if takes {
                    words.next();
                }
            }
            Some(_) => {}
            None if a.starts_with('-') => {}
            // (another word: the value of an option given before the
            // command's name, `--cert-dir DIR`, say)
            None if top.find_subcommand(a).is_some() => {
                at = Some(i);
                break;
            }
            None => {}
        }
    }
    let at = at?;
    let sub = top.find_subcommand(args[at].to_str()?)?;
    args[..at].iter().find_map(|a| {
        let long = a.to_str()?.strip_prefix("--")?.split('=').next()?;
        let has = |c: &clap::Command, l: &str| c.get_arguments().any(|x| x.get_long() == Some(l));
        if has(&top, long) {
            return None;
        }
        let name = sub.get_name();
        let say = |what: String| format!("error: {what}\n\nFor more information, try '--help'.\n");
        if has(sub, long) {
            return Some(say(format!(
                "--{long} is an option of 'lade {name}': give it after the command's name \
                 (lade {name} --{long} …)"
            )));
        }
        // copy and sync take registry options per side (skopeo's global
        // --tls-verify, given before copy, stood for both).
        let (src, dest) = (format!("src-{long}"), format!("dest-{long}"));
        (has(sub, &src) && has(sub, &dest)).then(|| {
            say(format!(
                "'lade {name}' takes --{src} and --{dest}, after the command's name \
                 (not --{long} before it)"
            ))
        })
    })
}

pub fn go_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let bad = || format!("{s:?} is not a duration (e.g. 2s, 500ms, 1m30s)");
    let too_long = || format!("{s:?} is longer than a duration can be");
    const LIMIT: u64 = 1 << 63;
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(bad());
        }
        // The whole part, refused past 2^63.
        let n = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let mut v: u64 = 0;
        for c in rest[..n].bytes() {
            if v > LIMIT / 10 {
                return Err(too_long());
            }
            v = v * 10 + u64::from(c - b'0');
            if v > LIMIT {
                return Err(too_long());
            }
        }
        let pre = n > 0;
        rest = &rest[n..];
        // The fraction: its digits while they fit, and their scale.
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            let mut overflow = false;
            for c in r[..n].bytes() {
                if overflow {
                    continue;
                }
                if f > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = n > 0;
            rest = &r[n..];
        }
        if !pre && !post {
            return Err(bad());
        }
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit: u64 = match &rest[..u] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        if v > LIMIT / unit {
            return Err(too_long());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(too_long());
            }
        }
        total = match total.checked_add(v) {
            Some(t) if t <= LIMIT => t,
            _ => return Err(too_long()),
        };
    }
    if neg && total > 0 {
        return Err(format!("{s:?} is negative"));
    }
    if total > LIMIT - 1 {
        return Err(too_long());
    }
    Ok(std::time::Duration::from_nanos(total))
}

#[cfg(test)]
mod tests {
    use super::go_duration;
    use std::time::Duration;

    #[test]
    fn go_durations() {
        // Go's own table (time_test.go), the positive cases.
        const MIN: u64 = 60_000_000_000;
        for (s, ns) in [
            ("0", 0),
            ("5s", 5_000_000_000),
            ("30s", 30_000_000_000),
            ("1478s", 1_478_000_000_000),
            ("+5s", 5_000_000_000),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5_000_000_000),
            ("5.6s", 5_600_000_000),
            ("5.s", 5_000_000_000),
            (".5s", 500_000_000),
            ("1.0s", 1_000_000_000),
            ("1.00s", 1_000_000_000),
            ("1.004s", 1_004_000_000),
            ("1.0040s", 1_004_000_000),
            ("100.00100s", 100_001_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14_000_000_000),
            ("15m", 15 * MIN),
            ("16h", 16 * 60 * MIN),
            ("3h30m", 210 * MIN),
            ("10.5s4m", 4 * MIN + 10_500_000_000),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("39h9m14.425s", 140_954_425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * MIN),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX as u64),
            ("9223372036854775.807us", i64::MAX as u64),
            ("9223372036s854ms775us807ns", i64::MAX as u64),
            ("0.100000000000000000000h", 6 * MIN),
            ("0.830103483285477580700h", 49 * MIN + 48_372_539_827),
            ("2562047h47m16.854775807s", i64::MAX as u64),
            ("007s", 7_000_000_000),
            ("-0s", 0),
            ("-0.0h", 0),
        ] {
            assert_eq!(go_duration(s), Ok(Duration::from_nanos(ns)), "{s}");
        }
        for bad in [
            "2562047h47m16.854775808s",
            "9223372036854775808ns",
            "99999999999999999999999s",
            ".s",
            ".",
            "",
            "5",
            "s",
            "1x",
            "1.2.3s",
            "-1s",
            "-2m3.4s",
            "1s ",
            "2562048h",
            "999999999h",
            "3000000h",
            "9223372036854775808ns9223372036854775808ns",
            "+",
            "-",
        ] {
            assert!(go_duration(bad).is_err(), "{bad}");
        }
    }
}
