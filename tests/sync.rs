//! `lade sync` against the test registry: a repository of 20+ tags
//! mirrored, a second run that moves no blob and reads no manifest
//! (requests counted by a proxy), layouts to registries and back with
//! digests unchanged, --tag-regex, --dry-run, --keep-going, JSON progress.

mod common;
mod support;

use std::path::Path;

use common::*;
use serde_json::{json, Value};
use support::*;

/// A layout of `n` tags (`t00`…) sharing one base layer; the last is an index.
fn many_tags(dir: &Path, n: usize) -> Vec<(String, Value)> {
    let mut named: Vec<(String, Value)> = (0..n - 1)
        .map(|i| {
            let t = format!("t{i:02}");
            let d = image(dir, "amd64", &t, false, 256 * 1024);
            (t, d)
        })
        .collect();
    let t = format!("t{:02}", n - 1);
    named.push((t.clone(), index(dir, &["amd64", "arm64"], &t, false)));
    let refs: Vec<(&str, Value)> = named.iter().map(|(t, d)| (t.as_str(), d.clone())).collect();
    write_layout(dir, &refs);
    named
}

/// Every tag at repository `dst` has the digest of its source descriptor.
fn assert_same_digests(dst: &str, tags: &[(String, Value)]) {
    for (tag, d) in tags {
        let got = ok(lade().args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("{dst}:{tag}"),
        ]));
        assert_eq!(sha256(&got), d["digest"].as_str().unwrap(), "tag {tag}");
    }
}

/// The config and layer blobs (digest, size) of the image or index `desc`
/// of layout `dir`, each once.
fn layout_blobs(dir: &Path, desc: &Value) -> Vec<(String, u64)> {
    let blob = |d: &str| json(&std::fs::read(dir.join("blobs/sha256").join(&d[7..])).unwrap());
    let top = blob(desc["digest"].as_str().unwrap());
    let manifests: Vec<Value> = match top["manifests"].as_array() {
        Some(ms) => ms
            .iter()
            .map(|m| blob(m["digest"].as_str().unwrap()))
            .collect(),
        None => vec![top],
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for m in manifests {
        for b in std::iter::once(&m["config"]).chain(m["layers"].as_array().unwrap()) {
            let d = b["digest"].as_str().unwrap().to_string();
            if seen.insert(d.clone()) {
                out.push((d, b["size"].as_u64().unwrap()));
            }
        }
    }
    out
}

/// The blobs a proxy log shows mounted (one POST each, `mount=DIGEST`
/// cross-repository on one registry), sorted.
fn mounted(log: &[String]) -> Vec<String> {
    let mut m: Vec<String> = log
        .iter()
        .filter(|l| l.starts_with("POST ") && l.contains("/blobs/uploads/"))
        .map(|l| {
            let q = l.split_once("mount=").unwrap_or_else(|| panic!("{l}")).1;
            q.split('&').next().unwrap().replace("%3A", ":")
        })
        .collect();
    m.sort();
    m
}

fn sync_cmd() -> std::process::Command {
    let mut c = lade();
    c.args(["sync", "--src-tls-verify=false", "--dest-tls-verify=false"]);
    c
}

#[test]
fn repository_of_21_tags_mirrored_then_second_run_moves_nothing() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named = many_tags(&src_dir, 21);
    let repo = unique("sync/src");
    // Source repository filled by plain registry API calls.
    for (tag, d) in &named {
        push_layout(&reg, &src_dir, &repo, tag, d);
    }
    let proxy = Counter::start(&reg);
    let src = format!("docker://{}/{repo}", proxy.addr);
    let dst = format!("docker://{}/{}", proxy.addr, unique("sync/dst"));

    ok(sync_cmd().args(["-j", "8", &src, &dst]));
    let first = proxy.take();
    // Every blob crosses once: a cross-repository mount (same registry),
    // one POST naming it, for each distinct blob of the source.
    let mut want: Vec<String> = named
        .iter()
        .flat_map(|(_, d)| layout_blobs(&src_dir, d))
        .map(|(d, _)| d)
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(want.len(), 20 + 20 + 1 + 2 + 2 + 1);
    assert_eq!(mounted(&first), want, "{first:#?}");
    // The base every tag shares is asked about at the destination once
    // (one copy claims it, the others find it present), not once per tag.
    let dst_path = dst
        .trim_start_matches("docker://")
        .split_once('/')
        .unwrap()
        .1;
    let mut blob_heads = std::collections::HashMap::<&str, usize>::new();
    for l in first
        .iter()
        .filter(|l| l.starts_with("HEAD ") && l.contains(&format!("/v2/{dst_path}/blobs/")))
    {
        *blob_heads.entry(l.as_str()).or_default() += 1;
    }
    let most = blob_heads.values().max().copied().unwrap_or(0);
    assert!(
        (1..=2).contains(&most),
        "a blob HEADed {most} times: {blob_heads:#?}"
    );
    // The destination's tags are listed once (it has none): no tag is
    // HEADed on either side, as every one is to be copied.
    let manifest_heads: Vec<_> = first
        .iter()
        .filter(|l| l.starts_with("HEAD ") && l.contains("/manifests/"))
        .collect();
    assert!(manifest_heads.is_empty(), "{manifest_heads:#?}");
    let dst_lists = first
        .iter()
        .filter(|l| l.starts_with("GET ") && l.contains(&format!("/v2/{dst_path}/tags/list")))
        .count();
    assert_eq!(dst_lists, 1, "{first:#?}");
    // No tag of the source is a cosign or referrers-schema tag, and the
    // listing says so: none is asked for. The referrers API, which this
    // registry lacks, is asked once.
    let attachment_gets: Vec<_> = first
        .iter()
        .filter(|l| l.starts_with("GET ") && l.contains("/manifests/sha256-"))
        .collect();
    assert!(attachment_gets.is_empty(), "{attachment_gets:#?}");
    let api = first.iter().filter(|l| l.contains("/referrers/")).count();
    assert_eq!(api, 1, "{first:#?}");
    assert_same_digests(&dst, &named);
    let tags = json(&ok(lade().args(["list-tags", "--tls-verify=false", &dst])));
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 21);

    // Second run: only tag listing and HEADs.
    proxy.take();
    let err = ok_stderr(sync_cmd().args([&src, &dst]));
    assert!(err.contains("0 copied, 21 unchanged"), "{err}");
    let second = proxy.take();
    let manifest_gets = second
        .iter()
        .filter(|l| l.starts_with("GET ") && l.contains("/manifests/"))
        .count();
    let blob_io = second.iter().filter(|l| l.contains("/blobs/")).count();
    assert_eq!(manifest_gets, 0, "{second:#?}");
    assert_eq!(blob_io, 0, "{second:#?}");
    let heads = second
        .iter()
        .filter(|l| l.starts_with("HEAD ") && l.contains("/manifests/"))
        .count();
    assert_eq!(heads, 42, "{second:#?}");

    // A tag moved at the source: only it is read and copied, its new
    // blobs alone cross (the base is there), and the mirror follows.
    let moved = image(&src_dir, "amd64", "t03-moved", false, 256 * 1024);
    push_layout(&reg, &src_dir, &repo, "t03", &moved);
    proxy.take();
    let err = ok_stderr(sync_cmd().args([&src, &dst]));
    assert!(err.contains("1 copied, 20 unchanged"), "{err}");
    let third = proxy.take();
    let gets: Vec<_> = third
        .iter()
        .filter(|l| l.starts_with("GET ") && l.contains("/manifests/"))
        .collect();
    assert!(
        !gets.is_empty()
            && gets
                .iter()
                .all(|l| l.contains(&format!("/v2/{repo}/manifests/"))
                    && (l.ends_with("/t03") || l.contains(moved["digest"].as_str().unwrap()))),
        "{third:#?}"
    );
    let mut own: Vec<String> = layout_blobs(&src_dir, &moved)
        .into_iter()
        .map(|(d, _)| d)
        .filter(|d| !want.contains(d))
        .collect();
    own.sort();
    assert_eq!(own.len(), 2, "config and own layer");
    assert_eq!(mounted(&third), own, "{third:#?}");
    let mut after = named.clone();
    after[3].1 = moved;
    assert_same_digests(&dst, &after);
}

