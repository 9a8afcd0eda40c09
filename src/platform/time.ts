/** Time as the service stores it (epoch milliseconds) and shows it (ISO 8601, UTC). */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

export const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();

/** The UTC calendar day of an instant, `2024-01-15`. */
export const utcDay = (epochMs: number): string => isoTime(epochMs).slice(0, 10);

/** The instant `days` days before `now`. */
export const daysBefore = (now: number, days: number): number => now - days * DAY_MS;
