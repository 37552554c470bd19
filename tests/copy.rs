//! `lade copy` and `lade inspect` across transports, with skopeo, umoci
//! and Docker as independent oracles.

mod common;
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::{json, Value};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn skopeo() -> Command {
    Command::new("skopeo")
}

fn oci(dir: &Path, name: &str) -> String {
    format!("oci:{}:{name}", dir.display())
}

/// The manifest digest of an image, via lade inspect.
fn digest_of(image: &str) -> String {
    json(&ok(lade().args(["inspect", image])))["Digest"]
        .as_str()
        .unwrap()
        .to_string()
}

fn config_digest(image: &str) -> String {
    let raw = json(&ok(lade().args(["inspect", "--raw", image])));
    raw["config"]["digest"].as_str().unwrap().to_string()
}

fn diff_ids(image: &str) -> Value {
    json(&ok(lade().args(["inspect", "--config", image])))["rootfs"]["diff_ids"].clone()
}

/// The fields skopeo prints, compared one by one with lade's.
fn assert_inspect_agrees(image: &str) {
    let ours = json(&ok(lade().args(["inspect", image])));
    let theirs = json(&ok(skopeo().args(["inspect", image])));
    let theirs = theirs.as_object().unwrap();
    for (k, v) in theirs {
        assert_eq!(&ours[k], v, "{image}: field {k} differs");
    }
    for k in [
        "Digest",
        "Architecture",
        "Os",
        "Layers",
        "Env",
        "Labels",
        "Created",
    ] {
        assert!(theirs.contains_key(k), "skopeo printed no {k}");
    }
}

/// An OCI layout of the fixture image, written by skopeo.
fn skopeo_oci(dir: &Path) -> Option<String> {
    if !require_tool("skopeo") {
        return None;
    }
    let src = fixture("docker-save/tiny-docker20.tar");
    ok(skopeo().args([
        "copy",
        "-q",
        &format!("docker-archive:{}", src.display()),
        &oci(dir, "tiny"),
    ]));
    Some(oci(dir, "tiny"))
}

