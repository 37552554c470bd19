//! Signatures and referrers (`--with-referrers`) against the test registry
//! (distribution 2.8: no referrers API, so the OCI 1.1 tag-schema fallback
//! is what it exercises, but for one test where a proxy in front of it
//! answers the referrers API from its tag-schema indexes, in pages, and
//! hides them): a signed-looking image — a cosign `.sig` tag and an
//! SBOM referrer (itself signed by a referrer) registered in `sha256-<hex>`
//! indexes as oras does — mirrored by `sync`, copied to a layout and back,
//! left out without the option, refused where it cannot go, failing cleanly
//! on a corrupt blob, and not copied twice.

mod common;
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::{json, Value};
use support::*;

const SPDX: &str = "application/spdx+json";
const SIG_TYPE: &str = "application/vnd.example.signature.v1+json";
const EMPTY: &str = "application/vnd.oci.empty.v1+json";
const SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// What [`signed_image`] pushed.
struct Signed {
    /// The image manifest digest (`sha256:…`).
    image: String,
    /// `sha256-<hex>` of the image: the fallback tag; `.sig` appended: cosign's.
    tag: String,
    sig: String,
    /// The SBOM referrer's manifest digest, and its SPDX layer's.
    sbom: String,
    spdx_blob: String,
    /// A signature of the SBOM: a referrer of the referrer.
    sbom_sig: String,
}

fn tag_of(digest: &str) -> String {
    digest.replace(':', "-")
}

/// Push an artifact manifest (empty config, one layer) with `subject`;
/// returns (digest, descriptor for a referrers index).
fn push_referrer(
    reg: &str,
    repo: &str,
    artifact_type: &str,
    layer_type: &str,
    payload: &[u8],
    subject: &Value,
) -> (String, Value) {
    let empty = registry_put_blob(reg, repo, b"{}");
    let layer = registry_put_blob(reg, repo, payload);
    let created = json!({"org.opencontainers.image.created": "2024-01-01T00:00:00Z"});
    let bytes = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
        "config": {"mediaType": EMPTY, "digest": empty, "size": 2},
        "layers": [{"mediaType": layer_type, "digest": layer, "size": payload.len()}],
        "subject": subject,
        "annotations": created,
    }))
    .unwrap();
    let d = registry_put_manifest(reg, repo, &sha256(&bytes), OCI_MANIFEST, &bytes);
    let desc = json!({"mediaType": OCI_MANIFEST, "digest": d, "size": bytes.len(),
                      "artifactType": artifact_type, "annotations": created});
    (d, desc)
}

/// The tag-schema index oras writes on a registry without the API
/// (indented, as no tool here would write it again: its bytes must be
/// carried, not remade).
fn push_fallback(reg: &str, repo: &str, subject: &str, entries: &[Value]) {
    let bytes = serde_json::to_vec_pretty(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}),
    )
    .unwrap();
    registry_put_manifest(reg, repo, &tag_of(subject), OCI_INDEX, &bytes);
}

/// A cosign signature of `subject`: `sha256-<hex>.sig`, an image-shaped
/// manifest over a simplesigning payload naming it; returns its digest.
fn push_sig(reg: &str, repo: &str, subject: &str) -> String {
    let payload = serde_json::to_vec(&json!({
        "critical": {"identity": {"docker-reference": format!("{reg}/{repo}")},
                     "image": {"docker-manifest-digest": subject},
                     "type": "cosign container image signature"},
        "optional": null,
    }))
    .unwrap();
    let layer = registry_put_blob(reg, repo, &payload);
    let config = serde_json::to_vec(&json!({
        "architecture": "", "os": "", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer]},
    }))
    .unwrap();
    let config_d = registry_put_blob(reg, repo, &config);
    let bytes = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_d, "size": config.len()},
        "layers": [{"mediaType": SIMPLESIGNING, "digest": layer, "size": payload.len(),
                    "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQDexample"}}],
    }))
    .unwrap();
    let tag = format!("{}.sig", tag_of(subject));
    registry_put_manifest(reg, repo, &tag, OCI_MANIFEST, &bytes)
}

/// An image `repo:v1` with a cosign signature tag, an SBOM referrer and a
/// signature of the SBOM, all by plain registry API calls.
fn signed_image(reg: &str, repo: &str, dir: &Path) -> Signed {
    let desc = image(dir, "amd64", "v1", false, 16 * 1024);
    write_layout(dir, &[("v1", desc.clone())]);
    push_layout(reg, dir, repo, "v1", &desc);
    let image = desc["digest"].as_str().unwrap().to_string();
    let subject = json!({"mediaType": OCI_MANIFEST, "digest": image, "size": desc["size"]});

    let sig = push_sig(reg, repo, &image);

    // OCI 1.1: an SBOM with subject = the image, and a signature of the SBOM.
    let spdx = br#"{"spdxVersion":"SPDX-2.3","name":"v1","packages":[]}"#;
    let (sbom, sbom_desc) = push_referrer(reg, repo, SPDX, SPDX, spdx, &subject);
    push_fallback(reg, repo, &image, std::slice::from_ref(&sbom_desc));
    let sbom_subject =
        json!({"mediaType": OCI_MANIFEST, "digest": sbom, "size": sbom_desc["size"]});
    let (sbom_sig, sbom_sig_desc) = push_referrer(
        reg,
        repo,
        SIG_TYPE,
        SIG_TYPE,
        b"signature of the sbom",
        &sbom_subject,
    );
    push_fallback(reg, repo, &sbom, &[sbom_sig_desc]);
    Signed {
        tag: tag_of(&image),
        image,
        sig,
        sbom,
        spdx_blob: sha256(spdx),
        sbom_sig,
    }
}

fn skopeo_raw(name: &str) -> Vec<u8> {
    ok(Command::new("skopeo").args(["inspect", "--raw", "--tls-verify=false", name]))
}

fn tags(repo: &str) -> Vec<String> {
    let v = json(&ok(lade().args(["list-tags", "--tls-verify=false", repo])));
    let mut t: Vec<String> = v["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

fn sync_cmd() -> Command {
    let mut c = lade();
    c.args(["sync", "--src-tls-verify=false", "--dest-tls-verify=false"]);
    c
}

fn copy_cmd() -> Command {
    let mut c = lade();
    c.args(["copy", "--src-tls-verify=false", "--dest-tls-verify=false"]);
    c
}

/// The referrers listed in the destination's fallback index for `subject`.
fn fallback_entries(reg: &str, repo: &str, subject: &str) -> Vec<Value> {
    let raw = skopeo_raw(&format!("docker://{reg}/{repo}:{}", tag_of(subject)));
    json(&raw)["manifests"].as_array().unwrap().clone()
}

/// Everything of `s` is at `repo` (with the same digests).
fn assert_all_there(reg: &str, repo: &str, s: &Signed) {
    let at = |r: &str| format!("docker://{reg}/{repo}{r}");
    assert_eq!(sha256(&skopeo_raw(&at(":v1"))), s.image);
    assert_eq!(sha256(&skopeo_raw(&at(&format!(":{}.sig", s.tag)))), s.sig);
    assert_eq!(sha256(&skopeo_raw(&at(&format!("@{}", s.sbom)))), s.sbom);
    assert_eq!(
        sha256(&skopeo_raw(&at(&format!("@{}", s.sbom_sig)))),
        s.sbom_sig
    );
    let e = fallback_entries(reg, repo, &s.image);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["digest"], s.sbom.as_str());
    assert_eq!(e[0]["artifactType"], SPDX);
    let e = fallback_entries(reg, repo, &s.sbom);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["digest"], s.sbom_sig.as_str());
    assert_eq!(e[0]["artifactType"], SIG_TYPE);
    let blob = format!("/v2/{repo}/blobs/{}", s.spdx_blob);
    assert_eq!(registry_status(reg, "HEAD", &blob), 200, "{blob}");
}

