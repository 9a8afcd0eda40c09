import type { FeedItemRow } from "../db/schema";
import { isoTime } from "../platform/time";
import { toPublicId } from "../shards/ids";
import { activityTypeDisplay } from "./activity-types";
import { ageDisplay } from "./age";

/** A feed item as the API returns it (snake_case, the original contract). */
export interface FeedItemView {
  id: number;
  activity_type: string;
  activity_type_display: string;
  title: string;
  description: string;
  is_read: boolean;
  read_at: string | null;
  created_at: string;
  age_display: string;
  data: Record<string, unknown>;
  target_type: string | null;
  target_id: number | null;
}

function parseData(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The one conversion from a stored row to the wire shape. */
export function toFeedItemView(row: FeedItemRow, shardIndex: number, now: number): FeedItemView {
  return {
    id: toPublicId(shardIndex, row.id),
    activity_type: row.activityType,
    activity_type_display: activityTypeDisplay(row.activityType),
    title: row.title,
    description: row.description,
    is_read: row.isRead,
    read_at: row.readAt === null ? null : isoTime(row.readAt),
    created_at: isoTime(row.createdAt),
    age_display: ageDisplay(row.createdAt, now),
    data: parseData(row.data),
    target_type: row.targetType,
    target_id: row.targetId,
  };
}
