//! `oci-archive:PATH[:REF]` — a tar of an OCI layout, checked against skopeo.

mod common;
mod xport;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::{fails_with, fixture, gzip, lade, ok, ok_str, require_tool, run_with_input, tempdir};
use lade::transport::{parse, TransportOptions};
use xport::*;

fn opts() -> TransportOptions {
    TransportOptions::default()
}

/// The member names of a tar, as GNU tar lists them.
fn tar_names(f: &Path) -> Vec<String> {
    ok_str(Command::new("tar").arg("tf").arg(f))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn lade_reads_skopeo_oci_archives_plain_and_gzip() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let f = t.path().join("a.tar");
    let name = format!("oci-archive:{}:tiny", f.display());
    skopeo_copy(&[], &fixture_image("tiny-docker20.tar", None), &name);
    let want = skopeo_raw(&name);
    assert_eq!(lade_raw(&name).bytes, want);
    assert_eq!(verify_all_blobs(&name), 4);
    // One image: the REF may be left out.
    assert_eq!(
        lade_raw(&format!("oci-archive:{}", f.display())).bytes,
        want
    );

    // gzip-compressed archive.
    let gz = t.path().join("a.tar.gz");
    let out = ok(Command::new("gzip").arg("-c").arg(&f));
    fs::write(&gz, out).unwrap();
    let gname = format!("oci-archive:{}:tiny", gz.display());
    assert_eq!(lade_raw(&gname).bytes, want);
    assert_eq!(verify_all_blobs(&gname), 4);
}

#[test]
fn skopeo_reads_lade_archives_and_digests_survive_round_trips() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, _, _) = make_layout(&lay);
    let f = t.path().join("out.tar");
    let name = format!("oci-archive:{}:tiny", f.display());
    copy_api(&format!("oci:{}:tiny", lay.display()), &name).unwrap();

    // A plain tar: blobs first, oci-layout and index.json last, no temp files beside.
    let names = tar_names(&f);
    assert_eq!(names.len(), 4 + 1 + 2, "{names:?}");
    assert!(
        names[..5].iter().all(|n| n.starts_with("blobs/sha256/")),
        "{names:?}"
    );
    assert_eq!(&names[5..], ["oci-layout", "index.json"]);
    assert_eq!(
        names_in(t.path()),
        ["lay", "out.tar"].map(String::from).into()
    );

    assert_eq!(sha(&skopeo_raw(&name)), tiny);
    let info = common::json(&ok(skopeo().args(["inspect", &name])));
    assert_eq!(info["Layers"].as_array().unwrap().len(), 3);
    let back = format!("oci:{}:x", t.path().join("back").display());
    skopeo_copy(&[], &name, &back);
    assert_eq!(sha(&skopeo_raw(&back)), tiny);

    // oci → oci-archive → oci through lade.
    let again = format!("oci:{}:y", t.path().join("again").display());
    copy_api(&name, &again).unwrap();
    assert_eq!(lade_raw(&again).digest.to_string(), tiny);
    assert_eq!(verify_all_blobs(&again), 4);

    // GNU tar extracts it into a layout umoci accepts, when umoci is here.
    let x = t.path().join("x");
    fs::create_dir(&x).unwrap();
    ok(Command::new("tar").arg("xf").arg(&f).arg("-C").arg(&x));
    if require_tool("umoci") {
        let refs = ok_str(Command::new("umoci").args(["ls", "--layout"]).arg(&x));
        assert_eq!(refs, "tiny");
    }
}

