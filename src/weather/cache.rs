//! A small in-memory cache with per-entry lifetimes, for NWS `/points` answers.
//!
//! A point's grid lookup changes rarely, and NWS says for how long with
//! `Cache-Control: max-age`. Caching it per instance halves upstream calls for
//! repeated forecasts. The cache is bounded, so a stream of distinct points cannot
//! grow memory without limit; nothing in it has to survive the instance.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

#[derive(Debug)]
pub(crate) struct TtlCache<V> {
    entries: Mutex<HashMap<String, (Instant, V)>>,
    capacity: usize,
}

impl<V: Clone> TtlCache<V> {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The value for `key` if it has not expired.
    pub(super) fn get(&self, key: &str) -> Option<V> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        match entries.get(key) {
            Some((expires, value)) if *expires > now => Some(value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `value` for `ttl`. When full, expired entries go first, then the entry
    /// closest to expiring.
    pub(super) fn insert(&self, key: String, value: V, ttl: Duration) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (expires, _)| *expires > now);
            if entries.len() >= self.capacity {
                let soonest = entries
                    .iter()
                    .min_by_key(|(_, (expires, _))| *expires)
                    .map(|(k, _)| k.clone());
                if let Some(soonest) = soonest {
                    entries.remove(&soonest);
                }
            }
        }
        entries.insert(key, (now + ttl, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_their_ttl() {
        let cache = TtlCache::new(4);
        cache.insert("a".into(), 1, Duration::from_secs(60));
        cache.insert("gone".into(), 2, Duration::ZERO);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("gone"), None);
        assert_eq!(cache.get("missing"), None);
    }

    #[test]
    fn a_full_cache_evicts_the_entry_closest_to_expiry() {
        let cache = TtlCache::new(2);
        cache.insert("short".into(), 1, Duration::from_secs(10));
        cache.insert("long".into(), 2, Duration::from_secs(100));
        cache.insert("new".into(), 3, Duration::from_secs(50));
        assert_eq!(cache.get("short"), None);
        assert_eq!(cache.get("long"), Some(2));
        assert_eq!(cache.get("new"), Some(3));
    }
}
