import {
  and,
  asc,
  count,
  desc,
  eq,
  fillPlaceholders,
  gte,
  inArray,
  lt,
  type Placeholder,
  type SQL,
  sql,
} from "drizzle-orm";
import type { ActivityType } from "../feed/activity-types";
import type { Shard } from "../shards/router";
import { type FeedItemRow, feedItems, userFeedCounters } from "./schema";

/** Which items a listing or count covers: the inbox (not archived, the default), all, or the archived only. */
export type ArchivedScope = "exclude" | "include" | "only";

/** Filters of the feed listing, already validated. `endBefore` is exclusive. */
export interface FeedFilters {
  readonly types?: readonly ActivityType[];
  readonly isRead?: boolean;
  readonly isSeen?: boolean;
  readonly archived?: ArchivedScope;
  readonly startAt?: number;
  readonly endBefore?: number;
}

/**
 * A position in the (created_at, id) order, newest first: at a row of this
 * shard, or at the row that kept this public id when it was copied here.
 */
export type Keyset =
  | { readonly createdAt: number; readonly localId: number }
  | { readonly createdAt: number; readonly itemId: number };

export interface PageWindow {
  readonly limit: number;
  readonly offset?: number;
  /** Rows strictly older than this position (reading forwards). */
  readonly olderThan?: Keyset;
  /** Rows strictly newer than this position (reading backwards). */
  readonly newerThan?: Keyset;
}

/** One user's counters of one type (user_feed_counters): all items, and the archived among them. */
export interface TypeCounter {
  readonly activityType: string;
  readonly total: number;
  readonly unread: number;
  readonly unseen: number;
  readonly archived: number;
  readonly archivedUnread: number;
  readonly archivedUnseen: number;
  readonly version: number;
}

/** Items, unread and unseen ones of one counter, within a scope. */
export interface ScopedCounts {
  readonly total: number;
  readonly unread: number;
  readonly unseen: number;
}

export function countsIn(counter: TypeCounter, scope: ArchivedScope): ScopedCounts {
  if (scope === "include") return { total: counter.total, unread: counter.unread, unseen: counter.unseen };
  if (scope === "only")
    return { total: counter.archived, unread: counter.archivedUnread, unseen: counter.archivedUnseen };
  return {
    total: counter.total - counter.archived,
    unread: counter.unread - counter.archivedUnread,
    unseen: counter.unseen - counter.archivedUnseen,
  };
}

/**
 * How many of these counts match a read and a seen filter. Reading implies
 * seeing, so the unseen items are a part of the unread ones and a read item
 * is never unseen: every combination is a difference of the counters.
 */
export function matchingIn(counts: ScopedCounts, isRead: boolean | undefined, isSeen: boolean | undefined): number {
  const { total, unread, unseen } = counts;
  if (isRead === undefined) {
    if (isSeen === undefined) return total;
    return isSeen ? total - unseen : unseen;
  }
  if (isRead) return isSeen === false ? 0 : total - unread;
  if (isSeen === undefined) return unread;
  return isSeen ? unread - unseen : unseen;
}

/**
 * A query drizzle compiles once per isolate and shape of filters, with
 * placeholders for the values: building its SQL on every request cost a
 * first page about 0.45 ms of its 4.2 ms of CPU (bench/README.md). Each
 * request binds its values on the shard's own runner, so the statement
 * still runs in the request's D1 session.
 */
interface CompiledQuery {
  getQuery(): { sql: string; params: unknown[] };
  mapResult(result: unknown, isFromBatch?: boolean): unknown;
}

/** One per shape: a few dozen at most in practice (each filter takes two or three forms). */
const compiledQueries = new Map<string, CompiledQuery>();

function compiled(key: string, build: () => { prepare(): CompiledQuery }): CompiledQuery {
  let query = compiledQueries.get(key);
  if (!query) {
    query = build().prepare();
    compiledQueries.set(key, query);
  }
  return query;
}

/** A compiled query with this request's values, ready for the shard's batch, and how its rows read. */
interface BoundQuery {
  readonly statement: D1PreparedStatement;
  readonly query: CompiledQuery;
}

function bound(shard: Shard, query: CompiledQuery, values: Record<string, unknown>): BoundQuery {
  const { sql: text, params } = query.getQuery();
  return { statement: shard.d1.prepare(text).bind(...fillPlaceholders(params, values)), query };
}

