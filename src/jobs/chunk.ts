import type { z } from "zod";
import type { Env } from "../env";
import type { LiveChange } from "../live/changes";
import type { Shard } from "../shards/router";

/**
 * The contract between the job runner (src/jobs/runner.ts) and the work of
 * each job kind. Domain modules implement it without knowing the runner; the
 * registry (src/jobs/registry.ts) names every kind.
 */

/** Where a chunk runs and what the shard's progress row says so far. */
export interface ChunkContext {
  readonly shard: Shard;
  readonly cursor: string;
  readonly step: number;
  readonly jobId: string;
  readonly detail: Readonly<Record<string, number>>;
  /** The chunk's own time: progress rows say when it committed, archives when they were written. */
  readonly now: number;
}

/** One chunk's work, committed by the runner in one D1 batch with the progress row's advance. */
export interface Chunk {
  readonly progress: {
    /** Where the next chunk starts (its meaning is the kind's). */
    readonly cursor: string;
    readonly processed: number;
    readonly done: boolean;
    readonly detail?: Readonly<Record<string, number>>;
    /** The next chunk must not start before this many milliseconds have passed (its message is delayed). */
    readonly waitMs?: number;
  };
  /**
   * Users whose rows the writes change, when a reshard could be moving them
   * off this shard: the batch begins with their write fence (src/shards/router.ts).
   */
  readonly fence?: readonly number[];
  readonly writes: {
    /** The statement whose changed rows are the chunk's `affected` count. */
    readonly counted?: D1PreparedStatement;
    /** Writes in the same batch that do not count (e.g. stored events retention deletes). */
    readonly others?: readonly D1PreparedStatement[];
  };
  /** Users whose unread count the writes may change, and which of them have a cached count if the chunk looked. */
  readonly unread?: { readonly users: readonly number[]; readonly cached?: ReadonlySet<number> };
  /** What connected users hear of this chunk once it committed (src/live/). */
  readonly live?: {
    /** Users the changes may concern: the commit asks which of them have a channel open. */
    readonly users: readonly number[];
    /** Their changes, given the result of the counted statement (the rows it returned). */
    readonly changes: (counted: D1Result | undefined) => ReadonlyMap<number, readonly LiveChange[]>;
  };
  /** A side effect that must succeed before the commit (the R2 archive object). */
  readonly beforeCommit?: () => Promise<void>;
  /** What the chunk spent besides its cache writes, so the budget can give the rest back. */
  readonly spent?: { readonly externalOperations?: number; readonly readQueries?: number };
}

export type ChunkWork = (context: ChunkContext) => Promise<Chunk>;

/** Worst-case KV operations and D1 queries of one chunk, charged before it runs. */
export interface JobCost {
  readonly kv: number;
  readonly d1: number;
}

/** One kind of chunked job: how its stored params read, what a chunk costs, what a chunk does. */
export interface JobDefinition<Params> {
  readonly params: z.ZodType<Params>;
  readonly cost: JobCost;
  readonly chunk: (params: Params, env: Env) => ChunkWork;
  /**
   * Runs once every shard's chain is done, after the last one committed, and
   * again whenever the job is resumed while done: it must be idempotent.
   */
  readonly onDone?: (params: Params, env: Env, jobId: string) => Promise<void>;
}

export const defineJob = <Params>(definition: JobDefinition<Params>): JobDefinition<Params> => definition;
