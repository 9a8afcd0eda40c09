import type { Config } from "../config";
import { unreadCountsStatement, unreadMapFrom } from "../db/item-writes";
import type { Env } from "../env";
import { log } from "../platform/log";
import { shardsOf } from "../shards/router";

/**
 * The badge's unread count, cached in KV; D1's counters are the truth (README,
 * "Counts that never drift"). Writes go only to users who have a cached count,
 * so bulk work costs KV writes only for users active lately.
 */
const keyFor = (userId: number) => `unread:${userId}`;
const RETRY_AFTER_MS = 1_100;
export const BULK_READ_KEYS = 100;

export async function readCachedUnread(kv: KVNamespace, userId: number): Promise<number | null> {
  const raw = await kv.get(keyFor(userId));
  if (raw === null) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

async function putAll(kv: KVNamespace, counts: ReadonlyMap<number, number>, ttlSeconds: number): Promise<number[]> {
  const refused: number[] = [];
  await Promise.all(
    [...counts].map(async ([userId, unread]) => {
      try {
        await kv.put(keyFor(userId), String(Math.max(0, unread)), { expirationTtl: ttlSeconds });
      } catch {
        refused.push(userId);
      }
    }),
  );
  return refused;
}

async function unreadFromD1(env: Env, userIds: readonly number[]): Promise<Map<number, number>> {
  const byShard = shardsOf(env).groupByUser(userIds, (userId) => userId);
  const maps = await Promise.all(
    [...byShard].map(async ([shard, users]) => unreadMapFrom(users, await unreadCountsStatement(shard, users).all())),
  );
  return new Map(maps.flatMap((map) => [...map]));
}

/** The users among these whose unread count is cached now, and the KV operations that took. */
export async function cachedAmong(
  kv: KVNamespace,
  userIds: readonly number[],
): Promise<{ cached: number[]; operations: number }> {
  const batches: number[][] = [];
  for (let start = 0; start < userIds.length; start += BULK_READ_KEYS)
    batches.push(userIds.slice(start, start + BULK_READ_KEYS));
  const found = await Promise.all(batches.map((batch) => kv.get(batch.map(keyFor), "text")));
  const cached = batches.flatMap((batch, index) => batch.filter((userId) => found[index]!.get(keyFor(userId)) != null));
  return { cached, operations: batches.length };
}

/**
 * Brings the cache in line with counts just committed to D1. Returns the KV
 * operations it used, for the caller's invocation budget.
 */
export async function writeUnread(
  env: Env,
  config: Config,
  counts: ReadonlyMap<number, number>,
  knownCached?: ReadonlySet<number>,
): Promise<number> {
  let operations = 0;
  let toWrite = counts;
  if (knownCached) {
    // The caller looked them up moments ago (retention cuts its chunks by them).
    toWrite = new Map([...counts].filter(([userId]) => knownCached.has(userId)));
  } else if (counts.size > 1) {
    // One user (the request's own) is simply written: a read first would cost as much.
    const lookup = await cachedAmong(env.UNREAD_CACHE, [...counts.keys()]);
    operations += lookup.operations;
    toWrite = new Map(lookup.cached.map((userId) => [userId, counts.get(userId)!]));
  }
  const refused = await putAll(env.UNREAD_CACHE, toWrite, config.unreadCacheTtlSeconds);
  operations += toWrite.size;
  if (refused.length === 0) return operations;
  log.warn("unread cache write refused; retrying with fresh counts", { users: refused.length });
  await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
  const stillRefused = await putAll(env.UNREAD_CACHE, await unreadFromD1(env, refused), config.unreadCacheTtlSeconds);
  operations += refused.length;
  // Failing here makes the caller retry (queue) or report (HTTP): a cache we
  // could not correct must not be left silently stale.
  if (stillRefused.length > 0) throw new Error(`unread cache write failed for ${stillRefused.length} user(s)`);
  return operations;
}

/**
 * Brings the cached counts among these users in line with D1, writing at most
 * as many as `grant(cachedCount)` allows. Returns the KV operations used and
 * the cached users it had no room for.
 */
export async function refreshCachedUnread(
  env: Env,
  config: Config,
  userIds: readonly number[],
  grant: (writes: number) => number,
): Promise<{ operations: number; left: number[] }> {
  const { cached, operations } = await cachedAmong(env.UNREAD_CACHE, userIds);
  const room = cached.length === 0 ? 0 : grant(cached.length);
  const now = cached.slice(0, room);
  const written = now.length === 0 ? 0 : await writeUnread(env, config, await unreadFromD1(env, now), new Set(now));
  return { operations: operations + written, left: cached.slice(room) };
}

/** Reads these users' counts from D1 and brings the cache in line with them. */
export async function refreshUnread(env: Env, config: Config, userIds: readonly number[]): Promise<number> {
  return userIds.length === 0 ? 0 : writeUnread(env, config, await unreadFromD1(env, userIds));
}

/** Worst-case KV operations of writeUnread for this many users. */
export const unreadWriteCost = (users: number) => (users <= 1 ? users : Math.ceil(users / BULK_READ_KEYS) + users);
