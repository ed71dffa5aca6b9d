//! The empty seed iModel, made once by `SnapshotDb.createEmpty` of the pinned iTwin.js version
//! (`scripts/make-seed.sh` regenerates it), and what makes a copy of it a new iModel of its own.

use std::path::Path;

use rusqlite::Connection;

use super::error::OpenError;

/// The seed file's bytes, embedded so `itwin-host` needs no iTwin.js at run time.
pub const SEED_IMODEL: &[u8] = include_bytes!("../seed/empty.bim");

/// Name and description of a new iModel's root subject (element 0x1).
#[derive(Debug, Clone)]
pub struct RootSubject {
    /// The root subject's code value: the iModel's name.
    pub name: String,
    /// Its description.
    pub description: String,
}

impl RootSubject {
    /// A root subject with this name and no description.
    pub fn named(name: &str) -> Self {
        RootSubject { name: name.to_owned(), description: String::new() }
    }
}

pub(super) fn write_seed(path: &Path) -> Result<(), OpenError> {
    use std::io::Write;
    let io = |source| OpenError::Io { path: path.to_owned(), source };
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            OpenError::AlreadyExists { path: path.to_owned() }
        } else {
            io(e)
        }
    })?;
    file.write_all(SEED_IMODEL).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Gives a fresh copy of the seed its own identity: DbGuid, creation date, root subject.
pub(super) fn initialize(conn: &mut Connection, root: &RootSubject) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    let guid = uuid::Uuid::new_v4();
    tx.execute(
        "UPDATE be_Prop SET Data = ?1 WHERE Namespace = 'be_Db' AND Name = 'DbGuid' AND Id = 0 AND SubId = 0",
        [guid.as_bytes().as_slice()],
    )?;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    tx.execute("UPDATE be_Prop SET StrData = ?1 WHERE Namespace = 'be_Db' AND Name = 'CreationDate'", [now])?;
    // The root subject's code value is its name; Subject.Description lives in the joined table,
    // whose column we read from the property map rather than assume.
    tx.execute("UPDATE bis_Element SET CodeValue = ?1, LastMod = julianday('now') WHERE Id = 1", [&root.name])?;
    let (table, column): (String, String) = tx.query_row(
        "SELECT t.Name, col.Name FROM ec_PropertyMap pm \
         JOIN ec_Class c ON c.Id = pm.ClassId JOIN ec_Schema s ON s.Id = c.SchemaId \
         JOIN ec_PropertyPath pp ON pp.Id = pm.PropertyPathId \
         JOIN ec_Column col ON col.Id = pm.ColumnId JOIN ec_Table t ON t.Id = col.TableId \
         WHERE s.Name = 'BisCore' AND c.Name = 'Subject' AND pp.AccessString = 'Description'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let description = (!root.description.is_empty()).then_some(root.description.as_str());
    tx.execute(&format!("UPDATE [{table}] SET [{column}] = ?1 WHERE ElementId = 1"), [description])?;
    tx.commit()
}
