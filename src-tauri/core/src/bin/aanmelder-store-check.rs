//! `aanmelder-store-check <data folder>`: opens an existing Aanmelder store with the key from the
//! OS keyring and prints its status, for support staff and for the keyring test, which runs it as
//! a second process. It prints no personal data and never creates or changes a store: it opens
//! the database read-only, and a folder without one is reported, not initialised.

use std::process::ExitCode;

use aanmelder_core::session::{Session, SessionState};
use aanmelder_core::store::{DataDir, OsKeyring};

fn main() -> ExitCode {
    let Some(folder) = std::env::args_os().nth(1) else {
        eprintln!("Gebruik: aanmelder-store-check <map met aanmelder.db>");
        return ExitCode::from(2);
    };
    let dir = DataDir::new(folder);
    if !dir.database().exists() || !dir.key_scheme().exists() {
        eprintln!("Geen databank van Aanmelder in {}", dir.root().display());
        return ExitCode::from(2);
    }
    // Read-only: the app may have this store open, and a check must change nothing (no
    // migration, no recovery of an interrupted send).
    match Session::inspect(&dir, &OsKeyring) {
        SessionState::Ready { store } => {
            println!(
                "geopend: versleuteld={} sqlcipher={} schema={} sleutel={:?}",
                store.encrypted, store.cipher_version, store.schema_version, store.key_protection
            );
            ExitCode::SUCCESS
        }
        SessionState::NeedsPassphrase => {
            println!("vergrendeld: deze databank gebruikt een wachtwoordzin");
            ExitCode::from(3)
        }
        // A session that has just started was never locked; listed for completeness.
        SessionState::Locked { .. } => {
            println!("vergrendeld: vraag de pincode");
            ExitCode::from(3)
        }
        SessionState::NeedsNewPassphrase { reason, .. } => {
            eprintln!("geen sleutelbos: {reason}");
            ExitCode::FAILURE
        }
        SessionState::Failed { code, message } => {
            eprintln!("{code}: {message}");
            ExitCode::FAILURE
        }
    }
}
