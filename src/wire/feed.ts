import type { z } from "@hono/zod-openapi";
import type { FeedItem } from "../feed/feed-item";
import type { FeedSummary, FeedTotals } from "../feed/summary";
import { isoTime } from "../platform/time";
import type { FeedItemSchema, FeedSummarySchema } from "../schemas/feed";

/**
 * Domain values in the API's shapes (src/schemas/feed.ts): snake_case and ISO
 * times are made here and nowhere else.
 */
export function feedItemWire(item: FeedItem): z.output<typeof FeedItemSchema> {
  return {
    id: item.id,
    activity_type: item.activityType,
    activity_type_display: item.activityTypeDisplay,
    title: item.title,
    description: item.description,
    is_read: item.isRead,
    read_at: item.readAt === null ? null : isoTime(item.readAt),
    created_at: isoTime(item.createdAt),
    age_display: item.ageDisplay,
    data: item.data,
    target_type: item.targetType,
    target_id: item.targetId,
  };
}

export function feedTotalsWire(totals: FeedTotals) {
  return {
    total_items: totals.totalItems,
    unread_count: totals.unreadCount,
    read_count: totals.readCount,
    activity_types: totals.perType,
  };
}

export function feedSummaryWire(summary: FeedSummary): z.output<typeof FeedSummarySchema> {
  return { ...feedTotalsWire(summary.totals), recent_activity: summary.recentActivity.map(feedItemWire) };
}
