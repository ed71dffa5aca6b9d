//! The folder the sandbox mounts at `/source`: a private one holding only the source file.
//!
//! Mounting the source's own folder would show the connector everything beside it — with the
//! output next to the source (the common `--source site.json --output site.bim`), the whole
//! iModel and its `-wal`, other jobs included. The private folder holds a hard link to the
//! source (no copy, the same bytes), or a copy when no link can be made (another file system).

use std::path::Path;

/// A private folder holding the source under its own name; removed when dropped.
#[derive(Debug)]
pub struct SourceMount {
    dir: tempfile::TempDir,
}

impl SourceMount {
    /// Makes the folder for `source` (a file).
    ///
    /// # Errors
    /// When the source cannot be read, or neither linked nor copied into a temporary folder.
    pub fn new(source: &Path) -> std::io::Result<SourceMount> {
        let name = source
            .file_name()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "the source has no file name"))?;
        // Next to the source first: a hard link needs the same file system.
        let beside = source.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Ok(dir) = tempfile::Builder::new().prefix(".itwin-host-source-").tempdir_in(beside) {
            if std::fs::hard_link(source, dir.path().join(name)).is_ok() {
                return Ok(SourceMount { dir });
            }
        }
        let dir = tempfile::tempdir()?;
        let inside = dir.path().join(name);
        if std::fs::hard_link(source, &inside).is_err() {
            std::fs::copy(source, &inside)?;
        }
        Ok(SourceMount { dir })
    }

    /// The folder to mount.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mount_holds_the_source_and_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("site.json");
        std::fs::write(&source, b"{}").unwrap();
        std::fs::write(dir.path().join("site.bim"), b"secret").unwrap();
        let mount = SourceMount::new(&source).unwrap();
        let names: Vec<_> = std::fs::read_dir(mount.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("site.json")]);
        assert_eq!(std::fs::read(mount.path().join("site.json")).unwrap(), b"{}");
        let path = mount.path().to_owned();
        drop(mount);
        assert!(!path.exists());
    }
}
