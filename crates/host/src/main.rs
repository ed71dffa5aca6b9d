//! The `itwin-host` command line.
// Doc comments on the clap types below are the CLI's help text, where `<output>` means a value.
#![allow(rustdoc::invalid_html_tags)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use itwin_imodel::changes::{ChangeError, LineError};
use itwin_imodel::{Briefcase, OpenError, ReadOptions, RootSubject, WriteError};
use itwin_runtime::job::{JobArgs, Overrides};
use itwin_runtime::runner::{self, JobFailure, OnDisk};
use itwin_runtime::{
    CompileIsolation, ComponentCache, FailureCause, JobObserver, Limits, LogLevel, LogLine, LogSource, Metering,
    Origin, Runtime, DEFAULT_COMPILE_MEMORY,
};

/// The example change file `apply` uses when none is given.
const EXAMPLE_CHANGES: &str = include_str!("../examples/site.jsonl");

const AFTER_HELP: &str = "Examples:
  itwin-host run connector.wasm --source site.json --output site.bim   synchronize site.json into site.bim
  itwin-host run connector.wasm --job job.json                         the same, from an iTwin.js job file
  itwin-host inspect connector.wasm                                    the connector's info and interfaces
  itwin-host new --lang python site-markers      a connector project (rust, python or typescript)
  itwin-host compile connector.wasm               compile ahead of time into the cache
  itwin-host new site.bim --name \"Site\"          create an empty iModel
  itwin-host apply site.bim                       write the built-in example (an asset register)
  itwin-host apply site.bim changes.jsonl         apply your own change file, all or nothing
  itwin-host show site.bim 0x14                   print an element as iTwin.js wire-format JSON
  itwin-host show site.bim 0x1b --geometry        the same, with its geometry stream (`geom`)
  itwin-host info site.bim                        profile versions, extents and element counts";

mod scaffold;

