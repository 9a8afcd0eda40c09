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

export interface Recount {
  total: number;
  unread: number;
  perType: Record<string, { total: number; unread: number }>;
}

type TypeRow = { type: string; total: number; unread: number };

function tally(rows: readonly TypeRow[]): Recount {
  const perType: Recount["perType"] = {};
  let total = 0;
  let unread = 0;
  for (const row of rows) {
    perType[row.type] = { total: row.total, unread: row.unread };
    total += row.total;
    unread += row.unread;
  }
  return { total, unread, perType };
}

/** The truth, counted from feed_items. */
export async function recount(userId: number): Promise<Recount> {
  const { results } = await shardOf(userId)
    .prepare(
      "SELECT activity_type AS type, count(*) AS total, sum(is_read = 0) AS unread FROM feed_items WHERE user_id = ? GROUP BY activity_type",
    )
    .bind(userId)
    .all<TypeRow>();
  return tally(results);
}

/** What the counters table says (types with a zero total left out). */
export async function counters(userId: number): Promise<Recount> {
  const { results } = await shardOf(userId)
    .prepare("SELECT activity_type AS type, total, unread FROM user_feed_counters WHERE user_id = ? AND total > 0")
    .bind(userId)
    .all<TypeRow>();
  return tally(results);
}

export async function cachedUnread(userId: number): Promise<number | null> {
  const raw = await env.UNREAD_CACHE.get(`unread:${userId}`);
  return raw === null ? null : Number(raw);
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
