// How every form shows a failed command: each field's message next to its input, anything else
// above the buttons, and focus on the first invalid input so a screen reader reads its error.
import { tick } from 'svelte';
import { CommandError, messageOf } from './ipc';

export interface Failure {
  fields: Record<string, string>;
  message: string;
}

/** Splits `error` over the form's `known` fields; what fits no field becomes the form message. */
export function failure(error: unknown, known: readonly string[]): Failure {
  if (!(error instanceof CommandError) || error.fields.length === 0) {
    return { fields: {}, message: messageOf(error) };
  }
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const f of error.fields) {
    if (known.includes(f.field)) fields[f.field] = f.message;
    else rest.push(f.message);
  }
  return { fields, message: rest.join(' ') };
}

/** After the errors are on screen, moves focus to the first invalid input. */
export async function focusFirstInvalid(): Promise<void> {
  await tick();
  document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