#[test]
fn several_images_are_read_by_ref() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, other, idx) = make_layout(&lay);
    let l = lay.display();

    // Written by lade: three images with names.
    let f = t.path().join("many.tar");
    copy_many(
        &[
            (&format!("oci:{l}:tiny"), &[]),
            (&format!("oci:{l}:other"), &["other"]),
            (&format!("oci:{l}:multi"), &["multi"]),
        ],
        &format!("oci-archive:{}:tiny", f.display()),
    )
    .unwrap();
    // Made by GNU tar from a layout with three refs ("./" member names).
    let g = t.path().join("gnu.tar");
    ok(Command::new("tar")
        .arg("cf")
        .arg(&g)
        .arg("-C")
        .arg(&lay)
        .arg("."));

    for file in [&f, &g] {
        let a = |r: &str| format!("oci-archive:{}:{r}", file.display());
        assert_eq!(lade_raw(&a("tiny")).digest.to_string(), tiny);
        assert_eq!(lade_raw(&a("other")).digest.to_string(), other);
        assert_eq!(lade_raw(&a("multi")).digest.to_string(), idx);
        assert_eq!(verify_all_blobs(&a("multi")), 7);
        assert_eq!(sha(&skopeo_raw(&a("other"))), other);
        let mut tags = parse(&a("tiny")).unwrap().list_tags(&opts()).unwrap();
        tags.sort();
        assert_eq!(tags, ["multi", "other", "tiny"]);

        let bare = format!("oci-archive:{}", file.display());
        let e = parse(&bare).unwrap().source(&opts()).err().unwrap();
        assert!(e.to_string().contains("3 images"), "{e}");
        assert!(e.to_string().contains("oci-archive:PATH:REF"), "{e}");
        let e = parse(&a("nope")).unwrap().source(&opts()).err().unwrap();
        assert!(e.to_string().contains("no image named \"nope\""), "{e}");
        assert_eq!(e.exit_code(), 1);
    }

    // skopeo copies the whole index out of lade's archive unchanged.
    let back = format!("oci:{}:x", t.path().join("back").display());
    skopeo_copy(
        &["--all"],
        &format!("oci-archive:{}:multi", f.display()),
        &back,
    );
    assert_eq!(sha(&skopeo_raw(&back)), idx);
}

#[test]
fn writing_over_an_archive_replaces_it() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, other, _) = make_layout(&lay);
    let f = t.path().join("a.tar");
    copy_api(
        &format!("oci:{}:tiny", lay.display()),
        &format!("oci-archive:{}:tiny", f.display()),
    )
    .unwrap();
    copy_api(
        &format!("oci:{}:other", lay.display()),
        &format!("oci-archive:{}:other", f.display()),
    )
    .unwrap();
    let name = format!("oci-archive:{}", f.display());
    assert_eq!(lade_raw(&name).digest.to_string(), other);
    assert!(skopeo_fails(&["inspect", "--raw", &format!("{name}:tiny")]));
    assert_ne!(tiny, other);
}

/// A tar with the given (name, type, data, link) members, written raw so
/// that unsafe names survive.
fn raw_tar(path: &Path, members: &[(&str, u8, &[u8], &str)]) {
    let mut out = Vec::new();
    for (name, kind, data, link) in members {
        let mut h = tar::Header::new_ustar();
        {
            let raw = h.as_old_mut();
            raw.name[..name.len()].copy_from_slice(name.as_bytes());
            raw.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_entry_type(tar::EntryType::new(*kind));
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    fs::File::create(path).unwrap().write_all(&out).unwrap();
}

/// Layout members for a one-image archive whose manifest names one layer.
fn layout_members(layer: &[u8]) -> (String, String, String) {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let ld = lade::model::Digest::of_bytes(layer);
    let cd = lade::model::Digest::of_bytes(config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{ld}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let md = lade::model::Digest::of_bytes(manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"x"}}}}]}}"#,
        manifest.len()
    );
    (manifest, index, ld.hex().to_string())
}

const CONFIG: &[u8] =
    br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;

fn sha_hex(b: &[u8]) -> String {
    lade::model::Digest::of_bytes(b).hex().to_string()
}

