//! The `docker-archive:` transport, from the user's side: `docker save`
//! archives (fixtures from Docker 20 and 26, and fresh ones from the test
//! Docker Engine) are read, archives lade writes are loaded by `docker
//! load` and run, and bad archives fail with one clear line and exit 3.

mod common;
mod support;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use common::*;
use lade::model::{Digest, ImageConfig, MediaType};
use lade::transport::{self, BlobInfo, ImageSource, TransportOptions};
use lade::verify::VerifyingReader;

fn fx(name: &str) -> String {
    fixture("docker-save").join(name).display().to_string()
}

fn source(name: &str) -> lade::Result<Box<dyn ImageSource>> {
    transport::parse(name)?.source(&TransportOptions::default())
}

/// Read every blob of the image through a verifying reader.
fn verify_all_blobs(src: &dyn ImageSource) -> lade::Result<()> {
    let m = src.get_manifest(None)?.manifest()?;
    for d in std::iter::once(&m.config).chain(&m.layers) {
        let (r, size) = src.get_blob(d)?;
        assert_eq!(size, Some(d.size));
        let mut v = VerifyingReader::new(r, &d.digest, Some(d.size));
        std::io::copy(&mut v, &mut std::io::sink())?;
    }
    Ok(())
}

/// skopeo's manifest for an archive image, with the one documented
/// difference applied: skopeo labels uncompressed layers `…diff.tar.gzip`,
/// lade `…diff.tar`.
fn skopeo_raw_as_lade(name: &str) -> Vec<u8> {
    let raw = ok(std::process::Command::new("skopeo").args(["inspect", "--raw", name]));
    let text = String::from_utf8(raw).unwrap();
    let gz = "\"application/vnd.docker.image.rootfs.diff.tar.gzip\"";
    let layers = text.matches("\"digest\"").count() - 1;
    assert_eq!(text.matches(gz).count(), layers, "{text}");
    text.replace(gz, "\"application/vnd.docker.image.rootfs.diff.tar\"")
        .into_bytes()
}

/// Rebuild a fixture archive: `edit(name, data)` may change a member's
/// bytes; `extra` members (a symlink when data is None) are appended.
fn rewrite(
    from: &str,
    to: &Path,
    mut edit: impl FnMut(&str, Vec<u8>) -> Vec<u8>,
    extra: &[(&str, Option<&[u8]>, &str)],
) {
    let mut ar = tar::Archive::new(fs::File::open(fx(from)).unwrap());
    let mut b = tar::Builder::new(fs::File::create(to).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        let mut h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let data = edit(&name, data);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, &name, &data[..]).unwrap();
    }
    for (name, data, link) in extra {
        let mut h = tar::Header::new_gnu();
        match data {
            Some(d) => {
                h.set_size(d.len() as u64);
                h.set_mode(0o644);
                b.append_data(&mut h, name, *d).unwrap();
            }
            None => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_path(name).unwrap();
                h.set_link_name_literal(link).unwrap();
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap().sync_all().unwrap();
}

/// Replace the first Layers path of manifest.json.
fn with_first_layer(path: &'static str) -> impl FnMut(&str, Vec<u8>) -> Vec<u8> {
    move |name, data| {
        if name != "manifest.json" {
            return data;
        }
        let mut v: serde_json::Value = serde_json::from_slice(&data).unwrap();
        v[0]["Layers"][0] = path.into();
        serde_json::to_vec(&v).unwrap()
    }
}

/// `lade inspect --raw NAME` must fail with exit 3 and one line naming `want`.
#[track_caller]
fn inspect_fails(name: &str, want: &str) {
    let err = fails_with(lade().args(["inspect", "--raw", name]), 3);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("lade: error: "), "{err}");
    assert!(err.contains(want), "expected {want:?} in: {err}");
}

fn manifest_json(archive: &Path) -> serde_json::Value {
    let mut ar = tar::Archive::new(fs::File::open(archive).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some("manifest.json") {
            let mut s = Vec::new();
            e.read_to_end(&mut s).unwrap();
            return json(&s);
        }
    }
    panic!("no manifest.json in {}", archive.display());
}

fn tar_names(archive: &Path) -> Vec<String> {
    let mut ar = tar::Archive::new(fs::File::open(archive).unwrap());
    ar.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect()
}

// ---------------------------------------------------------------- fixtures

