//! On-disk cache of compiled components, keyed by the component's sha256 and the engine's
//! compatibility hash, so the second run of a connector does not compile it again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use std::time::Instant;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

use super::compile::{compile_in_child, CompileIsolation, LoadError};

/// Where compiled components live.
pub struct ComponentCache {
    dir: Option<PathBuf>,
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
        ComponentCache { dir }
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

    /// Loads the component for `bytes`: from the cache when an entry for these exact bytes and
    /// this engine exists, otherwise compiled as `isolation` says (and then stored).
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        isolation: &CompileIsolation,
        metering: super::Metering,
        deadline: Instant,
    ) -> Result<(Component, Origin)> {
        let path = self.entry_path(engine, bytes);
        if let Some(path) = path.as_ref().filter(|p| p.is_file()) {
            // SAFETY: the file was written by `Component::serialize` (or `precompile_component`
            // in our compiler child) of an engine with the same compatibility hash (it is in the
            // file name), into a cache directory only this program writes; wasmtime checks the
            // header again before using it.
            // A damaged entry is compiled again and overwritten.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, path) } {
                return Ok((component, Origin::Cached));
            }
        }
        let (exe, memory) = match isolation {
            CompileIsolation::InProcess => {
                let component = Component::new(engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
                if let Some(path) = &path {
                    self.store(path, &component)
                        .with_context(|| format!("cannot write the component cache {}", path.display()))?;
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
        let digest = Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
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
