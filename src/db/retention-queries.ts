import { and, asc, count, eq, lt, sql } from "drizzle-orm";
import type { SQLiteSelect } from "drizzle-orm/sqlite-core";
import type { ActivityType } from "../feed/activity-types";
import type { Shard } from "../shards/router";
import { events, FEED_ITEM_COLUMNS, type FeedItemRow, feedItems } from "./schema";

/**
 * Retention's reads and deletes. Each walks one type by age through the
 * (activity_type, created_at) index; the keyset position means a run never
 * rescans rows it kept (unread ones under only_read).
 */

export interface AgePosition {
  readonly createdAt: number;
  readonly id: number;
}

function expiredConditions(type: ActivityType, cutoff: number, onlyRead: boolean, after?: AgePosition) {
  return and(
    eq(feedItems.activityType, type),
    lt(feedItems.createdAt, cutoff),
    onlyRead ? sql`${feedItems.isRead} = 1` : undefined,
    after ? sql`(${feedItems.createdAt}, ${feedItems.id}) > (${after.createdAt}, ${after.id})` : undefined,
  );
}

export type ExpiredKey = Pick<FeedItemRow, "id" | "userId" | "isRead" | "createdAt">;

/** What deleting a row needs, and what its cache upkeep and the cursor need. */
const expiredKeyColumns = {
  id: feedItems.id,
  userId: feedItems.userId,
  isRead: feedItems.isRead,
  createdAt: feedItems.createdAt,
};

/** Every column of a row under its database name, as one archive line (src/archive/ndjson.ts). */
const archiveLine = sql.raw(`json_object(${FEED_ITEM_COLUMNS.map((column) => `'${column}', "${column}"`).join(", ")})`);

/** The next `limit` expired rows of one type after `after`, oldest first: the range every read below selects from. */
function oldestExpired<T extends SQLiteSelect>(
  query: T,
  type: ActivityType,
  cutoff: number,
  onlyRead: boolean,
  after: AgePosition | undefined,
  limit: number,
) {
  return query
    .where(expiredConditions(type, cutoff, onlyRead, after))
    .orderBy(asc(feedItems.createdAt), asc(feedItems.id))
    .limit(limit);
}

/**
 * The next expired rows of one type, oldest first, each with its archive line
 * built by SQLite: one text column crosses from D1 instead of thirteen, and
 * no row is mapped or serialised again in the Worker.
 */
export async function expiredArchiveLines(
  shard: Shard,
  type: ActivityType,
  cutoff: number,
  onlyRead: boolean,
  after: AgePosition | undefined,
  limit: number,
): Promise<(ExpiredKey & { line: string })[]> {
  const query = shard.db
    .select({ ...expiredKeyColumns, line: sql<string>`${archiveLine}` })
    .from(feedItems)
    .$dynamic();
  return oldestExpired(query, type, cutoff, onlyRead, after, limit);
}

/** The same rows as expiredArchiveLines, only the columns deleting them needs. */
export async function expiredKeys(
  shard: Shard,
  type: ActivityType,
  cutoff: number,
  onlyRead: boolean,
  after: AgePosition | undefined,
  limit: number,
): Promise<ExpiredKey[]> {
  return oldestExpired(
    shard.db.select(expiredKeyColumns).from(feedItems).$dynamic(),
    type,
    cutoff,
    onlyRead,
    after,
    limit,
  );
}

/**
 * The next expired rows' sizes, roughly what each weighs as an archive line
 * (its text plus 200 for the rest): lets an archived chunk decide how many
 * full rows to read before it reads them.
 */
export async function expiredSizes(
  shard: Shard,
  type: ActivityType,
  cutoff: number,
  onlyRead: boolean,
  after: AgePosition | undefined,
  limit: number,
): Promise<number[]> {
  const size = sql<number>`200 + length(${feedItems.data}) + coalesce(length(${feedItems.title}), 0) + coalesce(length(${feedItems.description}), 0)
    + coalesce(length(${feedItems.dedupeKey}), 0) + coalesce(length(${feedItems.targetType}), 0)`;
  const rows = await oldestExpired(
    shard.db.select({ size }).from(feedItems).$dynamic(),
    type,
    cutoff,
    onlyRead,
    after,
    limit,
  );
  return rows.map((row) => row.size);
}

export async function countExpired(
  shard: Shard,
  type: ActivityType,
  cutoff: number,
  onlyRead: boolean,
): Promise<number> {
  const [row] = await shard.db
    .select({ value: count() })
    .from(feedItems)
    .where(expiredConditions(type, cutoff, onlyRead));
  return row?.value ?? 0;
}

/** Deletes rows by local id, returning each one's id and kept public id (the live channel's items.deleted). */
export function deleteItemsStatement(shard: Shard, localIds: readonly number[]): D1PreparedStatement {
  return shard.d1
    .prepare("DELETE FROM feed_items WHERE id IN (SELECT value FROM json_each(?1)) RETURNING id, public_id AS publicId")
    .bind(JSON.stringify(localIds));
}

/**
 * Stored events past their type's retention, oldest first: their items are
 * gone or going, so they can no longer regenerate anything. One index range
 * (events_occurred) up to the latest cutoff, filtered per type.
 */
export async function expiredEvents(
  shard: Shard,
  cutoffs: Readonly<Partial<Record<ActivityType, number>>>,
  after: AgePosition | undefined,
  limit: number,
): Promise<{ id: number; occurredAt: number }[]> {
  const entries = Object.entries(cutoffs) as [ActivityType, number][];
  if (entries.length === 0) return [];
  const latest = Math.max(...entries.map(([, cutoff]) => cutoff));
  const perType = sql.join(
    entries.map(([type, cutoff]) => sql`WHEN ${type} THEN ${cutoff}`),
    sql` `,
  );
  return shard.db
    .select({ id: events.id, occurredAt: events.occurredAt })
    .from(events)
    .where(
      and(
        lt(events.occurredAt, latest),
        sql`${events.occurredAt} < CASE ${events.eventType} ${perType} ELSE 0 END`,
        after ? sql`(${events.occurredAt}, ${events.id}) > (${after.createdAt}, ${after.id})` : undefined,
      ),
    )
    .orderBy(asc(events.occurredAt), asc(events.id))
    .limit(limit);
}

export function deleteEventsStatement(shard: Shard, ids: readonly number[]): D1PreparedStatement {
  return shard.d1.prepare("DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(ids));
}
