import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import SmtpSettings from './SmtpSettings.svelte';
import { CommandError, type Api } from '../lib/ipc';
import type { SmtpView } from '../lib/bindings/SmtpView';
import type { SmtpInput } from '../lib/bindings/SmtpInput';

const microsoft: SmtpView = {
  host: 'smtp.office365.com',
  port: 587,
  security: 'start_tls',
  username: 'an.peeters@kindengezin.be',
  has_password: false,
  has_ca: false,
  imap_host: 'outlook.office365.com',
  imap_port: 993,
  imap_security: 'tls',
  sign_in: 'microsoft365',
  oauth: { tenant: 'kindengezin.be', client_id: 'abc', authorize_url: '', token_url: '', device_url: '', scopes: '' },
  grant: { state: 'none', since: null },
};

function fakeApi(stored: SmtpView | null, more: Partial<Api> = {}): Api {
  const partial: Partial<Api> = {
    smtpSettings: vi.fn(async () => stored),
    saveSmtpSettings: vi.fn(async (input: SmtpInput) => ({
      ...microsoft,
      ...input,
      has_password: false,
      has_ca: false,
      grant: stored?.grant ?? { state: 'none', since: null },
    })),
    cancelSignIn: vi.fn(async () => null),
    microsoft365Servers: vi.fn(async () => ({
      host: 'smtp.office365.com',
      port: 587,
      security: 'start_tls' as const,
      imap_host: 'outlook.office365.com',
      imap_port: 993,
      imap_security: 'tls' as const,
    })),
    ...more,
  };
  return partial as Api;
}

describe('SmtpSettings', () => {
  it('fills in the servers of Microsoft 365 when the worker chooses it', async () => {
    render(SmtpSettings, { api: fakeApi(null) });
    const method = (await screen.findByLabelText('Aanmelden bij de mailserver')) as HTMLSelectElement;
    await fireEvent.change(method, { target: { value: 'microsoft365' } });
    await waitFor(() => expect((screen.getByLabelText('Mailserver') as HTMLInputElement).value).toBe('smtp.office365.com'));
    expect((screen.getByLabelText(/^Poort$/) as HTMLInputElement).value).toBe('587');
    expect((screen.getByLabelText(/^IMAP-server/) as HTMLInputElement).value).toBe('outlook.office365.com');
    expect(screen.getByLabelText(/^Tenant/)).toBeInstanceOf(HTMLInputElement);
    expect(screen.getByLabelText(/^Client-ID/)).toBeInstanceOf(HTMLInputElement);
    expect(screen.queryByLabelText('Wachtwoord')).toBeNull();
  });

  it('saves, then signs in in the browser and says so', async () => {
    const signInBrowser = vi.fn(async () => ({ ...microsoft, grant: { state: 'signed_in' as const, since: '2026-12-03T10:00:00+01:00' } }));
    const api = fakeApi(microsoft, { signInBrowser });
    render(SmtpSettings, { api });
    await fireEvent.click(await screen.findByRole('button', { name: 'Aanmelden in de browser' }));
    await waitFor(() => expect(signInBrowser).toHaveBeenCalled());
    expect(api.saveSmtpSettings).toHaveBeenCalledBefore(signInBrowser);
    await waitFor(() => expect(document.getElementById('signin-state')?.textContent).toContain('Aangemeld als an.peeters@kindengezin.be'));
    expect(screen.getByRole('button', { name: 'Afmelden' })).toBeInstanceOf(HTMLButtonElement);
  });

  it('shows the code to type elsewhere while it waits, and can cancel', async () => {
    let finish: (v: SmtpView) => void = () => {};
    const api = fakeApi(microsoft, {
      startDeviceSignIn: vi.fn(async () => ({ user_code: 'WDJB-MJHT', verification_uri: 'https://microsoft.com/devicelogin', minutes: 15 })),
      finishDeviceSignIn: vi.fn(() => new Promise<SmtpView>((resolve) => (finish = resolve))),
    });
    render(SmtpSettings, { api });
    await fireEvent.click(await screen.findByRole('button', { name: 'Aanmelden met een code' }));
    await waitFor(() => expect(document.getElementById('device-code')?.textContent).toBe('WDJB-MJHT'));
    expect(document.getElementById('device-code-text')?.textContent).toContain('https://microsoft.com/devicelogin');
    await fireEvent.click(screen.getByRole('button', { name: 'Annuleren' }));
    expect(api.cancelSignIn).toHaveBeenCalled();
    finish(microsoft);
  });

  it('offers to sign in again when the grant was lost, with the reason in Dutch', async () => {
    const api = fakeApi(
      { ...microsoft, grant: { state: 'lost', since: '2026-12-03T10:00:00+01:00' } },
      {
        signInBrowser: vi.fn(async () => {
          throw new CommandError({ code: 'oauth.refused', message: 'Microsoft 365 weigerde de aanmelding (access_denied). Probeer opnieuw, of vraag het aan IT.', field: null, fields: [] });
        }),
      },
    );
    render(SmtpSettings, { api });
    await waitFor(() => expect(document.getElementById('signin-state')?.textContent).toContain('verlopen of ingetrokken'));
    await fireEvent.click(screen.getByRole('button', { name: 'Opnieuw aanmelden' }));
    await waitFor(() => expect(document.getElementById('signin-error')?.textContent).toContain('weigerde de aanmelding'));
  });
});
