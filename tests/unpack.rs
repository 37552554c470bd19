//! `unpack-layer` and `unpack`: the trees they make, compared with umoci's
//! and Docker's, and the breakout cases, each checking that a sentinel
//! directory beside the target is left exactly as it was.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use sha2::{Digest as _, Sha256};

// ---------------------------------------------------------------- trees

/// One node of a tree as the comparisons see it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    kind: char, // d f l p c b s
    mode: u32,  // permission bits with setuid/setgid/sticky
    uid: u32,
    gid: u32,
    size: u64,
    link: String,
    hash: String,
}

type Tree = BTreeMap<String, Node>;

fn hash_file(p: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(p).unwrap()))
}

/// Walk a directory (not following symlinks).
fn tree(root: &Path) -> Tree {
    let mut out = Tree::new();
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        let mut names: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let m = fs::symlink_metadata(&p).unwrap();
            let ft = m.file_type();
            let kind = if ft.is_dir() {
                'd'
            } else if ft.is_file() {
                'f'
            } else if ft.is_symlink() {
                'l'
            } else if ft.is_fifo() {
                'p'
            } else if ft.is_char_device() {
                'c'
            } else if ft.is_block_device() {
                'b'
            } else {
                's'
            };
            let node = Node {
                kind,
                mode: m.mode() & 0o7777,
                uid: m.uid(),
                gid: m.gid(),
                size: if kind == 'f' { m.len() } else { 0 },
                link: if kind == 'l' {
                    fs::read_link(&p).unwrap().to_string_lossy().into_owned()
                } else {
                    String::new()
                },
                hash: if kind == 'f' {
                    hash_file(&p)
                } else {
                    String::new()
                },
            };
            out.insert(rel, node);
            if kind == 'd' {
                walk(root, &p, out);
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// The tree a tar stream (e.g. `docker export`) describes; hard links
/// become the regular file they name.
fn tar_tree(r: impl std::io::Read) -> Tree {
    let mut out = Tree::new();
    let mut ar = tar::Archive::new(r);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let name = name
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if name.is_empty() || name == "." {
            continue;
        }
        let h = e.header().clone();
        let t = h.entry_type();
        let mut node = Node {
            kind: 'f',
            mode: h.mode().unwrap() & 0o7777,
            uid: h.uid().unwrap() as u32,
            gid: h.gid().unwrap() as u32,
            size: 0,
            link: String::new(),
            hash: String::new(),
        };
        match t {
            tar::EntryType::Directory => node.kind = 'd',
            tar::EntryType::Symlink => {
                node.kind = 'l';
                node.link = String::from_utf8_lossy(&e.link_name_bytes().unwrap()).into_owned();
            }
            tar::EntryType::Fifo => node.kind = 'p',
            tar::EntryType::Char => node.kind = 'c',
            tar::EntryType::Block => node.kind = 'b',
            tar::EntryType::Link => {
                let target = String::from_utf8_lossy(&e.link_name_bytes().unwrap()).into_owned();
                let target = target.trim_start_matches("./").to_string();
                let t = out[&target].clone();
                node.size = t.size;
                node.hash = t.hash;
            }
            _ => {
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).unwrap();
                node.size = data.len() as u64;
                node.hash = hex::encode(Sha256::digest(&data));
            }
        }
        out.insert(name, node);
    }
    out
}

#[track_caller]
fn assert_same_tree(ours: &Tree, theirs: &Tree, what: &str) {
    let mut diffs = Vec::new();
    for (p, n) in ours {
        match theirs.get(p) {
            None => diffs.push(format!("only in lade: {p} {n:?}")),
            Some(m) if m != n => {
                diffs.push(format!("differs: {p}\n  lade: {n:?}\n  {what}: {m:?}"))
            }
            _ => {}
        }
    }
    for (p, m) in theirs {
        if !ours.contains_key(p) {
            diffs.push(format!("only in {what}: {p} {m:?}"));
        }
    }
    assert!(diffs.is_empty(), "lade vs {what}:\n{}", diffs.join("\n"));
}

// ---------------------------------------------------------------- images

const DOCKERFILE: &str = "\
FROM lade-test-base:1
RUN mkdir -p /data/keep /data/gone /data/replace /data/opq /data/todir && \
    echo a > /data/keep/a && echo b > /data/gone/b && echo c > /data/replace/c && \
    echo x > /data/file1 && ln -s /data/keep /data/link1 && ln -s keep /data/rel && \
    echo o > /data/opq/old && echo t > /data/tofile && echo 1 > /data/todir/1 && \
    mkdir -p /data/deep/a/b/c && echo deep > /data/deep/a/b/c/f
RUN rm -rf /data/gone /data/file1 /data/replace && mkdir /data/replace && \
    echo new > /data/replace/n && echo h > /data/h1 && ln /data/h1 /data/h2 && \
    mkfifo /data/fifo && echo s > /data/suid && chmod 4755 /data/suid && \
    echo g > /data/sgid && chmod 2711 /data/sgid && chmod 2755 /data/keep && \
    mkdir /data/sticky && chmod 1777 /data/sticky && \
    rm -rf /data/opq && mkdir /data/opq && echo n > /data/opq/new && \
    rm /data/tofile && mkdir /data/tofile && rm -rf /data/todir && echo f > /data/todir && \
    rm -rf /data/deep/a
COPY f.txt /data/copied
RUN chown 1000:1001 /data/copied && chown -h 7:8 /data/rel && rm /data/link1 && \
    ln -s /nonexistent /data/link1 && echo a2 > /data/keep/a2 && chmod 600 /data/h1 && \
    echo more >> /data/h2 && mkdir -p /data/deep/a && echo again > /data/deep/a/x
";

/// Build the test image and give an OCI layout of it (docker save, then
/// skopeo). None when the peers are missing outside CI.
fn image_layout(dir: &Path) -> Option<(String, String)> {
    let host = docker_host()?;
    if !require_tool("skopeo") {
        return None;
    }
    let tag = "lade-unpack-test:1";
    build_image(&host, tag, DOCKERFILE, &[("f.txt", b"copied\n")]);
    let archive = dir.join("img.tar");
    ok(docker(&host).args(["save", "-o", archive.to_str().unwrap(), tag]));
    let layout = dir.join("layout");
    ok(Command::new("skopeo").args([
        "copy",
        "-q",
        &format!("docker-archive:{}", archive.display()),
        &format!("oci:{}:img", layout.display()),
    ]));
    Some((host, tag.to_string()))
}

#[test]
fn unpack_matches_umoci_and_docker_export() {
    let t = tempdir();
    let Some((host, tag)) = image_layout(t.path()) else {
        return;
    };
    if !require_tool("umoci") {
        return;
    }
    let layout = t.path().join("layout");
    let ours = t.path().join("ours");
    ok(lade()
        .args(["unpack", "-q"])
        .arg(format!("oci:{}:img", layout.display()))
        .arg(&ours));
    let bundle = t.path().join("umoci");
    ok(Command::new("umoci").args([
        "unpack",
        "--image",
        &format!("{}:img", layout.display()),
        bundle.to_str().unwrap(),
    ]));
    let lade_tree = tree(&ours);
    // sanity: the cases the image was built for are there
    assert_eq!(lade_tree["data/suid"].mode, 0o4755);
    assert_eq!(lade_tree["data/sgid"].mode, 0o2711);
    assert_eq!(lade_tree["data/sticky"].mode, 0o1777);
    assert_eq!(lade_tree["data/fifo"].kind, 'p');
    assert_eq!(lade_tree["data/copied"].uid, 1000);
    assert_eq!(lade_tree["data/copied"].gid, 1001);
    assert_eq!(lade_tree["data/rel"].uid, 7);
    assert_eq!(lade_tree["data/link1"].link, "/nonexistent");
    assert_eq!(lade_tree["data/tofile"].kind, 'd');
    assert_eq!(lade_tree["data/todir"].kind, 'f');
    assert!(lade_tree.contains_key("data/opq/new"));
    for gone in [
        "data/gone",
        "data/file1",
        "data/replace/c",
        "data/opq/old",
        "data/deep/a/b",
    ] {
        assert!(!lade_tree.contains_key(gone), "{gone} should be gone");
    }
    assert!(!lade_tree.keys().any(|k| k.contains(".wh.")));
    let h1 = fs::metadata(ours.join("data/h1")).unwrap();
    let h2 = fs::metadata(ours.join("data/h2")).unwrap();
    assert_eq!(h1.ino(), h2.ino(), "h1 and h2 stay hard links");

    assert_same_tree(&lade_tree, &tree(&bundle.join("rootfs")), "umoci");

    // Straight out of the daemon (one stream, staged in --tmpdir and
    // taken back): the same tree, and nothing left in the temp directory.
    let staging = t.path().join("staging");
    fs::create_dir_all(&staging).unwrap();
    let from_daemon = t.path().join("from-daemon");
    let out = run(lade()
        .env("DOCKER_HOST", &host)
        .args(["unpack", "-q", "--tmpdir"])
        .arg(&staging)
        .arg(format!("docker-daemon:{tag}"))
        .arg(&from_daemon));
    // (-q: not a word of the staging copy either)
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    assert_same_tree(&lade_tree, &tree(&from_daemon), "docker-daemon:");
    assert_eq!(fs::read_dir(&staging).unwrap().count(), 0);

    // docker export of a container of the image, without what Docker adds
    let id = ok_str(docker(&host).args(["create", &tag, "true"]));
    let export = ok(docker(&host).args(["export", &id]));
    ok(docker(&host).args(["rm", &id]));
    let mut theirs = tar_tree(&export[..]);
    let docker_adds = |p: &str| {
        matches!(
            p,
            ".dockerenv"
                | "dev"
                | "proc"
                | "sys"
                | "etc/hosts"
                | "etc/hostname"
                | "etc/resolv.conf"
                | "etc/mtab"
        ) || p.starts_with("dev/")
    };
    theirs.retain(|p, _| !docker_adds(p));
    let mut ours_cmp = lade_tree.clone();
    ours_cmp.retain(|p, _| !docker_adds(p));
    // lade-test-base:1 is a `docker import` of a tar without directory
    // entries: its bin/ and etc/ are implicit parents, which lade and umoci
    // create 0755 and Docker's vfs driver 0600. Not a property of the image.
    for implicit in ["bin", "etc"] {
        if let (Some(o), Some(t)) = (ours_cmp.get_mut(implicit), theirs.get(implicit)) {
            assert_eq!(o.kind, t.kind);
            o.mode = t.mode;
        }
    }
    assert_same_tree(&ours_cmp, &theirs, "docker export");
}

/// `lade unpack -q --bundle oci:LAYOUT:REF OUT`
fn bundle_cmd(layout: &Path, r: &str, out: &Path) -> Command {
    let mut c = lade();
    c.args(["unpack", "-q", "--bundle"])
        .arg(format!("oci:{}:{r}", layout.display()))
        .arg(out);
    c
}

