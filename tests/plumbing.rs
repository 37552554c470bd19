//! Plumbing over the store: hash-object, cat-*, ls-refs, tag/untag, fsck,
//! gc, manifest-digest, convert — as a user runs them.

mod common;
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

fn sha256sum(path: &Path) -> String {
    let out = ok_str(Command::new("sha256sum").arg(path));
    format!("sha256:{}", out.split_whitespace().next().unwrap())
}

fn store_cmd(store: &Path) -> Command {
    let mut c = lade();
    c.arg("--store").arg(store);
    c
}

/// An OCI layout written by skopeo from a real `docker save` archive.
fn skopeo_layout(dir: &Path) -> bool {
    if !require_tool("skopeo") {
        return false;
    }
    let src = fixture("docker-save/tiny2-docker20.tar");
    ok(Command::new("skopeo").args([
        "copy",
        "-q",
        &format!("docker-archive:{}:tiny:1", src.display()),
        &format!("oci:{}:tiny", dir.display()),
    ]));
    true
}

#[test]
fn hash_object_matches_sha256sum() {
    let t = tempdir();
    let mut files = Vec::new();
    for (i, size) in [0usize, 1, 511, 4096, (1 << 20) + 7, 3 << 20]
        .iter()
        .enumerate()
    {
        let p = t.path().join(format!("f{i}"));
        let data: Vec<u8> = (0..*size).map(|j| (j * 7 + i) as u8).collect();
        fs::write(&p, data).unwrap();
        files.push(p);
    }
    let out = ok_str(lade().arg("hash-object").args(&files));
    let want: Vec<String> = files.iter().map(|p| sha256sum(p)).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);

    // stdin, and empty stdin
    let o = run_with_input(lade().args(["hash-object", "--stdin"]), b"hello\n");
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n"
    );
    let o = run_with_input(lade().args(["hash-object", "--stdin"]), b"");
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    );

    // --stdin-paths -z keeps input order and reports missing paths
    let mut list = Vec::new();
    for p in &files {
        list.extend_from_slice(p.as_os_str().as_encoded_bytes());
        list.push(0);
    }
    list.extend_from_slice(b"/nonexistent/x\0");
    let o = run_with_input(lade().args(["hash-object", "--stdin-paths", "-z"]), &list);
    assert!(o.status.success());
    let recs: Vec<String> = o
        .stdout
        .split(|&b| b == 0)
        .filter(|r| !r.is_empty())
        .map(|r| String::from_utf8(r.to_vec()).unwrap())
        .collect();
    let mut expect = want.clone();
    expect.push("/nonexistent/x missing".into());
    assert_eq!(recs, expect);

    // One output line per input line, an empty one too.
    let mut list = Vec::new();
    for p in [&files[0], &PathBuf::new(), &files[1]] {
        list.extend_from_slice(p.as_os_str().as_encoded_bytes());
        list.push(b'\n');
    }
    let o = run_with_input(lade().args(["hash-object", "--stdin-paths"]), &list);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, [want[0].as_str(), " missing", want[1].as_str()]);
}

#[test]
fn hash_object_write_then_cat_blob_round_trips() {
    let t = tempdir();
    let store = t.path().join("store");
    let p = t.path().join("data");
    let data: Vec<u8> = (0..(2 << 20)).map(|i: u32| (i % 251) as u8).collect();
    fs::write(&p, &data).unwrap();
    let d = ok_str(store_cmd(&store).args(["hash-object", "-w"]).arg(&p));
    assert_eq!(d, sha256sum(&p));
    assert_eq!(ok(store_cmd(&store).args(["cat-blob", &d])), data);
    assert!(
        store.join("oci-layout").is_file(),
        "store created on first write"
    );
    // stdin -w
    let o = run_with_input(
        store_cmd(&store).args(["hash-object", "-w", "--stdin"]),
        b"from stdin",
    );
    let d2 = String::from_utf8(o.stdout).unwrap().trim().to_string();
    assert_eq!(ok(store_cmd(&store).args(["cat-blob", &d2])), b"from stdin");
    // -e answers by exit status alone
    let out = run(store_cmd(&store).args(["cat-blob", "-e", &d2]));
    assert_eq!((out.status.code(), out.stdout.len()), (Some(0), 0));
    let absent = format!("sha256:{}", "0".repeat(64));
    fails_with(store_cmd(&store).args(["cat-blob", "-e", &absent]), 1);
    fails_with(store_cmd(&store).args(["cat-blob", &absent]), 1);
    // A corrupt or truncated blob: not a byte out, exit 3 naming it.
    let blob = store
        .join("blobs/sha256")
        .join(d.trim_start_matches("sha256:"));
    let mut bad = data.clone();
    bad[1 << 20] ^= 1;
    for (what, bytes) in [("corrupt", &bad[..]), ("truncated", &data[..100])] {
        fs::write(&blob, bytes).unwrap();
        let out = run(store_cmd(&store).args(["cat-blob", &d]));
        assert_eq!(out.status.code(), Some(3), "{what}");
        assert!(
            out.stdout.is_empty(),
            "{what}: {} bytes out",
            out.stdout.len()
        );
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(&d) && e.contains("corrupt"), "{what}: {e}");
    }
}

#[test]
fn hash_object_type_check() {
    let t = tempdir();
    let m = t.path().join("m.json");
    fs::write(&m, br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#).unwrap();
    ok(lade()
        .args([
            "hash-object",
            "-t",
            "application/vnd.oci.image.index.v1+json",
        ])
        .arg(&m));
    let e = fails_with(
        lade()
            .args([
                "hash-object",
                "-t",
                "application/vnd.oci.image.manifest.v1+json",
            ])
            .arg(&m),
        3,
    );
    assert!(e.contains("mediaType"), "{e}");
    let e = fails_with(
        lade()
            .args([
                "hash-object",
                "-t",
                "application/vnd.oci.image.layer.v1.tar+gzip",
            ])
            .arg(&m),
        3,
    );
    assert!(
        e.contains("not application/vnd.oci.image.layer.v1.tar+gzip"),
        "{e}"
    );
    // Docker's formats require mediaType (registries refuse a manifest
    // or list without); OCI's may leave it out.
    let list = "application/vnd.docker.distribution.manifest.list.v2+json";
    for (mt, bare, code) in [
        (list, &br#"{"schemaVersion":2,"manifests":[]}"#[..], 3),
        (
            list,
            br#"{"schemaVersion":2,"mediaType":null,"manifests":[]}"#,
            3,
        ),
        (
            "application/vnd.oci.image.index.v1+json",
            br#"{"schemaVersion":2,"manifests":[]}"#,
            0,
        ),
    ] {
        let o = run_with_input(lade().args(["hash-object", "--stdin", "-t", mt]), bare);
        assert_eq!(o.status.code(), Some(code), "{mt}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(code == 0 || e.contains("no mediaType"), "{e}");
    }
    // The empty descriptor's content is {}; types lade cannot check are
    // refused as a usage error, not read as a layer.
    let empty = "application/vnd.oci.empty.v1+json";
    let o = run_with_input(lade().args(["hash-object", "--stdin", "-t", empty]), b"{}");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    let o = run_with_input(lade().args(["hash-object", "--stdin", "-t", empty]), b"{ }");
    assert_eq!(o.status.code(), Some(3));
    for other in [
        "text/plain",
        "application/vnd.dev.cosign.simplesigning.v1+json",
        "not a type",
    ] {
        let e = fails_with(lade().args(["hash-object", "-t", other]).arg(&m), 2);
        assert!(e.contains(other) && !e.contains("tar"), "{e}");
    }
}

/// The blobs (and temp files) in a store, by file name.
fn store_files(store: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let mut stack = vec![store.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if e.file_name() != "index.json" && e.file_name() != "oci-layout" {
                v.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    v.sort();
    v
}

#[test]
fn hash_object_layer_type_checks_the_whole_layer() {
    let t = tempdir();
    let store = t.path().join("s");
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    // Three files, the second big enough that damage after the first
    // 512 bytes lands inside the stream, past any header sniffing.
    fs::write(src.join("a"), b"first").unwrap();
    let big: Vec<u8> = (0..400_000u32).flat_map(|i| i.to_le_bytes()).collect();
    fs::write(src.join("b"), &big).unwrap();
    fs::write(src.join("c"), b"third").unwrap();
    let tar = t.path().join("l.tar");
    ok(Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-cf")
        .arg(&tar)
        .args(["a", "b", "c"]));
    ok(Command::new("gzip").arg("-k").arg(&tar));
    let gz = t.path().join("l.tar.gz");
    let tar_bytes = fs::read(&tar).unwrap();
    let gz_bytes = fs::read(&gz).unwrap();
    const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    const GZ: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

    // Good layers pass, by path and on stdin, and are stored.
    for (mt, f) in [(TAR, &tar), (GZ, &gz)] {
        let d = ok_str(
            store_cmd(&store)
                .args(["hash-object", "-w", "-t", mt])
                .arg(f),
        );
        assert_eq!(d.trim(), sha256sum(f));
        let out = run_with_input(
            store_cmd(&store).args(["hash-object", "-w", "--stdin", "-t", mt]),
            &fs::read(f).unwrap(),
        );
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), d.trim());
    }
    let before = store_files(&store);
    assert_eq!(before.len(), 2, "{before:?}");

    // Bad ones: each is refused with exit 3, naming the type, and nothing
    // is stored (no blob, no temp file).
    let mut corrupt_header = tar_bytes.clone();
    // The second entry's header: its name's first byte (the header
    // checksum no longer matches).
    let second = 512 + 512; // a's header and its one data block
    assert_eq!(&corrupt_header[second..second + 1], b"b");
    corrupt_header[second] = b'x';
    let mut truncated_gz = gz_bytes.clone();
    truncated_gz.truncate(gz_bytes.len() - 40);
    let mut bad_crc = gz_bytes.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff; // the gzip trailer's CRC-32
    let mut not_tar = Vec::new();
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(&mut not_tar, flate2::Compression::fast());
        e.write_all(&b"just some text, not a tar archive\n".repeat(100))
            .unwrap();
        e.finish().unwrap();
    }
    let mut data_cut = tar_bytes.clone();
    data_cut.truncate(second + 512 + 100_000);
    let cases: [(&str, &str, &[u8], &str); 5] = [
        ("corrupt header", TAR, &corrupt_header, "checksum"),
        ("truncated gzip", GZ, &truncated_gz, ""),
        ("bad gzip CRC", GZ, &bad_crc, ""),
        ("gzip of text", GZ, &not_tar, ""),
        ("cut inside a file", TAR, &data_cut, ""),
    ];
    for (what, mt, bytes, says) in cases {
        let f = t.path().join("bad");
        fs::write(&f, bytes).unwrap();
        let e = fails_with(
            store_cmd(&store)
                .args(["hash-object", "-w", "-t", mt])
                .arg(&f),
            3,
        );
        assert!(e.contains(&format!("not a valid {mt}")), "{what}: {e}");
        assert!(e.contains(says), "{what}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{what}: {e}");
        let out = run_with_input(
            store_cmd(&store).args(["hash-object", "-w", "--stdin", "-t", mt]),
            bytes,
        );
        assert_eq!(out.status.code(), Some(3), "{what} on stdin: {out:?}");
        assert!(out.stdout.is_empty(), "{what}: {out:?}");
        assert_eq!(store_files(&store), before, "{what}: the store changed");
        // Without -t the same bytes are just bytes.
        ok(store_cmd(&store).args(["hash-object"]).arg(&f));
    }
}

#[test]
fn symlinked_blob_directories_are_not_written_or_collected_through() {
    let t = tempdir();
    let archive = fixture("docker-save/tiny-docker26.tar");
    let empty_layout = |dir: &Path| {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        fs::write(
            dir.join("index.json"),
            r#"{"schemaVersion":2,"manifests":[]}"#,
        )
        .unwrap();
    };
    // A copy into a layout whose blobs/sha256 (or blobs) points outside:
    // refused, naming it, and nothing lands outside.
    for (link, target) in [("blobs/sha256", "../../outside"), ("blobs", "../outside")] {
        let outside = t.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        let dst = t.path().join(format!("dst-{}", link.replace('/', "-")));
        empty_layout(&dst);
        fs::create_dir_all(dst.join("blobs")).unwrap();
        if link == "blobs" {
            fs::remove_dir(dst.join("blobs")).unwrap();
        }
        std::os::unix::fs::symlink(target, dst.join(link)).unwrap();
        let e = fails_with(
            lade()
                .args(["copy", "-q"])
                .arg(format!("docker-archive:{}", archive.display()))
                .arg(format!("oci:{}:x", dst.display())),
            3,
        );
        assert!(e.contains("is a symlink"), "{link}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        let landed: Vec<_> = walk(&outside);
        assert!(landed.is_empty(), "{link}: written outside: {landed:?}");
        assert_eq!(
            fs::read_to_string(dst.join("index.json")).unwrap(),
            r#"{"schemaVersion":2,"manifests":[]}"#
        );
    }
    // gc and fsck of a store whose blobs/ points outside: fsck names it,
    // gc refuses and removes nothing there.
    let outside2 = t.path().join("outside2/sha256");
    fs::create_dir_all(&outside2).unwrap();
    let precious = outside2.join(sha256_hex(b"precious"));
    fs::write(&precious, b"precious").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86400);
    fs::File::options()
        .write(true)
        .open(&precious)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let st = t.path().join("st");
    empty_layout(&st);
    std::os::unix::fs::symlink("../outside2", st.join("blobs")).unwrap();
    let report = run(store_cmd(&st).arg("fsck"));
    assert_eq!(report.status.code(), Some(1), "{report:?}");
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(report.contains("blobs: not a directory"), "{report}");
    let e = fails_with(store_cmd(&st).args(["gc", "--grace", "0"]), 3);
    assert!(e.contains("refusing"), "{e}");
    assert!(precious.exists(), "gc removed a file outside the store");
    // Reads do not go through it either: a layout whose blobs/ leads
    // outside is refused as a source, and nothing is linked from there.
    let src = t.path().join("src");
    tiny_layout(&src);
    fs::rename(src.join("blobs"), t.path().join("outside3")).unwrap();
    std::os::unix::fs::symlink("../outside3", src.join("blobs")).unwrap();
    let dst = t.path().join("dst");
    let e = fails_with(
        lade()
            .args(["copy", "-q"])
            .arg(format!("oci:{}:x", src.display()))
            .arg(format!("oci:{}:x", dst.display())),
        3,
    );
    assert!(
        e.contains("a symlink") && e.contains("no blob is read through it"),
        "{e}"
    );
    assert!(!dst.exists());
    fails_with(
        lade()
            .arg("inspect")
            .arg(format!("oci:{}:x", src.display())),
        3,
    );
}

/// du of a store whose blobs/ or blobs/sha256 is a symlink is refused, as
/// gc refuses it (exit 3, naming it): it counted nothing through it and
/// said "reachable 0 0", with a warning of a blob missing, exit 0. (gc of
/// such a store whose index.json names nothing refuses too: it went on,
/// seeing no blob under blobs/sha256.)
#[test]
fn du_refuses_symlinked_blob_directories() {
    let t = tempdir();
    for (link, target) in [("blobs", "real"), ("blobs/sha256", "../real")] {
        for tagged in [true, false] {
            let st = t
                .path()
                .join(format!("{}-{tagged}", link.replace('/', "-")));
            tiny_layout(&st);
            if !tagged {
                ok(store_cmd(&st).args(["untag", "x"]));
            }
            let real = st.join("real");
            fs::rename(st.join(link), &real).unwrap();
            std::os::unix::fs::symlink(target, st.join(link)).unwrap();
            for args in [&["du", "-s"][..], &["du"]] {
                let e = fails_with(store_cmd(&st).args(args), 3);
                assert!(
                    e.starts_with("lade: error: refusing to count usage: ")
                        && e.contains(&format!("{link} is a symlink"))
                        && e.contains("(run lade fsck)"),
                    "{link} {args:?}: {e}"
                );
                assert_eq!(e.lines().count(), 1, "{e}");
            }
            fails_with(store_cmd(&st).args(["gc", "--grace", "0"]), 3);
        }
    }
}

/// Files under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v
}

#[test]
fn a_full_disk_under_stdout_is_named() {
    let t = tempdir();
    let store = t.path().join("s");
    let f = t.path().join("f");
    fs::write(&f, vec![7u8; 200_000]).unwrap();
    let d = ok_str(store_cmd(&store).args(["hash-object", "-w"]).arg(&f));
    let full = fs::File::options().write(true).open("/dev/full").unwrap();
    let out = store_cmd(&store)
        .args(["cat-blob", d.trim()])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        e.trim(),
        "lade: error: writing to standard output: No space left on device"
    );
}

#[test]
fn a_fifo_is_refused_at_once_not_waited_on() {
    let t = tempdir();
    let fifo = t.path().join("fifo");
    ok(Command::new("mkfifo").arg(&fifo));
    let f = fifo.display().to_string();
    // Settings files (an auth file, a sync YAML) would block forever on
    // open if the FIFO were opened for reading before its type is
    // checked: no one writes to it. (Archives are read from pipes and
    // FIFOs, waiting for the writer: see the archive tests.)
    let cmds: Vec<Vec<String>> = vec![
        vec![
            "logout".into(),
            "--authfile".into(),
            f.clone(),
            "r.example".into(),
        ],
        vec![
            "inspect".into(),
            "--authfile".into(),
            f.clone(),
            "docker://127.0.0.1:1/x".into(),
        ],
        vec![
            "sync".into(),
            "--src".into(),
            "yaml".into(),
            "--dest".into(),
            "dir".into(),
            f.clone(),
            t.path().join("o").display().to_string(),
        ],
    ];
    for args in cmds {
        let out = run_within(lade().args(&args), 20);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains("not a regular file"), "{args:?}: {e}");
    }
    assert!(!t.path().join("o").exists());
    // A pipe with a writer (process substitution) is read as a stream.
    let out = ok_str(Command::new("bash").arg("-c").arg(format!(
        "{} manifest-digest <(printf '{{}}')",
        env!("CARGO_BIN_EXE_lade")
    )));
    assert_eq!(out.trim(), format!("sha256:{}", sha256_hex(b"{}")));
    // `-` is standard input, for both.
    let out = ok_str(Command::new("bash").arg("-c").arg(format!(
        "printf '{{}}' | {0} manifest-digest - && printf hello | {0} hash-object -",
        env!("CARGO_BIN_EXE_lade")
    )));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            format!("sha256:{}", sha256_hex(b"{}")),
            format!("sha256:{}", sha256_hex(b"hello"))
        ]
    );
    // A named FIFO whose writer comes later is waited for, as sha256sum
    // waits.
    let out = ok_str(Command::new("bash").arg("-c").arg(format!(
        "(sleep 0.5; printf hello > {f}) & {} hash-object {f}; wait",
        env!("CARGO_BIN_EXE_lade")
    )));
    assert_eq!(out.trim(), format!("sha256:{}", sha256_hex(b"hello")));
    // A writer waiting already is taken, however little it writes and
    // however soon it goes: by each command that reads a FIFO. (An open
    // that did not wait, then one that did, lost such a writer now and
    // then: a few times in a hundred here.)
    for cmd in ["hash-object", "manifest-digest"] {
        for _ in 0..30 {
            let out = run_within(
                Command::new("bash").arg("-c").arg(format!(
                    "(printf '{{}}' > {f}) & sleep 0.1; timeout 5 {} {cmd} {f}; wait",
                    env!("CARGO_BIN_EXE_lade")
                )),
                10,
            );
            assert!(out.status.success(), "{cmd}: {out:?}");
            let got = String::from_utf8_lossy(&out.stdout);
            assert_eq!(got.trim(), format!("sha256:{}", sha256_hex(b"{}")), "{cmd}");
        }
    }
    // hash-object too, as sha256sum reads one; with -t, checked.
    let out = ok_str(Command::new("bash").arg("-c").arg(format!(
        "{0} hash-object <(printf hello) && {0} hash-object -t application/vnd.oci.empty.v1+json <(printf '{{}}')",
        env!("CARGO_BIN_EXE_lade")
    )));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            format!("sha256:{}", sha256_hex(b"hello")),
            format!("sha256:{}", sha256_hex(b"{}"))
        ]
    );
}

