//! The data dir: everything the edge keeps between runs lives in one directory.
//!
//! ```text
//! DIR/edge.toml      settings (see config.rs); `enroll` writes cloud_url here
//! DIR/edge.db        SQLite (WAL): identity, station, key set, bookings, redemptions, outbox
//! DIR/device.key     the device's Ed25519 key, PKCS#8 PEM, mode 0600
//! DIR/bus.key        the station-bus key that signs verdicts, PKCS#8 PEM, mode 0600
//! ```

use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The paths inside a data dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db(&self) -> PathBuf {
        self.root.join("edge.db")
    }

    pub fn device_key(&self) -> PathBuf {
        self.root.join("device.key")
    }

    pub fn bus_key(&self) -> PathBuf {
        self.root.join("bus.key")
    }

    pub fn config_file(&self) -> PathBuf {
        self.root.join(crate::config::CONFIG_FILE)
    }

    /// Creates the directory (mode 0700: it holds the device key) if it is missing.
    pub fn create(&self) -> io::Result<()> {
        if self.root.is_dir() {
            return Ok(());
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.root)
    }

    /// Whether the directory exists and this process may write into it.
    pub fn check_writable(&self) -> io::Result<()> {
        let probe = self.root.join(".write-probe");
        std::fs::write(&probe, b"probe")?;
        std::fs::remove_file(&probe)
    }
}

/// Writes `bytes` to `path` with mode 0600, atomically (temp file + rename), so a crash
/// never leaves half a key behind.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// The permission bits of a file (e.g. `0o600`).
pub fn mode_of(path: &Path) -> io::Result<u32> {
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_readable_by_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        write_private(&path, b"x").unwrap();
        assert_eq!(mode_of(&path).unwrap(), 0o600);
        write_private(&path, b"y").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"y");
    }

    #[test]
    fn a_new_data_dir_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("a/b"));
        data.create().unwrap();
        assert_eq!(mode_of(data.root()).unwrap(), 0o700);
        data.check_writable().unwrap();
    }
}
