//! The commands the window may call. Async, so Tauri runs them off the main thread and a slow
//! key derivation never freezes the window. Each is a thin call into the core.

use aanmelder_core::agreement::{
    Agreement, AgreementInput, AgreementVersion, ListedAgreement, NextEvaluation,
};
use aanmelder_core::consent::{FivePoints, Language};
use aanmelder_core::contact;
use aanmelder_core::correction::{self, CorrectionEntry, CorrectionInput};
use aanmelder_core::incident::{self, DpoDraft, IncidentInput};
use aanmelder_core::ledger::{self, ChainCheck, ListedEvent};
use aanmelder_core::outbox::oauth::DeviceCode;
use aanmelder_core::outbox::receipts::ReceiptReport;
use aanmelder_core::outbox::settings::{SmtpInput, SmtpView};
use aanmelder_core::outbox::{
    self, OutboxError, OutboxItem, OutboxSummary, StoreAccess as _, SyncReport,
};
use aanmelder_core::package::{Channel, ListedReferral, PackageView, SavedCopy};
use aanmelder_core::referral::{ClientInput, Reference, Referral};
use aanmelder_core::residence::PartnerOption;
use aanmelder_core::retention::RetentionSettings;
use aanmelder_core::session::SessionState;
use aanmelder_core::visit::{ConsentInput, ResidenceCheck, Started};
use aanmelder_core::withdrawal::{self, WithdrawalInput, Withdrawn};
use aanmelder_core::worker::WorkerProfile;
use serde::Serialize;
use tauri::{Manager as _, State};
use tauri_plugin_dialog::DialogExt as _;
use ts_rs::TS;
use zeroize::Zeroizing;

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
    passphrase: Zeroizing<String>,
    confirmation: Zeroizing<String>,
) -> Reply<SessionState> {
    let mut session = app.session();
    session.create_with_passphrase(&passphrase, &confirmation)?;
    Ok(session.state())
}

/// "Sleutelbos opnieuw proberen": the first start met a locked keyring, which the worker has
/// unlocked since. Off the async runtime: the keyring may show its unlock prompt and wait.
#[tauri::command]
pub async fn retry_keyring(handle: tauri::AppHandle) -> Reply<SessionState> {
    tauri::async_runtime::spawn_blocking(move || {
        let app = handle.state::<AppState>();
        let mut session = app.session();
        session.retry_keyring(&aanmelder_core::store::OsKeyring)?;
        Ok(session.state())
    })
    .await
    .map_err(|_| IpcError::interrupted("store.retry_keyring"))?
}

/// "Demo proberen": a demo store in memory, used instead of the real one until the worker
/// leaves it.
#[tauri::command]
pub async fn try_demo(app: State<'_, AppState>) -> Reply<SessionState> {
    let demo = aanmelder_core::demo::open(crate::state::now())?;
    Ok(app.switch_store(|session| {
        session.enter_demo(demo);
        session.state()
    }))
}

/// Back to the real store; the demo is forgotten.
#[tauri::command]
pub async fn leave_demo(app: State<'_, AppState>) -> Reply<SessionState> {
    Ok(app.switch_store(|session| {
        session.leave_demo();
        session.state()
    }))
}

#[tauri::command]
pub async fn unlock(
    app: State<'_, AppState>,
    passphrase: Zeroizing<String>,
) -> Reply<SessionState> {
    let mut session = app.session();
    session.unlock(&passphrase)?;
    Ok(session.state())
}

#[tauri::command]
pub async fn worker_profile(app: State<'_, AppState>) -> Reply<WorkerProfile> {
    app.with_store(WorkerProfile::load).map(readable_profile)
}

/// Refuses, with the same message as the start of a referral, when the worker's own details
/// are not complete: asked when "Nieuwe aanmelding" opens, before a client's data are typed.
#[tauri::command]
pub async fn check_worker_profile(app: State<'_, AppState>) -> Reply<()> {
    app.with_store(|store| WorkerProfile::load(store)?.require_complete())
}

