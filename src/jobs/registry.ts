import { populateJob } from "../feed/populate";
import { reminderJob } from "../feed/reminders";
import { JOB_STEP_KV_BUDGET } from "../queue/limits";
import { reshardJob } from "../reshard/reshard-job";
import { retentionJob } from "../retention/retention-job";
import type { JobDefinition } from "./chunk";

/**
 * Every kind of chunked job, by the name stored in job_progress.kind and
 * carried by job_step messages. Adding a kind is one entry here plus its
 * definition (params schema, cost, chunk) beside its domain code.
 */
export const JOBS = {
  reminder: reminderJob,
  populate: populateJob,
  retention: retentionJob,
  reshard: reshardJob,
} as const;

export type JobKind = keyof typeof JOBS;

/** What a job of this kind stores as its params. */
export type JobParams<Kind extends JobKind> = (typeof JOBS)[Kind] extends JobDefinition<infer Params> ? Params : never;

export const JOB_KIND_NAMES = Object.keys(JOBS) as [JobKind, ...JobKind[]];

export const isJobKind = (name: string): name is JobKind => Object.hasOwn(JOBS, name);

/** The definition of a kind the consumer has checked (isJobKind). */
export function jobDefinition(kind: string): JobDefinition<unknown> {
  if (!isJobKind(kind)) throw new Error(`unknown job kind ${kind}`);
  return JOBS[kind] as JobDefinition<unknown>;
}

// A chunk over the per-step budget would quietly serialise the shards of every job.
for (const [kind, definition] of Object.entries(JOBS)) {
  if (definition.cost.kv > JOB_STEP_KV_BUDGET) {
    throw new Error(`a ${kind} chunk may cost ${definition.cost.kv} KV operations, over JOB_STEP_KV_BUDGET`);
  }
}