#[test]
fn sync_mirrors_signatures_and_referrers_and_a_second_run_copies_nothing() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let repo = unique("ref/src");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let proxy = Counter::start(&reg);
    let dst_repo = unique("ref/dst");
    let src = format!("docker://{}/{repo}", proxy.addr);
    let dst = format!("docker://{}/{dst_repo}", proxy.addr);

    let digests = t.path().join("digests");
    let err = ok_stderr(
        sync_cmd()
            .arg("--digestfile")
            .arg(&digests)
            .args([&src, &dst]),
    );
    proxy.take();
    assert_all_there(&reg, &dst_repo, &s);
    // The tags written along with their image are reported copied, not
    // found unchanged when their own turn comes.
    assert!(err.contains("4 images: 4 copied, 0 unchanged"), "{err}");
    assert!(
        err.contains(&format!("{}.sig: copied {}", s.tag, s.sig)),
        "{err}"
    );
    let listed = fs::read_to_string(&digests).unwrap();
    assert_eq!(listed.lines().count(), 4, "{listed}");
    assert!(
        listed.contains(&format!(
            "{} docker://{}/{dst_repo}:{}.sig",
            s.sig, proxy.addr, s.tag
        )),
        "{listed}"
    );
    // Every tag of the source is at the destination, byte for byte.
    let src_tags = tags(&format!("docker://{reg}/{repo}"));
    assert_eq!(src_tags.len(), 4, "{src_tags:?}");
    assert_eq!(tags(&format!("docker://{reg}/{dst_repo}")), src_tags);
    for tag in &src_tags {
        assert_eq!(
            skopeo_raw(&format!("docker://{reg}/{dst_repo}:{tag}")),
            skopeo_raw(&format!("docker://{reg}/{repo}:{tag}")),
            "tag {tag}"
        );
    }

    // Second run: nothing uploaded, no manifest written or read.
    let err = ok_stderr(sync_cmd().args([&src, &dst]));
    assert!(err.contains("0 copied, 4 unchanged"), "{err}");
    let second = proxy.take();
    let writes: Vec<&String> = second
        .iter()
        .filter(|l| l.starts_with("PUT ") || l.starts_with("POST ") || l.starts_with("PATCH "))
        .collect();
    assert!(writes.is_empty(), "{second:#?}");
    let gets = second
        .iter()
        .filter(|l| l.starts_with("GET ") && (l.contains("/manifests/") || l.contains("/blobs/")))
        .count();
    assert_eq!(gets, 0, "{second:#?}");

    // Into a layout: the same tags, the referrers as index.json entries;
    // again, a second run finds everything unchanged.
    let dir = t.path().join("mirror");
    let lay = format!("oci:{}", dir.display());
    let err = ok_stderr(sync_cmd().args([&src, &lay]));
    assert!(err.contains("4 images: 4 copied, 0 unchanged"), "{err}");
    let refs = ok_str(lade().args(["ls-refs", "--store", dir.to_str().unwrap()]));
    // Named entries: the tags, each with its source digest; the referrers
    // come unnamed.
    let named: Vec<(String, String)> = refs
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .filter(|(n, _)| n != "-")
        .collect();
    let mut names: Vec<&String> = named.iter().map(|(n, _)| n).collect();
    names.sort();
    let mut want: Vec<&String> = src_tags.iter().collect();
    want.sort();
    assert_eq!(names, want, "{refs}");
    for (n, d) in &named {
        let src_raw = skopeo_raw(&format!("docker://{reg}/{repo}:{n}"));
        assert_eq!(&sha256(&src_raw), d, "{n}");
    }
    let index = String::from_utf8(fs::read(dir.join("index.json")).unwrap()).unwrap();
    assert!(
        index.contains(&s.sbom) && index.contains(&s.sbom_sig),
        "{index}"
    );
    let err = ok_stderr(sync_cmd().args([&src, &lay]));
    assert!(err.contains("0 copied, 4 unchanged, 0 failed"), "{err}");
    assert_eq!(
        ok_str(lade().args(["fsck", "--unreachable", "--store", dir.to_str().unwrap()])),
        ""
    );

    // And from the layout to another repository: the same bytes under
    // every tag (the tag-schema index carried, not remade), what the
    // digest file says is what the registry holds, and a second run
    // finds everything unchanged.
    let again = unique("ref/again");
    let dest = format!("docker://{reg}/{again}");
    let err = ok_stderr(
        sync_cmd()
            .arg("--digestfile")
            .arg(&digests)
            .args([&lay, &dest]),
    );
    assert!(err.contains("4 images: 4 copied, 0 unchanged"), "{err}");
    for line in fs::read_to_string(&digests).unwrap().lines() {
        let (d, name) = line.split_once(' ').unwrap();
        assert_eq!(sha256(&skopeo_raw(name)), d, "{line}");
    }
    for tag in &src_tags {
        assert_eq!(
            skopeo_raw(&format!("{dest}:{tag}")),
            skopeo_raw(&format!("docker://{reg}/{repo}:{tag}")),
            "tag {tag}"
        );
    }
    let err = ok_stderr(sync_cmd().args([&lay, &dest]));
    assert!(err.contains("0 copied, 4 unchanged, 0 failed"), "{err}");

    // A destination whose referrers index holds one more referrer than
    // the source's: merged, it is what was there, so it is unchanged, and
    // the extra referrer stays.
    let subject = json!({"mediaType": OCI_MANIFEST, "digest": s.image,
        "size": skopeo_raw(&format!("docker://{reg}/{dst_repo}@{}", s.image)).len()});
    let (extra, extra_desc) = push_referrer(
        &reg,
        &dst_repo,
        "application/vnd.example.note",
        "text/plain",
        b"only here",
        &subject,
    );
    let mut listed = fallback_entries(&reg, &dst_repo, &s.image);
    listed.push(extra_desc);
    push_fallback(&reg, &dst_repo, &s.image, &listed);
    for _ in 0..2 {
        let err = ok_stderr(sync_cmd().args([&src, &dst]));
        assert!(err.contains("0 copied, 4 unchanged, 0 failed"), "{err}");
    }
    let e = fallback_entries(&reg, &dst_repo, &s.image);
    assert!(e.iter().any(|d| d["digest"] == extra.as_str()), "{e:?}");
}

