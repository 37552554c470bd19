//! Docker schema 1 images (fsLayers and history, JWS-signed), as old
//! registries hold them: made by skopeo (`--format v2s1`) in a registry
//! that takes them, read by lade, and checked against skopeo's own
//! reading and conversion of them.

mod common;
mod regsrv;
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use regsrv::start_registry;
use serde_json::{json, Value};

fn skopeo() -> Command {
    let mut c = Command::new("skopeo");
    c.env("HOME", "/nonexistent-lade-test-home");
    c
}

/// An image in layout `dir` (ref `rich`) whose config has what the
/// conversion must carry: an author, text Go's JSON escapes, a time with
/// an offset and trailing zeros, an empty layer's history entry, comments.
fn rich_image(dir: &Path) -> Value {
    let (base, base_id) = support::layer(&[("etc/base.txt", b"base\n".to_vec())]);
    let (top, top_id) = support::layer(&[("opt/a&b <c>.txt", b"top\n".to_vec())]);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "created": "2024-03-04T05:06:07.120000000+02:00",
        "author": "Ann <ann@example.com>",
        "docker_version": "20.10.24",
        "config": {
            "Env": ["PATH=/usr/bin", "X=a&&b"],
            "Cmd": ["/bin/sh", "-c", "echo <hi>"],
            "Labels": {"org.example.note": "1 < 2 & 3 > 2", "empty": ""},
        },
        "rootfs": {"type": "layers", "diff_ids": [base_id, top_id]},
        "history": [
            {"created": "2024-03-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD base", "author": "Bob", "comment": "the base"},
            {"created": "2024-03-02T10:00:00.500Z", "created_by": "/bin/sh -c #(nop)  ENV X=a&&b", "empty_layer": true},
            {"created": "2024-03-04T05:06:07.120000000+02:00", "created_by": "/bin/sh -c cp x '/opt/a&b <c>.txt'", "author": "Ann"},
        ],
    }))
    .unwrap();
    let d = support::image_of(dir, false, &config, &[base, top]);
    support::write_layout(dir, &[("rich", d.clone())]);
    d
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A registry that takes schema 1 images, holding the image
/// [`rich_image`] writes into `dir/src` as one, pushed there by skopeo as
/// `repo_tag`; and that image's `docker://` name.
fn schema1_registry(dir: &Path, repo_tag: &str) -> (regsrv::Registry, String) {
    let reg = start_registry(
        tempdir(),
        "",
        "compatibility:\n  schema1:\n    enabled: true\n",
    );
    let lay = dir.join("src");
    rich_image(&lay);
    let src = format!("docker://{}/{repo_tag}", reg.addr);
    ok(skopeo()
        .args(["copy", "-q", "--dest-tls-verify=false", "--format", "v2s1"])
        .arg(format!("oci:{}:rich", lay.display()))
        .arg(&src));
    (reg, src)
}

/// skopeo's `dir:` of image `src` (a schema 1 image stays one) at `dir`.
fn skopeo_dir(src: &str, dir: &Path) {
    ok(skopeo()
        .args(["copy", "-q", "--src-tls-verify=false", src])
        .arg(format!("dir:{}", dir.display())));
}

