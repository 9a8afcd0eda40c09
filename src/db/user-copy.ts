import { type Column, getTableColumns } from "drizzle-orm";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { jsonRowParts } from "./item-writes";
import {
  events,
  fastParticipants,
  feedItems,
  liveUsers,
  userFeedCounters,
  userMilestones,
  userPreferences,
} from "./schema";

/**
 * Copying users between shards, table by table (the reshard job,
 * src/reshard/reshard-job.ts; README "Adding shards"). Every table a user
 * owns is here, in the order a copy must go: events before the items that
 * point at them, the counters' version after the items whose inserts made
 * the counts, presence last. Rows cross as JSON lines built by SQLite (every
 * column under its database name) and go in through json_each(), so a copy
 * of any size is a few statements, and each insert is idempotent: a copy
 * run twice, or cut short and run again, leaves the same rows.
 *
 * These take bindings: a move works on two shards at once.
 */

/** One table a user owns, as a copy reads, writes, checks and deletes it. */
interface UserTable {
  readonly name: string;
  /** The order rows are copied in, user first: an index range on the source. */
  readonly key: readonly string[];
  /** `'column', expression` pairs of a row's JSON line; ?2 is the source shard's index. */
  readonly line: string;
  /** The INSERT on the new shard, over `json_each(?1) AS r`. */
  readonly insert: string;
  /** Deleted in chunks (big tables), or all of a group's rows at once. */
  readonly big: boolean;
}

const fields = (columns: readonly string[]) => columns.map((column) => `'${column}', ${column}`).join(", ");
const values = (columns: readonly string[]) => columns.map((column) => `r.value ->> '${column}'`).join(", ");
const overwrite = (columns: readonly string[]) => columns.map((column) => `${column} = excluded.${column}`).join(", ");

/** A table's columns by their database names, in the schema's order, but for `except`. */
const columnNames = (table: SQLiteTable, ...except: readonly Column[]) =>
  Object.values(getTableColumns(table))
    .filter((column) => !except.includes(column))
    .map((column) => column.name);

// The local ids are the new shard's own; an item's event and public id are made by the copy (below).
const EVENT_COLUMNS = columnNames(events, events.id);
const ITEM_COLUMNS = columnNames(feedItems, feedItems.id, feedItems.eventId, feedItems.publicId);

/**
 * A small table's entry: its rows go in whole, and a row the new shard has
 * already (a trigger's, or an earlier copy's) takes the copied values in every
 * column but its primary key, the conflict target.
 */
function upsertTable(table: SQLiteTable, key: readonly string[], columns = columnNames(table)): UserTable {
  const { name, primaryKeys, columns: all } = getTableConfig(table);
  const conflict = (primaryKeys[0]?.columns ?? all.filter((column) => column.primary)).map((column) => column.name);
  return {
    name,
    key,
    line: fields(columns),
    insert: `INSERT INTO ${name} (${columns.join(", ")}) SELECT ${values(columns)} FROM json_each(?1) AS r
             WHERE true ON CONFLICT (${conflict.join(", ")})
             DO UPDATE SET ${overwrite(columns.filter((column) => !conflict.includes(column)))}`,
    big: false,
  };
}

export const USER_TABLES: readonly UserTable[] = [
  {
    name: "events",
    key: ["user_id", "occurred_at", "id"],
    line: fields(EVENT_COLUMNS),
    // The trigger on events records participation here too; the copy of fast_participants below overwrites it.
    insert: `INSERT INTO events (${EVENT_COLUMNS.join(", ")}) SELECT ${values(EVENT_COLUMNS)} FROM json_each(?1) AS r
             WHERE true ON CONFLICT (user_id, source_event_id) DO NOTHING`,
    big: true,
  },
  {
    name: "feed_items",
    key: ["user_id", "created_at", "id"],
    // The id clients know (kept from an earlier move, or made here), and the source event by its key.
    line: `${fields(ITEM_COLUMNS)}, 'public_id', coalesce(public_id, id * 1024 + ?2),
           'source_event_id', (SELECT ev.source_event_id FROM events AS ev WHERE ev.id = feed_items.event_id)`,
    // Copied in (created_at, id) order, new local ids keep the user's order; the counters' triggers count them.
    insert: `INSERT INTO feed_items (${ITEM_COLUMNS.join(", ")}, event_id, public_id)
             SELECT ${values(ITEM_COLUMNS)},
                    (SELECT ev.id FROM events AS ev WHERE ev.user_id = r.value ->> 'user_id'
                       AND ev.source_event_id = r.value ->> 'source_event_id'),
                    r.value ->> 'public_id'
             FROM json_each(?1) AS r WHERE true ON CONFLICT DO NOTHING`,
    big: true,
  },
  // The counts are the triggers' (a recount of the copied items); the version carries on where it was,
  // so a client's ETag from before the move never matches other content.
  upsertTable(
    userFeedCounters,
    ["user_id", "activity_type"],
    [userFeedCounters.userId, userFeedCounters.activityType, userFeedCounters.version].map((column) => column.name),
  ),
  upsertTable(fastParticipants, ["user_id", "fast_id"]),
  upsertTable(userPreferences, ["user_id"]),
  upsertTable(userMilestones, ["user_id", "milestone"]),
  upsertTable(liveUsers, ["user_id"]),
];

