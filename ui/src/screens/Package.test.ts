import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Package from './Package.svelte';
import type { Api } from '../lib/ipc';
import type { PackageView } from '../lib/bindings/PackageView';

const view: PackageView = {
  kind: 'referral',
  reference: 'AM-ABCD-EFGH',
  file_name: 'aanmelding-AM-ABCD-EFGH.7z',
  recipient_name: 'OCMW Westerlo',
  password_phone: '+3214000000',
  password: 'K7QM-3XPD-9WRT-A2HN',
  built_at: '2026-11-22T10:20:00+01:00',
  password_passed_at: null,
  password_channel: null,
  size_bytes: 14000,
  state: 'queued',
  sent_at: null,
  received_at: null,
  copy_refused: null,
};

function api(): Api {
  const partial: Partial<Api> = {
    buildPackage: vi.fn(async () => view),
    exportFolder: vi.fn(async () => '/home/an/Documenten/Aanmelder'),
    passwordPassed: vi.fn(async (_r: string, channel) => ({
      ...view,
      password_channel: channel,
      password_passed_at: '2026-11-22T10:25:00+01:00',
    })),
    saveCopy: vi.fn(async () => '/home/an/Documenten/Aanmelder/aanmelding-AM-ABCD-EFGH.7z'),
  };
  return partial as Api;
}

describe('Package', () => {
  it('shows the password with the number to call, and records how it was passed', async () => {
    const fake = api();
    render(Package, { api: fake, reference: 'AM-ABCD-EFGH', ondone: vi.fn() });
    await screen.findByRole('heading', { name: 'Wachtwoord voor OCMW Westerlo' });
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Versleuteld pakket');
    expect(document.title).toBe('Versleuteld pakket – Aanmelder');
    expect(document.getElementById('package-password')?.textContent).toBe('K7QM-3XPD-9WRT-A2HN');
    expect(screen.getByText('+3214000000')).toBeTruthy();
    await fireEvent.click(screen.getByRole('radio', { name: 'Sms' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Wachtwoord doorgegeven' }));
    await waitFor(() => expect(screen.getByText(/Doorgegeven per sms/)).toBeTruthy());
    expect(fake.passwordPassed).toHaveBeenCalledWith('AM-ABCD-EFGH', 'sms');
  });

  it('saves the package in the folder shown', async () => {
    const fake = api();
    render(Package, { api: fake, reference: 'AM-ABCD-EFGH', ondone: vi.fn() });
    await fireEvent.click(await screen.findByRole('button', { name: 'Pakket opslaan in map' }));
    await waitFor(() => expect(screen.getByText(/Bewaard:/)).toBeTruthy());
    expect(fake.saveCopy).toHaveBeenCalledWith('AM-ABCD-EFGH', 'archive', '/home/an/Documenten/Aanmelder');
  });

  it('says when the package and its password are gone, and shows no password', async () => {
    const fake = api();
    fake.buildPackage = vi.fn(async () => ({ ...view, password: '', size_bytes: null, state: 'cancelled' as const }));
    render(Package, { api: fake, reference: 'AM-ABCD-EFGH', ondone: vi.fn() });
    await screen.findByRole('heading', { name: 'Pakket en wachtwoord vernietigd' });
    expect(screen.queryByText('Wachtwoord kopiëren')).toBeNull();
    expect(screen.queryByText('Pakket opslaan in map')).toBeNull();
  });

  it('after delivery offers the receipt, not the deleted package', async () => {
    const fake = api();
    fake.buildPackage = vi.fn(async () => ({
      ...view,
      size_bytes: null,
      state: 'sent' as const,
      sent_at: '2026-11-22T11:00:00+01:00',
    }));
    render(Package, { api: fake, reference: 'AM-ABCD-EFGH', ondone: vi.fn() });
    await screen.findByText(/is verzonden op/);
    expect(screen.queryByText('Pakket opslaan in map')).toBeNull();
    expect(screen.getByText('Ontvangstbewijs opslaan')).toBeTruthy();
  });

  it('says why the package cannot be saved in a folder, and offers only the receipt', async () => {
    const fake = api();
    const why = 'Het protocol met OCMW Westerlo liep af op 30/06/2026. Je mag geen gegevens meer doorgeven.';
    fake.buildPackage = vi.fn(async () => ({ ...view, state: 'attention' as const, copy_refused: why }));
    render(Package, { api: fake, reference: 'AM-ABCD-EFGH', ondone: vi.fn() });
    await screen.findByText(new RegExp(why.replace(/[.()]/g, '\\$&')));
    expect(screen.queryByText('Pakket opslaan in map')).toBeNull();
    expect(screen.getByText('Ontvangstbewijs opslaan')).toBeTruthy();
  });
});
