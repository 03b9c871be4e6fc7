import { describe, expect, it } from 'vitest';
import { CommandError } from './ipc';
import { failure } from './forms';

describe('failure', () => {
  it('puts each field message next to its field and the rest above the form', () => {
    const error = new CommandError({
      code: 'referral.invalid',
      message: 'Voornaam: vul dit in. Iets anders.',
      field: null,
      fields: [
        { field: 'first_name', message: 'Voornaam: vul dit in.' },
        { field: 'elsewhere', message: 'Iets anders.' },
      ],
    });
    expect(failure(error, ['first_name', 'last_name'])).toEqual({
      fields: { first_name: 'Voornaam: vul dit in.' },
      message: 'Iets anders.',
    });
  });

  it('shows an error without fields as the form message', () => {
    expect(failure(new Error('stuk'), ['x'])).toEqual({ fields: {}, message: 'stuk' });
  });
});