#[test]
fn skopeo_layout_is_readable_and_survives_tag_untag_gc() {
    let t = tempdir();
    let dir = t.path().join("layout");
    if !skopeo_layout(&dir) {
        return;
    }
    let refs = ok_str(store_cmd(&dir).arg("ls-refs"));
    let fields: Vec<&str> = refs.split('\t').collect();
    assert_eq!(fields.len(), 4, "{refs}");
    assert_eq!(fields[0], "tiny");
    assert_eq!(fields[2], "application/vnd.oci.image.manifest.v1+json");
    let manifest = ok(store_cmd(&dir).args(["cat-manifest", "tiny"]));
    assert_eq!(
        fields[3].parse::<usize>().unwrap(),
        manifest.len(),
        "size column"
    );
    let raw = ok(Command::new("skopeo").args([
        "inspect",
        "--raw",
        &format!("oci:{}:tiny", dir.display()),
    ]));
    assert_eq!(manifest, raw);
    let config = ok(store_cmd(&dir).args(["cat-config", "tiny"]));
    let skopeo_config = ok(Command::new("skopeo").args([
        "inspect",
        "--config",
        "--raw",
        &format!("oci:{}:tiny", dir.display()),
    ]));
    assert_eq!(config, skopeo_config);
    // inspect --raw --config: the same bytes; --config: the OCI config
    // as skopeo prints it
    let got = ok(lade()
        .args(["inspect", "--raw", "--config"])
        .arg(format!("oci:{}:tiny", dir.display())));
    assert_eq!(got, skopeo_config);
    let name = format!("oci:{}:tiny", dir.display());
    assert_eq!(
        ok(lade().args(["inspect", "--config", &name])),
        ok(Command::new("skopeo").args(["inspect", "--config", &name]))
    );
    ok(store_cmd(&dir).arg("fsck"));
    // digest of the manifest via plumbing composition
    let o = run_with_input(lade().args(["hash-object", "--stdin"]), &manifest);
    assert_eq!(String::from_utf8(o.stdout).unwrap().trim(), fields[1]);

    ok(store_cmd(&dir).args(["tag", "tiny", "tiny-copy:2"]));
    ok(store_cmd(&dir).args(["tag", fields[1], "by-digest"]));
    ok(store_cmd(&dir).args(["untag", "tiny"]));
    fails_with(store_cmd(&dir).args(["untag", "tiny"]), 1);
    // NAME is NAME:latest when NAME is not there, for untag as for lookups.
    ok(store_cmd(&dir).args(["tag", "tiny-copy:2", "x:latest"]));
    ok(store_cmd(&dir).args(["untag", "x"]));
    fails_with(store_cmd(&dir).args(["cat-manifest", "-e", "x:latest"]), 1);
    // A name that looks like a digest would be read as one: refused.
    let err = fails_with(store_cmd(&dir).args(["tag", "tiny-copy:2", fields[1]]), 3);
    assert!(err.contains("looks like a digest"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // So would one that starts with a transport, by unpack (which takes
    // image names and store refs); a name with another colon is a name.
    for name in ["oci:latest", "dir:x", "docker-daemon:a"] {
        let err = fails_with(store_cmd(&dir).args(["tag", "tiny-copy:2", name]), 3);
        assert!(err.contains("would be read as an image name"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        fails_with(store_cmd(&dir).args(["cat-manifest", "-e", name]), 1);
    }
    ok(store_cmd(&dir).args(["tag", "tiny-copy:2", "registry.local:5000/x:1"]));
    // A copy into the store by its path names the ref by the same rule
    // (the path spelled another way too); into another layout, such a
    // name is a layout's name like any other.
    let tiny = format!("oci:{}:tiny-copy:2", dir.display());
    let other_spelling = format!("{}/../layout", dir.display());
    for dest in [&dir.display().to_string(), &other_spelling] {
        for name in ["oci:evil", fields[1]] {
            let err = fails_with(
                store_cmd(&dir)
                    .args(["copy", "-q", &tiny])
                    .arg(format!("oci:{dest}:{name}")),
                3,
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            let refs = ok_str(store_cmd(&dir).arg("ls-refs"));
            assert!(
                !refs.lines().any(|l| l.starts_with(&format!("{name}\t"))),
                "{refs}"
            );
        }
    }
    let elsewhere = t.path().join("elsewhere");
    ok(store_cmd(&dir)
        .args(["copy", "-q", &tiny])
        .arg(format!("oci:{}:oci:fine", elsewhere.display())));
    ok(store_cmd(&elsewhere).args(["cat-manifest", "-e", "oci:fine"]));
    // A stored blob that reads as a manifest but names a blob by no
    // digest is not tagged (gc would refuse the store while it is).
    let bad = t.path().join("bad.json");
    fs::write(
        &bad,
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:../../../etc/passwd","size":2},"layers":[]}"#,
    )
    .unwrap();
    let bd = ok_str(store_cmd(&dir).args(["hash-object", "-w"]).arg(&bad));
    let err = fails_with(store_cmd(&dir).args(["tag", bd.trim(), "bad"]), 3);
    assert!(err.contains("invalid digest"), "{err}");
    assert_eq!(err.matches(bd.trim()).count(), 1, "{err}");
    fails_with(store_cmd(&dir).args(["cat-manifest", "-e", "bad"]), 1);
    // A name another tool gave that no ref may have (a control
    // character) can still be removed, given as it is.
    let index_path = dir.join("index.json");
    let mut index = json(&fs::read(&index_path).unwrap());
    let mut odd = index["manifests"][0].clone();
    odd["annotations"]["org.opencontainers.image.ref.name"] = "odd\u{1}name".into();
    index["manifests"].as_array_mut().unwrap().push(odd);
    fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    fails_with(
        store_cmd(&dir).args(["tag", "tiny-copy:2", "odd\u{1}name"]),
        3,
    );
    ok(store_cmd(&dir).args(["untag", "odd\u{1}name"]));
    let after = json(&fs::read(&index_path).unwrap());
    assert_eq!(
        after["manifests"].as_array().unwrap().len(),
        index["manifests"].as_array().unwrap().len() - 1
    );
    let removed = ok_str(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert_eq!(
        removed,
        format!("{}\t{}", bd.trim(), fs::metadata(&bad).unwrap().len())
    );
    for name in ["tiny-copy:2", "by-digest"] {
        ok(Command::new("skopeo").args(["inspect", &format!("oci:{}:{name}", dir.display())]));
    }
    ok(store_cmd(&dir).arg("fsck"));
    // An unreachable blob is removed; reachable ones never are.
    let junk = t.path().join("junk");
    fs::write(&junk, b"junk").unwrap();
    let jd = ok_str(store_cmd(&dir).args(["hash-object", "-w"]).arg(&junk));
    let dry = ok_str(store_cmd(&dir).args(["gc", "--dry-run", "--grace", "0"]));
    assert_eq!(dry, format!("{jd}\t4"));
    let kept = ok_str(store_cmd(&dir).args(["gc"]));
    assert_eq!(kept, "", "young blobs are kept by the grace period");
    let removed = ok_str(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert_eq!(removed, format!("{jd}\t4"));
    fails_with(store_cmd(&dir).args(["cat-blob", "-e", &jd]), 1);
    ok(store_cmd(&dir).arg("fsck"));
    ok(Command::new("skopeo").args(["inspect", &format!("oci:{}:by-digest", dir.display())]));
    // A temp file a killed write left: no problem to fsck, but said;
    // gc removes it, and fsck says nothing more of it.
    fs::write(dir.join(".lade-tmp-AbC123"), b"12345").unwrap();
    let err = ok_stderr(store_cmd(&dir).arg("fsck"));
    assert!(
        err.contains(", 0 problems, 1 temp file (5 bytes; writes under way, or ended by a kill"),
        "{err}"
    );
    ok(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert!(!dir.join(".lade-tmp-AbC123").exists());
    let err = ok_stderr(store_cmd(&dir).arg("fsck"));
    assert!(!err.contains("temp file"), "{err}");
}

/// The tiny fixture image copied into a new layout at `dir`, as `x`.
fn tiny_layout(dir: &Path) {
    let archive = fixture("docker-save/tiny-docker26.tar");
    ok(lade()
        .args([
            "copy",
            "-q",
            &format!("docker-archive:{}", archive.display()),
        ])
        .arg(format!("oci:{}:x", dir.display())));
}

/// The path of the largest blob of the layout at `dir` (a layer).
fn largest_blob(dir: &Path) -> PathBuf {
    fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .unwrap()
}

/// `du` lines: name → (digest, size, unique).
fn du_lines(out: &str) -> Vec<(String, String, u64, u64)> {
    out.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l:?}");
            (
                f[0].to_string(),
                f[1].to_string(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

/// The bytes a store image takes: its manifest, config and layers.
fn image_bytes(store: &Path, r: &str) -> u64 {
    let raw = ok(store_cmd(store).args(["cat-manifest", r]));
    let m = json(&raw);
    let layers: u64 = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size"].as_u64().unwrap())
        .sum();
    raw.len() as u64 + m["config"]["size"].as_u64().unwrap() + layers
}

/// `du` says what each ref's image takes, what untag and gc would give
/// back (checked by doing it), and the store's totals (checked against
/// the files and gc).
#[test]
fn du_says_what_refs_hold_and_what_gc_would_free() {
    let t = tempdir();
    let dir = t.path().join("s");
    tiny_layout(&dir);
    let tiny2 = fixture("docker-save/tiny2-docker20.tar");
    ok(lade()
        .args(["copy", "-q"])
        .arg(format!("docker-archive:{}:tiny:1", tiny2.display()))
        .arg(format!("oci:{}:z", dir.display())));
    ok(store_cmd(&dir).args(["tag", "x", "y"]));
    let junk = t.path().join("junk");
    fs::write(&junk, b"junk").unwrap();
    let jd = ok_str(store_cmd(&dir).args(["hash-object", "-w"]).arg(&junk));

    // One line per index.json entry, in its order, as ls-refs lists them.
    let du = du_lines(&ok_str(store_cmd(&dir).arg("du")));
    let ls: Vec<(String, String)> = ok_str(store_cmd(&dir).arg("ls-refs"))
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    assert_eq!(
        du.iter()
            .map(|(n, d, ..)| (n.clone(), d.clone()))
            .collect::<Vec<_>>(),
        ls
    );
    for (name, _, size, _) in &du {
        assert_eq!(*size, image_bytes(&dir, name), "{name}");
    }
    // x and y name one image: untagging either frees nothing.
    let unique = |n: &str| du.iter().find(|e| e.0 == n).unwrap().3;
    assert_eq!((unique("x"), unique("y")), (0, 0), "{du:?}");
    assert!(unique("z") > 0, "{du:?}");

    // The totals: the files under blobs/, and what gc calls unreachable.
    let files: Vec<u64> = fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    let total: u64 = files.iter().sum();
    let n = files.len();
    let summary = ok_str(store_cmd(&dir).args(["du", "-s"]));
    assert_eq!(
        summary,
        format!(
            "reachable\t{}\t{}\nunreachable\t1\t4\ntemp\t0\t0\ntotal\t{n}\t{total}",
            n - 1,
            total - 4
        )
    );
    assert_eq!(
        ok_str(store_cmd(&dir).args(["du", "-s", "-H"])),
        format!(
            "reachable\t{}\t{}\nunreachable\t1\t4B\ntemp\t0\t0B\ntotal\t{n}\t{}",
            n - 1,
            human(total - 4),
            human(total)
        )
    );
    assert_eq!(
        ok_str(store_cmd(&dir).args(["gc", "--grace", "0"])),
        format!("{jd}\t4")
    );

    // What `untag z` and gc free is z's UNIQUE.
    ok(store_cmd(&dir).args(["untag", "z"]));
    let freed: u64 = ok_str(store_cmd(&dir).args(["gc", "--grace", "0"]))
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(freed, unique("z"));

    // Refs named: theirs alone; -H for people, -z for NUL-ended lines.
    let one = ok_str(store_cmd(&dir).args(["du", "y"]));
    assert_eq!(du_lines(&one), vec![du[2].clone()]);
    let h = ok_str(store_cmd(&dir).args(["du", "-H", "y"]));
    assert_eq!(h, format!("y\t{}\t{}\t0B", du[2].1, human(du[2].2)));
    let z = ok(store_cmd(&dir).args(["du", "-z", "x", "y"]));
    assert_eq!(z.iter().filter(|&&b| b == 0).count(), 2);
    assert!(!z.contains(&b'\n'));
    let e = fails_with(store_cmd(&dir).args(["du", "x", "nope"]), 1);
    assert!(e.contains("\"nope\" not found"), "{e}");
    let e = fails_with(store_cmd(&dir).args(["du", "bad name"]), 3);
    assert!(e.contains("invalid ref name \"bad name\""), "{e}");
    let e = fails_with(store_cmd(&t.path().join("none")).arg("du"), 1);
    assert!(e.contains("no such directory"), "{e}");
    let e = fails_with(store_cmd(&dir).args(["du", "-s", "x"]), 2);
    assert!(e.contains("cannot be used with"), "{e}");

    // A missing blob is not counted, and said.
    let layer = largest_blob(&dir);
    let lost = fs::metadata(&layer).unwrap().len();
    fs::remove_file(&layer).unwrap();
    let out = run(store_cmd(&dir).args(["du", "x"]));
    assert!(out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("not counted: 1 blob missing or not a regular file"),
        "{e}"
    );
    let now = du_lines(String::from_utf8_lossy(&out.stdout).trim_end());
    assert_eq!(now[0].2, du[0].2 - lost);

    // An index.json entry that does not read is said, as ls-refs says it,
    // with what it does to the figures.
    let p = dir.join("index.json");
    let mut index = json(&fs::read(&p).unwrap());
    let d = index["manifests"][0]["digest"].as_str().unwrap()[7..].to_uppercase();
    index["manifests"][0]["digest"] = format!("sha256:{d}").into();
    fs::write(&p, serde_json::to_vec(&index).unwrap()).unwrap();
    let out = run(store_cmd(&dir).arg("du"));
    assert!(out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("(ref \"x\") does not read"), "{e}");
    assert!(e.contains("count as unreachable"), "{e}");
}

/// Sizes as `du -H` writes them: units of 1000 (B, kB, MB, GB, TB), at
/// most four significant digits, trailing zeros dropped.
fn human(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    let digits = if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.digits$}");
    format!(
        "{}{}",
        s.trim_end_matches('0').trim_end_matches('.'),
        units[u]
    )
}
/// A copy between layouts on one filesystem hard-links blobs, which keep
/// the source file's old modification time: gc's grace period still
/// covers them (from the link), so an image whose ref is not yet written
/// (here: untagged at once) is not collected under a running copy.
#[test]
fn gc_grace_covers_blobs_linked_from_old_files() {
    let t = tempdir();
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    tiny_layout(&src);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 3600);
    for e in fs::read_dir(src.join("blobs/sha256")).unwrap() {
        let f = fs::File::options()
            .write(true)
            .open(e.unwrap().path())
            .unwrap();
        f.set_modified(old).unwrap();
    }
    ok(lade()
        .args(["copy", "-q"])
        .arg(format!("oci:{}:x", src.display()))
        .arg(format!("oci:{}:x", dst.display())));
    // linked, so the old time came along
    use std::os::unix::fs::MetadataExt;
    let layer = largest_blob(&dst);
    assert!(
        fs::metadata(&layer).unwrap().nlink() > 1,
        "not linked: the test shows nothing"
    );
    ok(store_cmd(&dst).args(["untag", "x"]));
    assert_eq!(
        ok_str(store_cmd(&dst).args(["gc", "--dry-run"])),
        "",
        "a linked blob would go"
    );
    let all = ok_str(store_cmd(&dst).args(["gc", "--dry-run", "--grace", "0"]));
    let blobs = fs::read_dir(dst.join("blobs/sha256")).unwrap().count();
    assert_eq!(all.lines().count(), blobs, "{all}");
}

/// gc --grace takes a duration as --command-timeout does (1h, 90s,
/// 500ms), and plain seconds still; "1h" was a usage error (whole seconds
/// only).
#[test]
fn gc_grace_takes_a_duration() {
    let t = tempdir();
    let dir = t.path().join("s");
    tiny_layout(&dir);
    let junk = t.path().join("junk");
    fs::write(&junk, b"junk").unwrap();
    let jd = ok_str(store_cmd(&dir).args(["hash-object", "-w"]).arg(&junk));
    for (grace, kept) in [("1h", "1h"), ("1h30m", "1h30m"), ("3600", "3600 s")] {
        let out = run(store_cmd(&dir).args(["gc", "--grace", grace]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "--grace {grace}: {err}");
        assert!(
            out.stdout.is_empty(),
            "--grace {grace} removed a young blob"
        );
        assert!(
            err.contains(&format!(
                "kept 1 unreachable blob(s) younger than {kept} (--grace)"
            )),
            "--grace {grace}: {err}"
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        ok_str(store_cmd(&dir).args(["gc", "--dry-run", "--grace", "500ms"])),
        format!("{jd}\t4")
    );
    assert_eq!(
        ok_str(store_cmd(&dir).args(["gc", "--grace", "1"])),
        format!("{jd}\t4")
    );
    for bad in ["1x", "-5s", "h", ""] {
        let e = fails_with(store_cmd(&dir).args(["gc", &format!("--grace={bad}")]), 2);
        assert!(e.contains("--grace"), "{bad}: {e}");
    }
    ok(store_cmd(&dir).arg("fsck"));
}

/// What a first write into a new layout leaves when killed half way
/// (blob directories, an index.json naming nothing, temp files, but no
/// oci-layout yet) is made into the layout by the next write; a directory
/// holding anything more is still refused.
#[test]
fn a_layout_made_half_way_is_made_again() {
    let t = tempdir();
    let archive = fixture("docker-save/tiny-docker26.tar");
    let src = format!("docker-archive:{}", archive.display());
    let half = t.path().join("half");
    fs::create_dir_all(half.join("blobs/sha256")).unwrap();
    fs::write(
        half.join("index.json"),
        br#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    fs::write(half.join(".lade-tmp-x1"), b"part").unwrap();
    // a dry run says it would be written, as the sync would write it
    let plan = ok_str(
        lade()
            .args(["sync", "--dry-run", &src])
            .arg(format!("oci:{}", half.display())),
    );
    assert_eq!(plan.lines().count(), 1, "{plan}");
    ok(lade()
        .args(["copy", "-q", &src])
        .arg(format!("oci:{}:t", half.display())));
    ok(store_cmd(&half).arg("fsck"));
    assert_eq!(
        ok_str(store_cmd(&half).arg("ls-refs")).split('\t').next(),
        Some("t")
    );
    // index.json naming an image: not a leftover, not touched
    let other = t.path().join("other");
    fs::create_dir_all(&other).unwrap();
    let index = br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1}]}"#;
    fs::write(other.join("index.json"), index).unwrap();
    let err = fails_with(
        lade()
            .args(["copy", "-q", &src])
            .arg(format!("oci:{}:t", other.display())),
        3,
    );
    assert!(err.contains("oci-layout file is missing"), "{err}");
    assert_eq!(fs::read(other.join("index.json")).unwrap(), index);
    assert!(!other.join("oci-layout").exists());
    // blobs another tool's failed copy left, nothing naming them: not
    // taken over, and said so
    let blobs_only = t.path().join("blobs-only");
    fs::create_dir_all(blobs_only.join("blobs/sha256")).unwrap();
    fs::write(blobs_only.join("blobs/sha256").join("a".repeat(64)), b"x").unwrap();
    let err = fails_with(
        lade()
            .args(["copy", "-q", &src])
            .arg(format!("oci:{}:t", blobs_only.display())),
        3,
    );
    assert!(err.contains("only blobs/ is there"), "{err}");
    assert!(!blobs_only.join("oci-layout").exists());
}

/// A ref whose manifest (or a manifest's config) is gone is damage: exit
/// 3 naming the blob, not the "no such thing" of exit 1.
#[test]
fn a_ref_to_a_missing_manifest_is_damage() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    ok(store_cmd(&dir).args(["tag", "x", "y"]));
    let refs = ok_str(store_cmd(&dir).arg("ls-refs"));
    let manifest = refs
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .nth(1)
        .unwrap()
        .to_string();
    let config = json(&ok(store_cmd(&dir).args(["cat-manifest", "x"])))["config"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.strip_prefix("sha256:").unwrap())
    };
    fs::remove_file(blob(&config)).unwrap();
    let err = fails_with(store_cmd(&dir).args(["cat-config", "-e", "x"]), 3);
    assert!(err.contains(&config) && err.contains("missing"), "{err}");
    fs::remove_file(blob(&manifest)).unwrap();
    let layout = format!("oci:{}:x", dir.display());
    for cmd in [
        &["cat-manifest", "x"][..],
        &["cat-manifest", "-e", "y"],
        &["cat-config", "x"],
    ] {
        let err = fails_with(store_cmd(&dir).args(cmd), 3);
        assert!(
            err.contains(&manifest) && err.contains("missing"),
            "{cmd:?}: {err}"
        );
    }
    for cmd in [
        &["inspect", &layout][..],
        &["copy", "-q", &layout, "oci:/nonexistent-lade/y"],
    ] {
        let err = fails_with(lade().args(cmd), 3);
        assert!(err.contains(&manifest), "{cmd:?}: {err}");
    }
    // a blob asked for by digest is a plain negative answer
    fails_with(store_cmd(&dir).args(["cat-blob", "-e", &manifest]), 1);
}

/// A reachable blob that is a symlink is one problem, said once.
#[test]
fn fsck_says_a_symlinked_blob_once() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let layer = largest_blob(&dir);
    let outside = t.path().join("outside");
    fs::rename(&layer, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &layer).unwrap();
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = layer.file_name().unwrap().to_string_lossy().into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(&hex)).collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("is a symlink"), "{text}");
}

/// An index.json cut short, missing or a symlink is fsck's to report
/// (exit 1), with every blob still checked and listed as unreachable; gc
/// refuses such a store and removes nothing.
#[test]
fn fsck_reports_a_broken_index_json_and_gc_refuses_it() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let index_path = dir.join("index.json");
    let whole = fs::read(&index_path).unwrap();
    let n_blobs = fs::read_dir(dir.join("blobs/sha256")).unwrap().count();
    let cases: [(&str, &dyn Fn()); 3] = [
        ("EOF while parsing", &|| {
            fs::write(&index_path, &whole[..whole.len() / 2]).unwrap()
        }),
        ("No such file", &|| fs::remove_file(&index_path).unwrap()),
        ("symlink", &|| {
            fs::remove_file(&index_path).unwrap();
            std::os::unix::fs::symlink(t.path().join("elsewhere"), &index_path).unwrap()
        }),
    ];
    for (why, damage) in cases {
        let _ = fs::remove_file(&index_path);
        fs::write(&index_path, &whole).unwrap();
        damage();
        let out = run(store_cmd(&dir).args(["fsck", "--unreachable"]));
        assert_eq!(out.status.code(), Some(1), "{why}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("bad index.json: ") && lines[0].contains(why),
            "{text}"
        );
        assert_eq!(lines.len(), 1 + n_blobs, "{text}");
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with("unreachable sha256:")),
            "{text}"
        );
        let summary = String::from_utf8(out.stderr).unwrap();
        assert!(summary.contains(&format!("{n_blobs} blobs")), "{summary}");
        fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
        assert_eq!(
            fs::read_dir(dir.join("blobs/sha256")).unwrap().count(),
            n_blobs
        );
    }
}

