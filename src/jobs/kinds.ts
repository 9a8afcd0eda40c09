import type { Config } from "../config";
import type { Env } from "../env";
import { populateChunk, type PopulateJobParams } from "../feed/populate";
import { reminderChunk, type ReminderPlan } from "../feed/reminders";
import { FANOUT_CHUNK_USERS, POPULATE_CHUNK_EVENTS } from "../queue/limits";
import type { ChunkWork } from "./runner";

/** The kinds of chunked jobs, what one chunk costs, and the work of a chunk. */

export type JobKind = "reminder" | "populate";

export type JobParams = ReminderPlan | PopulateJobParams;

/** Worst-case cost of one chunk: a KV write per touched user, a few D1 queries. */
export const JOB_COSTS: Record<JobKind, { kv: number; d1: number }> = {
  reminder: { kv: FANOUT_CHUNK_USERS, d1: 4 },
  populate: { kv: POPULATE_CHUNK_EVENTS, d1: 4 },
};

export function workFor(kind: JobKind, params: JobParams, _env: Env, _config: Config): ChunkWork {
  switch (kind) {
    case "reminder":
      return reminderChunk(params as ReminderPlan);
    case "populate":
      return populateChunk(params as PopulateJobParams);
  }
}
