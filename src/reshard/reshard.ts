import type { Config } from "../config";
import { finishReshardRow, readRoutingRow, startReshardRow } from "../db/routing";
import type { Env } from "../env";
import { InvalidInputError, JobsRunningError, ReshardRunningError } from "../errors";
import { createJob, enqueueJob, newJobId, resumeJob } from "../jobs/launch";
import { unfinishedJobs } from "../jobs/status";
import { shardsOf } from "../shards/router";
import { forgetRouting, routingFrom } from "../shards/routing";

/**
 * Starting and finishing a reshard (README, "Adding shards";
 * docs/decisions/004-resharding.md). Starting publishes the target in the
 * routing row, so every isolate routes moving users by their move state from
 * `movesFrom` on, then queues the job (src/reshard/reshard-job.ts) on every
 * current shard. Finishing makes the target the current count.
 */

/** Jobs that walk every shard's rows: a user moving under them could be missed or written behind the copy. */
const SHARD_WALKING_KINDS = ["retention", "populate"] as const;
/** How far back an unfinished job of those kinds still counts as running (retention's own wait limit). */
const SHARD_WALKING_JOBS_SINCE_MS = 7 * 24 * 60 * 60 * 1000;
/** An unfinished job without progress for this long has stopped; it does not hold a reshard up. */
const STALLED_AFTER_MS = 60 * 60 * 1000;

export interface StartedReshard {
  readonly jobId: string;
  readonly from: number;
  readonly to: number;
  /** When users start moving: every isolate's cached routing has seen the target by then. */
  readonly movesFrom: number;
  /** A reshard to the same count was already running: this is that one (the request changed nothing). */
  readonly existing: boolean;
}

/**
 * Starts growing the deployment to `target` shards. Asking again for the
 * reshard that runs answers that one (and sends its next steps again, in case
 * the first start stopped before queuing them); another target while one runs
 * is refused.
 */
export async function startReshard(env: Env, config: Config, target: number, now: number): Promise<StartedReshard> {
  const routing = routingFrom(await readRoutingRow(env.SHARD_0!), config.shardCount);
  if (routing.reshard) {
    if (routing.reshard.to !== target)
      throw new ReshardRunningError(routing.reshard.jobId, routing.shardCount, routing.reshard.to, "another one");
    await createJob(
      env,
      "reshard",
      paramsOf(routing.shardCount, routing.reshard.to, routing.reshard.movesFrom),
      now,
      oldShards(routing.shardCount),
      routing.reshard.jobId,
    );
    await resumeJob(env, routing.reshard.jobId);
    return {
      jobId: routing.reshard.jobId,
      from: routing.shardCount,
      to: target,
      movesFrom: routing.reshard.movesFrom,
      existing: true,
    };
  }
  if (routing.shardCount >= config.boundShards)
    throw new InvalidInputError(
      "shard_count",
      `The deployment already has ${routing.shardCount} shards, every binding wrangler.toml declares; declare more first.`,
    );
  if (target > config.boundShards)
    throw new InvalidInputError("shard_count", `Ensure this value is less than or equal to ${config.boundShards}.`);
  if (target <= routing.shardCount)
    throw new InvalidInputError(
      "shard_count",
      `Ensure this value is greater than or equal to ${routing.shardCount + 1}.`,
    );
  const running = (
    await Promise.all(SHARD_WALKING_KINDS.map((kind) => unfinishedJobs(env, kind, now - SHARD_WALKING_JOBS_SINCE_MS)))
  )
    .flat()
    .filter((job) => now - job.slowestProgressAt < STALLED_AFTER_MS);
  // A populate of one user runs on its shard inside a request and finishes there; only whole-shard runs matter.
  if (running.length > 0) throw new JobsRunningError(running.map((job) => job.jobId));

  const jobId = newJobId("reshard", now);
  const movesFrom = now + config.routingCacheMs;
  const params = paramsOf(routing.shardCount, target, movesFrom);
  // The routing row first: whoever publishes it owns the reshard; a start that
  // stopped right after is completed by asking again (above).
  if (
    !(await startReshardRow(
      env.SHARD_0!,
      { fromCount: routing.shardCount, targetCount: target, jobId, movesFrom },
      now,
    ))
  ) {
    forgetRouting(env);
    return startReshard(env, config, target, now);
  }
  forgetRouting(env);
  await enqueueJob(env, "reshard", params, now, oldShards(routing.shardCount), { jobId });
  return { jobId, from: routing.shardCount, to: target, movesFrom, existing: false };
}

const paramsOf = (from: number, to: number, movesFrom: number) => ({ from, to, movesFrom });
const oldShards = (count: number) => Array.from({ length: count }, (_, index) => index);

/** Makes the reshard's target the current count: once every chain is done (the job's onDone; idempotent). */
export async function finishReshard(env: Env, _params: { from: number; to: number }, jobId: string): Promise<void> {
  await finishReshardRow(env.SHARD_0!, jobId, Date.now());
  forgetRouting(env);
}

/**
 * Throws ReshardRunningError while a reshard moves users: work that walks
 * whole shards (retention, populate of everyone) waits for it. `what` names
 * that work in the answer.
 */
export async function refuseWhileReshardRuns(env: Env, what: string): Promise<void> {
  const router = await shardsOf(env);
  if (router.reshard) throw new ReshardRunningError(router.reshard.jobId, router.count, router.reshard.to, what);
}
