import { describe, expect, it } from 'vitest';
import { Form } from './form.svelte';
import { CommandError } from './ipc';

const refused = new CommandError({
  code: 'referral.invalid',
  message: 'Gemeente: kies de gemeente. Iets anders.',
  field: null,
  fields: [
    { field: 'municipality', message: 'Gemeente: kies de gemeente.' },
    { field: 'unknown', message: 'Iets anders.' },
  ],
});

describe('Form', () => {
  it('is busy while the command runs and clears old errors', async () => {
    const form = new Form(() => ['first_name']);
    form.errors = { first_name: 'oud' };
    let seen = false;
    const ok = await form.run(async () => {
      seen = form.busy;
    });
    expect(ok).toBe(true);
    expect(seen).toBe(true);
    expect(form.busy).toBe(false);
    expect(form.errors).toEqual({});
  });

  it("spreads a refusal over the form's fields, under the form's own names", async () => {
    const form = new Form(() => ['municipality'], { aliases: { municipality: 'municipality_code' } });
    const ok = await form.run(async () => {
      throw refused;
    });
    expect(ok).toBe(false);
    expect(form.errors.municipality_code).toBe('Gemeente: kies de gemeente.');
    expect(form.message).toBe('Iets anders.');
    expect(form.busy).toBe(false);
  });

  it('shows a refusal found before asking the core', async () => {
    const form = new Form(() => ['days']);
    form.message = 'oud';
    await form.refuse('days', 'Vul een getal in.');
    expect(form.errors).toEqual({ days: 'Vul een getal in.' });
    expect(form.message).toBe('');
  });
});
