import type { FeedItemRow } from "../db/schema";
import { publicIdOf } from "../shards/ids";
import { activityTypeDisplay } from "./activity-types";
import { ageDisplay } from "./age";

/** A feed item as the domain sees it: its public id, times in epoch ms, the labels clients show. */
export interface FeedItem {
  readonly id: number;
  readonly activityType: string;
  readonly activityTypeDisplay: string;
  readonly title: string;
  readonly description: string;
  readonly isRead: boolean;
  readonly readAt: number | null;
  readonly createdAt: number;
  readonly ageDisplay: string;
  readonly data: Record<string, unknown>;
  readonly targetType: string | null;
  readonly targetId: number | null;
  readonly targetThumbnail: string | null;
  readonly isSeen: boolean;
  readonly seenAt: number | null;
  readonly isArchived: boolean;
  readonly archivedAt: number | null;
}

function parseData(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A stored row as the domain's item, as of `now` (its age label). */
export function feedItemFrom(row: FeedItemRow, shardIndex: number, now: number): FeedItem {
  return {
    id: publicIdOf(shardIndex, row),
    activityType: row.activityType,
    activityTypeDisplay: activityTypeDisplay(row.activityType),
    title: row.title,
    description: row.description,
    isRead: row.isRead,
    readAt: row.readAt,
    createdAt: row.createdAt,
    ageDisplay: ageDisplay(row.createdAt, now),
    data: parseData(row.data),
    targetType: row.targetType,
    targetId: row.targetId,
    targetThumbnail: row.targetThumbnail,
    isSeen: row.isSeen,
    seenAt: row.seenAt,
    isArchived: row.isArchived,
    archivedAt: row.archivedAt,
  };
}
