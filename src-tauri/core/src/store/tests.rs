use super::*;

fn secret_value() -> &'static str {
    "Wachtwoord-proef Zoë Ørsted 4711"
}

fn write_value(store: &Store, value: &str) {
    store
        .conn()
        .execute_batch("CREATE TABLE IF NOT EXISTS probe (v TEXT NOT NULL)")
        .unwrap();
    store
        .conn()
        .execute("INSERT INTO probe (v) VALUES (?1)", [value])
        .unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn value_survives_reopen_and_never_reaches_the_disk_in_clear() {
    let (dir, path, key, store) = crate::testing::keyring_store();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    write_value(&store, secret_value());
    drop(store);

    let store = Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
    // Sorts and temporary tables never go to a file of their own (2: in memory).
    let temp_store: i64 = store
        .conn()
        .query_row("PRAGMA temp_store", [], |r| r.get(0))
        .unwrap();
    assert_eq!(temp_store, 2);
    let read: String = store
        .conn()
        .query_row("SELECT v FROM probe", [], |r| r.get(0))
        .unwrap();
    assert_eq!(read, secret_value());
    let info = store.info().unwrap();
    assert!(
        info.encrypted,
        "cipher_version was empty: SQLCipher is not active"
    );
    drop(store);

    // Closing the last connection checkpoints the WAL, so the main file holds everything.
    for entry in fs::read_dir(dir.path()).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        assert!(!contains(&bytes, secret_value().as_bytes()));
        assert!(!contains(&bytes, b"SQLite format 3"));
    }
}

#[test]
fn another_key_gives_the_typed_error_and_leaves_the_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    write_value(
        &Store::create(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap(),
        secret_value(),
    );
    let before = fs::read(&path).unwrap();

    let other = DbKey::generate().unwrap();
    let err = Store::open(
        &path,
        &other,
        KeyProtection::Passphrase,
        crate::ledger::UPGRADES,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::WrongKey(_)), "got {err:?}");
    assert_eq!(err.code(), "store.wrong_key");
    assert_eq!(fs::read(&path).unwrap(), before);
    // From the keyring there is no passphrase to check: the message does not ask for one.
    let err = Store::open(
        &path,
        &other,
        KeyProtection::Keyring,
        crate::ledger::UPGRADES,
    )
    .unwrap_err();
    assert_eq!(err.code(), "store.keyring_key_does_not_fit");
    assert!(!err.to_string().contains("wachtwoordzin"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), before);

    // The right key still opens it afterwards.
    Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
}

#[test]
fn create_refuses_an_existing_file_and_open_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    fs::write(&path, b"precious").unwrap();
    let key = DbKey::generate().unwrap();
    let err =
        Store::create(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)));
    assert_eq!(fs::read(&path).unwrap(), b"precious");

    let missing = dir.path().join("weg.db");
    let err = Store::open(
        &missing,
        &key,
        KeyProtection::Keyring,
        crate::ledger::UPGRADES,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Missing(_)));
    assert!(!missing.exists());
}

#[test]
fn a_truncated_file_is_reported_corrupt_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    drop(Store::create(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap());
    let mut bytes = fs::read(&path).unwrap();
    bytes.truncate(1000);
    fs::write(&path, &bytes).unwrap();
    let err =
        Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "got {err:?}");
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_plain_sqlite_file_is_refused_as_not_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let plain = Connection::open(&path).unwrap();
    plain
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(plain);
    let before = fs::read(&path).unwrap();
    let key = DbKey::generate().unwrap();
    let err =
        Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap_err();
    assert!(matches!(err, StoreError::NotEncrypted(_)), "got {err:?}");
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn a_newer_schema_is_refused_without_touching_the_file() {
    let (_dir, path, key, store) = crate::testing::keyring_store();
    store
        .conn()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let before = fs::read(&path).unwrap();
    let err =
        Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, supported }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "got {err:?}"
    );
    assert_eq!(fs::read(&path).unwrap(), before);
}

