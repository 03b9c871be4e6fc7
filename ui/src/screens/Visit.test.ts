import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Visit from './Visit.svelte';
import type { Api } from '../lib/ipc';
import type { FivePoints } from '../lib/bindings/FivePoints';
import type { Referral } from '../lib/bindings/Referral';

const keys = ['purpose', 'data', 'recipient', 'next', 'expect'];

function five(language: 'nl' | 'fr' | 'en' = 'nl'): FivePoints {
  return {
    version: '2026-1',
    language,
    points: keys.map((key, i) => ({
      key,
      title: `${i + 1}. ${language}-${key}`,
      body: key === 'data' ? '• Naam: <b>Zoë</b> <img src=x onerror=alert(1)>' : `uitleg ${key}`,
    })),
    question: 'Geef je toestemming?',
    sha256: 'a'.repeat(64),
  };
}

const done = { reference: 'AM-ABCD-EFGH', status: 'ready' } as Referral;

function api(overrides: Partial<Api> = {}): Api {
  const partial: Partial<Api> = {
    fivePoints: vi.fn(async (_ref: string, language) => five(language)),
    recordConsent: vi.fn(async () => done),
    recordRefusal: vi.fn(async () => ({ ...done, status: 'refused' }) as Referral),
    ...overrides,
  };
  return partial as Api;
}

describe('Visit: the five points and the answer', () => {
  it('opens consent only when every point is ticked; refusal is possible at once', async () => {
    const fake = api();
    const ondone = vi.fn();
    render(Visit, { api: fake, reference: 'AM-ABCD-EFGH', warnings: [], ondone });
    const consent = (await screen.findByRole('button', { name: 'Cliënt geeft toestemming' })) as HTMLButtonElement;
    const refuse = screen.getByRole('button', { name: 'Cliënt weigert' }) as HTMLButtonElement;
    expect(consent.disabled).toBe(true);
    expect(refuse.disabled).toBe(false);
    const boxes = screen.getAllByRole('checkbox', { name: /Uitgelegd/ });
    expect(boxes).toHaveLength(5);
    for (const box of boxes.slice(0, 4)) await fireEvent.click(box);
    expect(consent.disabled).toBe(true);
    await fireEvent.click(boxes[4]);
    expect(consent.disabled).toBe(false);
    await fireEvent.click(consent);
    await waitFor(() => expect(ondone).toHaveBeenCalledWith(done));
    expect(fake.recordConsent).toHaveBeenCalledWith({
      reference: 'AM-ABCD-EFGH',
      language: 'nl',
      explained: keys,
      shown_sha256: 'a'.repeat(64),
    });
  });

  it('shows the points in the language the worker picks', async () => {
    const fake = api();
    render(Visit, { api: fake, reference: 'AM-ABCD-EFGH', warnings: [], ondone: vi.fn() });
    await screen.findByText('1. nl-purpose');
    await fireEvent.click(screen.getByRole('radio', { name: 'Français' }));
    await screen.findByText('1. fr-purpose');
    expect(fake.fivePoints).toHaveBeenLastCalledWith('AM-ABCD-EFGH', 'fr');
  });

  it('clears the ticks when the language changes: each point is explained in the text shown', async () => {
    const fake = api();
    render(Visit, { api: fake, reference: 'AM-ABCD-EFGH', warnings: [], ondone: vi.fn() });
    await screen.findByText('1. nl-purpose');
    for (const box of screen.getAllByRole('checkbox', { name: /Uitgelegd/ })) await fireEvent.click(box);
    const consent = screen.getByRole('button', { name: 'Cliënt geeft toestemming' }) as HTMLButtonElement;
    expect(consent.disabled).toBe(false);
    await fireEvent.click(screen.getByRole('radio', { name: 'Français' }));
    await screen.findByText('1. fr-purpose');
    const boxes = screen.getAllByRole('checkbox', { name: /Uitgelegd/ }) as HTMLInputElement[];
    expect(boxes.every((b) => !b.checked)).toBe(true);
    expect((screen.getByRole('button', { name: 'Cliënt geeft toestemming' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/staan nu in het Frans/)).toBeTruthy();
  });

  it('tells the core which points were explained when the client refuses', async () => {
    const fake = api();
    const ondone = vi.fn();
    render(Visit, { api: fake, reference: 'AM-ABCD-EFGH', warnings: [], ondone });
    await screen.findByText('1. nl-purpose');
    const boxes = screen.getAllByRole('checkbox', { name: /Uitgelegd/ });
    await fireEvent.click(boxes[0]);
    await fireEvent.click(boxes[1]);
    await fireEvent.click(screen.getByRole('button', { name: 'Cliënt weigert' }));
    await waitFor(() => expect(ondone).toHaveBeenCalled());
    expect(fake.recordRefusal).toHaveBeenCalledWith('AM-ABCD-EFGH', ['purpose', 'data']);
  });

  it('renders client values containing HTML as text', async () => {
    render(Visit, { api: api(), reference: 'AM-ABCD-EFGH', warnings: [], ondone: vi.fn() });
    await screen.findByText(/<b>Zoë<\/b>/);
    expect(document.querySelector('.points b')).toBeNull();
    expect(document.querySelector('.points img')).toBeNull();
  });
});
