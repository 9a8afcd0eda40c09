export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/** An ISO timestamp `ms` before now (what producers send as occurred_at). */
export const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
