//! TypeScript connectors (componentize-js, on sdk/typescript): errors surface as the host's
//! own message or the exception's name and text, the sandbox stops a JavaScript guest exactly
//! as it stops a Rust one, and a component built with componentize-js's default features (it
//! imports wasi:http) runs, its network calls refused. The example writes the register on v1
//! then v2 as iTwin.js reads it here; `same_imodel.rs` compares its iModel with the other
//! languages' whole.

use std::path::Path;

use itwin_test_support::{compat, snapshot};
use serde_json::Value;

use crate::run::{guest, run};

fn probe(dir: &Path, name: &str, extra: &[&str]) -> String {
    crate::run::probe("ts_probe_connector", dir, name, extra)
}

#[test]
fn a_thrown_error_is_named_by_its_type_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "throw", &[]);
    assert!(
        stderr.contains("failed in open-source-data: the connector returned an error: TypeError: row 7 has no id"),
        "{stderr}"
    );
}

/// Refusals once the job subject exists: a duplicate code (the SDK's context names the
/// partition) and an element written into the dictionary model, outside the job.
#[test]
fn a_host_refusal_nothing_caught_is_the_hosts_own_message() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "refused", &[]);
    assert!(
        stderr.contains(
            "failed in update-existing-data: the connector returned an error: partition Twice: duplicate-code: \
             duplicate code: value \"Twice\" already exists for code spec `bis:InformationPartitionElement` in scope 0x"
        ),
        "{stderr}"
    );
    let stderr = probe(dir.path(), "refused-scope", &[]);
    assert!(
        stderr.contains(
            "failed in update-existing-data: the connector returned an error: out-of-scope: \
             the new `BisCore:SpatialCategory`: its model 0x10 is not under the job subject 0x"
        ),
        "{stderr}"
    );
}

/// A failed TypeScript job leaves an iModel written before exactly as it was.
#[test]
fn a_refused_job_leaves_an_existing_imodel_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (source, bim) = (dir.path().join("site.json"), dir.path().join("site.bim"));
    std::fs::copy(register("site-v1.json"), &source).unwrap();
    let first = run(&guest("ts_asset_register"), &source, &bim, &[]);
    assert!(first.ok, "{}\n{}", first.stdout, first.stderr);
    let before = snapshot::content(&bim);
    let probe_source = dir.path().join("refused.json");
    std::fs::write(&probe_source, r#"{"probe": "refused"}"#).unwrap();
    let r = run(&guest("ts_probe_connector"), &probe_source, &bim, &[]);
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("partition Twice: duplicate-code: duplicate code:"), "{}", r.stderr);
    assert!(snapshot::content(&bim) == before, "the failed job changed {}", bim.display());
}

/// The probe takes its orders from the job file's connectorArgs as well as from its source.
#[test]
fn a_job_files_connector_args_reach_the_connector() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("empty.json");
    std::fs::write(&source, "{}").unwrap();
    let job = dir.path().join("job.json");
    let body = serde_json::json!({ "version": "0.0.1", "jobArgs": {
        "source": source, "connectorArgs": { "probe": "throw" } } });
    std::fs::write(&job, body.to_string()).unwrap();
    let bim = dir.path().join("job.bim");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .arg("run")
        .arg(guest("ts_probe_connector"))
        .arg("--job")
        .arg(&job)
        .arg("--output")
        .arg(&bim)
        .arg("--cache-dir")
        .arg(crate::run::cache_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("[connector] info: probe throw"), "{stderr}");
    assert!(stderr.contains("the connector returned an error: TypeError: row 7 has no id"), "{stderr}");
    assert!(!bim.exists(), "a file was written");
}

/// The probe imports wasi:http (componentize-js's defaults): it instantiates, and the first
/// call into wasi:http stops the job with the reason.
#[test]
fn a_default_componentize_js_build_runs_and_its_fetch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .args(["inspect", guest("ts_probe_connector").to_str().unwrap(), "--cache-dir"])
        .arg(crate::run::cache_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("wasi:http/outgoing-handler@"), "{stdout}");
    assert!(stdout.contains("(linked, every call refused: connectors have no network access)"), "{stdout}");

    let stderr = probe(dir.path(), "fetch", &[]);
    assert!(stderr.contains("refused by the host: the connector called wasi:http/"), "{stderr}");
    assert!(stderr.contains(": connectors have no network access"), "{stderr}");
}

#[test]
fn a_looping_connector_ends_at_the_deadline() {
    crate::run::assert_loop_ends_at_the_deadline("ts_probe_connector");
}

#[test]
fn a_hoarding_connector_ends_at_the_memory_limit() {
    crate::run::assert_hoarding_ends_at_the_memory_limit("ts_probe_connector");
}

/// A register of guest-examples/rust-asset-register/data.
fn register(name: &str) -> std::path::PathBuf {
    itwin_test_support::repo_root().join("guest-examples/rust-asset-register/data").join(name)
}

/// The dump (tests/compat/dump-imodel.js, which runs the integrity checks too) of `bim`.
fn dump(bim: &Path) -> Value {
    serde_json::from_str(&compat::node("dump-imodel.js", &[bim])).unwrap()
}

/// The dumped element whose key starts with `prefix` and ends with `:suffix]`.
fn element<'a>(dump: &'a Value, prefix: &str, suffix: &str) -> &'a Value {
    let suffix = format!(":{suffix}]");
    let found: Vec<&Value> = dump["elements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["key"].as_str().is_some_and(|k| k.starts_with(prefix) && k.ends_with(&suffix)))
        .collect();
    assert_eq!(found.len(), 1, "{prefix}…{suffix}: {found:?}");
    &found[0]["props"]
}

