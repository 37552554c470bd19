//! `lade sync --src docker|dir|yaml --dest docker|dir`: the form mirroring
//! scripts use, with skopeo sync run on the same sources as the oracle
//! (where it has the feature: skopeo 1.9 has no --append-suffix,
//! --digestfile or images-by-semver, whose results are checked against
//! the tags expected).

mod common;
mod regsrv;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use regsrv::*;
use support::*;

/// Repositories pushed straight to `reg` (plain HTTP, not by lade):
/// NS/alpha with 1.0 1.1 1.2.0-rc1 2.0 latest, NS/team/beta with v1 v2.
/// Returns (repo, tag) → manifest digest.
fn populate(reg: &str, ns: &str, dir: &Path) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for (repo, tags) in [
        ("alpha", &["1.0", "1.1", "1.2.0-rc1", "2.0", "latest"][..]),
        ("team/beta", &["v1", "v2"][..]),
    ] {
        let repo = format!("{ns}/{repo}");
        for t in tags {
            let d = image(dir, "amd64", &format!("{repo}:{t}"), false, 4096);
            push_layout(reg, dir, &repo, t, &d);
            out.insert(
                (repo.clone(), t.to_string()),
                d["digest"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

/// Tag → manifest digest of every tag of `repo` (HOST/PATH), read by skopeo.
fn tags_of(repo: &str, creds: &[&str]) -> BTreeMap<String, String> {
    let list = ok(Command::new("skopeo")
        .args(["list-tags", "--tls-verify=false"])
        .args(creds)
        .arg(format!("docker://{repo}")));
    let tags: Vec<String> = serde_json::from_slice::<serde_json::Value>(&list).unwrap()["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    tags.into_iter()
        .map(|t| {
            let raw = ok(Command::new("skopeo")
                .args(["inspect", "--raw", "--tls-verify=false"])
                .args(creds)
                .arg(format!("docker://{repo}:{t}")));
            (t, sha256(&raw))
        })
        .collect()
}

/// skopeo sync of the YAML file `y` into the registry prefix `dest`.
fn skopeo_yaml_sync(y: &str, dest: &str) {
    ok(Command::new("skopeo").args([
        "sync",
        "--src",
        "yaml",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
        y,
        dest,
    ]));
}

fn yaml_sync() -> Command {
    let mut c = lade();
    c.args([
        "sync",
        "--src",
        "yaml",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
    ]);
    c
}

#[test]
fn yaml_source_into_a_registry_as_skopeo_does_then_nothing_moves() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let ns = unique("ym");
    let src = populate(&reg, &ns, &t.path().join("l"));
    let d = |r: &str, tag: &str| src[&(format!("{ns}/{r}"), tag.to_string())].clone();
    let latest = d("alpha", "latest");
    // alpha: 1.0 by tag, latest by digest (no tag at the destination), 1.1
    // by regex, 1.0 again by regex (one copy); beta: every tag.
    let yaml = t.path().join("sync.yml");
    fs::write(
        &yaml,
        format!(
            "{reg}:\n  tls-verify: false\n  images:\n    {ns}/alpha:\n      - \"1.0\"\n      - {latest}\n    \
             {ns}/team/beta: []\n  images-by-tag-regex:\n    {ns}/alpha: ^1\\.[01]$\n"
        ),
    )
    .unwrap();
    let y = yaml.to_str().unwrap();
    skopeo_yaml_sync(y, &format!("{reg}/{ns}-sk"));
    let digests = t.path().join("digests");
    let err = ok_stderr(yaml_sync().args([
        "--digestfile",
        digests.to_str().unwrap(),
        y,
        &format!("{reg}/{ns}-ld/"),
    ]));
    assert!(
        err.contains("5 images: 5 copied, 0 unchanged, 0 failed"),
        "{err}"
    );
    // Each line names where the image went.
    assert!(
        err.contains(&format!(
            "docker://{reg}/{ns}-ld/beta:v2: copied {}",
            d("team/beta", "v2")
        )),
        "{err}"
    );
    for repo in ["alpha", "beta"] {
        let sk = tags_of(&format!("{reg}/{ns}-sk/{repo}"), &[]);
        let ld = tags_of(&format!("{reg}/{ns}-ld/{repo}"), &[]);
        assert_eq!(ld, sk, "{repo}");
    }
    let alpha = tags_of(&format!("{reg}/{ns}-ld/alpha"), &[]);
    assert_eq!(alpha.keys().collect::<Vec<_>>(), ["1.0", "1.1"]);
    assert_eq!(alpha["1.1"], d("alpha", "1.1"));
    for side in ["sk", "ld"] {
        let path = format!("/v2/{ns}-{side}/alpha/manifests/{latest}");
        assert_eq!(
            registry_status(&reg, "HEAD", &path),
            200,
            "{side}: by digest"
        );
    }
    let lines: BTreeSet<String> = fs::read_to_string(&digests)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let want: BTreeSet<String> = [
        (d("alpha", "1.0"), "alpha:1.0".to_string()),
        (latest.clone(), format!("alpha@{latest}")),
        (d("alpha", "1.1"), "alpha:1.1".to_string()),
        (d("team/beta", "v1"), "beta:v1".to_string()),
        (d("team/beta", "v2"), "beta:v2".to_string()),
    ]
    .into_iter()
    .map(|(dg, n)| format!("{dg} docker://{reg}/{ns}-ld/{n}"))
    .collect();
    assert_eq!(lines, want);

    // Again: every image is found there; --dry-run lists nothing to copy.
    let err = ok_stderr(yaml_sync().args([y, &format!("{reg}/{ns}-ld")]));
    assert!(
        err.contains("5 images: 0 copied, 5 unchanged, 0 failed"),
        "{err}"
    );
    let out = ok_str(yaml_sync().args(["--dry-run", y, &format!("{reg}/{ns}-ld")]));
    assert_eq!(out, "");
    // Into a new place, --dry-run names each image and its digest.
    let out = ok_str(yaml_sync().args(["-n", y, &format!("{reg}/{ns}-new")]));
    assert!(
        out.lines()
            .any(|l| l == format!("docker://{reg}/{ns}-new/alpha:1.1\t{}", d("alpha", "1.1"))),
        "{out}"
    );
    assert_eq!(out.lines().count(), 5, "{out}");
    assert_eq!(
        registry_status(&reg, "GET", &format!("/v2/{ns}-new/alpha/tags/list")),
        404
    );
}

#[test]
fn semver_and_suffix_pick_and_name_tags() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let ns = unique("sv");
    let src = populate(&reg, &ns, &t.path().join("l"));
    let yaml = t.path().join("sync.yml");
    // >= 1.1 takes 1.1 and 2.0: not the pre-release 1.2.0-rc1, nor latest.
    fs::write(
        &yaml,
        format!("{reg}:\n  tls-verify: false\n  images-by-semver:\n    {ns}/alpha: \">= 1.1\"\n"),
    )
    .unwrap();
    let dest = format!("{reg}/{ns}-m");
    ok(yaml_sync().args(["--append-suffix=-mirror", yaml.to_str().unwrap(), &dest]));
    let got = tags_of(&format!("{dest}/alpha"), &[]);
    assert_eq!(got.keys().collect::<Vec<_>>(), ["1.1-mirror", "2.0-mirror"]);
    assert_eq!(
        got["2.0-mirror"],
        src[&(format!("{ns}/alpha"), "2.0".to_string())]
    );
    // A pre-release is taken when the constraint names one.
    fs::write(
        &yaml,
        format!("{reg}:\n  tls-verify: false\n  images-by-semver:\n    {ns}/alpha: \">= 1.2.0-0, < 2\"\n"),
    )
    .unwrap();
    ok(yaml_sync().args([yaml.to_str().unwrap(), &dest]));
    assert!(tags_of(&format!("{dest}/alpha"), &[]).contains_key("1.2.0-rc1"));
    // Regular expressions as other tools read them: (?i), \p{..} classes.
    fs::write(
        &yaml,
        format!(
            "{reg}:\n  tls-verify: false\n  images-by-tag-regex:\n    {ns}/team/beta: (?i)^V\\p{{N}}$\n"
        ),
    )
    .unwrap();
    ok(yaml_sync().args([yaml.to_str().unwrap(), &dest]));
    let got = tags_of(&format!("{dest}/beta"), &[]);
    assert_eq!(got.keys().collect::<Vec<_>>(), ["v1", "v2"]);
    // A suffix no tag can hold is refused before anything is listed.
    let err = fails_with(
        yaml_sync().args(["--append-suffix=/x", yaml.to_str().unwrap(), &dest]),
        2,
    );
    assert!(err.contains("--append-suffix \"/x\""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // One that leaves some tags too long fails those images, naming why.
    let long = format!("--append-suffix=-{}", "x".repeat(126));
    let err = fails_with(yaml_sync().args([&long, yaml.to_str().unwrap(), &dest]), 3);
    assert!(err.contains("is not a valid tag"), "{err}");
}

/// The dir: images under `root`: relative path → sha256 of manifest.json.
fn dir_tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, String>) {
        if d.join("manifest.json").is_file() {
            let rel = d.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.insert(rel, sha256(&fs::read(d.join("manifest.json")).unwrap()));
            return;
        }
        for e in fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(root, &e.path(), out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn registry_to_dir_tree_scoped_and_back_as_skopeo_does() {
    let Some(reg) = registry() else { return };
    if !require_tool("skopeo") {
        return;
    }
    let t = tempdir();
    let ns = unique("dt");
    let src = populate(&reg, &ns, &t.path().join("l"));
    let (sk, ld) = (t.path().join("sk"), t.path().join("ld"));
    let repo = format!("{reg}/{ns}/team/beta");
    for scoped in [false, true] {
        let mut s = Command::new("skopeo");
        s.args([
            "sync",
            "--src",
            "docker",
            "--dest",
            "dir",
            "--src-tls-verify=false",
        ]);
        let mut l = lade();
        l.args([
            "sync",
            "-s",
            "docker",
            "-d",
            "dir",
            "--src-tls-verify=false",
        ]);
        if scoped {
            s.arg("--scoped");
            l.arg("--scoped");
        }
        let sub = if scoped { "scoped" } else { "plain" };
        ok(s.args([&repo, sk.join(sub).to_str().unwrap()]));
        ok(l.args([&repo, ld.join(sub).to_str().unwrap()]));
        let (a, b) = (dir_tree(&sk.join(sub)), dir_tree(&ld.join(sub)));
        assert_eq!(b, a, "scoped={scoped}");
        let want = if scoped {
            format!("{reg}/{ns}/team/beta:v1")
        } else {
            "beta:v1".into()
        };
        assert_eq!(
            b.get(&want),
            Some(&src[&(format!("{ns}/team/beta"), "v1".into())]),
            "{b:?}"
        );
    }
    // A symbolic link inside the tree (a host's or a namespace's
    // directory pointing elsewhere) is refused, nothing written through it.
    for link_at in [reg.clone(), format!("{reg}/{ns}")] {
        let linked = t.path().join("linked");
        let away = t.path().join("away");
        let _ = std::fs::remove_dir_all(&linked);
        let _ = std::fs::remove_dir_all(&away);
        std::fs::create_dir_all(&away).unwrap();
        let at = linked.join(&link_at);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&away, &at).unwrap();
        let err = fails_with(
            lade().args([
                "sync",
                "--scoped",
                "-s",
                "docker",
                "-d",
                "dir",
                "--src-tls-verify=false",
                &repo,
                linked.to_str().unwrap(),
            ]),
            3,
        );
        assert!(
            err.contains("a symbolic link inside the sync tree"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(&away).unwrap().count(), 0, "{link_at}");
    }
    // One image by tag, as skopeo names it.
    ok(lade().args([
        "sync",
        "--src",
        "docker",
        "--dest",
        "dir",
        "--src-tls-verify=false",
        &format!("{repo}:v2"),
        ld.join("one").to_str().unwrap(),
    ]));
    assert_eq!(
        dir_tree(&ld.join("one")).keys().collect::<Vec<_>>(),
        ["beta:v2"]
    );

    // Back into a registry from the tree: each image under DEST by its
    // directory's last component.
    ok(Command::new("skopeo").args([
        "sync",
        "--src",
        "dir",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
        sk.join("scoped").to_str().unwrap(),
        &format!("{reg}/{ns}-back-sk"),
    ]));
    let err = ok_stderr(lade().args([
        "sync",
        "--src",
        "dir",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
        ld.join("scoped").to_str().unwrap(),
        &format!("{reg}/{ns}-back-ld"),
    ]));
    assert!(err.contains("2 images: 2 copied"), "{err}");
    assert_eq!(
        tags_of(&format!("{reg}/{ns}-back-ld/beta"), &[]),
        tags_of(&format!("{reg}/{ns}-back-sk/beta"), &[])
    );
    // SOURCE `.`, the image directory itself: named by the directory.
    ok(lade()
        .current_dir(ld.join("plain/beta:v1"))
        .args([
            "sync",
            "--src",
            "dir",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
            ".",
        ])
        .arg(format!("{reg}/{ns}-dot")));
    let got = tags_of(&format!("{reg}/{ns}-dot/beta"), &[]);
    assert_eq!(got.keys().collect::<Vec<_>>(), ["v1"]);
    // With a suffix, the tree's tags get it.
    ok(lade().args([
        "sync",
        "--src",
        "dir",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
        "--append-suffix",
        "-b",
        ld.join("plain").to_str().unwrap(),
        &format!("{reg}/{ns}-back-sfx"),
    ]));
    let got = tags_of(&format!("{reg}/{ns}-back-sfx/beta"), &[]);
    assert_eq!(got.keys().collect::<Vec<_>>(), ["v1-b", "v2-b"]);
    // A second run into the same tree finds everything there.
    let err = ok_stderr(lade().args([
        "sync",
        "--src",
        "docker",
        "--dest",
        "dir",
        "--src-tls-verify=false",
        &repo,
        ld.join("plain").to_str().unwrap(),
    ]));
    assert!(err.contains("2 images: 0 copied, 2 unchanged"), "{err}");
    // --tag-regex picks the tree's images by tag (or NAME:TAG), as it
    // picks a registry's.
    let picks = [
        ("^v2$", &["v2"][..]),
        ("beta:v1", &["v1"]),
        ("^nomatch$", &[]),
    ];
    for (i, (re, want)) in picks.into_iter().enumerate() {
        let to = format!("{reg}/{ns}-re{i}");
        let err = ok_stderr(lade().args([
            "sync",
            "--src",
            "dir",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
            "--tag-regex",
            re,
            ld.join("plain").to_str().unwrap(),
            &to,
        ]));
        assert!(
            err.contains(&format!("{} image", want.len())),
            "{re}: {err}"
        );
        if !want.is_empty() {
            let got = tags_of(&format!("{to}/beta"), &[]);
            assert_eq!(got.keys().collect::<Vec<_>>(), want, "{re}");
        }
    }
    // A damaged image in the tree (a blob gone, one replaced by other
    // bytes) is copied again, not found unchanged.
    let img = ld.join("plain/beta:v1");
    let mut blobs: Vec<_> = fs::read_dir(&img)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().len() == 64)
        .collect();
    blobs.sort_by_key(|p| std::cmp::Reverse(fs::metadata(p).unwrap().len()));
    fs::remove_file(&blobs[0]).unwrap();
    fs::remove_file(&blobs[1]).unwrap();
    fs::write(&blobs[1], b"garbage").unwrap();
    let err = ok_stderr(lade().args([
        "sync",
        "--src",
        "docker",
        "--dest",
        "dir",
        "--src-tls-verify=false",
        &repo,
        ld.join("plain").to_str().unwrap(),
    ]));
    assert!(err.contains("2 images: 1 copied, 1 unchanged"), "{err}");
    for b in &blobs[..2] {
        let name = b.file_name().unwrap().to_str().unwrap();
        assert_eq!(sha256_hex(&fs::read(b).unwrap()), name);
    }
}

#[test]
fn yaml_credentials_and_cert_dir_reach_a_tls_registry_with_htpasswd() {
    let Some(reg) = registry() else { return };
    if !require_tool("docker-registry")
        || !require_tool("htpasswd")
        || !require_tool("openssl")
        || !require_tool("skopeo")
    {
        return;
    }
    let t = tempdir();
    let (secure, cert_dir) = secure_registry(t.path());
    let ns = unique("sec");
    let layout = t.path().join("l");
    let d = image(&layout, "amd64", "secure", false, 2048);
    write_layout(&layout, &[("1", d.clone())]);
    let cd = cert_dir.to_str().unwrap();
    ok(Command::new("skopeo").args([
        "copy",
        "--dest-creds",
        "alice:s3cret",
        "--dest-cert-dir",
        cd,
        &format!("oci:{}:1", layout.display()),
        &format!("docker://{}/{ns}/app:1", secure.addr),
    ]));
    let yaml = t.path().join("sync.yml");
    let write = |creds: &str| {
        fs::write(
            &yaml,
            format!(
                "{}:\n{creds}  cert-dir: {cd}\n  images:\n    {ns}/app: []\n",
                secure.addr
            ),
        )
        .unwrap()
    };
    let y = yaml.to_str().unwrap();
    // Without credentials: refused, the error naming the registry.
    write("");
    let err = fails_with(yaml_sync().args([y, &format!("{reg}/{ns}-x")]), 3);
    assert!(err.contains("authentication required"), "{err}");
    assert!(err.contains(&secure.addr), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // A wrong password: refused; it is never printed.
    write("  credentials:\n    username: alice\n    password: wrong\n");
    let err = fails_with(yaml_sync().args([y, &format!("{reg}/{ns}-x")]), 3);
    assert!(err.contains("wrong username or password"), "{err}");
    assert!(!err.contains("wrong\""), "{err}");
    // The file's credentials and certificates: the image arrives, as it
    // does with skopeo from the same file.
    write("  credentials:\n    username: alice\n    password: s3cret\n");
    ok(yaml_sync().args([y, &format!("{reg}/{ns}-ld")]));
    skopeo_yaml_sync(y, &format!("{reg}/{ns}-sk"));
    let got = tags_of(&format!("{reg}/{ns}-ld/app"), &[]);
    assert_eq!(got, tags_of(&format!("{reg}/{ns}-sk/app"), &[]));
    assert_eq!(got["1"], d["digest"].as_str().unwrap());
}

#[test]
fn mistakes_refused_before_anything_is_written() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let ns = unique("mx");
    let src = populate(&reg, &ns, &t.path().join("l"));
    let yaml = t.path().join("sync.yml");
    let y = yaml.to_str().unwrap();
    let dest = format!("{reg}/{ns}-out");
    let nothing_written = || {
        assert_eq!(
            registry_status(&reg, "GET", &format!("/v2/{ns}-out/alpha/tags/list")),
            404
        );
    };
    // A misspelt key, named with its line.
    fs::write(
        &yaml,
        format!("{reg}:\n  tls-verify: false\n  imagez:\n    {ns}/alpha: []\n"),
    )
    .unwrap();
    let err = fails_with(yaml_sync().args([y, &dest]), 3);
    assert!(err.contains("line 3: unknown key \"imagez\""), "{err}");
    assert!(err.contains(y), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // Two repositories of one name from different places, unscoped.
    fs::write(
        &yaml,
        format!(
            "{reg}:\n  tls-verify: false\n  images:\n    {ns}/alpha: [\"1.0\"]\n    {ns}/x/alpha: [\"1.0\"]\n"
        ),
    )
    .unwrap();
    let err = fails_with(yaml_sync().args([y, &dest]), 3);
    assert!(err.contains("--scoped keeps them apart"), "{err}");
    nothing_written();
    // A repository that is not there: listed as failed, nothing copied
    // (without --keep-going); with it, the others are.
    fs::write(
        &yaml,
        format!("{reg}:\n  tls-verify: false\n  images:\n    {ns}/nope: []\n    {ns}/alpha: [\"1.0\"]\n"),
    )
    .unwrap();
    let err = fails_with(yaml_sync().args([y, &dest]), 1);
    assert!(err.contains(&format!("{ns}/nope")), "{err}");
    nothing_written();
    // Alone, with --keep-going: counted failed in a summary, exit 3, as
    // any failure under --keep-going (alone without it: exit 1, above);
    // the same from the command line.
    fs::write(
        &yaml,
        format!("{reg}:\n  tls-verify: false\n  images:\n    {ns}/nope: []\n"),
    )
    .unwrap();
    let err = fails_with(yaml_sync().args(["-k", y, &dest]), 3);
    assert!(
        err.contains("0 images: 0 copied, 0 unchanged, 0 failed; 1 source could not be listed"),
        "{err}"
    );
    let err = fails_with(yaml_sync().args([y, &dest]), 1);
    assert!(!err.contains("0 images"), "{err}");
    for kind in [&["--src", "docker", "--dest", "docker"][..], &[]] {
        let (from, to) = match kind {
            [] => (
                format!("docker://{reg}/{ns}/nope"),
                format!("docker://{dest}/nope"),
            ),
            _ => (format!("{reg}/{ns}/nope"), dest.clone()),
        };
        let err = fails_with(
            lade()
                .args([
                    "sync",
                    "-k",
                    "--src-tls-verify=false",
                    "--dest-tls-verify=false",
                ])
                .args(kind)
                .args([&from, &to]),
            3,
        );
        assert!(
            err.contains("0 images: 0 copied, 0 unchanged, 0 failed; 1 source could not be listed"),
            "{kind:?}: {err}"
        );
    }
    nothing_written();
    fs::write(
        &yaml,
        format!("{reg}:\n  tls-verify: false\n  images:\n    {ns}/nope: []\n    {ns}/alpha: [\"1.0\"]\n"),
    )
    .unwrap();
    // A plan says so too, and lists the others.
    let out = lade()
        .args([
            "sync",
            "--src",
            "yaml",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
            "-n",
            y,
            &dest,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("1 image: 1 to copy, 0 unchanged, 0 failed; 1 source could not be listed"),
        "{err}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "docker://{dest}/alpha:1.0\t{}\n",
            src[&(format!("{ns}/alpha"), "1.0".into())]
        )
    );
    nothing_written();
    // The digest file is replaced, and holds what was copied though the
    // sync failed.
    let digests = t.path().join("digests");
    fs::write(&digests, "stale\n").unwrap();
    let err = fails_with(
        yaml_sync().args([
            "--keep-going",
            "--digestfile",
            digests.to_str().unwrap(),
            y,
            &dest,
        ]),
        3,
    );
    // (The repository is no image: counted apart.)
    assert!(
        err.contains("1 image: 1 copied, 0 unchanged, 0 failed; 1 source could not be listed"),
        "{err}"
    );
    assert!(
        err.ends_with("lade: error: sync: 1 source could not be listed\n"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&digests).unwrap(),
        format!(
            "{} docker://{dest}/alpha:1.0\n",
            src[&(format!("{ns}/alpha"), "1.0".into())]
        )
    );
    let got = tags_of(&format!("{dest}/alpha"), &[]);
    assert_eq!(got["1.0"], src[&(format!("{ns}/alpha"), "1.0".into())]);
    // Usage errors: exit 2.
    for args in [
        &["sync", "--src", "yaml", y, "x"][..],
        &["sync", "--scoped", "docker://a/b", "docker://c/d"][..],
        &["sync", "--src", "tar", "--dest", "docker", y, "x"][..],
    ] {
        fails_with(lade().args(args), 2);
    }
    let tree = t.path().join("tree");
    fs::create_dir_all(tree.join("app:1")).unwrap();
    fs::write(tree.join("app:1/manifest.json"), "{}").unwrap();
    let err = fails_with(
        lade().args([
            "sync",
            "--src",
            "dir",
            "--dest",
            "dir",
            tree.to_str().unwrap(),
            "/tmp/x",
        ]),
        2,
    );
    assert!(err.contains("both ends are directories"), "{err}");
    let err = fails_with(
        lade().args([
            "sync",
            "--src",
            "dir",
            "--dest",
            "docker",
            t.path().join("l").to_str().unwrap(),
            &dest,
        ]),
        3,
    );
    assert!(err.contains("no dir: images in it"), "{err}");
}

/// A destination that refuses the credentials (or wants some where none
/// are given) would fail every image: it is said once, no image is tried,
/// with or without --keep-going, and nothing is written there.
#[test]
fn a_destination_refusing_the_credentials_is_said_once_and_no_image_is_tried() {
    if !require_tool("docker-registry") || !require_tool("htpasswd") || !require_tool("openssl") {
        return;
    }
    let t = tempdir();
    let (secure, cert_dir) = secure_registry(t.path());
    let layout = t.path().join("l");
    let d = image(&layout, "amd64", "refused", false, 2048);
    let tags = ["1", "2", "3", "4", "5", "6"];
    let named: Vec<(&str, serde_json::Value)> = tags.iter().map(|t| (*t, d.clone())).collect();
    write_layout(&layout, &named);
    let cd = cert_dir.to_str().unwrap();
    let src = format!("oci:{}", layout.display());
    let dest = format!("docker://{}/mirror", secure.addr);
    for (creds, why) in [
        (Some("alice:wrong"), "wrong username or password"),
        (None, "authentication required"),
    ] {
        for keep_going in [false, true] {
            let mut c = lade();
            c.args(["sync", "--dest-cert-dir", cd]);
            if let Some(creds) = creds {
                c.args(["--dest-creds", creds]);
            }
            if keep_going {
                c.arg("--keep-going");
            }
            let err = fails_with(c.args([&src, &dest]), 3);
            let said: Vec<&str> = err.lines().filter(|l| l.contains(why)).collect();
            assert_eq!(said.len(), 1, "{creds:?} -k {keep_going}: {err}");
            assert!(said[0].contains(&dest), "{err}");
            assert!(
                err.contains(
                    "6 images: 0 copied, 0 unchanged, 0 failed, 6 not tried; \
                     1 destination failed authentication"
                ),
                "{err}"
            );
            assert!(!err.contains("copying"), "no image tried: {err}");
            assert!(!err.contains("wrong\""), "{err}");
        }
    }
    // Nothing was written: the repository is not there.
    fails_with(
        lade().args([
            "list-tags",
            "--cert-dir",
            cd,
            "--creds",
            "alice:s3cret",
            &dest,
        ]),
        1,
    );
    // The right credentials: every image arrives.
    let err = ok_stderr(lade().args([
        "sync",
        "--dest-cert-dir",
        cd,
        "--dest-creds",
        "alice:s3cret",
        &src,
        &dest,
    ]));
    assert!(err.contains("6 images: 6 copied"), "{err}");
}

/// A YAML file naming many tags of a repository lists that repository
/// once in the run (lade listed it once for every tag named: 1000 tags,
/// 1000 listings), also when another key (images-by-tag-regex) names it
/// again; a tag named twice is one image. Counted in --debug's requests.
#[test]
fn yaml_tags_of_one_repository_list_it_once() {
    let Some(reg) = registry() else { return };
    let t = tempdir();
    let ns = unique("once");
    populate(&reg, &ns, &t.path().join("l"));
    let yaml = t.path().join("sync.yml");
    fs::write(
        &yaml,
        format!(
            "{reg}:\n  tls-verify: false\n  images:\n    {ns}/alpha: [\"1.0\", \"1.1\", \"2.0\", \"1.0\", \"2.0\"]\n    \
             {ns}/team/beta: [v1]\n  images-by-tag-regex:\n    {ns}/alpha: ^latest$\n"
        ),
    )
    .unwrap();
    let out = lade()
        .args(["--debug", "sync", "--src", "yaml", "--dest", "docker"])
        .args(["--dest-tls-verify=false", "-n"])
        .arg(&yaml)
        .arg(format!("{reg}/{ns}-out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let listings = |repo: &str| {
        err.lines()
            .filter(|l| {
                l.starts_with("lade: debug: GET ")
                    && l.contains(&format!("/v2/{ns}/{repo}/tags/list"))
            })
            .count()
    };
    assert_eq!(listings("alpha"), 1, "{err}");
    assert_eq!(listings("team/beta"), 1, "{err}");
    // 1.0 1.1 2.0 latest of alpha, v1 of beta: each once.
    let plan = String::from_utf8_lossy(&out.stdout);
    let mut names: Vec<&str> = plan
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    names.sort();
    let want: Vec<String> = [
        "alpha:1.0",
        "alpha:1.1",
        "alpha:2.0",
        "alpha:latest",
        "beta:v1",
    ]
    .iter()
    .map(|n| format!("docker://{reg}/{ns}-out/{n}"))
    .collect();
    assert_eq!(names, want, "{plan}");
}

/// A YAML `cert-dir` that is not there (or no directory) is refused
/// before anything is listed, naming the file, the registry and the line
/// (it was passed over, and the TLS error after it suggested --cert-dir);
/// an empty one is no cert-dir, as skopeo reads it.
#[test]
fn yaml_cert_dir_must_be_a_directory() {
    let t = tempdir();
    let yaml = t.path().join("sync.yml");
    let y = yaml.to_str().unwrap();
    let file = t.path().join("a-file");
    fs::write(&file, "").unwrap();
    let missing = t.path().join("missing");
    for (dir, why) in [(&missing, "does not exist"), (&file, "is not a directory")] {
        fs::write(
            &yaml,
            format!(
                "127.0.0.1:9:\n  images:\n    a: [\"1\"]\n  cert-dir: {}\n",
                dir.display()
            ),
        )
        .unwrap();
        let err = fails_with(
            lade().args([
                "sync",
                "--src",
                "yaml",
                "--dest",
                "docker",
                y,
                "127.0.0.1:9/x",
            ]),
            3,
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!(
                "{y}: registry \"127.0.0.1:9\": line 4: cert-dir \"{}\" {why}",
                dir.display()
            )),
            "{err}"
        );
    }
    // Empty: not set; the sync goes on to the registry (none there).
    fs::write(
        &yaml,
        "127.0.0.1:9:\n  images:\n    a: [\"1\"]\n  cert-dir: \"\"\n",
    )
    .unwrap();
    let out = run(lade().args([
        "sync",
        "--retry-times=0",
        "--src",
        "yaml",
        "--dest",
        "docker",
        y,
        "127.0.0.1:9/x",
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!err.contains("cert-dir"), "{err}");
    assert!(err.contains("127.0.0.1:9"), "{err}");
}