#[test]
fn fixture_manifests_match_skopeo_byte_for_byte_but_the_layer_type() {
    if !require_tool("skopeo") {
        return;
    }
    for name in [
        "tiny-docker20.tar",
        "tiny-docker26.tar",
        "tiny2-docker20.tar:@0",
        "tiny2-docker20.tar:@1",
        "tiny2-docker26.tar:tiny:1",
        "tiny2-docker26.tar:tiny-other:1",
    ] {
        let full = format!("docker-archive:{}", fx(name));
        let ours = ok(lade().args(["inspect", "--raw", &full]));
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(skopeo_raw_as_lade(&full)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn fixture_digests_are_the_configs_and_every_blob_verifies() {
    let cases = [
        (
            "tiny-docker20.tar",
            "sha256:b2cc59969d90209a045f1c2bb6ec240f664abee8616314b669b991a6153ce517",
        ),
        (
            "tiny-docker26.tar",
            "sha256:90871247048370708769fa3c09ea84f4574a33bc7a9687f6a6fc97b8877cf934",
        ),
        (
            "tiny2-docker20.tar:@1",
            "sha256:1a3b07d30a63a5a42f29e8e1d6a5e9a852888fa31bef7e38e08edac5e6a9d28b",
        ),
        (
            "tiny2-docker26.tar:tiny-other:1",
            "sha256:7560660dd9a6549b9dc7bc6ddcab370979b4305d92c833375a71a3298dabe215",
        ),
    ];
    for (name, config) in cases {
        let src = source(&format!("docker-archive:{}", fx(name))).unwrap();
        let raw = src.get_manifest(None).unwrap();
        assert_eq!(raw.media_type, MediaType::DockerManifest);
        assert_eq!(raw.digest, Digest::of_bytes(&raw.bytes));
        let m = raw.manifest().unwrap();
        assert_eq!(m.config.digest.to_string(), config, "{name}");
        let (mut r, _) = src.get_blob(&m.config).unwrap();
        let mut cfg = Vec::new();
        r.read_to_end(&mut cfg).unwrap();
        let cfg: ImageConfig = serde_json::from_slice(&cfg).unwrap();
        let digests: Vec<_> = m.layers.iter().map(|l| l.digest.clone()).collect();
        assert_eq!(digests, cfg.rootfs.diff_ids, "{name}");
        for l in &m.layers {
            assert_eq!(
                l.media_type.as_str(),
                lade::transport::docker_archive::DOCKER_LAYER
            );
        }
        verify_all_blobs(&*src).unwrap();
        assert!(src.concurrent_reads());
    }
    // The same image saved by Docker 20 and 26 has the same base layer.
    let a = source(&format!("docker-archive:{}", fx("tiny-docker20.tar"))).unwrap();
    let b = source(&format!("docker-archive:{}", fx("tiny-docker26.tar"))).unwrap();
    let (a, b) = (
        a.get_manifest(None).unwrap().manifest().unwrap(),
        b.get_manifest(None).unwrap().manifest().unwrap(),
    );
    assert_eq!(a.layers[0].digest, b.layers[0].digest);
}

#[test]
fn an_image_is_chosen_by_index_or_by_name() {
    for f in ["tiny2-docker20.tar", "tiny2-docker26.tar"] {
        let by = |sel: &str| {
            let r = transport::parse(&format!("docker-archive:{}{sel}", fx(f))).unwrap();
            let s = r.source(&TransportOptions::default()).unwrap();
            (
                s.get_manifest(None).unwrap(),
                s.repo_tags(),
                r.docker_reference(),
            )
        };
        let (at1, tags, dref) = by(":@1");
        assert_eq!(tags, ["tiny-other:1"]);
        assert_eq!(dref, None);
        for sel in [
            ":tiny-other:1",
            ":docker.io/library/tiny-other:1",
            ":index.docker.io/library/tiny-other:1",
        ] {
            let (m, _, dref) = by(sel);
            assert_eq!(m, at1, "{f}{sel}");
            assert_eq!(dref.as_deref(), Some("tiny-other:1"));
        }
        let (at0, tags, _) = by(":tiny:1");
        assert_eq!(tags, ["tiny:1"]);
        assert_ne!(at0, at1);
        assert_eq!(by(":@0").0, at0);

        // not there: exit 1 (a negative answer), naming what is there
        let e = fails_with(
            lade().args(["inspect", &format!("docker-archive:{}:tiny:2", fx(f))]),
            1,
        );
        assert!(
            e.contains("no image named tiny:2") && e.contains("tiny-other:1"),
            "{e}"
        );
        let e = fails_with(
            lade().args(["inspect", &format!("docker-archive:{}:@2", fx(f))]),
            1,
        );
        assert!(e.contains("@0 to @1"), "{e}");
    }
    // a name without tag means :latest; digests are refused
    let e = fails_with(
        lade().args([
            "inspect",
            &format!("docker-archive:{}:tiny", fx("tiny2-docker20.tar")),
        ]),
        1,
    );
    assert!(e.contains("tiny:latest"), "{e}");
    for bad in [
        ":@x",
        ":@-1",
        ":tiny@sha256:1a3b07d30a63a5a42f29e8e1d6a5e9a852888fa31bef7e38e08edac5e6a9d28b",
        ":UP:1",
    ] {
        let name = format!("docker-archive:{}{bad}", fx("tiny2-docker20.tar"));
        assert!(transport::parse(&name).is_err(), "{bad}");
    }
}

#[test]
fn several_images_without_a_choice_is_an_error_that_lists_them() {
    for f in ["tiny2-docker20.tar", "tiny2-docker26.tar"] {
        let name = format!("docker-archive:{}", fx(f));
        let err = fails_with(lade().args(["inspect", "--raw", &name]), 3);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        for want in [
            "2 images",
            "@0 tiny:1",
            "@1 tiny-other:1",
            ":@N",
            ":NAME:TAG",
        ] {
            assert!(err.contains(want), "{want:?} missing in {err}");
        }
    }
}

#[test]
fn gzip_archives_read_like_plain_ones() {
    let dir = tempdir();
    for f in ["tiny-docker20.tar", "tiny2-docker26.tar"] {
        // named .tar on purpose: detection is by content
        let gz = dir.path().join(format!("gz-{f}"));
        let mut enc = flate2::write::GzEncoder::new(
            fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::copy(&mut fs::File::open(fx(f)).unwrap(), &mut enc).unwrap();
        enc.finish().unwrap();
        let plain = ok(lade().args(["inspect", "--raw", &format!("docker-archive:{}:@0", fx(f))]));
        let zipped = ok(lade().args([
            "inspect",
            "--raw",
            &format!("docker-archive:{}:@0", gz.display()),
        ]));
        assert_eq!(plain, zipped);
        let src = transport::parse(&format!("docker-archive:{}:@0", gz.display()))
            .unwrap()
            .source(&TransportOptions {
                tmp_dir: Some(dir.path().to_path_buf()),
                ..Default::default()
            })
            .unwrap();
        verify_all_blobs(&*src).unwrap();
    }
}

// ------------------------------------------------------------ bad archives

#[test]
fn bad_archives_fail_with_one_clear_line_and_exit_3() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let name = |n: &str| format!("docker-archive:{}", p(n).display());

    // truncated in the middle of a layer
    let full = fs::read(fx("tiny-docker20.tar")).unwrap();
    fs::write(p("trunc.tar"), &full[..full.len() / 2]).unwrap();
    inspect_fails(&name("trunc.tar"), "truncated archive");

    // not a tar at all; a tar without manifest.json
    fs::write(p("junk.tar"), vec![b'j'; 4096]).unwrap();
    inspect_fails(&name("junk.tar"), "not a tar archive");
    // bytes that look like header fields: the message does not quote them
    let noise: Vec<u8> = (0..2048u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(p("noise.tar"), &noise).unwrap();
    let err = fails_with(lade().args(["inspect", &name("noise.tar")]), 3);
    assert!(err.contains("not a tar archive ("), "{err}");
    assert!(
        err.len() < 200 && !err.contains('\u{FFFD}') && !err.contains("\\u{"),
        "{err}"
    );
    let mut b = tar::Builder::new(fs::File::create(p("nomanifest.tar")).unwrap());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    b.append_data(&mut h, "x.json", &b"{}"[..]).unwrap();
    b.into_inner().unwrap();
    inspect_fails(&name("nomanifest.tar"), "no manifest.json");

    // a file that is not there (not found, exit 1): named by its path
    // where a colon could have ended it elsewhere, and with --all-images
    // by the archive
    let colon = format!("{}:y.tar", name("x"));
    let err = fails_with(lade().args(["inspect", &colon]), 1);
    assert!(
        err.contains(&format!(": {}: no such file", p("x").display())),
        "{err}"
    );
    for (src, code) in [(&name("gone.tar"), 1), (&name("junk.tar"), 3)] {
        let err = fails_with(
            lade()
                .args(["copy", "--all-images", src])
                .arg(format!("oci:{}", p("o").display())),
            code,
        );
        assert!(err.starts_with(&format!("lade: error: {src}: ")), "{err}");
    }
    let arch = format!("oci-archive:{}:y.tar", p("x").display());
    let err = fails_with(lade().args(["inspect", &arch]), 1);
    assert!(
        err.contains(&format!(": {}: no such file", p("x").display())),
        "{err}"
    );

    // manifest.json names a missing file, a path above the root, an
    // absolute path, a symlink leading outside
    rewrite(
        "tiny-docker20.tar",
        &p("missing.tar"),
        with_first_layer("nope/layer.tar"),
        &[],
    );
    inspect_fails(
        &name("missing.tar"),
        "\"nope/layer.tar\": no such file in the archive",
    );
    rewrite(
        "tiny-docker20.tar",
        &p("dotdot.tar"),
        with_first_layer("../../etc/passwd"),
        &[],
    );
    inspect_fails(&name("dotdot.tar"), "leads outside the archive");
    rewrite(
        "tiny-docker26.tar",
        &p("abs.tar"),
        with_first_layer("/etc/passwd"),
        &[],
    );
    inspect_fails(&name("abs.tar"), "absolute paths are not allowed");
    rewrite(
        "tiny-docker20.tar",
        &p("symlink.tar"),
        with_first_layer("evil/layer.tar"),
        &[("evil/layer.tar", None, "../../../etc/passwd")],
    );
    inspect_fails(&name("symlink.tar"), "leads outside the archive");

    // a PAX header over the limit: refused, saying so, plain or gzipped
    let mut b = tar::Builder::new(fs::File::create(p("bigpax.tar")).unwrap());
    let big = "c".repeat(2 << 20);
    b.append_pax_extensions([("comment", big.as_bytes())])
        .unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(2);
    b.append_data(&mut h, "manifest.json", &b"[]"[..]).unwrap();
    b.into_inner().unwrap();
    let gz = ok(std::process::Command::new("gzip")
        .arg("-c")
        .arg(p("bigpax.tar")));
    fs::write(p("bigpax.tar.gz"), gz).unwrap();
    for n in ["bigpax.tar", "bigpax.tar.gz"] {
        inspect_fails(&name(n), "tar entry 1: a PAX extended header of");
    }

    // a second manifest.json, a second copy of a layer, as "./NAME": which
    // one counts depends on the reader, so neither does
    rewrite(
        "tiny-docker20.tar",
        &p("twomanifests.tar"),
        |_, d| d,
        &[("./manifest.json", Some(&b"[]"[..]), "")],
    );
    inspect_fails(
        &name("twomanifests.tar"),
        "member \"manifest.json\" appears twice in the archive",
    );
    let first_layer = {
        let m = manifest_json(Path::new(&fx("tiny-docker20.tar")));
        m[0]["Layers"][0].as_str().unwrap().to_string()
    };
    rewrite(
        "tiny-docker20.tar",
        &p("twolayers.tar"),
        |_, d| d,
        &[(&format!("./{first_layer}"), Some(&b"other bytes"[..]), "")],
    );
    inspect_fails(&name("twolayers.tar"), "appears twice in the archive");

    // a 5 MiB manifest.json, a 5 MiB config
    let big = vec![b' '; 5 << 20];
    rewrite(
        "tiny-docker20.tar",
        &p("bigmanifest.tar"),
        |n, d| {
            if n == "manifest.json" {
                [&d[..], &big[..]].concat()
            } else {
                d
            }
        },
        &[],
    );
    inspect_fails(&name("bigmanifest.tar"), "byte limit");
    rewrite(
        "tiny-docker20.tar",
        &p("bigconfig.tar"),
        |n, d| {
            if n.ends_with(".json") && !n.contains('/') && n != "manifest.json" {
                [&d[..], &big[..]].concat()
            } else {
                d
            }
        },
        &[],
    );
    inspect_fails(&name("bigconfig.tar"), "byte limit");

    // layer count disagreeing with the config
    rewrite(
        "tiny-docker20.tar",
        &p("count.tar"),
        |n, d| {
            if n != "manifest.json" {
                return d;
            }
            let mut v: serde_json::Value = serde_json::from_slice(&d).unwrap();
            v[0]["Layers"].as_array_mut().unwrap().pop();
            serde_json::to_vec(&v).unwrap()
        },
        &[],
    );
    inspect_fails(
        &name("count.tar"),
        "lists 2 layers but the config has 3 diff_ids",
    );

    // an entry written as an array of its fields (Docker and skopeo
    // refuse it: no object)
    rewrite(
        "tiny-docker20.tar",
        &p("array.tar"),
        |n, d| {
            if n != "manifest.json" {
                return d;
            }
            let v: serde_json::Value = serde_json::from_slice(&d).unwrap();
            let e = &v[0];
            serde_json::to_vec(&serde_json::json!([[
                e["Config"],
                e["RepoTags"],
                e["Layers"]
            ]]))
            .unwrap()
        },
        &[],
    );
    inspect_fails(&name("array.tar"), "entry 1 is not a JSON object");
}

/// list-tags of an archive: every image's RepoTags, `@N` for an untagged
/// one, printed as skopeo prints them (byte for byte).
#[test]
fn list_tags_of_an_archive_as_skopeo() {
    if !require_tool("skopeo") {
        return;
    }
    let dir = tempdir();
    let untagged = dir.path().join("untagged.tar");
    rewrite(
        "tiny2-docker26.tar",
        &untagged,
        |n, d| {
            if n != "manifest.json" {
                return d;
            }
            let mut v: serde_json::Value = serde_json::from_slice(&d).unwrap();
            v[0]["RepoTags"] = serde_json::Value::Null;
            serde_json::to_vec(&v).unwrap()
        },
        &[],
    );
    for archive in [
        fixture("docker-save/tiny2-docker26.tar"),
        fixture("docker-save/tiny-docker20.tar"),
        untagged.clone(),
    ] {
        let name = format!("docker-archive:{}", archive.display());
        let ours = ok(lade().args(["list-tags", &name]));
        let theirs = ok(std::process::Command::new("skopeo").args(["list-tags", &name]));
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "{name}"
        );
    }
    let tags = json(&ok(lade().args([
        "list-tags",
        &format!("docker-archive:{}", untagged.display()),
    ])));
    assert_eq!(tags["Tags"], serde_json::json!(["@0", "tiny-other:1"]));
    // Names that are no NAME:TAG are left out with one warning, and a
    // name listed twice is listed once (skopeo refuses such an archive).
    let odd = dir.path().join("odd.tar");
    rewrite(
        "tiny2-docker26.tar",
        &odd,
        |n, d| {
            if n != "manifest.json" {
                return d;
            }
            let mut v: serde_json::Value = serde_json::from_slice(&d).unwrap();
            v[0]["RepoTags"] = serde_json::json!(["UPPER:1", "ok:1", "", "ok:1", "x@sha256:abc"]);
            serde_json::to_vec(&v).unwrap()
        },
        &[],
    );
    let out = run(lade().args(["list-tags", &format!("docker-archive:{}", odd.display())]));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json(&out.stdout)["Tags"],
        serde_json::json!(["ok:1", "tiny-other:1"])
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("3 names that are no valid NAME:TAG left out (\"UPPER:1\", …)"),
        "{err}"
    );
    // No archive there: one line, exit 1 (not found).
    let err = fails_with(
        lade().args([
            "list-tags",
            &format!("docker-archive:{}", dir.path().join("none.tar").display()),
        ]),
        1,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A tag the archive carries that cannot be a ref name is refused before
/// anything is written: no layout is made.
#[test]
fn a_bad_tag_in_the_archive_is_refused_before_writing() {
    let dir = tempdir();
    let bad = dir.path().join("bad-tag.tar");
    rewrite(
        "tiny-docker20.tar",
        &bad,
        |n, d| {
            if n != "manifest.json" {
                return d;
            }
            let mut v: serde_json::Value = serde_json::from_slice(&d).unwrap();
            v[0]["RepoTags"] = serde_json::json!(["Evil Tag!!:::"]);
            serde_json::to_vec(&v).unwrap()
        },
        &[],
    );
    let src = format!("docker-archive:{}", bad.display());
    for dest in ["oci", "oci-archive"] {
        let out = dir.path().join(dest);
        let err = fails_with(
            lade().args(["copy", "-q", &src, &format!("{dest}:{}", out.display())]),
            3,
        );
        assert!(err.contains("Evil Tag"), "{err}");
        assert!(!out.exists(), "{dest}: written");
    }
    // named by the destination instead: copied
    let out = dir.path().join("named");
    ok(lade().args(["copy", "-q", &src, &format!("oci:{}:good", out.display())]));
}

#[test]
fn a_layer_not_matching_its_diff_id_fails_the_copy_and_writes_nothing() {
    let dir = tempdir();
    let bad = dir.path().join("bad.tar");
    let mut flipped = false;
    rewrite(
        "tiny-docker20.tar",
        &bad,
        |n, mut d| {
            if n.ends_with("/layer.tar") && !flipped {
                d[600] ^= 1;
                flipped = true;
            }
            d
        },
        &[],
    );
    let src = format!("docker-archive:{}", bad.display());
    // the manifest can be read (it needs no hashing) but the blob does not verify
    let s = source(&src).unwrap();
    let e = verify_all_blobs(&*s).unwrap_err().to_string();
    assert!(e.contains("digest mismatch"), "{e}");

    for dest in [
        format!(
            "docker-archive:{}:x:1",
            dir.path().join("out.tar").display()
        ),
        format!("oci:{}:x", dir.path().join("layout").display()),
    ] {
        let err = fails_with(lade().args(["copy", "-q", &src, &dest]), 3);
        assert!(err.contains("digest mismatch"), "{err}");
    }
    assert!(!dir.path().join("out.tar").exists());
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".lade-tmp")),
        "{names:?}"
    );
}

#[test]
fn compressed_and_symlinked_layers_are_read_as_stored() {
    let dir = tempdir();
    let gz = |d: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, d).unwrap();
        e.finish().unwrap()
    };
    // legacy layout: the base layer gzipped in place; the second layer
    // named through a symlink to its directory
    let first = "915003c250bccf431198ebd9400825ac786761eee3c8fe88fb1fd7aa44582206/layer.tar";
    let mut zipped = Vec::new();
    let out = dir.path().join("gz.tar");
    rewrite(
        "tiny-docker20.tar",
        &out,
        |n, d| match n {
            _ if n == first => {
                zipped = gz(&d);
                zipped.clone()
            }
            "manifest.json" => {
                let mut v: serde_json::Value = serde_json::from_slice(&d).unwrap();
                v[0]["Layers"][1] = "alias/layer.tar".into();
                serde_json::to_vec(&v).unwrap()
            }
            _ => d,
        },
        &[(
            "alias",
            None,
            "24b980b4db8a4cf8472011a0f1ade0a446dd340a9489401e32cb2bc314f51bc1",
        )],
    );
    let name = format!("docker-archive:{}", out.display());
    let src = source(&name).unwrap();
    let m = src.get_manifest(None).unwrap().manifest().unwrap();
    assert_eq!(m.layers[0].media_type, MediaType::DockerLayerGzip);
    assert_eq!(m.layers[0].digest, Digest::of_bytes(&zipped));
    assert_eq!(m.layers[0].size, zipped.len() as u64);
    verify_all_blobs(&*src).unwrap();

    // copied into an archive, the layer is decompressed again, checked
    // against its diff_id, and the image is the fixture's once more
    let back = dir.path().join("back.tar");
    ok(lade()
        .args(["copy", "-q", &name])
        .arg(format!("docker-archive:{}", back.display())));
    let a = ok(lade().args([
        "inspect",
        "--raw",
        &format!("docker-archive:{}", back.display()),
    ]));
    let b = ok(lade().args([
        "inspect",
        "--raw",
        &format!("docker-archive:{}", fx("tiny-docker20.tar")),
    ]));
    assert_eq!(a, b);

    // Docker 25+ layout: a gzip blob is known by its path, not hashed.
    // Give the gzip bytes a wrong blob name: the digest comes from the
    // name, and the copy's verification is what catches it.
    let base = fs::read(fx("tiny-docker26.tar")).unwrap();
    let mut ar = tar::Archive::new(&base[..]);
    let plain = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .find_map(|mut e| {
            let p = e.path().unwrap().display().to_string();
            (p == "blobs/sha256/9c76cfdcea8ff251d2b5bf5632def70137d256fa4b21c0985c52255bdc177318")
                .then(|| {
                    let mut d = Vec::new();
                    e.read_to_end(&mut d).unwrap();
                    d
                })
        })
        .unwrap();
    let zipped = gz(&plain);
    let fake = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let fake_path = format!("blobs/sha256/{}", &fake[7..]);
    let out26b = dir.path().join("gz26.tar");
    rewrite(
        "tiny-docker26.tar",
        &out26b,
        |n, d| match n {
            "manifest.json" => {
                let mut v: serde_json::Value = serde_json::from_slice(&d).unwrap();
                v[0]["Layers"][0] = fake_path.clone().into();
                v[0]["LayerSources"] = serde_json::json!({});
                serde_json::to_vec(&v).unwrap()
            }
            _ => d,
        },
        &[(&fake_path, Some(&zipped), "")],
    );
    let src = source(&format!("docker-archive:{}", out26b.display())).unwrap();
    let m = src.get_manifest(None).unwrap().manifest().unwrap();
    assert_eq!(m.layers[0].media_type, MediaType::DockerLayerGzip);
    assert_eq!(
        m.layers[0].digest.to_string(),
        fake,
        "digest taken from the path"
    );
    // …and the copy's verification is what catches a wrong name
    let e = verify_all_blobs(&*src).unwrap_err().to_string();
    assert!(e.contains("digest mismatch"), "{e}");
}

