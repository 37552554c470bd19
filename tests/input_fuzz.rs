//! A bounded randomized run over hostile image input, through the lade
//! binary as users run it: the fixture `docker save` archives and an
//! oci-archive made from one, with bits flipped, cut short, garbled or
//! overwritten; and an OCI layout whose index.json, manifest or config is
//! mutated in structure (types changed, keys dropped, odd values), with
//! digests kept right so the parsers see it. Every run must end in
//! success or one clean error line (exit 1 or 3; never a panic, a signal
//! or a hang), leave no destination behind when it fails, and leave an
//! `oci:` destination that fsck finds whole when it succeeds. Inputs come
//! from a fixed seed (LADE_FUZZ_SEED), so a failure reproduces; the run
//! lasts LADE_FUZZ_SECS seconds (default 15).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{fixture, lade, ok, tempdir};
use serde_json::{json, Value};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn settings() -> (u64, Duration) {
    let var = |k: &str| std::env::var(k).ok().and_then(|s| s.parse().ok());
    (
        var("LADE_FUZZ_SEED").unwrap_or(0x2545_F491_4F6C_DD1D),
        Duration::from_secs(var("LADE_FUZZ_SECS").unwrap_or(15)),
    )
}

/// Run lade; check the outcome is success or one clean error, and that a
/// failed write left no `dest`.
fn check(args: &[String], dest: Option<&Path>, what: &str) -> bool {
    let mut c = lade();
    c.args(args);
    let o = common::run(&mut c);
    let err = String::from_utf8_lossy(&o.stderr);
    let code = o.status.code();
    assert!(
        matches!(code, Some(0 | 1 | 3)),
        "{what}: {args:?} ended with {:?}: {err}",
        o.status
    );
    // A negative answer is for a name the input lacks; damage (a part the
    // input lists and lacks) is exit 3.
    if code == Some(1) {
        assert!(
            err.contains("no image named") || err.contains("holds no image"),
            "{what}: {args:?} exit 1 for: {err}"
        );
    }
    if code != Some(0) {
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("lade: error: ") && !err.contains("panicked"),
            "{what}: {args:?}: {err}"
        );
        if let Some(d) = dest {
            assert!(!d.exists(), "{what}: {args:?} failed and left {d:?}: {err}");
        }
    }
    code == Some(0)
}

/// The writes each input goes through: inspect, then copies into a new
/// `oci:` layout (fsck'd when made) and a new `dir:`.
fn exercise(src: &str, out: &Path, what: &str) {
    check(&["inspect".into(), src.into()], None, what);
    let lay = out.join("lay");
    if check(
        &[
            "copy".into(),
            "-q".into(),
            src.into(),
            format!("oci:{}:x", lay.display()),
        ],
        Some(&lay),
        what,
    ) {
        let mut c = lade();
        c.args(["fsck", "--store"]).arg(&lay);
        assert!(common::run(&mut c).status.success(), "{what}: fsck");
    }
    let dir = out.join("dir");
    check(
        &[
            "copy".into(),
            "-q".into(),
            src.into(),
            format!("dir:{}", dir.display()),
        ],
        Some(&dir),
        what,
    );
    let _ = fs::remove_dir_all(&lay);
    let _ = fs::remove_dir_all(&dir);
}

fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>) {
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let p = rng.below(data.len());
                data[p] ^= 1 << rng.below(8);
            }
        }
        1 => {
            let keep = rng.below(data.len());
            data.truncate(keep);
        }
        2 => {
            for _ in 0..1 + rng.below(4) {
                let p = rng.below(data.len());
                let set = b"{}[]\",:0123456789aZ\\/.-";
                if data[p].is_ascii_graphic() {
                    data[p] = set[rng.below(set.len())];
                }
            }
        }
        _ => {
            let p = rng.below(data.len());
            let n = (1 + rng.below(512)).min(data.len() - p);
            for b in &mut data[p..p + n] {
                *b = rng.next() as u8;
            }
        }
    }
}

