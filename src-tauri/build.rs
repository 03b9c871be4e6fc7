//! Generates an `allow-<command>` permission for each of our commands. Listing them here turns
//! off Tauri's default of allowing every app command, so the capability file is the whole truth
//! of what the page may call.

/// Every command the UI may invoke; `capabilities/main.json` grants exactly these.
const COMMANDS: &[&str] = &[
    "session_state",
    "create_passphrase",
    "unlock",
    "worker_profile",
    "save_worker_profile",
    "check_residence",
    "start_referral",
    "five_points",
    "record_consent",
    "record_refusal",
    "list_referrals",
    "list_agreements",
    "partner_options",
    "save_agreement",
    "delete_agreement",
    "data_attribution",
    "build_package",
    "package",
    "password_passed",
    "save_package",
    "save_receipt",
    "export_folder",
    "pick_folder",
    "outbox_items",
    "outbox_summary",
    "sync_outbox",
    "sync_progress",
    "outbox_resend",
    "outbox_delivered",
    "smtp_settings",
    "save_smtp_settings",
    "write_drafts",
    "withdraw_consent",
    "correct_referral",
    "correction_history",
    "retention_settings",
    "save_retention_settings",
    "report_incident",
    "verify_ledger",
    "ledger_events",
    "report_counts",
    "save_count_file",
    "export_report",
    "import_count_file",
    "count_imports",
    "remove_count_import",
    "team_report",
    "pick_file",
    "role",
    "set_role",
    "team_members",
    "save_team_members",
    "own_fingerprint",
    "export_team_profile",
    "inspect_team_profile",
    "apply_team_profile",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