// ----------------------------------------------------------------- writing

#[test]
fn copy_to_an_archive_round_trips_and_matches_skopeo() {
    let dir = tempdir();
    let out = dir.path().join("out.tar");
    let src = format!("docker-archive:{}", fx("tiny-docker26.tar"));
    ok(lade()
        .args(["copy", "-q", "--additional-tag", "extra:2", &src])
        .arg(format!("docker-archive:{}:app:1", out.display())));

    // same image, same manifest bytes
    let a = ok(lade().args(["inspect", "--raw", &src]));
    let b = ok(lade().args([
        "inspect",
        "--raw",
        &format!("docker-archive:{}", out.display()),
    ]));
    assert_eq!(a, b);
    if require_tool("skopeo") {
        let theirs = skopeo_raw_as_lade(&format!("docker-archive:{}", out.display()));
        assert_eq!(b, theirs);
    }

    // skopeo's layout: <hex>.json, <hex>.tar, legacy <id>/ dirs
    let m = manifest_json(&out);
    let item = &m[0];
    assert_eq!(
        item["Config"],
        "90871247048370708769fa3c09ea84f4574a33bc7a9687f6a6fc97b8877cf934.json"
    );
    assert_eq!(item["RepoTags"], serde_json::json!(["app:1", "extra:2"]));
    // A name without a tag is refused, as skopeo refuses it; another
    // destination is written without the names, and says so.
    let e = fails_with(
        lade()
            .args(["copy", "-q", "--additional-tag", "extra", &src])
            .arg(format!(
                "docker-archive:{}",
                dir.path().join("no.tar").display()
            )),
        2,
    );
    assert!(e.contains("\"extra\" is not NAME:TAG"), "{e}");
    assert!(!dir.path().join("no.tar").exists());
    let e = ok_stderr(
        lade()
            .args(["copy", "-q", "--additional-tag", "extra:2", &src])
            .arg(format!("oci:{}:x", dir.path().join("lay").display())),
    );
    assert!(
        e.contains("the oci: destination is written without them"),
        "{e}"
    );
    assert_eq!(
        item["Layers"][0],
        "9c76cfdcea8ff251d2b5bf5632def70137d256fa4b21c0985c52255bdc177318.tar"
    );
    let names = tar_names(&out);
    assert_eq!(
        names.iter().filter(|n| n.ends_with("/layer.tar")).count(),
        3
    );
    assert_eq!(names.iter().filter(|n| n.ends_with("/VERSION")).count(), 3);
    assert!(names.contains(&"repositories".to_string()));
    let mode = fs::metadata(&out).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o644
    );

    // an existing archive is not modified
    let err = fails_with(
        lade()
            .args(["copy", "-q", &src])
            .arg(format!("docker-archive:{}", out.display())),
        3,
    );
    assert!(
        err.contains("lade does not modify existing archives"),
        "{err}"
    );
    // nor is a link replaced, dangling or not; an empty file (mktemp's) is
    // the target itself
    let dangling = dir.path().join("dangling.tar");
    std::os::unix::fs::symlink(dir.path().join("nowhere.tar"), &dangling).unwrap();
    let err = fails_with(
        lade()
            .args(["copy", "-q", &src])
            .arg(format!("docker-archive:{}", dangling.display())),
        3,
    );
    assert!(err.contains("symbolic link"), "{err}");
    assert!(fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(!dir.path().join("nowhere.tar").exists());
    // /dev/stdout is a link too, to a pipe here: written through
    let piped = ok(lade().args(["copy", "-q", &src, "docker-archive:/dev/stdout:a:1"]));
    assert!(tar::Archive::new(&piped[..]).entries().unwrap().count() > 3);
    let empty = dir.path().join("empty.tar");
    fs::write(&empty, b"").unwrap();
    ok(lade()
        .args(["copy", "-q", &src])
        .arg(format!("docker-archive:{}", empty.display())));
    assert!(fs::metadata(&empty).unwrap().len() > 0);
    // /dev/stdout as `> out.tar` makes it, a link to an empty file: the
    // archive goes there, as skopeo writes it; not over one that holds
    // something (`>> out.tar`).
    let redirected = dir.path().join("redirected.tar");
    let file = fs::File::create(&redirected).unwrap();
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .unwrap();
    let ino = std::os::unix::fs::MetadataExt::ino(&file.metadata().unwrap());
    ok(lade()
        .args(["copy", "-q", &src, "docker-archive:/dev/stdout:a:1"])
        .stdout(file));
    assert_eq!(fs::read(&redirected).unwrap(), piped);
    // (written in place, as the shell opened it: the file keeps its mode)
    let meta = fs::metadata(&redirected).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::ino(&meta), ino);
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
    // A copy that fails leaves it empty again.
    let layout = dir.path().join("broken");
    ok(lade().args(["copy", "-q", &src, &format!("oci:{}:b", layout.display())]));
    let largest = fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = fs::read(&largest).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&largest, bytes).unwrap();
    let failed = dir.path().join("failed.tar");
    let err = fails_with(
        lade()
            .args([
                "copy",
                "-q",
                &format!("oci:{}:b", layout.display()),
                "docker-archive:/dev/stdout:a:1",
            ])
            .stdout(fs::File::create(&failed).unwrap()),
        3,
    );
    assert!(err.contains("digest"), "{err}");
    assert_eq!(fs::metadata(&failed).unwrap().len(), 0);
    let err = fails_with(
        lade()
            .args(["copy", "-q", &src, "docker-archive:/dev/stdout:a:1"])
            .stdout(
                fs::OpenOptions::new()
                    .append(true)
                    .open(&redirected)
                    .unwrap(),
            ),
        3,
    );
    assert!(
        err.contains("lade does not modify existing archives"),
        "{err}"
    );
    assert_eq!(fs::read(&redirected).unwrap(), piped);
    // @N names an image to read, not one to write
    let err = fails_with(
        lade().args(["copy", "-q", &src]).arg(format!(
            "docker-archive:{}:@0",
            dir.path().join("n.tar").display()
        )),
        3,
    );
    assert!(err.contains(":NAME:TAG"), "{err}");
}

