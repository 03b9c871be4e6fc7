//! The encrypted local store.
//!
//! Everything Aanmelder keeps lives in one SQLCipher database. Two promises shape this module:
//! the file on disk never reveals anything without the key, and the worker's data are never
//! destroyed by the app itself. So an existing file is only ever opened, never created over; a
//! key that does not fit is reported, not "fixed"; and before any migration a byte copy of the
//! (still encrypted) file is put beside it.

mod key;
mod pin;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use ts_rs::TS;

pub(crate) use key::SchemeFile;
pub use key::{
    DbKey, KEYRING_SERVICE, KeyError, KeyScheme, KeyVault, LedgerKey, MIN_PASSPHRASE_CHARS,
    OsKeyring, PassphraseParams,
};
pub(crate) use pin::LockedKey;
pub use pin::{MAX_PIN_DIGITS, MIN_PIN_DIGITS, PIN_TRIES, PinHash, pin_is_valid};

use crate::error::{Coded, io_reason};

/// The migrations, in order. Migration `i` brings the schema from version `i` to `i + 1`.
/// Append only: a released migration is never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_worker_profile.sql"),
    include_str!("migrations/0002_home_visit.sql"),
    include_str!("migrations/0003_package.sql"),
    include_str!("migrations/0004_outbox.sql"),
    include_str!("migrations/0005_smtp_settings.sql"),
    include_str!("migrations/0006_delivery_mode.sql"),
    include_str!("migrations/0007_after_send.sql"),
    include_str!("migrations/0008_evaluation_and_team.sql"),
    include_str!("migrations/0009_privacy_at_rest.sql"),
    include_str!("migrations/0010_register_history.sql"),
    include_str!("migrations/0011_consent_outcome.sql"),
    include_str!("migrations/0012_receipt_and_problems.sql"),
    include_str!("migrations/0013_purge_forgets_corrections.sql"),
    include_str!("migrations/0014_withdrawal_day_on_referral.sql"),
    include_str!("migrations/0015_incident_forgets_the_clients_mailbox.sql"),
    include_str!("migrations/0016_copies_go_with_their_package.sql"),
    include_str!("migrations/0017_ledger_names_the_package.sql"),
    include_str!("migrations/0018_outbox_mail_date.sql"),
    include_str!("migrations/0019_purged_consents_forget_their_text_hash.sql"),
    include_str!("migrations/0020_deleted_copies_forget_their_path.sql"),
    include_str!("migrations/0021_copies_recorded_before_written.sql"),
];

/// The versions whose migration has a step SQL cannot do: 7 moved the old `event` rows into the
/// hash-chained ledger (each link needs the ledger key), 8 added the ledger's tallies, which the
/// events before it fill, and 11 each consent's outcome and 17 the packages that reached the
/// partner, counted the same way. The ledger hands these steps in as [`Upgrade`]s.
const NEEDS_UPGRADE: &[u32] = &[7, 8, 11, 17];

/// A step of a migration that SQL alone cannot do, run in that migration's transaction when the
/// store was older than `version`. The module that owns the table hands it in, so the store
/// depends on no module that uses it.
#[derive(Debug, Clone, Copy)]
pub struct Upgrade {
    pub version: u32,
    pub run: fn(&Connection, &LedgerKey) -> Result<(), StoreError>,
}

/// The schema version this build of the app writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The first 16 bytes of every unencrypted SQLite database.
const PLAIN_SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// SQLCipher 4's default page size: an intact encrypted file is a whole number of pages.
const CIPHER_PAGE_SIZE: u64 = 4096;

/// Where a store's files live: the database and the key scheme beside it.
#[derive(Debug, Clone)]
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

    pub fn database(&self) -> PathBuf {
        self.root.join("aanmelder.db")
    }

    pub fn key_scheme(&self) -> PathBuf {
        self.root.join("key-scheme.json")
    }
}

