//! The app's state, built once in `setup()` and handed to commands by Tauri.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use aanmelder_core::outbox::oauth::{self, DeviceSignIn};
use aanmelder_core::outbox::receipts::ReceiptReport;
use aanmelder_core::outbox::smtp::Smtp;
use aanmelder_core::outbox::{self, OutboxError, StoreAccess, SyncReport};
use aanmelder_core::package::{PackageError, Packages};
use aanmelder_core::residence::{Gazetteer, ResidenceError};
use aanmelder_core::session::Session;
use aanmelder_core::store::{DataDir, OsKeyring, Store};
use aanmelder_core::visit::{Visit, VisitError};
use chrono::{DateTime, FixedOffset};

use crate::ipc::IpcError;

/// How the session comes to be: once, by whoever needs it first.
type Opening = Box<dyn FnOnce() -> Mutex<Session> + Send>;

#[derive(Debug)]
pub struct AppState {
    /// Opened on a thread of its own at start-up (`open_session`): the keyring's D-Bus round
    /// trips and the store's first reads then overlap WebKit starting its processes and
    /// loading the page, instead of holding up the main loop that starts them. A command that
    /// comes first waits for it here.
    session: LazyLock<Mutex<Session>, Opening>,
    pub gazetteer: Gazetteer,
    sync: SyncProgress,
    /// Held by the one look in the mailbox that runs (`check_receipts`).
    receipts: Mutex<()>,
    pub guard: crate::privacy::Guard,
    sign_in: SignInState,
}

/// The OAuth sign-in in progress, if any, and the one-at-a-time use of the grant.
#[derive(Debug, Default)]
struct SignInState {
    /// Set to end the sign-in that is waiting for the browser or the device code.
    cancel: Mutex<Arc<AtomicBool>>,
    /// A device code shown to the worker, waiting to be polled.
    device: Mutex<Option<DeviceSignIn>>,
    /// Held while an access token is read or renewed: a provider that rotates refresh tokens
    /// takes the reuse of an old one for theft and ends the grant, so two renewals (a sync and
    /// a receipt check) must not race.
    tokens: Mutex<()>,
}

/// Where a running sync is: read by the window while the sync runs on another thread.
#[derive(Debug, Default)]
pub struct SyncProgress {
    /// Held by the one sync that runs.
    one: Mutex<()>,
    /// What the last sync did, for a press that had to wait for it.
    last: Mutex<SyncReport>,
    running: AtomicBool,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl AppState {
    pub fn start(dir: PathBuf) -> Result<Self, ResidenceError> {
        Ok(Self {
            session: LazyLock::new(Box::new(move || {
                Mutex::new(Session::start(DataDir::new(dir), &OsKeyring))
            })),
            gazetteer: Gazetteer::embedded()?,
            sync: SyncProgress::default(),
            receipts: Mutex::new(()),
            guard: crate::privacy::Guard::new(),
            sign_in: SignInState::default(),
        })
    }

    /// Sends what is due through the configured mail server. One sync at a time; the store is
    /// only held between sends, so the window stays responsive. `now_anyway`: the worker asked
    /// ("Nu verzenden"), so what waits for its next attempt goes now too. A press while the
    /// background sync runs waits for it, and its report counts what that sync sent: the worker
    /// pressed, and those packages went.
    pub fn sync_outbox(&self, now_anyway: bool) -> Result<SyncReport, OutboxError> {
        let (_one, waited) = match self.no_sync() {
            Some(one) => (one, None),
            None if now_anyway => {
                let one = lock(&self.sync.one);
                (one, Some(lock(&self.sync.last).clone()))
            }
            None => return Ok(SyncReport::default()),
        };
        self.sync.running.store(true, Ordering::SeqCst);
        let running = Running(&self.sync.running);
        self.sync.done.store(0, Ordering::SeqCst);
        self.sync.total.store(0, Ordering::SeqCst);
        let result = self.sync_once(now_anyway);
        drop(running);
        *lock(&self.sync.last) = result.as_ref().cloned().unwrap_or_default();
        let mut report = result?;
        if let Some(before) = waited {
            report.add(before);
        }
        Ok(report)
    }

    fn sync_once(&self, now_anyway: bool) -> Result<SyncReport, OutboxError> {
        let Some(mail) = self.with(outbox::settings::load)? else {
            // Without a server only items that wait for one are a problem; packages for
            // partners reached by mail program are drafted, not sent.
            let waiting = self.with(|store| outbox::due(store, now(), true))?;
            return if waiting.is_empty() {
                Ok(SyncReport::default())
            } else {
                Err(OutboxError::NoServer)
            };
        };
        let settings = {
            let _one = lock(&self.sign_in.tokens);
            mail.smtp(self, now())?
        };
        let smtp = Smtp::new(&settings)?;
        outbox::sync(self, &smtp, now, now_anyway, |done, total| {
            self.sync.done.store(done, Ordering::SeqCst);
            self.sync.total.store(total, Ordering::SeqCst);
        })
    }

    /// Looks in the worker's mailbox for the receipts and bounces of sent packages, when the
    /// mailbox is set under Instellingen.
    pub fn check_receipts(&self) -> Result<ReceiptReport, OutboxError> {
        let _one = lock(&self.receipts);
        let Some(mail) = self.with(outbox::settings::load)? else {
            return Ok(ReceiptReport::default());
        };
        if !mail.has_mailbox() {
            return Ok(ReceiptReport::default());
        }
        let mailbox = {
            let _one = lock(&self.sign_in.tokens);
            mail.imap(self, now())?
        };
        match mailbox {
            Some(mailbox) => outbox::receipts::check(self, &mailbox, now),
            None => Ok(ReceiptReport::default()),
        }
    }

    /// Runs `f`, which switches the session between the real store and the demo, with no sync
    /// and no look in the mailbox under way: both take the store afresh at each step, so a
    /// switch half-way would claim or record a real mail in the other store, and the real item
    /// would go again. Waits for them to end; none starts meanwhile.
    pub fn switch_store<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        let _sync = lock(&self.sync.one);
        let _receipts = lock(&self.receipts);
        f(&mut self.session())
    }

