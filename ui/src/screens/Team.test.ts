import { describe, expect, it, vi } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
import Team from './Team.svelte';
import type { Api } from '../lib/ipc';
import type { ImportedFile } from '../lib/bindings/ImportedFile';
import type { TeamReport } from '../lib/bindings/TeamReport';

const year = { from: '2026-01-01', to: '2026-12-31' };

function file(id: number, name: string, made: string, whole: boolean, intact: boolean): ImportedFile {
  return {
    id,
    worker: { name, team: 'Lokaal team Westerlo', email: `${id}@example.be` },
    period: year,
    generated_at: made,
    app_version: '0.1.0',
    ledger: { events: 12, head: null, intact },
    whole_period: whole,
  };
}

function api(workers: ImportedFile[]): Api {
  // Only what the notices above the table read: no partners, so no table or chart.
  const team = { report: { period: year, partners: [] }, workers, missing: [], other_periods: 0 } as unknown as TeamReport;
  const partial: Partial<Api> = {
    countImports: vi.fn(async () => workers),
    teamReport: vi.fn(async () => team),
    teamMembers: vi.fn(async () => []),
    ownFingerprint: vi.fn(async () => 'AAAA BBBB'),
  };
  return partial as Api;
}

describe('Team', () => {
  it('says which files stop before the period ends and whose log is not intact, not that all is in', async () => {
    render(Team, {
      api: api([
        file(1, 'An Peeters', '2026-06-30T16:00:00+02:00', false, true),
        file(2, 'Zoë Müller', '2027-01-05T10:00:00+01:00', true, false),
      ]),
    });
    await waitFor(() => expect(document.getElementById('team-early')).not.toBeNull());
    expect(document.getElementById('team-early')?.textContent).toContain('An Peeters (30/06/2026');
    expect(document.getElementById('team-early')?.textContent).not.toContain('Zoë');
    expect(document.getElementById('team-not-intact')?.textContent).toContain('Zoë Müller');
    expect(document.getElementById('team-not-intact')?.textContent).not.toContain('An Peeters');
    expect(document.getElementById('team-missing')).toBeNull();
  });

  it('says every file is in when each covers the whole period from an intact log', async () => {
    render(Team, { api: api([file(1, 'An Peeters', '2027-01-05T10:00:00+01:00', true, true)]) });
    await waitFor(() =>
      expect(document.getElementById('team-missing')?.textContent).toBe(
        'Van elk teamlid is een telbestand voor deze periode ingelezen.',
      ),
    );
    expect(document.getElementById('team-early')).toBeNull();
    expect(document.getElementById('team-not-intact')).toBeNull();
  });
});
