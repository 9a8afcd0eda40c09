import { readJob, recentJobs, unfinishedJobRows } from "../db/jobs";
import type { JobProgressRow } from "../db/schema";
import type { Env } from "../env";
import { shardsOf } from "../shards/router";

/** One shard's part of a job. */
export interface ShardProgress {
  readonly shard: number;
  readonly step: number;
  readonly processed: number;
  readonly affected: number;
  readonly done: boolean;
  readonly updatedAt: number;
}

/** A job's progress over all the shards it runs on (each keeps its own row). */
export interface JobProgress {
  readonly jobId: string;
  readonly kind: string;
  readonly params: unknown;
  readonly done: boolean;
  readonly processed: number;
  readonly affected: number;
  readonly detail: Record<string, number>;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly shards: ShardProgress[];
}

/** The per-shard rows of one job as one progress: sums, the earliest start, the latest update. */
function jobProgressFrom(rows: { shard: number; row: JobProgressRow }[]): JobProgress | undefined {
  const first = rows[0]?.row;
  if (!first) return undefined;
  const detail: Record<string, number> = {};
  for (const { row } of rows) {
    for (const [key, value] of Object.entries(JSON.parse(row.detail) as Record<string, number>))
      detail[key] = (detail[key] ?? 0) + value;
  }
  return {
    jobId: first.jobId,
    kind: first.kind,
    params: JSON.parse(first.params) as unknown,
    done: rows.every(({ row }) => row.done),
    processed: rows.reduce((sum, { row }) => sum + row.processed, 0),
    affected: rows.reduce((sum, { row }) => sum + row.affected, 0),
    detail,
    startedAt: Math.min(...rows.map(({ row }) => row.startedAt)),
    updatedAt: Math.max(...rows.map(({ row }) => row.updatedAt)),
    shards: rows.map(({ shard, row }) => ({
      shard,
      step: row.step,
      processed: row.processed,
      affected: row.affected,
      done: row.done,
      updatedAt: row.updatedAt,
    })),
  };
}

export async function readJobProgress(env: Env, jobId: string): Promise<JobProgress | undefined> {
  const shards = (await shardsOf(env)).all();
  const rows = await Promise.all(
    shards.map(async (shard) => ({ shard: shard.index, row: await readJob(shard, jobId) })),
  );
  return jobProgressFrom(
    rows.filter((entry): entry is { shard: number; row: JobProgressRow } => entry.row !== undefined),
  );
}

/** The most recent jobs, newest first. */
export async function listRecentJobs(env: Env, limit: number): Promise<JobProgress[]> {
  const perShard = await Promise.all(
    (await shardsOf(env))
      .all()
      .map(async (shard) => (await recentJobs(shard, limit)).map((row) => ({ shard: shard.index, row }))),
  );
  const byJob = new Map<string, { shard: number; row: JobProgressRow }[]>();
  for (const entry of perShard.flat()) byJob.set(entry.row.jobId, [...(byJob.get(entry.row.jobId) ?? []), entry]);
  return [...byJob.values()]
    .map((rows) => jobProgressFrom(rows)!)
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, limit);
}

/** A job that some shard has not finished, and the last progress of its slowest unfinished shard. */
export interface UnfinishedJob {
  readonly jobId: string;
  readonly startedAt: number;
  /** The oldest `updated_at` among its unfinished shards: one stuck shard holds the job up. */
  readonly slowestProgressAt: number;
}

/** Jobs of one kind started since `since` that are not done on every shard. */
export async function unfinishedJobs(env: Env, kind: string, since: number): Promise<UnfinishedJob[]> {
  const rows = (
    await Promise.all((await shardsOf(env)).all().map((shard) => unfinishedJobRows(shard, kind, since)))
  ).flat();
  const byJob = new Map<string, UnfinishedJob>();
  for (const row of rows) {
    const seen = byJob.get(row.jobId);
    byJob.set(row.jobId, {
      jobId: row.jobId,
      startedAt: Math.min(seen?.startedAt ?? row.startedAt, row.startedAt),
      slowestProgressAt: Math.min(seen?.slowestProgressAt ?? row.updatedAt, row.updatedAt),
    });
  }
  return [...byJob.values()];
}