/// The ExternalSourceAspect with this identifier.
fn aspect<'a>(dump: &'a Value, identifier: &str) -> &'a Value {
    dump["aspects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["identifier"] == identifier)
        .unwrap_or_else(|| panic!("no aspect {identifier}"))
}

/// The TypeScript example on v1 then v2 of the register (the same source path), then v2 again,
/// read back by iTwin.js: what the Rust example's README describes. The checksums were computed
/// apart from any SDK (Python's json and hashlib on the normalised item's canonical text).
#[test]
fn the_typescript_example_writes_the_register_on_v1_then_v2() {
    let dir = tempfile::tempdir().unwrap();
    let (source, bim) = (dir.path().join("site.json"), dir.path().join("site.bim"));
    let connector = guest("ts_asset_register");

    std::fs::copy(register("site-v1.json"), &source).unwrap();
    let v1 = run(&connector, &source, &bim, &[]);
    assert!(v1.ok, "{}\n{}", v1.stdout, v1.stderr);
    assert_eq!(v1.totals(), (44, 3, 0, 0), "{}", v1.stdout);
    for line in [
        "register site-register-7 (Riverside Raw Water Pumping Station) revision 2026-11-01: document new",
        "initialised: partitions Assets, Definitions, Groups",
        "progress: import-definitions 3/3",
        "categories: 3 new, 0 changed, 0 unchanged",
        "progress: update-existing-data 9/9",
        "assets: 9 new, 0 changed, 0 unchanged",
        "groups: 2 new, 0 changed, 0 unchanged",
    ] {
        assert!(v1.stderr.contains(line), "{line}:\n{}", v1.stderr);
    }
    let d = dump(&bim);
    assert_eq!(d["counts"]["Generic:PhysicalObject"], 12, "{}", d["counts"]);
    assert_eq!(d["counts"]["BisCore:SpatialCategory"], 3, "{}", d["counts"]);
    assert_eq!(d["counts"]["Generic:Group"], 2, "{}", d["counts"]);

    std::fs::copy(register("site-v2.json"), &source).unwrap();
    let v2 = run(&connector, &source, &bim, &[]);
    assert!(v2.ok, "{}\n{}", v2.stdout, v2.stderr);
    assert_eq!(v2.totals(), (1, 6, 3, 10), "{}", v2.stdout);
    assert!(v2.stderr.contains("assets: 1 new, 2 changed, 6 unchanged"), "{}", v2.stderr);
    let d = dump(&bim);
    assert_eq!(d["counts"]["Generic:PhysicalObject"], 11, "{}", d["counts"]);

    // P-101: coded by its tag in the Assets model, its properties, its solid, its one part.
    let pump = element(&d, "Generic:PhysicalObject[AssetRegister:Tag:", "P-101");
    assert_eq!(pump["code"]["spec"], "AssetRegister:Tag");
    assert_eq!(pump["userLabel"], "Raw water pump 1");
    assert_eq!(
        pump["jsonProperties"]["AssetRegister"],
        serde_json::json!({"manufacturer": "Grundfos", "model": "NK 150-315", "ratedFlowM3h": 420, "ratedPowerKw": 55})
    );
    assert_eq!(pump["placement"]["origin"], serde_json::json!([12.5, 4, 0]), "{pump}");
    assert_eq!(
        pump["geom"][1]["cylinder"],
        serde_json::json!({"capped": true, "start": [-0.8, 0, 0.4], "end": [0.8, 0, 0.4], "radius": 0.4})
    );
    let motor =
        element(&d, "Generic:PhysicalObject[<Generic:PhysicalObject[AssetRegister:Tag", "Raw water pump 1 motor");
    // Part offset (0.6, 0, 0.2) turned by the asset's yaw of 90°, rounded to micrometres.
    assert_eq!(motor["placement"]["origin"], serde_json::json!([12.5, 4.6, 0.2]), "{motor}");
    let pumps = aspect(&d, "A-0001");
    assert_eq!((&pumps["kind"], &pumps["version"]), (&Value::from("Asset"), &Value::from("2")));
    assert_eq!(pumps["checksum"], "80596046dd7037825cf8288e1535676274b2076ffead44f958e307177a724d60");
    let category = aspect(&d, "category:pumps");
    assert_eq!(category["kind"], "Category");
    assert_eq!(category["checksum"], "5bae485edbb2d629f291adcdeeab41d3a8aa9010f461be623a6afe9def6d2049");
    assert_eq!(aspect(&d, "group:raw-water-train")["kind"], "Group");
    let link = element(&d, "BisCore:RepositoryLink[", "site-register-7");
    assert_eq!(
        (&link["url"], &link["userLabel"]),
        (&Value::from("file:///source/site.json"), &Value::from("Riverside Raw Water Pumping Station"))
    );
    let relationships = d["relationships"].to_string();
    assert!(relationships.contains("BisCore:ElementHasLinks BisCore:PhysicalPartition["), "{relationships}");
    let members = d["members"].to_string();
    assert!(members.contains(":P-102] priority 1"), "{members}");

    // The same revision again: the document is unchanged and nothing else is read or written.
    let again = run(&connector, &source, &bim, &[]);
    assert!(again.ok, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stderr.contains("register site-register-7 is unchanged: nothing to do"), "{}", again.stderr);
    let (inserted, updated, deleted, _) = again.totals();
    assert_eq!((inserted, updated, deleted), (0, 0, 0), "{}", again.stdout);
}