#[test]
fn unpack_bundle_and_store_ref() {
    let t = tempdir();
    let Some(_) = image_layout(t.path()) else {
        return;
    };
    let layout = t.path().join("layout");
    let bundle = t.path().join("bundle");
    ok(&mut bundle_cmd(&layout, "img", &bundle));
    let spec = json(&fs::read(bundle.join("config.json")).unwrap());
    assert_eq!(spec["root"]["path"], "rootfs");
    assert_eq!(spec["process"]["cwd"], "/");
    assert_eq!(spec["process"]["user"]["uid"], 0);
    assert!(spec["process"]["env"][0]
        .as_str()
        .unwrap()
        .starts_with("PATH="));
    assert!(bundle.join("rootfs/data/copied").is_file());
    // a second bundle into the same place is refused
    fails_with(&mut bundle_cmd(&layout, "img", &bundle), 3);
    // so is one beside a config.json of its own (as umoci refuses it),
    // which is left as it was, with nothing made beside it
    let mine = t.path().join("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("config.json"), "{\"mine\":1}\n").unwrap();
    let err = fails_with(&mut bundle_cmd(&layout, "img", &mine), 3);
    assert!(err.contains("config.json: already exists"), "{err}");
    assert_eq!(
        fs::read(mine.join("config.json")).unwrap(),
        b"{\"mine\":1}\n"
    );
    assert_eq!(fs::read_dir(&mine).unwrap().count(), 1, "only config.json");
    // the layout used as the store, by ref name
    let out = t.path().join("by-ref");
    ok(lade()
        .arg("--store")
        .arg(&layout)
        .args(["unpack", "-q", "img"])
        .arg(&out));
    assert_same_tree(&tree(&out), &tree(&bundle.join("rootfs")), "bundle rootfs");
    // --platform of a single image: it must be for that platform, as copy
    // --platform has it (exit 1, nothing made); its own is taken.
    let cfg = json(&ok(lade()
        .args(["inspect", "--config"])
        .arg(format!("oci:{}:img", layout.display()))));
    let own = format!(
        "{}/{}",
        cfg["os"].as_str().unwrap(),
        cfg["architecture"].as_str().unwrap()
    );
    let other = if own == "linux/arm64" {
        "linux/s390x"
    } else {
        "linux/arm64"
    };
    let out = t.path().join("other");
    let err = fails_with(
        lade()
            .args(["unpack", "-q", "--platform", other])
            .arg(format!("oci:{}:img", layout.display()))
            .arg(&out),
        1,
    );
    assert!(err.contains("the source is a single image, for"), "{err}");
    assert!(!out.exists());
    ok(lade()
        .args(["unpack", "-q", "--platform", &own])
        .arg(format!("oci:{}:img", layout.display()))
        .arg(&out));
    assert_same_tree(&tree(&out), &tree(&bundle.join("rootfs")), "own platform");
}

/// A bundle's user and capabilities agree with umoci's: the names are
/// looked up through an /etc/passwd that is a symlink inside the rootfs,
/// and the process gets runc's default capabilities, not Docker's.
#[test]
fn bundle_user_through_a_symlinked_passwd_and_capabilities_as_umoci() {
    if !require_tool("umoci") {
        return;
    }
    let t = tempdir();
    let layout = t.path().join("layout");
    let layer = tar()
        .dir("usr", 0o755)
        .dir("usr/lib", 0o755)
        .file(
            "usr/lib/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n",
        )
        .file("usr/lib/group", b"root:x:0:\nbob:x:1000:\nstaff:x:50:bob\n")
        .dir("etc", 0o755)
        .symlink("etc/passwd", "../usr/lib/passwd")
        .symlink("etc/group", "../usr/lib/group")
        .done();
    write_oci_layout_as(&layout, &[layer], Some("bob"));
    let ours = t.path().join("ours");
    ok(&mut bundle_cmd(&layout, "x", &ours));
    let theirs = t.path().join("theirs");
    ok(Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:x", layout.display()))
        .arg(&theirs));
    let spec = |d: &Path| json(&fs::read(d.join("config.json")).unwrap());
    let (a, b) = (spec(&ours), spec(&theirs));
    assert_eq!(a["process"]["user"]["uid"], 1000, "{a}");
    for key in ["uid", "gid"] {
        assert_eq!(
            a["process"]["user"][key], b["process"]["user"][key],
            "{key}"
        );
    }
    let gids = |v: &serde_json::Value| {
        let mut g: Vec<u64> = v["process"]["user"]["additionalGids"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
            .unwrap_or_default();
        g.sort();
        g
    };
    assert_eq!(gids(&a), gids(&b));
    assert!(gids(&a).contains(&50), "{a}");
    for set in ["bounding", "effective", "permitted"] {
        let names = |v: &serde_json::Value| {
            let mut n: Vec<String> = v["process"]["capabilities"][set]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(&a), names(&b), "{set}");
    }
    // An absolute link is resolved inside the rootfs too (umoci 0.4
    // reads the host's file there).
    let abs = t.path().join("abs");
    let layer = tar()
        .dir("usr", 0o755)
        .dir("usr/lib", 0o755)
        .file("usr/lib/passwd", b"bob:x:1000:1000::/home/bob:/bin/sh\n")
        .file("usr/lib/group", b"staff:x:50:bob\n")
        .dir("etc", 0o755)
        .symlink("etc/passwd", "/usr/lib/passwd")
        .symlink("etc/group", "/../../usr/lib/group")
        .done();
    write_oci_layout_as(&abs, &[layer], Some("bob"));
    let out = t.path().join("abs-bundle");
    ok(&mut bundle_cmd(&abs, "x", &out));
    let c = spec(&out);
    assert_eq!(c["process"]["user"]["uid"], 1000, "{c}");
    assert_eq!(gids(&c), [50], "{c}");
}

/// The process of a bundle as umoci writes it: USER in every form runc
/// reads (empty parts, numbers that are IDs whatever the names), the
/// supplementary groups, the default PATH under the image's Env, HOME
/// from passwd, the capabilities in every set, a tmpfs per volume.
#[test]
fn bundle_process_as_umoci() {
    if !require_tool("umoci") {
        return;
    }
    let t = tempdir();
    let layer = tar()
        .dir("etc", 0o755)
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1001::/home/bob:/bin/sh\n2000:x:3000:3000::/n:/bin/sh\n",
        )
        .file(
            "etc/group",
            b"root:x:0:\nbobs:x:1001:\nextra:x:2000:bob\nextra2:x:2001:root,bob\nagain:x:1001:bob\n",
        )
        .done();
    let cases = [
        serde_json::json!({"User": "bob", "Env": ["FOO=bar"], "Volumes": {"/data": {}, "/cache": {}}}),
        serde_json::json!({"User": ":1001", "Env": []}),
        serde_json::json!({"User": "bob:", "Env": ["PATH=/mine", "A=1", "A=2"]}),
        serde_json::json!({"User": "2000"}),
        serde_json::json!({"User": "bob:extra"}),
        serde_json::json!({"User": "4242:4343"}),
        serde_json::json!({"Env": ["X=1"]}),
        serde_json::json!({}),
    ];
    for (i, run) in cases.iter().enumerate() {
        let layout = t.path().join(format!("l{i}"));
        write_oci_layout_with(&layout, std::slice::from_ref(&layer), Some(run.clone()));
        let ours = t.path().join(format!("ours{i}"));
        ok(&mut bundle_cmd(&layout, "x", &ours));
        let theirs = t.path().join(format!("theirs{i}"));
        ok(Command::new("umoci")
            .args(["unpack", "--image"])
            .arg(format!("{}:x", layout.display()))
            .arg(&theirs));
        let spec = |d: &Path| json(&fs::read(d.join("config.json")).unwrap());
        let (a, b) = (spec(&ours), spec(&theirs));
        let user = |v: &serde_json::Value| {
            let u = &v["process"]["user"];
            let gids = u["additionalGids"].as_array().cloned().unwrap_or_default();
            (u["uid"].clone(), u["gid"].clone(), gids)
        };
        assert_eq!(user(&a), user(&b), "{run}");
        // (umoci's TERM=xterm is for its terminal: true)
        let env = |v: &serde_json::Value| -> Vec<String> {
            v["process"]["env"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .filter(|e| e != "TERM=xterm")
                .collect()
        };
        assert_eq!(env(&a), env(&b), "{run}");
        assert_eq!(
            a["process"]["capabilities"], b["process"]["capabilities"],
            "{run}"
        );
        // (umoci 0.4 in map order, later ones sorted)
        let tmpfs = |v: &serde_json::Value| -> Vec<String> {
            let mut m: Vec<String> = v["mounts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["source"] == "none")
                .map(|m| m.to_string())
                .collect();
            m.sort();
            m
        };
        assert_eq!(tmpfs(&a), tmpfs(&b), "{run}");
    }
    // The image's HOME stays (as in umoci since 0.5; 0.4 put passwd's over
    // it).
    let layout = t.path().join("home");
    let run = serde_json::json!({"User": "bob", "Env": ["HOME=/h"]});
    write_oci_layout_with(&layout, std::slice::from_ref(&layer), Some(run));
    let out = t.path().join("home-bundle");
    ok(&mut bundle_cmd(&layout, "x", &out));
    let spec = json(&fs::read(out.join("config.json")).unwrap());
    assert_eq!(spec["process"]["env"][1], "HOME=/h", "{spec}");
    // A user or group that is no number and not there is refused, as by
    // umoci.
    for run in [
        serde_json::json!({"User": "nobody"}),
        serde_json::json!({"User": "bob:nogroup"}),
        serde_json::json!({"Env": ["NOEQUALS"]}),
    ] {
        let layout = t.path().join("bad");
        let _ = fs::remove_dir_all(&layout);
        write_oci_layout_with(&layout, std::slice::from_ref(&layer), Some(run.clone()));
        let out = t.path().join("bad-bundle");
        fails_with(&mut bundle_cmd(&layout, "x", &out), 3);
        assert!(!out.exists(), "{run}");
        assert!(!Command::new("umoci")
            .args(["unpack", "--image"])
            .arg(format!("{}:x", layout.display()))
            .arg(t.path().join("umoci-bad"))
            .output()
            .unwrap()
            .status
            .success());
        let _ = fs::remove_dir_all(t.path().join("umoci-bad"));
    }
}

/// runc runs a bundle's process: a user other than root, with no PATH in
/// the image's Env, finds its shell, has its HOME and groups, and runc's
/// three default capabilities (ambient).
#[test]
fn runc_runs_a_bundle_as_its_user() {
    if !require_tool("runc") || !require_tool("busybox") {
        return;
    }
    let t = tempdir();
    let layout = t.path().join("layout");
    let busybox = fs::read(
        String::from_utf8(ok(Command::new("sh").args(["-c", "command -v busybox"])))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let layer = tar()
        .dir("bin", 0o755)
        .exec("bin/busybox", &busybox)
        .symlink("bin/sh", "busybox")
        .symlink("bin/id", "busybox")
        .symlink("bin/grep", "busybox")
        .dir("etc", 0o755)
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1001::/home/bob:/bin/sh\n",
        )
        .file("etc/group", b"root:x:0:\nbobs:x:1001:\nextra:x:2000:bob\n")
        .dir("work", 0o755)
        .done();
    write_oci_layout_with(
        &layout,
        &[layer],
        Some(serde_json::json!({
            "User": "bob", "Env": ["FOO=bar"], "WorkingDir": "/work",
            "Cmd": ["sh", "-c", "echo \"$PATH|$HOME|$FOO|$(pwd)\"; id; grep CapEff /proc/self/status"],
        })),
    );
    let bundle = t.path().join("bundle");
    ok(&mut bundle_cmd(&layout, "x", &bundle));
    let state = t.path().join("runc");
    let id = format!("lade-test-{}", std::process::id());
    let out = ok_str(
        Command::new("runc")
            .arg("--root")
            .arg(&state)
            .args(["run", "--bundle"])
            .arg(&bundle)
            .arg(&id)
            .stdin(std::process::Stdio::null()),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/home/bob|bar|/work",
            "uid=1000(bob) gid=1001(bobs) groups=2000(extra)",
            "CapEff:\t0000000020000420",
        ],
        "{out}"
    );
}

/// A layer whose bytes do not hash to its digest is named once, by the
/// layer it is: "layer 1 of 3 (X); DIR is removed: reading the layer:
/// content hashes to Y (digest mismatch)" (it said "blob X: " again
/// before the hashes).
#[test]
fn a_layer_failing_its_digest_is_named_once() {
    let t = tempdir();
    let layout = t.path().join("l");
    ok(lade()
        .args(["copy", "-q"])
        .arg(format!(
            "docker-archive:{}",
            fixture("docker-save/tiny-docker26.tar").display()
        ))
        .arg(format!("oci:{}:x", layout.display())));
    // The biggest layer (an uncompressed tar): a byte of its first
    // header changed.
    let blob = |d: &str| {
        layout
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let index = json(&fs::read(layout.join("index.json")).unwrap());
    let manifest =
        json(&fs::read(blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap());
    let layers = manifest["layers"].as_array().unwrap();
    let big = layers.iter().max_by_key(|l| l["size"].as_u64()).unwrap();
    let digest = big["digest"].as_str().unwrap().to_string();
    let mut data = fs::read(blob(&digest)).unwrap();
    data[100] = b'X';
    fs::remove_file(blob(&digest)).unwrap();
    fs::write(blob(&digest), data).unwrap();
    let err = fails_with(
        lade()
            .args(["unpack", "-q"])
            .arg(format!("oci:{}:x", layout.display()))
            .arg(t.path().join("out")),
        3,
    );
    assert_eq!(err.matches(&digest).count(), 1, "{err}");
    assert!(
        err.contains(&format!("({digest}); "))
            && err.contains("reading the layer: content hashes to sha256:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!t.path().join("out").exists());
}

#[test]
fn unpack_detects_corrupt_layer() {
    let t = tempdir();
    let Some(_) = image_layout(t.path()) else {
        return;
    };
    let layout = t.path().join("layout");
    // corrupt the last layer's blob: flip a byte near its end
    let index = json(&fs::read(layout.join("index.json")).unwrap());
    let mdigest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let blob = |d: &str| {
        layout
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let manifest = json(&fs::read(blob(&mdigest)).unwrap());
    let layers = manifest["layers"].as_array().unwrap();
    let last = layers.last().unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let path = blob(&last);
    let mut data = fs::read(&path).unwrap();
    let n = data.len();
    data[n - 10] ^= 0xff;
    fs::remove_file(&path).unwrap();
    fs::write(&path, data).unwrap();
    let err = fails_with(
        lade()
            .args(["unpack", "-q"])
            .arg(format!("oci:{}:img", layout.display()))
            .arg(t.path().join("out")),
        3,
    );
    assert!(err.contains(&last), "{err}");
    // What it made goes, the parents it made too; a bundle's as well.
    for bundle in [false, true] {
        let mut c = lade();
        c.args(["unpack", "-q"]);
        if bundle {
            c.arg("--bundle");
        }
        fails_with(
            c.arg(format!("oci:{}:img", layout.display()))
                .arg(t.path().join("nest/a/b")),
            3,
        );
        assert!(!t.path().join("nest").exists(), "bundle {bundle}");
    }
    // A layer missing from the layout: a broken image (exit 3, as copy
    // says), not a negative answer.
    fs::remove_file(&path).unwrap();
    let err = fails_with(
        lade()
            .args(["unpack", "-q"])
            .arg(format!("oci:{}:img", layout.display()))
            .arg(t.path().join("out2")),
        3,
    );
    assert!(err.contains(&last), "{err}");
}

// ---------------------------------------------------------------- breakouts

/// A scratch area: `root/` to unpack into and `sentinel/` beside it.
struct Arena {
    _t: tempfile::TempDir,
    base: PathBuf,
}

impl Arena {
    fn new() -> Arena {
        Arena::in_dir(tempdir())
    }
    /// In the system's temp directory, whose parents anyone may pass
    /// (scripts/test's own is private to root): for runs as another user.
    fn in_system_tmp() -> Arena {
        Arena::in_dir(tempfile::tempdir().unwrap())
    }
    fn in_dir(t: tempfile::TempDir) -> Arena {
        let base = t.path().to_path_buf();
        fs::create_dir(base.join("root")).unwrap();
        let s = base.join("sentinel");
        fs::create_dir_all(s.join("dir/sub")).unwrap();
        fs::write(s.join("file"), b"sentinel\n").unwrap();
        fs::write(s.join("dir/sub/f"), b"deep\n").unwrap();
        std::os::unix::fs::symlink("file", s.join("link")).unwrap();
        Arena { _t: t, base }
    }
    fn root(&self) -> PathBuf {
        self.base.join("root")
    }
    /// `lade unpack-layer` of `layer` (a file beside the root) into the
    /// root: refused, exit 3; what it said.
    fn refused(&self, layer: &[u8]) -> String {
        let f = self.base.join("refused.tar");
        fs::write(&f, layer).unwrap();
        fails_with(lade().arg("unpack-layer").arg(&f).arg(self.root()), 3)
    }
    fn sentinel(&self) -> PathBuf {
        self.base.join("sentinel")
    }
    fn abs(&self) -> String {
        self.sentinel().to_str().unwrap().to_string()
    }
    /// Everything about the sentinel and the base directory, times included.
    fn snapshot(&self) -> Vec<String> {
        let mut out = Vec::new();
        let m = fs::symlink_metadata(self.sentinel()).unwrap();
        out.push(format!(
            "sentinel {:o} {} {}",
            m.mode(),
            m.mtime(),
            m.nlink()
        ));
        for (p, n) in tree(&self.sentinel()) {
            let m = fs::symlink_metadata(self.sentinel().join(&p)).unwrap();
            out.push(format!(
                "{p} {n:?} mtime={}.{} nlink={} ino={}",
                m.mtime(),
                m.mtime_nsec(),
                m.nlink(),
                m.ino()
            ));
        }
        let mut names: Vec<String> = fs::read_dir(&self.base)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        out.push(format!("base: {names:?}"));
        out
    }
    /// Apply each layer in turn with `lade unpack-layer`; returns the exit
    /// code of each, and asserts the sentinel is unchanged.
    fn apply(&self, layers: &[Vec<u8>]) -> Vec<i32> {
        let before = self.snapshot();
        let mut codes = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            let f = self.base.join(format!("layer{i}.tar"));
            fs::write(&f, l).unwrap();
            let out = run(lade().arg("unpack-layer").arg(&f).arg(self.root()));
            fs::remove_file(&f).unwrap();
            codes.push(out.status.code().unwrap_or(-1));
        }
        assert_eq!(before, self.snapshot(), "the sentinel changed");
        codes
    }
}

/// Builds tar streams with raw headers (names are not checked).
#[derive(Default)]
struct RawTar {
    out: Vec<u8>,
}

impl RawTar {
    fn header(&mut self, name: &[u8], kind: tar::EntryType, link: &[u8], data: &[u8], mode: u32) {
        let mut h = tar::Header::new_ustar();
        {
            let old = h.as_old_mut();
            let n = name.len().min(100);
            old.name[..n].copy_from_slice(&name[..n]);
            let l = link.len().min(100);
            old.linkname[..l].copy_from_slice(&link[..l]);
        }
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_600_000_000);
        h.set_cksum();
        self.out.extend_from_slice(h.as_bytes());
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
    }
    fn file(mut self, name: &str, data: &[u8]) -> Self {
        self.header(name.as_bytes(), tar::EntryType::Regular, b"", data, 0o644);
        self
    }
    fn exec(mut self, name: &str, data: &[u8]) -> Self {
        self.header(name.as_bytes(), tar::EntryType::Regular, b"", data, 0o755);
        self
    }
    fn dir(mut self, name: &str, mode: u32) -> Self {
        self.header(name.as_bytes(), tar::EntryType::Directory, b"", b"", mode);
        self
    }
    fn symlink(mut self, name: &str, target: &str) -> Self {
        self.header(
            name.as_bytes(),
            tar::EntryType::Symlink,
            target.as_bytes(),
            b"",
            0o777,
        );
        self
    }
    fn hardlink(mut self, name: &str, target: &str) -> Self {
        self.header(
            name.as_bytes(),
            tar::EntryType::Link,
            target.as_bytes(),
            b"",
            0o644,
        );
        self
    }
    fn pax(mut self, records: &[(&str, &str)]) -> Self {
        let mut data = Vec::new();
        for (k, v) in records {
            let body = format!(" {k}={v}\n");
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            data.extend_from_slice(format!("{len}{body}").as_bytes());
        }
        self.header(
            b"././@PaxHeader",
            tar::EntryType::XHeader,
            b"",
            &data,
            0o644,
        );
        self
    }
    fn gnu_long(mut self, kind: tar::EntryType, name: &str) -> Self {
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        self.header(b"././@LongLink", kind, b"", &data, 0o644);
        self
    }
    /// An old GNU sparse entry (type 'S') of `real` bytes holding
    /// `pieces` (offset, bytes) and holes elsewhere.
    fn gnu_sparse(mut self, name: &str, real: u64, pieces: &[(u64, &[u8])]) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_entry_type(tar::EntryType::GNUSparse);
        let data: Vec<u8> = pieces.iter().flat_map(|p| p.1.iter().copied()).collect();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_600_000_000);
        {
            let g = h.as_gnu_mut().unwrap();
            for (i, (off, bytes)) in pieces.iter().enumerate() {
                g.sparse[i].set_offset(*off);
                g.sparse[i].set_length(bytes.len() as u64);
            }
            g.set_real_size(real);
        }
        h.set_cksum();
        self.out.extend_from_slice(h.as_bytes());
        self.out.extend_from_slice(&data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
        self
    }
    /// Bytes as they are (a block, an entry hidden in another's data).
    fn raw(mut self, bytes: &[u8]) -> Self {
        self.out.extend_from_slice(bytes);
        self
    }
    /// An entry of `kind` whose size says `data`'s length, `data` after it.
    fn sized(mut self, kind: tar::EntryType, name: &str, data: &[u8]) -> Self {
        self.header(name.as_bytes(), kind, b"t", data, 0o755);
        self
    }
    fn done(mut self) -> Vec<u8> {
        self.out.extend(std::iter::repeat_n(0u8, 1024));
        self.out
    }
}

fn tar() -> RawTar {
    RawTar::default()
}

#[test]
fn breakout_absolute_symlink_parent() {
    let a = Arena::new();
    let l = tar().symlink("le", &a.abs()).file("le/x", b"pwned").done();
    assert_eq!(a.apply(&[l]), [0]);
    // written inside the root, where the symlink points if root were /
    let inside = a.root().join(a.abs().trim_start_matches('/')).join("x");
    assert_eq!(fs::read(inside).unwrap(), b"pwned");
}

#[test]
fn breakout_relative_symlink_parent() {
    let a = Arena::new();
    let l = tar()
        .symlink("le", "../sentinel")
        .file("le/x", b"pwned")
        .symlink("deep", "a/../../../../sentinel/dir")
        .file("deep/y", b"pwned")
        .done();
    assert_eq!(a.apply(&[l]), [0]);
    assert_eq!(fs::read(a.root().join("sentinel/x")).unwrap(), b"pwned");
    assert_eq!(fs::read(a.root().join("sentinel/dir/y")).unwrap(), b"pwned");
}

/// `..` is refused; an absolute name is taken from the root, as Docker,
/// containerd and umoci take it: it lands inside.
#[test]
fn breakout_dotdot_and_absolute_names() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar().file("../sentinel/x", b"pwned").done(),
        tar().file("a/../../sentinel/x", b"pwned").done(),
        tar().file(&format!("{}/x", a.abs()), b"inside").done(),
        tar().dir("..", 0o777).done(),
        tar().file("/etc/abs", b"abs").done(),
    ]);
    assert_eq!(codes, [3, 3, 0, 3, 0]);
    let inside = a.root().join(a.abs().trim_start_matches('/')).join("x");
    assert_eq!(fs::read(inside).unwrap(), b"inside");
    assert_eq!(fs::read(a.root().join("etc/abs")).unwrap(), b"abs");
}

#[test]
fn breakout_hardlinks_to_outside() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar().hardlink("h", "../sentinel/file").done(),
        tar().hardlink("h", &format!("{}/file", a.abs())).done(),
        // through a symlink: resolved inside the root, where nothing is
        tar()
            .symlink("le", &a.abs())
            .hardlink("h", "le/file")
            .done(),
        tar()
            .symlink("le2", "../sentinel")
            .hardlink("h", "le2/file")
            .done(),
        // a link to a symlink that points out links the symlink, not its target
        tar()
            .symlink("out", &format!("{}/file", a.abs()))
            .hardlink("h2", "out")
            .file("h2", b"pwned")
            .done(),
    ]);
    assert_eq!(codes, [3, 3, 3, 3, 0]);
    assert_eq!(fs::read(a.root().join("h2")).unwrap(), b"pwned");
    assert!(fs::symlink_metadata(a.root().join("out"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn breakout_file_over_symlink() {
    let a = Arena::new();
    let l = tar()
        .symlink("f", &format!("{}/file", a.abs()))
        .file("f", b"pwned")
        .symlink("g", "../sentinel/file")
        .file("g", b"pwned")
        .done();
    assert_eq!(a.apply(&[l]), [0]);
    assert_eq!(fs::read(a.root().join("f")).unwrap(), b"pwned");
    assert!(fs::symlink_metadata(a.root().join("g")).unwrap().is_file());
}

#[test]
fn breakout_root_entry_as_symlink() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar().symlink(".", &a.abs()).file("x", b"pwned").done(),
        tar().symlink("./", "../sentinel").done(),
        tar().file(".", b"pwned").done(),
        tar().hardlink("./", "x").done(),
    ]);
    assert_eq!(codes, [3, 3, 3, 3]);
    assert!(fs::symlink_metadata(a.root()).unwrap().is_dir());
}

