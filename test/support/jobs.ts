import { env } from "cloudflare:test";
import { createJob } from "../../src/jobs/launch";
import { allShards } from "./db";
import { call, staffToken } from "./http";
import { DAY } from "./time";

/** Retention jobs made by unfinishedRetentionJob, until finishMadeJobs. */
const made: string[] = [];

/**
 * A retention job's progress rows on every shard, as if it started `startedAgo`
 * and each shard last moved `movedAgo(shard)` ago; nothing is queued for it.
 */
export async function unfinishedRetentionJob(
  startedAgo: number,
  movedAgo: (shard: number) => number = () => startedAgo,
): Promise<string> {
  const now = Date.now();
  const job = await createJob(
    env,
    "retention",
    { plan: { cutoffs: { event: now - 450 * DAY }, onlyRead: false }, archive: false },
    now - startedAgo,
  );
  made.push(job.jobId);
  await Promise.all(
    allShards().map((shard, index) =>
      shard
        .prepare("UPDATE job_progress SET updated_at = ?2 WHERE job_id = ?1")
        .bind(job.jobId, now - movedAgo(index))
        .run(),
    ),
  );
  return job.jobId;
}

/** Marks every job unfinishedRetentionJob made as done, so that none holds up a later test (call in afterEach). */
export async function finishMadeJobs(): Promise<void> {
  for (const jobId of made.splice(0)) {
    await Promise.all(
      allShards().map((shard) => shard.prepare("UPDATE job_progress SET done = 1 WHERE job_id = ?1").bind(jobId).run()),
    );
  }
}

/** The ids of the retention jobs GET /api/admin/jobs/ lists. */
export async function retentionJobIds(): Promise<string[]> {
  const listing = await call("GET", "/api/admin/jobs/?limit=50", { token: await staffToken() });
  return listing.body.results
    .filter((job: { kind: string }) => job.kind === "retention")
    .map((job: { job_id: string }) => job.job_id);
}
