// The one way the UI talks to the Rust side: every failure arrives as a CommandError with the
// stable `code` to branch on and the Dutch `message` to show. The typed function for each command
// is generated from its Rust signature into `bindings/commands.ts`, which calls this.
import { invoke } from '@tauri-apps/api/core';
import type { Command } from './bindings/Command';
import type { FieldMessage } from './bindings/FieldMessage';
import type { IpcError } from './bindings/IpcError';
import { STORE_LOCKED_EVENT } from './events';

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

export async function call<T>(command: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isIpcError(error)) {
      // The store locked before the page noticed (the Rust side's idle, suspend or desktop
      // lock): the window shows the lock now rather than a screen's error.
      if (error.code === 'store.locked') window.dispatchEvent(new Event(STORE_LOCKED_EVENT));
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
