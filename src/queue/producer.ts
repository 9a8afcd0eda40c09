import type { Env } from "../env";
import { MAX_EVENTS_PER_MESSAGE, MESSAGE_VERSION, type FeedMessage } from "./messages";
import { SEND_BATCH_MAX_BYTES, SEND_BATCH_MAX_MESSAGES } from "./limits";

/** Sends messages in as few sendBatch calls as the Queues limits allow. */
export async function sendMessages(queue: Queue<FeedMessage>, bodies: readonly FeedMessage[]): Promise<void> {
  let batch: MessageSendRequest<FeedMessage>[] = [];
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

/**
 * The asynchronous path of POST /api/internal/events/: the raw (already
 * validated) events go to the queue as they came, with two things fixed now
 * rather than at processing time: when the event happened (default: now) and
 * its identity (default: a fresh id), so that a redelivered message can never
 * make a second item.
 */
export async function enqueueEvents(env: Env, rawEvents: readonly Record<string, unknown>[], now: number): Promise<number> {
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
