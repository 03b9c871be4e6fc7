//! The commands and the watcher behind the idle lock, the PIN, the clipboard and retention.
//!
//! The window reports input (`touch`) and locks itself when the worker is away; the watcher
//! thread here locks too, in case the page is not running its timers (a minimised window), and
//! when it sees the machine has been suspended (the wall clock jumped ahead of the monotonic
//! one). On Linux the desktop's own screen lock locks it as well. Locking closes the store:
//! see `Session::lock`.

use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use aanmelder_core::files::{self, NotDeleted};
use aanmelder_core::privacy::{self, PinInput, PrivacyError, PrivacySettings};
use aanmelder_core::referral::Reference;
use aanmelder_core::retention::{self, DiscardReason, Wipe};
use aanmelder_core::session::SessionState;
use aanmelder_core::store::{PIN_TRIES, StoreError};
use serde::Serialize;
use tauri::{Manager as _, State};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::ipc::IpcError;
use crate::state::{AppState, now};

type Reply<T> = Result<T, IpcError>;

/// Environment variable that sets the idle time in seconds instead of the worker's minutes: the
/// end-to-end test of the lock cannot wait minutes.
pub const IDLE_SECONDS_ENV: &str = "AANMELDER_IDLE_SECONDS";

/// How long a copied password stays on the clipboard.
const CLIPBOARD_SECONDS: u64 = 45;
/// Environment variable that shortens that, for the end-to-end test only.
pub const CLIPBOARD_SECONDS_ENV: &str = "AANMELDER_CLIPBOARD_SECONDS";

/// A tick this much longer than it should be means a suspend.
const SUSPEND_JUMP: Duration = Duration::from_secs(30);

/// Whether the machine slept during a tick of `tick` that took `wall` by the wall clock and
/// `mono` by the monotonic one. Linux's and macOS's monotonic clocks stop while the machine
/// sleeps, so there the wall clock runs ahead; Windows' keeps counting, so there the tick itself
/// took far too long (the thread did not run while the machine slept). A tick that long for
/// another reason (the process stopped half a minute) locks too, which is the safe side.
fn slept(tick: Duration, wall: Duration, mono: Duration) -> bool {
    wall > mono + SUSPEND_JUMP || mono > tick + SUSPEND_JUMP
}

/// Input times and the clipboard, for the lock and the password.
pub struct Guard {
    last_input: Mutex<Instant>,
    idle_override: Option<Duration>,
    clipboard_for: Duration,
    /// Wrong PINs typed while the window was locked but the store not yet.
    wrong_pins: AtomicU8,
    /// Right PINs typed while the window was locked but the store not yet: a lock still waiting
    /// for a sync is called off by one.
    unlocks: AtomicU32,
    /// Kept alive while it owns the clipboard: on X11 the owner serves the text.
    clipboard: Mutex<Option<arboard::Clipboard>>,
    /// The password last put on the clipboard, until its timer or the app's exit takes it off.
    copied: Mutex<Option<Zeroizing<String>>>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("idle_override", &self.idle_override)
            .finish_non_exhaustive()
    }
}

impl Guard {
    pub fn new() -> Self {
        Self {
            last_input: Mutex::new(Instant::now()),
            idle_override: std::env::var(IDLE_SECONDS_ENV)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .map(Duration::from_secs),
            clipboard_for: Duration::from_secs(
                std::env::var(CLIPBOARD_SECONDS_ENV)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(CLIPBOARD_SECONDS),
            ),
            clipboard: Mutex::new(None),
            copied: Mutex::new(None),
            wrong_pins: AtomicU8::new(0),
            unlocks: AtomicU32::new(0),
        }
    }

    /// Clears the clipboard if it still holds `password`: something the worker copied since is
    /// theirs.
    fn clear_clipboard_if(&self, password: &str) {
        let mut slot = self
            .clipboard
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(clipboard) = slot.as_mut() {
            let still_ours = clipboard
                .get_text()
                .map(Zeroizing::new)
                .is_ok_and(|text| text.as_str() == password);
            if still_ours {
                let _ = clipboard.clear();
            }
        }
    }

    /// Takes the password the app last copied off the clipboard, if it is still there, and
    /// forgets it. `only`: a timer's own password, not one copied since (its timer comes).
    fn take_copied_off(&self, only: Option<&str>) {
        let copied = {
            let mut slot = self.copied.lock().unwrap_or_else(PoisonError::into_inner);
            if only.is_some_and(|p| slot.as_ref().is_none_or(|c| c.as_str() != p)) {
                return;
            }
            slot.take()
        };
        if let Some(password) = copied {
            self.clear_clipboard_if(&password);
        }
    }