#[test]
fn layout_to_registry_and_back_keeps_digests_regex_dry_run() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named = many_tags(&src_dir, 5);
    let repo = format!("docker://{reg}/{}", unique("sync/lay"));
    ok(sync_cmd().args([&format!("oci:{}", src_dir.display()), &repo]));
    let back = t.path().join("back");
    let back_ref = format!("oci:{}", back.display());
    // --dry-run lists, copies nothing.
    let out = run(sync_cmd().args(["--dry-run", &repo, &back_ref]));
    assert!(out.status.success(), "{out:?}");
    let plan = String::from_utf8(out.stdout).unwrap();
    let want: Vec<String> = named
        .iter()
        .map(|(t, d)| format!("{t}\t{}", d["digest"].as_str().unwrap()))
        .collect();
    assert_eq!(plan.lines().collect::<Vec<_>>(), want, "{plan}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("5 images: 5 to copy, 0 unchanged, 0 failed"),
        "{err}"
    );
    assert!(!back.exists());
    // A dry run answers as the sync would: a destination that cannot be
    // reached, or a source tag that is not there, fails it.
    let err = fails_with(
        sync_cmd().args(["--dry-run", &repo, "docker://127.0.0.1:1/x/y"]),
        3,
    );
    assert!(err.contains("127.0.0.1:1"), "{err}");
    // (said once, before any image, as by the sync itself)
    assert_eq!(err.lines().count(), 1, "{err}");
    let file = t.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = fails_with(
        sync_cmd().args(["--dry-run", &repo, &format!("oci:{}", file.display())]),
        3,
    );
    assert!(
        err.contains("a-file: not a directory (an OCI image layout is one)")
            && err.lines().count() == 1,
        "{err}"
    );
    // (not there: exit 1, as copy says)
    let err = fails_with(
        sync_cmd().args(["--dry-run", &format!("{repo}:nope"), &back_ref]),
        1,
    );
    assert!(
        err.contains("nope") && err.contains("no such image"),
        "{err}"
    );
    assert!(!back.exists());
    // nor a dir: tree (the tree's directory and the image's are made,
    // then taken back)
    let tree = back.with_file_name("tree");
    fails_with(
        sync_cmd().args([&format!("{repo}:nope"), &format!("dir:{}", tree.display())]),
        1,
    );
    assert!(!tree.exists());
    // --tag-regex picks.
    ok(sync_cmd().args(["--tag-regex", "^t0[01]$", &repo, &back_ref]));
    let refs = String::from_utf8(ok(lade().args([
        "--store",
        back.to_str().unwrap(),
        "ls-refs",
    ])))
    .unwrap();
    assert_eq!(refs.lines().count(), 2, "{refs}");
    ok(sync_cmd().args([&repo, &back_ref]));
    for (tag, d) in &named {
        let got = ok(lade().args(["inspect", "--raw", &format!("oci:{}:{tag}", back.display())]));
        assert_eq!(sha256(&got), d["digest"].as_str().unwrap(), "tag {tag}");
    }
    // skopeo reads what came back, and what went to the registry.
    if require_tool("skopeo") {
        for (tag, d) in &named {
            for name in [
                format!("oci:{}:{tag}", back.display()),
                format!("{repo}:{tag}"),
            ] {
                let raw = ok(std::process::Command::new("skopeo").args([
                    "inspect",
                    "--tls-verify=false",
                    "--raw",
                    &name,
                ]));
                assert_eq!(sha256(&raw), d["digest"].as_str().unwrap(), "{name}");
            }
        }
    }
    // --preserve-digests: a sync that keeps them passes; an index cut to
    // one platform would be written under another digest, and fails.
    let kept = format!("oci:{}", t.path().join("kept").display());
    ok(sync_cmd().args(["--preserve-digests", &repo, &kept]));
    let cut = format!("oci:{}", t.path().join("cut").display());
    let err = fails_with(
        sync_cmd().args([
            "--preserve-digests",
            "--platform",
            "linux/amd64",
            "--keep-going",
            &repo,
            &cut,
        ]),
        3,
    );
    assert!(
        err.contains("5 images: 4 copied, 0 unchanged, 1 failed"),
        "{err}"
    );
    assert!(err.contains("t04") && err.contains("digest"), "{err}");
}

#[test]
fn keep_going_reports_every_failure_and_json_progress_adds_up() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named = many_tags(&src_dir, 4);
    // Break two images: remove their own layer blobs.
    let mut removed = std::collections::HashSet::new();
    for (tag, d) in named.iter().take(2) {
        let m = json(
            &std::fs::read(
                src_dir
                    .join("blobs/sha256")
                    .join(&d["digest"].as_str().unwrap()[7..]),
            )
            .unwrap(),
        );
        let own = m["layers"][1]["digest"].as_str().unwrap();
        std::fs::remove_file(src_dir.join("blobs/sha256").join(&own[7..])).unwrap();
        removed.insert(own.to_string());
        let _ = tag;
    }
    let repo = format!("docker://{reg}/{}", unique("sync/kg"));
    let src = format!("oci:{}", src_dir.display());
    let err = fails_with(
        sync_cmd().args(["--keep-going", "--progress=json", "-j", "1", &src, &repo]),
        3,
    );
    let failures: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("lade: failed:"))
        .collect();
    assert_eq!(failures.len(), 2, "{err}");
    assert!(err.contains("2 of 4 images failed"), "{err}");
    // JSON lines: every line before the error lines parses; each names
    // its image; bytes add up. One clock for the whole sync: times never
    // go backwards.
    let mut done: std::collections::HashMap<String, u64> = Default::default();
    let mut skipped = std::collections::HashSet::new();
    let mut images = std::collections::HashSet::new();
    let mut failed_images = std::collections::HashSet::new();
    let mut failed_blobs = std::collections::HashSet::new();
    let mut last_time = 0.0;
    // Every line is a JSON event but the failure report: one line per
    // failed image and the closing error.
    let (events, text): (Vec<&str>, Vec<&str>) = err.lines().partition(|l| l.starts_with('{'));
    assert_eq!(text.len(), failures.len() + 1, "{err}");
    assert!(text.iter().all(|l| l.starts_with("lade: ")), "{err}");
    for l in events {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        let t = v["time"].as_f64().unwrap();
        assert!(
            t >= last_time,
            "time goes back to {t} after {last_time}: {l}"
        );
        last_time = t;
        let event = v["event"].as_str().unwrap();
        // Every event names its image but the closing summary.
        let summary = event == "message" && v["text"].as_str().unwrap().contains(" images: ");
        if !summary {
            let image = v["image"]
                .as_str()
                .unwrap_or_else(|| panic!("no image: {l}"));
            assert!(image.starts_with(&format!("{src}:t0")), "{l}");
        }
        let digest = v["digest"].as_str().unwrap_or_default().to_string();
        match event {
            "blob_done" => {
                let bytes = v["bytes"].as_u64().unwrap();
                assert!(done.insert(digest, bytes).is_none(), "written twice: {l}");
            }
            "blob_skipped" => {
                skipped.insert(digest);
            }
            "image_done" => {
                images.insert(v["image"].as_str().unwrap().to_string());
            }
            // A started blob that fails is closed as failed.
            "blob_failed" => {
                assert!(v["error"].as_str().is_some(), "{l}");
                assert!(failed_blobs.insert(digest), "failed twice: {l}");
            }
            "image_failed" => {
                let e = v["error"].as_str().unwrap();
                assert!(e.contains("not found"), "{l}");
                failed_images.insert(v["image"].as_str().unwrap().to_string());
            }
            _ => {}
        }
    }
    assert_eq!(
        images,
        [format!("{src}:t02"), format!("{src}:t03")].into(),
        "{err}"
    );
    assert_eq!(
        failed_images,
        [format!("{src}:t00"), format!("{src}:t01")].into(),
        "{err}"
    );
    assert_eq!(failed_blobs, removed, "{err}");
    // The two good images arrived, and each of their blobs was written
    // once (blob_done, bytes its size) or found there (skipped) after a
    // failed image (the first two, with -j 1) wrote it.
    let dst = repo.trim_start_matches("docker://");
    let (host, path) = dst.split_once('/').unwrap();
    assert_same_digests(&repo, &named[2..]);
    let written_before: std::collections::HashSet<String> = named[..2]
        .iter()
        .flat_map(|(_, d)| layout_blobs(&src_dir, d))
        .map(|(d, _)| d)
        .collect();
    let mut good: Vec<(String, u64)> = named[2..]
        .iter()
        .flat_map(|(_, d)| layout_blobs(&src_dir, d))
        .collect();
    good.sort();
    good.dedup();
    for (d, size) in &good {
        assert_eq!(
            registry_status(host, "HEAD", &format!("/v2/{path}/blobs/{d}")),
            200,
            "{d}"
        );
        match done.get(d) {
            Some(&n) => assert_eq!(n, *size, "{d}: {err}"),
            None => assert!(
                skipped.contains(d) && written_before.contains(d),
                "{d} neither written nor skipped after an earlier image wrote it: {err}"
            ),
        }
    }
    let blob = |d: &str| std::fs::read(src_dir.join("blobs/sha256").join(&d[7..])).unwrap();
    // Every blob_done (the failed images' blobs too): the bytes of the
    // blob, so their sum is the bytes written.
    let done_bytes: u64 = done.values().sum();
    let sizes: u64 = done.keys().map(|d| blob(d).len() as u64).sum();
    assert_eq!(done_bytes, sizes, "{err}");
    // Without --keep-going: stops at the first failure (t00, with -j 1),
    // one line naming the missing blob; no tag written.
    let err = fails_with(sync_cmd().args(["-j", "1", &src, &format!("{repo}x")]), 3);
    let m = json(&blob(named[0].1["digest"].as_str().unwrap()));
    let missing = m["layers"][1]["digest"].as_str().unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert_eq!(
        lines[0],
        "4 images: 0 copied, 0 unchanged, 1 failed, 3 not tried"
    );
    assert!(
        lines[1].starts_with("lade: error: t00: ") && lines[1].contains(missing),
        "{err}"
    );
    assert_eq!(
        registry_status(host, "GET", &format!("/v2/{path}x/tags/list")),
        404,
        "{err}"
    );
}

