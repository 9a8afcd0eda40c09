import { and, desc, eq, gte } from "drizzle-orm";
import type { Shard } from "../shards/router";
import { type JobProgressRow, jobProgress } from "./schema";

/**
 * Progress rows of chunked jobs, one per job and shard (migrations/0002).
 * A chunk commits its writes and `advanceJobStatement` in one batch; the
 * job_progress_one_step trigger rolls the batch back when another delivery of
 * the same chunk committed first.
 */

export const JOB_STEP_CONFLICT = "job step conflict";

export interface JobAdvance {
  readonly jobId: string;
  readonly fromStep: number;
  readonly cursor: string;
  readonly processed: number;
  /** A count, or "changes": the rows changed by the statement just before this one in the batch. */
  readonly affected: number | "changes";
  readonly detail?: Record<string, number>;
  readonly touchedUsers: readonly number[];
  readonly done: boolean;
}

export function startJobStatement(
  shard: Shard,
  jobId: string,
  kind: string,
  params: unknown,
  now: number,
): D1PreparedStatement {
  return shard.d1
    .prepare(
      `INSERT INTO job_progress (job_id, kind, params, started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
       ON CONFLICT (job_id) DO NOTHING`,
    )
    .bind(jobId, kind, JSON.stringify(params), now);
}

// changes() counts only the rows the previous statement changed itself, not
// the counter triggers' rows (which D1's meta.changes would include).
export function advanceJobStatement(shard: Shard, advance: JobAdvance, now: number): D1PreparedStatement {
  return shard.d1
    .prepare(
      `UPDATE job_progress SET step = ?2 + 1, cursor = ?3, processed = processed + ?4,
         affected = affected + (CASE WHEN ?5 IS NULL THEN changes() ELSE ?5 END),
         detail = coalesce(?6, detail), last_users = ?7, done = ?8, updated_at = ?9
       WHERE job_id = ?1`,
    )
    .bind(
      advance.jobId,
      advance.fromStep,
      advance.cursor,
      advance.processed,
      advance.affected === "changes" ? null : advance.affected,
      advance.detail ? JSON.stringify(advance.detail) : null,
      JSON.stringify(advance.touchedUsers),
      advance.done ? 1 : 0,
      now,
    );
}

export function isStepConflict(error: unknown): boolean {
  return String(error instanceof Error ? error.message : error).includes(JOB_STEP_CONFLICT);
}

export async function readJob(shard: Shard, jobId: string): Promise<JobProgressRow | undefined> {
  const rows = await shard.db.select().from(jobProgress).where(eq(jobProgress.jobId, jobId));
  return rows[0];
}

export async function recentJobs(shard: Shard, limit: number): Promise<JobProgressRow[]> {
  return shard.db.select().from(jobProgress).orderBy(desc(jobProgress.startedAt)).limit(limit);
}

/** This shard's rows of jobs of one kind, started since `since`, that it has not finished (the range comes from the job_progress_started index). */
export async function unfinishedJobRows(shard: Shard, kind: string, since: number): Promise<JobProgressRow[]> {
  return shard.db
    .select()
    .from(jobProgress)
    .where(and(gte(jobProgress.startedAt, since), eq(jobProgress.kind, kind), eq(jobProgress.done, false)));
}