/// How the key of an open store is protected; shown on the home screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum KeyProtection {
    Keyring,
    Passphrase,
}

/// What the home screen says about the store.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StoreInfo {
    /// Always true for a store this module opened: there is no unencrypted mode.
    pub encrypted: bool,
    /// SQLCipher's version, read from the open database as proof that the cipher is active.
    pub cipher_version: String,
    pub path: String,
    pub schema_version: u32,
    pub key_protection: KeyProtection,
    /// The demo store: in memory, with the demo register, gone when the app closes.
    pub demo: bool,
}

/// An open, verified, migrated database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    key_protection: KeyProtection,
    ledger_key: LedgerKey,
    /// Kept for the idle lock, which masks it under the PIN and drops the store.
    key: DbKey,
    /// Held in memory only, for "Demo proberen".
    demo: bool,
}

impl Store {
    /// Creates a new encrypted database at `path`. Refuses if anything already exists there.
    ///
    /// `upgrades` are the data steps of the migrations (the ledger's [`crate::ledger::UPGRADES`]).
    pub fn create(
        path: &Path,
        key: &DbKey,
        protection: KeyProtection,
        upgrades: &[Upgrade],
    ) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_path_buf()));
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| StoreError::Io(io_reason(&e)))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(StoreError::sqlite)?;
        Self::unlock(conn, path, key, protection, false, upgrades)
    }

    /// Opens the existing database at `path` with `key`, checks the key and migrates the schema.
    ///
    /// Never creates a file: a missing database is an error, so a moved or lost file is noticed
    /// instead of silently replaced by an empty one.
    pub fn open(
        path: &Path,
        key: &DbKey,
        protection: KeyProtection,
        upgrades: &[Upgrade],
    ) -> Result<Self, StoreError> {
        let conn = existing(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        Self::unlock(conn, path, key, protection, true, upgrades).map_err(|e| {
            match (e, protection) {
                // No passphrase to check: the keyring holds a key for another store.
                (StoreError::WrongKey(path), KeyProtection::Keyring) => {
                    StoreError::KeyringKeyDoesNotFit(path)
                }
                (e, _) => e,
            }
        })
    }

    /// Opens the database at `path` for reading only: no migration, no recovery, no write of
    /// any kind, for tools that look at a store the app may have open. An older schema is
    /// reported as it is.
    pub fn open_read_only(
        path: &Path,
        key: &DbKey,
        protection: KeyProtection,
    ) -> Result<Self, StoreError> {
        let conn = existing(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        apply_key(&conn, path, key)?;
        Ok(Self::keyed(conn, path, key, protection))
    }

    /// The store on `conn`, opened with `key`, before any migration.
    fn keyed(conn: Connection, path: &Path, key: &DbKey, protection: KeyProtection) -> Self {
        Self {
            conn,
            path: path.to_path_buf(),
            key_protection: protection,
            ledger_key: LedgerKey::derive(key),
            key: key.clone(),
            demo: false,
        }
    }

    /// A store in memory only, for the demo: nothing of it reaches the disk, and it is gone when
    /// it is dropped. The schema is the real one.
    pub fn in_memory(upgrades: &[Upgrade]) -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(StoreError::sqlite)?;
        let mut store = Self::unlock(
            conn,
            Path::new(":memory:"),
            &DbKey::generate()?,
            KeyProtection::Keyring,
            false,
            upgrades,
        )?;
        store.demo = true;
        Ok(store)
    }

    /// Whether this is the demo store.
    pub fn is_demo(&self) -> bool {
        self.demo
    }

    fn unlock(
        conn: Connection,
        path: &Path,
        key: &DbKey,
        protection: KeyProtection,
        existed: bool,
        upgrades: &[Upgrade],
    ) -> Result<Self, StoreError> {
        apply_key(&conn, path, key)?;
        // Temporary tables and sorts in memory: SQLite would otherwise write them to files of
        // its own, which SQLCipher does not encrypt. The bundled build defaults to memory; this
        // says so here, whatever a build's default.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA busy_timeout = 10000;",
        )
        .map_err(StoreError::sqlite)?;
        let mut store = Self::keyed(conn, path, key, protection);
        store.migrate(existed, upgrades)?;
        Ok(store)
    }

    /// Brings the schema up to [`SCHEMA_VERSION`] in one transaction, after a backup copy.
    fn migrate(&mut self, existed: bool, upgrades: &[Upgrade]) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            // Backups of an earlier migration, by this version or an older one.
            self.remove_backups();
            return Ok(());
        }
        let backup = if existed {
            Some(self.backup(found)?)
        } else {
            None
        };
        // The backup holds what the store held before, including data wiped since (refusals,
        // withdrawals, retention): it is kept only while the migration may still need undoing.
        let failed = |version: u32, why: String| StoreError::Migration {
            version,
            why,
            backup: backup.clone(),
        };
        self.run_migrations(found, upgrades)
            .map_err(|(v, why)| failed(v, why))?;
        self.remove_backups();
        // A migration may wipe what the store should no longer hold (a purged client's text
        // hash, a deleted copy's folder): out of the write-ahead log now, as after a purge. One
        // that cannot be emptied now is at the next checkpoint; the store opens all the same.
        self.checkpoint_after_commit();
        Ok(())
    }

    /// Deletes the `.bak` copies migrations left beside the database (this one's and those of
    /// earlier versions): the store they copied has been migrated and checked. A copy that
    /// cannot be deleted now is tried again at the next start.
    fn remove_backups(&self) {
        self.remove_backups_except(None);
    }

    /// [`Self::remove_backups`], but for `keep`.
    fn remove_backups_except(&self, keep: Option<&Path>) {
        let (Some(folder), Some(name)) = (self.path.parent(), self.path.file_name()) else {
            return;
        };
        let prefix = format!("{}.v", name.to_string_lossy());
        let Ok(entries) = fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix)
                && file.ends_with(".bak")
                && keep.is_none_or(|keep| entry.path() != keep)
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Runs the migrations after `found` in one transaction; on failure, which one and why.
    fn run_migrations(&mut self, found: u32, upgrades: &[Upgrade]) -> Result<(), (u32, String)> {
        let sqlite = |v: u32| {
            move |e: rusqlite::Error| {
                let why = sqlite_reason(&e)
                    .map_or_else(|| format!("melding van het systeem: {e}"), str::to_owned);
                (v, why)
            }
        };
        let tx = self.conn.transaction().map_err(sqlite(found + 1))?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql).map_err(sqlite(index as u32 + 1))?;
        }
        for &version in NEEDS_UPGRADE.iter().filter(|&&v| found < v) {
            let Some(upgrade) = upgrades.iter().find(|u| u.version == version) else {
                return Err((
                    version,
                    "de gegevensstap van deze migratie ontbreekt".into(),
                ));
            };
            (upgrade.run)(&tx, &self.ledger_key).map_err(|e| (version, e.to_string()))?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sqlite(SCHEMA_VERSION))?;
        // SQLite's own check of every page and index, before the commit: a migrated store that
        // does not pass is rolled back, and its backup kept.
        let answer: String = tx
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(sqlite(SCHEMA_VERSION))?;
        if answer != "ok" {
            return Err((SCHEMA_VERSION, answer));
        }
        tx.commit().map_err(sqlite(SCHEMA_VERSION))
    }

    /// Copies the encrypted file, as it is, to `<name>.v<version>-<unix time>.bak`.
    fn backup(&self, version: u32) -> Result<PathBuf, StoreError> {
        // Fold the write-ahead log into the main file so the copy is complete on its own; a
        // reader in another process that keeps it would make the copy miss the last changes.
        self.checkpoint()
            .map_err(|_| StoreError::Backup("een ander programma heeft de databank open".into()))?;
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".v{version}-{stamp}.bak"));
        let target = self.path.with_file_name(name);
        Self::copy_open_file(&self.path, &target).map_err(|e| StoreError::Backup(io_reason(&e)))?;
        // One copy, of the store as it is now: a migration that keeps failing would otherwise
        // leave one more at every start, each holding what was wiped since the one before.
        self.remove_backups_except(Some(&target));
        Ok(target)
    }

    /// Copies the store's file while this connection has it open. Not `fs::copy`: on Windows
    /// that opens the source sharing no write access, which SQLite's own handle holds, so the
    /// copy before every migration would fail with a sharing violation.
    fn copy_open_file(from: &Path, to: &Path) -> std::io::Result<()> {
        let mut source = fs::File::open(from)?;
        let mut target = fs::File::create_new(to)?;
        std::io::copy(&mut source, &mut target)?;
        target.sync_all()
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(StoreError::sqlite)
    }

    pub fn info(&self) -> Result<StoreInfo, StoreError> {
        let cipher_version: String = self
            .conn
            .pragma_query_value(None, "cipher_version", |r| r.get(0))
            .map_err(StoreError::sqlite)?;
        Ok(StoreInfo {
            encrypted: !cipher_version.is_empty(),
            cipher_version,
            path: self.path.display().to_string(),
            schema_version: self.schema_version()?,
            key_protection: self.key_protection,
            demo: self.demo,
        })
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Starts a unit of work that commits whole or not at all. Inside another one it is a
    /// savepoint of it, so a step that is atomic on its own (a consent, a package) can also be
    /// part of a larger step (a consent with its package) without changing.
    pub(crate) fn transaction(&self) -> Result<Tx<'_>, StoreError> {
        let nested = !self.conn.is_autocommit();
        self.conn.execute_batch(if nested {
            "SAVEPOINT unit"
        } else {
            "BEGIN IMMEDIATE"
        })?;
        Ok(Tx {
            conn: &self.conn,
            nested,
            done: false,
        })
    }

    pub(crate) fn key(&self) -> &DbKey {
        &self.key
    }

    pub(crate) fn ledger_key(&self) -> &LedgerKey {
        &self.ledger_key
    }

    /// Folds the write-ahead log into the database file and empties it, so that what secure
    /// delete zeroed in the database is not still readable in an older copy of the page.
    fn checkpoint(&self) -> Result<(), StoreError> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(StoreError::sqlite)?;
        if busy != 0 {
            return Err(StoreError::Sqlite(
                "het logbestand van de databank kon niet leeggemaakt worden".into(),
            ));
        }
        Ok(())
    }

    /// [`Self::checkpoint`] after a change already committed: what the caller did is done and
    /// must not be reported as failed. The log stays full only while another process reads the
    /// store (the support tool `aanmelder-store-check`, a second copy of the app); the
    /// retention's round empties it then (`retention::purge_due`).
    pub(crate) fn checkpoint_after_commit(&self) {
        let _ = self.checkpoint();
    }

    /// A fresh, migrated store in a temporary folder, for tests of the modules that use it.
    #[cfg(test)]
    pub(crate) fn temporary() -> (tempfile::TempDir, Self) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let key = DbKey::generate().expect("random key");
        let store = Self::create(
            &dir.path().join("aanmelder.db"),
            &key,
            KeyProtection::Keyring,
            crate::ledger::UPGRADES,
        )
        .expect("new store");
        (dir, store)
    }
}