#[test]
fn breakout_directory_replaced_by_symlink() {
    let a = Arena::new();
    let l = tar()
        .dir("d", 0o755)
        .file("d/a", b"a")
        .symlink("d", &a.abs())
        .file("d/x", b"pwned")
        .dir("d/dir", 0o777)
        .done();
    assert_eq!(a.apply(&[l]), [0]);
    assert!(fs::symlink_metadata(a.root().join("d"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn breakout_cross_layer_symlink() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar()
            .symlink("le", &a.abs())
            .symlink("rel", "../../sentinel")
            .done(),
        tar().file("le/x", b"pwned").file("rel/y", b"pwned").done(),
        tar()
            .dir("le/dir", 0o777)
            .file("le/dir/sub/f", b"pwned")
            .done(),
        tar().hardlink("le/file2", "rel/y").done(),
    ]);
    assert_eq!(codes, [0, 0, 0, 0]);
}

#[test]
fn breakout_chmod_chown_through_links() {
    let a = Arena::new();
    let codes = a.apply(&[
        // a directory entry over a symlink to an outside directory
        tar()
            .symlink("d", &format!("{}/dir", a.abs()))
            .dir("d", 0o777)
            .done(),
        // and over a symlink to an outside file, or its parent
        tar()
            .symlink("f", &format!("{}/file", a.abs()))
            .dir("f", 0o777)
            .done(),
        tar().symlink("s", &a.abs()).dir("s/", 0o777).done(),
        // a fifo over a symlink
        {
            let mut t = tar().symlink("p", &format!("{}/file", a.abs()));
            t.header(b"p", tar::EntryType::Fifo, b"", b"", 0o777);
            t.done()
        },
        // a symlink entry's mode and owner are the link's own
        {
            let mut t = tar();
            t.header(
                b"q",
                tar::EntryType::Symlink,
                a.abs().as_bytes(),
                b"",
                0o700,
            );
            t.done()
        },
    ]);
    assert_eq!(codes, [0, 0, 0, 0, 0]);
    assert!(fs::symlink_metadata(a.root().join("d")).unwrap().is_dir());
    assert!(fs::symlink_metadata(a.root().join("s")).unwrap().is_dir());
}

#[test]
fn breakout_bad_whiteouts() {
    let a = Arena::new();
    fs::write(a.root().join("keep"), b"k").unwrap();
    let codes = a.apply(&[
        tar().file(".wh.", b"").done(),
        tar().file(".wh..", b"").done(),
        tar().file(".wh...", b"").done(),
        tar().file("sub/.wh..", b"").done(),
    ]);
    assert_eq!(codes, [3, 3, 3, 3]);
    assert!(a.root().join("keep").exists());
}

#[test]
fn breakout_whiteouts_through_symlinks() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar()
            .symlink("le", &a.abs())
            .file("le/.wh.file", b"")
            .done(),
        tar()
            .symlink("rel", "../sentinel")
            .file("rel/.wh.dir", b"")
            .done(),
        tar()
            .file("le/.wh..wh..opq", b"")
            .file("rel/.wh..wh..opq", b"")
            .done(),
        tar().file(".wh.le", b"").done(),
    ]);
    assert_eq!(codes, [0, 0, 0, 0]);
    assert!(!a.root().join("le").exists());
}

#[test]
fn breakout_pax_and_gnu_long_names() {
    let a = Arena::new();
    let long_ok = format!("{}/f", "d".repeat(150));
    let codes = a.apply(&[
        // PAX path escapes; the ustar name is harmless
        tar()
            .pax(&[("path", "../sentinel/x")])
            .file("ok", b"pwned")
            .done(),
        // PAX then GNU long name, both before one entry
        tar()
            .pax(&[("path", "../sentinel/x")])
            .gnu_long(tar::EntryType::GNULongName, "ok2")
            .file("ok3", b"pwned")
            .done(),
        tar()
            .gnu_long(tar::EntryType::GNULongName, "../sentinel/x")
            .pax(&[("path", "ok4")])
            .file("ok5", b"pwned")
            .done(),
        // long names and link names pointing out (an absolute name is
        // from the root: it lands inside)
        tar()
            .gnu_long(tar::EntryType::GNULongName, &format!("{}/x", a.abs()))
            .file("x", b"p")
            .done(),
        tar()
            .gnu_long(tar::EntryType::GNULongLink, "../sentinel/file")
            .hardlink("h", "ok")
            .done(),
        tar()
            .pax(&[("linkpath", "../../sentinel/file")])
            .hardlink("h", "ok")
            .done(),
        // a legitimate long name works
        tar()
            .pax(&[("path", &long_ok)])
            .file("short", b"fine")
            .done(),
    ]);
    // PAX then GNU: the GNU long name, read last, names the entry (as GNU
    // tar does); either way nothing may land outside.
    assert_eq!(codes, [3, 0, 3, 0, 3, 3, 0]);
    assert_eq!(fs::read(a.root().join("ok2")).unwrap(), b"pwned");
    let inside = a.root().join(a.abs().trim_start_matches('/')).join("x");
    assert_eq!(fs::read(inside).unwrap(), b"p");
    assert_eq!(fs::read(a.root().join(&long_ok)).unwrap(), b"fine");
}

/// PAX records other readers refuse are refused here too, so one layer
/// never means different files to different tools.
#[test]
fn pax_records_that_are_not_numbers_are_refused() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar()
            .pax(&[("size", "99999999999999999999999")])
            .file("f", b"x")
            .done(),
        tar().pax(&[("size", "abc")]).file("f", b"x").done(),
        tar().pax(&[("mtime", "1e400")]).file("g", b"x").done(),
        tar().pax(&[("uid", "-1")]).file("h", b"x").done(),
        tar()
            .pax(&[("mtime", "1600000000.5")])
            .file("ok", b"x")
            .done(),
    ]);
    assert_eq!(codes, [3, 3, 3, 3, 0]);
    assert!(!a.root().join("f").exists() && !a.root().join("g").exists());
    let f = a.root().join("f.tar");
    fs::write(&f, tar().pax(&[("size", "abc")]).file("f", b"x").done()).unwrap();
    let err = fails_with(lade().arg("unpack-layer").arg(&f).arg(a.root()), 3);
    assert!(err.contains("bad PAX size"), "{err}");
}

/// Extension headers other readers read otherwise are refused, so one
/// layer never means different files to different tools: a PAX record
/// holding a newline (Go reads records by their length, so a `path`
/// hidden in a comment is no record to it), a malformed record, and a
/// PAX header or GNU long name under no POSIX or GNU magic (GNU tar and Go
/// apply it; read as an entry of its own, the next entry would keep its
/// header's name, and a long name's bytes could hide entries).
#[test]
fn extension_headers_tools_read_otherwise_are_refused() {
    let a = Arena::new();
    let without_magic = |kind: tar::EntryType, data: &[u8], magic: &[u8; 8]| {
        let mut t = tar();
        t.header(b"././@LongLink", kind, b"", data, 0o644);
        t.out[257..265].copy_from_slice(magic);
        let h = tar::Header::from_byte_slice(&t.out[..512]);
        let mut h = h.clone();
        h.set_cksum();
        t.out[..512].copy_from_slice(h.as_bytes());
        t.file("tmp/harmless", b"x").done()
    };
    let mut layers = vec![
        tar()
            .pax(&[("comment", "c\n26 path=etc/ld.so.preload")])
            .file("tmp/harmless", b"x")
            .done(),
        tar()
            .raw(&{
                let mut t = tar();
                t.header(
                    b"././@PaxHeader",
                    tar::EntryType::XHeader,
                    b"",
                    b"99 path=etc/ld.so.preload\n",
                    0o644,
                );
                t.out
            })
            .file("tmp/harmless", b"x")
            .done(),
    ];
    for magic in [b"\0\0\0\0\0\0\0\0", b"ustar\0\0\0"] {
        layers.push(without_magic(
            tar::EntryType::XHeader,
            b"26 path=etc/ld.so.preload\n",
            magic,
        ));
        layers.push(without_magic(
            tar::EntryType::GNULongName,
            b"etc/ld.so.preload\0",
            magic,
        ));
    }
    assert_eq!(a.apply(&layers), [3; 6]);
    assert!(!a.root().join("etc").exists() && !a.root().join("tmp").exists());
    let err = a.refused(&layers[0]);
    assert!(
        err.contains("a PAX comment record holding a newline"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let err = a.refused(&layers[1]);
    assert!(err.contains("a malformed PAX record"), "{err}");
    let err = a.refused(&layers[2]);
    assert!(
        err.contains("a PAX extended header without a POSIX or GNU magic"),
        "{err}"
    );
    let err = a.refused(&layers[3]);
    assert!(
        err.contains("a GNU long name without a POSIX or GNU magic"),
        "{err}"
    );
    // The same headers with their magic: applied, as every reader does.
    let with_magic = tar()
        .pax(&[("path", "etc/ld.so.preload")])
        .file("tmp/harmless", b"x")
        .done();
    assert_eq!(a.apply(&[with_magic]), [0]);
    assert_eq!(fs::read(a.root().join("etc/ld.so.preload")).unwrap(), b"x");
}

#[test]
fn breakout_truncated_and_random_tars() {
    let a = Arena::new();
    let good = tar().file("a", &[7u8; 5000]).file("b", b"b").done();
    let mut rng = 0x2545F4914F6CDD1Du64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng as u8
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&good).unwrap();
    let gz = gz.finish().unwrap();
    let codes = a.apply(&[
        good[..512 + 2000].to_vec(),
        good[..700].to_vec(),
        random,
        gz[..gz.len() / 2].to_vec(),
    ]);
    assert_eq!(codes, [3, 3, 3, 3]);
}

#[test]
fn multi_member_gzip() {
    let a = Arena::new();
    let t = tar()
        .file("one", b"1")
        .file("two", &[2u8; 3000])
        .file("three", b"3")
        .done();
    let mut out = Vec::new();
    // split inside the second file's data, at a block boundary
    for part in [&t[..1024], &t[1024..2048], &t[2048..]] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(part).unwrap();
        out.extend(gz.finish().unwrap());
    }
    assert_eq!(a.apply(&[out.clone()]), [0]);
    assert_eq!(fs::read(a.root().join("three")).unwrap(), b"3");
    assert_eq!(fs::read(a.root().join("two")).unwrap(), vec![2u8; 3000]);
    // Bytes after the last member that begin no other: said so, not
    // "unexpected end of file" alone.
    for junk in [&b"junk"[..], &[0x1f; 64][..]] {
        let b = Arena::new();
        let mut bad = out.clone();
        bad.extend_from_slice(junk);
        let err = b.refused(&bad);
        assert!(
            err.contains("followed by bytes that begin no gzip member"),
            "{err}"
        );
    }
}

