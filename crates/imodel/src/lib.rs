//! The briefcase: a real iModel (`.bim`) file, written directly with SQLite.
//!
//! A [`Briefcase`] is created from an empty seed made by the official iTwin.js library (embedded in
//! the binary) or opened from an existing file. Writes take the iTwin.js wire format (ElementProps
//! JSON) and are mapped onto the file's own tables through its `ec_*` metadata, so the same code
//! writes any class of any schema in the file. Every write runs inside a transaction: a failed
//! operation leaves nothing behind, and [`Briefcase::rollback`] restores the file exactly.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use itwin_imodel::{Briefcase, RootSubject};
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("site.bim");
//! let mut bim = Briefcase::create(&path, &RootSubject::named("Site"))?;
//! bim.begin()?;
//! let subject = bim.insert_element(&json!({
//!     "classFullName": "BisCore:Subject", "model": "0x1",
//!     "code": { "spec": "bis:Subject", "scope": "0x1", "value": "Survey" },
//!     "parent": { "id": "0x1" }, "description": "imported survey",
//! }))?;
//! bim.commit()?;
//!
//! // Read back as iTwin.js `getElementProps` reports it.
//! let props = bim.element_props(subject)?.expect("just inserted");
//! assert_eq!(props["code"]["value"], "Survey");
//! assert_eq!(props["description"], "imported survey");
//! bim.close()?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod aspects;
pub mod changes;
mod codes;
mod delete;
mod ecschema;
mod elements;
mod error;
mod file_properties;
#[cfg(test)]
pub(crate) mod fuzz_tests;
mod geometric_columns;
mod geometry;
pub mod id64;
mod known_rows;
mod models;
mod navigation;
mod profile;
mod props;
mod queries;
mod read;
mod relationships;
mod resolved;
mod seed;
mod spatial;
#[cfg(any(test, feature = "test-support"))]
pub mod sql_functions;
#[cfg(not(any(test, feature = "test-support")))]
mod sql_functions;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
mod txn;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use aspects::{AspectProvenance, ExternalSourceAspectRow};
pub use codes::CodeScopeType;
pub(crate) use ecschema::{ClassInfo, SchemaCache};
pub use error::{OpenError, WriteError};
pub use file_properties::SpatialFrame;
pub use profile::SUPPORTED_PROFILES;
pub use queries::TreeRow;
pub use read::ReadOptions;
pub use resolved::{Reference, Resolved, ResolvedCode, ResolvedElement, WriteCheck};
pub use seed::{RootSubject, SEED_IMODEL};

use known_rows::KnownRows;
use txn::TxnState;

/// An iModel open for writing. Holds the file's write lock until [`Briefcase::close`] or drop.
pub struct Briefcase {
    conn: Connection,
    path: PathBuf,
    schema: SchemaCache,
    known: KnownRows,
    txn: Option<TxnState>,
    aspect_queries: Option<aspects::AspectQueries>,
    /// `DELETE` statements for the link tables, removing rows that end at an element.
    link_tables: Option<Vec<String>>,
    /// Made by [`Briefcase::create_private`]: journal in memory until closed.
    private: bool,
}

impl Briefcase {
    /// Creates `path` from the embedded seed iModel with a fresh DbGuid, creation date and the given
    /// root subject. Refuses to overwrite an existing file.
    pub fn create(path: &Path, root: &RootSubject) -> Result<Self, OpenError> {
        seed::write_seed(path)?;
        let mut briefcase = Self::open(path)?;
        seed::initialize(&mut briefcase.conn, root).map_err(|source| {
            let _ = std::fs::remove_file(path);
            OpenError::Sqlite { path: path.to_owned(), source }
        })?;
        Ok(briefcase)
    }

    /// [`Briefcase::create`] for a file nobody sees until it is complete: one written aside and
    /// renamed into place by the caller, who discards it if anything fails. Its rollback journal
    /// is kept in memory until [`Briefcase::close`] puts the file back in WAL mode: a new file's
    /// pages did not exist before the transaction, so there is almost nothing to journal, and
    /// each page is written to the file once instead of to the WAL and then again by the
    /// checkpoint. A process killed meanwhile leaves a broken file — which is why it must be
    /// the caller's private one.
    pub fn create_private(path: &Path, root: &RootSubject) -> Result<Self, OpenError> {
        let mut briefcase = Self::create(path, root)?;
        let sqlite = |source| OpenError::Sqlite { path: path.to_owned(), source };
        briefcase.conn.query_row("PRAGMA journal_mode = MEMORY", [], |_| Ok(())).map_err(sqlite)?;
        briefcase.private = true;
        Ok(briefcase)
    }

    /// Opens an existing iModel for writing. Refuses files that are not iModels, have profile
    /// versions this writer does not support, or are held by another writer.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let sqlite = |source| OpenError::Sqlite { path: path.to_owned(), source };
        if !path.is_file() {
            return Err(OpenError::Io {
                path: path.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        check_sqlite_header(path)?;
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(sqlite)?;
        // Another writer's lock should fail us at once, not after rusqlite's default 5 s wait.
        conn.busy_timeout(std::time::Duration::ZERO).map_err(sqlite)?;
        profile::check(&conn, path)?;
        // Keep the write lock for as long as we hold the file, as the native library does for a
        // briefcase open for writing: nobody else may write between our transactions.
        // A large page cache: connector jobs insert into a dozen indexes per element, and with
        // SQLite's default 2 MB cache every random-key index insert (FederationGuid) spills.
        // Temp store in memory: every write runs under a savepoint, whose sub-journal would
        // otherwise be a temp file written page by page.
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;")
            .map_err(sqlite)?;
        match conn.execute_batch("BEGIN IMMEDIATE; COMMIT;") {
            Ok(()) => {}
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DatabaseBusy => {
                return Err(OpenError::Locked { path: path.to_owned() });
            }
            Err(e) => return Err(sqlite(e)),
        }
        // A writer that is busy elsewhere has had its chance above; don't queue behind readers.
        conn.busy_timeout(std::time::Duration::from_secs(1)).map_err(sqlite)?;
        conn.set_prepared_statement_cache_capacity(256);
        sql_functions::register(&conn).map_err(sqlite)?;
        Ok(Briefcase {
            conn,
            path: path.to_owned(),
            schema: SchemaCache::default(),
            known: KnownRows::default(),
            txn: None,
            aspect_queries: None,
            link_tables: None,
            private: false,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite connection, for tests that check the file's rows directly.
    #[cfg(any(test, feature = "test-support"))]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Checkpoints the WAL into the file and closes it, so the `.bim` alone holds everything.
    /// An open transaction is rolled back first.
    pub fn close(mut self) -> Result<(), WriteError> {
        if self.txn.is_some() {
            self.rollback()?;
        }
        if self.private {
            // Back to the WAL mode iTwin.js files are in (the seed's); nothing to checkpoint.
            self.conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        }
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn.close().map_err(|(_, e)| WriteError::Sqlite(e))
    }
}

fn check_sqlite_header(path: &Path) -> Result<(), OpenError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|source| OpenError::Io { path: path.to_owned(), source })?;
    let n = file.read(&mut header).map_err(|source| OpenError::Io { path: path.to_owned(), source })?;
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(OpenError::NotAnIModel { path: path.to_owned(), why: "it is not an SQLite database".to_owned() });
    }
    Ok(())
}
