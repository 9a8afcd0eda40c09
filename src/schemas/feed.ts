import { z } from "@hono/zod-openapi";
import { ACTIVITY_TYPE_NAMES } from "../feed/activity-types";
import {
  ActivityTypeListParam,
  ActivityTypeSchema,
  BooleanParam,
  integerParam,
  isoBoundParam,
  PositiveIdSchema,
  parseIsoInstant,
} from "./common";

/** Contracts of the user-facing feed endpoints (the original clients' API). */

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_ACTION_IDS = 1000;

export const FeedQuerySchema = z
  .object({
    activity_type: ActivityTypeListParam.optional(),
    is_read: BooleanParam.optional(),
    is_seen: BooleanParam.optional(),
    archived: z
      .enum(["exclude", "include", "only"], { error: 'Select a valid choice: "exclude", "include" or "only".' })
      .optional()
      .openapi({
        description:
          "Archived items: left out (`exclude`, the default: they left the inbox), `include`d, or `only` them.",
      }),
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
    is_seen: z
      .boolean()
      .openapi({ description: "The item was in the inbox when the user opened it (reading implies it)." }),
    seen_at: z.string().nullable().openapi({ format: "date-time" }),
    is_archived: z.boolean().openapi({ description: "Dismissed from the inbox; listed with `archived=include|only`." }),
    archived_at: z.string().nullable().openapi({ format: "date-time" }),
    created_at: z.string().openapi({ format: "date-time", example: "2024-01-15T10:30:00.000Z" }),
    age_display: z.string().openapi({ example: "2h ago" }),
    data: z.record(z.string(), z.unknown()).openapi({ example: { fast_id: 123, fast_name: "Great Lent Fast" } }),
    target_type: z.string().nullable().openapi({ example: "hub.fast" }),
    target_id: z.number().int().nullable().openapi({ example: 123 }),
    target_thumbnail: z
      .string()
      .nullable()
      .openapi({ format: "uri", description: "A URL of the target's image, or null when it has none." }),
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
  unseen_count: z
    .number()
    .int()
    .openapi({ description: "Inbox items not seen yet (the badge, for apps that show unseen)." }),
  activity_types: z.record(z.string(), z.number().int()).openapi({ example: { fast_join: 5, fast_reminder: 3 } }),
});

export const FeedSummarySchema = FeedTotalsSchema.extend({ recent_activity: z.array(FeedItemSchema) }).openapi(
  "FeedSummary",
);

export const UnreadCountSchema = z
  .object({ unread_count: z.number().int(), unseen_count: z.number().int() })
  .openapi("UnreadCount", { example: { unread_count: 8, unseen_count: 3 } });

const ActivityIdsSchema = z.array(PositiveIdSchema).min(1).max(MAX_ACTION_IDS);

/** `activity_type` of a bounded mark_all: one type or a list of them. */
const ActivityTypesSchema = z
  .union([ActivityTypeSchema.transform((type) => [type]), z.array(ActivityTypeSchema).min(1)])
  .openapi({ description: "One activity type or a list of them.", example: ["fast_reminder", "devotional_reminder"] });

const BeforeSchema = z
  .string()
  .transform((value, ctx) => {
    const instant = parseIsoInstant(value, "body");
    if (instant) return instant.epochMs;
    ctx.addIssue({
      code: "custom",
      message: "Enter a valid ISO 8601 datetime with a UTC offset, e.g. 2024-01-15T10:30:00Z.",
    });
    return z.NEVER;
  })
  .openapi({
    type: "string",
    format: "date-time",
    description: "Only items created at or before it: send the time the client loaded its inbox.",
    example: "2026-11-20T08:00:00Z",
  });

/**
 * A bulk action's body: some items by id, or every inbox item (`mark_all`),
 * optionally bounded by type and by `before`. Unknown fields are ignored, as
 * the original API did: existing clients may send more.
 */
function bulkActionBody(name: string) {
  return z
    .object({
      activity_ids: ActivityIdsSchema.optional(),
      mark_all: z.boolean().optional(),
      activity_type: ActivityTypesSchema.optional(),
      before: BeforeSchema.optional(),
    })
    .superRefine((body, ctx) => {
      if (body.mark_all === true && body.activity_ids !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [],
          message: 'Send "activity_ids" or "mark_all": true, not both.',
        });
      } else if (body.mark_all !== true && body.activity_ids === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [],
          message: `Provide "activity_ids" (a list of 1 to ${MAX_ACTION_IDS} ids) or "mark_all": true.`,
        });
      }
      for (const bound of ["activity_type", "before"] as const) {
        if (body[bound] !== undefined && body.mark_all !== true) {
          ctx.addIssue({ code: "custom", path: [bound], message: 'Only allowed with "mark_all": true.' });
        }
      }
    })
    .openapi(name, { example: { mark_all: true, before: "2026-11-20T08:00:00Z" } });
}

export const MarkReadBodySchema = bulkActionBody("MarkReadRequest");
export const MarkSeenBodySchema = bulkActionBody("MarkSeenRequest");
export const ArchiveBodySchema = bulkActionBody("ArchiveRequest");

/** Actions that only take ids: undoing one is always about particular items. */
export const ItemIdsBodySchema = z
  .object({ activity_ids: ActivityIdsSchema })
  .openapi("ItemIdsRequest", { example: { activity_ids: [1025, 2049] } });

export const ItemActionResponseSchema = z
  .object({
    message: z.string(),
    updated_count: z.number().int().openapi({ description: "Items whose state changed (others are not counted)." }),
  })
  .openapi("ItemActionResponse", { example: { message: "Marked 2 items as read", updated_count: 2 } });

export const PreferencesSchema = z
  .object({
    muted_types: z
      .array(ActivityTypeSchema)
      .max(ACTIVITY_TYPE_NAMES.length)
      .refine((types) => new Set(types).size === types.length, { message: "Each type may appear once." })
      .openapi({ description: "Activity types the user does not receive: new items of these types are not created." }),
  })
  .strict()
  .openapi("Preferences", { example: { muted_types: ["fast_reminder"] } });

export { ActivityTypeSchema };