#[test]
fn layout_holds_referrers_and_gives_them_back() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let repo = unique("ref/lay");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let dir = t.path().join("layout");
    let lay = format!("oci:{}:v1", dir.display());
    let out = run(copy_cmd().args([
        "--with-referrers",
        "--progress=json",
        &format!("docker://{reg}/{repo}:v1"),
        &lay,
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    // Referrer blobs show in the JSON progress like any other blob.
    let events: Vec<Value> = out
        .stderr
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(json)
        .collect();
    let done = |d: &str| {
        events
            .iter()
            .find(|e| e["event"] == "blob_done" && e["digest"] == d)
            .unwrap_or_else(|| panic!("no blob_done for {d}: {events:#?}"))
            .clone()
    };
    assert_eq!(done(&s.spdx_blob)["bytes"], 52);
    let image_done: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "image_done")
        .collect();
    // Image blobs (config, 2 layers) and the attachments' (sig: 2; SBOM: 2; its signature: 1 new, the empty config shared).
    assert_eq!(image_done.len(), 1, "{events:#?}");
    assert_eq!(image_done[0]["blobs_copied"], 8, "{events:#?}");

    let index = json(&fs::read(dir.join("index.json")).unwrap());
    let entries = index["manifests"].as_array().unwrap();
    let find = |d: &str| entries.iter().find(|e| e["digest"] == d).cloned();
    let named = |e: &Value| e["annotations"]["org.opencontainers.image.ref.name"].clone();
    assert_eq!(named(&find(&s.image).unwrap()), "v1");
    assert_eq!(
        named(&find(&s.sig).unwrap()),
        format!("{}.sig", s.tag).as_str()
    );
    let sbom = find(&s.sbom).expect("the SBOM is listed in index.json");
    assert_eq!(named(&sbom), Value::Null);
    assert_eq!(sbom["artifactType"], SPDX);
    assert!(find(&s.sbom_sig).is_some(), "{index}");
    assert!(dir.join("blobs/sha256").join(&s.spdx_blob[7..]).is_file());
    // Nothing missing, nothing unreachable.
    let fsck = ok_str(lade().args(["fsck", "--unreachable", "--store", dir.to_str().unwrap()]));
    assert_eq!(fsck, "");
    // The layout's image still reads as the image.
    let raw = ok(lade().args(["inspect", "--raw", &lay]));
    assert_eq!(sha256(&raw), s.image);

    // And back to a registry (layout -> registry: referrers read from index.json).
    let back = unique("ref/back");
    ok(copy_cmd().args([
        "--with-referrers",
        &lay,
        &format!("docker://{reg}/{back}:v1"),
    ]));
    assert_all_there(&reg, &back, &s);
    // oras-style index written by lade: the referrers' own descriptors.
    let e = fallback_entries(&reg, &back, &s.image);
    assert_eq!(e[0]["mediaType"], OCI_MANIFEST);
    assert_eq!(
        e[0]["annotations"]["org.opencontainers.image.created"],
        "2024-01-01T00:00:00Z"
    );

    // A layout synced to a registry brings them too.
    let synced = unique("ref/lsync");
    ok(sync_cmd().args([
        &format!("oci:{}", dir.display()),
        &format!("docker://{reg}/{synced}"),
    ]));
    assert_all_there(&reg, &synced, &s);

    // du: what untag v1 and gc give back is v1's UNIQUE: the image and
    // the referrers without a name that go with it (the SBOM, its
    // signature), not the .sig tag nor the empty config they share.
    let store = dir.to_str().unwrap();
    let du = ok_str(lade().args(["du", "--store", store, "v1"]));
    let unique: u64 = du.split('\t').nth(3).unwrap().parse().unwrap();
    ok(lade().args(["untag", "--store", store, "v1"]));
    let gc = ok_str(lade().args(["gc", "--grace", "0", "--store", store]));
    let freed: Vec<(&str, u64)> = gc
        .lines()
        .map(|l| {
            let (d, n) = l.split_once('\t').unwrap();
            (d, n.parse().unwrap())
        })
        .collect();
    assert_eq!(freed.iter().map(|f| f.1).sum::<u64>(), unique, "{du}\n{gc}");
    for gone in [&s.image, &s.sbom, &s.sbom_sig, &s.spdx_blob] {
        assert!(freed.iter().any(|f| f.0 == gone.as_str()), "{gone}: {gc}");
    }
    assert!(!freed.iter().any(|f| f.0 == s.sig.as_str()), "{gc}");
}

#[test]
fn without_the_option_nothing_but_the_image() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let repo = unique("ref/off");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let src = format!("docker://{reg}/{repo}");

    let dir = t.path().join("plain");
    ok(copy_cmd().args([&format!("{src}:v1"), &format!("oci:{}:v1", dir.display())]));
    let index = json(&fs::read(dir.join("index.json")).unwrap());
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1, "{index}");
    assert!(!dir.join("blobs/sha256").join(&s.spdx_blob[7..]).exists());
    assert!(!dir.join("blobs/sha256").join(&s.sbom[7..]).exists());

    // Turned off for sync, or with skopeo's --remove-signatures.
    for flags in [
        &["--with-referrers=false"][..],
        &["--remove-signatures"],
        &["--remove-signatures", "--with-referrers=false"],
    ] {
        let flag = flags.join(" ");
        let off = unique("ref/offdst");
        ok(sync_cmd()
            .args(flags)
            .args([&src, &format!("docker://{reg}/{off}")]));
        assert_eq!(
            tags(&format!("docker://{reg}/{off}")),
            vec!["v1".to_string()],
            "{flag}"
        );
        let path = format!("/v2/{off}/manifests/{}", s.sbom);
        assert_eq!(registry_status(&reg, "HEAD", &path), 404, "{flag}");
    }
    // copy takes it too (what it does by default); asking for both is
    // a usage error.
    let dir2 = t.path().join("plain2");
    ok(copy_cmd().args([
        "--remove-signatures",
        &format!("{src}:v1"),
        &format!("oci:{}:v1", dir2.display()),
    ]));
    let index = json(&fs::read(dir2.join("index.json")).unwrap());
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1, "{index}");
    for cmd in [copy_cmd(), sync_cmd()] {
        let mut cmd = cmd;
        fails_with(
            cmd.args([
                "--remove-signatures",
                "--with-referrers",
                &format!("{src}:v1"),
                &format!("oci:{}:v1", dir2.display()),
            ]),
            2,
        );
    }

    // Asked for explicitly, a destination that cannot hold them is an error...
    let d = t.path().join("d");
    let err = fails_with(
        copy_cmd().args([
            "--with-referrers",
            &format!("{src}:v1"),
            &format!("dir:{}", d.display()),
        ]),
        2,
    );
    assert!(err.starts_with("lade: error: "), "{err}");
    assert!(err.contains("cannot hold signatures or referrers"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!d.join("manifest.json").exists());
    // Without the option, the same copy goes through.
    ok(copy_cmd().args([&format!("{src}:v1"), &format!("dir:{}", d.display())]));
    assert!(d.join("manifest.json").is_file());

    // sync into a dir: tree: asked for, refused once before anything;
    // by default, what is left out is said once and the images go.
    let tree = t.path().join("tree");
    for args in [
        vec!["--with-referrers".to_string(), src.clone()],
        vec![
            "--with-referrers".to_string(),
            "--src".into(),
            "docker".into(),
            "--dest".into(),
            "dir".into(),
            src.trim_start_matches("docker://").to_string(),
        ],
    ] {
        let mut c = sync_cmd();
        c.args(&args).arg(if args.len() > 2 {
            tree.display().to_string()
        } else {
            format!("dir:{}", tree.display())
        });
        let err = fails_with(&mut c, 2);
        assert!(err.contains("cannot hold signatures or referrers"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!tree.exists());
    }
    let err = ok_stderr(sync_cmd().args([&src, &format!("dir:{}", tree.display())]));
    assert!(
        err.contains("signature and referrers tags are left out")
            && err.contains("1 image: 1 copied"),
        "{err}"
    );
}

/// A sync file's repository synced where its signatures cannot go (a
/// dir: tree) or without them (--with-referrers=false): its signature
/// and referrers-index tags are no images of their own, and the first is
/// said (they could have gone but for the destination). Either way, and
/// when they go along (into a registry), the file naming two tags of the
/// repository and a regex over its tags lists it once (--debug's
/// requests).
#[test]
fn a_sync_file_lists_a_repository_once_and_leaves_attachment_tags_out() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let repo = unique("ref/file");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let od = t.path().join("other");
    let other = image(&od, "arm64", "v2", false, 8 * 1024);
    write_layout(&od, &[("v2", other.clone())]);
    push_layout(&reg, &od, &repo, "v2", &other);
    let yaml = t.path().join("sync.yaml");
    fs::write(
        &yaml,
        format!(
            "{reg}:\n  tls-verify: false\n  images:\n    {repo}: [v1, v2]\n  \
             images-by-tag-regex:\n    {repo}: ^v2$\n"
        ),
    )
    .unwrap();
    let note = "signature and referrers tags are left out";
    let tree = t.path().join("tree");
    let into_docker = format!("{reg}/{}", unique("ref/fileout"));
    let cases: [(&str, &[&str], &str, bool, bool); 3] = [
        ("dir", &[], tree.to_str().unwrap(), false, true),
        (
            "docker",
            &["--with-referrers=false"],
            &into_docker,
            false,
            false,
        ),
        ("docker", &[], &into_docker, true, false),
    ];
    for (dest, flags, to, attached, noted) in cases {
        let how = format!("--dest {dest} {}", flags.join(" "));
        let out = run(lade()
            .args(["--debug", "sync", "--dest-tls-verify=false", "-n"])
            .args(["--src", "yaml", "--dest", dest])
            .args(flags)
            .arg(&yaml)
            .arg(to));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{how}: {err}");
        let listings = err
            .lines()
            .filter(|l| {
                l.starts_with("lade: debug: GET ") && l.contains(&format!("/v2/{repo}/tags/list"))
            })
            .count();
        assert_eq!(listings, 1, "{how}: {err}");
        // (once, though the file names the repository twice)
        assert_eq!(err.matches(note).count(), noted as usize, "{how}: {err}");
        let plan = String::from_utf8_lossy(&out.stdout);
        let names: Vec<&str> = plan
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        for v in [":v1", ":v2"] {
            assert_eq!(
                names.iter().filter(|n| n.ends_with(v)).count(),
                1,
                "{how}: {plan}"
            );
        }
        let sig = format!(":{}.sig", s.tag);
        assert_eq!(
            names.iter().any(|n| n.ends_with(&sig)),
            attached,
            "{how}: {plan}"
        );
        if !attached {
            assert_eq!(names.len(), 2, "{how}: {plan}");
        }
    }
}

