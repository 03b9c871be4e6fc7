//! Commands of the yearly evaluation and the team: counts, count files, exports, the roster, the
//! role and the signed team profile. Thin calls into `aanmelder_core::{report, team}`; reading a
//! file the worker picked is the only thing done here.

use std::path::Path;

use aanmelder_core::files;
use aanmelder_core::report::countfile::{self, ImportOutcome, ImportedFile, TeamReport};
use aanmelder_core::report::{self, PeriodInput, ReportExport, ReportScreen};
use aanmelder_core::team::{self, Applied, Member, ProfilePreview, Role};
use tauri::State;
use tauri_plugin_dialog::DialogExt as _;

use crate::ipc::IpcError;
use crate::state::{AppState, now};

type Reply<T> = Result<T, IpcError>;

/// Count files and team profiles are a few kilobytes; anything this large was picked by mistake.
const MAX_IMPORT_BYTES: u64 = 8 << 20;

/// Reads a file the worker picked for import, refusing what cannot be one of ours.
fn read_import(path: &str) -> Reply<Vec<u8>> {
    let path = Path::new(path.trim());
    let fail = |message: String| IpcError {
        code: "import.read".into(),
        field: Some("path".into()),
        fields: vec![aanmelder_core::error::FieldMessage {
            field: "path".into(),
            message: message.clone(),
        }],
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|_| {
            fail(format!(
                "Bestand: {} bestaat niet of kan niet gelezen worden. Kies het bestand opnieuw.",
                path.display()
            ))
        })?
        .len();
    if size > MAX_IMPORT_BYTES {
        return Err(fail(
            "Bestand: dit bestand is te groot voor een telbestand of teamprofiel. Kies het juiste \
             bestand."
                .into(),
        ));
    }
    std::fs::read(path).map_err(|e| {
        fail(format!(
            "Bestand: kan niet gelezen worden ({}).",
            aanmelder_core::error::io_reason(&e)
        ))
    })
}

#[tauri::command]
pub async fn report_counts(app: State<'_, AppState>, period: PeriodInput) -> Reply<ReportScreen> {
    app.with_store(|store| report::own(store, &app.gazetteer, &period).map(ReportScreen::of))
}

/// Saves the worker's count file for the period in `folder`; returns where.
#[tauri::command]
pub async fn save_count_file(
    app: State<'_, AppState>,
    period: PeriodInput,
    folder: String,
) -> Reply<String> {
    let file = app.with_store(|store| {
        countfile::export(
            store,
            &app.gazetteer,
            &period,
            env!("CARGO_PKG_VERSION"),
            now(),
        )
    })?;
    let path = files::save(folder.as_ref(), &file)?;
    Ok(app.saved_in(&folder, &path))
}

/// Saves the worker's or the team's counts as CSV, XLSX or PDF in the folder asked.
#[tauri::command]
pub async fn export_report(app: State<'_, AppState>, export: ReportExport) -> Reply<String> {
    let file = app.with_store(|store| report::export_file(store, &app.gazetteer, &export))?;
    let path = files::save(export.folder.as_ref(), &file)?;
    Ok(app.saved_in(&export.folder, &path))
}

#[tauri::command]
pub async fn import_count_file(
    app: State<'_, AppState>,
    path: String,
    fingerprint: Option<String>,
) -> Reply<ImportOutcome> {
    let bytes = read_import(&path)?;
    app.with_store(|store| countfile::import(store, &bytes, fingerprint.as_deref(), now()))
}

#[tauri::command]
pub async fn count_imports(app: State<'_, AppState>) -> Reply<Vec<ImportedFile>> {
    app.with_store(countfile::imports)
}

#[tauri::command]
pub async fn remove_count_import(app: State<'_, AppState>, id: i64) -> Reply<()> {
    app.with_store(|store| countfile::remove(store, id))
}

#[tauri::command]
pub async fn team_report(app: State<'_, AppState>, period: PeriodInput) -> Reply<TeamReport> {
    app.with_store(|store| report::team(store, &period))
}

/// The system's file picker for a count file or team profile, opened from the Rust side.
#[tauri::command]
pub async fn pick_file(handle: tauri::AppHandle) -> Reply<Option<String>> {
    Ok(handle
        .dialog()
        .file()
        .set_title("Kies een bestand")
        .add_filter("Aanmelder", &["json"])
        .blocking_pick_file()
        .and_then(|path| path.into_path().ok())
        .map(|path| path.display().to_string()))
}

#[tauri::command]
pub async fn role(app: State<'_, AppState>) -> Reply<Role> {
    app.with_store(team::role)
}

#[tauri::command]
pub async fn set_role(app: State<'_, AppState>, role: Role) -> Reply<Role> {
    app.with_store(|store| team::set_role(store, role).map(|()| role))
}

#[tauri::command]
pub async fn team_members(app: State<'_, AppState>) -> Reply<Vec<Member>> {
    app.with_store(team::members)
}

#[tauri::command]
pub async fn save_team_members(
    app: State<'_, AppState>,
    members: Vec<Member>,
) -> Reply<Vec<Member>> {
    app.with_store(|store| team::save_members(store, members))
}

#[tauri::command]
pub async fn own_fingerprint(app: State<'_, AppState>) -> Reply<String> {
    app.with_store(team::own_fingerprint)
}

/// Signs the team profile and saves it in `folder`; returns where.
#[tauri::command]
pub async fn export_team_profile(app: State<'_, AppState>, folder: String) -> Reply<String> {
    let file = app.with_store(|store| team::export_profile(store, now()))?;
    let path = files::save(folder.as_ref(), &file)?;
    Ok(app.saved_in(&folder, &path))
}

#[tauri::command]
pub async fn inspect_team_profile(app: State<'_, AppState>, path: String) -> Reply<ProfilePreview> {
    let bytes = read_import(&path)?;
    app.with_store(|store| team::inspect_profile(store, &bytes))
}

#[tauri::command]
pub async fn apply_team_profile(
    app: State<'_, AppState>,
    path: String,
    fingerprint: Option<String>,
) -> Reply<Applied> {
    let bytes = read_import(&path)?;
    app.with_store(|store| {
        team::apply_profile(
            store,
            &app.gazetteer,
            &bytes,
            fingerprint.as_deref(),
            crate::state::now(),
        )
    })
}
