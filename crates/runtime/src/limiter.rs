//! The store's memory bound: one budget for all linear memories and tables of a job together.
//!
//! wasmtime's `StoreLimits` bounds each memory on its own, so a component with 8 memories could
//! use 8 times `--memory-limit`, and tables were not bounded at all. This limiter sums them.

use wasmtime::ResourceLimiter;

/// Bytes one table element costs the host (wasmtime stores a pointer per element).
pub const TABLE_ELEMENT_BYTES: usize = std::mem::size_of::<usize>();
/// Instances, tables and memories a store may create (a connector needs a handful of each).
const MAX_INSTANCES: usize = 64;
const MAX_TABLES: usize = 64;
const MAX_MEMORIES: usize = 64;

/// Why the limiter refused a growth; the trap carries it, so the failure is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("memory limit of {} MiB reached: {requested} bytes in memories and tables requested", limit >> 20)]
pub struct MemoryLimitReached {
    pub limit: usize,
    pub requested: usize,
}

/// Sums the bytes of every linear memory and table of a store against one limit.
#[derive(Debug)]
pub struct TotalLimiter {
    limit: usize,
    used: usize,
    /// The bytes added by the last growth the limiter allowed, taken back if that growth fails.
    last_grant: usize,
    /// Set once a growth was refused: the job's failure cause is the memory limit.
    hit: bool,
}

impl TotalLimiter {
    pub fn new(limit: usize) -> Self {
        TotalLimiter { limit, used: 0, last_grant: 0, hit: false }
    }

    /// Whether a growth was refused.
    pub fn hit(&self) -> bool {
        self.hit
    }

    /// Bytes of memories and tables in use.
    #[cfg(test)]
    pub fn used(&self) -> usize {
        self.used
    }

    fn grow(&mut self, current: usize, desired: usize) -> wasmtime::Result<bool> {
        let extra = desired.saturating_sub(current);
        let total = self.used.saturating_add(extra);
        if total > self.limit {
            self.hit = true;
            // An error (not `Ok(false)`) traps at once: a guest cannot go on half-allocated, and
            // the trap says which limit it was.
            return Err(MemoryLimitReached { limit: self.limit, requested: total }.into());
        }
        self.used = total;
        self.last_grant = extra;
        Ok(true)
    }

    fn undo_last(&mut self) {
        self.used -= self.last_grant.min(self.used);
        self.last_grant = 0;
    }
}

impl ResourceLimiter for TotalLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.grow(current, desired)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.undo_last();
        Ok(())
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.grow(current.saturating_mul(TABLE_ELEMENT_BYTES), desired.saturating_mul(TABLE_ELEMENT_BYTES))
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.undo_last();
        Ok(())
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Config, Engine, Instance, Module, Store};

    const MIB: usize = 1 << 20;
    /// 64 KiB wasm pages.
    const PAGE: usize = 1 << 16;

    fn engine() -> Engine {
        let mut config = Config::new();
        config.wasm_multi_memory(true);
        Engine::new(&config).unwrap()
    }

    fn store(engine: &Engine, limit: usize) -> Store<TotalLimiter> {
        let mut store = Store::new(engine, TotalLimiter::new(limit));
        store.limiter(|l| l);
        store
    }

    /// Eight memories that each grow by 2 MiB per call: the total, not each memory, is bounded.
    #[test]
    fn eight_memories_share_one_budget() {
        let memories: String = (0..8).map(|i| format!("(memory $m{i} (export \"m{i}\") 0)")).collect();
        let grows: String = (0..8).map(|i| format!("(drop (memory.grow $m{i} (i32.const 32)))")).collect();
        let wat = format!("(module {memories} (func (export \"grow\") {grows}))");
        let engine = engine();
        let module = Module::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        let mut store = store(&engine, 40 * MIB);
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let grow = instance.get_typed_func::<(), ()>(&mut store, "grow").unwrap();
        // 8 × 2 MiB = 16 MiB per call: twice fits in 40 MiB, the third call does not.
        grow.call(&mut store, ()).unwrap();
        grow.call(&mut store, ()).unwrap();
        assert_eq!(store.data().used(), 32 * MIB);
        assert!(!store.data().hit());
        let error = grow.call(&mut store, ()).unwrap_err();
        assert!(error.downcast_ref::<MemoryLimitReached>().is_some(), "{error:?}");
        assert!(store.data().hit());
        // Four of the eight memories grew in the third call before the limit: 32 + 4 × 2 MiB.
        assert_eq!(store.data().used(), 40 * MIB);
        let total: usize =
            (0..8).map(|i| instance.get_memory(&mut store, &format!("m{i}")).unwrap().data_size(&store)).sum();
        assert!(total <= 40 * MIB, "{total} bytes in memories");
    }

    /// A table's elements count too, and a memory plus a table share the budget.
    #[test]
    fn tables_count_against_the_same_budget() {
        let wat = r#"(module
            (memory (export "m") 1)
            (table $t 0 funcref)
            (func (export "grow_table") (param i32) (result i32)
                (table.grow $t (ref.null func) (local.get 0))))"#;
        let engine = engine();
        let module = Module::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        let mut store = store(&engine, MIB);
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        assert_eq!(store.data().used(), PAGE);
        let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow_table").unwrap();
        let fits = ((MIB - PAGE) / TABLE_ELEMENT_BYTES) as i32;
        assert_eq!(grow.call(&mut store, fits).unwrap(), 0, "the old size");
        assert_eq!(store.data().used(), MIB);
        let error = grow.call(&mut store, 1).unwrap_err();
        assert!(error.downcast_ref::<MemoryLimitReached>().is_some(), "{error:?}");
        assert!(store.data().hit());
    }

    /// A memory declared larger than the budget cannot even be instantiated.
    #[test]
    fn an_initial_memory_over_the_budget_is_refused() {
        let engine = engine();
        let module = Module::new(&engine, wat::parse_str("(module (memory 32))").unwrap()).unwrap();
        let mut store = store(&engine, MIB);
        assert!(Instance::new(&mut store, &module, &[]).is_err());
        assert!(store.data().hit());
    }
}
