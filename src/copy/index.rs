//! Pure decisions for multi-platform sources: which instances of an index
//! to copy, and what index to write afterwards. No I/O here: the indexes
//! nested in an index are read by the caller's function.
//!
//! Nested indexes (an index listing another, as the image-spec allows):
//! `--all` and `--multi-arch index-only` keep the tree, each child index
//! written before the index that lists it; a platform pick (one image, or
//! `--platform`'s subset) looks at every image of the tree as if the top
//! index listed it, depth first in index order ([`flattened`]), so a
//! subset is one flat index of the images picked. A tree deeper than
//! [`MAX_NESTING`], or listing more than [`MAX_TREE_ENTRIES`] entries or
//! [`MAX_TREE_BYTES`] of indexes in all, is refused.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::model::{Descriptor, Digest, Index, MediaType, Platform, RawManifest};

use super::plan::{convert_index, Format};

/// What to copy when the source is an index (OCI image index or Docker
/// manifest list). Sources that are single images are copied as they are
/// whatever this says.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum MultiArch {
    /// One image: the instance for `CopyOptions::platform`, else this
    /// machine's (skopeo's `--multi-arch system`).
    #[default]
    System,
    /// The whole index and every instance (`--all`).
    All,
    /// The instances for these platforms, under a new index holding only
    /// them (`--platform`, repeatable).
    Platforms(Vec<Platform>),
    /// The index alone; every instance must already be at the destination
    /// (`--multi-arch index-only`).
    IndexOnly,
}

/// Which entries of an index to copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Positions in `index.manifests`, in index order.
    pub entries: Vec<usize>,
    /// Copy the instances themselves (false for index-only).
    pub copy_instances: bool,
    /// The index selected from is the [`flattened`] view of a tree of
    /// nested indexes, not the source's own: what is written is another
    /// index, never the source's bytes.
    pub flattened: bool,
}

impl Selection {
    /// Every entry of `index`, instances copied.
    pub fn all(index: &Index) -> Selection {
        Selection {
            entries: (0..index.manifests.len()).collect(),
            copy_instances: true,
            flattened: false,
        }
    }
}

pub use crate::model::MAX_NESTING;

/// The entries an index and the indexes nested in it may list in all
/// (each index counted once, however often listed): a flat index, at most
/// 4 MiB, lists fewer; a tree past it is refused, as a hostile source
/// could otherwise make one to be read without end.
pub const MAX_TREE_ENTRIES: usize = 100_000;

/// The bytes the indexes nested in an index may have in all (each counted
/// once), for the same reason.
pub const MAX_TREE_BYTES: u64 = 64 << 20;

/// Does `index` list another index?
pub fn is_nested(index: &Index) -> bool {
    index.manifests.iter().any(|d| d.media_type.is_index())
}

/// The limits of a walk through an index and those nested in it
/// ([`MAX_NESTING`], [`MAX_TREE_ENTRIES`], [`MAX_TREE_BYTES`]), and the
/// nested indexes seen.
#[derive(Debug, Default)]
pub struct Nesting {
    entries: usize,
    bytes: u64,
    seen: HashSet<Digest>,
}

impl Nesting {
    /// A walk from the top index, which lists `entries`.
    pub fn new(entries: usize) -> Result<Nesting> {
        let mut n = Nesting::default();
        n.count(entries)?;
        Ok(n)
    }

    fn count(&mut self, entries: usize) -> Result<()> {
        self.entries = self.entries.saturating_add(entries);
        if self.entries > MAX_TREE_ENTRIES {
            return Err(Error::new(format!(
                "the index and the indexes nested in it list more than {MAX_TREE_ENTRIES} \
                 entries in all; lade reads no more"
            )));
        }
        Ok(())
    }