/// Phones reach the page as a person reads and types them (`0470 12 34 56`), in the fields the
/// worker edits too; the store keeps E.164 and takes either form back.
fn readable(phone: &mut String) {
    *phone = contact::shown(phone);
}

fn readable_profile(mut profile: WorkerProfile) -> WorkerProfile {
    readable(&mut profile.phone);
    profile
}

fn readable_agreement(mut agreement: Agreement) -> Agreement {
    readable(&mut agreement.password_phone);
    agreement
}

#[tauri::command]
pub async fn save_worker_profile(
    app: State<'_, AppState>,
    profile: WorkerProfile,
) -> Reply<WorkerProfile> {
    app.with_store(|store| profile.save(store))
        .map(readable_profile)
}

#[tauri::command]
pub async fn check_residence(
    app: State<'_, AppState>,
    postal_code: String,
    municipality_code: String,
) -> Reply<ResidenceCheck> {
    app.visit(|visit, now| visit.check_residence(&postal_code, &municipality_code, now))
}

#[tauri::command]
pub async fn start_referral(
    app: State<'_, AppState>,
    client: ClientInput,
    partner_id: Option<i64>,
) -> Reply<Started> {
    app.visit(|visit, now| visit.start_with(&client, partner_id, now))
}

#[tauri::command]
pub async fn five_points(
    app: State<'_, AppState>,
    reference: Reference,
    language: Language,
) -> Reply<FivePoints> {
    app.visit(|visit, now| visit.five_points(&reference, language, now))
}

#[tauri::command]
pub async fn record_consent(app: State<'_, AppState>, consent: ConsentInput) -> Reply<Referral> {
    app.visit(|visit, now| visit.consent(&consent, now))
}

#[tauri::command]
pub async fn record_refusal(
    app: State<'_, AppState>,
    reference: Reference,
    explained: Vec<String>,
) -> Reply<Referral> {
    app.visit(|visit, now| visit.refuse(&reference, &explained, now))
}

#[tauri::command]
pub async fn list_referrals(app: State<'_, AppState>) -> Reply<Vec<ListedReferral>> {
    let mut listed = app.packages(|packages, _| packages.referrals())?;
    for phone in listed
        .iter_mut()
        .filter_map(|l| l.referral.client.as_mut()?.phone.as_mut())
    {
        readable(phone);
    }
    Ok(listed)
}

#[tauri::command]
pub async fn list_agreements(app: State<'_, AppState>) -> Reply<Vec<ListedAgreement>> {
    let mut listed =
        app.with_store(|store| Agreement::listed(store, crate::state::now().date_naive()))?;
    for l in &mut listed {
        readable(&mut l.agreement.password_phone);
    }
    Ok(listed)
}

#[tauri::command]
pub async fn partner_options(app: State<'_, AppState>) -> Reply<Vec<PartnerOption>> {
    Ok(app.gazetteer.partner_options())
}

#[tauri::command]
pub async fn save_agreement(
    app: State<'_, AppState>,
    id: Option<i64>,
    agreement: AgreementInput,
) -> Reply<Agreement> {
    app.with_store(|store| {
        Agreement::save(store, &app.gazetteer, id, agreement, crate::state::now())
    })
    .map(readable_agreement)
}

#[tauri::command]
pub async fn delete_agreement(app: State<'_, AppState>, id: i64) -> Reply<()> {
    app.with_store(|store| Agreement::delete(store, id))
}

/// "Stopzetten": the partner ends on `until` and stays in the register with its history.
#[tauri::command]
pub async fn stop_agreement(app: State<'_, AppState>, id: i64, until: String) -> Reply<Agreement> {
    app.with_store(|store| Agreement::stop(store, id, &until, crate::state::now()))
        .map(readable_agreement)
}

