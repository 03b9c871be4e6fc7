// How every screen writes a date: one place, so a date reads the same on each screen and a
// change of form is made once. Dates typed by the worker are dd/mm/jjjj (WebKitGTK's native date
// field follows the process locale and can swap day and month), so dates shown are too.

/** "2026-03-01" (or an RFC 3339 time, by its own calendar day) → "01/03/2026". */
export function dateText(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split('-');
  return `${d}/${m}/${y}`;
}

/** A stored date as dd/mm/jjjj; anything else (empty, already typed) as it is. */
export function shownDate(iso: string | null): string {
  return iso && /^\d{4}-\d{2}-\d{2}$/.test(iso) ? dateText(iso) : (iso ?? '');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time as "22/11/2026 10:01" in the worker's time zone; empty for none. */
export function momentText(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${todayText(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-11-22" → "22/11/2026". */
export function dayText(ymd: string): string {
  return dateText(ymd);
}

/** "2023-12-18" → "maandag 18 december 2023": a day as a person says it, to check a typed date. */
export function longDayText(ymd: string): string {
  return new Date(`${ymd}T12:00:00`).toLocaleDateString('nl-BE', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
}

/** Today (the worker's calendar, not UTC) as dd/mm/jjjj, the way the date fields take it. */
export function todayText(d = new Date()): string {
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;
}
