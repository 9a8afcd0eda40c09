import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";
import { QUEUE_MESSAGE_BYTES, QUEUE_SEND_BATCH_BYTES, utf8Bytes } from "../../src/platform/limits";

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

/**
 * A fault injector around a real queue binding: it refuses the sendBatch calls
 * whose numbers (from 1) are in `refuse`, and, as production Queues do but the
 * local ones in tests do not, any message or sendBatch over the platform's
 * byte limits. Everything else goes through to the real queue.
 */
export function strictQueue(queue: Queue<never>, { refuse = [] as number[] } = {}) {
  let calls = 0;
  const sizeOf = (body: unknown) => utf8Bytes(JSON.stringify(body));
  const check = (bodies: unknown[]) => {
    const sizes = bodies.map(sizeOf);
    const largest = Math.max(...sizes);
    if (largest > QUEUE_MESSAGE_BYTES) throw new Error(`message of ${largest} bytes exceeds ${QUEUE_MESSAGE_BYTES}`);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    if (total > QUEUE_SEND_BATCH_BYTES) throw new Error(`batch of ${total} bytes exceeds ${QUEUE_SEND_BATCH_BYTES}`);
  };
  const binding = {
    sendBatchCalls: () => calls,
    send: (body: unknown, options?: QueueSendOptions) => {
      check([body]);
      return queue.send(body as never, options);
    },
    sendBatch: async (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
      calls += 1;
      const list = [...messages];
      if (refuse.includes(calls)) throw new Error(`simulated outage: sendBatch call ${calls} refused`);
      check(list.map((message) => message.body));
      return queue.sendBatch(list as never, options);
    },
  };
  return binding as unknown as Queue<never> & { sendBatchCalls(): number };
}