#[test]
fn gzip_layers_from_a_layout_are_stored_uncompressed_and_gz_targets_are_gzipped() {
    let dir = tempdir();
    let layout = dir.path().join("layout");
    let src = format!("docker-archive:{}", fx("tiny-docker20.tar"));
    ok(lade()
        .args(["copy", "-q", "--dest-compress-format", "gzip", &src])
        .arg(format!("oci:{}:t", layout.display())));
    // gzip layers, unknown uncompressed size: staged, stored as diff_ids
    let out = dir.path().join("out.tar.gz");
    ok(lade()
        .args(["copy", "-q"])
        .arg(format!("oci:{}:t", layout.display()))
        .arg(format!("docker-archive:{}:t:1", out.display())));
    let head = fs::read(&out).unwrap();
    assert_eq!(&head[..2], &[0x1f, 0x8b]);
    let back = source(&format!("docker-archive:{}", out.display())).unwrap();
    let orig = source(&src).unwrap();
    let (bm, om) = (
        back.get_manifest(None).unwrap().manifest().unwrap(),
        orig.get_manifest(None).unwrap().manifest().unwrap(),
    );
    let digests = |m: &lade::model::Manifest| -> Vec<_> {
        m.layers
            .iter()
            .map(|l| (l.digest.clone(), l.size))
            .collect()
    };
    assert_eq!(digests(&bm), digests(&om));
    verify_all_blobs(&*back).unwrap();
}

