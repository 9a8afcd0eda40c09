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

// is_seen is always written: its column default (1) is for rows older than seen itself.
const ITEM_COLUMNS =
  "user_id, activity_type, event_id, target_type, target_id, title, description, created_at, data, dedupe_key, target_thumbnail, is_seen";

const RETURNING_ITEM = `RETURNING id, user_id AS userId, activity_type AS activityType, event_id AS eventId,
  target_type AS targetType, target_id AS targetId, title, description, is_read AS isRead,
  read_at AS readAt, created_at AS createdAt, data, dedupe_key AS dedupeKey, is_seen AS isSeen,
  seen_at AS seenAt, is_archived AS isArchived, archived_at AS archivedAt, target_thumbnail AS targetThumbnail,
  public_id AS publicId`;

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

type RawItemRow = Omit<FeedItemRow, "isRead" | "isSeen" | "isArchived"> & {
  isRead: number;
  isSeen: number;
  isArchived: number;
};

export const itemRowFromSql = (raw: RawItemRow): FeedItemRow => ({
  ...raw,
  isRead: raw.isRead === 1,
  isSeen: raw.isSeen === 1,
  isArchived: raw.isArchived === 1,
});

/**
 * The condition that keeps an item of a type its owner muted from being
 * inserted, inside the INSERT itself, so no write path can forget it.
 */
const notMuted = (userId: string, type: string) =>
  `NOT EXISTS (SELECT 1 FROM user_preferences AS p, json_each(p.muted_types) AS m
     WHERE p.user_id = ${userId} AND m.value = ${type})`;

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
    target_thumbnail: item.targetThumbnail,
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
    target_thumbnail: event.targetThumbnail,
  }));
  const statement = shard.d1.prepare(
    `INSERT INTO events (user_id, event_type, source_event_id, target_type, target_id, fast_id, data, title, description, occurred_at, received_at, ingest_id, target_thumbnail)
       SELECT e.value ->> 'user_id', e.value ->> 'event_type', e.value ->> 'source_event_id', e.value ->> 'target_type',
              e.value ->> 'target_id', e.value ->> 'fast_id', e.value ->> 'data', e.value ->> 'title', e.value ->> 'description',
              e.value ->> 'occurred_at', ?2, ?3, e.value ->> 'target_thumbnail'
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
              i.value ->> 'title', i.value ->> 'description', i.value ->> 'created_at', i.value ->> 'data', i.value ->> 'dedupe_key',
              i.value ->> 'target_thumbnail', 0
       FROM json_each(?1) AS i
       JOIN events AS ev ON ev.user_id = i.value ->> 'user_id' AND ev.source_event_id = i.value ->> 'source_event_id'
       WHERE ev.ingest_id = ?2 AND ${notMuted("ev.user_id", "i.value ->> 'activity_type'")}
       ON CONFLICT (user_id, dedupe_key) DO NOTHING
       ${RETURNING_ITEM}`,
  );
  return jsonRowParts(rows).map((part) => statement.bind(part, ingestId));
}

/** The keys of a batch's events, as one JSON parameter: the statements below join events through them. */
const eventKeys = (events: readonly EventRecord[]) =>
  JSON.stringify(events.map((event) => ({ user_id: event.userId, source_event_id: event.sourceEventId })));

/**
 * How many of the events this batch stored made no item because their owner
 * mutes the type (the producer's `muted_count`). Runs after the item insert,
 * in the same batch; it reaches the events by their unique key, never by
 * scanning for the batch's ingest id.
 */
export function mutedEventsStatement(
  shard: Shard,
  events: readonly EventRecord[],
  ingestId: string,
): D1PreparedStatement {
  return shard.d1
    .prepare(
      `SELECT count(*) AS muted FROM json_each(?1) AS e
       JOIN events AS ev ON ev.user_id = e.value ->> 'user_id' AND ev.source_event_id = e.value ->> 'source_event_id'
       WHERE ev.ingest_id = ?2 AND NOT ${notMuted("ev.user_id", "ev.event_type")}`,
    )
    .bind(eventKeys(events), ingestId);
}

/** The batch's joins that can be a first fast: fast_join events that name a fast. */
export const fastJoinsOf = (events: readonly EventRecord[]) =>
  events.filter((event) => event.eventType === "fast_join" && event.fastId !== null);

/**
 * Records a once-in-a-life milestone (user_milestones) for every user whose
 * fast join (`joins`, fastJoinsOf) this batch stored and who has none yet:
 * once per user ever (the primary key). It is announced only when no earlier
 * fast_join of theirs is stored; users who joined before milestones were
 * recorded get the record without an item. Runs after the events insert.
 */