#[tauri::command]
pub async fn agreement_history(app: State<'_, AppState>, id: i64) -> Reply<Vec<AgreementVersion>> {
    let mut versions = app.with_store(|store| Agreement::history(store, id))?;
    for v in &mut versions {
        readable(&mut v.entry.password_phone);
    }
    Ok(versions)
}

/// The next evaluation with each partner in force, for the home screen.
#[tauri::command]
pub async fn next_evaluations(app: State<'_, AppState>) -> Reply<Vec<NextEvaluation>> {
    app.with_store(|store| Agreement::next_evaluations(store, crate::state::now().date_naive()))
}

/// How a date field reads what was typed (`YYYY-MM-DD`), or `None`: the one parser of typed
/// dates, so what the field shows beside it is what will be stored.
#[tauri::command]
pub async fn read_day(text: String) -> Reply<Option<String>> {
    Ok(aanmelder_core::day::parse(&text).map(|day| day.format("%Y-%m-%d").to_string()))
}

#[tauri::command]
pub async fn data_attribution() -> Reply<&'static str> {
    Ok(aanmelder_core::residence::DATA_ATTRIBUTION)
}

#[tauri::command]
pub async fn build_package(app: State<'_, AppState>, reference: Reference) -> Reply<PackageView> {
    app.packages(|packages, now| packages.build(&reference, now))
}

#[tauri::command]
pub async fn password_passed(
    app: State<'_, AppState>,
    reference: Reference,
    channel: Channel,
) -> Reply<PackageView> {
    app.packages(|packages, now| packages.password_passed(&reference, channel, now))
}

/// Saves a copy of the sealed package or of the client's receipt in `folder`; returns where.
#[tauri::command]
pub async fn save_copy(
    app: State<'_, AppState>,
    reference: Reference,
    copy: SavedCopy,
    folder: String,
) -> Reply<String> {
    let path = app.packages(|p, now| p.save_copy(&reference, copy, folder.as_ref(), now))?;
    Ok(app.saved_in(&folder, &path))
}

/// The folder the save buttons start in: the one the worker chose before, or nothing, so that
/// the first save asks (never a Documents folder the system may sync to the cloud).
#[tauri::command]
pub async fn export_folder(app: State<'_, AppState>) -> Reply<String> {
    Ok(app
        .with_store(aanmelder_core::privacy::load)?
        .save_folder
        .unwrap_or_default())
}

/// The system's folder picker, opened from the Rust side: the page gets no file-system access.
#[tauri::command]
pub async fn pick_folder(handle: tauri::AppHandle) -> Reply<Option<String>> {
    Ok(handle
        .dialog()
        .file()
        .set_title("Kies een map")
        .blocking_pick_folder()
        .and_then(|path| path.into_path().ok())
        .map(|path| path.display().to_string()))
}

#[tauri::command]
pub async fn outbox_items(app: State<'_, AppState>) -> Reply<Vec<OutboxItem>> {
    Ok(app.with(|store| outbox::list(store, &app.gazetteer))?)
}

#[tauri::command]
pub async fn outbox_summary(app: State<'_, AppState>) -> Reply<OutboxSummary> {
    Ok(app.with(|store| outbox::summary(store, crate::state::now()))?)
}

/// Sends what is due, on a worker thread; `sync_progress` tells how far it is.
#[tauri::command]
pub async fn sync_outbox(handle: tauri::AppHandle) -> Reply<SyncReport> {
    let report =
        tauri::async_runtime::spawn_blocking(move || handle.state::<AppState>().sync_outbox(true))
            .await
            .map_err(|_| IpcError::interrupted("outbox.sync"))?;
    Ok(report?)
}

/// How far the running sync is.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    pub running: bool,
    pub done: u32,
    pub total: u32,
}

