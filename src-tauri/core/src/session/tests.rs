use std::collections::HashMap;
use std::fs;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::store::{PIN_TRIES, PinHash};

/// An in-memory keyring; `unavailable` behaves like a session without Secret Service, `locked`
/// like a keyring whose unlock prompt the worker dismissed.
#[derive(Default)]
struct FakeVault {
    keys: Mutex<HashMap<String, DbKey>>,
    unavailable: bool,
    locked: AtomicBool,
}

impl KeyVault for FakeVault {
    fn save(&self, account: &str, key: &DbKey) -> Result<(), KeyError> {
        if self.unavailable {
            return Err(KeyError::KeyringUnavailable("geen Secret Service".into()));
        }
        if self.locked.load(Ordering::SeqCst) {
            return Err(KeyError::KeyringLocked);
        }
        self.keys
            .lock()
            .unwrap()
            .insert(account.into(), key.clone());
        Ok(())
    }
    fn load(&self, account: &str) -> Result<DbKey, KeyError> {
        if self.unavailable {
            return Err(KeyError::KeyringUnavailable("geen Secret Service".into()));
        }
        self.keys
            .lock()
            .unwrap()
            .get(account)
            .cloned()
            .ok_or(KeyError::Missing)
    }
}

fn code(session: &Session) -> String {
    match session.state() {
        SessionState::Failed { code, .. } => code,
        other => format!("{other:?}"),
    }
}

#[test]
fn first_launch_creates_and_later_launches_open_silently() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    let first = Session::start(DataDir::new(dir.path()), &vault);
    assert!(
        matches!(first.state(), SessionState::Ready { .. }),
        "{:?}",
        first.state()
    );
    assert_eq!(vault.keys.lock().unwrap().len(), 1);
    drop(first);

    let second = Session::start(DataDir::new(dir.path()), &vault);
    let SessionState::Ready { store } = second.state() else {
        panic!("{:?}", second.state())
    };
    assert!(store.encrypted);
    assert_eq!(store.key_protection, KeyProtection::Keyring);
    assert_eq!(
        vault.keys.lock().unwrap().len(),
        1,
        "no second key was made"
    );
}

#[test]
fn a_key_missing_from_the_keyring_fails_without_touching_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    drop(Session::start(DataDir::new(dir.path()), &vault));
    let db = DataDir::new(dir.path()).database();
    let before = fs::read(&db).unwrap();

    vault.keys.lock().unwrap().clear();
    let session = Session::start(DataDir::new(dir.path()), &vault);
    assert_eq!(code(&session), "key.missing");
    assert!(session.store().is_err());
    assert_eq!(fs::read(&db).unwrap(), before);
}

#[test]
fn a_lost_database_is_reported_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    drop(Session::start(DataDir::new(dir.path()), &vault));
    fs::remove_file(DataDir::new(dir.path()).database()).unwrap();
    let session = Session::start(DataDir::new(dir.path()), &vault);
    assert_eq!(code(&session), "store.missing");
    assert!(!DataDir::new(dir.path()).database().exists());
}

#[test]
fn a_database_without_its_scheme_file_is_reported_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    drop(Session::start(DataDir::new(dir.path()), &vault));
    let db = DataDir::new(dir.path()).database();
    let before = fs::read(&db).unwrap();
    fs::remove_file(DataDir::new(dir.path()).key_scheme()).unwrap();
    let session = Session::start(DataDir::new(dir.path()), &vault);
    assert_eq!(code(&session), "store.scheme_missing");
    assert_eq!(fs::read(&db).unwrap(), before);
}

#[test]
fn an_interrupted_first_launch_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let vault = FakeVault::default();
    // Simulate a crash after the key and scheme were written, before the database existed.
    let account = KeyScheme::new_keyring_account().unwrap();
    vault.save(&account, &DbKey::generate().unwrap()).unwrap();
    SchemeFile {
        scheme: KeyScheme::Keyring { account },
        initialised: false,
    }
    .write(&data.key_scheme())
    .unwrap();
    let session = Session::start(data.clone(), &vault);
    assert!(
        matches!(session.state(), SessionState::Ready { .. }),
        "{:?}",
        session.state()
    );
    assert!(
        SchemeFile::read(&data.key_scheme())
            .unwrap()
            .unwrap()
            .initialised
    );
}

#[test]
fn a_first_passphrase_cut_off_before_its_store_is_chosen_again_with_its_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    SchemeFile {
        scheme: KeyScheme::Passphrase(PassphraseParams::with_costs(256, 1, 1).unwrap()),
        initialised: false,
    }
    .write(&data.key_scheme())
    .unwrap();
    let mut session = Session::start(data.clone(), &FakeVault::default()).with_cheap_kdf();
    assert!(
        matches!(session.state(), SessionState::NeedsNewPassphrase { .. }),
        "{:?}",
        session.state()
    );
    session
        .create_with_passphrase("vier woorden op rij", "vier woorden op rij")
        .unwrap();
    assert!(matches!(session.state(), SessionState::Ready { .. }));
}

