import type { Env } from "../env";
import { RetentionJobRunningError } from "../errors";
import { type UnfinishedJob, unfinishedJobs } from "../jobs/status";

/**
 * Retention jobs still under way. Only one should run at a time: two would
 * walk the same expired rows, and two archiving jobs would write them to R2
 * twice. The daily cron (src/scheduled/cron.ts) waits for a moving job;
 * staff and queue requests are refused while one moves.
 */

/**
 * A retention job without progress for this long has lost its messages: a
 * running one commits a chunk every few seconds, and a failing step is
 * retried 3 times 60 s apart (wrangler.toml) before the dead-letter queue.
 */
export const RETENTION_STALLED_AFTER_MS = 60 * 60 * 1000;

/**
 * How long an unfinished retention job counts as under way: one that cannot
 * finish must not stop retention for good. Older ones stay listed at
 * GET /api/admin/jobs/ for an operator.
 */
export const UNFINISHED_JOB_WAIT_LIMIT_MS = 7 * 24 * 60 * 60 * 1000;

/** Retention jobs started within UNFINISHED_JOB_WAIT_LIMIT_MS that some shard has not finished. */
export function unfinishedRetentionJobs(env: Env, now: number): Promise<UnfinishedJob[]> {
  return unfinishedJobs(env, "retention", now - UNFINISHED_JOB_WAIT_LIMIT_MS);
}

/** Its slowest shard has not moved for RETENTION_STALLED_AFTER_MS. */
export const isRetentionJobStalled = (job: UnfinishedJob, now: number) =>
  now - job.slowestProgressAt >= RETENTION_STALLED_AFTER_MS;

/**
 * Throws RetentionJobRunningError while any unfinished retention job (other
 * than `except`, one being resumed) moves. A check, not a lock: two requests
 * in the same instant can both pass it.
 */
export async function refuseWhileRetentionRuns(env: Env, now: number, except?: string): Promise<void> {
  const moving = (await unfinishedRetentionJobs(env, now)).filter(
    (job) => job.jobId !== except && !isRetentionJobStalled(job, now),
  );
  if (moving.length > 0) throw new RetentionJobRunningError(moving.map((job) => job.jobId));
}
