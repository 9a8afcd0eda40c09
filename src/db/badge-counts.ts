import type { Shard } from "../shards/router";

/** What the badge shows: the inbox's unread and unseen items (archived ones left out). */
export interface BadgeCounts {
  readonly unread: number;
  readonly unseen: number;
}

export const NO_ITEMS: BadgeCounts = { unread: 0, unseen: 0 };

/** These users' badge counts from their counters, as the last statement of a write batch. */
export function badgeCountsStatement(shard: Shard, userIds: readonly number[]): D1PreparedStatement {
  return shard.d1
    .prepare(
      `SELECT user_id AS userId, coalesce(sum(unread - archived_unread), 0) AS unread,
              coalesce(sum(unseen - archived_unseen), 0) AS unseen
       FROM user_feed_counters WHERE user_id IN (SELECT value FROM json_each(?1)) GROUP BY user_id`,
    )
    .bind(JSON.stringify(userIds));
}

/** Reads a badgeCountsStatement result: every asked user, zeros when they have no items. */
export function badgeCountsFrom(userIds: readonly number[], result: D1Result | undefined): Map<number, BadgeCounts> {
  const counts = new Map<number, BadgeCounts>(userIds.map((userId) => [userId, NO_ITEMS]));
  for (const row of (result?.results ?? []) as ({ userId: number } & BadgeCounts)[]) {
    counts.set(row.userId, { unread: row.unread, unseen: row.unseen });
  }
  return counts;
}
