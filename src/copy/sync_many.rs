//! `lade sync --src docker|dir|yaml --dest docker|dir SOURCE DESTINATION`:
//! the form mirroring scripts already use, where the DESTINATION is a
//! prefix (a registry, a namespace, a directory) under which each source
//! repository lands by its last path component (`--scoped`: by its
//! whole name, registry included), and SOURCE may list many
//! repositories on many registries (a YAML file, see
//! [`super::sync_yaml`]) or be a tree of `dir:` images.
//!
//! Everything is listed first, then checked (two images bound for one
//! place are refused before anything is written), then copied one
//! source registry after another, each with its own settings, the
//! images of each `jobs` at once by [`super::sync::run`]. A repository's
//! tags are listed at most once in a run, however many of its tags the
//! file names.

use std::path::{Path, PathBuf};

use regex::Regex;

use super::referrers::ReferrerMode;
use super::semver::Constraint;
use super::sync::{one_per_target, plan, suffixed, Item, Listings, SyncOptions, TagListing, Work};
use super::sync_yaml::{self, Ref, RegistryEntry};
use crate::error::{Error, Result};
use crate::model::DockerRef;
use crate::transport::{self, ImageReference};

/// What SOURCE is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrcKind {
    /// `HOST/REPO` (every tag), `HOST/REPO:TAG` or `HOST/REPO@DIGEST`.
    Docker,
    /// A directory of `dir:` images (any depth), or one image.
    Dir,
    /// A YAML file of registries and repositories.
    Yaml,
}

/// What DESTINATION is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestKind {
    /// `HOST[/NAMESPACE]`: each repository lands under it.
    Docker,
    /// A directory: each image in a directory of its own, `NAME:TAG`.
    Dir,
}

/// How destination names are made.
#[derive(Debug, Clone, Default)]
pub struct Naming {
    /// Keep the source's whole name (registry and path) under the
    /// destination, not only its last component.
    pub scoped: bool,
    /// Added to every destination tag (not to signature tags).
    pub suffix: String,
}

/// Which images of a repository.
#[derive(Debug, Clone)]
enum Pick {
    All,
    Refs(Vec<Ref>),
    Regex(Regex),
    Semver(Constraint),
}

#[derive(Debug, Clone)]
enum Repo {
    /// A registry repository (`r` holds no tag).
    Registry { r: DockerRef, pick: Pick },
    /// A `dir:` image and its path under the SOURCE directory ("" when
    /// SOURCE is the image).
    Dir { path: PathBuf, rel: String },
}

/// One pass: the repositories of one source registry (or the source
/// given), read with that registry's settings.
#[derive(Debug, Clone)]
pub struct Source {
    entry: Option<RegistryEntry>,
    repos: Vec<Repo>,
}

/// A pass planned: its options, the images to copy, the repositories
/// that could not be listed (as failed items), what had nothing to sync,
/// and the destination repositories (to learn their tags).
pub struct Planned {
    pub opts: SyncOptions,
    pub work: Vec<Work>,
    pub failed: Vec<Item>,
    pub notes: Vec<String>,
    pub dests: Vec<Box<dyn ImageReference>>,
}