/// A zstd stream may open with a skippable frame (RFC 8878 3.1.2), which
/// Docker and containerd take for zstd: so do unpack-layer, unpack and
/// copy (they took such a layer for a plain tar: "not a tar archive", or
/// a diff_id mismatch).
#[test]
fn a_zstd_layer_opening_with_a_skippable_frame_is_zstd() {
    let a = Arena::new();
    let t = tar().dir("d", 0o755).file("d/f", b"zstd inside").done();
    let mut z = vec![0x5e, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, b's', b'k', b'i', b'p'];
    z.extend(zstd::encode_all(&t[..], 3).unwrap());
    assert_eq!(a.apply(&[z.clone()]), [0]);
    assert_eq!(fs::read(a.root().join("d/f")).unwrap(), b"zstd inside");
    // In an image: unpacked, and recompressed by copy into what it holds.
    let layout = a.base.join("layout");
    let zstd_type = "application/vnd.oci.image.layer.v1.tar+zstd";
    write_oci_layout_typed(&layout, &[(&z, &t, zstd_type)], None);
    let src = format!("oci:{}:x", layout.display());
    ok(lade().args(["unpack", "-q", &src]).arg(a.base.join("u")));
    assert_eq!(fs::read(a.base.join("u/d/f")).unwrap(), b"zstd inside");
    let gz = format!("oci:{}:x", a.base.join("gz").display());
    ok(lade().args(["copy", "-q", "--dest-compress-format", "gzip", &src, &gz]));
    ok(lade().args(["unpack", "-q", &gz]).arg(a.base.join("g")));
    assert_eq!(fs::read(a.base.join("g/d/f")).unwrap(), b"zstd inside");
}

#[test]
fn gzip_bomb_streams_in_bounded_memory() {
    if !require_tool("python3") {
        return;
    }
    let a = Arena::new();
    // 1 GiB of zeros in one file, compressed to about 1 MiB
    let size: u64 = 1 << 30;
    let path = a.base.join("bomb.tar.gz");
    {
        let f = fs::File::create(&path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::best());
        let mut h = tar::Header::new_ustar();
        h.set_path("zeros").unwrap();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        gz.write_all(h.as_bytes()).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..(size >> 20) {
            gz.write_all(&chunk).unwrap();
        }
        gz.write_all(&[0u8; 1024]).unwrap();
        gz.finish().unwrap();
    }
    assert!(fs::metadata(&path).unwrap().len() < 8 << 20);
    let before = a.snapshot();
    // peak RSS of the child, from the kernel's accounting
    let script = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:])\n\
        print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let out = run(Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_lade"))
        .arg("unpack-layer")
        .arg(&path)
        .arg(a.root()));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let out = String::from_utf8(out.stdout).unwrap();
    let mut it = out.split_whitespace();
    let code: i32 = it.next().unwrap().parse().unwrap();
    let rss_kib: u64 = it.next().unwrap().parse().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
    assert_eq!(fs::metadata(a.root().join("zeros")).unwrap().len(), size);
    assert_eq!(before, a.snapshot());
}

/// A failed unpack takes back what it made, and only that: the parents it
/// made go only if nothing else was put in them meanwhile; `a/../b` is
/// `b` (and `a`, made on the way).
#[test]
fn a_failed_unpack_takes_back_only_what_it_made() {
    use std::io::Write;
    let t = tempdir();
    let layer = tar().dir("etc", 0o755).file("etc/f", &[7u8; 4096]).done();
    // fed by hand: cut short once another run has used the parent
    let mut child = lade()
        .args(["unpack-layer", "-"])
        .arg(t.path().join("nest/a"))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&layer[..1024]).unwrap();
    let t0 = std::time::Instant::now();
    while !t.path().join("nest/a").exists() {
        assert!(t0.elapsed().as_secs() < 30, "nest/a never made");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let whole = t.path().join("whole.tar");
    fs::write(&whole, &layer).unwrap();
    ok(lade()
        .arg("unpack-layer")
        .arg(&whole)
        .arg(t.path().join("nest/b")));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(!t.path().join("nest/a").exists());
    assert_eq!(
        fs::read(t.path().join("nest/b/etc/f")).unwrap(),
        [7u8; 4096]
    );
    // a/../b
    let cut = t.path().join("cut.tar");
    fs::write(&cut, &layer[..3000]).unwrap();
    fails_with(
        lade()
            .arg("unpack-layer")
            .arg(&cut)
            .arg(t.path().join("x/../y")),
        3,
    );
    assert!(!t.path().join("x").exists() && !t.path().join("y").exists());
}

#[test]
fn whiteouts_and_opaque_dirs_across_layers() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar()
            .dir("d", 0o755)
            .file("d/old", b"o")
            .dir("d/sub", 0o755)
            .file("d/sub/x", b"x")
            .file("gone", b"g")
            .dir("gonedir", 0o755)
            .file("gonedir/f", b"f")
            .done(),
        // opaque marker after this layer's own child: the child stays
        tar()
            .file("d/new", b"n")
            .file("d/.wh..wh..opq", b"")
            .file(".wh.gone", b"")
            .file(".wh.gonedir", b"")
            .file(".wh.never-existed", b"")
            .done(),
    ]);
    assert_eq!(codes, [0, 0]);
    let t = tree(&a.root());
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(names, ["d", "d/new"]);
}

/// A whiteout hides what lower layers put at its name, never what its own
/// layer put there (OCI image spec; umoci agrees), before or after it in
/// the stream: a file this layer wrote stays; a directory this layer put
/// names into keeps those and loses the rest.
#[test]
fn a_whiteout_spares_its_own_layer() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar()
            .file("f", b"lower")
            .dir("d", 0o755)
            .file("d/lower", b"l")
            .file("g", b"lower")
            .done(),
        tar()
            .file("f", b"upper")
            .file(".wh.f", b"")
            .file("d/upper", b"u")
            .file(".wh.d", b"")
            .file(".wh.g", b"")
            .file("same", b"s")
            .file(".wh.same", b"")
            .done(),
    ]);
    assert_eq!(codes, [0, 0]);
    let t = tree(&a.root());
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(names, ["d", "d/upper", "f", "same"]);
    assert_eq!(fs::read(a.root().join("f")).unwrap(), b"upper");
    // a third layer's whiteouts hide them
    assert_eq!(
        a.apply(&[tar().file(".wh.f", b"").file(".wh.d", b"").done()]),
        [0]
    );
    let t = tree(&a.root());
    assert_eq!(t.keys().map(String::as_str).collect::<Vec<_>>(), ["same"]);
    // The lower directory's mode is hidden too: the same result whichever
    // comes first, the whiteout or the layer's own name in it.
    let modes: Vec<u32> = [true, false]
        .into_iter()
        .map(|marker_first| {
            let a = Arena::new();
            let upper = if marker_first {
                tar().file(".wh.m", b"").file("m/b", b"b")
            } else {
                tar().file("m/b", b"b").file(".wh.m", b"")
            };
            let lower = tar().dir("m", 0o1777).file("m/x", b"x").done();
            assert_eq!(a.apply(&[lower, upper.done()]), [0, 0]);
            let t = tree(&a.root());
            assert_eq!(
                t.keys().map(String::as_str).collect::<Vec<_>>(),
                ["m", "m/b"]
            );
            fs::metadata(a.root().join("m")).unwrap().mode() & 0o7777
        })
        .collect();
    assert_eq!(modes, [0o755, 0o755]);
}

/// A whiteout of a directory the same layer also declares (`d/`, `d/new`,
/// `.wh.d`): the lower directory's names go, the layer's stay (OCI image
/// spec; umoci gives the same).
#[test]
fn a_whiteout_of_a_directory_its_layer_declares_hides_the_lower_names() {
    for marker_first in [false, true] {
        let a = Arena::new();
        let lower = tar().dir("d", 0o755).file("d/lowfile", b"l").done();
        let upper = if marker_first {
            tar().file(".wh.d", b"").dir("d", 0o750).file("d/new", b"n")
        } else {
            tar().dir("d", 0o750).file("d/new", b"n").file(".wh.d", b"")
        };
        assert_eq!(a.apply(&[lower, upper.done()]), [0, 0]);
        let t = tree(&a.root());
        assert_eq!(
            t.keys().map(String::as_str).collect::<Vec<_>>(),
            ["d", "d/new"],
            "marker first: {marker_first}"
        );
        assert_eq!(
            fs::metadata(a.root().join("d")).unwrap().mode() & 0o7777,
            0o750
        );
    }
}

/// A directory entry over a lower directory says what the directory is:
/// the lower one's xattrs the entry lacks go (a default ACL a layer meant
/// to drop with `rm -rf /d && mkdir /d` would otherwise stay), those it
/// lists stay.
#[test]
fn a_redeclared_directory_loses_the_lower_xattrs() {
    let a = Arena::new();
    let lower = tar()
        .pax(&[
            ("SCHILY.xattr.user.low", "1"),
            ("SCHILY.xattr.user.keep", "2"),
        ])
        .dir("x", 0o755)
        .file("x/f", b"f")
        .done();
    assert_eq!(a.apply(&[lower]), [0]);
    let x = a.root().join("x");
    if xattr_names(&x).is_empty() {
        // No user xattrs on this filesystem: nothing to check.
        return;
    }
    assert_eq!(xattr_names(&x), ["user.keep", "user.low"]);
    let upper = tar()
        .pax(&[("SCHILY.xattr.user.keep", "2")])
        .dir("x", 0o755)
        .file("x/.wh..wh..opq", b"")
        .done();
    assert_eq!(a.apply(&[upper]), [0]);
    assert_eq!(xattr_names(&x), ["user.keep"]);
    assert_eq!(a.apply(&[tar().dir("x", 0o755).done()]), [0]);
    assert!(xattr_names(&x).is_empty());
}

fn xattr_names(p: &Path) -> Vec<String> {
    let mut buf = vec![0u8; 4096];
    let n = rustix::fs::llistxattr(p, &mut buf[..]).unwrap_or(0);
    let mut v: Vec<String> = buf[..n]
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .filter(|n| n.starts_with("user."))
        .collect();
    v.sort();
    v
}

/// GNU tar's sparse files in PAX form (`tar --sparse --format=posix`,
/// formats 0.0, 0.1 and 1.0) unpack as Go's archive/tar reads them
/// (Docker, umoci): the pieces where the map puts them, holes between,
/// under the name GNU.sparse.name gives (lade refused them). A map that
/// places pieces out of order or past the file, or leaves data unplaced,
/// and a format lade does not know, are refused.
#[test]
fn pax_sparse_files_unpack_as_umoci_unpacks_them() {
    let t = tempdir();
    let src = t.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let f = fs::File::create(src.join("s")).unwrap();
    f.set_len(10 << 20).unwrap();
    std::os::unix::fs::FileExt::write_at(&f, &[b'A'; 5000], 1 << 20).unwrap();
    std::os::unix::fs::FileExt::write_at(&f, b"Z", 10 << 20).unwrap();
    let want = fs::read(src.join("s")).unwrap();
    let mut layers = Vec::new();
    for version in ["0.0", "0.1", "1.0"] {
        let layer = t.path().join(format!("pax-{version}.tar"));
        let made = Command::new("tar")
            .args([
                "--sparse",
                "--format=posix",
                "--sparse-version",
                version,
                "-cf",
            ])
            .arg(&layer)
            .arg("-C")
            .arg(&src)
            .arg("s")
            .status()
            .unwrap();
        assert!(made.success());
        let out = t.path().join(format!("out-{version}"));
        ok(lade().arg("unpack-layer").arg(&layer).arg(&out));
        let names: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["s"], "{version}");
        assert!(
            fs::read(out.join("s")).unwrap() == want,
            "{version}: content differs"
        );
        assert!(
            disk_use(&out.join("s")) < 1 << 20,
            "{version}: holes written"
        );
        layers.push(fs::read(&layer).unwrap());
    }
    if require_tool("umoci") {
        for (i, layer) in layers.iter().enumerate() {
            let d = t.path().join(format!("umoci-{i}"));
            let rootfs = umoci_rootfs(&d, std::slice::from_ref(layer));
            let ours = t.path().join(["out-0.0", "out-0.1", "out-1.0"][i]);
            assert_same_tree(&tree(&ours), &tree(&rootfs), "umoci");
        }
    }
    // Maps that do not fit, and an unknown format.
    let one_zero = |map: &str, data: &[u8], size: &str| {
        let mut body = map.as_bytes().to_vec();
        body.resize(512, 0);
        body.extend_from_slice(data);
        tar()
            .pax(&[
                ("GNU.sparse.major", "1"),
                ("GNU.sparse.minor", "0"),
                ("GNU.sparse.name", "s"),
                ("GNU.sparse.realsize", size),
            ])
            .file("GNUSparseFile.1/s", &body)
            .done()
    };
    for (layer, why) in [
        (
            one_zero("2\n100\n2\n50\n2\n", b"abcd", "200"),
            "out of order",
        ),
        (one_zero("1\n100\n4\n", b"abcd", "102"), "past its end"),
        (
            one_zero("1\n0\n2\n", b"abcd", "100"),
            "places 2 bytes, with 4 stored",
        ),
        (
            tar()
                .pax(&[("GNU.sparse.major", "2"), ("GNU.sparse.minor", "0")])
                .file("s", b"x")
                .done(),
            "PAX format 2.0",
        ),
    ] {
        let a = Arena::new();
        let before = a.snapshot();
        let f = a.base.join("l.tar");
        fs::write(&f, &layer).unwrap();
        let err = fails_with(
            lade().arg("unpack-layer").arg(&f).arg(a.base.join("new")),
            3,
        );
        assert!(err.contains(why), "{why}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!a.base.join("new").exists());
        fs::remove_file(&f).unwrap();
        assert_eq!(before, a.snapshot());
    }
    // A good one made by hand: the pieces land where the map says.
    let a = Arena::new();
    let layer = one_zero("2\n3\n2\n600\n2\n", b"abcd", "700");
    assert_eq!(a.apply(&[layer]), [0]);
    let mut expect = vec![0u8; 700];
    expect[3..5].copy_from_slice(b"ab");
    expect[600..602].copy_from_slice(b"cd");
    assert_eq!(fs::read(a.root().join("s")).unwrap(), expect);
}

#[test]
fn unpack_layer_from_stdin_and_store() {
    let a = Arena::new();
    let layer = tar().dir("etc", 0o755).file("etc/x", b"hi").done();
    let out = run_with_input(lade().args(["unpack-layer", "-"]).arg(a.root()), &layer);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read(a.root().join("etc/x")).unwrap(), b"hi");
    // from a store, by digest
    let store = a.base.join("store");
    let f = a.base.join("l.tar");
    fs::write(&f, &layer).unwrap();
    let d = ok_str(
        lade()
            .arg("--store")
            .arg(&store)
            .args(["hash-object", "-w"])
            .arg(&f),
    );
    let dir2 = a.base.join("r2");
    ok(lade()
        .arg("--store")
        .arg(&store)
        .args(["unpack-layer", &d])
        .arg(&dir2));
    assert_eq!(fs::read(dir2.join("etc/x")).unwrap(), b"hi");
}

#[test]
fn rootless_keeps_caller_ownership() {
    let a = Arena::new();
    let mut t = tar();
    t.header(b"f", tar::EntryType::Regular, b"", b"x", 0o4755);
    t.header(b"ro", tar::EntryType::Directory, b"", b"", 0o555);
    t.header(b"ro/inner", tar::EntryType::Regular, b"", b"i", 0o644);
    let mut layer = t.done();
    // uid 1234 on "f": patch the header and its checksum
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&layer[..512]);
    h.set_uid(1234);
    h.set_cksum();
    layer[..512].copy_from_slice(h.as_bytes());
    assert_eq!(a.apply(&[layer.clone()]), [0]);
    let m = fs::metadata(a.root().join("f")).unwrap();
    let me = fs::metadata(a.base.join("sentinel")).unwrap().uid();
    // as root, without --rootless, owners are the layer's
    if me == 0 {
        assert_eq!(m.uid(), 1234);
    }
    let lf = a.base.join("l.tar");
    fs::write(&lf, &layer).unwrap();
    let root2 = a.base.join("rl");
    ok(lade()
        .args(["unpack-layer", "--rootless"])
        .arg(&lf)
        .arg(&root2));
    let m = fs::metadata(root2.join("f")).unwrap();
    assert_eq!(m.uid(), rustix_uid());
    assert_eq!(m.mode() & 0o7777, 0o4755);
    assert_eq!(
        fs::metadata(root2.join("ro")).unwrap().mode() & 0o7777,
        0o555
    );
    assert_eq!(fs::read(root2.join("ro/inner")).unwrap(), b"i");
}

fn rustix_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

