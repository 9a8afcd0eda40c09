import { writeUnread } from "../cache/unread-cache";
import type { Config } from "../config";
import { insertEventItemsStatement, insertEventsStatement, itemRowFromSql, unreadCountsStatement, unreadMapFrom } from "../db/item-writes";
import type { FeedItemRow } from "../db/schema";
import type { Env } from "../env";
import type { EventInput } from "../schemas/events";
import { shardsOf, type Shard } from "../shards/router";
import { eventRecordFrom, itemFromEvent, type EventRecord } from "./build-item";

export interface CreatedItem {
  readonly shardIndex: number;
  readonly row: FeedItemRow;
}

export interface IngestOutcome {
  readonly created: CreatedItem[];
  /** Events that made no item because they were seen before. */
  readonly duplicates: number;
  /** Unread counts after the write, per affected user (for the KV cache). */
  readonly unreadByUser: Map<number, number>;
}

/**
 * Stores events and creates their feed items: per shard, one D1 batch (one
 * transaction) with the events, the items and the affected users' new unread
 * counts. Shards are written in parallel; each shard's batch is all-or-nothing,
 * and because every write is idempotent, retrying a request whose events carry
 * event_ids after a partial failure completes it without duplicates.
 */
export async function storeEvents(env: Env, events: readonly EventRecord[], now: number): Promise<IngestOutcome> {
  const byShard = shardsOf(env).groupByUser(events, (event) => event.userId);
  const perShard = await Promise.all([...byShard].map(([shard, shardEvents]) => storeOnShard(shard, shardEvents, now)));
  const created = perShard.flatMap((result) => result.created);
  const unreadByUser = new Map(perShard.flatMap((result) => [...result.unread]));
  return { created, duplicates: events.length - created.length, unreadByUser };
}

async function storeOnShard(shard: Shard, events: readonly EventRecord[], now: number) {
  const ingestId = crypto.randomUUID();
  const userIds = [...new Set(events.map((event) => event.userId))];
  const items = events.map((event) => ({ item: itemFromEvent(event), sourceEventId: event.sourceEventId }));
  const [, inserted, counts] = await shard.d1.batch([
    insertEventsStatement(shard, events, ingestId, now),
    insertEventItemsStatement(shard, items, ingestId),
    unreadCountsStatement(shard, userIds),
  ]);
  const created = (inserted?.results ?? []).map((raw) => ({ shardIndex: shard.index, row: itemRowFromSql(raw as Parameters<typeof itemRowFromSql>[0]) }));
  return { created, unread: unreadMapFrom(userIds, counts) };
}

/** The synchronous path: validated events in, items created, cache updated. */
export async function ingestEvents(env: Env, config: Config, inputs: readonly EventInput[], now: number): Promise<IngestOutcome> {
  const outcome = await storeEvents(env, inputs.map((input) => eventRecordFrom(input, now)), now);
  await writeUnread(env.UNREAD_CACHE, outcome.unreadByUser, config.unreadCacheTtlSeconds);
  return outcome;
}
