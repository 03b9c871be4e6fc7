import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Settings from './Settings.svelte';
import { CommandError, type Api } from '../lib/ipc';
import type { WorkerProfile } from '../lib/bindings/WorkerProfile';

function fakeApi(stored: WorkerProfile, save: Api['saveWorkerProfile']): Api {
  const partial: Partial<Api> = {
    workerProfile: vi.fn(async () => stored),
    saveWorkerProfile: vi.fn(save),
    smtpSettings: vi.fn(async () => null),
  };
  return partial as Api;
}

const empty: WorkerProfile = { name: '', team: '', email: '', phone: '' };

describe('Settings', () => {
  it('labels every field so it can be found by its Dutch name', async () => {
    render(Settings, { api: fakeApi(empty, async (p) => p) });
    for (const label of [/^Naam/, /^Team$/, /^E-mailadres/, /^Telefoon/]) {
      expect(await screen.findByLabelText(label)).toBeInstanceOf(HTMLInputElement);
    }
  });

  it('saves what was typed and says so', async () => {
    // The app answers with the profile as stored, the phone as a person reads it.
    const api = fakeApi(empty, async (p) => ({ ...p, phone: '014 12 34 56' }));
    render(Settings, { api });
    await fireEvent.input(await screen.findByLabelText(/Naam/), { target: { value: 'An Peeters' } });
    await fireEvent.input(screen.getByLabelText(/Telefoon/), { target: { value: '014123456' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Bewaren' }));
    await waitFor(() =>
      expect(document.getElementById('settings-status')?.textContent).toContain('bewaard'),
    );
    expect(api.saveWorkerProfile).toHaveBeenCalledWith({
      name: 'An Peeters',
      team: '',
      email: '',
      phone: '014123456',
    });
    expect((screen.getByLabelText(/Telefoon/) as HTMLInputElement).value).toBe('014 12 34 56');
  });

  it('shows a field error next to its field and ties it to the input', async () => {
    const api = fakeApi(empty, async () => {
      throw new CommandError({ code: 'worker.email', message: 'E-mailadres: dit is geen geldig e-mailadres.', field: 'email', fields: [{ field: 'email', message: 'E-mailadres: dit is geen geldig e-mailadres.' }] });
    });
    render(Settings, { api });
    await fireEvent.click(await screen.findByRole('button', { name: 'Bewaren' }));
    const input = screen.getByLabelText(/E-mailadres/);
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    const describedBy = input.getAttribute('aria-describedby') ?? '';
    const message = document.getElementById(describedBy.split(' ').pop() ?? '');
    expect(message?.textContent).toContain('geen geldig e-mailadres');
    expect(document.activeElement).toBe(input);
  });

  it('renders HTML in stored values as text, never as markup', async () => {
    const hostile = '<img src=x onerror="alert(1)"><b>vet</b>';
    render(Settings, { api: fakeApi({ ...empty, name: hostile }, async (p) => p) });
    const input = (await screen.findByLabelText(/Naam/)) as HTMLInputElement;
    expect(input.value).toBe(hostile);
    expect(document.querySelector('img')).toBeNull();
    expect(document.querySelector('b')).toBeNull();
  });
});
