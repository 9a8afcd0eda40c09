import { z } from "@hono/zod-openapi";
import {
  ActivityTypeListParam,
  ActivityTypeSchema,
  BooleanParam,
  integerParam,
  isoBoundParam,
  PositiveIdSchema,
} from "./common";

/** Contracts of the user-facing feed endpoints (the original clients' API). */

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_MARK_READ_IDS = 1000;

export const FeedQuerySchema = z
  .object({
    activity_type: ActivityTypeListParam.optional(),
    is_read: BooleanParam.optional(),
    start_date: isoBoundParam("start").optional(),
    end_date: isoBoundParam("end").optional(),
    page: z.string().optional().openapi({
      description: "1-based page number, or `last`. A page that does not exist is 404 `Invalid page.`",
      example: "1",
    }),
    page_size: integerParam({ min: 1, max: MAX_PAGE_SIZE })
      .optional()
      .openapi({ type: "integer", default: DEFAULT_PAGE_SIZE, minimum: 1, maximum: MAX_PAGE_SIZE }),
    cursor: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "Opaque cursor from a previous `next`/`previous` link." }),
    pagination: z
      .enum(["page", "cursor"])
      .optional()
      .openapi({ description: "`cursor` starts cursor pagination without a cursor." }),
  })
  .superRefine((query, ctx) => {
    // start_date is inclusive, end_date's bound exclusive: equal means empty.
    if (query.start_date !== undefined && query.end_date !== undefined && query.start_date >= query.end_date) {
      ctx.addIssue({ code: "custom", path: ["end_date"], message: "end_date must be after start_date." });
    }
  });

export const FeedItemSchema = z
  .object({
    id: z.number().int(),
    activity_type: z.string().openapi({ example: "fast_join" }),
    activity_type_display: z.string().openapi({ example: "Joined Fast" }),
    title: z.string().openapi({ example: "Joined Great Lent Fast" }),
    description: z.string(),
    is_read: z.boolean(),
    read_at: z.string().nullable().openapi({ format: "date-time" }),
    created_at: z.string().openapi({ format: "date-time", example: "2024-01-15T10:30:00.000Z" }),
    age_display: z.string().openapi({ example: "2h ago" }),
    data: z.record(z.string(), z.unknown()).openapi({ example: { fast_id: 123, fast_name: "Great Lent Fast" } }),
    target_type: z.string().nullable().openapi({ example: "hub.fast" }),
    target_id: z.number().int().nullable().openapi({ example: 123 }),
  })
  .openapi("FeedItem");

export const FeedPageSchema = z
  .object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(FeedItemSchema),
  })
  .openapi("FeedPage");

/** A user's totals, from their counters: the summary's and the user stats' common part. */
export const FeedTotalsSchema = z.object({
  total_items: z.number().int(),
  unread_count: z.number().int(),
  read_count: z.number().int(),
  activity_types: z.record(z.string(), z.number().int()).openapi({ example: { fast_join: 5, fast_reminder: 3 } }),
});

export const FeedSummarySchema = FeedTotalsSchema.extend({ recent_activity: z.array(FeedItemSchema) }).openapi(
  "FeedSummary",
);

export const UnreadCountSchema = z.object({ unread_count: z.number().int() }).openapi("UnreadCount");

export const MarkReadBodySchema = z
  .object({
    activity_ids: z.array(PositiveIdSchema).min(1).max(MAX_MARK_READ_IDS).optional(),
    mark_all: z.boolean().optional(),
  })
  // Unknown fields are ignored, as the original API did: existing clients may send more.
  .superRefine((body, ctx) => {
    if (body.mark_all !== true && body.activity_ids === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: 'Provide "activity_ids" (a list of 1 to 1000 ids) or "mark_all": true.',
      });
    }
    // Marking everything would silently drop the ids the caller meant.
    if (body.mark_all === true && body.activity_ids !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: 'Send "activity_ids" or "mark_all": true, not both.',
      });
    }
  })
  .openapi("MarkReadRequest", { example: { activity_ids: [1025, 2049] } });

export const MarkReadResponseSchema = z
  .object({ message: z.string(), updated_count: z.number().int() })
  .openapi("MarkReadResponse", { example: { message: "Marked 2 items as read", updated_count: 2 } });

export { ActivityTypeSchema };
