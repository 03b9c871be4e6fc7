import { describe, expect, it } from 'vitest';
import { dateText } from './format';
import { monthLabel } from './report';

describe('labels', () => {
  it('writes months and dates the Belgian way', () => {
    expect(monthLabel('2026-03')).toBe('mrt 2026');
    expect(dateText('2026-03-01')).toBe('01/03/2026');
  });
});