/// The tiny image in `dir:` as `format` with gzip layers, its manifest
/// changed by `edit`, copied into an archive by lade and by skopeo: the
/// layers each archive names, by digest (a file DIGEST.tar, or a
/// directory's layer.tar linking to one), and lade's archive's reference.
fn edited_into_archives(
    format: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> (Vec<String>, Vec<String>, String, tempfile::TempDir) {
    let dir = tempdir();
    let d = dir.path().join("d");
    let src = format!("docker-archive:{}", fx("tiny-docker20.tar"));
    ok(lade()
        .args(["copy", "-q", "--format", format, "--dest-compress", &src])
        .arg(format!("dir:{}", d.display())));
    let path = d.join("manifest.json");
    let mut m = json(&fs::read(&path).unwrap());
    edit(&mut m);
    fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    let ours = dir.path().join("ours.tar");
    ok(lade()
        .args(["copy", "-q", &format!("dir:{}", d.display())])
        .arg(format!("docker-archive:{}:app:1", ours.display())));
    let theirs = dir.path().join("theirs.tar");
    ok(Command::new("skopeo")
        .args(["copy", "-q", &format!("dir:{}", d.display())])
        .arg(format!("docker-archive:{}:app:1", theirs.display())));
    let layers = |a: &Path| -> Vec<String> {
        let mut v: Vec<String> = manifest_json(a)[0]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().trim_end_matches(".tar").to_string())
            .collect();
        v.sort();
        v
    };
    let back = format!("docker-archive:{}", ours.display());
    (layers(&ours), layers(&theirs), back, dir)
}

/// A foreign layer (Docker's, with URLs) whose blob is at hand goes into
/// an archive as an ordinary layer, as skopeo writes it: the same layer
/// files, and the image reads back with its diff_ids.
#[test]
fn a_foreign_layer_goes_into_an_archive_as_skopeo_writes_it() {
    if !require_tool("skopeo") {
        return;
    }
    let (ours, theirs, back, _dir) = edited_into_archives("v2s2", |m| {
        m["layers"][0]["mediaType"] =
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip".into();
        m["layers"][0]["urls"] = serde_json::json!(["https://example.invalid/layer.tar.gz"]);
    });
    assert_eq!(ours.len(), 3);
    assert_eq!(ours, theirs);
    // The image reads back whole, its layers its diff_ids.
    let config = json(&ok(lade().args(["inspect", "--config", &back])));
    let mut diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d.as_str()
                .unwrap()
                .trim_start_matches("sha256:")
                .to_string()
        })
        .collect();
    diff_ids.sort();
    assert_eq!(ours, diff_ids);
    verify_all_blobs(&*source(&back).unwrap()).unwrap();
}

/// A layer labelled uncompressed whose bytes are gzip goes into an archive
/// uncompressed, its diff_id, as skopeo writes it (it was refused: "is not
/// the uncompressed layer the config names").
#[test]
fn a_gzip_layer_labelled_uncompressed_goes_into_an_archive_uncompressed() {
    if !require_tool("skopeo") {
        return;
    }
    let (ours, theirs, back, _dir) = edited_into_archives("oci", |m| {
        for l in m["layers"].as_array_mut().unwrap() {
            assert_eq!(
                l["mediaType"],
                "application/vnd.oci.image.layer.v1.tar+gzip"
            );
            l["mediaType"] = "application/vnd.oci.image.layer.v1.tar".into();
        }
    });
    assert_eq!(ours.len(), 3);
    assert_eq!(ours, theirs);
    verify_all_blobs(&*source(&back).unwrap()).unwrap();
}

/// The same image makes the same archive, byte for byte: the layers go
/// in the manifest's order, not as their copies end (the biggest, last in
/// the manifest here, is started first).
#[test]
fn the_same_image_makes_the_same_archive() {
    let dir = tempdir();
    let layout = dir.path().join("layout");
    let layers: Vec<(Vec<u8>, String)> = [
        support::layer(&[("a", b"small a\n".to_vec())]),
        support::layer(&[("b", support::noise(7, 300_000))]),
        support::layer(&[("c", b"small c\n".to_vec())]),
        support::layer(&[("d", support::noise(8, 3_000_000))]),
    ]
    .into();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| &l.1).collect::<Vec<_>>()},
    }))
    .unwrap();
    let blobs: Vec<Vec<u8>> = layers.iter().map(|l| l.0.clone()).collect();
    let desc = support::image_of(&layout, false, &config, &blobs);
    support::write_layout(&layout, &[("t", desc)]);
    let mut sums = Vec::new();
    for i in 0..3 {
        let out = dir.path().join(format!("out{i}.tar"));
        ok(lade()
            .args(["copy", "-q"])
            .arg(format!("oci:{}:t", layout.display()))
            .arg(format!("docker-archive:{}:t:1", out.display())));
        sums.push(Digest::of_bytes(&fs::read(&out).unwrap()));
    }
    assert!(sums.iter().all(|s| *s == sums[0]), "{sums:?}");
    let names = tar_names(&dir.path().join("out0.tar"));
    let m = manifest_json(&dir.path().join("out0.tar"));
    let order: Vec<String> = m[0]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    let written: Vec<&String> = names.iter().filter(|n| order.contains(n)).collect();
    assert_eq!(written, order.iter().collect::<Vec<_>>(), "{names:?}");
}

#[test]
fn every_image_of_an_archive_goes_into_one_archive_with_shared_layers_once() {
    let dir = tempdir();
    let out = dir.path().join("all.tar");
    ok(lade()
        .args(["copy", "-q", "--all-images"])
        .arg(format!("docker-archive:{}", fx("tiny2-docker26.tar")))
        .arg(format!("docker-archive:{}", out.display())));
    let m = manifest_json(&out);
    assert_eq!(m[0]["RepoTags"], serde_json::json!(["tiny:1"]));
    assert_eq!(m[1]["RepoTags"], serde_json::json!(["tiny-other:1"]));
    // 3 + 2 layers, the base shared: 4 layer files
    let names = tar_names(&out);
    let layer_files = names
        .iter()
        .filter(|n| !n.contains('/') && n.ends_with(".tar"));
    assert_eq!(layer_files.count(), 4, "{names:?}");
    for sel in ["tiny:1", "tiny-other:1"] {
        let a = ok(lade().args([
            "inspect",
            "--raw",
            &format!("docker-archive:{}:{sel}", fx("tiny2-docker26.tar")),
        ]));
        let b = ok(lade().args([
            "inspect",
            "--raw",
            &format!("docker-archive:{}:{sel}", out.display()),
        ]));
        assert_eq!(a, b, "{sel}");
    }
}

/// An image with several RepoTags keeps them all through --all-images,
/// as through `:@N`, the one it goes by first; into an OCI layout or
/// archive, each names it.
#[test]
fn all_images_keeps_every_name_of_an_image() {
    let dir = tempdir();
    let two = dir.path().join("two.tar");
    ok(lade()
        .args(["copy", "-q", "--additional-tag", "tiny:also"])
        .arg(format!("docker-archive:{}", fx("tiny-docker20.tar")))
        .arg(format!("docker-archive:{}:tiny:1", two.display())));
    let m = manifest_json(&two);
    assert_eq!(m[0]["RepoTags"], serde_json::json!(["tiny:1", "tiny:also"]));
    let out = dir.path().join("all.tar");
    ok(lade()
        .args(["copy", "-q", "--all-images"])
        .arg(format!("docker-archive:{}", two.display()))
        .arg(format!("docker-archive:{}", out.display())));
    assert_eq!(manifest_json(&out)[0]["RepoTags"], m[0]["RepoTags"]);
    // skopeo reads both names out of it
    if require_tool("skopeo") {
        let tags = ok_str(
            std::process::Command::new("skopeo")
                .args(["list-tags", &format!("docker-archive:{}", out.display())]),
        );
        let v: serde_json::Value = serde_json::from_str(&tags).unwrap();
        assert_eq!(v["Tags"].as_array().map(Vec::len), Some(2), "{v}");
    }
    let lay = dir.path().join("lay");
    ok(lade()
        .args(["copy", "-q", "--all-images"])
        .arg(format!("docker-archive:{}", two.display()))
        .arg(format!("oci:{}", lay.display())));
    let refs = ok_str(lade().args(["ls-refs", "--store"]).arg(&lay));
    let names: Vec<&str> = refs
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["tiny:1", "tiny:also"], "{refs}");
    let digests: Vec<&str> = refs
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(digests[0], digests[1], "{refs}");
    let oa = dir.path().join("all-oci.tar");
    ok(lade()
        .args(["copy", "-q", "--all-images"])
        .arg(format!("docker-archive:{}", two.display()))
        .arg(format!("oci-archive:{}", oa.display())));
    for name in ["tiny:1", "tiny:also"] {
        ok(lade().args(["inspect", &format!("oci-archive:{}:{name}", oa.display())]));
    }
}

