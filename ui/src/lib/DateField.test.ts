import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import DateField from './DateField.svelte';
import type { Api } from './ipc';

function api(): Api {
  const partial: Partial<Api> = {
    readDay: vi.fn(async (text: string) => (text === '18/12/2023' ? '2023-12-18' : null)),
  };
  return partial as Api;
}

const echo = () => document.getElementById('day-echo');

describe('DateField', () => {
  it('judges a half-typed date only once the worker leaves the field', async () => {
    render(DateField, { api: api(), id: 'day', label: 'Datum', value: '' });
    const field = screen.getByLabelText('Datum');
    await fireEvent.input(field, { target: { value: '18/12/202' } });
    await new Promise((r) => setTimeout(r, 250));
    expect(echo()?.textContent).toBe('');
    await fireEvent.change(field);
    await waitFor(() => expect(echo()?.textContent).toMatch(/geen bestaande datum/));
    await fireEvent.input(field, { target: { value: '18/12/2023' } });
    await waitFor(() => expect(echo()?.textContent).toMatch(/Wordt bewaard als/));
    expect(echo()?.getAttribute('aria-live')).toBe('polite');
  });

  it('shows the date the form came with without reading it out', async () => {
    render(DateField, { api: api(), id: 'day', label: 'Datum', value: '18/12/2023' });
    await waitFor(() => expect(echo()?.textContent).toMatch(/Wordt bewaard als/));
    expect(echo()?.getAttribute('aria-live')).toBe('off');
  });
});