#[test]
fn fsck_reports_each_kind_of_damage() {
    let t = tempdir();
    let dir = t.path().join("layout");
    if !skopeo_layout(&dir) {
        return;
    }
    let manifest: serde_json::Value = json(&ok(store_cmd(&dir).args(["cat-manifest", "tiny"])));
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };

    // flipped byte
    let mut bytes = fs::read(blob(&layers[0])).unwrap();
    bytes[10] ^= 0xff;
    fs::write(blob(&layers[0]), &bytes).unwrap();
    // truncated
    let b1 = fs::read(blob(&layers[1])).unwrap();
    fs::write(blob(&layers[1]), &b1[..b1.len() / 2]).unwrap();
    // missing
    fs::remove_file(blob(&layers[2])).unwrap();
    // dangling refs, two to one missing manifest
    let ghost = format!("sha256:{}", "ab".repeat(32));
    let mut index = json(&fs::read(dir.join("index.json")).unwrap());
    for name in ["ghost", "ghost:2"] {
        index["manifests"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": ghost, "size": 10,
                "annotations": {"org.opencontainers.image.ref.name": name}
            }));
    }
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();

    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for name in ["ghost", "ghost:2"] {
        assert!(
            lines.contains(&format!("dangling ref {name}: {ghost} is missing").as_str()),
            "{text}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("corrupt {}: content hashes to sha256:", layers[0]))),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("corrupt {}: ", layers[1]))
                && l.ends_with("(truncated)")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("missing {} (referenced by sha256:", layers[2]))),
        "{text}"
    );
    assert_eq!(lines.len(), 5, "one line per problem: {text}");
    // gc refuses while a ref's manifest is missing (what it references
    // is not known), and never removes what is referenced; with that ref
    // gone, a missing layer hides nothing and gc runs.
    let err = fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
    assert!(
        err.contains("refusing")
            && err.contains("dangling ref ghost")
            && err.contains(", and 1 more"),
        "{err}"
    );
    ok(store_cmd(&dir).args(["untag", "ghost"]));
    let err = fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
    assert!(
        err.contains("dangling ref ghost:2: ") && !err.contains("more"),
        "{err}"
    );
    ok(store_cmd(&dir).args(["untag", "ghost:2"]));
    ok(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert!(blob(&layers[0]).exists() && blob(&layers[1]).exists());
}

/// gc keeps what it cannot tell is unused: an index.json entry typed as
/// something else (application/json) whose blob is a manifest is walked,
/// and fsck calls its type a problem (so gc refuses; readers refuse it);
/// an index whose child
/// manifest is missing makes gc refuse, so the child's config and layers
/// are there when it is put back.
#[test]
fn gc_keeps_what_readers_still_use() {
    let t = tempdir();
    let dir = t.path().join("typed");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut v = json(&fs::read(&index).unwrap());
    v["manifests"][0]["mediaType"] = "application/json".into();
    fs::write(&index, serde_json::to_vec(&v).unwrap()).unwrap();
    let before = store_files(&dir);
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("is of type application/json, not a manifest or index"),
        "{text}"
    );
    assert!(!text.contains("unreachable"), "{text}");
    fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
    assert_eq!(store_files(&dir), before);

    // An index over the image, its child manifest then missing.
    let dir = t.path().join("index");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let v = json(&fs::read(&index).unwrap());
    let child = v["manifests"][0].clone();
    let digest = child["digest"].as_str().unwrap().to_string();
    let mut entry = child.clone();
    entry.as_object_mut().unwrap().remove("annotations");
    let idx = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [entry]}))
    .unwrap();
    let idx_digest = format!("sha256:{}", sha256_hex(&idx));
    fs::write(dir.join("blobs/sha256").join(&idx_digest[7..]), &idx).unwrap();
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": idx_digest,
        "size": idx.len(), "annotations": {"org.opencontainers.image.ref.name": "x"}}]});
    fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
    let manifest = dir.join("blobs/sha256").join(&digest[7..]);
    let kept = fs::read(&manifest).unwrap();
    fs::remove_file(&manifest).unwrap();
    let before = store_files(&dir);
    let err = fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
    assert!(err.contains(&format!("missing {digest}")), "{err}");
    assert_eq!(store_files(&dir), before);
    fs::write(&manifest, kept).unwrap();
    ok(store_cmd(&dir).arg("fsck"));
}

/// Manifests of kinds lade does not read (an OCI 1.1-rc artifact
/// manifest, as ORAS 1.0 wrote them; a Docker schema 1 one) keep what they
/// name: gc leaves those blobs, and fsck finds them missing when they are.
#[test]
fn gc_keeps_what_manifests_of_other_kinds_name() {
    let t = tempdir();
    let dir = t.path().join("kinds");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let v = json(&fs::read(&index).unwrap());
    let image = v["manifests"][0]["digest"].as_str().unwrap().to_string();
    let manifest = json(&fs::read(dir.join("blobs/sha256").join(&image[7..])).unwrap());
    let config = manifest["config"].clone();
    let layer = manifest["layers"][0].clone();
    let put = |bytes: Vec<u8>| {
        let d = format!("sha256:{}", sha256_hex(&bytes));
        fs::write(dir.join("blobs/sha256").join(&d[7..]), &bytes).unwrap();
        (d, bytes.len())
    };
    let artifact = put(serde_json::to_vec(&serde_json::json!({
            "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
            "artifactType": "application/x-test", "blobs": [config]}))
    .unwrap());
    let schema1 = put(serde_json::to_vec(
        &serde_json::json!({"schemaVersion": 1, "name": "a", "tag": "1",
            "architecture": "amd64", "fsLayers": [{"blobSum": layer["digest"]}],
            "history": [{"v1Compatibility": "{}"}]}),
    )
    .unwrap());
    // Only these two named: the image's manifest goes, what they name stays.
    let entry = |(d, n): &(String, usize), mt: &str, name: &str| {
        serde_json::json!({"mediaType": mt, "digest": d, "size": n,
            "annotations": {"org.opencontainers.image.ref.name": name}})
    };
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [
        entry(&artifact, "application/vnd.oci.artifact.manifest.v1+json", "art"),
        entry(&schema1, "application/vnd.docker.distribution.manifest.v1+json", "s1")]});
    fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
    let removed = ok_str(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert!(removed.contains(&image), "{removed}");
    for kept in [&config["digest"], &layer["digest"]] {
        let d = kept.as_str().unwrap();
        assert!(!removed.contains(d), "{removed}");
        assert!(dir.join("blobs/sha256").join(&d[7..]).exists(), "{d}");
    }
    ok(store_cmd(&dir).arg("fsck"));
    // Their exact bytes, as cat-manifest gives any manifest a ref names;
    // cat-config has none to give.
    for (name, (d, _)) in [("art", &artifact), ("s1", &schema1)] {
        let bytes = ok(store_cmd(&dir).args(["cat-manifest", name]));
        assert_eq!(format!("sha256:{}", sha256_hex(&bytes)), *d, "{name}");
        ok(store_cmd(&dir).args(["cat-manifest", "-e", name]));
        let e = fails_with(store_cmd(&dir).args(["cat-config", name]), 3);
        assert!(e.contains("is of type application/"), "{e}");
    }
    // One that cannot be read (nested past what a JSON reader takes):
    // what it names cannot be known, so gc refuses, and fsck says why.
    let mut deep = serde_json::json!({"digest": config["digest"], "size": config["size"]});
    for _ in 0..200 {
        deep = serde_json::json!({"x": deep});
    }
    let deep = put(serde_json::to_vec(&serde_json::json!({
            "mediaType": "application/vnd.oci.artifact.manifest.v1+json", "blobs": [deep]}))
    .unwrap());
    let mut with_deep = top.clone();
    with_deep["manifests"].as_array_mut().unwrap().push(entry(
        &deep,
        "application/vnd.oci.artifact.manifest.v1+json",
        "deep",
    ));
    fs::write(&index, serde_json::to_vec(&with_deep).unwrap()).unwrap();
    let before = store_files(&dir);
    let err = fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
    assert!(err.contains(&deep.0), "{err}");
    assert_eq!(store_files(&dir), before);
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("that cannot be read"), "{text}");
    fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
    // One of them gone: fsck says so.
    let l = layer["digest"].as_str().unwrap();
    fs::remove_file(dir.join("blobs/sha256").join(&l[7..])).unwrap();
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("missing {l}")), "{text}");
}

/// An image whose uncompressed layers are not its config's diff_ids (two
/// swapped in the manifest): fsck says so, and copy refuses it, as Docker
/// does, rather than write an image no unpack can check.
#[test]
fn layers_the_config_contradicts_are_found_and_not_copied() {
    let t = tempdir();
    let dir = t.path().join("swapped");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut top = json(&fs::read(&index).unwrap());
    let image = top["manifests"][0]["digest"].as_str().unwrap().to_string();
    let mut m = json(&fs::read(dir.join("blobs/sha256").join(&image[7..])).unwrap());
    assert!(m["layers"].as_array().unwrap().len() >= 2, "{m}");
    assert!(
        m["layers"][0]["mediaType"]
            .as_str()
            .unwrap()
            .ends_with(".tar"),
        "{m}"
    );
    let layers = m["layers"].as_array_mut().unwrap();
    layers.swap(0, 1);
    let bytes = serde_json::to_vec(&m).unwrap();
    let d = format!("sha256:{}", sha256_hex(&bytes));
    fs::write(dir.join("blobs/sha256").join(&d[7..]), &bytes).unwrap();
    top["manifests"][0]["digest"] = d.clone().into();
    top["manifests"][0]["size"] = bytes.len().into();
    fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("bad image {d}: layer 1 (")) && text.contains("is not compressed"),
        "{text}"
    );
    // (gc is not stopped by it: what the image names is known)
    ok(store_cmd(&dir).args(["gc", "--dry-run", "--grace", "0"]));
    let dest = t.path().join("out");
    let err = fails_with(
        lade().args([
            "copy",
            "-q",
            &format!("oci:{}:x", dir.display()),
            &format!("oci:{}:x", dest.display()),
        ]),
        3,
    );
    assert!(err.contains("should be its diff_id"), "{err}");
    assert!(!dest.exists());
    // A layer labelled uncompressed that is gzip (mislabelled, not
    // contradicted): copied as it is, as skopeo copies it.
    let mut m = json(&fs::read(dir.join("blobs/sha256").join(&image[7..])).unwrap());
    let first = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let gz = gzip(&fs::read(dir.join("blobs/sha256").join(&first[7..])).unwrap());
    let gz_digest = format!("sha256:{}", sha256_hex(&gz));
    fs::write(dir.join("blobs/sha256").join(&gz_digest[7..]), &gz).unwrap();
    m["layers"][0]["digest"] = gz_digest.clone().into();
    m["layers"][0]["size"] = gz.len().into();
    let bytes = serde_json::to_vec(&m).unwrap();
    let d = format!("sha256:{}", sha256_hex(&bytes));
    fs::write(dir.join("blobs/sha256").join(&d[7..]), &bytes).unwrap();
    top["manifests"][0]["digest"] = d.clone().into();
    top["manifests"][0]["size"] = bytes.len().into();
    fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
    ok(lade().args([
        "copy",
        "-q",
        &format!("oci:{}:x", dir.display()),
        &format!("oci:{}:x", dest.display()),
    ]));
    assert!(dest.join("blobs/sha256").join(&gz_digest[7..]).exists());
    ok(store_cmd(&dir).arg("fsck"));
}

