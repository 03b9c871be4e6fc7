//! The Tauri shell: wires the core to one window. No domain rule lives here; each command is a
//! thin call into `aanmelder_core`, and everything the window may call is listed once, in `command_list.rs`.

#[macro_use]
mod command_list;
mod commands;
mod evaluation;
mod ipc;
mod privacy;
mod state;

use tauri::Manager as _;

/// The invoke handler for the commands of `command_list.rs`.
macro_rules! handler {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri::generate_handler![$($module::$command),*]
    };
}

/// Environment variable that moves the data folder, for tests and for portable installs.
pub const DATA_DIR_ENV: &str = "AANMELDER_DATA_DIR";

/// How often the app looks whether the mail server is reachable and something waits.
const AUTO_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// How many of those turns pass between two looks in the worker's mailbox for receipts.
const RECEIPTS_EVERY_TURNS: u32 = 5;

/// Back online? Then send: a background thread checks every minute whether items are due and the
/// mail server answers, and syncs if so; it also purges data whose retention ran out. The worker
/// never has to remember either.
fn auto_sync(handle: tauri::AppHandle) {
    std::thread::spawn(move || {
        for turn in 1u32.. {
            std::thread::sleep(AUTO_SYNC_EVERY);
            let app = handle.state::<state::AppState>();
            // A step that panics (on a malformed report in the mailbox, say) loses that step
            // of this turn only: the others still run, the purge above all. Every lock the
            // steps take is taken over when poisoned, and an open transaction rolls back.
            let step = |run: &dyn Fn()| {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
            };
            step(&|| {
                if app.should_sync() {
                    // Failures stay on the items themselves; the outbox screen shows them.
                    let _ = app.sync_outbox(false);
                }
            });
            // Receipts and bounces of what was sent: a mailbox that does not answer now is
            // asked again at a later turn.
            if turn.is_multiple_of(RECEIPTS_EVERY_TURNS) {
                step(&|| drop(app.check_receipts()));
            }
            // Data whose retention ran out go now; a locked store waits for the next turn.
            step(&|| {
                drop(
                    app.with_store(|store| {
                        aanmelder_core::retention::purge_due(store, state::now())
                    }),
                );
            });
        }
    });
}

/// The one window, made here rather than in `tauri.conf.json` for its private mode: the
/// WebView keeps no form data, autofill entries, cache or storage on disk (WebKitGTK's
/// ephemeral context, WebView2's InPrivate). WebKit's WebDriver cannot drive an ephemeral
/// context, so under test automation (`TAURI_WEBVIEW_AUTOMATION`, set by tauri-driver) the
/// window uses the ordinary one; the end-to-end disk scan thus checks the weaker mode.
fn main_window(app: &tauri::App) -> tauri::Result<()> {
    let automated = std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true");
    tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::default())
        .title("Aanmelder")
        .inner_size(1100.0, 780.0)
        .min_inner_size(720.0, 560.0)
        .incognito(!automated)
        // WebView2's "Suggestions" may fill in a client's address from an earlier one despite
        // `autocomplete="off"`, and would keep it in an ordinary (test) profile.
        .general_autofill_enabled(false)
        .build()
        .map(drop)
}

/// WebKitGTK's renderer, lighter for a window of forms and tables: Skia paints on the CPU, so
/// the web process keeps none of Skia's GPU caches (measured by the start-up harness under Xvfb:
/// the web process from about 179 to 157 MiB). Compositing stays on, and so does the DMA-BUF
/// renderer: without either the web process would drop to about 105 MiB, but WebKitGTK 2.50
/// then stops answering WebDriver's screenshots once the window has idled, which the end-to-end
/// tests rely on; `accessibility.rs` checks a screenshot after the window idled. Set before any
/// WebKit object exists and before any thread starts; a value the user set wins.
#[cfg(target_os = "linux")]
fn lighter_webkit() {
    glib::setenv("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1", false).ok();
}

/// On Windows the standard error goes nowhere (the app has no console): without a window the
/// worker would see nothing happen. Nothing of a client's is open yet at this point.
#[cfg(windows)]
fn said_in_a_window(error: &tauri::Error) {
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title("Aanmelder")
        .set_description(format!(
            "Aanmelder kon niet starten. Start de computer opnieuw; lukt het dan nog niet, neem \
             contact op met je ICT-ondersteuning.\n\nTechnische melding voor ICT: {error}"
        ))
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}

#[cfg(not(windows))]
fn said_in_a_window(_error: &tauri::Error) {}

/// A crash leaves no core dump: it would put the open store's pages and the page's client data,
/// in clear, in a file (`/var/lib/systemd/coredump`), and the kernel and systemd-coredump honour
/// this limit (Ubuntu's apport may not: the README tells IT). WebKit's processes inherit it.
/// The hard limit stays as it was, so a developer can raise the soft one again under a debugger.
#[cfg(unix)]
fn no_core_dumps() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let maximum = getrlimit(Resource::Core).maximum;
    if let Err(e) = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum,
        },
    ) {
        eprintln!("Aanmelder: core dumps could not be switched off: {e}");
    }
}