/// An unsigned `dir:` schema 1 image at `out`, made of `kept` (one
/// [`skopeo_dir`] wrote) with each layer what `layer` makes of it
/// (given its digest's hex and bytes), under its own digest.
fn remade(kept: &Path, out: &Path, layer: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    fs::create_dir(out).unwrap();
    fs::copy(kept.join("version"), out.join("version")).unwrap();
    let mut m = json(&fs::read(kept.join("manifest.json")).unwrap());
    m.as_object_mut().unwrap().remove("signatures");
    for l in m["fsLayers"].as_array_mut().unwrap() {
        let hex = &l["blobSum"].as_str().unwrap()[7..];
        let bytes = layer(hex, fs::read(kept.join(hex)).unwrap());
        let hex = sha256_hex(&bytes);
        fs::write(out.join(&hex), bytes).unwrap();
        l["blobSum"] = json!(format!("sha256:{hex}"));
    }
    fs::write(out.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
}

/// How often a proxy's `log` shows blob `digest` read whole (a GET not
/// for its first bytes alone).
fn whole_reads(log: &[String], digest: &str) -> usize {
    log.iter()
        .filter(|l| {
            l.starts_with("GET ")
                && l.contains(&format!("/blobs/{digest}"))
                && !l.ends_with(" range")
        })
        .count()
}

/// The `--progress=json` events a run printed.
fn events_of(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect()
}

/// The events named `name`, about blob `digest` where given.
fn named<'e>(events: &'e [Value], name: &str, digest: Option<&Value>) -> Vec<&'e Value> {
    events
        .iter()
        .filter(|e| e["event"] == name && digest.is_none_or(|d| e["digest"] == *d))
        .collect()
}

/// The config of the image [`schema1_registry`] made from `dir/src`.
fn original_config(dir: &Path) -> Value {
    let lay = dir.join("src");
    let index = json(&fs::read(lay.join("index.json")).unwrap());
    let m = index["manifests"][0]["digest"].as_str().unwrap()[7..].to_string();
    let m = json(&fs::read(lay.join("blobs/sha256").join(m)).unwrap());
    let c = m["config"]["digest"].as_str().unwrap()[7..].to_string();
    json(&fs::read(lay.join("blobs/sha256").join(c)).unwrap())
}

