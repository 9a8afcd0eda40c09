import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type CreatedItem, ingestEvents } from "../feed/ingest";
import { countReminderTargets, planReminder, SYNC_FANOUT_MAX_USERS } from "../feed/reminders";
import {
  claimRequestKey,
  eventIdAt,
  type OpenRequest,
  type RequestKeyScope,
  rememberAnswer,
  rememberPartial,
} from "../feed/request-keys";
import type { AppEnv } from "../http/app-env";
import { detail } from "../http/error-responses";
import { bearerAuth, jsonBody, jsonResponse, staffBodyCall } from "../http/route-parts";
import { enqueueJob } from "../jobs/launch";
import { runJobInline } from "../jobs/runner";
import { log } from "../platform/log";
import { isoTime } from "../platform/time";
import { enqueueEvents } from "../queue/producer";
import {
  bodyErrorResponses,
  ErrorDetailSchema,
  IdempotencyKeyHeadersSchema,
  keyedRequestResponses,
  staffErrorResponses,
} from "../schemas/common";
import {
  IngestIncompleteSchema,
  IngestQueuedSchema,
  IngestRequestSchema,
  IngestResponseSchema,
} from "../schemas/events";
import { ReminderRequestSchema, ReminderResponseSchema } from "../schemas/reminders";
import { publicIdOf } from "../shards/ids";

/** Seconds a producer should wait before retrying a request that answered 503. */
const RETRY_AFTER_SECONDS = "10";

