import { writeBadges } from "../cache/badge-cache";
import type { Config } from "../config";
import { badgeCountsFrom, badgeCountsStatement, type InboxCounts, NO_ITEMS } from "../db/badge-counts";
import {
  fastJoinsOf,
  insertEventItemsStatements,
  insertEventsStatements,
  insertFirstFastItemsStatement,
  itemRowFromSql,
  mutedEventsStatement,
  recordFirstFastStatement,
} from "../db/item-writes";
import { liveUsersFrom, liveUsersStatement } from "../db/live-presence";
import type { FeedItemRow } from "../db/schema";
import { isUserMovingError } from "../db/user-moves";
import type { Env } from "../env";
import { UserMovingError } from "../errors";
import type { LiveChange, LivePublication } from "../live/changes";
import { publishLive } from "../live/publish";
import { log } from "../platform/log";
import type { EventInput } from "../schemas/events";
import { type Shard, shardsOf, WRITE_WAIT_MS } from "../shards/router";
import { type EventRecord, eventRecordFrom, itemFromEvent } from "./build-item";
import { feedItemFrom } from "./feed-item";
import { FIRST_FAST_JOINED } from "./milestones";

export interface CreatedItem {
  readonly shardIndex: number;
  readonly row: FeedItemRow;
}

export interface ShardWrite {
  readonly shard: Shard;
  readonly events: readonly EventRecord[];
  /** Set when the shard's batch committed: the items of the events, then any milestones they brought. */
  readonly created?: CreatedItem[];
  /** How many of `created` are the events' own items (the rest are milestones). */
  readonly eventItems?: number;
  /** Events whose item was not created because their owner mutes the type. */
  readonly muted?: number;
  readonly badges?: Map<number, InboxCounts>;
  /** Users of these events with a live channel open (src/db/live-presence.ts). */
  readonly live?: Set<number>;
  /** KV operations the cache update used. */
  readonly cacheOperations?: number;
  /** The shard's batch failed: none of its events was written. */
  readonly error?: unknown;
  /** The batch committed, but the cached badge counts were not written. */
  readonly cacheError?: unknown;
}

/**
 * Stores events and creates their feed items: per shard, one D1 batch (one
 * transaction) with the events, the items, the milestones they bring and the
 * affected users' new badge counts, then writes those counts to the cache. Shards are written in
 * parallel and each reports on its own, so a caller can retry exactly the
 * events of a shard that failed; every write is idempotent, so retrying more
 * than that is harmless too.
 *
 * During a reshard, events of users whose rows are being copied wait for the
 * copy (and a batch whose write fence finds a user moving is routed again),
 * up to `waitMs`; those still waiting then fail with UserMovingError,
 * nothing of theirs written.
 */
export async function storeEvents(
  env: Env,
  config: Config,
  events: readonly EventRecord[],
  now: number,
  waitMs = WRITE_WAIT_MS,
): Promise<ShardWrite[]> {
  const deadline = Date.now() + waitMs;
  const writes: ShardWrite[] = [];
  for (let pending = events; ; ) {
    const router = await shardsOf(env);
    const { groups, copying } = await router.groupForWrite(pending, (event) => event.userId);
    const round = await Promise.all(
      [...groups].map(([shard, shardEvents]) =>
        storeAndCache(env, config, shard, shardEvents, router.fenceFor(shard, usersOf(shardEvents)), now),
      ),
    );
    const fenced = round.filter((write) => isUserMovingError(write.error));
    writes.push(...round.filter((write) => !fenced.includes(write)));
    pending = [...copying, ...fenced.flatMap((write) => write.events)];
    if (pending.length === 0) return writes;
    if (Date.now() >= deadline) {
      const still = await (await shardsOf(env)).groupByUser(pending, (event) => event.userId);
      for (const [shard, shardEvents] of still)
        writes.push({ shard, events: shardEvents, error: new UserMovingError(usersOf(shardEvents)) });
      return writes;
    }
    await new Promise((resolve) => setTimeout(resolve, WRITE_RETRY_MS));
  }
}

const usersOf = (events: readonly EventRecord[]) => [...new Set(events.map((event) => event.userId))];

/** How often waiting events look again whether their users' copy is done. */
const WRITE_RETRY_MS = 100;

/** One shard's part: its batch, then the cache of the counts it read back. */
async function storeAndCache(
  env: Env,
  config: Config,
  shard: Shard,
  shardEvents: readonly EventRecord[],
  fence: readonly D1PreparedStatement[],
  now: number,
): Promise<ShardWrite> {
  let stored: Awaited<ReturnType<typeof storeOnShard>>;
  try {
    stored = await storeOnShard(shard, shardEvents, fence, now);
  } catch (error) {
    return { shard, events: shardEvents, error };
  }
  try {
    const cacheOperations = await writeBadges(env, config, stored.badges);
    return { shard, events: shardEvents, ...stored, cacheOperations };
  } catch (cacheError) {
    return { shard, events: shardEvents, ...stored, cacheError };
  }
}

