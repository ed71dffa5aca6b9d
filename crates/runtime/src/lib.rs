//! The sandboxed wasmtime host for connector components.
//!
//! One [`Runtime`] per process: an engine (epoch interruption and fuel on), a linker with WASI
//! p2 and the connector world's imports, and the compiled-component cache. Every job gets a fresh
//! store: WASI with no sockets, no environment, no arguments, the source's folder preopened
//! read-only at `/source`, stdout/stderr captured into the log; a memory cap, a wall-clock
//! deadline and optional fuel.

mod bindings;
mod cache;
mod caps;
mod clock;
mod compile;
pub mod job;
mod limiter;
pub mod lock;
mod output;
pub mod runner;
mod source_mount;
mod state;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

pub use bindings::{ConnectorInfo, ConnectorWorld, DeletionMode, LogLevel};
pub use cache::{ComponentCache, Origin};
pub use caps::{MAX_BATCH_ITEMS, MAX_COMPONENT_BYTES, MAX_ID_LIST, MAX_LOG_MESSAGE, MAX_PROPS_BYTES, MAX_READ_SOURCE};
pub use compile::{CompileIsolation, LoadError, COMPILE_OUT_OF_MEMORY, DEFAULT_COMPILE_MEMORY};
pub use limiter::{MemoryLimitReached, TotalLimiter};
pub use output::{escape, Console, OUTPUT_BUDGET};
pub use state::{FailureCause, GuestState, JobObserver, JobState, LogLine, LogSource};

/// Where the source's folder appears inside the sandbox.
pub const SOURCE_MOUNT: &str = "/source";
/// How often the deadline clock ticks.
const TICK: Duration = Duration::from_millis(10);

/// Resource limits of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes all linear memories and tables of the job's store may use together.
    pub memory: usize,
    /// Wall-clock time for the whole job, compiling and instantiating included.
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
    linker: Linker<GuestState>,
    cache: ComponentCache,
    isolation: CompileIsolation,
    metering: Metering,
}

/// A loaded connector and how long loading took.
pub struct LoadedComponent {
    pub component: Component,
    pub origin: Origin,
    pub load_time: Duration,
}

/// How compiled guest code is instrumented, which decides what the job limits can stop.
///
/// Fuel counting costs guest speed (measured by `cargo bench --bench connector_sync`; see the
/// README), so it is on only when a job sets a fuel limit. Epoch interruption is what lets the
/// deadline stop guest code; it is off only to measure what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metering {
    /// Count instructions, so [`Limits::fuel`] can stop a guest.
    pub fuel: bool,
    /// Epoch interruption, so [`Limits::deadline`] can stop guest code.
    pub epoch: bool,
}

impl Default for Metering {
    fn default() -> Self {
        Metering { fuel: false, epoch: true }
    }
}

/// The engine configuration; the compiler child must use the very same one.
fn engine_config(metering: Metering) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true).epoch_interruption(metering.epoch).consume_fuel(metering.fuel);
    config
}

fn engine(metering: Metering) -> Result<Engine> {
    Engine::new(&engine_config(metering)).map_err(anyhow::Error::from).context("cannot start the WebAssembly engine")
}

/// The compiler child's work (`itwin-host __compile`): compiles `input` for the runtime's engine
/// configuration into `out`.
pub fn compile_component_file(input: &[u8], out: &Path, metering: Metering) -> Result<()> {
    compile::compile_to_file(&engine(metering)?, input, out)
}

/// Why a guest call failed, in the user's terms, with the cause recorded by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub cause: FailureCause,
    pub message: String,
}

impl Runtime {
    /// A runtime compiling in this process, with the default [`Metering`] (no fuel counting);
    /// see [`Runtime::with_isolation`].
    pub fn new(cache: ComponentCache) -> Result<Self> {
        Self::with_metering(cache, Metering::default())
    }

    /// A runtime whose engine instruments guest code as `metering` says.
    pub fn with_metering(cache: ComponentCache, metering: Metering) -> Result<Self> {
        let engine = engine(metering)?;
        let mut linker: Linker<GuestState> = Linker::new(&engine);
        // WASI p2 is always linked (componentize-py and -js guests import it), with everything
        // denied in each job's context.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        // Then its monotonic clock is replaced by one whose timers end at the job's deadline.
        linker.allow_shadowing(true);
        wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<GuestState, clock::DeadlineClock>(
            &mut linker,
            GuestState::deadline_clock,
        )?;
        linker.allow_shadowing(false);
        ConnectorWorld::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
        Ok(Runtime { engine, linker, cache, isolation: CompileIsolation::InProcess, metering })
    }

    /// How this runtime's engine instruments guest code.
    pub fn metering(&self) -> Metering {
        self.metering
    }

    /// Where components are compiled (the CLI compiles in a bounded child process).
    pub fn with_isolation(mut self, isolation: CompileIsolation) -> Self {
        self.isolation = isolation;
        self
    }

