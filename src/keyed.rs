//! Locks on keys: work on one thing (a blob written into a destination,
//! a manifest PUT into a repository) that threads of this process do one
//! at a time, whatever else they do at once.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Condvar, Mutex};

/// The keys held, and a wake-up for those waiting on one.
pub struct KeyedLocks<K> {
    held: Mutex<HashSet<K>>,
    released: Condvar,
}

/// A key held; released when dropped.
pub struct Held<'a, K: Eq + Hash> {
    locks: &'a KeyedLocks<K>,
    key: Option<K>,
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    pub fn new() -> Self {
        KeyedLocks {
            held: Mutex::new(HashSet::new()),
            released: Condvar::new(),
        }
    }

    /// Hold `key`, or None when another thread holds it.
    pub fn try_take(&self, key: K) -> Option<Held<'_, K>> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(key.clone()).then(|| Held {
            locks: self,
            key: Some(key),
        })
    }

    /// Hold `key`, waiting while another thread holds it.
    pub fn take(&self, key: K) -> Held<'_, K> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let mut held = self
            .released
            .wait_while(held, |h| h.contains(&key))
            .unwrap_or_else(|e| e.into_inner());
        held.insert(key.clone());
        Held {
            locks: self,
            key: Some(key),
        }
    }
}

impl<K: Eq + Hash + Clone> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + Hash> Drop for Held<'_, K> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.locks
                .held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&k);
            self.locks.released.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_holder_of_a_key_at_a_time_others_free() {
        let locks = KeyedLocks::new();
        let a = locks.try_take("a").expect("free");
        assert!(locks.try_take("a").is_none());
        let b = locks.try_take("b");
        assert!(b.is_some(), "another key is free");
        let inside = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let _h = locks.take("a");
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    inside.fetch_sub(1, Ordering::SeqCst);
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert_eq!(inside.load(Ordering::SeqCst), 0, "all wait for the first");
            drop(a);
        });
        assert!(locks.try_take("a").is_some());
    }
}
