import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Correct from './Correct.svelte';
import type { Api } from '../lib/ipc';
import type { Referral } from '../lib/bindings/Referral';
import type { ResidenceCheck } from '../lib/bindings/ResidenceCheck';

const referral: Referral = {
  id: 1,
  reference: 'AM-ABCD-EFGH',
  recipient: { kind: 'ocmw', municipality_code: '13049' },
  recipient_name: 'OCMW Westerlo',
  status: 'ready',
  created_at: '2026-11-22T10:00:00+01:00',
  client: {
    first_name: 'Zoë',
    last_name: 'Peeters',
    address: {
      street: 'Boerenkrijgsingel',
      house_number: '1',
      box: null,
      postal_code: '2260',
      municipality_code: '13049',
      municipality: 'Westerlo',
    },
    // As the list gives it: the number as a person reads it, not the stored E.164.
    phone: '0470 12 34 56',
    email: null,
  },
  withdrawn_on: null,
  purged_at: null,
};

const westerlo: ResidenceCheck = {
  municipalities: [{ code: '13049', name_nl: 'Westerlo', name_fr: 'Westerlo', region: 'flanders' }],
  recipient_name: 'OCMW Westerlo',
  partners: [],
  problem: null,
};

// A postal code the core answers with two municipalities (made up for the test): the picker.
const twoPlaces: ResidenceCheck = {
  ...westerlo,
  municipalities: [
    { code: '24020', name_nl: 'Diest', name_fr: 'Diest', region: 'flanders' },
    { code: '24135', name_nl: 'Scherpenheuvel-Zichem', name_fr: 'Scherpenheuvel-Zichem', region: 'flanders' },
  ],
  recipient_name: null,
};

describe('Correct', () => {
  it('uses the same client fields as a new referral, with the municipality picker', async () => {
    const checkResidence = vi.fn(async (code: string) => (code === '2260' ? westerlo : twoPlaces));
    const correctReferral = vi.fn(async () => ({}) as never);
    const api = {
      checkResidence,
      correctReferral,
      correctionHistory: vi.fn(async () => []),
    } as Partial<Api> as Api;
    render(Correct, { api, referral, ondone: () => {}, oncancel: () => {} });
    // The form starts from the data as they are now.
    expect((screen.getByLabelText(/Voornaam/) as HTMLInputElement).value).toBe('Zoë');
    expect((screen.getByLabelText(/Telefoon/) as HTMLInputElement).value).toBe('0470 12 34 56');
    await waitFor(() => expect(screen.getByText('Westerlo')).toBeTruthy());

    await fireEvent.input(screen.getByLabelText(/Postcode/), { target: { value: '3290' } });
    const picker = (await screen.findByLabelText(/Gemeente/)) as HTMLSelectElement;
    await fireEvent.change(picker, { target: { value: '24135' } });
    await fireEvent.input(screen.getByLabelText(/Waarom corrigeer je/), { target: { value: 'verhuisd' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Correctie klaarzetten' }));
    await waitFor(() => expect(correctReferral).toHaveBeenCalled());
    const [sent] = correctReferral.mock.calls[0] as unknown as [{ client: { postal_code: string; municipality_code: string } }];
    expect(sent.client.postal_code).toBe('3290');
    expect(sent.client.municipality_code).toBe('24135');
  });

  it("keeps the client's data out of the spell checker and the form history", () => {
    const api = { checkResidence: vi.fn(async () => westerlo), correctionHistory: vi.fn(async () => []) };
    const { container } = render(Correct, { api: api as Partial<Api> as Api, referral, ondone: () => {}, oncancel: () => {} });
    const inputs = [...container.querySelectorAll('input:not([type=radio]):not([type=checkbox])')];
    expect(inputs.length).toBeGreaterThanOrEqual(7);
    for (const input of inputs) {
      expect([input.id, input.getAttribute('spellcheck')]).toEqual([input.id, 'false']);
      expect([input.id, input.getAttribute('autocomplete')]).toEqual([input.id, 'off']);
    }
  });
});
