//! What a job did, per class: the summary `itwin-host run` prints.

use std::collections::BTreeMap;

/// Inserted / updated / deleted / unchanged counts of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub inserted: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub by_class: BTreeMap<String, Tally>,
    /// Elements marked seen.
    pub seen: usize,
}

impl Stats {
    pub fn tally(&mut self, class: &str) -> &mut Tally {
        self.by_class.entry(class.to_owned()).or_default()
    }

    /// Totals over all classes.
    pub fn total(&self) -> Tally {
        self.by_class.values().fold(Tally::default(), |a, t| Tally {
            inserted: a.inserted + t.inserted,
            updated: a.updated + t.updated,
            deleted: a.deleted + t.deleted,
            unchanged: a.unchanged + t.unchanged,
        })
    }
}
