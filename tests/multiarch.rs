//! Multi-platform copies: --all keeps the index digest, --platform writes
//! a smaller index, the default picks this machine's image, index-only
//! needs the instances present; OCI indexes and Docker manifest lists,
//! written by skopeo into the test registry, read back by skopeo.

mod common;
mod support;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;
use support::*;

fn skopeo() -> Command {
    Command::new("skopeo")
}

/// Push a 3-platform index (or Docker list) with skopeo; returns
/// (docker:// name, index descriptor).
fn pushed_index(reg: &str, dir: &Path, docker: bool) -> (String, Value) {
    let desc = index(dir, &["amd64", "arm64", "s390x"], "1", docker);
    write_layout(dir, &[("multi", desc.clone())]);
    let repo = unique("ma/app");
    let name = format!("docker://{reg}/{repo}:1");
    if docker {
        // skopeo's oci: reader skips Docker-typed entries: push by hand.
        push_layout(reg, dir, &repo, "1", &desc);
        return (name, desc);
    }
    ok(skopeo().args([
        "copy",
        "-q",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &format!("oci:{}:multi", dir.display()),
        &name,
    ]));
    (name, desc)
}

/// What most tests here need: the test registry and skopeo (None: skip),
/// a temp dir, and a 3-platform OCI index pushed from its `src`:
/// (registry, temp dir, docker:// name, index descriptor).
fn with_pushed_index() -> Option<(String, tempfile::TempDir, String, Value)> {
    let reg = registry()?;
    if !require_tool("skopeo") {
        return None;
    }
    let t = tempdir();
    let (src, desc) = pushed_index(&reg, &t.path().join("src"), false);
    Some((reg, t, src, desc))
}

fn raw(name: &str) -> Vec<u8> {
    ok(skopeo().args(["inspect", "--raw", "--tls-verify=false", name]))
}

