//! Support for fuzzing layer application (the `cargo fuzz` target in
//! fuzz/ and the bounded randomized test in tests/unpack_fuzz.rs): turn
//! arbitrary bytes into hostile layers, apply them in a scratch root, and
//! check that a sentinel directory beside the root is untouched.
//!
//! The bytes drive a small generator rather than being taken as a tar:
//! names and link targets come from a dictionary full of the usual tricks
//! (`..`, absolute paths, whiteouts, symlinks pointing at the sentinel),
//! so the fuzzer spends its time on semantics, not on tar checksums. One
//! mode also flips bytes of the generated tar, for the parser.

use std::fs;
use std::io::Cursor;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::{unpack_layer, ApplyOptions, Root};

struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn pick<'b>(&mut self, from: &[&'b str]) -> &'b str {
        from[self.byte() as usize % from.len()]
    }
}

const COMPONENTS: &[&str] = &[
    "a",
    "b",
    "le",
    "d",
    "f",
    ".",
    "..",
    "",
    ".wh.a",
    ".wh.le",
    ".wh.b",
    ".wh..wh..opq",
    ".wh.",
    ".wh..",
    "SENT",
    "sentinel",
    "file",
    "dir",
    "x",
];

const TARGETS: &[&str] = &[
    "SENT",
    "SENT/file",
    "SENT/dir",
    "../sentinel",
    "../../sentinel/file",
    "../../../../sentinel/dir",
    "/",
    "..",
    ".",
    "a",
    "le",
    "le/file",
    "a/../..",
    "d/x",
    "f",
];

/// A scratch directory holding `root/` (the target) and `sentinel/`.
pub struct Arena {
    pub base: PathBuf,
}

impl Arena {
    /// Make the arena under `base` (which must exist and be empty).
    pub fn new(base: &Path) -> Arena {
        let s = base.join("sentinel");
        fs::create_dir_all(s.join("dir/sub")).unwrap();
        fs::write(s.join("file"), b"sentinel\n").unwrap();
        fs::write(s.join("dir/sub/f"), b"deep\n").unwrap();
        let _ = std::os::unix::fs::symlink("file", s.join("link"));
        fs::create_dir_all(base.join("root")).unwrap();
        Arena {
            base: base.to_path_buf(),
        }
    }

    pub fn root(&self) -> PathBuf {
        self.base.join("root")
    }

    fn sentinel(&self) -> PathBuf {
        self.base.join("sentinel")
    }

    /// Everything about the sentinel (times, inodes, link counts, bytes)
    /// and the names in the arena.
    pub fn snapshot(&self) -> Vec<String> {
        fn walk(dir: &Path, out: &mut Vec<String>) {
            let mut ents: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
            ents.sort_by_key(|e| e.file_name());
            for e in ents {
                let p = e.path();
                let m = fs::symlink_metadata(&p).unwrap();
                let extra = if m.is_file() {
                    hex::encode(Sha256::digest(fs::read(&p).unwrap()))
                } else if m.file_type().is_symlink() {
                    fs::read_link(&p).unwrap().display().to_string()
                } else {
                    String::new()
                };
                out.push(format!(
                    "{} {:o} {}:{} {} {}.{} {}.{} ino={} nlink={} {extra}",
                    p.display(),
                    m.mode(),
                    m.uid(),
                    m.gid(),
                    m.len(),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.ctime(),
                    m.ctime_nsec(),
                    m.ino(),
                    m.nlink()
                ));
                if m.is_dir() {
                    walk(&p, out);
                }
            }
        }
        let mut out = Vec::new();
        let m = fs::symlink_metadata(self.sentinel()).unwrap();
        out.push(format!(
            "sentinel {:o} {}.{} {}",
            m.mode(),
            m.mtime(),
            m.mtime_nsec(),
            m.nlink()
        ));
        walk(&self.sentinel(), &mut out);
        let mut names: Vec<String> = fs::read_dir(&self.base)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        out.push(format!("arena: {names:?}"));
        out
    }

    /// Empty the root for the next input (never following links).
    pub fn reset(&self) {
        let r = self.root();
        if fs::symlink_metadata(&r).is_ok() {
            // make everything removable first (modes from the layers)
            fn open_up(p: &Path) {
                if let Ok(m) = fs::symlink_metadata(p) {
                    if m.is_dir() {
                        let _ = fs::set_permissions(
                            p,
                            std::os::unix::fs::PermissionsExt::from_mode(0o700),
                        );
                        if let Ok(rd) = fs::read_dir(p) {
                            for e in rd.flatten() {
                                open_up(&e.path());
                            }
                        }
                    }
                }
            }
            open_up(&r);
            fs::remove_dir_all(&r).unwrap();
        }
        fs::create_dir(&r).unwrap();
    }

