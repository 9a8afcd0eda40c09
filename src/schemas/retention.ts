import { z } from "@hono/zod-openapi";
import { ActivityTypeSchema } from "./common";

/** Options of a retention cleanup run (the original's cleanup_activity_feeds). */
export const CleanupOptionsSchema = z
  .object({
    dry_run: z.boolean().default(false).openapi({ description: "Report what would be deleted, per type and shard; delete nothing." }),
    activity_type: ActivityTypeSchema.optional().openapi({ description: "Clean up this type only." }),
    older_than_days: z.number().int().min(1).max(36_500).optional().openapi({ description: "Override every type's retention with this many days." }),
    only_read: z.boolean().default(false).openapi({ description: "The original's behaviour: remove read items only; unread items stay however old." }),
  })
  .strict()
  .openapi("CleanupOptions");

export type CleanupOptions = z.output<typeof CleanupOptionsSchema>;
