//! The app's state, built once in `setup()` and handed to commands by Tauri.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use aanmelder_core::outbox::smtp::Smtp;
use aanmelder_core::outbox::{self, OutboxError, StoreAccess, SyncReport};
use aanmelder_core::package::{PackageError, Packages};
use aanmelder_core::residence::{Gazetteer, ResidenceError};
use aanmelder_core::session::Session;
use aanmelder_core::store::{DataDir, OsKeyring, Store};
use aanmelder_core::visit::{Visit, VisitError};
use chrono::{DateTime, FixedOffset};

use crate::ipc::IpcError;

#[derive(Debug)]
pub struct AppState {
    session: Mutex<Session>,
    pub gazetteer: Gazetteer,
    sync: SyncProgress,
    pub guard: crate::privacy::Guard,
}

/// Where a running sync is: read by the window while the sync runs on another thread.
#[derive(Debug, Default)]
pub struct SyncProgress {
    running: AtomicBool,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl AppState {
    pub fn start(dir: PathBuf) -> Result<Self, ResidenceError> {
        Ok(Self {
            session: Mutex::new(Session::start(DataDir::new(dir), &OsKeyring)),
            gazetteer: Gazetteer::embedded()?,
            sync: SyncProgress::default(),
            guard: crate::privacy::Guard::new(),
        })
    }

    /// Sends what is due through the configured mail server. One sync at a time; the store is
    /// only held between sends, so the window stays responsive.
    pub fn sync_outbox(&self) -> Result<SyncReport, OutboxError> {
        if self.sync.running.swap(true, Ordering::SeqCst) {
            return Ok(SyncReport::default());
        }
        self.sync.done.store(0, Ordering::SeqCst);
        self.sync.total.store(0, Ordering::SeqCst);
        let result = (|| {
            let Some(settings) = self.with(outbox::settings::load)? else {
                // Without a server only items that wait for one are a problem; packages for
                // partners reached by mail program are drafted, not sent.
                let waiting = self.with(|store| outbox::due(store, now()))?;
                return if waiting.is_empty() {
                    Ok(SyncReport::default())
                } else {
                    Err(OutboxError::NoServer)
                };
            };
            let smtp = Smtp::new(&settings)?;
            outbox::sync(self, &smtp, now, |done, total| {
                self.sync.done.store(done, Ordering::SeqCst);
                self.sync.total.store(total, Ordering::SeqCst);
            })
        })();
        self.sync.running.store(false, Ordering::SeqCst);
        result
    }

    /// `(running, done, total)` of the current sync.
    pub fn sync_progress(&self) -> (bool, usize, usize) {
        (
            self.sync.running.load(Ordering::SeqCst),
            self.sync.done.load(Ordering::SeqCst),
            self.sync.total.load(Ordering::SeqCst),
        )
    }

    /// Whether a sync is worth starting now: items are due and the mail server answers.
    pub fn should_sync(&self) -> bool {
        let due = self.with(|store| {
            Ok(!outbox::due(store, now())?.is_empty() && outbox::settings::load(store)?.is_some())
        });
        if !matches!(due, Ok(true)) {
            return false;
        }
        let settings = self.with(outbox::settings::load);
        matches!(settings, Ok(Some(s)) if Smtp::new(&s).is_ok_and(|smtp| smtp.reachable()))
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

    /// Remembers `folder` as the worker's folder for saving, after a save into it worked. A
    /// failure here loses nothing: the next save asks again.
    pub fn remember_folder(&self, folder: &str) {
        let _ = self.with_store(|store| aanmelder_core::privacy::set_save_folder(store, folder));
    }

    /// A file was saved at `path` in `folder`: remembers the folder and answers where the file
    /// is, as the screen shows it.
    pub fn saved_in(&self, folder: &str, path: &std::path::Path) -> String {
        self.remember_folder(folder);
        path.display().to_string()
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

impl StoreAccess for AppState {
    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, OutboxError>) -> Result<T, OutboxError> {
        let session = self.session();
        f(session.store()?)
    }
}