#[test]
fn unsafe_member_names_and_linked_blobs_are_refused() {
    let t = tempdir();
    let layer = b"not really a tar";
    let (manifest, index, lhex) = layout_members(layer);
    let mhex = sha_hex(manifest.as_bytes());
    let chex = sha_hex(CONFIG);
    let layout = br#"{"imageLayoutVersion":"1.0.0"}"#;
    let good: Vec<(String, u8, Vec<u8>, String)> = vec![
        (
            format!("blobs/sha256/{lhex}"),
            b'0',
            layer.to_vec(),
            String::new(),
        ),
        (
            format!("blobs/sha256/{chex}"),
            b'0',
            CONFIG.to_vec(),
            String::new(),
        ),
        (
            format!("blobs/sha256/{mhex}"),
            b'0',
            manifest.clone().into_bytes(),
            String::new(),
        ),
        ("oci-layout".into(), b'0', layout.to_vec(), String::new()),
        (
            "index.json".into(),
            b'0',
            index.clone().into_bytes(),
            String::new(),
        ),
    ];
    let write =
        |name: &str, extra: &[(String, u8, Vec<u8>, String)], replace_layer: Option<(u8, &str)>| {
            let mut m: Vec<(String, u8, Vec<u8>, String)> = good.clone();
            if let Some((kind, link)) = replace_layer {
                m[0] = (m[0].0.clone(), kind, Vec::new(), link.to_string());
            }
            m.extend(extra.iter().cloned());
            let refs: Vec<(&str, u8, &[u8], &str)> = m
                .iter()
                .map(|(n, k, d, l)| (n.as_str(), *k, d.as_slice(), l.as_str()))
                .collect();
            let p = t.path().join(name);
            raw_tar(&p, &refs);
            format!("oci-archive:{}:x", p.display())
        };

    // The well-formed archive reads.
    let ok_name = write("good.tar", &[], None);
    assert_eq!(verify_all_blobs(&ok_name), 2);

    for (file, bad, what) in [
        ("dotdot.tar", "../evil", "unsafe"),
        ("dotdot2.tar", "blobs/../../evil", "unsafe"),
        ("abs.tar", "/etc/evil", "unsafe"),
    ] {
        let n = write(
            file,
            &[(bad.into(), b'0', b"x".to_vec(), String::new())],
            None,
        );
        let e = parse(&n).unwrap().source(&opts()).err().expect(bad);
        assert!(e.to_string().contains(what), "{bad}: {e}");
        assert!(e.to_string().contains(bad), "{bad}: {e}");
    }
    // A blob that is a symlink or a hard link.
    for (file, kind) in [("sym.tar", b'2'), ("hard.tar", b'1')] {
        let n = write(file, &[], Some((kind, "oci-layout")));
        let s = parse(&n).unwrap().source(&opts()).unwrap();
        let m = s.get_manifest(None).unwrap().manifest().unwrap();
        let e = s.get_blob(&m.layers[0]).err().expect("linked blob");
        assert!(e.to_string().contains("link"), "{e}");
    }
    // blobs/ as a symlink (its blobs not in the archive): said so, not
    // "missing".
    let m: Vec<(&str, u8, &[u8], &str)> = good
        .iter()
        .filter(|(n, ..)| !n.starts_with("blobs/"))
        .map(|(n, k, d, l)| (n.as_str(), *k, d.as_slice(), l.as_str()))
        .chain([("blobs", b'2', &b""[..], "/etc")])
        .collect();
    let p = t.path().join("symdir.tar");
    raw_tar(&p, &m);
    let e = common::fails_with(
        common::lade()
            .arg("inspect")
            .arg(format!("oci-archive:{}:x", p.display())),
        3,
    );
    assert!(
        e.contains("blobs is a link in the archive, not a directory"),
        "{e}"
    );
    // index.json as a symlink.
    let mut m = good.clone();
    m[4] = ("index.json".into(), b'2', Vec::new(), "/etc/passwd".into());
    let refs: Vec<(&str, u8, &[u8], &str)> = m
        .iter()
        .map(|(n, k, d, l)| (n.as_str(), *k, d.as_slice(), l.as_str()))
        .collect();
    let p = t.path().join("symindex.tar");
    raw_tar(&p, &refs);
    let e = parse(&format!("oci-archive:{}", p.display()))
        .unwrap()
        .source(&opts())
        .err()
        .unwrap();
    assert!(e.to_string().contains("index.json"), "{e}");
    // A tar that is no OCI archive (no oci-layout, or no index.json) is
    // bad input, exit 3, not "not found".
    for (name, drop) in [("plain.tar", "oci-layout"), ("noindex.tar", "index.json")] {
        let m: Vec<(&str, u8, &[u8], &str)> = good
            .iter()
            .filter(|(n, ..)| n != drop)
            .map(|(n, k, d, l)| (n.as_str(), *k, d.as_slice(), l.as_str()))
            .collect();
        let p = t.path().join(name);
        raw_tar(&p, &m);
        let e = common::fails_with(
            common::lade()
                .arg("inspect")
                .arg(format!("oci-archive:{}", p.display())),
            3,
        );
        assert!(e.contains("not an OCI archive") && e.contains(drop), "{e}");
    }
}

