//! End-to-end tests of the `itwin-host` binary: connector components built from
//! `guest-examples/` and `tests/guests/` (scripts/build-guests.sh) run through the CLI, and the
//! official iTwin.js backend (tests/compat) judges every file they write. One test binary, so
//! wasmtime's dependents link once.

mod cache;
mod cli;
mod connector;
mod containment;
mod crash;
mod lang_python;
mod lang_ts;
mod readme;
mod run;
mod same_imodel;
mod scaffold;
mod spatial;
