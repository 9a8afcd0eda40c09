import { createApp } from "./app";
import type { Env } from "./env";
import { handleQueueBatch } from "./queue/consumer";
import { handleScheduled } from "./scheduled/cron";

export { FeedChannel } from "./channel/feed-channel";

/** Wires the Worker's entry points; each lives in its own module. */
const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext) => handleQueueBatch(batch, env),
  scheduled: (controller: ScheduledController, env: Env, _ctx: ExecutionContext) => handleScheduled(controller, env),
} satisfies ExportedHandler<Env, unknown>;