#[test]
fn opaque_marker_after_redeclared_subdirs() {
    // The marker hides everything the layers below had under its
    // directory, wherever it comes in the stream: inside subdirectories
    // this layer declares again, or only names as parents, too.
    let a = Arena::new();
    let codes = a.apply(&[
        tar()
            .dir("d", 0o755)
            .dir("d/sub", 0o755)
            .file("d/sub/secret", b"s")
            .dir("d/sub/deeper", 0o755)
            .file("d/sub/deeper/old", b"o")
            .file("d/other", b"o")
            .dir("d/implicit", 0o755)
            .file("d/implicit/lower", b"l")
            .dir("d/gone", 0o755)
            .file("d/gone/f", b"f")
            .symlink("d/link", "sub")
            .file("outside", b"kept")
            .done(),
        tar()
            .dir("d", 0o755)
            .dir("d/sub", 0o755)
            .file("d/sub/new", b"n")
            .dir("d/sub/deeper", 0o755)
            .file("d/implicit/x/y", b"y")
            .file("d/.wh..wh..opq", b"")
            .file("d/after", b"a")
            .done(),
    ]);
    assert_eq!(codes, [0, 0]);
    let t = tree(&a.root());
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "d",
            "d/after",
            "d/implicit",
            "d/implicit/x",
            "d/implicit/x/y",
            "d/sub",
            "d/sub/deeper",
            "d/sub/new",
            "outside",
        ]
    );
    // the same with the marker first, as Docker writes it
    let b = Arena::new();
    let codes = b.apply(&[
        tar()
            .dir("d", 0o755)
            .dir("d/sub", 0o755)
            .file("d/sub/secret", b"s")
            .done(),
        tar()
            .dir("d", 0o755)
            .file("d/.wh..wh..opq", b"")
            .dir("d/sub", 0o755)
            .file("d/sub/new", b"n")
            .done(),
    ]);
    assert_eq!(codes, [0, 0]);
    let t = tree(&b.root());
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(names, ["d", "d/sub", "d/sub/new"]);
}

/// Run lade with `args`; returns its exit code, its peak RSS in KiB (from
/// the kernel's accounting, through python3) and its stderr.
fn lade_peak_rss(args: &[&std::ffi::OsStr]) -> (i32, u64, String) {
    let script = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE)\n\
        sys.stderr.buffer.write(r.stderr)\n\
        print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let out = run(Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_lade"))
        .args(args));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut it = stdout.split_whitespace();
    let code: i32 = it.next().unwrap().parse().unwrap();
    let rss_kib: u64 = it.next().unwrap().parse().unwrap();
    (code, rss_kib, stderr)
}

/// A gzip layer at `path`: `one` (whole tar blocks) `n` times, then the end.
fn write_repeated_gz(path: &Path, one: &[u8], n: usize) {
    let f = fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    for _ in 0..n {
        gz.write_all(one).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap();
}

#[test]
fn repeated_directory_entries_stream_in_bounded_memory() {
    if !require_tool("python3") {
        return;
    }
    let a = Arena::new();
    // one directory, a 3014-byte name, declared 60,000 times (270 MB)
    let long = vec!["d".repeat(200); 15].join("/");
    let mut one = tar().pax(&[("path", &long)]).dir("x", 0o755).done();
    one.truncate(one.len() - 1024);
    let path = a.base.join("dirs.tar.gz");
    write_repeated_gz(&path, &one, 60_000);
    let before = a.snapshot();
    let (code, rss_kib, stderr) =
        lade_peak_rss(&["unpack-layer".as_ref(), path.as_ref(), a.root().as_ref()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
    assert!(a.root().join(&long).is_dir());
    assert_eq!(before, a.snapshot());
}

#[test]
fn repeated_directory_entry_last_one_wins() {
    // As tar does: each entry sets the directory's metadata again, so the
    // last one's mode and time are what is left.
    let a = Arena::new();
    let mut t = tar();
    for (mode, mtime) in [(0o700, 1_000_000_000u64), (0o750, 1_200_000_000)] {
        let mut h = tar::Header::new_ustar();
        h.set_path("d").unwrap();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(mode);
        h.set_mtime(mtime);
        h.set_cksum();
        t.out.extend_from_slice(h.as_bytes());
    }
    let t = t.file("d/f", b"f").dir("e", 0o755).done();
    assert_eq!(a.apply(&[t]), [0]);
    let m = fs::metadata(a.root().join("d")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o750);
    assert_eq!(m.mtime(), 1_200_000_000);
}

/// A layer that puts something in a directory and then gives the
/// directory's name to a file, or to a symlink going round, unpacks as
/// umoci unpacks it, the last entry winning (the directory times set at
/// the layer's end failed on the path: "\"a\" is not a directory", "too
/// many levels of symbolic links").
#[test]
fn a_directory_replaced_later_in_its_layer_leaves_no_time_to_set() {
    let layers = [
        tar()
            .dir("a", 0o755)
            .dir("a/b", 0o755)
            .file("a", b"file")
            .done(),
        tar().dir("d", 0o755).dir("d/e", 0o755).done(),
        tar().file("d/e/f", b"f").symlink("d", "d").done(),
    ];
    let a = Arena::new();
    assert_eq!(a.apply(&layers), [0, 0, 0]);
    let t = tree(&a.root());
    assert_eq!(fs::read(a.root().join("a")).unwrap(), b"file");
    assert_eq!((t["d"].kind, t["d"].link.as_str()), ('l', "d"));
    assert_eq!(t.len(), 2, "{t:?}");
    if !require_tool("umoci") {
        return;
    }
    let d = tempdir();
    let rootfs = umoci_rootfs(d.path(), &layers);
    assert_same_tree(&t, &tree(&rootfs), "umoci");
}

#[test]
fn unknown_entry_types_are_counted_not_listed() {
    if !require_tool("python3") {
        return;
    }
    let a = Arena::new();
    // 60,000 entries of an unknown type 'Z', each with a 3014-byte name
    let long = vec!["u".repeat(200); 15].join("/");
    let mut t = tar().pax(&[("path", &long)]);
    t.header(b"x", tar::EntryType::new(b'Z'), b"", b"", 0o644);
    let mut one = t.done();
    one.truncate(one.len() - 1024);
    let path = a.base.join("unknown.tar.gz");
    write_repeated_gz(&path, &one, 60_000);
    let (code, rss_kib, stderr) =
        lade_peak_rss(&["unpack-layer".as_ref(), path.as_ref(), a.root().as_ref()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        (2..=11).contains(&lines.len()),
        "{} lines, first: {:?}",
        lines.len(),
        lines.first()
    );
    assert!(
        lines[0].contains("skipped") && lines[0].contains("type 'Z'"),
        "{}",
        lines[0]
    );
    let last = lines.last().unwrap();
    assert!(last.contains("59990 more"), "{last}");
    assert!(stderr.len() < 64 << 10, "{} bytes of stderr", stderr.len());
    // a few are listed one by one
    let b = Arena::new();
    let mut t = tar();
    for n in ["z1", "z2"] {
        t.header(n.as_bytes(), tar::EntryType::new(b'Z'), b"", b"", 0o644);
    }
    let l = b.base.join("l.tar");
    fs::write(&l, t.done()).unwrap();
    let err = ok_stderr(lade().arg("unpack-layer").arg(&l).arg(b.root()));
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("\"z1\"") && err.contains("\"z2\""), "{err}");
    assert!(!err.contains("more"), "{err}");
}

/// A GNU sparse entry: `map` lists (offset, data) segments of a file of
/// `real` bytes; the rest are holes.
fn gnu_sparse(name: &str, real: u64, map: &[(u64, &[u8])]) -> Vec<u8> {
    assert!(map.len() <= 4);
    let octal = |field: &mut [u8], v: u64| {
        let s = format!("{v:0w$o}\0", w = field.len() - 1);
        field.copy_from_slice(s.as_bytes());
    };
    // the segments' data one after the other (all but the last whole
    // 512-byte blocks), padded to a block at the end
    let mut stored: Vec<u8> = map.iter().flat_map(|(_, d)| d.to_vec()).collect();
    stored.resize(stored.len().div_ceil(512) * 512, 0);
    let mut h = tar::Header::new_gnu();
    h.set_path(name).unwrap();
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_600_000_000);
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(map.iter().map(|(_, d)| d.len() as u64).sum());
    {
        let g = h.as_gnu_mut().unwrap();
        for (i, (off, d)) in map.iter().enumerate() {
            octal(&mut g.sparse[i].offset, *off);
            octal(&mut g.sparse[i].numbytes, d.len() as u64);
        }
        octal(&mut g.realsize, real);
    }
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend(stored);
    out
}

/// Bytes of disk a file takes (what `du` counts).
fn disk_use(p: &Path) -> u64 {
    fs::metadata(p).unwrap().blocks() * 512
}

#[test]
fn sparse_entries_and_zero_runs_are_holes() {
    let a = Arena::new();
    let mut layer = gnu_sparse("hole", 150 << 20, &[(150 << 20, b"")]);
    let b = vec![b'b'; 1024];
    layer.extend(gnu_sparse(
        "mixed",
        120 << 20,
        &[
            (0, &[b'a'; 512]),
            (100 << 20, &b),
            (110 << 20, b"tail"),
            (120 << 20, b""),
        ],
    ));
    // ordinary files: data, zero runs inside and at the end
    let mut rng = 0x9E3779B97F4A7C15u64;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng as u8 | 1
            })
            .collect()
    };
    let mut zeros_inside = random(5000);
    zeros_inside.extend(vec![0u8; 3 * 4096 + 17]);
    zeros_inside.extend(random(1));
    zeros_inside.extend(vec![0u8; 1 << 20]);
    zeros_inside.extend(random(3000));
    zeros_inside.extend(vec![0u8; 100_000]);
    let dense = random(1 << 20);
    let layer = [
        layer,
        tar()
            .file("zeros_inside", &zeros_inside)
            .file("dense", &dense)
            .file("all_zeros", &vec![0u8; 8 << 20])
            .file("short_zeros", &[0u8; 100])
            .file("empty", b"")
            .done(),
    ]
    .concat();
    assert_eq!(a.apply(&[layer]), [0]);
    let r = a.root();

    assert_eq!(fs::metadata(r.join("hole")).unwrap().len(), 150 << 20);
    assert!(
        disk_use(&r.join("hole")) < 1 << 20,
        "{}",
        disk_use(&r.join("hole"))
    );
    assert!(fs::read(r.join("hole")).unwrap().iter().all(|&x| x == 0));

    let mut want = vec![0u8; 120 << 20];
    want[..512].fill(b'a');
    want[100 << 20..(100 << 20) + 1024].fill(b'b');
    want[110 << 20..(110 << 20) + 4].copy_from_slice(b"tail");
    assert!(fs::read(r.join("mixed")).unwrap() == want, "mixed differs");
    assert!(disk_use(&r.join("mixed")) < 1 << 20);

    assert!(fs::read(r.join("zeros_inside")).unwrap() == zeros_inside);
    assert!(disk_use(&r.join("zeros_inside")) < 64 << 10);
    assert_eq!(fs::read(r.join("dense")).unwrap(), dense);
    assert!(disk_use(&r.join("dense")) >= 1 << 20);
    assert_eq!(fs::metadata(r.join("all_zeros")).unwrap().len(), 8 << 20);
    assert!(fs::read(r.join("all_zeros"))
        .unwrap()
        .iter()
        .all(|&x| x == 0));
    assert!(disk_use(&r.join("all_zeros")) < 64 << 10);
    assert_eq!(fs::read(r.join("short_zeros")).unwrap(), [0u8; 100]);
    assert_eq!(fs::metadata(r.join("empty")).unwrap().len(), 0);
    // du agrees
    let du = ok_str(Command::new("du").arg("-sk").arg(&r));
    let kib: u64 = du.split_whitespace().next().unwrap().parse().unwrap();
    assert!(kib < 4096, "du: {du}");
}

/// An OCI layout at `dir` holding one image, ref "x", of `layers`
/// (uncompressed tars).
fn write_oci_layout(dir: &Path, layers: &[Vec<u8>]) {
    write_oci_layout_as(dir, layers, None)
}

/// umoci's rootfs of `layers` (as an image in an OCI layout under
/// `dir`): the oracle's tree, at `dir`/rootfs.
fn umoci_rootfs(dir: &Path, layers: &[Vec<u8>]) -> PathBuf {
    let (out, rootfs) = umoci_unpack(dir, "layout", layers);
    assert!(out.status.success(), "umoci: {out:?}");
    rootfs
}

/// umoci unpacks `layers` into the tree lade made at `root`: the
/// directory umoci worked in (for more runs) and its rootfs, or None
/// without umoci (outside CI; in CI a missing umoci fails).
fn umoci_agrees(root: &Path, layers: &[Vec<u8>]) -> Option<(tempfile::TempDir, PathBuf)> {
    if !require_tool("umoci") {
        return None;
    }
    let d = tempdir();
    let rootfs = umoci_rootfs(d.path(), layers);
    assert_same_tree(&tree(root), &tree(&rootfs), "umoci");
    Some((d, rootfs))
}

/// `umoci raw unpack` of an OCI layout `dir/NAME` of `layers`, into
/// `dir/NAME-rootfs`: what it said, and the rootfs.
fn umoci_unpack(dir: &Path, name: &str, layers: &[Vec<u8>]) -> (Output, PathBuf) {
    let layout = dir.join(name);
    write_oci_layout(&layout, layers);
    let rootfs = dir.join(format!("{name}-rootfs"));
    let out = run(Command::new("umoci").args([
        "raw",
        "unpack",
        "--image",
        &format!("{}:x", layout.display()),
        rootfs.to_str().unwrap(),
    ]));
    (out, rootfs)
}

/// [`write_oci_layout`], the config's User set.
fn write_oci_layout_as(dir: &Path, layers: &[Vec<u8>], user: Option<&str>) {
    write_oci_layout_with(
        dir,
        layers,
        user.map(|u| serde_json::json!({"User": u, "Cmd": ["/bin/sh"]})),
    )
}

/// An image of `layers` whose config's `config` is `run`.
fn write_oci_layout_with(dir: &Path, layers: &[Vec<u8>], run: Option<serde_json::Value>) {
    let plain: Vec<_> = layers
        .iter()
        .map(|l| {
            (
                l.as_slice(),
                l.as_slice(),
                "application/vnd.oci.image.layer.v1.tar",
            )
        })
        .collect();
    write_oci_layout_typed(dir, &plain, run)
}

/// An image of layers given as (blob, its uncompressed tar, media type).
fn write_oci_layout_typed(
    dir: &Path,
    layers: &[(&[u8], &[u8], &str)],
    run: Option<serde_json::Value>,
) {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |b: &[u8]| -> String {
        let h = hex::encode(Sha256::digest(b));
        fs::write(blobs.join(&h), b).unwrap();
        format!("sha256:{h}")
    };
    let digest = |b: &[u8]| format!("sha256:{}", hex::encode(Sha256::digest(b)));
    let diff_ids: Vec<String> = layers.iter().map(|l| digest(l.1)).collect();
    let mut config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    if let Some(r) = run {
        config["config"] = r;
    }
    let config = config.to_string();
    let layer_descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|(blob, _, media_type)| {
            serde_json::json!({
                "mediaType": media_type, "digest": put(blob), "size": blob.len(),
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": put(config.as_bytes()), "size": config.len(),
        },
        "layers": layer_descs,
    })
    .to_string();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": put(manifest.as_bytes()), "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "x"},
        }],
    })
    .to_string();
    fs::write(dir.join("index.json"), index).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// lade as an unprivileged user: as `nobody` (through setpriv) when the
/// tests run as root, else as the caller. None when setpriv is missing.
fn lade_unprivileged() -> Option<Command> {
    if rustix_uid() != 0 {
        return Some(lade());
    }
    if !require_tool("setpriv") {
        return None;
    }
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_lade"))
        .env_remove("LADE_STORE")
        .env("XDG_DATA_HOME", "/nonexistent-lade-test-home");
    Some(c)
}

/// A directory the unprivileged user of [`lade_unprivileged`] owns.
fn unprivileged_dir(p: &Path) {
    fs::create_dir(p).unwrap();
    if rustix_uid() == 0 {
        std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
    }
}

