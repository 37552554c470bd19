//! The `docker-daemon:` transport against the private Docker Engine the
//! test script starts: images read from the export stream into archives
//! and layouts, written through `POST /images/load` and run, round trips
//! that keep the image ID, a many-layer image sharing layers with
//! another, a daemon that dies mid-stream, and the error messages.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use common::*;
use lade::model::Digest;

fn docker_ok(host: &str, args: &[&str]) -> String {
    ok_str(docker(host).args(args))
}

fn image_inspect(host: &str, name: &str) -> serde_json::Value {
    json(&ok(docker(host).args(["image", "inspect", name])))[0].clone()
}

/// lade with DOCKER_HOST set to the test daemon.
fn lade_at(host: &str) -> std::process::Command {
    let mut c = lade();
    c.env("DOCKER_HOST", host);
    c
}

fn diff_ids(info: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(info["RootFS"]["Layers"].clone()).unwrap()
}

/// `lade-dd-small:1`: two layers, a CMD that prints a file.
fn small_image(host: &str) -> &'static str {
    static DONE: OnceLock<()> = OnceLock::new();
    const NAME: &str = "lade-dd-small:1";
    DONE.get_or_init(|| {
        build_image(
            host,
            NAME,
            "FROM lade-test-base:1\nCOPY msg.txt /msg.txt\nCOPY big.bin /big.bin\n\
             CMD [\"cat\", \"/msg.txt\"]\n",
            &[
                ("msg.txt", b"hello from the daemon test\n"),
                ("big.bin", &vec![7u8; 3 << 20]),
            ],
        )
    });
    NAME
}

/// Every file under `dir/blobs` hashes to its name; no temp files anywhere.
fn assert_layout_clean(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                !name.starts_with(".lade-tmp"),
                "temp file left: {}",
                p.display()
            );
            if p.is_dir() {
                stack.push(p);
            } else if p.parent().unwrap().ends_with("blobs/sha256") {
                let got = Digest::of_reader(
                    lade::model::Algorithm::Sha256,
                    &mut fs::File::open(&p).unwrap(),
                )
                .unwrap()
                .0;
                assert_eq!(got.hex(), name, "partial or corrupt blob {}", p.display());
            }
        }
    }
}

fn sha256_file(p: &Path) -> String {
    let mut f = fs::File::open(p).unwrap();
    Digest::of_reader(lade::model::Algorithm::Sha256, &mut f)
        .unwrap()
        .0
        .to_string()
}

/// A docker-archive (gzip or not) extracted by tar into `x` beside it:
/// that directory and its manifest.json.
fn extracted(archive: &Path) -> (PathBuf, serde_json::Value) {
    let x = archive.parent().unwrap().join("x");
    fs::create_dir(&x).unwrap();
    ok(std::process::Command::new("tar")
        .arg("-xf")
        .arg(archive)
        .arg("-C")
        .arg(&x));
    let m = json(&fs::read(x.join("manifest.json")).unwrap());
    (x, m)
}

#[test]
fn daemon_to_gzip_archive_extracts_to_manifest_config_and_layers() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let info = image_inspect(&host, img);
    let dir = tempdir();
    let out = dir.path().join("out.tar.gz");
    ok(lade_at(&host)
        .args(["copy", "-q"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("docker-archive:{}", out.display())));
    let (x, m) = extracted(&out);
    assert_eq!(m[0]["RepoTags"], serde_json::json!([img]));
    let config = m[0]["Config"].as_str().unwrap();
    assert_eq!(sha256_file(&x.join(config)), info["Id"].as_str().unwrap());
    let layers: Vec<String> = serde_json::from_value(m[0]["Layers"].clone()).unwrap();
    let got: Vec<String> = layers.iter().map(|l| sha256_file(&x.join(l))).collect();
    assert_eq!(got, diff_ids(&info));
    // By ID the image is named nothing (as `docker save ID`), not every
    // tag the daemon has for it.
    docker_ok(&host, &["tag", img, "lade-dd-small:other"]);
    let by_id = dir.path().join("byid.tar");
    ok(lade_at(&host)
        .args(["copy", "-q"])
        .arg(format!("docker-daemon:{}", info["Id"].as_str().unwrap()))
        .arg(format!("docker-archive:{}", by_id.display())));
    let ar = tar::Archive::new(fs::File::open(&by_id).unwrap());
    let m = manifest_of(ar);
    assert_eq!(m[0]["RepoTags"], serde_json::json!([]), "{m}");
}

/// --progress=json out of the daemon: every line an event, a blob_done
/// per blob with its time, and image_done counting them.
#[test]
fn json_progress_out_of_the_daemon() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let dir = tempdir();
    let out = run(lade_at(&host)
        .args(["copy", "--progress=json"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:x", dir.path().join("l").display())));
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty());
    let events: Vec<serde_json::Value> = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let done: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "blob_done")
        .collect();
    let image = events
        .iter()
        .find(|e| e["event"] == "image_done")
        .expect("an image_done event");
    assert_eq!(image["blobs_copied"], done.len(), "{events:#?}");
    // The config is started by its digest (the image ID), as it is known.
    let id = image_inspect(&host, img)["Id"].clone();
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "blob_start" && e["kind"] == "config" && e["digest"] == id),
        "{events:#?}"
    );
    // the 3 MiB layer took some time, and says its rate
    let big = done
        .iter()
        .find(|e| e["bytes"].as_u64().unwrap() > 3 << 20)
        .expect("the big layer");
    assert!(big["rate"].as_f64().unwrap() > 0.0, "{big}");
}

/// The JSON progress events of a stderr.
fn json_events(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// manifest.json of a tar archive.
fn manifest_of(mut ar: tar::Archive<fs::File>) -> serde_json::Value {
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some("manifest.json") {
            let mut s = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut s).unwrap();
            return json(&s);
        }
    }
    panic!("no manifest.json")
}

