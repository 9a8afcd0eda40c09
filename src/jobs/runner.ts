import { refreshBadges, writeBadges } from "../cache/badge-cache";
import type { Config } from "../config";
import { badgeCountsFrom, badgeCountsStatement, type InboxCounts } from "../db/badge-counts";
import { advanceJobStatement, isStepConflict, readJob } from "../db/jobs";
import { liveUsersFrom, liveUsersStatement } from "../db/live-presence";
import type { JobProgressRow } from "../db/schema";
import { isUserMovingError } from "../db/user-moves";
import type { Env } from "../env";
import { UserMovingError } from "../errors";
import type { LiveChange } from "../live/changes";
import { publishLive } from "../live/publish";
import { log } from "../platform/log";
import type { InvocationBudget } from "../queue/budget";
import type { JobStepMessage } from "../queue/messages";
import type { Shard } from "../shards/router";
import { shardsOf } from "../shards/router";
import type { Chunk, JobCost, JobDefinition } from "./chunk";
import { createJob, type StartedJob, stepMessage } from "./launch";
import { type JobKind, type JobParams, jobDefinition } from "./registry";
import { readJobProgress } from "./status";

/**
 * Runs chunked jobs (reminder fan-out, populate, cleanup, archive): one chain
 * of chunks per shard, each committed with its progress row in one D1 batch.
 * Why every step is safe to deliver twice: docs/decisions/002-chunked-jobs.md.
 */

type StepOutcome =
  | { readonly status: "done" | "duplicate" }
  | { readonly status: "continue"; readonly step: number; readonly delaySeconds?: number };

/** What a chunk's commit used: KV and other external operations, and D1 statements. */
interface Spent {
  readonly kv: number;
  readonly d1: number;
}

/**
 * The channel calls of a chain's chunks, made one chunk after another (a
 * user's messages keep their order) while the next chunk already runs: the
 * step waits for them once, at its end, instead of after every commit.
 */
class Announcements {
  #last: Promise<void> = Promise.resolve();

  add(send: () => Promise<void>) {
    this.#last = this.#last.then(send).catch((error) => {
      log.warn("live notifications of a job chunk failed; the clients resume or reset", { error });
    });
  }

  settled(): Promise<void> {
    return this.#last;
  }
}

/** Commits a chunk: its side effect first, then its writes, the advance and the new unread counts in one batch. */
async function commitChunk(
  env: Env,
  config: Config,
  shard: Shard,
  jobId: string,
  fromStep: number,
  chunk: Chunk,
  now: number,
  announcements: Announcements,
  budget?: InvocationBudget,
): Promise<Spent> {
  await chunk.beforeCommit?.();
  const { counted, others: writes = [] } = chunk.writes;
  const fence = chunk.fence ? (await shardsOf(env)).fenceFor(shard, chunk.fence) : [];
  const others = [...fence, ...writes];
  const users = chunk.unread?.users ?? [];
  const advance = advanceJobStatement(
    shard,
    {
      jobId,
      fromStep,
      cursor: chunk.progress.cursor,
      processed: chunk.progress.processed,
      affected: counted ? "changes" : 0,
      ...(chunk.progress.detail ? { detail: chunk.progress.detail } : {}),
      touchedUsers: users,
      done: chunk.progress.done,
    },
    now,
  );
  // The advance reads changes() of the statement right before it.
  const statements = [...others, ...(counted ? [counted] : []), advance];
  const liveIndex = chunk.live ? statements.push(liveUsersStatement(shard, chunk.live.users, now)) - 1 : -1;
  if (users.length > 0) statements.push(badgeCountsStatement(shard, users));
  const results = await shard.d1.batch(statements);
  const counts = badgeCountsFrom(users, users.length > 0 ? results.at(-1) : undefined);
  const cacheOperations =
    users.length > 0 ? await writeBadges(env, config, counts, chunk.unread?.cached, { lookUpOne: true }) : 0;
  if (chunk.live) {
    const live = liveUsersFrom(results[liveIndex]);
    if (live.size > 0) {
      const changes = chunk.live.changes(counted ? results[others.length] : undefined);
      const targets = [...live].filter((userId) => (changes.get(userId)?.length ?? 0) > 0);
      // Taken now, in chunk order: the next chunk's charge must not spend what these calls need.
      const allowance = budget ? budget.takeUpTo(targets.length) : undefined;
      if (targets.length > 0) announcements.add(() => announce(env, shard, targets, changes, counts, allowance));
    }
  }
  return { kv: cacheOperations + (chunk.spent?.externalOperations ?? 0), d1: statements.length };
}

