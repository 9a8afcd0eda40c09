/**
 * The deployment's routing row (migrations/0007) on SHARD_0: how many shards
 * are current and, while a reshard runs, how many it grows to. It takes the
 * binding itself, not a routed shard: the router reads it to route.
 */

export interface RoutingRow {
  readonly shardCount: number;
  readonly targetCount: number | null;
  readonly jobId: string | null;
  readonly movesFrom: number | null;
  readonly changedAt: number;
}

export async function readRoutingRow(d1: D1Database): Promise<RoutingRow | null> {
  return d1
    .prepare(
      `SELECT shard_count AS shardCount, target_count AS targetCount, job_id AS jobId,
              moves_from AS movesFrom, changed_at AS changedAt
       FROM deployment_routing WHERE id = 1`,
    )
    .first<RoutingRow>();
}

/**
 * Publishes a reshard to `targetCount`, unless one runs already or the
 * current count is not `fromCount` (another start got there first). Says
 * whether it did.
 */
export async function startReshardRow(
  d1: D1Database,
  reshard: { fromCount: number; targetCount: number; jobId: string; movesFrom: number },
  now: number,
): Promise<boolean> {
  const result = await d1
    .prepare(
      `INSERT INTO deployment_routing (id, shard_count, target_count, job_id, moves_from, changed_at)
       VALUES (1, ?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (id) DO UPDATE SET target_count = excluded.target_count, job_id = excluded.job_id,
         moves_from = excluded.moves_from, changed_at = excluded.changed_at
       WHERE target_count IS NULL AND shard_count = excluded.shard_count`,
    )
    .bind(reshard.fromCount, reshard.targetCount, reshard.jobId, reshard.movesFrom, now)
    .run();
  return result.meta.changes === 1;
}

/** Makes a reshard's target the current count, once (a second call for the same job changes nothing). */
export async function finishReshardRow(d1: D1Database, jobId: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE deployment_routing SET shard_count = target_count, target_count = NULL, job_id = NULL,
         moves_from = NULL, changed_at = ?2
       WHERE id = 1 AND job_id = ?1`,
    )
    .bind(jobId, now)
    .run();
  return result.meta.changes === 1;
}