/// Two refs to one good manifest, one giving it a wrong size: the wrong
/// descriptor is named, in whatever order index.json lists them, and the
/// image stays reachable (nothing reported unreachable).
#[test]
fn fsck_blames_a_wrong_descriptor_in_any_order() {
    let t = tempdir();
    let src = t.path().join("src");
    if !skopeo_layout(&src) {
        return;
    }
    for bad_first in [false, true] {
        let dir = t.path().join(format!("l{bad_first}"));
        ok(Command::new("cp").arg("-a").arg(&src).arg(&dir));
        let mut index = json(&fs::read(dir.join("index.json")).unwrap());
        let good = index["manifests"][0].clone();
        let mut bad = good.clone();
        bad["size"] = serde_json::json!(5);
        bad["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "bad"});
        let entries = if bad_first {
            vec![bad, good.clone()]
        } else {
            vec![good.clone(), bad]
        };
        index["manifests"] = serde_json::json!(entries);
        fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
        let out = run(store_cmd(&dir).args(["fsck", "--unreachable"]));
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        let d = good["digest"].as_str().unwrap();
        let want = format!(
            "bad descriptor of {d} in ref bad: says 5 bytes, the blob has {}\n",
            good["size"]
        );
        assert_eq!(text, want, "bad first: {bad_first}");
    }
}

#[test]
fn bad_input_is_exit_3_with_a_clear_message() {
    let t = tempdir();
    let store = t.path().join("s");
    ok(store_cmd(&store)
        .args(["hash-object", "-w"])
        .arg(fixture("docker-save/README.md")));
    for (bad, needle) in [
        ("sha256:../x", "invalid digest"),
        (&format!("sha256:{}", "A".repeat(64)), "lowercase"),
        ("sha256:abc", "hex digits"),
        (&format!("md5:{}", "a".repeat(32)), "unsupported algorithm"),
    ] {
        let e = fails_with(store_cmd(&store).args(["cat-blob", bad]), 3);
        assert!(
            e.starts_with("lade: error: ") && e.contains(needle),
            "{bad}: {e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    let e = fails_with(store_cmd(&store).args(["tag", "sha256:x", "y"]), 3);
    assert!(e.contains("invalid digest"), "{e}");
    // A blob of the store that is no manifest is said to be so: no
    // manifest by that digest, a negative answer (exit 1), -e silent.
    let readme = sha256sum(&fixture("docker-save/README.md"));
    for args in [&["tag", &readme, "y"][..], &["cat-manifest", &readme]] {
        let cmd = args[0];
        let e = fails_with(store_cmd(&store).args(args), 1);
        assert!(
            e.contains(&format!(
                "{readme} is a blob of the store, but no manifest or index"
            )),
            "{cmd}: {e}"
        );
    }
    // (a blob larger than any manifest is not read to say so)
    let big = t.path().join("big");
    fs::write(&big, vec![b'{'; 5 << 20]).unwrap();
    ok(store_cmd(&store).args(["hash-object", "-w"]).arg(&big));
    let big = sha256sum(&big);
    for d in [&readme, &big] {
        let out = run(store_cmd(&store).args(["cat-manifest", "-e", d]));
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    }
    let e = fails_with(store_cmd(&store).args(["cat-manifest", &big]), 1);
    assert!(e.contains("more than a manifest's"), "{e}");
    let e = fails_with(store_cmd(&store).args(["untag", "bad name"]), 3);
    assert!(e.contains("invalid ref name"), "{e}");
    let e = fails_with(store_cmd(&store).args(["untag", "../x"]), 3);
    assert!(e.contains("invalid ref name"), "{e}");

    // missing oci-layout
    let no_layout = t.path().join("nolayout");
    fs::create_dir_all(&no_layout).unwrap();
    fs::write(no_layout.join("index.json"), "{}").unwrap();
    let e = fails_with(store_cmd(&no_layout).arg("ls-refs"), 3);
    assert!(e.contains("oci-layout"), "{e}");
    // wrong version
    fs::write(
        no_layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"9.9.9"}"#,
    )
    .unwrap();
    let e = fails_with(store_cmd(&no_layout).arg("ls-refs"), 3);
    assert!(e.contains("imageLayoutVersion"), "{e}");
    // index.json not an index
    fs::write(
        no_layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    fs::write(
        no_layout.join("index.json"),
        r#"{"schemaVersion":2,"layers":[]}"#,
    )
    .unwrap();
    let e = fails_with(store_cmd(&no_layout).arg("ls-refs"), 3);
    assert!(e.contains("not an image index"), "{e}");
    // a blob that is a symlink
    let target = t.path().join("outside");
    fs::write(&target, b"secret").unwrap();
    let d = Command::new("sha256sum").arg(&target).output().unwrap();
    let hex = String::from_utf8(d.stdout).unwrap()[..64].to_string();
    std::os::unix::fs::symlink(&target, store.join("blobs/sha256").join(&hex)).unwrap();
    let e = fails_with(
        store_cmd(&store).args(["cat-blob", &format!("sha256:{hex}")]),
        3,
    );
    assert!(e.contains("symlink"), "{e}");
    let out = run(store_cmd(&store).arg("fsck"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is a symlink"));
    // usage errors are exit 2
    fails_with(lade().arg("hash-object"), 2);
    fails_with(lade().arg("no-such-command"), 2);
}

#[test]
fn concurrent_writers_lose_no_tag_and_leave_no_temp_files() {
    let t = tempdir();
    let store = t.path().join("s");
    let m = t.path().join("m.json");
    fs::write(&m, br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#).unwrap();
    let d = ok_str(
        store_cmd(&store)
            .args([
                "hash-object",
                "-w",
                "-t",
                "application/vnd.oci.image.index.v1+json",
            ])
            .arg(&m),
    );
    let mut children = Vec::new();
    for i in 0..12 {
        let f = t.path().join(format!("blob{i}"));
        fs::write(&f, vec![i as u8; 300_000]).unwrap();
        let mut c = store_cmd(&store);
        c.args(["hash-object", "-w"]).arg(&f);
        children.push(c.spawn().unwrap());
        let mut c = store_cmd(&store);
        c.args(["tag", &d, &format!("img:{i}")]);
        children.push(c.spawn().unwrap());
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let refs = ok_str(store_cmd(&store).arg("ls-refs"));
    let mut names: Vec<&str> = refs
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    names.sort();
    let mut want: Vec<String> = (0..12).map(|i| format!("img:{i}")).collect();
    want.sort();
    assert_eq!(names, want);
    let temps: Vec<_> = fs::read_dir(&store)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".lade-tmp"))
        .collect();
    assert!(temps.is_empty());
    ok(store_cmd(&store).arg("fsck"));
}

/// Processes started at once on a store that is not there yet (a missing
/// path, an empty directory) all write into one layout: none sees it half
/// made.
#[test]
fn processes_making_one_new_store_at_once_all_succeed() {
    let t = tempdir();
    let blob = t.path().join("blob");
    fs::write(&blob, b"one blob").unwrap();
    for round in 0..6 {
        let store = t.path().join(format!("s{round}"));
        if round % 2 == 1 {
            fs::create_dir(&store).unwrap();
        }
        let children: Vec<_> = (0..8)
            .map(|_| {
                store_cmd(&store)
                    .args(["hash-object", "-w"])
                    .arg(&blob)
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        ok(store_cmd(&store).arg("fsck"));
    }
}

/// A store with one blob, and `hash-object -w --stdin` writing another
/// into it, fed `part` and left waiting for the rest (its stdin is
/// returned: dropping it ends the input). `env_args` go to env(1) before
/// lade: signal dispositions to start it with.
fn write_half_a_blob(
    store: &Path,
    part: &[u8],
    env_args: &[&str],
) -> (std::process::Child, std::process::ChildStdin) {
    use std::io::Write;
    ok(store_cmd(store)
        .arg("hash-object")
        .arg("-w")
        .arg(fixture("docker-save/README.md")));
    let mut child = Command::new("env")
        .args(env_args)
        .arg(env!("CARGO_BIN_EXE_lade"))
        .arg("--store")
        .arg(store)
        .args(["hash-object", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(part).unwrap();
    stdin.flush().unwrap();
    (child, stdin)
}

/// Wait up to a minute for `child` to end; kill it and fail past that.
fn wait_a_minute(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if t0.elapsed().as_secs() >= 60 {
            let _ = child.kill();
            panic!("{what}: still running after 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn killed_blob_write_leaves_no_blob() {
    let t = tempdir();
    let store = t.path().join("s");
    let data = vec![7u8; 8 << 20];
    let (mut child, _stdin) = write_half_a_blob(&store, &data[..4 << 20], &[]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let full = run_with_input(lade().args(["hash-object", "--stdin"]), &data);
    let d = String::from_utf8(full.stdout).unwrap().trim().to_string();
    let half = run_with_input(lade().args(["hash-object", "--stdin"]), &data[..4 << 20]);
    let dh = String::from_utf8(half.stdout).unwrap().trim().to_string();
    for digest in [d, dh] {
        let p = store
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"));
        assert!(!p.exists(), "{} exists after a killed write", p.display());
    }
    ok(store_cmd(&store).arg("fsck"));
}

/// Interrupted (Ctrl-C, SIGTERM, SIGHUP), lade removes the temp files of
/// the writes it was in the middle of, then dies of the signal as it
/// would have: nothing of them is left behind.
#[test]
fn interrupted_writes_leave_no_temp_files() {
    use rustix::process::{kill_process, Pid, Signal};
    use std::io::Write;
    use std::os::unix::process::ExitStatusExt;
    let temps = |store: &Path| -> Vec<String> {
        fs::read_dir(store)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".lade-tmp"))
            .collect()
    };
    let wait_for_temp = |store: &Path| {
        let t0 = std::time::Instant::now();
        while temps(store).is_empty() {
            assert!(t0.elapsed().as_secs() < 20, "no temp file appeared");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    // Started with the default action for each (whatever the test runner
    // inherited: a background job ignores SIGINT, say).
    let default = ["--default-signal=HUP,INT,TERM"];
    for sig in [Signal::INT, Signal::TERM, Signal::HUP] {
        let t = tempdir();
        let store = t.path().join("s");
        let (mut child, stdin) = write_half_a_blob(&store, &[7u8; 4 << 20], &default);
        wait_for_temp(&store);
        let pid = Pid::from_raw(child.id() as i32).unwrap();
        kill_process(pid, sig).unwrap();
        let status = wait_a_minute(&mut child, &format!("{sig:?}"));
        drop(stdin);
        assert_eq!(status.signal(), Some(sig.as_raw()), "{sig:?}: {status:?}");
        assert!(temps(&store).is_empty(), "{sig:?}: {:?}", temps(&store));
        ok(store_cmd(&store).arg("fsck"));
    }
    // Signals ignored when lade starts (nohup, a script's background job)
    // stay ignored: the write goes on and completes.
    let t = tempdir();
    let store = t.path().join("s");
    let (mut child, mut stdin) = write_half_a_blob(
        &store,
        &[7u8; 1 << 20],
        &["--default-signal=TERM", "--ignore-signal=HUP,INT"],
    );
    wait_for_temp(&store);
    let pid = Pid::from_raw(child.id() as i32).unwrap();
    for sig in [Signal::HUP, Signal::INT] {
        kill_process(pid, sig).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    stdin.write_all(&[7u8; 1 << 20]).unwrap();
    drop(stdin);
    let status = wait_a_minute(&mut child, "ignored signals");
    assert!(status.success(), "{status:?}");
    let mut d = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut d).unwrap();
    assert!(d.starts_with("sha256:"), "{d}");
    ok(store_cmd(&store).args(["cat-blob", "-e", d.trim()]));
}

/// A signal while a copy makes its destination layout (index.json
/// written, oci-layout not yet) takes back what the making added: no
/// directory is left that is not a layout (fsck, gc and skopeo refused
/// it), the parents made for it go too, and what was there (a directory,
/// an empty blobs/sha256 in it) stays. Once oci-layout is
/// written, the layout stays, whole. (strace holds lade after the Nth
/// rename, index.json's or oci-layout's, while the test signals it.)
#[test]
fn a_signal_while_a_layout_is_made_leaves_a_layout_or_nothing() {
    use rustix::process::{kill_process, Pid, Signal};
    if !require_tool("strace") {
        return;
    }
    let src = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker20.tar").display()
    );
    // (the Nth rename to hold lade after; what is there before; whether
    // a whole layout stays)
    for (nth, before, stays) in [
        (1, "nothing", false),
        (1, "an empty directory", false),
        (1, "missing parents", false),
        (1, "an empty blobs/sha256", false),
        (2, "nothing", true),
    ] {
        let what = format!("rename {nth}, {before} there");
        let t = tempdir();
        let dst = match before {
            "missing parents" => t.path().join("a/b/dst"),
            _ => t.path().join("dst"),
        };
        match before {
            "an empty directory" => fs::create_dir(&dst).unwrap(),
            "an empty blobs/sha256" => fs::create_dir_all(dst.join("blobs/sha256")).unwrap(),
            _ => {}
        }
        let mut child = Command::new("strace")
            .args([
                "-f",
                "-o",
                "/dev/null",
                "-e",
                "trace=renameat,renameat2,rename",
            ])
            .arg("-e")
            .arg(format!(
                "inject=renameat,renameat2,rename:delay_exit=2000000:when={nth}"
            ))
            .arg(env!("CARGO_BIN_EXE_lade"))
            .args(["copy", "-q", &src])
            .arg(format!("oci:{}:x", dst.display()))
            .spawn()
            .unwrap();
        let file = if nth == 1 { "index.json" } else { "oci-layout" };
        let t0 = std::time::Instant::now();
        while !dst.join(file).exists() {
            assert!(t0.elapsed().as_secs() < 20, "{what}: no {file}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // lade: strace's child
        let children =
            fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id())).unwrap();
        let pid: i32 = children.split_whitespace().next().unwrap().parse().unwrap();
        kill_process(Pid::from_raw(pid).unwrap(), Signal::TERM).unwrap();
        // (strace lets lade end only when the delay is over, but the
        // signal's removal is done by then, and lade goes no further)
        let status = wait_a_minute(&mut child, &what);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(Signal::TERM.as_raw()),
            "{what}: {status:?}"
        );
        // everything under the temp dir, directories too, sorted
        fn all(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                out.push(p.clone());
                if p.is_dir() {
                    all(&p, out);
                }
            }
        }
        let left = || -> Vec<String> {
            let mut v = Vec::new();
            all(t.path(), &mut v);
            let mut v: Vec<String> = v
                .iter()
                .map(|p| p.strip_prefix(t.path()).unwrap().display().to_string())
                .collect();
            v.sort();
            v
        };
        match before {
            _ if stays => drop(ok(store_cmd(&dst).arg("fsck"))),
            "an empty directory" => assert_eq!(left(), ["dst"], "{what}"),
            "an empty blobs/sha256" => {
                assert_eq!(left(), ["dst", "dst/blobs", "dst/blobs/sha256"], "{what}")
            }
            _ => assert!(left().is_empty(), "{what}: {:?}", left()),
        }
    }
}

/// logout says what it removed on stdout (as skopeo); a stdout that
/// cannot be written is a one-line error, not a panic.
#[test]
fn logout_says_on_stdout_and_a_full_stdout_is_an_error() {
    let t = tempdir();
    let auth = t.path().join("auth.json");
    let write = || fs::write(&auth, br#"{"auths":{"r.example:5000":{"auth":"YTpi"}}}"#).unwrap();
    write();
    let out = ok_str(lade().args(["logout", "--all", "--authfile"]).arg(&auth));
    assert_eq!(out, "Removed login credentials for all registries");
    write();
    let full = fs::File::create("/dev/full").unwrap();
    let o = run(lade()
        .args(["logout", "r.example:5000", "--authfile"])
        .arg(&auth)
        .stdout(full));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(
        err,
        "lade: error: writing to standard output: No space left on device\n"
    );
}

#[test]
fn broken_pipe_exits_zero() {
    let t = tempdir();
    let p = t.path().join("big");
    fs::write(&p, vec![1u8; 4 << 20]).unwrap();
    let store = t.path().join("s");
    let d = ok_str(store_cmd(&store).args(["hash-object", "-w"]).arg(&p));
    let sh = format!(
        "{} --store {} cat-blob {d} | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_lade"),
        store.display()
    );
    let out = ok_str(Command::new("bash").arg("-c").arg(sh));
    assert_eq!(out, "0");
}

#[test]
fn manifest_digest_agrees_with_skopeo() {
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let dir = t.path().join("layout");
    skopeo_layout(&dir);
    let m = t.path().join("manifest.json");
    fs::write(&m, ok(store_cmd(&dir).args(["cat-manifest", "tiny"]))).unwrap();
    let ours = ok_str(lade().arg("manifest-digest").arg(&m));
    let theirs = ok_str(Command::new("skopeo").arg("manifest-digest").arg(&m));
    assert_eq!(ours, theirs);
}

#[test]
fn convert_round_trips_between_formats() {
    let t = tempdir();
    let dir = t.path().join("layout");
    if !skopeo_layout(&dir) {
        return;
    }
    let oci = ok(store_cmd(&dir).args(["cat-manifest", "tiny"]));
    let oci_digest = ok_str(store_cmd(&dir).args(["ls-refs"]))
        .split('\t')
        .nth(1)
        .unwrap()
        .to_string();
    // A --tag that cannot name a ref is refused before anything is written.
    let blobs = || fs::read_dir(dir.join("blobs/sha256")).unwrap().count();
    let before = blobs();
    let bad_tag = "sha256:".to_string() + &"a".repeat(64);
    fails_with(
        store_cmd(&dir).args(["convert", "--to", "docker", "--tag", &bad_tag, "tiny"]),
        3,
    );
    assert_eq!(blobs(), before, "no manifest left behind");
    let docker =
        ok_str(store_cmd(&dir).args(["convert", "--to", "docker", "--tag", "tiny:docker", "tiny"]));
    let dm = json(&ok(store_cmd(&dir).args(["cat-manifest", &docker])));
    assert_eq!(
        dm["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        dm["config"]["mediaType"],
        "application/vnd.docker.container.image.v1+json"
    );
    let om = json(&oci);
    assert_eq!(
        dm["config"]["digest"], om["config"]["digest"],
        "config untouched"
    );
    for (a, b) in dm["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(om["layers"].as_array().unwrap())
    {
        assert_eq!(a["digest"], b["digest"]);
        assert_eq!(
            a["mediaType"],
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
        );
    }
    let back = ok_str(store_cmd(&dir).args(["convert", "--to", "oci", "tiny:docker"]));
    assert_eq!(back, oci_digest, "docker -> oci gives back the same bytes");
    // Annotations have no place in a Docker manifest: said as they go.
    let mut annotated = json(&oci);
    annotated["annotations"] = serde_json::json!({"org.example.k": "v"});
    let bytes = serde_json::to_vec(&annotated).unwrap();
    let f = t.path().join("annotated.json");
    fs::write(&f, &bytes).unwrap();
    let d = ok_str(store_cmd(&dir).args(["hash-object", "-w"]).arg(&f));
    ok(store_cmd(&dir).args(["tag", &d, "ann"]));
    let e = ok_stderr(store_cmd(&dir).args(["convert", "--to", "docker", "ann"]));
    assert!(
        e.contains(&format!("{d}: its annotations are left out")),
        "{e}"
    );
    let e = ok_stderr(store_cmd(&dir).args(["convert", "--to", "docker", "tiny"]));
    assert_eq!(e, "", "nothing left out of one without");
    // So does copy --format v2s2, once.
    let e = ok_stderr(lade().args(["copy", "-q", "--format", "v2s2"]).args([
        format!("oci:{}:ann", dir.display()),
        format!("oci:{}:ann", t.path().join("v2s2").display()),
    ]));
    assert_eq!(
        e.matches(&format!("{d}: its annotations are left out"))
            .count(),
        1,
        "{e}"
    );
    ok(store_cmd(&dir).arg("fsck"));
    // skopeo reads only OCI-typed entries of a layout; the original stays readable.
    ok(Command::new("skopeo").args(["inspect", &format!("oci:{}:tiny", dir.display())]));
    // An index holding an index does not become a Docker list (which
    // cannot hold one); to OCI it goes.
    let entry = serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": oci_digest, "size": oci.len(),
        "platform": {"architecture": "amd64", "os": "linux"}});
    let put_index = |manifests: serde_json::Value| -> (String, usize) {
        let bytes = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}))
        .unwrap();
        let f = t.path().join("index.json");
        fs::write(&f, &bytes).unwrap();
        let d = ok_str(
            store_cmd(&dir)
                .args([
                    "hash-object",
                    "-w",
                    "-t",
                    "application/vnd.oci.image.index.v1+json",
                ])
                .arg(&f),
        );
        (d, bytes.len())
    };
    let (inner, n) = put_index(serde_json::json!([entry]));
    let (outer, _) = put_index(
        serde_json::json!([{"mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": inner, "size": n}]),
    );
    ok(store_cmd(&dir).args(["tag", &outer, "nested"]));
    let err = fails_with(
        store_cmd(&dir).args(["convert", "--to", "docker", "nested"]),
        3,
    );
    assert!(err.contains("cannot hold another list"), "{err}");
    assert_eq!(
        ok_str(store_cmd(&dir).args(["convert", "--to", "oci", "nested"])),
        outer
    );

    // An index whose image converts but whose artifact does not: nothing
    // is written, not even the image's new manifest.
    let art = t.path().join("art.json");
    let art_bytes = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/x.test",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
        "layers": []}))
    .unwrap();
    fs::write(&art, &art_bytes).unwrap();
    fs::write(t.path().join("empty"), b"{}").unwrap();
    ok(store_cmd(&dir)
        .args(["hash-object", "-w"])
        .arg(t.path().join("empty")));
    let art_digest = ok_str(
        store_cmd(&dir)
            .args([
                "hash-object",
                "-w",
                "-t",
                "application/vnd.oci.image.manifest.v1+json",
            ])
            .arg(&art),
    );
    let (mixed, _) = put_index(serde_json::json!([entry, {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": art_digest, "size": art_bytes.len()}]));
    ok(store_cmd(&dir).args(["tag", &mixed, "mixed"]));
    // (the image's Docker manifest made above goes)
    ok(store_cmd(&dir).args(["untag", "tiny:docker"]));
    ok(store_cmd(&dir).args(["gc", "--grace", "0"]));
    let blobs = || fs::read_dir(dir.join("blobs/sha256")).unwrap().count();
    let before = blobs();
    let err = fails_with(
        store_cmd(&dir).args(["convert", "--to", "docker", "mixed"]),
        3,
    );
    assert!(err.contains("artifact"), "{err}");
    assert_eq!(blobs(), before);
}

/// Before the first write there is no store: reading commands answer
/// "not there" (exit 1; -e silently), ls-refs lists nothing, and none of
/// them makes it.
#[test]
fn a_store_not_made_yet_is_empty() {
    let t = tempdir();
    let home = t.path().join("xdg");
    let cmd = || {
        let mut c = lade();
        c.env_remove("LADE_STORE").env("XDG_DATA_HOME", &home);
        c
    };
    let d = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    for args in [
        &["cat-blob", "-e", d][..],
        &["cat-manifest", "-e", "app:1"][..],
        &["cat-config", "-e", "app:1"][..],
    ] {
        let err = fails_with(cmd().args(args), 1);
        assert_eq!(err, "", "{args:?}");
    }
    let out = t.path().join("out");
    let out = out.to_str().unwrap();
    for args in [
        &["cat-manifest", "app:1"][..],
        &["unpack", "app:1", out][..],
        &["unpack-layer", d, out][..],
    ] {
        let err = fails_with(cmd().args(args), 1);
        assert!(
            err.contains("no such directory (the first write makes it)"),
            "{args:?}: {err}"
        );
    }
    assert!(!Path::new(out).exists());
    // Neither a transport nor a ref: said as an image name.
    let err = fails_with(cmd().args(["unpack", "oci-layout:/x:a"]).arg(out), 3);
    assert!(err.contains("unknown transport \"oci-layout\""), "{err}");
    // A ref not there that begins with a mistyped transport and a
    // relative path (a ref's grammar; `ocii:/x` is no ref, and was said
    // as an image name already): the image name meant is said, as
    // inspect and copy say it (no store, or a store without it); a ref
    // there by that name is unpacked.
    let lay = t.path().join("lay");
    ok(lade().args([
        "copy",
        "-q",
        &format!(
            "docker-archive:{}",
            fixture("docker-save/tiny-docker26.tar").display()
        ),
        &format!("oci:{}:tiny", lay.display()),
    ]));
    for (store, typo) in [
        (None, "ocii:lay:tiny"),
        (Some(&lay), "ocii:lay:tiny"),
        (Some(&lay), "OCI:lay:tiny"),
    ] {
        let mut c = cmd();
        c.current_dir(t.path());
        if let Some(s) = store {
            c.arg("--store").arg(s);
        }
        let err = fails_with(c.args(["unpack", "-q", typo]).arg(out), 1);
        let t0 = typo.split(':').next().unwrap();
        assert!(
            err.contains(&format!(
                "\"{t0}\" is no transport; did you mean oci:lay:tiny?"
            )),
            "{store:?} {typo}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!Path::new(out).exists());
    }
    ok(lade()
        .arg("--store")
        .arg(&lay)
        .args(["tag", "tiny", "ocii:x"]));
    ok(lade()
        .arg("--store")
        .arg(&lay)
        .args(["unpack", "-q", "ocii:x"])
        .arg(out));
    fs::remove_dir_all(out).unwrap();
    // (NAME:TAG is a ref, however bad its tag)
    let err = fails_with(cmd().args(["unpack", "app:v1_"]).arg(out), 3);
    assert!(
        err.contains("nor a store ref (components must start"),
        "{err}"
    );
    let err = fails_with(cmd().args(["unpack", "/x/app"]).arg(out), 3);
    assert!(
        err.contains("neither TRANSPORT:DETAILS (transports: dir, docker")
            && err.contains("nor a store ref (empty path component)"),
        "{err}"
    );
    assert_eq!(ok(cmd().arg("ls-refs")), b"");
    assert!(!home.exists(), "a read made the store");
    // A store named that is not there: said so (a typo is not an empty store).
    let err = fails_with(cmd().arg("--store").arg(&home).arg("ls-refs"), 1);
    assert!(err.contains("no such directory"), "{err}");
    let err = fails_with(cmd().env("LADE_STORE", &home).arg("ls-refs"), 1);
    assert!(err.contains("no such directory"), "{err}");
    // A relative XDG_DATA_HOME is passed over (the XDG spec), for HOME's.
    let user = t.path().join("user");
    let o = run(cmd()
        .env("XDG_DATA_HOME", "rel")
        .env("HOME", &user)
        .current_dir(t.path())
        .args(["hash-object", "-w", "--stdin"]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !t.path().join("rel").exists(),
        "made under the working directory"
    );
    assert!(user.join(".local/share/lade/store/oci-layout").is_file());
}

/// A foreign index.json with a ref name holding a tab and a newline, and
/// a name given to two images: ls-refs cannot be made to print a forged
/// line, and fsck reports both names.
#[test]
fn hostile_ref_names_are_shown_escaped_and_reported() {
    let t = tempdir();
    let dir = t.path().join("layout");
    if !skopeo_layout(&dir) {
        return;
    }
    let mut index = json(&fs::read(dir.join("index.json")).unwrap());
    let good = index["manifests"][0].clone();
    let forged = format!("evil\tname\nfake\tsha256:{}\tx\t1", "0".repeat(64));
    let mut evil = good.clone();
    evil["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": forged});
    // "tiny" again, for another digest (the config blob, as a manifest).
    let mut twice = good.clone();
    twice["digest"] = serde_json::json!(format!("sha256:{}", "ab".repeat(32)));
    // 10 KB of name: fsck says its start.
    let mut long = good.clone();
    long["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": format!("/{}", "x".repeat(10_000))});
    // One that reads as a digest (no name can reach it).
    let mut digest_like = good.clone();
    digest_like["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": format!("sha256:{}", "0".repeat(64))});
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .extend([evil, twice, long, digest_like]);
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();

    let out = String::from_utf8(ok(store_cmd(&dir).arg("ls-refs"))).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines.iter().all(|l| l.split('\t').count() == 4), "{out}");
    assert!(lines[1].starts_with("evil\\tname\\nfake\\t"), "{out}");

    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("bad ref: invalid ref name \"evil\\tname")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("bad ref: \"tiny\" names both")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("bad ref: ref name \"sha256:000")
                && l.contains("looks like a digest")),
        "{text}"
    );
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 400), "{text}");
}

/// An OCI layout holding one artifact manifest (artifactType, the empty
/// config, an SPDX layer) tagged `art`.
fn artifact_layout(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> String {
        let hex = sha256_hex(bytes);
        fs::write(blobs.join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    };
    let sbom = br#"{"spdxVersion":"SPDX-2.3"}"#;
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/spdx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": put(b"{}"), "size": 2},
        "layers": [{"mediaType": "application/spdx+json", "digest": put(sbom), "size": sbom.len()}],
    }))
    .unwrap();
    let m = put(&manifest);
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": m, "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": "art"}}],
        }))
        .unwrap(),
    )
    .unwrap();
}

