import { readCounters } from "../db/feed-queries";
import { readShardStats, type ShardStats } from "../db/shard-stats";
import type { Env } from "../env";
import { feedTotals } from "../feed/summary";
import { isoTime } from "../platform/time";
import { shardsOf } from "../shards/router";

/** Monitoring: table growth per shard and in total, and one user's stats. */

function view(stats: ShardStats) {
  return {
    items: stats.items,
    unread_items: stats.unreadItems,
    read_items: stats.items - stats.unreadItems,
    items_per_type: stats.perType,
    oldest_item: stats.oldestItemAt === null ? null : isoTime(stats.oldestItemAt),
    events: stats.events,
    users: stats.users,
    database_bytes: stats.databaseBytes,
  };
}

export async function deploymentStats(env: Env) {
  const shards = shardsOf(env).all();
  const perShard = await Promise.all(shards.map((shard) => readShardStats(shard)));
  const total: ShardStats = {
    items: 0,
    unreadItems: 0,
    perType: {},
    oldestItemAt: null,
    events: 0,
    users: 0,
    databaseBytes: 0,
  };
  for (const stats of perShard) {
    total.items += stats.items;
    total.unreadItems += stats.unreadItems;
    total.events += stats.events;
    total.users += stats.users;
    total.databaseBytes =
      total.databaseBytes === null || stats.databaseBytes === null ? null : total.databaseBytes + stats.databaseBytes;
    for (const [type, value] of Object.entries(stats.perType)) total.perType[type] = (total.perType[type] ?? 0) + value;
    if (stats.oldestItemAt !== null)
      total.oldestItemAt = Math.min(total.oldestItemAt ?? stats.oldestItemAt, stats.oldestItemAt);
  }
  return {
    total: {
      ...view(total),
      bytes_per_item:
        total.items > 0 && total.databaseBytes !== null ? Math.round(total.databaseBytes / total.items) : null,
    },
    shards: perShard.map((stats, index) => ({ shard: shards[index]!.index, ...view(stats) })),
  };
}

/** The design's get_user_feed_stats, from the counters. */
export async function userFeedStats(env: Env, userId: number) {
  const shard = shardsOf(env).forUser(userId);
  return { user_id: userId, shard: shard.index, ...feedTotals(await readCounters(shard, userId)) };
}
