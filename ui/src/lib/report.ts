// What the evaluation screens share beside the core's table: how days and months read, and the
// period the screen starts on. The columns, their labels and the medians come from the core.
import type { PeriodInput } from './bindings/PeriodInput';

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
