//! The contract every domain error keeps with the UI.
//!
//! Each module has its own `thiserror` enum whose `Display` text is the Dutch message the worker
//! reads. `code()` is a stable identifier the UI may branch on; it never changes meaning once
//! released, while the wording of the message may.

/// A domain error that can cross the IPC boundary.
pub trait Coded: std::error::Error {
    /// Stable, machine-readable code, e.g. `store.wrong_key`.
    fn code(&self) -> &'static str;

    /// The form field the error is about, when there is one, so the UI can show the message next
    /// to that field.
    fn field(&self) -> Option<&'static str> {
        None
    }
}