async function storeOnShard(
  shard: Shard,
  events: readonly EventRecord[],
  fence: readonly D1PreparedStatement[],
  now: number,
) {
  const ingestId = crypto.randomUUID();
  const userIds = [...new Set(events.map((event) => event.userId))];
  const items = events.map((event) => ({ item: itemFromEvent(event), sourceEventId: event.sourceEventId }));
  const { milestone } = FIRST_FAST_JOINED;
  const joins = fastJoinsOf(events);
  const eventWrites = insertEventsStatements(shard, events, ingestId, now);
  const itemWrites = insertEventItemsStatements(shard, items, ingestId);
  // The milestone is recorded once the events are in, and its item made after theirs.
  const results = await shard.d1.batch([
    ...fence,
    ...eventWrites,
    recordFirstFastStatement(shard, joins, ingestId, milestone),
    ...itemWrites,
    insertFirstFastItemsStatement(shard, joins, ingestId, milestone, FIRST_FAST_JOINED),
    mutedEventsStatement(shard, events, ingestId),
    liveUsersStatement(shard, userIds, now),
    badgeCountsStatement(shard, userIds),
  ]);
  const itemsStart = fence.length + eventWrites.length + 1;
  const eventItems = results
    .slice(itemsStart, itemsStart + itemWrites.length)
    .flatMap((inserted) => inserted.results ?? []);
  const milestones = results[itemsStart + itemWrites.length]?.results ?? [];
  const created = [...eventItems, ...milestones].map((raw) => ({
    shardIndex: shard.index,
    row: itemRowFromSql(raw as Parameters<typeof itemRowFromSql>[0]),
  }));
  const muted = (results.at(-3)?.results[0] as { muted: number } | undefined)?.muted ?? 0;
  const live = liveUsersFrom(results.at(-2));
  return { created, eventItems: eventItems.length, muted, live, badges: badgeCountsFrom(userIds, results.at(-1)) };
}

/** Live channel calls one request makes at most; the rest go through the queue (src/live/publish.ts). */
export const LIVE_CALLS_PER_REQUEST = 200;

/**
 * Tells the connected users among these writes' owners about their new
 * items, at most `allowance` channels now. Returns the calls made.
 */
export function announceCreated(
  env: Env,
  writes: readonly ShardWrite[],
  now: number,
  allowance?: number,
): Promise<number> {
  const publications: LivePublication[] = [];
  for (const write of writes) {
    if (!write.live || write.live.size === 0 || !write.created) continue;
    const byUser = new Map<number, LiveChange[]>();
    for (const { shardIndex, row } of write.created) {
      if (!write.live.has(row.userId)) continue;
      const changes = byUser.get(row.userId) ?? [];
      changes.push({ type: "item.created", item: feedItemFrom(row, shardIndex, now) });
      byUser.set(row.userId, changes);
    }
    for (const [userId, changes] of byUser) {
      publications.push({ userId, changes, counts: write.badges?.get(userId) ?? NO_ITEMS });
    }
  }
  return publications.length === 0 ? Promise.resolve(0) : publishLive(env, publications, allowance);
}

export interface IngestOutcome {
  readonly created: CreatedItem[];
  /** Stored events that made no item because they were seen before. */
  readonly duplicates: number;
  /** Stored events that made no item because their owner mutes the type. */
  readonly muted: number;
  /** How many of `created` are the events' own items (the others are the milestones they brought). */
  readonly eventItems: number;
  /** Positions (in the request) of the events whose shard could not be written: nothing of theirs was. */
  readonly notStored: number[];
}

/** How a request's events are named and dated where the producer left that out. */
export interface IngestRequest {
  /** The default occurred_at: the request's first attempt (see src/feed/request-keys.ts). */
  readonly requestedAt: number;
  /** The source id of the event at a position that has no event_id; a fresh one when undefined. */
  readonly eventIdAt?: (position: number) => string;
}

/**
 * The synchronous path: validated events in, items created, cache updated.
 * Shards are written side by side, so one can fail after others committed;
 * the outcome says which events were not stored, and every write is
 * idempotent, so a retry with the same event ids completes the rest.
 */
export async function ingestEvents(
  env: Env,
  config: Config,
  inputs: readonly EventInput[],
  request: IngestRequest,
  now: number,
): Promise<IngestOutcome> {
  const records = inputs.map((input, position) =>
    eventRecordFrom(input, request.requestedAt, request.eventIdAt?.(position)),
  );
  const writes = await storeEvents(env, config, records, now);
  await announceCreated(env, writes, now, LIVE_CALLS_PER_REQUEST);
  const notStoredRecords = new Set<EventRecord>();
  for (const write of writes) {
    if (write.error !== undefined) {
      log.error("event write failed on a shard; the request answers 503", {
        shard: write.shard.index,
        events: write.events.length,
        error: write.error,
      });
      for (const record of write.events) notStoredRecords.add(record);
    } else if (write.cacheError !== undefined) {
      // D1 holds the right counts; the badge reads them once the entry expires.
      log.warn("cached badge counts not updated after an event write", {
        shard: write.shard.index,
        error: write.cacheError,
      });
    }
  }
  const created = writes.flatMap((write) => write.created ?? []);
  const notStored = records.flatMap((record, position) => (notStoredRecords.has(record) ? [position] : []));
  const eventItems = writes.reduce((sum, write) => sum + (write.eventItems ?? 0), 0);
  const muted = writes.reduce((sum, write) => sum + (write.muted ?? 0), 0);
  return { created, duplicates: records.length - notStored.length - eventItems - muted, muted, eventItems, notStored };
}
