//! The app's state, built once in `setup()` and handed to commands by Tauri.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use aanmelder_core::store::{DataDir, OsKeyring, Session};

#[derive(Debug)]
pub struct AppState {
    session: Mutex<Session>,
}

impl AppState {
    pub fn start(dir: PathBuf) -> Self {
        Self {
            session: Mutex::new(Session::start(DataDir::new(dir), &OsKeyring)),
        }
    }

    /// The session. A panic in another command must not lock the worker out of their data, so a
    /// poisoned lock is taken over: every store operation is a transaction of its own.
    pub fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
