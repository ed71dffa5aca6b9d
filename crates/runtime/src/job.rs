//! Job arguments: the iTwin.js framework's job file (`{"version": "0.0.1", "jobArgs": {…}}`)
//! plus ours, overridden by command-line flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// Why a job's arguments cannot make a job: one line for the user.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A file the job names cannot be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Unreadable {
        /// `the job file` or `synchConfigFile`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file the job names is not the JSON it should be.
    #[error("{} is not {what}: {source}", path.display())]
    NotJson {
        /// What it should be.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// Anything else wrong with the arguments, with what to do about it.
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, JobError>;

/// Returns [`JobError::Invalid`] from the function.
macro_rules! invalid {
    ($($arg:tt)*) => { return Err(JobError::Invalid(format!($($arg)*))) };
}

/// The default wall-clock limit of a job: three hours. A first sync of ten million elements takes
/// well under half of it on a 2-core machine (README's scale table); a connector that loops
/// forever is still stopped the same day. A job that outgrows it says what to give `--timeout`.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(3 * 3600);

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
        Limits { memory: 1 << 30, deadline: DEFAULT_DEADLINE, fuel: None }
    }
}

/// How the iModel is opened: always a fresh file, or opened and updated in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbType {
    /// A new file every run; nothing is deleted.
    Snapshot,
    /// Opened (or created) and synchronized incrementally.
    Standalone,
}

impl DbType {
    /// Parses the job file's / command line's `dbType` (`standalone`, `snapshot`).
    ///
    /// # Errors
    /// [`JobError::Invalid`] for any other value, with a hint (`briefcase` needs iModelHub).
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "snapshot" => Ok(DbType::Snapshot),
            "standalone" => Ok(DbType::Standalone),
            "briefcase" => invalid!("dbType \"briefcase\" needs iModelHub, which itwin-host does not reach: use \"standalone\" or \"snapshot\""),
            other => invalid!("unknown dbType {other:?}: use \"standalone\" or \"snapshot\""),
        }
    }
}

/// The channel a job's elements are in (iTwin.js channel control, see DEVELOPERS.md).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Channel {
    /// The connector's own channel, keyed by its name (the default).
    #[default]
    Connector,
    /// A channel of this key.
    Key(String),
    /// The shared channel: no channel root (the framework's default).
    Shared,
}

