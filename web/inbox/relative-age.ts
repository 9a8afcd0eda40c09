/**
 * "5 min. ago", "yesterday", "3 wk. ago", then the date: an item's age as
 * the inbox shows it, in the reader's language (Intl; no date library).
 * The API's `age_display` is English and as of the answer; this one is
 * recomputed as the panel stays open.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const relative = new Map<string, Intl.RelativeTimeFormat>();
const dates = new Map<string, Intl.DateTimeFormat>();

function formatter<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let found = cache.get(key);
  if (!found) {
    found = make();
    cache.set(key, found);
  }
  return found;
}

export function relativeAge(createdAt: number, now: number, locale: string | undefined, justNow: string): string {
  const age = Math.max(0, now - createdAt);
  if (age < MINUTE) return justNow;
  const format = formatter(
    relative,
    locale ?? "",
    () => new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" }),
  );
  if (age < HOUR) return format.format(-Math.floor(age / MINUTE), "minute");
  if (age < DAY) return format.format(-Math.floor(age / HOUR), "hour");
  if (age < WEEK) return format.format(-Math.floor(age / DAY), "day");
  if (age < 5 * WEEK) return format.format(-Math.floor(age / WEEK), "week");
  // Dates in the reader's own time zone, as their calendar shows them.
  const sameYear = new Date(createdAt).getFullYear() === new Date(now).getFullYear();
  const date = formatter(
    dates,
    `${locale ?? ""}:${sameYear}`,
    () =>
      new Intl.DateTimeFormat(locale, {
        month: "short",
        day: "numeric",
        ...(sameYear ? {} : { year: "numeric" }),
      }),
  );
  return date.format(createdAt);
}
