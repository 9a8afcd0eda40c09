import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ingestEvents } from "../feed/ingest";
import { countReminderTargets, planReminder, SYNC_FANOUT_MAX_USERS } from "../feed/reminders";
import type { AppEnv } from "../http/app-env";
import { bearerAuth, jsonBody, jsonResponse, staffBodyCall } from "../http/route-parts";
import { enqueueJob } from "../jobs/launch";
import { runJobInline } from "../jobs/runner";
import { isoTime } from "../platform/time";
import { enqueueEvents } from "../queue/producer";
import { bodyErrorResponses, staffErrorResponses } from "../schemas/common";
import { IngestRequestSchema, IngestResponseSchema } from "../schemas/events";
import { ReminderRequestSchema, ReminderResponseSchema } from "../schemas/reminders";
import { toPublicId } from "../shards/ids";

const QueuedSchema = z.object({ status: z.literal("queued"), queued_count: z.number().int() }).openapi("Queued", {
  description: "Asynchronous mode: the events were validated and queued; the consumer creates the items.",
});

const ingestRoute = createRoute({
  method: "post",
  path: "/api/internal/events",
  tags: ["Internal"],
  summary: "Create feed items from events (staff)",
  description:
    'One event, or `{"events": [...]}` with up to 500. All-or-nothing validation: one invalid event rejects the request and nothing is written. ' +
    "The same `event_id` for the same user never creates a second item. With USE_ASYNC_ACTIVITY_FEED the events are queued and the answer is 202.",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(IngestRequestSchema),
  responses: {
    201: jsonResponse("Items created (duplicates create nothing)", IngestResponseSchema),
    202: jsonResponse("Queued (asynchronous mode)", QueuedSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
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
  },
});

export function registerInternalRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(ingestRoute, async (c) => {
    const events = c.req.valid("json");
    const now = Date.now();
    if (c.var.config.asyncIngestion) {
      // The raw events (not the parsed ones) travel, so the consumer validates
      // exactly what a producer writing to the queue directly would send.
      const raw = (await c.req.json()) as Record<string, unknown>;
      const rawEvents = "events" in raw ? (raw.events as Record<string, unknown>[]) : [raw];
      return c.json({ status: "queued" as const, queued_count: await enqueueEvents(c.env, rawEvents, now) }, 202);
    }
    const outcome = await ingestEvents(c.env, c.var.config, events, now);
    return c.json(
      {
        created_count: outcome.created.length,
        duplicate_count: outcome.duplicates,
        results: outcome.created.map(({ shardIndex, row }) => ({
          id: toPublicId(shardIndex, row.id),
          user_id: row.userId,
          activity_type: row.activityType,
          title: row.title,
          created_at: isoTime(row.createdAt),
        })),
      },
      201,
    );
  });

  app.openapi(reminderRoute, async (c) => {
    const request = c.req.valid("json");
    const now = Date.now();
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
  });
}
