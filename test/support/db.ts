import { env } from "cloudflare:test";
import { shardIndexForUser } from "../../src/shards/jump-hash";

/** Direct reads of the shards, for tests that check what was stored. */

export const SHARD_COUNT = Number(env.SHARD_COUNT);

export function shardOf(userId: number): D1Database {
  return env[`SHARD_${shardIndexForUser(userId, SHARD_COUNT)}`]!;
}

export function allShards(): D1Database[] {
  return Array.from({ length: SHARD_COUNT }, (_, index) => env[`SHARD_${index}`]!);
}

/** A user id that lands on the given shard, above `from`. */
export function userOnShard(shardIndex: number, from: number): number {
  for (let id = from; ; id++) if (shardIndexForUser(id, SHARD_COUNT) === shardIndex) return id;
}

/** Every count user_feed_counters keeps, for all items of a user or of one type. */
export interface StateCounts {
  total: number;
  unread: number;
  unseen: number;
  archived: number;
  archivedUnread: number;
  archivedUnseen: number;
}

export interface Recount extends StateCounts {
  perType: Record<string, StateCounts>;
}

type TypeRow = StateCounts & { type: string };

const COUNT_NAMES = ["total", "unread", "unseen", "archived", "archivedUnread", "archivedUnseen"] as const;

function tally(rows: readonly TypeRow[]): Recount {
  const sum: StateCounts = { total: 0, unread: 0, unseen: 0, archived: 0, archivedUnread: 0, archivedUnseen: 0 };
  const perType: Recount["perType"] = {};
  for (const row of rows) {
    const counts = { ...sum };
    for (const name of COUNT_NAMES) {
      counts[name] = Number(row[name]);
      sum[name] += Number(row[name]);
    }
    perType[row.type] = counts;
  }
  return { ...sum, perType };
}

/** The truth, counted from feed_items. */
export async function recount(userId: number): Promise<Recount> {
  const { results } = await shardOf(userId)
    .prepare(
      `SELECT activity_type AS type, count(*) AS total, sum(is_read = 0) AS unread, sum(is_seen = 0) AS unseen,
              sum(is_archived = 1) AS archived, sum(is_archived = 1 AND is_read = 0) AS archivedUnread,
              sum(is_archived = 1 AND is_seen = 0) AS archivedUnseen
       FROM feed_items WHERE user_id = ? GROUP BY activity_type`,
    )
    .bind(userId)
    .all<TypeRow>();
  return tally(results);
}

/** What the counters table says (types with a zero total left out). */
export async function counters(userId: number): Promise<Recount> {
  const { results } = await shardOf(userId)
    .prepare(
      `SELECT activity_type AS type, total, unread, unseen, archived, archived_unread AS archivedUnread,
              archived_unseen AS archivedUnseen
       FROM user_feed_counters WHERE user_id = ? AND total > 0`,
    )
    .bind(userId)
    .all<TypeRow>();
  return tally(results);
}

/** What the badge must show, from a recount: the inbox's unread and unseen items. */
export async function badgeTruth(userId: number): Promise<{ unread_count: number; unseen_count: number }> {
  const truth = await recount(userId);
  return { unread_count: truth.unread - truth.archivedUnread, unseen_count: truth.unseen - truth.archivedUnseen };
}

/** The badge the cache holds for the user (`unread,unseen`), or null. */
export async function cachedBadge(userId: number): Promise<{ unread: number; unseen: number } | null> {
  const raw = await env.UNREAD_CACHE.get(`unread:${userId}`);
  if (raw === null) return null;
  const [unread, unseen] = raw.split(",").map(Number);
  return { unread: unread!, unseen: unseen! };
}

/** The unread part of the cached badge, or null. */
export async function cachedUnread(userId: number): Promise<number | null> {
  return (await cachedBadge(userId))?.unread ?? null;
}

export async function itemCount(userId: number, where = "1 = 1"): Promise<number> {
  const row = await shardOf(userId)
    .prepare(`SELECT count(*) AS n FROM feed_items WHERE user_id = ? AND ${where}`)
    .bind(userId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Waits until `check` passes (queue work runs in the background). */
export async function eventually<T>(
  check: () => Promise<T>,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw lastError;
}

/**
 * Records that these users joined a fast before (their first-fast milestone
 * is behind them), for tests whose fast_join events are incidental: their
 * first join then makes no "Joined your first fast" item.
 */
export async function joinedAFastBefore(...userIds: number[]): Promise<void> {
  const byShard = new Map<D1Database, number[]>();
  for (const userId of userIds) byShard.set(shardOf(userId), [...(byShard.get(shardOf(userId)) ?? []), userId]);
  for (const [shard, users] of byShard) {
    await shard
      .prepare(
        `INSERT INTO user_milestones (user_id, milestone, reached_at, announced, ingest_id)
         SELECT value, 'first_fast_join', 0, 0, 'test: joined before' FROM json_each(?1) WHERE true
         ON CONFLICT DO NOTHING`,
      )
      .bind(JSON.stringify(users))
      .run();
  }
}
