//! `dir:PATH` — skopeo's directory format, checked against skopeo itself.

mod common;
mod support;
mod xport;

use std::fs;

use common::{require_tool, tempdir};
use lade::model::Digest;
use lade::transport::{parse, BlobInfo, TransportOptions};
use xport::*;

const VERSION: &str = "Directory Transport Version: 1.1\n";

fn opts() -> TransportOptions {
    TransportOptions::default()
}

#[test]
fn lade_reads_skopeo_dir_output() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let d = t.path().join("d");
    let dn = format!("dir:{}", d.display());
    // docker-archive → dir keeps a Docker schema 2 manifest.
    skopeo_copy(&[], &fixture_image("tiny-docker20.tar", None), &dn);
    let want = skopeo_raw(&dn);
    let got = lade_raw(&dn);
    assert_eq!(
        got.bytes, want,
        "manifest bytes differ from skopeo inspect --raw"
    );
    assert_eq!(got.digest.to_string(), sha(&want));
    assert_eq!(
        got.media_type.as_str(),
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(verify_all_blobs(&dn), 4);
}

#[test]
fn skopeo_reads_lade_dir_and_digests_survive_round_trips() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, _, _) = make_layout(&lay);
    let d = t.path().join("d");
    let dn = format!("dir:{}", d.display());
    copy_api(&format!("oci:{}:tiny", lay.display()), &dn).unwrap();

    assert_eq!(fs::read_to_string(d.join("version")).unwrap(), VERSION);
    let m = fs::read(d.join("manifest.json")).unwrap();
    assert_eq!(sha(&m), tiny);
    // Blobs by hex, no algorithm prefix, no temp files left.
    let names = names_in(&d);
    assert!(
        names.iter().all(|n| n == "version"
            || n == "manifest.json"
            || (n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))),
        "{names:?}"
    );
    assert_eq!(names.len(), 2 + 4, "{names:?}");

    // skopeo reads it and copies it back with the same manifest digest.
    assert_eq!(sha(&skopeo_raw(&dn)), tiny);
    let info = common::json(&common::ok(skopeo().args(["inspect", &dn])));
    assert_eq!(info["Layers"].as_array().unwrap().len(), 3);
    let back = t.path().join("back");
    skopeo_copy(&[], &dn, &format!("oci:{}:x", back.display()));
    assert_eq!(sha(&skopeo_raw(&format!("oci:{}:x", back.display()))), tiny);

    // oci → dir → oci through lade keeps the digest too.
    let again = format!("oci:{}:y", t.path().join("again").display());
    copy_api(&dn, &again).unwrap();
    assert_eq!(lade_raw(&again).digest.to_string(), tiny);
    assert_eq!(verify_all_blobs(&again), 4);
}

#[test]
fn index_children_are_stored_as_hex_manifest_json() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (a, b, idx) = make_layout(&lay);
    let d = t.path().join("d");
    let dn = format!("dir:{}", d.display());
    copy_api(&format!("oci:{}:multi", lay.display()), &dn).unwrap();
    for child in [&a, &b] {
        let hex = child.strip_prefix("sha256:").unwrap();
        let bytes = fs::read(d.join(format!("{hex}.manifest.json"))).unwrap();
        assert_eq!(&sha(&bytes), child);
    }
    assert_eq!(sha(&skopeo_raw(&dn)), idx);
    assert_eq!(lade_raw(&dn).digest.to_string(), idx);
    assert_eq!(verify_all_blobs(&dn), 7);
    // skopeo copies the whole index out of lade's dir unchanged.
    let back = format!("oci:{}:x", t.path().join("back").display());
    skopeo_copy(&["--all"], &dn, &back);
    assert_eq!(sha(&skopeo_raw(&back)), idx);
    // And lade reads skopeo's dir with an index (skopeo's --all output).
    let d2 = format!("dir:{}", t.path().join("d2").display());
    skopeo_copy(&["--all"], &back, &d2);
    assert_eq!(lade_raw(&d2).digest.to_string(), idx);
    assert_eq!(verify_all_blobs(&d2), 7);
}