#[test]
fn mutated_archives_end_cleanly() {
    let (seed, secs) = settings();
    let mut rng = Rng(seed);
    let t = tempdir();
    let mut inputs: Vec<(String, Vec<u8>)> = [
        "tiny-docker20.tar",
        "tiny-docker26.tar",
        "tiny2-docker26.tar",
    ]
    .iter()
    .map(|f| {
        let p = fixture(&format!("docker-save/{f}"));
        ("docker-archive:".to_string(), fs::read(p).unwrap())
    })
    .collect();
    let oa = t.path().join("base-oci.tar");
    ok(lade().args([
        "copy".to_string(),
        "-q".into(),
        format!(
            "docker-archive:{}",
            fixture("docker-save/tiny-docker26.tar").display()
        ),
        format!("oci-archive:{}:x", oa.display()),
    ]));
    inputs.push(("oci-archive:".into(), fs::read(&oa).unwrap()));
    let out = t.path().join("out");
    fs::create_dir(&out).unwrap();
    let end = Instant::now() + secs / 2;
    let mut runs = 0;
    while Instant::now() < end || runs < 20 {
        let (transport, base) = &inputs[rng.below(inputs.len())];
        let mut data = base.clone();
        mutate_bytes(&mut rng, &mut data);
        let f = t.path().join("in.tar");
        fs::write(&f, &data).unwrap();
        // (the two-image archive needs its image named; a name the
        // mutation removed is a negative answer)
        let name = match base.len() > 40_000 && transport.starts_with("docker") {
            true => ":@0",
            false => "",
        };
        exercise(
            &format!("{transport}{}{name}", f.display()),
            &out,
            &format!("archive run {runs}"),
        );
        runs += 1;
    }
    eprintln!("{runs} mutated archives, each ended cleanly");
    assert!(fs::read_dir(&out).unwrap().next().is_none(), "left in out/");
}

/// A JSON value with one random change somewhere inside.
fn mutate_json(rng: &mut Rng, v: &mut Value) {
    let odd = |rng: &mut Rng| -> Value {
        let all = [
            Value::Null,
            json!(true),
            json!(-1),
            json!(0),
            json!(u64::MAX),
            json!(1.5),
            json!(""),
            json!("sha256:"),
            json!(format!("sha256:{}", "0".repeat(64))),
            json!("sha256:../../../etc/passwd"),
            json!("../x"),
            json!("a\nb\u{0}"),
            json!("A".repeat(5000)),
            json!({}),
            json!([]),
        ];
        all[rng.below(all.len())].clone()
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            let k = m.keys().nth(rng.below(m.len())).unwrap().clone();
            match rng.below(4) {
                0 => {
                    m.remove(&k);
                }
                1 => {
                    m.insert(k, odd(rng));
                }
                _ => mutate_json(rng, m.get_mut(&k).unwrap()),
            }
        }
        Value::Array(a) if !a.is_empty() => match rng.below(4) {
            0 => {
                a.remove(rng.below(a.len()));
            }
            1 => {
                let i = rng.below(a.len());
                a.push(a[i].clone());
            }
            _ => {
                let i = rng.below(a.len());
                mutate_json(rng, &mut a[i]);
            }
        },
        _ => *v = odd(rng),
    }
}

fn put(root: &Path, bytes: &[u8]) -> String {
    let d = lade::model::Digest::of_bytes(bytes);
    fs::write(root.join("blobs/sha256").join(d.hex()), bytes).unwrap();
    d.to_string()
}

#[test]
fn mutated_layout_json_ends_cleanly() {
    let (seed, secs) = settings();
    let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let t = tempdir();
    let base = t.path().join("base");
    ok(lade().args([
        "copy".to_string(),
        "-q".into(),
        format!(
            "docker-archive:{}:@0",
            fixture("docker-save/tiny2-docker26.tar").display()
        ),
        format!("oci:{}:x", base.display()),
    ]));
    let read = |p: &Path| -> Value { serde_json::from_slice(&fs::read(p).unwrap()).unwrap() };
    let out = t.path().join("out");
    fs::create_dir(&out).unwrap();
    let end = Instant::now() + secs / 2;
    let mut runs = 0;
    while Instant::now() < end || runs < 20 {
        let root = t.path().join("l");
        let _ = fs::remove_dir_all(&root);
        let cp = Command::new("cp").arg("-r").arg(&base).arg(&root).status();
        assert!(cp.unwrap().success());
        let mut index = read(&root.join("index.json"));
        let top = index["manifests"][0]["digest"].as_str().unwrap()[7..].to_string();
        let mut manifest = read(&root.join("blobs/sha256").join(&top));
        let what = rng.below(3);
        if what == 1 {
            let cfg = manifest["config"]["digest"].as_str().unwrap()[7..].to_string();
            let mut config = read(&root.join("blobs/sha256").join(cfg));
            mutate_json(&mut rng, &mut config);
            let bytes = serde_json::to_vec(&config).unwrap();
            manifest["config"]["digest"] = json!(put(&root, &bytes));
            manifest["config"]["size"] = json!(bytes.len());
        } else if what == 0 {
            mutate_json(&mut rng, &mut manifest);
        }
        if what < 2 {
            let bytes = serde_json::to_vec(&manifest).unwrap();
            index["manifests"][0]["digest"] = json!(put(&root, &bytes));
            index["manifests"][0]["size"] = json!(bytes.len());
        } else {
            mutate_json(&mut rng, &mut index);
        }
        fs::write(root.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
        exercise(
            &format!("oci:{}:x", root.display()),
            &out,
            &format!("layout run {runs}"),
        );
        runs += 1;
    }
    eprintln!("{runs} mutated layouts, each ended cleanly");
    assert!(fs::read_dir(&out).unwrap().next().is_none(), "left in out/");
}
