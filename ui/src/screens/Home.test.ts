import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Home from './Home.svelte';
import { CommandError, type Api } from '../lib/ipc';
import type { NotDeleted } from '../lib/bindings/NotDeleted';
import { keyringStore as store } from '../lib/fixtures';

const stick = '/media/an/STICK/aanmelding-AM-ABCD-EFGH.7z';
const locked = '/home/an/Documenten/ontvangstbewijs-AM-WXYZ-2345.pdf';

function api(listed: NotDeleted[], after: NotDeleted[]): Api {
  const partial: Partial<Api> = {
    workerProfile: vi.fn(async () => ({ name: 'An', team: '', email: '', phone: '' })),
    checkWorkerProfile: vi.fn(async () => {
      throw new CommandError({ code: 'worker.incomplete', message: 'Vul eerst je eigen gegevens in bij Instellingen (team, e-mailadres, telefoon).', field: null, fields: [] });
    }),
    dataAttribution: vi.fn(async () => ''),
    outboxSummary: vi.fn(async () => ({ waiting: 0, oldest_queued_at: null, overdue: false })),
    upcomingWipes: vi.fn(async () => []),
    filesNotDeleted: vi.fn(async () => listed),
    nextEvaluations: vi.fn(async () => []),
    fileWipedByHand: vi.fn(async () => after),
  };
  return partial as Api;
}

describe('Home: files to wipe by hand', () => {
  it('takes a file the worker wiped off the list and says so', async () => {
    const fake = api(
      [
        { path: stick, why: 'de map is niet bereikbaar' },
        { path: locked, why: 'het bestand is in gebruik' },
      ],
      [{ path: locked, why: 'het bestand is in gebruik' }],
    );
    render(Home, { store, api: fake, onsettings: () => {}, onoutbox: () => {} });
    const buttons = await screen.findAllByRole('button', { name: 'Ik heb het gewist' });
    expect(buttons).toHaveLength(2);
    await fireEvent.click(buttons[0]);
    expect(fake.fileWipedByHand).toHaveBeenCalledWith(stick);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Uit de lijst gehaald.'));
    expect(document.activeElement).toBe(screen.getByRole('status'));
    expect(screen.queryByText(stick)).toBeNull();
    expect(screen.getByText(locked)).not.toBeNull();
  });

  it('says a file that is still there stays on the list', async () => {
    const still = [{ path: locked, why: 'het bestand is in gebruik' }];
    render(Home, { store, api: api(still, still), onsettings: () => {}, onoutbox: () => {} });
    await fireEvent.click(await screen.findByRole('button', { name: 'Ik heb het gewist' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('Nog niet gewist'));
    expect(screen.getByRole('status').textContent).toContain('het bestand is in gebruik');
    expect(screen.getByText(locked)).not.toBeNull();
  });
});

describe('Home: the worker’s own details', () => {
  it('reminds a worker with a name but no phone, as the start of a referral would refuse', async () => {
    render(Home, { store, api: api([], []), onsettings: () => {}, onoutbox: () => {} });
    expect(await screen.findByRole('button', { name: 'Naar instellingen' })).not.toBeNull();
    expect(screen.getByText(/team, e-mailadres, telefoon/)).not.toBeNull();
  });

  it('says nothing once the details are complete, nor for another failure', async () => {
    for (const answer of [
      async () => null,
      async () => {
        throw new CommandError({ code: 'store.locked', message: 'vergrendeld', field: null, fields: [] });
      },
    ]) {
      const fake = api([], []);
      fake.checkWorkerProfile = vi.fn(answer);
      const { unmount } = render(Home, { store, api: fake, onsettings: () => {}, onoutbox: () => {} });
      await waitFor(() => expect(fake.checkWorkerProfile).toHaveBeenCalled());
      // Past the answer and the screen's update.
      await new Promise((done) => setTimeout(done, 20));
      expect(screen.queryByRole('button', { name: 'Naar instellingen' })).toBeNull();
      unmount();
    }
  });
});