#[test]
fn truncated_archives_fail_cleanly() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let f = t.path().join("a.tar");
    skopeo_copy(
        &[],
        &fixture_image("tiny-docker20.tar", None),
        &format!("oci-archive:{}:tiny", f.display()),
    );
    let whole = fs::read(&f).unwrap();
    // Cut inside a header, inside blob data, and just before the end
    // (index.json's data cut short).
    let n = whole.len();
    for cut in [
        100,
        512 * 3 + 7,
        n / 2,
        n - 1024 - 300,
        n - 1024 - 512 - 256,
    ] {
        let p = t.path().join(format!("cut{cut}.tar"));
        fs::write(&p, &whole[..cut]).unwrap();
        let name = format!("oci-archive:{}:tiny", p.display());
        let res = parse(&name)
            .unwrap()
            .source(&opts())
            .and_then(|s| copy_into_dir(&*s, t.path(), cut));
        let e = res.expect_err(&format!("cut at {cut} must fail"));
        assert!(e.to_string().contains("truncated"), "cut {cut}: {e}");
    }
    // A gzip stream cut short.
    let gz = ok(Command::new("gzip").arg("-c").arg(&f));
    let p = t.path().join("cut.tar.gz");
    fs::write(&p, &gz[..gz.len() / 2]).unwrap();
    let e = parse(&format!("oci-archive:{}", p.display()))
        .unwrap()
        .source(&opts())
        .err()
        .expect("cut gzip");
    assert!(e.to_string().contains("incomplete"), "{e}");
}

/// A blob the archive's index.json or manifest names but lacks is damage
/// (exit 3, one line naming it), as in a layout; only a ref the archive
/// lacks is a negative answer (exit 1).
#[test]
fn a_named_blob_missing_from_the_archive_is_damage() {
    let t = tempdir();
    let layer = [0u8; 1024]; // (an empty tar)
    let lhex = sha_hex(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{lhex}"]}}}}"#
    );
    let chex = sha_hex(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{chex}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{lhex}","size":1024}}]}}"#,
        config.len()
    );
    let mhex = sha_hex(manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{mhex}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"x"}}}}]}}"#,
        manifest.len()
    );
    let layout: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
    let all = [
        ("oci-layout".to_string(), layout.to_vec()),
        ("index.json".into(), index.into_bytes()),
        (format!("blobs/sha256/{mhex}"), manifest.into_bytes()),
        (format!("blobs/sha256/{chex}"), config.into_bytes()),
        (format!("blobs/sha256/{lhex}"), layer.to_vec()),
    ];
    for (gone, what) in [(&mhex, "manifest"), (&lhex, "layer")] {
        let members: Vec<(&str, u8, &[u8], &str)> = all
            .iter()
            .filter(|(n, _)| !n.ends_with(gone.as_str()))
            .map(|(n, d)| (n.as_str(), b'0', &d[..], ""))
            .collect();
        let f = t.path().join(format!("no-{what}.tar"));
        raw_tar(&f, &members);
        let src = format!("oci-archive:{}", f.display());
        let dest = t.path().join(format!("out-{what}"));
        let err = fails_with(
            lade()
                .args(["copy", "-q", &src])
                .arg(format!("oci:{}:x", dest.display())),
            3,
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(gone.as_str()), "{what}: {err}");
        assert!(!dest.exists(), "{what}");
        if what == "manifest" {
            let err = fails_with(lade().args(["inspect", &src]), 3);
            assert!(err.contains("missing from the archive"), "{err}");
        }
    }
    // A ref it lacks: a negative answer.
    let f = t.path().join("no-layer.tar");
    fails_with(
        lade().args(["inspect", &format!("oci-archive:{}:nosuch", f.display())]),
        1,
    );
}