fn check_all_platform_copies(docker: bool) {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let (src, desc) = pushed_index(&reg, &t.path().join("src"), docker);
    let src_raw = raw(&src);
    assert_eq!(sha256(&src_raw), desc["digest"].as_str().unwrap());
    let src_index = json(&src_raw);
    let insecure = ["--src-tls-verify=false", "--dest-tls-verify=false"];

    // --all: the same index digest at the destination, every instance there.
    let all = format!("docker://{reg}/{}:all", unique("ma/all"));
    ok(lade()
        .args(["copy", "-q", "--all"])
        .args(insecure)
        .args([&src, &all]));
    assert_eq!(raw(&all), src_raw, "skopeo reads back the same index bytes");
    let arm = src_index["manifests"][1]["digest"].as_str().unwrap();
    let all_repo = all.rsplit_once(':').unwrap().0;
    for m in src_index["manifests"].as_array().unwrap() {
        let d = m["digest"].as_str().unwrap();
        assert_eq!(sha256(&raw(&format!("{all_repo}@{d}"))), d);
    }

    // --platform: a new index holding only that entry.
    let sub = format!("docker://{reg}/{}:arm", unique("ma/sub"));
    ok(lade()
        .args(["copy", "-q", "--platform", "linux/arm64"])
        .args(insecure)
        .args([&src, &sub]));
    let sub_index = json(&raw(&sub));
    assert_eq!(sub_index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(sub_index["manifests"][0], src_index["manifests"][1]);
    assert_eq!(sub_index["mediaType"], src_index["mediaType"]);

    // Two platforms, into an OCI layout.
    let out = t.path().join("out");
    ok(lade()
        .args(["copy", "-q", "--src-tls-verify=false"])
        .args(["--platform", "linux/s390x", "--platform", "linux/amd64"])
        .args([&src, &format!("oci:{}:two", out.display())]));
    let two = json(&ok(lade().args([
        "inspect",
        "--raw",
        &format!("oci:{}:two", out.display()),
    ])));
    let archs: Vec<&str> = two["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["amd64", "s390x"]);
    assert_eq!(two["mediaType"], OCI_INDEX);
    if !docker {
        // The instances themselves, untouched, in the source's order.
        assert_eq!(two["manifests"][0], src_index["manifests"][0]);
        assert_eq!(two["manifests"][1], src_index["manifests"][2]);
    }
    // skopeo reads every instance of the layout (Digest is the index's).
    for m in two["manifests"].as_array().unwrap() {
        let arch = m["platform"]["architecture"].as_str().unwrap();
        let img = json(&ok(skopeo().args([
            "inspect",
            &format!("oci:{}:two", out.display()),
            "--override-arch",
            arch,
        ])));
        assert_eq!(img["Architecture"].as_str().unwrap(), arch);
        assert_eq!(
            img["Digest"].as_str().unwrap(),
            sha256(&ok(lade().args([
                "inspect",
                "--raw",
                &format!("oci:{}:two", out.display()),
            ])))
        );
    }

    // --override-arch: that image, a plain manifest.
    let one = format!("docker://{reg}/{}:one", unique("ma/one"));
    ok(lade()
        .args(["copy", "-q", "--override-arch", "arm64"])
        .args(insecure)
        .args([&src, &one]));
    assert_eq!(sha256(&raw(&one)), arm);

    // index-only: refused where the instances are missing, fine where present.
    let fresh = format!("docker://{reg}/{}:idx", unique("ma/idx"));
    let err = fails_with(
        lade()
            .args(["copy", "-q", "--multi-arch", "index-only"])
            .args(insecure)
            .args([&src, &fresh]),
        3,
    );
    assert!(
        err.contains("index-only") && err.contains("does not have"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let fresh_path = fresh
        .trim_start_matches("docker://")
        .split_once('/')
        .unwrap()
        .1;
    let (fresh_repo, _) = fresh_path.rsplit_once(':').unwrap();
    assert_eq!(
        registry_status(&reg, "GET", &format!("/v2/{fresh_repo}/tags/list")),
        404,
        "refused, yet a tag was written"
    );
    let again = format!("{all_repo}:idx");
    ok(lade()
        .args(["copy", "-q", "--multi-arch", "index-only"])
        .args(insecure)
        .args([&src, &again]));
    assert_eq!(raw(&again), src_raw);

    // A destination that cannot hold an index says so.
    let err = fails_with(
        lade()
            .args(["copy", "-q", "--all", "--src-tls-verify=false"])
            .args([
                &src,
                &format!("docker-archive:{}", t.path().join("x.tar").display()),
            ]),
        3,
    );
    assert!(err.contains("cannot hold a multi-platform index"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!t.path().join("x.tar").exists());
    // One --platform there copies that image alone, as --override-arch
    // does; two are refused, naming the way out.
    let da = t.path().join("arm.tar");
    ok(lade()
        .args(["copy", "-q", "--platform", "linux/arm64"])
        .args(insecure)
        .args([&src, &format!("docker-archive:{}", da.display())]));
    let img =
        json(&ok(lade().args([
            "inspect",
            &format!("docker-archive:{}", da.display()),
        ])));
    assert_eq!(img["Architecture"], "arm64", "{img}");
    let err = fails_with(
        lade()
            .args(["copy", "-q", "--platform", "linux/arm64"])
            .args(["--platform", "linux/amd64"])
            .args(insecure)
            .args([
                &src,
                &format!("docker-archive:{}", t.path().join("y.tar").display()),
            ]),
        3,
    );
    assert!(err.contains("one --platform"), "{err}");
    assert!(!t.path().join("y.tar").exists());
}

#[test]
fn oci_index_all_platform_subset_default_index_only() {
    check_all_platform_copies(false);
}

#[test]
fn docker_manifest_list_all_platform_subset_default_index_only() {
    check_all_platform_copies(true);
}

#[test]
fn all_into_layout_keeps_oci_digest_and_converts_docker_lists_unless_kept() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    for docker in [false, true] {
        let (src, desc) = pushed_index(&reg, &t.path().join(format!("s{docker}")), docker);
        let out = format!("oci:{}:all", t.path().join(format!("o{docker}")).display());
        ok(lade().args(["copy", "-q", "--all", "--src-tls-verify=false", &src, &out]));
        let got = ok(lade().args(["inspect", "--raw", &out]));
        let idx = json(&got);
        if docker {
            // The layout holds OCI only: instances and index converted.
            assert_eq!(idx["mediaType"], OCI_INDEX);
            assert_eq!(idx["manifests"].as_array().unwrap().len(), 3);
            for m in idx["manifests"].as_array().unwrap() {
                assert_eq!(m["mediaType"], OCI_MANIFEST);
            }
            // Asked to keep digests, the layout (and an oci-archive) holds
            // the Docker list and its images as they are.
            for kept in [
                format!("oci:{}:kept", t.path().join("o-kept").display()),
                format!("oci-archive:{}:kept", t.path().join("kept.tar").display()),
            ] {
                ok(lade().args([
                    "copy",
                    "-q",
                    "--all",
                    "--preserve-digests",
                    "--src-tls-verify=false",
                    &src,
                    &kept,
                ]));
                let raw_kept = ok(lade().args(["inspect", "--raw", &kept]));
                assert_eq!(sha256(&raw_kept), desc["digest"].as_str().unwrap());
                assert_eq!(json(&raw_kept)["mediaType"], DOCKER_LIST);
                // Back to a registry: the same digest.
                let back = format!("docker://{reg}/{}:kept", unique("ma/kept"));
                ok(lade().args([
                    "copy",
                    "-q",
                    "--all",
                    "--preserve-digests",
                    "--dest-tls-verify=false",
                    &kept,
                    &back,
                ]));
                assert_eq!(raw(&back), raw_kept);
            }
            let layout = t.path().join("o-kept");
            let index_json = json(&std::fs::read(layout.join("index.json")).unwrap());
            assert_eq!(index_json["manifests"][0]["mediaType"], DOCKER_LIST);
            // --format oci asks for OCI, not for the Docker type the layout
            // holds on request: the index alone (its images there) is OCI.
            let io = format!("oci:{}:io", layout.display());
            ok(lade().args([
                "copy",
                "-q",
                "--multi-arch",
                "index-only",
                "--format",
                "oci",
                "--src-tls-verify=false",
                &src,
                &io,
            ]));
            assert_eq!(
                json(&ok(lade().args(["inspect", "--raw", &io])))["mediaType"],
                OCI_INDEX
            );
            ok(lade()
                .arg("--store")
                .arg(&layout)
                .args(["gc", "--grace", "0"]));
            let fsck = ok(lade()
                .arg("--store")
                .arg(&layout)
                .args(["fsck", "--unreachable"]));
            assert!(fsck.is_empty(), "{}", String::from_utf8_lossy(&fsck));
            // Not asked: converted, as skopeo does (above).
        } else {
            assert_eq!(sha256(&got), desc["digest"].as_str().unwrap());
        }
        // lade's layout copies back to a registry with the same digest.
        let back = format!("docker://{reg}/{}:back", unique("ma/back"));
        ok(lade().args([
            "copy",
            "-q",
            "--all",
            "--dest-tls-verify=false",
            &out,
            &back,
        ]));
        assert_eq!(raw(&back), got);
    }
}

/// A selection the index cannot satisfy (an absent platform, index-only
/// without the instances at the destination) fails in one line and
/// creates no layout: the path stays missing, an empty directory empty.
#[test]
fn refused_selections_leave_no_new_layout() {
    let Some((_, t, src, _)) = with_pushed_index() else {
        return;
    };
    let new = t.path().join("new");
    let empty = t.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    // One image (the index's amd64 instance, by digest): --platform must
    // name its platform, as with docker pull --platform.
    let amd64 = json(&raw(&src))["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let single = format!("{}@{amd64}", src.rsplit_once(':').unwrap().0);
    for dir in [&new, &empty] {
        let dst = format!("oci:{}:x", dir.display());
        let copy_for = |platform: &str, from: &str| {
            let mut c = lade();
            c.args(["copy", "-q", "--src-tls-verify=false"]).args([
                "--platform",
                platform,
                from,
                &dst,
            ]);
            c
        };
        let err = fails_with(&mut copy_for("linux/arm64", &single), 1);
        assert!(
            err.contains("no image for linux/arm64: the source is a single image, for linux/amd64"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        let err = fails_with(&mut copy_for("linux/ppc64le", &src), 1);
        assert!(err.contains("no image for linux/ppc64le"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        let err = fails_with(
            lade().args([
                "copy",
                "-q",
                "--src-tls-verify=false",
                "--multi-arch",
                "index-only",
                &src,
                &dst,
            ]),
            3,
        );
        assert!(err.contains("does not have this instance"), "{err}");
        // sync with an absent platform: every image fails (not there:
        // exit 1, as copy says), nothing made.
        let err = fails_with(
            lade().args([
                "sync",
                "-q",
                "--src-tls-verify=false",
                "--platform",
                "linux/ppc64le",
                src.rsplit_once(':').unwrap().0,
                &format!("oci:{}", dir.display()),
            ]),
            1,
        );
        assert!(
            err.starts_with("lade: error: ") && err.contains("no image for linux/ppc64le"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(!new.exists(), "a failed copy created {}", new.display());
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    // Its own platform: copied, the same digest.
    let one = format!("oci:{}:x", new.display());
    ok(lade().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--platform",
        "linux/amd64",
        &single,
        &one,
    ]));
    assert_eq!(sha256(&ok(lade().args(["inspect", "--raw", &one]))), amd64);
}

#[test]
fn inspect_all_platforms_lists_every_image_in_one_call() {
    let Some((_, t, src, desc)) = with_pushed_index() else {
        return;
    };
    let v = json(&ok(lade().args([
        "inspect",
        "--all-platforms",
        "--tls-verify=false",
        &src,
    ])));
    assert_eq!(v["Digest"], desc["digest"]);
    let ps = v["Platforms"].as_array().unwrap();
    let names: Vec<&str> = ps.iter().map(|p| p["Platform"].as_str().unwrap()).collect();
    assert_eq!(names, ["linux/amd64", "linux/arm64", "linux/s390x"]);
    let index = json(&raw(&src));
    for (p, m) in ps.iter().zip(index["manifests"].as_array().unwrap()) {
        // Every key is there; a platform without a variant says null.
        assert!(p.as_object().unwrap().contains_key("Variant"), "{p}");
        assert_eq!(p["Variant"], m["platform"]["variant"]);
        assert_eq!(p["Digest"], m["digest"]);
        assert_eq!(p["ManifestSize"], m["size"]);
        // skopeo agrees on config and layers of each instance.
        let s = json(&ok(skopeo().args([
            "inspect",
            "--tls-verify=false",
            "--override-arch",
            p["Architecture"].as_str().unwrap(),
            &src,
        ])));
        assert_eq!(p["Layers"], s["Layers"]);
        let cfg = json(&ok(skopeo().args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!(
                "{}@{}",
                src.rsplit_once(':').unwrap().0,
                m["digest"].as_str().unwrap()
            ),
        ])));
        assert_eq!(p["ConfigDigest"], cfg["config"]["digest"]);
        let layers: u64 = cfg["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["size"].as_u64().unwrap())
            .sum();
        assert_eq!(
            p["Size"].as_u64().unwrap(),
            layers + cfg["config"]["size"].as_u64().unwrap()
        );
    }
    // An index missing one of its images is broken (exit 3) for a read
    // of that image, not "not there"; --all-platforms lists the others,
    // that one marked missing (inspect_all_platforms_says_what_it_leaves_out).
    let lay = t.path().join("lay");
    let name = format!("oci:{}:all", lay.display());
    ok(lade().args(["copy", "-q", "--all", "--src-tls-verify=false", &src, &name]));
    let idx = json(&ok(lade().args(["inspect", "--raw", &name])));
    let gone = idx["manifests"][1]["digest"].as_str().unwrap();
    std::fs::remove_file(lay.join("blobs/sha256").join(&gone[7..])).unwrap();
    let err = fails_with(
        lade()
            .args(["inspect", "--override-arch", "arm64", "--config"])
            .arg(&name),
        3,
    );
    assert!(err.contains(gone), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = run(lade().args(["inspect", "--all-platforms", &name]));
    assert!(out.status.success(), "{out:?}");
    let v = json(&out.stdout);
    assert_eq!(v["Platforms"][1]["Digest"], gone);
    assert_eq!(v["Platforms"][1]["Missing"], true);
    assert_eq!(v["Platforms"][0]["Missing"], false);
    assert!(String::from_utf8_lossy(&out.stderr).contains(gone));
    // Every entry has every field: a template reads them all (Go prints
    // a null as <no value>).
    let out = ok_str(lade().args([
        "inspect",
        "--all-platforms",
        "-f",
        "{{range .Platforms}}{{if .Missing}}missing {{.Size}}{{else}}{{.Size}}{{end}};{{end}}",
        &name,
    ]));
    let sizes: Vec<&str> = out.trim().trim_end_matches(';').split(';').collect();
    assert_eq!(sizes.len(), 3, "{out}");
    assert!(
        sizes[0].parse::<u64>().is_ok() && sizes[1] == "missing <no value>",
        "{out}"
    );
}

/// podman with its own storage under `root` (vfs, no systemd, no events).
fn podman(root: &Path) -> Command {
    let mut c = Command::new("podman");
    c.arg("--root")
        .arg(root.join("storage"))
        .arg("--runroot")
        .arg(root.join("run"))
        .args([
            "--storage-driver",
            "vfs",
            "--cgroup-manager",
            "cgroupfs",
            "--events-backend",
            "none",
        ]);
    c
}

/// Indexes pushed by podman (`manifest create/add/push --all`, both list
/// formats) of images imported with different `--arch`: `--all` keeps the
/// index digest, `--platform linux/arm64` writes an index of that entry
/// only, the default copies this machine's image; skopeo reads back what
/// lade wrote byte for byte.
#[test]
fn podman_pushed_indexes_all_platform_subset_default() {
    let Some(reg) = registry() else { return };
    if !require_tool("podman") || !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let root = t.path().join("podman");
    let arches = [("amd64", None), ("arm64", Some("v8")), ("s390x", None)];
    for (arch, variant) in arches {
        let (gz, _) = layer(&[("arch", arch.as_bytes().to_vec())]);
        let tar_path = t.path().join(format!("{arch}.tar.gz"));
        std::fs::write(&tar_path, gz).unwrap();
        let mut c = podman(&root);
        c.args(["import", "-q", "--os", "linux", "--arch", arch]);
        if let Some(v) = variant {
            c.args(["--variant", v]);
        }
        ok(c.arg(&tar_path).arg(format!("localhost/ma-podman:{arch}")));
    }
    for format in ["v2s2", "oci"] {
        let list = format!("localhost/ma-list-{format}");
        ok(podman(&root).args(["manifest", "create", &list]));
        for (arch, _) in arches {
            ok(podman(&root).args([
                "manifest",
                "add",
                &list,
                &format!("containers-storage:localhost/ma-podman:{arch}"),
            ]));
        }
        let src = format!("docker://{reg}/{}:1", unique("ma/podman"));
        ok(podman(&root).args([
            "manifest",
            "push",
            "-q",
            "--all",
            "--format",
            format,
            "--tls-verify=false",
            &list,
            &src,
        ]));
        let pushed = raw(&src);
        let idx = json(&pushed);
        let want_type = if format == "oci" {
            OCI_INDEX
        } else {
            DOCKER_LIST
        };
        assert_eq!(idx["mediaType"], want_type, "{format}");
        assert_eq!(idx["manifests"].as_array().unwrap().len(), 3);

        // --all: the index and every instance, digests kept.
        let all = format!("docker://{reg}/{}:all", unique("ma/podman-all"));
        ok(lade().args([
            "copy",
            "-q",
            "--all",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &src,
            &all,
        ]));
        assert_eq!(raw(&all), pushed, "{format}: --all changed the index");
        for m in idx["manifests"].as_array().unwrap() {
            let d = m["digest"].as_str().unwrap();
            let child = raw(&format!("{}@{d}", all.rsplit_once(':').unwrap().0));
            assert_eq!(sha256(&child), d);
        }

        // --platform linux/arm64: an index holding that entry only.
        let sub = format!("docker://{reg}/{}:arm", unique("ma/podman-arm"));
        ok(lade().args([
            "copy",
            "-q",
            "--platform",
            "linux/arm64",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &src,
            &sub,
        ]));
        let sub_raw = raw(&sub);
        let sub_idx = json(&sub_raw);
        let entries = sub_idx["manifests"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{sub_idx:#}");
        assert_eq!(entries[0]["platform"]["architecture"], "arm64");
        assert_eq!(entries[0]["platform"]["variant"], "v8");
        let arm = idx["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == "arm64")
            .unwrap();
        assert_eq!(entries[0]["digest"], arm["digest"]);
        let lade_raw = ok(lade().args(["inspect", "--raw", "--tls-verify=false", &sub]));
        assert_eq!(lade_raw, sub_raw, "skopeo and lade read different bytes");

        // Default: this machine's platform, as one image: the layout names
        // that instance itself (not an index), byte for byte.
        let here = std::env::consts::ARCH
            .replace("x86_64", "amd64")
            .replace("aarch64", "arm64");
        let mine = idx["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == here.as_str())
            .unwrap_or_else(|| panic!("no {here} image in {idx:#}"));
        let one = t.path().join(format!("one-{format}"));
        let one_name = format!("oci:{}:one", one.display());
        ok(lade().args(["copy", "-q", "--src-tls-verify=false", &src, &one_name]));
        let layout = json(&std::fs::read(one.join("index.json")).unwrap());
        let entries = layout["manifests"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{layout:#}");
        if format == "oci" {
            assert_eq!(entries[0]["digest"], mine["digest"], "{layout:#}");
            assert_eq!(entries[0]["mediaType"], OCI_MANIFEST);
        } else {
            // Docker instances become OCI manifests in a layout: a new
            // digest, the same config.
            assert_eq!(entries[0]["mediaType"], OCI_MANIFEST);
            let d = mine["digest"].as_str().unwrap();
            let src_m = json(&raw(&format!("{}@{d}", src.rsplit_once(':').unwrap().0)));
            let m = json(&raw(&one_name));
            assert_eq!(m["config"]["digest"], src_m["config"]["digest"]);
        }
        let skopeo_raw = raw(&one_name);
        assert_eq!(sha256(&skopeo_raw), entries[0]["digest"].as_str().unwrap());
        let cfg = json(&ok(lade().args(["inspect", "--config", &one_name])));
        assert_eq!(cfg["architecture"], here.as_str());
        let got = json(&ok(skopeo().args(["inspect", &one_name])));
        assert_eq!(got["Architecture"], cfg["architecture"]);
    }
}

/// `--multi-arch index-only` into a destination written whole (dir:,
/// oci-archive:): it can never hold the instances, so the copy is refused
/// and a good copy already there is left as it was.
#[test]
fn index_only_into_a_destination_written_whole_is_refused() {
    let Some((_, t, src, _)) = with_pushed_index() else {
        return;
    };
    // A directory's files, or a file's bytes.
    let snapshot = |p: &Path| -> Vec<(String, Vec<u8>)> {
        if !p.is_dir() {
            return vec![(String::new(), std::fs::read(p).unwrap())];
        }
        let mut v: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .flatten()
            .map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                (n, std::fs::read(e.path()).unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let dd = t.path().join("dd");
    let oa = t.path().join("oa.tar");
    for (name, read) in [
        (format!("dir:{}", dd.display()), &dd),
        (format!("oci-archive:{}:x", oa.display()), &oa),
    ] {
        ok(lade().args(["copy", "-q", "--all", "--src-tls-verify=false", &src, &name]));
        let before = snapshot(read);
        let err = fails_with(
            lade().args([
                "copy",
                "-q",
                "--multi-arch",
                "index-only",
                "--src-tls-verify=false",
                &src,
                &name,
            ]),
            3,
        );
        assert!(
            err.contains("index-only") && err.contains("written whole"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        let after = snapshot(read);
        assert!(before == after, "{name}: the refused copy changed it");
        // Still whole: skopeo copies every instance out of it.
        let out = t.path().join(format!(
            "check-{}",
            read.file_name().unwrap().to_string_lossy()
        ));
        ok(skopeo().args([
            "copy",
            "-q",
            "--all",
            &name,
            &format!("oci:{}:c", out.display()),
        ]));
    }
}

/// sync --platform writes a new index (another digest): the source
/// index's signature tag is left out, not written to point at nothing.
#[test]
fn sync_with_platforms_leaves_the_index_signature_out() {
    let Some((reg, _t, src, desc)) = with_pushed_index() else {
        return;
    };
    let (src_repo, _) = src.rsplit_once(':').unwrap();
    let repo_path = src_repo
        .trim_start_matches("docker://")
        .split_once('/')
        .unwrap()
        .1;
    let index_digest = desc["digest"].as_str().unwrap();
    // A cosign-style tag for the index (an instance manifest stands in
    // for the signature: its blobs are in the repository).
    let instance = json(&raw(&src))["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let sig_bytes = raw(&format!("{src_repo}@{instance}"));
    let sig_tag = format!("{}.sig", index_digest.replace(':', "-"));
    registry_put_manifest(&reg, repo_path, &sig_tag, OCI_MANIFEST, &sig_bytes);

    let dst = format!("docker://{reg}/{}", unique("ma/sigdst"));
    let err = ok_stderr(lade().args([
        "sync",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--platform",
        "linux/arm64",
        src_repo,
        &dst,
    ]));
    assert!(
        err.contains("2 images: 1 copied, 0 unchanged, 0 failed, 1 left out"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{sig_tag}: left out: its image {index_digest} was written changed"
        )),
        "{err}"
    );
    let tags = json(&ok(lade().args(["list-tags", "--tls-verify=false", &dst])));
    assert_eq!(tags["Tags"], serde_json::json!(["1"]));
    let sub = json(&raw(&format!("{dst}:1")));
    assert_eq!(sub["manifests"].as_array().unwrap().len(), 1);
    // Again: the index written is unchanged, its signature left out again.
    let err = ok_stderr(lade().args([
        "sync",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--platform",
        "linux/arm64",
        src_repo,
        &dst,
    ]));
    assert!(
        err.contains("2 images: 0 copied, 1 unchanged, 0 failed, 1 left out"),
        "{err}"
    );
}

/// `inspect --config` prints the configuration as an OCI image config, as
/// skopeo does (Docker-only fields dropped, the specification's key order,
/// Go's escaping and times), and `--config --format` reads its Go fields;
/// `--raw --config` is the blob as it is.
#[test]
fn inspect_config_prints_as_skopeo_does() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let (gz, diff_id) = layer(&[("a.txt", b"a\n".to_vec())]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "arm64", "variant": "v8", "os": "linux",
        "created": "2024-05-06T07:08:09.120000000Z",
        "author": "someone <me@example.com>",
        "docker_version": "26.1.0",
        "container_config": {"Hostname": "abc", "Cmd": ["/bin/sh"]},
        "config": {
            "Hostname": "abc", "User": "app", "AttachStdout": false,
            "ExposedPorts": {"8443/tcp": {}, "80/tcp": {}},
            "Env": ["A=1 && B=2", "PATH=/usr/bin"],
            "Entrypoint": ["/entry"], "Cmd": ["run", "<fast>"],
            "Volumes": {"/data": {}, "/cache": {}},
            "WorkingDir": "/srv", "Labels": {"z": "last", "a": "x&y"},
            "StopSignal": "SIGTERM", "ArgsEscaped": true, "OnBuild": null,
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [
            {"created": "2024-05-06T07:08:09Z", "created_by": "/bin/sh -c #(nop)  CMD [\"run\"]", "empty_layer": true},
            {"created": "2024-05-06T07:08:09.5-02:00", "created_by": "COPY a.txt /", "comment": "buildkit"},
        ],
    }))
    .unwrap();
    // Keys in other cases (Go matches them ignoring case), a null label,
    // control characters.
    let odd = serde_json::to_vec(&serde_json::json!({
        "Architecture": "amd64", "OS": "linux", "Created": "2024-05-06T07:08:09Z",
        "config": {"env": ["A=1"], "labels": {"x": null, "y": "1"}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "printf '\u{8}\u{c}\t'", "comment": "a\u{1}b"}],
    }))
    .unwrap();
    // No time, a null label, an offset and trailing zeros: what plain
    // inspect prints of them.
    let bare = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"x": null}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    let offset = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2024-05-06T07:08:09.120000000+02:00",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    // An image of `config` (Docker or OCI manifest) in the registry.
    let pushed = |docker: bool, config: &[u8]| {
        let dir = t
            .path()
            .join(format!("lay-{docker}-{}", &sha256(config)[7..19]));
        let desc = image_of(&dir, docker, config, std::slice::from_ref(&gz));
        write_layout(&dir, &[("c", desc)]);
        let img = format!("docker://{reg}/{}:1", unique("cfg/a"));
        ok(lade().args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            &format!("oci:{}:c", dir.display()),
            &img,
        ]));
        img
    };
    for config in [&bare, &offset] {
        let img = pushed(false, config);
        let s = json(&ok(skopeo().args(["inspect", "--tls-verify=false", &img])));
        let l = json(&ok(lade().args(["inspect", "--tls-verify=false", &img])));
        for k in ["Created", "Labels"] {
            assert_eq!(l[k], s[k], "{k}");
        }
        // Absent lists and maps are Go's nil ones: printed empty, and the
        // structs of --config print as Go prints structs.
        for (extra, f) in [
            (None, "{{.Created}} {{.Labels}} {{.Env}} {{len .Env}} {{if .Env}}e{{end}}"),
            (
                Some("--config"),
                "{{.Config}} {{.RootFS}} {{.History}} {{len .History}} {{.Config.Volumes}} {{range .Config.Env}}x{{else}}none{{end}} [{{index .Config.Labels \"k\"}}]",
            ),
        ] {
            let run = |mut c: Command| {
                c.args(["inspect", "--tls-verify=false", "--format", f]);
                ok(c.args(extra).arg(&img))
            };
            let (s, l) = (run(skopeo()), run(lade()));
            assert_eq!(String::from_utf8_lossy(&l), String::from_utf8_lossy(&s), "{f}");
        }
        // json writes them as Go does: null (skopeo 1.9 has no json).
        let conf = json(&ok(lade().args([
            "inspect",
            "--config",
            "--tls-verify=false",
            &img,
        ])));
        let out = ok_str(lade().args([
            "inspect",
            "--config",
            "--tls-verify=false",
            "--format",
            "{{json .Config}}|{{json .History}}|{{json .Created}}|{{json .Config.Env}}",
            &img,
        ]));
        let parts: Vec<&str> = out.trim_end().split('|').collect();
        assert_eq!(
            serde_json::from_str::<Value>(parts[0]).unwrap(),
            conf["config"]
        );
        assert_eq!(parts[1], "null");
        assert_eq!(
            serde_json::from_str::<Value>(parts[2]).unwrap(),
            conf.get("created").cloned().unwrap_or(Value::Null)
        );
        assert_eq!(parts[3], "null");
        let out = ok_str(lade().args([
            "inspect",
            "--tls-verify=false",
            "--format",
            "{{json .Env}} {{json .Labels}}",
            &img,
        ]));
        let plain = json(&ok(lade().args(["inspect", "--tls-verify=false", &img])));
        assert_eq!(out.trim_end(), format!("null {}", plain["Labels"]));
    }

    let config_plain = config.clone();
    for (docker, config) in [
        (true, &config),
        (false, &config),
        (true, &odd),
        (false, &odd),
    ] {
        let img = pushed(docker, config);
        // The plain view reads keys as Go does, ignoring case.
        let s = json(&ok(skopeo().args(["inspect", "--tls-verify=false", &img])));
        let l = json(&ok(lade().args(["inspect", "--tls-verify=false", &img])));
        for k in [
            "Created",
            "DockerVersion",
            "Labels",
            "Architecture",
            "Os",
            "Env",
        ] {
            assert_eq!(l[k], s[k], "docker={docker} {k}");
        }
        let mut extras = vec![vec!["--config"], vec!["--config", "--raw"]];
        // (Templates over the usual config: skopeo's output writer treats
        // tabs and form feeds as columns.)
        if config == &config_plain {
            extras.push(vec![
                "--config",
                "--format",
                "{{.Architecture}}/{{.OS}}/{{.Variant}} {{.Config.User}} {{.Config.Env}} {{len .RootFS.DiffIDs}} {{range .History}}[{{.CreatedBy}}|{{.EmptyLayer}}|{{.Created}}]{{end}} {{.Author}}",
            ]);
            extras.push(vec![
                "--config",
                "--format",
                "{{.Created}} {{.Config.Labels}} {{.Config.ExposedPorts}} {{.Config.Volumes}} {{.Config.ArgsEscaped}} {{.OSVersion}}|{{.RootFS.Type}}",
            ]);
            // Times have a time's methods; structs print as Go's do.
            extras.push(vec![
                "--config",
                "--format",
                "{{.Created.Year}} {{.Created.Format \"2006-01-02T15:04\"}} {{range .History}}{{.Created.Unix}} {{end}}|{{.Config}}|{{.RootFS}}|{{range .History}}{{.}}{{end}}|{{.History}}",
            ]);
        }
        for extra in extras {
            let s = ok(skopeo()
                .args(["inspect", "--tls-verify=false"])
                .args(&extra)
                .arg(&img));
            let l = ok(lade()
                .args(["inspect", "--tls-verify=false"])
                .args(&extra)
                .arg(&img));
            assert_eq!(
                String::from_utf8_lossy(&l),
                String::from_utf8_lossy(&s),
                "docker={docker} {extra:?}"
            );
        }
    }
}

/// skopeo's global options, before or after the command's name, as
/// skopeo users write them: --override-* pick the platform of copy,
/// inspect, sync and unpack (unpack's own --platform wins);
/// --insecure-policy is taken (lade then reads no signature policy);
/// --command-timeout 0 is no limit. Offline: a 3-platform OCI layout.
#[test]
fn skopeo_global_options_before_or_after_the_command() {
    let t = tempdir();
    let dir = t.path().join("src");
    let desc = index(&dir, &["amd64", "arm64", "s390x"], "1", false);
    write_layout(&dir, &[("multi", desc)]);
    let src = format!("oci:{}:multi", dir.display());
    let arch = |args: &[&str]| -> String {
        json(&ok(lade().args(args)))["Architecture"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        arch(&["--override-arch", "arm64", "inspect", &src]),
        "arm64"
    );
    assert_eq!(
        arch(&["inspect", "--override-arch", "s390x", &src]),
        "s390x"
    );
    // cat-config picks the same way (its --platform wins).
    let cat = |args: &[&str]| -> String {
        let mut c = lade();
        c.arg("--store")
            .arg(&dir)
            .args(args)
            .args(["cat-config", "multi"]);
        json(&ok(&mut c))["architecture"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(cat(&["--override-arch", "arm64"]), "arm64");
    let mut c = lade();
    c.arg("--store").arg(&dir).args([
        "--override-arch",
        "arm64",
        "cat-config",
        "--platform",
        "linux/s390x",
        "multi",
    ]);
    assert_eq!(json(&ok(&mut c))["architecture"], "s390x");
    // An empty override is no choice, as in skopeo (a script passing an
    // unset "$VARIANT"); blanks alone are a usage error.
    let this = json(&ok(lade().args(["inspect", &src])))["Architecture"].clone();
    assert_eq!(arch(&["--override-arch", "", "inspect", &src]), this);
    assert_eq!(
        arch(&[
            "--override-variant",
            "",
            "--override-arch",
            "arm64",
            "inspect",
            &src
        ]),
        "arm64"
    );
    fails_with(lade().args(["--override-arch", " ", "inspect", &src]), 2);
    fails_with(lade().args(["--override-os", "\t", "inspect", &src]), 2);
    assert_eq!(
        json(&ok(lade().args([
            "--command-timeout",
            "0",
            "inspect",
            "--insecure-policy",
            &src
        ])))["Architecture"],
        this
    );
    // copy: the arm64 image alone (a manifest, not the index).
    let out = format!("oci:{}:x", t.path().join("out").display());
    ok(lade().args([
        "--override-arch",
        "arm64",
        "--insecure-policy",
        "copy",
        "-q",
        &src,
        &out,
    ]));
    let raw = json(&ok(lade().args(["inspect", "--raw", &out])));
    assert!(raw["layers"].is_array(), "{raw}");
    assert_eq!(arch(&["inspect", &out]), "arm64");
    // sync --multi-arch system: this machine's image, as overridden.
    let synced = t.path().join("synced");
    ok(lade().args([
        "--override-arch",
        "s390x",
        "sync",
        "-q",
        "--multi-arch",
        "system",
        &format!("oci:{}", dir.display()),
        &format!("oci:{}", synced.display()),
    ]));
    assert_eq!(
        arch(&["inspect", &format!("oci:{}:multi", synced.display())]),
        "s390x"
    );
    // --override-* alone picks that platform too, as in skopeo sync
    // (without them sync copies whole indexes).
    let synced2 = t.path().join("synced2");
    ok(lade().args([
        "sync",
        "-q",
        "--override-arch",
        "arm64",
        &format!("oci:{}", dir.display()),
        &format!("oci:{}", synced2.display()),
    ]));
    let raw = json(&ok(lade().args([
        "inspect",
        "--raw",
        &format!("oci:{}:multi", synced2.display()),
    ])));
    assert!(raw["layers"].is_array(), "{raw}");
    assert_eq!(
        arch(&["inspect", &format!("oci:{}:multi", synced2.display())]),
        "arm64"
    );
    // unpack: the layers of the chosen platform (its --platform wins).
    for (i, args) in [
        &["--override-arch", "arm64", "unpack"][..],
        &[
            "unpack",
            "--override-os",
            "linux",
            "--override-arch",
            "arm64",
        ][..],
    ]
    .into_iter()
    .enumerate()
    {
        let root = t.path().join(format!("root-{i}"));
        ok(lade().args(args).args(["-q", &src]).arg(&root));
        let own = std::fs::read_to_string(root.join("own.txt")).unwrap();
        assert!(own.starts_with("arch=arm64"), "{args:?}: {own}");
    }
    let root = t.path().join("root-own");
    ok(lade()
        .args([
            "--override-arch",
            "arm64",
            "unpack",
            "-q",
            "--platform",
            "linux/s390x",
            &src,
        ])
        .arg(&root));
    let own = std::fs::read_to_string(root.join("own.txt")).unwrap();
    assert!(own.starts_with("arch=s390x"), "{own}");
}

/// --tmpdir: where temp files outside the destination go (here the
/// decompressed copy of a gzip'd oci-archive); one that is not a
/// directory is refused before anything is read or written.
#[test]
fn tmpdir_holds_the_temp_files() {
    let t = tempdir();
    let dir = t.path().join("src");
    let desc = image(&dir, "amd64", "1", false, 4096);
    write_layout(&dir, &[("one", desc)]);
    let tar = t.path().join("one.tar");
    ok(lade().args([
        "copy",
        "-q",
        &format!("oci:{}:one", dir.display()),
        &format!("oci-archive:{}:one", tar.display()),
    ]));
    let gz = t.path().join("one.tar.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::copy(&mut std::fs::File::open(&tar).unwrap(), &mut enc).unwrap();
    enc.finish().unwrap();
    let src = format!("oci-archive:{}:one", gz.display());
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = format!("oci:{}:one", t.path().join("out").display());
    ok(lade()
        .arg("--tmpdir")
        .arg(&tmp)
        .args(["copy", "-q", &src, &out]));
    assert_eq!(
        json(&ok(lade().args(["inspect", &out])))["Architecture"],
        "amd64"
    );
    // Nothing left in it.
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    // One that is missing: a clear error, nothing written.
    let missing = t.path().join("missing");
    let out2 = t.path().join("out2");
    let err = fails_with(
        lade().arg("--tmpdir").arg(&missing).args([
            "copy",
            "-q",
            &src,
            &format!("oci:{}:one", out2.display()),
        ]),
        3,
    );
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(!out2.exists());
    assert!(!missing.exists());
    // An oci-archive destination spools layers of unknown size (gzipped
    // on the way) beside itself, or in --tmpdir when given.
    let tiny = fixture("docker-save/tiny-docker26.tar");
    let archive = t.path().join("out.tar");
    let args = |tmpdir: &Path| {
        let mut c = lade();
        c.arg("--tmpdir").arg(tmpdir).args([
            "copy",
            "-q",
            "--dest-compress-format",
            "gzip",
            &format!("docker-archive:{}", tiny.display()),
            &format!("oci-archive:{}:x", archive.display()),
        ]);
        c
    };
    let err = fails_with(&mut args(&missing), 3);
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(!archive.exists());
    ok(&mut args(&tmp));
    assert!(archive.is_file());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}

/// Converted to Docker's format, an index and its images come out byte
/// for byte as skopeo writes them (Docker's field order: mediaType,
/// size, digest), so the digests agree; and a v2s2 → OCI → v2s2 round
/// trip gives the first digests back.
#[test]
fn v2s2_conversions_match_skopeo_byte_for_byte() {
    let Some((reg, t, src, _)) = with_pushed_index() else {
        return;
    };
    let ours = format!("docker://{reg}/{}:l", unique("ma/v2-lade"));
    let theirs = format!("docker://{reg}/{}:s", unique("ma/v2-skopeo"));
    // (the same command line for both tools)
    let to_v2s2 = |mut tool: Command, from: &str, to: &str| {
        ok(tool
            .args(["copy", "-q", "--all", "--format", "v2s2"])
            .args([
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                from,
                to,
            ]))
    };
    to_v2s2(lade(), &src, &ours);
    to_v2s2(skopeo(), &src, &theirs);
    let list = raw(&ours);
    assert_eq!(
        String::from_utf8_lossy(&list),
        String::from_utf8_lossy(&raw(&theirs)),
        "the manifest list"
    );
    let v: Value = serde_json::from_slice(&list).unwrap();
    for m in v["manifests"].as_array().unwrap() {
        let d = m["digest"].as_str().unwrap();
        let strip = |n: &str| n.rsplit_once(':').unwrap().0.to_string();
        assert_eq!(
            raw(&format!("{}@{d}", strip(&ours))),
            raw(&format!("{}@{d}", strip(&theirs))),
            "{d}"
        );
    }
    // Back to OCI, and to Docker's format again: the same list.
    let lay = t.path().join("oci");
    ok(lade()
        .args([
            "copy",
            "-q",
            "--all",
            "--format",
            "oci",
            "--src-tls-verify=false",
            &ours,
        ])
        .arg(format!("oci:{}:x", lay.display())));
    let back = format!("docker://{reg}/{}:b", unique("ma/v2-back"));
    to_v2s2(lade(), &format!("oci:{}:x", lay.display()), &back);
    assert_eq!(raw(&back), list);
}

/// --all-platforms says when index entries are no images (they are not
/// listed), and lists an image the index names twice twice. Offline.
#[test]
fn inspect_all_platforms_says_what_it_leaves_out() {
    let t = tempdir();
    let dir = t.path().join("l");
    let amd = image(&dir, "amd64", "x", false, 1024);
    let arm = image(&dir, "arm64", "x", false, 1024);
    let (blob, size) = put_blob(&dir, b"not an image");
    let other =
        serde_json::json!({"mediaType": "application/x-unknown", "digest": blob, "size": size});
    let bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [amd, other, arm, amd],
    }))
    .unwrap();
    let (d, s) = put_blob(&dir, &bytes);
    write_layout(
        &dir,
        &[(
            "x",
            serde_json::json!({"mediaType": OCI_INDEX, "digest": d, "size": s}),
        )],
    );
    let inspect_all = || {
        let mut c = lade();
        c.args(["inspect", "--all-platforms"])
            .arg(format!("oci:{}:x", dir.display()));
        c
    };
    let out = run(&mut inspect_all());
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 of the index's 4 entries are no images and are not listed"),
        "{err}"
    );
    assert!(err.contains(&blob), "{err}");
    let v = json(&out.stdout);
    let names: Vec<&str> = v["Platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Platform"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["linux/amd64", "linux/arm64", "linux/amd64"]);

    // A child not in the source (a docker save of one platform of many) is
    // listed as the index gives it, marked missing; the rest in full.
    let arm_digest = arm["digest"].as_str().unwrap();
    std::fs::remove_file(dir.join("blobs/sha256").join(&arm_digest[7..])).unwrap();
    let out = run(&mut inspect_all());
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "1 of the index's 4 entries are not in the source and are listed without config \
             or layers (\"Missing\": true): {arm_digest}"
        )),
        "{err}"
    );
    let v = json(&out.stdout);
    let p = v["Platforms"].as_array().unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p[1]["Platform"], "linux/arm64");
    assert_eq!(p[1]["Digest"], arm_digest);
    assert_eq!(p[1]["Missing"], true);
    assert!(p[1]["Layers"].is_null() && p[1]["Size"].is_null());
    assert_eq!(p[0]["Layers"].as_array().unwrap().len(), 2);
    // A child that is there but corrupt is still an error.
    let amd_path = dir
        .join("blobs/sha256")
        .join(&amd["digest"].as_str().unwrap()[7..]);
    std::fs::write(&amd_path, b"{}").unwrap();
    fails_with(&mut inspect_all(), 3);
}

/// The image chosen from an index for a platform is the one skopeo
/// chooses (containers/image's order: a wanted variant, then the older
/// ones that architecture runs, then none; an OCI entry naming no
/// platform last), for the default and --override-*; and --platform
/// keeps, for each platform, the entries of the best-ranked one.
#[test]
fn the_image_chosen_for_a_platform_is_skopeos() {
    if !require_tool("skopeo") {
        return;
    }
    let reg = registry();
    let t = tempdir();
    let dir = t.path().join("src");
    // An index (OCI, or a Docker list) of one image per platform; None
    // for an entry that names no platform.
    let mut n = 0;
    let mut make = |platforms: &[Option<&str>], docker: bool| -> Value {
        let entries: Vec<Value> = platforms
            .iter()
            .map(|p| {
                n += 1;
                let arch = p.map_or("s390x", |p| p.split('/').nth(1).unwrap());
                let mut d = image(&dir, arch, &format!("e{n}"), docker, 1024);
                match p {
                    Some(p) => {
                        let f: Vec<&str> = p.split('/').collect();
                        d["platform"] = serde_json::json!({"os": f[0], "architecture": f[1]});
                        if let Some(v) = f.get(2) {
                            d["platform"]["variant"] = (*v).into();
                        }
                    }
                    None => {
                        d.as_object_mut().unwrap().remove("platform");
                    }
                }
                d
            })
            .collect();
        let (mt, bytes) = if docker {
            (
                DOCKER_LIST,
                serde_json::json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": entries}),
            )
        } else {
            (
                OCI_INDEX,
                serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}),
            )
        };
        let (d, s) = put_blob(&dir, &serde_json::to_vec(&bytes).unwrap());
        serde_json::json!({"mediaType": mt, "digest": d, "size": s})
    };
    let amd = [Some("linux/amd64/v3"), Some("linux/amd64")];
    let v6 = [Some("linux/arm/v6")];
    let v6v7 = [Some("linux/arm/v6"), Some("linux/arm/v7")];
    let armv7 = [Some("linux/arm"), Some("linux/arm/v7")];
    let arm64 = [Some("linux/arm64")];
    let arm64s = [Some("linux/arm64/v8"), Some("linux/arm64")];
    let none_first = [None, Some("linux/arm64/v8")];
    let none_last = [Some("linux/arm64/v8"), None];
    let twice = [
        Some("linux/amd64"),
        Some("linux/amd64"),
        Some("linux/arm64"),
    ];
    type Case<'a> = (&'a str, &'a [Option<&'a str>], &'a [&'a str]);
    let cases: Vec<Case> = vec![
        ("amd", &amd, &[]),
        ("amd", &amd, &["--override-arch", "amd64"]),
        ("amd", &amd, &["--override-variant", "v3"]),
        (
            "v6",
            &v6,
            &["--override-arch", "arm", "--override-variant", "v7"],
        ),
        (
            "v6",
            &v6,
            &["--override-arch", "arm", "--override-variant", "v5"],
        ),
        ("v6v7", &v6v7, &["--override-arch", "arm"]),
        (
            "v6v7",
            &v6v7,
            &["--override-arch", "arm", "--override-variant", "v8"],
        ),
        (
            "v6v7",
            &v6v7,
            &["--override-arch", "arm", "--override-variant", "v6"],
        ),
        (
            "armv7",
            &armv7,
            &["--override-arch", "arm", "--override-variant", "v7"],
        ),
        ("armv7", &armv7, &["--override-arch", "arm"]),
        (
            "arm64",
            &arm64,
            &["--override-arch", "arm64", "--override-variant", "v9"],
        ),
        ("arm64s", &arm64s, &["--override-arch", "arm64"]),
        (
            "arm64s",
            &arm64s,
            &["--override-arch", "arm64", "--override-variant", "v8"],
        ),
        ("none_first", &none_first, &[]),
        ("none_first", &none_first, &["--override-arch", "arm64"]),
        ("none_last", &none_last, &["--override-arch", "s390x"]),
        ("twice", &twice, &[]),
    ];
    let mut named = Vec::new();
    let mut docker_named = Vec::new();
    for (name, platforms, _) in &cases {
        if !named.iter().any(|(n, _)| n == name) {
            named.push((*name, make(platforms, false)));
            if platforms.iter().all(Option::is_some) {
                docker_named.push((*name, make(platforms, true)));
            }
        }
    }
    write_layout(&dir, &named);
    // The Docker lists, in the registry (skopeo reads no Docker list from
    // a layout).
    let repo = unique("ma/choice");
    if let Some(reg) = &reg {
        for (name, desc) in &docker_named {
            push_layout(reg, &dir, &repo, name, desc);
        }
    }
    // The manifest each tool copies, or None when it finds none.
    let chosen = |tool: &str, flags: &[&str], src: &str, out: &Path| -> Option<String> {
        let mut c = if tool == "skopeo" { skopeo() } else { lade() };
        c.args(flags)
            .args(["copy", "-q", "--src-tls-verify=false", src]);
        c.arg(format!("dir:{}", out.display()));
        let o = run(&mut c);
        o.status
            .success()
            .then(|| sha256_hex(&std::fs::read(out.join("manifest.json")).unwrap()))
    };
    let mut k = 0;
    for (name, platforms, flags) in &cases {
        let mut srcs = vec![format!("oci:{}:{name}", dir.display())];
        if let Some(reg) = &reg {
            if platforms.iter().all(Option::is_some) {
                srcs.push(format!("docker://{reg}/{repo}:{name}"));
            }
        }
        for src in srcs {
            k += 1;
            let want = chosen("skopeo", flags, &src, &t.path().join(format!("s{k}")));
            let got = chosen("lade", flags, &src, &t.path().join(format!("l{k}")));
            assert_eq!(got, want, "{src} {flags:?}");
        }
    }

    // --platform: for each platform, every entry of the best-ranked one.
    let kept = |name: &str, platforms: &[&str]| -> Vec<String> {
        let out = t.path().join(format!(
            "p-{name}-{}",
            platforms.join("+").replace('/', "_")
        ));
        let mut c = lade();
        c.args(["copy", "-q"]);
        for p in platforms {
            c.args(["--platform", p]);
        }
        c.arg(format!("oci:{}:{name}", dir.display()))
            .arg(format!("oci:{}:x", out.display()));
        ok(&mut c);
        let index = json(&ok(lade().args([
            "cat-manifest",
            "--store",
            &out.display().to_string(),
            "x",
        ])));
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let p = &d["platform"];
                if p.is_null() {
                    return "none".to_string();
                }
                match p["variant"].as_str() {
                    Some(v) => format!(
                        "{}/{}/{v}",
                        p["os"].as_str().unwrap(),
                        p["architecture"].as_str().unwrap()
                    ),
                    None => format!(
                        "{}/{}",
                        p["os"].as_str().unwrap(),
                        p["architecture"].as_str().unwrap()
                    ),
                }
            })
            .collect()
    };
    assert_eq!(kept("armv7", &["linux/arm/v7"]), ["linux/arm/v7"]);
    assert_eq!(kept("v6v7", &["linux/arm"]), ["linux/arm/v7"]);
    assert_eq!(
        kept("v6v7", &["linux/arm/v6", "linux/arm/v7"]),
        ["linux/arm/v6", "linux/arm/v7"]
    );
    assert_eq!(kept("amd", &["linux/amd64"]), ["linux/amd64"]);
    assert_eq!(
        kept("twice", &["linux/amd64"]),
        ["linux/amd64", "linux/amd64"]
    );
    // the entry naming no platform is the last resort here too
    assert_eq!(kept("none_first", &["linux/s390x"]), ["none"]);
    assert_eq!(
        kept("none_first", &["linux/s390x", "linux/arm64"]),
        ["none", "linux/arm64/v8"]
    );
    let e = fails_with(
        lade().args([
            "copy",
            "--platform",
            "linux/arm/v5",
            &format!("oci:{}:v6v7", dir.display()),
            &format!("oci:{}:x", t.path().join("none").display()),
        ]),
        1,
    );
    assert!(
        e.contains("no image for linux/arm/v5 (it has linux/arm/v6, linux/arm/v7)"),
        "{e}"
    );
}

/// BuildKit's attestation entries (in-toto manifests for unknown/unknown,
/// annotated with the digest of the image they attest) are no platform:
/// never picked, not listed among the platforms; they come along with
/// their image in a --platform subset, name the image's new digest where
/// the image is rewritten, and are left out, said, of a Docker list.
#[test]
fn attestations_travel_with_their_image_and_are_no_platform() {
    let t = tempdir();
    let src = t.path().join("src");
    let amd = image(&src, "amd64", "1", false, 1024);
    let arm = image(&src, "arm64", "1", false, 1024);
    // (as BuildKit writes them: a config of unknown/unknown whose
    // diff_ids are the statements')
    let (stmt, stmt_len) = put_blob(&src, br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "unknown", "os": "unknown", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [stmt]}}))
    .unwrap();
    let (config, config_len) = put_blob(&src, &config);
    let att = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config,
            "size": config_len},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": stmt, "size": stmt_len,
            "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
    }))
    .unwrap();
    let (att_digest, att_len) = put_blob(&src, &att);
    let attest = |of: &Value| {
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": att_digest, "size": att_len,
            "platform": {"architecture": "unknown", "os": "unknown"},
            "annotations": {"vnd.docker.reference.digest": of["digest"],
                "vnd.docker.reference.type": "attestation-manifest"}})
    };
    let entries = serde_json::json!([amd, arm, attest(&amd), attest(&arm)]);
    let bytes = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}))
    .unwrap();
    let (d, n) = put_blob(&src, &bytes);
    write_layout(
        &src,
        &[(
            "i",
            serde_json::json!({"mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": d, "size": n}),
        )],
    );
    let from = format!("oci:{}:i", src.display());
    let out = |name: &str| t.path().join(name);
    let index_of = |dir: &Path| -> Value {
        json(&ok(lade()
            .arg("--store")
            .arg(dir)
            .args(["cat-manifest", "x"])))
    };

    // Not a platform to pick, nor one the index is said to have.
    let e = fails_with(
        lade()
            .args(["copy", "--platform", "unknown/unknown", &from])
            .arg(format!("oci:{}:x", out("u").display())),
        1,
    );
    assert!(e.contains("it has linux/amd64, linux/arm64)"), "{e}");
    let e = fails_with(
        lade().args([
            "--override-os",
            "unknown",
            "--override-arch",
            "unknown",
            "inspect",
            &from,
        ]),
        1,
    );
    assert!(e.contains("no image for unknown/unknown"), "{e}");

    // A subset keeps the attestation of the image kept, not the other's.
    ok(lade()
        .args(["copy", "-q", "--platform", "linux/arm64", &from])
        .arg(format!("oci:{}:x", out("p").display())));
    let got = index_of(&out("p"));
    assert_eq!(got["manifests"], serde_json::json!([arm, attest(&arm)]));

    // Rewritten images (zstd layers): each attestation names the new one.
    ok(lade()
        .args([
            "copy",
            "-q",
            "--all",
            "--dest-compress-format",
            "zstd",
            &from,
        ])
        .arg(format!("oci:{}:x", out("z").display())));
    let got = index_of(&out("z"));
    let m = got["manifests"].as_array().unwrap();
    assert_eq!(m.len(), 4);
    for (image, att) in [(&m[0], &m[2]), (&m[1], &m[3])] {
        assert_ne!(image["digest"], amd["digest"]);
        assert_ne!(image["digest"], arm["digest"]);
        assert_eq!(
            att["annotations"]["vnd.docker.reference.digest"],
            image["digest"]
        );
    }

    // A Docker list holds the images alone, by copy and by convert.
    let e = ok_stderr(
        lade()
            .args(["copy", "--all", "-f", "v2s2", &from])
            .arg(format!("oci:{}:x", out("d").display())),
    );
    assert!(
        e.contains("2 attestations (provenance, SBOM) left out: a Docker manifest list"),
        "{e}"
    );
    let got = index_of(&out("d"));
    assert_eq!(
        got["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    assert_eq!(got["manifests"].as_array().unwrap().len(), 2);
    let e = ok_stderr(
        lade()
            .arg("--store")
            .arg(&src)
            .args(["convert", "--to", "docker", "--tag", "docker", "i"]),
    );
    assert!(e.contains("2 attestations"), "{e}");
}

/// An index entry without a platform is taken for any platform, as a last
/// resort; one that is an artifact (an SBOM beside the images) is no
/// image: inspect, cat-config, unpack and copy for a platform the index
/// lacks answer "no image" (exit 1) instead of taking the SBOM for it,
/// and for one it has, pick that image.
#[test]
fn an_artifact_without_a_platform_is_never_taken_for_the_image() {
    let t = tempdir();
    let dir = t.path().join("l");
    let images = index(&dir, &["amd64", "arm64"], "1", false);
    let (empty, _) = put_blob(&dir, b"{}");
    let (sbom, sbom_size) = put_blob(&dir, b"{\"sbom\":true}");
    let artifact = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/x-sbom",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/x-sbom", "digest": sbom, "size": sbom_size}],
    }))
    .unwrap();
    let (a, a_size) = put_blob(&dir, &artifact);
    let top = json(
        &std::fs::read(
            dir.join("blobs/sha256")
                .join(&images["digest"].as_str().unwrap()[7..]),
        )
        .unwrap(),
    );
    let mut manifests = top["manifests"].as_array().unwrap().clone();
    manifests.push(serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": a, "size": a_size,
    }));
    let bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }))
    .unwrap();
    let (d, size) = put_blob(&dir, &bytes);
    write_layout(
        &dir,
        &[(
            "multi",
            serde_json::json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": d, "size": size}),
        )],
    );
    let src = format!("oci:{}:multi", dir.display());
    let no_image = "the index has no image for linux/s390x";
    let err = fails_with(
        lade().args(["--override-arch", "s390x", "inspect", &src]),
        1,
    );
    assert!(
        err.contains(no_image) && err.contains("is an artifact, not an image"),
        "{err}"
    );
    let err = fails_with(
        lade()
            .arg("--store")
            .arg(&dir)
            .args(["cat-config", "--platform", "linux/s390x", "multi"]),
        1,
    );
    assert!(err.contains(no_image), "{err}");
    let dest = format!("oci:{}:x", t.path().join("out").display());
    let err = fails_with(
        lade().args(["--override-arch", "s390x", "copy", &src, &dest]),
        1,
    );
    assert!(err.contains(no_image), "{err}");
    let err = fails_with(
        lade()
            .args(["unpack", "--platform", "linux/s390x", &src])
            .arg(t.path().join("root")),
        1,
    );
    assert!(err.contains(no_image), "{err}");
    let arch = ok_str(lade().args([
        "--override-arch",
        "arm64",
        "inspect",
        "-f",
        "{{.Architecture}}",
        &src,
    ]));
    assert_eq!(arch.trim(), "arm64");
}