/// A repository and a layout into trees of dir: images: one directory per
/// image, named as skopeo's sync names them (`NAME:TAG`, NAME the
/// repository's last component; `TAG` for a layout's ref names), each
/// readable by skopeo with the source's manifest digest; a second run
/// copies nothing; a dir: image as the tree is refused.
#[test]
fn repository_and_layout_into_a_dir_tree() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named = many_tags(&src_dir, 4);
    let repo = unique("sync/tree");
    for (tag, d) in &named {
        push_layout(&reg, &src_dir, &repo, tag, d);
    }
    let last = repo.rsplit('/').next().unwrap().to_string();
    let tree = t.path().join("tree");
    let src = format!("docker://{reg}/{repo}");
    let dest = format!("dir:{}", tree.display());
    let out = run(sync_cmd().args(["-j", "2", &src, &dest]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4 copied, 0 unchanged"), "{err}");
    let mut dirs: Vec<String> = std::fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    let want: Vec<String> = named.iter().map(|(t, _)| format!("{last}:{t}")).collect();
    assert_eq!(dirs, want);
    for (tag, d) in &named {
        let img = format!("dir:{}/{last}:{tag}", tree.display());
        let got = ok(std::process::Command::new("skopeo").args(["inspect", "--raw", &img]));
        assert_eq!(sha256(&got), d["digest"].as_str().unwrap(), "{img}");
    }
    // The index's instances are in its directory too: skopeo reads one.
    let (itag, _) = named.last().unwrap();
    ok(std::process::Command::new("skopeo").args([
        "inspect",
        "--override-arch",
        "arm64",
        &format!("dir:{}/{last}:{itag}", tree.display()),
    ]));

    // Unchanged second run: nothing copied.
    let out = run(sync_cmd().args([&src, &dest]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.contains("0 copied, 4 unchanged"),
        "{err}"
    );

    // A layout: directories named by the ref names.
    let tree2 = t.path().join("tree2");
    ok(sync_cmd().args([
        &format!("oci:{}", src_dir.display()),
        &format!("dir:{}", tree2.display()),
    ]));
    for (tag, d) in &named {
        let got = ok(lade().args([
            "inspect",
            "--raw",
            &format!("dir:{}/{tag}", tree2.display()),
        ]));
        assert_eq!(sha256(&got), d["digest"].as_str().unwrap(), "{tag}");
    }

    // A dir: image is not a tree.
    let one = format!("dir:{}/{last}:{}", tree.display(), named[0].0);
    let msg = fails_with(sync_cmd().args([&src, &one]), 3);
    assert!(msg.contains("is a dir: image"), "{msg}");
}

/// `n` tags in layout `dir`, each `base` layers of `size` bytes shared by
/// all plus a small layer of its own; returns the tags' descriptors, the
/// base layers' digests and the own layers' digests.
fn shared_base(
    dir: &Path,
    n: usize,
    base: usize,
    size: usize,
) -> (Vec<(String, Value)>, Vec<String>, Vec<String>) {
    let base: Vec<(String, usize, String)> = (0..base)
        .map(|i| {
            let (gz, diff_id) = layer(&[("base.bin", noise(100 + i as u64, size))]);
            let (d, s) = put_blob(dir, &gz);
            (d, s, diff_id)
        })
        .collect();
    let mut tags = Vec::new();
    let mut own_digests = Vec::new();
    for t in 0..n {
        let tag = format!("t{t:02}");
        let (own, own_id) = layer(&[("own.txt", tag.clone().into_bytes())]);
        let (od, os) = put_blob(dir, &own);
        let mut diff_ids: Vec<&str> = base.iter().map(|b| b.2.as_str()).collect();
        diff_ids.push(&own_id);
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .unwrap();
        let (cd, cs) = put_blob(dir, &config);
        let lt = "application/vnd.oci.image.layer.v1.tar+gzip";
        let mut layers: Vec<Value> = base
            .iter()
            .map(|b| serde_json::json!({"mediaType": lt, "digest": b.0, "size": b.1}))
            .collect();
        layers.push(serde_json::json!({"mediaType": lt, "digest": od, "size": os}));
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": cd, "size": cs},
            "layers": layers,
        }))
        .unwrap();
        let (md, ms) = put_blob(dir, &manifest);
        tags.push((
            tag,
            serde_json::json!({"mediaType": OCI_MANIFEST, "digest": md, "size": ms}),
        ));
        own_digests.push(od);
    }
    let refs: Vec<(&str, Value)> = tags.iter().map(|(t, d)| (t.as_str(), d.clone())).collect();
    write_layout(dir, &refs);
    (tags, base.into_iter().map(|b| b.0).collect(), own_digests)
}

/// 6 tags sharing base layers (see [`shared_base`]) in a new repository
/// of the test registry, read through a counting proxy (another host to
/// lade, so blobs are copied, not mounted).
struct PushedBase {
    tags: Vec<(String, Value)>,
    base: Vec<String>,
    own: Vec<String>,
    proxy: Counter,
    /// The repository's name through the proxy.
    src: String,
}

fn pushed_shared_base(reg: &str, tmp: &Path, base: usize, size: usize) -> PushedBase {
    let dir = tmp.join("src");
    let (tags, base, own) = shared_base(&dir, 6, base, size);
    let repo = unique("sync/base");
    for (tag, d) in &tags {
        push_layout(reg, &dir, &repo, tag, d);
    }
    let proxy = Counter::start(reg);
    let src = format!("docker://{}/{repo}", proxy.addr);
    PushedBase {
        tags,
        base,
        own,
        proxy,
        src,
    }
}

