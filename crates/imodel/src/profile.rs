//! File-level checks on open: is this an iModel, and are its profile versions ones we can write.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::error::OpenError;

/// A profile version as stored in `be_Prop` (`{"major":3,"minor":1,"sub1":0,"sub2":2}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProfileVersion(pub u32, pub u32, pub u32, pub u32);

impl std::fmt::Display for ProfileVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}.{}", self.0, self.1, self.2, self.3)
    }
}

/// The profiles written by the iTwin.js 5.x native library that made our seed.
pub const SUPPORTED_PROFILES: [(&str, &str, ProfileVersion); 3] = [
    ("be_Db", "BeSQLite", ProfileVersion(3, 1, 0, 2)),
    ("ec_Db", "ECDb", ProfileVersion(4, 0, 0, 5)),
    ("dgn_Db", "DgnDb", ProfileVersion(2, 0, 0, 7)),
];

/// The rule of native `Db::CheckProfileVersion`, for a writer: same major and minor are writable
/// (newer sub-versions only add things older writers may ignore); anything else is refused.
pub fn is_writable(file: ProfileVersion, ours: ProfileVersion) -> bool {
    file.0 == ours.0 && file.1 == ours.1
}

/// Checks that `conn` (opened on `path`) is an iModel whose profiles we can write.
pub fn check(conn: &Connection, path: &Path) -> Result<(), OpenError> {
    let not_imodel = |why: &str| OpenError::NotAnIModel { path: path.to_owned(), why: why.to_owned() };
    let has_prop_table: bool =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'be_Prop'", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                not_imodel("it is not an SQLite database")
            }
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy => {
                OpenError::Locked { path: path.to_owned() }
            }
            other => OpenError::Sqlite { path: path.to_owned(), source: other },
        })? > 0;
    if !has_prop_table {
        return Err(not_imodel("it is an SQLite database without the iModel property table be_Prop"));
    }
    for (namespace, profile, ours) in SUPPORTED_PROFILES {
        let text: Option<String> = conn
            .query_row(
                "SELECT StrData FROM be_Prop WHERE Namespace = ?1 AND Name = 'SchemaVersion' AND Id = 0 AND SubId = 0",
                [namespace],
                |r| r.get(0),
            )
            .optional()
            .map_err(|source| OpenError::Sqlite { path: path.to_owned(), source })?;
        let text = text
            .ok_or_else(|| not_imodel(&format!("it has no {profile} profile version ({namespace} SchemaVersion)")))?;
        let found = parse_version(&text)
            .ok_or_else(|| not_imodel(&format!("its {profile} profile version {text:?} is unreadable")))?;
        if !is_writable(found, ours) {
            return Err(OpenError::UnsupportedProfile {
                path: path.to_owned(),
                profile,
                found: found.to_string(),
                supported: format!("{}.{}.x.x", ours.0, ours.1),
            });
        }
    }
    Ok(())
}

fn parse_version(text: &str) -> Option<ProfileVersion> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let part = |k: &str| v.get(k).and_then(|x| x.as_u64()).and_then(|x| u32::try_from(x).ok());
    Some(ProfileVersion(part("major")?, part("minor")?, part("sub1").unwrap_or(0), part("sub2").unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_sub_versions_are_writable_newer_minors_are_not() {
        let ours = ProfileVersion(4, 0, 0, 5);
        assert!(is_writable(ProfileVersion(4, 0, 0, 5), ours));
        assert!(is_writable(ProfileVersion(4, 0, 1, 0), ours));
        assert!(is_writable(ProfileVersion(4, 0, 0, 1), ours));
        assert!(!is_writable(ProfileVersion(4, 1, 0, 0), ours));
        assert!(!is_writable(ProfileVersion(5, 0, 0, 0), ours));
        assert!(!is_writable(ProfileVersion(3, 9, 0, 0), ours));
    }

    #[test]
    fn parses_be_prop_versions() {
        assert_eq!(parse_version(r#"{"major":3,"minor":1,"sub1":0,"sub2":2}"#), Some(ProfileVersion(3, 1, 0, 2)));
        assert_eq!(parse_version("garbage"), None);
    }
}
