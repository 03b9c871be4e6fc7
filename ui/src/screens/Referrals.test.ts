import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Referrals from './Referrals.svelte';
import type { Api } from '../lib/ipc';
import type { ListedReferral } from '../lib/bindings/ListedReferral';

const referral: ListedReferral = {
  stage: 'consented',
  stage_label: 'Toestemming gegeven',
  package: null,
  corrections: 0,
  can_correct: false,
  can_discard: false,
  withdrawal_tells_partner: false,
  can_open_package: false,
  id: 1,
  reference: 'AM-ABCD-EFGH',
  recipient: { kind: 'ocmw', municipality_code: '13049' },
  recipient_name: 'OCMW Westerlo',
  status: 'ready',
  created_at: '2026-11-22T10:20:00+01:00',
  client: null,
  withdrawn_on: null,
  purged_at: null,
};

function api(): Api {
  const partial: Partial<Api> = { listReferrals: vi.fn(async () => [referral]) };
  return partial as Api;
}

const props = { onnew: vi.fn(), oncontinue: vi.fn(), onpackage: vi.fn(), onwithdraw: vi.fn(), oncorrect: vi.fn() };

describe('Referrals', () => {
  it('says so when a search finds nothing, without repeating what was typed', async () => {
    render(Referrals, { api: api(), ...props });
    await screen.findByText('AM-ABCD-EFGH');
    const status = document.getElementById('search-status');
    expect(status?.textContent).toBe('');
    await fireEvent.input(screen.getByLabelText('Zoek op referentie of naam'), { target: { value: 'Verbiest' } });
    await waitFor(() => expect(status?.textContent).toBe('Geen aanmelding gevonden voor deze zoekopdracht.'));
    expect(document.getElementById('referral-list')).toBeNull();
    await fireEvent.input(screen.getByLabelText('Zoek op referentie of naam'), { target: { value: 'abcd' } });
    await waitFor(() => expect(status?.textContent).toBe(''));
    expect(screen.getByText('AM-ABCD-EFGH')).toBeTruthy();
  });
});
