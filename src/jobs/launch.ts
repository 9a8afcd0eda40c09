import { readJob, startJobStatement } from "../db/jobs";
import type { Env } from "../env";
import { type JobStepMessage, MESSAGE_VERSION } from "../queue/messages";
import { sendJobSteps } from "../queue/producer";
import { MOVING_RETRY_SECONDS, shardsOf } from "../shards/router";
import type { JobKind, JobParams } from "./registry";

/**
 * Starting and resuming jobs: progress rows and first messages. Domain code
 * starts jobs through here; only the consumer and synchronous routes run
 * them (src/jobs/runner.ts).
 */

export interface StartedJob {
  readonly jobId: string;
  readonly shards: readonly number[];
}

/** A new job's id: its kind, when it started, and a random part. */
export const newJobId = (kind: JobKind, now: number) =>
  `${kind}-${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * Creates the job's progress row on each shard (all by default); nothing runs
 * yet. Creating the rows of an existing id again changes nothing.
 */
export async function createJob<Kind extends JobKind>(
  env: Env,
  kind: Kind,
  params: JobParams<Kind>,
  now: number,
  shardIndexes?: readonly number[],
  jobId: string = newJobId(kind, now),
): Promise<StartedJob> {
  const router = await shardsOf(env);
  const shards = shardIndexes ? shardIndexes.map((index) => router.byIndex(index)!) : router.all();
  await Promise.all(shards.map((shard) => startJobStatement(shard, jobId, kind, params, now).run()));
  return { jobId, shards: shards.map((shard) => shard.index) };
}

export function stepMessage(jobId: string, kind: JobKind, shard: number, step: number): JobStepMessage {
  return { v: MESSAGE_VERSION, kind: "job_step", job_id: jobId, job_kind: kind, shard, step };
}

/**
 * Creates the job and queues its first chunk on every shard it runs on
 * (after `delaySeconds`, for work handed on to a later run).
 */
export async function enqueueJob<Kind extends JobKind>(
  env: Env,
  kind: Kind,
  params: JobParams<Kind>,
  now: number,
  shardIndexes?: readonly number[],
  { jobId, delaySeconds }: { jobId?: string; delaySeconds?: number } = {},
): Promise<StartedJob> {
  const job = await createJob(env, kind, params, now, shardIndexes, jobId);
  await sendJobSteps(
    env,
    job.shards.map((shard) => stepMessage(job.jobId, kind, shard, 0)),
    delaySeconds,
  );
  return job;
}

/**
 * Sends the next step again on every shard where the job is not done: for a
 * job whose message went to the dead-letter queue, or any job that stalled.
 * Safe on a job that is still running: a step delivered twice commits once.
 */
export async function resumeJob(env: Env, jobId: string): Promise<number[] | undefined> {
  const rows = await Promise.all(
    (await shardsOf(env)).all().map(async (shard) => ({ shard, row: await readJob(shard, jobId) })),
  );
  if (rows.every(({ row }) => row === undefined)) return undefined;
  const pending = rows.filter(({ row }) => row && !row.done);
  if (pending.length > 0) {
    await sendJobSteps(
      env,
      pending.map(({ shard, row }) => stepMessage(jobId, row!.kind as JobKind, shard.index, row!.step)),
    );
  }
  return pending.map(({ shard }) => shard.index);
}

/** A move that still holds its users after this many hand-ons (an hour, MOVING_RETRY_SECONDS apart) has stopped. */
const MAX_HAND_ONS = 720;

/**
 * Runs a job again on `shards` a few seconds from now, for users a reshard
 * was moving when it met them (src/shards/router.ts, sortForWalk). Counts the
 * hand-ons in the params; false, and nothing started, once a stuck move has
 * used them all.
 */
export async function handOnJob<Kind extends JobKind>(
  env: Env,
  kind: Kind,
  params: JobParams<Kind> & { handOns?: number },
  now: number,
  shards: readonly number[],
): Promise<boolean> {
  const handOns = (params.handOns ?? 0) + 1;
  if (handOns > MAX_HAND_ONS) return false;
  await enqueueJob(env, kind, { ...params, handOns }, now, shards, { delaySeconds: MOVING_RETRY_SECONDS });
  return true;
}
