import { writeUnread } from "../cache/unread-cache";
import type { Config } from "../config";
import {
  insertEventItemsStatements,
  insertEventsStatements,
  itemRowFromSql,
  unreadCountsStatement,
  unreadMapFrom,
} from "../db/item-writes";
import type { FeedItemRow } from "../db/schema";
import type { Env } from "../env";
import type { EventInput } from "../schemas/events";
import { type Shard, shardsOf } from "../shards/router";
import { type EventRecord, eventRecordFrom, itemFromEvent } from "./build-item";

export interface CreatedItem {
  readonly shardIndex: number;
  readonly row: FeedItemRow;
}

export interface ShardWrite {
  readonly shard: Shard;
  readonly events: readonly EventRecord[];
  /** Set when the shard's batch committed. */
  readonly created?: CreatedItem[];
  readonly unread?: Map<number, number>;
  /** KV operations the cache update used. */
  readonly cacheOperations?: number;
  readonly error?: unknown;
}

/**
 * Stores events and creates their feed items: per shard, one D1 batch (one
 * transaction) with the events, the items and the affected users' new unread
 * counts, then writes those counts to the cache. Shards are written in
 * parallel and each reports on its own, so a caller can retry exactly the
 * events of a shard that failed; every write is idempotent, so retrying more
 * than that is harmless too.
 */
export async function storeEvents(
  env: Env,
  config: Config,
  events: readonly EventRecord[],
  now: number,
): Promise<ShardWrite[]> {
  const byShard = shardsOf(env).groupByUser(events, (event) => event.userId);
  return Promise.all(
    [...byShard].map(async ([shard, shardEvents]): Promise<ShardWrite> => {
      try {
        const { created, unread } = await storeOnShard(shard, shardEvents, now);
        const cacheOperations = await writeUnread(env, config, unread);
        return { shard, events: shardEvents, created, unread, cacheOperations };
      } catch (error) {
        return { shard, events: shardEvents, error };
      }
    }),
  );
}

async function storeOnShard(shard: Shard, events: readonly EventRecord[], now: number) {
  const ingestId = crypto.randomUUID();
  const userIds = [...new Set(events.map((event) => event.userId))];
  const items = events.map((event) => ({ item: itemFromEvent(event), sourceEventId: event.sourceEventId }));
  const eventWrites = insertEventsStatements(shard, events, ingestId, now);
  const itemWrites = insertEventItemsStatements(shard, items, ingestId);
  const results = await shard.d1.batch([...eventWrites, ...itemWrites, unreadCountsStatement(shard, userIds)]);
  const created = results
    .slice(eventWrites.length, eventWrites.length + itemWrites.length)
    .flatMap((inserted) => inserted.results ?? [])
    .map((raw) => ({ shardIndex: shard.index, row: itemRowFromSql(raw as Parameters<typeof itemRowFromSql>[0]) }));
  return { created, unread: unreadMapFrom(userIds, results.at(-1)) };
}

export interface IngestOutcome {
  readonly created: CreatedItem[];
  /** Events that made no item because they were seen before. */
  readonly duplicates: number;
}

/**
 * The synchronous path: validated events in, items created, cache updated. A
 * shard that fails fails the request (after the others committed); the
 * producer's retry completes it, without duplicates where events carry event_ids.
 */
export async function ingestEvents(
  env: Env,
  config: Config,
  inputs: readonly EventInput[],
  now: number,
): Promise<IngestOutcome> {
  const writes = await storeEvents(
    env,
    config,
    inputs.map((input) => eventRecordFrom(input, now)),
    now,
  );
  const failed = writes.find((write) => write.error !== undefined);
  if (failed) throw failed.error;
  const created = writes.flatMap((write) => write.created ?? []);
  return { created, duplicates: inputs.length - created.length };
}
