import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import IncidentForm from './IncidentForm.svelte';
import RetentionSettings from './RetentionSettings.svelte';
import { CommandError, type Api } from '../lib/ipc';
import type { OutboxItem } from '../lib/bindings/OutboxItem';

const sent: OutboxItem = {
  id: 7,
  kind: 'referral',
  reference: 'AM-ABCD-EFGH',
  message_id: '<x@aanmelder>',
  recipient_name: 'OCMW Westerlo',
  state: 'sent',
  attempts: 1,
  next_attempt_at: '2026-11-22T10:00:00+01:00',
  last_error: null,
  queued_at: '2026-11-22T10:00:00+01:00',
  sent_at: '2026-11-22T10:01:00+01:00',
};

const invalid = (fields: [string, string][]) =>
  new CommandError({
    code: 'x.invalid',
    message: fields.map(([, m]) => m).join(' '),
    field: fields[0][0],
    fields: fields.map(([field, message]) => ({ field, message })),
  });

describe('RetentionSettings', () => {
  it('shows the stored settings and saves what was typed', async () => {
    const save = vi.fn(async (s) => s);
    const api = {
      retentionSettings: vi.fn(async () => ({ days_after_send: 30, dpo_email: '' })),
      saveRetentionSettings: save,
    } as Partial<Api> as Api;
    render(RetentionSettings, { api });
    const days = (await screen.findByLabelText(/Bewaartermijn/)) as HTMLInputElement;
    expect(days.value).toBe('30');
    await fireEvent.input(days, { target: { value: '14' } });
    await fireEvent.input(screen.getByLabelText(/DPO/), { target: { value: 'dpo@team.example' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Bewaren' }));
    await waitFor(() => expect(document.getElementById('retention-status')?.textContent).toContain('bewaard'));
    expect(save).toHaveBeenCalledWith({ days_after_send: 14, dpo_email: 'dpo@team.example' });
  });

  it('puts each refusal next to its field', async () => {
    const api = {
      retentionSettings: vi.fn(async () => ({ days_after_send: 30, dpo_email: '' })),
      saveRetentionSettings: vi.fn(async () => {
        throw invalid([
          ['days_after_send', 'Bewaartermijn: kies een aantal dagen van 0 tot 365 (standaard 30).'],
          ['dpo_email', 'DPO: vul een geldig e-mailadres in.'],
        ]);
      }),
    } as Partial<Api> as Api;
    render(RetentionSettings, { api });
    await fireEvent.input(await screen.findByLabelText(/Bewaartermijn/), { target: { value: '999' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Bewaren' }));
    expect(await screen.findByText(/van 0 tot 365/)).toHaveProperty('id', 'retention-days-error');
    expect(screen.getByText(/geldig e-mailadres/)).toHaveProperty('id', 'dpo-email-error');
  });
});

describe('IncidentForm', () => {
  it('reports the wrong mailbox and shows the DPO draft', async () => {
    const report = vi.fn(async () => ({
      draft: { to: 'dpo@team.example', subject: 'Datalek: pakket AM-ABCD-EFGH', body: 'Referentie AM-ABCD-EFGH' },
      saved_to: '/home/an/Documenten/Aanmelder/datalek.eml',
    }));
    const api = {
      exportFolder: vi.fn(async () => '/home/an/Documenten/Aanmelder'),
      reportIncident: report,
    } as Partial<Api> as Api;
    render(IncidentForm, { api, item: sent, onclose: () => {} });
    await fireEvent.input(screen.getByRole('textbox', { name: /Verkeerd adres/ }), { target: { value: 'iemand@verkeerd.example' } });
    await fireEvent.input(screen.getByLabelText(/Vastgesteld op/), { target: { value: '2026-11-23' } });
    await waitFor(() => expect((screen.getByLabelText(/Map/) as HTMLInputElement).value).not.toBe(''));
    await fireEvent.click(screen.getByRole('button', { name: 'Incident melden' }));
    const result = await screen.findByRole('status');
    expect(result.textContent).toContain('datalek.eml');
    expect(result.textContent).toContain('dpo@team.example');
    expect(report).toHaveBeenCalledWith(
      { outbox_id: 7, wrong_to: 'iemand@verkeerd.example', noticed_on: '2026-11-23' },
      '/home/an/Documenten/Aanmelder',
    );
  });

  it('puts errors next to the fields and says when no DPO is set', async () => {
    const api = {
      exportFolder: vi.fn(async () => '/tmp'),
      reportIncident: vi.fn(async () => {
        throw invalid([
          ['wrong_to', 'Verkeerd adres: vul het volledige e-mailadres in.'],
          ['dpo_email', 'Er is nog geen DPO ingesteld. Vul bij Instellingen het e-mailadres in.'],
        ]);
      }),
    } as Partial<Api> as Api;
    render(IncidentForm, { api, item: sent, onclose: () => {} });
    await fireEvent.click(screen.getByRole('button', { name: 'Incident melden' }));
    expect(await screen.findByText(/volledige e-mailadres/)).toHaveProperty('id', 'incident-to-error');
    expect(screen.getByRole('alert').textContent).toContain('geen DPO ingesteld');
  });
});
