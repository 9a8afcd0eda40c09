import { readJob, recentJobs, unfinishedJobRows } from "../db/jobs";
import type { JobProgressRow } from "../db/schema";
import type { Env } from "../env";
import { isoTime } from "../platform/time";
import { shardsOf } from "../shards/router";

/** A job's progress over all the shards it runs on (each keeps its own row). */
export interface JobProgressView {
  job_id: string;
  kind: string;
  params: unknown;
  done: boolean;
  processed: number;
  affected: number;
  detail: Record<string, number>;
  started_at: string;
  updated_at: string;
  shards: { shard: number; step: number; processed: number; affected: number; done: boolean; updated_at: string }[];
}

function combine(rows: { shard: number; row: JobProgressRow }[]): JobProgressView | undefined {
  const first = rows[0]?.row;
  if (!first) return undefined;
  const detail: Record<string, number> = {};
  for (const { row } of rows) {
    for (const [key, value] of Object.entries(JSON.parse(row.detail) as Record<string, number>))
      detail[key] = (detail[key] ?? 0) + value;
  }
  return {
    job_id: first.jobId,
    kind: first.kind,
    params: JSON.parse(first.params) as unknown,
    done: rows.every(({ row }) => row.done),
    processed: rows.reduce((sum, { row }) => sum + row.processed, 0),
    affected: rows.reduce((sum, { row }) => sum + row.affected, 0),
    detail,
    started_at: isoTime(Math.min(...rows.map(({ row }) => row.startedAt))),
    updated_at: isoTime(Math.max(...rows.map(({ row }) => row.updatedAt))),
    shards: rows.map(({ shard, row }) => ({
      shard,
      step: row.step,
      processed: row.processed,
      affected: row.affected,
      done: row.done,
      updated_at: isoTime(row.updatedAt),
    })),
  };
}

export async function readJobProgress(env: Env, jobId: string): Promise<JobProgressView | undefined> {
  const shards = shardsOf(env).all();
  const rows = await Promise.all(
    shards.map(async (shard) => ({ shard: shard.index, row: await readJob(shard, jobId) })),
  );
  return combine(rows.filter((entry): entry is { shard: number; row: JobProgressRow } => entry.row !== undefined));
}

/** The most recent jobs, newest first. */
export async function listRecentJobs(env: Env, limit: number): Promise<JobProgressView[]> {
  const perShard = await Promise.all(
    shardsOf(env)
      .all()
      .map(async (shard) => (await recentJobs(shard, limit)).map((row) => ({ shard: shard.index, row }))),
  );
  const byJob = new Map<string, { shard: number; row: JobProgressRow }[]>();
  for (const entry of perShard.flat()) byJob.set(entry.row.jobId, [...(byJob.get(entry.row.jobId) ?? []), entry]);
  return [...byJob.values()]
    .map((rows) => combine(rows)!)
    .sort((a, b) => b.started_at.localeCompare(a.started_at))
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
    await Promise.all(
      shardsOf(env)
        .all()
        .map((shard) => unfinishedJobRows(shard, kind, since)),
    )
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
