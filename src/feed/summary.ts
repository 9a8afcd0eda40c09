import { readCachedBadge, writeBadges } from "../cache/badge-cache";
import type { Config } from "../config";
import { type BadgeCounts, badgeCountsFrom, badgeCountsStatement, type InboxCounts } from "../db/badge-counts";
import { countersQuery, countsIn, recentItemsQuery, type TypeCounter, versionOf } from "../db/feed-queries";
import type { Env } from "../env";
import { shardsOf } from "../shards/router";
import { type FeedItem, feedItemFrom } from "./feed-item";

export const RECENT_ACTIVITY_SIZE = 5;

/** The inbox's totals (archived items left out, as every count by default). */
export interface FeedTotals {
  readonly totalItems: number;
  readonly unreadCount: number;
  readonly readCount: number;
  readonly unseenCount: number;
  /** Items per type, types without items left out. */
  readonly perType: Record<string, number>;
  /** Archived items, apart from all of the above. */
  readonly archivedCount: number;
}

export interface FeedSummary {
  readonly totals: FeedTotals;
  /** The user's items' version as of this read: the summary's ETag. */
  readonly version: number;
  /** The newest items of any read status. */
  readonly recentActivity: FeedItem[];
}

/** A user's totals from their per-type counters (the design's get_user_feed_stats). */
export function feedTotals(counters: readonly TypeCounter[]): FeedTotals {
  let total = 0;
  let unread = 0;
  let unseen = 0;
  let archived = 0;
  const perType: Record<string, number> = {};
  for (const counter of counters) {
    archived += counter.archived;
    const inbox = countsIn(counter, "exclude");
    if (inbox.total <= 0) continue;
    total += inbox.total;
    unread += inbox.unread;
    unseen += inbox.unseen;
    perType[counter.activityType] = inbox.total;
  }
  return {
    totalItems: total,
    unreadCount: unread,
    readCount: total - unread,
    unseenCount: unseen,
    perType,
    archivedCount: archived,
  };
}

/** Totals from the per-user counters (never a scan of history) and the newest items. */
export async function feedSummary(env: Env, userId: number, now: number): Promise<FeedSummary> {
  const shard = await (await shardsOf(env)).forUser(userId);
  const [counters, recent] = await shard.db.batch([
    countersQuery(shard, userId),
    recentItemsQuery(shard, userId, RECENT_ACTIVITY_SIZE),
  ]);
  return {
    totals: feedTotals(counters),
    version: versionOf(counters),
    recentActivity: recent.map((row) => feedItemFrom(row, shard.index, now)),
  };
}

/** The user's items' version alone (one counters read): what a conditional request is checked against. */
export async function feedVersion(env: Env, userId: number): Promise<number> {
  const shard = await (await shardsOf(env)).forUser(userId);
  return versionOf(await countersQuery(shard, userId));
}

/** The user's inbox counts and version, from D1 (the live channel's hello). */
export async function readInboxCounts(env: Env, userId: number): Promise<InboxCounts> {
  const shard = await (await shardsOf(env)).forUser(userId);
  return badgeCountsFrom([userId], await badgeCountsStatement(shard, [userId]).all()).get(userId)!;
}

/**
 * The badge: KV first, D1 on a miss. The miss path fills the cache so the next
 * app open is served from the edge.
 */
export async function readBadge(
  env: Env,
  config: Config,
  userId: number,
): Promise<{ badge: BadgeCounts; cached: boolean }> {
  const cached = await readCachedBadge(env.UNREAD_CACHE, userId);
  if (cached !== null) return { badge: cached, cached: true };
  const shard = await (await shardsOf(env)).forUser(userId);
  const badge = badgeCountsFrom([userId], await badgeCountsStatement(shard, [userId]).all()).get(userId)!;
  await writeBadges(env, config, new Map([[userId, badge]]));
  return { badge, cached: false };
}