#[test]
fn oci_to_oci_keeps_digests_and_skips_present_blobs() {
    let t = tempdir();
    let Some(src) = skopeo_oci(&t.path().join("a")) else {
        return;
    };
    let dst = oci(&t.path().join("b"), "copy");
    ok(lade().args(["copy", "--preserve-digests", &src, &dst]));
    assert_eq!(digest_of(&src), digest_of(&dst));
    assert_inspect_agrees(&dst);
    // again: every blob skipped
    let out = run(lade().args(["copy", &src, &dst]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert_eq!(err.matches("skipped: already exists").count(), 4, "{err}");
    ok(lade().arg("--store").arg(t.path().join("b")).arg("fsck"));
}

#[test]
fn recompression_round_trip_keeps_diff_ids() {
    let t = tempdir();
    let Some(src) = skopeo_oci(&t.path().join("a")) else {
        return;
    };
    let z = oci(&t.path().join("z"), "z");
    ok(lade().args(["copy", "-q", "--dest-compress-format", "zstd", &src, &z]));
    let raw = json(&ok(lade().args(["inspect", "--raw", &z])));
    for l in raw["layers"].as_array().unwrap() {
        assert_eq!(
            l["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+zstd"
        );
    }
    let plain = oci(&t.path().join("p"), "p");
    ok(lade().args(["copy", "-q", "--dest-compress-format", "none", &z, &plain]));
    let raw = json(&ok(lade().args(["inspect", "--raw", &plain])));
    let ids = diff_ids(&src);
    for (l, id) in raw["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(ids.as_array().unwrap())
    {
        assert_eq!(l["mediaType"], "application/vnd.oci.image.layer.v1.tar");
        assert_eq!(&l["digest"], id, "uncompressed layer digest is its diff_id");
    }
    let back = oci(&t.path().join("g"), "g");
    ok(lade().args([
        "copy",
        "-q",
        "--dest-compress-format",
        "gzip",
        &plain,
        &back,
    ]));
    assert_eq!(config_digest(&back), config_digest(&src));
    assert_eq!(diff_ids(&back), ids);
    ok(skopeo().args(["inspect", &back]));
    let e = fails_with(
        lade().args([
            "copy",
            "--preserve-digests",
            "--dest-compress-format",
            "gzip",
            &plain,
            &oci(&t.path().join("x"), "x"),
        ]),
        3,
    );
    assert!(e.contains("--preserve-digests"), "{e}");
    assert!(
        !t.path().join("x/index.json").exists()
            || ok_str(lade().arg("--store").arg(t.path().join("x")).arg("ls-refs")).is_empty()
    );
    // skopeo's spellings: --dest-decompress (none), --dest-compress (gzip,
    // or --dest-compress-format's), --dest-oci-accept-uncompressed-layers
    // (what lade does anyway: layers go in as they are).
    let types = |image: &str| -> Vec<String> {
        json(&ok(lade().args(["inspect", "--raw", image])))["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["mediaType"].as_str().unwrap().to_string())
            .collect()
    };
    let all = |image: &str, want: &str| types(image).iter().all(|t| t == want);
    let d = oci(&t.path().join("d"), "d");
    ok(lade().args(["copy", "-q", "--dest-decompress", &z, &d]));
    assert!(all(&d, "application/vnd.oci.image.layer.v1.tar"));
    assert_eq!(diff_ids(&d), ids);
    let c = oci(&t.path().join("c"), "c");
    ok(lade().args(["copy", "-q", "--dest-compress", &plain, &c]));
    assert!(all(&c, "application/vnd.oci.image.layer.v1.tar+gzip"));
    let cz = oci(&t.path().join("cz"), "cz");
    ok(lade().args([
        "copy",
        "-q",
        "--dest-compress",
        "--dest-compress-format",
        "zstd",
        &plain,
        &cz,
    ]));
    assert!(all(&cz, "application/vnd.oci.image.layer.v1.tar+zstd"));
    let u = oci(&t.path().join("u"), "u");
    ok(lade().args([
        "copy",
        "-q",
        "--dest-oci-accept-uncompressed-layers",
        &plain,
        &u,
    ]));
    assert_eq!(types(&u), types(&plain));
    fails_with(
        lade().args(["copy", "--dest-compress", "--dest-decompress", &plain, &u]),
        2,
    );
}

#[test]
fn umoci_unpacks_what_lade_wrote() {
    if !require_tool("umoci") {
        return;
    }
    let t = tempdir();
    let Some(src) = skopeo_oci(&t.path().join("a")) else {
        return;
    };
    let dst_dir = t.path().join("b");
    ok(lade().args(["copy", "-q", &src, &oci(&dst_dir, "tiny")]));
    let bundle = t.path().join("bundle");
    ok(Command::new("umoci").args([
        "unpack",
        "--rootless",
        "--image",
        &format!("{}:tiny", dst_dir.display()),
        bundle.to_str().unwrap(),
    ]));
    assert_eq!(
        fs::read_to_string(bundle.join("rootfs/opt/two.txt")).unwrap(),
        "second layer\n"
    );
}

#[test]
fn corrupt_source_blob_fails_and_leaves_no_ref_or_blob() {
    let t = tempdir();
    let src_dir = t.path().join("a");
    let Some(src) = skopeo_oci(&src_dir) else {
        return;
    };
    let raw = json(&ok(lade().args(["inspect", "--raw", &src])));
    let layer = raw["layers"][1]["digest"].as_str().unwrap().to_string();
    let path = src_dir
        .join("blobs/sha256")
        .join(layer.trim_start_matches("sha256:"));
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&path, bytes).unwrap();
    let dst_dir = t.path().join("b");
    let e = fails_with(lade().args(["copy", "-q", &src, &oci(&dst_dir, "x")]), 3);
    assert!(e.contains(&layer) && e.contains("digest mismatch"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    // The layer named once, with what its content hashes to (it said
    // "layer X: blob X: content hashes to Y").
    assert_eq!(e.matches(&layer).count(), 1, "{e}");
    assert!(
        e.contains(&format!("layer {layer}: content hashes to sha256:")),
        "{e}"
    );
    // Into a dir: alike; into an archive the layer is decompressed, and
    // its gzip trailer (the byte changed) is found wrong first: the layer
    // named once there too.
    let dst = format!("dir:{}", t.path().join("d").display());
    let e = fails_with(lade().args(["copy", "-q", &src, &dst]), 3);
    assert_eq!(e.matches(&layer).count(), 1, "{e}");
    assert!(e.contains("digest mismatch"), "{e}");
    let dst = format!("docker-archive:{}", t.path().join("a.tar").display());
    let e = fails_with(lade().args(["copy", "-q", &src, &dst]), 3);
    assert_eq!(e.matches(&layer).count(), 1, "{e}");
    // The layout the copy made (the config and a layer were in) is gone.
    assert!(!dst_dir.exists());
    // With the parents made for it; one that was there stays.
    let deep = t.path().join("p/q/lay");
    fails_with(lade().args(["copy", "-q", &src, &oci(&deep, "x")]), 3);
    assert!(!t.path().join("p").exists());
    fs::create_dir(t.path().join("p")).unwrap();
    fails_with(lade().args(["copy", "-q", &src, &oci(&deep, "x")]), 3);
    assert_eq!(fs::read_dir(t.path().join("p")).unwrap().count(), 0);
    // An empty directory that was there stays, empty.
    fs::create_dir(&dst_dir).unwrap();
    fails_with(lade().args(["copy", "-q", &src, &oci(&dst_dir, "x")]), 3);
    assert_eq!(fs::read_dir(&dst_dir).unwrap().count(), 0);
    // A layout that was there keeps its images; what the failed copy put
    // in is whole blobs only, no temp file, no ref.
    let other = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    ok(lade().args(["copy", "-q", &other, &oci(&dst_dir, "keep")]));
    let index = fs::read(dst_dir.join("index.json")).unwrap();
    fails_with(lade().args(["copy", "-q", &src, &oci(&dst_dir, "x")]), 3);
    assert_eq!(fs::read(dst_dir.join("index.json")).unwrap(), index);
    assert!(!dst_dir
        .join("blobs/sha256")
        .join(layer.trim_start_matches("sha256:"))
        .exists());
    let leftovers: Vec<_> = fs::read_dir(&dst_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".lade-tmp"))
        .collect();
    assert!(leftovers.is_empty());
    ok(lade().arg("--store").arg(&dst_dir).arg("fsck"));
    fs::remove_dir_all(&dst_dir).unwrap();
    // A layer missing from the source: the image is broken (exit 3), not
    // absent (exit 1, as for an unknown ref).
    fs::remove_file(&path).unwrap();
    let e = fails_with(lade().args(["copy", "-q", &src, &oci(&dst_dir, "x")]), 3);
    assert!(e.contains(&layer) && e.contains("not found"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    let unknown = format!("oci:{}:no-such-ref", src_dir.display());
    fails_with(
        lade().args(["copy", "-q", &unknown, &oci(&dst_dir, "x")]),
        1,
    );
    assert!(!dst_dir.exists());
}

/// What a layer compressed on the way became is learnt only from a
/// layer whose content checked out: a damaged layer (here the 3 KiB
/// layer's member holds the 10 KiB one's bytes) fails the copy and
/// leaves nothing in the cache, the two good layers do.
#[test]
fn a_damaged_layer_teaches_the_cache_nothing() {
    let t = tempdir();
    let good = fixture("docker-save/tiny-docker26.tar");
    let bad = t.path().join("bad.tar");
    let (damaged, donor) = (
        "e2380cc21efe405b7a96f5ee17cbb30d79707ced3c9017962d65d5348e4df6c2",
        "9c76cfdcea8ff251d2b5bf5632def70137d256fa4b21c0985c52255bdc177318",
    );
    let mut donor_bytes = Vec::new();
    let mut a = tar::Archive::new(fs::File::open(&good).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().ends_with(donor) {
            std::io::Read::read_to_end(&mut e, &mut donor_bytes).unwrap();
        }
    }
    let mut b = tar::Builder::new(fs::File::create(&bad).unwrap());
    let mut a = tar::Archive::new(fs::File::open(&good).unwrap());
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        let mut h = e.header().clone();
        if e.path().unwrap().ends_with(damaged) {
            h.set_size(donor_bytes.len() as u64);
            h.set_cksum();
            b.append(&h, &donor_bytes[..]).unwrap();
        } else {
            b.append(&h, e).unwrap();
        }
    }
    b.into_inner().unwrap();
    let cache = t.path().join("cache");
    let out = run(lade_with_cache(&cache)
        .args([
            "copy",
            "-q",
            "--dest-compress-format",
            "gzip",
            "--image-parallel-copies",
            "1",
        ])
        .arg(format!("docker-archive:{}", bad.display()))
        .arg(oci(&t.path().join("o"), "x")));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(damaged), "{err}");
    let text = fs::read_to_string(cache.join("lade/blob-info")).unwrap_or_default();
    assert!(!text.contains(damaged), "{text}");
    // Undamaged, every layer is learnt.
    ok(lade_with_cache(&cache)
        .args(["copy", "-q", "--dest-compress-format", "gzip"])
        .arg(format!("docker-archive:{}", good.display()))
        .arg(oci(&t.path().join("o2"), "x")));
    let text = fs::read_to_string(cache.join("lade/blob-info")).unwrap();
    assert!(text.contains(&format!("sha256:{damaged} gzip ")), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains(" gzip ")).count(),
        3,
        "{text}"
    );
}

#[test]
fn bad_names_list_the_transports() {
    let e = fails_with(lade().args(["inspect", "nope:x"]), 3);
    assert!(
        e.contains("unknown transport") && e.contains("oci-archive"),
        "{e}"
    );
    let e = fails_with(lade().args(["inspect", "justaname"]), 3);
    assert!(e.contains("TRANSPORT:DETAILS"), "{e}");
    let e = fails_with(lade().args(["copy", "oci:", "oci:/tmp/x"]), 3);
    assert!(e.contains("path"), "{e}");
    let e = fails_with(
        lade().args(["copy", "oci:/tmp/a:bad name", "oci:/tmp/x"]),
        3,
    );
    assert!(e.contains("invalid ref name"), "{e}");
    // A registry's image named as docker pull takes it.
    for name in ["localhost:5000/team/app:1", "registry.example.com/app"] {
        let e = fails_with(lade().args(["inspect", name]), 3);
        assert!(
            e.contains(&format!("(did you mean docker://{name}?)")),
            "{e}"
        );
    }
    // A path is not taken for one.
    let t = tempdir();
    fs::create_dir(t.path().join("my.images")).unwrap();
    for name in [
        "./out/image.tar",
        "../layout:latest",
        "my.images/app.tar",
        "app.tar",
    ] {
        let e = fails_with(lade().current_dir(t.path()).args(["inspect", name]), 3);
        assert!(!e.contains("did you mean"), "{e}");
    }
    // A transport mistyped (one or two letters off, or in capitals): the
    // one meant; a name as docker pull takes it: docker://; a file or
    // directory there: the transports that read one.
    fs::write(t.path().join("app.tar"), b"").unwrap();
    fs::create_dir(t.path().join("layout")).unwrap();
    for (name, hint) in [
        ("ocii:x", "(did you mean oci:x?)"),
        ("OCI:layout:app", "(did you mean oci:layout:app?)"),
        ("docker-deamon:app:1", "(did you mean docker-daemon:app:1?)"),
        ("oci-archiv:a.tar", "(did you mean oci-archive:a.tar?)"),
        ("dokcer://alpine", "(did you mean docker://alpine?)"),
        ("alpine", "(did you mean docker://alpine?)"),
        ("alpine:3.18", "(did you mean docker://alpine:3.18?)"),
        ("team/app:1", "(did you mean docker://team/app:1?)"),
        (
            "app.tar",
            "(a file: docker-archive:app.tar or oci-archive:app.tar)",
        ),
        ("layout", "(a directory: oci:layout or dir:layout)"),
        ("layout:app", "(did you mean oci:layout:app?)"),
    ] {
        let e = fails_with(lade().current_dir(t.path()).args(["inspect", name]), 3);
        assert!(e.contains(hint), "{name}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // A command's option before the command's name (skopeo takes
    // --tls-verify there): said where it goes.
    let e = fails_with(
        lade().args(["--tls-verify=false", "inspect", "docker://r/a"]),
        2,
    );
    assert!(
        e.starts_with("error: --tls-verify is an option of 'lade inspect': give it after"),
        "{e}"
    );
    // copy's are per side
    let e = fails_with(
        lade().args(["--tls-verify=false", "copy", "dir:a", "dir:b"]),
        2,
    );
    assert!(
        e.starts_with(
            "error: 'lade copy' takes --src-tls-verify and --dest-tls-verify, after the command's name"
        ),
        "{e}"
    );
    let e = fails_with(
        lade().args(["--cert-dir", "/d", "copy", "dir:a", "dir:b"]),
        2,
    );
    assert!(
        e.starts_with("error: 'lade copy' takes --src-cert-dir and --dest-cert-dir"),
        "{e}"
    );
    // (a global option's value is no command's name)
    let e = fails_with(
        lade().args([
            "--tls-verify=false",
            "--tmpdir",
            "inspect",
            "copy",
            "dir:a",
            "dir:b",
        ]),
        2,
    );
    assert!(!e.contains("'lade inspect'"), "{e}");
}

/// A layout's ref named like a digest would be read as one by lade's
/// plumbing (the layout taken as a store): refused in any layout or
/// oci-archive written, before anything is; one already there is read.
#[test]
fn a_ref_that_looks_like_a_digest_is_not_written() {
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let digest = format!("sha256:{}", "5b".repeat(32));
    for dest in [
        format!("oci:{}:{digest}", t.path().join("lay").display()),
        format!("oci-archive:{}:{digest}", t.path().join("a.tar").display()),
    ] {
        let e = fails_with(lade().args(["copy", "-q", &src, &dest]), 3);
        assert!(e.contains("looks like a digest"), "{dest}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    assert!(fs::read_dir(t.path()).unwrap().next().is_none());
    // skopeo may write one; lade reads it by that name.
    if require_tool("skopeo") {
        let lay = t.path().join("sk");
        let name = format!("oci:{}:{digest}", lay.display());
        ok(skopeo().args(["copy", "-q", &src, &name]));
        let skopeo_says = json(&ok(skopeo().args(["inspect", &name])))["Digest"].clone();
        assert_eq!(digest_of(&name), skopeo_says.as_str().unwrap());
    }
}

/// A --digestfile that cannot be written is refused before anything is
/// copied.
#[test]
fn a_digestfile_that_cannot_be_written_fails_first() {
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let dst = t.path().join("l");
    for (f, want) in [
        (t.path().join("missing/d"), "is not a directory"),
        (t.path().to_path_buf(), "is a directory"),
    ] {
        let e = fails_with(
            lade()
                .args(["copy", "-q", "--digestfile"])
                .arg(&f)
                .args([&src, &oci(&dst, "x")]),
            3,
        );
        assert!(e.contains("--digestfile") && e.contains(want), "{e}");
        assert!(!dst.exists());
    }
    // One image: its digest alone, as skopeo writes it (no newline).
    let f = t.path().join("d");
    ok(lade()
        .args(["copy", "-q", "--digestfile"])
        .arg(&f)
        .args([&src, &oci(&dst, "x")]));
    let one = fs::read_to_string(&f).unwrap();
    assert!(one.starts_with("sha256:") && one.len() == 71, "{one:?}");
    if require_tool("skopeo") {
        let g = t.path().join("g");
        ok(std::process::Command::new("skopeo")
            .args(["copy", "-q", "--digestfile"])
            .arg(&g)
            .args([&src, &oci(&t.path().join("sk"), "x")]));
        // (the same form; skopeo's conversion gives another digest)
        let theirs = fs::read_to_string(&g).unwrap();
        assert!(
            theirs.starts_with("sha256:") && theirs.len() == 71,
            "{theirs:?}"
        );
    }
    // Several: a line per image, naming its source.
    let many = t.path().join("many");
    let two = oci(&dst, "x");
    ok(lade()
        .args(["copy", "-q", "--digestfile"])
        .arg(&many)
        .args([
            &src,
            &two,
            &format!("oci:{}", t.path().join("both").display()),
        ]));
    let text = fs::read_to_string(&many).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [format!("{one} {src}"), format!("{one} {two}")],
        "{text}"
    );
}

#[test]
fn options_may_come_between_the_images() {
    let t = tempdir();
    let archive = format!(
        "docker-archive:{}",
        common::fixture("docker-save/tiny-docker26.tar").display()
    );
    let dst = oci(&t.path().join("o"), "a");
    // As skopeo takes it: an option between SOURCE and DEST.
    let out = run(lade().args(["copy", &archive, "-q", &dst]));
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "-q was not taken: {out:?}");
    assert_eq!(config_digest(&dst), config_digest(&archive));
    // delete of a layout's ref: gone (its blobs left to gc); again, a
    // negative answer; a dir: image cannot be deleted.
    ok(lade().args(["copy", "-q", &dst, &oci(&t.path().join("o"), "b")]));
    ok(lade().args(["delete", &dst]));
    let refs = ok_str(lade().arg("--store").arg(t.path().join("o")).arg("ls-refs"));
    assert!(
        refs.starts_with("b\t") && refs.lines().count() == 1,
        "{refs}"
    );
    fails_with(lade().args(["delete", &dst]), 1);
    let d = format!("dir:{}", t.path().join("d").display());
    ok(lade().args(["copy", "-q", &dst.replace(":a", ":b"), &d]));
    let e = fails_with(lade().args(["delete", &d]), 3);
    assert_eq!(
        e,
        format!("lade: error: deleting {d}: the dir transport cannot delete images\n")
    );
    // a layout named without a ref: said once
    let o = format!("oci:{}", t.path().join("o").display());
    let e = fails_with(lade().args(["delete", &o]), 3);
    assert_eq!(
        e,
        format!("lade: error: deleting {o}: name the image to delete as oci:PATH:REF\n")
    );
    // A compression level out of its range: a usage error.
    for (fmt, level) in [("gzip", "10"), ("gzip", "0"), ("zstd", "23"), ("none", "3")] {
        let e = fails_with(
            lade().args([
                "copy",
                "--dest-compress-format",
                fmt,
                "--dest-compress-level",
                level,
                &archive,
                &oci(&t.path().join("lv"), "x"),
            ]),
            2,
        );
        assert!(e.contains("--dest-compress-level"), "{e}");
    }
    assert!(!t.path().join("lv").exists());
    // Flags the destination cannot honour: usage errors, nothing written.
    let da = t.path().join("da.tar");
    let dest = format!("docker-archive:{}", da.display());
    for (flags, says) in [
        (
            &["--dest-compress-format", "gzip"][..],
            "stores layers uncompressed",
        ),
        (&["--format", "oci"][..], "does not accept OCI manifests"),
    ] {
        let e = fails_with(lade().arg("copy").args(flags).args([&archive, &dest]), 2);
        assert!(e.contains(says), "{e}");
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        assert!(!da.exists());
    }
    // zstd's top level, as skopeo takes it; read back whole.
    let top = oci(&t.path().join("z22"), "x");
    ok(lade().args([
        "copy",
        "-q",
        "--dest-compress-format",
        "zstd",
        "--dest-compress-level",
        "22",
        &archive,
        &top,
    ]));
    ok(lade()
        .args(["unpack", "-q", &top])
        .arg(t.path().join("z22root")));
    // One image alone: a usage error, one line.
    let e = fails_with(lade().args(["copy", "-q", &dst]), 2);
    assert!(e.contains("a source image and a destination image"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
}

#[test]
fn ambiguous_and_oversized_manifests_are_refused() {
    let t = tempdir();
    let dir = t.path().join("l");
    let store = |c: &mut Command| {
        c.arg("--store").arg(&dir);
    };
    // A manifest with both layers and manifests, tagged by hand into index.json.
    let cfg = t.path().join("cfg");
    fs::write(
        &cfg,
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
    )
    .unwrap();
    let mut c = lade();
    store(&mut c);
    let cd = ok_str(c.args(["hash-object", "-w"]).arg(&cfg));
    let bad = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[],"manifests":[]}}"#,
        fs::metadata(&cfg).unwrap().len()
    );
    let bad_path = t.path().join("bad.json");
    fs::write(&bad_path, &bad).unwrap();
    let mut c = lade();
    store(&mut c);
    let bd = ok_str(c.args(["hash-object", "-w"]).arg(&bad_path));
    let mut index = json(&fs::read(dir.join("index.json")).unwrap());
    index["manifests"] = serde_json::json!([{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": bd, "size": bad.len(),
        "annotations": {"org.opencontainers.image.ref.name": "amb"}
    }]);
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let e = fails_with(
        lade().args(["copy", &oci(&dir, "amb"), &oci(&t.path().join("o"), "x")]),
        3,
    );
    assert!(e.contains("ambiguous"), "{e}");
    // A 5 MiB manifest
    let mut big = bad.clone().into_bytes();
    big.truncate(big.len() - 1);
    big.extend(std::iter::repeat_n(b' ', 5 << 20));
    big.push(b'}');
    let big_path = t.path().join("big.json");
    fs::write(&big_path, &big).unwrap();
    let mut c = lade();
    store(&mut c);
    let gd = ok_str(c.args(["hash-object", "-w"]).arg(&big_path));
    index["manifests"][0]["digest"] = Value::String(gd);
    index["manifests"][0]["size"] = Value::from(big.len());
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let e = fails_with(lade().args(["inspect", &oci(&dir, "amb")]), 3);
    assert!(e.contains("limit"), "{e}");
    assert!(
        !t.path().join("o").join("index.json").exists()
            || ok_str(lade().arg("--store").arg(t.path().join("o")).arg("ls-refs")).is_empty()
    );
}

#[test]
fn all_images_keep_their_names() {
    let t = tempdir();
    let src_dir = t.path().join("a");
    let Some(src) = skopeo_oci(&src_dir) else {
        return;
    };
    ok(lade().args(["copy", "-q", &src, &oci(&src_dir, "second:2")]));
    let arch = format!("oci-archive:{}", t.path().join("both.tar").display());
    ok(lade().args([
        "copy",
        "-q",
        "--all-images",
        &format!("oci:{}", src_dir.display()),
        &arch,
    ]));
    let dst = t.path().join("b");
    ok(lade().args([
        "copy",
        "-q",
        "--all-images",
        &arch,
        &format!("oci:{}", dst.display()),
    ]));
    let refs = ok_str(lade().arg("--store").arg(&dst).arg("ls-refs"));
    let names: Vec<&str> = refs
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["tiny", "second:2"]);
}

/// `docker save` of images built here → lade copy → oci:, checked by skopeo
/// (config digest, layers, every inspect field) and unpacked by umoci; then
/// the same image through oci-archive: and dir:, where skopeo's inspect must
/// agree with lade's field by field too.
#[test]
fn docker_save_to_oci_agrees_with_skopeo_and_umoci() {
    let Some(host) = docker_host() else { return };
    if !require_tool("skopeo") || !require_tool("umoci") {
        return;
    }
    build_image(
        &host,
        "lade-copy-a:1",
        "FROM lade-test-base:1\nCOPY a.txt /srv/a.txt\nRUN echo ran > /srv/run.txt\nENV MODE=a\nLABEL app=a\n",
        &[("a.txt", b"from a\n")],
    );
    build_image(
        &host,
        "lade-copy-b:1",
        "FROM lade-test-base:1\nCOPY b.txt /srv/b.txt\n",
        &[("b.txt", b"from b\n")],
    );
    let t = tempdir();
    let saved = t.path().join("saved.tar");
    ok(docker(&host).args([
        "save",
        "-o",
        saved.to_str().unwrap(),
        "lade-copy-a:1",
        "lade-copy-b:1",
    ]));
    let layout = t.path().join("layout");
    ok(lade()
        .args(["copy", "-q", "--all-images"])
        .arg(format!("docker-archive:{}", saved.display()))
        .arg(format!("oci:{}", layout.display())));
    let refs = ok_str(lade().arg("--store").arg(&layout).arg("ls-refs"));
    assert_eq!(refs.lines().count(), 2, "{refs}");
    for (img, file, text) in [
        ("lade-copy-a:1", "a.txt", "from a\n"),
        ("lade-copy-b:1", "b.txt", "from b\n"),
    ] {
        let name = oci(&layout, img);
        let info = json(&ok(docker(&host).args(["image", "inspect", img])))[0].clone();
        let raw = json(&ok(skopeo().args(["inspect", "--raw", &name])));
        assert_eq!(
            raw["config"]["digest"], info["Id"],
            "config digest is Docker's image ID"
        );
        let config = json(&ok(skopeo().args(["inspect", "--config", &name])));
        assert_eq!(config["rootfs"]["diff_ids"], info["RootFS"]["Layers"]);
        assert_inspect_agrees(&name);
        let bundle = t.path().join(format!("bundle-{file}"));
        ok(Command::new("umoci").args([
            "unpack",
            "--rootless",
            "--image",
            &format!("{}:{img}", layout.display()),
            bundle.to_str().unwrap(),
        ]));
        assert_eq!(
            fs::read_to_string(bundle.join("rootfs/srv").join(file)).unwrap(),
            text
        );
    }
    // The same image in the other local transports: skopeo and lade agree.
    let a = oci(&layout, "lade-copy-a:1");
    let arch = format!("oci-archive:{}:a", t.path().join("a.tar").display());
    let dir = format!("dir:{}", t.path().join("a-dir").display());
    for dest in [&arch, &dir] {
        ok(lade().args(["copy", "-q", "--preserve-digests", &a, dest]));
        assert_inspect_agrees(dest);
        assert_eq!(digest_of(dest), digest_of(&a));
    }
}

/// A Docker image goes into an OCI layout as it is when asked to
/// (--preserve-digests, --format v2s2), and converted to OCI otherwise,
/// as skopeo does; the layout keeps it whole (fsck, gc, unpack) and gives
/// it back with its digest.
#[test]
fn a_docker_image_goes_into_a_layout_as_it_is_when_asked() {
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker20.tar").display()
    );
    let docker_dir = format!("dir:{}", t.path().join("d").display());
    ok(lade().args(["copy", "-q", &src, &docker_dir]));
    let raw = ok(lade().args(["inspect", "--raw", &docker_dir]));
    assert_eq!(json(&raw)["mediaType"], DOCKER_MANIFEST);
    let layout = t.path().join("l");
    let kept = oci(&layout, "kept");
    ok(lade().args(["copy", "-q", "--preserve-digests", &docker_dir, &kept]));
    assert_eq!(ok(lade().args(["inspect", "--raw", &kept])), raw);
    let refs = ok_str(lade().arg("--store").arg(&layout).arg("ls-refs"));
    assert!(refs.contains(DOCKER_MANIFEST), "{refs}");
    // Not asked: OCI, the config and layers the same.
    let converted = oci(&layout, "converted");
    ok(lade().args(["copy", "-q", &docker_dir, &converted]));
    let conv = json(&ok(lade().args(["inspect", "--raw", &converted])));
    assert_eq!(conv["mediaType"], OCI_MANIFEST);
    assert_eq!(conv["config"]["digest"], json(&raw)["config"]["digest"]);
    // --format v2s2 from the OCI image: the Docker manifest again.
    let again = oci(&layout, "again");
    ok(lade().args(["copy", "-q", "--format", "v2s2", &converted, &again]));
    assert_eq!(ok(lade().args(["inspect", "--raw", &again])), raw);
    ok(lade()
        .arg("--store")
        .arg(&layout)
        .args(["gc", "--grace", "0"]));
    let fsck = ok_str(
        lade()
            .arg("--store")
            .arg(&layout)
            .args(["fsck", "--unreachable"]),
    );
    assert!(fsck.is_empty(), "{fsck}");
    let root = t.path().join("root");
    ok(lade().args(["unpack", &kept]).arg(&root));
    assert!(root.join("usr/share/tiny/hello.txt").is_file());
    // Back out with the digest kept, through an oci-archive too.
    let arch = format!("oci-archive:{}:kept", t.path().join("a.tar").display());
    ok(lade().args(["copy", "-q", "--preserve-digests", &kept, &arch]));
    let out = format!("dir:{}", t.path().join("out").display());
    ok(lade().args(["copy", "-q", "--preserve-digests", &arch, &out]));
    assert_eq!(ok(lade().args(["inspect", "--raw", &out])), raw);
    // An OCI image stays OCI with its digest kept.
    let oci_kept = oci(&t.path().join("l2"), "x");
    ok(lade().args(["copy", "-q", "--preserve-digests", &converted, &oci_kept]));
    assert_eq!(
        json(&ok(lade().args(["inspect", "--raw", &oci_kept])))["mediaType"],
        OCI_MANIFEST
    );
}

/// A layout whose index.json does not parse: the copy into it fails
/// before writing any blob it could never name.
#[test]
fn a_layout_with_a_broken_index_gets_no_blobs() {
    let t = tempdir();
    let dir = t.path().join("l");
    let a = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    ok(lade().args(["copy", "-q", &a, &oci(&dir, "a")]));
    fs::write(
        dir.join("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[",
    )
    .unwrap();
    let blobs = || fs::read_dir(dir.join("blobs/sha256")).unwrap().count();
    let before = blobs();
    let b = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker20.tar").display()
    );
    let err = fails_with(lade().args(["copy", "-q", &b, &oci(&dir, "b")]), 3);
    assert!(err.contains("index.json"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(blobs(), before);
    // A layout (oci-layout there) without index.json: the same.
    fs::remove_file(dir.join("index.json")).unwrap();
    let err = fails_with(lade().args(["copy", "-q", &b, &oci(&dir, "b")]), 3);
    assert!(err.contains("index.json"), "{err}");
    assert_eq!(blobs(), before);
    // An absent ref: "not there", the name said once.
    fs::write(
        dir.join("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[]}",
    )
    .unwrap();
    for cmd in [&["inspect"][..], &["copy", "-q"][..]] {
        let mut c = lade();
        c.args(cmd).arg(oci(&dir, "nope"));
        if cmd[0] == "copy" {
            c.arg(oci(&t.path().join("out"), "x"));
        }
        let err = fails_with(&mut c, 1);
        assert_eq!(err.matches(&oci(&dir, "nope")).count(), 1, "{err}");
        assert!(err.contains("no image named \"nope\""), "{err}");
    }
}

/// The blob-info cache is a regular file of its own: one that is a
/// symlink is not written through (the file it points at keeps its
/// bytes and mode) and one that is a FIFO does not stall the copy; each
/// is replaced, or passed over, and the copy succeeds.
#[test]
fn the_blob_info_cache_is_never_written_through() {
    let t = tempdir();
    let archive = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let copy = |cache: &Path, to: &str| {
        let mut c = lade_with_cache(cache);
        c.args(["copy", "-q", "--dest-compress-format", "gzip", &archive])
            .arg(oci(&t.path().join(to), "x"));
        let out = run_within(&mut c, 20);
        assert!(out.status.success(), "{out:?}");
    };
    use std::os::unix::fs::PermissionsExt;
    let victim = t.path().join("victim");
    fs::write(&victim, b"precious\n").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
    let linked = t.path().join("linked");
    fs::create_dir_all(linked.join("lade")).unwrap();
    std::os::unix::fs::symlink(&victim, linked.join("lade/blob-info")).unwrap();
    copy(&linked, "a");
    assert_eq!(fs::read(&victim).unwrap(), b"precious\n");
    assert_eq!(
        fs::metadata(&victim).unwrap().permissions().mode() & 0o777,
        0o644
    );

    let fifo = t.path().join("fifo");
    fs::create_dir_all(fifo.join("lade")).unwrap();
    ok(Command::new("mkfifo").arg(fifo.join("lade/blob-info")));
    copy(&fifo, "b");
}

/// A layer whose bytes change (recompressed) loses the annotations that
/// described the old bytes (zstd:chunked and eStargz tables of contents)
/// and the URLs they were at; others stay, and a layer kept as it is
/// keeps them all.
#[test]
fn recompressed_layers_drop_what_described_the_old_bytes() {
    use sha2::Digest as _;
    let t = tempdir();
    let lay = t.path().join("lay");
    let blobs = lay.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |b: &[u8]| -> (String, usize) {
        let h = hex::encode(sha2::Sha256::digest(b));
        fs::write(blobs.join(&h), b).unwrap();
        (format!("sha256:{h}"), b.len())
    };
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(5);
    h.set_mode(0o644);
    tar.append_data(&mut h, "hello.txt", &b"hello"[..]).unwrap();
    let plain = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &plain).unwrap();
    let gz = gz.finish().unwrap();
    let diff_id = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&plain)));
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    })
    .to_string();
    let (cd, cs) = put(config.as_bytes());
    let (ld, ls) = put(&gz);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": ld, "size": ls,
            "annotations": {
                "io.github.containers.zstd-chunked.manifest-position": "1:2:3:4",
                "containerd.io/snapshot/stargz/toc.digest": "sha256:00",
                "org.example.kept": "yes",
            },
        }],
    })
    .to_string();
    let (md, ms) = put(manifest.as_bytes());
    fs::write(
        lay.join("index.json"),
        serde_json::json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
            "annotations": {"org.opencontainers.image.ref.name": "x"},
        }]})
        .to_string(),
    )
    .unwrap();
    fs::write(lay.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let layer_of = |name: &str| -> Value {
        json(&ok(lade().args(["inspect", "--raw", name])))["layers"][0].clone()
    };
    for (format, changed) in [("zstd", true), ("none", true), ("gzip", false)] {
        let dst = oci(&t.path().join(format!("out-{format}")), "x");
        ok(lade()
            .args(["copy", "-q", "--dest-compress-format", format])
            .arg(oci(&lay, "x"))
            .arg(&dst));
        let l = layer_of(&dst);
        let keys: Vec<&str> = l["annotations"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        if changed {
            assert_ne!(l["digest"], ld.as_str(), "{format}");
            assert_eq!(keys, ["org.example.kept"], "{format}: {l}");
        } else {
            assert_eq!(l["digest"], ld.as_str(), "{format}");
            assert_eq!(keys.len(), 3, "{format}: {l}");
        }
    }
}

/// A small tmpfs mounted at a path, filled to the brim; unmounted when
/// dropped. None (a skip; a failure in CI) where mounting is not allowed.
struct FullFs(std::path::PathBuf);

impl FullFs {
    fn mount(at: &Path) -> Option<FullFs> {
        fs::create_dir_all(at).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            unavailable("mounting a tmpfs (root)");
            return None;
        }
        Some(FullFs(at.to_path_buf()))
    }

    /// Fill it to the brim (dd stops at the first write that does not fit).
    fn fill(&self) {
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=4k"])
            .arg(format!("of={}", self.0.join("fill").display()))
            .stderr(std::process::Stdio::null())
            .status();
    }
}