/// Writes real iModels (.bim) that iTwin.js opens; runs iTwin connectors as sandboxed components.
#[derive(Parser)]
#[command(name = "itwin-host", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once per process: the size of the `run` variant does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run a connector component: synchronize its source into an iModel, in one transaction.
    Run(RunArgs),
    /// Print a connector's info() and the interfaces it imports and exports.
    Inspect {
        /// The connector component (.wasm).
        connector: PathBuf,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Compile connectors ahead of time into the cache, so their first run loads at once.
    Compile {
        /// The connector components (.wasm).
        #[arg(required = true)]
        connectors: Vec<PathBuf>,
        /// Address space the compiler process may use, in MiB [default: 2048].
        #[arg(long, value_name = "MIB")]
        compile_memory_limit: Option<u64>,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// List or clear the compiled-component cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Create a connector project (`--lang`), or a new, empty iModel from the embedded seed.
    New {
        /// With --lang: the project's folder, whose name names the connector (`site-markers` →
        /// SiteMarkers). Without: the .bim file to create (must not exist).
        path: PathBuf,
        /// Create a connector project in this language: it builds with `./build.sh` and runs on
        /// the sample source it ships.
        #[arg(long, value_enum, value_name = "LANG")]
        lang: Option<scaffold::Lang>,
        /// Name of the root subject (iModels).
        #[arg(long, value_name = "NAME", conflicts_with = "lang")]
        name: Option<String>,
        /// Description of the root subject (iModels).
        #[arg(long, value_name = "TEXT", default_value = "", conflicts_with = "lang")]
        description: String,
    },
    /// Apply a JSON-lines change file to an iModel in one transaction (created if missing).
    Apply {
        /// The .bim file to write.
        file: PathBuf,
        /// The change file; without it, the built-in example asset register is written.
        changes: Option<PathBuf>,
    },
    /// Print an element's props as iTwin.js wire-format JSON.
    Show {
        /// The .bim file to read.
        file: PathBuf,
        /// The element id, e.g. 0x14.
        id: String,
        /// Include the geometry stream (`geom`) of 3d elements and geometry parts.
        #[arg(long, short)]
        geometry: bool,
    },
    /// Print an iModel's profile versions, project extents and element counts per class.
    Info {
        /// The .bim file to read.
        file: PathBuf,
    },
    /// Internal: compiles a component read from stdin into OUT (the bounded compiler child).
    #[command(name = "__compile", hide = true)]
    CompileChild {
        /// Where the compiled component goes.
        out: PathBuf,
        /// Count fuel (the parent's runtime does).
        #[arg(long)]
        fuel: bool,
        /// No epoch interruption (the parent's runtime has none).
        #[arg(long)]
        no_epoch: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::CompileChild { out, fuel, no_epoch } = &cli.command {
        return compile_child(out, Metering { fuel: *fuel, epoch: !*no_epoch });
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            if let Some(hint) = hint(&error) {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

#[derive(Args)]
struct RunArgs {
    /// The connector component (.wasm); may also come from the job file (`connector`).
    connector: Option<PathBuf>,
    /// The source file the connector reads (its folder is mounted read-only in the sandbox).
    #[arg(long, value_name = "FILE")]
    source: Option<PathBuf>,
    /// The iModel to write [default: <source name>.bim in the current folder].
    #[arg(long, short, value_name = "FILE.bim")]
    output: Option<PathBuf>,
    /// `standalone`: open or create, synchronize incrementally; `snapshot`: a fresh file.
    #[arg(long, value_name = "TYPE", default_value = None)]
    db_type: Option<String>,
    /// An iTwin.js job file ({"version": "0.0.1", "jobArgs": {…}}); flags override it.
    #[arg(long, value_name = "FILE")]
    job: Option<PathBuf>,
    /// Remove everything this source wrote (its job subject tree, RepositoryLink, ExternalSource).
    #[arg(long)]
    unmap: bool,
    /// Where the error file goes on failure [default: <output>.error.json].
    #[arg(long, value_name = "FILE")]
    error_file: Option<PathBuf>,
    /// Largest memory the connector may use, in MiB [default: 1024].
    #[arg(long, value_name = "MIB")]
    memory_limit: Option<u64>,
    /// Wall-clock seconds the whole job may take, compiling included [default: 10800, three hours].
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Instruction budget (wasmtime fuel) [default: unlimited].
    #[arg(long, value_name = "UNITS")]
    fuel: Option<u64>,
    /// If another run holds the iModel, wait up to this many seconds for it [default: 0, fail at once].
    #[arg(long, value_name = "SECONDS")]
    wait: Option<u64>,
    /// Address space the compiler process may use, in MiB [default: 2048].
    #[arg(long, value_name = "MIB")]
    compile_memory_limit: Option<u64>,
    /// The channel the job's elements go in (a ChannelRootAspect on its job subject, so iTwin.js
    /// apps with channel control edit them only when they allow it) [default: the connector's name].
    #[arg(long, value_name = "KEY")]
    channel_key: Option<String>,
    /// Put the job's elements in the shared channel (no channel root), as the iTwin.js connector
    /// framework does by default.
    #[arg(long, conflicts_with = "channel_key")]
    shared_channel: bool,
    #[command(flatten)]
    cache: CacheArgs,
    /// Print the connector's debug messages too.
    #[arg(long, short)]
    verbose: bool,
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_connector(args)?,
        Command::Inspect { connector, cache } => inspect(&connector, &cache)?,
        Command::New { path, lang: Some(lang), .. } => new_project(lang, &path)?,
        Command::New { path: file, lang: None, name, description } => {
            let name = name.unwrap_or_else(|| default_name(&file));
            Briefcase::create(&file, &RootSubject { name: name.clone(), description })?.close()?;
            println!("created {} (root subject {name:?})", file.display());
        }
        Command::Apply { file, changes } => apply(&file, changes.as_deref())?,
        Command::Show { file, id, geometry } => {
            let mut bim = Briefcase::open(&file)?;
            let id = itwin_imodel::id64::parse(&id, "id")?;
            let options = ReadOptions { want_geometry: geometry };
            let props = bim
                .element_props_with(id, options)?
                .with_context(|| format!("no element {id:#x} in {}", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&props)?);
        }
        Command::Info { file } => info(&file)?,
        Command::CompileChild { .. } => unreachable!("handled in main"),
        Command::Compile { connectors, compile_memory_limit, cache } => {
            compile_ahead(&connectors, compile_memory_limit, &cache)?
        }
        Command::Cache { action } => manage_cache(action)?,
    }
    Ok(())
}

/// Where compiled components are kept (`run`, `inspect`, `compile`).
#[derive(Args)]
struct CacheArgs {
    /// Compiled-component cache folder [default: $ITWIN_HOST_CACHE or ~/.cache/itwin-host].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Most the cache keeps, in MiB; the least recently used components go first
    /// [default: $ITWIN_HOST_CACHE_SIZE or 1024].
    #[arg(long, value_name = "MIB")]
    cache_size: Option<u64>,
    /// Do not cache compiled components.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Subcommand)]
enum CacheAction {
    /// The cached components, least recently used first, with their size and source file.
    List {
        /// The cache folder [default: $ITWIN_HOST_CACHE or ~/.cache/itwin-host].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Remove every cached component (they compile again on their next run).
    Clear {
        /// The cache folder [default: $ITWIN_HOST_CACHE or ~/.cache/itwin-host].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
}

impl CacheArgs {
    fn cache(&self) -> Result<ComponentCache> {
        let dir = if self.no_cache { None } else { self.cache_dir.clone().or_else(ComponentCache::default_dir) };
        let size = match (self.cache_size, std::env::var("ITWIN_HOST_CACHE_SIZE")) {
            (Some(mib), _) => Some(mib),
            (None, Ok(text)) => Some(
                text.trim()
                    .parse::<u64>()
                    .map_err(|_| anyhow::anyhow!("ITWIN_HOST_CACHE_SIZE is {text:?}, not a number of MiB"))?,
            ),
            (None, Err(_)) => None,
        };
        let cache = ComponentCache::new(dir);
        Ok(match size {
            Some(mib) => cache.with_capacity(mib << 20),
            None => cache,
        })
    }
}

/// `itwin-host new --lang LANG DIR`: writes the project and says how to build, run and test it.
fn new_project(lang: scaffold::Lang, dir: &Path) -> Result<()> {
    let project = scaffold::create(lang, dir)?;
    let (connector, module) = (&project.connector, &project.module);
    println!("created {} ({} connector {connector}, {} files)", dir.display(), lang_name(lang), project.files.len());
    let test = match lang {
        scaffold::Lang::Rust => "cargo test",
        scaffold::Lang::Python => "python3 -m unittest",
        scaffold::Lang::Typescript => "npm test",
    };
    println!("next:");
    println!("  cd {}", dir.display());
    println!("  ./build.sh                                  # → {module}.wasm");
    println!("  itwin-host run {module}.wasm --source data/sample.json --output sample.bim");
    println!("  {test:<43} # its unit tests");
    Ok(())
}

fn lang_name(lang: scaffold::Lang) -> &'static str {
    match lang {
        scaffold::Lang::Rust => "Rust",
        scaffold::Lang::Python => "Python",
        scaffold::Lang::Typescript => "TypeScript",
    }
}

fn cache_at(dir: Option<PathBuf>) -> Result<ComponentCache> {
    CacheArgs { cache_dir: dir, cache_size: None, no_cache: false }.cache()
}

/// `itwin-host compile`: fills the cache, so a deployment pays each compile once.
fn compile_ahead(connectors: &[PathBuf], memory_mib: Option<u64>, cache: &CacheArgs) -> Result<()> {
    if cache.no_cache {
        anyhow::bail!("`compile` fills the cache: it cannot run with --no-cache");
    }
    let runtime = Runtime::new(cache.cache()?)?.with_isolation(isolation(memory_mib)?);
    let _clock = runtime.start_clock();
    for connector in connectors {
        let bytes = std::fs::read(connector).with_context(|| format!("cannot read {}", connector.display()))?;
        let loaded = runtime
            .load_file_until(&bytes, Some(connector), Instant::now() + COMPILE_DEADLINE, &mut |note| {
                eprintln!("{note}")
            })
            .with_context(|| format!("cannot compile {}", connector.display()))?;
        match loaded.origin {
            Origin::Cached => println!("{}: already compiled", connector.display()),
            Origin::Compiled => {
                println!("{}: compiled in {:.2} s", connector.display(), loaded.load_time.as_secs_f64())
            }
        }
    }
    if let Some(dir) = runtime.cache().dir() {
        println!("cache: {}", dir.display());
    }
    Ok(())
}

/// How long `compile` lets one component compile.
const COMPILE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

fn manage_cache(action: CacheAction) -> Result<()> {
    match action {
        CacheAction::List { cache_dir } => {
            let cache = cache_at(cache_dir)?;
            let dir = cache.dir().context("no cache folder: set ITWIN_HOST_CACHE or HOME")?.to_owned();
            let entries = cache.entries()?;
            let now = std::time::SystemTime::now();
            for entry in &entries {
                let age = now.duration_since(entry.last_used).unwrap_or_default().as_secs();
                println!(
                    "{:>8.1} MB  used {:>7} ago  {}",
                    entry.size as f64 / 1e6,
                    age_text(age),
                    entry.source.as_deref().unwrap_or("(source not recorded)")
                );
            }
            let total: u64 = entries.iter().map(|e| e.size).sum();
            println!("{} compiled, {:.1} MB in {}", components(entries.len()), total as f64 / 1e6, dir.display());
        }
        CacheAction::Clear { cache_dir } => {
            let cache = cache_at(cache_dir)?;
            let dir = cache.dir().context("no cache folder: set ITWIN_HOST_CACHE or HOME")?.to_owned();
            let (count, bytes) = cache.clear()?;
            println!("removed {} ({:.1} MB) from {}", components(count), bytes as f64 / 1e6, dir.display());
        }
    }
    Ok(())
}

fn components(n: usize) -> String {
    if n == 1 {
        "1 component".to_owned()
    } else {
        format!("{n} components")
    }
}

/// `42 s`, `5 min`, `3 h`, `2 d`.
fn age_text(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

/// The compiler child (`__compile`): exit 0, or [`itwin_runtime::COMPILE_OUT_OF_MEMORY`] when an allocation
/// failed under its memory bound, or 1 with the error on stderr.
fn compile_child(out: &Path, metering: Metering) -> std::process::ExitCode {
    let result = (|| -> Result<()> {
        let mut input = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut input).context("cannot read the component")?;
        itwin_runtime::compile_component_file(&input, out, metering)
    })();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            let out_of_memory = error.chain().any(|e| {
                e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::OutOfMemory)
            });
            eprintln!("error: {error:#}");
            if out_of_memory {
                std::process::ExitCode::from(itwin_runtime::COMPILE_OUT_OF_MEMORY)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}

/// Components are compiled by this executable in a child process, bounded in memory and time.
fn isolation(memory_mib: Option<u64>) -> Result<CompileIsolation> {
    let exe = std::env::current_exe().context("cannot find the itwin-host executable to compile with")?;
    Ok(CompileIsolation::ChildProcess { exe, memory: memory_mib.map_or(DEFAULT_COMPILE_MEMORY, |m| m << 20) })
}

fn run_connector(args: RunArgs) -> Result<()> {
    let file = match &args.job {
        Some(path) => itwin_runtime::job::read_job_file(path)?,
        None => Default::default(),
    };
    let flags = Overrides {
        connector: args.connector.clone(),
        source: args.source.clone(),
        output: args.output.clone(),
        db_type: args.db_type.clone(),
        error_file: args.error_file.clone(),
        unmap: args.unmap,
        memory_limit_mb: args.memory_limit,
        timeout_seconds: args.timeout,
        fuel: args.fuel,
        channel_key: args.channel_key.clone(),
        shared_channel: args.shared_channel,
        wait_seconds: args.wait,
    };
    let job = JobArgs::resolve(file, flags)?;
    // Fuel counting slows guest code down: only a job with a fuel limit pays for it.
    let metering = Metering { fuel: job.limits.fuel.is_some(), ..Metering::default() };
    let runtime =
        Runtime::with_metering(args.cache.cache()?, metering)?.with_isolation(isolation(args.compile_memory_limit)?);
    let observer = Box::new(ConsoleObserver::new(args.verbose));
    match runner::run(&runtime, &job, observer) {
        Ok(report) => {
            print_report(&job, &report, args.verbose);
            Ok(())
        }
        Err(failure) => {
            let on_disk = match failure.on_disk {
                OnDisk::Unchanged => format!("{} was not changed", job.output.display()),
                OnDisk::NothingWritten => format!("no file was written ({} does not exist)", job.output.display()),
            };
            Err(anyhow::Error::new(failure).context(on_disk))
        }
    }
}

fn print_report(job: &JobArgs, report: &runner::RunReport, verbose: bool) {
    let load = match report.component_origin {
        Origin::Cached => format!("loaded from cache in {:.1} ms", report.component_load.as_secs_f64() * 1e3),
        Origin::Compiled => format!("compiled in {:.2} s", report.component_load.as_secs_f64()),
    };
    println!("{} {} ({load}) → {}", report.connector, report.connector_version, job.output.display());
    println!("job subject: {}", report.job_subject);
    if report.unmapped {
        println!("unmapped: everything of this source was removed");
    }
    // As wide as the longest class name, e.g. `BisCore:CategorySelectorRefersToCategories`.
    let width = report.stats.by_class.keys().map(String::len).max().unwrap_or(0).max(40);
    println!("{:<width$} {:>9} {:>9} {:>9} {:>9}", "class", "inserted", "updated", "deleted", "unchanged");
    for (class, t) in &report.stats.by_class {
        println!("{class:<width$} {:>9} {:>9} {:>9} {:>9}", t.inserted, t.updated, t.deleted, t.unchanged);
    }
    let total = report.stats.total();
    println!(
        "total: {} inserted, {} updated, {} deleted, {} unchanged in {:.2} s",
        total.inserted,
        total.updated,
        total.deleted,
        total.unchanged,
        report.duration.as_secs_f64()
    );
    if verbose {
        for (phase, took) in &report.phases {
            println!("  {phase:<38} {:>10.1} ms", took.as_secs_f64() * 1e3);
        }
    }
}

/// How long `inspect` lets a connector take to instantiate and answer `info()`.
const INSPECT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

fn inspect(connector: &Path, cache: &CacheArgs) -> Result<()> {
    let runtime = Runtime::new(cache.cache()?)?.with_isolation(isolation(None)?);
    let bytes = std::fs::read(connector).with_context(|| format!("cannot read {}", connector.display()))?;
    let limits = Limits { deadline: INSPECT_DEADLINE, ..Limits::default() };
    // The clock runs from the start: compiling and instantiating count against the deadline.
    let _clock = runtime.start_clock();
    let loaded =
        runtime.load_file_until(&bytes, Some(connector), std::time::Instant::now() + limits.deadline, &mut |note| {
            eprintln!("{note}")
        })?;
    let (imports, exports) = runtime.describe(&loaded.component);
    let info = runtime.info(&loaded.component, limits).map_err(|e| match e.cause {
        FailureCause::Load => anyhow::Error::new(NotAConnector(e.message)),
        _ => anyhow::anyhow!("info() failed: {}", e.message),
    })?;
    println!("name:        {}", itwin_runtime::escape(&info.name));
    println!("version:     {}", itwin_runtime::escape(&info.version));
    println!("description: {}", itwin_runtime::escape(&info.description));
    println!("deletion:    {}", info.deletion.wit_name());
    println!("imports:");
    for i in imports {
        match itwin_runtime::refused_import(&i) {
            Some(why) => println!("  {i}  (linked, every call refused: {why})"),
            None => println!("  {i}"),
        }
    }
    println!("exports:");
    for e in exports {
        println!("  {e}");
    }
    Ok(())
}

/// Prints the job's log on stderr, and a progress bar when stderr is a terminal.
struct ConsoleObserver {
    verbose: bool,
    bar: Option<indicatif::ProgressBar>,
    /// Without a terminal: the phase being reported, when it started, and the last line's time.
    phase: Option<(String, std::time::Instant)>,
    last_line: Option<std::time::Instant>,
}

/// How often a long phase prints a progress line when stderr is not a terminal (CI logs).
const PROGRESS_LINE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl ConsoleObserver {
    fn new(verbose: bool) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix:>22} [{bar:30}] {pos}/{len} {per_sec} ETA {eta} {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        ConsoleObserver { verbose, bar, phase: None, last_line: None }
    }
}

impl JobObserver for ConsoleObserver {
    fn log(&mut self, line: &LogLine) {
        let (label, show) = match line.level {
            LogLevel::Trace => ("trace", self.verbose),
            LogLevel::Debug => ("debug", self.verbose),
            LogLevel::Info => ("info", true),
            LogLevel::Warn => ("warn", true),
            LogLevel::Error => ("error", true),
        };
        if show {
            // Guest text arrives escaped to one line; the prefix says whose it is, so no guest
            // line starts like the host's own `error:` or `hint:`.
            let text = match line.source {
                LogSource::Connector => format!("[connector] {label}: {}", line.message),
                LogSource::Stdout => format!("[guest stdout] {}", line.message),
                LogSource::Stderr => format!("[guest stderr] {}", line.message),
                LogSource::Host => format!("note: {}", line.message),
            };
            match &self.bar {
                Some(bar) => bar.println(text),
                None => eprintln!("{text}"),
            }
        }
    }

    fn progress(&mut self, phase: &str, done: u64, total: Option<u64>) {
        match &self.bar {
            Some(bar) => {
                if bar.prefix() != phase {
                    // A new phase: its rate and ETA start over.
                    bar.reset();
                    bar.set_prefix(phase.to_owned());
                }
                bar.set_length(total.unwrap_or(done));
                bar.set_position(done);
            }
            None => {
                let now = std::time::Instant::now();
                if self.phase.as_ref().is_none_or(|(p, _)| p != phase) {
                    self.phase = Some((phase.to_owned(), now));
                    self.last_line = Some(now);
                }
                let started = self.phase.as_ref().map_or(now, |(_, t)| *t);
                let finished = total.is_some_and(|t| t == done);
                let due = self.last_line.is_none_or(|t| now - t >= PROGRESS_LINE_EVERY);
                if finished || due {
                    self.last_line = Some(now);
                    eprintln!("progress: {}", progress_line(phase, done, total, now - started));
                }
            }
        }
    }
}

/// `update-existing-data 412000/1000000 (12345/s, ETA 48 s)`: a long phase's line in a log.
fn progress_line(phase: &str, done: u64, total: Option<u64>, elapsed: std::time::Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
    match total {
        Some(total) if done >= total => format!("{phase} {done}/{total}"),
        Some(total) if done > 0 => {
            let eta = (total - done) as f64 / rate;
            format!("{phase} {done}/{total} ({rate:.0}/s, ETA {eta:.0} s)")
        }
        Some(total) => format!("{phase} {done}/{total}"),
        None => format!("{phase} {done} ({rate:.0}/s)"),
    }
}

fn apply(file: &Path, changes: Option<&Path>) -> Result<()> {
    let text = match changes {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        None => {
            eprintln!("no change file given: writing the built-in example asset register");
            EXAMPLE_CHANGES.to_owned()
        }
    };
    let mut bim = if file.exists() {
        Briefcase::open(file)?
    } else {
        eprintln!("creating {}", file.display());
        Briefcase::create(file, &RootSubject::named(&default_name(file)))?
    };
    let lines = text.lines().count() as u64;
    let bar = if std::io::stderr().is_terminal() && lines > 1000 {
        indicatif::ProgressBar::new(lines)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let start = Instant::now();
    let summary = itwin_imodel::changes::apply(&mut bim, text.as_bytes(), |done| {
        if done % 256 == 0 {
            bar.set_position(done as u64);
        }
    });
    bar.finish_and_clear();
    let summary = summary.with_context(|| format!("nothing was written to {}", file.display()))?;
    bim.close()?;
    for ((op, class), n) in &summary.counts {
        println!("{op:<18} {n:>8}  {class}");
    }
    println!(
        "applied to {}: {} inserted, {} updated, {} deleted in {:.2} s",
        file.display(),
        summary.total("insert")
            + summary.total("insertModel")
            + summary.total("insertAspect")
            + summary.total("insertRelationship"),
        summary.total("update") + summary.total("updateAspect"),
        summary.total("delete"),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn info(file: &Path) -> Result<()> {
    let bim = Briefcase::open(file)?;
    let prop = |ns: &str, name: &str| bim.file_property_text(ns, name).map(Option::unwrap_or_default);
    println!("file: {}", file.display());
    for (ns, label) in [("be_Db", "BeSQLite"), ("ec_Db", "ECDb"), ("dgn_Db", "DgnDb")] {
        println!("{label} profile: {}", prop(ns, "SchemaVersion")?);
    }
    println!("project extents: {}", prop("dgn_Db", "Extents")?);
    println!("elements:");
    for (class, n) in bim.element_counts()? {
        println!("  {n:>8}  {class}");
    }
    bim.close()?;
    Ok(())
}

/// The root subject name for a new file: its file name without extension.
fn default_name(file: &Path) -> String {
    file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "iModel".to_owned())
}

/// A component that instantiates as no connector (`inspect`).
#[derive(Debug)]
struct NotAConnector(String);

impl std::fmt::Display for NotAConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAConnector {}

/// A next step for the errors users can act on.
fn hint(error: &anyhow::Error) -> Option<&'static str> {
    if let Some(open) = error.downcast_ref::<OpenError>() {
        return Some(match open {
            OpenError::Locked { .. } => "another program (iTwin.js, or another itwin-host) has it open for writing",
            OpenError::AlreadyExists { .. } => "choose another file name, or `apply` changes to the existing file",
            OpenError::UnsupportedProfile { .. } => {
                "this file was written by a newer or older iTwin.js; open it with a matching version"
            }
            OpenError::NotAnIModel { .. } => "give the path of a .bim file",
            _ => return None,
        });
    }
    if let Some(problem) = error.downcast_ref::<scaffold::ScaffoldError>() {
        return match problem {
            scaffold::ScaffoldError::BadName(_) => {
                Some("the folder's name becomes the connector's name, e.g. site-markers")
            }
            scaffold::ScaffoldError::NotEmpty(_) => Some("choose a new folder: nothing was written"),
            scaffold::ScaffoldError::Write { .. } => None,
        };
    }
    if let Some(load) = error.downcast_ref::<itwin_runtime::LoadError>() {
        return Some(itwin_runtime::load_hint(&load.to_string()));
    }
    if let Some(NotAConnector(message)) = error.downcast_ref::<NotAConnector>() {
        return Some(itwin_runtime::load_hint(message));
    }
    if let Some(failure) = error.downcast_ref::<JobFailure>() {
        let untouched = match failure.on_disk {
            OnDisk::Unchanged => "the iModel is as it was before the run; the error file has the details",
            OnDisk::NothingWritten => "no iModel was written; the error file has the details",
        };
        return Some(match failure.kind {
            FailureCause::Load => itwin_runtime::load_hint(&failure.cause),
            FailureCause::Trap if failure.cause.contains("expected a string, received") => {
                "a JavaScript connector must throw a string from a lifecycle function: the TypeScript SDK \
                 (sdk/typescript) turns any exception into one"
            }
            FailureCause::Deadline => "raise --timeout if the source is that large",
            FailureCause::Memory => "raise --memory-limit if the source needs it",
            FailureCause::Fuel => "raise --fuel if the source needs it",
            FailureCause::Locked => "wait for the other run to finish, or give --wait SECONDS",
            FailureCause::Refused => {
                "the connector asked for something that is not its job's (see the threat model in README.md)"
            }
            _ => untouched,
        });
    }
    let refused_line =
        matches!(error.downcast_ref::<ChangeError>(), Some(ChangeError::Line { cause: LineError::Write(_), .. }));
    if refused_line || error.chain().any(|e| e.downcast_ref::<WriteError>().is_some()) {
        return Some("nothing was written: fix the line named above and run again");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn progress_lines_give_the_rate_and_what_is_left() {
        let second = std::time::Duration::from_secs(1);
        assert_eq!(progress_line("update", 500, Some(2000), 10 * second), "update 500/2000 (50/s, ETA 30 s)");
        assert_eq!(progress_line("update", 2000, Some(2000), 10 * second), "update 2000/2000");
        assert_eq!(progress_line("update", 0, Some(2000), second), "update 0/2000");
        assert_eq!(progress_line("update", 300, None, 3 * second), "update 300 (100/s)");
    }
}
