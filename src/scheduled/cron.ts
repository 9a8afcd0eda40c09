import { configFor } from "../config";
import type { Env } from "../env";
import { resumeJob } from "../jobs/runner";
import { unfinishedJobs } from "../jobs/status";
import { startCleanup } from "../retention/retention";

/**
 * A retention job without progress for this long has lost its messages: a
 * running one commits a chunk every few seconds, and a failing step is
 * retried 3 times 60 s apart (wrangler.toml) before the dead-letter queue.
 */
export const RETENTION_STALLED_AFTER_MS = 60 * 60 * 1000;

/**
 * Unfinished retention jobs older than this are not waited for: one that
 * cannot finish must not stop retention for good. It stays listed at
 * GET /api/admin/jobs/ for an operator.
 */
export const RETENTION_WAIT_FOR_JOBS_STARTED_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Cron Triggers (wrangler.toml `[triggers]`). The daily run only starts the
 * retention job; the work itself runs as queue messages per shard and chunk,
 * so a first run over a year of never-cleaned data finishes too.
 *
 * While an earlier retention job (daily or started by staff) is unfinished,
 * no second one starts: both would walk the same expired rows, and an
 * archiving pair would write the same rows to R2 twice. A stalled one is
 * resumed instead; the next day's run then starts from a finished state.
 */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const config = configFor(env);
  const now = controller.scheduledTime;
  const unfinished = await unfinishedJobs(env, "retention", now - RETENTION_WAIT_FOR_JOBS_STARTED_WITHIN_MS);
  if (unfinished.length > 0) {
    const stalled = unfinished.filter((job) => now - job.slowestProgressAt >= RETENTION_STALLED_AFTER_MS);
    for (const job of stalled) await resumeJob(env, job.jobId);
    console.info(
      JSON.stringify({
        level: "info",
        msg: "retention cleanup not started: an earlier retention job is unfinished",
        cron: controller.cron,
        unfinished: unfinished.map((job) => job.jobId),
        resumed: stalled.map((job) => job.jobId),
      }),
    );
    return;
  }
  const run = await startCleanup(env, config, { dryRun: false, onlyRead: false, archive: config.archiveOnCleanup }, now);
  console.info(JSON.stringify({ level: "info", msg: "retention cleanup started", cron: controller.cron, job_id: run.dryRun ? null : run.jobId }));
}
