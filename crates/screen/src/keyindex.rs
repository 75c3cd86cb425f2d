//! The population's index from ID keys to (person, household): an open-addressing table whose
//! 16-byte slots hold the key and both numbers, so a lookup touches one cache line (at city scale
//! the table is far bigger than the cache and every lookup is a miss). It is filled from many
//! threads at once with compare-and-swap; afterwards lookups are plain loads.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

const EMPTY: u64 = u64::MAX;

pub struct KeyIndex {
    /// (key, person << 32 | household); `EMPTY` marks a free slot.
    slots: Vec<[AtomicU64; 2]>,
    mask: usize,
    /// The one key that cannot be stored in a slot (it marks free ones): its value + 1, or 0.
    empty_key: AtomicU64,
    len: AtomicU64,
}

impl Default for KeyIndex {
    fn default() -> KeyIndex {
        KeyIndex::with_capacity(0)
    }
}

/// Spreads keys (packed ID numbers are far from random) over the table.
fn mix(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn join(person: u32, household: u32) -> u64 {
    (u64::from(person) << 32) | u64::from(household)
}

fn split(value: u64) -> (u32, u32) {
    ((value >> 32) as u32, value as u32)
}

impl KeyIndex {
    /// A table for `n` keys, at most half full.
    pub fn with_capacity(n: usize) -> KeyIndex {
        let size = (n * 2).next_power_of_two().max(16);
        // Filled on every core: at city scale this is a gigabyte of fresh pages.
        KeyIndex {
            slots: (0..size)
                .into_par_iter()
                .with_min_len(1 << 16)
                .map(|_| [AtomicU64::new(EMPTY), AtomicU64::new(0)])
                .collect(),
            mask: size - 1,
            empty_key: AtomicU64::new(0),
            len: AtomicU64::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a key from one thread, doubling the table when it is half full.
    pub fn insert_growing(&mut self, key: u64, person: u32, household: u32) -> bool {
        if self.len() >= self.capacity() {
            let bigger = KeyIndex::with_capacity(self.capacity() * 2);
            for slot in &self.slots {
                let k = slot[0].load(Ordering::Relaxed);
                if k != EMPTY {
                    let (p, h) = split(slot[1].load(Ordering::Relaxed));
                    bigger.insert(k, p, h);
                }
            }
            let empty_key = self.empty_key.load(Ordering::Relaxed);
            bigger.empty_key.store(empty_key, Ordering::Relaxed);
            bigger.len.store(self.len() as u64, Ordering::Relaxed);
            *self = bigger;
        }
        self.insert(key, person, household)
    }

    /// How many keys the table can hold before it must be rebuilt bigger.
    pub fn capacity(&self) -> usize {
        self.slots.len() / 2
    }

    /// Adds a key (from any thread; the table must have room, see `with_capacity`); false when
    /// the key is already there (its value stays) or the table is full.
    pub fn insert(&self, key: u64, person: u32, household: u32) -> bool {
        let value = join(person, household);
        let added = if key == EMPTY {
            self.empty_key
                .compare_exchange(0, value + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        } else {
            let mut i = mix(key) as usize & self.mask;
            let mut added = false;
            for _ in 0..self.slots.len() {
                let slot = &self.slots[i];
                match slot[0].compare_exchange(EMPTY, key, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => {
                        slot[1].store(value, Ordering::Relaxed);
                        added = true;
                        break;
                    }
                    Err(existing) if existing == key => break,
                    Err(_) => i = (i + 1) & self.mask,
                }
            }
            added
        };
        if added {
            self.len.fetch_add(1, Ordering::Relaxed);
        }
        added
    }

    /// The (person, household) of a key.
    pub fn get(&self, key: u64) -> Option<(u32, u32)> {
        if key == EMPTY {
            return match self.empty_key.load(Ordering::Relaxed) {
                0 => None,
                v => Some(split(v - 1)),
            };
        }
        let mut i = mix(key) as usize & self.mask;
        for _ in 0..self.slots.len() {
            let slot = &self.slots[i];
            match slot[0].load(Ordering::Relaxed) {
                k if k == key => return Some(split(slot[1].load(Ordering::Relaxed))),
                EMPTY => return None,
                _ => i = (i + 1) & self.mask,
            }
        }
        None
    }

    /// Looks up many keys at once: the loads of one do not wait on another's, so the memory
    /// fetches overlap (this is where a city-scale run spends its time).
    pub fn get_many(&self, keys: &[u64], out: &mut Vec<Option<(u32, u32)>>) {
        // First touch every key's home slot: independent loads the processor issues together,
        // so the misses overlap; the probes then find their lines in the cache.
        let mut touched = 0u64;
        for key in keys {
            touched ^= self.slots[mix(*key) as usize & self.mask][0].load(Ordering::Relaxed);
        }
        std::hint::black_box(touched);
        out.clear();
        out.extend(keys.iter().map(|k| self.get(*k)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_what_was_put_and_nothing_else(keys in proptest::collection::hash_set(any::<u64>(), 0..300), other in any::<u64>()) {
            let keys: Vec<u64> = keys.into_iter().collect();
            let index = KeyIndex::with_capacity(keys.len());
            for (i, k) in keys.iter().enumerate() {
                prop_assert!(index.insert(*k, i as u32, i as u32 / 2));
            }
            for (i, k) in keys.iter().enumerate() {
                prop_assert_eq!(index.get(*k), Some((i as u32, i as u32 / 2)));
                prop_assert!(!index.insert(*k, 0, 0), "a key goes in once");
            }
            if !keys.contains(&other) {
                prop_assert_eq!(index.get(other), None);
            }
        }
    }

    #[test]
    fn one_thread_can_grow_it_past_its_first_size() {
        let mut index = KeyIndex::with_capacity(2);
        for k in 0..1000u64 {
            assert!(index.insert_growing(k * 7919, k as u32, 1));
        }
        assert_eq!(index.len(), 1000);
        assert!((0..1000u64).all(|k| index.get(k * 7919) == Some((k as u32, 1))));
    }

    #[test]
    fn the_free_slot_marker_is_a_key_too() {
        let index = KeyIndex::with_capacity(4);
        assert_eq!(index.get(EMPTY), None);
        assert!(index.insert(EMPTY, 7, 3));
        assert!(!index.insert(EMPTY, 8, 3));
        assert_eq!(index.get(EMPTY), Some((7, 3)));
    }

    #[test]
    fn threads_filling_it_together_lose_nothing() {
        let index = KeyIndex::with_capacity(200_000);
        let inserted: usize = (0..200_000u64)
            .into_par_iter()
            .filter(|k| index.insert(k * 1_000_003, *k as u32, 0))
            .count();
        assert_eq!(inserted, 200_000);
        assert!((0..200_000u64).all(|k| index.get(k * 1_000_003) == Some((k as u32, 0))));
        // A second round of the same keys finds every one taken.
        assert_eq!(
            (0..200_000u64)
                .into_par_iter()
                .filter(|k| index.insert(k * 1_000_003, 0, 0))
                .count(),
            0
        );
    }
}
