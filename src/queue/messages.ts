import { z } from "@hono/zod-openapi";
import { DaysBackSchema, PositiveIdSchema } from "../schemas/common";
import { EventSchema, MAX_EVENTS_PER_REQUEST } from "../schemas/events";
import { ReminderRequestSchema } from "../schemas/reminders";
import { CleanupOptionsSchema } from "../schemas/retention";

/**
 * The queue's message contract, version 1. Other Workers may send the producer
 * kinds straight to the queue (see README "Queue messages"); `job_step` (one
 * chunk of a job that runs as a chain of messages per shard) and
 * `refresh_unread` are internal.
 * Every message is validated on receipt; one that does not parse goes to the
 * dead-letter queue at once instead of being retried.
 */

export const MESSAGE_VERSION = 1;
/**
 * Events per batch_create message: a whole request, so that a request whose
 * events fit one message (MESSAGE_BODY_MAX_BYTES) is queued all at once.
 */
export const MAX_EVENTS_PER_MESSAGE = MAX_EVENTS_PER_REQUEST;

const version = z.literal(MESSAGE_VERSION);

export const CreateItemMessageSchema = z
  .object({ v: version, kind: z.literal("create_item"), event: EventSchema })
  .strict();

export const BatchCreateMessageSchema = z
  .object({
    v: version,
    kind: z.literal("batch_create"),
    events: z.array(EventSchema).min(1).max(MAX_EVENTS_PER_MESSAGE),
  })
  .strict();

const requestedAt = z.iso.datetime({ offset: true }).optional();

export const FastReminderMessageSchema = ReminderRequestSchema.options[0]
  .extend({ v: version, requested_at: requestedAt })
  .strict();
export const DevotionalReminderMessageSchema = ReminderRequestSchema.options[1]
  .extend({ v: version, requested_at: requestedAt })
  .strict();

export const PopulateUserMessageSchema = z
  .object({
    v: version,
    kind: z.literal("populate_user"),
    user_id: PositiveIdSchema,
    days_back: DaysBackSchema,
  })
  .strict();

export const PopulateAllMessageSchema = z
  .object({ v: version, kind: z.literal("populate_all"), days_back: DaysBackSchema })
  .strict();

// dry_run has no meaning on the queue: nobody reads the answer.
export const CleanupMessageSchema = CleanupOptionsSchema.omit({ dry_run: true })
  .extend({ v: version, kind: z.literal("cleanup") })
  .strict();

/** Where a job's chunk runs: which job, on which shard, which step of its chain. */
export const JobStepSchema = z.object({
  v: version,
  kind: z.literal("job_step"),
  job_id: z.string().min(1).max(100),
  // One of the registry's kinds (src/jobs/registry.ts), checked by the consumer:
  // the contract stays free of the domain modules the registry imports.
  job_kind: z.string().min(1).max(50),
  shard: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
});

/** Users per refresh_unread message: their lookups and writes stay within JOB_STEP_KV_BUDGET. */
export const CACHE_REFRESH_MESSAGE_USERS = 145;

/** Users whose cached unread count must be brought in line with D1 (internal: after a big restore). */
export const RefreshUnreadSchema = z
  .object({
    v: version,
    kind: z.literal("refresh_unread"),
    user_ids: z.array(PositiveIdSchema).min(1).max(CACHE_REFRESH_MESSAGE_USERS),
  })
  .strict();

/**
 * Live notifications a write had no room to send in its own invocation
 * (internal: src/live/publish.ts). Their shape is the publisher's; it is not
 * repeated here, so that this contract stays free of domain modules.
 */
export const LivePublishSchema = z
  .object({
    v: version,
    kind: z.literal("live_publish"),
    publications: z.array(z.record(z.string(), z.unknown())).min(1).max(100),
  })
  .strict();

export const FeedMessageSchema = z.discriminatedUnion("kind", [
  CreateItemMessageSchema,
  BatchCreateMessageSchema,
  FastReminderMessageSchema,
  DevotionalReminderMessageSchema,
  PopulateUserMessageSchema,
  PopulateAllMessageSchema,
  CleanupMessageSchema,
  JobStepSchema,
  RefreshUnreadSchema,
  LivePublishSchema,
]);

/** What producers send (wire form: ISO strings, snake_case). */
export type FeedMessage = z.input<typeof FeedMessageSchema>;
/** What the consumer works with after validation. */
export type ParsedFeedMessage = z.output<typeof FeedMessageSchema>;
export type JobStepMessage = z.output<typeof JobStepSchema>;
