//! End-to-end tests of the briefcase writer. The compatibility tests hand our files to the
//! official iTwin.js backend (tests/compat, Node) and let it judge them.

mod common;

use common::compat;
use common::fixture::{self, Fixture};
use itwin_host::imodel::{Briefcase, RootSubject};

#[test]
fn itwinjs_opens_reads_and_keeps_editing_what_we_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("written.bim");
    let mut bim = Briefcase::create(&path, &RootSubject::named("Written by itwin-host")).unwrap();
    let f: Fixture = fixture::write(&mut bim).unwrap();
    bim.close().unwrap();
    let report = compat::check_with_itwinjs(&path, &f.expected);
    println!("{report}");
}
