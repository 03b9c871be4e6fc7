// What the evaluation screens share beside the core's table and chart: the period the screen
// starts on. Columns, labels, medians, months and ticks come from the core.
import type { PeriodInput } from './bindings/PeriodInput';

/** The calendar year of `today`: the agreements evaluate per year unless agreed otherwise. */
export function thisYear(today = new Date()): PeriodInput {
  return { kind: 'year', year: today.getFullYear() };
}
