import type { z } from "@hono/zod-openapi";
import type { FeedFilters } from "../db/feed-queries";
import { InvalidInputError, InvalidPageError } from "../errors";
import { decodeCursor } from "../feed/cursor";
import type { FeedItem } from "../feed/feed-item";
import type { ItemSelection } from "../feed/item-actions";
import type { Pagination } from "../feed/list-feed";
import type { FeedSummary, FeedTotals } from "../feed/summary";
import { isoTime } from "../platform/time";
import {
  DEFAULT_PAGE_SIZE,
  type FeedItemSchema,
  type FeedQuerySchema,
  type FeedSummarySchema,
  type MarkReadBodySchema,
} from "../schemas/feed";

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
    target_thumbnail: item.targetThumbnail,
    is_seen: item.isSeen,
    seen_at: item.seenAt === null ? null : isoTime(item.seenAt),
    is_archived: item.isArchived,
    archived_at: item.archivedAt === null ? null : isoTime(item.archivedAt),
  };
}

export function feedTotalsWire(totals: FeedTotals) {
  return {
    total_items: totals.totalItems,
    unread_count: totals.unreadCount,
    read_count: totals.readCount,
    unseen_count: totals.unseenCount,
    activity_types: totals.perType,
  };
}

export function feedSummaryWire(summary: FeedSummary): z.output<typeof FeedSummarySchema> {
  return { ...feedTotalsWire(summary.totals), recent_activity: summary.recentActivity.map(feedItemWire) };
}

/** The pagination a listing query asks for; a forged cursor or a page below 1 is refused. */
export function paginationFrom(query: z.output<typeof FeedQuerySchema>): Pagination {
  const pageSize = query.page_size ?? DEFAULT_PAGE_SIZE;
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor);
    if (!cursor) throw new InvalidInputError("cursor", "Invalid cursor.");
    return { mode: "cursor", cursor, pageSize };
  }
  if (query.pagination === "cursor") return { mode: "cursor", pageSize };
  // An empty page parameter is page 1, as in Django REST framework.
  const rawPage = query.page?.trim() || "1";
  if (rawPage === "last") return { mode: "page", page: "last", pageSize };
  const page = /^\d{1,9}$/.test(rawPage) ? Number(rawPage) : 0;
  if (page < 1) throw new InvalidPageError();
  return { mode: "page", page, pageSize };
}

/** The listing's filters, from its query. */
export function feedFiltersFrom(query: z.output<typeof FeedQuerySchema>): FeedFilters {
  return {
    ...(query.activity_type ? { types: query.activity_type } : {}),
    ...(query.is_read !== undefined ? { isRead: query.is_read } : {}),
    ...(query.is_seen !== undefined ? { isSeen: query.is_seen } : {}),
    ...(query.archived !== undefined ? { archived: query.archived } : {}),
    ...(query.start_date !== undefined ? { startAt: query.start_date } : {}),
    ...(query.end_date !== undefined ? { endBefore: query.end_date } : {}),
  };
}

/** Which items a bulk action's body selects (its schema refused anything ambiguous). */
export function itemSelectionFrom(body: z.output<typeof MarkReadBodySchema>): ItemSelection {
  if (body.mark_all !== true) return { itemIds: body.activity_ids ?? [] };
  return {
    all: true,
    ...(body.activity_type ? { types: body.activity_type } : {}),
    ...(body.before !== undefined ? { createdAtOrBefore: body.before } : {}),
  };
}