/// A Docker v2s2 manifest holds images only: an artifact is refused
/// (exit 3, naming what it is) by convert and by a copy that would
/// convert it, and nothing is written; copied as it is, it arrives whole.
#[test]
fn an_artifact_is_not_made_a_docker_manifest() {
    let t = tempdir();
    let dir = t.path().join("layout");
    artifact_layout(&dir);
    let before = store_files(&dir);
    let e = fails_with(
        store_cmd(&dir).args(["convert", "--to", "docker", "art"]),
        3,
    );
    assert!(
        e.contains("artifact (artifactType application/spdx+json)") && e.contains("v2s2"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    assert_eq!(store_files(&dir), before);
    let src = format!("oci:{}:art", dir.display());
    let d = t.path().join("d");
    let e = fails_with(
        lade()
            .args(["copy", "--format", "v2s2", &src])
            .arg(format!("dir:{}", d.display())),
        3,
    );
    assert!(e.contains("artifact"), "{e}");
    assert!(!d.exists());
    let ar = t.path().join("a.tar");
    let e = fails_with(
        lade()
            .args(["copy", &src])
            .arg(format!("docker-archive:{}", ar.display())),
        3,
    );
    assert!(e.contains("artifact"), "{e}");
    assert!(!ar.exists());
    let other = t.path().join("other");
    ok(lade()
        .args(["copy", "-q", &src])
        .arg(format!("oci:{}:art", other.display())));
    assert_eq!(
        ok(store_cmd(&other).args(["cat-manifest", "art"])),
        ok(store_cmd(&dir).args(["cat-manifest", "art"]))
    );
}

/// `tag` names the manifest as it is: through an index.json entry with a
/// wrong size (by name or by digest), the new ref has the real size, and
/// reads; the damaged entry stays damaged (fsck says so).
#[test]
fn tag_writes_the_manifests_real_size() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut v = json(&fs::read(&index).unwrap());
    let size = v["manifests"][0]["size"].as_u64().unwrap();
    let digest = v["manifests"][0]["digest"].as_str().unwrap().to_string();
    v["manifests"][0]["size"] = 5.into();
    fs::write(&index, serde_json::to_vec(&v).unwrap()).unwrap();
    ok(store_cmd(&dir).args(["tag", "x", "by-name"]));
    ok(store_cmd(&dir).args(["tag", &digest, "by-digest"]));
    let refs = ok_str(store_cmd(&dir).arg("ls-refs"));
    for name in ["by-name", "by-digest"] {
        let line = refs.lines().find(|l| l.starts_with(name)).unwrap();
        assert!(line.ends_with(&format!("\t{size}")), "{refs}");
        ok(store_cmd(&dir).args(["cat-manifest", name]));
    }
    fails_with(store_cmd(&dir).args(["cat-manifest", "x"]), 3);
}

/// hash-object -w that fails (an object that is not what -t says) takes
/// back the store it made: a new directory goes, an empty one is left
/// empty; one that was there keeps what it held.
#[test]
fn a_failed_hash_object_write_leaves_no_new_store() {
    let t = tempdir();
    let bad = t.path().join("bad.json");
    fs::write(&bad, b"{}").unwrap();
    let write = |store: &Path| {
        fails_with(
            store_cmd(store)
                .args([
                    "hash-object",
                    "-w",
                    "-t",
                    "application/vnd.oci.image.manifest.v1+json",
                ])
                .arg(&bad),
            3,
        )
    };
    let new = t.path().join("new");
    write(&new);
    assert!(!new.exists());
    let empty = t.path().join("empty");
    fs::create_dir(&empty).unwrap();
    write(&empty);
    assert_eq!(fs::read_dir(&empty).unwrap().count(), 0);
    let d = run_with_input(
        store_cmd(&empty).args(["hash-object", "-w", "--stdin"]),
        b"x",
    );
    assert!(d.status.success());
    write(&empty);
    assert_eq!(
        store_files(&empty).len(),
        1,
        "the blob written before stays"
    );
}

/// gc says what it does with stale temp files (a write killed long ago
/// left them): --dry-run counts them and leaves them; gc removes them,
/// and their bytes count as freed; within the grace period they are a
/// write under way, and stay.
#[test]
fn gc_says_the_stale_temp_files_it_removes() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let stale = dir.join(".lade-tmp-stale");
    fs::write(&stale, vec![1u8; 1000]).unwrap();
    let err = ok_stderr(store_cmd(&dir).arg("gc"));
    assert!(err.contains("removed 0 blobs, 0 bytes freed"), "{err}");
    assert!(stale.exists(), "young: a write under way");
    let err = ok_stderr(store_cmd(&dir).args(["gc", "--dry-run", "--grace", "0"]));
    assert!(
        err.contains("would remove 0 blobs and 1 stale temp file (1000 bytes), 1000 bytes freed"),
        "{err}"
    );
    assert!(stale.exists());
    let err = ok_stderr(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert!(
        err.contains("removed 0 blobs and 1 stale temp file"),
        "{err}"
    );
    assert!(!stale.exists());
    // One gc cannot open (another user's, 0600) is left to the grace
    // period, as where there are no locks: removed all the same.
    if !common::require_tool("setpriv") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let open = |p: &Path, mode| fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    // (in /tmp: the test run's own temp dir is its user's alone)
    let shared = tempfile::Builder::new()
        .prefix("lade-gc-test")
        .tempdir_in("/tmp")
        .unwrap();
    open(shared.path(), 0o755);
    let dir = shared.path().join("l");
    tiny_layout(&dir);
    let stale = dir.join(".lade-tmp-stale");
    open(&dir, 0o777);
    fs::write(&stale, vec![1u8; 1000]).unwrap();
    open(&stale, 0o600);
    for sub in ["blobs", "blobs/sha256"] {
        open(&dir.join(sub), 0o777);
    }
    let o = run(Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_lade"))
        .arg("--store")
        .arg(&dir)
        .args(["gc", "--grace", "0"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("1 stale temp file"), "{err}");
    assert!(!stale.exists());
}

/// A copy that outlasts gc's grace period loses the blobs it wrote first
/// to the gc; it then fails, naming the blob, and writes no ref (it wrote
/// one to an image with missing blobs, and exited 0).
#[test]
fn a_copy_whose_blobs_a_gc_removed_writes_no_ref() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let src = t.path().join("src");
    let desc = support::image(&src, "amd64", "t", false, 1 << 20);
    support::write_layout(&src, &[("t", desc.clone())]);
    let repo = unique("gcrace/a");
    support::push_layout(&reg, &src, &repo, "t", &desc);
    let m = json(
        &fs::read(
            src.join("blobs/sha256")
                .join(&desc["digest"].as_str().unwrap()[7..]),
        )
        .unwrap(),
    );
    let hex = |v: &serde_json::Value| v["digest"].as_str().unwrap()[7..].to_string();
    let (config, base) = (hex(&m["config"]), hex(&m["layers"][0]));
    // A store holding another image; the copy's base layer held back.
    let store = t.path().join("store");
    let dest = format!("oci:{}:app", store.display());
    ok(lade()
        .args(["copy", "-q", &format!("oci:{}:t", src.display())])
        .arg(format!("oci:{}:other", store.display())));
    ok(store_cmd(&store).args(["untag", "other"]));
    ok(store_cmd(&store).args(["gc", "--grace", "0"]));
    assert!(!store.join("blobs/sha256").join(&config).exists());
    let proxy = support::Counter::start(&reg);
    proxy.hold("GET", &base);
    let child = lade()
        .args(["copy", "-q", "--src-tls-verify=false"])
        .arg(format!("docker://{}/{repo}:t", proxy.addr))
        .arg(&dest)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !store.join("blobs/sha256").join(&config).exists() {
        assert!(t0.elapsed().as_secs() < 30, "the config never arrived");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // A gc with a grace shorter than the copy has run: the config goes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let gc = ok_str(store_cmd(&store).args(["gc", "--grace", "1"]));
    assert!(!store.join("blobs/sha256").join(&config).exists(), "{gc}");
    proxy.release();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    // (the config, or the small layer, gone as well)
    assert!(err.contains(" is missing from "), "{err}");
    assert!(err.contains("no ref was written"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!ok_str(store_cmd(&store).arg("ls-refs")).contains("app"));
    ok(store_cmd(&store).arg("fsck"));
    // Run again, it completes.
    ok(lade()
        .args(["copy", "-q", "--src-tls-verify=false"])
        .arg(format!("docker://{}/{repo}:t", proxy.addr))
        .arg(&dest));
    ok(store_cmd(&store).arg("fsck"));
}

/// fsck while an untag and a gc run: the blobs the gc removes after fsck
/// listed them are no longer reachable, so no damage. fsck said "bad entry
/// …: No such file or directory" for each and exited 1. The gc starts once
/// fsck has a blob open (it is hashing); the untagged image's blobs are the
/// smallest, hashed last.
#[test]
fn fsck_while_untag_and_gc_run_reports_no_false_damage() {
    let t = tempdir();
    let dir = t.path().join("s");
    let base = support::noise(7, 25 << 20);
    let mut k = 0u64;
    let mut image = |n: usize| {
        let layers: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                k += 1;
                let mut l = base.clone();
                l[..8].copy_from_slice(&k.to_le_bytes());
                l
            })
            .collect();
        let ids: Vec<String> = layers
            .iter()
            .map(|l| format!("sha256:{}", sha256_hex(l)))
            .collect();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": ids},
        }))
        .unwrap();
        support::image_of(&dir, false, &config, &layers)
    };
    let (a, c) = (image(8), image(8));
    let mut raced = 0;
    for _ in 0..3 {
        support::write_layout(&dir, &[("a", a.clone()), ("b", image(1)), ("c", c.clone())]);
        let blobs = fs::canonicalize(dir.join("blobs/sha256")).unwrap();
        let mut fsck = store_cmd(&dir)
            .arg("fsck")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let fds = format!("/proc/{}/fd", fsck.id());
        let hashing = || {
            fs::read_dir(&fds).map_or(true, |rd| {
                rd.flatten()
                    .any(|e| fs::read_link(e.path()).is_ok_and(|p| p.starts_with(&blobs)))
            })
        };
        let t0 = std::time::Instant::now();
        while !hashing() {
            assert!(t0.elapsed().as_secs() < 30, "fsck never opened a blob");
        }
        ok(store_cmd(&dir).args(["untag", "b"]));
        let gc = ok_stderr(store_cmd(&dir).args(["gc", "--grace", "0"]));
        assert!(gc.contains("removed 3 blobs"), "{gc}");
        if fsck.try_wait().unwrap().is_none() {
            raced += 1;
        }
        let out = fsck.wait_with_output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        assert!(!stdout.contains("bad entry"), "{stdout}");
        assert!(stderr.contains(" 0 problems"), "{stderr}");
    }
    // (else the gc never ran while fsck did, and this proved nothing)
    assert!(raced > 0, "fsck ended before each gc did");
    // A blob index.json still reaches that is gone is still damage.
    fs::remove_file(
        dir.join("blobs/sha256")
            .join(&a["digest"].as_str().unwrap()[7..]),
    )
    .unwrap();
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("dangling ref a: "), "{stdout}");
}

