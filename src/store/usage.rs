//! `du`: the bytes each index.json entry's image takes, what `untag` and
//! `gc` would give back, and the store's totals.

use std::collections::HashMap;
use std::rc::Rc;

use super::check::Links;
use super::Layout;
use crate::error::Result;
use crate::model::{Descriptor, Digest};

/// One index.json entry's usage.
pub struct EntryUsage {
    pub name: Option<String>,
    pub digest: Digest,
    /// The bytes of the stored blobs it reaches: its manifest or index,
    /// configs, layers, and an index's manifests.
    pub size: u64,
    /// What `untag NAME` and then `gc` would free: the blobs that only
    /// the entries of its name, and the unnamed referrers untag drops
    /// with them, reach. (For an entry without a name: the blobs it alone
    /// reaches.)
    pub unique: u64,
}

/// Blobs and their bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub count: usize,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }
}

/// What a store holds.
#[derive(Default)]
pub struct Usage {
    /// Every index.json entry that reads, in its order.
    pub entries: Vec<EntryUsage>,
    /// Blobs index.json reaches, and the others (what gc removes once
    /// they are older than its grace period).
    pub reachable: Tally,
    pub unreachable: Tally,
    /// Temp files in the top directory (writes under way, or left by
    /// killed ones).
    pub temp: Tally,
    /// Blobs reached that are not stored, and manifests or indexes that
    /// do not read (what they reach is not counted): fsck names them.
    pub missing: usize,
    pub unreadable: usize,
    /// index.json entries that do not read (warned of as ls-refs does):
    /// what they name is not known.
    pub entries_unread: usize,
}

/// What a blob links to: (blob, its descriptor, whether it is an index's
/// entry, which readers take as a manifest or index).
type Linked = Rc<[(u32, Descriptor, bool)]>;

/// The walk over what entries reach, reading each manifest once.
struct Walk<'a> {
    layout: &'a Layout,
    stored: HashMap<Digest, u64>,
    ids: HashMap<Digest, u32>,
    sizes: Vec<Option<u64>>,
    /// What each blob read links to, read as a manifest or not.
    links: HashMap<(u32, bool), Linked>,
    missing: std::collections::HashSet<u32>,
    unreadable: std::collections::HashSet<u32>,
    /// The subject of each manifest read that has one.
    subjects: HashMap<u32, Digest>,
}

impl Walk<'_> {
    fn id(&mut self, d: &Digest) -> u32 {
        if let Some(&i) = self.ids.get(d) {
            return i;
        }
        let i = self.sizes.len() as u32;
        self.sizes.push(self.stored.get(d).copied());
        self.ids.insert(d.clone(), i);
        i
    }

    /// The blobs `entry` reaches, and of them its images: the entry and
    /// an index's manifests (what untag's referrer check follows).
    fn reach(&mut self, entry: &Descriptor) -> (Vec<u32>, Vec<u32>) {
        let mut blobs = Vec::new();
        let mut images = Vec::new();
        // (a blob is walked once as a manifest and once as something else
        // at most: both, where descriptors say both, as gc walks it)
        let mut seen = std::collections::HashSet::new();
        let mut counted = std::collections::HashSet::new();
        let root = self.id(&entry.digest);
        let mut stack = vec![(root, entry.clone(), true, true)];
        while let Some((id, desc, as_manifest, image)) = stack.pop() {
            let read_as = as_manifest || desc.media_type.is_manifest_or_index();
            if !seen.insert((id, read_as)) {
                continue;
            }
            let Some(size) = self.sizes[id as usize] else {
                self.missing.insert(id);
                continue;
            };
            if counted.insert(id) {
                blobs.push(id);
            }
            if image && !images.contains(&id) {
                images.push(id);
            }
            let links = match self.links.get(&(id, read_as)) {
                Some(l) => l.clone(),
                None => {
                    let l = self.read_links(id, &desc, size, as_manifest);
                    self.links.insert((id, read_as), l.clone());
                    l
                }
            };
            for (c, d, index_entry) in links.iter() {
                stack.push((*c, d.clone(), *index_entry, *index_entry));
            }
        }
        (blobs, images)
    }

    fn read_links(&mut self, id: u32, desc: &Descriptor, size: u64, as_manifest: bool) -> Linked {
        let mut as_is = desc.clone();
        as_is.size = size;
        let (children, index) = match self.layout.links(&as_is, as_manifest) {
            Links::Leaf => (Vec::new(), false),
            Links::Foreign(found) => (found, false),
            Links::Unreadable(_) => {
                self.unreadable.insert(id);
                (Vec::new(), false)
            }
            Links::Read(raw) => match raw.references() {
                Ok(c) => {
                    if let Some(s) = raw.subject() {
                        self.subjects.insert(id, s.digest);
                    }
                    (c, raw.is_index())
                }
                Err(_) => {
                    self.unreadable.insert(id);
                    (Vec::new(), false)
                }
            },
        };
        let mut linked = Vec::with_capacity(children.len());
        for c in children {
            // Layers with external URLs (foreign layers) need not be stored.
            if c.urls.as_ref().is_none_or(|u| u.is_empty()) || self.stored.contains_key(&c.digest) {
                linked.push((self.id(&c.digest), c, index));
            }
        }
        linked.into()
    }
}

