import { describe, expect, it } from 'vitest';
import { dateText } from './format';
import { thisYear } from './report';

describe('the evaluation screens', () => {
  it('start on the calendar year and write dates the Belgian way', () => {
    expect(thisYear(new Date(2026, 11, 3))).toEqual({ kind: 'year', year: 2026 });
    expect(dateText('2026-03-01')).toBe('01/03/2026');
  });
});
