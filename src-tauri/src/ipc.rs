//! The one error shape the UI receives: `{code, message, field}`.

use aanmelder_core::Coded;
use serde::Serialize;
use ts_rs::TS;

/// A failed command. The UI branches on `code`, shows `message` (Dutch) and, when `field` is set,
/// shows it next to that form field.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl<E: Coded> From<E> for IpcError {
    fn from(error: E) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
            field: error.field().map(str::to_owned),
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
            })
        );
    }
}
