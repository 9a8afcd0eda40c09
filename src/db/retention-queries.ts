import { and, asc, count, eq, lt, sql } from "drizzle-orm";
import type { ActivityType } from "../feed/activity-types";
import type { Shard } from "../shards/router";
import { ARCHIVE_COLUMNS } from "../archive/ndjson";
import { events, feedItems, type FeedItemRow } from "./schema";

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

/** Every column of row `f` under its database name, as one archive line (src/archive/ndjson.ts). */
const archiveLine = sql.raw(`json_object(${ARCHIVE_COLUMNS.map((column) => `'${column}', f."${column}"`).join(", ")})`);

/** Roughly what a row weighs as an archive line: its text, plus 200 for the rest. */
const rowSize = sql.raw(
  `200 + length("data") + coalesce(length("title"), 0) + coalesce(length("description"), 0) + coalesce(length("dedupe_key"), 0) + coalesce(length("target_type"), 0)`,
);

export type ArchiveLineRow = ExpiredKey & { readonly line: string; readonly running: number };

/**
 * The next expired rows of one type, oldest first, each with its archive line
 * built by SQLite (one text column crosses from D1; nothing is serialised
 * again in the Worker), up to `limit` rows and as long as the text before a
 * row is under `textBudget`: one row can carry ~18 KB, and the chunk must fit
 * a Worker's memory. `running` is the text up to and including the row.
 */
export async function expiredArchiveLines(
  shard: Shard,
  type: ActivityType,
  cutoff: number,
  onlyRead: boolean,
  after: AgePosition | undefined,
  limit: number,
  textBudget: number,
): Promise<ArchiveLineRow[]> {
  const rows = await shard.db.all<Omit<ArchiveLineRow, "isRead"> & { isRead: number }>(sql`
    SELECT f."id" AS id, f."user_id" AS userId, f."is_read" AS isRead, f."created_at" AS createdAt, ${archiveLine} AS line, s.running AS running
    FROM (
      SELECT "id", size, sum(size) OVER (ORDER BY "created_at", "id") AS running
      FROM (
        SELECT "id", "created_at", ${rowSize} AS size FROM "feed_items"
        WHERE ${expiredConditions(type, cutoff, onlyRead, after)}
        ORDER BY "created_at", "id" LIMIT ${limit}
      )
    ) AS s
    JOIN "feed_items" AS f ON f."id" = s."id"
    WHERE s.running - s.size < ${textBudget}
    ORDER BY f."created_at", f."id"`);
  return rows.map((row) => ({ ...row, isRead: row.isRead === 1 }));
}

/** The same rows as expiredArchiveLines, only the columns deleting them needs. */
export async function expiredKeys(shard: Shard, type: ActivityType, cutoff: number, onlyRead: boolean, after: AgePosition | undefined, limit: number): Promise<ExpiredKey[]> {
  return shard.db
    .select({ id: feedItems.id, userId: feedItems.userId, isRead: feedItems.isRead, createdAt: feedItems.createdAt })
    .from(feedItems)
    .where(expiredConditions(type, cutoff, onlyRead, after))
    .orderBy(asc(feedItems.createdAt), asc(feedItems.id))
    .limit(limit);
}

export async function countExpired(shard: Shard, type: ActivityType, cutoff: number, onlyRead: boolean): Promise<number> {
  const [row] = await shard.db.select({ value: count() }).from(feedItems).where(expiredConditions(type, cutoff, onlyRead));
  return row?.value ?? 0;
}

export function deleteItemsStatement(shard: Shard, localIds: readonly number[]): D1PreparedStatement {
  return shard.d1.prepare("DELETE FROM feed_items WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(localIds));
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