/// (digest, event, time) of every blob_start and blob_done in JSON progress.
fn blob_events(stderr: &str) -> Vec<(String, String, f64)> {
    stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| matches!(v["event"].as_str(), Some("blob_start" | "blob_done")))
        .map(|v| {
            (
                v["digest"].as_str().unwrap().to_string(),
                v["event"].as_str().unwrap().to_string(),
                v["time"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Tags sharing more base layers than a copy has transfers: however many
/// images go at once (`-j`), the base layers are copied several at a
/// time, and a copy that finds a blob being copied by another image's
/// copy goes on with its other blobs instead of waiting behind it.
#[test]
fn shared_base_layers_go_in_parallel_and_nobody_waits_behind_a_claim() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    // 8 base layers: more than the 6 transfers an image's copy runs.
    let PushedBase {
        tags,
        base,
        own,
        proxy: _proxy,
        src,
    } = pushed_shared_base(&reg, t.path(), 8, 6 << 20);
    let sync = |jobs: &str| {
        let dst = format!("docker://{reg}/{}", unique("sync/base-dst"));
        let err = ok_stderr(sync_cmd().args(["--progress=json", "-j", jobs, &src, &dst]));
        assert_same_digests(&dst, &tags);
        blob_events(&err)
    };

    // As many images at once as tags (more than an image's transfers):
    // the base still goes several blobs at a time.
    let ev = sync("6");
    let (mut now, mut most) = (0, 0);
    for (d, e, _) in &ev {
        if base.contains(d) {
            now += if e == "blob_start" { 1 } else { -1 };
            most = most.max(now);
        }
    }
    assert!(most >= 2, "base layers copied one at a time: {ev:#?}");

    // Two images at once: the workers of one find the first base layers
    // claimed by the other and start on the rest (their own layer among
    // them) before any base layer is done.
    let ev = sync("2");
    let first = |event: &str, set: &[String]| {
        ev.iter()
            .filter(|(d, e, _)| e == event && set.contains(d))
            .map(|(_, _, t)| *t)
            .fold(f64::INFINITY, f64::min)
    };
    let (own_start, base_done) = (first("blob_start", &own), first("blob_done", &base));
    assert!(
        own_start < base_done,
        "no own layer started ({own_start}) before the first base layer was done ({base_done}): {ev:#?}"
    );
}

/// An image whose copy has nothing left but to wait for a blob another
/// image is copying (a shared base) stands aside from `--jobs`: the next
/// images start on their own blobs meanwhile. The base layer's download
/// is held at the proxy until every tag's own layer is in; with `-j 2`
/// only two images could otherwise ever have started.
#[test]
fn images_waiting_for_a_shared_blob_let_the_next_ones_start() {
    use std::io::BufRead;
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let Some(reg) = registry() else { return };
    let t = tempdir();
    let pushed = pushed_shared_base(&reg, t.path(), 1, 1 << 20);
    pushed.proxy.hold("GET", &pushed.base[0]);
    let dst = format!("docker://{reg}/{}", unique("sync/stand-aside"));
    let mut child = sync_cmd()
        .args(["--progress=json", "-j", "2", &pushed.src, &dst])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let want = pushed.own.clone();
    let reader = std::thread::spawn(move || {
        let mut done = std::collections::HashSet::new();
        let mut all = Vec::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(|l| l.ok())
        {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let d = v["digest"].as_str().unwrap_or("").to_string();
                if v["event"] == "blob_done"
                    && want.contains(&d)
                    && done.insert(d)
                    && done.len() == want.len()
                {
                    let _ = tx.send(());
                }
            }
            all.push(line);
        }
        all
    });
    let all_own_in = rx.recv_timeout(Duration::from_secs(60)).is_ok();
    pushed.proxy.release();
    let status = child.wait().unwrap();
    let lines = reader.join().unwrap();
    assert!(
        all_own_in,
        "not every tag's own layer was copied while the base was held:\n{}",
        lines.join("\n")
    );
    assert!(status.success(), "{}", lines.join("\n"));
    assert_same_digests(&dst, &pushed.tags);
}

/// Names sync cannot list or write, and a bad --tag-regex, are refused up
/// front with one line naming what was wrong; nothing is written.
#[test]
fn unsupported_ends_and_bad_regex_refused_in_one_line() {
    let t = tempdir();
    let src_dir = t.path().join("src");
    many_tags(&src_dir, 2);
    let src = format!("oci:{}", src_dir.display());
    let out = t.path().join("out");
    for (dst, what) in [
        (
            format!("docker-archive:{}", out.display()),
            "docker-archive:",
        ),
        (format!("oci-archive:{}", out.display()), "oci-archive:"),
        ("docker-daemon:app:1".to_string(), "docker-daemon:"),
        (
            format!("docker-archive:{}:app:1", out.display()),
            "docker-archive:",
        ),
        (
            format!("docker-archive:{}:@1", out.display()),
            "docker-archive:",
        ),
    ] {
        let err = fails_with(lade().args(["sync", &src, &dst]), 3);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("cannot write to") && err.contains(what),
            "{err}"
        );
        assert!(err.contains("docker://, oci: or dir:"), "{err}");
    }
    // A destination naming a tag: each image keeps its own, so refused,
    // as a usage error (exit 2).
    for (dst, tag) in [
        (format!("oci:{}:other", out.display()), "other"),
        ("docker://127.0.0.1:1/app:other".to_string(), "other"),
    ] {
        let err = fails_with(lade().args(["sync", &src, &dst]), 2);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("names none (not \"{tag}\")")) && err.contains("lade copy"),
            "{err}"
        );
    }
    for name in [
        format!("dir:{}", t.path().join("d").display()),
        "docker-daemon:app:1".to_string(),
    ] {
        let err = fails_with(
            lade().args(["sync", &name, &format!("oci:{}", out.display())]),
            3,
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("cannot read from"), "{err}");
        // (a dir: tree is read with --src dir)
        assert_eq!(
            err.contains("(--src dir PATH reads a directory of dir: images)"),
            name.starts_with("dir:"),
            "{err}"
        );
    }
    let err = fails_with(
        lade().args([
            "sync",
            "--tag-regex",
            "([",
            &src,
            &format!("oci:{}", out.display()),
        ]),
        2,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--tag-regex") && err.contains("unclosed character class"),
        "{err}"
    );
    let err = fails_with(
        lade().args(["sync", "-j", "0", &src, &format!("oci:{}", out.display())]),
        2,
    );
    assert!(err.contains("'0' for '--jobs <N>'"), "{err}");
    assert!(!out.exists(), "nothing written");
}

/// A repository the source registry does not know: one line naming the
/// repository as listed (not REPO:latest), exit 1 (not found), nothing
/// written.
#[test]
fn an_unknown_source_repository_is_not_found() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let repo = unique("sync/none");
    let lay = t.path().join("lay");
    // Into a layout, and where signatures stay behind (a dir: tree; the
    // option off), which lists the source through another path.
    let tree = t.path().join("tree");
    for (dest, extra) in [
        (format!("oci:{}", lay.display()), None),
        (format!("dir:{}", tree.display()), None),
        (
            format!("oci:{}", lay.display()),
            Some("--with-referrers=false"),
        ),
    ] {
        let err = fails_with(
            sync_cmd()
                .args(extra)
                .args([&format!("docker://{reg}/{repo}"), &dest]),
            1,
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("listing docker://{reg}/{repo}: ")),
            "{err}"
        );
        assert!(!err.contains("latest"), "{err}");
    }
    assert!(!lay.exists() && !tree.exists(), "nothing written");
}

/// An oci-archive (DIR/all.tar) of images t00 and t01 of layout `src`.
fn archive_t00_t01(src: &str, dir: &Path) -> std::path::PathBuf {
    let oa = dir.join("all.tar");
    ok(lade().args([
        "copy",
        "-q",
        &format!("{src}:t00"),
        &format!("{src}:t01"),
        &format!("oci-archive:{}", oa.display()),
    ]));
    oa
}