    /// The sync's own lock, if no sync runs: held, none starts (the idle lock takes it so that
    /// the store cannot close between a sync's claim of an item and its send).
    pub fn no_sync(&self) -> Option<MutexGuard<'_, ()>> {
        match self.sync.one.try_lock() {
            Ok(one) => Some(one),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
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
        let mail = self.with(|store| {
            if outbox::due(store, now(), false)?.is_empty() {
                return Ok(None);
            }
            outbox::settings::load(store)
        });
        matches!(mail, Ok(Some(m)) if Smtp::new(m.server()).is_ok_and(|smtp| smtp.reachable()))
    }

    /// A fresh cancel flag for a sign-in that starts now; an earlier one still waiting ends.
    fn new_sign_in(&self) -> Arc<AtomicBool> {
        let mut current = lock(&self.sign_in.cancel);
        current.store(true, Ordering::SeqCst);
        *current = Arc::new(AtomicBool::new(false));
        Arc::clone(&current)
    }

    /// Signs in with OAuth in the system browser: opens it at the provider and waits (off the
    /// window's thread) for it to come back with the grant.
    pub fn sign_in_in_browser(
        &self,
        open: impl FnOnce(&str) -> std::io::Result<()>,
    ) -> Result<(), OutboxError> {
        let (provider, account) = self.with(outbox::settings::stored_sign_in)?;
        let cancel = self.new_sign_in();
        let sign_in = oauth::start_browser(&provider, Some(&account))?;
        open(sign_in.url()).map_err(|e| oauth::OAuthError::Browser {
            detail: e.to_string(),
        })?;
        sign_in.finish(self, &cancel, now)
    }

    /// Asks the provider for a code the worker types on another device.
    pub fn start_device_sign_in(&self) -> Result<oauth::DeviceCode, OutboxError> {
        let provider = self.with(outbox::settings::stored_provider)?;
        self.new_sign_in();
        let sign_in = oauth::start_device(&provider)?;
        let code = sign_in.code();
        *lock(&self.sign_in.device) = Some(sign_in);
        Ok(code)
    }

    /// Waits for the worker to finish the device sign-in started last.
    pub fn finish_device_sign_in(&self) -> Result<(), OutboxError> {
        let cancel = Arc::clone(&lock(&self.sign_in.cancel));
        let sign_in = lock(&self.sign_in.device)
            .take()
            .ok_or(oauth::OAuthError::Cancelled)?;
        sign_in.finish(self, &cancel, now)
    }

    /// Ends the sign-in that is waiting.
    pub fn cancel_sign_in(&self) {
        lock(&self.sign_in.cancel).store(true, Ordering::SeqCst);
        lock(&self.sign_in.device).take();
    }

    /// Opens the store now, off the main thread; every later `session()` finds it open.
    pub fn open_session(&self) {
        LazyLock::force(&self.session);
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

/// Says a sync runs until it is dropped, also by a panic: the idle lock waits for a running
/// sync, and would wait for good for one that never said it ended.
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// A lock taken over after a panic elsewhere: what it guards holds no half-done state.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
