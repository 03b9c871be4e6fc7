import { afterEach, describe, expect, it, vi } from 'vitest';
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
  may_have_left: true,
  by_mail_program: false,
  attempts: 1,
  next_attempt_at: '2026-11-22T10:00:00+01:00',
  last_error: null,
  problem: null,
  problem_detail: null,
  queued_at: '2026-11-22T10:00:00+01:00',
  sent_at: '2026-11-22T10:01:00+01:00',
  received_at: null,
  agreement_id: 3,
  draft_folder: null,
  never_again: null,
  archive_kept: true,
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
    // The hints say what the days mean and what the DPO address is for.
    expect(document.getElementById('retention-days-hint')?.textContent).toMatch(/standaard 30.*weigering of intrekking.*meteen/s);
    expect(document.getElementById('dpo-email-hint')?.textContent).toContain('datalek');
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
          ['days_after_send', 'Bewaartermijn: kies een aantal dagen van 1 tot 365 (standaard 30).'],
          ['dpo_email', 'DPO: vul een geldig e-mailadres in.'],
        ]);
      }),
    } as Partial<Api> as Api;
    render(RetentionSettings, { api });
    await fireEvent.input(await screen.findByLabelText(/Bewaartermijn/), { target: { value: '999' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Bewaren' }));
    expect(await screen.findByText(/van 1 tot 365/)).toHaveProperty('id', 'retention-days-error');
    expect(screen.getByText(/geldig e-mailadres/)).toHaveProperty('id', 'dpo-email-error');
  });
});

describe('IncidentForm', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('reports the wrong mailbox and shows the DPO draft', async () => {
    const report = vi.fn(async () => ({
      draft: {
        to: 'dpo@team.example',
        subject: 'Melding datalek (AVG art. 33): referentie AM-ABCD-EFGH',
        body: 'Beste DPO,\nReferentie: AM-ABCD-EFGH\nToelichting: ontvanger gebeld',
      },
      saved_to: '/home/an/Documenten/Aanmelder/datalek.eml',
    }));
    const api = {
      exportFolder: vi.fn(async () => '/home/an/Documenten/Aanmelder'),
      reportIncident: report,
    } as Partial<Api> as Api;
    render(IncidentForm, { api, item: sent, onclose: () => {} });
    await fireEvent.input(screen.getByRole('textbox', { name: /Verkeerd adres/ }), { target: { value: 'iemand@verkeerd.example' } });
    await fireEvent.input(screen.getByLabelText(/Vastgesteld op/), { target: { value: '2026-11-23' } });
    await fireEvent.input(screen.getByLabelText(/Toelichting/), { target: { value: 'ontvanger gebeld' } });
    await waitFor(() => expect((screen.getByLabelText(/Map/) as HTMLInputElement).value).not.toBe(''));
    await fireEvent.click(screen.getByRole('button', { name: 'Incident melden' }));
    const result = await screen.findByRole('status');
    expect(result.id).toBe('incident-result');
    const text = result.textContent ?? '';
    expect(text).toContain('genoteerd in het logboek');
    expect(text).toContain('/home/an/Documenten/Aanmelder/datalek.eml');
    expect(text).toContain('dpo@team.example');
    expect(text).toContain('Melding datalek (AVG art. 33): referentie AM-ABCD-EFGH');
    expect(text).toContain('Toelichting: ontvanger gebeld');
    expect(text).toMatch(/verstuur het/);
    expect(text).toMatch(/DPO van de\s+partner/);
    expect(report).toHaveBeenCalledTimes(1);
    expect(report).toHaveBeenCalledWith(
      { outbox_id: 7, wrong_to: 'iemand@verkeerd.example', noticed_on: '2026-11-23', note: 'ontvanger gebeld' },
      '/home/an/Documenten/Aanmelder',
    );
  });

  it("proposes today's date as the worker's calendar has it, also just after midnight", async () => {
    // 00:30 in Brussels on 23 November is still 22 November in UTC.
    vi.stubEnv('TZ', 'Europe/Brussels');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-22T23:30:00Z'));
    const api = { exportFolder: vi.fn(async () => '/tmp') } as Partial<Api> as Api;
    render(IncidentForm, { api, item: sent, onclose: () => {} });
    expect((screen.getByLabelText(/Vastgesteld op/) as HTMLInputElement).value).toBe('23/11/2026');
  });

  it('takes the folder from the picker, and shows a picker failure next to the folder', async () => {
    const pick = vi
      .fn<Api['pickFolder']>()
      .mockResolvedValueOnce('/home/an/Bureaublad')
      .mockResolvedValueOnce(null)
      .mockRejectedValueOnce(new Error('Het venster om een map te kiezen ging niet open.'));
    const api = { exportFolder: vi.fn(async () => '/home/an/Documenten'), pickFolder: pick } as Partial<Api> as Api;
    render(IncidentForm, { api, item: sent, onclose: () => {} });
    const folder = screen.getByLabelText(/Map voor het concept/) as HTMLInputElement;
    await waitFor(() => expect(folder.value).toBe('/home/an/Documenten'));
    const choose = screen.getByRole('button', { name: 'Kies map…' });
    await fireEvent.click(choose);
    await waitFor(() => expect(folder.value).toBe('/home/an/Bureaublad'));
    // Cancelled: the folder stays.
    await fireEvent.click(choose);
    await waitFor(() => expect(pick).toHaveBeenCalledTimes(2));
    expect(folder.value).toBe('/home/an/Bureaublad');
    await fireEvent.click(choose);
    expect(await screen.findByText(/ging niet open/)).toHaveProperty('id', 'incident-folder-error');
  });

  it('shows a refused note and a missing folder next to their fields, focusing the first', async () => {
    const api = {
      exportFolder: vi.fn(async () => '/tmp'),
      reportIncident: vi.fn(async () => {
        throw invalid([
          ['note', 'Toelichting: laat de gegevens van de cliënt weg (naam, straat, telefoon, e-mail).'],
          ['folder', 'Map: /weg bestaat niet of is geen map. Kies een bestaande map.'],
        ]);
      }),
    } as Partial<Api> as Api;
    render(IncidentForm, { api, item: sent, onclose: () => {} });
    await fireEvent.click(screen.getByRole('button', { name: 'Incident melden' }));
    expect(await screen.findByText(/laat de gegevens van de cliënt weg/)).toHaveProperty('id', 'incident-note-error');
    expect(screen.getByText(/bestaat niet of is geen map/)).toHaveProperty('id', 'incident-folder-error');
    const note = screen.getByLabelText(/Toelichting/);
    expect(note.getAttribute('aria-invalid')).toBe('true');
    expect(note.getAttribute('aria-describedby')).toContain('incident-note-error');
    await waitFor(() => expect(document.activeElement).toBe(note));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(document.getElementById('incident-result')).toBeNull();
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
    expect(screen.getByRole('alert').textContent).toContain('Instellingen');
  });
});
