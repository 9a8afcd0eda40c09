import type { Shard } from "../shards/router";

/** What the badge shows: the inbox's unread and unseen items (archived ones left out). */
export interface BadgeCounts {
  readonly unread: number;
  readonly unseen: number;
}

/** The badge, the inbox's size and the counters' version (it moves on every change of the user's items). */
export interface InboxCounts extends BadgeCounts {
  readonly total: number;
  readonly version: number;
}

export const NO_ITEMS: InboxCounts = { unread: 0, unseen: 0, total: 0, version: 0 };

/** These users' inbox counts from their counters, as the last statement of a write batch. */
export function badgeCountsStatement(shard: Shard, userIds: readonly number[]): D1PreparedStatement {
  return shard.d1
    .prepare(
      `SELECT user_id AS userId, coalesce(sum(unread - archived_unread), 0) AS unread,
              coalesce(sum(unseen - archived_unseen), 0) AS unseen, coalesce(sum(total - archived), 0) AS total,
              coalesce(sum(version), 0) AS version
       FROM user_feed_counters WHERE user_id IN (SELECT value FROM json_each(?1)) GROUP BY user_id`,
    )
    .bind(JSON.stringify(userIds));
}

/** Reads a badgeCountsStatement result: every asked user, zeros when they have no items. */
export function badgeCountsFrom(userIds: readonly number[], result: D1Result | undefined): Map<number, InboxCounts> {
  const counts = new Map<number, InboxCounts>(userIds.map((userId) => [userId, NO_ITEMS]));
  for (const row of (result?.results ?? []) as ({ userId: number } & InboxCounts)[]) {
    counts.set(row.userId, { unread: row.unread, unseen: row.unseen, total: row.total, version: row.version });
  }
  return counts;
}
