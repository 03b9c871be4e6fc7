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