#[test]
fn a_corrupt_or_missing_referrer_blob_fails_and_leaves_nothing() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let repo = unique("ref/bad");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let dir = t.path().join("layout");
    ok(copy_cmd().args([
        "--with-referrers",
        &format!("docker://{reg}/{repo}:v1"),
        &format!("oci:{}:v1", dir.display()),
    ]));
    let blob = dir.join("blobs/sha256").join(&s.spdx_blob[7..]);
    let good = fs::read(&blob).unwrap();
    let mut bad = good.clone();
    bad[3] ^= 0xff;
    fs::write(&blob, &bad).unwrap();

    for case in ["corrupt", "missing"] {
        if case == "missing" {
            fs::remove_file(&blob).unwrap();
        }
        let out = t.path().join(format!("out-{case}"));
        let err = fails_with(
            lade().args([
                "copy",
                "-q",
                "--with-referrers",
                &format!("oci:{}:v1", dir.display()),
                &format!("oci:{}:v1", out.display()),
            ]),
            3,
        );
        assert!(err.starts_with("lade: error: "), "{case}: {err}");
        assert!(err.contains(&s.spdx_blob), "{case}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{case}: {err}");
        // No blob for it, no temp file, and no image named in the layout.
        let blobs = out.join("blobs/sha256");
        assert!(!blobs.join(&s.spdx_blob[7..]).exists(), "{case}");
        let leftovers: Vec<String> = fs::read_dir(&blobs)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "{case}: {leftovers:?}");
        if let Ok(index) = fs::read(out.join("index.json")) {
            assert_eq!(json(&index)["manifests"], json!([]), "{case}");
        }
    }

    // To a registry: the same failure, and neither the referrer nor the
    // image's tag is written (a tagged image without its attachments,
    // from a copy that failed).
    let dst = unique("ref/baddst");
    let err = fails_with(
        copy_cmd().args([
            "-q",
            "--with-referrers",
            &format!("oci:{}:v1", dir.display()),
            &format!("docker://{reg}/{dst}:v1"),
        ]),
        3,
    );
    assert!(err.starts_with("lade: error: "), "{err}");
    assert!(err.contains(&s.spdx_blob), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let path = format!("/v2/{dst}/manifests/{}", s.sbom);
    assert_eq!(registry_status(&reg, "HEAD", &path), 404);
    let path = format!("/v2/{dst}/manifests/v1");
    assert_eq!(registry_status(&reg, "HEAD", &path), 404);
}

/// A source registry with the OCI 1.1 referrers API (the test registry
/// has none: a proxy answers it from the registry's tag-schema indexes,
/// one referrer per page, and hides those indexes): referrers are found
/// through the API, following its pages, and arrive at a registry (in
/// the destination's own fallback indexes) and in a layout; sync does
/// the same.
#[test]
fn referrers_are_read_through_the_referrers_api_page_by_page() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let repo = unique("ref/api");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    // A second referrer of the image: its list takes two pages.
    let image_size = skopeo_raw(&format!("docker://{reg}/{repo}@{}", s.image)).len();
    let subject = json!({"mediaType": OCI_MANIFEST, "digest": s.image, "size": image_size});
    const ATT: &str = "application/vnd.example.attestation.v1+json";
    let (att, att_desc) = push_referrer(&reg, &repo, ATT, ATT, b"an attestation", &subject);
    let mut listed = fallback_entries(&reg, &repo, &s.image);
    listed.push(att_desc);
    push_fallback(&reg, &repo, &s.image, &listed);

    let api = Counter::with_referrers_api(&reg, 1);
    let src = format!("docker://{}/{repo}", api.addr);
    let dst_repo = unique("ref/apidst");
    ok(copy_cmd().args([
        "-q",
        "--with-referrers",
        &format!("{src}:v1"),
        &format!("docker://{reg}/{dst_repo}:v1"),
    ]));
    let log = api.take();
    let pages: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with(&format!("GET /v2/{repo}/referrers/{}", s.image)))
        .collect();
    assert_eq!(pages.len(), 2, "{log:#?}");
    assert!(pages[1].ends_with("?page=1"), "{log:#?}");
    // The fallback index was never asked for: the API answered.
    let fallback = format!("/manifests/{}", s.tag);
    assert!(!log.iter().any(|l| l.ends_with(&fallback)), "{log:#?}");
    // Everything arrived, byte for byte, and the destination (no API)
    // lists the image's two referrers in its own fallback index.
    let at = |r: &str| format!("docker://{reg}/{dst_repo}{r}");
    for d in [&s.image, &s.sbom, &s.sbom_sig, &att] {
        assert_eq!(&sha256(&skopeo_raw(&at(&format!("@{d}")))), d);
    }
    assert_eq!(sha256(&skopeo_raw(&at(&format!(":{}.sig", s.tag)))), s.sig);
    let mut e: Vec<(String, String)> = fallback_entries(&reg, &dst_repo, &s.image)
        .iter()
        .map(|e| {
            (
                e["digest"].as_str().unwrap().to_string(),
                e["artifactType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    e.sort();
    let mut want = vec![
        (s.sbom.clone(), SPDX.to_string()),
        (att.clone(), ATT.to_string()),
    ];
    want.sort();
    assert_eq!(e, want);
    let e = fallback_entries(&reg, &dst_repo, &s.sbom);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["digest"], s.sbom_sig.as_str());

    // Into a layout: the referrers as index.json entries.
    let dir = t.path().join("layout");
    ok(copy_cmd().args([
        "-q",
        "--with-referrers",
        &format!("{src}:v1"),
        &format!("oci:{}:v1", dir.display()),
    ]));
    let index = json(&fs::read(dir.join("index.json")).unwrap());
    let digests: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["digest"].as_str().unwrap())
        .collect();
    for d in [&s.image, &s.sig, &s.sbom, &s.sbom_sig, &att] {
        assert!(digests.contains(&d.as_str()), "{d}: {index:#}");
    }

    // sync through the API: the same, and the source's tag list (the
    // proxy leaves the fallback tags out) has v1 and the cosign tag.
    let synced = unique("ref/apisync");
    ok(sync_cmd().args(["-q", &src, &format!("docker://{reg}/{synced}")]));
    assert_eq!(tags(&format!("docker://{reg}/{synced}")), {
        let mut t = vec![
            "v1".to_string(),
            format!("{}.sig", s.tag),
            s.tag.clone(),
            s.sbom.replace(':', "-"),
        ];
        t.sort();
        t
    });
    for d in [&s.sbom, &s.sbom_sig, &att] {
        let raw = skopeo_raw(&format!("docker://{reg}/{synced}@{d}"));
        assert_eq!(&sha256(&raw), d);
    }
}

/// An image synced changed (another --format: a new digest) leaves its
/// signature and referrers-index tags out, rather than writing tags that
/// point at a digest the destination does not have. Attachment tags of
/// what the sync does not write (an old, untagged image; a referrer) are
/// mirrored as any tag.
#[test]
fn signatures_of_an_image_written_changed_are_left_out() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let repo = unique("ref/chg");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    // An older image, by digest only, with a signature of its own.
    let old_dir = t.path().join("old");
    let old = image(&old_dir, "amd64", "old", false, 4096);
    let old_digest = old["digest"].as_str().unwrap().to_string();
    push_layout(&reg, &old_dir, &repo, &old_digest, &old);
    let sig_bytes = skopeo_raw(&format!("docker://{reg}/{repo}:{}.sig", s.tag));
    let old_sig = format!("{}.sig", tag_of(&old_digest));
    registry_put_manifest(&reg, &repo, &old_sig, OCI_MANIFEST, &sig_bytes);

    let dst = unique("ref/chgdst");
    let err = ok_stderr(sync_cmd().args([
        "--format",
        "v2s2",
        &format!("docker://{reg}/{repo}"),
        &format!("docker://{reg}/{dst}"),
    ]));
    assert!(
        err.contains("5 images: 3 copied, 0 unchanged, 0 failed, 2 left out"),
        "{err}"
    );
    let v1 = json(&skopeo_raw(&format!("docker://{reg}/{dst}:v1")));
    assert_eq!(v1["mediaType"], DOCKER_MANIFEST);
    let written = sha256(&skopeo_raw(&format!("docker://{reg}/{dst}:v1")));
    assert!(
        err.contains(&format!(
            "{}.sig: left out: its image {} was written changed, as {written}",
            s.tag, s.image
        )),
        "{err}"
    );
    // The image's cosign and referrers-index tags are left out; the SBOM's
    // referrers index (its subject is not an image of this sync) goes as
    // any tag, like the old image's signature.
    assert!(
        err.contains(&format!("{}: left out: its image {}", s.tag, s.image)),
        "{err}"
    );
    let mut want = vec!["v1".to_string(), old_sig.clone(), tag_of(&s.sbom)];
    want.sort();
    assert_eq!(tags(&format!("docker://{reg}/{dst}")), want);
    assert_eq!(
        skopeo_raw(&format!("docker://{reg}/{dst}:{old_sig}")),
        sig_bytes
    );
    // copy --with-referrers of the same: the image goes, its attachments
    // do not, and it says so (even with -q).
    let one = unique("ref/chgcopy");
    let err = ok_stderr(lade().args([
        "copy",
        "-q",
        "--with-referrers",
        "--format",
        "v2s2",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{reg}/{repo}:v1"),
        &format!("docker://{reg}/{one}:v1"),
    ]));
    assert!(
        err.starts_with("lade: warning: ")
            && err.contains(&format!(
                "attachments (signatures, referrers) of {} are left out",
                s.image
            )),
        "{err}"
    );
    assert_eq!(
        tags(&format!("docker://{reg}/{one}")),
        vec!["v1".to_string()]
    );
}

