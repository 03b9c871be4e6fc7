//! From app start to an open store: first launch, later launches, and every way that can fail.
//!
//! The rules: a first launch makes a key, keeps it in the keyring and creates the database; a
//! later launch opens it without asking anything. When there is no keyring, the worker is asked
//! for a passphrase instead; the key is never put in a file. When something is wrong (key gone,
//! file damaged, schema too new) the session holds the error for the UI to explain, and the files
//! stay exactly as they were.

use serde::Serialize;
use ts_rs::TS;

use crate::error::Coded;
use crate::store::{
    DataDir, DbKey, KeyError, KeyProtection, KeyScheme, KeyVault, LockedKey, MIN_PASSPHRASE_CHARS,
    PassphraseParams, PinHash, SchemeFile, Store, StoreError, StoreInfo,
};

/// Where the app stands with its store, as the UI sees it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum SessionState {
    /// The store is open.
    Ready { store: StoreInfo },
    /// The store is protected by a passphrase: ask for it.
    NeedsPassphrase,
    /// First launch without a usable keyring: explain why and ask for a new passphrase.
    /// `keyring_locked`: the keyring is there but was locked (its unlock prompt dismissed), so
    /// the worker may unlock it and try it again rather than choose a passphrase for good.
    NeedsNewPassphrase {
        reason: String,
        keyring_locked: bool,
    },
    /// The window was locked (idle, suspend): ask for the PIN.
    Locked { tries_left: u8 },
    /// The store cannot be opened; `message` says what happened and what to do.
    Failed { code: String, message: String },
}

/// The app's one handle on its store. Held in Tauri state behind a mutex.
#[derive(Debug)]
pub struct Session {
    dir: DataDir,
    phase: Phase,
    /// While the worker tries the demo: the demo store, used instead of the real one.
    demo: Option<Store>,
    /// Argon2id cost for a new passphrase; lowered by tests only.
    new_passphrase_costs: (u32, u32, u32),
}

#[derive(Debug)]
enum Phase {
    Open(Store),
    NeedsPassphrase(PassphraseParams),
    NeedsNewPassphrase {
        reason: String,
        keyring_locked: bool,
    },
    /// The store is closed and its key masked under the PIN.
    Locked(LockedKey),
    Failed(StoreError),
}

impl Phase {
    /// No keyring to keep the key in, for `reason`: the worker chooses a passphrase.
    fn new_passphrase(reason: impl Into<String>) -> Self {
        Self::NeedsNewPassphrase {
            reason: reason.into(),
            keyring_locked: false,
        }
    }
}

impl Session {
    /// Opens or creates the store in `dir`, using `vault` for the key.
    pub fn start(dir: DataDir, vault: &dyn KeyVault) -> Self {
        let phase = match Self::first_phase(&dir, vault) {
            Ok(phase) => phase,
            Err(e) => Phase::Failed(e),
        };
        Self {
            dir,
            phase,
            demo: None,
            new_passphrase_costs: (64 * 1024, 3, 1),
        }
    }

    fn first_phase(dir: &DataDir, vault: &dyn KeyVault) -> Result<Phase, StoreError> {
        let db = dir.database();
        match (SchemeFile::read(&dir.key_scheme())?, db.exists()) {
            (None, true) => Err(StoreError::SchemeMissing(db)),
            (None, false) => Self::first_launch(dir, vault),
            (Some(file), exists) => match file.scheme {
                KeyScheme::Keyring { ref account } => {
                    let key = vault.load(account)?;
                    Self::open_or_finish(dir, &file, exists, &key).map(Phase::Open)
                }
                // Stopped after the passphrase's scheme was written and before its store was:
                // chosen again, with its confirmation, rather than taken from the first thing
                // typed at "Ontgrendelen", typo and all, for good.
                KeyScheme::Passphrase(_) if !file.initialised && !exists => {
                    Ok(Phase::new_passphrase(
                        "de vorige start werd onderbroken voor je wachtwoordzin bewaard was",
                    ))
                }
                KeyScheme::Passphrase(params) => Ok(Phase::NeedsPassphrase(params)),
            },
        }
    }

    /// A brand-new installation: key into the keyring, then the scheme file, then the database.
    fn first_launch(dir: &DataDir, vault: &dyn KeyVault) -> Result<Phase, StoreError> {
        // On a fresh machine the app's data folder does not exist yet.
        std::fs::create_dir_all(dir.root())
            .map_err(|e| StoreError::Io(crate::error::io_reason(&e)))?;
        let account = KeyScheme::new_keyring_account()?;
        let key = DbKey::generate()?;
        let stored = vault
            .save(&account, &key)
            .and_then(|()| vault.load(&account));
        match stored {
            Ok(read_back) if read_back == key => {}
            Ok(_) => {
                return Ok(Phase::new_passphrase(
                    "de sleutelbos gaf een andere sleutel terug dan bewaard werd",
                ));
            }
            Err(KeyError::KeyringUnavailable(why)) => return Ok(Phase::new_passphrase(why)),
            Err(KeyError::KeyringLocked) => {
                return Ok(Phase::NeedsNewPassphrase {
                    reason: "de sleutelbos is vergrendeld of gaf Aanmelder geen toegang".into(),
                    keyring_locked: true,
                });
            }
            Err(e) => return Err(e.into()),
        }
        let file = SchemeFile {
            scheme: KeyScheme::Keyring { account },
            initialised: false,
        };
        file.write(&dir.key_scheme())?;
        Self::open_or_finish(dir, &file, false, &key).map(Phase::Open)
    }

