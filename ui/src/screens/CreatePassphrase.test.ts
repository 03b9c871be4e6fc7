import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import CreatePassphrase from './CreatePassphrase.svelte';
import type { Api } from '../lib/ipc';
import type { SessionState } from '../lib/bindings/SessionState';
import { keyringStore } from '../lib/fixtures';

const locked: SessionState = {
  state: 'needs_new_passphrase',
  reason: 'de sleutelbos is vergrendeld of gaf Aanmelder geen toegang',
  keyring_locked: true,
};
const ready: SessionState = { state: 'ready', store: keyringStore };

function api(...answers: SessionState[]): Api {
  const retryKeyring = vi.fn();
  for (const answer of answers) retryKeyring.mockResolvedValueOnce(answer);
  return { retryKeyring } as Partial<Api> as Api;
}

describe('CreatePassphrase: a keyring locked at first start', () => {
  it('tries the keyring again, says when it is still locked, and goes on once it opens', async () => {
    const fake = api(locked, ready);
    const oncreated = vi.fn();
    render(CreatePassphrase, { reason: 'de sleutelbos is vergrendeld of gaf Aanmelder geen toegang', keyringLocked: true, oncreated, api: fake });
    const button = screen.getByRole('button', { name: 'Sleutelbos opnieuw proberen' });
    await fireEvent.click(button);
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toContain('nog altijd vergrendeld'),
    );
    expect(oncreated).not.toHaveBeenCalled();
    await fireEvent.click(button);
    await waitFor(() => expect(oncreated).toHaveBeenCalledWith(ready));
    expect(fake.retryKeyring).toHaveBeenCalledTimes(2);
  });

  it('offers no retry when there is no keyring at all', () => {
    render(CreatePassphrase, { reason: 'dit systeem heeft geen sleutelbos', keyringLocked: false, oncreated: vi.fn(), api: api() });
    expect(screen.queryByRole('button', { name: 'Sleutelbos opnieuw proberen' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Beveiligen en starten' })).not.toBeNull();
  });
});
