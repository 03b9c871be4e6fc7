use super::*;

#[test]
fn generated_keys_differ_and_debug_hides_them() {
    let a = DbKey::generate().unwrap();
    let b = DbKey::generate().unwrap();
    assert_ne!(a, b);
    assert_eq!(format!("{a:?}"), "DbKey(…)");
}

#[test]
fn pragma_value_is_sqlciphers_raw_key_syntax() {
    let key = DbKey([0xab; 32]);
    let v = key.pragma_value();
    assert_eq!(v.len(), "\"x'".len() + 64 + "'\"".len());
    assert!(v.starts_with("\"x'abab"));
    assert!(v.ends_with("'\""));
}

#[test]
fn passphrase_derivation_is_deterministic_per_salt() {
    let params = PassphraseParams::with_costs(256, 1, 1).unwrap();
    let a = DbKey::from_passphrase("correct horse battery", &params).unwrap();
    let b = DbKey::from_passphrase("correct horse battery", &params).unwrap();
    let c = DbKey::from_passphrase("correct horse batterY", &params).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    let other_salt = PassphraseParams::with_costs(256, 1, 1).unwrap();
    assert_ne!(
        a,
        DbKey::from_passphrase("correct horse battery", &other_salt).unwrap()
    );
}

#[test]
fn hex_round_trip_and_rejects_wrong_length() {
    let key = DbKey::generate().unwrap();
    assert_eq!(DbKey::from_hex(&key.to_hex()).unwrap(), key);
    assert!(matches!(DbKey::from_hex("abcd"), Err(KeyError::Malformed)));
    assert!(matches!(DbKey::from_hex("zz"), Err(KeyError::Malformed)));
}

#[test]
fn scheme_file_round_trips_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key-scheme.json");
    assert!(SchemeFile::read(&path).unwrap().is_none());
    let file = SchemeFile {
        scheme: KeyScheme::Keyring {
            account: KeyScheme::new_keyring_account().unwrap(),
        },
        initialised: false,
    };
    file.write(&path).unwrap();
    assert_eq!(SchemeFile::read(&path).unwrap(), Some(file));
    fs::write(&path, b"{ not json").unwrap();
    assert!(matches!(
        SchemeFile::read(&path),
        Err(KeyError::SchemeUnreadable)
    ));
}
