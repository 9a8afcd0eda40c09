import { readCounters } from "../db/feed-queries";
import { readShardStats, type ShardStats } from "../db/shard-stats";
import type { Env } from "../env";
import { type FeedTotals, feedTotals } from "../feed/summary";
import { shardsOf } from "../shards/router";

/** Monitoring: table growth per shard and in total, and one user's stats. */

export interface DeploymentStats {
  readonly total: ShardStats & { readonly bytesPerItem: number | null };
  readonly shards: (ShardStats & { readonly shard: number })[];
}

function sumOf(perShard: readonly ShardStats[]): ShardStats {
  const total: ShardStats = {
    items: 0,
    unreadItems: 0,
    unseenItems: 0,
    archivedItems: 0,
    perType: {},
    oldestItemAt: null,
    events: 0,
    users: 0,
    databaseBytes: 0,
  };
  for (const stats of perShard) {
    total.items += stats.items;
    total.unreadItems += stats.unreadItems;
    total.unseenItems += stats.unseenItems;
    total.archivedItems += stats.archivedItems;
    total.events += stats.events;
    total.users += stats.users;
    total.databaseBytes =
      total.databaseBytes === null || stats.databaseBytes === null ? null : total.databaseBytes + stats.databaseBytes;
    for (const [type, value] of Object.entries(stats.perType)) total.perType[type] = (total.perType[type] ?? 0) + value;
    if (stats.oldestItemAt !== null)
      total.oldestItemAt = Math.min(total.oldestItemAt ?? stats.oldestItemAt, stats.oldestItemAt);
  }
  return total;
}

export async function deploymentStats(env: Env): Promise<DeploymentStats> {
  const shards = (await shardsOf(env)).all();
  const perShard = await Promise.all(shards.map((shard) => readShardStats(shard)));
  const total = sumOf(perShard);
  const bytesPerItem =
    total.items > 0 && total.databaseBytes !== null ? Math.round(total.databaseBytes / total.items) : null;
  return {
    total: { ...total, bytesPerItem },
    shards: perShard.map((stats, index) => ({ shard: shards[index]!.index, ...stats })),
  };
}

export interface UserFeedStats {
  readonly userId: number;
  readonly shard: number;
  readonly totals: FeedTotals;
}

/** The design's get_user_feed_stats, from the counters. */
export async function userFeedStats(env: Env, userId: number): Promise<UserFeedStats> {
  const shard = await (await shardsOf(env)).forUser(userId);
  return { userId, shard: shard.index, totals: feedTotals(await readCounters(shard, userId)) };
}
