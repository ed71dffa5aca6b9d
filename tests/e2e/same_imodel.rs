//! The same source gives the same iModel from every language: the asset-register example in
//! Rust, Python and TypeScript, each run on v1 then v2 of the register (the same source path
//! across runs), and the three iModels compared as iTwin.js reads them
//! (tests/compat/dump-imodel.js): per-class counts, and every element's code, label, parent,
//! placement, box, geometry and properties, every ExternalSourceAspect's identifier, kind,
//! version and checksum, and the relationships. Only ids, LastMod, FederationGuids and the
//! run's time may differ, and the dump leaves them out.

use std::path::Path;
use std::time::Duration;

use itwin_test_support::compat;
use serde_json::Value;

use crate::run::{guest, PinnedHost};

const EXAMPLES: [(&str, &str); 3] =
    [("Rust", "asset_register"), ("Python", "python_asset_register"), ("TypeScript", "ts_asset_register")];

/// Runs every example on `register` in its own folder (source `site.json`, iModel `site.bim`)
/// and returns each one's dump.
fn run_all(host: &PinnedHost, root: &Path, register: &str, expect: (usize, usize, usize, usize)) -> Vec<String> {
    let data = itwin_test_support::repo_root().join("guest-examples/rust-asset-register/data");
    EXAMPLES
        .iter()
        .map(|(language, name)| {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(data.join(register), dir.join("site.json")).unwrap();
            let r = host
                .run_in(&dir, &guest(name), "site.json", "site.bim", &[], Duration::from_secs(300))
                .unwrap_or_else(|e| panic!("{language}: {e}"));
            assert!(r.ok, "{language} on {register}:\n{}\n{}", r.stdout, r.stderr);
            assert_eq!(r.totals(), expect, "{language} on {register}:\n{}", r.stdout);
            compat::node("dump-imodel.js", &[&dir.join("site.bim")])
        })
        .collect()
}

#[test]
fn rust_python_and_typescript_write_the_same_imodel() {
    let dir = tempfile::tempdir().unwrap();
    let host = PinnedHost::new();
    for (register, totals) in [("site-v1.json", (44, 3, 0, 0)), ("site-v2.json", (1, 6, 3, 10))] {
        let dumps = run_all(&host, dir.path(), register, totals);
        let rust: Value = serde_json::from_str(&dumps[0]).unwrap();
        // Not an empty comparison: the register's assets, with their aspects, are all there.
        assert!(rust["counts"]["Generic:PhysicalObject"].as_u64() >= Some(10), "{}", rust["counts"]);
        assert!(rust["aspects"].as_array().is_some_and(|a| a.len() >= 10), "{}", rust["aspects"]);
        for ((language, _), dump) in EXAMPLES.iter().zip(&dumps).skip(1) {
            if dump != &dumps[0] {
                let diff: Vec<String> = dumps[0]
                    .lines()
                    .zip(dump.lines())
                    .enumerate()
                    .filter(|(_, (a, b))| a != b)
                    .take(10)
                    .map(|(i, (a, b))| format!("line {i}: Rust {a} | {language} {b}"))
                    .collect();
                panic!("{language} wrote another iModel than Rust from {register}:\n{}", diff.join("\n"));
            }
        }
    }
}
