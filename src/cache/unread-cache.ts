import type { Config } from "../config";
import { unreadCountsStatement, unreadMapFrom } from "../db/item-writes";
import type { Env } from "../env";
import { shardsOf } from "../shards/router";

/**
 * The unread-count cache in KV, for the badge path (read on every app open, from
 * every region). D1's counters are the truth: every write path puts the count
 * its own D1 batch read back (write-through), and a miss falls back to D1.
 *
 * KV allows 1,000 operations per invocation and one write per second per key;
 * callers that touch many users bound how many they write per invocation
 * (src/queue/limits.ts). A write refused (a user marking items read faster than
 * once a second) is retried once, a little over a second later, with the count
 * read afresh from D1, so the cache ends on the latest value rather than on the
 * one that was refused. Entries expire after UNREAD_CACHE_TTL_SECONDS, which
 * also bounds the rare stale value two racing writers can leave.
 */
const keyFor = (userId: number) => `unread:${userId}`;
const RETRY_AFTER_MS = 1_100;

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
  const maps = await Promise.all([...byShard].map(async ([shard, users]) => unreadMapFrom(users, await unreadCountsStatement(shard, users).all())));
  return new Map(maps.flatMap((map) => [...map]));
}

export async function writeUnread(env: Env, config: Config, counts: ReadonlyMap<number, number>): Promise<void> {
  const refused = await putAll(env.UNREAD_CACHE, counts, config.unreadCacheTtlSeconds);
  if (refused.length === 0) return;
  console.warn(JSON.stringify({ level: "warn", msg: "unread cache write refused; retrying with fresh counts", users: refused.length }));
  await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
  const stillRefused = await putAll(env.UNREAD_CACHE, await unreadFromD1(env, refused), config.unreadCacheTtlSeconds);
  // Failing here makes the caller retry (queue) or report (HTTP): a cache we
  // could not correct must not be left silently stale.
  if (stillRefused.length > 0) throw new Error(`unread cache write failed for ${stillRefused.length} user(s)`);
}