    /// What a store in `dir` looks like, opened read-only: for support tools, which must not
    /// migrate, recover or otherwise change a store the app may be using.
    pub fn inspect(dir: &DataDir, vault: &dyn KeyVault) -> SessionState {
        let phase = (|| {
            let file = SchemeFile::read(&dir.key_scheme())?
                .ok_or_else(|| StoreError::SchemeMissing(dir.database()))?;
            match file.scheme {
                KeyScheme::Keyring { ref account } => {
                    let key = vault.load(account)?;
                    Store::open_read_only(&dir.database(), &key, KeyProtection::Keyring)
                        .map(Phase::Open)
                }
                KeyScheme::Passphrase(params) => Ok(Phase::NeedsPassphrase(params)),
            }
        })()
        .unwrap_or_else(Phase::Failed);
        Self {
            dir: dir.clone(),
            phase,
            demo: None,
            new_passphrase_costs: (64 * 1024, 3, 1),
        }
        .state()
    }

    /// Opens an existing database, or finishes creating one whose creation was interrupted.
    fn open_or_finish(
        dir: &DataDir,
        file: &SchemeFile,
        exists: bool,
        key: &DbKey,
    ) -> Result<Store, StoreError> {
        let protection = match file.scheme {
            KeyScheme::Keyring { .. } => KeyProtection::Keyring,
            KeyScheme::Passphrase(_) => KeyProtection::Passphrase,
        };
        let db = dir.database();
        if exists {
            let store = Store::open(&db, key, protection, crate::ledger::UPGRADES)?;
            // Before anything else runs: an item the last run left in `sending` may or may not
            // have reached the server, and must not be resent silently.
            crate::outbox::recover(&store).map_err(|e| StoreError::Sqlite(e.to_string()))?;
            if !file.initialised {
                Self::mark_initialised(dir, file)?;
            }
            return Ok(store);
        }
        if file.initialised {
            return Err(StoreError::Missing(db));
        }
        let store = Store::create(&db, key, protection, crate::ledger::UPGRADES)?;
        Self::mark_initialised(dir, file)?;
        Ok(store)
    }

    fn mark_initialised(dir: &DataDir, file: &SchemeFile) -> Result<(), StoreError> {
        SchemeFile {
            scheme: file.scheme.clone(),
            initialised: true,
        }
        .write(&dir.key_scheme())
        .map_err(StoreError::from)
    }

    /// First launch with a keyring that was locked: the worker unlocked it and tries it again.
    /// Starts as a new launch would, so a keyring still locked asks once more, and nothing is
    /// written unless the key is kept.
    pub fn retry_keyring(&mut self, vault: &dyn KeyVault) -> Result<(), StoreError> {
        if !matches!(
            self.phase,
            Phase::NeedsNewPassphrase {
                keyring_locked: true,
                ..
            }
        ) {
            return Err(StoreError::AlreadyExists(self.dir.database()));
        }
        self.phase = Self::first_phase(&self.dir, vault)?;
        Ok(())
    }

