// The one way the UI talks to the Rust side. Every command is typed with the bindings that ts-rs
// generates from the Rust types, and every failure arrives as a CommandError with the stable
// `code` to branch on and the Dutch `message` to show.
import { invoke } from '@tauri-apps/api/core';
import type { Command } from './bindings/Command';
import type { Agreement } from './bindings/Agreement';
import type { AgreementInput } from './bindings/AgreementInput';
import type { ListedAgreement } from './bindings/ListedAgreement';
import type { ListedReferral } from './bindings/ListedReferral';
import type { ClientInput } from './bindings/ClientInput';
import type { ConsentInput } from './bindings/ConsentInput';
import type { FieldMessage } from './bindings/FieldMessage';
import type { FivePoints } from './bindings/FivePoints';
import type { IpcError } from './bindings/IpcError';
import type { Channel } from './bindings/Channel';
import type { Language } from './bindings/Language';
import type { OutboxItem } from './bindings/OutboxItem';
import type { OutboxSummary } from './bindings/OutboxSummary';
import type { SmtpInput } from './bindings/SmtpInput';
import type { SmtpView } from './bindings/SmtpView';
import type { SyncProgress } from './bindings/SyncProgress';
import type { SyncReport } from './bindings/SyncReport';
import type { PackageView } from './bindings/PackageView';
import type { PartnerOption } from './bindings/PartnerOption';
import type { Referral } from './bindings/Referral';
import type { ResidenceCheck } from './bindings/ResidenceCheck';
import type { SessionState } from './bindings/SessionState';
import type { Started } from './bindings/Started';
import type { WorkerProfile } from './bindings/WorkerProfile';
import type { WithdrawalInput } from './bindings/WithdrawalInput';
import type { Withdrawn } from './bindings/Withdrawn';
import type { CorrectionInput } from './bindings/CorrectionInput';
import type { CorrectionEntry } from './bindings/CorrectionEntry';
import type { RetentionSettings } from './bindings/RetentionSettings';
import type { IncidentInput } from './bindings/IncidentInput';
import type { IncidentReport } from './bindings/IncidentReport';
import type { ChainCheck } from './bindings/ChainCheck';
import type { Event } from './bindings/Event';
import type { PeriodInput } from './bindings/PeriodInput';
import type { ReportScreen } from './bindings/ReportScreen';
import type { ReportExport } from './bindings/ReportExport';
import type { ImportOutcome } from './bindings/ImportOutcome';
import type { ImportedFile } from './bindings/ImportedFile';
import type { TeamReport } from './bindings/TeamReport';
import type { Role } from './bindings/Role';
import type { Member } from './bindings/Member';
import type { ProfilePreview } from './bindings/ProfilePreview';
import type { Applied } from './bindings/Applied';
import type { PrivacySettings } from './bindings/PrivacySettings';
import type { PinInput } from './bindings/PinInput';
import type { LockPolicy } from './bindings/LockPolicy';
import type { Wipe } from './bindings/Wipe';
import type { DiscardReason } from './bindings/DiscardReason';
import type { NotDeleted } from './bindings/NotDeleted';
import type { AgreementVersion } from './bindings/AgreementVersion';
import type { NextEvaluation } from './bindings/NextEvaluation';

export class CommandError extends Error {
  readonly code: string;
  readonly field: string | null;
  readonly fields: FieldMessage[];

  constructor(error: IpcError) {
    super(error.message);
    this.name = 'CommandError';
    this.code = error.code;
    this.field = error.field;
    this.fields = error.fields;
  }
}

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IpcError).code === 'string' &&
    typeof (value as IpcError).message === 'string'
  );
}

async function call<T>(command: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isIpcError(error)) {
      throw new CommandError({ ...error, field: error.field ?? null, fields: error.fields ?? [] });
    }
    throw new CommandError({
      code: 'ipc.unexpected',
      message: `Aanmelder kreeg een onverwacht antwoord (${String(error)}). Start de app opnieuw.`,
      field: null,
      fields: [],
    });
  }
}