const ingestRoute = createRoute({
  method: "post",
  path: "/api/internal/events",
  tags: ["Internal"],
  summary: "Create feed items from events (staff)",
  description:
    'One event, or `{"events": [...]}` with up to 500. All-or-nothing validation: one invalid event rejects the request and nothing is written. ' +
    "The same `event_id` for the same user never creates a second item; with an `Idempotency-Key`, neither does a retried request whose events have none. " +
    "With USE_ASYNC_ACTIVITY_FEED the events are queued and the answer is 202. " +
    "When only part of the request could be written, the answer is 503 (with Retry-After) and says which events were not.",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: { headers: IdempotencyKeyHeadersSchema, ...jsonBody(IngestRequestSchema) },
  responses: {
    201: jsonResponse("Items created (duplicates create nothing)", IngestResponseSchema),
    202: jsonResponse("Queued (asynchronous mode)", IngestQueuedSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
    ...keyedRequestResponses,
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
    "or any in asynchronous mode, run as queue work per shard and chunk (202, with a job id). The same reminder for the same fast on the same UTC day reaches each participant once; " +
    "with an `Idempotency-Key` a retry keeps the first attempt's day and replays its answer.",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: { headers: IdempotencyKeyHeadersSchema, ...jsonBody(ReminderRequestSchema) },
  responses: {
    201: jsonResponse("Fan-out completed", ReminderResponseSchema),
    202: jsonResponse("Fan-out queued", ReminderResponseSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
    ...keyedRequestResponses,
    503: jsonResponse("Some participants may not have been reached; retry", ErrorDetailSchema),
  },
});

type InternalContext = Context<AppEnv>;
type IngestResult = { id: number; user_id: number; activity_type: string; title: string; created_at: string };

/** What an attempt under an Idempotency-Key that failed part way had done, for its retry's answer. */
interface IngestPartial {
  readonly results: IngestResult[];
  /** How many of the results are the events' own items (the others are milestones), and the events muted. */
  readonly eventItems: number;
  readonly muted: number;
}

const resultOf = ({ shardIndex, row }: CreatedItem): IngestResult => ({
  id: publicIdOf(shardIndex, row),
  user_id: row.userId,
  activity_type: row.activityType,
  title: row.title,
  created_at: isoTime(row.createdAt),
});

/**
 * Claims the request's Idempotency-Key, if it has one. A Response when the
 * request goes no further: the stored answer replayed, a 422 for a key used
 * with another body, or a 503 when the key's shard cannot be read.
 */
async function openKeyedRequest(
  c: InternalContext,
  scope: RequestKeyScope,
  key: string | undefined,
  now: number,
): Promise<OpenRequest | undefined | Response> {
  if (key === undefined) return undefined;
  const body: unknown = await c.req.json();
  let claim: Awaited<ReturnType<typeof claimRequestKey>>;
  try {
    claim = await claimRequestKey(c.env, { scope, callerId: c.var.principal.userId, key, body }, now);
  } catch (error) {
    log.error("could not read an Idempotency-Key", { scope, error });
    return detail(c, 503, "The Idempotency-Key could not be checked; nothing was written. Retry the request.", {
      "Retry-After": RETRY_AFTER_SECONDS,
    });
  }
  if (claim.state === "conflict")
    return detail(
      c,
      422,
      "This Idempotency-Key was already used with a different request body. Send a new key for a new request.",
    );
  if (claim.state === "replay")
    return c.json(claim.body as object, claim.status as 201, { "Idempotent-Replayed": "true" });
  return claim;
}

/** What a 503 tells the producer to retry. */
function retryAdvice(keyed: boolean, everyEventNamed: boolean, pendingField: string): string {
  if (keyed) return "Retry the same request with the same Idempotency-Key: nothing already written is created twice.";
  if (everyEventNamed) return "Retry the same request: every event has an event_id, so none is created twice.";
  return `Resend only the events listed in ${pendingField} (positions from 0): without an Idempotency-Key or event_id, an event sent again is created again.`;
}

export function registerInternalRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(ingestRoute, async (c) => {
    const events = c.req.valid("json");
    const now = Date.now();
    const keyed = await openKeyedRequest(c, "events", c.req.valid("header")["idempotency-key"], now);
    if (keyed instanceof Response) return keyed as never;
    const naming = {
      requestedAt: keyed?.requestedAt ?? now,
      ...(keyed ? { eventIdAt: (position: number) => eventIdAt(keyed, position) } : {}),
    };
    const advice = (field: string) =>
      retryAdvice(
        keyed !== undefined,
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
        const body = { status: "queued" as const, queued_count: queued.length };
        if (keyed) await rememberAnswer(keyed, 202, body);
        return c.json(body, 202);
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
    // Items an earlier attempt under this key created count as this request's own.
    const earlier = keyed?.partial as IngestPartial | undefined;
    const results = [...(earlier?.results ?? []), ...outcome.created.map(resultOf)];
    const eventItems = (earlier?.eventItems ?? 0) + outcome.eventItems;
    const muted = (earlier?.muted ?? 0) + outcome.muted;
    const stored = events.length - outcome.notStored.length;
    // (An earlier attempt's items on a shard that fails now are in results but not in stored.)
    const counts = {
      created_count: results.length,
      duplicate_count: Math.max(0, stored - eventItems - muted),
      muted_count: muted,
      results,
    };
    if (outcome.notStored.length === 0) {
      if (keyed) await rememberAnswer(keyed, 201, counts);
      return c.json(counts, 201);
    }
    if (keyed) await rememberPartial(keyed, { results, eventItems, muted } satisfies IngestPartial);
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
    const keyed = await openKeyedRequest(c, "reminders", c.req.valid("header")["idempotency-key"], now);
    if (keyed instanceof Response) return keyed as never;
    // A retry under the same key keeps the first attempt's UTC day, and with it the dedupe keys.
    const requestedAt = keyed?.requestedAt ?? now;
    try {
      const [targeted, plan] = await Promise.all([
        countReminderTargets(c.env, request.fast_id),
        planReminder(c.env, request, requestedAt),
      ]);
      const summary = { kind: request.kind, fast_id: request.fast_id, targeted_users: targeted };
      if (c.var.config.asyncIngestion || targeted > SYNC_FANOUT_MAX_USERS) {
        const job = await enqueueJob(c.env, "reminder", plan, now);
        const body = { ...summary, status: "queued" as const, job_id: job.jobId };
        if (keyed) await rememberAnswer(keyed, 202, body);
        return c.json(body, 202);
      }
      const job = await runJobInline(c.env, c.var.config, "reminder", plan, now);
      const body = {
        ...summary,
        status: "completed" as const,
        created_count: job.affected,
        muted_count: job.detail.muted ?? 0,
        job_id: job.jobId,
      };
      if (keyed) await rememberAnswer(keyed, 201, body);
      return c.json(body, 201);
    } catch (error) {
      // Reminders are deduplicated per participant and day, so the retry only reaches whoever this missed.
      log.error("reminder fan-out failed part way", { fast_id: request.fast_id, error });
      return detail(
        c,
        503,
        "The reminder may have reached only some participants: a database or the queue is unavailable. " +
          (keyed
            ? "Retry the same request with the same Idempotency-Key: nobody is reminded twice."
            : "Retry the same request: nobody is reminded twice on the same UTC day (send an Idempotency-Key to keep that across midnight)."),
        { "Retry-After": RETRY_AFTER_SECONDS },
      ) as never;
    }
  });
}