/** A position within one table's copy: the key of the last row copied. */
export type CopyKey = readonly (number | string)[];

export interface RowsToCopy {
  /** JSON lines, with their owners. */
  readonly rows: readonly { readonly userId: number; readonly line: string }[];
  /** The key of the last one (where the next read starts). */
  readonly last: CopyKey | null;
}

/**
 * The next `limit` rows of these users in one table after `after`, in key
 * order, as JSON lines (`sourceShard` makes the public ids of native items).
 */
export async function rowsToCopy(
  d1: D1Database,
  table: UserTable,
  userIds: readonly number[],
  sourceShard: number,
  after: CopyKey | null,
  limit: number,
): Promise<RowsToCopy> {
  const keys = table.key.map((column, index) => `${column} AS k${index}`).join(", ");
  const from = after
    ? `AND (${table.key.join(", ")}) > (${table.key.map((_, index) => `?${index + 4}`).join(", ")})`
    : "";
  const { results } = await d1
    .prepare(
      `SELECT json_object(${table.line}) AS line, ${keys} FROM ${table.name}
       WHERE user_id IN (SELECT value FROM json_each(?1)) ${from}
       ORDER BY ${table.key.join(", ")} LIMIT ?3`,
    )
    .bind(JSON.stringify(userIds), sourceShard, limit, ...(after ?? []))
    .all<Record<string, number | string> & { line: string }>();
  const keyOf = (row: Record<string, number | string>) => table.key.map((_, index) => row[`k${index}`]!);
  return {
    rows: results.map((row) => ({ userId: Number(row.k0), line: row.line })),
    last: results.length > 0 ? keyOf(results.at(-1)!) : null,
  };
}

/** The statements that insert these lines of one table on the new shard (several when they outgrow one value). */
export function copyStatements(d1: D1Database, table: UserTable, lines: readonly string[]): D1PreparedStatement[] {
  if (lines.length === 0) return [];
  return jsonRowParts(lines.map((line) => JSON.parse(line) as unknown)).map((part) =>
    d1.prepare(table.insert).bind(part),
  );
}

/** Rows per user in every table, for a copy's check (one statement per table, one batch). */
export async function rowCounts(d1: D1Database, userIds: readonly number[]): Promise<Map<string, number>> {
  const users = JSON.stringify(userIds);
  const results = await d1.batch<{ userId: number; n: number }>(
    USER_TABLES.map((table) =>
      d1
        .prepare(
          `SELECT user_id AS userId, count(*) AS n FROM ${table.name}
           WHERE user_id IN (SELECT value FROM json_each(?1)) GROUP BY user_id`,
        )
        .bind(users),
    ),
  );
  const counts = new Map<string, number>();
  USER_TABLES.forEach((table, index) => {
    for (const row of results[index]?.results ?? []) counts.set(`${table.name}:${row.userId}`, row.n);
  });
  return counts;
}

export interface CounterRow {
  readonly userId: number;
  readonly activityType: string;
  readonly counts: string;
}

/**
 * These users' counters (every count and the version, as one text per row),
 * and the same counts recounted from their items: a copy is right when the
 * new shard's counters equal both the old shard's and its own recount.
 */