#[test]
fn schema1_images_are_read_and_converted_as_skopeo_converts_them() {
    if !require_tool("skopeo") || !require_tool("docker-registry") {
        return;
    }
    let t = tempdir();
    let (reg, src) = schema1_registry(t.path(), "s1/rich:1");
    let r = &reg.addr;
    let original = original_config(t.path());
    // The registry holds it as schema 1, signed.
    let raw = ok(skopeo().args(["inspect", "--tls-verify=false", "--raw", &src]));
    let rawv = json(&raw);
    assert_eq!(rawv["schemaVersion"], 1, "{rawv}");
    assert!(rawv["signatures"].is_array(), "{rawv}");

    // inspect: skopeo's fields and values; Digest that of the signed payload.
    let mut mine = json(&ok(lade().args(["inspect", "--tls-verify=false", &src])));
    let theirs = json(&ok(skopeo().args(["inspect", "--tls-verify=false", &src])));
    let data = mine.as_object_mut().unwrap().remove("LayersData").unwrap();
    assert_eq!(mine, theirs);
    assert_eq!(theirs["Tag"], "1");
    let digest = ok_str(lade().args([
        "inspect",
        "--tls-verify=false",
        "--manifest-digest",
        "sha256",
        "--format",
        "{{.Digest}}",
        &src,
    ]));
    assert_eq!(digest, theirs["Digest"].as_str().unwrap());
    let layers = theirs["Layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3, "{theirs}");
    let data = data.as_array().unwrap();
    assert_eq!(data.len(), 3);
    for (d, l) in data.iter().zip(layers) {
        assert_eq!((&d["Digest"], &d["Size"]), (l, &json!(-1)), "{d}");
    }
    // --raw: the bytes served (the registry signs them anew for each
    // request: the same payload, other signatures).
    let mine_raw = ok(lade().args(["inspect", "--tls-verify=false", "--raw", &src]));
    let unsigned = |b: &[u8]| {
        let mut v = json(b);
        v.as_object_mut()
            .unwrap()
            .remove("signatures")
            .expect("signed");
        v
    };
    assert_eq!(unsigned(&mine_raw), unsigned(&raw));
    let e = fails_with(
        lade().args(["inspect", "--tls-verify=false", "--config", &src]),
        3,
    );
    assert!(e.contains("schema 1") && e.lines().count() == 1, "{e}");
    let raw_file = t.path().join("raw.json");
    fs::write(&raw_file, &raw).unwrap();
    assert_eq!(
        ok_str(lade().arg("manifest-digest").arg(&raw_file)),
        theirs["Digest"].as_str().unwrap()
    );
    fs::write(&raw_file, &mine_raw).unwrap();
    assert_eq!(
        ok_str(lade().arg("manifest-digest").arg(&raw_file)),
        theirs["Digest"].as_str().unwrap()
    );

    // Into dir:, byte for byte what skopeo converts it to; --tmpdir left
    // empty (the layers go straight to the destination).
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (mine_dir, theirs_dir) = (t.path().join("mine"), t.path().join("theirs"));
    ok(lade()
        .args(["copy", "-q", "--src-tls-verify=false", "--tmpdir"])
        .arg(&tmp)
        .arg(&src)
        .arg(format!("dir:{}", mine_dir.display())));
    assert!(files_in(&tmp).is_empty(), "{:?}", files_in(&tmp));
    ok(skopeo()
        .args([
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--format",
            "v2s2",
            &src,
        ])
        .arg(format!("dir:{}", theirs_dir.display())));
    let manifest = fs::read(mine_dir.join("manifest.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&manifest),
        String::from_utf8_lossy(&fs::read(theirs_dir.join("manifest.json")).unwrap())
    );
    let m = json(&manifest);
    assert_eq!(m["mediaType"], support::DOCKER_MANIFEST);
    let config_name = &m["config"]["digest"].as_str().unwrap()[7..];
    let config = fs::read(mine_dir.join(config_name)).unwrap();
    assert_eq!(config, fs::read(theirs_dir.join(config_name)).unwrap());
    // The layers' uncompressed digests are the original image's.
    assert_eq!(json(&config)["rootfs"], original["rootfs"]);
    for l in m["layers"].as_array().unwrap() {
        let name = &l["digest"].as_str().unwrap()[7..];
        assert_eq!(
            fs::read(mine_dir.join(name)).unwrap(),
            fs::read(theirs_dir.join(name)).unwrap()
        );
    }
    let converted = format!("sha256:{}", sha256_hex(&manifest));

    // Pushed: the registry holds the schema 2 image, as skopeo reads it.
    let pushed = format!("docker://{r}/s2/rich:1");
    let report = ok_stderr(lade().args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &src,
        &pushed,
    ]));
    assert!(
        report.contains(&format!("Writing manifest {converted}")),
        "{report}"
    );
    assert_eq!(
        ok(skopeo().args(["inspect", "--tls-verify=false", "--raw", &pushed])),
        manifest
    );
    let e = fails_with(
        lade().args([
            "copy",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &src,
            &format!("docker://{r}/s3/rich:1"),
        ]),
        3,
    );
    assert!(e.contains("schema 1"), "{e}");
    let tags =
        ok_str(Command::new("curl").args(["-s", &format!("http://{r}/v2/s3/rich/tags/list")]));
    assert!(!tags.contains("\"1\""), "{tags}");

    // Into an oci: layout: the OCI form of the same image, whole.
    let oci = t.path().join("oci");
    ok(lade()
        .args(["copy", "-q", "--src-tls-verify=false", &src])
        .arg(format!("oci:{}:rich", oci.display())));
    ok(lade().arg("fsck").arg("--store").arg(&oci));
    let oci_config = json(&ok(lade()
        .arg("cat-config")
        .arg("--store")
        .arg(&oci)
        .arg("rich")));
    assert_eq!(oci_config["rootfs"], original["rootfs"]);
    // A sync of the repository takes it too; run again, it finds the
    // image unchanged from what it learnt of the layers the first time,
    // without reading them.
    let synced = t.path().join("synced");
    let cache = t.path().join("cache");
    let sync = || {
        let out = run(lade_with_cache(&cache)
            .args([
                "sync",
                "--src-tls-verify=false",
                &format!("docker://{r}/s1/rich"),
            ])
            .arg(format!("dir:{}", synced.display())));
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let said = sync();
    assert!(said.contains("1 copied, 0 unchanged"), "{said}");
    assert_eq!(
        fs::read(synced.join("rich:1/manifest.json")).unwrap(),
        manifest
    );
    let said = sync();
    assert!(said.contains("0 copied, 1 unchanged"), "{said}");
    assert!(!said.contains("Reading the layers"), "{said}");
    // A copy too takes what it learnt, and the layers from the source.
    let again = t.path().join("again");
    let said = ok_stderr(
        lade_with_cache(&cache)
            .args(["copy", "--src-tls-verify=false", &src])
            .arg(format!("dir:{}", again.display())),
    );
    assert!(!said.contains("Reading the layers"), "{said}");
    assert_eq!(fs::read(again.join("manifest.json")).unwrap(), manifest);

    // From a dir: skopeo wrote (which keeps schema 1), the same image; a
    // layer there that is not what its digest says fails the copy, and
    // the layers read are removed.
    let kept = t.path().join("kept");
    skopeo_dir(&src, &kept);
    assert_eq!(
        json(&fs::read(kept.join("manifest.json")).unwrap())["schemaVersion"],
        1
    );
    let from_dir = t.path().join("from-dir");
    ok(lade()
        .args(["copy", "-q"])
        .arg(format!("dir:{}", kept.display()))
        .arg(format!("dir:{}", from_dir.display())));
    assert_eq!(fs::read(from_dir.join("manifest.json")).unwrap(), manifest);
    let top_layer = &m["layers"][1]["digest"].as_str().unwrap()[7..];
    let mut bytes = fs::read(kept.join(top_layer)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(kept.join(top_layer), bytes).unwrap();
    let e = fails_with(
        lade()
            .args(["copy", "-q", "--tmpdir"])
            .arg(&tmp)
            .arg(format!("dir:{}", kept.display()))
            .arg(format!("oci:{}:bad", t.path().join("bad").display())),
        3,
    );
    assert!(e.contains(top_layer), "{e}");
    assert!(files_in(&tmp).is_empty(), "{:?}", files_in(&tmp));

    // A manifest list of it has no image lade reads, and says why.
    let list = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": support::DOCKER_LIST,
        "manifests": [{"mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws",
            "digest": theirs["Digest"], "size": raw.len(),
            "platform": {"architecture": "amd64", "os": "linux"}}],
    }))
    .unwrap();
    let put = Command::new("curl")
        .args(["-sf", "-X", "PUT", "-H"])
        .arg(format!("Content-Type: {}", support::DOCKER_LIST))
        .arg("--data-binary")
        .arg("@-")
        .arg(format!("http://{r}/v2/s1/rich/manifests/list"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(&list)?;
            c.wait()
        })
        .unwrap();
    assert!(put.success(), "{put:?}");
    let e = fails_with(
        lade()
            .args([
                "copy",
                "--src-tls-verify=false",
                &format!("docker://{r}/s1/rich:list"),
            ])
            .arg(format!("oci:{}:l", t.path().join("list").display())),
        1,
    );
    assert!(e.contains("schema 1") && e.lines().count() == 1, "{e}");
}

