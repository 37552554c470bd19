//! Tar extension headers (PAX, GNU long names) are held in memory whole
//! by the tar parser: a small gzip stream can declare a huge one. Every
//! reader of tars refuses such a header before reading it, and memory
//! stays small.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Peak RSS (VmHWM, KiB) of `cmd` while it runs, sampled; and its output.
fn peak_rss(cmd: &mut Command) -> (u64, std::process::Output) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if let Ok(s) = fs::read_to_string(&status) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(120), "{cmd:?} runs on");
        std::thread::sleep(Duration::from_millis(2));
    }
    (peak, child.wait_with_output().unwrap())
}

/// A gzip tar whose first member is an extension header of type `kind`
/// declaring (and holding) `size` bytes, then a file, as `path`.
fn bomb(path: &Path, kind: u8, size: u64) {
    let mut h = tar::Header::new_ustar();
    h.set_path("ext").unwrap();
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    let hdr = path.with_extension("hdr");
    fs::write(&hdr, h.as_bytes()).unwrap();
    let fill = if kind == b'x' { "a" } else { "n" };
    // The data, then padding and two zero blocks of end (`size` is a
    // multiple of 512 here).
    assert_eq!(size % 512, 0);
    let inner = format!(
        "cat {hdr}; head -c {size} /dev/zero | tr '\\0' '{fill}'; head -c 1024 /dev/zero",
        hdr = hdr.display()
    );
    let script = format!("({inner}) | gzip -1 > {}", path.display());
    ok(Command::new("bash").arg("-c").arg(script));
}

#[test]
fn huge_extension_headers_are_refused_in_small_memory() {
    let t = tempdir();
    const SIZE: u64 = 256 << 20;
    for (kind, what) in [(b'x', "PAX extended header"), (b'L', "GNU long name")] {
        let gz = t.path().join(format!("bomb-{}.tar.gz", kind as char));
        bomb(&gz, kind, SIZE);
        assert!(fs::metadata(&gz).unwrap().len() < 2 << 20, "a small file");
        let out = t.path().join(format!("out-{}", kind as char));
        let cases: Vec<Vec<String>> = vec![
            vec![
                "unpack-layer".into(),
                gz.display().to_string(),
                out.display().to_string(),
            ],
            vec![
                "hash-object".into(),
                "-t".into(),
                "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                gz.display().to_string(),
            ],
            vec!["inspect".into(), format!("docker-archive:{}", gz.display())],
            vec!["inspect".into(), format!("oci-archive:{}", gz.display())],
        ];
        for args in cases {
            let mut c = lade();
            c.args(&args).env("TMPDIR", t.path());
            let (peak, o) = peak_rss(&mut c);
            let e = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(3), "{args:?}: {e}");
            assert!(
                e.contains(what) && e.contains("268435456 bytes"),
                "{args:?}: {e}"
            );
            assert_eq!(e.trim().lines().count(), 1, "{args:?}: {e}");
            assert!(peak < 100 << 10, "{args:?}: peak RSS {peak} KiB");
        }
        // Nothing unpacked, no temp file left.
        assert!(fs::read_dir(&out).map_or(true, |mut d| d.next().is_none()));
    }
    let left: Vec<_> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("bomb-") && !n.starts_with("out-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A tar of a file `a`, an extension header of type `kind` holding
/// `data` under the 8 bytes of `magic`, then the file `x`.
fn extension_then_file(kind: u8, data: &[u8], magic: &[u8; 8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data) in [
        ("a", b'0', &b"a"[..]),
        ("ext", kind, data),
        ("x", b'0', b"x"),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if name == "ext" {
            h.as_mut_bytes()[257..265].copy_from_slice(magic);
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend([0u8; 1024]);
    out
}

/// Every reader of tars refuses the extension headers that other tools
/// read otherwise (see tests/unpack.rs): in an archive, a member named
/// one way by lade and another by skopeo or docker could be another image.
#[test]
fn extension_headers_tools_read_otherwise_are_refused_by_every_reader() {
    let t = tempdir();
    let posix = b"ustar\x0000";
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "no-magic",
            extension_then_file(b'x', b"19 path=index.json\n", &[0; 8]),
            "a PAX extended header without a POSIX or GNU magic",
        ),
        (
            "other-version",
            extension_then_file(b'L', b"index.json\0", b"ustar\0\0\0"),
            "a GNU long name without a POSIX or GNU magic",
        ),
        (
            "newline",
            extension_then_file(b'x', b"32 comment=c\n19 path=index.json\n", posix),
            "a PAX comment record holding a newline",
        ),
        (
            "malformed",
            extension_then_file(b'x', b"20 path=index.json\n", posix),
            "a malformed PAX record",
        ),
    ];
    for (name, bytes, what) in cases {
        let f = t.path().join(format!("{name}.tar"));
        fs::write(&f, bytes).unwrap();
        let out = t.path().join(format!("out-{name}"));
        for args in [
            vec![
                "unpack-layer".to_string(),
                f.display().to_string(),
                out.display().to_string(),
            ],
            vec![
                "hash-object".into(),
                "-t".into(),
                "application/vnd.oci.image.layer.v1.tar".into(),
                f.display().to_string(),
            ],
            vec!["inspect".into(), format!("docker-archive:{}", f.display())],
            vec!["inspect".into(), format!("oci-archive:{}", f.display())],
        ] {
            let e = fails_with(lade().args(&args), 3);
            assert!(e.contains(what), "{name} {args:?}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{name} {args:?}: {e}");
        }
        assert!(!out.exists(), "{name}");
    }
}