    fn touch(&self) {
        *self
            .last_input
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_input
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
    }
}

impl AppState {
    /// The idle time after which the window locks.
    fn idle_limit(&self, settings: &PrivacySettings) -> Duration {
        self.guard
            .idle_override
            .unwrap_or(Duration::from_secs(u64::from(settings.idle_minutes) * 60))
    }

    /// Locks the store if it is open and has a PIN. Never in the middle of a sync, which would
    /// leave an item "mogelijk al verzonden": an idle lock waits for the next tick, a lock the
    /// worker or the desktop asked for waits until the sync is done (the window shows the lock
    /// at once, and checks the PIN against its hash meanwhile).
    pub fn lock(&self, only_if_idle: bool) -> Result<bool, IpcError> {
        let unlocks = self.guard.unlocks.load(Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(600);
        // Held until the store is closed, so no sync starts in between.
        let _no_sync = loop {
            match self.no_sync() {
                Some(one) => break Some(one),
                None if only_if_idle => return Ok(false),
                None if Instant::now() >= deadline => break None,
                None => std::thread::sleep(Duration::from_millis(200)),
            }
            // The worker typed the right PIN meanwhile: back to work, no lock.
            if self.guard.unlocks.load(Ordering::SeqCst) != unlocks {
                return Ok(false);
            }
        };
        let mut session = self.session();
        // The real store's PIN and idle time, also in the demo (the lock ends it).
        let Ok(store) = session.real_store() else {
            return Ok(false);
        };
        let settings = privacy::load(store)?;
        // The window checks input itself; this is the backstop, so it allows a quarter more.
        let limit = self.idle_limit(&settings);
        if only_if_idle && self.guard.idle_for() < limit + limit / 4 {
            return Ok(false);
        }
        let Some(pin) = privacy::pin_hash(store)? else {
            return Ok(false);
        };
        // Wrong PINs typed while the window waited for a sync count against the same five.
        let wrong = self.guard.wrong_pins.load(Ordering::SeqCst);
        session.lock(&pin, PIN_TRIES.saturating_sub(wrong));
        Ok(true)
    }
}

/// Every two seconds: lock when idle, or after a suspend.
pub fn watch(handle: tauri::AppHandle) {
    std::thread::spawn(move || {
        let tick = Duration::from_secs(2);
        loop {
            // Around the sleep only: a lock that waits for a sync, or a session another thread
            // holds, must not read as a suspend on the next tick.
            let wall = SystemTime::now();
            let mono = Instant::now();
            std::thread::sleep(tick);
            let wall_gone = SystemTime::now()
                .duration_since(wall)
                .unwrap_or(Duration::ZERO);
            let suspended = slept(tick, wall_gone, mono.elapsed());
            let app = handle.state::<AppState>();
            // A store that will not lock (no PIN yet, locked already) simply waits.
            let _ = app.lock(!suspended);
        }
    });
}

/// Locks when the desktop says the screen is locked: the screen saver's `ActiveChanged(true)`
/// on the session bus (freedesktop and GNOME names) and logind's `Lock` on the system bus. A
/// desktop that sends none of these still has the idle and suspend locks.
#[cfg(target_os = "linux")]
pub fn watch_session_lock(handle: tauri::AppHandle) {
    type Rule = (bool, &'static str, &'static str, bool);
    const RULES: [Rule; 3] = [
        // (system bus?, interface, member, carries "active"?)
        (false, "org.freedesktop.ScreenSaver", "ActiveChanged", true),
        (false, "org.gnome.ScreenSaver", "ActiveChanged", true),
        (true, "org.freedesktop.login1.Session", "Lock", false),
    ];
    for (system, interface, member, has_flag) in RULES {
        let handle = handle.clone();
        std::thread::spawn(move || {
            let listen = || -> zbus::Result<()> {
                let conn = if system {
                    zbus::blocking::Connection::system()?
                } else {
                    zbus::blocking::Connection::session()?
                };
                let rule = zbus::MatchRule::builder()
                    .msg_type(zbus::message::Type::Signal)
                    .interface(interface)?
                    .member(member)?
                    .build();
                for message in zbus::blocking::MessageIterator::for_match_rule(rule, &conn, None)? {
                    let message = message?;
                    let locked = !has_flag || message.body().deserialize::<bool>().unwrap_or(false);
                    if locked {
                        let _ = handle.state::<AppState>().lock(false);
                    }
                }
                Ok(())
            };
            // No such bus (a bare session): nothing tells us, nothing to do.
            let _ = listen();
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub fn watch_session_lock(_handle: tauri::AppHandle) {}

#[tauri::command]
pub async fn privacy_settings(app: State<'_, AppState>) -> Reply<PrivacySettings> {
    app.with_store(privacy::load)
}

#[tauri::command]
pub async fn set_pin(app: State<'_, AppState>, input: PinInput) -> Reply<PrivacySettings> {
    app.guard.touch();
    app.with_store(|store| privacy::set_pin(store, &input))
}

#[tauri::command]
pub async fn save_idle_minutes(app: State<'_, AppState>, minutes: u32) -> Reply<PrivacySettings> {
    app.with_store(|store| privacy::save_idle_minutes(store, minutes))
}

/// When the window should lock: the worker's own settings, also while the demo runs.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct LockPolicy {
    pub idle_seconds: u32,
    /// A PIN is set, so the window locks.
    pub locks: bool,
}

#[tauri::command]
pub async fn lock_policy(app: State<'_, AppState>) -> Reply<LockPolicy> {
    let session = app.session();
    let store = session.real_store()?;
    let settings = privacy::load(store)?;
    let seconds = app.idle_limit(&settings).as_secs();
    Ok(LockPolicy {
        idle_seconds: u32::try_from(seconds).unwrap_or(u32::MAX),
        locks: privacy::pin_hash(store)?.is_some(),
    })
}

/// The worker is at the keyboard.
#[tauri::command]
pub async fn touch(app: State<'_, AppState>) -> Reply<()> {
    app.guard.touch();
    Ok(())
}

/// Locks the store, waiting off the async runtime for a running sync to end (the window shows
/// the lock at once): a wait of minutes would otherwise hold one of the runtime's few threads.
#[tauri::command]
pub async fn lock_now(handle: tauri::AppHandle) -> Reply<SessionState> {
    tauri::async_runtime::spawn_blocking(move || {
        let app = handle.state::<AppState>();
        app.lock(false)?;
        Ok(app.session().state())
    })
    .await
    .map_err(|_| IpcError::interrupted("session.lock"))?
}

/// Unlocks with the PIN. After the last wrong try the app closes, as the worker is told.
#[tauri::command]
pub async fn unlock_pin(
    handle: tauri::AppHandle,
    app: State<'_, AppState>,
    pin: Zeroizing<String>,
) -> Reply<SessionState> {
    let exhausted = |handle: tauri::AppHandle| {
        // Long enough for the window to show why it closes.
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            handle.exit(0);
        });
        Err(StoreError::PinExhausted.into())
    };
    if !app.session().is_locked() {
        // The window locked itself before the store could (a sync was still running): the PIN
        // is checked against its hash, with the same five tries.
        let right = app.with_store(|store| {
            let hash = privacy::pin_hash(store)?.ok_or(StoreError::Locked)?;
            hash.matches(pin.trim())
                .map_err(|e| PrivacyError::Store(e.into()))
        })?;
        if right {
            app.guard.wrong_pins.store(0, Ordering::SeqCst);
            app.guard.unlocks.fetch_add(1, Ordering::SeqCst);
            app.guard.touch();
            return Ok(app.session().state());
        }
        let wrong = app.guard.wrong_pins.fetch_add(1, Ordering::SeqCst) + 1;
        if wrong >= PIN_TRIES {
            return exhausted(handle);
        }
        return Err(StoreError::WrongPin {
            tries_left: PIN_TRIES - wrong,
        }
        .into());
    }
    let result = app.session().unlock_with_pin(pin.trim());
    match result {
        Ok(()) => {
            app.guard.wrong_pins.store(0, Ordering::SeqCst);
            app.guard.touch();
            Ok(app.session().state())
        }
        Err(StoreError::PinExhausted) => exhausted(handle),
        Err(e) => Err(e.into()),
    }
}

/// Puts the package's password on the clipboard, marked as secret so clipboard histories skip
/// it, and clears it after 45 seconds if it is still there.
#[tauri::command]
pub async fn copy_password(handle: tauri::AppHandle, reference: Reference) -> Reply<()> {
    let app = handle.state::<AppState>();
    let password = app
        .packages(|p, _| p.view(&reference, crate::state::now()))?
        .map(|v| v.password);
    let password = Zeroizing::new(password.ok_or_else(|| {
        IpcError::message(
            "package.not_built",
            "Er is nog geen pakket voor deze aanmelding.",
        )
    })?);
    let unavailable = |e: arboard::Error| {
        let why = match e {
            arboard::Error::ClipboardOccupied => {
                "een ander programma gebruikt het klembord; probeer het zo opnieuw"
            }
            _ => "het klembord van de computer is niet bereikbaar",
        };
        IpcError::message(
            "clipboard.unavailable",
            format!("Kopiëren lukte niet ({why}): lees het wachtwoord voor of typ het over."),
        )
    };
    {
        let mut slot = app
            .guard
            .clipboard
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(arboard::Clipboard::new().map_err(unavailable)?);
        }
        if let Some(clipboard) = slot.as_mut() {
            secret(clipboard.set())
                .text(password.as_str())
                .map_err(unavailable)?;
        }
    }
    *app.guard
        .copied
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(password.clone());
    std::thread::spawn(move || {
        let app = handle.state::<AppState>();
        std::thread::sleep(app.guard.clipboard_for);
        app.guard.take_copied_off(Some(&password));
    });
    Ok(())
}

/// When the app quits, the password it put on the clipboard goes too, if it is still there:
/// Windows keeps the clipboard after its owner quits, and on Linux a clipboard manager may take
/// it over then; the 45 seconds would never come.
pub fn clear_clipboard_on_exit(handle: &tauri::AppHandle) {
    if let Some(app) = handle.try_state::<AppState>() {
        app.guard.take_copied_off(None);
    }
}

#[cfg(target_os = "linux")]
fn secret(set: arboard::Set<'_>) -> arboard::Set<'_> {
    use arboard::SetExtLinux as _;
    set.exclude_from_history()
}

/// Windows' own history and cloud clipboard, and the monitoring format that third-party
/// clipboard managers (Ditto and the like) respect.
#[cfg(target_os = "windows")]
fn secret(set: arboard::Set<'_>) -> arboard::Set<'_> {
    use arboard::SetExtWindows as _;
    set.exclude_from_history()
        .exclude_from_cloud()
        .exclude_from_monitoring()
}

/// The pasteboard's concealed type (nspasteboard.org), which clipboard histories such as Maccy
/// and Alfred skip. Not compiled on our machines (no macOS target here).
#[cfg(target_os = "macos")]
fn secret(set: arboard::Set<'_>) -> arboard::Set<'_> {
    use arboard::SetExtApple as _;
    set.exclude_from_history()
}

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
fn secret(set: arboard::Set<'_>) -> arboard::Set<'_> {
    set
}

/// What will be wiped within a week, and why.
#[tauri::command]
pub async fn upcoming_wipes(app: State<'_, AppState>) -> Reply<Vec<Wipe>> {
    app.with_store(|store| retention::upcoming(store, now()))
}

/// "Verwijderen": a draft or a referral that cannot go on, wiped now.
#[tauri::command]
pub async fn discard_referral(
    app: State<'_, AppState>,
    reference: Reference,
    reason: DiscardReason,
) -> Reply<()> {
    app.with_store(|store| retention::discard(store, reference.as_str(), reason, now()))
}

/// Copies the purge could not delete.
#[tauri::command]
pub async fn files_not_deleted(app: State<'_, AppState>) -> Reply<Vec<NotDeleted>> {
    app.with_store(files::not_deleted)
}

/// "Ik heb het gewist": the worker wiped a listed copy by hand. Returns the list.
#[tauri::command]
pub async fn file_wiped_by_hand(app: State<'_, AppState>, path: String) -> Reply<Vec<NotDeleted>> {
    app.with_store(|store| files::wiped_by_the_worker(store, &path, now()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::slept;

    const TICK: Duration = Duration::from_secs(2);

    #[test]
    fn a_suspend_is_seen_whichever_clock_stops() {
        let s = Duration::from_secs;
        // An ordinary tick, a little late.
        assert!(!slept(TICK, s(3), s(3)));
        // Linux and macOS: the monotonic clock stopped for the ten minutes of sleep.
        assert!(slept(TICK, s(602), s(2)));
        // Windows: both clocks counted the ten minutes.
        assert!(slept(TICK, s(602), s(602)));
        // The wall clock set back an hour is no suspend.
        assert!(!slept(TICK, Duration::ZERO, s(2)));
    }
}