#[test]
fn several_images_keep_their_own_names_and_a_name_for_one_is_refused() {
    let dir = tempdir();
    let src = fx("tiny2-docker26.tar");
    let lay = dir.path().join("lay");
    // Two images under one name (tiny:1 from Docker 20 and from Docker
    // 26): the second would take it from the first, or make it ambiguous;
    // refused before anything is written.
    for dest in [
        format!("oci:{}", lay.display()),
        format!("oci-archive:{}", dir.path().join("a.tar").display()),
        format!("docker-archive:{}", dir.path().join("d.tar").display()),
    ] {
        let err = fails_with(
            lade().args([
                "copy",
                "-q",
                &format!("docker-archive:{}", fx("tiny-docker20.tar")),
                &format!("docker-archive:{}", fx("tiny-docker26.tar")),
                &dest,
            ]),
            3,
        );
        assert!(err.contains("would both be named tiny:1"), "{err}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "{dest}");
    }
    // two sources, a destination naming one image
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            &format!("docker-archive:{src}:@0"),
            &format!("docker-archive:{src}:@1"),
            &format!("oci:{}:x", lay.display()),
        ]),
        2,
    );
    assert!(err.contains("leave the name off the destination"), "{err}");
    // --all-images of a source naming one image
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            "--all-images",
            &format!("docker-archive:{src}:tiny:1"),
            &format!("oci:{}", lay.display()),
        ]),
        2,
    );
    assert!(err.contains("name it without an image"), "{err}");
    // --all-images of a repository: its tags are sync's (no request made)
    let err = fails_with(
        lade().args([
            "copy",
            "--all-images",
            "docker://localhost:1/app",
            &format!("oci:{}", lay.display()),
        ]),
        2,
    );
    assert!(
        err.contains("one image per name; lade sync copies every tag"),
        "{err}"
    );
    // a second source that cannot be read: found before anything is written
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            &format!("docker-archive:{src}:@0"),
            &format!(
                "docker-archive:{}",
                dir.path().join("missing.tar").display()
            ),
            &format!("oci:{}", lay.display()),
        ]),
        1,
    );
    assert!(err.contains("missing.tar: no such file"), "{err}");
    assert!(!lay.exists());
    // without names: each image keeps its own
    ok(lade().args([
        "copy",
        "-q",
        &format!("docker-archive:{src}:@0"),
        &format!("docker-archive:{src}:@1"),
        &format!("oci:{}", lay.display()),
    ]));
    let refs = ok_str(lade().args(["ls-refs", "--store", lay.to_str().unwrap()]));
    let names: Vec<&str> = refs
        .lines()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{refs}");
    assert!(
        refs.contains("tiny:1") && refs.contains("tiny-other:1"),
        "{refs}"
    );
}

#[test]
fn a_destination_dropped_or_failed_leaves_nothing() {
    let dir = tempdir();
    let target = dir.path().join("x.tar");
    let r = transport::parse(&format!("docker-archive:{}:x:1", target.display())).unwrap();
    let src = source(&format!("docker-archive:{}", fx("tiny-docker20.tar"))).unwrap();
    let m = src.get_manifest(None).unwrap().manifest().unwrap();
    let blob = |d: &lade::model::Descriptor| {
        let (mut r, _) = src.get_blob(d).unwrap();
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        v
    };

    // dropped after some blobs: no archive, no temp file
    let dest = r.destination(&TransportOptions::default()).unwrap();
    let p = dest.properties();
    assert_eq!(p.manifest_types, vec![MediaType::DockerManifest]);
    assert_eq!(p.required_compression, Some(lade::model::Compression::None));
    assert!(r.holds_several() && !p.preserves_digests && !p.concurrent_writes);
    dest.put_blob(&mut &blob(&m.config)[..], &BlobInfo::from(&m.config))
        .unwrap();
    dest.put_blob(&mut &blob(&m.layers[0])[..], &BlobInfo::from(&m.layers[0]))
        .unwrap();
    assert!(dest
        .try_reuse_blob(&BlobInfo::from(&m.layers[0]))
        .unwrap()
        .is_some());
    assert!(dest
        .try_reuse_blob(&BlobInfo::from(&m.layers[1]))
        .unwrap()
        .is_none());
    drop(dest);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

    // a blob whose bytes do not match fails the whole destination
    let dest = r.destination(&TransportOptions::default()).unwrap();
    let mut wrong = blob(&m.layers[1]);
    wrong[0] ^= 1;
    let e = dest
        .put_blob(&mut &wrong[..], &BlobInfo::from(&m.layers[1]))
        .unwrap_err();
    assert!(e.to_string().contains("digest mismatch"), "{e}");
    let e = dest
        .put_blob(&mut &blob(&m.config)[..], &BlobInfo::from(&m.config))
        .unwrap_err();
    assert!(e.to_string().contains("unusable"), "{e}");
    assert!(dest.commit().is_err());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

    // unknown digest and size: staged, digest computed
    let dest = r
        .destination(&TransportOptions {
            tmp_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .unwrap();
    let info = BlobInfo {
        media_type: m.layers[2].media_type.clone(),
        digest: None,
        size: None,
    };
    let got = dest.put_blob(&mut &blob(&m.layers[2])[..], &info).unwrap();
    assert_eq!(
        (got.digest, got.size),
        (m.layers[2].digest.clone(), m.layers[2].size)
    );
    // nothing to commit without a manifest
    assert!(dest
        .commit()
        .unwrap_err()
        .to_string()
        .contains("no image was written"));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

// ------------------------------------------------------------ real Docker

fn docker_ok(host: &str, args: &[&str]) -> String {
    ok_str(docker(host).args(args))
}

/// Two images sharing the base layer, built once per test run.
fn build_pair(host: &str) -> (&'static str, &'static str) {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        build_image(
            host,
            "lade-da-one:1",
            "FROM lade-test-base:1\nCOPY one.txt /data/one.txt\nLABEL which=one\n",
            &[("one.txt", b"first image\n")],
        );
        build_image(
            host,
            "lade-da-two:1",
            "FROM lade-test-base:1\nCOPY two.txt /data/two.txt\nRUN echo built > /data/run.txt\n",
            &[("two.txt", b"second image\n")],
        );
    });
    ("lade-da-one:1", "lade-da-two:1")
}

fn image_inspect(host: &str, name: &str) -> serde_json::Value {
    json(&ok(docker(host).args(["image", "inspect", name])))[0].clone()
}

#[test]
fn docker_save_archives_are_read() {
    let Some(host) = docker_host() else { return };
    let (one, two) = build_pair(&host);
    let dir = tempdir();
    let single = dir.path().join("one.tar");
    let both = dir.path().join("both.tar");
    docker_ok(&host, &["save", "-o", single.to_str().unwrap(), one]);
    docker_ok(&host, &["save", "-o", both.to_str().unwrap(), one, two]);

    for (archive, img) in [(&single, one), (&both, one), (&both, two)] {
        let name = format!("docker-archive:{}:{img}", archive.display());
        let src = source(&name).unwrap();
        let m = src.get_manifest(None).unwrap().manifest().unwrap();
        let info = image_inspect(&host, img);
        // Docker's image ID is the config digest; its layers are the diff_ids.
        assert_eq!(m.config.digest.to_string(), info["Id"], "{name}");
        let layers: Vec<String> = m.layers.iter().map(|l| l.digest.to_string()).collect();
        assert_eq!(
            serde_json::json!(layers),
            info["RootFS"]["Layers"],
            "{name}"
        );
        assert_eq!(src.repo_tags(), [img]);
        verify_all_blobs(&*src).unwrap();
        if require_tool("skopeo") {
            let ours = ok(lade().args(["inspect", "--raw", &name]));
            assert_eq!(ours, skopeo_raw_as_lade(&name), "{name}");
        }
    }
    // the shared base layer is one file in the two-image archive
    let src1 = source(&format!("docker-archive:{}:@0", both.display())).unwrap();
    let src2 = source(&format!("docker-archive:{}:@1", both.display())).unwrap();
    let (m1, m2) = (
        src1.get_manifest(None).unwrap().manifest().unwrap(),
        src2.get_manifest(None).unwrap().manifest().unwrap(),
    );
    assert_eq!(m1.layers[0].digest, m2.layers[0].digest);
    let e = fails_with(
        lade().args(["inspect", &format!("docker-archive:{}", both.display())]),
        3,
    );
    assert!(e.contains("2 images"), "{e}");
}

#[test]
fn written_archives_load_into_docker_and_run() {
    let Some(host) = docker_host() else { return };
    let (one, two) = build_pair(&host);
    let dir = tempdir();
    let saved = dir.path().join("saved.tar");
    docker_ok(&host, &["save", "-o", saved.to_str().unwrap(), one, two]);

    // one image, through an OCI layout with gzip layers, to a gzip archive
    let layout = dir.path().join("layout");
    ok(lade()
        .args(["copy", "-q", "--dest-compress-format", "gzip"])
        .arg(format!("docker-archive:{}:{one}", saved.display()))
        .arg(format!("oci:{}:one", layout.display())));
    let single = dir.path().join("single.tar.gz");
    ok(lade()
        .args(["copy", "-q", "--additional-tag", "lade-da-loaded:extra"])
        .arg(format!("oci:{}:one", layout.display()))
        .arg(format!(
            "docker-archive:{}:lade-da-loaded:1",
            single.display()
        )));
    let _ = run(docker(&host).args(["rmi", "-f", "lade-da-loaded:1", "lade-da-loaded:extra"]));
    let loaded = docker_ok(&host, &["load", "-i", single.to_str().unwrap()]);
    assert!(loaded.contains("lade-da-loaded:1"), "{loaded}");
    let out = docker_ok(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "lade-da-loaded:1",
            "cat",
            "/data/one.txt",
        ],
    );
    assert_eq!(out, "first image");
    let info = image_inspect(&host, "lade-da-loaded:1");
    // the same image (same ID) as `one`, which keeps its own tag too
    let tags: Vec<String> = serde_json::from_value(info["RepoTags"].clone()).unwrap();
    for t in ["lade-da-loaded:1", "lade-da-loaded:extra"] {
        assert!(tags.contains(&t.to_string()), "{tags:?}");
    }
    assert_eq!(info["Id"], image_inspect(&host, one)["Id"]);

    // both images into one archive, shared base layer once; both load and run
    let multi = dir.path().join("multi.tar");
    ok(lade()
        .args(["copy", "-q"])
        .arg(format!("docker-archive:{}:{one}", saved.display()))
        .arg(format!("docker-archive:{}:{two}", saved.display()))
        .arg(format!("docker-archive:{}", multi.display())));
    let m = manifest_json(&multi);
    assert_eq!(m[0]["RepoTags"], serde_json::json!([one]));
    assert_eq!(m[1]["RepoTags"], serde_json::json!([two]));
    assert_eq!(m[0]["Layers"][0], m[1]["Layers"][0]);
    let names = tar_names(&multi);
    let layers = names
        .iter()
        .filter(|n| !n.contains('/') && n.ends_with(".tar"))
        .count();
    let l1 = m[0]["Layers"].as_array().unwrap().len();
    let l2 = m[1]["Layers"].as_array().unwrap().len();
    assert_eq!(layers, l1 + l2 - 1, "{names:?}");
    let ids = (
        image_inspect(&host, one)["Id"].clone(),
        image_inspect(&host, two)["Id"].clone(),
    );
    docker_ok(&host, &["rmi", one, two]);
    let loaded = docker_ok(&host, &["load", "-i", multi.to_str().unwrap()]);
    assert!(loaded.contains(one) && loaded.contains(two), "{loaded}");
    assert_eq!(image_inspect(&host, one)["Id"], ids.0);
    assert_eq!(image_inspect(&host, two)["Id"], ids.1);
    let out = docker_ok(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            two,
            "cat",
            "/data/two.txt",
            "/data/run.txt",
        ],
    );
    assert_eq!(out, "second image\nbuilt");
    let out = docker_ok(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            one,
            "cat",
            "/data/one.txt",
        ],
    );
    assert_eq!(out, "first image");
}