/// A store as it was before every migration, holding `secret_value()`.
fn store_before_every_migration(path: &Path, key: &DbKey) {
    let store = Store::create(path, key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
    write_value(&store, secret_value());
    store
        .conn()
        .execute_batch(
            "DROP TABLE oauth_grant; DROP TABLE agreement_version; DROP TABLE discard; DROP TABLE saved_file; DROP TABLE privacy_settings;
             DROP TABLE team_member; DROP TABLE team_settings; DROP TABLE count_import;
             DROP TABLE ledger_span; DROP TABLE ledger_tally;
             DROP TABLE incident; DROP TABLE correction; DROP TABLE withdrawal;
             DROP TABLE retention_settings; DROP TABLE ledger_head; DROP TABLE ledger;
             DROP TABLE smtp_settings; DROP TABLE outbox; DROP TABLE package;
             DROP TABLE worker_profile; DROP TABLE consent;
             DROP TABLE referral; DROP TABLE agreement; PRAGMA user_version = 0;",
        )
        .unwrap();
}

fn backups_in(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect()
}

#[test]
fn a_successful_migration_deletes_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    store_before_every_migration(&path, &key);

    let store = Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    // The backup would keep data wiped later (a refusal, a withdrawal, retention) out of reach
    // of every purge, so it goes once the migrated store has passed its check.
    assert_eq!(backups_in(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_failed_migration_keeps_its_encrypted_backup_and_says_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    store_before_every_migration(&path, &key);
    // A table the first migration creates already exists: that migration fails half-way.
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&key.pragma_statement()).unwrap();
        conn.execute_batch("CREATE TABLE worker_profile (x INTEGER);")
            .unwrap();
    }

    let err =
        Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap_err();
    let backups = backups_in(dir.path());
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(
        matches!(&err, StoreError::Migration { version: 1, backup: Some(b), .. } if *b == backups[0]),
        "got {err:?}"
    );
    assert!(
        err.to_string().contains(&backups[0].display().to_string()),
        "{err}"
    );
    let name = backups[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("aanmelder.db.v0-"), "{name}");
    // The backup is the old database, still encrypted, and opens with the same key.
    let bytes = fs::read(&backups[0]).unwrap();
    assert!(!contains(&bytes, b"SQLite format 3"));
    let conn = Connection::open(&backups[0]).unwrap();
    conn.execute_batch(&key.pragma_statement()).unwrap();
    let v: String = conn
        .query_row("SELECT v FROM probe", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, secret_value());
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 0);
    drop(conn);

    // The next start fails the same way: one backup still, the store as it is now, not one
    // more at every start (its name has the second it was made in).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap_err();
    let again = backups_in(dir.path());
    assert_eq!(again.len(), 1, "{again:?}");
    assert_ne!(again, backups, "a fresh copy");
}

#[test]
fn a_failing_migration_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    let mut store =
        Store::create(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap();
    store
        .conn()
        .execute_batch("PRAGMA user_version = 0;")
        .unwrap();
    // The table already exists, so re-running migration 1 fails half-way: the transaction
    // must roll back and the version must stay at 0.
    let err = store.migrate(true, crate::ledger::UPGRADES).unwrap_err();
    assert!(
        matches!(err, StoreError::Migration { version: 1, .. }),
        "got {err:?}"
    );
    assert_eq!(store.schema_version().unwrap(), 0);
}

#[test]
fn backups_left_by_an_earlier_version_go_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aanmelder.db");
    let key = DbKey::generate().unwrap();
    drop(Store::create(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap());
    let old = dir.path().join("aanmelder.db.v6-1790000000.bak");
    fs::write(&old, b"an encrypted copy from before").unwrap();
    let other = dir.path().join("notities.bak");
    fs::write(&other, b"not ours").unwrap();
    drop(Store::open(&path, &key, KeyProtection::Keyring, crate::ledger::UPGRADES).unwrap());
    assert!(!old.exists(), "the old copy holds data wiped since");
    assert!(other.exists(), "only the store's own backups");
}

#[test]
fn a_migration_without_its_data_step_is_refused() {
    // The ledger hands in the steps SQL cannot do; a store opened without them must not reach
    // the new schema with the old events left out of the chain.
    let err = Store::in_memory(&[]).unwrap_err();
    assert!(
        matches!(err, StoreError::Migration { version: 7, .. }),
        "got {err:?}"
    );
    assert!(Store::in_memory(crate::ledger::UPGRADES).is_ok());
}

#[test]
fn a_full_disk_is_said_in_dutch_and_loses_nothing_saved() {
    let (_dir, _path, _key, store) = crate::testing::keyring_store();
    write_value(&store, secret_value());
    // SQLite's own "database or disk is full", without filling a disk: no page beyond these.
    let pages: i64 = store
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    store
        .conn()
        .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
        .unwrap();
    let big = "x".repeat(64 * 1024);
    let err = StoreError::from(
        store
            .conn()
            .execute("INSERT INTO probe (v) VALUES (?1)", [&big])
            .unwrap_err(),
    );
    assert_eq!(err.code(), "store.disk");
    let message = err.to_string();
    assert!(message.contains("de schijf is vol"), "{message}");
    assert!(!message.contains("full"), "{message}");
    let kept: String = store
        .conn()
        .query_row("SELECT v FROM probe", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, secret_value());
}