/// A source that names one image (REPO:TAG, oci:PATH:REF,
/// oci-archive:PATH:REF, docker-archive:PATH:NAME:TAG) syncs that image
/// alone, as skopeo sync does for a tagged repository; a repository by
/// digest is refused (copy takes it) before anything is written.
#[test]
fn a_source_naming_one_image_syncs_that_image() {
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named = many_tags(&src_dir, 3);
    let src = format!("oci:{}", src_dir.display());
    let oa = archive_t00_t01(&src, t.path());
    // docker save of tiny:1 and tiny-other:1
    let da = "tests/fixtures/docker-save/tiny2-docker26.tar";
    for (one, want) in [
        (format!("{src}:t01"), "t01"),
        (format!("oci-archive:{}:t01", oa.display()), "t01"),
        (format!("docker-archive:{da}:tiny-other:1"), "1"),
        (format!("docker-archive:{da}:@1"), "1"),
    ] {
        let out = t.path().join(unique("one"));
        let o = run(lade().args(["sync", &one, &format!("oci:{}", out.display())]));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{one}: {err}");
        assert_eq!(
            err.lines().last(),
            Some("1 image: 1 copied, 0 unchanged, 0 failed"),
            "{one}: {err}"
        );
        let refs = ok_str(lade().arg("--store").arg(&out).arg("ls-refs"));
        let names: Vec<&str> = refs
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        assert_eq!(names, [want], "{one}");
    }
    let Some(reg) = registry() else { return };
    let repo = unique("sync/one");
    for (tag, d) in &named {
        push_layout(&reg, &src_dir, &repo, tag, d);
    }
    let dst = format!("docker://{reg}/{}", unique("sync/one-dst"));
    let out = run(sync_cmd().args([&format!("docker://{reg}/{repo}:t01"), &dst]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tags = json(&ok(lade().args(["list-tags", "--tls-verify=false", &dst])));
    assert_eq!(tags["Tags"], serde_json::json!(["t01"]));
    assert_same_digests(&dst, &named[1..2]);
    let by_digest = format!(
        "docker://{reg}/{repo}@{}",
        named[0].1["digest"].as_str().unwrap()
    );
    let dst2 = format!("docker://{reg}/{}", unique("sync/one-none"));
    // (a usage error: exit 2)
    let err = fails_with(sync_cmd().args([&by_digest, &dst2]), 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("by digest") && err.contains("lade copy"),
        "{err}"
    );
    fails_with(lade().args(["list-tags", "--tls-verify=false", &dst2]), 1);
}

/// The closing summary counts in words that read right for one image.
#[test]
fn one_image_summary_reads_right() {
    let t = tempdir();
    let src_dir = t.path().join("src");
    many_tags(&src_dir, 1);
    let src = format!("oci:{}", src_dir.display());
    let dst = format!("oci:{}", t.path().join("out").display());
    for want in [
        "1 image: 1 copied, 0 unchanged, 0 failed",
        "1 image: 0 copied, 1 unchanged, 0 failed",
    ] {
        let err = ok_stderr(lade().args(["sync", &src, &dst]));
        assert_eq!(err.lines().last(), Some(want), "{err}");
    }
}

/// Multi-image archives are sync sources: every named image of an
/// oci-archive (digests kept), every image of a docker-archive; two images
/// bound for one destination name are refused before anything is written.
#[test]
fn archives_sync_into_a_layout() {
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named: Vec<(String, Value)> = many_tags(&src_dir, 3)
        .into_iter()
        .filter(|(tag, _)| tag != "t02")
        .collect();
    let src = format!("oci:{}", src_dir.display());
    let oa = archive_t00_t01(&src, t.path());
    let back = t.path().join("back");
    ok(lade().args([
        "sync",
        "-q",
        &format!("oci-archive:{}", oa.display()),
        &format!("oci:{}", back.display()),
    ]));
    for (tag, d) in &named {
        let got = ok(lade().args(["inspect", "--raw", &format!("oci:{}:{tag}", back.display())]));
        assert_eq!(sha256(&got), d["digest"].as_str().unwrap(), "tag {tag}");
    }
    // Again, from it and from a gzip'd copy of it: nothing to copy.
    let gz = t.path().join("all.tar.gz");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", oa.display(), gz.display()))
        .status()
        .unwrap();
    assert!(status.success());
    for archive in [&oa, &gz] {
        let err = ok_stderr(lade().args([
            "sync",
            &format!("oci-archive:{}", archive.display()),
            &format!("oci:{}", back.display()),
        ]));
        assert!(
            err.contains("2 images: 0 copied, 2 unchanged, 0 failed"),
            "{err}"
        );
    }

    // docker save of tiny:1 and tiny-other:1: a dir: tree keeps both
    // apart; in a layout both would be tag 1, so that is refused whole.
    let da = "tests/fixtures/docker-save/tiny2-docker26.tar";
    let tree = t.path().join("tree");
    ok(lade().args([
        "sync",
        "-q",
        &format!("docker-archive:{da}"),
        &format!("dir:{}", tree.display()),
    ]));
    let mut dirs: Vec<String> = std::fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    assert_eq!(dirs, ["tiny-other:1", "tiny:1"]);
    let err = ok_stderr(lade().args([
        "sync",
        &format!("docker-archive:{da}"),
        &format!("dir:{}", tree.display()),
    ]));
    assert!(
        err.contains("2 images: 0 copied, 2 unchanged, 0 failed"),
        "{err}"
    );
    let back2 = t.path().join("back2");
    let err = fails_with(
        lade().args([
            "sync",
            &format!("docker-archive:{da}"),
            &format!("oci:{}", back2.display()),
        ]),
        3,
    );
    assert!(err.contains("would both be written to"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!back2.exists(), "nothing written");
    // Read as an OCI archive (Docker 25+ names both entries "1"), and
    // unpacked into a layout: two entries of one name, which a sync would
    // copy one of, are refused before anything is written, as copy
    // --all-images refuses them.
    let unpacked = t.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    let status = std::process::Command::new("tar")
        .arg("-xf")
        .arg(da)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    for src in [
        format!("oci-archive:{da}"),
        format!("oci:{}", unpacked.display()),
    ] {
        for dst in [&back2, &tree.join("none")] {
            let to = match dst == &back2 {
                true => format!("oci:{}", dst.display()),
                false => format!("dir:{}", dst.display()),
            };
            let err = fails_with(lade().args(["sync", &src, &to]), 3);
            assert!(err.contains("two images are named \"1\""), "{src}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(!dst.exists(), "{src}: nothing written");
        }
    }
    // Only the names a sync takes count, and a name given twice to one
    // image names one image.
    name_first_entry_again(&unpacked, &["one", "same", "same"]);
    let err = ok_stderr(lade().args([
        "sync",
        "--tag-regex",
        "^(one|same)$",
        &format!("oci:{}", unpacked.display()),
        &format!("oci:{}", back2.display()),
    ]));
    assert!(err.contains("2 images: 2 copied"), "{err}");
    // copy --all-images too takes a name given twice to one image once.
    let twice = t.path().join("twice");
    ok(lade().args([
        "copy",
        "-q",
        &format!("oci:{}:same", unpacked.display()),
        &format!("oci:{}:same", twice.display()),
    ]));
    name_first_entry_again(&twice, &["same"]);
    let out = t.path().join("twice-out");
    ok(lade().args([
        "copy",
        "-q",
        "--all-images",
        &format!("oci:{}", twice.display()),
        &format!("oci:{}", out.display()),
    ]));
    let refs = ok_str(lade().arg("--store").arg(&out).arg("ls-refs"));
    assert_eq!(refs.lines().count(), 1, "{refs}");

    // A missing archive is named as such, not as a transport without
    // tags: not there (exit 1), as for copy.
    let nope = t.path().join("nope.tar");
    let err = fails_with(
        lade().args([
            "sync",
            &format!("docker-archive:{}", nope.display()),
            &format!("oci:{}", back2.display()),
        ]),
        1,
    );
    assert!(!err.contains("no tags"), "{err}");
    assert!(
        err.contains(&format!("{}: no such file", nope.display())),
        "{err}"
    );

    // Into a registry: layers go as they are (sync never recompresses;
    // copy gzips them), so the next run finds the image unchanged.
    let Some(reg) = registry() else { return };
    let repo = format!("docker://{reg}/{}", unique("sync/archive"));
    let archive = format!("docker-archive:{da}");
    let synced = || ok_stderr(sync_cmd().args(["--tag-regex", "^tiny:", &archive, &repo]));
    let err = synced();
    assert!(err.contains("1 image: 1 copied, 0 unchanged"), "{err}");
    let err = synced();
    assert!(err.contains("1 image: 0 copied, 1 unchanged"), "{err}");
    let there = json(&ok(lade().args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("{repo}:1"),
    ])));
    let config = json(&ok(lade().args([
        "inspect",
        "--config",
        &format!("{archive}:tiny:1"),
    ])));
    let layers: Vec<&Value> = there["layers"].as_array().unwrap().iter().collect();
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    assert_eq!(layers.len(), diff_ids.len(), "{there}");
    for (l, d) in layers.iter().zip(diff_ids) {
        assert_eq!(l["digest"], *d, "{there}");
        assert_eq!(
            l["mediaType"],
            "application/vnd.docker.image.rootfs.diff.tar"
        );
    }
}

/// Add to `layout`'s index.json an entry of its first image for each of
/// `names`.
fn name_first_entry_again(layout: &std::path::Path, names: &[&str]) {
    let path = layout.join("index.json");
    let mut index = json(&std::fs::read(&path).unwrap());
    let first = index["manifests"][0].clone();
    for name in names {
        let mut e = first.clone();
        e["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": name});
        index["manifests"].as_array_mut().unwrap().push(e);
    }
    std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Tags sharing base layers synced from a registry into one oci: layout,
/// many images at once: every blob is fetched from the source once and
/// written once (the other images find it present), not once per image.
#[test]
fn shared_blobs_cross_once_into_a_layout() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let PushedBase {
        tags,
        base,
        own,
        proxy,
        src,
    } = pushed_shared_base(&reg, t.path(), 4, 2 << 20);
    let lay = t.path().join("lay");
    let dst = format!("oci:{}", lay.display());
    let err = ok_stderr(sync_cmd().args(["--progress=json", "-j", "6", &src, &dst]));
    for (tag, d) in &tags {
        let raw = ok(lade().args(["inspect", "--raw", &format!("{dst}:{tag}")]));
        assert_eq!(sha256(&raw), d["digest"].as_str().unwrap(), "tag {tag}");
    }
    let gets = proxy.take();
    for d in base.iter().chain(&own) {
        let fetched = gets
            .iter()
            .filter(|l| l.starts_with("GET ") && l.ends_with(&format!("/blobs/{d}")))
            .count();
        assert_eq!(fetched, 1, "blob {d} fetched {fetched} times: {gets:#?}");
        let started = blob_events(&err)
            .iter()
            .filter(|(b, e, _)| b == d && e == "blob_start")
            .count();
        assert_eq!(started, 1, "blob {d} written {started} times: {err}");
    }
    ok(lade().args(["fsck", "--store", lay.to_str().unwrap()]));
}

/// A dir: tree where one image's directory is something else: that image
/// fails, naming its directory, and with --keep-going the others are
/// copied; the foreign directory is left as it was.
#[test]
fn a_foreign_directory_in_a_dir_tree_fails_that_image_alone() {
    let t = tempdir();
    let src_dir = t.path().join("src");
    many_tags(&src_dir, 3);
    let src = format!("oci:{}", src_dir.display());
    let tree = t.path().join("tree");
    std::fs::create_dir_all(tree.join("t00")).unwrap();
    std::fs::write(tree.join("t00/notes.txt"), "mine").unwrap();
    let dest = format!("dir:{}", tree.display());
    let err = fails_with(lade().args(["sync", "-q", &src, &dest]), 3);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("opening dir:{}/t00: ", tree.display())),
        "{err}"
    );
    let err = fails_with(lade().args(["sync", "-q", "-k", &src, &dest]), 3);
    assert!(
        err.contains(&format!(
            "lade: failed: t00: opening dir:{}/t00: ",
            tree.display()
        )),
        "{err}"
    );
    assert!(err.contains("1 of 3 images failed"), "{err}");
    assert_eq!(
        std::fs::read_to_string(tree.join("t00/notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(tree.join("t00")).unwrap().count(), 1);
    for tag in ["t01", "t02"] {
        assert!(tree.join(tag).join("version").is_file(), "{tag}: {err}");
    }
    // A file where the tree should be: named.
    let file = t.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = fails_with(
        lade().args(["sync", "-q", &src, &format!("dir:{}", file.display())]),
        3,
    );
    assert!(
        err.contains(&format!("dir:{}/t00", file.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Tags naming one image: its blobs, the config too, are written once.
#[test]
fn tags_of_one_image_write_its_config_once() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let dir = t.path().join("src");
    let d = image(&dir, "amd64", "same", false, 4096);
    let repo = unique("sync/same");
    for tag in ["b", "c", "d"] {
        push_layout(&reg, &dir, &repo, tag, &d);
    }
    let dst = format!("docker://{reg}/{}", unique("sync/same-dst"));
    // read through another address, so nothing is mounted: written
    let proxy = Counter::start(&reg);
    let src = format!("docker://{}/{repo}", proxy.addr);
    let o = run(sync_cmd().args(["--progress=json", &src, &dst]));
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    let mut done = std::collections::HashMap::<String, usize>::new();
    for (digest, event, _) in blob_events(&err) {
        if event == "blob_done" {
            *done.entry(digest).or_default() += 1;
        }
    }
    let m: Value = serde_json::from_slice(
        &std::fs::read(
            dir.join("blobs/sha256")
                .join(&d["digest"].as_str().unwrap()[7..]),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        done.get(m["config"]["digest"].as_str().unwrap()),
        Some(&1),
        "{err}"
    );
    assert_eq!(done.len(), 3, "config and two layers: {err}");
    assert!(done.values().all(|&n| n == 1), "{done:?}");
}

#[test]
fn an_unreachable_destination_is_tried_once_not_once_per_image() {
    let t = tempdir();
    let src = t.path().join("src");
    let tags = many_tags(&src, 5);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let t0 = std::time::Instant::now();
    let err = fails_with(
        sync_cmd().args([
            "-k",
            "--retry-times",
            "1",
            "--retry-delay",
            "1s",
            &format!("oci:{}", src.display()),
            &format!("docker://{closed}/x"),
        ]),
        3,
    );
    let took = t0.elapsed();
    // One ping and its retry (1 s), then every image fails with its error.
    assert!(
        took < std::time::Duration::from_millis(2500),
        "{took:?}: {err}"
    );
    assert!(
        err.contains(&format!(
            "{} images: 0 copied, 0 unchanged, {} failed",
            tags.len(),
            tags.len()
        )),
        "{err}"
    );
}

#[test]
fn images_of_one_tag_into_a_dir_tree_are_told_apart() {
    let t = tempdir();
    let archive = fixture("docker-save/tiny2-docker26.tar");
    let tree = t.path().join("tree");
    let err = ok_stderr(lade().args([
        "sync",
        &format!("docker-archive:{}", archive.display()),
        &format!("dir:{}", tree.display()),
    ]));
    // (each line naming the image's place in the tree, as --dry-run does)
    let plan = ok_str(lade().args([
        "sync",
        "--dry-run",
        &format!("docker-archive:{}", archive.display()),
        &format!("dir:{}", t.path().join("plan").display()),
    ]));
    for name in ["tiny:1", "tiny-other:1"] {
        assert!(tree.join(name).join("manifest.json").is_file(), "{name}");
        let line = format!("\n{name}: copied sha256:");
        assert!(format!("\n{err}").contains(&line), "{err}");
        assert!(
            plan.lines()
                .any(|l| l.starts_with(&format!("{name}\tsha256:"))),
            "{plan}"
        );
    }
    // So are a layout's refs NAME:TAG (as copy --all-images and skopeo
    // name them); a ref that is a tag alone goes to TREE/TAG.
    let layout = t.path().join("layout");
    let lay = format!("oci:{}", layout.display());
    ok(lade()
        .args(["copy", "-q", "--all-images"])
        .arg(format!("docker-archive:{}", archive.display()))
        .arg(&lay));
    ok(lade()
        .arg("--store")
        .arg(&layout)
        .args(["tag", "tiny:1", "2"]));
    let tree = t.path().join("tree2");
    let plan = ok_str(lade().args([
        "sync",
        "--dry-run",
        &lay,
        &format!("dir:{}", tree.display()),
    ]));
    ok(lade().args(["sync", "-q", &lay, &format!("dir:{}", tree.display())]));
    let mut made: Vec<String> = std::fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    made.sort();
    assert_eq!(made, ["2", "tiny-other:1", "tiny:1"]);
    let mut planned: Vec<&str> = plan
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    planned.sort();
    assert_eq!(planned, made);
}

/// Threads per image and images at once are bounded: a typo such as
/// `-j 100000` is a usage error, not a thousand-fold memory use.
#[test]
fn parallelism_is_bounded() {
    for (args, what) in [
        (
            &["sync", "-j", "257", "oci:/nonexistent", "dir:/nonexistent"][..],
            "--jobs",
        ),
        (
            &[
                "copy",
                "--image-parallel-copies",
                "100000",
                "oci:/a",
                "oci:/b",
            ][..],
            "--image-parallel-copies",
        ),
    ] {
        let err = fails_with(lade().args(args), 2);
        assert!(err.contains(what) && err.contains("256"), "{err}");
    }
    // The bound itself is taken.
    let err = fails_with(
        lade().args([
            "sync",
            "-j",
            "256",
            "oci:/nonexistent-lade",
            "dir:/nonexistent-lade",
        ]),
        1,
    );
    assert!(!err.contains("--jobs"), "{err}");
}

/// Images a sync writes changed (Docker ones converted for an oci:
/// layout, a Docker list among them; platforms picked into a registry)
/// are found unchanged by the next run: from their manifests, with no
/// blob read or written and the layout's index.json left as it was. A tag
/// moved at the source is copied again.
#[test]
fn images_written_changed_are_unchanged_the_next_time() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src_dir = t.path().join("src");
    let mut named: Vec<(String, Value)> = (0..3)
        .map(|i| {
            (
                format!("d{i}"),
                image(&src_dir, "amd64", &format!("d{i}"), true, 64 * 1024),
            )
        })
        .collect();
    named.push((
        "list".into(),
        index(&src_dir, &["amd64", "arm64"], "list", true),
    ));
    named.push((
        "oci".into(),
        index(&src_dir, &["amd64", "arm64", "s390x"], "oci", false),
    ));
    let repo = unique("sync/changed");
    for (tag, d) in &named {
        push_layout(&reg, &src_dir, &repo, tag, d);
    }
    let proxy = Counter::start(&reg);
    let src = format!("docker://{}/{repo}", proxy.addr);
    let blob_io = |log: &[String]| -> Vec<String> {
        log.iter()
            .filter(|l| l.contains("/blobs/"))
            .cloned()
            .collect()
    };

    // Into a layout: Docker images and the Docker list are converted.
    let layout = t.path().join("layout");
    let dst = format!("oci:{}", layout.display());
    let err = ok_stderr(sync_cmd().args([&src, &dst]));
    assert!(err.contains("5 images: 5 copied, 0 unchanged"), "{err}");
    let index_json = layout.join("index.json");
    let before = (
        std::fs::read(&index_json).unwrap(),
        std::fs::metadata(&index_json).unwrap().modified().unwrap(),
    );
    proxy.take();
    let err = ok_stderr(sync_cmd().args([&src, &dst]));
    assert!(err.contains("5 images: 0 copied, 5 unchanged"), "{err}");
    let second = proxy.take();
    assert_eq!(blob_io(&second), Vec::<String>::new(), "{second:#?}");
    assert_eq!(
        (
            std::fs::read(&index_json).unwrap(),
            std::fs::metadata(&index_json).unwrap().modified().unwrap()
        ),
        before
    );
    // A dry run says the same.
    let out = ok_str(sync_cmd().args(["--dry-run", &src, &dst]));
    assert!(!out.contains("would copy"), "{out}");
    ok(lade().args(["fsck", "--store", &layout.display().to_string()]));
    // The same digest there, but options that now write another image (a
    // platform of an index mirrored whole, another format): copied.
    let layout2 = t.path().join("layout2");
    let dst2 = format!("oci:{}", layout2.display());
    ok(sync_cmd().args(["--tag-regex", "^oci$", &src, &dst2]));
    let arm64_only = || {
        ok_stderr(sync_cmd().args([
            "--platform",
            "linux/arm64",
            "--tag-regex",
            "^oci$",
            &src,
            &dst2,
        ]))
    };
    let err = arm64_only();
    assert!(err.contains("1 copied, 0 unchanged"), "{err}");
    let got = json(&ok(lade().args([
        "inspect",
        "--raw",
        &format!("{dst2}:oci"),
    ])));
    assert_eq!(got["manifests"].as_array().unwrap().len(), 1, "{got}");
    let err = arm64_only();
    assert!(err.contains("0 copied, 1 unchanged"), "{err}");
    let mirror2 = format!("docker://{}/{}", proxy.addr, unique("sync/format"));
    ok(sync_cmd().args(["--tag-regex", "^oci$", &src, &mirror2]));
    let err =
        ok_stderr(sync_cmd().args(["--format", "v2s2", "--tag-regex", "^oci$", &src, &mirror2]));
    assert!(err.contains("1 copied, 0 unchanged"), "{err}");
    let got = json(&ok(lade().args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("{mirror2}:oci"),
    ])));
    assert_eq!(got["mediaType"], DOCKER_LIST, "{got}");

    // Platforms picked, registry to registry.
    let mirror = format!("docker://{}/{}", proxy.addr, unique("sync/picked"));
    // (the indexes: the single images are for amd64)
    let picked = || {
        ok_stderr(
            sync_cmd()
                .args(["--platform", "linux/arm64", "--tag-regex", "^(list|oci)$"])
                .args([&src, &mirror]),
        )
    };
    let err = picked();
    assert!(err.contains("2 images: 2 copied"), "{err}");
    proxy.take();
    let err = picked();
    assert!(err.contains("2 images: 0 copied, 2 unchanged"), "{err}");
    let again = proxy.take();
    assert_eq!(blob_io(&again), Vec::<String>::new(), "{again:#?}");
    assert!(!again.iter().any(|l| l.starts_with("PUT ")), "{again:#?}");

    // A tag moved at the source: copied, the others unchanged.
    let moved = index(&src_dir, &["amd64", "arm64"], "list-moved", true);
    push_layout(&reg, &src_dir, &repo, "list", &moved);
    named[3].1 = moved;
    let err = ok_stderr(sync_cmd().args([&src, &dst]));
    assert!(err.contains("5 images: 1 copied, 4 unchanged"), "{err}");
    let err = picked();
    assert!(err.contains("2 images: 1 copied, 1 unchanged"), "{err}");
    // What the layout holds for it is the moved list, converted.
    let got = json(&ok(lade().args([
        "inspect",
        "--raw",
        &format!("{dst}:list"),
    ])));
    let want = json(
        &std::fs::read(
            src_dir
                .join("blobs/sha256")
                .join(&named[3].1["digest"].as_str().unwrap()[7..]),
        )
        .unwrap(),
    );
    assert_eq!(got["manifests"].as_array().unwrap().len(), 2);
    assert_eq!(got["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(want["mediaType"], DOCKER_LIST);
    assert_ne!(
        got["manifests"][0]["digest"],
        want["manifests"][0]["digest"]
    );
}

/// --digestfile /dev/stdout into a pipe closed early ends the sync
/// quietly, with status 0, as a closed stdout does.
#[test]
fn a_digestfile_pipe_closed_early_is_quiet() {
    let t = tempdir();
    let src_dir = t.path().join("src");
    many_tags(&src_dir, 6);
    let script = format!(
        "{} sync -q --jobs 1 --digestfile /dev/stdout oci:{} oci:{} | head -c 1 >/dev/null; \
         echo \"status ${{PIPESTATUS[0]}}\"",
        env!("CARGO_BIN_EXE_lade"),
        src_dir.display(),
        t.path().join("dst").display()
    );
    let o = run(std::process::Command::new("bash")
        .args(["-c", &script])
        .env("LADE_BLOB_CACHE", "off"));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out.trim(),
        "status 0",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Tags naming one multi-platform index, synced at once: each image's
/// copy writes the index's manifests. Two PUTs of one new manifest at
/// the same moment both write it in the registry (distribution rewrites
/// the file in place), and an index PUT checking it in between found it
/// damaged: 400 DIGEST_INVALID, in about one sync of twelve. Each
/// manifest now goes up once at a time, so every sync succeeds.
#[test]
fn tags_of_one_index_sync_together_every_time() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let dir = t.path().join("src");
    let d = index(&dir, &["amd64", "arm64", "s390x", "ppc64le"], "x", false);
    let repo = unique("sync/idx");
    let tags: Vec<(String, Value)> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|t| (t.to_string(), d.clone()))
        .collect();
    for (tag, d) in &tags {
        push_layout(&reg, &dir, &repo, tag, d);
    }
    let src = format!("docker://{reg}/{repo}");
    for round in 0..20 {
        let dst = format!("docker://{reg}/{}", unique("sync/idx-dst"));
        let o = run(sync_cmd().args(["-q", &src, &dst]));
        assert!(
            o.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        if round == 0 {
            assert_same_digests(&dst, &tags);
        }
    }
}

/// Two syncs of one source into one registry repository at once, as two
/// pipelines mirroring the same thing do. distribution rewrites a blob's
/// or manifest's link in the repository in place each time one is PUT,
/// so a manifest PUT of one sync that checks a link the other is
/// rewriting was refused (400 MANIFEST_BLOB_UNKNOWN) in about one round
/// of three. Such a PUT is now sent again a moment later, and both syncs
/// succeed every time.
#[test]
fn two_syncs_into_one_repository_at_once_both_succeed() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let dir = t.path().join("src");
    let mut tags = many_tags(&dir, 8);
    // More tags of the index: each sync PUTs its manifests once per tag.
    let idx = tags[7].1.clone();
    tags.extend(["i1", "i2", "i3", "i4"].map(|t| (t.to_string(), idx.clone())));
    let refs: Vec<(&str, Value)> = tags.iter().map(|(t, d)| (t.as_str(), d.clone())).collect();
    write_layout(&dir, &refs);
    let src = format!("oci:{}", dir.display());
    for round in 0..12 {
        let dst = format!("docker://{reg}/{}", unique("sync/twice"));
        let spawn = || {
            sync_cmd()
                .args(["-q", &src, &dst])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for o in [a, b].map(|c| c.wait_with_output().unwrap()) {
            assert!(
                o.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        if round == 0 {
            assert_same_digests(&dst, &tags);
        }
    }
}

/// A tag listing is the registry's word: a tag listed twice (on two
/// pages) is one image, copied once; names that are no tags (`a/b`,
/// `../x`, which would go into URLs and paths) are left out, said once;
/// a listing that is no JSON object (`[]`) is an error, not "no tags".
#[test]
fn a_listing_with_a_tag_twice_and_names_that_are_no_tags() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let repo = unique("sync/listed");
    let tags = many_tags(&t.path().join("src"), 2);
    for (tag, desc) in &tags {
        push_layout(&reg, &t.path().join("src"), &repo, tag, desc);
    }
    let proxy = support::Counter::start(&reg);
    proxy.fake_tag_pages(&[
        r#"{"name":"x","tags":["t00","a/b"]}"#,
        r#"{"name":"x","tags":["t00","../x","t01"]}"#,
    ]);
    let src = format!("docker://{}/{repo}", proxy.addr);
    let out = run(lade().args(["list-tags", "--tls-verify=false", &src]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(json(&out.stdout)["Tags"], json!(["t00", "t01"]));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("2 names that are no valid tag left out (\"a/b\", …)"),
        "{err}"
    );
    let lay = t.path().join("lay");
    let out = run(sync_cmd().args([&src, &format!("oci:{}", lay.display())]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("2 images: 2 copied"), "{err}");
    assert_same_digests(&format!("oci:{}", lay.display()), &tags);

    proxy.fake_tag_pages(&["[]"]);
    let err = fails_with(lade().args(["list-tags", "--tls-verify=false", &src]), 3);
    assert!(err.contains("is no JSON object"), "{err}");
    let err = fails_with(
        sync_cmd().args([&src, &format!("oci:{}", t.path().join("l2").display())]),
        3,
    );
    assert!(err.contains("is no JSON object"), "{err}");
}

/// A layout naming images by what is no valid ref name (`..`, a space
/// in it: written by hand or another tool) has the rest synced: those
/// names are left out with one warning, not the end of the sync.
#[test]
fn names_that_are_no_refs_are_left_out_of_a_layout_sync() {
    let t = tempdir();
    let src = t.path().join("src");
    let named: Vec<(&str, Value)> = ["ok", "..", "sp ace"]
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, image(&src, "amd64", &format!("t{i}"), false, 1024)))
        .collect();
    write_layout(&src, &named);
    let dst = t.path().join("dst");
    let err = ok_stderr(lade().args([
        "sync",
        &format!("oci:{}", src.display()),
        &format!("oci:{}", dst.display()),
    ]));
    assert!(
        err.contains("2 names that are no valid ref name left out (\"..\", …)"),
        "{err}"
    );
    assert!(err.contains("1 image: 1 copied"), "{err}");
    let index = json(&std::fs::read(dst.join("index.json")).unwrap());
    let names: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["annotations"]["org.opencontainers.image.ref.name"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(names, ["ok"]);
}

/// A ref name that is valid but no tag (`1.0+build`, `ns/ref`) fails its
/// image saying so (not that the image has no name), into a registry or a
/// dir: tree; the others go.
#[test]
fn a_ref_name_that_is_no_tag_says_so() {
    let t = tempdir();
    let src = t.path().join("src");
    let named: Vec<(&str, Value)> = ["ok", "1.0+build", "ns/ref"]
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, image(&src, "amd64", &format!("t{i}"), false, 1024)))
        .collect();
    write_layout(&src, &named);
    let err = fails_with(
        lade().args([
            "sync",
            "-k",
            &format!("oci:{}", src.display()),
            &format!("dir:{}", t.path().join("tree").display()),
        ]),
        3,
    );
    assert!(
        err.contains("3 images: 1 copied, 0 unchanged, 2 failed"),
        "{err}"
    );
    assert!(
        err.contains("\"1.0+build\" is not a valid tag")
            && err.contains("\"ns/ref\" is not a valid tag"),
        "{err}"
    );
    assert!(!err.contains("no tag to write it under"), "{err}");
}

/// An image at an oci: destination that is not whole there (a blob gone,
/// one cut short, the manifest itself gone) is copied again by the next
/// sync, not found unchanged; whole again, it is unchanged.
#[test]
fn a_damaged_image_at_the_destination_is_copied_again() {
    let t = tempdir();
    let src = t.path().join("src");
    let d = image(&src, "amd64", "t0", false, 64 * 1024);
    write_layout(&src, &[("app", d.clone())]);
    let dst = t.path().join("dst");
    let sync = || {
        ok_stderr(lade().args([
            "sync",
            &format!("oci:{}", src.display()),
            &format!("oci:{}", dst.display()),
        ]))
    };
    assert!(sync().contains("1 image: 1 copied"));
    let blobs = layout_blobs(&dst, &d);
    let path = |hex: &str| dst.join("blobs/sha256").join(&hex[7..]);
    let (layer, manifest) = (&blobs.last().unwrap().0, d["digest"].as_str().unwrap());
    assert_ne!(layer, manifest);
    for damage in ["gone", "cut", "manifest gone"] {
        match damage {
            "gone" => std::fs::remove_file(path(layer)).unwrap(),
            "cut" => {
                let bytes = std::fs::read(path(layer)).unwrap();
                std::fs::remove_file(path(layer)).unwrap();
                std::fs::write(path(layer), &bytes[..bytes.len() / 2]).unwrap();
            }
            _ => std::fs::remove_file(path(manifest)).unwrap(),
        }
        let err = sync();
        assert!(err.contains("1 image: 1 copied"), "{damage}: {err}");
        ok_stderr(lade().arg("--store").arg(&dst).arg("fsck"));
    }
    assert!(sync().contains("1 image: 0 copied, 1 unchanged"));
}

/// A sync --command-timeout ends still says what it did: the summary
/// (images copied, and those not finished) comes before the error, and
/// --digestfile holds the images that ended.
#[test]
fn a_sync_ended_by_command_timeout_says_its_summary_first() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named = many_tags(&src_dir, 4);
    let proxy = Counter::start(&reg);
    // One tag's manifest is never answered.
    proxy.hold("PUT", "/manifests/t01");
    let dst = format!("docker://{}/{}", proxy.addr, unique("sync/timeout"));
    let digests = t.path().join("digests");
    let err = fails_with(
        sync_cmd().args([
            "--command-timeout",
            "5s",
            "--digestfile",
            digests.to_str().unwrap(),
            &format!("oci:{}", src_dir.display()),
            &dst,
        ]),
        3,
    );
    proxy.release();
    let lines: Vec<&str> = err.lines().collect();
    let n = lines.len();
    assert!(n >= 2, "{err}");
    assert_eq!(
        lines[n - 2],
        "4 images: 3 copied, 0 unchanged, 0 failed, 1 not finished",
        "{err}"
    );
    assert!(
        lines[n - 1].contains("ran out of time (--command-timeout 5s)"),
        "{err}"
    );
    let written = std::fs::read_to_string(&digests).unwrap();
    assert_eq!(written.lines().count(), 3, "{written}");
    for (tag, d) in named.iter().filter(|(t, _)| t != "t01") {
        let line = format!("{} {dst}:{tag}", d["digest"].as_str().unwrap());
        assert!(written.lines().any(|l| l == line), "{line}: {written}");
    }
}

/// --tag-regex reads RE2's `\Q…\E` and braces as skopeo's Go regexp
/// does: the text between is literal (to the end without `\E`), and so
/// is a `{` that begins no repetition. Offline: a layout.
#[test]
fn tag_regex_takes_quoted_literal_text() {
    let t = tempdir();
    let dir = t.path().join("src");
    let named: Vec<(&str, Value)> = ["1.0", "1x0", "v1.0", "1.0.1"]
        .iter()
        .map(|tag| (*tag, image(&dir, "amd64", tag, false, 1024)))
        .collect();
    write_layout(&dir, &named);
    let src = format!("oci:{}", dir.display());
    let dst = format!("oci:{}", t.path().join("dst").display());
    let picked = |re: &str| -> Vec<String> {
        let out = String::from_utf8(ok(sync_cmd().args([
            "--dry-run",
            "--tag-regex",
            re,
            &src,
            &dst,
        ])))
        .unwrap();
        let mut tags: Vec<String> = out
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        tags.sort();
        tags
    };
    assert_eq!(picked(r"^\Q1.0\E$"), ["1.0"]);
    assert_eq!(picked(r"^\Q1.0"), ["1.0", "1.0.1"]);
    assert_eq!(picked(r"^1.0$"), ["1.0", "1x0"]);
    // A brace that begins no repetition is literal text, as in Go (no tag
    // holds one); one that does repeats.
    assert!(picked("^1{,2}").is_empty());
    assert_eq!(picked(r"^1\.0{1}$"), ["1.0"]);
    assert!(!t.path().join("dst").exists());
}