/// The layers read before a schema 1 image is copied (into a
/// destination that takes layers uncompressed, which makes them anew)
/// go when a signal ends the copy while it reads them, as every temp
/// file of lade's does.
#[test]
fn a_signal_while_schema1_layers_are_read_leaves_nothing_in_tmpdir() {
    use rustix::process::{kill_process, Pid, Signal};
    use std::os::unix::process::ExitStatusExt;
    if !require_tool("skopeo") || !require_tool("docker-registry") {
        return;
    }
    let t = tempdir();
    let repo_tag = "s1/held:1";
    let (reg, src) = schema1_registry(t.path(), repo_tag);
    let raw = json(&ok(skopeo().args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        &src,
    ])));
    // fsLayers: top first; the top one (the image's last layer) is held.
    let top = raw["fsLayers"][0]["blobSum"].as_str().unwrap().to_string();
    let proxy = support::Counter::start(&reg.addr);
    proxy.hold("GET", &top[7..]);
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let mut child = Command::new("env")
        .args(["--default-signal=INT", env!("CARGO_BIN_EXE_lade")])
        .env("LADE_BLOB_CACHE", "off")
        .env("HOME", "/nonexistent-lade-test-home")
        .args(["copy", "-q", "--src-tls-verify=false", "--tmpdir"])
        .arg(&tmp)
        .arg(format!("docker://{}/{repo_tag}", proxy.addr))
        .arg(format!(
            "docker-archive:{}:held:1",
            t.path().join("out").display()
        ))
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The base layer read into the temp directory, the top one held.
    let read = || -> usize {
        files_in(&tmp)
            .iter()
            .map(|d| fs::read_dir(tmp.join(d)).map_or(0, |r| r.count()))
            .sum()
    };
    let t0 = std::time::Instant::now();
    while read() < 1 {
        assert!(
            t0.elapsed().as_secs() < 30,
            "no layer read: {:?}",
            files_in(&tmp)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    kill_process(Pid::from_raw(child.id() as i32).unwrap(), Signal::INT).unwrap();
    let status = child.wait().unwrap();
    proxy.release();
    assert_eq!(status.signal(), Some(Signal::INT.as_raw()), "{status:?}");
    assert!(files_in(&tmp).is_empty(), "{:?}", files_in(&tmp));
    assert!(!t.path().join("out").exists());
}

/// A schema 1 image's layers go to the destination as they are read,
/// each read once: what they decompress to is worked out on the way, and
/// the config naming it follows them. Layers the destination has are
/// read for it (no cache here); every way gives skopeo's conversion.
#[test]
fn schema1_layers_go_to_the_destination_as_they_are_read() {
    if !require_tool("skopeo") || !require_tool("docker-registry") {
        return;
    }
    let t = tempdir();
    let (reg, direct) = schema1_registry(t.path(), "s1/flow:1");
    let original = original_config(t.path());
    let raw = json(&ok(skopeo().args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        &direct,
    ])));
    // fsLayers: top first; between them the empty layer of the ENV step,
    // which the conversion leaves out.
    let fs_layers: Vec<String> = raw["fsLayers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["blobSum"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fs_layers.len(), 3, "{raw}");
    let (top, base) = (&fs_layers[0], &fs_layers[2]);
    let theirs = t.path().join("theirs");
    ok(skopeo()
        .args(["copy", "-q", "--src-tls-verify=false", "--format", "v2s2"])
        .arg(&direct)
        .arg(format!("dir:{}", theirs.display())));
    let converted = fs::read(theirs.join("manifest.json")).unwrap();
    let layer_gets = |proxy: &support::Counter| -> Vec<usize> {
        let log = proxy.take();
        [top, base].iter().map(|d| whole_reads(&log, d)).collect()
    };

    // Into a layout: the base layer is there while the top one is still
    // held back at the source.
    let proxy = support::Counter::start(&reg.addr);
    let src = format!("docker://{}/s1/flow:1", proxy.addr);
    proxy.hold("GET", &top[7..]);
    let oci = t.path().join("oci");
    let child = lade()
        .args(["copy", "-q", "--src-tls-verify=false", &src])
        .arg(format!("oci:{}:flow", oci.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base_blob = oci.join("blobs/sha256").join(&base[7..]);
    let t0 = std::time::Instant::now();
    while !base_blob.exists() && t0.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let streamed = base_blob.exists();
    proxy.release();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        streamed,
        "the base layer was not at the destination while the top one was held"
    );
    ok(lade().arg("fsck").arg("--store").arg(&oci));
    let config = json(&ok(lade()
        .arg("cat-config")
        .arg("--store")
        .arg(&oci)
        .arg("flow")));
    assert_eq!(config["rootfs"], original["rootfs"]);
    assert_eq!(layer_gets(&proxy), [1, 1]);

    // Pushed, with progress for machines: each layer read once, its size
    // known as it starts, and the manifest skopeo's conversion.
    let push = |tag: &str| -> Vec<Value> {
        let out = run(lade().args([
            "copy",
            "--progress=json",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &src,
            &format!("docker://{}/s2/flow:{tag}", reg.addr),
        ]));
        assert!(out.status.success(), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let pushed = ok(skopeo().args([
            "inspect",
            "--tls-verify=false",
            "--raw",
            &format!("docker://{}/s2/flow:{tag}", reg.addr),
        ]));
        assert_eq!(
            String::from_utf8_lossy(&pushed),
            String::from_utf8_lossy(&converted)
        );
        events_of(&out)
    };
    let events = push("1");
    assert_eq!(layer_gets(&proxy), [1, 1]);
    let m = json(&converted);
    let mut layer_bytes = 0;
    for l in m["layers"].as_array().unwrap().iter().chain([&m["config"]]) {
        let (start, done) = (
            named(&events, "blob_start", Some(&l["digest"])),
            named(&events, "blob_done", Some(&l["digest"])),
        );
        assert_eq!((start.len(), done.len()), (1, 1), "{l}: {events:?}");
        assert_eq!(start[0]["size"], l["size"], "{events:?}");
        assert_eq!(done[0]["bytes"], l["size"], "{events:?}");
        layer_bytes += l["size"].as_u64().unwrap();
    }
    let image_done = named(&events, "image_done", None);
    assert_eq!(image_done.len(), 1, "{events:?}");
    assert_eq!(image_done[0]["blobs_copied"], 3, "{events:?}");
    assert!(layer_bytes > 0);

    // Into the repository again, under another tag: the registry has the
    // layers, so they are read (once) for what they decompress to alone.
    let events = push("2");
    assert_eq!(layer_gets(&proxy), [1, 1]);
    assert!(
        !events.iter().any(|e| e["event"] == "blob_done"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e["event"] == "message"
            && e["text"]
                .as_str()
                .unwrap()
                .starts_with("Reading 2 layers the destination has")),
        "{events:?}"
    );
    let image_done = named(&events, "image_done", None);
    assert_eq!(image_done[0]["blobs_skipped"], 3, "{events:?}");

    // Into a docker-archive, which takes layers uncompressed (made anew):
    // the layers are read into --tmpdir first, and go after; the config
    // is skopeo's. What they were is remembered: a second copy with the
    // same cache reads none of them first.
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let cache = t.path().join("cache");
    let archive = |name: &str| -> (String, String) {
        let file = t.path().join(name);
        let said = ok_stderr(
            lade_with_cache(&cache)
                .args(["copy", "--src-tls-verify=false", "--tmpdir"])
                .arg(&tmp)
                .arg(&src)
                .arg(format!("docker-archive:{}:flow:1", file.display())),
        );
        assert!(files_in(&tmp).is_empty(), "{:?}", files_in(&tmp));
        (said, format!("docker-archive:{}", file.display()))
    };
    let config_file = &m["config"]["digest"].as_str().unwrap()[7..];
    let theirs_config = fs::read(theirs.join(config_file)).unwrap();
    for (name, reads_first) in [("a.tar", true), ("b.tar", false)] {
        let (said, archived) = archive(name);
        assert_eq!(said.contains("Reading the layers"), reads_first, "{said}");
        let config = ok(lade().args(["inspect", "--raw", "--config", &archived]));
        assert_eq!(
            String::from_utf8_lossy(&config),
            String::from_utf8_lossy(&theirs_config)
        );
    }
    assert_eq!(layer_gets(&proxy), [2, 2]);
}

/// A schema 1 image whose layers are not compressed, into a registry
/// (which takes layers gzipped): the layers go once, compressed, and
/// nothing else is left there. A layer damaged in a dir: source is said
/// to be what it is, not what its name says: not "does not decompress".
#[test]
fn schema1_uncompressed_and_damaged_layers_into_a_registry() {
    use std::io::Read;
    if !require_tool("skopeo") || !require_tool("docker-registry") {
        return;
    }
    let t = tempdir();
    let (reg, _) = schema1_registry(t.path(), "s1/rich:1");
    let original = original_config(t.path());
    // skopeo's dir: of it (schema 1 kept), and the same with each layer
    // uncompressed, its manifest naming those (unsigned).
    let kept = t.path().join("kept");
    skopeo_dir(&format!("docker://{}/s1/rich:1", reg.addr), &kept);
    let plain = t.path().join("plain");
    remade(&kept, &plain, |_, gz| {
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut tar)
            .unwrap();
        tar
    });
    let ids = original["rootfs"]["diff_ids"].as_array().unwrap();
    let mirror = start_registry(tempdir(), "", "");
    let out = run(lade()
        .args(["copy", "--progress=json", "--dest-tls-verify=false"])
        .arg(format!("dir:{}", plain.display()))
        .arg(format!("docker://{}/p/plain:1", mirror.addr)));
    assert!(out.status.success(), "{out:?}");
    let events = events_of(&out);
    for id in ids {
        // Sent once, compressed; the plain blob is not in the mirror.
        let done = named(&events, "blob_done", Some(id)).len();
        let id = id.as_str().unwrap();
        assert_eq!(done, 1, "{id}: {events:?}");
        assert_eq!(
            support::registry_status(&mirror.addr, "HEAD", &format!("/v2/p/plain/blobs/{id}")),
            404
        );
    }
    let image_done = named(&events, "image_done", None);
    assert_eq!(image_done[0]["blobs_copied"], 3, "{events:?}");
    assert_eq!(image_done[0]["blobs_skipped"], 0, "{events:?}");
    let pushed = format!("docker://{}/p/plain:1", mirror.addr);
    let pm = json(&ok(skopeo().args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        &pushed,
    ])));
    for l in pm["layers"].as_array().unwrap() {
        assert_eq!(
            l["mediaType"], "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "{pm}"
        );
    }
    let config = json(&ok(skopeo().args([
        "inspect",
        "--tls-verify=false",
        "--config",
        &pushed,
    ])));
    assert_eq!(config["rootfs"], original["rootfs"]);

    // A layer whose bytes changed in a dir: source, pushed: what is wrong
    // is their digest.
    let kept_m = json(&fs::read(kept.join("manifest.json")).unwrap());
    let top = &kept_m["fsLayers"][0]["blobSum"].as_str().unwrap()[7..];
    let mut bytes = fs::read(kept.join(top)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    fs::write(kept.join(top), bytes).unwrap();
    let out = run(lade()
        .args(["copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("dir:{}", kept.display()))
        .arg(format!("docker://{}/p/damaged:1", mirror.addr)));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{out:?}");
    assert!(e.contains(top) && e.lines().count() == 1, "{e}");
    assert!(!e.contains("does not decompress"), "{e}");
    assert_eq!(
        support::registry_status(&mirror.addr, "HEAD", "/v2/p/damaged/manifests/1"),
        404
    );
}

/// Two schema 1 images sharing their base layer, synced at once into a
/// registry: the base is read once, what it decompresses to learnt as it
/// went, for both.
#[test]
fn a_schema1_sync_reads_a_shared_layer_once() {
    if !require_tool("skopeo") || !require_tool("docker-registry") {
        return;
    }
    let t = tempdir();
    let reg = start_registry(
        tempdir(),
        "",
        "compatibility:\n  schema1:\n    enabled: true\n",
    );
    let lay = t.path().join("two");
    let (base, base_id) = support::layer(&[("etc/base.txt", vec![b'b'; 300_000])]);
    let mut named = Vec::new();
    for name in ["a", "b"] {
        let (top, top_id) = support::layer(&[(name, name.as_bytes().repeat(1000))]);
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64", "os": "linux",
            "created": "2024-03-04T05:06:07Z",
            "config": {"Env": ["PATH=/usr/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [base_id, top_id]},
            "history": [{"created": "2024-03-01T00:00:00Z"}, {"created": "2024-03-04T05:06:07Z"}],
        }))
        .unwrap();
        named.push((
            name,
            support::image_of(&lay, false, &config, &[base.clone(), top]),
        ));
    }
    support::write_layout(&lay, &named);
    for name in ["a", "b"] {
        ok(skopeo()
            .args(["copy", "-q", "--dest-tls-verify=false", "--format", "v2s1"])
            .arg(format!("oci:{}:{name}", lay.display()))
            .arg(format!("docker://{}/s1/two:{name}", reg.addr)));
    }
    let base_digest = format!("sha256:{}", sha256_hex(&base));
    let mirror = start_registry(tempdir(), "", "");
    let proxy = support::Counter::start(&reg.addr);
    let out = run(lade().args([
        "sync",
        "--jobs",
        "2",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{}/s1/two", proxy.addr),
        &format!("docker://{}/two", mirror.addr),
    ]));
    assert!(out.status.success(), "{out:?}");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("2 copied"), "{said}");
    let log = proxy.take();
    assert_eq!(whole_reads(&log, &base_digest), 1, "{log:?}");
    let catalog =
        ok_str(Command::new("curl").args(["-s", &format!("http://{}/v2/_catalog", mirror.addr)]));
    for name in ["a", "b"] {
        let config = json(&ok(skopeo().args([
            "inspect",
            "--tls-verify=false",
            "--config",
            &format!("docker://{}/two:{name}", mirror.addr),
        ])));
        assert_eq!(
            config["rootfs"]["diff_ids"][0], base_id,
            "{config} {catalog}"
        );
    }
}