#[tauri::command]
pub async fn sync_progress(app: State<'_, AppState>) -> Reply<SyncProgress> {
    let (running, done, total) = app.sync_progress();
    Ok(SyncProgress {
        running,
        done: u32::try_from(done).unwrap_or(u32::MAX),
        total: u32::try_from(total).unwrap_or(u32::MAX),
    })
}

#[tauri::command]
pub async fn outbox_resend(app: State<'_, AppState>, id: i64) -> Reply<()> {
    Ok(app.with(|store| outbox::confirm_resend(store, id, crate::state::now()))?)
}

#[tauri::command]
pub async fn outbox_delivered(app: State<'_, AppState>, id: i64) -> Reply<()> {
    Ok(app.with(|store| outbox::confirm_delivered(store, id, crate::state::now()))?)
}

/// The worker ticks "Ontvangst bevestigd": the OCMW said by phone that it has the package.
#[tauri::command]
pub async fn outbox_received(app: State<'_, AppState>, id: i64) -> Reply<()> {
    Ok(app.with(|store| {
        outbox::confirm_received(store, id, outbox::ReceivedHow::Worker, crate::state::now())
    })?)
}

/// Looks in the worker's mailbox for receipts and bounces, off the window's thread.
#[tauri::command]
pub async fn check_receipts(handle: tauri::AppHandle) -> Reply<ReceiptReport> {
    Ok(
        tauri::async_runtime::spawn_blocking(move || handle.state::<AppState>().check_receipts())
            .await
            .map_err(|_| IpcError::interrupted("outbox.mailbox"))??,
    )
}

/// Opens the folder of an item's draft in the desktop's file manager. Only a folder the app
/// saved that draft in: the page names the item, never a path.
#[tauri::command]
pub async fn open_draft_folder(app: State<'_, AppState>, id: i64) -> Reply<()> {
    let draft = app.with(|store| outbox::draft_of(store, id))?;
    let folder = draft
        .as_deref()
        .and_then(std::path::Path::parent)
        .ok_or(OutboxError::NotWaiting)?;
    // The system's reason (no file manager, say) is English and says little more.
    open::that_detached(folder)
        .map_err(|_| OutboxError::OpenFolder(folder.display().to_string()))?;
    Ok(())
}

#[tauri::command]
pub async fn smtp_settings(app: State<'_, AppState>) -> Reply<Option<SmtpView>> {
    Ok(app.with(outbox::settings::view)?)
}

#[tauri::command]
pub async fn save_smtp_settings(app: State<'_, AppState>, settings: SmtpInput) -> Reply<SmtpView> {
    Ok(app.with(|store| outbox::settings::save(store, settings))?)
}

/// The saved settings after a sign-in step, for the screen.
fn settings_now(app: &AppState) -> Reply<SmtpView> {
    Ok(app
        .with(outbox::settings::view)?
        .ok_or(aanmelder_core::outbox::OutboxError::Corrupt)?)
}

/// Signs in with OAuth in the system browser and waits, off the window's thread, until the
/// browser comes back (or the worker cancels).
#[tauri::command]
pub async fn sign_in_browser(handle: tauri::AppHandle) -> Reply<SmtpView> {
    let waiting = handle.clone();
    tauri::async_runtime::spawn_blocking(move || {
        waiting
            .state::<AppState>()
            .sign_in_in_browser(|url| open::that_detached(url))
    })
    .await
    .map_err(|_| IpcError::interrupted("oauth.sign_in"))??;
    settings_now(&handle.state::<AppState>())
}

/// Asks the provider for a code to type on another device; `finish_device_sign_in` waits.
#[tauri::command]
pub async fn start_device_sign_in(handle: tauri::AppHandle) -> Reply<DeviceCode> {
    Ok(tauri::async_runtime::spawn_blocking(move || {
        handle.state::<AppState>().start_device_sign_in()
    })
    .await
    .map_err(|_| IpcError::interrupted("oauth.sign_in"))??)
}

