import { refreshUnread, writeUnread } from "../cache/unread-cache";
import type { Config } from "../config";
import { unreadCountsStatement, unreadMapFrom } from "../db/item-writes";
import { advanceJobStatement, isStepConflict, readJob, startJobStatement } from "../db/jobs";
import type { Env } from "../env";
import type { InvocationBudget } from "../queue/budget";
import { type JobStepMessage, MESSAGE_VERSION } from "../queue/messages";
import { sendJobSteps } from "../queue/producer";
import { type Shard, shardsOf } from "../shards/router";
import { JOB_COSTS, type JobKind, type JobParams, workFor } from "./kinds";

/**
 * Long work (reminder fan-out, populate, cleanup, archive) runs as one chain of
 * chunks per shard. A chunk reads where the shard's progress row says to start,
 * then commits its writes, the row's advance and the touched users' new unread
 * counts in one D1 batch; the cache is written after the commit and the next
 * chunk continues in the same invocation while the budget lasts, else in a new
 * queue message.
 *
 * Delivery is at least once, so every step is safe to repeat:
 *  - two deliveries of one step: the job_progress_one_step trigger rolls back
 *    the second's batch entirely;
 *  - a Worker stopped after the commit but before sending the next message:
 *    the redelivered step finds the row one step ahead, refreshes the cache of
 *    the users it recorded and sends the next message itself.
 */

export interface Chunk {
  /** Writes of this chunk; `changes()` of the last one is the chunk's affected count. */
  readonly writes: D1PreparedStatement[];
  /** Writes in the same batch that do not count as affected (e.g. housekeeping). */
  readonly sideWrites?: D1PreparedStatement[];
  readonly cursor: string;
  readonly processed: number;
  /** Users whose unread count the writes may change. */
  readonly touchedUsers: readonly number[];
  /** Which of them have a cached count, when the chunk already looked it up. */
  readonly cachedUsers?: ReadonlySet<number>;
  readonly detail?: Record<string, number>;
  readonly done: boolean;
  /** Side effects that must finish before the commit (e.g. the R2 archive object). */
  readonly beforeCommit?: () => Promise<void>;
  /** Operations on other services (R2) the chunk used besides its cache writes. */
  readonly externalOperations?: number;
  /** D1 queries the chunk's reads made, when it counted them (else its kind's worst case stays charged). */
  readonly readQueries?: number;
}

export interface ChunkContext {
  readonly shard: Shard;
  readonly cursor: string;
  readonly step: number;
  readonly jobId: string;
  readonly detail: Record<string, number>;
  readonly now: number;
}

export type ChunkWork = (context: ChunkContext) => Promise<Chunk>;

export interface StartedJob {
  readonly jobId: string;
  readonly shards: readonly number[];
}

