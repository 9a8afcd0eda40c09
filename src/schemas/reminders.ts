import { z } from "@hono/zod-openapi";
import { REMINDER_DATA_BYTES, REMINDER_NAME_BYTES } from "../platform/limits";
import { jsonObjectWithinBytes, PositiveIdSchema, ThumbnailUrlSchema, withinBytes } from "./common";

/** Reminder fan-out requests: one item for every current participant of a fast. */

const ReminderData = jsonObjectWithinBytes(REMINDER_DATA_BYTES).optional();
const ReminderName = withinBytes(z.string().trim().min(1), REMINDER_NAME_BYTES);

export const FastReminderRequestSchema = z
  .object({
    kind: z.literal("fast_reminder"),
    fast_id: PositiveIdSchema.openapi({ example: 12 }),
    fast_name: ReminderName.optional().openapi({
      description: "Defaults to the name seen in participants' join events.",
    }),
    reminder_type: withinBytes(z.string().trim().min(1), 50).default("fast_reminder"),
    target_thumbnail: ThumbnailUrlSchema.nullish(),
    data: ReminderData,
  })
  .strict()
  .openapi("FastReminderRequest");

export const DevotionalReminderRequestSchema = z
  .object({
    kind: z.literal("devotional_reminder"),
    devotional_id: PositiveIdSchema.openapi({ example: 7 }),
    fast_id: PositiveIdSchema.openapi({ example: 12 }),
    fast_name: ReminderName.optional(),
    video_title: ReminderName.optional(),
    target_thumbnail: ThumbnailUrlSchema.nullish(),
    data: ReminderData,
  })
  .strict()
  .openapi("DevotionalReminderRequest");

export const ReminderRequestSchema = z
  .discriminatedUnion("kind", [FastReminderRequestSchema, DevotionalReminderRequestSchema])
  .openapi("ReminderRequest");

export type ReminderRequest = z.output<typeof ReminderRequestSchema>;

export const ReminderResponseSchema = z
  .object({
    kind: z.enum(["fast_reminder", "devotional_reminder"]),
    fast_id: z.number().int(),
    targeted_users: z
      .number()
      .int()
      .openapi({ description: "Current participants of the fast when the request arrived." }),
    status: z.enum(["completed", "queued"]),
    created_count: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Items created (completed only); participants already reminded today get none." }),
    muted_count: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Participants who mute this reminder's type and got no item (completed only)." }),
    job_id: z.string().optional().openapi({ description: "Follow a queued fan-out at GET /api/admin/jobs/{job_id}/." }),
  })
  .openapi("ReminderResponse");
