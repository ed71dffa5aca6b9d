//! One run per iModel: a lock file beside the `.bim` (`site.bim.lock`) holding the runner's
//! pid, locked with `flock`. The kernel drops the lock with the process, so a run killed with
//! SIGKILL never leaves the iModel locked; the file itself may stay and is reused.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{} is locked by process {pid} (another itwin-host run)", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The holder's pid, as it wrote it.
        pid: String,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Held while a run writes an iModel; dropping it releases the lock.
#[derive(Debug)]
pub struct IModelLock {
    _file: File,
}

/// The lock file of an iModel.
pub fn lock_path(bim: &Path) -> PathBuf {
    let mut name = bim.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    bim.with_file_name(name)
}

impl IModelLock {
    /// Takes the lock of `bim`, waiting up to `wait` for another run to release it.
    pub fn acquire(bim: &Path, wait: Duration) -> Result<IModelLock, LockError> {
        let path = lock_path(bim);
        let io = |source| LockError::Io { path: path.clone(), source };
        let until = Instant::now() + wait;
        loop {
            let mut file =
                OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
            if try_flock(&file).map_err(io)? {
                file.set_len(0).map_err(io)?;
                file.rewind().map_err(io)?;
                write!(file, "{}", std::process::id()).map_err(io)?;
                file.flush().map_err(io)?;
                return Ok(IModelLock { _file: file });
            }
            if Instant::now() >= until {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = if pid.trim().is_empty() { "unknown".to_owned() } else { pid.trim().to_owned() };
                return Err(LockError::Locked { path, pid });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `flock(LOCK_EX | LOCK_NB)`: true if taken, false if another process holds it.
fn try_flock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a file descriptor we own; no memory is passed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        Some(libc::EINTR) => Ok(false),
        _ => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_naming_the_holder_and_waits_for_its_release() {
        let dir = tempfile::tempdir().unwrap();
        let bim = dir.path().join("site.bim");
        let first = IModelLock::acquire(&bim, Duration::ZERO).unwrap();
        assert_eq!(std::fs::read_to_string(lock_path(&bim)).unwrap(), std::process::id().to_string());
        // flock locks belong to the open file description: a second open in this process conflicts too.
        match IModelLock::acquire(&bim, Duration::ZERO) {
            Err(LockError::Locked { pid, .. }) => assert_eq!(pid, std::process::id().to_string()),
            other => panic!("{other:?}"),
        }
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        IModelLock::acquire(&bim, Duration::from_secs(20)).expect("taken once released");
        release.join().unwrap();
    }
}
