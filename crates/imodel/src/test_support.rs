//! Checks the tests of this crate and of the crates above share (`features = ["test-support"]`).

use crate::Briefcase;

/// `PRAGMA foreign_key_check` finds nothing and `PRAGMA integrity_check` says ok.
pub fn assert_consistent(bim: &Briefcase) {
    let conn = bim.connection();
    let violations: Vec<String> = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| {
            Ok(format!(
                "{}: row {:?} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(violations.is_empty(), "foreign_key_check: {violations:?}");
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
}