#[test]
fn refuses_a_non_empty_directory_that_is_not_a_dir_image() {
    let t = tempdir();
    let d = t.path().join("precious");
    fs::create_dir(&d).unwrap();
    fs::write(d.join("notes.txt"), "keep me").unwrap();
    let e = parse(&format!("dir:{}", d.display()))
        .unwrap()
        .destination(&opts())
        .err()
        .expect("must refuse");
    assert!(e.to_string().contains("not a dir: image directory"), "{e}");
    // A version file with other content is not ours either.
    fs::write(d.join("version"), "something else\n").unwrap();
    let e = parse(&format!("dir:{}", d.display()))
        .unwrap()
        .destination(&opts())
        .err()
        .expect("must refuse");
    assert!(e.to_string().contains("version"), "{e}");
    assert_eq!(names_in(&d).len(), 2);
    assert_eq!(fs::read_to_string(d.join("notes.txt")).unwrap(), "keep me");
    // An empty directory is fine.
    let empty = t.path().join("empty");
    fs::create_dir(&empty).unwrap();
    parse(&format!("dir:{}", empty.display()))
        .unwrap()
        .destination(&opts())
        .unwrap();
    // So is one holding only temp files of a write killed before it wrote
    // `version`: a copy goes, and they go with it; with a file of another
    // kind beside them, it is refused still.
    let killed = t.path().join("killed");
    fs::create_dir(&killed).unwrap();
    fs::write(killed.join(".lade-tmp-KDWhgW"), "").unwrap();
    fs::write(killed.join(".lade-tmp-9IGzYG"), "ver").unwrap();
    let src = fixture_image("tiny-docker20.tar", None);
    common::ok(common::lade().args(["copy", "-q", &src, &format!("dir:{}", killed.display())]));
    assert!(names_in(&killed)
        .iter()
        .all(|n| !n.starts_with(".lade-tmp")));
    common::ok(common::lade().args(["inspect", &format!("dir:{}", killed.display())]));
    fs::write(d.join(".lade-tmp-x"), "").unwrap();
    fs::remove_file(d.join("version")).unwrap();
    assert!(parse(&format!("dir:{}", d.display()))
        .unwrap()
        .destination(&opts())
        .is_err());
}

#[test]
fn writing_over_a_dir_image_replaces_it() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, other, _) = make_layout(&lay);
    let d = t.path().join("d");
    let dn = format!("dir:{}", d.display());
    // First skopeo's image (a Docker manifest, uncompressed layers), with a
    // stale signature file, then lade writes `other` over it.
    skopeo_copy(&[], &fixture_image("tiny-docker20.tar", None), &dn);
    fs::write(d.join("signature-1"), "stale").unwrap();
    copy_api(&format!("oci:{}:other", lay.display()), &dn).unwrap();
    assert_eq!(sha(&skopeo_raw(&dn)), other);
    let names = names_in(&d);
    // version + manifest.json + config + 2 layers of `other`, nothing else.
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(!names.contains("signature-1"));
    // And again with `tiny`: the shared base layer is reused.
    copy_api(&format!("oci:{}:tiny", lay.display()), &dn).unwrap();
    assert_eq!(sha(&skopeo_raw(&dn)), tiny);
    assert_eq!(names_in(&d).len(), 6);
    assert_eq!(verify_all_blobs(&dn), 4);
}

#[test]
fn a_bad_blob_fails_and_leaves_nothing_behind() {
    let t = tempdir();
    // Into a new directory: nothing at all remains.
    let d = t.path().join("new");
    let dn = format!("dir:{}", d.display());
    {
        let dest = parse(&dn).unwrap().destination(&opts()).unwrap();
        let good = dest
            .put_blob(&mut &b"good"[..], &claim(b"good", Some(4)))
            .unwrap();
        assert_eq!(good.digest, Digest::of_bytes(b"good"));
        let e = dest
            .put_blob(&mut &b"evil"[..], &claim(b"good!", Some(5)))
            .unwrap_err();
        assert!(e.to_string().contains("expected 5"), "{e}");
        let e = dest
            .put_blob(&mut &b"evil"[..], &claim(b"good", Some(4)))
            .unwrap_err();
        assert!(e.to_string().contains("digest mismatch"), "{e}");
        let e = dest
            .put_blob(&mut &b"longer"[..], &claim(b"good", Some(4)))
            .unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
        // No manifest was put: commit refuses, and dropping cleans up.
    }
    assert!(!d.exists(), "a failed copy left {:?}", names_in(&d));

    // Over an existing image: it stays intact, nothing new remains.
    if !require_tool("skopeo") {
        return;
    }
    let old = t.path().join("old");
    let on = format!("dir:{}", old.display());
    skopeo_copy(&[], &fixture_image("tiny-docker20.tar", None), &on);
    let before = names_in(&old);
    let manifest = fs::read(old.join("manifest.json")).unwrap();
    let e = copy_api(&fixture_corrupted_layout(t.path()), &on).unwrap_err();
    assert!(e.to_string().contains("digest mismatch"), "{e}");
    assert_eq!(names_in(&old), before);
    assert_eq!(fs::read(old.join("manifest.json")).unwrap(), manifest);
    assert_eq!(verify_all_blobs(&on), 4);
}

