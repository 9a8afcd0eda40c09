import type { RetentionPolicy } from "../config";
import { ACTIVITY_TYPE_NAMES, type ActivityType } from "../feed/activity-types";
import { daysBefore } from "../platform/time";

/**
 * Which items retention removes: every item older than its type's retention
 * (read or not: a 40-day-old unread reminder is noise in the badge, and
 * inactive users would otherwise grow without bound). `only_read` keeps the
 * original's behaviour, where unread items stay however old.
 */

export interface RetentionRequest {
  readonly activityType?: ActivityType;
  readonly olderThanDays?: number;
  readonly onlyRead: boolean;
}

export interface RetentionPlan {
  /** Per type, items created before this instant go. */
  readonly cutoffs: Readonly<Partial<Record<ActivityType, number>>>;
  readonly onlyRead: boolean;
}

export function retentionCutoff(days: number, now: number): number {
  return daysBefore(now, days);
}

export function planRetention(policy: RetentionPolicy, request: RetentionRequest, now: number): RetentionPlan {
  const types = request.activityType ? [request.activityType] : ACTIVITY_TYPE_NAMES;
  const cutoffs: Partial<Record<ActivityType, number>> = {};
  for (const type of types) cutoffs[type] = retentionCutoff(request.olderThanDays ?? policy[type], now);
  return { cutoffs, onlyRead: request.onlyRead };
}

/** Archiving: every type, one age (the design's archive_old_items, 365 days by default). */
export function planArchive(olderThanDays: number, onlyRead: boolean, now: number): RetentionPlan {
  const cutoff = retentionCutoff(olderThanDays, now);
  return { cutoffs: Object.fromEntries(ACTIVITY_TYPE_NAMES.map((type) => [type, cutoff])), onlyRead };
}
