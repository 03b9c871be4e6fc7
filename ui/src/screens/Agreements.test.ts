import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Agreements from './Agreements.svelte';
import type { Api } from '../lib/ipc';
import type { ListedAgreement } from '../lib/bindings/ListedAgreement';

const westerlo: ListedAgreement = {
  in_force: true,
  id: 7,
  recipient: { kind: 'ocmw', municipality_code: '13049' },
  municipality_code: '13049',
  name: 'OCMW Westerlo',
  kbo: '0212.181.956',
  mailbox: 'info.ocmw@westerlo.example',
  dpo_email: 'informatieveiligheid@iok.example',
  password_phone: '+3214547575',
  agreement_date: '2023-12-18',
  protocol_from: '2024-01-01',
  protocol_until: null,
  notice_months: null,
  notice_given_on: null,
  dpo_advice_ours: null,
  dpo_advice_theirs: null,
  contacts: '',
  evaluation_months: 12,
  last_evaluation: null,
  ends_on: null,
  next_evaluation: '2027-01-01',
  stopped_on: null,
  demo: false,
  delivery: 'smtp',
  version: 1,
  version_sha256: 'ab',
  used: false,
};

function api(): Api {
  const partial: Partial<Api> = {
    listAgreements: vi.fn(async () => [westerlo]),
    partnerOptions: vi.fn(async () => []),
    deleteAgreement: vi.fn(async () => null),
  };
  return partial as Api;
}

describe('Agreements', () => {
  it('asks in the page, in Dutch, before a partner leaves the register, with the focus there and back', async () => {
    const fake = api();
    const confirm = vi.spyOn(window, 'confirm');
    render(Agreements, { api: fake });
    const opener = await screen.findByRole('button', { name: 'Verwijderen: OCMW Westerlo' });
    opener.focus();
    await fireEvent.click(opener);
    const heading = screen.getByRole('heading', { name: 'OCMW Westerlo verwijderen' });
    expect(document.activeElement).toBe(heading);
    const keep = screen.getByRole('button', { name: 'Niet verwijderen' });
    keep.focus();
    await fireEvent.click(keep);
    expect(screen.queryByRole('heading', { name: 'OCMW Westerlo verwijderen' })).toBeNull();
    // Closed: the focus is back on the button that opened it.
    expect(document.activeElement).toBe(opener);
    expect(fake.deleteAgreement).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: 'Verwijderen: OCMW Westerlo' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Definitief verwijderen' }));
    await waitFor(() => expect(screen.getByText('OCMW Westerlo is verwijderd.')).toBeTruthy());
    expect(fake.deleteAgreement).toHaveBeenCalledWith(7);
    expect(confirm).not.toHaveBeenCalled();
  });
});

describe('Agreements: the form and the idle lock', () => {
  it('opens the kept form again, as the worker left it, rather than the stored partner', async () => {
    const kept = {
      id: 7,
      input: {
        recipient_key: 'ocmw:13049',
        name: 'OCMW Westerlo',
        kbo: '0212.181.956',
        mailbox: 'aanmelding.ocmw@westerlo.example',
        dpo_email: 'informatieveiligheid@iok.example',
        password_phone: '014 54 75 75',
        agreement_date: '18/12/2023',
        protocol_from: '01/01/2024',
        protocol_until: '',
        delivery: 'smtp' as const,
        notice_months: '',
        notice_given_on: '',
        dpo_advice_ours: '',
        dpo_advice_theirs: '',
        contacts: '',
        evaluation_months: 12,
        last_evaluation: '',
      },
    };
    render(Agreements, { api: api(), open: 7, editing: kept });
    await waitFor(() =>
      expect((document.getElementById('mailbox') as HTMLInputElement | null)?.value).toBe(
        'aanmelding.ocmw@westerlo.example',
      ),
    );
    // Past the list's load, which opens the partner from the outbox only when no form is kept.
    await new Promise((done) => setTimeout(done, 20));
    expect((document.getElementById('mailbox') as HTMLInputElement).value).toBe('aanmelding.ocmw@westerlo.example');
  });
});