#[test]
fn a_keyring_locked_at_first_start_can_be_unlocked_and_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let vault = FakeVault {
        locked: AtomicBool::new(true),
        ..Default::default()
    };
    let mut session = Session::start(data.clone(), &vault);
    let SessionState::NeedsNewPassphrase {
        reason,
        keyring_locked: true,
    } = session.state()
    else {
        panic!("{:?}", session.state())
    };
    assert!(reason.contains("vergrendeld"), "{reason}");
    // Still locked: asked again, nothing written.
    session.retry_keyring(&vault).unwrap();
    assert!(matches!(
        session.state(),
        SessionState::NeedsNewPassphrase {
            keyring_locked: true,
            ..
        }
    ));
    assert!(!data.key_scheme().exists() && !data.database().exists());

    vault.locked.store(false, Ordering::SeqCst);
    session.retry_keyring(&vault).unwrap();
    assert!(
        matches!(session.state(), SessionState::Ready { .. }),
        "{:?}",
        session.state()
    );
    drop(session);
    // The key is in the keyring: the next start opens without a passphrase.
    let next = Session::start(data, &vault);
    assert!(matches!(next.state(), SessionState::Ready { .. }));
    // A session that never asked for the keyring again has nothing to retry.
    let mut open = next;
    assert!(open.retry_keyring(&vault).is_err());
}

#[test]
fn a_missing_keyring_offers_no_retry() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault {
        unavailable: true,
        ..Default::default()
    };
    let mut session = Session::start(DataDir::new(dir.path()), &vault);
    assert!(matches!(
        session.state(),
        SessionState::NeedsNewPassphrase {
            keyring_locked: false,
            ..
        }
    ));
    assert!(session.retry_keyring(&vault).is_err());
}

#[test]
fn without_a_keyring_the_worker_sets_a_passphrase_and_no_key_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault {
        unavailable: true,
        ..Default::default()
    };
    let mut session = Session::start(DataDir::new(dir.path()), &vault).with_cheap_kdf();
    let SessionState::NeedsNewPassphrase { reason, .. } = session.state() else {
        panic!("{:?}", session.state())
    };
    assert!(reason.contains("Secret Service"));
    assert!(!DataDir::new(dir.path()).database().exists());

    let short = session.create_with_passphrase("kort", "kort").unwrap_err();
    assert_eq!(short.code(), "store.passphrase_too_short");
    assert_eq!(short.field(), Some("passphrase"));
    let mismatch = session
        .create_with_passphrase("vier woorden op rij", "vier woorden op rij!")
        .unwrap_err();
    assert_eq!(mismatch.code(), "store.passphrase_mismatch");
    session
        .create_with_passphrase("vier woorden op rij", "vier woorden op rij")
        .unwrap();
    assert!(matches!(session.state(), SessionState::Ready { .. }));
    drop(session);

    // Only the database and the (non-secret) scheme are on disk.
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["aanmelder.db", "key-scheme.json"]);
    let scheme = fs::read_to_string(DataDir::new(dir.path()).key_scheme()).unwrap();
    assert!(scheme.contains("\"passphrase\"") && scheme.contains("salt"));

    // A later launch asks for it; a wrong one is refused and can be retried.
    let mut later = Session::start(DataDir::new(dir.path()), &vault);
    assert!(matches!(later.state(), SessionState::NeedsPassphrase));
    let wrong = later.unlock("vier woorden op een rij").unwrap_err();
    assert_eq!(wrong.code(), "store.wrong_key");
    assert!(matches!(later.state(), SessionState::NeedsPassphrase));
    later.unlock("vier woorden op rij").unwrap();
    let SessionState::Ready { store } = later.state() else {
        panic!()
    };
    assert_eq!(store.key_protection, KeyProtection::Passphrase);
}

fn locked_session(dir: &std::path::Path, vault: &FakeVault) -> Session {
    let mut session = Session::start(DataDir::new(dir), vault);
    session
        .store()
        .unwrap()
        .conn()
        .execute_batch("CREATE TABLE probe (v TEXT); INSERT INTO probe VALUES ('Vandewalle');")
        .unwrap();
    let pin = PinHash::new("480215", 256, 1).unwrap();
    session.lock(&pin, PIN_TRIES);
    session
}

