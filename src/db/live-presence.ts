import type { Shard } from "../shards/router";

/** Presence of live channels on a shard (migrations/0006). */

/** Which of these users have a live channel open, for a write batch to return with its commit. */
export function liveUsersStatement(shard: Shard, userIds: readonly number[], now: number): D1PreparedStatement {
  return shard.d1
    .prepare(
      "SELECT user_id AS userId FROM live_users WHERE user_id IN (SELECT value FROM json_each(?1)) AND until > ?2",
    )
    .bind(JSON.stringify(userIds), now);
}

export const liveUsersFrom = (result: D1Result | undefined): Set<number> =>
  new Set(((result?.results ?? []) as { userId: number }[]).map((row) => row.userId));

export function markLiveStatement(shard: Shard, userId: number, until: number): D1PreparedStatement {
  return shard.d1
    .prepare("INSERT INTO live_users (user_id, until) VALUES (?1, ?2) ON CONFLICT (user_id) DO UPDATE SET until = ?2")
    .bind(userId, until);
}

export function markGoneStatement(shard: Shard, userId: number): D1PreparedStatement {
  return shard.d1.prepare("DELETE FROM live_users WHERE user_id = ?1").bind(userId);
}
