import { configFor } from "../config";
import type { Env } from "../env";
import { ReshardRunningError, RetentionJobRunningError } from "../errors";
import { resumeJob } from "../jobs/launch";
import type { UnfinishedJob } from "../jobs/status";
import { log } from "../platform/log";
import { isRetentionJobStalled, unfinishedRetentionJobs } from "../retention/in-flight";
import { startCleanup } from "../retention/retention";
import { cleanupRequestFrom } from "../wire/retention";

export type RetentionCronDecision =
  | { readonly action: "start" }
  | { readonly action: "wait"; readonly unfinished: readonly string[] }
  | { readonly action: "resume"; readonly jobId: string; readonly unfinished: readonly string[] };

/**
 * What the daily run does, given the retention jobs (the cron's or started
 * by staff) still unfinished (src/retention/in-flight.ts): never a second
 * job beside one.
 */
export function retentionCronDecision(unfinished: readonly UnfinishedJob[], now: number): RetentionCronDecision {
  if (unfinished.length === 0) return { action: "start" };
  const ids = unfinished.map((job) => job.jobId);
  const stalled = unfinished.filter((job) => isRetentionJobStalled(job, now));
  // One that still moves will finish; resuming another beside it would overlap.
  if (stalled.length < unfinished.length) return { action: "wait", unfinished: ids };
  // Only the newest goes on (its cutoffs are the latest); older stalled ones
  // wait their turn on a later day or age out of the limit.
  const newest = stalled.reduce((latest, job) => (job.startedAt > latest.startedAt ? job : latest));
  return { action: "resume", jobId: newest.jobId, unfinished: ids };
}

/**
 * Cron Triggers (wrangler.toml `[triggers]`). The daily run only starts the
 * retention job; the work itself runs as queue messages per shard and chunk,
 * so a first run over a year of never-cleaned data finishes too.
 */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const config = configFor(env);
  const now = controller.scheduledTime;
  const cronLog = log.child({ cron: controller.cron });
  const decision = retentionCronDecision(await unfinishedRetentionJobs(env, now), now);
  if (decision.action === "start") {
    try {
      const run = await startCleanup(env, config, cleanupRequestFrom({ only_read: false }, config), now);
      cronLog.info("retention cleanup started", { job_id: run.dryRun ? null : run.jobId });
    } catch (error) {
      // A reshard moves users: tomorrow's run cleans what today's would have.
      if (error instanceof ReshardRunningError) {
        cronLog.info("retention cleanup not started: a reshard is moving users", { reshard: error.jobId });
        return;
      }
      // Staff started one since the decision was taken: the same as waiting for it.
      if (!(error instanceof RetentionJobRunningError)) throw error;
      cronLog.info("retention cleanup not started: a retention job started meanwhile", { unfinished: error.running });
    }
    return;
  }
  if (decision.action === "resume") await resumeJob(env, decision.jobId);
  cronLog.info("retention cleanup not started: an earlier retention job is unfinished", {
    unfinished: decision.unfinished,
    resumed: decision.action === "resume" ? decision.jobId : null,
  });
}
