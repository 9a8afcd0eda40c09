import { BULK_READ_KEYS, unreadWriteCost } from "../cache/unread-cache";
import type { Config } from "../config";
import type { Env } from "../env";
import { type PopulateJobParams, populateChunk } from "../feed/populate";
import { type ReminderPlan, reminderChunk } from "../feed/reminders";
import {
  FANOUT_CHUNK_USERS,
  JOB_STEP_KV_BUDGET,
  POPULATE_CHUNK_EVENTS,
  RETENTION_CHUNK_CACHED_OWNERS,
  RETENTION_CHUNK_UNREAD_OWNERS,
} from "../queue/limits";
import { type RetentionJobParams, retentionChunk } from "../retention/retention-job";
import type { JobKind } from "./job-kinds";
import type { ChunkWork } from "./runner";

export type { JobKind } from "./job-kinds";

/** The kinds of chunked jobs, what one chunk costs, and the work of a chunk. */

export type JobParams = ReminderPlan | PopulateJobParams | RetentionJobParams;

/** Worst-case cost of one chunk: its cache writes (src/cache/unread-cache.ts), a few D1 queries. */
export const JOB_COSTS: Record<JobKind, { kv: number; d1: number }> = {
  reminder: { kv: unreadWriteCost(FANOUT_CHUNK_USERS), d1: 3 },
  populate: { kv: unreadWriteCost(POPULATE_CHUNK_EVENTS), d1: 3 },
  // Plus the chunk's own bulk reads of who is cached, and two R2 writes when archiving.
  // A chunk reads one range per type (8; archiving: sizes, then rows).
  retention: {
    kv: unreadWriteCost(RETENTION_CHUNK_CACHED_OWNERS) + Math.ceil(RETENTION_CHUNK_UNREAD_OWNERS / BULK_READ_KEYS) + 2,
    d1: 2 * 8 + 3,
  },
};

// A chunk kind over the per-step budget would quietly serialise the shards of every job.
for (const [kind, cost] of Object.entries(JOB_COSTS)) {
  if (cost.kv > JOB_STEP_KV_BUDGET)
    throw new Error(
      `a ${kind} chunk may cost ${cost.kv} KV operations, over JOB_STEP_KV_BUDGET (${JOB_STEP_KV_BUDGET})`,
    );
}

export function workFor(kind: JobKind, params: JobParams, env: Env, _config: Config): ChunkWork {
  switch (kind) {
    case "reminder":
      return reminderChunk(params as ReminderPlan);
    case "populate":
      return populateChunk(params as PopulateJobParams);
    case "retention":
      return retentionChunk(params as RetentionJobParams, env);
  }
}
