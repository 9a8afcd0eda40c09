import { configFor } from "../config";
import type { Env } from "../env";
import { startCleanup } from "../retention/retention";

/**
 * Cron Triggers (wrangler.toml `[triggers]`). The daily run only starts the
 * retention job; the work itself runs as queue messages per shard and chunk,
 * so a first run over a year of never-cleaned data finishes too.
 */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const config = configFor(env);
  const run = await startCleanup(env, config, { dryRun: false, onlyRead: false, archive: config.archiveOnCleanup }, controller.scheduledTime);
  console.info(JSON.stringify({ level: "info", msg: "retention cleanup started", cron: controller.cron, job_id: run.dryRun ? null : run.jobId }));
}
