import { z } from "@hono/zod-openapi";
import { R2_KEY_BYTES } from "../platform/limits";
import { ActivityTypeSchema, integerParam, RetentionDaysSchema, withinBytes } from "./common";
import { FeedTotalsSchema } from "./feed";

/** Contracts of retention: cleanup, archive, restore, stats. */

export const CleanupOptionsSchema = z
  .object({
    dry_run: z
      .boolean()
      .default(false)
      .openapi({ description: "Report what would be deleted, per type and shard; delete nothing." }),
    activity_type: ActivityTypeSchema.optional().openapi({ description: "Clean up this type only." }),
    older_than_days: RetentionDaysSchema.optional().openapi({
      description: "Override every type's retention with this many days.",
    }),
    only_read: z
      .boolean()
      .default(false)
      .openapi({ description: "The original's behaviour: remove read items only; unread items stay however old." }),
    archive: z
      .boolean()
      .optional()
      .openapi({ description: "Write expired rows to R2 before deleting them. Default: ARCHIVE_ON_CLEANUP." }),
  })
  .strict()
  .openapi("CleanupOptions");

export type CleanupOptions = z.output<typeof CleanupOptionsSchema>;

export const ArchiveOptionsSchema = z
  .object({
    older_than_days: RetentionDaysSchema.default(365),
    only_read: z.boolean().default(false),
    dry_run: z.boolean().default(false),
  })
  .strict()
  .openapi("ArchiveOptions");

export type ArchiveOptions = z.output<typeof ArchiveOptionsSchema>;

export const RetentionRunSchema = z
  .object({
    status: z.enum(["dry_run", "queued"]),
    message: z.string().openapi({ example: "DRY RUN: Would delete 1200 items total" }),
    job_id: z.string().optional().openapi({
      description:
        "Follow it at GET /api/admin/jobs/{job_id}/: `affected` is the deleted count, `detail` the count per type (and `archived`).",
    }),
    total: z.number().int().optional(),
    per_type: z.record(z.string(), z.number().int()).optional(),
    per_shard: z.record(z.string(), z.number().int()).optional(),
  })
  .openapi("RetentionRun");

export const RestoreRequestSchema = z
  .object({
    key: withinBytes(z.string().min(1), R2_KEY_BYTES).openapi({
      description: `An archive object's key (R2 keys are at most ${R2_KEY_BYTES} bytes).`,
      example: "archives/retention-m1a2b3-1f2e3d4c/shard-0/000000_2024-01-01_2024-01-09.ndjson.gz",
    }),
  })
  .strict()
  .openapi("RestoreRequest");

export const RestoreResponseSchema = z
  .object({
    key: z.string(),
    shard: z.number().int(),
    rows: z.number().int(),
    restored: z.number().int(),
    skipped: z.number().int(),
    cache_refresh_queued: z
      .number()
      .int()
      .openapi({ description: "Owners whose cached unread count the queue refreshes shortly (big archives)" }),
  })
  .openapi("RestoreResponse");

const ArchiveEntrySchema = z.object({
  key: z.string(),
  shard: z.number().int(),
  run_id: z.string(),
  step: z.number().int(),
  rows: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
  first_created_at: z.string(),
  last_created_at: z.string(),
  archived_at: z.string(),
});

export const ArchiveListQuerySchema = z.object({
  run_id: withinBytes(z.string().min(1), 200).optional(),
  cursor: withinBytes(z.string(), R2_KEY_BYTES).optional(),
});

export const ArchiveListSchema = z
  .object({
    count: z.number().int(),
    total_rows: z.number().int(),
    next_cursor: z.string().nullable(),
    results: z.array(ArchiveEntrySchema),
  })
  .openapi("ArchiveList");

const TableFiguresSchema = z.object({
  items: z.number().int(),
  unread_items: z.number().int(),
  read_items: z.number().int(),
  unseen_items: z.number().int(),
  archived_items: z.number().int(),
  items_per_type: z.record(z.string(), z.number().int()).openapi({ example: { fast_join: 120, milestone: 8 } }),
  oldest_item: z.string().nullable().openapi({ format: "date-time" }),
  events: z.number().int().openapi({ description: "Stored events (they regenerate items)" }),
  users: z.number().int().openapi({ description: "Users with at least one item" }),
  database_bytes: z.number().int().nullable().openapi({ description: "D1's own size figure (null if not reported)" }),
});

export const DeploymentStatsSchema = z
  .object({
    total: TableFiguresSchema.extend({
      bytes_per_item: z.number().int().nullable().openapi({ description: "database_bytes / items" }),
    }),
    shards: z.array(TableFiguresSchema.extend({ shard: z.number().int() })),
  })
  .openapi("DeploymentStats");

export const UserFeedStatsSchema = FeedTotalsSchema.extend({
  user_id: z.number().int(),
  shard: z.number().int(),
  archived_count: z.number().int().openapi({ description: "Archived items, apart from the totals" }),
}).openapi("UserFeedStats");

export const StatsSchema = z.union([DeploymentStatsSchema, UserFeedStatsSchema]).openapi("Stats", {
  description: "Without user_id: table growth per shard and in total. With user_id: that user's feed stats.",
});

export const StatsQuerySchema = z.object({
  user_id: integerParam({ min: 1, max: Number.MAX_SAFE_INTEGER }).optional(),
});
