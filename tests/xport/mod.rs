//! Support for the dir: and oci-archive: tests: images made by skopeo
//! from the docker-save fixtures, a minimal copy through the library API
//! (until `lade copy` drives these tests end to end), and file helpers.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use lade::model::{Digest, MediaType, RawManifest};
use lade::transport::{parse, BlobInfo, ImageDestination, ImageSource, TransportOptions};

use crate::common::{fixture, ok, run};

/// `skopeo` with its policy relaxed (the test machines have no policy.json
/// for root in every setup) and no signature lookups.
pub fn skopeo() -> Command {
    let mut c = Command::new("skopeo");
    c.arg("--insecure-policy");
    c
}

/// `skopeo copy -q SRC DST` (extra args before SRC), must succeed.
#[track_caller]
pub fn skopeo_copy(extra: &[&str], src: &str, dst: &str) {
    ok(skopeo().args(["copy", "-q"]).args(extra).args([src, dst]));
}

/// `skopeo inspect --raw NAME`: the exact top-level manifest bytes.
#[track_caller]
pub fn skopeo_raw(name: &str) -> Vec<u8> {
    ok(skopeo().args(["inspect", "--raw", name]))
}

/// `sha256:…` of some bytes.
pub fn sha(bytes: &[u8]) -> String {
    Digest::of_bytes(bytes).to_string()
}

/// The docker-archive fixture as a skopeo name.
pub fn fixture_image(file: &str, name: Option<&str>) -> String {
    let p = fixture(&format!("docker-save/{file}"));
    match name {
        Some(n) => format!("docker-archive:{}:{n}", p.display()),
        None => format!("docker-archive:{}", p.display()),
    }
}

/// An OCI layout at `dir` holding `tiny` and `other` (made by skopeo from
/// the fixtures; they share their base layer), plus `multi`: an index of
/// both, as linux/amd64 and linux/arm64. Returns the three manifest digests.
pub fn make_layout(dir: &Path) -> (String, String, String) {
    let l = dir.display();
    skopeo_copy(
        &[],
        &fixture_image("tiny2-docker20.tar", Some("tiny:1")),
        &format!("oci:{l}:tiny"),
    );
    skopeo_copy(
        &[],
        &fixture_image("tiny2-docker20.tar", Some("tiny-other:1")),
        &format!("oci:{l}:other"),
    );
    let a = RawManifest::from_bytes(skopeo_raw(&format!("oci:{l}:tiny")), None).unwrap();
    let b = RawManifest::from_bytes(skopeo_raw(&format!("oci:{l}:other")), None).unwrap();
    let index = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":["#,
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}},"#,
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"platform":{{"architecture":"arm64","os":"linux"}}}}]}}"#
        ),
        a.digest,
        a.bytes.len(),
        b.digest,
        b.bytes.len()
    );
    let layout = lade::store::Layout::open(dir).unwrap();
    let idx = RawManifest::from_bytes(index.into_bytes(), None).unwrap();
    layout.put_bytes(&idx.bytes, Some(&idx.digest)).unwrap();
    layout.set_ref("multi", &idx.descriptor()).unwrap();
    (
        a.digest.to_string(),
        b.digest.to_string(),
        idx.digest.to_string(),
    )
}

/// Copy one image (an index with all its children) through the library
/// API, the way copy does: reuse, else get_blob → put_blob (which
/// verifies); children before their index; then commit.
pub fn copy_api(src: &str, dst: &str) -> lade::Result<()> {
    copy_many(&[(src, &[])], dst)
}

/// Copy several images into one destination, each with its names.
pub fn copy_many(srcs: &[(&str, &[&str])], dst: &str) -> lade::Result<()> {
    let opts = TransportOptions::default();
    let d = parse(dst)?.destination(&opts)?;
    for (src, names) in srcs {
        let s = parse(src)?.source(&opts)?;
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        copy_into(&*s, &*d, &names)?;
    }
    d.commit()
}

/// Copy the image of `s` into `d` (no commit).
pub fn copy_into(
    s: &dyn ImageSource,
    d: &dyn ImageDestination,
    names: &[String],
) -> lade::Result<()> {
    let top = s.get_manifest(None)?;
    if top.is_index() {
        for child in top.index()?.manifests {
            let m = s.get_manifest(Some(&child.digest))?;
            assert_eq!(m.digest, child.digest, "source returned the wrong child");
            copy_blobs(s, d, &m)?;
            d.put_manifest(&m, Some(&child.digest), &[])?;
        }
    } else {
        copy_blobs(s, d, &top)?;
    }
    d.put_manifest(&top, None, names)
}

fn copy_blobs(s: &dyn ImageSource, d: &dyn ImageDestination, m: &RawManifest) -> lade::Result<()> {
    let man = m.manifest()?;
    for desc in std::iter::once(&man.config).chain(man.layers.iter()) {
        if d.try_reuse_blob(&BlobInfo::from(desc))?.is_some() {
            continue;
        }
        let (mut r, _) = s.get_blob(desc)?;
        let got = d.put_blob(&mut r, &BlobInfo::from(desc))?;
        assert_eq!(got.digest, desc.digest);
    }
    Ok(())
}

/// Read every blob of an image through its source and check the digests
/// (the caller's job per the ImageSource contract). Returns how many.
pub fn verify_all_blobs(name: &str) -> usize {
    let s = parse(name)
        .unwrap()
        .source(&TransportOptions::default())
        .unwrap();
    let top = s.get_manifest(None).unwrap();
    let mut manifests = vec![];
    if top.is_index() {
        for c in top.index().unwrap().manifests {
            let m = s.get_manifest(Some(&c.digest)).unwrap();
            assert_eq!(m.digest, c.digest);
            manifests.push(m);
        }
    } else {
        manifests.push(top);
    }
    let mut n = 0;
    for m in manifests {
        let man = m.manifest().unwrap();
        for desc in std::iter::once(&man.config).chain(man.layers.iter()) {
            let (mut r, size) = s.get_blob(desc).unwrap();
            let (d, len) = Digest::of_reader(desc.digest.algorithm(), &mut r).unwrap();
            assert_eq!(d, desc.digest, "blob of {name}");
            assert_eq!(len, desc.size);
            if let Some(s) = size {
                assert_eq!(s, desc.size);
            }
            n += 1;
        }
    }
    n
}

/// The file names in a directory, sorted.
pub fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// The top-level manifest bytes as lade reads them.
pub fn lade_raw(name: &str) -> RawManifest {
    parse(name)
        .unwrap()
        .source(&TransportOptions::default())
        .unwrap()
        .get_manifest(None)
        .unwrap()
}

/// Is skopeo's verdict on `name` a failure?
pub fn skopeo_fails(args: &[&str]) -> bool {
    !run(skopeo().args(args)).status.success()
}

/// A BlobInfo for arbitrary bytes, claiming `digest_of`'s digest.
pub fn claim(digest_of: &[u8], size: Option<u64>) -> BlobInfo {
    BlobInfo {
        media_type: MediaType::OciLayerGzip,
        digest: Some(Digest::of_bytes(digest_of)),
        size,
    }
}