#[tauri::command]
pub async fn finish_device_sign_in(handle: tauri::AppHandle) -> Reply<SmtpView> {
    let waiting = handle.clone();
    tauri::async_runtime::spawn_blocking(move || {
        waiting.state::<AppState>().finish_device_sign_in()
    })
    .await
    .map_err(|_| IpcError::interrupted("oauth.sign_in"))??;
    settings_now(&handle.state::<AppState>())
}

#[tauri::command]
pub async fn cancel_sign_in(app: State<'_, AppState>) -> Reply<()> {
    app.cancel_sign_in();
    Ok(())
}

/// Signs out: the grant is forgotten (the provider's own record of it ends with its lifetime).
#[tauri::command]
pub async fn sign_out(app: State<'_, AppState>) -> Reply<SmtpView> {
    app.with(|store| Ok(outbox::oauth::forget(store)?))?;
    settings_now(&app)
}

/// The servers the "Met Microsoft 365" preset fills in.
#[tauri::command]
pub async fn microsoft_365_servers() -> Reply<outbox::settings::Servers> {
    Ok(outbox::settings::microsoft_365_servers())
}

/// Writes the drafts for partners reached through the worker's own mail program.
#[tauri::command]
pub async fn write_drafts(app: State<'_, AppState>, folder: String) -> Reply<Vec<String>> {
    let written =
        app.with(|store| outbox::write_drafts(store, folder.as_ref(), crate::state::now()))?;
    app.remember_folder(&folder);
    Ok(written.iter().map(|p| p.display().to_string()).collect())
}

/// The client took consent back: cancel or notify, then purge, in one step.
#[tauri::command]
pub async fn withdraw_consent(
    app: State<'_, AppState>,
    input: WithdrawalInput,
) -> Reply<Withdrawn> {
    app.with_store(|store| withdrawal::withdraw(store, &app.gazetteer, &input, crate::state::now()))
}

#[tauri::command]
pub async fn correct_referral(
    app: State<'_, AppState>,
    input: CorrectionInput,
) -> Reply<PackageView> {
    app.with_store(|store| correction::correct(store, &app.gazetteer, &input, crate::state::now()))
}

#[tauri::command]
pub async fn correction_history(
    app: State<'_, AppState>,
    reference: Reference,
) -> Reply<Vec<CorrectionEntry>> {
    app.with_store(|store| correction::history(store, &reference))
}

#[tauri::command]
pub async fn retention_settings(app: State<'_, AppState>) -> Reply<RetentionSettings> {
    app.with_store(RetentionSettings::load)
}

#[tauri::command]
pub async fn save_retention_settings(
    app: State<'_, AppState>,
    settings: RetentionSettings,
) -> Reply<RetentionSettings> {
    app.with_store(|store| settings.save(store))
}

/// A draft for the DPO, as it says, and where its `.eml` was saved.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IncidentReport {
    pub draft: DpoDraft,
    pub saved_to: String,
}

#[tauri::command]
pub async fn report_incident(
    app: State<'_, AppState>,
    input: IncidentInput,
    folder: String,
) -> Reply<IncidentReport> {
    // The draft is written before the incident is recorded and the record is rolled back if
    // it cannot be: a worker's second try, with a good folder, counts the breach once.
    let (draft, path) = app.with_store(|store| {
        incident::report_to_folder(
            store,
            &app.gazetteer,
            &input,
            folder.as_ref(),
            crate::state::now(),
        )
    })?;
    app.remember_folder(&folder);
    Ok(IncidentReport {
        draft,
        saved_to: path.display().to_string(),
    })
}

#[tauri::command]
pub async fn verify_ledger(app: State<'_, AppState>) -> Reply<ChainCheck> {
    app.with_store(ledger::verify)
}

#[tauri::command]
pub async fn ledger_events(app: State<'_, AppState>) -> Reply<Vec<ListedEvent>> {
    app.with_store(|store| ledger::recent_named(store, &app.gazetteer, 500))
}
