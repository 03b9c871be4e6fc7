//! The app's state, built once in `setup()` and handed to commands by Tauri.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use aanmelder_core::package::{PackageError, Packages};
use aanmelder_core::residence::{Gazetteer, ResidenceError};
use aanmelder_core::store::{DataDir, OsKeyring, Session, Store};
use aanmelder_core::visit::{Visit, VisitError};
use chrono::{DateTime, FixedOffset};

use crate::ipc::IpcError;

#[derive(Debug)]
pub struct AppState {
    session: Mutex<Session>,
    pub gazetteer: Gazetteer,
}

impl AppState {
    pub fn start(dir: PathBuf) -> Result<Self, ResidenceError> {
        Ok(Self {
            session: Mutex::new(Session::start(DataDir::new(dir), &OsKeyring)),
            gazetteer: Gazetteer::embedded()?,
        })
    }

    /// The session. A panic in another command must not lock the worker out of their data, so a
    /// poisoned lock is taken over: every store operation is a transaction of its own.
    pub fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the open store, or fails with `store.locked`.
    pub fn with_store<T, E: Into<IpcError>>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, IpcError> {
        let session = self.session();
        f(session.store()?).map_err(Into::into)
    }

    /// Runs `f` on the packages in the open store, at the current local time.
    pub fn packages<T>(
        &self,
        f: impl FnOnce(Packages<'_>, DateTime<FixedOffset>) -> Result<T, PackageError>,
    ) -> Result<T, IpcError> {
        self.with_store(|store| f(Packages::new(store, &self.gazetteer), now()))
    }

    /// Runs one step of the home visit at the current local time.
    pub fn visit<T>(
        &self,
        f: impl FnOnce(Visit<'_>, DateTime<FixedOffset>) -> Result<T, VisitError>,
    ) -> Result<T, IpcError> {
        self.with_store(|store| f(Visit::new(store, &self.gazetteer), now()))
    }
}

/// The local time with its UTC offset, as consent records keep it.
pub fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}