/// A schema 1 image whose top layer is what its digest says but does
/// not decompress (cut before its gzip trailer; a gzip header and then
/// junk), copied into a layout that holds an image already and into a
/// registry: the copy fails on that layer and the blob is written
/// nowhere, as no other byte of the image is.
#[test]
fn a_schema1_layer_that_does_not_decompress_is_written_nowhere() {
    if !require_tool("skopeo") || !require_tool("docker-registry") {
        return;
    }
    let t = tempdir();
    let (reg, src) = schema1_registry(t.path(), "s1/rich:1");
    let kept = t.path().join("kept");
    skopeo_dir(&src, &kept);
    let lay = t.path().join("lay");
    ok(lade()
        .args(["copy", "-q", "--src-tls-verify=false"])
        .arg(&src)
        .arg(format!("oci:{}:good", lay.display())));
    let blobs_before = files_in(&lay.join("blobs/sha256"));
    let index_before = fs::read(lay.join("index.json")).unwrap();
    let mirror = start_registry(tempdir(), "", "");
    let m = json(&fs::read(kept.join("manifest.json")).unwrap());
    let top = m["fsLayers"][0]["blobSum"].as_str().unwrap()[7..].to_string();
    let gz = fs::read(kept.join(&top)).unwrap();
    let junk = [&gz[..10], &support::noise(7, 50_000)[..]].concat();
    for (case, bytes) in [("cut", gz[..gz.len() - 4].to_vec()), ("junk", junk)] {
        let dir = t.path().join(case);
        remade(&kept, &dir, |d, b| if d == top { bytes.clone() } else { b });
        let hex = sha256_hex(&bytes);
        let source = format!("dir:{}", dir.display());
        for dest in [
            format!("oci:{}:{case}", lay.display()),
            format!("docker://{}/bad/{case}:1", mirror.addr),
        ] {
            let e = fails_with(
                lade().args(["copy", "-q", "--dest-tls-verify=false", &source, &dest]),
                3,
            );
            assert_eq!(e.lines().count(), 1, "{case} into {dest}: {e}");
            assert!(
                e.contains(&hex) && e.contains("does not decompress"),
                "{case} into {dest}: {e}"
            );
        }
        assert_eq!(files_in(&lay.join("blobs/sha256")), blobs_before, "{case}");
        assert_eq!(fs::read(lay.join("index.json")).unwrap(), index_before);
        assert_eq!(
            support::registry_status(
                &mirror.addr,
                "HEAD",
                &format!("/v2/bad/{case}/blobs/sha256:{hex}")
            ),
            404,
            "{case}"
        );
    }
    drop(reg);
}