/// The database file at `path`, opened with `flags`; never created, so a moved or lost file is
/// an error rather than a new, empty store.
fn existing(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Missing(path.to_path_buf()));
    }
    Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(StoreError::sqlite)
}

/// A unit of work from [`Store::transaction`]: rolled back when dropped without `commit`.
#[derive(Debug)]
pub(crate) struct Tx<'a> {
    conn: &'a Connection,
    nested: bool,
    done: bool,
}

impl Tx<'_> {
    pub(crate) fn commit(mut self) -> Result<(), StoreError> {
        // Marked done only once it worked: a COMMIT that fails leaves the transaction open,
        // and dropping `self` then rolls it back instead of leaving every later write inside it.
        self.conn.execute_batch(if self.nested {
            "RELEASE unit"
        } else {
            "COMMIT"
        })?;
        self.done = true;
        Ok(())
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch(if self.nested {
                "ROLLBACK TO unit; RELEASE unit"
            } else {
                "ROLLBACK"
            });
        }
    }
}

/// Gives `conn` the key and checks that it fits, writing nothing.
fn apply_key(conn: &Connection, path: &Path, key: &DbKey) -> Result<(), StoreError> {
    // A wrong key is reported as a typed error below; SQLCipher's own log line on stderr would
    // only repeat it. SQLCipher's `cipher_memory_security` (wiping all memory it frees) stays
    // off: measured, it takes the yearly count from about 210 to 400 ms. So freed heap may still
    // hold decrypted pages after a lock; the README says what the lock does not protect.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
        .map_err(StoreError::sqlite)?;
    conn.execute_batch(&key.pragma_statement())
        .map_err(StoreError::sqlite)?;
    // SQLCipher accepts any key at `PRAGMA key`; only the first read tells whether it fits.
    // Nothing is written before this check, so a wrong key leaves the file byte-identical.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(drop)
    .map_err(|e| classify_open_failure(path, e))
}