impl Drop for FullFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// On a full disk: a layout that cannot be made is not left half made (no
/// directory lade made, no blobs/ or index.json in the empty directory it
/// was given), exit 3 naming the making of the layout; a blob that does
/// not fit into a store, or an archive into --tmpdir, is said to be
/// written there.
#[test]
fn a_full_disk_leaves_nothing_half_made_and_is_said_where() {
    let t = tempdir();
    let Some(full) = FullFs::mount(&t.path().join("full")) else {
        return;
    };
    let root = full.0.clone();
    fs::create_dir(root.join("empty")).unwrap();
    let archive = fixture("docker-save/tiny-docker26.tar");
    let had = root.join("had");
    ok(lade()
        .arg("--store")
        .arg(&had)
        .args(["hash-object", "-w", "--stdin"]));
    full.fill();
    for (dest, made) in [("new", true), ("empty", false)] {
        let err = fails_with(
            lade()
                .args(["copy", "-q"])
                .arg(format!("docker-archive:{}", archive.display()))
                .arg(format!("oci:{}:t", root.join(dest).display())),
            3,
        );
        assert!(err.contains("making the layout"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        if made {
            assert!(!root.join(dest).exists(), "{dest} left");
        } else {
            let left: Vec<_> = fs::read_dir(root.join(dest)).unwrap().collect();
            assert!(left.is_empty(), "{dest}: {left:?}");
        }
    }
    let err = fails_with(
        lade()
            .arg("--store")
            .arg(root.join("store"))
            .args(["hash-object", "-w", "--stdin"]),
        3,
    );
    assert!(err.contains("making the layout"), "{err}");
    assert!(!root.join("store").exists());
    // Where a write found no room is said: a blob of a store, an archive
    // built in --tmpdir for a pipe.
    let err = fails_with(
        lade()
            .arg("--store")
            .arg(&had)
            .args(["hash-object", "-w"])
            .arg(&archive),
        3,
    );
    assert!(
        err.contains(&format!(
            "writing a blob in {}: No space left",
            had.display()
        )),
        "{err}"
    );
    let err = fails_with(
        lade()
            .arg("--tmpdir")
            .arg(&root)
            .args(["copy", "-q"])
            .arg(format!("docker-archive:{}", archive.display()))
            .arg("oci-archive:/dev/stdout")
            .stdout(std::process::Stdio::null()),
        3,
    );
    assert!(
        err.contains(&format!(
            "writing the archive in {}: No space left",
            root.display()
        )),
        "{err}"
    );
    ok(lade().args(["fsck", "--store"]).arg(&had));
}

/// Progress bars on a terminal that moves its cursor; lines, with no
/// escape sequence, on one that does not (TERM=dumb: an editor's shell, a
/// CI log taken through a pty), and on one of no known width (bars padded
/// to a guessed one ran into a single line there).
#[test]
fn a_dumb_terminal_gets_lines_not_bars() {
    if !require_tool("script") || !require_tool("stty") {
        return;
    }
    let t = tempdir();
    let archive = fixture("docker-save/tiny-docker26.tar");
    for (term, cols, bars) in [
        ("dumb", 100, false),
        ("xterm", 100, true),
        ("xterm", 0, false),
    ] {
        let cmd = format!(
            "stty cols {cols} rows 40; {} copy docker-archive:{} oci:{}:x",
            env!("CARGO_BIN_EXE_lade"),
            archive.display(),
            t.path().join(format!("{term}{cols}")).display()
        );
        let out = ok(Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("TERM", term));
        let text = String::from_utf8_lossy(&out);
        assert_eq!(
            text.contains('\u{1b}'),
            bars,
            "TERM={term} {cols}: {text:?}"
        );
        assert!(text.contains("Writing manifest"), "{text}");
        if !bars {
            assert!(!text.contains("          "), "padded: {text:?}");
        }
    }
}

/// Each bar fits the terminal's width on one line: at 80 columns, the
/// usual, a bar line was 87 columns and wrapped, every bar taking two
/// rows. The bar takes the room the figures leave; a terminal narrower
/// than 78 columns gets the digest's first 12 digits, the bar and a
/// percentage. The last line ends with a newline of its own.
#[test]
fn progress_bars_fit_the_terminal_width() {
    if !require_tool("script") || !require_tool("stty") {
        return;
    }
    let t = tempdir();
    let archive = fixture("docker-save/tiny-docker26.tar");
    // What is drawn between cursor moves, line ends and clears.
    let escapes = regex::Regex::new("\x1b\\[[0-9;?]*[A-Za-z]|\r|\n").unwrap();
    for cols in [80usize, 100, 40] {
        let cmd = format!(
            "stty cols {cols} rows 40; {} copy docker-archive:{} oci:{}:x",
            env!("CARGO_BIN_EXE_lade"),
            archive.display(),
            t.path().join(format!("o{cols}")).display()
        );
        let out = ok(Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("TERM", "xterm"));
        let text = String::from_utf8_lossy(&out);
        let bars: Vec<&str> = escapes
            .split(&text)
            .map(str::trim_end)
            .filter(|s| (s.starts_with("blob ") || s.starts_with("config ")) && s.contains(" ["))
            .collect();
        assert!(!bars.is_empty(), "{cols}: no bar drawn: {text:?}");
        for b in &bars {
            assert!(b.chars().count() <= cols, "{cols} columns: {b:?}");
            assert_eq!(b.contains("sha256:"), cols >= 78, "{cols}: {b:?}");
        }
        // No bar reaches the last two columns, with any spaces it is
        // padded with: the bar library pads the last one to the width it
        // is given and leaves the cursor there, and at the margin the `^C`
        // a terminal echoes on Ctrl-C wrapped to a new row, so that the
        // frames drawn before lade ended came a row low, leaving a copy of
        // a bar behind.
        let padded: Vec<&str> = escapes
            .split(&text)
            .filter(|s| bars.contains(&s.trim_end()))
            .collect();
        for seg in padded {
            assert!(seg.chars().count() <= cols - 2, "{cols} columns: {seg:?}");
        }
        // The last line is ended (the shell's prompt goes below it), not
        // left at the margin unended, padded to the width.
        let last = text.strip_suffix('\n').map(|t| t.trim_end_matches('\r'));
        let last = last.and_then(|t| t.rsplit(['\n', '\r']).next());
        assert!(
            last.is_some_and(|l| l.starts_with("Writing manifest sha256:") && !l.ends_with(' ')),
            "{cols}: {text:?}"
        );
    }
}

/// skopeo's --policy: one that accepts anything (insecureAcceptAnything
/// throughout, as Debian's /etc/containers/policy.json) is taken, by copy
/// and sync, before or after the command; one that asks for more is
/// refused before anything is written (exit 3, naming the scope and the
/// requirement), where skopeo refuses the unsigned image too;
/// --insecure-policy wins; commands that write nothing do not read it.
/// `--require-signed` (skopeo's): lade verifies no signatures, so copy and
/// sync refuse it before writing anything (exit 3), rather than copy as
/// if the images had been verified; with --insecure-policy it is a usage
/// error, as in skopeo; inspect does not read it.
#[test]
fn require_signed_is_refused_before_anything_is_copied() {
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let a = t.path().join("a");
    let err = fails_with(
        lade().args(["--require-signed", "copy", "-q", &src, &oci(&a, "x")]),
        3,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--require-signed"), "{err}");
    assert!(!a.exists());
    let err = fails_with(
        lade()
            .args(["sync", "--require-signed", &src])
            .arg(format!("oci:{}", a.display())),
        3,
    );
    assert!(err.contains("--require-signed"), "{err}");
    assert!(!a.exists());
    let err = fails_with(
        lade().args([
            "--require-signed",
            "--insecure-policy",
            "copy",
            &src,
            &oci(&a, "x"),
        ]),
        2,
    );
    assert!(err.contains("--insecure-policy"), "{err}");
    assert!(!a.exists());
    ok(lade().args(["--require-signed", "inspect", &src]));
}

/// skopeo's newer options: `inspect --manifest-digest ALG` shows the
/// manifest bytes hashed with ALG (openssl agrees); `copy
/// --dest-force-compress-format` needs --dest-compress-format, and then
/// writes what that alone writes (every layer in its algorithm).
#[test]
fn manifest_digest_and_force_compress_format() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let a = oci(&t.path().join("a"), "x");
    ok(lade().args(["copy", "-q", &src, &a]));
    let raw = ok(lade().args(["inspect", "--raw", &a]));
    for alg in ["sha256", "sha512"] {
        let o = run_with_input(
            Command::new("openssl").args(["dgst", &format!("-{alg}"), "-r"]),
            &raw,
        );
        let hex = String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let v = json(&ok(lade().args(["inspect", "--manifest-digest", alg, &a])));
        assert_eq!(v["Digest"], format!("{alg}:{hex}"), "{alg}");
        let f = ok_str(lade().args(["inspect", "--manifest-digest", alg, "-f", "{{.Digest}}", &a]));
        assert_eq!(f, format!("{alg}:{hex}"));
        if alg == "sha256" {
            assert_eq!(digest_of(&a), format!("{alg}:{hex}"));
        }
    }
    fails_with(
        lade().args(["inspect", "--manifest-digest", "sha512", "--raw", &a]),
        2,
    );

    let b = t.path().join("b");
    let err = fails_with(
        lade().args(["copy", "--dest-force-compress-format", &a, &oci(&b, "x")]),
        2,
    );
    assert!(err.contains("--dest-compress-format"), "{err}");
    assert!(!b.exists());
    let (c, d) = (oci(&t.path().join("c"), "x"), oci(&t.path().join("d"), "x"));
    ok(lade().args([
        "copy",
        "-q",
        "--dest-compress-format",
        "zstd",
        "--dest-force-compress-format",
        &a,
        &c,
    ]));
    ok(lade().args(["copy", "-q", "--dest-compress-format", "zstd", &a, &d]));
    assert_eq!(digest_of(&c), digest_of(&d));
    let m = json(&ok(lade().args(["inspect", "--raw", &c])));
    let layers = m["layers"].as_array().unwrap();
    assert!(!layers.is_empty());
    for l in layers {
        assert!(l["mediaType"].as_str().unwrap().ends_with("+zstd"), "{m}");
    }
}

/// `--policy FILE`: lade checks no signatures, so it copies an image the
/// policy accepts as it is (insecureAcceptAnything) and refuses one it
/// asks more of (reject, signedBy: exit 3, one line naming the scope,
/// nothing written). As in skopeo, what applies to a source image is the
/// most specific scope of its transport the policy names (a layout's
/// directory or one above it, symbolic links resolved), else the
/// transport's default, else the default: a policy asking for signatures
/// of one registry (as RHEL's does) leaves every other copy alone. A file
/// with a requirement of unknown type anywhere is no policy. skopeo is
/// the oracle for every verdict.
#[test]
fn policy_scopes_decide_which_images_are_copied() {
    let t = tempdir();
    let root = fs::canonicalize(t.path()).unwrap();
    let da = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let a = root.join("imgs/a");
    ok(lade().args(["copy", "-q", &da, &oci(&a, "x")]));
    std::os::unix::fs::symlink(&a, root.join("link")).unwrap();
    let dir = root.join("imgs/d");
    ok(lade()
        .args(["copy", "-q", &oci(&a, "x")])
        .arg(format!("dir:{}", dir.display())));
    let arch = root.join("arch/a.tar");
    fs::create_dir(root.join("arch")).unwrap();
    ok(lade()
        .args(["copy", "-q", &oci(&a, "x")])
        .arg(format!("oci-archive:{}:x", arch.display())));
    let srcs = [
        ("da", da.clone()),
        ("oci", oci(&a, "x")),
        ("link", oci(&root.join("link"), "x")),
        ("dir", format!("dir:{}", dir.display())),
        ("archive", format!("oci-archive:{}:x", arch.display())),
    ];
    let (imgs, arch_dir) = (root.join("imgs"), root.join("arch"));
    let req = |k: &str| match k {
        "signedBy" => {
            r#"[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/no.gpg"}]"#.to_string()
        }
        k => format!(r#"[{{"type":"{k}"}}]"#),
    };
    let policy = |default: &str, scopes: &[(&str, &Path, &str)]| {
        let mut tr = serde_json::Map::new();
        for (transport, scope, k) in scopes {
            let scope = if scope.as_os_str().is_empty() {
                String::new()
            } else {
                scope.display().to_string()
            };
            tr.entry(transport.to_string())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .unwrap()
                .insert(scope, serde_json::from_str(&req(k)).unwrap());
        }
        json!({"default": serde_json::from_str::<Value>(&req(default)).unwrap(), "transports": tr})
    };
    let none = Path::new("");
    let i = "insecureAcceptAnything";
    // (policy, the sources it refuses, and the scope and type said)
    let cases: Vec<(Value, &[&str], String, &str)> = vec![
        (policy(i, &[]), &[], String::new(), ""),
        (
            policy(i, &[("docker-archive", none, "reject")]),
            &["da"],
            "transport \"docker-archive\"".into(),
            "\"reject\"",
        ),
        (
            policy("signedBy", &[]),
            &["da", "oci", "link", "dir", "archive"],
            "the default".into(),
            "\"signedBy\"",
        ),
        (
            policy(
                "reject",
                &[
                    ("oci", &a, i),
                    ("dir", &imgs, i),
                    ("oci-archive", &arch_dir, i),
                ],
            ),
            &["da"],
            "the default".into(),
            "\"reject\"",
        ),
        // the most specific scope wins
        (
            policy(i, &[("oci", &imgs, "signedBy"), ("oci", &a, i)]),
            &[],
            String::new(),
            "",
        ),
        (
            policy(i, &[("oci", &imgs, "signedBy")]),
            &["oci", "link"],
            format!("oci:{}", imgs.display()),
            "\"signedBy\"",
        ),
        (
            policy(
                i,
                &[("dir", &dir, "reject"), ("oci-archive", &arch, "reject")],
            ),
            &["dir", "archive"],
            String::new(),
            "\"reject\"",
        ),
    ];
    let has_skopeo = require_tool("skopeo");
    for (n, (p, refused, scope, kind)) in cases.iter().enumerate() {
        let file = root.join(format!("p{n}.json"));
        fs::write(&file, p.to_string()).unwrap();
        for (name, src) in &srcs {
            let out = root.join(format!("out-{n}-{name}"));
            let o =
                run(lade()
                    .arg("--policy")
                    .arg(&file)
                    .args(["copy", "-q", src, &oci(&out, "y")]));
            let err = String::from_utf8_lossy(&o.stderr);
            if refused.contains(name) {
                assert_eq!(o.status.code(), Some(3), "{p} {src}: {err}");
                assert_eq!(err.lines().count(), 1, "{err}");
                assert!(err.contains(kind), "{p} {src}: {err}");
                let scope = match (scope.as_str(), *name) {
                    ("", "dir") => format!("dir:{}", dir.display()),
                    ("", _) => format!("oci-archive:{}", arch.display()),
                    (s, _) => s.to_string(),
                };
                assert!(err.contains(&scope), "{p} {src}: {err}");
                assert!(!out.exists(), "{src}");
            } else {
                assert!(o.status.success(), "{p} {src}: {err}");
            }
            if has_skopeo {
                let sk = run(skopeo().arg("--policy").arg(&file).args([
                    "copy",
                    "-q",
                    src,
                    &oci(&root.join(format!("sk-{n}-{name}")), "y"),
                ]));
                assert_eq!(
                    sk.status.success(),
                    !refused.contains(name),
                    "skopeo: {p} {src}: {sk:?}"
                );
            }
        }
    }
    // sync: each source image, before anything is written.
    let file = root.join("p5.json");
    let b = root.join("b");
    let err = fails_with(
        lade()
            .args(["sync", "--policy"])
            .arg(&file)
            .arg(format!("oci:{}", a.display()))
            .arg(format!("oci:{}", b.display())),
        3,
    );
    assert!(err.contains("\"signedBy\""), "{err}");
    assert!(!b.exists());
    ok(lade()
        .args(["sync", "-q", "--policy"])
        .arg(root.join("p1.json"))
        .arg(format!("oci:{}", a.display()))
        .arg(format!("oci:{}", b.display())));
    assert_eq!(digest_of(&oci(&b, "x")), digest_of(&oci(&a, "x")));
    // --insecure-policy wins; inspect does not read it.
    ok(lade()
        .args(["--insecure-policy", "--policy"])
        .arg(&file)
        .args(["copy", "-q", &oci(&a, "x"), &oci(&root.join("c"), "x")]));
    ok(lade()
        .arg("--policy")
        .arg(&file)
        .args(["inspect", &oci(&a, "x")]));
    // Not a policy: one line naming it; a requirement of unknown type
    // under a scope no copy here touches is refused too, as skopeo does.
    let bad = root.join("bad.json");
    fs::write(&bad, "[]").unwrap();
    let bogus = root.join("bogus.json");
    fs::write(
        &bogus,
        r#"{"default":[{"type":"insecureAcceptAnything"}],
            "transports":{"docker":{"elsewhere.example":[{"type":"bogus"}]}}}"#,
    )
    .unwrap();
    for f in [&bad, &bogus] {
        let err = fails_with(
            lade()
                .arg("--policy")
                .arg(f)
                .args(["copy", &da, &oci(&root.join("e"), "x")]),
            3,
        );
        assert!(err.contains("not a signature policy"), "{err}");
        if has_skopeo {
            let sk = run(skopeo().arg("--policy").arg(f).args([
                "copy",
                "-q",
                &da,
                &oci(&root.join("ske"), "x"),
            ]));
            assert!(!sk.status.success(), "{sk:?}");
        }
    }
}

/// With no --policy, copy and sync read the policy skopeo reads:
/// $HOME/.config/containers/policy.json when it is there, else
/// /etc/containers/policy.json; --policy and --insecure-policy set it
/// aside, and commands that copy nothing do not read it.
#[test]
fn the_default_policy_is_read_where_skopeo_reads_it() {
    let t = tempdir();
    let root = fs::canonicalize(t.path()).unwrap();
    let home = root.join("home");
    let conf = home.join(".config/containers");
    fs::create_dir_all(&conf).unwrap();
    let file = conf.join("policy.json");
    let da = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    fs::write(
        &file,
        r#"{"default":[{"type":"insecureAcceptAnything"}],
            "transports":{"docker-archive":{"":[{"type":"reject"}]}}}"#,
    )
    .unwrap();
    let has_skopeo = require_tool("skopeo");
    let lade_home = || {
        let mut c = lade();
        c.env("HOME", &home);
        c
    };
    let skopeo_copies = |src: &str, n: &str| {
        let mut c = skopeo();
        c.env("HOME", &home)
            .args(["copy", "-q", src, &oci(&root.join(n), "y")]);
        run(&mut c).status.success()
    };
    // The user's file refuses the archive, in one line naming the file.
    let out = root.join("out");
    let err = fails_with(lade_home().args(["copy", "-q", &da, &oci(&out, "x")]), 3);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("default policy {}", file.display())) && err.contains("reject"),
        "{err}"
    );
    assert!(!out.exists());
    if has_skopeo {
        assert!(!skopeo_copies(&da, "sk1"));
    }
    // (an empty --policy is none: the default decides, as for skopeo)
    let err = fails_with(
        lade_home().args(["--policy", "", "copy", "-q", &da, &oci(&out, "x")]),
        3,
    );
    assert!(err.contains("default policy"), "{err}");
    if has_skopeo {
        let mut c = skopeo();
        c.env("HOME", &home).args([
            "--policy",
            "",
            "copy",
            "-q",
            &da,
            &oci(&root.join("sk0"), "y"),
        ]);
        assert!(!run(&mut c).status.success());
    }
    let err = fails_with(
        lade_home()
            .args(["sync", "-q", &da])
            .arg(format!("oci:{}", out.display())),
        3,
    );
    assert!(err.contains("reject"), "{err}");
    assert!(!out.exists());
    // --insecure-policy and --policy FILE set it aside.
    ok(lade_home().args(["--insecure-policy", "copy", "-q", &da, &oci(&out, "x")]));
    let accept = root.join("accept.json");
    fs::write(
        &accept,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    ok(lade_home()
        .arg("--policy")
        .arg(&accept)
        .args(["copy", "-q", &da, &oci(&out, "z")]));
    // It accepts the layout: the copy goes on from there.
    ok(lade_home().args(["copy", "-q", &oci(&out, "x"), &oci(&root.join("o2"), "x")]));
    // A file that is no policy stops copies (as skopeo's do), not inspect.
    fs::write(&file, "{}").unwrap();
    let err = fails_with(
        lade_home().args(["copy", "-q", &oci(&out, "x"), &oci(&root.join("o3"), "x")]),
        3,
    );
    assert!(err.contains("not a signature policy"), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    if has_skopeo {
        assert!(!skopeo_copies(&oci(&out, "x"), "sk2"));
    }
    ok(lade_home().args(["inspect", &oci(&out, "x")]));
    // Without the user's file (a dangling link is none, as for skopeo),
    // /etc/containers/policy.json decides (with neither, lade copies and
    // skopeo fails).
    fs::remove_file(&file).unwrap();
    let system = Path::new("/etc/containers/policy.json");
    for n in ["o4", "o5"] {
        let o = run(lade_home().args(["copy", "-q", &da, &oci(&root.join(n), "x")]));
        if has_skopeo && system.exists() {
            assert_eq!(
                o.status.success(),
                skopeo_copies(&da, &format!("sk-{n}")),
                "{o:?}"
            );
        } else if !system.exists() {
            assert!(o.status.success(), "{o:?}");
        }
        if n == "o4" {
            std::os::unix::fs::symlink(root.join("nothing.json"), &file).unwrap();
        }
    }
}

/// With HOME unset or empty, the home directory is the user's in
/// /etc/passwd, as containers/image finds it (a service run without
/// HOME): the user's policy file is looked for there, by lade as by
/// skopeo (seen through strace).
#[test]
fn without_home_the_policy_is_looked_for_in_the_passwd_home() {
    if !require_tool("strace") {
        return;
    }
    let t = tempdir();
    let uid = String::from_utf8(ok(Command::new("id").arg("-u"))).unwrap();
    let entry = String::from_utf8(ok(Command::new("getent").args(["passwd", uid.trim()]))).unwrap();
    let home = entry.trim().split(':').nth(5).unwrap().to_string();
    assert!(!home.is_empty(), "{entry}");
    let wanted = format!("\"{home}/.config/containers/policy.json\"");
    let da = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let has_skopeo = require_tool("skopeo");
    for (n, unset) in [(0, true), (1, false)] {
        for (tool, prog) in [("lade", env!("CARGO_BIN_EXE_lade")), ("skopeo", "skopeo")] {
            if tool == "skopeo" && !has_skopeo {
                continue;
            }
            let trace = t.path().join(format!("{tool}-{n}.trace"));
            let mut c = Command::new("strace");
            c.args(["-f", "-qq", "-e", "trace=%file", "-o"])
                .arg(&trace)
                .arg(prog)
                .args(["copy", "-q", &da])
                .arg(oci(&t.path().join(format!("{tool}-{n}")), "x"))
                .env("LADE_BLOB_CACHE", "off");
            match unset {
                true => c.env_remove("HOME"),
                false => c.env("HOME", ""),
            };
            ok(&mut c);
            let trace = fs::read_to_string(&trace).unwrap();
            assert!(
                trace.contains(&wanted),
                "{tool}, HOME unset {unset}: {trace}"
            );
        }
    }
}

/// skopeo's --registries.d DIR is taken (before or after the command);
/// lookaside signature storage a *.yaml there sets is warned of once per
/// file by copy and sync (lade keeps signatures as tags and referrers),
/// and the copy goes on; a DIR that is not there holds nothing.
#[test]
fn registries_d_is_taken_and_lookaside_storage_warned_of() {
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let d = t.path().join("registries.d");
    fs::create_dir(&d).unwrap();
    fs::write(
        d.join("default.yaml"),
        "default-docker:\n  lookaside: file:///var/lib/containers/sigstore\n",
    )
    .unwrap();
    fs::write(
        d.join("attach.yaml"),
        "docker:\n  reg.example:\n    use-sigstore-attachments: true\n",
    )
    .unwrap();
    fs::write(d.join("notes.txt"), "lookaside: ignored, not yaml\n").unwrap();
    let o = run(lade().arg("--registries.d").arg(&d).args([
        "copy",
        "-q",
        &src,
        &oci(&t.path().join("a"), "x"),
    ]));
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("lade: warning: --registries.d: ") && err.contains("default.yaml"),
        "{err}"
    );
    let o = run(lade()
        .args(["sync", "-q", "--registries.d"])
        .arg(&d)
        .arg(format!("oci:{}", t.path().join("a").display()))
        .arg(format!("oci:{}", t.path().join("b").display())));
    assert!(o.status.success(), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("lookaside"),
        "{o:?}"
    );
    // -q says warnings, and its help says so (it said "nothing but errors").
    for cmd in ["copy", "sync"] {
        let help = ok_str(lade().args([cmd, "--help"]));
        assert!(
            help.contains("Print nothing but warnings and errors"),
            "{cmd}"
        );
    }
    // Under JSON progress the warning is an event: every stderr line is
    // JSON, from the first.
    for cmd in ["copy", "sync"] {
        let (from, to) = match cmd {
            "copy" => (src.clone(), oci(&t.path().join("j"), "x")),
            _ => (
                format!("oci:{}", t.path().join("a").display()),
                format!("oci:{}", t.path().join("k").display()),
            ),
        };
        let o =
            run(lade()
                .arg("--registries.d")
                .arg(&d)
                .args([cmd, "--progress=json", &from, &to]));
        assert!(o.status.success(), "{o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        let events: Vec<serde_json::Value> = err
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{cmd}: {l}: {e}")))
            .collect();
        assert_eq!(events[0]["event"], "message", "{err}");
        assert!(
            events[0]["text"]
                .as_str()
                .unwrap()
                .starts_with("warning: --registries.d"),
            "{err}"
        );
    }
    // Nothing said where nothing is set, or nothing is there.
    fs::remove_file(d.join("default.yaml")).unwrap();
    for dir in [d.clone(), t.path().join("absent")] {
        let o = run(lade().arg("--registries.d").arg(&dir).args([
            "copy",
            "-q",
            &src,
            &oci(&t.path().join("c"), "x"),
        ]));
        assert!(o.status.success() && o.stderr.is_empty(), "{o:?}");
    }
}

/// skopeo's shared blob directories for oci: layouts (`DIR/ALG/HEX`,
/// shared by layouts that keep only index.json and oci-layout): lade
/// reads a layout skopeo wrote so (inspect --shared-blob-dir, copy
/// --src-shared-blob-dir), writes one skopeo reads back with the same
/// digests (copy --dest-shared-blob-dir), and delete takes the option,
/// leaving the blobs. Without the option, the error says where to look.
#[test]
fn shared_blob_dirs_both_ways_with_skopeo() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let p = |n: &str| t.path().join(n);
    let src = format!(
        "docker-archive:{}:tiny:1",
        fixture("docker-save/tiny2-docker26.tar").display()
    );
    let (s1, s2) = (p("shared1"), p("shared2"));
    ok(skopeo()
        .args(["copy", "-q", "--dest-shared-blob-dir"])
        .arg(&s1)
        .args([&src, &oci(&p("sk"), "t")]));
    let digest = json(&ok(skopeo()
        .args(["inspect", "--shared-blob-dir"])
        .arg(&s1)
        .arg(oci(&p("sk"), "t"))))["Digest"]
        .clone();
    let seen = json(&ok(lade()
        .args(["inspect", "--shared-blob-dir"])
        .arg(&s1)
        .arg(oci(&p("sk"), "t"))));
    assert_eq!(seen["Digest"], digest);
    let err = fails_with(lade().args(["inspect", &oci(&p("sk"), "t")]), 3);
    assert!(err.contains("shared blob directory"), "{err}");

    // shared1 → shared2 (made by the copy): the layout holds no blobs/.
    ok(lade()
        .args(["copy", "-q", "--src-shared-blob-dir"])
        .arg(&s1)
        .arg("--dest-shared-blob-dir")
        .arg(&s2)
        .args([&oci(&p("sk"), "t"), &oci(&p("l"), "t")]));
    assert!(!p("l").join("blobs").exists());
    let mut names: Vec<String> = fs::read_dir(s2.join("sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = fs::read_dir(s1.join("sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    want.sort();
    assert_eq!(names, want);
    let back = json(&ok(skopeo()
        .args(["inspect", "--shared-blob-dir"])
        .arg(&s2)
        .arg(oci(&p("l"), "t"))));
    assert_eq!(back["Digest"], digest);
    ok(skopeo()
        .args(["copy", "-q", "--src-shared-blob-dir"])
        .arg(&s2)
        .args([&oci(&p("l"), "t"), &oci(&p("plain"), "t")]));
    assert!(run(lade().args(["fsck", "--store"]).arg(p("plain")))
        .status
        .success());

    // delete: the ref goes, the shared blobs stay.
    ok(lade()
        .args(["delete", "--shared-blob-dir"])
        .arg(&s2)
        .arg(oci(&p("l"), "t")));
    fails_with(
        lade()
            .args(["inspect", "--shared-blob-dir"])
            .arg(&s2)
            .arg(oci(&p("l"), "t")),
        1,
    );
    assert_eq!(fs::read_dir(s2.join("sha256")).unwrap().count(), want.len());
}

/// A layer whose config claims another layer's content (its diff_id is
/// not what it decompresses to) is read and refused when recompressed,
/// even where the destination holds the content it claims, compressed as
/// asked (an honest image copied before): that content is taken unread
/// only for a blob lade has seen to be it. The honest image's blob,
/// copied again, is still taken unread.
#[test]
fn a_layer_claiming_other_content_is_not_taken_for_it() {
    let t = tempdir();
    let src = t.path().join("src");
    let (honest, honest_id) = support::layer(&[("honest.txt", b"honest\n".to_vec())]);
    let (evil, _) = support::layer(&[("evil.txt", b"evil\n".to_vec())]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [honest_id]},
    }))
    .unwrap();
    let good = support::image_of(&src, false, &config, &[honest]);
    let liar = support::image_of(&src, false, &config, &[evil]);
    support::write_layout(&src, &[("good", good), ("liar", liar)]);
    let cache = t.path().join("cache");
    for format in ["zstd", "none"] {
        let dst = t.path().join(format!("dst-{format}"));
        let copy = |tag: &str| {
            let mut c = lade_with_cache(&cache);
            c.args(["copy", "-q", "--dest-compress-format", format])
                .arg(format!("oci:{}:{tag}", src.display()))
                .arg(format!("oci:{}:{tag}", dst.display()));
            c
        };
        ok(&mut copy("good"));
        let err = fails_with(&mut copy("liar"), 3);
        assert!(
            err.contains(&honest_id) && err.contains("hashes to"),
            "{format}: {err}"
        );
        let refs = ok_str(lade().arg("--store").arg(&dst).arg("ls-refs"));
        assert!(!refs.contains("liar"), "{format}: {refs}");
        // The honest blob again: known, so taken as the content it is.
        let mut again = copy("good");
        let out = run(again.arg("--progress=json"));
        let events = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{events}");
        assert!(events.contains("blob_skipped"), "{format}: {events}");
        assert!(!events.contains("\"kind\":\"layer\""), "{format}: {events}");
    }
}