#[test]
fn oci_to_daemon_runs_and_round_trip_keeps_id_and_diff_ids() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let info = image_inspect(&host, img);
    let dir = tempdir();
    let layout = dir.path().join("layout");
    // daemon → oci, recompressed to gzip on the way (so the way back stages
    // layers of unknown uncompressed size)
    ok(lade_at(&host)
        .args(["copy", "-q", "--dest-compress-format", "gzip"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:gz", layout.display())));
    // and kept uncompressed
    ok(lade_at(&host)
        .args(["copy", "-q"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:plain", layout.display())));
    // and zstd, which goes back decompressed (staged per layer)
    ok(lade_at(&host)
        .args(["copy", "-q", "--dest-compress-format", "zstd"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:zst", layout.display())));
    assert_layout_clean(&layout);
    // gzip layers go to the daemon as they are by default, decompressed
    // by lade with --dest-compress-format none
    for (tag, new, extra) in [
        ("gz", "lade-dd-new:gz", None),
        ("gz", "lade-dd-new:gz-none", Some("none")),
        ("plain", "lade-dd-new:plain", None),
        ("zst", "lade-dd-new:zst", None),
    ] {
        let _ = run(docker(&host).args(["rmi", "-f", new]));
        let mut c = lade_at(&host);
        c.args(["copy", "-q"]);
        if let Some(f) = extra {
            c.args(["--dest-compress-format", f]);
        }
        ok(c.arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("docker-daemon:{new}")));
        let back = image_inspect(&host, new);
        assert_eq!(back["Id"], info["Id"], "{new}: image ID changed");
        assert_eq!(diff_ids(&back), diff_ids(&info));
        assert!(back["RepoTags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(new)));
        let out = docker_ok(&host, &["run", "--rm", "--network", "none", new]);
        assert_eq!(out, "hello from the daemon test");
    }
    // --additional-tag names the loaded image too.
    let _ = run(docker(&host).args(["rmi", "-f", "lade-dd-new:main", "lade-dd-new:extra"]));
    ok(lade_at(&host)
        .args(["copy", "-q", "--additional-tag", "lade-dd-new:extra"])
        .arg(format!("oci:{}:gz", layout.display()))
        .arg("docker-daemon:lade-dd-new:main"));
    assert_eq!(image_inspect(&host, "lade-dd-new:extra")["Id"], info["Id"]);
    assert_eq!(image_inspect(&host, "lade-dd-new:main")["Id"], info["Id"]);
}

#[test]
fn daemon_source_matches_docker_save_and_inspect_works() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let dir = tempdir();
    let saved = dir.path().join("saved.tar");
    docker_ok(&host, &["save", "-o", saved.to_str().unwrap(), img]);
    let a = ok_str(
        lade_at(&host)
            .args(["inspect", "--raw"])
            .arg(format!("docker-archive:{}", saved.display())),
    );
    let d = ok_str(
        lade_at(&host)
            .args(["inspect", "--raw"])
            .arg(format!("docker-daemon:{img}")),
    );
    assert_eq!(a, d, "the daemon's manifest differs from the archive's");
    let cfg = ok(lade_at(&host)
        .args(["inspect", "--raw", "--config"])
        .arg(format!("docker-daemon:{img}")));
    assert_eq!(
        Digest::of_bytes(&cfg).to_string(),
        image_inspect(&host, img)["Id"].as_str().unwrap()
    );
    let out = run(lade_at(&host)
        .args(["--debug", "inspect"])
        .arg(format!("docker-daemon:{img}")));
    assert!(out.status.success());
    let i = json(&out.stdout);
    assert_eq!(i["Name"], "docker.io/library/lade-dd-small");
    // --debug: the daemon's requests, by its address.
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.lines()
            .any(|l| l.starts_with(&format!("lade: debug: GET {host} /v1."))
                && l.contains("/images/")
                && l.contains("-> 200")),
        "{err}"
    );
    assert_eq!(i["Layers"].as_array().unwrap().len(), 3);
    // by ID, and with the host given by flag instead of DOCKER_HOST
    let id = image_inspect(&host, img)["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let by_id = ok_str(
        lade()
            .env_remove("DOCKER_HOST")
            .args(["inspect", "--raw", "--daemon-host", &host])
            .arg(format!("docker-daemon:{id}")),
    );
    assert_eq!(by_id, d);
}

/// --platform of an image read from the daemon: the daemon's word on the
/// image's platform decides, before anything is written, as from any
/// other source.
#[test]
fn platform_of_a_daemon_image_is_checked_before_the_copy() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let info = image_inspect(&host, img);
    let have = format!(
        "{}/{}",
        info["Os"].as_str().unwrap(),
        info["Architecture"].as_str().unwrap()
    );
    let other = if have == "linux/arm64" {
        "linux/s390x"
    } else {
        "linux/arm64"
    };
    let dir = tempdir();
    let src = format!("docker-daemon:{img}");
    for dest in [
        format!("oci:{}:x", dir.path().join("l").display()),
        format!("dir:{}", dir.path().join("d").display()),
        format!("docker-archive:{}", dir.path().join("a.tar").display()),
    ] {
        let err = fails_with(
            lade_at(&host).args(["copy", "-q", "--platform", other, &src, &dest]),
            1,
        );
        assert!(
            err.contains(&format!(
                "no image for {other}: the source is a single image, for {have}"
            )),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            fs::read_dir(dir.path()).unwrap().next().is_none(),
            "written into {dest}"
        );
    }
    let dest = format!("oci:{}:x", dir.path().join("l").display());
    ok(lade_at(&host).args(["copy", "-q", "--platform", &have, &src, &dest]));
    assert_eq!(
        json(&ok(lade().args(["inspect", "--config", &dest])))["architecture"],
        info["Architecture"]
    );
}

#[test]
fn many_layers_shared_with_another_image() {
    let Some(host) = docker_host() else { return };
    let mut df = String::from("FROM lade-test-base:1\n");
    for i in 0..11 {
        df.push_str(&format!(
            "RUN echo layer {i} > /f{i} && head -c {} /dev/zero > /z{i}\n",
            i * 100_000
        ));
    }
    build_image(&host, "lade-dd-many:a", &df, &[]);
    let df_b = "FROM lade-dd-many:a\nRUN echo b1 > /b1\nRUN rm /f3 && echo b2 > /b2\nCMD [\"sh\", \"-c\", \"cat /f0 /f10 /b1 /b2; ls /f3 2>&1 || true\"]\n";
    build_image(&host, "lade-dd-many:b", df_b, &[]);
    let a = image_inspect(&host, "lade-dd-many:a");
    let b = image_inspect(&host, "lade-dd-many:b");
    assert!(diff_ids(&a).len() >= 12 && diff_ids(&b).len() >= 14);
    let dir = tempdir();
    let layout = dir.path().join("layout");
    for t in ["a", "b"] {
        ok(lade_at(&host)
            .args(["copy", "-q"])
            .arg(format!("docker-daemon:lade-dd-many:{t}"))
            .arg(format!("oci:{}:{t}", layout.display())));
    }
    assert_layout_clean(&layout);
    // shared layers stored once: blobs = distinct diff_ids + 2 configs + 2 manifests
    let mut all = diff_ids(&b);
    all.extend(diff_ids(&a));
    all.sort();
    all.dedup();
    let blobs = fs::read_dir(layout.join("blobs/sha256")).unwrap().count();
    assert_eq!(blobs, all.len() + 4);
    // b into a layout holding a: the layers they share are said present
    // (blob_skipped), not copied; the bytes copied are b's own layers and
    // config. Copied again, nothing is.
    let only_a = dir.path().join("only-a");
    ok(lade_at(&host)
        .args(["copy", "-q", "docker-daemon:lade-dd-many:a"])
        .arg(format!("oci:{}:a", only_a.display())));
    let copy_b = |tag: &str| {
        json_events(&ok_stderr(
            lade_at(&host)
                .args(["copy", "--progress=json"])
                .arg("docker-daemon:lade-dd-many:b")
                .arg(format!("oci:{}:{tag}", only_a.display())),
        ))
    };
    let events = copy_b("b");
    let own: BTreeSet<String> = diff_ids(&b)
        .into_iter()
        .filter(|d| !diff_ids(&a).contains(d))
        .collect();
    let done: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "blob_done")
        .collect();
    assert_eq!(
        done.len(),
        own.len() + 1,
        "own layers and the config: {events:#?}"
    );
    let bytes: u64 = done.iter().map(|e| e["bytes"].as_u64().unwrap()).sum();
    let layer_bytes: u64 = own
        .iter()
        .map(|d| {
            fs::metadata(only_a.join("blobs/sha256").join(&d[7..]))
                .unwrap()
                .len()
        })
        .sum();
    let config = only_a
        .join("blobs/sha256")
        .join(&b["Id"].as_str().unwrap()[7..]);
    assert_eq!(bytes, layer_bytes + fs::metadata(&config).unwrap().len());
    let skipped = events
        .iter()
        .filter(|e| e["event"] == "blob_skipped")
        .count();
    assert_eq!(skipped, diff_ids(&b).len() - own.len(), "{events:#?}");
    let again = copy_b("b-again");
    assert!(
        !again.iter().any(|e| e["event"] == "blob_done"),
        "{again:#?}"
    );
    let image = again.iter().find(|e| e["event"] == "image_done").unwrap();
    assert_eq!(image["blobs_copied"], 0, "{again:#?}");
    let raw = |tag: &str| {
        ok(lade()
            .args(["inspect", "--raw"])
            .arg(format!("oci:{}:{tag}", only_a.display())))
    };
    assert_eq!(raw("b-again"), raw("b"));
    assert_layout_clean(&only_a);
    for (t, info) in [("b", &b), ("a", &a)] {
        let new = format!("lade-dd-many-back:{t}");
        ok(lade_at(&host)
            .args(["copy", "-q"])
            .arg(format!("oci:{}:{t}", layout.display()))
            .arg(format!("docker-daemon:{new}")));
        let back = image_inspect(&host, &new);
        assert_eq!(back["Id"], info["Id"]);
        assert_eq!(diff_ids(&back), diff_ids(info));
    }
    let out = docker_ok(
        &host,
        &["run", "--rm", "--network", "none", "lade-dd-many-back:b"],
    );
    assert!(out.starts_with("layer 0\nlayer 10\nb1\nb2\n"), "{out}");
    assert!(out.contains("No such file"), "{out}");
}

/// A layer gzipped on its way out of the daemon is known by what it
/// became (the blob-info cache): a second push of the image, into that
/// repository or (mounting) another, reads nothing out of the daemon and
/// sends nothing, and gives the same image. An entry the repository
/// lacks costs that one layer, sent from the temp file it was read into
/// (under --tmpdir, left empty). --dest-precompute-digests
/// sends each layer in one PUT, and nothing into a repository holding it.
#[test]
fn a_second_push_out_of_the_daemon_sends_no_layer() {
    let Some(reg) = registry() else { return };
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let info = image_inspect(&host, img);
    let layers = diff_ids(&info).len();
    let t = tempdir();
    let cache = t.path().join("cache");
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let push = |cache_on: bool, dest: &str, flags: &[&str]| -> (String, String) {
        let mut c = if cache_on {
            lade_with_cache(&cache)
        } else {
            lade()
        };
        let digests = t.path().join(unique("digest"));
        let err = ok_stderr(
            c.env("DOCKER_HOST", &host)
                .arg("--tmpdir")
                .arg(&tmp)
                .args(["--debug", "copy", "--dest-tls-verify=false", "--digestfile"])
                .arg(&digests)
                .args(flags)
                .arg(format!("docker-daemon:{img}"))
                .arg(format!("docker://{reg}/{dest}")),
        );
        assert_eq!(
            fs::read_dir(&tmp).unwrap().count(),
            0,
            "no temp file is left"
        );
        (fs::read_to_string(&digests).unwrap(), err)
    };
    let repo = unique("ddcache/a");
    let (first, err) = push(true, &format!("{repo}:1"), &[]);
    assert_eq!(
        err.matches("PATCH ").count(),
        layers,
        "every layer goes up: {err}"
    );
    let file = cache.join("lade/blob-info");
    let text = fs::read_to_string(&file).unwrap();
    let made: Vec<&str> = text.lines().filter(|l| l.contains(" gzip ")).collect();
    assert_eq!(made.len(), layers, "{text}");

    // The registry has it all: the image is not even read out of the
    // daemon (no export), and is the same.
    // (exported by the ID the name had when the copy began: a name moved
    // to another image meanwhile cannot change what is read)
    let exported = &format!("/images/{}/get", info["Id"].as_str().unwrap());
    assert!(err.contains(exported), "{err}");
    let (second, err) = push(true, &format!("{repo}:2"), &[]);
    assert_eq!(second, first);
    assert!(!err.contains("/blobs/uploads/"), "nothing is sent: {err}");
    assert!(!err.contains(exported), "nothing is read: {err}");
    assert_eq!(
        err.matches("skipped: already exists").count(),
        layers + 1,
        "{err}"
    );
    // Another repository: mounted from the first, still nothing read.
    let (mounted, err) = push(true, &format!("{}:1", unique("ddcache/m")), &[]);
    assert_eq!(mounted, first);
    assert!(!err.contains("PATCH ") && !err.contains(exported), "{err}");
    assert_eq!(err.matches("?mount=").count(), layers + 1, "{err}");

    // One entry names a blob the repository lacks: that layer goes up.
    let f: Vec<&str> = made[0].split(' ').collect();
    let stale = format!("{} gzip sha256:{} {}\n", f[0], "0".repeat(64), f[3]);
    fs::write(&file, made[1..].join("\n") + "\n" + &stale).unwrap();
    let (third, err) = push(true, &format!("{repo}:3"), &[]);
    assert_eq!(third, first);
    assert!(err.contains(exported), "{err}");
    assert_eq!(err.matches("PATCH ").count(), 1, "{err}");
    assert_eq!(
        err.matches("skipped: already exists").count(),
        layers,
        "{err}"
    );
    let (_, err) = push(true, &format!("{repo}:4"), &[]);
    assert!(!err.contains("/blobs/uploads/"), "learnt again: {err}");

    // Into a local layout, layers are gzipped straight from the stream:
    // no temp file (a --tmpdir that is not there is never used).
    let layout = t.path().join("local");
    ok(lade_with_cache(&cache)
        .env("DOCKER_HOST", &host)
        .args([
            "--tmpdir",
            "/nonexistent-lade-tmp",
            "copy",
            "-q",
            "--dest-compress",
        ])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:x", layout.display())));

    // No cache: precomputed digests.
    let other = unique("ddcache/b");
    let (fifth, err) = push(false, &format!("{other}:1"), &["--dest-precompute-digests"]);
    assert_eq!(fifth, first);
    assert!(!err.contains("PATCH "), "known digests go up whole: {err}");
    assert_eq!(err.matches("&digest=sha256:").count(), layers + 1, "{err}");
    let (sixth, err) = push(false, &format!("{other}:2"), &["--dest-precompute-digests"]);
    assert_eq!(sixth, first);
    assert!(!err.contains("/blobs/uploads/"), "nothing is sent: {err}");
}

/// A unix-socket proxy to the daemon that cuts every connection after
/// `limit` bytes from the daemon.
fn cutting_proxy(real: &str, limit: u64) -> (PathBuf, tempfile::TempDir) {
    proxy_to_daemon(real, limit, false)
}

/// With `stall`, the connection is held open and silent after `limit`
/// bytes (for a minute) instead of cut.
fn proxy_to_daemon(real: &str, limit: u64, stall: bool) -> (PathBuf, tempfile::TempDir) {
    let dir = tempdir();
    let sock = dir.path().join("p.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let real = PathBuf::from(real.strip_prefix("unix://").unwrap());
    std::thread::spawn(move || {
        for c in listener.incoming() {
            let Ok(client) = c else { return };
            let real = real.clone();
            std::thread::spawn(move || {
                let server = UnixStream::connect(&real).unwrap();
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                });
                let sent = Arc::new(AtomicU64::new(0));
                let mut buf = vec![0u8; 64 << 10];
                let (mut s, mut c) = (server, client);
                loop {
                    let n = match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let before = sent.fetch_add(n as u64, Ordering::SeqCst);
                    let n = (limit.saturating_sub(before)).min(n as u64) as usize;
                    if n == 0 && stall {
                        std::thread::sleep(std::time::Duration::from_secs(60));
                    }
                    if n == 0 || c.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = c.shutdown(std::net::Shutdown::Both);
                let _ = s.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (sock, dir)
}

/// A daemon that goes silent mid-export: the read fails after the idle
/// limit (LADE_IDLE_TIMEOUT, 30 minutes by default), with one line that
/// says so, and nothing is left.
#[test]
fn a_daemon_gone_silent_fails_after_the_idle_limit() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let (sock, _keep) = proxy_to_daemon(&host, 1 << 20, true);
    let proxy = format!("unix://{}", sock.display());
    let dir = tempdir();
    let layout = dir.path().join("layout");
    let t0 = std::time::Instant::now();
    let err = fails_with(
        lade_at(&proxy)
            .env("LADE_IDLE_TIMEOUT", "2s")
            .args(["copy", "-q"])
            .arg(format!("docker-daemon:{img}"))
            .arg(format!("oci:{}:x", layout.display())),
        3,
    );
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("sent nothing for 2s") && err.contains(&proxy),
        "{err}"
    );
    assert!(!layout.exists());
}

#[test]
fn daemon_dying_mid_stream_leaves_no_partial_blob() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    // past the ping and the image JSON, inside the 3 MiB layer
    let (sock, _keep) = cutting_proxy(&host, 1 << 20);
    let proxy = format!("unix://{}", sock.display());
    let dir = tempdir();
    let layout = dir.path().join("layout");
    let err = fails_with(
        lade_at(&proxy)
            .args(["copy", "-q"])
            .arg(format!("docker-daemon:{img}"))
            .arg(format!("oci:{}:x", layout.display())),
        3,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.contains(&proxy) && err.contains("DOCKER_HOST"), "{err}");
    assert_layout_clean(&layout);
    let idx = fs::read_to_string(layout.join("index.json")).unwrap_or_default();
    assert!(!idx.contains("\"x\""), "the image was recorded: {idx}");
    // into an archive: nothing appears
    let tar = dir.path().join("out.tar");
    fails_with(
        lade_at(&proxy)
            .args(["copy", "-q"])
            .arg(format!("docker-daemon:{img}"))
            .arg(format!("docker-archive:{}", tar.display())),
        3,
    );
    assert!(!tar.exists());
    // Nothing at all: no layout (the first copy failed before its first
    // blob was whole), no archive, no temp file.
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn abandoned_load_loads_nothing() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let dir = tempdir();
    let layout = dir.path().join("layout");
    ok(lade_at(&host)
        .args(["copy", "-q"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:x", layout.display())));
    // corrupt the big layer: the copy fails mid-upload
    let m = json(&ok(lade()
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:x", layout.display()))));
    let big = m["layers"][2]["digest"]
        .as_str()
        .unwrap()
        .replace("sha256:", "");
    let p = layout.join("blobs/sha256").join(&big);
    let mut bytes = fs::read(&p).unwrap();
    bytes[1000] ^= 1;
    fs::write(&p, bytes).unwrap();
    let _ = run(docker(&host).args(["rmi", "-f", "lade-dd-abandoned:1"]));
    let err = fails_with(
        lade_at(&host)
            .args(["copy", "-q"])
            .arg(format!("oci:{}:x", layout.display()))
            .arg("docker-daemon:lade-dd-abandoned:1"),
        3,
    );
    assert!(err.contains("digest"), "{err}");
    assert!(
        !run(docker(&host).args(["image", "inspect", "lade-dd-abandoned:1"]))
            .status
            .success()
    );
}

/// A gzip layer that matches its own digest but not the config's diff_id:
/// lade passes gzip layers to `docker load` as they are, and the daemon's
/// diff_id check must turn into a failed copy that loads nothing.
#[test]
fn gzip_layer_not_matching_its_diff_id_is_refused() {
    use flate2::{read::GzDecoder, write::GzEncoder};
    let Some(host) = docker_host() else { return };
    // an image of its own, removed from the daemon once exported: Docker
    // does not read a layer it already has
    let img = "lade-dd-diffid-src:1";
    let msg = format!("hello from {}\n", unique("diffid"));
    build_image(
        &host,
        img,
        "FROM lade-test-base:1\nCOPY msg.txt /msg.txt\n",
        &[("msg.txt", msg.as_bytes())],
    );
    let dir = tempdir();
    let layout = dir.path().join("layout");
    ok(lade_at(&host)
        .args(["copy", "-q", "--dest-compress-format", "gzip"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:x", layout.display())));
    docker_ok(&host, &["rmi", img]);
    let blob = |d: &str| {
        layout
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let mut m = json(&ok(lade()
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:x", layout.display()))));
    // layer 1 holds msg.txt: change its text, keep the tar valid
    let old = m["layers"][1]["digest"].as_str().unwrap().to_string();
    let mut tar = Vec::new();
    GzDecoder::new(fs::File::open(blob(&old)).unwrap())
        .read_to_end(&mut tar)
        .unwrap();
    let at = tar
        .windows(10)
        .position(|w| w == b"hello from")
        .expect("msg.txt in layer 1");
    tar[at] = b'J';
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let gz = gz.finish().unwrap();
    let d = Digest::of_bytes(&gz).to_string();
    fs::write(blob(&d), &gz).unwrap();
    m["layers"][1]["digest"] = d.into();
    m["layers"][1]["size"] = gz.len().into();
    let mb = serde_json::to_vec(&m).unwrap();
    let md = Digest::of_bytes(&mb).to_string();
    fs::write(blob(&md), &mb).unwrap();
    let mut idx = json(&fs::read(layout.join("index.json")).unwrap());
    idx["manifests"][0]["digest"] = md.into();
    idx["manifests"][0]["size"] = mb.len().into();
    fs::write(layout.join("index.json"), serde_json::to_vec(&idx).unwrap()).unwrap();

    let new = "lade-dd-bad-diffid:1";
    let _ = run(docker(&host).args(["rmi", "-f", new]));
    let err = fails_with(
        lade_at(&host)
            .args(["copy", "-q"])
            .arg(format!("oci:{}:x", layout.display()))
            .arg(format!("docker-daemon:{new}")),
        3,
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&host) && err.to_lowercase().contains("diffid"),
        "{err}"
    );
    assert!(!run(docker(&host).args(["image", "inspect", new]))
        .status
        .success());
    // decompressed by lade, the mismatch is found before the daemon sees it
    let err = fails_with(
        lade_at(&host)
            .args(["copy", "-q", "--dest-compress-format", "none"])
            .arg(format!("oci:{}:x", layout.display()))
            .arg(format!("docker-daemon:{new}")),
        3,
    );
    assert!(err.contains("diff_id") || err.contains("digest"), "{err}");
    assert!(!run(docker(&host).args(["image", "inspect", new]))
        .status
        .success());
}

#[test]
fn clear_errors_naming_the_daemon() {
    let Some(host) = docker_host() else { return };
    // no daemon there
    let err = fails_with(
        lade_at("unix:///nonexistent/docker.sock").args(["inspect", "docker-daemon:x"]),
        3,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("unix:///nonexistent/docker.sock (DOCKER_HOST)")
            && err.contains("is the daemon running"),
        "{err}"
    );
    // refused TCP, named by flag
    let err = fails_with(
        lade()
            .args([
                "copy",
                "--src-daemon-host",
                "tcp://127.0.0.1:1",
                "docker-daemon:x",
            ])
            .arg("oci:/nonexistent-lade/x"),
        3,
    );
    assert!(
        err.contains("tcp://127.0.0.1:1 (--src-daemon-host)"),
        "{err}"
    );
    // inspect's option is named as inspect calls it
    let err = fails_with(
        lade().args([
            "inspect",
            "--daemon-host",
            "tcp://127.0.0.1:1",
            "docker-daemon:x",
        ]),
        3,
    );
    assert!(err.contains("tcp://127.0.0.1:1 (--daemon-host)"), "{err}");
    // a port no TCP has, and a file that is no socket: said as they are,
    // not as a daemon that is not running
    for (host, says) in [
        ("tcp://127.0.0.1:99999", "invalid port \"99999\""),
        ("unix:///etc/passwd", "/etc/passwd is not a socket"),
    ] {
        let err = fails_with(
            lade().args(["inspect", "--daemon-host", host, "docker-daemon:x"]),
            3,
        );
        assert!(err.contains(says) && !err.contains("running"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    // something that is not a Docker Engine (a registry: 404 on /_ping):
    // a failure, not "no such image"
    if let Some(reg) = registry() {
        let err = fails_with(
            lade().args([
                "inspect",
                "--daemon-host",
                &format!("tcp://{reg}"),
                "docker-daemon:x",
            ]),
            3,
        );
        assert!(err.contains("not a Docker Engine"), "{err}");
    }
    // no such image: a negative answer (exit 1), as for oci: names
    let err = fails_with(
        lade_at(&host).args(["inspect", "docker-daemon:lade-dd-missing:9"]),
        1,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no such image") && err.contains("DOCKER_HOST"),
        "{err}"
    );
    // a short ID given as a name: told how an ID is written
    let err = fails_with(
        lade_at(&host).args(["inspect", "docker-daemon:0123456789ab"]),
        1,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("an image ID is written sha256:ID"), "{err}");
    // a destination by ID is refused
    let tiny = fixture("docker-save/tiny-docker26.tar");
    let err = fails_with(
        lade_at(&host)
            .arg("copy")
            .arg(format!("docker-archive:{}", tiny.display()))
            .arg(format!("docker-daemon:sha256:{}", "a".repeat(64))),
        3,
    );
    assert!(err.contains("NAME[:TAG]"), "{err}");
    // permission denied, as an unprivileged user (root ignores socket modes)
    if require_tool("setpriv")
        && !std::env::var("LADE_TEST_TMP")
            .unwrap_or_default()
            .is_empty()
    {
        let d = tempdir();
        let sock = d.path().join("locked.sock");
        let _l = UnixListener::bind(&sock).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&sock, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let out = run(std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_lade"))
            .args(["inspect", "docker-daemon:x"])
            .env("DOCKER_HOST", format!("unix://{}", sock.display())));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(
            err.contains("permission denied") && err.contains("DOCKER_HOST"),
            "{err}"
        );
    }
}

/// `docker-daemon:NAME@DIGEST` names the image whose repo digest that is
/// (as `docker run NAME@DIGEST`): after a push, the daemon knows the
/// registry's manifest digest for the repository, and the copy gives that
/// image (by ID, unnamed) even once the tag has moved to another image.
/// An unknown digest is "no such image" (exit 1); a tag with the digest,
/// and a destination by digest, are refused (exit 3) and nothing loaded;
/// delete removes the repo digest.
/// skopeo 1.9 fails every such copy ("Manifest does not match provided
/// manifest digest": it checks the digest against the manifest it builds).
#[test]
fn a_repo_digest_names_the_image() {
    let Some(host) = docker_host() else { return };
    let Some(reg) = registry() else { return };
    let base = base_image(&host);
    let id = image_inspect(&host, base)["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let repo = format!("{reg}/{}", unique("dd/bydigest"));
    docker_ok(&host, &["tag", base, &format!("{repo}:1")]);
    docker_ok(&host, &["push", "-q", &format!("{repo}:1")]);
    let digests = image_inspect(&host, &format!("{repo}:1"))["RepoDigests"].clone();
    let named = digests
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .find(|d| d.starts_with(&format!("{repo}@")))
        .unwrap_or_else(|| panic!("no repo digest: {digests}"));
    // The tag moves on; the digest still names the pushed image.
    let other = small_image(&host);
    docker_ok(&host, &["tag", other, &format!("{repo}:1")]);
    let t = tempdir();
    let out = t.path().join("out.tar");
    ok(lade_at(&host)
        .args(["copy", "-q"])
        .arg(format!("docker-daemon:{named}"))
        .arg(format!("docker-archive:{}", out.display())));
    let (x, m) = extracted(&out);
    assert_eq!(sha256_file(&x.join(m[0]["Config"].as_str().unwrap())), id);
    assert_eq!(m[0]["RepoTags"], serde_json::json!([]), "{m}");
    // inspect reads it too (the manifest is lade's, from the export)
    let i = json(&ok(lade_at(&host)
        .arg("inspect")
        .arg(format!("docker-daemon:{named}"))));
    assert_eq!(i["Layers"].as_array().unwrap().len(), 1, "{i}");
    // A digest the daemon has no image by: a negative answer.
    let missing = format!("{repo}@sha256:{}", "a".repeat(64));
    let err = fails_with(
        lade_at(&host)
            .args(["copy", "-q"])
            .arg(format!("docker-daemon:{missing}"))
            .arg(format!(
                "docker-archive:{}",
                t.path().join("no.tar").display()
            )),
        1,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no such image") && err.contains(&missing),
        "{err}"
    );
    assert!(!t.path().join("no.tar").exists());
    // A tag and a digest: refused, as for docker://.
    let both = named.replacen('@', ":1@", 1);
    let err = fails_with(
        lade_at(&host)
            .arg("inspect")
            .arg(format!("docker-daemon:{both}")),
        3,
    );
    assert!(err.contains("names both tag"), "{err}");
    // A destination by digest: refused before anything is loaded.
    let tiny = fixture("docker-save/tiny-docker26.tar");
    let err = fails_with(
        lade_at(&host)
            .arg("copy")
            .arg(format!("docker-archive:{}", tiny.display()))
            .arg(format!("docker-daemon:{named}")),
        3,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("NAME[:TAG]") && err.contains("digest"),
        "{err}"
    );
    assert_eq!(
        image_inspect(&host, &format!("{repo}:1"))["Id"],
        image_inspect(&host, other)["Id"]
    );
    // delete removes the repo digest, as docker rmi NAME@DIGEST
    ok(lade_at(&host)
        .arg("delete")
        .arg(format!("docker-daemon:{named}")));
    let left = image_inspect(&host, base)["RepoDigests"].to_string();
    assert!(!left.contains(&named), "{left}");
    fails_with(
        lade_at(&host)
            .arg("delete")
            .arg(format!("docker-daemon:{named}")),
        1,
    );
    docker_ok(&host, &["rmi", &format!("{repo}:1")]);
}

/// The test daemon's TLS listener (scripts/test: `--tlsverify`, a CA and
/// server certificate made for the run) and a DOCKER_CERT_PATH with a
/// client certificate it signed.
fn tls_daemon() -> Option<(String, PathBuf)> {
    match (
        std::env::var("LADE_TEST_DOCKER_TLS_HOST"),
        std::env::var("LADE_TEST_DOCKER_CERTS"),
    ) {
        (Ok(h), Ok(c)) if !h.is_empty() && !c.is_empty() => Some((h, PathBuf::from(c))),
        _ => {
            let what = "the test Docker Engine's TLS listener (LADE_TEST_DOCKER_TLS_HOST)";
            assert!(!in_ci(), "peer missing in CI: {what}");
            eprintln!("SKIPPED: {what} is not available; run the tests through scripts/test");
            None
        }
    }
}

/// lade talking TLS to `host` with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.
fn lade_tls(host: &str, certs: &Path) -> std::process::Command {
    let mut c = lade_at(host);
    c.env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", certs);
    c
}

#[test]
fn tls_with_client_certificate_reads_and_writes() {
    let Some(host) = docker_host() else { return };
    let Some((tls, certs)) = tls_daemon() else {
        return;
    };
    let img = small_image(&host);
    let info = image_inspect(&host, img);
    let dir = tempdir();
    let layout = dir.path().join("oci");
    ok(lade_tls(&tls, &certs)
        .args(["copy", "-q"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:x", layout.display())));
    assert_layout_clean(&layout);
    const NAME: &str = "lade-dd-tls:1";
    ok(lade_tls(&tls, &certs)
        .args(["copy", "-q"])
        .arg(format!("oci:{}:x", layout.display()))
        .arg(format!("docker-daemon:{NAME}")));
    let loaded = image_inspect(&host, NAME);
    assert_eq!(loaded["Id"], info["Id"]);
    assert_eq!(diff_ids(&loaded), diff_ids(&info));
    let shown = json(&ok(lade_tls(&tls, &certs)
        .arg("inspect")
        .arg(format!("docker-daemon:{NAME}"))));
    let plain = json(&ok(lade_at(&host)
        .arg("inspect")
        .arg(format!("docker-daemon:{NAME}"))));
    assert!(shown["Digest"].is_string(), "{shown}");
    assert_eq!(shown["Digest"], plain["Digest"]);
    docker_ok(&host, &["image", "rm", NAME]);

    // The same CA but no client certificate: the daemon refuses the
    // handshake; one clear line naming the address and where it came from.
    let nocert = dir.path().join("nocert");
    fs::create_dir(&nocert).unwrap();
    fs::copy(certs.join("ca.pem"), nocert.join("ca.pem")).unwrap();
    let dest = dir.path().join("refused");
    let err = fails_with(
        lade_tls(&tls, &nocert)
            .args(["copy", "-q"])
            .arg(format!("docker-daemon:{img}"))
            .arg(format!("oci:{}:x", dest.display())),
        3,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{tls} (DOCKER_HOST)")), "{err}");
    // The source is opened first: no layout is left behind.
    assert!(!dest.exists(), "a refused source left {}", dest.display());
    eprintln!("refused as expected: {}", err.trim_end());
    // A ca.pem holding no certificate is said to be so (not an empty
    // trust store, which would blame the daemon's certificate).
    let garbled = dir.path().join("garbled");
    fs::create_dir(&garbled).unwrap();
    for f in ["cert.pem", "key.pem"] {
        fs::copy(certs.join(f), garbled.join(f)).unwrap();
    }
    fs::write(garbled.join("ca.pem"), "not a pem\n").unwrap();
    let err = fails_with(
        lade_tls(&tls, &garbled).args(["inspect", &format!("docker-daemon:{img}")]),
        3,
    );
    assert!(err.contains("ca.pem holds no certificate"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // Plain HTTP to the TLS port fails clearly too.
    let err = fails_with(lade_at(&tls).args(["inspect", "docker-daemon:x"]), 3);
    assert!(err.contains(&format!("{tls} (DOCKER_HOST)")), "{err}");
}

/// `delete docker-daemon:NAME:TAG` removes that name, as `docker rmi`
/// does: the image goes with its last name; another name keeps it. Not
/// there: exit 1. An ID several names share is refused by the daemon
/// (exit 3, its message). `--daemon-host` names the Engine.
#[test]
fn delete_removes_a_daemon_image_name() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let id = image_inspect(&host, img)["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let (a, b) = (
        unique("lade-dd-del/a") + ":1",
        unique("lade-dd-del/b") + ":2",
    );
    for n in [&a, &b] {
        docker_ok(&host, &["tag", img, n]);
    }
    // An ID that several names share: the daemon refuses, nothing goes.
    let err = fails_with(
        lade_at(&host).args(["delete", &format!("docker-daemon:{id}")]),
        3,
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("HTTP 409"), "{err}");
    image_inspect(&host, &a);
    // A name: that name alone goes, through --daemon-host too.
    ok(lade_at(&host).args(["delete", &format!("docker-daemon:{a}")]));
    let gone = run(docker(&host).args(["image", "inspect", &a]));
    assert!(!gone.status.success(), "{a} is still there");
    assert_eq!(image_inspect(&host, &b)["Id"], id.as_str());
    assert_eq!(image_inspect(&host, img)["Id"], id.as_str());
    ok(lade().env_remove("DOCKER_HOST").args([
        "delete",
        "--daemon-host",
        &host,
        &format!("docker-daemon:{b}"),
    ]));
    assert!(!run(docker(&host).args(["image", "inspect", &b]))
        .status
        .success());
    // Not there (any more): exit 1, naming it.
    let err = fails_with(
        lade_at(&host).args(["delete", &format!("docker-daemon:{a}")]),
        1,
    );
    assert!(err.contains(&a) && err.lines().count() == 1, "{err}");
}

/// `--tls-details` narrows the Docker Engine's TLS too, as skopeo's does:
/// with minVersion 1.3, lade still talks to the test daemon (Go offers
/// 1.3), and a listener that speaks TLS 1.2 alone (openssl s_server with
/// the daemon's certificate) fails the handshake, where without the file
/// the handshake is made (and the answer, not a daemon's, is refused).
#[test]
fn tls_details_narrow_the_daemon_connection_too() {
    let Some(host) = docker_host() else { return };
    let Some((tls, certs)) = tls_daemon() else {
        return;
    };
    let img = small_image(&host);
    let dir = tempdir();
    let details = dir.path().join("tls.yaml");
    fs::write(&details, "minVersion: \"1.3\"\n").unwrap();
    let layout = dir.path().join("oci");
    ok(lade_tls(&tls, &certs)
        .arg("--tls-details")
        .arg(&details)
        .args(["copy", "-q"])
        .arg(format!("docker-daemon:{img}"))
        .arg(format!("oci:{}:x", layout.display())));
    assert_layout_clean(&layout);

    // One connection, then s_server exits: the ping shows whether the
    // handshake was made, and the next request is refused at once.
    let server = certs.parent().unwrap();
    let old_tls = |details: Option<&Path>| -> String {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s_server = std::process::Command::new("openssl")
            .args(["s_server", "-tls1_2", "-www", "-naccept", "1", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(server.join("server-cert.pem"))
            .arg("-key")
            .arg(server.join("server-key.pem"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let mut said = std::io::BufReader::new(s_server.stdout.take().unwrap());
        let mut line = String::new();
        while !line.starts_with("ACCEPT") {
            line.clear();
            if std::io::BufRead::read_line(&mut said, &mut line).unwrap() == 0 {
                panic!("openssl s_server did not start");
            }
        }
        let host = format!("tcp://127.0.0.1:{port}");
        let mut cmd = lade_tls(&host, &certs);
        if let Some(d) = details {
            cmd.arg("--tls-details").arg(d);
        }
        let err = fails_with(cmd.args(["--debug", "inspect", "docker-daemon:x:1"]), 3);
        let _ = s_server.kill();
        let _ = s_server.wait();
        let last = err.trim_end().lines().last().unwrap_or("");
        assert!(
            last.starts_with("lade: error: ") && last.contains(&format!("{host} (DOCKER_HOST)")),
            "{err}"
        );
        err
    };
    let narrowed = old_tls(Some(&details));
    assert!(narrowed.contains("ProtocolVersion"), "{narrowed}");
    assert!(!narrowed.contains("/_ping -> 200"), "{narrowed}");
    let plain = old_tls(None);
    assert!(plain.contains("/_ping -> 200"), "{plain}");
    assert!(!plain.contains("ProtocolVersion"), "{plain}");
}

/// A unix-socket proxy to the daemon, one request per connection, that
/// answers `GET …/images/NAME/get` with the bytes of `export` (a `docker
/// save` of the Docker 25+ layout, which the Debian Engine cannot write)
/// and passes every other request on.
fn daemon_with_export(real: &str, export: Vec<u8>) -> (PathBuf, tempfile::TempDir) {
    let dir = tempdir();
    let sock = dir.path().join("e.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let real = PathBuf::from(real.strip_prefix("unix://").unwrap());
    let export = Arc::new(export);
    std::thread::spawn(move || {
        for c in listener.incoming() {
            let Ok(mut client) = c else { return };
            let (real, export) = (real.clone(), export.clone());
            std::thread::spawn(move || {
                // The request head (these requests have no body but a load's,
                // which is passed on as it comes).
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut b) {
                        Ok(1) => head.push(b[0]),
                        _ => return,
                    }
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                if line.starts_with("GET ") && line.contains("/images/") && line.contains("/get") {
                    let _ = write!(
                        client,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        export.len()
                    );
                    let _ = client.write_all(&export);
                    return;
                }
                // One request per connection: ask the daemon to close after it.
                let text =
                    String::from_utf8_lossy(&head).replacen("\r\n", "\r\nConnection: close\r\n", 1);
                let mut server = UnixStream::connect(&real).unwrap();
                server.write_all(text.as_bytes()).unwrap();
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                });
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (sock, dir)
}

/// Docker 25+ names each layer of its export by digest: lade starts and
/// times them under that name (blob_start, blob_done), and a layer the
/// registry holds from an earlier push is read past, checked, and not
/// sent, with no temp file; the image is the one a push straight from
/// the export makes.
#[test]
fn layers_the_export_names_by_digest() {
    let Some(host) = docker_host() else { return };
    let Some(reg) = registry() else { return };
    let fixture = fixture("docker-save/tiny-docker26.tar");
    docker_ok(&host, &["load", "-q", "-i", fixture.to_str().unwrap()]);
    let (sock, _keep) = daemon_with_export(&host, fs::read(&fixture).unwrap());
    let proxy = format!("unix://{}", sock.display());
    let layers = diff_ids(&image_inspect(&host, "tiny:1"));
    let t = tempdir();
    // Into a layout, with JSON progress: each layer started by its digest.
    let out = run(lade_at(&proxy)
        .args(["copy", "--progress=json", "docker-daemon:tiny:1"])
        .arg(format!("oci:{}:x", t.path().join("l").display())));
    assert!(out.status.success(), "{out:?}");
    let events: Vec<serde_json::Value> = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for d in &layers {
        for kind in ["blob_start", "blob_done"] {
            assert!(
                events
                    .iter()
                    .any(|e| e["event"] == kind && e["digest"] == d.as_str()),
                "{kind} {d}: {events:#?}"
            );
        }
    }
    ok(lade().args(["fsck", "--store"]).arg(t.path().join("l")));
    let written = |tag: &str| {
        json(&ok(lade()
            .args(["inspect", "--raw"])
            .arg(format!("oci:{}:{tag}", t.path().join("l").display()))))
    };
    // Again, into the layout holding one layer less: the layers it holds
    // are read past (blob_skipped), the missing one written; the same
    // image.
    let gone = t.path().join("l/blobs/sha256").join(&layers[0][7..]);
    fs::remove_file(&gone).unwrap();
    let events = json_events(&ok_stderr(
        lade_at(&proxy)
            .args(["copy", "--progress=json", "docker-daemon:tiny:1"])
            .arg(format!("oci:{}:y", t.path().join("l").display())),
    ));
    let of = |kind: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["event"] == kind)
            .map(|e| e["digest"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(of("blob_done"), [layers[0].clone()], "{events:#?}");
    assert_eq!(of("blob_skipped").len(), layers.len(), "{events:#?}");
    assert!(gone.is_file());
    assert_eq!(written("y"), written("x"));
    ok(lade().args(["fsck", "--store"]).arg(t.path().join("l")));

    // Into a registry, twice, the cache knowing all but one layer.
    let cache = t.path().join("cache");
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let repo = unique("dd26/a");
    let push = |tag: &str| -> (String, String) {
        let digests = t.path().join(unique("digest"));
        let err = ok_stderr(
            lade_with_cache(&cache)
                .env("DOCKER_HOST", &proxy)
                .arg("--tmpdir")
                .arg(&tmp)
                .args(["--debug", "copy", "--dest-tls-verify=false", "--digestfile"])
                .arg(&digests)
                .arg("docker-daemon:tiny:1")
                .arg(format!("docker://{reg}/{repo}:{tag}")),
        );
        (fs::read_to_string(&digests).unwrap(), err)
    };
    let (first, err) = push("1");
    assert_eq!(err.matches("PATCH ").count(), layers.len(), "{err}");
    let file = cache.join("lade/blob-info");
    let text = fs::read_to_string(&file).unwrap();
    let made: Vec<&str> = text.lines().filter(|l| l.contains(" gzip ")).collect();
    assert_eq!(made.len(), layers.len(), "{text}");
    let f: Vec<&str> = made[0].split(' ').collect();
    let stale = format!("{} gzip sha256:{} {}\n", f[0], "0".repeat(64), f[3]);
    fs::write(&file, made[1..].join("\n") + "\n" + &stale).unwrap();
    let (second, err) = push("2");
    assert_eq!(second, first);
    assert!(err.contains("/get"), "the export is read: {err}");
    assert_eq!(err.matches("PATCH ").count(), 1, "one layer goes up: {err}");
    assert_eq!(
        err.matches("skipped: already exists").count(),
        layers.len(),
        "{err}"
    );
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
}

/// Every blob_start of JSON progress ends with exactly one blob_done,
/// blob_failed, blob_skipped or blob_reused after it; returns each started
/// blob's last event.
fn ends_of_starts(events: &[serde_json::Value]) -> std::collections::HashMap<String, String> {
    let mut open: BTreeSet<String> = BTreeSet::new();
    let mut ends = std::collections::HashMap::new();
    for e in events {
        let d = e["digest"].as_str().unwrap_or("").to_string();
        match e["event"].as_str().unwrap() {
            "blob_start" => assert!(open.insert(d.clone()), "started twice: {e}"),
            ev @ ("blob_done" | "blob_failed" | "blob_skipped" | "blob_reused") => {
                if open.remove(&d) {
                    ends.insert(d, ev.to_string());
                } else {
                    assert!(!ends.contains_key(&d), "ended twice: {e}");
                }
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "started, never ended: {open:?}");
    ends
}

/// A copy out of the daemon that fails while a layer of the export is
/// under way (a Docker 25+ export, which starts each layer by its digest,
/// whose last layer does not hash to it): under --progress=json that
/// layer's blob_start ends with one blob_failed (said by the copy's
/// catch-all for an image's failure: the stream's write says nothing of
/// it), the others with blob_done; exit 3, nothing partial in the layout.
#[test]
fn a_layer_failing_mid_stream_ends_with_blob_failed() {
    let Some(host) = docker_host() else { return };
    let fixture = fixture("docker-save/tiny-docker26.tar");
    docker_ok(&host, &["load", "-q", "-i", fixture.to_str().unwrap()]);
    let layers = diff_ids(&image_inspect(&host, "tiny:1"));
    let bad = layers.last().unwrap().clone();
    // The export with one byte of that layer's member changed (its size,
    // and so the tar around it, as they were).
    let mut export = fs::read(&fixture).unwrap();
    let at = {
        let mut ar = tar::Archive::new(export.as_slice());
        let e = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .find(|e| e.path().unwrap().ends_with(&bad[7..]))
            .expect("the layer's member");
        e.raw_file_position() as usize + 100
    };
    export[at] ^= 0xff;
    let (sock, _keep) = daemon_with_export(&host, export);
    let t = tempdir();
    let dir = t.path().join("l");
    let out = run(lade_at(&format!("unix://{}", sock.display()))
        .args(["copy", "--progress=json", "docker-daemon:tiny:1"])
        .arg(format!("oci:{}:x", dir.display())));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(3), "{err}");
    let last = err.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("lade: error: ") && last.contains(&bad[7..]),
        "{err}"
    );
    let events = json_events(&err[..err.trim_end().len() - last.len()]);
    let ends = ends_of_starts(&events);
    assert_eq!(
        ends.get(&bad).map(String::as_str),
        Some("blob_failed"),
        "{err}"
    );
    for d in &layers[..layers.len() - 1] {
        assert_eq!(ends.get(d).map(String::as_str), Some("blob_done"), "{err}");
    }
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "blob_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{err}");
    assert!(
        failed[0]["error"].as_str().unwrap().contains(&bad[7..]),
        "{err}"
    );
    assert_layout_clean(&dir);
}

/// `docker save` of one image under two tags, and of an untagged image:
/// sync writes the image under each of its tags (dir: tree, registry);
/// an image with no tag stops the sync before anything is written, and
/// with --keep-going fails alone.
#[test]
fn sync_of_a_docker_save_writes_every_tag() {
    let Some(host) = docker_host() else { return };
    let img = small_image(&host);
    let t = tempdir();
    let second = format!("{}:second", img.split(':').next().unwrap());
    docker_ok(&host, &["tag", img, &second]);
    let saved = t.path().join("two.tar");
    docker_ok(
        &host,
        &["save", "-o", saved.to_str().unwrap(), img, &second],
    );
    let tree = t.path().join("tree");
    ok(lade().args([
        "sync",
        "-q",
        &format!("docker-archive:{}", saved.display()),
        &format!("dir:{}", tree.display()),
    ]));
    let mut dirs: Vec<String> = fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    assert_eq!(dirs, ["lade-dd-small:1", "lade-dd-small:second"]);
    if let Some(reg) = registry() {
        let repo = format!("docker://{reg}/{}", unique("saved/app"));
        ok(lade().args([
            "sync",
            "-q",
            "--dest-tls-verify=false",
            &format!("docker-archive:{}", saved.display()),
            &repo,
        ]));
        let tags = json(&ok(lade().args(["list-tags", "--tls-verify=false", &repo])));
        let mut tags: Vec<&str> = tags["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        tags.sort();
        assert_eq!(tags, ["1", "second"]);
        let digest = |tag: &str| {
            json(&ok(lade().args([
                "inspect",
                "--tls-verify=false",
                &format!("{repo}:{tag}"),
            ])))["Digest"]
                .clone()
        };
        assert_eq!(digest("1"), digest("second"));
    }
    // An untagged image (saved by ID) beside a tagged one.
    let id = image_inspect(&host, img)["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = format!("lade-dd-other:{}", std::process::id());
    build_image(
        &host,
        &other,
        "FROM lade-test-base:1\nCOPY o /o\n",
        &[("o", b"other\n")],
    );
    let mixed = t.path().join("mixed.tar");
    docker_ok(&host, &["save", "-o", mixed.to_str().unwrap(), &other, &id]);
    let tree2 = t.path().join("tree2");
    let err = fails_with(
        lade().args([
            "sync",
            &format!("docker-archive:{}", mixed.display()),
            &format!("dir:{}", tree2.display()),
        ]),
        3,
    );
    assert!(err.contains("no tag to write it under"), "{err}");
    assert!(err.contains("nothing was copied"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        !tree2.exists() || fs::read_dir(&tree2).unwrap().next().is_none(),
        "nothing written"
    );
    let out = run(lade().args([
        "sync",
        "-k",
        &format!("docker-archive:{}", mixed.display()),
        &format!("dir:{}", tree2.display()),
    ]));
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 images: 1 copied, 0 unchanged, 1 failed"),
        "{err}"
    );
    // (docker save lists several images in no set order)
    assert!(
        (0..2).any(
            |i| err.contains(&format!("mixed.tar:@{i}: no tag to write it under"))
                && !err.contains(&format!("@{i}: docker-archive"))
        ),
        "{err}"
    );
    assert!(tree2.join(&other).join("manifest.json").exists());
    docker_ok(&host, &["rmi", &other, &second]);
}

/// podman's Docker API, as a service with its own storage (vfs) on a
/// socket under `dir`; stopped when dropped.
struct PodmanService {
    child: std::process::Child,
    host: String,
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn podman_service(dir: &Path) -> PodmanService {
    let sock = dir.join("podman.sock");
    let host = format!("unix://{}", sock.display());
    let child = std::process::Command::new("podman")
        .arg("--root")
        .arg(dir.join("storage"))
        .arg("--runroot")
        .arg(dir.join("run"))
        .args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs"])
        .args([
            "--events-backend",
            "none",
            "system",
            "service",
            "--time=0",
            &host,
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let service = PodmanService { child, host };
    let t0 = std::time::Instant::now();
    while UnixStream::connect(&sock).is_err() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(30),
            "podman system service did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    service
}

/// An Engine whose export is laid out as containers/image writes
/// docker-archives (podman's Docker API: layers at the top as
/// DIFF_ID_HEX.tar, ID/layer.tar symlinks to them) is read as Docker's:
/// the image out of it is the one the archive put in.
#[test]
fn an_export_in_the_containers_image_layout_is_read() {
    if !require_tool("podman") {
        return;
    }
    let t = tempdir();
    let podman = podman_service(t.path());
    let archive = format!(
        "docker-archive:{}",
        fixture("docker-save/tiny-docker20.tar").display()
    );
    ok(lade_at(&podman.host).args(["copy", "-q", &archive, "docker-daemon:lade-pm:1"]));
    let from_archive = t.path().join("from-archive");
    ok(lade()
        .args(["copy", "-q", &archive])
        .arg(format!("oci:{}:x", from_archive.display())));
    let out = t.path().join("out");
    ok(lade_at(&podman.host)
        .args(["copy", "-q", "docker-daemon:lade-pm:1"])
        .arg(format!("oci:{}:x", out.display())));
    assert_layout_clean(&out);
    let digest = |dir: &Path| {
        json(&ok(lade()
            .arg("inspect")
            .arg(format!("oci:{}:x", dir.display()))))["Digest"]
            .clone()
    };
    assert_eq!(digest(&out), digest(&from_archive));
    let shown = json(&ok(
        lade_at(&podman.host).args(["inspect", "docker-daemon:lade-pm:1"])
    ));
    assert_eq!(shown["Layers"].as_array().map(Vec::len), Some(3), "{shown}");
}
