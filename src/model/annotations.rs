//! [`Annotations`]: a descriptor's or manifest's string map, kept small.
//!
//! A layout's index.json may hold some 250,000 entries, nearly every one
//! with a single annotation (its ref name). A `BTreeMap` gives each a
//! whole node (over 500 bytes); this keeps the pairs in one vector sorted
//! by key, which reads and writes in the same order a `BTreeMap` would.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// String keys to string values, sorted by key, each key once.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Annotations(Vec<(String, String)>);

impl Annotations {
    pub fn new() -> Annotations {
        Annotations(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Set `key` to `value`; the value it had.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl fmt::Debug for Annotations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Annotations {
    /// A key given twice keeps its last value.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut a = Annotations::new();
        for (k, v) in iter {
            a.insert(k, v);
        }
        a
    }
}

impl Serialize for Annotations {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Annotations;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Annotations, A::Error> {
                let mut pairs: Vec<(String, String)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    pairs.push((k, v));
                }
                // Sorted, a key given twice keeping its last value (as a
                // map read from JSON does): stable sort, then the last of
                // each run of equal keys.
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
                for p in pairs {
                    match out.last_mut() {
                        Some(last) if last.0 == p.0 => *last = p,
                        _ => out.push(p),
                    }
                }
                Ok(Annotations(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn reads_and_writes_as_a_sorted_map_would() {
        let json = r#"{"z":"1","a":"2","m":"3","a":"4"}"#;
        let a: Annotations = serde_json::from_str(json).unwrap();
        let b: BTreeMap<String, String> = serde_json::from_str(json).unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(a.get("a").map(String::as_str), Some("4"));
        assert_eq!(a.len(), 3);
        assert!(serde_json::from_str::<Annotations>(r#"{"a":1}"#).is_err());
        assert!(serde_json::from_str::<Annotations>("[]").is_err());
    }

    #[test]
    fn insert_remove_retain_keep_order() {
        let mut a = Annotations::new();
        assert_eq!(a.insert("b".into(), "1".into()), None);
        assert_eq!(a.insert("a".into(), "2".into()), None);
        assert_eq!(a.insert("c".into(), "3".into()), None);
        assert_eq!(a.insert("b".into(), "4".into()), Some("1".into()));
        let keys: Vec<&String> = a.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(a.remove("a"), Some("2".into()));
        assert_eq!(a.remove("a"), None);
        a.retain(|k, _| k != "c");
        assert_eq!(format!("{a:?}"), r#"{"b": "4"}"#);
        assert!(a.contains_key("b") && !a.contains_key("c"));
        let from: Annotations = [("y".to_string(), "1".to_string()), ("x".into(), "2".into())]
            .into_iter()
            .collect();
        assert_eq!(
            serde_json::to_string(&from).unwrap(),
            r#"{"x":"2","y":"1"}"#
        );
    }
}
