//! On-disk cache of compiled components, keyed by the component's sha256 and the engine's
//! compatibility hash, so the second run of a connector does not compile it again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use std::time::Instant;

use anyhow::{Context, Result};
use wasmtime::component::Component;
use wasmtime::Engine;

use super::compile::{compile_in_child, CompileIsolation, LoadError};

/// Where compiled components live: one file per component and engine, the least recently used
/// evicted once the folder holds more than its capacity.
pub struct ComponentCache {
    dir: Option<PathBuf>,
    capacity: u64,
}

/// How much the cache keeps by default: a Python or JavaScript connector compiles to about 40 MB,
/// a Rust one to 2–5 MB.
pub const DEFAULT_CACHE_CAPACITY: u64 = 1 << 30;

/// A compiled component in the cache.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The compiled file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// When a run last loaded it (its modification time, renewed on every use).
    pub last_used: std::time::SystemTime,
    /// The component file it was compiled from, as the compiling run named it.
    pub source: Option<String>,
}

/// How a component that is not in the cache is compiled.
#[derive(Debug, Clone, Copy)]
pub struct Compiler<'a> {
    /// In this process or a bounded child.
    pub isolation: &'a CompileIsolation,
    /// The engine's instrumentation, which the child must configure alike.
    pub metering: super::Metering,
    /// When a compiling child is killed.
    pub deadline: Instant,
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Compiled now (and stored, if the cache is on).
    Compiled,
    /// Loaded from the cache.
    Cached,
}

impl ComponentCache {
    /// A cache in `dir`; `None` turns caching off.
    pub fn new(dir: Option<PathBuf>) -> Self {
        ComponentCache { dir, capacity: DEFAULT_CACHE_CAPACITY }
    }

    /// The same cache, keeping at most `bytes` of compiled components (the newest entry is kept
    /// even when it alone is larger).
    pub fn with_capacity(mut self, bytes: u64) -> Self {
        self.capacity = bytes;
        self
    }

    /// The cache folder, if caching is on.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The cached components, least recently used first.
    pub fn entries(&self) -> Result<Vec<CacheEntry>> {
        let Some(dir) = &self.dir else { return Ok(Vec::new()) };
        let folder = dir.join("components");
        let listing = match std::fs::read_dir(&folder) {
            Ok(listing) => listing,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", folder.display())),
        };
        let mut entries = Vec::new();
        for item in listing {
            let path = item?.path();
            if path.extension().is_none_or(|e| e != "cwasm") {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            let source = std::fs::read_to_string(path.with_extension("source")).ok();
            entries.push(CacheEntry { size: meta.len(), last_used: meta.modified()?, source, path });
        }
        entries.sort_by_key(|e| e.last_used);
        Ok(entries)
    }

    /// Removes every cached component; returns how many and their bytes.
    pub fn clear(&self) -> Result<(usize, u64)> {
        let entries = self.entries()?;
        let bytes = entries.iter().map(|e| e.size).sum();
        for entry in &entries {
            remove_entry(&entry.path)?;
        }
        Ok((entries.len(), bytes))
    }

    /// Evicts the least recently used entries until the cache holds at most its capacity,
    /// never `keep` (the entry just written).
    fn evict(&self, keep: &Path) -> Result<()> {
        let entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        for entry in entries {
            if total <= self.capacity {
                break;
            }
            if entry.path != keep {
                // Another process may have it mapped: unlinking keeps its mapping valid.
                remove_entry(&entry.path)?;
                total -= entry.size;
            }
        }
        Ok(())
    }

    /// After a compile: names the component file the entry came from, then keeps the cache
    /// within its capacity.
    fn stored(&self, entry: &Path, source: Option<&Path>) -> Result<()> {
        if let Some(source) = source {
            let source = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_owned());
            std::fs::write(entry.with_extension("source"), source.display().to_string())
                .with_context(|| format!("cannot write the component cache {}", entry.display()))?;
        }
        self.evict(entry)
    }