/// A panic says where it happened, not what it was handed: its message may repeat a value it
/// choked on (a name cut at the wrong byte, a line of a mail), and the standard error goes to
/// the desktop session's journal on disk.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("Aanmelder: interne fout{place}");
    }));
}

/// The argument that counts the launches [`start_again_if_the_last_one_is_closing`] makes: an
/// argument, not an environment variable, so nothing the app starts later inherits it.
const HANDOVER_TRY_ARG: &str = "--aanmelder-handover-try=";

/// Thirty tries, 300 ms apart: about ten seconds for the closing app to be gone.
const HANDOVER_TRIES: u32 = 30;

/// A launch while the last window is still closing: the closing app holds the single-instance
/// name on the session bus but no longer answers the handover, and the plugin gives up, which
/// would leave the worker with no window and the reason only on a terminal. The app starts
/// itself again a moment later, when the closing one is gone, up to [`HANDOVER_TRIES`] times;
/// after that (an app that holds the name and hangs) it says why it did not start.
fn start_again_if_the_last_one_is_closing(error: &tauri::Error) {
    let tauri::Error::PluginInitialization(plugin, _) = error else {
        return;
    };
    if plugin != "single-instance" {
        return;
    }
    let (tried, args): (Vec<_>, Vec<_>) = std::env::args_os()
        .skip(1)
        .partition(|a| a.to_string_lossy().starts_with(HANDOVER_TRY_ARG));
    let tries = tried
        .last()
        .and_then(|a| {
            a.to_string_lossy()
                .strip_prefix(HANDOVER_TRY_ARG)
                .and_then(|n| n.parse::<u32>().ok())
        })
        .unwrap_or(0);
    if tries >= HANDOVER_TRIES {
        return;
    }
    let Ok(binary) = std::env::current_exe() else {
        return;
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut again = std::process::Command::new(binary);
    again
        .args(args)
        .arg(format!("{HANDOVER_TRY_ARG}{}", tries + 1));
    // In place on Unix: whoever started the app (the desktop, a test) keeps its process.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let failed = again.exec();
        eprintln!("Aanmelder kon niet opnieuw starten: {failed}");
    }
    #[cfg(not(unix))]
    if again.spawn().is_ok() {
        std::process::exit(0);
    }
}

pub fn run() {
    quiet_panics();
    #[cfg(unix)]
    no_core_dumps();
    #[cfg(target_os = "linux")]
    lighter_webkit();
    let app = tauri::Builder::default()
        // First: a second launch hands over to the running app, which comes to the front, and
        // exits. One app, one sender per store.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        // Registered for the Rust side only (`pick_folder`); no capability grants it to the page.
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let dir = match std::env::var_os(DATA_DIR_ENV) {
                Some(dir) => dir.into(),
                // The local folder, not the roaming one: with roaming profiles or folder
                // redirection Windows would copy the store and its log to the profile server
                // and every PC the worker signs in on, where a wipe does not reach (and SQLite's
                // log does not work on a network share). The same folder on Linux and macOS.
                None => app.path().app_local_data_dir()?,
            };
            // The window first, then the store on a thread of its own: WebKit starts its
            // processes and loads the page meanwhile, and a command that comes before the store
            // is open waits for it.
            main_window(app)?;
            app.manage(state::AppState::start(dir)?);
            let opener = app.handle().clone();
            std::thread::spawn(move || opener.state::<state::AppState>().open_session());
            auto_sync(app.handle().clone());
            privacy::watch(app.handle().clone());
            privacy::watch_session_lock(app.handle().clone());
            Ok(())
        })
        .invoke_handler(with_commands!(handler))
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                privacy::clear_clipboard_on_exit(handle);
            }
        }),
        Err(error) => {
            start_again_if_the_last_one_is_closing(&error);
            eprintln!("Aanmelder kon niet starten: {error}");
            said_in_a_window(&error);
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    /// Run by [`a_panic_tells_where_not_what`] in a process of its own: the hook is global.
    #[test]
    #[ignore = "run by a_panic_tells_where_not_what, in a child process"]
    fn panics_with_a_clients_name() {
        super::quiet_panics();
        panic!("Zoë Vandenberghe, Geheimstraat 7");
    }

    #[test]
    fn a_panic_tells_where_not_what() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tests::panics_with_a_clients_name",
                "--ignored",
                "--nocapture",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "the child panicked: {stdout}");
        assert!(
            stderr.contains("Aanmelder: interne fout (src-tauri/src/lib.rs:"),
            "{stderr}"
        );
        for output in [&stdout, &stderr] {
            assert!(!output.contains("Vandenberghe"), "{output}");
        }
    }
}
