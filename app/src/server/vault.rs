//! The master keys that encrypt stored Luna Node credentials (SEC-1.x): XChaCha20-Poly1305
//! with a fresh random 24-byte nonce per seal, and associated data that binds each
//! ciphertext to its purpose, its owner and the key version, so a ciphertext copied to
//! another row or purpose does not open. Keys are versioned: the highest version seals,
//! every version opens, and an old version can be retired once no row uses it.
//!
//! The key file holds one `VERSION:BASE64` line per key (32 random bytes each; `#` starts a
//! comment). It is created with mode 0600 when absent at start-up (never later: a running
//! panel that finds it gone reports the file and keeps the keys it has), and refused when
//! others can read it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// Bytes in a master key.
pub const KEY_LEN: usize = 32;
/// Bytes in a nonce.
pub const NONCE_LEN: usize = 24;

/// What a sealed value is for; part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A Luna Node API ID and key.
    UpstreamCredential,
    /// A user's TOTP seed (second factor).
    TotpSeed,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::UpstreamCredential => "upstream-credential",
            Purpose::TotpSeed => "totp-seed",
        }
    }
}

/// A sealed value as stored: key version, nonce and ciphertext (with its tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub version: u32,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot read the master key file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the master key file {} is missing; the panel keeps using the keys it loaded, but \
         restore the file (from a backup or another panel) before the next restart",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error("cannot create the master key file {}: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the master key file {} can be read by other users (mode {mode:o}); run: chmod 600 {}",
        path.display(),
        path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("master keys, line {line}: {problem}")]
    Parse { line: usize, problem: String },
    #[error("no master key is configured")]
    Empty,
    #[error("the value was sealed with master key version {0}, which is not loaded")]
    UnknownVersion(u32),
    #[error("the value cannot be opened: it was altered, moved to another owner or purpose, or the master key is wrong")]
    Open,
}

/// The loaded master keys. `Debug` shows versions only; the bytes are zeroed on drop.
pub struct MasterKeys {
    keys: BTreeMap<u32, Zeroizing<[u8; KEY_LEN]>>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeys")
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn associated_data(purpose: Purpose, owner: &str, version: u32) -> Vec<u8> {
    format!("lp1|{}|{owner}|{version}", purpose.as_str()).into_bytes()
}

impl MasterKeys {
    /// One new random key, version 1.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&XChaCha20Poly1305::generate_key(&mut OsRng));
        Self {
            keys: BTreeMap::from([(1, key)]),
        }
    }

