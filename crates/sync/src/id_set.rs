//! A compact set of element ids for per-run state that grows with the job.
//!
//! An iModel hands out element ids in increasing runs (`briefcase id << 40 | local id`), so a
//! compressed bitmap keeps a job's ten million seen elements in a few MB where a hash set took
//! hundreds. Only ids of rows that exist go in (see `Synchronizer::mark_seen`), so a connector
//! cannot scatter ids to make it large.

use roaring::RoaringTreemap;

/// A set of element (or aspect) ids.
#[derive(Default, Clone)]
pub(crate) struct IdSet(RoaringTreemap);

impl IdSet {
    /// Adds `id`; whether it was new. Ids are never negative (`id64::parse` refuses them).
    pub fn insert(&mut self, id: i64) -> bool {
        u64::try_from(id).is_ok_and(|id| self.0.insert(id))
    }

    pub fn contains(&self, id: i64) -> bool {
        u64::try_from(id).is_ok_and(|id| self.0.contains(id))
    }

    #[cfg(test)]
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// The ids in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        // Only non-negative ids were inserted, so each fits.
        self.0.iter().map(|id| id as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_was_inserted_once() {
        let mut set = IdSet::default();
        assert!(set.insert(0x1a) && !set.insert(0x1a) && set.insert(0x20_0000_0001));
        assert!(set.contains(0x1a) && set.contains(0x20_0000_0001) && !set.contains(0x1b));
        assert!(!set.insert(-1) && !set.contains(-1));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn ten_million_sequential_ids_take_a_few_megabytes() {
        let mut set = IdSet::default();
        for id in 0x20..0x20 + 10_000_000 {
            set.insert(id);
        }
        assert_eq!(set.len(), 10_000_000);
        // Serialized size tracks the in-memory size of a roaring bitmap's containers.
        assert!(set.0.serialized_size() < 2 << 20, "{} bytes", set.0.serialized_size());
    }
}