/// What refers to an image (a `subject`, of a manifest or of an index)
/// does not keep it: a referrer whose subject is gone is no damage, and
/// gc runs. Untagging an image drops its unnamed referrers, and theirs,
/// from index.json, so gc takes them with it.
#[test]
fn referrers_follow_their_subject() {
    use serde_json::json;
    use support::{put_blob, OCI_INDEX, OCI_MANIFEST};
    let t = tempdir();
    let l = t.path().join("l");
    let image = support::image(&l, "amd64", "t", false, 1000);
    let (empty, _) = put_blob(&l, b"{}");
    let artifact = |subject: &serde_json::Value, kind: &str| {
        let m = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": kind,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [], "subject": subject,
        }))
        .unwrap();
        let (d, n) = put_blob(&l, &m);
        json!({"mediaType": OCI_MANIFEST, "digest": d, "size": n, "artifactType": kind})
    };
    let subject =
        json!({"mediaType": OCI_MANIFEST, "digest": image["digest"], "size": image["size"]});
    let sig = artifact(&subject, "application/x-sig");
    let sig_of_sig = artifact(
        &json!({"mediaType": OCI_MANIFEST, "digest": sig["digest"], "size": sig["size"]}),
        "application/x-sig",
    );
    // An index referrer whose subject was never here.
    let absent = json!({"mediaType": OCI_MANIFEST, "digest": format!("sha256:{}", "ab".repeat(32)), "size": 10});
    let idx = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [], "subject": absent,
    }))
    .unwrap();
    let (idx_d, idx_n) = put_blob(&l, &idx);
    let mut named = image.clone();
    named["annotations"] = json!({"org.opencontainers.image.ref.name": "app"});
    // The image in an index of its own too, named "all".
    let all = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [subject],
    }))
    .unwrap();
    let (all_d, all_n) = put_blob(&l, &all);
    fs::write(l.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        l.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [
            named, sig, sig_of_sig,
            {"mediaType": OCI_INDEX, "digest": idx_d, "size": idx_n},
            {"mediaType": OCI_INDEX, "digest": all_d, "size": all_n,
             "annotations": {"org.opencontainers.image.ref.name": "all"}},
        ]}))
        .unwrap(),
    )
    .unwrap();
    ok(store_cmd(&l).arg("fsck"));
    let blobs = || fs::read_dir(l.join("blobs/sha256")).unwrap().count();
    let before = blobs();
    ok(store_cmd(&l).args(["gc", "--grace", "0"]));
    assert_eq!(blobs(), before, "gc took what is reachable");
    // "all" still reaches the image: its signatures stay.
    ok(store_cmd(&l).args(["untag", "app"]));
    let entries = || {
        json(&fs::read(l.join("index.json")).unwrap())["manifests"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(entries(), 4);
    ok(store_cmd(&l).args(["untag", "all"]));
    let index = json(&fs::read(l.join("index.json")).unwrap());
    let left: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    assert_eq!(left, [idx_d.as_str()], "{index}");
    ok(store_cmd(&l).args(["gc", "--grace", "0"]));
    ok(store_cmd(&l).arg("fsck"));
    // The image (manifest, config, two layers), its index and both
    // signatures went; the empty config they shared too; the index
    // referrer stays.
    assert_eq!((before, blobs()), (9, 1));
}

/// index.json lists every ref: past a manifest's 4 MiB (some 17,000 refs)
/// it is still read and written, up to its own limit, which no write
/// passes (a store lade could no longer read).
#[test]
fn a_big_index_json_is_read_and_kept_under_its_limit() {
    let t = tempdir();
    let l = t.path().join("l");
    ok(lade()
        .arg("copy")
        .arg("-q")
        .arg(format!(
            "docker-archive:{}",
            fixture("docker-save/tiny-docker20.tar").display()
        ))
        .arg(format!("oci:{}:app", l.display())));
    let index = json(&fs::read(l.join("index.json")).unwrap());
    let entry = index["manifests"][0].clone();
    // refs filling `bytes`, and the file padded to 60 bytes short of `total`
    let fill = |bytes: usize, total: usize| {
        let mut manifests = Vec::new();
        let mut size = 0;
        let mut i = 0;
        // (entries up to `bytes`, less the rest of the file)
        loop {
            let mut e = entry.clone();
            e["annotations"]["org.opencontainers.image.ref.name"] =
                format!("registry.example.com/team/application:v{i:0>8}").into();
            size += serde_json::to_vec(&e).unwrap().len() + 1;
            if size + 100 > bytes {
                break;
            }
            manifests.push(e);
            i += 1;
        }
        let mut index = serde_json::json!({"schemaVersion": 2, "manifests": manifests,
                                           "annotations": {"pad": ""}});
        let short = serde_json::to_vec(&index).unwrap().len();
        index["annotations"]["pad"] = "x".repeat(total.saturating_sub(60 + short)).into();
        let text = serde_json::to_vec(&index).unwrap();
        fs::write(l.join("index.json"), &text).unwrap();
        text.len()
    };
    fill(5 << 20, 0);
    ok(store_cmd(&l).args([
        "tag",
        "registry.example.com/team/application:v00000001",
        "extra",
    ]));
    assert!(ok_str(store_cmd(&l).arg("ls-refs")).contains("extra"));
    let limit = 64 << 20;
    let n = fill(5 << 20, limit);
    let err = fails_with(
        store_cmd(&l).args([
            "tag",
            "registry.example.com/team/application:v00000001",
            "one-more",
        ]),
        3,
    );
    assert!(err.contains("past its limit"), "{err}");
    assert_eq!(
        fs::metadata(l.join("index.json")).unwrap().len() as usize,
        n
    );
    ok(store_cmd(&l).arg("ls-refs"));
}

/// JSON output larger than the output buffer (an inspect of an image with
/// a 300 KB Env): a closed pipe ends lade quietly with status 0, a full
/// disk is named as such, not as "invalid JSON".
#[test]
fn json_output_to_a_closed_pipe_or_a_full_disk() {
    let t = tempdir();
    let dir = t.path().join("layout");
    let env: Vec<String> = (0..10_000)
        .map(|i| format!("VAR_{i:05}=value-of-variable-{i:05}"))
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": env},
        "rootfs": {"type": "layers", "diff_ids": []},
    }))
    .unwrap();
    let desc = support::image_of(&dir, false, &config, &[]);
    support::write_layout(&dir, &[("big", desc)]);
    let name = format!("oci:{}:big", dir.display());
    for args in [vec!["inspect", &name], vec!["inspect", "--config", &name]] {
        let full = fs::File::options().write(true).open("/dev/full").unwrap();
        let out = lade().args(&args).stdout(full).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            "lade: error: writing to standard output: No space left on device",
            "{args:?}"
        );
        let mut child = lade()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

/// Blobs are durable before index.json names them, and their directory is
/// synced once per index.json write, not once per blob: each blob's temp
/// file is fdatasync'd (or is a hard link of a source blob) before its
/// rename into blobs/sha256, and blobs/sha256 is fsync'd after the last
/// rename into it and before index.json's (a copy of 10,000 small images
/// did two device flushes per blob, and took 10.4 s here instead of 7.9).
#[test]
fn blob_names_are_synced_once_before_index_json_names_them() {
    if !require_tool("strace") {
        return;
    }
    let t = tempdir();
    let src = t.path().join("src");
    let named: Vec<(String, serde_json::Value)> = (0..20)
        .map(|i| {
            let config = serde_json::to_vec(&serde_json::json!({
                "architecture": "amd64", "os": "linux",
                "config": {"Env": [format!("N={i}")]},
                "rootfs": {"type": "layers", "diff_ids": []},
            }))
            .unwrap();
            (
                format!("r{i}"),
                support::image_of(&src, false, &config, &[]),
            )
        })
        .collect();
    let refs: Vec<(&str, serde_json::Value)> =
        named.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    support::write_layout(&src, &refs);
    let blobs = src.join("blobs/sha256");
    let set_modes = |mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        for e in fs::read_dir(&blobs).unwrap() {
            fs::set_permissions(e.unwrap().path(), fs::Permissions::from_mode(mode)).unwrap();
        }
    };
    // Blobs readable by their owner only are copied (written and synced);
    // readable by all, hard-linked. (copy --all-images: the images one
    // after another, then index.json. A sync's images are copied while
    // another's index.json is written, which names only images whose
    // blobs are all there: a trace cannot tell which those are.)
    for (i, (args, mode)) in [
        (["copy", "--all-images"], 0o600),
        (["copy", "--all-images"], 0o644),
    ]
    .into_iter()
    .enumerate()
    {
        set_modes(mode);
        let dst = t.path().join(format!("dst{i}"));
        let trace = traced(
            &t.path().join(format!("trace{i}")),
            &[
                "-y",
                "-e",
                "trace=fsync,fdatasync,rename,renameat,renameat2,link,linkat",
            ],
            &args,
            &src,
            &dst,
        );
        let (blob_renames, dir_syncs, index_renames) = check_sync_order(&trace, mode == 0o644);
        assert_eq!(
            blob_renames, 40,
            "{args:?}: one per config and manifest\n{trace}"
        );
        assert!(index_renames >= 1, "{args:?}\n{trace}");
        assert!(
            dir_syncs <= index_renames,
            "{args:?}: blobs/sha256 synced {dir_syncs} times for {index_renames} index.json writes\n{trace}"
        );
        assert_eq!(ok_str(store_cmd(&dst).arg("ls-refs")).lines().count(), 20);
        ok(store_cmd(&dst).arg("fsck"));
    }
}

/// Run `lade ARGS oci:SRC oci:DST` under `strace -f` with `opts` (its
/// output in `file`), which must succeed; the trace.
fn traced(file: &Path, opts: &[&str], args: &[&str], src: &Path, dst: &Path) -> String {
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(file)
        .args(opts)
        .arg(env!("CARGO_BIN_EXE_lade"))
        .args(args)
        .arg(format!("oci:{}", src.display()))
        .arg(format!("oci:{}", dst.display()))
        .env("LADE_BLOB_CACHE", "off")
        .env_remove("LADE_STORE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    fs::read_to_string(file).unwrap()
}

/// Walks an `strace -f -y` trace of one lade run: every rename into
/// blobs/sha256 is of a temp file fdatasync'd (or linked, where `links`)
/// before it, and every rename onto index.json comes after an fsync of
/// blobs/sha256 that followed the last blob rename. The counts of blob
/// renames, blobs/sha256 syncs and index.json renames.
fn check_sync_order(trace: &str, links: bool) -> (usize, usize, usize) {
    // A call's result is in its last line: a call another thread
    // interrupted is "NAME(ARGS <unfinished ...>" then "<... NAME resumed>".
    let mut started: std::collections::HashMap<String, String> = Default::default();
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let quoted = |l: &str| -> Vec<String> {
        l.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    let (mut ready, mut pending) = (std::collections::HashSet::new(), 0usize);
    let (mut blob_renames, mut dir_syncs, mut index_renames) = (0, 0, 0);
    for line in trace.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let call = if let Some(head) = rest.strip_suffix("<unfinished ...>") {
            // Renames and links count from their start; syncs when done.
            if !head.starts_with("rename") && !head.starts_with("link") {
                started.insert(pid.to_string(), head.to_string());
                continue;
            }
            head.to_string()
        } else if rest.starts_with("<...") {
            match started.remove(pid) {
                Some(head) => head,
                None => continue,
            }
        } else {
            rest.to_string()
        };
        if call.starts_with("fdatasync(") || call.starts_with("fsync(") {
            let path = call.split(['<', '>']).nth(1).unwrap_or("");
            if path.ends_with("/blobs/sha256") {
                pending = 0;
                dir_syncs += 1;
            } else if base(path).starts_with(".lade-tmp-") {
                ready.insert(base(path));
            }
        } else if call.starts_with("link") && links {
            if let Some(to) = quoted(&call).last() {
                ready.insert(base(to));
            }
        } else if call.starts_with("rename") {
            let q = quoted(&call);
            let (from, to) = (&q[0], &q[q.len() - 1]);
            if to.contains("/blobs/sha256/") {
                assert!(
                    ready.contains(&base(from)),
                    "{from} renamed unsynced:\n{trace}"
                );
                blob_renames += 1;
                pending += 1;
            } else if to.ends_with("/index.json") {
                assert_eq!(
                    pending, 0,
                    "index.json before the blobs' names were synced:\n{trace}"
                );
                index_renames += 1;
            }
        }
    }
    (blob_renames, dir_syncs, index_renames)
}

/// lade under a limit of 2 GB of address space, in `sh` (one arena
/// per two threads at most, as on a machine of few cores).
fn lade_in_2gb(args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", "ulimit -v 2000000 && exec \"$@\"", "sh"])
        .arg(env!("CARGO_BIN_EXE_lade"))
        .args(args)
        .env_remove("LADE_STORE")
        .env("LADE_BLOB_CACHE", "off")
        .env("MALLOC_ARENA_MAX", "2");
    c
}

/// Every image of a layout of thousands of refs is copied with index.json
/// read once, not once per image (which took 7 s for 2,000 refs here, 25 s
/// for 4,000: it grew with the square of the count).
#[test]
fn all_images_of_a_layout_of_many_refs_are_copied_in_linear_time() {
    let t = tempdir();
    let dir = t.path().join("many");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut top = json(&fs::read(&index).unwrap());
    let entry = top["manifests"][0].clone();
    let n = 4000;
    top["manifests"] = (0..n)
        .map(|i| {
            let mut e = entry.clone();
            e["annotations"] =
                serde_json::json!({"org.opencontainers.image.ref.name": format!("r{i}")});
            e
        })
        .collect();
    fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
    // A first sync into a new layout writes index.json for many images at
    // once, and keeps no thread of a finished image: each wrote and read
    // index.json whole (60 s for 4,000 here), and each image's thread kept
    // its stack until the end (4,000 stacks do not fit in 2 GB).
    // (a sync into `to` under 2 GB, its summary, within `secs`)
    let sync_into = |to: &Path, summary: &str, secs: u64| {
        let t0 = std::time::Instant::now();
        let err = ok_stderr(&mut lade_in_2gb(&[
            "sync",
            &format!("oci:{}", dir.display()),
            &format!("oci:{}", to.display()),
        ]));
        let took = t0.elapsed();
        assert!(err.contains(summary), "{err}");
        assert!(took < std::time::Duration::from_secs(secs), "{took:?}");
    };
    let synced = t.path().join("synced");
    sync_into(
        &synced,
        &format!("{n} images: {n} copied, 0 unchanged, 0 failed"),
        20,
    );
    let refs = ok_str(store_cmd(&synced).arg("ls-refs"));
    assert_eq!(refs.lines().count(), n);
    ok(store_cmd(&synced).arg("fsck"));
    let out = t.path().join("out");
    let t0 = std::time::Instant::now();
    ok(lade().args([
        "copy",
        "-q",
        "--all-images",
        &format!("oci:{}", dir.display()),
        &format!("oci:{}", out.display()),
    ]));
    let took = t0.elapsed();
    assert!(took < std::time::Duration::from_secs(12), "{took:?}");
    let refs = ok_str(store_cmd(&out).arg("ls-refs"));
    assert_eq!(refs.lines().count(), n);
    // A sync finds them all unchanged, each name looked up without
    // reading either index.json again (16 s before, for 4,000).
    sync_into(
        &out,
        &format!("{n} images: 0 copied, {n} unchanged, 0 failed"),
        8,
    );
}