const placeholder = (name: string): Placeholder => sql.placeholder(name);

function baseConditions(filters: FeedFilters, typed: boolean): SQL[] {
  const conditions: SQL[] = [eq(feedItems.userId, placeholder("userId"))];
  if (typed) conditions.push(eq(feedItems.activityType, placeholder("type")));
  // Literal 0/1 rather than bound parameters: only literals let SQLite prove
  // that a partial index (the inbox, its unread or unseen part) applies.
  const archived = filters.archived ?? "exclude";
  if (archived !== "include")
    conditions.push(archived === "only" ? sql`${feedItems.isArchived} = 1` : sql`${feedItems.isArchived} = 0`);
  if (filters.isRead !== undefined)
    conditions.push(filters.isRead ? sql`${feedItems.isRead} = 1` : sql`${feedItems.isRead} = 0`);
  if (filters.isSeen !== undefined)
    conditions.push(filters.isSeen ? sql`${feedItems.isSeen} = 1` : sql`${feedItems.isSeen} = 0`);
  if (filters.startAt !== undefined) conditions.push(gte(feedItems.createdAt, placeholder("startAt")));
  if (filters.endBefore !== undefined) conditions.push(lt(feedItems.createdAt, placeholder("endBefore")));
  return conditions;
}

/** What a compiled query's SQL depends on besides values: the filters' forms. */
const filtersShape = (filters: FeedFilters) =>
  [
    filters.archived ?? "exclude",
    filters.isRead,
    filters.isSeen,
    filters.startAt !== undefined,
    filters.endBefore !== undefined,
  ].join(",");

const filterValues = (userId: number, filters: FeedFilters) => ({
  userId,
  ...(filters.startAt !== undefined ? { startAt: filters.startAt } : {}),
  ...(filters.endBefore !== undefined ? { endBefore: filters.endBefore } : {}),
});

type Side = "older" | "newer";
const keysetShape = (keyset: Keyset | undefined) => (keyset ? ("localId" in keyset ? "local" : "moved") : "none");
const keysetValues = (side: Side, keyset: Keyset | undefined) =>
  !keyset
    ? {}
    : "localId" in keyset
      ? { [`${side}At`]: keyset.createdAt, [`${side}Local`]: keyset.localId }
      : { [`${side}At`]: keyset.createdAt, [`${side}Item`]: keyset.itemId };

/**
 * The local id of a keyset's row. A moved row is found by its kept public id,
 * inside the page's own statement; when it is gone (retention deleted it),
 * the position falls back to the edge of its millisecond on the side already
 * read, so the next page may repeat items of that millisecond but never skips one.
 */
function localIdAt(side: Side, keyset: Keyset, fallback: number) {
  if ("localId" in keyset) return sql`${placeholder(`${side}Local`)}`;
  return sql`coalesce((SELECT moved.id FROM feed_items AS moved WHERE moved.user_id = ${placeholder("userId")} AND moved.public_id = ${placeholder(`${side}Item`)}), ${fallback})`;
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
): BoundQuery {
  const key = [
    "page",
    filtersShape(filters),
    type !== undefined,
    keysetShape(window.olderThan),
    keysetShape(window.newerThan),
  ].join("|");
  const query = compiled(key, () => {
    const conditions = baseConditions(filters, type !== undefined);
    // Row-value comparisons are index range constraints in SQLite, so a page
    // costs the same at any depth.
    if (window.olderThan)
      conditions.push(
        sql`(${feedItems.createdAt}, ${feedItems.id}) < (${placeholder("olderAt")}, ${localIdAt("older", window.olderThan, Number.MAX_SAFE_INTEGER)})`,
      );
    if (window.newerThan)
      conditions.push(
        sql`(${feedItems.createdAt}, ${feedItems.id}) > (${placeholder("newerAt")}, ${localIdAt("newer", window.newerThan, 0)})`,
      );
    const order =
      window.newerThan !== undefined
        ? [asc(feedItems.createdAt), asc(feedItems.id)]
        : [desc(feedItems.createdAt), desc(feedItems.id)];
    return shard.db
      .select()
      .from(feedItems)
      .where(and(...conditions))
      .orderBy(...order)
      .limit(placeholder("limit"))
      .offset(placeholder("offset"));
  });
  const offset = window.offset ?? 0;
  return bound(shard, query, {
    ...filterValues(userId, filters),
    ...(type !== undefined ? { type } : {}),
    ...keysetValues("older", window.olderThan),
    ...keysetValues("newer", window.newerThan),
    limit: mergeBranch ? window.limit + offset : window.limit,
    offset: mergeBranch ? 0 : offset,
  });
}