fn copy_into_dir(
    s: &dyn lade::transport::ImageSource,
    root: &Path,
    tag: usize,
) -> lade::Result<()> {
    let d = parse(&format!("oci:{}/out{tag}", root.display()))?.destination(&opts())?;
    copy_into(s, &*d, &[])?;
    d.commit()
}

#[test]
fn a_corrupt_blob_fails_the_copy_and_leaves_nothing() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (_, _, _) = make_layout(&lay);
    // Corrupt the last layer of `other` in the layout, then copy it to an
    // archive: the copy fails and no archive or temp file appears.
    let m = lade_raw(&format!("oci:{}:other", lay.display()));
    let last = m.manifest().unwrap().layers.last().unwrap().digest.clone();
    let p = lay.join("blobs/sha256").join(last.hex());
    let mut bytes = fs::read(&p).unwrap();
    bytes[10] ^= 0x55;
    fs::write(&p, bytes).unwrap();

    let out = t.path().join("out");
    fs::create_dir(&out).unwrap();
    let f = out.join("a.tar");
    let e = copy_api(
        &format!("oci:{}:other", lay.display()),
        &format!("oci-archive:{}:x", f.display()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("digest mismatch"), "{e}");
    assert!(names_in(&out).is_empty(), "{:?}", names_in(&out));

    // An existing archive stays as it was.
    copy_api(
        &format!("oci:{}:tiny", lay.display()),
        &format!("oci-archive:{}:x", f.display()),
    )
    .unwrap();
    let before = fs::read(&f).unwrap();
    copy_api(
        &format!("oci:{}:other", lay.display()),
        &format!("oci-archive:{}:x", f.display()),
    )
    .unwrap_err();
    assert_eq!(fs::read(&f).unwrap(), before);
    assert_eq!(names_in(&out).len(), 1);

    // A corrupt blob inside an archive is caught by the reader's caller.
    let f2 = t.path().join("b.tar");
    fs::write(&f2, &before).unwrap();
    let tiny = lade_raw(&format!("oci-archive:{}:x", f2.display()));
    let layer = tiny.manifest().unwrap().layers[0].clone();
    let pos = find(
        &before,
        &fs::read(lay.join("blobs/sha256").join(layer.digest.hex())).unwrap(),
    );
    let mut bad = before.clone();
    bad[pos + 20] ^= 1;
    fs::write(&f2, &bad).unwrap();
    let d = t.path().join("d");
    let e = copy_api(
        &format!("oci-archive:{}:x", f2.display()),
        &format!("dir:{}", d.display()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("digest mismatch"), "{e}");
    assert!(!d.exists());
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("blob inside the tar")
}

#[test]
fn destination_takes_oci_types_docker_ones_on_request_and_names_parse() {
    let t = tempdir();
    let r = parse(&format!("oci-archive:{}/a.tar:app:v1", t.path().display())).unwrap();
    assert_eq!(
        r.to_string(),
        format!("oci-archive:{}/a.tar:app:v1", t.path().display())
    );
    assert_eq!(r.transport(), "oci-archive");
    assert!(parse("oci-archive:").is_err());
    assert!(parse("oci-archive:/x.tar:bad name").is_err());
    let d = r.destination(&opts()).unwrap();
    let p = d.properties();
    assert!(p.preserves_digests && r.holds_several() && !p.concurrent_writes);
    assert!(p.manifest_types.iter().all(|m| !m.is_docker()));
    assert!(!p.on_request.is_empty() && p.on_request.iter().all(|m| m.is_docker()));
    let docker = lade::model::RawManifest::from_bytes(
        br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0},"layers":[]}"#.to_vec(),
        None,
    )
    .unwrap();
    // Taken when the copy's plan asks for it; nothing is written until commit.
    d.put_manifest(&docker, None, &[]).unwrap();
    drop(d);
    assert!(names_in(t.path()).is_empty(), "{:?}", names_in(t.path()));
}

