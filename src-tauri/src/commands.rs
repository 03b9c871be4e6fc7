//! The commands the window may call. Async, so Tauri runs them off the main thread and a slow
//! key derivation never freezes the window.

use aanmelder_core::store::SessionState;
use aanmelder_core::worker::WorkerProfile;
use tauri::State;

use crate::ipc::IpcError;
use crate::state::AppState;

type Reply<T> = Result<T, IpcError>;

#[tauri::command]
pub async fn session_state(app: State<'_, AppState>) -> Reply<SessionState> {
    Ok(app.session().state())
}

#[tauri::command]
pub async fn create_passphrase(
    app: State<'_, AppState>,
    passphrase: String,
    confirmation: String,
) -> Reply<SessionState> {
    let mut session = app.session();
    session.create_with_passphrase(&passphrase, &confirmation)?;
    Ok(session.state())
}

#[tauri::command]
pub async fn unlock(app: State<'_, AppState>, passphrase: String) -> Reply<SessionState> {
    let mut session = app.session();
    session.unlock(&passphrase)?;
    Ok(session.state())
}

#[tauri::command]
pub async fn worker_profile(app: State<'_, AppState>) -> Reply<WorkerProfile> {
    Ok(WorkerProfile::load(app.session().store()?)?)
}

#[tauri::command]
pub async fn save_worker_profile(
    app: State<'_, AppState>,
    profile: WorkerProfile,
) -> Reply<WorkerProfile> {
    Ok(profile.save(app.session().store()?)?)
}
