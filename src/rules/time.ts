/** Time as the rules read it: instants from the snapshot's strings, ages against `asOf`, never the wall clock. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Epoch milliseconds of an ISO time; null when it is missing or unreadable (rules stay silent then). */
export function instant(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Whole-hour-and-tenth age for evidence, so reports read "36.5" rather than a millisecond count. */
export const ageInHours = (at: number, asOf: Date) => Math.round(((asOf.getTime() - at) / HOUR_MS) * 10) / 10;

export const ageInDays = (at: number, asOf: Date) => Math.round(((asOf.getTime() - at) / DAY_MS) * 10) / 10;