impl Channel {
    /// The channel key for a connector named `connector`; `None` for the shared channel.
    pub fn key(&self, connector: &str) -> Option<String> {
        match self {
            Channel::Connector => Some(connector.to_owned()),
            Channel::Key(key) => Some(key.clone()),
            Channel::Shared => None,
        }
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct JobArgs {
    /// The connector component (`.wasm`).
    pub connector: PathBuf,
    /// The source file the connector reads (mounted read-only at `/source`).
    pub source: PathBuf,
    /// The iModel written (a standalone file updated in place, or a new snapshot).
    pub output: PathBuf,
    /// Standalone (incremental) or snapshot (a new file each run).
    pub db_type: DbType,
    /// Where a failed run writes its `error.json`.
    pub error_file: PathBuf,
    /// Remove the job's data instead of synchronizing.
    pub unmap: bool,
    /// The job file's `connectorArgs`, handed to the connector as JSON.
    pub connector_args: Value,
    /// Extra props for the SynchronizationConfigLink (the job's `synchConfigFile`).
    pub synch_config: Option<Value>,
    /// Names the change in the file's history (the framework's `revisionHeader`).
    pub revision_header: String,
    /// Memory, deadline and fuel of the whole job.
    pub limits: Limits,
    /// The channel the job's elements are in.
    pub channel: Channel,
    /// How long to wait for another run on the same iModel to finish (0: fail at once).
    pub wait: Duration,
}

/// The job file: the framework's keys, and ours (`output`, `connector`, limits).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobFileArgs {
    /// `source`: the source file.
    pub source: Option<PathBuf>,
    /// `stagingDir`: where the output goes when `output` is not given.
    pub staging_dir: Option<PathBuf>,
    /// `dbType`: `standalone` or `snapshot`.
    pub db_type: Option<String>,
    /// `revisionHeader`.
    pub revision_header: Option<String>,
    /// `synchConfigFile`: a JSON file of extra props for the SynchronizationConfigLink.
    pub synch_config_file: Option<PathBuf>,
    /// `errorFile`.
    pub error_file: Option<PathBuf>,
    /// `shouldUnmapSource`: unmap instead of synchronizing.
    pub should_unmap_source: Option<bool>,
    /// `connectorArgs`: JSON handed to the connector.
    pub connector_args: Option<Value>,
    /// `output` (ours): the iModel file.
    pub output: Option<PathBuf>,
    /// `connector` (ours): the component.
    pub connector: Option<PathBuf>,
    /// `memoryLimitMb` (ours).
    pub memory_limit_mb: Option<u64>,
    /// `timeoutSeconds` (ours).
    pub timeout_seconds: Option<u64>,
    /// `fuel` (ours).
    pub fuel: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobFile {
    version: String,
    job_args: Option<JobFileArgs>,
}

/// Reads a job file; relative paths in it are relative to the file's folder.
///
/// # Errors
/// The file cannot be read, is not JSON of the job file's shape, is not version `0.0.1` or has
/// no `jobArgs`.
pub fn read_job_file(path: &Path) -> Result<JobFileArgs> {
    let text = std::fs::read_to_string(path).map_err(|source| JobError::Unreadable {
        what: "the job file",
        path: path.into(),
        source,
    })?;
    let file: JobFile = serde_json::from_str(&text).map_err(|source| JobError::NotJson {
        what: "a job file",
        path: path.into(),
        source,
    })?;
    if file.version != "0.0.1" {
        invalid!("{}: job file version {:?} is not supported (expected \"0.0.1\")", path.display(), file.version);
    }
    let Some(mut args) = file.job_args else { invalid!("{}: the job file has no \"jobArgs\"", path.display()) };
    let base = path.parent().unwrap_or(Path::new("."));
    for p in [
        &mut args.source,
        &mut args.staging_dir,
        &mut args.synch_config_file,
        &mut args.error_file,
        &mut args.output,
        &mut args.connector,
    ]
    .into_iter()
    .flatten()
    {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    }
    Ok(args)
}

/// What the command line gives, each overriding the job file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// The component (positional argument).
    pub connector: Option<PathBuf>,
    /// `--source`.
    pub source: Option<PathBuf>,
    /// `--output`.
    pub output: Option<PathBuf>,
    /// `--db-type`.
    pub db_type: Option<String>,
    /// `--error-file`.
    pub error_file: Option<PathBuf>,
    /// `--unmap`.
    pub unmap: bool,
    /// `--memory-limit` in MiB.
    pub memory_limit_mb: Option<u64>,
    /// `--timeout` in seconds.
    pub timeout_seconds: Option<u64>,
    /// `--fuel`.
    pub fuel: Option<u64>,
    /// `--channel-key`.
    pub channel_key: Option<String>,
    /// `--shared-channel`.
    pub shared_channel: bool,
    /// `--wait` in seconds.
    pub wait_seconds: Option<u64>,
}

impl JobArgs {
    /// Combines a job file (if any) with command-line overrides and fills the defaults.
    ///
    /// # Errors
    /// No connector or source given, the source is not a file, an unknown `dbType`, an
    /// unreadable `synchConfigFile`, or contradictory channel flags.
    pub fn resolve(file: JobFileArgs, flags: Overrides) -> Result<JobArgs> {
        let Some(connector) = flags.connector.or(file.connector) else { invalid!("no connector: give the .wasm file") };
        let Some(source) = flags.source.or(file.source) else {
            invalid!("no source: give --source <file> (or jobArgs.source)")
        };
        if !source.is_file() {
            invalid!("the source {} is not a file", source.display());
        }
        let db_type = DbType::parse(flags.db_type.or(file.db_type).as_deref().unwrap_or("standalone"))?;
        let stem = source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "job".into());
        let output = match flags.output.or(file.output) {
            Some(o) => o,
            None => file.staging_dir.clone().unwrap_or_default().join(format!("{stem}.bim")),
        };
        let error_file = flags.error_file.or(file.error_file).unwrap_or_else(|| match &file.staging_dir {
            Some(dir) => dir.join("error.json"),
            None => output.with_extension("error.json"),
        });
        let synch_config = match &file.synch_config_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| JobError::Unreadable {
                    what: "synchConfigFile",
                    path: path.clone(),
                    source,
                })?;
                let json = serde_json::from_str(&text).map_err(|source| JobError::NotJson {
                    what: "JSON (synchConfigFile)",
                    path: path.clone(),
                    source,
                })?;
                Some(json)
            }
            None => None,
        };
        let defaults = Limits::default();
        let limits = Limits {
            memory: flags.memory_limit_mb.or(file.memory_limit_mb).map_or(defaults.memory, |mb| (mb as usize) << 20),
            deadline: flags.timeout_seconds.or(file.timeout_seconds).map_or(defaults.deadline, Duration::from_secs),
            fuel: flags.fuel.or(file.fuel),
        };
        Ok(JobArgs {
            connector,
            source,
            output,
            db_type,
            error_file,
            unmap: flags.unmap || file.should_unmap_source.unwrap_or(false),
            connector_args: file.connector_args.unwrap_or_else(|| serde_json::json!({})),
            synch_config,
            revision_header: file.revision_header.unwrap_or_else(|| "itwin-host".into()),
            limits,
            channel: match (flags.channel_key, flags.shared_channel) {
                (Some(_), true) => invalid!("--channel-key and --shared-channel exclude each other: choose one"),
                (Some(key), false) if key.trim().is_empty() => invalid!("--channel-key needs a non-empty key"),
                (Some(key), false) if key == "shared" => Channel::Shared,
                (Some(key), false) => Channel::Key(key),
                (None, true) => Channel::Shared,
                (None, false) => Channel::Connector,
            },
            wait: Duration::from_secs(flags.wait_seconds.unwrap_or(0)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_files_need_version_0_0_1_and_job_args() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.json");
        std::fs::write(&path, r#"{"version": "0.0.2", "jobArgs": {}}"#).unwrap();
        assert!(read_job_file(&path).unwrap_err().to_string().contains("0.0.2"));
        std::fs::write(&path, r#"{"version": "0.0.1"}"#).unwrap();
        assert!(read_job_file(&path).unwrap_err().to_string().contains("jobArgs"));
        std::fs::write(&path, r#"{"version": "0.0.1", "jobArgs": {"source": "site.json", "dbType": "snapshot", "shouldUnmapSource": true, "connectorArgs": {"x": 1}}}"#).unwrap();
        let args = read_job_file(&path).unwrap();
        assert_eq!(args.source.unwrap(), dir.path().join("site.json"));
        assert_eq!(args.db_type.as_deref(), Some("snapshot"));
    }

    #[test]
    fn flags_override_the_job_file_and_defaults_fill_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("site.json");
        std::fs::write(&source, "{}").unwrap();
        let file = JobFileArgs {
            source: Some(source.clone()),
            db_type: Some("snapshot".into()),
            timeout_seconds: Some(5),
            ..Default::default()
        };
        let flags =
            Overrides { connector: Some("c.wasm".into()), db_type: Some("standalone".into()), ..Default::default() };
        let args = JobArgs::resolve(file, flags).unwrap();
        assert_eq!(args.db_type, DbType::Standalone);
        assert_eq!(args.limits.deadline, Duration::from_secs(5));
        assert_eq!(args.output, PathBuf::from("site.bim"));
        assert_eq!(args.error_file, PathBuf::from("site.error.json"));
        assert!(DbType::parse("briefcase").unwrap_err().to_string().contains("iModelHub"));
    }
}