/// An index entry whose platform names nothing (`"platform": {}`, against
/// the image spec) does not make the whole index unreadable: --all copies
/// it as it is, --platform and the default take the other entries, and
/// inspect lists it, as skopeo copies such an index.
#[test]
fn an_entry_with_an_empty_platform_leaves_the_index_readable() {
    let t = tempdir();
    let dir = t.path().join("src");
    let mut s390x = image(&dir, "s390x", "e", false, 4096);
    s390x["platform"]["os.version"] = "10.0.17763.5122".into();
    let mut blank = image(&dir, "amd64", "e", false, 4096);
    blank["platform"] = serde_json::json!({});
    let bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [s390x, blank],
    }))
    .unwrap();
    let (d, size) = put_blob(&dir, &bytes);
    write_layout(
        &dir,
        &[(
            "e",
            serde_json::json!({"mediaType": OCI_INDEX, "digest": d, "size": size}),
        )],
    );
    let src = format!("oci:{}:e", dir.display());
    let out = t.path().join("out");
    let dst = |r: &str| format!("oci:{}:{r}", out.display());
    ok(lade().args(["copy", "-q", "--all", &src, &dst("all")]));
    assert_eq!(ok(lade().args(["inspect", "--raw", &dst("all")])), bytes);
    ok(lade().args(["copy", "-q", "--platform", "linux/s390x", &src, &dst("one")]));
    let one: Value = json(&ok(lade().args(["inspect", "--raw", &dst("one")])));
    assert_eq!(one["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(one["manifests"][0]["digest"], s390x["digest"]);
    let v: Value = json(&ok(lade().args([
        "--override-arch",
        "s390x",
        "inspect",
        &src,
    ])));
    assert_eq!(v["Architecture"], "s390x");
    let all: Value = json(&ok(lade().args(["inspect", "--all-platforms", &src])));
    assert_eq!(all["Platforms"].as_array().unwrap().len(), 2);
    assert_eq!(all["Platforms"][1]["Digest"], blank["digest"]);
    // os.version, which tells Windows images apart, is shown.
    assert_eq!(all["Platforms"][0]["OsVersion"], "10.0.17763.5122");
    assert_eq!(all["Platforms"][1]["OsVersion"], Value::Null);
    // A platform asked for with blanks in it is no platform.
    let err = fails_with(
        lade().args(["copy", "--platform", " linux/s390x", &src, &dst("x")]),
        2,
    );
    assert!(err.contains("invalid platform"), "{err}");
}

/// An index's entries' annotations have no place in a Docker list either:
/// a conversion says so, as it says the index's own. Offline.
#[test]
fn a_docker_list_says_the_entry_annotations_it_leaves_out() {
    let t = tempdir();
    let dir = t.path().join("src");
    let plain = image(&dir, "amd64", "p", false, 4096);
    let mut noted = image(&dir, "arm64", "p", false, 4096);
    noted["annotations"] = serde_json::json!({"com.example.note": "kept in OCI only"});
    let list = |entries: Vec<Value>| {
        let bytes = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries,
        }))
        .unwrap();
        let (d, size) = put_blob(&dir, &bytes);
        serde_json::json!({"mediaType": OCI_INDEX, "digest": d, "size": size})
    };
    let (with, without) = (
        list(vec![plain.clone(), noted]),
        list(vec![plain.clone(), image(&dir, "arm64", "p", false, 4096)]),
    );
    write_layout(&dir, &[("with", with.clone()), ("without", without)]);
    let out = t.path().join("out");
    let to_docker = |name: &str| {
        let o = run(lade()
            .args(["copy", "-q", "--all", "--format", "v2s2"])
            .arg(format!("oci:{}:{name}", dir.display()))
            .arg(format!("oci:{}:{name}", out.display())));
        assert!(o.status.success(), "{o:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let err = to_docker("with");
    assert!(
        err.contains(&format!(
            "{}: its annotations are left out: the Docker format has no place for them",
            with["digest"].as_str().unwrap()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let written: Value = json(&ok(lade()
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:with", out.display()))));
    assert_eq!(written["mediaType"], DOCKER_LIST);
    assert!(written["manifests"][1].get("annotations").is_none());
    // Nothing left out: nothing said.
    assert_eq!(to_docker("without"), "");
}

/// A manifest an index (or index.json) names by its sha512 digest, as
/// the image-spec allows, is read by that digest and keeps it: it was
/// read as sha256 and failed ('manifest sha512:… does not match its
/// descriptor (got sha256:…)'), and one index.json named was written
/// into the destination under its sha256 digest, another image. skopeo
/// 1.9 reads no sha512 blob at all; lade fsck took the layout as sound.
/// A copy of it to the registry is stored by the sha256 digest the
/// registry hashes with, as before.
#[test]
fn manifests_named_by_sha512_keep_that_digest() {
    use sha2::{Digest as _, Sha512};
    let t = tempdir();
    let dir = t.path().join("src");
    // The amd64 image's manifest moved to blobs/sha512.
    let amd = image(&dir, "amd64", "h", false, 4096);
    let hex256 = amd["digest"].as_str().unwrap()[7..].to_string();
    let bytes = std::fs::read(dir.join("blobs/sha256").join(&hex256)).unwrap();
    std::fs::remove_file(dir.join("blobs/sha256").join(&hex256)).unwrap();
    let hex512 = hex::encode(Sha512::digest(&bytes));
    std::fs::create_dir_all(dir.join("blobs/sha512")).unwrap();
    std::fs::write(dir.join("blobs/sha512").join(&hex512), &bytes).unwrap();
    let mut amd512 = amd.clone();
    amd512["digest"] = format!("sha512:{hex512}").into();
    let arm = image(&dir, "arm64", "h", false, 4096);
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd512, arm],
    }))
    .unwrap();
    let (d, size) = put_blob(&dir, &index);
    write_layout(
        &dir,
        &[
            (
                "multi",
                serde_json::json!({"mediaType": OCI_INDEX, "digest": d, "size": size}),
            ),
            ("one", amd512.clone()),
        ],
    );
    ok(lade().args(["--store", dir.to_str().unwrap(), "fsck"]));
    let src = |r: &str| format!("oci:{}:{r}", dir.display());
    let out = t.path().join("out");
    let dst = |r: &str| format!("oci:{}:{r}", out.display());
    let entry = |r: &str| -> Value {
        let i = json(&std::fs::read(out.join("index.json")).unwrap());
        i["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["annotations"]["org.opencontainers.image.ref.name"] == r)
            .cloned()
            .unwrap()
    };
    // The whole index, byte for byte, its sha512 manifest under its name.
    ok(lade().args(["copy", "-q", "--all", &src("multi"), &dst("all")]));
    assert_eq!(ok(lade().args(["inspect", "--raw", &dst("all")])), index);
    assert_eq!(
        std::fs::read(out.join("blobs/sha512").join(&hex512)).unwrap(),
        bytes
    );
    // The image of one platform, and the one index.json names: by sha512.
    ok(lade().args([
        "copy",
        "-q",
        "--override-arch",
        "amd64",
        &src("multi"),
        &dst("amd"),
    ]));
    assert_eq!(entry("amd")["digest"], amd512["digest"]);
    ok(lade().args(["copy", "-q", &src("one"), &dst("one")]));
    assert_eq!(entry("one")["digest"], amd512["digest"]);
    ok(lade().args(["--store", out.to_str().unwrap(), "fsck"]));
    let v = json(&ok(lade().args(["inspect", &src("one")])));
    assert_eq!(v["Digest"], amd512["digest"]);
    let v = json(&ok(lade().args([
        "--override-arch",
        "amd64",
        "inspect",
        &src("multi"),
    ])));
    assert_eq!(v["Architecture"], "amd64");
    // The same from an oci-archive of the layout.
    let tar = t.path().join("src.tar");
    let tarred = Command::new("tar")
        .args([
            "-C",
            dir.to_str().unwrap(),
            "-cf",
            tar.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(tarred.success());
    let arch = |r: &str| format!("oci-archive:{}:{r}", tar.display());
    ok(lade().args(["copy", "-q", "--all", &arch("multi"), &dst("from-archive")]));
    assert_eq!(
        ok(lade().args(["inspect", "--raw", &dst("from-archive")])),
        index
    );
    ok(lade().args(["copy", "-q", &arch("one"), &dst("one-from-archive")]));
    assert_eq!(entry("one-from-archive")["digest"], amd512["digest"]);

    // Pushed by tag, the registry stores it by its sha256 digest.
    let Some(reg) = registry() else { return };
    let repo = unique("ma/sha512");
    ok(lade().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &src("one"),
        &format!("docker://{reg}/{repo}:1"),
    ]));
    assert_eq!(
        registry_status(
            &reg,
            "HEAD",
            &format!("/v2/{repo}/manifests/sha256:{hex256}")
        ),
        200
    );
}

/// The machine's platform as Go names its architecture (the default
/// pick), and another one the tests pick by --platform.
fn here_and_other() -> (&'static str, &'static str) {
    let here = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "s390x" => "s390x",
        "powerpc64" => "ppc64le",
        other => panic!("no Go name for {other}"),
    };
    (here, if here == "arm64" { "amd64" } else { "arm64" })
}

/// An index of `entries` (descriptors) in layout `dir`, of type `mt`;
/// returns its descriptor.
fn index_of(dir: &Path, mt: &str, entries: Vec<Value>) -> Value {
    let bytes = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": mt, "manifests": entries,
    }))
    .unwrap();
    let (d, s) = put_blob(dir, &bytes);
    serde_json::json!({"mediaType": mt, "digest": d, "size": s})
}