#[test]
fn a_locked_session_has_no_store_until_the_right_pin() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    let mut session = locked_session(dir.path(), &vault);
    assert!(session.is_locked());
    assert!(matches!(
        session.state(),
        SessionState::Locked { tries_left: 5 }
    ));
    assert!(matches!(session.store(), Err(StoreError::Locked)));
    let err = session.unlock_with_pin("000000").unwrap_err();
    assert!(
        matches!(err, StoreError::WrongPin { tries_left: 4 }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Die pincode klopt niet. Nog 4 pogingen voordat Aanmelder sluit."
    );
    session.unlock_with_pin("480215").unwrap();
    let v: String = session
        .store()
        .unwrap()
        .conn()
        .query_row("SELECT v FROM probe", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, "Vandewalle");
}

#[test]
fn five_wrong_pins_end_the_session_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    let mut session = locked_session(dir.path(), &vault);
    for tries_left in (1..5).rev() {
        assert!(matches!(
            session.unlock_with_pin("111111"),
            Err(StoreError::WrongPin { tries_left: t }) if t == tries_left
        ));
    }
    assert!(matches!(
        session.unlock_with_pin("111111"),
        Err(StoreError::PinExhausted)
    ));
    assert_eq!(code(&session), "store.pin_exhausted");
    // Not even the right PIN opens it now: the next start goes through the keyring again.
    assert!(session.unlock_with_pin("480215").is_err());
    assert!(session.store().is_err());
    let again = Session::start(DataDir::new(dir.path()), &vault);
    assert!(matches!(again.state(), SessionState::Ready { .. }));
}

#[test]
fn a_first_launch_makes_the_data_folder_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(".local/share/be.kindengezin.aanmelder");
    let session = Session::start(DataDir::new(&data), &FakeVault::default());
    assert!(
        matches!(session.state(), SessionState::Ready { .. }),
        "{:?}",
        session.state()
    );
    assert!(data.join("aanmelder.db").is_file());
}

#[test]
fn inspecting_a_store_changes_no_byte_and_recovers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    let session = Session::start(DataDir::new(dir.path()), &vault);
    // A store from an older version: opening it for work would back it up and migrate it.
    session
        .store()
        .unwrap()
        .conn()
        .execute_batch("PRAGMA user_version = 8; PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(session);
    // Name, size and a digest of every file: enough to see any change, short enough to read.
    let snapshot = |dir: &std::path::Path| -> Vec<(String, usize, String)> {
        use sha2::Digest as _;
        let mut files: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let bytes = fs::read(&p).unwrap();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, bytes.len(), hex::encode(sha2::Sha256::digest(&bytes)))
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(dir.path());
    let state = Session::inspect(&DataDir::new(dir.path()), &vault);
    let SessionState::Ready { store } = state else {
        panic!("{state:?}")
    };
    assert_eq!(store.schema_version, 8, "reported as it is, not migrated");
    // SQLite may add its own empty write-ahead log and index beside a WAL database it reads;
    // the database, its key scheme and every other file stay as they were, and no backup.
    let after: Vec<_> = snapshot(dir.path())
        .into_iter()
        .filter(|(name, len, _)| {
            !(name == "aanmelder.db-shm" || (name == "aanmelder.db-wal" && *len == 0))
        })
        .collect();
    assert_eq!(after, before, "a look changes nothing");
}

/// The window locked before the store could (a sync was running) and wrong PINs were typed
/// meanwhile: they count against the same five.
#[test]
fn wrong_pins_typed_before_the_store_locked_count_against_the_five() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    let mut session = Session::start(DataDir::new(dir.path()), &vault);
    let pin = PinHash::new("480215", 256, 1).unwrap();
    session.lock(&pin, PIN_TRIES - 3);
    assert!(matches!(
        session.unlock_with_pin("111111"),
        Err(StoreError::WrongPin { tries_left: 1 })
    ));
    assert!(matches!(
        session.unlock_with_pin("111111"),
        Err(StoreError::PinExhausted)
    ));
}

/// The demo is one click from the real data: the real store stays the one the lock guards, and
/// the lock ends the demo.
#[test]
fn the_demo_leaves_the_real_store_to_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FakeVault::default();
    let mut session = locked_session(dir.path(), &vault);
    session.unlock_with_pin("480215").unwrap();
    session.enter_demo(Store::in_memory(crate::ledger::UPGRADES).unwrap());
    let probe = |store: &Store| {
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'probe'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
    };
    assert_eq!(probe(session.store().unwrap()), 0, "the demo is in use");
    assert_eq!(probe(session.real_store().unwrap()), 1);
    let pin = PinHash::new("480215", 256, 1).unwrap();
    session.lock(&pin, PIN_TRIES);
    assert!(!session.in_demo());
    assert!(matches!(session.real_store(), Err(StoreError::Locked)));
}
