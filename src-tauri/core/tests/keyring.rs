//! The database key in a real Secret Service (gnome-keyring), read back by a second process.
//!
//! Ignored by a plain `cargo test`: it needs a D-Bus session with an unlocked gnome-keyring,
//! which `scripts/test.sh` starts through `scripts/with-keyring.sh` before running it with
//! `--ignored`. Outside such a session it fails loudly rather than passing vacuously.

use std::process::Command;

use aanmelder_core::session::{Session, SessionState};
use aanmelder_core::store::{DataDir, KEYRING_SERVICE, KeyProtection, OsKeyring};
use aanmelder_core::worker::WorkerProfile;

#[test]
#[ignore = "needs gnome-keyring in a D-Bus session: run through scripts/with-keyring.sh"]
fn key_lives_in_the_secret_service_and_a_second_process_opens_the_store() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run this test through scripts/with-keyring.sh"
    );
    let folder = tempfile::tempdir().unwrap();

    // First launch in this process: a key is made, kept in the keyring, the store is created.
    let session = Session::start(DataDir::new(folder.path()), &OsKeyring);
    let SessionState::Ready { store } = session.state() else {
        panic!("first launch did not open a store: {:?}", session.state());
    };
    assert_eq!(store.key_protection, KeyProtection::Keyring);
    WorkerProfile {
        name: "Sleuteltest".into(),
        ..Default::default()
    }
    .save(session.store().unwrap())
    .unwrap();
    drop(session);

    // The key is really in the Secret Service: libsecret's own tool finds it by its attributes.
    let scheme: serde_json::Value =
        serde_json::from_slice(&std::fs::read(DataDir::new(folder.path()).key_scheme()).unwrap())
            .unwrap();
    let account = scheme["scheme"]["account"].as_str().unwrap().to_owned();
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", KEYRING_SERVICE, "username", &account])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    assert!(
        lookup.status.success(),
        "secret-tool found no entry for {account}"
    );
    let hex_key = String::from_utf8(lookup.stdout).unwrap();
    assert_eq!(
        hex_key.trim().len(),
        64,
        "the stored key is 256 bits in hex"
    );
    let scheme_text = std::fs::read_to_string(DataDir::new(folder.path()).key_scheme()).unwrap();
    assert!(
        !scheme_text.contains(hex_key.trim()),
        "the key must not be in the scheme file"
    );

    // A second process reads the key from the keyring and opens the store.
    let check = Command::new(env!("CARGO_BIN_EXE_aanmelder-store-check"))
        .arg(folder.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "second process failed: {stdout}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(stdout.starts_with("geopend: versleuteld=true"), "{stdout}");

    // And this process, started again, opens it silently with the same data.
    let again = Session::start(DataDir::new(folder.path()), &OsKeyring);
    let profile = WorkerProfile::load(again.store().unwrap()).unwrap();
    assert_eq!(profile.name, "Sleuteltest");
}
