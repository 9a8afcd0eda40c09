import { readCachedUnread, writeUnread } from "../cache/unread-cache";
import type { Config } from "../config";
import { countersQuery, recentItemsQuery, type TypeCounter } from "../db/feed-queries";
import type { Env } from "../env";
import { shardsOf } from "../shards/router";
import { type FeedItem, feedItemFrom } from "./feed-item";

export const RECENT_ACTIVITY_SIZE = 5;

export interface FeedTotals {
  readonly totalItems: number;
  readonly unreadCount: number;
  readonly readCount: number;
  /** Items per type, types without items left out. */
  readonly perType: Record<string, number>;
}

export interface FeedSummary {
  readonly totals: FeedTotals;
  /** The newest items of any read status. */
  readonly recentActivity: FeedItem[];
}

/** A user's totals from their per-type counters (the design's get_user_feed_stats). */
export function feedTotals(counters: readonly TypeCounter[]): FeedTotals {
  let total = 0;
  let unread = 0;
  const perType: Record<string, number> = {};
  for (const counter of counters) {
    if (counter.total <= 0) continue;
    total += counter.total;
    unread += counter.unread;
    perType[counter.activityType] = counter.total;
  }
  return { totalItems: total, unreadCount: unread, readCount: total - unread, perType };
}

/** Totals from the per-user counters (never a scan of history) and the newest items. */
export async function feedSummary(env: Env, userId: number, now: number): Promise<FeedSummary> {
  const shard = shardsOf(env).forUser(userId);
  const [counters, recent] = await shard.db.batch([
    countersQuery(shard, userId),
    recentItemsQuery(shard, userId, RECENT_ACTIVITY_SIZE),
  ]);
  return { totals: feedTotals(counters), recentActivity: recent.map((row) => feedItemFrom(row, shard.index, now)) };
}

/**
 * The badge: KV first, D1 on a miss. The miss path fills the cache so the next
 * app open is served from the edge.
 */
export async function unreadBadge(
  env: Env,
  config: Config,
  userId: number,
): Promise<{ unread: number; cached: boolean }> {
  const cached = await readCachedUnread(env.UNREAD_CACHE, userId);
  if (cached !== null) return { unread: cached, cached: true };
  const shard = shardsOf(env).forUser(userId);
  const counters = await countersQuery(shard, userId);
  const unread = counters.reduce((sum, counter) => sum + counter.unread, 0);
  await writeUnread(env, config, new Map([[userId, unread]]));
  return { unread, cached: false };
}
