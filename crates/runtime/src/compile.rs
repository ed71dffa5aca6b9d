//! Compiling a component, optionally in a child process with bounded time and memory.
//!
//! Cranelift's time and memory grow with what a component contains, and a hostile one took
//! 25–54 s and 1.8 GB. In a child process (`itwin-host __compile <out.cwasm>`, the component on
//! its stdin) the address space is capped with `RLIMIT_AS` and the child is killed when the
//! job's deadline passes; it writes the same `.cwasm` the cache stores.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wasmtime::Engine;

/// Address space a compiler child may use by default.
pub const DEFAULT_COMPILE_MEMORY: u64 = 2 << 30;

/// Compiled bytes of component per second, measured with Cranelift on 2 cores (the 18.7 MB
/// Python example: 4.4 s; the 12.5 MB TypeScript one: 5.3 s): what the first-run message
/// promises.
const COMPILE_BYTES_PER_SECOND: usize = 3_000_000;

/// About how long compiling a component of `len` bytes takes, in whole seconds (at least 1).
pub fn expected_compile_seconds(len: usize) -> u64 {
    (len.div_ceil(COMPILE_BYTES_PER_SECOND) as u64).max(1)
}

/// The compiler child's exit code for "an allocation failed" (an abort is a signal instead).
pub const COMPILE_OUT_OF_MEMORY: u8 = 3;

/// Where components are compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileIsolation {
    /// In this process, unbounded (tests, benchmarks, trusted components).
    InProcess,
    /// In a child process `exe __compile`, its address space capped at `memory` bytes and killed
    /// at the job's deadline.
    ChildProcess {
        /// The `itwin-host` executable.
        exe: PathBuf,
        /// Address-space bound in bytes.
        memory: u64,
    },
}

/// Why a component could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The component file is over [`crate::MAX_COMPONENT_BYTES`].
    #[error("the component is {size} bytes, over the limit of {} MiB", limit >> 20)]
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// Not WebAssembly at all.
    #[error("not a WebAssembly file")]
    NotWasm,
    /// A core WebAssembly module: a connector must be a component.
    #[error("a core WebAssembly module, not a component")]
    CoreModule,
    /// Not a valid component.
    #[error("not a connector component: {0}")]
    Invalid(String),
    /// The job's deadline came first.
    #[error("compiling the component did not finish before the job's deadline")]
    CompileDeadline,
    /// The compiler child ran out of its memory bound or died.
    #[error("compiling the component failed within its bound of {} MiB of memory ({how})", memory >> 20)]
    CompileKilled {
        /// The bound in bytes.
        memory: u64,
        /// How the child ended.
        how: String,
    },
    /// Reading, writing or starting the compiler failed.
    #[error("cannot compile the component: {0}")]
    Io(String),
}

impl LoadError {
    /// What wasmtime said about bytes it could not compile, as the user's case. wasmtime's
    /// parser errors are untyped, so the two cases a user meets first are known by their text.
    pub(crate) fn from_compiler(message: &str) -> LoadError {
        if message.contains("magic header not detected") {
            LoadError::NotWasm
        } else if message.contains("attempted to parse a wasm module with a component parser") {
            LoadError::CoreModule
        } else {
            LoadError::Invalid(message.to_owned())
        }
    }
}

/// The child's side: compiles the component on `input` for an engine configured like the
/// runtime's and writes the serialized artifact to `out`.
pub fn compile_to_file(engine: &Engine, input: &[u8], out: &Path) -> anyhow::Result<()> {
    let compiled = engine.precompile_component(input)?;
    std::fs::write(out, compiled)?;
    Ok(())
}

/// The parent's side: runs `exe __compile out [--fuel] [--no-epoch]` on `bytes`, bounded by
/// `memory` and `deadline`.
pub fn compile_in_child(
    exe: &Path,
    memory: u64,
    metering: super::Metering,
    bytes: &[u8],
    out: &Path,
    deadline: Instant,
) -> Result<(), LoadError> {
    let mut command = Command::new(exe);
    command.arg("__compile").arg(out).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    // The child's engine must be configured as the parent's, or its artifact would not load.
    if metering.fuel {
        command.arg("--fuel");
    }
    if !metering.epoch {
        command.arg("--no-epoch");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let limit = libc::rlimit { rlim_cur: memory as libc::rlim_t, rlim_max: memory as libc::rlim_t };
        // SAFETY: between fork and exec only async-signal-safe calls are allowed; setrlimit is one,
        // and `limit` is a plain value copied into the child.
        unsafe {
            command.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = command.spawn().map_err(|e| LoadError::Io(format!("cannot start {}: {e}", exe.display())))?;
    // Feed stdin from a thread: the pipe holds 64 KiB and the child reads while we wait on it.
    let mut stdin = child.stdin.take().expect("piped");
    let input = bytes.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_file(out);
                return Err(LoadError::CompileDeadline);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(LoadError::Io(e.to_string())),
        }
    };
    let _ = feeder.join();
    let message = reader.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let _ = std::fs::remove_file(out);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            // Out of address space, Rust's allocator aborts (SIGABRT) or a guard page faults.
            return Err(LoadError::CompileKilled {
                memory,
                how: format!("the compiler was killed by signal {signal}"),
            });
        }
    }
    let message = message.trim().trim_start_matches("error: ").to_owned();
    if status.code() == Some(i32::from(COMPILE_OUT_OF_MEMORY)) {
        return Err(LoadError::CompileKilled { memory, how: message });
    }
    Err(LoadError::from_compiler(&message))
}