/// A sync that picks images (--tag-regex, a named tag) takes the
/// signature and referrers-index tags of the images it picks, reports
/// them, and brings the ones added later; those of other images stay.
#[test]
fn picked_images_bring_their_attachments_now_and_later() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    type Pick = fn(&str) -> Vec<String>;
    let picks: [(&str, Pick); 2] = [
        ("regex", |src| {
            vec!["--tag-regex".into(), "^v1$".into(), src.into()]
        }),
        ("named", |src| vec![format!("{src}:v1")]),
    ];
    for (how, pick) in picks {
        let repo = unique("ref/pick");
        let s = signed_image(&reg, &repo, &t.path().join(how));
        // Another image, signed too, that the pick does not take.
        let od = t.path().join(format!("{how}-other"));
        let other = image(&od, "arm64", "v2", false, 8 * 1024);
        write_layout(&od, &[("v2", other.clone())]);
        push_layout(&reg, &od, &repo, "v2", &other);
        let other_sig = format!("{}.sig", tag_of(other["digest"].as_str().unwrap()));
        let sig_bytes = skopeo_raw(&format!("docker://{reg}/{repo}:{}.sig", s.tag));
        registry_put_manifest(&reg, &repo, &other_sig, OCI_MANIFEST, &sig_bytes);

        let args = pick(&format!("docker://{reg}/{repo}"));
        let dst_repo = unique("ref/picked");
        let dst = format!("docker://{reg}/{dst_repo}");
        let digests = t.path().join(format!("{how}.digests"));
        let err = ok_stderr(
            sync_cmd()
                .arg("--digestfile")
                .arg(&digests)
                .args(&args)
                .arg(&dst),
        );
        // v1, its .sig and its sha256-HEX index (the SBOM's own index
        // comes along unlisted: it belongs to a referrer).
        assert!(
            err.contains("3 images: 3 copied, 0 unchanged"),
            "{how}: {err}"
        );
        assert!(
            err.contains(&format!("{}.sig: copied {}", s.tag, s.sig)),
            "{how}: {err}"
        );
        let listed = fs::read_to_string(&digests).unwrap();
        assert_eq!(listed.lines().count(), 3, "{how}: {listed}");
        assert_all_there(&reg, &dst_repo, &s);
        let there = tags(&dst);
        assert!(
            !there.contains(&"v2".to_string()) && !there.contains(&other_sig),
            "{how}: {there:?}"
        );
        // An attestation added to the source later arrives with the next
        // run; the rest is unchanged.
        let att = format!("{}.att", s.tag);
        registry_put_manifest(&reg, &repo, &att, OCI_MANIFEST, &sig_bytes);
        let err = ok_stderr(sync_cmd().args(&args).arg(&dst));
        assert!(
            err.contains("4 images: 1 copied, 3 unchanged"),
            "{how}: {err}"
        );
        assert!(tags(&dst).contains(&att), "{how}");

        if how != "named" {
            continue;
        }
        // The many-repository form: a YAML list naming v1 and, after it,
        // the other image's signature takes both; into a dir: tree, v1
        // alone (its signatures cannot go there).
        let yaml = t.path().join("pick.yaml");
        fs::write(
            &yaml,
            format!("{reg}:\n  tls-verify: false\n  images:\n    {repo}:\n      - v1\n      - {other_sig}\n"),
        )
        .unwrap();
        let ns = unique("ref/yaml");
        let err = ok_stderr(lade().args([
            "sync",
            "--dest-tls-verify=false",
            "--src",
            "yaml",
            yaml.to_str().unwrap(),
            "--dest",
            "docker",
            &format!("{reg}/{ns}"),
        ]));
        let last = repo.rsplit('/').next().unwrap();
        let there = tags(&format!("docker://{reg}/{ns}/{last}"));
        assert!(there.contains(&other_sig), "{err}\n{there:?}");
        let tree = t.path().join("pick-tree");
        let err = ok_stderr(lade().args([
            "sync",
            "--src-tls-verify=false",
            "--src",
            "docker",
            "--dest",
            "dir",
            &format!("{reg}/{repo}:v1"),
            tree.to_str().unwrap(),
        ]));
        assert!(
            err.contains("1 image: 1 copied") && err.contains("are left out"),
            "{err}"
        );
    }
}

/// A picked index brings the signatures of its images too, now and on
/// later runs (its images are not tags of their own).
#[test]
fn a_picked_index_brings_its_images_signatures() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let repo = unique("ref/pickidx");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let dir = t.path().join("idx");
    let idx = index(&dir, &["amd64", "arm64"], "multi", false);
    write_layout(&dir, &[("multi", idx.clone())]);
    push_layout(&reg, &dir, &repo, "multi", &idx);
    let raw: Value = json(&skopeo_raw(&format!("docker://{reg}/{repo}:multi")));
    let child = raw["manifests"][0]["digest"].as_str().unwrap().to_string();
    let sig_bytes = skopeo_raw(&format!("docker://{reg}/{repo}:{}.sig", s.tag));
    let child_sig = format!("{}.sig", tag_of(&child));
    registry_put_manifest(&reg, &repo, &child_sig, OCI_MANIFEST, &sig_bytes);

    let dst = format!("docker://{reg}/{}", unique("ref/pickedidx"));
    let src = format!("docker://{reg}/{repo}");
    let err = ok_stderr(sync_cmd().args(["--tag-regex", "^multi$", &src, &dst]));
    assert!(err.contains("2 images: 2 copied, 0 unchanged"), "{err}");
    assert!(err.contains(&format!("{child_sig}: copied")), "{err}");
    let there = tags(&dst);
    assert!(
        there.contains(&child_sig) && !there.contains(&"v1".to_string()),
        "{there:?}"
    );
    // An attestation of that image added later arrives with the next run.
    let child_att = format!("{}.att", tag_of(&child));
    registry_put_manifest(&reg, &repo, &child_att, OCI_MANIFEST, &sig_bytes);
    let err = ok_stderr(sync_cmd().args(["--tag-regex", "^multi$", &src, &dst]));
    assert!(err.contains("3 images: 1 copied, 2 unchanged"), "{err}");
    assert!(tags(&dst).contains(&child_att));

    // The index copied whole but its images converted: the image's
    // signature cannot go (it signs another digest), and that is said, as
    // it is for the index's own.
    let one = unique("ref/pickedconv");
    let err = ok_stderr(lade().args([
        "copy",
        "-q",
        "--all",
        "--with-referrers",
        "--format",
        "v2s2",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("{src}:multi"),
        &format!("docker://{reg}/{one}:multi"),
    ]));
    assert!(
        err.contains(&format!(
            "attachments (signatures, referrers) of {child}, an image of the index, are left out"
        )),
        "{err}"
    );
    assert_eq!(
        tags(&format!("docker://{reg}/{one}")),
        vec!["multi".to_string()]
    );
    // One image taken out of a signed index: the image's signature goes
    // with it; the index's is left out, and the warning says what takes
    // it along.
    let index_digest = sha256(&skopeo_raw(&format!("docker://{reg}/{repo}:multi")));
    let index_sig = format!("{}.sig", tag_of(&index_digest));
    registry_put_manifest(&reg, &repo, &index_sig, OCI_MANIFEST, &sig_bytes);
    let err = ok_stderr(lade().args([
        "copy",
        "-q",
        "--with-referrers",
        "--override-arch",
        "amd64",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("{src}:multi"),
        &format!("docker://{reg}/{one}:amd"),
    ]));
    assert!(
        err.contains(&format!(
            "of {index_digest} are left out: one image was copied out of the index (copy the \
             index whole, --all, to take them along)"
        )),
        "{err}"
    );
    assert!(tags(&format!("docker://{reg}/{one}")).contains(&child_sig));
}

