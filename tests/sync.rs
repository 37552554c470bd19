//! `lade sync` against the test registry: a repository of 20+ tags
//! mirrored, a second run that moves no blob and reads no manifest
//! (requests counted by a proxy), layouts to registries and back with
//! digests unchanged, --tag-regex, --dry-run, --keep-going, JSON progress.

mod common;
mod support;

use std::path::Path;

use common::*;
use serde_json::Value;
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
    // Uploads, or cross-repository mounts (same registry): one POST each.
    let blob_posts = first
        .iter()
        .filter(|l| l.starts_with("POST ") && l.contains("/blobs/uploads/"))
        .count();
    // 20 configs + 20 own layers + 1 base, and the index's 2 images.
    assert!(blob_posts >= 41, "{blob_posts} uploads: {first:#?}");
    // The base every tag shares is asked about at the destination once
    // (the first image goes alone), not once per tag.
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
    for (tag, d) in &named {
        let got = ok(lade().args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("{dst}:{tag}"),
        ]));
        assert_eq!(sha256(&got), d["digest"].as_str().unwrap(), "tag {tag}");
    }
    let tags = json(&ok(lade().args(["list-tags", "--tls-verify=false", &dst])));
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 21);

    // Second run: only tag listing and HEADs.
    proxy.take();
    let out = run(sync_cmd().args([&src, &dst]));
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
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
    let plan = String::from_utf8(ok(sync_cmd().args(["--dry-run", &repo, &back_ref]))).unwrap();
    assert_eq!(plan.lines().count(), 5, "{plan}");
    assert!(!back.join("index.json").exists());
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
    // skopeo reads what came back.
    if require_tool("skopeo") {
        ok(std::process::Command::new("skopeo")
            .args(["inspect", &format!("oci:{}:t00", back.display())]));
    }
}

#[test]
fn keep_going_reports_every_failure_and_json_progress_adds_up() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src_dir = t.path().join("src");
    let named = many_tags(&src_dir, 4);
    // Break two images: remove their own layer blobs.
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
    // JSON lines: every line before the error lines parses; bytes add up.
    // One clock for the whole sync: times never go backwards.
    let mut done_bytes = 0u64;
    let mut images = 0;
    let mut last_time = 0.0;
    for l in err.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        let t = v["time"].as_f64().unwrap();
        assert!(
            t >= last_time,
            "time goes back to {t} after {last_time}: {l}"
        );
        last_time = t;
        match v["event"].as_str().unwrap() {
            "blob_done" => done_bytes += v["bytes"].as_u64().unwrap(),
            "image_done" => images += 1,
            _ => {}
        }
    }
    assert_eq!(images, 2);
    // The two good images: each blob's size, counted once per copy.
    let mut want = 0u64;
    let mut seen = std::collections::HashSet::new();
    let blob = |d: &str| std::fs::read(src_dir.join("blobs/sha256").join(&d[7..])).unwrap();
    for (_, d) in named.iter().skip(2) {
        let top = json(&blob(d["digest"].as_str().unwrap()));
        let manifests: Vec<Value> = match top["manifests"].as_array() {
            Some(ms) => ms
                .iter()
                .map(|m| json(&blob(m["digest"].as_str().unwrap())))
                .collect(),
            None => vec![top],
        };
        for m in manifests {
            for b in std::iter::once(&m["config"]).chain(m["layers"].as_array().unwrap()) {
                if seen.insert(b["digest"].as_str().unwrap().to_string()) {
                    want += b["size"].as_u64().unwrap();
                }
            }
        }
    }
    // Parallel images may both upload the shared base: at least every blob once.
    assert!(done_bytes >= want, "{done_bytes} < {want}");
    // Without --keep-going: stops with an error.
    fails_with(sync_cmd().args(["-j", "1", &src, &format!("{repo}x")]), 3);
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