impl Layout {
    /// What the store holds: each entry's bytes and what untagging it
    /// would free (the entries `refs` name, in their order: names, a
    /// name without a tag as NAME:latest when there is no NAME, or
    /// digests; all when empty), and the totals. A snapshot: no lock is
    /// taken.
    pub fn usage(&self, refs: &[String]) -> Result<Usage> {
        let index = self.read_index()?;
        self.warn_unreadable(&index);
        let mut shown: Vec<usize> = Vec::new();
        for r in refs {
            let at: Vec<usize> = if Digest::looks_like_digest(r) {
                let d = Digest::parse(r)?;
                let at: Vec<usize> = (0..index.manifests.len())
                    .filter(|&i| index.manifests[i].digest == d)
                    .collect();
                if at.is_empty() {
                    return Err(crate::error::Error::not_found(format!(
                        "no entry of {} has digest {d}",
                        self.root.join(super::INDEX_FILE).display()
                    )));
                }
                at
            } else {
                // (a name index.json holds is shown whatever it is)
                if !index.manifests.iter().any(|m| m.ref_name() == Some(r)) {
                    crate::model::validate_ref_name(r)?;
                }
                let Some(p) = super::ref_position(&index, r) else {
                    return Err(self.ref_not_found(&index, r));
                };
                let name = index.manifests[p].ref_name();
                (0..index.manifests.len())
                    .filter(|&i| index.manifests[i].ref_name() == name)
                    .collect()
            };
            for i in at {
                if !shown.contains(&i) {
                    shown.push(i);
                }
            }
        }
        if refs.is_empty() {
            shown = (0..index.manifests.len()).collect();
        }
        // Blobs are not counted through a symlink (or anything not a
        // directory) at blobs/ or blobs/ALG, as gc and fsck refuse it: none
        // would be found, and each said missing.
        for alg in [
            crate::model::Algorithm::Sha256,
            crate::model::Algorithm::Sha512,
        ] {
            self.check_blob_dirs(alg).map_err(|e| {
                crate::error::Error::new(format!(
                    "refusing to count usage: {} (run lade fsck)",
                    e.message()
                ))
            })?;
        }
        let (blobs, _) = self.list_blobs()?;
        let mut w = Walk {
            layout: self,
            stored: blobs.into_iter().collect(),
            ids: HashMap::new(),
            sizes: Vec::new(),
            links: HashMap::new(),
            missing: Default::default(),
            unreadable: Default::default(),
            subjects: HashMap::new(),
        };
        let entries = &index.manifests;
        let walked: Vec<(Vec<u32>, Vec<u32>)> = entries.iter().map(|e| w.reach(e)).collect();
        // How many entries reach each blob, and each image.
        let mut by_blob = vec![0u32; w.sizes.len()];
        let mut by_image = vec![0u32; w.sizes.len()];
        for (blobs, images) in &walked {
            blobs.iter().for_each(|&b| by_blob[b as usize] += 1);
            images.iter().for_each(|&i| by_image[i as usize] += 1);
        }
        // The image an unnamed entry refers to (its subject): untag drops
        // it with the last entry reaching that image.
        // (read by the walk)
        let subjects: Vec<Option<u32>> = entries
            .iter()
            .map(|e| {
                if e.ref_name().is_some() {
                    return None;
                }
                let s = w.subjects.get(w.ids.get(&e.digest)?)?.clone();
                Some(w.id(&s))
            })
            .collect();
        by_blob.resize(w.sizes.len(), 0);
        by_image.resize(w.sizes.len(), 0);

        // The bytes of the blobs only `group` reaches.
        let freed = |group: &[usize]| -> u64 {
            let mut n: HashMap<u32, u32> = HashMap::new();
            for &g in group {
                walked[g]
                    .0
                    .iter()
                    .for_each(|&b| *n.entry(b).or_default() += 1);
            }
            n.into_iter()
                .filter(|&(b, k)| by_blob[b as usize] == k)
                .filter_map(|(b, _)| w.sizes[b as usize])
                .sum()
        };
        // What `untag NAME` removes: the entries of that name, and the
        // unnamed ones referring to an image no other entry reaches then
        // (and, in turn, those referring to them).
        let mut named: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some(n) = e.ref_name() {
                named.entry(n).or_default().push(i);
            }
        }
        // The unnamed entries referring to each image.
        let mut referrers: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, s) in subjects.iter().enumerate() {
            if let Some(s) = s {
                referrers.entry(*s).or_default().push(i);
            }
        }
        let untagged = |name: &str| -> Vec<usize> {
            let mut group = named[name].clone();
            if referrers.is_empty() {
                return group;
            }
            let mut lost: HashMap<u32, u32> = HashMap::new();
            let mut next = 0;
            // Each entry taken in: the images it reaches lose one entry;
            // the referrers of an image no entry reaches then go too.
            while next < group.len() {
                for &i in &walked[group[next]].1 {
                    let n = lost.entry(i).or_default();
                    *n += 1;
                    if *n == by_image[i as usize] {
                        for &r in referrers.get(&i).into_iter().flatten() {
                            if !group.contains(&r) {
                                group.push(r);
                            }
                        }
                    }
                }
                next += 1;
            }
            group
        };

        let mut usage = Usage::default();
        let mut by_name: HashMap<&str, u64> = HashMap::new();
        for i in shown {
            let e = &entries[i];
            let unique = match e.ref_name() {
                Some(n) => *by_name.entry(n).or_insert_with(|| freed(&untagged(n))),
                None => freed(&[i]),
            };
            usage.entries.push(EntryUsage {
                name: e.ref_name().map(str::to_string),
                digest: e.digest.clone(),
                size: walked[i]
                    .0
                    .iter()
                    .filter_map(|&b| w.sizes[b as usize])
                    .sum(),
                unique,
            });
        }
        for (d, size) in &w.stored {
            match w.ids.get(d).is_some_and(|&i| by_blob[i as usize] > 0) {
                true => usage.reachable.add(*size),
                false => usage.unreachable.add(*size),
            }
        }
        for (_, size) in self.temp_files()? {
            usage.temp.add(size);
        }
        usage.entries_unread = index.unreadable.len();
        usage.missing = w.missing.len();
        usage.unreadable = w.unreadable.len();
        Ok(usage)
    }
}
