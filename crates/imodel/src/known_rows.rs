//! A cache of rows known to exist (table, id → class id), so the checks of navigation targets cost
//! one query per distinct target rather than one per written element; and of facts about such
//! rows (a model's spatial indexing, a category's default SubCategory). Cleared whenever rows may
//! have disappeared (delete, rollback).

use std::collections::HashMap;

/// How many rows the cache holds before it starts over (~5 MB).
const MAX_KNOWN_ROWS: usize = 100_000;

#[derive(Default)]
pub(super) struct KnownRows {
    tables: Vec<String>,
    rows: HashMap<(usize, i64), i64>,
    spatially_located: HashMap<i64, bool>,
    /// Category → its default SubCategory, looked up once per category rather than per element.
    default_sub_categories: HashMap<i64, i64>,
}

impl KnownRows {
    fn table_key(&mut self, table: &str) -> usize {
        match self.tables.iter().position(|t| t == table) {
            Some(i) => i,
            None => {
                self.tables.push(table.to_owned());
                self.tables.len() - 1
            }
        }
    }

    pub fn get(&mut self, table: &str, id: i64) -> Option<i64> {
        let key = self.table_key(table);
        self.rows.get(&(key, id)).copied()
    }

    pub fn insert(&mut self, table: &str, id: i64, class_id: i64) {
        // Host memory stays bounded at any job size: a job inserts millions of elements, and
        // the ones worth knowing (categories, models, parents) are found again in one query.
        if self.rows.len() >= MAX_KNOWN_ROWS {
            self.rows.clear();
        }
        let key = self.table_key(table);
        self.rows.insert((key, id), class_id);
    }

    pub fn spatially_located(&self, model: i64) -> Option<bool> {
        self.spatially_located.get(&model).copied()
    }

    pub fn set_spatially_located(&mut self, model: i64, located: bool) {
        self.spatially_located.insert(model, located);
    }

    pub fn default_sub_category(&self, category: i64) -> Option<i64> {
        self.default_sub_categories.get(&category).copied()
    }

    pub fn set_default_sub_category(&mut self, category: i64, sub_category: i64) {
        self.default_sub_categories.insert(category, sub_category);
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.spatially_located.clear();
        self.default_sub_categories.clear();
    }
}
