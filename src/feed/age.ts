import { DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS as MINUTE, WEEK_MS as WEEK } from "../platform/time";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * `age_display` as the original clients show it: "just now", "5m ago",
 * "2h ago", "3d ago", "2w ago", then the date ("Jan 15, 2024", UTC).
 * Items dated in the future (a producer's clock ahead of ours) read "just now".
 */
export function ageDisplay(createdAt: number, now: number): string {
  const age = now - createdAt;
  if (age < MINUTE) return "just now";
  if (age < HOUR) return `${Math.floor(age / MINUTE)}m ago`;
  if (age < DAY) return `${Math.floor(age / HOUR)}h ago`;
  if (age < WEEK) return `${Math.floor(age / DAY)}d ago`;
  if (age < 5 * WEEK) return `${Math.floor(age / WEEK)}w ago`;
  const date = new Date(createdAt);
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
}