export function recordFirstFastStatement(
  shard: Shard,
  joins: readonly EventRecord[],
  ingestId: string,
  milestone: string,
): D1PreparedStatement {
  return shard.d1
    .prepare(
      `INSERT INTO user_milestones (user_id, milestone, reached_at, announced, ingest_id)
       SELECT ev.user_id, ?3, min(ev.occurred_at),
              NOT EXISTS (SELECT 1 FROM events AS earlier WHERE earlier.user_id = ev.user_id
                            AND earlier.event_type = 'fast_join' AND earlier.fast_id IS NOT NULL
                            AND earlier.ingest_id <> ?2),
              ?2
       FROM json_each(?1) AS j
       JOIN events AS ev ON ev.user_id = j.value ->> 'user_id' AND ev.source_event_id = j.value ->> 'source_event_id'
       WHERE ev.ingest_id = ?2
         AND NOT EXISTS (SELECT 1 FROM user_milestones AS um WHERE um.user_id = ev.user_id AND um.milestone = ?3)
       GROUP BY ev.user_id
       ON CONFLICT (user_id, milestone) DO NOTHING`,
    )
    .bind(eventKeys(joins), ingestId, milestone);
}

/**
 * The items of the first-fast milestones this batch announced, one per user
 * (its dedupe key makes a second impossible), about the fast of that first
 * join. Runs after recordFirstFastStatement, in the same batch.
 */
export function insertFirstFastItemsStatement(
  shard: Shard,
  joins: readonly EventRecord[],
  ingestId: string,
  milestone: string,
  wording: { readonly title: string; readonly description: string },
): D1PreparedStatement {
  return shard.d1
    .prepare(
      `INSERT INTO feed_items (${ITEM_COLUMNS})
       SELECT m.user_id, 'milestone', ev.id, 'hub.fast', ev.fast_id, ?4, ?5, m.reached_at,
              json_object('achievement', m.milestone, 'fast_id', ev.fast_id, 'fast_name', ev.data ->> '$.fast_name'),
              'milestone:' || m.milestone, NULL, 0
       FROM user_milestones AS m
       JOIN events AS ev ON ev.id = (
         SELECT first.id FROM json_each(?1) AS j
         JOIN events AS first ON first.user_id = j.value ->> 'user_id' AND first.source_event_id = j.value ->> 'source_event_id'
         WHERE first.user_id = m.user_id AND first.ingest_id = ?2
         ORDER BY first.occurred_at, first.id LIMIT 1)
       WHERE m.user_id IN (SELECT j.value ->> 'user_id' FROM json_each(?1) AS j) AND m.milestone = ?3
         AND m.ingest_id = ?2 AND m.announced = 1 AND ${notMuted("m.user_id", "'milestone'")}
       ON CONFLICT (user_id, dedupe_key) DO NOTHING
       ${RETURNING_ITEM}`,
    )
    .bind(eventKeys(joins), ingestId, milestone, wording.title, wording.description);
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
              i.value ->> 'title', i.value ->> 'description', i.value ->> 'created_at', i.value ->> 'data', i.value ->> 'dedupe_key',
              i.value ->> 'target_thumbnail', 0
       FROM json_each(?1) AS i WHERE ${notMuted("i.value ->> 'user_id'", "i.value ->> 'activity_type'")}
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
    // Archives written before the inbox states lack their columns: such rows
    // come back seen and not archived, as they were.
    `INSERT INTO feed_items (id, ${ITEM_COLUMNS}, is_read, read_at, seen_at, is_archived, archived_at, public_id)
     SELECT r.value ->> 'id', r.value ->> 'user_id', r.value ->> 'activity_type', r.value ->> 'event_id', r.value ->> 'target_type',
            r.value ->> 'target_id', r.value ->> 'title', r.value ->> 'description', r.value ->> 'created_at', r.value ->> 'data',
            r.value ->> 'dedupe_key', r.value ->> 'target_thumbnail', coalesce(r.value ->> 'is_seen', 1),
            r.value ->> 'is_read', r.value ->> 'read_at', r.value ->> 'seen_at', coalesce(r.value ->> 'is_archived', 0),
            r.value ->> 'archived_at', r.value ->> 'public_id'
     FROM json_each(?1) AS r WHERE true
     ON CONFLICT DO NOTHING
     RETURNING id, user_id AS userId, is_read AS isRead`,
  );
  return jsonRowParts(rows).map((part) => statement.bind(part));
}
