// The one way the UI talks to the Rust side. Every command is typed with the bindings that ts-rs
// generates from the Rust types, and every failure arrives as a CommandError with the stable
// `code` to branch on and the Dutch `message` to show.
import { invoke } from '@tauri-apps/api/core';
import type { IpcError } from './bindings/IpcError';
import type { SessionState } from './bindings/SessionState';
import type { WorkerProfile } from './bindings/WorkerProfile';

export class CommandError extends Error {
  readonly code: string;
  readonly field: string | null;

  constructor(error: IpcError) {
    super(error.message);
    this.name = 'CommandError';
    this.code = error.code;
    this.field = error.field;
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

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isIpcError(error)) throw new CommandError({ ...error, field: error.field ?? null });
    throw new CommandError({
      code: 'ipc.unexpected',
      message: `Aanmelder kreeg een onverwacht antwoord (${String(error)}). Start de app opnieuw.`,
      field: null,
    });
  }
}

export const api = {
  sessionState: () => call<SessionState>('session_state'),
  createPassphrase: (passphrase: string, confirmation: string) =>
    call<SessionState>('create_passphrase', { passphrase, confirmation }),
  unlock: (passphrase: string) => call<SessionState>('unlock', { passphrase }),
  workerProfile: () => call<WorkerProfile>('worker_profile'),
  saveWorkerProfile: (profile: WorkerProfile) =>
    call<WorkerProfile>('save_worker_profile', { profile }),
};

export type Api = typeof api;