/// An attachment that does not read — a referrer whose own subject digest
/// is no digest, listed beside a good one in the tag-schema index, and a
/// cosign `.att` tag holding something that is not a manifest — is left
/// out with a warning; the image and its good attachments arrive, and a
/// second sync has nothing to do.
#[test]
fn an_attachment_that_does_not_read_is_left_out() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let repo = unique("refs/junk");
    let s = signed_image(&reg, &repo, &t.path().join("l"));
    // A referrer whose subject names no digest (the registry takes it),
    // added to the image's tag-schema index beside the SBOM.
    let empty = registry_put_blob(&reg, &repo, b"{}");
    let junk = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIG_TYPE,
        "config": {"mediaType": EMPTY, "digest": empty, "size": 2},
        "layers": [],
        "subject": {"mediaType": OCI_MANIFEST, "digest": "sha256:NOTHEX", "size": 1},
    }))
    .unwrap();
    let junk_d = registry_put_manifest(&reg, &repo, &sha256(&junk), OCI_MANIFEST, &junk);
    let mut entries = fallback_entries(&reg, &repo, &s.image);
    entries.push(
        json!({"mediaType": OCI_MANIFEST, "digest": junk_d, "size": junk.len(),
                        "artifactType": SIG_TYPE}),
    );
    push_fallback(&reg, &repo, &s.image, &entries);
    // A cosign .att tag: an index naming the SBOM's manifest with a wrong
    // size (the registry takes it).
    let att = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": s.sbom, "size": 7}],
    }))
    .unwrap();
    registry_put_manifest(&reg, &repo, &format!("{}.att", s.tag), OCI_INDEX, &att);
    let mirror = unique("refs/junk-mirror");
    let out = run(sync_cmd().args([
        &format!("docker://{reg}/{repo}"),
        &format!("docker://{reg}/{mirror}"),
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("referrer {junk_d} of {} is left out", s.image)),
        "{err}"
    );
    assert!(
        err.contains(&format!("tag {}.att is left out", s.tag)),
        "{err}"
    );
    // Said once: by the image's copy, not again as an item of its own.
    assert_eq!(err.matches(&format!("{}.att", s.tag)).count(), 1, "{err}");
    // The image, its signature, the SBOM and its signature are there; the
    // mirror's tag-schema index lists the SBOM alone.
    let at = |r: &str| format!("docker://{reg}/{mirror}{r}");
    assert_eq!(sha256(&skopeo_raw(&at(":v1"))), s.image);
    assert_eq!(sha256(&skopeo_raw(&at(&format!(":{}.sig", s.tag)))), s.sig);
    assert_eq!(
        sha256(&skopeo_raw(&at(&format!("@{}", s.sbom_sig)))),
        s.sbom_sig
    );
    let e = fallback_entries(&reg, &mirror, &s.image);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["digest"], s.sbom.as_str());
    let again = ok_stderr(sync_cmd().args([
        &format!("docker://{reg}/{repo}"),
        &format!("docker://{reg}/{mirror}"),
    ]));
    assert!(again.contains("0 copied"), "{again}");

    // In a layout, a cosign .att entry naming a blob that is no manifest
    // (the image's config): left out of a sync from it, the rest goes.
    let lay = t.path().join("lay");
    ok(sync_cmd().args([
        &format!("docker://{reg}/{mirror}"),
        &format!("oci:{}", lay.display()),
    ]));
    let index_path = lay.join("index.json");
    let mut index = json(&fs::read(&index_path).unwrap());
    let m = json(&fs::read(lay.join("blobs/sha256").join(&s.image[7..])).unwrap());
    let att = format!("{}.att", s.tag);
    index["manifests"].as_array_mut().unwrap().push(json!({
        "mediaType": OCI_MANIFEST, "digest": m["config"]["digest"], "size": m["config"]["size"],
        "annotations": {"org.opencontainers.image.ref.name": att},
    }));
    fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let back = unique("refs/junk-back");
    let out = run(sync_cmd().args([
        &format!("oci:{}", lay.display()),
        &format!("docker://{reg}/{back}"),
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("tag {att} is left out")), "{err}");
    assert_eq!(err.matches(&att).count(), 1, "{err}");
    let at = |r: &str| format!("docker://{reg}/{back}{r}");
    assert_eq!(sha256(&skopeo_raw(&at(":v1"))), s.image);
    assert_eq!(sha256(&skopeo_raw(&at(&format!(":{}.sig", s.tag)))), s.sig);
    assert!(!tags(&format!("docker://{reg}/{back}")).contains(&att));
}

/// A layout's referrers are entries without a name, not tags that sync
/// copies as it copies a registry's: new ones of an image already at the
/// destination arrive on the next sync all the same (the image is copied
/// again to find them), and a run with nothing new says it is unchanged.
#[test]
fn new_referrers_in_a_layout_reach_an_image_already_synced() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let repo = unique("ref/newlay");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let dir = t.path().join("layout");
    let lay = format!("oci:{}:v1", dir.display());
    let from = format!("docker://{reg}/{repo}:v1");
    ok(copy_cmd().args(["-q", "--with-referrers", &from, &lay]));
    let dst = unique("ref/newdst");
    let to = format!("docker://{reg}/{dst}");
    let layout = format!("oci:{}", dir.display());
    ok(sync_cmd().args(["-q", &layout, &to]));
    assert_all_there(&reg, &dst, &s);
    let err = ok_stderr(sync_cmd().args([&layout, &to]));
    assert!(err.contains(": 0 copied, 2 unchanged"), "{err}");

    // A new referrer of the image, into the layout.
    let raw = skopeo_raw(&from);
    let subject = json!({"mediaType": OCI_MANIFEST, "digest": s.image, "size": raw.len()});
    let vex_type = "application/vnd.example.vex";
    let (vex, vex_desc) = push_referrer(&reg, &repo, vex_type, vex_type, b"vex", &subject);
    let mut listed = fallback_entries(&reg, &repo, &s.image);
    listed.push(vex_desc);
    push_fallback(&reg, &repo, &s.image, &listed);
    ok(copy_cmd().args(["-q", "--with-referrers", &from, &lay]));

    let err = ok_stderr(sync_cmd().args([&layout, &to]));
    assert!(err.contains(": 1 copied, 1 unchanged"), "{err}");
    let there: Vec<Value> = fallback_entries(&reg, &dst, &s.image)
        .iter()
        .map(|e| e["digest"].clone())
        .collect();
    assert!(
        there.contains(&json!(vex)) && there.contains(&json!(s.sbom)),
        "{there:?}"
    );
    let err = ok_stderr(sync_cmd().args([&layout, &to]));
    assert!(err.contains(": 0 copied, 2 unchanged"), "{err}");
}

/// An oci-archive is a layout in a tar: it holds the signature tag and
/// the referrers (entries without a name) as a layout does, and gives them
/// back to copy and sync, which found none in it before.
#[test]
fn an_oci_archive_holds_referrers_and_gives_them_back() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") || !require_tool("tar") {
        return;
    }
    let t = tempdir();
    let repo = unique("ref/arch");
    let s = signed_image(&reg, &repo, &t.path().join("src"));
    let tar = t.path().join("signed.tar");
    let arch = format!("oci-archive:{}", tar.display());
    ok(copy_cmd().args([
        "-q",
        "--with-referrers",
        &format!("docker://{reg}/{repo}:v1"),
        &format!("{arch}:v1"),
    ]));

    // What the archive holds, as a layout: the image and the .sig by name,
    // the SBOM and its signature without one, nothing missing.
    let dir = t.path().join("unpacked");
    fs::create_dir(&dir).unwrap();
    ok(Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&dir));
    let index = json(&fs::read(dir.join("index.json")).unwrap());
    let entries = index["manifests"].as_array().unwrap();
    let name_of = |d: &str| {
        let e = entries.iter().find(|e| e["digest"] == d);
        let e = e.unwrap_or_else(|| panic!("{d} not in {index}"));
        e["annotations"]["org.opencontainers.image.ref.name"].clone()
    };
    assert_eq!(name_of(&s.image), "v1");
    assert_eq!(name_of(&s.sig), format!("{}.sig", s.tag).as_str());
    assert_eq!(name_of(&s.sbom), Value::Null);
    assert_eq!(name_of(&s.sbom_sig), Value::Null);
    let fsck = ok_str(lade().args(["fsck", "--unreachable", "--store", dir.to_str().unwrap()]));
    assert_eq!(fsck, "");

    // Back into a registry, by copy and by sync.
    let back = unique("ref/arch-back");
    ok(copy_cmd().args([
        "-q",
        "--with-referrers",
        &format!("{arch}:v1"),
        &format!("docker://{reg}/{back}:v1"),
    ]));
    assert_all_there(&reg, &back, &s);
    let synced = unique("ref/arch-sync");
    let dst = format!("docker://{reg}/{synced}");
    ok(sync_cmd().args(["-q", &arch, &dst]));
    assert_all_there(&reg, &synced, &s);
    let o = run(sync_cmd().args([&arch, &dst]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("0 copied, 2 unchanged"), "{err}");
    // And into a layout, by sync.
    let lay = t.path().join("lay");
    ok(sync_cmd().args([&arch, &format!("oci:{}", lay.display())]));
    let fsck = ok_str(lade().args(["fsck", "--unreachable", "--store", lay.to_str().unwrap()]));
    assert_eq!(fsck, "");
    let refs = ok_str(lade().args(["ls-refs", "--store", lay.to_str().unwrap()]));
    for d in [&s.image, &s.sig, &s.sbom, &s.sbom_sig] {
        assert!(refs.contains(d.as_str()), "{d} not in {refs}");
    }
}