    /// First launch without a keyring: protect the new store with the worker's passphrase.
    pub fn create_with_passphrase(
        &mut self,
        passphrase: &str,
        confirmation: &str,
    ) -> Result<(), StoreError> {
        if !matches!(self.phase, Phase::NeedsNewPassphrase { .. }) {
            return Err(StoreError::AlreadyExists(self.dir.database()));
        }
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(StoreError::PassphraseTooShort);
        }
        if passphrase != confirmation {
            return Err(StoreError::PassphraseMismatch);
        }
        let (m, t, p) = self.new_passphrase_costs;
        let params = PassphraseParams::with_costs(m, t, p)?;
        let key = DbKey::from_passphrase(passphrase, &params)?;
        let file = SchemeFile {
            scheme: KeyScheme::Passphrase(params),
            initialised: false,
        };
        file.write(&self.dir.key_scheme())?;
        self.phase = Phase::Open(Self::open_or_finish(&self.dir, &file, false, &key)?);
        Ok(())
    }

    /// Later launches of a passphrase-protected store. A wrong passphrase can be retried.
    pub fn unlock(&mut self, passphrase: &str) -> Result<(), StoreError> {
        let Phase::NeedsPassphrase(params) = &self.phase else {
            return match self.phase {
                Phase::Open(_) => Ok(()),
                _ => Err(StoreError::Locked),
            };
        };
        let key = DbKey::from_passphrase(passphrase, params)?;
        let file = SchemeFile::read(&self.dir.key_scheme())?
            .ok_or_else(|| StoreError::SchemeMissing(self.dir.database()))?;
        let exists = self.dir.database().exists();
        self.phase = Phase::Open(Self::open_or_finish(&self.dir, &file, exists, &key)?);
        Ok(())
    }

    /// Locks: closes the store and keeps its key only masked under the PIN whose hash is
    /// `pin`, with `tries_left` (fewer than [`crate::store::PIN_TRIES`] when the window was
    /// locked before the store could be, and wrong PINs were typed meanwhile). Nothing to do if
    /// the store is not open.
    pub fn lock(&mut self, pin: &PinHash, tries_left: u8) {
        // The demo ends with the lock: the real store is the one the PIN guards.
        self.demo = None;
        if let Phase::Open(store) = &self.phase {
            let locked = LockedKey::seal(store.key(), pin, tries_left.max(1));
            // Dropping the store closes the connection; SQLCipher wipes its copy of the key.
            self.phase = Phase::Locked(locked);
        }
    }

    /// Unlocks with the PIN. A wrong one costs a try; after the last the session fails for
    /// good ([`StoreError::PinExhausted`]) and the app must close.
    pub fn unlock_with_pin(&mut self, pin: &str) -> Result<(), StoreError> {
        let Phase::Locked(locked) = &mut self.phase else {
            return match self.phase {
                Phase::Open(_) => Ok(()),
                _ => Err(StoreError::Locked),
            };
        };
        match locked.open(pin)? {
            Some(key) => {
                let file = SchemeFile::read(&self.dir.key_scheme())?
                    .ok_or_else(|| StoreError::SchemeMissing(self.dir.database()))?;
                let exists = self.dir.database().exists();
                self.phase = Phase::Open(Self::open_or_finish(&self.dir, &file, exists, &key)?);
                Ok(())
            }
            None if locked.tries_left == 0 => {
                self.phase = Phase::Failed(StoreError::PinExhausted);
                Err(StoreError::PinExhausted)
            }
            None => Err(StoreError::WrongPin {
                tries_left: locked.tries_left,
            }),
        }
    }

    pub fn is_locked(&self) -> bool {
        matches!(self.phase, Phase::Locked(_))
    }

    /// "Demo proberen": `demo` (see [`Store::in_memory`]) is used instead of the real store
    /// until [`Session::leave_demo`]; the real store stays as it is.
    pub fn enter_demo(&mut self, demo: Store) {
        self.demo = Some(demo);
    }

    /// Back to the real store; the demo and all typed into it are gone.
    pub fn leave_demo(&mut self) {
        self.demo = None;
    }

    pub fn in_demo(&self) -> bool {
        self.demo.is_some()
    }

    pub fn state(&self) -> SessionState {
        if let Some(demo) = &self.demo {
            return match demo.info() {
                Ok(store) => SessionState::Ready { store },
                Err(e) => SessionState::Failed {
                    code: e.code().into(),
                    message: e.to_string(),
                },
            };
        }
        match &self.phase {
            Phase::Open(store) => match store.info() {
                Ok(store) => SessionState::Ready { store },
                Err(e) => SessionState::Failed {
                    code: e.code().into(),
                    message: e.to_string(),
                },
            },
            Phase::NeedsPassphrase(_) => SessionState::NeedsPassphrase,
            Phase::Locked(locked) => SessionState::Locked {
                tries_left: locked.tries_left,
            },
            Phase::NeedsNewPassphrase {
                reason,
                keyring_locked,
            } => SessionState::NeedsNewPassphrase {
                reason: reason.clone(),
                keyring_locked: *keyring_locked,
            },
            Phase::Failed(e) => SessionState::Failed {
                code: e.code().into(),
                message: e.to_string(),
            },
        }
    }

    /// The worker's own store while it is open, also while the demo is used instead: its PIN and
    /// idle time guard the window in the demo too, which is one click from the real data.
    pub fn real_store(&self) -> Result<&Store, StoreError> {
        match &self.phase {
            Phase::Open(store) => Ok(store),
            _ => Err(StoreError::Locked),
        }
    }

    /// The open store, or [`StoreError::Locked`] while there is none.
    pub fn store(&self) -> Result<&Store, StoreError> {
        if let Some(demo) = &self.demo {
            return Ok(demo);
        }
        match &self.phase {
            Phase::Open(store) => Ok(store),
            _ => Err(StoreError::Locked),
        }
    }

    #[cfg(test)]
    fn with_cheap_kdf(mut self) -> Self {
        self.new_passphrase_costs = (256, 1, 1);
        self
    }
}

#[cfg(test)]
mod tests;