    /// Parses `VERSION:BASE64` lines (blank lines and `#` comments ignored).
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let mut keys = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let problem = |problem: &str| VaultError::Parse {
                line: i + 1,
                problem: problem.to_owned(),
            };
            let (version, encoded) = line
                .split_once(':')
                .ok_or_else(|| problem("expected VERSION:BASE64"))?;
            let version: u32 = version
                .trim()
                .parse()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| problem("the version must be a whole number above 0"))?;
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| problem("the key is not valid base64"))?,
            );
            if bytes.len() != KEY_LEN {
                return Err(problem(&format!(
                    "a key must be {KEY_LEN} bytes, this one has {}",
                    bytes.len()
                )));
            }
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            key.copy_from_slice(&bytes);
            if keys.insert(version, key).is_some() {
                return Err(problem(&format!("version {version} appears twice")));
            }
        }
        if keys.is_empty() {
            return Err(VaultError::Empty);
        }
        Ok(Self { keys })
    }

    /// The file text for these keys.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        let mut out =
            String::from("# lunapanel master keys: VERSION:BASE64 (keep this file private)\n");
        for (version, key) in &self.keys {
            out.push_str(&format!("{version}:{}\n", STANDARD.encode(key.as_slice())));
        }
        Zeroizing::new(out)
    }

    /// Reads the key file; a missing file is [`VaultError::Missing`] (nothing is created).
    /// A file that group or others may read is refused.
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        match std::fs::metadata(path) {
            Ok(meta) => {
                check_private(path, &meta)?;
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
                    VaultError::Read {
                        path: path.to_owned(),
                        source,
                    }
                })?);
                Self::parse(&text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(VaultError::Missing {
                path: path.to_owned(),
            }),
            Err(source) => Err(VaultError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Reads the key file, or creates it (mode 0600) with one new key when it is absent.
    /// Start-up only (see [`Keyring::from_file`]); a running panel uses [`Self::load`].
    pub fn load_or_create(path: &Path) -> Result<Self, VaultError> {
        match Self::load(path) {
            Err(VaultError::Missing { .. }) => {
                let keys = Self::generate();
                write_private(path, keys.to_file_text().as_bytes()).map_err(|source| {
                    VaultError::Create {
                        path: path.to_owned(),
                        source,
                    }
                })?;
                Ok(keys)
            }
            other => other,
        }
    }

    /// The version new values are sealed with (the highest).
    pub fn active_version(&self) -> u32 {
        *self.keys.keys().next_back().expect("at least one key")
    }

    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// Seals `plaintext` for `owner` under the active key.
    pub fn seal(&self, purpose: Purpose, owner: &str, plaintext: &[u8]) -> Sealed {
        let version = self.active_version();
        let cipher = XChaCha20Poly1305::new(self.keys[&version].as_slice().into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(purpose, owner, version);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 sealing cannot fail for in-memory buffers");
        Sealed {
            version,
            nonce: nonce.to_vec(),
            ciphertext,
        }
    }

    /// Opens a value sealed for `owner` and `purpose`; anything else fails.
    pub fn open(
        &self,
        purpose: Purpose,
        owner: &str,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let key = self
            .keys
            .get(&sealed.version)
            .ok_or(VaultError::UnknownVersion(sealed.version))?;
        if sealed.nonce.len() != NONCE_LEN {
            return Err(VaultError::Open);
        }
        let cipher = XChaCha20Poly1305::new(key.as_slice().into());
        let aad = associated_data(purpose, owner, sealed.version);
        cipher
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Open)
    }
}

/// The AAD owner of a user's upstream credential.
pub fn credential_owner(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// The AAD owner of a user's TOTP seed: its table and row (the user).
pub fn seed_owner(user_id: i64) -> String {
    format!("second_factors/user:{user_id}")
}

/// Where the master keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key file; re-read when it changes (so a running panel follows a rotation).
    File(PathBuf),
    /// `LUNAPANEL_MASTER_KEY` (fixed for the life of the process).
    Environment,
}

/// The master keys a running panel uses: loaded once, re-read from the file when it changes
/// (a stat before each seal, and a re-read when a value names a version not yet loaded), so
/// `lunapanel rotate-master-key` can run while panels serve requests.
pub struct Keyring {
    source: KeySource,
    keys: std::sync::RwLock<std::sync::Arc<MasterKeys>>,
    stamp: std::sync::Mutex<Option<FileStamp>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("source", &self.source)
            .field("keys", &*self.current())
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
}

fn stamp_of(path: &Path) -> Option<FileStamp> {
    std::fs::metadata(path).ok().map(|m| FileStamp {
        modified: m.modified().ok(),
        len: m.len(),
    })
}

impl Keyring {
    /// Keys from `path`, created (mode 0600) with one new key when absent. Start-up only:
    /// afterwards the file is only ever read ([`Self::refresh`]).
    pub fn from_file(path: &Path) -> Result<Self, VaultError> {
        let keys = MasterKeys::load_or_create(path)?;
        Ok(Self {
            source: KeySource::File(path.to_owned()),
            keys: std::sync::RwLock::new(std::sync::Arc::new(keys)),
            stamp: std::sync::Mutex::new(stamp_of(path)),
        })
    }

    /// Keys given as text (`VERSION:BASE64` entries separated by newlines, commas or spaces).
    pub fn from_text(text: &str) -> Result<Self, VaultError> {
        let normalised = Zeroizing::new(text.replace([',', ' ', ';'], "\n"));
        Ok(Self::fixed(MasterKeys::parse(&normalised)?))
    }

    /// Fixed keys that are never re-read.
    pub fn fixed(keys: MasterKeys) -> Self {
        Self {
            source: KeySource::Environment,
            keys: std::sync::RwLock::new(std::sync::Arc::new(keys)),
            stamp: std::sync::Mutex::new(None),
        }
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The keys as loaded now.
    pub fn current(&self) -> std::sync::Arc<MasterKeys> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the key file if it changed since it was last read. A file that became
    /// missing, unreadable or invalid keeps the keys already loaded (and the error, naming
    /// the file, is returned); a missing file is never re-created here, since new keys would
    /// not open any stored value.
    pub fn refresh(&self) -> Result<bool, VaultError> {
        let KeySource::File(path) = &self.source else {
            return Ok(false);
        };
        let stamp = self
            .stamp
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = stamp_of(path);
        if now == *stamp {
            return Ok(false);
        }
        drop(stamp);
        self.reload()?;
        Ok(true)
    }

    /// Re-reads the key file whatever its time stamp says: a value names a version the
    /// loaded keys lack, so another instance (sharing the file, e.g. a mounted secret) has
    /// rotated, and a file replaced within the file system's time-stamp granularity, with
    /// the same length, must not hide the new key. Fails like [`Self::refresh`].
    pub fn reload(&self) -> Result<(), VaultError> {
        let KeySource::File(path) = &self.source else {
            return Ok(());
        };
        let mut stamp = self
            .stamp
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = stamp_of(path);
        let keys = MasterKeys::load(path)?;
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(keys);
        *stamp = now;
        Ok(())
    }

    /// Seals under the newest key (after checking the file for a newer one).
    pub fn seal(&self, purpose: Purpose, owner: &str, plaintext: &[u8]) -> Sealed {
        if let Err(e) = self.refresh() {
            tracing::error!(error = %e, "master key file could not be re-read; using the loaded keys");
        }
        self.current().seal(purpose, owner, plaintext)
    }

    /// Opens a sealed value; a version not yet loaded triggers one re-read of the file
    /// (forced: see [`Self::reload`]).
    pub fn open(
        &self,
        purpose: Purpose,
        owner: &str,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        match self.current().open(purpose, owner, sealed) {
            Err(VaultError::UnknownVersion(v)) => {
                self.reload()?;
                self.current()
                    .open(purpose, owner, sealed)
                    .map_err(|e| match e {
                        VaultError::UnknownVersion(_) => VaultError::UnknownVersion(v),
                        other => other,
                    })
            }
            other => other,
        }
    }
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The version everything is sealed with now.
    pub active: u32,
    /// Rows re-sealed.
    pub resealed: u64,
    /// Versions removed from the key file (empty with environment keys).
    pub retired: Vec<u32>,
    /// Rows still sealed with another version (non-zero only if rows kept changing).
    pub remaining: i64,
}

impl MasterKeys {
    /// These keys plus one new random key, one version above the highest.
    pub fn with_new_key(&self) -> Self {
        let mut keys = self.keys.clone();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&XChaCha20Poly1305::generate_key(&mut OsRng));
        keys.insert(self.active_version() + 1, key);
        Self { keys }
    }

    /// Only version `version`.
    fn only(&self, version: u32) -> Option<Self> {
        let key = self.keys.get(&version)?.clone();
        Some(Self {
            keys: BTreeMap::from([(version, key)]),
        })
    }
}

/// Replaces the key file atomically (a private temporary file renamed over it).
fn replace_file(path: &Path, keys: &MasterKeys) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    write_private(&tmp, keys.to_file_text().as_bytes())?;
    std::fs::rename(&tmp, path)
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("cannot write the master key file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Store(#[from] super::store::StoreError),
    #[error("credential of user {user_id} cannot be opened: {source}")]
    Open { user_id: i64, source: VaultError },
    #[error("second-factor seed of user {user_id} cannot be opened: {source}")]
    OpenSeed { user_id: i64, source: VaultError },
}

/// Re-seals every stored credential (and every TOTP seed) under a new master key while
/// panels keep serving.
///
/// With a key file: a new version is appended to the file (running panels pick it up at
/// their next seal or open), every row is re-sealed with it (compare-and-swap, so a row saved
/// meanwhile is not overwritten), and the old versions are removed from the file only when no
/// row uses them any more. With environment keys, the operator adds the new version to
/// `LUNAPANEL_MASTER_KEY` first; rows are re-sealed to the highest version and the report
/// says when the old ones may be removed.
pub async fn rotate(
    store: &dyn super::store::Store,
    keyring: &Keyring,
    grace: std::time::Duration,
) -> Result<RotationReport, RotationError> {
    if let KeySource::File(path) = keyring.source() {
        keyring.refresh()?;
        let next = keyring.current().with_new_key();
        replace_file(path, &next).map_err(|source| RotationError::Write {
            path: path.clone(),
            source,
        })?;
        keyring.refresh()?;
    }
    let active = keyring.current().active_version();
    let mut resealed = 0u64;
    loop {
        let batch = store.credentials_not_sealed_with(active, 200).await?;
        if batch.is_empty() {
            // Let panels that sealed just before the new key appeared finish, then re-check.
            tokio::time::sleep(grace).await;
            if store
                .credentials_not_sealed_with(active, 1)
                .await?
                .is_empty()
            {
                break;
            }
            continue;
        }
        for (user_id, old) in batch {
            let owner = credential_owner(user_id);
            let plain = keyring
                .open(Purpose::UpstreamCredential, &owner, &old)
                .map_err(|source| RotationError::Open { user_id, source })?;
            let new = keyring
                .current()
                .seal(Purpose::UpstreamCredential, &owner, &plain);
            if store.reseal_credential(user_id, &old, &new).await? {
                resealed += 1;
            }
        }
    }
    resealed += reseal_seeds(store, keyring, active).await?;
    let remaining: i64 = store
        .credential_versions()
        .await?
        .into_iter()
        .chain(store.second_factor_versions().await?)
        .filter(|(v, _)| *v != active)
        .map(|(_, n)| n)
        .sum();
    let mut retired = Vec::new();
    if let KeySource::File(path) = keyring.source() {
        if remaining == 0 {
            let current = keyring.current();
            retired = current.versions().filter(|v| *v != active).collect();
            if let Some(only) = current.only(active) {
                replace_file(path, &only).map_err(|source| RotationError::Write {
                    path: path.clone(),
                    source,
                })?;
                keyring.refresh()?;
            }
        }
    }
    Ok(RotationReport {
        active,
        resealed,
        retired,
        remaining,
    })
}

/// Re-seals every TOTP seed not sealed with `active` (the second half of [`rotate`], run
/// after the credentials' grace period, so running panels already seal with the new key; a
/// seed sealed with an old one anyway is counted in `remaining`, which keeps that key).
async fn reseal_seeds(
    store: &dyn super::store::Store,
    keyring: &Keyring,
    active: u32,
) -> Result<u64, RotationError> {
    let mut resealed = 0u64;
    loop {
        let batch = store.second_factors_not_sealed_with(active, 200).await?;
        if batch.is_empty() {
            return Ok(resealed);
        }
        let mut changed = 0;
        for (user_id, old) in batch {
            let owner = seed_owner(user_id);
            let plain = keyring
                .open(Purpose::TotpSeed, &owner, &old)
                .map_err(|source| RotationError::OpenSeed { user_id, source })?;
            let new = keyring.current().seal(Purpose::TotpSeed, &owner, &plain);
            if store.reseal_second_factor(user_id, &old, &new).await? {
                changed += 1;
            }
        }
        resealed += changed;
        if changed == 0 {
            // Every row of the batch changed under us (re-enrolled): look again.
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), VaultError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(VaultError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), VaultError> {
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &[u8] = b"CANARYKEYZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";

    #[test]
    fn seals_and_opens_with_fresh_nonces() {
        let keys = MasterKeys::generate();
        let a = keys.seal(Purpose::UpstreamCredential, "account:1", CANARY);
        let b = keys.seal(Purpose::UpstreamCredential, "account:1", CANARY);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert!(
            !a.ciphertext
                .windows(16)
                .any(|w| CANARY.windows(16).any(|c| c == w)),
            "no plaintext in the ciphertext"
        );
        assert_eq!(
            keys.open(Purpose::UpstreamCredential, "account:1", &a)
                .unwrap()
                .as_slice(),
            CANARY
        );
        let mut nonces = std::collections::HashSet::new();
        for _ in 0..10_000 {
            assert!(nonces.insert(keys.seal(Purpose::UpstreamCredential, "o", b"x").nonce));
        }
    }

    #[test]
    fn ciphertexts_are_bound_to_owner_version_and_content() {
        let keys = MasterKeys::generate();
        let sealed = keys.seal(Purpose::UpstreamCredential, "account:1", CANARY);
        // Copied to another owner's row: does not open.
        assert!(matches!(
            keys.open(Purpose::UpstreamCredential, "account:2", &sealed),
            Err(VaultError::Open)
        ));
        // One flipped bit anywhere: does not open.
        let mut flipped = sealed.clone();
        flipped.ciphertext[3] ^= 1;
        assert!(matches!(
            keys.open(Purpose::UpstreamCredential, "account:1", &flipped),
            Err(VaultError::Open)
        ));
        let mut bad_nonce = sealed.clone();
        bad_nonce.nonce[0] ^= 1;
        assert!(keys
            .open(Purpose::UpstreamCredential, "account:1", &bad_nonce)
            .is_err());
        // Claiming another key version: unknown, or (if loaded) the AAD no longer matches.
        let other = MasterKeys::parse(&format!(
            "{}\n2:{}\n",
            keys.to_file_text().trim(),
            STANDARD.encode([7u8; KEY_LEN])
        ))
        .unwrap();
        let relabelled = Sealed {
            version: 2,
            ..sealed.clone()
        };
        assert!(matches!(
            other.open(Purpose::UpstreamCredential, "account:1", &relabelled),
            Err(VaultError::Open)
        ));
        assert!(matches!(
            keys.open(
                Purpose::UpstreamCredential,
                "account:1",
                &Sealed {
                    version: 9,
                    ..sealed
                }
            ),
            Err(VaultError::UnknownVersion(9))
        ));
    }

    #[test]
    fn the_highest_version_seals_and_every_version_opens() {
        let v1 = MasterKeys::generate();
        let old = v1.seal(Purpose::UpstreamCredential, "o", b"secret");
        let both = MasterKeys::parse(&format!(
            "{}2:{}\n",
            v1.to_file_text().as_str(),
            STANDARD.encode([9u8; KEY_LEN])
        ))
        .unwrap();
        assert_eq!(both.active_version(), 2);
        assert_eq!(both.versions().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            both.open(Purpose::UpstreamCredential, "o", &old)
                .unwrap()
                .as_slice(),
            b"secret"
        );
        let new = both.seal(Purpose::UpstreamCredential, "o", b"secret");
        assert_eq!(new.version, 2);
        assert!(matches!(
            v1.open(Purpose::UpstreamCredential, "o", &new),
            Err(VaultError::UnknownVersion(2))
        ));
    }

    #[test]
    fn bad_key_material_is_refused_without_echoing_it() {
        let short = STANDARD.encode([1u8; 31]);
        for (text, expect) in [
            (format!("1:{short}"), "32 bytes"),
            ("1:not base64!!".to_owned(), "base64"),
            ("one:AAAA".to_owned(), "whole number"),
            (
                format!(
                    "1:{}\n1:{}",
                    STANDARD.encode([1u8; 32]),
                    STANDARD.encode([2u8; 32])
                ),
                "twice",
            ),
            ("# only a comment".to_owned(), "no master key"),
        ] {
            let err = MasterKeys::parse(&text).unwrap_err().to_string();
            assert!(err.contains(expect), "{text}: {err}");
            assert!(!err.contains(&short) && !err.contains("AAAA"), "{err}");
        }
        let keys = MasterKeys::generate();
        let text = keys.to_file_text();
        let encoded = text
            .lines()
            .last()
            .unwrap()
            .split_once(':')
            .unwrap()
            .1
            .to_owned();
        let debug = format!("{keys:?}");
        assert!(debug.contains("versions: [1]"), "{debug}");
        assert!(!debug.contains(&encoded), "{debug}");
    }

    /// Issue 14.5: two instances share one key file; one rotates (a new version, the file
    /// replaced). The other meets a value sealed under the new version and re-reads the file
    /// instead of failing, even when the replaced file has the old one's length and time
    /// stamp (a rewrite within the file system's time granularity).
    #[cfg(unix)]
    #[test]
    fn an_instance_meeting_an_unknown_version_rereads_the_shared_file() {
        let dir = std::env::temp_dir().join(format!(
            "lp_vault_shared_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let path = dir.join("master.key");
        // Versions 1 and 2 to start with; the rotation below makes it 1 and 3 (same length).
        let v1 = MasterKeys::generate();
        let start = MasterKeys::parse(&format!(
            "{}2:{}\n",
            v1.to_file_text().as_str(),
            STANDARD.encode([2u8; KEY_LEN])
        ))
        .unwrap();
        write_private(&path, start.to_file_text().as_bytes()).unwrap();
        let a = Keyring::from_file(&path).unwrap();
        let b = Keyring::from_file(&path).unwrap();
        let stamp = std::fs::metadata(&path).unwrap().modified().unwrap();
        let rotated = MasterKeys::parse(&format!(
            "{}3:{}\n",
            v1.to_file_text().as_str(),
            STANDARD.encode([3u8; KEY_LEN])
        ))
        .unwrap();
        replace_file(&path, &rotated).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(stamp)
            .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            start.to_file_text().len() as u64
        );
        // Instance B picks the rotation up (as `rotate` does) and seals under version 3.
        b.reload().unwrap();
        let sealed = b.seal(Purpose::UpstreamCredential, "user:1", b"secret");
        assert_eq!(sealed.version, 3);
        // Instance A's stamp check sees no change, yet it opens the value.
        assert!(!a.refresh().unwrap(), "same length and time stamp");
        assert_eq!(
            a.open(Purpose::UpstreamCredential, "user:1", &sealed)
                .expect("re-read the shared file")
                .as_slice(),
            b"secret"
        );
        assert_eq!(a.current().active_version(), 3);
        // A version no file has stays an error (after one more read).
        let unknown = Sealed {
            version: 9,
            ..sealed
        };
        assert!(matches!(
            a.open(Purpose::UpstreamCredential, "user:1", &unknown),
            Err(VaultError::UnknownVersion(9))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_created_private_and_public_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "lp_vault_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let path = dir.join("keys").join("master.key");
        let created = MasterKeys::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = MasterKeys::load_or_create(&path).unwrap();
        let sealed = created.seal(Purpose::UpstreamCredential, "o", b"x");
        assert_eq!(
            loaded
                .open(Purpose::UpstreamCredential, "o", &sealed)
                .unwrap()
                .as_slice(),
            b"x"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKeys::load_or_create(&path).unwrap_err();
        assert!(
            matches!(err, VaultError::Permissions { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
