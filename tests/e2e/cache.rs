//! The compiled-component cache: `compile` fills it, `cache list|clear` show and empty it, it
//! keeps within its size, and `inspect` uses the folder it is given.

use std::path::Path;
use std::process::{Command, Output};

use crate::run::guest;

fn itwin_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_itwin-host")).args(args).output().expect("the binary runs")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn entries(cache: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(cache.join("components")) {
        Ok(listing) => {
            listing.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "cwasm")).collect()
        }
        Err(_) => Vec::new(),
    }
}

#[test]
fn compile_fills_the_cache_and_the_first_run_loads_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (cache_arg, connector) = (cache.to_str().unwrap(), guest("rust_test_connector"));
    let out = itwin_host(&["compile", connector.to_str().unwrap(), "--cache-dir", cache_arg]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("rust_test_connector.wasm: compiled in"), "{stdout}");
    assert_eq!(entries(&cache).len(), 1);

    let out = itwin_host(&["compile", connector.to_str().unwrap(), "--cache-dir", cache_arg]);
    assert!(text(&out).0.contains("already compiled"), "{}", text(&out).0);

    let out = itwin_host(&["cache", "list", "--cache-dir", cache_arg]);
    let (stdout, _) = text(&out);
    let canonical = std::fs::canonicalize(&connector).unwrap();
    assert!(stdout.contains(&canonical.display().to_string()), "the entry names its source:\n{stdout}");
    assert!(stdout.contains("1 component compiled"), "{stdout}");

    // A run now loads it: no compile message, "loaded from cache" in the report.
    let source = dir.path().join("source.json");
    std::fs::write(&source, "{}").unwrap();
    let bim = dir.path().join("out.bim");
    let out = Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .args(["run", connector.to_str().unwrap(), "--source", source.to_str().unwrap()])
        .args(["--output", bim.to_str().unwrap(), "--cache-dir", cache_arg])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("loaded from cache"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("compiling"), "{stderr}");

    let out = itwin_host(&["cache", "clear", "--cache-dir", cache_arg]);
    assert!(text(&out).0.starts_with("removed 1 component ("), "{}", text(&out).0);
    assert!(entries(&cache).is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(cache.join("components")).unwrap().collect();
    assert!(leftovers.is_empty(), "clear left {leftovers:?}");
}

/// With room for one component, compiling a second evicts the first (least recently used); the
/// newest is kept even when it alone is over the size.
#[test]
fn the_cache_stays_within_its_size_evicting_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let first = guest("rust_test_connector");
    let second = guest("asset_register");
    for connector in [&first, &second] {
        let out = itwin_host(&["compile", connector.to_str().unwrap(), "--cache-dir", cache_arg, "--cache-size", "1"]);
        assert!(out.status.success(), "{}", text(&out).1);
    }
    let out = itwin_host(&["cache", "list", "--cache-dir", cache_arg]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("asset_register.wasm"), "{stdout}");
    assert!(!stdout.contains("rust_test_connector.wasm"), "the older entry was kept:\n{stdout}");
    assert_eq!(entries(&cache).len(), 1);

    // A size that is no number is refused, not taken as unlimited.
    let out = Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .args(["compile", first.to_str().unwrap(), "--cache-dir", cache_arg])
        .env("ITWIN_HOST_CACHE_SIZE", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).1.contains("ITWIN_HOST_CACHE_SIZE is \"lots\""), "{}", text(&out).1);
}

#[test]
fn inspect_uses_the_cache_folder_given_and_prints_wit_names() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out =
        itwin_host(&["inspect", guest("asset_register").to_str().unwrap(), "--cache-dir", cache.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.lines().any(|l| l == "deletion:    channel"), "{stdout}");
    assert!(!stdout.contains("DeletionMode"), "{stdout}");
    assert_eq!(entries(&cache).len(), 1, "inspect compiled into --cache-dir");
}

/// What is no component says so, with the build step that makes one.
#[test]
fn files_that_are_no_component_are_named_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"not wasm").unwrap();
    for (file, error, hint) in [
        (&core, "error: a core WebAssembly module, not a component", "hint: build a component"),
        (&junk, "error: not a WebAssembly file", "hint: give the .wasm file a connector build wrote"),
    ] {
        let out = itwin_host(&["inspect", file.to_str().unwrap(), "--no-cache"]);
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert!(stderr.contains(error) && stderr.contains(hint), "{stderr}");
    }
}
