//! The `itwin-host` command line.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use itwin_host::imodel::{Briefcase, OpenError, RootSubject, WriteError};

/// The example change file `apply` uses when none is given.
const EXAMPLE_CHANGES: &str = include_str!("../examples/site.jsonl");

const AFTER_HELP: &str = "Examples:
  itwin-host new site.bim --name \"Site\"          create an empty iModel
  itwin-host apply site.bim                       write the built-in example (an asset register)
  itwin-host apply site.bim changes.jsonl         apply your own change file, all or nothing
  itwin-host show site.bim 0x14                   print an element as iTwin.js wire-format JSON
  itwin-host info site.bim                        profile versions, extents and element counts";

/// Writes real iModels (.bim) that iTwin.js opens; runs iTwin connectors as sandboxed components.
#[derive(Parser)]
#[command(name = "itwin-host", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new, empty iModel from the embedded seed.
    New {
        /// The .bim file to create (must not exist).
        file: PathBuf,
        /// Name of the root subject.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Description of the root subject.
        #[arg(long, value_name = "TEXT", default_value = "")]
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
    },
    /// Print an iModel's profile versions, project extents and element counts per class.
    Info {
        /// The .bim file to read.
        file: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
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

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::New { file, name, description } => {
            let name = name.unwrap_or_else(|| default_name(&file));
            Briefcase::create(&file, &RootSubject { name: name.clone(), description })?.close()?;
            println!("created {} (root subject {name:?})", file.display());
        }
        Command::Apply { file, changes } => apply(&file, changes.as_deref())?,
        Command::Show { file, id } => {
            let mut bim = Briefcase::open(&file)?;
            let id = itwin_host::imodel::id64::parse(&id, "id")?;
            let props = bim.element_props(id)?.with_context(|| format!("no element {id:#x} in {}", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&props)?);
        }
        Command::Info { file } => info(&file)?,
    }
    Ok(())
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
    let summary = itwin_host::changes::apply(&mut bim, text.as_bytes(), |done| {
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
    let conn = bim.connection();
    let prop = |ns: &str, name: &str| -> Option<String> {
        conn.query_row("SELECT StrData FROM be_Prop WHERE Namespace = ?1 AND Name = ?2", [ns, name], |r| r.get(0)).ok()
    };
    println!("file: {}", file.display());
    for (ns, label) in [("be_Db", "BeSQLite"), ("ec_Db", "ECDb"), ("dgn_Db", "DgnDb")] {
        println!("{label} profile: {}", prop(ns, "SchemaVersion").unwrap_or_default());
    }
    println!("project extents: {}", prop("dgn_Db", "Extents").unwrap_or_default());
    let mut stmt = conn.prepare(
        "SELECT s.Name || ':' || c.Name, count(*) FROM bis_Element e JOIN ec_Class c ON c.Id = e.ECClassId \
         JOIN ec_Schema s ON s.Id = c.SchemaId GROUP BY e.ECClassId ORDER BY 2 DESC, 1",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    println!("elements:");
    for row in rows {
        let (class, n) = row?;
        println!("  {n:>8}  {class}");
    }
    drop(stmt);
    bim.close()?;
    Ok(())
}

/// The root subject name for a new file: its file name without extension.
fn default_name(file: &Path) -> String {
    file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "iModel".to_owned())
}

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
    if error.chain().any(|e| e.downcast_ref::<WriteError>().is_some()) {
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
}
