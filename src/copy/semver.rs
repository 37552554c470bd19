//! Semantic-version constraints on tags: the `images-by-semver` filter of
//! a sync YAML file.
//!
//! The language is the one mirroring tools' YAML files already use:
//! comparisons (`=`, `!=`, `>`, `<`, `>=`, `<=`, also `=>`, `=<`), tilde
//! (`~1.2`: same minor; `~1`: same major), caret (`^1.2`: same major,
//! `^0.2`: same minor), wildcards (`1.2.x`, `2.*`, `*`), hyphen ranges
//! (`1.2 - 1.4.5`); comparisons joined by spaces or commas must all hold,
//! groups joined by `||` are alternatives. A version may be short (`3`,
//! `3.12`) and may start with `v`. Pre-releases (`3.12.0-rc1`; a tag like
//! `3.12-alpine` reads as one) match only a group that names a
//! pre-release itself. Tags that are no version (`latest`) never match.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};

/// A version, as read from a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    /// The pre-release, without its `-` ("" for a release).
    pre: String,
}

/// One version pattern: `v?N(.N)?(.N)?(-PRE)?(+META)?`, each N digits or
/// a wildcard (`x`, `X`, `*`). Groups: 1 major, 2 minor, 3 patch, 4 pre.
const PATTERN: &str = r"v?([0-9xX*]+)(?:\.([0-9xX*]+))?(?:\.([0-9xX*]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?";
/// The operators, longest last where a shorter one is its prefix: the
/// matcher tries them in order and takes the first that lets the whole
/// comparison match.
const OPS: &str = r"=|!=|>|<|>=|=>|<=|=<|~|~>|\^|";