    /// Apply the layers `data` describes; panic if the sentinel changed.
    /// Errors from the layers themselves are expected and ignored.
    pub fn check(&self, data: &[u8]) {
        let before = self.snapshot();
        let (layers, rootless) = layers_from_bytes(data, &self.sentinel().display().to_string());
        let opts = ApplyOptions { rootless };
        for l in layers {
            let mut root = Root::open(&self.root()).unwrap();
            let _ = unpack_layer(&mut root, Box::new(Cursor::new(l)), &opts);
        }
        let after = self.snapshot();
        assert_eq!(before, after, "the sentinel changed for input {data:?}");
        self.reset();
    }
}

/// Turn bytes into one or more layers (tar streams, some gzip'd), and
/// whether to apply them rootless. `sentinel` is substituted for `SENT`.
pub fn layers_from_bytes(data: &[u8], sentinel: &str) -> (Vec<Vec<u8>>, bool) {
    let mut b = Bytes { data, pos: 0 };
    let flags = b.byte();
    let rootless = flags & 1 != 0;
    let gzip = flags & 2 != 0;
    let corrupt = flags & 4 != 0;
    let sent = sentinel.trim_start_matches('/');
    let fix = |s: &str| s.replace("SENT", sent);
    let mut layers = Vec::new();
    let mut cur = Vec::new();
    let mut ops = 0;
    while !b.done() && ops < 64 {
        ops += 1;
        let op = b.byte() % 12;
        let name = {
            let n = 1 + b.byte() % 4;
            let mut parts: Vec<String> = (0..n).map(|_| fix(b.pick(COMPONENTS))).collect();
            match b.byte() % 8 {
                0 => parts.insert(0, String::new()), // leading "/"
                1 => parts.insert(0, ".".into()),
                _ => {}
            }
            parts.join("/")
        };
        let target = {
            let t = b.pick(TARGETS);
            if t.starts_with("SENT") {
                format!("/{}", fix(t))
            } else {
                t.to_string()
            }
        };
        let mode = u32::from(b.byte()) << 4 | u32::from(b.byte() & 0xf);
        let data_len = (b.byte() % 4) as usize * 300;
        match op {
            0 | 1 => header(&mut cur, &name, b'0', "", &vec![b'x'; data_len], mode),
            2 | 3 => header(&mut cur, &name, b'5', "", &[], mode),
            4 | 5 => header(&mut cur, &name, b'2', &target, &[], mode),
            6 => header(&mut cur, &name, b'1', &target, &[], mode),
            7 => header(&mut cur, &name, b'6', "", &[], mode),
            8 => {
                // PAX path/linkpath, then an entry with a harmless name
                let key = if b.byte() & 1 == 0 {
                    "path"
                } else {
                    "linkpath"
                };
                pax(&mut cur, &[(key, &name)]);
                let kind = [b'0', b'1', b'2', b'5'][b.byte() as usize % 4];
                header(&mut cur, "ok", kind, &target, &[], mode);
            }
            9 => {
                // GNU long name then an entry
                let mut d = name.as_bytes().to_vec();
                d.push(0);
                header(&mut cur, "././@LongLink", b'L', "", &d, 0o644);
                let kind = [b'0', b'2', b'5'][b.byte() as usize % 3];
                header(&mut cur, "ok", kind, &target, &[], mode);
            }
            10 => header(&mut cur, &name, b'3', "", &[], mode), // char device (0,0)
            _ => {
                cur.extend(std::iter::repeat_n(0u8, 1024));
                layers.push(std::mem::take(&mut cur));
            }
        }
    }
    cur.extend(std::iter::repeat_n(0u8, 1024));
    layers.push(cur);
    if corrupt {
        for l in layers.iter_mut() {
            for _ in 0..(b.byte() % 4) {
                if l.is_empty() {
                    break;
                }
                let at = (usize::from(b.byte()) << 8 | usize::from(b.byte())) % l.len();
                l[at] ^= b.byte() | 1;
            }
        }
    }
    if gzip {
        for l in layers.iter_mut() {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(l).unwrap();
            *l = gz.finish().unwrap();
        }
    }
    (layers, rootless)
}

fn header(out: &mut Vec<u8>, name: &str, kind: u8, link: &str, data: &[u8], mode: u32) {
    let mut h = tar::Header::new_ustar();
    {
        let old = h.as_old_mut();
        let n = name.len().min(100);
        old.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        let l = link.len().min(100);
        old.linkname[..l].copy_from_slice(&link.as_bytes()[..l]);
    }
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(data.len() as u64);
    h.set_mode(mode & 0o7777);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_600_000_000);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.extend(std::iter::repeat_n(0u8, (512 - data.len() % 512) % 512));
}

fn pax(out: &mut Vec<u8>, records: &[(&str, &str)]) {
    let mut data = Vec::new();
    for (k, v) in records {
        let body = format!(" {k}={v}\n");
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        data.extend_from_slice(format!("{len}{body}").as_bytes());
    }
    header(out, "././@PaxHeader", b'x', "", &data, 0o644);
}