/// An OCI layout whose last layer's bytes do not match its digest.
fn fixture_corrupted_layout(root: &std::path::Path) -> String {
    let lay = root.join("corrupt");
    skopeo_copy(
        &[],
        &fixture_image("tiny2-docker20.tar", Some("tiny-other:1")),
        &format!("oci:{}:x", lay.display()),
    );
    let m = lade_raw(&format!("oci:{}:x", lay.display()));
    let last = m.manifest().unwrap().layers.last().unwrap().digest.clone();
    let p = lay.join("blobs/sha256").join(last.hex());
    let mut bytes = fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    fs::write(&p, bytes).unwrap();
    format!("oci:{}:x", lay.display())
}

#[test]
fn an_unknown_digest_is_computed() {
    let t = tempdir();
    let d = t.path().join("d");
    let dest = parse(&format!("dir:{}", d.display()))
        .unwrap()
        .destination(&opts())
        .unwrap();
    let info = BlobInfo {
        media_type: lade::model::MediaType::OciLayer,
        digest: None,
        size: None,
    };
    let got = dest.put_blob(&mut &b"some layer"[..], &info).unwrap();
    assert_eq!(got.digest, Digest::of_bytes(b"some layer"));
    assert_eq!(got.size, 10);
    assert_eq!(fs::read(d.join(got.digest.hex())).unwrap(), b"some layer");
    // Reuse by digest and size.
    assert!(dest
        .try_reuse_blob(&BlobInfo::from(&got))
        .unwrap()
        .is_some());
    let mut wrong = got.clone();
    wrong.size = 11;
    assert!(dest
        .try_reuse_blob(&BlobInfo::from(&wrong))
        .unwrap()
        .is_none());
}

#[test]
fn reading_refuses_symlinked_blobs_and_missing_manifests() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let d = t.path().join("d");
    let dn = format!("dir:{}", d.display());
    // A missing directory: no image there (exit 1), as for an oci: path
    // or an archive; an empty one: bad input (exit 3); each said.
    let e = parse(&dn).unwrap().source(&opts()).err().unwrap();
    assert!(e.to_string().contains("no such directory"), "{e}");
    assert_eq!(e.exit_code(), 1);
    fs::create_dir(&d).unwrap();
    let e = parse(&dn).unwrap().source(&opts()).err().unwrap();
    assert!(e.to_string().contains("has no manifest.json"), "{e}");
    assert_eq!(e.exit_code(), 3);
    fs::remove_dir(&d).unwrap();
    skopeo_copy(&[], &fixture_image("tiny-docker20.tar", None), &dn);
    let m = lade_raw(&dn).manifest().unwrap();
    let layer = &m.layers[0];
    let p = d.join(layer.digest.hex());
    let outside = t.path().join("outside");
    fs::rename(&p, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &p).unwrap();
    let s = parse(&dn).unwrap().source(&opts()).unwrap();
    let e = s
        .get_blob(layer)
        .err()
        .expect("symlinked blob must be refused");
    assert!(e.to_string().contains("symlink"), "{e}");
}

#[test]
fn names_parse_and_print() {
    let r = parse("dir:/some/where").unwrap();
    assert_eq!(r.to_string(), "dir:/some/where");
    assert_eq!(r.transport(), "dir");
    assert!(parse("dir:").is_err());
}

