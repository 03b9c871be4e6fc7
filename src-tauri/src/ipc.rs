//! The one error shape the UI receives: `{code, message, field}`.

use aanmelder_core::Coded;
use aanmelder_core::error::FieldMessage;
use serde::Serialize;
use ts_rs::TS;

/// A failed command. The UI branches on `code` and shows `message` (Dutch); each entry of
/// `fields` goes next to its form field. `field` is the first of them, for single-field forms.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    pub fields: Vec<FieldMessage>,
}

impl IpcError {
    /// A task off the window's thread that panicked. Its panic's message may repeat a value it
    /// choked on, so the window gets a fixed text, never the message.
    pub fn interrupted(code: &str) -> Self {
        Self::message(
            code,
            "Dit liep vast door een interne fout. Probeer het opnieuw; blijft het, meld het dan \
             aan je ICT-ondersteuning.",
        )
    }

    /// An error of the shell itself (no domain error behind it).
    pub fn message(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            field: None,
            fields: Vec::new(),
        }
    }
}

impl<E: Coded> From<E> for IpcError {
    fn from(error: E) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
            field: error.field().map(str::to_owned),
            fields: error.fields(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aanmelder_core::worker::WorkerProfile;

    #[test]
    fn a_domain_error_serialises_as_code_message_field() {
        let error = WorkerProfile::default().validated().unwrap_err();
        let json = serde_json::to_value(IpcError::from(error)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "worker.required",
                "message": "Naam: vul dit in.",
                "field": "name",
                "fields": [{ "field": "name", "message": "Naam: vul dit in." }],
            })
        );
    }
}