/// A layout `dir` holding a tree of nested OCI indexes under the ref
/// `nested`: top [child [grand [ppc64le], HERE, OTHER], s390x] (HERE and
/// OTHER from [`here_and_other`]). Returns (top, child, grand, images by
/// arch), each a descriptor.
fn nested_layout(dir: &Path) -> (Value, Value, Value, Vec<(String, Value)>) {
    let (here, other) = here_and_other();
    let img = |arch: &str| image(dir, arch, "n", false, 4096);
    let images: Vec<(String, Value)> = ["ppc64le", here, other, "s390x"]
        .iter()
        .map(|a| (a.to_string(), img(a)))
        .collect();
    let grand = index_of(dir, OCI_INDEX, vec![images[0].1.clone()]);
    let child = index_of(
        dir,
        OCI_INDEX,
        vec![grand.clone(), images[1].1.clone(), images[2].1.clone()],
    );
    let top = index_of(dir, OCI_INDEX, vec![child.clone(), images[3].1.clone()]);
    write_layout(dir, &[("nested", top.clone())]);
    (top, child, grand, images)
}

fn digest_of(d: &Value) -> &str {
    d["digest"].as_str().unwrap()
}

/// [`nested_layout`] in `dir`, a byte of its grandchild index changed.
fn damaged_nested_layout(dir: &Path) {
    let (_, _, grand, _) = nested_layout(dir);
    let p = dir.join("blobs/sha256").join(&digest_of(&grand)[7..]);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&p, bytes).unwrap();
}