    /// Before nested index `d` is read, at `depth` (1: listed by the
    /// top index): false when the walk has seen it already.
    pub fn enter(&mut self, d: &Descriptor, depth: usize) -> Result<bool> {
        if depth > MAX_NESTING {
            return Err(Error::new(format!(
                "index {} is nested {depth} indexes deep; lade follows at most {MAX_NESTING}",
                d.digest
            )));
        }
        if !self.seen.insert(d.digest.clone()) {
            return Ok(false);
        }
        self.bytes = self.bytes.saturating_add(d.size);
        if self.bytes > MAX_TREE_BYTES {
            return Err(Error::new(format!(
                "the indexes nested in the index are more than {} MiB in all; lade reads no more",
                MAX_TREE_BYTES >> 20
            )));
        }
        Ok(true)
    }

    /// Nested index `raw` was read: its entries counted.
    pub fn entered(&mut self, raw: &RawManifest) -> Result<Index> {
        let index = raw.index()?;
        self.count(index.manifests.len())?;
        Ok(index)
    }
}

/// An entry of an index or of one nested in it that is no index itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The entry as its index lists it (platform, annotations).
    pub desc: Descriptor,
    /// The nested index listing it; None: the top one.
    pub parent: Option<Digest>,
}

/// The entries of `index` and of the indexes nested in it that are no
/// indexes, depth first in index order (a nested index's entries where
/// it is listed); each nested index read with `read` (which checks it
/// against its descriptor) once, however often listed. A nested index
/// the source lacks is an error, as one that is damaged.
pub fn leaves(
    index: &Index,
    read: &mut dyn FnMut(&Descriptor) -> Result<RawManifest>,
) -> Result<Vec<Leaf>> {
    walk_leaves(index, read, false)
}

/// [`leaves`], where a nested index the source lacks ([`Error::is_missing`],
/// as for a missing image) is a leaf of its own (its descriptor, an index
/// type: the only leaves that are indexes), for a listing of what is
/// there; one that is damaged is still an error.
pub fn leaves_or_missing(
    index: &Index,
    read: &mut dyn FnMut(&Descriptor) -> Result<RawManifest>,
) -> Result<Vec<Leaf>> {
    walk_leaves(index, read, true)
}

fn walk_leaves(
    index: &Index,
    read: &mut dyn FnMut(&Descriptor) -> Result<RawManifest>,
    keep_missing: bool,
) -> Result<Vec<Leaf>> {
    struct Walk<'r> {
        nest: Nesting,
        read: &'r mut dyn FnMut(&Descriptor) -> Result<RawManifest>,
        keep_missing: bool,
        out: Vec<Leaf>,
    }
    fn walk(w: &mut Walk, index: &Index, parent: Option<&Digest>, depth: usize) -> Result<()> {
        for d in &index.manifests {
            let leaf = || Leaf {
                desc: d.clone(),
                parent: parent.cloned(),
            };
            if !d.media_type.is_index() {
                w.out.push(leaf());
                continue;
            }
            if !w.nest.enter(d, depth + 1)? {
                continue;
            }
            let ctx = |e: Error| e.context(format!("nested index {}", d.digest));
            let raw = match (w.read)(d) {
                Ok(raw) => raw,
                Err(e) if w.keep_missing && e.is_missing() => {
                    w.out.push(leaf());
                    continue;
                }
                Err(e) => return Err(ctx(e)),
            };
            let child = w.nest.entered(&raw).map_err(ctx)?;
            walk(w, &child, Some(&d.digest), depth + 1)?;
        }
        Ok(())
    }
    let mut w = Walk {
        nest: Nesting::new(index.manifests.len())?,
        read,
        keep_missing,
        out: Vec::new(),
    };
    walk(&mut w, index, None, 0)?;
    Ok(w.out)
}

/// `index` with the [`leaves`] of its tree as its entries, for a
/// platform pick among all of them; `index` itself when it nests none.
pub fn flattened(
    index: &Index,
    read: &mut dyn FnMut(&Descriptor) -> Result<RawManifest>,
) -> Result<Index> {
    if !is_nested(index) {
        return Ok(index.clone());
    }
    let mut flat = index.clone();
    flat.manifests = leaves(index, read)?.into_iter().map(|l| l.desc).collect();
    Ok(flat)
}

