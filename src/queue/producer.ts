import type { Env } from "../env";
import { SEND_BATCH_MAX_BYTES, SEND_BATCH_MAX_MESSAGES } from "./limits";
import { type FeedMessage, type JobStepMessage, MAX_EVENTS_PER_MESSAGE, MESSAGE_VERSION } from "./messages";

/** Sends messages in as few sendBatch calls as the Queues limits allow. */
export async function sendMessages<Body extends FeedMessage>(
  queue: Queue<Body>,
  bodies: readonly Body[],
): Promise<void> {
  let batch: MessageSendRequest<Body>[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = JSON.stringify(body).length;
    if (batch.length > 0 && (batch.length === SEND_BATCH_MAX_MESSAGES || bytes + size > SEND_BATCH_MAX_BYTES)) {
      await queue.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body, contentType: "json" });
    bytes += size;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}

/** Job steps go to their own queue (docs/decisions/003-job-queue.md). */
export function sendJobSteps(env: Env, steps: readonly JobStepMessage[]): Promise<void> {
  return sendMessages(env.JOB_QUEUE, steps);
}

/** Sends each message to the queue its kind belongs on (see sendJobSteps). */
export async function sendByKind(env: Env, bodies: readonly FeedMessage[]): Promise<void> {
  const steps = bodies.filter((body): body is JobStepMessage => body.kind === "job_step");
  const work = bodies.filter((body) => body.kind !== "job_step");
  await Promise.all([sendJobSteps(env, steps), sendMessages(env.FEED_QUEUE, work)]);
}

/**
 * The asynchronous path of POST /api/internal/events/: the raw (already
 * validated) events go to the queue as they came, with two things fixed now
 * rather than at processing time: when the event happened (default: now) and
 * its identity (default: a fresh id), so that a redelivered message can never
 * make a second item.
 */
export async function enqueueEvents(
  env: Env,
  rawEvents: readonly Record<string, unknown>[],
  now: number,
): Promise<number> {
  const events = rawEvents.map((event) => ({
    ...event,
    occurred_at: event.occurred_at ?? new Date(now).toISOString(),
    event_id: event.event_id ?? `q:${crypto.randomUUID()}`,
  }));
  const messages: FeedMessage[] = [];
  let chunk: typeof events = [];
  let chunkBytes = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    messages.push(
      chunk.length === 1
        ? { v: MESSAGE_VERSION, kind: "create_item", event: chunk[0] as never }
        : { v: MESSAGE_VERSION, kind: "batch_create", events: chunk as never },
    );
    chunk = [];
    chunkBytes = 0;
  };
  for (const event of events) {
    const size = JSON.stringify(event).length;
    // A message must stay under 128 KB; events carry at most 16 KB of data each.
    if (chunk.length === MAX_EVENTS_PER_MESSAGE || chunkBytes + size > 96 * 1024) flush();
    chunk.push(event);
    chunkBytes += size;
  }
  flush();
  await sendMessages(env.FEED_QUEUE, messages);
  return events.length;
}