    /// Loads (compiling or from the cache) a connector component, with no deadline.
    pub fn load(&self, bytes: &[u8]) -> Result<LoadedComponent> {
        self.load_until(bytes, Instant::now() + Duration::from_secs(365 * 24 * 3600))
    }

    /// Loads a connector component; a compile in a child process is killed at `deadline`.
    pub fn load_until(&self, bytes: &[u8], deadline: Instant) -> Result<LoadedComponent> {
        let start = Instant::now();
        if bytes.len() as u64 > MAX_COMPONENT_BYTES {
            return Err(LoadError::TooLarge { size: bytes.len() as u64, limit: MAX_COMPONENT_BYTES }.into());
        }
        let (component, origin) = self.cache.load(&self.engine, bytes, &self.isolation, self.metering, deadline)?;
        Ok(LoadedComponent { component, origin, load_time: start.elapsed() })
    }

    /// The imports and exports of a component, as `name (kind)` lines.
    pub fn describe(&self, component: &Component) -> (Vec<String>, Vec<String>) {
        let ty = component.component_type();
        let imports = ty.imports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        let exports = ty.exports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        (imports, exports)
    }

    /// A fresh sandboxed store: no sockets, environment or arguments; `source_dir` (if any)
    /// read-only at `/source`; guest output into `console`; memory, fuel and `deadline` armed.
    pub fn store(
        &self,
        source_dir: Option<&Path>,
        job: Option<JobState>,
        console: Console,
        limits: Limits,
        deadline: Instant,
    ) -> Result<Store<GuestState>> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(console.stream(false))
            .stderr(console.stream(true))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if let Some(dir) = source_dir {
            wasi.preopened_dir(dir, SOURCE_MOUNT, FsPerms::ReadOnly)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot open the source folder {}", dir.display()))?;
        }
        let state = GuestState::new(wasi.build(), limits.memory, console, deadline, job);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s.limiter());
        match (self.metering.fuel, limits.fuel) {
            (true, fuel) => store.set_fuel(fuel.unwrap_or(u64::MAX))?,
            (false, Some(_)) => anyhow::bail!("a fuel limit needs a runtime that counts fuel (Metering::fuel)"),
            (false, None) => {}
        }
        if self.metering.epoch {
            // Each tick the clock checks the wall-clock deadline itself: the trap it raises
            // carries the cause, and no tick count can drift from the deadline.
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(|mut ctx| {
                ctx.data_mut().check_deadline()?;
                Ok(UpdateDeadline::Continue(1))
            });
        }
        Ok(store)
    }

    /// Instantiates the connector in `store` (its start functions run under the deadline).
    pub fn instantiate(
        &self,
        store: &mut Store<GuestState>,
        component: &Component,
    ) -> wasmtime::Result<ConnectorWorld> {
        store.data_mut().set_phase("instantiate");
        ConnectorWorld::instantiate(store, component, &self.linker)
    }

    /// Instantiates a connector without a job (no iModel, no source) and returns its `info()`.
    /// The epoch clock must be running (see [`Runtime::start_clock`]).
    pub fn info(&self, component: &Component, limits: Limits) -> Result<ConnectorInfo, Explained> {
        struct Quiet;
        impl JobObserver for Quiet {
            fn log(&mut self, _: &LogLine) {}
            fn progress(&mut self, _: &str, _: u64, _: Option<u64>) {}
        }
        let deadline = Instant::now() + limits.deadline;
        let mut store = self
            .store(None, None, Console::new(Box::new(Quiet)), limits, deadline)
            .map_err(|e| Explained { cause: FailureCause::Load, message: format!("{e:#}") })?;
        let world = self.instantiate(&mut store, component).map_err(|e| explain_instantiation(&store, &e, limits))?;
        store.data_mut().set_phase("info");
        world.itwin_connector_connector().call_info(&mut store).map_err(|e| explain(&store, &e, limits))
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

/// Like [`explain`], for a failed instantiation: an error that is no trap (a missing import or
/// export) means the component is not a connector.
pub fn explain_instantiation(store: &Store<GuestState>, error: &wasmtime::Error, limits: Limits) -> Explained {
    let explained = explain(store, error, limits);
    if explained.cause == FailureCause::Trap && error.downcast_ref::<wasmtime::Trap>().is_none() {
        return Explained { cause: FailureCause::Load, message: format!("not a connector component: {error:#}") };
    }
    explained
}

/// Turns a failed guest call into its cause and the user's one-line message. The cause comes
/// from the store (limiter, clock, host calls) or from wasmtime's typed trap codes.
pub fn explain(store: &Store<GuestState>, error: &wasmtime::Error, limits: Limits) -> Explained {
    let state = store.data();
    let recorded = state.cause().or_else(|| match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => Some(FailureCause::Fuel),
        // Without our callback an epoch interrupt is the only kind there is; kept for safety.
        Some(wasmtime::Trap::Interrupt) => Some(FailureCause::Deadline),
        _ => None,
    });
    let stop = state.stop_message().unwrap_or_default();
    let message = match recorded {
        Some(FailureCause::Deadline) => format!("deadline of {} s reached (--timeout)", limits.deadline.as_secs()),
        Some(FailureCause::Fuel) => format!("fuel limit of {} reached (--fuel)", limits.fuel.unwrap_or(u64::MAX)),
        Some(FailureCause::Memory) => format!("memory limit of {} MiB reached (--memory-limit)", limits.memory >> 20),
        Some(FailureCause::Host) => format!("host failure: {stop}"),
        Some(FailureCause::Limit) => format!("refused by the host: {stop}"),
        _ => {
            let trap = match error.downcast_ref::<wasmtime::Trap>() {
                Some(trap) => trap.to_string(),
                None => error.root_cause().to_string(),
            };
            // A Rust panic prints its location and message to stderr before trapping: name them.
            let stderr = state.console().stderr_tail();
            let panic = stderr.iter().rposition(|l| l.contains("panicked at")).map(|i| {
                let at = stderr[i].split("panicked at ").nth(1).unwrap_or_default().trim_end_matches(':');
                let message = stderr.get(i + 1).map(String::as_str).unwrap_or_default();
                format!(" (panicked at {at}: {message})")
            });
            return Explained {
                cause: FailureCause::Trap,
                message: format!("trap: {trap}{}", panic.unwrap_or_default()),
            };
        }
    };
    Explained { cause: recorded.expect("matched above"), message }
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl JobObserver for Quiet {
        fn log(&mut self, _: &LogLine) {}
        fn progress(&mut self, _: &str, _: u64, _: Option<u64>) {}
    }

    /// A component whose core start function never returns. (A connector world component
    /// would need every export typed; the start function runs before any export is used, so
    /// this tests the store and linker the world's instantiation goes through.)
    const LOOPING_START: &str = r#"(component
        (core module $m (func $spin (loop $l (br $l))) (start $spin))
        (core instance (instantiate $m)))"#;

    #[test]
    fn a_looping_start_function_stops_at_the_deadline() {
        let runtime = Runtime::new(ComponentCache::new(None)).unwrap();
        let loaded = runtime.load(LOOPING_START.as_bytes()).unwrap();
        let limits = Limits { deadline: Duration::from_secs(1), ..Limits::default() };
        let started = Instant::now();
        let _clock = runtime.start_clock();
        let mut store =
            runtime.store(None, None, Console::new(Box::new(Quiet)), limits, started + limits.deadline).unwrap();
        let error = runtime.linker.instantiate(&mut store, &loaded.component).map(|_| ()).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(20), "the deadline did not stop the start function");
        let explained = explain(&store, &error, limits);
        assert_eq!(explained.cause, FailureCause::Deadline, "{error:?}");
        assert_eq!(explained.message, "deadline of 1 s reached (--timeout)");
    }

    #[test]
    fn a_deadline_in_the_past_stops_the_start_function_at_once() {
        let runtime = Runtime::new(ComponentCache::new(None)).unwrap();
        let loaded = runtime.load(LOOPING_START.as_bytes()).unwrap();
        let _clock = runtime.start_clock();
        let limits = Limits::default();
        let mut store = runtime.store(None, None, Console::new(Box::new(Quiet)), limits, Instant::now()).unwrap();
        let error = runtime.linker.instantiate(&mut store, &loaded.component).map(|_| ()).unwrap_err();
        assert_eq!(explain(&store, &error, limits).cause, FailureCause::Deadline);
    }

    /// Without an iModel (as for `inspect`), a store still instantiates components; a component
    /// that is not a connector gives a load-type error, not a panic.
    #[test]
    fn info_needs_no_imodel_and_refuses_a_non_connector_cleanly() {
        let runtime = Runtime::new(ComponentCache::new(None)).unwrap();
        let loaded = runtime.load(b"(component)").unwrap();
        let _clock = runtime.start_clock();
        let error = runtime.info(&loaded.component, Limits::default()).unwrap_err();
        assert_eq!(error.cause, FailureCause::Load, "{error:?}");
        assert!(error.message.contains("itwin:connector"), "{}", error.message);
    }

    #[test]
    fn components_over_the_size_limit_are_refused_before_compiling() {
        let runtime = Runtime::new(ComponentCache::new(None)).unwrap();
        let bytes = vec![0u8; MAX_COMPONENT_BYTES as usize + 1];
        let error = runtime.load(&bytes).err().expect("refused");
        assert!(matches!(error.downcast_ref::<LoadError>(), Some(LoadError::TooLarge { .. })), "{error:#}");
    }
}
