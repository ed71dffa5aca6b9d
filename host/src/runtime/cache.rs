//! On-disk cache of compiled components, keyed by the component's sha256 and the engine's
//! compatibility hash, so the second run of a connector does not compile it again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

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
    /// this engine exists, otherwise compiled (and then stored).
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<(Component, Origin)> {
        let Some(path) = self.entry_path(engine, bytes) else {
            return Ok((Component::new(engine, bytes)?, Origin::Compiled));
        };
        if path.is_file() {
            // SAFETY: the file was written by `Component::serialize` of an engine with the same
            // compatibility hash (it is in the file name), into a cache directory only this
            // program writes; wasmtime checks the header again before using it.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, Origin::Cached)),
                // A damaged entry is compiled again and overwritten.
                Err(_) => {}
            }
        }
        let component = Component::new(engine, bytes)?;
        self.store(&path, &component)
            .with_context(|| format!("cannot write the component cache {}", path.display()))?;
        Ok((component, Origin::Compiled))
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
        let tmp =
            dir.join(format!(".{}.{}.tmp", std::process::id(), path.file_name().unwrap_or_default().to_string_lossy()));
        std::fs::write(&tmp, component.serialize()?)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}