/// The blob files of a layout, by name.
fn blob_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Nested indexes (an index listing indexes): --all copies the tree into a
/// registry and back with every digest (skopeo reads each index back byte
/// for byte), sync too; a platform pick finds an image inside; --platform
/// writes one flat index; inspect --all-platforms lists the images of
/// every level; fsck and gc follow the tree.
#[test]
fn nested_indexes_copy_whole_and_platforms_are_found_inside() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let (here, other) = here_and_other();
    let t = tempdir();
    let src_dir = t.path().join("src");
    let (top, child, grand, images) = nested_layout(&src_dir);
    let src = format!("oci:{}:nested", src_dir.display());
    let blob =
        |d: &Value| std::fs::read(src_dir.join("blobs/sha256").join(&digest_of(d)[7..])).unwrap();
    let insecure = ["--src-tls-verify=false", "--dest-tls-verify=false"];

    // --all into a registry: every index and image by its digest.
    let repo = format!("{reg}/{}", unique("nest/app"));
    let pushed = format!("docker://{repo}:1");
    ok(lade()
        .args(["copy", "-q", "--all"])
        .args(insecure)
        .args([&src, &pushed]));
    assert_eq!(raw(&pushed), blob(&top));
    for d in [&top, &child, &grand]
        .into_iter()
        .chain(images.iter().map(|(_, d)| d))
    {
        let by_digest = format!("docker://{repo}@{}", digest_of(d));
        assert_eq!(raw(&by_digest), blob(d), "{by_digest}");
    }

    // Back into a layout: the same digests, the same blobs.
    let back_dir = t.path().join("back");
    let back = format!("oci:{}:n", back_dir.display());
    ok(lade()
        .args(["copy", "-q", "--all"])
        .args(insecure)
        .args([&pushed, &back]));
    assert_eq!(ok(lade().args(["inspect", "--raw", &back])), blob(&top));
    assert_eq!(blob_names(&back_dir), blob_names(&src_dir));
    // fsck and gc follow the tree: every blob reached, none collected.
    let fsck = ok_stderr(lade().arg("--store").arg(&back_dir).arg("fsck"));
    let n = blob_names(&src_dir).len();
    assert!(
        fsck.contains(&format!("{n} blobs")) && fsck.contains(" 0 unreachable, 0 problems"),
        "{fsck}"
    );
    ok(lade()
        .arg("--store")
        .arg(&back_dir)
        .args(["gc", "--grace", "0"]));
    assert_eq!(blob_names(&back_dir).len(), n);

    // Registry to registry, and sync: the same bytes.
    let again = format!("docker://{reg}/{}:1", unique("nest/again"));
    ok(lade()
        .args(["copy", "-q", "--all"])
        .args(insecure)
        .args([&pushed, &again]));
    assert_eq!(raw(&again), blob(&top));
    let mirror = format!("{reg}/{}", unique("nest/mirror"));
    ok(lade()
        .args(["sync", "-q"])
        .args(insecure)
        .args([&format!("docker://{repo}"), &format!("docker://{mirror}")]));
    assert_eq!(raw(&format!("docker://{mirror}:1")), blob(&top));
    assert_eq!(
        raw(&format!("docker://{mirror}@{}", digest_of(&grand))),
        blob(&grand)
    );

    // The default pick finds this machine's image in the child index,
    // --override-arch the one in the grandchild.
    let here_image = &images[1].1;
    let def = format!("oci:{}:d", t.path().join("def").display());
    ok(lade()
        .args(["copy", "-q"])
        .args(insecure)
        .args([&pushed, &def]));
    assert_eq!(
        ok(lade().args(["inspect", "--raw", &def])),
        blob(here_image)
    );
    let i = json(&ok(lade().args(["inspect", "--tls-verify=false", &pushed])));
    assert_eq!(i["Architecture"], here);
    assert_eq!(i["Digest"], digest_of(&top));
    let i = json(&ok(lade().args([
        "inspect",
        "--override-arch",
        "ppc64le",
        "--tls-verify=false",
        &pushed,
    ])));
    assert_eq!(i["Architecture"], "ppc64le");

    // --platform: one flat index holding only the images picked, as the
    // indexes that listed them give their entries.
    let flat = format!("docker://{reg}/{}:1", unique("nest/flat"));
    ok(lade()
        .args(["copy", "-q", "--platform", &format!("linux/{other}")])
        .args(["--platform", "linux/ppc64le"])
        .args(insecure)
        .args([&src, &flat]));
    let got = json(&raw(&flat));
    assert_eq!(got["mediaType"], OCI_INDEX);
    let entries = got["manifests"].as_array().unwrap();
    assert_eq!(entries, &vec![images[0].1.clone(), images[2].1.clone()]);
    let one = t.path().join("one");
    ok(lade()
        .args(["copy", "-q", "--platform", &format!("linux/{other}")])
        .args(insecure)
        .args([&pushed, &format!("oci:{}:o", one.display())]));
    let got = json(&ok(lade().args([
        "inspect",
        "--raw",
        &format!("oci:{}:o", one.display()),
    ])));
    assert_eq!(got["manifests"], serde_json::json!([images[2].1]));

    // inspect --all-platforms: every image, depth first, with its index.
    let v = json(&ok(lade().args([
        "inspect",
        "--all-platforms",
        "--tls-verify=false",
        &pushed,
    ])));
    let listed: Vec<(String, Value)> = v["Platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["Architecture"].as_str().unwrap().to_string(),
                p["Index"].clone(),
            )
        })
        .collect();
    let at = |d: &Value| Value::String(digest_of(d).to_string());
    assert_eq!(
        listed,
        vec![
            ("ppc64le".into(), at(&grand)),
            (here.into(), at(&child)),
            (other.into(), at(&child)),
            ("s390x".into(), Value::Null),
        ]
    );
    for (p, (_, d)) in v["Platforms"].as_array().unwrap().iter().zip(&images) {
        assert_eq!(p["Digest"], d["digest"]);
    }

    // index-only: the indexes of the tree where the images are.
    let io = format!("docker://{repo}:io");
    ok(lade()
        .args(["copy", "-q", "--multi-arch", "index-only"])
        .args(insecure)
        .args([&src, &io]));
    assert_eq!(raw(&io), blob(&top));
}