/// Tells a wrong key from a damaged or foreign file, as far as the bytes allow.
fn classify_open_failure(path: &Path, error: rusqlite::Error) -> StoreError {
    let not_a_database = matches!(
        &error,
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::NotADatabase
    );
    if !not_a_database {
        return StoreError::sqlite(error);
    }
    let mut head = [0u8; 16];
    let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let read_head = fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    if read_head.is_ok() && &head == PLAIN_SQLITE_MAGIC {
        StoreError::NotEncrypted(path.to_path_buf())
    } else if len < CIPHER_PAGE_SIZE || !len.is_multiple_of(CIPHER_PAGE_SIZE) {
        StoreError::Corrupt(path.to_path_buf())
    } else {
        StoreError::WrongKey(path.to_path_buf())
    }
}

/// Why the store could not be opened or used. Each message says what happened and what to do.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "store")]
pub enum StoreError {
    #[error(
        "De sleutel past niet bij de databank {0}, of het bestand is beschadigd. Aanmelder heeft \
         niets aan het bestand veranderd. Controleer je wachtwoordzin of neem contact op met je \
         ICT-ondersteuning."
    )]
    #[coded(field = "passphrase")]
    WrongKey(PathBuf),
    #[error(
        "De sleutel in de sleutelbos van deze computer past niet bij de databank {0}, of het \
         bestand is beschadigd. Aanmelder heeft niets aan het bestand veranderd. Neem contact op \
         met je ICT-ondersteuning (de databank kan van een andere computer of gebruiker komen)."
    )]
    KeyringKeyDoesNotFit(PathBuf),
    #[error(
        "Het databankbestand {0} is beschadigd of onvolledig. Aanmelder heeft niets aan het \
         bestand veranderd. Zet een back-up terug (bestanden die eindigen op .bak staan ernaast) \
         of neem contact op met je ICT-ondersteuning."
    )]
    Corrupt(PathBuf),
    #[error(
        "Het bestand {0} is geen versleutelde databank van Aanmelder (het is onversleuteld). \
         Aanmelder opent het niet en verandert er niets aan. Neem contact op met je \
         ICT-ondersteuning."
    )]
    NotEncrypted(PathBuf),
    #[error(
        "De databank werd gemaakt door een nieuwere versie van Aanmelder (schema {found}; deze \
         versie kent tot {supported}). Installeer de nieuwste versie van Aanmelder. Het bestand \
         blijft onaangeroerd."
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error(
        "De databank {0} ontbreekt, maar de sleutel ervan bestaat nog. Aanmelder maakt geen \
         nieuwe, lege databank in haar plaats. Zet het bestand terug uit een back-up of neem \
         contact op met je ICT-ondersteuning."
    )]
    Missing(PathBuf),
    #[error(
        "Er staat al een databank in {0}, maar het bestand dat zegt hoe ze beveiligd is \
         (key-scheme.json) ontbreekt. Aanmelder maakt niets opnieuw aan. Zet key-scheme.json \
         terug uit een back-up of neem contact op met je ICT-ondersteuning."
    )]
    SchemeMissing(PathBuf),
    #[error("Er staat al een bestand op {0}; Aanmelder overschrijft het niet.")]
    AlreadyExists(PathBuf),
    #[error(
        "De wachtwoordzin is te kort: kies er een van minstens {MIN_PASSPHRASE_CHARS} tekens, \
         bijvoorbeeld vier woorden met spaties."
    )]
    #[coded(field = "passphrase")]
    PassphraseTooShort,
    #[error("De twee wachtwoordzinnen zijn niet gelijk. Typ dezelfde wachtwoordzin twee keer.")]
    #[coded(field = "confirmation")]
    PassphraseMismatch,
    #[error("De databank is nog vergrendeld. Ontgrendel ze eerst.")]
    Locked,
    #[error(
        "Die pincode klopt niet. Nog {tries_left} {} voordat Aanmelder sluit.",
        if *tries_left == 1 { "poging" } else { "pogingen" }
    )]
    #[coded(field = "pin")]
    WrongPin { tries_left: u8 },
    #[error(
        "Vijf keer een verkeerde pincode: Aanmelder sluit. Start Aanmelder opnieuw; dan vraagt \
         het de sleutelbos of je wachtwoordzin."
    )]
    PinExhausted,
    #[error(
        "Aanpassing {version} van de databank mislukte ({why}). Er is niets veranderd{}. Neem \
         contact op met je ICT-ondersteuning.",
        backup.as_ref().map(|p| format!("; de back-up van vóór de aanpassing staat in {}", p.display())).unwrap_or_default()
    )]
    Migration {
        version: u32,
        why: String,
        backup: Option<PathBuf>,
    },
    #[error(
        "Vóór het bijwerken van de databank kon geen back-up gemaakt worden ({0}). Er is niets \
         veranderd. Maak ruimte vrij op de schijf of sluit het andere programma en start \
         Aanmelder opnieuw."
    )]
    Backup(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("Het databankbestand kon niet gelezen of geschreven worden: {0}")]
    Io(String),
    #[error(
        "De databank kon niet gelezen of beschreven worden: {0}. Wat al bewaard was, blijft \
         bewaard. Probeer opnieuw; blijft het, neem dan contact op met je ICT-ondersteuning."
    )]
    Disk(&'static str),
    #[error("De databank gaf een onverwachte fout: {0}")]
    Sqlite(String),
}

impl StoreError {
    fn sqlite(e: rusqlite::Error) -> Self {
        match sqlite_reason(&e) {
            Some(why) => Self::Disk(why),
            None => Self::Sqlite(e.to_string()),
        }
    }
}

/// What the worker can do something about in SQLite's errors (a full disk, a read-only folder,
/// another program holding the file), in Dutch; `None` for the rest, which only IT can read.
fn sqlite_reason(e: &rusqlite::Error) -> Option<&'static str> {
    use rusqlite::ErrorCode as C;
    Some(match e.sqlite_error_code()? {
        C::DiskFull => "de schijf is vol; maak ruimte vrij",
        C::ReadOnly => "de schijf of de map is alleen-lezen",
        C::DatabaseBusy | C::DatabaseLocked => "een ander programma houdt ze bezet",
        C::SystemIoFailure => "de schijf gaf een lees- of schrijffout",
        C::CannotOpen => "het bestand kon niet geopend worden",
        _ => return None,
    })
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::sqlite(e)
    }
}

#[cfg(test)]
mod tests;
