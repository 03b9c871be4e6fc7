// A form's state while it talks to the core, written once for every form: busy while a command
// runs (the button is disabled, so a double click sends nothing twice), each refused field's
// message next to its input, the rest above the buttons, and focus on the first invalid input so
// a screen reader reads its error.
import { failure, focusFirstInvalid } from './forms';

export interface FormOptions {
  /** A field the core names one way and the form another (`municipality` is the picker). */
  aliases?: Record<string, string>;
  /** Fields set on another screen: their message also goes above the buttons. */
  above?: readonly string[];
}

export class Form {
  busy = $state(false);
  errors = $state<Record<string, string>>({});
  message = $state('');

  /** `known`: the form's field names; a message for any other goes above the buttons. */
  constructor(
    private readonly known: () => readonly string[],
    private readonly options: FormOptions = {},
  ) {}

  /** Runs `command`; on failure spreads its messages over the fields. True when it succeeded. */
  async run(command: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.errors = {};
    this.message = '';
    try {
      await command();
      return true;
    } catch (error) {
      const { fields, message } = failure(error, this.known());
      for (const [core, input] of Object.entries(this.options.aliases ?? {})) {
        if (fields[core] && !fields[input]) fields[input] = fields[core];
      }
      const above = (this.options.above ?? []).map((f) => fields[f]);
      this.errors = fields;
      this.message = [...above, message].filter(Boolean).join(' ');
      await focusFirstInvalid();
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Refuses a value before asking the core, the same way the core's refusals are shown. */
  async refuse(field: string, message: string): Promise<void> {
    this.errors = { [field]: message };
    this.message = '';
    await focusFirstInvalid();
  }
}
