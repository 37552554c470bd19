//! Entry names: cleaning them into components, and telling whiteouts apart.
//!
//! A layer's names are relative to the root; an absolute name is too
//! (`/etc/x` is `etc/x`, as Docker, containerd and umoci take it). `.` and
//! empty components (`./a//b`) are dropped; `..` anywhere is refused, so a
//! cleaned name never climbs by itself. (Symlinks it meets on the way are
//! resolved inside the root by [`super::root`].)

use crate::error::{Error, Result};

/// The most components a name (or a symlink chain) may have; deeper is
/// refused rather than spending a file descriptor per level.
pub const MAX_DEPTH: usize = 256;

/// `.wh.` — a whiteout: `.wh.NAME` hides NAME of the layers below.
pub const WHITEOUT_PREFIX: &[u8] = b".wh.";
/// `.wh..wh..opq` — an opaque directory: everything the layers below had
/// in it is hidden.
pub const OPAQUE: &[u8] = b".wh..wh..opq";
/// `.wh..wh.` — AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`); ignored.
const AUFS_META: &[u8] = b".wh..wh.";

/// Split a tar name into its components (from the root, whether it
/// starts with `/` or not), refusing `..`.
pub fn components(name: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                return Err(Error::new(format!(
                    "{}: name with \"..\" refused",
                    show(name)
                )))
            }
            _ => {
                if c.contains(&0) {
                    return Err(Error::new(format!("{}: NUL in name", show(name))));
                }
                out.push(c)
            }
        }
    }
    if out.len() > MAX_DEPTH {
        // (Named by the caller: the name may be long.)
        return Err(Error::new(format!(
            "a name of {} components; at most {MAX_DEPTH} are taken",
            out.len()
        )));
    }
    Ok(out)
}

/// What a name's last component says about the entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Leaf<'a> {
    /// An ordinary name.
    Plain,
    /// `.wh.NAME`: remove NAME.
    Whiteout(&'a [u8]),
    /// `.wh..wh..opq`: empty the directory of what lower layers put there.
    Opaque,
    /// `.wh..wh.*` other than the opaque marker: AUFS bookkeeping, skipped.
    AufsMeta,
}

/// Classify a (cleaned) last component. Whiteouts of nothing (`.wh.`),
/// of `.` or of `..` are errors.
pub fn classify(leaf: &[u8]) -> Result<Leaf<'_>> {
    if leaf == OPAQUE {
        return Ok(Leaf::Opaque);
    }
    if leaf.starts_with(AUFS_META) {
        return Ok(Leaf::AufsMeta);
    }
    match leaf.strip_prefix(WHITEOUT_PREFIX) {
        None => Ok(Leaf::Plain),
        Some(b"") | Some(b".") | Some(b"..") => {
            Err(Error::new(format!("{}: invalid whiteout", show(leaf))))
        }
        Some(name) => Ok(Leaf::Whiteout(name)),
    }
}

/// Is a (cleaned) name AUFS bookkeeping: at the root, `.wh..wh.plnk`,
/// `.wh..wh.aufs`, `.wh..wh.orph` or anything in them? Old AUFS-made
/// layers carry them; Docker leaves them out of the root filesystem.
pub fn aufs_meta(comps: &[&[u8]]) -> bool {
    comps
        .first()
        .is_some_and(|c| c.starts_with(AUFS_META) && *c != OPAQUE)
}

/// A name for messages: quoted, and cut after [`SHOWN`] bytes (a layer's
/// names may be up to a MiB long).
pub fn show(name: &[u8]) -> String {
    if name.len() <= SHOWN {
        return format!("{:?}", String::from_utf8_lossy(name));
    }
    format!(
        "{:?}… ({} bytes)",
        String::from_utf8_lossy(&name[..SHOWN]),
        name.len()
    )
}

/// The most of a name [`show`] prints.
const SHOWN: usize = 256;

/// Join components into a path (for messages and bookkeeping).
pub fn join(comps: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(comps.iter().map(|c| c.len() + 1).sum());
    for (i, c) in comps.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_in_messages() {
        assert_eq!(show(b"a/b"), "\"a/b\"");
        let long = vec![b'n'; 100_000];
        let shown = show(&long);
        assert!(shown.len() < 300, "{}", shown.len());
        assert!(shown.ends_with("… (100000 bytes)"), "{shown}");
    }

    #[test]
    fn cleans_and_refuses() {
        assert_eq!(
            components(b"./a//b/./c/").unwrap(),
            vec![&b"a"[..], b"b", b"c"]
        );
        assert!(components(b"./").unwrap().is_empty());
        assert!(components(b"").unwrap().is_empty());
        assert_eq!(
            components(b"/etc/passwd").unwrap(),
            vec![&b"etc"[..], b"passwd"]
        );
        assert!(components(b"a/../../etc").is_err());
        assert!(components(b"..").is_err());
        assert!(components(b"a/..").is_err());
        assert!(components(b"a..b/..c").is_ok());
        let deep = "a/".repeat(MAX_DEPTH + 1);
        assert!(components(deep.as_bytes()).is_err());
    }

    #[test]
    fn whiteouts() {
        assert_eq!(classify(b"x").unwrap(), Leaf::Plain);
        assert_eq!(classify(b".wh.x").unwrap(), Leaf::Whiteout(b"x"));
        assert_eq!(classify(b".wh..x").unwrap(), Leaf::Whiteout(b".x"));
        assert_eq!(classify(b".wh..wh..opq").unwrap(), Leaf::Opaque);
        assert_eq!(classify(b".wh..wh.plnk").unwrap(), Leaf::AufsMeta);
        assert!(aufs_meta(&components(b".wh..wh.plnk/123.456").unwrap()));
        assert!(aufs_meta(&components(b"./.wh..wh.orph/").unwrap()));
        assert!(!aufs_meta(&components(b".wh..wh..opq").unwrap()));
        assert!(!aufs_meta(&components(b"etc/.wh..wh.plnk").unwrap()));
        assert!(classify(b".wh.").is_err());
        assert!(classify(b".wh..").is_err());
        assert!(classify(b".wh...").is_err());
    }
}
