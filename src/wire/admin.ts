import type { z } from "@hono/zod-openapi";
import type { JobProgress } from "../jobs/status";
import { isoTime } from "../platform/time";
import type { JobSchema } from "../schemas/admin";

/** A job's progress as the admin API shows it. */
export function jobWire(job: JobProgress): z.output<typeof JobSchema> {
  return {
    job_id: job.jobId,
    kind: job.kind,
    params: job.params,
    done: job.done,
    processed: job.processed,
    affected: job.affected,
    detail: job.detail,
    started_at: isoTime(job.startedAt),
    updated_at: isoTime(job.updatedAt),
    shards: job.shards.map((shard) => ({
      shard: shard.shard,
      step: shard.step,
      processed: shard.processed,
      affected: shard.affected,
      done: shard.done,
      updated_at: isoTime(shard.updatedAt),
    })),
  };
}