    /// The default place: `$ITWIN_HOST_CACHE`, else `$XDG_CACHE_HOME/itwin-host`, else `~/.cache/itwin-host`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("ITWIN_HOST_CACHE") {
            return Some(PathBuf::from(dir));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("itwin-host"))
    }

    /// Loads the component for `bytes` (read from `source`): from the cache when an entry for
    /// these exact bytes and this engine exists, otherwise compiled as `compiler` says (and then
    /// stored).
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        source: Option<&Path>,
        compiler: Compiler<'_>,
        before_compile: &mut dyn FnMut(),
    ) -> Result<(Component, Origin)> {
        let Compiler { isolation, metering, deadline } = compiler;
        let path = self.entry_path(engine, bytes);
        if let Some(path) = path.as_ref().filter(|p| p.is_file()) {
            // SAFETY: the file was written by `Component::serialize` (or `precompile_component`
            // in our compiler child) of an engine with the same compatibility hash (it is in the
            // file name), into a cache directory only this program writes; wasmtime checks the
            // header again before using it.
            // A damaged entry is compiled again and overwritten.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, path) } {
                // Its time of last use, for eviction; a read-only cache still works.
                let _ = std::fs::File::options()
                    .append(true)
                    .open(path)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now()));
                return Ok((component, Origin::Cached));
            }
        }
        before_compile();
        let (exe, memory) = match isolation {
            CompileIsolation::InProcess => {
                let component =
                    Component::new(engine, bytes).map_err(|e| LoadError::from_compiler(&format!("{e:#}")))?;
                if let Some(path) = &path {
                    self.store(path, &component)
                        .with_context(|| format!("cannot write the component cache {}", path.display()))?;
                    self.stored(path, source)?;
                }
                return Ok((component, Origin::Compiled));
            }
            CompileIsolation::ChildProcess { exe, memory } => (exe, *memory),
        };
        // The child writes aside (in the cache folder, or a temporary one without a cache); the
        // entry is renamed into place only when complete.
        let scratch = match &path {
            Some(p) => {
                let dir = p.parent().expect("entries live in a directory");
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
                None
            }
            None => Some(tempfile_dir()?),
        };
        let tmp = match (&path, &scratch) {
            (Some(p), _) => aside(p),
            (None, Some(dir)) => dir.join("component.cwasm"),
            (None, None) => unreachable!("a scratch folder exists without a cache"),
        };
        let compiled = compile_in_child(exe, memory, metering, bytes, &tmp, deadline);
        let loaded = compiled.map_err(anyhow::Error::from).and_then(|()| {
            let file = match &path {
                Some(p) => {
                    std::fs::rename(&tmp, p)
                        .with_context(|| format!("cannot write the component cache {}", p.display()))?;
                    self.stored(p, source)?;
                    p.clone()
                }
                None => tmp.clone(),
            };
            // SAFETY: written just now by our compiler child with an engine of this configuration.
            unsafe { Component::deserialize_file(engine, &file) }
                .map_err(|e| anyhow::Error::from(LoadError::Io(format!("{e:#}"))))
        });
        if let Some(dir) = scratch {
            // The component maps the file; unlinking it keeps the mapping valid.
            let _ = std::fs::remove_dir_all(dir);
        }
        Ok((loaded?, Origin::Compiled))
    }

    fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let hex = itwin_checksum::sha256_hex(bytes);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Some(dir.join("components").join(format!("{hex}-{:016x}.cwasm", hasher.finish())))
    }

    fn store(&self, path: &Path, component: &Component) -> Result<()> {
        let dir = path.parent().expect("entries live in a directory");
        std::fs::create_dir_all(dir)?;
        // Write aside and rename, so a reader never sees half a file.
        let tmp = aside(path);
        std::fs::write(&tmp, component.serialize()?)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

fn remove_entry(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        // Another process evicted it first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
    let _ = std::fs::remove_file(path.with_extension("source"));
    Ok(())
}

/// The name a cache entry is written under before it is renamed into place.
fn aside(path: &Path) -> PathBuf {
    let dir = path.parent().expect("entries live in a directory");
    dir.join(format!(".{}.{}.tmp", std::process::id(), path.file_name().unwrap_or_default().to_string_lossy()))
}

/// A fresh private folder for one compile without a cache.
fn tempfile_dir() -> Result<PathBuf> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("itwin-host-compile-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