/**
 * Tells the chunk's connected users what changed for them. Users whose
 * counts the commit did not read (their deleted items were read ones) cost
 * one more query, paid only when someone is connected.
 */
async function announce(
  env: Env,
  shard: Shard,
  targets: readonly number[],
  changes: ReadonlyMap<number, readonly LiveChange[]>,
  counts: ReadonlyMap<number, InboxCounts>,
  allowance: number | undefined,
) {
  const unknown = targets.filter((userId) => !counts.has(userId));
  const more =
    unknown.length > 0 ? badgeCountsFrom(unknown, await badgeCountsStatement(shard, unknown).all()) : new Map();
  const publications = targets.map((userId) => ({
    userId,
    changes: changes.get(userId)!,
    counts: counts.get(userId) ?? more.get(userId)!,
  }));
  await publishLive(env, publications, allowance);
}

/** What the worst-case charge of a chunk did not need, to give back to the budget. */
function unspent(worstCase: JobCost, chunk: Chunk, used: Spent): JobCost {
  const readQueries = chunk.spent?.readQueries;
  return { kv: worstCase.kv - used.kv, d1: readQueries === undefined ? 0 : worstCase.d1 - readQueries - used.d1 };
}

/**
 * A step whose chunk committed earlier but whose follow-up may never have
 * run: bring the cache of the users it recorded in line, and go on.
 */
async function finishCommittedStep(
  env: Env,
  config: Config,
  row: JobProgressRow,
  worstCase: JobCost,
  budget?: InvocationBudget,
): Promise<StepOutcome> {
  const used = await refreshBadges(env, config, JSON.parse(row.lastUsers) as number[]);
  budget?.refund({ kv: worstCase.kv - used, d1: 0 });
  return { status: "continue", step: row.step };
}

/** Runs chunks from `step` on, while the budget allows (the first was charged when the message was admitted). */
async function runChunks(
  env: Env,
  config: Config,
  shard: Shard,
  row: JobProgressRow,
  definition: JobDefinition<unknown>,
  step: number,
  budget?: InvocationBudget,
): Promise<StepOutcome> {
  const work = definition.chunk(definition.params.parse(JSON.parse(row.params)), env);
  // After our own commit the row is exactly what we wrote, so later chunks
  // carry its state forward instead of reading it again.
  let state = { step, cursor: row.cursor, detail: JSON.parse(row.detail) as Record<string, number> };
  const announcements = new Announcements();
  try {
    for (let first = true; ; first = false) {
      if (!first && budget && !budget.take(definition.cost)) return { status: "continue", step: state.step };
      const now = Date.now();
      let chunk: Chunk;
      let used: Spent;
      try {
        chunk = await work({
          shard,
          cursor: state.cursor,
          step: state.step,
          jobId: row.jobId,
          detail: state.detail,
          now,
        });
        try {
          used = await commitChunk(env, config, shard, row.jobId, state.step, chunk, now, announcements, budget);
        } catch (error) {
          if (isStepConflict(error)) return { status: "duplicate" };
          if (isUserMovingError(error)) throw new UserMovingError(chunk.fence ?? []);
          throw error;
        }
      } catch (error) {
        if (first || isStepConflict(error)) throw error;
        // The message's own step committed: a retry of it would find the chain
        // further on and drop it as a duplicate. This step goes on as a new
        // message instead (it commits once, or was committed: finishCommittedStep).
        log.warn("job chunk failed after earlier chunks of its message committed; its step goes on as a new message", {
          job_id: row.jobId,
          shard: shard.index,
          step: state.step,
          error,
        });
        return { status: "continue", step: state.step, delaySeconds: 1 };
      }
      budget?.refund(unspent(definition.cost, chunk, used));
      if (chunk.progress.done) {
        // Only kinds with an onDone pay for reading the other shards' progress.
        if (definition.onDone) await finishJobIfDone(env, row.jobId);
        return { status: "done" };
      }
      if (chunk.progress.waitMs && chunk.progress.waitMs > 0)
        return { status: "continue", step: state.step + 1, delaySeconds: Math.ceil(chunk.progress.waitMs / 1000) };
      state = {
        step: state.step + 1,
        cursor: chunk.progress.cursor,
        detail: { ...(chunk.progress.detail ?? state.detail) },
      };
    }
  } finally {
    // The step's invocation ends with its calls made (or queued): none is left to a later one.
    await announcements.settled();
  }
}

