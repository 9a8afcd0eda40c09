import { z } from "@hono/zod-openapi";
import {
  EVENT_DATA_BYTES,
  EVENT_DESCRIPTION_BYTES,
  EVENT_ID_BYTES,
  EVENT_TITLE_BYTES,
  TARGET_TYPE_BYTES,
} from "../platform/limits";
import {
  ActivityTypeSchema,
  jsonObjectWithinBytes,
  PositiveIdSchema,
  parseIsoInstant,
  ThumbnailUrlSchema,
  withinBytes,
} from "./common";

/**
 * An event from another service: what happened to which user. The same schema
 * validates the internal HTTP endpoint and queue messages.
 */

export const MAX_EVENTS_PER_REQUEST = 500;
/** Producers' clocks drift; an event further ahead than this is a bug upstream. */
const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
const EARLIEST_MS = Date.UTC(2000, 0, 1);

const Timestamp = z
  .string()
  .transform((value, ctx) => {
    const instant = parseIsoInstant(value, "body");
    if (!instant) {
      ctx.addIssue({
        code: "custom",
        message: "Enter a valid ISO 8601 datetime with a UTC offset, e.g. 2024-01-15T10:30:00Z.",
      });
      return z.NEVER;
    }
    return instant.epochMs;
  })
  .refine((epochMs) => epochMs <= Date.now() + MAX_FUTURE_MS, {
    message: "occurred_at is more than a day in the future.",
  })
  .refine((epochMs) => epochMs >= EARLIEST_MS, { message: "occurred_at is before 2000-01-01." })
  .openapi({ type: "string", format: "date-time", example: "2024-01-15T10:30:00Z" });

const EventData = jsonObjectWithinBytes(EVENT_DATA_BYTES).openapi({
  description: `A JSON object of at most ${EVENT_DATA_BYTES} bytes as JSON (UTF-8).`,
  example: { fast_id: 123, fast_name: "Great Lent Fast" },
});

export const EventSchema = z
  .object({
    user_id: PositiveIdSchema.openapi({ example: 42 }),
    activity_type: ActivityTypeSchema,
    target_type: withinBytes(z.string().min(1), TARGET_TYPE_BYTES).nullish().openapi({ example: "hub.fast" }),
    target_thumbnail: ThumbnailUrlSchema.nullish(),
    target_id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullish().openapi({ example: 123 }),
    data: EventData.optional(),
    occurred_at: Timestamp.optional(),
    event_id: z
      .union([
        withinBytes(z.string().trim().min(1), EVENT_ID_BYTES),
        z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      ])
      .transform(String)
      .optional()
      .openapi({
        description: `The producer's idempotency key (at most ${EVENT_ID_BYTES} bytes): the same event_id for the same user makes one item.`,
        example: "evt_01HM3",
      }),
    title: withinBytes(z.string().trim().min(1), EVENT_TITLE_BYTES)
      .optional()
      .openapi({ description: `Overrides the title built for the type (at most ${EVENT_TITLE_BYTES} bytes).` }),
    description: withinBytes(z.string(), EVENT_DESCRIPTION_BYTES)
      .optional()
      .openapi({ description: `At most ${EVENT_DESCRIPTION_BYTES} bytes.` }),
  })
  .strict()
  .openapi("Event");

export type EventInput = z.output<typeof EventSchema>;

export const EventBatchSchema = z
  .object({
    events: z
      .array(EventSchema)
      .min(1, "Send at least one event.")
      .max(MAX_EVENTS_PER_REQUEST, `Send at most ${MAX_EVENTS_PER_REQUEST} events per request.`),
  })
  .strict()
  .openapi("EventBatch");

/**
 * One event, or `{"events": [...]}`. Which of the two is meant is decided by
 * the `events` key, so errors name the fields of the shape the caller sent
 * (a plain union would report whichever alternative failed least).
 */
export const IngestRequestSchema = z
  .record(z.string(), z.unknown(), { error: 'Expected a JSON object: one event, or {"events": [...]}.' })
  .transform((body, ctx): EventInput[] => {
    const batch = "events" in body;
    const result = (batch ? EventBatchSchema : EventSchema).safeParse(body);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    }
    return "events" in result.data ? result.data.events : [result.data];
  })
  .openapi("IngestRequest", {
    description: 'One event, or `{"events": [...]}` with up to 500 events.',
    oneOf: [{ $ref: "#/components/schemas/Event" }, { $ref: "#/components/schemas/EventBatch" }],
  });

export const IngestResponseSchema = z
  .object({
    created_count: z.number().int(),
    muted_count: z.number().int().openapi({
      description: "Events whose item was not created because its user mutes the type (the event is stored).",
    }),
    duplicate_count: z
      .number()
      .int()
      .openapi({ description: "Events already seen (same event_id) that created nothing." }),
    results: z.array(
      z.object({
        id: z.number().int(),
        user_id: z.number().int(),
        activity_type: z.string(),
        title: z.string(),
        created_at: z.string(),
      }),
    ),
  })
  .openapi("IngestResponse");

export const IngestIncompleteSchema = z
  .object({
    detail: z.string(),
    stored_count: z.number().int().optional().openapi({ description: "Synchronous mode: events stored." }),
    not_stored: z
      .array(z.number().int())
      .optional()
      .openapi({ description: "Positions (from 0) of the events that were not stored." }),
    created_count: z.number().int().optional(),
    duplicate_count: z.number().int().optional(),
    results: IngestResponseSchema.shape.results.optional(),
    queued_count: z.number().int().optional().openapi({ description: "Asynchronous mode: events queued." }),
    not_queued: z
      .array(z.number().int())
      .optional()
      .openapi({ description: "Positions (from 0) of the events that were not queued." }),
  })
  .openapi("IngestIncomplete", {
    description:
      "Part of the request was written and part was not (a shard or the queue unavailable). Retrying with the same Idempotency-Key, or with event_ids on every event, completes it without duplicates; otherwise resend only the positions listed.",
  });

export const IngestQueuedSchema = z
  .object({ status: z.literal("queued"), queued_count: z.number().int() })
  .openapi("Queued", {
    description: "Asynchronous mode: the events were validated and queued; the consumer creates the items.",
  });
