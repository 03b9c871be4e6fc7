import { describe, expect, it } from 'vitest';
import { dateText } from './format';
import { medianDays, monthLabel } from './report';

describe('medianDays', () => {
  it('is null without data', () => {
    expect(medianDays([])).toBeNull();
  });
  it('takes the middle value of an odd count', () => {
    // 1, 2, 2, 9, 9 → 2
    expect(medianDays([[1, 1], [2, 2], [9, 2]])).toBe(2);
  });
  it('averages the two middle values of an even count, across bins', () => {
    // 0, 0, 3, 10 → (0 + 3) / 2
    expect(medianDays([[0, 2], [3, 1], [10, 1]])).toBe(1.5);
  });
  it('agrees with sorting the expanded values', () => {
    const histogram: [number, number][] = [[0, 3], [1, 1], [4, 5], [7, 2], [30, 1]];
    const values = histogram.flatMap(([d, n]) => Array<number>(n).fill(d));
    const mid = values.length / 2;
    const expected = values.length % 2 ? values[Math.floor(mid)] : (values[mid - 1] + values[mid]) / 2;
    expect(medianDays(histogram)).toBe(expected);
  });
});

describe('labels', () => {
  it('writes months and dates the Belgian way', () => {
    expect(monthLabel('2026-03')).toBe('mrt 2026');
    expect(dateText('2026-03-01')).toBe('01/03/2026');
  });
});