#[test]
fn rootless_writes_into_read_only_lower_directories() {
    // Fedora's /root is 0550: a layer above that adds /root/.bashrc must
    // apply when not root (as umoci raw unpack --rootless does), and the
    // directories keep their modes.
    let a = Arena::in_system_tmp();
    let Some(_) = lade_unprivileged() else {
        return;
    };
    use std::os::unix::fs::PermissionsExt;
    // nobody may enter the scratch area, not write in it
    fs::set_permissions(&a.base, fs::Permissions::from_mode(0o755)).unwrap();
    // a read-only directory of nobody's beside the target, which symlinks
    // in the layers point at: it must not be opened up, nor written
    let outside = a.base.join("outside");
    unprivileged_dir(&outside);
    fs::write(outside.join("f"), b"f").unwrap();
    if rustix_uid() == 0 {
        std::os::unix::fs::lchown(outside.join("f"), Some(65534), Some(65534)).unwrap();
    }
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o555)).unwrap();
    let abs = outside.to_str().unwrap().to_string();
    let l1 = {
        let mut t = tar()
            .symlink("esc", "../../outside")
            .symlink("abs", &abs)
            .dir("root", 0o550)
            .file("root/old", b"o")
            .dir("ro", 0o555)
            .dir("ro/tree", 0o555)
            .file("ro/tree/f", b"f")
            .dir("nox", 0o600)
            .file("nox/a", b"a")
            .dir("opq", 0o555)
            .file("opq/lower", b"l")
            // Fedora's shape: /lib -> usr/lib, read-only, written through
            // the link by a later layer (a relative and an absolute one)
            .dir("usr", 0o755)
            .dir("usr/lib", 0o555)
            .file("usr/lib/old.so", b"o")
            .symlink("lib", "usr/lib")
            .symlink("alib", "/usr/lib")
            .dir("real0", 0o000)
            .symlink("l0", "real0");
        // the root itself read-only, and something after it
        t.header(b"./", tar::EntryType::Directory, b"", b"", 0o555);
        t.file("top1", b"1").done()
    };
    let l2 = tar()
        .file("root/.bashrc", b"x")
        .file("root/sub/f", b"f")
        .file("root/.wh.old", b"")
        .file(".wh.ro", b"")
        .file("nox/b", b"b")
        .file("opq/.wh..wh..opq", b"")
        .file("opq/new", b"n")
        .file("top2", b"2")
        .hardlink("root/link", "nox/b")
        .file("esc/x", b"x")
        .file("esc/.wh.f", b"")
        .file("abs/y", b"y")
        .file("abs/.wh.f", b"")
        .file("lib/libfoo.so", b"foo")
        .file("lib/.wh.old.so", b"")
        .file("alib/abs.so", b"abs")
        .file("l0/f", b"f")
        .done();
    let check = |r: &Path| {
        let t = tree(r);
        // "abs" led to a directory inside the target of the same name
        assert!(r.join(abs.trim_start_matches('/')).join("y").is_file());
        let first = abs.trim_start_matches('/').split('/').next().unwrap();
        let names: Vec<&str> = t
            .keys()
            .map(String::as_str)
            .filter(|n| n.split('/').next() != Some(first))
            .collect();
        assert_eq!(
            names,
            [
                "abs",
                "alib",
                "esc",
                "l0",
                "lib",
                "nox",
                "nox/a",
                "nox/b",
                "opq",
                "opq/new",
                "outside",
                "outside/x",
                "real0",
                "real0/f",
                "root",
                "root/.bashrc",
                "root/link",
                "root/sub",
                "root/sub/f",
                "top1",
                "top2",
                "usr",
                "usr/lib",
                "usr/lib/abs.so",
                "usr/lib/libfoo.so"
            ]
        );
        assert_eq!(t["usr/lib"].mode, 0o555);
        assert_eq!(t["real0"].mode, 0o000);
        assert_eq!(t["root"].mode, 0o550);
        assert_eq!(t["nox"].mode, 0o600);
        assert_eq!(t["opq"].mode, 0o555);
        assert_eq!(t["root/sub"].mode, 0o755);
        let m = fs::metadata(r).unwrap();
        assert_eq!(m.mode() & 0o7777, 0o555);
        if rustix_uid() == 0 {
            assert_eq!(t["root/.bashrc"].uid, 65534);
        }
    };
    let mut files = Vec::new();
    for (i, l) in [&l1, &l2].into_iter().enumerate() {
        let f = a.base.join(format!("l{i}.tar"));
        fs::write(&f, l).unwrap();
        files.push(f);
    }
    let layout = a.base.join("layout");
    write_oci_layout(&layout, &[l1, l2]);
    let before = a.snapshot();

    // one layer after the other, each by its own unpack-layer
    unprivileged_dir(&a.root().join("layers"));
    for f in &files {
        ok(lade_unprivileged()
            .unwrap()
            .arg("unpack-layer")
            .arg(f)
            .arg(a.root().join("layers")));
    }
    check(&a.root().join("layers"));

    // both in one unpack
    unprivileged_dir(&a.root().join("image"));
    ok(lade_unprivileged()
        .unwrap()
        .args(["unpack", "-q"])
        .arg(format!("oci:{}:x", layout.display()))
        .arg(a.root().join("image")));
    check(&a.root().join("image"));
    assert_eq!(
        fs::metadata(&outside).unwrap().mode() & 0o7777,
        0o555,
        "outside opened up"
    );
    let names: Vec<_> = fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["f"]);
    assert_eq!(before, a.snapshot(), "the sentinel changed");
    if rustix_uid() != 0 {
        // let the temporary directory go
        ok(Command::new("chmod").arg("-R").arg("u+rwx").arg(a.root()));
    }
}

/// Go before 1.8 could write a USTAR name prefix into a header with the
/// old GNU magic, where GNU keeps the atime and ctime (golang.org/issue/12594,
/// so in layers old Docker versions made). Go's reader (Docker, umoci)
/// puts such a prefix before the name when those fields are no numbers:
/// lade too (it put the file at the name alone, elsewhere than Docker).
/// A GNU header whose times are numbers keeps its name.
#[test]
fn a_gnu_header_holding_a_ustar_prefix_is_read_as_go_reads_it() {
    let a = Arena::new();
    let mut t = tar();
    let gnu = |t: &mut RawTar, name: &[u8], data: &[u8], at_345: &[u8]| {
        t.header(name, tar::EntryType::Regular, b"", data, 0o644);
        let at = t.out.len() - 512 - data.len().div_ceil(512) * 512;
        let mut h = tar::Header::new_gnu();
        h.as_mut_bytes().copy_from_slice(&t.out[at..at + 512]);
        h.as_mut_bytes()[257..265].copy_from_slice(b"ustar  \0");
        h.as_mut_bytes()[345..345 + at_345.len()].copy_from_slice(at_345);
        h.set_cksum();
        t.out[at..at + 512].copy_from_slice(h.as_bytes());
    };
    gnu(&mut t, b"name", b"one", b"usr/share/doc");
    // (an atime: octal seconds)
    gnu(&mut t, b"timed", b"two", b"14513062040\0");
    let t = t.done();
    assert_eq!(a.apply(std::slice::from_ref(&t)), [0]);
    assert_eq!(
        fs::read(a.root().join("usr/share/doc/name")).unwrap(),
        b"one"
    );
    assert!(!a.root().join("name").exists());
    assert_eq!(fs::read(a.root().join("timed")).unwrap(), b"two");
    umoci_agrees(&a.root(), &[t]);
}

#[test]
fn old_regular_type_with_trailing_slash_is_a_directory() {
    // Pre-POSIX archives mark a directory with a trailing "/" on an entry
    // of type '\0'; GNU tar and Go's archive/tar (so Docker, containerd,
    // umoci) make a directory. Type '0' stays a file, as in Go.
    let a = Arena::new();
    let mut t = tar();
    let old_regular = |t: &mut RawTar, name: &[u8], data: &[u8], mode: u32| {
        t.header(name, tar::EntryType::Regular, b"", data, mode);
        let at = t.out.len() - 512 - data.len().div_ceil(512) * 512;
        let mut h = tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&t.out[at..at + 512]);
        h.as_mut_bytes()[156] = 0;
        h.set_cksum();
        t.out[at..at + 512].copy_from_slice(h.as_bytes());
    };
    old_regular(&mut t, b"./", b"", 0o755);
    old_regular(&mut t, b"a/", b"", 0o750);
    let mut t = t.file("a/b", b"x");
    old_regular(&mut t, b"plain", b"data", 0o644);
    let mut t = t.pax(&[("path", "p/")]);
    old_regular(&mut t, b"ignored", b"", 0o700);
    let mut t = t.file("p/q", b"q");
    t.header(b"c/", tar::EntryType::Regular, b"", b"c", 0o644);
    assert_eq!(a.apply(&[t.done()]), [0]);
    let t = tree(&a.root());
    assert_eq!(t["a"].kind, 'd');
    assert_eq!(t["a"].mode, 0o750);
    assert_eq!(fs::read(a.root().join("a/b")).unwrap(), b"x");
    assert_eq!(t["plain"].kind, 'f');
    assert_eq!(fs::read(a.root().join("plain")).unwrap(), b"data");
    assert_eq!(t["p"].kind, 'd');
    assert_eq!(t["p"].mode, 0o700);
    assert_eq!(t["c"].kind, 'f');
}

#[test]
fn skipped_unknown_entry_does_not_count_as_created() {
    // An entry lade skips creates nothing: an opaque marker still hides
    // the lower file of that name.
    let a = Arena::new();
    let l2 = {
        let mut t = tar();
        t.header(b"d/x", tar::EntryType::new(b'Z'), b"", b"", 0o644);
        t.file("d/.wh..wh..opq", b"").file("d/new", b"n").done()
    };
    let codes = a.apply(&[tar().dir("d", 0o755).file("d/x", b"lower").done(), l2]);
    assert_eq!(codes, [0, 0]);
    let t = tree(&a.root());
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(names, ["d", "d/new"]);
}

#[test]
fn lower_directory_times_survive_upper_layers() {
    // A later layer that adds to, or removes from, a directory it does not
    // declare leaves the directory's time as the lower layer set it, as
    // umoci does: the time is the image's, not the moment of unpacking.
    let layers = [
        tar()
            .dir("d", 0o755)
            .file("d/a", b"a")
            .dir("d/keep", 0o755)
            .dir("e", 0o755)
            .symlink("link", "/d/keep")
            .done(),
        tar()
            .file("link/through", b"t")
            .file("d/b", b"b")
            .file("d/.wh.a", b"")
            .file("d/keep/c", b"c")
            .file("e/.wh..wh..opq", b"")
            .file("new/implicit", b"i")
            .done(),
    ];
    let times = |root: &Path| -> Vec<(String, i64)> {
        ["d", "d/keep", "e"]
            .iter()
            .map(|p| (p.to_string(), fs::metadata(root.join(p)).unwrap().mtime()))
            .collect()
    };
    let a = Arena::new();
    assert_eq!(a.apply(&layers), [0, 0]);
    let want: Vec<(String, i64)> = ["d", "d/keep", "e"]
        .iter()
        .map(|p| (p.to_string(), 1_600_000_000))
        .collect();
    assert_eq!(times(&a.root()), want);
    assert!(!a.root().join("d/a").exists() && a.root().join("d/b").exists());
    // (written through the symlink, into d/keep)
    assert!(a.root().join("d/keep/through").is_file());
    // umoci, on the same layers as an image
    if !require_tool("umoci") {
        return;
    }
    let t = tempdir();
    let rootfs = umoci_rootfs(t.path(), &layers);
    assert_eq!(times(&rootfs), want, "umoci");
}

/// A file that is not a tar, and a target that is a file: one line saying
/// so, without quoting the file's bytes.
#[test]
fn not_a_tar_and_a_file_for_a_directory_are_said_plainly() {
    let t = tempdir();
    let text = t.path().join("notes.txt");
    let mut body = b"this is not a tar archive, only words; ".repeat(20);
    body.extend_from_slice(&[b'x'; 600]);
    fs::write(&text, &body).unwrap();
    let dir = t.path().join("d");
    fs::create_dir(&dir).unwrap();
    let err = fails_with(lade().arg("unpack-layer").arg(&text).arg(&dir), 3);
    assert!(
        err.contains("not a tar archive") && !err.contains("only words"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A directory it made goes again, and it says so, as unpack does.
    let new = t.path().join("new");
    let err = fails_with(lade().arg("unpack-layer").arg(&text).arg(&new), 3);
    assert!(
        err.ends_with(&format!("{} is removed\n", new.display())),
        "{err}"
    );
    assert!(!new.exists());
    let file = t.path().join("f");
    fs::write(&file, b"").unwrap();
    let layer = t.path().join("l.tar");
    fs::write(&layer, tar().file("a", b"a").done()).unwrap();
    let err = fails_with(lade().arg("unpack-layer").arg(&layer).arg(&file), 3);
    assert!(err.contains("not a directory"), "{err}");
}

/// An unpack that fails takes back the directory it made (a bundle's
/// rootfs, in a directory that was there), so it can be run again; into
/// a directory that was there, it stops where it got to and says so.
#[test]
fn a_failed_unpack_takes_back_what_it_made() {
    let t = tempdir();
    let layout = t.path().join("l");
    ok(lade().args([
        "copy",
        "-q",
        &format!(
            "docker-archive:{}",
            fixture("docker-save/tiny-docker26.tar").display()
        ),
        &format!("oci:{}:img", layout.display()),
    ]));
    let src = format!("oci:{}:img", layout.display());
    let raw = json(&ok(lade().args(["inspect", "--raw", &src])));
    let last = raw["layers"].as_array().unwrap().last().unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let path = layout.join("blobs/sha256").join(&last[7..]);
    let mut data = fs::read(&path).unwrap();
    let n = data.len();
    data[n - 600] ^= 0xff;
    fs::remove_file(&path).unwrap();
    fs::write(&path, data).unwrap();
    let unpack = |extra: &[&str], dir: &Path| {
        fails_with(
            lade().args(["unpack", "-q"]).args(extra).arg(&src).arg(dir),
            3,
        )
    };
    // a new directory (and its new parent): gone
    let out = t.path().join("new/out");
    let err = unpack(&[], &out);
    assert!(err.contains(&last) && err.contains("is removed"), "{err}");
    assert!(!out.exists());
    // a directory that was there: kept, as far as the unpack got
    let keep = t.path().join("keep");
    fs::create_dir(&keep).unwrap();
    let err = unpack(&[], &keep);
    assert!(err.contains("is incomplete"), "{err}");
    assert!(keep.join("etc").exists() || fs::read_dir(&keep).unwrap().count() > 0);
    // a bundle: a new directory goes whole; in one that was there, the
    // rootfs goes (and no config.json is written)
    let b = t.path().join("bundle");
    unpack(&["--bundle"], &b);
    assert!(!b.exists());
    fs::create_dir(&b).unwrap();
    unpack(&["--bundle"], &b);
    assert_eq!(fs::read_dir(&b).unwrap().count(), 0);
    // unpack-layer into a new directory: the same
    let ul = t.path().join("ul");
    fails_with(lade().arg("unpack-layer").arg(&path).arg(&ul), 3);
    assert!(!ul.exists());
}

/// A layer cut short by --command-timeout: into a directory that was
/// there, the one error line says that it is incomplete (unpack-layer,
/// from a pipe that stalls half-way); a failure says so too.
#[test]
fn an_unpack_cut_short_says_the_directory_is_incomplete() {
    let t = tempdir();
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("big.bin"), vec![7u8; 4 << 20]).unwrap();
    let layer = t.path().join("layer.tar");
    ok(Command::new("tar")
        .arg("-cf")
        .arg(&layer)
        .arg("-C")
        .arg(&src)
        .arg("big.bin"));
    let dir = t.path().join("there");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("keep"), b"k").unwrap();
    let out = run(Command::new("bash").arg("-c").arg(format!(
        "(head -c 1000000 {}; sleep 3) | {} --command-timeout 1s unpack-layer - {}",
        layer.display(),
        env!("CARGO_BIN_EXE_lade"),
        dir.display()
    )));
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("ran out of time")
            && err.contains(&format!("{} is incomplete", dir.display())),
        "{err}"
    );
    assert_eq!(fs::read(dir.join("keep")).unwrap(), b"k");
    // An ordinary failure (the input ends half-way) says it too.
    let half = t.path().join("half.tar");
    fs::write(&half, &fs::read(&layer).unwrap()[..1_000_000]).unwrap();
    let err = fails_with(lade().arg("unpack-layer").arg(&half).arg(&dir), 3);
    assert!(
        err.contains(&format!("{} is incomplete", dir.display())),
        "{err}"
    );
    // into a new directory, nothing is said to be left: it is gone
    let new = t.path().join("new");
    let err = fails_with(lade().arg("unpack-layer").arg(&half).arg(&new), 3);
    assert!(!err.contains("incomplete") && !new.exists(), "{err}");
}

