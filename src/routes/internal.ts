import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type CreatedItem, ingestEvents } from "../feed/ingest";
import { countReminderTargets, planReminder, SYNC_FANOUT_MAX_USERS } from "../feed/reminders";
import type { AppEnv } from "../http/app-env";
import { detail } from "../http/error-responses";
import { bearerAuth, jsonBody, jsonResponse, staffBodyCall } from "../http/route-parts";
import { enqueueJob } from "../jobs/launch";
import { runJobInline } from "../jobs/runner";
import { log } from "../platform/log";
import { isoTime } from "../platform/time";
import { enqueueEvents } from "../queue/producer";
import { bodyErrorResponses, ErrorDetailSchema, staffErrorResponses } from "../schemas/common";
import { IngestIncompleteSchema, IngestRequestSchema, IngestResponseSchema } from "../schemas/events";
import { ReminderRequestSchema, ReminderResponseSchema } from "../schemas/reminders";
import { toPublicId } from "../shards/ids";

const QueuedSchema = z.object({ status: z.literal("queued"), queued_count: z.number().int() }).openapi("Queued", {
  description: "Asynchronous mode: the events were validated and queued; the consumer creates the items.",
});

/** Seconds a producer should wait before retrying a request that answered 503. */
const RETRY_AFTER_SECONDS = "10";

const ingestRoute = createRoute({
  method: "post",
  path: "/api/internal/events",
  tags: ["Internal"],
  summary: "Create feed items from events (staff)",
  description:
    'One event, or `{"events": [...]}` with up to 500. All-or-nothing validation: one invalid event rejects the request and nothing is written. ' +
    "The same `event_id` for the same user never creates a second item. " +
    "With USE_ASYNC_ACTIVITY_FEED the events are queued and the answer is 202. " +
    "When only part of the request could be written, the answer is 503 (with Retry-After) and says which events were not.",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(IngestRequestSchema),
  responses: {
    201: jsonResponse("Items created (duplicates create nothing)", IngestResponseSchema),
    202: jsonResponse("Queued (asynchronous mode)", QueuedSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
    503: jsonResponse("Part of the request or none of it was written; retry (see the body)", IngestIncompleteSchema),
  },
});

const reminderRoute = createRoute({
  method: "post",
  path: "/api/internal/reminders",
  tags: ["Internal"],
  summary: "Send a fast or devotional reminder to every current participant (staff)",
  description:
    `Small fan-outs (up to ${SYNC_FANOUT_MAX_USERS} participants) finish inside the request in synchronous mode (201); larger ones, ` +
    "or any in asynchronous mode, run as queue work per shard and chunk (202, with a job id). The same reminder for the same fast on the same UTC day reaches each participant once.",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(ReminderRequestSchema),
  responses: {
    201: jsonResponse("Fan-out completed", ReminderResponseSchema),
    202: jsonResponse("Fan-out queued", ReminderResponseSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
    503: jsonResponse("Some participants may not have been reached; retry", ErrorDetailSchema),
  },
});

type IngestResult = { id: number; user_id: number; activity_type: string; title: string; created_at: string };

const resultOf = ({ shardIndex, row }: CreatedItem): IngestResult => ({
  id: toPublicId(shardIndex, row.id),
  user_id: row.userId,
  activity_type: row.activityType,
  title: row.title,
  created_at: isoTime(row.createdAt),
});

/** What a 503 tells the producer to retry. */
function retryAdvice(everyEventNamed: boolean, pendingField: string): string {
  if (everyEventNamed) return "Retry the same request: every event has an event_id, so none is created twice.";
  return `Resend only the events listed in ${pendingField} (positions from 0): without an event_id, an event sent again is created again.`;
}

export function registerInternalRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(ingestRoute, async (c) => {
    const events = c.req.valid("json");
    const now = Date.now();
    const naming = { requestedAt: now };
    const advice = (field: string) =>
      retryAdvice(
        events.every((event) => event.event_id !== undefined),
        field,
      );

    if (c.var.config.asyncIngestion) {
      // The raw events (not the parsed ones) travel, so the consumer validates
      // exactly what a producer writing to the queue directly would send.
      const raw = (await c.req.json()) as Record<string, unknown>;
      const rawEvents = "events" in raw ? (raw.events as Record<string, unknown>[]) : [raw];
      const { queued, notQueued } = await enqueueEvents(c.env, rawEvents, naming);
      if (notQueued.length === 0) {
        return c.json({ status: "queued" as const, queued_count: queued.length }, 202);
      }
      return c.json(
        {
          detail: `Only ${queued.length} of ${events.length} events were queued: the queue refused the rest. ${advice("not_queued")}`,
          queued_count: queued.length,
          not_queued: notQueued,
        },
        503,
        { "Retry-After": RETRY_AFTER_SECONDS },
      );
    }

    const outcome = await ingestEvents(c.env, c.var.config, events, naming, now);
    const results = outcome.created.map(resultOf);
    const stored = events.length - outcome.notStored.length;
    const counts = { created_count: results.length, duplicate_count: stored - results.length, results };
    if (outcome.notStored.length === 0) return c.json(counts, 201);
    return c.json(
      {
        detail: `Only ${stored} of ${events.length} events were stored: the database of the others' users is unavailable. ${advice("not_stored")}`,
        stored_count: stored,
        not_stored: outcome.notStored,
        ...counts,
      },
      503,
      { "Retry-After": RETRY_AFTER_SECONDS },
    );
  });

  app.openapi(reminderRoute, async (c) => {
    const request = c.req.valid("json");
    const now = Date.now();
    try {
      const [targeted, plan] = await Promise.all([
        countReminderTargets(c.env, request.fast_id),
        planReminder(c.env, request, now),
      ]);
      const summary = { kind: request.kind, fast_id: request.fast_id, targeted_users: targeted };
      if (c.var.config.asyncIngestion || targeted > SYNC_FANOUT_MAX_USERS) {
        const job = await enqueueJob(c.env, "reminder", plan, now);
        return c.json({ ...summary, status: "queued" as const, job_id: job.jobId }, 202);
      }
      const job = await runJobInline(c.env, c.var.config, "reminder", plan, now);
      return c.json({ ...summary, status: "completed" as const, created_count: job.affected, job_id: job.jobId }, 201);
    } catch (error) {
      // Reminders are deduplicated per participant and day, so the retry only reaches whoever this missed.
      log.error("reminder fan-out failed part way", { fast_id: request.fast_id, error });
      return detail(
        c,
        503,
        "The reminder may have reached only some participants: a database or the queue is unavailable. " +
          "Retry the same request: nobody is reminded twice on the same UTC day.",
        { "Retry-After": RETRY_AFTER_SECONDS },
      ) as never;
    }
  });
}