#[test]
fn lade_copy_round_trips_through_dir() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, other, _) = make_layout(&lay);
    let l = lay.display();
    let dn = format!("dir:{}", t.path().join("d").display());
    common::ok(common::lade().args(["copy", "-q", &format!("oci:{l}:tiny"), &dn]));
    assert_eq!(sha(&skopeo_raw(&dn)), tiny);
    // Same file system: layers are hard-linked from the layout, not copied.
    let layer = lade_raw(&dn).manifest().unwrap().layers[0].digest.clone();
    let meta = fs::metadata(t.path().join("d").join(layer.hex())).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::nlink(&meta), 2);
    // Not when someone else could change the source file later, under
    // the link: group-writable, or (for root) another user's. Copied.
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let src_blob = lay.join("blobs/sha256").join(layer.hex());
        let nlink = |dir: &str| {
            fs::metadata(t.path().join(dir).join(layer.hex()))
                .unwrap()
                .nlink()
        };
        fs::set_permissions(&src_blob, fs::Permissions::from_mode(0o664)).unwrap();
        let d2 = format!("dir:{}", t.path().join("d2").display());
        common::ok(common::lade().args(["copy", "-q", &format!("oci:{l}:tiny"), &d2]));
        assert_eq!(nlink("d2"), 1, "a group-writable blob was linked");
        fs::set_permissions(&src_blob, fs::Permissions::from_mode(0o644)).unwrap();
        if running_as_root() {
            std::os::unix::fs::chown(&src_blob, Some(65534), None).unwrap();
            let d3 = format!("dir:{}", t.path().join("d3").display());
            common::ok(common::lade().args(["copy", "-q", &format!("oci:{l}:tiny"), &d3]));
            assert_eq!(nlink("d3"), 1, "another user's blob was linked");
            let store = t.path().join("store");
            common::ok(common::lade().args([
                "copy",
                "-q",
                &format!("oci:{l}:tiny"),
                &format!("oci:{}:x", store.display()),
            ]));
            let m = fs::metadata(store.join("blobs/sha256").join(layer.hex())).unwrap();
            assert_eq!((m.nlink(), m.uid()), (1, 0), "into a layout too");
            std::os::unix::fs::chown(&src_blob, Some(0), None).unwrap();
        }
    }
    let raw = common::ok(common::lade().args(["inspect", "--raw", &dn]));
    assert_eq!(sha(&raw), tiny);
    let back = format!("oci:{}:x", t.path().join("back").display());
    common::ok(common::lade().args(["copy", "-q", &dn, &back]));
    assert_eq!(sha(&skopeo_raw(&back)), tiny);
    // Over the same directory: replaced.
    common::ok(common::lade().args(["copy", "-q", &format!("oci:{l}:other"), &dn]));
    assert_eq!(sha(&skopeo_raw(&dn)), other);
    // Two images cannot go into one dir:, nor into one registry tag or
    // daemon name: said before any is reached (no "leave the name off",
    // which these cannot).
    for dest in [dn.as_str(), "docker://127.0.0.1:1/x:1", "docker-daemon:x:1"] {
        let e = common::fails_with(
            common::lade().args([
                "copy",
                "-q",
                &format!("oci:{l}:tiny"),
                &format!("oci:{l}:other"),
                dest,
            ]),
            2,
        );
        assert!(e.contains("holds one image"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    assert_eq!(sha(&skopeo_raw(&dn)), other);

    // A corrupt source fails with exit 3 and leaves nothing.
    let bad = fixture_corrupted_layout(t.path());
    let nd = t.path().join("never");
    let e = common::fails_with(
        common::lade().args(["copy", "-q", &bad, &format!("dir:{}", nd.display())]),
        3,
    );
    assert!(e.contains("digest mismatch"), "{e}");
    assert!(!nd.exists());
    // A symlinked blob in a dir: source is refused, not followed.
    let p = t.path().join("d").join(layer.hex());
    fs::remove_file(&p).unwrap();
    std::os::unix::fs::symlink(lay.join("blobs/sha256").join(layer.hex()), &p).unwrap();
    let e = common::fails_with(
        common::lade().args(["copy", "-q", &dn, &format!("oci:{}:z", nd.display())]),
        3,
    );
    assert!(e.contains("symlink"), "{e}");
    // A foreign directory is refused.
    let e = common::fails_with(
        common::lade().args(["copy", "-q", &format!("oci:{l}:tiny"), &format!("dir:{l}")]),
        3,
    );
    assert!(e.contains("not a dir: image directory"), "{e}");
    assert_eq!(lade_raw(&format!("oci:{l}:tiny")).digest.to_string(), tiny);
    // A destination that is a symlink is refused, not followed: in a sync
    // tree the name comes from the source.
    let target = t.path().join("target");
    fs::create_dir(&target).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    // (spelt with a trailing slash or `/.` too)
    for spelt in ["", "/", "/.", "//"] {
        let e = common::fails_with(
            common::lade().args([
                "copy",
                "-q",
                &format!("oci:{l}:tiny"),
                &format!("dir:{}{spelt}", link.display()),
            ]),
            3,
        );
        assert!(e.contains("symbolic link"), "{spelt:?}: {e}");
        assert_eq!(fs::read_dir(&target).unwrap().count(), 0, "{spelt:?}");
    }
}

/// Does the test run as root (the owner of /proc/self is the effective user)?
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// A copy into a dir: interrupted (SIGTERM, SIGINT, SIGHUP) after some of
/// its blobs are in takes them out again, as a failed copy does: a new
/// directory is gone, an existing image is as it was.
#[test]
fn an_interrupted_copy_into_a_dir_leaves_nothing() {
    use rustix::process::{kill_process, Pid, Signal};
    use std::os::unix::process::ExitStatusExt;
    let Some(reg) = common::registry() else {
        return;
    };
    let t = tempdir();
    let repo = common::unique("dirsig/a");
    let (_, base) = pushed(&reg, &t.path().join("l"), &repo, "t", 1 << 20);
    let proxy = support::Counter::start(&reg);
    let src = format!("docker://{}/{repo}:t", proxy.addr);
    // an image already there, for the second round
    let old = t.path().join("old");
    common::ok(
        common::lade()
            .args(["copy", "-q", "--src-tls-verify=false", &src])
            .arg(format!("dir:{}", old.display())),
    );
    let names = |d: &std::path::Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .map(|r| {
                r.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    // a different image (its base too) for the existing one
    let (_, base2) = pushed(&reg, &t.path().join("l2"), &repo, "t2", (1 << 20) + 1);
    let before = names(&old);
    for (sig, dest, tag, held) in [
        (Signal::TERM, t.path().join("new"), "t", &base),
        (Signal::INT, t.path().join("new2"), "t", &base),
        (Signal::HUP, old.clone(), "t2", &base2),
    ] {
        proxy.hold("GET", &held[7..]);
        // with each signal's default action, whatever the runner inherited
        let mut child = std::process::Command::new("env")
            .args(["--default-signal=HUP,INT,TERM", env!("CARGO_BIN_EXE_lade")])
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{}/{repo}:{tag}", proxy.addr))
            .arg(format!("dir:{}", dest.display()))
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for blobs of the copy to be in (the base layer is held).
        let t0 = std::time::Instant::now();
        let arrived = || {
            names(&dest)
                .iter()
                .filter(|n| n.len() == 64 && (dest != old || !before.contains(n)))
                .count()
        };
        while arrived() < 2 {
            assert!(
                t0.elapsed().as_secs() < 30,
                "{sig:?}: no blob arrived: {:?}",
                names(&dest)
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        kill_process(Pid::from_raw(child.id() as i32).unwrap(), sig).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(sig.as_raw()), "{sig:?}: {status:?}");
        if dest == old {
            assert_eq!(names(&old), before, "{sig:?}");
        } else {
            assert!(!dest.exists(), "{sig:?}: left {:?}", names(&dest));
        }
        proxy.release();
    }
    common::ok(common::lade().args(["inspect", &format!("dir:{}", old.display())]));
}

/// Under --progress=json a signal ends the event stream with an
/// `interrupted` event naming it (and what it left), so a script reading
/// the events knows the copy did not just stop; the blob under way is
/// closed just before it with a blob_failed naming the signal (it had a
/// blob_start and nothing after).
#[test]
fn an_interrupted_json_copy_ends_with_an_interrupted_event() {
    use rustix::process::{kill_process, Pid, Signal};
    use std::io::Read;
    let Some(reg) = common::registry() else {
        return;
    };
    let t = tempdir();
    let repo = common::unique("dirsig/json");
    let (_, base) = pushed(&reg, &t.path().join("l"), &repo, "t", 1 << 20);
    let proxy = support::Counter::start(&reg);
    proxy.hold("GET", &base[7..]);
    let dest = t.path().join("new");
    let mut child = lade_signalled(&[
        "copy".into(),
        "--progress=json".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{}/{repo}:t", proxy.addr),
        format!("dir:{}", dest.display()),
    ]);
    // Read events until the held blob has started.
    let mut err = child.stderr.take().unwrap();
    let mut seen = read_until(
        &mut err,
        |s| {
            s.lines()
                .any(|l| l.contains("blob_start") && l.contains(&base))
        },
        "blob_start",
    );
    kill_process(Pid::from_raw(child.id() as i32).unwrap(), Signal::TERM).unwrap();
    err.read_to_string(&mut seen).unwrap();
    child.wait().unwrap();
    proxy.release();
    let last: serde_json::Value = serde_json::from_str(seen.lines().last().unwrap())
        .unwrap_or_else(|e| panic!("{e}: {seen}"));
    assert_eq!(last["event"], "interrupted", "{seen}");
    assert_eq!(last["signal"], "SIGTERM", "{seen}");
    assert!(last["time"].is_number(), "{seen}");
    for l in seen.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
    // Each blob started and not done (the held one among them) failed,
    // once, naming the signal.
    let of = |event: &str| -> Vec<String> {
        let mut v: Vec<String> = seen
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["event"] == event)
            .map(|v| {
                if event == "blob_failed" {
                    assert_eq!(v["error"], "interrupted (SIGTERM)", "{seen}");
                }
                v["digest"].as_str().unwrap().to_string()
            })
            .collect();
        v.sort();
        v
    };
    let mut open = of("blob_start");
    let done = of("blob_done");
    open.retain(|d| !done.contains(d));
    assert_eq!(of("blob_failed"), open, "{seen}");
    assert!(open.contains(&base), "{seen}");
    let lines: Vec<&str> = seen.lines().collect();
    let n = lines.len();
    for l in &lines[n - 1 - open.len()..n - 1] {
        assert!(l.contains("\"blob_failed\""), "{seen}");
    }
    assert!(!dest.exists());
}

/// A sync says each image's result as it ends, not all at the end: with
/// one image held up by the registry, the other's line is on stderr and
/// in --digestfile while the sync still runs, and still there after a
/// signal ends it.
#[test]
fn a_sync_says_each_image_as_it_ends() {
    use rustix::process::{kill_process, Pid, Signal};
    use std::io::Read;
    let Some(reg) = common::registry() else {
        return;
    };
    let t = tempdir();
    let repo = common::unique("synclines/a");
    let mut layers = Vec::new();
    let mut digests = Vec::new();
    for (tag, size) in [("quick", 1 << 16), ("slow", (1 << 20) + 3)] {
        let (d, base) = pushed(&reg, &t.path().join(tag), &repo, tag, size);
        layers.push(base);
        digests.push(d);
    }
    let proxy = support::Counter::start(&reg);
    proxy.hold("GET", &layers[1][7..]);
    let tree = t.path().join("tree");
    let digestfile = t.path().join("digests");
    let mut child = lade_signalled(&[
        "sync".into(),
        "--src-tls-verify=false".into(),
        "--digestfile".into(),
        digestfile.display().to_string(),
        format!("docker://{}/{repo}", proxy.addr),
        format!("dir:{}", tree.display()),
    ]);
    let mut err = child.stderr.take().unwrap();
    let mut seen = read_until(
        &mut err,
        |s| s.contains("quick: copied"),
        "line for the quick image",
    );
    let lines = fs::read_to_string(&digestfile).unwrap();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(lines.starts_with(&digests[0]), "{lines}");
    kill_process(Pid::from_raw(child.id() as i32).unwrap(), Signal::TERM).unwrap();
    err.read_to_string(&mut seen).unwrap();
    child.wait().unwrap();
    proxy.release();
    assert!(!seen.contains("slow: copied"), "{seen}");
    assert_eq!(fs::read_to_string(&digestfile).unwrap(), lines);
    // (the quick image's directory is whole; the slow one's is not there)
    let dirs: Vec<String> = fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert!(dirs[0].ends_with(":quick"), "{dirs:?}");
    common::ok(common::lade().args(["inspect", &format!("dir:{}/{}", tree.display(), dirs[0])]));
}

/// lade with each signal's default action (whatever the runner
/// inherited), its stderr piped.
fn lade_signalled(args: &[String]) -> std::process::Child {
    std::process::Command::new("env")
        .args(["--default-signal=HUP,INT,TERM", env!("CARGO_BIN_EXE_lade")])
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Read `r` until what was read satisfies `done` (30 s at most).
fn read_until(r: &mut impl std::io::Read, done: impl Fn(&str) -> bool, what: &str) -> String {
    let mut seen = String::new();
    let t0 = std::time::Instant::now();
    while !done(&seen) {
        assert!(t0.elapsed().as_secs() < 30, "no {what}: {seen}");
        let mut buf = [0u8; 4096];
        let n = r.read(&mut buf).unwrap();
        assert!(n > 0, "stderr ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen
}

/// An image whose base layer is `size` bytes, written to a layout at
/// `dir` and pushed as `repo:tag`: its manifest digest and its base
/// layer's digest.
fn pushed(
    reg: &str,
    dir: &std::path::Path,
    repo: &str,
    tag: &str,
    size: usize,
) -> (String, String) {
    let desc = support::image(dir, "amd64", tag, false, size);
    support::write_layout(dir, &[(tag, desc.clone())]);
    support::push_layout(reg, dir, repo, tag, &desc);
    let d = desc["digest"].as_str().unwrap().to_string();
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("blobs/sha256").join(&d[7..])).unwrap()).unwrap();
    (d, m["layers"][0]["digest"].as_str().unwrap().to_string())
}

/// An image whose config has no `created`: inspect prints what skopeo
/// prints, Go's zero time for a Docker manifest, null for an OCI one.
#[test]
fn inspect_of_a_config_without_created_is_skopeos() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let (layer, diff_id) = support::layer(&[("a.txt", b"a\n".to_vec())]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    .unwrap();
    for (docker, mt, ct, lt) in [
        (
            true,
            support::DOCKER_MANIFEST,
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        ),
        (
            false,
            support::OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
    ] {
        let d = t.path().join(format!("docker-{docker}"));
        fs::create_dir(&d).unwrap();
        fs::write(d.join("version"), VERSION).unwrap();
        for blob in [&config, &layer] {
            fs::write(d.join(&support::sha256(blob)[7..]), blob).unwrap();
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": mt,
            "config": {"mediaType": ct, "digest": support::sha256(&config), "size": config.len()},
            "layers": [{"mediaType": lt, "digest": support::sha256(&layer), "size": layer.len()}],
        });
        fs::write(
            d.join("manifest.json"),
            serde_json::to_vec(&manifest).unwrap(),
        )
        .unwrap();
        let name = format!("dir:{}", d.display());
        let ours = common::json(&common::ok(common::lade().args(["inspect", &name])));
        let theirs = common::json(&common::ok(skopeo().args(["inspect", &name])));
        assert_eq!(ours["Created"], theirs["Created"], "{mt}");
        assert_eq!(
            ours["Created"],
            if docker {
                "0001-01-01T00:00:00Z".into()
            } else {
                serde_json::Value::Null
            }
        );
    }
}

/// Copies into one dir: image at once (the same copy run twice by a CI
/// job, two images into one directory) take turns: each exits 0 and the
/// directory holds a whole image, the last one written; a new directory
/// made by one is not taken from under another.
#[test]
fn copies_into_one_dir_at_once_take_turns() {
    let t = tempdir();
    let lay = t.path().join("lay");
    let (tiny, other, _) = make_layout(&lay);
    for round in 0..6 {
        let d = t.path().join(format!("d{round}"));
        let dn = format!("dir:{}", d.display());
        let names = ["tiny", "other", "tiny", "other"];
        let copies: Vec<_> = names
            .iter()
            .map(|n| {
                common::lade()
                    .args(["copy", "-q", &format!("oci:{}:{n}", lay.display()), &dn])
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in copies {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        let got = sha(&lade_raw(&dn).bytes);
        assert!(got == tiny || got == other, "{got}");
        let written = verify_all_blobs(&dn);
        assert!(written >= 3, "{written}");
        common::ok(common::lade().args([
            "copy",
            "-q",
            &dn,
            &format!("oci:{}:back", t.path().join("back").display()),
        ]));
    }
}

/// A copy into a dir: image hashes the blobs it finds there: one damaged
/// in place (the same size, other bytes) is written again, not reused,
/// so copying again mends the image. Replacing the image removes its
/// own kind of files only: what the user keeps there stays. Offline.
#[test]
fn a_copy_into_a_dir_image_mends_it_and_keeps_what_is_not_its_own() {
    use common::{fails_with, lade, ok, ok_stderr};
    let t = tempdir();
    let d = t.path().join("d");
    let dn = format!("dir:{}", d.display());
    let src = fixture_image("tiny-docker26.tar", None);
    ok(lade().args(["copy", "-q", &src, &dn]));
    let blobs = verify_all_blobs(&dn);
    // The biggest blob (a layer) damaged in place.
    let (layer, len) = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().len() == 64)
        .map(|e| (e.path(), e.metadata().unwrap().len()))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    fs::write(&layer, vec![0u8; len as usize]).unwrap();
    // Beside it: what the user keeps, and what an old image left.
    fs::write(d.join("notes.txt"), "mine").unwrap();
    fs::create_dir(d.join("sub")).unwrap();
    fs::write(d.join("sub").join("x"), "mine too").unwrap();
    let stale = ["signature-1", &"ab".repeat(32), ".lade-tmp-left"];
    for s in stale {
        fs::write(d.join(s), "old").unwrap();
    }
    ok(lade().args(["copy", "-q", &src, &dn]));
    assert_eq!(verify_all_blobs(&dn), blobs);
    ok(lade().args([
        "copy",
        "-q",
        &dn,
        &format!("oci:{}:x", t.path().join("l").display()),
    ]));
    assert_eq!(fs::read(d.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(fs::read(d.join("sub").join("x")).unwrap(), b"mine too");
    for s in stale {
        assert!(!d.join(s).exists(), "{s} left");
    }

    // skopeo's signatures in a source are not carried: said, unless asked.
    fs::write(d.join("signature-1"), "sig").unwrap();
    let e = t.path().join("e");
    let err = ok_stderr(lade().args(["copy", "-q", &dn, &format!("dir:{}", e.display())]));
    assert!(
        err.contains("1 signature file (signature-N) not copied"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!e.join("signature-1").exists());
    let err = ok_stderr(lade().args([
        "copy",
        "-q",
        "--remove-signatures",
        &dn,
        &format!("dir:{}", e.display()),
    ]));
    assert_eq!(err, "");

    // A file is no dir: image, and is said to be no directory.
    let file = t.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = fails_with(
        lade().args(["inspect", &format!("dir:{}", file.display())]),
        3,
    );
    assert!(err.contains("not a directory"), "{err}");
}

/// Layers labelled gzip that are plain tars (as skopeo 1.9 writes Docker
/// images into dir:) are compressed where a compression is wanted, as
/// skopeo compresses them, and go as they are otherwise. Offline; skopeo
/// reads the result.
#[test]
fn a_layer_labelled_gzip_that_is_not_is_compressed_where_wanted() {
    use common::{lade, ok};
    let t = tempdir();
    let s = t.path().join("s");
    let sn = format!("dir:{}", s.display());
    ok(lade().args(["copy", "-q", &fixture_image("tiny-docker26.tar", None), &sn]));
    // The plain layers relabelled gzip.
    let mut m: serde_json::Value =
        serde_json::from_slice(&fs::read(s.join("manifest.json")).unwrap()).unwrap();
    for l in m["layers"].as_array_mut().unwrap() {
        assert_eq!(
            l["mediaType"],
            "application/vnd.docker.image.rootfs.diff.tar"
        );
        l["mediaType"] = "application/vnd.docker.image.rootfs.diff.tar.gzip".into();
    }
    let mislabelled = serde_json::to_vec(&m).unwrap();
    fs::write(s.join("manifest.json"), &mislabelled).unwrap();
    let gzip_magic = |dir: &std::path::Path, m: &serde_json::Value| -> Vec<bool> {
        m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let hex = l["digest"].as_str().unwrap().trim_start_matches("sha256:");
                fs::read(dir.join(hex)).unwrap().starts_with(&[0x1f, 0x8b])
            })
            .collect()
    };
    // Nothing asked: the image goes as it is, digest kept.
    let plain = t.path().join("plain");
    ok(lade().args(["copy", "-q", &sn, &format!("dir:{}", plain.display())]));
    assert_eq!(fs::read(plain.join("manifest.json")).unwrap(), mislabelled);
    // Compression asked: the layers are gzipped, the manifest names them.
    for args in [
        &["--dest-compress"][..],
        &["--dest-compress-format", "gzip"],
    ] {
        let gz = t.path().join("gz");
        let gn = format!("dir:{}", gz.display());
        ok(lade().args(["copy", "-q"]).args(args).args([&sn, &gn]));
        let out: serde_json::Value =
            serde_json::from_slice(&fs::read(gz.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(gzip_magic(&gz, &out), vec![true; 3], "{args:?}");
        assert_eq!(out["layers"][0]["mediaType"], m["layers"][0]["mediaType"]);
        assert_eq!(out["config"], m["config"]);
        // Whole and readable: every blob its digest, the diff_ids right
        // (a copy decompressing into docker-archive checks them).
        assert_eq!(verify_all_blobs(&gn), 4);
        let arch = t.path().join("a.tar");
        ok(lade().args([
            "copy",
            "-q",
            &gn,
            &format!("docker-archive:{}", arch.display()),
        ]));
        if require_tool("skopeo") {
            assert_eq!(
                sha(&skopeo_raw(&gn)),
                sha(&fs::read(gz.join("manifest.json")).unwrap())
            );
        }
        fs::remove_dir_all(&gz).unwrap();
        fs::remove_file(&arch).unwrap();
    }
    // Digests to be kept: as it is.
    let kept = t.path().join("kept");
    ok(lade()
        .args(["copy", "-q", "--dest-compress", "--preserve-digests", &sn])
        .arg(format!("dir:{}", kept.display())));
    assert_eq!(fs::read(kept.join("manifest.json")).unwrap(), mislabelled);
}
