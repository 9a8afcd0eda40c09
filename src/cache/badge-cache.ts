import type { Config } from "../config";
import { type BadgeCounts, badgeCountsFrom, badgeCountsStatement } from "../db/badge-counts";
import type { Env } from "../env";
import { log } from "../platform/log";
import { shardsOf } from "../shards/router";

/**
 * The badge's counts (unread, unseen), cached in KV; D1's counters are the
 * truth (README, "Counts that never drift"). Writes go only to users who have
 * cached counts, so bulk work costs KV writes only for users active lately.
 */
const keyFor = (userId: number) => `unread:${userId}`;

/** `unread,unseen`. A bare number is the format before unseen existed: read as a miss, and rewritten. */
const encode = (counts: BadgeCounts) => `${Math.max(0, counts.unread)},${Math.max(0, counts.unseen)}`;

function decode(raw: string): BadgeCounts | null {
  const match = /^(\d{1,15}),(\d{1,15})$/.exec(raw);
  return match ? { unread: Number(match[1]), unseen: Number(match[2]) } : null;
}
const RETRY_AFTER_MS = 1_100;
export const BULK_READ_KEYS = 100;

export async function readCachedBadge(kv: KVNamespace, userId: number): Promise<BadgeCounts | null> {
  const raw = await kv.get(keyFor(userId));
  return raw === null ? null : decode(raw);
}

async function putAll(
  kv: KVNamespace,
  counts: ReadonlyMap<number, BadgeCounts>,
  ttlSeconds: number,
): Promise<number[]> {
  const refused: number[] = [];
  await Promise.all(
    [...counts].map(async ([userId, badge]) => {
      try {
        await kv.put(keyFor(userId), encode(badge), { expirationTtl: ttlSeconds });
      } catch {
        refused.push(userId);
      }
    }),
  );
  return refused;
}

async function badgesFromD1(env: Env, userIds: readonly number[]): Promise<Map<number, BadgeCounts>> {
  const byShard = await (await shardsOf(env)).groupByUser(userIds, (userId) => userId);
  const maps = await Promise.all(
    [...byShard].map(async ([shard, users]) => badgeCountsFrom(users, await badgeCountsStatement(shard, users).all())),
  );
  return new Map(maps.flatMap((map) => [...map]));
}

/** The users among these whose badge is cached now, and the KV operations that took. */
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
export async function writeBadges(
  env: Env,
  config: Config,
  counts: ReadonlyMap<number, BadgeCounts>,
  knownCached?: ReadonlySet<number>,
  /** Look even when there is one user: a job's one user is rarely the one whose request it is. */
  { lookUpOne = false }: { lookUpOne?: boolean } = {},
): Promise<number> {
  let operations = 0;
  let toWrite = counts;
  if (knownCached) {
    // The caller looked them up moments ago (retention cuts its chunks by them).
    toWrite = new Map([...counts].filter(([userId]) => knownCached.has(userId)));
  } else if (counts.size > 1 || lookUpOne) {
    // One user (the request's own) is simply written: a read first would cost as much.
    const lookup = await cachedAmong(env.UNREAD_CACHE, [...counts.keys()]);
    operations += lookup.operations;
    toWrite = new Map(lookup.cached.map((userId) => [userId, counts.get(userId)!]));
  }
  const refused = await putAll(env.UNREAD_CACHE, toWrite, config.unreadCacheTtlSeconds);
  operations += toWrite.size;
  if (refused.length === 0) return operations;
  log.warn("badge cache write refused; retrying with fresh counts", { users: refused.length });
  await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
  const stillRefused = await putAll(env.UNREAD_CACHE, await badgesFromD1(env, refused), config.unreadCacheTtlSeconds);
  operations += refused.length;
  // Failing here makes the caller retry (queue) or report (HTTP): a cache we
  // could not correct must not be left silently stale.
  if (stillRefused.length > 0) throw new Error(`badge cache write failed for ${stillRefused.length} user(s)`);
  return operations;
}

/**
 * Brings the cached counts among these users in line with D1, writing at most
 * as many as `grant(cachedCount)` allows. Returns the KV operations used and
 * the cached users it had no room for.
 */
export async function refreshCachedBadges(
  env: Env,
  config: Config,
  userIds: readonly number[],
  grant: (writes: number) => number,
): Promise<{ operations: number; left: number[] }> {
  const { cached, operations } = await cachedAmong(env.UNREAD_CACHE, userIds);
  const room = cached.length === 0 ? 0 : grant(cached.length);
  const now = cached.slice(0, room);
  const written = now.length === 0 ? 0 : await writeBadges(env, config, await badgesFromD1(env, now), new Set(now));
  return { operations: operations + written, left: cached.slice(room) };
}

/** Reads these users' counts from D1 and brings the cache in line with them. */
export async function refreshBadges(env: Env, config: Config, userIds: readonly number[]): Promise<number> {
  return userIds.length === 0 ? 0 : writeBadges(env, config, await badgesFromD1(env, userIds));
}

/** Worst-case KV operations of writeBadges for this many users. */
export const badgeWriteCost = (users: number) => (users <= 1 ? users : Math.ceil(users / BULK_READ_KEYS) + users);