export const api = {
  sessionState: () => call<SessionState>('session_state'),
  createPassphrase: (passphrase: string, confirmation: string) =>
    call<SessionState>('create_passphrase', { passphrase, confirmation }),
  unlock: (passphrase: string) => call<SessionState>('unlock', { passphrase }),
  tryDemo: () => call<SessionState>('try_demo'),
  leaveDemo: () => call<SessionState>('leave_demo'),
  workerProfile: () => call<WorkerProfile>('worker_profile'),
  saveWorkerProfile: (profile: WorkerProfile) =>
    call<WorkerProfile>('save_worker_profile', { profile }),
  checkResidence: (postalCode: string, municipalityCode: string) =>
    call<ResidenceCheck>('check_residence', { postalCode, municipalityCode }),
  startReferral: (client: ClientInput, partnerId: number | null = null) =>
    call<Started>('start_referral', { client, partnerId }),
  fivePoints: (reference: string, language: Language) =>
    call<FivePoints>('five_points', { reference, language }),
  recordConsent: (consent: ConsentInput) => call<Referral>('record_consent', { consent }),
  recordRefusal: (reference: string) => call<Referral>('record_refusal', { reference }),
  listReferrals: () => call<ListedReferral[]>('list_referrals'),
  listAgreements: () => call<ListedAgreement[]>('list_agreements'),
  partnerOptions: () => call<PartnerOption[]>('partner_options'),
  saveAgreement: (id: number | null, agreement: AgreementInput) =>
    call<Agreement>('save_agreement', { id, agreement }),
  deleteAgreement: (id: number) => call<null>('delete_agreement', { id }),
  stopAgreement: (id: number, until: string) => call<Agreement>('stop_agreement', { id, until }),
  agreementHistory: (id: number) => call<AgreementVersion[]>('agreement_history', { id }),
  nextEvaluations: () => call<NextEvaluation[]>('next_evaluations'),
  dataAttribution: () => call<string>('data_attribution'),
  buildPackage: (reference: string) => call<PackageView>('build_package', { reference }),
  passwordPassed: (reference: string, channel: Channel) =>
    call<PackageView>('password_passed', { reference, channel }),
  savePackage: (reference: string, folder: string) =>
    call<string>('save_package', { reference, folder }),
  saveReceipt: (reference: string, folder: string) =>
    call<string>('save_receipt', { reference, folder }),
  exportFolder: () => call<string>('export_folder'),
  pickFolder: () => call<string | null>('pick_folder'),
  outboxItems: () => call<OutboxItem[]>('outbox_items'),
  outboxSummary: () => call<OutboxSummary>('outbox_summary'),
  syncOutbox: () => call<SyncReport>('sync_outbox'),
  syncProgress: () => call<SyncProgress>('sync_progress'),
  outboxResend: (id: number) => call<null>('outbox_resend', { id }),
  outboxDelivered: (id: number) => call<null>('outbox_delivered', { id }),
  smtpSettings: () => call<SmtpView | null>('smtp_settings'),
  saveSmtpSettings: (settings: SmtpInput) => call<SmtpView>('save_smtp_settings', { settings }),
  writeDrafts: (folder: string) => call<string[]>('write_drafts', { folder }),
  withdrawConsent: (input: WithdrawalInput) => call<Withdrawn>('withdraw_consent', { input }),
  correctReferral: (input: CorrectionInput) => call<PackageView>('correct_referral', { input }),
  correctionHistory: (reference: string) =>
    call<CorrectionEntry[]>('correction_history', { reference }),
  retentionSettings: () => call<RetentionSettings>('retention_settings'),
  saveRetentionSettings: (settings: RetentionSettings) =>
    call<RetentionSettings>('save_retention_settings', { settings }),
  reportIncident: (input: IncidentInput, folder: string) =>
    call<IncidentReport>('report_incident', { input, folder }),
  verifyLedger: () => call<ChainCheck>('verify_ledger'),
  ledgerEvents: () => call<Event[]>('ledger_events'),
  reportCounts: (period: PeriodInput) => call<ReportScreen>('report_counts', { period }),
  saveCountFile: (period: PeriodInput, folder: string) =>
    call<string>('save_count_file', { period, folder }),
  exportReport: (exp: ReportExport) => call<string>('export_report', { export: exp }),
  importCountFile: (path: string, fingerprint: string | null = null) =>
    call<ImportOutcome>('import_count_file', { path, fingerprint }),
  countImports: () => call<ImportedFile[]>('count_imports'),
  removeCountImport: (id: number) => call<null>('remove_count_import', { id }),
  teamReport: (period: PeriodInput) => call<TeamReport>('team_report', { period }),
  pickFile: () => call<string | null>('pick_file'),
  role: () => call<Role>('role'),
  setRole: (role: Role) => call<Role>('set_role', { role }),
  teamMembers: () => call<Member[]>('team_members'),
  saveTeamMembers: (members: Member[]) => call<Member[]>('save_team_members', { members }),
  ownFingerprint: () => call<string>('own_fingerprint'),
  exportTeamProfile: (folder: string) => call<string>('export_team_profile', { folder }),
  inspectTeamProfile: (path: string) => call<ProfilePreview>('inspect_team_profile', { path }),
  applyTeamProfile: (path: string, fingerprint: string | null) =>
    call<Applied>('apply_team_profile', { path, fingerprint }),
  privacySettings: () => call<PrivacySettings>('privacy_settings'),
  setPin: (input: PinInput) => call<PrivacySettings>('set_pin', { input }),
  saveIdleMinutes: (minutes: number) => call<PrivacySettings>('save_idle_minutes', { minutes }),
  lockPolicy: () => call<LockPolicy>('lock_policy'),
  touch: () => call<null>('touch'),
  lockNow: () => call<SessionState>('lock_now'),
  unlockPin: (pin: string) => call<SessionState>('unlock_pin', { pin }),
  copyPassword: (reference: string) => call<null>('copy_password', { reference }),
  upcomingWipes: () => call<Wipe[]>('upcoming_wipes'),
  discardReferral: (reference: string, reason: DiscardReason) =>
    call<null>('discard_referral', { reference, reason }),
  filesNotDeleted: () => call<NotDeleted[]>('files_not_deleted'),
};

/** Error text for a failed command, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type Api = typeof api;
