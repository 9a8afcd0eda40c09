import type { EventRecord, ItemDraft } from "../feed/build-item";
import { D1_VALUE_BYTES, utf8Bytes } from "../platform/limits";
import type { Shard } from "../shards/router";
import type { FeedItemRow } from "./schema";

/**
 * Bulk writes. D1 allows 100 bound parameters per statement, so rows travel as
 * one JSON array parameter expanded by json_each(): one statement inserts any
 * number of rows, and a whole ingestion batch is one D1 round trip per shard.
 * Idempotency lives in the schema's unique keys; ON CONFLICT DO NOTHING turns a
 * redelivery into a no-op, and RETURNING reports only rows actually created.
 * One bound value holds at most D1_VALUE_BYTES, so rows that need more travel
 * in several statements of the same batch (jsonRowParts).
 */

const ITEM_COLUMNS =
  "user_id, activity_type, event_id, target_type, target_id, title, description, created_at, data, dedupe_key";

const RETURNING_ITEM = `RETURNING id, user_id AS userId, activity_type AS activityType, event_id AS eventId,
  target_type AS targetType, target_id AS targetId, title, description, is_read AS isRead,
  read_at AS readAt, created_at AS createdAt, data, dedupe_key AS dedupeKey`;

/**
 * Rows as JSON arrays of at most `maxBytes` of UTF-8 each, in order (one
 * array, `[]`, for no rows): one per statement, all in one batch (one
 * transaction).
 */
export function jsonRowParts(rows: readonly unknown[], maxBytes: number = D1_VALUE_BYTES): string[] {
  const parts: string[][] = [[]];
  let bytes = 2;
  for (const row of rows) {
    const json = JSON.stringify(row);
    const size = utf8Bytes(json) + 1;
    if (bytes + size > maxBytes && parts.at(-1)!.length > 0) {
      parts.push([]);
      bytes = 2;
    }
    parts.at(-1)!.push(json);
    bytes += size;
  }
  return parts.map((part) => `[${part.join(",")}]`);
}

type RawItemRow = Omit<FeedItemRow, "isRead"> & { isRead: number };

export const itemRowFromSql = (raw: RawItemRow): FeedItemRow => ({ ...raw, isRead: raw.isRead === 1 });

function itemJson(item: ItemDraft, sourceEventId?: string) {
  return {
    user_id: item.userId,
    activity_type: item.activityType,
    target_type: item.targetType,
    target_id: item.targetId,
    title: item.title,
    description: item.description,
    created_at: item.createdAt,
    data: JSON.stringify(item.data),
    dedupe_key: item.dedupeKey,
    source_event_id: sourceEventId,
  };
}

/** Stores events; an event already stored for that user (same source id) is skipped. */
export function insertEventsStatements(
  shard: Shard,
  events: readonly EventRecord[],
  ingestId: string,
  receivedAt: number,
): D1PreparedStatement[] {
  const rows = events.map((event) => ({
    user_id: event.userId,
    event_type: event.eventType,
    source_event_id: event.sourceEventId,
    target_type: event.targetType,
    target_id: event.targetId,
    fast_id: event.fastId,
    data: JSON.stringify(event.data),
    title: event.title,
    description: event.description,
    occurred_at: event.occurredAt,
  }));
  const statement = shard.d1.prepare(
    `INSERT INTO events (user_id, event_type, source_event_id, target_type, target_id, fast_id, data, title, description, occurred_at, received_at, ingest_id)
       SELECT e.value ->> 'user_id', e.value ->> 'event_type', e.value ->> 'source_event_id', e.value ->> 'target_type',
              e.value ->> 'target_id', e.value ->> 'fast_id', e.value ->> 'data', e.value ->> 'title', e.value ->> 'description',
              e.value ->> 'occurred_at', ?2, ?3
       FROM json_each(?1) AS e WHERE true
       ON CONFLICT (user_id, source_event_id) DO NOTHING`,
  );
  return jsonRowParts(rows).map((part) => statement.bind(part, receivedAt, ingestId));
}

/**
 * Inserts the items of events that the same batch has just stored (matched by
 * ingest id). An event seen before keeps its old ingest id, so a redelivery
 * creates no item even if the first item was since cleaned up. Each statement
 * returns the items it created.
 */