/**
 * Runs one job step on its shard, and more while `budget` allows. Says
 * whether the shard's part is done, and if not, which step comes next.
 */
export async function runJobSteps(
  env: Env,
  config: Config,
  message: JobStepMessage,
  budget: InvocationBudget | undefined,
): Promise<StepOutcome> {
  const shard = (await shardsOf(env)).byIndex(message.shard);
  if (!shard) throw new Error(`job ${message.job_id}: shard ${message.shard} does not exist`);
  const row = await readJob(shard, message.job_id);
  if (!row) throw new Error(`job ${message.job_id} has no progress row on shard ${shard.index}`);
  const definition = jobDefinition(message.job_kind);
  const step = message.step;
  if (row.done) {
    // The last chunk may have committed without its onDone running (the Worker stopped in between).
    if (definition.onDone) await finishJobIfDone(env, message.job_id);
    return { status: "duplicate" };
  }
  if (row.step > step + 1) return { status: "duplicate" };
  if (row.step === step + 1) return finishCommittedStep(env, config, row, definition.cost, budget);
  if (row.step < step) {
    throw new Error(
      `job ${message.job_id} step ${step} on shard ${shard.index} arrived before step ${row.step} committed`,
    );
  }
  return runChunks(env, config, shard, row, definition, step, budget);
}

/**
 * Runs the job kind's onDone once every shard's chain is done. Called after
 * each chain's last commit (the last to finish sees them all done) and when a
 * done job is resumed: a Worker stopped between the two still gets it run.
 */
export async function finishJobIfDone(env: Env, jobId: string): Promise<boolean> {
  const progress = await readJobProgress(env, jobId);
  if (!progress?.done) return false;
  const definition = jobDefinition(progress.kind);
  await definition.onDone?.(definition.params.parse(progress.params), env, jobId);
  return true;
}

export interface FinishedJob extends StartedJob {
  /** Rows the job changed over all its shards, and its counts by kind (per type, muted, ...). */
  readonly affected: number;
  readonly detail: Readonly<Record<string, number>>;
}

/** Runs a whole job inside this invocation (small jobs in synchronous mode). */
export async function runJobInline<Kind extends JobKind>(
  env: Env,
  config: Config,
  kind: Kind,
  params: JobParams<Kind>,
  now: number,
  shardIndexes?: readonly number[],
): Promise<FinishedJob> {
  const job = await createJob(env, kind, params, now, shardIndexes);
  await Promise.all(
    job.shards.map(async (shard) => {
      let outcome: StepOutcome = { status: "continue", step: 0 };
      while (outcome.status === "continue") {
        const delayMs = (outcome.delaySeconds ?? 0) * 1000;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        outcome = await runJobSteps(env, config, stepMessage(job.jobId, kind, shard, outcome.step), undefined);
      }
    }),
  );
  const progress = await readJobProgress(env, job.jobId);
  return { ...job, affected: progress?.affected ?? 0, detail: progress?.detail ?? {} };
}