/// When an index is to be copied as one image, the platform to pick
/// (None inside: this machine's): always for `System` (`platform` is the
/// --override-* one), and for a single `--platform` where the destination
/// cannot hold an index. None: copy an index.
pub fn one_image<'a>(
    mode: &'a MultiArch,
    platform: Option<&'a Platform>,
    dest_holds_index: bool,
) -> Option<Option<&'a Platform>> {
    match mode {
        MultiArch::System => Some(platform),
        MultiArch::Platforms(p) if p.len() == 1 && !dest_holds_index => Some(Some(&p[0])),
        _ => None,
    }
}

/// Decide which entries of `index` to copy for `mode` (not `System`,
/// which copies a single image and never writes an index).
pub fn select(index: &Index, mode: &MultiArch) -> Result<Selection> {
    match mode {
        MultiArch::System => Err(Error::new("internal: select() for a single image")),
        MultiArch::All => Ok(Selection::all(index)),
        MultiArch::IndexOnly => Ok(Selection {
            copy_instances: false,
            ..Selection::all(index)
        }),
        MultiArch::Platforms(want) => {
            if want.is_empty() {
                return Err(Error::usage("--platform: no platform given"));
            }
            // For each platform, the entries of the best-ranked platform
            // the index has for it (as for a single image, but every entry
            // of that platform: a gzip and a zstd image, say).
            let mut keep = vec![false; index.manifests.len()];
            for w in want {
                let ranks = index.platform_ranks(w);
                let Some(best) = ranks.iter().flatten().min() else {
                    return Err(Error::not_found(format!(
                        "the index has no image for {w} (it has {})",
                        platforms_of(index)
                    )));
                };
                for (k, r) in keep.iter_mut().zip(&ranks) {
                    *k |= *r == Some(*best);
                }
            }
            // The attestations of the images kept come with them.
            let kept: std::collections::HashSet<String> = (index.manifests.iter().zip(&keep))
                .filter(|(_, k)| **k)
                .map(|(d, _)| d.digest.to_string())
                .collect();
            for (k, d) in keep.iter_mut().zip(&index.manifests) {
                *k |= d.attests().is_some_and(|of| kept.contains(of));
            }
            let entries = (0..index.manifests.len()).filter(|&i| keep[i]).collect();
            Ok(Selection {
                entries,
                copy_instances: true,
                flattened: false,
            })
        }
    }
}