/// An index.json entry that does not read (an uppercase digest, no media
/// type, not an object) is set apart, as skopeo and umoci read past it:
/// the other refs work, its name is refused when used, fsck names it, gc
/// refuses, and writes keep it as it was.
#[test]
fn an_unreadable_index_entry_leaves_the_rest_of_the_layout_usable() {
    if !require_tool("umoci") {
        return;
    }
    let t = tempdir();
    let dir = t.path().join("l");
    if !skopeo_layout(&dir) {
        return;
    }
    let index_path = dir.join("index.json");
    let mut index = json(&fs::read(&index_path).unwrap());
    let good = index["manifests"][0].clone();
    let mut bad = good.clone();
    bad["digest"] = good["digest"]
        .as_str()
        .unwrap()
        .to_uppercase()
        .replace("SHA256", "sha256")
        .into();
    bad["annotations"]["org.opencontainers.image.ref.name"] = "bad".into();
    let mut nomt = good.clone();
    nomt.as_object_mut().unwrap().remove("mediaType");
    nomt["annotations"]["org.opencontainers.image.ref.name"] = "nomt".into();
    let entries = index["manifests"].as_array_mut().unwrap();
    entries.insert(0, bad.clone());
    entries.push(nomt.clone());
    fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let blobs = || fs::read_dir(dir.join("blobs/sha256")).unwrap().count();
    let n_blobs = blobs();
    let oci = |name: &str| format!("oci:{}:{name}", dir.display());

    // The other ref reads, with lade as with skopeo.
    let digest = good["digest"].as_str().unwrap();
    let ours = json(&ok(lade().args(["inspect", &oci("tiny")])));
    assert_eq!(ours["Digest"], digest);
    ok(Command::new("skopeo").args(["inspect", &oci("tiny")]));
    // Its own name is refused, saying which entry and why.
    let e = fails_with(lade().args(["inspect", &oci("bad")]), 3);
    assert!(
        e.contains(r#"manifests[0] (ref "bad") does not read"#),
        "{e}"
    );
    assert!(e.contains("lowercase"), "{e}");
    let e = fails_with(lade().args(["inspect", &oci("nomt")]), 3);
    assert!(
        e.contains(r#"manifests[2] (ref "nomt")"#) && e.contains("mediaType"),
        "{e}"
    );
    // Listing leaves them out, with a warning each.
    let out = run(store_cmd(&dir).arg("ls-refs"));
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("tiny\t"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("warning:").count(), 2, "{stderr}");
    // fsck names both; gc refuses and removes nothing.
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains(r#"bad index.json entry: manifests[0] (ref "bad")"#),
        "{report}"
    );
    assert!(
        report.contains(r#"bad index.json entry: manifests[2] (ref "nomt")"#),
        "{report}"
    );
    let e = fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
    assert!(e.contains("refusing") && e.contains("manifests[0]"), "{e}");
    assert_eq!(blobs(), n_blobs);

    // A write keeps them where they were, as they were (umoci lists them).
    ok(store_cmd(&dir).args(["tag", "tiny", "new"]));
    let after = json(&fs::read(&index_path).unwrap());
    let entries = after["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0], bad);
    assert_eq!(entries[2], nomt);
    let listed = ok_str(Command::new("umoci").args(["ls", "--layout"]).arg(&dir));
    let mut listed: Vec<&str> = listed.lines().collect();
    listed.sort_unstable();
    assert_eq!(listed, ["bad", "new", "nomt", "tiny"]);

    // A sync tries each name: the readable ones arrive, each other fails
    // by name.
    let out_dir = t.path().join("out");
    let out = run(lade()
        .args(["sync", "--keep-going", &format!("oci:{}", dir.display())])
        .arg(format!("oci:{}", out_dir.display())));
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("4 images: 2 copied, 0 unchanged, 2 failed"),
        "{stderr}"
    );
    let copied = ok_str(store_cmd(&out_dir).arg("ls-refs"));
    assert_eq!(copied.lines().count(), 2, "{copied}");

    // Tagging over one replaces it; untag removes the other; then the
    // layout is clean and gc runs.
    ok(store_cmd(&dir).args(["tag", "tiny", "nomt"]));
    ok(store_cmd(&dir).args(["untag", "bad"]));
    fails_with(store_cmd(&dir).args(["untag", "bad"]), 1);
    ok(store_cmd(&dir).arg("fsck"));
    ok(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert_eq!(blobs(), n_blobs);
    ok(Command::new("skopeo").args(["inspect", &oci("nomt")]));

    // NAME's entry does not read: NAME is not taken for NAME:latest, by
    // a reader or by untag.
    ok(store_cmd(&dir).args(["tag", "tiny", "foo:latest"]));
    let mut index = json(&fs::read(&index_path).unwrap());
    let mut foo = bad.clone();
    foo["annotations"]["org.opencontainers.image.ref.name"] = "foo".into();
    index["manifests"].as_array_mut().unwrap().push(foo);
    fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let e = fails_with(store_cmd(&dir).args(["cat-manifest", "foo"]), 3);
    assert!(e.contains(r#"(ref "foo") does not read"#), "{e}");
    ok(store_cmd(&dir).args(["untag", "foo"]));
    ok(store_cmd(&dir).args(["cat-manifest", "foo:latest"]));
    ok(store_cmd(&dir).args(["cat-manifest", "foo"]));
    ok(store_cmd(&dir).args(["untag", "foo"]));
    ok(store_cmd(&dir).arg("fsck"));

    // A readable entry and one that does not read, of one name: the
    // layout copied whole is refused by that name, as a sync refuses it,
    // before anything is written.
    let before = fs::read(&index_path).unwrap();
    let mut index = json(&before);
    let mut dup = bad.clone();
    dup["annotations"]["org.opencontainers.image.ref.name"] = "tiny".into();
    index["manifests"].as_array_mut().unwrap().push(dup);
    fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let dup_dir = t.path().join("dup");
    for args in [["copy", "--all-images"], ["sync", "-q"]] {
        let e = fails_with(
            lade()
                .args(args)
                .arg(format!("oci:{}", dir.display()))
                .arg(format!("oci:{}", dup_dir.display())),
            3,
        );
        assert!(e.contains(r#"two images are named "tiny""#), "{e}");
        assert!(!dup_dir.exists(), "{args:?} wrote {}", dup_dir.display());
    }
    fs::write(&index_path, before).unwrap();

    // An entry that is not even an object, without a name: the named refs
    // still read; --all-images cannot name it, and says so.
    let mut index = json(&fs::read(&index_path).unwrap());
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .push("junk".into());
    fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    ok(lade().args(["inspect", &oci("tiny")]));
    let e = fails_with(
        lade()
            .args(["copy", "--all-images", &format!("oci:{}", dir.display())])
            .arg(format!("oci:{}", t.path().join("all").display())),
        3,
    );
    assert!(e.contains("manifests[3] does not read"), "{e}");
}

/// A layout as `umoci init` makes it (`"manifests": null`) takes images,
/// as skopeo's copies into it do.
#[test]
fn a_layout_umoci_made_is_written_into() {
    if !require_tool("umoci") {
        return;
    }
    let t = tempdir();
    let dir = t.path().join("u");
    ok(Command::new("umoci").args(["init", "--layout"]).arg(&dir));
    let src = fixture("docker-save/tiny-docker20.tar");
    ok(lade()
        .args(["copy", "-q", &format!("docker-archive:{}", src.display())])
        .arg(format!("oci:{}:t", dir.display())));
    let listed = ok_str(Command::new("umoci").args(["ls", "--layout"]).arg(&dir));
    assert_eq!(listed.trim(), "t");
    ok(store_cmd(&dir).arg("fsck"));
}

/// gc leaves alone the temp file of a write under way, whatever the grace
/// period: with --grace 0 it removed it, and the write failed with "No such
/// file or directory".
#[test]
fn gc_keeps_the_temp_file_of_a_write_under_way() {
    use std::io::Write;
    let t = tempdir();
    let dir = t.path().join("s");
    tiny_layout(&dir);
    let mut writer = store_cmd(&dir)
        .args(["hash-object", "-w", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = writer.stdin.take().unwrap();
    stdin.write_all(&[b'x'; 100_000]).unwrap();
    stdin.flush().unwrap();
    let temps = || {
        fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".lade-tmp")
            })
            .count()
    };
    let t0 = std::time::Instant::now();
    while temps() == 0 {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "no temp file"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert_eq!(temps(), 1, "the write's temp file is kept");
    stdin.write_all(b"end").unwrap();
    drop(stdin);
    let out = writer.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let digest = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mut data = vec![b'x'; 100_000];
    data.extend_from_slice(b"end");
    assert_eq!(digest, format!("sha256:{}", sha256_hex(&data)));
    ok(store_cmd(&dir).args(["cat-blob", &digest]));
    // A temp file no write has (one a killed write left) still goes.
    fs::write(dir.join(".lade-tmp-left"), b"left").unwrap();
    ok(store_cmd(&dir).args(["gc", "--grace", "0"]));
    assert_eq!(temps(), 0);
}

/// Exit code and peak RSS (KiB) of lade run with `args`, from the
/// kernel's accounting of a child of python3; and what it printed.
fn lade_peak_rss(args: &[&str]) -> (i32, u64, String) {
    let script = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n\
        sys.stderr.buffer.write(r.stdout)\n\
        print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let out = run(Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_lade")])
        .args(args)
        .env_remove("LADE_STORE")
        .env("LADE_BLOB_CACHE", "off"));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut it = stdout.split_whitespace();
    let code: i32 = it.next().unwrap().parse().unwrap();
    let kb: u64 = it.next().unwrap().parse().unwrap();
    (code, kb, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A layout's index.json at its size limit (64 MiB; here 250,000 refs in
/// 58 MB) is read in memory of about three times its size: fsck, gc,
/// ls-refs, inspect, tag and untag each peaked at 350 to 670 MB (a
/// descriptor kept its annotations in a map node of over 500 bytes, and
/// its platform inline; fsck stacked every entry, inspect kept its name
/// table's entries unboxed), more than umoci ls (290 MB) and skopeo
/// inspect (350 MB) of the same layout.
#[test]
fn a_layout_of_250_000_refs_is_read_in_bounded_memory() {
    let t = tempdir();
    let dir = t.path().join("big");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut entry = json(&fs::read(&index).unwrap())["manifests"][0].clone();
    let mut text = String::from(r#"{"schemaVersion":2,"manifests":["#);
    for i in 0..250_000 {
        entry["annotations"]["org.opencontainers.image.ref.name"] =
            format!("some/repository{i:06}:tag").into();
        if i > 0 {
            text.push(',');
        }
        text.push_str(&entry.to_string());
    }
    text.push_str("]}");
    fs::write(&index, &text).unwrap();
    assert!(text.len() > 55_000_000, "{}", text.len());
    let d = dir.to_str().unwrap();
    let one = format!("oci:{d}:some/repository123456:tag");
    let limit = 260 * 1024; // KiB
    for args in [
        &["ls-refs", "--store", d][..],
        &["fsck", "--store", d],
        &["gc", "--dry-run", "--store", d],
        &["inspect", &one],
        &["tag", "--store", d, "some/repository000007:tag", "new:x"],
        &["untag", "--store", d, "new:x"],
    ] {
        let (code, kb, said) = lade_peak_rss(args);
        assert_eq!(code, 0, "{args:?}: {said}");
        assert!(kb < limit, "{args:?}: peak RSS {kb} KiB");
        if args[0] == "ls-refs" {
            assert_eq!(said.lines().count(), 250_000);
        }
    }
    let refs = ok(lade().args(["ls-refs", "--store", d]));
    assert_eq!(String::from_utf8(refs).unwrap().lines().count(), 250_000);
    // A sync of 40 images into it keeps the index it wrote for its next
    // batch: it read and wrote it whole for each (one of 300 images took
    // 27 s and 1.2 GB; 40, 615 MB), each time in its thread's own malloc
    // arena, which keeps what it freed.
    let few = t.path().join("few");
    tiny_layout(&few);
    let index = few.join("index.json");
    let mut top = json(&fs::read(&index).unwrap());
    let e = top["manifests"][0].clone();
    top["manifests"] = (0..40)
        .map(|i| {
            let mut e = e.clone();
            e["annotations"]["org.opencontainers.image.ref.name"] = format!("s{i}").into();
            e
        })
        .collect();
    fs::write(&index, top.to_string()).unwrap();
    let (code, kb, said) = lade_peak_rss(&[
        "sync",
        "-q",
        &format!("oci:{}", few.display()),
        &format!("oci:{d}"),
    ]);
    assert_eq!(code, 0, "sync: {said}");
    assert!(kb < 500 * 1024, "sync: peak RSS {kb} KiB");
    let refs = ok(lade().args(["ls-refs", "--store", d]));
    assert_eq!(String::from_utf8(refs).unwrap().lines().count(), 250_040);
}

/// An index.json past its 64 MiB limit is refused by its size, naming
/// the file, before it is read (one of 72 MB was read whole first).
#[test]
fn an_index_json_past_its_limit_is_refused_unread() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut bytes = fs::read(&index).unwrap();
    bytes.resize(64 * 1024 * 1024 + 1, b' ');
    fs::write(&index, &bytes).unwrap();
    let err = fails_with(lade().args(["ls-refs", "--store"]).arg(&dir), 3);
    assert_eq!(
        err.trim(),
        format!(
            "lade: error: {} is larger than the 67108864 byte limit",
            index.display()
        )
    );
    let (_, kb, _) = lade_peak_rss(&["fsck", "--store", dir.to_str().unwrap()]);
    assert!(kb < 32 * 1024, "peak RSS {kb} KiB");
}

/// A sync into a layout that holds refs reads its index.json once before
/// it changes it: the names it learns first stand for the check the
/// destination made before blobs go in (which read and parsed it all again: in a layout of
/// 250,000 refs, 100 MB more at the peak and half the time of a sync of
/// one image). A layout whose index.json does not read still fails
/// before any blob goes in.
#[test]
fn a_sync_into_a_layout_reads_its_index_once() {
    if !require_tool("strace") {
        return;
    }
    let t = tempdir();
    let fix = |f: &str| {
        format!(
            "docker-archive:{}",
            common::fixture(&format!("docker-save/{f}")).display()
        )
    };
    let src = t.path().join("src");
    let dst = t.path().join("dst");
    ok(lade()
        .args(["copy", "-q", &fix("tiny-docker26.tar")])
        .arg(format!("oci:{}:one", src.display())));
    ok(lade()
        .args(["copy", "-q", &fix("tiny-docker20.tar")])
        .arg(format!("oci:{}:old", dst.display())));
    let trace = traced(
        &t.path().join("trace"),
        &["-e", "trace=open,openat"],
        &["sync", "-q"],
        &src,
        &dst,
    );
    let index = format!("\"{}\"", dst.join("index.json").display());
    // (its reads open it O_NOFOLLOW: once to learn the names, once under
    // the lock to change it; the check between made a third)
    let reads = trace
        .lines()
        .filter(|l| l.contains(&index) && l.contains("O_NOFOLLOW") && !l.contains("ENOENT"))
        .count();
    assert_eq!(reads, 2, "{trace}");
    assert_eq!(ok_str(store_cmd(&dst).arg("ls-refs")).lines().count(), 2);
    // Broken, it is still refused before any blob goes in.
    let blobs = || fs::read_dir(dst.join("blobs/sha256")).unwrap().count();
    let before = blobs();
    fs::write(
        dst.join("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[",
    )
    .unwrap();
    let src2 = t.path().join("src2");
    ok(lade()
        .args(["copy", "-q", &format!("{}:@1", fix("tiny2-docker26.tar"))])
        .arg(format!("oci:{}:other", src2.display())));
    let err = fails_with(
        lade()
            .args(["sync", "-q"])
            .arg(format!("oci:{}", src2.display()))
            .arg(format!("oci:{}", dst.display())),
        3,
    );
    assert!(err.contains("index.json"), "{err}");
    assert_eq!(blobs(), before);
}

/// A file where a layout or the store should be: one line saying so
/// (exit 3), for reading, writing and the store alike; the file is left.
#[test]
fn a_layout_path_that_is_a_file_is_said_so() {
    let t = tempdir();
    let file = t.path().join("app.tar");
    fs::write(&file, "not a layout").unwrap();
    let said = format!(
        "{}: not a directory (an OCI image layout is one)",
        file.display()
    );
    let src = t.path().join("src");
    let archive = fixture("docker-save/tiny-docker26.tar");
    ok(lade()
        .args(["copy", "-q"])
        .arg(format!("docker-archive:{}", archive.display()))
        .arg(format!("oci:{}:a", src.display())));
    for args in [
        vec!["inspect".to_string(), format!("oci:{}:a", file.display())],
        vec![
            "copy".to_string(),
            format!("oci:{}:a", src.display()),
            format!("oci:{}:a", file.display()),
        ],
        vec![
            "--store".to_string(),
            file.display().to_string(),
            "ls-refs".to_string(),
        ],
    ] {
        let err = fails_with(lade().args(&args), 3);
        assert!(
            err.contains(&said) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    assert_eq!(fs::read(&file).unwrap(), b"not a layout");
}

/// Errors name what there is to pick from: the images of a layout that
/// holds several, the `:latest` a bare ref also tried; a hint only where
/// it applies.
#[test]
fn errors_name_what_there_is() {
    let t = tempdir();
    let lay = t.path().join("lay");
    let archive = fixture("docker-save/tiny-docker26.tar");
    for r in ["a:1", "b:2"] {
        ok(lade()
            .args(["copy", "-q"])
            .arg(format!("docker-archive:{}", archive.display()))
            .arg(format!("oci:{}:{r}", lay.display())));
    }
    let err = fails_with(
        lade().arg("inspect").arg(format!("oci:{}", lay.display())),
        3,
    );
    assert!(
        err.contains("the layout holds 2 images; name one as oci:PATH:REF (a:1, b:2)"),
        "{err}"
    );
    let err = fails_with(
        lade().arg("--store").arg(&lay).args(["cat-manifest", "a"]),
        1,
    );
    assert!(
        err.contains("ref \"a\" not found in ") && err.contains("(nor \"a:latest\")"),
        "{err}"
    );
    let err = fails_with(
        lade()
            .arg("--store")
            .arg(&lay)
            .args(["cat-manifest", "a:2"]),
        1,
    );
    assert!(!err.contains("latest"), "{err}");
    let err = fails_with(lade().args(["list-tags", "dir:/x"]), 3);
    assert!(!err.contains("ls-refs"), "{err}");
    let err = fails_with(lade().args(["list-tags", "oci:/x"]), 3);
    assert!(
        err.contains("(lade ls-refs --store DIR lists a layout's names)"),
        "{err}"
    );
}

/// A blob one image lists as a layer and an entry names as an image (a
/// layout may hold anything): gc keeps what the image needs, whichever
/// comes first in index.json, and du counts it.
#[test]
fn a_manifest_also_listed_as_a_layer_keeps_its_image() {
    let t = tempdir();
    let dir = t.path().join("s");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let v = json(&fs::read(&index).unwrap());
    let x = v["manifests"][0].clone();
    let put = |bytes: &[u8]| -> serde_json::Value {
        let d = format!("sha256:{}", sha256_hex(bytes));
        fs::write(dir.join("blobs/sha256").join(&d[7..]), bytes).unwrap();
        serde_json::json!({"digest": d, "size": bytes.len()})
    };
    let mut config = put(&serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [x["digest"]]}}))
    .unwrap());
    config["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
    let mut layer = x.clone();
    layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar".into();
    layer.as_object_mut().unwrap().remove("annotations");
    let mut b = put(&serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": [layer]}))
    .unwrap());
    b["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
    b["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "b"});
    let all = store_files(&dir);
    for order in [vec![x.clone(), b.clone()], vec![b.clone(), x.clone()]] {
        let top = serde_json::json!({"schemaVersion": 2, "manifests": order});
        fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
        assert_eq!(ok_str(store_cmd(&dir).args(["gc", "--grace", "0"])), "");
        assert_eq!(store_files(&dir), all);
        let du = du_lines(&ok_str(store_cmd(&dir).args(["du", "x"])));
        assert_eq!(du[0].2, image_bytes(&dir, "x"), "{order:?}");
        let s = ok_str(store_cmd(&dir).args(["du", "-s"]));
        assert!(s.contains("unreachable\t0\t0"), "{s}");
    }
}

/// `fsck | head` on a damaged store still exits 1 (a pipeline with
/// pipefail fails), and says its summary; `gc | head` still says what it
/// removed. The output is larger than a pipe holds, and its reader is
/// gone before it is written.
#[test]
fn fsck_and_gc_into_a_closed_pipe_keep_their_answer() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let blobs = dir.join("blobs/sha256");
    let tiny = fs::read_dir(&blobs).unwrap().count();
    for i in 0..2000 {
        let data = format!("unreachable {i}");
        fs::write(blobs.join(sha256_hex(data.as_bytes())), data).unwrap();
    }
    // One corrupt blob: a problem.
    fs::write(blobs.join("ab".repeat(32)), b"not what its name says").unwrap();
    let closed = |args: &[&str]| {
        let mut child = store_cmd(&dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    };
    let out = closed(&["fsck", "--unreachable"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("2001 unreachable, 1 problem"), "{err}");
    let out = closed(&["gc", "--grace", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("gc: removed 2001 blobs"), "{err}");
    assert_eq!(
        fs::read_dir(&blobs).unwrap().count(),
        tiny,
        "tiny's blobs left"
    );
}

/// A layer named by its sha512 digest, whose config's diff_id is its
/// sha256 (as it must be to unpack): fsck finds nothing wrong, as unpack
/// finds nothing (it compared digests of two algorithms and said the
/// diff_id contradicted the layer).
#[test]
fn fsck_takes_a_sha512_layer_with_its_sha256_diff_id() {
    use sha2::Digest as _;
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let top = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let blob = |d: &str| dir.join("blobs/sha256").join(&d[7..]);
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(blob(&top)).unwrap()).unwrap();
    let layer = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let data = fs::read(blob(&layer)).unwrap();
    let hex512 = hex::encode(sha2::Sha512::digest(&data));
    fs::create_dir_all(dir.join("blobs/sha512")).unwrap();
    fs::write(dir.join("blobs/sha512").join(&hex512), &data).unwrap();
    fs::remove_file(blob(&layer)).unwrap();
    m["layers"][0]["digest"] = format!("sha512:{hex512}").into();
    let bytes = serde_json::to_vec(&m).unwrap();
    let d = format!("sha256:{}", sha256_hex(&bytes));
    fs::write(blob(&d), &bytes).unwrap();
    let mut index = index;
    index["manifests"][0]["digest"] = d.into();
    index["manifests"][0]["size"] = bytes.len().into();
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    fs::remove_file(blob(&top)).unwrap();
    let err = ok_stderr(store_cmd(&dir).args(["fsck"]));
    assert!(err.contains(", 0 problems"), "{err}");
    ok(store_cmd(&dir)
        .args(["unpack", "x"])
        .arg(t.path().join("root")));
}

/// A config holding a lone UTF-16 surrogate escape (`"\ud800"`), which
/// Go's JSON (skopeo, Docker, umoci) reads as U+FFFD: inspect, copy (its
/// bytes kept) and unpack take it, as they do.
#[test]
fn a_config_with_a_lone_surrogate_reads_as_go_reads_it() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let blob = |d: &str| dir.join("blobs/sha256").join(&d[7..]);
    let put = |bytes: &[u8]| {
        let d = format!("sha256:{}", sha256_hex(bytes));
        fs::write(blob(&d), bytes).unwrap();
        (d, bytes.len())
    };
    let mut index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let top = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(blob(&top)).unwrap()).unwrap();
    let config = fs::read_to_string(blob(m["config"]["digest"].as_str().unwrap())).unwrap();
    assert!(config.contains(r#""Env":["#));
    let config = config.replacen(r#""Env":["#, r#""Env":["SUR=\ud800","#, 1);
    let (d, size) = put(config.as_bytes());
    m["config"]["digest"] = d.into();
    m["config"]["size"] = size.into();
    let (d, size) = put(&serde_json::to_vec(&m).unwrap());
    index["manifests"][0]["digest"] = d.into();
    index["manifests"][0]["size"] = size.into();
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let src = format!("oci:{}:x", dir.display());
    let info = json(&ok(lade().args(["inspect", &src])));
    assert!(
        info["Env"]
            .as_array()
            .unwrap()
            .contains(&"SUR=\u{fffd}".into()),
        "{info}"
    );
    let out = format!("oci:{}:x", t.path().join("out").display());
    ok(lade().args(["copy", "-q", &src, &out]));
    assert_eq!(
        ok(lade().args(["inspect", "--raw", "--config", &out])),
        config.as_bytes()
    );
    ok(store_cmd(&dir)
        .args(["unpack", "x"])
        .arg(t.path().join("root")));
}

/// `fsck --full` decompresses each compressed layer and holds it to its
/// config's diff_id: a sound gzip or zstd image passes; a layer whose
/// gzip holds another layer's content (its digest right, its config
/// lying), and one whose gzip is cut short, are each named, where plain
/// fsck (hashing blobs only) finds nothing wrong.
#[test]
fn fsck_full_holds_compressed_layers_to_their_diff_ids() {
    let t = tempdir();
    let plain = t.path().join("plain");
    tiny_layout(&plain);
    for format in ["gzip", "zstd"] {
        let dir = t.path().join(format);
        ok(lade().args([
            "copy",
            "-q",
            "--dest-compress-format",
            format,
            &format!("oci:{}:x", plain.display()),
            &format!("oci:{}:x", dir.display()),
        ]));
        let err = ok_stderr(store_cmd(&dir).args(["fsck", "--full"]));
        assert!(
            err.contains(", 3 layers decompressed, 0 unreachable, 0 problems"),
            "{format}: {err}"
        );
    }
    let dir = t.path().join("gzip");
    let blob = |d: &str| dir.join("blobs/sha256").join(&d[7..]);
    let index = dir.join("index.json");
    let mut top = json(&fs::read(&index).unwrap());
    let image = top["manifests"][0]["digest"].as_str().unwrap().to_string();
    let m = json(&fs::read(blob(&image)).unwrap());
    let config = json(&fs::read(blob(m["config"]["digest"].as_str().unwrap())).unwrap());
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap().clone();
    // Writes `layer` in place of the first layer: the new image's digest.
    let mut with_first = |layer: &[u8]| -> String {
        let d = format!("sha256:{}", sha256_hex(layer));
        fs::write(blob(&d), layer).unwrap();
        let mut m = m.clone();
        m["layers"][0]["digest"] = d.clone().into();
        m["layers"][0]["size"] = layer.len().into();
        let bytes = serde_json::to_vec(&m).unwrap();
        let md = format!("sha256:{}", sha256_hex(&bytes));
        fs::write(blob(&md), &bytes).unwrap();
        top["manifests"][0]["digest"] = md.clone().into();
        top["manifests"][0]["size"] = bytes.len().into();
        fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
        md
    };
    // The second layer's content, gzipped, as the first.
    let second = fs::read(
        plain
            .join("blobs/sha256")
            .join(&diff_ids[1].as_str().unwrap()[7..]),
    )
    .unwrap();
    let liar = with_first(&gzip(&second));
    let err = ok_stderr(store_cmd(&dir).arg("fsck"));
    assert!(err.contains(", 0 problems"), "{err}");
    let out = run(store_cmd(&dir).args(["fsck", "--full"]));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim(),
        format!(
            "bad image {liar}: layer 1 (sha256:{}) unpacks to {}, but the config's diff_id for it is {}",
            sha256_hex(&gzip(&second)),
            diff_ids[1].as_str().unwrap(),
            diff_ids[0].as_str().unwrap()
        ),
        "{out:?}"
    );
    // unpack refuses it too: the two agree.
    let err = fails_with(
        store_cmd(&dir)
            .args(["unpack", "x"])
            .arg(t.path().join("root")),
        3,
    );
    assert!(err.contains(diff_ids[0].as_str().unwrap()), "{err}");
    // The first layer's own content, its gzip cut short.
    let first = fs::read(
        plain
            .join("blobs/sha256")
            .join(&diff_ids[0].as_str().unwrap()[7..]),
    )
    .unwrap();
    let gz = gzip(&first);
    let cut = with_first(&gz[..gz.len() - 12]);
    let out = run(store_cmd(&dir).args(["fsck", "--full"]));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.trim()
            .starts_with(&format!("bad image {cut}: layer 1 (sha256:"))
            && text.contains(") does not decompress: gzip data cut short"),
        "{text}"
    );
    // Made whole again: no problem.
    with_first(&gz);
    let err = ok_stderr(store_cmd(&dir).args(["fsck", "--full"]));
    assert!(err.contains(", 0 problems"), "{err}");
}

/// `inspect --config` reads the config as an image config, as plain
/// inspect and skopeo do: a config that is no object, or whose Env is no
/// list, is an error (exit 3), not an empty or half-made configuration.
#[test]
fn inspect_config_refuses_what_is_no_image_config() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let blob = |d: &str| dir.join("blobs/sha256").join(&d[7..]);
    let index = dir.join("index.json");
    let mut top = json(&fs::read(&index).unwrap());
    let image = top["manifests"][0]["digest"].as_str().unwrap().to_string();
    let m = json(&fs::read(blob(&image)).unwrap());
    for config in [
        &b"[]"[..],
        br#"{"architecture":"amd64","os":"linux","config":{"Env":"A=1"}}"#,
    ] {
        let d = format!("sha256:{}", sha256_hex(config));
        fs::write(blob(&d), config).unwrap();
        let mut m = m.clone();
        m["config"]["digest"] = d.into();
        m["config"]["size"] = config.len().into();
        let bytes = serde_json::to_vec(&m).unwrap();
        let md = format!("sha256:{}", sha256_hex(&bytes));
        fs::write(blob(&md), &bytes).unwrap();
        top["manifests"][0]["digest"] = md.into();
        top["manifests"][0]["size"] = bytes.len().into();
        fs::write(&index, serde_json::to_vec(&top).unwrap()).unwrap();
        let name = format!("oci:{}:x", dir.display());
        for args in [&["inspect", "--config"][..], &["inspect"]] {
            let err = fails_with(lade().args(args).arg(&name), 3);
            assert!(err.contains(": config: invalid type"), "{args:?}: {err}");
        }
        // (--raw --config prints the bytes as they are)
        assert_eq!(
            ok(lade().args(["inspect", "--raw", "--config", &name])),
            config
        );
    }
}

/// A file cut short by another process while lade hashes it (read
/// through a memory map, where a read past the new end raises SIGBUS) is
/// an error naming it, exit 3: lade is not killed by the signal.
#[test]
fn a_file_cut_short_while_hashed_is_an_error_not_a_crash() {
    let t = tempdir();
    let f = t.path().join("big.bin");
    // Sparse: 4 GiB of zeros without the disk space, seconds to hash.
    fs::File::create(&f).unwrap().set_len(4 << 30).unwrap();
    for _ in 0..2 {
        fs::OpenOptions::new()
            .write(true)
            .open(&f)
            .unwrap()
            .set_len(4 << 30)
            .unwrap();
        let child = lade()
            .args(["hash-object"])
            .arg(&f)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        fs::OpenOptions::new()
            .write(true)
            .open(&f)
            .unwrap()
            .set_len(1000)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{:?}: {err}", out.status);
        assert!(err.contains("big.bin: the file was cut short"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

/// An index.json entry whose media type is no manifest or index type (a
/// layer's, an unknown one pointing at a real manifest) names no image,
/// one rule for every reader: copy and inspect (oci:, oci-archive:),
/// cat-manifest, cat-config and unpack refuse it in one line naming
/// the entry and its type (exit 3, nothing written), and fsck reports it
/// in the same words; skopeo finds no image by such a name. Before,
/// inspect said "manifest is not a JSON object" of the layer entry, and
/// copy and inspect read the unknown one as the manifest it holds, which
/// cat-manifest refused and fsck flagged.
#[test]
fn an_index_json_entry_of_no_manifest_type_is_refused_alike() {
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut v = json(&fs::read(&index).unwrap());
    let image = v["manifests"][0].clone();
    let manifest = json(
        &fs::read(
            dir.join("blobs/sha256")
                .join(&image["digest"].as_str().unwrap()[7..]),
        )
        .unwrap(),
    );
    let layer = manifest["layers"][0].clone();
    let entry = |of: &serde_json::Value, mt: &str, name: &str| {
        serde_json::json!({"mediaType": mt, "digest": of["digest"], "size": of["size"],
            "annotations": {"org.opencontainers.image.ref.name": name}})
    };
    let cases = [
        (
            "layer",
            layer["mediaType"].as_str().unwrap().to_string(),
            layer["digest"].clone(),
        ),
        (
            "unknown",
            "application/x-unknown".to_string(),
            image["digest"].clone(),
        ),
    ];
    for (name, mt, d) in &cases {
        let of = if *name == "layer" { &layer } else { &image };
        assert_eq!(&of["digest"], d);
        v["manifests"]
            .as_array_mut()
            .unwrap()
            .push(entry(of, mt, name));
    }
    fs::write(&index, serde_json::to_vec(&v).unwrap()).unwrap();
    let archive = t.path().join("l.tar");
    ok(Command::new("tar")
        .arg("-cf")
        .arg(&archive)
        .arg("-C")
        .arg(&dir)
        .arg("."));
    let before = fs::read(&index).unwrap();
    let has_skopeo = require_tool("skopeo");

    let mut fsck_text = String::new();
    let out = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    fsck_text.push_str(&String::from_utf8_lossy(&out.stdout));
    for (name, mt, d) in &cases {
        let d = d.as_str().unwrap();
        let says = format!("ref \"{name}\" ({d}) is of type {mt}, not a manifest or index");
        let one_line = |err: String, how: &str| {
            assert!(
                err.contains(&format!("index.json entry {says}")),
                "{how}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "{how}: {err}");
        };
        let out_dir = t.path().join(format!("out-{name}"));
        for src in [
            format!("oci:{}:{name}", dir.display()),
            format!("oci-archive:{}:{name}", archive.display()),
        ] {
            one_line(fails_with(lade().args(["inspect", &src]), 3), &src);
            one_line(fails_with(lade().args(["inspect", "--raw", &src]), 3), &src);
            one_line(
                fails_with(
                    lade().args(["copy", "-q", &src, &format!("oci:{}:y", out_dir.display())]),
                    3,
                ),
                &src,
            );
            assert!(!out_dir.exists(), "{src}");
        }
        for cmd in [
            &["cat-manifest"][..],
            &["cat-manifest", "-e"],
            &["cat-config"],
        ] {
            let err = fails_with(store_cmd(&dir).args(cmd).arg(name), 3);
            one_line(err, &format!("{cmd:?}"));
        }
        let err = fails_with(store_cmd(&dir).args(["unpack", name]).arg(&out_dir), 3);
        one_line(err, "unpack");
        assert!(!out_dir.exists());
        assert!(
            fsck_text.contains(&format!("bad index.json entry: {says}")),
            "{fsck_text}"
        );
        // skopeo: no image by that name.
        if has_skopeo {
            let out =
                run(Command::new("skopeo")
                    .args(["inspect", &format!("oci:{}:{name}", dir.display())]));
            assert!(!out.status.success(), "skopeo took {name}");
        }
    }
    // The image beside them reads, and nothing was changed.
    ok(lade().args(["inspect", &format!("oci:{}:x", dir.display())]));
    assert_eq!(fs::read(&index).unwrap(), before);
    // gc walks what they name (the image's blobs kept), refusing as fsck
    // reports them.
    fails_with(store_cmd(&dir).args(["gc", "--grace", "0"]), 3);
}

/// An index.json entry typed as a manifest whose blob is a layer (a tar,
/// a gzip or zstd stream) or empty is refused in one line saying what
/// the blob is; it said "manifest is not a JSON object: expected value at
/// line 1 column 1". copy, inspect, cat-manifest and fsck say it alike.
#[test]
fn a_manifest_entry_pointing_at_a_layer_says_what_the_blob_is() {
    use std::io::Write as _;
    let t = tempdir();
    let dir = t.path().join("l");
    tiny_layout(&dir);
    let index = dir.join("index.json");
    let mut v = json(&fs::read(&index).unwrap());
    let image = &v["manifests"][0]["digest"].as_str().unwrap()[7..];
    let manifest = json(&fs::read(dir.join("blobs/sha256").join(image)).unwrap());
    let tar_layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let tar = fs::read(dir.join("blobs/sha256").join(&tar_layer[7..])).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let gzip = gz.finish().unwrap();
    let zstd = zstd::encode_all(&tar[..], 1).unwrap();
    let mut cases = vec![("tar", tar_layer, tar.len(), "a tar archive (a layer?)")];
    for (name, bytes, what) in [
        ("gzip", &gzip, "a gzip stream (a layer?)"),
        ("zstd", &zstd, "a zstd stream (a layer?)"),
        ("empty", &Vec::new(), "empty"),
    ] {
        let blob = t.path().join(name);
        fs::write(&blob, bytes).unwrap();
        let d = ok_str(store_cmd(&dir).args(["hash-object", "-w"]).arg(&blob));
        cases.push((name, d.trim().to_string(), bytes.len(), what));
    }
    for (name, d, size, _) in &cases {
        v["manifests"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": d, "size": size,
            "annotations": {"org.opencontainers.image.ref.name": name}}));
    }
    fs::write(&index, serde_json::to_vec(&v).unwrap()).unwrap();
    let fsck = run(store_cmd(&dir).arg("fsck"));
    assert_eq!(fsck.status.code(), Some(1), "{fsck:?}");
    let fsck = String::from_utf8_lossy(&fsck.stdout).into_owned();
    for (name, d, _, what) in &cases {
        let says = format!("{d}: not a manifest or index: the blob is {what}");
        let src = format!("oci:{}:{name}", dir.display());
        let out = t.path().join(format!("out-{name}"));
        for err in [
            fails_with(lade().args(["inspect", &src]), 3),
            fails_with(
                lade().args(["copy", "-q", &src, &format!("oci:{}:y", out.display())]),
                3,
            ),
            fails_with(store_cmd(&dir).args(["cat-manifest", name]), 3),
        ] {
            assert!(err.contains(&says), "{name}: {err}");
            assert_eq!(err.lines().count(), 1, "{name}: {err}");
        }
        assert!(!out.exists(), "{name}");
        assert!(fsck.contains(&format!("bad manifest {says}")), "{fsck}");
    }
}
