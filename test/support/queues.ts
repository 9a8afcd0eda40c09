import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";

type QueueBinding = "FEED_QUEUE" | "JOB_QUEUE";

/**
 * The real queues, watched: every body sent through them is recorded under
 * its binding and still delivered. Pass `env` to worker.queue/fetch.
 */
export function watchedQueues() {
  const sent: Record<QueueBinding, unknown[]> = { FEED_QUEUE: [], JOB_QUEUE: [] };
  const watch = (binding: QueueBinding) => {
    const queue = env[binding];
    return {
      send: (body: unknown, options?: QueueSendOptions) => {
        sent[binding].push(body);
        return queue.send(body as never, options);
      },
      sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
        for (const message of messages) sent[binding].push(message.body);
        return queue.sendBatch(messages as never, options);
      },
    } as unknown as Queue<never>;
  };
  return { sent, env: { ...env, FEED_QUEUE: watch("FEED_QUEUE"), JOB_QUEUE: watch("JOB_QUEUE") } };
}

let messageSeq = 0;

/**
 * Delivers messages to the consumer as one batch from `queue`, exactly as the
 * Queues runtime would, and returns what it acked and retried. `on` replaces
 * the environment, e.g. with watchedQueues().env.
 */
export async function deliver(
  bodies: readonly unknown[],
  {
    ids,
    attempts = 1,
    queue = "activity-feed-work",
    on = env,
  }: { ids?: readonly string[]; attempts?: number; queue?: string; on?: typeof env } = {},
) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, index) => ({
      id: ids?.[index] ?? `test-msg-${++messageSeq}`,
      timestamp: new Date(),
      attempts,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, on, ctx);
  return getQueueResult(batch, ctx);
}