#[test]
fn lade_copy_round_trips_through_oci_archive() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, other, _) = make_layout(&lay);
    let l = lay.display();
    let f = t.path().join("a.tar");
    let an = format!("oci-archive:{}:tiny", f.display());
    common::ok(common::lade().args(["copy", "-q", &format!("oci:{l}:tiny"), &an]));
    assert_eq!(sha(&skopeo_raw(&an)), tiny);
    let raw = ok(common::lade().args(["inspect", "--raw", &an]));
    assert_eq!(sha(&raw), tiny);
    let back = format!("oci:{}:x", t.path().join("back").display());
    ok(common::lade().args(["copy", "-q", &an, &back]));
    assert_eq!(sha(&skopeo_raw(&back)), tiny);
    // skopeo's archive, gzip-compressed, through lade copy.
    let s = t.path().join("s.tar");
    skopeo_copy(
        &[],
        &format!("oci:{l}:other"),
        &format!("oci-archive:{}:o", s.display()),
    );
    let gz = t.path().join("s.tar.gz");
    fs::write(&gz, ok(Command::new("gzip").arg("-c").arg(&s))).unwrap();
    let back2 = format!("oci:{}:y", t.path().join("back").display());
    ok(common::lade().args([
        "copy",
        "-q",
        &format!("oci-archive:{}", gz.display()),
        &back2,
    ]));
    assert_eq!(sha(&skopeo_raw(&back2)), other);

    // Several images in one archive, then all of them out again.
    let many = t.path().join("many.tar");
    copy_many(
        &[
            (&format!("oci:{l}:tiny"), &[]),
            (&format!("oci:{l}:other"), &["other"]),
        ],
        &format!("oci-archive:{}:tiny", many.display()),
    )
    .unwrap();
    let out = t.path().join("out");
    ok(common::lade().args([
        "copy",
        "-q",
        "--all-images",
        &format!("oci-archive:{}", many.display()),
        &format!("oci:{}", out.display()),
    ]));
    let mut got: Vec<String> = lade::store::Layout::open(&out)
        .unwrap()
        .read_index()
        .unwrap()
        .manifests
        .iter()
        .map(|m| m.digest.to_string())
        .collect();
    got.sort();
    let mut want = vec![tiny.clone(), other.clone()];
    want.sort();
    assert_eq!(got, want);

    // A missing REF with several images: a clear error, exit 3.
    let e = common::fails_with(
        common::lade().args([
            "copy",
            "-q",
            &format!("oci-archive:{}", many.display()),
            &back,
        ]),
        3,
    );
    assert!(
        e.contains("2 images") && e.contains("oci-archive:PATH:REF"),
        "{e}"
    );
}

/// A pipe or a device as the target is written into, never replaced (the
/// archive is made in a temp file first, so the reader gets it whole or
/// not at all); a link to a file replaces that file, as skopeo writes
/// through it; a link to nothing is refused.
#[test]
fn pipes_devices_and_links_as_targets() {
    use std::os::unix::fs::FileTypeExt;
    let t = tempdir();
    let src = format!(
        "docker-archive:{}",
        common::fixture("docker-save/tiny-docker20.tar").display()
    );
    let copy_to = |target: &Path| {
        let mut c = common::lade();
        c.args(["copy", "-q", &src])
            .arg(format!("oci-archive:{}:tiny", target.display()));
        c
    };
    let plain = t.path().join("plain.tar");
    ok(&mut copy_to(&plain));
    let want = fs::read(&plain).unwrap();
    assert!(want.len() > 10_000);

    // Standard output, a pipe here (named through /proc: were it ever
    // replaced, no shared /dev/stdout would go with it).
    assert_eq!(ok(&mut copy_to(Path::new("/proc/self/fd/1"))), want);
    // A FIFO with a reader: it stays a FIFO, the reader gets the archive.
    let fifo = t.path().join("fifo");
    ok(Command::new("mkfifo").arg(&fifo));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    ok(&mut copy_to(&fifo));
    assert_eq!(reader.join().unwrap(), want);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    // A device (a null device of the test's own, made where it can be).
    let null = t.path().join("null");
    if Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success())
    {
        ok(&mut copy_to(&null));
        assert!(fs::metadata(&null).unwrap().file_type().is_char_device());
    }

    // A link to a file: the file it names gets the archive, the link stays.
    let real = t.path().join("real.tar");
    fs::write(&real, b"an old archive").unwrap();
    let link = t.path().join("link.tar");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    ok(&mut copy_to(&link));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(&real).unwrap(), want);
    // A link to nothing: refused, and nothing made.
    let dangling = t.path().join("dangling.tar");
    let nothing = t.path().join("nothing.tar");
    std::os::unix::fs::symlink(&nothing, &dangling).unwrap();
    let err = common::fails_with(&mut copy_to(&dangling), 3);
    assert!(err.contains("symbolic link to nothing"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!nothing.exists());
}