export function insertEventItemsStatements(
  shard: Shard,
  items: readonly { item: ItemDraft; sourceEventId: string }[],
  ingestId: string,
): D1PreparedStatement[] {
  const rows = items.map(({ item, sourceEventId }) => itemJson(item, sourceEventId));
  const statement = shard.d1.prepare(
    `INSERT INTO feed_items (${ITEM_COLUMNS})
       SELECT ev.user_id, i.value ->> 'activity_type', ev.id, i.value ->> 'target_type', i.value ->> 'target_id',
              i.value ->> 'title', i.value ->> 'description', i.value ->> 'created_at', i.value ->> 'data', i.value ->> 'dedupe_key'
       FROM json_each(?1) AS i
       JOIN events AS ev ON ev.user_id = i.value ->> 'user_id' AND ev.source_event_id = i.value ->> 'source_event_id'
       WHERE ev.ingest_id = ?2
       ON CONFLICT (user_id, dedupe_key) DO NOTHING
       ${RETURNING_ITEM}`,
  );
  return jsonRowParts(rows).map((part) => statement.bind(part, ingestId));
}

/** Inserts items that stand on their own (reminders, regenerated items). */
export function insertItemsStatement(
  shard: Shard,
  items: readonly (ItemDraft & { eventId?: number | null })[],
): D1PreparedStatement {
  const rows = items.map((item) => ({ ...itemJson(item), event_id: item.eventId ?? null }));
  return shard.d1
    .prepare(
      `INSERT INTO feed_items (${ITEM_COLUMNS})
       SELECT i.value ->> 'user_id', i.value ->> 'activity_type', i.value ->> 'event_id', i.value ->> 'target_type', i.value ->> 'target_id',
              i.value ->> 'title', i.value ->> 'description', i.value ->> 'created_at', i.value ->> 'data', i.value ->> 'dedupe_key'
       FROM json_each(?1) AS i WHERE true
       ON CONFLICT (user_id, dedupe_key) DO NOTHING
       ${RETURNING_ITEM}`,
    )
    .bind(JSON.stringify(rows));
}

/**
 * Puts archived rows back exactly as they were, ids included, as one or more
 * statements for a single batch. A row that is already there (same id, or
 * same dedupe key) is left alone, so restoring an archive twice, or one whose
 * rows were never deleted, changes nothing. Each statement returns the rows
 * it inserted.
 */
export function insertArchivedRowsStatements(
  shard: Shard,
  rows: readonly Record<string, unknown>[],
): D1PreparedStatement[] {
  const statement = shard.d1.prepare(
    `INSERT INTO feed_items (id, ${ITEM_COLUMNS}, is_read, read_at)
     SELECT r.value ->> 'id', r.value ->> 'user_id', r.value ->> 'activity_type', r.value ->> 'event_id', r.value ->> 'target_type',
            r.value ->> 'target_id', r.value ->> 'title', r.value ->> 'description', r.value ->> 'created_at', r.value ->> 'data',
            r.value ->> 'dedupe_key', r.value ->> 'is_read', r.value ->> 'read_at'
     FROM json_each(?1) AS r WHERE true
     ON CONFLICT DO NOTHING
     RETURNING id, user_id AS userId, is_read AS isRead`,
  );
  return jsonRowParts(rows).map((part) => statement.bind(part));
}

/** The unread counts of these users, as the last statement of a write batch. */
export function unreadCountsStatement(shard: Shard, userIds: readonly number[]): D1PreparedStatement {
  return shard.d1
    .prepare(
      `SELECT user_id AS userId, coalesce(sum(unread), 0) AS unread FROM user_feed_counters
       WHERE user_id IN (SELECT value FROM json_each(?1)) GROUP BY user_id`,
    )
    .bind(JSON.stringify(userIds));
}

/** Reads an unreadCountsStatement result: every asked user, 0 when they have no items. */
export function unreadMapFrom(userIds: readonly number[], result: D1Result | undefined): Map<number, number> {
  const unread = new Map(userIds.map((userId) => [userId, 0]));
  for (const row of (result?.results ?? []) as { userId: number; unread: number }[]) unread.set(row.userId, row.unread);
  return unread;
}