/// Leave the attestation entries of `index` (digest `of`) out of `sel`,
/// said once: a Docker manifest list cannot hold their in-toto
/// manifests, and the images need them not.
pub fn drop_attestations(index: &Index, sel: &mut Selection, of: &crate::model::Digest) {
    let before = sel.entries.len();
    sel.entries
        .retain(|&i| index.manifests[i].attests().is_none());
    let n = before - sel.entries.len();
    if n > 0 {
        crate::error::warn(&format!(
            "{of}: {n} attestation{} (provenance, SBOM) left out: a Docker manifest list \
             cannot hold {}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        ));
    }
}

/// The platforms an index lists, for error messages: each once, the
/// first [`SHOWN`] of them.
pub fn platforms_of(index: &Index) -> String {
    const SHOWN: usize = 12;
    let mut seen = std::collections::HashSet::new();
    // (images only: a nested index or an artifact is not picked, whatever
    // platform it names)
    let images = || {
        index
            .manifests
            .iter()
            .filter(|d| d.media_type.is_manifest() && d.attests().is_none())
    };
    let v: Vec<String> = images()
        .filter_map(|d| d.platform.as_ref().map(|p| p.to_string()))
        .filter(|p| seen.insert(p.clone()))
        .collect();
    let none = images().filter(|d| d.platform.is_none()).count();
    let attestations = index
        .manifests
        .iter()
        .filter(|d| d.attests().is_some())
        .count();
    let schema1 = index
        .manifests
        .iter()
        .filter(|d| crate::model::schema1::is_schema1_type(&d.media_type))
        .count();
    let others = index.manifests.len() - images().count() - attestations - schema1;
    let named = match v.len() {
        0 => "no image platforms".into(),
        n if n > SHOWN => format!("{}, and {} more", v[..SHOWN].join(", "), n - SHOWN),
        _ => v.join(", "),
    };
    let named = match none {
        0 => named,
        1 => format!("{named}; 1 entry names none"),
        n => format!("{named}; {n} entries name none"),
    };
    let named = match others {
        0 => named,
        1 => format!("{named}; 1 entry is no image manifest"),
        n => format!("{named}; {n} entries are no image manifests"),
    };
    match schema1 {
        0 => named,
        1 => format!("{named}; 1 entry is a Docker schema 1 manifest, which lade does not read in an index"),
        n => format!("{named}; {n} entries are Docker schema 1 manifests, which lade does not read in an index"),
    }
}

/// The index to write: the source's exact bytes when every entry was kept
/// unchanged and the destination takes its type; otherwise a re-authored
/// index holding `written` (the selected entries as stored, in order), in
/// the format of the instances (or the first index type the destination
/// takes).
pub fn assemble(
    top: &RawManifest,
    index: &Index,
    sel: &Selection,
    written: Vec<Descriptor>,
    accepted: &[MediaType],
) -> Result<RawManifest> {
    let accepted_index: Vec<Format> = accepted
        .iter()
        .filter(|t| t.is_index())
        .filter_map(Format::of)
        .collect();
    if accepted_index.is_empty() {
        return Err(Error::new(
            "the destination cannot hold a multi-platform index",
        ));
    }
    let unchanged = !sel.flattened
        && sel.entries.len() == index.manifests.len()
        && sel
            .entries
            .iter()
            .zip(&written)
            .all(|(&i, w)| same_entry(&index.manifests[i], w));
    let src_format = Format::of(&top.media_type);
    if unchanged && src_format.is_some_and(|f| accepted_index.contains(&f)) {
        return Ok(top.clone());
    }
    let written = relink_attestations(index, sel, written);
    // The instances' format decides the index's; mixed or unknown: the source's.
    let child_formats: Vec<Option<Format>> =
        written.iter().map(|d| Format::of(&d.media_type)).collect();
    // (A nested index is held by an OCI index alone: a Docker list
    // inside an OCI one makes no Docker list of the top.)
    let nests = written.iter().any(|d| d.media_type.is_index());
    let format = match child_formats.first() {
        _ if nests => Format::Oci,
        Some(Some(f)) if child_formats.iter().all(|c| *c == Some(*f)) => *f,
        _ => src_format.unwrap_or(Format::Oci),
    };
    let format = if accepted_index.contains(&format) {
        format
    } else {
        accepted_index[0]
    };
    if format == Format::V2s2 && nests {
        return Err(Error::new("a Docker manifest list cannot hold an index"));
    }
    if format == Format::V2s2 {
        super::plan::warn_index_left_out(&top.digest, index, &written);
    }
    let out = convert_index(index, format, written);
    let bytes = out.to_bytes();
    RawManifest::from_bytes(bytes, Some(&format.index_type()))
}

/// `written` (the entries `sel` selects, as written), each attestation
/// naming its image by the digest the image has now: a compressed or
/// converted instance is another manifest, which the old digest no longer
/// names.
pub fn relink_attestations(
    index: &Index,
    sel: &Selection,
    mut written: Vec<Descriptor>,
) -> Vec<Descriptor> {
    let now: std::collections::HashMap<String, String> = (sel.entries.iter().zip(&written))
        .map(|(&i, w)| (index.manifests[i].digest.to_string(), w.digest.to_string()))
        .filter(|(was, is)| was != is)
        .collect();
    for w in &mut written {
        if let Some(is) = w.attests().and_then(|of| now.get(of)).cloned() {
            w.set_annotation(crate::model::ATTESTATION_OF, &is);
        }
    }
    written
}

fn same_entry(a: &Descriptor, b: &Descriptor) -> bool {
    a.digest == b.digest && a.size == b.size && a.media_type == b.media_type
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_of_says_each_once_and_a_few() {
        let entry = |arch: &str| {
            serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": format!("sha256:{}", "a".repeat(64)), "size": 1,
                "platform": {"os": "linux", "architecture": arch}})
        };
        let index = |archs: Vec<String>| -> Index {
            serde_json::from_value(serde_json::json!({"schemaVersion": 2,
                "manifests": archs.iter().map(|a| entry(a)).collect::<Vec<_>>()}))
            .unwrap()
        };
        let two = index(vec!["amd64".into(), "arm64".into(), "amd64".into()]);
        assert_eq!(platforms_of(&two), "linux/amd64, linux/arm64");
        let many = index((0..5000).map(|i| format!("a{i}")).collect());
        let said = platforms_of(&many);
        assert!(said.ends_with(", and 4988 more"), "{said}");
        assert!(said.len() < 300, "{said}");
        // A nested index is no image for its platform.
        let mut nested = index(vec!["amd64".into(), "arm64".into()]);
        nested.manifests[0].media_type = "application/vnd.oci.image.index.v1+json".into();
        assert_eq!(
            platforms_of(&nested),
            "linux/arm64; 1 entry is no image manifest"
        );
    }

    #[test]
    fn one_platform_is_one_image_where_no_index_fits() {
        let (arm, amd) = (
            Platform::parse("linux/arm64").unwrap(),
            Platform::parse("linux/amd64").unwrap(),
        );
        assert_eq!(one_image(&MultiArch::System, None, true), Some(None));
        assert_eq!(
            one_image(&MultiArch::System, Some(&amd), false),
            Some(Some(&amd))
        );
        let one = MultiArch::Platforms(vec![arm.clone()]);
        assert_eq!(one_image(&one, None, false), Some(Some(&arm)));
        assert_eq!(one_image(&one, None, true), None);
        let two = MultiArch::Platforms(vec![arm, amd]);
        assert_eq!(one_image(&two, None, false), None);
        assert_eq!(one_image(&MultiArch::All, None, false), None);
        assert_eq!(one_image(&MultiArch::IndexOnly, None, false), None);
    }
    use crate::model::Digest;

    fn entry(arch: &str, mt: MediaType) -> Descriptor {
        let mut d = Descriptor::new(mt, Digest::of_bytes(arch.as_bytes()), 10);
        d.platform = Some(Box::new(Platform::parse(&format!("linux/{arch}")).unwrap()));
        d
    }

    fn index(mt: MediaType, child: MediaType) -> (RawManifest, Index) {
        let i = Index {
            schema_version: 2,
            media_type: Some(mt.clone()),
            artifact_type: None,
            manifests: vec![
                entry("amd64", child.clone()),
                entry("arm64", child.clone()),
                entry("s390x", child),
            ],
            subject: None,
            annotations: None,
            extra: Default::default(),
            unreadable: Vec::new(),
        };
        let raw = RawManifest::from_bytes(serde_json::to_vec(&i).unwrap(), Some(&mt)).unwrap();
        (raw, i)
    }

    fn both() -> Vec<MediaType> {
        vec![
            MediaType::OciManifest,
            MediaType::DockerManifest,
            MediaType::OciIndex,
            MediaType::DockerList,
        ]
    }

    #[test]
    fn all_keeps_the_index_bytes() {
        let (raw, i) = index(MediaType::DockerList, MediaType::DockerManifest);
        let sel = select(&i, &MultiArch::All).unwrap();
        assert_eq!(sel.entries, vec![0, 1, 2]);
        let out = assemble(&raw, &i, &sel, i.manifests.clone(), &both()).unwrap();
        assert_eq!(out, raw);
    }

    #[test]
    fn platforms_make_a_smaller_index_of_the_same_kind() {
        let (raw, i) = index(MediaType::DockerList, MediaType::DockerManifest);
        let want = vec![Platform::parse("linux/arm64").unwrap()];
        let sel = select(&i, &MultiArch::Platforms(want)).unwrap();
        assert_eq!(sel.entries, vec![1]);
        let kept = vec![i.manifests[1].clone()];
        let out = assemble(&raw, &i, &sel, kept.clone(), &both()).unwrap();
        assert_eq!(out.media_type, MediaType::DockerList);
        assert_eq!(out.index().unwrap().manifests, kept);
        let err = select(
            &i,
            &MultiArch::Platforms(vec![Platform::parse("linux/ppc64le").unwrap()]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("linux/amd64, linux/arm64"));
    }

    #[test]
    fn converted_instances_convert_the_index() {
        let (raw, i) = index(MediaType::DockerList, MediaType::DockerManifest);
        let sel = select(&i, &MultiArch::All).unwrap();
        let oci: Vec<Descriptor> = i
            .manifests
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d.media_type = MediaType::OciManifest;
                d.digest = Digest::of_bytes(d.digest.to_string().as_bytes());
                d
            })
            .collect();
        let layout = vec![MediaType::OciManifest, MediaType::OciIndex];
        let out = assemble(&raw, &i, &sel, oci.clone(), &layout).unwrap();
        assert_eq!(out.media_type, MediaType::OciIndex);
        assert_eq!(out.index().unwrap().manifests, oci);
        // A destination without index types cannot take it.
        let err = assemble(&raw, &i, &sel, oci, &[MediaType::DockerManifest]).unwrap_err();
        assert!(err.to_string().contains("cannot hold"));
    }

    /// An index of `entries` as stored bytes, and its descriptor.
    fn stored(mt: MediaType, entries: Vec<Descriptor>) -> (RawManifest, Descriptor) {
        let i = Index {
            schema_version: 2,
            media_type: Some(mt.clone()),
            artifact_type: None,
            manifests: entries,
            subject: None,
            annotations: None,
            extra: Default::default(),
            unreadable: Vec::new(),
        };
        let raw = RawManifest::from_bytes(serde_json::to_vec(&i).unwrap(), Some(&mt)).unwrap();
        let d = Descriptor::new(mt, raw.digest.clone(), raw.bytes.len() as u64);
        (raw, d)
    }

    #[test]
    fn leaves_go_depth_first_each_nested_index_read_once() {
        let (g_raw, g) = stored(
            MediaType::DockerList,
            vec![entry("ppc64le", MediaType::DockerManifest)],
        );
        let (c_raw, c) = stored(
            MediaType::OciIndex,
            vec![g.clone(), entry("arm64", MediaType::OciManifest), g.clone()],
        );
        let top = Index {
            manifests: vec![c.clone(), entry("s390x", MediaType::OciManifest), c.clone()],
            ..index(MediaType::OciIndex, MediaType::OciManifest).1
        };
        let reads = std::cell::RefCell::new(Vec::new());
        let mut read = |d: &Descriptor| {
            reads.borrow_mut().push(d.digest.clone());
            Ok(if d.digest == g.digest {
                g_raw.clone()
            } else {
                c_raw.clone()
            })
        };
        let got = leaves(&top, &mut read).unwrap();
        assert_eq!(*reads.borrow(), vec![c.digest.clone(), g.digest.clone()]);
        let archs: Vec<(String, Option<Digest>)> = got
            .iter()
            .map(|l| {
                (
                    l.desc.platform.as_ref().unwrap().architecture.clone(),
                    l.parent.clone(),
                )
            })
            .collect();
        assert_eq!(
            archs,
            vec![
                ("ppc64le".into(), Some(g.digest.clone())),
                ("arm64".into(), Some(c.digest.clone())),
                ("s390x".into(), None),
            ]
        );
        // A platform pick sees them all; the first of equals first.
        let flat = flattened(&top, &mut read).unwrap();
        let want = Platform::parse("linux/ppc64le").unwrap();
        assert_eq!(
            flat.find_platform(&want).unwrap().digest,
            got[0].desc.digest
        );
    }

    #[test]
    fn nesting_is_bounded() {
        // MAX_NESTING levels below the top are read, one more is not.
        let mut chain = vec![stored(
            MediaType::OciIndex,
            vec![entry("arm64", MediaType::OciManifest)],
        )];
        // (chain[k] holds k levels of indexes below it)
        for _ in 0..=MAX_NESTING {
            let below = chain.last().unwrap().1.clone();
            chain.push(stored(MediaType::OciIndex, vec![below]));
        }
        let read = |d: &Descriptor| {
            Ok(chain
                .iter()
                .find(|(_, c)| c.digest == d.digest)
                .unwrap()
                .0
                .clone())
        };
        let top = |at: usize| chain[at].0.index().unwrap();
        assert_eq!(leaves(&top(MAX_NESTING), &mut { read }).unwrap().len(), 1);
        let err = leaves(&top(MAX_NESTING + 1), &mut { read }).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("nested {} indexes deep", MAX_NESTING + 1)),
            "{err}"
        );
        // Entries past the budget, in all levels.
        let mut n = Nesting::new(MAX_TREE_ENTRIES - 1).unwrap();
        let (raw, d) = stored(
            MediaType::OciIndex,
            vec![
                entry("a", MediaType::OciManifest),
                entry("b", MediaType::OciManifest),
            ],
        );
        assert!(n.enter(&d, 1).unwrap());
        assert!(!n.enter(&d, 1).unwrap(), "seen once");
        assert!(n
            .entered(&raw)
            .unwrap_err()
            .to_string()
            .contains("entries in all"));
    }

    #[test]
    fn an_index_holding_an_index_is_an_oci_index() {
        // (even when all its entries are Docker lists)
        let (_, g) = stored(
            MediaType::DockerList,
            vec![entry("arm64", MediaType::DockerManifest)],
        );
        let (raw, i) = {
            let (raw, d) = stored(MediaType::OciIndex, vec![g.clone()]);
            let _ = d;
            let i = raw.index().unwrap();
            (raw, i)
        };
        let sel = select(&i, &MultiArch::All).unwrap();
        let mut changed = g.clone();
        changed.digest = Digest::of_bytes(b"converted");
        let out = assemble(&raw, &i, &sel, vec![changed.clone()], &both()).unwrap();
        assert_eq!(out.media_type, MediaType::OciIndex);
        assert_eq!(out.index().unwrap().manifests, vec![changed]);
        // Every image of a flattened view kept: its index, not the source's.
        let leaf = entry("arm64", MediaType::DockerManifest);
        let flat = Index {
            manifests: vec![leaf.clone()],
            ..i.clone()
        };
        let mut sel = select(&flat, &MultiArch::All).unwrap();
        sel.flattened = true;
        let out = assemble(&raw, &flat, &sel, vec![leaf.clone()], &both()).unwrap();
        assert_ne!(out.digest, raw.digest);
        assert_eq!(out.index().unwrap().manifests, vec![leaf]);
    }

    #[test]
    fn index_only_selects_everything_without_copying() {
        let (_, i) = index(MediaType::OciIndex, MediaType::OciManifest);
        let sel = select(&i, &MultiArch::IndexOnly).unwrap();
        assert!(!sel.copy_instances);
        assert_eq!(sel.entries.len(), 3);
    }
}