fn re(cell: &'static OnceLock<Regex>, pattern: impl FnOnce() -> String) -> &'static Regex {
    cell.get_or_init(|| Regex::new(&pattern()).expect("semver pattern compiles"))
}

impl Version {
    /// A tag read as a version: `1`, `1.2`, `v1.2.3`, `1.2.3-rc.1+build`.
    pub fn parse(s: &str) -> Option<Version> {
        static V: OnceLock<Regex> = OnceLock::new();
        let v = re(&V, || format!("^{}$", PATTERN.replace("[0-9xX*]", "[0-9]")));
        let m = v.captures(s)?;
        let num = |i: usize| m.get(i).map_or(Some(0), |g| g.as_str().parse::<u64>().ok());
        let pre = m.get(4).map_or("", |g| g.as_str());
        if bad_pre(pre) {
            return None;
        }
        Some(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre: pre.to_string(),
        })
    }

    fn triple(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

/// A numeric pre-release part has no leading zero.
fn bad_pre(pre: &str) -> bool {
    pre.split('.')
        .any(|p| p.len() > 1 && p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()))
}

impl Ord for Version {
    fn cmp(&self, o: &Self) -> Ordering {
        self.triple()
            .cmp(&o.triple())
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &o.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Pre-releases, part by part: numbers numerically, below words; words
/// in ASCII order; a missing part below any other.
fn compare_pre(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        let o = match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(p), Some(q)) => match (p.parse::<u64>(), q.parse::<u64>()) {
                (Ok(m), Ok(n)) => m.cmp(&n),
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                (Err(_), Err(_)) => p.cmp(q),
            },
        };
        if o != Ordering::Equal {
            return o;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Tilde,
    Caret,
}

/// One comparison: an operator and a version whose missing or wildcard
/// parts are 0 and remembered.
#[derive(Debug, Clone)]
struct Comparison {
    op: Op,
    v: Version,
    /// The major was a wildcard or the minor missing or a wildcard.
    minor_free: bool,
    /// The patch was missing or a wildcard (the minor given).
    patch_free: bool,
    /// Any part free.
    free: bool,
}

/// A constraint: groups joined by `||`, each of comparisons that must all
/// hold.
#[derive(Debug, Clone)]
pub struct Constraint {
    text: String,
    groups: Vec<(Vec<Comparison>, bool)>,
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Longest constraint read, and most `||` groups.
const MAX_LEN: usize = 512;
const MAX_GROUPS: usize = 32;

impl Constraint {
    pub fn parse(text: &str) -> Result<Constraint> {
        let bad = |why: &str| Error::new(format!("semver constraint {text:?}: {why}"));
        if text.len() > MAX_LEN {
            return Err(bad(&format!("longer than {MAX_LEN} bytes")));
        }
        static RANGE: OnceLock<Regex> = OnceLock::new();
        static VALID: OnceLock<Regex> = OnceLock::new();
        static FIND: OnceLock<Regex> = OnceLock::new();
        static ONE: OnceLock<Regex> = OnceLock::new();
        let range = re(&RANGE, || format!(r"\s*({PATTERN})\s+-\s+({PATTERN})\s*"));
        let valid = re(&VALID, || {
            format!(r"^\s*({OPS})\s*{PATTERN}\s*(?:(?:\s+|,\s*)({OPS})\s*{PATTERN}\s*)*$")
        });
        let find = re(&FIND, || format!(r"({OPS})\s*({PATTERN})"));
        let one = re(&ONE, || format!(r"^\s*({OPS})\s*{PATTERN}\s*$"));
        // `A - B` is `>= A, <= B`.
        let text_ranged = range.replace_all(text, ">= ${1}, <= ${6} ");
        let ors: Vec<&str> = text_ranged.split("||").collect();
        if ors.len() > MAX_GROUPS {
            return Err(bad(&format!("more than {MAX_GROUPS} groups")));
        }
        let mut groups = Vec::new();
        for g in ors {
            if !valid.is_match(g) {
                return Err(bad(&format!("cannot read {:?}", g.trim())));
            }
            let mut cs = Vec::new();
            for m in find.find_iter(g) {
                let c = one
                    .captures(m.as_str())
                    .ok_or_else(|| bad(&format!("cannot read {:?}", m.as_str())))?;
                cs.push(
                    comparison(&c)
                        .ok_or_else(|| bad(&format!("{:?} is not a version", m.as_str().trim())))?,
                );
            }
            let pre = cs.iter().any(|c| !c.v.pre.is_empty());
            groups.push((cs, pre));
        }
        Ok(Constraint {
            text: text.to_string(),
            groups,
        })
    }

    /// Does the tag, read as a version, meet the constraint?
    pub fn matches(&self, tag: &str) -> bool {
        let Some(v) = Version::parse(tag) else {
            return false;
        };
        self.groups.iter().any(|(cs, pre)| {
            // A pre-release matches only a group that names one.
            (v.pre.is_empty() || *pre) && cs.iter().all(|c| c.holds(&v))
        })
    }
}

/// A comparison from its captures (1 operator, 2–4 the parts, 5 pre).
fn comparison(c: &regex::Captures) -> Option<Comparison> {
    let op = match &c[1] {
        "" | "=" => Op::Eq,
        "!=" => Op::Ne,
        ">" => Op::Gt,
        "<" => Op::Lt,
        ">=" | "=>" => Op::Ge,
        "<=" | "=<" => Op::Le,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let part = |i: usize| c.get(i).map(|m| m.as_str()).filter(|s| !is_wild(s));
    let num = |s: Option<&str>| s.map_or(Some(0), |s| s.parse::<u64>().ok());
    let pre = c.get(5).map_or("", |m| m.as_str()).to_string();
    if bad_pre(&pre) {
        return None;
    }
    let (major, minor, patch) = (part(2), part(3), part(4));
    let (minor_free, patch_free) = match (major, minor, patch) {
        (None, _, _) => (false, false),
        (Some(_), None, _) => (true, false),
        (Some(_), Some(_), None) => (false, true),
        _ => (false, false),
    };
    let free = major.is_none() || minor.is_none() || patch.is_none();
    // A free part frees the parts after it.
    let (minor, patch) = match (major, minor) {
        (None, _) => (None, None),
        (_, None) => (None, None),
        _ => (minor, patch),
    };
    Some(Comparison {
        op,
        v: Version {
            major: num(major)?,
            minor: num(minor)?,
            patch: num(patch)?,
            pre,
        },
        minor_free,
        patch_free,
        free,
    })
}

fn is_wild(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Comparison {
    fn holds(&self, v: &Version) -> bool {
        let c = &self.v;
        match self.op {
            Op::Eq if self.free => self.tilde(v),
            Op::Eq => v == c,
            Op::Ne => {
                if self.free {
                    if v.major != c.major {
                        return true;
                    }
                    if self.minor_free {
                        return false;
                    }
                    if v.minor != c.minor {
                        return true;
                    }
                    if self.patch_free {
                        return !(v.pre.is_empty() && c.pre.is_empty())
                            && compare_pre(&v.pre, &c.pre) != Ordering::Equal;
                    }
                }
                v != c
            }
            Op::Gt => {
                if !self.free {
                    return v > c;
                }
                match v.major.cmp(&c.major) {
                    Ordering::Greater => true,
                    Ordering::Less => false,
                    Ordering::Equal if self.minor_free => false,
                    Ordering::Equal if self.patch_free => v.minor > c.minor,
                    Ordering::Equal => v > c,
                }
            }
            Op::Lt => v < c,
            Op::Ge => v >= c,
            Op::Le => {
                if !self.free {
                    return v <= c;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_free))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => {
                if v < c {
                    return false;
                }
                if c.major > 0 || self.minor_free {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_free {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                v.patch == c.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.v;
        if v < c {
            return false;
        }
        if c.triple() == (0, 0, 0) && !self.minor_free && !self.patch_free {
            return true;
        }
        v.major == c.major && (self.minor_free || v.minor == c.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(c: &str, yes: &[&str], no: &[&str]) {
        let k = Constraint::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        for v in yes {
            assert!(k.matches(v), "{c} should match {v}");
        }
        for v in no {
            assert!(!k.matches(v), "{c} should not match {v}");
        }
    }

    #[test]
    fn versions_read_from_tags() {
        assert_eq!(Version::parse("3.12").unwrap().triple(), (3, 12, 0));
        assert_eq!(Version::parse("v1").unwrap().triple(), (1, 0, 0));
        assert_eq!(Version::parse("3.12-alpine").unwrap().pre, "alpine");
        assert_eq!(Version::parse("1.2.3+b.7").unwrap().pre, "");
        for bad in ["latest", "1.2.3.4", "", "1..2", "1.2.3-01", "x"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1",
            "2",
        ];
        for w in order.windows(2) {
            assert!(Version::parse(w[0]) < Version::parse(w[1]), "{w:?}");
        }
    }

    #[test]
    fn comparisons() {
        check(
            ">= 3.12.0",
            &["3.12", "3.12.1", "4.0.0", "v3.13"],
            &["3.11.9", "3.12.1-rc1", "latest"],
        );
        check(">=3.12 <3.14", &["3.12.0", "3.13.7"], &["3.14.0", "3.11"]);
        check("> 1.2.3", &["1.2.4", "2"], &["1.2.3", "1.0"]);
        check("< 1.2", &["1.1.9", "0.1"], &["1.2.0", "1.3"]);
        check("<= 1.2.3", &["1.2.3", "1.0"], &["1.2.4"]);
        check("=1.2.3", &["1.2.3", "v1.2.3"], &["1.2.4"]);
        check("1.2.3", &["1.2.3"], &["1.2.30"]);
        check("!=1.2.3", &["1.2.4", "1.3"], &["1.2.3"]);
        check(
            ">= 1.2, < 3.0.0 || >= 4.2.3",
            &["1.2", "2.9", "4.2.3", "5"],
            &["3.0.0", "4.2.2", "1.1"],
        );
    }

    #[test]
    fn wildcards_tilde_caret_ranges() {
        check("1.2.x", &["1.2.0", "1.2.9"], &["1.3.0", "1.1.9"]);
        check(">= 1.2.x", &["1.2.0", "7"], &["1.1.9"]);
        check("<= 2.x", &["2.9.9", "1", "0.1"], &["3.0.0"]);
        check("*", &["0.0.0", "9.9.9"], &["9.9.9-rc1", "latest"]);
        check("~1.2.3", &["1.2.3", "1.2.9"], &["1.3.0", "1.2.2"]);
        check("~1", &["1.0", "1.9.9"], &["2.0", "0.9"]);
        check("~2.3", &["2.3.0", "2.3.5"], &["2.4.0"]);
        check("~1.x", &["1.0.0", "1.9"], &["2.0.0"]);
        check("^1.2.3", &["1.2.3", "1.9"], &["2.0.0", "1.2.2"]);
        check("^1.2.x", &["1.2.0", "1.9"], &["2.0.0"]);
        check("^2.x", &["2.0.0", "2.9"], &["3.0.0"]);
        check("^0.2.3", &["0.2.3", "0.2.9"], &["0.3.0"]);
        check("^0.2", &["0.2.0", "0.2.9"], &["0.3.0"]);
        check("^0.0.3", &["0.0.3"], &["0.0.4"]);
        check("^0.0", &["0.0.0", "0.0.9"], &["0.1.0"]);
        check("^0", &["0.0.0", "0.9.9"], &["1.0.0"]);
        check(
            "1.2 - 1.4.5",
            &["1.2.0", "1.4.5", "1.3"],
            &["1.4.6", "1.1.9"],
        );
        // `<= 4.5` takes every 4.5.x
        check(
            "2.3.4 - 4.5",
            &["2.3.4", "4.5.0", "4.5.1"],
            &["4.6.0", "2.3.3"],
        );
        check("> 1.x", &["2.0.0"], &["1.9.9"]);
        check("> 1.2.x", &["1.3.0"], &["1.2.9"]);
        check("!= 1.2.x", &["1.3.0", "2.2.0"], &["1.2.5"]);
    }

    #[test]
    fn pre_releases_only_where_named() {
        check(
            ">= 1.2.3-0",
            &["1.2.3-rc1", "1.2.3", "1.3.0-beta"],
            &["1.2.2"],
        );
        check(">= 1.2.3", &["1.2.3"], &["1.2.4-rc1", "3.12-alpine"]);
        check(">=1.2.3-BETA", &["1.2.3-alpha"], &[]);
    }

    #[test]
    fn bad_constraints_named() {
        let e = Constraint::parse(">= 1x").unwrap_err().to_string();
        assert!(e.ends_with("\">= 1x\" is not a version"), "{e}");
        for bad in [
            "",
            "latest",
            ">=1.2.3-01",
            ">= 1.2 &&",
            "1.2.3.4",
            "=== 1",
            &"1 ".repeat(300),
        ] {
            let e = Constraint::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("semver constraint"), "{bad}: {e}");
        }
        let many = vec!["1"; 33].join("||");
        assert!(Constraint::parse(&many).is_err());
    }
}