/// Read SOURCE: the file of `--src yaml` is read and checked whole.
pub fn sources(kind: SrcKind, source: &str) -> Result<Vec<Source>> {
    match kind {
        SrcKind::Docker => {
            let name = source.strip_prefix("docker://").unwrap_or(source);
            let r = DockerRef::parse(name)?;
            crate::transport::registry::tag_or_digest(&r)?;
            let pick = match (&r.tag, &r.digest) {
                (_, Some(d)) => Pick::Refs(vec![Ref::Digest(d.clone())]),
                (Some(t), None) => Pick::Refs(vec![Ref::Tag(t.clone())]),
                (None, None) => Pick::All,
            };
            let r = DockerRef {
                tag: None,
                digest: None,
                ..r
            };
            Ok(vec![Source {
                entry: None,
                repos: vec![Repo::Registry { r, pick }],
            }])
        }
        SrcKind::Dir => {
            let root = Path::new(source.strip_prefix("dir:").unwrap_or(source));
            let mut repos = Vec::new();
            dir_images(root, root, 0, &mut repos)?;
            if repos.is_empty() {
                return Err(Error::new(format!(
                    "{}: no dir: images in it (directories holding a manifest.json)",
                    root.display()
                )));
            }
            Ok(vec![Source { entry: None, repos }])
        }
        SrcKind::Yaml => sync_yaml::read(Path::new(source))?
            .into_iter()
            .map(|e| {
                let mut repos = Vec::new();
                // (sync_yaml checked each name is a repository's.)
                let repo = |name: &str| DockerRef::parse(&format!("{}/{name}", e.registry));
                for (name, refs) in &e.images {
                    let pick = if refs.is_empty() {
                        Pick::All
                    } else {
                        Pick::Refs(refs.clone())
                    };
                    repos.push(Repo::Registry {
                        r: repo(name)?,
                        pick,
                    });
                }
                for (name, re) in &e.by_tag_regex {
                    let pick = Pick::Regex(re.clone());
                    repos.push(Repo::Registry {
                        r: repo(name)?,
                        pick,
                    });
                }
                for (name, c) in &e.by_semver {
                    let pick = Pick::Semver(c.clone());
                    repos.push(Repo::Registry {
                        r: repo(name)?,
                        pick,
                    });
                }
                Ok(Source {
                    entry: Some(e),
                    repos,
                })
            })
            .collect(),
    }
}

/// Deepest directory looked into for images.
const MAX_DEPTH: usize = 32;

/// The `dir:` images under `dir`, in name order; an image's own
/// subdirectories are not looked into, nor are symbolic links followed.
fn dir_images(root: &Path, dir: &Path, depth: usize, out: &mut Vec<Repo>) -> Result<()> {
    let io = |e: std::io::Error| {
        Error::new(format!(
            "{}: {}",
            dir.display(),
            crate::error::io_message(&e)
        ))
    };
    if dir.join("manifest.json").is_file() {
        let rel = dir
            .strip_prefix(root)
            .unwrap_or(dir)
            .to_string_lossy()
            .into_owned();
        out.push(Repo::Dir {
            path: dir.to_path_buf(),
            rel,
        });
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subs.sort();
    for s in subs {
        dir_images(root, &s, depth + 1, out)?;
    }
    Ok(())
}

/// `base/rest`, without doubled slashes.
fn join(base: &str, rest: &str) -> String {
    let base = base.trim_end_matches('/');
    let rest = rest.trim_start_matches('/');
    match (base.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}/{rest}"),
    }
}

