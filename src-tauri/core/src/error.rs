//! The contract every domain error keeps with the UI.
//!
//! Each module has its own `thiserror` enum whose `Display` text is the Dutch message the worker
//! reads. `code()` is a stable identifier the UI may branch on; it never changes meaning once
//! released, while the wording of the message may.

use serde::Serialize;
use ts_rs::TS;

/// Writes a module's `impl Coded` from its enum: see the `aanmelder-derive` crate for the rules.
pub use aanmelder_derive::Coded;

/// One rejected value: which form field, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

/// Why a file or folder could not be read or written, in the worker's words: the system's own
/// are English (or Windows' display language). The common causes are named; for the rest the
/// system's words follow "melding van het systeem", for IT.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let said = match e.kind() {
        K::PermissionDenied => "Aanmelder heeft er geen rechten voor",
        K::ReadOnlyFilesystem => "de schijf is alleen-lezen",
        K::StorageFull | K::QuotaExceeded => "de schijf is vol",
        K::NotFound => "het bestand of de map bestaat niet (meer)",
        K::IsADirectory => "er staat een map met die naam",
        K::ResourceBusy => "het bestand is in gebruik",
        K::TimedOut
        | K::NotConnected
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::NetworkDown
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::StaleNetworkFileHandle => "de netwerkmap antwoordt niet",
        // Windows' sharing and lock violations: a file open in another program.
        _ if cfg!(windows) && matches!(e.raw_os_error(), Some(32 | 33)) => {
            "het bestand is open in een ander programma"
        }
        _ => return format!("melding van het systeem: {e}"),
    };
    said.to_owned()
}

/// A domain error that can cross the IPC boundary.
pub trait Coded: std::error::Error {
    /// Stable, machine-readable code, e.g. `store.wrong_key`.
    fn code(&self) -> &'static str;

    /// The form field the error is about, when there is one, so the UI can show the message next
    /// to that field.
    fn field(&self) -> Option<&'static str> {
        None
    }

    /// Every field the error is about, each with its own message. Errors about one field need
    /// not override this.
    fn fields(&self) -> Vec<FieldMessage> {
        self.field()
            .map(|field| FieldMessage {
                field: field.to_owned(),
                message: self.to_string(),
            })
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::io_reason;

    #[test]
    fn the_systems_reasons_are_said_in_dutch_and_the_rest_kept_for_it() {
        assert_eq!(
            io_reason(&Error::from(ErrorKind::StorageFull)),
            "de schijf is vol"
        );
        assert_eq!(
            io_reason(&Error::from(ErrorKind::PermissionDenied)),
            "Aanmelder heeft er geen rechten voor"
        );
        assert_eq!(
            io_reason(&Error::from(ErrorKind::TimedOut)),
            "de netwerkmap antwoordt niet"
        );
        let other = io_reason(&Error::other("device not ready"));
        assert_eq!(other, "melding van het systeem: device not ready");
    }
}