/// The fixture's members written again with a PAX header before each (as
/// GNU tar --format=posix, Python's tarfile and Go write them once a name
/// is long or not ASCII), and one long-named member lade does not use.
fn repack_pax(src: &Path, dst: &Path) {
    let mut ar = tar::Archive::new(fs::File::open(src).unwrap());
    let mut b = tar::Builder::new(fs::File::create(dst).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path_bytes().into_owned();
        let mut h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        b.append_pax_extensions([("path", &path[..]), ("mtime", &b"1700000000.5"[..])])
            .unwrap();
        b.append_data(&mut h, std::str::from_utf8(&path).unwrap(), &data[..])
            .unwrap();
    }
    let long = format!("notes/{}", "n".repeat(150));
    b.append_pax_extensions([("path", long.as_bytes())])
        .unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(2);
    h.set_mode(0o644);
    b.append_data(&mut h, "notes/x", &b"hi"[..]).unwrap();
    b.into_inner().unwrap();
}

#[test]
fn archives_with_pax_headers_read_as_the_same_images() {
    let dir = tempdir();
    let pax = dir.path().join("pax.tar");
    repack_pax(Path::new(&fx("tiny-docker26.tar")), &pax);
    // docker save 25+ archives are OCI layouts too: both transports
    for t in ["docker-archive", "oci-archive"] {
        let digest = |name: String| ok(lade().args(["inspect", "--format", "{{.Digest}}", &name]));
        let want = digest(format!("{t}:{}", fx("tiny-docker26.tar")));
        let got = digest(format!("{t}:{}", pax.display()));
        assert_eq!(got, want, "{t}");
        let out = dir.path().join(format!("{t}-lay"));
        ok(lade().args([
            "copy",
            "-q",
            &format!("{t}:{}", pax.display()),
            &format!("oci:{}:x", out.display()),
        ]));
        ok(lade().args(["fsck", "--store", out.to_str().unwrap()]));
    }
}