/// A layout's foreign layer (a descriptor with URLs, its blob not in
/// the layout) copied where every layer's bytes are held: the error says
/// it is one, and where its bytes are, where it said 'blob … not found'
/// alone (skopeo downloads it; lade does not); nothing is written. Into
/// another layout it stays at its URLs, as skopeo leaves it.
#[test]
fn a_layouts_foreign_layer_is_named_as_one_when_it_cannot_be_copied() {
    let t = tempdir();
    let src = t.path().join("src");
    let (base, base_id) = support::layer(&[("base.txt", b"foreign\n".to_vec())]);
    let (own, own_id) = support::layer(&[("own.txt", b"own\n".to_vec())]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "windows",
        "rootfs": {"type": "layers", "diff_ids": [base_id, own_id]},
    }))
    .unwrap();
    let mut d = support::image_of(&src, false, &config, &[base.clone(), own]);
    let hex = d["digest"].as_str().unwrap()[7..].to_string();
    let mut m = json(&fs::read(src.join("blobs/sha256").join(&hex)).unwrap());
    let url = "https://foreign.invalid/base.tgz";
    m["layers"][0]["mediaType"] =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip".into();
    m["layers"][0]["urls"] = serde_json::json!([url]);
    let base_digest = m["layers"][0]["digest"].as_str().unwrap().to_string();
    fs::remove_file(src.join("blobs/sha256").join(&base_digest[7..])).unwrap();
    let (md, ms) = support::put_blob(&src, &serde_json::to_vec(&m).unwrap());
    d["digest"] = md.into();
    d["size"] = ms.into();
    support::write_layout(&src, &[("win", d.clone())]);

    for dst in [
        format!("dir:{}", t.path().join("dir").display()),
        format!("docker-archive:{}:win:1", t.path().join("a.tar").display()),
    ] {
        let err = fails_with(lade().args(["copy", "-q", &oci(&src, "win"), &dst]), 3);
        assert!(err.contains("a foreign layer"), "{err}");
        assert!(err.contains(url), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    assert!(!t.path().join("dir").exists());
    assert!(!t.path().join("a.tar").exists());
    // Into a layout: kept at its URLs, by lade as by skopeo.
    let out = t.path().join("out");
    ok(lade().args(["copy", "-q", &oci(&src, "win"), &oci(&out, "win")]));
    assert_eq!(digest_of(&oci(&out, "win")), d["digest"].as_str().unwrap());
    assert!(!out.join("blobs/sha256").join(&base_digest[7..]).exists());
    if require_tool("skopeo") {
        let sk = t.path().join("sk");
        ok(skopeo().args(["copy", "-q", &oci(&src, "win"), &oci(&sk, "win")]));
        assert_eq!(digest_of(&oci(&sk, "win")), d["digest"].as_str().unwrap());
    }
}

/// A source path that is not there: the image named is not there (exit
/// 1, as a tag a layout lacks), said alike for every transport that
/// takes a path, naming it (the archives said the OS's "No such file or
/// directory", exit 3, where oci: and dir: said "no such directory").
/// A path that is there but holds no image stays bad input (exit 3).
/// skopeo fails each too (it exits 1 on any error).
#[test]
fn a_missing_source_path_is_not_found_and_named() {
    let t = tempdir();
    let gone = t.path().join("gone");
    let p = gone.join("x");
    let dst = t.path().join("dst");
    let cases = [
        (format!("docker-archive:{}", p.display()), "no such file"),
        (
            format!("docker-archive:{}:app:1", p.display()),
            "no such file",
        ),
        (format!("oci-archive:{}", p.display()), "no such file"),
        (format!("oci-archive:{}:app", p.display()), "no such file"),
        (format!("oci:{}", p.display()), "no such directory"),
        (format!("oci:{}:app", p.display()), "no such directory"),
        (format!("dir:{}", p.display()), "no such directory"),
    ];
    for (src, why) in &cases {
        for args in [
            vec!["inspect", src.as_str()],
            vec!["copy", "-q", src.as_str(), &oci(&dst, "x")],
        ] {
            let e = fails_with(lade().args(&args), 1);
            assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
            assert!(
                e.contains(&format!("{}: {why}", p.display())),
                "{args:?}: {e}"
            );
            assert!(!e.contains("No such file or directory"), "{args:?}: {e}");
            // (the path said once after the name: no "file PATH: PATH")
            assert_eq!(e.matches(&*p.to_string_lossy()).count(), 2, "{args:?}: {e}");
        }
        assert!(!dst.exists(), "{src}");
        if require_tool("skopeo") {
            let theirs = run(skopeo().args(["inspect", src.as_str()]));
            assert_eq!(theirs.status.code(), Some(1), "{src}");
        }
    }
    // list-tags of a missing archive alike.
    let e = fails_with(
        lade().args(["list-tags", &format!("docker-archive:{}", p.display())]),
        1,
    );
    assert!(e.contains(&format!("{}: no such file", p.display())), "{e}");
    // There, but no image: bad input.
    fs::create_dir_all(&p).unwrap();
    fs::write(gone.join("f"), b"not a tar").unwrap();
    for src in [
        format!("docker-archive:{}", p.display()),
        format!("oci-archive:{}", gone.join("f").display()),
        format!("oci:{}", p.display()),
        format!("dir:{}", p.display()),
        format!("dir:{}", gone.join("f").display()),
    ] {
        let e = fails_with(lade().args(["inspect", src.as_str()]), 3);
        assert_eq!(e.lines().count(), 1, "{src}: {e}");
    }
}

/// --progress takes BuildKit's names too: plain for lines, none for no
/// progress (as -q); and --progress=json's rate is whole bytes per
/// second, as its byte counts are (it was a float: 12345.0).
#[test]
fn progress_takes_plain_and_none_and_json_rates_are_integers() {
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker26.tar").display()
    );
    let stderr_of = |mode: &str, dst: &str| {
        let o = run(lade().args(["copy", &format!("--progress={mode}"), &src, dst]));
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "{mode}: {err}");
        err
    };
    let lines = stderr_of("lines", &oci(&t.path().join("l"), "x"));
    let plain = stderr_of("plain", &oci(&t.path().join("p"), "x"));
    assert!(lines.contains("Copying blob"), "{lines}");
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&plain), sorted(&lines));
    let none = stderr_of("none", &oci(&t.path().join("n"), "x"));
    assert_eq!(none, "");
    let quiet = run(lade().args(["copy", "-q", &src, &oci(&t.path().join("q"), "x")]));
    assert_eq!(quiet.stderr, none.as_bytes());
    // sync alike
    for (mode, empty) in [("plain", false), ("none", true)] {
        let o = run(lade().args([
            "sync",
            &format!("--progress={mode}"),
            &format!("oci:{}", t.path().join("l").display()),
            &format!("oci:{}", t.path().join(format!("s-{mode}")).display()),
        ]));
        assert!(o.status.success(), "{o:?}");
        assert_eq!(o.stderr.is_empty(), empty, "{mode}: {o:?}");
    }
    let json_err = stderr_of("json", &oci(&t.path().join("j"), "x"));
    let done: Vec<Value> = json_err
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "blob_done")
        .collect();
    assert!(!done.is_empty(), "{json_err}");
    for e in &done {
        assert!(e["rate"].is_u64(), "{e}");
        assert!(e["bytes"].is_u64(), "{e}");
    }
    // The help says so, and names the aliases.
    let help = ok_str(lade().args(["copy", "--help"]));
    assert!(help.contains("plain") && help.contains("none"), "{help}");
    assert!(help.contains("whole bytes per second"), "{help}");
}