/// A source that lists ever more attachments (50 referrers of the image,
/// 50 of each of those: 2550) fails the copy once 2000 have been taken,
/// in one line, with nothing named at the destination; the image copies
/// without them. (A hostile registry answering 20 new referrers for each
/// digest asked would otherwise keep a copy going for days.)
#[test]
fn endless_referrers_fail_the_copy_instead_of_going_on() {
    let t = tempdir();
    let dir = t.path().join("src");
    let img = image(&dir, "amd64", "v1", false, 1024);
    let (empty, empty_size) = put_blob(&dir, b"{}");
    let referrer = |subject: &Value, n: usize| -> Value {
        let bytes = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.example.note",
            "config": {"mediaType": EMPTY, "digest": empty, "size": empty_size},
            "layers": [],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject["digest"],
                        "size": subject["size"]},
            "annotations": {"n": n.to_string()},
        }))
        .unwrap();
        let (d, s) = put_blob(&dir, &bytes);
        json!({"mediaType": OCI_MANIFEST, "digest": d, "size": s})
    };
    let mut entries = vec![{
        let mut d = img.clone();
        d.as_object_mut().unwrap().remove("platform");
        d["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
        d
    }];
    for i in 0..50 {
        let r = referrer(&img, i);
        for j in 0..50 {
            entries.push(referrer(&r, 1000 + i * 50 + j));
        }
        entries.push(r);
    }
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": entries})).unwrap(),
    )
    .unwrap();
    let src = format!("oci:{}:v1", dir.display());
    let out = t.path().join("out");
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            "--with-referrers",
            &src,
            &format!("oci:{}:v1", out.display()),
        ]),
        3,
    );
    assert!(
        err.contains("more than 2000 signatures and referrers"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    if let Ok(index) = fs::read(out.join("index.json")) {
        assert_eq!(json(&index)["manifests"], json!([]));
    }
    // Without them, the image alone.
    ok(lade().args(["copy", "-q", &src, &format!("oci:{}:v1", out.display())]));
    let index = json(&fs::read(out.join("index.json")).unwrap());
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1, "{index}");
}

/// A signature cosign wrote as a Docker manifest (COSIGN_DOCKER_MEDIA_TYPES)
/// goes into an oci-archive as it is, and comes back: an archive holds
/// OCI images only, but attachments are kept byte for byte, whatever
/// their type.
#[test]
fn a_docker_typed_signature_goes_through_an_oci_archive() {
    let t = tempdir();
    let dir = t.path().join("src");
    let img = image(&dir, "amd64", "v1", false, 1024);
    let (payload, payload_size) = put_blob(&dir, b"{\"critical\":{}}");
    let (config, config_size) = put_blob(&dir, b"{\"architecture\":\"\",\"os\":\"\"}");
    let sig_bytes = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "digest": config, "size": config_size},
        "layers": [{"mediaType": SIMPLESIGNING, "digest": payload, "size": payload_size}],
    }))
    .unwrap();
    let (sig, sig_size) = put_blob(&dir, &sig_bytes);
    let tag = format!("{}.sig", tag_of(img["digest"].as_str().unwrap()));
    let sig_desc = json!({"mediaType": DOCKER_MANIFEST, "digest": sig, "size": sig_size});
    write_layout(&dir, &[("v1", img.clone()), (tag.as_str(), sig_desc)]);
    let tar = t.path().join("a.tar");
    ok(lade().args([
        "copy",
        "-q",
        "--with-referrers",
        &format!("oci:{}:v1", dir.display()),
        &format!("oci-archive:{}:v1", tar.display()),
    ]));
    let back = t.path().join("back");
    ok(lade().args([
        "copy",
        "-q",
        "--with-referrers",
        &format!("oci-archive:{}:v1", tar.display()),
        &format!("oci:{}:v1", back.display()),
    ]));
    let refs = ok_str(lade().args(["ls-refs", "--store", back.to_str().unwrap()]));
    assert!(
        refs.contains(&format!("{tag}\t{sig}\t{DOCKER_MANIFEST}")),
        "{refs}"
    );
}

/// Into a layout, which indexes referrers itself (no tag-schema index), a
/// new referrer whose blobs the layout has already (an empty config, no
/// layers) is a change too: the image is said copied, not unchanged.
#[test]
fn a_new_referrer_into_a_layout_is_said_copied() {
    let t = tempdir();
    let dir = t.path().join("src");
    let img = image(&dir, "amd64", "v1", false, 1024);
    let (empty, empty_size) = put_blob(&dir, b"{}");
    let referrer = |n: usize| -> Value {
        let bytes = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.example.note",
            "config": {"mediaType": EMPTY, "digest": empty, "size": empty_size},
            "layers": [],
            "subject": {"mediaType": OCI_MANIFEST, "digest": img["digest"], "size": img["size"]},
            "annotations": {"n": n.to_string()},
        }))
        .unwrap();
        let (d, s) = put_blob(&dir, &bytes);
        json!({"mediaType": OCI_MANIFEST, "digest": d, "size": s})
    };
    let named = {
        let mut d = img.clone();
        d.as_object_mut().unwrap().remove("platform");
        d["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
        d
    };
    let write = |entries: Vec<Value>| {
        fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let index = json!({"schemaVersion": 2, "manifests": entries});
        fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    };
    let (r1, r2) = (referrer(1), referrer(2));
    write(vec![named.clone(), r1.clone()]);
    let src = format!("oci:{}", dir.display());
    let dst = format!("oci:{}", t.path().join("dst").display());
    let sync = || ok_stderr(lade().args(["sync", &src, &dst]));
    assert!(sync().contains("1 copied, 0 unchanged"));
    assert!(sync().contains("0 copied, 1 unchanged"));
    write(vec![named, r1, r2.clone()]);
    let err = sync();
    assert!(err.contains("1 copied, 0 unchanged"), "{err}");
    let refs = ok_str(lade().args(["ls-refs", "--store", t.path().join("dst").to_str().unwrap()]));
    assert!(refs.contains(r2["digest"].as_str().unwrap()), "{refs}");
    assert!(sync().contains("0 copied, 1 unchanged"));
}