/// Messages name what is wrong in words: a file that is no tar, a root
/// entry that is not a directory.
#[test]
fn bad_layers_are_named_in_words() {
    let t = tempdir();
    let notar = t.path().join("notar");
    fs::write(&notar, b"not a tar at all").unwrap();
    let err = fails_with(
        lade()
            .arg("unpack-layer")
            .arg(&notar)
            .arg(t.path().join("a")),
        3,
    );
    assert!(err.contains("not a tar archive"), "{err}");
    let root = t.path().join("root.tar");
    fs::write(&root, tar().file(".", b"x").done()).unwrap();
    let err = fails_with(
        lade()
            .arg("unpack-layer")
            .arg(&root)
            .arg(t.path().join("b")),
        3,
    );
    assert!(err.contains("cannot become a regular file"), "{err}");
}

/// umoci 0.4 writes layers whose tar stream stops right after the last
/// file's data (no padding, no end blocks); Go's reader, and so umoci,
/// Docker and containerd, take them. So does lade: unpack, unpack-layer
/// and hash-object of a layer umoci made, against umoci's own unpack.
#[test]
fn layers_umoci_wrote_without_end_blocks_unpack() {
    if !require_tool("umoci") {
        return;
    }
    let t = tempdir();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("b")).unwrap();
    fs::write(src.join("b/b.txt"), b"world\n").unwrap();
    fs::write(src.join("b/c.txt"), vec![b'c'; 700]).unwrap();
    let layout = t.path().join("base");
    let image = format!("{}:b", layout.display());
    ok(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    ok(Command::new("umoci").args(["new", "--image", &image]));
    ok(Command::new("umoci")
        .args(["insert", "--image", &image])
        .arg(src.join("b"))
        .arg("/b"));
    let theirs = t.path().join("theirs");
    ok(Command::new("umoci")
        .args(["unpack", "--image", &image])
        .arg(&theirs));
    let ours = t.path().join("ours");
    ok(lade()
        .args(["unpack", "-q"])
        .arg(format!("oci:{image}"))
        .arg(&ours));
    assert_same_tree(&tree(&ours), &tree(&theirs.join("rootfs")), "umoci's layer");
    assert_eq!(fs::read(ours.join("b/b.txt")).unwrap(), b"world\n");
    // The plumbing reads the layer too.
    let manifest = json(&ok(lade()
        .args(["inspect", "--raw"])
        .arg(format!("oci:{image}"))));
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let one = t.path().join("one");
    ok(lade()
        .arg("--store")
        .arg(&layout)
        .args(["unpack-layer", &layer])
        .arg(&one));
    assert_eq!(fs::read(one.join("b/c.txt")).unwrap(), vec![b'c'; 700]);
    let blob = layout.join("blobs/sha256").join(&layer[7..]);
    let out = ok_str(
        lade()
            .args([
                "hash-object",
                "-t",
                "application/vnd.oci.image.layer.v1.tar+gzip",
            ])
            .arg(&blob),
    );
    assert_eq!(out.trim(), layer);
}

/// A layer whose uncompressed bytes are not what the config's diff_id
/// says is refused (exit 3), the error naming the diff_id as such, not as
/// a blob; nothing is left.
#[test]
fn a_layer_not_matching_its_diff_id_is_refused() {
    let t = tempdir();
    let dir = t.path().join("layout");
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |b: &[u8]| -> String {
        let h = hex::encode(Sha256::digest(b));
        fs::write(blobs.join(&h), b).unwrap();
        format!("sha256:{h}")
    };
    let mut tb = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(3);
    h.set_mode(0o644);
    h.set_cksum();
    tb.append_data(&mut h, "a.txt", &b"abc"[..]).unwrap();
    let plain = tb.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let wrong = format!("sha256:{}", hex::encode(Sha256::digest(b"other bytes")));
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [wrong]},
    })
    .to_string();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(config.as_bytes()), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": put(&gz), "size": gz.len()}],
    })
    .to_string();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": put(manifest.as_bytes()), "size": manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": "x"},
    }]})
    .to_string();
    fs::write(dir.join("index.json"), index).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let out = t.path().join("out");
    let err = fails_with(
        lade()
            .args(["unpack", "-q"])
            .arg(format!("oci:{}:x", dir.display()))
            .arg(&out),
        3,
    );
    assert!(
        err.contains(&format!(
            "uncompressed layer (diff_id) {wrong}: content hashes to"
        )),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!out.exists());
}

/// AUFS bookkeeping at a layer's root (`.wh..wh.plnk/`, `.wh..wh.aufs`,
/// `.wh..wh.orph/`), which old AUFS-made layers carry, is not left in the
/// root filesystem, as Docker leaves it out; files hard-linked to what
/// `.wh..wh.plnk/` holds (how AUFS kept hard links) keep their data.
#[test]
fn aufs_metadata_is_not_left_in_the_root() {
    let a = Arena::new();
    let codes = a.apply(&[
        tar()
            .dir(".wh..wh.plnk", 0o700)
            .file(".wh..wh.plnk/260.1234", b"link target")
            .file(".wh..wh.aufs", b"")
            .dir(".wh..wh.orph", 0o700)
            .dir("etc", 0o755)
            .file("etc/hostname", b"h")
            .dir("usr", 0o755)
            .hardlink("usr/tool", ".wh..wh.plnk/260.1234")
            .hardlink("usr/tool2", ".wh..wh.plnk/260.1234")
            .done(),
        // and a later layer's the same
        tar()
            .dir(".wh..wh.plnk", 0o700)
            .file(".wh..wh.plnk/7.8", b"second")
            .hardlink("usr/other", ".wh..wh.plnk/7.8")
            .done(),
    ]);
    assert_eq!(codes, [0, 0]);
    let t = tree(&a.root());
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "etc",
            "etc/hostname",
            "usr",
            "usr/other",
            "usr/tool",
            "usr/tool2"
        ]
    );
    let root = a.root();
    assert_eq!(fs::read(root.join("usr/tool")).unwrap(), b"link target");
    assert_eq!(fs::read(root.join("usr/tool2")).unwrap(), b"link target");
    assert_eq!(fs::read(root.join("usr/other")).unwrap(), b"second");
}

/// A GNU sparse entry is unpacked with its holes; one whose holes are
/// beyond reason (an exabyte declared in 2 KB) is refused at once, in one
/// line, and the target made for it goes (it was read as zeros, forever).
#[test]
fn sparse_entries_unpack_and_a_sparse_bomb_is_refused_at_once() {
    let a = Arena::new();
    let data = vec![b'x'; 512];
    let ok = tar()
        .gnu_sparse("s", 1 << 20, &[(0, &data), ((1 << 20) - 512, &data)])
        .done();
    assert_eq!(a.apply(&[ok]), [0]);
    let got = fs::read(a.root().join("s")).unwrap();
    assert_eq!(got.len(), 1 << 20);
    assert!(got[..512].iter().all(|&b| b == b'x'));
    assert!(got[512..(1 << 20) - 512].iter().all(|&b| b == 0));
    assert!(got[(1 << 20) - 512..].iter().all(|&b| b == b'x'));

    let a = Arena::new();
    let bomb = tar()
        .gnu_sparse("bomb", (1 << 60) + 512, &[(1 << 60, &data)])
        .done();
    let f = a.base.join("bomb.tar");
    fs::write(&f, &bomb).unwrap();
    let target = a.base.join("new");
    let t0 = std::time::Instant::now();
    let err = fails_with(lade().arg("unpack-layer").arg(&f).arg(&target), 3);
    assert!(t0.elapsed() < std::time::Duration::from_secs(20), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("entry \"bomb\"") && err.contains("sparse"),
        "{err}"
    );
    assert!(!target.exists());
}