/// A tree of nested indexes too deep, or with a nested index missing or
/// damaged, fails in one line (exit 3) before anything is written: no
/// layout made, no image in the registry.
#[test]
fn bad_nested_indexes_are_refused_before_anything_is_written() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    // A chain of 9 indexes below the top, an image at the bottom and one
    // beside the top's first entry.
    let deep_dir = t.path().join("deep");
    let bottom = image(&deep_dir, "arm64", "d", false, 4096);
    let beside = image(&deep_dir, "amd64", "d", false, 4096);
    let mut d = bottom.clone();
    for _ in 0..9 {
        d = index_of(&deep_dir, OCI_INDEX, vec![d]);
    }
    let top = index_of(&deep_dir, OCI_INDEX, vec![beside.clone(), d]);
    write_layout(&deep_dir, &[("deep", top)]);
    let deep = format!("oci:{}:deep", deep_dir.display());
    // Eight below the top: copied.
    let eight_dir = t.path().join("eight");
    let mut d = image(&eight_dir, "arm64", "e", false, 4096);
    for _ in 0..8 {
        d = index_of(&eight_dir, OCI_INDEX, vec![d]);
    }
    write_layout(
        &eight_dir,
        &[("eight", index_of(&eight_dir, OCI_INDEX, vec![d]))],
    );
    let eight_out = t.path().join("eight-out");
    ok(lade().args([
        "copy",
        "-q",
        "--all",
        &format!("oci:{}:eight", eight_dir.display()),
        &format!("oci:{}:e", eight_out.display()),
    ]));
    assert_eq!(blob_names(&eight_out), blob_names(&eight_dir));

    // Missing and damaged: the grandchild of a nested tree.
    let gone_dir = t.path().join("gone");
    let (_, _, grand, _) = nested_layout(&gone_dir);
    std::fs::remove_file(gone_dir.join("blobs/sha256").join(&digest_of(&grand)[7..])).unwrap();
    let bad_dir = t.path().join("bad");
    damaged_nested_layout(&bad_dir);
    let cases = [
        (
            deep.clone(),
            "nested 9 indexes deep; lade follows at most 8".to_string(),
        ),
        (
            format!("oci:{}:nested", gone_dir.display()),
            digest_of(&grand).to_string(),
        ),
        (
            format!("oci:{}:nested", bad_dir.display()),
            digest_of(&grand).to_string(),
        ),
    ];
    for (src, says) in &cases {
        for how in [&["--all"][..], &["--multi-arch", "index-only"], &[]] {
            let out_dir = t.path().join(unique("out"));
            let repo = format!("{reg}/{}", unique("nest/bad"));
            for dst in [
                format!("oci:{}:x", out_dir.display()),
                format!("docker://{repo}:1"),
            ] {
                let err = fails_with(
                    lade()
                        .args(["copy", "-q", "--dest-tls-verify=false"])
                        .args(how)
                        .args([src, &dst]),
                    3,
                );
                assert!(err.contains(says.as_str()), "{how:?} {dst}: {err}");
                assert_eq!(err.lines().count(), 1, "{err}");
            }
            assert!(
                !out_dir.exists(),
                "{src} {how:?} made {}",
                out_dir.display()
            );
            // Nothing written to the registry: not the image beside the
            // deep branch, not the top's tag.
            let none = run(skopeo().args([
                "inspect",
                "--raw",
                "--tls-verify=false",
                &format!("docker://{repo}@{}", digest_of(&beside)),
            ]));
            assert!(!none.status.success(), "{src} {how:?}");
            let tags = run(skopeo().args([
                "list-tags",
                "--tls-verify=false",
                &format!("docker://{repo}"),
            ]));
            assert!(
                !String::from_utf8_lossy(&tags.stdout).contains("\"1\""),
                "{src} {how:?}"
            );
        }
    }
    // inspect: the same one line.
    let err = fails_with(lade().args(["inspect", "--all-platforms", &deep]), 3);
    assert!(err.contains("nested 9 indexes deep"), "{err}");
    // --format v2s2 cannot hold a nested index: said before any write.
    let (_, _, _, _) = nested_layout(&t.path().join("v2"));
    let out_dir = t.path().join("v2-out");
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            "--all",
            "--format",
            "v2s2",
            &format!("oci:{}:nested", t.path().join("v2").display()),
            &format!("oci:{}:x", out_dir.display()),
        ]),
        3,
    );
    assert!(err.contains("cannot hold an index"), "{err}");
    assert!(!out_dir.exists());
}

