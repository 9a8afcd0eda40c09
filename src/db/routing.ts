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
