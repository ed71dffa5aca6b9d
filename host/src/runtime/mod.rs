//! The sandboxed wasmtime host for connector components.
//!
//! One [`Runtime`] per process: an engine (epoch interruption and fuel on), a linker with WASI
//! p2 and the connector world's imports, and the compiled-component cache. Every job gets a fresh
//! store: WASI with no sockets, no environment, no arguments, the source's folder preopened
//! read-only at `/source`, stdout/stderr captured into the log; a memory cap, a wall-clock
//! deadline and optional fuel.

mod bindings;
mod cache;
mod state;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

pub use bindings::{ConnectorInfo, ConnectorWorld, DeletionMode, LogLevel};
pub use cache::{ComponentCache, Origin};
pub use state::{JobObserver, JobState, LogLine};

use crate::imodel::Briefcase;
use crate::sync::Synchronizer;

/// Where the source's folder appears inside the sandbox.
pub const SOURCE_MOUNT: &str = "/source";
/// How often the deadline clock ticks.
const TICK: Duration = Duration::from_millis(10);
/// Bytes of guest stdout/stderr kept per job.
const OUTPUT_CAPACITY: usize = 1 << 20;

/// Resource limits of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest linear memory a guest may grow to, in bytes.
    pub memory: usize,
    /// Wall-clock time the guest may run for the whole job.
    pub deadline: Duration,
    /// Instruction budget (wasmtime fuel); `None` = unlimited.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: 1 << 30, deadline: Duration::from_secs(600), fuel: None }
    }
}

/// The engine, linker and cache shared by the jobs of a process.
pub struct Runtime {
    engine: Engine,
    linker: Linker<JobState>,
    cache: ComponentCache,
}

/// A loaded connector and how long loading took.
pub struct LoadedComponent {
    pub component: Component,
    pub origin: Origin,
    pub load_time: Duration,
}

impl Runtime {
    pub fn new(cache: ComponentCache) -> Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true).consume_fuel(true);
        let engine =
            Engine::new(&config).map_err(anyhow::Error::from).context("cannot start the WebAssembly engine")?;
        let mut linker: Linker<JobState> = Linker::new(&engine);
        // WASI p2 is always linked (componentize-py and -js guests import it), with everything
        // denied in each job's context.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        ConnectorWorld::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
        Ok(Runtime { engine, linker, cache })
    }

    /// Loads (compiling or from the cache) a connector component from its bytes.
    pub fn load(&self, bytes: &[u8]) -> Result<LoadedComponent> {
        let start = Instant::now();
        let (component, origin) = self.cache.load(&self.engine, bytes)?;
        Ok(LoadedComponent { component, origin, load_time: start.elapsed() })
    }

    /// The imports and exports of a component, as `name (kind)` lines.
    pub fn describe(&self, component: &Component) -> (Vec<String>, Vec<String>) {
        let ty = component.component_type();
        let imports = ty.imports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        let exports = ty.exports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        (imports, exports)
    }

    /// A fresh sandboxed store for one job, holding the briefcase, and the instantiated connector.
    pub fn instantiate(
        &self,
        component: &Component,
        source_dir: &Path,
        bim: Briefcase,
        observer: Box<dyn JobObserver>,
        limits: Limits,
    ) -> Result<(Store<JobState>, ConnectorWorld, GuestOutput)> {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPACITY);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .preopened_dir(source_dir, SOURCE_MOUNT, FsPerms::ReadOnly)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot open the source folder {}", source_dir.display()))?;
        let state = JobState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory)
                .instances(16)
                .tables(16)
                .memories(16)
                .trap_on_grow_failure(true)
                .build(),
            bim,
            sync: Synchronizer::new("", ""),
            phase: "instantiate",
            connector_args: serde_json::json!({}),
            source: None,
            observer,
            host_failure: None,
            started: Instant::now(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
        let ticks = (limits.deadline.as_millis() / TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        let world = ConnectorWorld::instantiate(&mut store, component, &self.linker)?;
        Ok((store, world, GuestOutput { stdout, stderr }))
    }

    /// Instantiates a connector in a throw-away job and returns its `info()`.
    pub fn info(&self, component: &Component, scratch_dir: &Path, bim: Briefcase) -> Result<ConnectorInfo> {
        struct Quiet;
        impl JobObserver for Quiet {
            fn log(&mut self, _: &LogLine) {}
            fn progress(&mut self, _: &str, _: u64, _: Option<u64>) {}
        }
        let (mut store, world, _) =
            self.instantiate(component, scratch_dir, bim, Box::new(Quiet), Limits::default())?;
        let _clock = self.start_clock();
        Ok(world.itwin_connector_connector().call_info(&mut store)?)
    }

    /// Ticks the engine's epoch until the returned guard is dropped: the wall-clock deadline.
    pub fn start_clock(&self) -> Clock {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = self.engine.weak();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        });
        Clock { stop, thread: Some(thread) }
    }
}

/// The guest's captured stdout and stderr.
pub struct GuestOutput {
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl GuestOutput {
    /// Everything the guest printed so far, stdout then stderr, as lines.
    pub fn lines(&self) -> Vec<(bool, String)> {
        let mut out = Vec::new();
        for (is_err, pipe) in [(false, &self.stdout), (true, &self.stderr)] {
            let text = String::from_utf8_lossy(&pipe.contents()).into_owned();
            out.extend(text.lines().map(|l| (is_err, l.to_owned())));
        }
        out
    }
}

/// Stops the epoch clock when dropped.
pub struct Clock {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Clock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