/// inspect --all-platforms of a tree whose nested index the source lacks
/// (in a layout, in a registry) lists it as it lists a missing image:
/// an entry with "Missing": true, its digest, media type and the Index
/// that lists it, the images of the parts there in full, the same
/// warning, exit 0. A damaged nested index is an error in one line, exit
/// 3, as a damaged image is.
#[test]
fn inspect_all_platforms_lists_a_missing_nested_index_as_missing() {
    let Some(reg) = registry() else { return };
    let (here, other) = here_and_other();
    let t = tempdir();
    let dir = t.path().join("l");
    let (top, child, grand, images) = nested_layout(&dir);
    let at = |d: &Value| Value::String(digest_of(d).to_string());
    let listed = |v: &Value| -> Vec<(Value, Value, Value, bool)> {
        v["Platforms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["Digest"].clone(),
                    p["MediaType"].clone(),
                    p["Index"].clone(),
                    p["Missing"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let img = |k: usize, parent: Value| {
        let d = &images[k].1;
        (at(d), Value::String(OCI_MANIFEST.into()), parent, false)
    };
    let gone = |d: &Value, parent: Value| (at(d), Value::String(OCI_INDEX.into()), parent, true);
    let inspect = |name: &str| {
        let out = run(lade().args(["inspect", "--all-platforms", "--tls-verify=false", name]));
        assert!(out.status.success(), "{name}: {out:?}");
        (
            json(&out.stdout),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // The grandchild gone: its entry, then the child's two images in full.
    let src = format!("oci:{}:nested", dir.display());
    let repo = format!("{reg}/{}", unique("nest/gone"));
    let pushed = format!("docker://{repo}:1");
    ok(lade().args([
        "copy",
        "-q",
        "--all",
        "--dest-tls-verify=false",
        &src,
        &pushed,
    ]));
    let grand_blob = dir.join("blobs/sha256").join(&digest_of(&grand)[7..]);
    std::fs::remove_file(&grand_blob).unwrap();
    ok(lade().args([
        "delete",
        "--tls-verify=false",
        &format!("docker://{repo}@{}", digest_of(&grand)),
    ]));
    for name in [&src, &pushed] {
        let (v, err) = inspect(name);
        assert_eq!(v["Digest"], at(&top), "{name}");
        assert_eq!(
            listed(&v),
            vec![
                gone(&grand, at(&child)),
                img(1, at(&child)),
                img(2, at(&child)),
                img(3, Value::Null),
            ],
            "{name}"
        );
        let p = &v["Platforms"][0];
        assert_eq!(p["ManifestSize"], grand["size"], "{name}");
        for k in ["ConfigDigest", "Size", "Layers", "LayersData", "Platform"] {
            assert!(p[k].is_null(), "{name}: {k}: {p}");
        }
        assert_eq!(v["Platforms"][1]["Architecture"], here);
        assert_eq!(v["Platforms"][2]["Architecture"], other);
        assert_eq!(v["Platforms"][1]["Layers"].as_array().unwrap().len(), 2);
        assert!(
            err.contains(&format!(
                "1 of the 4 entries of the index and those nested in it are not in the source \
                 and are listed without config or layers (\"Missing\": true): {}; 1 of them is \
                 a nested index, whose images are unknown",
                digest_of(&grand)
            )),
            "{name}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    // The child gone too (the top's own entry): it, and the s390x image.
    std::fs::remove_file(dir.join("blobs/sha256").join(&digest_of(&child)[7..])).unwrap();
    let (v, err) = inspect(&src);
    assert_eq!(
        listed(&v),
        vec![gone(&child, Value::Null), img(3, Value::Null)]
    );
    assert!(err.contains(digest_of(&child)), "{err}");

    // A nested index there but damaged: one line, exit 3, as a damaged image.
    let bad_dir = t.path().join("bad");
    damaged_nested_layout(&bad_dir);
    let err = fails_with(
        lade().args([
            "inspect",
            "--all-platforms",
            &format!("oci:{}:nested", bad_dir.display()),
        ]),
        3,
    );
    assert!(err.contains(digest_of(&grand)), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// sync into a dir: tree holds a tree of nested indexes to the whole of
/// it: an unchanged run copies nothing, and an image whose layer is gone
/// from the image's directory, or a nested index whose manifest file is,
/// deep in the tree, makes the next run copy it again (and the blob or
/// file is back).
#[test]
fn sync_into_a_dir_tree_checks_the_images_of_nested_indexes() {
    let t = tempdir();
    let src_dir = t.path().join("src");
    let (top, _child, grand, images) = nested_layout(&src_dir);
    let tree = t.path().join("tree");
    let sync = || {
        let mut c = lade();
        c.args([
            "sync",
            &format!("oci:{}", src_dir.display()),
            &format!("dir:{}", tree.display()),
        ]);
        c
    };
    let err = ok_stderr(&mut sync());
    assert!(err.contains("1 copied, 0 unchanged"), "{err}");
    let img = tree.join("nested");
    let dir_name = format!("dir:{}", img.display());
    assert_eq!(
        ok(lade().args(["inspect", "--raw", &dir_name])),
        std::fs::read(src_dir.join("blobs/sha256").join(&digest_of(&top)[7..])).unwrap()
    );
    let err = ok_stderr(&mut sync());
    assert!(err.contains("0 copied, 1 unchanged"), "{err}");

    // The grandchild's image's own layer gone: copied again.
    let ppc = json(
        &std::fs::read(
            src_dir
                .join("blobs/sha256")
                .join(&digest_of(&images[0].1)[7..]),
        )
        .unwrap(),
    );
    let own = ppc["layers"][1]["digest"].as_str().unwrap().to_string();
    let own_file = img.join(&own[7..]);
    assert!(own_file.exists(), "{}", own_file.display());
    std::fs::remove_file(&own_file).unwrap();
    let err = ok_stderr(&mut sync());
    assert!(err.contains("1 copied, 0 unchanged"), "{err}");
    assert!(own_file.exists());

    // The grandchild index's own manifest file gone: copied again.
    let grand_file = img.join(format!("{}.manifest.json", &digest_of(&grand)[7..]));
    assert!(grand_file.exists(), "{}", grand_file.display());
    std::fs::remove_file(&grand_file).unwrap();
    let err = ok_stderr(&mut sync());
    assert!(err.contains("1 copied, 0 unchanged"), "{err}");
    assert!(grand_file.exists());
    let err = ok_stderr(&mut sync());
    assert!(err.contains("0 copied, 1 unchanged"), "{err}");
    // The whole tree reads back, every digest kept.
    let back = t.path().join("back");
    ok(lade().args([
        "copy",
        "-q",
        "--all",
        &dir_name,
        &format!("oci:{}:nested", back.display()),
    ]));
    assert_eq!(blob_names(&back), blob_names(&src_dir));
}
