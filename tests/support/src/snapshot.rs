//! The full content of an iModel file as text, to prove that a failed write changed nothing, and
//! as digests, to compare many large files cheaply.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::{types::Value, types::ValueRef, Connection, OpenFlags};
use sha2::{Digest, Sha256};

/// Every row of every ordinary table, in rowid order, rendered as text.
pub fn content(path: &Path) -> String {
    let conn = open(path);
    let mut out = String::new();
    for table in tables(&conn) {
        out.push_str(&format!("## {table}\n"));
        let mut stmt = conn.prepare(&format!("SELECT * FROM [{table}]")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values: Vec<Value> = (0..n).map(|i| row.get(i).unwrap()).collect();
            out.push_str(&format!("{values:?}\n"));
        }
    }
    out
}

/// SHA-256 (hex) of what `content` renders, hashed value by value: a 100,000-element file would
/// be ~100 MB of text.
pub fn digest(path: &Path) -> String {
    hash(path, false)
}

/// `digest` without the values a write stamps afresh each time — modification times (`LastMod`,
/// `LastSuccessfulRun`) and new random GUIDs (`FederationGuid`, `GeometryGuid`) — so two runs
/// that did the same work on copies of one file have the same digest.
pub fn digest_of_work(path: &Path) -> String {
    hash(path, true)
}

const STAMPS: &str = "'LastMod', 'LastSuccessfulRun', 'FederationGuid', 'GeometryGuid'";

fn open(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn tables(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Per table and column, the classes whose stamp property is mapped to it. A column holds
/// different properties for different classes (`js3` is LastSuccessfulRun for a
/// SynchronizationConfigLink but RepositoryGuid for a RepositoryLink), so only those classes'
/// values are left out.
fn stamp_columns(conn: &Connection) -> HashMap<(String, String), HashSet<i64>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT t.Name, c.Name, m.ClassId FROM ec_PropertyMap m JOIN ec_PropertyPath p ON p.Id = m.PropertyPathId \
             JOIN ec_Column c ON c.Id = m.ColumnId JOIN ec_Table t ON t.Id = c.TableId WHERE p.AccessString IN ({STAMPS})"
        ))
        .unwrap();
    let mut out: HashMap<(String, String), HashSet<i64>> = HashMap::new();
    let mut rows = stmt.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        out.entry((row.get(0).unwrap(), row.get(1).unwrap())).or_default().insert(row.get(2).unwrap());
    }
    out
}

fn hash(path: &Path, without_stamps: bool) -> String {
    let conn = open(path);
    let stamps = if without_stamps { stamp_columns(&conn) } else { HashMap::new() };
    let mut sha = Sha256::new();
    for table in tables(&conn) {
        sha.update(table.as_bytes());
        sha.update([0]);
        let mut stmt = conn.prepare(&format!("SELECT * FROM [{table}]")).unwrap();
        let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let class_column = names.iter().position(|n| n == "ECClassId");
        let stamped: Vec<Option<&HashSet<i64>>> =
            names.iter().map(|n| stamps.get(&(table.clone(), n.clone()))).collect();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let class: Option<i64> = class_column.map(|i| row.get(i).unwrap());
            for (i, classes) in stamped.iter().enumerate() {
                // A table without a class column holds one class: its stamps are all left out.
                if classes.is_some_and(|c| class.is_none_or(|class| c.contains(&class))) {
                    sha.update([b's']);
                    continue;
                }
                match row.get_ref(i).unwrap() {
                    ValueRef::Null => sha.update([b'n']),
                    ValueRef::Integer(v) => {
                        sha.update([b'i']);
                        sha.update(v.to_le_bytes());
                    }
                    ValueRef::Real(v) => {
                        sha.update([b'r']);
                        sha.update(v.to_le_bytes());
                    }
                    ValueRef::Text(b) => bytes(&mut sha, b't', b),
                    ValueRef::Blob(b) => bytes(&mut sha, b'b', b),
                }
            }
        }
    }
    sha.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn bytes(sha: &mut Sha256, tag: u8, b: &[u8]) {
    sha.update([tag]);
    sha.update((b.len() as u64).to_le_bytes());
    sha.update(b);
}
