//! The emulator's state file: `{"format": 1, "accounts": [...]}`, every account with all it
//! holds (see [`Account`]). Saves replace the file atomically (a `.tmp` sibling, fsync,
//! rename) and only when the bytes changed.
//!
//! The file holds the accounts' API keys. They are the emulator's fake demo credentials, but
//! are treated like real ones: the file is created readable by its owner only (mode 0600 on
//! Unix), and neither keys nor file contents are ever logged.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::state::Account;

/// The file format this build reads and writes.
pub const FORMAT: u64 = 1;

/// Why a state file could not be used. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot read the emulator state file {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("the emulator state file {} is not valid: {source}", path.display())]
    Invalid {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "the emulator state file {} has format {found}, but this lunapanel reads format {FORMAT}",
        path.display()
    )]
    Format { path: PathBuf, found: u64 },
    #[error("the emulator state file {} lists account {api_id} twice", path.display())]
    Duplicate { path: PathBuf, api_id: String },
    #[error("cannot encode the emulator state for {}: {source}", path.display())]
    Encode {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write the emulator state file {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: u64,
    accounts: Vec<&'a Account>,
}

/// Read first on its own, so another format is reported as such rather than as a
/// mismatch somewhere in the accounts.
#[derive(Deserialize)]
struct Header {
    format: u64,
}

#[derive(Deserialize)]
struct FileIn {
    accounts: Vec<Account>,
}

/// The state file and the bytes last written to (or read from) it. No `Debug`: the bytes
/// hold API keys.
pub(crate) struct Store {
    path: PathBuf,
    written: Vec<u8>,
}

impl Store {
    /// Reads the accounts saved at `path`; none if there is no file yet.
    pub fn open(path: PathBuf) -> Result<(Self, Vec<Account>), EmulatorError> {
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let store = Self {
                    path,
                    written: Vec::new(),
                };
                return Ok((store, Vec::new()));
            }
            Err(source) => return Err(EmulatorError::Read { path, source }),
        };
        let invalid = |source| EmulatorError::Invalid {
            path: path.clone(),
            source,
        };
        let header: Header = serde_json::from_slice(&bytes).map_err(invalid)?;
        if header.format != FORMAT {
            return Err(EmulatorError::Format {
                path,
                found: header.format,
            });
        }
        let file: FileIn = serde_json::from_slice(&bytes).map_err(invalid)?;
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = file.accounts.iter().find(|a| !seen.insert(&a.api_id)) {
            return Err(EmulatorError::Duplicate {
                api_id: dup.api_id.clone(),
                path,
            });
        }
        Ok((
            Self {
                path,
                written: bytes,
            },
            file.accounts,
        ))
    }

    /// Writes `accounts` unless the file already holds exactly these bytes.
    pub fn save(&mut self, accounts: &BTreeMap<String, Account>) -> Result<(), EmulatorError> {
        let file = FileOut {
            format: FORMAT,
            accounts: accounts.values().collect(),
        };
        let mut bytes =
            serde_json::to_vec_pretty(&file).map_err(|source| EmulatorError::Encode {
                path: self.path.clone(),
                source,
            })?;
        bytes.push(b'\n');
        if bytes == self.written {
            return Ok(());
        }
        write_atomically(&self.path, &bytes).map_err(|source| EmulatorError::Write {
            path: self.path.clone(),
            source,
        })?;
        self.written = bytes;
        Ok(())
    }
}

/// Writes `PATH.tmp` (owner-only), syncs it, renames it over `PATH` and syncs the folder,
/// so a crash leaves either the old file or the new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    // A leftover from a crash may have other permissions; start afresh.
    if let Err(e) = fs::remove_file(&tmp) {
        if e.kind() != io::ErrorKind::NotFound {
            return Err(e);
        }
    }
    let written = write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_folder(path);
    Ok(())
}

/// Creates `path` (mode 0600 on Unix: it holds API keys) with `bytes`, synced to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the rename durable (Unix; elsewhere the rename is as durable as the platform makes
/// it). Best effort: the file itself is already complete.
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(dir) = fs::File::open(folder) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
