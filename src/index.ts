import { createApp } from "./app";
import type { Env } from "./env";
import { handleQueueBatch } from "./queue/consumer";
import { handleScheduled } from "./scheduled/cron";

/** Wires the Worker's entry points; each lives in its own module. */
const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueueBatch(batch, env),
  scheduled: (controller, env) => handleScheduled(controller, env),
} satisfies ExportedHandler<Env, unknown>;
