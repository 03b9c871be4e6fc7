//! The Tauri shell: wires the core to one window. No domain rule lives here; each command is a
//! thin call into `aanmelder_core`, and everything the window may call is listed in `build.rs`.

mod commands;
mod evaluation;
mod ipc;
mod privacy;
mod state;

use tauri::Manager as _;

/// Environment variable that moves the data folder, for tests and for portable installs.
pub const DATA_DIR_ENV: &str = "AANMELDER_DATA_DIR";

/// How often the app looks whether the mail server is reachable and something waits.
const AUTO_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Back online? Then send: a background thread checks every minute whether items are due and the
/// mail server answers, and syncs if so; it also purges data whose retention ran out. The worker
/// never has to remember either.
fn auto_sync(handle: tauri::AppHandle) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(AUTO_SYNC_EVERY);
            let app = handle.state::<state::AppState>();
            if app.should_sync() {
                // Failures stay on the items themselves; the outbox screen shows them.
                let _ = app.sync_outbox();
            }
            // Data whose retention ran out go now; a locked store simply waits for the next turn.
            let _ =
                app.with_store(|store| aanmelder_core::retention::purge_due(store, state::now()));
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
        .build()
        .map(drop)
}

pub fn run() {
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
                None => app.path().app_data_dir()?,
            };
            app.manage(state::AppState::start(dir)?);
            main_window(app)?;
            auto_sync(app.handle().clone());
            privacy::watch(app.handle().clone());
            privacy::watch_session_lock(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session_state,
            commands::create_passphrase,
            commands::unlock,
            commands::try_demo,
            commands::leave_demo,
            commands::worker_profile,
            commands::save_worker_profile,
            commands::check_residence,
            commands::start_referral,
            commands::five_points,
            commands::record_consent,
            commands::record_refusal,
            commands::list_referrals,
            commands::list_agreements,
            commands::partner_options,
            commands::save_agreement,
            commands::delete_agreement,
            commands::stop_agreement,
            commands::agreement_history,
            commands::next_evaluations,
            commands::data_attribution,
            commands::build_package,
            commands::password_passed,
            commands::save_package,
            commands::save_receipt,
            commands::export_folder,
            commands::pick_folder,
            commands::outbox_items,
            commands::outbox_summary,
            commands::sync_outbox,
            commands::sync_progress,
            commands::outbox_resend,
            commands::outbox_delivered,
            commands::smtp_settings,
            commands::save_smtp_settings,
            commands::write_drafts,
            commands::withdraw_consent,
            commands::correct_referral,
            commands::correction_history,
            commands::retention_settings,
            commands::save_retention_settings,
            commands::report_incident,
            commands::verify_ledger,
            commands::ledger_events,
            evaluation::report_counts,
            evaluation::save_count_file,
            evaluation::export_report,
            evaluation::import_count_file,
            evaluation::count_imports,
            evaluation::remove_count_import,
            evaluation::team_report,
            evaluation::pick_file,
            evaluation::role,
            evaluation::set_role,
            evaluation::team_members,
            evaluation::save_team_members,
            evaluation::own_fingerprint,
            evaluation::export_team_profile,
            evaluation::inspect_team_profile,
            evaluation::apply_team_profile,
            privacy::privacy_settings,
            privacy::set_pin,
            privacy::save_idle_minutes,
            privacy::lock_policy,
            privacy::touch,
            privacy::lock_now,
            privacy::unlock_pin,
            privacy::copy_password,
            privacy::upcoming_wipes,
            privacy::discard_referral,
            privacy::files_not_deleted,
        ])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            eprintln!("Aanmelder kon niet starten: {error}");
            std::process::exit(1);
        }
    }
}
