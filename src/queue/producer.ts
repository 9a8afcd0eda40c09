import type { Env } from "../env";
import { jsonBytes, QUEUE_MESSAGE_BYTES, QUEUE_MESSAGE_ENVELOPE_BYTES } from "../platform/limits";
import { log } from "../platform/log";
import { MESSAGE_BODY_MAX_BYTES, SEND_BATCH_MAX_BYTES, SEND_BATCH_MAX_MESSAGES } from "./limits";
import { type FeedMessage, type JobStepMessage, MAX_EVENTS_PER_MESSAGE, MESSAGE_VERSION } from "./messages";

/** A send that failed, after `sent` of its messages (the first ones, in order) went out. */
export class QueueSendError extends Error {
  override name = "QueueSendError";
  constructor(
    readonly sent: number,
    override readonly cause: unknown,
  ) {
    super(`queue send failed after ${sent} messages: ${String(cause)}`);
  }
}

/** A message's size as Queues counts it: its JSON in UTF-8, plus room for the envelope. */
const queuedBytes = (body: unknown) => jsonBytes(body) + QUEUE_MESSAGE_ENVELOPE_BYTES;

/**
 * Groups messages into as few sendBatch calls as the Queues limits allow.
 * A message over the limit is a bug in whoever sized it, not a runtime event.
 */
export function sendBatchesOf<Body>(bodies: readonly Body[]): Body[][] {
  const batches: Body[][] = [];
  let batch: Body[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = queuedBytes(body);
    if (size > QUEUE_MESSAGE_BYTES) throw new Error(`queue message of ${size} bytes is over the limit`);
    if (batch.length > 0 && (batch.length === SEND_BATCH_MAX_MESSAGES || bytes + size > SEND_BATCH_MAX_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(body);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Sends messages in as few sendBatch calls as the limits allow; a failure
 * says how many went out. `delaySeconds` holds them back that long.
 */
export async function sendMessages<Body extends FeedMessage>(
  queue: Queue<Body>,
  bodies: readonly Body[],
  delaySeconds?: number,
): Promise<void> {
  let sent = 0;
  for (const batch of sendBatchesOf(bodies)) {
    try {
      await queue.sendBatch(
        batch.map((body) => ({ body, contentType: "json" as const })),
        delaySeconds ? { delaySeconds } : undefined,
      );
    } catch (error) {
      throw new QueueSendError(sent, error);
    }
    sent += batch.length;
  }
}

/** Job steps go to their own queue (docs/decisions/003-job-queue.md). */
export function sendJobSteps(env: Env, steps: readonly JobStepMessage[], delaySeconds?: number): Promise<void> {
  return sendMessages(env.JOB_QUEUE, steps, delaySeconds);
}

/** Sends each message to the queue its kind belongs on (see sendJobSteps). */
export async function sendByKind(env: Env, bodies: readonly FeedMessage[], delaySeconds?: number): Promise<void> {
  const steps = bodies.filter((body): body is JobStepMessage => body.kind === "job_step");
  const work = bodies.filter((body) => body.kind !== "job_step");
  await Promise.all([sendJobSteps(env, steps, delaySeconds), sendMessages(env.FEED_QUEUE, work, delaySeconds)]);
}

export interface EnqueueOutcome {
  /** Positions of the events that reached the queue, and of those that did not (after a failed send). */
  readonly queued: number[];
  readonly notQueued: number[];
}

/** Bytes a batch_create message takes beyond its events: the wrapper and the commas. */
const batchBytes = (events: number, eventBytes: number) =>
  jsonBytes({ v: MESSAGE_VERSION, kind: "batch_create", events: [] }) + eventBytes + Math.max(0, events - 1);

/**
 * The asynchronous path of POST /api/internal/events/: the raw (already
 * validated) events go to the queue as they came, with two things fixed now
 * rather than at processing time: when the event happened (default: the
 * request's time) and its identity (default: the given name, else a fresh
 * id), so that a redelivered message can never make a second item.
 *
 * Events are packed into as few messages as fit, in order, so a request whose
 * events fit one sendBatch call (256 KB) reaches the queue all at once or not
 * at all; a bigger one takes several calls, and when one fails the outcome
 * says which events went out.
 */
export async function enqueueEvents(
  env: Env,
  rawEvents: readonly Record<string, unknown>[],
  request: { requestedAt: number; eventIdAt?: (position: number) => string },
): Promise<EnqueueOutcome> {
  const events = rawEvents.map((event, position) => ({
    ...event,
    occurred_at: event.occurred_at ?? new Date(request.requestedAt).toISOString(),
    event_id: event.event_id ?? request.eventIdAt?.(position) ?? `q:${crypto.randomUUID()}`,
  }));
  const messages: FeedMessage[] = [];
  const firstPositions: number[] = [];
  let chunk: typeof events = [];
  let chunkBytes = 0;
  const flush = (nextPosition: number) => {
    if (chunk.length === 0) return;
    firstPositions.push(nextPosition - chunk.length);
    messages.push(
      chunk.length === 1
        ? { v: MESSAGE_VERSION, kind: "create_item", event: chunk[0] as never }
        : { v: MESSAGE_VERSION, kind: "batch_create", events: chunk as never },
    );
    chunk = [];
    chunkBytes = 0;
  };
  events.forEach((event, position) => {
    const size = jsonBytes(event);
    if (
      chunk.length === MAX_EVENTS_PER_MESSAGE ||
      batchBytes(chunk.length + 1, chunkBytes + size) > MESSAGE_BODY_MAX_BYTES
    )
      flush(position);
    chunk.push(event);
    chunkBytes += size;
  });
  flush(events.length);
  const positions = events.map((_, position) => position);
  try {
    await sendMessages(env.FEED_QUEUE, messages);
    return { queued: positions, notQueued: [] };
  } catch (error) {
    if (!(error instanceof QueueSendError)) throw error;
    const firstNotQueued = firstPositions[error.sent] ?? events.length;
    log.error("events only partly queued", { queued: firstNotQueued, of: events.length, error: error.cause });
    return { queued: positions.slice(0, firstNotQueued), notQueued: positions.slice(firstNotQueued) };
  }
}