/// Docker 25+ `docker save` names index.json entries by tag alone, so two
/// images may share a ref name: --all-images refuses such a source
/// rather than copy the first twice and drop the second; read as
/// docker-archive:, both come, by their whole names.
#[test]
fn all_images_refuses_entries_sharing_a_name() {
    let t = tempdir();
    let fx = common::fixture("docker-save/tiny2-docker26.tar");
    let lay = t.path().join("lay");
    let err = common::fails_with(
        common::lade()
            .args(["copy", "-q", "--all-images"])
            .arg(format!("oci-archive:{}", fx.display()))
            .arg(format!("oci:{}", lay.display())),
        3,
    );
    assert!(err.contains("both named \"1\""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!lay.exists());
    ok(common::lade()
        .args(["copy", "-q", "--all-images"])
        .arg(format!("docker-archive:{}", fx.display()))
        .arg(format!("oci:{}", lay.display())));
    let refs = ok_str(common::lade().args(["ls-refs", "--store"]).arg(&lay));
    assert_eq!(refs.lines().count(), 2, "{refs}");
}

/// An archive is indexed by member name, so names past PATH_MAX are
/// refused with one line: a small gzip of huge GNU long names would
/// otherwise claim gigabytes (both archive transports).
#[test]
fn member_names_past_path_max_are_refused() {
    let t = tempdir();
    let f = t.path().join("long.tar");
    {
        let mut b = tar::Builder::new(fs::File::create(&f).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o644);
        b.append_data(&mut h, format!("d/{}", "a".repeat(5000)), &[][..])
            .unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        b.append_data(&mut h, "manifest.json", &b"[]"[..]).unwrap();
        b.finish().unwrap();
    }
    for tr in ["docker-archive", "oci-archive"] {
        let err = common::fails_with(
            common::lade().args(["inspect", &format!("{tr}:{}", f.display())]),
            3,
        );
        assert!(err.contains("member 1 has a name of 5002 bytes"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// An oci-archive read from a pipe, plain or gzip: the same image as from
/// the file, digests kept.
#[test]
fn archives_are_read_from_pipes() {
    let t = tempdir();
    let archive = t.path().join("a.tar");
    ok(lade().args([
        "copy",
        "-q",
        &format!(
            "docker-archive:{}",
            fixture("docker-save").join("tiny-docker26.tar").display()
        ),
        &format!("oci-archive:{}:app", archive.display()),
    ]));
    let want = ok(lade().args([
        "inspect",
        "--raw",
        &format!("oci-archive:{}", archive.display()),
    ]));
    let plain = fs::read(&archive).unwrap();
    let gz = gzip(&plain);
    for (kind, bytes) in [("plain", &plain), ("gzip", &gz)] {
        let layout = t.path().join(kind);
        let out = run_with_input(
            lade().args([
                "copy",
                "-q",
                "--preserve-digests",
                "oci-archive:/dev/stdin:app",
                &format!("oci:{}:app", layout.display()),
            ]),
            bytes,
        );
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = ok(lade().args([
            "cat-manifest",
            "--store",
            &layout.display().to_string(),
            "app",
        ]));
        assert_eq!(got, want, "{kind}");
        ok(lade().args(["fsck", "--store", &layout.display().to_string()]));
    }
}

/// An OCI layout at `dir` holding `big`: one uncompressed layer of `size`
/// pseudo-random bytes, more than a pipe holds.
fn big_image(dir: &Path, size: usize) -> String {
    use lade::model::{Descriptor, MediaType};
    let mut data = vec![0u8; size];
    let mut x: u64 = 0x2545f4914f6cdd1d;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let mut tarb = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(size as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tarb.append_data(&mut h, "noise", &data[..]).unwrap();
    let layer = tarb.into_inner().unwrap();
    let layout = lade::store::Layout::open_or_create(dir).unwrap();
    let layer_digest = layout.put_bytes(&layer, None).unwrap();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
    );
    let config_digest = layout.put_bytes(config.as_bytes(), None).unwrap();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let d = layout.put_bytes(manifest.as_bytes(), None).unwrap();
    let desc = Descriptor::new(MediaType::OciManifest, d, manifest.len() as u64);
    layout.set_ref("big", &desc).unwrap();
    format!("oci:{}:big", dir.display())
}

/// An archive written into a pipe or FIFO whose reader goes away early
/// is cut short: a failure (exit 3, one line), never the silent success
/// a closed pipe is for printed output. Archive files are made as the
/// umask says.
#[test]
fn an_archive_whose_reader_leaves_early_fails() {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Stdio;
    let t = tempdir();
    let src = big_image(&t.path().join("src"), 4 << 20);
    for dest in [
        "oci-archive:/proc/self/fd/1",
        "docker-archive:/proc/self/fd/1",
    ] {
        let mut child = lade()
            .args(["copy", "-q", &src, dest])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 1000];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // (the pipe's read end closed here)
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{dest}: {err}");
        assert!(err.contains("broken pipe"), "{dest}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // A socket for standard output: refused before anything is read (it
    // failed once the whole archive was made).
    for dest in [
        "oci-archive:/proc/self/fd/1",
        "docker-archive:/proc/self/fd/1",
    ] {
        let (ours, _theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let out = lade()
            .args(["copy", &src, dest])
            .stdout(Stdio::from(std::os::fd::OwnedFd::from(ours)))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{dest}: {err}");
        assert!(err.contains("is a socket"), "{dest}: {err}");
        assert!(!err.contains("Copying"), "{dest}: {err}");
    }
    // A FIFO whose reader reads a little and goes.
    let fifo = t.path().join("fifo");
    ok(Command::new("mkfifo").arg(&fifo));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = fs::File::open(fifo).unwrap();
            let mut first = [0u8; 5000];
            f.read_exact(&mut first).unwrap();
        })
    };
    let err = fails_with(
        lade()
            .args(["copy", "-q", &src])
            .arg(format!("oci-archive:{}", fifo.display())),
        3,
    );
    reader.join().unwrap();
    assert!(err.contains("broken pipe"), "{err}");

    // umask 077: the archive is the user's alone, as tar and skopeo make it.
    for (name, transport) in [("a.tar", "oci-archive"), ("b.tar", "docker-archive")] {
        let target = t.path().join(name);
        ok(Command::new("sh").arg("-c").arg(format!(
            "umask 077 && exec {} copy -q {src} {transport}:{}",
            env!("CARGO_BIN_EXE_lade"),
            target.display()
        )));
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    let target = t.path().join("c.tar");
    ok(Command::new("sh").arg("-c").arg(format!(
        "umask 022 && exec {} copy -q {src} oci-archive:{}",
        env!("CARGO_BIN_EXE_lade"),
        target.display()
    )));
    assert_eq!(
        fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

/// An archive compressed as lade does not read is refused by its first
/// bytes, naming the tool that reads it (it was "not a tar archive").
#[test]
fn xz_bzip2_and_zstd_archives_say_what_they_are() {
    let t = tempdir();
    for (magic, what) in [
        (
            &b"\xfd7zXZ\x00\x00\x04"[..],
            "xz-compressed archives are not supported",
        ),
        (
            &b"BZh91AY&SY"[..],
            "bzip2-compressed archives are not supported",
        ),
        (
            &b"\x28\xb5\x2f\xfd\x00\x58"[..],
            "zstd-compressed archives are not supported",
        ),
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&[7u8; 4096]);
        let f = t.path().join("a.tar.x");
        fs::write(&f, &bytes).unwrap();
        for transport in ["oci-archive", "docker-archive"] {
            let err = fails_with(
                lade().args(["inspect", &format!("{transport}:{}", f.display())]),
                3,
            );
            assert!(err.contains(what), "{transport}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{err}");
        }
        let out = run_with_input(lade().args(["inspect", "oci-archive:/dev/stdin"]), &bytes);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains(what), "{err}");
    }
}
