import { describe, expect, it } from 'vitest';
import { dateText, dayText, momentText, shownDate, todayText } from './format';

describe('format', () => {
  it('writes dates as dd/mm/jjjj, also the day of a stored time', () => {
    expect(dateText('2026-03-01')).toBe('01/03/2026');
    expect(dateText('2026-11-22T10:00:00+01:00')).toBe('22/11/2026');
  });

  it('shows a stored date in that form and leaves anything else as it is', () => {
    expect(shownDate('2023-12-18')).toBe('18/12/2023');
    expect(shownDate('18/12/2023')).toBe('18/12/2023');
    expect(shownDate(null)).toBe('');
  });

  it('has no time for no time', () => {
    expect(momentText(null)).toBe('');
    // A moment reads as dates do on every screen, in the worker's own time zone.
    const at = new Date('2026-11-22T10:01:00+01:00');
    const local = `${String(at.getDate()).padStart(2, '0')}/11/2026 ${String(at.getHours()).padStart(2, '0')}:01`;
    expect(momentText('2026-11-22T10:01:00+01:00')).toBe(local);
    expect(dayText('2026-03-01')).toBe('01/03/2026');
  });

  it('gives today as the date fields take it', () => {
    expect(todayText(new Date(2026, 0, 5))).toBe('05/01/2026');
  });
});
