//! The Tauri shell: wires the core to one window. No domain rule lives here; each command is a
//! thin call into `aanmelder_core`, and everything the window may call is listed in `build.rs`.

mod commands;
mod ipc;
mod state;

use tauri::Manager as _;

/// Environment variable that moves the data folder, for tests and for portable installs.
pub const DATA_DIR_ENV: &str = "AANMELDER_DATA_DIR";

pub fn run() {
    let app = tauri::Builder::default()
        // Registered for the Rust side only (`pick_folder`); no capability grants it to the page.
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let dir = match std::env::var_os(DATA_DIR_ENV) {
                Some(dir) => dir.into(),
                None => app.path().app_data_dir()?,
            };
            app.manage(state::AppState::start(dir)?);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session_state,
            commands::create_passphrase,
            commands::unlock,
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
            commands::data_attribution,
            commands::build_package,
            commands::package,
            commands::password_passed,
            commands::save_package,
            commands::save_receipt,
            commands::export_folder,
            commands::pick_folder,
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
