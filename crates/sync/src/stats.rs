//! What a job did, per class: the summary `itwin-host run` prints.

use std::collections::BTreeMap;

/// Inserted / updated / deleted / unchanged counts of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Elements inserted.
    pub inserted: usize,
    /// Elements updated.
    pub updated: usize,
    /// Elements deleted.
    pub deleted: usize,
    /// Items found unchanged.
    pub unchanged: usize,
}

/// What a job did: a tally per class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tallies by class full name.
    pub by_class: BTreeMap<String, Tally>,
    /// Elements marked seen.
    pub seen: usize,
}

impl Stats {
    /// The tally of `class`, created empty.
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
