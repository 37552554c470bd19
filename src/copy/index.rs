//! Pure decisions for multi-platform sources: which instances of an index
//! to copy, and what index to write afterwards. No I/O here.

use crate::error::{Error, Result};
use crate::model::{Descriptor, Index, MediaType, Platform, RawManifest};

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
}

impl Selection {
    /// Every entry of `index`, instances copied.
    pub fn all(index: &Index) -> Selection {
        Selection {
            entries: (0..index.manifests.len()).collect(),
            copy_instances: true,
        }
    }
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
    let others = index.manifests.len() - images().count() - attestations;
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
    match others {
        0 => named,
        1 => format!("{named}; 1 entry is no image manifest"),
        n => format!("{named}; {n} entries are no image manifests"),
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
    let unchanged = sel.entries.len() == index.manifests.len()
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
    let format = match child_formats.first() {
        Some(Some(f)) if child_formats.iter().all(|c| *c == Some(*f)) => *f,
        _ => src_format.unwrap_or(Format::Oci),
    };
    let format = if accepted_index.contains(&format) {
        format
    } else {
        accepted_index[0]
    };
    if format == Format::V2s2 && written.iter().any(|d| d.media_type.is_index()) {
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

    #[test]
    fn index_only_selects_everything_without_copying() {
        let (_, i) = index(MediaType::OciIndex, MediaType::OciManifest);
        let sel = select(&i, &MultiArch::IndexOnly).unwrap();
        assert!(!sel.copy_instances);
        assert_eq!(sel.entries.len(), 3);
    }
}