/// The last path component.
fn base(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

/// List every source and plan its images.
pub fn plan_all(
    sources: Vec<Source>,
    dest_kind: DestKind,
    dest: &str,
    naming: &Naming,
    opts: &SyncOptions,
) -> Result<Vec<Planned>> {
    let dest = match dest_kind {
        DestKind::Docker => dest.strip_prefix("docker://").unwrap_or(dest),
        DestKind::Dir => dest.strip_prefix("dir:").unwrap_or(dest),
    };
    if dest.trim_end_matches('/').is_empty() {
        return Err(Error::usage("DESTINATION is empty"));
    }
    if dest_kind == DestKind::Dir && opts.copy.referrers == ReferrerMode::Required {
        return Err(Error::usage(
            "--with-referrers: a dir: tree cannot hold signatures or referrers (sync into \
             docker://, or leave the option out)",
        ));
    }
    let listings = Listings::default();
    let mut planned: Vec<Planned> = sources
        .into_iter()
        .map(|s| plan_source(s, dest_kind, dest, naming, opts, &listings))
        .collect::<Result<_>>()?;
    one_per_target(
        planned.iter_mut().map(|p| &mut p.work),
        "--scoped keeps them apart",
    )?;
    Ok(planned)
}

fn plan_source(
    s: Source,
    dest_kind: DestKind,
    dest: &str,
    naming: &Naming,
    opts: &SyncOptions,
    listings: &Listings,
) -> Result<Planned> {
    let mut opts = opts.clone();
    let mut notes = Vec::new();
    if let Some(e) = &s.entry {
        let src = &mut opts.copy.transport.src_registry;
        if let Some((u, p)) = &e.credentials {
            src.creds = Some(format!("{u}:{p}"));
            src.registry_token = None;
        }
        if e.tls_verify.is_some() {
            src.tls_verify = e.tls_verify;
        }
        if e.cert_dir.is_some() {
            src.cert_dir = e.cert_dir.clone();
        }
        if s.repos.is_empty() {
            notes.push(format!("{}: no images listed", e.registry));
        }
    }
    let mut planned = Planned {
        opts,
        work: Vec::new(),
        failed: Vec::new(),
        notes,
        dests: Vec::new(),
    };
    for repo in &s.repos {
        match repo {
            Repo::Registry { r, pick } => {
                plan_repo(r, pick, dest_kind, dest, naming, &mut planned, listings)?
            }
            Repo::Dir { path, rel } => {
                if dest_kind == DestKind::Dir {
                    return Err(Error::usage(
                        "--src dir --dest dir: both ends are directories; copy the files",
                    ));
                }
                let rel = if rel.is_empty() {
                    // SOURCE is the image: its own name (`.` is the
                    // directory's).
                    let p = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                    base(&p.to_string_lossy()).to_string()
                } else {
                    rel.clone()
                };
                let sub = if naming.scoped {
                    rel.as_str()
                } else {
                    base(&rel)
                };
                // --tag-regex: its tag (latest when it has none), or its
                // NAME:TAG, as in an archive.
                if let Some(re) = &planned.opts.tag_regex {
                    let name = base(&rel);
                    let tag = DockerRef::parse(name)
                        .ok()
                        .filter(|r| r.digest.is_none())
                        .map(|r| r.tag.unwrap_or_else(|| "latest".into()));
                    if !re.is_match(name) && tag.is_none_or(|t| !re.is_match(&t)) {
                        continue;
                    }
                }
                let to = dir_to_registry(&join(dest, sub), &naming.suffix);
                let src = transport::parse(&format!("dir:{}", path.display()))?;
                planned.work.push(Work {
                    label: to
                        .as_ref()
                        .map_or_else(|_| src.to_string(), |t| t.to_string()),
                    tag: to.as_ref().ok().and_then(|t| t.tag()).unwrap_or_default(),
                    name: rel,
                    src,
                    to,
                    if_subject_synced: false,
                });
            }
        }
    }
    Ok(planned)
}

/// Where a `dir:` image named `name` (`DEST/NAME[:TAG|@DIGEST]`) goes in
/// a registry: its tag (default `latest`) with the suffix added.
fn dir_to_registry(name: &str, suffix: &str) -> Result<Box<dyn ImageReference>> {
    let mut r = DockerRef::parse(name)?;
    if r.digest.is_some() {
        if !suffix.is_empty() {
            return Err(Error::new(format!(
                "{name}: an image named by digest has no tag to add --append-suffix to"
            )));
        }
    } else {
        let tag = suffixed(r.tag.as_deref().unwrap_or("latest"), suffix);
        if !super::sync::valid_tag(&tag) {
            return Err(Error::new(format!("{name}: {tag:?} is not a valid tag")));
        }
        r.tag = Some(tag);
    }
    transport::parse(&format!("docker://{r}"))
}

fn plan_repo(
    r: &DockerRef,
    pick: &Pick,
    dest_kind: DestKind,
    dest: &str,
    naming: &Naming,
    planned: &mut Planned,
    listings: &Listings,
) -> Result<()> {
    let opts = &planned.opts;
    let full = r.name();
    let src_name = format!("docker://{full}");
    // The destination repository (docker) or the directory its images go
    // into, each as NAME:TAG (dir).
    let sub = if naming.scoped {
        full.clone()
    } else {
        base(&r.path).to_string()
    };
    let dst: Box<dyn ImageReference> = match dest_kind {
        DestKind::Docker => transport::parse(&format!("docker://{}", join(dest, &sub)))?,
        DestKind::Dir => {
            // (The reference grammar has no such component; kept out
            // here too, as the names become paths.)
            if full.split('/').any(|c| c == "." || c == "..") {
                return Err(Error::new(format!("{full}: cannot name a directory")));
            }
            let parent = if naming.scoped {
                full.rsplit_once('/').map_or("", |(p, _)| p)
            } else {
                ""
            };
            let mut d = crate::transport::dir::DirRef::parse(&join(dest, parent))?;
            d.tree = Some(dest.into());
            Box::new(d)
        }
    };
    let src = transport::parse(&src_name)?;
    // (Listed once in the run, and without the attachment tags a sync
    // into `dst` does not copy.)
    let listing = TagListing::new(listings, &*dst, opts.copy.referrers);
    let (before, failed_before) = (planned.work.len(), planned.failed.len());
    let listed = match pick {
        Pick::All => plan(&*src, &*dst, &|_| true, &naming.suffix, opts, &listing),
        Pick::Regex(re) => plan(
            &*src,
            &*dst,
            &|t| re.is_match(t),
            &naming.suffix,
            opts,
            &listing,
        ),
        Pick::Semver(c) => plan(
            &*src,
            &*dst,
            &|t| c.matches(t),
            &naming.suffix,
            opts,
            &listing,
        ),
        Pick::Refs(refs) => {
            let mut work = Vec::new();
            for rf in refs {
                match rf {
                    Ref::Tag(t) => work.extend(plan(
                        &*src.with_tag(t)?,
                        &*dst,
                        &|_| true,
                        &naming.suffix,
                        opts,
                        &listing,
                    )?),
                    Ref::Digest(d) => {
                        let src = transport::parse(&format!("{src_name}@{d}"))?;
                        let to = if !naming.suffix.is_empty() {
                            Err(Error::new(format!(
                                "{src}: an image named by digest has no tag to add --append-suffix to"
                            )))
                        } else {
                            match dest_kind {
                                DestKind::Docker => {
                                    transport::parse(&format!("docker://{}@{d}", join(dest, &sub)))
                                }
                                DestKind::Dir => {
                                    transport::parse(&format!("{}/{}@{d}", dst, base(&r.path)))
                                }
                            }
                        };
                        work.push(Work {
                            name: format!("{full}@{d}"),
                            tag: String::new(),
                            label: String::new(),
                            src,
                            to,
                            if_subject_synced: false,
                        });
                    }
                }
            }
            Ok(work)
        }
    };
    match listed {
        Ok(work) => planned.work.extend(work),
        Err(e) if e.kind() == crate::error::Kind::Usage => return Err(e),
        Err(e) => planned.failed.push(Work::failed(src_name.clone(), e)),
    }
    if planned.work.len() == before && planned.failed.len() == failed_before {
        planned.notes.push(format!("{src_name}: no tags to sync"));
    }
    // (said once, for a repository the file names more than once)
    if let Some(n) = listing.note().filter(|n| !planned.notes.contains(n)) {
        planned.notes.push(n);
    }
    for w in &mut planned.work[before..] {
        w.label =
            w.to.as_ref()
                .map_or_else(|_| w.src.to_string(), |t| t.to_string());
    }
    planned.dests.push(dst);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            join("mirror.example/", "/busybox"),
            "mirror.example/busybox"
        );
        assert_eq!(join("/media/usb", ""), "/media/usb");
        assert_eq!(base("registry.example/a/busybox:1"), "busybox:1");
        let to = dir_to_registry("mirror/busybox:1.36", "-m").unwrap();
        assert_eq!(to.to_string(), "docker://docker.io/mirror/busybox:1.36-m");
        let to = dir_to_registry("r.example:5000/x/app", "").unwrap();
        assert_eq!(to.to_string(), "docker://r.example:5000/x/app:latest");
        let d = format!("r.example/app@sha256:{}", "a".repeat(64));
        assert!(dir_to_registry(&d, "").is_ok());
        assert!(dir_to_registry(&d, "-m").is_err());
    }
}