/** Creates the job's progress row on each shard; nothing runs yet. */
export async function createJob(
  env: Env,
  kind: JobKind,
  params: JobParams,
  now: number,
  shardIndexes?: readonly number[],
): Promise<StartedJob> {
  const router = shardsOf(env);
  const shards = shardIndexes ? shardIndexes.map((index) => router.byIndex(index)!) : router.all();
  const jobId = `${kind}-${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  await Promise.all(shards.map((shard) => startJobStatement(shard, jobId, kind, params, now).run()));
  return { jobId, shards: shards.map((shard) => shard.index) };
}

export function stepMessage(jobId: string, kind: JobKind, shard: number, step: number): JobStepMessage {
  return { v: MESSAGE_VERSION, kind: "job_step", job_id: jobId, job_kind: kind, shard, step };
}

/** Creates the job and queues its first chunk on every shard. */
export async function enqueueJob(
  env: Env,
  kind: JobKind,
  params: JobParams,
  now: number,
  shardIndexes?: readonly number[],
): Promise<StartedJob> {
  const job = await createJob(env, kind, params, now, shardIndexes);
  await sendJobSteps(
    env,
    job.shards.map((shard) => stepMessage(job.jobId, kind, shard, 0)),
  );
  return job;
}

type StepOutcome = { readonly status: "done" | "duplicate" } | { readonly status: "continue"; readonly step: number };

/** Commits a chunk; returns the KV and R2 operations and the D1 statements it used. */
async function commitChunk(
  env: Env,
  config: Config,
  shard: Shard,
  jobId: string,
  fromStep: number,
  chunk: Chunk,
  now: number,
): Promise<{ kv: number; d1: number }> {
  await chunk.beforeCommit?.();
  const advance = advanceJobStatement(
    shard,
    {
      jobId,
      fromStep,
      cursor: chunk.cursor,
      processed: chunk.processed,
      affected: chunk.writes.length > 0 ? "changes" : 0,
      ...(chunk.detail ? { detail: chunk.detail } : {}),
      touchedUsers: chunk.touchedUsers,
      done: chunk.done,
    },
    now,
  );
  // The affected writes must come right before the advance (it reads their changes()).
  const statements = [...(chunk.sideWrites ?? []), ...chunk.writes, advance];
  if (chunk.touchedUsers.length > 0) statements.push(unreadCountsStatement(shard, chunk.touchedUsers));
  const results = await shard.d1.batch(statements);
  const cacheOperations =
    chunk.touchedUsers.length > 0
      ? await writeUnread(env, config, unreadMapFrom(chunk.touchedUsers, results.at(-1)), chunk.cachedUsers)
      : 0;
  return { kv: cacheOperations + (chunk.externalOperations ?? 0), d1: statements.length };
}

/**
 * Runs chunks of one job on one shard, starting at `step`, while `budget`
 * allows (always at least one). Says whether the shard's part is done, and
 * if not, which step comes next.
 */
export async function runJobSteps(
  env: Env,
  config: Config,
  message: JobStepMessage,
  budget: InvocationBudget | undefined,
): Promise<StepOutcome> {
  const shard = shardsOf(env).byIndex(message.shard);
  if (!shard) throw new Error(`job ${message.job_id}: shard ${message.shard} does not exist`);
  const row = await readJob(shard, message.job_id);
  if (!row) throw new Error(`job ${message.job_id} has no progress row on shard ${shard.index}`);
  const step = message.step;
  if (row.done || row.step > step + 1) return { status: "duplicate" };
  if (row.step === step + 1) {
    // This step committed earlier but its follow-up may never have run.
    const used = await refreshUnread(env, config, JSON.parse(row.lastUsers) as number[]);
    budget?.refund({ kv: JOB_COSTS[message.job_kind].kv - used, d1: 0 });
    return { status: "continue", step: row.step };
  }
  if (row.step < step)
    throw new Error(
      `job ${message.job_id} step ${step} on shard ${shard.index} arrived before step ${row.step} committed`,
    );

  const work = workFor(message.job_kind, JSON.parse(row.params) as JobParams, env, config);
  const worstCase = JOB_COSTS[message.job_kind];
  // After our own commit the row is exactly what we wrote, so later chunks in
  // this invocation carry its state forward instead of reading it again.
  let state = { step, cursor: row.cursor, detail: JSON.parse(row.detail) as Record<string, number> };
  for (let first = true; ; first = false) {
    // The consumer charged the first chunk when it admitted the message.
    if (!first && budget && !budget.take(worstCase)) return { status: "continue", step: state.step };
    // Each chunk's own time: progress rows say when it committed, archives when they were written.
    const now = Date.now();
    const chunk = await work({
      shard,
      cursor: state.cursor,
      step: state.step,
      jobId: row.jobId,
      detail: state.detail,
      now,
    });
    let used: { kv: number; d1: number };
    try {
      used = await commitChunk(env, config, shard, row.jobId, state.step, chunk, now);
    } catch (error) {
      if (isStepConflict(error)) return { status: "duplicate" };
      throw error;
    }
    // Charged the worst case; give back what the chunk did not use.
    budget?.refund({
      kv: worstCase.kv - used.kv,
      d1: chunk.readQueries === undefined ? 0 : worstCase.d1 - chunk.readQueries - used.d1,
    });
    if (chunk.done) return { status: "done" };
    state = { step: state.step + 1, cursor: chunk.cursor, detail: chunk.detail ?? state.detail };
  }
}

/**
 * Sends the next step again on every shard where the job is not done: for a
 * job whose message went to the dead-letter queue, or any job that stalled.
 * Safe on a job that is still running: a step delivered twice commits once.
 */
export async function resumeJob(env: Env, jobId: string): Promise<number[] | undefined> {
  const rows = await Promise.all(
    shardsOf(env)
      .all()
      .map(async (shard) => ({ shard, row: await readJob(shard, jobId) })),
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

/** Runs a whole job inside this invocation (small jobs in synchronous mode). */
export async function runJobInline(
  env: Env,
  config: Config,
  kind: JobKind,
  params: JobParams,
  now: number,
  shardIndexes?: readonly number[],
): Promise<StartedJob> {
  const job = await createJob(env, kind, params, now, shardIndexes);
  await Promise.all(
    job.shards.map(async (shard) => {
      let outcome: StepOutcome = { status: "continue", step: 0 };
      while (outcome.status === "continue")
        outcome = await runJobSteps(env, config, stepMessage(job.jobId, kind, shard, outcome.step), undefined);
    }),
  );
  return job;
}
