import { and, asc, count, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { ActivityType } from "../feed/activity-types";
import type { Shard } from "../shards/router";
import { type FeedItemRow, feedItems, userFeedCounters } from "./schema";

/** Filters of the feed listing, already validated. `endBefore` is exclusive. */
export interface FeedFilters {
  readonly types?: readonly ActivityType[];
  readonly isRead?: boolean;
  readonly startAt?: number;
  readonly endBefore?: number;
}

/** A position in the (created_at, id) order, newest first. */
export interface Keyset {
  readonly createdAt: number;
  readonly localId: number;
}

export interface PageWindow {
  readonly limit: number;
  readonly offset?: number;
  /** Rows strictly older than this position (reading forwards). */
  readonly olderThan?: Keyset;
  /** Rows strictly newer than this position (reading backwards). */
  readonly newerThan?: Keyset;
}

export interface TypeCounter {
  readonly activityType: string;
  readonly total: number;
  readonly unread: number;
}

function baseConditions(userId: number, filters: FeedFilters, type?: ActivityType): SQL[] {
  const conditions: SQL[] = [eq(feedItems.userId, userId)];
  if (type !== undefined) conditions.push(eq(feedItems.activityType, type));
  // Literal 0/1 rather than a bound parameter: only a literal lets SQLite prove
  // that the partial index of unread rows (feed_items_user_unread) applies.
  if (filters.isRead !== undefined)
    conditions.push(filters.isRead ? sql`${feedItems.isRead} = 1` : sql`${feedItems.isRead} = 0`);
  if (filters.startAt !== undefined) conditions.push(gte(feedItems.createdAt, filters.startAt));
  if (filters.endBefore !== undefined) conditions.push(lt(feedItems.createdAt, filters.endBefore));
  return conditions;
}

/**
 * One index range of the page. `mergeBranch` marks one range among several
 * (one per requested type): it must return enough rows to fill the merged
 * page, so the offset is applied after the merge instead.
 */
function pageQuery(
  shard: Shard,
  userId: number,
  filters: FeedFilters,
  window: PageWindow,
  type: ActivityType | undefined,
  mergeBranch: boolean,
) {
  const conditions = baseConditions(userId, filters, type);
  // Row-value comparisons are index range constraints in SQLite, so a page
  // costs the same at any depth.
  if (window.olderThan)
    conditions.push(
      sql`(${feedItems.createdAt}, ${feedItems.id}) < (${window.olderThan.createdAt}, ${window.olderThan.localId})`,
    );
  if (window.newerThan)
    conditions.push(
      sql`(${feedItems.createdAt}, ${feedItems.id}) > (${window.newerThan.createdAt}, ${window.newerThan.localId})`,
    );
  const backwards = window.newerThan !== undefined;
  const order = backwards
    ? [asc(feedItems.createdAt), asc(feedItems.id)]
    : [desc(feedItems.createdAt), desc(feedItems.id)];
  const offset = window.offset ?? 0;
  return shard.db
    .select()
    .from(feedItems)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(mergeBranch ? window.limit + offset : window.limit)
    .offset(mergeBranch ? 0 : offset);
}

function newestFirst(a: FeedItemRow, b: FeedItemRow): number {
  return b.createdAt - a.createdAt || b.id - a.id;
}

function countQuery(shard: Shard, userId: number, filters: FeedFilters) {
  const conditions = baseConditions(userId, filters);
  if (filters.types && filters.types.length > 0) {
    conditions.push(inArray(feedItems.activityType, [...filters.types]));
  }
  return shard.db
    .select({ value: count() })
    .from(feedItems)
    .where(and(...conditions));
}

export function countersQuery(shard: Shard, userId: number) {
  return shard.db
    .select({
      activityType: userFeedCounters.activityType,
      total: userFeedCounters.total,
      unread: userFeedCounters.unread,
    })
    .from(userFeedCounters)
    .where(eq(userFeedCounters.userId, userId));
}

/** How many items match, from the counters when the filters allow it. */
function countFromCounters(counters: readonly TypeCounter[], filters: FeedFilters): number {
  let matching = 0;
  for (const counter of counters) {
    if (filters.types && !filters.types.includes(counter.activityType as ActivityType)) continue;
    if (filters.isRead === undefined) matching += counter.total;
    else matching += filters.isRead ? counter.total - counter.unread : counter.unread;
  }
  return matching;
}

export interface FeedPageResult {
  readonly rows: FeedItemRow[];
  readonly count: number;
}

/**
 * One page and the total that matches, in one D1 round trip. Several types are
 * read as one index range per type and merged, which keeps each read bounded
 * by the page size rather than by the user's history of those types.
 */
export async function readFeedPage(
  shard: Shard,
  userId: number,
  filters: FeedFilters,
  window: PageWindow,
): Promise<FeedPageResult> {
  const types = filters.types && filters.types.length > 1 ? filters.types : undefined;
  const singleType = filters.types?.length === 1 ? filters.types[0] : undefined;
  const pages = types
    ? types.map((type) => pageQuery(shard, userId, filters, window, type, true))
    : [pageQuery(shard, userId, filters, window, singleType, false)];
  const countable = filters.startAt === undefined && filters.endBefore === undefined;

  const counting = countable ? countersQuery(shard, userId) : countQuery(shard, userId, filters);
  const [countRows, ...pageRows] = await shard.db.batch([counting, ...pages]);

  const total = countable
    ? countFromCounters(countRows as TypeCounter[], filters)
    : ((countRows as { value: number }[])[0]?.value ?? 0);

  let rows = (pageRows as FeedItemRow[][]).flat();
  if (types) {
    const backwards = window.newerThan !== undefined;
    rows.sort(backwards ? (a, b) => -newestFirst(a, b) : newestFirst);
    const offset = window.offset ?? 0;
    rows = rows.slice(offset, offset + window.limit);
  }
  return { rows, count: total };
}

export async function readCounters(shard: Shard, userId: number): Promise<TypeCounter[]> {
  return countersQuery(shard, userId);
}

/** The newest items of any status (the summary's `recent_activity`). */
export function recentItemsQuery(shard: Shard, userId: number, limit: number) {
  return shard.db
    .select()
    .from(feedItems)
    .where(eq(feedItems.userId, userId))
    .orderBy(desc(feedItems.createdAt), desc(feedItems.id))
    .limit(limit);
}
