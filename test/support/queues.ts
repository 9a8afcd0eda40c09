import { env } from "cloudflare:test";

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
      send: (body: unknown, options?: QueueSendOptions) => (sent[binding].push(body), queue.send(body as never, options)),
      sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
        for (const message of messages) sent[binding].push(message.body);
        return queue.sendBatch(messages as never, options);
      },
    } as unknown as Queue<never>;
  };
  return { sent, env: { ...env, FEED_QUEUE: watch("FEED_QUEUE"), JOB_QUEUE: watch("JOB_QUEUE") } };
}