function newestFirst(a: FeedItemRow, b: FeedItemRow): number {
  return b.createdAt - a.createdAt || b.id - a.id;
}

function countQuery(shard: Shard, userId: number, filters: FeedFilters): BoundQuery {
  const types = filters.types ?? [];
  const query = compiled(`count|${filtersShape(filters)}|${types.length}`, () => {
    const conditions = baseConditions(filters, false);
    if (types.length > 0)
      conditions.push(
        inArray(
          feedItems.activityType,
          types.map((_, index) => placeholder(`type${index}`)),
        ),
      );
    return shard.db
      .select({ value: count() })
      .from(feedItems)
      .where(and(...conditions));
  });
  return bound(shard, query, {
    ...filterValues(userId, filters),
    ...Object.fromEntries(types.map((type, index) => [`type${index}`, type])),
  });
}

export function countersQuery(shard: Shard, userId: number | Placeholder) {
  return shard.db
    .select({
      activityType: userFeedCounters.activityType,
      total: userFeedCounters.total,
      unread: userFeedCounters.unread,
      unseen: userFeedCounters.unseen,
      archived: userFeedCounters.archived,
      archivedUnread: userFeedCounters.archivedUnread,
      archivedUnseen: userFeedCounters.archivedUnseen,
      version: userFeedCounters.version,
    })
    .from(userFeedCounters)
    .where(eq(userFeedCounters.userId, userId));
}

/** How many items match, from the counters when the filters allow it. */
function countFromCounters(counters: readonly TypeCounter[], filters: FeedFilters): number {
  let matching = 0;
  for (const counter of counters) {
    if (filters.types && !filters.types.includes(counter.activityType as ActivityType)) continue;
    matching += matchingIn(countsIn(counter, filters.archived ?? "exclude"), filters.isRead, filters.isSeen);
  }
  return matching;
}

export interface FeedPageResult {
  readonly rows: FeedItemRow[];
  readonly count: number;
  readonly version: number;
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

  // The counters always come along: they give the count (without a date range) and the version (the ETag).
  const counterQuery = bound(
    shard,
    compiled("counters", () => countersQuery(shard, placeholder("userId"))),
    { userId },
  );
  const extra = countable ? [] : [countQuery(shard, userId, filters)];
  const queries = [counterQuery, ...extra, ...pages];
  const results = await shard.d1.batch(queries.map((query) => query.statement));
  const [counterRows, ...rest] = queries.map((query, index) => query.query.mapResult(results[index], true));
  const counters = counterRows as TypeCounter[];
  const pageRows = rest.slice(extra.length);
  const total = countable ? countFromCounters(counters, filters) : ((rest[0] as { value: number }[])[0]?.value ?? 0);

  let rows = (pageRows as FeedItemRow[][]).flat();
  if (types) {
    const backwards = window.newerThan !== undefined;
    rows.sort(backwards ? (a, b) => -newestFirst(a, b) : newestFirst);
    const offset = window.offset ?? 0;
    rows = rows.slice(offset, offset + window.limit);
  }
  return { rows, count: total, version: versionOf(counters) };
}

/** The sum of the counters' versions: it grows with every change of the user's items. */
export const versionOf = (counters: readonly TypeCounter[]) =>
  counters.reduce((sum, counter) => sum + counter.version, 0);

export async function readCounters(shard: Shard, userId: number): Promise<TypeCounter[]> {
  return countersQuery(shard, userId);
}

/** The inbox's newest items of any read status (the summary's `recent_activity`). */
export function recentItemsQuery(shard: Shard, userId: number, limit: number) {
  return shard.db
    .select()
    .from(feedItems)
    .where(and(eq(feedItems.userId, userId), sql`${feedItems.isArchived} = 0`))
    .orderBy(desc(feedItems.createdAt), desc(feedItems.id))
    .limit(limit);
}