/// Whiteouts under directories that are not there change nothing and
/// keep nothing: 100,000 of them, each under its own 250-deep path,
/// stream in bounded memory and time (each once made a bookkeeping node
/// per directory on its way: 1 GB).
#[test]
fn whiteouts_under_missing_directories_stream_in_bounded_memory() {
    if !require_tool("python3") {
        return;
    }
    let a = Arena::new();
    let deep = "a/".repeat(250);
    let path = a.base.join("wh.tar.gz");
    {
        let f = fs::File::create(&path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        for i in 0..100_000 {
            let one = tar()
                .gnu_long(tar::EntryType::GNULongName, &format!("p{i}/{deep}.wh.x"))
                .file("x", b"");
            gz.write_all(&one.out).unwrap();
        }
        gz.write_all(&[0u8; 1024]).unwrap();
        gz.finish().unwrap();
    }
    let t0 = std::time::Instant::now();
    let (code, rss_kib, stderr) =
        lade_peak_rss(&["unpack-layer".as_ref(), path.as_ref(), a.root().as_ref()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
    assert!(t0.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(fs::read_dir(a.root()).unwrap().count(), 0);
}

/// A file a layer writes through a symlink it made (`s -> real`, `s/y`)
/// is that layer's where it lands (`real/y`): a marker of the same layer
/// for `real`, opaque or whiteout, keeps it and hides the lower names
/// (the OCI image spec; umoci gives the same).
#[test]
fn a_marker_spares_what_its_layer_wrote_through_a_symlink() {
    let lower = || tar().dir("real", 0o755).file("real/x", b"lower").done();
    for marker in ["real/.wh..wh..opq", ".wh.real"] {
        let a = Arena::new();
        let upper = tar()
            .symlink("s", "real")
            .file("s/y", b"mine")
            .file(marker, b"")
            .done();
        assert_eq!(a.apply(&[lower(), upper]), [0, 0], "{marker}");
        let t = tree(&a.root());
        let names: Vec<&str> = t.keys().map(String::as_str).collect();
        assert_eq!(names, ["real", "real/y", "s"], "{marker}");
        assert_eq!(fs::read(a.root().join("real/y")).unwrap(), b"mine");
    }
}

/// An artifact's blob (text, a chart) listed as a layer is no filesystem:
/// refused before anything is written, naming the layer and its type, as
/// umoci refuses it. The same tar typed as a layer unpacks.
#[test]
fn a_blob_that_is_no_layer_type_is_refused_before_anything_is_written() {
    let t = tempdir();
    let dir = t.path().join("art");
    let tar = tar().file("notes.txt", b"hello\n").done();
    write_oci_layout(&dir, &[tar]);
    ok(lade()
        .args(["unpack", "-q", &format!("oci:{}:x", dir.display())])
        .arg(t.path().join("as-layer")));
    assert_eq!(
        fs::read(t.path().join("as-layer/notes.txt")).unwrap(),
        b"hello\n"
    );
    // The manifest's layer retyped text/plain, under a new digest.
    let index_path = dir.join("index.json");
    let mut index = json(&fs::read(&index_path).unwrap());
    let blob = |d: &str| dir.join("blobs/sha256").join(&d[7..]);
    let mut manifest =
        json(&fs::read(blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap());
    manifest["layers"][0]["mediaType"] = "text/plain".into();
    let bytes = manifest.to_string().into_bytes();
    let digest = format!("sha256:{}", sha256_hex(&bytes));
    fs::write(blob(&digest), &bytes).unwrap();
    index["manifests"][0]["digest"] = digest.into();
    index["manifests"][0]["size"] = bytes.len().into();
    fs::write(&index_path, index.to_string()).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();

    let out = t.path().join("nest/out");
    let e = fails_with(
        lade()
            .args(["unpack", "-q", &format!("oci:{}:x", dir.display())])
            .arg(&out),
        3,
    );
    assert!(
        e.contains(&format!(
            "layer 1 of 1 ({layer}) is text/plain, not a filesystem layer"
        )),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(!t.path().join("nest").exists());
    if require_tool("umoci") {
        let umoci = run(Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:x", dir.display()))
            .arg(t.path().join("umoci")));
        assert!(!umoci.status.success(), "umoci took it: {umoci:?}");
    }
}

/// A layer's root entry (`./`) gives the root its time, set once the
/// layer's other entries are in, as GNU tar (and umoci) set it.
#[test]
fn the_root_entry_gives_the_root_its_time() {
    if !require_tool("tar") {
        return;
    }
    let t = tempdir();
    let layer = tar()
        .dir("./", 0o755)
        .file("./a", b"a")
        .dir("./d", 0o755)
        .done();
    let f = t.path().join("layer.tar");
    fs::write(&f, &layer).unwrap();
    let ours = t.path().join("ours");
    ok(lade().arg("unpack-layer").arg(&f).arg(&ours));
    let theirs = t.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    ok(Command::new("tar")
        .arg("-xf")
        .arg(&f)
        .arg("-C")
        .arg(&theirs));
    let mtime = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(p).unwrap().mtime()
    };
    assert_eq!(mtime(&theirs), 1_600_000_000);
    assert_eq!(mtime(&ours), mtime(&theirs));
    assert_eq!(mtime(&ours.join("d")), mtime(&theirs.join("d")));
}

/// Layers the tar crate would read otherwise than Go's archive/tar
/// (Docker, containerd, umoci) and GNU tar do are refused, so one
/// verified layer never holds different files for different tools: a
/// PAX `size`, `path` or `linkpath` given twice (the tar crate takes the
/// first, they the last: an entry hidden in another's data), an entry of
/// a type no data follows (link, directory, device, FIFO) claiming data
/// (they read none: an entry hidden as its data), and a lone zero block
/// with entries after it (Go refuses it; the tar crate stops there).
#[test]
fn layers_tools_read_differently_are_refused() {
    let a = Arena::new();
    // Hidden inside `cover`'s data as the second PAX size says.
    let hidden = tar().exec("smuggled", b"#!/bin/sh\n").out;
    assert_eq!(hidden.len(), 1024);
    let cases = [
        (
            tar()
                .pax(&[("size", "0"), ("size", "1024")])
                .file("cover", &[])
                .raw(&hidden)
                .file("after", b"ok")
                .done(),
            "a PAX header giving size twice",
        ),
        (
            tar()
                .pax(&[("path", "first"), ("path", "second")])
                .file("x", b"x")
                .done(),
            "a PAX header giving path twice",
        ),
        (
            tar()
                .pax(&[("linkpath", "t1"), ("linkpath", "t2")])
                .symlink("sym", "t0")
                .done(),
            "a PAX header giving linkpath twice",
        ),
        (
            tar().sized(tar::EntryType::Symlink, "sym", &hidden).done(),
            "a symbolic link with a size of 1024 bytes",
        ),
        (
            tar().sized(tar::EntryType::Directory, "d", &hidden).done(),
            "a directory with a size of 1024 bytes",
        ),
        (
            tar().sized(tar::EntryType::Fifo, "p", &hidden).done(),
            "a FIFO with a size of 1024 bytes",
        ),
        (
            tar()
                .file("t", b"t")
                .sized(tar::EntryType::Link, "h", &hidden)
                .done(),
            "a hard link with a size of 1024 bytes",
        ),
        (
            tar()
                .file("a", b"a")
                .raw(&[0; 512])
                .file("after_lone_zero", b"z")
                .done(),
            "a lone zero block, with more of the archive after it",
        ),
    ];
    for (layer, says) in &cases {
        let err = a.refused(layer);
        assert!(err.contains(says), "{says}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!a.root().join("smuggled").exists());
    }
    assert_eq!(a.apply(&cases.map(|(l, _)| l)), [3; 8]);
    // What each tool agrees on still unpacks: one size, and a lone zero
    // block that ends the stream, or one before the second.
    let codes = a.apply(&[tar().pax(&[("size", "2")]).file("one", b"ok").done(), {
        let mut t = tar().file("end", b"e").out;
        t.extend([0; 512]);
        t
    }]);
    assert_eq!(codes, [0, 0]);
    assert!(a.root().join("one").exists() && a.root().join("end").exists());
}

/// Metadata GNU tar and umoci set that lade dropped or misread: xattrs of
/// a symlink (set on the link), a time before 1970 in GNU's base-256 form,
/// and a lower directory kept under an opaque marker for the new layer's
/// names in it, which is as one made for them (its mode, owner and xattrs
/// hidden), as under a whiteout.
#[test]
fn symlink_xattrs_old_times_and_directories_kept_under_an_opaque_marker() {
    let a = Arena::new();
    let mut neg = tar().file("neg", b"n").out;
    neg[136..148].copy_from_slice(&[
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0x18,
    ]);
    neg[148..156].fill(b' ');
    let sum: u32 = neg[..512].iter().map(|&b| u32::from(b)).sum();
    neg[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    neg.extend([0; 1024]);
    let root = rustix_uid() == 0;
    let codes = a.apply(&[
        tar()
            .file("target", b"t")
            .pax(&[("SCHILY.xattr.trusted.s", "sv")])
            .symlink("xs", "target")
            .pax(&[("uid", "7"), ("gid", "8"), ("SCHILY.xattr.user.lower", "L")])
            .dir("d/sub", 0o700)
            .file("d/sub/old", b"o")
            .done(),
        neg,
        tar()
            .file("d/.wh..wh..opq", b"")
            .file("d/sub/y", b"y")
            .done(),
    ]);
    assert_eq!(codes, [0, 0, 0]);
    let r = a.root();
    assert_eq!(fs::symlink_metadata(r.join("neg")).unwrap().mtime(), -1000);
    let sub = fs::symlink_metadata(r.join("d/sub")).unwrap();
    assert_eq!(sub.mode() & 0o7777, 0o755);
    assert!(xattr_names(&r.join("d/sub")).is_empty());
    assert!(!r.join("d/sub/old").exists() && r.join("d/sub/y").exists());
    if root {
        assert_eq!((sub.uid(), sub.gid()), (0, 0));
        let mut v = [0u8; 16];
        let n = rustix::fs::lgetxattr(r.join("xs"), "trusted.s", &mut v[..]).unwrap();
        assert_eq!(&v[..n], b"sv");
    }
}

// ------------------------------------------- divergences from Go's reader

/// Set the checksum of the header block at `at` in `t` to its *signed*
/// byte sum (bytes of 0x80 and more counted negative), as old writers
/// summing `char`s wrote it.
fn sign_checksum(t: &mut [u8], at: usize) {
    let h = &mut t[at..at + 512];
    h[148..156].fill(b' ');
    let sum: i64 = h.iter().map(|&b| i64::from(b as i8)).sum();
    assert!(
        h.iter().any(|&b| b >= 0x80),
        "signed and unsigned sums differ"
    );
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// A header whose checksum is its signed byte sum (a name byte ≥ 0x80,
/// an old writer) is read, as GNU tar and Go's archive/tar (Docker,
/// umoci) read it; lade refused the layer ("archive header checksum
/// mismatch"). Only headers are mended: a file whose data holds such a
/// header block keeps its bytes.
#[test]
fn a_header_checksummed_with_signed_bytes_is_read_as_go_reads_it() {
    let a = Arena::new();
    // A tar block as a file's data: a header with a signed checksum.
    let mut inner = tar().file("caf\u{e9}", b"inner").out;
    sign_checksum(&mut inner, 0);
    let mut t = tar().file("caf\u{e9}", b"coffee").out;
    sign_checksum(&mut t, 0);
    let at = t.len();
    let mut t = tar().raw(&t).dir("d\u{f8}r", 0o750).out;
    sign_checksum(&mut t, at);
    let t = tar()
        .raw(&t)
        .file("d\u{f8}r/inner.tar", &inner)
        .file("plain", b"p")
        .done();
    assert_eq!(a.apply(std::slice::from_ref(&t)), [0]);
    let r = a.root();
    assert_eq!(fs::read(r.join("caf\u{e9}")).unwrap(), b"coffee");
    assert_eq!(fs::read(r.join("d\u{f8}r/inner.tar")).unwrap(), inner);
    assert_eq!(
        fs::metadata(r.join("d\u{f8}r")).unwrap().mode() & 0o7777,
        0o750
    );
    // A checksum that is neither sum is still refused.
    let mut bad = tar().file("x\u{e9}", b"x").out;
    sign_checksum(&mut bad, 0);
    bad[148] += 1;
    let bad = tar().raw(&bad).done();
    let b = Arena::new();
    assert_eq!(b.apply(&[bad]), [3]);
    assert!(!b.root().join("x\u{e9}").exists());
    umoci_agrees(&r, &[t]);
}

/// A GNU long name or link name (types L, K) padded with NULs ends at
/// the first, as Go reads it (Docker, umoci); lade refused the name ("NUL
/// in name"). An empty one (all NULs) names nothing: the header's name
/// stands, as in Go. A PAX path holding a NUL is refused, as Go refuses it.
#[test]
fn gnu_long_names_padded_with_nuls_end_at_the_first() {
    let a = Arena::new();
    let padded = |t: RawTar, kind: tar::EntryType, name: &str, pad: usize| {
        let mut data = name.as_bytes().to_vec();
        data.extend(std::iter::repeat_n(0u8, pad));
        let mut t = t;
        t.header(b"././@LongLink", kind, b"", &data, 0o644);
        t
    };
    let long = format!("{}/file", "d".repeat(120));
    let mut t = padded(tar(), tar::EntryType::GNULongName, &long, 7);
    t = t.file("short", b"long");
    t = padded(t, tar::EntryType::GNULongName, "named", 3);
    t = padded(t, tar::EntryType::GNULongLink, &long, 20);
    t = t.symlink("sl", "t");
    t = padded(t, tar::EntryType::GNULongName, "", 5);
    t = t.file("headers-own", b"own");
    t = padded(t, tar::EntryType::GNULongName, "hl", 2);
    t = padded(t, tar::EntryType::GNULongLink, "headers-own", 9);
    t = t.hardlink("x", "y");
    let t = t.done();
    assert_eq!(a.apply(std::slice::from_ref(&t)), [0]);
    let r = a.root();
    assert_eq!(fs::read(r.join(&long)).unwrap(), b"long");
    assert_eq!(fs::read_link(r.join("named")).unwrap(), Path::new(&long));
    assert_eq!(fs::read(r.join("headers-own")).unwrap(), b"own");
    assert_eq!(
        fs::metadata(r.join("hl")).unwrap().ino(),
        fs::metadata(r.join("headers-own")).unwrap().ino()
    );
    let nul_path = tar().pax(&[("path", "a\0b")]).file("p", b"x").done();
    let b = Arena::new();
    assert_eq!(b.apply(std::slice::from_ref(&nul_path)), [3]);
    let err = b.refused(&nul_path);
    assert!(
        err.contains("a PAX path record holding a NUL byte"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let Some((d, _)) = umoci_agrees(&r, &[t]) else {
        return;
    };
    // umoci refuses the PAX path with a NUL too.
    let (out, _) = umoci_unpack(d.path(), "nul", &[nul_path]);
    assert!(!out.status.success(), "{out:?}");
}

/// A whiteout or an opaque marker under a regular file (or a symlink to
/// one) has nothing to hide: it is passed over, the file kept, as umoci
/// does (Docker passes over the opaque marker and refuses the layer for
/// the whiteout). lade refused the layer for both.
#[test]
fn markers_under_a_file_are_passed_over() {
    let a = Arena::new();
    let lower = tar()
        .file("f", b"file")
        .file("g", b"gile")
        .symlink("s", "f")
        .done();
    let upper = tar()
        .file("f/.wh.x", b"")
        .file("g/.wh..wh..opq", b"")
        .file("s/.wh.y", b"")
        .file("s/sub/.wh..wh..opq", b"")
        .file("f/deep/.wh.z", b"")
        .file("after", b"a")
        .done();
    assert_eq!(a.apply(&[lower.clone(), upper.clone()]), [0, 0]);
    let r = a.root();
    assert_eq!(fs::read(r.join("f")).unwrap(), b"file");
    assert_eq!(fs::read(r.join("g")).unwrap(), b"gile");
    assert_eq!(fs::read(r.join("after")).unwrap(), b"a");
    if !require_tool("umoci") {
        return;
    }
    let d = tempdir();
    let rootfs = umoci_rootfs(d.path(), &[lower, upper]);
    assert_same_tree(&tree(&r), &tree(&rootfs), "umoci");
}

/// A marker in a directory no lower layer made has nothing to hide and
/// makes nothing, as umoci does (Docker and Podman make the directory).
/// lade made it for an opaque marker (not for a whiteout): one rule now.
#[test]
fn a_marker_in_a_missing_directory_makes_nothing_as_umoci() {
    let a = Arena::new();
    let lower = tar().file("f", b"f").done();
    let upper = tar()
        .file("nodir/.wh.x", b"")
        .file("a/b/.wh..wh..opq", b"")
        .file("a/c/d/.wh..wh..opq", b"")
        .done();
    assert_eq!(a.apply(&[lower.clone(), upper.clone()]), [0, 0]);
    let r = a.root();
    let names: Vec<_> = tree(&r).into_keys().collect();
    assert_eq!(names, ["f"]);
    if !require_tool("umoci") {
        return;
    }
    let d = tempdir();
    let rootfs = umoci_rootfs(d.path(), &[lower, upper]);
    assert_same_tree(&tree(&r), &tree(&rootfs), "umoci");
}

/// STAR headers (Jörg Schilling's star: a USTAR magic, a `tar\0` trailer
/// at byte 508, a 131-byte prefix, then an atime and a ctime) and USTAR
/// headers with another version than "00" are read as Go reads them
/// (Docker, umoci). lade read a prefix filling its 131 bytes with the
/// atime's digits after it, and no prefix at all where the version was
/// not "00" (the file landed elsewhere). A STAR header whose times are no
/// numbers is refused, as Go refuses it.
#[test]
fn star_headers_and_ustar_versions_are_read_as_go_reads_them() {
    let a = Arena::new();
    let star = |t: RawTar, prefix: &[u8], name: &str, atime: &[u8]| {
        let mut t = t;
        let at = t.out.len();
        t.header(
            name.as_bytes(),
            tar::EntryType::Regular,
            b"",
            name.as_bytes(),
            0o644,
        );
        let h = &mut t.out[at..at + 512];
        h[345..345 + prefix.len()].copy_from_slice(prefix);
        h[476..476 + atime.len()].copy_from_slice(atime);
        h[488..500].copy_from_slice(b"14513062041\0");
        h[508..512].copy_from_slice(b"tar\0");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        t
    };
    let version = |t: RawTar, v: &[u8; 2], prefix: &[u8], name: &str| {
        let mut t = t;
        let at = t.out.len();
        t.header(
            name.as_bytes(),
            tar::EntryType::Regular,
            b"",
            name.as_bytes(),
            0o644,
        );
        let h = &mut t.out[at..at + 512];
        h[263..265].copy_from_slice(v);
        h[345..345 + prefix.len()].copy_from_slice(prefix);
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        t
    };
    let full = format!("{}q", "p".repeat(130));
    let mut t = star(tar(), b"dir/sub", "a", b"14513062040\0");
    t = star(t, full.as_bytes(), "b", b"14513062040\0");
    t = star(t, b"", "c", b"\0");
    t = version(t, b"\0\0", b"vdir", "d");
    t = version(t, b"  ", b"vdir2", "e");
    let t = t.done();
    assert_eq!(a.apply(std::slice::from_ref(&t)), [0]);
    let r = a.root();
    assert_eq!(fs::read(r.join("dir/sub/a")).unwrap(), b"a");
    assert_eq!(fs::read(r.join(format!("{full}/b"))).unwrap(), b"b");
    assert_eq!(fs::read(r.join("c")).unwrap(), b"c");
    assert_eq!(fs::read(r.join("vdir/d")).unwrap(), b"d");
    assert_eq!(fs::read(r.join("vdir2/e")).unwrap(), b"e");
    let bad = star(tar(), b"dir", "x", b"zzzzzzzzzzz\0").done();
    let b = Arena::new();
    let err = b.refused(&bad);
    assert!(err.contains("a STAR header"), "{err}");
    assert!(!b.root().join("dir").exists());
    let Some((d, _)) = umoci_agrees(&r, &[t]) else {
        return;
    };
    let (out, _) = umoci_unpack(d.path(), "bad", &[bad]);
    assert!(!out.status.success(), "{out:?}");
}

/// A PAX uid or gid below 0 or beyond 32 bits is refused with one line
/// naming it. Go reads any 64-bit number there, and Docker and umoci
/// hand it to chown, which keeps the low 32 bits: uid -1 leaves the
/// unpacking user, 4294967296 is root. A layer showing a scanner one
/// owner and giving the file another, root among them, is not unpacked.
#[test]
fn pax_ids_below_zero_or_beyond_32_bits_are_refused_naming_them() {
    let cases = [
        (("uid", "-1"), "uid -1, which is no uid"),
        (("uid", "4294967296"), "uid 4294967296, which is no uid"),
        (("gid", "4294967297"), "gid 4294967297, which is no gid"),
        (("uid", "x1"), "a PAX uid that is no number (\"x1\")"),
    ];
    for ((k, v), want) in cases {
        let a = Arena::new();
        let layer = tar().pax(&[(k, v)]).file("f", b"x").done();
        assert_eq!(a.apply(std::slice::from_ref(&layer)), [3]);
        let err = a.refused(&layer);
        assert!(err.contains(want), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!a.root().join("f").exists());
    }
    if !require_tool("umoci") {
        return;
    }
    // Why: umoci gives uid 4294967296 to root.
    let d = tempdir();
    let layer = tar().pax(&[("uid", "4294967296")]).file("f", b"x").done();
    let rootfs = umoci_rootfs(d.path(), &[layer]);
    assert_eq!(fs::metadata(rootfs.join("f")).unwrap().uid(), 0);
}

/// A hard link entry's own mode, owner and time are not applied: the
/// link shares its target's inode, which keeps what its own entry gave
/// it, as umoci and GNU tar do. (Docker 20.10 applies them to the shared
/// inode, changing the target too: a link entry could make a lower
/// layer's file setuid. Kept as umoci.)
#[test]
fn a_hard_link_entry_leaves_its_targets_metadata_as_umoci() {
    let a = Arena::new();
    let mut t = tar().file("f", b"data").out;
    // f: 0644 0:0 at 1600000000; the link entry says 4755 7:8 at 1.
    let at = t.len();
    let mut t2 = tar().raw(&t).hardlink("h", "f").out;
    {
        let mut h = tar::Header::new_ustar();
        h.as_mut_bytes().copy_from_slice(&t2[at..at + 512]);
        h.set_mode(0o4755);
        h.set_uid(7);
        h.set_gid(8);
        h.set_mtime(1);
        h.set_cksum();
        t2[at..at + 512].copy_from_slice(h.as_bytes());
    }
    t = t2;
    let t = tar().raw(&t).done();
    assert_eq!(a.apply(std::slice::from_ref(&t)), [0]);
    let r = a.root();
    let (f, h) = (
        fs::symlink_metadata(r.join("f")).unwrap(),
        fs::symlink_metadata(r.join("h")).unwrap(),
    );
    assert_eq!(f.ino(), h.ino());
    assert_eq!(f.mode() & 0o7777, 0o644);
    assert_eq!(f.mtime(), 1_600_000_000);
    if rustix_uid() == 0 {
        assert_eq!((f.uid(), f.gid()), (0, 0));
    }
    let Some((_d, rootfs)) = umoci_agrees(&r, &[t]) else {
        return;
    };
    assert_eq!(
        fs::metadata(rootfs.join("h")).unwrap().mtime(),
        1_600_000_000
    );
}
