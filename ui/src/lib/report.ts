// What the evaluation screens share: the columns of the counts, in the order the agreements list
// them, the median of the consent-to-send histogram, and the period the screen starts on.
import type { Counts } from './bindings/Counts';
import type { PeriodInput } from './bindings/PeriodInput';

export type CountKey = Exclude<keyof Counts, 'days_to_send'>;

export const columns: { key: CountKey; label: string }[] = [
  { key: 'explained', label: 'Vijf punten uitgelegd' },
  { key: 'consented', label: 'Toestemmingen' },
  { key: 'refused', label: 'Weigeringen' },
  { key: 'sent', label: 'Pakketten verzonden' },
  { key: 'failed', label: 'Mislukt of aandacht nodig' },
  { key: 'withdrawn', label: 'Intrekkingen' },
  { key: 'corrected', label: 'Correcties' },
  { key: 'incidents', label: 'Verkeerd adres (datalek)' },
];

/** The median of a `(days, how many)` histogram; null when it is empty. */
export function medianDays(histogram: [number, number][]): number | null {
  const total = histogram.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  // The values at 0-based positions lo and hi; equal for an odd total.
  const lo = Math.floor((total - 1) / 2);
  const hi = Math.floor(total / 2);
  let seen = 0;
  let low: number | null = null;
  for (const [days, n] of histogram) {
    if (low === null && lo < seen + n) low = days;
    if (hi < seen + n) return ((low ?? days) + days) / 2;
    seen += n;
  }
  return null;
}

/** "2,5 dagen", "1 dag", or a dash. */
export function daysText(days: number | null): string {
  if (days === null) return '—';
  const text = days.toLocaleString('nl-BE', { maximumFractionDigits: 1 });
  return days === 1 ? `${text} dag` : `${text} dagen`;
}

/** The calendar year of `today`: the agreements evaluate per year unless agreed otherwise. */
export function thisYear(today = new Date()): PeriodInput {
  return { kind: 'year', year: today.getFullYear() };
}

const MONTHS = ['jan', 'feb', 'mrt', 'apr', 'mei', 'jun', 'jul', 'aug', 'sep', 'okt', 'nov', 'dec'];

/** "2026-03" → "mrt 2026". */
export function monthLabel(month: string): string {
  const [year, m] = month.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${year}`;
}