/// A listing is the registry's word, a referrer's subject is its own: a
/// manifest listed for the image whose subject is another image, and the
/// image listed as its own referrer, are left out with a warning (they
/// once arrived as the image's signatures); what is kept is described by
/// its own bytes (the artifact type the listing gives is not taken).
#[test]
fn a_listed_manifest_that_is_not_the_images_referrer_is_left_out() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let repo = unique("refs/foreign");
    let s = signed_image(&reg, &repo, &t.path().join("l"));
    let other = image(&t.path().join("o"), "arm64", "other", false, 4096);
    write_layout(&t.path().join("o"), &[("other", other.clone())]);
    push_layout(&reg, &t.path().join("o"), &repo, "other", &other);
    let other_d = other["digest"].as_str().unwrap().to_string();
    let other_subject =
        json!({"mediaType": OCI_MANIFEST, "digest": other_d, "size": other["size"]});
    let (foreign, foreign_desc) = push_referrer(
        &reg,
        &repo,
        SIG_TYPE,
        SIG_TYPE,
        b"not yours",
        &other_subject,
    );
    let mut entries = fallback_entries(&reg, &repo, &s.image);
    // The SBOM, said to be a signature by the listing.
    entries[0]["artifactType"] = SIMPLESIGNING.into();
    entries.push(foreign_desc);
    let image_size = skopeo_raw(&format!("docker://{reg}/{repo}:v1")).len();
    entries.push(
        json!({"mediaType": OCI_MANIFEST, "digest": s.image, "size": image_size,
                        "artifactType": SIMPLESIGNING}),
    );
    push_fallback(&reg, &repo, &s.image, &entries);

    let lay = t.path().join("lay");
    let out = run(copy_cmd().args([
        "--with-referrers",
        &format!("docker://{reg}/{repo}:v1"),
        &format!("oci:{}:v1", lay.display()),
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "referrer {foreign} of {} is left out: its subject is {other_d}, not {}",
            s.image, s.image
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "referrer {} of {} is left out: it has no subject",
            s.image, s.image
        )),
        "{err}"
    );
    // The layout: the image (named once), its cosign tag, the SBOM and
    // its signature as unnamed entries, nothing else; the SBOM described
    // as what it is.
    let index = json(&fs::read(lay.join("index.json")).unwrap());
    let m = index["manifests"].as_array().unwrap();
    let digests: Vec<&str> = m.iter().map(|e| e["digest"].as_str().unwrap()).collect();
    assert_eq!(digests.len(), 4, "{index}");
    assert_eq!(
        digests.iter().filter(|d| **d == s.image).count(),
        1,
        "{index}"
    );
    assert!(!digests.contains(&foreign.as_str()), "{index}");
    let sbom = m.iter().find(|e| e["digest"] == s.sbom.as_str()).unwrap();
    assert_eq!(sbom["artifactType"], SPDX, "{index}");
    assert!(!lay.join("blobs/sha256").join(&foreign[7..]).exists());

    // The same through sync, registry to registry.
    let mirror = unique("refs/foreign-mirror");
    let out = run(sync_cmd().args([
        &format!("docker://{reg}/{repo}"),
        &format!("docker://{reg}/{mirror}"),
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("referrer {foreign} of")), "{err}");
    let e = fallback_entries(&reg, &mirror, &s.image);
    let listed: Vec<&str> = e.iter().map(|e| e["digest"].as_str().unwrap()).collect();
    assert_eq!(listed, [s.sbom.as_str()], "{e:?}");
    let status = registry_status(&reg, "HEAD", &format!("/v2/{mirror}/manifests/{foreign}"));
    assert_eq!(status, 404);
}

/// An index of `entries` in layout `dir`; returns its descriptor.
fn index_in(dir: &Path, entries: Vec<Value>) -> Value {
    let bytes = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}),
    )
    .unwrap();
    let (d, s) = put_blob(dir, &bytes);
    json!({"mediaType": OCI_INDEX, "digest": d, "size": s})
}

/// Attachments inside a tree of nested indexes (top [child [grand
/// [ppc64le], arm64], s390x]): a cosign `.sig` tag and an SBOM referrer
/// (in the `sha256-<hex>` fallback index) of the ppc64le image, which the
/// grandchild index lists, and of the child index itself. `copy --all
/// --with-referrers` takes every one of them, as it takes those of a
/// flat index's entries: registry to registry, into a layout (signature
/// refs, referrers as unnamed entries) and from it back to a registry;
/// and `sync` of the index's tag alone brings them too (skopeo 1.9 copies
/// no referrers, and fails on nested indexes).
#[test]
fn attachments_inside_nested_indexes_travel_with_the_tree() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let dir = t.path().join("src");
    let ppc = image(&dir, "ppc64le", "n", false, 4096);
    let arm = image(&dir, "arm64", "n", false, 4096);
    let s390x = image(&dir, "s390x", "n", false, 4096);
    let grand = index_in(&dir, vec![ppc.clone()]);
    let child = index_in(&dir, vec![grand.clone(), arm]);
    let top = index_in(&dir, vec![child.clone(), s390x]);
    write_layout(&dir, &[("1", top.clone())]);
    let repo = unique("ref/nest");
    ok(copy_cmd().args([
        "-q",
        "--all",
        &format!("oci:{}:1", dir.display()),
        &format!("docker://{reg}/{repo}:1"),
    ]));
    // (subject, its signature, its SBOM referrer)
    let attached: Vec<(String, String, String)> = [&ppc, &child]
        .iter()
        .map(|subject| {
            let d = subject["digest"].as_str().unwrap().to_string();
            let sig = push_sig(&reg, &repo, &d);
            let s = json!({"mediaType": subject["mediaType"], "digest": d,
                           "size": subject["size"]});
            let spdx = format!(r#"{{"spdxVersion":"SPDX-2.3","name":"{d}"}}"#);
            let (sbom, desc) = push_referrer(&reg, &repo, SPDX, SPDX, spdx.as_bytes(), &s);
            push_fallback(&reg, &repo, &d, &[desc]);
            (d, sig, sbom)
        })
        .collect();
    let all_there = |repo: &str| {
        let at = |r: &str| format!("docker://{reg}/{repo}{r}");
        assert_eq!(sha256(&skopeo_raw(&at(":1"))), digest_of(&top), "{repo}");
        for (d, sig, sbom) in &attached {
            let sig_tag = format!(":{}.sig", tag_of(d));
            assert_eq!(&sha256(&skopeo_raw(&at(&sig_tag))), sig, "{repo}{sig_tag}");
            assert_eq!(
                &sha256(&skopeo_raw(&at(&format!("@{sbom}")))),
                sbom,
                "{repo}"
            );
            let e = fallback_entries(&reg, repo, d);
            assert_eq!(e.len(), 1, "{repo} {d}: {e:?}");
            assert_eq!(&e[0]["digest"], sbom, "{repo} {d}");
        }
    };
    let src = format!("docker://{reg}/{repo}:1");

    // Registry to registry.
    let copied = unique("ref/nestcopy");
    ok(copy_cmd().args([
        "-q",
        "--all",
        "--with-referrers",
        &src,
        &format!("docker://{reg}/{copied}:1"),
    ]));
    all_there(&copied);

    // Into a layout: the signatures as refs, the SBOMs as entries with
    // their subject; fsck finds everything reached.
    let lay_dir = t.path().join("lay");
    let lay = format!("oci:{}:1", lay_dir.display());
    ok(copy_cmd().args(["-q", "--all", "--with-referrers", &src, &lay]));
    let index = json(&fs::read(lay_dir.join("index.json")).unwrap());
    let entries = index["manifests"].as_array().unwrap();
    let find = |d: &str| entries.iter().find(|e| e["digest"] == d).cloned();
    for (d, sig, sbom) in &attached {
        let sig_entry = find(sig).unwrap_or_else(|| panic!("no {sig} in {index}"));
        assert_eq!(
            sig_entry["annotations"]["org.opencontainers.image.ref.name"],
            format!("{}.sig", tag_of(d)).as_str()
        );
        assert!(find(sbom).is_some(), "no SBOM of {d} in {index}");
    }
    let fsck = ok_str(lade().args([
        "fsck",
        "--unreachable",
        "--store",
        lay_dir.to_str().unwrap(),
    ]));
    assert_eq!(fsck, "");
    // And back out of it.
    let back = unique("ref/nestback");
    ok(copy_cmd().args([
        "-q",
        "--all",
        "--with-referrers",
        &lay,
        &format!("docker://{reg}/{back}:1"),
    ]));
    all_there(&back);

    // sync of the index's tag alone (its attachments are other tags).
    let synced = unique("ref/nestsync");
    ok(sync_cmd().args([
        "-q",
        "--tag-regex",
        "^1$",
        &format!("docker://{reg}/{repo}"),
        &format!("docker://{reg}/{synced}"),
    ]));
    all_there(&synced);
    // And a layout synced to a registry.
    let lsynced = unique("ref/nestlsync");
    ok(sync_cmd().args([
        "-q",
        &format!("oci:{}", lay_dir.display()),
        &format!("docker://{reg}/{lsynced}"),
    ]));
    all_there(&lsynced);
}

fn digest_of(d: &Value) -> &str {
    d["digest"].as_str().unwrap()
}