export async function countersAndRecount(
  d1: D1Database,
  userIds: readonly number[],
): Promise<{ counters: Map<string, string>; recount: Map<string, string> }> {
  const users = JSON.stringify(userIds);
  const [stored, recounted] = await d1.batch<CounterRow>([
    d1
      .prepare(
        `SELECT user_id AS userId, activity_type AS activityType,
                total || ',' || unread || ',' || unseen || ',' || archived || ',' || archived_unread || ',' || archived_unseen || ',' || version AS counts
         FROM user_feed_counters WHERE user_id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(users),
    d1
      .prepare(
        `SELECT user_id AS userId, activity_type AS activityType,
                count(*) || ',' || sum(is_read = 0) || ',' || sum(is_seen = 0) || ',' || sum(is_archived = 1) || ',' ||
                sum(is_archived = 1 AND is_read = 0) || ',' || sum(is_archived = 1 AND is_seen = 0) AS counts
         FROM feed_items WHERE user_id IN (SELECT value FROM json_each(?1)) GROUP BY user_id, activity_type`,
      )
      .bind(users),
  ]);
  const byKey = (rows: readonly CounterRow[] | undefined) =>
    new Map((rows ?? []).map((row) => [`${row.userId}:${row.activityType}`, row.counts]));
  return { counters: byKey(stored?.results), recount: byKey(recounted?.results) };
}

/** The counts part of a counters text (without the version), as a recount gives it. */
export const countsOnly = (counters: string) => counters.split(",").slice(0, 6).join(",");

/** Rows of these users left in a big table, up to `limit` + 1 (whether a chunk of `limit` finishes it). */
export async function rowsLeft(d1: D1Database, table: UserTable, userIds: readonly number[], limit: number) {
  const row = await d1
    .prepare(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${table.name} WHERE user_id IN (SELECT value FROM json_each(?1)) LIMIT ?2)`,
    )
    .bind(JSON.stringify(userIds), limit + 1)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Deletes up to `limit` rows of these users from a big table, or all of them from a small one. */
export function deleteUsersRowsStatement(
  d1: D1Database,
  table: UserTable,
  userIds: readonly number[],
  limit: number,
): D1PreparedStatement {
  const users = JSON.stringify(userIds);
  if (!table.big)
    return d1.prepare(`DELETE FROM ${table.name} WHERE user_id IN (SELECT value FROM json_each(?1))`).bind(users);
  return d1
    .prepare(
      `DELETE FROM ${table.name} WHERE id IN
         (SELECT id FROM ${table.name} WHERE user_id IN (SELECT value FROM json_each(?1)) LIMIT ?2)`,
    )
    .bind(users, limit);
}

/** Past every user id (ids are safe integers): "no user left" in usersAfter. */
const NO_USER = Number.MAX_SAFE_INTEGER;

/**
 * The next `limit` users with any row on this shard after `afterUserId`, in
 * id order: a skip scan, one index seek per table and user, never a walk
 * through anyone's rows.
 */
export async function usersAfter(d1: D1Database, afterUserId: number, limit: number): Promise<number[]> {
  // A scalar min() over one seek per table: a compound SELECT of seven terms is over D1's limit.
  const seeks = USER_TABLES.map(
    (table) => `coalesce((SELECT min(user_id) FROM ${table.name} WHERE user_id > next_user.id), ${NO_USER})`,
  ).join(", ");
  const { results } = await d1
    .prepare(
      `WITH RECURSIVE next_user(id, n) AS (
         SELECT ?1, 0
         UNION ALL
         SELECT min(${seeks}), n + 1 FROM next_user WHERE next_user.id < ${NO_USER} AND n < ?2
       )
       SELECT id FROM next_user WHERE n > 0 AND id < ${NO_USER}`,
    )
    .bind(afterUserId, limit)
    .all<{ id: number }>();
  return results.map((row) => row.id);
}

/** Rows a user will take to copy, roughly (their items and as many events): how a move groups users. */
export async function estimatedRows(d1: D1Database, userIds: readonly number[]): Promise<Map<number, number>> {
  const { results } = await d1
    .prepare(
      `SELECT user_id AS userId, sum(total) AS items FROM user_feed_counters
       WHERE user_id IN (SELECT value FROM json_each(?1)) GROUP BY user_id`,
    )
    .bind(JSON.stringify(userIds))
    .all<{ userId: number; items: number }>();
  const rows = new Map(userIds.map((userId) => [userId, 10]));
  for (const row of results) rows.set(row.userId, 10 + 2 * row.items);
  return rows;
}