/// A gzip'd archive is read to the gzip's end, so a trailer that is
/// missing (cut off) or wrong (a CRC that does not match) fails, exit 3,
/// as gzip -t would; a whole one reads.
#[test]
fn a_gzip_archive_with_a_bad_or_missing_trailer_fails() {
    let t = tempdir();
    let tar = std::fs::read(fx("tiny-docker20.tar")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let gz = gz.finish().unwrap();
    let whole = t.path().join("whole.tar.gz");
    std::fs::write(&whole, &gz).unwrap();
    ok(lade().args(["inspect", &format!("docker-archive:{}", whole.display())]));
    let cut = t.path().join("cut.tar.gz");
    std::fs::write(&cut, &gz[..gz.len() - 8]).unwrap();
    let mut bad = gz.clone();
    let at = bad.len() - 6;
    bad[at] ^= 0xff;
    let crc = t.path().join("crc.tar.gz");
    std::fs::write(&crc, &bad).unwrap();
    // Bytes after the gzip that start no other member (a tape block's
    // zeros, garbage; fewer than a gzip header too) are left alone, as
    // gzip -t leaves them; a second member is read, and one cut short
    // fails.
    let after = |name: &str, tail: &[u8]| {
        let p = t.path().join(name);
        std::fs::write(&p, [&gz[..], tail].concat()).unwrap();
        p
    };
    for (name, tail) in [
        ("padded", &[0u8; 4096][..]),
        ("nul3", &[0u8; 3]),
        ("garbage", b"garbage"),
        ("garbage23", b"twenty-three bytes here"),
        ("one1f", &[0x1f, 0x00, 0x00]),
    ] {
        for transport in ["docker-archive", "oci-archive"] {
            let p = after(name, tail);
            let o = run(lade().args(["inspect", &format!("{transport}:{}", p.display())]));
            let err = String::from_utf8_lossy(&o.stderr);
            // (the fixture is a docker-archive: as an oci-archive, it is
            // said to be none once the archive is read)
            match transport {
                "docker-archive" => assert!(o.status.success(), "{name}: {err}"),
                _ => assert!(err.contains("not an OCI archive"), "{name}: {err}"),
            }
        }
    }
    let empty_member = {
        let g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        g.finish().unwrap()
    };
    let two = after("two", &empty_member);
    ok(lade().args(["inspect", &format!("docker-archive:{}", two.display())]));
    let second_cut = after("secondcut", &empty_member[..empty_member.len() - 3]);
    let magic_only = after("magic", &[0x1f, 0x8b]);
    for (path, says) in [
        (&cut, "unexpected end of file"),
        (&crc, "checksum"),
        (&second_cut, "unexpected end of file"),
        (&magic_only, "unexpected end of file"),
    ] {
        for transport in ["docker-archive", "oci-archive"] {
            let err = fails_with(
                lade().args(["inspect", &format!("{transport}:{}", path.display())]),
                3,
            );
            assert!(err.contains("decompressing the gzip archive"), "{err}");
            assert!(err.contains(says), "{err}");
        }
    }
}

// ------------------------------------------------------------ pipes

/// An archive read from a pipe (`docker save x | lade copy
/// docker-archive:/dev/stdin …`, `<(…)`, a FIFO), plain or gzip: the same
/// images as from the file, the stream spooled once into --tmpdir and
/// nothing left there.
#[test]
fn archives_are_read_from_pipes() {
    let dir = tempdir();
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let tmp_arg = format!("--tmpdir={}", tmp.display());
    for f in ["tiny2-docker20.tar", "tiny2-docker26.tar"] {
        let plain = fs::read(fx(f)).unwrap();
        let gz = gzip(&plain);
        let want = ok(lade().args([
            "inspect",
            "--raw",
            &format!("docker-archive:{}:tiny:1", fx(f)),
        ]));
        for (kind, bytes) in [("plain", &plain), ("gzip", &gz)] {
            // copy of one image, by name, from standard input (a pipe)
            let layout = dir.path().join(format!("{f}-{kind}"));
            let dest = format!("oci:{}:t", layout.display());
            let out = run_with_input(
                lade().args([
                    "copy",
                    "-q",
                    &tmp_arg,
                    "docker-archive:/dev/stdin:tiny:1",
                    &dest,
                ]),
                bytes,
            );
            assert!(
                out.status.success(),
                "{f} {kind}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            ok(lade().args(["fsck", "--store", &layout.display().to_string()]));
            // The layout holds it as OCI; the Docker manifest it came from
            // is the one read from the file.
            let cfg =
                ok(lade().args(["cat-config", "--store", &layout.display().to_string(), "t"]));
            let from_file = json(&want);
            assert_eq!(
                sha256_hex(&cfg),
                from_file["config"]["digest"].as_str().unwrap()[7..],
                "{f} {kind}"
            );
            // inspect of a pipe: the raw manifest as from the file
            let raw = run_with_input(
                lade().args([
                    "inspect",
                    "--raw",
                    &tmp_arg,
                    "docker-archive:/dev/stdin:tiny:1",
                ]),
                bytes,
            );
            assert!(
                raw.status.success(),
                "{}",
                String::from_utf8_lossy(&raw.stderr)
            );
            assert_eq!(raw.stdout, want, "{f} {kind}");
            // every image of the one stream (it is read once)
            let all = dir.path().join(format!("{f}-{kind}-all"));
            let out = run_with_input(
                lade().args([
                    "copy",
                    "--all-images",
                    "-q",
                    &tmp_arg,
                    "docker-archive:/dev/stdin",
                    &format!("oci:{}", all.display()),
                ]),
                bytes,
            );
            assert!(
                out.status.success(),
                "{f} {kind}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let refs = ok_str(lade().args(["ls-refs", "--store", &all.display().to_string()]));
            assert_eq!(refs.lines().count(), 2, "{refs}");
        }
    }
    assert_eq!(
        fs::read_dir(&tmp).unwrap().count(),
        0,
        "the spool stays in --tmpdir"
    );

    // A named FIFO: lade waits for its writer, as for a pipe.
    let fifo = dir.path().join("fifo");
    ok(std::process::Command::new("mkfifo").arg(&fifo));
    let layout = dir.path().join("from-fifo");
    let mut child = lade()
        .args([
            "copy",
            "-q",
            &format!("docker-archive:{}", fifo.display()),
            &format!("oci:{}:t", layout.display()),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "lade waits for the FIFO's writer"
    );
    fs::write(&fifo, fs::read(fx("tiny-docker26.tar")).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(lade().args(["fsck", "--store", &layout.display().to_string()]));

    // What a pipe brings that is no archive: one line, exit 3, nothing written.
    for (what, bytes, says) in [
        ("empty", &b""[..], "no manifest.json"),
        (
            "text",
            &b"hello, this is no tar archive\n"[..],
            "docker-archive:/dev/stdin",
        ),
        (
            "a torn gzip",
            &gz_prefix(&fs::read(fx("tiny-docker20.tar")).unwrap())[..],
            "gzip",
        ),
    ] {
        let layout = dir.path().join(format!("bad-{}", what.replace(' ', "-")));
        let out = run_with_input(
            lade().args([
                "copy",
                "-q",
                &tmp_arg,
                "docker-archive:/dev/stdin",
                &format!("oci:{}:t", layout.display()),
            ]),
            bytes,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        assert!(
            err.starts_with("lade: error: ") && err.contains(says),
            "{what}: {err}"
        );
        assert!(!layout.exists(), "{what}");
    }
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);

    // A device is not a pipe: refused at once.
    let err = fails_with(lade().args(["inspect", "docker-archive:/dev/zero"]), 3);
    assert!(err.contains("not a regular file"), "{err}");
}

/// The first half of `data`, gzipped: a stream that ends inside the gzip.
fn gz_prefix(data: &[u8]) -> Vec<u8> {
    let gz = gzip(data);
    gz[..gz.len() / 2].to_vec()
}

/// A pipe of bytes that are no tar is refused at its first block, not
/// spooled to its end (here: at most a few MB of 200 MB are taken); the
/// same pipe under two names (/dev/stdin, /dev/fd/0) is read once.
#[test]
fn a_pipe_of_garbage_is_not_spooled_and_one_pipe_is_read_once() {
    use std::io::Write;
    let mut child = lade()
        .args(["inspect", "docker-archive:/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let block = support::noise(7, 1 << 16);
        let mut sent = 0usize;
        while sent < 200 << 20 {
            if stdin.write_all(&block).is_err() {
                break;
            }
            sent += block.len();
        }
        sent
    });
    let out = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("not a tar archive") || err.contains("checksum"),
        "{err}"
    );
    assert!(sent < 8 << 20, "{sent} bytes taken");

    let t = tempdir();
    let out = run_with_input(
        lade().args([
            "copy",
            "-q",
            "docker-archive:/dev/stdin:tiny:1",
            "docker-archive:/dev/fd/0:tiny-other:1",
            &format!("oci:{}", t.path().join("both").display()),
        ]),
        &fs::read(fx("tiny2-docker20.tar")).unwrap(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refs = ok_str(lade().args([
        "ls-refs",
        "--store",
        &t.path().join("both").display().to_string(),
    ]));
    assert_eq!(refs.lines().count(), 2, "{refs}");
}

/// skopeo stores the layers it takes out of a Docker archive (or daemon)
/// into dir: uncompressed, under a gzip media type; such an image goes
/// into an archive again, its layers read for what they are.
#[test]
fn layers_labelled_gzip_but_stored_plain_are_written_as_they_are() {
    if !require_tool("skopeo") {
        return;
    }
    let dir = tempdir();
    let d = dir.path().join("d");
    ok(Command::new("skopeo").args([
        "copy",
        "-q",
        &format!("docker-archive:{}", fx("tiny-docker26.tar")),
        &format!("dir:{}", d.display()),
    ]));
    let m = json(&fs::read(d.join("manifest.json")).unwrap());
    let layer = m["layers"][0]["digest"].as_str().unwrap();
    assert!(
        m["layers"][0]["mediaType"]
            .as_str()
            .unwrap()
            .ends_with("gzip"),
        "{m}"
    );
    assert_ne!(fs::read(d.join(&layer[7..])).unwrap()[..2], [0x1f, 0x8b]);
    let out = dir.path().join("out.tar");
    ok(lade().args([
        "copy",
        "-q",
        &format!("dir:{}", d.display()),
        &format!("docker-archive:{}:a:1", out.display()),
    ]));
    // The same image as the fixture's: config and layers.
    let ours = json(&ok(lade().args([
        "inspect",
        "--raw",
        &format!("docker-archive:{}", out.display()),
    ])));
    let fixture = json(&ok(lade().args([
        "inspect",
        "--raw",
        &format!("docker-archive:{}", fx("tiny-docker26.tar")),
    ])));
    assert_eq!(ours, fixture);
    ok(Command::new("skopeo").args(["inspect", &format!("docker-archive:{}", out.display())]));
}

/// A layout's ref name goes into an archive as a name only as NAME:TAG: a
/// bare one is a tag (skopeo's oci:DIR:TAG), which names no repository.
#[test]
fn a_bare_layout_ref_names_no_archived_image() {
    let dir = tempdir();
    let src = format!("docker-archive:{}", fx("tiny-docker26.tar"));
    let layout = dir.path().join("l");
    for r in ["1.0", "app", "app:2"] {
        ok(lade().args(["copy", "-q", &src, &format!("oci:{}:{r}", layout.display())]));
        let out = dir.path().join(format!("{}.tar", r.replace(':', "-")));
        ok(lade().args([
            "copy",
            "-q",
            &format!("oci:{}:{r}", layout.display()),
            &format!("docker-archive:{}", out.display()),
        ]));
        let want = match r {
            "app:2" => serde_json::json!(["app:2"]),
            _ => serde_json::json!([]),
        };
        let m = manifest_json(&out);
        assert_eq!(m[0]["RepoTags"], want, "{r}");
    }
}
