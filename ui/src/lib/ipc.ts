// The UI's one IPC wrapper: `api` holds a typed function per command, generated from the Rust
// signatures (`bindings/commands.ts`), each going through `call`, which turns every failure into
// a CommandError. Screens take `api` as a prop, so their tests can hand them a fake.
import { commands } from './bindings/commands';

export { CommandError } from './call';

export const api = commands;

/** Error text for a failed command, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Loads what a screen shows: `loaded` gets the answer, `failed` the Dutch message when it fails. */
export async function load<T>(
  command: () => Promise<T>,
  loaded: (value: T) => void,
  failed: (message: string) => void,
): Promise<void> {
  try {
    loaded(await command());
  } catch (error) {
    failed(messageOf(error));
  }
}

export type Api = typeof api;
